// SPDX-License-Identifier: GPL-2.0
/*
 * Fair service of miss events (missq.h). Misses are taken in as fast as
 * they arrive and answered in turns, so that the order of arrival, which a
 * storming guest controls, does not decide who waits.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "missq.h"

void xf_missq_init(struct xf_missq *q, unsigned int budget, double period_ms,
		   double max_age_ms)
{
	memset(q, 0, sizeof(*q));
	q->budget = budget;
	q->period_ms = period_ms > 0 ? period_ms : 1000;
	q->max_age_ms = max_age_ms;
	q->last_take = -1;
}

void xf_missq_free(struct xf_missq *q)
{
	unsigned int i;

	for (i = 0; i < XF_MISSQ_DOMS; i++) {
		free(q->dom[i]);
		q->dom[i] = NULL;
	}
}

/* Field by field: the struct has padding. */
static bool key_eq(const struct xf_key *a, const struct xf_key *b)
{
	return a->family == b->family && a->proto == b->proto &&
	       a->guest_port == b->guest_port && a->peer_port == b->peer_port &&
	       a->has_peer_addr == b->has_peer_addr &&
	       !memcmp(a->guest_addr, b->guest_addr, sizeof(a->guest_addr)) &&
	       !memcmp(a->peer_addr, b->peer_addr, sizeof(a->peer_addr));
}

/*
 * A new period gives every domain its budget again; a domain with nothing
 * queued takes one step of its back-off back, and gives its place back
 * once it has none left (not before: emptying its queue must not reset
 * what a domain spent, nor a storm's pause its back-off).
 */
static void roll(struct xf_missq *q, double now)
{
	unsigned int i;

	if (now - q->period_start < q->period_ms && now >= q->period_start)
		return;
	q->period_start = now;
	q->period_no++;
	for (i = 0; i < XF_MISSQ_DOMS; i++) {
		struct xf_missq_dom *d = q->dom[i];

		if (!d)
			continue;
		d->spent = 0;
		if (!d->n && d->fruitless)
			d->fruitless--;
		if (!d->n && !d->fruitless) {
			free(d);
			q->dom[i] = NULL;
		}
	}
}

void xf_missq_saw(struct xf_missq *q, uint64_t stamp)
{
	if (stamp > q->stamp)
		q->stamp = stamp;
}

uint64_t xf_missq_scan_stamp(const struct xf_missq *q)
{
	return q->stamp;
}

int xf_missq_push(struct xf_missq *q, const struct xf_miss *m, double now)
{
	struct xf_missq_dom *d = NULL;
	unsigned int i, k, free_slot = XF_MISSQ_DOMS;

	/* Whether queued or not, the hold happened: see xf_missq_scan_stamp. */
	xf_missq_saw(q, m->stamp);
	roll(q, now);
	for (i = 0; i < XF_MISSQ_DOMS; i++) {
		if (!q->dom[i]) {
			if (free_slot == XF_MISSQ_DOMS)
				free_slot = i;
		} else if (q->dom[i]->domid == m->domid) {
			d = q->dom[i];
			break;
		}
	}
	if (!d) {
		if (free_slot == XF_MISSQ_DOMS) {
			q->st.dropped++;
			return -EMFILE;
		}
		d = calloc(1, sizeof(*d));
		if (!d) {
			q->st.dropped++;
			return -ENOMEM;
		}
		d->domid = m->domid;
		q->dom[free_slot] = d;
	}
	for (k = 0; k < d->n; k++) {
		if (key_eq(&d->q[(d->head + k) % XF_MISSQ_DEPTH].key, &m->key)) {
			q->st.coalesced++;
			return 1;
		}
	}
	if (d->n == XF_MISSQ_DEPTH) {
		q->st.dropped++;
		return -ENOSPC;
	}
	k = (d->head + d->n) % XF_MISSQ_DEPTH;
	d->q[k] = *m;
	d->at[k] = now;
	d->n++;
	q->st.queued++;
	return 0;
}

/* Drops the misses the module has decided by now (fail mode). */
static void expire(struct xf_missq *q, struct xf_missq_dom *d, double now)
{
	while (d->n && q->max_age_ms > 0 && now - d->at[d->head] > q->max_age_ms) {
		d->head = (d->head + 1) % XF_MISSQ_DEPTH;
		d->n--;
		q->st.expired++;
	}
}

/* Turns per period: halved per fruitless turn, down to the floor. */
static unsigned int dom_budget(const struct xf_missq *q,
			       const struct xf_missq_dom *d)
{
	unsigned int shift = d->fruitless < XF_MISSQ_BACKOFF ?
			     d->fruitless : XF_MISSQ_BACKOFF;
	unsigned int b = q->budget >> shift;

	return b ? b : 1;
}

/* Past the floor: served only every 2nd, 4th, ... period. */
static bool waits_period(const struct xf_missq *q, const struct xf_missq_dom *d)
{
	unsigned int skip;

	if (d->fruitless <= XF_MISSQ_BACKOFF)
		return false;
	skip = d->fruitless - XF_MISSQ_BACKOFF;
	return q->period_no & ((1ULL << skip) - 1);
}

static bool may_serve(const struct xf_missq *q, const struct xf_missq_dom *d)
{
	if (!d || !d->n)
		return false;
	return !q->budget || (d->spent < dom_budget(q, d) && !waits_period(q, d));
}

/* ms until a storming domain's turn may follow the last turn (0: now). */
static double settle_left(const struct xf_missq *q, const struct xf_missq_dom *d, double now)
{
	double left;

	if (!q->budget || !d->fruitless || q->last_take < 0 || now < q->last_take)
		return 0;
	left = q->last_take + XF_MISSQ_SETTLE_MS - now;
	return left > 0 ? left : 0;
}

static struct xf_missq_dom *find(const struct xf_missq *q, uint32_t domid)
{
	unsigned int i;

	for (i = 0; i < XF_MISSQ_DOMS; i++)
		if (q->dom[i] && q->dom[i]->domid == domid)
			return q->dom[i];
	return NULL;
}

void xf_missq_found(struct xf_missq *q, uint32_t domid, size_t found)
{
	struct xf_missq_dom *d = find(q, domid);

	if (!d)
		return;
	if (found) {
		d->fruitless = 0;
		return;
	}
	q->st.fruitless++;
	if (d->fruitless < XF_MISSQ_BACKOFF + XF_MISSQ_SKIP)
		d->fruitless++;
}

unsigned int xf_missq_budget(const struct xf_missq *q, uint32_t domid)
{
	const struct xf_missq_dom *d = find(q, domid);

	if (!q->budget)
		return UINT_MAX;
	if (!d)
		return q->budget;
	if (waits_period(q, d) || d->spent >= dom_budget(q, d))
		return 0;
	return dom_budget(q, d) - d->spent;
}

/*
 * Round robin, in two classes: domains whose last turn found an owner (or
 * that had none yet) first, then those whose turns keep finding nobody.
 * So a storming domain's turn never goes before another domain's queued
 * miss; the second class is served whenever the first has nothing to do.
 */
size_t xf_missq_take(struct xf_missq *q, double now, struct xf_miss *out,
		     size_t max)
{
	unsigned int i, pass;
	size_t n = 0;

	roll(q, now);
	for (pass = 0; pass < 2 && !n; pass++) {
		for (i = 0; i < XF_MISSQ_DOMS && max; i++) {
			unsigned int slot = (q->next + i) % XF_MISSQ_DOMS;
			struct xf_missq_dom *d = q->dom[slot];

			if (!d || (d->fruitless > 0) != pass)
				continue;
			expire(q, d, now);
			if (!d->n)
				continue;
			if (!may_serve(q, d)) {
				q->st.deferred++;
				continue;
			}
			if (settle_left(q, d, now) > 0)
				continue;	/* xf_missq_wait_ms says when */
			while (d->n && n < max) {
				out[n++] = d->q[d->head];
				d->head = (d->head + 1) % XF_MISSQ_DEPTH;
				d->n--;
			}
			d->spent++;
			q->st.walks++;
			q->last_take = now;
			q->next = (slot + 1) % XF_MISSQ_DOMS;
			break;
		}
	}
	return n;
}

double xf_missq_wait_ms(struct xf_missq *q, double now)
{
	unsigned int i;
	bool any = false;
	double left, settle = -1;

	roll(q, now);
	for (i = 0; i < XF_MISSQ_DOMS; i++) {
		if (!q->dom[i] || !q->dom[i]->n)
			continue;
		if (may_serve(q, q->dom[i])) {
			double s = settle_left(q, q->dom[i], now);

			if (s <= 0)
				return 0;
			if (settle < 0 || s < settle)
				settle = s;
		}
		any = true;
	}
	if (!any)
		return -1;
	left = q->period_start + q->period_ms - now;
	if (left < 0)
		left = 0;
	return settle >= 0 && settle < left ? settle : left;
}

size_t xf_missq_pending(const struct xf_missq *q)
{
	size_t n = 0;
	unsigned int i;

	for (i = 0; i < XF_MISSQ_DOMS; i++)
		if (q->dom[i])
			n += q->dom[i]->n;
	return n;
}
