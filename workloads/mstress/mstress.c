/*
 * mstress: threads are created and destroyed over and over while objects
 * migrate between them, after the stress test mimalloc-bench runs as
 * mstress/mstressN (mimalloc's test-stress) as that project describes it.
 *
 * The run is `rounds` rounds. In each round the main thread starts T
 * threads and joins them. Every thread owns, for that round only, a local
 * slot array (allocated when it starts, emptied and freed when it ends),
 * and one region of a shared transfer array that survives the round:
 * in round r, thread t works on region (t + r) mod T. A step picks the
 * transfer region with probability `migrate` percent (otherwise a local
 * slot), frees the object in the picked slot (if any) and allocates a new
 * one there. Objects in the transfer array were allocated by a thread of
 * an earlier round that has exited since; about a third of them survive a
 * round untouched with the defaults and are left for the next round's
 * threads. Sizes: 99% bounded Pareto (alpha = 1) on [8, 512], 1% uniform
 * on [1024, max].
 *
 * Thread creation and exit are inside the measured region: they are part
 * of what this workload stresses (thread-cache setup and teardown, heaps
 * abandoned by exited threads and adopted later).
 *
 * Work division: `steps`, `live` and `transfer` are totals per round,
 * divided among the threads, so work and footprint do not depend on
 * --threads; every round starts T threads.
 */
#include "mallocbench.h"

#include <stdio.h>

static mb_param params[] = {
    {"rounds", "rounds; each starts T threads and joins them", {20, 50, 100}, 1, 1000000, 0, 0},
    {"steps", "free+malloc steps per round, total over all threads", {60000, 150000, 300000}, 1, 1000000000, 0, 0},
    {"live", "thread-local object slots, total over all threads", {6000, 15000, 30000}, 1, 100000000, 0, 0},
    {"transfer", "slots of the transfer array that outlives the rounds", {6000, 15000, 30000}, 1, 100000000, 0, 0},
    {"migrate", "percent of steps that replace an object in the transfer array", {10, 10, 10}, 0, 100, 0, 0},
    {"max", "largest size of the rare (1 in 100) large objects", {32768, 32768, 32768}, 1024, 1 << 24, 0, 0},
};

static const mb_workload wl = {
    "mstress",
    "threads created and destroyed every round; objects migrate to later rounds' threads through a shared array",
    params,
    sizeof params / sizeof params[0],
};

struct slot {
    void *p;
    size_t size;
    uint64_t tag;
};

struct shared {
    int threads;
    uint64_t steps;
    uint64_t live;
    uint64_t migrate;
    uint64_t max;
    uint64_t seed;
    struct slot *transfer;
    size_t *region_off; /* region k: transfer[region_off[k] .. region_off[k+1]) */
};

struct task {
    struct shared *sh;
    int tid;
    uint64_t round;
    uint64_t ops;
    uint64_t checksum;
    char pad[64];
};

/* Bounded Pareto, alpha = 1, on [a, b] in exact integers (a*(b+1) < 2^32). */
static uint64_t pareto(mb_rng *r, uint64_t a, uint64_t b)
{
    uint64_t B = b + 1;
    uint64_t u = mb_rng_next(r) >> 32;
    uint64_t x = ((a * B) << 32) / ((B << 32) - u * (B - a));
    return x > b ? b : x;
}

static uint64_t replace(struct slot *s, mb_rng *rng, uint64_t tag, uint64_t max)
{
    uint64_t ops = 0;
    if (s->p != NULL) {
        mb_check(s->p, s->size, s->tag);
        mb_free(s->p, s->size);
        ops++;
    }
    size_t size = mb_rng_below(rng, 100) == 0 ? (size_t)mb_rng_range(rng, 1024, max)
                                               : (size_t)pareto(rng, 8, 512);
    s->p = mb_malloc(size);
    mb_fill(s->p, size, tag);
    s->size = size;
    s->tag = tag;
    return ops + 1;
}

static void *round_thread(void *arg)
{
    struct task *tk = arg;
    struct shared *sh = tk->sh;
    int T = sh->threads, tid = tk->tid;
    uint64_t r = tk->round;
    mb_rng rng;
    mb_rng_seed(&rng, sh->seed, r * (uint64_t)T + (uint64_t)tid);

    size_t nlocal = (size_t)mb_share(sh->live, T, tid);
    struct slot *local = mb_calloc(nlocal, sizeof *local);
    int k = (int)((tid + r) % (uint64_t)T);
    struct slot *region = sh->transfer + sh->region_off[k];
    size_t nregion = sh->region_off[k + 1] - sh->region_off[k];
    uint64_t steps = mb_share(sh->steps, T, tid);
    uint64_t ops = 1, sum = 0; /* the calloc */

    for (uint64_t i = 0; i < steps; i++) {
        uint64_t tag = (r << 44) ^ ((uint64_t)tid << 32) ^ i;
        struct slot *s;
        size_t idx;
        int migrating = nregion > 0 && mb_rng_below(&rng, 100) < sh->migrate;
        if (migrating || nlocal == 0) {
            if (nregion == 0)
                continue;
            idx = (size_t)mb_rng_below(&rng, nregion);
            s = &region[idx];
        } else {
            idx = (size_t)mb_rng_below(&rng, nlocal);
            s = &local[idx];
        }
        ops += replace(s, &rng, tag, sh->max);
        sum += mb_mix64(tag ^ ((uint64_t)s->size << 40) ^ ((uint64_t)idx << 8) ^ (uint64_t)migrating);
    }
    /* Thread teardown: free the local objects (own thread) and the array. */
    for (size_t i = 0; i < nlocal; i++) {
        if (local[i].p != NULL) {
            mb_check(local[i].p, local[i].size, local[i].tag);
            mb_free(local[i].p, local[i].size);
            ops++;
        }
    }
    mb_free(local, nlocal * sizeof *local);
    tk->ops = ops + 1;
    tk->checksum = sum;
    return NULL;
}

int main(int argc, char **argv)
{
    mb_config cfg;
    mb_init(&wl, argc, argv, &cfg);

    struct shared sh;
    int T = cfg.threads;
    sh.threads = T;
    sh.seed = cfg.seed;
    uint64_t rounds = (uint64_t)mb_param_value(&wl, "rounds");
    sh.steps = (uint64_t)mb_param_value(&wl, "steps");
    sh.live = (uint64_t)mb_param_value(&wl, "live");
    uint64_t ntransfer = (uint64_t)mb_param_value(&wl, "transfer");
    sh.migrate = (uint64_t)mb_param_value(&wl, "migrate");
    sh.max = (uint64_t)mb_param_value(&wl, "max");

    /* Setup (not timed): the empty transfer array and its regions. */
    sh.transfer = mb_calloc((size_t)ntransfer, sizeof *sh.transfer);
    sh.region_off = mb_malloc(sizeof *sh.region_off * ((size_t)T + 1));
    sh.region_off[0] = 0;
    for (int k = 0; k < T; k++)
        sh.region_off[k + 1] = sh.region_off[k] + (size_t)mb_share(ntransfer, T, k);
    struct task *tasks = mb_calloc((size_t)T, sizeof *tasks);
    pthread_t *tids = mb_malloc(sizeof *tids * (size_t)T);

    uint64_t ops = 0, checksum = mb_mix64(cfg.seed);
    double t0 = mb_now();
    for (uint64_t r = 0; r < rounds; r++) {
        for (int t = 0; t < T; t++) {
            tasks[t].sh = &sh;
            tasks[t].tid = t;
            tasks[t].round = r;
            mb_thread_create(&tids[t], round_thread, &tasks[t]);
        }
        for (int t = 0; t < T; t++) {
            mb_thread_join(tids[t]);
            ops += tasks[t].ops;
            checksum += mb_mix64(tasks[t].checksum + r * (uint64_t)T + (uint64_t)t);
        }
    }
    double t1 = mb_now();

    /* Teardown (not timed): what the last round left in the transfer array. */
    for (uint64_t i = 0; i < ntransfer; i++) {
        struct slot *s = &sh.transfer[i];
        if (s->p != NULL) {
            mb_check(s->p, s->size, s->tag);
            mb_free(s->p, s->size);
        }
    }
    mb_free(tids, sizeof *tids * (size_t)T);
    mb_free(tasks, sizeof *tasks * (size_t)T);
    mb_free(sh.region_off, sizeof *sh.region_off * ((size_t)T + 1));
    mb_free(sh.transfer, (size_t)ntransfer * sizeof *sh.transfer);
    mb_report(&wl, &cfg, ops, t1 - t0, checksum);
    return MB_EXIT_OK;
}
