/*
 * mallocbench: interposition probe for external programs (docs/programs.md).
 *
 * Preloaded AFTER the allocator under test (LD_PRELOAD="<allocator>:<this>"). It defines no
 * allocation function, so it changes no symbol binding. Its constructor names the object file
 * each allocation entry point of the process resolves to: the target this library's own call
 * was bound to (dladdr of its jump slot; calls only, never an address-of reference, which a
 * non-PIE program's canonical PLT stub would capture). Built against the program's libc, that
 * reference carries the same symbol version as the program's (malloc@GLIBC_2.2.5 on x86_64 glibc), so it
 * binds where the program's calls go; an unversioned dlsym(RTLD_DEFAULT) would also find a
 * malloc exported under a foreign version that the program never calls
 * (test/fixtures/libs/versioned-malloc.c). It also names the libc (the object defining
 * __libc_start_main, in glibc and in musl alike) and lists the object files mapped in
 * /proc/self/maps. It appends one JSON line to $MALLOCBENCH_IDENTITY_FILE and does
 * nothing when that variable is unset. Processes the program starts append their own lines (pid
 * tells them apart).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct buf {
    char data[65536];
    size_t len;
    int overflow;
};

static void put(struct buf *b, const char *s)
{
    size_t n = strlen(s);
    if (b->len + n >= sizeof(b->data)) {
        b->overflow = 1;
        return;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
}

/* A JSON string; paths hold no control characters in practice, but escape them anyway. */
static void put_string(struct buf *b, const char *s)
{
    char one[8];
    put(b, "\"");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            one[0] = '\\';
            one[1] = (char)c;
            one[2] = 0;
        } else if (c < 0x20) {
            snprintf(one, sizeof(one), "\\u%04x", c);
        } else {
            one[0] = (char)c;
            one[1] = 0;
        }
        put(b, one);
    }
    put(b, "\"");
}

/* Weak: an entry point the libc lacks (musl has no pvalloc) is a null address, not a load error. */
extern void *malloc(size_t) __attribute__((weak));
extern void free(void *) __attribute__((weak));
extern void *calloc(size_t, size_t) __attribute__((weak));
extern void *realloc(void *, size_t) __attribute__((weak));
extern void *aligned_alloc(size_t, size_t) __attribute__((weak));
extern int posix_memalign(void **, size_t, size_t) __attribute__((weak));
extern void *memalign(size_t, size_t) __attribute__((weak));
extern size_t malloc_usable_size(void *) __attribute__((weak));
extern void *valloc(size_t) __attribute__((weak));
extern void *pvalloc(size_t) __attribute__((weak));

/* Function pointer -> data pointer (POSIX guarantees this round-trips). */
#define FN_ADDR(fn) fn_addr((void (*)(void))(fn))
static void *fn_addr(void (*fn)(void))
{
    void *p;
    memcpy(&p, &fn, sizeof p);
    return p;
}

static void put_object_at(struct buf *b, void *address)
{
    Dl_info info;
    if (address != NULL && dladdr(address, &info) != 0 && info.dli_fname != NULL &&
        info.dli_fname[0] != 0)
        put_string(b, info.dli_fname);
    else
        put(b, "null");
}

static void put_object_of(struct buf *b, const char *symbol)
{
    put_object_at(b, dlsym(RTLD_DEFAULT, symbol));
}

/* Distinct file-backed mappings, in the order they appear. */
static void put_mapped(struct buf *b)
{
    static char seen[32768];
    size_t seen_len = 0;
    char line[4608];
    int first = 1;
    FILE *maps = fopen("/proc/self/maps", "re");
    put(b, "[");
    if (maps != NULL) {
        while (fgets(line, sizeof(line), maps) != NULL) {
            char *file = strchr(line, '/');
            if (file == NULL)
                continue;
            file[strcspn(file, "\n")] = 0;
            size_t n = strlen(file);
            int duplicate = 0;
            for (size_t at = 0; at < seen_len; at += strlen(seen + at) + 1) {
                if (strcmp(seen + at, file) == 0) {
                    duplicate = 1;
                    break;
                }
            }
            if (duplicate)
                continue;
            if (seen_len + n + 1 < sizeof(seen)) {
                memcpy(seen + seen_len, file, n + 1);
                seen_len += n + 1;
            }
            if (!first)
                put(b, ",");
            first = 0;
            put_string(b, file);
        }
        fclose(maps);
    }
    put(b, "]");
}

/* Every entry point the harness may check (PROGRAM_ENTRY_POINTS in src/setup/identity.ts). */
static const char *const entry_points[] = {"malloc",         "free",     "calloc",
                                           "realloc",        "aligned_alloc",
                                           "posix_memalign", "memalign", "malloc_usable_size",
                                           "valloc",         "pvalloc"};

/* Never run: gives this library a PLT (jump slot) relocation for each entry point. */
static void *volatile sink;
__attribute__((used, noinline)) static void mallocbench_identity_calls(void)
{
    void *p = NULL;
    sink = malloc(1);
    sink = calloc(1, 1);
    sink = realloc(sink, 2);
    sink = aligned_alloc(16, 16);
    (void)posix_memalign(&p, 16, 16);
    sink = memalign(16, 16);
    sink = (void *)malloc_usable_size(p);
    sink = valloc(16);
    sink = pvalloc(16);
    free(p);
}

struct self_search {
    uintptr_t inside;
    const ElfW(Dyn) * dyn;
    uintptr_t base;
    uintptr_t start, end;
};

static int find_self(struct dl_phdr_info *info, size_t size, void *data)
{
    struct self_search *s = data;
    const ElfW(Dyn) *dyn = NULL;
    uintptr_t start = UINTPTR_MAX, end = 0;
    (void)size;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD) {
            uintptr_t from = info->dlpi_addr + ph->p_vaddr;
            if (from < start)
                start = from;
            if (from + ph->p_memsz > end)
                end = from + ph->p_memsz;
        } else if (ph->p_type == PT_DYNAMIC) {
            dyn = (const ElfW(Dyn) *)(info->dlpi_addr + ph->p_vaddr);
        }
    }
    if (dyn == NULL || s->inside < start || s->inside >= end)
        return 0;
    s->dyn = dyn;
    s->base = info->dlpi_addr;
    s->start = start;
    s->end = end;
    return 1;
}

#if UINTPTR_MAX > 0xffffffffu
#define REL_SYM(info) ELF64_R_SYM(info)
#else
#define REL_SYM(info) ELF32_R_SYM(info)
#endif

/*
 * Where this library's calls to each entry point go: the targets in its jump slots (bound at
 * load: it is linked with -z now). A non-PIE program that takes an entry point's address
 * (python3's allocator table holds &malloc) makes every address-of reference in the process
 * bind to its canonical PLT stub, so dladdr of such an address names the program; calls, and
 * jump slots, still reach the allocator. This library takes no entry point's address: the
 * linker would then route its calls through that reference too. Leaves out[i] null when unknown.
 */
static void bound_targets(void *out[], size_t n)
{
    struct self_search s = {(uintptr_t)FN_ADDR(mallocbench_identity_calls), NULL, 0, 0, 0};
    if (dl_iterate_phdr(find_self, &s) == 0 || s.dyn == NULL)
        return;
    uintptr_t jmprel = 0, symtab = 0, strtab = 0;
    size_t pltrelsz = 0;
    long pltrel = DT_RELA;
    for (const ElfW(Dyn) *d = s.dyn; d->d_tag != DT_NULL; d++) {
        /* glibc relocates these addresses in place on most architectures, musl never does. */
        uintptr_t value = d->d_un.d_ptr < s.base ? s.base + d->d_un.d_ptr : d->d_un.d_ptr;
        switch (d->d_tag) {
        case DT_JMPREL: jmprel = value; break;
        case DT_SYMTAB: symtab = value; break;
        case DT_STRTAB: strtab = value; break;
        case DT_PLTRELSZ: pltrelsz = d->d_un.d_val; break;
        case DT_PLTREL: pltrel = (long)d->d_un.d_val; break;
        default: break;
        }
    }
    if (jmprel == 0 || symtab == 0 || strtab == 0)
        return;
    size_t entsize = pltrel == DT_RELA ? sizeof(ElfW(Rela)) : sizeof(ElfW(Rel));
    for (size_t off = 0; off + entsize <= pltrelsz; off += entsize) {
        const ElfW(Rel) *r = (const ElfW(Rel) *)(jmprel + off); /* Rela starts the same way */
        const ElfW(Sym) *sym = (const ElfW(Sym) *)symtab + REL_SYM(r->r_info);
        const char *name = (const char *)strtab + sym->st_name;
        void *target = *(void *const *)(s.base + r->r_offset);
        /* Unbound (lazy) slots point back into this library: not an answer. */
        if (target == NULL || ((uintptr_t)target >= s.start && (uintptr_t)target < s.end))
            continue;
        for (size_t i = 0; i < n; i++)
            if (strcmp(name, entry_points[i]) == 0)
                out[i] = target;
    }
}

__attribute__((constructor)) static void mallocbench_identity(void)
{
    const char *target = getenv("MALLOCBENCH_IDENTITY_FILE");
    if (target == NULL || target[0] == 0)
        return;
    static struct buf b;
    char pid[32];
    b.len = 0;
    b.overflow = 0;
    snprintf(pid, sizeof(pid), "%ld", (long)getpid());
    put(&b, "{\"pid\":");
    put(&b, pid);
    /* In the order of entry_points. */
    void *addresses[sizeof(entry_points) / sizeof(entry_points[0])] = {NULL};
    bound_targets(addresses, sizeof(addresses) / sizeof(addresses[0]));
    put(&b, ",\"malloc\":");
    put_object_at(&b, addresses[0]);
    put(&b, ",\"free\":");
    put_object_at(&b, addresses[1]);
    put(&b, ",\"entryPoints\":{");
    for (size_t i = 0; i < sizeof(entry_points) / sizeof(entry_points[0]); i++) {
        if (i > 0)
            put(&b, ",");
        put_string(&b, entry_points[i]);
        put(&b, ":");
        put_object_at(&b, addresses[i]);
    }
    put(&b, "}");
    put(&b, ",\"libc\":");
    put_object_of(&b, "__libc_start_main");
    put(&b, ",\"mapped\":");
    put_mapped(&b);
    put(&b, "}\n");
    if (b.overflow)
        return; /* a truncated line would be misread; no line reads as "not verified" */
    int fd = open(target, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    ssize_t written = write(fd, b.data, b.len);
    (void)written;
    close(fd);
}
