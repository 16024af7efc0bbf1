/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The xfilter generic netlink transport: connect, version handshake, requests,
 * dumps, events and error reports. It moves messages and nothing else: what
 * the attributes mean is xfmsg.h's business, how they look is the caller's.
 *
 * Typical use:
 *
 *	struct xf_nl nl;
 *	struct xf_nl_info info;
 *
 *	if (xf_nl_open(&nl) || xf_nl_get_info(&nl, &info))
 *		-> print nl.err.msg, give up
 *	msg = xf_nl_msg(&nl, XFILTER_CMD_RULE_GET, 0);
 *	err = xf_nl_dump(&nl, msg, on_rule, &list);
 *
 * Every function returns 0 or a negative errno and, on failure, leaves a one
 * line explanation in nl->err (the kernel's extack text when it sent one).
 * A handle is not thread-safe. Use one handle for requests and a second one
 * for events: replies and multicast messages must not share a socket.
 */
#ifndef XF_NL_H
#define XF_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <netlink/attr.h>
#include <linux/xfilter.h>

struct nl_sock;
struct nl_msg;
struct nlmsghdr;

#define XF_NL_MSG_LEN	256
#define XF_NL_PATH_MAX	4

/*
 * Where an attribute sits in a request: its type and its position among its
 * siblings at each nesting level, outermost first. The position tells which
 * rule of an XFILTER_A_RULES list the kernel refused.
 */
struct xf_nl_path {
	int depth;				/* 0: not known */
	struct {
		uint16_t type;
		uint16_t index;
	} step[XF_NL_PATH_MAX];
};

/* Why the last call failed; cleared at the start of every call. */
struct xf_nl_error {
	int error;				/* negative errno, 0 if none */
	bool from_kernel;			/* msg is the kernel's extack text */
	char msg[XF_NL_MSG_LEN];		/* "" when nothing more is known */
	struct xf_nl_path attr;			/* attribute the kernel blamed */
	uint16_t miss_type;			/* required attribute missing, 0: n/a */
	struct xf_nl_path miss_nest;		/* ... inside this nest */
};

struct xf_nl {
	struct nl_sock *sk;
	int family;				/* resolved genl family id */
	struct xf_nl_error err;
};

/* XFILTER_CMD_GET_INFO reply. */
struct xf_nl_info {
	uint32_t proto_min, proto_max;
	uint64_t features;			/* XFILTER_FEAT_* */
	uint64_t rules_gen;
	char version[64];			/* module version, "" if not sent */
};

/*
 * Called once per reply or event. tb has XFILTER_A_MAX + 1 slots, checked
 * against the top-level attribute types; nests are the callee's to parse.
 * Return 0 to go on or a negative errno to fail the call (the rest of a dump
 * is still read off the socket so that the handle stays usable).
 */
typedef int (*xf_nl_cb)(const struct nlmsghdr *nlh, struct nlattr **tb,
			void *arg);

/*
 * Connects, asks for extended acks and resolves the family. -ENOENT with
 * "xfilter module not loaded (modprobe xfilter)" when the family is absent.
 */
int xf_nl_open(struct xf_nl *nl);
void xf_nl_close(struct xf_nl *nl);

/*
 * XFILTER_CMD_GET_INFO, then xf_nl_check_info(): -EPROTONOSUPPORT with a
 * clear message when this tool's protocol is outside the module's range.
 */
int xf_nl_get_info(struct xf_nl *nl, struct xf_nl_info *info);
int xf_nl_check_info(const struct xf_nl_info *info, struct xf_nl_error *err);

/*
 * A request for cmd with the genl header in place; NULL when out of memory.
 * xf_nl_msg has room for a page of attributes, xf_nl_msg_big for one full
 * nest (an attribute's length is 16 bits: 64 KiB), for batches such as
 * XFILTER_A_OWNERS and XFILTER_A_RULES.
 */
struct nl_msg *xf_nl_msg(const struct xf_nl *nl, uint8_t cmd, int flags);
struct nl_msg *xf_nl_msg_big(const struct xf_nl *nl, uint8_t cmd, int flags);

/*
 * Sends msg (always freed) and reads until the ack: cb (may be NULL) sees
 * each reply. xf_nl_dump does the same with NLM_F_DUMP, and returns -EINTR
 * after reading everything when the kernel flagged the dump inconsistent
 * (NLM_F_DUMP_INTR): build the request again and retry.
 */
int xf_nl_request(struct xf_nl *nl, struct nl_msg *msg, xf_nl_cb cb, void *arg);
int xf_nl_dump(struct xf_nl *nl, struct nl_msg *msg, xf_nl_cb cb, void *arg);

/*
 * "No socket" answers (XFILTER_CMD_MISS_RESOLVE) for n keys of one domain,
 * with the scan stamp of the read they come from (NULL: none). With batch
 * (the module has XFILTER_FEAT_MISS_BATCH) they go as few messages as the
 * cap per message allows, so the module decides their held packets in one
 * pass; otherwise one message per key, as an older module needs. Stops at
 * the first refusal (e.g. -ENOENT, the domain is gone), with nl->err set.
 */
struct xf_key;
int xf_nl_no_socket(struct xf_nl *nl, uint32_t domid,
		    const struct xf_key *keys, size_t n, const uint64_t *scan,
		    bool batch);

/*
 * Removes the owner entries of n keys of one domain (XFILTER_CMD_OWNER_DEL
 * with XFILTER_A_KEYS; the module needs XFILTER_FEAT_OWNER_DEL_BATCH), as
 * few messages as the cap per message allows; a key without an entry is
 * passed over. Stops at the first refusal, with nl->err set.
 */
int xf_nl_owner_del_keys(struct xf_nl *nl, uint32_t domid,
			 const struct xf_key *keys, size_t n);

/*
 * Joins a multicast group (XFILTER_MCGRP_*) and prepares the handle for
 * events. xf_nl_events() blocks for one batch of messages and hands each to
 * cb; -ENOBUFS means events were lost (the socket overran) and the handle is
 * still usable, -EAGAIN that a non-blocking socket had nothing to read.
 * xf_nl_fd() is for poll().
 */
int xf_nl_subscribe(struct xf_nl *nl, const char *group);
int xf_nl_events(struct xf_nl *nl, xf_nl_cb cb, void *arg);
int xf_nl_fd(const struct xf_nl *nl);

/* Pure helpers, exposed for the unit tests. */

/*
 * Fills err from an NLMSG_ERROR message (or an NLMSG_DONE carrying an error)
 * of len bytes. req/req_len, the request as sent, lets the attribute offsets
 * be turned into paths; may be NULL.
 */
void xf_nl_parse_ack(const struct nlmsghdr *nlh, size_t len,
		     const void *req, size_t req_len, struct xf_nl_error *err);
/* Path of the attribute at byte offset off of a genl request. */
void xf_nl_attr_path(const void *req, size_t req_len, uint32_t off,
		     struct xf_nl_path *path);
/* Genl header and top-level attributes of a message; -EBADMSG if malformed. */
int xf_nl_parse(const struct nlmsghdr *nlh, struct nlattr **tb);
/* The genl command of a message (0 when too short to have one). */
uint8_t xf_nl_cmd(const struct nlmsghdr *nlh);

#endif /* XF_NL_H */
