/*
 * A stand-in for PMDK's libpmem.so.1 that vnvdimm loads through VNVDIMM_LIBPMEM in the durability
 * tests (tests/Vnvdimm.Cli.Tests/DurabilityTraceTests.cs). libpmem's flushes are CPU instructions,
 * invisible to strace; this library exports the functions vnvdimm binds, forwards each call to the
 * real libpmem and, once the call has returned, appends one line to the file VNVDIMM_PMEM_SHIM_LOG
 * names, with a single write(2):
 *
 *     pmem_persist 0x<address> <length>
 *     pmem_memcpy_persist 0x<destination> <length>
 *
 * so that the record appears in a strace of the process exactly where the persist completed.
 * VNVDIMM_PMEM_SHIM_REAL names the real library (default libpmem.so.1).
 *
 * Build: gcc -shared -fPIC -O2 -o pmem-shim.so pmem-shim.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void (*real_persist)(const void *address, size_t length);
static void *(*real_memcpy_persist)(void *destination, const void *source, size_t length);
static int log_fd = -1;

__attribute__((constructor)) static void shim_init(void)
{
    const char *real = getenv("VNVDIMM_PMEM_SHIM_REAL");
    void *library = dlopen(real && *real ? real : "libpmem.so.1", RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        fprintf(stderr, "pmem-shim: cannot load the real libpmem: %s\n", dlerror());
        abort();
    }
    real_persist = (void (*)(const void *, size_t))dlsym(library, "pmem_persist");
    real_memcpy_persist = (void *(*)(void *, const void *, size_t))dlsym(library, "pmem_memcpy_persist");
    if (real_persist == NULL || real_memcpy_persist == NULL) {
        fprintf(stderr, "pmem-shim: the real libpmem lacks pmem_persist or pmem_memcpy_persist\n");
        abort();
    }
    const char *log = getenv("VNVDIMM_PMEM_SHIM_LOG");
    if (log && *log)
        log_fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

static void record(const char *function, const void *address, size_t length)
{
    if (log_fd < 0)
        return;
    char line[128];
    int n = snprintf(line, sizeof line, "%s %p %zu\n", function, address, length);
    if (n > 0 && write(log_fd, line, (size_t)n) != n)
        abort(); /* a lost record would make a test pass or fail for the wrong reason */
}

void pmem_persist(const void *address, size_t length)
{
    real_persist(address, length);
    record("pmem_persist", address, length);
}

void *pmem_memcpy_persist(void *destination, const void *source, size_t length)
{
    void *result = real_memcpy_persist(destination, source, length);
    record("pmem_memcpy_persist", destination, length);
    return result;
}
