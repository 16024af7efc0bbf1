// SPDX-License-Identifier: GPL-2.0
/*
 * The daemon's image of one domain's owner table in the module, and the
 * plan that brings the module from it to a new walk (see pushset.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pushset.h"

static unsigned int addr_len(uint8_t family)
{
	return family == 2 ? 4 : 16;
}

/*
 * The module's key: an absent peer address is all zeroes, and only the
 * family's address bytes count.
 */
int xf_key_cmp(const struct xf_key *a, const struct xf_key *b)
{
	static const uint8_t zero[16];
	const uint8_t *pa, *pb;
	unsigned int alen;
	int r;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	if (a->guest_port != b->guest_port)
		return a->guest_port < b->guest_port ? -1 : 1;
	if (a->peer_port != b->peer_port)
		return a->peer_port < b->peer_port ? -1 : 1;
	alen = addr_len(a->family);
	r = memcmp(a->guest_addr, b->guest_addr, alen);
	if (r)
		return r;
	pa = a->has_peer_addr ? a->peer_addr : zero;
	pb = b->has_peer_addr ? b->peer_addr : zero;
	return memcmp(pa, pb, alen);
}

/* Everything an OWNER_ADD carries. */
bool xf_owner_same(const struct xf_owner *a, const struct xf_owner *b)
{
	return a->present == b->present && !xf_key_cmp(&a->key, &b->key) &&
	       a->pid == b->pid && a->tgid == b->tgid && a->uid == b->uid &&
	       a->gid == b->gid && a->sock_uid == b->sock_uid && a->flags == b->flags &&
	       a->state == b->state && a->start_time == b->start_time &&
	       a->inode == b->inode && !strncmp(a->comm, b->comm, sizeof(a->comm));
}

void xf_pushset_init(struct xf_pushset *ps, uint64_t gen0)
{
	memset(ps, 0, sizeof(*ps));
	ps->gen = gen0 & ~1ULL;
}

void xf_pushset_free(struct xf_pushset *ps)
{
	free(ps->e);
	ps->e = NULL;
	ps->n = ps->cap = 0;
	ps->valid = false;
}

void xf_pushset_invalidate(struct xf_pushset *ps)
{
	ps->n = 0;
	ps->valid = false;
}

void xf_pushset_note_miss(struct xf_pushset *ps, const struct xf_owner *o)
{
	if (!ps->valid)
		return;		/* a full push comes next: it sweeps this one too */
	if (ps->n == ps->cap) {
		size_t cap = ps->cap ? ps->cap * 2 : 64;
		struct xf_pushed *e;

		e = cap <= XF_PUSHSET_MAX ? realloc(ps->e, cap * sizeof(*e)) : NULL;
		if (!e) {
			xf_pushset_invalidate(ps);
			return;
		}
		ps->e = e;
		ps->cap = cap;
	}
	ps->e[ps->n].o = *o;
	ps->e[ps->n].cls = XF_PUSHED_MISS;
	ps->n++;
}

/* Sorting by key, the later of equal keys last: then the last of a run wins. */
struct ref {
	const struct xf_key *k;
	size_t i;
};

static int ref_cmp(const void *a, const void *b)
{
	const struct ref *x = a, *y = b;
	int r = xf_key_cmp(x->k, y->k);

	if (r)
		return r;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* refs of n items of size sz whose key sits at koff, sorted; NULL on ENOMEM */
static struct ref *sorted(const void *base, size_t n, size_t sz, size_t koff)
{
	struct ref *r = calloc(n ? n : 1, sizeof(*r));
	size_t i;

	if (!r)
		return NULL;
	for (i = 0; i < n; i++)
		r[i] = (struct ref){ (const struct xf_key *)((const char *)base + i * sz + koff), i };
	qsort(r, n, sizeof(*r), ref_cmp);
	return r;
}

/* Keeps the last of each run of equal keys; returns how many are left. */
static size_t last_of_runs(struct ref *r, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (i + 1 == n || xf_key_cmp(r[i].k, r[i + 1].k))
			r[k++] = r[i];
	return k;
}

static void plan_full(struct xf_pushset *ps, struct xf_push_plan *pl)
{
	size_t i;

	pl->full = true;
	pl->commit = true;
	pl->gen = ps->gen + 2;
	pl->nadd = pl->nwalk;
	for (i = 0; i < pl->nwalk; i++) {
		pl->add[i] = i;
		pl->next[i] = (struct xf_pushed){ .o = pl->walk[i], .cls = XF_PUSHED_WALK };
	}
	pl->nnext = pl->nwalk;
	pl->ndel = pl->swept = 0;
	pl->next_valid = true;
}

int xf_pushset_plan(struct xf_pushset *ps, const struct xf_owner *w, size_t n, bool complete,
		    bool full, struct xf_push_plan *pl)
{
	struct ref *rw = NULL, *rs = NULL;
	size_t nw, ns, i = 0, j = 0, cost_diff, cost_full, dpm;

	memset(pl, 0, sizeof(*pl));
	rw = sorted(w, n, sizeof(*w), offsetof(struct xf_owner, key));
	if (!rw)
		goto nomem;
	nw = last_of_runs(rw, n);
	ns = ps->valid ? ps->n : 0;
	pl->walk = calloc(nw ? nw : 1, sizeof(*pl->walk));
	pl->add = calloc(nw ? nw : 1, sizeof(*pl->add));
	pl->next = calloc(nw + ns ? nw + ns : 1, sizeof(*pl->next));
	pl->del = calloc(ns ? ns : 1, sizeof(*pl->del));
	rs = sorted(ps->e, ns, sizeof(*ps->e), offsetof(struct xf_pushed, o.key));
	if (!pl->walk || !pl->add || !pl->next || !pl->del || !rs)
		goto nomem;
	for (i = 0; i < nw; i++)
		pl->walk[i] = w[rw[i].i];
	pl->nwalk = nw;
	free(rw);
	rw = NULL;
	ns = last_of_runs(rs, ns);
	if (complete && (full || !ps->valid)) {
		plan_full(ps, pl);
		free(rs);
		return 0;
	}
	pl->gen = ps->gen;
	/* an incomplete walk adds and changes; it removes nothing */
	pl->next_valid = ps->valid;
	i = 0;
	while (i < nw || j < ns) {
		const struct xf_pushed *s = j < ns ? &ps->e[rs[j].i] : NULL;
		int c = i == nw ? 1 : j == ns ? -1 : xf_key_cmp(&pl->walk[i].key, &s->o.key);

		if (c < 0 || (c == 0 && (s->cls != XF_PUSHED_WALK ||
					 !xf_owner_same(&pl->walk[i], &s->o))))
			pl->add[pl->nadd++] = i;
		if (c <= 0) {
			pl->next[pl->nnext++] = (struct xf_pushed){ .o = pl->walk[i],
								    .cls = XF_PUSHED_WALK };
			i++;
			j += c == 0;
			continue;
		}
		/* in the module, not in this walk */
		if (!complete)
			pl->next[pl->nnext++] = *s;
		else if (s->cls == XF_PUSHED_WALK)
			pl->del[pl->ndel++] = s->o.key;
		else
			pl->swept++;
		j++;
	}
	free(rs);
	pl->commit = complete && pl->swept;
	/*
	 * Counted in requests: a full push is its batches, a commit, and one
	 * more for the module's work on it (every entry re-inserted, each
	 * invalidating its flow cache, and the sweep of every bucket).
	 */
	dpm = ps->del_per_msg ? ps->del_per_msg : 1;
	cost_diff = (pl->nadd + XF_PUSH_PER_MSG - 1) / XF_PUSH_PER_MSG +
		    (pl->ndel + dpm - 1) / dpm + pl->commit;
	cost_full = (nw + XF_PUSH_PER_MSG - 1) / XF_PUSH_PER_MSG + 2;
	if (complete && cost_diff > cost_full)
		plan_full(ps, pl);
	return 0;
nomem:
	free(rw);
	free(rs);
	xf_push_plan_free(pl);
	return -ENOMEM;
}

void xf_pushset_done(struct xf_pushset *ps, struct xf_push_plan *pl, int err)
{
	if (pl->full)
		ps->gen = pl->gen;	/* sent in part at least: never again */
	if (err || !pl->next_valid || pl->nnext > XF_PUSHSET_MAX) {
		xf_pushset_invalidate(ps);
		return;
	}
	free(ps->e);
	ps->e = pl->next;
	ps->n = ps->cap = pl->nnext;
	pl->next = NULL;
	ps->valid = true;
}

void xf_push_plan_free(struct xf_push_plan *pl)
{
	free(pl->walk);
	free(pl->add);
	free(pl->del);
	free(pl->next);
	memset(pl, 0, sizeof(*pl));
}
