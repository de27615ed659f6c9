// What a new process pays for its first touch of shared memory another process already uses,
// as a new backend does with the shared buffers; separates the guest kernel's page faults from
// what remains once the page table entry exists. A diagnosis, not part of make bench, whose
// report prints the first two figures (bench.py, shared_page_touch_us):
//
//     cc -O2 -o /tmp/shared_page_touch bench/shared_page_touch.c && /tmp/shared_page_touch
//
// 256 MB of MAP_SHARED | MAP_ANONYMOUS memory (how PostgreSQL maps its main segment), written
// whole by the parent; then, in a new child each, one pass over every 4 kB page:
//   - a read: the kernel maps up to 16 present pages per read fault (fault-around);
//   - a write: one page per fault;
//   - madvise(MADV_POPULATE_READ / _WRITE) first, then the pass: no page fault at all.
// Each child then makes a second pass, the cost once mapped.
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_POPULATE_READ // Linux 5.14
#define MADV_POPULATE_READ 22
#define MADV_POPULATE_WRITE 23
#endif

enum { PAGE = 4096 };
static const size_t SIZE = (size_t)256 << 20;

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static long minor_faults(void) {
    struct rusage r;
    getrusage(RUSAGE_SELF, &r);
    return r.ru_minflt;
}

static double pass(volatile char *mem, int write) {
    double start = seconds();
    for (size_t off = 0; off < SIZE; off += PAGE) {
        if (write)
            mem[off] = 2;
        else
            (void)mem[off];
    }
    return seconds() - start;
}

static void in_new_process(char *mem, const char *label, int write, int populate_advice) {
    pid_t pid = fork();
    if (pid != 0) {
        waitpid(pid, NULL, 0);
        return;
    }
    const double pages = (double)(SIZE / PAGE);
    double populate = 0;
    if (populate_advice) {
        double start = seconds();
        if (madvise(mem, SIZE, populate_advice) != 0)
            perror("madvise");
        populate = seconds() - start;
    }
    long faults = minor_faults();
    double first = pass(mem, write);
    faults = minor_faults() - faults;
    double again = pass(mem, write);
    printf("%-24s populate %5.1f ms; first pass %5.2f us/page, %6ld faults; again %4.2f us/page\n",
           label, populate * 1e3, first * 1e6 / pages, faults, again * 1e6 / pages);
    fflush(stdout);
    _exit(0);
}

int main(void) {
    char *mem = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    memset(mem, 1, SIZE); // the "postmaster" allocates every page
    printf("%zu pages of 4 kB, each pass in a new child process\n", SIZE / PAGE);
    fflush(stdout); // or each child would print it again
    in_new_process(mem, "read", 0, 0);
    in_new_process(mem, "write", 1, 0);
    in_new_process(mem, "populate, then read", 0, MADV_POPULATE_READ);
    in_new_process(mem, "populate, then write", 1, MADV_POPULATE_WRITE);
    return 0;
}
