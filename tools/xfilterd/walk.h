/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The walk of a running guest's tasks and their inet sockets, without
 * pausing it: every pointer is checked, every loop bounded, and what changed
 * under the walk is skipped and counted instead of trusted.
 */
#ifndef XF_WALK_H
#define XF_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile.h"
#include "xlate.h"

#define XF_COMM_LEN	16

/* Bounds that hold whatever the guest's memory says. */
struct xf_walk_limits {
	uint32_t max_tasks;		/* tasks on the list */
	uint32_t max_fds;		/* fdtable.max_fds accepted per task */
	uint64_t max_fd_slots;		/* fd slots read per walk */
	uint32_t max_socks;		/* sockets kept per walk */
	uint32_t max_restarts;		/* restarts on broken list linkage */
	uint32_t max_resumes;		/* steps back to a linked task, per pass */
	uint32_t max_resume_depth;	/* tasks looked back at for one resume */
	uint64_t max_reads;		/* memory reads per walk */
};

extern const struct xf_walk_limits xf_walk_default_limits;

struct xf_task_info {
	uint64_t addr;
	int32_t pid, tgid;
	uint32_t uid, gid;
	uint64_t start_time;
	char comm[XF_COMM_LEN];
	bool kthread;
	bool exiting;
};

struct xf_sock_info {
	int32_t pid, tgid;
	uint32_t uid, gid;
	uint64_t start_time;
	char comm[XF_COMM_LEN];
	int32_t fd;
	uint8_t family;		/* AF_INET / AF_INET6 */
	uint8_t proto;		/* IPPROTO_TCP / IPPROTO_UDP */
	uint8_t state;		/* TCP_* */
	uint16_t lport, rport;	/* host order */
	uint8_t laddr[16], raddr[16];	/* v4: first 4 bytes */
	uint32_t sk_uid;
	uint64_t ino;
	uint64_t sk;
};

struct xf_walk_stats {
	uint32_t restarts;
	uint32_t resumes;		/* stepped back past a task that left */
	uint32_t skipped_tasks;		/* unreadable task or creds */
	uint32_t exiting;		/* PF_EXITING: fds not read */
	uint32_t refused_fdt;		/* absurd max_fds or unreadable fdt */
	uint32_t skipped_files;		/* unreadable file objects */
	uint32_t null_sk;		/* socket being released */
	uint32_t bad_ptr;		/* non-canonical, user or misaligned pointers */
	uint32_t dropped_socks;		/* over max_socks */
	uint64_t fd_slots;
	uint64_t reads;
	bool incomplete;		/* a bound was hit or linkage stayed broken */
};

struct xf_table {
	struct xf_task_info *tasks;
	size_t nr_tasks, cap_tasks;
	struct xf_sock_info *socks;
	size_t nr_socks, cap_socks;
	struct xf_walk_stats st;
};

struct xf_walker {
	struct xf_vm *vm;
	const struct xf_profile *p;
	struct xf_walk_limits lim;
	uint64_t socket_fops;		/* learned structurally; 0 until then */
	uint64_t head;			/* a stable list head (init_task.tasks) */
};

void xf_walker_init(struct xf_walker *w, struct xf_vm *vm, const struct xf_profile *p);
/* The task a vCPU runs, through its kernel per-CPU area (GS or shadow GS). */
int xf_current_task(struct xf_walker *w, const struct xf_vcpu *v, uint64_t *task);
/*
 * Walks the task list through start. 0 on success, -EAGAIN when linkage
 * stayed broken after the allowed restarts or a bound was hit (the table
 * then holds what was read, st.incomplete set), other negative errno when
 * nothing could be read.
 */
int xf_walk(struct xf_walker *w, uint64_t start, struct xf_table *t);
void xf_table_reset(struct xf_table *t);
void xf_table_free(struct xf_table *t);
/* Orders tasks by pid and sockets by pid, fd (for people and diffs). */
void xf_table_sort(struct xf_table *t);

/* Re-reads one socket object: the targeted check of a known flow. */
int xf_read_sock(struct xf_walker *w, uint64_t sk, struct xf_sock_info *s);

const char *xf_tcp_state_name(unsigned int state);

#endif /* XF_WALK_H */
