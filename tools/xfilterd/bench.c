// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark driver (make bench-vmi): full walks and targeted lookups over a
 * guest's core, with the work of each in its own function so that callgrind
 * can count instructions for exactly that (--toggle-collect).
 *
 * usage: xfbench CORE WALKS LOOKUPS [hash]
 *   hash: lookups through the guest's hash tables only, as for a flow the
 *         last walk did not see (default: the last walk's flows first)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lookup.h"
#include "scan.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* one full walk in steady state: profile and socket f_op known, cold caches */
__attribute__((noinline)) int bench_walk_once(struct xf_guest *g, struct xf_table *t);
__attribute__((noinline)) int bench_walk_once(struct xf_guest *g, struct xf_table *t)
{
	xf_vm_flush(g->vm);
	return xf_walk(&g->walker, g->start_task, t);
}

__attribute__((noinline)) int bench_lookup_once(struct xf_lookup *l, const struct xf_flow *f,
						struct xf_sock_info *s);
/* the translation cache stays warm, as in the daemon: the direct map does not move */
__attribute__((noinline)) int bench_lookup_once(struct xf_lookup *l, const struct xf_flow *f,
						struct xf_sock_info *s)
{
	return xf_lookup_flow(l, f, s);
}

int main(int argc, char **argv)
{
	struct xf_table t = { 0 }, t2 = { 0 };
	struct xf_flow *flows;
	struct xf_lookup l;
	struct xf_mem *mem;
	struct xf_guest g;
	uint64_t reads0, walks0;
	size_t i, nflows = 0, found = 0;
	int walks, lookups, n;
	char err[256];
	double t0;

	if (argc != 4 && !(argc == 5 && !strcmp(argv[4], "hash")))
		return 2;
	walks = atoi(argv[2]);
	lookups = atoi(argv[3]);
	if (xf_mem_core_open(argv[1], &mem, err, sizeof(err))) {
		fprintf(stderr, "xfbench: %s\n", err);
		return 1;
	}
	if (getenv("XFBENCH_NO_PAGE")) {
		/* reads through the backend, as the xen one does: no borrowed pages */
		static struct xf_mem_ops ops;

		ops = *mem->ops;
		ops.page = NULL;
		mem->ops = &ops;
	}
	if (xf_guest_attach(&g, mem, err, sizeof(err))) {
		fprintf(stderr, "xfbench: %s\n", err);
		return 1;
	}
	if (xf_guest_walk(&g, &t) || xf_lookup_init(&l, &g.walker, g.prof.btf) ||
	    xf_lookup_learn(&l, &t)) {
		fprintf(stderr, "xfbench: first walk or lookup set-up failed\n");
		return 1;
	}
	printf("guest: kernel %s, %zu tasks, %zu inet sockets\n", g.prof.release, t.nr_tasks,
	       t.nr_socks);
	/* pages touched by one full walk */
	xf_vm_track_pages(g.vm, 1U << 20);
	reads0 = mem->reads;
	walks0 = g.vm->walks;
	xf_vm_flush(g.vm);
	xf_walk(&g.walker, g.start_task, &t2);
	printf("full walk: %u data pages touched, %" PRIu64 " page-table walks, %" PRIu64
	       " reads\n", g.vm->touched_nr, g.vm->walks - walks0, mem->reads - reads0);
	xf_vm_untrack_pages(g.vm);
	t0 = now_ms();
	for (n = 0; n < walks; n++)
		bench_walk_once(&g, &t2);
	if (walks)
		printf("full walk: %.3f ms each (%d walks)\n", (now_ms() - t0) / walks, walks);

	/* flows: every socket's own tuple (listeners: from an outside peer) */
	flows = calloc(t.nr_socks ? t.nr_socks : 1, sizeof(*flows));
	for (i = 0; i < t.nr_socks; i++) {
		const struct xf_sock_info *s = &t.socks[i];
		struct xf_flow *f = &flows[nflows++];

		f->family = s->family;
		f->proto = s->proto;
		f->lport = s->lport;
		memcpy(f->laddr, s->laddr, 16);
		if (s->rport) {
			f->rport = s->rport;
			memcpy(f->raddr, s->raddr, 16);
		} else {
			f->rport = 4444;
			f->raddr[0] = 192;
			if (f->family == 10)
				f->raddr[0] = 0x20;
		}
	}
	l.use_index = argc == 4;
	xf_vm_track_pages(g.vm, 1U << 16);
	reads0 = mem->reads;
	t0 = now_ms();
	for (n = 0; n < lookups && nflows; n++) {
		struct xf_sock_info s;

		if (!bench_lookup_once(&l, &flows[(size_t)n * 7919 % nflows], &s))
			found++;
	}
	if (lookups)
		printf("targeted lookup (%s): %.4f ms, %.1f reads, %.1f chain steps each; %zu "
		       "of %d found\n", l.use_index ? "last walk's flows, re-checked" :
		       "guest hash tables only", (now_ms() - t0) / lookups,
		       (double)(mem->reads - reads0) / lookups, (double)l.chain_steps / lookups,
		       found, lookups);
	free(flows);
	xf_lookup_free(&l);
	xf_table_free(&t);
	xf_table_free(&t2);
	xf_guest_detach(&g);
	xf_mem_close(mem);
	return 0;
}
