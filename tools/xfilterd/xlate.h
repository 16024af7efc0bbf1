/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest-virtual reads: an x86-64 page-table walk from the kernel's CR3
 * (4 or 5 levels, 2 MiB and 1 GiB pages) with a small translation cache,
 * plus the pointer rules every read of guest data goes through.
 */
#ifndef XF_XLATE_H
#define XF_XLATE_H

#include <stdbool.h>
#include <stdint.h>

#include "mem.h"

#define XF_TC_BITS	14
#define XF_TC_SIZE	(1U << XF_TC_BITS)
#define XF_CR4_LA57	(1ULL << 12)
/* CR3: bits 0-11 are the PCID, bit 12 selects the PTI user half */
#define XF_CR3_MASK	0x000fffffffffe000ULL
#define XF_PTE_ADDR	0x000ffffffffff000ULL

/*
 * Entries count only in the epoch they were made in: dropping the cache
 * before every walk is one increment, not a 400 KB memset (which cost more
 * than all the rest of a small guest's walk).
 */
struct xf_tc_entry {
	uint64_t vpn;		/* va >> 12, plus 1 so that 0 means empty */
	uint64_t epoch;
	uint64_t host_gen;	/* the backend's unmaps when host was lent */
	uint64_t pa;		/* page frame address */
	const uint8_t *host;	/* the frame's bytes, when the backend has them */
};

struct xf_vm {
	struct xf_mem *mem;
	uint64_t root;
	int levels;
	/*
	 * The kernel half of the top-level table, kept here once pinned: it
	 * is the same in every process's page tables and what it points to
	 * belongs to the kernel, while the table at root belongs to whatever
	 * process the vCPU ran and goes when that process exits.
	 */
	bool top_pinned;
	uint64_t top[512];
	uint64_t tc_epoch;	/* of the translation cache; never 0 */
	/* statistics */
	uint64_t walks;		/* translation-cache misses */
	uint64_t pt_reads;
	uint64_t fault_span;	/* size of the unmapped region of the last fault */
	/* kernel addresses whose top-level entry the pinned copy lacks */
	uint64_t top_misses;
	/* optional set of distinct data pages touched (benchmarks) */
	uint64_t *touched;
	unsigned int touched_cap;
	unsigned int touched_nr;
	struct xf_tc_entry tc[XF_TC_SIZE];
};

void xf_vm_init(struct xf_vm *vm, struct xf_mem *mem, uint64_t cr3, uint64_t cr4);
void xf_vm_flush(struct xf_vm *vm);
/* Walks from another top-level table (flushes the cache). */
void xf_vm_set_root(struct xf_vm *vm, uint64_t root);
/* Copies the kernel half of the table at root; translations use the copy. */
int xf_vm_pin_top(struct xf_vm *vm);
/*
 * Takes the kernel half of the table at root instead, if it maps probe (a
 * kernel address) through the same entry as the pinned copy: how top-level
 * entries the kernel adds later (hot-added memory) reach us. 0, or -EINVAL,
 * -EFAULT or -ESTALE with the pinned copy unchanged.
 */
int xf_vm_repin_top(struct xf_vm *vm, uint64_t root, uint64_t probe);
/* Counts distinct data pages read from now on (cap entries at most). */
int xf_vm_track_pages(struct xf_vm *vm, unsigned int cap);
void xf_vm_untrack_pages(struct xf_vm *vm);

/* 0, -EINVAL for a non-canonical address, -EFAULT for an unmapped one. */
int xf_v2p(struct xf_vm *vm, uint64_t va, uint64_t *pa);
int xf_vread(struct xf_vm *vm, uint64_t va, void *buf, size_t len);

bool xf_va_canonical(const struct xf_vm *vm, uint64_t va);
/* A plausible kernel pointer: canonical, upper half, aligned to align. */
bool xf_kptr_ok(const struct xf_vm *vm, uint64_t va, unsigned int align);

/*
 * Small reads inline: a hit in the translation cache on a page the backend
 * lends us is a load; anything else goes through xf_vread.
 */
static inline int xf_vread_small(struct xf_vm *vm, uint64_t va, void *buf, size_t len)
{
	uint64_t vpn = (va >> 12) + 1;
	const struct xf_tc_entry *e = &vm->tc[(vpn ^ (vpn >> XF_TC_BITS)) & (XF_TC_SIZE - 1)];

	if (__builtin_expect(e->vpn == vpn && e->epoch == vm->tc_epoch && e->host &&
			     e->host_gen == vm->mem->unmaps && (va & 0xfff) + len <= XF_PAGE_SIZE &&
			     !vm->touched, 1)) {
		vm->mem->reads++;
		vm->mem->bytes += len;
		__builtin_memcpy(buf, e->host + (va & 0xfff), len);
		return 0;
	}
	return xf_vread(vm, va, buf, len);
}

static inline int xf_read_u64(struct xf_vm *vm, uint64_t va, uint64_t *v)
{
	return xf_vread_small(vm, va, v, 8);
}

static inline int xf_read_u32(struct xf_vm *vm, uint64_t va, uint32_t *v)
{
	return xf_vread_small(vm, va, v, 4);
}

static inline int xf_read_u16(struct xf_vm *vm, uint64_t va, uint16_t *v)
{
	return xf_vread_small(vm, va, v, 2);
}

static inline int xf_read_u8(struct xf_vm *vm, uint64_t va, uint8_t *v)
{
	return xf_vread_small(vm, va, v, 1);
}
/* Reads a kernel pointer and checks it with xf_kptr_ok (NULL gives -ENOENT). */
int xf_read_kptr(struct xf_vm *vm, uint64_t va, uint64_t *v);

#endif /* XF_XLATE_H */
