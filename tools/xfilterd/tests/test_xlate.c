// SPDX-License-Identifier: GPL-2.0
/* Unit tests: page-table walks, pointer rules and the core backend. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mem.h"
#include "profile.h"
#include "synth.h"
#include "xlate.h"

struct fixture {
	struct synth *s;
	uint8_t *core;
	struct xf_mem *mem;
	struct xf_vm vm;
};

static struct fixture *open_synth(struct synth *s, int cpl)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct xf_vcpu v;
	size_t len;
	char err[128];

	assert_non_null(f);
	f->s = s;
	f->core = synth_core(s, &len, cpl);
	assert_int_equal(xf_mem_core_open_buf(f->core, len, &f->mem, err, sizeof(err)), 0);
	assert_int_equal(f->mem->nr_vcpus, 1);
	assert_int_equal(f->mem->ops->vcpu(f->mem, 0, &v), 0);
	xf_vm_init(&f->vm, f->mem, v.cr3, v.cr4);
	return f;
}

static void close_synth(struct fixture *f)
{
	xf_mem_close(f->mem);
	free(f->core);
	synth_free(f->s);
	free(f);
}

static void check_pages(int levels)
{
	struct synth *s = synth_new(levels, false, false);
	uint64_t va4k = 0xffffc90000000000ULL, va1g = 0xffffa00000000000ULL, pa;
	struct fixture *f;
	uint32_t v;

	synth_map(s, va4k, 0x500000, 1);
	synth_map(s, va4k + 0x1000, 0x700000, 1);	/* not contiguous */
	synth_map(s, va1g, 0, 3);
	memcpy(s->mem + 0x500ffe, "\x11\x22", 2);
	memcpy(s->mem + 0x700000, "\x33\x44", 2);
	f = open_synth(s, 0);
	assert_int_equal(f->vm.levels, levels);
	assert_int_equal(xf_v2p(&f->vm, va4k + 0x123, &pa), 0);
	assert_int_equal(pa, 0x500123);
	/* a read across the page boundary follows both frames */
	assert_int_equal(xf_vread(&f->vm, va4k + 0xffe, &v, 4), 0);
	assert_int_equal(v, 0x44332211);
	/* 2 MiB page: the kernel image */
	assert_int_equal(xf_v2p(&f->vm, SYN_TEXT + 0x12345, &pa), 0);
	assert_int_equal(pa, SYN_TEXT_PA + 0x12345);
	/* 1 GiB page */
	assert_int_equal(xf_v2p(&f->vm, va1g + 0x3456789, &pa), 0);
	assert_int_equal(pa, 0x3456789);
	/* not present at the PTE and at a higher level */
	assert_int_equal(xf_v2p(&f->vm, va4k + 0x2000, &pa), -EFAULT);
	assert_int_equal(xf_v2p(&f->vm, 0xffffe80000000000ULL, &pa), -EFAULT);
	close_synth(f);
}

static void test_4level(void **state)
{
	check_pages(4);
}

static void test_5level(void **state)
{
	check_pages(5);
}

static void test_canonical(void **state)
{
	struct fixture *f4 = open_synth(synth_new(4, false, false), 0);
	struct fixture *f5 = open_synth(synth_new(5, false, false), 0);
	uint64_t pa;

	assert_true(xf_va_canonical(&f4->vm, 0xffff888000000000ULL));
	assert_false(xf_va_canonical(&f4->vm, 0xff00888000000000ULL));
	assert_true(xf_va_canonical(&f5->vm, 0xff00888000000000ULL));
	assert_false(xf_va_canonical(&f5->vm, 0xf000000000000000ULL));
	assert_int_equal(xf_v2p(&f4->vm, 0x8000000000000000ULL, &pa), -EINVAL);
	/* kernel pointers: upper half, canonical, aligned */
	assert_true(xf_kptr_ok(&f4->vm, 0xffff888000001000ULL, 8));
	assert_false(xf_kptr_ok(&f4->vm, 0x00007fffdeadb000ULL, 8));
	assert_false(xf_kptr_ok(&f4->vm, 0xffff888000001004ULL, 8));
	assert_false(xf_kptr_ok(&f4->vm, 0, 8));
	close_synth(f4);
	close_synth(f5);
}

static void test_user_mode_cr3(void **state)
{
	/* PCID bits and the PTI user-PGD bit are masked off CR3 */
	struct fixture *f = open_synth(synth_new(4, false, false), 3);
	struct xf_vcpu v;
	uint64_t pa;

	f->mem->ops->vcpu(f->mem, 0, &v);
	assert_int_equal(v.cpl, 3);
	assert_int_not_equal(v.cr3 & 0x1fff, 0);
	assert_int_equal(v.kernel_gs_base, f->s->gs_base);
	assert_int_equal(xf_v2p(&f->vm, SYN_TEXT, &pa), 0);
	close_synth(f);
}

static void test_cache(void **state)
{
	struct fixture *f = open_synth(synth_new(4, false, false), 0);
	uint64_t pa, walks;

	assert_int_equal(xf_v2p(&f->vm, SYN_DMAP + SYN_OBJ_PA, &pa), 0);
	walks = f->vm.walks;
	assert_int_equal(xf_v2p(&f->vm, SYN_DMAP + SYN_OBJ_PA + 8, &pa), 0);
	assert_int_equal(f->vm.walks, walks);
	xf_vm_flush(&f->vm);
	assert_int_equal(xf_v2p(&f->vm, SYN_DMAP + SYN_OBJ_PA + 8, &pa), 0);
	assert_int_equal(f->vm.walks, walks + 1);
	close_synth(f);
}

static void test_find_text(void **state)
{
	struct fixture *f = open_synth(synth_new(5, false, false), 0);
	uint64_t text;

	assert_int_equal(xf_find_text(&f->vm, &text), 0);
	assert_int_equal(text, SYN_TEXT);
	close_synth(f);
}

static void test_core_rejects(void **state)
{
	struct synth *s = synth_new(4, false, false);
	struct xf_mem *m;
	uint8_t *core;
	size_t len;
	char err[128];

	core = synth_core(s, &len, 0);
	/* truncated below the program headers */
	assert_int_not_equal(xf_mem_core_open_buf(core, 40, &m, err, sizeof(err)), 0);
	/* program headers pointing past the end */
	((uint64_t *)core)[4] = len;	/* e_phoff */
	assert_int_not_equal(xf_mem_core_open_buf(core, len, &m, err, sizeof(err)), 0);
	/* not ELF */
	core[0] = 0;
	assert_int_not_equal(xf_mem_core_open_buf(core, len, &m, err, sizeof(err)), 0);
	free(core);
	/* a truncated memory range reads as unbacked, not out of bounds */
	core = synth_core(s, &len, 0);
	assert_int_equal(xf_mem_core_open_buf(core, len - SYN_MEM / 2, &m, err, sizeof(err)), 0);
	{
		uint8_t b[8];

		assert_int_equal(xf_mem_read(m, SYN_MEM - 8, b, 8), -EFAULT);
		assert_int_equal(xf_mem_read(m, 0x1000, b, 8), 0);
	}
	xf_mem_close(m);
	free(core);
	synth_free(s);
}

/*
 * A backend that maps frames on demand and lends them (as the xen one): a
 * frame it lent and unmapped since is never read through the old pointer.
 */
struct lender {
	struct xf_mem m;
	struct xf_mem *inner;
	uint8_t buf[2][4096];
	unsigned int cur, lent, reads;
};

static int lender_read(struct xf_mem *m, uint64_t pa, void *buf, size_t len)
{
	struct lender *l = (struct lender *)m;

	l->reads++;
	return l->inner->ops->read(l->inner, pa, buf, len);
}

static const void *lender_page(struct xf_mem *m, uint64_t pfn)
{
	struct lender *l = (struct lender *)m;

	l->lent++;
	if (l->inner->ops->read(l->inner, pfn << 12, l->buf[l->cur], 4096))
		return NULL;
	return l->buf[l->cur];
}

static int lender_vcpu(struct xf_mem *m, unsigned int idx, struct xf_vcpu *out)
{
	struct lender *l = (struct lender *)m;

	return l->inner->ops->vcpu(l->inner, idx, out);
}

static void lender_close(struct xf_mem *m)
{
}

static const struct xf_mem_ops lender_ops = {
	.name = "lender", .read = lender_read, .page = lender_page,
	.vcpu = lender_vcpu, .close = lender_close,
};

static void test_lent_pages(void **state)
{
	struct synth *s = synth_new(4, false, false);
	uint64_t va = 0xffffc90000000000ULL, v;
	struct lender *l = calloc(1, sizeof(*l));
	struct fixture *f;
	unsigned int n;

	assert_non_null(l);
	synth_map(s, va, 0x500000, 1);
	memcpy(s->mem + 0x500010, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	f = open_synth(s, 0);
	l->m.ops = &lender_ops;
	l->inner = f->mem;
	f->vm.mem = &l->m;
	assert_int_equal(xf_read_u64(&f->vm, va + 0x10, &v), 0);
	assert_true(v == 0x0807060504030201ULL);
	assert_int_equal(l->lent, 1);
	/* lent: the next read is a load from the lent bytes, no backend call */
	n = l->reads;
	assert_int_equal(xf_read_u64(&f->vm, va + 0x10, &v), 0);
	assert_int_equal(l->lent, 1);
	assert_int_equal(l->reads, n);
	/* the backend unmaps it (its bytes are someone else's now): never read again */
	memset(l->buf[0], 0xaa, sizeof(l->buf[0]));
	l->cur = 1;
	l->m.unmaps++;
	assert_int_equal(xf_read_u64(&f->vm, va + 0x10, &v), 0);
	assert_true(v == 0x0807060504030201ULL);
	assert_int_equal(l->lent, 2);	/* lent again, from its new mapping */
	assert_int_equal(xf_read_u64(&f->vm, va + 0x10, &v), 0);
	assert_true(v == 0x0807060504030201ULL);
	assert_int_equal(l->lent, 2);
	f->vm.mem = l->inner;
	free(l);
	close_synth(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_4level),
		cmocka_unit_test(test_5level),
		cmocka_unit_test(test_canonical),
		cmocka_unit_test(test_user_mode_cr3),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_find_text),
		cmocka_unit_test(test_core_rejects),
		cmocka_unit_test(test_lent_pages),
	};

	return cmocka_run_group_tests_name("xfilterd_xlate", tests, NULL, NULL);
}
