/*
 * alloc-test: after the "alloc-test" benchmark (Ivan Lazarev,
 * OLogN/ITHare) as mimalloc-bench describes it: intensive allocation with
 * Pareto-distributed sizes up to 1 KiB and realistic lifetimes (most
 * objects die young, some live long).
 *
 * Every thread owns `slots` object slots, all empty at the start. Each
 * step picks a slot with a skewed (bounded Pareto, alpha = 1) distribution
 * over the slot index: if the slot is empty, a block of a Pareto-distributed
 * size in [min, max] is allocated and written there; if it holds a block,
 * the block is validated and freed. A block lives until its slot is picked
 * again, so blocks in the "hot" low slots are short-lived (a few hundred
 * steps) and blocks in the cold high slots live up to millions of steps.
 *
 * Both distributions are computed with exact 64-bit integer arithmetic (no
 * libm), so the work is identical across libcs.
 *
 * Work division: `steps` in total, split among the threads; each thread
 * has its own `slots` slots.
 */
#include "mallocbench.h"

#include <stdio.h>

static mb_param params[] = {
    {"slots", "object slots per thread (at most about half are occupied)", {16384, 16384, 16384}, 1, 400000, 0, 0},
    {"steps", "steps (one malloc or one free each), total over all threads", {4000000, 30000000, 100000000}, 1, 4000000000LL, 0, 0},
    {"min", "smallest block size in bytes", {8, 8, 8}, 1, 1 << 20, 0, 0},
    {"max", "largest block size in bytes", {1024, 1024, 1024}, 1, 1 << 20, 0, 0},
};

static const mb_workload wl = {
    "alloc-test",
    "alloc-test: Pareto sizes up to 1 KiB, skewed slot reuse (most objects short-lived, some long-lived)",
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
    uint64_t steps;
    size_t nslots;
    uint64_t min, max;
    uint64_t seed;
    struct slot **slots;
    struct result *res;
};

/*
 * Bounded Pareto with alpha = 1 on [a, b] (density ~ 1/x^2): inverse CDF
 * x = a*B / (B - u*(B-a)) with B = b+1 and u = the top 32 bits of a random
 * word over 2^32, in exact integers. Needs a*B < 2^32 (checked in main).
 */
static uint64_t pareto(mb_rng *r, uint64_t a, uint64_t b)
{
    uint64_t B = b + 1;
    uint64_t u = mb_rng_next(r) >> 32;
    uint64_t x = ((a * B) << 32) / ((B << 32) - u * (B - a));
    return x > b ? b : x;
}

static void worker(int tid, void *arg)
{
    struct shared *sh = arg;
    struct slot *slots = sh->slots[tid];
    size_t n = sh->nslots;
    /* Slot index = pareto(hot, hot + n - 1) - hot: about half the picks fall
     * on the first `hot` slots; the last slot is picked ~4000x less often
     * than the first. */
    uint64_t hot = n / 64 > 0 ? n / 64 : 1;
    uint64_t steps = mb_share(sh->steps, sh->threads, tid);
    uint64_t a = sh->min, b = sh->max, sum = 0;
    mb_rng rng;
    mb_rng_seed(&rng, sh->seed, (uint64_t)tid);
    for (uint64_t i = 0; i < steps; i++) {
        size_t idx = (size_t)(pareto(&rng, hot, hot + n - 1) - hot);
        struct slot *s = &slots[idx];
        if (s->p != NULL) {
            mb_check(s->p, s->size, s->tag);
            mb_free(s->p, s->size);
            s->p = NULL;
            sum += mb_mix64(s->tag ^ ((uint64_t)idx << 20));
        } else {
            size_t size = (size_t)pareto(&rng, a, b);
            uint64_t tag = ((uint64_t)tid << 40) | i;
            s->p = mb_malloc(size);
            mb_fill(s->p, size, tag);
            s->size = size;
            s->tag = tag;
            sum += mb_mix64(tag ^ ((uint64_t)size << 44));
        }
    }
    sh->res[tid].ops = steps;
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
    sh.steps = (uint64_t)mb_param_value(&wl, "steps");
    sh.min = (uint64_t)mb_param_value(&wl, "min");
    sh.max = (uint64_t)mb_param_value(&wl, "max");
    if (sh.min > sh.max)
        mb_usage_error("--min (%llu) must not exceed --max (%llu)", (unsigned long long)sh.min,
                       (unsigned long long)sh.max);
    if (sh.min * (sh.max + 1) >= (UINT64_C(1) << 32))
        mb_usage_error("--min (%llu) times --max + 1 (%llu) must be below 2^32 (sizes are drawn "
                       "with 64-bit integer arithmetic)",
                       (unsigned long long)sh.min, (unsigned long long)(sh.max + 1));

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
    /* Teardown (not timed): validate and free the survivors. */
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
