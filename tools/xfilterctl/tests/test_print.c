// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the printers. Each test builds the netlink messages the
 * kernel would send, runs them through the same parse and collect path as a
 * real reply, and compares the human and JSON output byte for byte.
 */
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

#include "xfilterctl.h"

/* ------------------------------------------------------------------ */
/* output capture */

static char *obuf;
static size_t olen;

static struct xf_out out(bool json, bool stats)
{
	struct xf_out o = { .json = json, .stats = stats };

	o.f = open_memstream(&obuf, &olen);
	assert_non_null(o.f);
	return o;
}

static void expect(struct xf_out *o, const char *text)
{
	fclose(o->f);
	if (strcmp(obuf, text))
		fail_msg("output differs.\n--- got:\n%s--- expected:\n%s---", obuf, text);
	free(obuf);
	obuf = NULL;
}

/* ------------------------------------------------------------------ */
/* messages as the kernel builds them */

static struct nl_msg *kmsg(uint8_t cmd)
{
	struct nl_msg *m = nlmsg_alloc();

	assert_non_null(m);
	assert_non_null(genlmsg_put(m, 0, 1, 0x20, 0, NLM_F_MULTI, cmd, 1));
	return m;
}

/* Feeds a message to a collector as xf_nl_dump would. */
static void feed(struct nl_msg *m, xf_nl_cb cb, void *arg)
{
	struct nlattr *tb[XFILTER_A_MAX + 1];

	assert_int_equal(xf_nl_parse(nlmsg_hdr(m), tb), 0);
	assert_int_equal(cb(nlmsg_hdr(m), tb, arg), 0);
	nlmsg_free(m);
}

static void put_u64(struct nl_msg *m, int type, uint64_t v, int pad)
{
	/* The kernel pads u64 attributes; the parse must not mind. */
	assert_int_equal(nla_put(m, pad, 0, NULL), 0);
	assert_int_equal(nla_put_u64(m, type, v), 0);
}

static void put_key(struct nl_msg *m, int type, int family, int proto,
		    const char *gaddr, uint16_t gport, const char *paddr,
		    uint16_t pport)
{
	struct nlattr *k = nla_nest_start(m, type);
	int alen = family == AF_INET ? 4 : 16;

	nla_put_u8(m, XFILTER_KEY_A_FAMILY, (uint8_t)family);
	nla_put_u8(m, XFILTER_KEY_A_PROTO, (uint8_t)proto);
	nla_put(m, XFILTER_KEY_A_GUEST_ADDR, alen, gaddr);
	nla_put_u16(m, XFILTER_KEY_A_GUEST_PORT, gport);
	if (paddr) {
		nla_put(m, XFILTER_KEY_A_PEER_ADDR, alen, paddr);
		nla_put_u16(m, XFILTER_KEY_A_PEER_PORT, pport);
	}
	nla_nest_end(m, k);
}

struct rspec {
	uint32_t id, prio, dom, uid, flags, timeout, expires;
	uint8_t verdict, proto, dir;
	const char *comm;
	const char *peer6;	/* 16 bytes */
	uint8_t plen;
	uint16_t gport, pport;
	uint64_t hits, bytes;
};

static struct nl_msg *rule_msg(const struct rspec *s)
{
	struct nl_msg *m = kmsg(XFILTER_CMD_RULE_GET);
	struct nlattr *n = nla_nest_start(m, XFILTER_A_RULE);

	nla_put_u32(m, XFILTER_RULE_A_ID, s->id);
	nla_put_u32(m, XFILTER_RULE_A_PRIO, s->prio);
	nla_put_u8(m, XFILTER_RULE_A_VERDICT, s->verdict);
	if (s->dom)
		nla_put_u32(m, XFILTER_RULE_A_DOMID, s->dom);
	if (s->uid)
		nla_put_u32(m, XFILTER_RULE_A_UID, s->uid);
	if (s->comm)
		nla_put_string(m, XFILTER_RULE_A_COMM, s->comm);
	if (s->dir)
		nla_put_u8(m, XFILTER_RULE_A_DIR, s->dir);
	if (s->proto)
		nla_put_u8(m, XFILTER_RULE_A_PROTO, s->proto);
	if (s->peer6) {
		nla_put_u8(m, XFILTER_RULE_A_FAMILY, AF_INET6);
		nla_put(m, XFILTER_RULE_A_PEER_ADDR, 16, s->peer6);
		nla_put_u8(m, XFILTER_RULE_A_PEER_PLEN, s->plen);
	}
	if (s->gport) {
		nla_put_u16(m, XFILTER_RULE_A_GUEST_PORT_MIN, s->gport);
		nla_put_u16(m, XFILTER_RULE_A_GUEST_PORT_MAX, s->gport);
	}
	if (s->pport) {
		nla_put_u16(m, XFILTER_RULE_A_PEER_PORT_MIN, s->pport);
		nla_put_u16(m, XFILTER_RULE_A_PEER_PORT_MAX, s->pport);
	}
	if (s->flags)
		nla_put_u32(m, XFILTER_RULE_A_FLAGS, s->flags);
	if (s->timeout)
		nla_put_u32(m, XFILTER_RULE_A_TIMEOUT_MS, s->timeout);
	put_u64(m, XFILTER_RULE_A_HITS, s->hits, XFILTER_RULE_A_PAD);
	put_u64(m, XFILTER_RULE_A_BYTES, s->bytes, XFILTER_RULE_A_PAD);
	if (s->expires)
		nla_put_u32(m, XFILTER_RULE_A_EXPIRES_MS, s->expires);
	nla_nest_end(m, n);
	return m;
}

static const struct rspec rules[] = {
	{ .id = 1, .prio = 1000, .verdict = XFILTER_VERDICT_DROP, .dom = 3,
	  .uid = 1001, .proto = 6, .pport = 25, .hits = 12, .bytes = 720 },
	{ .id = 7, .prio = 10, .verdict = XFILTER_VERDICT_ACCEPT, .dom = 3,
	  .comm = "nginx", .peer6 = "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\0",
	  .plen = 32, .gport = 80, .timeout = 60000, .expires = 59500 },
	{ .id = 8, .prio = 2000, .verdict = XFILTER_VERDICT_LOG,
	  .flags = XFILTER_RULE_F_OWNER_UNKNOWN, .dir = XFILTER_DIR_IN,
	  .hits = 3, .bytes = 180 },
};

static void collect_rules(struct xf_vec *v)
{
	v->size = sizeof(struct xf_rule);
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		feed(rule_msg(&rules[i]), xf_collect_rule, v);
	assert_int_equal(v->n, 3);
}

/* ------------------------------------------------------------------ */
/* rules */

static void test_rules_human(void **state)
{
	struct xf_vec v = { 0 };
	struct xf_out o = out(false, false);

	collect_rules(&v);
	xf_print_rules(&o, v.v, v.n);
	expect(&o,
	       "ID  PRIO  VERDICT  HITS  BYTES  EXPIRES  MATCH\n"
	       " 1  1000  drop       12    720  -        dom 3 uid 1001 proto tcp peer-port 25\n"
	       " 7    10  accept      0      0  1m0s     dom 3 comm nginx peer 2001:db8::/32 guest-port 80\n"
	       " 8  2000  log         3    180  -        owner unknown dir in\n");
	xf_vec_free(&v);
}

static void test_rules_json(void **state)
{
	struct xf_vec v = { 0 };
	struct xf_out o = out(true, false);

	collect_rules(&v);
	xf_print_rules(&o, v.v, v.n);
	expect(&o,
	       "[{\"id\":1,\"prio\":1000,\"verdict\":\"drop\",\"dom\":3,\"uid\":1001,"
	       "\"owner_unknown\":false,\"proto\":\"tcp\",\"peer_port_min\":25,"
	       "\"peer_port_max\":25,\"hits\":12,\"bytes\":720},"
	       "{\"id\":7,\"prio\":10,\"verdict\":\"accept\",\"dom\":3,\"comm\":\"nginx\","
	       "\"owner_unknown\":false,\"family\":\"ipv6\",\"peer\":\"2001:db8::/32\","
	       "\"guest_port_min\":80,\"guest_port_max\":80,\"timeout_ms\":60000,"
	       "\"expires_ms\":59500,\"hits\":0,\"bytes\":0},"
	       "{\"id\":8,\"prio\":2000,\"verdict\":\"log\",\"owner_unknown\":true,"
	       "\"dir\":\"in\",\"hits\":3,\"bytes\":180}]\n");
	xf_vec_free(&v);
}

static void test_rules_empty(void **state)
{
	struct xf_out o = out(false, false);

	xf_print_rules(&o, NULL, 0);
	expect(&o, "");
	o = out(true, false);
	xf_print_rules(&o, NULL, 0);
	expect(&o, "[]\n");
}

/* Colour codes only when asked, and the columns stay aligned. */
static void test_rules_color(void **state)
{
	struct xf_vec v = { .size = sizeof(struct xf_rule) };
	struct xf_out o = out(false, false);

	feed(rule_msg(&rules[0]), xf_collect_rule, &v);
	o.color = true;
	xf_print_rules(&o, v.v, v.n);
	expect(&o,
	       "\033[1mID\033[0m  \033[1mPRIO\033[0m  \033[1mVERDICT\033[0m  "
	       "\033[1mHITS\033[0m  \033[1mBYTES\033[0m  \033[1mEXPIRES\033[0m  "
	       "\033[1mMATCH\033[0m\n"
	       " 1  1000  \033[31mdrop\033[0m       12    720  -        "
	       "dom 3 uid 1001 proto tcp peer-port 25\n");
	xf_vec_free(&v);
}

static void test_save_and_restore_roundtrip(void **state)
{
	struct xf_vec v = { 0 };
	struct xf_out o = out(false, false);
	struct xf_ctl c;
	char *text;

	collect_rules(&v);
	xf_print_save(&o, v.v, v.n);
	fflush(o.f);
	text = strdup(obuf);
	expect(&o,
	       "# xfilterctl save: 3 rules; `xfilterctl restore` replaces the whole ruleset with these\n"
	       "rule add dom 3 uid 1001 proto tcp peer-port 25 drop\n"
	       "rule add dom 3 comm nginx peer 2001:db8::/32 guest-port 80 accept prio 10 timeout 1m\n"
	       "rule add owner unknown dir in log prio 2000\n");

	/* restore reads it back to the same rules. */
	xf_ctl_init(&c, stdout, stderr);
	assert_int_equal(xf_ctl_parse_restore(&c, text, "saved"), 0);
	assert_int_equal(c.nrules, 3);
	for (size_t i = 0; i < 3; i++) {
		char a[512], b[512];

		xf_rule_format(&((struct xf_rule *)v.v)[i], XF_RF_ALL, a, sizeof(a));
		xf_rule_format(&c.rules[i].rule, XF_RF_ALL, b, sizeof(b));
		assert_string_equal(a, b);
	}
	assert_int_equal(c.rules[1].rule.timeout_ms, 60000);
	assert_int_equal(c.rules[1].rule.family, AF_INET6);
	xf_ctl_free(&c);
	xf_vec_free(&v);
}

/* A hostile comm in a saved rule survives the round trip byte for byte. */
static void test_save_hostile_comm(void **state)
{
	struct rspec s = { .id = 2, .prio = 1000, .verdict = XFILTER_VERDICT_DROP,
			   .comm = "a b#\"\x1b\\" };
	struct xf_vec v = { .size = sizeof(struct xf_rule) };
	struct xf_out o = out(false, false);
	struct xf_ctl c;
	char *text;

	feed(rule_msg(&s), xf_collect_rule, &v);
	xf_print_save(&o, v.v, v.n);
	fflush(o.f);
	text = strdup(obuf);
	expect(&o, "# xfilterctl save: 1 rule; `xfilterctl restore` replaces the whole ruleset with these\n"
		   "rule add comm a\\x20b\\x23\\x22\\x1b\\x5c drop\n");
	xf_ctl_init(&c, stdout, stderr);
	assert_int_equal(xf_ctl_parse_restore(&c, text, "saved"), 0);
	assert_string_equal(c.rules[0].rule.comm, s.comm);
	xf_ctl_free(&c);
	xf_vec_free(&v);
}

/* ------------------------------------------------------------------ */
/* conns */

struct ospec {
	uint32_t dom, pid, tgid, uid, flags;
	const char *comm;
	int family, proto;
	const char *gaddr, *paddr;
	uint16_t gport, pport;
	uint8_t state;
	uint64_t packets, bytes;
};

static struct nl_msg *owner_msg(const struct ospec *s)
{
	struct nl_msg *m = kmsg(XFILTER_CMD_OWNER_GET);
	struct nlattr *n;

	nla_put_u32(m, XFILTER_A_DOMID, s->dom);
	n = nla_nest_start(m, XFILTER_A_OWNER);
	put_key(m, XFILTER_OWNER_A_KEY, s->family, s->proto, s->gaddr, s->gport,
		s->paddr, s->pport);
	if (s->pid) {
		nla_put_u32(m, XFILTER_OWNER_A_PID, s->pid);
		nla_put_u32(m, XFILTER_OWNER_A_TGID, s->tgid);
		nla_put_u32(m, XFILTER_OWNER_A_UID, s->uid);
		nla_put_u32(m, XFILTER_OWNER_A_GID, s->uid);
		nla_put_string(m, XFILTER_OWNER_A_COMM, s->comm);
	}
	nla_put_u32(m, XFILTER_OWNER_A_FLAGS, s->flags);
	nla_put_u8(m, XFILTER_OWNER_A_STATE, s->state);
	put_u64(m, XFILTER_OWNER_A_PACKETS, s->packets, XFILTER_OWNER_A_PAD);
	put_u64(m, XFILTER_OWNER_A_BYTES, s->bytes, XFILTER_OWNER_A_PAD);
	nla_nest_end(m, n);
	return m;
}

#define V4(a, b, c, d) ((const char[]){ a, b, c, d })

static const struct ospec owners[] = {
	{ .dom = 3, .pid = 501, .tgid = 500, .uid = 33, .comm = "nginx",
	  .family = AF_INET, .proto = 6, .gaddr = V4(10, 0, 0, 5), .gport = 80,
	  .paddr = V4(198, 51, 100, 7), .pport = 50000, .state = 1,
	  .packets = 30, .bytes = 4000 },
	{ .dom = 3, .pid = 900, .tgid = 900, .uid = 1001, .comm = "evil\x1b[2J x",
	  .family = AF_INET, .proto = 17, .gaddr = V4(10, 0, 0, 5), .gport = 5353,
	  .state = 7 },
	{ .dom = 1, .flags = XFILTER_OWNER_F_UNATTRIBUTED, .family = AF_INET6,
	  .proto = 17, .gaddr = "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x05",
	  .gport = 53, .state = 7, .packets = 2, .bytes = 100 },
	{ .dom = 3, .pid = 812, .tgid = 812, .uid = 1001, .comm = "nmap",
	  .family = AF_INET, .proto = 6, .gaddr = V4(10, 0, 0, 5), .gport = 41234,
	  .paddr = V4(10, 0, 0, 9), .pport = 25, .state = 2,
	  .packets = 1200, .bytes = 72000 },
	{ .dom = 3, .pid = 500, .tgid = 500, .uid = 33, .comm = "nginx",
	  .flags = XFILTER_OWNER_F_SHARED, .family = AF_INET, .proto = 6,
	  .gaddr = V4(0, 0, 0, 0), .gport = 80, .state = 10, .packets = 10,
	  .bytes = 600 },
};

static void collect_conns(struct xf_vec *v)
{
	v->size = sizeof(struct xf_conn);
	for (size_t i = 0; i < sizeof(owners) / sizeof(owners[0]); i++)
		feed(owner_msg(&owners[i]), xf_collect_conn, v);
}

static void test_conns_human(void **state)
{
	struct xf_vec v = { 0 };
	struct xf_out o = out(false, false);

	collect_conns(&v);
	xf_print_conns(&o, v.v, v.n);
	/* Per domain; the busiest process first; hostile comm escaped. */
	expect(&o,
	       "DOM  PID  TGID   UID  COMM              PROTO  STATE     GUEST             PEER                PKTS  BYTES\n"
	       "  1    -     -     -  -                 udp    UNCONN    [2001:db8::5]:53  *:*                    2    100\n"
	       "  3  812   812  1001  nmap              tcp    SYN-SENT  10.0.0.5:41234    10.0.0.9:25         1200  72000\n"
	       "  3  501   500    33  nginx             tcp    ESTAB     10.0.0.5:80       198.51.100.7:50000    30   4000\n"
	       "  3  500   500    33  nginx             tcp    LISTEN    *:80              *:*                   10    600\n"
	       "  3  900   900  1001  evil\\x1b[2J\\x20x  udp    UNCONN    10.0.0.5:5353     *:*                    0      0\n");
	xf_vec_free(&v);
}

static void test_conns_stats(void **state)
{
	struct xf_vec v = { 0 };
	struct xf_out o = out(false, true);

	collect_conns(&v);
	xf_print_conns(&o, v.v, 4);	/* without the shared listener */
	expect(&o,
	       "DOM  PID  TGID   UID  COMM              PROTO  STATE     GUEST             PEER                PKTS  BYTES\n"
	       "  1    -     -     -  -                 udp    UNCONN    [2001:db8::5]:53  *:*                    2    100\n"
	       "  3  812   812  1001  nmap              tcp    SYN-SENT  10.0.0.5:41234    10.0.0.9:25         1200  72000\n"
	       "  3  501   500    33  nginx             tcp    ESTAB     10.0.0.5:80       198.51.100.7:50000    30   4000\n"
	       "  3  900   900  1001  evil\\x1b[2J\\x20x  udp    UNCONN    10.0.0.5:5353     *:*                    0      0\n"
	       "\n"
	       "DOM  PID   UID  COMM              SOCKETS  PKTS  BYTES\n"
	       "  1    -     -  -                       1     2    100\n"
	       "  3  812  1001  nmap                    1  1200  72000\n"
	       "  3  500    33  nginx                   1    30   4000\n"
	       "  3  900  1001  evil\\x1b[2J\\x20x        1     0      0\n");
	xf_vec_free(&v);
}

static void test_conns_json(void **state)
{
	struct xf_vec v = { 0 };
	struct xf_out o = out(true, true);
	struct xf_conn *c;

	collect_conns(&v);
	c = v.v;
	/* Only the nginx pair: two sockets of one process. */
	c[1] = c[4];
	xf_print_conns(&o, v.v, 2);
	expect(&o,
	       "[{\"dom\":3,\"pid\":501,\"tgid\":500,\"uid\":33,\"gid\":33,\"comm\":\"nginx\","
	       "\"family\":\"ipv4\",\"proto\":\"tcp\",\"state\":\"ESTAB\","
	       "\"guest_addr\":\"10.0.0.5\",\"guest_port\":80,\"peer_addr\":\"198.51.100.7\","
	       "\"peer_port\":50000,\"packets\":30,\"bytes\":4000,\"shared\":false,"
	       "\"unattributed\":false,\"owner_sockets\":2,\"owner_packets\":40,"
	       "\"owner_bytes\":4600},"
	       "{\"dom\":3,\"pid\":500,\"tgid\":500,\"uid\":33,\"gid\":33,\"comm\":\"nginx\","
	       "\"family\":\"ipv4\",\"proto\":\"tcp\",\"state\":\"LISTEN\","
	       "\"guest_addr\":\"0.0.0.0\",\"guest_port\":80,\"peer_addr\":null,"
	       "\"peer_port\":0,\"packets\":10,\"bytes\":600,\"shared\":true,"
	       "\"unattributed\":false,\"owner_sockets\":2,\"owner_packets\":40,"
	       "\"owner_bytes\":4600}]\n");
	xf_vec_free(&v);
}

/* A reply that lies (v4 key with a 16-byte address) is refused, not shown. */
static void test_conns_malformed(void **state)
{
	struct xf_vec v = { .size = sizeof(struct xf_conn) };
	struct nlattr *tb[XFILTER_A_MAX + 1];
	struct nl_msg *m = kmsg(XFILTER_CMD_OWNER_GET);
	struct nlattr *n, *k;

	nla_put_u32(m, XFILTER_A_DOMID, 3);
	n = nla_nest_start(m, XFILTER_A_OWNER);
	k = nla_nest_start(m, XFILTER_OWNER_A_KEY);
	nla_put_u8(m, XFILTER_KEY_A_FAMILY, AF_INET);
	nla_put(m, XFILTER_KEY_A_GUEST_ADDR, 16, "0123456789abcdef");
	nla_nest_end(m, k);
	nla_nest_end(m, n);
	assert_int_equal(xf_nl_parse(nlmsg_hdr(m), tb), 0);
	assert_int_equal(xf_collect_conn(nlmsg_hdr(m), tb, &v), -EBADMSG);
	assert_int_equal(v.n, 0);
	nlmsg_free(m);
	/* No owner at all. */
	m = kmsg(XFILTER_CMD_OWNER_GET);
	nla_put_u32(m, XFILTER_A_DOMID, 3);
	assert_int_equal(xf_nl_parse(nlmsg_hdr(m), tb), 0);
	assert_int_equal(xf_collect_conn(nlmsg_hdr(m), tb, &v), -EBADMSG);
	nlmsg_free(m);
	xf_vec_free(&v);
}

/* ------------------------------------------------------------------ */
/* domains, stats, info */

static struct nl_msg *domain_msg(uint32_t dom, bool enabled, uint8_t fail,
				 uint32_t entries, uint32_t max, uint64_t gen,
				 const char *vif1, const char *vif2)
{
	struct nl_msg *m = kmsg(XFILTER_CMD_DOMAIN_GET);
	struct nlattr *n = nla_nest_start(m, XFILTER_A_DOMAIN), *v;

	nla_put_u32(m, XFILTER_DOMAIN_A_DOMID, dom);
	nla_put_u8(m, XFILTER_DOMAIN_A_FAIL_MODE, fail);
	nla_put_u8(m, XFILTER_DOMAIN_A_ENABLED, enabled);
	nla_put_u32(m, XFILTER_DOMAIN_A_MAX_ENTRIES, max);
	nla_put_u32(m, XFILTER_DOMAIN_A_ENTRIES, entries);
	put_u64(m, XFILTER_DOMAIN_A_GENERATION, gen, XFILTER_DOMAIN_A_PAD);
	nla_put_u32(m, XFILTER_DOMAIN_A_HELD, 0);
	v = nla_nest_start(m, XFILTER_DOMAIN_A_VIFS);
	if (vif1)
		nla_put_string(m, XFILTER_DOMAIN_A_IFNAME, vif1);
	if (vif2)
		nla_put_string(m, XFILTER_DOMAIN_A_IFNAME, vif2);
	nla_nest_end(m, v);
	nla_nest_end(m, n);
	return m;
}

static void collect_domains(struct xf_vec *v)
{
	v->size = sizeof(struct xf_domain);
	feed(domain_msg(3, true, XFILTER_FAIL_OPEN, 14, 65536, 42, "vif3.0", "vif3.1"),
	     xf_collect_domain, v);
	feed(domain_msg(5, false, XFILTER_FAIL_CLOSED, 0, 1024, 0, NULL, NULL),
	     xf_collect_domain, v);
}

static void test_domains(void **state)
{
	struct xf_vec v = { 0 };
	struct xf_out o = out(false, false);

	collect_domains(&v);
	xf_print_domains(&o, v.v, v.n);
	expect(&o,
	       "DOM  FILTER  FAIL    ENTRIES    MAX  HELD  GENERATION  VIFS\n"
	       "  3  on      open         14  65536     0          42  vif3.0,vif3.1\n"
	       "  5  off     closed        0   1024     0           0  -\n");
	o = out(true, false);
	xf_print_domains(&o, v.v, v.n);
	expect(&o,
	       "[{\"dom\":3,\"enabled\":true,\"fail_mode\":\"open\",\"entries\":14,"
	       "\"max_entries\":65536,\"held\":0,\"generation\":42,"
	       "\"vifs\":[\"vif3.0\",\"vif3.1\"]},"
	       "{\"dom\":5,\"enabled\":false,\"fail_mode\":\"closed\",\"entries\":0,"
	       "\"max_entries\":1024,\"held\":0,\"generation\":0,\"vifs\":[]}]\n");
	xf_vec_free(&v);
}

static struct nl_msg *stats_msg(int64_t dom, uint64_t packets, uint64_t dropped)
{
	struct nl_msg *m = kmsg(XFILTER_CMD_STATS_GET);
	struct nlattr *n;

	if (dom >= 0)
		nla_put_u32(m, XFILTER_A_DOMID, (uint32_t)dom);
	n = nla_nest_start(m, XFILTER_A_STATS);
	put_u64(m, XFILTER_STATS_A_PACKETS, packets, XFILTER_STATS_A_PAD);
	put_u64(m, XFILTER_STATS_A_DROPPED, dropped, XFILTER_STATS_A_PAD);
	put_u64(m, XFILTER_STATS_A_HOLD_TIMEOUTS, 1, XFILTER_STATS_A_PAD);
	nla_nest_end(m, n);
	return m;
}

static void test_stats(void **state)
{
	struct xf_vec g = { .size = sizeof(struct xf_stats) };
	struct xf_vec d = { .size = sizeof(struct xf_stats) };
	struct xf_out o = out(false, false);

	feed(stats_msg(-1, 100, 5), xf_collect_stats, &g);
	feed(stats_msg(3, 60, 5), xf_collect_stats, &d);
	feed(stats_msg(4, 40, 0), xf_collect_stats, &d);
	xf_print_stats(&o, g.v, d.v, d.n);
	expect(&o,
	       "global:\n"
	       "  packets        100\n"
	       "  dropped        5\n"
	       "  hold_timeouts  1\n"
	       "\n"
	       "dom 3:\n"
	       "  packets        60\n"
	       "  dropped        5\n"
	       "  hold_timeouts  1\n"
	       "\n"
	       "dom 4:\n"
	       "  packets        40\n"
	       "  dropped        0\n"
	       "  hold_timeouts  1\n");
	o = out(true, false);
	xf_print_stats(&o, g.v, d.v, 1);
	expect(&o,
	       "{\"global\":{\"packets\":100,\"dropped\":5,\"hold_timeouts\":1},"
	       "\"domains\":[{\"dom\":3,\"packets\":60,\"dropped\":5,\"hold_timeouts\":1}]}\n");
	/* One domain's counters alone. */
	o = out(false, false);
	xf_print_stats(&o, NULL, d.v, 1);
	expect(&o,
	       "dom 3:\n"
	       "  packets        60\n"
	       "  dropped        5\n"
	       "  hold_timeouts  1\n");
	xf_vec_free(&g);
	xf_vec_free(&d);
}

static void test_info(void **state)
{
	struct xf_nl_info info = {
		.proto_min = 1, .proto_max = 1, .rules_gen = 7,
		.features = XFILTER_FEAT_IPV6 | XFILTER_FEAT_HOLD | (1ULL << 40),
	};
	struct xf_out o = out(false, false);

	strcpy(info.version, "0.1.0");
	xf_print_info(&o, &info);
	expect(&o,
	       "module version    0.1.0\n"
	       "protocol          1 (module speaks 1-1)\n"
	       "features          ipv6 hold bit40\n"
	       "rules generation  7\n"
	       "xfilterctl        " XFILTER_VERSION "\n");
	o = out(true, false);
	xf_print_info(&o, &info);
	expect(&o,
	       "{\"module_version\":\"0.1.0\",\"proto_min\":1,\"proto_max\":1,"
	       "\"tool_proto\":1,\"tool_version\":\"" XFILTER_VERSION "\","
	       "\"features\":[\"ipv6\",\"hold\",\"bit40\"],\"rules_gen\":7}\n");
}

static void test_rule_id(void **state)
{
	struct xf_out o = out(false, false);

	xf_print_rule_id(&o, 42);
	expect(&o, "42\n");
	o = out(true, false);
	xf_print_rule_id(&o, 42);
	expect(&o, "{\"id\":42}\n");
}

/* ------------------------------------------------------------------ */
/* monitor events */

static int event(struct xf_out *o, struct nl_msg *m, const struct timespec *ts)
{
	struct nlattr *tb[XFILTER_A_MAX + 1];
	int err;

	assert_int_equal(xf_nl_parse(nlmsg_hdr(m), tb), 0);
	err = xf_print_event(o, nlmsg_hdr(m), tb, ts);
	nlmsg_free(m);
	return err;
}

static struct nl_msg *verdict_msg(uint8_t dir, bool owner, uint8_t reason)
{
	struct nl_msg *m = kmsg(XFILTER_CMD_VERDICT);
	struct nlattr *n = nla_nest_start(m, XFILTER_A_EVENT);

	nla_put_u32(m, XFILTER_EVENT_A_DOMID, 3);
	nla_put_string(m, XFILTER_EVENT_A_IFNAME, "vif3.0");
	nla_put_u8(m, XFILTER_EVENT_A_DIR, dir);
	nla_put_u8(m, XFILTER_EVENT_A_VERDICT, XFILTER_VERDICT_DROP);
	nla_put_u8(m, XFILTER_EVENT_A_REASON, reason);
	nla_put_u32(m, XFILTER_EVENT_A_RULE_ID, owner ? 4 : 0);
	put_key(m, XFILTER_EVENT_A_KEY, AF_INET, 6, V4(10, 0, 0, 5), 41234,
		V4(10, 0, 0, 9), 25);
	nla_put_u8(m, XFILTER_EVENT_A_PROTO, 6);
	nla_put_u32(m, XFILTER_EVENT_A_LEN, 60);
	if (owner) {
		nla_put_u32(m, XFILTER_EVENT_A_PID, 812);
		nla_put_u32(m, XFILTER_EVENT_A_TGID, 812);
		nla_put_u32(m, XFILTER_EVENT_A_UID, 1001);
		nla_put_u32(m, XFILTER_EVENT_A_GID, 1001);
		nla_put_string(m, XFILTER_EVENT_A_COMM, "nmap");
	}
	nla_nest_end(m, n);
	return m;
}

static void test_event_verdict(void **state)
{
	struct xf_out o = out(false, false);

	assert_int_equal(event(&o, verdict_msg(XFILTER_DIR_OUT, true, XFILTER_REASON_RULE),
			       NULL), 0);
	/* The audit line's fields, in its order. */
	expect(&o, "verdict=drop dom=3 vif=vif3.0 dir=out pid=812 uid=1001 comm=nmap "
		   "proto=tcp src=10.0.0.5:41234 dst=10.0.0.9:25 rule=4 reason=rule len=60\n");
	/* Toward the guest the peer is the source. */
	o = out(false, false);
	assert_int_equal(event(&o, verdict_msg(XFILTER_DIR_IN, false,
					       XFILTER_REASON_NO_DAEMON), NULL), 0);
	expect(&o, "verdict=drop dom=3 vif=vif3.0 dir=in proto=tcp src=10.0.0.9:25 "
		   "dst=10.0.0.5:41234 rule=0 reason=no-daemon len=60\n");
}

static void test_event_verdict_json_time(void **state)
{
	struct timespec ts = { .tv_sec = 1700000000, .tv_nsec = 123456789 };
	struct xf_out o = out(true, false);

	o.timestamps = true;
	assert_int_equal(event(&o, verdict_msg(XFILTER_DIR_OUT, true, XFILTER_REASON_RULE),
			       &ts), 0);
	expect(&o,
	       "{\"event\":\"verdict\",\"time\":\"2023-11-14T22:13:20.123456Z\","
	       "\"verdict\":\"drop\",\"dom\":3,\"vif\":\"vif3.0\",\"dir\":\"out\","
	       "\"reason\":\"rule\",\"rule\":4,\"family\":\"ipv4\",\"proto\":\"tcp\","
	       "\"guest_addr\":\"10.0.0.5\",\"guest_port\":41234,\"peer_addr\":\"10.0.0.9\","
	       "\"peer_port\":25,\"len\":60,\"pid\":812,\"tgid\":812,\"uid\":1001,"
	       "\"gid\":1001,\"comm\":\"nmap\"}\n");
	o = out(false, false);
	o.timestamps = true;
	assert_int_equal(event(&o, verdict_msg(XFILTER_DIR_OUT, false,
					       XFILTER_REASON_HOLD_TIMEOUT), &ts), 0);
	expect(&o, "2023-11-14T22:13:20.123456Z verdict=drop dom=3 vif=vif3.0 dir=out "
		   "proto=tcp src=10.0.0.5:41234 dst=10.0.0.9:25 rule=0 "
		   "reason=hold-timeout len=60\n");
}

static void test_event_miss(void **state)
{
	struct xf_out o = out(false, false);
	struct nl_msg *m = kmsg(XFILTER_CMD_MISS);

	nla_put_u32(m, XFILTER_A_DOMID, 3);
	put_key(m, XFILTER_A_KEY, AF_INET6, 17, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x05",
		5353, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x09", 53);
	nla_put_u8(m, XFILTER_A_DIR, XFILTER_DIR_OUT);
	nla_put_string(m, XFILTER_A_IFNAME, "vif3.0");
	assert_int_equal(event(&o, m, NULL), 0);
	expect(&o, "miss dom=3 vif=vif3.0 dir=out proto=udp src=[2001:db8::5]:5353 "
		   "dst=[2001:db8::9]:53\n");
}

static void test_event_config(void **state)
{
	struct xf_out o = out(false, false);
	struct nl_msg *m;
	struct nlattr *n;
	struct rspec s = { .id = 5, .prio = 1000, .verdict = XFILTER_VERDICT_DROP,
			   .dom = 3, .uid = 1001 };

	m = rule_msg(&s);
	genlmsg_hdr(nlmsg_hdr(m))->cmd = XFILTER_CMD_RULE_NEW;
	assert_int_equal(event(&o, m, NULL), 0);

	m = kmsg(XFILTER_CMD_RULE_DEL);
	n = nla_nest_start(m, XFILTER_A_RULE);
	nla_put_u32(m, XFILTER_RULE_A_ID, 5);
	nla_nest_end(m, n);
	assert_int_equal(event(&o, m, NULL), 0);

	m = kmsg(XFILTER_CMD_RULE_FLUSH);
	nla_put_u32(m, XFILTER_A_DOMID, 3);
	assert_int_equal(event(&o, m, NULL), 0);

	m = kmsg(XFILTER_CMD_RULE_REPLACE);
	put_u64(m, XFILTER_A_RULES_GEN, 12, XFILTER_A_PAD);
	assert_int_equal(event(&o, m, NULL), 0);

	m = kmsg(XFILTER_CMD_DOMAIN_SET);
	n = nla_nest_start(m, XFILTER_A_DOMAIN);
	nla_put_u32(m, XFILTER_DOMAIN_A_DOMID, 3);
	nla_put_u8(m, XFILTER_DOMAIN_A_FAIL_MODE, XFILTER_FAIL_CLOSED);
	nla_nest_end(m, n);
	assert_int_equal(event(&o, m, NULL), 0);
	expect(&o,
	       "config=rule-new id=5 rule=\"dom 3 uid 1001 drop\"\n"
	       "config=rule-del id=5\n"
	       "config=rule-flush dom=3\n"
	       "config=rule-replace rules_gen=12\n"
	       "config=domain-set dom=3 fail=closed\n");

	o = out(true, false);
	m = kmsg(XFILTER_CMD_RULE_FLUSH);
	assert_int_equal(event(&o, m, NULL), 0);
	expect(&o, "{\"event\":\"rule-flush\"}\n");
}

static void test_event_rejects(void **state)
{
	struct xf_out o = out(false, false);
	struct nl_msg *m;
	struct nlattr *n;

	/* A verdict event without its nest, a miss without key: malformed. */
	assert_int_equal(event(&o, kmsg(XFILTER_CMD_VERDICT), NULL), -EINVAL);
	m = kmsg(XFILTER_CMD_MISS);
	nla_put_u32(m, XFILTER_A_DOMID, 3);
	assert_int_equal(event(&o, m, NULL), -EINVAL);
	/* An overlong ifname inside the event. */
	m = kmsg(XFILTER_CMD_VERDICT);
	n = nla_nest_start(m, XFILTER_A_EVENT);
	nla_put(m, XFILTER_EVENT_A_IFNAME, 16, "0123456789abcdef");
	nla_nest_end(m, n);
	assert_int_equal(event(&o, m, NULL), -EINVAL);
	/* Not an event at all. */
	assert_int_equal(event(&o, kmsg(XFILTER_CMD_GET_INFO), NULL), -ENOENT);
	expect(&o, "");
}

/* Guest bytes in an event can neither add fields nor reach the terminal. */
static void test_event_hostile_comm(void **state)
{
	struct xf_out o = out(false, false);
	struct nl_msg *m = kmsg(XFILTER_CMD_VERDICT);
	struct nlattr *n = nla_nest_start(m, XFILTER_A_EVENT);

	nla_put_u32(m, XFILTER_EVENT_A_DOMID, 3);
	nla_put_u8(m, XFILTER_EVENT_A_VERDICT, 250);	/* from a newer module */
	nla_put_string(m, XFILTER_EVENT_A_COMM, "x uid=0\n\x1b]0;");
	nla_nest_end(m, n);
	assert_int_equal(event(&o, m, NULL), 0);
	expect(&o, "verdict=250 dom=3 vif=- dir=any comm=x\\x20uid=0\\x0a\\x1b]0; "
		   "rule=0 reason=rule\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules_human),
		cmocka_unit_test(test_rules_json),
		cmocka_unit_test(test_rules_empty),
		cmocka_unit_test(test_rules_color),
		cmocka_unit_test(test_save_and_restore_roundtrip),
		cmocka_unit_test(test_save_hostile_comm),
		cmocka_unit_test(test_conns_human),
		cmocka_unit_test(test_conns_stats),
		cmocka_unit_test(test_conns_json),
		cmocka_unit_test(test_conns_malformed),
		cmocka_unit_test(test_domains),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_info),
		cmocka_unit_test(test_rule_id),
		cmocka_unit_test(test_event_verdict),
		cmocka_unit_test(test_event_verdict_json_time),
		cmocka_unit_test(test_event_miss),
		cmocka_unit_test(test_event_config),
		cmocka_unit_test(test_event_rejects),
		cmocka_unit_test(test_event_hostile_comm),
	};

	return cmocka_run_group_tests_name("print", tests, NULL, NULL);
}
