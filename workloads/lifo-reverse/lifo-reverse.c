/*
 * lifo-reverse: allocation/free order patterns in the style of sh6bench
 * (MicroQuill's SmartHeap benchmark) as it is commonly described: every
 * thread allocates batches of objects whose sizes cycle through a ladder
 * of size classes and frees each batch in a different order.
 *
 * One iteration of a thread is three passes over a batch of `objects`
 * blocks; each pass allocates and writes the whole batch, then validates
 * and frees it:
 *   pass 0: LIFO, the reverse of the allocation order (stack-like);
 *   pass 1: FIFO, the allocation order (queue-like);
 *   pass 2: interleaved: every even-indexed block in allocation order,
 *           then every odd-indexed block in reverse order.
 * Block i of pass p in iteration it has the size class
 * ladder[(i + 3*it + p) mod n]; the ladder goes from `min` to `max` in
 * steps of 1/4 of a power of two (8, 10, 12, 14, 16, 20, 24, 28, 32, ...),
 * so neighbouring blocks have different sizes and every class is used.
 *
 * Work division: `iterations` in total, split among the threads.
 */
#include "mallocbench.h"

#include <stdio.h>

static mb_param params[] = {
    {"objects", "blocks per batch (each thread)", {5000, 5000, 5000}, 1, 100000000, 0, 0},
    {"iterations", "iterations of the three passes, total over all threads", {150, 1200, 4200}, 1, 1000000000, 0, 0},
    {"min", "smallest size class in bytes", {8, 8, 8}, 1, 1 << 24, 0, 0},
    {"max", "largest size class in bytes", {1024, 1024, 1024}, 1, 1 << 24, 0, 0},
};

static const mb_workload wl = {
    "lifo-reverse",
    "sh6bench-style: batches over a ladder of size classes freed LIFO, FIFO and interleaved",
    params,
    sizeof params / sizeof params[0],
};

struct result {
    uint64_t ops;
    uint64_t checksum;
    char pad[112];
};

struct shared {
    int threads;
    uint64_t iterations;
    size_t objects;
    size_t *ladder;
    size_t nladder;
    void ***batch; /* per thread: the batch's pointers */
    struct result *res;
};

/* Free position k (0..n-1) of pass p: which block index to free. */
static size_t free_index(int pass, size_t k, size_t n)
{
    if (pass == 0)
        return n - 1 - k;
    if (pass == 1)
        return k;
    size_t evens = (n + 1) / 2;
    if (k < evens)
        return 2 * k;
    /* odd indices from the highest down: 2*(n/2)-1, ..., 3, 1 */
    return 2 * (n / 2 - (k - evens)) - 1;
}

static void worker(int tid, void *arg)
{
    struct shared *sh = arg;
    void **objs = sh->batch[tid];
    size_t n = sh->objects, nl = sh->nladder;
    const size_t *ladder = sh->ladder;
    uint64_t iters = mb_share(sh->iterations, sh->threads, tid);
    uint64_t sum = 0;
    for (uint64_t it = 0; it < iters; it++) {
        for (int pass = 0; pass < 3; pass++) {
            uint64_t base = ((uint64_t)tid << 48) ^ (it << 26) ^ ((uint64_t)pass << 24);
            size_t first = (size_t)((3 * it + (uint64_t)pass) % nl);
            size_t c = first;
            for (size_t i = 0; i < n; i++) {
                size_t size = ladder[c];
                objs[i] = mb_malloc(size);
                mb_fill(objs[i], size, base + i);
                if (++c == nl)
                    c = 0;
            }
            for (size_t k = 0; k < n; k++) {
                size_t i = free_index(pass, k, n);
                size_t size = ladder[(first + i) % nl];
                mb_check(objs[i], size, base + i);
                mb_free(objs[i], size);
            }
            sum += mb_mix64(base ^ ((uint64_t)n << 32) ^ (uint64_t)first);
        }
    }
    sh->res[tid].ops = 6 * iters * (uint64_t)n;
    sh->res[tid].checksum = sum;
}

int main(int argc, char **argv)
{
    mb_config cfg;
    mb_init(&wl, argc, argv, &cfg);

    struct shared sh;
    int T = cfg.threads;
    sh.threads = T;
    sh.objects = (size_t)mb_param_value(&wl, "objects");
    sh.iterations = (uint64_t)mb_param_value(&wl, "iterations");
    size_t min = (size_t)mb_param_value(&wl, "min");
    size_t max = (size_t)mb_param_value(&wl, "max");
    if (min > max)
        mb_usage_error("--min (%zu) must not exceed --max (%zu)", min, max);

    /* The size ladder: from min, steps of a quarter of the current power
     * of two (at least 1 byte), up to max (always included). */
    size_t cap = 8;
    sh.ladder = mb_malloc(sizeof *sh.ladder * cap);
    sh.nladder = 0;
    for (size_t s = min;;) {
        if (sh.nladder == cap) {
            sh.ladder = mb_realloc(sh.ladder, sizeof *sh.ladder * cap, sizeof *sh.ladder * cap * 2);
            cap *= 2;
        }
        sh.ladder[sh.nladder++] = s;
        if (s == max)
            break;
        size_t pow2 = 1;
        while (pow2 * 2 <= s)
            pow2 *= 2;
        size_t step = pow2 / 4 > 0 ? pow2 / 4 : 1;
        s = s + step > max ? max : s + step;
    }

    size_t rbytes = sizeof *sh.res * (size_t)T;
    sh.res = mb_aligned_alloc(128, rbytes);
    sh.batch = mb_malloc(sizeof *sh.batch * (size_t)T);
    for (int t = 0; t < T; t++)
        sh.batch[t] = mb_malloc(sizeof(void *) * sh.objects);

    double seconds = mb_run_threads(T, worker, &sh);

    uint64_t ops = 0, checksum = mb_mix64(cfg.seed);
    for (size_t i = 0; i < sh.nladder; i++)
        checksum = mb_mix64(checksum ^ sh.ladder[i]);
    for (int t = 0; t < T; t++) {
        ops += sh.res[t].ops;
        checksum += mb_mix64(sh.res[t].checksum + (uint64_t)t);
    }
    for (int t = 0; t < T; t++)
        mb_free(sh.batch[t], sizeof(void *) * sh.objects);
    mb_free(sh.batch, sizeof *sh.batch * (size_t)T);
    mb_free(sh.ladder, sizeof *sh.ladder * cap);
    mb_free(sh.res, rbytes);
    mb_report(&wl, &cfg, ops, seconds, checksum);
    return MB_EXIT_OK;
}
