// SPDX-License-Identifier: GPL-2.0
/*
 * Preloaded into httperf by bench-xen: makes it wait instead of spin, and
 * times each of its connections to the nanosecond.
 *
 * httperf asks select() with a zero timeout in a loop, so the CPU it runs on
 * never idles. Under QEMU's -icount, guest time is the instructions executed
 * by all vCPUs together: that spin would be guest time too, would slow the
 * domU's share of it and keep QEMU from skipping idle time. A zero timeout
 * here becomes a short wait (XF_NOSPIN_US, 1000 us): select() still returns
 * the moment a socket is ready, only httperf's own timers (the start of the
 * next connection, its timeouts) may fire up to that much late, which no
 * connection time includes.
 *
 * httperf prints connection times to 0.1 ms, coarser than the effects the
 * bench looks for (a connection takes the lab ~0.4 ms of guest time), and it
 * reads its clock once per turn of its event loop, before select(): once
 * select() waits, a connection's end is stamped with the time the last wait
 * began. With XF_CONNTIME=FILE, each connection is timed here from its
 * connect() to its close(), the span httperf calls the connection's life,
 * and at exit FILE gets
 *   ct n=N min=MS avg=MS max=MS median=MS stddev=MS
 *   hist US:COUNT ... (1 us bins, 20 a line)
 *   slow I:MS ... (the connections over 1.4x the median, numbered from 0
 *                  in the order they closed, at most 20: where in the run
 *                  the slow ones fall)
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_FD 65536
#define MAX_SAMPLES (1 << 20)

static long wait_us = -1;
static uint64_t start_ns[MAX_FD];	/* 0: no connect() pending on the fd */
static uint64_t *samples;
static size_t n_samples;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int select(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, struct timeval *tv)
{
	if (wait_us < 0) {
		const char *s = getenv("XF_NOSPIN_US");
		long v = s ? strtol(s, NULL, 10) : 1000;

		wait_us = v >= 0 && v < 1000000 ? v : 1000;
	}
	if (tv && tv->tv_sec == 0 && tv->tv_usec == 0)
		tv->tv_usec = wait_us;
	return syscall(SYS_select, nfds, rd, wr, ex, tv);
}

int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	if (fd >= 0 && fd < MAX_FD)
		start_ns[fd] = now_ns();
	return syscall(SYS_connect, fd, addr, len);
}

int close(int fd)
{
	if (fd >= 0 && fd < MAX_FD && start_ns[fd]) {
		uint64_t t = now_ns() - start_ns[fd];

		start_ns[fd] = 0;
		if (!samples)
			samples = malloc(MAX_SAMPLES * sizeof(*samples));
		if (samples && n_samples < MAX_SAMPLES)
			samples[n_samples++] = t;
	}
	return syscall(SYS_close, fd);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

__attribute__((destructor)) static void report(void)
{
	const char *path = getenv("XF_CONNTIME");
	double sum = 0, ss = 0, mean, med;
	size_t i, j, n = n_samples, words = 0;
	uint64_t *sorted;
	FILE *f;

	if (!path || !n)
		return;
	sorted = malloc(n * sizeof(*sorted));
	f = fopen(path, "w");
	if (!f || !sorted) {
		if (f)
			fclose(f);
		free(sorted);
		return;
	}
	for (i = 0; i < n; i++)
		sorted[i] = samples[i];
	qsort(sorted, n, sizeof(*sorted), cmp_u64);
	for (i = 0; i < n; i++)
		sum += sorted[i] / 1e6;
	mean = sum / n;
	for (i = 0; i < n; i++)
		ss += (sorted[i] / 1e6 - mean) * (sorted[i] / 1e6 - mean);
	med = n % 2 ? sorted[n / 2] / 1e6 : (sorted[n / 2 - 1] + sorted[n / 2]) / 2e6;
	fprintf(f, "ct n=%zu min=%.4f avg=%.4f max=%.4f median=%.4f stddev=%.4f\n", n,
		sorted[0] / 1e6, mean, sorted[n - 1] / 1e6, med,
		n > 1 ? sqrt(ss / (n - 1)) : 0.0);
	for (i = 0; i < n; i = j) {
		uint64_t us = sorted[i] / 1000;

		for (j = i; j < n && sorted[j] / 1000 == us; j++)
			;
		fprintf(f, "%s%llu:%zu", words % 20 ? " " : words ? "\nhist " : "hist ",
			(unsigned long long)us, j - i);
		words++;
	}
	fprintf(f, "\nslow");
	for (i = 0, words = 0; i < n && words < 20; i++) {
		if (samples[i] * 5 > 7 * sorted[n / 2]) {
			fprintf(f, " %zu:%.4f", i, samples[i] / 1e6);
			words++;
		}
	}
	fprintf(f, "\n");
	fclose(f);
	free(sorted);
}
