/*
 * The floor for qtest round trips: a server that answers each qtest line as a machine would, with an
 * answer of the same size, but does no work at all. What is left is the socket and two process
 * wake-ups per round trip.
 *
 *   qtest-noop-server SOCKET [FILE SIZE LABEL-OFFSET]
 *
 * With FILE, "outl 0xa18 ..." (a DSM call) also does what a durable Set Label Data must do at least:
 * copy 4076 bytes into FILE's shared mapping at LABEL-OFFSET and msync the touched page, before its
 * answer: the floor for durable label writes under the same round trips.
 *
 * Listens on SOCKET, serves one client at a time. "b64read ADDR LEN" gets "OK " and the base64 of LEN
 * zero bytes, "inb/inw/inl/readb..readq" get "OK 0x..." of their width, everything else "OK". Answers
 * to the lines of one read go out in one write, as a server that batches would send them.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>

static char in[1 << 20], out[1 << 22];
static unsigned char *label; /* the label area's first page in the mapped FILE, or NULL */
static size_t label_page_offset;
static unsigned char payload[4076];

static size_t answer(const char *line, size_t length, char *to)
{
    if (length > 8 && !memcmp(line, "b64read ", 8)) {
        const char *len = memchr(line + 8, ' ', length - 8);
        unsigned long bytes = len ? strtoul(len + 1, NULL, 0) : 0;
        size_t chars = (bytes + 2) / 3 * 4;
        memcpy(to, "OK ", 3);
        memset(to + 3, 'A', chars);
        if (bytes % 3)
            memset(to + 3 + chars - (3 - bytes % 3), '=', 3 - bytes % 3);
        to[3 + chars] = '\n';
        return chars + 4;
    }
    if (label && length > 10 && !memcmp(line, "outl 0xa18", 10)) {
        memcpy(label, payload, sizeof payload);
        payload[0]++;
        msync(label - label_page_offset, label_page_offset + sizeof payload, MS_SYNC);
    }
    if (line[0] == 'i' && line[1] == 'n') {
        memcpy(to, "OK 0x0000\n", 10);
        return 10;
    }
    if (length > 4 && !memcmp(line, "read", 4) && line[4] != ' ') {
        memcpy(to, "OK 0x0000000000000000\n", 22);
        return 22;
    }
    memcpy(to, "OK\n", 3);
    return 3;
}

int main(int argc, char **argv)
{
    if (argc != 2 && argc != 5) {
        fprintf(stderr, "usage: %s SOCKET [FILE SIZE LABEL-OFFSET]\n", argv[0]);
        return 2;
    }
    if (argc == 5) {
        size_t size = strtoull(argv[3], NULL, 0), offset = strtoull(argv[4], NULL, 0);
        int file = open(argv[2], O_RDWR | O_CREAT, 0600);
        unsigned char *map = file < 0 || ftruncate(file, (off_t)size) != 0 ? MAP_FAILED
            : mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, file, 0);
        if (map == MAP_FAILED) {
            perror(argv[2]);
            return 2;
        }
        long page = sysconf(_SC_PAGESIZE);
        label = map + offset;
        label_page_offset = offset & (size_t)(page - 1);
    }
    struct sockaddr_un address = { .sun_family = AF_UNIX };
    strncpy(address.sun_path, argv[1], sizeof address.sun_path - 1);
    unlink(argv[1]);
    int listener = socket(AF_UNIX, SOCK_STREAM, 0);
    if (listener < 0 || bind(listener, (struct sockaddr *)&address, sizeof address) != 0 || listen(listener, 4) != 0) {
        perror("listen");
        return 2;
    }
    for (;;) {
        int fd = accept(listener, NULL, NULL);
        if (fd < 0)
            continue;
        size_t have = 0;
        for (;;) {
            ssize_t n = read(fd, in + have, sizeof in - have);
            if (n <= 0)
                break;
            have += (size_t)n;
            size_t start = 0, produced = 0;
            for (;;) {
                char *nl = memchr(in + start, '\n', have - start);
                if (!nl)
                    break;
                produced += answer(in + start, (size_t)(nl - (in + start)), out + produced);
                start = (size_t)(nl - in) + 1;
            }
            memmove(in, in + start, have - start);
            have -= start;
            for (size_t sent = 0; sent < produced;) {
                ssize_t w = write(fd, out + sent, produced - sent);
                if (w <= 0)
                    break;
                sent += (size_t)w;
            }
        }
        close(fd);
    }
}
