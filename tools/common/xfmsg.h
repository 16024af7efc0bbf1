/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xfilter objects (flow key, owner, rule, domain, counters, events) as C
 * structs, and their netlink attribute encoding and decoding. Decoding treats
 * every message as hostile: lengths, families and strings are checked and a
 * bad nest is refused whole (-EINVAL), never half-read.
 *
 * Each struct has a "present" mask with bit (1 << attribute type) set for
 * every attribute that was (or is to be) on the wire, so "absent" (a wildcard
 * selector, a counter the module does not have) is never confused with zero.
 */
#ifndef XF_MSG_H
#define XF_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <netlink/attr.h>
#include <linux/xfilter.h>

struct nl_msg;

#define XF_BIT(attr)		(1ULL << (attr))
#define XF_HAS(obj, attr)	(((obj)->present & XF_BIT(attr)) != 0)
#define XF_SET(obj, attr)	((obj)->present |= XF_BIT(attr))

#define XF_DOMAIN_VIFS_MAX	16

struct xf_key {
	uint8_t family;			/* AF_INET or AF_INET6 */
	uint8_t proto;
	uint16_t guest_port, peer_port;	/* host order; 0: wildcard */
	uint8_t guest_addr[16];		/* network order, 4 bytes used for v4 */
	uint8_t peer_addr[16];
	bool has_peer_addr;		/* false: wildcard peer */
};

struct xf_owner {
	uint64_t present;		/* XF_BIT(XFILTER_OWNER_A_*) */
	struct xf_key key;
	uint32_t pid, tgid, uid, gid, sock_uid, flags;
	char comm[XFILTER_COMM_LEN];
	uint8_t state;
	uint64_t start_time, inode;
	uint64_t packets, bytes, generation;
};

struct xf_rule {
	uint64_t present;		/* XF_BIT(XFILTER_RULE_A_*) */
	uint32_t id, prio, domid;
	uint32_t pid, tgid, uid, gid;
	char comm[XFILTER_COMM_LEN];
	uint8_t verdict, dir, proto, family, peer_plen;
	uint8_t peer_addr[16];
	uint16_t guest_port_min, guest_port_max;
	uint16_t peer_port_min, peer_port_max;
	uint32_t timeout_ms, flags, expires_ms;
	uint64_t hits, bytes;
};

struct xf_domain {
	uint64_t present;		/* XF_BIT(XFILTER_DOMAIN_A_*) */
	uint32_t domid, max_entries, entries, held;
	uint8_t fail_mode;
	bool enabled;
	uint64_t generation;
	unsigned int nvifs;
	char vifs[XF_DOMAIN_VIFS_MAX][XFILTER_IFNAME_LEN];
};

struct xf_stats {
	bool has_domid;			/* false: the global counters */
	uint32_t domid;
	uint64_t present;		/* XF_BIT(XFILTER_STATS_A_*) */
	uint64_t v[XFILTER_STATS_A_MAX + 1];
};

/* XFILTER_CMD_VERDICT */
struct xf_event {
	uint64_t present;		/* XF_BIT(XFILTER_EVENT_A_*) */
	uint32_t domid, rule_id, len;
	uint32_t pid, tgid, uid, gid;
	char ifname[XFILTER_IFNAME_LEN];
	char comm[XFILTER_COMM_LEN];
	uint8_t dir, verdict, reason, proto;
	struct xf_key key;
};

/* XFILTER_CMD_MISS */
struct xf_miss {
	uint32_t domid;
	uint8_t dir;
	char ifname[XFILTER_IFNAME_LEN];
	struct xf_key key;
	uint64_t stamp;			/* the hold's; 0: not sent */
};

/* Encoders: a nest of type attr; 0 or -EMSGSIZE. */
int xf_key_put(struct nl_msg *msg, int attr, const struct xf_key *k);
int xf_owner_put(struct nl_msg *msg, int attr, const struct xf_owner *o);
int xf_rule_put(struct nl_msg *msg, int attr, const struct xf_rule *r);
int xf_domain_put(struct nl_msg *msg, int attr, const struct xf_domain *d);

/*
 * XFILTER_A_KEYS (the batched form of MISS_RESOLVE and OWNER_DEL): a nest
 * of n XFILTER_A_KEY nests; -EINVAL when n is 0 or over max (the command's
 * cap: XFILTER_MISS_KEYS_MAX, XFILTER_OWNER_DEL_KEYS_MAX) or a key has no
 * valid family (nothing added then), -EMSGSIZE when the message is full.
 */
int xf_keys_put(struct nl_msg *msg, const struct xf_key *keys, size_t n, size_t max);

/* Decoders of one nest; 0 or -EINVAL. */
int xf_key_parse(const struct nlattr *nest, struct xf_key *k);
int xf_owner_parse(const struct nlattr *nest, struct xf_owner *o);
int xf_rule_parse(const struct nlattr *nest, struct xf_rule *r);
int xf_domain_parse(const struct nlattr *nest, struct xf_domain *d);
int xf_event_parse(const struct nlattr *nest, struct xf_event *e);

/*
 * Decoders of a whole message's top-level attributes (tb as xf_nl_cb gets
 * it): OWNER_GET replies (domid out), STATS_GET replies, MISS events.
 */
int xf_owner_msg_parse(struct nlattr **tb, uint32_t *domid, struct xf_owner *o);
int xf_stats_msg_parse(struct nlattr **tb, struct xf_stats *s);
int xf_miss_msg_parse(struct nlattr **tb, struct xf_miss *m);

/* Address length of a family: 4, 16, or 0 when the family is neither. */
unsigned int xf_addr_len(uint8_t family);

/* A counter's name, as its sysfs file is called; NULL if unknown. */
const char *xf_stats_name(unsigned int attr);

#endif /* XF_MSG_H */
