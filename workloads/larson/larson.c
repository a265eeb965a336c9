/*
 * larson: server simulation after the benchmark of Larson and Krishnan as
 * described in the Hoard paper. Each worker "lineage" owns a slice of
 * `slots` objects. In each step it picks a random slot of its slice,
 * validates and frees the object there, and allocates a replacement of a
 * random size in [min, max]. After a round of steps the thread starts a
 * successor thread, hands it the slice, and exits; the successor frees
 * objects its predecessor allocated (cross-thread frees, arena/heap
 * hand-over). The initial objects are allocated by the main thread.
 *
 * Work: a fixed number of steps (not a fixed time). `steps` is the total per
 * round over all lineages, divided among them; there are `rounds` rounds,
 * so the total work does not depend on --threads. The memory footprint
 * (slots per lineage) does grow with --threads, as in the original.
 */
#include "mallocbench.h"

#include <stdio.h>

static mb_param params[] = {
    {"slots", "live objects per thread (slice of the shared slot array)", {1000, 1000, 1000}, 1, 100000000, 0, 0},
    {"min", "smallest object size in bytes", {16, 16, 16}, 1, 1 << 24, 0, 0},
    {"max", "largest object size in bytes", {1024, 1024, 1024}, 1, 1 << 24, 0, 0},
    {"steps", "free+malloc steps per round, total over all threads", {50000, 150000, 500000}, 1, 1000000000, 0, 0},
    {"rounds", "rounds; each ends with every thread handing its slots to a new thread", {30, 100, 100}, 1, 1000000, 0, 0},
};

static const mb_workload wl = {
    "larson",
    "server simulation: random free/replace over per-thread slots, threads handed over every round (cross-thread frees)",
    params,
    sizeof params / sizeof params[0],
};

struct slot {
    void *p;
    size_t size;
    uint64_t tag;
};

struct shared;

struct lineage {
    int id;
    struct shared *sh;
    struct slot *slots; /* this lineage's slice */
    size_t nslots;
    mb_rng rng;
    uint64_t steps;       /* per round, this lineage's share */
    uint64_t rounds_left;
    uint64_t next_tag;
    uint64_t ops;
    uint64_t checksum;
    int has_prev;
    pthread_t prev;       /* predecessor, joined by its successor */
    pthread_t last;       /* final thread, joined by main */
};

struct shared {
    size_t min, max;
    mb_gate gate;
    mb_latch finished;
};

static void replace(struct lineage *L, struct slot *s, size_t idx)
{
    size_t size = (size_t)mb_rng_range(&L->rng, L->sh->min, L->sh->max);
    uint64_t tag = ((uint64_t)L->id << 44) | L->next_tag++;
    void *p = mb_malloc(size);
    mb_fill(p, size, tag);
    s->p = p;
    s->size = size;
    s->tag = tag;
    L->checksum += mb_mix64(tag ^ ((uint64_t)size << 32) ^ ((uint64_t)idx << 12));
}

static void *lineage_thread(void *arg)
{
    struct lineage *L = arg;
    if (L->has_prev)
        mb_thread_join(L->prev);
    else
        mb_gate_arrive(&L->sh->gate);

    struct slot *slots = L->slots;
    for (uint64_t i = 0; i < L->steps; i++) {
        size_t idx = (size_t)mb_rng_below(&L->rng, L->nslots);
        struct slot *s = &slots[idx];
        mb_check(s->p, s->size, s->tag);
        mb_free(s->p, s->size);
        replace(L, s, idx);
    }
    L->ops += 2 * L->steps;

    if (--L->rounds_left > 0) {
        /* Hand the slice to a new thread; do not touch L afterwards. */
        pthread_t next;
        L->prev = pthread_self();
        L->has_prev = 1;
        mb_thread_create(&next, lineage_thread, L);
        return NULL;
    }
    L->last = pthread_self();
    mb_latch_done(&L->sh->finished);
    return NULL;
}

int main(int argc, char **argv)
{
    mb_config cfg;
    mb_init(&wl, argc, argv, &cfg);

    struct shared sh;
    size_t nslots = (size_t)mb_param_value(&wl, "slots");
    sh.min = (size_t)mb_param_value(&wl, "min");
    sh.max = (size_t)mb_param_value(&wl, "max");
    uint64_t steps = (uint64_t)mb_param_value(&wl, "steps");
    uint64_t rounds = (uint64_t)mb_param_value(&wl, "rounds");
    if (sh.min > sh.max)
        mb_usage_error("--min (%zu) must not exceed --max (%zu)", sh.min, sh.max);
    int T = cfg.threads;

    /* Setup (not timed): the shared slot array, filled by the main thread. */
    struct slot *all = mb_malloc(sizeof *all * nslots * (size_t)T);
    struct lineage *lin = mb_malloc(sizeof *lin * (size_t)T);
    for (int t = 0; t < T; t++) {
        struct lineage *L = &lin[t];
        L->id = t;
        L->sh = &sh;
        L->slots = all + (size_t)t * nslots;
        L->nslots = nslots;
        mb_rng_seed(&L->rng, cfg.seed, (uint64_t)t);
        L->steps = mb_share(steps, T, t);
        L->rounds_left = rounds;
        L->next_tag = 0;
        L->ops = 0;
        L->checksum = 0;
        L->has_prev = 0;
        for (size_t i = 0; i < nslots; i++)
            replace(L, &L->slots[i], i);
    }
    mb_gate_init(&sh.gate, T);
    mb_latch_init(&sh.finished, T);

    for (int t = 0; t < T; t++) {
        pthread_t first;
        mb_thread_create(&first, lineage_thread, &lin[t]);
    }
    double t0 = mb_gate_open(&sh.gate);
    mb_latch_wait(&sh.finished);
    for (int t = 0; t < T; t++)
        mb_thread_join(lin[t].last);
    double t1 = mb_now();

    uint64_t ops = 0, checksum = mb_mix64(cfg.seed);
    for (int t = 0; t < T; t++) {
        ops += lin[t].ops;
        checksum += mb_mix64(lin[t].checksum + (uint64_t)t);
    }
    /* Teardown (not timed): validate and free what is left. */
    for (size_t i = 0; i < nslots * (size_t)T; i++) {
        mb_check(all[i].p, all[i].size, all[i].tag);
        mb_free(all[i].p, all[i].size);
    }
    mb_gate_destroy(&sh.gate);
    mb_latch_destroy(&sh.finished);
    mb_free(lin, sizeof *lin * (size_t)T);
    mb_free(all, sizeof *all * nslots * (size_t)T);
    mb_report(&wl, &cfg, ops, t1 - t0, checksum);
    return MB_EXIT_OK;
}
