// SPDX-License-Identifier: GPL-2.0
/*
 * Hold on miss. A TCP/UDP packet whose socket is not in the owner table yet
 * is stolen into a bounded per-vif queue and a miss event asks the daemon
 * for its owner; the packet is decided again when an entry arrives
 * (OWNER_ADD, OWNER_COMMIT), when the daemon says there is no socket
 * (MISS_RESOLVE: negative cache), or at its deadline (fail mode). So no
 * packet passes unfiltered while the table catches up. Duplicate misses of
 * one key are coalesced into one event; caps per vif and per domain bound
 * what a guest can make dom0 hold, and a domain has at most
 * dom_miss_inflight questions open at the daemon (further keys wait their
 * turn in the queue), so one guest's miss storm cannot starve another's.
 */
#include <linux/slab.h>
#include <linux/netdevice.h>
#include <linux/jiffies.h>
#include <kunit/visibility.h>

#include "hold.h"
#include "vif.h"
#include "domain.h"
#include "table.h"
#include "packet.h"
#include "netlink.h"

/*
 * The daemon's targeted walk takes about a millisecond; the deadline only
 * bounds how long a subscribed but stuck daemon can stall a new flow, and
 * stays under TCP's first SYN retransmission.
 */
unsigned int xf_hold_ms = 900;
unsigned int xf_hold_max_packets = 256;
unsigned int xf_hold_max_bytes = 1 << 20;
unsigned int xf_dom_hold_max_packets = 1024;
unsigned int xf_dom_hold_max_bytes = 4 << 20;
/*
 * Misses of one domain the daemon has not answered yet, at most: a guest
 * that makes every packet miss then keeps only this many of its keys in
 * the daemon's queue, and another domain's miss waits behind those only.
 * The daemon answers one miss at a time, so more in flight would add
 * queueing, not throughput.
 */
unsigned int xf_dom_miss_inflight = 8;

#if IS_ENABLED(CONFIG_XFILTER_KUNIT_TEST)
/* Lets the tests hold packets without a daemon subscribed. */
bool xf_hold_test_listener;
EXPORT_SYMBOL_IF_KUNIT(xf_hold_test_listener);
#endif

static bool miss_listeners(void)
{
#if IS_ENABLED(CONFIG_XFILTER_KUNIT_TEST)
	if (READ_ONCE(xf_hold_test_listener))
		return true;
#endif
	return xf_nl_miss_listeners();
}

struct xf_held {
	struct list_head node;
	struct sk_buff *skb;
	unsigned long deadline;
	bool leader;		/* first packet of its key in the queue */
	bool asked;		/* the leader's miss event went out */
	struct xf_pkt pkt;
};

/*
 * May the domain ask the daemon about one more key now? At most
 * dom_miss_inflight unanswered, and miss_budget per second. A key that may
 * not be asked yet is held all the same and asked when an answer frees a
 * place (hold_run), so a burst of new flows waits rather than slipping
 * through on the fail mode. Context: hold_lock held.
 */
static bool may_ask(struct xf_domain *dom)
{
	return atomic_read(&dom->miss_keys) < READ_ONCE(xf_dom_miss_inflight) &&
	       __ratelimit(&dom->miss_rs);
}

/**
 * xf_hold - hold a packet that missed the owner table
 * @vif: the vif the packet was seen on
 * @skb: the packet
 * @pkt: its parse
 *
 * Returns NF_STOLEN when held; otherwise the packet is decided at once by
 * the fail mode (no daemon, queue full) and the verdict is returned.
 * Context: softirq or BH disabled, RCU read side.
 */
unsigned int xf_hold(struct xf_vif *vif, struct sk_buff *skb,
		     const struct xf_pkt *pkt)
{
	struct xf_domain *dom = vif->dom;
	struct xf_held *h, *it;
	bool dup = false, first, h_asked;
	u64 held_at;

	if (!miss_listeners())
		return xf_packet_resolve(vif, skb, pkt, XF_FAIL_NO_DAEMON);
	/*
	 * A full queue is the usual case under a miss storm: decide such a
	 * packet without an allocation or the lock, so that the storm does
	 * not contend with the answers that drain the queue (the caps are
	 * checked again under the lock).
	 */
	if (READ_ONCE(vif->held_pkts) >= READ_ONCE(xf_hold_max_packets) ||
	    atomic_read(&dom->held) >= READ_ONCE(xf_dom_hold_max_packets))
		return xf_packet_resolve(vif, skb, pkt, XF_FAIL_FULL);

	h = kmalloc(sizeof(*h), GFP_ATOMIC);
	if (!h)
		return xf_packet_resolve(vif, skb, pkt, XF_FAIL_FULL);
	h->skb = skb;
	h->pkt = *pkt;
	/*
	 * Entries older than this do not decide a held SYN (a stale exact
	 * entry of its key is why it was held). A stamp of its own, from the
	 * counter that stamps entries: the miss event carries it, and the
	 * daemon's answers say which holds they cover (xf_table_insert()).
	 */
	held_at = xf_table_stamp_next();
	h->pkt.held_at = held_at;
	h->deadline = jiffies + msecs_to_jiffies(READ_ONCE(xf_hold_ms));

	spin_lock_bh(&vif->hold_lock);
	/*
	 * Caps per vif and per domain: a guest that makes every packet miss
	 * (random ports) fills its own queues only; other domains keep theirs.
	 */
	if (vif->dead || vif->held_pkts >= READ_ONCE(xf_hold_max_packets) ||
	    vif->held_bytes + skb->truesize > READ_ONCE(xf_hold_max_bytes) ||
	    atomic_read(&dom->held) >= READ_ONCE(xf_dom_hold_max_packets) ||
	    atomic_read(&dom->held_bytes) + skb->truesize >
	    READ_ONCE(xf_dom_hold_max_bytes)) {
		spin_unlock_bh(&vif->hold_lock);
		kfree(h);
		return xf_packet_resolve(vif, skb, pkt, XF_FAIL_FULL);
	}
	/*
	 * A retransmitted SYN whose key is still held joins it: one question
	 * for both. One sent after the answer asks again (xf_packet_owner).
	 */
	list_for_each_entry(it, &vif->held, node) {
		if (!memcmp(&it->pkt.key, &pkt->key, sizeof(pkt->key))) {
			dup = true;
			break;
		}
	}
	first = list_empty(&vif->held);
	h->leader = !dup;
	h->asked = h->leader && may_ask(dom);
	if (h->asked)
		atomic_inc(&dom->miss_keys);
	h_asked = h->asked;	/* h may be gone once the lock is dropped */
	list_add_tail(&h->node, &vif->held);
	WRITE_ONCE(vif->held_pkts, vif->held_pkts + 1);
	vif->held_bytes += skb->truesize;
	atomic_inc(&dom->held);
	atomic_add(skb->truesize, &dom->held_bytes);
	/*
	 * The entry may have arrived between the hook's lookup and now, with
	 * its kick gone by: look again rather than wait for the deadline.
	 */
	if (xf_packet_owner(xf_dom_table(dom), &h->pkt))
		mod_delayed_work(system_wq, &vif->hold_work, 0);
	else if (first)
		mod_delayed_work(system_wq, &vif->hold_work,
				 msecs_to_jiffies(READ_ONCE(xf_hold_ms)) + 1);
	spin_unlock_bh(&vif->hold_lock);

	xf_stat_inc(dom, XFILTER_STATS_A_HELD);
	if (h_asked)
		xf_nl_miss_event(vif, pkt, held_at);
	return NF_STOLEN;
}
EXPORT_SYMBOL_IF_KUNIT(xf_hold);

static void unlink_held(struct xf_vif *vif, struct xf_held *h)
{
	list_del(&h->node);
	WRITE_ONCE(vif->held_pkts, vif->held_pkts - 1);
	vif->held_bytes -= h->skb->truesize;
	atomic_dec(&vif->dom->held);
	atomic_sub(h->skb->truesize, &vif->dom->held_bytes);
	if (h->asked)
		atomic_dec(&vif->dom->miss_keys);
}

/* Sends a decided packet on its way, past this vif's own hook. */
static void reinject(struct xf_vif *vif, struct xf_held *h)
{
	struct sk_buff *skb = h->skb;
	struct xf_skip prev = xf_skip_set(skb, vif);

	if (h->pkt.dir == XFILTER_DIR_OUT)
		netif_receive_skb_core(skb);
	else
		dev_queue_xmit(skb);
	xf_skip_restore(prev);
}

/*
 * Decides and sends on the packets of @list. A queue's worth of them is a
 * burst (a storming domain's full queue when its deadline passes, up to
 * hold_max_packets reinjected, each through the bridge and beyond): the
 * CPU is offered to others between packets, so that another domain's
 * resolver or traffic does not wait for the whole burst.
 * Context: process.
 */
static void decide_list(struct xf_vif *vif, struct list_head *list)
{
	struct xf_held *h, *tmp;

	list_for_each_entry_safe(h, tmp, list, node) {
		enum xf_fail why = h->deadline ? XF_FAIL_NONE : XF_FAIL_TIMEOUT;
		unsigned int v;

		list_del(&h->node);
		local_bh_disable();
		rcu_read_lock();
		v = xf_packet_resolve(vif, h->skb, &h->pkt, why);
		rcu_read_unlock();
		if (v == NF_ACCEPT)
			reinject(vif, h);
		else
			kfree_skb(h->skb);
		local_bh_enable();
		kfree(h);
		cond_resched();
	}
}

/*
 * Places freed by answers: asks about keys that waited for one.
 * Context: hold_lock held.
 */
static void ask_waiting(struct xf_vif *vif)
{
	struct xf_held *h;

	list_for_each_entry(h, &vif->held, node) {
		if (!h->leader || h->asked)
			continue;
		if (!may_ask(vif->dom))
			break;
		h->asked = true;
		atomic_inc(&vif->dom->miss_keys);
		xf_nl_miss_event(vif, &h->pkt, h->pkt.held_at);
	}
}

/*
 * @h, the leader of its key, is about to leave the queue by an answer
 * (an entry, "no socket") that covers the holds up to the daemon's scan
 * stamp only: a packet of the key held later, which joined @h's question,
 * may not be decided by it. The first such packet becomes the key's leader
 * and asks again (ask_waiting), with its own stamp; if the answer decides
 * it after all, it leaves the queue in the same pass and promotes the
 * next. Dups are queued after their leader. Context: hold_lock held.
 */
static void promote_next(struct xf_vif *vif, struct xf_held *h)
{
	struct xf_held *it = h;

	if (!h->leader)
		return;
	list_for_each_entry_continue(it, &vif->held, node) {
		if (!it->leader &&
		    !memcmp(&it->pkt.key, &h->pkt.key, sizeof(h->pkt.key))) {
			it->leader = true;
			it->asked = false;
			return;
		}
	}
}

/*
 * Takes out of the queue every packet that can be decided now: its owner
 * arrived, the negative cache knows its key, the domain is no longer
 * filtered, or its deadline passed (then marked by a zero deadline; at most
 * XF_HOLD_EXPIRE_BATCH of those per pass, the rest a jiffy later).
 * Context: process.
 */
static void hold_run(struct xf_vif *vif)
{
	struct xf_domain *dom = vif->dom;
	struct xf_held *h, *tmp;
	unsigned int expired = 0;
	LIST_HEAD(ready);
	unsigned long next = 0;

	spin_lock_bh(&vif->hold_lock);
	rcu_read_lock();
	list_for_each_entry_safe(h, tmp, &vif->held, node) {
		if (!READ_ONCE(dom->enabled)) {
			unlink_held(vif, h);
			list_add_tail(&h->node, &ready);
		} else if (xf_packet_owner(xf_dom_table(dom), &h->pkt) ||
			   xf_neg_lookup(dom, &h->pkt.key, h->pkt.held_at)) {
			promote_next(vif, h);
			unlink_held(vif, h);
			list_add_tail(&h->node, &ready);
		} else if (time_after_eq(jiffies, h->deadline) &&
			   expired < XF_HOLD_EXPIRE_BATCH) {
			unlink_held(vif, h);
			h->deadline = 0;
			list_add_tail(&h->node, &ready);
			expired++;
		} else if (!next || time_before(h->deadline, next)) {
			/* past it, left for the next slice: a jiffy on */
			next = h->deadline;
		}
	}
	rcu_read_unlock();
	ask_waiting(vif);
	if (next && !vif->dead)
		mod_delayed_work(system_wq, &vif->hold_work,
				 max_t(long, (long)(next - jiffies), 1));
	spin_unlock_bh(&vif->hold_lock);

	decide_list(vif, &ready);
}

static void hold_work_fn(struct work_struct *work)
{
	hold_run(container_of(to_delayed_work(work), struct xf_vif, hold_work));
}

void xf_hold_vif_init(struct xf_vif *vif)
{
	spin_lock_init(&vif->hold_lock);
	INIT_LIST_HEAD(&vif->held);
	INIT_DELAYED_WORK(&vif->hold_work, hold_work_fn);
}
EXPORT_SYMBOL_IF_KUNIT(xf_hold_vif_init);

/*
 * Frees every held packet: the vif is going away and its hooks are already
 * unregistered and quiescent. Context: process.
 */
void xf_hold_vif_drain(struct xf_vif *vif)
{
	struct xf_held *h, *tmp;
	LIST_HEAD(gone);

	spin_lock_bh(&vif->hold_lock);
	vif->dead = true;
	spin_unlock_bh(&vif->hold_lock);
	cancel_delayed_work_sync(&vif->hold_work);

	spin_lock_bh(&vif->hold_lock);
	list_for_each_entry_safe(h, tmp, &vif->held, node) {
		unlink_held(vif, h);
		list_add_tail(&h->node, &gone);
	}
	spin_unlock_bh(&vif->hold_lock);

	list_for_each_entry_safe(h, tmp, &gone, node) {
		xf_stat_inc(vif->dom, XFILTER_STATS_A_DROPPED);
		kfree_skb(h->skb);
		kfree(h);
	}
}
EXPORT_SYMBOL_IF_KUNIT(xf_hold_vif_drain);

/* Key word mix: cheap to compare before a whole key. */
static u64 key_mix(const struct xf_key *key)
{
	const u64 *w = (const u64 *)key;

	return xf_key_mix(w[0], w[1], w[2], w[3], w[4]);
}

static bool key_eq(const struct xf_key *a, const struct xf_key *b)
{
	const u64 *x = (const u64 *)a, *y = (const u64 *)b;

	return !((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) |
		 (x[3] ^ y[3]) | (x[4] ^ y[4]));
}

/*
 * The keys of one answer, for a pass over a held queue: a 64-bit filter
 * passes a packet of another key with a chance of about n/64, so most of
 * a storm's queue costs one mix and one bit test each.
 */
struct answer_set {
	const struct xf_key *keys;
	u64 mix[XFILTER_MISS_KEYS_MAX];
	u64 filter;
	unsigned int n;
};

static u64 filter_bit(u64 mix)
{
	return 1ULL << hash_64(mix, 6);
}

static bool answer_has(const struct answer_set *a, const struct xf_key *key)
{
	u64 m = key_mix(key);
	unsigned int i;

	if (!(a->filter & filter_bit(m)))
		return false;
	for (i = 0; i < a->n; i++)
		if (a->mix[i] == m && key_eq(&a->keys[i], key))
			return true;
	return false;
}

/**
 * xf_hold_no_socket_keys - the daemon found no socket for keys (MISS_RESOLVE)
 * @dom: the domain
 * @keys: the keys miss events asked about; duplicates count once, and are
 *	moved to the end of the array
 * @n: how many, at most XFILTER_MISS_KEYS_MAX
 * @scan: the scan stamp of the daemon's read, or U64_MAX when not known
 *
 * The negative cache learns each key, and an exact entry of a key is a
 * closed socket's, waiting for the next sweep: it is deleted, so that a
 * held SYN of the key (and anything after) is decided as "owner unknown"
 * rather than by the earlier connection's owner. Then the held packets of
 * the keys are decided, in one pass over each vif's queue, and the keys
 * that waited for a place at the daemon are asked about once, at the end.
 * All of it as of @scan: an entry stamped after it came from a newer read
 * and stays, and a packet held after it was sent by a socket the read may
 * not have seen: it stays held and asks again (xf_table_insert() has the
 * same rule for entries).
 *
 * Returns the number of distinct keys, or -ENOMEM with nothing done.
 * Context: process, xf_lock held.
 */
int xf_hold_no_socket_keys(struct xf_domain *dom, struct xf_key *keys,
			   unsigned int n, u64 scan)
{
	struct answer_set *a;
	struct xf_held *h, *tmp;
	struct xf_owner *o;
	struct xf_vif *vif;
	unsigned int i, j;
	LIST_HEAD(ready);

	lockdep_assert_held(&xf_lock);
	if (WARN_ON_ONCE(n > XFILTER_MISS_KEYS_MAX))
		n = XFILTER_MISS_KEYS_MAX;
	a = kmalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return -ENOMEM;
	a->keys = keys;
	a->filter = 0;
	a->n = 0;
	for (i = 0; i < n; i++) {
		u64 m = key_mix(&keys[i]);

		for (j = 0; j < a->n; j++)
			if (a->mix[j] == m && key_eq(&keys[j], &keys[i]))
				break;
		if (j < a->n)
			continue;
		if (a->n != i)
			swap(keys[a->n], keys[i]);
		a->mix[a->n++] = m;
		a->filter |= filter_bit(m);
	}
	for (i = 0; i < a->n; i++) {
		xf_neg_insert(dom, &keys[i], XF_NEG_NOSOCK, scan);
		o = xf_key_shape(&keys[i]) == XF_SHAPE_EXACT ?
		    xf_table_lookup_exact(xf_dom_table(dom), &keys[i]) : NULL;
		if (o && o->stamp <= scan)
			xf_table_delete(xf_dom_table(dom), &keys[i]);
	}
	/*
	 * Only these keys' packets became decidable (the negative cache
	 * compares whole keys, as here): no full pass of hold_run, whose
	 * lookups per held packet would cost every answer to a storming
	 * domain a pass over its full queue with table and cache lookups.
	 * Deadlines stay with hold_work.
	 */
	list_for_each_entry(vif, &dom->vifs, dom_node) {
		spin_lock_bh(&vif->hold_lock);
		if (vif->dead) {
			spin_unlock_bh(&vif->hold_lock);
			continue;
		}
		list_for_each_entry_safe(h, tmp, &vif->held, node) {
			if (h->pkt.held_at <= scan &&
			    answer_has(a, &h->pkt.key)) {
				promote_next(vif, h);
				unlink_held(vif, h);
				list_add_tail(&h->node, &ready);
			}
		}
		ask_waiting(vif);
		spin_unlock_bh(&vif->hold_lock);
		decide_list(vif, &ready);
	}
	i = a->n;
	kfree(a);
	return i;
}
EXPORT_SYMBOL_IF_KUNIT(xf_hold_no_socket_keys);

/* One key's answer (the single-key form of MISS_RESOLVE). */
int xf_hold_no_socket(struct xf_domain *dom, const struct xf_key *key,
		      u64 scan)
{
	struct xf_key k = *key;
	int err = xf_hold_no_socket_keys(dom, &k, 1, scan);

	return err < 0 ? err : 0;
}
EXPORT_SYMBOL_IF_KUNIT(xf_hold_no_socket);

/*
 * Something changed that may decide held packets (new entries, a negative
 * answer, filtering turned off): decide them now, in the caller's context
 * rather than through the work, so that a resolved miss costs no extra
 * scheduling hop. Context: process, xf_lock held (it guards dom->vifs and
 * keeps a vif from being drained meanwhile).
 */
void xf_hold_kick(struct xf_domain *dom)
{
	struct xf_vif *vif;
	bool any;

	lockdep_assert_held(&xf_lock);
	list_for_each_entry(vif, &dom->vifs, dom_node) {
		spin_lock_bh(&vif->hold_lock);
		any = !list_empty(&vif->held) && !vif->dead;
		spin_unlock_bh(&vif->hold_lock);
		if (any)
			hold_run(vif);
	}
}
