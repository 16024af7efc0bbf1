// SPDX-License-Identifier: GPL-2.0
/*
 * The daemon. One process serves every guest: each domain's table is walked
 * on a period and what changed since the last walk is pushed to the module
 * (pushset.h: OWNER_ADD for new and changed owners, OWNER_DEL for vanished
 * ones, OWNER_COMMIT only to sweep miss answers no walk saw; a full
 * generation at the first walk, after an error and every FULL_PUSH_MS, as the
 * way back from a module table that changed behind our back); a miss event
 * is answered by a targeted lookup (OWNER_ADD), a refresh when the socket is
 * newer than the last walk, or MISS_RESOLVE when the guest has no socket.
 * A socket of unknown owner is answered so only after a complete walk that
 * began after its miss: while walks are rate limited, such misses wait for
 * the next one (a new process's first SYN is the very packet a uid rule
 * must decide).
 * Miss events are read as they come and answered in turns, one domain per
 * turn and every domain in turn (missq.h), so a guest that makes every
 * packet miss delays another guest's answer by one turn at most. Every
 * answer says which holds it covers (the scan stamp of the read it comes
 * from, missq.h): one read before a hold may have seen another process's
 * socket on the 5-tuple the held SYN's sender took since.
 * Domains come and go through xenstore; core files serve as domains for
 * tests and forensics. A guest that disappears mid-walk only costs that
 * walk: its reads fail, the domain is dropped or retried.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "daemon.h"
#include "json.h"
#include "log.h"
#include "lookup.h"
#include "missq.h"
#include "nl.h"
#include "pushset.h"
#include "scan.h"
#include "xendoms.h"
#include "xfmsg.h"

#define MAX_DOMS		256
#define MIN_REFRESH_MS		100	/* miss-triggered refreshes, at most this often */
#define RETRY_MS		2000	/* attach retries (a guest still booting) */
#define MISS_MAX_AGE_MS		900	/* the module's default hold deadline */
#define HOLD_MS_PARAM		"/sys/module/xfilter/parameters/hold_ms"
#define MISS_DRAIN		1024	/* events read before a turn, at most */
#define DEFER_MAX		XF_MISSQ_DEPTH	/* misses waiting for a walk, per domain */
/*
 * A full generation at least this often, though nothing failed: the module
 * may have lost entries without telling us (the domain's last vif went and
 * came back, an operator flushed the table, a module reload). Until then such
 * a flow is still answered, one miss at a time.
 */
#define FULL_PUSH_MS		60000
#define SPREAD_MS		20	/* periodic walks of two domains at least this far apart */

/*
 * Misses waiting for the domain's next walk (a socket newer than the last
 * one). A fixed list, so a guest that makes every packet miss costs no
 * memory: a miss that does not fit, or waited past the module's hold
 * deadline, is never answered (the module decides it by the domain's fail
 * mode) and is counted.
 */
/* how long the module holds a packet (its hold_ms), read at start */
static double miss_max_age_ms = MISS_MAX_AGE_MS;

/*
 * A miss is worth answering only while the module still holds its packets;
 * the deadline is the module's hold_ms parameter, which an operator (or a
 * slow test kernel) may have raised. Out of range or unreadable: the default.
 */
static void read_hold_ms(const char *path)
{
	char buf[32], *end;
	unsigned long v;
	FILE *f = fopen(path, "r");

	if (!f)
		return;
	if (fgets(buf, sizeof(buf), f)) {
		errno = 0;
		v = strtoul(buf, &end, 10);
		if (!errno && end != buf && (*end == '\n' || !*end) && v >= 10 && v <= 600000)
			miss_max_age_ms = (double)v;
	}
	fclose(f);
}

struct defer_list {
	unsigned int n;
	struct xf_miss m[DEFER_MAX];
	uint64_t seq[DEFER_MAX];	/* the domain's walk count when deferred */
	double at[DEFER_MAX];		/* arrival, ms */
	uint64_t added, joined, lost;
};

enum defer_res {
	DEFER_WAITS,		/* answered after the next walk */
	DEFER_JOINED,		/* the same key waits already: one answer serves both */
	DEFER_LOST,		/* list full or too old: the module's deadline decides */
};

/*
 * A miss on a socket the last walk did not see while walks are rate
 * limited: it waits for the next walk (at most MIN_REFRESH_MS, far inside
 * the module's hold deadline) rather than being answered "owner unknown",
 * which would let a new process's first packets through a uid or pid rule.
 */
static enum defer_res defer_add(struct defer_list *q, const struct xf_miss *m, uint64_t seq,
				double at, double now)
{
	unsigned int i;

	if (now - at >= miss_max_age_ms) {
		q->lost++;	/* the module has decided it by now */
		return DEFER_LOST;
	}
	for (i = 0; i < q->n; i++) {
		if (!memcmp(&q->m[i].key, &m->key, sizeof(m->key))) {
			q->joined++;
			return DEFER_JOINED;
		}
	}
	if (q->n >= DEFER_MAX) {
		q->lost++;
		return DEFER_LOST;
	}
	q->m[q->n] = *m;
	q->seq[q->n] = seq;
	q->at[q->n] = at;
	q->n++;
	q->added++;
	return DEFER_WAITS;
}

/* Empties the list into m, seq, at (DEFER_MAX each); returns how many. */
static unsigned int defer_take(struct defer_list *q, struct xf_miss *m, uint64_t *seq,
			       double *at)
{
	unsigned int n = q->n;

	memcpy(m, q->m, n * sizeof(m[0]));
	memcpy(seq, q->seq, n * sizeof(seq[0]));
	memcpy(at, q->at, n * sizeof(at[0]));
	q->n = 0;
	return n;
}

/* Every waiting miss left to the module's deadline (no walk will come). */
static void defer_drop(struct defer_list *q)
{
	q->lost += q->n;
	q->n = 0;
}

/* When the misses waiting may have their walk; -1 when none waits. */
static double defer_due(const struct defer_list *q, double last_walk_ms)
{
	return q->n ? last_walk_ms + MIN_REFRESH_MS : -1;
}

struct dom {
	bool used;
	uint32_t domid;
	const char *core;		/* NULL: a Xen domain */
	struct xf_mem *mem;
	struct xf_guest g;
	bool attached;
	struct xf_table t;
	struct xf_lookup l;
	bool lookup_ok;
	struct xf_pushset ps;		/* what the module holds, as we told it */
	double last_full_ms;		/* the last full push began */
	double next_ms;
	/*
	 * When the last walk or attach attempt ended, failed ones included:
	 * misses start one at most every MIN_REFRESH_MS, so a guest that
	 * cannot be attached (its memory decides) and makes packets miss
	 * does not make every miss an attach attempt.
	 */
	double last_try_ms;
	unsigned int failures;
	bool refreshed;
	uint64_t walk_seq;		/* walks learnt so far */
	uint64_t walk_scan;		/* scan stamp taken when the last one began */
	bool walk_complete;		/* ... and it read the whole guest */
	bool no_vif;			/* the module said it has no vif (logged once) */
	struct defer_list dl;		/* misses waiting for the next walk */
	uint64_t walks, pushed, misses, resolved, negative, pauses;
	uint64_t full_pushes, deleted, commits;
};

struct ctx {
	const struct xfd_opts *o;
	struct xf_nl req, ev;
	bool nl;
	struct xf_xendoms *xs;
	int sigfd;
	bool stop;
	struct dom doms[MAX_DOMS];
	struct xf_missq mq;
	bool scan_stamps;		/* the module takes XFILTER_A_SCAN_STAMP */
	bool miss_batch;		/* ... and XFILTER_A_KEYS (several "no socket") */
	bool del_batch;			/* OWNER_DEL takes XFILTER_A_KEYS */
	/*
	 * "No socket" answers of the turn under way, sent as one MISS_RESOLVE
	 * when it ends: the module then decides their held packets in one
	 * pass over the queue, not one pass and one round trip per key.
	 */
	struct {
		struct dom *d;
		uint64_t scan;		/* the oldest read they come from */
		unsigned int n;
		struct xf_key keys[XFILTER_MISS_KEYS_MAX];
	} nosock;
};

static double mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The clock of every rate limit and deadline; the unit tests set their own. */
static double (*now_ms)(void) = mono_ms;

static struct dom *dom_find(struct ctx *c, uint32_t domid)
{
	int i;

	for (i = 0; i < MAX_DOMS; i++)
		if (c->doms[i].used && c->doms[i].domid == domid)
			return &c->doms[i];
	return NULL;
}

/*
 * The configured fail mode and table limit, set on the module when a domain
 * is first served (again after a daemon restart: the file is the truth).
 */
static void dom_configure(struct ctx *c, uint32_t domid)
{
	struct xfd_dom_conf dc;
	struct xf_domain set = { 0 };
	struct nl_msg *msg;

	if (!c->o->conf)
		return;
	dc = xfd_conf_for(c->o->conf, domid);
	if (!dc.fail_mode && !dc.max_entries)
		return;
	if (c->o->dry_run) {
		printf("{\"domid\":%u,\"fail_mode\":%u,\"max_entries\":%u}\n", domid,
		       dc.fail_mode, dc.max_entries);
		return;
	}
	set.domid = domid;
	XF_SET(&set, XFILTER_DOMAIN_A_DOMID);
	if (dc.fail_mode) {
		set.fail_mode = dc.fail_mode;
		XF_SET(&set, XFILTER_DOMAIN_A_FAIL_MODE);
	}
	if (dc.max_entries) {
		set.max_entries = dc.max_entries;
		XF_SET(&set, XFILTER_DOMAIN_A_MAX_ENTRIES);
	}
	msg = xf_nl_msg(&c->req, XFILTER_CMD_DOMAIN_SET, 0);
	if (!msg || xf_domain_put(msg, XFILTER_A_DOMAIN, &set)) {
		nlmsg_free(msg);
		return;
	}
	if (xf_nl_request(&c->req, msg, NULL, NULL))
		xfd_log(XFD_WARN, "dom %u: DOMAIN_SET: %s", domid, c->req.err.msg);
	else
		xfd_log(XFD_INFO, "dom %u: fail mode %s, table limit %u", domid,
			dc.fail_mode == XFILTER_FAIL_CLOSED ? "closed" :
			dc.fail_mode == XFILTER_FAIL_OPEN ? "open" : "unchanged",
			dc.max_entries);
}

static struct dom *dom_add(struct ctx *c, uint32_t domid, const char *core)
{
	struct timespec ts;
	int i;

	for (i = 0; i < MAX_DOMS; i++) {
		struct dom *d = &c->doms[i];

		if (d->used)
			continue;
		memset(d, 0, sizeof(*d));
		d->used = true;
		d->domid = domid;
		d->core = core;
		/*
		 * Generations only need to differ from what the module holds: a
		 * previous daemon's (restarted within the same second, too).
		 */
		clock_gettime(CLOCK_REALTIME, &ts);
		xf_pushset_init(&d->ps, (uint64_t)ts.tv_sec << 20 | (uint64_t)ts.tv_nsec >> 10);
		d->next_ms = now_ms();
		xfd_log(XFD_INFO, "dom %u: serving (%s)", domid, core ? core : "xen");
		if (c->nl || c->o->dry_run)
			dom_configure(c, domid);
		return d;
	}
	xfd_log(XFD_ERR, "dom %u: more than %d domains, not served", domid, MAX_DOMS);
	return NULL;
}

static void dom_detach(struct dom *d)
{
	if (d->lookup_ok)
		xf_lookup_free(&d->l);
	d->lookup_ok = false;
	if (d->attached)
		xf_guest_detach(&d->g);
	d->attached = false;
	xf_mem_close(d->mem);
	d->mem = NULL;
	xf_table_free(&d->t);
}

static void dom_remove(struct dom *d)
{
	defer_drop(&d->dl);	/* no walk will answer them */
	xfd_log(XFD_INFO, "dom %u: gone (%" PRIu64 " walks, %" PRIu64 " paused, %" PRIu64
		" owners pushed, %" PRIu64 " misses, %" PRIu64 " resolved, %" PRIu64
		" without socket, %" PRIu64 " waited for a walk, %" PRIu64 " of them lost)",
		d->domid, d->walks, d->pauses, d->pushed, d->misses, d->resolved, d->negative,
		d->dl.added, d->dl.lost);
	xfd_log(XFD_INFO, "dom %u: %" PRIu64 " full pushes, %" PRIu64 " owners deleted, %" PRIu64
		" commits", d->domid, d->full_pushes, d->deleted, d->commits);
	dom_detach(d);
	xf_pushset_free(&d->ps);
	d->used = false;
}

static int dom_attach(struct dom *d)
{
	char err[256];
	int ret;

	ret = d->core ? xf_mem_core_open(d->core, &d->mem, err, sizeof(err)) :
			xf_mem_xen_open(d->domid, &d->mem, err, sizeof(err));
	if (ret) {
		xfd_log(XFD_WARN, "dom %u: %s", d->domid, err);
		return ret;
	}
	ret = xf_guest_attach(&d->g, d->mem, err, sizeof(err));
	if (ret) {
		xfd_log(XFD_WARN, "dom %u: %s", d->domid, err);
		xf_mem_close(d->mem);
		d->mem = NULL;
		return ret;
	}
	d->attached = true;
	xfd_log(XFD_INFO, "dom %u: Linux %s, KASLR offset %#" PRIx64 ", %d-level paging, BTF %u "
		"bytes%s", d->domid, d->g.prof.release[0] ? d->g.prof.release : "?",
		(uint64_t)d->g.prof.kaslr_offset, d->g.prof.paging_levels, d->g.prof.btf_size,
		d->g.prof.cache_hit ? " (profile shared with the same build)" : "");
	return 0;
}

/* ---- owners to the module ---- */

/*
 * The module keeps owners only for a domain that has a vif: one without a
 * network (or whose vif is not up yet, or already gone) is walked for
 * nothing. Said once, then at debug level until a push is taken again.
 */
static void no_vif(struct dom *d, const char *msg)
{
	xfd_log(d->no_vif ? XFD_DEBUG : XFD_INFO, "dom %u: %s; its owners wait for a vif",
		d->domid, msg);
	d->no_vif = true;
}

static void owner_of(const struct xf_sock_info *s, uint32_t flags, struct xf_owner *o)
{
	memset(o, 0, sizeof(*o));
	o->key.family = s->family;
	o->key.proto = s->proto;
	o->key.guest_port = s->lport;
	memcpy(o->key.guest_addr, s->laddr, 16);
	if (s->rport) {
		o->key.has_peer_addr = true;
		memcpy(o->key.peer_addr, s->raddr, 16);
		o->key.peer_port = s->rport;
	}
	o->present = XF_BIT(XFILTER_OWNER_A_KEY) | XF_BIT(XFILTER_OWNER_A_SOCK_UID) |
		     XF_BIT(XFILTER_OWNER_A_STATE) | XF_BIT(XFILTER_OWNER_A_INODE) |
		     XF_BIT(XFILTER_OWNER_A_FLAGS);
	o->sock_uid = s->sk_uid;
	o->state = s->state;
	o->inode = s->ino;
	o->flags = flags;
	if (s->pid >= 0) {
		o->present |= XF_BIT(XFILTER_OWNER_A_PID) | XF_BIT(XFILTER_OWNER_A_TGID) |
			      XF_BIT(XFILTER_OWNER_A_UID) | XF_BIT(XFILTER_OWNER_A_GID) |
			      XF_BIT(XFILTER_OWNER_A_COMM) | XF_BIT(XFILTER_OWNER_A_START_TIME);
		o->pid = (uint32_t)s->pid;
		o->tgid = (uint32_t)s->tgid;
		o->uid = s->uid;
		o->gid = s->gid;
		o->start_time = s->start_time;
		memcpy(o->comm, s->comm, sizeof(s->comm) < sizeof(o->comm) ?
		       sizeof(s->comm) : sizeof(o->comm));
		o->comm[sizeof(o->comm) - 1] = 0;
	} else {
		o->flags |= XFILTER_OWNER_F_UNATTRIBUTED;
	}
}

static void dry_owner(struct xf_json *j, const struct xf_owner *o)
{
	char a[64];

	xf_json_obj_open(j);
	xf_json_kstr(j, "proto", o->key.proto == 6 ? "tcp" : "udp");
	xf_addr_str(o->key.family, o->key.guest_addr, a, sizeof(a));
	xf_json_kstr(j, "guest", a);
	xf_json_ku64(j, "guest_port", o->key.guest_port);
	if (o->key.has_peer_addr) {
		xf_addr_str(o->key.family, o->key.peer_addr, a, sizeof(a));
		xf_json_kstr(j, "peer", a);
		xf_json_ku64(j, "peer_port", o->key.peer_port);
	}
	if (XF_HAS(o, XFILTER_OWNER_A_PID)) {
		xf_json_ku64(j, "pid", o->pid);
		xf_json_ku64(j, "uid", o->uid);
		xf_json_kstr(j, "comm", o->comm);
	}
	xf_json_ku64(j, "flags", o->flags);
	xf_json_obj_close(j);
}

struct batch {
	struct ctx *c;
	struct dom *d;
	struct nl_msg *msg;
	struct nlattr *nest;
	unsigned int n;
	struct xf_json j;		/* dry run */
	bool full;			/* the module said -ENOSPC */
	uint64_t scan;			/* scan stamp of the read they come from */
	uint64_t gen;			/* the generation they carry */
	int err;			/* the first error the module gave */
	unsigned int msgs;		/* requests sent */
};

/* The scan stamp of a read of guest memory that begins now. */
static uint64_t scan_begins(struct ctx *c)
{
	return xf_missq_scan_stamp(&c->mq);
}

static int put_scan(struct ctx *c, struct nl_msg *msg, uint64_t scan)
{
	return c->scan_stamps ? nla_put_u64(msg, XFILTER_A_SCAN_STAMP, scan) : 0;
}

/*
 * -ERANGE: a scan stamp above any the module gave out, i.e. the module was
 * reloaded and counts from 1 again. Its holds are all newer than what this
 * daemon saw, so start over from 0; the lost answer's packets are asked
 * about again or decided at their deadline.
 */
static void scan_refused(struct ctx *c, int ret)
{
	if (ret == -ERANGE && c->scan_stamps) {
		xfd_log(XFD_WARN, "scan stamp refused (module reloaded?): counting again");
		c->mq.stamp = 0;
	}
}

static int batch_open(struct batch *b)
{
	b->n = 0;
	if (b->c->o->dry_run) {
		xf_json_init(&b->j, stdout, false);
		xf_json_obj_open(&b->j);
		xf_json_ku64(&b->j, "domid", b->d->domid);
		xf_json_ku64(&b->j, "generation", b->gen);
		xf_json_key(&b->j, "owners");
		xf_json_arr_open(&b->j);
		return 0;
	}
	b->msg = xf_nl_msg(&b->c->req, XFILTER_CMD_OWNER_ADD, 0);
	if (!b->msg || nla_put_u32(b->msg, XFILTER_A_DOMID, b->d->domid) ||
	    nla_put_u64(b->msg, XFILTER_A_GENERATION, b->gen) ||
	    put_scan(b->c, b->msg, b->scan) ||
	    !(b->nest = nla_nest_start(b->msg, XFILTER_A_OWNERS))) {
		nlmsg_free(b->msg);
		b->msg = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int batch_send(struct batch *b)
{
	int ret;

	if (b->c->o->dry_run) {
		xf_json_arr_close(&b->j);
		xf_json_obj_close(&b->j);
		xf_json_end(&b->j);
		return 0;
	}
	if (!b->msg)
		return 0;
	if (!b->n) {
		/*
		 * Nothing to add (a walk that read no socket): libnl trims an
		 * empty nest, and OWNER_ADD without XFILTER_A_OWNERS is
		 * refused as a missing attribute. Sending nothing is the same.
		 */
		nlmsg_free(b->msg);
		b->msg = NULL;
		return 0;
	}
	nla_nest_end(b->msg, b->nest);
	ret = xf_nl_request(&b->c->req, b->msg, NULL, NULL);
	b->msg = NULL;
	b->msgs++;
	if (ret && !b->err)
		b->err = ret;
	scan_refused(b->c, ret);
	if (ret == -ENOSPC && !b->full) {
		b->full = true;
		xfd_log(XFD_WARN, "dom %u: owner table full: %s", b->d->domid,
			b->c->req.err.msg);
	} else if (ret == -ENOENT) {
		no_vif(b->d, b->c->req.err.msg);
	} else if (ret && ret != -ENOSPC) {
		xfd_log(XFD_WARN, "dom %u: OWNER_ADD: %s", b->d->domid, b->c->req.err.msg);
	} else {
		b->d->no_vif = false;
	}
	return ret;
}

static int batch_add(struct batch *b, const struct xf_owner *o)
{
	if (b->c->o->dry_run) {
		dry_owner(&b->j, o);
		b->n++;
		return 0;
	}
	if (b->full)
		return -ENOSPC;
	if (xf_owner_put(b->msg, XFILTER_A_OWNER, o) == -EMSGSIZE) {
		/* this message is full: send it and go on in a new one */
		if (!b->n)
			return -EMSGSIZE;
		batch_send(b);
		if (b->full || batch_open(b))
			return -ENOSPC;
		if (xf_owner_put(b->msg, XFILTER_A_OWNER, o))
			return -EMSGSIZE;
	}
	b->n++;
	return 0;
}

static int send_simple(struct ctx *c, uint8_t cmd, struct dom *d, const struct xf_key *k,
		       uint64_t scan)
{
	struct nl_msg *msg;
	int ret;

	if (c->o->dry_run) {
		printf("{\"domid\":%u,\"%s\":%" PRIu64 "}\n", d->domid,
		       cmd == XFILTER_CMD_OWNER_COMMIT ? "commit" : "miss_resolve",
		       cmd == XFILTER_CMD_OWNER_COMMIT ? d->ps.gen : 0);
		return 0;
	}
	msg = xf_nl_msg(&c->req, cmd, 0);
	if (!msg || nla_put_u32(msg, XFILTER_A_DOMID, d->domid) ||
	    (cmd == XFILTER_CMD_OWNER_COMMIT && nla_put_u64(msg, XFILTER_A_GENERATION, d->ps.gen)) ||
	    (k && xf_key_put(msg, XFILTER_A_KEY, k)) ||
	    (cmd == XFILTER_CMD_MISS_RESOLVE && put_scan(c, msg, scan))) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	ret = xf_nl_request(&c->req, msg, NULL, NULL);
	scan_refused(c, ret);
	if (ret == -ENOENT)
		no_vif(d, c->req.err.msg);
	else if (ret)
		xfd_log(XFD_WARN, "dom %u: %s: %s", d->domid,
			cmd == XFILTER_CMD_OWNER_COMMIT ? "OWNER_COMMIT" : "MISS_RESOLVE",
			c->req.err.msg);
	return ret;
}

/* Sends the "no socket" answers gathered so far, as one message. */
static void nosock_flush(struct ctx *c)
{
	struct dom *d = c->nosock.d;
	unsigned int n = c->nosock.n;
	struct nl_msg *msg;
	int ret;

	c->nosock.n = 0;
	if (!n)
		return;
	msg = n > 16 ? xf_nl_msg_big(&c->req, XFILTER_CMD_MISS_RESOLVE, 0) :
		       xf_nl_msg(&c->req, XFILTER_CMD_MISS_RESOLVE, 0);
	if (!msg || nla_put_u32(msg, XFILTER_A_DOMID, d->domid) ||
	    xf_keys_put(msg, c->nosock.keys, n, XFILTER_MISS_KEYS_MAX) || put_scan(c, msg, c->nosock.scan)) {
		nlmsg_free(msg);
		xfd_log(XFD_WARN, "dom %u: %u \"no socket\" answers not sent: out of memory",
			d->domid, n);
		return;
	}
	ret = xf_nl_request(&c->req, msg, NULL, NULL);
	scan_refused(c, ret);
	if (ret == -ENOENT)
		no_vif(d, c->req.err.msg);
	else if (ret)
		xfd_log(XFD_WARN, "dom %u: MISS_RESOLVE (%u keys): %s", d->domid, n,
			c->req.err.msg);
	else if (n > 1)
		xfd_log(XFD_DEBUG, "dom %u: %u \"no socket\" answers in one message", d->domid, n);
}

/*
 * "No socket" for one miss. Gathered into the turn's message when the
 * module takes several keys at once; the answer is as old as the oldest
 * read of the message, so it never covers a packet held after a read that
 * could have missed that packet's socket.
 */
static void no_socket(struct ctx *c, struct dom *d, const struct xf_key *k, uint64_t scan)
{
	if (!c->miss_batch || c->o->dry_run) {
		send_simple(c, XFILTER_CMD_MISS_RESOLVE, d, k, scan);
		return;
	}
	if (c->nosock.n && (c->nosock.d != d || c->nosock.n == XFILTER_MISS_KEYS_MAX))
		nosock_flush(c);
	if (!c->nosock.n) {
		c->nosock.d = d;
		c->nosock.scan = scan;
	} else if (scan < c->nosock.scan) {
		c->nosock.scan = scan;
	}
	c->nosock.keys[c->nosock.n++] = *k;
}

struct skref {
	uint64_t sk;
	size_t i;
};

static int skref_cmp(const void *a, const void *b)
{
	const struct skref *x = a, *y = b;

	if (x->sk != y->sk)
		return x->sk < y->sk ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* OWNER_DEL of one key: a socket of the last walks that this one did not see. */
static int send_del(struct ctx *c, struct dom *d, const struct xf_key *k)
{
	struct nl_msg *msg;
	struct nlattr *nest;
	int ret;

	if (c->o->dry_run)
		return 0;
	msg = xf_nl_msg(&c->req, XFILTER_CMD_OWNER_DEL, 0);
	if (!msg || nla_put_u32(msg, XFILTER_A_DOMID, d->domid) ||
	    !(nest = nla_nest_start(msg, XFILTER_A_OWNER)) ||
	    xf_key_put(msg, XFILTER_OWNER_A_KEY, k)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nla_nest_end(msg, nest);
	ret = xf_nl_request(&c->req, msg, NULL, NULL);
	if (ret)
		xfd_log(ret == -ENOENT ? XFD_DEBUG : XFD_WARN, "dom %u: OWNER_DEL: %s", d->domid,
			c->req.err.msg);
	return ret;
}

/*
 * OWNER_DEL of the sockets of the last walks that this one did not see: in
 * lists of up to XFILTER_OWNER_DEL_KEYS_MAX keys when the module takes
 * them, one request per key otherwise. Counts the requests in *msgs.
 */
static int send_dels(struct ctx *c, struct dom *d, const struct xf_key *keys, size_t n,
		     unsigned int *msgs)
{
	size_t i, step;
	int ret;

	if (!c->del_batch) {
		for (i = 0; i < n; i++) {
			(*msgs)++;
			ret = send_del(c, d, &keys[i]);
			if (ret)
				return ret;
		}
		return 0;
	}
	for (i = 0; i < n; i += step) {
		struct nl_msg *msg;

		step = n - i < XFILTER_OWNER_DEL_KEYS_MAX ? n - i : XFILTER_OWNER_DEL_KEYS_MAX;
		(*msgs)++;
		if (c->o->dry_run)
			continue;
		/* 256 v6 keys are about 20 KiB: more than xf_nl_msg's page */
		msg = step > 16 ? xf_nl_msg_big(&c->req, XFILTER_CMD_OWNER_DEL, 0) :
				  xf_nl_msg(&c->req, XFILTER_CMD_OWNER_DEL, 0);
		if (!msg || nla_put_u32(msg, XFILTER_A_DOMID, d->domid) ||
		    xf_keys_put(msg, keys + i, step, XFILTER_OWNER_DEL_KEYS_MAX)) {
			nlmsg_free(msg);
			return -ENOMEM;
		}
		ret = xf_nl_request(&c->req, msg, NULL, NULL);
		if (ret) {
			xfd_log(XFD_WARN, "dom %u: OWNER_DEL (%zu keys): %s", d->domid, step,
				c->req.err.msg);
			return ret;
		}
	}
	return 0;
}

/* What the last push sent, for the walk's log line. */
struct push_res {
	bool full;
	unsigned int added, deleted, msgs;
	bool commit;
	double ms;
};

/*
 * Pushes the last walk: what changed since the module last heard from us
 * (pushset.h), or the whole walk as a new generation. An incomplete walk
 * only adds (no delete, no commit), so that it never removes what it
 * missed. Unchanged owners are not sent again, so their entries keep the
 * scan stamp of the push that sent them: older, which only means a held SYN
 * of theirs is decided by its own miss answer, as one held before that push
 * would be.
 */
static void push_table(struct ctx *c, struct dom *d, bool complete, uint64_t scan,
		       struct push_res *res)
{
	struct batch b = { .c = c, .d = d, .scan = scan };
	size_t n = d->t.nr_socks, i, k = 0;
	struct skref *r = calloc(n ? n : 1, sizeof(*r));
	struct xf_owner *w = calloc(n ? n : 1, sizeof(*w));
	struct xf_push_plan pl;
	double t0 = now_ms();
	bool full;
	int err = 0;

	memset(res, 0, sizeof(*res));
	if (!r || !w)
		goto out;
	/* a socket shared by several processes: one entry (the first owner), marked shared */
	for (i = 0; i < n; i++)
		r[i] = (struct skref){ .sk = d->t.socks[i].sk, .i = i };
	qsort(r, n, sizeof(*r), skref_cmp);
	for (i = 0; i < n; i++) {
		uint32_t flags = 0;

		if (i && r[i - 1].sk == r[i].sk)
			continue;
		if (i + 1 < n && r[i + 1].sk == r[i].sk)
			flags |= XFILTER_OWNER_F_SHARED;
		owner_of(&d->t.socks[r[i].i], flags, &w[k++]);
	}
	/* a dry run prints every walk whole, as a generation */
	full = c->o->dry_run || c->o->push_full || t0 - d->last_full_ms >= FULL_PUSH_MS;
	d->ps.del_per_msg = c->del_batch ? XFILTER_OWNER_DEL_KEYS_MAX : 1;
	if (xf_pushset_plan(&d->ps, w, k, complete, full, &pl))
		goto out;
	if (pl.full) {
		d->ps.gen = pl.gen;
		d->last_full_ms = t0;
		d->full_pushes++;
	}
	b.gen = pl.gen;
	if (pl.nadd && !batch_open(&b)) {
		for (i = 0; i < pl.nadd; i++) {
			if (batch_add(&b, &pl.walk[pl.add[i]]))
				break;
			d->pushed++;
			res->added++;
		}
		batch_send(&b);
	} else if (pl.nadd) {
		b.err = -ENOMEM;
	}
	if (b.err || res->added < pl.nadd)
		err = b.err ? b.err : -ENOSPC;
	res->msgs = b.msgs;
	if (!err && pl.ndel) {
		err = send_dels(c, d, pl.del, pl.ndel, &res->msgs);
		d->deleted += pl.ndel;
		res->deleted += (unsigned int)pl.ndel;
	}
	if (!err && pl.commit) {
		err = send_simple(c, XFILTER_CMD_OWNER_COMMIT, d, NULL, 0);
		res->msgs++;
		res->commit = true;
		d->commits++;
	}
	res->full = pl.full;
	/* an error: the module's table is not what we think; the next walk pushes in full */
	xf_pushset_done(&d->ps, &pl, err);
	xf_push_plan_free(&pl);
out:
	free(r);
	free(w);
	res->ms = now_ms() - t0;
}

/* A walk's memory reads and calls into Xen: where its time goes. */
struct walk_cost {
	uint64_t reads, pt_walks, maps, ctl_calls;
	double map_ms, ctl_ms;
};

static void walk_cost(const struct dom *d, struct walk_cost *w)
{
	w->reads = d->mem->reads;
	w->pt_walks = d->g.vm ? d->g.vm->walks : 0;
	w->maps = d->mem->maps;
	w->ctl_calls = d->mem->ctl_calls;
	w->map_ms = d->mem->map_ms;
	w->ctl_ms = d->mem->ctl_ms;
}

static int refresh(struct ctx *c, struct dom *d)
{
	double t0 = now_ms(), t_walk, t_learn;
	struct walk_cost w0, w1;
	struct push_res pr;
	uint64_t scan;
	int ret;

	/* answers gathered before this walk go first: they are older than it */
	nosock_flush(c);
	scan = scan_begins(c);
	if (!d->attached && dom_attach(d)) {
		d->failures++;
		d->last_try_ms = now_ms();
		return -ENOENT;
	}
	walk_cost(d, &w0);
	t_walk = now_ms();
	if (c->o->pause_walk) {
		/* --pause-during-walk: what stopping the guest costs it */
		bool paused;

		ret = xf_guest_walk_paused(&d->g, &d->t, &paused);
		if (paused)
			d->pauses++;
		else
			xfd_log(XFD_WARN, "dom %u: cannot pause the guest; walked it live", d->domid);
		if (ret == -EIO)
			xfd_log(XFD_ERR, "dom %u: cannot resume the guest after the walk", d->domid);
	} else {
		ret = xf_guest_walk(&d->g, &d->t);
	}
	d->walks++;
	if (ret == -EAGAIN && d->t.st.restarts > d->g.walker.lim.max_restarts &&
	    d->mem->ops->pause && !d->mem->ops->pause(d->mem, true)) {
		/* the list kept changing under us: once, with the guest stopped */
		d->pauses++;
		xfd_log(XFD_INFO, "dom %u: task list unstable, walking it paused (%" PRIu64
			" pauses so far)", d->domid, d->pauses);
		ret = xf_guest_walk(&d->g, &d->t);
		d->walks++;
		d->mem->ops->pause(d->mem, false);
	}
	d->walk_complete = false;
	if (ret && ret != -EAGAIN) {
		/* the guest went away or changed beyond recognition mid-walk */
		xfd_log(XFD_WARN, "dom %u: walk failed (%s); will attach again", d->domid,
			strerror(-ret));
		dom_detach(d);
		d->failures++;
		d->last_try_ms = now_ms();
		return ret;
	}
	if (ret)
		xfd_log(XFD_WARN, "dom %u: walk incomplete (%u restarts); adding what was read, "
			"removing nothing", d->domid, d->t.st.restarts);
	d->failures = 0;
	walk_cost(d, &w1);
	t_learn = now_ms();
	t_walk = t_learn - t_walk;
	if (!d->lookup_ok)
		d->lookup_ok = !xf_lookup_init(&d->l, &d->g.walker, d->g.prof.btf);
	if (d->lookup_ok)
		xf_lookup_learn(&d->l, &d->t);
	t_learn = now_ms() - t_learn;
	push_table(c, d, ret == 0, scan, &pr);
	d->last_try_ms = now_ms();
	d->refreshed = true;
	d->walk_seq++;
	d->walk_scan = scan;
	d->walk_complete = ret == 0 && d->lookup_ok;
	/* (bench-xen reads "generation G in T ms" and "N paused" off this line) */
	xfd_log(XFD_DEBUG, "dom %u: %zu tasks, %zu sockets, generation %" PRIu64 " in %.3f ms"
		" (%" PRIu64 " walks, %" PRIu64 " paused); walk %.3f ms: %" PRIu64 " reads, %"
		PRIu64 " page walks, %" PRIu64 " frames mapped (%.3f ms), %" PRIu64 " Xen calls"
		" (%.3f ms); learn %.3f ms; push %.3f ms: %s, %u added, %u deleted%s, %u requests",
		d->domid, d->t.nr_tasks, d->t.nr_socks, d->ps.gen, now_ms() - t0, d->walks,
		d->pauses, t_walk, w1.reads - w0.reads, w1.pt_walks - w0.pt_walks,
		w1.maps - w0.maps, w1.map_ms - w0.map_ms, w1.ctl_calls - w0.ctl_calls,
		w1.ctl_ms - w0.ctl_ms, t_learn, pr.ms, pr.full ? "full" : "changes", pr.added,
		pr.deleted, pr.commit ? ", commit" : "", pr.msgs);
	return 0;
}

/* ---- miss events ---- */

static void answer_deferred(struct ctx *c, struct dom *d);

/* A refresh, then the answers of the misses that waited for it. */
static int refresh_dom(struct ctx *c, struct dom *d)
{
	int ret = refresh(c, d);

	if (ret)
		defer_drop(&d->dl);	/* no walk to wait for: the module's fail mode decides */
	answer_deferred(c, d);
	return ret;
}

/*
 * after_seq: the walks up to this one do not count as fresh for m (they
 * may have begun before its hold); at: when m arrived.
 */
/* Returns whether the miss found its owner. */
static bool answer_miss(struct ctx *c, struct dom *d, const struct xf_miss *m,
			uint64_t after_seq, double at)
{
	struct xf_sock_info s;
	struct xf_flow f = {
		.family = m->key.family, .proto = m->key.proto,
		.lport = m->key.guest_port, .rport = m->key.peer_port,
	};
	enum xf_miss_act act = XF_MISS_UNKNOWN;
	uint64_t scan = 0;
	int ret = -EAGAIN, tries;

	memcpy(f.laddr, m->key.guest_addr, 16);
	memcpy(f.raddr, m->key.peer_addr, 16);
	memset(&s, 0, sizeof(s));
	for (tries = 0; tries < 2; tries++) {
		bool fresh, may;

		scan = scan_begins(c);
		if (!d->attached || !d->lookup_ok)
			ret = -EAGAIN;	/* no walk yet: cannot tell */
		else
			ret = xf_lookup_flow(&d->l, &f, &s);
		/* a complete walk that began after the hold: by count, or by scan stamp */
		fresh = d->attached && d->walk_complete &&
			(d->walk_seq > after_seq ||
			 (c->scan_stamps && m->stamp && m->stamp <= d->walk_scan));
		may = tries == 0 && now_ms() - d->last_try_ms >= MIN_REFRESH_MS;
		act = xf_miss_act(ret, &s, fresh, may);
		if (act != XF_MISS_REFRESH)
			break;
		/* newer than the last walk, or no tables yet: one coalesced refresh */
		refresh_dom(c, d);
	}
	{
		char ga[64], pa[64];

		xf_addr_str(m->key.family, m->key.guest_addr, ga, sizeof(ga));
		xf_addr_str(m->key.family, m->key.peer_addr, pa, sizeof(pa));
		if (act == XF_MISS_OWNER)
			xfd_log(XFD_DEBUG, "dom %u: miss %s %s:%u -> %s:%u: pid %d uid %u comm %.15s",
				d->domid, f.proto == 6 ? "tcp" : "udp", ga, f.lport, pa, f.rport,
				s.pid, s.uid, s.pid >= 0 ? s.comm : "?");
		else
			xfd_log(XFD_DEBUG, "dom %u: miss %s %s:%u -> %s:%u: %s", d->domid,
				f.proto == 6 ? "tcp" : "udp", ga, f.lport, pa, f.rport,
				act == XF_MISS_NONE ? "no socket" :
				act == XF_MISS_DEFER ? "waits for the next walk" : "cannot tell");
	}
	switch (act) {
	case XF_MISS_NONE:
		if (!d->attached)
			return false;
		d->negative++;
		no_socket(c, d, &m->key, scan);
		return false;
	case XF_MISS_DEFER:
		if (defer_add(&d->dl, m, d->walk_seq, at, now_ms()) == DEFER_LOST)
			xfd_log(XFD_DEBUG, "dom %u: miss not kept for the next walk (%u wait)",
				d->domid, d->dl.n);
		return false;
	case XF_MISS_OWNER:
		break;
	default:
		return false;	/* cannot tell: the module's fail mode decides */
	}
	{
		struct batch b = { .c = c, .d = d, .scan = scan, .gen = xf_pushset_miss_gen(&d->ps) };
		struct xf_owner o;

		owner_of(&s, 0, &o);
		/*
		 * Keyed by the flow the module missed on: a listener or a
		 * dual-stack socket matched it by wildcard, and the held
		 * packets are decided by this key.
		 */
		o.key = m->key;
		/* the next complete walk keeps it if it sees it, else its commit sweeps it */
		if (!batch_open(&b) && !batch_add(&b, &o) && !batch_send(&b) && !b.err)
			xf_pushset_note_miss(&d->ps, &o);
		else
			xf_pushset_invalidate(&d->ps);
		d->resolved++;
	}
	return true;
}

/* After a walk: every miss that waited for one (a later walk is fresh for each). */
static void answer_deferred(struct ctx *c, struct dom *d)
{
	struct xf_miss m[DEFER_MAX];
	uint64_t seq[DEFER_MAX];
	double at[DEFER_MAX];
	unsigned int n = defer_take(&d->dl, m, seq, at), i, found = 0;

	for (i = 0; i < n; i++)
		found += answer_miss(c, d, &m[i], seq[i], at[i]);
	nosock_flush(c);
	/* an owner found gives the domain its whole budget back */
	if (found)
		xf_missq_found(&c->mq, d->domid, found);
}

static int on_event(const struct nlmsghdr *nlh, struct nlattr **tb, void *arg)
{
	struct ctx *c = arg;
	struct xf_miss m;
	struct dom *d;

	if (xf_nl_cmd(nlh) != XFILTER_CMD_MISS)
		return 0;
	if (xf_miss_msg_parse(tb, &m)) {
		xfd_log(XFD_WARN, "malformed miss event ignored");
		return 0;
	}
	xf_missq_saw(&c->mq, m.stamp);	/* any domain's hold bounds the next read */
	d = dom_find(c, m.domid);
	if (!d) {
		xfd_log(XFD_DEBUG, "miss for dom %u, which is not served", m.domid);
		return 0;
	}
	/* not queued: the module's deadline decides it by the fail mode */
	if (xf_missq_push(&c->mq, &m, now_ms()) < 0)
		xfd_log(XFD_DEBUG, "dom %u: miss queue full", m.domid);
	return 0;
}

/* Reads the miss events pending now, a bounded number: turns must go on. */
static void read_events(struct ctx *c)
{
	int i, r;

	for (i = 0; i < MISS_DRAIN; i++) {
		struct pollfd p = { .fd = xf_nl_fd(&c->ev), .events = POLLIN };

		if (poll(&p, 1, 0) <= 0)
			return;
		r = xf_nl_events(&c->ev, on_event, c);
		if (r == -ENOBUFS)
			xfd_log(XFD_WARN, "miss events lost (socket overrun)");
	}
}

/* One turn: every queued miss of the next domain in turn. */
static void serve_turn(struct ctx *c)
{
	static struct xf_miss batch[XF_MISSQ_DEPTH];
	size_t n = xf_missq_take(&c->mq, now_ms(), batch, XF_MISSQ_DEPTH), i;
	size_t found = 0;
	struct dom *d;

	if (!n)
		return;
	d = dom_find(c, batch[0].domid);
	for (i = 0; d && i < n; i++) {
		d->misses++;
		found += answer_miss(c, d, &batch[i], d->walk_seq, now_ms());
	}
	nosock_flush(c);
	/* a turn that found nobody: the domain's budget halves (missq.h) */
	xf_missq_found(&c->mq, batch[0].domid, found);
}

/* ---- domains from xenstore ---- */

/*
 * A domain that stopped: its owner entries name sockets that no longer
 * exist. The module drops them itself when the guest's last vif goes, but a
 * walk of the dying guest may have pushed some since; this is the last word.
 * (Not on the daemon's own exit: owners outlive a daemon restart.)
 */
static void forget_domain(struct ctx *c, uint32_t domid)
{
	struct nl_msg *msg;
	int ret;

	if (!c->nl)
		return;
	msg = xf_nl_msg(&c->req, XFILTER_CMD_OWNER_DEL, 0);
	if (!msg || nla_put_u32(msg, XFILTER_A_DOMID, domid)) {
		nlmsg_free(msg);
		return;
	}
	ret = xf_nl_request(&c->req, msg, NULL, NULL);
	if (ret && ret != -ENOENT)
		xfd_log(XFD_WARN, "dom %u: owner table not flushed: %s", domid, c->req.err.msg);
}

static void rescan_xen(struct ctx *c)
{
	uint32_t ids[MAX_DOMS];
	int n, i, k;

	xf_xendoms_drain(c->xs);
	n = xf_xendoms_list(c->xs, ids, MAX_DOMS);
	if (n < 0) {
		xfd_log(XFD_WARN, "xenstore: cannot list domains: %s", strerror(-n));
		return;
	}
	for (i = 0; i < n; i++) {
		char vifs[256];

		if (dom_find(c, ids[i]))
			continue;
		if (dom_add(c, ids[i], NULL) && xf_xendoms_vifs(c->xs, ids[i], vifs, sizeof(vifs)) > 0)
			xfd_log(XFD_INFO, "dom %u: vifs %s", ids[i], vifs);
	}
	for (k = 0; k < MAX_DOMS; k++) {
		struct dom *d = &c->doms[k];
		bool alive = false;

		if (!d->used || d->core)
			continue;
		for (i = 0; i < n; i++)
			alive |= ids[i] == d->domid;
		if (!alive) {
			dom_remove(d);
			forget_domain(c, d->domid);
		}
	}
}

/*
 * The next periodic walk of d at t or a little later, apart from every
 * other domain's: walks back to back are one long stretch for whatever
 * waits on the same CPU (packets on dom0's vCPU; under icount, every
 * guest), two apart are two short ones. Apart by SPREAD_MS, or less when
 * that many domains would not fit into one period.
 */
static double spread(struct ctx *c, const struct dom *d, double t)
{
	double gap = SPREAD_MS;
	unsigned int n = 0, pass;
	int k;

	for (k = 0; k < MAX_DOMS; k++)
		n += c->doms[k].used;
	if (n > 1 && gap * n > c->o->period_ms / 2.0)
		gap = c->o->period_ms / 2.0 / n;
	/* each pass moves t past one domain at least: n passes suffice */
	for (pass = 0; pass <= n; pass++) {
		bool moved = false;

		for (k = 0; k < MAX_DOMS; k++) {
			const struct dom *e = &c->doms[k];

			if (e == d || !e->used || !e->attached || e->next_ms < t - gap ||
			    e->next_ms > t + gap)
				continue;
			t = e->next_ms + gap;
			moved = true;
		}
		if (!moved)
			break;
	}
	return t;
}

static bool all_refreshed(struct ctx *c)
{
	int i;

	for (i = 0; i < MAX_DOMS; i++)
		if (c->doms[i].used && !c->doms[i].refreshed && c->doms[i].failures < 3)
			return false;
	return true;
}

int xfd_run(const struct xfd_opts *o)
{
	struct ctx *c = calloc(1, sizeof(*c));
	struct xf_nl_info info;
	sigset_t set;
	unsigned int i;
	int ret = 0;

	if (!c)
		return 1;
	c->o = o;
	if (!o->dry_run)
		read_hold_ms(HOLD_MS_PARAM);
	xf_missq_init(&c->mq, XF_MISSQ_TURNS, XF_MISSQ_PERIOD_MS, miss_max_age_ms);
	xf_profile_cache = true;
	if (!o->dry_run) {
		if (xf_nl_open(&c->req) || xf_nl_get_info(&c->req, &info)) {
			xfd_log(XFD_ERR, "%s", c->req.err.msg);
			free(c);
			return 1;
		}
		if (xf_nl_open(&c->ev) || xf_nl_subscribe(&c->ev, XFILTER_MCGRP_MISS)) {
			xfd_log(XFD_ERR, "miss events: %s", c->ev.err.msg);
			xf_nl_close(&c->req);
			free(c);
			return 1;
		}
		c->nl = true;
		c->scan_stamps = !!(info.features & XFILTER_FEAT_SCAN_STAMP);
		c->miss_batch = !!(info.features & XFILTER_FEAT_MISS_BATCH);
		c->del_batch = !!(info.features & XFILTER_FEAT_OWNER_DEL_BATCH);
		xfd_log(XFD_INFO, "module %s, protocol %u-%u, packets held up to %.0f ms",
			info.version, info.proto_min, info.proto_max, miss_max_age_ms);
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	c->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	for (i = 0; i < o->nr_cores; i++)
		dom_add(c, o->core_domid[i], o->core[i]);
	if (!o->nr_cores) {
		c->xs = xf_xendoms_open();
		if (!c->xs) {
			xfd_log(XFD_ERR, "cannot reach xenstore (%s): run in a Xen dom0, or give "
				"--core FILE:DOMID", strerror(errno));
			ret = 1;
			goto out;
		}
		rescan_xen(c);
	}
	while (!c->stop) {
		struct pollfd pfd[3];
		double now = now_ms(), next = now + 60000;
		int n = 0, k, timeout;
		double wait;

		for (k = 0; k < MAX_DOMS; k++) {
			struct dom *d = &c->doms[k];

			if (!d->used)
				continue;
			if (d->next_ms <= now) {
				refresh_dom(c, d);
				d->next_ms = d->attached ? spread(c, d, now_ms() + o->period_ms) :
					     now_ms() + RETRY_MS * (d->failures < 8 ? d->failures : 8);
			} else if (d->dl.n && defer_due(&d->dl, d->last_try_ms) <= now) {
				refresh_dom(c, d);	/* one walk answers every waiting miss */
			}
			if (d->next_ms < next)
				next = d->next_ms;
			if (d->dl.n && defer_due(&d->dl, d->last_try_ms) < next)
				next = defer_due(&d->dl, d->last_try_ms);
		}
		if (o->once && all_refreshed(c))
			break;
		pfd[n++] = (struct pollfd){ .fd = c->sigfd, .events = POLLIN };
		if (c->nl)
			pfd[n++] = (struct pollfd){ .fd = xf_nl_fd(&c->ev), .events = POLLIN };
		if (c->xs)
			pfd[n++] = (struct pollfd){ .fd = xf_xendoms_fd(c->xs), .events = POLLIN };
		wait = next - now_ms();
		timeout = (int)wait + (wait > (int)wait);
		wait = xf_missq_wait_ms(&c->mq, now_ms());
		if (wait >= 0 && wait < timeout)
			timeout = (int)wait + (wait > (int)wait);
		if (poll(pfd, n, timeout < 0 ? 0 : timeout) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents) {
			struct signalfd_siginfo si;

			if (read(c->sigfd, &si, sizeof(si)) == sizeof(si))
				xfd_log(XFD_INFO, "signal %u: exiting", si.ssi_signo);
			c->stop = true;
		}
		for (k = 1; k < n; k++) {
			if (!pfd[k].revents)
				continue;
			if (c->nl && pfd[k].fd == xf_nl_fd(&c->ev))
				read_events(c);
			else if (c->xs)
				rescan_xen(c);
		}
		serve_turn(c);
	}
out:
	for (i = 0; i < MAX_DOMS; i++)
		if (c->doms[i].used)
			dom_remove(&c->doms[i]);
	if (c->mq.st.queued)
		xfd_log(XFD_INFO, "misses: %" PRIu64 " queued, %" PRIu64 " coalesced, %" PRIu64
			" dropped (queue full), %" PRIu64 " expired, %" PRIu64 " turns (%" PRIu64
			" found no owner), %" PRIu64 " deferred (budget)", c->mq.st.queued,
			c->mq.st.coalesced, c->mq.st.dropped, c->mq.st.expired, c->mq.st.walks,
			c->mq.st.fruitless, c->mq.st.deferred);
	xf_missq_free(&c->mq);
	xf_profile_cache_clear();
	xf_xendoms_close(c->xs);
	if (c->nl) {
		xf_nl_close(&c->ev);
		xf_nl_close(&c->req);
	}
	if (c->sigfd >= 0)
		close(c->sigfd);
	free(c);
	return ret;
}
