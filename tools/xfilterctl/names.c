// SPDX-License-Identifier: GPL-2.0
/* Words for UAPI numbers, both ways (see names.h). */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/xfilter.h>

#include "args.h"
#include "names.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *const verdicts[] = {
	[XFILTER_VERDICT_NONE]		= "none",
	[XFILTER_VERDICT_ACCEPT]	= "accept",
	[XFILTER_VERDICT_DROP]		= "drop",
	[XFILTER_VERDICT_REJECT]	= "reject",
	[XFILTER_VERDICT_LOG]		= "log",
};

static const char *const dirs[] = {
	[XFILTER_DIR_ANY]	= "any",
	[XFILTER_DIR_OUT]	= "out",
	[XFILTER_DIR_IN]	= "in",
};

static const char *const fails[] = {
	[XFILTER_FAIL_UNSPEC]	= "default",
	[XFILTER_FAIL_OPEN]	= "open",
	[XFILTER_FAIL_CLOSED]	= "closed",
};

static const char *const reasons[] = {
	[XFILTER_REASON_RULE]		= "rule",
	[XFILTER_REASON_HOLD_TIMEOUT]	= "hold-timeout",
	[XFILTER_REASON_HOLD_FULL]	= "hold-full",
	[XFILTER_REASON_NO_DAEMON]	= "no-daemon",
	[XFILTER_REASON_FLOW_CUT]	= "flow-cut",
};

/* Indexed by bit: XFILTER_FEAT_* in include/uapi/linux/xfilter.h. */
static const char *const features[] = {
	"ipv6", "hold", "reject", "expiry", "neg-cache", "verdict-events",
	"scan-stamp", "miss-batch", "owner-del-batch",
};
_Static_assert(XFILTER_FEAT_OWNER_DEL_BATCH == 1ULL << 8 && XFILTER_FEAT_MISS_BATCH == 1ULL << 7,
	       "feature names follow the bits");

/* Linux include/net/tcp_states.h, spelled as ss(8) does. */
static const char *const tcp_states[] = {
	[1] = "ESTAB", [2] = "SYN-SENT", [3] = "SYN-RECV", [4] = "FIN-WAIT-1",
	[5] = "FIN-WAIT-2", [6] = "TIME-WAIT", [7] = "UNCONN",
	[8] = "CLOSE-WAIT", [9] = "LAST-ACK", [10] = "LISTEN",
	[11] = "CLOSING", [12] = "NEW-SYN-RECV",
};

static const struct {
	const char *name;
	unsigned int num;
} protos[] = {
	{ "tcp", IPPROTO_TCP }, { "udp", IPPROTO_UDP },
	{ "icmp", IPPROTO_ICMP }, { "icmpv6", IPPROTO_ICMPV6 },
	{ "sctp", IPPROTO_SCTP }, { "udplite", IPPROTO_UDPLITE },
	{ "gre", IPPROTO_GRE }, { "esp", IPPROTO_ESP }, { "ah", IPPROTO_AH },
	{ "igmp", IPPROTO_IGMP },
};

static const char *lookup(const char *const *tab, size_t n, unsigned int i)
{
	return i < n ? tab[i] : NULL;
}

static int rlookup(const char *const *tab, size_t n, size_t from, const char *s)
{
	for (size_t i = from; i < n; i++)
		if (tab[i] && !strcmp(tab[i], s))
			return (int)i;
	return -1;
}

const char *xf_verdict_name(unsigned int v)
{
	return lookup(verdicts, ARRAY_SIZE(verdicts), v);
}

const char *xf_dir_name(unsigned int d)
{
	return lookup(dirs, ARRAY_SIZE(dirs), d);
}

const char *xf_fail_name(unsigned int f)
{
	return lookup(fails, ARRAY_SIZE(fails), f);
}

const char *xf_reason_name(unsigned int r)
{
	return lookup(reasons, ARRAY_SIZE(reasons), r);
}

const char *xf_feature_name(unsigned int bit)
{
	return lookup(features, ARRAY_SIZE(features), bit);
}

const char *xf_family_name(unsigned int family)
{
	if (family == AF_INET)
		return "ipv4";
	if (family == AF_INET6)
		return "ipv6";
	return NULL;
}

const char *xf_state_name(unsigned int proto, unsigned int state)
{
	const char *s = lookup(tcp_states, ARRAY_SIZE(tcp_states), state);

	if (proto != IPPROTO_TCP && state == 1)
		return "ESTAB";		/* a connected UDP socket */
	if (proto != IPPROTO_TCP && (state == 7 || state == 0))
		return "UNCONN";
	return s ? s : "UNKNOWN";
}

const char *xf_proto_name(unsigned int proto, char *buf, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(protos); i++)
		if (protos[i].num == proto)
			return protos[i].name;
	snprintf(buf, len, "%u", proto);
	return buf;
}

int xf_verdict_parse(const char *s)
{
	/* "none" is internal to the module: a rule always has a verdict. */
	return rlookup(verdicts, ARRAY_SIZE(verdicts), XFILTER_VERDICT_ACCEPT, s);
}

int xf_dir_parse(const char *s)
{
	return rlookup(dirs, ARRAY_SIZE(dirs), XFILTER_DIR_OUT, s);
}

int xf_fail_parse(const char *s)
{
	return rlookup(fails, ARRAY_SIZE(fails), XFILTER_FAIL_OPEN, s);
}

int xf_family_parse(const char *s)
{
	if (!strcmp(s, "ipv4") || !strcmp(s, "ip") || !strcmp(s, "inet"))
		return AF_INET;
	if (!strcmp(s, "ipv6") || !strcmp(s, "ip6") || !strcmp(s, "inet6"))
		return AF_INET6;
	return -1;
}

int xf_proto_parse(const char *s)
{
	uint32_t v;

	for (size_t i = 0; i < ARRAY_SIZE(protos); i++)
		if (!strcmp(protos[i].name, s))
			return (int)protos[i].num;
	if (!strcmp(s, "ipv6-icmp"))
		return IPPROTO_ICMPV6;
	if (xf_parse_u32(s, 1, 255, &v))
		return -1;
	return (int)v;
}
