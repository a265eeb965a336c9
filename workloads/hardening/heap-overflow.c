/*
 * Probe: heap overflow into the next block. Of 128 blocks of 24 bytes, take the one whose
 * nearest block above it (one of ours, so it will be freed) is closest, and write from the
 * start of the victim up to the start of that neighbour: its own 24 bytes, the slack of its
 * size class and whatever the allocator keeps in front of the neighbour. Then free them all
 * and allocate the size again.
 */
#include "mallocbench.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void probe_start(int argc, char **argv, const char *name, const char *description);
void probe_armed(const char *name);
MB_NORETURN void probe_survived(void);
void *probe_launder(void *p);
void probe_keep(void *p);

#define N 128
#define SIZE 24
#define MAX_GAP 4096

int main(int argc, char **argv)
{
    probe_start(argc, argv, "heap-overflow",
                "write from a 24-byte block up to the start of the next block");
    char *blocks[N];
    for (int i = 0; i < N; i++) {
        blocks[i] = probe_launder(malloc(SIZE));
        if (blocks[i] == NULL)
            mb_internal_error("malloc(%d) failed", SIZE);
        memset(blocks[i], 0, SIZE);
    }
    /* The pair (victim, next block above it) with the smallest distance. */
    char *victim = NULL;
    uintptr_t gap = UINTPTR_MAX;
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++) {
            uintptr_t a = (uintptr_t)blocks[i], b = (uintptr_t)blocks[j];
            if (b > a && b - a < gap) {
                gap = b - a;
                victim = blocks[i];
            }
        }
    }
    if (victim == NULL || gap < SIZE || gap > MAX_GAP)
        mb_internal_error("no two of %d blocks of %d bytes lie within %d bytes", N, SIZE, MAX_GAP);
    probe_armed("heap-overflow");
    memset(probe_launder(victim), 0x41, (size_t)gap);
    for (int i = 0; i < N; i++)
        free(blocks[i]);
    for (int i = 0; i < N; i++)
        blocks[i] = probe_launder(malloc(SIZE));
    for (int i = 0; i < N; i++)
        free(blocks[i]);
    probe_survived();
}
