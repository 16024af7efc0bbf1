// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suites for xFilter, built into the module (CONFIG_XFILTER_KUNIT_TEST)
 * so that they reach its internals: packet parsing, the owner table, rule
 * validation and matching, the verdict cache and its generation, the hold
 * queue, the audit line and vif naming.
 */
#include <kunit/test.h>
#include <kunit/resource.h>
#include <linux/etherdevice.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/if_vlan.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/delay.h>
#include <linux/netfilter.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/tcp.h>
#include <net/netlink.h>

#include "parse.h"
#include "table.h"
#include "rules.h"
#include "domain.h"
#include "vif.h"
#include "hold.h"
#include "packet.h"
#include "audit.h"
#include "netlink.h"

/* Runs fn(data) when the test ends, however it ends. */
struct defer {
	void (*fn)(void *data);
	void *data;
};

static int defer_init(struct kunit_resource *res, void *ctx)
{
	res->data = ctx;
	return 0;
}

static void defer_free(struct kunit_resource *res)
{
	struct defer *d = res->data;

	d->fn(d->data);
	kfree(d);
}

static int defer(struct kunit *test, void (*fn)(void *), void *data)
{
	struct defer *d = kmalloc(sizeof(*d), GFP_KERNEL);

	if (d) {
		d->fn = fn;
		d->data = data;
		if (kunit_alloc_resource(test, defer_init, defer_free,
					 GFP_KERNEL, d))
			return 0;
		kfree(d);
	}
	fn(data);
	return -ENOMEM;
}

#define V4(a, b, c, d) htonl(((a) << 24) | ((b) << 16) | ((c) << 8) | (d))

/* ---------------------------------------------------------------- packets */

#define EXT_HOP		BIT(0)
#define EXT_DST		BIT(1)
#define EXT_FRAG	BIT(2)

struct pkt_spec {
	u8 vlans;		/* in-band 802.1Q tags */
	u16 ethertype;		/* 0: IP per ipver */
	u8 ipver;
	u8 l4;
	u8 ext;			/* EXT_* for IPv6 */
	u16 frag_offset;	/* in 8-byte units */
	bool more_frags;
	u8 ihl;			/* 0: 5 */
	int cut;		/* bytes removed from the end */
	__be32 saddr, daddr;
	u16 sport, dport;
	u8 tcpflags;		/* TCPHDR_* */
};

static void put_l4(struct sk_buff *skb, const struct pkt_spec *s)
{
	if (s->l4 == IPPROTO_TCP) {
		struct tcphdr *th = skb_put_zero(skb, sizeof(*th));

		th->source = htons(s->sport);
		th->dest = htons(s->dport);
		th->doff = 5;
		tcp_flag_byte(th) = s->tcpflags;
	} else if (s->l4 == IPPROTO_UDP) {
		struct udphdr *uh = skb_put_zero(skb, sizeof(*uh));

		uh->source = htons(s->sport);
		uh->dest = htons(s->dport);
		uh->len = htons(sizeof(*uh));
	} else {
		skb_put_zero(skb, 8);
	}
}

static void v6addr(struct in6_addr *a, __be32 v4)
{
	ipv6_addr_set(a, htonl(0x20010db8), 0, 0, v4);
}

/* Builds an Ethernet frame as a vif hook sees it: MAC header at data. */
static struct sk_buff *build_pkt(struct kunit *test, const struct pkt_spec *s)
{
	struct sk_buff *skb = alloc_skb(512, GFP_KERNEL);
	struct ethhdr *eth;
	u16 etype = s->ethertype;
	int i, ipoff, l4off;

	KUNIT_ASSERT_NOT_NULL(test, skb);
	skb_reserve(skb, 64);
	skb_reset_mac_header(skb);
	eth = skb_put_zero(skb, ETH_HLEN);
	eth_broadcast_addr(eth->h_dest);
	eth->h_source[5] = 1;
	if (!etype)
		etype = s->ipver == 6 ? ETH_P_IPV6 : ETH_P_IP;
	eth->h_proto = htons(s->vlans ? ETH_P_8021Q : etype);
	for (i = 0; i < s->vlans; i++) {
		struct vlan_hdr *vh = skb_put_zero(skb, VLAN_HLEN);

		vh->h_vlan_TCI = htons(10 + i);
		vh->h_vlan_encapsulated_proto =
			htons(i + 1 < s->vlans ? ETH_P_8021Q : etype);
	}
	ipoff = skb->len;
	skb_set_network_header(skb, ipoff);
	skb->protocol = htons(etype);
	if (s->ethertype) {
		skb_put_zero(skb, 28);
		goto out;
	}
	if (s->ipver == 4) {
		struct iphdr *iph = skb_put_zero(skb, sizeof(*iph));

		iph->version = 4;
		iph->ihl = s->ihl ?: 5;
		iph->ttl = 64;
		iph->protocol = s->l4;
		iph->saddr = s->saddr;
		iph->daddr = s->daddr;
		iph->frag_off = htons(s->frag_offset | (s->more_frags ? IP_MF : 0));
		if (iph->ihl > 5)
			skb_put_zero(skb, (iph->ihl - 5) * 4);
		put_l4(skb, s);
		iph->tot_len = htons(skb->len - ipoff);
	} else {
		struct ipv6hdr *ip6h = skb_put_zero(skb, sizeof(*ip6h));
		u8 *nh = &ip6h->nexthdr;

		ip6h->version = 6;
		ip6h->hop_limit = 64;
		v6addr(&ip6h->saddr, s->saddr);
		v6addr(&ip6h->daddr, s->daddr);
		if (s->ext & EXT_HOP) {
			struct ipv6_opt_hdr *o = skb_put_zero(skb, 8);

			*nh = NEXTHDR_HOP;
			nh = &o->nexthdr;
		}
		if (s->ext & EXT_DST) {
			struct ipv6_opt_hdr *o = skb_put_zero(skb, 16);

			o->hdrlen = 1;	/* (1 + 1) * 8 bytes */
			*nh = NEXTHDR_DEST;
			nh = &o->nexthdr;
		}
		if (s->ext & EXT_FRAG) {
			struct frag_hdr *f = skb_put_zero(skb, sizeof(*f));

			*nh = NEXTHDR_FRAGMENT;
			nh = &f->nexthdr;
			f->frag_off = htons(s->frag_offset << 3 |
					    (s->more_frags ? IP6_MF : 0));
		}
		*nh = s->l4;
		put_l4(skb, s);
		ip6h->payload_len = htons(skb->len - ipoff - sizeof(*ip6h));
	}
out:
	l4off = skb->len;
	if (s->cut)
		skb_trim(skb, skb->len > s->cut ? skb->len - s->cut : 0);
	(void)l4off;
	return skb;
}

struct parse_case {
	const char *name;
	struct pkt_spec spec;
	u8 dir;
	int ret;
	u8 family;
	u8 l4proto;
	bool has_key;
	bool malformed;
	bool fragment;
};

#define A V4(10, 0, 0, 5)
#define B V4(10, 0, 0, 9)
#define TCP4(...) { .ipver = 4, .l4 = IPPROTO_TCP, .saddr = A, .daddr = B, \
		    .sport = 41234, .dport = 25, __VA_ARGS__ }
#define UDP6(...) { .ipver = 6, .l4 = IPPROTO_UDP, .saddr = A, .daddr = B, \
		    .sport = 5353, .dport = 53, __VA_ARGS__ }

static const struct parse_case parse_cases[] = {
	{ "v4 tcp out", TCP4(), XFILTER_DIR_OUT, 0, AF_INET, IPPROTO_TCP, true },
	{ "v4 tcp in", TCP4(), XFILTER_DIR_IN, 0, AF_INET, IPPROTO_TCP, true },
	{ "v4 udp", TCP4(.l4 = IPPROTO_UDP), XFILTER_DIR_OUT, 0, AF_INET,
	  IPPROTO_UDP, true },
	{ "v4 icmp", TCP4(.l4 = IPPROTO_ICMP), XFILTER_DIR_OUT, 0, AF_INET,
	  IPPROTO_ICMP, false },
	{ "v4 ip options", TCP4(.ihl = 6, .cut = 0), XFILTER_DIR_OUT, 0,
	  AF_INET, IPPROTO_TCP, true },
	{ "v4 first fragment", TCP4(.more_frags = true), XFILTER_DIR_OUT, 0,
	  AF_INET, IPPROTO_TCP, true },
	{ "v4 later fragment", TCP4(.frag_offset = 185), XFILTER_DIR_OUT, 0,
	  AF_INET, IPPROTO_TCP, false, false, true },
	{ "v4 ihl below 5", TCP4(.ihl = 4), XFILTER_DIR_OUT, -EINVAL, AF_INET,
	  0, false, true },
	{ "v4 truncated ip header", TCP4(.cut = 30), XFILTER_DIR_OUT, -EINVAL,
	  AF_INET, 0, false, true },
	{ "v4 truncated ports", TCP4(.cut = 19), XFILTER_DIR_OUT, -EINVAL,
	  AF_INET, IPPROTO_TCP, false, true },
	{ "v4 one vlan", TCP4(.vlans = 1), XFILTER_DIR_OUT, 0, AF_INET,
	  IPPROTO_TCP, true },
	{ "v4 two vlans", TCP4(.vlans = 2), XFILTER_DIR_OUT, 0, AF_INET,
	  IPPROTO_TCP, true },
	{ "three vlans: not ours", TCP4(.vlans = 3), XFILTER_DIR_OUT, 0, 0, 0 },
	{ "truncated vlan", TCP4(.vlans = 1, .cut = 58), XFILTER_DIR_OUT,
	  -EINVAL, 0, 0, false, true },
	{ "arp", { .ethertype = ETH_P_ARP }, XFILTER_DIR_OUT, 0, 0, 0 },
	{ "runt frame", TCP4(.cut = 50), XFILTER_DIR_OUT, -EINVAL, 0, 0, false,
	  true },
	{ "v6 udp", UDP6(), XFILTER_DIR_OUT, 0, AF_INET6, IPPROTO_UDP, true },
	{ "v6 tcp in", UDP6(.l4 = IPPROTO_TCP), XFILTER_DIR_IN, 0, AF_INET6,
	  IPPROTO_TCP, true },
	{ "v6 hop+dst options", UDP6(.ext = EXT_HOP | EXT_DST),
	  XFILTER_DIR_OUT, 0, AF_INET6, IPPROTO_UDP, true },
	{ "v6 first fragment", UDP6(.ext = EXT_FRAG, .more_frags = true),
	  XFILTER_DIR_OUT, 0, AF_INET6, IPPROTO_UDP, true },
	{ "v6 later fragment", UDP6(.ext = EXT_HOP | EXT_FRAG,
				    .frag_offset = 100),
	  XFILTER_DIR_OUT, 0, AF_INET6, IPPROTO_UDP, false, false, true },
	{ "v6 icmpv6", UDP6(.l4 = IPPROTO_ICMPV6), XFILTER_DIR_OUT, 0,
	  AF_INET6, IPPROTO_ICMPV6, false },
	{ "v6 vlan", UDP6(.vlans = 1), XFILTER_DIR_OUT, 0, AF_INET6,
	  IPPROTO_UDP, true },
	{ "v6 truncated header", UDP6(.cut = 20), XFILTER_DIR_OUT, -EINVAL,
	  AF_INET6, 0, false, true },
	{ "v6 truncated extension", UDP6(.ext = EXT_DST, .cut = 20),
	  XFILTER_DIR_OUT, -EINVAL, AF_INET6, 0, false, true },
	{ "v6 truncated ports", UDP6(.cut = 6), XFILTER_DIR_OUT, -EINVAL,
	  AF_INET6, IPPROTO_UDP, false, true },
};

static void parse_case_desc(const struct parse_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(parse, parse_cases, parse_case_desc);

static void xf_parse_test(struct kunit *test)
{
	const struct parse_case *c = test->param_value;
	struct sk_buff *skb = build_pkt(test, &c->spec);
	struct xf_flow4 f;
	struct xf_pkt pkt;
	int ret;

	ret = xf_parse(skb, c->dir, &pkt);
	KUNIT_EXPECT_EQ(test, ret, c->ret);
	KUNIT_EXPECT_EQ(test, pkt.family, c->family);
	KUNIT_EXPECT_EQ(test, pkt.has_key, c->has_key);
	KUNIT_EXPECT_EQ(test, pkt.malformed, c->malformed);
	KUNIT_EXPECT_EQ(test, pkt.fragment, c->fragment);
	KUNIT_EXPECT_EQ(test, pkt.len, skb->len);
	if (c->l4proto)
		KUNIT_EXPECT_EQ(test, pkt.l4proto, c->l4proto);
	if (c->has_key) {
		bool out = c->dir == XFILTER_DIR_OUT;
		u16 gport = out ? c->spec.sport : c->spec.dport;
		u16 pport = out ? c->spec.dport : c->spec.sport;
		__be32 g = out ? c->spec.saddr : c->spec.daddr;

		KUNIT_EXPECT_EQ(test, pkt.key.family, c->family);
		KUNIT_EXPECT_EQ(test, pkt.key.proto, c->l4proto);
		KUNIT_EXPECT_EQ(test, ntohs(pkt.key.gport), gport);
		KUNIT_EXPECT_EQ(test, ntohs(pkt.key.pport), pport);
		if (c->family == AF_INET) {
			KUNIT_EXPECT_EQ(test, pkt.key.gaddr.ip, g);
		} else {
			struct in6_addr a;

			v6addr(&a, g);
			KUNIT_EXPECT_TRUE(test, ipv6_addr_equal(&pkt.key.gaddr.ip6, &a));
		}
	}
	/* The hooks' fast path sees the same key, as words. */
	if (xf_parse_flow4(skb, c->dir, &f)) {
		const u64 *w = (const u64 *)&pkt.key;
		u64 w0, w2, w4;

		xf_flow4_words(&f, &w0, &w2, &w4);
		KUNIT_EXPECT_TRUE(test, pkt.has_key);
		KUNIT_EXPECT_EQ(test, f.syn, pkt.syn);
		KUNIT_EXPECT_EQ(test, w[0], w0);
		KUNIT_EXPECT_EQ(test, w[1], 0ULL);
		KUNIT_EXPECT_EQ(test, w[2], w2);
		KUNIT_EXPECT_EQ(test, w[3], 0ULL);
		KUNIT_EXPECT_EQ(test, w[4], w4);
	}
	kfree_skb(skb);
}

static struct kunit_case xf_parse_cases[] = {
	KUNIT_CASE_PARAM(xf_parse_test, parse_gen_params),
	{}
};

static struct kunit_suite xf_parse_suite = {
	.name = "xfilter_parse",
	.test_cases = xf_parse_cases,
};

/* ------------------------------------------------------------ owner table */

static struct xf_key mkkey(__be32 g, u16 gport, __be32 p, u16 pport)
{
	struct xf_key k;

	memset(&k, 0, sizeof(k));
	k.family = AF_INET;
	k.proto = IPPROTO_TCP;
	k.gaddr.ip = g;
	k.gport = htons(gport);
	k.paddr.ip = p;
	k.pport = htons(pport);
	return k;
}

static struct xf_owner_info mkinfo(u32 pid, u32 uid, const char *comm)
{
	struct xf_owner_info oi = { .pid = pid, .tgid = pid, .uid = uid,
				    .gid = uid };

	strscpy(oi.comm, comm, sizeof(oi.comm));
	return oi;
}

static void table_exit(void *data)
{
	xf_table_free(data);
}

static struct xf_table *test_table(struct kunit *test, unsigned int max)
{
	struct xf_table *t = xf_table_alloc(max);

	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_ASSERT_EQ(test, 0, defer(test, table_exit, t));
	return t;
}

static u32 lookup_pid(struct xf_table *t, const struct xf_key *k)
{
	struct xf_owner *o;
	u32 pid;

	rcu_read_lock();
	o = xf_table_lookup(t, k);
	pid = o ? o->info.pid : 0;
	rcu_read_unlock();
	return pid;
}

static int insert(struct xf_table *t, struct xf_key k, u32 pid, u64 gen,
		  unsigned int max)
{
	struct xf_owner_info oi = mkinfo(pid, 1000 + pid, "proc");
	int err;

	mutex_lock(&xf_lock);
	err = xf_table_insert(t, &k, &oi, gen, max, U64_MAX);
	mutex_unlock(&xf_lock);
	return err;
}

static void xf_table_insert_lookup_test(struct kunit *test)
{
	struct xf_table *t = test_table(test, 64);
	struct xf_key k = mkkey(A, 40000, B, 80);

	KUNIT_EXPECT_EQ(test, lookup_pid(t, &k), 0U);
	KUNIT_EXPECT_EQ(test, insert(t, k, 812, 1, 64), 0);
	KUNIT_EXPECT_EQ(test, lookup_pid(t, &k), 812U);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->count), 1);
	/* Same key again: an update, not a second entry. */
	KUNIT_EXPECT_EQ(test, insert(t, k, 813, 1, 64), 0);
	KUNIT_EXPECT_EQ(test, lookup_pid(t, &k), 813U);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->count), 1);
	/* Another peer port of the same guest socket is another flow. */
	k.pport = htons(81);
	KUNIT_EXPECT_EQ(test, lookup_pid(t, &k), 0U);
	mutex_lock(&xf_lock);
	k.pport = htons(80);
	KUNIT_EXPECT_EQ(test, xf_table_delete(t, &k), 0);
	KUNIT_EXPECT_EQ(test, xf_table_delete(t, &k), -ENOENT);
	mutex_unlock(&xf_lock);
	KUNIT_EXPECT_EQ(test, lookup_pid(t, &k), 0U);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->count), 0);
}

/* exact 5-tuple > guest address with any peer > any address */
static void xf_table_wildcard_test(struct kunit *test)
{
	struct xf_table *t = test_table(test, 64);
	struct xf_key exact = mkkey(A, 22, B, 50000);
	struct xf_key other = mkkey(A, 22, V4(192, 0, 2, 1), 50001);
	struct xf_key otheraddr = mkkey(V4(10, 0, 0, 6), 22, B, 50000);
	struct xf_key udp = mkkey(A, 22, B, 50000);

	udp.proto = IPPROTO_UDP;
	KUNIT_ASSERT_EQ(test, insert(t, mkkey(0, 22, 0, 0), 1, 1, 64), 0);
	KUNIT_EXPECT_EQ(test, lookup_pid(t, &exact), 1U);
	KUNIT_EXPECT_EQ(test, lookup_pid(t, &otheraddr), 1U);
	KUNIT_EXPECT_EQ(test, lookup_pid(t, &udp), 0U);

	KUNIT_ASSERT_EQ(test, insert(t, mkkey(A, 22, 0, 0), 2, 1, 64), 0);
	KUNIT_EXPECT_EQ(test, lookup_pid(t, &exact), 2U);
	KUNIT_EXPECT_EQ(test, lookup_pid(t, &other), 2U);
	KUNIT_EXPECT_EQ(test, lookup_pid(t, &otheraddr), 1U);

	KUNIT_ASSERT_EQ(test, insert(t, exact, 3, 1, 64), 0);
	KUNIT_EXPECT_EQ(test, lookup_pid(t, &exact), 3U);
	KUNIT_EXPECT_EQ(test, lookup_pid(t, &other), 2U);
}

/*
 * The per-shape counts follow inserts, updates, deletes, sweeps and growth,
 * and a lookup that skips the empty shapes finds what the three probes
 * would: a key of each shape, then the DHCP-like packet whose guest address
 * is zero (its first probe is of the any-address shape itself).
 */
static void xf_table_shape_test(struct kunit *test)
{
	struct xf_table *t = test_table(test, 64), *g;
	struct xf_key exact = mkkey(A, 22, B, 50000);
	struct xf_key gwild = mkkey(A, 22, 0, 0);
	struct xf_key awild = mkkey(0, 22, 0, 0);
	struct xf_key dhcp = mkkey(0, 68, V4(255, 255, 255, 255), 67);
	struct xf_key dhcpw = mkkey(0, 68, 0, 0);

	KUNIT_EXPECT_EQ(test, xf_key_shape(&exact), XF_SHAPE_EXACT);
	KUNIT_EXPECT_EQ(test, xf_key_shape(&gwild), XF_SHAPE_GADDR);
	KUNIT_EXPECT_EQ(test, xf_key_shape(&awild), XF_SHAPE_ANY);
	KUNIT_EXPECT_EQ(test, xf_key_shape(&dhcp), XF_SHAPE_EXACT);

	/* Only the any-address listener: both other probes are skipped. */
	KUNIT_ASSERT_EQ(test, insert(t, awild, 1, 1, 64), 0);
	KUNIT_EXPECT_EQ(test, t->shapes[XF_SHAPE_EXACT], 0U);
	KUNIT_EXPECT_EQ(test, t->shapes[XF_SHAPE_GADDR], 0U);
	KUNIT_EXPECT_EQ(test, t->shapes[XF_SHAPE_ANY], 1U);
	KUNIT_EXPECT_EQ(test, lookup_pid(t, &exact), 1U);
	/* An update is no second entry of its shape. */
	KUNIT_ASSERT_EQ(test, insert(t, awild, 2, 1, 64), 0);
	KUNIT_EXPECT_EQ(test, t->shapes[XF_SHAPE_ANY], 1U);

	KUNIT_ASSERT_EQ(test, insert(t, gwild, 3, 1, 64), 0);
	KUNIT_EXPECT_EQ(test, t->shapes[XF_SHAPE_GADDR], 1U);
	KUNIT_EXPECT_EQ(test, lookup_pid(t, &exact), 3U);
	KUNIT_ASSERT_EQ(test, insert(t, exact, 4, 2, 64), 0);
	KUNIT_EXPECT_EQ(test, t->shapes[XF_SHAPE_EXACT], 1U);
	KUNIT_EXPECT_EQ(test, lookup_pid(t, &exact), 4U);

	/* Growth carries the counts over. */
	mutex_lock(&xf_lock);
	g = xf_table_grow(t, 100000);
	mutex_unlock(&xf_lock);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, g);
	KUNIT_EXPECT_EQ(test, g->shapes[XF_SHAPE_EXACT], 1U);
	KUNIT_EXPECT_EQ(test, g->shapes[XF_SHAPE_GADDR], 1U);
	KUNIT_EXPECT_EQ(test, g->shapes[XF_SHAPE_ANY], 1U);
	KUNIT_EXPECT_EQ(test, lookup_pid(g, &exact), 4U);
	mutex_lock(&xf_lock);
	xf_table_free(g);

	/* Entries removed: their shapes are skipped again, nothing stale. */
	KUNIT_EXPECT_EQ(test, xf_table_delete(t, &gwild), 0);
	mutex_unlock(&xf_lock);
	KUNIT_EXPECT_EQ(test, t->shapes[XF_SHAPE_GADDR], 0U);
	exact.pport = htons(50001);
	KUNIT_EXPECT_EQ(test, lookup_pid(t, &exact), 2U);
	mutex_lock(&xf_lock);
	KUNIT_EXPECT_EQ(test, xf_table_sweep(t, 2), 1U);
	mutex_unlock(&xf_lock);
	KUNIT_EXPECT_EQ(test, t->shapes[XF_SHAPE_ANY], 0U);
	KUNIT_EXPECT_EQ(test, t->shapes[XF_SHAPE_EXACT], 1U);
	KUNIT_EXPECT_EQ(test, lookup_pid(t, &exact), 0U);
	exact.pport = htons(50000);
	KUNIT_EXPECT_EQ(test, lookup_pid(t, &exact), 4U);

	/* A zero guest address: the first probe is of the ANY shape. */
	KUNIT_EXPECT_EQ(test, lookup_pid(t, &dhcp), 0U);
	KUNIT_ASSERT_EQ(test, insert(t, dhcpw, 5, 2, 64), 0);
	KUNIT_EXPECT_EQ(test, lookup_pid(t, &dhcp), 5U);
	KUNIT_ASSERT_EQ(test, insert(t, dhcp, 6, 2, 64), 0);
	KUNIT_EXPECT_EQ(test, lookup_pid(t, &dhcp), 6U);
	KUNIT_EXPECT_EQ(test, t->shapes[XF_SHAPE_EXACT], 2U);
	mutex_lock(&xf_lock);
	KUNIT_EXPECT_EQ(test, xf_table_flush(t), 3U);
	mutex_unlock(&xf_lock);
	KUNIT_EXPECT_EQ(test, t->shapes[XF_SHAPE_EXACT] +
			t->shapes[XF_SHAPE_GADDR] + t->shapes[XF_SHAPE_ANY], 0U);
}

static void xf_table_sweep_test(struct kunit *test)
{
	struct xf_table *t = test_table(test, 64);
	int i;

	for (i = 0; i < 10; i++)
		KUNIT_ASSERT_EQ(test, insert(t, mkkey(A, 1000 + i, B, 80), 100 + i,
					     i < 4 ? 7 : 8, 64), 0);
	/* Entry 0 seen again in batch 8: it survives. */
	KUNIT_ASSERT_EQ(test, insert(t, mkkey(A, 1000, B, 80), 100, 8, 64), 0);
	mutex_lock(&xf_lock);
	KUNIT_EXPECT_EQ(test, xf_table_sweep(t, 8), 3U);
	mutex_unlock(&xf_lock);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->count), 7);
	for (i = 0; i < 10; i++) {
		struct xf_key k = mkkey(A, 1000 + i, B, 80);

		KUNIT_EXPECT_EQ(test, lookup_pid(t, &k),
				(i >= 1 && i < 4) ? 0U : 100U + i);
	}
	mutex_lock(&xf_lock);
	KUNIT_EXPECT_EQ(test, xf_table_flush(t), 7U);
	mutex_unlock(&xf_lock);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->count), 0);
}

static void xf_table_limit_test(struct kunit *test)
{
	struct xf_table *t = test_table(test, 4);
	int i;

	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_EQ(test, insert(t, mkkey(A, i + 1, B, 80), i + 1, 1, 4), 0);
	KUNIT_EXPECT_EQ(test, insert(t, mkkey(A, 99, B, 80), 99, 1, 4), -ENOSPC);
	/* Updating an existing entry needs no room. */
	KUNIT_EXPECT_EQ(test, insert(t, mkkey(A, 1, B, 80), 42, 2, 4), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->count), 4);
	/* Many entries in a small table: chains work. */
	for (i = 0; i < 2000; i++)
		KUNIT_ASSERT_EQ(test, insert(t, mkkey(B, i + 1, A, 443), i + 1,
					     1, 3000), 0);
	for (i = 0; i < 2000; i += 97) {
		struct xf_key k = mkkey(B, i + 1, A, 443);

		KUNIT_EXPECT_EQ(test, lookup_pid(t, &k), (u32)i + 1);
	}
}

static void domain_exit(void *data)
{
	xf_domain_free(data);
}

/* A larger limit gets a larger table; every entry is still found. */
static void xf_table_grow_test(struct kunit *test)
{
	struct xf_domain *dom = xf_domain_alloc(11);
	struct xf_table *t0;
	unsigned int bits;
	int i, err = 0;

	KUNIT_ASSERT_NOT_NULL(test, dom);
	KUNIT_ASSERT_EQ(test, 0, defer(test, domain_exit, dom));
	mutex_lock(&xf_lock);
	t0 = xf_dom_table(dom);
	for (i = 0; i < 600 && !err; i++) {
		struct xf_key k = mkkey(A, i + 1, B, 80);
		struct xf_owner_info oi = mkinfo(i + 1, 1, "p");

		err = xf_table_insert(t0, &k, &oi, 1, 100000, U64_MAX);
	}
	KUNIT_EXPECT_EQ(test, err, 0);
	/* Smaller or equal: nothing to do. */
	KUNIT_EXPECT_EQ(test, xf_domain_set_max(dom, 100), 0);
	KUNIT_EXPECT_PTR_EQ(test, xf_dom_table(dom), t0);
	bits = t0->bits;
	/* t0 is freed by the growth: compare with what was read before. */
	KUNIT_EXPECT_EQ(test, xf_domain_set_max(dom, 1U << 20), 0);
	KUNIT_EXPECT_GT(test, xf_dom_table(dom)->bits, bits);
	KUNIT_EXPECT_EQ(test, atomic_read(&xf_dom_table(dom)->count), 600);
	KUNIT_EXPECT_EQ(test, dom->max_entries, 1U << 20);
	mutex_unlock(&xf_lock);
	for (i = 0; i < 600; i += 7) {
		struct xf_key k = mkkey(A, i + 1, B, 80);
		u32 pid;

		rcu_read_lock();
		pid = lookup_pid(xf_dom_table(dom), &k);
		rcu_read_unlock();
		KUNIT_EXPECT_EQ(test, pid, (u32)i + 1);
	}
}

/* ------------------------------------------------------------ flow cache */

/* xf_flow_lookup() as the hooks call it: BH disabled, RCU read side. */
static u32 flow_pid(struct xf_table *t, const struct xf_key *k)
{
	struct xf_owner *o;
	u32 pid;

	rcu_read_lock_bh();
	o = xf_flow_lookup(t, k);
	pid = o ? o->info.pid : 0;
	rcu_read_unlock_bh();
	return pid;
}

/*
 * A second lookup of a flow is answered by the cache without probing the
 * table: with the table's shape counts hidden (no probe can find anything
 * then), the cached flow is still found, an uncached one is not. Many
 * flows through the 256 slots: evicted ones are found in the table again.
 */
static void xf_flow_cache_hit_test(struct kunit *test)
{
	struct xf_table *t = test_table(test, 4096);
	struct xf_key k = mkkey(A, 40000, B, 80);
	struct xf_key other = mkkey(A, 40001, B, 80);
	unsigned int shapes[XF_NSHAPES];
	int i;

	KUNIT_ASSERT_EQ(test, insert(t, k, 812, 1, 4096), 0);
	KUNIT_ASSERT_EQ(test, insert(t, other, 813, 1, 4096), 0);
	KUNIT_EXPECT_EQ(test, flow_pid(t, &k), 812U);
	memcpy(shapes, t->shapes, sizeof(shapes));
	memset(t->shapes, 0, sizeof(t->shapes));
	KUNIT_EXPECT_EQ(test, flow_pid(t, &k), 812U);
	KUNIT_EXPECT_EQ(test, flow_pid(t, &other), 0U);
	memcpy(t->shapes, shapes, sizeof(shapes));

	for (i = 0; i < 2000; i++)
		KUNIT_ASSERT_EQ(test, insert(t, mkkey(B, i + 1, A, 443), i + 1,
					     1, 4096), 0);
	for (i = 0; i < 2000; i++) {
		struct xf_key f = mkkey(B, i + 1, A, 443);

		KUNIT_EXPECT_EQ(test, flow_pid(t, &f), (u32)i + 1);
	}
	for (i = 1999; i >= 0; i -= 3) {
		struct xf_key f = mkkey(B, i + 1, A, 443);

		KUNIT_EXPECT_EQ(test, flow_pid(t, &f), (u32)i + 1);
	}
	/* Nothing found is nothing cached: found once inserted. */
	other.gport = htons(9);
	KUNIT_EXPECT_EQ(test, flow_pid(t, &other), 0U);
	KUNIT_ASSERT_EQ(test, insert(t, other, 9, 1, 4096), 0);
	KUNIT_EXPECT_EQ(test, flow_pid(t, &other), 9U);
}

/*
 * A flow cached on the listener's entry meets a more specific entry
 * inserted since (the guest address, then the connection itself): the
 * new one decides, as the table would.
 */
static void xf_flow_cache_insert_test(struct kunit *test)
{
	struct xf_table *t = test_table(test, 64);
	struct xf_key k = mkkey(A, 22, B, 50000);

	KUNIT_ASSERT_EQ(test, insert(t, mkkey(0, 22, 0, 0), 1, 1, 64), 0);
	KUNIT_EXPECT_EQ(test, flow_pid(t, &k), 1U);
	KUNIT_EXPECT_EQ(test, flow_pid(t, &k), 1U);
	KUNIT_ASSERT_EQ(test, insert(t, mkkey(A, 22, 0, 0), 2, 1, 64), 0);
	KUNIT_EXPECT_EQ(test, flow_pid(t, &k), 2U);
	KUNIT_ASSERT_EQ(test, insert(t, k, 3, 1, 64), 0);
	KUNIT_EXPECT_EQ(test, flow_pid(t, &k), 3U);
	/* A replaced entry (new owner, same key) is not the cached one. */
	KUNIT_ASSERT_EQ(test, insert(t, k, 4, 1, 64), 0);
	KUNIT_EXPECT_EQ(test, flow_pid(t, &k), 4U);
}

/* Deleted or swept entries are never returned, even once freed. */
static void xf_flow_cache_delete_test(struct kunit *test)
{
	struct xf_table *t = test_table(test, 64);
	struct xf_key k = mkkey(A, 22, B, 50000);
	struct xf_key lk = mkkey(0, 22, 0, 0);

	KUNIT_ASSERT_EQ(test, insert(t, lk, 1, 1, 64), 0);
	KUNIT_ASSERT_EQ(test, insert(t, k, 2, 1, 64), 0);
	KUNIT_EXPECT_EQ(test, flow_pid(t, &k), 2U);
	mutex_lock(&xf_lock);
	KUNIT_EXPECT_EQ(test, xf_table_delete(t, &k), 0);
	mutex_unlock(&xf_lock);
	/* Past a grace period: the cached entry's memory is gone too. */
	rcu_barrier();
	KUNIT_EXPECT_EQ(test, flow_pid(t, &k), 1U);

	KUNIT_EXPECT_EQ(test, flow_pid(t, &k), 1U);
	mutex_lock(&xf_lock);
	KUNIT_EXPECT_EQ(test, xf_table_sweep(t, 2), 1U);
	mutex_unlock(&xf_lock);
	rcu_barrier();
	KUNIT_EXPECT_EQ(test, flow_pid(t, &k), 0U);
}

/*
 * A domain's table goes with its last vif: flushed, then freed. A flow
 * cached on it finds nothing in the flushed table, and nothing in the
 * next domain's table either, even at the same address.
 */
static void xf_flow_cache_table_gone_test(struct kunit *test)
{
	struct xf_table *t = test_table(test, 64);
	struct xf_key k = mkkey(A, 22, B, 50000);
	struct xf_domain *dom;
	struct xf_table *dt;
	int i;

	KUNIT_ASSERT_EQ(test, insert(t, k, 2, 1, 64), 0);
	KUNIT_EXPECT_EQ(test, flow_pid(t, &k), 2U);
	mutex_lock(&xf_lock);
	KUNIT_EXPECT_EQ(test, xf_table_flush(t), 1U);
	mutex_unlock(&xf_lock);
	rcu_barrier();
	KUNIT_EXPECT_EQ(test, flow_pid(t, &k), 0U);

	for (i = 0; i < 4; i++) {
		dom = xf_domain_alloc(12);
		KUNIT_ASSERT_NOT_NULL(test, dom);
		mutex_lock(&xf_lock);
		dt = xf_dom_table(dom);
		mutex_unlock(&xf_lock);
		/* The first domain's owner; the next ones have none. */
		if (!i)
			KUNIT_EXPECT_EQ(test, insert(dt, k, 3, 1, 64), 0);
		KUNIT_EXPECT_EQ(test, flow_pid(dt, &k), i ? 0U : 3U);
		xf_domain_free(dom);
		rcu_barrier();
	}
}

/* The owner xf_packet_owner() gives a TCP packet of @k, as the hooks call it. */
static u32 owner_pid(struct xf_table *t, const struct xf_key *k, u8 dir,
		     bool syn, u64 held_at)
{
	struct xf_owner *o;
	struct xf_pkt *p;
	u32 pid;

	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return U32_MAX;
	p->key = *k;
	p->family = AF_INET;
	p->l4proto = IPPROTO_TCP;
	p->dir = dir;
	p->has_key = true;
	p->syn = syn;
	p->held_at = held_at;
	rcu_read_lock_bh();
	o = xf_packet_owner(t, p);
	pid = o ? o->info.pid : 0;
	rcu_read_unlock_bh();
	kfree(p);
	return pid;
}

/*
 * A SYN never reads the slot of its own key: with the exact entry of an
 * earlier connection cached, a SYN in is decided by the listener and a
 * SYN out by nobody (held); after the SYN in, the flow's other packets
 * still find the exact entry. A SYN with no peer, or half of one, is
 * decided by the listener all the same.
 */
static void xf_flow_cache_syn_test(struct kunit *test)
{
	struct xf_table *t = test_table(test, 64);
	struct xf_key k = mkkey(A, 22, B, 50000);
	const u8 in = XFILTER_DIR_IN, out = XFILTER_DIR_OUT;
	u64 held;

	KUNIT_ASSERT_EQ(test, insert(t, mkkey(0, 22, 0, 0), 1, 1, 64), 0);
	KUNIT_ASSERT_EQ(test, insert(t, k, 2, 1, 64), 0);
	KUNIT_EXPECT_EQ(test, owner_pid(t, &k, in, false, 0), 2U);
	KUNIT_EXPECT_EQ(test, owner_pid(t, &k, in, false, 0), 2U);
	KUNIT_EXPECT_EQ(test, owner_pid(t, &k, in, true, 0), 1U);
	KUNIT_EXPECT_EQ(test, owner_pid(t, &k, out, true, 0), 0U);
	/* Held after the entry came: only a newer entry decides it. */
	held = xf_table_stamp_next();
	KUNIT_EXPECT_EQ(test, owner_pid(t, &k, out, true, held), 0U);
	KUNIT_EXPECT_EQ(test, owner_pid(t, &k, in, false, 0), 2U);

	mutex_lock(&xf_lock);
	KUNIT_EXPECT_EQ(test, xf_table_delete(t, &k), 0);
	mutex_unlock(&xf_lock);
	KUNIT_EXPECT_EQ(test, owner_pid(t, &k, in, true, 0), 1U);
	KUNIT_ASSERT_EQ(test, insert(t, k, 3, 1, 64), 0);
	KUNIT_EXPECT_EQ(test, owner_pid(t, &k, in, false, 0), 3U);
	KUNIT_EXPECT_EQ(test, owner_pid(t, &k, out, true, held), 3U);
	/* A SYN in reads the listener's slot only while it still holds. */
	KUNIT_EXPECT_EQ(test, owner_pid(t, &k, in, true, 0), 1U);
	KUNIT_ASSERT_EQ(test, insert(t, mkkey(0, 22, 0, 0), 4, 1, 64), 0);
	KUNIT_EXPECT_EQ(test, owner_pid(t, &k, in, true, 0), 4U);
	KUNIT_ASSERT_EQ(test, insert(t, mkkey(A, 22, 0, 0), 5, 1, 64), 0);
	KUNIT_EXPECT_EQ(test, owner_pid(t, &k, in, true, 0), 5U);
	KUNIT_EXPECT_EQ(test, owner_pid(t, &k, in, true, 0), 5U);
	KUNIT_EXPECT_EQ(test, owner_pid(t, &k, in, false, 0), 3U);
	/* No peer port, no peer address, neither (a wildcard key). */
	k = mkkey(A, 22, B, 0);
	KUNIT_EXPECT_EQ(test, owner_pid(t, &k, in, true, 0), 5U);
	k = mkkey(A, 22, 0, 50000);
	KUNIT_EXPECT_EQ(test, owner_pid(t, &k, in, true, 0), 5U);
	k = mkkey(A, 22, 0, 0);
	KUNIT_EXPECT_EQ(test, owner_pid(t, &k, in, true, 0), 5U);
	KUNIT_EXPECT_EQ(test, owner_pid(t, &k, in, true, 0), 5U);
}

static struct kunit_case xf_table_cases[] = {
	KUNIT_CASE(xf_table_insert_lookup_test),
	KUNIT_CASE(xf_table_wildcard_test),
	KUNIT_CASE(xf_table_shape_test),
	KUNIT_CASE(xf_table_sweep_test),
	KUNIT_CASE(xf_table_limit_test),
	KUNIT_CASE(xf_table_grow_test),
	KUNIT_CASE(xf_flow_cache_hit_test),
	KUNIT_CASE(xf_flow_cache_insert_test),
	KUNIT_CASE(xf_flow_cache_delete_test),
	KUNIT_CASE(xf_flow_cache_table_gone_test),
	KUNIT_CASE(xf_flow_cache_syn_test),
	{}
};

static struct kunit_suite xf_table_suite = {
	.name = "xfilter_table",
	.test_cases = xf_table_cases,
};

/* ------------------------------------------------------------ rule match */

struct match_case {
	const char *name;
	void (*rule)(struct xf_rule *r);
	void (*pkt)(struct xf_match *m, struct xf_owner_info *o);
	bool match;
};

/* The base packet: domain 3, OUT, TCP v4 10.0.0.5:41234 -> 10.0.0.9:25. */
static const union xf_addr base_peer = { .ip = B };

static void base(struct xf_match *m, struct xf_owner_info *o)
{
	*o = mkinfo(812, 1001, "nmap");
	o->gid = 100;
	o->tgid = 800;
	m->domid = 3;
	m->dir = XFILTER_DIR_OUT;
	m->family = AF_INET;
	m->proto = IPPROTO_TCP;
	m->has_ports = true;
	m->gport = 41234;
	m->pport = 25;
	m->paddr = &base_peer;
	m->owner = o;
}

#define R(fn, body) static void fn(struct xf_rule *r) { body; }
#define P(fn, body) static void fn(struct xf_match *m, struct xf_owner_info *o) { body; }

R(r_any, r->verdict = XFILTER_VERDICT_DROP)
R(r_dom3, r->match |= XF_M_DOMID; r->domid = 3)
R(r_dom4, r->match |= XF_M_DOMID; r->domid = 4)
R(r_pid, r->match |= XF_M_PID; r->pid = 812)
R(r_pid_other, r->match |= XF_M_PID; r->pid = 813)
R(r_tgid, r->match |= XF_M_TGID; r->tgid = 800)
R(r_uid, r->match |= XF_M_UID; r->uid = 1001)
R(r_uid_other, r->match |= XF_M_UID; r->uid = 1000)
R(r_gid, r->match |= XF_M_GID; r->gid = 100)
R(r_comm, r->match |= XF_M_COMM; strscpy(r->comm, "nmap", 16))
R(r_comm_prefix, r->match |= XF_M_COMM; strscpy(r->comm, "nma", 16))
R(r_dir_out, r->match |= XF_M_DIR; r->dir = XFILTER_DIR_OUT)
R(r_dir_in, r->match |= XF_M_DIR; r->dir = XFILTER_DIR_IN)
R(r_tcp, r->match |= XF_M_PROTO; r->proto = IPPROTO_TCP)
R(r_udp, r->match |= XF_M_PROTO; r->proto = IPPROTO_UDP)
R(r_v6, r->match |= XF_M_FAMILY; r->family = AF_INET6)
R(r_peer24, r->match |= XF_M_PEER | XF_M_FAMILY; r->family = AF_INET;
	r->peer.ip = V4(10, 0, 0, 0); r->plen = 24)
R(r_peer32_other, r->match |= XF_M_PEER | XF_M_FAMILY; r->family = AF_INET;
	r->peer.ip = V4(10, 0, 0, 8); r->plen = 32)
R(r_peer0, r->match |= XF_M_PEER | XF_M_FAMILY; r->family = AF_INET;
	r->peer.ip = 0; r->plen = 0)
R(r_gport, r->match |= XF_M_GPORT; r->gport_min = 40000; r->gport_max = 42000)
R(r_gport_out, r->match |= XF_M_GPORT; r->gport_min = 1; r->gport_max = 1024)
R(r_pport, r->match |= XF_M_PPORT; r->pport_min = 25; r->pport_max = 25)
R(r_pport_edge, r->match |= XF_M_PPORT; r->pport_min = 26; r->pport_max = 65535)
R(r_unknown, r->flags = XFILTER_RULE_F_OWNER_UNKNOWN)
R(r_expired, r->expires = jiffies - 1 ?: 1)
R(r_future, r->expires = jiffies + HZ * 100)
R(r_uid_dom_tcp, r->match |= XF_M_UID | XF_M_DOMID | XF_M_PROTO;
	r->uid = 1001; r->domid = 3; r->proto = IPPROTO_TCP)

P(p_base, (void)m)
P(p_unknown, m->owner = NULL)
P(p_in, m->dir = XFILTER_DIR_IN)
P(p_icmp, m->proto = IPPROTO_ICMP; m->has_ports = false)
P(p_noip, m->family = 0; m->proto = 0; m->has_ports = false; m->paddr = NULL)
static const union xf_addr a6 = { .b = { 0x20, 0x01 } };

P(p_v6, m->family = AF_INET6; m->paddr = &a6)
P(p_comm_long, strscpy(o->comm, "nmap-extra", 16))

static const struct match_case match_cases[] = {
	{ "empty rule matches all", r_any, p_base, true },
	{ "empty rule matches unknown owner", r_any, p_unknown, true },
	{ "domid", r_dom3, p_base, true },
	{ "domid other", r_dom4, p_base, false },
	{ "pid", r_pid, p_base, true },
	{ "pid other", r_pid_other, p_base, false },
	{ "pid vs unknown owner", r_pid, p_unknown, false },
	{ "tgid", r_tgid, p_base, true },
	{ "uid", r_uid, p_base, true },
	{ "uid other", r_uid_other, p_base, false },
	{ "uid vs unknown owner", r_uid, p_unknown, false },
	{ "gid", r_gid, p_base, true },
	{ "comm", r_comm, p_base, true },
	{ "comm is exact, not prefix", r_comm_prefix, p_base, false },
	{ "comm differs", r_comm, p_comm_long, false },
	{ "dir out", r_dir_out, p_base, true },
	{ "dir in", r_dir_in, p_base, false },
	{ "dir in, packet in", r_dir_in, p_in, true },
	{ "proto tcp", r_tcp, p_base, true },
	{ "proto udp", r_udp, p_base, false },
	{ "family v6 vs v4", r_v6, p_base, false },
	{ "family v6", r_v6, p_v6, true },
	{ "peer /24", r_peer24, p_base, true },
	{ "peer /32 other", r_peer32_other, p_base, false },
	{ "peer /0", r_peer0, p_base, true },
	{ "peer v4 vs v6 packet", r_peer24, p_v6, false },
	{ "peer vs non-IP", r_peer0, p_noip, false },
	{ "guest port range", r_gport, p_base, true },
	{ "guest port range other", r_gport_out, p_base, false },
	{ "peer port", r_pport, p_base, true },
	{ "peer port just outside", r_pport_edge, p_base, false },
	{ "ports vs icmp", r_pport, p_icmp, false },
	{ "owner-unknown vs known", r_unknown, p_base, false },
	{ "owner-unknown vs unknown", r_unknown, p_unknown, true },
	{ "expired rule", r_expired, p_base, false },
	{ "rule expiring later", r_future, p_base, true },
	{ "uid+domid+proto", r_uid_dom_tcp, p_base, true },
	{ "uid+domid+proto, udp", r_uid_dom_tcp, p_icmp, false },
};

static void match_case_desc(const struct match_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(match, match_cases, match_case_desc);

static void xf_rule_match_test(struct kunit *test)
{
	const struct match_case *c = test->param_value;
	struct xf_owner_info o;
	struct xf_rule r = { .verdict = XFILTER_VERDICT_DROP };
	struct xf_match m;

	base(&m, &o);
	c->pkt(&m, &o);
	c->rule(&r);
	KUNIT_EXPECT_EQ(test, xf_rule_matches(&r, &m), c->match);
}

/* --------------------------------------------------------- rule validation */

struct parse_rule_case {
	const char *name;
	void (*put)(struct sk_buff *skb);
	int err;
	u32 match;
};

#define PUT(fn, body) static void fn(struct sk_buff *skb) { body; }
#define VERDICT nla_put_u8(skb, XFILTER_RULE_A_VERDICT, XFILTER_VERDICT_DROP)

PUT(put_min, VERDICT)
PUT(put_none, nla_put_u32(skb, XFILTER_RULE_A_UID, 5))
PUT(put_bad_verdict, nla_put_u8(skb, XFILTER_RULE_A_VERDICT, 9))
PUT(put_none_verdict, nla_put_u8(skb, XFILTER_RULE_A_VERDICT, 0))
PUT(put_all, VERDICT; nla_put_u32(skb, XFILTER_RULE_A_DOMID, 3);
	nla_put_u32(skb, XFILTER_RULE_A_PID, 1);
	nla_put_u32(skb, XFILTER_RULE_A_TGID, 1);
	nla_put_u32(skb, XFILTER_RULE_A_UID, 1);
	nla_put_u32(skb, XFILTER_RULE_A_GID, 1);
	nla_put_string(skb, XFILTER_RULE_A_COMM, "nmap");
	nla_put_u8(skb, XFILTER_RULE_A_DIR, XFILTER_DIR_OUT);
	nla_put_u8(skb, XFILTER_RULE_A_PROTO, IPPROTO_TCP);
	nla_put_in_addr(skb, XFILTER_RULE_A_PEER_ADDR, B);
	nla_put_u8(skb, XFILTER_RULE_A_PEER_PLEN, 24);
	nla_put_u16(skb, XFILTER_RULE_A_GUEST_PORT_MIN, 1);
	nla_put_u16(skb, XFILTER_RULE_A_PEER_PORT_MIN, 25);
	nla_put_u32(skb, XFILTER_RULE_A_TIMEOUT_MS, 1000))
PUT(put_domid_big, VERDICT; nla_put_u32(skb, XFILTER_RULE_A_DOMID, 0x7ff0))
PUT(put_addr5, VERDICT; nla_put(skb, XFILTER_RULE_A_PEER_ADDR, 5, "abcde"))
PUT(put_plen33, VERDICT; nla_put_in_addr(skb, XFILTER_RULE_A_PEER_ADDR, B);
	nla_put_u8(skb, XFILTER_RULE_A_PEER_PLEN, 33))
PUT(put_plen_alone, VERDICT; nla_put_u8(skb, XFILTER_RULE_A_PEER_PLEN, 8))
PUT(put_family_mismatch, VERDICT;
	nla_put_u8(skb, XFILTER_RULE_A_FAMILY, AF_INET6);
	nla_put_in_addr(skb, XFILTER_RULE_A_PEER_ADDR, B))
PUT(put_family_bad, VERDICT; nla_put_u8(skb, XFILTER_RULE_A_FAMILY, 7))
PUT(put_ports_reversed, VERDICT;
	nla_put_u16(skb, XFILTER_RULE_A_GUEST_PORT_MIN, 10);
	nla_put_u16(skb, XFILTER_RULE_A_GUEST_PORT_MAX, 9))
PUT(put_port_max_alone, VERDICT;
	nla_put_u16(skb, XFILTER_RULE_A_PEER_PORT_MAX, 9))
PUT(put_ports_icmp, VERDICT; nla_put_u8(skb, XFILTER_RULE_A_PROTO, 1);
	nla_put_u16(skb, XFILTER_RULE_A_PEER_PORT_MIN, 9))
PUT(put_flags_unknown, VERDICT; nla_put_u32(skb, XFILTER_RULE_A_FLAGS, 2))
PUT(put_flags_contra, VERDICT;
	nla_put_u32(skb, XFILTER_RULE_A_FLAGS, XFILTER_RULE_F_OWNER_UNKNOWN);
	nla_put_u32(skb, XFILTER_RULE_A_UID, 0))
PUT(put_comm_empty, VERDICT; nla_put_string(skb, XFILTER_RULE_A_COMM, ""))
PUT(put_comm_long, VERDICT;
	nla_put_string(skb, XFILTER_RULE_A_COMM, "sixteen-chars-xx"))
PUT(put_timeout0, VERDICT; nla_put_u32(skb, XFILTER_RULE_A_TIMEOUT_MS, 0))
PUT(put_hits, VERDICT; nla_put_u64_64bit(skb, XFILTER_RULE_A_HITS, 1,
					 XFILTER_RULE_A_PAD))
PUT(put_v6_64, VERDICT;
	nla_put(skb, XFILTER_RULE_A_PEER_ADDR, 16, "0123456789abcdef");
	nla_put_u8(skb, XFILTER_RULE_A_PEER_PLEN, 64))
PUT(put_dir_bad, VERDICT; nla_put_u8(skb, XFILTER_RULE_A_DIR, 3))

static const struct parse_rule_case parse_rule_cases[] = {
	{ "verdict only", put_min, 0, 0 },
	{ "no verdict", put_none, -EINVAL },
	{ "verdict out of range", put_bad_verdict, -ERANGE },
	{ "verdict none", put_none_verdict, -ERANGE },
	{ "every selector", put_all, 0,
	  XF_M_DOMID | XF_M_OWNER | XF_M_DIR | XF_M_PROTO | XF_M_FAMILY |
	  XF_M_PEER | XF_M_GPORT | XF_M_PPORT },
	{ "domid above the max", put_domid_big, -ERANGE },
	{ "address of 5 bytes", put_addr5, -EINVAL },
	{ "v4 prefix 33", put_plen33, -EINVAL },
	{ "prefix without address", put_plen_alone, -EINVAL },
	{ "family vs address", put_family_mismatch, -EINVAL },
	{ "family 7", put_family_bad, -EINVAL },
	{ "port range reversed", put_ports_reversed, -EINVAL },
	{ "port max alone", put_port_max_alone, -EINVAL },
	{ "ports with icmp", put_ports_icmp, -EINVAL },
	{ "unknown flag", put_flags_unknown, -EOPNOTSUPP },
	{ "owner-unknown with uid", put_flags_contra, -EINVAL },
	{ "empty comm", put_comm_empty, -EINVAL },
	{ "comm too long", put_comm_long, -EINVAL },
	{ "timeout 0", put_timeout0, -ERANGE },
	{ "counters in a request", put_hits, -EINVAL },
	{ "v6 /64", put_v6_64, 0, XF_M_PEER | XF_M_FAMILY },
	{ "direction 3", put_dir_bad, -ERANGE },
};

static void parse_rule_case_desc(const struct parse_rule_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(parse_rule, parse_rule_cases, parse_rule_case_desc);

static void xf_rule_parse_test(struct kunit *test)
{
	const struct parse_rule_case *c = test->param_value;
	struct netlink_ext_ack extack = {};
	struct sk_buff *skb = alloc_skb(1024, GFP_KERNEL);
	struct nlattr *nest;
	struct xf_rule *r;

	KUNIT_ASSERT_NOT_NULL(test, skb);
	nest = nla_nest_start(skb, XFILTER_A_RULE);
	c->put(skb);
	nla_nest_end(skb, nest);

	r = xf_rule_parse(nest, &extack);
	if (c->err) {
		KUNIT_EXPECT_TRUE(test, IS_ERR(r));
		if (IS_ERR(r))
			KUNIT_EXPECT_EQ(test, PTR_ERR(r), (long)c->err);
		/* Every refusal says why, and most say where. */
		KUNIT_EXPECT_TRUE(test, extack._msg || extack.bad_attr);
	} else {
		KUNIT_ASSERT_FALSE(test, IS_ERR(r));
		KUNIT_EXPECT_EQ(test, r->match, c->match);
		KUNIT_EXPECT_EQ(test, r->prio, (u32)XFILTER_PRIO_DEFAULT);
		if (c->match & XF_M_PEER && r->family == AF_INET6) {
			/* "0123456789abcdef" masked to /64 */
			KUNIT_EXPECT_EQ(test, memcmp(r->peer.b, "01234567", 8), 0);
			KUNIT_EXPECT_EQ(test, r->peer.b[8], 0);
			KUNIT_EXPECT_EQ(test, r->peer.b[15], 0);
		}
		if (c->match & XF_M_PEER && r->family == AF_INET)
			KUNIT_EXPECT_EQ(test, r->peer.ip, V4(10, 0, 0, 0));
		xf_rule_free(r);
	}
	kfree_skb(skb);
}

/* ------------------------------------------------- key and owner parsing */

struct key_case {
	const char *name;
	void (*put)(struct sk_buff *skb);
	int err;
	bool wild_peer;
};

#define KFAM(f) nla_put_u8(skb, XFILTER_KEY_A_FAMILY, f)
#define KPROTO(p) nla_put_u8(skb, XFILTER_KEY_A_PROTO, p)
#define KGPORT nla_put_u16(skb, XFILTER_KEY_A_GUEST_PORT, 22)

PUT(k_v4_full, KFAM(AF_INET); KPROTO(IPPROTO_TCP); KGPORT;
	nla_put_in_addr(skb, XFILTER_KEY_A_GUEST_ADDR, A);
	nla_put_in_addr(skb, XFILTER_KEY_A_PEER_ADDR, B);
	nla_put_u16(skb, XFILTER_KEY_A_PEER_PORT, 50000))
PUT(k_v6_listener, KFAM(AF_INET6); KPROTO(IPPROTO_UDP); KGPORT)
PUT(k_no_family, KPROTO(IPPROTO_TCP); KGPORT)
PUT(k_family_99, KFAM(99); KPROTO(IPPROTO_TCP); KGPORT)
PUT(k_icmp, KFAM(AF_INET); KPROTO(IPPROTO_ICMP); KGPORT)
PUT(k_no_port, KFAM(AF_INET); KPROTO(IPPROTO_TCP))
PUT(k_v4_16, KFAM(AF_INET); KPROTO(IPPROTO_TCP); KGPORT;
	nla_put(skb, XFILTER_KEY_A_GUEST_ADDR, 16, "0123456789abcdef"))
PUT(k_v6_4, KFAM(AF_INET6); KPROTO(IPPROTO_TCP); KGPORT;
	nla_put_in_addr(skb, XFILTER_KEY_A_PEER_ADDR, B))
PUT(k_addr_17, KFAM(AF_INET6); KPROTO(IPPROTO_TCP); KGPORT;
	nla_put(skb, XFILTER_KEY_A_GUEST_ADDR, 17, "0123456789abcdefg"))
PUT(k_port_u8, KFAM(AF_INET); KPROTO(IPPROTO_TCP);
	nla_put_u8(skb, XFILTER_KEY_A_GUEST_PORT, 1))
PUT(k_unknown_attr, KFAM(AF_INET); KPROTO(IPPROTO_TCP); KGPORT;
	nla_put_u32(skb, XFILTER_KEY_A_PEER_PORT + 1, 1))

static const struct key_case key_cases[] = {
	{ "v4 full", k_v4_full, 0, false },
	{ "v6 listener", k_v6_listener, 0, true },
	{ "no family", k_no_family, -EINVAL },
	{ "family 99", k_family_99, -EINVAL },
	{ "icmp", k_icmp, -EINVAL },
	{ "no guest port", k_no_port, -EINVAL },
	{ "v4 with 16 bytes", k_v4_16, -EINVAL },
	{ "v6 with 4 bytes", k_v6_4, -EINVAL },
	{ "17-byte address", k_addr_17, -ERANGE },
	{ "port as u8", k_port_u8, -ERANGE },
	{ "unknown attribute", k_unknown_attr, -EINVAL },
};

static void key_case_desc(const struct key_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(key, key_cases, key_case_desc);

static void xf_key_parse_test(struct kunit *test)
{
	const struct key_case *c = test->param_value;
	struct netlink_ext_ack extack = {};
	struct sk_buff *skb = alloc_skb(512, GFP_KERNEL);
	struct nlattr *nest;
	struct xf_key k;
	int err;

	KUNIT_ASSERT_NOT_NULL(test, skb);
	nest = nla_nest_start(skb, XFILTER_A_KEY);
	c->put(skb);
	nla_nest_end(skb, nest);
	err = xf_nl_key_parse(nest, &k, &extack);
	if (c->err == -ERANGE)
		KUNIT_EXPECT_TRUE(test, err == -ERANGE || err == -EINVAL);
	else
		KUNIT_EXPECT_EQ(test, err, c->err);
	if (err)
		KUNIT_EXPECT_TRUE(test, extack._msg || extack.bad_attr);
	else
		KUNIT_EXPECT_EQ(test, xf_key_peer_wild(&k), c->wild_peer);
	if (!err && !c->wild_peer) {
		struct xf_key want = mkkey(A, 22, B, 50000);

		KUNIT_EXPECT_EQ(test, memcmp(&k, &want, sizeof(k)), 0);
	}
	kfree_skb(skb);
}

static void xf_owner_parse_test(struct kunit *test)
{
	struct netlink_ext_ack extack = {};
	struct sk_buff *skb = alloc_skb(1024, GFP_KERNEL);
	struct nlattr *nest, *key;
	struct xf_owner_info oi;
	struct xf_key k;

	KUNIT_ASSERT_NOT_NULL(test, skb);
	nest = nla_nest_start(skb, XFILTER_A_OWNER);
	key = nla_nest_start(skb, XFILTER_OWNER_A_KEY);
	k_v4_full(skb);
	nla_nest_end(skb, key);
	nla_put_u32(skb, XFILTER_OWNER_A_PID, 812);
	nla_put_u32(skb, XFILTER_OWNER_A_UID, 1001);
	nla_put_string(skb, XFILTER_OWNER_A_COMM, "nmap");
	nla_put_u32(skb, XFILTER_OWNER_A_FLAGS, XFILTER_OWNER_F_SHARED);
	nla_nest_end(skb, nest);
	KUNIT_ASSERT_EQ(test, xf_nl_owner_parse(nest, &k, &oi, &extack), 0);
	KUNIT_EXPECT_EQ(test, oi.pid, 812U);
	KUNIT_EXPECT_EQ(test, oi.uid, 1001U);
	KUNIT_EXPECT_STREQ(test, oi.comm, "nmap");
	KUNIT_EXPECT_EQ(test, oi.flags, XFILTER_OWNER_F_SHARED);

	/* Unknown flag bits: refused as not supported. */
	skb_trim(skb, 0);
	nest = nla_nest_start(skb, XFILTER_A_OWNER);
	key = nla_nest_start(skb, XFILTER_OWNER_A_KEY);
	k_v4_full(skb);
	nla_nest_end(skb, key);
	nla_put_u32(skb, XFILTER_OWNER_A_FLAGS, 1U << 7);
	nla_nest_end(skb, nest);
	KUNIT_EXPECT_EQ(test, xf_nl_owner_parse(nest, &k, &oi, &extack),
			-EOPNOTSUPP);

	/* No key; then counters that only dumps carry. */
	skb_trim(skb, 0);
	nest = nla_nest_start(skb, XFILTER_A_OWNER);
	nla_put_u32(skb, XFILTER_OWNER_A_PID, 1);
	nla_nest_end(skb, nest);
	KUNIT_EXPECT_EQ(test, xf_nl_owner_parse(nest, &k, &oi, &extack),
			-EINVAL);
	skb_trim(skb, 0);
	nest = nla_nest_start(skb, XFILTER_A_OWNER);
	key = nla_nest_start(skb, XFILTER_OWNER_A_KEY);
	k_v4_full(skb);
	nla_nest_end(skb, key);
	nla_put_u64_64bit(skb, XFILTER_OWNER_A_PACKETS, 1, XFILTER_OWNER_A_PAD);
	nla_nest_end(skb, nest);
	KUNIT_EXPECT_EQ(test, xf_nl_owner_parse(nest, &k, &oi, &extack),
			-EINVAL);
	kfree_skb(skb);
}

/* Puts a v4 key from A:@gport to B:50000 as an XFILTER_A_KEY nest. */
static void put_key(struct sk_buff *skb, u16 gport)
{
	struct nlattr *k = nla_nest_start(skb, XFILTER_A_KEY);

	KFAM(AF_INET);
	KPROTO(IPPROTO_UDP);
	nla_put_u16(skb, XFILTER_KEY_A_GUEST_PORT, gport);
	nla_put_in_addr(skb, XFILTER_KEY_A_GUEST_ADDR, A);
	nla_put_in_addr(skb, XFILTER_KEY_A_PEER_ADDR, B);
	nla_put_u16(skb, XFILTER_KEY_A_PEER_PORT, 50000);
	nla_nest_end(skb, k);
}

/*
 * MISS_RESOLVE's key list: up to the cap, every element a valid key; an
 * empty, over-long or partly bad list is refused whole, and says why.
 */
static void xf_keys_parse_test(struct kunit *test)
{
	const unsigned int max = XFILTER_MISS_KEYS_MAX;
	struct netlink_ext_ack extack = {};
	struct sk_buff *skb = alloc_skb(16384, GFP_KERNEL);
	struct xf_key *keys = kunit_kcalloc(test, max, sizeof(*keys),
					    GFP_KERNEL);
	struct xf_key want = mkkey(A, 40002, B, 50000);
	struct nlattr *nest, *o;
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_ASSERT_NOT_NULL(test, keys);
	/* duplicates are the handler's business: all parsed, in order */
	nest = nla_nest_start(skb, XFILTER_A_KEYS);
	put_key(skb, 40001);
	put_key(skb, 40002);
	put_key(skb, 40001);
	nla_nest_end(skb, nest);
	KUNIT_EXPECT_EQ(test, xf_nl_keys_parse(nest, keys, max, &extack), 3);
	want.proto = IPPROTO_UDP;
	KUNIT_EXPECT_EQ(test, memcmp(&keys[1], &want, sizeof(want)), 0);

	/* the cap exactly, then one more */
	skb_trim(skb, 0);
	nest = nla_nest_start(skb, XFILTER_A_KEYS);
	for (i = 0; i < max; i++)
		put_key(skb, 40000 + i);
	nla_nest_end(skb, nest);
	KUNIT_EXPECT_EQ(test, xf_nl_keys_parse(nest, keys, max, &extack),
			(int)max);
	skb_trim(skb, 0);
	nest = nla_nest_start(skb, XFILTER_A_KEYS);
	for (i = 0; i <= max; i++)
		put_key(skb, 40000 + i);
	nla_nest_end(skb, nest);
	extack = (struct netlink_ext_ack){};
	KUNIT_EXPECT_EQ(test, xf_nl_keys_parse(nest, keys, max, &extack),
			-E2BIG);
	KUNIT_EXPECT_NOT_NULL(test, extack._msg);

	/* empty */
	skb_trim(skb, 0);
	nest = nla_nest_start(skb, XFILTER_A_KEYS);
	nla_nest_end(skb, nest);
	extack = (struct netlink_ext_ack){};
	KUNIT_EXPECT_EQ(test, xf_nl_keys_parse(nest, keys, max, &extack),
			-EINVAL);
	KUNIT_EXPECT_NOT_NULL(test, extack._msg);

	/* an owner among the keys */
	skb_trim(skb, 0);
	nest = nla_nest_start(skb, XFILTER_A_KEYS);
	put_key(skb, 40001);
	o = nla_nest_start(skb, XFILTER_A_OWNER);
	nla_put_u32(skb, XFILTER_OWNER_A_PID, 1);
	nla_nest_end(skb, o);
	nla_nest_end(skb, nest);
	extack = (struct netlink_ext_ack){};
	KUNIT_EXPECT_EQ(test, xf_nl_keys_parse(nest, keys, max, &extack),
			-EINVAL);
	KUNIT_EXPECT_PTR_EQ(test, extack.bad_attr, (const struct nlattr *)o);

	/* one bad key in the middle */
	skb_trim(skb, 0);
	nest = nla_nest_start(skb, XFILTER_A_KEYS);
	put_key(skb, 40001);
	o = nla_nest_start(skb, XFILTER_A_KEY);
	KFAM(99);
	KPROTO(IPPROTO_UDP);
	KGPORT;
	nla_nest_end(skb, o);
	put_key(skb, 40003);
	nla_nest_end(skb, nest);
	extack = (struct netlink_ext_ack){};
	KUNIT_EXPECT_EQ(test, xf_nl_keys_parse(nest, keys, max, &extack),
			-EINVAL);
	KUNIT_EXPECT_NOT_NULL(test, extack._msg);
	kfree_skb(skb);
}

static struct kunit_case xf_rules_cases[] = {
	KUNIT_CASE_PARAM(xf_rule_match_test, match_gen_params),
	KUNIT_CASE_PARAM(xf_rule_parse_test, parse_rule_gen_params),
	KUNIT_CASE_PARAM(xf_key_parse_test, key_gen_params),
	KUNIT_CASE(xf_owner_parse_test),
	KUNIT_CASE(xf_keys_parse_test),
	{}
};

static struct kunit_suite xf_rules_suite = {
	.name = "xfilter_rules",
	.test_cases = xf_rules_cases,
};

/* ------------------------------------------ ruleset, generation, verdicts */

struct env {
	struct xf_domain *dom;
	struct xf_vif vif;
};

static void env_exit(void *data)
{
	struct env *e = data;

	xf_hold_test_listener = false;
	xf_hold_vif_drain(&e->vif);
	mutex_lock(&xf_lock);
	list_del(&e->vif.dom_node);
	xf_rules_flush(true, 0);
	mutex_unlock(&xf_lock);
	xf_domain_free(e->dom);
}

/* A domain that no lookup by domid finds, with one vif and no device. */
static struct env *env_new(struct kunit *test, u32 domid)
{
	struct env *e = kunit_kzalloc(test, sizeof(*e), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, e);
	e->dom = xf_domain_alloc(domid);
	KUNIT_ASSERT_NOT_NULL(test, e->dom);
	e->vif.dom = e->dom;
	snprintf(e->vif.ifname, sizeof(e->vif.ifname), "vif%u.0", domid);
	xf_hold_vif_init(&e->vif);
	mutex_lock(&xf_lock);
	list_add(&e->vif.dom_node, &e->dom->vifs);
	mutex_unlock(&xf_lock);
	KUNIT_ASSERT_EQ(test, 0, defer(test, env_exit, e));
	return e;
}

static u64 stat(struct env *e, int idx)
{
	u64 v[XF_NSTATS];

	xf_domain_stats_read(e->dom, v);
	return v[idx];
}

static u32 add_rule(struct kunit *test, u8 verdict, u32 match, u32 domid,
		    u32 uid, u32 prio)
{
	struct xf_rule *r = kzalloc(sizeof(*r), GFP_KERNEL);
	int err;

	KUNIT_ASSERT_NOT_NULL(test, r);
	r->stats = alloc_percpu(struct xf_rule_pcpu);
	KUNIT_ASSERT_NOT_NULL(test, r->stats);
	r->verdict = verdict;
	r->match = match;
	r->domid = domid;
	r->uid = uid;
	r->prio = prio;
	mutex_lock(&xf_lock);
	err = xf_rules_add(r);
	mutex_unlock(&xf_lock);
	KUNIT_ASSERT_EQ(test, err, 0);
	return r->id;
}

static void env_owner(struct kunit *test, struct env *e, struct xf_key k,
		      u32 uid, u32 flags)
{
	struct xf_owner_info oi = mkinfo(500 + uid, uid, "proc");
	int err;

	oi.flags = flags;
	mutex_lock(&xf_lock);
	err = xf_table_insert(xf_dom_table(e->dom), &k, &oi, 1, 100,
			      U64_MAX);
	mutex_unlock(&xf_lock);
	KUNIT_ASSERT_EQ(test, err, 0);
}

/* One TCP packet from the guest (A:41234 -> B:25) through the hook. */
static unsigned int send(struct kunit *test, struct env *e, u16 sport, u8 dir)
{
	struct pkt_spec s = TCP4(.sport = sport);
	struct sk_buff *skb;
	unsigned int v;

	if (dir == XFILTER_DIR_IN) {
		s.saddr = B;
		s.daddr = A;
		s.sport = 25;
		s.dport = sport;
	}
	skb = build_pkt(test, &s);
	rcu_read_lock_bh();
	v = xf_packet_hook(&e->vif, skb, dir);
	rcu_read_unlock_bh();
	if (v != NF_STOLEN)
		kfree_skb(skb);
	return v;
}

/* One TCP packet of the flow A:sport <-> B:25 with these flags. */
static unsigned int send_flags(struct kunit *test, struct env *e, u16 sport,
			       u8 dir, u8 flags)
{
	struct pkt_spec s = TCP4(.sport = sport, .tcpflags = flags);
	struct sk_buff *skb;
	unsigned int v;

	if (dir == XFILTER_DIR_IN) {
		s.saddr = B;
		s.daddr = A;
		s.sport = 25;
		s.dport = sport;
	}
	skb = build_pkt(test, &s);
	rcu_read_lock_bh();
	v = xf_packet_hook(&e->vif, skb, dir);
	rcu_read_unlock_bh();
	if (v != NF_STOLEN)
		kfree_skb(skb);
	return v;
}

static void xf_verdict_cache_test(struct kunit *test)
{
	struct env *e = env_new(test, 3);
	struct xf_key k = mkkey(A, 41234, B, 25);
	struct xf_owner *o;
	u64 gen;
	u32 id;

	env_owner(test, e, k, 1001, 0);
	id = add_rule(test, XFILTER_VERDICT_DROP, XF_M_UID | XF_M_DOMID, 3,
		      1001, 10);
	KUNIT_EXPECT_EQ(test, send(test, e, 41234, XFILTER_DIR_OUT), NF_DROP);
	KUNIT_EXPECT_EQ(test, send(test, e, 41234, XFILTER_DIR_IN), NF_DROP);

	rcu_read_lock();
	gen = rcu_dereference(xf_ruleset)->gen;
	o = xf_table_lookup(xf_dom_table(e->dom), &k);
	KUNIT_ASSERT_NOT_NULL(test, o);
	/* Both directions cached under this generation, rule index 1. */
	KUNIT_EXPECT_EQ(test, (u32)o->cache[0], (u32)gen);
	KUNIT_EXPECT_EQ(test, (u32)o->cache[1], (u32)gen);
	KUNIT_EXPECT_EQ(test, (o->cache[0] >> XF_CACHE_RULE_SHIFT) &
			XF_CACHE_IDX_MASK, 1ULL);
	rcu_read_unlock();

	/* A cached hit decides the same and still counts the rule. */
	KUNIT_EXPECT_EQ(test, send(test, e, 41234, XFILTER_DIR_OUT), NF_DROP);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_DROPPED), 3ULL);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_HITS), 3ULL);
	rcu_read_lock();
	{
		const struct xf_ruleset *rs = rcu_dereference(xf_ruleset);
		u64 hits = 0;
		int cpu;

		for_each_possible_cpu(cpu)
			hits += u64_stats_read(&per_cpu_ptr(rs->rules[0]->stats,
							    cpu)->hits);
		KUNIT_EXPECT_EQ(test, rs->rules[0]->id, id);
		KUNIT_EXPECT_EQ(test, hits, 3ULL);
	}
	rcu_read_unlock();

	/* Another uid on the same port is not concerned. */
	env_owner(test, e, mkkey(A, 41235, B, 25), 1000, 0);
	KUNIT_EXPECT_EQ(test, send(test, e, 41235, XFILTER_DIR_OUT), NF_ACCEPT);

	/* Deleting the rule: the next packet is re-decided at once. */
	mutex_lock(&xf_lock);
	KUNIT_EXPECT_EQ(test, xf_rules_del(id), 0);
	KUNIT_EXPECT_EQ(test, xf_rules_del(id), -ENOENT);
	mutex_unlock(&xf_lock);
	add_rule(test, XFILTER_VERDICT_ACCEPT, XF_M_UID | XF_M_DOMID, 3, 7, 10);
	KUNIT_EXPECT_EQ(test, send(test, e, 41234, XFILTER_DIR_OUT), NF_ACCEPT);
}

/* A new drop rule cuts an established (cached accept) flow. */
static void xf_flow_cut_test(struct kunit *test)
{
	struct env *e = env_new(test, 3);

	env_owner(test, e, mkkey(A, 41234, B, 25), 1001, 0);
	add_rule(test, XFILTER_VERDICT_DROP, XF_M_UID | XF_M_DOMID, 3, 7, 10);
	KUNIT_EXPECT_EQ(test, send(test, e, 41234, XFILTER_DIR_OUT), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, send(test, e, 41234, XFILTER_DIR_OUT), NF_ACCEPT);
	add_rule(test, XFILTER_VERDICT_DROP, XF_M_UID, 0, 1001, 20);
	KUNIT_EXPECT_EQ(test, send(test, e, 41234, XFILTER_DIR_OUT), NF_DROP);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_FLOWS_CUT), 1ULL);
	KUNIT_EXPECT_EQ(test, send(test, e, 41234, XFILTER_DIR_OUT), NF_DROP);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_FLOWS_CUT), 1ULL);
}

/* Priorities: lower first, equal ones in insertion order; log goes on. */
static void xf_priority_test(struct kunit *test)
{
	struct env *e = env_new(test, 3);
	u64 logged;

	env_owner(test, e, mkkey(A, 41234, B, 25), 1001, 0);
	add_rule(test, XFILTER_VERDICT_DROP, XF_M_UID, 0, 1001, 500);
	add_rule(test, XFILTER_VERDICT_ACCEPT, XF_M_UID, 0, 1001, 100);
	add_rule(test, XFILTER_VERDICT_LOG, XF_M_DOMID, 3, 0, 50);
	KUNIT_EXPECT_EQ(test, send(test, e, 41234, XFILTER_DIR_OUT), NF_ACCEPT);
	logged = stat(e, XFILTER_STATS_A_LOGGED);
	KUNIT_EXPECT_EQ(test, logged, 1ULL);
	/* Same priority as the accept, added later: after it. */
	add_rule(test, XFILTER_VERDICT_DROP, XF_M_UID, 0, 1001, 100);
	KUNIT_EXPECT_EQ(test, send(test, e, 41234, XFILTER_DIR_OUT), NF_ACCEPT);
	/* Lower number: before it. */
	add_rule(test, XFILTER_VERDICT_REJECT, XF_M_UID | XF_M_DIR, 0, 1001, 99);
	KUNIT_EXPECT_EQ(test, send(test, e, 41234, XFILTER_DIR_OUT), NF_ACCEPT);
	add_rule(test, XFILTER_VERDICT_DROP, XF_M_UID, 0, 1001, 99);
	KUNIT_EXPECT_EQ(test, send(test, e, 41234, XFILTER_DIR_OUT), NF_DROP);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_LOGGED), 4ULL);
}

static void xf_expiry_test(struct kunit *test)
{
	struct env *e = env_new(test, 3);
	struct xf_ruleset *rs;

	env_owner(test, e, mkkey(A, 41234, B, 25), 1001, 0);
	add_rule(test, XFILTER_VERDICT_DROP, XF_M_UID, 0, 1001, 10);
	KUNIT_EXPECT_EQ(test, send(test, e, 41234, XFILTER_DIR_OUT), NF_DROP);
	/* The cached drop's rule expires: the fast path notices by itself. */
	mutex_lock(&xf_lock);
	rs = rcu_dereference_protected(xf_ruleset, lockdep_is_held(&xf_lock));
	rs->rules[0]->expires = jiffies - 1 ?: 1;
	mutex_unlock(&xf_lock);
	KUNIT_EXPECT_EQ(test, send(test, e, 41234, XFILTER_DIR_OUT), NF_ACCEPT);
}

static void xf_unknown_owner_test(struct kunit *test)
{
	struct env *e = env_new(test, 3);

	/* Only a peer rule for this domain: no owner needed, no hold. */
	add_rule(test, XFILTER_VERDICT_DROP, XF_M_PPORT | XF_M_DOMID, 3, 0, 10);
	{
		struct xf_ruleset *rs;

		mutex_lock(&xf_lock);
		rs = rcu_dereference_protected(xf_ruleset,
					       lockdep_is_held(&xf_lock));
		rs->rules[0]->pport_min = rs->rules[0]->pport_max = 25;
		mutex_unlock(&xf_lock);
	}
	KUNIT_EXPECT_EQ(test, send(test, e, 41234, XFILTER_DIR_OUT), NF_DROP);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_MISSES), 1ULL);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_UNKNOWN), 1ULL);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_NO_DAEMON), 0ULL);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_HELD), 0ULL);

	/* An owner-unknown rule: an unattributed entry counts as unknown. */
	add_rule(test, XFILTER_VERDICT_ACCEPT, XF_M_DOMID, 3, 0, 5);
	KUNIT_EXPECT_EQ(test, send(test, e, 41234, XFILTER_DIR_OUT), NF_ACCEPT);
	mutex_lock(&xf_lock);
	xf_rules_flush(true, 0);
	mutex_unlock(&xf_lock);
	{
		struct xf_rule *r = kzalloc(sizeof(*r), GFP_KERNEL);

		KUNIT_ASSERT_NOT_NULL(test, r);
		r->stats = alloc_percpu(struct xf_rule_pcpu);
		r->verdict = XFILTER_VERDICT_DROP;
		r->flags = XFILTER_RULE_F_OWNER_UNKNOWN;
		mutex_lock(&xf_lock);
		KUNIT_EXPECT_EQ(test, xf_rules_add(r), 0);
		mutex_unlock(&xf_lock);
	}
	env_owner(test, e, mkkey(A, 41234, B, 25), 1001,
		  XFILTER_OWNER_F_UNATTRIBUTED);
	env_owner(test, e, mkkey(A, 41235, B, 25), 1001, 0);
	KUNIT_EXPECT_EQ(test, send(test, e, 41234, XFILTER_DIR_OUT), NF_DROP);
	KUNIT_EXPECT_EQ(test, send(test, e, 41235, XFILTER_DIR_OUT), NF_ACCEPT);
}

static void xf_fail_mode_test(struct kunit *test)
{
	struct env *e = env_new(test, 3);

	add_rule(test, XFILTER_VERDICT_DROP, XF_M_UID, 0, 1001, 10);
	/* A miss, no daemon: fail open decides as owner unknown (accept). */
	KUNIT_EXPECT_EQ(test, send(test, e, 41234, XFILTER_DIR_OUT), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_NO_DAEMON), 1ULL);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_FAIL_OPEN), 1ULL);
	e->dom->fail_mode = XFILTER_FAIL_CLOSED;
	KUNIT_EXPECT_EQ(test, send(test, e, 41234, XFILTER_DIR_OUT), NF_DROP);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_FAIL_CLOSED), 1ULL);
	/* The daemon said "no socket": decided at once, no fail mode. */
	{
		struct xf_key k = mkkey(A, 41234, B, 25);

		xf_neg_insert(e->dom, &k, XF_NEG_NOSOCK, U64_MAX);
	}
	KUNIT_EXPECT_EQ(test, send(test, e, 41234, XFILTER_DIR_OUT), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_NEG_HITS), 1ULL);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_FAIL_CLOSED), 1ULL);
	/* ARP passes even an owner-unknown drop rule. */
	{
		struct pkt_spec arp = { .ethertype = ETH_P_ARP };
		struct sk_buff *skb = build_pkt(test, &arp);
		unsigned int v;

		rcu_read_lock_bh();
		v = xf_packet_hook(&e->vif, skb, XFILTER_DIR_OUT);
		rcu_read_unlock_bh();
		kfree_skb(skb);
		KUNIT_EXPECT_EQ(test, v, NF_ACCEPT);
	}
	/* A disabled domain passes everything, rules or not. */
	e->dom->enabled = false;
	KUNIT_EXPECT_EQ(test, send(test, e, 41236, XFILTER_DIR_OUT), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_PACKETS), 5ULL);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_MISSES), 3ULL);
}

/* Thousands of rules: a table hit costs the same (cached verdict). */
static void xf_many_rules_test(struct kunit *test)
{
	struct env *e = env_new(test, 3);
	struct xf_rule **rules;
	int i, n = 3000, err;

	rules = kcalloc(n, sizeof(*rules), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, rules);
	for (i = 0; i < n; i++) {
		rules[i] = kzalloc(sizeof(*rules[i]), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, rules[i]);
		rules[i]->stats = alloc_percpu(struct xf_rule_pcpu);
		rules[i]->verdict = XFILTER_VERDICT_DROP;
		rules[i]->match = XF_M_UID;
		rules[i]->uid = 20000 + i;
		rules[i]->prio = n - i;
	}
	mutex_lock(&xf_lock);
	err = xf_rules_replace(rules, n);
	mutex_unlock(&xf_lock);
	kfree(rules);
	KUNIT_ASSERT_EQ(test, err, 0);
	env_owner(test, e, mkkey(A, 41234, B, 25), 20000 + 1234, 0);
	env_owner(test, e, mkkey(A, 41235, B, 25), 1, 0);
	KUNIT_EXPECT_EQ(test, send(test, e, 41234, XFILTER_DIR_OUT), NF_DROP);
	KUNIT_EXPECT_EQ(test, send(test, e, 41235, XFILTER_DIR_OUT), NF_ACCEPT);
	rcu_read_lock();
	{
		const struct xf_ruleset *rs = rcu_dereference(xf_ruleset);

		KUNIT_EXPECT_EQ(test, rs->n, (u32)n);
		for (i = 1; i < rs->n; i++)
			KUNIT_EXPECT_LE(test, rs->rules[i - 1]->prio,
					rs->rules[i]->prio);
	}
	rcu_read_unlock();
}

static struct kunit_case xf_verdict_cases[] = {
	KUNIT_CASE(xf_verdict_cache_test),
	KUNIT_CASE(xf_flow_cut_test),
	KUNIT_CASE(xf_priority_test),
	KUNIT_CASE(xf_expiry_test),
	KUNIT_CASE(xf_unknown_owner_test),
	KUNIT_CASE(xf_fail_mode_test),
	KUNIT_CASE(xf_many_rules_test),
	{}
};

static struct kunit_suite xf_verdict_suite = {
	.name = "xfilter_verdict",
	.test_cases = xf_verdict_cases,
};

/* -------------------------------------------------------------- hold queue */

static void xf_hold_limits_test(struct kunit *test)
{
	struct env *e = env_new(test, 3);
	unsigned int saved = xf_hold_max_packets;
	int i;

	add_rule(test, XFILTER_VERDICT_DROP, XF_M_UID, 0, 1001, 10);
	xf_hold_test_listener = true;
	xf_hold_max_packets = 4;
	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_EQ(test, send(test, e, 40000 + (i & 1),
					   XFILTER_DIR_OUT), NF_STOLEN);
	KUNIT_EXPECT_EQ(test, e->vif.held_pkts, 4U);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->dom->held), 4);
	/* Full: the fail mode decides at once, and it is counted. */
	KUNIT_EXPECT_EQ(test, send(test, e, 40002, XFILTER_DIR_OUT), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_HOLD_OVERFLOWS), 1ULL);
	e->dom->fail_mode = XFILTER_FAIL_CLOSED;
	KUNIT_EXPECT_EQ(test, send(test, e, 40002, XFILTER_DIR_OUT), NF_DROP);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_HELD), 4ULL);
	xf_hold_max_packets = saved;

	/* The owner of 40000 arrives: those two are decided (dropped). */
	env_owner(test, e, mkkey(A, 40000, B, 25), 1001, 0);
	mutex_lock(&xf_lock);
	xf_hold_kick(e->dom);
	mutex_unlock(&xf_lock);
	flush_delayed_work(&e->vif.hold_work);
	KUNIT_EXPECT_EQ(test, e->vif.held_pkts, 2U);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_HOLD_RESOLVED), 2ULL);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_DROPPED), 3ULL);
	/* Unload or vif removal frees what is left. */
	xf_hold_vif_drain(&e->vif);
	KUNIT_EXPECT_EQ(test, e->vif.held_pkts, 0U);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->dom->held), 0);
}

/*
 * A queue that reaches its deadline all at once (a storm fills it within
 * milliseconds) is decided XF_HOLD_EXPIRE_BATCH packets per pass, the rest
 * a pass later; each one is still a timeout decided by the fail mode.
 */
static void xf_hold_expire_paced_test(struct kunit *test)
{
	struct env *e = env_new(test, 3);
	unsigned int saved = xf_hold_ms, n = XF_HOLD_EXPIRE_BATCH + 8, i;

	KUNIT_ASSERT_LE(test, n, xf_hold_max_packets);
	add_rule(test, XFILTER_VERDICT_DROP, XF_M_UID, 0, 1001, 10);
	e->dom->fail_mode = XFILTER_FAIL_CLOSED;
	xf_hold_test_listener = true;
	xf_hold_ms = 20;
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ(test, send(test, e, 40000 + i, XFILTER_DIR_OUT), NF_STOLEN);
	xf_hold_ms = saved;
	/* one pass at a time: a dead vif's pass does not arm the next */
	cancel_delayed_work_sync(&e->vif.hold_work);
	msleep(60);
	e->vif.dead = true;
	queue_delayed_work(system_wq, &e->vif.hold_work, 0);
	flush_delayed_work(&e->vif.hold_work);
	KUNIT_EXPECT_EQ(test, e->vif.held_pkts, n - XF_HOLD_EXPIRE_BATCH);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_HOLD_TIMEOUTS), (u64)XF_HOLD_EXPIRE_BATCH);
	queue_delayed_work(system_wq, &e->vif.hold_work, 0);
	flush_delayed_work(&e->vif.hold_work);
	KUNIT_EXPECT_EQ(test, e->vif.held_pkts, 0U);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_HOLD_TIMEOUTS), (u64)n);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_FAIL_CLOSED), (u64)n);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_DROPPED), (u64)n);
	e->vif.dead = false;
}

static void xf_hold_deadline_test(struct kunit *test)
{
	struct env *e = env_new(test, 3);
	unsigned int saved = xf_hold_ms;

	add_rule(test, XFILTER_VERDICT_DROP, XF_M_UID, 0, 1001, 10);
	e->dom->fail_mode = XFILTER_FAIL_CLOSED;
	xf_hold_test_listener = true;
	xf_hold_ms = 20;
	KUNIT_EXPECT_EQ(test, send(test, e, 40000, XFILTER_DIR_OUT), NF_STOLEN);
	KUNIT_EXPECT_EQ(test, send(test, e, 40001, XFILTER_DIR_IN), NF_STOLEN);
	xf_hold_ms = saved;
	/* Nobody really listens: both events are lost, and counted. */
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_MISS_LOST), 2ULL);
	msleep(100);
	flush_delayed_work(&e->vif.hold_work);
	KUNIT_EXPECT_EQ(test, e->vif.held_pkts, 0U);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_HOLD_TIMEOUTS), 2ULL);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_FAIL_CLOSED), 2ULL);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_DROPPED), 2ULL);
	/* The rest of a timed-out flow gets the fail mode without waiting. */
	KUNIT_EXPECT_EQ(test, send(test, e, 40000, XFILTER_DIR_OUT), NF_DROP);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_HELD), 2ULL);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_HOLD_TIMEOUTS), 2ULL);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_FAIL_CLOSED), 3ULL);
	/* Fail open: decided by the rules as owner unknown, at once. */
	e->dom->fail_mode = XFILTER_FAIL_OPEN;
	KUNIT_EXPECT_EQ(test, send(test, e, 40000, XFILTER_DIR_OUT), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_HELD), 2ULL);
	/* Another key is held as usual. */
	KUNIT_EXPECT_EQ(test, send(test, e, 40002, XFILTER_DIR_OUT), NF_STOLEN);
}

static void xf_hold_negative_test(struct kunit *test)
{
	struct env *e = env_new(test, 3);
	struct xf_key k = mkkey(A, 40000, B, 25);

	add_rule(test, XFILTER_VERDICT_DROP, XF_M_UID, 0, 1001, 10);
	add_rule(test, XFILTER_VERDICT_DROP, XF_M_DOMID, 3, 0, 20);
	xf_hold_test_listener = true;
	KUNIT_EXPECT_EQ(test, send(test, e, 40000, XFILTER_DIR_OUT), NF_STOLEN);
	xf_neg_insert(e->dom, &k, XF_NEG_NOSOCK, U64_MAX);
	mutex_lock(&xf_lock);
	xf_hold_kick(e->dom);
	mutex_unlock(&xf_lock);
	flush_delayed_work(&e->vif.hold_work);
	KUNIT_EXPECT_EQ(test, e->vif.held_pkts, 0U);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_DROPPED), 1ULL);
	/* And the next packet of that key is not held at all. */
	KUNIT_EXPECT_EQ(test, send(test, e, 40000, XFILTER_DIR_OUT), NF_DROP);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_NEG_HITS), 1ULL);
}

static void kick(struct env *e)
{
	mutex_lock(&xf_lock);
	xf_hold_kick(e->dom);
	mutex_unlock(&xf_lock);
	flush_delayed_work(&e->vif.hold_work);
}

/*
 * A SYN never takes the exact entry of its 5-tuple: an earlier connection
 * left it (uid 1002, allowed), and the one starting now may be anyone's.
 */
static void xf_syn_stale_exact_test(struct kunit *test)
{
	struct env *e = env_new(test, 3);
	struct xf_key k = mkkey(A, 40000, B, 25);
	struct xf_key lk = mkkey(0, 40000, 0, 0);	/* guest port 40000 */

	add_rule(test, XFILTER_VERDICT_DROP, XF_M_UID, 0, 1001, 10);
	xf_hold_test_listener = true;
	env_owner(test, e, k, 1002, 0);

	/* Non-SYN packets of the flow still hit the exact entry. */
	KUNIT_EXPECT_EQ(test, send_flags(test, e, 40000, XFILTER_DIR_OUT,
					 TCPHDR_ACK), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, send_flags(test, e, 40000, XFILTER_DIR_OUT,
					 TCPHDR_SYN | TCPHDR_ACK), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, send_flags(test, e, 40000, XFILTER_DIR_IN,
					 TCPHDR_ACK), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_HITS), 3ULL);

	/* SYN out: a miss, held; its retransmit joins it. */
	KUNIT_EXPECT_EQ(test, send_flags(test, e, 40000, XFILTER_DIR_OUT,
					 TCPHDR_SYN), NF_STOLEN);
	KUNIT_EXPECT_EQ(test, send_flags(test, e, 40000, XFILTER_DIR_OUT,
					 TCPHDR_SYN), NF_STOLEN);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_MISSES), 2ULL);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->dom->miss_keys), 1);
	/* The stale entry is still there: a kick does not decide them. */
	kick(e);
	KUNIT_EXPECT_EQ(test, e->vif.held_pkts, 2U);
	/* The daemon pushes the new socket's owner (uid 1001): dropped. */
	env_owner(test, e, k, 1001, 0);
	kick(e);
	KUNIT_EXPECT_EQ(test, e->vif.held_pkts, 0U);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_DROPPED), 2ULL);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_HOLD_RESOLVED), 2ULL);

	/* SYN in: a listener entry decides it, at once. */
	env_owner(test, e, lk, 1002, 0);
	KUNIT_EXPECT_EQ(test, send_flags(test, e, 40000, XFILTER_DIR_IN,
					 TCPHDR_SYN), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_HITS), 4ULL);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_DROPPED), 2ULL);
	/* Without a listener entry, a SYN in is a miss too. */
	mutex_lock(&xf_lock);
	KUNIT_EXPECT_EQ(test, xf_table_delete(xf_dom_table(e->dom), &lk), 0);
	mutex_unlock(&xf_lock);
	KUNIT_EXPECT_EQ(test, send_flags(test, e, 40000, XFILTER_DIR_IN,
					 TCPHDR_SYN), NF_STOLEN);
	xf_hold_vif_drain(&e->vif);
}

/*
 * MISS_RESOLVE says no socket has the key: the exact entry is deleted and
 * the held SYN is decided as "owner unknown", not by the stale owner.
 */
static void xf_syn_no_socket_test(struct kunit *test)
{
	struct env *e = env_new(test, 3);
	struct xf_key k = mkkey(A, 40000, B, 25);
	struct xf_key lk = mkkey(0, 40000, 0, 0);

	add_rule(test, XFILTER_VERDICT_ACCEPT, XF_M_UID, 0, 1002, 10);
	add_rule(test, XFILTER_VERDICT_DROP, XF_M_DOMID, 3, 0, 20);
	xf_hold_test_listener = true;
	env_owner(test, e, k, 1002, 0);
	KUNIT_EXPECT_EQ(test, send_flags(test, e, 40000, XFILTER_DIR_OUT,
					 TCPHDR_SYN), NF_STOLEN);
	mutex_lock(&xf_lock);
	xf_hold_no_socket(e->dom, &k, U64_MAX);
	KUNIT_EXPECT_NULL(test, xf_table_lookup_exact(xf_dom_table(e->dom),
						      &k));
	mutex_unlock(&xf_lock);
	flush_delayed_work(&e->vif.hold_work);
	KUNIT_EXPECT_EQ(test, e->vif.held_pkts, 0U);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_DROPPED), 1ULL);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_UNKNOWN), 1ULL);
	/* A wildcard key's MISS_RESOLVE leaves a listener entry alone. */
	env_owner(test, e, lk, 1002, 0);
	mutex_lock(&xf_lock);
	xf_hold_no_socket(e->dom, &lk, U64_MAX);
	KUNIT_EXPECT_EQ(test, atomic_read(&xf_dom_table(e->dom)->count), 1);
	mutex_unlock(&xf_lock);
}

/* An entry as the daemon pushes it, with the scan stamp of its read. */
static struct xf_owner *env_owner_scan(struct kunit *test, struct env *e,
				       struct xf_key k, u32 uid, u64 scan)
{
	struct xf_owner_info oi = mkinfo(500 + uid, uid, "proc");
	struct xf_owner *o;
	int err;

	mutex_lock(&xf_lock);
	err = xf_table_insert(xf_dom_table(e->dom), &k, &oi, 1, 100, scan);
	o = xf_table_lookup_exact(xf_dom_table(e->dom), &k);
	mutex_unlock(&xf_lock);
	KUNIT_ASSERT_EQ(test, err, 0);
	KUNIT_ASSERT_NOT_NULL(test, o);
	return o;
}

/*
 * The daemon read the guest (scan stamp s0) while uid 1002 had the
 * 5-tuple; uid 1001 then took it and its SYN was held, after s0. The
 * answer of that read arrives after the hold but does not decide the SYN;
 * the answer of a read that began after the hold does. Without a scan
 * stamp an entry counts from its insertion, as before.
 */
static void xf_syn_scan_stamp_test(struct kunit *test)
{
	struct env *e = env_new(test, 3);
	struct xf_key k = mkkey(A, 40000, B, 25);
	struct xf_key k2 = mkkey(A, 40001, B, 25);
	struct xf_owner *o;
	u64 s0, held, s1;

	add_rule(test, XFILTER_VERDICT_DROP, XF_M_UID, 0, 1001, 10);
	add_rule(test, XFILTER_VERDICT_DROP, XF_M_DOMID, 3, 0, 20);
	xf_hold_test_listener = true;
	s0 = xf_table_stamp();
	KUNIT_EXPECT_EQ(test, send_flags(test, e, 40000, XFILTER_DIR_OUT,
					 TCPHDR_SYN), NF_STOLEN);
	held = xf_table_stamp();
	KUNIT_EXPECT_GT(test, held, s0);
	/* Holds take stamps of their own: the next one is newer. */
	KUNIT_EXPECT_GT(test, xf_table_stamp_next(), held);

	/* The older read's answer, inserted after the hold: not taken. */
	o = env_owner_scan(test, e, k, 1002, s0);
	KUNIT_EXPECT_EQ(test, o->stamp, s0);
	kick(e);
	KUNIT_EXPECT_EQ(test, e->vif.held_pkts, 1U);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_DROPPED), 0ULL);
	/* A scan stamp cannot make an entry newer than its insertion. */
	s1 = xf_table_stamp();
	o = env_owner_scan(test, e, k2, 1002, U64_MAX - 1);
	KUNIT_EXPECT_EQ(test, o->stamp, s1 + 1);

	/* A read that began after the hold: its answer decides it. */
	s1 = xf_table_stamp();
	o = env_owner_scan(test, e, k, 1001, s1);
	KUNIT_EXPECT_EQ(test, o->stamp, s1);
	kick(e);
	KUNIT_EXPECT_EQ(test, e->vif.held_pkts, 0U);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_DROPPED), 1ULL);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_HOLD_RESOLVED), 1ULL);

	/* The scan stamp equal to the hold's covers it (unique stamps). */
	KUNIT_EXPECT_EQ(test, send_flags(test, e, 40000, XFILTER_DIR_OUT,
					 TCPHDR_SYN), NF_STOLEN);
	held = xf_table_stamp();
	env_owner_scan(test, e, k, 1001, held - 1);
	kick(e);
	KUNIT_EXPECT_EQ(test, e->vif.held_pkts, 1U);
	env_owner_scan(test, e, k, 1001, held);
	kick(e);
	KUNIT_EXPECT_EQ(test, e->vif.held_pkts, 0U);

	/* No scan stamp: the entry counts from its insertion. */
	KUNIT_EXPECT_EQ(test, send_flags(test, e, 40000, XFILTER_DIR_OUT,
					 TCPHDR_SYN), NF_STOLEN);
	o = env_owner_scan(test, e, k, 1001, U64_MAX);
	KUNIT_EXPECT_EQ(test, o->stamp, xf_table_stamp());
	kick(e);
	KUNIT_EXPECT_EQ(test, e->vif.held_pkts, 0U);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_DROPPED), 3ULL);
}

/*
 * A SYN of a held key joins the held one's question; when the answer
 * covers only the first (its read began between the two holds), the later
 * one stays held and asks again instead of waiting out its deadline.
 */
static void xf_syn_scan_stamp_dup_test(struct kunit *test)
{
	struct env *e = env_new(test, 3);
	struct xf_key k = mkkey(A, 40000, B, 25);
	u64 first;

	add_rule(test, XFILTER_VERDICT_DROP, XF_M_UID, 0, 1001, 10);
	add_rule(test, XFILTER_VERDICT_DROP, XF_M_DOMID, 3, 0, 20);
	xf_hold_test_listener = true;
	KUNIT_EXPECT_EQ(test, send_flags(test, e, 40000, XFILTER_DIR_OUT,
					 TCPHDR_SYN), NF_STOLEN);
	first = xf_table_stamp();
	KUNIT_EXPECT_EQ(test, send_flags(test, e, 40000, XFILTER_DIR_OUT,
					 TCPHDR_SYN), NF_STOLEN);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->dom->miss_keys), 1);
	env_owner_scan(test, e, k, 1002, first);
	kick(e);
	KUNIT_EXPECT_EQ(test, e->vif.held_pkts, 1U);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_HOLD_RESOLVED), 1ULL);
	/* The second asked again: one question open, its own. */
	KUNIT_EXPECT_EQ(test, atomic_read(&e->dom->miss_keys), 1);
	env_owner_scan(test, e, k, 1001, xf_table_stamp());
	kick(e);
	KUNIT_EXPECT_EQ(test, e->vif.held_pkts, 0U);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->dom->miss_keys), 0);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_DROPPED), 2ULL);
}

/*
 * MISS_RESOLVE with a scan stamp: "no socket" holds for the packets held
 * before the read only, and an entry from a newer read stays.
 */
static void xf_no_socket_scan_stamp_test(struct kunit *test)
{
	struct env *e = env_new(test, 3);
	struct xf_key k = mkkey(A, 40000, B, 25);
	struct xf_key k2 = mkkey(A, 40001, B, 25);
	u64 s0 = xf_table_stamp();

	add_rule(test, XFILTER_VERDICT_DROP, XF_M_UID, 0, 1001, 10);
	add_rule(test, XFILTER_VERDICT_DROP, XF_M_DOMID, 3, 0, 20);
	xf_hold_test_listener = true;
	KUNIT_EXPECT_EQ(test, send_flags(test, e, 40000, XFILTER_DIR_OUT,
					 TCPHDR_SYN), NF_STOLEN);
	mutex_lock(&xf_lock);
	xf_hold_no_socket(e->dom, &k, s0);
	mutex_unlock(&xf_lock);
	kick(e);
	KUNIT_EXPECT_EQ(test, e->vif.held_pkts, 1U);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_UNKNOWN), 0ULL);
	/* A newer read's entry is not deleted by an older "no socket". */
	env_owner_scan(test, e, k, 1001, xf_table_stamp());
	mutex_lock(&xf_lock);
	xf_hold_no_socket(e->dom, &k, s0);
	KUNIT_EXPECT_NOT_NULL(test, xf_table_lookup_exact(xf_dom_table(e->dom),
							  &k));
	mutex_unlock(&xf_lock);
	kick(e);
	KUNIT_EXPECT_EQ(test, e->vif.held_pkts, 0U);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_DROPPED), 1ULL);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_UNKNOWN), 0ULL);

	/*
	 * A read after the hold (another key: this one's "no socket" is in
	 * the negative cache): decided as "owner unknown", the entry gone.
	 */
	env_owner_scan(test, e, k2, 1002, s0);
	KUNIT_EXPECT_EQ(test, send_flags(test, e, 40001, XFILTER_DIR_OUT,
					 TCPHDR_SYN), NF_STOLEN);
	mutex_lock(&xf_lock);
	xf_hold_no_socket(e->dom, &k2, xf_table_stamp());
	KUNIT_EXPECT_NULL(test, xf_table_lookup_exact(xf_dom_table(e->dom),
						      &k2));
	mutex_unlock(&xf_lock);
	KUNIT_EXPECT_EQ(test, e->vif.held_pkts, 0U);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_UNKNOWN), 1ULL);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_DROPPED), 2ULL);
	/*
	 * The negative cache decides the key's other packets at once, but a
	 * new SYN may be anyone's new socket: it is held and asked about.
	 */
	KUNIT_EXPECT_EQ(test, send_flags(test, e, 40001, XFILTER_DIR_OUT,
					 TCPHDR_ACK), NF_DROP);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_NEG_HITS), 1ULL);
	KUNIT_EXPECT_EQ(test, send_flags(test, e, 40001, XFILTER_DIR_OUT,
					 TCPHDR_SYN), NF_STOLEN);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_NEG_HITS), 1ULL);
	KUNIT_EXPECT_EQ(test, e->vif.held_pkts, 1U);
}

/*
 * MISS_RESOLVE decides its own key's held packets at once, by the key's
 * match alone (no pass of hold_run), and leaves the other keys held for
 * their own answers.
 */
static void xf_no_socket_one_key_test(struct kunit *test)
{
	struct env *e = env_new(test, 3);
	struct xf_key k = mkkey(A, 40001, B, 25);
	u16 port;

	add_rule(test, XFILTER_VERDICT_ACCEPT, XF_M_UID, 0, 1002, 10);
	add_rule(test, XFILTER_VERDICT_DROP, XF_M_DOMID, 3, 0, 20);
	xf_hold_test_listener = true;
	for (port = 40000; port < 40004; port++)
		KUNIT_EXPECT_EQ(test, send_flags(test, e, port, XFILTER_DIR_OUT,
						 TCPHDR_SYN), NF_STOLEN);
	KUNIT_EXPECT_EQ(test, e->vif.held_pkts, 4U);
	mutex_lock(&xf_lock);
	xf_hold_no_socket(e->dom, &k, U64_MAX);
	mutex_unlock(&xf_lock);
	KUNIT_EXPECT_EQ(test, e->vif.held_pkts, 3U);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_HOLD_RESOLVED), 1ULL);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_UNKNOWN), 1ULL);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_DROPPED), 1ULL);
	xf_hold_vif_drain(&e->vif);
}

/*
 * A turn's "no socket" answers at once: one pass decides every held packet
 * of each key (several packets of one key included), a duplicate counts
 * once, a key not held changes nothing, each key is in the negative cache,
 * and the keys that waited for a place at the daemon are asked about at
 * the end. A packet held after the scan stays.
 */
static void xf_no_socket_batch_test(struct kunit *test)
{
	struct env *e = env_new(test, 3);
	unsigned int saved = xf_dom_miss_inflight;
	struct xf_key keys[5], late[2];
	u64 s0;
	u16 port;
	int n;

	add_rule(test, XFILTER_VERDICT_ACCEPT, XF_M_UID, 0, 1002, 10);
	add_rule(test, XFILTER_VERDICT_DROP, XF_M_DOMID, 3, 0, 20);
	xf_hold_test_listener = true;
	xf_dom_miss_inflight = 4;
	for (port = 40000; port < 40006; port++)
		KUNIT_EXPECT_EQ(test, send(test, e, port, XFILTER_DIR_OUT),
				NF_STOLEN);
	KUNIT_EXPECT_EQ(test, send(test, e, 40001, XFILTER_DIR_OUT), NF_STOLEN);
	KUNIT_EXPECT_EQ(test, send(test, e, 40003, XFILTER_DIR_OUT), NF_STOLEN);
	KUNIT_EXPECT_EQ(test, e->vif.held_pkts, 8U);
	/* 40000-40003 asked; 40004 and 40005 wait for a place */
	KUNIT_EXPECT_EQ(test, atomic_read(&e->dom->miss_keys), 4);

	keys[0] = mkkey(A, 40001, B, 25);
	keys[1] = mkkey(A, 40003, B, 25);
	keys[2] = mkkey(A, 40001, B, 25);
	keys[3] = mkkey(A, 40005, B, 25);
	keys[4] = mkkey(A, 41000, B, 25);
	mutex_lock(&xf_lock);
	n = xf_hold_no_socket_keys(e->dom, keys, ARRAY_SIZE(keys), U64_MAX);
	mutex_unlock(&xf_lock);
	KUNIT_EXPECT_EQ(test, n, 4);
	/* 40001 x2, 40003 x2, 40005 decided; 40000, 40002, 40004 held */
	KUNIT_EXPECT_EQ(test, e->vif.held_pkts, 3U);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_HOLD_RESOLVED), 5ULL);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_UNKNOWN), 5ULL);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_DROPPED), 5ULL);
	/*
	 * In the negative cache: a direct-mapped one with a random hash key,
	 * where two of the four keys may share a slot (the later one stays).
	 */
	n = 0;
	for (port = 40001; port < 40006; port += 2) {
		struct xf_key k = mkkey(A, port, B, 25);

		n += xf_neg_lookup(e->dom, &k, 0) == XF_NEG_NOSOCK;
	}
	KUNIT_EXPECT_GE(test, n, 2);
	late[0] = mkkey(A, 40000, B, 25);
	KUNIT_EXPECT_EQ(test, xf_neg_lookup(e->dom, &late[0], 0), XF_NEG_NONE);
	/* two answered of the four asked: 40004 got a place at the end */
	KUNIT_EXPECT_EQ(test, atomic_read(&e->dom->miss_keys), 3);

	/* an answer from a read before a hold leaves that packet held */
	s0 = xf_table_stamp();
	KUNIT_EXPECT_EQ(test, send(test, e, 40006, XFILTER_DIR_OUT), NF_STOLEN);
	late[0] = mkkey(A, 40006, B, 25);
	late[1] = mkkey(A, 40000, B, 25);
	mutex_lock(&xf_lock);
	n = xf_hold_no_socket_keys(e->dom, late, ARRAY_SIZE(late), s0);
	mutex_unlock(&xf_lock);
	KUNIT_EXPECT_EQ(test, n, 2);
	KUNIT_EXPECT_EQ(test, e->vif.held_pkts, 3U);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_HOLD_RESOLVED), 6ULL);
	xf_dom_miss_inflight = saved;
	xf_hold_vif_drain(&e->vif);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->dom->miss_keys), 0);
}

/*
 * A real net_device named like a vif: the notifier attaches the hooks, a
 * rename moves them, packets go through both hooks, and held packets are
 * re-injected past the vif's own hook exactly once.
 */
struct tdev_priv {
	atomic_t xmit;
};

static netdev_tx_t tdev_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct tdev_priv *p = netdev_priv(dev);

	atomic_inc(&p->xmit);
	dev_kfree_skb_any(skb);
	return NETDEV_TX_OK;
}

static const struct net_device_ops tdev_ops = {
	.ndo_start_xmit = tdev_xmit,
};

static void tdev_setup(struct net_device *dev)
{
	ether_setup(dev);
	dev->netdev_ops = &tdev_ops;
	dev->tx_queue_len = 0;
	dev->priv_flags |= IFF_NO_QUEUE;
}

/* net/core/dev.h, not in include/ in 6.1; the tests are built in. */
int dev_change_name(struct net_device *dev, const char *newname);

static bool dom_has_vif(u32 domid, const char *name)
{
	struct xf_domain *dom;
	struct xf_vif *vif;
	bool found = false;

	mutex_lock(&xf_lock);
	dom = xf_domain_get(domid);
	if (dom)
		list_for_each_entry(vif, &dom->vifs, dom_node)
			found |= !strcmp(vif->ifname, name);
	mutex_unlock(&xf_lock);
	return found;
}

static void tdev_exit(void *data)
{
	xf_hold_test_listener = false;
	mutex_lock(&xf_lock);
	xf_rules_flush(true, 0);
	mutex_unlock(&xf_lock);
	unregister_netdev(data);
	free_netdev(data);
}

static void xf_vif_device_test(struct kunit *test)
{
	struct pkt_spec spec = TCP4(.saddr = B, .daddr = A, .sport = 25,
				    .dport = 40000);
	struct net_device *dev;
	struct tdev_priv *priv;
	struct xf_domain *dom;
	struct sk_buff *skb;
	u64 before[XF_NSTATS], after[XF_NSTATS];
	int err;

	dev = alloc_netdev(sizeof(*priv), "tdev0", NET_NAME_USER, tdev_setup);
	KUNIT_ASSERT_NOT_NULL(test, dev);
	priv = netdev_priv(dev);
	err = register_netdev(dev);
	if (err)
		free_netdev(dev);
	KUNIT_ASSERT_EQ(test, err, 0);
	KUNIT_ASSERT_EQ(test, 0, defer(test, tdev_exit, dev));

	rtnl_lock();
	KUNIT_EXPECT_EQ(test, dev_change_name(dev, "vif9.0"), 0);
	rtnl_unlock();
	KUNIT_EXPECT_TRUE(test, dom_has_vif(9, "vif9.0"));
	rtnl_lock();
	KUNIT_EXPECT_EQ(test, dev_change_name(dev, "other0"), 0);
	rtnl_unlock();
	KUNIT_EXPECT_FALSE(test, dom_has_vif(9, "vif9.0"));
	rtnl_lock();
	KUNIT_EXPECT_EQ(test, dev_change_name(dev, "vif9.1"), 0);
	KUNIT_EXPECT_EQ(test, dev_open(dev, NULL), 0);
	rtnl_unlock();
	KUNIT_ASSERT_TRUE(test, dom_has_vif(9, "vif9.1"));
	dom = xf_domain_get(9);
	KUNIT_ASSERT_NOT_NULL(test, dom);

	/* Egress (IN): held, then re-injected once its owner is known. */
	add_rule(test, XFILTER_VERDICT_DROP, XF_M_UID, 0, 1001, 10);
	xf_hold_test_listener = true;
	skb = build_pkt(test, &spec);
	skb->dev = dev;
	dev_queue_xmit(skb);
	KUNIT_EXPECT_EQ(test, atomic_read(&priv->xmit), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&dom->held), 1);
	xf_domain_stats_read(dom, before);
	mutex_lock(&xf_lock);
	{
		struct xf_key k = mkkey(A, 40000, B, 25);
		struct xf_owner_info oi = mkinfo(77, 1002, "ok");

		KUNIT_EXPECT_EQ(test, xf_table_insert(xf_dom_table(dom), &k, &oi, 1,
						      100, U64_MAX), 0);
	}
	xf_hold_kick(dom);
	mutex_unlock(&xf_lock);
	{
		struct xf_vif *vif;

		mutex_lock(&xf_lock);
		list_for_each_entry(vif, &dom->vifs, dom_node)
			flush_delayed_work(&vif->hold_work);
		mutex_unlock(&xf_lock);
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&priv->xmit), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&dom->held), 0);
	xf_domain_stats_read(dom, after);
	/* The re-injected packet did not pass the hook a second time. */
	KUNIT_EXPECT_EQ(test, after[XFILTER_STATS_A_PACKETS],
			before[XFILTER_STATS_A_PACKETS]);
	KUNIT_EXPECT_EQ(test, after[XFILTER_STATS_A_HOLD_RESOLVED],
			before[XFILTER_STATS_A_HOLD_RESOLVED] + 1);

	/* A hit now: straight through, counted once. */
	skb = build_pkt(test, &spec);
	skb->dev = dev;
	dev_queue_xmit(skb);
	KUNIT_EXPECT_EQ(test, atomic_read(&priv->xmit), 2);

	/* Ingress (OUT): from the guest, held and re-injected too. */
	spec = (struct pkt_spec)TCP4(.sport = 40001);
	skb = build_pkt(test, &spec);
	skb->protocol = eth_type_trans(skb, dev);
	local_bh_disable();
	netif_receive_skb(skb);
	local_bh_enable();
	KUNIT_EXPECT_EQ(test, atomic_read(&dom->held), 1);
	xf_domain_stats_read(dom, before);
	mutex_lock(&xf_lock);
	{
		struct xf_key k = mkkey(A, 40001, B, 25);
		struct xf_owner_info oi = mkinfo(78, 1001, "bad");

		KUNIT_EXPECT_EQ(test, xf_table_insert(xf_dom_table(dom), &k, &oi, 1,
						      100, U64_MAX), 0);
	}
	xf_hold_kick(dom);
	mutex_unlock(&xf_lock);
	{
		struct xf_vif *vif;

		mutex_lock(&xf_lock);
		list_for_each_entry(vif, &dom->vifs, dom_node)
			flush_delayed_work(&vif->hold_work);
		mutex_unlock(&xf_lock);
	}
	xf_domain_stats_read(dom, after);
	KUNIT_EXPECT_EQ(test, atomic_read(&dom->held), 0);
	KUNIT_EXPECT_EQ(test, after[XFILTER_STATS_A_DROPPED],
			before[XFILTER_STATS_A_DROPPED] + 1);
}

static struct net_device *tdev_new(const char *name)
{
	struct net_device *dev;

	dev = alloc_netdev(sizeof(struct tdev_priv), name, NET_NAME_USER,
			   tdev_setup);
	if (dev && register_netdev(dev)) {
		free_netdev(dev);
		dev = NULL;
	}
	return dev;
}

static void tdev_del(struct net_device *dev)
{
	unregister_netdev(dev);
	free_netdev(dev);
}

static struct xf_domain *dom_lookup(u32 domid)
{
	struct xf_domain *dom;

	mutex_lock(&xf_lock);
	dom = xf_domain_get(domid);
	mutex_unlock(&xf_lock);
	return dom;
}

/*
 * A domain's state lives while it has a vif: a rename within the domain
 * keeps it, the last vif's unregistration frees it (the global counters
 * keep what it counted), and a vif of the same domid starts clean but with
 * the settings an operator made. A rename away frees it too.
 */
static void xf_domain_lifetime_test(struct kunit *test)
{
	const u32 domid = 4001;
	struct xf_dom_conf c = { .set = XF_CONF_FAIL_MODE,
				 .fail_mode = XFILTER_FAIL_CLOSED };
	struct xf_key k = mkkey(A, 40000, B, 25);
	struct xf_owner_info oi = mkinfo(77, 1002, "ok");
	u64 before[XF_NSTATS], after[XF_NSTATS], v[XF_NSTATS];
	struct xf_dom_conf *conf;
	struct net_device *dev;
	struct xf_domain *dom;
	u32 max_entries;
	bool enabled;
	u8 fail_mode;

	/* Settings made, none recorded: nothing to keep. */
	mutex_lock(&xf_lock);
	KUNIT_EXPECT_NULL(test, xf_conf_update(domid, &(struct xf_dom_conf){}));
	KUNIT_EXPECT_NULL(test, xf_conf_get(domid));
	mutex_unlock(&xf_lock);
	KUNIT_EXPECT_NULL(test, dom_lookup(domid));

	dev = tdev_new("vif4001.0");
	KUNIT_ASSERT_NOT_NULL(test, dev);
	dom = dom_lookup(domid);
	KUNIT_EXPECT_NOT_NULL(test, dom);
	if (!dom) {
		tdev_del(dev);
		return;
	}
	KUNIT_EXPECT_TRUE(test, dom->kobj_added);
	KUNIT_EXPECT_EQ(test, dom->fail_mode, (u8)XFILTER_FAIL_OPEN);
	mutex_lock(&xf_lock);
	KUNIT_EXPECT_EQ(test, xf_table_insert(xf_dom_table(dom), &k, &oi, 1,
					      100, U64_MAX), 0);
	conf = xf_conf_update(domid, &c);
	KUNIT_EXPECT_FALSE(test, IS_ERR_OR_NULL(conf));
	mutex_unlock(&xf_lock);
	xf_stat_add(dom, XFILTER_STATS_A_PACKETS, 5);
	xf_stat_add(dom, XFILTER_STATS_A_MISS_LOST, 2);

	/* A rename within the domain keeps its state. */
	rtnl_lock();
	KUNIT_EXPECT_EQ(test, dev_change_name(dev, "vif4001.1"), 0);
	rtnl_unlock();
	KUNIT_EXPECT_PTR_EQ(test, dom_lookup(domid), dom);
	KUNIT_EXPECT_TRUE(test, dom_has_vif(domid, "vif4001.1"));
	rcu_read_lock();
	KUNIT_EXPECT_EQ(test, atomic_read(&xf_dom_table(dom)->count), 1);
	rcu_read_unlock();

	/* The last vif goes: so does the state; the global sums stay. */
	xf_global_stats_read(before);
	tdev_del(dev);
	KUNIT_EXPECT_NULL(test, dom_lookup(domid));
	xf_global_stats_read(after);
	KUNIT_EXPECT_EQ(test, after[XFILTER_STATS_A_PACKETS],
			before[XFILTER_STATS_A_PACKETS]);
	KUNIT_EXPECT_EQ(test, after[XFILTER_STATS_A_MISS_LOST],
			before[XFILTER_STATS_A_MISS_LOST]);
	KUNIT_EXPECT_EQ(test, after[XFILTER_STATS_A_ENTRIES],
			before[XFILTER_STATS_A_ENTRIES] - 1);

	/* Back with the same domid: clean, with the recorded fail mode. */
	dev = tdev_new("vif4001.0");
	KUNIT_ASSERT_NOT_NULL(test, dev);
	dom = dom_lookup(domid);
	KUNIT_EXPECT_NOT_NULL(test, dom);
	if (dom) {
		KUNIT_EXPECT_TRUE(test, dom->kobj_added);
		KUNIT_EXPECT_EQ(test, dom->fail_mode, (u8)XFILTER_FAIL_CLOSED);
		KUNIT_EXPECT_TRUE(test, dom->enabled);
		KUNIT_EXPECT_EQ(test, dom->max_entries, READ_ONCE(xf_max_entries));
		rcu_read_lock();
		KUNIT_EXPECT_NULL(test, xf_table_lookup_exact(xf_dom_table(dom),
							      &k));
		rcu_read_unlock();
		xf_domain_stats_read(dom, v);
		KUNIT_EXPECT_EQ(test, v[XFILTER_STATS_A_PACKETS], 0ULL);
		KUNIT_EXPECT_EQ(test, v[XFILTER_STATS_A_ENTRIES], 0ULL);
	}
	mutex_lock(&xf_lock);
	xf_conf_settings(xf_conf_get(domid), &fail_mode, &enabled,
			 &max_entries);
	mutex_unlock(&xf_lock);
	KUNIT_EXPECT_EQ(test, fail_mode, (u8)XFILTER_FAIL_CLOSED);
	KUNIT_EXPECT_TRUE(test, enabled);

	/* Renamed to no vif's name: the domain has no vif left. */
	rtnl_lock();
	KUNIT_EXPECT_EQ(test, dev_change_name(dev, "other4001"), 0);
	rtnl_unlock();
	KUNIT_EXPECT_NULL(test, dom_lookup(domid));
	tdev_del(dev);
}

/* A miss storm keeps at most dom_miss_inflight keys at the daemon. */
static void xf_hold_inflight_test(struct kunit *test)
{
	struct env *e = env_new(test, 3);
	unsigned int saved = xf_dom_miss_inflight;

	add_rule(test, XFILTER_VERDICT_DROP, XF_M_UID, 0, 1001, 10);
	xf_hold_test_listener = true;
	xf_dom_miss_inflight = 2;
	KUNIT_EXPECT_EQ(test, send(test, e, 40000, XFILTER_DIR_OUT), NF_STOLEN);
	KUNIT_EXPECT_EQ(test, send(test, e, 40001, XFILTER_DIR_OUT), NF_STOLEN);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->dom->miss_keys), 2);
	/* A third key waits, unasked, instead of slipping through. */
	KUNIT_EXPECT_EQ(test, send(test, e, 40002, XFILTER_DIR_OUT), NF_STOLEN);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_HOLD_OVERFLOWS), 0ULL);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->dom->miss_keys), 2);
	/* More packets of a key already asked about wait with it. */
	KUNIT_EXPECT_EQ(test, send(test, e, 40000, XFILTER_DIR_OUT), NF_STOLEN);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->dom->miss_keys), 2);
	KUNIT_EXPECT_EQ(test, e->vif.held_pkts, 4U);
	/* An answer frees a place: the waiting key is asked about. */
	/* (dropped: this vif has no device to re-inject into) */
	env_owner(test, e, mkkey(A, 40000, B, 25), 1001, 0);
	mutex_lock(&xf_lock);
	xf_hold_kick(e->dom);
	mutex_unlock(&xf_lock);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->dom->miss_keys), 2);
	KUNIT_EXPECT_EQ(test, e->vif.held_pkts, 2U);
	KUNIT_EXPECT_EQ(test, stat(e, XFILTER_STATS_A_DROPPED), 2ULL);
	xf_dom_miss_inflight = saved;
	xf_hold_vif_drain(&e->vif);
	KUNIT_EXPECT_EQ(test, atomic_read(&e->dom->miss_keys), 0);
}

static struct kunit_case xf_hold_cases[] = {
	KUNIT_CASE(xf_hold_limits_test),
	KUNIT_CASE(xf_hold_deadline_test),
	KUNIT_CASE(xf_hold_expire_paced_test),
	KUNIT_CASE(xf_hold_negative_test),
	KUNIT_CASE(xf_hold_inflight_test),
	KUNIT_CASE(xf_syn_stale_exact_test),
	KUNIT_CASE(xf_syn_no_socket_test),
	KUNIT_CASE(xf_syn_scan_stamp_test),
	KUNIT_CASE(xf_syn_scan_stamp_dup_test),
	KUNIT_CASE(xf_no_socket_scan_stamp_test),
	KUNIT_CASE(xf_no_socket_one_key_test),
	KUNIT_CASE(xf_no_socket_batch_test),
	KUNIT_CASE(xf_vif_device_test),
	KUNIT_CASE(xf_domain_lifetime_test),
	{}
};

static struct kunit_suite xf_hold_suite = {
	.name = "xfilter_hold",
	.test_cases = xf_hold_cases,
};

/* ------------------------------------------------------------ audit, vifs */

static void xf_audit_format_test(struct kunit *test)
{
	struct pkt_spec s = TCP4();
	struct sk_buff *skb = build_pkt(test, &s);
	struct xf_owner_info o = mkinfo(812, 1001, "nmap");
	struct xf_pkt pkt;
	char buf[256];

	KUNIT_ASSERT_EQ(test, xf_parse(skb, XFILTER_DIR_OUT, &pkt), 0);
	xf_audit_format(buf, sizeof(buf), "vif3.0", 3, &pkt,
			XFILTER_VERDICT_DROP, 4, &o);
	KUNIT_EXPECT_STREQ(test, buf,
			   "verdict=drop dom=3 vif=vif3.0 dir=out pid=812 uid=1001 comm=nmap proto=tcp src=10.0.0.5:41234 dst=10.0.0.9:25 rule=4");
	/* A guest-chosen comm cannot forge keys or lines. */
	strscpy(o.comm, "a b=c\nd", sizeof(o.comm));
	xf_audit_format(buf, sizeof(buf), "vif3.0", 3, &pkt,
			XFILTER_VERDICT_LOG, 0, &o);
	KUNIT_EXPECT_NOT_NULL(test, strstr(buf, " comm=a?b?c?d "));
	KUNIT_EXPECT_NOT_NULL(test, strstr(buf, "verdict=log "));
	KUNIT_EXPECT_NOT_NULL(test, strstr(buf, " rule=-"));
	kfree_skb(skb);

	s = (struct pkt_spec)UDP6();
	skb = build_pkt(test, &s);
	KUNIT_ASSERT_EQ(test, xf_parse(skb, XFILTER_DIR_IN, &pkt), 0);
	xf_audit_format(buf, sizeof(buf), "vif7.1", 7, &pkt,
			XFILTER_VERDICT_REJECT, 9, NULL);
	KUNIT_EXPECT_STREQ(test, buf,
			   "verdict=reject dom=7 vif=vif7.1 dir=in pid=- uid=- comm=- proto=udp src=[2001:db8::a00:5]:5353 dst=[2001:db8::a00:9]:53 rule=9");
	kfree_skb(skb);
}

struct name_case {
	const char *name;
	bool ok;
	u32 domid;
};

static const struct name_case name_cases[] = {
	{ "vif3.0", true, 3 },
	{ "vif32751.15", true, 32751 },
	{ "vif32752.0", false },
	{ "vif3.0x", false },
	{ "vif3", false },
	{ "vif.0", false },
	{ "eth0", false },
	{ "vif3.0-emu", false },
	{ "", false },
};

static void name_case_desc(const struct name_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "\"%s\"", c->name);
}

KUNIT_ARRAY_PARAM(name, name_cases, name_case_desc);

static void xf_vif_name_test(struct kunit *test)
{
	const struct name_case *c = test->param_value;
	u32 domid = 0;

	KUNIT_EXPECT_EQ(test, xf_vif_name_domid(c->name, &domid), c->ok);
	if (c->ok)
		KUNIT_EXPECT_EQ(test, domid, c->domid);
}

static struct kunit_case xf_misc_cases[] = {
	KUNIT_CASE(xf_audit_format_test),
	KUNIT_CASE_PARAM(xf_vif_name_test, name_gen_params),
	{}
};

static struct kunit_suite xf_misc_suite = {
	.name = "xfilter_audit_vif",
	.test_cases = xf_misc_cases,
};

kunit_test_suites(&xf_parse_suite, &xf_table_suite, &xf_rules_suite,
		  &xf_verdict_suite, &xf_hold_suite, &xf_misc_suite);
