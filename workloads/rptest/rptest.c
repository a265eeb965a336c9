/*
 * rptest: after the benchmark that ships with rpmalloc (Mattias Jansson),
 * as mimalloc-bench runs it: threads allocate blocks of random sizes in a
 * configurable range, write them, and free them again, a configurable
 * share of them from another thread.
 *
 * Each loop of a thread allocates `blocks` blocks of a uniformly random size
 * in [min, max] and writes them (every byte when `touch` is 1, otherwise
 * only the validation words). Each block is, with probability `cross`
 * percent, handed to the next thread (tid + 1 mod T) in a batch pushed to
 * that thread's inbox; the others are validated and freed by their own
 * thread in a random order. At the end of every loop the thread drains its
 * inbox and validates and frees the blocks the previous thread handed it.
 * After its last loop every thread waits until all threads finished their
 * loops and drains its inbox one last time, so every block is freed inside
 * the measured region.
 *
 * Work division: `loops` in total, split among the threads.
 */
#include "mallocbench.h"

#include <stdio.h>
#include <string.h>

static mb_param params[] = {
    {"min", "smallest block size in bytes", {16, 16, 16}, 1, 1 << 24, 0, 0},
    {"max", "largest block size in bytes", {1000, 1000, 1000}, 1, 1 << 24, 0, 0},
    {"blocks", "blocks allocated per loop (each thread)", {1000, 1000, 1000}, 1, 10000000, 0, 0},
    {"loops", "loops, total over all threads", {2000, 14000, 48000}, 1, 1000000000, 0, 0},
    {"cross", "percent of blocks freed by another thread (the next one)", {10, 10, 10}, 0, 100, 0, 0},
    {"touch", "1: write every byte of each block; 0: only the validation words", {1, 1, 1}, 0, 1, 0, 0},
};

static const mb_workload wl = {
    "rptest",
    "rpmalloc benchmark: random sizes in [min,max], blocks written, a share freed by another thread",
    params,
    sizeof params / sizeof params[0],
};

struct block {
    void *p;
    size_t size;
    uint64_t tag;
};

/* A batch of blocks handed to another thread; allocated by the sender,
 * freed by the receiver. */
struct batch {
    struct batch *next;
    size_t n;
    struct block b[];
};

struct inbox {
    pthread_mutex_t mu;
    struct batch *head;
    char pad[128 - sizeof(pthread_mutex_t) - sizeof(struct batch *)];
};

struct result {
    uint64_t ops;
    uint64_t checksum;
    char pad[112];
};

struct shared {
    int threads;
    uint64_t loops;
    size_t blocks;
    uint64_t min, max;
    int cross, touch;
    uint64_t seed;
    struct block **scratch; /* per thread: this loop's blocks */
    size_t **order;         /* per thread: free order */
    struct inbox *inbox;
    mb_latch done;
    struct result *res;
};

static size_t batch_bytes(size_t n)
{
    return sizeof(struct batch) + n * sizeof(struct block);
}

/* Validates and frees everything in thread tid's inbox; returns the ops. */
static uint64_t drain(struct shared *sh, int tid)
{
    struct inbox *in = &sh->inbox[tid];
    mb_mutex_lock(&in->mu);
    struct batch *list = in->head;
    in->head = NULL;
    mb_mutex_unlock(&in->mu);
    uint64_t ops = 0;
    while (list != NULL) {
        struct batch *next = list->next;
        for (size_t i = 0; i < list->n; i++) {
            mb_check(list->b[i].p, list->b[i].size, list->b[i].tag);
            mb_free(list->b[i].p, list->b[i].size);
        }
        ops += list->n + 1;
        mb_free(list, batch_bytes(list->n));
        list = next;
    }
    return ops;
}

static void worker(int tid, void *arg)
{
    struct shared *sh = arg;
    struct block *blk = sh->scratch[tid];
    size_t *order = sh->order[tid];
    size_t n = sh->blocks;
    uint64_t loops = mb_share(sh->loops, sh->threads, tid);
    uint64_t ops = 0, sum = 0;
    int to = (tid + 1) % sh->threads;
    mb_rng rng;
    mb_rng_seed(&rng, sh->seed, (uint64_t)tid);

    for (uint64_t l = 0; l < loops; l++) {
        size_t ncross = 0, nlocal = 0;
        for (size_t i = 0; i < n; i++) {
            size_t size = (size_t)mb_rng_range(&rng, sh->min, sh->max);
            uint64_t tag = ((uint64_t)tid << 48) ^ (l << 20) ^ i;
            void *p = mb_malloc(size);
            if (sh->touch)
                memset(p, (int)(tag & 0xff), size);
            mb_fill(p, size, tag);
            int remote = mb_rng_below(&rng, 100) < (uint64_t)sh->cross;
            /* Remote blocks gather at the front, local ones at the back. */
            if (remote) {
                blk[ncross++] = (struct block){p, size, tag};
            } else {
                nlocal++;
                blk[n - nlocal] = (struct block){p, size, tag};
            }
            sum += mb_mix64(tag ^ ((uint64_t)size << 40) ^ ((uint64_t)remote << 63));
        }
        ops += n;
        if (ncross > 0) {
            struct batch *b = mb_malloc(batch_bytes(ncross));
            b->n = ncross;
            memcpy(b->b, blk, ncross * sizeof *blk);
            ops++;
            struct inbox *in = &sh->inbox[to];
            mb_mutex_lock(&in->mu);
            b->next = in->head;
            in->head = b;
            mb_mutex_unlock(&in->mu);
        }
        /* Free the local blocks in a random order (Fisher-Yates). */
        for (size_t i = 0; i < nlocal; i++)
            order[i] = n - nlocal + i;
        for (size_t i = nlocal; i > 1; i--) {
            size_t j = (size_t)mb_rng_below(&rng, i);
            size_t t = order[i - 1];
            order[i - 1] = order[j];
            order[j] = t;
        }
        for (size_t i = 0; i < nlocal; i++) {
            struct block *b = &blk[order[i]];
            mb_check(b->p, b->size, b->tag);
            mb_free(b->p, b->size);
        }
        ops += nlocal;
        ops += drain(sh, tid);
    }
    /* Everyone has pushed everything once all threads got here. */
    mb_latch_done(&sh->done);
    mb_latch_wait(&sh->done);
    ops += drain(sh, tid);
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
    sh.min = (uint64_t)mb_param_value(&wl, "min");
    sh.max = (uint64_t)mb_param_value(&wl, "max");
    sh.blocks = (size_t)mb_param_value(&wl, "blocks");
    sh.loops = (uint64_t)mb_param_value(&wl, "loops");
    sh.cross = (int)mb_param_value(&wl, "cross");
    sh.touch = (int)mb_param_value(&wl, "touch");
    if (sh.min > sh.max)
        mb_usage_error("--min (%llu) must not exceed --max (%llu)", (unsigned long long)sh.min,
                       (unsigned long long)sh.max);

    /* Setup (not timed). */
    size_t rbytes = sizeof *sh.res * (size_t)T;
    size_t ibytes = sizeof *sh.inbox * (size_t)T;
    sh.res = mb_aligned_alloc(128, rbytes);
    sh.inbox = mb_aligned_alloc(128, ibytes);
    sh.scratch = mb_malloc(sizeof *sh.scratch * (size_t)T);
    sh.order = mb_malloc(sizeof *sh.order * (size_t)T);
    for (int t = 0; t < T; t++) {
        if (pthread_mutex_init(&sh.inbox[t].mu, NULL) != 0)
            mb_internal_error("pthread_mutex_init failed");
        sh.inbox[t].head = NULL;
        sh.scratch[t] = mb_malloc(sizeof(struct block) * sh.blocks);
        sh.order[t] = mb_malloc(sizeof(size_t) * sh.blocks);
    }
    mb_latch_init(&sh.done, T);

    double seconds = mb_run_threads(T, worker, &sh);

    uint64_t ops = 0, checksum = mb_mix64(cfg.seed);
    for (int t = 0; t < T; t++) {
        ops += sh.res[t].ops;
        checksum += mb_mix64(sh.res[t].checksum + (uint64_t)t);
        if (sh.inbox[t].head != NULL)
            mb_internal_error("inbox %d not empty after the run", t);
    }
    for (int t = 0; t < T; t++) {
        pthread_mutex_destroy(&sh.inbox[t].mu);
        mb_free(sh.scratch[t], sizeof(struct block) * sh.blocks);
        mb_free(sh.order[t], sizeof(size_t) * sh.blocks);
    }
    mb_latch_destroy(&sh.done);
    mb_free(sh.scratch, sizeof *sh.scratch * (size_t)T);
    mb_free(sh.order, sizeof *sh.order * (size_t)T);
    mb_free(sh.inbox, ibytes);
    mb_free(sh.res, rbytes);
    mb_report(&wl, &cfg, ops, seconds, checksum);
    return MB_EXIT_OK;
}
