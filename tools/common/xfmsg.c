// SPDX-License-Identifier: GPL-2.0
/* xfilter objects and their netlink attribute encoding (see xfmsg.h). */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <netlink/attr.h>
#include <netlink/msg.h>

#include "xfmsg.h"

static const struct nla_policy key_policy[XFILTER_KEY_A_MAX + 1] = {
	[XFILTER_KEY_A_FAMILY]		= { .type = NLA_U8 },
	[XFILTER_KEY_A_PROTO]		= { .type = NLA_U8 },
	[XFILTER_KEY_A_GUEST_ADDR]	= { .type = NLA_UNSPEC, .minlen = 4, .maxlen = 16 },
	[XFILTER_KEY_A_GUEST_PORT]	= { .type = NLA_U16 },
	[XFILTER_KEY_A_PEER_ADDR]	= { .type = NLA_UNSPEC, .minlen = 4, .maxlen = 16 },
	[XFILTER_KEY_A_PEER_PORT]	= { .type = NLA_U16 },
};

static const struct nla_policy owner_policy[XFILTER_OWNER_A_MAX + 1] = {
	[XFILTER_OWNER_A_KEY]		= { .type = NLA_NESTED },
	[XFILTER_OWNER_A_PID]		= { .type = NLA_U32 },
	[XFILTER_OWNER_A_TGID]		= { .type = NLA_U32 },
	[XFILTER_OWNER_A_UID]		= { .type = NLA_U32 },
	[XFILTER_OWNER_A_GID]		= { .type = NLA_U32 },
	[XFILTER_OWNER_A_SOCK_UID]	= { .type = NLA_U32 },
	[XFILTER_OWNER_A_COMM]		= { .type = NLA_UNSPEC, .maxlen = XFILTER_COMM_LEN },
	[XFILTER_OWNER_A_STATE]		= { .type = NLA_U8 },
	[XFILTER_OWNER_A_START_TIME]	= { .type = NLA_U64 },
	[XFILTER_OWNER_A_INODE]		= { .type = NLA_U64 },
	[XFILTER_OWNER_A_FLAGS]		= { .type = NLA_U32 },
	[XFILTER_OWNER_A_PACKETS]	= { .type = NLA_U64 },
	[XFILTER_OWNER_A_BYTES]		= { .type = NLA_U64 },
	[XFILTER_OWNER_A_GENERATION]	= { .type = NLA_U64 },
};

static const struct nla_policy rule_policy[XFILTER_RULE_A_MAX + 1] = {
	[XFILTER_RULE_A_ID]		= { .type = NLA_U32 },
	[XFILTER_RULE_A_PRIO]		= { .type = NLA_U32 },
	[XFILTER_RULE_A_VERDICT]	= { .type = NLA_U8 },
	[XFILTER_RULE_A_DOMID]		= { .type = NLA_U32 },
	[XFILTER_RULE_A_PID]		= { .type = NLA_U32 },
	[XFILTER_RULE_A_TGID]		= { .type = NLA_U32 },
	[XFILTER_RULE_A_UID]		= { .type = NLA_U32 },
	[XFILTER_RULE_A_GID]		= { .type = NLA_U32 },
	[XFILTER_RULE_A_COMM]		= { .type = NLA_UNSPEC, .maxlen = XFILTER_COMM_LEN },
	[XFILTER_RULE_A_DIR]		= { .type = NLA_U8 },
	[XFILTER_RULE_A_PROTO]		= { .type = NLA_U8 },
	[XFILTER_RULE_A_FAMILY]		= { .type = NLA_U8 },
	[XFILTER_RULE_A_PEER_ADDR]	= { .type = NLA_UNSPEC, .minlen = 4, .maxlen = 16 },
	[XFILTER_RULE_A_PEER_PLEN]	= { .type = NLA_U8 },
	[XFILTER_RULE_A_GUEST_PORT_MIN]	= { .type = NLA_U16 },
	[XFILTER_RULE_A_GUEST_PORT_MAX]	= { .type = NLA_U16 },
	[XFILTER_RULE_A_PEER_PORT_MIN]	= { .type = NLA_U16 },
	[XFILTER_RULE_A_PEER_PORT_MAX]	= { .type = NLA_U16 },
	[XFILTER_RULE_A_TIMEOUT_MS]	= { .type = NLA_U32 },
	[XFILTER_RULE_A_FLAGS]		= { .type = NLA_U32 },
	[XFILTER_RULE_A_HITS]		= { .type = NLA_U64 },
	[XFILTER_RULE_A_BYTES]		= { .type = NLA_U64 },
	[XFILTER_RULE_A_EXPIRES_MS]	= { .type = NLA_U32 },
};

static const struct nla_policy domain_policy[XFILTER_DOMAIN_A_MAX + 1] = {
	[XFILTER_DOMAIN_A_DOMID]	= { .type = NLA_U32 },
	[XFILTER_DOMAIN_A_FAIL_MODE]	= { .type = NLA_U8 },
	[XFILTER_DOMAIN_A_ENABLED]	= { .type = NLA_U8 },
	[XFILTER_DOMAIN_A_MAX_ENTRIES]	= { .type = NLA_U32 },
	[XFILTER_DOMAIN_A_ENTRIES]	= { .type = NLA_U32 },
	[XFILTER_DOMAIN_A_GENERATION]	= { .type = NLA_U64 },
	[XFILTER_DOMAIN_A_VIFS]		= { .type = NLA_NESTED },
	[XFILTER_DOMAIN_A_HELD]		= { .type = NLA_U32 },
};

static const struct nla_policy event_policy[XFILTER_EVENT_A_MAX + 1] = {
	[XFILTER_EVENT_A_DOMID]		= { .type = NLA_U32 },
	[XFILTER_EVENT_A_IFNAME]	= { .type = NLA_UNSPEC, .maxlen = XFILTER_IFNAME_LEN },
	[XFILTER_EVENT_A_DIR]		= { .type = NLA_U8 },
	[XFILTER_EVENT_A_VERDICT]	= { .type = NLA_U8 },
	[XFILTER_EVENT_A_REASON]	= { .type = NLA_U8 },
	[XFILTER_EVENT_A_RULE_ID]	= { .type = NLA_U32 },
	[XFILTER_EVENT_A_KEY]		= { .type = NLA_NESTED },
	[XFILTER_EVENT_A_PROTO]		= { .type = NLA_U8 },
	[XFILTER_EVENT_A_LEN]		= { .type = NLA_U32 },
	[XFILTER_EVENT_A_PID]		= { .type = NLA_U32 },
	[XFILTER_EVENT_A_TGID]		= { .type = NLA_U32 },
	[XFILTER_EVENT_A_UID]		= { .type = NLA_U32 },
	[XFILTER_EVENT_A_GID]		= { .type = NLA_U32 },
	[XFILTER_EVENT_A_COMM]		= { .type = NLA_UNSPEC, .maxlen = XFILTER_COMM_LEN },
};

unsigned int xf_addr_len(uint8_t family)
{
	if (family == AF_INET)
		return 4;
	if (family == AF_INET6)
		return 16;
	return 0;
}

/*
 * A string attribute into dst: it must fit with its NUL (a missing NUL at
 * the end of the payload is tolerated, an overlong string is not).
 */
static int get_str(const struct nlattr *a, char *dst, size_t size)
{
	size_t n = (size_t)nla_len(a);
	const char *s = nla_data(a);
	size_t len = strnlen(s, n);

	if (len >= size)
		return -EINVAL;
	memcpy(dst, s, len);
	memset(dst + len, 0, size - len);
	return 0;
}

static int parse_nest(struct nlattr **tb, int max, const struct nlattr *nest,
		      const struct nla_policy *policy)
{
	if (!nest)
		return -EINVAL;
	if (nla_parse_nested(tb, max, (struct nlattr *)nest,
			     (struct nla_policy *)policy) < 0)
		return -EINVAL;
	return 0;
}

/* Copies an address attribute that must be exactly len bytes. */
static int get_addr(const struct nlattr *a, uint8_t *dst, unsigned int len)
{
	if (!len || (unsigned int)nla_len(a) != len)
		return -EINVAL;
	memcpy(dst, nla_data(a), len);
	return 0;
}

int xf_key_parse(const struct nlattr *nest, struct xf_key *k)
{
	struct nlattr *tb[XFILTER_KEY_A_MAX + 1];
	unsigned int alen;

	memset(k, 0, sizeof(*k));
	if (parse_nest(tb, XFILTER_KEY_A_MAX, nest, key_policy))
		return -EINVAL;
	if (!tb[XFILTER_KEY_A_FAMILY])
		return -EINVAL;
	k->family = nla_get_u8(tb[XFILTER_KEY_A_FAMILY]);
	alen = xf_addr_len(k->family);
	if (!alen)
		return -EINVAL;
	if (tb[XFILTER_KEY_A_PROTO])
		k->proto = nla_get_u8(tb[XFILTER_KEY_A_PROTO]);
	if (tb[XFILTER_KEY_A_GUEST_ADDR] &&
	    get_addr(tb[XFILTER_KEY_A_GUEST_ADDR], k->guest_addr, alen))
		return -EINVAL;
	if (tb[XFILTER_KEY_A_PEER_ADDR]) {
		if (get_addr(tb[XFILTER_KEY_A_PEER_ADDR], k->peer_addr, alen))
			return -EINVAL;
		k->has_peer_addr = true;
	}
	if (tb[XFILTER_KEY_A_GUEST_PORT])
		k->guest_port = nla_get_u16(tb[XFILTER_KEY_A_GUEST_PORT]);
	if (tb[XFILTER_KEY_A_PEER_PORT])
		k->peer_port = nla_get_u16(tb[XFILTER_KEY_A_PEER_PORT]);
	return 0;
}

int xf_key_put(struct nl_msg *msg, int attr, const struct xf_key *k)
{
	unsigned int alen = xf_addr_len(k->family);
	struct nlattr *nest;

	if (!alen)
		return -EINVAL;
	nest = nla_nest_start(msg, attr);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u8(msg, XFILTER_KEY_A_FAMILY, k->family) ||
	    nla_put_u8(msg, XFILTER_KEY_A_PROTO, k->proto) ||
	    nla_put(msg, XFILTER_KEY_A_GUEST_ADDR, (int)alen, k->guest_addr) ||
	    nla_put_u16(msg, XFILTER_KEY_A_GUEST_PORT, k->guest_port))
		goto full;
	if (k->has_peer_addr &&
	    nla_put(msg, XFILTER_KEY_A_PEER_ADDR, (int)alen, k->peer_addr))
		goto full;
	if (k->peer_port && nla_put_u16(msg, XFILTER_KEY_A_PEER_PORT, k->peer_port))
		goto full;
	nla_nest_end(msg, nest);
	return 0;
full:
	nla_nest_cancel(msg, nest);
	return -EMSGSIZE;
}

int xf_keys_put(struct nl_msg *msg, const struct xf_key *keys, size_t n, size_t max)
{
	struct nlattr *nest;
	size_t i;
	int err;

	if (!n || n > max)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (!xf_addr_len(keys[i].family))
			return -EINVAL;
	nest = nla_nest_start(msg, XFILTER_A_KEYS);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < n; i++) {
		err = xf_key_put(msg, XFILTER_A_KEY, &keys[i]);
		if (err) {
			nla_nest_cancel(msg, nest);
			return err;
		}
	}
	nla_nest_end(msg, nest);
	return 0;
}

/* An attribute present on the wire is copied into field and marked present. */
#define GET_ATTR(get, tb, obj, attr, field)			\
	do {							\
		if ((tb)[attr]) {				\
			(obj)->field = get((tb)[attr]);		\
			XF_SET(obj, attr);			\
		}						\
	} while (0)
#define GET_U8(...)	GET_ATTR(nla_get_u8, __VA_ARGS__)
#define GET_U16(...)	GET_ATTR(nla_get_u16, __VA_ARGS__)
#define GET_U32(...)	GET_ATTR(nla_get_u32, __VA_ARGS__)
#define GET_U64(...)	GET_ATTR(nla_get_u64, __VA_ARGS__)

int xf_owner_parse(const struct nlattr *nest, struct xf_owner *o)
{
	struct nlattr *tb[XFILTER_OWNER_A_MAX + 1];

	memset(o, 0, sizeof(*o));
	if (parse_nest(tb, XFILTER_OWNER_A_MAX, nest, owner_policy))
		return -EINVAL;
	if (xf_key_parse(tb[XFILTER_OWNER_A_KEY], &o->key))
		return -EINVAL;
	XF_SET(o, XFILTER_OWNER_A_KEY);
	if (tb[XFILTER_OWNER_A_COMM]) {
		if (get_str(tb[XFILTER_OWNER_A_COMM], o->comm, sizeof(o->comm)))
			return -EINVAL;
		XF_SET(o, XFILTER_OWNER_A_COMM);
	}
	GET_U32(tb, o, XFILTER_OWNER_A_PID, pid);
	GET_U32(tb, o, XFILTER_OWNER_A_TGID, tgid);
	GET_U32(tb, o, XFILTER_OWNER_A_UID, uid);
	GET_U32(tb, o, XFILTER_OWNER_A_GID, gid);
	GET_U32(tb, o, XFILTER_OWNER_A_SOCK_UID, sock_uid);
	GET_U8(tb, o, XFILTER_OWNER_A_STATE, state);
	GET_U64(tb, o, XFILTER_OWNER_A_START_TIME, start_time);
	GET_U64(tb, o, XFILTER_OWNER_A_INODE, inode);
	GET_U32(tb, o, XFILTER_OWNER_A_FLAGS, flags);
	GET_U64(tb, o, XFILTER_OWNER_A_PACKETS, packets);
	GET_U64(tb, o, XFILTER_OWNER_A_BYTES, bytes);
	GET_U64(tb, o, XFILTER_OWNER_A_GENERATION, generation);
	return 0;
}

#define PUT_U8(msg, obj, attr, field) \
	(XF_HAS(obj, attr) && nla_put_u8(msg, attr, (obj)->field))
#define PUT_U16(msg, obj, attr, field) \
	(XF_HAS(obj, attr) && nla_put_u16(msg, attr, (obj)->field))
#define PUT_U32(msg, obj, attr, field) \
	(XF_HAS(obj, attr) && nla_put_u32(msg, attr, (obj)->field))
#define PUT_U64(msg, obj, attr, field) \
	(XF_HAS(obj, attr) && nla_put_u64(msg, attr, (obj)->field))
#define PUT_STR(msg, obj, attr, field) \
	(XF_HAS(obj, attr) && nla_put_string(msg, attr, (obj)->field))

/* The dump-only counters are the kernel's; they are never sent. */
int xf_owner_put(struct nl_msg *msg, int attr, const struct xf_owner *o)
{
	struct nlattr *nest = nla_nest_start(msg, attr);
	int err;

	if (!nest)
		return -EMSGSIZE;
	err = xf_key_put(msg, XFILTER_OWNER_A_KEY, &o->key);
	if (err) {
		nla_nest_cancel(msg, nest);
		return err;	/* -EINVAL (bad family) is not "message full" */
	}
	if (PUT_U32(msg, o, XFILTER_OWNER_A_PID, pid) ||
	    PUT_U32(msg, o, XFILTER_OWNER_A_TGID, tgid) ||
	    PUT_U32(msg, o, XFILTER_OWNER_A_UID, uid) ||
	    PUT_U32(msg, o, XFILTER_OWNER_A_GID, gid) ||
	    PUT_U32(msg, o, XFILTER_OWNER_A_SOCK_UID, sock_uid) ||
	    PUT_STR(msg, o, XFILTER_OWNER_A_COMM, comm) ||
	    PUT_U8(msg, o, XFILTER_OWNER_A_STATE, state) ||
	    PUT_U64(msg, o, XFILTER_OWNER_A_START_TIME, start_time) ||
	    PUT_U64(msg, o, XFILTER_OWNER_A_INODE, inode) ||
	    PUT_U32(msg, o, XFILTER_OWNER_A_FLAGS, flags)) {
		nla_nest_cancel(msg, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(msg, nest);
	return 0;
}

int xf_rule_parse(const struct nlattr *nest, struct xf_rule *r)
{
	struct nlattr *tb[XFILTER_RULE_A_MAX + 1];

	memset(r, 0, sizeof(*r));
	if (parse_nest(tb, XFILTER_RULE_A_MAX, nest, rule_policy))
		return -EINVAL;
	GET_U32(tb, r, XFILTER_RULE_A_ID, id);
	GET_U32(tb, r, XFILTER_RULE_A_PRIO, prio);
	GET_U8(tb, r, XFILTER_RULE_A_VERDICT, verdict);
	GET_U32(tb, r, XFILTER_RULE_A_DOMID, domid);
	GET_U32(tb, r, XFILTER_RULE_A_PID, pid);
	GET_U32(tb, r, XFILTER_RULE_A_TGID, tgid);
	GET_U32(tb, r, XFILTER_RULE_A_UID, uid);
	GET_U32(tb, r, XFILTER_RULE_A_GID, gid);
	if (tb[XFILTER_RULE_A_COMM]) {
		if (get_str(tb[XFILTER_RULE_A_COMM], r->comm, sizeof(r->comm)))
			return -EINVAL;
		XF_SET(r, XFILTER_RULE_A_COMM);
	}
	GET_U8(tb, r, XFILTER_RULE_A_DIR, dir);
	GET_U8(tb, r, XFILTER_RULE_A_PROTO, proto);
	GET_U8(tb, r, XFILTER_RULE_A_FAMILY, family);
	if (tb[XFILTER_RULE_A_PEER_ADDR]) {
		unsigned int alen = (unsigned int)nla_len(tb[XFILTER_RULE_A_PEER_ADDR]);

		if (alen != 4 && alen != 16)
			return -EINVAL;
		if (XF_HAS(r, XFILTER_RULE_A_FAMILY) && xf_addr_len(r->family) != alen)
			return -EINVAL;
		if (!XF_HAS(r, XFILTER_RULE_A_FAMILY)) {
			r->family = alen == 4 ? AF_INET : AF_INET6;
			XF_SET(r, XFILTER_RULE_A_FAMILY);
		}
		memcpy(r->peer_addr, nla_data(tb[XFILTER_RULE_A_PEER_ADDR]), alen);
		XF_SET(r, XFILTER_RULE_A_PEER_ADDR);
		r->peer_plen = (uint8_t)(alen * 8);
		GET_U8(tb, r, XFILTER_RULE_A_PEER_PLEN, peer_plen);
		if (r->peer_plen > alen * 8)
			return -EINVAL;
	} else if (tb[XFILTER_RULE_A_PEER_PLEN]) {
		return -EINVAL;		/* a length without an address */
	}
	GET_U16(tb, r, XFILTER_RULE_A_GUEST_PORT_MIN, guest_port_min);
	GET_U16(tb, r, XFILTER_RULE_A_GUEST_PORT_MAX, guest_port_max);
	GET_U16(tb, r, XFILTER_RULE_A_PEER_PORT_MIN, peer_port_min);
	GET_U16(tb, r, XFILTER_RULE_A_PEER_PORT_MAX, peer_port_max);
	GET_U32(tb, r, XFILTER_RULE_A_TIMEOUT_MS, timeout_ms);
	GET_U32(tb, r, XFILTER_RULE_A_FLAGS, flags);
	GET_U64(tb, r, XFILTER_RULE_A_HITS, hits);
	GET_U64(tb, r, XFILTER_RULE_A_BYTES, bytes);
	GET_U32(tb, r, XFILTER_RULE_A_EXPIRES_MS, expires_ms);
	return 0;
}

/* Counters and time left are the kernel's; they are never sent. */
int xf_rule_put(struct nl_msg *msg, int attr, const struct xf_rule *r)
{
	struct nlattr *nest = nla_nest_start(msg, attr);
	unsigned int alen = xf_addr_len(r->family);

	if (!nest)
		return -EMSGSIZE;
	if (PUT_U32(msg, r, XFILTER_RULE_A_ID, id) ||
	    PUT_U32(msg, r, XFILTER_RULE_A_PRIO, prio) ||
	    PUT_U8(msg, r, XFILTER_RULE_A_VERDICT, verdict) ||
	    PUT_U32(msg, r, XFILTER_RULE_A_DOMID, domid) ||
	    PUT_U32(msg, r, XFILTER_RULE_A_PID, pid) ||
	    PUT_U32(msg, r, XFILTER_RULE_A_TGID, tgid) ||
	    PUT_U32(msg, r, XFILTER_RULE_A_UID, uid) ||
	    PUT_U32(msg, r, XFILTER_RULE_A_GID, gid) ||
	    PUT_STR(msg, r, XFILTER_RULE_A_COMM, comm) ||
	    PUT_U8(msg, r, XFILTER_RULE_A_DIR, dir) ||
	    PUT_U8(msg, r, XFILTER_RULE_A_PROTO, proto) ||
	    PUT_U8(msg, r, XFILTER_RULE_A_FAMILY, family))
		goto full;
	if (XF_HAS(r, XFILTER_RULE_A_PEER_ADDR)) {
		if (!alen) {
			nla_nest_cancel(msg, nest);
			return -EINVAL;
		}
		if (nla_put(msg, XFILTER_RULE_A_PEER_ADDR, (int)alen, r->peer_addr) ||
		    nla_put_u8(msg, XFILTER_RULE_A_PEER_PLEN, r->peer_plen))
			goto full;
	}
	if (PUT_U16(msg, r, XFILTER_RULE_A_GUEST_PORT_MIN, guest_port_min) ||
	    PUT_U16(msg, r, XFILTER_RULE_A_GUEST_PORT_MAX, guest_port_max) ||
	    PUT_U16(msg, r, XFILTER_RULE_A_PEER_PORT_MIN, peer_port_min) ||
	    PUT_U16(msg, r, XFILTER_RULE_A_PEER_PORT_MAX, peer_port_max) ||
	    PUT_U32(msg, r, XFILTER_RULE_A_TIMEOUT_MS, timeout_ms) ||
	    PUT_U32(msg, r, XFILTER_RULE_A_FLAGS, flags))
		goto full;
	nla_nest_end(msg, nest);
	return 0;
full:
	nla_nest_cancel(msg, nest);
	return -EMSGSIZE;
}

int xf_domain_parse(const struct nlattr *nest, struct xf_domain *d)
{
	struct nlattr *tb[XFILTER_DOMAIN_A_MAX + 1];

	memset(d, 0, sizeof(*d));
	if (parse_nest(tb, XFILTER_DOMAIN_A_MAX, nest, domain_policy))
		return -EINVAL;
	GET_U32(tb, d, XFILTER_DOMAIN_A_DOMID, domid);
	GET_U8(tb, d, XFILTER_DOMAIN_A_FAIL_MODE, fail_mode);
	if (tb[XFILTER_DOMAIN_A_ENABLED]) {
		d->enabled = nla_get_u8(tb[XFILTER_DOMAIN_A_ENABLED]) != 0;
		XF_SET(d, XFILTER_DOMAIN_A_ENABLED);
	}
	GET_U32(tb, d, XFILTER_DOMAIN_A_MAX_ENTRIES, max_entries);
	GET_U32(tb, d, XFILTER_DOMAIN_A_ENTRIES, entries);
	GET_U64(tb, d, XFILTER_DOMAIN_A_GENERATION, generation);
	GET_U32(tb, d, XFILTER_DOMAIN_A_HELD, held);
	if (tb[XFILTER_DOMAIN_A_VIFS]) {
		struct nlattr *a;
		int rem;

		nla_for_each_nested(a, tb[XFILTER_DOMAIN_A_VIFS], rem) {
			if (nla_type(a) != XFILTER_DOMAIN_A_IFNAME)
				continue;
			if (d->nvifs >= XF_DOMAIN_VIFS_MAX)
				break;
			if (get_str(a, d->vifs[d->nvifs], XFILTER_IFNAME_LEN))
				return -EINVAL;
			d->nvifs++;
		}
		XF_SET(d, XFILTER_DOMAIN_A_VIFS);
	}
	return 0;
}

/* Only what DOMAIN_SET takes: the rest describes the domain, not a setting. */
int xf_domain_put(struct nl_msg *msg, int attr, const struct xf_domain *d)
{
	struct nlattr *nest = nla_nest_start(msg, attr);

	if (!nest)
		return -EMSGSIZE;
	if (PUT_U32(msg, d, XFILTER_DOMAIN_A_DOMID, domid) ||
	    PUT_U8(msg, d, XFILTER_DOMAIN_A_FAIL_MODE, fail_mode) ||
	    PUT_U8(msg, d, XFILTER_DOMAIN_A_ENABLED, enabled) ||
	    PUT_U32(msg, d, XFILTER_DOMAIN_A_MAX_ENTRIES, max_entries)) {
		nla_nest_cancel(msg, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(msg, nest);
	return 0;
}

int xf_event_parse(const struct nlattr *nest, struct xf_event *e)
{
	struct nlattr *tb[XFILTER_EVENT_A_MAX + 1];

	memset(e, 0, sizeof(*e));
	if (parse_nest(tb, XFILTER_EVENT_A_MAX, nest, event_policy))
		return -EINVAL;
	GET_U32(tb, e, XFILTER_EVENT_A_DOMID, domid);
	if (tb[XFILTER_EVENT_A_IFNAME]) {
		if (get_str(tb[XFILTER_EVENT_A_IFNAME], e->ifname, sizeof(e->ifname)))
			return -EINVAL;
		XF_SET(e, XFILTER_EVENT_A_IFNAME);
	}
	GET_U8(tb, e, XFILTER_EVENT_A_DIR, dir);
	GET_U8(tb, e, XFILTER_EVENT_A_VERDICT, verdict);
	GET_U8(tb, e, XFILTER_EVENT_A_REASON, reason);
	GET_U32(tb, e, XFILTER_EVENT_A_RULE_ID, rule_id);
	if (tb[XFILTER_EVENT_A_KEY]) {
		if (xf_key_parse(tb[XFILTER_EVENT_A_KEY], &e->key))
			return -EINVAL;
		XF_SET(e, XFILTER_EVENT_A_KEY);
	}
	GET_U8(tb, e, XFILTER_EVENT_A_PROTO, proto);
	GET_U32(tb, e, XFILTER_EVENT_A_LEN, len);
	GET_U32(tb, e, XFILTER_EVENT_A_PID, pid);
	GET_U32(tb, e, XFILTER_EVENT_A_TGID, tgid);
	GET_U32(tb, e, XFILTER_EVENT_A_UID, uid);
	GET_U32(tb, e, XFILTER_EVENT_A_GID, gid);
	if (tb[XFILTER_EVENT_A_COMM]) {
		if (get_str(tb[XFILTER_EVENT_A_COMM], e->comm, sizeof(e->comm)))
			return -EINVAL;
		XF_SET(e, XFILTER_EVENT_A_COMM);
	}
	return 0;
}

int xf_owner_msg_parse(struct nlattr **tb, uint32_t *domid, struct xf_owner *o)
{
	if (!tb[XFILTER_A_DOMID] || !tb[XFILTER_A_OWNER])
		return -EINVAL;
	*domid = nla_get_u32(tb[XFILTER_A_DOMID]);
	return xf_owner_parse(tb[XFILTER_A_OWNER], o);
}

int xf_stats_msg_parse(struct nlattr **tb, struct xf_stats *s)
{
	struct nlattr *a;
	int rem;

	memset(s, 0, sizeof(*s));
	if (!tb[XFILTER_A_STATS])
		return -EINVAL;
	if (tb[XFILTER_A_DOMID]) {
		s->has_domid = true;
		s->domid = nla_get_u32(tb[XFILTER_A_DOMID]);
	}
	/* Every counter is a u64; unknown (newer) ones are skipped. */
	nla_for_each_nested(a, tb[XFILTER_A_STATS], rem) {
		int type = nla_type(a);

		if (type <= XFILTER_STATS_A_PAD || type > XFILTER_STATS_A_MAX)
			continue;
		if (nla_len(a) != (int)sizeof(uint64_t))
			return -EINVAL;
		s->v[type] = nla_get_u64(a);
		XF_SET(s, type);
	}
	return 0;
}

int xf_miss_msg_parse(struct nlattr **tb, struct xf_miss *m)
{
	memset(m, 0, sizeof(*m));
	if (!tb[XFILTER_A_DOMID] || !tb[XFILTER_A_KEY])
		return -EINVAL;
	m->domid = nla_get_u32(tb[XFILTER_A_DOMID]);
	if (tb[XFILTER_A_DIR])
		m->dir = nla_get_u8(tb[XFILTER_A_DIR]);
	if (tb[XFILTER_A_IFNAME] &&
	    get_str(tb[XFILTER_A_IFNAME], m->ifname, sizeof(m->ifname)))
		return -EINVAL;
	if (tb[XFILTER_A_HOLD_STAMP])
		m->stamp = nla_get_u64(tb[XFILTER_A_HOLD_STAMP]);
	return xf_key_parse(tb[XFILTER_A_KEY], &m->key);
}

/* The sysfs file names: one vocabulary for sysfs, stats and stats -j. */
static const char *const stats_names[] = {
	[XFILTER_STATS_A_PACKETS]		= "packets",
	[XFILTER_STATS_A_BYTES]			= "bytes",
	[XFILTER_STATS_A_ACCEPTED]		= "accepted",
	[XFILTER_STATS_A_DROPPED]		= "dropped",
	[XFILTER_STATS_A_REJECTED]		= "rejected",
	[XFILTER_STATS_A_LOGGED]		= "logged",
	[XFILTER_STATS_A_HITS]			= "hits",
	[XFILTER_STATS_A_MISSES]		= "misses",
	[XFILTER_STATS_A_UNKNOWN]		= "unknown",
	[XFILTER_STATS_A_HELD]			= "held",
	[XFILTER_STATS_A_HOLD_RESOLVED]		= "hold_resolved",
	[XFILTER_STATS_A_HOLD_TIMEOUTS]		= "hold_timeouts",
	[XFILTER_STATS_A_HOLD_OVERFLOWS]	= "hold_overflows",
	[XFILTER_STATS_A_NO_DAEMON]		= "no_daemon",
	[XFILTER_STATS_A_FAIL_OPEN]		= "fail_open",
	[XFILTER_STATS_A_FAIL_CLOSED]		= "fail_closed",
	[XFILTER_STATS_A_NEG_HITS]		= "neg_hits",
	[XFILTER_STATS_A_TABLE_FULL]		= "table_full",
	[XFILTER_STATS_A_ENTRIES]		= "entries",
	[XFILTER_STATS_A_AUDIT_SUPPRESSED]	= "audit_suppressed",
	[XFILTER_STATS_A_FLOWS_CUT]		= "flows_cut",
	[XFILTER_STATS_A_MALFORMED]		= "malformed",
	[XFILTER_STATS_A_MISS_LOST]		= "miss_lost",
};

const char *xf_stats_name(unsigned int attr)
{
	return attr < sizeof(stats_names) / sizeof(stats_names[0]) ?
	       stats_names[attr] : NULL;
}
