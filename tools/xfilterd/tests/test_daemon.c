// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the daemon's miss answers and table pushes, on a real
 * Debian 6.1 guest (the fuzzer's minimised seed served as a core-file
 * domain): the daemon itself, with its netlink transport replaced by one
 * that keeps every request and checks it as the module would, and its clock
 * driven by the test. Covers the misses that wait for the next walk (a
 * socket newer than the last one), what a walk that read nothing sends, and
 * the pushes of what changed: the transport keeps a model of the module's
 * owner table (insert or update, delete, sweep of a commit) and the tests
 * check it against what every walk says the guest holds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <netlink/genl/genl.h>

#include "../daemon.c"

#define SEED	"../fuzz/corpus/real-6.1-la57"
#define DOMID	7
#define MAXSENT	512
#define MODEL_MAX	1024

/* ---- the transport: every request kept, checked as the module does ---- */

struct sent {
	uint8_t cmd;
	uint32_t domid;
	bool has_gen, has_scan, has_owners;
	uint64_t gen, scan;
	unsigned int nowners;
	struct xf_owner first;		/* the first owner of an OWNER_ADD */
	unsigned int nkeys;		/* MISS_RESOLVE: its keys, one or a list */
	struct xf_key keys[XFILTER_MISS_KEYS_MAX];
};

static struct sent sent[MAXSENT];
static unsigned int nsent, refused;	/* refused: what the module would refuse */

/* The module's owner table of DOMID, as the requests left it. */
struct mentry {
	struct xf_owner o;
	uint64_t gen;
};

static struct mentry model[MODEL_MAX];
static unsigned int nmodel;
static int fail_next;			/* the module's answer to the next request */

static struct mentry *model_find(const struct xf_key *k)
{
	unsigned int i;

	for (i = 0; i < nmodel; i++)
		if (!xf_key_cmp(&model[i].o.key, k))
			return &model[i];
	return NULL;
}

static void model_add(const struct xf_owner *o, uint64_t gen)
{
	struct mentry *e = model_find(&o->key);

	if (!e) {
		assert_true(nmodel < MODEL_MAX);
		e = &model[nmodel++];
	}
	e->o = *o;
	e->gen = gen;
}

static int model_del(const struct xf_key *k)
{
	struct mentry *e = model_find(k);

	if (!e)
		return -ENOENT;
	*e = model[--nmodel];
	return 0;
}

static void model_sweep(uint64_t gen)
{
	unsigned int i = 0;

	while (i < nmodel)
		if (model[i].gen != gen)
			model[i] = model[--nmodel];
		else
			i++;
}

struct nl_msg *xf_nl_msg(const struct xf_nl *nl, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (msg && !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, 0x20, 0, flags, cmd,
				XFILTER_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

struct nl_msg *xf_nl_msg_big(const struct xf_nl *nl, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc_size(65536 + 4096);

	if (msg && !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, 0x20, 0, flags, cmd,
				XFILTER_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

int xf_nl_request(struct xf_nl *nl, struct nl_msg *msg, xf_nl_cb cb, void *arg)
{
	struct nlattr *tb[XFILTER_A_MAX + 1], *a;
	struct genlmsghdr *g = nlmsg_data(nlmsg_hdr(msg));
	struct sent *s = &sent[nsent < MAXSENT ? nsent : MAXSENT - 1];
	bool bad;
	int rem;

	memset(nl->err.msg, 0, sizeof(nl->err.msg));
	assert_true(nsent < MAXSENT);
	memset(s, 0, sizeof(*s));
	assert_int_equal(genlmsg_parse(nlmsg_hdr(msg), 0, tb, XFILTER_A_MAX, NULL), 0);
	s->cmd = g->cmd;
	if (tb[XFILTER_A_DOMID])
		s->domid = nla_get_u32(tb[XFILTER_A_DOMID]);
	if ((s->has_gen = tb[XFILTER_A_GENERATION] != NULL))
		s->gen = nla_get_u64(tb[XFILTER_A_GENERATION]);
	if ((s->has_scan = tb[XFILTER_A_SCAN_STAMP] != NULL))
		s->scan = nla_get_u64(tb[XFILTER_A_SCAN_STAMP]);
	s->has_owners = tb[XFILTER_A_OWNERS] != NULL;
	if (s->has_owners) {
		nla_for_each_nested(a, tb[XFILTER_A_OWNERS], rem) {
			struct xf_owner o;

			assert_int_equal(nla_type(a), XFILTER_A_OWNER);
			assert_int_equal(xf_owner_parse(a, &o), 0);
			if (!s->nowners++)
				s->first = o;
		}
	}
	if (s->cmd == XFILTER_CMD_OWNER_DEL && tb[XFILTER_A_OWNER])
		assert_int_equal(xf_owner_parse(tb[XFILTER_A_OWNER], &s->first), 0);
	if (tb[XFILTER_A_KEY]) {
		assert_int_equal(xf_key_parse(tb[XFILTER_A_KEY], &s->keys[0]), 0);
		s->nkeys = 1;
	}
	if (tb[XFILTER_A_KEYS]) {
		struct xf_key k;

		assert_null(tb[XFILTER_A_KEY]);	/* one form or the other */
		assert_null(tb[XFILTER_A_OWNER]);
		nla_for_each_nested(a, tb[XFILTER_A_KEYS], rem) {
			assert_int_equal(nla_type(a), XFILTER_A_KEY);
			assert_int_equal(xf_key_parse(a, &k), 0);
			if (s->nkeys < XFILTER_MISS_KEYS_MAX)
				s->keys[s->nkeys] = k;
			s->nkeys++;
		}
		assert_true(s->nkeys > 0);
		/* the module's caps */
		assert_true(s->nkeys <= (s->cmd == XFILTER_CMD_OWNER_DEL ?
					 XFILTER_OWNER_DEL_KEYS_MAX : XFILTER_MISS_KEYS_MAX));
	}
	/* the module's required attributes (module/netlink.c, NEED) */
	bad = !tb[XFILTER_A_DOMID] ||
	      (s->cmd == XFILTER_CMD_MISS_RESOLVE && !s->nkeys) ||
	      (s->cmd == XFILTER_CMD_OWNER_ADD && (!s->has_gen || !s->has_owners)) ||
	      (s->cmd == XFILTER_CMD_OWNER_COMMIT && !s->has_gen);
	if (bad) {
		refused++;
		snprintf(nl->err.msg, sizeof(nl->err.msg), "missing attribute");
	}
	nsent++;
	if (!bad && fail_next) {
		int ret = fail_next;

		fail_next = 0;
		nlmsg_free(msg);
		snprintf(nl->err.msg, sizeof(nl->err.msg), "refused by the test");
		return ret;
	}
	if (!bad && s->cmd == XFILTER_CMD_OWNER_ADD) {
		nla_for_each_nested(a, tb[XFILTER_A_OWNERS], rem) {
			struct xf_owner o;

			assert_int_equal(xf_owner_parse(a, &o), 0);
			model_add(&o, s->gen);
		}
	} else if (!bad && s->cmd == XFILTER_CMD_OWNER_COMMIT) {
		model_sweep(s->gen);
	} else if (!bad && s->cmd == XFILTER_CMD_OWNER_DEL && tb[XFILTER_A_KEYS]) {
		/* a key without an entry is passed over */
		nla_for_each_nested(a, tb[XFILTER_A_KEYS], rem) {
			struct xf_key k;

			assert_int_equal(xf_key_parse(a, &k), 0);
			model_del(&k);
		}
	} else if (!bad && s->cmd == XFILTER_CMD_OWNER_DEL) {
		assert_non_null(tb[XFILTER_A_OWNER]);	/* the daemon never flushes */
		bad = model_del(&s->first.key) != 0;
		if (bad)
			snprintf(nl->err.msg, sizeof(nl->err.msg), "no entry with this key");
		nlmsg_free(msg);
		return bad ? -ENOENT : 0;
	}
	nlmsg_free(msg);
	return bad ? -EINVAL : 0;
}

int xf_nl_open(struct xf_nl *nl)
{
	return -ENOSYS;
}

void xf_nl_close(struct xf_nl *nl)
{
}

int xf_nl_get_info(struct xf_nl *nl, struct xf_nl_info *info)
{
	return -ENOSYS;
}

int xf_nl_subscribe(struct xf_nl *nl, const char *group)
{
	return -ENOSYS;
}

int xf_nl_events(struct xf_nl *nl, xf_nl_cb cb, void *arg)
{
	return -EAGAIN;
}

int xf_nl_fd(const struct xf_nl *nl)
{
	return -1;
}

uint8_t xf_nl_cmd(const struct nlmsghdr *nlh)
{
	return ((const struct genlmsghdr *)nlmsg_data(nlh))->cmd;
}

/* no Xen here: the seed is served as a core-file domain */
int xf_mem_xen_open(unsigned int domid, struct xf_mem **out, char *err, size_t errlen)
{
	snprintf(err, errlen, "no Xen in the unit tests");
	return -ENOSYS;
}

struct xf_xendoms *xf_xendoms_open(void)
{
	return NULL;
}

void xf_xendoms_close(struct xf_xendoms *x)
{
}

int xf_xendoms_list(struct xf_xendoms *x, uint32_t *ids, int max)
{
	return -ENOSYS;
}

int xf_xendoms_vifs(struct xf_xendoms *x, uint32_t domid, char *buf, size_t len)
{
	return -ENOSYS;
}

int xf_xendoms_fd(struct xf_xendoms *x)
{
	return -1;
}

void xf_xendoms_drain(struct xf_xendoms *x)
{
}

/* ---- the daemon, on the seed ---- */

static double clock_now;

static double test_ms(void)
{
	return clock_now;
}

struct h {
	struct xfd_opts o;
	struct ctx *c;
	struct dom *d;
	struct xf_table old;	/* a walk from before some sockets existed */
};

static void h_open(struct h *h)
{
	memset(h, 0, sizeof(*h));
	xfd_log_init(XFD_ERR, false);
	now_ms = test_ms;
	clock_now = 1e6;
	h->c = calloc(1, sizeof(*h->c));
	assert_non_null(h->c);
	h->c->o = &h->o;
	h->c->nl = true;
	h->c->scan_stamps = true;
	h->c->sigfd = -1;
	xf_missq_init(&h->c->mq, XF_MISSQ_TURNS, XF_MISSQ_PERIOD_MS, MISS_MAX_AGE_MS);
	h->d = dom_add(h->c, DOMID, SEED);
	assert_non_null(h->d);
	nsent = refused = 0;
	nmodel = 0;
	fail_next = 0;
	assert_int_equal(refresh_dom(h->c, h->d), 0);
	assert_true(h->d->attached && h->d->lookup_ok && h->d->walk_complete);
	assert_int_equal(h->d->walk_seq, 1);
	assert_true(h->d->t.nr_socks > 10);
	/* the first walk: its owners, then its generation committed */
	assert_true(nsent >= 2);
	assert_int_equal(sent[0].cmd, XFILTER_CMD_OWNER_ADD);
	assert_int_equal(sent[nsent - 1].cmd, XFILTER_CMD_OWNER_COMMIT);
	assert_int_equal(refused, 0);
	nsent = 0;
}

static void h_close(struct h *h)
{
	struct ctx *c = h->c;
	int i;

	for (i = 0; i < MAX_DOMS; i++)
		if (c->doms[i].used)
			dom_remove(&c->doms[i]);
	xf_missq_free(&c->mq);
	free(h->old.socks);
	free(c);
	assert_int_equal(refused, 0);
}

/* A socket of the last walk with an owner, copied (the next walk rewrites the table). */
static struct xf_sock_info sock_where(struct h *h, int proto, uint8_t state, uint16_t lport)
{
	size_t i;

	for (i = 0; i < h->d->t.nr_socks; i++) {
		const struct xf_sock_info *s = &h->d->t.socks[i];

		if (s->proto == proto && s->state == state && (!lport || s->lport == lport) &&
		    s->pid >= 0)
			return *s;
	}
	fail();
	return h->d->t.socks[0];
}

/*
 * The lookup now knows the guest as a walk from before sk existed: the
 * guest's hash tables hold the socket, the last walk did not see it.
 */
static void hide(struct h *h, uint64_t sk)
{
	size_t i;

	free(h->old.socks);
	memset(&h->old, 0, sizeof(h->old));
	h->old.socks = calloc(h->d->t.nr_socks, sizeof(*h->old.socks));
	assert_non_null(h->old.socks);
	for (i = 0; i < h->d->t.nr_socks; i++)
		if (h->d->t.socks[i].sk != sk)
			h->old.socks[h->old.nr_socks++] = h->d->t.socks[i];
	assert_true(h->old.nr_socks < h->d->t.nr_socks);
	assert_int_equal(xf_lookup_learn(&h->d->l, &h->old), 0);
}

static struct xf_miss miss_of(const struct xf_sock_info *s, uint16_t rport, uint64_t stamp)
{
	struct xf_miss m;

	memset(&m, 0, sizeof(m));
	m.domid = DOMID;
	m.key.family = s->family;
	m.key.proto = s->proto;
	m.key.guest_port = s->lport;
	memcpy(m.key.guest_addr, s->laddr, 16);
	m.key.has_peer_addr = true;
	m.key.peer_port = rport ? rport : s->rport;
	memcpy(m.key.peer_addr, s->raddr, 16);
	if (rport) {		/* a peer of a listener */
		m.key.peer_addr[0] = 192;
		m.key.peer_addr[1] = 0;
		m.key.peer_addr[2] = 2;
		m.key.peer_addr[3] = 1;
	}
	m.stamp = stamp;
	return m;
}

/* A miss event as on_event takes it, then its turn. */
static void miss_arrives(struct h *h, const struct xf_miss *m)
{
	xf_missq_saw(&h->c->mq, m->stamp);
	assert_true(xf_missq_push(&h->c->mq, m, now_ms()) >= 0);
	serve_turn(h->c);
}

/* What the main loop does when the waiting misses' walk is due. */
static void walk_when_due(struct h *h)
{
	double due = defer_due(&h->d->dl, h->d->last_try_ms);

	assert_true(due >= 0);
	if (clock_now < due)
		clock_now = due;
	assert_int_equal(refresh_dom(h->c, h->d), 0);
}

/*
 * The answers of a walk's turn: the requests after its push (which sends
 * nothing when the guest did not change). Walk entries carry an even
 * generation, miss answers the odd one after it.
 */
static unsigned int after_push(void)
{
	unsigned int i, k = 0;

	for (i = 0; i < nsent; i++)
		if (sent[i].cmd == XFILTER_CMD_OWNER_COMMIT || sent[i].cmd == XFILTER_CMD_OWNER_DEL ||
		    (sent[i].cmd == XFILTER_CMD_OWNER_ADD && !(sent[i].gen & 1)))
			k = i + 1;
	return k;
}

static void assert_answer(const struct sent *s, const struct xf_miss *m,
			  const struct xf_sock_info *owner)
{
	assert_int_equal(s->cmd, XFILTER_CMD_OWNER_ADD);
	assert_int_equal(s->domid, DOMID);
	assert_int_equal(s->nowners, 1);
	assert_true(s->has_scan);
	assert_true(s->scan >= m->stamp);	/* covers the miss's hold */
	assert_memory_equal(&s->first.key, &m->key, sizeof(m->key));
	assert_true(s->gen & 1);	/* a miss answer's generation */
	assert_true(XF_HAS(&s->first, XFILTER_OWNER_A_PID));
	assert_int_equal(s->first.pid, owner->pid);
	assert_int_equal(s->first.uid, owner->uid);
	assert_string_equal(s->first.comm, owner->comm);
	assert_false(s->first.flags & XFILTER_OWNER_F_UNATTRIBUTED);
}

/* The list alone: bounded, keyed, emptied whole, dropped counted. */
static void test_defer_list(void **state)
{
	static struct defer_list q;
	struct xf_miss m, out[DEFER_MAX];
	uint64_t seq[DEFER_MAX];
	double at[DEFER_MAX];
	unsigned int i;

	memset(&q, 0, sizeof(q));
	memset(&m, 0, sizeof(m));
	m.key.family = 2;
	m.key.proto = 6;
	assert_true(defer_due(&q, 500) < 0);
	for (i = 0; i < DEFER_MAX; i++) {
		m.key.peer_port = (uint16_t)(1000 + i);
		assert_int_equal(defer_add(&q, &m, 3, 100 + i, 200), DEFER_WAITS);
	}
	assert_true(defer_due(&q, 500) == 500 + MIN_REFRESH_MS);
	m.key.peer_port = 1000;		/* waits already */
	m.stamp = 9;
	assert_int_equal(defer_add(&q, &m, 3, 150, 200), DEFER_JOINED);
	m.key.peer_port = 999;		/* the 65th */
	assert_int_equal(defer_add(&q, &m, 3, 150, 200), DEFER_LOST);
	m.key.peer_port = 1001;		/* held longer than the module holds */
	assert_int_equal(defer_add(&q, &m, 3, 0, MISS_MAX_AGE_MS), DEFER_LOST);
	assert_int_equal(q.n, DEFER_MAX);
	assert_int_equal(q.added, DEFER_MAX);
	assert_int_equal(q.joined, 1);
	assert_int_equal(q.lost, 2);
	assert_int_equal(defer_take(&q, out, seq, at), DEFER_MAX);
	for (i = 0; i < DEFER_MAX; i++) {
		assert_int_equal(out[i].key.peer_port, 1000 + i);
		assert_int_equal(out[i].stamp, 0);	/* the first one's */
		assert_int_equal(seq[i], 3);
		assert_true(at[i] == 100 + i);
	}
	assert_int_equal(q.n, 0);
	assert_int_equal(defer_take(&q, out, seq, at), 0);
	assert_int_equal(defer_add(&q, &m, 4, 190, 200), DEFER_WAITS);
	defer_drop(&q);
	assert_int_equal(q.n, 0);
	assert_int_equal(q.lost, 3);
	assert_true(defer_due(&q, 500) < 0);
}

/*
 * A socket newer than the last walk while walks are rate limited: nothing
 * is sent (never "owner unknown" from a walk older than the miss); the
 * next walk, when due, answers it with its owner.
 */
static void test_deferred_answered(void **state)
{
	struct xf_sock_info est;
	struct xf_miss m;
	struct h h;
	unsigned int k;

	h_open(&h);
	est = sock_where(&h, 6, 1, 0);
	hide(&h, est.sk);
	m = miss_of(&est, 0, 5);
	clock_now += 10;		/* 10 ms after the walk: no walk now */
	miss_arrives(&h, &m);
	assert_int_equal(nsent, 0);
	assert_int_equal(h.d->dl.n, 1);
	assert_int_equal(h.d->dl.added, 1);
	assert_int_equal(h.d->dl.seq[0], 1);
	/* the walk's deadline: 100 ms after the last one, not before */
	assert_true(defer_due(&h.d->dl, h.d->last_try_ms) == h.d->last_try_ms + MIN_REFRESH_MS);
	/* the same flow missed again (a retransmitted SYN): one answer serves both */
	m.stamp = 6;
	clock_now += 20;
	miss_arrives(&h, &m);
	assert_int_equal(nsent, 0);
	assert_int_equal(h.d->dl.n, 1);
	assert_int_equal(h.d->dl.joined, 1);
	walk_when_due(&h);
	assert_int_equal(h.d->walk_seq, 2);
	k = after_push();
	assert_int_equal(nsent, k + 1);
	assert_answer(&sent[k], &m, &est);
	assert_int_equal(h.d->dl.n, 0);
	assert_int_equal(h.d->dl.lost, 0);
	assert_int_equal(h.d->resolved, 1);
	h_close(&h);
}

/*
 * Without a walk in the last 100 ms, the same miss walks at once and is
 * answered in its own turn: nothing waits.
 */
static void test_not_rate_limited(void **state)
{
	struct xf_sock_info est;
	struct xf_miss m;
	struct h h;
	unsigned int k;

	h_open(&h);
	est = sock_where(&h, 6, 1, 0);
	hide(&h, est.sk);
	m = miss_of(&est, 0, 5);
	clock_now += MIN_REFRESH_MS;
	miss_arrives(&h, &m);
	assert_int_equal(h.d->walk_seq, 2);
	assert_int_equal(h.d->dl.n, 0);
	k = after_push();
	assert_int_equal(nsent, k + 1);
	assert_answer(&sent[k], &m, &est);
	h_close(&h);
}

/*
 * 64 misses wait at most per domain: the 65th is not kept (never answered:
 * the module's hold deadline decides it by the fail mode) and is counted;
 * the 64 are answered by the next walk.
 */
static void test_defer_full(void **state)
{
	struct xf_sock_info lis;
	struct xf_miss m;
	struct h h;
	unsigned int i, k;

	h_open(&h);
	lis = sock_where(&h, 6, 10, 8080);	/* websrv's listener */
	hide(&h, lis.sk);
	clock_now += 1;
	for (i = 0; i < DEFER_MAX + 1; i++) {
		m = miss_of(&lis, (uint16_t)(40000 + i), 10 + i);
		xf_missq_saw(&h.c->mq, m.stamp);
		answer_miss(h.c, h.d, &m, h.d->walk_seq, now_ms());
	}
	assert_int_equal(nsent, 0);
	assert_int_equal(h.d->dl.n, DEFER_MAX);
	assert_int_equal(h.d->dl.added, DEFER_MAX);
	assert_int_equal(h.d->dl.lost, 1);
	walk_when_due(&h);
	k = after_push();
	assert_int_equal(nsent, k + DEFER_MAX);
	for (i = 0; i < DEFER_MAX; i++) {
		m = miss_of(&lis, (uint16_t)(40000 + i), 10 + i);
		assert_answer(&sent[k + i], &m, &lis);
	}
	assert_int_equal(h.d->dl.n, 0);
	assert_int_equal(h.d->dl.lost, 1);
	assert_int_equal(h.d->resolved, DEFER_MAX);
	h_close(&h);
}

/* A miss older than the module's hold deadline is not kept: decided already. */
static void test_defer_too_old(void **state)
{
	struct xf_sock_info est;
	struct xf_miss m;
	struct h h;

	h_open(&h);
	est = sock_where(&h, 6, 1, 0);
	hide(&h, est.sk);
	m = miss_of(&est, 0, 5);
	clock_now += 10;
	answer_miss(h.c, h.d, &m, h.d->walk_seq, clock_now - MISS_MAX_AGE_MS);
	assert_int_equal(h.d->dl.n, 0);
	assert_int_equal(h.d->dl.lost, 1);
	assert_int_equal(nsent, 0);
	h_close(&h);
}

/*
 * The walk they wait for fails (the guest went away): the waiting misses
 * are dropped and counted, nothing is answered from the failed walk.
 */
static void test_defer_walk_fails(void **state)
{
	struct xf_sock_info lis;
	struct xf_miss m;
	struct h h;
	unsigned int i;

	h_open(&h);
	lis = sock_where(&h, 6, 10, 8080);
	hide(&h, lis.sk);
	clock_now += 1;
	for (i = 0; i < 3; i++) {
		m = miss_of(&lis, (uint16_t)(50000 + i), 1);
		answer_miss(h.c, h.d, &m, h.d->walk_seq, now_ms());
	}
	assert_int_equal(h.d->dl.n, 3);
	dom_detach(h.d);
	h.d->core = "/nonexistent/xfilterd-test.core";
	clock_now += MIN_REFRESH_MS;
	assert_true(refresh_dom(h.c, h.d) != 0);
	assert_int_equal(h.d->dl.n, 0);
	assert_int_equal(h.d->dl.lost, 3);
	assert_int_equal(nsent, 0);
	h_close(&h);
}

/*
 * A domain that goes away with misses waiting: they are dropped and
 * counted (no allocation to leak: ASan would say), its queued misses are
 * not answered, and a domain served in its slot starts with none.
 */
static void test_defer_domain_gone(void **state)
{
	struct xf_sock_info lis;
	struct xf_miss m;
	struct dom *d;
	struct h h;
	unsigned int i;

	h_open(&h);
	lis = sock_where(&h, 6, 10, 8080);
	hide(&h, lis.sk);
	clock_now += 1;
	for (i = 0; i < 5; i++) {
		m = miss_of(&lis, (uint16_t)(60000 + i), 1);
		answer_miss(h.c, h.d, &m, h.d->walk_seq, now_ms());
	}
	/* and one still queued for its turn */
	m = miss_of(&lis, 61000, 2);
	assert_int_equal(xf_missq_push(&h.c->mq, &m, now_ms()), 0);
	assert_int_equal(h.d->dl.n, 5);
	dom_remove(h.d);
	assert_false(h.d->used);
	assert_int_equal(h.d->dl.n, 0);
	assert_int_equal(h.d->dl.lost, 5);
	assert_null(dom_find(h.c, DOMID));
	serve_turn(h.c);
	assert_int_equal(nsent, 0);
	/* the slot serves another domain: nothing of the old one waits there */
	d = dom_add(h.c, DOMID + 1, SEED);
	assert_ptr_equal(d, h.d);
	assert_int_equal(d->dl.n, 0);
	assert_int_equal(d->dl.lost, 0);
	h_close(&h);
}

/*
 * A guest that cannot be attached (no kernel found, no BTF: the guest's
 * own memory decides) and makes packets miss: each miss may not cost an
 * attach attempt, at most one per MIN_REFRESH_MS, misses waiting between.
 */
static void test_unattachable_rate_limited(void **state)
{
	struct xf_sock_info lis;
	struct xf_miss m;
	struct dom *d;
	struct h h;
	unsigned int i;

	h_open(&h);
	lis = sock_where(&h, 6, 10, 8080);
	d = dom_add(h.c, DOMID + 1, "/nonexistent/xfilterd-test.core");
	assert_non_null(d);
	assert_true(refresh_dom(h.c, d) != 0);	/* the main loop's first try */
	assert_int_equal(d->failures, 1);
	clock_now += MIN_REFRESH_MS;
	for (i = 0; i < DEFER_MAX; i++) {
		m = miss_of(&lis, (uint16_t)(40000 + i), 1);
		m.domid = d->domid;
		assert_int_equal(xf_missq_push(&h.c->mq, &m, now_ms()), 0);
	}
	serve_turn(h.c);
	assert_int_equal(d->misses, DEFER_MAX);
	assert_int_equal(d->failures, 2);	/* one attempt for the whole turn */
	assert_int_equal(d->dl.n, DEFER_MAX);	/* waiting for the next one */
	clock_now += 1;
	for (i = 0; i < DEFER_MAX; i++) {
		m = miss_of(&lis, (uint16_t)(40000 + i), 2);
		answer_miss(h.c, d, &m, d->walk_seq, now_ms());
	}
	assert_int_equal(d->failures, 2);
	assert_int_equal(d->dl.joined, DEFER_MAX);
	/* due 100 ms after the failed attempt, not at once */
	assert_true(defer_due(&d->dl, d->last_try_ms) == clock_now - 1 + MIN_REFRESH_MS);
	clock_now += MIN_REFRESH_MS;
	assert_true(refresh_dom(h.c, d) != 0);
	assert_int_equal(d->failures, 3);
	assert_int_equal(d->dl.n, 0);
	assert_int_equal(d->dl.lost, DEFER_MAX);
	assert_int_equal(nsent, 0);
	h_close(&h);
}

/*
 * A walk that read no socket, incomplete (a bound hit): nothing is sent,
 * no OWNER_ADD without owners (the module refuses it: missing attribute)
 * and no commit (an incomplete walk removes nothing). Complete with no
 * socket: only a commit of a new generation, which empties the table.
 */
static void test_empty_push(void **state)
{
	struct push_res pr;
	uint64_t gen;
	struct h h;

	h_open(&h);
	gen = h.d->ps.gen;
	h.d->g.walker.lim.max_socks = 0;	/* every socket over the bound */
	clock_now += MIN_REFRESH_MS;
	assert_int_equal(refresh_dom(h.c, h.d), 0);
	assert_true(h.d->t.st.incomplete);
	assert_int_equal(h.d->t.nr_socks, 0);
	assert_false(h.d->walk_complete);
	assert_int_equal(refused, 0);
	assert_int_equal(nsent, 0);
	assert_true(nmodel > 10);
	/* the same table pushed as a complete walk */
	push_table(h.c, h.d, true, scan_begins(h.c), &pr);
	assert_int_equal(refused, 0);
	assert_int_equal(nsent, 1);
	assert_int_equal(sent[0].cmd, XFILTER_CMD_OWNER_COMMIT);
	assert_int_equal(sent[0].gen, h.d->ps.gen);
	assert_true(h.d->ps.gen == gen + 2);
	assert_int_equal(nmodel, 0);
	h_close(&h);
}

/* --full-push: a walk's owners in one generation, every socket once, shared ones marked. */
static void test_push_table(void **state)
{
	size_t i, j, n = 0, uniq = 0;
	struct push_res pr;
	struct h h;

	h_open(&h);
	h.o.push_full = true;
	for (i = 0; i < h.d->t.nr_socks; i++) {
		for (j = 0; j < i; j++)
			if (h.d->t.socks[j].sk == h.d->t.socks[i].sk)
				break;
		uniq += j == i;
	}
	push_table(h.c, h.d, true, scan_begins(h.c), &pr);
	assert_true(pr.full);
	assert_true(nsent >= 2);
	for (i = 0; i + 1 < nsent; i++) {
		assert_int_equal(sent[i].cmd, XFILTER_CMD_OWNER_ADD);
		assert_int_equal(sent[i].gen, h.d->ps.gen);
		assert_true(sent[i].nowners > 0);
		n += sent[i].nowners;
	}
	assert_int_equal(n, uniq);
	assert_int_equal(h.d->pushed, 2 * uniq);	/* this push and the first walk's */
	assert_int_equal(sent[nsent - 1].cmd, XFILTER_CMD_OWNER_COMMIT);
	assert_int_equal(sent[nsent - 1].gen, h.d->ps.gen);
	h_close(&h);
}

/* ---- pushes of what changed, checked against the model of the module ---- */

/* The owner entry the walk's socket i becomes (its first sharer names it). */
static bool walk_owner(const struct h *h, size_t i, struct xf_owner *o)
{
	const struct xf_table *t = &h->d->t;
	uint32_t flags = 0;
	size_t j;

	for (j = 0; j < t->nr_socks; j++) {
		if (j == i || t->socks[j].sk != t->socks[i].sk)
			continue;
		if (j < i)
			return false;	/* not the one named */
		flags = XFILTER_OWNER_F_SHARED;
	}
	owner_of(&t->socks[i], flags, o);
	return true;
}

/*
 * The module holds the last walk's owners, each once and as it is now,
 * tagged with the walk generation, plus nmiss miss answers (the odd
 * generation) and nothing else.
 */
static void assert_model(const struct h *h, unsigned int nmiss)
{
	unsigned int i, walk = 0, miss = 0;
	size_t j;

	for (i = 0; i < nmodel; i++) {
		bool found = false;

		if (model[i].gen == xf_pushset_miss_gen(&h->d->ps)) {
			miss++;
			continue;
		}
		assert_true(model[i].gen == h->d->ps.gen);
		walk++;
		for (j = 0; j < h->d->t.nr_socks && !found; j++) {
			struct xf_owner o;

			found = walk_owner(h, j, &o) && xf_owner_same(&o, &model[i].o);
		}
		assert_true(found);
	}
	for (j = 0; j < h->d->t.nr_socks; j++) {
		struct xf_owner o;

		owner_of(&h->d->t.socks[j], 0, &o);
		assert_non_null(model_find(&o.key));
	}
	assert_int_equal(miss, nmiss);
	assert_true(walk > 0 || !h->d->t.nr_socks);
}

/* A walk of a guest that did not change sends nothing at all. */
static void test_push_unchanged(void **state)
{
	struct h h;

	h_open(&h);
	assert_model(&h, 0);
	clock_now += MIN_REFRESH_MS;
	assert_int_equal(refresh_dom(h.c, h.d), 0);
	assert_int_equal(h.d->walk_seq, 2);
	assert_int_equal(nsent, 0);
	assert_true(h.d->ps.valid);
	assert_model(&h, 0);
	h_close(&h);
}

/* Rows of the table that stand for nobody else's socket (a key and sk of their own). */
static size_t lone_sock(const struct h *h, size_t skip)
{
	const struct xf_table *t = &h->d->t;
	size_t i, j;

	for (i = 0; i < t->nr_socks; i++) {
		bool lone = skip >= t->nr_socks || (i != skip && t->socks[i].sk != t->socks[skip].sk);
		struct xf_owner a, b;

		owner_of(&t->socks[i], 0, &a);
		for (j = 0; j < t->nr_socks && lone; j++) {
			owner_of(&t->socks[j], 0, &b);
			lone = j == i || (t->socks[j].sk != t->socks[i].sk &&
					  xf_key_cmp(&a.key, &b.key));
		}
		if (lone)
			return i;
	}
	fail();
	return 0;
}

static void drop_sock(struct h *h, size_t i)
{
	struct xf_table *t = &h->d->t;

	t->socks[i] = t->socks[--t->nr_socks];
}

static void add_sock(struct h *h, const struct xf_sock_info *s)
{
	struct xf_table *t = &h->d->t;

	assert_true(t->nr_socks < t->cap_socks);
	t->socks[t->nr_socks++] = *s;
}

/* Added, changed and vanished sockets: one OWNER_ADD of two, one OWNER_DEL, no commit. */
static void test_push_changes(void **state)
{
	struct xf_sock_info s;
	struct push_res pr;
	size_t a, b, i;
	struct h h;

	h_open(&h);
	a = lone_sock(&h, (size_t)-1);
	b = lone_sock(&h, a);
	for (i = 0; i < h.d->t.nr_socks; i++)	/* a's process renamed itself */
		if (h.d->t.socks[i].sk == h.d->t.socks[a].sk)
			memcpy(h.d->t.socks[i].comm, "renamed", 8);
	s = h.d->t.socks[a];
	s.sk += 0x10000;	/* a new socket of the same process */
	s.lport = 65001;
	s.proto = 17;
	s.rport = 0;
	drop_sock(&h, b);
	add_sock(&h, &s);
	push_table(h.c, h.d, true, scan_begins(h.c), &pr);
	assert_false(pr.full);
	assert_int_equal(pr.added, 2);
	assert_int_equal(pr.deleted, 1);
	assert_false(pr.commit);
	assert_int_equal(nsent, 2);
	assert_int_equal(sent[0].cmd, XFILTER_CMD_OWNER_ADD);
	assert_int_equal(sent[0].nowners, 2);
	assert_int_equal(sent[0].gen, h.d->ps.gen);
	assert_int_equal(sent[1].cmd, XFILTER_CMD_OWNER_DEL);
	assert_int_equal(refused, 0);
	assert_model(&h, 0);
	/* the same again: nothing */
	nsent = 0;
	push_table(h.c, h.d, true, scan_begins(h.c), &pr);
	assert_int_equal(nsent, 0);
	assert_model(&h, 0);
	h_close(&h);
}

/*
 * Many sockets gone at once (a server that closed its connections): with a
 * module that takes key lists, their entries go in lists of up to
 * XFILTER_OWNER_DEL_KEYS_MAX, and the difference stays cheaper than a full
 * push; one request per key would cost more than re-sending the table.
 */
static void check_push_many_gone(bool batch)
{
	const size_t many = 600, gone = 520;
	struct xf_table *t;
	struct push_res pr;
	unsigned int i, dels = 0;
	size_t a, n0;
	struct h h;

	h_open(&h);
	h.c->del_batch = batch;
	t = &h.d->t;
	a = lone_sock(&h, (size_t)-1);
	n0 = t->nr_socks;
	t->socks = realloc(t->socks, (n0 + many) * sizeof(*t->socks));
	assert_non_null(t->socks);
	t->cap_socks = n0 + many;
	for (i = 0; i < many; i++) {
		struct xf_sock_info s = t->socks[a];

		s.sk += 0x10000 * (i + 1);
		s.lport = (uint16_t)(20000 + i);
		add_sock(&h, &s);
	}
	push_table(h.c, h.d, true, scan_begins(h.c), &pr);
	assert_int_equal(refused, 0);
	assert_model(&h, 0);
	/* the last 520 go; 80 of them stay, with the walk's own */
	t->nr_socks -= gone;
	nsent = 0;
	push_table(h.c, h.d, true, scan_begins(h.c), &pr);
	assert_int_equal(refused, 0);
	assert_model(&h, 0);
	for (i = 0; i < nsent; i++)
		dels += sent[i].cmd == XFILTER_CMD_OWNER_DEL;
	if (batch) {
		assert_false(pr.full);
		assert_int_equal(pr.deleted, gone);
		assert_int_equal(nsent, 3);	/* 256 + 256 + 8 */
		assert_int_equal(dels, 3);
		assert_int_equal(sent[0].nkeys, XFILTER_OWNER_DEL_KEYS_MAX);
		assert_int_equal(sent[2].nkeys, gone - 2 * XFILTER_OWNER_DEL_KEYS_MAX);
	} else {
		assert_true(pr.full);	/* the table again, then a commit */
		assert_int_equal(dels, 0);
		assert_true(nsent < 20);
	}
	h_close(&h);
}

static void test_push_many_gone_batched(void **state) { check_push_many_gone(true); }
static void test_push_many_gone_one_by_one(void **state) { check_push_many_gone(false); }

/* A socket that a second process comes to share: its entry is sent again, marked; and back. */
static void test_push_shared(void **state)
{
	struct xf_sock_info s;
	struct push_res pr;
	struct h h;
	size_t a;

	h_open(&h);
	a = lone_sock(&h, (size_t)-1);
	s = h.d->t.socks[a];
	s.pid += 1000;		/* a child that inherited the socket */
	s.tgid += 1000;
	s.fd += 1;
	add_sock(&h, &s);
	push_table(h.c, h.d, true, scan_begins(h.c), &pr);
	assert_int_equal(nsent, 1);
	assert_int_equal(sent[0].nowners, 1);
	assert_true(sent[0].first.flags & XFILTER_OWNER_F_SHARED);
	assert_model(&h, 0);
	nsent = 0;
	drop_sock(&h, h.d->t.nr_socks - 1);
	push_table(h.c, h.d, true, scan_begins(h.c), &pr);
	assert_int_equal(nsent, 1);
	assert_int_equal(sent[0].nowners, 1);
	assert_false(sent[0].first.flags & XFILTER_OWNER_F_SHARED);
	assert_model(&h, 0);
	h_close(&h);
}

/* An incomplete walk adds and changes, removes nothing; the next complete one does. */
static void test_push_incomplete(void **state)
{
	struct xf_owner gone;
	struct push_res pr;
	struct h h;
	size_t b;

	h_open(&h);
	b = lone_sock(&h, (size_t)-1);
	owner_of(&h.d->t.socks[b], 0, &gone);
	drop_sock(&h, b);
	push_table(h.c, h.d, false, scan_begins(h.c), &pr);
	assert_int_equal(nsent, 0);
	assert_non_null(model_find(&gone.key));
	push_table(h.c, h.d, true, scan_begins(h.c), &pr);
	assert_int_equal(nsent, 1);
	assert_int_equal(sent[0].cmd, XFILTER_CMD_OWNER_DEL);
	assert_null(model_find(&gone.key));
	assert_model(&h, 0);
	h_close(&h);
}

/*
 * Miss answers carry the odd generation: the next complete walk that does
 * not see their key sweeps them with one commit (the walk's entries stay,
 * not sent again); one whose key the walk sees is re-tagged instead. An
 * incomplete walk leaves them.
 */
static void test_push_miss_answers(void **state)
{
	struct xf_sock_info lis, est;
	struct xf_miss m1, m2;
	struct h h;

	h_open(&h);
	lis = sock_where(&h, 6, 10, 8080);	/* websrv's listener */
	est = sock_where(&h, 6, 1, 0);
	m1 = miss_of(&lis, 40000, 3);		/* a peer of the listener */
	m2 = miss_of(&est, 0, 4);		/* the walk's own key */
	clock_now += 1;
	xf_missq_saw(&h.c->mq, 4);
	assert_true(answer_miss(h.c, h.d, &m1, h.d->walk_seq, now_ms()));
	assert_true(answer_miss(h.c, h.d, &m2, h.d->walk_seq, now_ms()));
	assert_int_equal(nsent, 2);
	assert_true(sent[0].gen & 1);
	assert_true(model_find(&m1.key)->gen == xf_pushset_miss_gen(&h.d->ps));
	assert_true(model_find(&m2.key)->gen == xf_pushset_miss_gen(&h.d->ps));
	/* an incomplete walk: nothing removed, the walk's key taken back */
	nsent = 0;
	h.d->g.walker.lim.max_socks = (uint32_t)h.d->t.nr_socks;
	h.d->t.st.incomplete = true;
	{
		struct push_res pr;

		push_table(h.c, h.d, false, scan_begins(h.c), &pr);
		assert_int_equal(pr.added, 1);
		assert_false(pr.commit);
	}
	assert_true(model_find(&m2.key)->gen == h.d->ps.gen);
	assert_true(model_find(&m1.key)->gen == xf_pushset_miss_gen(&h.d->ps));
	/* a complete walk: one commit sweeps the answer it does not see */
	nsent = 0;
	clock_now += MIN_REFRESH_MS;
	assert_int_equal(refresh_dom(h.c, h.d), 0);
	assert_int_equal(nsent, 1);
	assert_int_equal(sent[0].cmd, XFILTER_CMD_OWNER_COMMIT);
	assert_int_equal(sent[0].gen, h.d->ps.gen);
	assert_null(model_find(&m1.key));
	assert_model(&h, 0);
	/* again, the walk's key answered: sent again with the walk's generation, no commit */
	nsent = 0;
	m2.stamp = 9;
	xf_missq_saw(&h.c->mq, 9);
	assert_true(answer_miss(h.c, h.d, &m2, h.d->walk_seq, now_ms()));
	clock_now += MIN_REFRESH_MS;
	assert_int_equal(refresh_dom(h.c, h.d), 0);
	assert_int_equal(nsent, 2);
	assert_int_equal(sent[1].cmd, XFILTER_CMD_OWNER_ADD);
	assert_int_equal(sent[1].gen, h.d->ps.gen);
	assert_model(&h, 0);
	h_close(&h);
}

/*
 * A daemon (re)start begins with a full generation and a commit: the
 * entries a previous daemon left, of a socket gone since, go.
 */
static void test_push_restart(void **state)
{
	struct xf_owner stale;
	struct h h;

	h_open(&h);
	stale = model[0].o;
	stale.key.guest_port = 65002;
	model_add(&stale, h.d->ps.gen);		/* the previous daemon's */
	dom_remove(h.d);
	clock_now += 1;
	h.d = dom_add(h.c, DOMID, SEED);
	assert_non_null(h.d);
	nsent = 0;
	assert_int_equal(refresh_dom(h.c, h.d), 0);
	assert_int_equal(sent[nsent - 1].cmd, XFILTER_CMD_OWNER_COMMIT);
	assert_null(model_find(&stale.key));
	assert_model(&h, 0);
	h_close(&h);
}

/*
 * The module's table changed behind our back (an entry gone): the delete of
 * it fails, and the next walk is pushed whole, which puts things right.
 */
static void test_push_error(void **state)
{
	struct xf_owner gone, lost;
	struct push_res pr;
	size_t a, b;
	struct h h;

	h_open(&h);
	a = lone_sock(&h, (size_t)-1);
	b = lone_sock(&h, a);
	owner_of(&h.d->t.socks[a], 0, &gone);
	owner_of(&h.d->t.socks[b], 0, &lost);
	assert_int_equal(model_del(&gone.key), 0);
	drop_sock(&h, a);
	push_table(h.c, h.d, true, scan_begins(h.c), &pr);
	assert_int_equal(nsent, 1);
	assert_int_equal(sent[0].cmd, XFILTER_CMD_OWNER_DEL);
	assert_false(h.d->ps.valid);
	/* meanwhile another entry lost: the full push brings it back */
	assert_int_equal(model_del(&lost.key), 0);
	nsent = 0;
	push_table(h.c, h.d, true, scan_begins(h.c), &pr);
	assert_true(pr.full);
	assert_true(h.d->ps.valid);
	assert_non_null(model_find(&lost.key));
	assert_model(&h, 0);
	/* a refused OWNER_ADD: the same */
	nsent = 0;
	h.d->t.socks[0].state ^= 1;
	fail_next = -ENOMEM;
	push_table(h.c, h.d, true, scan_begins(h.c), &pr);
	assert_false(h.d->ps.valid);
	push_table(h.c, h.d, true, scan_begins(h.c), &pr);
	assert_true(pr.full);
	assert_model(&h, 0);
	h_close(&h);
}

/* Every FULL_PUSH_MS a full generation, though nothing failed; and when it is cheaper. */
static void test_push_full_when(void **state)
{
	struct push_res pr;
	struct h h;

	h_open(&h);
	clock_now += MIN_REFRESH_MS;
	assert_int_equal(refresh_dom(h.c, h.d), 0);
	assert_int_equal(nsent, 0);
	clock_now += FULL_PUSH_MS;
	assert_int_equal(refresh_dom(h.c, h.d), 0);
	assert_true(nsent >= 2);
	assert_int_equal(sent[nsent - 1].cmd, XFILTER_CMD_OWNER_COMMIT);
	assert_model(&h, 0);
	/* every socket but one gone: deleting them costs more requests than a full push */
	nsent = 0;
	while (h.d->t.nr_socks > 1)
		drop_sock(&h, 0);
	push_table(h.c, h.d, true, scan_begins(h.c), &pr);
	assert_true(pr.full);
	assert_int_equal(pr.deleted, 0);
	assert_int_equal(nsent, 2);
	assert_model(&h, 0);
	assert_int_equal(nmodel, 1);
	h_close(&h);
}

/* Periodic walks of two domains never back to back: SPREAD_MS apart, less when crowded. */
static void test_spread(void **state)
{
	struct dom *e;
	struct h h;
	int k;

	h_open(&h);
	h.o.period_ms = 1000;
	e = &h.c->doms[1];
	assert_false(e->used);
	e->used = e->attached = true;
	e->next_ms = 5000;
	assert_true(spread(h.c, h.d, 4000) == 4000);
	assert_true(spread(h.c, h.d, 5000) == 5000 + SPREAD_MS);
	assert_true(spread(h.c, h.d, 4990) == 5000 + SPREAD_MS);
	assert_true(spread(h.c, h.d, 5000 + SPREAD_MS + 1) == 5000 + SPREAD_MS + 1);
	/* a third at 5020: past both */
	h.c->doms[2].used = h.c->doms[2].attached = true;
	h.c->doms[2].next_ms = 5000 + SPREAD_MS;
	assert_true(spread(h.c, h.d, 5000) == 5000 + 2 * SPREAD_MS);
	/* 100 domains in one second: 5 ms apart */
	for (k = 3; k < 100; k++) {
		h.c->doms[k].used = true;
		h.c->doms[k].next_ms = 1e9;
	}
	assert_true(spread(h.c, h.d, 5000) == 5000 + 5);
	for (k = 1; k < 100; k++)
		h.c->doms[k].used = h.c->doms[k].attached = false;
	h_close(&h);
}

/* the deadline follows the module's hold_ms; nonsense in the file changes nothing */
/* Misses of guest ports nobody has bound, queued for one turn (stamps 5, 6, ...). */
static void queue_nobody(struct h *h, struct xf_miss *m, unsigned int n)
{
	struct xf_sock_info udp = sock_where(h, 17, 7, 0);
	unsigned int i;

	for (i = 0; i < n; i++) {
		m[i] = miss_of(&udp, 0, 5 + i);
		m[i].key.guest_port = (uint16_t)(1 + i);	/* no socket there */
		xf_missq_saw(&h->c->mq, m[i].stamp);
		assert_true(xf_missq_push(&h->c->mq, &m[i], now_ms()) >= 0);
	}
}

/*
 * A turn's "no socket" answers go as one MISS_RESOLVE when the module takes
 * a list (XFILTER_FEAT_MISS_BATCH), with a scan stamp that covers every
 * miss of it; one message per key for an older module.
 */
static void test_no_socket_batched(void **state)
{
	struct xf_miss m[5];
	unsigned int i, batched;
	struct h h;

	for (batched = 0; batched < 2; batched++) {
		h_open(&h);
		h.c->miss_batch = batched;
		queue_nobody(&h, m, 5);
		serve_turn(h.c);
		assert_int_equal(h.d->walk_seq, 1);	/* the guest's tables told */
		assert_int_equal(nsent, batched ? 1 : 5);
		for (i = 0; i < 5; i++) {
			const struct sent *s = &sent[batched ? 0 : i];

			assert_int_equal(s->cmd, XFILTER_CMD_MISS_RESOLVE);
			assert_int_equal(s->domid, DOMID);
			assert_int_equal(s->nkeys, batched ? 5 : 1);
			assert_memory_equal(&s->keys[batched ? i : 0], &m[i].key,
					    sizeof(m[i].key));
			assert_true(s->has_scan);
			assert_true(s->scan >= m[4].stamp);	/* after every hold */
		}
		assert_int_equal(h.d->negative, 5);
		assert_int_equal(h.c->nosock.n, 0);
		h_close(&h);
	}
}

/*
 * A miss of the turn that needs a walk: the "no socket" answers gathered
 * before it are sent first, with their own (older) scan stamp, so that the
 * walk's entries come after them; the walk's answer comes last.
 */
static void test_no_socket_before_walk(void **state)
{
	struct xf_sock_info est;
	struct xf_miss m[3];
	struct h h;

	h_open(&h);
	h.c->miss_batch = true;
	est = sock_where(&h, 6, 1, 0);
	hide(&h, est.sk);
	queue_nobody(&h, m, 2);
	m[2] = miss_of(&est, 0, 7);
	xf_missq_saw(&h.c->mq, m[2].stamp);
	assert_true(xf_missq_push(&h.c->mq, &m[2], now_ms()) >= 0);
	clock_now += MIN_REFRESH_MS;	/* the hidden socket's miss may walk */
	serve_turn(h.c);
	assert_int_equal(h.d->walk_seq, 2);
	assert_true(nsent >= 2);	/* the walk itself may send nothing new */
	assert_int_equal(sent[0].cmd, XFILTER_CMD_MISS_RESOLVE);
	assert_int_equal(sent[0].nkeys, 2);
	assert_memory_equal(&sent[0].keys[1], &m[1].key, sizeof(m[1].key));
	assert_true(sent[0].scan >= m[1].stamp);
	assert_answer(&sent[nsent - 1], &m[2], &est);
	assert_int_equal(h.c->nosock.n, 0);
	h_close(&h);
}

/* More answers than one message takes: as many messages as the cap needs, every key once, in order. */
static void test_no_socket_over_cap(void **state)
{
	struct xf_miss m[1];
	struct xf_key k[XFILTER_MISS_KEYS_MAX + 6];
	unsigned int i, got = 0, n = XFILTER_MISS_KEYS_MAX + 6;
	struct h h;

	h_open(&h);
	h.c->miss_batch = true;
	queue_nobody(&h, m, 1);
	for (i = 0; i < n; i++) {
		k[i] = m[0].key;
		k[i].guest_port = (uint16_t)(100 + i);
		no_socket(h.c, h.d, &k[i], 9);
	}
	assert_int_equal(nsent, 1);	/* the first 64 went when the 65th came */
	nosock_flush(h.c);
	assert_int_equal(nsent, 2);
	for (i = 0; i < nsent; i++) {
		unsigned int j;

		assert_int_equal(sent[i].cmd, XFILTER_CMD_MISS_RESOLVE);
		assert_int_equal(sent[i].nkeys, i ? 6 : XFILTER_MISS_KEYS_MAX);
		assert_int_equal(sent[i].scan, 9);
		for (j = 0; j < sent[i].nkeys; j++, got++)
			assert_memory_equal(&sent[i].keys[j], &k[got], sizeof(k[got]));
	}
	assert_int_equal(got, n);
	h_close(&h);
}

static void test_hold_ms_param(void **state)
{
	char path[] = "/tmp/xfd-hold-ms.XXXXXX";
	int fd = mkstemp(path);
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	miss_max_age_ms = MISS_MAX_AGE_MS;
	read_hold_ms("/nonexistent/hold_ms");
	assert_true(miss_max_age_ms == MISS_MAX_AGE_MS);
	f = fopen(path, "w");
	fputs("7200\n", f);
	fclose(f);
	read_hold_ms(path);
	assert_true(miss_max_age_ms == 7200);
	f = fopen(path, "w");
	fputs("junk\n", f);
	fclose(f);
	read_hold_ms(path);
	assert_true(miss_max_age_ms == 7200);
	f = fopen(path, "w");
	fputs("99999999999999999999999\n", f);
	fclose(f);
	read_hold_ms(path);
	assert_true(miss_max_age_ms == 7200);
	unlink(path);
	miss_max_age_ms = MISS_MAX_AGE_MS;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hold_ms_param),
		cmocka_unit_test(test_defer_list),
		cmocka_unit_test(test_deferred_answered),
		cmocka_unit_test(test_not_rate_limited),
		cmocka_unit_test(test_defer_full),
		cmocka_unit_test(test_defer_too_old),
		cmocka_unit_test(test_defer_walk_fails),
		cmocka_unit_test(test_defer_domain_gone),
		cmocka_unit_test(test_unattachable_rate_limited),
		cmocka_unit_test(test_empty_push),
		cmocka_unit_test(test_push_table),
		cmocka_unit_test(test_no_socket_batched),
		cmocka_unit_test(test_no_socket_before_walk),
		cmocka_unit_test(test_no_socket_over_cap),
		cmocka_unit_test(test_push_unchanged),
		cmocka_unit_test(test_push_changes),
		cmocka_unit_test(test_push_many_gone_batched),
		cmocka_unit_test(test_push_many_gone_one_by_one),
		cmocka_unit_test(test_push_shared),
		cmocka_unit_test(test_push_incomplete),
		cmocka_unit_test(test_push_miss_answers),
		cmocka_unit_test(test_push_restart),
		cmocka_unit_test(test_push_error),
		cmocka_unit_test(test_push_full_when),
		cmocka_unit_test(test_spread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
