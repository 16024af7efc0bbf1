// SPDX-License-Identifier: GPL-2.0
/*
 * Per-domain state: settings (fail mode, enabled, table limit), the owner
 * table, the negative cache of keys the daemon found no socket for, and the
 * per-CPU counters. A domain is created when first named (a vif appears, or
 * a command names its domid) and lives until the module is unloaded, so the
 * packet path may keep a plain pointer to it.
 */
#include <linux/xarray.h>
#include <linux/slab.h>
#include <linux/siphash.h>
#include <linux/net.h>
#include <linux/jiffies.h>
#include <kunit/visibility.h>

#include "domain.h"
#include "table.h"
#include "sysfs.h"

DEFINE_MUTEX(xf_lock);

unsigned int xf_max_entries = 16384;
unsigned int xf_neg_ttl_ms = 1000;
/* Misses a domain may ask the daemon to resolve per second. */
unsigned int xf_miss_budget = 2000;

static DEFINE_XARRAY(xf_domains);
static siphash_key_t xf_neg_key __read_mostly;

struct xf_domain *xf_domain_alloc(u32 domid)
{
	struct xf_domain *dom;

	dom = kzalloc(sizeof(*dom), GFP_KERNEL_ACCOUNT);
	if (!dom)
		return NULL;
	dom->domid = domid;
	/*
	 * Fail open by default: when the owner cannot be learned in time the
	 * packet is decided by the rules as "owner unknown", so a daemon
	 * restart never cuts every tenant off. Owner-unknown rules and
	 * XFILTER_FAIL_CLOSED are there for those who prefer the other way.
	 */
	dom->fail_mode = XFILTER_FAIL_OPEN;
	dom->enabled = true;
	dom->max_entries = READ_ONCE(xf_max_entries);
	INIT_LIST_HEAD(&dom->vifs);
	spin_lock_init(&dom->neg_lock);
	ratelimit_state_init(&dom->miss_rs, HZ, READ_ONCE(xf_miss_budget));
	ratelimit_set_flags(&dom->miss_rs, RATELIMIT_MSG_ON_RELEASE);
	dom->neg = kcalloc(XF_NEG_SLOTS, sizeof(*dom->neg), GFP_KERNEL_ACCOUNT);
	RCU_INIT_POINTER(dom->table, xf_table_alloc(dom->max_entries));
	dom->stats = netdev_alloc_pcpu_stats(struct xf_pcpu_stats);
	if (!dom->neg || !rcu_access_pointer(dom->table) || !dom->stats) {
		xf_domain_free(dom);
		return NULL;
	}
	return dom;
}
EXPORT_SYMBOL_IF_KUNIT(xf_domain_alloc);

void xf_domain_free(struct xf_domain *dom)
{
	if (!dom)
		return;
	xf_table_free(rcu_dereference_protected(dom->table, true));
	free_percpu(dom->stats);
	kfree(dom->neg);
	kfree(dom);
}
EXPORT_SYMBOL_IF_KUNIT(xf_domain_free);

/**
 * xf_domain_set_max - change the owner table limit of a domain
 * @dom: the domain
 * @max_entries: the new limit
 *
 * The bucket array is sized for the limit when the domain is created; a
 * larger limit gets a larger table, built aside with copies of the entries
 * and published in one step (a packet looking meanwhile finds its entry in
 * the old table or the new one). Context: process, xf_lock held.
 */
int xf_domain_set_max(struct xf_domain *dom, u32 max_entries)
{
	struct xf_table *old = xf_dom_table(dom), *t;

	lockdep_assert_held(&xf_lock);
	WRITE_ONCE(dom->max_entries, max_entries);
	t = xf_table_grow(old, max_entries);
	if (IS_ERR_OR_NULL(t))
		return PTR_ERR_OR_ZERO(t);
	rcu_assign_pointer(dom->table, t);
	synchronize_rcu();
	xf_table_free(old);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(xf_domain_set_max);

/* Context: RCU read side or xf_lock held. */
struct xf_domain *xf_domain_get(u32 domid)
{
	return xa_load(&xf_domains, domid);
}

/* Context: process, xf_lock held. Returns NULL when out of memory. */
struct xf_domain *xf_domain_get_or_create(u32 domid)
{
	struct xf_domain *dom;

	lockdep_assert_held(&xf_lock);
	if (domid > XFILTER_DOMID_MAX)
		return NULL;
	dom = xa_load(&xf_domains, domid);
	if (dom)
		return dom;
	dom = xf_domain_alloc(domid);
	if (!dom)
		return NULL;
	if (xa_err(xa_store(&xf_domains, domid, dom, GFP_KERNEL))) {
		xf_domain_free(dom);
		return NULL;
	}
	xf_sysfs_domain_add(dom);
	return dom;
}

/* Walks the domains in domid order from *index. Context: xf_lock or RCU. */
struct xf_domain *xf_domain_next(unsigned long *index)
{
	return xa_find(&xf_domains, index, XFILTER_DOMID_MAX, XA_PRESENT);
}

void xf_domain_stats_read(const struct xf_domain *dom, u64 *out)
{
	int cpu, i;

	memset(out, 0, sizeof(u64) * XF_NSTATS);
	for_each_possible_cpu(cpu) {
		const struct xf_pcpu_stats *s = per_cpu_ptr(dom->stats, cpu);
		u64 v[XF_NSTATS];
		unsigned int start;

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			for (i = 0; i < XF_NSTATS; i++)
				v[i] = u64_stats_read(&s->c[i]);
		} while (u64_stats_fetch_retry(&s->syncp, start));
		for (i = 0; i < XF_NSTATS; i++)
			out[i] += v[i];
	}
	rcu_read_lock();
	out[XFILTER_STATS_A_ENTRIES] = atomic_read(&xf_dom_table(dom)->count);
	rcu_read_unlock();
	out[XFILTER_STATS_A_AUDIT_SUPPRESSED] =
		atomic64_read(&dom->audit_suppressed);
	out[XFILTER_STATS_A_TABLE_FULL] = atomic64_read(&dom->table_full);
}

/* The global counters are the sum over the domains. Context: process. */
void xf_global_stats_read(u64 *out)
{
	u64 v[XF_NSTATS];
	struct xf_domain *dom;
	unsigned long index = 0;
	int i;

	memset(out, 0, sizeof(u64) * XF_NSTATS);
	rcu_read_lock();
	while ((dom = xf_domain_next(&index))) {
		xf_domain_stats_read(dom, v);
		for (i = 0; i < XF_NSTATS; i++)
			out[i] += v[i];
		index++;
	}
	rcu_read_unlock();
}

static struct xf_neg_slot *neg_slot(struct xf_domain *dom,
				    const struct xf_key *key)
{
	net_get_random_once(&xf_neg_key, sizeof(xf_neg_key));
	return &dom->neg[siphash(key, sizeof(*key), &xf_neg_key) %
			 XF_NEG_SLOTS];
}

/*
 * The negative cache: a direct-mapped array, a newer key evicts an older
 * one of the same slot. It remembers for a short while that the daemon
 * found no socket for a key (the packets are "owner unknown" at once), or
 * that it did not answer in time (the packets get the fail mode at once,
 * instead of each waiting out its own deadline). A lost slot only costs
 * one more hold. An answer holds for the packets held up to its stamp
 * (@held_at, 0 for one not held): "no socket" from a read that began
 * before a packet was held says nothing of the socket that sent it.
 * Context: any (miss path).
 */
enum xf_neg xf_neg_lookup(struct xf_domain *dom, const struct xf_key *key,
			  u64 held_at)
{
	struct xf_neg_slot *s = neg_slot(dom, key);
	enum xf_neg kind = XF_NEG_NONE;
	unsigned long flags;

	spin_lock_irqsave(&dom->neg_lock, flags);
	if (s->expires && time_before(jiffies, s->expires) &&
	    held_at <= s->stamp && !memcmp(&s->key, key, sizeof(*key)))
		kind = s->kind;
	spin_unlock_irqrestore(&dom->neg_lock, flags);
	return kind;
}
EXPORT_SYMBOL_IF_KUNIT(xf_neg_lookup);

/* @stamp: as xf_neg_lookup() compares it; U64_MAX: every held packet. */
void xf_neg_insert(struct xf_domain *dom, const struct xf_key *key,
		   enum xf_neg kind, u64 stamp)
{
	struct xf_neg_slot *s = neg_slot(dom, key);
	unsigned long flags;

	spin_lock_irqsave(&dom->neg_lock, flags);
	s->key = *key;
	s->kind = kind;
	s->stamp = stamp;
	s->expires = jiffies + msecs_to_jiffies(READ_ONCE(xf_neg_ttl_ms)) ?: 1;
	spin_unlock_irqrestore(&dom->neg_lock, flags);
}
EXPORT_SYMBOL_IF_KUNIT(xf_neg_insert);

/* Forgets every negative cache entry of @dom. Context: process. */
void xf_neg_flush(struct xf_domain *dom)
{
	unsigned long flags;

	spin_lock_irqsave(&dom->neg_lock, flags);
	memset(dom->neg, 0, XF_NEG_SLOTS * sizeof(*dom->neg));
	spin_unlock_irqrestore(&dom->neg_lock, flags);
}

/* Context: module exit; no vif, hook or netlink user is left. */
void xf_domain_exit(void)
{
	struct xf_domain *dom;
	unsigned long index;

	xa_for_each(&xf_domains, index, dom) {
		xa_erase(&xf_domains, index);
		if (dom->kobj_added)
			xf_sysfs_domain_del(dom);	/* frees it */
		else
			xf_domain_free(dom);
	}
	xa_destroy(&xf_domains);
}
