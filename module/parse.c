// SPDX-License-Identifier: GPL-2.0
/*
 * Packet parsing: Ethernet and 802.1Q/802.1ad tags, IPv4 and IPv6 with
 * extension headers, fragments, then the TCP/UDP ports, into a flow key
 * seen from the guest. Everything is read through skb_header_pointer, and
 * the guest controls every byte, so every length is checked.
 *
 * A later fragment carries no ports: it has no key and is decided as
 * "owner unknown" (rules on protocol, peer and direction still apply). The
 * first fragment has the ports and is decided with its owner; dropping it
 * is enough to kill the datagram, since the rest cannot be reassembled.
 */
#include <linux/if_ether.h>
#include <linux/if_vlan.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <net/tcp.h>
#include <net/ip.h>
#include <linux/udp.h>
#include <net/ipv6.h>
#include <linux/xfilter.h>
#include <kunit/visibility.h>

#include "parse.h"

/* Two tags (802.1ad outer + 802.1Q inner) is what bridges produce. */
#define XF_MAX_VLAN_DEPTH 2

static int parse_ports(const struct sk_buff *skb, int off, struct xf_pkt *pkt,
		       __be16 *sport, __be16 *dport)
{
	u8 _hdr[14];
	const u8 *hdr = NULL;

	if (pkt->l4proto != IPPROTO_TCP && pkt->l4proto != IPPROTO_UDP)
		return 0;
	if (pkt->fragment)
		return 0;
	/*
	 * Source and destination ports lead both headers. A TCP SYN without
	 * ACK starts a connection: no earlier connection's owner entry may
	 * decide it (packet.c), so TCP reads up to the flags in the same
	 * copy; a header too short to hold them is no SYN the peer would
	 * take, but its ports still count.
	 */
	if (pkt->l4proto == IPPROTO_TCP) {
		hdr = skb_header_pointer(skb, off, sizeof(_hdr), _hdr);
		pkt->syn = hdr && (hdr[13] & (TCPHDR_SYN | TCPHDR_ACK)) == TCPHDR_SYN;
	}
	if (!hdr)
		hdr = skb_header_pointer(skb, off, 4, _hdr);
	if (!hdr) {
		pkt->malformed = true;
		return -EINVAL;
	}
	memcpy(sport, hdr, sizeof(*sport));
	memcpy(dport, hdr + 2, sizeof(*dport));
	pkt->has_key = true;
	return 0;
}

/* The key as the guest sees it: on OUT the guest sent it, so it is the source. */
static void fill_key4(struct xf_pkt *pkt, __be32 saddr, __be32 daddr,
		      __be16 sport, __be16 dport)
{
	struct xf_key *k = &pkt->key;
	bool out = pkt->dir == XFILTER_DIR_OUT;

	k->family = AF_INET;
	k->proto = pkt->l4proto;
	k->gaddr.ip = out ? saddr : daddr;
	k->paddr.ip = out ? daddr : saddr;
	k->gport = out ? sport : dport;
	k->pport = out ? dport : sport;
}

static void fill_key6(struct xf_pkt *pkt, const struct in6_addr *saddr,
		      const struct in6_addr *daddr, __be16 sport, __be16 dport)
{
	struct xf_key *k = &pkt->key;
	bool out = pkt->dir == XFILTER_DIR_OUT;

	k->family = AF_INET6;
	k->proto = pkt->l4proto;
	k->gaddr.ip6 = out ? *saddr : *daddr;
	k->paddr.ip6 = out ? *daddr : *saddr;
	k->gport = out ? sport : dport;
	k->pport = out ? dport : sport;
}

static int parse_ipv4(const struct sk_buff *skb, int off, struct xf_pkt *pkt)
{
	struct iphdr _iph;
	const struct iphdr *iph;
	__be16 sport = 0, dport = 0;
	unsigned int ihl;
	int err;

	pkt->family = AF_INET;
	iph = skb_header_pointer(skb, off, sizeof(_iph), &_iph);
	if (!iph || iph->version != 4 || iph->ihl < 5)
		goto bad;
	ihl = iph->ihl * 4;
	if (ntohs(iph->tot_len) < ihl)
		goto bad;
	pkt->l4proto = iph->protocol;
	pkt->fragment = !!(iph->frag_off & htons(IP_OFFSET));
	err = parse_ports(skb, off + ihl, pkt, &sport, &dport);
	fill_key4(pkt, iph->saddr, iph->daddr, sport, dport);
	return err;
bad:
	pkt->malformed = true;
	return -EINVAL;
}

static int parse_ipv6(const struct sk_buff *skb, int off, struct xf_pkt *pkt)
{
	struct ipv6hdr _ip6h;
	const struct ipv6hdr *ip6h;
	__be16 sport = 0, dport = 0;
	__be16 frag_off = 0;
	u8 nexthdr;
	int l4off, err;

	pkt->family = AF_INET6;
	ip6h = skb_header_pointer(skb, off, sizeof(_ip6h), &_ip6h);
	if (!ip6h || ip6h->version != 6)
		goto bad;
	nexthdr = ip6h->nexthdr;
	/* Bounded by the packet: each extension header is at least 8 bytes. */
	l4off = ipv6_skip_exthdr(skb, off + sizeof(*ip6h), &nexthdr, &frag_off);
	if (l4off < 0)
		goto bad;
	pkt->fragment = !!(frag_off & htons(IP6_OFFSET));
	if (pkt->fragment && nexthdr == NEXTHDR_FRAGMENT) {
		struct frag_hdr _fh;
		const struct frag_hdr *fh;

		/* The walk stops at a later fragment's header: its next
		 * header is still the upper-layer protocol.
		 */
		fh = skb_header_pointer(skb, l4off, sizeof(_fh), &_fh);
		if (!fh)
			goto bad;
		nexthdr = fh->nexthdr;
	}
	pkt->l4proto = nexthdr;
	err = parse_ports(skb, l4off, pkt, &sport, &dport);
	fill_key6(pkt, &ip6h->saddr, &ip6h->daddr, sport, dport);
	return err;
bad:
	pkt->malformed = true;
	return -EINVAL;
}

/*
 * Everything xf_parse_fast4() leaves: tags, options, IPv6, fragments,
 * short heads. See xf_parse().
 */
int xf_parse_slow(const struct sk_buff *skb, u8 dir, struct xf_pkt *pkt)
{
	__be16 proto;
	int off, depth;

	memset(pkt, 0, sizeof(*pkt));
	pkt->dir = dir;
	pkt->len = skb->len;

	if (skb_mac_header_was_set(skb)) {
		struct ethhdr _eth;
		const struct ethhdr *eth;

		off = skb_mac_offset(skb);
		eth = skb_header_pointer(skb, off, sizeof(_eth), &_eth);
		if (!eth) {
			pkt->malformed = true;
			return -EINVAL;
		}
		proto = eth->h_proto;
		off += ETH_HLEN;
	} else {
		off = skb_network_offset(skb);
		proto = skb->protocol;
	}

	for (depth = 0; eth_type_vlan(proto); depth++) {
		struct vlan_hdr _vh;
		const struct vlan_hdr *vh;

		if (depth == XF_MAX_VLAN_DEPTH)
			return 0;	/* deeper stacks: not IP to us */
		vh = skb_header_pointer(skb, off, sizeof(_vh), &_vh);
		if (!vh) {
			pkt->malformed = true;
			return -EINVAL;
		}
		proto = vh->h_vlan_encapsulated_proto;
		off += VLAN_HLEN;
	}

	pkt->nhoff = off;
	pkt->ethertype = ntohs(proto);
	switch (proto) {
	case htons(ETH_P_IP):
		return parse_ipv4(skb, off, pkt);
	case htons(ETH_P_IPV6):
		return parse_ipv6(skb, off, pkt);
	default:
		return 0;
	}
}
EXPORT_SYMBOL_IF_KUNIT(xf_parse_slow);
