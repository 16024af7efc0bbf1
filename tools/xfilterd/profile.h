/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The zero-configuration profile of a guest kernel: where KASLR put it, its
 * own BTF read from its memory, and every structure offset the walk needs,
 * taken from that BTF. Nothing per kernel is configured or installed.
 */
#ifndef XF_PROFILE_H
#define XF_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xlate.h"

struct btf;

#define XF_TEXT_LINK		0xffffffff81000000ULL	/* _text without KASLR */
#define XF_IMAGE_START		0xffffffff80000000ULL
#define XF_IMAGE_END		0xffffffffc0000000ULL
#define XF_BTF_SCAN_MAX		(128ULL << 20)
#define XF_BTF_MAX		(64U << 20)

/* A member of a structure: byte offset, or bit offset and width for bitfields. */
struct xf_field {
	uint32_t bit_off;
	uint16_t bit_size;	/* 0: a plain member of byte size `size` */
	uint16_t size;
};

struct xf_offsets {
	uint32_t pcpu_current_task;	/* per-CPU offset of the current task pointer */
	uint32_t ts_tasks, ts_pid, ts_tgid, ts_comm, ts_real_cred, ts_files, ts_mm;
	uint32_t ts_flags, ts_start_time, ts_nsproxy, ts_exit_state;
	uint32_t cred_uid, cred_gid;
	uint32_t nsproxy_uts_ns, uts_ns_name, utsname_release;
	uint32_t files_fdt, fdt_max_fds, fdt_fd;
	uint32_t file_f_op, file_private_data, file_f_inode;
	uint32_t socket_file, socket_sk;
	uint32_t socket_alloc_vfs_inode, socket_alloc_socket;
	uint32_t inode_i_mode, inode_i_ino;
	/* struct sock, counted from the sock */
	uint32_t sk_family, sk_state, sk_num, sk_dport, sk_rcv_saddr, sk_daddr;
	uint32_t sk_v6_rcv_saddr, sk_v6_daddr, sk_uid, sk_prot, sk_net;
	uint32_t sk_socket;		/* 0: not known (no live inode check then) */
	uint32_t sk_node, sk_nulls_node, sk_portaddr_node, sk_bind_node;
	uint32_t sk_hash, sk_portpair;
	bool has_v6;
	uint32_t skc_lo, skc_len;	/* one read covering the fields above */
	struct xf_field sk_protocol, sk_type;
	/* hash tables for the targeted lookup (0 where the kernel lacks them) */
	uint32_t proto_h, proto_name;
	uint32_t net_hash_mix;		/* offset in struct net; 0 = not known */
	bool have_hash_mix;
	uint32_t task_size, sock_size;
};

struct xf_profile {
	uint64_t text;			/* _text, found by the page-table probe */
	uint64_t text_pa;
	int64_t kaslr_offset;
	int paging_levels;
	uint64_t btf_va;		/* where the BTF blob sits in the guest */
	uint32_t btf_size;
	uint8_t *btf_data;
	struct btf *btf;
	struct xf_offsets off;
	char release[65];
	bool cached;			/* btf and btf_data belong to the build cache */
	bool cache_hit;			/* ... and came from it */
};

/* How far past _text the BTF is looked for (tests and the fuzzer lower it). */
extern uint64_t xf_btf_scan_max;

/* The kernel image: first present 2 MiB slot of the kernel-image window. */
int xf_find_text(struct xf_vm *vm, uint64_t *text);
/*
 * Finds the kernel's BTF between _text and _text + XF_BTF_SCAN_MAX. A hint
 * (a previous location for the same build) is tried first. 0 or -ENOENT.
 */
int xf_find_btf(struct xf_vm *vm, uint64_t text, uint64_t hint_va, uint32_t hint_size,
		uint64_t *va, uint32_t *size);

/* Offsets from a parsed BTF; on error names what is missing in err. */
int xf_offsets_from_btf(const struct btf *btf, struct xf_offsets *o, char *err, size_t errlen);
/* Member lookup through anonymous structs/unions; 0 or -ENOENT. */
int xf_btf_member(const struct btf *btf, const char *type, const char *member,
		  struct xf_field *f);
/* Offset of a per-CPU variable inside .data..percpu; 0 or -ENOENT. */
int xf_btf_percpu(const struct btf *btf, const char *var, uint32_t *off);

/* Share profiles between guests of the same kernel build (the daemon). */
extern bool xf_profile_cache;
void xf_profile_cache_clear(void);

/* Builds a profile of the guest behind vm; vm must already hold the kernel CR3. */
int xf_profile_build(struct xf_vm *vm, struct xf_profile *p, char *err, size_t errlen);
/* Reads the kernel release through task's nsproxy (best effort). */
int xf_profile_release(struct xf_vm *vm, struct xf_profile *p, uint64_t task);
void xf_profile_free(struct xf_profile *p);

/* Reads a (possibly bitfield) member of the object at base. */
int xf_read_field(struct xf_vm *vm, uint64_t base, const struct xf_field *f, uint64_t *v);

#endif /* XF_PROFILE_H */
