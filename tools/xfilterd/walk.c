// SPDX-License-Identifier: GPL-2.0
/*
 * Walks task_struct.tasks -> real_cred, files -> fdtable -> file -> socket ->
 * sock of a guest that keeps running. Objects may be freed and reused under
 * us, and the guest may be hostile: a bad object skips its task or file (and
 * is counted), broken list linkage restarts the walk a bounded number of
 * times, and every count the guest supplies is capped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "walk.h"

#define PF_EXITING	0x00000004
#define S_IFMT_		0170000
#define S_IFSOCK_	0140000
#define AF_INET_	2
#define AF_INET6_	10
#define SOCK_STREAM_	1
#define SOCK_DGRAM_	2
#define FD_CHUNK	256

const struct xf_walk_limits xf_walk_default_limits = {
	.max_tasks = 1U << 17,
	.max_fds = 1U << 20,		/* the kernel's NR_OPEN default */
	.max_fd_slots = 1ULL << 23,
	.max_socks = 1U << 20,
	.max_restarts = 3,
	.max_resumes = 256,
	.max_resume_depth = 64,
	.max_reads = 1ULL << 26,
};

static const char *const tcp_states[] = {
	[1] = "ESTABLISHED", [2] = "SYN_SENT", [3] = "SYN_RECV", [4] = "FIN_WAIT1",
	[5] = "FIN_WAIT2", [6] = "TIME_WAIT", [7] = "CLOSE", [8] = "CLOSE_WAIT",
	[9] = "LAST_ACK", [10] = "LISTEN", [11] = "CLOSING", [12] = "NEW_SYN_RECV",
};

const char *xf_tcp_state_name(unsigned int state)
{
	if (state < sizeof(tcp_states) / sizeof(tcp_states[0]) && tcp_states[state])
		return tcp_states[state];
	return "UNKNOWN";
}

void xf_walker_init(struct xf_walker *w, struct xf_vm *vm, const struct xf_profile *p)
{
	memset(w, 0, sizeof(*w));
	w->vm = vm;
	w->p = p;
	w->lim = xf_walk_default_limits;
}

int xf_current_task(struct xf_walker *w, const struct xf_vcpu *v, uint64_t *task)
{
	/* in user mode GS is the user's; the kernel's sits in KERNEL_GS_BASE */
	uint64_t gs = v->cpl == 0 && (v->gs_base >> 63) ? v->gs_base : v->kernel_gs_base;

	if (!xf_kptr_ok(w->vm, gs, 8)) {
		gs = v->gs_base;
		if (!xf_kptr_ok(w->vm, gs, 8))
			return -EINVAL;
	}
	return xf_read_kptr(w->vm, gs + w->p->off.pcpu_current_task, task);
}

void xf_table_reset(struct xf_table *t)
{
	t->nr_tasks = 0;
	t->nr_socks = 0;
	memset(&t->st, 0, sizeof(t->st));
}

void xf_table_free(struct xf_table *t)
{
	free(t->tasks);
	free(t->socks);
	memset(t, 0, sizeof(*t));
}

static void *grow(void *arr, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 64;
	void *p;

	if (need <= *cap)
		return arr;
	while (n < need)
		n *= 2;
	p = realloc(arr, n * elem);
	if (p)
		*cap = n;
	return p;
}

/* Open-addressing set of task addresses: the cycle check. */
struct addr_set {
	uint64_t *slot;
	size_t cap, nr;
};

static int set_add(struct addr_set *s, uint64_t a)
{
	size_t i, h;

	if ((s->nr + 1) * 2 > s->cap) {
		struct addr_set n = { .cap = s->cap ? s->cap * 2 : 256 };

		n.slot = calloc(n.cap, sizeof(*n.slot));
		if (!n.slot)
			return -ENOMEM;
		for (i = 0; i < s->cap; i++)
			if (s->slot[i])
				set_add(&n, s->slot[i]);
		free(s->slot);
		*s = n;
	}
	h = (size_t)((a * 0x9e3779b97f4a7c15ULL) >> 32);
	for (i = 0;; i++) {
		uint64_t *e = &s->slot[(h + i) & (s->cap - 1)];

		if (*e == a)
			return 1;
		if (!*e) {
			*e = a;
			s->nr++;
			return 0;
		}
	}
}

static bool budget_left(struct xf_walker *w, uint64_t reads0, struct xf_table *t)
{
	if (w->vm->mem->reads - reads0 <= w->lim.max_reads)
		return true;
	t->st.incomplete = true;
	return false;
}

/* Reads the addresses, ports and state of an inet sock; 1 = not TCP/UDP inet. */
static int read_inet(struct xf_walker *w, uint64_t sk, struct xf_sock_info *s)
{
	const struct xf_offsets *o = &w->p->off;
	struct xf_vm *vm = w->vm;
	uint64_t proto, type;
	uint16_t fam, dport;
	uint8_t blk[128];

	if (o->skc_len) {
		/* one read for the whole sock_common part we need */
		if (xf_vread(vm, sk + o->skc_lo, blk, o->skc_len))
			return -EFAULT;
		memcpy(&fam, blk + o->sk_family - o->skc_lo, 2);
	} else if (xf_read_u16(vm, sk + o->sk_family, &fam)) {
		return -EFAULT;
	}
	if (fam != AF_INET_ && (fam != AF_INET6_ || !o->has_v6))
		return 1;
	if (xf_read_field(vm, sk, &o->sk_protocol, &proto) ||
	    xf_read_field(vm, sk, &o->sk_type, &type))
		return -EFAULT;
	if (!((proto == 6 && type == SOCK_STREAM_) || (proto == 17 && type == SOCK_DGRAM_)))
		return 1;
	s->family = (uint8_t)fam;
	s->proto = (uint8_t)proto;
	memset(s->laddr, 0, sizeof(s->laddr));
	memset(s->raddr, 0, sizeof(s->raddr));
	if (o->skc_len) {
		const uint8_t *b = blk - o->skc_lo;

		if (xf_read_u32(vm, sk + o->sk_uid, &s->sk_uid))
			return -EFAULT;
		s->state = b[o->sk_state];
		memcpy(&s->lport, b + o->sk_num, 2);
		memcpy(&dport, b + o->sk_dport, 2);
		if (fam == AF_INET_) {
			memcpy(s->laddr, b + o->sk_rcv_saddr, 4);
			memcpy(s->raddr, b + o->sk_daddr, 4);
		} else {
			memcpy(s->laddr, b + o->sk_v6_rcv_saddr, 16);
			memcpy(s->raddr, b + o->sk_v6_daddr, 16);
		}
		s->rport = (uint16_t)((dport >> 8) | (dport << 8));
		s->sk = sk;
		return 0;
	}
	if (xf_read_u8(vm, sk + o->sk_state, &s->state) ||
	    xf_read_u16(vm, sk + o->sk_num, &s->lport) ||
	    xf_read_u16(vm, sk + o->sk_dport, &dport) ||
	    xf_read_u32(vm, sk + o->sk_uid, &s->sk_uid))
		return -EFAULT;
	s->rport = (uint16_t)((dport >> 8) | (dport << 8));
	if (fam == AF_INET_) {
		if (xf_vread(vm, sk + o->sk_rcv_saddr, s->laddr, 4) ||
		    xf_vread(vm, sk + o->sk_daddr, s->raddr, 4))
			return -EFAULT;
	} else if (xf_vread(vm, sk + o->sk_v6_rcv_saddr, s->laddr, 16) ||
		   xf_vread(vm, sk + o->sk_v6_daddr, s->raddr, 16)) {
		return -EFAULT;
	}
	s->sk = sk;
	return 0;
}

int xf_read_sock(struct xf_walker *w, uint64_t sk, struct xf_sock_info *s)
{
	if (!xf_kptr_ok(w->vm, sk, 8))
		return -EINVAL;
	return read_inet(w, sk, s);
}

/*
 * Is file f a socket? Structurally the first time (private_data is a socket
 * whose file points back, whose inode is the socket_alloc's own and is
 * S_IFSOCK), then by the f_op that test taught us. Returns the socket or 0.
 */
static uint64_t file_socket(struct xf_walker *w, uint64_t f, struct xf_table *t)
{
	const struct xf_offsets *o = &w->p->off;
	struct xf_vm *vm = w->vm;
	uint64_t fop, sock, back, inode;
	uint16_t mode;

	if (xf_read_kptr(vm, f + o->file_f_op, &fop)) {
		t->st.skipped_files++;
		return 0;
	}
	if (w->socket_fops && fop != w->socket_fops)
		return 0;
	if (xf_read_kptr(vm, f + o->file_private_data, &sock) ||
	    xf_read_u64(vm, sock + o->socket_file, &back) || back != f)
		return 0;
	if (!w->socket_fops) {
		uint64_t alloc = sock - o->socket_alloc_socket;

		if (xf_read_kptr(vm, f + o->file_f_inode, &inode) ||
		    inode != alloc + o->socket_alloc_vfs_inode ||
		    xf_read_u16(vm, inode + o->inode_i_mode, &mode) ||
		    (mode & S_IFMT_) != S_IFSOCK_)
			return 0;
		w->socket_fops = fop;
	}
	return sock;
}

static void walk_fds(struct xf_walker *w, const struct xf_task_info *ti, uint64_t files,
		     struct xf_table *t, uint64_t reads0)
{
	const struct xf_offsets *o = &w->p->off;
	struct xf_vm *vm = w->vm;
	uint64_t fdt, fdarr, chunk[FD_CHUNK];
	uint32_t max_fds, base;

	/* max_fds and fd must come from the same fdtable: it is replaced on growth */
	if (xf_read_kptr(vm, files + o->files_fdt, &fdt) ||
	    xf_read_u32(vm, fdt + o->fdt_max_fds, &max_fds) ||
	    xf_read_kptr(vm, fdt + o->fdt_fd, &fdarr)) {
		t->st.refused_fdt++;
		return;
	}
	if (max_fds > w->lim.max_fds) {
		t->st.refused_fdt++;
		return;
	}
	for (base = 0; base < max_fds; base += FD_CHUNK) {
		uint32_t n = max_fds - base < FD_CHUNK ? max_fds - base : FD_CHUNK, i;

		if (t->st.fd_slots + n > w->lim.max_fd_slots || !budget_left(w, reads0, t)) {
			t->st.incomplete = true;
			return;
		}
		t->st.fd_slots += n;
		if (xf_vread(vm, fdarr + (uint64_t)base * 8, chunk, (size_t)n * 8)) {
			t->st.refused_fdt++;
			return;
		}
		for (i = 0; i < n; i++) {
			struct xf_sock_info s;
			uint64_t f = chunk[i], sock, sk;
			struct xf_sock_info *ns;
			int ret;

			if (!f)
				continue;
			if (!xf_kptr_ok(vm, f, 8)) {
				t->st.bad_ptr++;
				continue;
			}
			sock = file_socket(w, f, t);
			if (!sock)
				continue;
			memset(&s, 0, sizeof(s));
			ret = xf_read_u64(vm, sock + o->socket_sk, &sk);
			if (!ret && !sk) {
				t->st.null_sk++;	/* being released */
				continue;
			}
			if (ret || !xf_kptr_ok(vm, sk, 8)) {
				t->st.bad_ptr++;
				continue;
			}
			ret = read_inet(w, sk, &s);
			if (ret) {
				if (ret < 0)
					t->st.skipped_files++;
				continue;
			}
			xf_read_u64(vm, sock - o->socket_alloc_socket +
				    o->socket_alloc_vfs_inode + o->inode_i_ino, &s.ino);
			if (t->nr_socks >= w->lim.max_socks) {
				t->st.dropped_socks++;
				t->st.incomplete = true;
				continue;
			}
			ns = grow(t->socks, &t->cap_socks, t->nr_socks + 1, sizeof(*t->socks));
			if (!ns) {
				t->st.dropped_socks++;
				continue;
			}
			t->socks = ns;
			s.pid = ti->pid;
			s.tgid = ti->tgid;
			s.uid = ti->uid;
			s.gid = ti->gid;
			s.start_time = ti->start_time;
			memcpy(s.comm, ti->comm, sizeof(s.comm));
			s.fd = (int32_t)(base + i);
			t->socks[t->nr_socks++] = s;
		}
	}
}

/* Reads one task; 0 = add it, -errno = skip it. *files gets its files if walkable. */
static int read_task(struct xf_walker *w, uint64_t task, struct xf_task_info *ti,
		     uint64_t *files)
{
	const struct xf_offsets *o = &w->p->off;
	struct xf_vm *vm = w->vm;
	uint64_t cred, mm;
	uint32_t flags;
	int ret;

	memset(ti, 0, sizeof(*ti));
	*files = 0;
	ti->addr = task;
	if (xf_vread(vm, task + o->ts_pid, &ti->pid, 4) ||
	    xf_vread(vm, task + o->ts_tgid, &ti->tgid, 4) ||
	    xf_vread(vm, task + o->ts_comm, ti->comm, XF_COMM_LEN) ||
	    xf_read_u32(vm, task + o->ts_flags, &flags) ||
	    xf_read_u64(vm, task + o->ts_mm, &mm) ||
	    xf_read_u64(vm, task + o->ts_start_time, &ti->start_time))
		return -EFAULT;
	ti->comm[XF_COMM_LEN - 1] = 0;
	if (ti->pid < 0 || ti->tgid < 0)
		return -EINVAL;
	ret = xf_read_kptr(vm, task + o->ts_real_cred, &cred);
	if (ret)
		return ret;
	if (xf_read_u32(vm, cred + o->cred_uid, &ti->uid) ||
	    xf_read_u32(vm, cred + o->cred_gid, &ti->gid))
		return -EFAULT;
	ti->kthread = !mm;
	ti->exiting = flags & PF_EXITING;
	/* kernel threads have no sockets of their own; exiting tasks drop theirs */
	if (!ti->kthread && !ti->exiting && !xf_read_kptr(vm, task + o->ts_files, files))
		return 0;
	*files = 0;
	return 0;
}

/* Reads a task not seen before in this pass, and its sockets. */
static int add_task(struct xf_walker *w, uint64_t task, struct xf_table *t, uint64_t reads0)
{
	struct xf_task_info ti, *nt;
	uint64_t files;

	if (read_task(w, task, &ti, &files)) {
		t->st.skipped_tasks++;
		return 0;
	}
	nt = grow(t->tasks, &t->cap_tasks, t->nr_tasks + 1, sizeof(*t->tasks));
	if (!nt)
		return -ENOMEM;
	t->tasks = nt;
	t->tasks[t->nr_tasks++] = ti;
	if (ti.exiting)
		t->st.exiting++;
	if (files)
		walk_fds(w, &ti, files, t, reads0);
	if (ti.pid == 0 && !w->head)
		w->head = task;	/* init_task: never freed */
	return 0;
}

/*
 * The latest task of this walk that is still on the list and still the same
 * task (its memory may have been freed and reused by a new one, which would
 * sit at the tail): 0 with *node set to its list node and *next to the node
 * after it, or -EAGAIN.
 */
static int resume_point(struct xf_walker *w, const struct xf_table *t, uint64_t *node,
			uint64_t *next_out)
{
	const struct xf_offsets *o = &w->p->off;
	struct xf_vm *vm = w->vm;
	size_t i = t->nr_tasks, depth;

	for (depth = 0; i > 0 && depth < w->lim.max_resume_depth; depth++) {
		const struct xf_task_info *ti = &t->tasks[--i];
		uint64_t n = ti->addr + o->ts_tasks, next, prev, back, start;
		int32_t pid;

		if (xf_read_kptr(vm, n, &next) || xf_read_u64(vm, next + 8, &back) || back != n ||
		    xf_read_kptr(vm, n + 8, &prev) || xf_read_u64(vm, prev, &back) || back != n ||
		    xf_vread(vm, ti->addr + o->ts_pid, &pid, 4) || pid != ti->pid ||
		    xf_read_u64(vm, ti->addr + o->ts_start_time, &start) ||
		    start != ti->start_time)
			continue;
		*node = n;
		*next_out = next;
		return 0;
	}
	return -EAGAIN;
}

/*
 * One pass round the circular task list from start. A task may leave the
 * list while we stand on it: list_del_rcu() keeps its next pointer, but its
 * successor's prev no longer points back, so we cannot tell a departed task
 * from a forged link. We then step back to the latest task we read that is
 * still linked and go on from there. New tasks are only added at the tail,
 * so every task that stayed on the list all along is still ahead of us, and
 * the address set keeps a task from being read twice. A run of known tasks
 * longer than the set is a cycle that misses the head.
 */
static int walk_once(struct xf_walker *w, uint64_t start, struct xf_table *t, uint64_t reads0)
{
	const struct xf_offsets *o = &w->p->off;
	struct xf_vm *vm = w->vm;
	struct addr_set seen = { 0 };
	uint64_t head = start + o->ts_tasks, cur = head;
	uint32_t resumes = 0;
	size_t known_run = 0;
	int ret = 0;

	t->nr_tasks = 0;
	t->nr_socks = 0;
	for (;;) {
		uint64_t task = cur - o->ts_tasks, next, back;

		if (seen.nr >= w->lim.max_tasks || !budget_left(w, reads0, t)) {
			t->st.incomplete = true;
			ret = -E2BIG;
			break;
		}
		ret = set_add(&seen, task);
		if (ret < 0)
			break;
		if (ret > 0) {
			/* passing tasks already read, after a resume */
			if (++known_run > seen.nr) {
				ret = -ELOOP;
				break;
			}
		} else {
			known_run = 0;
			ret = add_task(w, task, t, reads0);
			if (ret)
				break;
		}
		if (xf_read_kptr(vm, cur, &next) || xf_read_u64(vm, next + 8, &back) ||
		    back != cur) {
			/* cur left the list (or the link is forged): step back */
			if (resumes >= w->lim.max_resumes || resume_point(w, t, &cur, &next)) {
				ret = -EAGAIN;
				break;
			}
			resumes++;
			t->st.resumes++;
		}
		cur = next;
		if (cur == head) {
			ret = 0;
			break;
		}
	}
	free(seen.slot);
	return ret;
}

int xf_walk(struct xf_walker *w, uint64_t start, struct xf_table *t)
{
	uint64_t reads0 = w->vm->mem->reads;
	uint32_t attempt;
	int ret = -EAGAIN;

	xf_table_reset(t);
	if (!xf_kptr_ok(w->vm, start, 8))
		return -EINVAL;
	for (attempt = 0; attempt <= w->lim.max_restarts; attempt++) {
		uint32_t restarts = t->st.restarts, resumes = t->st.resumes;

		memset(&t->st, 0, sizeof(t->st));
		t->st.restarts = restarts;
		t->st.resumes = resumes;
		ret = walk_once(w, w->head ? w->head : start, t, reads0);
		if (ret != -EAGAIN && ret != -ELOOP)
			break;
		t->st.restarts++;
	}
	t->st.reads = w->vm->mem->reads - reads0;
	if (ret == -ENOMEM)
		return ret;
	if (ret) {
		t->st.incomplete = true;
		return t->nr_tasks ? -EAGAIN : ret;
	}
	return t->st.incomplete ? -EAGAIN : 0;
}

static int task_cmp(const void *a, const void *b)
{
	const struct xf_task_info *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static int sock_cmp(const void *a, const void *b)
{
	const struct xf_sock_info *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->fd < y->fd ? -1 : x->fd > y->fd;
}

void xf_table_sort(struct xf_table *t)
{
	if (t->nr_tasks)
		qsort(t->tasks, t->nr_tasks, sizeof(*t->tasks), task_cmp);
	if (t->nr_socks)
		qsort(t->socks, t->nr_socks, sizeof(*t->socks), sock_cmp);
}
