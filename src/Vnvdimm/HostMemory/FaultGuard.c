/*
 * Copies into and out of a file mapping that turn a SIGBUS into an error return.
 *
 * A shared file mapping raises SIGBUS where the file no longer reaches (truncated while mapped)
 * or where the filesystem cannot provide a page (full). Checking the file's size before every
 * guest access costs a system call each time and still races with a truncation; catching the
 * fault costs nothing until it happens and cannot race. The copy runs here, in native code, so
 * that the handler can jump out of it without crossing a managed frame.
 *
 * Any SIGBUS that is not ours (no guarded copy running on the faulting thread, or an address
 * outside its ranges) goes to the handler installed before ours: the .NET runtime's, or the
 * default action.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct guarded_copy {
    volatile sig_atomic_t active;
    uintptr_t first_start, first_end, second_start, second_end;
    sigjmp_buf resume;
    void *fault_address;
};

static __thread struct guarded_copy current __attribute__((tls_model("initial-exec")));
static struct sigaction previous;
static volatile sig_atomic_t installed;

static int within(uintptr_t address, uintptr_t start, uintptr_t end)
{
    return address >= start && address < end;
}

static void restore_default(int signal)
{
    struct sigaction fallback = { .sa_handler = SIG_DFL };
    sigemptyset(&fallback.sa_mask);
    sigaction(signal, &fallback, NULL);
}

static void pass_on(int signal, siginfo_t *info, void *context)
{
    if (info->si_code <= 0) {
        /* Sent by kill(2) or sigqueue(3), not a fault: SIGBUS's default action, as QEMU would take
         * it, whatever the runtime underneath (CoreCLR's handler would swallow it and reset the
         * action, leaving a window in which a guarded fault would be fatal). */
        restore_default(signal);
        raise(signal);
        return;
    }
    if (previous.sa_flags & SA_SIGINFO) {
        previous.sa_sigaction(signal, info, context);
    } else if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
        previous.sa_handler(signal);
    } else {
        /* The default action, as without us: the instruction runs again and the process ends with
         * SIGBUS (an ignored fault would repeat forever). */
        restore_default(signal);
    }
}

static void on_sigbus(int signal, siginfo_t *info, void *context)
{
    struct guarded_copy *copy = &current;
    uintptr_t address = (uintptr_t)info->si_addr;
    if (copy->active
        && (within(address, copy->first_start, copy->first_end)
            || within(address, copy->second_start, copy->second_end))) {
        copy->active = 0;
        copy->fault_address = info->si_addr;
        siglongjmp(copy->resume, 1);
    }
    pass_on(signal, info, context);
}

static void install(void)
{
    struct sigaction action = { 0 };
    action.sa_sigaction = on_sigbus;
    /* SA_NODEFER: the jump out of the handler skips the mask restore, so SIGBUS must not be blocked
     * while the handler runs. No SA_ONSTACK: .NET's handler, when we pass a signal on, would take
     * running on the alternate stack for a stack overflow. */
    action.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&action.sa_mask);
    sigaction(SIGBUS, &action, NULL);
}

/* Installs the handler once per process; returns 0, or -1 with errno set. */
int vnvdimm_fault_guard_install(void)
{
    if (installed)
        return 0;
    if (sigaction(SIGBUS, NULL, &previous) != 0)
        return -1;
    install();
    installed = 1;
    return 0;
}

static void arm(uintptr_t first, size_t first_length, uintptr_t second, size_t second_length)
{
    current.first_start = first;
    current.first_end = first + first_length;
    current.second_start = second;
    current.second_end = second + second_length;
}

static int all_zero(const unsigned char *bytes, size_t length)
{
    static const unsigned char zeros[4096];
    for (size_t at = 0; at < length; at += sizeof(zeros)) {
        size_t n = length - at < sizeof(zeros) ? length - at : sizeof(zeros);
        if (memcmp(bytes + at, zeros, n) != 0) /* glibc's vectorised compare */
            return 0;
    }
    return 1;
}

enum operation { COPY, FILL, IS_ZERO };

/* One guarded operation: 0 when done, 1 when a page of its ranges faulted (*fault_address says where). */
static int guarded(enum operation operation, void *destination, const void *source, int value, size_t length,
                   int *zero, void **fault_address)
{
    arm((uintptr_t)destination, destination ? length : 0, (uintptr_t)source, source ? length : 0);
    /* No signal mask saved: saving it costs a system call, and SA_NODEFER leaves it unchanged. */
    if (sigsetjmp(current.resume, 0)) {
        *fault_address = current.fault_address;
        return 1;
    }
    current.active = 1;
    switch (operation) {
    case COPY:
        memcpy(destination, source, length);
        break;
    case FILL:
        memset(destination, value, length);
        break;
    case IS_ZERO:
        *zero = all_zero(source, length);
        break;
    }
    current.active = 0;
    return 0;
}

int vnvdimm_guarded_copy(void *destination, const void *source, size_t length, void **fault_address)
{
    return guarded(COPY, destination, source, 0, length, NULL, fault_address);
}

int vnvdimm_guarded_fill(void *destination, int value, size_t length, void **fault_address)
{
    return guarded(FILL, destination, NULL, value, length, NULL, fault_address);
}

/* Whether length bytes are all zero (*zero). */
int vnvdimm_guarded_is_zero(const void *source, size_t length, int *zero, void **fault_address)
{
    return guarded(IS_ZERO, NULL, source, 0, length, zero, fault_address);
}
