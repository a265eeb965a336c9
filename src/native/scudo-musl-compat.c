/*
 * scudo-musl-compat.c: the few glibc-only symbols that LLVM compiler-rt's
 * libclang_rt.scudo_standalone-<arch>.a references and musl does not provide.
 *
 * The harness links this file with the archive, using musl-gcc, into an
 * LD_PRELOAD-able Scudo for musl-linked programs (see docs/scudo-musl.md).
 * Which symbols are needed was established with `nm -u` on the archives of
 * LLVM 14 and 16 followed by a `-Wl,-z,defs` link against musl: everything else
 * the archive uses (__errno_location, __sched_cpucount, __tls_get_addr,
 * __stack_chk_fail, pthread_*, sched_getaffinity, ...) exists in musl.
 *
 * Written for this project; no code is taken from glibc or elsewhere.
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/*
 * glibc's _FORTIFY_SOURCE memcpy: Scudo's outputRaw() was compiled with
 * fortification, so it calls this with the destination's size. Same contract:
 * abort instead of overflowing.
 */
__attribute__((visibility("hidden"))) void *__memcpy_chk(void *dst, const void *src, size_t n, size_t dstlen) {
  if (n > dstlen) abort();
  return memcpy(dst, src, n);
}

/*
 * <execinfo.h> (glibc only). GWP-ASan, which Scudo embeds, records a stack trace
 * for each sampled allocation and prints them in its crash reports. musl has no
 * unwinder we can call from inside malloc without pulling in a glibc-built
 * libgcc_eh (it needs glibc's _dl_find_object), so this build records empty
 * traces: GWP-ASan still samples and guards allocations and still reports the
 * faulting access, without the allocation/deallocation stacks.
 */
__attribute__((visibility("hidden"))) int backtrace(void **buffer, int size) {
  (void)buffer;
  (void)size;
  return 0;
}

/* Called only with the frames backtrace() returned (none): an empty array. */
__attribute__((visibility("hidden"))) char **backtrace_symbols(void *const *buffer, int size) {
  (void)buffer;
  (void)size;
  /* The caller frees the array with free(): allocate it, even empty. */
  return calloc(1, sizeof(char *));
}
