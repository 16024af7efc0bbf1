/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * xFilter generic netlink contract, shared by the dom0 module, xfilterd and
 * xfilterctl.
 *
 * Family XFILTER_GENL_NAME, version XFILTER_GENL_VERSION. The family version
 * never changes: the API grows by new attributes, commands and feature bits.
 * The protocol revision (XFILTER_PROTO_VERSION) is what tools compare: a tool
 * asks XFILTER_CMD_GET_INFO first and refuses to run when its own revision is
 * outside [XFILTER_A_PROTO_MIN, XFILTER_A_PROTO_MAX].
 *
 * Every command except GET_INFO requires CAP_NET_ADMIN (GENL_ADMIN_PERM),
 * dumps included: they reveal tenants' traffic. Subscribing to the multicast
 * groups requires it too. Errors carry an extack message and, where
 * one attribute is at fault, point at it. Unknown flag bits are refused with
 * -EOPNOTSUPP. Numbers are host order unless said otherwise; addresses are
 * network order, 4 bytes for AF_INET and 16 for AF_INET6.
 *
 * Direction is seen from the guest: OUT is guest -> world (the vif's ingress),
 * IN is world -> guest (the vif's egress). In a flow key "guest" is always the
 * guest's end and "peer" the other end, whatever the direction of the packet.
 *
 * XFILTER_CMD_GET_INFO
 *   request:  (none)
 *   reply:    XFILTER_A_PROTO_MIN: u32
 *             XFILTER_A_PROTO_MAX: u32
 *             XFILTER_A_FEATURES: u64, XFILTER_FEAT_* bits
 *             XFILTER_A_VERSION: NUL-terminated string, the module's version
 *             XFILTER_A_RULES_GEN: u64, ruleset generation
 *
 * XFILTER_CMD_RULE_NEW (NLM_F_ECHO honoured; notifies the "config" group)
 *   request:  XFILTER_A_RULE: nest, one rule, see "Rule" below (no ID)
 *   reply:    XFILTER_A_RULE: nest, the rule as stored, with its new
 *             XFILTER_RULE_A_ID
 *
 * XFILTER_CMD_RULE_DEL (notifies the "config" group)
 *   request:  XFILTER_A_RULE: nest { XFILTER_RULE_A_ID: u32 }
 *
 * XFILTER_CMD_RULE_GET (dump; consistent: NLM_F_DUMP_INTR if the ruleset
 *                       changed while dumping)
 *   request:  XFILTER_A_DOMID: u32, optional filter
 *   reply:    one message per rule: XFILTER_A_RULE: nest, with
 *             XFILTER_RULE_A_HITS and XFILTER_RULE_A_BYTES, and
 *             XFILTER_RULE_A_EXPIRES_MS (time left) for expiring rules
 *
 * XFILTER_CMD_RULE_FLUSH (notifies the "config" group)
 *   request:  XFILTER_A_DOMID: u32, optional: only that domain's rules
 *
 * XFILTER_CMD_RULE_REPLACE (atomic: all rules are validated first, then the
 *                           whole ruleset is swapped; notifies "config")
 *   request:  XFILTER_A_RULES: nest of XFILTER_A_RULE nests (may be empty)
 *   reply:    XFILTER_A_RULES_GEN: u64, the new ruleset generation
 *
 * XFILTER_CMD_OWNER_ADD (from xfilterd; insert or update owner entries)
 *   request:  XFILTER_A_DOMID: u32
 *             XFILTER_A_GENERATION: u64, the batch the entries belong to
 *             XFILTER_A_OWNERS: nest of XFILTER_A_OWNER nests, see "Owner"
 *             XFILTER_A_SCAN_STAMP: u64, optional, see "Stamps"
 *   Entries are keyed by their flow key; an existing entry is updated and
 *   re-tagged with the generation. Fails with -ENOSPC (extack says so) when
 *   the domain's table is full; the entries before the failing one stay.
 *
 * XFILTER_CMD_OWNER_COMMIT (from xfilterd; ends a batch)
 *   request:  XFILTER_A_DOMID: u32
 *             XFILTER_A_GENERATION: u64
 *   Removes the domain's entries tagged with any other generation, then
 *   re-decides held packets.
 *
 * XFILTER_CMD_OWNER_DEL
 *   request:  XFILTER_A_DOMID: u32
 *             XFILTER_A_OWNER: nest { XFILTER_OWNER_A_KEY }: that entry
 *             (-ENOENT when there is none)
 *             or (XFILTER_FEAT_OWNER_DEL_BATCH) XFILTER_A_KEYS: nest of 1 to
 *             XFILTER_OWNER_DEL_KEYS_MAX XFILTER_A_KEY nests: the entries of
 *             those keys, a key without an entry passed over
 *             or neither: the whole table of the domain is flushed
 *   A key list that is empty, longer than the cap, or has one malformed
 *   key is refused whole, with nothing removed. At most one of
 *   XFILTER_A_OWNER and XFILTER_A_KEYS.
 *
 * XFILTER_CMD_OWNER_GET (dump; consistent)
 *   request:  XFILTER_A_DOMID: u32, optional filter
 *   reply:    one message per entry: XFILTER_A_DOMID: u32,
 *             XFILTER_A_OWNER: nest, with XFILTER_OWNER_A_PACKETS/BYTES
 *
 * XFILTER_CMD_MISS_RESOLVE (from xfilterd; "this key has no socket")
 *   request:  XFILTER_A_DOMID: u32
 *             XFILTER_A_KEY: nest, see "Key"
 *             or (XFILTER_FEAT_MISS_BATCH) XFILTER_A_KEYS: nest of 1 to
 *             XFILTER_MISS_KEYS_MAX XFILTER_A_KEY nests, all of the domain
 *             XFILTER_A_SCAN_STAMP: u64, optional, see "Stamps"
 *   The key goes into the domain's negative cache for a short time; held
 *   packets of that key are decided as "owner unknown". With
 *   XFILTER_A_KEYS, every key of the list is answered at once (one pass
 *   over the held packets): duplicates count once; a list that is empty,
 *   longer than the cap, or has one malformed key is refused whole, with
 *   nothing done. Exactly one of XFILTER_A_KEY and XFILTER_A_KEYS.
 *
 * XFILTER_CMD_DOMAIN_GET (doit with XFILTER_A_DOMID, or dump of all domains)
 *   reply:    XFILTER_A_DOMAIN: nest, see "Domain"
 *
 * XFILTER_CMD_DOMAIN_SET
 *   request:  XFILTER_A_DOMAIN: nest { XFILTER_DOMAIN_A_DOMID (required),
 *             XFILTER_DOMAIN_A_FAIL_MODE, XFILTER_DOMAIN_A_ENABLED,
 *             XFILTER_DOMAIN_A_MAX_ENTRIES } (each optional)
 *
 * XFILTER_CMD_STATS_GET (doit: global counters; dump: one message per domain)
 *   request:  XFILTER_A_DOMID: u32, optional (doit: that domain's counters)
 *   reply:    XFILTER_A_DOMID: u32 (absent for the global set)
 *             XFILTER_A_STATS: nest of u64 XFILTER_STATS_A_* counters
 *
 * Events
 *
 * XFILTER_CMD_MISS (multicast group XFILTER_MCGRP_MISS: xfilterd)
 *   XFILTER_A_DOMID: u32, XFILTER_A_KEY: nest, XFILTER_A_DIR: u8,
 *   XFILTER_A_IFNAME: string, XFILTER_A_HOLD_STAMP: u64 (see "Stamps")
 *
 * Stamps (XFILTER_FEAT_SCAN_STAMP)
 *   Holding a packet and inserting an owner entry each take a stamp from
 *   one counter, so stamps are unique and ordered. A held TCP SYN is
 *   decided by an exact entry of its key only when the entry's stamp is
 *   not older than the hold: an entry that was there before stayed from
 *   an earlier connection, whose 5-tuple anyone may reuse. A miss event
 *   carries its hold's stamp. XFILTER_A_SCAN_STAMP says "the guest memory
 *   these answers come from was read after every hold up to this stamp":
 *   the largest hold stamp the daemon had received before the read began.
 *   The entries (or the "no socket" answer) then count as that old, so
 *   they decide the packets held up to it, not one held later (its
 *   sender may have taken the 5-tuple after the read), which is asked
 *   about again with its own stamp. Without it an answer
 *   counts as new as its arrival. A scan stamp larger than any stamp
 *   given out is refused (-ERANGE).
 *
 * XFILTER_CMD_VERDICT (multicast group XFILTER_MCGRP_VERDICT: monitors),
 *   sent for drop, reject and log verdicts, and for fail-mode decisions
 *   XFILTER_A_EVENT: nest, see "Event"
 *
 * XFILTER_CMD_RULE_NEW / RULE_DEL / RULE_FLUSH / RULE_REPLACE and
 * XFILTER_CMD_DOMAIN_SET are echoed to XFILTER_MCGRP_CONFIG as they happen,
 * with the same attributes as their reply (RULE_DEL/FLUSH: the request's).
 *
 * Key (XFILTER_A_KEY, XFILTER_OWNER_A_KEY)
 *   XFILTER_KEY_A_FAMILY: u8, AF_INET or AF_INET6
 *   XFILTER_KEY_A_PROTO: u8, IPPROTO_TCP or IPPROTO_UDP
 *   XFILTER_KEY_A_GUEST_ADDR: binary, 4 or 16 bytes (per family)
 *   XFILTER_KEY_A_GUEST_PORT: u16
 *   XFILTER_KEY_A_PEER_ADDR: binary, 4 or 16; absent = wildcard (listener,
 *                            unconnected UDP)
 *   XFILTER_KEY_A_PEER_PORT: u16; absent or 0 = wildcard
 *   A guest address of all zeroes is a wildcard too (socket bound to any).
 *
 * Owner (XFILTER_A_OWNER)
 *   XFILTER_OWNER_A_KEY: nest, required
 *   XFILTER_OWNER_A_PID: u32, XFILTER_OWNER_A_TGID: u32
 *   XFILTER_OWNER_A_UID: u32, XFILTER_OWNER_A_GID: u32 (task's real ids)
 *   XFILTER_OWNER_A_SOCK_UID: u32 (the socket's sk_uid)
 *   XFILTER_OWNER_A_COMM: string, at most XFILTER_COMM_LEN - 1 bytes
 *   XFILTER_OWNER_A_STATE: u8, the guest's TCP state (TCP_ESTABLISHED, ...)
 *   XFILTER_OWNER_A_START_TIME: u64, task start time (ns since guest boot):
 *                               tells a reused pid from the old process
 *   XFILTER_OWNER_A_INODE: u64, the socket inode number in the guest
 *   XFILTER_OWNER_A_FLAGS: u32, XFILTER_OWNER_F_* bits
 *   (dump only) XFILTER_OWNER_A_PACKETS: u64, XFILTER_OWNER_A_BYTES: u64,
 *               XFILTER_OWNER_A_GENERATION: u64
 *
 * Rule (XFILTER_A_RULE); a selector that is absent matches anything
 *   XFILTER_RULE_A_ID: u32 (replies; required for RULE_DEL)
 *   XFILTER_RULE_A_PRIO: u32, lower first; default XFILTER_PRIO_DEFAULT;
 *                        equal priorities keep insertion order
 *   XFILTER_RULE_A_VERDICT: u8, enum xfilter_verdict, required
 *   XFILTER_RULE_A_DOMID: u32
 *   XFILTER_RULE_A_PID, _TGID, _UID, _GID: u32
 *   XFILTER_RULE_A_COMM: string, exact match on the 15-byte task comm
 *   XFILTER_RULE_A_DIR: u8, enum xfilter_dir
 *   XFILTER_RULE_A_PROTO: u8, IP protocol number (any, not only TCP/UDP)
 *   XFILTER_RULE_A_FAMILY: u8, AF_INET / AF_INET6
 *   XFILTER_RULE_A_PEER_ADDR: binary 4 or 16 + XFILTER_RULE_A_PEER_PLEN: u8
 *   XFILTER_RULE_A_GUEST_PORT_MIN/_MAX, XFILTER_RULE_A_PEER_PORT_MIN/_MAX:
 *                        u16, inclusive; MIN alone means that one port
 *   XFILTER_RULE_A_TIMEOUT_MS: u32, rule expires this long after insertion
 *   XFILTER_RULE_A_FLAGS: u32, XFILTER_RULE_F_* bits
 *   (replies only) XFILTER_RULE_A_HITS: u64, XFILTER_RULE_A_BYTES: u64,
 *                  XFILTER_RULE_A_EXPIRES_MS: u32
 *
 * Domain (XFILTER_A_DOMAIN)
 *   XFILTER_DOMAIN_A_DOMID: u32
 *   XFILTER_DOMAIN_A_FAIL_MODE: u8, enum xfilter_fail_mode
 *   XFILTER_DOMAIN_A_ENABLED: u8, 0 = pass everything unfiltered
 *   XFILTER_DOMAIN_A_MAX_ENTRIES: u32, owner table limit
 *   (replies only) XFILTER_DOMAIN_A_ENTRIES: u32, XFILTER_DOMAIN_A_GENERATION:
 *   u64 (last committed batch), XFILTER_DOMAIN_A_VIFS: nest of
 *   XFILTER_DOMAIN_A_IFNAME strings, XFILTER_DOMAIN_A_HELD: u32 (packets
 *   held now)
 *
 * Event (XFILTER_A_EVENT)
 *   XFILTER_EVENT_A_DOMID: u32, XFILTER_EVENT_A_IFNAME: string,
 *   XFILTER_EVENT_A_DIR: u8, XFILTER_EVENT_A_VERDICT: u8,
 *   XFILTER_EVENT_A_REASON: u8 (enum xfilter_reason),
 *   XFILTER_EVENT_A_RULE_ID: u32 (0: no rule, e.g. fail mode),
 *   XFILTER_EVENT_A_KEY: nest (absent for non-TCP/UDP packets),
 *   XFILTER_EVENT_A_PROTO: u8, XFILTER_EVENT_A_LEN: u32,
 *   XFILTER_EVENT_A_PID, _TGID, _UID, _GID: u32 and XFILTER_EVENT_A_COMM:
 *   string, when the owner is known
 */
#ifndef _UAPI_LINUX_XFILTER_H
#define _UAPI_LINUX_XFILTER_H

#include <linux/types.h>

#define XFILTER_GENL_NAME		"xfilter"
#define XFILTER_GENL_VERSION		1
#define XFILTER_PROTO_VERSION		1

#define XFILTER_MCGRP_MISS		"miss"
#define XFILTER_MCGRP_VERDICT		"verdict"
#define XFILTER_MCGRP_CONFIG		"config"

#define XFILTER_COMM_LEN		16
#define XFILTER_IFNAME_LEN		16
#define XFILTER_PRIO_DEFAULT		1000
#define XFILTER_DOMID_MAX		0x7fefU	/* DOMID_FIRST_RESERVED - 1 */
#define XFILTER_MISS_KEYS_MAX		64	/* keys per MISS_RESOLVE */
#define XFILTER_OWNER_DEL_KEYS_MAX	256	/* keys per OWNER_DEL */

enum xfilter_cmd {
	XFILTER_CMD_UNSPEC,
	XFILTER_CMD_GET_INFO,
	XFILTER_CMD_RULE_NEW,
	XFILTER_CMD_RULE_DEL,
	XFILTER_CMD_RULE_GET,
	XFILTER_CMD_RULE_FLUSH,
	XFILTER_CMD_RULE_REPLACE,
	XFILTER_CMD_OWNER_ADD,
	XFILTER_CMD_OWNER_COMMIT,
	XFILTER_CMD_OWNER_DEL,
	XFILTER_CMD_OWNER_GET,
	XFILTER_CMD_MISS_RESOLVE,
	XFILTER_CMD_DOMAIN_GET,
	XFILTER_CMD_DOMAIN_SET,
	XFILTER_CMD_STATS_GET,
	XFILTER_CMD_MISS,
	XFILTER_CMD_VERDICT,
	__XFILTER_CMD_MAX
};
#define XFILTER_CMD_MAX (__XFILTER_CMD_MAX - 1)

enum xfilter_attr {
	XFILTER_A_UNSPEC,
	XFILTER_A_PAD,
	XFILTER_A_PROTO_MIN,		/* u32 */
	XFILTER_A_PROTO_MAX,		/* u32 */
	XFILTER_A_FEATURES,		/* u64 */
	XFILTER_A_VERSION,		/* string */
	XFILTER_A_DOMID,		/* u32 */
	XFILTER_A_GENERATION,		/* u64 */
	XFILTER_A_RULES_GEN,		/* u64 */
	XFILTER_A_RULE,			/* nest: enum xfilter_rule_attr */
	XFILTER_A_RULES,		/* nest of XFILTER_A_RULE */
	XFILTER_A_OWNER,		/* nest: enum xfilter_owner_attr */
	XFILTER_A_OWNERS,		/* nest of XFILTER_A_OWNER */
	XFILTER_A_KEY,			/* nest: enum xfilter_key_attr */
	XFILTER_A_DOMAIN,		/* nest: enum xfilter_domain_attr */
	XFILTER_A_STATS,		/* nest: enum xfilter_stats_attr */
	XFILTER_A_EVENT,		/* nest: enum xfilter_event_attr */
	XFILTER_A_DIR,			/* u8, enum xfilter_dir */
	XFILTER_A_IFNAME,		/* string */
	XFILTER_A_HOLD_STAMP,		/* u64 */
	XFILTER_A_SCAN_STAMP,		/* u64 */
	XFILTER_A_KEYS,			/* nest of XFILTER_A_KEY */
	__XFILTER_A_LAST
};
#define XFILTER_A_MAX (__XFILTER_A_LAST - 1)

enum xfilter_key_attr {
	XFILTER_KEY_A_UNSPEC,
	XFILTER_KEY_A_FAMILY,		/* u8 */
	XFILTER_KEY_A_PROTO,		/* u8 */
	XFILTER_KEY_A_GUEST_ADDR,	/* binary, 4 or 16 */
	XFILTER_KEY_A_GUEST_PORT,	/* u16 */
	XFILTER_KEY_A_PEER_ADDR,	/* binary, 4 or 16 */
	XFILTER_KEY_A_PEER_PORT,	/* u16 */
	__XFILTER_KEY_A_LAST
};
#define XFILTER_KEY_A_MAX (__XFILTER_KEY_A_LAST - 1)

enum xfilter_owner_attr {
	XFILTER_OWNER_A_UNSPEC,
	XFILTER_OWNER_A_PAD,
	XFILTER_OWNER_A_KEY,		/* nest: enum xfilter_key_attr */
	XFILTER_OWNER_A_PID,		/* u32 */
	XFILTER_OWNER_A_TGID,		/* u32 */
	XFILTER_OWNER_A_UID,		/* u32 */
	XFILTER_OWNER_A_GID,		/* u32 */
	XFILTER_OWNER_A_SOCK_UID,	/* u32 */
	XFILTER_OWNER_A_COMM,		/* string */
	XFILTER_OWNER_A_STATE,		/* u8 */
	XFILTER_OWNER_A_START_TIME,	/* u64 */
	XFILTER_OWNER_A_INODE,		/* u64 */
	XFILTER_OWNER_A_FLAGS,		/* u32, XFILTER_OWNER_F_* */
	XFILTER_OWNER_A_PACKETS,	/* u64, dump only */
	XFILTER_OWNER_A_BYTES,		/* u64, dump only */
	XFILTER_OWNER_A_GENERATION,	/* u64, dump only */
	__XFILTER_OWNER_A_LAST
};
#define XFILTER_OWNER_A_MAX (__XFILTER_OWNER_A_LAST - 1)

/* The walk found the socket but could not attribute it to a task. */
#define XFILTER_OWNER_F_UNATTRIBUTED	(1U << 0)
/* Several tasks share the socket; the entry names one of them. */
#define XFILTER_OWNER_F_SHARED		(1U << 1)
#define XFILTER_OWNER_F_ALL		(XFILTER_OWNER_F_UNATTRIBUTED | \
					 XFILTER_OWNER_F_SHARED)

enum xfilter_rule_attr {
	XFILTER_RULE_A_UNSPEC,
	XFILTER_RULE_A_PAD,
	XFILTER_RULE_A_ID,		/* u32 */
	XFILTER_RULE_A_PRIO,		/* u32 */
	XFILTER_RULE_A_VERDICT,		/* u8, enum xfilter_verdict */
	XFILTER_RULE_A_DOMID,		/* u32 */
	XFILTER_RULE_A_PID,		/* u32 */
	XFILTER_RULE_A_TGID,		/* u32 */
	XFILTER_RULE_A_UID,		/* u32 */
	XFILTER_RULE_A_GID,		/* u32 */
	XFILTER_RULE_A_COMM,		/* string */
	XFILTER_RULE_A_DIR,		/* u8, enum xfilter_dir */
	XFILTER_RULE_A_PROTO,		/* u8 */
	XFILTER_RULE_A_FAMILY,		/* u8 */
	XFILTER_RULE_A_PEER_ADDR,	/* binary, 4 or 16 */
	XFILTER_RULE_A_PEER_PLEN,	/* u8 */
	XFILTER_RULE_A_GUEST_PORT_MIN,	/* u16 */
	XFILTER_RULE_A_GUEST_PORT_MAX,	/* u16 */
	XFILTER_RULE_A_PEER_PORT_MIN,	/* u16 */
	XFILTER_RULE_A_PEER_PORT_MAX,	/* u16 */
	XFILTER_RULE_A_TIMEOUT_MS,	/* u32 */
	XFILTER_RULE_A_FLAGS,		/* u32, XFILTER_RULE_F_* */
	XFILTER_RULE_A_HITS,		/* u64, replies only */
	XFILTER_RULE_A_BYTES,		/* u64, replies only */
	XFILTER_RULE_A_EXPIRES_MS,	/* u32, replies only */
	__XFILTER_RULE_A_LAST
};
#define XFILTER_RULE_A_MAX (__XFILTER_RULE_A_LAST - 1)

/* Match only packets whose owner is unknown (no socket, non-TCP/UDP, ...). */
#define XFILTER_RULE_F_OWNER_UNKNOWN	(1U << 0)
#define XFILTER_RULE_F_ALL		(XFILTER_RULE_F_OWNER_UNKNOWN)

enum xfilter_verdict {
	XFILTER_VERDICT_NONE,		/* internal: no rule matched */
	XFILTER_VERDICT_ACCEPT,
	XFILTER_VERDICT_DROP,
	XFILTER_VERDICT_REJECT,		/* drop + TCP RST / ICMP unreachable */
	XFILTER_VERDICT_LOG,		/* audit and go on to the next rule */
	__XFILTER_VERDICT_LAST
};
#define XFILTER_VERDICT_MAX (__XFILTER_VERDICT_LAST - 1)

enum xfilter_dir {
	XFILTER_DIR_ANY,
	XFILTER_DIR_OUT,		/* guest -> world, vif ingress */
	XFILTER_DIR_IN,			/* world -> guest, vif egress */
	__XFILTER_DIR_LAST
};
#define XFILTER_DIR_MAX (__XFILTER_DIR_LAST - 1)

/*
 * What happens to a packet whose owner cannot be learned in time (hold
 * deadline, full hold queue, no daemon listening). OPEN: decided by the rules
 * as "owner unknown" (the default, so that a daemon restart never cuts every
 * tenant off). CLOSED: dropped.
 */
enum xfilter_fail_mode {
	XFILTER_FAIL_UNSPEC,
	XFILTER_FAIL_OPEN,
	XFILTER_FAIL_CLOSED,
	__XFILTER_FAIL_LAST
};
#define XFILTER_FAIL_MAX (__XFILTER_FAIL_LAST - 1)

enum xfilter_reason {
	XFILTER_REASON_RULE,		/* a rule decided */
	XFILTER_REASON_HOLD_TIMEOUT,	/* fail mode: deadline passed */
	XFILTER_REASON_HOLD_FULL,	/* fail mode: hold queue full */
	XFILTER_REASON_NO_DAEMON,	/* fail mode: nobody resolves misses */
	XFILTER_REASON_FLOW_CUT,	/* established flow cut by a new rule */
	__XFILTER_REASON_LAST
};
#define XFILTER_REASON_MAX (__XFILTER_REASON_LAST - 1)

enum xfilter_domain_attr {
	XFILTER_DOMAIN_A_UNSPEC,
	XFILTER_DOMAIN_A_PAD,
	XFILTER_DOMAIN_A_DOMID,		/* u32 */
	XFILTER_DOMAIN_A_FAIL_MODE,	/* u8, enum xfilter_fail_mode */
	XFILTER_DOMAIN_A_ENABLED,	/* u8 */
	XFILTER_DOMAIN_A_MAX_ENTRIES,	/* u32 */
	XFILTER_DOMAIN_A_ENTRIES,	/* u32, replies only */
	XFILTER_DOMAIN_A_GENERATION,	/* u64, replies only */
	XFILTER_DOMAIN_A_VIFS,		/* nest of XFILTER_DOMAIN_A_IFNAME */
	XFILTER_DOMAIN_A_IFNAME,	/* string */
	XFILTER_DOMAIN_A_HELD,		/* u32, replies only */
	__XFILTER_DOMAIN_A_LAST
};
#define XFILTER_DOMAIN_A_MAX (__XFILTER_DOMAIN_A_LAST - 1)

/* Counters: all u64. The sysfs file of each has the name in the comment. */
enum xfilter_stats_attr {
	XFILTER_STATS_A_UNSPEC,
	XFILTER_STATS_A_PAD,
	XFILTER_STATS_A_PACKETS,	/* packets */
	XFILTER_STATS_A_BYTES,		/* bytes */
	XFILTER_STATS_A_ACCEPTED,	/* accepted */
	XFILTER_STATS_A_DROPPED,	/* dropped */
	XFILTER_STATS_A_REJECTED,	/* rejected */
	XFILTER_STATS_A_LOGGED,		/* logged */
	XFILTER_STATS_A_HITS,		/* hits: owner found in the table */
	XFILTER_STATS_A_MISSES,		/* misses: TCP/UDP without an entry */
	XFILTER_STATS_A_UNKNOWN,	/* unknown: decided as owner unknown */
	XFILTER_STATS_A_HELD,		/* held: packets queued on a miss */
	XFILTER_STATS_A_HOLD_RESOLVED,	/* hold_resolved */
	XFILTER_STATS_A_HOLD_TIMEOUTS,	/* hold_timeouts */
	XFILTER_STATS_A_HOLD_OVERFLOWS,	/* hold_overflows */
	XFILTER_STATS_A_NO_DAEMON,	/* no_daemon */
	XFILTER_STATS_A_FAIL_OPEN,	/* fail_open: fail-mode accepts */
	XFILTER_STATS_A_FAIL_CLOSED,	/* fail_closed: fail-mode drops */
	XFILTER_STATS_A_NEG_HITS,	/* neg_hits: negative-cache hits */
	XFILTER_STATS_A_TABLE_FULL,	/* table_full: entries refused */
	XFILTER_STATS_A_ENTRIES,	/* entries: owner entries now */
	XFILTER_STATS_A_AUDIT_SUPPRESSED, /* audit_suppressed */
	XFILTER_STATS_A_FLOWS_CUT,	/* flows_cut */
	XFILTER_STATS_A_MALFORMED,	/* malformed: unparsable packets */
	XFILTER_STATS_A_MISS_LOST,	/* miss_lost: miss events not delivered */
	__XFILTER_STATS_A_LAST
};
#define XFILTER_STATS_A_MAX (__XFILTER_STATS_A_LAST - 1)

enum xfilter_event_attr {
	XFILTER_EVENT_A_UNSPEC,
	XFILTER_EVENT_A_PAD,
	XFILTER_EVENT_A_DOMID,		/* u32 */
	XFILTER_EVENT_A_IFNAME,		/* string */
	XFILTER_EVENT_A_DIR,		/* u8 */
	XFILTER_EVENT_A_VERDICT,	/* u8 */
	XFILTER_EVENT_A_REASON,		/* u8 */
	XFILTER_EVENT_A_RULE_ID,	/* u32 */
	XFILTER_EVENT_A_KEY,		/* nest: enum xfilter_key_attr */
	XFILTER_EVENT_A_PROTO,		/* u8 */
	XFILTER_EVENT_A_LEN,		/* u32 */
	XFILTER_EVENT_A_PID,		/* u32 */
	XFILTER_EVENT_A_TGID,		/* u32 */
	XFILTER_EVENT_A_UID,		/* u32 */
	XFILTER_EVENT_A_GID,		/* u32 */
	XFILTER_EVENT_A_COMM,		/* string */
	__XFILTER_EVENT_A_LAST
};
#define XFILTER_EVENT_A_MAX (__XFILTER_EVENT_A_LAST - 1)

/* XFILTER_A_FEATURES bits */
#define XFILTER_FEAT_IPV6		(1ULL << 0)
#define XFILTER_FEAT_HOLD		(1ULL << 1)	/* hold on miss */
#define XFILTER_FEAT_REJECT		(1ULL << 2)
#define XFILTER_FEAT_EXPIRY		(1ULL << 3)
#define XFILTER_FEAT_NEG_CACHE		(1ULL << 4)
#define XFILTER_FEAT_VERDICT_EVENTS	(1ULL << 5)
#define XFILTER_FEAT_SCAN_STAMP		(1ULL << 6)	/* XFILTER_A_*_STAMP */
#define XFILTER_FEAT_MISS_BATCH		(1ULL << 7)	/* XFILTER_A_KEYS */
#define XFILTER_FEAT_OWNER_DEL_BATCH	(1ULL << 8)	/* OWNER_DEL's A_KEYS */

#endif /* _UAPI_LINUX_XFILTER_H */
