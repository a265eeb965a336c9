/*
 * mallocbench: interposition probe for external programs (docs/programs.md).
 *
 * Preloaded AFTER the allocator under test (LD_PRELOAD="<allocator>:<this>"). It defines no
 * allocation function, so it changes no symbol binding. Its constructor names the object file
 * each allocation entry point of the process resolves to: the address this library's own
 * reference was bound to (dladdr of it). Built against the program's libc, that reference
 * carries the same symbol version as the program's (malloc@GLIBC_2.2.5 on x86_64 glibc), so it
 * binds where the program's calls go; an unversioned dlsym(RTLD_DEFAULT) would also find a
 * malloc exported under a foreign version that the program never calls
 * (test/fixtures/libs/versioned-malloc.c). It also names the libc (the object defining
 * __libc_start_main, in glibc and in musl alike) and lists the object files mapped in
 * /proc/self/maps. It appends one JSON line to $MALLOCBENCH_IDENTITY_FILE and does
 * nothing when that variable is unset. Processes the program starts append their own lines (pid
 * tells them apart).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct buf {
    char data[65536];
    size_t len;
    int overflow;
};

static void put(struct buf *b, const char *s)
{
    size_t n = strlen(s);
    if (b->len + n >= sizeof(b->data)) {
        b->overflow = 1;
        return;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
}

/* A JSON string; paths hold no control characters in practice, but escape them anyway. */
static void put_string(struct buf *b, const char *s)
{
    char one[8];
    put(b, "\"");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            one[0] = '\\';
            one[1] = (char)c;
            one[2] = 0;
        } else if (c < 0x20) {
            snprintf(one, sizeof(one), "\\u%04x", c);
        } else {
            one[0] = (char)c;
            one[1] = 0;
        }
        put(b, one);
    }
    put(b, "\"");
}

/* Weak: an entry point the libc lacks (musl has no pvalloc) is a null address, not a load error. */
extern void *malloc(size_t) __attribute__((weak));
extern void free(void *) __attribute__((weak));
extern void *calloc(size_t, size_t) __attribute__((weak));
extern void *realloc(void *, size_t) __attribute__((weak));
extern void *aligned_alloc(size_t, size_t) __attribute__((weak));
extern int posix_memalign(void **, size_t, size_t) __attribute__((weak));
extern void *memalign(size_t, size_t) __attribute__((weak));
extern size_t malloc_usable_size(void *) __attribute__((weak));
extern void *valloc(size_t) __attribute__((weak));
extern void *pvalloc(size_t) __attribute__((weak));

/* Function pointer -> data pointer (POSIX guarantees this round-trips). */
#define FN_ADDR(fn) fn_addr((void (*)(void))(fn))
static void *fn_addr(void (*fn)(void))
{
    void *p;
    memcpy(&p, &fn, sizeof p);
    return p;
}

static void put_object_at(struct buf *b, void *address)
{
    Dl_info info;
    if (address != NULL && dladdr(address, &info) != 0 && info.dli_fname != NULL &&
        info.dli_fname[0] != 0)
        put_string(b, info.dli_fname);
    else
        put(b, "null");
}

static void put_object_of(struct buf *b, const char *symbol)
{
    put_object_at(b, dlsym(RTLD_DEFAULT, symbol));
}

/* Distinct file-backed mappings, in the order they appear. */
static void put_mapped(struct buf *b)
{
    static char seen[32768];
    size_t seen_len = 0;
    char line[4608];
    int first = 1;
    FILE *maps = fopen("/proc/self/maps", "re");
    put(b, "[");
    if (maps != NULL) {
        while (fgets(line, sizeof(line), maps) != NULL) {
            char *file = strchr(line, '/');
            if (file == NULL)
                continue;
            file[strcspn(file, "\n")] = 0;
            size_t n = strlen(file);
            int duplicate = 0;
            for (size_t at = 0; at < seen_len; at += strlen(seen + at) + 1) {
                if (strcmp(seen + at, file) == 0) {
                    duplicate = 1;
                    break;
                }
            }
            if (duplicate)
                continue;
            if (seen_len + n + 1 < sizeof(seen)) {
                memcpy(seen + seen_len, file, n + 1);
                seen_len += n + 1;
            }
            if (!first)
                put(b, ",");
            first = 0;
            put_string(b, file);
        }
        fclose(maps);
    }
    put(b, "]");
}

/* Every entry point the harness may check (PROGRAM_ENTRY_POINTS in src/setup/identity.ts). */
static const char *const entry_points[] = {"malloc",         "free",     "calloc",
                                           "realloc",        "aligned_alloc",
                                           "posix_memalign", "memalign", "malloc_usable_size",
                                           "valloc",         "pvalloc"};

__attribute__((constructor)) static void mallocbench_identity(void)
{
    const char *target = getenv("MALLOCBENCH_IDENTITY_FILE");
    if (target == NULL || target[0] == 0)
        return;
    static struct buf b;
    char pid[32];
    b.len = 0;
    b.overflow = 0;
    snprintf(pid, sizeof(pid), "%ld", (long)getpid());
    put(&b, "{\"pid\":");
    put(&b, pid);
    /* In the order of entry_points. */
    void *const addresses[] = {FN_ADDR(malloc),         FN_ADDR(free),     FN_ADDR(calloc),
                               FN_ADDR(realloc),        FN_ADDR(aligned_alloc),
                               FN_ADDR(posix_memalign), FN_ADDR(memalign), FN_ADDR(malloc_usable_size),
                               FN_ADDR(valloc),         FN_ADDR(pvalloc)};
    put(&b, ",\"malloc\":");
    put_object_at(&b, addresses[0]);
    put(&b, ",\"free\":");
    put_object_at(&b, addresses[1]);
    put(&b, ",\"entryPoints\":{");
    for (size_t i = 0; i < sizeof(entry_points) / sizeof(entry_points[0]); i++) {
        if (i > 0)
            put(&b, ",");
        put_string(&b, entry_points[i]);
        put(&b, ":");
        put_object_at(&b, addresses[i]);
    }
    put(&b, "}");
    put(&b, ",\"libc\":");
    put_object_of(&b, "__libc_start_main");
    put(&b, ",\"mapped\":");
    put_mapped(&b);
    put(&b, "}\n");
    if (b.overflow)
        return; /* a truncated line would be misread; no line reads as "not verified" */
    int fd = open(target, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    ssize_t written = write(fd, b.data, b.len);
    (void)written;
    close(fd);
}
