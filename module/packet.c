// SPDX-License-Identifier: GPL-2.0
/*
 * The per-packet decision, shared by the vif hooks and the hold queue.
 *
 * Fast path, in order of cost: a domain that is disabled or that no rule
 * can concern is passed after two counters; a packet whose owner is in the
 * table is decided by the verdict cached in the entry when the ruleset
 * generation still matches (one hash lookup, whatever the number of rules);
 * anything else walks the rules. A TCP SYN is the exception: it starts a
 * new connection, so the exact entry of its 5-tuple, left by an earlier
 * connection whose socket may be gone, never decides it (xf_packet_owner).
 * Nothing here allocates except the miss path (hold) and the optional
 * events. Context: softirq or BH disabled, RCU read side.
 */
#include <linux/netfilter.h>
#include <linux/if_ether.h>
#include <kunit/visibility.h>

#include "packet.h"
#include "parse.h"
#include "table.h"
#include "rules.h"
#include "domain.h"
#include "vif.h"
#include "hold.h"
#include "reject.h"
#include "audit.h"
#include "netlink.h"

static const struct xf_ruleset *ruleset(void)
{
	return rcu_dereference_check(xf_ruleset, rcu_read_lock_bh_held());
}

static void fill_match(struct xf_match *m, const struct xf_vif *vif,
		       const struct xf_pkt *pkt,
		       const struct xf_owner_info *owner)
{
	m->domid = vif->dom->domid;
	m->dir = pkt->dir;
	m->family = pkt->family;
	m->proto = pkt->l4proto;
	m->has_ports = pkt->has_key;
	m->gport = ntohs(pkt->key.gport);
	m->pport = ntohs(pkt->key.pport);
	m->paddr = pkt->family ? &pkt->key.paddr : NULL;
	m->owner = owner;
}

static unsigned int finish(struct xf_vif *vif, struct sk_buff *skb,
			   const struct xf_pkt *pkt,
			   const struct xf_ruleset *rs,
			   const struct xf_decision *d,
			   const struct xf_owner_info *owner, u8 reason,
			   bool force_event)
{
	struct xf_domain *dom = vif->dom;
	struct xf_rule *rule = d->rule ? rs->rules[d->rule - 1] : NULL;
	u32 rid = rule ? rule->id : 0;

	if (d->log) {
		struct xf_rule *lr = rs->rules[d->log - 1];

		xf_rule_count(lr, pkt->len);
		xf_stat_inc(dom, XFILTER_STATS_A_LOGGED);
		xf_audit(vif, pkt, XFILTER_VERDICT_LOG, lr->id, owner);
		xf_nl_verdict_event(vif, pkt, XFILTER_VERDICT_LOG, reason,
				    lr->id, owner);
	}
	if (rule)
		xf_rule_count(rule, pkt->len);

	switch (d->verdict) {
	case XFILTER_VERDICT_DROP:
		xf_stat_inc(dom, XFILTER_STATS_A_DROPPED);
		xf_audit(vif, pkt, d->verdict, rid, owner);
		xf_nl_verdict_event(vif, pkt, d->verdict, reason, rid, owner);
		return NF_DROP;
	case XFILTER_VERDICT_REJECT:
		xf_stat_inc(dom, XFILTER_STATS_A_REJECTED);
		xf_audit(vif, pkt, d->verdict, rid, owner);
		xf_nl_verdict_event(vif, pkt, d->verdict, reason, rid, owner);
		xf_reject(vif, skb, pkt);
		return NF_DROP;
	default:
		xf_stat_inc(dom, XFILTER_STATS_A_ACCEPTED);
		if (force_event)
			xf_nl_verdict_event(vif, pkt, XFILTER_VERDICT_ACCEPT,
					    reason, rid, owner);
		return NF_ACCEPT;
	}
}

static u64 cache_pack(u64 gen, const struct xf_decision *d)
{
	return (u32)gen | (u64)d->verdict << XF_CACHE_VERDICT_SHIFT |
	       (u64)d->rule << XF_CACHE_RULE_SHIFT |
	       (u64)d->log << XF_CACHE_LOG_SHIFT;
}

static bool cache_unpack(u64 c, const struct xf_ruleset *rs,
			 struct xf_decision *d)
{
	if ((u32)c != (u32)rs->gen)
		return false;
	d->verdict = (c >> XF_CACHE_VERDICT_SHIFT) & 7;
	d->rule = (c >> XF_CACHE_RULE_SHIFT) & XF_CACHE_IDX_MASK;
	d->log = (c >> XF_CACHE_LOG_SHIFT) & XF_CACHE_IDX_MASK;
	if (d->rule > rs->n || d->log > rs->n)
		return false;
	/* A rule that expired since must not decide any more. */
	if (d->rule && xf_rule_expired(rs->rules[d->rule - 1]))
		return false;
	if (d->log && xf_rule_expired(rs->rules[d->log - 1]))
		return false;
	return true;
}

/*
 * Most hits: the entry's cached decision for this direction is current
 * and is the default accept, with no rule to count and nothing to log, of
 * an attributed owner. xf_decide_owner() would then only count the packet
 * (owner, hits, accepted) and accept it; the caller does that itself.
 */
static __always_inline bool plain_accept(const struct xf_owner *o, u8 dir,
					 const struct xf_ruleset *rs)
{
	u64 c = READ_ONCE(o->cache[dir == XFILTER_DIR_IN]);

	return c == ((u64)XFILTER_VERDICT_ACCEPT << XF_CACHE_VERDICT_SHIFT |
		     (u32)rs->gen) &&
	       !(o->info.flags & XFILTER_OWNER_F_UNATTRIBUTED);
}

static bool cached_plain_accept(const struct xf_owner *o,
				const struct xf_pkt *pkt,
				const struct xf_ruleset *rs)
{
	return plain_accept(o, pkt->dir, rs);
}

/* What decide() counts when cached_plain_accept() accepts. */
static __always_inline void count_plain_accept(struct xf_domain *dom,
					       struct xf_owner *o, u32 len)
{
	xf_stat_add2(dom, XFILTER_STATS_A_HITS, 1, XFILTER_STATS_A_ACCEPTED, 1);
	atomic64_inc(&o->packets);
	atomic64_add(len, &o->bytes);
}

/**
 * xf_decide_owner - decide a packet whose owner entry was found
 * @vif: the vif
 * @skb: the packet
 * @pkt: its parse
 * @rs: the current ruleset
 * @o: the owner entry found
 *
 * The decision depends only on the entry and the direction unless some rule
 * looks at the peer and the entry is a wildcard (a listener sees many
 * peers), so it is cached in the entry under the ruleset generation. A
 * cached accept that becomes a drop is an established flow being cut.
 */
static unsigned int xf_decide_owner(struct xf_vif *vif, struct sk_buff *skb,
				    const struct xf_pkt *pkt,
				    const struct xf_ruleset *rs,
				    struct xf_owner *o)
{
	const struct xf_owner_info *info = &o->info;
	int di = pkt->dir == XFILTER_DIR_IN;
	u8 reason = XFILTER_REASON_RULE;
	struct xf_decision d;
	u64 c;

	/* The walk found the socket but no task: rules see "owner unknown". */
	if (info->flags & XFILTER_OWNER_F_UNATTRIBUTED)
		info = NULL;
	atomic64_inc(&o->packets);
	atomic64_add(pkt->len, &o->bytes);

	c = READ_ONCE(o->cache[di]);
	if (!cache_unpack(c, rs, &d)) {
		struct xf_match m;

		fill_match(&m, vif, pkt, info);
		xf_rules_eval(rs, &m, &d);
		if (!xf_key_peer_wild(&o->key) || !rs->peer_dep) {
			u8 was = (c >> XF_CACHE_VERDICT_SHIFT) & 7;

			if ((u32)c && was == XFILTER_VERDICT_ACCEPT &&
			    (d.verdict == XFILTER_VERDICT_DROP ||
			     d.verdict == XFILTER_VERDICT_REJECT)) {
				xf_stat_inc(vif->dom, XFILTER_STATS_A_FLOWS_CUT);
				reason = XFILTER_REASON_FLOW_CUT;
			}
			WRITE_ONCE(o->cache[di], cache_pack(rs->gen, &d));
		}
	}
	if (!info)
		xf_stat_inc(vif->dom, XFILTER_STATS_A_UNKNOWN);
	return finish(vif, skb, pkt, rs, &d, info, reason, false);
}

static unsigned int xf_decide_unknown(struct xf_vif *vif, struct sk_buff *skb,
				      const struct xf_pkt *pkt,
				      const struct xf_ruleset *rs, u8 reason,
				      bool force_event)
{
	struct xf_decision d;
	struct xf_match m;

	xf_stat_inc(vif->dom, XFILTER_STATS_A_UNKNOWN);
	fill_match(&m, vif, pkt, NULL);
	xf_rules_eval(rs, &m, &d);
	return finish(vif, skb, pkt, rs, &d, NULL, reason, force_event);
}

static unsigned int xf_decide_fail(struct xf_vif *vif, struct sk_buff *skb,
				   const struct xf_pkt *pkt,
				   const struct xf_ruleset *rs,
				   enum xf_fail why)
{
	struct xf_domain *dom = vif->dom;
	u8 reason;

	switch (why) {
	case XF_FAIL_TIMEOUT:
		xf_stat_inc(dom, XFILTER_STATS_A_HOLD_TIMEOUTS);
		/* The rest of this flow need not wait out deadlines too. */
		if (pkt->has_key)
			xf_neg_insert(dom, &pkt->key, XF_NEG_TIMEOUT,
				      U64_MAX);
		reason = XFILTER_REASON_HOLD_TIMEOUT;
		break;
	case XF_FAIL_TIMED_OUT_KEY:
		reason = XFILTER_REASON_HOLD_TIMEOUT;
		break;
	case XF_FAIL_FULL:
		xf_stat_inc(dom, XFILTER_STATS_A_HOLD_OVERFLOWS);
		reason = XFILTER_REASON_HOLD_FULL;
		break;
	default:
		xf_stat_inc(dom, XFILTER_STATS_A_NO_DAEMON);
		reason = XFILTER_REASON_NO_DAEMON;
		break;
	}
	if (READ_ONCE(dom->fail_mode) == XFILTER_FAIL_CLOSED) {
		xf_stat_inc(dom, XFILTER_STATS_A_FAIL_CLOSED);
		xf_stat_inc(dom, XFILTER_STATS_A_DROPPED);
		xf_audit(vif, pkt, XFILTER_VERDICT_DROP, 0, NULL);
		xf_nl_verdict_event(vif, pkt, XFILTER_VERDICT_DROP, reason, 0,
				    NULL);
		return NF_DROP;
	}
	xf_stat_inc(dom, XFILTER_STATS_A_FAIL_OPEN);
	return xf_decide_unknown(vif, skb, pkt, rs, reason, true);
}

/**
 * packet_owner - the owner entry that may decide a packet
 * @t: the domain's table
 * @pkt: the packet's parse (has_key set)
 *
 * Any packet but a TCP SYN without ACK: xf_table_lookup(), exact 5-tuple
 * first, through this CPU's flow cache (xf_flow_lookup()). A SYN is never
 * decided by its key's slot of the cache, nor by the table's exact entry
 * of its key unless held (below): it starts a connection, and an exact
 * entry of its key is an earlier connection's: it stays until the
 * daemon's next batch sweep even when its socket is gone, and anyone may
 * reuse the 5-tuple (binding the source port is enough), so it would hand
 * the new connection someone else's owner. Hence:
 *
 * - OUT (the guest connects): no entry decides it until the packet is
 *   held; the miss asks the daemon, whose targeted lookup finds the new
 *   socket and pushes it with OWNER_ADD, which replaces the stale entry.
 *   A held SYN (@pkt->held_at set) takes only an exact entry whose stamp
 *   is not older than the hold (stamps are unique: an entry stamped at
 *   insertion is newer or older, never equal). An entry's stamp is that
 *   of the daemon's read that found it when the daemon says (scan stamp,
 *   xf_table_insert()): a read that began before the hold may have seen
 *   the socket of another user that had the 5-tuple a moment before this
 *   SYN's sender took it, and its answer, arriving after the hold, must
 *   not decide this SYN; the SYN waits for the answer to its own miss.
 *   After MISS_RESOLVE the exact entry is deleted and the negative cache
 *   decides it as "owner unknown".
 * - IN (the world connects to the guest): a listener decides it, i.e. the
 *   wildcard entries (looked up through the cache under the wildcard key,
 *   which finds listeners only); a held one also takes an exact entry not
 *   older than the hold. It leaves what the table says of its key in the
 *   cache, for the rest of its flow (xf_flow_syn_in()).
 *
 * This costs one targeted lookup per new outgoing connection, which a new
 * connection pays anyway: its socket is not in the table until the next
 * walk. Retransmitted SYNs of a held key join the held packet (one
 * question); one after the answer asks again, at TCP's back-off pace. UDP
 * has no connection start: a stale connected-UDP entry can still be
 * reused until the next batch sweep, so for at most the daemon's refresh
 * period.
 *
 * Context: BH disabled, RCU read side.
 */
static __always_inline struct xf_owner *packet_owner(struct xf_table *t,
						     const struct xf_pkt *pkt)
{
	struct xf_owner *o;

	if (likely(!pkt->syn))
		return xf_flow_lookup(t, &pkt->key);
	if (pkt->held_at) {
		o = xf_table_lookup_exact(t, &pkt->key);
		if (o && o->stamp >= pkt->held_at)
			return o;
	}
	if (pkt->dir == XFILTER_DIR_IN)
		return xf_flow_syn_in(t, &pkt->key);
	return NULL;
}

/* packet_owner(), out of line. Context: BH disabled, RCU read side. */
struct xf_owner *xf_packet_owner(struct xf_table *t, const struct xf_pkt *pkt)
{
	return packet_owner(t, pkt);
}
EXPORT_SYMBOL_IF_KUNIT(xf_packet_owner);

/**
 * xf_packet_resolve - decide a held packet, or one that cannot be held
 * @vif: the vif
 * @skb: the packet
 * @pkt: its parse
 * @fail: XF_FAIL_NONE when the owner may be known now; otherwise why the
 *        packet is decided by the domain's fail mode
 *
 * Returns NF_ACCEPT or NF_DROP; the caller re-injects or frees the packet.
 * Context: BH disabled, RCU read side.
 */
unsigned int xf_packet_resolve(struct xf_vif *vif, struct sk_buff *skb,
			       const struct xf_pkt *pkt, enum xf_fail fail)
{
	const struct xf_ruleset *rs = ruleset();
	struct xf_domain *dom = vif->dom;
	struct xf_owner *o;

	if (!READ_ONCE(dom->enabled)) {
		xf_stat_inc(dom, XFILTER_STATS_A_ACCEPTED);
		return NF_ACCEPT;
	}
	if (fail == XF_FAIL_NONE) {
		/* Never the stale entry of a SYN's key: see xf_packet_owner. */
		o = xf_packet_owner(xf_dom_table(dom), pkt);
		if (o) {
			xf_stat_inc(dom, XFILTER_STATS_A_HOLD_RESOLVED);
			return xf_decide_owner(vif, skb, pkt, rs, o);
		}
		if (xf_neg_lookup(dom, &pkt->key, pkt->held_at) ==
		    XF_NEG_TIMEOUT)
			return xf_decide_fail(vif, skb, pkt, rs,
					      XF_FAIL_TIMED_OUT_KEY);
		xf_stat_inc(dom, XFILTER_STATS_A_HOLD_RESOLVED);
		return xf_decide_unknown(vif, skb, pkt, rs,
					 XFILTER_REASON_RULE, false);
	}
	return xf_decide_fail(vif, skb, pkt, rs, fail);
}

/*
 * The part of xf_packet_hook() for a domain that rules may concern. Apart,
 * so that the other packets do not pay for its stack frame: the kernel
 * may zero every local variable on entry (CONFIG_INIT_STACK_ALL_ZERO), and
 * xf_parse() writes all of @pkt anyway.
 */
static noinline unsigned int decide(struct xf_vif *vif, struct sk_buff *skb,
				    u8 dir, const struct xf_ruleset *rs)
{
	struct xf_domain *dom = vif->dom;
	struct xf_pkt pkt __xf_noinit;
	struct xf_owner *o;

	if (xf_parse(skb, dir, &pkt))
		xf_stat_inc(dom, XFILTER_STATS_A_MALFORMED);
	/*
	 * ARP is how the guest reaches anything at all; no socket owns it,
	 * and an "owner unknown" rule must not cut the whole guest off.
	 */
	if (pkt.ethertype == ETH_P_ARP && !pkt.malformed) {
		xf_stat_inc(dom, XFILTER_STATS_A_ACCEPTED);
		return NF_ACCEPT;
	}
	if (!pkt.has_key)
		return xf_decide_unknown(vif, skb, &pkt, rs,
					 XFILTER_REASON_RULE, false);

	o = packet_owner(xf_dom_table(dom), &pkt);
	if (likely(o)) {
		if (likely(cached_plain_accept(o, &pkt, rs))) {
			count_plain_accept(dom, o, pkt.len);
			return NF_ACCEPT;
		}
		xf_stat_inc(dom, XFILTER_STATS_A_HITS);
		return xf_decide_owner(vif, skb, &pkt, rs, o);
	}
	xf_stat_inc(dom, XFILTER_STATS_A_MISSES);

	/*
	 * Holding costs the guest latency and dom0 memory. It buys nothing
	 * when no rule that looks at the owner can apply to this domain: the
	 * decision would be the same once the owner is known, so decide now
	 * as "owner unknown".
	 */
	if (!xf_rules_owner_dep(rs, dom->domid))
		return xf_decide_unknown(vif, skb, &pkt, rs,
					 XFILTER_REASON_RULE, false);
	switch (xf_neg_lookup(dom, &pkt.key, 0)) {
	case XF_NEG_NOSOCK:
		/*
		 * The daemon said lately that no socket has this key. Not
		 * for a SYN: a socket that takes the key now starts a new
		 * connection the answer knew nothing of (anyone may bind
		 * the port: a denied user would pass as "owner unknown"
		 * until the entry expires). It is held and asked about.
		 */
		if (pkt.syn)
			break;
		xf_stat_inc(dom, XFILTER_STATS_A_NEG_HITS);
		return xf_decide_unknown(vif, skb, &pkt, rs,
					 XFILTER_REASON_RULE, false);
	case XF_NEG_TIMEOUT:
		/* ... or did not answer for it in time, a moment ago. */
		xf_stat_inc(dom, XFILTER_STATS_A_NEG_HITS);
		return xf_decide_fail(vif, skb, &pkt, rs,
				      XF_FAIL_TIMED_OUT_KEY);
	default:
		break;
	}
	return xf_hold(vif, skb, &pkt);
}

/*
 * decide() of a TCP SYN from the world: xf_flow_syn_in4() (its common case
 * inline), which also fills the flow cache for the rest of the connection,
 * then, for a listener with a plain cached accept, what decide() counts. Anything else goes to
 * decide() from the start (its lookup finds what this one found, or what
 * the table holds a moment later). Apart from packet_hook(), so that its
 * calls cost the other packets no saved registers.
 */
static noinline unsigned int syn_in(struct xf_vif *vif, struct sk_buff *skb,
				    const struct xf_ruleset *rs,
				    u64 w0, u64 w2, u64 w4)
{
	struct xf_domain *dom = vif->dom;
	struct xf_owner *o;

	o = xf_flow_syn_in4_fast(xf_dom_table(dom), w0, w2, w4);
	if (unlikely(!o))
		o = xf_flow_syn_in4(xf_dom_table(dom), w0, w2, w4);
	if (likely(o && plain_accept(o, XFILTER_DIR_IN, rs))) {
		count_plain_accept(dom, o, skb->len);
		return NF_ACCEPT;
	}
	return decide(vif, skb, XFILTER_DIR_IN, rs);
}

/*
 * xf_packet_hook() for one direction (@dir is a constant in each of the
 * two hooks, so each has its own copy). The packet most hooks see is
 * decided here without a struct xf_pkt: an IPv4 TCP/UDP packet
 * (xf_parse_flow4()) that is not a SYN, whose owner this CPU's flow cache
 * remembers (xf_flow_peek4()) with a plain cached accept
 * (cached_plain_accept()). Its flow stays in registers: no stack frame to
 * zero, nothing written but the counters. A SYN from the world goes to
 * syn_in(); any other packet to decide(), which parses it whole.
 */
static __always_inline unsigned int packet_hook(struct xf_vif *vif,
						struct sk_buff *skb, u8 dir)
{
	struct xf_domain *dom = vif->dom;
	const struct xf_ruleset *rs;
	struct xf_owner *o;
	struct xf_flow4 f;
	u64 w0, w2, w4;

	xf_stat_add2(dom, XFILTER_STATS_A_PACKETS, 1, XFILTER_STATS_A_BYTES,
		     skb->len);
	rs = ruleset();
	/* Disabled, or no rule could concern this domain: nothing to decide. */
	if (unlikely(!rs) || !READ_ONCE(dom->enabled) ||
	    !xf_rules_apply(rs, dom->domid)) {
		xf_stat_inc(dom, XFILTER_STATS_A_ACCEPTED);
		return NF_ACCEPT;
	}
	if (unlikely(!xf_parse_flow4(skb, dir, &f)))
		goto slow;
	xf_flow4_words(&f, &w0, &w2, &w4);
	if (unlikely(f.syn)) {
		if (dir == XFILTER_DIR_IN)
			return syn_in(vif, skb, rs, w0, w2, w4);
		goto slow;
	}
	o = xf_flow_peek4(xf_dom_table(dom), w0, w2, w4);
	if (likely(o && plain_accept(o, dir, rs))) {
		count_plain_accept(dom, o, skb->len);
		return NF_ACCEPT;
	}
slow:
	return decide(vif, skb, dir, rs);
}

/* xf_packet_hook() of the vif's ingress: what the guest sends. */
unsigned int xf_packet_hook_out(struct xf_vif *vif, struct sk_buff *skb)
{
	return packet_hook(vif, skb, XFILTER_DIR_OUT);
}

/* xf_packet_hook() of the vif's egress: what the guest receives. */
unsigned int xf_packet_hook_in(struct xf_vif *vif, struct sk_buff *skb)
{
	return packet_hook(vif, skb, XFILTER_DIR_IN);
}

/**
 * xf_packet_hook - decide one packet seen on a vif
 * @vif: the vif (the hook's private data)
 * @skb: the packet
 * @dir: XFILTER_DIR_OUT on the vif's ingress, XFILTER_DIR_IN on its egress
 *
 * Returns NF_ACCEPT, NF_DROP or NF_STOLEN (held until its owner is known).
 * The hooks call xf_packet_hook_out() and xf_packet_hook_in(), the same.
 * Context: softirq or BH disabled, RCU read side (the netdev hooks).
 */
unsigned int xf_packet_hook(struct xf_vif *vif, struct sk_buff *skb, u8 dir)
{
	if (dir == XFILTER_DIR_IN)
		return xf_packet_hook_in(vif, skb);
	return xf_packet_hook_out(vif, skb);
}
EXPORT_SYMBOL_IF_KUNIT(xf_packet_hook);
