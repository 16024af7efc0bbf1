/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fair service of miss events: one queue per domain, domains served in
 * turn, each turn one walk that answers every queued miss of the domain,
 * and a per-domain budget of walks per period. So a guest that makes every
 * packet miss costs another guest at most one walk of waiting, and dom0 at
 * most its budget.
 */
#ifndef XF_MISSQ_H
#define XF_MISSQ_H

#include <stddef.h>
#include <stdint.h>

#include "xfmsg.h"

#define XF_MISSQ_DOMS	256	/* domains with misses queued at once */
#define XF_MISSQ_DEPTH	64	/* queued misses per domain */
/*
 * The daemon's budget: turns per domain per period. A turn is one targeted
 * lookup per queued miss, about a millisecond, so a storming guest takes
 * at most about a fifth of the daemon's time; a turn answers every queued
 * miss of the domain (the module keeps up to dom_miss_inflight open), and
 * the short period keeps what waits for the next one far under the
 * module's hold deadline.
 */
#define XF_MISSQ_TURNS		20
#define XF_MISSQ_PERIOD_MS	100
/*
 * A guest that makes its packets miss on purpose (random ports, no socket
 * behind them) gets nothing from its turns but costs dom0 the most. Each
 * turn in a row that found no owner halves the domain's budget, down to
 * budget >> XF_MISSQ_BACKOFF (2 turns per period); the next ones make it
 * wait periods between its turns, up to 2^XF_MISSQ_SKIP periods (2 turns
 * per 400 ms). A turn still answers all of its queued misses, so a
 * storming guest's real connections wait at most that long (the module
 * holds them 900 ms). A turn that finds an owner gives the whole budget
 * back at once, and a period with nothing queued takes one step back.
 */
#define XF_MISSQ_BACKOFF	3
#define XF_MISSQ_SKIP		2
/*
 * A turn of a domain whose turns keep finding nobody never follows another
 * turn closer than this (ms from the start of the one before): the packets
 * an answer released, and whatever runs on the CPU the daemon shares, go
 * first. A storming guest's turns are a few tenths of a millisecond each;
 * back to back, or right behind another domain's answer, they would delay
 * that domain's handshake by all of them.
 */
#define XF_MISSQ_SETTLE_MS	2.0

struct xf_missq_dom {
	uint32_t domid;
	unsigned int head, n;		/* ring of n misses from head */
	unsigned int spent;		/* walks in the current period */
	unsigned int fruitless;		/* turns in a row that found no owner */
	struct xf_miss q[XF_MISSQ_DEPTH];
	double at[XF_MISSQ_DEPTH];	/* arrival, ms */
};

struct xf_missq_stats {
	uint64_t queued;	/* misses taken in */
	uint64_t coalesced;	/* same key as one already queued */
	uint64_t dropped;	/* queue full: the module's fail mode decides */
	uint64_t expired;	/* older than max_age_ms when their turn came */
	uint64_t walks;		/* turns served */
	uint64_t deferred;	/* turns a domain waited for its budget */
	uint64_t fruitless;	/* turns that found no owner */
};

struct xf_missq {
	unsigned int budget;	/* walks per domain per period; 0: no limit */
	double period_ms;
	double max_age_ms;	/* the module decided by then; 0: no limit */
	double period_start;
	uint64_t period_no;	/* periods begun */
	double last_take;	/* when the last turn was taken, ms; < 0: none yet */
	unsigned int next;	/* round-robin position in dom[] */
	struct xf_missq_dom *dom[XF_MISSQ_DOMS];
	struct xf_missq_stats st;
	uint64_t stamp;		/* the largest hold stamp seen */
};

void xf_missq_init(struct xf_missq *q, unsigned int budget, double period_ms,
		   double max_age_ms);
void xf_missq_free(struct xf_missq *q);

/*
 * Takes a miss in at time now (ms). Returns 0 when queued, 1 when its key
 * was already queued for the domain, -ENOSPC when the domain's queue is
 * full, -ENOMEM or -EMFILE (too many domains) otherwise; a miss that is not
 * queued is never answered, and the module's hold deadline decides it by
 * the domain's fail mode.
 */
int xf_missq_push(struct xf_missq *q, const struct xf_miss *m, double now);

/*
 * The next turn: the queued misses (at most max, oldest first) of the next
 * domain in round-robin order that has budget left in this period, domains
 * whose turns keep finding nobody last; misses older than max_age_ms are
 * dropped on the way. Returns how many were put
 * in out (all of one domain), 0 when no domain may be served now.
 */
size_t xf_missq_take(struct xf_missq *q, double now, struct xf_miss *out,
		     size_t max);

/*
 * After a turn of domid (and after misses of it answered later): how many
 * of its misses found an owner. None: the domain's budget halves (see
 * XF_MISSQ_BACKOFF); any: it is whole again.
 */
void xf_missq_found(struct xf_missq *q, uint32_t domid, size_t found);

/*
 * The domain's budget in the current period: turns it may still take (0
 * in a period it must wait out), or UINT_MAX for no limit.
 */
unsigned int xf_missq_budget(const struct xf_missq *q, uint32_t domid);

/*
 * How long the caller may sleep before a turn is due: -1 when nothing is
 * queued, 0 when xf_missq_take has work now, else the ms until the next
 * period gives a waiting domain budget again, or until a storming domain's
 * turn is far enough from the last one (XF_MISSQ_SETTLE_MS).
 */
double xf_missq_wait_ms(struct xf_missq *q, double now);

/*
 * Hold stamps (XFILTER_A_HOLD_STAMP): xf_missq_push notes each miss's, and
 * xf_missq_saw one not queued. xf_missq_scan_stamp is the scan stamp of a
 * read of guest memory that begins now (XFILTER_A_SCAN_STAMP): every hold
 * up to the largest stamp seen came before it, those of any domain and
 * those whose events arrived out of order alike, since a hold's stamp is
 * taken before its event is sent. A hold whose event is still on its way
 * may be newer; the module keeps it held for its own answer. Take it
 * before the read, never after: events read during or after the read
 * name holds it may have missed. 0 until a miss has been seen.
 */
void xf_missq_saw(struct xf_missq *q, uint64_t stamp);
uint64_t xf_missq_scan_stamp(const struct xf_missq *q);

/* Misses queued now, all domains. */
size_t xf_missq_pending(const struct xf_missq *q);

#endif /* XF_MISSQ_H */
