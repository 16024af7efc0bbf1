// SPDX-License-Identifier: GPL-2.0
/*
 * Attaching to one guest (the vCPU whose page tables map the kernel, the
 * profile), one full walk, and the two ways of printing it: the JSON of
 * `scan --json` and a table for people.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "scan.h"

/*
 * Attaches through vCPU i as its registers are now. Its CR3 names the page
 * tables of whatever process it runs, which may exit at any time: their
 * kernel half is copied first thing, and everything after reads through
 * the copy.
 */
static int attach_vcpu(struct xf_guest *g, unsigned int i, char *err, size_t errlen)
{
	struct xf_mem *mem = g->mem;
	int ret;

	if (mem->ops->vcpu(mem, i, &g->vcpu)) {
		snprintf(err, errlen, "vCPU %u: no state", i);
		return -ENOENT;
	}
	xf_vm_init(g->vm, mem, g->vcpu.cr3, g->vcpu.cr4);
	ret = xf_vm_pin_top(g->vm);
	if (!ret)
		ret = xf_profile_build(g->vm, &g->prof, err, errlen);
	else
		snprintf(err, errlen, "vCPU %u: CR3 %#" PRIx64 " is not in guest memory", i,
			 g->vcpu.cr3);
	/*
	 * Bit 12 is the PTI user half only where the PGD is 8 KiB aligned;
	 * kernels without PTI (and PV guests) may have a 4 KiB-aligned PGD
	 * there.
	 */
	if (ret == -ENOENT && (g->vcpu.cr3 & 0x1000)) {
		xf_vm_set_root(g->vm, g->vcpu.cr3);
		ret = xf_vm_pin_top(g->vm);
		if (!ret)
			ret = xf_profile_build(g->vm, &g->prof, err, errlen);
	}
	if (ret)
		return ret;
	xf_walker_init(&g->walker, g->vm, &g->prof);
	ret = xf_current_task(&g->walker, &g->vcpu, &g->start_task);
	if (ret) {
		snprintf(err, errlen, "vCPU %u: no current task through its per-CPU area (GS 0x%"
			 PRIx64 ", shadow GS 0x%" PRIx64 ")", i, g->vcpu.gs_base,
			 g->vcpu.kernel_gs_base);
		xf_profile_free(&g->prof);
		return ret;
	}
	g->vcpu_idx = i;
	xf_profile_release(g->vm, &g->prof, g->start_task);
	/* what the profile's probes met is no reason to read the registers again */
	g->top_misses_seen = g->vm->top_misses;
	return 0;
}

int xf_guest_attach(struct xf_guest *g, struct xf_mem *mem, char *err, size_t errlen)
{
	unsigned int i, try;
	int ret = -ENOENT;

	memset(g, 0, sizeof(*g));
	g->mem = mem;
	g->vm = malloc(sizeof(*g->vm));
	if (!g->vm) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	snprintf(err, errlen, "no vCPU state");
	for (i = 0; i < mem->nr_vcpus && i < 64; i++) {
		for (try = 0; try < XF_ATTACH_TRIES; try++) {
			struct xf_vcpu now;
			uint64_t cr3;

			ret = attach_vcpu(g, i, err, errlen);
			if (!ret)
				return 0;
			/*
			 * In a running guest the process may have exited under us
			 * and its page tables been reused: once more with the
			 * registers the vCPU has now, if they changed.
			 */
			cr3 = g->vcpu.cr3;
			if (ret == -ENOMEM || mem->ops->vcpu(mem, i, &now) || now.cr3 == cr3)
				break;
		}
		if (ret == -ENOMEM)
			break;
	}
	free(g->vm);
	g->vm = NULL;
	return ret;
}

void xf_guest_detach(struct xf_guest *g)
{
	xf_profile_free(&g->prof);
	if (g->vm)
		xf_vm_untrack_pages(g->vm);
	free(g->vm);
	g->vm = NULL;
}

/*
 * Before a walk, when the last one met a kernel address that the pinned
 * kernel half of the page tables does not map: the kernel half of the
 * tables the vCPU runs on now, which hold the top-level entries the kernel
 * added since (hot-added memory). Taken only if it maps the kernel image
 * the same way. Those entries change only then, so the vCPU's registers
 * (a call into Xen, which under emulation delays every domain) are not read
 * for every walk. And no translation is kept from an earlier walk:
 * vmalloc'd objects (large fd arrays) move.
 */
static void refresh_translation(struct xf_guest *g)
{
	struct xf_vcpu v;

	xf_vm_flush(g->vm);
	if (g->vm->top_misses == g->top_misses_seen)
		return;
	if (g->mem->ops->vcpu(g->mem, g->vcpu_idx, &v))
		return;		/* tried again before the next walk */
	g->top_misses_seen = g->vm->top_misses;
	/* a 4 KiB-aligned PGD without PTI, else the kernel half of a PTI pair */
	if (xf_vm_repin_top(g->vm, v.cr3 & XF_PTE_ADDR, g->prof.text) &&
	    (v.cr3 & XF_PTE_ADDR) != (v.cr3 & XF_CR3_MASK))
		xf_vm_repin_top(g->vm, v.cr3 & XF_CR3_MASK, g->prof.text);
}

int xf_guest_walk(struct xf_guest *g, struct xf_table *t)
{
	int ret;
	size_t i;

	refresh_translation(g);
	ret = xf_walk(&g->walker, g->start_task, t);

	if (!g->prof.release[0]) {
		if (xf_profile_release(g->vm, &g->prof, g->start_task))
			for (i = 0; i < t->nr_tasks; i++)
				if (!xf_profile_release(g->vm, &g->prof, t->tasks[i].addr))
					break;
	}
	return ret;
}

/*
 * The original design stopped the guest for every walk. We walk live and
 * validate instead; the paused walk stays as the last resort for a list that
 * keeps changing, and to measure what stopping the guest costs it.
 */
int xf_guest_walk_paused(struct xf_guest *g, struct xf_table *t, bool *paused)
{
	const struct xf_mem_ops *ops = g->mem->ops;
	int ret;

	/* a guest that cannot be stopped is still walked: live */
	*paused = ops->pause && !ops->pause(g->mem, true);
	ret = xf_guest_walk(g, t);
	if (*paused && ops->pause(g->mem, false) && ops->pause(g->mem, false))
		return -EIO;
	return ret;
}

void xf_addr_str(unsigned int family, const uint8_t *addr, char *buf, size_t len)
{
	if (!inet_ntop(family == 2 ? AF_INET : AF_INET6, addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

static const char *family_name(unsigned int f)
{
	return f == 2 ? "inet" : "inet6";
}

static const char *proto_name(unsigned int p)
{
	return p == 6 ? "tcp" : "udp";
}

void xf_print_json(FILE *out, const struct xf_guest *g, const struct xf_table *t, bool pretty)
{
	struct xf_json j;
	size_t i;

	xf_json_init(&j, out, pretty);
	xf_json_obj_open(&j);
	xf_json_key(&j, "kernel");
	xf_json_obj_open(&j);
	xf_json_kstr(&j, "release", g->prof.release);
	xf_json_ki64(&j, "kaslr_offset", g->prof.kaslr_offset);
	xf_json_ku64(&j, "paging_levels", (uint64_t)g->prof.paging_levels);
	xf_json_obj_close(&j);
	xf_json_key(&j, "tasks");
	xf_json_arr_open(&j);
	for (i = 0; i < t->nr_tasks; i++) {
		const struct xf_task_info *ti = &t->tasks[i];

		if (ti->pid == 0)	/* the idle task is no process */
			continue;
		xf_json_obj_open(&j);
		xf_json_ki64(&j, "pid", ti->pid);
		xf_json_ki64(&j, "tgid", ti->tgid);
		xf_json_ku64(&j, "uid", ti->uid);
		xf_json_ku64(&j, "gid", ti->gid);
		xf_json_key(&j, "comm");
		xf_json_strn(&j, ti->comm, sizeof(ti->comm));
		xf_json_obj_close(&j);
	}
	xf_json_arr_close(&j);
	xf_json_key(&j, "sockets");
	xf_json_arr_open(&j);
	for (i = 0; i < t->nr_socks; i++) {
		const struct xf_sock_info *s = &t->socks[i];
		char a[INET6_ADDRSTRLEN];

		xf_json_obj_open(&j);
		xf_json_ki64(&j, "pid", s->pid);
		xf_json_ki64(&j, "tgid", s->tgid);
		xf_json_ku64(&j, "uid", s->uid);
		xf_json_key(&j, "comm");
		xf_json_strn(&j, s->comm, sizeof(s->comm));
		xf_json_ki64(&j, "fd", s->fd);
		xf_json_kstr(&j, "family", family_name(s->family));
		xf_json_kstr(&j, "proto", proto_name(s->proto));
		xf_addr_str(s->family, s->laddr, a, sizeof(a));
		xf_json_kstr(&j, "local", a);
		xf_json_ku64(&j, "lport", s->lport);
		xf_addr_str(s->family, s->raddr, a, sizeof(a));
		xf_json_kstr(&j, "remote", a);
		xf_json_ku64(&j, "rport", s->rport);
		xf_json_kstr(&j, "state", xf_tcp_state_name(s->state));
		xf_json_obj_close(&j);
	}
	xf_json_arr_close(&j);
	xf_json_obj_close(&j);
	xf_json_end(&j);
}

void xf_print_table(FILE *out, const struct xf_guest *g, const struct xf_table *t)
{
	size_t i;

	fprintf(out, "kernel %s, KASLR offset %#" PRIx64 ", %d-level paging\n\n",
		g->prof.release[0] ? g->prof.release : "?", (uint64_t)g->prof.kaslr_offset,
		g->prof.paging_levels);
	fprintf(out, "%7s %7s %6s %6s  %s\n", "PID", "TGID", "UID", "GID", "COMM");
	for (i = 0; i < t->nr_tasks; i++) {
		const struct xf_task_info *ti = &t->tasks[i];

		if (ti->pid)
			fprintf(out, "%7d %7d %6u %6u  %.15s\n", ti->pid, ti->tgid, ti->uid,
				ti->gid, ti->comm);
	}
	fprintf(out, "\n%7s %6s %-15s %4s %-5s %-4s %-30s %-30s %s\n", "PID", "UID", "COMM",
		"FD", "FAM", "PROT", "LOCAL", "REMOTE", "STATE");
	for (i = 0; i < t->nr_socks; i++) {
		const struct xf_sock_info *s = &t->socks[i];
		char la[INET6_ADDRSTRLEN + 8], ra[INET6_ADDRSTRLEN + 8];
		char a[INET6_ADDRSTRLEN];
		bool v6 = s->family != 2;

		xf_addr_str(s->family, s->laddr, a, sizeof(a));
		snprintf(la, sizeof(la), "%s%s%s:%u", v6 ? "[" : "", a, v6 ? "]" : "", s->lport);
		xf_addr_str(s->family, s->raddr, a, sizeof(a));
		snprintf(ra, sizeof(ra), "%s%s%s:%u", v6 ? "[" : "", a, v6 ? "]" : "", s->rport);
		fprintf(out, "%7d %6u %-15.15s %4d %-5s %-4s %-30s %-30s %s\n", s->pid, s->uid,
			s->comm, s->fd, family_name(s->family), proto_name(s->proto), la, ra,
			xf_tcp_state_name(s->state));
	}
}
