/* SPDX-License-Identifier: GPL-2.0 */
/*
 * procnet: the real owners of the sockets of one network namespace, read
 * from /proc, which is what the test resolver answers misses with (it stands
 * in for the memory walk of xfilterd).
 */
#ifndef XF_PROCNET_H
#define XF_PROCNET_H

#include <stdint.h>
#include <sys/types.h>

#define PN_COMM_LEN 16

struct pn_sock {
	uint8_t family;		/* AF_INET / AF_INET6 as listed */
	uint8_t proto;		/* IPPROTO_TCP / IPPROTO_UDP */
	uint8_t state;		/* TCP state number (UDP: 7 = unconnected) */
	uint8_t laddr[16], raddr[16];	/* network order; v4 in [0..3] */
	uint16_t lport, rport;
	uint32_t sock_uid;
	uint64_t inode;
	/* owner, when a process in the namespace holds the socket */
	int has_owner;
	pid_t pid;
	uint32_t uid, gid;
	uint64_t start_ns;
	char comm[PN_COMM_LEN];
};

struct pn_table {
	struct pn_sock *s;
	size_t n, cap;
	pid_t reader;		/* the process whose /proc/PID/net was read */
	int owners;		/* owners were looked for (pn_collect) */
};

/* Inode of the named network namespace (/run/netns/NAME or a path). */
int pn_netns_ino(const char *name, uint64_t *ino);

/* Every TCP/UDP socket of the namespace with its owner; 0 or -errno. */
int pn_collect(uint64_t netns_ino, struct pn_table *t);
void pn_free(struct pn_table *t);

/*
 * The sockets alone, owners not looked for: what the memory walk's lookup
 * in the guest's socket hash tables gives, before any task is walked.
 * *reader keeps a process of the namespace from call to call (0 at first),
 * so a call reads four files instead of every process's namespace link;
 * when it is gone, the call is a full pn_collect(). 0 or -errno.
 */
int pn_sockets(uint64_t netns_ino, pid_t *reader, struct pn_table *t);

/* The owners of the sockets pn_sockets() read, the tables not read again. */
int pn_owners(uint64_t netns_ino, struct pn_table *t);

/*
 * The socket a flow key belongs to: the exact connected socket, else the
 * listener / unconnected UDP socket on the guest port (bound to the address
 * or to any, v4-mapped v6 sockets included). NULL when there is none.
 */
const struct pn_sock *pn_match(const struct pn_table *t, int family, int proto,
			       const uint8_t *gaddr, uint16_t gport,
			       const uint8_t *paddr, uint16_t pport);

/* Process ids of one namespace, kept from call to call by pn_owner(). */
struct pn_pids {
	pid_t *pid;
	size_t n, cap;
};

void pn_pids_free(struct pn_pids *p);

/*
 * A sock_diag socket in the named network namespace (/run/netns/NAME or a
 * path): the fd, or -errno.
 */
int pn_diag_open(const char *name);

/*
 * The socket a flow key belongs to, looked up by the kernel as a packet of
 * the flow would be (connected socket first, then listener / unconnected
 * UDP, v4-mapped v6 sockets included): one lookup, where pn_sockets()
 * reads whole tables. This is what xfilterd's lookup in the guest's own
 * hash tables does. 1 found (*s filled, no owner yet), 0 none, or -errno.
 */
int pn_diag_lookup(int fd, int family, int proto, const uint8_t *gaddr, uint16_t gport,
		   const uint8_t *paddr, uint16_t pport, struct pn_sock *s);

/*
 * Gives *s its owner: the lowest pid holding its inode, looked for among
 * the processes *cache held last time first, then among all of the
 * namespace's. 0 (s->has_owner says whether one was found) or -errno.
 */
int pn_owner(uint64_t netns_ino, struct pn_pids *cache, struct pn_sock *s);

#endif
