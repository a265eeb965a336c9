/*
 * Shared part of the hardening probes (see probes.json and docs/hardening.md).
 *
 * Protocol on the result channel (stdout when run by hand), each line written before the next
 * step (mb_channel_write), so nothing else in the process can add a marker by printing one:
 *   @malloc <path>   object file that defines malloc (from the workload runtime)
 *   @armed <probe>   printed just before the misuse: a crash before it is a harness error
 *   @not-detected    printed when the probe got past the misuse and its follow-up calls
 * The probe itself writes nothing on stderr, so whatever is there came from the allocator
 * (or the dynamic loader).
 */
#include "mallocbench.h"

#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

void probe_start(int argc, char **argv, const char *name, const char *description);
void probe_armed(const char *name);
MB_NORETURN void probe_survived(void);
void *probe_launder(void *p);
void probe_keep(void *p);

/* Pointers the compiler must assume are read elsewhere. */
void *volatile probe_kept[8];

void probe_start(int argc, char **argv, const char *name, const char *description)
{
    static mb_workload wl;
    mb_config cfg;
    wl.name = name;
    wl.description = description;
    wl.params = NULL;
    wl.nparams = 0;
    /* --identify and --help are handled (and exit) here, as for workloads. */
    mb_init(&wl, argc, argv, &cfg);
    /* An aborting allocator must not leave core files behind. */
    struct rlimit none = {0, 0};
    (void)setrlimit(RLIMIT_CORE, &none);
    const mb_identity *id = mb_identity_get();
    char line[4200];
    snprintf(line, sizeof line, "@malloc %s\n", id->malloc_path[0] ? id->malloc_path : "?");
    mb_channel_write(line);
}

void probe_armed(const char *name)
{
    char line[256];
    snprintf(line, sizeof line, "@armed %s\n", name);
    mb_channel_write(line);
}

void probe_survived(void)
{
    mb_channel_write("@not-detected\n");
    /* Skip atexit handlers and stdio teardown: the verdict is in. */
    _exit(MB_EXIT_OK);
}

/* Returns p, hiding from the optimizer where it came from (no folding of misuse away). */
__attribute__((noinline)) void *probe_launder(void *p)
{
    __asm__ volatile("" : "+r"(p) : : "memory");
    return p;
}

void probe_keep(void *p)
{
    static unsigned n;
    probe_kept[n++ % 8] = p;
}
