/*
 * launcher.c - run ONE program once, measure it from the outside, and print
 * ONE JSON record on stdout.  See README.md in this directory.
 *
 *   launcher [options] -- PROGRAM [ARGS...]
 *
 * Portable Linux C (glibc and musl; x86_64, aarch64, ppc64le, riscv64).  It
 * deliberately does not include <linux/perf_event.h> (musl-gcc has no kernel
 * headers); the few perf ABI definitions needed are mirrored below.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LAUNCHER_FORMAT 1
#define LAUNCHER_VERSION "1.0.0"

/* ------------------------------------------------------------------------ */
/* perf_event ABI subset (mirrors the first PERF_ATTR_SIZE_VER0 = 64 bytes   */
/* of struct perf_event_attr; bitfields are declared exactly as the kernel   */
/* header does, so the layout matches on any endianness).                    */

struct lp_perf_attr {
    uint32_t type;
    uint32_t size;
    uint64_t config;
    uint64_t sample_period;
    uint64_t sample_type;
    uint64_t read_format;
    uint64_t disabled : 1, inherit : 1, pinned : 1, exclusive : 1, exclude_user : 1,
        exclude_kernel : 1, exclude_hv : 1, exclude_idle : 1, mmap : 1, comm : 1, freq : 1,
        inherit_stat : 1, enable_on_exec : 1, reserved_bits : 51;
    uint32_t wakeup_events;
    uint32_t bp_type;
    uint64_t config1;
};

#define LP_PERF_ATTR_SIZE_VER0 64u
#define LP_PERF_TYPE_HARDWARE 0u
#define LP_PERF_TYPE_SOFTWARE 1u
#define LP_HW_CPU_CYCLES 0u
#define LP_HW_INSTRUCTIONS 1u
#define LP_HW_CACHE_MISSES 3u
#define LP_HW_BRANCH_MISSES 5u
#define LP_SW_TASK_CLOCK 1u
#define LP_SW_PAGE_FAULTS 2u
#define LP_SW_CONTEXT_SWITCHES 3u
#define LP_SW_CPU_MIGRATIONS 4u
#define LP_FORMAT_TOTAL_TIME_ENABLED 1u
#define LP_FORMAT_TOTAL_TIME_RUNNING 2u
#define LP_PERF_FLAG_FD_CLOEXEC (1UL << 3)

_Static_assert(sizeof(struct lp_perf_attr) == LP_PERF_ATTR_SIZE_VER0, "perf_event_attr VER0 layout");

struct perf_counter {
    const char *json_name;
    uint32_t type;
    uint64_t config;
    int fd;          /* -1 if not open */
    int open_errno;  /* errno of the failed open (0 if opened or never tried) */
    int read_ok;
    uint64_t value;  /* possibly scaled */
    int never_ran;   /* enabled > 0 but running == 0 */
    int scaled;
};

static struct perf_counter counters[] = {
    {"taskClockNs", LP_PERF_TYPE_SOFTWARE, LP_SW_TASK_CLOCK, -1, 0, 0, 0, 0, 0},
    {"contextSwitches", LP_PERF_TYPE_SOFTWARE, LP_SW_CONTEXT_SWITCHES, -1, 0, 0, 0, 0, 0},
    {"cpuMigrations", LP_PERF_TYPE_SOFTWARE, LP_SW_CPU_MIGRATIONS, -1, 0, 0, 0, 0, 0},
    {"pageFaults", LP_PERF_TYPE_SOFTWARE, LP_SW_PAGE_FAULTS, -1, 0, 0, 0, 0, 0},
    {"instructions", LP_PERF_TYPE_HARDWARE, LP_HW_INSTRUCTIONS, -1, 0, 0, 0, 0, 0},
    {"cycles", LP_PERF_TYPE_HARDWARE, LP_HW_CPU_CYCLES, -1, 0, 0, 0, 0, 0},
    {"cacheMisses", LP_PERF_TYPE_HARDWARE, LP_HW_CACHE_MISSES, -1, 0, 0, 0, 0, 0},
    {"branchMisses", LP_PERF_TYPE_HARDWARE, LP_HW_BRANCH_MISSES, -1, 0, 0, 0, 0, 0},
};
#define N_COUNTERS (sizeof(counters) / sizeof(counters[0]))

/* ------------------------------------------------------------------------ */
/* options                                                                   */

enum env_op_kind { ENV_SET, ENV_UNSET };
struct env_op {
    enum env_op_kind kind;
    char *arg; /* "K=V" (copy, split in place) or "K" */
    char *value;
};

static uint64_t opt_timeout_ms = 0;
static uint64_t opt_max_file_bytes = 0; /* RLIMIT_FSIZE for the child; 0 = inherit */
static uint64_t opt_rss_interval_ms = 10;
static uint64_t opt_rss_max_samples = 2000;
static const char *opt_cpus = NULL;
static cpu_set_t *opt_cpuset = NULL;
static size_t opt_cpuset_size = 0;
static const char *opt_stdout = "/dev/null";
static const char *opt_stderr = "/dev/null";
static const char *opt_result = NULL;
static const char *opt_stdin = "/dev/null";
static struct env_op *env_ops = NULL;
static size_t n_env_ops = 0;
static int opt_no_perf = 0;
static char **child_argv = NULL;

static void usage_error(const char *fmt, const char *arg) __attribute__((noreturn));
static void usage_error(const char *fmt, const char *arg)
{
    /* exactly one line on stderr, exit 2, no JSON */
    fputs("launcher: ", stderr);
    fprintf(stderr, fmt, arg ? arg : "");
    fputs(" (usage: launcher [options] -- PROGRAM [ARGS...])\n", stderr);
    exit(2);
}

static void print_help(void)
{
    fputs("usage: launcher [options] -- PROGRAM [ARGS...]\n"
          "  --timeout-ms N        SIGKILL the child's process group after N ms (0 = none)\n"
          "  --rss-interval-ms N   sample /proc/<pid>/statm every N ms (default 10; 0 = off)\n"
          "  --rss-max-samples N   timeline bound, >= 2 (default 2000; decimates when full)\n"
          "  --cpus LIST           pin the child with sched_setaffinity, e.g. 0,2-3\n"
          "  --stdout FILE         child's stdout (default /dev/null)\n"
          "  --stderr FILE         child's stderr (default /dev/null)\n"
          "  --stdin FILE          child's stdin (default /dev/null)\n"
          "  --result-file FILE    result channel: FILE open on a descriptor named by\n"
          "                        MALLOCBENCH_RESULT_FD in the child (else that is unset)\n"
          "  --max-file-bytes N    RLIMIT_FSIZE of the child: a write past N bytes in any\n"
          "                        file (its --stdout/--stderr too) gets SIGXFSZ (0 = inherit)\n"
          "  --setenv K=V          set in the child's environment only (repeatable)\n"
          "  --unsetenv K          remove from the child's environment (repeatable)\n"
          "  --no-perf             do not open perf counters\n"
          "  --version             print version JSON and exit\n"
          "Prints one JSON record on stdout.\n",
          stdout);
}

static uint64_t parse_u64(const char *opt, const char *s, uint64_t max)
{
    char *end = NULL;
    unsigned long long v;
    if (s == NULL || *s == '\0' || *s < '0' || *s > '9')
        usage_error("invalid number for %s", opt);
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || end == NULL || *end != '\0' || v > max)
        usage_error("invalid number for %s", opt);
    return (uint64_t)v;
}

/* Parse "0,2-3" into a dynamically sized cpu set. */
static void parse_cpus(const char *list)
{
    const unsigned long max_cpu = 1UL << 20;
    unsigned long highest = 0;
    int pass;
    if (*list == '\0')
        usage_error("empty --cpus list%s", "");
    /* pass 0: validate and find the highest cpu; pass 1: fill the set */
    for (pass = 0; pass < 2; pass++) {
        const char *p = list;
        if (pass == 1) {
            opt_cpuset = CPU_ALLOC(highest + 1);
            if (opt_cpuset == NULL)
                usage_error("cannot allocate cpu set for %s", list);
            opt_cpuset_size = CPU_ALLOC_SIZE(highest + 1);
            CPU_ZERO_S(opt_cpuset_size, opt_cpuset);
        }
        for (;;) {
            char *end;
            unsigned long a, b;
            if (*p < '0' || *p > '9')
                usage_error("invalid --cpus list '%s'", list);
            errno = 0;
            a = strtoul(p, &end, 10);
            if (errno != 0 || a >= max_cpu)
                usage_error("invalid --cpus list '%s'", list);
            b = a;
            p = end;
            if (*p == '-') {
                p++;
                if (*p < '0' || *p > '9')
                    usage_error("invalid --cpus list '%s'", list);
                errno = 0;
                b = strtoul(p, &end, 10);
                if (errno != 0 || b >= max_cpu || b < a)
                    usage_error("invalid --cpus list '%s'", list);
                p = end;
            }
            if (pass == 0) {
                if (b > highest)
                    highest = b;
            } else {
                unsigned long c;
                for (c = a; c <= b; c++)
                    CPU_SET_S((size_t)c, opt_cpuset_size, opt_cpuset);
            }
            if (*p == '\0')
                break;
            if (*p != ',')
                usage_error("invalid --cpus list '%s'", list);
            p++;
        }
    }
}

static void add_env_op(enum env_op_kind kind, const char *arg)
{
    struct env_op *op;
    struct env_op *grown = realloc(env_ops, (n_env_ops + 1) * sizeof(*env_ops));
    if (grown == NULL)
        usage_error("out of memory%s", "");
    env_ops = grown;
    op = &env_ops[n_env_ops++];
    op->kind = kind;
    op->arg = strdup(arg);
    op->value = NULL;
    if (op->arg == NULL)
        usage_error("out of memory%s", "");
    if (kind == ENV_SET) {
        char *eq = strchr(op->arg, '=');
        if (eq == NULL || eq == op->arg)
            usage_error("--setenv expects K=V, got '%s'", arg);
        *eq = '\0';
        op->value = eq + 1;
    } else if (op->arg[0] == '\0' || strchr(op->arg, '=') != NULL) {
        usage_error("--unsetenv expects a variable name, got '%s'", arg);
    }
}

static void parse_args(int argc, char **argv)
{
    int i;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *name;
        const char *val = NULL;
        size_t name_len;
        const char *eq;
        int takes_value;

        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (strncmp(a, "--", 2) != 0) {
            if (a[0] == '-')
                usage_error("unknown option '%s'", a);
            break; /* first non-option starts the program */
        }
        name = a + 2;
        eq = strchr(name, '=');
        name_len = eq ? (size_t)(eq - name) : strlen(name);

#define IS(opt) (name_len == sizeof(opt) - 1 && strncmp(name, opt, name_len) == 0)
        takes_value = IS("timeout-ms") || IS("rss-interval-ms") || IS("rss-max-samples") ||
                      IS("cpus") || IS("stdout") || IS("stderr") || IS("result-file") || IS("setenv") ||
                      IS("unsetenv") || IS("max-file-bytes") || IS("stdin");
        if (takes_value) {
            if (eq != NULL) {
                val = eq + 1;
            } else {
                if (i + 1 >= argc)
                    usage_error("option '%s' needs a value", a);
                val = argv[++i];
            }
        } else if (eq != NULL) {
            usage_error("option '%s' takes no value", a);
        }

        if (IS("timeout-ms")) {
            opt_timeout_ms = parse_u64("--timeout-ms", val, (uint64_t)1 << 40);
        } else if (IS("max-file-bytes")) {
            opt_max_file_bytes = parse_u64("--max-file-bytes", val, (uint64_t)1 << 50);
        } else if (IS("rss-interval-ms")) {
            opt_rss_interval_ms = parse_u64("--rss-interval-ms", val, (uint64_t)1 << 32);
        } else if (IS("rss-max-samples")) {
            opt_rss_max_samples = parse_u64("--rss-max-samples", val, (uint64_t)1 << 24);
            if (opt_rss_max_samples < 2)
                usage_error("--rss-max-samples must be >= 2%s", "");
        } else if (IS("cpus")) {
            opt_cpus = val;
            if (opt_cpuset != NULL) {
                CPU_FREE(opt_cpuset);
                opt_cpuset = NULL;
            }
            parse_cpus(val);
        } else if (IS("stdout")) {
            if (*val == '\0')
                usage_error("empty --stdout path%s", "");
            opt_stdout = val;
        } else if (IS("stderr")) {
            if (*val == '\0')
                usage_error("empty --stderr path%s", "");
            opt_stderr = val;
        } else if (IS("result-file")) {
            if (*val == '\0')
                usage_error("empty --result-file path%s", "");
            opt_result = val;
        } else if (IS("stdin")) {
            if (*val == '\0')
                usage_error("empty --stdin path%s", "");
            opt_stdin = val;
        } else if (IS("setenv")) {
            add_env_op(ENV_SET, val);
        } else if (IS("unsetenv")) {
            add_env_op(ENV_UNSET, val);
        } else if (IS("no-perf")) {
            opt_no_perf = 1;
        } else if (IS("version")) {
            printf("{\"launcher\":%d,\"version\":\"%s\"}\n", LAUNCHER_FORMAT, LAUNCHER_VERSION);
            exit(fflush(stdout) == 0 ? 0 : 1);
        } else if (IS("help")) {
            print_help();
            exit(0);
        } else {
            usage_error("unknown option '%s'", a);
        }
#undef IS
    }
    if (i >= argc)
        usage_error("missing PROGRAM%s", "");
    child_argv = &argv[i];
}

/* ------------------------------------------------------------------------ */
/* small helpers                                                             */

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static const char *signal_name(int sig, char *buf, size_t len)
{
    static const struct {
        int num;
        const char *name;
    } names[] = {
        {SIGHUP, "SIGHUP"},     {SIGINT, "SIGINT"},       {SIGQUIT, "SIGQUIT"},
        {SIGILL, "SIGILL"},     {SIGTRAP, "SIGTRAP"},     {SIGABRT, "SIGABRT"},
        {SIGBUS, "SIGBUS"},     {SIGFPE, "SIGFPE"},       {SIGKILL, "SIGKILL"},
        {SIGUSR1, "SIGUSR1"},   {SIGSEGV, "SIGSEGV"},     {SIGUSR2, "SIGUSR2"},
        {SIGPIPE, "SIGPIPE"},   {SIGALRM, "SIGALRM"},     {SIGTERM, "SIGTERM"},
#ifdef SIGSTKFLT
        {SIGSTKFLT, "SIGSTKFLT"},
#endif
        {SIGCHLD, "SIGCHLD"},   {SIGCONT, "SIGCONT"},     {SIGSTOP, "SIGSTOP"},
        {SIGTSTP, "SIGTSTP"},   {SIGTTIN, "SIGTTIN"},     {SIGTTOU, "SIGTTOU"},
        {SIGURG, "SIGURG"},     {SIGXCPU, "SIGXCPU"},     {SIGXFSZ, "SIGXFSZ"},
        {SIGVTALRM, "SIGVTALRM"}, {SIGPROF, "SIGPROF"},   {SIGWINCH, "SIGWINCH"},
        {SIGIO, "SIGIO"},
#ifdef SIGPWR
        {SIGPWR, "SIGPWR"},
#endif
        {SIGSYS, "SIGSYS"},
    };
    size_t k;
    for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
        if (names[k].num == sig)
            return names[k].name;
    if (sig >= SIGRTMIN && sig <= SIGRTMAX)
        snprintf(buf, len, "SIGRTMIN+%d", sig - SIGRTMIN);
    else
        snprintf(buf, len, "SIG%d", sig);
    return buf;
}

/* JSON output into a growable buffer, written with one write at the end. */
struct sbuf {
    char *p;
    size_t len, cap;
    int oom;
};

static void sb_reserve(struct sbuf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    char *np;
    size_t ncap;
    if (b->oom || need <= b->cap)
        return;
    ncap = b->cap ? b->cap : 4096;
    while (ncap < need)
        ncap *= 2;
    np = realloc(b->p, ncap);
    if (np == NULL) {
        b->oom = 1;
        return;
    }
    b->p = np;
    b->cap = ncap;
}

static void sb_puts(struct sbuf *b, const char *s)
{
    size_t n = strlen(s);
    sb_reserve(b, n);
    if (b->oom)
        return;
    memcpy(b->p + b->len, s, n + 1);
    b->len += n;
}

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
    va_list ap;
    int n;
    char small[256];
    va_start(ap, fmt);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof(small)) {
        sb_puts(b, small);
        return;
    }
    sb_reserve(b, (size_t)n);
    if (b->oom)
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

static void sb_json_str(struct sbuf *b, const char *s)
{
    const unsigned char *p;
    if (s == NULL) {
        sb_puts(b, "null");
        return;
    }
    sb_reserve(b, strlen(s) * 6 + 2);
    if (b->oom)
        return;
    b->p[b->len++] = '"';
    for (p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if (c == '"' || c == '\\') {
            b->p[b->len++] = '\\';
            b->p[b->len++] = (char)c;
        } else if (c == '\n') {
            b->p[b->len++] = '\\';
            b->p[b->len++] = 'n';
        } else if (c == '\t') {
            b->p[b->len++] = '\\';
            b->p[b->len++] = 't';
        } else if (c == '\r') {
            b->p[b->len++] = '\\';
            b->p[b->len++] = 'r';
        } else if (c < 0x20 || c == 0x7f) {
            static const char hex[] = "0123456789abcdef";
            memcpy(b->p + b->len, "\\u00", 4);
            b->len += 4;
            b->p[b->len++] = hex[c >> 4];
            b->p[b->len++] = hex[c & 15];
        } else {
            b->p[b->len++] = (char)c;
        }
    }
    b->p[b->len++] = '"';
    b->p[b->len] = '\0';
}

/* JSON number for a double; never NaN/inf. */
static void sb_json_double(struct sbuf *b, const char *fmt, double v)
{
    if (!(v == v) || v > 1e300 || v < -1e300)
        v = 0.0;
    sb_printf(b, fmt, v);
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* perf                                                                      */

static long lp_perf_event_open(struct lp_perf_attr *attr, pid_t pid, int cpu, int group,
                               unsigned long flags)
{
#ifdef SYS_perf_event_open
    return syscall(SYS_perf_event_open, attr, pid, cpu, group, flags);
#else
    (void)attr;
    (void)pid;
    (void)cpu;
    (void)group;
    (void)flags;
    errno = ENOSYS;
    return -1;
#endif
}

static int perf_open_one(struct perf_counter *c, pid_t pid, int user_only)
{
    struct lp_perf_attr attr;
    long fd;
    memset(&attr, 0, sizeof(attr));
    attr.type = c->type;
    attr.size = LP_PERF_ATTR_SIZE_VER0;
    attr.config = c->config;
    attr.read_format = LP_FORMAT_TOTAL_TIME_ENABLED | LP_FORMAT_TOTAL_TIME_RUNNING;
    attr.disabled = 1;
    attr.inherit = 1;
    attr.enable_on_exec = 1;
    if (user_only) {
        attr.exclude_kernel = 1;
        attr.exclude_hv = 1;
    }
    do {
        fd = lp_perf_event_open(&attr, pid, -1, -1, LP_PERF_FLAG_FD_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return -errno;
    c->fd = (int)fd;
    return 0;
}

static int perf_user_only = 0;     /* had to fall back to exclude_kernel */
static int perf_refused_errno = 0; /* perf_event_open refused entirely */

static void perf_open_all(pid_t pid)
{
    size_t k;
    int opened = 0;
    for (k = 0; k < N_COUNTERS; k++) {
        struct perf_counter *c = &counters[k];
        int r = perf_open_one(c, pid, perf_user_only);
        if (r == -EACCES || r == -EPERM) {
            /* perf_event_paranoid may forbid kernel-side counting: retry user-only */
            if (!perf_user_only) {
                int r2 = perf_open_one(c, pid, 1);
                if (r2 == 0)
                    perf_user_only = 1;
                r = r2;
            }
        }
        if (r == 0) {
            opened++;
            continue;
        }
        c->open_errno = -r;
        if (k == 0 && opened == 0 && (-r == EACCES || -r == EPERM || -r == ENOSYS)) {
            /* refused entirely: do not keep trying */
            perf_refused_errno = -r;
            return;
        }
    }
    if (opened == 0 && perf_refused_errno == 0)
        perf_refused_errno = counters[0].open_errno ? counters[0].open_errno : ENODEV;
}

static int perf_any_scaled = 0;

static void perf_read_all(void)
{
    size_t k;
    for (k = 0; k < N_COUNTERS; k++) {
        struct perf_counter *c = &counters[k];
        uint64_t buf[3];
        ssize_t n;
        if (c->fd < 0)
            continue;
        do {
            n = read(c->fd, buf, sizeof(buf));
        } while (n < 0 && errno == EINTR);
        if (n == (ssize_t)sizeof(buf)) {
            uint64_t value = buf[0], enabled = buf[1], running = buf[2];
            c->read_ok = 1;
            if (enabled > 0 && running == 0) {
                c->never_ran = 1;
            } else if (running > 0 && running < enabled) {
                double v = (double)value * ((double)enabled / (double)running);
                c->value = v >= 18446744073709549568.0 ? UINT64_MAX : (uint64_t)(v + 0.5);
                c->scaled = 1;
                perf_any_scaled = 1;
            } else {
                c->value = value;
            }
        } else {
            c->open_errno = n < 0 ? errno : EIO;
        }
        close(c->fd);
        c->fd = -1;
    }
}

/* ------------------------------------------------------------------------ */
/* child side                                                                */

enum child_stage {
    STAGE_EXEC = 1,
    STAGE_AFFINITY,
    STAGE_DUP2,
    STAGE_SETENV,
    STAGE_UNSETENV,
    STAGE_GO,
    STAGE_RLIMIT,
};

struct child_error {
    int stage;
    int err;
    int env_index;
};

/* Marks every descriptor >= lo close-on-exec: close_range(2) where the kernel has it
 * (Linux 5.11), else each entry of /proc/self/fd, else every number below the limit. */
static void cloexec_from(int lo)
{
#if defined(SYS_close_range)
    if (syscall(SYS_close_range, (unsigned)lo, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */) == 0)
        return;
#endif
    DIR *d = opendir("/proc/self/fd");
    if (d != NULL) {
        int self = dirfd(d);
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            char *end;
            long fd = strtol(e->d_name, &end, 10);
            if (*end == '\0' && end != e->d_name && fd >= lo && fd != self)
                fcntl((int)fd, F_SETFD, FD_CLOEXEC);
        }
        closedir(d);
        return;
    }
    long max = sysconf(_SC_OPEN_MAX);
    if (max < 0 || max > 1 << 20)
        max = 1 << 20;
    for (long fd = lo; fd < max; fd++)
        fcntl((int)fd, F_SETFD, FD_CLOEXEC);
}

static void child_fail(int errfd, int stage, int err, int env_index) __attribute__((noreturn));
static void child_fail(int errfd, int stage, int err, int env_index)
{
    struct child_error ce;
    ssize_t r;
    ce.stage = stage;
    ce.err = err;
    ce.env_index = env_index;
    do {
        r = write(errfd, &ce, sizeof(ce));
    } while (r < 0 && errno == EINTR);
    _exit(127);
}

static void child_main(int go_rd, int err_wr, int in_fd, int out_fd, int errf_fd, int res_fd,
                       pid_t parent, const sigset_t *orig_mask) __attribute__((noreturn));
static void child_main(int go_rd, int err_wr, int in_fd, int out_fd, int errf_fd, int res_fd,
                       pid_t parent, const sigset_t *orig_mask)
{
    int sig;
    size_t k;
    char byte;
    ssize_t r;
    struct sigaction dfl;

    setpgid(0, 0);
    /* die with the launcher if it is SIGKILLed before it can clean up */
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (getppid() != parent)
        _exit(127);

    /* default dispositions for everything (Node/libuv and we ourselves changed some) */
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    for (sig = 1; sig < NSIG; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP)
            continue;
        sigaction(sig, &dfl, NULL); /* fails harmlessly for libc-reserved signals */
    }

    if (opt_cpuset != NULL && sched_setaffinity(0, opt_cpuset_size, opt_cpuset) != 0)
        child_fail(err_wr, STAGE_AFFINITY, errno, -1);

    /* in_fd/out_fd/errf_fd are all >= 3 (see ensure_std_fds) and O_CLOEXEC,
     * so the originals vanish at exec and dup2 clears CLOEXEC on 0-2 */
    if (dup2(in_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
        dup2(errf_fd, STDERR_FILENO) < 0)
        child_fail(err_wr, STAGE_DUP2, errno, -1);

    for (k = 0; k < n_env_ops; k++) {
        if (env_ops[k].kind == ENV_SET) {
            if (setenv(env_ops[k].arg, env_ops[k].value, 1) != 0)
                child_fail(err_wr, STAGE_SETENV, errno, (int)k);
        } else if (unsetenv(env_ops[k].arg) != 0) {
            child_fail(err_wr, STAGE_UNSETENV, errno, (int)k);
        }
    }

    /* The result channel: only the program (not its stdout, where any code in the process
     * writes) learns where it is.  Set after the user's env ops so none can override it. */
    if (res_fd >= 0) {
        char num[16];
        snprintf(num, sizeof(num), "%d", res_fd);
        if (setenv("MALLOCBENCH_RESULT_FD", num, 1) != 0)
            child_fail(err_wr, STAGE_SETENV, errno, -1);
    } else if (unsetenv("MALLOCBENCH_RESULT_FD") != 0) {
        child_fail(err_wr, STAGE_UNSETENV, errno, -1);
    }

    /* Only 0-2 and the result channel reach the program: whatever else the launcher
     * inherited without CLOEXEC (a pipe of whoever started bench) must not leak into it. */
    cloexec_from(3);
    if (res_fd >= 0 && fcntl(res_fd, F_SETFD, 0) != 0)
        child_fail(err_wr, STAGE_DUP2, errno, -1);

    /* Bounds the disk a child's output (or any file it writes) can take: the harness reads
     * only a head and a tail of stdout/stderr, and --timeout 0 gives no other bound. */
    if (opt_max_file_bytes > 0) {
        struct rlimit rl;
        if (getrlimit(RLIMIT_FSIZE, &rl) == 0) {
            rlim_t want = (rlim_t)opt_max_file_bytes;
            if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want)
                want = rl.rlim_max;
            rl.rlim_cur = want;
            rl.rlim_max = want;
            if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
                child_fail(err_wr, STAGE_RLIMIT, errno, -1);
        }
    }

    /* restore the mask last: from here on SIGINT etc. act normally */
    sigprocmask(SIG_SETMASK, orig_mask, NULL);

    /* wait for "go" */
    do {
        r = read(go_rd, &byte, 1);
    } while (r < 0 && errno == EINTR);
    if (r != 1)
        child_fail(err_wr, STAGE_GO, r < 0 ? errno : EPIPE, -1);

    execvp(child_argv[0], child_argv);
    child_fail(err_wr, STAGE_EXEC, errno, -1);
}

/* ------------------------------------------------------------------------ */
/* RSS timeline                                                              */

struct rss_sample {
    double t_ms;
    uint64_t bytes;
};

static struct rss_sample *rss = NULL;
static size_t rss_count = 0;
static unsigned rss_decimations = 0;
static int64_t rss_interval_ns = 0;
static uint64_t rss_max_sampled = 0;
static int rss_fd = -1;
static long page_size = 4096;

static void rss_sample_now(int64_t t_ns, int64_t start_ns)
{
    char buf[128];
    ssize_t n;
    unsigned long long size_pages = 0, resident = 0;
    uint64_t bytes;
    if (rss_fd < 0)
        return;
    n = pread(rss_fd, buf, sizeof(buf) - 1, 0);
    if (n <= 0)
        return;
    buf[n] = '\0';
    if (sscanf(buf, "%llu %llu", &size_pages, &resident) != 2 || resident == 0)
        return; /* resident 0: the mm is already gone (exiting) */
    bytes = (uint64_t)resident * (uint64_t)page_size;
    if (rss_count == opt_rss_max_samples) {
        /* decimate: keep every other sample, double the interval */
        size_t src, dst = 0;
        for (src = 0; src < rss_count; src += 2)
            rss[dst++] = rss[src];
        rss_count = dst;
        rss_interval_ns *= 2;
        rss_decimations++;
    }
    rss[rss_count].t_ms = (double)(t_ns - start_ns) / 1e6;
    rss[rss_count].bytes = bytes;
    rss_count++;
    if (bytes > rss_max_sampled)
        rss_max_sampled = bytes;
}

/* ------------------------------------------------------------------------ */
/* main                                                                      */

/* Make sure fds 0-2 exist so that files we open land on fds >= 3. */
static void ensure_std_fds(void)
{
    int fd;
    for (fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
            int n = open("/dev/null", O_RDWR);
            if (n >= 0 && n != fd) {
                /* cannot happen (lowest free fd), but do not leak */
                close(n);
            }
        }
    }
}

/*
 * After the main child is gone: SIGKILL what is left of its process group and
 * reap the orphans that were reparented to us (we are a child subreaper), so
 * that no process and no zombie of the run survives the launcher.  Bounded:
 * members that escaped the group (setsid) are not waited for.
 */
/* SIGKILL every process whose parent is this launcher (found by scanning /proc). */
static void kill_children(void)
{
    pid_t self = getpid();
    DIR *d = opendir("/proc");
    struct dirent *e;
    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        char path[64], buf[512], *close_paren, *end;
        long pid = strtol(e->d_name, &end, 10);
        ssize_t n;
        int fd;
        long ppid;
        if (*end != '\0' || end == e->d_name || pid <= 0)
            continue;
        snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
            continue;
        buf[n] = '\0';
        /* "pid (comm) state ppid ...": comm may hold spaces and parentheses */
        close_paren = strrchr(buf, ')');
        if (close_paren == NULL || sscanf(close_paren + 1, " %*c %ld", &ppid) != 1)
            continue;
        if (ppid == (long)self)
            kill((pid_t)pid, SIGKILL);
    }
    closedir(d);
}

static void reap_leftovers(pid_t pgid, const sigset_t *chld_set)
{
    const int64_t limit = now_ns() + 500 * 1000000LL;
    for (;;) {
        int st;
        pid_t r;
        int64_t left;
        struct timespec ts;
        kill(-pgid, SIGKILL); /* ESRCH when nothing is left: fine */
        do {
            r = waitpid(-1, &st, WNOHANG);
        } while (r > 0 || (r < 0 && errno == EINTR));
        if (r < 0)
            return; /* ECHILD: no children at all */
        /* What is left escaped the group (setsid, setpgid): as the subreaper we are its
         * parent, and every child we have comes from the run. */
        kill_children();
        left = limit - now_ns();
        if (left <= 0)
            return;
        if (left > 50 * 1000000LL)
            left = 50 * 1000000LL;
        ts.tv_sec = 0;
        ts.tv_nsec = (long)left;
        sigtimedwait(chld_set, NULL, &ts);
    }
}

static volatile sig_atomic_t got_term_signal = 0;

static void on_term_signal(int sig)
{
    got_term_signal = sig;
}

/* What one launch did: filled in phase by phase, then printed as the JSON record. */
struct run {
    pid_t pid;
    int64_t start_ns, end_ns;
    int reaped, wstatus;
    struct rusage ru;
    int have_error, timed_out, interrupted;
    char errmsg[1024];
};

/* The child's stdin, stdout, stderr and result channel, opened by the launcher. */
struct child_fds {
    int in, out, err, res;
};

/*
 * Die with the harness: its death (even SIGKILL) becomes a SIGTERM here, handled like an
 * interrupt, which kills the run's whole process group.  The signal follows the parent thread
 * that forked us; the re-check covers a parent gone before prctl.  0, or -1 when it is gone.
 */
static int die_with_parent(void)
{
    pid_t harness = getppid();
    if (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) == 0 && getppid() != harness) {
        fputs("launcher: the process that started it has exited\n", stderr);
        return -1;
    }
    return 0;
}

/*
 * Signals: SIGCHLD and the termination signals are blocked and consumed synchronously with
 * sigtimedwait (`wait_set`).  Handlers exist only so that the signals are not ignored/fatal; an
 * inherited SIG_IGN is respected.  `orig_mask` is the mask the child restores.
 */
static void install_signals(sigset_t *wait_set, sigset_t *orig_mask)
{
    const int term_signals[] = {SIGINT, SIGTERM, SIGHUP};
    struct sigaction sa;
    size_t k;
    sigemptyset(wait_set);
    sigaddset(wait_set, SIGCHLD);
    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_term_signal;
    for (k = 0; k < sizeof(term_signals) / sizeof(term_signals[0]); k++) {
        struct sigaction old;
        /* SIGTERM is always ours: it is also the parent-death signal */
        if (term_signals[k] != SIGTERM && sigaction(term_signals[k], NULL, &old) == 0 &&
            old.sa_handler == SIG_IGN)
            continue;
        sigaction(term_signals[k], &sa, NULL);
        sigaddset(wait_set, term_signals[k]);
    }
    sa.sa_handler = SIG_DFL;
    sa.sa_flags = SA_NOCLDSTOP; /* no SIGCHLD for stop/continue */
    sigaction(SIGCHLD, &sa, NULL);
    sa.sa_flags = 0;
    sa.sa_handler = SIG_IGN; /* a child dying before "go" must not kill us */
    sigaction(SIGPIPE, &sa, NULL);
    sigprocmask(SIG_BLOCK, wait_set, orig_mask);
#ifdef PR_SET_CHILD_SUBREAPER
    /* orphaned descendants of the run become our children, so we can reap them */
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
#endif
}

/*
 * Open the child's files here so that failures are reported cleanly.  The child's stdin is
 * /dev/null unless --stdin names a file (never the harness pipe).  0, or -1 with r->errmsg set.
 */
static int open_child_files(struct run *r, struct child_fds *fds)
{
    fds->in = open(opt_stdin, O_RDONLY | O_CLOEXEC);
    if (fds->in < 0) {
        snprintf(r->errmsg, sizeof(r->errmsg), "open --stdin %s: %s", opt_stdin,
                 strerror(errno));
        return -1;
    }
    fds->out = open(opt_stdout, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fds->out < 0) {
        snprintf(r->errmsg, sizeof(r->errmsg), "open --stdout %s: %s", opt_stdout,
                 strerror(errno));
        return -1;
    }
    if (strcmp(opt_stderr, opt_stdout) == 0) {
        fds->err = fds->out;
    } else {
        fds->err = open(opt_stderr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (fds->err < 0) {
            snprintf(r->errmsg, sizeof(r->errmsg), "open --stderr %s: %s", opt_stderr,
                     strerror(errno));
            return -1;
        }
    }
    if (opt_result != NULL) {
        fds->res = open(opt_result, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fds->res < 0) {
            snprintf(r->errmsg, sizeof(r->errmsg), "open --result-file %s: %s", opt_result,
                     strerror(errno));
            return -1;
        }
    }
    return 0;
}

/*
 * Fork the child, which waits for "go" on `go_pipe`; the parent keeps the write end of
 * `go_pipe` and the read end of `err_pipe` (the child's setup errors), opens the perf counters
 * and the RSS source.  0, or -1 with r->errmsg set.
 */
static int start_child(struct run *r, struct child_fds *fds, int go_pipe[2], int err_pipe[2],
                       const sigset_t *orig_mask)
{
    pid_t parent = getpid();
    if (pipe2(go_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
        snprintf(r->errmsg, sizeof(r->errmsg), "pipe2: %s", strerror(errno));
        return -1;
    }
    r->pid = fork();
    if (r->pid < 0) {
        snprintf(r->errmsg, sizeof(r->errmsg), "fork: %s", strerror(errno));
        return -1;
    }
    if (r->pid == 0) {
        close(go_pipe[1]);
        close(err_pipe[0]);
        child_main(go_pipe[0], err_pipe[1], fds->in, fds->out, fds->err, fds->res, parent,
                   orig_mask);
    }
    close(go_pipe[0]);
    close(err_pipe[1]);
    if (fds->err != fds->out)
        close(fds->err);
    close(fds->out);
    close(fds->in);
    if (fds->res >= 0)
        close(fds->res);
    fds->in = fds->out = fds->err = fds->res = -1;
    setpgid(r->pid, r->pid); /* both sides do it: no race with the kill below */

    if (!opt_no_perf)
        perf_open_all(r->pid);

    if (rss != NULL) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/%ld/statm", (long)r->pid);
        rss_fd = open(path, O_RDONLY | O_CLOEXEC); /* re-read with pread each time */
    }
    return 0;
}

/*
 * The hot path: say "go", then sample RSS and wait for the child's exit, the timeout or a
 * termination signal; then kill and reap whatever of the run is left.
 */
static void wait_child(struct run *r, const sigset_t *wait_set, int go_wr)
{
    int64_t deadline_ns = 0, next_sample_ns = 0;
    const pid_t pid = r->pid;

    r->start_ns = now_ns();
    {
        char go = 'g';
        ssize_t w;
        do {
            w = write(go_wr, &go, 1);
        } while (w < 0 && errno == EINTR);
    }
    close(go_wr);
    if (opt_timeout_ms > 0)
        deadline_ns = r->start_ns + (int64_t)opt_timeout_ms * 1000000;
    if (rss != NULL)
        next_sample_ns = r->start_ns + rss_interval_ns;

    while (!r->reaped) {
        int64_t now = now_ns();
        int64_t wake = INT64_MAX;
        struct timespec ts;
        siginfo_t si;
        int sig;

        if (rss != NULL && now >= next_sample_ns) {
            rss_sample_now(now, r->start_ns);
            next_sample_ns += rss_interval_ns;
            if (next_sample_ns <= now)
                next_sample_ns = now + rss_interval_ns;
        }
        if (deadline_ns > 0 && now >= deadline_ns) {
            r->timed_out = 1;
            break;
        }
        if (rss != NULL)
            wake = next_sample_ns;
        if (deadline_ns > 0 && deadline_ns < wake)
            wake = deadline_ns;

        if (wake == INT64_MAX) {
            sig = sigwaitinfo(wait_set, &si);
        } else {
            int64_t d = wake - now;
            if (d < 0)
                d = 0;
            ts.tv_sec = (time_t)(d / 1000000000);
            ts.tv_nsec = (long)(d % 1000000000);
            sig = sigtimedwait(wait_set, &si, &ts);
        }
        if (sig < 0)
            continue; /* EAGAIN (timeout) or EINTR */
        if (sig == SIGCHLD) {
            int64_t t = now_ns();
            siginfo_t wi;
            memset(&wi, 0, sizeof(wi));
            /* peek without reaping so the process group id cannot be reused
             * before the leftovers are killed */
            if (waitid(P_PID, (id_t)pid, &wi, WEXITED | WNOHANG | WNOWAIT) == 0 &&
                wi.si_pid == pid) {
                r->end_ns = t;
                kill(-pid, SIGKILL); /* leftovers of the group; ESRCH is fine */
                if (wait4(pid, &r->wstatus, 0, &r->ru) == pid)
                    r->reaped = 1;
            } else if (wait4(pid, &r->wstatus, WNOHANG, &r->ru) == pid) {
                r->end_ns = t;
                r->reaped = 1;
            }
            continue;
        }
        /* SIGINT / SIGTERM / SIGHUP */
        got_term_signal = sig;
        r->interrupted = 1;
        break;
    }

    if (!r->reaped) {
        /* timeout or interrupted: kill the whole group, then reap */
        pid_t w;
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
        do {
            w = wait4(pid, &r->wstatus, 0, &r->ru);
        } while (w < 0 && errno == EINTR);
        r->end_ns = now_ns();
        if (w == pid)
            r->reaped = 1;
    }
    {
        sigset_t chld_set;
        sigemptyset(&chld_set);
        sigaddset(&chld_set, SIGCHLD);
        reap_leftovers(pid, &chld_set);
    }
    if (rss_fd >= 0)
        close(rss_fd);
}

/* A setup error the child reported before exec (the err pipe holds one struct child_error). */
static void read_child_error(struct run *r, int err_rd)
{
    struct child_error ce;
    ssize_t n;
    do {
        n = read(err_rd, &ce, sizeof(ce));
    } while (n < 0 && errno == EINTR);
    if (n == (ssize_t)sizeof(ce)) {
        const char *what = "exec";
        r->have_error = 1;
        switch (ce.stage) {
        case STAGE_EXEC:
            snprintf(r->errmsg, sizeof(r->errmsg), "execvp %s: %s", child_argv[0],
                     strerror(ce.err));
            break;
        case STAGE_AFFINITY:
            snprintf(r->errmsg, sizeof(r->errmsg), "sched_setaffinity %s: %s",
                     opt_cpus ? opt_cpus : "", strerror(ce.err));
            break;
        case STAGE_SETENV:
        case STAGE_UNSETENV:
            what = ce.stage == STAGE_SETENV ? "setenv" : "unsetenv";
            snprintf(r->errmsg, sizeof(r->errmsg), "%s %s: %s", what,
                     (ce.env_index >= 0 && (size_t)ce.env_index < n_env_ops)
                         ? env_ops[ce.env_index].arg
                         : "?",
                     strerror(ce.err));
            break;
        case STAGE_DUP2:
            snprintf(r->errmsg, sizeof(r->errmsg), "dup2: %s", strerror(ce.err));
            break;
        case STAGE_RLIMIT:
            snprintf(r->errmsg, sizeof(r->errmsg), "setrlimit RLIMIT_FSIZE %llu: %s",
                     (unsigned long long)opt_max_file_bytes, strerror(ce.err));
            break;
        default:
            snprintf(r->errmsg, sizeof(r->errmsg), "child setup: %s", strerror(ce.err));
            break;
        }
    }
    close(err_rd);
}

static const char *run_status(const struct run *r)
{
    if (r->have_error)
        return "spawn-failed";
    if (r->timed_out)
        return "timeout";
    if (r->interrupted)
        return "interrupted";
    if (r->reaped && WIFEXITED(r->wstatus))
        return "exited";
    if (r->reaped && WIFSIGNALED(r->wstatus))
        return "signaled";
    return "spawn-failed";
}

/* The record's "perf" object: the counters read, or why there are none. */
static void record_perf(struct sbuf *out, pid_t pid)
{
    size_t k;
    sb_puts(out, ",\"perf\":");
    if (opt_no_perf) {
        sb_puts(out, "{\"available\":false,\"reason\":\"disabled (--no-perf)\"}");
    } else if (pid <= 0) {
        sb_puts(out, "{\"available\":false,\"reason\":\"child not started\"}");
    } else if (perf_refused_errno != 0) {
        char m[160];
        snprintf(m, sizeof(m), "perf_event_open: %s", strerror(perf_refused_errno));
        sb_puts(out, "{\"available\":false,\"reason\":");
        sb_json_str(out, m);
        sb_puts(out, "}");
    } else {
        int first = 1;
        sb_puts(out, "{\"available\":true,\"events\":{");
        for (k = 0; k < N_COUNTERS; k++) {
            struct perf_counter *c = &counters[k];
            sb_printf(out, "%s\"%s\":", k ? "," : "", c->json_name);
            if (c->read_ok && !c->never_ran)
                sb_printf(out, "%llu", (unsigned long long)c->value);
            else
                sb_puts(out, "null");
        }
        sb_puts(out, "},\"unavailable\":{");
        for (k = 0; k < N_COUNTERS; k++) {
            struct perf_counter *c = &counters[k];
            const char *why = NULL;
            if (c->read_ok && c->never_ran)
                why = "never scheduled on the PMU (multiplexing)";
            else if (!c->read_ok)
                why = c->open_errno ? strerror(c->open_errno) : "not read";
            if (why == NULL)
                continue;
            sb_printf(out, "%s\"%s\":", first ? "" : ",", c->json_name);
            sb_json_str(out, why);
            first = 0;
        }
        sb_printf(out, "},\"scaled\":%s,\"userSpaceOnly\":%s}", perf_any_scaled ? "true" : "false",
                  perf_user_only ? "true" : "false");
    }
}

/* The record's "rssTimeline" object. */
static void record_rss(struct sbuf *out)
{
    size_t k;
    sb_puts(out, ",\"rssTimeline\":{");
    sb_json_double(out, "\"intervalMs\":%.3f", (double)rss_interval_ns / 1e6);
    sb_puts(out, ",\"samples\":[");
    for (k = 0; k < rss_count; k++)
        sb_printf(out, "%s[%.3f,%llu]", k ? "," : "", rss[k].t_ms,
                  (unsigned long long)rss[k].bytes);
    sb_printf(out, "],\"decimations\":%u,\"maxSampledBytes\":", rss_decimations);
    if (rss_count > 0)
        sb_printf(out, "%llu", (unsigned long long)rss_max_sampled);
    else
        sb_puts(out, "null");
    sb_puts(out, "}");
}

/* The JSON record of the run (src/native/README.md), one line. */
static void record_run(struct sbuf *out, const struct run *r)
{
    char sigbuf[32];
    const int exited = r->reaped && WIFEXITED(r->wstatus) && !r->have_error;
    const int signaled = r->reaped && WIFSIGNALED(r->wstatus) && !r->have_error;

    sb_printf(out, "{\"launcher\":%d,\"status\":", LAUNCHER_FORMAT);
    sb_json_str(out, run_status(r));
    if (exited)
        sb_printf(out, ",\"exitCode\":%d", WEXITSTATUS(r->wstatus));
    else
        sb_puts(out, ",\"exitCode\":null");
    if (signaled) {
        sb_printf(out, ",\"signal\":%d,\"signalName\":", WTERMSIG(r->wstatus));
        sb_json_str(out, signal_name(WTERMSIG(r->wstatus), sigbuf, sizeof(sigbuf)));
    } else {
        sb_puts(out, ",\"signal\":null,\"signalName\":null");
    }
    sb_puts(out, ",\"error\":");
    if (r->have_error) {
        sb_json_str(out, r->errmsg);
    } else if (r->interrupted) {
        char m[96];
        snprintf(m, sizeof(m), "launcher received %s",
                 signal_name((int)got_term_signal, sigbuf, sizeof(sigbuf)));
        sb_json_str(out, m);
    } else if (r->timed_out) {
        char m[96];
        snprintf(m, sizeof(m), "timed out after %llu ms", (unsigned long long)opt_timeout_ms);
        sb_json_str(out, m);
    } else {
        sb_puts(out, "null");
    }

    if (r->pid > 0 && r->end_ns >= r->start_ns && r->start_ns > 0)
        sb_json_double(out, ",\"wallSeconds\":%.9f", (double)(r->end_ns - r->start_ns) / 1e9);
    else
        sb_puts(out, ",\"wallSeconds\":null");

    if (r->reaped) {
        const struct rusage *ru = &r->ru;
        sb_json_double(out, ",\"userSeconds\":%.6f",
                       (double)ru->ru_utime.tv_sec + (double)ru->ru_utime.tv_usec / 1e6);
        sb_json_double(out, ",\"sysSeconds\":%.6f",
                       (double)ru->ru_stime.tv_sec + (double)ru->ru_stime.tv_usec / 1e6);
        sb_printf(out,
                  ",\"maxRssBytes\":%llu,\"minorFaults\":%ld,\"majorFaults\":%ld"
                  ",\"voluntaryContextSwitches\":%ld,\"involuntaryContextSwitches\":%ld",
                  (unsigned long long)ru->ru_maxrss * 1024ULL, (long)ru->ru_minflt,
                  (long)ru->ru_majflt, (long)ru->ru_nvcsw, (long)ru->ru_nivcsw);
    } else {
        sb_puts(out, ",\"userSeconds\":null,\"sysSeconds\":null,\"maxRssBytes\":null"
                     ",\"minorFaults\":null,\"majorFaults\":null"
                     ",\"voluntaryContextSwitches\":null,\"involuntaryContextSwitches\":null");
    }

    sb_puts(out, ",\"cpus\":");
    sb_json_str(out, opt_cpus);
    sb_printf(out, ",\"timeoutMs\":%llu", (unsigned long long)opt_timeout_ms);
    record_perf(out, r->pid);
    record_rss(out);
    sb_puts(out, "}\n");
}

int main(int argc, char **argv)
{
    sigset_t wait_set, orig_mask;
    int go_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
    struct child_fds fds = {-1, -1, -1, -1};
    struct run r;
    struct sbuf out = {NULL, 0, 0, 0};

    memset(&r, 0, sizeof(r));
    r.pid = -1;
    ensure_std_fds();
    parse_args(argc, argv);
    if (die_with_parent() != 0)
        return 1;
    {
        long ps = sysconf(_SC_PAGESIZE);
        if (ps > 0)
            page_size = ps;
    }
    install_signals(&wait_set, &orig_mask);

    if (opt_rss_interval_ms > 0) {
        rss = malloc(sizeof(*rss) * (size_t)opt_rss_max_samples);
        if (rss == NULL) {
            fprintf(stderr, "launcher: cannot allocate RSS timeline\n");
            return 1;
        }
        rss_interval_ns = (int64_t)opt_rss_interval_ms * 1000000;
    }

    /* A file or process that cannot be set up is reported as spawn-failed, in the record. */
    if (open_child_files(&r, &fds) != 0 ||
        start_child(&r, &fds, go_pipe, err_pipe, &orig_mask) != 0) {
        r.have_error = 1;
    } else {
        wait_child(&r, &wait_set, go_pipe[1]);
        read_child_error(&r, err_pipe[0]);
        if (!opt_no_perf)
            perf_read_all();
    }

    record_run(&out, &r);
    if (out.oom) {
        fprintf(stderr, "launcher: out of memory while formatting the record\n");
        return 1;
    }
    if (write_all(STDOUT_FILENO, out.p, out.len) != 0)
        return 1;
    return 0;
}
