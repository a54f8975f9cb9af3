/*
 * The filesystem's floor for a durable label write: what a Set Label Data of LEN bytes must do at
 * least on a shared file mapping, with nothing else around it: copy the bytes into the mapping and
 * msync(MS_SYNC) the pages they touched. Run on the same filesystem as the machine's backing file.
 *
 *   label-flush-floor FILE SIZE OFFSET LEN COUNT
 *
 * FILE is created (sparse) if absent and sized to SIZE. Prints "floor COUNT SECONDS RATE".
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: %s FILE SIZE OFFSET LEN COUNT\n", argv[0]);
        return 2;
    }
    size_t size = strtoull(argv[2], NULL, 0), offset = strtoull(argv[3], NULL, 0), length = strtoull(argv[4], NULL, 0);
    long count = atol(argv[5]);
    int fd = open(argv[1], O_RDWR | O_CREAT, 0600);
    if (fd < 0 || ftruncate(fd, (off_t)size) != 0) {
        perror(argv[1]);
        return 2;
    }
    unsigned char *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
        perror("mmap");
        return 2;
    }
    unsigned char *data = malloc(length);
    long page = sysconf(_SC_PAGESIZE);
    size_t first = offset & ~(size_t)(page - 1), last = (offset + length + page - 1) & ~(size_t)(page - 1);
    for (int warm = 0; warm < 10; warm++) {
        memcpy(map + offset, data, length);
        msync(map + first, last - first, MS_SYNC);
    }
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long i = 0; i < count; i++) {
        memset(data, (int)i, length); /* new content each time: the page is really dirty */
        memcpy(map + offset, data, length);
        if (msync(map + first, last - first, MS_SYNC) != 0) {
            perror("msync");
            return 2;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double seconds = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
    printf("floor %ld %.6f %.0f\n", count, seconds, count / seconds);
    return 0;
}
