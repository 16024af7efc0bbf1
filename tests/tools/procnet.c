// SPDX-License-Identifier: GPL-2.0
/* procnet: sockets of one network namespace and their owners, from /proc. */
#include "procnet.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TCP_LISTEN_STATE 10

int pn_netns_ino(const char *name, uint64_t *ino)
{
	char path[256];
	struct stat st;

	if (strchr(name, '/'))
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", name);
	if (stat(path, &st))
		return -errno;
	*ino = st.st_ino;
	return 0;
}

static int pid_netns(pid_t pid, uint64_t *ino)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	if (stat(path, &st))
		return -errno;
	*ino = st.st_ino;
	return 0;
}

/* /proc/net prints each 32-bit word of an address as a host-order %08X. */
static int parse_addr(const char *hex, uint8_t *out, int words)
{
	int i;

	if ((int)strlen(hex) != words * 8)
		return -1;
	for (i = 0; i < words; i++) {
		char w[9];
		uint32_t v;

		memcpy(w, hex + i * 8, 8);
		w[8] = 0;
		v = (uint32_t)strtoul(w, NULL, 16);
		memcpy(out + i * 4, &v, 4);
	}
	return 0;
}

static int add_sock(struct pn_table *t, const struct pn_sock *s)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct pn_sock *p = realloc(t->s, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		t->s = p;
		t->cap = cap;
	}
	t->s[t->n++] = *s;
	return 0;
}

static int read_table(pid_t pid, const char *file, int family, int proto,
		      struct pn_table *t)
{
	char path[64], line[512];
	FILE *f;
	int words = family == AF_INET ? 1 : 4, rc = 0;

	snprintf(path, sizeof(path), "/proc/%d/net/%s", pid, file);
	f = fopen(path, "r");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	if (!fgets(line, sizeof(line), f)) {	/* header */
		fclose(f);
		return 0;
	}
	while (fgets(line, sizeof(line), f)) {
		char la[40], ra[40];
		unsigned int lp, rp, st, uid;
		unsigned long long ino;
		struct pn_sock s = { .family = family, .proto = proto };

		if (sscanf(line, " %*d: %39[0-9A-Fa-f]:%x %39[0-9A-Fa-f]:%x %x %*s %*s %*s %u %*d %llu",
			   la, &lp, ra, &rp, &st, &uid, &ino) != 7)
			continue;
		if (parse_addr(la, s.laddr, words) || parse_addr(ra, s.raddr, words))
			continue;
		s.lport = lp;
		s.rport = rp;
		s.state = st;
		s.sock_uid = uid;
		s.inode = ino;
		rc = add_sock(t, &s);
		if (rc)
			break;
	}
	fclose(f);
	return rc;
}

static void read_owner(pid_t pid, struct pn_sock *s)
{
	char path[64], line[512];
	unsigned long long start = 0;
	FILE *f;
	long hz = sysconf(_SC_CLK_TCK);

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Uid:", 4))
			s->uid = (uint32_t)strtoul(line + 4, NULL, 10);
		else if (!strncmp(line, "Gid:", 4))
			s->gid = (uint32_t)strtoul(line + 4, NULL, 10);
	}
	fclose(f);
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "r");
	if (f) {
		if (fgets(s->comm, sizeof(s->comm), f))
			s->comm[strcspn(s->comm, "\n")] = 0;
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (f) {
		/* comm may hold spaces and parens: fields restart after the last ')' */
		if (fgets(line, sizeof(line), f)) {
			char *p = strrchr(line, ')');

			if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
					&start) == 1 && hz > 0)
				s->start_ns = start * (1000000000ULL / (unsigned long long)hz);
		}
		fclose(f);
	}
	s->pid = pid;
	s->has_owner = 1;
}

/* Gives each socket its owner: the lowest pid of the namespace holding it. */
static void find_owners(const pid_t *pids, size_t npids, struct pn_table *t)
{
	size_t i, j;

	for (i = 0; i < npids; i++) {
		char dpath[64];
		DIR *d;
		struct dirent *e;

		snprintf(dpath, sizeof(dpath), "/proc/%d/fd", pids[i]);
		d = opendir(dpath);
		if (!d)
			continue;
		while ((e = readdir(d))) {
			char lpath[384], target[64];
			unsigned long long ino;
			ssize_t n;

			snprintf(lpath, sizeof(lpath), "%s/%s", dpath, e->d_name);
			n = readlink(lpath, target, sizeof(target) - 1);
			if (n <= 0)
				continue;
			target[n] = 0;
			if (sscanf(target, "socket:[%llu]", &ino) != 1)
				continue;
			for (j = 0; j < t->n; j++)
				if (t->s[j].inode == ino && !t->s[j].has_owner)
					read_owner(pids[i], &t->s[j]);
		}
		closedir(d);
	}
}

static int cmp_pid(const void *a, const void *b)
{
	return *(const pid_t *)a - *(const pid_t *)b;
}

static int read_tables(pid_t pid, struct pn_table *t)
{
	int rc = read_table(pid, "tcp", AF_INET, IPPROTO_TCP, t);

	if (!rc)
		rc = read_table(pid, "tcp6", AF_INET6, IPPROTO_TCP, t);
	if (!rc)
		rc = read_table(pid, "udp", AF_INET, IPPROTO_UDP, t);
	if (!rc)
		rc = read_table(pid, "udp6", AF_INET6, IPPROTO_UDP, t);
	return rc;
}

int pn_sockets(uint64_t netns_ino, pid_t *reader, struct pn_table *t)
{
	uint64_t ino = 0;
	int rc;

	t->n = 0;
	t->owners = 0;
	/*
	 * The tables are read through a process of the namespace. The one
	 * of the last call is checked before and after the read, so a table
	 * read as it exited or moved is not taken for the namespace's.
	 */
	if (*reader > 0 && !pid_netns(*reader, &ino) && ino == netns_ino) {
		rc = read_tables(*reader, t);
		if (!rc && !pid_netns(*reader, &ino) && ino == netns_ino)
			return 0;
		t->n = 0;
	}
	*reader = 0;
	rc = pn_collect(netns_ino, t);
	if (!rc && t->reader > 0)
		*reader = t->reader;
	return rc;
}

/* The processes of the namespace, lowest pid first, from /proc. */
static int collect_pids(uint64_t netns_ino, struct pn_pids *p)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int rc = 0;

	p->n = 0;
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		uint64_t ino = 0;
		pid_t pid;

		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		pid = atoi(e->d_name);
		if (pid_netns(pid, &ino) || ino != netns_ino)
			continue;
		if (p->n == p->cap) {
			size_t cap = p->cap ? p->cap * 2 : 64;
			pid_t *np = realloc(p->pid, cap * sizeof(*np));

			if (!np) {
				rc = -ENOMEM;
				break;
			}
			p->pid = np;
			p->cap = cap;
		}
		p->pid[p->n++] = pid;
	}
	closedir(d);
	if (!rc)
		qsort(p->pid, p->n, sizeof(*p->pid), cmp_pid);
	return rc;
}

void pn_pids_free(struct pn_pids *p)
{
	free(p->pid);
	memset(p, 0, sizeof(*p));
}

/*
 * Reads the tables (when read_socks) and gives their sockets owners: both
 * through the processes of the namespace, found in /proc.
 */
static int collect(uint64_t netns_ino, struct pn_table *t, int read_socks)
{
	struct pn_pids p = { 0 };
	int rc;

	if (read_socks) {
		t->n = 0;
		t->reader = 0;
	}
	t->owners = 1;
	rc = collect_pids(netns_ino, &p);
	/* nobody in the namespace: no sockets either */
	if (!rc && p.n && read_socks) {
		rc = read_tables(p.pid[0], t);
		if (!rc)
			t->reader = p.pid[0];
	}
	if (!rc && p.n)
		find_owners(p.pid, p.n, t);
	pn_pids_free(&p);
	return rc;
}

int pn_collect(uint64_t netns_ino, struct pn_table *t)
{
	return collect(netns_ino, t, 1);
}

int pn_owners(uint64_t netns_ino, struct pn_table *t)
{
	return t->owners ? 0 : collect(netns_ino, t, 0);
}

void pn_free(struct pn_table *t)
{
	free(t->s);
	t->s = NULL;
	t->n = t->cap = 0;
}

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

static int is_zero(const uint8_t *a, int len)
{
	int i;

	for (i = 0; i < len; i++)
		if (a[i])
			return 0;
	return 1;
}

/*
 * Compares a listed address with a key address: a v4 key also matches a
 * v4-mapped address of a v6 socket.
 */
static int addr_eq(const struct pn_sock *s, const uint8_t *sa, int family,
		   const uint8_t *ka)
{
	if (s->family == family)
		return !memcmp(sa, ka, family == AF_INET ? 4 : 16);
	if (family == AF_INET && s->family == AF_INET6)
		return !memcmp(sa, v4mapped, 12) && !memcmp(sa + 12, ka, 4);
	return 0;
}

static int addr_any(const struct pn_sock *s, const uint8_t *sa)
{
	return is_zero(sa, s->family == AF_INET ? 4 : 16);
}

const struct pn_sock *pn_match(const struct pn_table *t, int family, int proto,
			       const uint8_t *gaddr, uint16_t gport,
			       const uint8_t *paddr, uint16_t pport)
{
	const struct pn_sock *wild = NULL;
	size_t i;

	for (i = 0; i < t->n; i++) {
		const struct pn_sock *s = &t->s[i];

		if (s->proto != proto || s->lport != gport)
			continue;
		if (s->family != family && !(family == AF_INET && s->family == AF_INET6))
			continue;
		if (!addr_eq(s, s->laddr, family, gaddr) && !addr_any(s, s->laddr))
			continue;
		if (s->rport) {
			if (paddr && s->rport == pport &&
			    addr_eq(s, s->raddr, family, paddr) &&
			    addr_eq(s, s->laddr, family, gaddr))
				return s;
			continue;
		}
		/* unconnected: a TCP listener, or UDP bound but not connected */
		if (proto == IPPROTO_TCP && s->state != TCP_LISTEN_STATE)
			continue;
		/* prefer the socket bound to the exact address over "any" */
		if (!wild || addr_any(wild, wild->laddr))
			wild = s;
	}
	return wild;
}

/* ---- one flow at a time, through the kernel's own socket lookup -------- */

int pn_diag_open(const char *name)
{
	char path[256];
	int self, ns, fd, err = 0;

	if (strchr(name, '/'))
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", name);
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	ns = open(path, O_RDONLY | O_CLOEXEC);
	if (ns < 0) {
		err = -errno;
		close(self);
		return err;
	}
	/* a socket belongs to the namespace it was made in, for good */
	if (setns(ns, CLONE_NEWNET)) {
		err = -errno;
		fd = -1;
	} else {
		fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
		if (fd < 0)
			err = -errno;
		if (setns(self, CLONE_NEWNET)) {
			perror("procnet: back to our own namespace");
			exit(1);
		}
	}
	close(ns);
	close(self);
	return fd < 0 ? err : fd;
}

int pn_diag_lookup(int fd, int family, int proto, const uint8_t *gaddr, uint16_t gport,
		   const uint8_t *paddr, uint16_t pport, struct pn_sock *s)
{
	static const uint8_t zero[16];
	static uint32_t seq;
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req;
	union {
		struct nlmsghdr nlh;
		char buf[8192];
	} rep;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct inet_diag_sockid *id = &req.r.id;
	int alen = family == AF_INET ? 4 : 16;
	const struct inet_diag_msg *m;
	ssize_t n;
	int tries;

	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = sizeof(req);
	req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nlh.nlmsg_flags = NLM_F_REQUEST;
	req.nlh.nlmsg_seq = ++seq;
	req.r.sdiag_family = (uint8_t)family;
	req.r.sdiag_protocol = (uint8_t)proto;
	req.r.idiag_states = ~0U;
	id->idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	id->idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	if (!paddr)
		paddr = zero;
	/*
	 * TCP looks the socket up as a packet from the peer to the guest
	 * would: idiag_src is the socket's own end. UDP's exact lookup takes
	 * them the other way round (linux/net/ipv4/udp_diag.c).
	 */
	if (proto == IPPROTO_TCP) {
		memcpy(id->idiag_src, gaddr, alen);
		id->idiag_sport = htons(gport);
		memcpy(id->idiag_dst, paddr, alen);
		id->idiag_dport = htons(pport);
	} else {
		memcpy(id->idiag_src, paddr, alen);
		id->idiag_sport = htons(pport);
		memcpy(id->idiag_dst, gaddr, alen);
		id->idiag_dport = htons(gport);
	}
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	/* an older request's late answer is skipped, a few of them at most */
	for (tries = 0;; tries++) {
		n = recv(fd, &rep, sizeof(rep), 0);
		if (n < 0)
			return errno == EINTR ? -EAGAIN : -errno;
		if (n < (ssize_t)sizeof(struct nlmsghdr) || rep.nlh.nlmsg_len > (size_t)n)
			return -EBADMSG;
		if (rep.nlh.nlmsg_seq == seq)
			break;
		if (tries == 16)
			return -EBADMSG;
	}
	if (rep.nlh.nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = NLMSG_DATA(&rep.nlh);

		if (rep.nlh.nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
			return -EBADMSG;
		return e->error == -ENOENT ? 0 : e->error ? e->error : -EBADMSG;
	}
	if (rep.nlh.nlmsg_type != SOCK_DIAG_BY_FAMILY ||
	    rep.nlh.nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
		return -EBADMSG;
	m = NLMSG_DATA(&rep.nlh);
	memset(s, 0, sizeof(*s));
	s->family = m->idiag_family;
	s->proto = (uint8_t)proto;
	s->state = m->idiag_state;
	memcpy(s->laddr, m->id.idiag_src, m->idiag_family == AF_INET ? 4 : 16);
	memcpy(s->raddr, m->id.idiag_dst, m->idiag_family == AF_INET ? 4 : 16);
	s->lport = ntohs(m->id.idiag_sport);
	s->rport = ntohs(m->id.idiag_dport);
	s->sock_uid = m->idiag_uid;
	s->inode = m->idiag_inode;
	return 1;
}

int pn_owner(uint64_t netns_ino, struct pn_pids *cache, struct pn_sock *s)
{
	struct pn_table t = { .s = s, .n = 1, .cap = 1 };
	int rc;

	s->has_owner = 0;
	if (!s->inode)
		return 0;
	/* the processes that held sockets last time, first */
	if (cache->n) {
		find_owners(cache->pid, cache->n, &t);
		if (s->has_owner)
			return 0;
	}
	rc = collect_pids(netns_ino, cache);
	if (rc)
		return rc;
	find_owners(cache->pid, cache->n, &t);
	return 0;
}
