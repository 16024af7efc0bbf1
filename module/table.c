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
#include <linux/random.h>
#include <kunit/visibility.h>

#include "table.h"
#include "domain.h"

#define XF_TABLE_MIN_BITS 8
#define XF_TABLE_MAX_BITS 16

/* One key per L4 protocol class: the protocol need not be hashed. */
static hsiphash_key_t xf_table_keys[2] __read_mostly;

/*
 * Bumped on every change of any table, after the change is visible to
 * readers and before anything it unlinked can be freed: dumps use it to
 * flag an inconsistent read, the flow cache to know that what it
 * remembers still holds (see "DOC: Flow cache"). 64 bits: it never wraps,
 * so a remembered value can never come round again.
 */
atomic64_t xf_table_changes = ATOMIC64_INIT(1);

u32 xf_table_seq(void)
{
	return (u32)atomic64_read(&xf_table_changes);
}

/*
 * Holding a packet and inserting an entry each take a new stamp from this
 * counter, so stamps are unique and ordered: a packet held at stamp H
 * tells an entry that arrived after it (stamp > H) from one that was there
 * before (stamp < H), and the daemon can name "every hold up to H" (a scan
 * stamp, see xf_table_insert()). 64 bits: it never wraps. Starts at 1: a
 * held packet's stamp is never 0, which means "not held".
 */
static atomic64_t xf_table_stamps = ATOMIC64_INIT(1);

/* The last stamp given out. Context: any. */
u64 xf_table_stamp(void)
{
	return atomic64_read(&xf_table_stamps);
}
EXPORT_SYMBOL_IF_KUNIT(xf_table_stamp);

/* A new stamp, newer than every one before. Context: any. */
u64 xf_table_stamp_next(void)
{
	return atomic64_inc_return(&xf_table_stamps);
}
EXPORT_SYMBOL_IF_KUNIT(xf_table_stamp_next);

/* Context: xf_lock held (or the table unreachable). */
static void table_changed(void)
{
	/*
	 * The change before the bump: a reader that sees the new count
	 * (acquire, in xf_flow_lookup()) sees the change too.
	 */
	smp_mb__before_atomic();
	atomic64_inc(&xf_table_changes);
}

/*
 * A table hash needs no more than HalfSipHash (the result never leaves the
 * kernel). It hashes only what can differ between keys of one shape: an
 * IPv4 key has 12 bytes that matter of its 40, a wildcard fewer, and the
 * protocol picks the hash key. Hashing a subset of what xf_key_eq() compares
 * is always correct, as long as a key's shape decides what is hashed; and
 * the hash is most of the per-packet cost, so every round saved counts.
 */
static u32 key_hash(const struct xf_key *key)
{
	const hsiphash_key_t *hk = &xf_table_keys[key->proto == IPPROTO_UDP];
	u32 ports = (__force u32)key->gport << 16 | (__force u32)key->pport;

	net_get_random_once(xf_table_keys, sizeof(xf_table_keys));
	switch (xf_key_shape(key)) {
	case XF_SHAPE_ANY:
		return hsiphash_1u32(ports, hk);
	case XF_SHAPE_GADDR:
		if (key->family == AF_INET)
			return hsiphash_2u32((__force u32)key->gaddr.ip, ports, hk);
		break;
	default:
		if (key->family == AF_INET)
			return hsiphash_3u32((__force u32)key->gaddr.ip,
					     (__force u32)key->paddr.ip, ports,
					     hk);
		break;
	}
	return hsiphash(key, sizeof(*key), hk);
}

/**
 * xf_key_shape - which probe of xf_table_lookup() can find a key
 * @key: an entry's key, or a probe's
 *
 * Context: any.
 */
enum xf_shape xf_key_shape(const struct xf_key *key)
{
	if (!xf_key_peer_wild(key))
		return XF_SHAPE_EXACT;
	return ipv6_addr_any(&key->gaddr.ip6) ? XF_SHAPE_ANY : XF_SHAPE_GADDR;
}
EXPORT_SYMBOL_IF_KUNIT(xf_key_shape);

/**
 * DOC: Exact filter
 *
 * Most exact probes of the packet path find nothing: a connection from
 * the world is decided by its listener, yet its SYN probes for an exact
 * entry of its key first (the rest of its flow must find that entry
 * rather than the listener, xf_flow_syn_in()), and so do the first
 * packets of flows no entry of which is connected. Each table keeps one
 * byte per slot of a filter, 8 slots per bucket, indexed by a keyed mix
 * of the key's words (the flow cache's, cheaper than the table hash): the
 * number of exact entries whose key maps there. A probe whose slot is 0
 * cannot find anything and is skipped, as a probe of a shape no entry has
 * is (probe()). A slot that reaches 255 stays there, so a count never
 * goes below the truth; a guest that picks colliding keys only makes its
 * own probes happen. Written with the entries under xf_lock, before an
 * entry is linked and after it is unlinked, and read locklessly: a reader
 * racing with an insert may see the table as it was a moment before, as
 * with the shape counts.
 */
u64 xf_exact_seed __read_mostly;

static u8 *exact_slot(const struct xf_table *t, const struct xf_key *key)
{
	const u64 *w = (const u64 *)key;

	return xf_exact_slot_x(t, xf_key_mix(w[0], w[1], w[2], w[3], w[4]));
}

static void shape_add(struct xf_table *t, const struct xf_key *key, int d)
{
	enum xf_shape shape = xf_key_shape(key);
	unsigned int *n = &t->shapes[shape];

	WRITE_ONCE(*n, *n + d);
	if (shape == XF_SHAPE_EXACT) {
		u8 *c = exact_slot(t, key);

		if (*c != U8_MAX)
			WRITE_ONCE(*c, *c + d);
	}
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

	t = kvzalloc(size_add(struct_size(t, buckets, 1U << bits),
			      1U << (bits + XF_EXACT_EXTRA_BITS)), GFP_KERNEL);
	if (!t)
		return NULL;
	t->bits = bits;
	t->exact = (u8 *)&t->buckets[1U << bits];
	return t;
}
EXPORT_SYMBOL_IF_KUNIT(xf_table_alloc);

/*
 * Frees an unreachable table. The entries' kfree_rcu() callbacks touch
 * neither the table nor this module's code, so none is waited for here
 * (module exit has its rcu_barrier()): a domain freed under RTNL does not
 * wait for every callback in the system. Context: process.
 */
void xf_table_free(struct xf_table *t)
{
	if (!t)
		return;
	xf_table_flush(t);
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
			shape_add(n, &c->key, 1);
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
		if (xf_key_eq(&o->key, key))
			return o;
	}
	return NULL;
}
EXPORT_SYMBOL_IF_KUNIT(xf_table_lookup_exact);

/*
 * A probe of a shape that no entry has is skipped: it would find nothing;
 * so is an exact probe that the exact filter rules out.
 */
static struct xf_owner *probe(struct xf_table *t, const struct xf_key *key)
{
	enum xf_shape shape = xf_key_shape(key);

	if (!READ_ONCE(t->shapes[shape]))
		return NULL;
	if (shape == XF_SHAPE_EXACT && !READ_ONCE(*exact_slot(t, key)))
		return NULL;
	return xf_table_lookup_exact(t, key);
}

/**
 * xf_table_lookup_wild - find the socket that owns a flow, any peer
 * @t: the domain's table
 * @key: the packet's key, peer filled in
 *
 * The two wildcard probes of xf_table_lookup(): a socket bound to the
 * guest address with any peer, then one bound to any address. This is how
 * a connection that is just starting is looked up: an exact entry of its
 * key belongs to an earlier connection (see xf_packet_owner()).
 * Context: RCU read side.
 */
struct xf_owner *xf_table_lookup_wild(struct xf_table *t,
				      const struct xf_key *key)
{
	struct xf_key wild = *key;
	struct xf_owner *o;

	memset(&wild.paddr, 0, sizeof(wild.paddr));
	wild.pport = 0;
	o = probe(t, &wild);
	if (o || ipv6_addr_any(&wild.gaddr.ip6))
		return o;
	memset(&wild.gaddr, 0, sizeof(wild.gaddr));
	return probe(t, &wild);
}
EXPORT_SYMBOL_IF_KUNIT(xf_table_lookup_wild);

/**
 * xf_table_lookup - find the socket that owns a flow
 * @t: the domain's table
 * @key: the packet's key, peer filled in
 *
 * The connected socket (exact 5-tuple) first, then a socket bound to the
 * guest address with any peer, then one bound to any address: the order in
 * which the guest's own stack would deliver. A reader racing with an insert
 * may skip a probe whose first entry is being added: it sees the table as
 * it was just before, as it would had it come a moment earlier. An exact
 * entry may outlive its socket until the next sweep: the packet path does
 * not use this lookup for a TCP SYN (xf_packet_owner()).
 * Context: RCU read side.
 */
struct xf_owner *xf_table_lookup(struct xf_table *t, const struct xf_key *key)
{
	struct xf_owner *o;

	o = probe(t, key);
	if (o)
		return o;
	return xf_table_lookup_wild(t, key);
}
EXPORT_SYMBOL_IF_KUNIT(xf_table_lookup);

/**
 * DOC: Flow cache
 *
 * Most packets belong to a flow whose owner this CPU looked up a moment
 * ago. Each CPU keeps its last lookups that found an entry in a small
 * direct-mapped cache: (key, table) -> entry, with the value the change
 * counter (xf_table_changes) had when the lookup began. A slot answers
 * only while that value is still current: no table changed since, so the
 * table would answer the same (no more specific entry was inserted, the
 * entry was not replaced or removed) and the entry is still linked in it.
 *
 * The entry was found in an earlier RCU read-side section, yet it is safe
 * to use in this one: every change bumps the counter after it unlinks an
 * entry and before it hands the entry to kfree_rcu() (table_changed()).
 * A reader that reads the old value inside its read-side section (the
 * hooks run in an RCU-BH section, which is one) read it before that bump,
 * so before that kfree_rcu() began its grace period, and RCU lets no
 * grace period end before a section that began ahead of it ends: the
 * entry is freed after the reader is done with it. A table that goes (its
 * domain's last vif, or a grown copy takes its place) is flushed first,
 * entry by entry, so a slot of it never matches again, not even a new
 * table allocated at the same address: the slot's table pointer is
 * compared, never followed.
 *
 * The lookup that fills a slot reads the counter (acquire) before it
 * probes the table: if it saw a bump, it sees the change that came before
 * it. A change it did not see leaves the slot stale from the start, and
 * the next lookup that sees it misses.
 *
 * Per CPU, with BH disabled: a slot is read, or written, with no call in
 * between, so a nested hook invocation on this CPU (xf_reject() transmits
 * toward the guest from inside a hook; a held packet is re-injected) runs
 * only between whole lookups and never sees a half-written slot. The slot
 * index is a keyed mix, not a hash that resists a guest choosing its
 * ports: a guest that finds colliding flows makes them evict each other,
 * and pays the table lookup it would pay without the cache. A TCP SYN
 * is never decided by the slot of its own key (xf_packet_owner()); a SYN
 * from the world reads only the slot of its wildcard key, whose lookup
 * finds listeners alone, and fills its own for the rest of its flow
 * (xf_flow_syn_in()).
 */
struct xf_flow_slot __percpu *xf_flows __read_mostly;
u64 xf_flow_seed __read_mostly;

/* Context: process (module init). */
int xf_flow_init(void)
{
	xf_flows = __alloc_percpu(sizeof(struct xf_flow_slot) << XF_FLOW_BITS,
				  SMP_CACHE_BYTES);
	if (!xf_flows)
		return -ENOMEM;
	get_random_bytes(&xf_flow_seed, sizeof(xf_flow_seed));
	get_random_bytes(&xf_exact_seed, sizeof(xf_exact_seed));
	return 0;
}

/* Context: process, no hook left (module exit). */
void xf_flow_exit(void)
{
	free_percpu(xf_flows);
	xf_flows = NULL;
}

static void flow_set(struct xf_flow_slot *s, struct xf_table *t,
		     const struct xf_key *key, struct xf_owner *o, u64 seq)
{
	s->key = *key;
	s->t = t;
	s->o = o;
	s->seq = seq;
}

/*
 * The miss half of xf_flow_lookup(): the table's answer, remembered in @s
 * when it found an entry. @seq was read before the probes.
 */
struct xf_owner *xf_flow_fill(struct xf_flow_slot *s, struct xf_table *t,
			      const struct xf_key *key, u64 seq)
{
	struct xf_owner *o = xf_table_lookup(t, key);

	if (o)
		flow_set(s, t, key, o, seq);
	return o;
}
EXPORT_SYMBOL_IF_KUNIT(xf_flow_fill);

/* xf_flow_syn_in() of any key: IPv6, or a SYN with no peer. */
static struct xf_owner *flow_syn_in(struct xf_table *t,
				    const struct xf_key *key)
{
	u64 seq = (u64)atomic64_read_acquire(&xf_table_changes);
	struct xf_key wild = *key;
	struct xf_owner *e, *w;

	/* xf_table_lookup()'s two steps, both taken. */
	e = probe(t, key);
	memset(&wild.paddr, 0, sizeof(wild.paddr));
	wild.pport = 0;
	w = xf_flow_lookup(t, &wild);
	if (e || w)
		flow_set(xf_flow_slot(key), t, key, e ?: w, seq);
	return w;
}

/* The key of IPv4 words, for the rare calls that need it in memory. */
static __always_inline void key_of4(struct xf_key *key, u64 w0, u64 w2,
				    u64 w4)
{
	u64 *k = (u64 *)key;

	k[0] = w0;
	k[1] = 0;
	k[2] = w2;
	k[3] = 0;
	k[4] = w4;
}

static noinline struct xf_owner *syn_in_key4(struct xf_table *t, u64 w0,
					     u64 w2, u64 w4)
{
	struct xf_key key __xf_noinit;

	key_of4(&key, w0, w2, w4);
	return flow_syn_in(t, &key);
}

static noinline struct xf_owner *lookup_exact4(struct xf_table *t, u64 w0,
					       u64 w2, u64 w4)
{
	struct xf_key key __xf_noinit;

	key_of4(&key, w0, w2, w4);
	return xf_table_lookup_exact(t, &key);
}

static noinline struct xf_owner *fill4(struct xf_flow_slot *s,
				       struct xf_table *t, u64 w0, u64 w2,
				       u64 w4, u64 seq)
{
	struct xf_key key __xf_noinit;

	key_of4(&key, w0, w2, w4);
	return xf_flow_fill(s, t, &key, seq);
}

/**
 * xf_flow_syn_in4 - the owner of a TCP SYN from the world, over IPv4
 * @t: the domain's table
 * @w0: word 0 of the SYN's key (xf_flow4_words())
 * @w2: word 2
 * @w4: word 4
 *
 * What xf_table_lookup_wild() returns: a listener decides a connection
 * that starts, never an exact entry of its key (xf_packet_owner()). The
 * cache is not read under @key. It is read under @key with the peer
 * zeroed, a wildcard key: xf_table_lookup() of that key probes only
 * wildcard entries, the guest address's then any address's, which is
 * xf_table_lookup_wild() of @key, and a slot answers only what the table
 * would answer now (see "DOC: Flow cache"), so the listener of a port
 * that keeps accepting connections costs no table probe either. The
 * cache is then filled under @key with what xf_table_lookup() says of
 * it, exact entry first, as for any other packet: the rest of the flow
 * (the guest's SYN-ACK first) finds its owner in the cache.
 *
 * The key stays in registers: each probe is xf_table_lookup()'s own
 * (probe(), xf_flow_lookup()) on the words, the slot compare that of
 * xf_flow_peek4(), and the key is written to memory only for a table
 * walk. The counter is read once, before every probe: a slot filled with
 * it is stale from the start if a table changed since, as for any fill.
 * A SYN without a peer (its key is a wildcard key) takes the general path.
 * The packet path tries xf_flow_syn_in4_fast() first.
 * Context: BH disabled, RCU read side.
 */
struct xf_owner *xf_flow_syn_in4(struct xf_table *t, u64 w0, u64 w2, u64 w4)
{
	u64 seq = (u64)atomic64_read_acquire(&xf_table_changes);
	u64 wild4 = xf_w4_no_pport(w4);
	u64 x = xf_key_mix(w0, 0, w2, 0, w4);
	struct xf_owner *e = NULL, *w;
	struct xf_flow_slot *s;
	const u64 *k;

	if (unlikely(!w2 && w4 == wild4))
		return syn_in_key4(t, w0, w2, w4);
	/* probe() of the key: its shape is exact. */
	if (xf_exact_may_hold(t, x))
		e = lookup_exact4(t, w0, w2, w4);
	/* xf_flow_lookup() of the wildcard key. */
	s = xf_flow_slot_x(xf_key_mix(w0, 0, 0, 0, wild4));
	k = (const u64 *)&s->key;
	if (likely(s->seq == seq && s->t == t &&
		   !((k[0] ^ w0) | k[2] | (k[4] ^ wild4))))
		w = s->o;
	else
		w = fill4(s, t, w0, 0, wild4, seq);
	if (e || w)
		xf_flow_set4(xf_flow_slot_x(x), t, w0, w2, w4, e ?: w, seq);
	return w;
}

/**
 * xf_flow_syn_in - xf_flow_syn_in4() of a key in memory
 * @t: the domain's table
 * @key: the SYN's key
 *
 * Context: BH disabled, RCU read side.
 */
struct xf_owner *xf_flow_syn_in(struct xf_table *t, const struct xf_key *key)
{
	const u64 *w = (const u64 *)key;

	if (key->family == AF_INET)
		return xf_flow_syn_in4(t, w[0], w[2], w[4]);
	return flow_syn_in(t, key);
}
EXPORT_SYMBOL_IF_KUNIT(xf_flow_syn_in);

/**
 * xf_table_insert - insert or replace the entry of a key
 * @t: the table
 * @key: the flow key
 * @info: the owner
 * @generation: the batch it belongs to
 * @max_entries: the domain's limit
 * @scan: the scan stamp of the daemon's read that found the owner (every
 *        hold up to it came before that read), or U64_MAX when not known
 *
 * The entry is stamped as old as what it knows: min(a new stamp, @scan).
 * A packet held after the read began (stamp > @scan) may have been sent
 * by another socket that took the 5-tuple since, so the entry does not
 * decide it (xf_packet_owner()); without @scan the entry counts from its
 * insertion, which is how an answer that does not say is taken.
 *
 * Context: process, xf_lock held. Returns 0, -ENOSPC when the table holds
 * @max_entries already and the key is new, or -ENOMEM.
 */
int xf_table_insert(struct xf_table *t, const struct xf_key *key,
		    const struct xf_owner_info *info, u64 generation,
		    unsigned int max_entries, u64 scan)
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
	o->stamp = min(xf_table_stamp_next(), scan);
	if (old) {
		/* Same owner: keep the counters; the verdict cache is redone. */
		atomic64_set(&o->packets, atomic64_read(&old->packets));
		atomic64_set(&o->bytes, atomic64_read(&old->bytes));
		hlist_replace_rcu(&old->node, &o->node);
		/* Before the free: see "DOC: Flow cache". */
		table_changed();
		kfree_rcu(old, rcu);
		return 0;
	}
	shape_add(t, key, 1);
	hlist_add_head_rcu(&o->node, bucket(t, key));
	atomic_inc(&t->count);
	table_changed();
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(xf_table_insert);

/* The change is counted before the free: see "DOC: Flow cache". */
static void entry_remove(struct xf_table *t, struct xf_owner *o)
{
	hlist_del_rcu(&o->node);
	atomic_dec(&t->count);
	shape_add(t, &o->key, -1);
	table_changed();
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
