// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests on a real Debian 6.1 guest (the fuzzer's minimised seed):
 * targeted lookups through its socket hash tables, and the bounds of
 * lookups and walk when its tables, task list, fd tables or page tables are
 * forged.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lookup.h"
#include "scan.h"

#define SEED "../fuzz/corpus/real-6.1-la57"

struct lk {
	uint8_t *buf;
	struct xf_mem *mem;
	struct xf_guest g;
	struct xf_table t;
	struct xf_lookup l;
};

static void open_seed(struct lk *k)
{
	FILE *f = fopen(SEED, "rb");
	char err[256];
	long len;

	memset(k, 0, sizeof(*k));
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	k->buf = malloc((size_t)len);
	assert_int_equal(fread(k->buf, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	assert_int_equal(xf_mem_core_open_buf(k->buf, (size_t)len, &k->mem, err, sizeof(err)), 0);
	assert_int_equal(xf_guest_attach(&k->g, k->mem, err, sizeof(err)), 0);
	assert_int_equal(xf_guest_walk(&k->g, &k->t), 0);
	assert_int_equal(xf_lookup_init(&k->l, &k->g.walker, k->g.prof.btf), 0);
	assert_true(k->l.off.ok);
	assert_int_equal(xf_lookup_learn(&k->l, &k->t), 0);
	assert_true(k->l.tcp_hashinfo != 0);
	assert_true(k->l.udp_table != 0);
}

static void close_seed(struct lk *k)
{
	xf_lookup_free(&k->l);
	xf_table_free(&k->t);
	xf_guest_detach(&k->g);
	xf_mem_close(k->mem);
	free(k->buf);
}

/* the seed's own bytes at a guest address, to forge them */
static uint8_t *guest_bytes(struct lk *k, uint64_t va)
{
	uint64_t pa;

	assert_int_equal(xf_v2p(k->g.vm, va, &pa), 0);
	return (uint8_t *)k->mem->ops->page(k->mem, pa >> 12) + (pa & 0xfff);
}

static struct xf_flow flow4(int proto, const char *l, uint16_t lp, const char *r, uint16_t rp)
{
	struct xf_flow f = { .family = AF_INET, .proto = (uint8_t)proto, .lport = lp, .rport = rp };

	inet_pton(AF_INET, l, f.laddr);
	inet_pton(AF_INET, r, f.raddr);
	return f;
}

static void test_tables(void **state)
{
	struct xf_sock_info s;
	struct xf_flow f;
	struct lk k;

	open_seed(&k);
	k.l.use_index = false;
	/* a v4 packet to the dual-stack UDP socket [::]:5353 of alice_srv */
	f = flow4(17, "10.0.0.2", 5353, "10.0.0.1", 7777);
	assert_int_equal(xf_lookup_flow(&k.l, &f, &s), 0);
	assert_string_equal(s.comm, "alice_srv");
	assert_int_equal(s.uid, 1000);
	/* a new connection to websrv's listener */
	f = flow4(6, "10.0.0.2", 8080, "192.0.2.1", 40000);
	assert_int_equal(xf_lookup_flow(&k.l, &f, &s), 0);
	assert_string_equal(s.comm, "websrv");
	assert_int_equal(s.state, 10);
	/* nobody there */
	f = flow4(17, "10.0.0.2", 40001, "10.0.0.1", 7777);
	assert_int_equal(xf_lookup_flow(&k.l, &f, &s), -ENOENT);
	f = flow4(6, "10.0.0.2", 1, "10.0.0.1", 7777);
	assert_int_equal(xf_lookup_flow(&k.l, &f, &s), -ENOENT);
	close_seed(&k);
}

static void test_index(void **state)
{
	const struct xf_sock_info *est = NULL;
	struct xf_sock_info s;
	struct xf_flow f = { 0 };
	struct lk k;
	size_t i;

	open_seed(&k);
	for (i = 0; i < k.t.nr_socks && !est; i++)
		if (k.t.socks[i].proto == 6 && k.t.socks[i].state == 1)
			est = &k.t.socks[i];
	assert_non_null(est);
	f.family = est->family;
	f.proto = 6;
	f.lport = est->lport;
	f.rport = est->rport;
	memcpy(f.laddr, est->laddr, 16);
	memcpy(f.raddr, est->raddr, 16);
	assert_int_equal(xf_lookup_flow(&k.l, &f, &s), 0);
	assert_int_equal(k.l.index_hits, 1);
	assert_int_equal(s.pid, est->pid);
	/* the socket changed since the walk: the index answer is re-checked */
	*(uint16_t *)guest_bytes(&k, est->sk + k.g.prof.off.sk_num) ^= 0x5555;
	k.l.index_hits = 0;
	xf_lookup_flow(&k.l, &f, &s);
	assert_int_equal(k.l.index_hits, 0);
	close_seed(&k);
}

static void test_chain_cycle(void **state)
{
	const struct xf_lookup_off *o;
	struct xf_sock_info s;
	struct xf_flow f;
	uint64_t hash, node;
	uint32_t mask;
	struct lk k;

	open_seed(&k);
	o = &k.l.off;
	k.l.use_index = false;
	k.l.max_chain = 1000;
	assert_int_equal(xf_read_u64(k.g.vm, k.l.udp_table + o->ut_hash, &hash), 0);
	assert_int_equal(xf_read_u32(k.g.vm, k.l.udp_table + o->ut_mask, &mask), 0);
	assert_int_equal(xf_read_u64(k.g.vm, hash + ((5353 + k.l.hash_mix) & mask) * o->hs_size +
				     o->hs_head, &node), 0);
	assert_true(node != 0);
	/* the first socket of 5353's slot now points at itself */
	memcpy(guest_bytes(&k, node), &node, 8);
	/* a port of the same slot that nobody has: the walk of the chain must end */
	f = flow4(17, "10.0.0.2", (uint16_t)(5353 + mask + 1), "10.0.0.1", 7777);
	assert_int_equal(xf_lookup_flow(&k.l, &f, &s), -ELOOP);
	assert_true(k.l.chain_steps <= 1001);
	close_seed(&k);
}

static void test_absurd_tables(void **state)
{
	struct xf_sock_info s;
	struct xf_flow f;
	uint32_t huge = 0x7fffffff;
	struct lk k;

	open_seed(&k);
	k.l.use_index = false;
	memcpy(guest_bytes(&k, k.l.tcp_hashinfo + k.l.off.hi_bhash_size), &huge, 4);
	f = flow4(6, "10.0.0.2", 8080, "192.0.2.1", 40000);
	assert_int_equal(xf_lookup_flow(&k.l, &f, &s), -EFAULT);
	/* a hash array pointer into user space */
	memset(guest_bytes(&k, k.l.udp_table + k.l.off.ut_hash), 0, 8);
	f = flow4(17, "10.0.0.2", 5353, "10.0.0.1", 7777);
	assert_int_not_equal(xf_lookup_flow(&k.l, &f, &s), 0);
	close_seed(&k);
}

/* forged kernel structures in a real guest's memory: the walk stays bounded */
static void test_forged_walk(void **state)
{
	const struct xf_offsets *o;
	struct xf_table t = { 0 };
	uint64_t fdt = 0, files;
	struct lk k;
	size_t i, socks;
	int ret;

	open_seed(&k);
	o = &k.g.prof.off;
	socks = k.t.nr_socks;
	/* a task's fd table claims 2^31 entries: its fds are refused, nothing else changes */
	for (i = 0; i < k.t.nr_tasks && !fdt; i++) {
		if (strcmp(k.t.tasks[i].comm, "many_fds"))
			continue;
		assert_int_equal(xf_read_u64(k.g.vm, k.t.tasks[i].addr + o->ts_files, &files), 0);
		assert_int_equal(xf_read_u64(k.g.vm, files + o->files_fdt, &fdt), 0);
	}
	assert_true(fdt != 0);
	*(uint32_t *)guest_bytes(&k, fdt + o->fdt_max_fds) = 0x80000000U;
	assert_int_equal(xf_walk(&k.g.walker, k.g.start_task, &t), 0);
	assert_int_equal(t.st.refused_fdt, 1);
	assert_true(t.nr_socks < socks && t.nr_socks > 0);
	/* a task whose list link points at itself: a cycle that misses the head */
	{
		uint64_t a = k.t.tasks[k.t.nr_tasks / 2].addr + o->ts_tasks;

		memcpy(guest_bytes(&k, a), &a, 8);
		ret = xf_walk(&k.g.walker, k.g.start_task, &t);
		assert_int_equal(ret, -EAGAIN);
		assert_true(t.st.incomplete);
		assert_int_equal(t.st.restarts, k.g.walker.lim.max_restarts + 1);
	}
	/* every top-level entry points back at the top table: any address translates */
	{
		uint64_t root = k.g.vm->root, e = root | 0x63;
		uint8_t *top = (uint8_t *)k.mem->ops->page(k.mem, root >> 12);

		for (i = 0; i < 512; i++)
			memcpy(top + i * 8, &e, 8);
		xf_vm_flush(k.g.vm);
		ret = xf_walk(&k.g.walker, k.g.start_task, &t);
		assert_true(ret == 0 || ret == -EAGAIN || ret == -EINVAL || ret == -EFAULT);
		assert_true(t.st.reads <= k.g.walker.lim.max_reads + 1024);
	}
	xf_table_free(&t);
	close_seed(&k);
}

static const struct xf_sock_info *established(struct lk *k)
{
	size_t i;

	for (i = 0; i < k->t.nr_socks; i++)
		if (k->t.socks[i].proto == 6 && k->t.socks[i].state == 1)
			return &k->t.socks[i];
	fail();
	return NULL;
}

static struct xf_flow flow_of(const struct xf_sock_info *so)
{
	struct xf_flow f = { .family = so->family, .proto = so->proto,
			     .lport = so->lport, .rport = so->rport };

	memcpy(f.laddr, so->laddr, 16);
	memcpy(f.raddr, so->raddr, 16);
	return f;
}

/*
 * A socket the guest's tables hold but the last walk did not see (a process
 * started since): its owner is not known yet. While walks are rate limited
 * the miss waits for the next one; it is never answered "owner unknown"
 * before a walk that began after it, and that walk names the owner.
 */
static void test_newer_than_walk(void **state)
{
	const struct xf_sock_info *est;
	struct xf_table old = { 0 };
	struct xf_sock_info s;
	struct xf_flow f;
	struct lk k;
	size_t i;

	open_seed(&k);
	est = established(&k);
	f = flow_of(est);
	/* the last walk, from before the socket existed */
	old.socks = calloc(k.t.nr_socks, sizeof(*old.socks));
	assert_non_null(old.socks);
	for (i = 0; i < k.t.nr_socks; i++)
		if (k.t.socks[i].sk != est->sk)
			old.socks[old.nr_socks++] = k.t.socks[i];
	assert_true(old.nr_socks < k.t.nr_socks);
	assert_int_equal(xf_lookup_learn(&k.l, &old), 0);
	assert_int_equal(xf_lookup_flow(&k.l, &f, &s), 0);
	assert_int_equal(s.sk, est->sk);	/* found through the hash tables */
	assert_true(s.pid < 0);
	/* rate limited: waits; not: walks now. Never "owner unknown" from a stale walk */
	assert_int_equal(xf_miss_act(0, &s, false, false), XF_MISS_DEFER);
	assert_int_equal(xf_miss_act(0, &s, false, true), XF_MISS_REFRESH);
	/* the next walk sees it: the answer names its owner */
	assert_int_equal(xf_lookup_learn(&k.l, &k.t), 0);
	assert_int_equal(xf_lookup_flow(&k.l, &f, &s), 0);
	assert_int_equal(s.pid, est->pid);
	assert_int_equal(s.uid, est->uid);
	assert_int_equal(xf_miss_act(0, &s, true, false), XF_MISS_OWNER);
	assert_int_equal(xf_miss_act(0, &s, false, false), XF_MISS_OWNER);
	/* a fresh walk that still finds no task: then, and only then, "owner unknown" */
	s.pid = -1;
	assert_int_equal(xf_miss_act(0, &s, true, false), XF_MISS_OWNER);
	assert_int_equal(xf_miss_act(-ENOENT, &s, false, false), XF_MISS_NONE);
	assert_int_equal(xf_miss_act(-EFAULT, &s, false, false), XF_MISS_DEFER);
	assert_int_equal(xf_miss_act(-EFAULT, &s, true, false), XF_MISS_UNKNOWN);
	free(old.socks);
	close_seed(&k);
}

/*
 * The walk's socket freed and another one at the same address on the same
 * flow (another process, another uid): everything the re-read compares is
 * equal but the socket's inode number. The old owner must not be named.
 */
static void test_address_reuse(void **state)
{
	const struct xf_offsets *o;
	const struct xf_sock_info *est;
	struct xf_sock_info s;
	struct xf_flow f;
	uint64_t sock, ino;
	struct lk k;

	open_seed(&k);
	o = &k.g.prof.off;
	assert_true(o->sk_socket != 0);
	est = established(&k);
	f = flow_of(est);
	assert_true(est->ino != 0);
	assert_int_equal(xf_lookup_flow(&k.l, &f, &s), 0);
	assert_int_equal(s.pid, est->pid);
	assert_int_equal(s.ino, est->ino);	/* read live, equal to the walk's */
	assert_int_equal(k.l.ino_mismatch, 0);
	/* a new socket in the same memory: a new inode */
	assert_int_equal(xf_read_kptr(k.g.vm, est->sk + o->sk_socket, &sock), 0);
	ino = est->ino + 1000;
	memcpy(guest_bytes(&k, sock - o->socket_alloc_socket + o->socket_alloc_vfs_inode +
			   o->inode_i_ino), &ino, 8);
	assert_int_equal(xf_lookup_flow(&k.l, &f, &s), 0);
	assert_true(s.pid < 0);
	assert_int_equal(s.ino, ino);
	assert_int_equal(k.l.ino_mismatch, 1);
	assert_int_equal(xf_miss_act(0, &s, false, false), XF_MISS_DEFER);
	/* the same without the index (through the hash tables): the same answer */
	k.l.use_index = false;
	assert_int_equal(xf_lookup_flow(&k.l, &f, &s), 0);
	assert_true(s.pid < 0);
	k.l.use_index = true;
	/* a socket being released (no struct socket any more): not the old owner either */
	memset(guest_bytes(&k, est->sk + o->sk_socket), 0, 8);
	assert_int_equal(xf_lookup_flow(&k.l, &f, &s), 0);
	assert_true(s.pid < 0);
	close_seed(&k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_index),
		cmocka_unit_test(test_chain_cycle),
		cmocka_unit_test(test_absurd_tables),
		cmocka_unit_test(test_forged_walk),
		cmocka_unit_test(test_newer_than_walk),
		cmocka_unit_test(test_address_reuse),
	};

	return cmocka_run_group_tests_name("xfilterd_lookup", tests, NULL, NULL);
}
