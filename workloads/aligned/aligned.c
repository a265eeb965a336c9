/*
 * aligned: random replacement over a per-thread set of live blocks, where
 * each new block comes from calloc, aligned_alloc or posix_memalign (a
 * third each). Alignments are powers of two from 16 to `maxalign` (uniform
 * over the exponent); one in `bigalign_every` aligned requests asks for
 * 64 KiB alignment. Models code that allocates SIMD buffers, cache-line or
 * page aligned structures, DMA/IO buffers and zeroed arrays: the paths of
 * an allocator beside plain malloc, which are often slower or waste memory
 * (over-allocation to find an aligned address).
 *
 * Validation beyond the usual pattern:
 *   - every pointer is checked against the alignment it was requested with
 *     (calloc: alignof(max_align_t)); a misaligned pointer is reported as
 *     "heap corruption detected: misaligned ..." (exit 3);
 *   - every byte of calloc memory must be zero before the workload writes
 *     its pattern; a non-zero byte is reported as "heap corruption
 *     detected: calloc returned non-zero memory" (exit 3). Reading every
 *     byte costs about as much as calloc's own zeroing.
 *
 * Work division: `steps` replacements in total, split among the threads;
 * every thread keeps `slots` live blocks (the footprint grows with
 * --threads, like larson).
 */
#include "mallocbench.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define BIG_ALIGN ((size_t)64 * 1024)

static mb_param params[] = {
    {"slots", "live blocks per thread", {1000, 1000, 1000}, 1, 10000000, 0, 0},
    {"steps", "block replacements in total, divided among threads", {100000, 1200000, 4000000}, 1, 1000000000, 0, 0},
    {"min", "smallest request in bytes", {16, 16, 16}, 1, 1 << 24, 0, 0},
    {"max", "largest request in bytes", {4096, 4096, 4096}, 1, 1 << 24, 0, 0},
    {"maxalign", "largest alignment of the regular mix (power of two, 16..)", {4096, 4096, 4096}, 16, 1 << 20, 0, 0},
    {"bigalign_every", "one in N aligned requests asks for 64 KiB alignment (0: never)", {64, 64, 64}, 0, 1000000000, 0, 0},
};

static const mb_workload wl = {
    "aligned",
    "calloc (checked zeroed), aligned_alloc and posix_memalign with alignments 16..4096 and 64 KiB",
    params,
    sizeof params / sizeof params[0],
};

enum kind { K_CALLOC, K_ALIGNED_ALLOC, K_POSIX_MEMALIGN, K_COUNT };
static const char *const kind_names[K_COUNT] = {"calloc", "aligned_alloc", "posix_memalign"};

struct block {
    void *p;
    size_t size; /* bytes requested (and counted as live) */
    uint64_t tag;
};

struct shared {
    int threads;
    uint64_t seed;
    size_t slots, min, max;
    unsigned align_exp_max;
    uint64_t steps, bigalign_every;
    struct block **blocks; /* per-thread slot arrays, allocated in setup */
    uint64_t *ops;
    uint64_t *checksum;
};

MB_NORETURN static void misaligned(enum kind k, const void *p, size_t align, size_t size)
{
    fprintf(stderr,
            "heap corruption detected: misaligned %s result: %p is not aligned to %zu bytes "
            "(request of %zu bytes)\n",
            kind_names[k], p, align, size);
    fflush(stderr);
    _exit(MB_EXIT_CORRUPTION);
}

/* Every byte of p[0..size) must be zero. */
static void check_zeroed(const void *ptr, size_t size)
{
    const unsigned char *p = ptr;
    uint64_t acc = 0;
    size_t i = 0;
    for (; i + 8 <= size; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, sizeof w);
        acc |= w;
    }
    for (; i < size; i++)
        acc |= p[i];
    if (MB_UNLIKELY(acc != 0)) {
        size_t off = 0;
        while (off < size && p[off] == 0)
            off++;
        fprintf(stderr,
                "heap corruption detected: calloc returned non-zero memory: block %p (%zu bytes) "
                "has 0x%02x at offset %zu\n",
                ptr, size, off < size ? p[off] : 0u, off);
        fflush(stderr);
        _exit(MB_EXIT_CORRUPTION);
    }
}

static void worker(int tid, void *arg)
{
    struct shared *sh = arg;
    struct block *b = sh->blocks[tid];
    mb_rng rng;
    mb_rng_seed(&rng, sh->seed, (uint64_t)tid);
    uint64_t n = mb_share(sh->steps, sh->threads, tid);
    uint64_t next_tag = (uint64_t)tid << 44, ops = 0, sum = 0;
    const size_t fundamental = _Alignof(max_align_t);

    for (size_t i = 0; i < sh->slots; i++)
        b[i].p = NULL;
    /* The first `slots` allocations fill the live set, then each step
     * replaces a random block. */
    for (uint64_t it = 0; it < n + sh->slots; it++) {
        size_t idx = it < sh->slots ? (size_t)it : (size_t)mb_rng_below(&rng, sh->slots);
        struct block *s = &b[idx];
        if (s->p != NULL) {
            mb_check(s->p, s->size, s->tag);
            mb_free(s->p, s->size);
            ops++;
        }
        enum kind k = (enum kind)mb_rng_below(&rng, K_COUNT);
        size_t want = (size_t)mb_rng_range(&rng, sh->min, sh->max);
        size_t align, size;
        void *p;
        if (k == K_CALLOC) {
            size_t elsize = (size_t)1 << mb_rng_below(&rng, 5); /* 1..16 */
            size_t nmemb = want / elsize > 0 ? want / elsize : 1;
            size = nmemb * elsize;
            align = size >= fundamental ? fundamental : 1;
            p = mb_calloc(nmemb, elsize);
            check_zeroed(p, size);
        } else {
            if (sh->bigalign_every > 0 && mb_rng_below(&rng, sh->bigalign_every) == 0)
                align = BIG_ALIGN;
            else
                align = (size_t)1 << mb_rng_range(&rng, 4, sh->align_exp_max);
            if (k == K_ALIGNED_ALLOC) {
                size = (want + align - 1) / align * align; /* as mb_aligned_alloc counts it */
                p = mb_aligned_alloc(align, want);
            } else {
                size = want;
                p = mb_posix_memalign(align, want);
            }
        }
        ops++;
        if (MB_UNLIKELY(((uintptr_t)p & (align - 1)) != 0))
            misaligned(k, p, align, size);
        uint64_t tag = next_tag++;
        mb_fill(p, size, tag);
        s->p = p;
        s->size = size;
        s->tag = tag;
        sum += mb_mix64(tag ^ ((uint64_t)size << 24) ^ ((uint64_t)align << 4) ^ (uint64_t)k);
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
    sh.threads = cfg.threads;
    sh.seed = cfg.seed;
    sh.slots = (size_t)mb_param_value(&wl, "slots");
    sh.steps = (uint64_t)mb_param_value(&wl, "steps");
    sh.min = (size_t)mb_param_value(&wl, "min");
    sh.max = (size_t)mb_param_value(&wl, "max");
    size_t maxalign = (size_t)mb_param_value(&wl, "maxalign");
    sh.bigalign_every = (uint64_t)mb_param_value(&wl, "bigalign_every");
    if (sh.min > sh.max)
        mb_usage_error("--min (%zu) must not exceed --max (%zu)", sh.min, sh.max);
    if ((maxalign & (maxalign - 1)) != 0)
        mb_usage_error("--maxalign (%zu) must be a power of two", maxalign);
    sh.align_exp_max = 63u - (unsigned)__builtin_clzll((unsigned long long)maxalign);
    int T = cfg.threads;

    sh.blocks = mb_malloc(sizeof *sh.blocks * (size_t)T);
    sh.ops = mb_calloc((size_t)T, sizeof *sh.ops);
    sh.checksum = mb_calloc((size_t)T, sizeof *sh.checksum);
    for (int t = 0; t < T; t++)
        sh.blocks[t] = mb_malloc(sizeof **sh.blocks * sh.slots);

    double seconds = mb_run_threads(T, worker, &sh);

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
