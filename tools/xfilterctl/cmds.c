// SPDX-License-Identifier: GPL-2.0
/*
 * xfilterctl's subcommands: the table, each one's grammar and help, the parse
 * into a request, and the netlink run of it.
 */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "args.h"
#include "names.h"
#include "xfilterctl.h"

#define PROG		"xfilterctl"
#define DUMP_TRIES	5		/* restarts of a dump that raced a change */
#define RESTORE_MAX	4096		/* rules in one restore */
#define LINE_TOKENS	64
#define PID_MAX		4194304U	/* PID_MAX_LIMIT of a 64-bit guest */
#define ID_MAX		4294967294U	/* (uid_t)-1 is "no id" */

struct xf_subcmd {
	const char *object;
	const char *verb;		/* NULL: the object takes no verb */
	const char *alias;		/* another name of the verb */
	bool is_default;		/* what the object alone means */
	int (*parse)(struct xf_ctl *c, int argc, char **argv);
	int (*run)(struct xf_ctl *c);
	const char *synopsis;
	const char *help;
	bool rule_help;			/* append the selector reference */
};

static const struct xf_subcmd subcmds[];

/* ------------------------------------------------------------------ */
/* messages */

static void __attribute__((format(printf, 2, 3)))
errmsg(struct xf_ctl *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(c->err, PROG ": %s", c->where ? c->where : "");
	va_start(ap, fmt);
	vfprintf(c->err, fmt, ap);
	va_end(ap);
	fputc('\n', c->err);
}

/* A refused command line: the reason, then where to read more. */
static int __attribute__((format(printf, 2, 3)))
usage(struct xf_ctl *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(c->err, PROG ": %s", c->where ? c->where : "");
	va_start(ap, fmt);
	vfprintf(c->err, fmt, ap);
	va_end(ap);
	fputc('\n', c->err);
	if (c->where)
		return XF_EXIT_USAGE;
	if (c->sub && c->sub->verb)
		fprintf(c->err, "Try '" PROG " %s %s --help'.\n", c->sub->object,
			c->sub->verb);
	else if (c->sub)
		fprintf(c->err, "Try '" PROG " %s --help'.\n", c->sub->object);
	else
		fprintf(c->err, "Try '" PROG " --help'.\n");
	return XF_EXIT_USAGE;
}

/* A word the grammar has no place for; options after OBJECT get a hint. */
static int unexpected(struct xf_ctl *c, const char *what, const char *tok)
{
	if (tok[0] == '-' && tok[1] && !c->where)
		return usage(c, "%s '%s' (options go before the OBJECT)", what, tok);
	return usage(c, "%s '%s'", what, tok);
}

static bool is_help(const char *s)
{
	return !strcmp(s, "-h") || !strcmp(s, "--help") || !strcmp(s, "help");
}

static const char rule_selectors_help[];

static void print_sub_help(struct xf_ctl *c, const struct xf_subcmd *s)
{
	fprintf(c->out, "Usage: " PROG " %s\n\n%s", s->synopsis, s->help);
	if (s->rule_help)
		fputs(rule_selectors_help, c->out);
}

static int help_for(struct xf_ctl *c)
{
	print_sub_help(c, c->sub);
	return XF_DONE;
}

static void print_main_help(FILE *f)
{
	fputs("Usage: " PROG " [OPTIONS] OBJECT [VERB] [SELECTOR...] [ACTION]\n"
	      "\n"
	      "Shows and cuts the network traffic of single processes and users inside\n"
	      "Xen guests, from dom0, through the xfilter kernel module.\n"
	      "\n"
	      "Commands:\n", f);
	for (const struct xf_subcmd *s = subcmds; s->object; s++)
		fprintf(f, "  %s\n", s->synopsis);
	fputs("\n"
	      "Options (before OBJECT):\n"
	      "  -j, --json          JSON output, stable field names (see xfilterctl(8))\n"
	      "  -p, --pretty        indented JSON\n"
	      "  -s, --stats         more detail: per-owner totals in conns, flags\n"
	      "  -t, --timestamp     monitor: start each event with the time (UTC)\n"
	      "      --color[=WHEN]  never, always or auto (default: colour on a tty)\n"
	      "  -V, --version       print the version\n"
	      "  -h, --help          this text; '" PROG " OBJECT [VERB] --help' for more\n"
	      "\n"
	      "Exit status: 0 success, 1 error, 2 command line refused.\n", f);
}

/* ------------------------------------------------------------------ */
/* values shared by several commands */

static int parse_dom(struct xf_ctl *c, const char *s, uint32_t *domid)
{
	char why[256];
	int err;
	bool digits = s[0] != '\0';

	for (const char *p = s; *p; p++)
		if (*p < '0' || *p > '9')
			digits = false;
	if (digits) {
		if (xf_parse_u32(s, 0, XFILTER_DOMID_MAX, domid))
			return usage(c, "domain id %s is out of range (0-%u)", s,
				     XFILTER_DOMID_MAX);
		return 0;
	}
	if (!s[0])
		return usage(c, "an empty domain name");
	if (!c->resolve)
		return usage(c, "domain '%s': names need xenstore, which is not available here; give the domain id",
			     s);
	err = c->resolve(s, domid, why, sizeof(why));
	if (err == -ENODEV) {
		errmsg(c, "%s", why);
		return XF_EXIT_ERR;
	}
	if (err)
		return usage(c, "%s", why);
	return 0;
}

static int need_value(struct xf_ctl *c, int argc, char **argv, int i)
{
	if (i + 1 >= argc)
		return usage(c, "'%s' needs a value", argv[i]);
	return 0;
}

static int parse_id_value(struct xf_ctl *c, const char *kw, const char *s,
			  uint32_t min, uint32_t max, uint32_t *out)
{
	int err = xf_parse_u32(s, min, max, out);

	if (err == -EINVAL)
		return usage(c, "%s '%s' is not a number", kw, s);
	if (err)
		return usage(c, "%s %s is out of range (%" PRIu32 "-%" PRIu32 ")",
			     kw, s, min, max);
	return 0;
}

/* uid/gid: numbers only, and say why when a name was typed. */
static int parse_guest_id(struct xf_ctl *c, const char *kw, const char *s,
			  uint32_t *out)
{
	if (s[0] && (s[0] < '0' || s[0] > '9'))
		return usage(c, "%s '%s': give the number; user and group names exist only inside the guest and cannot be looked up from dom0",
			     kw, s);
	return parse_id_value(c, kw, s, 0, ID_MAX, out);
}

static int parse_comm(struct xf_ctl *c, const char *s, char *dst)
{
	char why[256];

	if (xf_parse_guest_str(s, dst, XFILTER_COMM_LEN, why, sizeof(why)))
		return usage(c, "comm %s", why);
	return 0;
}

/* "dom D" alone, for list/flush/show/stats. */
static int parse_dom_only(struct xf_ctl *c, int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		int err;

		if (is_help(argv[i]))
			return help_for(c);
		if (strcmp(argv[i], "dom"))
			return unexpected(c, "unexpected", argv[i]);
		if (c->has_domid)
			return usage(c, "dom given twice");
		if ((err = need_value(c, argc, argv, i)) ||
		    (err = parse_dom(c, argv[i + 1], &c->domid)))
			return err;
		c->has_domid = true;
		c->dom_arg = argv[++i];
	}
	return 0;
}

static int parse_nothing(struct xf_ctl *c, int argc, char **argv)
{
	if (argc && is_help(argv[0]))
		return help_for(c);
	if (argc)
		return unexpected(c, "unexpected", argv[0]);
	return 0;
}

/* ------------------------------------------------------------------ */
/* rule selectors */

enum sel_kind {
	S_DOM, S_ID, S_GUEST_ID, S_COMM, S_OWNER, S_DIR, S_FAMILY, S_PROTO,
	S_PEER, S_GPORT, S_PPORT, S_PRIO, S_TIMEOUT,
};

static const struct selector {
	const char *kw, *alias;
	enum sel_kind kind;
	int attr;
} selectors[] = {
	{ "dom", NULL, S_DOM, XFILTER_RULE_A_DOMID },
	{ "pid", NULL, S_ID, XFILTER_RULE_A_PID },
	{ "tgid", NULL, S_ID, XFILTER_RULE_A_TGID },
	{ "uid", "user", S_GUEST_ID, XFILTER_RULE_A_UID },
	{ "gid", "group", S_GUEST_ID, XFILTER_RULE_A_GID },
	{ "comm", NULL, S_COMM, XFILTER_RULE_A_COMM },
	{ "owner", NULL, S_OWNER, XFILTER_RULE_A_FLAGS },
	{ "dir", NULL, S_DIR, XFILTER_RULE_A_DIR },
	{ "family", NULL, S_FAMILY, XFILTER_RULE_A_FAMILY },
	{ "proto", NULL, S_PROTO, XFILTER_RULE_A_PROTO },
	{ "peer", NULL, S_PEER, XFILTER_RULE_A_PEER_ADDR },
	{ "guest-port", "gport", S_GPORT, XFILTER_RULE_A_GUEST_PORT_MIN },
	{ "peer-port", "pport", S_PPORT, XFILTER_RULE_A_PEER_PORT_MIN },
	{ "prio", NULL, S_PRIO, XFILTER_RULE_A_PRIO },
	{ "timeout", NULL, S_TIMEOUT, XFILTER_RULE_A_TIMEOUT_MS },
};

#define NSELECTORS (sizeof(selectors) / sizeof(selectors[0]))

static const struct selector *find_selector(const char *s)
{
	for (size_t i = 0; i < NSELECTORS; i++)
		if (!strcmp(selectors[i].kw, s) ||
		    (selectors[i].alias && !strcmp(selectors[i].alias, s)))
			return &selectors[i];
	return NULL;
}

/* The keyword for a rule attribute, for error messages. */
static const char *rule_attr_kw(int attr)
{
	switch (attr) {
	case XFILTER_RULE_A_VERDICT:
		return "verdict";
	case XFILTER_RULE_A_ID:
		return "id";
	case XFILTER_RULE_A_PEER_PLEN:
		return "peer";
	case XFILTER_RULE_A_GUEST_PORT_MAX:
		return "guest-port";
	case XFILTER_RULE_A_PEER_PORT_MAX:
		return "peer-port";
	}
	for (size_t i = 0; i < NSELECTORS; i++)
		if (selectors[i].attr == attr)
			return selectors[i].kw;
	return NULL;
}

static void note_arg(struct xf_rule_args *ra, int attr, const char *kw,
		     const char *val)
{
	ra->kw[attr] = kw;
	ra->val[attr] = val;
	XF_SET(&ra->rule, attr);
}

static int parse_selector(struct xf_ctl *c, struct xf_rule_args *ra,
			  const struct selector *sel, const char *kw,
			  const char *v)
{
	struct xf_rule *r = &ra->rule;
	char why[256];
	uint32_t u;
	int x, err;

	switch (sel->kind) {
	case S_DOM:
		if ((err = parse_dom(c, v, &r->domid)))
			return err;
		break;
	case S_ID:
		if ((err = parse_id_value(c, kw, v, 1, PID_MAX, &u)))
			return err;
		if (sel->attr == XFILTER_RULE_A_PID)
			r->pid = u;
		else
			r->tgid = u;
		break;
	case S_GUEST_ID:
		if ((err = parse_guest_id(c, kw, v, &u)))
			return err;
		if (sel->attr == XFILTER_RULE_A_UID)
			r->uid = u;
		else
			r->gid = u;
		break;
	case S_COMM:
		if ((err = parse_comm(c, v, r->comm)))
			return err;
		break;
	case S_OWNER:
		if (strcmp(v, "unknown"))
			return usage(c, "owner takes 'unknown' (to match packets nobody in the guest owns), not '%s'",
				     v);
		r->flags |= XFILTER_RULE_F_OWNER_UNKNOWN;
		break;
	case S_DIR:
		if ((x = xf_dir_parse(v)) < 0)
			return usage(c, "dir takes 'in' (to the guest) or 'out' (from the guest), not '%s'",
				     v);
		r->dir = (uint8_t)x;
		break;
	case S_FAMILY:
		if ((x = xf_family_parse(v)) < 0)
			return usage(c, "family takes ipv4 or ipv6, not '%s'", v);
		if (XF_HAS(r, XFILTER_RULE_A_PEER_ADDR) && r->family != x)
			return usage(c, "family %s contradicts the peer address", v);
		r->family = (uint8_t)x;
		break;
	case S_PROTO:
		if ((x = xf_proto_parse(v)) < 0)
			return usage(c, "proto '%s' is neither a protocol name (tcp, udp, icmp, icmpv6, sctp, gre, esp, ah) nor a number 1-255",
				     v);
		r->proto = (uint8_t)x;
		break;
	case S_PEER: {
		uint8_t family;

		if (xf_parse_prefix(v, &family, r->peer_addr, &r->peer_plen, why,
				    sizeof(why)))
			return usage(c, "peer: %s", why);
		if (XF_HAS(r, XFILTER_RULE_A_FAMILY) && r->family != family)
			return usage(c, "peer %s contradicts family %s", v,
				     xf_family_name(r->family));
		r->family = family;
		note_arg(ra, XFILTER_RULE_A_FAMILY, kw, v);
		note_arg(ra, XFILTER_RULE_A_PEER_PLEN, kw, v);
		break;
	}
	case S_GPORT:
		if (xf_parse_ports(v, &r->guest_port_min, &r->guest_port_max, why,
				   sizeof(why)))
			return usage(c, "%s: %s", kw, why);
		note_arg(ra, XFILTER_RULE_A_GUEST_PORT_MAX, kw, v);
		break;
	case S_PPORT:
		if (xf_parse_ports(v, &r->peer_port_min, &r->peer_port_max, why,
				   sizeof(why)))
			return usage(c, "%s: %s", kw, why);
		note_arg(ra, XFILTER_RULE_A_PEER_PORT_MAX, kw, v);
		break;
	case S_PRIO:
		if ((err = parse_id_value(c, kw, v, 0, UINT32_MAX, &r->prio)))
			return err;
		break;
	case S_TIMEOUT:
		if (xf_parse_duration(v, &r->timeout_ms, why, sizeof(why)))
			return usage(c, "timeout: %s", why);
		break;
	}
	note_arg(ra, sel->attr, kw, v);
	return 0;
}

static bool is_port_proto(uint8_t p)
{
	return p == IPPROTO_TCP || p == IPPROTO_UDP;
}

/*
 * SELECTOR... VERDICT [prio N] [timeout T], in any order. Combinations that
 * can never match are refused here rather than left to surprise later.
 */
static int parse_rule_args(struct xf_ctl *c, int argc, char **argv,
			   struct xf_rule_args *ra)
{
	struct xf_rule *r = &ra->rule;
	uint64_t owner_bits = XF_BIT(XFILTER_RULE_A_PID) | XF_BIT(XFILTER_RULE_A_TGID) |
			      XF_BIT(XFILTER_RULE_A_UID) | XF_BIT(XFILTER_RULE_A_GID) |
			      XF_BIT(XFILTER_RULE_A_COMM);
	int err, v;

	for (int i = 0; i < argc; i++) {
		const struct selector *sel;

		if (is_help(argv[i]) && !c->where)
			return help_for(c);
		v = xf_verdict_parse(argv[i]);
		if (v >= 0) {
			if (XF_HAS(r, XFILTER_RULE_A_VERDICT))
				return usage(c, "two verdicts ('%s' and '%s'): a rule has one",
					     ra->kw[XFILTER_RULE_A_VERDICT], argv[i]);
			r->verdict = (uint8_t)v;
			note_arg(ra, XFILTER_RULE_A_VERDICT, argv[i], NULL);
			continue;
		}
		sel = find_selector(argv[i]);
		if (!sel) {
			if (!strcmp(argv[i], "id"))
				return usage(c, "a new rule gets its id from the kernel; 'id' is not a selector");
			return unexpected(c, "unknown selector", argv[i]);
		}
		if (XF_HAS(r, sel->attr) && sel->kind != S_FAMILY)
			return usage(c, "%s given twice", sel->kw);
		if (sel->kind == S_FAMILY && ra->kw[XFILTER_RULE_A_FAMILY] &&
		    !strcmp(ra->kw[XFILTER_RULE_A_FAMILY], "family"))
			return usage(c, "family given twice");
		if ((err = need_value(c, argc, argv, i)) ||
		    (err = parse_selector(c, ra, sel, argv[i], argv[i + 1])))
			return err;
		i++;
	}
	if (!XF_HAS(r, XFILTER_RULE_A_VERDICT))
		return usage(c, "a rule needs a verdict: accept, drop, reject or log");
	if ((r->flags & XFILTER_RULE_F_OWNER_UNKNOWN) && (r->present & owner_bits))
		return usage(c, "'owner unknown' cannot be combined with pid, tgid, uid, gid or comm: those need a known owner");
	if ((XF_HAS(r, XFILTER_RULE_A_GUEST_PORT_MIN) ||
	     XF_HAS(r, XFILTER_RULE_A_PEER_PORT_MIN)) &&
	    XF_HAS(r, XFILTER_RULE_A_PROTO) && !is_port_proto(r->proto))
		return usage(c, "ports exist only for tcp and udp, not proto %s",
			     ra->val[XFILTER_RULE_A_PROTO]);
	if (r->proto == IPPROTO_ICMPV6 && XF_HAS(r, XFILTER_RULE_A_FAMILY) &&
	    r->family == AF_INET)
		return usage(c, "icmpv6 does not exist in ipv4");
	if (r->proto == IPPROTO_ICMP && XF_HAS(r, XFILTER_RULE_A_FAMILY) &&
	    r->family == AF_INET6)
		return usage(c, "icmp is ipv4's; for ipv6 say proto icmpv6");
	return 0;
}

/* ------------------------------------------------------------------ */
/* parsers */

static int parse_rule_add(struct xf_ctl *c, int argc, char **argv)
{
	return parse_rule_args(c, argc, argv, &c->ra);
}

static int parse_rule_id(struct xf_ctl *c, const char *s, uint32_t *id)
{
	return parse_id_value(c, "rule id", s, 1, UINT32_MAX, id);
}

static int parse_rule_del(struct xf_ctl *c, int argc, char **argv)
{
	int err;

	if (!argc)
		return usage(c, "which rule? give its id ('" PROG " rule list' shows them)");
	c->ids = calloc((size_t)argc, sizeof(*c->ids));
	if (!c->ids) {
		errmsg(c, "out of memory");
		return XF_EXIT_ERR;
	}
	for (int i = 0; i < argc; i++) {
		if (is_help(argv[i]))
			return help_for(c);
		if (!strcmp(argv[i], "id")) {
			if ((err = need_value(c, argc, argv, i)))
				return err;
			i++;
		}
		if ((err = parse_rule_id(c, argv[i], &c->ids[c->nids])))
			return err;
		c->nids++;
	}
	return 0;
}

static int parse_rule_replace(struct xf_ctl *c, int argc, char **argv)
{
	int first = 1, err;

	if (argc && is_help(argv[0]))
		return help_for(c);
	if (!argc)
		return usage(c, "which rule? give its id, then the new rule");
	if (!strcmp(argv[0], "id")) {
		if ((err = need_value(c, argc, argv, 0)))
			return err;
		first = 2;
	}
	if ((err = parse_rule_id(c, argv[first - 1], &c->rule_id)))
		return err;
	return parse_rule_args(c, argc - first, argv + first, &c->ra);
}

static int parse_conns(struct xf_ctl *c, int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		const char *kw = argv[i];
		int err;

		if (is_help(kw))
			return help_for(c);
		if (!strcmp(kw, "list") || !strcmp(kw, "show")) {
			if (i)
				return unexpected(c, "unexpected", kw);
			continue;
		}
		if (strcmp(kw, "dom") && strcmp(kw, "uid") && strcmp(kw, "user") &&
		    strcmp(kw, "pid") && strcmp(kw, "comm"))
			return usage(c, "unknown filter '%s' (conns takes dom, uid, pid, comm)",
				     kw);
		if ((err = need_value(c, argc, argv, i)))
			return err;
		i++;
		if (!strcmp(kw, "dom")) {
			if (c->has_domid)
				return usage(c, "dom given twice");
			if ((err = parse_dom(c, argv[i], &c->domid)))
				return err;
			c->has_domid = true;
			c->dom_arg = argv[i];
		} else if (!strcmp(kw, "pid")) {
			if (c->has_pid)
				return usage(c, "pid given twice");
			if ((err = parse_id_value(c, kw, argv[i], 1, PID_MAX, &c->pid)))
				return err;
			c->has_pid = true;
		} else if (!strcmp(kw, "comm")) {
			if (c->has_comm)
				return usage(c, "comm given twice");
			if ((err = parse_comm(c, argv[i], c->comm)))
				return err;
			c->has_comm = true;
		} else {
			if (c->has_uid)
				return usage(c, "uid given twice");
			if ((err = parse_guest_id(c, kw, argv[i], &c->uid)))
				return err;
			c->has_uid = true;
		}
	}
	return 0;
}

static int parse_domain_set(struct xf_ctl *c, int argc, char **argv)
{
	struct xf_domain *d = &c->dset;
	int err, x;

	for (int i = 0; i < argc; i++) {
		const char *kw = argv[i];
		int attr;

		if (is_help(kw))
			return help_for(c);
		if (!strcmp(kw, "enable") || !strcmp(kw, "disable")) {
			attr = XFILTER_DOMAIN_A_ENABLED;
			if (XF_HAS(d, attr))
				return usage(c, "filtering switched twice");
			d->enabled = !strcmp(kw, "enable");
			c->dset_kw[attr] = kw;
			XF_SET(d, attr);
			continue;
		}
		if (strcmp(kw, "dom") && strcmp(kw, "filter") && strcmp(kw, "fail") &&
		    strcmp(kw, "fail-mode") && strcmp(kw, "max-entries"))
			return usage(c, "unknown setting '%s'", kw);
		if ((err = need_value(c, argc, argv, i)))
			return err;
		i++;
		if (!strcmp(kw, "dom")) {
			attr = XFILTER_DOMAIN_A_DOMID;
			if (XF_HAS(d, attr))
				return usage(c, "dom given twice");
			if ((err = parse_dom(c, argv[i], &d->domid)))
				return err;
		} else if (!strcmp(kw, "filter")) {
			attr = XFILTER_DOMAIN_A_ENABLED;
			if (XF_HAS(d, attr))
				return usage(c, "filtering switched twice");
			if (strcmp(argv[i], "on") && strcmp(argv[i], "off"))
				return usage(c, "filter takes on or off, not '%s'", argv[i]);
			d->enabled = !strcmp(argv[i], "on");
		} else if (!strcmp(kw, "fail") || !strcmp(kw, "fail-mode")) {
			attr = XFILTER_DOMAIN_A_FAIL_MODE;
			if (XF_HAS(d, attr))
				return usage(c, "fail mode given twice");
			if ((x = xf_fail_parse(argv[i])) < 0)
				return usage(c, "fail takes open or closed, not '%s'", argv[i]);
			d->fail_mode = (uint8_t)x;
		} else {
			attr = XFILTER_DOMAIN_A_MAX_ENTRIES;
			if (XF_HAS(d, attr))
				return usage(c, "max-entries given twice");
			if ((err = parse_id_value(c, kw, argv[i], 1, UINT32_MAX,
						  &d->max_entries)))
				return err;
		}
		c->dset_kw[attr] = kw;
		c->dset_val[attr] = argv[i];
		XF_SET(d, attr);
	}
	if (!XF_HAS(d, XFILTER_DOMAIN_A_DOMID))
		return usage(c, "which domain? say dom D");
	if (d->present == XF_BIT(XFILTER_DOMAIN_A_DOMID))
		return usage(c, "nothing to set: give filter on|off, fail open|closed or max-entries N");
	return 0;
}

static int parse_monitor(struct xf_ctl *c, int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		int err;

		if (is_help(argv[i]))
			return help_for(c);
		if (!strcmp(argv[i], "dom")) {
			if (c->has_domid)
				return usage(c, "dom given twice");
			if ((err = need_value(c, argc, argv, i)) ||
			    (err = parse_dom(c, argv[i + 1], &c->domid)))
				return err;
			c->has_domid = true;
			c->dom_arg = argv[++i];
		} else if (!strcmp(argv[i], "verdict"))
			c->groups |= XF_GROUP_VERDICT;
		else if (!strcmp(argv[i], "miss"))
			c->groups |= XF_GROUP_MISS;
		else if (!strcmp(argv[i], "config"))
			c->groups |= XF_GROUP_CONFIG;
		else if (!strcmp(argv[i], "all"))
			c->groups |= XF_GROUP_VERDICT | XF_GROUP_MISS | XF_GROUP_CONFIG;
		else
			return usage(c, "unknown event kind '%s' (verdict, miss, config, all, dom D)",
				     argv[i]);
	}
	/* Not misses by default: see the help text. */
	if (!c->groups)
		c->groups = XF_GROUP_VERDICT | XF_GROUP_CONFIG;
	return 0;
}

/* Reads all of f; NULL when it is too large or unreadable. */
static char *slurp(FILE *f, size_t max)
{
	size_t n = 0, cap = 4096;
	char *buf = malloc(cap);

	if (!buf)
		return NULL;
	for (;;) {
		size_t got;

		if (n + 1 >= cap) {
			char *nb;

			if (cap > max) {
				free(buf);
				errno = EFBIG;
				return NULL;
			}
			nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (!got)
			break;
	}
	if (ferror(f)) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	if (strlen(buf) != n) {
		free(buf);
		errno = EILSEQ;		/* a NUL byte: not a text file */
		return NULL;
	}
	return buf;
}

int xf_ctl_parse_restore(struct xf_ctl *c, char *text, const char *name)
{
	char where[512];
	unsigned int line = 0;
	char *p = text;
	int err = 0;

	free(c->text);
	c->text = text;
	free(c->rules);
	c->rules = NULL;
	c->nrules = 0;
	while (p && *p) {
		char *nl = strchr(p, '\n');
		char *tok[LINE_TOKENS];
		int n;

		if (nl)
			*nl = '\0';
		line++;
		snprintf(where, sizeof(where), "%s:%u: ", name, line);
		c->where = where;
		n = xf_split_line(p, tok, LINE_TOKENS);
		if (n < 0) {
			err = usage(c, "too many words");
			break;
		}
		p = nl ? nl + 1 : NULL;
		if (n == 0)
			continue;
		if (n < 2 || strcmp(tok[0], "rule") || strcmp(tok[1], "add")) {
			err = usage(c, "expected 'rule add ...' (the lines '" PROG " save' prints), not '%s'",
				    tok[0]);
			break;
		}
		if (c->nrules == RESTORE_MAX) {
			err = usage(c, "more than %d rules", RESTORE_MAX);
			break;
		}
		if (!c->nrules || !((c->nrules) & (c->nrules - 1))) {
			size_t cap = c->nrules ? c->nrules * 2 : 1;
			struct xf_rule_args *nr = realloc(c->rules, cap * sizeof(*nr));

			if (!nr) {
				errmsg(c, "out of memory");
				err = XF_EXIT_ERR;
				break;
			}
			c->rules = nr;
		}
		memset(&c->rules[c->nrules], 0, sizeof(c->rules[0]));
		c->rules[c->nrules].line = line;
		err = parse_rule_args(c, n - 2, tok + 2, &c->rules[c->nrules]);
		if (err)
			break;
		c->nrules++;
	}
	c->where = NULL;
	return err;
}

static int parse_restore(struct xf_ctl *c, int argc, char **argv)
{
	FILE *f;
	char *text;
	int i = 0;

	if (argc && is_help(argv[0]))
		return help_for(c);
	if (argc && (!strcmp(argv[0], "--check") || !strcmp(argv[0], "-n"))) {
		c->check_only = true;
		i++;
	}
	if (argc - i != 1)
		return usage(c, argc - i ? "restore reads one file" :
			     "restore what? give a FILE, or - for standard input");
	c->file = argv[i];
	if (c->no_io)
		return 0;
	f = strcmp(c->file, "-") ? fopen(c->file, "r") : stdin;
	if (!f) {
		errmsg(c, "cannot open %s: %s", c->file, strerror(errno));
		return XF_EXIT_ERR;
	}
	text = slurp(f, 16 << 20);
	if (!text)
		errmsg(c, "cannot read %s: %s", c->file, strerror(errno));
	if (f != stdin)
		fclose(f);
	if (!text)
		return XF_EXIT_ERR;
	return xf_ctl_parse_restore(c, text, strcmp(c->file, "-") ? c->file : "stdin");
}

/* ------------------------------------------------------------------ */
/* kernel errors */

/* What the operator typed for the attribute the kernel blamed. */
static void blame(struct xf_ctl *c, const struct xf_nl_path *p, char *buf,
		  size_t len)
{
	const struct xf_rule_args *ra = NULL;
	int attr = -1;

	buf[0] = '\0';
	if (!p->depth)
		return;
	switch (p->step[0].type) {
	case XFILTER_A_RULE:
		ra = &c->ra;
		if (p->depth >= 2)
			attr = p->step[1].type;
		break;
	case XFILTER_A_RULES:
		if (p->depth < 2)
			return;
		if (p->depth >= 3)
			attr = p->step[2].type;
		if (c->replace_idx >= 0 && p->step[1].index == c->replace_idx) {
			ra = &c->ra;	/* the rule typed for rule replace */
			break;
		}
		if (p->step[1].index >= c->nrules) {
			snprintf(buf, len, " (rule %u of the ruleset)",
				 p->step[1].index + 1);
			return;
		}
		ra = &c->rules[p->step[1].index];
		if (attr > 0 && attr <= XFILTER_RULE_A_MAX && ra->kw[attr]) {
			snprintf(buf, len, " (%s line %u: '%s%s%s')", c->file, ra->line,
				 ra->kw[attr], ra->val[attr] ? " " : "",
				 ra->val[attr] ? ra->val[attr] : "");
		} else {
			snprintf(buf, len, " (%s line %u)", c->file, ra->line);
		}
		return;
	case XFILTER_A_DOMAIN:
		if (p->depth >= 2 && p->step[1].type <= XFILTER_DOMAIN_A_MAX &&
		    c->dset_kw[p->step[1].type]) {
			attr = p->step[1].type;
			snprintf(buf, len, " (argument '%s%s%s')", c->dset_kw[attr],
				 c->dset_val[attr] ? " " : "",
				 c->dset_val[attr] ? c->dset_val[attr] : "");
		}
		return;
	case XFILTER_A_DOMID:
		if (c->dom_arg)
			snprintf(buf, len, " (argument 'dom %s')", c->dom_arg);
		return;
	default:
		return;
	}
	if (ra && attr > 0 && attr <= XFILTER_RULE_A_MAX && ra->kw[attr])
		snprintf(buf, len, " (argument '%s%s%s')", ra->kw[attr],
			 ra->val[attr] ? " " : "", ra->val[attr] ? ra->val[attr] : "");
}

static const char *errno_hint(int error)
{
	switch (error) {
	case -EPERM:
	case -EACCES:
		return ": this needs CAP_NET_ADMIN (run as root)";
	case -EOPNOTSUPP:
		return ": the loaded module does not support this ('" PROG " info' lists its features)";
	case -ENOSPC:
		return ": the kernel's table is full";
	}
	return "";
}

int xf_ctl_nl_fail(struct xf_ctl *c, const char *what)
{
	const struct xf_nl_error *e = &c->nl.err;
	char where[512], missing[64] = "";

	blame(c, &e->attr, where, sizeof(where));
	if (e->miss_type) {
		const char *kw = NULL;

		if (e->miss_nest.depth && (e->miss_nest.step[e->miss_nest.depth - 1].type ==
					   XFILTER_A_RULE))
			kw = rule_attr_kw(e->miss_type);
		if (kw)
			snprintf(missing, sizeof(missing), " (missing: %s)", kw);
		else
			snprintf(missing, sizeof(missing), " (missing attribute %u)",
				 e->miss_type);
	}
	if (e->from_kernel)
		errmsg(c, "%s: kernel reports: %s%s%s", what, e->msg, where, missing);
	else if (e->msg[0])
		errmsg(c, "%s: %s%s%s", what, e->msg, where, missing);
	else
		errmsg(c, "%s: %s%s%s%s", what, strerror(-e->error),
		       errno_hint(e->error), where, missing);
	return XF_EXIT_ERR;
}

/* ------------------------------------------------------------------ */
/* collectors */

static void *vec_push(struct xf_vec *v)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 16;
		void *nv = realloc(v->v, cap * v->size);

		if (!nv)
			return NULL;
		v->v = nv;
		v->cap = cap;
	}
	return (char *)v->v + v->n++ * v->size;
}

void xf_vec_free(struct xf_vec *v)
{
	free(v->v);
	v->v = NULL;
	v->n = v->cap = 0;
}

int xf_collect_rule(const struct nlmsghdr *nlh, struct nlattr **tb, void *arg)
{
	struct xf_rule *r;

	if (!tb[XFILTER_A_RULE])
		return -EBADMSG;
	r = vec_push(arg);
	if (!r)
		return -ENOMEM;
	if (xf_rule_parse(tb[XFILTER_A_RULE], r)) {
		((struct xf_vec *)arg)->n--;
		return -EBADMSG;
	}
	return 0;
}

int xf_collect_conn(const struct nlmsghdr *nlh, struct nlattr **tb, void *arg)
{
	struct xf_conn *cn = vec_push(arg);

	if (!cn)
		return -ENOMEM;
	if (xf_owner_msg_parse(tb, &cn->domid, &cn->o)) {
		((struct xf_vec *)arg)->n--;
		return -EBADMSG;
	}
	return 0;
}

int xf_collect_domain(const struct nlmsghdr *nlh, struct nlattr **tb, void *arg)
{
	struct xf_domain *d;

	if (!tb[XFILTER_A_DOMAIN])
		return -EBADMSG;
	d = vec_push(arg);
	if (!d)
		return -ENOMEM;
	if (xf_domain_parse(tb[XFILTER_A_DOMAIN], d)) {
		((struct xf_vec *)arg)->n--;
		return -EBADMSG;
	}
	return 0;
}

int xf_collect_stats(const struct nlmsghdr *nlh, struct nlattr **tb, void *arg)
{
	struct xf_stats *s = vec_push(arg);

	if (!s)
		return -ENOMEM;
	if (xf_stats_msg_parse(tb, s)) {
		((struct xf_vec *)arg)->n--;
		return -EBADMSG;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* runners */

static struct nl_msg *new_msg(struct xf_ctl *c, uint8_t cmd)
{
	struct nl_msg *msg = xf_nl_msg(&c->nl, cmd, 0);

	if (!msg)
		errmsg(c, "out of memory");
	return msg;
}

static int put_domid(struct xf_ctl *c, struct nl_msg *msg)
{
	if (c->has_domid && nla_put_u32(msg, XFILTER_A_DOMID, c->domid)) {
		nlmsg_free(msg);
		errmsg(c, "message too large");
		return -1;
	}
	return 0;
}

/* A malformed reply: say so rather than print half of it. */
static int reply_fail(struct xf_ctl *c, const char *what, int err)
{
	if (err == -EBADMSG && !c->nl.err.msg[0]) {
		errmsg(c, "%s: malformed reply from the kernel", what);
		return XF_EXIT_ERR;
	}
	if (err == -ENOMEM && !c->nl.err.msg[0]) {
		errmsg(c, "%s: out of memory", what);
		return XF_EXIT_ERR;
	}
	return xf_ctl_nl_fail(c, what);
}

/* A dump of cmd (with the dom filter if any) into v, restarted if it raced. */
static int dump(struct xf_ctl *c, uint8_t cmd, xf_nl_cb cb, struct xf_vec *v,
		const char *what)
{
	int err = -EINTR;

	for (int tries = 0; tries < DUMP_TRIES && err == -EINTR; tries++) {
		struct nl_msg *msg = new_msg(c, cmd);

		if (!msg || put_domid(c, msg))
			return XF_EXIT_ERR;
		v->n = 0;
		err = xf_nl_dump(&c->nl, msg, cb, v);
	}
	if (err)
		return reply_fail(c, what, err);
	return XF_EXIT_OK;
}

static int run_info(struct xf_ctl *c)
{
	xf_print_info(&c->o, &c->info);
	return XF_EXIT_OK;
}

static int run_conns(struct xf_ctl *c)
{
	struct xf_vec v = { .size = sizeof(struct xf_conn) };
	struct xf_conn *cn;
	size_t n = 0;
	int err = dump(c, XFILTER_CMD_OWNER_GET, xf_collect_conn, &v, "conns");

	if (err)
		goto out;
	cn = v.v;
	for (size_t i = 0; i < v.n; i++) {
		const struct xf_owner *o = &cn[i].o;

		if (c->has_domid && cn[i].domid != c->domid)
			continue;
		if (c->has_uid && (!XF_HAS(o, XFILTER_OWNER_A_UID) || o->uid != c->uid))
			continue;
		if (c->has_pid && !((XF_HAS(o, XFILTER_OWNER_A_PID) && o->pid == c->pid) ||
				    (XF_HAS(o, XFILTER_OWNER_A_TGID) && o->tgid == c->pid)))
			continue;
		if (c->has_comm && (!XF_HAS(o, XFILTER_OWNER_A_COMM) ||
				    strncmp(o->comm, c->comm, sizeof(o->comm))))
			continue;
		cn[n++] = cn[i];
	}
	xf_print_conns(&c->o, cn, n);
out:
	xf_vec_free(&v);
	return err;
}

static int on_rule_reply(const struct nlmsghdr *nlh, struct nlattr **tb, void *arg)
{
	struct xf_rule *r = arg;

	if (tb[XFILTER_A_RULE] && !XF_HAS(r, XFILTER_RULE_A_ID) &&
	    xf_rule_parse(tb[XFILTER_A_RULE], r))
		return -EBADMSG;
	return 0;
}

static int run_rule_add(struct xf_ctl *c)
{
	struct nl_msg *msg = new_msg(c, XFILTER_CMD_RULE_NEW);
	struct xf_rule stored = { 0 };
	int err;

	if (!msg)
		return XF_EXIT_ERR;
	if (xf_rule_put(msg, XFILTER_A_RULE, &c->ra.rule)) {
		nlmsg_free(msg);
		errmsg(c, "rule add: message too large");
		return XF_EXIT_ERR;
	}
	err = xf_nl_request(&c->nl, msg, on_rule_reply, &stored);
	if (err)
		return reply_fail(c, "rule add", err);
	if (!XF_HAS(&stored, XFILTER_RULE_A_ID)) {
		errmsg(c, "rule add: the rule was added but the kernel did not say its id");
		return XF_EXIT_ERR;
	}
	xf_print_rule_id(&c->o, stored.id);
	return XF_EXIT_OK;
}

static int run_rule_del(struct xf_ctl *c)
{
	for (size_t i = 0; i < c->nids; i++) {
		struct nl_msg *msg = new_msg(c, XFILTER_CMD_RULE_DEL);
		struct xf_rule r = { 0 };
		char what[48];
		int err;

		if (!msg)
			return XF_EXIT_ERR;
		r.id = c->ids[i];
		XF_SET(&r, XFILTER_RULE_A_ID);
		if (xf_rule_put(msg, XFILTER_A_RULE, &r)) {
			nlmsg_free(msg);
			errmsg(c, "rule del: message too large");
			return XF_EXIT_ERR;
		}
		err = xf_nl_request(&c->nl, msg, NULL, NULL);
		snprintf(what, sizeof(what), "rule del %" PRIu32, c->ids[i]);
		if (err == -ENOENT && !c->nl.err.from_kernel) {
			errmsg(c, "%s: no such rule", what);
			return XF_EXIT_ERR;
		}
		if (err)
			return xf_ctl_nl_fail(c, what);
	}
	return XF_EXIT_OK;
}

static int run_rule_list(struct xf_ctl *c)
{
	struct xf_vec v = { .size = sizeof(struct xf_rule) };
	int err = dump(c, XFILTER_CMD_RULE_GET, xf_collect_rule, &v, "rule list");

	if (!err)
		xf_print_rules(&c->o, v.v, v.n);
	xf_vec_free(&v);
	return err;
}

static int run_rule_flush(struct xf_ctl *c)
{
	struct nl_msg *msg = new_msg(c, XFILTER_CMD_RULE_FLUSH);

	if (!msg || put_domid(c, msg))
		return XF_EXIT_ERR;
	if (xf_nl_request(&c->nl, msg, NULL, NULL))
		return xf_ctl_nl_fail(c, "rule flush");
	return XF_EXIT_OK;
}

/*
 * Sends the rules as one RULE_REPLACE. Rules read back from the kernel go
 * without their id and counters, and with the time they have left as their
 * timeout, so that a replace does not extend an expiring rule.
 */
static int send_replace(struct xf_ctl *c, const struct xf_rule *rules,
			size_t n, size_t stride, const char *what)
{
	struct nl_msg *msg = xf_nl_msg_big(&c->nl, XFILTER_CMD_RULE_REPLACE, 0);
	struct nlattr *nest;
	int err;

	if (!msg) {
		errmsg(c, "out of memory");
		return XF_EXIT_ERR;
	}
	nest = nla_nest_start(msg, XFILTER_A_RULES);
	if (!nest)
		goto too_big;
	for (size_t i = 0; i < n; i++) {
		struct xf_rule r = *(const struct xf_rule *)((const char *)rules + i * stride);

		r.present &= ~XF_BIT(XFILTER_RULE_A_ID);
		if (XF_HAS(&r, XFILTER_RULE_A_EXPIRES_MS)) {
			r.timeout_ms = r.expires_ms ? r.expires_ms : 1;
			XF_SET(&r, XFILTER_RULE_A_TIMEOUT_MS);
		}
		if (xf_rule_put(msg, XFILTER_A_RULE, &r))
			goto too_big;
	}
	/*
	 * An attribute's length is 16 bits: one replace holds 64 KiB of rules.
	 * Checked before nla_nest_end(), which would drop an oversized nest
	 * and so turn the request into "replace with nothing".
	 */
	if ((char *)nlmsg_tail(nlmsg_hdr(msg)) - (char *)nest > 0xffff ||
	    nla_nest_end(msg, nest) < 0)
		goto too_big;
	err = xf_nl_request(&c->nl, msg, NULL, NULL);
	if (err)
		return xf_ctl_nl_fail(c, what);
	return XF_EXIT_OK;
too_big:
	nlmsg_free(msg);
	errmsg(c, "%s: %zu rules do not fit in one atomic replace (64 KiB of rules)",
	       what, n);
	return XF_EXIT_ERR;
}

static int run_rule_replace(struct xf_ctl *c)
{
	struct xf_vec v = { .size = sizeof(struct xf_rule) };
	struct xf_rule *r;
	size_t i;
	int err;

	/* Read the whole ruleset (no dom filter), swap one, send all back. */
	c->has_domid = false;
	err = dump(c, XFILTER_CMD_RULE_GET, xf_collect_rule, &v, "rule replace");
	if (err)
		goto out;
	r = v.v;
	for (i = 0; i < v.n; i++)
		if (XF_HAS(&r[i], XFILTER_RULE_A_ID) && r[i].id == c->rule_id)
			break;
	if (i == v.n) {
		errmsg(c, "rule replace: no rule with id %" PRIu32, c->rule_id);
		err = XF_EXIT_ERR;
		goto out;
	}
	r[i] = c->ra.rule;
	/* Blame offsets then point into the list: index i is the typed rule. */
	c->replace_idx = (long)i;
	err = send_replace(c, r, v.n, sizeof(*r), "rule replace");
out:
	xf_vec_free(&v);
	return err;
}

static int run_domain_show(struct xf_ctl *c)
{
	struct xf_vec v = { .size = sizeof(struct xf_domain) };
	int err;

	if (c->has_domid) {
		struct nl_msg *msg = new_msg(c, XFILTER_CMD_DOMAIN_GET);

		if (!msg || put_domid(c, msg))
			return XF_EXIT_ERR;
		err = xf_nl_request(&c->nl, msg, xf_collect_domain, &v);
		if (err)
			err = reply_fail(c, "domain show", err);
	} else {
		c->dom_arg = NULL;
		err = dump(c, XFILTER_CMD_DOMAIN_GET, xf_collect_domain, &v,
			   "domain show");
	}
	if (!err)
		xf_print_domains(&c->o, v.v, v.n);
	xf_vec_free(&v);
	return err;
}

static int run_domain_set(struct xf_ctl *c)
{
	struct nl_msg *msg = new_msg(c, XFILTER_CMD_DOMAIN_SET);

	if (!msg)
		return XF_EXIT_ERR;
	if (xf_domain_put(msg, XFILTER_A_DOMAIN, &c->dset)) {
		nlmsg_free(msg);
		errmsg(c, "domain set: message too large");
		return XF_EXIT_ERR;
	}
	if (xf_nl_request(&c->nl, msg, NULL, NULL))
		return xf_ctl_nl_fail(c, "domain set");
	return XF_EXIT_OK;
}

static int run_stats(struct xf_ctl *c)
{
	struct xf_vec global = { .size = sizeof(struct xf_stats) };
	struct xf_vec doms = { .size = sizeof(struct xf_stats) };
	struct nl_msg *msg = new_msg(c, XFILTER_CMD_STATS_GET);
	int err;

	if (!msg || put_domid(c, msg))
		return XF_EXIT_ERR;
	/* doit: the global set, or one domain's when dom was given. */
	err = xf_nl_request(&c->nl, msg, xf_collect_stats,
			    c->has_domid ? &doms : &global);
	if (err) {
		err = reply_fail(c, "stats", err);
		goto out;
	}
	if (!c->has_domid) {
		err = dump(c, XFILTER_CMD_STATS_GET, xf_collect_stats, &doms, "stats");
		if (err)
			goto out;
	}
	xf_print_stats(&c->o, global.n ? global.v : NULL, doms.v, doms.n);
out:
	xf_vec_free(&global);
	xf_vec_free(&doms);
	return err;
}

/* monitor dom D: packet events of other domains are left out. */
static bool event_wanted(const struct xf_ctl *c, const struct nlmsghdr *nlh,
			 struct nlattr **tb)
{
	struct xf_event e;

	if (!c->has_domid)
		return true;
	switch (xf_nl_cmd(nlh)) {
	case XFILTER_CMD_VERDICT:
		/* A malformed event goes on, for the printer to report. */
		return !tb[XFILTER_A_EVENT] || xf_event_parse(tb[XFILTER_A_EVENT], &e) ||
		       e.domid == c->domid;
	case XFILTER_CMD_MISS:
		return !tb[XFILTER_A_DOMID] ||
		       nla_get_u32(tb[XFILTER_A_DOMID]) == c->domid;
	}
	return true;	/* configuration changes concern everyone */
}

static int on_event(const struct nlmsghdr *nlh, struct nlattr **tb, void *arg)
{
	struct xf_ctl *c = arg;
	struct timespec now;

	if (!event_wanted(c, nlh, tb))
		return 0;

	clock_gettime(CLOCK_REALTIME, &now);
	if (xf_print_event(&c->o, nlh, tb, &now) == -EINVAL)
		errmsg(c, "monitor: skipped a malformed event (command %u)",
		       xf_nl_cmd(nlh));
	if (ferror(c->o.f))
		return -EPIPE;
	return 0;
}

static int run_monitor(struct xf_ctl *c)
{
	static const struct {
		unsigned int bit;
		const char *name;
	} groups[] = {
		{ XF_GROUP_VERDICT, XFILTER_MCGRP_VERDICT },
		{ XF_GROUP_MISS, XFILTER_MCGRP_MISS },
		{ XF_GROUP_CONFIG, XFILTER_MCGRP_CONFIG },
	};

	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		if (!(c->groups & groups[i].bit))
			continue;
		if (xf_nl_subscribe(&c->nl, groups[i].name))
			return xf_ctl_nl_fail(c, "monitor");
	}
	for (;;) {
		int err = xf_nl_events(&c->nl, on_event, c);

		if (err == -ENOBUFS) {
			errmsg(c, "monitor: %s", c->nl.err.msg);
			continue;
		}
		if (err == -EPIPE)
			return XF_EXIT_ERR;
		if (err)
			return xf_ctl_nl_fail(c, "monitor");
	}
}

static int run_save(struct xf_ctl *c)
{
	struct xf_vec v = { .size = sizeof(struct xf_rule) };
	int err = dump(c, XFILTER_CMD_RULE_GET, xf_collect_rule, &v, "save");

	if (!err) {
		if (c->o.json)
			xf_print_rules(&c->o, v.v, v.n);
		else
			xf_print_save(&c->o, v.v, v.n);
	}
	xf_vec_free(&v);
	return err;
}

static int run_restore(struct xf_ctl *c)
{
	struct xf_rule *r;
	int err;

	if (c->check_only) {
		if (!c->o.json)
			fprintf(c->out, "%s: %zu rule%s, syntax ok\n", c->file,
				c->nrules, c->nrules == 1 ? "" : "s");
		return XF_EXIT_OK;
	}
	r = calloc(c->nrules ? c->nrules : 1, sizeof(*r));
	if (!r) {
		errmsg(c, "out of memory");
		return XF_EXIT_ERR;
	}
	for (size_t i = 0; i < c->nrules; i++)
		r[i] = c->rules[i].rule;
	err = send_replace(c, r, c->nrules, sizeof(*r), "restore");
	free(r);
	return err;
}

/* ------------------------------------------------------------------ */
/* the table */

#define DOM_HELP \
	"  dom D            a Xen domain id, or its name (looked up in xenstore)\n"

static const char rule_selectors_help[] =
	"Selectors (a packet matches when all given match; none = every packet):\n"
	DOM_HELP
	"  pid P            guest thread id (as in /proc/PID/task)\n"
	"  tgid P           guest process id (what ps(1) calls PID)\n"
	"  uid U, user U    guest user id, a number: user names exist only inside\n"
	"                   the guest and dom0 cannot look them up\n"
	"  gid G, group G   guest group id, a number, for the same reason\n"
	"  comm NAME        exact task name, at most 15 bytes (all the guest kernel\n"
	"                   keeps); \\xHH writes an odd byte, \\x20 a blank\n"
	"  owner unknown    packets no guest socket is known for (ICMP, unknown flows)\n"
	"  dir in|out       out: sent by the guest; in: sent to it\n"
	"  family ipv4|ipv6\n"
	"  proto P          tcp, udp, icmp, icmpv6, sctp, gre, esp, ah or 1-255\n"
	"  peer PREFIX      the other end: 203.0.113.7, 10.0.0.0/8, 2001:db8::/32\n"
	"  guest-port P[-Q] the guest's port or range, 1-65535 (tcp and udp only)\n"
	"  peer-port P[-Q]  the other end's port or range\n"
	"Verdicts:\n"
	"  accept | drop | reject (drop and answer TCP RST / ICMP unreachable) |\n"
	"  log (audit the packet and go on to the next rule)\n"
	"Options:\n"
	"  prio N           0-4294967295, lower runs first, default 1000; equal\n"
	"                   priorities keep the order of insertion\n"
	"  timeout T        the rule removes itself after T: 90 (seconds), 500ms,\n"
	"                   30s, 5m, 2h, 1d\n";

static const struct xf_subcmd subcmds[] = {
	{ "conns", NULL, NULL, true, parse_conns, run_conns,
	  "conns [dom D] [uid U] [pid P] [comm NAME]",
	  "Lists the guests' sockets with their owners (the kernel's owner table, as\n"
	  "the introspection daemon filled it): per domain, the busiest process\n"
	  "first, each socket with the packets and bytes the filter has seen (the\n"
	  "module counts them only while some rule concerns the domain).\n"
	  "\n"
	  "Filters:\n"
	  DOM_HELP
	  "  uid U            owner's user id (a number: guest user names cannot be\n"
	  "                   looked up from dom0)\n"
	  "  pid P            owner's thread or process id\n"
	  "  comm NAME        owner's task name, exact\n"
	  "With -s, a table of per-owner totals follows (and owner_* fields in JSON).\n", false },
	{ "rule", "add", NULL, false, parse_rule_add, run_rule_add,
	  "rule add SELECTOR... VERDICT [prio N] [timeout T]",
	  "Adds a rule and prints its id. A new drop or reject rule also cuts the\n"
	  "established flows it matches.\n\n"
	  "Example: " PROG " rule add dom web1 uid 1001 proto tcp peer-port 25 drop\n\n",
	  true },
	{ "rule", "del", "delete|rm", false, parse_rule_del, run_rule_del,
	  "rule del ID...",
	  "Deletes rules by id ('" PROG " rule list' shows the ids).\n", false },
	{ "rule", "list", "show|ls", true, parse_dom_only, run_rule_list,
	  "rule list [dom D]",
	  "Lists the rules in the order they are tried, with the packets and bytes\n"
	  "each has matched (HITS, BYTES) and the time left of expiring ones.\n"
	  "dom D shows only the rules of that domain.\n", false },
	{ "rule", "flush", NULL, false, parse_dom_only, run_rule_flush,
	  "rule flush [dom D]",
	  "Deletes every rule, or every rule of domain D.\n", false },
	{ "rule", "replace", NULL, false, parse_rule_replace, run_rule_replace,
	  "rule replace ID SELECTOR... VERDICT [prio N] [timeout T]",
	  "Replaces rule ID by a new rule in one atomic step: the ruleset is read,\n"
	  "the rule swapped, and the whole set handed back with RULE_REPLACE, so no\n"
	  "packet ever sees neither rule or both. Rules may get new ids. The new\n"
	  "rule takes the default priority unless prio is given.\n\n",
	  true },
	{ "domain", "show", "list|ls", true, parse_dom_only, run_domain_show,
	  "domain show [dom D]",
	  "Shows per domain: filtering on or off, the fail mode, owner-table entries\n"
	  "and limit, packets held waiting for an owner, the last committed\n"
	  "introspection generation, and the domain's vifs.\n", false },
	{ "domain", "set", NULL, false, parse_domain_set, run_domain_set,
	  "domain set dom D [filter on|off] [fail open|closed] [max-entries N]",
	  "Changes a domain's settings:\n"
	  "  filter on|off    off passes the domain's traffic unfiltered\n"
	  "                   ('enable' and 'disable' say the same)\n"
	  "  fail open|closed what happens to a packet whose owner cannot be learned\n"
	  "                   in time: open decides it as 'owner unknown' by the\n"
	  "                   rules, closed drops it\n"
	  "  max-entries N    owner-table limit of the domain\n", false },
	{ "stats", NULL, NULL, false, parse_dom_only, run_stats,
	  "stats [dom D]",
	  "Prints the module's counters, global and per domain (the values of\n"
	  "/sys/kernel/xfilter/, same names).\n", false },
	{ "monitor", NULL, NULL, false, parse_monitor, run_monitor,
	  "monitor [verdict] [miss] [config] [all] [dom D]",
	  "Prints events as they happen, one line each (one JSON object per line\n"
	  "with -j), until interrupted:\n"
	  "  verdict          drop, reject and log verdicts and fail-mode decisions,\n"
	  "                   with the fields of the audit line\n"
	  "  miss             packets held because their socket is not known yet\n"
	  "  config           rule and domain changes\n"
	  "  dom D            only that domain's verdicts and misses\n"
	  "Without arguments: verdict and config. Misses only when asked for ('miss'\n"
	  "or 'all'): the module takes any listener of the miss group for the\n"
	  "introspection daemon, so while the daemon is down, held packets would wait\n"
	  "for their deadline instead of getting the domain's fail mode at once.\n", false },
	{ "save", NULL, NULL, false, parse_nothing, run_save,
	  "save",
	  "Prints the ruleset as 'rule add' lines that 'restore' replays; counters\n"
	  "and ids are not saved, expiring rules keep the time they have left.\n"
	  "Example: " PROG " save > rules; " PROG " restore rules\n", false },
	{ "restore", NULL, NULL, false, parse_restore, run_restore,
	  "restore [--check] FILE|-",
	  "Replaces the whole ruleset by the rules in FILE ('-': standard input) in\n"
	  "one atomic step: either every rule is accepted or nothing changes. The\n"
	  "file holds 'rule add ...' lines as 'save' prints them; blank lines and\n"
	  "# comments are ignored. --check only reads and checks the file.\n", false },
	{ "info", NULL, NULL, false, parse_nothing, run_info,
	  "info",
	  "Prints the module's version, protocol range and features, and the\n"
	  "ruleset generation. Every command first checks that the module speaks\n"
	  "this tool's protocol and refuses to go on when it does not.\n", false },
	{ 0 },
};

/* The verb, or one of its '|'-separated aliases. */
static bool verb_is(const struct xf_subcmd *s, const char *verb)
{
	size_t n = strlen(verb);

	if (!strcmp(s->verb, verb))
		return true;
	for (const char *a = s->alias; a && *a; a += strcspn(a, "|"), a += *a == '|')
		if (!strncmp(a, verb, n) && (a[n] == '|' || !a[n]))
			return true;
	return false;
}

static const struct xf_subcmd *find_sub(const char *object, const char *verb,
					bool *verb_used, bool *known_object)
{
	const struct xf_subcmd *def = NULL;

	*verb_used = false;
	*known_object = false;
	for (const struct xf_subcmd *s = subcmds; s->object; s++) {
		if (strcmp(s->object, object))
			continue;
		*known_object = true;
		if (!s->verb)
			return s;
		if (verb && verb_is(s, verb)) {
			*verb_used = true;
			return s;
		}
		if (s->is_default)
			def = s;
	}
	/* "rule" alone lists; "rule uid 5" is not "rule list uid 5". */
	if (def && verb && !is_help(verb))
		return NULL;
	return def;
}

/* "rule --help": the object's verbs. */
static void print_object_help(struct xf_ctl *c, const char *object)
{
	fprintf(c->out, "Usage:\n");
	for (const struct xf_subcmd *s = subcmds; s->object; s++)
		if (!strcmp(s->object, object))
			fprintf(c->out, "  " PROG " %s\n", s->synopsis);
	fprintf(c->out, "\n'" PROG " %s VERB --help' explains each.\n", object);
	if (!strcmp(object, "rule"))
		fprintf(c->out, "\n%s", rule_selectors_help);
}

void xf_ctl_init(struct xf_ctl *c, FILE *out, FILE *err)
{
	memset(c, 0, sizeof(*c));
	c->out = out;
	c->err = err;
	c->o.f = out;
	c->replace_idx = -1;
}

void xf_ctl_free(struct xf_ctl *c)
{
	free(c->ids);
	free(c->rules);
	free(c->text);
	xf_nl_close(&c->nl);
	c->ids = NULL;
	c->rules = NULL;
	c->text = NULL;
}

int xf_ctl_parse(struct xf_ctl *c, int argc, char **argv)
{
	const struct xf_subcmd *s;
	bool verb_used, known;
	int color = -1;		/* auto */
	int i = 1;

	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			print_main_help(c->out);
			return XF_DONE;
		}
		if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
			fprintf(c->out, PROG " " XFILTER_VERSION " (xfilter protocol %u)\n",
				XFILTER_PROTO_VERSION);
			return XF_DONE;
		}
		if (!strcmp(a, "--json"))
			c->o.json = true;
		else if (!strcmp(a, "--pretty"))
			c->o.json = c->o.pretty = true;
		else if (!strcmp(a, "--stats"))
			c->o.stats = true;
		else if (!strcmp(a, "--timestamp"))
			c->o.timestamps = true;
		else if (!strcmp(a, "--color") || !strcmp(a, "--color=always"))
			color = 1;
		else if (!strcmp(a, "--color=never"))
			color = 0;
		else if (!strcmp(a, "--color=auto"))
			color = -1;
		else if (a[1] != '-') {
			/* Bundled short options: -js. */
			for (const char *p = a + 1; *p; p++) {
				switch (*p) {
				case 'j':
					c->o.json = true;
					break;
				case 'p':
					c->o.json = c->o.pretty = true;
					break;
				case 's':
					c->o.stats = true;
					break;
				case 't':
					c->o.timestamps = true;
					break;
				default:
					return usage(c, "unknown option '-%c'", *p);
				}
			}
		} else {
			return usage(c, "unknown option '%s'", a);
		}
	}
	if (color < 0)
		color = isatty(fileno(c->out)) && !getenv("NO_COLOR");
	c->o.color = color && !c->o.json;

	if (i >= argc)
		return usage(c, "what should I do? give an OBJECT");
	if (!strcmp(argv[i], "help")) {
		/* "help rule add" is "rule add --help". */
		if (i + 2 < argc)
			return xf_ctl_parse(c, 4, (char *[]){ argv[0], argv[i + 1],
							      argv[i + 2], "--help", NULL });
		if (i + 1 < argc)
			return xf_ctl_parse(c, 3, (char *[]){ argv[0], argv[i + 1],
							      "--help", NULL });
		print_main_help(c->out);
		return XF_DONE;
	}
	s = find_sub(argv[i], i + 1 < argc ? argv[i + 1] : NULL, &verb_used, &known);
	if (!known) {
		if (argv[i][0] == '-')
			return usage(c, "options go before the OBJECT: '%s'", argv[i]);
		return usage(c, "unknown object '%s'", argv[i]);
	}
	if (!s) {
		const char *verb = argv[i + 1];

		c->sub = NULL;
		if (verb && is_help(verb)) {
			print_object_help(c, argv[i]);
			return XF_DONE;
		}
		fprintf(c->err, PROG ": unknown %s verb '%s'\n", argv[i], verb);
		fprintf(c->err, "Try '" PROG " %s --help'.\n", argv[i]);
		return XF_EXIT_USAGE;
	}
	/* "rule --help" explains the object, not its default verb. */
	if (s->verb && !verb_used && i + 1 < argc && is_help(argv[i + 1])) {
		print_object_help(c, argv[i]);
		return XF_DONE;
	}
	c->sub = s;
	i += 1 + verb_used;
	return s->parse(c, argc - i, argv + i);
}

int xf_ctl_run(struct xf_ctl *c)
{
	int err;

	if (c->sub->run == run_restore && c->check_only)
		return run_restore(c);
	if (xf_nl_open(&c->nl)) {
		errmsg(c, "%s", c->nl.err.msg);
		return XF_EXIT_ERR;
	}
	/* Nothing is sent before the module is known to speak our protocol. */
	err = xf_nl_get_info(&c->nl, &c->info);
	if (err) {
		if (err == -EPROTONOSUPPORT || err == -EPROTO)
			errmsg(c, "%s", c->nl.err.msg);
		else
			xf_ctl_nl_fail(c, "info");
		return XF_EXIT_ERR;
	}
	return c->sub->run(c);
}

int xf_ctl_main(int argc, char **argv, FILE *out, FILE *err,
		xf_resolve_fn resolve)
{
	struct xf_ctl c;
	int ret;

	xf_ctl_init(&c, out, err);
	c.resolve = resolve;
	ret = xf_ctl_parse(&c, argc, argv);
	if (ret == XF_DONE)
		ret = XF_EXIT_OK;
	else if (!ret)
		ret = xf_ctl_run(&c);
	xf_ctl_free(&c);
	return ret;
}
