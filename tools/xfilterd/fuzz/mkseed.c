// SPDX-License-Identifier: GPL-2.0
/*
 * Writes the fuzzer's seed cores. Synthetic ones come from the unit tests'
 * guest builder; a real one is cut from a real guest's dump: only the pages
 * a scan reads are kept, and the multi-megabyte BTF is replaced, at the
 * same address, by a small BTF that gives exactly the same offsets.
 *
 * usage: mkseed OUTDIR [REAL_CORE NAME]
 */
#include <bpf/btf.h>
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lookup.h"
#include "scan.h"
#include "synth.h"

/* ---- a backend that records which frames are read ---- */

struct rec_mem {
	struct xf_mem m;
	struct xf_mem *inner;
	uint64_t *pfns;
	size_t nr, cap;
};

static int rec_read(struct xf_mem *m, uint64_t pa, void *buf, size_t len)
{
	struct rec_mem *r = (struct rec_mem *)m;
	uint64_t p;

	for (p = pa >> 12; len && p <= (pa + len - 1) >> 12; p++) {
		if (r->nr == r->cap) {
			r->cap = r->cap ? r->cap * 2 : 1024;
			r->pfns = realloc(r->pfns, r->cap * sizeof(*r->pfns));
			if (!r->pfns)
				abort();
		}
		r->pfns[r->nr++] = p;
	}
	return xf_mem_read(r->inner, pa, buf, len);
}

static int rec_vcpu(struct xf_mem *m, unsigned int idx, struct xf_vcpu *v)
{
	struct rec_mem *r = (struct rec_mem *)m;

	return r->inner->ops->vcpu(r->inner, idx, v);
}

static void rec_close(struct xf_mem *m)
{
	(void)m;
}

static const struct xf_mem_ops rec_ops = {
	.name = "rec", .read = rec_read, .vcpu = rec_vcpu, .close = rec_close,
};

static int u64cmp(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	return *x < *y ? -1 : *x > *y;
}

/* ---- a small BTF with the offsets of a profile ---- */

static int b_struct(struct btf *b, const char *name, uint32_t size)
{
	int id = btf__add_struct(b, name, size);

	if (id < 0)
		abort();
	return id;
}

static void b_field(struct btf *b, const char *name, int type, uint32_t off)
{
	if (btf__add_field(b, name, type, off * 8, 0))
		abort();
}

/* the types of the socket hash tables, so that lookups work on the seed too */
static void btf_add_tables(struct btf *b, const struct xf_offsets *o,
			   const struct xf_lookup_off *t, int u16, int u32, int u64)
{
	b_struct(b, "proto", 0x200);
	b_field(b, "h", u64, o->proto_h);
	b_struct(b, "net", 0x1000);
	b_field(b, "hash_mix", u32, o->net_hash_mix);
	if (t->per_netns_tcp || t->per_netns_udp)
		b_field(b, "ipv4", u64, t->net_ipv4);
	if (t->per_netns_tcp || t->per_netns_udp) {
		b_struct(b, "netns_ipv4", 0x1000);
		if (t->per_netns_tcp)
			b_field(b, "tcp_death_row", u64, t->ipv4_death_row);
		if (t->per_netns_udp)
			b_field(b, "udp_table", u64, t->ipv4_udp_table);
	}
	if (t->per_netns_tcp) {
		b_struct(b, "inet_timewait_death_row", 0x40);
		b_field(b, "hashinfo", u64, t->death_row_hashinfo);
	}
	b_struct(b, "inet_hashinfo", 0x100);
	b_field(b, "bhash", u64, t->hi_bhash);
	b_field(b, "bhash_size", u32, t->hi_bhash_size);
	b_struct(b, "inet_bind_hashbucket", t->bhb_size);
	b_field(b, "chain", u64, t->bhb_chain);
	b_struct(b, "inet_bind_bucket", 0x80);
	b_field(b, "port", u16, t->tb_port);
	b_field(b, "node", u64, t->tb_node);
	if (t->tb_has_owners) {
		b_field(b, "owners", u64, t->tb_owners);
	} else {
		b_field(b, "bhash2", u64, t->tb_bhash2);
		b_struct(b, "inet_bind2_bucket", 0x80);
		b_field(b, "bhash_node", u64, t->tb2_bhash_node);
		b_field(b, "owners", u64, t->tb2_owners);
	}
	b_struct(b, "udp_table", 0x20);
	b_field(b, "hash", u64, t->ut_hash);
	b_field(b, "mask", u32, t->ut_mask);
	b_struct(b, "udp_hslot", t->hs_size);
	b_field(b, "head", u64, t->hs_head);
}

static struct btf *btf_from_offsets(const struct xf_offsets *o, const struct xf_lookup_off *t)
{
	struct btf *b = btf__new_empty();
	int u8, u16, u32, u64, c16, c65, inode, sock_t, utsn, sc, ptr, var;

	u8 = btf__add_int(b, "u8", 1, 0);
	u16 = btf__add_int(b, "u16", 2, 0);
	u32 = btf__add_int(b, "u32", 4, 0);
	u64 = btf__add_int(b, "u64", 8, 0);
	c16 = btf__add_array(b, u32, u8, 16);
	c65 = btf__add_array(b, u32, u8, 65);
	b_struct(b, "task_struct", o->task_size ? o->task_size : 0x4000);
	b_field(b, "tasks", u64, o->ts_tasks);
	b_field(b, "pid", u32, o->ts_pid);
	b_field(b, "tgid", u32, o->ts_tgid);
	b_field(b, "comm", c16, o->ts_comm);
	b_field(b, "real_cred", u64, o->ts_real_cred);
	b_field(b, "files", u64, o->ts_files);
	b_field(b, "mm", u64, o->ts_mm);
	b_field(b, "flags", u32, o->ts_flags);
	b_field(b, "start_time", u64, o->ts_start_time);
	b_field(b, "nsproxy", u64, o->ts_nsproxy);
	b_field(b, "exit_state", u32, o->ts_exit_state);
	b_struct(b, "cred", 0x100);
	b_field(b, "uid", u32, o->cred_uid);
	b_field(b, "gid", u32, o->cred_gid);
	b_struct(b, "nsproxy", 0x80);
	b_field(b, "uts_ns", u64, o->nsproxy_uts_ns);
	utsn = b_struct(b, "new_utsname", 390);
	b_field(b, "release", c65, o->utsname_release);
	b_struct(b, "uts_namespace", 0x400);
	b_field(b, "name", utsn, o->uts_ns_name);
	b_struct(b, "files_struct", 0x400);
	b_field(b, "fdt", u64, o->files_fdt);
	b_struct(b, "fdtable", 0x40);
	b_field(b, "max_fds", u32, o->fdt_max_fds);
	b_field(b, "fd", u64, o->fdt_fd);
	b_struct(b, "file", 0x200);
	b_field(b, "f_op", u64, o->file_f_op);
	b_field(b, "private_data", u64, o->file_private_data);
	b_field(b, "f_inode", u64, o->file_f_inode);
	sock_t = b_struct(b, "socket", 0x80);
	b_field(b, "file", u64, o->socket_file);
	b_field(b, "sk", u64, o->socket_sk);
	inode = b_struct(b, "inode", 0x300);
	b_field(b, "i_mode", u16, o->inode_i_mode);
	b_field(b, "i_ino", u64, o->inode_i_ino);
	b_struct(b, "socket_alloc", 0x400);
	b_field(b, "socket", sock_t, o->socket_alloc_socket);
	b_field(b, "vfs_inode", inode, o->socket_alloc_vfs_inode);
	sc = b_struct(b, "sock_common", 0x88);
	b_field(b, "skc_daddr", u32, o->sk_daddr);
	b_field(b, "skc_rcv_saddr", u32, o->sk_rcv_saddr);
	b_field(b, "skc_dport", u16, o->sk_dport);
	b_field(b, "skc_num", u16, o->sk_num);
	b_field(b, "skc_family", u16, o->sk_family);
	b_field(b, "skc_state", u8, o->sk_state);
	b_field(b, "skc_prot", u64, o->sk_prot);
	b_field(b, "skc_net", u64, o->sk_net);
	b_field(b, "skc_v6_daddr", c16, o->sk_v6_daddr);
	b_field(b, "skc_v6_rcv_saddr", c16, o->sk_v6_rcv_saddr);
	if (t && t->ok) {
		b_field(b, "skc_node", u64, o->sk_node);
		b_field(b, "skc_bind_node", u64, o->sk_bind_node);
	}
	b_struct(b, "sock", o->sock_size ? o->sock_size : 0x400);
	b_field(b, "__sk_common", sc, 0);
	b_field(b, "sk_uid", u32, o->sk_uid);
	if (o->sk_socket)
		b_field(b, "sk_socket", u64, o->sk_socket);
	if (btf__add_field(b, "sk_protocol", o->sk_protocol.bit_size ? u32 : u16,
			   o->sk_protocol.bit_off, o->sk_protocol.bit_size) ||
	    btf__add_field(b, "sk_type", o->sk_type.bit_size ? u32 : u16,
			   o->sk_type.bit_off, o->sk_type.bit_size))
		abort();
	if (t && t->ok)
		btf_add_tables(b, o, t, u16, u32, u64);
	ptr = btf__add_ptr(b, u64);
	var = btf__add_var(b, "current_task", BTF_VAR_GLOBAL_ALLOCATED, ptr);
	btf__add_datasec(b, ".data..percpu", o->pcpu_current_task + 8);
	btf__add_datasec_var_info(b, var, o->pcpu_current_task, 8);
	return b;
}

/* ---- ELF core writer ---- */

#define QCS_LEN 440

static int write_core(const char *path, const struct xf_vcpu *v, const uint64_t *pfns,
		      size_t nr, const uint8_t *pages)
{
	size_t nranges = 0, i, hdr, note, off;
	Elf64_Ehdr eh = { 0 };
	Elf64_Nhdr nh = { .n_namesz = 5, .n_descsz = QCS_LEN };
	uint8_t q[QCS_LEN] = { 0 }, name[8] = "QEMU";
	uint64_t x;
	FILE *f;

	for (i = 0; i < nr; i++)
		if (!i || pfns[i] != pfns[i - 1] + 1)
			nranges++;
	hdr = sizeof(eh) + (nranges + 1) * sizeof(Elf64_Phdr);
	note = sizeof(nh) + 8 + QCS_LEN;
	f = fopen(path, "w");
	if (!f)
		return -errno;
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_CORE;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = (uint16_t)(nranges + 1);
	fwrite(&eh, sizeof(eh), 1, f);
	{
		Elf64_Phdr ph = { .p_type = PT_NOTE, .p_offset = hdr, .p_filesz = note };

		fwrite(&ph, sizeof(ph), 1, f);
	}
	off = hdr + note;
	for (i = 0; i < nr;) {
		size_t j = i + 1;
		Elf64_Phdr ph = { .p_type = PT_LOAD, .p_offset = off, .p_paddr = pfns[i] << 12 };

		while (j < nr && pfns[j] == pfns[j - 1] + 1)
			j++;
		ph.p_filesz = ph.p_memsz = (j - i) * 4096;
		fwrite(&ph, sizeof(ph), 1, f);
		off += ph.p_filesz;
		i = j;
	}
	fwrite(&nh, sizeof(nh), 1, f);
	fwrite(name, 8, 1, f);
	x = 1 | (uint64_t)QCS_LEN << 32;
	memcpy(q, &x, 8);
	x = v->cpl == 3 ? 0x33 : 0x10;
	memcpy(q + 152, &x, 8);
	memcpy(q + 152 + 4 * 24 + 16, &v->gs_base, 8);
	memcpy(q + 392 + 3 * 8, &v->cr3, 8);
	memcpy(q + 392 + 4 * 8, &v->cr4, 8);
	memcpy(q + 432, &v->kernel_gs_base, 8);
	fwrite(q, QCS_LEN, 1, f);
	fwrite(pages, 4096, nr, f);
	return fclose(f) ? -errno : 0;
}

static int real_seed(const char *core, const char *out)
{
	struct rec_mem rec = { .m = { .ops = &rec_ops } };
	struct xf_offsets chk;
	struct xf_lookup lk;
	struct xf_table t = { 0 };
	struct xf_walker w;
	struct xf_guest g;
	struct xf_mem *mem;
	struct xf_vm *vm;
	struct btf *small;
	const uint8_t *raw;
	uint8_t *pages;
	uint64_t text, start, btf_first, btf_last, pa, p;
	uint32_t raw_size;
	char err[256];
	size_t i, n;

	if (xf_mem_core_open(core, &mem, err, sizeof(err)) ||
	    xf_guest_attach(&g, mem, err, sizeof(err))) {
		fprintf(stderr, "mkseed: %s\n", err);
		return 1;
	}
	xf_lookup_init(&lk, &g.walker, g.prof.btf);
	small = btf_from_offsets(&g.prof.off, &lk.off);
	raw = btf__raw_data(small, &raw_size);
	if (xf_offsets_from_btf(small, &chk, err, sizeof(err)) ||
	    memcmp(&chk.pcpu_current_task, &g.prof.off.pcpu_current_task,
		   offsetof(struct xf_offsets, sk_node))) {
		fprintf(stderr, "mkseed: the small BTF does not give the same offsets (%s)\n", err);
		return 1;
	}
	/* the same scan again, through the recorder */
	rec.inner = mem;
	vm = calloc(1, sizeof(*vm));
	xf_vm_init(vm, &rec.m, g.vcpu.cr3, g.vcpu.cr4);
	vm->root = g.vm->root;
	xf_find_text(vm, &text);
	xf_walker_init(&w, vm, &g.prof);
	if (xf_current_task(&w, &g.vcpu, &start) || xf_walk(&w, start, &t)) {
		fprintf(stderr, "mkseed: walk failed\n");
		return 1;
	}
	xf_profile_release(vm, &g.prof, start);
	/* the hash tables: whole bucket arrays, and every socket's chain */
	if (lk.off.ok) {
		struct xf_lookup l2;
		uint64_t arr;
		uint32_t sz;
		uint8_t *tmp;

		xf_lookup_init(&l2, &w, g.prof.btf);
		xf_lookup_learn(&l2, &t);
		l2.use_index = false;
		if (l2.tcp_hashinfo &&
		    !xf_read_u64(vm, l2.tcp_hashinfo + lk.off.hi_bhash, &arr) &&
		    !xf_read_u32(vm, l2.tcp_hashinfo + lk.off.hi_bhash_size, &sz) &&
		    sz <= (1U << 20) && (tmp = malloc((size_t)sz * lk.off.bhb_size))) {
			xf_vread(vm, arr, tmp, (size_t)sz * lk.off.bhb_size);
			free(tmp);
		}
		if (l2.udp_table &&
		    !xf_read_u64(vm, l2.udp_table + lk.off.ut_hash, &arr) &&
		    !xf_read_u32(vm, l2.udp_table + lk.off.ut_mask, &sz) &&
		    sz < (1U << 20) && (tmp = malloc(((size_t)sz + 1) * lk.off.hs_size))) {
			xf_vread(vm, arr, tmp, ((size_t)sz + 1) * lk.off.hs_size);
			free(tmp);
		}
		for (i = 0; i < t.nr_socks; i++) {
			const struct xf_sock_info *so = &t.socks[i];
			struct xf_flow f = { .family = so->family, .proto = so->proto,
					     .lport = so->lport, .rport = so->rport ? so->rport : 4444 };
			struct xf_sock_info r;

			memcpy(f.laddr, so->laddr, 16);
			memcpy(f.raddr, so->raddr, 16);
			xf_lookup_flow(&l2, &f, &r);
		}
		xf_lookup_free(&l2);
	}
	/* the pages that will hold the small BTF at the real one's address */
	xf_v2p(vm, g.prof.btf_va, &pa);
	btf_first = pa >> 12;
	xf_v2p(vm, g.prof.btf_va + raw_size - 1, &pa);
	btf_last = pa >> 12;
	for (p = btf_first; p <= btf_last; p++)
		rec_read(&rec.m, p << 12, &i, 1);
	qsort(rec.pfns, rec.nr, sizeof(*rec.pfns), u64cmp);
	for (i = n = 0; i < rec.nr; i++)
		if (!n || rec.pfns[i] != rec.pfns[n - 1])
			rec.pfns[n++] = rec.pfns[i];
	pages = calloc(n, 4096);
	for (i = 0; i < n; i++) {
		xf_mem_read(mem, rec.pfns[i] << 12, pages + i * 4096, 4096);
		if (rec.pfns[i] >= btf_first && rec.pfns[i] <= btf_last) {
			/* copy the part of the small BTF that falls in this page */
			uint64_t page_va = g.prof.btf_va - (g.prof.btf_va & 0xfff) +
					   (rec.pfns[i] - btf_first) * 4096;
			uint64_t from = page_va < g.prof.btf_va ? g.prof.btf_va : page_va;
			uint64_t to = page_va + 4096, end = g.prof.btf_va + raw_size;

			if (to > end)
				to = end;
			memcpy(pages + i * 4096 + (from - page_va), raw + (from - g.prof.btf_va),
			       to - from);
		}
	}
	if (write_core(out, &g.vcpu, rec.pfns, n, pages)) {
		fprintf(stderr, "mkseed: cannot write %s\n", out);
		return 1;
	}
	fprintf(stderr, "mkseed: %s: %zu pages, %zu tasks, %zu sockets, BTF %u bytes\n", out,
		n, t.nr_tasks, t.nr_socks, raw_size);
	return 0;
}

static void synth_seed(const char *dir, const char *name, int levels, bool hot, bool bf,
		       int cpl)
{
	struct synth *s = synth_new(levels, hot, bf);
	char path[512];
	uint64_t t, fds;
	uint8_t *core;
	size_t len;
	FILE *f;

	synth_task(s, 2, 2, 0, 0, "kthreadd", true);
	t = synth_task(s, 100, 100, 1000, 1005, "websrv", false);
	fds = synth_fdtable(s, t, 64);
	synth_socket(s, fds, 3, 2, 6, "0.0.0.0", 8080, "0.0.0.0", 0, 10);
	synth_socket(s, fds, 5, 10, 17, "::1", 5353, "::", 0, 7);
	t = synth_task(s, 200, 200, 1001, 1001, "client", false);
	fds = synth_fdtable(s, t, 128);
	synth_socket(s, fds, 100, 2, 6, "127.0.0.1", 40000, "127.0.0.1", 8080, 1);
	(void)cpl;
	core = synth_core_sparse(s, &len);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || fwrite(core, len, 1, f) != 1 || fclose(f))
		perror(path);
	free(core);
	synth_free(s);
}

int main(int argc, char **argv)
{
	char path[512];

	if (argc != 2 && argc != 4) {
		fprintf(stderr, "usage: mkseed OUTDIR [REAL_CORE NAME]\n");
		return 2;
	}
	synth_seed(argv[1], "synth-4level", 4, false, false, 0);
	synth_seed(argv[1], "synth-5level-pcpu-hot", 5, true, false, 0);
	synth_seed(argv[1], "synth-bitfield", 4, false, true, 0);
	if (argc == 4) {
		snprintf(path, sizeof(path), "%s/%s", argv[1], argv[3]);
		return real_seed(argv[2], path);
	}
	return 0;
}
