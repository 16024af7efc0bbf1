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

/* called before each read: lets a test change the guest under the walk */
static void (*on_read)(struct xf_mem *m, uint64_t pa);

static int rec_read(struct xf_mem *m, uint64_t pa, void *buf, size_t len)
{
	if (on_read)
		on_read(m, pa);
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

/*
 * Tasks that exit while the walk runs: list_del_rcu() as the guest does it,
 * done when the walk reads the departing task's pid, so the walk stands on
 * a task that is no longer on the list.
 */
#define LIST_POISON2	0xdead000000000122ULL

static struct w *churn_w;
static uint64_t churn_trigger_pa, churn_leave[2], churn_reuse;

static void churn_put64(struct xf_mem *m, uint64_t va, uint64_t v)
{
	uint64_t pa;

	assert_int_equal(xf_v2p(churn_w->g.vm, va, &pa), 0);
	memcpy((uint8_t *)inner_ops->page(m, pa >> 12) + (pa & 0xfff), &v, 8);
}

static uint64_t churn_get64(struct xf_mem *m, uint64_t va)
{
	uint64_t pa, v;

	assert_int_equal(xf_v2p(churn_w->g.vm, va, &pa), 0);
	memcpy(&v, (const uint8_t *)inner_ops->page(m, pa >> 12) + (pa & 0xfff), 8);
	return v;
}

static void churn_unlink(struct xf_mem *m, uint64_t task)
{
	uint64_t n = task + T_TASKS, next = churn_get64(m, n), prev = churn_get64(m, n + 8);

	churn_put64(m, prev, next);
	churn_put64(m, next + 8, prev);
	churn_put64(m, n + 8, LIST_POISON2);
}

static void churn_on_read(struct xf_mem *m, uint64_t pa)
{
	uint64_t head = churn_w->s->init_task + T_TASKS, n, tail;
	size_t i;

	if (pa != churn_trigger_pa)
		return;
	churn_trigger_pa = 0;
	on_read = NULL;
	for (i = 0; i < 2; i++)
		if (churn_leave[i])
			churn_unlink(m, churn_leave[i]);
	if (!churn_reuse)
		return;
	/* its memory becomes a new task, added at the tail */
	n = churn_reuse + T_TASKS;
	tail = churn_get64(m, head + 8);
	churn_put64(m, churn_reuse + T_PID, 999);
	churn_put64(m, churn_reuse + T_START, 42);
	churn_put64(m, n, head);
	churn_put64(m, n + 8, tail);
	churn_put64(m, tail, n);
	churn_put64(m, head + 8, n);
}

static void churn_walk(struct w *w, uint64_t trigger_task, uint64_t leave0, uint64_t leave1,
		       uint64_t reuse, struct xf_mem_ops *ops)
{
	attach(w, 0);
	rec_wrap(w, ops, false);
	churn_w = w;
	assert_int_equal(xf_v2p(w->g.vm, trigger_task + T_PID, &churn_trigger_pa), 0);
	churn_leave[0] = leave0;
	churn_leave[1] = leave1;
	churn_reuse = reuse;
	on_read = churn_on_read;
	walk(w);
	on_read = NULL;
	w->mem->ops = inner_ops;
	assert_int_equal(churn_trigger_pa, 0);	/* the change happened */
}

/* the task the walk stands on exits: step back to its predecessor, go on */
static void test_task_leaves_mid_walk(void **state)
{
	struct xf_mem_ops ops;
	struct w w;
	uint64_t a;

	(void)state;
	basic_guest(&w, 4, false, false);
	a = synth_task(w.s, 300, 300, 0, 0, "leaver", false);
	synth_task(w.s, 301, 301, 0, 0, "b", false);
	synth_task(w.s, 302, 302, 1002, 1002, "c", false);
	churn_walk(&w, a, a, 0, 0, &ops);
	assert_int_equal(w.ret, 0);
	assert_false(w.t.st.incomplete);
	assert_int_equal(w.t.st.restarts, 0);
	assert_int_equal(w.t.st.resumes, 1);
	assert_non_null(task(&w, 200));
	assert_non_null(task(&w, 301));
	assert_non_null(task(&w, 302));
	assert_int_equal(w.t.nr_socks, 3);
	done(&w);
}

/*
 * The task before it exits too and its memory is reused at once by a new
 * task at the tail: the step back must not trust that address (it would
 * land at the tail and miss b and c), but go back to the one before.
 */
static void test_resume_skips_reused_task(void **state)
{
	struct xf_mem_ops ops;
	struct w w;
	uint64_t a, before;

	(void)state;
	basic_guest(&w, 4, false, false);
	before = synth_task(w.s, 299, 299, 0, 0, "before", false);
	a = synth_task(w.s, 300, 300, 0, 0, "leaver", false);
	synth_task(w.s, 301, 301, 0, 0, "b", false);
	synth_task(w.s, 302, 302, 1002, 1002, "c", false);
	churn_walk(&w, a, a, before, before, &ops);
	assert_int_equal(w.ret, 0);
	assert_int_equal(w.t.st.restarts, 0);
	assert_int_equal(w.t.st.resumes, 1);
	assert_non_null(task(&w, 200));
	assert_non_null(task(&w, 301));
	assert_non_null(task(&w, 302));
	assert_int_equal(w.t.nr_socks, 3);
	done(&w);
}

/* a link broken for good is not stepped round forever: bounded, then restarts */
static void test_resume_bounded(void **state)
{
	struct w w;
	uint64_t a;

	(void)state;
	basic_guest(&w, 4, false, false);
	a = synth_task(w.s, 300, 300, 0, 0, "a", false);
	synth_task(w.s, 301, 301, 0, 0, "b", false);
	/* a's successor does not point back: every pass resumes, then gives up */
	synth_w64(w.s, synth_r64(w.s, a + T_TASKS) + 8, 0xffff888000123000ULL);
	attach(&w, 0);
	walk(&w);
	assert_int_equal(w.ret, -EAGAIN);
	assert_true(w.t.st.incomplete);
	assert_int_equal(w.t.st.restarts, w.g.walker.lim.max_restarts + 1);
	/* each pass steps back, finds no way forward, and gives up */
	assert_true(w.t.st.resumes >= w.g.walker.lim.max_restarts + 1);
	assert_true(w.t.st.resumes <=
		    (w.g.walker.lim.max_restarts + 1) * w.g.walker.lim.max_resumes);
	assert_true(w.t.st.reads < 200000);
	done(&w);
}

/*
 * The process whose CR3 the vCPU had exits after we attached and its page
 * directory is reused for anything: the kernel half pinned at attach keeps
 * every kernel address translating, and the dead table is not taken back.
 */
static void test_vcpu_page_tables_freed(void **state)
{
	struct w w;
	uint64_t pgd_pa;

	(void)state;
	basic_guest(&w, 4, false, false);
	attach(&w, 0);
	assert_true(w.g.vm->top_pinned);
	pgd_pa = w.s->cr3 & 0x000ffffffffff000ULL;
	memset((uint8_t *)w.mem->ops->page(w.mem, pgd_pa >> 12), 0xa5, 4096);
	walk(&w);
	assert_int_equal(w.ret, 0);
	assert_non_null(task(&w, 200));
	assert_int_equal(w.t.nr_socks, 3);
	done(&w);
}

/* the vCPU now runs on other page tables: the walk takes their kernel half */
static uint64_t repin_cr3;

static int repin_vcpu(struct xf_mem *m, unsigned int idx, struct xf_vcpu *out)
{
	int ret = inner_ops->vcpu(m, idx, out);

	if (!ret)
		out->cr3 = repin_cr3;
	return ret;
}

#define NEW_VA	0xffffc90000000000ULL	/* top-level slot 402: empty at attach */

/* a page directory with the kernel half of the first, plus slot 402 when asked */
static uint64_t second_pgd(struct synth *s, bool add_slot, bool other_text)
{
	uint64_t base = synth_pa(s, synth_alloc(s, 4 * 4096)), pgd, l3, l2;

	pgd = (base + 4095) & ~4095ULL;
	l3 = pgd + 4096;
	l2 = pgd + 8192;
	memcpy(s->mem + pgd + 2048, s->mem + (s->cr3 & 0x000ffffffffff000ULL) + 2048, 2048);
	if (add_slot) {
		*(uint64_t *)(s->mem + pgd + 402 * 8) = l3 | 0x63;
		*(uint64_t *)(s->mem + l3) = l2 | 0x63;
		*(uint64_t *)(s->mem + l2) = SYN_OBJ_PA | 0xe3;	/* a 2 MiB page */
	}
	if (other_text)	/* another kernel image: slot 511 elsewhere */
		*(uint64_t *)(s->mem + pgd + 511 * 8) = l3 | 0x63;
	return pgd;
}

static void check_repin(bool other_text)
{
	struct xf_mem_ops ops;
	struct w w;
	uint64_t pgd, want, got;

	basic_guest(&w, 4, false, false);
	pgd = second_pgd(w.s, true, other_text);
	attach(&w, 0);
	rec_wrap(&w, &ops, false);
	ops.vcpu = repin_vcpu;
	repin_cr3 = pgd | 0x3;	/* a PCID in the low bits */
	assert_int_not_equal(xf_vread(w.g.vm, NEW_VA, &got, 8), 0);
	walk(&w);
	assert_int_equal(w.ret, 0);
	assert_int_equal(w.t.nr_socks, 3);
	if (other_text) {
		/* not the same kernel: the pinned copy stays */
		assert_int_equal(w.g.vm->root, w.s->cr3 & 0x000ffffffffff000ULL);
		assert_int_not_equal(xf_vread(w.g.vm, NEW_VA, &got, 8), 0);
	} else {
		assert_int_equal(w.g.vm->root, pgd);
		assert_int_equal(xf_vread(w.g.vm, NEW_VA, &got, 8), 0);
		assert_int_equal(xf_vread(w.g.vm, SYN_DMAP + SYN_OBJ_PA, &want, 8), 0);
		assert_true(got == want);
	}
	w.mem->ops = inner_ops;
	done(&w);
}

/*
 * Attaching to a running guest whose vCPU switched processes while we read:
 * the CR3 first seen names a page that no longer holds page tables. The
 * attach tries again with the registers the vCPU has now.
 */
static unsigned int stale_calls;

static int stale_then_fresh_vcpu(struct xf_mem *m, unsigned int idx, struct xf_vcpu *out)
{
	int ret = inner_ops->vcpu(m, idx, out);

	if (!ret && stale_calls++ == 0)
		out->cr3 = repin_cr3;
	return ret;
}

static void test_attach_retries_changed_regs(void **state)
{
	struct xf_mem_ops ops;
	struct w w;
	size_t len;
	char err[256];
	uint64_t junk;

	(void)state;
	basic_guest(&w, 4, false, false);
	junk = (synth_pa(w.s, synth_alloc(w.s, 3 * 4096)) + 4095) & ~4095ULL;
	memset(w.s->mem + junk, 0xa5, 8192);
	w.core = synth_core(w.s, &len, 0);
	assert_int_equal(xf_mem_core_open_buf(w.core, len, &w.mem, err, sizeof(err)), 0);
	inner_ops = w.mem->ops;
	ops = *inner_ops;
	ops.vcpu = stale_then_fresh_vcpu;
	w.mem->ops = &ops;
	repin_cr3 = junk;
	stale_calls = 0;
	assert_int_equal(xf_guest_attach(&w.g, w.mem, err, sizeof(err)), 0);
	assert_true(stale_calls >= 2);
	walk(&w);
	assert_int_equal(w.ret, 0);
	assert_int_equal(w.t.nr_socks, 3);
	/* registers that do not change are not tried again and again */
	xf_table_free(&w.t);
	xf_guest_detach(&w.g);
	ops.vcpu = repin_vcpu;
	stale_calls = 0;
	assert_int_not_equal(xf_guest_attach(&w.g, w.mem, err, sizeof(err)), 0);
	w.mem->ops = inner_ops;
	done(&w);
}

/*
 * The registers cost a call into Xen: a walk reads them only when the walk
 * before met a kernel address the pinned copy does not map.
 */
static unsigned int vcpu_calls;

static int counting_vcpu(struct xf_mem *m, unsigned int idx, struct xf_vcpu *out)
{
	vcpu_calls++;
	return repin_vcpu(m, idx, out);
}

static void test_repin_only_after_top_miss(void **state)
{
	struct xf_mem_ops ops;
	struct w w;
	uint64_t pgd, old_root, got;
	int i;

	(void)state;
	basic_guest(&w, 4, false, false);
	pgd = second_pgd(w.s, true, false);
	attach(&w, 0);
	rec_wrap(&w, &ops, false);
	ops.vcpu = counting_vcpu;
	repin_cr3 = pgd;
	vcpu_calls = 0;
	old_root = w.g.vm->root;
	for (i = 0; i < 3; i++) {
		walk(&w);
		assert_int_equal(w.ret, 0);
		assert_int_equal(w.t.nr_socks, 3);
	}
	assert_int_equal(vcpu_calls, 0);
	assert_true(w.g.vm->root == old_root);
	/* a user address is not the kernel's business: no miss */
	assert_int_not_equal(xf_vread(w.g.vm, 0x7f0000000000ULL, &got, 8), 0);
	walk(&w);
	assert_int_equal(vcpu_calls, 0);
	/* a kernel address in a slot the copy lacks: the next walk repins */
	assert_int_not_equal(xf_vread(w.g.vm, NEW_VA, &got, 8), 0);
	walk(&w);
	assert_int_equal(w.ret, 0);
	assert_int_equal(vcpu_calls, 1);
	assert_true(w.g.vm->root == pgd);
	assert_int_equal(xf_vread(w.g.vm, NEW_VA, &got, 8), 0);
	walk(&w);
	walk(&w);
	assert_int_equal(w.ret, 0);
	assert_int_equal(w.t.nr_socks, 3);
	assert_int_equal(vcpu_calls, 1);
	w.mem->ops = inner_ops;
	done(&w);
}

static void test_repin_new_top_entry(void **state) { (void)state; check_repin(false); }
static void test_repin_other_kernel(void **state) { (void)state; check_repin(true); }

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
		cmocka_unit_test(test_task_leaves_mid_walk),
		cmocka_unit_test(test_resume_skips_reused_task),
		cmocka_unit_test(test_resume_bounded),
		cmocka_unit_test(test_vcpu_page_tables_freed),
		cmocka_unit_test(test_attach_retries_changed_regs),
		cmocka_unit_test(test_repin_new_top_entry),
		cmocka_unit_test(test_repin_other_kernel),
		cmocka_unit_test(test_repin_only_after_top_miss),
	};

	return cmocka_run_group_tests_name("xfilterd_walk", tests, NULL, NULL);
}
