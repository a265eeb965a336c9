/*
 * glibc-thread: after glibc's benchtests/bench-malloc-thread as its source
 * comments describe it. Every thread owns a working set of `slots` block
 * pointers (1024 in glibc's benchmark), all empty at the start. Each
 * iteration picks a uniformly random slot, validates and frees the block
 * in it (if any) and stores a freshly allocated block of a random size.
 * Sizes follow glibc's "inverse square" distribution (density proportional
 * to 1/size^2) on [min, max], 4..32768 bytes by default: most blocks are
 * tiny (the median is about 8 bytes) but sizes up to 32 KiB keep occurring.
 *
 * glibc's benchmark runs for a fixed time and draws sizes and slots from
 * precomputed tables through powf(); this version runs a fixed number of
 * iterations and draws both from the seeded PRNG with exact integer
 * arithmetic (no libm), so sizes are identical across libcs.
 *
 * Work division: `iterations` in total, split among the threads; every
 * thread has its own `slots`-entry working set.
 */
#include "mallocbench.h"

#include <stdio.h>

static mb_param params[] = {
    {"slots", "working set: block slots per thread", {1024, 1024, 1024}, 1, 100000000, 0, 0},
    {"iterations", "free+malloc iterations, total over all threads", {2500000, 20000000, 70000000}, 1, 4000000000LL, 0, 0},
    {"min", "smallest block size in bytes", {4, 4, 4}, 1, 1 << 20, 0, 0},
    {"max", "largest block size in bytes", {32768, 32768, 32768}, 1, 1 << 20, 0, 0},
};

static const mb_workload wl = {
    "glibc-thread",
    "glibc bench-malloc-thread: random slot of a 1024-block working set freed and refilled, inverse-square sizes 4..32768",
    params,
    sizeof params / sizeof params[0],
};

struct slot {
    void *p;
    size_t size;
    uint64_t tag;
};

struct result {
    uint64_t ops;
    uint64_t checksum;
    char pad[112];
};

struct shared {
    int threads;
    uint64_t iterations;
    size_t nslots;
    uint64_t min, max;
    uint64_t seed;
    struct slot **slots; /* per-thread working sets */
    struct result *res;
};

/*
 * Inverse-square distribution on [a, b] (density ~ 1/x^2): the inverse CDF
 * of u in [0,1) is x = a*B / (B - u*(B-a)) with B = b+1, computed with u =
 * the top 32 bits of a random word, all in exact 64-bit integers
 * (needs a*B < 2^32, checked in main).
 */
static size_t inverse_square(mb_rng *r, uint64_t a, uint64_t b)
{
    uint64_t B = b + 1;
    uint64_t u = mb_rng_next(r) >> 32;
    uint64_t x = ((a * B) << 32) / ((B << 32) - u * (B - a));
    return (size_t)(x > b ? b : x);
}

static void worker(int tid, void *arg)
{
    struct shared *sh = arg;
    struct slot *slots = sh->slots[tid];
    size_t n = sh->nslots;
    uint64_t iters = mb_share(sh->iterations, sh->threads, tid);
    uint64_t a = sh->min, b = sh->max, ops = 0, sum = 0;
    mb_rng rng;
    mb_rng_seed(&rng, sh->seed, (uint64_t)tid);
    for (uint64_t i = 0; i < iters; i++) {
        size_t idx = (size_t)mb_rng_below(&rng, n);
        struct slot *s = &slots[idx];
        if (s->p != NULL) {
            mb_check(s->p, s->size, s->tag);
            mb_free(s->p, s->size);
            ops++;
        }
        size_t size = inverse_square(&rng, a, b);
        uint64_t tag = ((uint64_t)tid << 40) | i;
        s->p = mb_malloc(size);
        mb_fill(s->p, size, tag);
        s->size = size;
        s->tag = tag;
        ops++;
        sum += mb_mix64(tag ^ ((uint64_t)size << 44) ^ ((uint64_t)idx << 20));
    }
    sh->res[tid].ops = ops;
    sh->res[tid].checksum = sum;
}

int main(int argc, char **argv)
{
    mb_config cfg;
    mb_init(&wl, argc, argv, &cfg);

    struct shared sh;
    int T = cfg.threads;
    sh.threads = T;
    sh.seed = cfg.seed;
    sh.nslots = (size_t)mb_param_value(&wl, "slots");
    sh.iterations = (uint64_t)mb_param_value(&wl, "iterations");
    sh.min = (uint64_t)mb_param_value(&wl, "min");
    sh.max = (uint64_t)mb_param_value(&wl, "max");
    if (sh.min > sh.max)
        mb_usage_error("--min (%llu) must not exceed --max (%llu)", (unsigned long long)sh.min,
                       (unsigned long long)sh.max);
    if (sh.min * (sh.max + 1) >= (UINT64_C(1) << 32))
        mb_usage_error("--min (%llu) times --max + 1 (%llu) must be below 2^32 (sizes are drawn "
                       "with 64-bit integer arithmetic)",
                       (unsigned long long)sh.min, (unsigned long long)(sh.max + 1));

    /* Setup (not timed): empty working sets, result slots. */
    size_t rbytes = sizeof *sh.res * (size_t)T;
    sh.res = mb_aligned_alloc(128, rbytes);
    sh.slots = mb_malloc(sizeof *sh.slots * (size_t)T);
    for (int t = 0; t < T; t++)
        sh.slots[t] = mb_calloc(sh.nslots, sizeof(struct slot));

    double seconds = mb_run_threads(T, worker, &sh);

    uint64_t ops = 0, checksum = mb_mix64(cfg.seed);
    for (int t = 0; t < T; t++) {
        ops += sh.res[t].ops;
        checksum += mb_mix64(sh.res[t].checksum + (uint64_t)t);
    }
    /* Teardown (not timed): validate and free what is left. */
    for (int t = 0; t < T; t++) {
        for (size_t i = 0; i < sh.nslots; i++) {
            struct slot *s = &sh.slots[t][i];
            if (s->p != NULL) {
                mb_check(s->p, s->size, s->tag);
                mb_free(s->p, s->size);
            }
        }
        mb_free(sh.slots[t], sh.nslots * sizeof(struct slot));
    }
    mb_free(sh.slots, sizeof *sh.slots * (size_t)T);
    mb_free(sh.res, rbytes);
    mb_report(&wl, &cfg, ops, seconds, checksum);
    return MB_EXIT_OK;
}
