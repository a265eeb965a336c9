/*
 * tree: small-object churn of linked structures, like an interpreter or
 * compiler without a garbage collector that builds and drops syntax trees,
 * environments and lists. A thread keeps `structures` live structures; each
 * step tears down a random one (walking its pointers, validating and
 * freeing every node) and builds a new one in its place: a binary tree of
 * random depth (1..maxdepth, each child present with probability
 * child_pct) or, for list_pct percent of the steps, a singly linked list of
 * 1..maxlist nodes. Nodes are 16..128 bytes: two child pointers followed by
 * a payload. Structures therefore have random lifetimes, and frees arrive
 * in pointer-chasing order, not in allocation order.
 *
 * A node's size and validation tag follow from the structure's key and the
 * node's pre-order index, so the tear-down (also pre-order) recomputes
 * them instead of storing them in the node. The payload carries the usual
 * mb_fill pattern; the number of nodes reached must equal the number built.
 *
 * Meant to be run single-threaded (workload.json: "multithreaded": false).
 * With --threads N every thread has its own structures and `steps` is split
 * among the threads; nothing is shared.
 */
#include "mallocbench.h"

#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#define NODE_HEADER 16 /* two pointers */

static mb_param params[] = {
    {"structures", "live structures per thread", {64, 64, 64}, 1, 1000000, 0, 0},
    {"steps", "structures built and torn down in total, divided among threads", {10000, 50000, 180000}, 1, 1000000000, 0, 0},
    {"maxdepth", "deepest binary tree (depth is uniform in 1..maxdepth)", {12, 12, 12}, 1, 20, 0, 0},
    {"child_pct", "percent chance that each child of an inner tree node exists", {80, 80, 80}, 0, 100, 0, 0},
    {"list_pct", "percent of structures that are linked lists instead of trees", {25, 25, 25}, 0, 100, 0, 0},
    {"maxlist", "longest linked list (length is uniform in 1..maxlist)", {1000, 1000, 1000}, 1, 1000000, 0, 0},
    {"minnode", "smallest node in bytes", {16, 16, 16}, NODE_HEADER, 1 << 20, 0, 0},
    {"maxnode", "largest node in bytes", {128, 128, 128}, NODE_HEADER, 1 << 20, 0, 0},
};

static const mb_workload wl = {
    "tree",
    "single-threaded churn of binary trees and linked lists of 16..128 byte nodes",
    params,
    sizeof params / sizeof params[0],
};

struct node {
    struct node *kid[2];
    /* payload follows */
};

struct slot {
    struct node *root;
    uint64_t key;   /* structure key: node tags derive from it */
    uint64_t nodes; /* nodes built */
};

struct shared {
    int threads;
    uint64_t seed;
    size_t structures;
    uint64_t steps;
    unsigned maxdepth, child_pct, list_pct;
    uint64_t maxlist;
    size_t minnode, maxnode;
    uint64_t *ops;
    uint64_t *checksum;
};

struct tctx {
    const struct shared *sh;
    mb_rng rng;
    struct node **stack; /* tear-down stack, maxdepth + 2 entries */
    uint64_t ops;
    uint64_t sum;
};

static inline uint64_t node_tag(uint64_t key, uint64_t idx)
{
    return (key << 22) + idx;
}

static inline size_t node_size(const struct shared *sh, uint64_t tag)
{
    return sh->minnode +
           (size_t)(mb_mix64(tag ^ UINT64_C(0x5be0cd19137e2179)) % (sh->maxnode - sh->minnode + 1));
}

static struct node *new_node(struct tctx *c, uint64_t key, uint64_t *idx)
{
    uint64_t tag = node_tag(key, (*idx)++);
    size_t size = node_size(c->sh, tag);
    struct node *n = mb_malloc(size);
    n->kid[0] = NULL;
    n->kid[1] = NULL;
    if (size > NODE_HEADER)
        mb_fill((unsigned char *)n + NODE_HEADER, size - NODE_HEADER, tag);
    c->ops++;
    c->sum += mb_mix64(tag ^ ((uint64_t)size << 40));
    return n;
}

/* Pre-order: the node, then its left subtree, then its right subtree. */
static struct node *build_tree(struct tctx *c, unsigned levels_below, uint64_t key,
                               uint64_t *idx)
{
    struct node *n = new_node(c, key, idx);
    if (levels_below > 0)
        for (int k = 0; k < 2; k++)
            if (mb_rng_below(&c->rng, 100) < c->sh->child_pct)
                n->kid[k] = build_tree(c, levels_below - 1, key, idx);
    return n;
}

static struct node *build_list(struct tctx *c, uint64_t len, uint64_t key, uint64_t *idx)
{
    struct node *head = new_node(c, key, idx), *tail = head;
    for (uint64_t i = 1; i < len; i++) {
        tail->kid[0] = new_node(c, key, idx);
        tail = tail->kid[0];
    }
    return head;
}

MB_NORETURN static void broken(const struct slot *s, uint64_t reached, const char *what)
{
    fprintf(stderr,
            "heap corruption detected: structure 0x%016" PRIx64 " (%" PRIu64
            " nodes): %s after %" PRIu64 " nodes\n",
            s->key, s->nodes, what, reached);
    fflush(stderr);
    _exit(MB_EXIT_CORRUPTION);
}

/* Pre-order walk with an explicit stack (right child pushed first), which
 * visits the nodes in the order they were built. */
static void tear_down(struct tctx *c, struct slot *s)
{
    const struct shared *sh = c->sh;
    size_t cap = sh->maxdepth + 2, top = 0;
    uint64_t idx = 0;
    c->stack[top++] = s->root;
    while (top > 0) {
        struct node *n = c->stack[--top];
        if (idx == s->nodes)
            broken(s, idx, "more nodes reachable than were built");
        uint64_t tag = node_tag(s->key, idx++);
        size_t size = node_size(sh, tag);
        if (size > NODE_HEADER)
            mb_check((unsigned char *)n + NODE_HEADER, size - NODE_HEADER, tag);
        struct node *left = n->kid[0], *right = n->kid[1];
        mb_free(n, size);
        c->ops++;
        if (right != NULL) {
            if (top == cap)
                broken(s, idx, "tree deeper than built");
            c->stack[top++] = right;
        }
        if (left != NULL) {
            if (top == cap)
                broken(s, idx, "tree deeper than built");
            c->stack[top++] = left;
        }
    }
    if (idx != s->nodes)
        broken(s, idx, "fewer nodes reachable than were built");
    s->root = NULL;
}

static void build(struct tctx *c, struct slot *s, uint64_t key)
{
    const struct shared *sh = c->sh;
    uint64_t idx = 0;
    s->key = key;
    if (mb_rng_below(&c->rng, 100) < sh->list_pct) {
        uint64_t len = mb_rng_range(&c->rng, 1, sh->maxlist);
        s->root = build_list(c, len, key, &idx);
    } else {
        unsigned depth = (unsigned)mb_rng_range(&c->rng, 1, sh->maxdepth);
        s->root = build_tree(c, depth - 1, key, &idx);
    }
    s->nodes = idx;
    c->sum += mb_mix64(key + idx);
}

static void worker(int tid, void *arg)
{
    struct shared *sh = arg;
    struct tctx c;
    c.sh = sh;
    c.ops = 0;
    c.sum = 0;
    mb_rng_seed(&c.rng, sh->seed, (uint64_t)tid);
    /* Per-thread scratch, part of the measured region like the work. */
    c.stack = mb_malloc(sizeof *c.stack * (sh->maxdepth + 2));
    struct slot *slots = mb_malloc(sizeof *slots * sh->structures);
    uint64_t n = mb_share(sh->steps, sh->threads, tid);
    uint64_t key = (uint64_t)tid << 32;
    for (size_t i = 0; i < sh->structures; i++)
        build(&c, &slots[i], key++);
    for (uint64_t i = 0; i < n; i++) {
        struct slot *s = &slots[mb_rng_below(&c.rng, sh->structures)];
        tear_down(&c, s);
        build(&c, s, key++);
    }
    for (size_t i = 0; i < sh->structures; i++)
        tear_down(&c, &slots[i]);
    mb_free(slots, sizeof *slots * sh->structures);
    mb_free(c.stack, sizeof *c.stack * (sh->maxdepth + 2));
    sh->ops[tid] = c.ops + 4; /* the two scratch arrays */
    sh->checksum[tid] = c.sum;
}

int main(int argc, char **argv)
{
    mb_config cfg;
    mb_init(&wl, argc, argv, &cfg);

    struct shared sh;
    sh.threads = cfg.threads;
    sh.seed = cfg.seed;
    sh.structures = (size_t)mb_param_value(&wl, "structures");
    sh.steps = (uint64_t)mb_param_value(&wl, "steps");
    sh.maxdepth = (unsigned)mb_param_value(&wl, "maxdepth");
    sh.child_pct = (unsigned)mb_param_value(&wl, "child_pct");
    sh.list_pct = (unsigned)mb_param_value(&wl, "list_pct");
    sh.maxlist = (uint64_t)mb_param_value(&wl, "maxlist");
    sh.minnode = (size_t)mb_param_value(&wl, "minnode");
    sh.maxnode = (size_t)mb_param_value(&wl, "maxnode");
    if (sh.minnode > sh.maxnode)
        mb_usage_error("--minnode (%zu) must not exceed --maxnode (%zu)", sh.minnode,
                       sh.maxnode);
    int T = cfg.threads;
    sh.ops = mb_calloc((size_t)T, sizeof *sh.ops);
    sh.checksum = mb_calloc((size_t)T, sizeof *sh.checksum);

    double seconds = mb_run_threads(T, worker, &sh);

    uint64_t ops = 0, checksum = mb_mix64(cfg.seed);
    for (int t = 0; t < T; t++) {
        ops += sh.ops[t];
        checksum += mb_mix64(sh.checksum[t] + (uint64_t)t);
    }
    mb_free(sh.ops, sizeof *sh.ops * (size_t)T);
    mb_free(sh.checksum, sizeof *sh.checksum * (size_t)T);
    mb_report(&wl, &cfg, ops, seconds, checksum);
    return MB_EXIT_OK;
}
