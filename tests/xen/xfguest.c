// SPDX-License-Identifier: GPL-2.0
/*
 * xfguest: the long-lived programs of the Xen lab's scenario, run inside a
 * domU (static, busybox guest). Unlike one process per connection, each keeps
 * one pid for its whole life, as a real scanner or mail server does, and
 * holds each connection open a moment, so that dom0 sees who owns it.
 *
 *   xfguest scan [-w SEC] [-k MS] [-c N] ADDR:PORT...   one target after the
 *        other: connect, send 64 bytes, hold MS, close
 *   xfguest mail [-w SEC] [-k MS] [-i MS] [-c N] ADDR:PORT BYTES   connect,
 *        send BYTES, hold MS, half-close, read the "got N" answer, wait MS
 * Both go on forever, or N rounds with -c (then the exit code is 0 when the
 * last attempt was ok, 1 otherwise).
 *
 * One line per attempt on stdout: "<guest uptime> <ADDR:PORT> result=ok|
 * refused|reset|timeout|short|error ms=<connect to end>". The comm is the
 * name the program was started under (the lab links it as portscan and
 * mailsend).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double wait_s = 2, hold_ms = 300, interval_ms = 1000;
static int last_ok;

static double uptime(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int parse_target(const char *s, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(s, ':');

	if (!colon || colon - s >= (long)sizeof(host))
		return -1;
	memcpy(host, s, colon - s);
	host[colon - s] = '\0';
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons(atoi(colon + 1));
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

static const char *word(int err)
{
	switch (err) {
	case 0: return "ok";
	case ECONNREFUSED: return "refused";
	case ECONNRESET: case EPIPE: return "reset";
	case ETIMEDOUT: case EAGAIN: return "timeout";
	default: return "error";
	}
}

/* connect with a deadline; 0 or an errno */
static int connect_to(int fd, const struct sockaddr_in *sa)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int err = 0, fl = fcntl(fd, F_GETFL);
	socklen_t len = sizeof(err);

	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) && errno != EINPROGRESS)
		return errno;
	if (poll(&p, 1, (int)(wait_s * 1000)) <= 0)
		return ETIMEDOUT;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
		return errno;
	fcntl(fd, F_SETFL, fl);
	return err;
}

static void set_timeouts(int fd)
{
	struct timeval tv = { .tv_sec = (long)wait_s,
			      .tv_usec = (long)((wait_s - (long)wait_s) * 1e6) };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* one attempt: connect, send n bytes, hold, optionally read the answer */
static void attempt(const char *target, const struct sockaddr_in *sa, long n, int answer)
{
	double t0 = uptime();
	int fd = socket(AF_INET, SOCK_STREAM, 0), err;
	char buf[4096], reply[64] = "";
	long sent = 0, acked = -1;
	const char *w;

	if (fd < 0) {
		printf("%.2f %s result=error ms=0\n", t0, target);
		return;
	}
	err = connect_to(fd, sa);
	if (!err) {
		set_timeouts(fd);
		memset(buf, 'm', sizeof(buf));
		while (!err && sent < n) {
			ssize_t k = write(fd, buf, n - sent < (long)sizeof(buf) ?
					  (size_t)(n - sent) : sizeof(buf));
			if (k < 0)
				err = errno;
			else
				sent += k;
		}
		if (!err)
			usleep((useconds_t)(hold_ms * 1000));
		if (!err && answer) {
			ssize_t k;
			size_t got = 0;

			shutdown(fd, SHUT_WR);
			while (got < sizeof(reply) - 1 &&
			       (k = read(fd, reply + got, sizeof(reply) - 1 - got)) > 0)
				got += k;
			reply[got] = '\0';
			if (sscanf(reply, "got %ld", &acked) != 1)
				err = got ? EPROTO : (errno ? errno : ECONNRESET);
		}
	}
	w = word(err);
	if (!err && answer && acked != n)
		w = "short";
	if (err == EPROTO)
		w = "error";
	last_ok = !strcmp(w, "ok");
	printf("%.2f %s result=%s sent=%ld acked=%ld ms=%.1f\n", t0, target, w,
	       sent, acked, (uptime() - t0) * 1e3);
	fflush(stdout);
	close(fd);
}

static int usage(void)
{
	fprintf(stderr, "usage: xfguest scan [-w SEC] [-k MS] ADDR:PORT...\n"
		"       xfguest mail [-w SEC] [-k MS] [-i MS] ADDR:PORT BYTES\n");
	return 2;
}

int main(int argc, char **argv)
{
	int c, mail;
	long rounds = 0;

	if (argc < 2)
		return usage();
	mail = !strcmp(argv[1], "mail");
	if (!mail && strcmp(argv[1], "scan"))
		return usage();
	argv++;
	argc--;
	while ((c = getopt(argc, argv, "w:k:i:c:")) != -1) {
		switch (c) {
		case 'w': wait_s = atof(optarg); break;
		case 'k': hold_ms = atof(optarg); break;
		case 'i': interval_ms = atof(optarg); break;
		case 'c': rounds = atol(optarg); break;
		default: return usage();
		}
	}
	if (optind >= argc || (mail && argc - optind != 2))
		return usage();
	for (int i = optind; i < argc - mail; i++) {
		struct sockaddr_in sa;

		if (parse_target(argv[i], &sa))
			return usage();
	}
	for (long r = 0; !rounds || r < rounds; r++) {
		for (int i = optind; i < argc - mail; i++) {
			struct sockaddr_in sa;

			parse_target(argv[i], &sa);
			if (mail) {
				attempt(argv[i], &sa, atol(argv[argc - 1]), 1);
				if (!rounds || r + 1 < rounds)
					usleep((useconds_t)(interval_ms * 1000));
			} else {
				attempt(argv[i], &sa, 64, 0);
			}
		}
	}
	return last_ok ? 0 : 1;
}
