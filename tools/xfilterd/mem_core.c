// SPDX-License-Identifier: GPL-2.0
/*
 * The core backend: guest memory and vCPU registers from an ELF core written
 * by QEMU's dump-guest-memory (one PT_LOAD per RAM range, p_paddr = guest
 * physical; one "QEMU" note with a QEMUCPUState per vCPU). The file is
 * mapped read-only and every header field is checked against its size,
 * since a core may come from anywhere.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem.h"

#define CORE_MAX_RANGES	4096
#define CORE_MAX_VCPUS	512

/* Byte offsets inside QEMU's QEMUCPUState (target/i386/arch_dump.c). */
#define QCS_SIZE_FIELD		4
#define QCS_RIP			(8 + 16 * 8)
#define QCS_SEG(n)		(8 + 18 * 8 + (n) * 24)	/* cs ds es fs gs ss ldt tr gdt idt */
#define QCS_SEG_CS		0
#define QCS_SEG_GS		4
#define QCS_SEG_IDT		9
#define QCS_SEG_BASE		16
#define QCS_CR(n)		(8 + 18 * 8 + 10 * 24 + (n) * 8)
#define QCS_KERNEL_GS_BASE	QCS_CR(5)
#define QCS_MIN_SIZE		QCS_KERNEL_GS_BASE

struct core_range {
	uint64_t pa;
	uint64_t len;
	uint64_t off;
};

struct core_mem {
	struct xf_mem m;
	const uint8_t *map;
	size_t size;
	bool mapped;
	unsigned int nr_ranges;
	struct core_range *ranges;
	struct xf_vcpu *vcpus;
};

static int range_cmp(const void *a, const void *b)
{
	const struct core_range *x = a, *y = b;

	return x->pa < y->pa ? -1 : x->pa > y->pa;
}

static const struct core_range *core_find(const struct core_mem *c, uint64_t pa)
{
	unsigned int lo = 0, hi = c->nr_ranges;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		const struct core_range *r = &c->ranges[mid];

		if (pa < r->pa)
			hi = mid;
		else if (pa - r->pa >= r->len)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

static int core_read(struct xf_mem *m, uint64_t pa, void *buf, size_t len)
{
	struct core_mem *c = (struct core_mem *)m;
	uint8_t *dst = buf;

	while (len) {
		const struct core_range *r = core_find(c, pa);
		uint64_t in, n;

		if (!r)
			return -EFAULT;
		in = pa - r->pa;
		n = r->len - in;
		if (n > len)
			n = len;
		memcpy(dst, c->map + r->off + in, n);
		dst += n;
		pa += n;
		len -= n;
	}
	return 0;
}

static const void *core_page(struct xf_mem *m, uint64_t pfn)
{
	struct core_mem *c = (struct core_mem *)m;
	const struct core_range *r = core_find(c, pfn << 12);

	if (!r || (pfn << 12) - r->pa + XF_PAGE_SIZE > r->len)
		return NULL;
	return c->map + r->off + ((pfn << 12) - r->pa);
}

static int core_vcpu(struct xf_mem *m, unsigned int idx, struct xf_vcpu *out)
{
	struct core_mem *c = (struct core_mem *)m;

	if (idx >= m->nr_vcpus)
		return -ENOENT;
	*out = c->vcpus[idx];
	return 0;
}

static void core_close(struct xf_mem *m)
{
	struct core_mem *c = (struct core_mem *)m;

	if (c->mapped)
		munmap((void *)c->map, c->size);
	free(c->ranges);
	free(c->vcpus);
	free(c);
}

static const struct xf_mem_ops core_ops = {
	.name = "core",
	.read = core_read,
	.page = core_page,
	.vcpu = core_vcpu,
	.close = core_close,
};

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void parse_qemu_note(struct core_mem *c, const uint8_t *d, uint32_t dsz)
{
	struct xf_vcpu *v;
	uint32_t size;

	if (dsz < QCS_MIN_SIZE || c->m.nr_vcpus >= CORE_MAX_VCPUS)
		return;
	memcpy(&size, d + QCS_SIZE_FIELD, sizeof(size));
	v = &c->vcpus[c->m.nr_vcpus++];
	memset(v, 0, sizeof(*v));
	v->rip = get64(d + QCS_RIP);
	v->cpl = get64(d + QCS_SEG(QCS_SEG_CS)) & 3;
	v->gs_base = get64(d + QCS_SEG(QCS_SEG_GS) + QCS_SEG_BASE);
	v->idtr_base = get64(d + QCS_SEG(QCS_SEG_IDT) + QCS_SEG_BASE);
	v->cr3 = get64(d + QCS_CR(3));
	v->cr4 = get64(d + QCS_CR(4));
	/* kernel_gs_base was appended later; older QEMUs leave it out */
	if (size >= QCS_KERNEL_GS_BASE + 8 && dsz >= QCS_KERNEL_GS_BASE + 8)
		v->kernel_gs_base = get64(d + QCS_KERNEL_GS_BASE);
}

static void parse_notes(struct core_mem *c, uint64_t off, uint64_t len)
{
	uint64_t end = off + len, p = off;

	while (p + sizeof(Elf64_Nhdr) <= end) {
		Elf64_Nhdr nh;
		uint64_t name_len, desc_len, desc_off;

		memcpy(&nh, c->map + p, sizeof(nh));
		name_len = ((uint64_t)nh.n_namesz + 3) & ~3ULL;
		desc_len = ((uint64_t)nh.n_descsz + 3) & ~3ULL;
		desc_off = p + sizeof(nh) + name_len;
		if (desc_off > end || desc_len > end - desc_off)
			return;
		if (nh.n_namesz == 5 && !memcmp(c->map + p + sizeof(nh), "QEMU", 5))
			parse_qemu_note(c, c->map + desc_off, nh.n_descsz);
		p = desc_off + desc_len;
	}
}

static int core_parse(struct core_mem *c, char *err, size_t errlen)
{
	const Elf64_Ehdr *eh = (const void *)c->map;
	unsigned int i;

	if (c->size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_machine != EM_X86_64) {
		snprintf(err, errlen, "not a little-endian x86-64 ELF64 core");
		return -EINVAL;
	}
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phoff > c->size ||
	    (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > c->size - eh->e_phoff ||
	    eh->e_phnum > CORE_MAX_RANGES) {
		snprintf(err, errlen, "ELF program headers out of bounds");
		return -EINVAL;
	}
	c->ranges = calloc(eh->e_phnum ? eh->e_phnum : 1, sizeof(*c->ranges));
	c->vcpus = calloc(CORE_MAX_VCPUS, sizeof(*c->vcpus));
	if (!c->ranges || !c->vcpus) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph;
		uint64_t len;

		memcpy(&ph, c->map + eh->e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_offset > c->size)
			continue;
		len = ph.p_filesz;
		if (len > c->size - ph.p_offset)
			len = c->size - ph.p_offset;	/* truncated core */
		if (ph.p_type == PT_NOTE) {
			parse_notes(c, ph.p_offset, len);
		} else if (ph.p_type == PT_LOAD && len && ph.p_paddr + len > ph.p_paddr) {
			c->ranges[c->nr_ranges].pa = ph.p_paddr;
			c->ranges[c->nr_ranges].len = len;
			c->ranges[c->nr_ranges].off = ph.p_offset;
			c->nr_ranges++;
		}
	}
	qsort(c->ranges, c->nr_ranges, sizeof(*c->ranges), range_cmp);
	/* overlapping ranges would make reads ambiguous: trim them */
	for (i = 1; i < c->nr_ranges; i++) {
		struct core_range *p = &c->ranges[i - 1];

		if (p->pa + p->len > c->ranges[i].pa)
			p->len = c->ranges[i].pa - p->pa;
	}
	if (!c->nr_ranges) {
		snprintf(err, errlen, "core has no memory (no PT_LOAD)");
		return -EINVAL;
	}
	if (!c->m.nr_vcpus) {
		snprintf(err, errlen, "core has no QEMU vCPU state note (dump with "
			 "QEMU dump-guest-memory, ELF format)");
		return -EINVAL;
	}
	return 0;
}

static int core_new(const void *buf, size_t len, bool mapped, struct xf_mem **out,
		    char *err, size_t errlen)
{
	struct core_mem *c = calloc(1, sizeof(*c));
	int ret;

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	c->m.ops = &core_ops;
	c->map = buf;
	c->size = len;
	c->mapped = mapped;
	ret = core_parse(c, err, errlen);
	if (ret) {
		c->mapped = false;	/* the caller unmaps on failure */
		core_close(&c->m);
		return ret;
	}
	*out = &c->m;
	return 0;
}

int xf_mem_core_open_buf(const void *buf, size_t len, struct xf_mem **out,
			 char *err, size_t errlen)
{
	return core_new(buf, len, false, out, err, errlen);
}

int xf_mem_raw_open(const char *path, const struct xf_vcpu *v, struct xf_mem **out,
		    char *err, size_t errlen)
{
	struct core_mem *c;
	struct stat st;
	void *map;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) || st.st_size <= 0) {
		snprintf(err, errlen, "%s: %s", path, fd < 0 ? strerror(errno) : "empty");
		if (fd >= 0)
			close(fd);
		return -EINVAL;
	}
	map = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	c = calloc(1, sizeof(*c));
	if (map == MAP_FAILED || !c) {
		snprintf(err, errlen, "%s: cannot map", path);
		if (map != MAP_FAILED)
			munmap(map, st.st_size);
		free(c);
		return -ENOMEM;
	}
	c->m.ops = &core_ops;
	c->map = map;
	c->size = st.st_size;
	c->mapped = true;
	c->ranges = calloc(1, sizeof(*c->ranges));
	c->vcpus = calloc(1, sizeof(*c->vcpus));
	if (!c->ranges || !c->vcpus) {
		core_close(&c->m);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	c->ranges[0].len = st.st_size;
	c->nr_ranges = 1;
	c->vcpus[0] = *v;
	c->m.nr_vcpus = 1;
	*out = &c->m;
	return 0;
}

int xf_mem_core_open(const char *path, struct xf_mem **out, char *err, size_t errlen)
{
	struct stat st;
	void *map;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return ret;
	}
	if (fstat(fd, &st) || st.st_size <= 0) {
		snprintf(err, errlen, "%s: empty or unreadable", path);
		close(fd);
		return -EINVAL;
	}
	map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		ret = -errno;
		snprintf(err, errlen, "%s: mmap: %s", path, strerror(errno));
		return ret;
	}
	ret = core_new(map, st.st_size, true, out, err, errlen);
	if (ret)
		munmap(map, st.st_size);
	return ret;
}
