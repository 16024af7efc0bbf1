// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of nl.c's pure parts: extended acks (message, offending
 * attribute, missing attribute; echoed, capped and dump-done forms; truncated
 * and lying messages), attribute paths, and the protocol range check.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <linux/netlink.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "nl.h"

#define FAMILY 0x1234

/* RULE_NEW { RULE { VERDICT, UID, COMM } } and the offsets of its parts. */
static struct nl_msg *request(uint32_t *off_rule, uint32_t *off_comm)
{
	struct nl_msg *msg = nlmsg_alloc();
	struct nlattr *nest;

	assert_non_null(msg);
	assert_non_null(genlmsg_put(msg, 42, 7, FAMILY, 0, NLM_F_REQUEST,
				    XFILTER_CMD_RULE_NEW, 1));
	nest = nla_nest_start(msg, XFILTER_A_RULE);
	assert_non_null(nest);
	assert_int_equal(nla_put_u8(msg, XFILTER_RULE_A_VERDICT, 2), 0);
	assert_int_equal(nla_put_u32(msg, XFILTER_RULE_A_UID, 1001), 0);
	if (off_comm)
		*off_comm = (uint32_t)((char *)nlmsg_tail(nlmsg_hdr(msg)) -
				       (char *)nlmsg_hdr(msg));
	assert_int_equal(nla_put_string(msg, XFILTER_RULE_A_COMM, "nmap"), 0);
	nla_nest_end(msg, nest);
	if (off_rule)
		*off_rule = (uint32_t)((char *)nest - (char *)nlmsg_hdr(msg));
	return msg;
}

/* An NLMSG_ERROR for req as the kernel builds it. */
static struct nl_msg *ack(struct nl_msg *req, int error, bool capped,
			  const char *text, int64_t offs, int miss_type,
			  int64_t miss_nest)
{
	struct nlmsghdr *rh = nlmsg_hdr(req);
	struct nl_msg *msg;
	int flags = NLM_F_ACK_TLVS | (capped ? NLM_F_CAPPED : 0);

	msg = nlmsg_alloc_simple(NLMSG_ERROR, flags);
	assert_non_null(msg);
	assert_int_equal(nlmsg_append(msg, &error, sizeof(error), 0), 0);
	if (capped)
		assert_int_equal(nlmsg_append(msg, rh, sizeof(*rh), 0), 0);
	else
		assert_int_equal(nlmsg_append(msg, rh, rh->nlmsg_len, NLMSG_ALIGNTO), 0);
	if (text)
		assert_int_equal(nla_put_string(msg, NLMSGERR_ATTR_MSG, text), 0);
	if (offs >= 0)
		assert_int_equal(nla_put_u32(msg, NLMSGERR_ATTR_OFFS, (uint32_t)offs), 0);
	if (miss_type)
		assert_int_equal(nla_put_u32(msg, NLMSGERR_ATTR_MISS_TYPE,
					     (uint32_t)miss_type), 0);
	if (miss_nest >= 0)
		assert_int_equal(nla_put_u32(msg, NLMSGERR_ATTR_MISS_NEST,
					     (uint32_t)miss_nest), 0);
	return msg;
}

static void test_ack_message_and_attr(void **state)
{
	uint32_t off_comm;
	struct nl_msg *req = request(NULL, &off_comm);
	struct nl_msg *a = ack(req, -EINVAL, false, "comm too long", off_comm, 0, -1);
	struct xf_nl_error e;

	/* No copy of the request given: the echoed one is used. */
	xf_nl_parse_ack(nlmsg_hdr(a), nlmsg_hdr(a)->nlmsg_len, NULL, 0, &e);
	assert_int_equal(e.error, -EINVAL);
	assert_true(e.from_kernel);
	assert_string_equal(e.msg, "comm too long");
	assert_int_equal(e.attr.depth, 2);
	assert_int_equal(e.attr.step[0].type, XFILTER_A_RULE);
	assert_int_equal(e.attr.step[0].index, 0);
	assert_int_equal(e.attr.step[1].type, XFILTER_RULE_A_COMM);
	assert_int_equal(e.attr.step[1].index, 2);
	nlmsg_free(a);
	nlmsg_free(req);
}

/* NETLINK_CAP_ACK: only the header comes back; our own copy maps offsets. */
static void test_ack_capped_uses_own_copy(void **state)
{
	uint32_t off_rule;
	struct nl_msg *req = request(&off_rule, NULL);
	struct nl_msg *a = ack(req, -EOPNOTSUPP, true, "unknown flag", off_rule, 0, -1);
	struct nlmsghdr *rh = nlmsg_hdr(req);
	struct xf_nl_error e;

	xf_nl_parse_ack(nlmsg_hdr(a), nlmsg_hdr(a)->nlmsg_len, NULL, 0, &e);
	assert_int_equal(e.error, -EOPNOTSUPP);
	assert_string_equal(e.msg, "unknown flag");
	assert_int_equal(e.attr.depth, 0);	/* nothing to map against */

	xf_nl_parse_ack(nlmsg_hdr(a), nlmsg_hdr(a)->nlmsg_len, rh,
			rh->nlmsg_len, &e);
	assert_int_equal(e.attr.depth, 1);
	assert_int_equal(e.attr.step[0].type, XFILTER_A_RULE);
	nlmsg_free(a);
	nlmsg_free(req);
}

static void test_ack_missing_attr(void **state)
{
	uint32_t off_rule;
	struct nl_msg *req = request(&off_rule, NULL);
	struct nl_msg *a = ack(req, -EINVAL, false, NULL, -1,
			       XFILTER_RULE_A_VERDICT, off_rule);
	struct xf_nl_error e;

	xf_nl_parse_ack(nlmsg_hdr(a), nlmsg_hdr(a)->nlmsg_len, NULL, 0, &e);
	assert_int_equal(e.error, -EINVAL);
	assert_false(e.from_kernel);
	assert_string_equal(e.msg, "");
	assert_int_equal(e.miss_type, XFILTER_RULE_A_VERDICT);
	assert_int_equal(e.miss_nest.depth, 1);
	assert_int_equal(e.miss_nest.step[0].type, XFILTER_A_RULE);
	nlmsg_free(a);
	nlmsg_free(req);
}

/* The extack text is shown as is, but never with control bytes. */
static void test_ack_message_sanitized(void **state)
{
	struct nl_msg *req = request(NULL, NULL);
	struct nl_msg *a = ack(req, -EINVAL, false, "bad\x1b[31m\nthing", -1, 0, -1);
	struct xf_nl_error e;

	xf_nl_parse_ack(nlmsg_hdr(a), nlmsg_hdr(a)->nlmsg_len, NULL, 0, &e);
	assert_string_equal(e.msg, "bad?[31m?thing");
	nlmsg_free(a);
	nlmsg_free(req);
}

static void test_ack_truncated(void **state)
{
	struct nl_msg *req = request(NULL, NULL);
	struct nl_msg *a = ack(req, -EINVAL, false, "x", -1, 0, -1);
	struct xf_nl_error e;

	/* Shorter than header + errno. */
	xf_nl_parse_ack(nlmsg_hdr(a), NLMSG_HDRLEN + 2, NULL, 0, &e);
	assert_int_equal(e.error, -EBADMSG);
	/* Errno present but the echoed header cut: malformed too. */
	xf_nl_parse_ack(nlmsg_hdr(a), NLMSG_HDRLEN + 8, NULL, 0, &e);
	assert_int_equal(e.error, -EBADMSG);
	nlmsg_free(a);
	nlmsg_free(req);
}

/* An echoed header claiming more than the message holds: no TLVs read. */
static void test_ack_lying_echo(void **state)
{
	struct nl_msg *req = request(NULL, NULL);
	struct nl_msg *a = ack(req, -EPERM, false, "x", -1, 0, -1);
	struct nlmsghdr *h = nlmsg_hdr(a);
	struct nlmsghdr *echo = (struct nlmsghdr *)((char *)nlmsg_data(h) + sizeof(int));
	struct xf_nl_error e;

	echo->nlmsg_len = 0x7fffffff;
	xf_nl_parse_ack(h, h->nlmsg_len, NULL, 0, &e);
	assert_int_equal(e.error, -EPERM);
	assert_string_equal(e.msg, "");
	echo->nlmsg_len = 3;	/* smaller than a header */
	xf_nl_parse_ack(h, h->nlmsg_len, NULL, 0, &e);
	assert_int_equal(e.error, -EPERM);
	nlmsg_free(a);
	nlmsg_free(req);
}

/*
 * An echoed length near 4 GiB: NLMSG_ALIGN() would wrap the offset of the
 * TLVs to the errno itself, and the echo would be taken for a request of
 * that length. The bytes are a fuzzer's find; the buffer is exactly their
 * size, so ASan sees any read past it.
 */
static void test_ack_wrapping_echo_len(void **state)
{
	static const unsigned char data[] = {
		0x0a, 0x00, 0x06, 0x00, 0xfc, 0xff, 0xff, 0xff, 0x60, 0x00,
		0x0b, 0x80, 0x34, 0x00, 0x02, 0x80, 0x05, 0x00, 0x01, 0x00,
		0x02, 0x00, 0x00, 0x00, 0x05, 0x00, 0x02, 0x00, 0x06, 0x00,
		0x00, 0x00, 0x00, 0x2c, 0x03, 0x00, 0x00, 0x08, 0x00, 0x05,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x32, 0x00, 0x00, 0x00, 0x0e, 0x00, 0x2c, 0x01, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x29, 0x0f, 0x00, 0x07,
		0x00, 0x00, 0xb4, 0xf7, 0x6c, 0x1e, 0xfe, 0x7f, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00,
	};
	size_t len = NLMSG_HDRLEN + sizeof(data);
	struct nlmsghdr *h = calloc(1, len);
	struct xf_nl_error e;
	uint32_t wrap;

	assert_non_null(h);
	h->nlmsg_len = (uint32_t)len;
	h->nlmsg_type = NLMSG_ERROR;
	h->nlmsg_flags = NLM_F_ACK_TLVS;
	memcpy((char *)h + NLMSG_HDRLEN, data, sizeof(data));
	xf_nl_parse_ack(h, len, NULL, 0, &e);
	assert_int_equal(e.error, -0x0006000a);
	assert_int_equal(e.attr.depth, 0);
	/* Every length that wraps, the same way. */
	for (wrap = 0xfffffff0; wrap != 0; wrap++) {
		memcpy((char *)h + NLMSG_HDRLEN + sizeof(int), &wrap, sizeof(wrap));
		xf_nl_parse_ack(h, len, NULL, 0, &e);
		assert_int_equal(e.attr.depth, 0);
		assert_int_equal(e.miss_nest.depth, 0);
	}
	free(h);
}

/* A dump that failed midway: NLMSG_DONE with the errno and TLVs. */
static void test_done_with_error(void **state)
{
	struct nl_msg *msg = nlmsg_alloc_simple(NLMSG_DONE, NLM_F_MULTI | NLM_F_ACK_TLVS);
	int error = -ENOMEM;
	struct xf_nl_error e;

	assert_int_equal(nlmsg_append(msg, &error, sizeof(error), 0), 0);
	assert_int_equal(nla_put_string(msg, NLMSGERR_ATTR_MSG, "table busy"), 0);
	xf_nl_parse_ack(nlmsg_hdr(msg), nlmsg_hdr(msg)->nlmsg_len, NULL, 0, &e);
	assert_int_equal(e.error, -ENOMEM);
	assert_string_equal(e.msg, "table busy");
	nlmsg_free(msg);
}

static void test_attr_path_bounds(void **state)
{
	uint32_t off_rule, off_comm;
	struct nl_msg *req = request(&off_rule, &off_comm);
	struct nlmsghdr *h = nlmsg_hdr(req);
	struct xf_nl_path p;

	xf_nl_attr_path(h, h->nlmsg_len, off_comm + 4, &p);	/* inside COMM */
	assert_int_equal(p.depth, 2);
	assert_int_equal(p.step[1].type, XFILTER_RULE_A_COMM);
	xf_nl_attr_path(h, h->nlmsg_len, 3, &p);		/* in the header */
	assert_int_equal(p.depth, 0);
	xf_nl_attr_path(h, h->nlmsg_len, h->nlmsg_len, &p);	/* past the end */
	assert_int_equal(p.depth, 0);
	xf_nl_attr_path(NULL, 0, 20, &p);
	assert_int_equal(p.depth, 0);
	/* A corrupt nest length: refused, not followed. */
	((struct nlattr *)((char *)h + off_rule))->nla_len = 0xffff;
	xf_nl_attr_path(h, h->nlmsg_len, off_comm, &p);
	assert_int_equal(p.depth, 0);
	((struct nlattr *)((char *)h + off_rule))->nla_len = 2;
	xf_nl_attr_path(h, h->nlmsg_len, off_comm, &p);
	assert_int_equal(p.depth, 0);
	nlmsg_free(req);
}

/* Nests deeper than the path can hold stop at the limit. */
static void test_attr_path_deep(void **state)
{
	struct nl_msg *msg = nlmsg_alloc();
	struct nlattr *n[8];
	uint32_t off;
	struct xf_nl_path p;

	genlmsg_put(msg, 0, 0, FAMILY, 0, 0, 1, 1);
	for (int i = 0; i < 8; i++)
		n[i] = nla_nest_start(msg, i + 1);
	off = (uint32_t)((char *)nlmsg_tail(nlmsg_hdr(msg)) - (char *)nlmsg_hdr(msg));
	nla_put_u32(msg, 9, 1);
	for (int i = 7; i >= 0; i--)
		nla_nest_end(msg, n[i]);
	xf_nl_attr_path(nlmsg_hdr(msg), nlmsg_hdr(msg)->nlmsg_len, off, &p);
	assert_int_equal(p.depth, XF_NL_PATH_MAX);
	assert_int_equal(p.step[0].type, 1);
	nlmsg_free(msg);
}

static void test_check_info(void **state)
{
	struct xf_nl_info info = { .proto_min = 1, .proto_max = 1 };
	struct xf_nl_error e;

	memset(&e, 0, sizeof(e));
	strcpy(info.version, "0.1.0");
	assert_int_equal(xf_nl_check_info(&info, &e), 0);
	info.proto_min = XFILTER_PROTO_VERSION + 1;
	info.proto_max = XFILTER_PROTO_VERSION + 2;
	assert_int_equal(xf_nl_check_info(&info, &e), -EPROTONOSUPPORT);
	assert_non_null(strstr(e.msg, "protocol mismatch"));
	assert_non_null(strstr(e.msg, "speaks 2-3"));
	assert_non_null(strstr(e.msg, "version 0.1.0"));
	info.proto_min = 3;
	info.proto_max = 2;
	assert_int_equal(xf_nl_check_info(&info, &e), -EPROTO);
	info.proto_min = 0;
	info.proto_max = XFILTER_PROTO_VERSION;
	assert_int_equal(xf_nl_check_info(&info, &e), 0);
}

static void test_parse_top_level(void **state)
{
	struct nl_msg *msg = nlmsg_alloc();
	struct nlattr *tb[XFILTER_A_MAX + 1];
	struct nlmsghdr *h;

	genlmsg_put(msg, 0, 0, FAMILY, 0, 0, XFILTER_CMD_GET_INFO, 1);
	nla_put_u32(msg, XFILTER_A_PROTO_MIN, 1);
	nla_put_string(msg, XFILTER_A_VERSION, "0.1.0");
	nla_put_u32(msg, XFILTER_A_MAX + 5, 1);	/* newer attribute: ignored */
	h = nlmsg_hdr(msg);
	assert_int_equal(xf_nl_parse(h, tb), 0);
	assert_int_equal(xf_nl_cmd(h), XFILTER_CMD_GET_INFO);
	assert_non_null(tb[XFILTER_A_PROTO_MIN]);
	/* A u32 attribute of 2 bytes is refused. */
	nla_put(msg, XFILTER_A_DOMID, 2, "ab");
	assert_int_equal(xf_nl_parse(nlmsg_hdr(msg), tb), -EBADMSG);
	nlmsg_free(msg);

	msg = nlmsg_alloc_simple(20, 0);
	assert_int_equal(xf_nl_parse(nlmsg_hdr(msg), tb), -EBADMSG); /* no genl header */
	assert_int_equal(xf_nl_cmd(nlmsg_hdr(msg)), 0);
	nlmsg_free(msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ack_message_and_attr),
		cmocka_unit_test(test_ack_capped_uses_own_copy),
		cmocka_unit_test(test_ack_missing_attr),
		cmocka_unit_test(test_ack_message_sanitized),
		cmocka_unit_test(test_ack_truncated),
		cmocka_unit_test(test_ack_lying_echo),
		cmocka_unit_test(test_ack_wrapping_echo_len),
		cmocka_unit_test(test_done_with_error),
		cmocka_unit_test(test_attr_path_bounds),
		cmocka_unit_test(test_attr_path_deep),
		cmocka_unit_test(test_check_info),
		cmocka_unit_test(test_parse_top_level),
	};

	return cmocka_run_group_tests_name("nl", tests, NULL, NULL);
}
