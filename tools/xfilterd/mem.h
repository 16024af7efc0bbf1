/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest memory backends: one small vtable that reads frames of a guest and
 * reports its vCPU registers, so the OS logic above never knows whether it
 * reads an ELF core or a running Xen domain.
 */
#ifndef XF_MEM_H
#define XF_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XF_PAGE_SIZE	4096ULL
#define XF_PAGE_MASK	(~(XF_PAGE_SIZE - 1))

/* The registers the introspection needs from one vCPU. */
struct xf_vcpu {
	uint64_t cr3;
	uint64_t cr4;
	uint64_t gs_base;		/* GS in force: user GS when cpl == 3 */
	uint64_t kernel_gs_base;	/* the swapped-out GS (MSR_KERNEL_GS_BASE) */
	uint64_t idtr_base;
	uint64_t rip;
	int cpl;
};

struct xf_mem;

struct xf_mem_ops {
	const char *name;
	/*
	 * Reads len bytes at address pa of the space the guest's page tables
	 * point into (guest-physical; machine addresses for a PV guest).
	 * Returns 0, or -EFAULT when a byte of the range is not backed.
	 */
	int (*read)(struct xf_mem *m, uint64_t pa, void *buf, size_t len);
	/*
	 * Optional: the frame at pfn as a pointer that stays valid until the
	 * backend is closed (a mapped core file) or, for a backend that maps
	 * frames on demand, until it counts an unmap (m->unmaps), or NULL.
	 * Lets reads skip the backend on the hot path.
	 */
	const void *(*page)(struct xf_mem *m, uint64_t pfn);
	/*
	 * Optional: stops (true) or resumes (false) every vCPU of the guest;
	 * the last resort when the live walk keeps seeing broken linkage.
	 */
	int (*pause)(struct xf_mem *m, bool stop);
	/* Registers of vCPU idx; 0 or a negative errno. */
	int (*vcpu)(struct xf_mem *m, unsigned int idx, struct xf_vcpu *out);
	void (*close)(struct xf_mem *m);
};

struct xf_mem {
	const struct xf_mem_ops *ops;
	unsigned int nr_vcpus;
	bool pv;		/* page tables hold machine frames */
	uint64_t reads;		/* statistics */
	uint64_t bytes;
	uint64_t unmaps;	/* frames unmapped: every page() pointer before is void */
	uint64_t maps;		/* frames mapped (a hypercall each, xen) */
	uint64_t ctl_calls;	/* register reads, pause and resume (xen) */
	double map_ms, ctl_ms;	/* the time those took */
};

static inline int xf_mem_read(struct xf_mem *m, uint64_t pa, void *buf, size_t len)
{
	m->reads++;
	m->bytes += len;
	return m->ops->read(m, pa, buf, len);
}

static inline void xf_mem_close(struct xf_mem *m)
{
	if (m)
		m->ops->close(m);
}

/* ELF core written by QEMU's dump-guest-memory (mem_core.c). */
int xf_mem_core_open(const char *path, struct xf_mem **out, char *err, size_t errlen);
/* In-memory core image (the fuzzer and tests build one in a buffer). */
int xf_mem_core_open_buf(const void *buf, size_t len, struct xf_mem **out,
			 char *err, size_t errlen);

/*
 * A raw guest-RAM file (guest-physical address = file offset), e.g. QEMU's
 * memory-backend-file of a running guest, with registers given by the
 * caller. Mapped shared: reads see the guest as it runs.
 */
int xf_mem_raw_open(const char *path, const struct xf_vcpu *v, struct xf_mem **out,
		    char *err, size_t errlen);

/* A running Xen domain (mem_xen.c); fails clearly outside dom0. */
int xf_mem_xen_open(unsigned int domid, struct xf_mem **out, char *err, size_t errlen);

#endif /* XF_MEM_H */
