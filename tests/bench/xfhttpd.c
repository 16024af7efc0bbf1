// SPDX-License-Identifier: GPL-2.0
/*
 * The web server of bench-xen, run in the tenant domU: one process that
 * answers every HTTP request with a fixed 1 KiB page and closes, so that a
 * connection costs the guest its TCP handshake and one reply and nothing else
 * (a fork per connection would dominate the time under nested emulation).
 *
 *   xfhttpd PORT [ADDR]
 *
 * Built static by tests/bench/xen.sh. Exit: 1 on a socket error at start,
 * 2 on usage errors; otherwise it serves until killed.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define BODY_LEN	1024
#define REQ_MAX		8192

static char reply[256 + BODY_LEN];
static size_t reply_len;

static void build_reply(void)
{
	int n = snprintf(reply, sizeof(reply),
			 "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
			 "Content-Length: %d\r\nConnection: close\r\n\r\n", BODY_LEN);

	memset(reply + n, 'x', BODY_LEN);
	reply_len = (size_t)n + BODY_LEN;
}

/* Reads the request head (bounded in size and time), then answers. */
static void serve(int fd)
{
	struct timeval tv = { .tv_sec = 2 };
	char req[REQ_MAX + 1];
	size_t got = 0, off = 0;
	ssize_t n;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (got < REQ_MAX) {
		n = read(fd, req + got, REQ_MAX - got);
		if (n <= 0)
			return;
		got += (size_t)n;
		req[got] = 0;
		if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n"))
			break;
	}
	while (off < reply_len) {
		n = write(fd, reply + off, reply_len - off);
		if (n <= 0)
			return;
		off += (size_t)n;
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int lfd, fd, one = 1;
	char *end;
	long port;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: xfhttpd PORT [ADDR]\n");
		return 2;
	}
	port = strtol(argv[1], &end, 10);
	if (*end || port < 1 || port > 65535 ||
	    inet_pton(AF_INET, argc == 3 ? argv[2] : "0.0.0.0", &sa.sin_addr) != 1) {
		fprintf(stderr, "xfhttpd: bad port or address\n");
		return 2;
	}
	sa.sin_port = htons((unsigned short)port);
	build_reply();
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 1024)) {
		perror("xfhttpd");
		return 1;
	}
	printf("xfhttpd: serving %s:%ld\n", argc == 3 ? argv[2] : "0.0.0.0", port);
	fflush(stdout);
	for (;;) {
		fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			continue;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		serve(fd);
		close(fd);
	}
}
