/*
 * mallocbench workload runtime. See mallocbench.h and workloads/README.md.
 */
#include "mallocbench.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef __GLIBC__
#include <gnu/libc-version.h>
#endif

/* ------------------------------------------------------------- errors */

void mb_usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs("usage error: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs(" (try --help)\n", stderr);
    fflush(stderr);
    exit(MB_EXIT_USAGE);
}

void mb_internal_error(const char *fmt, ...)
{
    va_list ap;
    fputs("internal error: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    _exit(MB_EXIT_INTERNAL);
}

void mb_oom(size_t size)
{
    fprintf(stderr, "allocation failed: malloc(%zu) returned NULL\n", size);
    fflush(stderr);
    _exit(MB_EXIT_OOM);
}

/* Harness-internal allocation: not counted as live bytes, never timed. */
static void *rt_malloc(size_t size)
{
    void *p = malloc(size);
    if (p == NULL)
        mb_oom(size);
    return p;
}

/* ------------------------------------------- instrumented allocation */

/*
 * Latency histogram: values in nanoseconds. Values below 8 get one bucket
 * each; above, 8 sub-buckets per power of two (relative width 1/8).
 * Bucket of v >= 8 with e = floor(log2 v): (e - 2) * 8 + ((v >> (e - 3)) & 7).
 */
#define MB_HIST_BUCKETS 496 /* e up to 63 */

typedef struct mb_hist {
    uint64_t count;
    uint64_t max;
    uint64_t sum;
    uint64_t bucket[MB_HIST_BUCKETS];
} mb_hist;

static const char *const op_names[MB_OP_COUNT] = {"malloc", "free", "realloc", "calloc",
                                                  "aligned"};

__thread mb_tstate mb_tls;
static __thread mb_hist tls_hist[MB_OP_COUNT];

static int latency_every = 256; /* 0: sampling off */
static uint64_t clock_overhead_ns; /* median back-to-back clock read delta */
static int64_t live_total;       /* __atomic */
static int64_t live_peak;        /* __atomic */
static double t_start;           /* mb_init time, for @phase */
static pthread_key_t exit_key;
static pthread_mutex_t merge_mu = PTHREAD_MUTEX_INITIALIZER;
static mb_hist merged_hist[MB_OP_COUNT];

static unsigned hist_index(uint64_t v)
{
    if (v < 8)
        return (unsigned)v;
    unsigned e = 63u - (unsigned)__builtin_clzll(v);
    return (e - 2u) * 8u + (unsigned)((v >> (e - 3u)) & 7u);
}

/* Largest value that falls in bucket i. */
static uint64_t hist_upper(unsigned i)
{
    if (i < 8)
        return i;
    unsigned e = i / 8u + 2u;
    uint64_t sub = i % 8u;
    uint64_t lo = (UINT64_C(8) + sub) << (e - 3u);
    return lo + (UINT64_C(1) << (e - 3u)) - 1u;
}

static void hist_add(mb_hist *h, uint64_t v)
{
    h->count++;
    h->sum += v;
    if (v > h->max)
        h->max = v;
    h->bucket[hist_index(v)]++;
}

static void hist_merge(mb_hist *into, const mb_hist *from)
{
    into->count += from->count;
    into->sum += from->sum;
    if (from->max > into->max)
        into->max = from->max;
    for (unsigned i = 0; i < MB_HIST_BUCKETS; i++)
        into->bucket[i] += from->bucket[i];
}

/* Smallest bucket upper bound with at least q of the samples at or below
 * it (capped at the exact maximum). */
static uint64_t hist_quantile(const mb_hist *h, double q)
{
    if (h->count == 0)
        return 0;
    uint64_t rank = (uint64_t)(q * (double)h->count);
    if ((double)rank < q * (double)h->count)
        rank++;
    if (rank == 0)
        rank = 1;
    uint64_t seen = 0;
    for (unsigned i = 0; i < MB_HIST_BUCKETS; i++) {
        seen += h->bucket[i];
        if (seen >= rank) {
            uint64_t u = hist_upper(i);
            return u < h->max ? u : h->max;
        }
    }
    return h->max;
}

static int32_t next_period(void)
{
    /* xorshift64 jitter: uniform in [every/2, every/2 + every). */
    uint64_t x = mb_tls.rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    mb_tls.rng = x;
    int32_t half = latency_every / 2;
    return half + 1 + (int32_t)(x % (uint64_t)latency_every);
}

static void thread_exit_merge(void *unused)
{
    (void)unused;
    mb_live_flush();
    pthread_mutex_lock(&merge_mu);
    for (int k = 0; k < MB_OP_COUNT; k++)
        hist_merge(&merged_hist[k], &tls_hist[k]);
    pthread_mutex_unlock(&merge_mu);
    memset(tls_hist, 0, sizeof tls_hist);
    mb_tls.registered = 0;
}

static void register_thread(void)
{
    mb_tls.registered = 1;
    mb_tls.rng = mb_mix64((uint64_t)(uintptr_t)&mb_tls ^ UINT64_C(0x9e3779b97f4a7c15)) | 1u;
    /* Any non-NULL value arms the destructor (run at thread exit). */
    if (pthread_setspecific(exit_key, &mb_tls) != 0)
        mb_internal_error("pthread_setspecific failed");
}

void mb_live_flush(void)
{
    int64_t d = mb_tls.live_delta;
    mb_tls.live_delta = 0;
    if (d == 0) {
        if (mb_tls.live_step == 0)
            mb_tls.live_step = 256;
        return;
    }
    int64_t now = __atomic_add_fetch(&live_total, d, __ATOMIC_RELAXED);
    int64_t step = now / 64;
    mb_tls.live_step = step < 256 ? 256 : step > MB_LIVE_FLUSH ? MB_LIVE_FLUSH : step;
    int64_t peak = __atomic_load_n(&live_peak, __ATOMIC_RELAXED);
    while (now > peak &&
           !__atomic_compare_exchange_n(&live_peak, &peak, now, 1, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED)) {
    }
}

int64_t mb_live_bytes(void)
{
    mb_live_flush();
    return __atomic_load_n(&live_total, __ATOMIC_RELAXED);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

void *mb_timed_call(enum mb_op op, void *p, size_t a, size_t b)
{
    if (!mb_tls.registered)
        register_thread();
    if (latency_every <= 0) {
        /* Sampling off: never come back here for this kind. */
        mb_tls.countdown[op] = INT32_MAX;
    } else {
        mb_tls.countdown[op] = next_period();
    }
    int timed = latency_every > 0;
    uint64_t t0 = timed ? now_ns() : 0;
    void *r = NULL;
    switch (op) {
    case MB_OP_MALLOC:
        r = malloc(a);
        break;
    case MB_OP_FREE:
        free(p);
        break;
    case MB_OP_REALLOC:
        r = realloc(p, a);
        break;
    case MB_OP_CALLOC:
        r = calloc(a, b);
        break;
    case MB_OP_ALIGNED:
        if (p == NULL) {
            r = aligned_alloc(a, b);
        } else { /* p is only a marker: posix_memalign */
            void *q = NULL;
            r = posix_memalign(&q, a, b) == 0 ? q : NULL;
        }
        break;
    case MB_OP_COUNT:
        break;
    }
    if (timed) {
        uint64_t t1 = now_ns();
        hist_add(&tls_hist[op], t1 - t0);
    }
    return r;
}

void *mb_aligned_alloc_impl(size_t align, size_t size)
{
    if (align == 0 || (align & (align - 1)) != 0)
        mb_internal_error("mb_aligned_alloc: alignment %zu is not a power of two", align);
    size_t rounded = (size + align - 1) / align * align;
    void *r;
    if (mb_sample_due(MB_OP_ALIGNED))
        r = mb_timed_call(MB_OP_ALIGNED, NULL, align, rounded);
    else
        r = aligned_alloc(align, rounded);
    if (r == NULL)
        mb_oom(rounded);
    mb_live_add((int64_t)rounded);
    return r;
}

void *mb_posix_memalign_impl(size_t align, size_t size)
{
    if (align < sizeof(void *) || (align & (align - 1)) != 0)
        mb_internal_error("mb_posix_memalign: bad alignment %zu", align);
    void *r = NULL;
    if (mb_sample_due(MB_OP_ALIGNED)) {
        r = mb_timed_call(MB_OP_ALIGNED, &r, align, size);
    } else if (posix_memalign(&r, align, size) != 0) {
        r = NULL;
    }
    if (r == NULL && size > 0)
        mb_oom(size);
    mb_live_add((int64_t)size);
    return r;
}

void mb_sleep_ms(long long ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

void mb_phase(const char *name)
{
    printf("@phase %s %.6f\n", name, mb_now() - t_start);
    fflush(stdout);
}

static void runtime_init(void)
{
    t_start = mb_now();
    const char *env = getenv("MALLOCBENCH_LATENCY_EVERY");
    if (env != NULL && *env != '\0') {
        char *end = NULL;
        long v = strtol(env, &end, 10);
        if (end == env || *end != '\0' || v < 0 || v > 1000000000L)
            mb_usage_error("MALLOCBENCH_LATENCY_EVERY must be an integer 0..1000000000, not '%s'",
                           env);
        latency_every = (int)v;
    }
    if (latency_every > 0) {
        /* What an empty timed region reads as: the floor of every sample. */
        uint64_t d[63];
        for (int i = 0; i < 63; i++) {
            uint64_t a = now_ns();
            d[i] = now_ns() - a;
        }
        for (int i = 1; i < 63; i++) /* insertion sort, 63 values */
            for (int j = i; j > 0 && d[j - 1] > d[j]; j--) {
                uint64_t t = d[j];
                d[j] = d[j - 1];
                d[j - 1] = t;
            }
        clock_overhead_ns = d[31];
    }
    if (pthread_key_create(&exit_key, thread_exit_merge) != 0)
        mb_internal_error("pthread_key_create failed");
}

static void print_latency(FILE *f)
{
    /* The main thread's samples were never merged by a destructor. */
    pthread_mutex_lock(&merge_mu);
    for (int k = 0; k < MB_OP_COUNT; k++) {
        hist_merge(&merged_hist[k], &tls_hist[k]);
        memset(&tls_hist[k], 0, sizeof tls_hist[k]);
    }
    pthread_mutex_unlock(&merge_mu);
    fprintf(f, ",\"latency\":{\"unit\":\"ns\",\"sampleEvery\":%d,\"clockOverhead\":%" PRIu64,
            latency_every, clock_overhead_ns);
    for (int k = 0; k < MB_OP_COUNT; k++) {
        const mb_hist *h = &merged_hist[k];
        if (h->count == 0)
            continue;
        fprintf(f,
                ",\"%s\":{\"count\":%" PRIu64 ",\"mean\":%.1f,\"p50\":%" PRIu64
                ",\"p90\":%" PRIu64 ",\"p99\":%" PRIu64 ",\"p999\":%" PRIu64
                ",\"max\":%" PRIu64 "}",
                op_names[k], h->count, (double)h->sum / (double)h->count,
                hist_quantile(h, 0.5), hist_quantile(h, 0.9), hist_quantile(h, 0.99),
                hist_quantile(h, 0.999), h->max);
    }
    fputc('}', f);
}

/* ------------------------------------------------------- JSON output */

static void json_string(FILE *f, const char *s)
{
    if (s == NULL) {
        fputs("null", f);
        return;
    }
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

/* ----------------------------------------------------------- identity */

/* Marker: an address inside the main executable (this file is linked into
 * every workload). */
static void exe_marker(void) {}

static int same_object(const void *a, const void *b)
{
    Dl_info ia, ib;
    if (dladdr(a, &ia) == 0 || dladdr(b, &ib) == 0)
        return 0;
    return ia.dli_fbase == ib.dli_fbase;
}

/* Function pointer -> data pointer (POSIX guarantees this round-trips). */
#define MB_FN_ADDR(fn, out)                                                                        \
    do {                                                                                           \
        void (*fp_)(void) = (void (*)(void))(fn);                                                  \
        memcpy(&(out), &fp_, sizeof(out));                                                         \
    } while (0)

/*
 * Object file that defines the function the program actually calls as
 * `sym`, given by its address `addr` as seen from this executable. For a
 * PIE (the default) that address is loaded from the GOT, which the dynamic
 * linker filled with the same rules (symbol versions included) as the calls
 * themselves. This matters: an unversioned dlsym(RTLD_DEFAULT, "malloc")
 * also finds a preloaded malloc defined under a foreign symbol version,
 * although glibc binds the program's malloc@GLIBC_x references elsewhere.
 * For a non-PIE executable the address can be a PLT stub inside the
 * executable itself; then the next definition after the executable
 * (dlsym(RTLD_NEXT)) is used. Empty string when unknown.
 */
static void object_defining(const char *sym, void *addr, char *out, size_t outlen)
{
    out[0] = '\0';
    void *here;
    MB_FN_ADDR(exe_marker, here);
    if (addr == NULL || same_object(addr, here))
        addr = dlsym(RTLD_NEXT, sym);
    if (addr == NULL)
        return;
    Dl_info info;
    memset(&info, 0, sizeof info);
    if (dladdr(addr, &info) == 0 || info.dli_fname == NULL)
        return;
    const char *name = info.dli_fname;
    char resolved[PATH_MAX];
    if (name[0] != '\0' && realpath(name, resolved) != NULL)
        name = resolved;
    else if (name[0] == '\0' || strchr(name, '/') == NULL) {
        /* Main executable reported without a usable path. */
        ssize_t n = readlink("/proc/self/exe", resolved, sizeof resolved - 1);
        if (n > 0) {
            resolved[n] = '\0';
            name = resolved;
        }
    }
    if (strlen(name) >= outlen)
        return;
    strcpy(out, name);
}

#ifdef MB_HAVE_USES_SECTION
/* The runtime itself allocates with malloc and free (and this keeps the
 * section present in every binary, so the linker defines its bounds). */
static const char uses_runtime[] __attribute__((used, section("mb_uses"), aligned(1))) =
    "malloc\0free";
extern const char __start_mb_uses[], __stop_mb_uses[];
#endif

/* Which entry points the workload calls: the names MB_USES left in the binary. */
static void read_uses(int *uses)
{
#ifdef MB_HAVE_USES_SECTION
    (void)uses_runtime;
    for (int e = 0; e < MB_EP_COUNT; e++)
        uses[e] = 0;
    for (const char *p = __start_mb_uses; p < __stop_mb_uses; p += strlen(p) + 1)
        for (int e = 0; e < MB_EP_COUNT; e++)
            if (strcmp(p, mb_entry_names[e]) == 0)
                uses[e] = 1;
#else
    for (int e = 0; e < MB_EP_COUNT; e++)
        uses[e] = 1;
#endif
    uses[MB_EP_MALLOC] = uses[MB_EP_FREE] = 1;
}

const mb_identity *mb_identity_get(void)
{
    static mb_identity id;
    static int done;
    if (done)
        return &id;
    void *addrs[MB_EP_COUNT];
    MB_FN_ADDR(malloc, addrs[MB_EP_MALLOC]);
    MB_FN_ADDR(free, addrs[MB_EP_FREE]);
    MB_FN_ADDR(calloc, addrs[MB_EP_CALLOC]);
    MB_FN_ADDR(realloc, addrs[MB_EP_REALLOC]);
    MB_FN_ADDR(aligned_alloc, addrs[MB_EP_ALIGNED_ALLOC]);
    MB_FN_ADDR(posix_memalign, addrs[MB_EP_POSIX_MEMALIGN]);
    for (int e = 0; e < MB_EP_COUNT; e++)
        object_defining(mb_entry_names[e], addrs[e], id.entry_path[e], sizeof id.entry_path[e]);
    read_uses(id.uses);
    memcpy(id.malloc_path, id.entry_path[MB_EP_MALLOC], sizeof id.malloc_path);
    memcpy(id.free_path, id.entry_path[MB_EP_FREE], sizeof id.free_path);
#if defined(__GLIBC__)
    id.libc = "glibc";
    id.libc_version = gnu_get_libc_version();
#elif defined(__linux__) && !defined(__UCLIBC__) && !defined(__BIONIC__) && \
    !defined(__ANDROID__)
    /* musl deliberately defines no identifying macro and has no version
     * API; on Linux a libc that is none of the above is taken as musl. */
    id.libc = "musl";
    id.libc_version = NULL;
#else
    id.libc = "unknown";
    id.libc_version = NULL;
#endif
    done = 1;
    return &id;
}

const char *const mb_entry_names[MB_EP_COUNT] = {"malloc",  "free",          "calloc",
                                                  "realloc", "aligned_alloc", "posix_memalign"};

/* ,"entryPoints":{"malloc":"/path",...} (null where unknown),"uses":["malloc",...] */
static void print_entry_points(FILE *f, const mb_identity *id)
{
    fputs(",\"entryPoints\":{", f);
    for (int e = 0; e < MB_EP_COUNT; e++) {
        if (e > 0)
            fputc(',', f);
        json_string(f, mb_entry_names[e]);
        fputc(':', f);
        json_string(f, id->entry_path[e][0] ? id->entry_path[e] : NULL);
    }
    fputs("},\"uses\":[", f);
    for (int e = 0, n = 0; e < MB_EP_COUNT; e++) {
        if (!id->uses[e])
            continue;
        if (n++ > 0)
            fputc(',', f);
        json_string(f, mb_entry_names[e]);
    }
    fputc(']', f);
}

static void print_identity(void)
{
    const mb_identity *id = mb_identity_get();
    fputs("@identity {\"malloc\":", stdout);
    json_string(stdout, id->malloc_path[0] ? id->malloc_path : NULL);
    fputs(",\"free\":", stdout);
    json_string(stdout, id->free_path[0] ? id->free_path : NULL);
    print_entry_points(stdout, id);
    fputs(",\"libc\":", stdout);
    json_string(stdout, id->libc);
    fputs(",\"libcVersion\":", stdout);
    json_string(stdout, id->libc_version);
    fputs("}\n", stdout);
    fflush(stdout);
}

/* ---------------------------------------------------- argument parsing */

static const char *const size_names[3] = {"quick", "default", "full"};

static void print_help(const mb_workload *wl, const char *prog)
{
    printf("%s: %s\n\n", wl->name, wl->description);
    printf("usage: %s [--threads N] [--seed S] [--size quick|default|full]", prog);
    for (size_t i = 0; i < wl->nparams; i++)
        printf(" [--%s N]", wl->params[i].name);
    printf("\n       %s --identify | --help\n\n", prog);
    printf("  --threads N     worker threads (1..%d, default 1)\n", MB_MAX_THREADS);
    printf("  --seed S        PRNG seed, unsigned 64-bit decimal (default 1)\n");
    printf("  --size NAME     quick | default | full: selects parameter defaults (default: default)\n");
    printf("  --identify      print the @identity line and exit\n");
    printf("  --help          this text\n");
    if (wl->nparams > 0)
        printf("\nworkload parameters (defaults quick/default/full):\n");
    for (size_t i = 0; i < wl->nparams; i++) {
        const mb_param *p = &wl->params[i];
        printf("  --%-14s %s [%lld/%lld/%lld; range %lld..%lld]\n", p->name, p->help,
               p->def[0], p->def[1], p->def[2], p->min, p->max);
    }
    fflush(stdout);
}

static long long parse_ll(const char *opt, const char *s, long long min, long long max)
{
    if (s == NULL || *s == '\0')
        mb_usage_error("--%s needs an integer value", opt);
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0')
        mb_usage_error("--%s: '%s' is not an integer", opt, s);
    if (v < min || v > max)
        mb_usage_error("--%s: %lld is out of range %lld..%lld", opt, v, min, max);
    return v;
}

static uint64_t parse_u64(const char *opt, const char *s)
{
    if (s == NULL || *s < '0' || *s > '9')
        mb_usage_error("--%s needs an unsigned integer value", opt);
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0')
        mb_usage_error("--%s: '%s' is not an unsigned 64-bit integer", opt, s);
    return (uint64_t)v;
}

/*
 * The result channel (workloads/README.md, "Output"): a descriptor the launcher opened and named
 * in MALLOCBENCH_RESULT_FD. Taken before anything else runs, marked close-on-exec and removed
 * from the environment, so no child inherits it; -1 without one (the record goes to stdout).
 */
static int result_fd = -1;

static void take_result_channel(void)
{
    const char *v = getenv("MALLOCBENCH_RESULT_FD");
    if (v == NULL)
        return;
    char *end = NULL;
    errno = 0;
    long fd = strtol(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0' || fd < 3 || fd > INT_MAX ||
        fcntl((int)fd, F_SETFD, FD_CLOEXEC) != 0)
        mb_internal_error("MALLOCBENCH_RESULT_FD=%s is not an open descriptor above 2", v);
    result_fd = (int)fd;
    unsetenv("MALLOCBENCH_RESULT_FD");
}

void mb_channel_write(const char *line)
{
    if (result_fd < 0) {
        fputs(line, stdout);
        fflush(stdout);
        return;
    }
    size_t n = strlen(line);
    while (n > 0) {
        ssize_t w = write(result_fd, line, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            mb_internal_error("cannot write the result channel: %s", strerror(errno));
        line += w;
        n -= (size_t)w;
    }
}

void mb_init(const mb_workload *wl, int argc, char **argv, mb_config *cfg)
{
    int want_help = 0, want_identify = 0;
    take_result_channel();
    cfg->threads = 1;
    cfg->seed = 1;
    cfg->size = MB_SIZE_DEFAULT;
    for (size_t i = 0; i < wl->nparams; i++)
        wl->params[i].given = 0;

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            want_help = 1;
            continue;
        }
        if (strcmp(arg, "--identify") == 0) {
            want_identify = 1;
            continue;
        }
        if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0')
            mb_usage_error("unexpected argument '%s'", arg);

        /* --name value or --name=value */
        char name[64];
        const char *value;
        const char *eq = strchr(arg + 2, '=');
        size_t len = eq ? (size_t)(eq - (arg + 2)) : strlen(arg + 2);
        if (len == 0 || len >= sizeof name)
            mb_usage_error("unknown option '%s'", arg);
        memcpy(name, arg + 2, len);
        name[len] = '\0';

        int known = strcmp(name, "threads") == 0 || strcmp(name, "seed") == 0 ||
                    strcmp(name, "size") == 0;
        mb_param *param = NULL;
        for (size_t k = 0; !known && k < wl->nparams; k++)
            if (strcmp(name, wl->params[k].name) == 0)
                param = &wl->params[k];
        if (!known && param == NULL)
            mb_usage_error("unknown option '--%s'", name);

        if (eq) {
            value = eq + 1;
        } else {
            if (i + 1 >= argc)
                mb_usage_error("--%s needs a value", name);
            value = argv[++i];
        }

        if (strcmp(name, "threads") == 0) {
            cfg->threads = (int)parse_ll(name, value, 1, MB_MAX_THREADS);
        } else if (strcmp(name, "seed") == 0) {
            cfg->seed = parse_u64(name, value);
        } else if (strcmp(name, "size") == 0) {
            int found = 0;
            for (int s = 0; s < 3; s++)
                if (strcmp(value, size_names[s]) == 0) {
                    cfg->size = (enum mb_size)s;
                    found = 1;
                }
            if (!found)
                mb_usage_error("--size must be quick, default or full, not '%s'", value);
        } else {
            param->value = parse_ll(name, value, param->min, param->max);
            param->given = 1;
        }
    }

    cfg->size_name = size_names[cfg->size];
    for (size_t i = 0; i < wl->nparams; i++)
        if (!wl->params[i].given)
            wl->params[i].value = wl->params[i].def[cfg->size];

    if (want_help) {
        print_help(wl, argc > 0 ? argv[0] : wl->name);
        exit(MB_EXIT_OK);
    }
    if (want_identify) {
        print_identity();
        exit(MB_EXIT_OK);
    }
    runtime_init();
}

long long mb_param_value(const mb_workload *wl, const char *name)
{
    for (size_t i = 0; i < wl->nparams; i++)
        if (strcmp(wl->params[i].name, name) == 0)
            return wl->params[i].value;
    mb_internal_error("parameter '%s' is not declared", name);
}

/* --------------------------------------------------------------- PRNG */

void mb_rng_seed(mb_rng *r, uint64_t seed, uint64_t stream)
{
    /* splitmix64 stream from a state that mixes seed and stream index. */
    uint64_t x = mb_mix64(seed ^ UINT64_C(0x6a09e667f3bcc909)) ^
                 mb_mix64(stream + UINT64_C(0x3c6ef372fe94f82b));
    for (int i = 0; i < 4; i++) {
        x += UINT64_C(0x9e3779b97f4a7c15);
        r->s[i] = mb_mix64(x);
    }
    if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0)
        r->s[0] = 1; /* the all-zero state is a fixed point */
}

/* ----------------------------------------------------- content checks */

static inline uint64_t pattern_key(size_t size, uint64_t tag)
{
    return mb_mix64(tag ^ mb_mix64((uint64_t)size + UINT64_C(0xa54ff53a5f1d36f1)));
}

static inline uint64_t pattern_word(uint64_t key, size_t off)
{
    return mb_mix64(key + (uint64_t)off * UINT64_C(0x9e3779b97f4a7c15));
}

static inline void store64(unsigned char *p, uint64_t v)
{
    memcpy(p, &v, sizeof v);
}

static inline uint64_t load64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

void mb_fill(void *ptr, size_t size, uint64_t tag)
{
    unsigned char *p = ptr;
    uint64_t key = pattern_key(size, tag);
    if (size < 16) {
        uint64_t w0 = pattern_word(key, 0), w1 = pattern_word(key, 8);
        for (size_t i = 0; i < size; i++)
            p[i] = (unsigned char)(i < 8 ? w0 >> (8 * i) : w1 >> (8 * (i - 8)));
        return;
    }
    store64(p, pattern_word(key, 0));
    for (size_t off = 64; off + 16 <= size; off += 64)
        store64(p + off, pattern_word(key, off));
    store64(p + size - 8, pattern_word(key, size - 8));
}

MB_NORETURN static void corruption(const void *ptr, size_t size, uint64_t tag, size_t off,
                                   uint64_t got, uint64_t want, int nbytes)
{
    fprintf(stderr,
            "heap corruption detected: block %p (size %zu, tag 0x%016" PRIx64 "): %d byte(s) at "
            "offset %zu read 0x%0*" PRIx64 ", expected 0x%0*" PRIx64 "\n",
            ptr, size, tag, nbytes, off, nbytes * 2, got, nbytes * 2, want);
    fflush(stderr);
    _exit(MB_EXIT_CORRUPTION);
}

void mb_check(const void *ptr, size_t size, uint64_t tag)
{
    const unsigned char *p = ptr;
    uint64_t key = pattern_key(size, tag);
    if (size < 16) {
        uint64_t w0 = pattern_word(key, 0), w1 = pattern_word(key, 8);
        for (size_t i = 0; i < size; i++) {
            unsigned char want = (unsigned char)(i < 8 ? w0 >> (8 * i) : w1 >> (8 * (i - 8)));
            if (MB_UNLIKELY(p[i] != want))
                corruption(ptr, size, tag, i, p[i], want, 1);
        }
        return;
    }
    uint64_t want = pattern_word(key, 0), got = load64(p);
    if (MB_UNLIKELY(got != want))
        corruption(ptr, size, tag, 0, got, want, 8);
    for (size_t off = 64; off + 16 <= size; off += 64) {
        want = pattern_word(key, off);
        got = load64(p + off);
        if (MB_UNLIKELY(got != want))
            corruption(ptr, size, tag, off, got, want, 8);
    }
    want = pattern_word(key, size - 8);
    got = load64(p + size - 8);
    if (MB_UNLIKELY(got != want))
        corruption(ptr, size, tag, size - 8, got, want, 8);
}

/* ---------------------------------------------------- pthread wrappers */

void mb_mutex_lock(pthread_mutex_t *m)
{
    int rc = pthread_mutex_lock(m);
    if (rc != 0)
        mb_internal_error("pthread_mutex_lock: %s", strerror(rc));
}

void mb_mutex_unlock(pthread_mutex_t *m)
{
    int rc = pthread_mutex_unlock(m);
    if (rc != 0)
        mb_internal_error("pthread_mutex_unlock: %s", strerror(rc));
}

void mb_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
    int rc = pthread_cond_wait(c, m);
    if (rc != 0)
        mb_internal_error("pthread_cond_wait: %s", strerror(rc));
}

void mb_cond_signal(pthread_cond_t *c)
{
    int rc = pthread_cond_signal(c);
    if (rc != 0)
        mb_internal_error("pthread_cond_signal: %s", strerror(rc));
}

void mb_cond_broadcast(pthread_cond_t *c)
{
    int rc = pthread_cond_broadcast(c);
    if (rc != 0)
        mb_internal_error("pthread_cond_broadcast: %s", strerror(rc));
}

void mb_thread_create(pthread_t *t, void *(*fn)(void *), void *arg)
{
    int rc = pthread_create(t, NULL, fn, arg);
    if (rc != 0)
        mb_internal_error("pthread_create: %s", strerror(rc));
}

void mb_thread_join(pthread_t t)
{
    int rc = pthread_join(t, NULL);
    if (rc != 0)
        mb_internal_error("pthread_join: %s", strerror(rc));
}

static void init_sync(pthread_mutex_t *mu, pthread_cond_t *cv)
{
    int rc = pthread_mutex_init(mu, NULL);
    if (rc == 0)
        rc = pthread_cond_init(cv, NULL);
    if (rc != 0)
        mb_internal_error("pthread sync init: %s", strerror(rc));
}

/* ------------------------------------------------------ gate & latch */

void mb_gate_init(mb_gate *g, int n)
{
    init_sync(&g->mu, &g->cv);
    g->expected = n;
    g->arrived = 0;
    g->open = 0;
}

void mb_gate_arrive(mb_gate *g)
{
    mb_mutex_lock(&g->mu);
    g->arrived++;
    if (g->arrived == g->expected)
        mb_cond_broadcast(&g->cv);
    while (!g->open)
        mb_cond_wait(&g->cv, &g->mu);
    mb_mutex_unlock(&g->mu);
}

double mb_gate_open(mb_gate *g)
{
    mb_mutex_lock(&g->mu);
    while (g->arrived < g->expected)
        mb_cond_wait(&g->cv, &g->mu);
    double t0 = mb_now();
    g->open = 1;
    mb_cond_broadcast(&g->cv);
    mb_mutex_unlock(&g->mu);
    return t0;
}

void mb_gate_destroy(mb_gate *g)
{
    pthread_cond_destroy(&g->cv);
    pthread_mutex_destroy(&g->mu);
}

void mb_latch_init(mb_latch *l, int n)
{
    init_sync(&l->mu, &l->cv);
    l->remaining = n;
}

void mb_latch_done(mb_latch *l)
{
    mb_mutex_lock(&l->mu);
    if (--l->remaining <= 0)
        mb_cond_broadcast(&l->cv);
    mb_mutex_unlock(&l->mu);
}

void mb_latch_wait(mb_latch *l)
{
    mb_mutex_lock(&l->mu);
    while (l->remaining > 0)
        mb_cond_wait(&l->cv, &l->mu);
    mb_mutex_unlock(&l->mu);
}

void mb_latch_destroy(mb_latch *l)
{
    pthread_cond_destroy(&l->cv);
    pthread_mutex_destroy(&l->mu);
}

/* ------------------------------------------------------------- timing */

double mb_now(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        mb_internal_error("clock_gettime(CLOCK_MONOTONIC) failed");
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

struct run_slot {
    mb_thread_fn fn;
    void *arg;
    int tid;
    mb_gate *gate;
};

static void *run_trampoline(void *p)
{
    struct run_slot *s = p;
    mb_gate_arrive(s->gate);
    s->fn(s->tid, s->arg);
    return NULL;
}

/*
 * MB_REGION_REPEATS (compile time, default 1) runs the measured region that many times in one
 * process and reports the median. Only perf/region-repeats.ts builds with it, to measure whether
 * repetition narrows the spread (docs/gate-calibration.md); workloads that mutate the state they
 * leave would not measure the same region twice, so bench run never builds it.
 */
#ifndef MB_REGION_REPEATS
#define MB_REGION_REPEATS 1
#endif

static double run_region(int nthreads, mb_thread_fn fn, void *arg);

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double mb_run_threads(int nthreads, mb_thread_fn fn, void *arg)
{
    if (nthreads < 1)
        mb_internal_error("mb_run_threads: %d threads", nthreads);
    double seconds[MB_REGION_REPEATS];
    for (int r = 0; r < MB_REGION_REPEATS; r++)
        seconds[r] = run_region(nthreads, fn, arg);
    qsort(seconds, MB_REGION_REPEATS, sizeof seconds[0], compare_doubles);
    return MB_REGION_REPEATS % 2 == 1
               ? seconds[MB_REGION_REPEATS / 2]
               : (seconds[MB_REGION_REPEATS / 2 - 1] + seconds[MB_REGION_REPEATS / 2]) / 2;
}

static double run_region(int nthreads, mb_thread_fn fn, void *arg)
{
    pthread_t *ids = rt_malloc(sizeof *ids * (size_t)nthreads);
    struct run_slot *slots = rt_malloc(sizeof *slots * (size_t)nthreads);
    mb_gate gate;
    mb_gate_init(&gate, nthreads);
    for (int i = 0; i < nthreads; i++) {
        slots[i] = (struct run_slot){fn, arg, i, &gate};
        mb_thread_create(&ids[i], run_trampoline, &slots[i]);
    }
    double t0 = mb_gate_open(&gate);
    for (int i = 0; i < nthreads; i++)
        mb_thread_join(ids[i]);
    double t1 = mb_now();
    mb_gate_destroy(&gate);
    free(slots);
    free(ids);
    return t1 - t0;
}

/* ---------------------------------------------------------- reporting */

static void report_to(FILE *out, const mb_workload *wl, const mb_config *cfg, uint64_t ops,
                      double seconds, uint64_t checksum, const mb_identity *id)
{
    fputs("@result {\"workload\":", out);
    json_string(out, wl->name);
    fprintf(out,
            ",\"ops\":%" PRIu64 ",\"seconds\":%.9g,\"threads\":%d,\"seed\":%" PRIu64 ",\"size\":",
            ops, seconds, cfg->threads, cfg->seed);
    json_string(out, cfg->size_name);
    fputs(",\"allocator\":", out);
    json_string(out, id->malloc_path[0] ? id->malloc_path : NULL);
    print_entry_points(out, id);
    fputs(",\"libc\":", out);
    json_string(out, id->libc);
    fprintf(out, ",\"checksum\":\"0x%016" PRIx64 "\",\"params\":{", checksum);
    for (size_t i = 0; i < wl->nparams; i++) {
        if (i > 0)
            fputc(',', out);
        json_string(out, wl->params[i].name);
        fprintf(out, ":%lld", wl->params[i].value);
    }
    fputc('}', out);
    int64_t live_now = mb_live_bytes();
    fprintf(out, ",\"peakLiveBytes\":%" PRId64 ",\"finalLiveBytes\":%" PRId64,
            __atomic_load_n(&live_peak, __ATOMIC_RELAXED), live_now);
    print_latency(out);
    fputs("}\n", out);
}

void mb_report(const mb_workload *wl, const mb_config *cfg, uint64_t ops, double seconds,
               uint64_t checksum)
{
    static int reported;
    /* One buffer for the whole record, so it reaches the channel in one write. */
    static char record[1 << 16];
    if (reported)
        mb_internal_error("mb_report called twice");
    reported = 1;
    const mb_identity *id = mb_identity_get();
    FILE *out = stdout;
    if (result_fd >= 0) {
        out = fdopen(result_fd, "w");
        if (out == NULL || setvbuf(out, record, _IOFBF, sizeof record) != 0)
            mb_internal_error("cannot write the result channel: %s", strerror(errno));
    }
    report_to(out, wl, cfg, ops, seconds, checksum, id);
    /* Closing the channel: nothing later in the process (destructors included) can reach it. */
    if (out != stdout ? fclose(out) != 0 : fflush(out) != 0)
        mb_internal_error("cannot write the result record: %s", strerror(errno));
    result_fd = -1;
}
