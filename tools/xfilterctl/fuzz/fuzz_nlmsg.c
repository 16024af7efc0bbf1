// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for everything xfilterctl reads from the kernel. The
 * input's first byte is a genl command, the rest its attributes; the message
 * goes through the parse, the collectors and every printer (human and JSON)
 * exactly as a reply or event would. The same bytes are also read as the
 * payload of an NLMSG_ERROR and an NLMSG_DONE (extended acks).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "xfilterctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *devnull;

static void print_all(struct nlmsghdr *nlh, struct nlattr **tb)
{
	struct xf_out outs[] = {
		{ .f = devnull }, { .f = devnull, .json = true, .stats = true },
		{ .f = devnull, .color = true, .stats = true, .timestamps = true },
	};
	struct timespec now = { 1700000000, 1 };

	for (size_t i = 0; i < sizeof(outs) / sizeof(outs[0]); i++) {
		struct xf_vec rules = { .size = sizeof(struct xf_rule) };
		struct xf_vec conns = { .size = sizeof(struct xf_conn) };
		struct xf_vec doms = { .size = sizeof(struct xf_domain) };
		struct xf_vec stats = { .size = sizeof(struct xf_stats) };

		xf_print_event(&outs[i], nlh, tb, &now);
		if (!xf_collect_rule(nlh, tb, &rules)) {
			xf_print_rules(&outs[i], rules.v, rules.n);
			xf_print_save(&outs[i], rules.v, rules.n);
		}
		if (!xf_collect_conn(nlh, tb, &conns))
			xf_print_conns(&outs[i], conns.v, conns.n);
		if (!xf_collect_domain(nlh, tb, &doms))
			xf_print_domains(&outs[i], doms.v, doms.n);
		if (!xf_collect_stats(nlh, tb, &stats))
			xf_print_stats(&outs[i], stats.v, stats.v, stats.n);
		xf_vec_free(&rules);
		xf_vec_free(&conns);
		xf_vec_free(&doms);
		xf_vec_free(&stats);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t len = NLMSG_HDRLEN + GENL_HDRLEN + (size ? size - 1 : 0);
	struct nlattr *tb[XFILTER_A_MAX + 1];
	struct xf_nl_error err;
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;

	if (!size || len > 65536)
		return 0;
	if (!devnull)
		devnull = fopen("/dev/null", "w");
	/* Exactly the message's size, so ASan sees any read past its end. */
	nlh = calloc(1, len);
	if (!nlh)
		return 0;
	nlh->nlmsg_len = (uint32_t)len;
	nlh->nlmsg_type = 0x20;
	g = (struct genlmsghdr *)((char *)nlh + NLMSG_HDRLEN);
	g->cmd = data[0];
	g->version = 1;
	memcpy((char *)nlh + NLMSG_HDRLEN + GENL_HDRLEN, data + 1, size - 1);
	if (!xf_nl_parse(nlh, tb))
		print_all(nlh, tb);
	free(nlh);

	/* The bytes as an error and as a failed dump's end, TLVs and all. */
	len = NLMSG_HDRLEN + size;
	nlh = calloc(1, len);
	if (!nlh)
		return 0;
	nlh->nlmsg_len = (uint32_t)len;
	memcpy((char *)nlh + NLMSG_HDRLEN, data, size);
	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_flags = NLM_F_ACK_TLVS | (data[0] & 1 ? NLM_F_CAPPED : 0);
	xf_nl_parse_ack(nlh, len, NULL, 0, &err);
	xf_nl_parse_ack(nlh, len, nlh, len, &err);
	nlh->nlmsg_type = NLMSG_DONE;
	xf_nl_parse_ack(nlh, len, NULL, 0, &err);
	free(nlh);
	return 0;
}
