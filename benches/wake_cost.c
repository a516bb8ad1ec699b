/*
 * What a hand-off between two processes costs on this machine: a byte sent
 * back and forth over a socket pair, N round trips, in three ways:
 *   - both sides block in read(2): each side's CPU may go idle, and on a
 *     virtual machine whose idle CPUs halt into the host (this one's
 *     `cpuidle-haltpoll` with `haltpoll.guest_halt_poll_ns=0`) waking it is
 *     the host's scheduling;
 *   - the answering side spins (non-blocking reads), so its CPU never idles;
 *   - both sides pinned to one CPU (no cross-CPU wake at all).
 * A quick step hands off several times (the step's exit to its monitor, the
 * monitor to stepwise, the disk's completion to stepwise, stepwise to the
 * monitor) where a shell loop hands off about once: see docs/PERFORMANCE.md,
 * "Where a quick step's time goes (eighteenth pass)".
 *
 * Build and run (not part of the test suite; needs a C compiler):
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

static void get_byte(int fd, int spin) {
    char c;
    for (;;) {
        ssize_t n = spin ? recv(fd, &c, 1, MSG_DONTWAIT) : read(fd, &c, 1);
        if (n == 1)
            return;
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            exit(1);
    }
}

static void pin(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0)
        perror("sched_setaffinity");
}

/* Median and worst round trip, in microseconds. */
static void measure(const char *what, int rounds, int spin, int one_cpu) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
        perror("socketpair");
        exit(1);
    }
    pid_t child = fork();
    if (child == 0) {
        if (one_cpu)
            pin(0);
        for (int i = 0; i < rounds; i++) {
            get_byte(sv[1], spin);
            if (write(sv[1], "x", 1) != 1)
                _exit(1);
        }
        _exit(0);
    }
    if (one_cpu)
        pin(0);
    double *rtt = malloc(sizeof(double) * rounds);
    for (int i = 0; i < rounds; i++) {
        double t = now();
        if (write(sv[0], "x", 1) != 1)
            exit(1);
        get_byte(sv[0], 0);
        rtt[i] = (now() - t) * 1e6;
    }
    waitpid(child, NULL, 0);
    close(sv[0]);
    close(sv[1]);
    /* insertion sort is enough for a few thousand values */
    for (int i = 1; i < rounds; i++) {
        double v = rtt[i];
        int j = i - 1;
        while (j >= 0 && rtt[j] > v) {
            rtt[j + 1] = rtt[j];
            j--;
        }
        rtt[j + 1] = v;
    }
    printf("%-44s median %6.1f us  p90 %6.1f us  worst %8.1f us\n", what, rtt[rounds / 2],
           rtt[rounds * 9 / 10], rtt[rounds - 1]);
    free(rtt);
    if (one_cpu) {
        cpu_set_t all;
        CPU_ZERO(&all);
        for (int c = 0; c < CPU_SETSIZE; c++)
            CPU_SET(c, &all);
        sched_setaffinity(0, sizeof all, &all);
    }
}

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 5000;
    if (rounds < 10)
        rounds = 10;
    printf("%d round trips of one byte over a socket pair\n", rounds);
    measure("both sides block (CPUs may idle)", rounds, 0, 0);
    measure("the answering side spins", rounds, 1, 0);
    measure("both sides on one CPU, blocking", rounds, 0, 1);
    return 0;
}
