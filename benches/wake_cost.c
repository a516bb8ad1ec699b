/*
 * What a hand-off between two processes costs on this machine: a byte sent
 * back and forth over a socket pair (a round trip is two hand-offs), N
 * round trips, in three ways:
 *   - across two CPUs (the two processes pinned to CPUs 0 and 1), both
 *     blocking in read(2): each side's CPU goes idle between the bytes, and
 *     on a virtual machine whose idle CPUs halt into the host (this one's
 *     `cpuidle_haltpoll.force=1 haltpoll.guest_halt_poll_ns=0`) a wake-up
 *     waits for the host;
 *   - across two CPUs, the answering side spinning (non-blocking reads), so
 *     its CPU never idles;
 *   - both processes pinned to CPU 0, blocking (no cross-CPU wake at all).
 * A quick step hands off several times (the step's exit to its monitor, the
 * monitor to stepwise, the disk's completion to stepwise, stepwise to the
 * monitor, the spawn's vfork) where a shell loop hands off about once: see
 * docs/PERFORMANCE.md, "Where a quick step's time goes (issue 19 #5,
 * eighteenth pass)".
 *
 * Build and run (not part of the test suite; needs a C compiler and two
 * CPUs for the first two rows):
 *   gcc -O2 -o /tmp/wake_cost benches/wake_cost.c && /tmp/wake_cost 5000
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* Reads one byte; false when the other side went. */
static int get_byte(int fd, int spin) {
    char c;
    for (;;) {
        ssize_t n = spin ? recv(fd, &c, 1, MSG_DONTWAIT) : read(fd, &c, 1);
        if (n == 1)
            return 1;
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            return 0;
    }
}

static int pin(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set) == 0;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One row: the median, p90 and worst round trip, in microseconds. The
 * parent is pinned to CPU 0, the answering child to `child_cpu`. */
static void measure(const char *what, long rounds, int spin, int child_cpu) {
    cpu_set_t before;
    if (sched_getaffinity(0, sizeof before, &before) != 0 || !pin(0)) {
        printf("%-46s (cannot pin to CPU 0)\n", what);
        return;
    }
    int sv[2];
    double *rtt = malloc(sizeof(double) * rounds);
    if (rtt == NULL || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
        perror("wake_cost");
        exit(1);
    }
    fflush(stdout);
    pid_t child = fork();
    if (child < 0) {
        perror("fork");
        exit(1);
    }
    if (child == 0) {
        close(sv[0]);
        if (!pin(child_cpu))
            _exit(2);
        for (long i = 0; i < rounds; i++)
            if (!get_byte(sv[1], spin) || write(sv[1], "x", 1) != 1)
                _exit(1);
        _exit(0);
    }
    close(sv[1]);
    long done = 0;
    for (; done < rounds; done++) {
        double t = now();
        if (write(sv[0], "x", 1) != 1 || !get_byte(sv[0], 0))
            break;
        rtt[done] = (now() - t) * 1e6;
    }
    close(sv[0]);
    int status = 0;
    waitpid(child, &status, 0);
    sched_setaffinity(0, sizeof before, &before);
    if (done < rounds) {
        printf("%-46s (the other side stopped: %s)\n", what,
               WIFEXITED(status) && WEXITSTATUS(status) == 2 ? "cannot pin it" : "failed");
        free(rtt);
        return;
    }
    qsort(rtt, rounds, sizeof(double), by_value);
    printf("%-46s median %6.1f us  p90 %6.1f us  worst %8.1f us\n", what, rtt[rounds / 2],
           rtt[rounds / 10 * 9], rtt[rounds - 1]);
    free(rtt);
}

int main(int argc, char **argv) {
    long rounds = argc > 1 ? atol(argv[1]) : 5000;
    if (rounds < 10)
        rounds = 10;
    printf("%ld round trips of one byte over a socket pair (two hand-offs each)\n", rounds);
    measure("two CPUs, both sides block", rounds, 0, 1);
    measure("two CPUs, the answering side spins", rounds, 1, 1);
    measure("one CPU, both sides block", rounds, 0, 0);
    return 0;
}
