/* Probe: free a 16-byte-aligned pointer into the middle of a live block. */
#include "mallocbench.h"

#include <stdlib.h>

void probe_start(int argc, char **argv, const char *name, const char *description);
void probe_armed(const char *name);
MB_NORETURN void probe_survived(void);
void *probe_launder(void *p);
void probe_keep(void *p);

int main(int argc, char **argv)
{
    probe_start(argc, argv, "invalid-free-interior", "free a pointer 32 bytes into a 64-byte block");
    char *p = probe_launder(malloc(64));
    probe_keep(p);
    probe_armed("invalid-free-interior");
    free(probe_launder(p + 32));
    probe_keep(malloc(32));
    probe_keep(malloc(32));
    probe_survived();
}
