/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the module holds for one domain, as this daemon last told it, and the
 * difference a new walk makes to it: the walk's push sends only that
 * (OWNER_ADD for new and changed entries, OWNER_DEL for the walk's own
 * entries that vanished, one OWNER_COMMIT only when miss answers are to go),
 * not the whole table and a sweep of it every period.
 *
 * Two generations per domain: the walk's entries carry gen (even), miss
 * answers gen + 1. A commit of gen thus removes exactly the miss answers no
 * walk saw since, and keeps every walk entry without re-sending it. A full
 * push (gen + 2, every owner, commit) starts the image over: at the first
 * walk (a previous daemon's entries go), after any error (the image may be
 * wrong), and when it is cheaper than the difference.
 */
#ifndef XF_PUSHSET_H
#define XF_PUSHSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xfmsg.h"

/* Entries the image keeps at most; beyond, it is dropped (a full push next). */
#define XF_PUSHSET_MAX		(1U << 21)
/* OWNER_ADD entries one message holds, about (the cost model of a full push). */
#define XF_PUSH_PER_MSG		16

enum xf_pushed_class {
	XF_PUSHED_WALK,		/* tagged gen: stays until a walk no longer sees it */
	XF_PUSHED_MISS,		/* tagged gen + 1: swept by the next commit unless seen */
};

struct xf_pushed {
	struct xf_owner o;	/* as sent */
	uint8_t cls;		/* enum xf_pushed_class */
};

struct xf_pushset {
	struct xf_pushed *e;	/* in the order sent: a later one of a key wins */
	size_t n, cap;
	uint64_t gen;		/* the walk's generation; miss answers: gen + 1 */
	bool valid;		/* false: the module's table is unknown */
	size_t del_per_msg;	/* keys one OWNER_DEL takes (cost model; 0 = 1) */
};

struct xf_push_plan {
	bool full;		/* every owner as generation gen, then a commit */
	bool commit;		/* OWNER_COMMIT of gen after the adds and deletes */
	uint64_t gen;		/* the generation the adds carry */
	struct xf_owner *walk;	/* the walk's owners, one per key (sorted) */
	size_t nwalk;
	size_t *add;		/* indices into walk: OWNER_ADD */
	size_t nadd;
	struct xf_key *del;	/* OWNER_DEL, ps->del_per_msg keys a request */
	size_t ndel;
	size_t swept;		/* miss answers the commit removes */
	struct xf_pushed *next;	/* the image once the push went through */
	size_t nnext;
	bool next_valid;
};

/* gen0: even, and unlike any generation the module holds for the domain */
void xf_pushset_init(struct xf_pushset *ps, uint64_t gen0);
void xf_pushset_free(struct xf_pushset *ps);
/* Forgets the image: the next complete walk is pushed in full. */
void xf_pushset_invalidate(struct xf_pushset *ps);
/* The generation a miss answer carries. */
static inline uint64_t xf_pushset_miss_gen(const struct xf_pushset *ps)
{
	return ps->gen + 1;
}
/* A miss answer was sent (OWNER_ADD of gen + 1): the next walk decides on it. */
void xf_pushset_note_miss(struct xf_pushset *ps, const struct xf_owner *o);
/*
 * What to send for a walk's owners w[0..n) (a later one of a key wins, as
 * it would in the module). complete: the walk read the whole guest (only
 * then does anything go); full: push everything anyway. 0 or -ENOMEM.
 */
int xf_pushset_plan(struct xf_pushset *ps, const struct xf_owner *w, size_t n, bool complete,
		    bool full, struct xf_push_plan *pl);
/* After sending pl: err 0 takes its image, anything else forgets the image. */
void xf_pushset_done(struct xf_pushset *ps, struct xf_push_plan *pl, int err);
void xf_push_plan_free(struct xf_push_plan *pl);

/* The order and equality of flow keys as the module sees them. */
int xf_key_cmp(const struct xf_key *a, const struct xf_key *b);
bool xf_owner_same(const struct xf_owner *a, const struct xf_owner *b);

#endif /* XF_PUSHSET_H */
