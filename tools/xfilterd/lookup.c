// SPDX-License-Identifier: GPL-2.0
/*
 * Targeted lookup of a flow in the guest kernel's hash tables. TCP uses the
 * bind hash (bucket = (lport + net->hash_mix) & (bhash_size - 1)), which
 * holds listeners, connected and accepted sockets alike and, unlike the
 * established hash, needs no secret seed; UDP uses its port hash, keyed the
 * same way. Where the tables hang off struct proto (6.1) or the network
 * namespace (6.2+) is read from the guest's BTF. Every chain is bounded.
 */
#include <bpf/btf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lookup.h"

#define TCP_TIME_WAIT		6
#define TCP_NEW_SYN_RECV	12
#define AF_INET_		2
#define AF_INET6_		10

static int off_of(const struct btf *btf, const char *type, const char *member, uint32_t *o)
{
	struct xf_field f;

	if (xf_btf_member(btf, type, member, &f) || f.bit_size || f.bit_off % 8)
		return -ENOENT;
	*o = f.bit_off / 8;
	return 0;
}

static uint32_t size_of(const struct btf *btf, const char *type)
{
	int id = btf__find_by_name_kind(btf, type, BTF_KIND_STRUCT);
	long long sz = id > 0 ? btf__resolve_size(btf, id) : -1;

	return sz > 0 && sz < 4096 ? (uint32_t)sz : 0;
}

int xf_lookup_init(struct xf_lookup *l, struct xf_walker *w, const struct btf *btf)
{
	struct xf_lookup_off *o = &l->off;

	memset(l, 0, sizeof(*l));
	l->w = w;
	l->max_chain = 1U << 16;
	l->use_index = true;
	/* without the tables' types only the last walk's index answers */
	if (!w->p->off.sk_bind_node || !w->p->off.sk_node || !w->p->off.proto_h)
		return 0;
	o->per_netns_tcp = !off_of(btf, "net", "ipv4", &o->net_ipv4) &&
			   !off_of(btf, "netns_ipv4", "tcp_death_row", &o->ipv4_death_row) &&
			   !off_of(btf, "inet_timewait_death_row", "hashinfo", &o->death_row_hashinfo);
	o->per_netns_udp = !off_of(btf, "net", "ipv4", &o->net_ipv4) &&
			   !off_of(btf, "netns_ipv4", "udp_table", &o->ipv4_udp_table);
	if (off_of(btf, "inet_hashinfo", "bhash", &o->hi_bhash) ||
	    off_of(btf, "inet_hashinfo", "bhash_size", &o->hi_bhash_size) ||
	    off_of(btf, "inet_bind_hashbucket", "chain", &o->bhb_chain) ||
	    off_of(btf, "inet_bind_bucket", "port", &o->tb_port) ||
	    off_of(btf, "inet_bind_bucket", "node", &o->tb_node) ||
	    off_of(btf, "udp_table", "hash", &o->ut_hash) ||
	    off_of(btf, "udp_table", "mask", &o->ut_mask) ||
	    off_of(btf, "udp_hslot", "head", &o->hs_head))
		return 0;
	o->bhb_size = size_of(btf, "inet_bind_hashbucket");
	o->hs_size = size_of(btf, "udp_hslot");
	if (!o->bhb_size || !o->hs_size)
		return 0;
	/* 6.1: sockets hang on the port's bucket; later kernels on its (port, addr) buckets */
	o->tb_has_owners = !off_of(btf, "inet_bind_bucket", "owners", &o->tb_owners);
	if (!o->tb_has_owners &&
	    (off_of(btf, "inet_bind_bucket", "bhash2", &o->tb_bhash2) ||
	     off_of(btf, "inet_bind2_bucket", "bhash_node", &o->tb2_bhash_node) ||
	     off_of(btf, "inet_bind2_bucket", "owners", &o->tb2_owners)))
		return 0;
	o->ok = true;
	return 0;
}

void xf_lookup_free(struct xf_lookup *l)
{
	free(l->idx.keys);
	free(l->idx.rows);
	free(l->idx.fkeys);
	free(l->idx.frows);
	memset(&l->idx, 0, sizeof(l->idx));
}

static bool as_v6(unsigned int family, const uint8_t *a, uint8_t out[16]);

/* FNV-1a over the flow as the guest sees it, addresses v4-mapped */
static uint64_t flow_hash(uint8_t proto, uint16_t lport, unsigned int fam, const uint8_t *laddr,
			  const uint8_t *raddr, uint16_t rport, bool exact)
{
	uint8_t buf[40], l6[16], r6[16];
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i, n = 3;

	buf[0] = proto;
	memcpy(buf + 1, &lport, 2);
	if (exact) {
		as_v6(fam, laddr, l6);
		as_v6(fam, raddr, r6);
		memcpy(buf + 3, l6, 16);
		memcpy(buf + 19, r6, 16);
		memcpy(buf + 35, &rport, 2);
		n = 37;
	}
	for (i = 0; i < n; i++)
		h = (h ^ buf[i]) * 0x100000001b3ULL;
	return h | 1;
}

static size_t idx_slot(uint64_t k, size_t cap)
{
	return (size_t)((k * 0x9e3779b97f4a7c15ULL) >> 20) & (cap - 1);
}

static int index_build(struct xf_index *x, const struct xf_table *t)
{
	size_t cap = 64, i;

	while (cap < t->nr_socks * 2)
		cap *= 2;
	free(x->keys);
	free(x->rows);
	free(x->fkeys);
	free(x->frows);
	x->keys = calloc(cap, sizeof(*x->keys));
	x->rows = calloc(cap, sizeof(*x->rows));
	x->fkeys = calloc(cap, sizeof(*x->fkeys));
	x->frows = calloc(cap, sizeof(*x->frows));
	if (!x->keys || !x->rows || !x->fkeys || !x->frows) {
		x->cap = 0;
		return -ENOMEM;
	}
	x->cap = cap;
	x->t = t;
	for (i = 0; i < t->nr_socks; i++) {
		size_t s = idx_slot(t->socks[i].sk, cap);

		/* a socket shared by several tasks: the first owner stands */
		while (x->keys[s] && x->keys[s] != t->socks[i].sk)
			s = (s + 1) & (cap - 1);
		if (!x->keys[s]) {
			x->keys[s] = t->socks[i].sk;
			x->rows[s] = (uint32_t)i;
		}
	}
	for (i = 0; i < t->nr_socks; i++) {
		const struct xf_sock_info *so = &t->socks[i];
		uint64_t h = flow_hash(so->proto, so->lport, so->family, so->laddr, so->raddr,
				       so->rport, so->rport != 0);
		size_t s = idx_slot(h, cap);

		while (x->fkeys[s])
			s = (s + 1) & (cap - 1);
		x->fkeys[s] = h;
		x->frows[s] = (uint32_t)i;
	}
	return 0;
}

static const struct xf_sock_info *index_find(const struct xf_index *x, uint64_t sk)
{
	size_t s, n;

	if (!x->cap)
		return NULL;
	for (s = idx_slot(sk, x->cap), n = 0; x->keys[s] && n < x->cap; s = (s + 1) & (x->cap - 1), n++)
		if (x->keys[s] == sk)
			return &x->t->socks[x->rows[s]];
	return NULL;
}

int xf_lookup_learn(struct xf_lookup *l, const struct xf_table *t)
{
	const struct xf_offsets *po = &l->w->p->off;
	struct xf_vm *vm = l->w->vm;
	size_t i;

	for (i = 0; l->off.ok && i < t->nr_socks && (!l->tcp_hashinfo || !l->udp_table); i++) {
		const struct xf_sock_info *s = &t->socks[i];
		uint64_t prot, h = 0, net;

		if (xf_read_kptr(vm, s->sk + po->sk_prot, &prot) ||
		    xf_read_u64(vm, prot + po->proto_h, &h) ||
		    xf_read_kptr(vm, s->sk + po->sk_net, &net))
			continue;
		if (!l->net) {
			l->net = net;
			if (po->have_hash_mix)
				xf_read_u32(vm, net + po->net_hash_mix, &l->hash_mix);
		}
		if (!xf_kptr_ok(vm, h, 8))
			h = 0;
		if (s->proto == 6 && !l->tcp_hashinfo) {
			if (!h && l->off.per_netns_tcp)
				xf_read_u64(vm, net + l->off.net_ipv4 + l->off.ipv4_death_row +
					    l->off.death_row_hashinfo, &h);
			if (xf_kptr_ok(vm, h, 8))
				l->tcp_hashinfo = h;
		} else if (s->proto == 17 && !l->udp_table) {
			if (!h && l->off.per_netns_udp)
				xf_read_u64(vm, net + l->off.net_ipv4 + l->off.ipv4_udp_table, &h);
			if (xf_kptr_ok(vm, h, 8))
				l->udp_table = h;
		}
	}
	return index_build(&l->idx, t);
}

/* the address as IPv6 (v4 mapped), and whether it is the wildcard */
static bool as_v6(unsigned int family, const uint8_t *a, uint8_t out[16])
{
	static const uint8_t zero[16];

	if (family == AF_INET_) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, a, 4);
		return !memcmp(a, zero, 4);
	}
	memcpy(out, a, 16);
	return !memcmp(a, zero, 16);
}

/* 0: no, 1: a listener or unconnected socket for the flow, 2: the flow itself */
static int match(const struct xf_flow *f, const struct xf_sock_info *s)
{
	uint8_t fl[16], fr[16], sl[16], sr[16];
	bool s_lany, s_rany;

	if (s->proto != f->proto || s->lport != f->lport)
		return 0;
	if (f->family == AF_INET6_ && s->family == AF_INET_)
		return 0;
	as_v6(f->family, f->laddr, fl);
	as_v6(f->family, f->raddr, fr);
	s_lany = as_v6(s->family, s->laddr, sl);
	s_rany = as_v6(s->family, s->raddr, sr);
	if (!s_lany && memcmp(sl, fl, 16))
		return 0;
	if (s->rport == 0 && s_rany)
		return f->proto == 17 || s->state == 10 /* LISTEN */ ? 1 : 0;
	return s->rport == f->rport && !memcmp(sr, fr, 16) ? 2 : 0;
}

/*
 * The flow among the last walk's sockets, checked against the guest's
 * memory now (the socket may have been closed and its memory reused).
 */
static int index_flow(struct xf_lookup *l, const struct xf_flow *f, struct xf_sock_info *out)
{
	const struct xf_index *x = &l->idx;
	int pass;

	if (!x->cap)
		return 0;
	for (pass = 0; pass < 2; pass++) {
		bool exact = pass == 0;
		uint64_t h = flow_hash(f->proto, f->lport, f->family, f->laddr, f->raddr,
				       f->rport, exact);
		size_t s, n;

		for (s = idx_slot(h, x->cap), n = 0; x->fkeys[s] && n < x->cap;
		     s = (s + 1) & (x->cap - 1), n++) {
			const struct xf_sock_info *so = &x->t->socks[x->frows[s]];
			struct xf_sock_info now;
			int sc = exact ? 2 : 1;

			if (x->fkeys[s] != h || match(f, so) != sc)
				continue;
			if (xf_read_sock(l->w, so->sk, &now) || match(f, &now) != sc)
				continue;
			*out = now;
			return sc;
		}
	}
	return 0;
}

/* Walks an hlist from head; each node is at link_off inside a sock. */
static int scan_socks(struct xf_lookup *l, uint64_t first, uint32_t link_off,
		      const struct xf_flow *f, struct xf_sock_info *best, int *best_score)
{
	const struct xf_offsets *po = &l->w->p->off;
	uint16_t want_dport = (uint16_t)(f->rport >> 8 | f->rport << 8);
	struct xf_vm *vm = l->w->vm;
	uint64_t node = first;
	uint64_t steps = 0;

	while (node && !(node & 1)) {
		struct xf_sock_info s;
		uint64_t sk = node - link_off;
		uint16_t num, dport;
		uint8_t state;
		int sc;

		if (++steps > l->max_chain || !xf_kptr_ok(vm, node, 8))
			return -ELOOP;
		l->chain_steps++;
		/* time-wait and request socks are not full socks: skip them */
		if (xf_read_u8(vm, sk + po->sk_state, &state))
			return -EFAULT;
		/* cheap checks first: the port, and the peer port once connected */
		if (state != TCP_TIME_WAIT && state != TCP_NEW_SYN_RECV &&
		    !xf_read_u16(vm, sk + po->sk_num, &num) && num == f->lport &&
		    !xf_read_u16(vm, sk + po->sk_dport, &dport) &&
		    (!dport || dport == want_dport) && !xf_read_sock(l->w, sk, &s)) {
			sc = match(f, &s);
			if (sc > *best_score) {
				*best = s;
				*best_score = sc;
				if (sc == 2)
					return 0;
			}
		}
		if (xf_read_u64(vm, node, &node))
			return -EFAULT;
	}
	return 0;
}

static int lookup_tcp(struct xf_lookup *l, const struct xf_flow *f, struct xf_sock_info *best,
		      int *score)
{
	const struct xf_lookup_off *o = &l->off;
	uint32_t link = l->w->p->off.sk_bind_node;
	struct xf_vm *vm = l->w->vm;
	uint64_t bhash, bucket, tb, steps = 0;
	uint32_t size;

	if (!l->tcp_hashinfo)
		return -ENOENT;
	if (xf_read_kptr(vm, l->tcp_hashinfo + o->hi_bhash, &bhash) ||
	    xf_read_u32(vm, l->tcp_hashinfo + o->hi_bhash_size, &size) ||
	    !size || (size & (size - 1)) || size > (1U << 26))
		return -EFAULT;
	bucket = bhash + (uint64_t)((f->lport + l->hash_mix) & (size - 1)) * o->bhb_size;
	if (xf_read_u64(vm, bucket + o->bhb_chain, &tb))
		return -EFAULT;
	for (; tb && !(tb & 1); steps++) {
		uint64_t b = tb - o->tb_node, first;
		uint16_t port;
		int ret;

		if (steps > l->max_chain || !xf_kptr_ok(vm, tb, 8))
			return -ELOOP;
		if (xf_read_u16(vm, b + o->tb_port, &port))
			return -EFAULT;
		if (port == f->lport) {
			if (o->tb_has_owners) {
				if (xf_read_u64(vm, b + o->tb_owners, &first))
					return -EFAULT;
				ret = scan_socks(l, first, link, f, best, score);
				if (ret || *score == 2)
					return ret;
			} else {
				uint64_t tb2, n = 0;

				if (xf_read_u64(vm, b + o->tb_bhash2, &tb2))
					return -EFAULT;
				for (; tb2 && !(tb2 & 1); n++) {
					uint64_t b2 = tb2 - o->tb2_bhash_node;

					if (n > l->max_chain || !xf_kptr_ok(vm, tb2, 8))
						return -ELOOP;
					if (xf_read_u64(vm, b2 + o->tb2_owners, &first))
						return -EFAULT;
					ret = scan_socks(l, first, link, f, best, score);
					if (ret || *score == 2)
						return ret;
					if (xf_read_u64(vm, tb2, &tb2))
						return -EFAULT;
				}
			}
		}
		if (xf_read_u64(vm, tb, &tb))
			return -EFAULT;
	}
	return 0;
}

static int lookup_udp(struct xf_lookup *l, const struct xf_flow *f, struct xf_sock_info *best,
		      int *score)
{
	const struct xf_lookup_off *o = &l->off;
	struct xf_vm *vm = l->w->vm;
	uint64_t hash, first;
	uint32_t mask;

	if (!l->udp_table)
		return -ENOENT;
	if (xf_read_kptr(vm, l->udp_table + o->ut_hash, &hash) ||
	    xf_read_u32(vm, l->udp_table + o->ut_mask, &mask) ||
	    (mask & (mask + 1)) || mask >= (1U << 26))
		return -EFAULT;
	if (xf_read_u64(vm, hash + (uint64_t)((f->lport + l->hash_mix) & mask) * o->hs_size +
			o->hs_head, &first))
		return -EFAULT;
	return scan_socks(l, first, l->w->p->off.sk_node, f, best, score);
}

/*
 * The inode number of sk's socket, read now: sk->sk_socket is embedded in
 * a struct socket_alloc beside its vfs inode. 0 and *ino, or -ENOENT when
 * it cannot be read (no sk_socket in the BTF, a socket being released).
 */
static int live_ino(struct xf_lookup *l, uint64_t sk, uint64_t *ino)
{
	const struct xf_offsets *po = &l->w->p->off;
	uint64_t sock;

	*ino = 0;
	if (!po->sk_socket || xf_read_kptr(l->w->vm, sk + po->sk_socket, &sock) ||
	    xf_read_u64(l->w->vm, sock - po->socket_alloc_socket + po->socket_alloc_vfs_inode +
			po->inode_i_ino, ino))
		return -ENOENT;
	return 0;
}

int xf_lookup_flow(struct xf_lookup *l, const struct xf_flow *f, struct xf_sock_info *s)
{
	const struct xf_sock_info *own;
	struct xf_sock_info best, cand;
	int score = 0, cand_score = 0, ret, live;

	if (l->use_index) {
		cand_score = index_flow(l, f, &cand);
		if (cand_score == 2) {
			l->index_hits++;
			best = cand;
			goto found;
		}
	}
	if (!l->off.ok)
		ret = -EOPNOTSUPP;	/* cannot tell: not "no socket" */
	else if (f->proto == 6)
		ret = lookup_tcp(l, f, &best, &score);
	else if (f->proto == 17)
		ret = lookup_udp(l, f, &best, &score);
	else
		ret = -EINVAL;
	if (ret && !score && cand_score) {
		/* tables unreadable: the last walk's listener, re-checked, is the answer */
		best = cand;
		score = cand_score;
	}
	if (ret && !score)
		return ret;
	if (!score)
		return -ENOENT;
found:
	own = index_find(&l->idx, best.sk);
	*s = best;
	live = live_ino(l, best.sk, &s->ino);
	/*
	 * The walk's owner stands only for the very socket it saw: a socket
	 * freed since and another at the same address on the same flow (a
	 * new process reusing the port) read the same, but its inode number
	 * is new. A mismatch, or a socket whose inode cannot be read now
	 * (being released), is a socket of unknown owner: the caller asks a
	 * walk that begins after the miss.
	 */
	if (own && l->w->p->off.sk_socket && (live || s->ino != own->ino)) {
		l->ino_mismatch++;
		own = NULL;
	}
	if (own) {
		s->pid = own->pid;
		s->tgid = own->tgid;
		s->uid = own->uid;
		s->gid = own->gid;
		s->start_time = own->start_time;
		memcpy(s->comm, own->comm, sizeof(s->comm));
		s->fd = own->fd;
		if (!l->w->p->off.sk_socket)
			s->ino = own->ino;
	} else {
		s->pid = s->tgid = -1;	/* newer than the last walk */
		s->fd = -1;
	}
	return 0;
}

enum xf_miss_act xf_miss_act(int ret, const struct xf_sock_info *s, bool fresh, bool may_refresh)
{
	if (ret == -ENOENT)
		return XF_MISS_NONE;
	if (!ret && s->pid >= 0)
		return XF_MISS_OWNER;
	if (fresh)
		return ret ? XF_MISS_UNKNOWN : XF_MISS_OWNER;
	return may_refresh ? XF_MISS_REFRESH : XF_MISS_DEFER;
}
