/*
 * threadtest: each thread repeatedly allocates a batch of `objects`
 * fixed-size blocks, writes them, then validates and frees them all.
 * Purely thread-local: no block crosses threads (modelled on the
 * "threadtest" benchmark described in the Hoard paper).
 *
 * Work division: `iterations` batches in total, split among the threads
 * (thread i does iterations/T, the first iterations%T threads one more);
 * every thread uses the full batch size `objects`.
 */
#include "mallocbench.h"

#include <stdio.h>

static mb_param params[] = {
    {"iterations", "batches in total, divided among threads", {300, 4000, 14000}, 1, 1000000000, 0, 0},
    {"objects", "objects per batch (each thread)", {10000, 10000, 10000}, 1, 100000000, 0, 0},
    {"objsize", "object size in bytes", {64, 64, 64}, 1, 1 << 24, 0, 0},
};

static const mb_workload wl = {
    "threadtest",
    "thread-local batches of fixed-size malloc then free (no sharing)",
    params,
    sizeof params / sizeof params[0],
};

struct shared {
    int threads;
    uint64_t iterations;
    size_t objects;
    size_t objsize;
    void ***arrays;     /* per-thread pointer array, allocated in setup */
    uint64_t *ops;      /* per-thread allocator ops */
    uint64_t *checksum; /* per-thread checksum */
};

static void worker(int tid, void *arg)
{
    struct shared *sh = arg;
    void **objs = sh->arrays[tid];
    uint64_t iters = mb_share(sh->iterations, sh->threads, tid);
    size_t n = sh->objects, size = sh->objsize;
    uint64_t sum = 0;
    for (uint64_t it = 0; it < iters; it++) {
        /* Tags depend only on (thread, iteration, index). */
        uint64_t base = ((uint64_t)tid << 48) ^ (it << 24);
        for (size_t i = 0; i < n; i++) {
            objs[i] = mb_malloc(size);
            mb_fill(objs[i], size, base + i);
        }
        for (size_t i = 0; i < n; i++) {
            mb_check(objs[i], size, base + i);
            mb_free(objs[i], size);
        }
        sum += mb_mix64(base ^ (uint64_t)n ^ ((uint64_t)size << 32));
    }
    sh->ops[tid] = 2 * iters * (uint64_t)n;
    sh->checksum[tid] = sum;
}

int main(int argc, char **argv)
{
    mb_config cfg;
    mb_init(&wl, argc, argv, &cfg);

    struct shared sh;
    sh.threads = cfg.threads;
    sh.iterations = (uint64_t)mb_param_value(&wl, "iterations");
    sh.objects = (size_t)mb_param_value(&wl, "objects");
    sh.objsize = (size_t)mb_param_value(&wl, "objsize");
    sh.arrays = mb_malloc(sizeof *sh.arrays * (size_t)cfg.threads);
    sh.ops = mb_calloc((size_t)cfg.threads, sizeof *sh.ops);
    sh.checksum = mb_calloc((size_t)cfg.threads, sizeof *sh.checksum);
    for (int t = 0; t < cfg.threads; t++)
        sh.arrays[t] = mb_malloc(sizeof(void *) * sh.objects);

    double seconds = mb_run_threads(cfg.threads, worker, &sh);

    uint64_t ops = 0, checksum = mb_mix64(cfg.seed);
    for (int t = 0; t < cfg.threads; t++) {
        ops += sh.ops[t];
        checksum += sh.checksum[t];
    }
    for (int t = 0; t < cfg.threads; t++)
        mb_free(sh.arrays[t], sizeof(void *) * sh.objects);
    mb_free(sh.arrays, sizeof *sh.arrays * (size_t)cfg.threads);
    mb_free(sh.ops, sizeof *sh.ops * (size_t)cfg.threads);
    mb_free(sh.checksum, sizeof *sh.checksum * (size_t)cfg.threads);
    mb_report(&wl, &cfg, ops, seconds, checksum);
    return MB_EXIT_OK;
}
