/*
 * The few QEMU utility functions libqtest calls whose homes in QEMU (util/osdep.c,
 * util/oslib-posix.c, util/error-report.c) would pull in much of QEMU's main loop and monitor.
 * Written for this harness; the behaviour libqtest relies on is all there is.
 */
#include "qemu/osdep.h"
#include "qemu/error-report.h"
#include "qemu/sockets.h"

int error_vprintf(const char *fmt, va_list ap) { return vfprintf(stderr, fmt, ap); }

int error_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = error_vprintf(fmt, ap);
    va_end(ap);
    return n;
}

static void report(const char *prefix, const char *fmt, va_list ap)
{
    fputs(prefix, stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void error_report(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report("", fmt, ap);
    va_end(ap);
}

void warn_report(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report("warning: ", fmt, ap);
    va_end(ap);
}

void qemu_set_cloexec(int fd)
{
    int flags = fcntl(fd, F_GETFD);
    g_assert(flags != -1);
    g_assert(fcntl(fd, F_SETFD, flags | FD_CLOEXEC) != -1);
}

ssize_t qemu_send_full(int s, const void *buf, size_t count)
{
    size_t done = 0;
    while (done < count) {
        ssize_t n = send(s, (const char *)buf + done, count - done, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return done ? (ssize_t)done : -1;
        }
        done += n;
    }
    return done;
}

int socket_init(void) { return 0; }
