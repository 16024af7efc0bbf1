// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of xfmsg.c: every object survives encode -> decode, and hostile
 * nests (wrong lengths, families, overlong strings) are refused whole.
 */
#include <ctype.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "nl.h"
#include "xfmsg.h"

static struct nl_msg *new_msg(uint8_t cmd)
{
	struct nl_msg *msg = nlmsg_alloc();

	assert_non_null(msg);
	assert_non_null(genlmsg_put(msg, 0, 0, 0x20, 0, 0, cmd, 1));
	return msg;
}

/* The top-level attributes of msg, as a callback would see them. */
static void parse(struct nl_msg *msg, struct nlattr **tb)
{
	assert_int_equal(xf_nl_parse(nlmsg_hdr(msg), tb), 0);
}

static void test_rule_roundtrip(void **state)
{
	struct xf_rule r = { 0 }, back;
	struct nlattr *tb[XFILTER_A_MAX + 1];
	struct nl_msg *msg = new_msg(XFILTER_CMD_RULE_NEW);

	r.verdict = XFILTER_VERDICT_REJECT;
	r.domid = 3;
	r.uid = 1001;
	strcpy(r.comm, "nmap");
	r.proto = 6;
	r.family = AF_INET6;
	r.peer_addr[0] = 0x20;
	r.peer_addr[1] = 0x01;
	r.peer_plen = 32;
	r.guest_port_min = 1000;
	r.guest_port_max = 2000;
	r.timeout_ms = 60000;
	r.hits = 99;		/* never sent */
	r.present = XF_BIT(XFILTER_RULE_A_VERDICT) | XF_BIT(XFILTER_RULE_A_DOMID) |
		    XF_BIT(XFILTER_RULE_A_UID) | XF_BIT(XFILTER_RULE_A_COMM) |
		    XF_BIT(XFILTER_RULE_A_PROTO) | XF_BIT(XFILTER_RULE_A_FAMILY) |
		    XF_BIT(XFILTER_RULE_A_PEER_ADDR) | XF_BIT(XFILTER_RULE_A_PEER_PLEN) |
		    XF_BIT(XFILTER_RULE_A_GUEST_PORT_MIN) |
		    XF_BIT(XFILTER_RULE_A_GUEST_PORT_MAX) |
		    XF_BIT(XFILTER_RULE_A_TIMEOUT_MS) | XF_BIT(XFILTER_RULE_A_HITS);
	assert_int_equal(xf_rule_put(msg, XFILTER_A_RULE, &r), 0);
	parse(msg, tb);
	assert_int_equal(xf_rule_parse(tb[XFILTER_A_RULE], &back), 0);
	assert_int_equal(back.present, r.present & ~XF_BIT(XFILTER_RULE_A_HITS));
	assert_int_equal(back.verdict, XFILTER_VERDICT_REJECT);
	assert_string_equal(back.comm, "nmap");
	assert_int_equal(back.family, AF_INET6);
	assert_memory_equal(back.peer_addr, r.peer_addr, 16);
	assert_int_equal(back.peer_plen, 32);
	assert_int_equal(back.guest_port_max, 2000);
	assert_int_equal(back.timeout_ms, 60000);
	assert_int_equal(back.hits, 0);
	nlmsg_free(msg);
}

/* Builds RULE { attrs... } by hand, for the hostile cases. */
static int parse_raw_rule(void (*fill)(struct nl_msg *), struct xf_rule *r)
{
	struct nlattr *tb[XFILTER_A_MAX + 1];
	struct nl_msg *msg = new_msg(XFILTER_CMD_RULE_NEW);
	struct nlattr *nest = nla_nest_start(msg, XFILTER_A_RULE);
	int err;

	fill(msg);
	nla_nest_end(msg, nest);
	parse(msg, tb);
	err = xf_rule_parse(tb[XFILTER_A_RULE], r);
	nlmsg_free(msg);
	return err;
}

static void fill_long_comm(struct nl_msg *m)
{
	nla_put(m, XFILTER_RULE_A_COMM, 16, "0123456789abcdef");	/* no NUL */
}

static void fill_comm_15(struct nl_msg *m)
{
	nla_put(m, XFILTER_RULE_A_COMM, 15, "0123456789abcde");	/* NUL omitted */
}

static void fill_bad_addr_len(struct nl_msg *m)
{
	nla_put(m, XFILTER_RULE_A_PEER_ADDR, 5, "abcde");
}

static void fill_addr_family_mismatch(struct nl_msg *m)
{
	nla_put_u8(m, XFILTER_RULE_A_FAMILY, AF_INET6);
	nla_put(m, XFILTER_RULE_A_PEER_ADDR, 4, "\x0a\0\0\0");
}

static void fill_plen_too_big(struct nl_msg *m)
{
	nla_put(m, XFILTER_RULE_A_PEER_ADDR, 4, "\x0a\0\0\0");
	nla_put_u8(m, XFILTER_RULE_A_PEER_PLEN, 33);
}

static void fill_plen_alone(struct nl_msg *m)
{
	nla_put_u8(m, XFILTER_RULE_A_PEER_PLEN, 8);
}

static void fill_short_u32(struct nl_msg *m)
{
	nla_put(m, XFILTER_RULE_A_UID, 2, "\1\2");
}

static void fill_v4_host(struct nl_msg *m)
{
	nla_put(m, XFILTER_RULE_A_PEER_ADDR, 4, "\x0a\0\0\x01");
}

static void test_rule_hostile(void **state)
{
	struct xf_rule r;

	assert_int_equal(parse_raw_rule(fill_long_comm, &r), -EINVAL);
	assert_int_equal(parse_raw_rule(fill_comm_15, &r), 0);
	assert_string_equal(r.comm, "0123456789abcde");
	assert_int_equal(parse_raw_rule(fill_bad_addr_len, &r), -EINVAL);
	assert_int_equal(parse_raw_rule(fill_addr_family_mismatch, &r), -EINVAL);
	assert_int_equal(parse_raw_rule(fill_plen_too_big, &r), -EINVAL);
	assert_int_equal(parse_raw_rule(fill_plen_alone, &r), -EINVAL);
	assert_int_equal(parse_raw_rule(fill_short_u32, &r), -EINVAL);
	/* An address without a length is a host; the family is inferred. */
	assert_int_equal(parse_raw_rule(fill_v4_host, &r), 0);
	assert_int_equal(r.family, AF_INET);
	assert_int_equal(r.peer_plen, 32);
	assert_int_equal(xf_rule_parse(NULL, &r), -EINVAL);
}

static void test_owner_roundtrip(void **state)
{
	struct xf_owner o = { 0 }, back;
	struct nlattr *tb[XFILTER_A_MAX + 1];
	struct nl_msg *msg = new_msg(XFILTER_CMD_OWNER_ADD);
	uint32_t domid;

	o.key.family = AF_INET;
	o.key.proto = 17;
	memcpy(o.key.guest_addr, "\x0a\0\0\x05", 4);
	o.key.guest_port = 53;
	o.pid = 812;
	o.tgid = 800;
	o.uid = 1001;
	strcpy(o.comm, "dnsmasq");
	o.state = 7;
	o.inode = 12345;
	o.packets = 5;		/* dump only: never sent */
	o.present = XF_BIT(XFILTER_OWNER_A_PID) | XF_BIT(XFILTER_OWNER_A_TGID) |
		    XF_BIT(XFILTER_OWNER_A_UID) | XF_BIT(XFILTER_OWNER_A_COMM) |
		    XF_BIT(XFILTER_OWNER_A_STATE) | XF_BIT(XFILTER_OWNER_A_INODE) |
		    XF_BIT(XFILTER_OWNER_A_PACKETS);
	nla_put_u32(msg, XFILTER_A_DOMID, 7);
	assert_int_equal(xf_owner_put(msg, XFILTER_A_OWNER, &o), 0);
	parse(msg, tb);
	assert_int_equal(xf_owner_msg_parse(tb, &domid, &back), 0);
	assert_int_equal(domid, 7);
	assert_false(XF_HAS(&back, XFILTER_OWNER_A_PACKETS));
	assert_true(XF_HAS(&back, XFILTER_OWNER_A_KEY));
	assert_int_equal(back.key.proto, 17);
	assert_false(back.key.has_peer_addr);
	assert_int_equal(back.key.guest_port, 53);
	assert_memory_equal(back.key.guest_addr, o.key.guest_addr, 4);
	assert_string_equal(back.comm, "dnsmasq");
	assert_int_equal(back.inode, 12345);
	nlmsg_free(msg);
}

static void test_key_hostile(void **state)
{
	struct nlattr *tb[XFILTER_A_MAX + 1];
	struct nl_msg *msg;
	struct nlattr *nest;
	struct xf_key k;

	/* v4 family with a 16-byte address */
	msg = new_msg(XFILTER_CMD_MISS);
	nest = nla_nest_start(msg, XFILTER_A_KEY);
	nla_put_u8(msg, XFILTER_KEY_A_FAMILY, AF_INET);
	nla_put(msg, XFILTER_KEY_A_GUEST_ADDR, 16, "0123456789abcdef");
	nla_nest_end(msg, nest);
	parse(msg, tb);
	assert_int_equal(xf_key_parse(tb[XFILTER_A_KEY], &k), -EINVAL);
	nlmsg_free(msg);

	/* no family at all, and an unknown family */
	msg = new_msg(XFILTER_CMD_MISS);
	nest = nla_nest_start(msg, XFILTER_A_KEY);
	nla_put_u8(msg, XFILTER_KEY_A_PROTO, 6);
	nla_nest_end(msg, nest);
	nest = nla_nest_start(msg, XFILTER_A_EVENT);
	nla_nest_end(msg, nest);
	parse(msg, tb);
	assert_int_equal(xf_key_parse(tb[XFILTER_A_KEY], &k), -EINVAL);
	nlmsg_free(msg);

	msg = new_msg(XFILTER_CMD_MISS);
	nest = nla_nest_start(msg, XFILTER_A_KEY);
	nla_put_u8(msg, XFILTER_KEY_A_FAMILY, 99);
	nla_nest_end(msg, nest);
	parse(msg, tb);
	assert_int_equal(xf_key_parse(tb[XFILTER_A_KEY], &k), -EINVAL);
	nlmsg_free(msg);
}

static void test_domain_vifs_bounded(void **state)
{
	struct nlattr *tb[XFILTER_A_MAX + 1];
	struct nl_msg *msg = new_msg(XFILTER_CMD_DOMAIN_GET);
	struct nlattr *nest, *vifs;
	struct xf_domain d;

	nest = nla_nest_start(msg, XFILTER_A_DOMAIN);
	nla_put_u32(msg, XFILTER_DOMAIN_A_DOMID, 4);
	nla_put_u8(msg, XFILTER_DOMAIN_A_ENABLED, 1);
	vifs = nla_nest_start(msg, XFILTER_DOMAIN_A_VIFS);
	for (int i = 0; i < XF_DOMAIN_VIFS_MAX + 5; i++) {
		char name[24];

		snprintf(name, sizeof(name), "vif4.%d", i);
		nla_put_string(msg, XFILTER_DOMAIN_A_IFNAME, name);
	}
	nla_nest_end(msg, vifs);
	nla_nest_end(msg, nest);
	parse(msg, tb);
	assert_int_equal(xf_domain_parse(tb[XFILTER_A_DOMAIN], &d), 0);
	assert_int_equal(d.nvifs, XF_DOMAIN_VIFS_MAX);
	assert_string_equal(d.vifs[15], "vif4.15");
	assert_true(d.enabled);
	nlmsg_free(msg);
}

static void test_domain_put_only_settings(void **state)
{
	struct nlattr *tb[XFILTER_A_MAX + 1];
	struct nl_msg *msg = new_msg(XFILTER_CMD_DOMAIN_SET);
	struct xf_domain d = { 0 }, back;

	d.domid = 9;
	d.fail_mode = XFILTER_FAIL_CLOSED;
	d.entries = 5;	/* reply only */
	d.present = XF_BIT(XFILTER_DOMAIN_A_DOMID) | XF_BIT(XFILTER_DOMAIN_A_FAIL_MODE) |
		    XF_BIT(XFILTER_DOMAIN_A_ENTRIES);
	assert_int_equal(xf_domain_put(msg, XFILTER_A_DOMAIN, &d), 0);
	parse(msg, tb);
	assert_int_equal(xf_domain_parse(tb[XFILTER_A_DOMAIN], &back), 0);
	assert_int_equal(back.present, XF_BIT(XFILTER_DOMAIN_A_DOMID) |
					XF_BIT(XFILTER_DOMAIN_A_FAIL_MODE));
	assert_int_equal(back.fail_mode, XFILTER_FAIL_CLOSED);
	nlmsg_free(msg);
}

static void test_stats(void **state)
{
	struct nlattr *tb[XFILTER_A_MAX + 1];
	struct nl_msg *msg = new_msg(XFILTER_CMD_STATS_GET);
	struct nlattr *nest;
	struct xf_stats s;

	nla_put_u32(msg, XFILTER_A_DOMID, 3);
	nest = nla_nest_start(msg, XFILTER_A_STATS);
	nla_put_u64(msg, XFILTER_STATS_A_PACKETS, 10);
	nla_put_u64(msg, XFILTER_STATS_A_DROPPED, 4);
	nla_put_u64(msg, XFILTER_STATS_A_MAX + 3, 1);	/* newer: skipped */
	nla_nest_end(msg, nest);
	parse(msg, tb);
	assert_int_equal(xf_stats_msg_parse(tb, &s), 0);
	assert_true(s.has_domid);
	assert_int_equal(s.domid, 3);
	assert_int_equal(s.v[XFILTER_STATS_A_PACKETS], 10);
	assert_int_equal(s.present, XF_BIT(XFILTER_STATS_A_PACKETS) |
				    XF_BIT(XFILTER_STATS_A_DROPPED));
	nlmsg_free(msg);

	msg = new_msg(XFILTER_CMD_STATS_GET);
	nest = nla_nest_start(msg, XFILTER_A_STATS);
	nla_put_u32(msg, XFILTER_STATS_A_PACKETS, 10);	/* not a u64 */
	nla_nest_end(msg, nest);
	parse(msg, tb);
	assert_int_equal(xf_stats_msg_parse(tb, &s), -EINVAL);
	nlmsg_free(msg);
}

/*
 * The counter names live in three places: the UAPI header (the comment of
 * each XFILTER_STATS_A_* enumerator), the module's sysfs files
 * (module/sysfs.c) and this library (xf_stats_name()). They must agree, and
 * every counter must have a name in each. XF_TOP is the source tree.
 */
#define MAX_STATS 64

struct stat_name {
	char id[64];
	char name[32];
};

/* "XFILTER_STATS_A_FOO" and the first word after it in the comment. */
static int header_names(struct stat_name *v, int max)
{
	FILE *f = fopen(XF_TOP "/include/uapi/linux/xfilter.h", "r");
	char line[256];
	int n = -1;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *c;

		if (strstr(line, "enum xfilter_stats_attr {")) {
			n = 0;
			continue;
		}
		if (n < 0)
			continue;
		if (strchr(line, '}'))
			break;
		while (isspace((unsigned char)*p))
			p++;
		if (strncmp(p, "XFILTER_STATS_A_", 16))
			continue;
		/* implicit values only: the position is the value */
		assert_null(strchr(p, '='));
		assert_true(n < max);
		sscanf(p, "%63[A-Z_]", v[n].id);
		v[n].name[0] = 0;
		c = strstr(p, "/*");
		if (c)
			sscanf(c + 2, " %31[a-z_]", v[n].name);
		n++;
	}
	fclose(f);
	assert_true(n > 0);
	return n;
}

static void test_stat_names_agree(void **state)
{
	struct stat_name hdr[MAX_STATS];
	int n = header_names(hdr, MAX_STATS), i, in_module = 0;
	FILE *f = fopen(XF_TOP "/module/sysfs.c", "r");
	char line[256];

	(void)state;
	assert_int_equal(n, XFILTER_STATS_A_MAX + 1);
	for (i = XFILTER_STATS_A_PACKETS; i < n; i++) {
		const char *lib = xf_stats_name((unsigned int)i);

		if (!hdr[i].name[0] || !lib || strcmp(lib, hdr[i].name))
			fail_msg("%s: header says '%s', xf_stats_name() '%s'",
				 hdr[i].id, hdr[i].name, lib ? lib : "(none)");
	}
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char id[64], name[32];

		if (sscanf(line, " [%63[A-Z_]] = \"%31[a-z_]\"", id, name) != 2 ||
		    strncmp(id, "XFILTER_STATS_A_", 16))
			continue;
		for (i = 0; i < n; i++)
			if (!strcmp(hdr[i].id, id))
				break;
		if (i == n || strcmp(hdr[i].name, name))
			fail_msg("module/sysfs.c: %s is '%s', the header says '%s'",
				 id, name, i == n ? "(no such counter)" : hdr[i].name);
		in_module++;
	}
	fclose(f);
	assert_int_equal(in_module, n - XFILTER_STATS_A_PACKETS);
}

static void test_event_and_miss(void **state)
{
	struct nlattr *tb[XFILTER_A_MAX + 1];
	struct nl_msg *msg = new_msg(XFILTER_CMD_VERDICT);
	struct nlattr *nest, *key;
	struct xf_event e;
	struct xf_miss m;

	nest = nla_nest_start(msg, XFILTER_A_EVENT);
	nla_put_u32(msg, XFILTER_EVENT_A_DOMID, 3);
	nla_put_string(msg, XFILTER_EVENT_A_IFNAME, "vif3.0");
	nla_put_u8(msg, XFILTER_EVENT_A_VERDICT, XFILTER_VERDICT_DROP);
	key = nla_nest_start(msg, XFILTER_EVENT_A_KEY);
	nla_put_u8(msg, XFILTER_KEY_A_FAMILY, AF_INET);
	nla_put_u8(msg, XFILTER_KEY_A_PROTO, 6);
	nla_put(msg, XFILTER_KEY_A_GUEST_ADDR, 4, "\x0a\0\0\x05");
	nla_put(msg, XFILTER_KEY_A_PEER_ADDR, 4, "\x0a\0\0\x09");
	nla_nest_end(msg, key);
	nla_put(msg, XFILTER_EVENT_A_COMM, 17, "aaaaaaaaaaaaaaaa");	/* too long */
	nla_nest_end(msg, nest);
	parse(msg, tb);
	assert_int_equal(xf_event_parse(tb[XFILTER_A_EVENT], &e), -EINVAL);
	nlmsg_free(msg);

	msg = new_msg(XFILTER_CMD_MISS);
	nla_put_u32(msg, XFILTER_A_DOMID, 3);
	nla_put_u8(msg, XFILTER_A_DIR, XFILTER_DIR_OUT);
	nla_put_string(msg, XFILTER_A_IFNAME, "vif3.0");
	key = nla_nest_start(msg, XFILTER_A_KEY);
	nla_put_u8(msg, XFILTER_KEY_A_FAMILY, AF_INET);
	nla_put_u16(msg, XFILTER_KEY_A_PEER_PORT, 25);
	nla_nest_end(msg, key);
	parse(msg, tb);
	assert_int_equal(xf_miss_msg_parse(tb, &m), 0);
	assert_int_equal(m.domid, 3);
	assert_int_equal(m.dir, XFILTER_DIR_OUT);
	assert_string_equal(m.ifname, "vif3.0");
	assert_int_equal(m.key.peer_port, 25);
	nlmsg_free(msg);
}

/*
 * MISS_RESOLVE's key list: n keys in order, each decodable; an empty or
 * over-cap list or a key without a family adds nothing to the message.
 */
static void test_keys_put(void **state)
{
	struct xf_key keys[XFILTER_MISS_KEYS_MAX + 1] = { 0 }, back;
	struct nlattr *tb[XFILTER_A_MAX + 1], *a;
	struct nl_msg *msg = nlmsg_alloc_size(16384);
	uint32_t len;
	int i, rem;

	assert_non_null(msg);
	assert_non_null(genlmsg_put(msg, 0, 0, 0x20, 0, 0, XFILTER_CMD_MISS_RESOLVE, 1));
	for (i = 0; i <= XFILTER_MISS_KEYS_MAX; i++) {
		keys[i].family = i % 2 ? AF_INET6 : AF_INET;
		keys[i].proto = 17;
		keys[i].guest_port = (uint16_t)(40000 + i);
		keys[i].guest_addr[0] = 10;
		keys[i].has_peer_addr = true;
		keys[i].peer_addr[0] = 10;
		keys[i].peer_port = 8081;
	}
	len = nlmsg_hdr(msg)->nlmsg_len;
	assert_int_equal(xf_keys_put(msg, keys, 0, XFILTER_MISS_KEYS_MAX), -EINVAL);
	assert_int_equal(xf_keys_put(msg, keys, XFILTER_MISS_KEYS_MAX + 1, XFILTER_MISS_KEYS_MAX), -EINVAL);
	keys[1].family = 0;
	assert_int_equal(xf_keys_put(msg, keys, 3, XFILTER_MISS_KEYS_MAX), -EINVAL);
	assert_int_equal(nlmsg_hdr(msg)->nlmsg_len, len);
	keys[1].family = AF_INET6;

	assert_int_equal(xf_keys_put(msg, keys, XFILTER_MISS_KEYS_MAX, XFILTER_MISS_KEYS_MAX), 0);
	parse(msg, tb);
	assert_non_null(tb[XFILTER_A_KEYS]);
	i = 0;
	nla_for_each_nested(a, tb[XFILTER_A_KEYS], rem) {
		assert_int_equal(nla_type(a), XFILTER_A_KEY);
		assert_int_equal(xf_key_parse(a, &back), 0);
		assert_int_equal(back.family, keys[i].family);
		assert_int_equal(back.guest_port, 40000 + i);
		assert_int_equal(back.peer_port, 8081);
		i++;
	}
	assert_int_equal(i, XFILTER_MISS_KEYS_MAX);
	nlmsg_free(msg);

	/* a message too small for the list: refused, the message unchanged */
	msg = new_msg(XFILTER_CMD_MISS_RESOLVE);
	len = nlmsg_hdr(msg)->nlmsg_len;
	assert_int_equal(xf_keys_put(msg, keys, XFILTER_MISS_KEYS_MAX, XFILTER_MISS_KEYS_MAX), -EMSGSIZE);
	assert_int_equal(nlmsg_hdr(msg)->nlmsg_len, len);
	nlmsg_free(msg);
}

static void test_put_overflow(void **state)
{
	struct nl_msg *msg = nlmsg_alloc_size(64);
	struct xf_rule r = { 0 };

	genlmsg_put(msg, 0, 0, 0x20, 0, 0, XFILTER_CMD_RULE_NEW, 1);
	strcpy(r.comm, "0123456789abcde");
	r.present = XF_BIT(XFILTER_RULE_A_COMM) | XF_BIT(XFILTER_RULE_A_UID) |
		    XF_BIT(XFILTER_RULE_A_GID) | XF_BIT(XFILTER_RULE_A_PID) |
		    XF_BIT(XFILTER_RULE_A_TGID) | XF_BIT(XFILTER_RULE_A_DOMID);
	assert_int_equal(xf_rule_put(msg, XFILTER_A_RULE, &r), -EMSGSIZE);
	nlmsg_free(msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule_roundtrip),
		cmocka_unit_test(test_rule_hostile),
		cmocka_unit_test(test_owner_roundtrip),
		cmocka_unit_test(test_key_hostile),
		cmocka_unit_test(test_domain_vifs_bounded),
		cmocka_unit_test(test_domain_put_only_settings),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_stat_names_agree),
		cmocka_unit_test(test_event_and_miss),
		cmocka_unit_test(test_put_overflow),
		cmocka_unit_test(test_keys_put),
	};

	return cmocka_run_group_tests_name("xfmsg", tests, NULL, NULL);
}
