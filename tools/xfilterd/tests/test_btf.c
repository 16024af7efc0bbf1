// SPDX-License-Identifier: GPL-2.0
/* Unit tests: BTF found in guest memory and the offsets taken from it. */
#include <bpf/btf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "profile.h"
#include "synth.h"

struct g {
	struct synth *s;
	uint8_t *core;
	struct xf_mem *mem;
	struct xf_vm vm;
};

static void open_g(struct g *g, struct synth *s)
{
	struct xf_vcpu v;
	size_t len;
	char err[128];

	g->s = s;
	g->core = synth_core(s, &len, 0);
	assert_int_equal(xf_mem_core_open_buf(g->core, len, &g->mem, err, sizeof(err)), 0);
	g->mem->ops->vcpu(g->mem, 0, &v);
	xf_vm_init(&g->vm, g->mem, v.cr3, v.cr4);
}

static void close_g(struct g *g)
{
	xf_mem_close(g->mem);
	free(g->core);
	synth_free(g->s);
}

static void check_profile(bool hot, bool bitfield)
{
	struct xf_profile p;
	struct g g;
	char err[256];

	open_g(&g, synth_new(4, hot, bitfield));
	assert_int_equal(xf_profile_build(&g.vm, &p, err, sizeof(err)), 0);
	assert_int_equal(p.text, SYN_TEXT);
	assert_int_equal(p.kaslr_offset, SYN_SLIDE);
	assert_int_equal(p.btf_va, SYN_TEXT + SYN_BTF_OFF);
	assert_int_equal(p.off.pcpu_current_task, SYN_PCPU_CUR);
	assert_int_equal(p.off.ts_tasks, T_TASKS);
	assert_int_equal(p.off.ts_comm, T_COMM);
	assert_int_equal(p.off.cred_gid, C_GID);
	assert_int_equal(p.off.socket_alloc_vfs_inode, SA_INODE);
	/* members of anonymous structs inside anonymous unions */
	assert_int_equal(p.off.sk_rcv_saddr, SK_RCV);
	assert_int_equal(p.off.sk_daddr, SK_DADDR);
	assert_int_equal(p.off.sk_v6_rcv_saddr, SK_V6_R);
	assert_true(p.off.has_v6);
	if (bitfield) {
		assert_int_equal(p.off.sk_protocol.bit_size, 8);
		assert_int_equal(p.off.sk_protocol.bit_off, SK_PROTOCOL * 8 + 8);
		assert_int_equal(p.off.sk_type.bit_size, 16);
	} else {
		assert_int_equal(p.off.sk_protocol.bit_size, 0);
		assert_int_equal(p.off.sk_protocol.bit_off, SK_PROTOCOL * 8);
		assert_int_equal(p.off.sk_protocol.size, 2);
	}
	assert_int_equal(xf_profile_release(&g.vm, &p, g.s->init_task), 0);
	assert_string_equal(p.release, "6.1.0-synth");
	xf_profile_free(&p);
	close_g(&g);
}

static void test_plain_current_task(void **state)
{
	check_profile(false, false);
}

static void test_pcpu_hot(void **state)
{
	check_profile(true, false);
}

static void test_bitfield_protocol(void **state)
{
	check_profile(false, true);
}

static void test_read_bitfield(void **state)
{
	struct g g;
	struct xf_field f = { .bit_off = 8 * 8 + 8, .bit_size = 8 };
	struct synth *s = synth_new(4, false, false);
	uint64_t obj = synth_alloc(s, 64), v;

	synth_w32(s, obj + 8, 0x0002117fU);	/* protocol 0x11 at bits 8..15 */
	open_g(&g, s);
	assert_int_equal(xf_read_field(&g.vm, obj, &f, &v), 0);
	assert_int_equal(v, 0x11);
	f.bit_off = 8 * 8 + 16;
	f.bit_size = 16;
	assert_int_equal(xf_read_field(&g.vm, obj, &f, &v), 0);
	assert_int_equal(v, 2);
	close_g(&g);
}

static void test_no_btf(void **state)
{
	struct xf_profile p;
	struct g g;
	char err[256];

	open_g(&g, synth_new(4, false, false));
	/* wipe the magic: the guest has no BTF, and the message says what is needed */
	xf_mem_close(g.mem);
	free(g.core);
	memset(g.s->mem + SYN_TEXT_PA + SYN_BTF_OFF, 0, 8);
	{
		struct xf_vcpu v;
		size_t len;

		g.core = synth_core(g.s, &len, 0);
		assert_int_equal(xf_mem_core_open_buf(g.core, len, &g.mem, err, sizeof(err)), 0);
		g.mem->ops->vcpu(g.mem, 0, &v);
		xf_vm_init(&g.vm, g.mem, v.cr3, v.cr4);
	}
	assert_int_equal(xf_profile_build(&g.vm, &p, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "CONFIG_DEBUG_INFO_BTF"));
	close_g(&g);
}

static void test_missing_member(void **state)
{
	struct btf *b = btf__new_empty();
	struct xf_offsets o;
	struct xf_field f;
	char err[256];
	int u32;

	u32 = btf__add_int(b, "u32", 4, 0);
	btf__add_struct(b, "task_struct", 16);
	btf__add_field(b, "pid", u32, 0, 0);
	assert_int_equal(xf_btf_member(b, "task_struct", "pid", &f), 0);
	assert_int_equal(xf_btf_member(b, "task_struct", "tgid", &f), -ENOENT);
	assert_int_equal(xf_btf_member(b, "no_such", "pid", &f), -ENOENT);
	assert_int_not_equal(xf_offsets_from_btf(b, &o, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "task_struct.tasks"));
	btf__free(b);
}

static void test_btf_size_lies(void **state)
{
	/* a header claiming more than the cap is no BTF */
	struct g g;
	uint64_t va;
	uint32_t size, huge = 0x7fffffff;

	open_g(&g, synth_new(4, false, false));
	xf_mem_close(g.mem);
	free(g.core);
	memcpy(g.s->mem + SYN_TEXT_PA + SYN_BTF_OFF + 12, &huge, 4);
	memcpy(g.s->mem + SYN_TEXT_PA + SYN_BTF_OFF + 16, &huge, 4);
	{
		struct xf_vcpu v;
		size_t len;
		char err[64];

		g.core = synth_core(g.s, &len, 0);
		assert_int_equal(xf_mem_core_open_buf(g.core, len, &g.mem, err, sizeof(err)), 0);
		g.mem->ops->vcpu(g.mem, 0, &v);
		xf_vm_init(&g.vm, g.mem, v.cr3, v.cr4);
	}
	assert_int_equal(xf_find_btf(&g.vm, SYN_TEXT, 0, 0, &va, &size), -ENOENT);
	close_g(&g);
}

static void test_btf_member_loop(void **state)
{
	/* two anonymous structs that contain each other: the search must end */
	struct btf *b = btf__new_empty();
	struct xf_field f;
	int u32, a;

	u32 = btf__add_int(b, "u32", 4, 0);
	a = btf__add_struct(b, "looped", 8);
	assert_int_equal(btf__add_field(b, NULL, a + 1, 0, 0), 0);
	assert_int_equal(btf__add_struct(b, NULL, 8), a + 1);
	assert_int_equal(btf__add_field(b, NULL, a, 0, 0), 0);
	assert_int_equal(btf__add_field(b, "x", u32, 32, 0), 0);
	assert_int_equal(xf_btf_member(b, "looped", "nothere", &f), -ENOENT);
	btf__free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_current_task),
		cmocka_unit_test(test_pcpu_hot),
		cmocka_unit_test(test_bitfield_protocol),
		cmocka_unit_test(test_read_bitfield),
		cmocka_unit_test(test_no_btf),
		cmocka_unit_test(test_missing_member),
		cmocka_unit_test(test_btf_size_lies),
		cmocka_unit_test(test_btf_member_loop),
	};

	return cmocka_run_group_tests_name("xfilterd_btf", tests, NULL, NULL);
}
