// SPDX-License-Identifier: GPL-2.0
/* The xfilter generic netlink transport (see nl.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "nl.h"
#include "xfmsg.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* Events come in bursts (a scan, a flood being dropped): give them room. */
#define XF_NL_EVENT_RCVBUF	(4 << 20)

static const struct nla_policy top_policy[XFILTER_A_MAX + 1] = {
	[XFILTER_A_PROTO_MIN]	= { .type = NLA_U32 },
	[XFILTER_A_PROTO_MAX]	= { .type = NLA_U32 },
	[XFILTER_A_FEATURES]	= { .type = NLA_U64 },
	[XFILTER_A_VERSION]	= { .type = NLA_STRING, .maxlen = 64 },
	[XFILTER_A_DOMID]	= { .type = NLA_U32 },
	[XFILTER_A_GENERATION]	= { .type = NLA_U64 },
	[XFILTER_A_RULES_GEN]	= { .type = NLA_U64 },
	[XFILTER_A_RULE]	= { .type = NLA_NESTED },
	[XFILTER_A_RULES]	= { .type = NLA_NESTED },
	[XFILTER_A_OWNER]	= { .type = NLA_NESTED },
	[XFILTER_A_OWNERS]	= { .type = NLA_NESTED },
	[XFILTER_A_KEY]		= { .type = NLA_NESTED },
	[XFILTER_A_DOMAIN]	= { .type = NLA_NESTED },
	[XFILTER_A_STATS]	= { .type = NLA_NESTED },
	[XFILTER_A_EVENT]	= { .type = NLA_NESTED },
	[XFILTER_A_DIR]		= { .type = NLA_U8 },
	[XFILTER_A_IFNAME]	= { .type = NLA_STRING,
				    .maxlen = XFILTER_IFNAME_LEN },
	[XFILTER_A_HOLD_STAMP]	= { .type = NLA_U64 },
	[XFILTER_A_SCAN_STAMP]	= { .type = NLA_U64 },
};

static void clear_error(struct xf_nl *nl)
{
	memset(&nl->err, 0, sizeof(nl->err));
}

static int set_error(struct xf_nl_error *err, int error, const char *msg)
{
	err->error = error;
	err->from_kernel = false;
	snprintf(err->msg, sizeof(err->msg), "%s", msg);
	return error;
}

/* libnl's own codes, for failures that never reached the kernel. */
static int libnl_error(struct xf_nl *nl, int nlerr, const char *what)
{
	int error;

	switch (-nlerr) {
	case NLE_NOMEM:
		error = -ENOMEM;
		break;
	case NLE_PERM:
		error = -EPERM;
		break;
	case NLE_MSG_TRUNC:
	case NLE_MSG_OVERFLOW:
	case NLE_PARSE_ERR:
	case NLE_SEQ_MISMATCH:
		error = -EBADMSG;
		break;
	default:
		error = -EIO;
	}
	nl->err.error = error;
	nl->err.from_kernel = false;
	snprintf(nl->err.msg, sizeof(nl->err.msg), "%s: %s", what,
		 nl_geterror(nlerr));
	return error;
}

int xf_nl_open(struct xf_nl *nl)
{
	int one = 1;
	int err;

	memset(nl, 0, sizeof(*nl));
	nl->sk = nl_socket_alloc();
	if (!nl->sk)
		return set_error(&nl->err, -ENOMEM, "out of memory");
	err = genl_connect(nl->sk);
	if (err < 0) {
		err = libnl_error(nl, err, "cannot open a netlink socket");
		goto fail;
	}
	/* Large dumps: let libnl size its buffer from a peek at each read. */
	nl_socket_enable_msg_peek(nl->sk);
	/*
	 * Extended acks carry the kernel's explanation of a refusal; an old
	 * kernel without them still works, with errno text only.
	 */
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));

	nl->family = genl_ctrl_resolve(nl->sk, XFILTER_GENL_NAME);
	if (nl->family < 0) {
		/*
		 * libnl says "not found" also when its request could not be
		 * sent (a seccomp filter, an LSM): with the module loaded,
		 * name that instead of sending the operator to modprobe.
		 */
		if (nl->family == -NLE_OBJ_NOTFOUND && access("/sys/module/xfilter", F_OK))
			err = set_error(&nl->err, -ENOENT,
					"xfilter module not loaded (modprobe xfilter)");
		else if (nl->family == -NLE_OBJ_NOTFOUND)
			err = set_error(&nl->err, -EACCES,
					"the xfilter module is loaded but its netlink family "
					"cannot be reached (netlink blocked for this process?)");
		else
			err = libnl_error(nl, nl->family,
					  "cannot resolve the xfilter netlink family");
		goto fail;
	}
	return 0;
fail:
	nl_socket_free(nl->sk);
	nl->sk = NULL;
	return err;
}

void xf_nl_close(struct xf_nl *nl)
{
	if (nl->sk)
		nl_socket_free(nl->sk);
	nl->sk = NULL;
}

int xf_nl_fd(const struct xf_nl *nl)
{
	return nl_socket_get_fd(nl->sk);
}

static struct nl_msg *new_msg(const struct xf_nl *nl, uint8_t cmd, int flags,
			      size_t size)
{
	struct nl_msg *msg = size ? nlmsg_alloc_size(size) : nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0, flags,
			 cmd, XFILTER_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

struct nl_msg *xf_nl_msg(const struct xf_nl *nl, uint8_t cmd, int flags)
{
	return new_msg(nl, cmd, flags, 0);
}

struct nl_msg *xf_nl_msg_big(const struct xf_nl *nl, uint8_t cmd, int flags)
{
	/* One 64 KiB nest plus the headers around it. */
	return new_msg(nl, cmd, flags, 65536 + 4096);
}

uint8_t xf_nl_cmd(const struct nlmsghdr *nlh)
{
	if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return 0;
	return ((const struct genlmsghdr *)nlmsg_data(nlh))->cmd;
}

int xf_nl_parse(const struct nlmsghdr *nlh, struct nlattr **tb)
{
	if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return -EBADMSG;
	if (genlmsg_parse((struct nlmsghdr *)nlh, 0, tb, XFILTER_A_MAX,
			  (struct nla_policy *)top_policy) < 0)
		return -EBADMSG;
	return 0;
}

/*
 * Walks the attributes in [start, end) of req looking for the one that
 * starts at off, descending into the attribute that contains it. Nests are
 * not known here, so any attribute whose payload holds off is tried as one:
 * a leaf's payload simply fails to contain an attribute starting at off.
 */
static bool find_attr(const unsigned char *req, size_t start, size_t end,
		      uint32_t off, struct xf_nl_path *path)
{
	size_t pos = start;
	uint16_t index = 0;

	while (pos + NLA_HDRLEN <= end) {
		struct nlattr nla;

		memcpy(&nla, req + pos, sizeof(nla));
		if (nla.nla_len < NLA_HDRLEN || nla.nla_len > end - pos)
			return false;
		if (off >= pos && off < pos + nla.nla_len) {
			int d = path->depth;

			if (d >= XF_NL_PATH_MAX)
				return false;
			path->step[d].type = nla.nla_type & NLA_TYPE_MASK;
			path->step[d].index = index;
			path->depth++;
			if (off == pos)
				return true;
			if (off >= pos + NLA_HDRLEN &&
			    find_attr(req, pos + NLA_HDRLEN, pos + nla.nla_len,
				      off, path))
				return true;
			/* Inside a leaf's payload: this attribute is it. */
			return true;
		}
		pos += NLA_ALIGN(nla.nla_len);
		index++;
	}
	return false;
}

void xf_nl_attr_path(const void *req, size_t req_len, uint32_t off,
		     struct xf_nl_path *path)
{
	size_t start = NLMSG_HDRLEN + GENL_HDRLEN;
	const struct nlmsghdr *nlh = req;

	memset(path, 0, sizeof(*path));
	if (!req || req_len < start)
		return;
	if (nlh->nlmsg_len < req_len)
		req_len = nlh->nlmsg_len;
	if (off < start || off >= req_len)
		return;
	if (!find_attr(req, start, req_len, off, path))
		memset(path, 0, sizeof(*path));
}

static const struct nla_policy ack_policy[NLMSGERR_ATTR_MAX + 1] = {
	[NLMSGERR_ATTR_MSG]	  = { .type = NLA_UNSPEC },
	[NLMSGERR_ATTR_OFFS]	  = { .type = NLA_U32 },
	[NLMSGERR_ATTR_MISS_TYPE] = { .type = NLA_U32 },
	[NLMSGERR_ATTR_MISS_NEST] = { .type = NLA_U32 },
};

/* Copies the extack text, bounded, without control characters. */
static void copy_kernel_msg(char *dst, size_t size, const struct nlattr *nla)
{
	const char *s = nla_data(nla);
	size_t n = (size_t)nla_len(nla), i, o = 0;

	for (i = 0; i < n && s[i] && o + 1 < size; i++)
		dst[o++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	dst[o] = '\0';
}

void xf_nl_parse_ack(const struct nlmsghdr *nlh, size_t len,
		     const void *req, size_t req_len, struct xf_nl_error *err)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	const unsigned char *base = (const unsigned char *)nlh;
	size_t tlv_off;
	int error;

	memset(err, 0, sizeof(*err));
	if (len > nlh->nlmsg_len)
		len = nlh->nlmsg_len;
	if (len < NLMSG_HDRLEN + sizeof(int)) {
		set_error(err, -EBADMSG, "truncated error message from the kernel");
		return;
	}
	memcpy(&error, base + NLMSG_HDRLEN, sizeof(error));
	err->error = error > 0 ? -error : error;

	if (nlh->nlmsg_type == NLMSG_DONE) {
		/* A failed dump: the errno, then the TLVs. */
		tlv_off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(int));
	} else {
		struct nlmsghdr orig;

		if (len < NLMSG_HDRLEN + sizeof(struct nlmsgerr)) {
			set_error(err, -EBADMSG,
				  "truncated error message from the kernel");
			return;
		}
		memcpy(&orig, base + NLMSG_HDRLEN + sizeof(int), sizeof(orig));
		tlv_off = NLMSG_HDRLEN + sizeof(struct nlmsgerr);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
			/*
			 * Bounded before any arithmetic: NLMSG_ALIGN() masks
			 * with a 32-bit constant, so a length near 4 GiB
			 * would wrap to a small offset.
			 */
			if (orig.nlmsg_len < NLMSG_HDRLEN ||
			    orig.nlmsg_len > len - NLMSG_HDRLEN - sizeof(int))
				return;
			tlv_off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(int) +
							    orig.nlmsg_len);
			/* Without our copy, the echoed request will do. */
			if (!req && tlv_off <= len) {
				req = base + NLMSG_HDRLEN + sizeof(int);
				req_len = orig.nlmsg_len;
			}
		}
	}
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || tlv_off >= len)
		return;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)(base + tlv_off),
		      (int)(len - tlv_off), (struct nla_policy *)ack_policy) < 0)
		return;
	if (tb[NLMSGERR_ATTR_MSG]) {
		copy_kernel_msg(err->msg, sizeof(err->msg), tb[NLMSGERR_ATTR_MSG]);
		err->from_kernel = err->msg[0] != '\0';
	}
	if (tb[NLMSGERR_ATTR_OFFS])
		xf_nl_attr_path(req, req_len, nla_get_u32(tb[NLMSGERR_ATTR_OFFS]),
				&err->attr);
	if (tb[NLMSGERR_ATTR_MISS_TYPE])
		err->miss_type = (uint16_t)nla_get_u32(tb[NLMSGERR_ATTR_MISS_TYPE]);
	if (tb[NLMSGERR_ATTR_MISS_NEST])
		xf_nl_attr_path(req, req_len,
				nla_get_u32(tb[NLMSGERR_ATTR_MISS_NEST]),
				&err->miss_nest);
}

/* State of one request while its replies are read. */
struct xf_nl_call {
	struct xf_nl *nl;
	xf_nl_cb cb;
	void *arg;
	const struct nlmsghdr *req;	/* our copy of what was sent */
	size_t req_len;
	int result;			/* first failure, 0 if none */
	bool done;
	bool intr;
};

static int call_fail(struct xf_nl_call *c, int error, const char *msg)
{
	if (!c->result) {
		c->result = error;
		if (msg)
			set_error(&c->nl->err, error, msg);
	}
	return NL_SKIP;
}

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct xf_nl_call *c = arg;
	struct nlattr *tb[XFILTER_A_MAX + 1];
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	int err;

	/* After a failure the rest of a dump is only drained. */
	if (c->result)
		return NL_SKIP;
	if (xf_nl_parse(nlh, tb) < 0)
		return call_fail(c, -EBADMSG, "malformed message from the kernel");
	if (!c->cb)
		return NL_OK;
	err = c->cb(nlh, tb, c->arg);
	if (err < 0)
		return call_fail(c, err, NULL);
	return NL_OK;
}

static int on_msg_in(struct nl_msg *msg, void *arg)
{
	struct xf_nl_call *c = arg;

	if (nlmsg_hdr(msg)->nlmsg_flags & NLM_F_DUMP_INTR)
		c->intr = true;
	return NL_OK;
}

static int on_finish(struct nl_msg *msg, void *arg)
{
	struct xf_nl_call *c = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	int error = 0;

	c->done = true;
	/* A dump that failed midway ends with NLMSG_DONE carrying the errno. */
	if (nlh->nlmsg_len >= NLMSG_HDRLEN + sizeof(int))
		memcpy(&error, nlmsg_data(nlh), sizeof(error));
	if (error < 0 && !c->result) {
		xf_nl_parse_ack(nlh, nlh->nlmsg_len, c->req, c->req_len,
				&c->nl->err);
		c->result = c->nl->err.error;
	}
	return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	struct xf_nl_call *c = arg;

	c->done = true;
	return NL_STOP;
}

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct xf_nl_call *c = arg;
	/* libnl hands us the payload; the header sits right before it. */
	const struct nlmsghdr *nlh = (const void *)((const char *)e - NLMSG_HDRLEN);
	struct xf_nl_error err;

	c->done = true;
	xf_nl_parse_ack(nlh, nlh->nlmsg_len, c->req, c->req_len, &err);
	if (!c->result) {
		c->nl->err = err;
		c->result = err.error ? err.error : -EIO;
	}
	return NL_STOP;
}

static int talk(struct xf_nl *nl, struct nl_msg *msg, xf_nl_cb cb, void *arg)
{
	struct xf_nl_call c = { .nl = nl, .cb = cb, .arg = arg };
	struct nl_cb *nlcb;
	int err;

	clear_error(nl);
	nlcb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!nlcb) {
		nlmsg_free(msg);
		return set_error(&nl->err, -ENOMEM, "out of memory");
	}
	nl_cb_set(nlcb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &c);
	nl_cb_set(nlcb, NL_CB_MSG_IN, NL_CB_CUSTOM, on_msg_in, &c);
	nl_cb_set(nlcb, NL_CB_FINISH, NL_CB_CUSTOM, on_finish, &c);
	nl_cb_set(nlcb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, &c);
	nl_cb_err(nlcb, NL_CB_CUSTOM, on_error, &c);

	err = nl_send_auto(nl->sk, msg);
	if (err < 0) {
		err = libnl_error(nl, err, "cannot send to the kernel");
		goto out;
	}
	/* Sent and completed (sequence, port): this copy maps error offsets. */
	c.req = nlmsg_hdr(msg);
	c.req_len = c.req->nlmsg_len;
	while (!c.done) {
		err = nl_recvmsgs(nl->sk, nlcb);
		if (err < 0 && !c.result)
			c.result = libnl_error(nl, err, "netlink receive failed");
		if (err < 0)
			break;
	}
	err = c.result;
	if (!err && c.intr)
		err = set_error(&nl->err, -EINTR,
				"the kernel's table changed during the dump");
out:
	nl_cb_put(nlcb);
	nlmsg_free(msg);
	return err;
}

int xf_nl_request(struct xf_nl *nl, struct nl_msg *msg, xf_nl_cb cb, void *arg)
{
	nlmsg_hdr(msg)->nlmsg_flags |= NLM_F_ACK;
	return talk(nl, msg, cb, arg);
}

int xf_nl_dump(struct xf_nl *nl, struct nl_msg *msg, xf_nl_cb cb, void *arg)
{
	nlmsg_hdr(msg)->nlmsg_flags |= NLM_F_DUMP;
	return talk(nl, msg, cb, arg);
}

/* One MISS_RESOLVE for keys[0..n): XFILTER_A_KEYS, or XFILTER_A_KEY if !list. */
static int no_socket_msg(struct xf_nl *nl, uint32_t domid,
			 const struct xf_key *keys, size_t n,
			 const uint64_t *scan, bool list)
{
	/* 64 v6 keys are about 5 KiB: more than xf_nl_msg's page */
	struct nl_msg *msg = n > 16 ?
		xf_nl_msg_big(nl, XFILTER_CMD_MISS_RESOLVE, 0) :
		xf_nl_msg(nl, XFILTER_CMD_MISS_RESOLVE, 0);
	int err;

	if (!msg)
		return set_error(&nl->err, -ENOMEM, "out of memory");
	err = nla_put_u32(msg, XFILTER_A_DOMID, domid) < 0 ? -EMSGSIZE :
	      list ? xf_keys_put(msg, keys, n, XFILTER_MISS_KEYS_MAX) :
	      xf_key_put(msg, XFILTER_A_KEY, keys);
	if (!err && scan && nla_put_u64(msg, XFILTER_A_SCAN_STAMP, *scan) < 0)
		err = -EMSGSIZE;
	if (err) {
		nlmsg_free(msg);
		return set_error(&nl->err, err, err == -EINVAL ?
				 "a key has no valid family" :
				 "MISS_RESOLVE request too large");
	}
	return xf_nl_request(nl, msg, NULL, NULL);
}

int xf_nl_no_socket(struct xf_nl *nl, uint32_t domid,
		    const struct xf_key *keys, size_t n, const uint64_t *scan,
		    bool batch)
{
	size_t i, step;
	int err;

	clear_error(nl);
	for (i = 0; i < n; i += step) {
		step = batch ? n - i : 1;
		if (step > XFILTER_MISS_KEYS_MAX)
			step = XFILTER_MISS_KEYS_MAX;
		err = no_socket_msg(nl, domid, keys + i, step, scan, batch);
		if (err)
			return err;
	}
	return 0;
}

int xf_nl_owner_del_keys(struct xf_nl *nl, uint32_t domid,
			 const struct xf_key *keys, size_t n)
{
	size_t i, step;
	int err;

	clear_error(nl);
	for (i = 0; i < n; i += step) {
		struct nl_msg *msg;

		step = n - i < XFILTER_OWNER_DEL_KEYS_MAX ? n - i : XFILTER_OWNER_DEL_KEYS_MAX;
		msg = step > 16 ? xf_nl_msg_big(nl, XFILTER_CMD_OWNER_DEL, 0) :
				  xf_nl_msg(nl, XFILTER_CMD_OWNER_DEL, 0);
		if (!msg)
			return set_error(&nl->err, -ENOMEM, "out of memory");
		err = nla_put_u32(msg, XFILTER_A_DOMID, domid) < 0 ? -EMSGSIZE :
		      xf_keys_put(msg, keys + i, step, XFILTER_OWNER_DEL_KEYS_MAX);
		if (err) {
			nlmsg_free(msg);
			return set_error(&nl->err, err, err == -EINVAL ?
					 "a key has no valid family" :
					 "OWNER_DEL request too large");
		}
		err = xf_nl_request(nl, msg, NULL, NULL);
		if (err)
			return err;
	}
	return 0;
}

int xf_nl_check_info(const struct xf_nl_info *info, struct xf_nl_error *err)
{
	const char *me = program_invocation_short_name;
	const char *v = info->version[0] ? info->version : "unknown";

	if (info->proto_min > info->proto_max) {
		err->error = -EPROTO;
		snprintf(err->msg, sizeof(err->msg),
			 "the xfilter module (version %s) reports an empty protocol range %u-%u",
			 v, info->proto_min, info->proto_max);
		return err->error;
	}
	if (XFILTER_PROTO_VERSION < info->proto_min ||
	    XFILTER_PROTO_VERSION > info->proto_max) {
		err->error = -EPROTONOSUPPORT;
		err->from_kernel = false;
		snprintf(err->msg, sizeof(err->msg),
			 "protocol mismatch: %s speaks xfilter protocol %u, the loaded module (version %s) speaks %u-%u; install matching versions of the module and the tools",
			 me, XFILTER_PROTO_VERSION, v, info->proto_min,
			 info->proto_max);
		return err->error;
	}
	return 0;
}

static int on_info(const struct nlmsghdr *nlh, struct nlattr **tb, void *arg)
{
	struct xf_nl_info *info = arg;

	if (!tb[XFILTER_A_PROTO_MIN] || !tb[XFILTER_A_PROTO_MAX])
		return -EPROTO;
	info->proto_min = nla_get_u32(tb[XFILTER_A_PROTO_MIN]);
	info->proto_max = nla_get_u32(tb[XFILTER_A_PROTO_MAX]);
	if (tb[XFILTER_A_FEATURES])
		info->features = nla_get_u64(tb[XFILTER_A_FEATURES]);
	if (tb[XFILTER_A_RULES_GEN])
		info->rules_gen = nla_get_u64(tb[XFILTER_A_RULES_GEN]);
	if (tb[XFILTER_A_VERSION])
		copy_kernel_msg(info->version, sizeof(info->version),
				tb[XFILTER_A_VERSION]);
	return 0;
}

int xf_nl_get_info(struct xf_nl *nl, struct xf_nl_info *info)
{
	struct nl_msg *msg;
	int err;

	memset(info, 0, sizeof(*info));
	msg = xf_nl_msg(nl, XFILTER_CMD_GET_INFO, 0);
	if (!msg)
		return set_error(&nl->err, -ENOMEM, "out of memory");
	err = xf_nl_request(nl, msg, on_info, info);
	if (err == -EPROTO && !nl->err.msg[0])
		return set_error(&nl->err, err,
				 "the xfilter module did not report its protocol range");
	if (err)
		return err;
	return xf_nl_check_info(info, &nl->err);
}

int xf_nl_subscribe(struct xf_nl *nl, const char *group)
{
	int rcvbuf = XF_NL_EVENT_RCVBUF;
	int id, err;

	clear_error(nl);
	id = genl_ctrl_resolve_grp(nl->sk, XFILTER_GENL_NAME, group);
	if (id < 0) {
		nl->err.error = id == -NLE_OBJ_NOTFOUND ? -ENOENT : -EIO;
		snprintf(nl->err.msg, sizeof(nl->err.msg),
			 "the xfilter module has no \"%s\" event group", group);
		return nl->err.error;
	}
	err = nl_socket_add_membership(nl->sk, id);
	if (err < 0) {
		if (err == -NLE_PERM)
			return set_error(&nl->err, -EPERM,
					 "joining xfilter event groups needs CAP_NET_ADMIN");
		return libnl_error(nl, err, "cannot join the event group");
	}
	/*
	 * SO_RCVBUF is capped by net.core.rmem_max; whoever may join these
	 * groups has CAP_NET_ADMIN and so may force the size.
	 */
	if (setsockopt(nl_socket_get_fd(nl->sk), SOL_SOCKET, SO_RCVBUFFORCE,
		       &rcvbuf, sizeof(rcvbuf)))
		setsockopt(nl_socket_get_fd(nl->sk), SOL_SOCKET, SO_RCVBUF,
			   &rcvbuf, sizeof(rcvbuf));
	return 0;
}

struct xf_nl_events_ctx {
	struct xf_nl *nl;
	xf_nl_cb cb;
	void *arg;
	int result;
};

static int seq_any(struct nl_msg *msg, void *arg)
{
	return NL_OK;
}

static int on_event(struct nl_msg *msg, void *arg)
{
	struct xf_nl_events_ctx *c = arg;
	struct nlattr *tb[XFILTER_A_MAX + 1];
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	int err;

	if (xf_nl_parse(nlh, tb) < 0)
		return NL_SKIP;	/* one bad event must not end the stream */
	err = c->cb(nlh, tb, c->arg);
	if (err < 0) {
		c->result = err;
		return NL_STOP;
	}
	return NL_OK;
}

int xf_nl_events(struct xf_nl *nl, xf_nl_cb cb, void *arg)
{
	struct xf_nl_events_ctx c = { .nl = nl, .cb = cb, .arg = arg };
	struct nl_cb *nlcb;
	int err;

	clear_error(nl);
	nlcb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!nlcb)
		return set_error(&nl->err, -ENOMEM, "out of memory");
	nl_cb_set(nlcb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, seq_any, NULL);
	nl_cb_set(nlcb, NL_CB_VALID, NL_CB_CUSTOM, on_event, &c);
	err = nl_recvmsgs(nl->sk, nlcb);
	nl_cb_put(nlcb);
	if (c.result)
		return c.result;
	if (err == -NLE_NOMEM)	/* recvmsg() said ENOBUFS: we overran */
		return set_error(&nl->err, -ENOBUFS,
				 "events lost: the receive buffer overran");
	if (err == -NLE_AGAIN)	/* a non-blocking socket with nothing to read */
		return set_error(&nl->err, -EAGAIN, "no event pending");
	if (err < 0)
		return libnl_error(nl, err, "netlink receive failed");
	return 0;
}
