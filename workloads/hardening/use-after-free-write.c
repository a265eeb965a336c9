/*
 * Probe: free two blocks of one size, write over both (where free lists keep their links),
 * then allocate that size three times and free the results.
 */
#include "mallocbench.h"

#include <stdlib.h>
#include <string.h>

void probe_start(int argc, char **argv, const char *name, const char *description);
void probe_armed(const char *name);
MB_NORETURN void probe_survived(void);
void *probe_launder(void *p);
void probe_keep(void *p);

#define SIZE 48

int main(int argc, char **argv)
{
    probe_start(argc, argv, "use-after-free-write", "write into two freed 48-byte blocks, then allocate again");
    char *a = probe_launder(malloc(SIZE));
    char *b = probe_launder(malloc(SIZE));
    probe_keep(malloc(SIZE)); /* a live neighbour */
    char *stale_a = probe_launder(a); /* the same pointers, opaque to use-after-free analysis */
    char *stale_b = probe_launder(b);
    free(a);
    free(b);
    probe_armed("use-after-free-write");
    memset(stale_a, 0x41, SIZE);
    memset(stale_b, 0x41, SIZE);
    char *c = probe_launder(malloc(SIZE));
    char *d = probe_launder(malloc(SIZE));
    char *e = probe_launder(malloc(SIZE));
    free(c);
    free(d);
    free(e);
    probe_survived();
}
