/*
 * retention: memory held after threads exit. In each round the main thread
 * starts --threads workers; each allocates its share of a working set of
 * `ws_mib` MiB in blocks of mixed sizes (log-uniform in [min, max]),
 * writes them, then validates and frees all of them in a random order and
 * exits. After the last round the main thread prints "@phase threads-done"
 * and "@phase hold" and sleeps `hold_ms` (not measured) before reporting,
 * so the RSS timeline shows how much of the peak the allocator still holds
 * once every block is freed and every thread that used it is gone
 * (per-thread caches and arenas that are not returned to the OS). Models a
 * short-lived thread pool or per-request threads that build a large
 * transient data structure.
 *
 * Work division: the working set is split among the threads (thread i gets
 * its share of the bytes); every round starts all threads again. The block
 * sizes of a thread are drawn once (setup, not measured) and reused each
 * round; tags change per round. The measured time is the sum of the rounds
 * from the start gate to the last join (thread exit included, creation
 * not).
 */
#include "mallocbench.h"

#include <stdio.h>

static mb_param params[] = {
    {"ws_mib", "working set in MiB per round, total over threads", {64, 64, 64}, 1, 65536, 0, 0},
    {"min", "smallest block in bytes", {16, 16, 16}, 1, 1 << 24, 0, 0},
    {"max", "largest block in bytes", {8192, 8192, 8192}, 1, 1 << 24, 0, 0},
    {"rounds", "rounds of start threads, allocate, free, exit", {2, 20, 70}, 1, 1000000, 0, 0},
    {"hold_ms", "milliseconds to stay alive after the last round (not measured)", {300, 300, 300}, 0, 60000, 0, 0},
};

static const mb_workload wl = {
    "retention",
    "threads allocate a working set, free it and exit; memory still held afterwards",
    params,
    sizeof params / sizeof params[0],
};

struct block {
    void *p;
    size_t size;
    uint64_t tag;
};

struct tdata {
    struct block *blocks; /* sizes drawn in setup */
    size_t n, cap;
    uint64_t ops;
    uint64_t checksum;
};

struct shared {
    uint64_t seed;
    uint64_t round;
    struct tdata *td;
};

/* Log-uniform in [lo, hi]: one of the power-of-two ranges [2^e, 2^(e+1)]
 * that overlap [lo, hi] picked uniformly, then a size uniformly inside it
 * (clipped to [lo, hi]). */
static size_t log_uniform(mb_rng *r, size_t lo, size_t hi)
{
    if (lo >= hi)
        return lo;
    unsigned elo = 63u - (unsigned)__builtin_clzll((unsigned long long)lo);
    unsigned ehi = 63u - (unsigned)__builtin_clzll((unsigned long long)(hi - 1));
    unsigned e = (unsigned)mb_rng_range(r, elo, ehi);
    size_t a = (size_t)1 << e, b = (size_t)2 << e;
    if (a < lo)
        a = lo;
    if (b > hi)
        b = hi;
    return (size_t)mb_rng_range(r, a, b);
}

static void worker(int tid, void *arg)
{
    struct shared *sh = arg;
    struct tdata *td = &sh->td[tid];
    struct block *b = td->blocks;
    size_t n = td->n;
    mb_rng rng;
    mb_rng_seed(&rng, sh->seed ^ mb_mix64(sh->round + 1), (uint64_t)tid);
    uint64_t base = ((uint64_t)tid << 48) | (sh->round << 28);
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        b[i].tag = base | i;
        b[i].p = mb_malloc(b[i].size);
        mb_fill(b[i].p, b[i].size, b[i].tag);
    }
    /* Free in a random order (Fisher-Yates from the back). */
    for (size_t i = n; i > 0; i--) {
        size_t j = (size_t)mb_rng_below(&rng, i);
        struct block x = b[j];
        b[j] = b[i - 1];
        b[i - 1] = x;
        mb_check(x.p, x.size, x.tag);
        mb_free(x.p, x.size);
        b[i - 1].p = NULL;
        sum += mb_mix64(x.tag ^ ((uint64_t)x.size << 32) ^ (uint64_t)(i - 1));
    }
    td->ops += 2 * (uint64_t)n;
    td->checksum += sum;
}

int main(int argc, char **argv)
{
    mb_config cfg;
    mb_init(&wl, argc, argv, &cfg);

    size_t ws = (size_t)mb_param_value(&wl, "ws_mib") << 20;
    size_t min = (size_t)mb_param_value(&wl, "min");
    size_t max = (size_t)mb_param_value(&wl, "max");
    uint64_t rounds = (uint64_t)mb_param_value(&wl, "rounds");
    long long hold_ms = mb_param_value(&wl, "hold_ms");
    if (min > max)
        mb_usage_error("--min (%zu) must not exceed --max (%zu)", min, max);
    int T = cfg.threads;

    /* Setup (not timed): each thread's block sizes, drawn until its share
     * of the working set is reached. */
    struct shared sh;
    sh.seed = cfg.seed;
    sh.td = mb_malloc(sizeof *sh.td * (size_t)T);
    for (int t = 0; t < T; t++) {
        struct tdata *td = &sh.td[t];
        size_t share = (size_t)mb_share(ws, T, t);
        mb_rng rng;
        mb_rng_seed(&rng, cfg.seed, (uint64_t)t + UINT64_C(0x100000000));
        size_t cap = 1024, n = 0, bytes = 0;
        struct block *blocks = mb_malloc(sizeof *blocks * cap);
        while (bytes < share) {
            if (n == cap) {
                blocks = mb_realloc(blocks, sizeof *blocks * cap, sizeof *blocks * cap * 2);
                cap *= 2;
            }
            size_t size = log_uniform(&rng, min, max);
            if (size > share - bytes)
                size = share - bytes;
            blocks[n].p = NULL;
            blocks[n].size = size;
            blocks[n].tag = 0;
            bytes += size;
            n++;
        }
        if ((uint64_t)n >= (UINT64_C(1) << 28))
            mb_usage_error("--ws_mib / --min give too many blocks per thread (%zu)", n);
        td->blocks = blocks;
        td->n = n;
        td->cap = cap;
        td->ops = 0;
        td->checksum = 0;
    }

    mb_phase("work");
    double seconds = 0;
    for (uint64_t r = 0; r < rounds; r++) {
        sh.round = r;
        seconds += mb_run_threads(T, worker, &sh);
    }
    mb_phase("threads-done");
    mb_phase("hold");
    mb_sleep_ms(hold_ms);
    mb_phase("end");

    uint64_t ops = 0, checksum = mb_mix64(cfg.seed);
    for (int t = 0; t < T; t++) {
        ops += sh.td[t].ops;
        checksum += mb_mix64(sh.td[t].checksum + (uint64_t)t);
        mb_free(sh.td[t].blocks, sizeof *sh.td[t].blocks * sh.td[t].cap);
    }
    mb_free(sh.td, sizeof *sh.td * (size_t)T);
    mb_report(&wl, &cfg, ops, seconds, checksum);
    return MB_EXIT_OK;
}
