// SPDX-License-Identifier: GPL-2.0
/*
 * Builds the profile of a guest kernel from the guest alone: _text from the
 * page tables, the kernel's BTF from its memory (parsed by libbpf), and
 * from that BTF every offset the walk reads. The BTF is attacker-supplied
 * data too, so lookups are bounded and every offset is sanity-checked.
 */
#include <bpf/btf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"

#define BTF_MAGIC_HDR	"\x9f\xeb\x01\x00\x18\x00\x00\x00"
#define BTF_HDR_LEN	24
#define MEMBER_DEPTH	8
#define MAX_OFFSET	(64U << 10)	/* no member we need lies further in */

uint64_t xf_btf_scan_max = XF_BTF_SCAN_MAX;
bool xf_profile_cache;

int xf_find_text(struct xf_vm *vm, uint64_t *text)
{
	uint64_t va, pa;

	/* cleanup_highmap() leaves nothing mapped below _text in this window */
	for (va = XF_IMAGE_START; va < XF_IMAGE_END; va += 2ULL << 20) {
		if (!xf_v2p(vm, va, &pa)) {
			*text = va;
			return 0;
		}
	}
	return -ENOENT;
}

static int btf_header_at(struct xf_vm *vm, uint64_t va, uint32_t *total)
{
	uint8_t h[BTF_HDR_LEN];
	uint32_t type_off, type_len, str_off, str_len;
	uint64_t sum;

	if (xf_vread(vm, va, h, sizeof(h)) || memcmp(h, BTF_MAGIC_HDR, 8))
		return -ENOENT;
	memcpy(&type_off, h + 8, 4);
	memcpy(&type_len, h + 12, 4);
	memcpy(&str_off, h + 16, 4);
	memcpy(&str_len, h + 20, 4);
	sum = (uint64_t)BTF_HDR_LEN + type_len + str_len;
	if (type_off || str_off != type_len || !str_len || sum > XF_BTF_MAX)
		return -ENOENT;
	*total = (uint32_t)sum;
	return 0;
}

int xf_find_btf(struct xf_vm *vm, uint64_t text, uint64_t hint_va, uint32_t hint_size,
		uint64_t *va, uint32_t *size)
{
	static const char sig[] = BTF_MAGIC_HDR;
	uint8_t buf[XF_PAGE_SIZE + 8];
	uint64_t off, best_va = 0;
	uint32_t best = 0, total;
	size_t carry = 0;

	if (hint_va && !btf_header_at(vm, hint_va, &total) && total == hint_size) {
		*va = hint_va;
		*size = total;
		return 0;
	}
	for (off = 0; off < xf_btf_scan_max; off += XF_PAGE_SIZE) {
		uint64_t page = text + off;
		size_t i;

		vm->fault_span = 0;
		if (xf_vread(vm, page, buf + carry, XF_PAGE_SIZE)) {
			/* skip the whole unmapped table, not page by page */
			if (vm->fault_span > XF_PAGE_SIZE)
				off = ((page | (vm->fault_span - 1)) + 1 - text) - XF_PAGE_SIZE;
			carry = 0;
			continue;
		}
		for (i = 0; i + 8 <= carry + XF_PAGE_SIZE; i++) {
			uint64_t cand;

			if (buf[i] != 0x9f || memcmp(buf + i, sig, 8))
				continue;
			cand = page - carry + i;
			if (!btf_header_at(vm, cand, &total) && total > best) {
				best = total;
				best_va = cand;
			}
		}
		/* the vmlinux BTF is megabytes; stop once such a blob is found */
		if (best >= (1U << 20))
			break;
		memmove(buf, buf + carry + XF_PAGE_SIZE - 7, 7);
		carry = 7;
	}
	if (!best)
		return -ENOENT;
	*va = best_va;
	*size = best;
	return 0;
}

static int find_composite(const struct btf *btf, const char *name)
{
	int id = btf__find_by_name_kind(btf, name, BTF_KIND_STRUCT);

	if (id <= 0)
		id = btf__find_by_name_kind(btf, name, BTF_KIND_UNION);
	return id;
}

static int member_in(const struct btf *btf, int id, const char *member, uint32_t base,
		     struct xf_field *f, int depth)
{
	const struct btf_type *t;
	const struct btf_member *m;
	int i, n;

	if (depth > MEMBER_DEPTH)
		return -ENOENT;
	id = btf__resolve_type(btf, id);
	if (id < 0)
		return -ENOENT;
	t = btf__type_by_id(btf, id);
	if (!t || !btf_is_composite(t))
		return -ENOENT;
	m = btf_members(t);
	n = btf_vlen(t);
	for (i = 0; i < n; i++, m++) {
		const char *name = btf__name_by_offset(btf, m->name_off);
		uint32_t bit_off = base + btf_member_bit_offset(t, i);

		if (name && *name) {
			if (strcmp(name, member))
				continue;
			f->bit_off = bit_off;
			f->bit_size = btf_member_bitfield_size(t, i);
			if (f->bit_size) {
				f->size = 0;
			} else {
				long long sz = btf__resolve_size(btf, m->type);

				if (sz <= 0 || sz > 65536)
					return -EINVAL;
				f->size = (uint16_t)sz;
				if (bit_off % 8)
					return -EINVAL;
			}
			return 0;
		}
		/* anonymous struct or union: its members belong to t */
		if (!member_in(btf, m->type, member, bit_off, f, depth + 1))
			return 0;
	}
	return -ENOENT;
}

int xf_btf_member(const struct btf *btf, const char *type, const char *member,
		  struct xf_field *f)
{
	int id = find_composite(btf, type);

	if (id <= 0)
		return -ENOENT;
	return member_in(btf, id, member, 0, f, 0);
}

int xf_btf_percpu(const struct btf *btf, const char *var, uint32_t *off)
{
	int id = btf__find_by_name_kind(btf, ".data..percpu", BTF_KIND_DATASEC);
	const struct btf_var_secinfo *vs;
	const struct btf_type *t;
	int i, n;

	if (id <= 0)
		return -ENOENT;
	t = btf__type_by_id(btf, id);
	vs = btf_var_secinfos(t);
	n = btf_vlen(t);
	for (i = 0; i < n; i++, vs++) {
		const struct btf_type *v = btf__type_by_id(btf, vs->type);
		const char *name;

		if (!v || !btf_is_var(v))
			continue;
		name = btf__name_by_offset(btf, v->name_off);
		if (name && !strcmp(name, var)) {
			*off = vs->offset;
			return 0;
		}
	}
	return -ENOENT;
}

struct need {
	const char *type;
	const char *member;
	uint32_t *off;		/* byte offset wanted */
	struct xf_field *field;	/* or the full field (bitfields allowed) */
	bool optional;
};

static int resolve(const struct btf *btf, const struct need *n, size_t nr, char *err,
		   size_t errlen)
{
	size_t i;

	for (i = 0; i < nr; i++) {
		struct xf_field f;

		if (xf_btf_member(btf, n[i].type, n[i].member, &f) ||
		    f.bit_off / 8 > MAX_OFFSET || (n[i].off && f.bit_size)) {
			if (n[i].optional)
				continue;
			snprintf(err, errlen, "guest BTF lacks a usable %s.%s", n[i].type,
				 n[i].member);
			return -ENOENT;
		}
		if (n[i].off)
			*n[i].off = f.bit_off / 8;
		if (n[i].field)
			*n[i].field = f;
	}
	return 0;
}

#define REQ(t, m, p) { .type = t, .member = m, .off = p, .field = NULL, .optional = false }
#define OPT(t, m, p) { .type = t, .member = m, .off = p, .field = NULL, .optional = true }
#define FLD(t, m, f) { .type = t, .member = m, .off = NULL, .field = f, .optional = false }

int xf_offsets_from_btf(const struct btf *btf, struct xf_offsets *o, char *err, size_t errlen)
{
	struct xf_field ct;
	uint32_t skc = 0, sk_v6 = 0, hot;
	long long sz;
	int id, ret;
	const struct need needs[] = {
		REQ("task_struct", "tasks", &o->ts_tasks),
		REQ("task_struct", "pid", &o->ts_pid),
		REQ("task_struct", "tgid", &o->ts_tgid),
		REQ("task_struct", "comm", &o->ts_comm),
		REQ("task_struct", "real_cred", &o->ts_real_cred),
		REQ("task_struct", "files", &o->ts_files),
		REQ("task_struct", "mm", &o->ts_mm),
		REQ("task_struct", "flags", &o->ts_flags),
		REQ("task_struct", "start_time", &o->ts_start_time),
		REQ("task_struct", "nsproxy", &o->ts_nsproxy),
		REQ("task_struct", "exit_state", &o->ts_exit_state),
		REQ("cred", "uid", &o->cred_uid),
		REQ("cred", "gid", &o->cred_gid),
		REQ("nsproxy", "uts_ns", &o->nsproxy_uts_ns),
		REQ("uts_namespace", "name", &o->uts_ns_name),
		REQ("new_utsname", "release", &o->utsname_release),
		REQ("files_struct", "fdt", &o->files_fdt),
		REQ("fdtable", "max_fds", &o->fdt_max_fds),
		REQ("fdtable", "fd", &o->fdt_fd),
		REQ("file", "f_op", &o->file_f_op),
		REQ("file", "private_data", &o->file_private_data),
		REQ("file", "f_inode", &o->file_f_inode),
		REQ("socket", "file", &o->socket_file),
		REQ("socket", "sk", &o->socket_sk),
		REQ("socket_alloc", "vfs_inode", &o->socket_alloc_vfs_inode),
		REQ("socket_alloc", "socket", &o->socket_alloc_socket),
		REQ("inode", "i_mode", &o->inode_i_mode),
		REQ("inode", "i_ino", &o->inode_i_ino),
		REQ("sock", "__sk_common", &skc),
		REQ("sock_common", "skc_family", &o->sk_family),
		REQ("sock_common", "skc_state", &o->sk_state),
		REQ("sock_common", "skc_num", &o->sk_num),
		REQ("sock_common", "skc_dport", &o->sk_dport),
		REQ("sock_common", "skc_rcv_saddr", &o->sk_rcv_saddr),
		REQ("sock_common", "skc_daddr", &o->sk_daddr),
		REQ("sock_common", "skc_prot", &o->sk_prot),
		REQ("sock_common", "skc_net", &o->sk_net),
		OPT("sock_common", "skc_node", &o->sk_node),
		OPT("sock_common", "skc_nulls_node", &o->sk_nulls_node),
		OPT("sock_common", "skc_portaddr_node", &o->sk_portaddr_node),
		OPT("sock_common", "skc_bind_node", &o->sk_bind_node),
		OPT("sock_common", "skc_hash", &o->sk_hash),
		OPT("sock_common", "skc_portpair", &o->sk_portpair),
		OPT("sock_common", "skc_v6_rcv_saddr", &sk_v6),
		OPT("sock_common", "skc_v6_daddr", &o->sk_v6_daddr),
		REQ("sock", "sk_uid", &o->sk_uid),
		OPT("sock", "sk_socket", &o->sk_socket),
		FLD("sock", "sk_protocol", &o->sk_protocol),
		FLD("sock", "sk_type", &o->sk_type),
		OPT("proto", "h", &o->proto_h),
		OPT("proto", "name", &o->proto_name),
		OPT("net", "hash_mix", &o->net_hash_mix),
	};

	memset(o, 0, sizeof(*o));
	ret = resolve(btf, needs, sizeof(needs) / sizeof(needs[0]), err, errlen);
	if (ret)
		return ret;
	o->have_hash_mix = !xf_btf_member(btf, "net", "hash_mix", &ct);
	/* sock_common members are counted from the sock */
	o->sk_family += skc;
	o->sk_state += skc;
	o->sk_num += skc;
	o->sk_dport += skc;
	o->sk_rcv_saddr += skc;
	o->sk_daddr += skc;
	o->sk_prot += skc;
	o->sk_net += skc;
	o->sk_node += skc;
	o->sk_nulls_node += skc;
	o->sk_portaddr_node += skc;
	o->sk_bind_node += skc;
	o->sk_hash += skc;
	o->sk_portpair += skc;
	o->has_v6 = sk_v6 != 0;
	o->sk_v6_rcv_saddr = sk_v6 + skc;
	o->sk_v6_daddr += skc;

	{
		/* the addresses, ports, family and state sit together: one read */
		uint32_t f[] = { o->sk_family, o->sk_state, o->sk_num, o->sk_dport,
				 o->sk_rcv_saddr, o->sk_daddr, o->sk_v6_rcv_saddr, o->sk_v6_daddr };
		uint32_t len[] = { 2, 1, 2, 2, 4, 4, 16, 16 }, lo = UINT32_MAX, hi = 0, k;
		uint32_t n = o->has_v6 ? 8 : 6;

		for (k = 0; k < n; k++) {
			lo = f[k] < lo ? f[k] : lo;
			hi = f[k] + len[k] > hi ? f[k] + len[k] : hi;
		}
		if (hi - lo <= 128) {
			o->skc_lo = lo;
			o->skc_len = hi - lo;
		}
	}
	/* 6.1 and older: per-CPU current_task; 6.2-6.14: pcpu_hot.current_task */
	if (xf_btf_percpu(btf, "current_task", &o->pcpu_current_task)) {
		if (xf_btf_percpu(btf, "pcpu_hot", &hot) ||
		    xf_btf_member(btf, "pcpu_hot", "current_task", &ct) || ct.bit_size) {
			snprintf(err, errlen, "guest BTF has neither a per-CPU current_task "
				 "nor pcpu_hot.current_task");
			return -ENOENT;
		}
		o->pcpu_current_task = hot + ct.bit_off / 8;
	}
	if (o->sk_protocol.bit_size > 16 || o->sk_type.bit_size > 16 ||
	    (!o->sk_protocol.bit_size && o->sk_protocol.size > 8) ||
	    (!o->sk_type.bit_size && o->sk_type.size > 8)) {
		snprintf(err, errlen, "guest BTF: implausible sock.sk_protocol/sk_type");
		return -EINVAL;
	}
	id = find_composite(btf, "task_struct");
	sz = id > 0 ? btf__resolve_size(btf, id) : -1;
	o->task_size = sz > 0 && sz < (1 << 20) ? (uint32_t)sz : 0;
	id = find_composite(btf, "sock");
	sz = id > 0 ? btf__resolve_size(btf, id) : -1;
	o->sock_size = sz > 0 && sz < (1 << 20) ? (uint32_t)sz : 0;
	return 0;
}

int xf_read_field(struct xf_vm *vm, uint64_t base, const struct xf_field *f, uint64_t *v)
{
	uint64_t raw = 0;
	int ret;

	if (!f->bit_size) {
		ret = xf_vread(vm, base + f->bit_off / 8, &raw, f->size);
		*v = raw;
		return ret;
	}
	/* a bitfield never straddles more than 8 bytes from its first byte */
	ret = xf_vread(vm, base + f->bit_off / 8, &raw, 8);
	if (ret)
		return ret;
	raw >>= f->bit_off % 8;
	*v = raw & ((1ULL << f->bit_size) - 1);
	return 0;
}

int xf_profile_release(struct xf_vm *vm, struct xf_profile *p, uint64_t task)
{
	const struct xf_offsets *o = &p->off;
	uint64_t ns, uts;
	char rel[65];

	if (xf_read_kptr(vm, task + o->ts_nsproxy, &ns) ||
	    xf_read_kptr(vm, ns + o->nsproxy_uts_ns, &uts) ||
	    xf_vread(vm, uts + o->uts_ns_name + o->utsname_release, rel, sizeof(rel)))
		return -EFAULT;
	rel[sizeof(rel) - 1] = 0;
	memcpy(p->release, rel, sizeof(rel));
	return 0;
}

/*
 * Profiles per kernel build, shared by every guest that runs it: a guest is
 * of a cached build when the same BTF bytes sit at the same place after its
 * _text. Saves the search and the parse (tens of ms) on each attach.
 */
#define CACHE_BUILDS	8

static struct build {
	uint64_t text_off;
	uint32_t size;
	uint8_t *data;
	struct btf *btf;
	struct xf_offsets off;
} builds[CACHE_BUILDS];

static bool from_cache(struct xf_vm *vm, struct xf_profile *p)
{
	uint8_t *tmp = NULL;
	unsigned int i;
	uint32_t total;

	for (i = 0; i < CACHE_BUILDS; i++) {
		struct build *b = &builds[i];

		if (!b->data || btf_header_at(vm, p->text + b->text_off, &total) ||
		    total != b->size)
			continue;
		if (!tmp)
			tmp = malloc(b->size);
		if (!tmp || xf_vread(vm, p->text + b->text_off, tmp, b->size) ||
		    memcmp(tmp, b->data, b->size))
			continue;
		free(tmp);
		p->btf_va = p->text + b->text_off;
		p->btf_size = b->size;
		p->btf_data = b->data;
		p->btf = b->btf;
		p->off = b->off;
		p->cached = true;
		p->cache_hit = true;
		return true;
	}
	free(tmp);
	return false;
}

static void to_cache(struct xf_profile *p)
{
	unsigned int i;

	for (i = 0; i < CACHE_BUILDS; i++) {
		struct build *b = &builds[i];

		if (b->data)
			continue;
		b->text_off = p->btf_va - p->text;
		b->size = p->btf_size;
		b->data = p->btf_data;
		b->btf = p->btf;
		b->off = p->off;
		p->cached = true;
		return;
	}
}

void xf_profile_cache_clear(void)
{
	unsigned int i;

	for (i = 0; i < CACHE_BUILDS; i++) {
		btf__free(builds[i].btf);
		free(builds[i].data);
		memset(&builds[i], 0, sizeof(builds[i]));
	}
}

int xf_profile_build(struct xf_vm *vm, struct xf_profile *p, char *err, size_t errlen)
{
	int ret;

	memset(p, 0, sizeof(*p));
	p->paging_levels = vm->levels;
	if (xf_find_text(vm, &p->text)) {
		snprintf(err, errlen, "no kernel image mapped in 0x%llx-0x%llx: not an x86-64 "
			 "Linux guest, or CR3 is not a kernel page table",
			 (unsigned long long)XF_IMAGE_START, (unsigned long long)XF_IMAGE_END);
		return -ENOENT;
	}
	xf_v2p(vm, p->text, &p->text_pa);
	p->kaslr_offset = (int64_t)(p->text - XF_TEXT_LINK);
	if (xf_profile_cache && from_cache(vm, p))
		return 0;
	if (xf_find_btf(vm, p->text, 0, 0, &p->btf_va, &p->btf_size)) {
		snprintf(err, errlen, "no BTF found in the guest kernel image: the guest "
			 "kernel needs CONFIG_DEBUG_INFO_BTF=y (Debian 11+, Ubuntu 20.10+, "
			 "RHEL 8.2+, Fedora 32+)");
		return -ENOENT;
	}
	p->btf_data = malloc(p->btf_size);
	if (!p->btf_data) {
		snprintf(err, errlen, "out of memory for %u bytes of BTF", p->btf_size);
		return -ENOMEM;
	}
	if (xf_vread(vm, p->btf_va, p->btf_data, p->btf_size)) {
		snprintf(err, errlen, "BTF at 0x%llx is not fully mapped",
			 (unsigned long long)p->btf_va);
		ret = -EFAULT;
		goto fail;
	}
	p->btf = btf__new(p->btf_data, p->btf_size);
	if (!p->btf) {
		ret = -errno ? -errno : -EINVAL;
		snprintf(err, errlen, "guest BTF at 0x%llx (%u bytes) does not parse",
			 (unsigned long long)p->btf_va, p->btf_size);
		goto fail;
	}
	ret = xf_offsets_from_btf(p->btf, &p->off, err, errlen);
	if (ret)
		goto fail;
	if (xf_profile_cache)
		to_cache(p);
	return 0;
fail:
	xf_profile_free(p);
	return ret;
}

void xf_profile_free(struct xf_profile *p)
{
	if (!p->cached) {
		btf__free(p->btf);
		free(p->btf_data);
	}
	p->btf = NULL;
	p->btf_data = NULL;
}
