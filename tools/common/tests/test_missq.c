// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of missq.c, the daemon's miss scheduling: a storming domain
 * delays another by one turn at most, a turn answers all of a domain's
 * queued misses, duplicates coalesce, the budget defers only the domain
 * that spent it, turns that find nobody shrink it, and every miss that
 * will not be answered is counted.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "missq.h"

static struct xf_miss miss(uint32_t domid, uint16_t port)
{
	struct xf_miss m;

	memset(&m, 0, sizeof(m));
	m.domid = domid;
	m.key.family = 2;
	m.key.proto = 17;
	m.key.guest_port = port;
	m.key.peer_port = 53;
	m.key.guest_addr[0] = 10;
	return m;
}

static void test_coalesce_and_batch(void **state)
{
	struct xf_missq q;
	struct xf_miss m, out[XF_MISSQ_DEPTH];
	unsigned int i;

	(void)state;
	xf_missq_init(&q, 0, 100, 0);
	assert_int_equal(xf_missq_wait_ms(&q, 0), -1);
	for (i = 0; i < 5; i++) {
		m = miss(5, (uint16_t)(1000 + i));
		assert_int_equal(xf_missq_push(&q, &m, 1), 0);
	}
	/* the same key again, padding bytes different: one question */
	m = miss(5, 1002);
	memset(m.ifname, 'x', sizeof(m.ifname) - 1);
	assert_int_equal(xf_missq_push(&q, &m, 2), 1);
	assert_int_equal(q.st.coalesced, 1);
	assert_int_equal(xf_missq_pending(&q), 5);
	assert_int_equal(xf_missq_wait_ms(&q, 2), 0);
	/* one turn answers them all, oldest first */
	assert_int_equal(xf_missq_take(&q, 3, out, XF_MISSQ_DEPTH), 5);
	for (i = 0; i < 5; i++)
		assert_int_equal(out[i].key.guest_port, 1000 + i);
	assert_int_equal(q.st.walks, 1);
	assert_int_equal(xf_missq_take(&q, 3, out, XF_MISSQ_DEPTH), 0);
	/* answered: the key may be asked again */
	m = miss(5, 1002);
	assert_int_equal(xf_missq_push(&q, &m, 4), 0);
	/* a turn is capped by the caller's array */
	for (i = 0; i < 9; i++) {
		m = miss(5, (uint16_t)(2000 + i));
		assert_int_equal(xf_missq_push(&q, &m, 4), 0);
	}
	assert_int_equal(xf_missq_take(&q, 5, out, 4), 4);
	assert_int_equal(xf_missq_pending(&q), 6);
	xf_missq_free(&q);
}

/*
 * Domain 5 storms: it always has a full queue. Domain 6 asks one question
 * at a time and is answered within two turns of asking, however deep
 * domain 5's queue is; arrival order does not matter.
 */
static void test_storm_waits_one_turn(void **state)
{
	struct xf_missq q;
	struct xf_miss m, out[8];
	unsigned int round, turns, port = 0, served6 = 0;
	size_t n;

	(void)state;
	xf_missq_init(&q, 0, 100, 0);
	for (round = 0; round < 200; round++) {
		/* the storm first: its misses arrived before domain 6's */
		while (xf_missq_pending(&q) < XF_MISSQ_DEPTH) {
			m = miss(5, (uint16_t)(port++ % 60000));
			if (xf_missq_push(&q, &m, round) < 0)
				break;
		}
		m = miss(6, (uint16_t)(40000 + round));
		assert_int_equal(xf_missq_push(&q, &m, round), 0);
		for (turns = 1; turns <= 2; turns++) {
			n = xf_missq_take(&q, round, out, 8);
			assert_true(n > 0);
			if (out[0].domid == 6) {
				assert_int_equal(n, 1);
				assert_int_equal(out[0].key.guest_port, 40000 + round);
				served6++;
				break;
			}
			assert_int_equal(out[0].domid, 5);
		}
		assert_true(turns <= 2);
	}
	assert_int_equal(served6, 200);
	xf_missq_free(&q);
}

static void test_budget(void **state)
{
	struct xf_missq q;
	struct xf_miss m, out[8];
	unsigned int i;

	(void)state;
	xf_missq_init(&q, 2, 100, 0);
	for (i = 0; i < 3; i++) {
		m = miss(5, (uint16_t)(1000 + i));
		assert_int_equal(xf_missq_push(&q, &m, 0), 0);
		assert_int_equal(xf_missq_take(&q, 10 + i, out, 8), i < 2 ? 1 : 0);
	}
	/* domain 5 spent its 2 walks; it waits for the period, domain 6 does not */
	assert_int_equal(q.st.deferred, 1);
	assert_true(xf_missq_wait_ms(&q, 50) > 49 && xf_missq_wait_ms(&q, 50) <= 50);
	m = miss(6, 7);
	assert_int_equal(xf_missq_push(&q, &m, 50), 0);
	assert_int_equal(xf_missq_wait_ms(&q, 50), 0);
	assert_int_equal(xf_missq_take(&q, 50, out, 8), 1);
	assert_int_equal(out[0].domid, 6);
	assert_int_equal(xf_missq_take(&q, 60, out, 8), 0);
	/* the next period: domain 5's miss is answered */
	assert_int_equal(xf_missq_wait_ms(&q, 100), 0);
	assert_int_equal(xf_missq_take(&q, 100, out, 8), 1);
	assert_int_equal(out[0].domid, 5);
	assert_int_equal(out[0].key.guest_port, 1002);
	xf_missq_free(&q);
}

/* Emptying its queue within a period does not give a domain its budget back. */
static void test_budget_not_reset_by_draining(void **state)
{
	struct xf_missq q;
	struct xf_miss m, out[8];

	(void)state;
	xf_missq_init(&q, 1, 100, 0);
	m = miss(5, 1);
	assert_int_equal(xf_missq_push(&q, &m, 0), 0);
	assert_int_equal(xf_missq_take(&q, 1, out, 8), 1);
	m = miss(5, 2);
	assert_int_equal(xf_missq_push(&q, &m, 2), 0);
	assert_int_equal(xf_missq_take(&q, 3, out, 8), 0);
	assert_int_equal(xf_missq_take(&q, 101, out, 8), 1);
	xf_missq_free(&q);
}

static void test_full_and_expired(void **state)
{
	struct xf_missq q;
	struct xf_miss m, out[XF_MISSQ_DEPTH];
	unsigned int i;

	(void)state;
	xf_missq_init(&q, 0, 1000, 900);
	for (i = 0; i < XF_MISSQ_DEPTH + 10; i++) {
		m = miss(5, (uint16_t)(1000 + i));
		assert_int_equal(xf_missq_push(&q, &m, i < XF_MISSQ_DEPTH / 2 ? 0 : 500),
				 i < XF_MISSQ_DEPTH ? 0 : -ENOSPC);
	}
	assert_int_equal(q.st.dropped, 10);
	/* domain 5's full queue leaves domain 6 its own */
	m = miss(6, 1);
	assert_int_equal(xf_missq_push(&q, &m, 500), 0);
	/* at 901 ms the first half is past the module's deadline */
	assert_int_equal(xf_missq_take(&q, 901, out, XF_MISSQ_DEPTH), XF_MISSQ_DEPTH / 2);
	assert_int_equal(q.st.expired, XF_MISSQ_DEPTH / 2);
	assert_int_equal(out[0].key.guest_port, 1000 + XF_MISSQ_DEPTH / 2);
	assert_int_equal(xf_missq_take(&q, 901, out, XF_MISSQ_DEPTH), 1);
	assert_int_equal(out[0].domid, 6);
	/* all of it too old: nothing to answer, nothing pending */
	m = miss(7, 1);
	assert_int_equal(xf_missq_push(&q, &m, 1000), 0);
	assert_int_equal(xf_missq_take(&q, 2000, out, XF_MISSQ_DEPTH), 0);
	assert_int_equal(xf_missq_pending(&q), 0);
	assert_int_equal(xf_missq_wait_ms(&q, 2000), -1);
	xf_missq_free(&q);
}

static void test_many_domains(void **state)
{
	struct xf_missq q;
	struct xf_miss m, out[4];
	unsigned int i;

	(void)state;
	xf_missq_init(&q, 0, 100, 0);
	for (i = 0; i < XF_MISSQ_DOMS; i++) {
		m = miss(100 + i, 1);
		assert_int_equal(xf_missq_push(&q, &m, 0), 0);
	}
	m = miss(9999, 1);
	assert_int_equal(xf_missq_push(&q, &m, 0), -EMFILE);
	assert_int_equal(q.st.dropped, 1);
	/* each domain gets one turn before any gets a second */
	for (i = 0; i < XF_MISSQ_DOMS; i++) {
		assert_int_equal(xf_missq_take(&q, 1, out, 4), 1);
		assert_int_equal(out[0].domid, 100 + i);
	}
	/* drained domains give their slots back at the next period */
	assert_int_equal(xf_missq_push(&q, &m, 1), -EMFILE);
	assert_int_equal(xf_missq_push(&q, &m, 200), 0);
	xf_missq_free(&q);
}

/*
 * The scan stamp is the largest hold stamp seen, whatever the order the
 * events came in and whether they were queued, coalesced or refused; a
 * turn taken later does not lower it.
 */
static void test_scan_stamp(void **state)
{
	struct xf_missq q;
	struct xf_miss m, out[XF_MISSQ_DEPTH];
	unsigned int i;

	(void)state;
	xf_missq_init(&q, 0, 100, 0);
	assert_int_equal(xf_missq_scan_stamp(&q), 0);
	m = miss(5, 1000);
	m.stamp = 40;
	assert_int_equal(xf_missq_push(&q, &m, 1), 0);
	m = miss(6, 1000);
	m.stamp = 35;		/* an older hold's event, arriving later */
	assert_int_equal(xf_missq_push(&q, &m, 1), 0);
	assert_int_equal(xf_missq_scan_stamp(&q), 40);
	m = miss(5, 1000);
	m.stamp = 41;		/* coalesced with the queued one */
	assert_int_equal(xf_missq_push(&q, &m, 1), 1);
	assert_int_equal(xf_missq_scan_stamp(&q), 41);
	for (i = 1; i < XF_MISSQ_DEPTH; i++) {
		m = miss(5, (uint16_t)(1000 + i));
		m.stamp = 41 + i;
		assert_int_equal(xf_missq_push(&q, &m, 1), 0);
	}
	m = miss(5, 3000);
	m.stamp = 500;		/* refused: the queue is full */
	assert_int_equal(xf_missq_push(&q, &m, 1), -ENOSPC);
	assert_int_equal(xf_missq_scan_stamp(&q), 500);
	xf_missq_saw(&q, 7);	/* an unserved domain's, older */
	assert_int_equal(xf_missq_scan_stamp(&q), 500);
	xf_missq_saw(&q, 501);
	assert_int_equal(xf_missq_scan_stamp(&q), 501);
	assert_true(xf_missq_take(&q, 2, out, XF_MISSQ_DEPTH) > 0);
	assert_int_equal(xf_missq_scan_stamp(&q), 501);
	xf_missq_free(&q);
}

/*
 * A storming domain in the period that is current at now: a new miss
 * before each turn, turns while its budget (changing with the answers)
 * allows; the miss it could not serve stays queued, as a storm's do.
 * Returns the turns taken.
 */
static unsigned int spend(struct xf_missq *q, uint32_t domid, double now,
			  uint16_t *port, size_t found)
{
	struct xf_miss m, out[XF_MISSQ_DEPTH];
	unsigned int turns = 0;

	/* turns XF_MISSQ_SETTLE_MS apart, as a storming domain's must be */
	for (;; now += XF_MISSQ_SETTLE_MS) {
		m = miss(domid, (*port)++);
		assert_int_equal(xf_missq_push(q, &m, now), 0);
		if (!xf_missq_take(q, now, out, XF_MISSQ_DEPTH))
			return turns;
		xf_missq_found(q, domid, found);
		assert_true(++turns <= XF_MISSQ_TURNS);
	}
}

static struct xf_missq_dom *dom_of(struct xf_missq *q, uint32_t domid)
{
	unsigned int i;

	for (i = 0; i < XF_MISSQ_DOMS; i++)
		if (q->dom[i] && q->dom[i]->domid == domid)
			return q->dom[i];
	return NULL;
}

/*
 * Turns that find no owner halve the domain's budget down to its floor,
 * then make it wait periods between turns; a turn that finds an owner
 * gives the whole budget back at once; periods with nothing queued take
 * the back-off back one step each, and only then is the domain forgotten.
 * Another domain's budget never moves.
 */
static void test_fruitless_backoff(void **state)
{
	unsigned int floor = XF_MISSQ_TURNS >> XF_MISSQ_BACKOFF;
	unsigned int every = 1U << XF_MISSQ_SKIP, p, n, served = 0, last = 0;
	struct xf_miss m, out[XF_MISSQ_DEPTH];
	struct xf_missq q;
	uint16_t port = 1;
	double t = 0;

	(void)state;
	assert_true(floor >= 1);
	xf_missq_init(&q, XF_MISSQ_TURNS, 100, 0);
	/* the first period's turns find nothing: the budget falls as they do */
	assert_int_equal(spend(&q, 5, t, &port, 0), 3);
	assert_int_equal(q.st.fruitless, 3);
	assert_int_equal(xf_missq_budget(&q, 5), 0);
	assert_true(xf_missq_wait_ms(&q, t) > 0);
	/* past the floor, periods are skipped */
	for (p = 0; dom_of(&q, 5)->fruitless < XF_MISSQ_BACKOFF + XF_MISSQ_SKIP; p++) {
		assert_true(p < 4 * every);
		spend(&q, 5, t += 100, &port, 0);
	}
	/* then the floor only every `every` periods while the storm goes on */
	for (p = 1; p <= 4 * every; p++) {
		n = spend(&q, 5, t += 100, &port, 0);
		if (!n)
			continue;
		assert_int_equal(n, floor);
		assert_true(!last || p - last == every);
		last = p;
		served++;
	}
	assert_int_equal(served, 4);
	/* another domain keeps its whole budget meanwhile */
	assert_int_equal(spend(&q, 6, t, &port, 1), XF_MISSQ_TURNS);
	/* one owner found: the whole budget again at once, in the same period */
	while (!xf_missq_budget(&q, 5))
		xf_missq_wait_ms(&q, t += 100);
	do {	/* domain 6's last miss goes first */
		assert_true(xf_missq_take(&q, t, out, XF_MISSQ_DEPTH) >= 1);
		xf_missq_found(&q, out[0].domid, 1);
		t += XF_MISSQ_SETTLE_MS;
	} while (out[0].domid != 5);
	assert_int_equal(xf_missq_budget(&q, 5), XF_MISSQ_TURNS - 1);
	/* back down, then quiet periods give the back-off back one step each */
	for (p = 0; dom_of(&q, 5)->fruitless < XF_MISSQ_BACKOFF + XF_MISSQ_SKIP; p++) {
		assert_true(p < 4 * every);
		spend(&q, 5, t += 100, &port, 0);
	}
	while (xf_missq_pending(&q)) {
		if (xf_missq_take(&q, t += 100, out, XF_MISSQ_DEPTH))
			xf_missq_found(&q, out[0].domid, 0);
	}
	for (p = 0; p < XF_MISSQ_BACKOFF + XF_MISSQ_SKIP; p++) {
		assert_non_null(dom_of(&q, 5));
		assert_int_equal(xf_missq_wait_ms(&q, t += 100), -1);
	}
	for (p = 0; p < XF_MISSQ_DOMS; p++)
		assert_null(q.dom[p]);
	assert_int_equal(xf_missq_budget(&q, 5), XF_MISSQ_TURNS);
	xf_missq_free(&q);
	/* no limit: nothing to halve */
	xf_missq_init(&q, 0, 100, 0);
	m = miss(5, 1);
	assert_int_equal(xf_missq_push(&q, &m, 0), 0);
	assert_int_equal(xf_missq_take(&q, 0, out, XF_MISSQ_DEPTH), 1);
	xf_missq_found(&q, 5, 0);
	assert_int_equal(xf_missq_budget(&q, 5), UINT_MAX);
	xf_missq_free(&q);
}

/*
 * A domain whose turns find nobody is served after any other domain with a
 * miss queued, wherever the round robin stands, and never within
 * XF_MISSQ_SETTLE_MS of the turn before.
 */
static void test_fruitless_served_last(void **state)
{
	struct xf_miss m, out[XF_MISSQ_DEPTH];
	struct xf_missq q;

	(void)state;
	xf_missq_init(&q, XF_MISSQ_TURNS, 100, 0);
	m = miss(5, 1);
	assert_int_equal(xf_missq_push(&q, &m, 0), 0);
	assert_int_equal(xf_missq_take(&q, 0, out, XF_MISSQ_DEPTH), 1);
	xf_missq_found(&q, 5, 0);
	/* domain 6 arrives after domain 5's next miss, in the next slot */
	m = miss(5, 2);
	assert_int_equal(xf_missq_push(&q, &m, 1), 0);
	m = miss(6, 1);
	assert_int_equal(xf_missq_push(&q, &m, 1), 0);
	q.next = 0;	/* the round robin points at domain 5 */
	assert_int_equal(xf_missq_take(&q, 1, out, XF_MISSQ_DEPTH), 1);
	assert_int_equal(out[0].domid, 6);
	xf_missq_found(&q, 6, 1);
	/*
	 * With nothing else queued, domain 5 is served, but not right behind
	 * domain 6's turn: the packets its answer released go first.
	 */
	assert_int_equal(xf_missq_take(&q, 1, out, XF_MISSQ_DEPTH), 0);
	assert_true(xf_missq_wait_ms(&q, 1) == XF_MISSQ_SETTLE_MS);
	assert_int_equal(xf_missq_take(&q, 1 + XF_MISSQ_SETTLE_MS / 2, out, XF_MISSQ_DEPTH), 0);
	assert_true(xf_missq_wait_ms(&q, 1 + XF_MISSQ_SETTLE_MS / 2) == XF_MISSQ_SETTLE_MS / 2);
	assert_int_equal(xf_missq_take(&q, 1 + XF_MISSQ_SETTLE_MS, out, XF_MISSQ_DEPTH), 1);
	assert_int_equal(out[0].domid, 5);
	/* nor right behind its own last turn */
	xf_missq_found(&q, 5, 0);
	m = miss(5, 4);
	assert_int_equal(xf_missq_push(&q, &m, 1 + XF_MISSQ_SETTLE_MS), 0);
	assert_int_equal(xf_missq_take(&q, 1 + XF_MISSQ_SETTLE_MS, out, XF_MISSQ_DEPTH), 0);
	assert_int_equal(xf_missq_take(&q, 1 + 2 * XF_MISSQ_SETTLE_MS, out, XF_MISSQ_DEPTH), 1);
	assert_int_equal(out[0].domid, 5);
	/* an owner found: first class again, round robin with domain 6 */
	xf_missq_found(&q, 5, 1);
	m = miss(5, 3);
	assert_int_equal(xf_missq_push(&q, &m, 6), 0);
	m = miss(6, 2);
	assert_int_equal(xf_missq_push(&q, &m, 6), 0);
	q.next = 0;
	assert_int_equal(xf_missq_take(&q, 6, out, XF_MISSQ_DEPTH), 1);
	assert_int_equal(out[0].domid, 5);
	xf_missq_free(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_coalesce_and_batch),
		cmocka_unit_test(test_storm_waits_one_turn),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_budget_not_reset_by_draining),
		cmocka_unit_test(test_full_and_expired),
		cmocka_unit_test(test_many_domains),
		cmocka_unit_test(test_scan_stamp),
		cmocka_unit_test(test_fruitless_backoff),
		cmocka_unit_test(test_fruitless_served_last),
	};

	return cmocka_run_group_tests_name("missq", tests, NULL, NULL);
}
