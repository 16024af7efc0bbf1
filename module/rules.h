/* SPDX-License-Identifier: GPL-2.0 */
/* Verdict rules: validation, the published ruleset, matching, expiry. */
#ifndef _XF_RULES_H
#define _XF_RULES_H

#include <linux/types.h>
#include <linux/rcupdate.h>
#include <linux/u64_stats_sync.h>
#include <net/netlink.h>
#include <linux/xfilter.h>

#include "parse.h"
#include "table.h"

#define XF_M_DOMID	BIT(0)
#define XF_M_PID	BIT(1)
#define XF_M_TGID	BIT(2)
#define XF_M_UID	BIT(3)
#define XF_M_GID	BIT(4)
#define XF_M_COMM	BIT(5)
#define XF_M_DIR	BIT(6)
#define XF_M_PROTO	BIT(7)
#define XF_M_FAMILY	BIT(8)
#define XF_M_PEER	BIT(9)
#define XF_M_GPORT	BIT(10)
#define XF_M_PPORT	BIT(11)

#define XF_M_OWNER	(XF_M_PID | XF_M_TGID | XF_M_UID | XF_M_GID | XF_M_COMM)
#define XF_M_PEERDEP	(XF_M_PEER | XF_M_PPORT)

struct xf_rule_pcpu {
	u64_stats_t hits;
	u64_stats_t bytes;
	struct u64_stats_sync syncp;
};

struct xf_rule {
	u32 id;
	u32 prio;
	u64 seq;		/* insertion order among equal priorities */
	u32 match;		/* XF_M_* selectors present */
	u32 flags;		/* XFILTER_RULE_F_* */
	u8 verdict;
	u8 dir;
	u8 proto;
	u8 family;
	u8 plen;
	u32 domid, pid, tgid, uid, gid;
	char comm[XFILTER_COMM_LEN];
	union xf_addr peer;	/* masked to plen */
	u16 gport_min, gport_max, pport_min, pport_max;
	u32 timeout_ms;
	unsigned long expires;	/* jiffies, 0 = never */
	struct xf_rule_pcpu __percpu *stats;
	struct rcu_head rcu;
};

/* An immutable snapshot of every rule, in evaluation order. */
struct xf_ruleset {
	u64 gen;
	u32 n;
	bool peer_dep;		/* some rule looks at the peer */
	bool global_any;	/* some rule applies to every domain */
	bool global_owner;	/* ... and depends on the owner */
	unsigned long *dom_any;		/* domids with a rule of their own */
	unsigned long *dom_owner;	/* ... depending on the owner */
	unsigned long next_expiry;	/* jiffies; 0 = no expiring rule */
	struct rcu_head rcu;
	struct xf_rule *rules[];
};

/* What is known of a packet when the rules look at it. */
struct xf_match {
	u32 domid;
	u8 dir;
	u8 family;
	u8 proto;
	bool has_ports;
	u16 gport, pport;	/* host order */
	const union xf_addr *paddr;	/* NULL: no IP header */
	const struct xf_owner_info *owner;	/* NULL: owner unknown */
};

struct xf_decision {
	u8 verdict;		/* never XFILTER_VERDICT_NONE or _LOG */
	u32 rule;		/* index + 1 in the ruleset, 0 = default */
	u32 log;		/* index + 1 of the first matching log rule */
};

extern struct xf_ruleset __rcu *xf_ruleset;
extern const struct nla_policy xf_rule_policy[XFILTER_RULE_A_MAX + 1];

int xf_rules_init(void);
void xf_rules_exit(void);

struct xf_rule *xf_rule_parse(const struct nlattr *nest,
			      struct netlink_ext_ack *extack);
void xf_rule_free(struct xf_rule *r);
int xf_rule_fill(struct sk_buff *skb, const struct xf_rule *r, bool counters);

int xf_rules_add(struct xf_rule *r);
int xf_rules_del(u32 id);
int xf_rules_flush(bool all, u32 domid);
int xf_rules_replace(struct xf_rule **rules, u32 n);
u64 xf_rules_gen(void);

bool xf_rule_matches(const struct xf_rule *r, const struct xf_match *m);
void xf_rules_eval(const struct xf_ruleset *rs, const struct xf_match *m,
		   struct xf_decision *d);
void xf_rule_count(struct xf_rule *r, unsigned int len);

static inline bool xf_rule_expired(const struct xf_rule *r)
{
	return r->expires && time_after_eq(jiffies, r->expires);
}

/* Can any rule apply to a packet of this domain? Context: RCU read side. */
static inline bool xf_rules_apply(const struct xf_ruleset *rs, u32 domid)
{
	return rs->global_any || test_bit(domid, rs->dom_any);
}

/* Can the owner change the decision for this domain? */
static inline bool xf_rules_owner_dep(const struct xf_ruleset *rs, u32 domid)
{
	return rs->global_owner || test_bit(domid, rs->dom_owner);
}

#endif /* _XF_RULES_H */
