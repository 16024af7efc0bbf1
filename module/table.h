/* SPDX-License-Identifier: GPL-2.0 */
/* The owner table of one domain: guest sockets and the tasks that own them. */
#ifndef _XF_TABLE_H
#define _XF_TABLE_H

#include <linux/types.h>
#include <linux/rculist.h>
#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/hash.h>
#include <linux/percpu.h>
#include <linux/xfilter.h>

#include "parse.h"

struct xf_owner_info {
	u32 pid, tgid, uid, gid, sock_uid;
	u32 flags;		/* XFILTER_OWNER_F_* */
	u64 start_time;
	u64 inode;
	u8 state;
	char comm[XFILTER_COMM_LEN];
};

/*
 * The rule decision cached in an entry, one per direction, packed in one
 * word so readers never see a torn value:
 * bits 0-31 ruleset generation (low half; 0 = empty), 32-34 verdict,
 * 35-48 index+1 of the deciding rule, 49-62 index+1 of the first log rule.
 */
#define XF_CACHE_VERDICT_SHIFT	32
#define XF_CACHE_RULE_SHIFT	35
#define XF_CACHE_LOG_SHIFT	49
#define XF_CACHE_IDX_MASK	0x3fffULL
#define XF_MAX_RULES		((u32)XF_CACHE_IDX_MASK - 1)

struct xf_owner {
	struct hlist_node node;
	struct xf_key key;
	struct xf_owner_info info;
	u64 generation;
	u64 stamp;		/* see xf_table_insert() */
	u64 cache[2];		/* [0] = OUT, [1] = IN */
	atomic64_t packets;
	atomic64_t bytes;
	struct rcu_head rcu;
};

/*
 * The shapes of key a lookup tries, in order: connected (peer set), bound to
 * the guest address with any peer, bound to any address with any peer.
 */
enum xf_shape {
	XF_SHAPE_EXACT,
	XF_SHAPE_GADDR,
	XF_SHAPE_ANY,
	XF_NSHAPES,
};

struct xf_table {
	unsigned int bits;
	atomic_t count;
	/*
	 * Entries per shape, written under xf_lock and read locklessly by
	 * the packet path, which skips a probe that cannot find anything.
	 */
	unsigned int shapes[XF_NSHAPES];
	u8 *exact;		/* see "DOC: Exact filter" in table.c */
	struct hlist_head buckets[];
};

struct xf_table *xf_table_alloc(unsigned int max_entries);
void xf_table_free(struct xf_table *t);
struct xf_table *xf_table_grow(struct xf_table *t, unsigned int max_entries);

struct xf_owner *xf_table_lookup_exact(struct xf_table *t,
				       const struct xf_key *key);
struct xf_owner *xf_table_lookup(struct xf_table *t, const struct xf_key *key);
struct xf_owner *xf_table_lookup_wild(struct xf_table *t,
				      const struct xf_key *key);
int xf_flow_init(void);
void xf_flow_exit(void);
struct xf_owner *xf_flow_syn_in(struct xf_table *t, const struct xf_key *key);
struct xf_owner *xf_flow_syn_in4(struct xf_table *t, u64 w0, u64 w2, u64 w4);

/* The flow cache: see "DOC: Flow cache" in table.c. */
#define XF_FLOW_BITS	8

struct xf_flow_slot {
	struct xf_key key;
	const struct xf_table *t;
	struct xf_owner *o;
	u64 seq;		/* xf_table_changes when filled; 0 = empty */
};

extern atomic64_t xf_table_changes;
extern struct xf_flow_slot __percpu *xf_flows;
extern u64 xf_flow_seed;

struct xf_owner *xf_flow_fill(struct xf_flow_slot *s, struct xf_table *t,
			      const struct xf_key *key, u64 seq);

/* Without a branch per word: most compares on the packet path are equal. */
static inline bool xf_key_eq(const struct xf_key *a, const struct xf_key *b)
{
	const u64 *x = (const u64 *)a, *y = (const u64 *)b;

	BUILD_BUG_ON(sizeof(*a) != 5 * sizeof(u64));
	return !((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) |
		 (x[3] ^ y[3]) | (x[4] ^ y[4]));
}

/*
 * The keyed mix of a key's five words that both the flow cache and the
 * exact filter index by (an IPv4 key's words 1 and 3 are zero).
 */
static __always_inline u64 xf_key_mix(u64 w0, u64 w1, u64 w2, u64 w3, u64 w4)
{
	return w0 ^ w1 ^ ror64(w2 ^ w3, 29) ^ ror64(w4, 47);
}

/* This CPU's slot of a key's mix of words @x. Context: BH disabled. */
static __always_inline struct xf_flow_slot *xf_flow_slot_x(u64 x)
{
	return this_cpu_ptr(xf_flows) + hash_64(x ^ xf_flow_seed, XF_FLOW_BITS);
}

/* This CPU's slot of the key of words @w0..@w4. Context: BH disabled. */
static __always_inline struct xf_flow_slot *xf_flow_slot_w(u64 w0, u64 w1,
							   u64 w2, u64 w3,
							   u64 w4)
{
	return xf_flow_slot_x(xf_key_mix(w0, w1, w2, w3, w4));
}

/* This CPU's slot of a key. Context: BH disabled. */
static inline struct xf_flow_slot *xf_flow_slot(const struct xf_key *key)
{
	const u64 *w = (const u64 *)key;

	return xf_flow_slot_w(w[0], w[1], w[2], w[3], w[4]);
}

/**
 * xf_flow_lookup - xf_table_lookup(), through this CPU's flow cache
 * @t: the domain's table
 * @key: the packet's key, peer filled in
 *
 * Returns what xf_table_lookup() returns (see "DOC: Flow cache").
 * Context: BH disabled, RCU read side.
 */
static inline struct xf_owner *xf_flow_lookup(struct xf_table *t,
					      const struct xf_key *key)
{
	struct xf_flow_slot *s = xf_flow_slot(key);
	u64 seq = (u64)atomic64_read_acquire(&xf_table_changes);

	if (likely(s->seq == seq && s->t == t && xf_key_eq(&s->key, key)))
		return s->o;
	return xf_flow_fill(s, t, key, seq);
}

/**
 * xf_flow_peek4 - the flow cache's answer for an IPv4 key, if it has one
 * @t: the domain's table
 * @w0: word 0 of the key (xf_flow4_words())
 * @w2: word 2
 * @w4: word 4 (words 1 and 3 of an IPv4 key are zero)
 *
 * What xf_flow_lookup() returns when this CPU's slot answers for the key;
 * NULL when it does not (nothing is looked up or filled then). Words 1
 * and 3 are not compared: word 4 holds the family, and a key of family
 * AF_INET, like every key a slot is filled with (a packet's, or its
 * wildcard), has zeros there.
 * Context: BH disabled, RCU read side.
 */
static __always_inline struct xf_owner *
xf_flow_peek4(const struct xf_table *t, u64 w0, u64 w2, u64 w4)
{
	struct xf_flow_slot *s = xf_flow_slot_w(w0, 0, w2, 0, w4);
	u64 seq = (u64)atomic64_read_acquire(&xf_table_changes);
	const u64 *k = (const u64 *)&s->key;

	if (s->seq != seq || s->t != t ||
	    ((k[0] ^ w0) | (k[2] ^ w2) | (k[4] ^ w4)))
		return NULL;
	return s->o;
}

/* See "DOC: Exact filter" in table.c. */
#define XF_EXACT_EXTRA_BITS 3
extern u64 xf_exact_seed;

/* The exact filter's slot of the key whose mix is @x. */
static __always_inline u8 *xf_exact_slot_x(const struct xf_table *t, u64 x)
{
	return &t->exact[hash_64(x ^ xf_exact_seed,
				 t->bits + XF_EXACT_EXTRA_BITS)];
}

/*
 * Whether the table may hold an exact entry of the key whose mix is @x:
 * false when no entry is exact, or when the filter rules the key out.
 */
static __always_inline bool xf_exact_may_hold(const struct xf_table *t, u64 x)
{
	return READ_ONCE(t->shapes[XF_SHAPE_EXACT]) &&
	       READ_ONCE(*xf_exact_slot_x(t, x));
}

/* Word 4 of an IPv4 key (xf_flow4_words()) with the peer's port zeroed. */
static __always_inline u64 xf_w4_no_pport(u64 w4)
{
	union {
		struct { __be16 gport, pport; u32 rest; } t;
		u64 w;
	} m = { .t = { 0, (__force __be16)0xffff, 0 } };

	BUILD_BUG_ON(offsetof(struct xf_key, pport) != 4 * sizeof(u64) + 2);
	return w4 & ~m.w;
}

/* Fills slot @s with the IPv4 key of words @w0, @w2, @w4 and entry @o. */
static __always_inline void xf_flow_set4(struct xf_flow_slot *s,
					 const struct xf_table *t, u64 w0,
					 u64 w2, u64 w4, struct xf_owner *o,
					 u64 seq)
{
	u64 *k = (u64 *)&s->key;

	k[0] = w0;
	k[1] = 0;
	k[2] = w2;
	k[3] = 0;
	k[4] = w4;
	s->t = t;
	s->o = o;
	s->seq = seq;
}

/**
 * xf_flow_syn_in4_fast - xf_flow_syn_in4(), when it needs no call
 * @t: the domain's table
 * @w0: word 0 of the SYN's key (xf_flow4_words())
 * @w2: word 2
 * @w4: word 4
 *
 * The common case of xf_flow_syn_in4(), the same steps: the SYN has a
 * peer, the exact filter rules out an exact entry of its key (probe()),
 * and this CPU's slot of the wildcard key answers (xf_flow_peek4()): the
 * listener it holds is returned and the slot of the key filled with it.
 * Returns NULL, having written nothing, in any other case: the caller
 * then calls xf_flow_syn_in4(), which takes every step again.
 * Context: BH disabled, RCU read side.
 */
static __always_inline struct xf_owner *
xf_flow_syn_in4_fast(struct xf_table *t, u64 w0, u64 w2, u64 w4)
{
	u64 seq = (u64)atomic64_read_acquire(&xf_table_changes);
	u64 wild4 = xf_w4_no_pport(w4);
	u64 x = xf_key_mix(w0, 0, w2, 0, w4);
	struct xf_flow_slot *s;
	struct xf_owner *w;
	const u64 *k;

	if ((!w2 && w4 == wild4) || xf_exact_may_hold(t, x))
		return NULL;
	s = xf_flow_slot_x(xf_key_mix(w0, 0, 0, 0, wild4));
	k = (const u64 *)&s->key;
	if (s->seq != seq || s->t != t ||
	    ((k[0] ^ w0) | k[2] | (k[4] ^ wild4)))
		return NULL;
	w = s->o;
	if (w)
		xf_flow_set4(xf_flow_slot_x(x), t, w0, w2, w4, w, seq);
	return w;
}

int xf_table_insert(struct xf_table *t, const struct xf_key *key,
		    const struct xf_owner_info *info, u64 generation,
		    unsigned int max_entries, u64 scan);
int xf_table_delete(struct xf_table *t, const struct xf_key *key);
unsigned int xf_table_sweep(struct xf_table *t, u64 generation);
unsigned int xf_table_flush(struct xf_table *t);
u32 xf_table_seq(void);
u64 xf_table_stamp(void);
u64 xf_table_stamp_next(void);
enum xf_shape xf_key_shape(const struct xf_key *key);

#endif /* _XF_TABLE_H */
