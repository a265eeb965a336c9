/*
 * cache-scratch: passive false sharing, after the "cache-scratch"
 * benchmark described in the Hoard paper (Berger et al., ASPLOS 2000).
 * Before the measured region the main thread allocates one small object
 * per thread, back to back, so that with most allocators several of them
 * share a cache line. Each thread frees the object it was handed and then
 * repeatedly allocates an object of the same size, writes every byte of it
 * many times and frees it. An allocator that gives a thread the block it
 * just freed (memory that another thread's block shares a line with) makes
 * the threads' writes invalidate each other's cache lines although no
 * object is shared: the false sharing was "inherited" from the main
 * thread's allocations.
 *
 * Each "write" is a volatile read-modify-write (byte += 1), `writes` passes
 * over the object; one more pass subtracts `writes` again so that the block
 * ends up holding its validation pattern, which mb_check then verifies.
 *
 * Work division: `iterations` objects in total, split among the threads;
 * every thread also frees the one object it was handed.
 */
#include "mallocbench.h"

#include <stdio.h>

static mb_param params[] = {
    {"objsize", "object size in bytes", {8, 8, 8}, 1, 1 << 20, 0, 0},
    {"iterations", "objects allocated, written and freed, total over all threads", {40000, 300000, 1000000}, 1, 1000000000, 0, 0},
    {"writes", "passes over each object; each pass increments every byte once", {1000, 1000, 1000}, 1, 100000000, 0, 0},
};

static const mb_workload wl = {
    "cache-scratch",
    "passive false sharing: threads free small objects the main thread allocated, then allocate and write their own",
    params,
    sizeof params / sizeof params[0],
};

/* Per-thread results, written once at the end, padded to their own lines. */
struct result {
    uint64_t ops;
    uint64_t checksum;
    char pad[112];
};

struct shared {
    int threads;
    uint64_t iterations;
    uint64_t writes;
    size_t objsize;
    void **handed; /* handed[t]: the object the main thread allocated for t */
    struct result *res;
};

/* Tag of the object handed to thread t (outside the per-thread tag space). */
static uint64_t handed_tag(int t)
{
    return (UINT64_C(1) << 62) | (uint64_t)t;
}

/* `writes` passes of byte += 1, then one pass of byte -= writes: the block
 * is back to what it held before. Volatile: every access reaches memory. */
static void hammer(void *ptr, size_t size, uint64_t writes)
{
    volatile unsigned char *p = ptr;
    for (uint64_t r = 0; r < writes; r++)
        for (size_t k = 0; k < size; k++)
            p[k] = (unsigned char)(p[k] + 1u);
    unsigned char back = (unsigned char)writes;
    for (size_t k = 0; k < size; k++)
        p[k] = (unsigned char)(p[k] - back);
}

static void worker(int tid, void *arg)
{
    struct shared *sh = arg;
    uint64_t iters = mb_share(sh->iterations, sh->threads, tid);
    size_t size = sh->objsize;

    /* Free the object the main thread allocated for us. */
    mb_check(sh->handed[tid], size, handed_tag(tid));
    mb_free(sh->handed[tid], size);
    uint64_t sum = mb_mix64(handed_tag(tid) ^ ((uint64_t)size << 48));

    for (uint64_t i = 0; i < iters; i++) {
        uint64_t tag = ((uint64_t)tid << 40) | i;
        void *p = mb_malloc(size);
        mb_fill(p, size, tag);
        hammer(p, size, sh->writes);
        mb_check(p, size, tag);
        mb_free(p, size);
        sum += mb_mix64(tag ^ ((uint64_t)size << 48) ^ (sh->writes << 20));
    }
    sh->res[tid].ops = 1 + 2 * iters;
    sh->res[tid].checksum = sum;
}

int main(int argc, char **argv)
{
    mb_config cfg;
    mb_init(&wl, argc, argv, &cfg);

    struct shared sh;
    int T = cfg.threads;
    sh.threads = T;
    sh.objsize = (size_t)mb_param_value(&wl, "objsize");
    sh.iterations = (uint64_t)mb_param_value(&wl, "iterations");
    sh.writes = (uint64_t)mb_param_value(&wl, "writes");
    size_t rbytes = sizeof *sh.res * (size_t)T;
    sh.res = mb_aligned_alloc(128, rbytes);
    sh.handed = mb_malloc(sizeof *sh.handed * (size_t)T);
    /* Setup (not timed): the objects to hand over, allocated back to back
     * by this thread, so that neighbours may share a cache line. */
    for (int t = 0; t < T; t++) {
        sh.handed[t] = mb_malloc(sh.objsize);
        mb_fill(sh.handed[t], sh.objsize, handed_tag(t));
    }

    double seconds = mb_run_threads(T, worker, &sh);

    uint64_t ops = 0, checksum = mb_mix64(cfg.seed);
    for (int t = 0; t < T; t++) {
        ops += sh.res[t].ops;
        checksum += sh.res[t].checksum;
    }
    mb_free(sh.handed, sizeof *sh.handed * (size_t)T);
    mb_free(sh.res, rbytes);
    mb_report(&wl, &cfg, ops, seconds, checksum);
    return MB_EXIT_OK;
}
