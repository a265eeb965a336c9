/* Probe: free p + 1 of a live block (a misaligned pointer). */
#include "mallocbench.h"

#include <stdlib.h>

void probe_start(int argc, char **argv, const char *name, const char *description);
void probe_armed(const char *name);
MB_NORETURN void probe_survived(void);
void *probe_launder(void *p);
void probe_keep(void *p);

int main(int argc, char **argv)
{
    probe_start(argc, argv, "misaligned-free", "free p + 1 of a live 64-byte block");
    char *p = probe_launder(malloc(64));
    probe_keep(p);
    probe_armed("misaligned-free");
    free(probe_launder(p + 1));
    probe_keep(malloc(64));
    probe_keep(malloc(64));
    probe_survived();
}
