// SPDX-License-Identifier: GPL-2.0
/*
 * Verdict rules. A rule is validated once, when it is parsed from netlink;
 * matching then only compares numbers. The rules live in an immutable
 * ruleset, sorted by priority, rebuilt aside on every change and published
 * with rcu_assign_pointer; the new generation it carries invalidates every
 * verdict cached in the owner tables, so a new drop rule cuts established
 * flows at their next packet. Expiring rules stop matching on the fast path
 * at their deadline and are removed by a delayed work soon after.
 */
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/bitmap.h>
#include <linux/workqueue.h>
#include <linux/jiffies.h>
#include <linux/in.h>
#include <linux/socket.h>
#include <net/ipv6.h>
#include <linux/inetdevice.h>
#include <kunit/visibility.h>

#include "rules.h"
#include "domain.h"
#include "netlink.h"

struct xf_ruleset __rcu *xf_ruleset;
EXPORT_SYMBOL_IF_KUNIT(xf_ruleset);

static u32 xf_next_id = 1;
static u64 xf_next_seq = 1;
static void expiry_work_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(xf_expiry_work, expiry_work_fn);

#define XF_DOM_BITS (XFILTER_DOMID_MAX + 1)

const struct nla_policy xf_rule_policy[XFILTER_RULE_A_MAX + 1] = {
	[XFILTER_RULE_A_ID]		= { .type = NLA_U32 },
	[XFILTER_RULE_A_PRIO]		= { .type = NLA_U32 },
	[XFILTER_RULE_A_VERDICT]	= NLA_POLICY_RANGE(NLA_U8,
						XFILTER_VERDICT_ACCEPT,
						XFILTER_VERDICT_MAX),
	[XFILTER_RULE_A_DOMID]		= NLA_POLICY_MAX(NLA_U32,
							 XFILTER_DOMID_MAX),
	[XFILTER_RULE_A_PID]		= { .type = NLA_U32 },
	[XFILTER_RULE_A_TGID]		= { .type = NLA_U32 },
	[XFILTER_RULE_A_UID]		= { .type = NLA_U32 },
	[XFILTER_RULE_A_GID]		= { .type = NLA_U32 },
	[XFILTER_RULE_A_COMM]		= { .type = NLA_NUL_STRING,
					    .len = XFILTER_COMM_LEN - 1 },
	[XFILTER_RULE_A_DIR]		= NLA_POLICY_MAX(NLA_U8,
							 XFILTER_DIR_MAX),
	[XFILTER_RULE_A_PROTO]		= { .type = NLA_U8 },
	[XFILTER_RULE_A_FAMILY]		= { .type = NLA_U8 },
	[XFILTER_RULE_A_PEER_ADDR]	= { .type = NLA_BINARY, .len = 16 },
	[XFILTER_RULE_A_PEER_PLEN]	= NLA_POLICY_MAX(NLA_U8, 128),
	[XFILTER_RULE_A_GUEST_PORT_MIN]	= { .type = NLA_U16 },
	[XFILTER_RULE_A_GUEST_PORT_MAX]	= { .type = NLA_U16 },
	[XFILTER_RULE_A_PEER_PORT_MIN]	= { .type = NLA_U16 },
	[XFILTER_RULE_A_PEER_PORT_MAX]	= { .type = NLA_U16 },
	[XFILTER_RULE_A_TIMEOUT_MS]	= NLA_POLICY_MIN(NLA_U32, 1),
	[XFILTER_RULE_A_FLAGS]		= { .type = NLA_U32 },
	[XFILTER_RULE_A_HITS]		= { .type = NLA_REJECT },
	[XFILTER_RULE_A_BYTES]		= { .type = NLA_REJECT },
	[XFILTER_RULE_A_EXPIRES_MS]	= { .type = NLA_REJECT },
};

void xf_rule_free(struct xf_rule *r)
{
	if (!r)
		return;
	free_percpu(r->stats);
	kfree(r);
}
EXPORT_SYMBOL_IF_KUNIT(xf_rule_free);

static void rule_free_rcu(struct rcu_head *head)
{
	xf_rule_free(container_of(head, struct xf_rule, rcu));
}

static int parse_port_range(struct nlattr **tb, int amin, int amax,
			    u16 *lo, u16 *hi, struct netlink_ext_ack *extack)
{
	if (!tb[amin]) {
		if (tb[amax]) {
			NL_SET_ERR_MSG_ATTR(extack, tb[amax],
					    "port range maximum without a minimum");
			return -EINVAL;
		}
		return 0;
	}
	*lo = nla_get_u16(tb[amin]);
	*hi = tb[amax] ? nla_get_u16(tb[amax]) : *lo;
	if (*hi < *lo) {
		NL_SET_ERR_MSG_ATTR(extack, tb[amax],
				    "port range maximum below its minimum");
		return -EINVAL;
	}
	return 1;
}

static void mask_addr(union xf_addr *a, u8 family, u8 plen)
{
	if (family == AF_INET) {
		a->ip &= plen ? inet_make_mask(plen) : 0;
		memset(&a->b[4], 0, 12);
	} else {
		struct in6_addr full = a->ip6;

		/* Not in place: ipv6_addr_prefix() clears its output first. */
		ipv6_addr_prefix(&a->ip6, &full, plen);
	}
}

/**
 * xf_rule_parse - validate one XFILTER_A_RULE nest into a new rule
 * @nest: the XFILTER_A_RULE attribute
 * @extack: where errors are told
 *
 * Every check a rule needs happens here, once; the error points at the
 * attribute at fault. Context: process. Returns the rule or an ERR_PTR.
 */
struct xf_rule *xf_rule_parse(const struct nlattr *nest,
			      struct netlink_ext_ack *extack)
{
	struct nlattr *tb[XFILTER_RULE_A_MAX + 1];
	struct xf_rule *r;
	int err;

	err = nla_parse_nested(tb, XFILTER_RULE_A_MAX, nest, xf_rule_policy,
			       extack);
	if (err)
		return ERR_PTR(err);
	if (!tb[XFILTER_RULE_A_VERDICT]) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "rule has no verdict");
		return ERR_PTR(-EINVAL);
	}
	r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (!r)
		return ERR_PTR(-ENOMEM);
	r->stats = alloc_percpu_gfp(struct xf_rule_pcpu, GFP_KERNEL_ACCOUNT);
	if (!r->stats) {
		kfree(r);
		return ERR_PTR(-ENOMEM);
	}

	if (tb[XFILTER_RULE_A_ID])
		r->id = nla_get_u32(tb[XFILTER_RULE_A_ID]);
	r->verdict = nla_get_u8(tb[XFILTER_RULE_A_VERDICT]);
	r->prio = tb[XFILTER_RULE_A_PRIO] ?
		  nla_get_u32(tb[XFILTER_RULE_A_PRIO]) : XFILTER_PRIO_DEFAULT;

#define GET_U32(attr, field, bit)					\
	do {								\
		if (tb[attr]) {						\
			r->field = nla_get_u32(tb[attr]);		\
			r->match |= (bit);				\
		}							\
	} while (0)
	GET_U32(XFILTER_RULE_A_DOMID, domid, XF_M_DOMID);
	GET_U32(XFILTER_RULE_A_PID, pid, XF_M_PID);
	GET_U32(XFILTER_RULE_A_TGID, tgid, XF_M_TGID);
	GET_U32(XFILTER_RULE_A_UID, uid, XF_M_UID);
	GET_U32(XFILTER_RULE_A_GID, gid, XF_M_GID);
#undef GET_U32

	if (tb[XFILTER_RULE_A_COMM]) {
		if (!nla_len(tb[XFILTER_RULE_A_COMM]) ||
		    !*(char *)nla_data(tb[XFILTER_RULE_A_COMM])) {
			NL_SET_ERR_MSG_ATTR(extack, tb[XFILTER_RULE_A_COMM],
					    "empty comm");
			err = -EINVAL;
			goto err;
		}
		nla_strscpy(r->comm, tb[XFILTER_RULE_A_COMM], sizeof(r->comm));
		r->match |= XF_M_COMM;
	}
	if (tb[XFILTER_RULE_A_DIR] && nla_get_u8(tb[XFILTER_RULE_A_DIR])) {
		r->dir = nla_get_u8(tb[XFILTER_RULE_A_DIR]);
		r->match |= XF_M_DIR;
	}
	if (tb[XFILTER_RULE_A_PROTO]) {
		r->proto = nla_get_u8(tb[XFILTER_RULE_A_PROTO]);
		r->match |= XF_M_PROTO;
	}
	if (tb[XFILTER_RULE_A_FAMILY]) {
		r->family = nla_get_u8(tb[XFILTER_RULE_A_FAMILY]);
		if (r->family != AF_INET && r->family != AF_INET6) {
			NL_SET_ERR_MSG_ATTR(extack, tb[XFILTER_RULE_A_FAMILY],
					    "family must be AF_INET or AF_INET6");
			err = -EINVAL;
			goto err;
		}
		r->match |= XF_M_FAMILY;
	}
	if (tb[XFILTER_RULE_A_PEER_ADDR]) {
		struct nlattr *a = tb[XFILTER_RULE_A_PEER_ADDR];
		u8 fam = nla_len(a) == 4 ? AF_INET :
			 nla_len(a) == 16 ? AF_INET6 : 0;
		u8 maxlen = fam == AF_INET ? 32 : 128;

		if (!fam) {
			NL_SET_ERR_MSG_ATTR(extack, a,
					    "peer address must be 4 or 16 bytes");
			err = -EINVAL;
			goto err;
		}
		if (r->family && r->family != fam) {
			NL_SET_ERR_MSG_ATTR(extack, a,
					    "peer address does not match the family");
			err = -EINVAL;
			goto err;
		}
		r->family = fam;
		r->match |= XF_M_FAMILY | XF_M_PEER;
		memcpy(&r->peer, nla_data(a), nla_len(a));
		r->plen = maxlen;
		if (tb[XFILTER_RULE_A_PEER_PLEN]) {
			r->plen = nla_get_u8(tb[XFILTER_RULE_A_PEER_PLEN]);
			if (r->plen > maxlen) {
				NL_SET_ERR_MSG_ATTR(extack,
						    tb[XFILTER_RULE_A_PEER_PLEN],
						    "prefix longer than the address");
				err = -EINVAL;
				goto err;
			}
		}
		mask_addr(&r->peer, fam, r->plen);
	} else if (tb[XFILTER_RULE_A_PEER_PLEN]) {
		NL_SET_ERR_MSG_ATTR(extack, tb[XFILTER_RULE_A_PEER_PLEN],
				    "prefix length without a peer address");
		err = -EINVAL;
		goto err;
	}

	err = parse_port_range(tb, XFILTER_RULE_A_GUEST_PORT_MIN,
			       XFILTER_RULE_A_GUEST_PORT_MAX,
			       &r->gport_min, &r->gport_max, extack);
	if (err < 0)
		goto err;
	if (err)
		r->match |= XF_M_GPORT;
	err = parse_port_range(tb, XFILTER_RULE_A_PEER_PORT_MIN,
			       XFILTER_RULE_A_PEER_PORT_MAX,
			       &r->pport_min, &r->pport_max, extack);
	if (err < 0)
		goto err;
	if (err)
		r->match |= XF_M_PPORT;
	if ((r->match & (XF_M_GPORT | XF_M_PPORT)) && (r->match & XF_M_PROTO) &&
	    r->proto != IPPROTO_TCP && r->proto != IPPROTO_UDP) {
		NL_SET_ERR_MSG_ATTR(extack, tb[XFILTER_RULE_A_PROTO],
				    "ports need TCP or UDP");
		err = -EINVAL;
		goto err;
	}

	if (tb[XFILTER_RULE_A_FLAGS]) {
		r->flags = nla_get_u32(tb[XFILTER_RULE_A_FLAGS]);
		if (r->flags & ~XFILTER_RULE_F_ALL) {
			NL_SET_ERR_MSG_ATTR(extack, tb[XFILTER_RULE_A_FLAGS],
					    "unknown rule flags");
			err = -EOPNOTSUPP;
			goto err;
		}
		if ((r->flags & XFILTER_RULE_F_OWNER_UNKNOWN) &&
		    (r->match & XF_M_OWNER)) {
			NL_SET_ERR_MSG_ATTR(extack, tb[XFILTER_RULE_A_FLAGS],
					    "owner-unknown rule cannot select an owner");
			err = -EINVAL;
			goto err;
		}
	}
	if (tb[XFILTER_RULE_A_TIMEOUT_MS]) {
		r->timeout_ms = nla_get_u32(tb[XFILTER_RULE_A_TIMEOUT_MS]);
		r->expires = jiffies + msecs_to_jiffies(r->timeout_ms);
		if (!r->expires)
			r->expires = 1;
	}
	return r;
err:
	xf_rule_free(r);
	return ERR_PTR(err);
}
EXPORT_SYMBOL_IF_KUNIT(xf_rule_parse);

static void rule_counters(const struct xf_rule *r, u64 *hits, u64 *bytes)
{
	int cpu;

	*hits = 0;
	*bytes = 0;
	for_each_possible_cpu(cpu) {
		const struct xf_rule_pcpu *s = per_cpu_ptr(r->stats, cpu);
		unsigned int start;
		u64 h, b;

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			h = u64_stats_read(&s->hits);
			b = u64_stats_read(&s->bytes);
		} while (u64_stats_fetch_retry(&s->syncp, start));
		*hits += h;
		*bytes += b;
	}
}

/* Puts the rule's attributes (not the enclosing nest). */
int xf_rule_fill(struct sk_buff *skb, const struct xf_rule *r, bool counters)
{
	if (nla_put_u32(skb, XFILTER_RULE_A_ID, r->id) ||
	    nla_put_u32(skb, XFILTER_RULE_A_PRIO, r->prio) ||
	    nla_put_u8(skb, XFILTER_RULE_A_VERDICT, r->verdict))
		return -EMSGSIZE;
	if ((r->match & XF_M_DOMID) &&
	    nla_put_u32(skb, XFILTER_RULE_A_DOMID, r->domid))
		return -EMSGSIZE;
	if ((r->match & XF_M_PID) && nla_put_u32(skb, XFILTER_RULE_A_PID, r->pid))
		return -EMSGSIZE;
	if ((r->match & XF_M_TGID) &&
	    nla_put_u32(skb, XFILTER_RULE_A_TGID, r->tgid))
		return -EMSGSIZE;
	if ((r->match & XF_M_UID) && nla_put_u32(skb, XFILTER_RULE_A_UID, r->uid))
		return -EMSGSIZE;
	if ((r->match & XF_M_GID) && nla_put_u32(skb, XFILTER_RULE_A_GID, r->gid))
		return -EMSGSIZE;
	if ((r->match & XF_M_COMM) &&
	    nla_put_string(skb, XFILTER_RULE_A_COMM, r->comm))
		return -EMSGSIZE;
	if ((r->match & XF_M_DIR) && nla_put_u8(skb, XFILTER_RULE_A_DIR, r->dir))
		return -EMSGSIZE;
	if ((r->match & XF_M_PROTO) &&
	    nla_put_u8(skb, XFILTER_RULE_A_PROTO, r->proto))
		return -EMSGSIZE;
	if ((r->match & XF_M_FAMILY) &&
	    nla_put_u8(skb, XFILTER_RULE_A_FAMILY, r->family))
		return -EMSGSIZE;
	if ((r->match & XF_M_PEER) &&
	    (nla_put(skb, XFILTER_RULE_A_PEER_ADDR,
		     r->family == AF_INET ? 4 : 16, &r->peer) ||
	     nla_put_u8(skb, XFILTER_RULE_A_PEER_PLEN, r->plen)))
		return -EMSGSIZE;
	if ((r->match & XF_M_GPORT) &&
	    (nla_put_u16(skb, XFILTER_RULE_A_GUEST_PORT_MIN, r->gport_min) ||
	     nla_put_u16(skb, XFILTER_RULE_A_GUEST_PORT_MAX, r->gport_max)))
		return -EMSGSIZE;
	if ((r->match & XF_M_PPORT) &&
	    (nla_put_u16(skb, XFILTER_RULE_A_PEER_PORT_MIN, r->pport_min) ||
	     nla_put_u16(skb, XFILTER_RULE_A_PEER_PORT_MAX, r->pport_max)))
		return -EMSGSIZE;
	if (r->flags && nla_put_u32(skb, XFILTER_RULE_A_FLAGS, r->flags))
		return -EMSGSIZE;
	if (r->timeout_ms &&
	    nla_put_u32(skb, XFILTER_RULE_A_TIMEOUT_MS, r->timeout_ms))
		return -EMSGSIZE;
	if (counters) {
		u64 hits, bytes;

		rule_counters(r, &hits, &bytes);
		if (nla_put_u64_64bit(skb, XFILTER_RULE_A_HITS, hits,
				      XFILTER_RULE_A_PAD) ||
		    nla_put_u64_64bit(skb, XFILTER_RULE_A_BYTES, bytes,
				      XFILTER_RULE_A_PAD))
			return -EMSGSIZE;
		if (r->expires) {
			long left = (long)(r->expires - jiffies);

			if (nla_put_u32(skb, XFILTER_RULE_A_EXPIRES_MS,
					left > 0 ? jiffies_to_msecs(left) : 0))
				return -EMSGSIZE;
		}
	}
	return 0;
}

static bool port_in(u16 port, u16 lo, u16 hi)
{
	return port >= lo && port <= hi;
}

/* Context: any. The rule was validated at insert; this only compares. */
bool xf_rule_matches(const struct xf_rule *r, const struct xf_match *m)
{
	u32 sel = r->match;
	const struct xf_owner_info *o = m->owner;

	if (xf_rule_expired(r))
		return false;
	if ((sel & XF_M_DOMID) && r->domid != m->domid)
		return false;
	if ((sel & XF_M_DIR) && r->dir != m->dir)
		return false;
	if ((r->flags & XFILTER_RULE_F_OWNER_UNKNOWN) && o)
		return false;
	if (sel & XF_M_OWNER) {
		if (!o)
			return false;
		if ((sel & XF_M_PID) && r->pid != o->pid)
			return false;
		if ((sel & XF_M_TGID) && r->tgid != o->tgid)
			return false;
		if ((sel & XF_M_UID) && r->uid != o->uid)
			return false;
		if ((sel & XF_M_GID) && r->gid != o->gid)
			return false;
		if ((sel & XF_M_COMM) &&
		    strncmp(r->comm, o->comm, XFILTER_COMM_LEN - 1))
			return false;
	}
	if ((sel & XF_M_PROTO) && r->proto != m->proto)
		return false;
	if ((sel & XF_M_FAMILY) && r->family != m->family)
		return false;
	if (sel & XF_M_PEER) {
		if (!m->paddr)
			return false;
		if (r->family == AF_INET) {
			__be32 mask = r->plen ? inet_make_mask(r->plen) : 0;

			if ((m->paddr->ip & mask) != r->peer.ip)
				return false;
		} else if (!ipv6_prefix_equal(&m->paddr->ip6, &r->peer.ip6,
					      r->plen)) {
			return false;
		}
	}
	if (sel & (XF_M_GPORT | XF_M_PPORT)) {
		if (!m->has_ports)
			return false;
		if ((sel & XF_M_GPORT) &&
		    !port_in(m->gport, r->gport_min, r->gport_max))
			return false;
		if ((sel & XF_M_PPORT) &&
		    !port_in(m->pport, r->pport_min, r->pport_max))
			return false;
	}
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(xf_rule_matches);

/*
 * First matching rule in priority order decides; log rules are noted (the
 * first one) and evaluation goes on. No match: accept. Context: RCU read
 * side.
 */
void xf_rules_eval(const struct xf_ruleset *rs, const struct xf_match *m,
		   struct xf_decision *d)
{
	u32 i;

	d->verdict = XFILTER_VERDICT_ACCEPT;
	d->rule = 0;
	d->log = 0;
	for (i = 0; i < rs->n; i++) {
		const struct xf_rule *r = rs->rules[i];

		if (!xf_rule_matches(r, m))
			continue;
		if (r->verdict == XFILTER_VERDICT_LOG) {
			if (!d->log)
				d->log = i + 1;
			continue;
		}
		d->verdict = r->verdict;
		d->rule = i + 1;
		return;
	}
}
EXPORT_SYMBOL_IF_KUNIT(xf_rules_eval);

void xf_rule_count(struct xf_rule *r, unsigned int len)
{
	struct xf_rule_pcpu *s = this_cpu_ptr(r->stats);
	unsigned long flags;

	flags = u64_stats_update_begin_irqsave(&s->syncp);
	u64_stats_inc(&s->hits);
	u64_stats_add(&s->bytes, len);
	u64_stats_update_end_irqrestore(&s->syncp, flags);
}

static struct xf_ruleset *cur_ruleset(void)
{
	return rcu_dereference_protected(xf_ruleset, lockdep_is_held(&xf_lock));
}

u64 xf_rules_gen(void)
{
	u64 gen;

	rcu_read_lock();
	gen = rcu_dereference(xf_ruleset)->gen;
	rcu_read_unlock();
	return gen;
}

static void ruleset_free(struct xf_ruleset *rs)
{
	if (!rs)
		return;
	bitmap_free(rs->dom_any);
	bitmap_free(rs->dom_owner);
	kvfree(rs);
}

static void ruleset_free_rcu(struct rcu_head *head)
{
	ruleset_free(container_of(head, struct xf_ruleset, rcu));
}

static struct xf_ruleset *ruleset_alloc(u32 n)
{
	struct xf_ruleset *rs;

	rs = kvzalloc(struct_size(rs, rules, n), GFP_KERNEL_ACCOUNT);
	if (!rs)
		return NULL;
	rs->dom_any = bitmap_zalloc(XF_DOM_BITS, GFP_KERNEL_ACCOUNT);
	rs->dom_owner = bitmap_zalloc(XF_DOM_BITS, GFP_KERNEL_ACCOUNT);
	if (!rs->dom_any || !rs->dom_owner) {
		ruleset_free(rs);
		return NULL;
	}
	return rs;
}

static int rule_cmp(const void *a, const void *b)
{
	const struct xf_rule *ra = *(const struct xf_rule **)a;
	const struct xf_rule *rb = *(const struct xf_rule **)b;

	if (ra->prio != rb->prio)
		return ra->prio < rb->prio ? -1 : 1;
	return ra->seq < rb->seq ? -1 : ra->seq > rb->seq;
}

/* Fills the summaries of a ruleset whose rules[] and n are set. */
static void ruleset_summarize(struct xf_ruleset *rs)
{
	u32 i;

	for (i = 0; i < rs->n; i++) {
		const struct xf_rule *r = rs->rules[i];
		bool owner = (r->match & XF_M_OWNER) ||
			     (r->flags & XFILTER_RULE_F_OWNER_UNKNOWN);

		if (r->match & XF_M_PEERDEP)
			rs->peer_dep = true;
		if (r->match & XF_M_DOMID) {
			__set_bit(r->domid, rs->dom_any);
			if (owner)
				__set_bit(r->domid, rs->dom_owner);
		} else {
			rs->global_any = true;
			rs->global_owner |= owner;
		}
		if (r->expires && (!rs->next_expiry ||
				   time_before(r->expires, rs->next_expiry)))
			rs->next_expiry = r->expires;
	}
}

/*
 * Publishes @rs, frees the old ruleset and @dead rules after a grace
 * period, and re-arms expiry. Context: process, xf_lock held.
 */
static void ruleset_publish(struct xf_ruleset *rs, struct xf_rule **dead,
			    u32 ndead)
{
	struct xf_ruleset *old = cur_ruleset();
	u32 i;

	rs->gen = old ? old->gen + 1 : 1;
	/* Low half 0 means "no cached verdict" in the owner entries. */
	if (!(u32)rs->gen)
		rs->gen++;
	ruleset_summarize(rs);
	rcu_assign_pointer(xf_ruleset, rs);
	if (old)
		call_rcu(&old->rcu, ruleset_free_rcu);
	for (i = 0; i < ndead; i++)
		call_rcu(&dead[i]->rcu, rule_free_rcu);
	if (rs->next_expiry) {
		long delay = (long)(rs->next_expiry - jiffies);

		mod_delayed_work(system_wq, &xf_expiry_work,
				 delay > 0 ? delay : 0);
	}
}

static void rule_assign(struct xf_rule *r)
{
	r->id = xf_next_id++;
	if (!xf_next_id)
		xf_next_id = 1;
	r->seq = xf_next_seq++;
}

/*
 * Context: process, xf_lock held. On success the ruleset owns @r and its
 * id is set.
 */
int xf_rules_add(struct xf_rule *r)
{
	struct xf_ruleset *old = cur_ruleset(), *rs;
	u32 i, pos;

	lockdep_assert_held(&xf_lock);
	if (old->n >= XF_MAX_RULES)
		return -ENOSPC;
	rs = ruleset_alloc(old->n + 1);
	if (!rs)
		return -ENOMEM;
	rule_assign(r);
	/* Equal priorities keep insertion order: go after them. */
	for (pos = 0; pos < old->n && old->rules[pos]->prio <= r->prio; pos++)
		;
	for (i = 0; i < pos; i++)
		rs->rules[i] = old->rules[i];
	rs->rules[pos] = r;
	for (i = pos; i < old->n; i++)
		rs->rules[i + 1] = old->rules[i];
	rs->n = old->n + 1;
	ruleset_publish(rs, NULL, 0);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(xf_rules_add);

/* Keeps the rules for which @drop returns false. */
static int ruleset_filter(bool (*drop)(const struct xf_rule *, const void *),
			  const void *arg)
{
	struct xf_ruleset *old = cur_ruleset(), *rs;
	struct xf_rule **dead;
	u32 i, n = 0, ndead = 0;

	dead = kvmalloc_array(max(old->n, 1U), sizeof(*dead), GFP_KERNEL);
	if (!dead)
		return -ENOMEM;
	rs = ruleset_alloc(old->n);
	if (!rs) {
		kvfree(dead);
		return -ENOMEM;
	}
	for (i = 0; i < old->n; i++) {
		if (drop(old->rules[i], arg))
			dead[ndead++] = old->rules[i];
		else
			rs->rules[n++] = old->rules[i];
	}
	rs->n = n;
	ruleset_publish(rs, dead, ndead);
	kvfree(dead);
	return ndead;
}

static bool drop_id(const struct xf_rule *r, const void *arg)
{
	return r->id == *(const u32 *)arg;
}

/* Context: process, xf_lock held. Returns 0 or -ENOENT. */
int xf_rules_del(u32 id)
{
	struct xf_ruleset *old = cur_ruleset();
	u32 i;
	int ret;

	lockdep_assert_held(&xf_lock);
	for (i = 0; i < old->n; i++)
		if (old->rules[i]->id == id)
			break;
	if (i == old->n)
		return -ENOENT;
	ret = ruleset_filter(drop_id, &id);
	return ret < 0 ? ret : 0;
}
EXPORT_SYMBOL_IF_KUNIT(xf_rules_del);

struct flush_arg {
	bool all;
	u32 domid;
};

static bool drop_flush(const struct xf_rule *r, const void *arg)
{
	const struct flush_arg *f = arg;

	return f->all || ((r->match & XF_M_DOMID) && r->domid == f->domid);
}

/* Context: process, xf_lock held. Returns the number removed. */
int xf_rules_flush(bool all, u32 domid)
{
	struct flush_arg f = { .all = all, .domid = domid };

	lockdep_assert_held(&xf_lock);
	return ruleset_filter(drop_flush, &f);
}
EXPORT_SYMBOL_IF_KUNIT(xf_rules_flush);

/*
 * Swaps the whole ruleset for @rules (already validated; the ruleset takes
 * them). Context: process, xf_lock held.
 */
int xf_rules_replace(struct xf_rule **rules, u32 n)
{
	struct xf_ruleset *old = cur_ruleset(), *rs;
	struct xf_rule **dead;
	u32 i;

	lockdep_assert_held(&xf_lock);
	if (n > XF_MAX_RULES)
		return -ENOSPC;
	rs = ruleset_alloc(n);
	if (!rs)
		return -ENOMEM;
	dead = kvmalloc_array(max(old->n, 1U), sizeof(*dead), GFP_KERNEL);
	if (!dead) {
		ruleset_free(rs);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		rule_assign(rules[i]);
		rs->rules[i] = rules[i];
	}
	sort(rs->rules, n, sizeof(rs->rules[0]), rule_cmp, NULL);
	rs->n = n;
	for (i = 0; i < old->n; i++)
		dead[i] = old->rules[i];
	ruleset_publish(rs, dead, old->n);
	kvfree(dead);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(xf_rules_replace);

static bool drop_expired(const struct xf_rule *r, const void *arg)
{
	if (xf_rule_expired(r)) {
		xf_nl_notify_rule_expired(r);
		return true;
	}
	return false;
}

static void expiry_work_fn(struct work_struct *work)
{
	struct xf_ruleset *rs;
	bool any = false;
	u32 i;

	mutex_lock(&xf_lock);
	rs = cur_ruleset();
	for (i = 0; rs && i < rs->n; i++)
		any |= xf_rule_expired(rs->rules[i]);
	if (any) {
		if (ruleset_filter(drop_expired, NULL) < 0)
			/* No memory: the fast path ignores them meanwhile. */
			mod_delayed_work(system_wq, &xf_expiry_work, HZ);
	} else if (rs && rs->next_expiry) {
		long delay = (long)(rs->next_expiry - jiffies);

		mod_delayed_work(system_wq, &xf_expiry_work,
				 delay > 0 ? delay : 1);
	}
	mutex_unlock(&xf_lock);
}

int xf_rules_init(void)
{
	struct xf_ruleset *rs = ruleset_alloc(0);

	if (!rs)
		return -ENOMEM;
	mutex_lock(&xf_lock);
	ruleset_publish(rs, NULL, 0);
	mutex_unlock(&xf_lock);
	return 0;
}

void xf_rules_exit(void)
{
	struct xf_ruleset *rs;
	u32 i;

	cancel_delayed_work_sync(&xf_expiry_work);
	mutex_lock(&xf_lock);
	rs = cur_ruleset();
	RCU_INIT_POINTER(xf_ruleset, NULL);
	mutex_unlock(&xf_lock);
	synchronize_rcu();
	if (rs) {
		for (i = 0; i < rs->n; i++)
			xf_rule_free(rs->rules[i]);
		ruleset_free(rs);
	}
}
