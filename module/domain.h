/* SPDX-License-Identifier: GPL-2.0 */
/* Per-domain state: settings, owner table, negative cache, counters. */
#ifndef _XF_DOMAIN_H
#define _XF_DOMAIN_H

#include <linux/types.h>
#include <linux/bits.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/u64_stats_sync.h>
#include <linux/percpu.h>
#include <linux/kobject.h>
#include <linux/rcupdate.h>
#include <linux/ratelimit.h>
#include <linux/xfilter.h>

#include "parse.h"

#define XF_NSTATS (XFILTER_STATS_A_MAX + 1)

struct xf_pcpu_stats {
	u64_stats_t c[XF_NSTATS];
	struct u64_stats_sync syncp;
};

#define XF_NEG_SLOTS 256

/* What the negative cache knows of a key. */
enum xf_neg {
	XF_NEG_NONE,
	XF_NEG_NOSOCK,		/* the daemon said: no socket has it */
	XF_NEG_TIMEOUT,		/* the daemon did not answer in time */
};

struct xf_neg_slot {
	struct xf_key key;
	unsigned long expires;	/* jiffies; 0 = empty */
	u64 stamp;		/* held packets up to this stamp it decides */
	u8 kind;		/* enum xf_neg */
};

struct xf_table;

struct xf_domain {
	u32 domid;
	u8 fail_mode;		/* enum xfilter_fail_mode */
	bool enabled;
	u32 max_entries;
	u64 generation;		/* last committed batch */
	struct xf_table __rcu *table;	/* replaced when it grows */
	struct list_head vifs;	/* struct xf_vif, under xf_lock */
	atomic_t held;		/* packets held now, all vifs */
	atomic_t held_bytes;
	atomic_t miss_keys;	/* misses sent and not answered yet */
	struct ratelimit_state miss_rs;	/* miss events per second */

	spinlock_t neg_lock;	/* negative cache; miss path only */
	struct xf_neg_slot *neg;

	struct xf_pcpu_stats __percpu *stats;
	atomic64_t audit_suppressed;
	atomic64_t table_full;
	struct kobject kobj;	/* /sys/kernel/xfilter/domains/<domid> */
	bool kobj_added;
};

/* Which settings of struct xf_dom_conf an operator made. */
#define XF_CONF_FAIL_MODE	BIT(0)
#define XF_CONF_ENABLED		BIT(1)
#define XF_CONF_MAX_ENTRIES	BIT(2)

/*
 * The settings an operator made for a domain (DOMAIN_SET), kept apart from
 * its state so that they outlive it: see "DOC: Domain lifetime".
 */
struct xf_dom_conf {
	u32 domid;
	u8 set;			/* XF_CONF_* */
	u8 fail_mode;
	bool enabled;
	u32 max_entries;
};

/*
 * The one writer lock: domain creation and settings, owner table writes,
 * rulesets, the vif lists. See "DOC: Locking" in main.c.
 */
extern struct mutex xf_lock;

extern unsigned int xf_max_entries;
extern unsigned int xf_neg_ttl_ms;
extern unsigned int xf_miss_budget;

/* Context: RCU read side, or xf_lock held. */
static inline struct xf_table *xf_dom_table(const struct xf_domain *dom)
{
	return rcu_dereference_check(dom->table, rcu_read_lock_bh_held() ||
				     lockdep_is_held(&xf_lock));
}

int xf_domain_set_max(struct xf_domain *dom, u32 max_entries);
struct xf_domain *xf_domain_get(u32 domid);
struct xf_domain *xf_domain_get_or_create(u32 domid);
void xf_domain_reap(struct xf_domain *dom);
struct xf_domain *xf_domain_next(unsigned long *index);
void xf_domain_exit(void);

struct xf_dom_conf *xf_conf_get(u32 domid);
struct xf_dom_conf *xf_conf_next(unsigned long *index);
struct xf_dom_conf *xf_conf_update(u32 domid, const struct xf_dom_conf *c);
void xf_conf_settings(const struct xf_dom_conf *c, u8 *fail_mode,
		      bool *enabled, u32 *max_entries);
struct xf_domain *xf_domain_alloc(u32 domid);
void xf_domain_free(struct xf_domain *dom);

void xf_domain_stats_read(const struct xf_domain *dom, u64 *out);
void xf_global_stats_read(u64 *out);

enum xf_neg xf_neg_lookup(struct xf_domain *dom, const struct xf_key *key,
			  u64 held_at);
void xf_neg_insert(struct xf_domain *dom, const struct xf_key *key,
		   enum xf_neg kind, u64 stamp);
void xf_neg_flush(struct xf_domain *dom);

static inline void xf_stat_add(struct xf_domain *dom, int idx, u64 val)
{
	struct xf_pcpu_stats *s = this_cpu_ptr(dom->stats);
	unsigned long flags;

	flags = u64_stats_update_begin_irqsave(&s->syncp);
	u64_stats_add(&s->c[idx], val);
	u64_stats_update_end_irqrestore(&s->syncp, flags);
}

static inline void xf_stat_inc(struct xf_domain *dom, int idx)
{
	xf_stat_add(dom, idx, 1);
}

/* Two counters of one packet in one per-CPU update. */
static inline void xf_stat_add2(struct xf_domain *dom, int i, u64 a, int j,
				u64 b)
{
	struct xf_pcpu_stats *s = this_cpu_ptr(dom->stats);
	unsigned long flags;

	flags = u64_stats_update_begin_irqsave(&s->syncp);
	u64_stats_add(&s->c[i], a);
	u64_stats_add(&s->c[j], b);
	u64_stats_update_end_irqrestore(&s->syncp, flags);
}

#endif /* _XF_DOMAIN_H */
