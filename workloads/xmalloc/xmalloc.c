/*
 * xmalloc: producer/consumer after the xmalloc-test description. Producer
 * threads allocate objects of random sizes in [min, max], write them, and
 * pass them in batches through a bounded, mutex-protected queue to consumer
 * threads, which validate and free them: nearly every free is a remote
 * free of memory allocated by another thread.
 *
 * With T threads: ceil(T/2) producers and floor(T/2) consumers. With T = 1
 * the single thread plays both roles on the same bounded FIFO (see
 * alternate(); no remote frees in that case). A fixed total of `objects` objects is divided
 * among the producers, so the total work does not depend on --threads.
 * At most `depth` batches exist at once (in the queue or being filled or
 * drained), which bounds the live memory. A thread that has to wait (no
 * free batch / empty queue) sleeps until max(1, depth/4) batches are
 * available, so queue hand-offs cost few wake-ups.
 */
#include "mallocbench.h"

#include <stdio.h>

static mb_param params[] = {
    {"objects", "objects in total, divided among producers", {1000000, 12000000, 40000000}, 1, 4000000000LL, 0, 0},
    {"batch", "objects per batch passed through the queue", {100, 100, 100}, 1, 1000000, 0, 0},
    {"min", "smallest object size in bytes", {16, 16, 16}, 1, 1 << 24, 0, 0},
    {"max", "largest object size in bytes", {1024, 1024, 1024}, 1, 1 << 24, 0, 0},
    {"depth", "batches in flight at most (queue bound)", {16, 16, 16}, 1, 1000000, 0, 0},
};

static const mb_workload wl = {
    "xmalloc",
    "producer/consumer: producers malloc, consumers validate and free in batches (remote frees)",
    params,
    sizeof params / sizeof params[0],
};

struct batch {
    struct batch *next;
    size_t n;
    void **ptrs;
    size_t *sizes;
    uint64_t *tags;
};

struct shared {
    int producers, consumers;
    uint64_t objects;
    size_t batch;
    size_t min, max;
    uint64_t seed;

    pthread_mutex_t mu;
    pthread_cond_t not_empty; /* consumers wait: full queue empty */
    pthread_cond_t has_free;  /* producers wait: no free batch */
    struct batch *full_head, *full_tail;
    struct batch *free_list;
    size_t nfull, nfree;      /* batches in the queue / on the free list */
    size_t wake;              /* hysteresis: wake sleepers at this count */
    int producers_waiting, consumers_waiting;
    int producers_left;

    /* per-thread results, indexed by worker id */
    uint64_t *made, *made_sum;      /* producers */
    uint64_t *eaten, *eaten_sum;    /* consumers */
};

static uint64_t object_hash(uint64_t tag, size_t size)
{
    return mb_mix64(tag ^ ((uint64_t)size << 40));
}

/* Queue lock: critical sections are a few pointer updates, so try a
 * bounded number of times before blocking; this keeps the harness's own
 * futex traffic out of the measurement (the allocator's is what counts). */
static void queue_lock(struct shared *sh)
{
    for (int i = 0; i < 256; i++)
        if (pthread_mutex_trylock(&sh->mu) == 0)
            return;
    queue_lock(sh);
}

/* Fills b with up to sh->batch new objects; returns the count. */
static size_t produce(struct shared *sh, struct batch *b, mb_rng *rng, int pid,
                      uint64_t *seq, uint64_t remaining, uint64_t *sum)
{
    size_t n = remaining < sh->batch ? (size_t)remaining : sh->batch;
    for (size_t i = 0; i < n; i++) {
        size_t size = (size_t)mb_rng_range(rng, sh->min, sh->max);
        uint64_t tag = ((uint64_t)pid << 40) | (*seq)++;
        void *p = mb_malloc(size);
        mb_fill(p, size, tag);
        b->ptrs[i] = p;
        b->sizes[i] = size;
        b->tags[i] = tag;
        *sum += object_hash(tag, size);
    }
    b->n = n;
    return n;
}

static void consume(struct batch *b, uint64_t *count, uint64_t *sum)
{
    for (size_t i = 0; i < b->n; i++) {
        mb_check(b->ptrs[i], b->sizes[i], b->tags[i]);
        mb_free(b->ptrs[i], b->sizes[i]);
        *sum += object_hash(b->tags[i], b->sizes[i]);
    }
    *count += b->n;
    b->n = 0;
}

static void producer(struct shared *sh, int pid)
{
    mb_rng rng;
    mb_rng_seed(&rng, sh->seed, (uint64_t)pid);
    uint64_t remaining = mb_share(sh->objects, sh->producers, pid);
    uint64_t seq = 0, sum = 0, made = 0;
    while (remaining > 0) {
        queue_lock(sh);
        if (sh->nfree == 0) {
            /* Once asleep, sleep until `wake` batches are free again, so
             * that a full queue does not cost a wake-up per batch. */
            sh->producers_waiting++;
            while (sh->nfree < sh->wake)
                mb_cond_wait(&sh->has_free, &sh->mu);
            sh->producers_waiting--;
        }
        struct batch *b = sh->free_list;
        sh->free_list = b->next;
        sh->nfree--;
        mb_mutex_unlock(&sh->mu);

        size_t n = produce(sh, b, &rng, pid, &seq, remaining, &sum);
        remaining -= n;
        made += n;

        queue_lock(sh);
        b->next = NULL;
        if (sh->full_tail)
            sh->full_tail->next = b;
        else
            sh->full_head = b;
        sh->full_tail = b;
        sh->nfull++;
        if (sh->consumers_waiting > 0 && sh->nfull >= sh->wake)
            mb_cond_broadcast(&sh->not_empty);
        mb_mutex_unlock(&sh->mu);
    }
    queue_lock(sh);
    if (--sh->producers_left == 0)
        mb_cond_broadcast(&sh->not_empty);
    mb_mutex_unlock(&sh->mu);
    sh->made[pid] = made;
    sh->made_sum[pid] = sum;
}

static void consumer(struct shared *sh, int cid)
{
    uint64_t count = 0, sum = 0;
    for (;;) {
        queue_lock(sh);
        if (sh->nfull == 0 && sh->producers_left > 0) {
            /* Same hysteresis as producers: wait for `wake` full batches
             * (or the end of production). */
            sh->consumers_waiting++;
            while (sh->nfull < sh->wake && sh->producers_left > 0)
                mb_cond_wait(&sh->not_empty, &sh->mu);
            sh->consumers_waiting--;
        }
        struct batch *b = sh->full_head;
        if (b == NULL) {
            mb_mutex_unlock(&sh->mu);
            break;
        }
        sh->full_head = b->next;
        if (sh->full_head == NULL)
            sh->full_tail = NULL;
        sh->nfull--;
        mb_mutex_unlock(&sh->mu);

        consume(b, &count, &sum);

        queue_lock(sh);
        b->next = sh->free_list;
        sh->free_list = b;
        sh->nfree++;
        if (sh->producers_waiting > 0 && sh->nfree >= sh->wake)
            mb_cond_broadcast(&sh->has_free);
        mb_mutex_unlock(&sh->mu);
    }
    sh->eaten[cid] = count;
    sh->eaten_sum[cid] = sum;
}

/*
 * --threads 1: the single thread plays both roles on a FIFO of up to
 * `depth` batches: it produces batches until all descriptors are in use,
 * then consumes the oldest batch before producing the next one, and drains
 * the FIFO at the end. The live set is thus the same as with a busy
 * producer/consumer pair (about depth * batch objects), only without
 * remote frees.
 */
static void alternate(struct shared *sh)
{
    mb_rng rng;
    mb_rng_seed(&rng, sh->seed, 0);
    uint64_t remaining = sh->objects, seq = 0, psum = 0, csum = 0, made = 0, eaten = 0;
    struct batch *head = NULL, *tail = NULL;
    while (remaining > 0 || head != NULL) {
        if (remaining > 0 && sh->free_list != NULL) {
            struct batch *b = sh->free_list;
            sh->free_list = b->next;
            size_t n = produce(sh, b, &rng, 0, &seq, remaining, &psum);
            remaining -= n;
            made += n;
            b->next = NULL;
            if (tail)
                tail->next = b;
            else
                head = b;
            tail = b;
        } else {
            struct batch *b = head;
            head = b->next;
            if (head == NULL)
                tail = NULL;
            consume(b, &eaten, &csum);
            b->next = sh->free_list;
            sh->free_list = b;
        }
    }
    sh->made[0] = made;
    sh->made_sum[0] = psum;
    sh->eaten[0] = eaten;
    sh->eaten_sum[0] = csum;
}

static void worker(int tid, void *arg)
{
    struct shared *sh = arg;
    if (sh->consumers == 0)
        alternate(sh);
    else if (tid < sh->producers)
        producer(sh, tid);
    else
        consumer(sh, tid - sh->producers);
}

int main(int argc, char **argv)
{
    mb_config cfg;
    mb_init(&wl, argc, argv, &cfg);

    struct shared sh;
    sh.objects = (uint64_t)mb_param_value(&wl, "objects");
    sh.batch = (size_t)mb_param_value(&wl, "batch");
    sh.min = (size_t)mb_param_value(&wl, "min");
    sh.max = (size_t)mb_param_value(&wl, "max");
    size_t depth = (size_t)mb_param_value(&wl, "depth");
    if (sh.min > sh.max)
        mb_usage_error("--min (%zu) must not exceed --max (%zu)", sh.min, sh.max);
    sh.seed = cfg.seed;
    if (cfg.threads == 1) {
        sh.producers = 1;
        sh.consumers = 0;
    } else {
        sh.producers = (cfg.threads + 1) / 2;
        sh.consumers = cfg.threads / 2;
    }

    /* Setup (not timed): batch descriptors and result arrays. */
    if (pthread_mutex_init(&sh.mu, NULL) != 0 || pthread_cond_init(&sh.not_empty, NULL) != 0 ||
        pthread_cond_init(&sh.has_free, NULL) != 0)
        mb_internal_error("pthread sync init failed");
    sh.full_head = sh.full_tail = NULL;
    sh.free_list = NULL;
    sh.nfull = 0;
    sh.nfree = depth;
    sh.wake = depth / 4 > 0 ? depth / 4 : 1;
    sh.producers_waiting = sh.consumers_waiting = 0;
    sh.producers_left = sh.producers;
    struct batch *batches = mb_malloc(sizeof *batches * depth);
    for (size_t i = 0; i < depth; i++) {
        struct batch *b = &batches[i];
        b->ptrs = mb_malloc(sizeof *b->ptrs * sh.batch);
        b->sizes = mb_malloc(sizeof *b->sizes * sh.batch);
        b->tags = mb_malloc(sizeof *b->tags * sh.batch);
        b->n = 0;
        b->next = sh.free_list;
        sh.free_list = b;
    }
    size_t nres = (size_t)cfg.threads;
    uint64_t *res = mb_calloc(4 * nres, sizeof *res);
    sh.made = res;
    sh.made_sum = res + nres;
    sh.eaten = res + 2 * nres;
    sh.eaten_sum = res + 3 * nres;

    double seconds = mb_run_threads(cfg.threads, worker, &sh);

    uint64_t made = 0, eaten = 0, made_sum = 0, eaten_sum = 0;
    for (size_t i = 0; i < nres; i++) {
        made += sh.made[i];
        made_sum += sh.made_sum[i];
        eaten += sh.eaten[i];
        eaten_sum += sh.eaten_sum[i];
    }
    if (made != sh.objects || eaten != made || eaten_sum != made_sum)
        mb_internal_error("xmalloc: produced %llu objects, consumed %llu (expected %llu)",
                          (unsigned long long)made, (unsigned long long)eaten,
                          (unsigned long long)sh.objects);
    uint64_t checksum = mb_mix64(cfg.seed) + made_sum;

    for (size_t i = 0; i < depth; i++) {
        mb_free(batches[i].ptrs, sizeof *batches[i].ptrs * sh.batch);
        mb_free(batches[i].sizes, sizeof *batches[i].sizes * sh.batch);
        mb_free(batches[i].tags, sizeof *batches[i].tags * sh.batch);
    }
    mb_free(batches, sizeof *batches * depth);
    mb_free(res, sizeof *res * 4 * nres);
    pthread_cond_destroy(&sh.not_empty);
    pthread_cond_destroy(&sh.has_free);
    pthread_mutex_destroy(&sh.mu);
    mb_report(&wl, &cfg, 2 * made, seconds, checksum);
    return MB_EXIT_OK;
}
