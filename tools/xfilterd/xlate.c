// SPDX-License-Identifier: GPL-2.0
/*
 * Address translation from the guest's own page tables. The walk always
 * starts from the kernel half of CR3 (PCID and the PTI user bit masked),
 * so a vCPU caught in user mode translates kernel addresses as well.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xlate.h"

#define PTE_PRESENT	(1ULL << 0)
#define PTE_PS		(1ULL << 7)

void xf_vm_init(struct xf_vm *vm, struct xf_mem *mem, uint64_t cr3, uint64_t cr4)
{
	memset(vm, 0, sizeof(*vm));
	vm->mem = mem;
	vm->root = cr3 & XF_CR3_MASK;
	vm->levels = (cr4 & XF_CR4_LA57) ? 5 : 4;
	vm->tc_epoch = 1;
}

void xf_vm_flush(struct xf_vm *vm)
{
	vm->tc_epoch++;		/* 64 bits: never wraps */
}

void xf_vm_set_root(struct xf_vm *vm, uint64_t root)
{
	vm->root = root & XF_PTE_ADDR;
	vm->top_pinned = false;
	xf_vm_flush(vm);
}

int xf_vm_pin_top(struct xf_vm *vm)
{
	uint64_t top[256];

	if (xf_mem_read(vm->mem, vm->root + 2048, top, sizeof(top)))
		return -EFAULT;
	memset(vm->top, 0, 2048);	/* the user half: never ours to read */
	memcpy(vm->top + 256, top, sizeof(top));
	vm->top_pinned = true;
	xf_vm_flush(vm);
	return 0;
}

int xf_vm_repin_top(struct xf_vm *vm, uint64_t root, uint64_t probe)
{
	unsigned int idx = (unsigned int)(probe >> (12 + 9 * (vm->levels - 1))) & 0x1ff;
	uint64_t top[256];

	if (!vm->top_pinned || idx < 256 || !(vm->top[idx] & PTE_PRESENT) || !root ||
	    (root & ~XF_PTE_ADDR))
		return -EINVAL;
	if (xf_mem_read(vm->mem, root + 2048, top, sizeof(top)))
		return -EFAULT;
	/* the same kernel: the probe's top-level entry must be the one we know */
	if ((top[idx - 256] ^ vm->top[idx]) & (XF_PTE_ADDR | PTE_PRESENT))
		return -ESTALE;
	memcpy(vm->top + 256, top, sizeof(top));
	vm->root = root;
	xf_vm_flush(vm);
	return 0;
}

int xf_vm_track_pages(struct xf_vm *vm, unsigned int cap)
{
	free(vm->touched);
	vm->touched = calloc(cap, sizeof(*vm->touched));
	vm->touched_cap = vm->touched ? cap : 0;
	vm->touched_nr = 0;
	return vm->touched ? 0 : -ENOMEM;
}

void xf_vm_untrack_pages(struct xf_vm *vm)
{
	free(vm->touched);
	vm->touched = NULL;
	vm->touched_cap = vm->touched_nr = 0;
}

static void track(struct xf_vm *vm, uint64_t pa)
{
	uint64_t key = (pa >> 12) + 1;
	unsigned int i, h;

	if (!vm->touched || vm->touched_nr * 2 >= vm->touched_cap)
		return;
	h = (unsigned int)((key * 0x9e3779b97f4a7c15ULL) >> 40) % vm->touched_cap;
	for (i = 0; i < vm->touched_cap; i++) {
		uint64_t *s = &vm->touched[(h + i) % vm->touched_cap];

		if (*s == key)
			return;
		if (!*s) {
			*s = key;
			vm->touched_nr++;
			return;
		}
	}
}

bool xf_va_canonical(const struct xf_vm *vm, uint64_t va)
{
	int bits = vm->levels == 5 ? 57 : 48;
	int64_t s = (int64_t)(va << (64 - bits)) >> (64 - bits);

	return (uint64_t)s == va;
}

bool xf_kptr_ok(const struct xf_vm *vm, uint64_t va, unsigned int align)
{
	if (!xf_va_canonical(vm, va) || !(va >> 63))
		return false;
	return !(va & (align - 1));
}

/* The frame's bytes, if the backend lends them, valid while its unmaps stay. */
static void lend(struct xf_vm *vm, struct xf_tc_entry *e)
{
	e->host = vm->mem->ops->page ? vm->mem->ops->page(vm->mem, e->pa >> 12) : NULL;
	e->host_gen = vm->mem->unmaps;	/* after page(): it may have unmapped another */
}

int xf_v2p(struct xf_vm *vm, uint64_t va, uint64_t *pa)
{
	uint64_t vpn = (va >> 12) + 1, table = vm->root;
	struct xf_tc_entry *e = &vm->tc[(vpn ^ (vpn >> XF_TC_BITS)) & (XF_TC_SIZE - 1)];
	int lvl;

	if (e->vpn == vpn && e->epoch == vm->tc_epoch) {
		if (e->host_gen != vm->mem->unmaps)
			lend(vm, e);	/* the frame it lent went */
		*pa = e->pa | (va & 0xfff);
		return 0;
	}
	if (!xf_va_canonical(vm, va))
		return -EINVAL;
	vm->walks++;
	for (lvl = vm->levels; lvl >= 1; lvl--) {
		int shift = 12 + 9 * (lvl - 1);
		uint64_t pte;

		if (lvl == vm->levels && vm->top_pinned) {
			pte = vm->top[(va >> shift) & 0x1ff];
			if (!(pte & PTE_PRESENT) && (va >> 63))
				vm->top_misses++;	/* added since we pinned? */
		} else {
			vm->pt_reads++;
			if (xf_mem_read(vm->mem, table + ((va >> shift) & 0x1ff) * 8, &pte, 8))
				return -EFAULT;
		}
		if (!(pte & PTE_PRESENT)) {
			vm->fault_span = 1ULL << shift;
			return -EFAULT;
		}
		if ((lvl == 2 || lvl == 3) && (pte & PTE_PS)) {
			uint64_t span = 1ULL << shift;
			uint64_t frame = (pte & XF_PTE_ADDR & ~(span - 1)) | (va & (span - 1));

			e->vpn = vpn;
			e->epoch = vm->tc_epoch;
			e->pa = frame & XF_PAGE_MASK;
			lend(vm, e);
			*pa = frame;
			return 0;
		}
		table = pte & XF_PTE_ADDR;
	}
	e->vpn = vpn;
	e->epoch = vm->tc_epoch;
	e->pa = table;
	lend(vm, e);
	*pa = table | (va & 0xfff);
	return 0;
}

int xf_vread(struct xf_vm *vm, uint64_t va, void *buf, size_t len)
{
	uint64_t vpn = (va >> 12) + 1;
	const struct xf_tc_entry *e = &vm->tc[(vpn ^ (vpn >> XF_TC_BITS)) & (XF_TC_SIZE - 1)];
	uint8_t *dst = buf;

	/* hot path: within one cached page whose bytes the backend lends us */
	if (e->vpn == vpn && e->epoch == vm->tc_epoch && e->host && e->host_gen == vm->mem->unmaps &&
	    (va & 0xfff) + len <= XF_PAGE_SIZE) {
		vm->mem->reads++;
		vm->mem->bytes += len;
		memcpy(buf, e->host + (va & 0xfff), len);
		if (vm->touched)
			track(vm, e->pa);
		return 0;
	}

	while (len) {
		size_t chunk = XF_PAGE_SIZE - (va & 0xfff);
		uint64_t pa;
		int ret;

		if (chunk > len)
			chunk = len;
		ret = xf_v2p(vm, va, &pa);
		if (ret)
			return ret;
		if (xf_mem_read(vm->mem, pa, dst, chunk))
			return -EFAULT;
		track(vm, pa);
		dst += chunk;
		va += chunk;
		len -= chunk;
	}
	return 0;
}

int xf_read_kptr(struct xf_vm *vm, uint64_t va, uint64_t *v)
{
	int ret = xf_read_u64(vm, va, v);

	if (ret)
		return ret;
	if (!*v)
		return -ENOENT;
	return xf_kptr_ok(vm, *v, 8) ? 0 : -EINVAL;
}
