/*
 * mallocbench workload runtime: argument parsing, allocator identity,
 * seeded PRNG, thread start gate and timer, object content validation and
 * the @result line. See workloads/README.md for the protocol.
 *
 * Every workload source must include this header FIRST, before any system
 * header, so that the feature-test macros below take effect.
 */
#ifndef MALLOCBENCH_H
#define MALLOCBENCH_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* Process exit codes (also documented in workloads/README.md). */
#define MB_EXIT_OK 0
#define MB_EXIT_USAGE 2
#define MB_EXIT_CORRUPTION 3
#define MB_EXIT_OOM 4
#define MB_EXIT_INTERNAL 5

#define MB_MAX_THREADS 1024

#if defined(__GNUC__) || defined(__clang__)
#define MB_NORETURN __attribute__((noreturn))
#define MB_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define MB_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define MB_NORETURN
#define MB_PRINTF(a, b)
#define MB_UNLIKELY(x) (x)
#endif

/* ---------------------------------------------------------------- sizes */

enum mb_size { MB_SIZE_QUICK = 0, MB_SIZE_DEFAULT = 1, MB_SIZE_FULL = 2 };

/* ----------------------------------------------------------- parameters */

/*
 * A workload-specific option "--name value". The workload declares a table
 * of these; the parser fills `value` (the per-size default unless given on
 * the command line) and rejects values outside [min, max].
 */
typedef struct mb_param {
    const char *name;
    const char *help;
    long long def[3]; /* default for quick, default, full */
    long long min;    /* smallest accepted value */
    long long max;    /* largest accepted value */
    long long value;  /* filled in by mb_init */
    int given;        /* 1 when set on the command line */
} mb_param;

typedef struct mb_workload {
    const char *name;        /* as in workload.json */
    const char *description; /* one line */
    mb_param *params;
    size_t nparams;
} mb_workload;

typedef struct mb_config {
    int threads;
    uint64_t seed;
    enum mb_size size;
    const char *size_name; /* "quick" | "default" | "full" */
} mb_config;

/*
 * Parses argv. Handles --help (usage to stdout, exit 0), --identify
 * (@identity line, exit 0) and errors (one line on stderr, exit 2).
 * Returns only when the workload should run.
 */
void mb_init(const mb_workload *wl, int argc, char **argv, mb_config *cfg);

/* Value of a declared parameter by name (internal error if undeclared). */
long long mb_param_value(const mb_workload *wl, const char *name);

/* One-line usage error on stderr, exit 2. For cross-parameter checks. */
MB_NORETURN MB_PRINTF(1, 2) void mb_usage_error(const char *fmt, ...);

/* One-line internal error on stderr, exit 5. */
MB_NORETURN MB_PRINTF(1, 2) void mb_internal_error(const char *fmt, ...);

/* Splits `total` units of work among `nthreads`: share of thread `tid`
 * (the first total % nthreads threads get one more). */
static inline uint64_t mb_share(uint64_t total, int nthreads, int tid)
{
    uint64_t n = (uint64_t)nthreads;
    return total / n + ((uint64_t)tid < total % n ? 1u : 0u);
}

/* ------------------------------------------------------------- identity */

/* The allocation entry points the runtime calls on a workload's behalf (so
 * every workload binary binds them all); each must reach the allocator
 * under test. */
enum mb_entry {
    MB_EP_MALLOC = 0,
    MB_EP_FREE,
    MB_EP_CALLOC,
    MB_EP_REALLOC,
    MB_EP_ALIGNED_ALLOC,
    MB_EP_POSIX_MEMALIGN,
    MB_EP_COUNT
};

extern const char *const mb_entry_names[MB_EP_COUNT];

/*
 * MB_USES("calloc") inside an allocation wrapper records, in the workload
 * binary itself, that the workload calls that entry point: a static string in
 * the section mb_uses, emitted only when the wrapper is used. The runtime
 * reads the section back (between the linker's __start_/__stop_ symbols) and
 * reports the list as `uses`, so the harness checks exactly the entry points
 * each workload can call (malloc and free always: the runtime uses them).
 * Nothing is added to the calls themselves.
 */
#if defined(__GNUC__) || defined(__clang__)
#define MB_HAVE_USES_SECTION 1
#define MB_USES(name)                                                                              \
    do {                                                                                           \
        static const char mb_uses_[] __attribute__((used, section("mb_uses"), aligned(1))) = name; \
        (void)mb_uses_;                                                                            \
    } while (0)
#else
#define MB_USES(name) ((void)0) /* the runtime then reports every entry point as used */
#endif

typedef struct mb_identity {
    char malloc_path[4096]; /* object file defining malloc (realpath) */
    char free_path[4096];   /* object file defining free (realpath) */
    /* object file defining each entry point (realpath; "" when unknown) */
    char entry_path[MB_EP_COUNT][4096];
    int uses[MB_EP_COUNT]; /* 1: the workload calls it (MB_USES; malloc and free always) */
    const char *libc;       /* "glibc" | "musl" | "unknown" */
    const char *libc_version; /* NULL when unknown (musl) */
} mb_identity;

/* Fills *id (computed once, cached). */
const mb_identity *mb_identity_get(void);

/* ------------------------------------------------------------------ PRNG */

/* xoshiro256** seeded through splitmix64. */
typedef struct mb_rng {
    uint64_t s[4];
} mb_rng;

/* splitmix64 finalizer: a good 64-bit bijective mixer. */
static inline uint64_t mb_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Seeds the generator for stream `stream` (e.g. thread index) of `seed`. */
void mb_rng_seed(mb_rng *r, uint64_t seed, uint64_t stream);

static inline uint64_t mb_rotl64(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t mb_rng_next(mb_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = mb_rotl64(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = mb_rotl64(s[3], 45);
    return result;
}

/* Uniform in [0, n); n > 0. Unbiased (rejection). */
static inline uint64_t mb_rng_below(mb_rng *r, uint64_t n)
{
    uint64_t threshold = (0 - n) % n; /* 2^64 mod n */
    for (;;) {
        uint64_t x = mb_rng_next(r);
        if (x >= threshold)
            return x % n;
    }
}

/* Uniform in [lo, hi] inclusive; lo <= hi. */
static inline uint64_t mb_rng_range(mb_rng *r, uint64_t lo, uint64_t hi)
{
    if (hi - lo == UINT64_MAX)
        return mb_rng_next(r);
    return lo + mb_rng_below(r, hi - lo + 1);
}

/* ---------------------------------------------------------- allocation */

/* Reports a failed allocation on stderr and exits 4. */
MB_NORETURN void mb_oom(size_t size);

/*
 * Instrumented allocation calls. Every workload allocates through these
 * (never malloc/free directly) so that the runtime can
 *   - exit 4 when an allocation returns NULL;
 *   - count the bytes the workload requested and still holds ("live bytes")
 *     and their peak over the run (peakLiveBytes in @result). Counting is
 *     per thread and folded into one shared counter whenever a thread's net
 *     change reaches max(256 B, 1/64 of the total at its last fold), capped
 *     at MB_LIVE_FLUSH, so the peak is exact to within threads times that
 *     step (under 2% per thread for live sets over 16 KiB) and the shared
 *     cache line is touched rarely;
 *   - sample the latency of single calls: per thread and per operation kind,
 *     one call in about `latency_every` (randomised between every/2 and
 *     3*every/2 so that periodic workloads do not alias) is timed with
 *     CLOCK_MONOTONIC into a log-bucketed histogram (8 sub-buckets per power
 *     of two, i.e. within 12.5%). Histograms are merged when threads exit.
 *     The period comes from the environment variable
 *     MALLOCBENCH_LATENCY_EVERY (default 256; 0 disables sampling).
 *
 * mb_free and mb_realloc take the size the block was requested with: the
 * runtime does not ask the allocator (malloc_usable_size is not portable and
 * would add allocator work to the measurement).
 */
enum mb_op {
    MB_OP_MALLOC = 0,
    MB_OP_FREE,
    MB_OP_REALLOC,
    MB_OP_CALLOC,
    MB_OP_ALIGNED, /* aligned_alloc and posix_memalign */
    MB_OP_COUNT
};

#define MB_LIVE_FLUSH (64 * 1024)

typedef struct mb_tstate {
    int32_t countdown[MB_OP_COUNT]; /* calls until the next timed one */
    int64_t live_delta;             /* bytes not yet folded into the total */
    int64_t live_step;              /* fold when |live_delta| reaches this */
    uint64_t rng;                   /* jitter for the sampling period */
    int registered;                 /* thread-exit merge is armed */
} mb_tstate;

extern __thread mb_tstate mb_tls;

/* Slow paths (mallocbench.c). */
void mb_live_flush(void);
void *mb_timed_call(enum mb_op op, void *p, size_t a, size_t b);

static inline void mb_live_add(int64_t bytes)
{
    int64_t d = mb_tls.live_delta + bytes;
    mb_tls.live_delta = d;
    if (MB_UNLIKELY(d >= mb_tls.live_step || d <= -mb_tls.live_step))
        mb_live_flush();
}

static inline int mb_sample_due(enum mb_op op)
{
    return MB_UNLIKELY(--mb_tls.countdown[op] <= 0);
}

/* malloc(size); exits 4 on NULL. */
static inline void *mb_malloc(size_t size)
{
    void *p = mb_sample_due(MB_OP_MALLOC) ? mb_timed_call(MB_OP_MALLOC, NULL, size, 0)
                                          : malloc(size);
    if (MB_UNLIKELY(p == NULL))
        mb_oom(size);
    mb_live_add((int64_t)size);
    return p;
}

/* free(p) of a block requested with `size` bytes. NULL is ignored. */
static inline void mb_free(void *p, size_t size)
{
    if (p == NULL)
        return;
    if (mb_sample_due(MB_OP_FREE))
        mb_timed_call(MB_OP_FREE, p, 0, 0);
    else
        free(p);
    mb_live_add(-(int64_t)size);
}

/* realloc(p, size) of a block requested with `old` bytes; exits 4 on NULL
 * (size > 0). */
static inline void *mb_realloc(void *p, size_t old, size_t size)
{
    MB_USES("realloc");
    void *q = mb_sample_due(MB_OP_REALLOC) ? mb_timed_call(MB_OP_REALLOC, p, size, 0)
                                           : realloc(p, size);
    if (MB_UNLIKELY(q == NULL && size > 0))
        mb_oom(size);
    mb_live_add((int64_t)size - (p ? (int64_t)old : 0));
    return q;
}

/* calloc(n, size); exits 4 on NULL (overflow of n*size is a usage error). */
static inline void *mb_calloc(size_t n, size_t size)
{
    MB_USES("calloc");
    void *p = mb_sample_due(MB_OP_CALLOC) ? mb_timed_call(MB_OP_CALLOC, NULL, n, size)
                                          : calloc(n, size);
    if (MB_UNLIKELY(p == NULL))
        mb_oom(n * size);
    mb_live_add((int64_t)(n * size));
    return p;
}

/* aligned_alloc(align, size); size is rounded up to a multiple of align as
 * C11 requires. Exits 4 on NULL. */
void *mb_aligned_alloc_impl(size_t align, size_t size);
static inline void *mb_aligned_alloc(size_t align, size_t size)
{
    MB_USES("aligned_alloc");
    return mb_aligned_alloc_impl(align, size);
}

/* posix_memalign(&p, align, size); exits 4 on failure. */
void *mb_posix_memalign_impl(size_t align, size_t size);
static inline void *mb_posix_memalign(size_t align, size_t size)
{
    MB_USES("posix_memalign");
    return mb_posix_memalign_impl(align, size);
}

/* Live bytes held right now by the whole process (flushes this thread). */
int64_t mb_live_bytes(void);

/*
 * Marks a phase boundary: prints "@phase <name> <seconds since start>" to
 * stdout (flushed), so the harness can line phases up with the RSS timeline.
 */
void mb_phase(const char *name);

/*
 * Content validation. mb_fill writes a pattern that depends only on
 * (tag, size) - never on the pointer - and mb_check verifies it, printing
 * "heap corruption detected: ..." and calling _exit(3) on mismatch.
 *
 * Covered bytes: for size < 16 every byte; otherwise the first 8 bytes, the
 * last 8 bytes, and one 8-byte word at every offset 64*k (k >= 1) that ends
 * before the last 8 bytes. So each block gets 2 + (size-16)/64 word writes.
 *
 * Both are out-of-line (defined in mallocbench.c) on purpose: the compiler
 * cannot see that the check always passes and so cannot elide the stores
 * or the malloc/free pair.
 */
void mb_fill(void *p, size_t size, uint64_t tag);
void mb_check(const void *p, size_t size, uint64_t tag);

/* ----------------------------------------------------- threads & timing */

/* Seconds from CLOCK_MONOTONIC. */
double mb_now(void);

/* Sleeps `ms` milliseconds (resumed after signals). Used for the hold
 * phases of the memory workloads, outside the measured region. */
void mb_sleep_ms(long long ms);

/*
 * Start gate: `n` workers call mb_gate_arrive (which blocks); the main
 * thread calls mb_gate_open, which waits until all n arrived, reads the
 * clock, then releases them and returns that time. Built from a mutex and
 * a condition variable (pthread_barrier_t is optional in POSIX).
 */
typedef struct mb_gate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int expected;
    int arrived;
    int open;
} mb_gate;

void mb_gate_init(mb_gate *g, int n);
void mb_gate_arrive(mb_gate *g);
double mb_gate_open(mb_gate *g);
void mb_gate_destroy(mb_gate *g);

/* Count-down latch: mb_latch_wait blocks until mb_latch_done was called
 * `n` times. */
typedef struct mb_latch {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int remaining;
} mb_latch;

void mb_latch_init(mb_latch *l, int n);
void mb_latch_done(mb_latch *l);
void mb_latch_wait(mb_latch *l);
void mb_latch_destroy(mb_latch *l);

/* Thin wrappers: internal error (exit 5) on failure. */
void mb_mutex_lock(pthread_mutex_t *m);
void mb_mutex_unlock(pthread_mutex_t *m);
void mb_cond_wait(pthread_cond_t *c, pthread_mutex_t *m);
void mb_cond_signal(pthread_cond_t *c);
void mb_cond_broadcast(pthread_cond_t *c);
void mb_thread_create(pthread_t *t, void *(*fn)(void *), void *arg);
void mb_thread_join(pthread_t t);

/*
 * Runs fn(tid, arg) on `nthreads` new threads (tid = 0..nthreads-1) behind
 * a start gate and returns the measured seconds: clock read after all
 * threads reached the gate and before release, and again after all joined.
 */
typedef void (*mb_thread_fn)(int tid, void *arg);
double mb_run_threads(int nthreads, mb_thread_fn fn, void *arg);

/* ----------------------------------------------------------- reporting */

/*
 * Writes `line` (ending in a newline) to the result channel in one write(2), so it is there even
 * if the process dies right after; to stdout (flushed) when the run has no channel. For the
 * hardening probes' markers, which must survive a crash and must not be forgeable on stdout.
 */
void mb_channel_write(const char *line);

/*
 * Writes the single @result record to the result channel (workloads/README.md, "Output"),
 * or to stdout when the run has none.
 * ops: allocator operations (mallocs + frees) in the measured region.
 */
void mb_report(const mb_workload *wl, const mb_config *cfg, uint64_t ops,
               double seconds, uint64_t checksum);

#endif /* MALLOCBENCH_H */
