// SPDX-License-Identifier: GPL-2.0
/*
 * The owner table of one domain: a fixed array of hlist buckets hashed with
 * siphash under a key drawn at load time (the guest picks the ports, so the
 * hash must not be predictable). Readers are the packet path under RCU;
 * writers hold xf_lock. An updated entry is replaced, never edited in place,
 * so a reader sees either the old owner or the new one, whole.
 */
#include <linux/slab.h>
#include <linux/siphash.h>
#include <linux/net.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <kunit/visibility.h>

#include "table.h"
#include "domain.h"

#define XF_TABLE_MIN_BITS 8
#define XF_TABLE_MAX_BITS 16

static siphash_key_t xf_table_key __read_mostly;
static atomic_t xf_table_changes = ATOMIC_INIT(1);

/* Bumped on every table change: dumps use it to flag an inconsistent read. */
u32 xf_table_seq(void)
{
	return atomic_read(&xf_table_changes);
}

static void table_changed(void)
{
	atomic_inc(&xf_table_changes);
}

static u32 key_hash(const struct xf_key *key)
{
	net_get_random_once(&xf_table_key, sizeof(xf_table_key));
	return (u32)siphash(key, sizeof(*key), &xf_table_key);
}

/* Two entries per bucket at the limit. */
static unsigned int table_bits(unsigned int max_entries)
{
	unsigned int bits = ilog2(roundup_pow_of_two(max(max_entries, 2U))) - 1;

	return clamp_t(unsigned int, bits, XF_TABLE_MIN_BITS, XF_TABLE_MAX_BITS);
}

struct xf_table *xf_table_alloc(unsigned int max_entries)
{
	unsigned int bits = table_bits(max_entries);
	struct xf_table *t;

	t = kvzalloc(struct_size(t, buckets, 1U << bits), GFP_KERNEL);
	if (!t)
		return NULL;
	t->bits = bits;
	return t;
}
EXPORT_SYMBOL_IF_KUNIT(xf_table_alloc);

void xf_table_free(struct xf_table *t)
{
	if (!t)
		return;
	xf_table_flush(t);
	rcu_barrier();	/* the entries' kfree_rcu callbacks */
	kvfree(t);
}
EXPORT_SYMBOL_IF_KUNIT(xf_table_free);

static struct hlist_head *bucket(struct xf_table *t, const struct xf_key *key)
{
	return &t->buckets[key_hash(key) & ((1U << t->bits) - 1)];
}

/**
 * xf_table_grow - a larger copy of a table, for a larger limit
 * @t: the current table
 * @max_entries: the new limit
 *
 * Returns NULL when @t is large enough already, the copy (not yet visible
 * to anyone), or ERR_PTR(-ENOMEM). Context: process, xf_lock held.
 */
struct xf_table *xf_table_grow(struct xf_table *t, unsigned int max_entries)
{
	struct xf_table *n;
	struct xf_owner *o, *c;
	unsigned int i;

	lockdep_assert_held(&xf_lock);
	if (table_bits(max_entries) <= t->bits)
		return NULL;
	n = xf_table_alloc(max_entries);
	if (!n)
		return ERR_PTR(-ENOMEM);
	for (i = 0; i < (1U << t->bits); i++) {
		hlist_for_each_entry(o, &t->buckets[i], node) {
			c = kmemdup(o, sizeof(*o), GFP_KERNEL_ACCOUNT);
			if (!c) {
				xf_table_free(n);
				return ERR_PTR(-ENOMEM);
			}
			hlist_add_head(&c->node, bucket(n, &c->key));
			atomic_inc(&n->count);
		}
		cond_resched();
	}
	table_changed();
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(xf_table_grow);

/* Context: RCU read side, or xf_lock held. */
struct xf_owner *xf_table_lookup_exact(struct xf_table *t,
				       const struct xf_key *key)
{
	struct xf_owner *o;

	hlist_for_each_entry_rcu(o, bucket(t, key), node,
				 lockdep_is_held(&xf_lock)) {
		if (!memcmp(&o->key, key, sizeof(*key)))
			return o;
	}
	return NULL;
}
EXPORT_SYMBOL_IF_KUNIT(xf_table_lookup_exact);

/**
 * xf_table_lookup - find the socket that owns a flow
 * @t: the domain's table
 * @key: the packet's key, peer filled in
 *
 * The connected socket (exact 5-tuple) first, then a socket bound to the
 * guest address with any peer, then one bound to any address: the order in
 * which the guest's own stack would deliver. Context: RCU read side.
 */
struct xf_owner *xf_table_lookup(struct xf_table *t, const struct xf_key *key)
{
	struct xf_key wild;
	struct xf_owner *o;

	o = xf_table_lookup_exact(t, key);
	if (o)
		return o;
	wild = *key;
	memset(&wild.paddr, 0, sizeof(wild.paddr));
	wild.pport = 0;
	o = xf_table_lookup_exact(t, &wild);
	if (o)
		return o;
	memset(&wild.gaddr, 0, sizeof(wild.gaddr));
	return xf_table_lookup_exact(t, &wild);
}
EXPORT_SYMBOL_IF_KUNIT(xf_table_lookup);

/**
 * xf_table_insert - insert or replace the entry of a key
 * @t: the table
 * @key: the flow key
 * @info: the owner
 * @generation: the batch it belongs to
 * @max_entries: the domain's limit
 *
 * Context: process, xf_lock held. Returns 0, -ENOSPC when the table holds
 * @max_entries already and the key is new, or -ENOMEM.
 */
int xf_table_insert(struct xf_table *t, const struct xf_key *key,
		    const struct xf_owner_info *info, u64 generation,
		    unsigned int max_entries)
{
	struct xf_owner *old, *o;

	lockdep_assert_held(&xf_lock);
	old = xf_table_lookup_exact(t, key);
	if (!old && atomic_read(&t->count) >= max_entries)
		return -ENOSPC;
	o = kzalloc(sizeof(*o), GFP_KERNEL_ACCOUNT);
	if (!o)
		return -ENOMEM;
	o->key = *key;
	o->info = *info;
	o->info.comm[XFILTER_COMM_LEN - 1] = '\0';
	o->generation = generation;
	if (old) {
		/* Same owner: keep the counters; the verdict cache is redone. */
		atomic64_set(&o->packets, atomic64_read(&old->packets));
		atomic64_set(&o->bytes, atomic64_read(&old->bytes));
		hlist_replace_rcu(&old->node, &o->node);
		kfree_rcu(old, rcu);
	} else {
		hlist_add_head_rcu(&o->node, bucket(t, key));
		atomic_inc(&t->count);
	}
	table_changed();
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(xf_table_insert);

static void entry_remove(struct xf_table *t, struct xf_owner *o)
{
	hlist_del_rcu(&o->node);
	atomic_dec(&t->count);
	kfree_rcu(o, rcu);
}

/* Context: process, xf_lock held. Returns 0 or -ENOENT. */
int xf_table_delete(struct xf_table *t, const struct xf_key *key)
{
	struct xf_owner *o;

	lockdep_assert_held(&xf_lock);
	o = xf_table_lookup_exact(t, key);
	if (!o)
		return -ENOENT;
	entry_remove(t, o);
	table_changed();
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(xf_table_delete);

/*
 * Removes every entry not tagged with @generation: sockets the last full
 * walk no longer saw. Context: process, xf_lock held. Returns the number
 * removed.
 */
unsigned int xf_table_sweep(struct xf_table *t, u64 generation)
{
	struct hlist_node *tmp;
	struct xf_owner *o;
	unsigned int i, n = 0;

	lockdep_assert_held(&xf_lock);
	for (i = 0; i < (1U << t->bits); i++) {
		hlist_for_each_entry_safe(o, tmp, &t->buckets[i], node) {
			if (o->generation != generation) {
				entry_remove(t, o);
				n++;
			}
		}
		if (!(i & 1023))
			cond_resched();
	}
	table_changed();
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(xf_table_sweep);

/* Context: process; xf_lock held, or the table is unreachable. */
unsigned int xf_table_flush(struct xf_table *t)
{
	struct hlist_node *tmp;
	struct xf_owner *o;
	unsigned int i, n = 0;

	for (i = 0; i < (1U << t->bits); i++) {
		hlist_for_each_entry_safe(o, tmp, &t->buckets[i], node) {
			entry_remove(t, o);
			n++;
		}
	}
	table_changed();
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(xf_table_flush);
