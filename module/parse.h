/* SPDX-License-Identifier: GPL-2.0 */
/* Packet parsing: an skb seen on a vif becomes a flow key. */
#ifndef _XF_PARSE_H
#define _XF_PARSE_H

#include <linux/types.h>
#include <linux/in6.h>
#include <net/ipv6.h>
#include <linux/skbuff.h>
#include <linux/xfilter.h>

union xf_addr {
	__be32 ip;
	struct in6_addr ip6;
	u8 b[16];
};

/*
 * A flow key seen from the guest. Zero-filled before use (siphash covers the
 * padding). An all-zero peer is the wildcard of a listener or unconnected UDP
 * socket, an all-zero guest address a socket bound to any address.
 */
struct xf_key {
	union xf_addr gaddr;
	union xf_addr paddr;
	__be16 gport;
	__be16 pport;
	u8 family;
	u8 proto;
	u8 pad[2];
} __aligned(8);

/* The parse result of one packet. */
struct xf_pkt {
	struct xf_key key;	/* addresses for any IP packet, ports if has_key */
	u16 ethertype;		/* innermost, host order */
	u8 family;		/* AF_INET, AF_INET6, or 0 (not IP) */
	u8 l4proto;		/* IP protocol number, 0 if unknown */
	u8 dir;			/* enum xfilter_dir */
	bool has_key;		/* TCP/UDP with ports */
	bool malformed;		/* truncated or inconsistent headers */
	bool fragment;		/* a non-first fragment: no ports */
	bool syn;		/* TCP SYN without ACK: a connection starts */
	u32 len;
	int nhoff;		/* offset of the IP header from skb->data */
	u64 held_at;		/* its own stamp when held, 0 if never held */
};

int xf_parse(const struct sk_buff *skb, u8 dir, struct xf_pkt *pkt);

static inline bool xf_key_peer_wild(const struct xf_key *k)
{
	return !k->pport && ipv6_addr_any(&k->paddr.ip6);
}

#endif /* _XF_PARSE_H */
