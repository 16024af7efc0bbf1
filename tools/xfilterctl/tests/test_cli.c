// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the command line: valid commands become the right request,
 * hostile ones are refused with a clear message and exit 2, and every
 * subcommand answers --help. No kernel is involved: only the parse runs.
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

struct run {
	struct xf_ctl c;
	char *out, *err;
	size_t outlen, errlen;
	FILE *fout, *ferr;
	char *argv[64];
	char buf[1024];
	int ret;
};

/* Stands in for xenstore. */
static int fake_resolve(const char *name, uint32_t *domid, char *why, size_t len)
{
	if (!strcmp(name, "web1")) {
		*domid = 5;
		return 0;
	}
	if (!strcmp(name, "twin")) {
		snprintf(why, len, "several domains are named 'twin' (3, 4): give the id");
		return -EEXIST;
	}
	if (!strcmp(name, "noxs")) {
		snprintf(why, len, "xenstore is not available here");
		return -ENODEV;
	}
	snprintf(why, len, "no domain is named '%s' (xenstore)", name);
	return -ENOENT;
}

/* Parses "xfilterctl " + line split at blanks; output kept for checks. */
static struct run *parse(const char *line)
{
	struct run *r = calloc(1, sizeof(*r));
	int argc = 0;
	char *p;

	assert_non_null(r);
	snprintf(r->buf, sizeof(r->buf), "xfilterctl %s", line);
	for (p = strtok(r->buf, " "); p && argc < 63; p = strtok(NULL, " "))
		r->argv[argc++] = p;
	r->fout = open_memstream(&r->out, &r->outlen);
	r->ferr = open_memstream(&r->err, &r->errlen);
	xf_ctl_init(&r->c, r->fout, r->ferr);
	r->c.resolve = fake_resolve;
	r->c.no_io = true;
	r->ret = xf_ctl_parse(&r->c, argc, r->argv);
	fflush(r->fout);
	fflush(r->ferr);
	return r;
}

static void done(struct run *r)
{
	xf_ctl_free(&r->c);
	fclose(r->fout);
	fclose(r->ferr);
	free(r->out);
	free(r->err);
	free(r);
}

static void expect_ok(const char *line)
{
	struct run *r = parse(line);

	if (r->ret)
		fail_msg("'%s' refused: %s", line, r->err);
	assert_string_equal(r->err, "");
	done(r);
}

/* Refused with exit 2, the message naming the problem. */
static void expect_usage(const char *line, const char *msg)
{
	struct run *r = parse(line);

	if (r->ret != XF_EXIT_USAGE)
		fail_msg("'%s' gave %d, not 2 (stderr: %s)", line, r->ret, r->err);
	if (!strstr(r->err, msg))
		fail_msg("'%s': stderr '%s' lacks '%s'", line, r->err, msg);
	assert_string_equal(r->out, "");
	done(r);
}

static void test_rule_add_full(void **state)
{
	struct run *r = parse("rule add dom web1 tgid 812 uid 1001 gid 100 "
			      "comm Web\\x20Content dir out proto tcp peer 10.0.0.0/8 "
			      "guest-port 1024-2048 pport 25 reject prio 10 timeout 5m");
	const struct xf_rule *x = &r->c.ra.rule;

	assert_int_equal(r->ret, 0);
	assert_int_equal(x->domid, 5);
	assert_int_equal(x->tgid, 812);
	assert_false(XF_HAS(x, XFILTER_RULE_A_PID));
	assert_int_equal(x->uid, 1001);
	assert_int_equal(x->gid, 100);
	assert_string_equal(x->comm, "Web Content");
	assert_int_equal(x->dir, XFILTER_DIR_OUT);
	assert_int_equal(x->proto, 6);
	assert_int_equal(x->family, AF_INET);
	assert_true(XF_HAS(x, XFILTER_RULE_A_FAMILY));
	assert_int_equal(x->peer_plen, 8);
	assert_int_equal(x->guest_port_min, 1024);
	assert_int_equal(x->guest_port_max, 2048);
	assert_int_equal(x->peer_port_min, 25);
	assert_int_equal(x->peer_port_max, 25);
	assert_int_equal(x->verdict, XFILTER_VERDICT_REJECT);
	assert_int_equal(x->prio, 10);
	assert_int_equal(x->timeout_ms, 300000);
	/* What was typed, kept for the kernel's error messages. */
	assert_string_equal(r->c.ra.kw[XFILTER_RULE_A_COMM], "comm");
	assert_string_equal(r->c.ra.val[XFILTER_RULE_A_COMM], "Web\\x20Content");
	assert_string_equal(r->c.ra.kw[XFILTER_RULE_A_PEER_PORT_MAX], "pport");
	assert_string_equal(r->c.ra.kw[XFILTER_RULE_A_VERDICT], "reject");
	done(r);
}

static void test_rule_add_minimal(void **state)
{
	struct run *r = parse("rule add drop");

	assert_int_equal(r->ret, 0);
	assert_int_equal(r->c.ra.rule.present, XF_BIT(XFILTER_RULE_A_VERDICT));
	done(r);
	r = parse("rule add owner unknown dom 3 log");
	assert_int_equal(r->ret, 0);
	assert_int_equal(r->c.ra.rule.flags, XFILTER_RULE_F_OWNER_UNKNOWN);
	done(r);
	expect_ok("rule add comm -bash drop");		/* login shells */
	expect_ok("rule add user 0 accept");
	expect_ok("rule add group 4294967294 accept");
	expect_ok("rule add proto 47 drop");
	expect_ok("rule add proto icmpv6 family ipv6 drop");
	expect_ok("rule add family ipv6 peer 2001:db8::/32 drop");
	expect_ok("rule add peer ::1 drop");
	expect_ok("rule add dom 32751 drop");
	expect_ok("rule add dom 0 drop");
	expect_ok("rule add prio 0 accept");
}

static void test_rule_add_hostile(void **state)
{
	static const struct {
		const char *line, *msg;
	} cases[] = {
		{ "rule add uid 1001", "a rule needs a verdict" },
		{ "rule add drop accept", "two verdicts" },
		{ "rule add uid 1 uid 2 drop", "uid given twice" },
		{ "rule add uid root drop", "user and group names exist only inside the guest" },
		{ "rule add user nobody drop", "cannot be looked up from dom0" },
		{ "rule add uid -1 drop", "give the number" },
		{ "rule add uid 4294967295 drop", "out of range" },
		{ "rule add uid 12x drop", "'12x' is not a number" },
		{ "rule add pid 0 drop", "out of range" },
		{ "rule add pid 4194305 drop", "out of range" },
		{ "rule add pid 1e3 drop", "not a number" },
		{ "rule add pid drop", "not a number" },
		{ "rule add uid", "'uid' needs a value" },
		{ "rule add comm 0123456789abcdef drop", "longer than 15 bytes" },
		{ "rule add comm aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa drop",
		  "longer than 15 bytes" },
		{ "rule add comm a\\x00 drop", "NUL" },
		{ "rule add comm a\\q drop", "bad escape" },
		{ "rule add peer 10.0.0.1/8 drop", "host bits" },
		{ "rule add peer 10.0.0.0/33 drop", "bad prefix length" },
		{ "rule add peer 10.0.0.0/8/8 drop", "bad prefix length" },
		{ "rule add peer 300.1.1.1 drop", "not an IPv4 or IPv6 address" },
		{ "rule add peer fe80::1%eth0 drop", "not an IPv4 or IPv6 address" },
		{ "rule add peer 10.0.0.0/8 family ipv6 drop", "contradicts" },
		{ "rule add family ipv6 peer 10.0.0.0/8 drop", "contradicts" },
		{ "rule add family ipv4 family ipv4 drop", "family given twice" },
		{ "rule add family ipx drop", "family takes ipv4 or ipv6" },
		{ "rule add guest-port 0 drop", "out of range" },
		{ "rule add guest-port 65536 drop", "out of range" },
		{ "rule add guest-port 99999999999 drop", "out of range" },
		{ "rule add peer-port 80x drop", "not a port number" },
		{ "rule add gport 100-10 drop", "backwards" },
		{ "rule add gport 1-2-3 drop", "not a port number" },
		{ "rule add proto icmp guest-port 80 drop", "ports exist only for tcp and udp" },
		{ "rule add proto tcpp drop", "neither a protocol name" },
		{ "rule add proto 0 drop", "neither a protocol name" },
		{ "rule add proto 256 drop", "neither a protocol name" },
		{ "rule add proto icmpv6 family ipv4 drop", "icmpv6 does not exist in ipv4" },
		{ "rule add owner known drop", "owner takes 'unknown'" },
		{ "rule add owner unknown uid 5 drop", "cannot be combined" },
		{ "rule add dir up drop", "dir takes 'in'" },
		{ "rule add dom 32752 drop", "out of range" },
		{ "rule add dom ghost drop", "no domain is named 'ghost'" },
		{ "rule add dom twin drop", "several domains are named 'twin'" },
		{ "rule add prio 4294967296 drop", "out of range" },
		{ "rule add prio -5 drop", "not a number" },
		{ "rule add timeout 0 drop", "a duration of 0" },
		{ "rule add timeout 50d drop", "too long" },
		{ "rule add timeout 1.5s drop", "not a duration" },
		{ "rule add id 5 drop", "gets its id from the kernel" },
		{ "rule add bogus 5 drop", "unknown selector 'bogus'" },
		{ "rule add uid 5 drop -j", "options go before the OBJECT" },
		{ "rule add drop;reboot", "unknown selector" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_usage(cases[i].line, cases[i].msg);
}

/* xenstore missing is an error of the host (1), not of the command line. */
static void test_dom_name_without_xenstore(void **state)
{
	struct run *r = parse("rule add dom noxs drop");

	assert_int_equal(r->ret, XF_EXIT_ERR);
	assert_non_null(strstr(r->err, "xenstore is not available"));
	done(r);
	r = parse("conns dom web1");
	assert_int_equal(r->ret, 0);
	r->c.resolve = NULL;
	done(r);
}

static void test_objects_and_verbs(void **state)
{
	struct run *r;

	expect_usage("", "give an OBJECT");
	expect_usage("frob", "unknown object 'frob'");
	expect_usage("rule frob", "unknown rule verb 'frob'");
	expect_usage("domain frob", "unknown domain verb 'frob'");
	expect_usage("rule uid 5", "unknown rule verb 'uid'");
	expect_usage("-x info", "unknown option '-x'");
	expect_usage("--frob info", "unknown option '--frob'");
	expect_usage("info -j", "options go before the OBJECT");
	expect_usage("info extra", "unexpected 'extra'");
	expect_usage("save now", "unexpected 'now'");
	expect_usage("stats dom", "'dom' needs a value");
	expect_usage("stats dom 1 dom 2", "dom given twice");
	expect_usage("rule list uid 5", "unexpected 'uid'");
	expect_usage("rule del", "which rule?");
	expect_usage("rule del 0", "out of range");
	expect_usage("rule del 5x", "not a number");
	expect_usage("rule del id", "'id' needs a value");
	expect_usage("rule replace", "which rule?");
	expect_usage("rule replace 3 uid 5", "needs a verdict");
	expect_usage("rule replace abc drop", "not a number");
	expect_usage("monitor verdicts", "unknown event kind");
	expect_usage("restore", "restore what?");
	expect_usage("restore a b", "restore reads one file");

	/* Defaults and aliases. */
	r = parse("rule");
	assert_int_equal(r->ret, 0);
	done(r);
	r = parse("-js rule ls dom 7");
	assert_int_equal(r->ret, 0);
	assert_true(r->c.o.json);
	assert_true(r->c.o.stats);
	assert_false(r->c.o.color);
	assert_true(r->c.has_domid);
	assert_int_equal(r->c.domid, 7);
	done(r);
	r = parse("rule delete 4 id 9 12");
	assert_int_equal(r->ret, 0);
	assert_int_equal(r->c.nids, 3);
	assert_int_equal(r->c.ids[1], 9);
	done(r);
	r = parse("rule replace id 4 uid 5 drop");
	assert_int_equal(r->ret, 0);
	assert_int_equal(r->c.rule_id, 4);
	assert_int_equal(r->c.ra.rule.uid, 5);
	done(r);
	r = parse("--color=always -p -t domain");
	assert_int_equal(r->ret, 0);
	assert_true(r->c.o.pretty);
	assert_true(r->c.o.timestamps);
	assert_false(r->c.o.color);	/* never inside JSON */
	done(r);
	r = parse("--color=always domain list");
	assert_int_equal(r->ret, 0);
	assert_true(r->c.o.color);
	done(r);
}

static void test_conns_filters(void **state)
{
	struct run *r = parse("conns dom web1 user 1001 pid 812 comm nginx");

	assert_int_equal(r->ret, 0);
	assert_int_equal(r->c.domid, 5);
	assert_int_equal(r->c.uid, 1001);
	assert_int_equal(r->c.pid, 812);
	assert_string_equal(r->c.comm, "nginx");
	done(r);
	expect_ok("conns list");
	expect_usage("conns gid 5", "unknown filter 'gid'");
	expect_usage("conns uid alice", "cannot be looked up from dom0");
	expect_usage("conns comm 0123456789abcdefg", "longer than 15 bytes");
	expect_usage("conns pid 1 pid 2", "pid given twice");
	expect_usage("conns dom 1 show", "unexpected 'show'");
}

static void test_domain_set(void **state)
{
	struct run *r = parse("domain set dom 3 fail closed disable max-entries 4096");

	assert_int_equal(r->ret, 0);
	assert_int_equal(r->c.dset.domid, 3);
	assert_int_equal(r->c.dset.fail_mode, XFILTER_FAIL_CLOSED);
	assert_false(r->c.dset.enabled);
	assert_true(XF_HAS(&r->c.dset, XFILTER_DOMAIN_A_ENABLED));
	assert_int_equal(r->c.dset.max_entries, 4096);
	done(r);
	r = parse("domain set filter on dom web1");
	assert_int_equal(r->ret, 0);
	assert_true(r->c.dset.enabled);
	assert_int_equal(r->c.dset.domid, 5);
	done(r);
	expect_usage("domain set fail open", "which domain?");
	expect_usage("domain set dom 3", "nothing to set");
	expect_usage("domain set dom 3 fail shut", "fail takes open or closed");
	expect_usage("domain set dom 3 filter yes", "filter takes on or off");
	expect_usage("domain set dom 3 enable disable", "switched twice");
	expect_usage("domain set dom 3 max-entries 0", "out of range");
	expect_usage("domain set dom 3 max-entries", "needs a value");
	expect_usage("domain set dom 3 colour red", "unknown setting 'colour'");
}

static void test_monitor_groups(void **state)
{
	struct run *r = parse("monitor");

	assert_int_equal(r->ret, 0);
	/* Misses only on request: a miss listener counts as the daemon. */
	assert_int_equal(r->c.groups, XF_GROUP_VERDICT | XF_GROUP_CONFIG);
	done(r);
	r = parse("monitor miss");
	assert_int_equal(r->c.groups, XF_GROUP_MISS);
	done(r);
	r = parse("monitor verdict dom web1");
	assert_int_equal(r->ret, 0);
	assert_int_equal(r->c.groups, XF_GROUP_VERDICT);
	assert_true(r->c.has_domid);
	assert_int_equal(r->c.domid, 5);
	done(r);
	expect_usage("monitor dom", "'dom' needs a value");
	expect_usage("monitor dom 1 dom 2", "dom given twice");
	r = parse("monitor all");
	assert_int_equal(r->c.groups, XF_GROUP_VERDICT | XF_GROUP_MISS | XF_GROUP_CONFIG);
	done(r);
}

static void test_help_everywhere(void **state)
{
	static const char *const lines[] = {
		"--help", "-h", "help", "conns --help", "rule --help", "rule add --help",
		"rule add uid 5 --help", "rule del -h", "rule list help", "rule flush --help",
		"rule replace --help", "domain --help", "domain show --help",
		"domain set --help", "stats --help", "monitor --help", "save --help",
		"restore --help", "info --help", "help rule", "help rule add",
		"help conns",
	};

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct run *r = parse(lines[i]);

		if (r->ret != XF_DONE)
			fail_msg("'%s' gave %d (stderr: %s)", lines[i], r->ret, r->err);
		assert_non_null(strstr(r->out, "Usage"));
		assert_string_equal(r->err, "");
		done(r);
	}
	{
		struct run *r = parse("rule add --help");

		assert_non_null(strstr(r->out, "uid U, user U"));
		assert_non_null(strstr(r->out, "cannot look them up"));
		done(r);
	}
	{
		struct run *r = parse("rule --help");

		assert_non_null(strstr(r->out, "rule replace ID"));
		done(r);
	}
}

static void test_version(void **state)
{
	struct run *r = parse("--version");

	assert_int_equal(r->ret, XF_DONE);
	assert_string_equal(r->out, "xfilterctl " XFILTER_VERSION " (xfilter protocol 1)\n");
	done(r);
}

static void test_restore_text(void **state)
{
	struct run *r = parse("restore --check rules.txt");
	char *text = strdup("# xfilterctl save: 2 rules\n"
			    "\n"
			    "rule add dom 3 uid 1001 drop\n"
			    "   rule add comm Web\\x20Content proto tcp reject prio 5 # why\n"
			    "rule add accept");

	assert_int_equal(r->ret, 0);
	assert_true(r->c.check_only);
	assert_int_equal(xf_ctl_parse_restore(&r->c, text, "rules.txt"), 0);
	assert_int_equal(r->c.nrules, 3);
	assert_int_equal(r->c.rules[0].line, 3);
	assert_int_equal(r->c.rules[0].rule.uid, 1001);
	assert_string_equal(r->c.rules[1].rule.comm, "Web Content");
	assert_int_equal(r->c.rules[1].rule.prio, 5);
	assert_int_equal(r->c.rules[2].line, 5);
	done(r);
}

static void expect_restore_error(const char *content, const char *msg)
{
	struct run *r = parse("restore f");
	char *text = strdup(content);

	assert_int_equal(xf_ctl_parse_restore(&r->c, text, "f"), XF_EXIT_USAGE);
	fflush(r->ferr);
	if (!strstr(r->err, msg))
		fail_msg("restore of '%s': stderr '%s' lacks '%s'", content, r->err, msg);
	done(r);
}

static void test_restore_hostile(void **state)
{
	char big[64 * 6 + 32];

	expect_restore_error("rule add drop\nrule del 4\n", "f:2: expected 'rule add");
	expect_restore_error("flush\n", "f:1: expected 'rule add");
	expect_restore_error("rule\n", "f:1: expected 'rule add");
	expect_restore_error("rule add uid 5\n", "f:1: a rule needs a verdict");
	expect_restore_error("\n\nrule add comm 0123456789abcdefX drop\n",
			     "f:3: comm '0123456789abcdefX' is longer");
	expect_restore_error("rule add guest-port 70000 drop", "f:1: guest-port: port 70000");
	/* --help in a file is a word like any other, not a request for help. */
	expect_restore_error("rule add --help drop", "f:1: unknown selector '--help'");
	strcpy(big, "rule add");
	for (int i = 0; i < 64; i++)
		strcat(big, " uid 1");
	expect_restore_error(big, "too many words");
}

/* ------------------------------------------------------------------ */
/* kernel errors: the extack as the kernel sends it, down to the message */

/* Offset of attribute type `inner` inside the nest `outer` (nth one). */
static uint32_t attr_off(struct nl_msg *req, int outer, int nth, int inner)
{
	struct nlmsghdr *h = nlmsg_hdr(req);
	struct nlattr *a = nlmsg_find_attr(h, GENL_HDRLEN, outer), *n;
	int rem;

	assert_non_null(a);
	if (nth >= 0) {
		nla_for_each_nested(n, a, rem)
			if (!nth--)
				break;
		a = n;
	}
	if (inner)
		a = nla_find(nla_data(a), nla_len(a), inner);
	assert_non_null(a);
	return (uint32_t)((char *)a - (char *)h);
}

/* The NLMSG_ERROR the kernel would send for req, parsed into c->nl.err. */
static void kernel_says(struct xf_ctl *c, struct nl_msg *req, int error,
			const char *text, int64_t off, int miss)
{
	struct nlmsghdr *rh = nlmsg_hdr(req);
	struct nl_msg *ack = nlmsg_alloc_simple(NLMSG_ERROR, NLM_F_ACK_TLVS);

	nlmsg_append(ack, &error, sizeof(error), 0);
	nlmsg_append(ack, rh, rh->nlmsg_len, NLMSG_ALIGNTO);
	if (text)
		nla_put_string(ack, NLMSGERR_ATTR_MSG, text);
	if (off >= 0)
		nla_put_u32(ack, NLMSGERR_ATTR_OFFS, (uint32_t)off);
	if (miss) {
		nla_put_u32(ack, NLMSGERR_ATTR_MISS_TYPE, (uint32_t)miss);
		nla_put_u32(ack, NLMSGERR_ATTR_MISS_NEST,
			    attr_off(req, XFILTER_A_RULE, -1, 0));
	}
	xf_nl_parse_ack(nlmsg_hdr(ack), nlmsg_hdr(ack)->nlmsg_len, rh,
			rh->nlmsg_len, &c->nl.err);
	nlmsg_free(ack);
}

static struct nl_msg *request(uint8_t cmd)
{
	struct nl_msg *m = nlmsg_alloc();

	genlmsg_put(m, 1, 2, 0x20, 0, 0, cmd, 1);
	return m;
}

static void expect_report(struct run *r, const char *what, const char *want)
{
	assert_int_equal(xf_ctl_nl_fail(&r->c, what), XF_EXIT_ERR);
	fflush(r->ferr);
	assert_string_equal(r->err, want);
}

static void test_kernel_error_rule(void **state)
{
	struct run *r = parse("rule add dom 3 comm nmap proto tcp gport 80-90 drop");
	struct nl_msg *req = request(XFILTER_CMD_RULE_NEW);

	assert_int_equal(xf_rule_put(req, XFILTER_A_RULE, &r->c.ra.rule), 0);
	kernel_says(&r->c, req, -EINVAL, "port range maximum below its minimum",
		    attr_off(req, XFILTER_A_RULE, -1, XFILTER_RULE_A_GUEST_PORT_MAX), 0);
	expect_report(r, "rule add",
		      "xfilterctl: rule add: kernel reports: port range maximum below "
		      "its minimum (argument 'gport 80-90')\n");
	nlmsg_free(req);
	done(r);

	r = parse("rule add comm nmap drop");
	req = request(XFILTER_CMD_RULE_NEW);
	assert_int_equal(xf_rule_put(req, XFILTER_A_RULE, &r->c.ra.rule), 0);
	kernel_says(&r->c, req, -EINVAL, NULL, -1, XFILTER_RULE_A_VERDICT);
	expect_report(r, "rule add", "xfilterctl: rule add: Invalid argument (missing: verdict)\n");
	nlmsg_free(req);
	done(r);
}

static void test_kernel_error_restore_line(void **state)
{
	struct run *r = parse("restore rules.txt");
	struct nl_msg *req = request(XFILTER_CMD_RULE_REPLACE);
	struct nlattr *nest;

	assert_int_equal(xf_ctl_parse_restore(&r->c, strdup("rule add uid 1 drop\n"
							       "# second\n"
							       "rule add uid 2 peer 10.0.0.0/8 drop\n"),
					      "rules.txt"), 0);
	nest = nla_nest_start(req, XFILTER_A_RULES);
	for (size_t i = 0; i < r->c.nrules; i++)
		assert_int_equal(xf_rule_put(req, XFILTER_A_RULE, &r->c.rules[i].rule), 0);
	nla_nest_end(req, nest);
	kernel_says(&r->c, req, -EINVAL, "peer address does not match the family",
		    attr_off(req, XFILTER_A_RULES, 1, XFILTER_RULE_A_PEER_ADDR), 0);
	expect_report(r, "restore",
		      "xfilterctl: restore: kernel reports: peer address does not match "
		      "the family (rules.txt line 3: 'peer 10.0.0.0/8')\n");
	nlmsg_free(req);
	done(r);
}

static void test_kernel_error_domain(void **state)
{
	struct run *r = parse("domain set dom 3 max-entries 99999999");
	struct nl_msg *req = request(XFILTER_CMD_DOMAIN_SET);

	assert_int_equal(xf_domain_put(req, XFILTER_A_DOMAIN, &r->c.dset), 0);
	kernel_says(&r->c, req, -ERANGE, "table limit too large",
		    attr_off(req, XFILTER_A_DOMAIN, -1, XFILTER_DOMAIN_A_MAX_ENTRIES), 0);
	expect_report(r, "domain set",
		      "xfilterctl: domain set: kernel reports: table limit too large "
		      "(argument 'max-entries 99999999')\n");
	nlmsg_free(req);
	done(r);

	/* No extack at all: errno text and what to do about it, one line. */
	r = parse("rule list");
	memset(&r->c.nl.err, 0, sizeof(r->c.nl.err));
	r->c.nl.err.error = -EPERM;
	expect_report(r, "rule list", "xfilterctl: rule list: Operation not permitted: "
				      "this needs CAP_NET_ADMIN (run as root)\n");
	done(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule_add_full),
		cmocka_unit_test(test_rule_add_minimal),
		cmocka_unit_test(test_rule_add_hostile),
		cmocka_unit_test(test_dom_name_without_xenstore),
		cmocka_unit_test(test_objects_and_verbs),
		cmocka_unit_test(test_conns_filters),
		cmocka_unit_test(test_domain_set),
		cmocka_unit_test(test_monitor_groups),
		cmocka_unit_test(test_help_everywhere),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_restore_text),
		cmocka_unit_test(test_restore_hostile),
		cmocka_unit_test(test_kernel_error_rule),
		cmocka_unit_test(test_kernel_error_restore_line),
		cmocka_unit_test(test_kernel_error_domain),
	};

	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
