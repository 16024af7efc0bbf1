// SPDX-License-Identifier: GPL-2.0
/*
 * The xen backend: a running domain's memory through foreign mappings from
 * dom0 and its vCPU registers through libxenctrl. Mapping a frame costs a
 * hypercall and a TLB flush, so mapped frames are kept in a small LRU.
 * HVM/PVH page tables hold guest frames, PV page tables machine frames;
 * foreign mapping takes whichever the domain's tables use, so the walk
 * above is the same for both.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <xenctrl.h>
#include <xenforeignmemory.h>
#include <xen/hvm/save.h>

#include "mem.h"

#define LRU_FRAMES	1024
#define LRU_HASH	2048

struct frame {
	uint64_t pfn;
	void *addr;
	struct frame *hnext;
	struct frame *prev, *next;	/* LRU, most recent first */
};

struct xen_mem {
	struct xf_mem m;
	xc_interface *xch;
	xenforeignmemory_handle *fmem;
	uint32_t domid;
	bool hvm;
	unsigned int nr_frames;
	struct frame *hash[LRU_HASH];
	struct frame *head, *tail;	/* head: the frame read last */
	struct frame pool[LRU_FRAMES];
};

/* The cost of the calls into Xen, for the daemon's per-walk figures. */
static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static unsigned int hslot(uint64_t pfn)
{
	return (unsigned int)((pfn * 0x9e3779b97f4a7c15ULL) >> 40) % LRU_HASH;
}

static void lru_unlink(struct xen_mem *x, struct frame *f)
{
	if (f->prev)
		f->prev->next = f->next;
	else
		x->head = f->next;
	if (f->next)
		f->next->prev = f->prev;
	else
		x->tail = f->prev;
	f->prev = f->next = NULL;
}

static void lru_front(struct xen_mem *x, struct frame *f)
{
	f->next = x->head;
	f->prev = NULL;
	if (x->head)
		x->head->prev = f;
	x->head = f;
	if (!x->tail)
		x->tail = f;
}

static void hash_del(struct xen_mem *x, struct frame *f)
{
	struct frame **pp = &x->hash[hslot(f->pfn)];

	while (*pp && *pp != f)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = f->hnext;
}

static void *frame_get(struct xen_mem *x, uint64_t pfn)
{
	struct frame *f;
	xen_pfn_t p = (xen_pfn_t)pfn;
	int err = 0;
	void *addr;
	double t0;

	/* a walk reads several fields of one object in a row */
	if (x->head && x->head->pfn == pfn)
		return x->head->addr;
	for (f = x->hash[hslot(pfn)]; f; f = f->hnext) {
		if (f->pfn == pfn) {
			lru_unlink(x, f);
			lru_front(x, f);
			return f->addr;
		}
	}
	t0 = now_ms();
	x->m.maps++;
	addr = xenforeignmemory_map(x->fmem, x->domid, PROT_READ, 1, &p, &err);
	if (addr && err) {
		xenforeignmemory_unmap(x->fmem, addr, 1);
		addr = NULL;
	}
	if (addr && x->nr_frames < LRU_FRAMES) {
		f = &x->pool[x->nr_frames++];
	} else if (addr) {
		f = x->tail;
		lru_unlink(x, f);
		hash_del(x, f);
		xenforeignmemory_unmap(x->fmem, f->addr, 1);
		x->m.unmaps++;	/* what xen_page() lent is void now */
	}
	x->m.map_ms += now_ms() - t0;
	if (!addr)
		return NULL;
	f->pfn = pfn;
	f->addr = addr;
	f->hnext = x->hash[hslot(pfn)];
	x->hash[hslot(pfn)] = f;
	lru_front(x, f);
	return addr;
}

static int xen_read(struct xf_mem *m, uint64_t pa, void *buf, size_t len)
{
	struct xen_mem *x = (struct xen_mem *)m;
	uint8_t *dst = buf;

	while (len) {
		size_t in = pa & (XF_PAGE_SIZE - 1), n = XF_PAGE_SIZE - in;
		uint8_t *page = frame_get(x, pa >> 12);

		if (!page)
			return -EFAULT;	/* unpopulated, or the domain is gone */
		if (n > len)
			n = len;
		memcpy(dst, page + in, n);
		dst += n;
		pa += n;
		len -= n;
	}
	return 0;
}

/*
 * Lends a mapped frame to the translation cache: a walk's reads of it are
 * then loads, not a trip through the hash and LRU each. Valid until the
 * next unmap (m.unmaps), which the cache checks.
 */
static const void *xen_page(struct xf_mem *m, uint64_t pfn)
{
	return frame_get((struct xen_mem *)m, pfn);
}

static int xen_vcpu_get(struct xen_mem *x, unsigned int idx, struct xf_vcpu *out)
{
	memset(out, 0, sizeof(*out));
	if (x->hvm) {
		struct hvm_hw_cpu c;

		if (xc_domain_hvm_getcontext_partial(x->xch, x->domid, HVM_SAVE_CODE(CPU),
						     (uint16_t)idx, &c, sizeof(c)))
			return -errno;
		out->cr3 = c.cr3;
		out->cr4 = c.cr4;
		out->gs_base = c.gs_base;
		out->kernel_gs_base = c.shadow_gs;
		out->idtr_base = c.idtr_base;
		out->rip = c.rip;
		out->cpl = (c.ss_arbytes >> 5) & 3;
	} else {
		vcpu_guest_context_any_t c;

		if (xc_vcpu_getcontext(x->xch, x->domid, idx, &c))
			return -errno;
		/* a machine frame: the page tables below hold machine frames too */
		out->cr3 = (uint64_t)xen_cr3_to_pfn(c.x64.ctrlreg[3]) << 12;
		out->cr4 = 0;	/* PV guests run 4-level paging */
		out->gs_base = c.x64.gs_base_kernel;
		out->kernel_gs_base = c.x64.gs_base_kernel;
		out->rip = c.x64.user_regs.rip;
		out->cpl = 0;
	}
	return 0;
}

static int xen_vcpu(struct xf_mem *m, unsigned int idx, struct xf_vcpu *out)
{
	struct xen_mem *x = (struct xen_mem *)m;
	double t0 = now_ms();
	int ret = xen_vcpu_get(x, idx, out);

	m->ctl_calls++;
	m->ctl_ms += now_ms() - t0;
	return ret;
}

static int xen_pause(struct xf_mem *m, bool stop)
{
	struct xen_mem *x = (struct xen_mem *)m;
	double t0 = now_ms();
	int ret = 0;

	if (stop ? xc_domain_pause(x->xch, x->domid) : xc_domain_unpause(x->xch, x->domid))
		ret = -errno;
	m->ctl_calls++;
	m->ctl_ms += now_ms() - t0;
	return ret;
}

static void xen_close(struct xf_mem *m)
{
	struct xen_mem *x = (struct xen_mem *)m;
	unsigned int i;

	for (i = 0; i < x->nr_frames; i++)
		xenforeignmemory_unmap(x->fmem, x->pool[i].addr, 1);
	if (x->fmem)
		xenforeignmemory_close(x->fmem);
	if (x->xch)
		xc_interface_close(x->xch);
	free(x);
}

static const struct xf_mem_ops xen_ops = {
	.name = "xen",
	.read = xen_read,
	.page = xen_page,
	.pause = xen_pause,
	.vcpu = xen_vcpu,
	.close = xen_close,
};

int xf_mem_xen_open(unsigned int domid, struct xf_mem **out, char *err, size_t errlen)
{
	struct xen_mem *x = calloc(1, sizeof(*x));
	xc_dominfo_t info;
	int ret;

	if (!x) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	x->m.ops = &xen_ops;
	x->domid = domid;
	x->xch = xc_interface_open(NULL, NULL, 0);
	if (!x->xch) {
		ret = errno ? -errno : -ENODEV;
		snprintf(err, errlen, "cannot open the Xen control interface (%s): "
			 "xfilterd --domain must run as root in a Xen dom0",
			 strerror(-ret));
		goto fail;
	}
	if (xc_domain_getinfo(x->xch, domid, 1, &info) != 1 || info.domid != domid) {
		ret = -ENOENT;
		snprintf(err, errlen, "no domain %u", domid);
		goto fail;
	}
	if (info.dying) {
		ret = -ESRCH;
		snprintf(err, errlen, "domain %u is being destroyed", domid);
		goto fail;
	}
	x->hvm = info.hvm;
	x->m.pv = !info.hvm;
	x->m.nr_vcpus = info.max_vcpu_id + 1;
	x->fmem = xenforeignmemory_open(NULL, 0);
	if (!x->fmem) {
		ret = errno ? -errno : -ENODEV;
		snprintf(err, errlen, "cannot open foreign memory mappings: %s",
			 strerror(-ret));
		goto fail;
	}
	*out = &x->m;
	return 0;
fail:
	xen_close(&x->m);
	return ret;
}
