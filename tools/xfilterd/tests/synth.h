/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Synthetic guests for the unit tests and the fuzzer's seeds: page tables
 * (4/5 levels, 4K/2M/1G pages), a kernel image holding a BTF built with
 * libbpf, and task/file/socket objects laid out as that BTF says, all in
 * a buffer that becomes a QEMU-style ELF core.
 */
#ifndef XF_SYNTH_H
#define XF_SYNTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SYN_MEM		(16U << 20)
#define SYN_DMAP	0xffff888000000000ULL	/* direct map of the object region */
#define SYN_OBJ_PA	0x400000ULL
#define SYN_TEXT_PA	0x200000ULL
#define SYN_SLIDE	0x1c200000ULL
#define SYN_TEXT	(0xffffffff81000000ULL + SYN_SLIDE)
#define SYN_BTF_OFF	0x1000ULL		/* BTF at _text + this */
#define SYN_PCPU_CUR	0x100			/* per-CPU offset of current_task */

/* the synthetic kernel's layout (what its BTF says) */
enum {
	T_TASKS = 0x10, T_PID = 0x20, T_TGID = 0x24, T_COMM = 0x30, T_REAL_CRED = 0x40,
	T_FILES = 0x48, T_MM = 0x50, T_FLAGS = 0x58, T_START = 0x60, T_NSPROXY = 0x68,
	T_EXIT_STATE = 0x70, T_SIZE = 0x100,
	C_UID = 0x4, C_GID = 0x8,
	FS_FDT = 0x20, FDT_MAX = 0x0, FDT_FD = 0x8,
	F_OP = 0x10, F_PRIV = 0x18, F_INODE = 0x20,
	SO_FILE = 0x10, SO_SK = 0x18, SA_INODE = 0x40, I_MODE = 0x0, I_INO = 0x8,
	SK_DADDR = 0x0, SK_RCV = 0x4, SK_DPORT = 0xc, SK_NUM = 0xe, SK_FAMILY = 0x10,
	SK_STATE = 0x12, SK_PROT = 0x18, SK_NET = 0x20, SK_V6_D = 0x38, SK_V6_R = 0x48,
	SK_UID = 0x80, SK_PROTOCOL = 0x90, SK_TYPE = 0x92, SK_SIZE = 0x100,
	NS_UTS = 0x8, UTS_NAME = 0x10, UTS_RELEASE = 130,
};

struct synth {
	uint8_t *mem;			/* SYN_MEM bytes of guest-physical memory */
	uint64_t cr3, cr4;
	int levels;
	uint64_t pt_next;		/* bump allocator for page tables */
	uint64_t obj_next;		/* bump allocator for objects */
	uint64_t gs_base;
	uint64_t init_task;
	uint64_t sock_fops;
	uint32_t btf_size;
};

struct synth *synth_new(int levels, bool pcpu_hot, bool bitfield_proto);
void synth_free(struct synth *s);

int synth_map(struct synth *s, uint64_t va, uint64_t pa, int page_level);	/* 1: 4K 2: 2M 3: 1G */
uint64_t synth_alloc(struct synth *s, size_t size);
uint64_t synth_pa(const struct synth *s, uint64_t dmap_va);
void synth_w64(struct synth *s, uint64_t va, uint64_t v);
void synth_w32(struct synth *s, uint64_t va, uint32_t v);
void synth_w16(struct synth *s, uint64_t va, uint16_t v);
void synth_w8(struct synth *s, uint64_t va, uint8_t v);
void synth_wbytes(struct synth *s, uint64_t va, const void *p, size_t n);
uint64_t synth_r64(struct synth *s, uint64_t va);

/* A task linked at the tail of init_task's list. */
uint64_t synth_task(struct synth *s, int pid, int tgid, uint32_t uid, uint32_t gid,
		    const char *comm, bool kthread);
/* Gives task an fd table of max_fds slots; returns the fd array. */
uint64_t synth_fdtable(struct synth *s, uint64_t task, uint32_t max_fds);
/* An inet socket file at fd; returns the struct sock. */
uint64_t synth_socket(struct synth *s, uint64_t fdarr, int fd, int family, int proto,
		      const char *laddr, uint16_t lport, const char *raddr, uint16_t rport,
		      uint8_t state);

/* The ELF core of the synthetic guest (malloc'd); len gets its size. */
uint8_t *synth_core(struct synth *s, size_t *len, int cpl);
/* Only the pages the guest uses, as an ELF core (the fuzzer's seed). */
uint8_t *synth_core_sparse(struct synth *s, size_t *len);

#endif /* XF_SYNTH_H */
