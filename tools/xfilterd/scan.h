/* SPDX-License-Identifier: GPL-2.0 */
/* One-shot introspection of one guest: open, profile, walk, print. */
#ifndef XF_SCAN_H
#define XF_SCAN_H

#include <stdbool.h>
#include <stdio.h>

#include "mem.h"
#include "walk.h"

struct xf_guest {
	struct xf_mem *mem;
	struct xf_vcpu vcpu;
	unsigned int vcpu_idx;
	struct xf_vm *vm;
	struct xf_profile prof;
	struct xf_walker walker;
	uint64_t start_task;
	uint64_t top_misses_seen;	/* vm->top_misses at the last repin */
};

/* Attempts per vCPU when its registers change under the attach. */
#define XF_ATTACH_TRIES	3

/* Finds a vCPU whose CR3 maps the kernel and builds the profile. */
int xf_guest_attach(struct xf_guest *g, struct xf_mem *mem, char *err, size_t errlen);
void xf_guest_detach(struct xf_guest *g);
/* A full walk; fills the kernel release the first time. */
int xf_guest_walk(struct xf_guest *g, struct xf_table *t);
/*
 * The same walk with every vCPU of the guest stopped around it when the
 * backend can stop it (*paused tells); -EIO when the guest could not be
 * resumed (twice), the walk's result otherwise.
 */
int xf_guest_walk_paused(struct xf_guest *g, struct xf_table *t, bool *paused);

void xf_print_json(FILE *out, const struct xf_guest *g, const struct xf_table *t, bool pretty);
void xf_print_table(FILE *out, const struct xf_guest *g, const struct xf_table *t);
/* addr (4 or 16 bytes by family) as text, IPv6 compressed */
void xf_addr_str(unsigned int family, const uint8_t *addr, char *buf, size_t len);

#endif /* XF_SCAN_H */
