// SPDX-License-Identifier: GPL-2.0
/*
 * xfnet: traffic for the netns and benchmark tiers, with outcomes a test can
 * assert on exactly (bytes the far end really received, refused vs reset vs
 * timed out, how long a connect took).
 *
 *   xfnet serve tcp|udp ADDR PORT       TCP: per connection, read to EOF and
 *                                        answer "got N\n"; UDP: echo datagrams
 *   xfnet send tcp ADDR PORT NBYTES     connect, send, half-close, read the
 *                                        answer; prints one result line
 *   xfnet send udp ADDR PORT COUNT SIZE send datagrams, count echoes
 *   xfnet stream ADDR PORT SECONDS      send continuously; reports when and
 *                                        how the connection ended
 *   xfnet crr-serve PORT [ADDR]         accept, write 1 byte, close
 *   xfnet crr ADDR PORT SECONDS         sequential connections per second
 *   xfnet tag-serve PORT FILE           accept, read the client's tag line,
 *                                        write 1 byte, close; appends
 *                                        "tag=TAG" (empty: none) to FILE per
 *                                        accepted connection
 *   xfnet churn ADDR PORT SECONDS PAR TAG  fork a child per connection, at
 *                                        most PAR at once: it connects, sends
 *                                        "TAG\n", reads 1 byte and exits;
 *                                        prints how many got through
 *   xfnet connlat ADDR PORT N           connect N times; median and p99 of
 *                                        the connect() time in microseconds
 *                                        (with -s: source ports SPORT..+N-1);
 *                                        on stderr, when each connect over
 *                                        1.5x the median started
 *   xfnet storm ADDR SECONDS [PPS]      raw UDP/IPv4 to ADDR from random source
 *                                        and destination ports with no socket
 *                                        behind them: every packet a miss
 *                                        (needs CAP_NET_RAW); with PPS, at
 *                                        that rate, held to a schedule so
 *                                        two runs send the same packets
 *                                        unless the CPU cannot keep up
 * Options before the mode: -s SPORT (bind the source port), -w SECONDS
 * (timeout for connect and reads, default 3), -r RATE (connlat: start
 * connect i at i / RATE seconds, not as soon as the last one ended).
 *
 * Result lines are key=value: result=ok|refused|reset|timeout|error.
 * Exit codes: 0 ok, 1 error, 2 usage, 3 refused, 4 reset, 5 timeout.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int sport;
static double wait_s = 3;
static double rate;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: xfnet [-s SPORT] [-w SECONDS] [-r RATE] MODE ...\n"
		"  serve tcp|udp ADDR PORT | send tcp ADDR PORT NBYTES\n"
		"  send udp ADDR PORT COUNT SIZE | stream ADDR PORT SECONDS\n"
		"  crr-serve PORT [ADDR] | crr ADDR PORT SECONDS | connlat ADDR PORT N\n"
		"  storm ADDR SECONDS [PPS]\n");
	exit(2);
}

static socklen_t mkaddr(const char *host, const char *port,
			struct sockaddr_storage *ss)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV |
					      AI_PASSIVE };
	struct addrinfo *ai;
	socklen_t len;
	int rc;

	rc = getaddrinfo(host, port, &hints, &ai);
	if (rc) {
		fprintf(stderr, "xfnet: %s port %s: %s\n", host, port,
			gai_strerror(rc));
		exit(2);
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return len;
}

static void set_port(struct sockaddr_storage *ss, int port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

static void set_timeouts(int fd, double secs)
{
	struct timeval tv = { .tv_sec = (time_t)secs,
			      .tv_usec = (suseconds_t)((secs - (time_t)secs) * 1e6) };

	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static int new_socket_port(const struct sockaddr_storage *peer, int type, int port)
{
	int fd = socket(peer->ss_family, type, 0), one = 1;

	if (fd < 0) {
		perror("xfnet: socket");
		exit(1);
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (port) {
		struct sockaddr_storage b = { .ss_family = peer->ss_family };

		set_port(&b, port);
		if (bind(fd, (struct sockaddr *)&b, peer->ss_family == AF_INET ?
			 sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6))) {
			perror("xfnet: bind source port");
			exit(1);
		}
	}
	set_timeouts(fd, wait_s);
	return fd;
}

static int new_socket(const struct sockaddr_storage *peer, int type)
{
	return new_socket_port(peer, type, sport);
}

/* Maps an errno from connect/read/write to a result word and exit code. */
static int outcome(int err, const char **word)
{
	switch (err) {
	case ECONNREFUSED:
		*word = "refused";
		return 3;
	case ECONNRESET:
	case EPIPE:
		*word = "reset";
		return 4;
	case EAGAIN:
	case ETIMEDOUT:
	case EINPROGRESS:
		*word = "timeout";
		return 5;
	default:
		*word = "error";
		return 1;
	}
}

static int listen_on(const char *addr, const char *port, int type)
{
	struct sockaddr_storage ss;
	socklen_t len = mkaddr(addr, port, &ss);
	int fd = socket(ss.ss_family, type, 0), one = 1;

	if (fd < 0) {
		perror("xfnet: socket");
		exit(1);
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) ||
	    (type == SOCK_STREAM && listen(fd, 128))) {
		perror("xfnet: bind/listen");
		exit(1);
	}
	return fd;
}

static const char *fmt_addr(const struct sockaddr_storage *ss, char *buf,
			    size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";
	int port;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)ss;

		inet_ntop(AF_INET, &s->sin_addr, host, sizeof(host));
		port = ntohs(s->sin_port);
	} else {
		const struct sockaddr_in6 *s = (const void *)ss;

		inet_ntop(AF_INET6, &s->sin6_addr, host, sizeof(host));
		port = ntohs(s->sin6_port);
	}
	snprintf(buf, len, "%s:%d", host, port);
	return buf;
}

static __attribute__((noreturn)) int serve_tcp(int lfd)
{
	signal(SIGCHLD, SIG_IGN);
	for (;;) {
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);
		char buf[65536], who[80];
		long long got = 0;
		ssize_t n;
		int c = accept(lfd, (struct sockaddr *)&from, &flen);

		if (c < 0)
			continue;
		if (fork() != 0) {
			close(c);
			continue;
		}
		close(lfd);
		set_timeouts(c, 30);
		while ((n = read(c, buf, sizeof(buf))) > 0)
			got += n;
		snprintf(buf, sizeof(buf), "got %lld\n", got);
		if (write(c, buf, strlen(buf)) < 0)
			got = -got;
		printf("serve tcp from=%s bytes=%lld end=%s\n",
		       fmt_addr(&from, who, sizeof(who)), got < 0 ? -got : got,
		       n < 0 ? strerror(errno) : "eof");
		fflush(stdout);
		_exit(0);
	}
}

static __attribute__((noreturn)) int serve_udp(int fd)
{
	for (;;) {
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);
		char buf[65536];
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0,
				     (struct sockaddr *)&from, &flen);

		if (n < 0)
			continue;
		sendto(fd, buf, n, 0, (struct sockaddr *)&from, flen);
	}
}

static int send_tcp(const char *addr, const char *port, long long nbytes)
{
	struct sockaddr_storage ss;
	socklen_t len = mkaddr(addr, port, &ss);
	int fd = new_socket(&ss, SOCK_STREAM), rc;
	double t0 = now();
	const char *word = "ok";
	char buf[65536], reply[64] = "";
	long long sent = 0, acked = -1;
	size_t rlen = 0;
	ssize_t n;

	memset(buf, 'x', sizeof(buf));
	if (connect(fd, (struct sockaddr *)&ss, len)) {
		rc = outcome(errno, &word);
		goto out;
	}
	while (sent < nbytes) {
		size_t chunk = nbytes - sent < (long long)sizeof(buf) ?
			       (size_t)(nbytes - sent) : sizeof(buf);

		n = write(fd, buf, chunk);
		if (n < 0) {
			rc = outcome(errno, &word);
			goto out;
		}
		sent += n;
	}
	shutdown(fd, SHUT_WR);
	while (rlen < sizeof(reply) - 1 &&
	       (n = read(fd, reply + rlen, sizeof(reply) - 1 - rlen)) > 0)
		rlen += n;
	if (n < 0 && rlen == 0) {
		rc = outcome(errno, &word);
		goto out;
	}
	reply[rlen] = 0;
	if (sscanf(reply, "got %lld", &acked) != 1) {
		word = "error";
		rc = 1;
		goto out;
	}
	rc = acked == nbytes ? 0 : 1;
	if (rc)
		word = "short";
out:
	printf("result=%s sent=%lld acked=%lld ms=%.1f\n", word, sent, acked,
	       (now() - t0) * 1e3);
	close(fd);
	return rc;
}

static int send_udp(const char *addr, const char *port, long count, long size)
{
	struct sockaddr_storage ss;
	socklen_t len = mkaddr(addr, port, &ss);
	int fd = new_socket(&ss, SOCK_DGRAM);
	long sent = 0, recvd = 0, i;
	char buf[65536];
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (size < 1 || size > (long)sizeof(buf))
		usage();
	memset(buf, 'u', sizeof(buf));
	if (connect(fd, (struct sockaddr *)&ss, len)) {
		perror("xfnet: connect udp");
		return 1;
	}
	for (i = 0; i < count; i++) {
		if (send(fd, buf, size, 0) == size)
			sent++;
		/* drain echoes as they come so the socket buffer never drops */
		while (poll(&p, 1, 0) > 0 && recv(fd, buf, sizeof(buf), 0) > 0)
			recvd++;
		usleep(1000);
	}
	while (recvd < sent && poll(&p, 1, (int)(wait_s * 1000)) > 0) {
		if (recv(fd, buf, sizeof(buf), 0) > 0)
			recvd++;
		else if (errno != EINTR)
			break;
	}
	printf("result=%s sent=%ld recv=%ld\n", recvd == sent ? "ok" : "short",
	       sent, recvd);
	close(fd);
	return recvd == sent ? 0 : 1;
}

static int stream(const char *addr, const char *port, double secs)
{
	struct sockaddr_storage ss;
	socklen_t len = mkaddr(addr, port, &ss);
	int fd = new_socket(&ss, SOCK_STREAM), rc = 0;
	double t0 = now(), t;
	const char *word = "ok";
	char buf[1024];
	long long sent = 0;
	ssize_t n;

	memset(buf, 's', sizeof(buf));
	if (connect(fd, (struct sockaddr *)&ss, len)) {
		rc = outcome(errno, &word);
		printf("result=%s sent=0 ms=%.1f\n", word, (now() - t0) * 1e3);
		return rc;
	}
	printf("connected\n");
	fflush(stdout);
	do {
		n = write(fd, buf, sizeof(buf));
		if (n < 0) {
			rc = outcome(errno, &word);
			break;
		}
		sent += n;
		usleep(2000);
		t = now();
	} while (t - t0 < secs);
	printf("result=%s sent=%lld ms=%.1f\n", word, sent, (now() - t0) * 1e3);
	close(fd);
	return rc;
}

static __attribute__((noreturn)) int crr_serve(const char *port, const char *addr)
{
	int lfd = listen_on(addr, port, SOCK_STREAM);

	for (;;) {
		int c = accept(lfd, NULL, NULL);

		if (c < 0)
			continue;
		if (write(c, "x", 1) < 0) {
			/* the client went away: nothing to do */
		}
		close(c);
	}
}

static int crr(const char *addr, const char *port, double secs)
{
	struct sockaddr_storage ss;
	socklen_t len = mkaddr(addr, port, &ss);
	double t0 = now(), t;
	long n = 0, fail = 0;
	char buf[16];

	do {
		int c = new_socket(&ss, SOCK_STREAM);

		if (connect(c, (struct sockaddr *)&ss, len) == 0) {
			while (read(c, buf, sizeof(buf)) > 0)
				;
			n++;
		} else {
			fail++;
		}
		close(c);
		t = now();
	} while (t - t0 < secs);
	printf("conns=%ld rate=%.1f failed=%ld\n", n, n / (t - t0), fail);
	return 0;
}

/*
 * The server side of churn: every connection whose handshake completed is
 * one line in FILE, with the tag its client sent (if any data got through).
 */
static __attribute__((noreturn)) int tag_serve(const char *port, const char *file)
{
	int lfd = listen_on("0.0.0.0", port, SOCK_STREAM);
	FILE *f = fopen(file, "a");

	if (!f) {
		perror(file);
		exit(1);
	}
	setvbuf(f, NULL, _IOLBF, 0);
	for (;;) {
		char tag[32];
		size_t n = 0;
		int c = accept(lfd, NULL, NULL);

		if (c < 0)
			continue;
		set_timeouts(c, 1);
		while (n < sizeof(tag) - 1) {
			ssize_t r = read(c, tag + n, sizeof(tag) - 1 - n);

			if (r <= 0)
				break;
			n += (size_t)r;
			if (memchr(tag, '\n', n))
				break;
		}
		tag[n] = 0;
		tag[strcspn(tag, "\n")] = 0;
		fprintf(f, "tag=%s\n", tag);
		if (write(c, "x", 1) < 0) {
			/* the client went away: its line is written already */
		}
		close(c);
	}
}

static int churn_child(const struct sockaddr_storage *ss, socklen_t len,
		       const char *tag)
{
	char line[40], b;
	int c = socket(ss->ss_family, SOCK_STREAM, 0);
	int n = snprintf(line, sizeof(line), "%s\n", tag);

	if (c < 0)
		return 1;
	set_timeouts(c, wait_s);
	if (connect(c, (const struct sockaddr *)ss, len))
		/*
		 * No free local port (a narrowed port range whose 4-tuples
		 * are all still in TIME_WAIT) is the client's own limit,
		 * not an outcome of the path: counted apart.
		 */
		return errno == EADDRNOTAVAIL || errno == EADDRINUSE ? 6 : 5;
	if (write(c, line, (size_t)n) != n || read(c, &b, 1) != 1)
		return 4;
	return 0;
}

static int churn(const char *addr, const char *port, double secs, long par,
		 const char *tag)
{
	struct sockaddr_storage ss;
	socklen_t len = mkaddr(addr, port, &ss);
	double t0 = now();
	long forks = 0, ok = 0, failed = 0, noport = 0, running = 0;
	int st;

	if (par < 1 || par > 1000 || strlen(tag) > 30)
		usage();
	for (;;) {
		int more = now() - t0 < secs;
		pid_t p;

		if (!more && !running)
			break;
		if (more && running < par) {
			p = fork();
			if (p == 0)
				_exit(churn_child(&ss, len, tag));
			if (p > 0) {
				forks++;
				running++;
				continue;
			}
		}
		p = waitpid(-1, &st, 0);
		if (p < 0)
			break;
		running--;
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
			ok++;
		else if (WIFEXITED(st) && WEXITSTATUS(st) == 6)
			noport++;
		else
			failed++;
	}
	printf("forks=%ld ok=%ld failed=%ld noport=%ld rate=%.1f\n", forks, ok,
	       failed, noport, forks / (now() - t0));
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int connlat(const char *addr, const char *port, long count)
{
	struct sockaddr_storage ss;
	socklen_t len = mkaddr(addr, port, &ss);
	double *lat, *sorted, *at;
	long i, ok = 0, fail = 0, shown = 0;
	char buf[16];
	double start = now();

	if (count < 1 || count > 1000000)
		usage();
	lat = calloc(count, sizeof(*lat));
	sorted = calloc(count, sizeof(*sorted));
	at = calloc(count, sizeof(*at));
	if (!lat || !sorted || !at)
		return 1;
	for (i = 0; i < count; i++) {
		/* with -s, connection i uses source port SPORT + i */
		int c;
		double t0;

		if (rate > 0) {
			double due = start + (double)i / rate;

			t0 = now();
			if (due > t0)
				usleep((useconds_t)((due - t0) * 1e6));
		}
		c = new_socket_port(&ss, SOCK_STREAM, sport ? sport + i : 0);
		t0 = now();

		if (connect(c, (struct sockaddr *)&ss, len) == 0) {
			at[ok] = (t0 - start) * 1e3;
			lat[ok++] = (now() - t0) * 1e6;
			while (read(c, buf, sizeof(buf)) > 0)
				;
		} else {
			fail++;
		}
		close(c);
	}
	memcpy(sorted, lat, ok * sizeof(*lat));
	qsort(sorted, ok, sizeof(*sorted), cmp_double);
	/* when the slow ones started tells what they met: on stderr, at most 50 */
	fprintf(stderr, "connects began at_mono_ms=%.1f\n", start * 1e3);
	for (i = 0; i < ok && shown < 50; i++)
		if (lat[i] > 1.5 * sorted[ok / 2]) {
			fprintf(stderr, "slow connect %ld at_ms=%.1f us=%.0f\n", i, at[i], lat[i]);
			shown++;
		}
	printf("connects=%ld failed=%ld median_us=%.1f p99_us=%.1f min_us=%.1f max_us=%.1f\n",
	       ok, fail, ok ? sorted[ok / 2] : 0,
	       ok ? sorted[(ok * 99) / 100 < ok ? (ok * 99) / 100 : ok - 1] : 0,
	       ok ? sorted[0] : 0, ok ? sorted[ok - 1] : 0);
	free(lat);
	free(sorted);
	free(at);
	return fail ? 1 : 0;
}

static volatile sig_atomic_t storm_stop;

static void on_storm_stop(int sig)
{
	(void)sig;
	storm_stop = 1;
}

/* Stops at SIGTERM too, printing what it sent. */
static int storm(const char *addr, double secs, double pps)
{
	struct sockaddr_in dst = { .sin_family = AF_INET };
	unsigned char pkt[8 + 32];
	double t0 = now(), late = 0;
	long sent = 0, failed = 0;
	unsigned int seed = (unsigned int)getpid();
	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_UDP);

	if (fd < 0) {
		perror("xfnet: raw socket");
		return 1;
	}
	if (inet_pton(AF_INET, addr, &dst.sin_addr) != 1)
		usage();
	memset(pkt, 'S', sizeof(pkt));
	signal(SIGTERM, on_storm_stop);
	while (!storm_stop && now() - t0 < secs) {
		uint16_t sp = (uint16_t)(1024 + rand_r(&seed) % 60000);
		uint16_t dp = (uint16_t)(1024 + rand_r(&seed) % 60000);
		uint16_t len = htons(sizeof(pkt));

		sp = htons(sp);
		dp = htons(dp);
		memcpy(pkt, &sp, 2);
		memcpy(pkt + 2, &dp, 2);
		memcpy(pkt + 4, &len, 2);
		memset(pkt + 6, 0, 2);	/* no checksum: allowed over IPv4 */
		if (sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&dst,
			   sizeof(dst)) == sizeof(pkt))
			sent++;
		else
			failed++;
		if (pps > 0 && (sent + failed) % 16 == 0) {
			/* the schedule: packet i leaves at t0 + i / pps */
			double due = t0 + (double)(sent + failed) / pps, t = now();

			if (due > t)
				usleep((useconds_t)((due - t) * 1e6));
			else if (t - due > late)
				late = t - due;
		} else if (pps <= 0 && sent % 64 == 0) {
			usleep(1000);
		}
	}
	printf("storm sent=%ld failed=%ld secs=%.1f pps=%.0f max_late_ms=%.1f\n", sent,
	       failed, now() - t0, (double)sent / (now() - t0), late * 1e3);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	int o;

	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((o = getopt(argc, argv, "+s:w:r:")) != -1) {
		switch (o) {
		case 's':
			sport = atoi(optarg);
			break;
		case 'w':
			wait_s = atof(optarg);
			break;
		case 'r':
			rate = atof(optarg);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	if (!strcmp(argv[0], "serve") && argc == 4) {
		int udp = !strcmp(argv[1], "udp");

		if (!udp && strcmp(argv[1], "tcp"))
			usage();
		o = listen_on(argv[2], argv[3], udp ? SOCK_DGRAM : SOCK_STREAM);
		printf("listening\n");
		return udp ? serve_udp(o) : serve_tcp(o);
	}
	if (!strcmp(argv[0], "send") && argc == 5 && !strcmp(argv[1], "tcp"))
		return send_tcp(argv[2], argv[3], atoll(argv[4]));
	if (!strcmp(argv[0], "send") && argc == 6 && !strcmp(argv[1], "udp"))
		return send_udp(argv[2], argv[3], atol(argv[4]), atol(argv[5]));
	if (!strcmp(argv[0], "stream") && argc == 4)
		return stream(argv[1], argv[2], atof(argv[3]));
	if (!strcmp(argv[0], "crr-serve") && (argc == 2 || argc == 3))
		return crr_serve(argv[1], argc == 3 ? argv[2] : "0.0.0.0");
	if (!strcmp(argv[0], "crr") && argc == 4)
		return crr(argv[1], argv[2], atof(argv[3]));
	if (!strcmp(argv[0], "storm") && (argc == 3 || argc == 4))
		return storm(argv[1], atof(argv[2]), argc == 4 ? atof(argv[3]) : 0);
	if (!strcmp(argv[0], "tag-serve") && argc == 3)
		return tag_serve(argv[1], argv[2]);
	if (!strcmp(argv[0], "churn") && argc == 6)
		return churn(argv[1], argv[2], atof(argv[3]), atol(argv[4]), argv[5]);
	if (!strcmp(argv[0], "connlat") && argc == 4)
		return connlat(argv[1], argv[2], atol(argv[3]));
	usage();
	return 2;
}
