/*
 * fragmentation: rounds of four phases, all threads moving from phase to
 * phase together:
 *   alloc-mixed  allocate `objects` blocks of mixed sizes (log-uniform in
 *                [min, max]: as many 16-32 byte blocks as 2048-4096 byte
 *                ones);
 *   free-most    free `free_pct` percent of them, chosen at random, so the
 *                survivors are scattered over the memory just used;
 *   alloc-large  allocate `large` blocks of [large_min, large_max] bytes,
 *                bigger than any hole left behind, so they cannot reuse
 *                the freed space unless the allocator coalesces it or
 *                returns it and maps it again;
 *   free-all     free the survivors and the large blocks.
 * The main thread prints "@phase <name>" at the start of each phase, and
 * after the last round "@phase hold" and sleeps `hold_ms` (not measured),
 * so the RSS timeline shows how much memory the allocator gives back once
 * everything is freed. Models a program that builds a big mixed data set,
 * drops most of it, then switches to larger buffers (a parser that keeps
 * a few nodes of a document, then allocates output buffers).
 *
 * Work division: `objects` and `large` per round are totals, split among
 * the threads; every thread runs every round. The measured time is the sum
 * of the phases (from the release of a phase until the last thread
 * finished it), without the hand-over between phases.
 */
#include "mallocbench.h"

#include <stdio.h>

static mb_param params[] = {
    {"objects", "mixed-size blocks allocated per round, total over threads", {100000, 100000, 100000}, 1, 100000000, 0, 0},
    {"min", "smallest mixed block in bytes", {16, 16, 16}, 1, 1 << 24, 0, 0},
    {"max", "largest mixed block in bytes", {4096, 4096, 4096}, 1, 1 << 24, 0, 0},
    {"free_pct", "percent of the mixed blocks freed in the free-most phase", {90, 90, 90}, 0, 100, 0, 0},
    {"large", "large blocks allocated per round, total over threads", {2000, 2000, 2000}, 0, 100000000, 0, 0},
    {"large_min", "smallest large block in bytes", {8192, 8192, 8192}, 1, 1 << 28, 0, 0},
    {"large_max", "largest large block in bytes", {65536, 65536, 65536}, 1, 1 << 28, 0, 0},
    {"rounds", "rounds of the four phases", {1, 8, 30}, 1, 1000000, 0, 0},
    {"hold_ms", "milliseconds to stay alive after the last free-all (not measured)", {200, 200, 200}, 0, 60000, 0, 0},
};

static const mb_workload wl = {
    "fragmentation",
    "phased: mixed sizes, free 90% at random, larger blocks that do not fit the holes, free all",
    params,
    sizeof params / sizeof params[0],
};

enum { PH_ALLOC_MIXED, PH_FREE_MOST, PH_ALLOC_LARGE, PH_FREE_ALL, PH_COUNT };
static const char *const phase_names[PH_COUNT] = {"alloc-mixed", "free-most", "alloc-large",
                                                  "free-all"};

struct block {
    void *p;
    size_t size;
    uint64_t tag;
};

/* Phase hand-over: the main thread releases phase s (released = s + 1);
 * each worker counts itself done once at start and once per phase. */
struct phaser {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t released;
    uint64_t done;
};

struct shared {
    int threads;
    uint64_t seed;
    uint64_t objects, large, rounds;
    size_t min, max, large_min, large_max;
    unsigned free_pct;
    struct phaser ph;
};

struct worker {
    struct shared *sh;
    int tid;
    pthread_t thread;
    struct block *mixed; /* share of `objects` */
    struct block *big;   /* share of `large` */
    size_t nmixed, nbig;
    uint64_t ops;
    uint64_t checksum;
};

/* Log-uniform in [lo, hi]: one of the power-of-two ranges [2^e, 2^(e+1)]
 * that overlap [lo, hi] picked uniformly, then a size uniformly inside it
 * (clipped to [lo, hi]). */
static size_t log_uniform(mb_rng *r, size_t lo, size_t hi)
{
    if (lo >= hi)
        return lo;
    unsigned elo = 63u - (unsigned)__builtin_clzll((unsigned long long)lo);
    unsigned ehi = 63u - (unsigned)__builtin_clzll((unsigned long long)(hi - 1));
    unsigned e = (unsigned)mb_rng_range(r, elo, ehi);
    size_t a = (size_t)1 << e, b = (size_t)2 << e;
    if (a < lo)
        a = lo;
    if (b > hi)
        b = hi;
    return (size_t)mb_rng_range(r, a, b);
}

static void phase_done(struct phaser *ph)
{
    mb_mutex_lock(&ph->mu);
    ph->done++;
    mb_cond_broadcast(&ph->cv);
    mb_mutex_unlock(&ph->mu);
}

static void phase_wait_release(struct phaser *ph, uint64_t s)
{
    mb_mutex_lock(&ph->mu);
    while (ph->released <= s)
        mb_cond_wait(&ph->cv, &ph->mu);
    mb_mutex_unlock(&ph->mu);
}

static void give(struct worker *w, struct block *b, size_t size, uint64_t tag)
{
    b->p = mb_malloc(size);
    b->size = size;
    b->tag = tag;
    mb_fill(b->p, size, tag);
    w->ops++;
    w->checksum += mb_mix64(tag ^ ((uint64_t)size << 32));
}

static void release(struct worker *w, struct block *b)
{
    if (b->p == NULL)
        return;
    mb_check(b->p, b->size, b->tag);
    mb_free(b->p, b->size);
    b->p = NULL;
    w->ops++;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct shared *sh = w->sh;
    mb_rng rng;
    mb_rng_seed(&rng, sh->seed, (uint64_t)w->tid);
    uint64_t next_tag = (uint64_t)w->tid << 44;
    phase_done(&sh->ph); /* ready */
    for (uint64_t r = 0; r < sh->rounds; r++) {
        for (int p = 0; p < PH_COUNT; p++) {
            phase_wait_release(&sh->ph, r * PH_COUNT + (uint64_t)p);
            switch (p) {
            case PH_ALLOC_MIXED:
                for (size_t i = 0; i < w->nmixed; i++)
                    give(w, &w->mixed[i], log_uniform(&rng, sh->min, sh->max), next_tag++);
                break;
            case PH_FREE_MOST:
                for (size_t i = 0; i < w->nmixed; i++)
                    if (mb_rng_below(&rng, 100) < sh->free_pct)
                        release(w, &w->mixed[i]);
                break;
            case PH_ALLOC_LARGE:
                for (size_t i = 0; i < w->nbig; i++)
                    give(w, &w->big[i], (size_t)mb_rng_range(&rng, sh->large_min, sh->large_max),
                         next_tag++);
                break;
            case PH_FREE_ALL:
                for (size_t i = 0; i < w->nmixed; i++)
                    release(w, &w->mixed[i]);
                for (size_t i = 0; i < w->nbig; i++)
                    release(w, &w->big[i]);
                break;
            }
            phase_done(&sh->ph);
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    mb_config cfg;
    mb_init(&wl, argc, argv, &cfg);

    struct shared sh;
    sh.threads = cfg.threads;
    sh.seed = cfg.seed;
    sh.objects = (uint64_t)mb_param_value(&wl, "objects");
    sh.large = (uint64_t)mb_param_value(&wl, "large");
    sh.rounds = (uint64_t)mb_param_value(&wl, "rounds");
    sh.min = (size_t)mb_param_value(&wl, "min");
    sh.max = (size_t)mb_param_value(&wl, "max");
    sh.large_min = (size_t)mb_param_value(&wl, "large_min");
    sh.large_max = (size_t)mb_param_value(&wl, "large_max");
    sh.free_pct = (unsigned)mb_param_value(&wl, "free_pct");
    long long hold_ms = mb_param_value(&wl, "hold_ms");
    if (sh.min > sh.max)
        mb_usage_error("--min (%zu) must not exceed --max (%zu)", sh.min, sh.max);
    if (sh.large_min > sh.large_max)
        mb_usage_error("--large_min (%zu) must not exceed --large_max (%zu)", sh.large_min,
                       sh.large_max);
    int T = cfg.threads;

    /* Setup (not timed): per-thread block arrays. */
    struct worker *ws = mb_malloc(sizeof *ws * (size_t)T);
    for (int t = 0; t < T; t++) {
        struct worker *w = &ws[t];
        w->sh = &sh;
        w->tid = t;
        w->nmixed = (size_t)mb_share(sh.objects, T, t);
        w->nbig = (size_t)mb_share(sh.large, T, t);
        w->mixed = mb_calloc(w->nmixed + 1, sizeof *w->mixed);
        w->big = mb_calloc(w->nbig + 1, sizeof *w->big);
        w->ops = 0;
        w->checksum = 0;
    }
    if (pthread_mutex_init(&sh.ph.mu, NULL) != 0 || pthread_cond_init(&sh.ph.cv, NULL) != 0)
        mb_internal_error("pthread sync init failed");
    sh.ph.released = 0;
    sh.ph.done = 0;
    for (int t = 0; t < T; t++)
        mb_thread_create(&ws[t].thread, worker_main, &ws[t]);

    double seconds = 0;
    uint64_t nphases = sh.rounds * PH_COUNT;
    for (uint64_t s = 0; s < nphases; s++) {
        mb_mutex_lock(&sh.ph.mu);
        while (sh.ph.done < (s + 1) * (uint64_t)T) /* all ready / phase s-1 done */
            mb_cond_wait(&sh.ph.cv, &sh.ph.mu);
        mb_mutex_unlock(&sh.ph.mu);
        mb_phase(phase_names[s % PH_COUNT]);
        mb_mutex_lock(&sh.ph.mu);
        double t0 = mb_now();
        sh.ph.released = s + 1;
        mb_cond_broadcast(&sh.ph.cv);
        while (sh.ph.done < (s + 2) * (uint64_t)T)
            mb_cond_wait(&sh.ph.cv, &sh.ph.mu);
        seconds += mb_now() - t0;
        mb_mutex_unlock(&sh.ph.mu);
    }
    for (int t = 0; t < T; t++)
        mb_thread_join(ws[t].thread);

    mb_phase("hold");
    mb_sleep_ms(hold_ms);
    mb_phase("end");

    uint64_t ops = 0, checksum = mb_mix64(cfg.seed);
    for (int t = 0; t < T; t++) {
        ops += ws[t].ops;
        checksum += mb_mix64(ws[t].checksum + (uint64_t)t);
        mb_free(ws[t].mixed, (ws[t].nmixed + 1) * sizeof *ws[t].mixed);
        mb_free(ws[t].big, (ws[t].nbig + 1) * sizeof *ws[t].big);
    }
    pthread_cond_destroy(&sh.ph.cv);
    pthread_mutex_destroy(&sh.ph.mu);
    mb_free(ws, sizeof *ws * (size_t)T);
    mb_report(&wl, &cfg, ops, seconds, checksum);
    return MB_EXIT_OK;
}
