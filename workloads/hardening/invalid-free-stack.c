/* Probe: free a pointer to a buffer on the stack. */
#include "mallocbench.h"

#include <stdlib.h>
#include <string.h>

void probe_start(int argc, char **argv, const char *name, const char *description);
void probe_armed(const char *name);
MB_NORETURN void probe_survived(void);
void *probe_launder(void *p);
void probe_keep(void *p);

int main(int argc, char **argv)
{
    probe_start(argc, argv, "invalid-free-stack", "free a pointer to a stack buffer");
    _Alignas(16) char buf[128];
    memset(buf, 0, sizeof buf);
    probe_armed("invalid-free-stack");
    free(probe_launder(buf + 16));
    probe_keep(malloc(32));
    probe_keep(malloc(32));
    probe_keep(buf);
    probe_survived();
}
