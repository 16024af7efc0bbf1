// SPDX-License-Identifier: GPL-2.0
/*
 * Per-domain state: settings (fail mode, enabled, table limit), the owner
 * table, the negative cache of keys the daemon found no socket for, and the
 * per-CPU counters; and the settings an operator made for a domain, which
 * outlive its state.
 */

/**
 * DOC: Domain lifetime
 *
 * A domain's state (struct xf_domain: owner table, negative cache, counters,
 * its directory /sys/kernel/xfilter/domains/<domid>) exists while the domain
 * has a vif: it is created when the first vif registers and freed when the
 * last one unregisters or is renamed to a name that is not the domain's.
 * Xen does not soon reuse a domid, so state kept beyond that would grow
 * with every guest ever started. Nothing else keeps it alive: rules name a
 * domid and are separate objects, and go on matching when the domain comes
 * back.
 *
 * What goes with the state: the owner entries and negative cache (the
 * guest's sockets went with its network; the daemon refills the table of a
 * guest that still runs on its next walk), the owner generation, and the
 * per-domain counters, whose values are first added to the global
 * counters' base, so those never go back. What stays: the settings an
 * operator made with DOMAIN_SET (fail mode, enabled, table limit), kept per
 * domid in a struct xf_dom_conf of a few bytes, and applied again when a vif
 * of the domid registers (a guest reboot re-creates its vifs with the same
 * domid). A setting that was never made follows the module default. The
 * records are made by privileged commands only, one per domid at most
 * (XFILTER_DOMID_MAX bounds them), and go at module unload.
 *
 * Commands naming a domain without a vif: DOMAIN_SET records the settings
 * (and answers with the domain as it will be); DOMAIN_GET shows a domain
 * that has state or recorded settings; OWNER_ADD, OWNER_COMMIT, OWNER_DEL,
 * MISS_RESOLVE and STATS_GET with a domid refuse with -ENOENT and an extack
 * message. Owner entries for a domain with no vif would decide no packet,
 * and a walk of a dying guest that arrives after its vif went must not
 * bring its state back.
 *
 * Freeing (xf_domain_reap()), under RTNL after the last vif's hooks are
 * unregistered, synchronize_net()'d and its held packets freed, so no
 * packet path reader is left: under xf_lock, check that no vif came back,
 * take the domain out of the xarray and fold its counters into the base in
 * one xf_stats_seq write section (global readers see either the domain or
 * its share of the base), and remove its sysfs directory (kobject_del()
 * waits for readers of its files). xf_lock serialises this against vif
 * registration and every netlink command: one that looked the domain up
 * earlier has finished, a later one does not find it, and a vif of the
 * same domid registering next creates fresh state and a fresh directory.
 * Then a grace period for the RCU readers that found it in the xarray
 * (dumps, counter reads), and the last kobject reference frees it.
 */
#include <linux/xarray.h>
#include <linux/slab.h>
#include <linux/siphash.h>
#include <linux/net.h>
#include <linux/netdevice.h>
#include <linux/seqlock.h>
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
/* struct xf_dom_conf by domid, under xf_lock. */
static DEFINE_XARRAY(xf_confs);
static siphash_key_t xf_neg_key __read_mostly;

/*
 * The counters of the domains that are gone, so that the global counters
 * (their sum with the live domains') never go back. Written under xf_lock
 * together with the domain's removal from xf_domains.
 */
static u64 xf_stats_base[XF_NSTATS];
static seqcount_mutex_t xf_stats_seq = SEQCNT_MUTEX_ZERO(xf_stats_seq,
							 &xf_lock);

/**
 * xf_conf_settings - the settings a domain gets when its state is created
 * @c: its recorded settings, or NULL
 * @fail_mode: out
 * @enabled: out
 * @max_entries: out
 *
 * A setting not recorded is the default. Context: xf_lock held.
 */
void xf_conf_settings(const struct xf_dom_conf *c, u8 *fail_mode,
		      bool *enabled, u32 *max_entries)
{
	/*
	 * Fail open by default: when the owner cannot be learned in time the
	 * packet is decided by the rules as "owner unknown", so a daemon
	 * restart never cuts every tenant off. Owner-unknown rules and
	 * XFILTER_FAIL_CLOSED are there for those who prefer the other way.
	 */
	*fail_mode = XFILTER_FAIL_OPEN;
	*enabled = true;
	*max_entries = READ_ONCE(xf_max_entries);
	if (!c)
		return;
	if (c->set & XF_CONF_FAIL_MODE)
		*fail_mode = c->fail_mode;
	if (c->set & XF_CONF_ENABLED)
		*enabled = c->enabled;
	if (c->set & XF_CONF_MAX_ENTRIES)
		*max_entries = c->max_entries;
}

/* Context: xf_lock held. */
struct xf_dom_conf *xf_conf_get(u32 domid)
{
	lockdep_assert_held(&xf_lock);
	return xa_load(&xf_confs, domid);
}

/* Walks the recorded settings in domid order from *index. Context: xf_lock. */
struct xf_dom_conf *xf_conf_next(unsigned long *index)
{
	lockdep_assert_held(&xf_lock);
	return xa_find(&xf_confs, index, XFILTER_DOMID_MAX, XA_PRESENT);
}

/**
 * xf_conf_update - record settings an operator made for a domain
 * @domid: the domain
 * @c: the settings, those named by @c->set
 *
 * Returns the domain's record, NULL when there is none and @c sets
 * nothing, or an ERR_PTR. Context: process, xf_lock held.
 */
struct xf_dom_conf *xf_conf_update(u32 domid, const struct xf_dom_conf *c)
{
	struct xf_dom_conf *r;
	int err;

	lockdep_assert_held(&xf_lock);
	if (domid > XFILTER_DOMID_MAX)
		return ERR_PTR(-ERANGE);
	r = xa_load(&xf_confs, domid);
	if (!r && !c->set)
		return NULL;
	if (!r) {
		r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
		if (!r)
			return ERR_PTR(-ENOMEM);
		r->domid = domid;
		err = xa_err(xa_store(&xf_confs, domid, r, GFP_KERNEL_ACCOUNT));
		if (err) {
			kfree(r);
			return ERR_PTR(err);
		}
	}
	if (c->set & XF_CONF_FAIL_MODE)
		r->fail_mode = c->fail_mode;
	if (c->set & XF_CONF_ENABLED)
		r->enabled = c->enabled;
	if (c->set & XF_CONF_MAX_ENTRIES)
		r->max_entries = c->max_entries;
	r->set |= c->set;
	return r;
}
EXPORT_SYMBOL_IF_KUNIT(xf_conf_update);

static struct xf_domain *domain_alloc(u32 domid, u8 fail_mode, bool enabled,
				      u32 max_entries)
{
	struct xf_domain *dom;

	dom = kzalloc(sizeof(*dom), GFP_KERNEL_ACCOUNT);
	if (!dom)
		return NULL;
	dom->domid = domid;
	dom->fail_mode = fail_mode;
	dom->enabled = enabled;
	dom->max_entries = max_entries;
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

/* A domain with the default settings, in no lookup: for the tests. */
struct xf_domain *xf_domain_alloc(u32 domid)
{
	u8 fail_mode;
	bool enabled;
	u32 max_entries;

	xf_conf_settings(NULL, &fail_mode, &enabled, &max_entries);
	return domain_alloc(domid, fail_mode, enabled, max_entries);
}
EXPORT_SYMBOL_IF_KUNIT(xf_domain_alloc);

void xf_domain_free(struct xf_domain *dom)
{
	if (!dom)
		return;
	/* Unreachable since a grace period, or never published. */
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

/*
 * The state of a domain whose vif registers: created with the recorded
 * settings if there is none. Context: process, xf_lock held. Returns NULL
 * when out of memory.
 */
struct xf_domain *xf_domain_get_or_create(u32 domid)
{
	struct xf_domain *dom;
	u32 max_entries;
	bool enabled;
	u8 fail_mode;

	lockdep_assert_held(&xf_lock);
	if (domid > XFILTER_DOMID_MAX)
		return NULL;
	dom = xa_load(&xf_domains, domid);
	if (dom)
		return dom;
	xf_conf_settings(xa_load(&xf_confs, domid), &fail_mode, &enabled,
			 &max_entries);
	dom = domain_alloc(domid, fail_mode, enabled, max_entries);
	if (!dom)
		return NULL;
	if (xa_err(xa_store(&xf_domains, domid, dom, GFP_KERNEL))) {
		xf_domain_free(dom);
		return NULL;
	}
	xf_sysfs_domain_add(dom);
	return dom;
}
EXPORT_SYMBOL_IF_KUNIT(xf_domain_get_or_create);

/* Drops the domain's last reference: its kobject's, or the domain itself. */
static void domain_put(struct xf_domain *dom)
{
	if (dom->kobj_added)
		kobject_put(&dom->kobj);	/* the release frees it */
	else
		xf_domain_free(dom);
}

/**
 * xf_domain_reap - free a domain's state if it has no vif
 * @dom: a domain whose vif was just detached
 *
 * Does nothing when a vif of the domain is attached (a rename within the
 * domain re-attached it first). See "DOC: Domain lifetime".
 * Context: process, xf_lock not held; no hook or hold work of the domain's
 * detached vifs may run. Sleeps (a grace period).
 */
void xf_domain_reap(struct xf_domain *dom)
{
	u64 v[XF_NSTATS];
	int i;

	mutex_lock(&xf_lock);
	if (!list_empty(&dom->vifs) || xa_load(&xf_domains, dom->domid) != dom) {
		mutex_unlock(&xf_lock);
		return;
	}
	/* Nothing counts on it any more: no hook, no held packet, no lookup. */
	xf_domain_stats_read(dom, v);
	write_seqcount_begin(&xf_stats_seq);
	xa_erase(&xf_domains, dom->domid);
	for (i = 0; i < XF_NSTATS; i++)
		if (i != XFILTER_STATS_A_ENTRIES)	/* a gauge */
			xf_stats_base[i] += v[i];
	write_seqcount_end(&xf_stats_seq);
	if (dom->kobj_added)
		xf_sysfs_domain_unlink(dom);
	mutex_unlock(&xf_lock);
	pr_debug("domain %u has no vif left: state freed\n", dom->domid);
	/* Readers that found it in the xarray (dumps, counters) are done. */
	synchronize_net();
	domain_put(dom);
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

/*
 * The global counters: the sum over the live domains and those gone.
 * Context: process (not under RCU: a writer may make it wait).
 */
void xf_global_stats_read(u64 *out)
{
	u64 v[XF_NSTATS];
	struct xf_domain *dom;
	unsigned long index;
	unsigned int seq;
	int i;

	do {
		seq = read_seqcount_begin(&xf_stats_seq);
		for (i = 0; i < XF_NSTATS; i++)
			out[i] = READ_ONCE(xf_stats_base[i]);
		index = 0;
		rcu_read_lock();
		while ((dom = xf_domain_next(&index))) {
			xf_domain_stats_read(dom, v);
			for (i = 0; i < XF_NSTATS; i++)
				out[i] += v[i];
			index++;
		}
		rcu_read_unlock();
	} while (read_seqcount_retry(&xf_stats_seq, seq));
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

/*
 * Context: module exit; no vif, hook or netlink user is left, so every
 * domain's state went with its last vif already, and only the recorded
 * settings remain.
 */
void xf_domain_exit(void)
{
	struct xf_dom_conf *c;
	struct xf_domain *dom;
	unsigned long index;

	xa_for_each(&xf_domains, index, dom) {
		WARN_ON_ONCE(1);
		xa_erase(&xf_domains, index);
		if (dom->kobj_added)
			xf_sysfs_domain_unlink(dom);
		domain_put(dom);
	}
	xa_destroy(&xf_domains);
	xa_for_each(&xf_confs, index, c) {
		xa_erase(&xf_confs, index);
		kfree(c);
	}
	xa_destroy(&xf_confs);
}
