/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Targeted lookup of one flow through the guest's own socket hash tables
 * (TCP bind hash, UDP port hash), found from any socket's sk_prot or
 * network namespace, so that a miss costs a few chains, not a full walk.
 * The owner comes from the index of the last full walk.
 */
#ifndef XF_LOOKUP_H
#define XF_LOOKUP_H

#include <stdbool.h>
#include <stdint.h>

#include "walk.h"

struct btf;

struct xf_flow {
	uint8_t family;		/* AF_INET / AF_INET6 */
	uint8_t proto;		/* IPPROTO_TCP / IPPROTO_UDP */
	uint16_t lport, rport;	/* host order; l = the guest's side */
	uint8_t laddr[16], raddr[16];
};

struct xf_lookup_off {
	bool ok;
	uint32_t net_ipv4, ipv4_death_row, death_row_hashinfo, ipv4_udp_table;
	bool per_netns_tcp, per_netns_udp;
	uint32_t hi_bhash, hi_bhash_size;
	uint32_t bhb_chain, bhb_size;
	uint32_t tb_port, tb_node, tb_owners, tb_bhash2;
	bool tb_has_owners;
	uint32_t tb2_bhash_node, tb2_owners;
	uint32_t ut_hash, ut_mask, hs_head, hs_size;
};

/* sock -> owner and flow -> sock, built from a full walk */
struct xf_index {
	uint64_t *keys;		/* sk addresses, 0 = empty */
	uint32_t *rows;		/* index into the table's socks */
	uint64_t *fkeys;	/* flow hashes (connected: 5-tuple; else proto+port) */
	uint32_t *frows;
	size_t cap;
	const struct xf_table *t;
};

struct xf_lookup {
	struct xf_walker *w;
	struct xf_lookup_off off;
	uint64_t tcp_hashinfo, udp_table, net;
	uint32_t hash_mix;
	uint64_t max_chain;
	struct xf_index idx;
	bool use_index;		/* try the last walk's flows first (default) */
	/* statistics */
	uint64_t chain_steps;
	uint64_t index_hits;
	uint64_t ino_mismatch;	/* the walk's owner refused: another socket now */
};

/* Always usable afterwards; l->off.ok tells whether the tables can be searched. */
int xf_lookup_init(struct xf_lookup *l, struct xf_walker *w, const struct btf *btf);
/* Learns the tables from the sockets of a full walk and indexes its owners. */
int xf_lookup_learn(struct xf_lookup *l, const struct xf_table *t);
void xf_lookup_free(struct xf_lookup *l);
/*
 * 0 and *s (the owner fields from the index, pid -1 when the socket is newer
 * than the last walk), -ENOENT when the guest's tables have no socket for
 * the flow, another negative errno when that cannot be told (tables
 * unreadable or of an unknown layout).
 */
int xf_lookup_flow(struct xf_lookup *l, const struct xf_flow *f, struct xf_sock_info *s);

/* What a miss gets, from the targeted lookup's answer. */
enum xf_miss_act {
	XF_MISS_OWNER,		/* answer with *s: its owner, or none found by a fresh walk */
	XF_MISS_NONE,		/* the guest has no socket for the flow */
	XF_MISS_REFRESH,	/* walk now, then look again */
	XF_MISS_DEFER,		/* walk when the rate limit allows, then look again */
	XF_MISS_UNKNOWN,	/* cannot tell: the module's fail mode decides */
};

/*
 * ret and s from xf_lookup_flow. fresh: a complete walk that began after
 * the miss was held has been learnt; only then does a socket without a
 * known owner get answered as such ("owner unknown"), since a socket newer
 * than the last walk is most often a process's first connection, exactly
 * the packet a uid or pid rule must decide. may_refresh: the rate limit of
 * walks allows one now.
 */
enum xf_miss_act xf_miss_act(int ret, const struct xf_sock_info *s, bool fresh, bool may_refresh);

#endif /* XF_LOOKUP_H */
