// SPDX-License-Identifier: GPL-2.0
/*
 * The known workload of the introspection tier's guest: opens TCP and UDP
 * sockets over IPv4 and IPv6 as a given uid/gid under a given comm, can
 * fork (sharing its sockets with the child), start threads, grow its fd
 * table, and then holds everything open, accepting connections.
 *
 * usage: xfwork [-u UID] [-g GID] [-n COMM] [-f] [-t THREADS] [-m FDS] SPEC...
 *        xfwork spin
 *        xfwork churn PORT          (fork + connect + exit about 100 times a
 *                                    second, against its own listener)
 *        xfwork bench NPROC NSOCK   (NPROC processes with NSOCK sockets each,
 *                                    for the benchmark; prints BENCH-READY)
 *   tl4:P tl6:P  TCP listen on 0.0.0.0 / [::]
 *   tc4:P tc6:P  TCP connect to 127.0.0.1 / [::1]
 *   u4:P  u6:P   UDP bind 127.0.0.1 / [::1]
 *   ua6:P        UDP bind [::] (dual stack)
 *   uc4:P uc6:P  UDP connect to 127.0.0.1 / [::1]
 *   hi:SPEC      like SPEC, then moved to a high fd (after -m)
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_LISTEN 32

static int listeners[MAX_LISTEN], nr_listeners;

static int open_spec(const char *spec)
{
	char kind[8] = "";
	int port = 0, v6, udp, fd, one = 1;
	struct sockaddr_in a4 = { .sin_family = AF_INET };
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
	struct sockaddr *sa;
	socklen_t len;

	if (sscanf(spec, "%7[a-z0-9]:%d", kind, &port) != 2) {
		fprintf(stderr, "xfwork: bad spec %s\n", spec);
		exit(2);
	}
	v6 = strchr(kind, '6') != NULL;
	udp = kind[0] == 'u';
	fd = socket(v6 ? AF_INET6 : AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
	if (fd < 0) {
		perror("socket");
		exit(1);
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a4.sin_port = a6.sin6_port = htons(port);
	sa = v6 ? (struct sockaddr *)&a6 : (struct sockaddr *)&a4;
	len = v6 ? sizeof(a6) : sizeof(a4);
	if (!strcmp(kind, "tl4") || !strcmp(kind, "tl6") || !strcmp(kind, "ua6")) {
		a4.sin_addr.s_addr = htonl(INADDR_ANY);
		a6.sin6_addr = in6addr_any;
	} else {
		a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a6.sin6_addr = in6addr_loopback;
	}
	if (kind[1] == 'l' || kind[1] == '4' || kind[1] == '6' || kind[1] == 'a') {
		if (bind(fd, sa, len)) {
			perror(spec);
			exit(1);
		}
		if (kind[1] == 'l') {
			listen(fd, 64);
			if (nr_listeners < MAX_LISTEN)
				listeners[nr_listeners++] = fd;
		}
	} else if (connect(fd, sa, len)) {
		perror(spec);
		exit(1);
	}
	return fd;
}

static void *thread_main(void *arg)
{
	/* a thread's socket lives in the shared fd table of its process */
	if (arg)
		open_spec(arg);
	for (;;)
		pause();
	return NULL;
}

static void hold(void)
{
	struct pollfd pf[MAX_LISTEN];
	int i;

	for (;;) {
		for (i = 0; i < nr_listeners; i++) {
			pf[i].fd = listeners[i];
			pf[i].events = POLLIN;
		}
		if (!nr_listeners) {
			pause();
			continue;
		}
		if (poll(pf, nr_listeners, -1) <= 0)
			continue;
		for (i = 0; i < nr_listeners; i++)
			if (pf[i].revents & POLLIN)
				accept(pf[i].fd, NULL, NULL);
	}
}

/* Tasks and sockets that come and go while the guest is walked live. */
static int churn(int port)
{
	char spec[32];
	int lfd;

	prctl(PR_SET_NAME, "churn", 0, 0, 0);
	snprintf(spec, sizeof(spec), "tl4:%d", port);
	lfd = open_spec(spec);
	fcntl(lfd, F_SETFL, O_NONBLOCK);
	snprintf(spec, sizeof(spec), "tc4:%d", port);
	for (;;) {
		int fd;

		if (fork() == 0) {
			prctl(PR_SET_NAME, "churn_child", 0, 0, 0);
			if (setgid(1004) || setuid(1004))
				_exit(1);
			open_spec(spec);
			open_spec("u4:0");
			usleep(20000);
			_exit(0);
		}
		usleep(5000);
		while ((fd = accept(lfd, NULL, NULL)) >= 0)
			close(fd);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
	return 0;
}

/* Many processes with many sockets: the benchmark's guest. */
static int bench(int nproc, int nsock)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int lfd = open_spec("tl4:7000"), p[2], i, j, ready = 0;
	char c;

	(void)alen;
	if (pipe(p))
		return 1;
	for (i = 0; i < nproc; i++) {
		if (fork() == 0) {
			char name[16];

			/* nothing of the parent's: its listener and accepted sockets */
			for (j = 3; j < 4096; j++)
				if (j != p[1])
					close(j);
			snprintf(name, sizeof(name), "bench%d", i);
			prctl(PR_SET_NAME, name, 0, 0, 0);
			if (setgid(2000 + i % 50) || setuid(2000 + i % 50))
				_exit(1);
			open_spec("tc4:7000");
			open_spec("tl4:0");
			for (j = 2; j < nsock; j++) {
				int fd = socket(j % 3 ? AF_INET : AF_INET6, SOCK_DGRAM, 0);

				a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
				a.sin_port = 0;
				if (j % 3)
					bind(fd, (struct sockaddr *)&a, sizeof(a));
			}
			if (write(p[1], "x", 1) != 1)
				_exit(1);
			for (;;)
				pause();
		}
		/* keep the accept queue short: take what has arrived */
		while (ready < i) {
			struct pollfd pf = { .fd = lfd, .events = POLLIN };

			if (poll(&pf, 1, 0) <= 0)
				break;
			accept(lfd, NULL, NULL);
			ready++;
		}
	}
	close(p[1]);
	for (i = 0; i < nproc && read(p[0], &c, 1) == 1; i++)
		;
	while (ready < nproc) {
		struct pollfd pf = { .fd = lfd, .events = POLLIN };

		if (poll(&pf, 1, 2000) <= 0)
			break;
		accept(lfd, NULL, NULL);
		ready++;
	}
	printf("BENCH-READY %d processes, %d accepted\n", i, ready);
	fflush(stdout);
	for (;;)
		pause();
	return 0;
}

int main(int argc, char **argv)
{
	int uid = -1, gid = -1, threads = 0, extra = 0, do_fork = 0, c, i;
	const char *comm = NULL, *tspec = NULL;

	if (argc == 2 && !strcmp(argv[1], "spin")) {
		volatile unsigned long n = 0;

		prctl(PR_SET_NAME, "xfspin", 0, 0, 0);
		for (;;)
			n++;
	}
	if (argc == 3 && !strcmp(argv[1], "churn"))
		return churn(atoi(argv[2]));
	if (argc == 4 && !strcmp(argv[1], "bench"))
		return bench(atoi(argv[2]), atoi(argv[3]));
	while ((c = getopt(argc, argv, "u:g:n:ft:T:m:")) != -1) {
		switch (c) {
		case 'u': uid = atoi(optarg); break;
		case 'g': gid = atoi(optarg); break;
		case 'n': comm = optarg; break;
		case 'f': do_fork = 1; break;
		case 't': threads = atoi(optarg); break;
		case 'T': tspec = optarg; break;
		case 'm': extra = atoi(optarg); break;
		default: return 2;
		}
	}
	if (comm)
		prctl(PR_SET_NAME, comm, 0, 0, 0);
	if (gid >= 0 && setgid(gid)) {
		perror("setgid");
		return 1;
	}
	if (uid >= 0 && setuid(uid)) {
		perror("setuid");
		return 1;
	}
	for (i = 0; i < extra; i++)
		if (open("/dev/null", O_RDONLY) < 0)
			break;
	for (i = optind; i < argc; i++) {
		if (!strncmp(argv[i], "hi:", 3)) {
			int fd = open_spec(argv[i] + 3);

			dup2(fd, 900 + i);
			close(fd);
		} else {
			open_spec(argv[i]);
		}
	}
	for (i = 0; i < threads; i++) {
		pthread_t t;

		pthread_create(&t, NULL, thread_main, i == 0 ? (void *)tspec : NULL);
	}
	if (do_fork && fork() == 0) {
		/* the child shares every socket above with its parent */
		char name[16];

		snprintf(name, sizeof(name), "%.9s-child", comm ? comm : "xfwork");
		prctl(PR_SET_NAME, name, 0, 0, 0);
		for (;;)
			pause();
	}
	hold();
	return 0;
}
