// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: a mutated ELF core goes through everything `scan` does
 * (core parsing, the vCPU note, the kernel probe, the BTF search and parse,
 * the offsets, the walk and the JSON output), then the targeted lookups
 * through the guest's hash tables, with tighter bounds, so that
 * a crash, a hang or unbounded memory on hostile guest memory shows up.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lookup.h"
#include "scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *devnull;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xf_mem *mem;
	struct xf_guest g;
	struct xf_table t = { 0 };
	char err[256];

	if (!devnull)
		devnull = fopen("/dev/null", "w");
	xf_btf_scan_max = 32ULL << 20;
	if (xf_mem_core_open_buf(data, size, &mem, err, sizeof(err)))
		return 0;
	if (!xf_guest_attach(&g, mem, err, sizeof(err))) {
		g.walker.lim.max_tasks = 4096;
		g.walker.lim.max_fds = 1U << 16;
		g.walker.lim.max_fd_slots = 1U << 18;
		g.walker.lim.max_reads = 1U << 18;
		struct xf_lookup l;
		size_t i;

		xf_guest_walk(&g, &t);
		xf_table_sort(&t);
		xf_print_json(devnull, &g, &t, false);
		if (!xf_lookup_init(&l, &g.walker, g.prof.btf)) {
			l.max_chain = 4096;
			xf_lookup_learn(&l, &t);
			for (i = 0; i < t.nr_socks && i < 64; i++) {
				const struct xf_sock_info *so = &t.socks[i];
				struct xf_flow f = { .family = so->family, .proto = so->proto,
						     .lport = so->lport, .rport = 4444 };
				struct xf_sock_info r;

				memcpy(f.laddr, so->laddr, 16);
				l.use_index = i & 1;
				xf_lookup_flow(&l, &f, &r);
			}
			xf_lookup_free(&l);
		}
		xf_table_free(&t);
		xf_guest_detach(&g);
	}
	xf_mem_close(mem);
	return 0;
}
