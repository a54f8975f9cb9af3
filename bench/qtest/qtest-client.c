/*
 * A minimal qtest client, as cheap as a client can be, for measuring qtest servers side by side.
 *
 *   qtest-client SOCKET MODE COUNT
 *
 * MODE is one of
 *   lockstep   COUNT x "outl 0x80 0", each answer awaited before the next command
 *   dsm        COUNT x a DSM Get Label Data of 4076 bytes, as a guest's _LSR makes it: b64write of the
 *              request page, outl of its address to port 0x0a18, b64read of the 4 KiB answer page;
 *              each command awaited (three round trips per call)
 *   dsm-set    COUNT x a DSM Set Label Data of 4076 bytes (the whole 4 KiB request page written by
 *              b64write, the outl, then a b64read of the 8-byte status): the durable label write
 *   pipelined  COUNT x "outl 0x80 0", written 100 at a time in one write, then the 100 answers read
 *
 * Prints "MODE COUNT SECONDS RATE" (RATE: commands per second; for dsm, calls per second).
 * The answers' contents are not checked beyond their first two bytes ("OK"): the servers are checked elsewhere.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#define DSM_PAGE 0x100000
#define BATCH 100

static int fd;
static char buf[1 << 16];
static size_t have, at;

static void die(const char *what)
{
    perror(what);
    exit(2);
}

static void send_all(const char *data, size_t length)
{
    while (length > 0) {
        ssize_t n = write(fd, data, length);
        if (n <= 0)
            die("write");
        data += n;
        length -= (size_t)n;
    }
}

/* Reads one answer line; asynchronous "IRQ" lines are skipped, as libqtest skips them. */
static void read_answer(void)
{
    for (;;) {
        size_t start = at;
        for (;;) {
            char *nl = memchr(buf + at, '\n', have - at);
            if (nl) {
                at = (size_t)(nl - buf) + 1;
                break;
            }
            if (start > 0) {
                memmove(buf, buf + start, have - start);
                have -= start;
                at = have;
                start = 0;
            } else {
                at = have;
            }
            if (have == sizeof buf)
                die("answer longer than the buffer");
            ssize_t n = read(fd, buf + have, sizeof buf - have);
            if (n <= 0)
                die("read");
            have += (size_t)n;
        }
        if (buf[start] != 'I') {
            if (buf[start] != 'O' || buf[start + 1] != 'K') {
                fprintf(stderr, "unexpected answer: %.*s", (int)(at - start), buf + start);
                exit(3);
            }
            if (at == have)
                have = at = 0;
            return;
        }
    }
}

/* One lockstep round trip: the command, then its answer. */
static void round_trip(const char *line, size_t length)
{
    send_all(line, length);
    read_answer();
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static size_t base64(const unsigned char *in, size_t length, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < length; i += 3) {
        unsigned v = in[i] << 16 | (i + 1 < length ? in[i + 1] << 8 : 0) | (i + 2 < length ? in[i + 2] : 0);
        out[o++] = b64[v >> 18 & 63];
        out[o++] = b64[v >> 12 & 63];
        out[o++] = i + 1 < length ? b64[v >> 6 & 63] : '=';
        out[o++] = i + 2 < length ? b64[v & 63] : '=';
    }
    return o;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s SOCKET lockstep|dsm|dsm-set|pipelined COUNT\n", argv[0]);
        return 2;
    }
    const char *mode = argv[2];
    long count = atol(argv[3]);
    struct sockaddr_un address = { .sun_family = AF_UNIX };
    strncpy(address.sun_path, argv[1], sizeof address.sun_path - 1);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof address) != 0)
        die("connect");

    /* Warm up both sides (JIT, caches) before the clock starts. */
    for (int i = 0; i < 2000; i++)
        round_trip("outl 0x80 0\n", 12);

    double start = now();
    if (!strcmp(mode, "lockstep")) {
        for (long i = 0; i < count; i++)
            round_trip("outl 0x80 0\n", 12);
    } else if (!strcmp(mode, "pipelined")) {
        char batch[BATCH * 12];
        for (int i = 0; i < BATCH; i++)
            memcpy(batch + 12 * i, "outl 0x80 0\n", 12);
        for (long i = 0; i < count; i += BATCH) {
            send_all(batch, sizeof batch);
            for (int j = 0; j < BATCH; j++)
                read_answer();
        }
    } else if (!strcmp(mode, "dsm")) {
        /* handle 1, revision 1, function 5 (Get Label Data), offset 0, length 4076 */
        unsigned char page[20] = { 1, 0, 0, 0, 1, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0xec, 0x0f, 0, 0 };
        char request[128], call[64], answer[64];
        int n = snprintf(request, sizeof request, "b64write 0x%x 0x%zx ", DSM_PAGE, sizeof page);
        n += (int)base64(page, sizeof page, request + n);
        request[n++] = '\n';
        int c = snprintf(call, sizeof call, "outl 0xa18 0x%x\n", DSM_PAGE);
        int a = snprintf(answer, sizeof answer, "b64read 0x%x 0x1000\n", DSM_PAGE);
        for (long i = 0; i < count; i++) {
            round_trip(request, (size_t)n);
            round_trip(call, (size_t)c);
            round_trip(answer, (size_t)a);
        }
    } else if (!strcmp(mode, "dsm-set")) {
        /* handle 1, revision 1, function 6 (Set Label Data), offset 0, length 4076, then the data */
        static unsigned char page[4096] = { 1, 0, 0, 0, 1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0xec, 0x0f, 0, 0 };
        static char request[8192];
        char call[64], answer[64];
        int c = snprintf(call, sizeof call, "outl 0xa18 0x%x\n", DSM_PAGE);
        int a = snprintf(answer, sizeof answer, "b64read 0x%x 0x8\n", DSM_PAGE);
        for (long i = 0; i < count; i++) {
            memset(page + 20, (int)i, sizeof page - 20); /* new content every call */
            int n = snprintf(request, sizeof request, "b64write 0x%x 0x%zx ", DSM_PAGE, sizeof page);
            n += (int)base64(page, sizeof page, request + n);
            request[n++] = '\n';
            round_trip(request, (size_t)n);
            round_trip(call, (size_t)c);
            round_trip(answer, (size_t)a);
        }
    } else {
        fprintf(stderr, "unknown mode %s\n", mode);
        return 2;
    }
    double seconds = now() - start;
    printf("%s %ld %.6f %.0f\n", mode, count, seconds, count / seconds);
    return 0;
}
