/*
 * realloc-growth: each thread keeps `buffers` growable buffers (strings,
 * vectors) and repeatedly picks one at random and grows it with realloc,
 * either geometrically (size * factor / 100, like a vector doubling its
 * capacity) or additively (a random append of 1..step bytes, like a string
 * builder). A buffer that would exceed `maxsize` is validated, freed and
 * restarted at `start` bytes. Between two reallocs the thread allocates one
 * small "noise" object (a ring of `noise` objects, the oldest freed), so
 * the space behind a buffer is often taken and growing in place is not
 * always possible.
 *
 * Validation: a buffer always carries the pattern mb_fill(p, size, tag).
 * After realloc(p, old -> new) the first `old` bytes must be intact, so
 * the old pattern is checked with mb_check(q, old, tag) before the new one
 * is written with mb_fill(q, new, tag).
 *
 * Work division: `grows` reallocs in total, split among the threads; every
 * thread has its own `buffers` and `noise` objects.
 */
#include "mallocbench.h"

#include <stdio.h>

static mb_param params[] = {
    {"buffers", "growing buffers per thread", {64, 64, 64}, 1, 1000000, 0, 0},
    {"start", "initial buffer size in bytes", {16, 16, 16}, 1, 1 << 20, 0, 0},
    {"maxsize", "a buffer that would grow past this many bytes is freed and restarted", {65536, 65536, 65536}, 2, 1 << 28, 0, 0},
    {"factor", "geometric growth: new size = size * factor / 100", {150, 150, 150}, 101, 1000, 0, 0},
    {"step", "additive growth: append 1..step bytes", {256, 256, 256}, 1, 1 << 24, 0, 0},
    {"geometric", "percent of buffers that grow geometrically (the rest additively)", {50, 50, 50}, 0, 100, 0, 0},
    {"noise", "small objects per thread in a ring; one is replaced per realloc", {256, 256, 256}, 1, 1000000, 0, 0},
    {"grows", "reallocs in total, divided among threads", {150000, 700000, 2500000}, 1, 1000000000, 0, 0},
};

static const mb_workload wl = {
    "realloc-growth",
    "buffers grown by realloc (geometric and additive), interleaved with small allocations",
    params,
    sizeof params / sizeof params[0],
};

#define NOISE_MIN 16
#define NOISE_MAX 256

struct buf {
    void *p;
    size_t size;
    uint64_t tag;
    int geometric;
};

struct obj {
    void *p;
    size_t size;
    uint64_t tag;
};

struct shared {
    int threads;
    uint64_t seed;
    size_t buffers, start, maxsize, factor, step, geometric_pct, noise;
    uint64_t grows;
    struct buf **bufs;  /* per-thread arrays, allocated in setup */
    struct obj **rings; /* per-thread noise rings */
    uint64_t *ops;
    uint64_t *checksum;
};

struct tctx {
    struct shared *sh;
    mb_rng rng;
    uint64_t next_tag;
    uint64_t ops;
    uint64_t sum;
};

static void buf_start(struct tctx *c, struct buf *b)
{
    struct shared *sh = c->sh;
    b->size = sh->start;
    b->tag = c->next_tag++;
    b->geometric = mb_rng_below(&c->rng, 100) < sh->geometric_pct;
    b->p = mb_malloc(b->size);
    mb_fill(b->p, b->size, b->tag);
    c->ops++;
}

static void buf_end(struct tctx *c, struct buf *b)
{
    mb_check(b->p, b->size, b->tag);
    mb_free(b->p, b->size);
    c->ops++;
    c->sum += mb_mix64(b->tag ^ ((uint64_t)b->size << 32) ^ (uint64_t)b->geometric);
}

static void noise_replace(struct tctx *c, struct obj *o)
{
    if (o->p != NULL) {
        mb_check(o->p, o->size, o->tag);
        mb_free(o->p, o->size);
        c->ops++;
    }
    o->size = (size_t)mb_rng_range(&c->rng, NOISE_MIN, NOISE_MAX);
    o->tag = c->next_tag++;
    o->p = mb_malloc(o->size);
    mb_fill(o->p, o->size, o->tag);
    c->ops++;
}

static void worker(int tid, void *arg)
{
    struct shared *sh = arg;
    struct tctx c = {sh, {{0}}, (uint64_t)tid << 44, 0, 0};
    mb_rng_seed(&c.rng, sh->seed, (uint64_t)tid);
    struct buf *bufs = sh->bufs[tid];
    struct obj *ring = sh->rings[tid];
    uint64_t n = mb_share(sh->grows, sh->threads, tid);
    size_t ring_pos = 0;

    for (size_t i = 0; i < sh->noise; i++)
        ring[i].p = NULL;
    for (size_t i = 0; i < sh->buffers; i++)
        buf_start(&c, &bufs[i]);

    for (uint64_t it = 0; it < n; it++) {
        struct buf *b = &bufs[mb_rng_below(&c.rng, sh->buffers)];
        size_t old = b->size, grown;
        if (b->geometric) {
            grown = old * sh->factor / 100;
            if (grown <= old)
                grown = old + 1;
        } else {
            grown = old + (size_t)mb_rng_range(&c.rng, 1, sh->step);
        }
        if (grown > sh->maxsize) {
            buf_end(&c, b);
            buf_start(&c, b);
            old = b->size;
            grown = old + 1; /* the restarted buffer still gets its realloc */
        }
        void *q = mb_realloc(b->p, old, grown);
        c.ops++;
        mb_check(q, old, b->tag); /* realloc keeps the first `old` bytes */
        mb_fill(q, grown, b->tag);
        b->p = q;
        b->size = grown;
        c.sum += mb_mix64(b->tag + ((uint64_t)grown << 24));

        noise_replace(&c, &ring[ring_pos]);
        ring_pos = ring_pos + 1 == sh->noise ? 0 : ring_pos + 1;
    }

    for (size_t i = 0; i < sh->buffers; i++)
        buf_end(&c, &bufs[i]);
    for (size_t i = 0; i < sh->noise; i++) {
        if (ring[i].p == NULL)
            continue;
        mb_check(ring[i].p, ring[i].size, ring[i].tag);
        mb_free(ring[i].p, ring[i].size);
        c.ops++;
    }
    sh->ops[tid] = c.ops;
    sh->checksum[tid] = c.sum;
}

int main(int argc, char **argv)
{
    mb_config cfg;
    mb_init(&wl, argc, argv, &cfg);

    struct shared sh;
    sh.threads = cfg.threads;
    sh.seed = cfg.seed;
    sh.buffers = (size_t)mb_param_value(&wl, "buffers");
    sh.start = (size_t)mb_param_value(&wl, "start");
    sh.maxsize = (size_t)mb_param_value(&wl, "maxsize");
    sh.factor = (size_t)mb_param_value(&wl, "factor");
    sh.step = (size_t)mb_param_value(&wl, "step");
    sh.geometric_pct = (size_t)mb_param_value(&wl, "geometric");
    sh.noise = (size_t)mb_param_value(&wl, "noise");
    sh.grows = (uint64_t)mb_param_value(&wl, "grows");
    if (sh.start >= sh.maxsize)
        mb_usage_error("--start (%zu) must be below --maxsize (%zu)", sh.start, sh.maxsize);
    int T = cfg.threads;

    sh.bufs = mb_malloc(sizeof *sh.bufs * (size_t)T);
    sh.rings = mb_malloc(sizeof *sh.rings * (size_t)T);
    sh.ops = mb_calloc((size_t)T, sizeof *sh.ops);
    sh.checksum = mb_calloc((size_t)T, sizeof *sh.checksum);
    for (int t = 0; t < T; t++) {
        sh.bufs[t] = mb_malloc(sizeof **sh.bufs * sh.buffers);
        sh.rings[t] = mb_malloc(sizeof **sh.rings * sh.noise);
    }

    double seconds = mb_run_threads(T, worker, &sh);

    uint64_t ops = 0, checksum = mb_mix64(cfg.seed);
    for (int t = 0; t < T; t++) {
        ops += sh.ops[t];
        checksum += mb_mix64(sh.checksum[t] + (uint64_t)t);
    }
    for (int t = 0; t < T; t++) {
        mb_free(sh.bufs[t], sizeof **sh.bufs * sh.buffers);
        mb_free(sh.rings[t], sizeof **sh.rings * sh.noise);
    }
    mb_free(sh.bufs, sizeof *sh.bufs * (size_t)T);
    mb_free(sh.rings, sizeof *sh.rings * (size_t)T);
    mb_free(sh.ops, sizeof *sh.ops * (size_t)T);
    mb_free(sh.checksum, sizeof *sh.checksum * (size_t)T);
    mb_report(&wl, &cfg, ops, seconds, checksum);
    return MB_EXIT_OK;
}
