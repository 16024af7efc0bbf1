/* SPDX-License-Identifier: GPL-2.0 */
/* Packet parsing: an skb seen on a vif becomes a flow key. */
#ifndef _XF_PARSE_H
#define _XF_PARSE_H

#include <linux/types.h>
#include <linux/in6.h>
#include <net/ipv6.h>
#include <linux/skbuff.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <net/ip.h>
#include <net/tcp.h>
#include <asm/unaligned.h>
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

int xf_parse_slow(const struct sk_buff *skb, u8 dir, struct xf_pkt *pkt);

/* The flow of the common packet (below), as the hooks see it. */
struct xf_flow4 {
	__be32 gaddr, paddr;
	__be16 gport, pport;
	u8 proto;
	bool syn;
};

/*
 * The common packet, in one pass over the linear header: untagged IPv4
 * without options, not a later fragment, TCP or UDP, with 14 bytes past
 * the IP header (up to the TCP flags) in the skb's head. Anything else
 * returns false and takes the general parse. Fills @f only, so that a
 * caller that keeps @f local keeps it in registers.
 */
static __always_inline bool xf_parse_flow4(const struct sk_buff *skb, u8 dir,
					   struct xf_flow4 *f)
{
	const struct ethhdr *eth;
	const struct iphdr *iph;
	const u8 *l4;
	u8 proto;

	if (!skb_mac_header_was_set(skb))
		return false;
	eth = (const struct ethhdr *)skb_mac_header(skb);
	iph = (const struct iphdr *)(eth + 1);
	l4 = (const u8 *)(iph + 1);
	/* Nothing is read before the head is known to hold all of it. */
	if (skb->data + skb_headlen(skb) - l4 < 14 ||
	    eth->h_proto != htons(ETH_P_IP) || *(const u8 *)iph != 0x45 ||
	    ntohs(iph->tot_len) < sizeof(*iph) ||
	    (iph->frag_off & htons(IP_OFFSET)))
		return false;
	proto = iph->protocol;
	if (proto == IPPROTO_TCP)
		f->syn = (l4[13] & (TCPHDR_SYN | TCPHDR_ACK)) == TCPHDR_SYN;
	else if (proto == IPPROTO_UDP)
		f->syn = false;
	else
		return false;
	f->proto = proto;
	if (dir == XFILTER_DIR_OUT) {
		f->gaddr = iph->saddr;
		f->paddr = iph->daddr;
		f->gport = get_unaligned((const __be16 *)l4);
		f->pport = get_unaligned((const __be16 *)(l4 + 2));
	} else {
		f->gaddr = iph->daddr;
		f->paddr = iph->saddr;
		f->gport = get_unaligned((const __be16 *)(l4 + 2));
		f->pport = get_unaligned((const __be16 *)l4);
	}
	return true;
}

/*
 * The three words of the struct xf_key of @f that are not zero (0, 2 and
 * 4 of its five; see xf_key_eq()), without writing the key to memory.
 * xf_parse_fast4() writes the key these words describe.
 */
static __always_inline void xf_flow4_words(const struct xf_flow4 *f, u64 *w0,
					   u64 *w2, u64 *w4)
{
	union {
		struct { __be32 a, z; } ip;
		u64 w;
	} g = { .ip = { f->gaddr, 0 } }, p = { .ip = { f->paddr, 0 } };
	union {
		struct {
			__be16 gport, pport;
			u8 family, proto, pad[2];
		} t;
		u64 w;
	} t = { .t = { f->gport, f->pport, AF_INET, f->proto, { 0, 0 } } };

	BUILD_BUG_ON(offsetof(struct xf_key, gport) != 4 * sizeof(u64));
	*w0 = g.w;
	*w2 = p.w;
	*w4 = t.w;
}

/*
 * xf_parse_flow4() into a struct xf_pkt: writes every field of @pkt, and
 * exactly what the general parse would.
 */
static __always_inline bool xf_parse_fast4(const struct sk_buff *skb, u8 dir,
					   struct xf_pkt *pkt)
{
	struct xf_key *k = &pkt->key;
	struct xf_flow4 f;

	if (!xf_parse_flow4(skb, dir, &f))
		return false;
	k->gaddr.ip6.s6_addr32[0] = f.gaddr;
	k->gaddr.ip6.s6_addr32[1] = 0;
	k->gaddr.ip6.s6_addr32[2] = 0;
	k->gaddr.ip6.s6_addr32[3] = 0;
	k->paddr.ip6.s6_addr32[0] = f.paddr;
	k->paddr.ip6.s6_addr32[1] = 0;
	k->paddr.ip6.s6_addr32[2] = 0;
	k->paddr.ip6.s6_addr32[3] = 0;
	k->gport = f.gport;
	k->pport = f.pport;
	k->family = AF_INET;
	k->proto = f.proto;
	k->pad[0] = 0;
	k->pad[1] = 0;
	pkt->ethertype = ETH_P_IP;
	pkt->family = AF_INET;
	pkt->l4proto = f.proto;
	pkt->dir = dir;
	pkt->has_key = true;
	pkt->malformed = false;
	pkt->fragment = false;
	pkt->syn = f.syn;
	pkt->len = skb->len;
	pkt->nhoff = skb_mac_offset(skb) + ETH_HLEN;
	pkt->held_at = 0;
	return true;
}

/**
 * xf_parse - parse a packet seen on a vif into a flow key
 * @skb: the packet, with its MAC header set (both netdev hooks have it)
 * @dir: XFILTER_DIR_OUT (vif ingress) or XFILTER_DIR_IN (vif egress)
 * @pkt: result; has_key is set only for TCP/UDP with ports
 *
 * Every field of @pkt is written, whatever its contents before.
 * Context: any, never sleeps. Returns 0, or -EINVAL for a malformed packet
 * (pkt->malformed set). Non-IP packets return 0 with family 0.
 */
static __always_inline int xf_parse(const struct sk_buff *skb, u8 dir,
				    struct xf_pkt *pkt)
{
	if (likely(xf_parse_fast4(skb, dir, pkt)))
		return 0;
	return xf_parse_slow(skb, dir, pkt);
}

/*
 * A local that its first user writes whole (struct xf_pkt, by xf_parse()):
 * spares it the zeroing that CONFIG_INIT_STACK_ALL_ZERO adds on entry.
 */
#if __has_attribute(__uninitialized__)
#define __xf_noinit __attribute__((__uninitialized__))
#else
#define __xf_noinit
#endif

static inline bool xf_key_peer_wild(const struct xf_key *k)
{
	return !k->pport && ipv6_addr_any(&k->paddr.ip6);
}

#endif /* _XF_PARSE_H */
