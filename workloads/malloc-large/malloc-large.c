/*
 * malloc-large: each thread keeps a small live set of large blocks (a few
 * MiB to tens of MiB) and repeatedly replaces a random one: validate and
 * free the old block, allocate a new one of a random size, write every
 * cache line of it (so every page is faulted in). Models programs that
 * allocate big buffers (images, decompression windows, I/O buffers,
 * matrices) and drop them again; after the "malloc-large" test of
 * mimalloc-bench. It exposes the mmap threshold, whether large freed
 * blocks are kept for reuse or returned to the OS, and page-fault cost.
 *
 * Work division: `iterations` replacements in total, split among the
 * threads. Every thread keeps `slots` live blocks, so the footprint grows
 * with --threads (at most threads * slots * max MiB).
 */
#include "mallocbench.h"

#include <stdio.h>

#define MIB ((size_t)1 << 20)

static mb_param params[] = {
    {"min", "smallest block in MiB", {5, 5, 5}, 1, 1024, 0, 0},
    {"max", "largest block in MiB", {25, 25, 25}, 1, 1024, 0, 0},
    {"slots", "live large blocks per thread", {3, 3, 3}, 1, 64, 0, 0},
    {"iterations", "block replacements in total, divided among threads", {40, 300, 1000}, 1, 100000000, 0, 0},
    {"hold_ms", "milliseconds to stay alive after the frees (not measured)", {200, 200, 200}, 0, 60000, 0, 0},
};

static const mb_workload wl = {
    "malloc-large",
    "large blocks (MiB) allocated, every page written, freed; small live set per thread",
    params,
    sizeof params / sizeof params[0],
};

struct block {
    void *p;
    size_t size;
    uint64_t tag;
};

struct shared {
    int threads;
    uint64_t seed;
    size_t min, max; /* bytes */
    size_t slots;
    uint64_t iterations;
    struct block **blocks; /* per-thread slot arrays, allocated in setup */
    uint64_t *ops;
    uint64_t *checksum;
};

static void worker(int tid, void *arg)
{
    struct shared *sh = arg;
    struct block *b = sh->blocks[tid];
    mb_rng rng;
    mb_rng_seed(&rng, sh->seed, (uint64_t)tid);
    uint64_t n = mb_share(sh->iterations, sh->threads, tid);
    uint64_t next_tag = 0, ops = 0, sum = 0;
    for (size_t i = 0; i < sh->slots; i++)
        b[i].p = NULL;
    /* The first `slots` allocations fill the live set, then each
     * iteration replaces a random block. */
    for (uint64_t it = 0; it < n + sh->slots; it++) {
        size_t idx = it < sh->slots ? (size_t)it : (size_t)mb_rng_below(&rng, sh->slots);
        struct block *s = &b[idx];
        if (s->p != NULL) {
            mb_check(s->p, s->size, s->tag);
            mb_free(s->p, s->size);
            ops++;
        }
        size_t size = (size_t)mb_rng_range(&rng, sh->min, sh->max);
        uint64_t tag = ((uint64_t)tid << 40) | next_tag++;
        s->p = mb_malloc(size);
        s->size = size;
        s->tag = tag;
        mb_fill(s->p, size, tag); /* one store per 64 bytes: every page faulted in */
        ops++;
        sum += mb_mix64(tag ^ ((uint64_t)size << 20) ^ (uint64_t)idx);
    }
    for (size_t i = 0; i < sh->slots; i++) {
        if (b[i].p == NULL)
            continue;
        mb_check(b[i].p, b[i].size, b[i].tag);
        mb_free(b[i].p, b[i].size);
        b[i].p = NULL;
        ops++;
    }
    sh->ops[tid] = ops;
    sh->checksum[tid] = sum;
}

int main(int argc, char **argv)
{
    mb_config cfg;
    mb_init(&wl, argc, argv, &cfg);

    struct shared sh;
    size_t min_mib = (size_t)mb_param_value(&wl, "min");
    size_t max_mib = (size_t)mb_param_value(&wl, "max");
    if (min_mib > max_mib)
        mb_usage_error("--min (%zu) must not exceed --max (%zu)", min_mib, max_mib);
    sh.threads = cfg.threads;
    sh.seed = cfg.seed;
    sh.min = min_mib * MIB;
    sh.max = max_mib * MIB;
    sh.slots = (size_t)mb_param_value(&wl, "slots");
    sh.iterations = (uint64_t)mb_param_value(&wl, "iterations");
    long long hold_ms = mb_param_value(&wl, "hold_ms");
    int T = cfg.threads;

    sh.blocks = mb_malloc(sizeof *sh.blocks * (size_t)T);
    sh.ops = mb_calloc((size_t)T, sizeof *sh.ops);
    sh.checksum = mb_calloc((size_t)T, sizeof *sh.checksum);
    for (int t = 0; t < T; t++)
        sh.blocks[t] = mb_malloc(sizeof **sh.blocks * sh.slots);

    mb_phase("churn");
    double seconds = mb_run_threads(T, worker, &sh);
    mb_phase("hold");
    mb_sleep_ms(hold_ms);
    mb_phase("end");

    uint64_t ops = 0, checksum = mb_mix64(cfg.seed);
    for (int t = 0; t < T; t++) {
        ops += sh.ops[t];
        checksum += mb_mix64(sh.checksum[t] + (uint64_t)t);
    }
    for (int t = 0; t < T; t++)
        mb_free(sh.blocks[t], sizeof **sh.blocks * sh.slots);
    mb_free(sh.blocks, sizeof *sh.blocks * (size_t)T);
    mb_free(sh.ops, sizeof *sh.ops * (size_t)T);
    mb_free(sh.checksum, sizeof *sh.checksum * (size_t)T);
    mb_report(&wl, &cfg, ops, seconds, checksum);
    return MB_EXIT_OK;
}
