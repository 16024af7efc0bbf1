// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for xfilterctl's command line and restore parser. The
 * first byte picks the mode: even, the rest is argv (NUL- or newline-
 * separated words); odd, the rest is a restore file. Beyond "no crash, no
 * leak, no UB", every rule the parser accepts must survive the trip through
 * its printed form: format -> restore parse -> format gives the same text,
 * and the netlink encoding of it must fit and decode to the same rule.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "xfilterctl.h"

#define MAX_ARGS 48

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *devnull;

/* Deterministic stand-in for xenstore: no I/O while fuzzing. */
static int resolve(const char *name, uint32_t *domid, char *why, size_t len)
{
	if (!strcmp(name, "web1")) {
		*domid = 5;
		return 0;
	}
	snprintf(why, len, "no domain is named '%s'", name);
	return name[0] == 'x' ? -ENODEV : -ENOENT;
}

static void check_roundtrip(const struct xf_rule *r)
{
	char text[600], again[600], line[620];
	struct nlattr *tb[XFILTER_A_MAX + 1];
	struct xf_rule back;
	struct nl_msg *msg;
	struct xf_ctl c;

	xf_rule_format(r, XF_RF_ALL, text, sizeof(text));
	snprintf(line, sizeof(line), "rule add %s\n", text);
	xf_ctl_init(&c, devnull, devnull);
	c.resolve = resolve;
	if (xf_ctl_parse_restore(&c, strdup(line), "fuzz") || c.nrules != 1) {
		fprintf(stderr, "printed rule does not parse back: %s", line);
		abort();
	}
	xf_rule_format(&c.rules[0].rule, XF_RF_ALL, again, sizeof(again));
	if (strcmp(text, again)) {
		fprintf(stderr, "round trip changed the rule:\n  %s\n  %s\n", text, again);
		abort();
	}
	xf_ctl_free(&c);

	msg = nlmsg_alloc();
	if (!msg)
		return;
	genlmsg_put(msg, 0, 0, 0x20, 0, 0, XFILTER_CMD_RULE_NEW, 1);
	if (xf_rule_put(msg, XFILTER_A_RULE, r) ||
	    xf_nl_parse(nlmsg_hdr(msg), tb) ||
	    xf_rule_parse(tb[XFILTER_A_RULE], &back)) {
		fprintf(stderr, "accepted rule does not encode and decode: %s\n", text);
		abort();
	}
	xf_rule_format(&back, XF_RF_ALL, again, sizeof(again));
	if (strcmp(text, again)) {
		fprintf(stderr, "netlink changed the rule:\n  %s\n  %s\n", text, again);
		abort();
	}
	nlmsg_free(msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *argv[MAX_ARGS + 2];
	struct xf_ctl c;
	int argc = 1, ret;

	if (!size)
		return 0;
	if (!devnull)
		devnull = fopen("/dev/null", "w");
	buf = malloc(size);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';

	xf_ctl_init(&c, devnull, devnull);
	c.resolve = resolve;
	c.no_io = true;
	if (data[0] & 1) {
		if (!xf_ctl_parse_restore(&c, buf, "fuzz"))
			for (size_t i = 0; i < c.nrules; i++)
				check_roundtrip(&c.rules[i].rule);
		xf_ctl_free(&c);	/* frees buf */
		return 0;
	}
	argv[0] = "xfilterctl";
	for (char *p = buf; argc <= MAX_ARGS;) {
		char *end = p + strcspn(p, "\n");

		argv[argc++] = p;
		if (!*end)
			break;
		*end = '\0';
		p = end + 1;
	}
	argv[argc] = NULL;
	ret = xf_ctl_parse(&c, argc, argv);
	if (!ret && (c.ra.rule.present & XF_BIT(XFILTER_RULE_A_VERDICT)))
		check_roundtrip(&c.ra.rule);
	xf_ctl_free(&c);
	free(buf);
	return 0;
}
