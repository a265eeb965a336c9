/* Probe: free the same small block twice, then allocate its size again. */
#include "mallocbench.h"

#include <stdlib.h>

void probe_start(int argc, char **argv, const char *name, const char *description);
void probe_armed(const char *name);
MB_NORETURN void probe_survived(void);
void *probe_launder(void *p);
void probe_keep(void *p);

int main(int argc, char **argv)
{
    probe_start(argc, argv, "double-free", "free the same 32-byte block twice");
    void *p = probe_launder(malloc(32));
    probe_keep(malloc(32)); /* a live neighbour, so p is not merged into free space */
    void *again = probe_launder(p); /* the same pointer, opaque to use-after-free analysis */
    free(p);
    probe_armed("double-free");
    free(again);
    /* A second chance to notice: the block may now be handed out twice. */
    probe_keep(malloc(32));
    probe_keep(malloc(32));
    probe_survived();
}
