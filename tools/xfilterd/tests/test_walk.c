// SPDX-License-Identifier: GPL-2.0
/* Unit tests: the task/socket walk and each of its validation rules. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "scan.h"
#include "synth.h"

struct w {
	struct synth *s;
	uint8_t *core;
	struct xf_mem *mem;
	struct xf_guest g;
	struct xf_table t;
	int ret;
};

static void attach(struct w *w, int cpl)
{
	size_t len;
	char err[256];

	w->core = synth_core(w->s, &len, cpl);
	assert_int_equal(xf_mem_core_open_buf(w->core, len, &w->mem, err, sizeof(err)), 0);
	if (xf_guest_attach(&w->g, w->mem, err, sizeof(err)))
		fail_msg("attach: %s", err);
}

static void walk(struct w *w)
{
	w->ret = xf_guest_walk(&w->g, &w->t);
}

static void done(struct w *w)
{
	xf_table_free(&w->t);
	xf_guest_detach(&w->g);
	xf_mem_close(w->mem);
	free(w->core);
	synth_free(w->s);
}

static const struct xf_task_info *task(struct w *w, int pid)
{
	size_t i;

	for (i = 0; i < w->t.nr_tasks; i++)
		if (w->t.tasks[i].pid == pid)
			return &w->t.tasks[i];
	return NULL;
}

/* init_task, a kthread, and two processes with sockets */
static void basic_guest(struct w *w, int levels, bool hot, bool bitfield)
{
	uint64_t t, fds;

	memset(w, 0, sizeof(*w));
	w->s = synth_new(levels, hot, bitfield);
	synth_task(w->s, 2, 2, 0, 0, "kthreadd", true);
	t = synth_task(w->s, 100, 100, 1000, 1005, "websrv", false);
	fds = synth_fdtable(w->s, t, 64);
	synth_socket(w->s, fds, 3, AF_INET, 6, "0.0.0.0", 8080, "0.0.0.0", 0, 10);
	synth_socket(w->s, fds, 5, AF_INET6, 17, "::1", 5353, "::", 0, 7);
	t = synth_task(w->s, 200, 200, 1001, 1001, "client", false);
	fds = synth_fdtable(w->s, t, 128);
	synth_socket(w->s, fds, 100, AF_INET, 6, "127.0.0.1", 40000, "127.0.0.1", 8080, 1);
}

static void check_basic(int levels, bool hot, bool bitfield, int cpl)
{
	struct w w;
	const struct xf_sock_info *s;
	char a[64];

	basic_guest(&w, levels, hot, bitfield);
	attach(&w, cpl);
	walk(&w);
	assert_int_equal(w.ret, 0);
	assert_int_equal(w.t.nr_tasks, 4);
	assert_non_null(task(&w, 0));
	assert_true(task(&w, 2)->kthread);
	assert_int_equal(task(&w, 100)->uid, 1000);
	assert_int_equal(task(&w, 100)->gid, 1005);
	assert_string_equal(task(&w, 200)->comm, "client");
	assert_int_equal(w.t.nr_socks, 3);
	xf_table_sort(&w.t);
	s = &w.t.socks[0];
	assert_int_equal(s->pid, 100);
	assert_int_equal(s->fd, 3);
	assert_int_equal(s->proto, 6);
	assert_int_equal(s->lport, 8080);
	assert_int_equal(s->state, 10);
	s = &w.t.socks[1];
	assert_int_equal(s->family, AF_INET6);
	assert_int_equal(s->proto, 17);
	xf_addr_str(s->family, s->laddr, a, sizeof(a));
	assert_string_equal(a, "::1");
	s = &w.t.socks[2];
	assert_int_equal(s->pid, 200);
	assert_int_equal(s->fd, 100);
	assert_int_equal(s->rport, 8080);
	assert_int_equal(s->uid, 1001);
	xf_addr_str(s->family, s->raddr, a, sizeof(a));
	assert_string_equal(a, "127.0.0.1");
	assert_string_equal(w.g.prof.release, "6.1.0-synth");
	/* the socket f_op was learned on the way */
	assert_int_equal(w.g.walker.socket_fops, w.s->sock_fops);
	done(&w);
}

static void test_basic_4level(void **state) { check_basic(4, false, false, 0); }
static void test_basic_5level_hot(void **state) { check_basic(5, true, false, 0); }
static void test_basic_bitfield(void **state) { check_basic(4, false, true, 0); }
/* a vCPU caught in user mode: shadow GS and the PTI user CR3 */
static void test_user_mode_vcpu(void **state) { check_basic(4, false, false, 3); }

static void test_cycle(void **state)
{
	struct w w;
	uint64_t a, b;

	basic_guest(&w, 4, false, false);
	a = synth_task(w.s, 300, 300, 0, 0, "a", false);
	b = synth_task(w.s, 301, 301, 0, 0, "b", false);
	/* b -> a: a loop that never comes back to the head */
	synth_w64(w.s, b + T_TASKS, a + T_TASKS);
	synth_w64(w.s, a + T_TASKS + 8, b + T_TASKS);
	attach(&w, 0);
	walk(&w);
	assert_int_equal(w.ret, -EAGAIN);
	assert_true(w.t.st.incomplete);
	assert_int_equal(w.t.st.restarts, w.g.walker.lim.max_restarts + 1);
	done(&w);
}

static void test_prev_mismatch(void **state)
{
	struct w w;
	uint64_t a;

	basic_guest(&w, 4, false, false);
	a = synth_task(w.s, 300, 300, 0, 0, "a", false);
	synth_w64(w.s, a + T_TASKS + 8, 0xffff888000123000ULL);	/* next->prev != cur */
	attach(&w, 0);
	walk(&w);
	assert_int_equal(w.ret, -EAGAIN);
	assert_true(w.t.st.restarts > 0);
	done(&w);
}

static void test_absurd_max_fds(void **state)
{
	struct w w;
	uint64_t t, fdt;

	basic_guest(&w, 4, false, false);
	t = synth_task(w.s, 300, 300, 0, 0, "liar", false);
	synth_fdtable(w.s, t, 4);
	fdt = synth_r64(w.s, synth_r64(w.s, t + T_FILES) + FS_FDT);
	synth_w32(w.s, fdt + FDT_MAX, 0x80000000U);
	attach(&w, 0);
	walk(&w);
	assert_int_equal(w.ret, 0);
	assert_int_equal(w.t.st.refused_fdt, 1);
	assert_int_equal(w.t.nr_socks, 3);	/* the others are unaffected */
	assert_non_null(task(&w, 300));
	done(&w);
}

static void test_null_sk(void **state)
{
	struct w w;
	uint64_t t, fds, f, sock;

	basic_guest(&w, 4, false, false);
	t = synth_task(w.s, 300, 300, 0, 0, "closing", false);
	fds = synth_fdtable(w.s, t, 8);
	synth_socket(w.s, fds, 1, AF_INET, 6, "1.2.3.4", 1, "5.6.7.8", 2, 1);
	f = synth_r64(w.s, fds + 8);
	sock = synth_r64(w.s, f + F_PRIV);
	synth_w64(w.s, sock + SO_SK, 0);
	attach(&w, 0);
	walk(&w);
	assert_int_equal(w.ret, 0);
	assert_int_equal(w.t.st.null_sk, 1);
	assert_int_equal(w.t.nr_socks, 3);
	done(&w);
}

static void test_exiting_task(void **state)
{
	struct w w;
	uint64_t t, fds;

	basic_guest(&w, 4, false, false);
	t = synth_task(w.s, 300, 300, 0, 0, "dying", false);
	fds = synth_fdtable(w.s, t, 8);
	synth_socket(w.s, fds, 1, AF_INET, 6, "1.2.3.4", 1, "5.6.7.8", 2, 1);
	synth_w32(w.s, t + T_FLAGS, 0x4);	/* PF_EXITING */
	attach(&w, 0);
	walk(&w);
	assert_int_equal(w.ret, 0);
	assert_int_equal(w.t.st.exiting, 1);
	assert_true(task(&w, 300)->exiting);
	assert_int_equal(w.t.nr_socks, 3);
	done(&w);
}

static void test_user_pointers(void **state)
{
	struct w w;
	uint64_t t, fds, cred;

	basic_guest(&w, 4, false, false);
	t = synth_task(w.s, 300, 300, 0, 0, "forged", false);
	fds = synth_fdtable(w.s, t, 8);
	synth_w64(w.s, fds + 8, 0x00007fffdeadbee0ULL);	/* file in user space */
	synth_w64(w.s, fds + 16, 0xffff888000000003ULL);	/* misaligned */
	synth_w64(w.s, fds + 24, 0x8000000000000000ULL);	/* non-canonical */
	t = synth_task(w.s, 301, 301, 0, 0, "forged2", false);
	cred = 0x0000555500000000ULL;
	synth_w64(w.s, t + T_REAL_CRED, cred);		/* creds in user space */
	attach(&w, 0);
	walk(&w);
	assert_int_equal(w.ret, 0);
	assert_int_equal(w.t.st.bad_ptr, 3);
	assert_int_equal(w.t.st.skipped_tasks, 1);
	assert_null(task(&w, 301));
	assert_int_equal(w.t.nr_socks, 3);
	done(&w);
}

static void test_not_a_socket(void **state)
{
	/* a file whose private_data does not point back is no socket */
	struct w w;
	uint64_t t, fds, f, sock;

	basic_guest(&w, 4, false, false);
	t = synth_task(w.s, 50, 50, 0, 0, "early", false);
	fds = synth_fdtable(w.s, t, 8);
	synth_socket(w.s, fds, 1, AF_INET, 6, "1.2.3.4", 1, "5.6.7.8", 2, 1);
	f = synth_r64(w.s, fds + 8);
	sock = synth_r64(w.s, f + F_PRIV);
	synth_w64(w.s, sock + SO_FILE, f + 64);
	attach(&w, 0);
	walk(&w);
	assert_int_equal(w.ret, 0);
	assert_int_equal(w.t.nr_socks, 3);
	done(&w);
}

static void test_task_bound(void **state)
{
	struct w w;
	int i;

	basic_guest(&w, 4, false, false);
	for (i = 0; i < 50; i++)
		synth_task(w.s, 1000 + i, 1000 + i, 0, 0, "many", false);
	attach(&w, 0);
	w.g.walker.lim.max_tasks = 20;
	walk(&w);
	assert_int_equal(w.ret, -EAGAIN);
	assert_true(w.t.st.incomplete);
	assert_true(w.t.nr_tasks <= 20);
	done(&w);
}

static void test_read_budget(void **state)
{
	struct w w;

	basic_guest(&w, 4, false, false);
	attach(&w, 0);
	w.g.walker.lim.max_reads = 10;
	walk(&w);
	assert_int_equal(w.ret, -EAGAIN);
	assert_true(w.t.st.incomplete);
	done(&w);
}

/*
 * --pause-during-walk: a backend that records its pause calls and counts the
 * reads made while the guest is stopped, wrapped around the core backend.
 */
static const struct xf_mem_ops *inner_ops;
static int pause_state, pause_calls, fail_resume;
static unsigned long reads_paused, reads_running;

static int rec_read(struct xf_mem *m, uint64_t pa, void *buf, size_t len)
{
	if (pause_state)
		reads_paused++;
	else
		reads_running++;
	return inner_ops->read(m, pa, buf, len);
}

static int rec_pause(struct xf_mem *m, bool stop)
{
	(void)m;
	pause_calls++;
	if (!stop && fail_resume) {
		fail_resume--;
		return -EBUSY;
	}
	assert_int_equal(pause_state, stop ? 0 : 1);	/* never twice the same way */
	pause_state = stop;
	return 0;
}

static void rec_wrap(struct w *w, struct xf_mem_ops *ops, bool can_pause)
{
	inner_ops = w->mem->ops;
	*ops = *inner_ops;
	ops->read = rec_read;
	ops->page = NULL;	/* every read through rec_read */
	ops->pause = can_pause ? rec_pause : NULL;
	w->mem->ops = ops;
	pause_state = pause_calls = fail_resume = 0;
	reads_paused = reads_running = 0;
}

static void test_walk_paused(void **state)
{
	struct xf_mem_ops ops;
	struct w w;
	bool paused;

	(void)state;
	basic_guest(&w, 4, false, false);
	attach(&w, 0);
	rec_wrap(&w, &ops, true);
	w.ret = xf_guest_walk_paused(&w.g, &w.t, &paused);
	assert_int_equal(w.ret, 0);
	assert_true(paused);
	assert_int_equal(pause_calls, 2);	/* stopped once, resumed once */
	assert_int_equal(pause_state, 0);
	assert_true(reads_paused > 0);
	assert_int_equal(reads_running, 0);	/* the whole walk ran stopped */
	assert_non_null(task(&w, 100));
	assert_int_equal(w.t.nr_socks, 3);
	/* a failed resume is retried; two are reported */
	xf_table_free(&w.t);
	fail_resume = 1;
	w.ret = xf_guest_walk_paused(&w.g, &w.t, &paused);
	assert_int_equal(w.ret, 0);
	assert_int_equal(pause_state, 0);
	xf_table_free(&w.t);
	fail_resume = 2;
	w.ret = xf_guest_walk_paused(&w.g, &w.t, &paused);
	assert_int_equal(w.ret, -EIO);
	w.mem->ops = inner_ops;
	done(&w);
}

/* a backend that cannot stop the guest: the walk runs live, and says so */
static void test_walk_paused_unsupported(void **state)
{
	struct xf_mem_ops ops;
	struct w w;
	bool paused = true;

	(void)state;
	basic_guest(&w, 4, false, false);
	attach(&w, 0);
	rec_wrap(&w, &ops, false);
	w.ret = xf_guest_walk_paused(&w.g, &w.t, &paused);
	assert_int_equal(w.ret, 0);
	assert_false(paused);
	assert_int_equal(reads_paused, 0);
	assert_true(reads_running > 0);
	assert_int_equal(w.t.nr_socks, 3);
	w.mem->ops = inner_ops;
	done(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic_4level),
		cmocka_unit_test(test_basic_5level_hot),
		cmocka_unit_test(test_basic_bitfield),
		cmocka_unit_test(test_user_mode_vcpu),
		cmocka_unit_test(test_cycle),
		cmocka_unit_test(test_prev_mismatch),
		cmocka_unit_test(test_absurd_max_fds),
		cmocka_unit_test(test_null_sk),
		cmocka_unit_test(test_exiting_task),
		cmocka_unit_test(test_user_pointers),
		cmocka_unit_test(test_not_a_socket),
		cmocka_unit_test(test_task_bound),
		cmocka_unit_test(test_read_budget),
		cmocka_unit_test(test_walk_paused),
		cmocka_unit_test(test_walk_paused_unsupported),
	};

	return cmocka_run_group_tests_name("xfilterd_walk", tests, NULL, NULL);
}
