// SPDX-License-Identifier: GPL-2.0
/* Builder of synthetic guests: see synth.h. */
#include <arpa/inet.h>
#include <bpf/btf.h>
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synth.h"

static bool g_bitfield;

static void die(const char *what)
{
	fprintf(stderr, "synth: %s\n", what);
	abort();
}

static uint64_t pt_page(struct synth *s)
{
	uint64_t pa = s->pt_next;

	s->pt_next += 4096;
	if (s->pt_next > SYN_TEXT_PA)
		die("out of page-table pages");
	memset(s->mem + pa, 0, 4096);
	return pa;
}

int synth_map(struct synth *s, uint64_t va, uint64_t pa, int page_level)
{
	uint64_t table = s->cr3 & 0x000ffffffffff000ULL;
	int lvl;

	for (lvl = s->levels; lvl > page_level; lvl--) {
		int shift = 12 + 9 * (lvl - 1);
		uint64_t *e = (uint64_t *)(s->mem + table + ((va >> shift) & 0x1ff) * 8);

		if (!(*e & 1))
			*e = pt_page(s) | 0x63;
		table = *e & 0x000ffffffffff000ULL;
	}
	{
		int shift = 12 + 9 * (page_level - 1);
		uint64_t *e = (uint64_t *)(s->mem + table + ((va >> shift) & 0x1ff) * 8);

		*e = pa | 0x63 | (page_level > 1 ? 0x80 : 0);
	}
	return 0;
}

uint64_t synth_pa(const struct synth *s, uint64_t va)
{
	if (va >= SYN_TEXT && va < SYN_TEXT + (2U << 20))
		return SYN_TEXT_PA + (va - SYN_TEXT);
	return va - SYN_DMAP;
}

uint64_t synth_alloc(struct synth *s, size_t size)
{
	uint64_t pa = s->obj_next;

	s->obj_next = (s->obj_next + size + 63) & ~63ULL;
	if (s->obj_next > SYN_MEM)
		die("out of object memory");
	memset(s->mem + pa, 0, size);
	return SYN_DMAP + pa;
}

void synth_wbytes(struct synth *s, uint64_t va, const void *p, size_t n)
{
	uint64_t pa = synth_pa(s, va);

	if (pa > SYN_MEM || n > SYN_MEM - pa)
		die("write outside memory");
	memcpy(s->mem + pa, p, n);
}

void synth_w64(struct synth *s, uint64_t va, uint64_t v) { synth_wbytes(s, va, &v, 8); }
void synth_w32(struct synth *s, uint64_t va, uint32_t v) { synth_wbytes(s, va, &v, 4); }
void synth_w16(struct synth *s, uint64_t va, uint16_t v) { synth_wbytes(s, va, &v, 2); }
void synth_w8(struct synth *s, uint64_t va, uint8_t v) { synth_wbytes(s, va, &v, 1); }

uint64_t synth_r64(struct synth *s, uint64_t va)
{
	uint64_t v;

	memcpy(&v, s->mem + synth_pa(s, va), 8);
	return v;
}

/* ---- BTF of the synthetic kernel ---- */

struct fld {
	const char *name;
	uint32_t off;		/* bytes */
	int type;
	uint32_t bit_off;	/* for bitfields, absolute bit offset */
	uint32_t bits;
};

static void add_struct(struct btf *b, const char *name, uint32_t size, const struct fld *f,
		       size_t n, bool is_union)
{
	size_t i;

	if ((is_union ? btf__add_union(b, name, size) : btf__add_struct(b, name, size)) < 0)
		die("btf struct");
	for (i = 0; i < n; i++)
		if (btf__add_field(b, f[i].name, f[i].type,
				   f[i].bits ? f[i].bit_off : f[i].off * 8, f[i].bits) < 0)
			die("btf field");
}

#define ADD(b, name, size, ...) do { \
	const struct fld _f[] = { __VA_ARGS__ }; \
	add_struct(b, name, size, _f, sizeof(_f) / sizeof(_f[0]), false); \
} while (0)

static struct btf *synth_btf(bool pcpu_hot, bool bitfield)
{
	struct btf *b = btf__new_empty();
	int u8, u16, u32, u64, c16, c65, a16, anon_s, anon_u, sc, inode, sock, ptr, var, hot;

	if (!b)
		die("btf__new_empty");
	u8 = btf__add_int(b, "u8", 1, 0);
	u16 = btf__add_int(b, "u16", 2, 0);
	u32 = btf__add_int(b, "u32", 4, 0);
	u64 = btf__add_int(b, "u64", 8, 0);
	c16 = btf__add_array(b, u32, u8, 16);
	c65 = btf__add_array(b, u32, u8, 65);
	a16 = c16;
	ADD(b, "task_struct", T_SIZE,
	    { "flags", T_FLAGS, u32 }, { "tasks", T_TASKS, u64 }, { "pid", T_PID, u32 },
	    { "tgid", T_TGID, u32 }, { "comm", T_COMM, c16 }, { "real_cred", T_REAL_CRED, u64 },
	    { "files", T_FILES, u64 }, { "mm", T_MM, u64 }, { "start_time", T_START, u64 },
	    { "nsproxy", T_NSPROXY, u64 }, { "exit_state", T_EXIT_STATE, u32 });
	ADD(b, "cred", 0x20, { "uid", C_UID, u32 }, { "gid", C_GID, u32 });
	ADD(b, "nsproxy", 0x10, { "uts_ns", NS_UTS, u64 });
	ADD(b, "new_utsname", 390, { "release", UTS_RELEASE, c65 });
	ADD(b, "uts_namespace", 0x200, { "name", UTS_NAME, btf__find_by_name_kind(b, "new_utsname", BTF_KIND_STRUCT) });
	ADD(b, "files_struct", 0x40, { "fdt", FS_FDT, u64 });
	ADD(b, "fdtable", 0x10, { "max_fds", FDT_MAX, u32 }, { "fd", FDT_FD, u64 });
	ADD(b, "file", 0x40, { "f_inode", F_INODE, u64 }, { "f_op", F_OP, u64 },
	    { "private_data", F_PRIV, u64 });
	ADD(b, "socket", 0x40, { "file", SO_FILE, u64 }, { "sk", SO_SK, u64 });
	ADD(b, "inode", 0x40, { "i_mode", I_MODE, u16 }, { "i_ino", I_INO, u64 });
	inode = btf__find_by_name_kind(b, "inode", BTF_KIND_STRUCT);
	ADD(b, "socket_alloc", 0x80, { "socket", 0, btf__find_by_name_kind(b, "socket", BTF_KIND_STRUCT) },
	    { "vfs_inode", SA_INODE, inode });
	/* sock_common: addresses inside an anonymous struct in an anonymous union */
	anon_s = btf__add_struct(b, NULL, 8);
	btf__add_field(b, "skc_daddr", u32, SK_DADDR * 8, 0);
	btf__add_field(b, "skc_rcv_saddr", u32, SK_RCV * 8, 0);
	anon_u = btf__add_union(b, NULL, 8);
	btf__add_field(b, "skc_addrpair", u64, 0, 0);
	btf__add_field(b, NULL, anon_s, 0, 0);
	ADD(b, "sock_common", 0x80, { NULL, 0, anon_u }, { "skc_dport", SK_DPORT, u16 },
	    { "skc_num", SK_NUM, u16 }, { "skc_family", SK_FAMILY, u16 },
	    { "skc_state", SK_STATE, u8 }, { "skc_prot", SK_PROT, u64 },
	    { "skc_net", SK_NET, u64 }, { "skc_v6_daddr", SK_V6_D, a16 },
	    { "skc_v6_rcv_saddr", SK_V6_R, a16 });
	sc = btf__find_by_name_kind(b, "sock_common", BTF_KIND_STRUCT);
	if (bitfield)	/* the pre-5.6 layout: protocol:8 and type:16 in one word */
		ADD(b, "sock", SK_SIZE, { "__sk_common", 0, sc }, { "sk_uid", SK_UID, u32 },
		    { "sk_protocol", 0, u32, SK_PROTOCOL * 8 + 8, 8 },
		    { "sk_type", 0, u32, SK_PROTOCOL * 8 + 16, 16 });
	else
		ADD(b, "sock", SK_SIZE, { "__sk_common", 0, sc }, { "sk_uid", SK_UID, u32 },
		    { "sk_protocol", SK_PROTOCOL, u16 }, { "sk_type", SK_TYPE, u16 });
	sock = btf__find_by_name_kind(b, "task_struct", BTF_KIND_STRUCT);
	ptr = btf__add_ptr(b, sock);
	if (pcpu_hot) {
		ADD(b, "pcpu_hot", 0x40, { "preempt_count", 0, u32 }, { "current_task", 8, ptr });
		hot = btf__find_by_name_kind(b, "pcpu_hot", BTF_KIND_STRUCT);
		var = btf__add_var(b, "pcpu_hot", BTF_VAR_GLOBAL_ALLOCATED, hot);
		btf__add_datasec(b, ".data..percpu", 0x1000);
		btf__add_datasec_var_info(b, var, SYN_PCPU_CUR - 8, 0x40);
	} else {
		var = btf__add_var(b, "current_task", BTF_VAR_GLOBAL_ALLOCATED, ptr);
		btf__add_datasec(b, ".data..percpu", 0x1000);
		btf__add_datasec_var_info(b, var, SYN_PCPU_CUR, 8);
	}
	return b;
}

/* ---- the guest ---- */

struct synth *synth_new(int levels, bool pcpu_hot, bool bitfield_proto)
{
	struct synth *s = calloc(1, sizeof(*s));
	struct btf *b;
	const void *raw;
	uint64_t pa, cred, ns, uts;
	uint32_t size;

	if (!s)
		die("oom");
	s->mem = calloc(1, SYN_MEM);
	if (!s->mem)
		die("oom");
	g_bitfield = bitfield_proto;
	s->levels = levels;
	s->cr4 = levels == 5 ? (1ULL << 12) : 0;
	s->pt_next = 0x2000;	/* an 8 KiB-aligned PGD, as with PTI */
	s->cr3 = pt_page(s);
	pt_page(s);		/* the PTI user half */
	s->obj_next = SYN_OBJ_PA;
	synth_map(s, SYN_TEXT, SYN_TEXT_PA, 2);
	for (pa = SYN_OBJ_PA; pa < SYN_MEM; pa += 2U << 20)
		synth_map(s, SYN_DMAP + pa, pa, 2);
	b = synth_btf(pcpu_hot, bitfield_proto);
	raw = btf__raw_data(b, &size);
	if (!raw || size > (2U << 20) - SYN_BTF_OFF)
		die("btf raw");
	memcpy(s->mem + SYN_TEXT_PA + SYN_BTF_OFF, raw, size);
	s->btf_size = size;
	btf__free(b);
	s->sock_fops = SYN_TEXT + 0x800;

	s->init_task = synth_alloc(s, T_SIZE);
	synth_w64(s, s->init_task + T_TASKS, s->init_task + T_TASKS);
	synth_w64(s, s->init_task + T_TASKS + 8, s->init_task + T_TASKS);
	synth_wbytes(s, s->init_task + T_COMM, "swapper/0", 10);
	cred = synth_alloc(s, 0x20);
	synth_w64(s, s->init_task + T_REAL_CRED, cred);
	uts = synth_alloc(s, 0x200);
	synth_wbytes(s, uts + UTS_NAME + UTS_RELEASE, "6.1.0-synth", 12);
	ns = synth_alloc(s, 0x10);
	synth_w64(s, ns + NS_UTS, uts);
	synth_w64(s, s->init_task + T_NSPROXY, ns);
	s->gs_base = synth_alloc(s, 0x1000);
	synth_w64(s, s->gs_base + SYN_PCPU_CUR, s->init_task);
	return s;
}

void synth_free(struct synth *s)
{
	if (s) {
		free(s->mem);
		free(s);
	}
}

uint64_t synth_task(struct synth *s, int pid, int tgid, uint32_t uid, uint32_t gid,
		    const char *comm, bool kthread)
{
	uint64_t t = synth_alloc(s, T_SIZE), cred = synth_alloc(s, 0x20);
	uint64_t head = s->init_task + T_TASKS, prev = synth_r64(s, head + 8);
	char c[16] = "";

	synth_w32(s, t + T_PID, (uint32_t)pid);
	synth_w32(s, t + T_TGID, (uint32_t)tgid);
	strncpy(c, comm, 15);
	synth_wbytes(s, t + T_COMM, c, 16);
	synth_w32(s, cred + C_UID, uid);
	synth_w32(s, cred + C_GID, gid);
	synth_w64(s, t + T_REAL_CRED, cred);
	synth_w64(s, t + T_NSPROXY, synth_r64(s, s->init_task + T_NSPROXY));
	synth_w64(s, t + T_START, 1000000ULL * pid);
	if (!kthread)
		synth_w64(s, t + T_MM, synth_alloc(s, 64));
	synth_w64(s, t + T_TASKS, head);
	synth_w64(s, t + T_TASKS + 8, prev);
	synth_w64(s, prev, t + T_TASKS);
	synth_w64(s, head + 8, t + T_TASKS);
	return t;
}

uint64_t synth_fdtable(struct synth *s, uint64_t task, uint32_t max_fds)
{
	uint64_t files = synth_alloc(s, 0x40), fdt = synth_alloc(s, 0x10);
	uint64_t arr = synth_alloc(s, (size_t)max_fds * 8);

	synth_w64(s, task + T_FILES, files);
	synth_w64(s, files + FS_FDT, fdt);
	synth_w32(s, fdt + FDT_MAX, max_fds);
	synth_w64(s, fdt + FDT_FD, arr);
	return arr;
}

uint64_t synth_socket(struct synth *s, uint64_t fdarr, int fd, int family, int proto,
		      const char *laddr, uint16_t lport, const char *raddr, uint16_t rport,
		      uint8_t state)
{
	static uint64_t ino = 1000;
	uint64_t f = synth_alloc(s, 0x40), sa = synth_alloc(s, 0x80), sk = synth_alloc(s, SK_SIZE);
	uint8_t a[16] = { 0 };

	synth_w64(s, f + F_OP, s->sock_fops);
	synth_w64(s, f + F_PRIV, sa);
	synth_w64(s, f + F_INODE, sa + SA_INODE);
	synth_w64(s, sa + SO_FILE, f);
	synth_w64(s, sa + SO_SK, sk);
	synth_w16(s, sa + SA_INODE + I_MODE, 0140777);
	synth_w64(s, sa + SA_INODE + I_INO, ino++);
	synth_w16(s, sk + SK_FAMILY, (uint16_t)family);
	synth_w8(s, sk + SK_STATE, state);
	synth_w16(s, sk + SK_NUM, lport);
	synth_w16(s, sk + SK_DPORT, htons(rport));
	synth_w32(s, sk + SK_UID, 4242);
	if (g_bitfield) {
		uint32_t w = (uint32_t)proto << 8 | (uint32_t)(proto == 6 ? 1 : 2) << 16 | 0xf1;

		synth_w32(s, sk + SK_PROTOCOL, w);
	} else {
		synth_w16(s, sk + SK_PROTOCOL, (uint16_t)proto);
		synth_w16(s, sk + SK_TYPE, proto == 6 ? 1 : 2);
	}
	if (family == AF_INET) {
		inet_pton(AF_INET, laddr, a);
		synth_wbytes(s, sk + SK_RCV, a, 4);
		inet_pton(AF_INET, raddr, a);
		synth_wbytes(s, sk + SK_DADDR, a, 4);
	} else {
		inet_pton(AF_INET6, laddr, a);
		synth_wbytes(s, sk + SK_V6_R, a, 16);
		inet_pton(AF_INET6, raddr, a);
		synth_wbytes(s, sk + SK_V6_D, a, 16);
	}
	synth_w64(s, fdarr + (uint64_t)fd * 8, f);
	return sk;
}

/* ---- ELF core ---- */

#define QCS_LEN 440

static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static uint8_t *core_build(struct synth *s, size_t *len, int cpl, const uint64_t (*r)[2],
			   int nr)
{
	size_t hdr = sizeof(Elf64_Ehdr) + (size_t)(nr + 1) * sizeof(Elf64_Phdr);
	size_t note = sizeof(Elf64_Nhdr) + 8 + QCS_LEN, data = 0, off;
	Elf64_Ehdr *eh;
	Elf64_Phdr *ph;
	Elf64_Nhdr *nh;
	uint8_t *buf, *q;
	int i;

	for (i = 0; i < nr; i++)
		data += r[i][1];
	*len = hdr + note + data;
	buf = calloc(1, *len);
	if (!buf)
		die("oom");
	eh = (Elf64_Ehdr *)buf;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_CORE;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_phoff = sizeof(*eh);
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = (uint16_t)(nr + 1);
	ph = (Elf64_Phdr *)(buf + sizeof(*eh));
	ph[0].p_type = PT_NOTE;
	ph[0].p_offset = hdr;
	ph[0].p_filesz = note;
	nh = (Elf64_Nhdr *)(buf + hdr);
	nh->n_namesz = 5;
	nh->n_descsz = QCS_LEN;
	nh->n_type = 0;
	memcpy(buf + hdr + sizeof(*nh), "QEMU", 5);
	q = buf + hdr + sizeof(*nh) + 8;
	put64(q, 1 | (uint64_t)QCS_LEN << 32);
	put64(q + 152, cpl == 3 ? 0x33 : 0x10);			/* cs.selector */
	put64(q + 152 + 4 * 24 + 16, cpl == 3 ? 0x7f0000001000ULL : s->gs_base);
	/* a vCPU in user mode runs on the PTI user PGD with a PCID */
	put64(q + 392 + 3 * 8, cpl == 3 ? s->cr3 | 0x1000 | 0x5 : s->cr3);
	put64(q + 392 + 4 * 8, s->cr4);
	put64(q + 432, cpl == 3 ? s->gs_base : 0);
	off = hdr + note;
	for (i = 0; i < nr; i++) {
		ph[i + 1].p_type = PT_LOAD;
		ph[i + 1].p_offset = off;
		ph[i + 1].p_paddr = r[i][0];
		ph[i + 1].p_filesz = ph[i + 1].p_memsz = r[i][1];
		memcpy(buf + off, s->mem + r[i][0], r[i][1]);
		off += r[i][1];
	}
	return buf;
}

uint8_t *synth_core(struct synth *s, size_t *len, int cpl)
{
	const uint64_t r[1][2] = { { 0, SYN_MEM } };

	return core_build(s, len, cpl, r, 1);
}

uint8_t *synth_core_sparse(struct synth *s, size_t *len)
{
	const uint64_t r[3][2] = {
		{ 0x2000, s->pt_next - 0x2000 },
		{ SYN_TEXT_PA, ((SYN_BTF_OFF + s->btf_size + 4095) & ~4095ULL) },
		{ SYN_OBJ_PA, s->obj_next - SYN_OBJ_PA },
	};

	return core_build(s, len, 0, r, 3);
}
