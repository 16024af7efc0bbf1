// SPDX-License-Identifier: GPL-2.0
/*
 * xfnl: the netns tier's netlink test tool. It plays xfilterd's part (owner
 * entries in batches, a resolver answering miss events from the guest
 * namespace's /proc), adds rules while the product's CLI cannot, and sends
 * malformed, hostile and unprivileged requests for the negative tests.
 *
 *   xfnl info
 *   xfnl owner-add DOMID GEN [--commit] SPEC...
 *        SPEC: proto=tcp|udp,g=ADDR:PORT[,p=ADDR:PORT][,pid=N][,tgid=N]
 *              [,uid=N][,gid=N][,suid=N][,comm=S][,inode=N][,start=N]
 *              [,flags=N]   (v6 as [ADDR]:PORT; no p= means any peer)
 *   xfnl commit DOMID GEN
 *   xfnl no-socket DOMID [--single] SPEC...
 *        MISS_RESOLVE for the SPECs' keys: one message (XFILTER_A_KEYS, up
 *        to XFILTER_MISS_KEYS_MAX keys each), or one per key with --single
 *   xfnl owner-del DOMID [SPEC]
 *        one entry (XFILTER_A_OWNER), or the domain's whole table
 *   xfnl owner-del DOMID [--keys] SPEC...
 *        the entries of the SPECs' keys as xfilterd removes them: lists
 *        (XFILTER_A_KEYS) of up to XFILTER_OWNER_DEL_KEYS_MAX keys each
 *   xfnl owners [DOMID]
 *   xfnl sync NETNS DOMID GEN [--synthetic N] [--no-commit] [--big]
 *        every socket of the namespace with its real owner, in batches
 *        (--big: each OWNER_ADD as large as one netlink nest allows)
 *   xfnl resolve NETNS [--delay-ms N] [--ignore] [--count N] [--seconds S] [--diag]
 *        [--ready FILE] [--fifo] [--budget N] [--period-ms MS] [--single]
 *        [--ns DOMID=NETNS]...: answers each miss with the owner found in
 *        NETNS (--ns: the domain's own; OWNER_ADD in the domain's
 *        generation) or with MISS_RESOLVE when no socket has the key; as
 *        xfilterd does, domains take turns (missq.h), each turn one read of
 *        the socket tables for all of a domain's queued misses (--diag: one
 *        sock_diag lookup per miss instead, like xfilterd's lookup in the
 *        guest's hash tables; needs inet_diag, tcp_diag and udp_diag), at most N turns
 *        per domain per period (default xfilterd's: 20 per 100 ms; 0: no
 *        limit); --fifo answers in arrival order, one scan per miss (the
 *        unfair resolver, to compare); every answer carries the scan
 *        stamp of its scan (the largest hold stamp seen before it began);
 *        a turn's "no socket" answers go as one MISS_RESOLVE (XFILTER_A_KEYS)
 *        when the module has XFILTER_FEAT_MISS_BATCH (--single: one per key)
 *   xfnl rule-add WORD...     verdict=accept|drop|reject|log dom= pid= tgid=
 *        uid= gid= comm= dir=in|out proto=tcp|udp|N family=4|6
 *        peer=ADDR[/PLEN] gport=N[-M] pport=N[-M] timeout=MS prio=N
 *        unknown (owner unknown) flags=N; prints id=N
 *   xfnl rule-gen N DOMID     N drop rules that match nothing (uid 3000+i)
 *   xfnl rule-del ID | rule-flush [DOMID] | rules [DOMID]
 *   xfnl rule-replace [--repeat N] [RULE ;]...   (words of each rule, rules
 *        split by ';'; --repeat: N replaces, the order flipped each time)
 *   xfnl domain-set DOMID [fail=open|closed] [enabled=0|1] [max=N]
 *   xfnl domain DOMID
 *   xfnl stats [DOMID]
 *   xfnl hostile [NAME...]    malformed requests (all, or the cases
 *                             named): each must be refused with an errno
 *                             and an extack message
 *   xfnl unpriv               privileged requests: each must get EPERM
 *   xfnl dump-abort N         N owner and rule dumps, each abandoned after
 *                             its first message (the socket closed mid-dump)
 *   xfnl stall [--seconds S] [--rcvbuf BYTES] [--ready FILE]
 *                             a miss-group listener that never reads (a hung
 *                             monitor) for S seconds (10), then counts the
 *                             events left in its buffer: prints
 *                             "stall queued=N overrun=0|1"
 * Exit codes: 0 ok, 1 error, 2 usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "missq.h"
#include "nl.h"
#include "procnet.h"
#include "xfmsg.h"

#define BATCH 200

static struct xf_nl nl;
/* sync --big: OWNER_ADD messages filled to the nest's 64 KiB, no count cap */
static int big_batches;

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr, "usage: xfnl COMMAND ... (see the head of tests/tools/xfnl.c)\n");
	exit(2);
}

static void __attribute__((noreturn)) die(const char *what)
{
	fprintf(stderr, "xfnl: %s: %s", what, strerror(-nl.err.error));
	if (nl.err.msg[0])
		fprintf(stderr, " (%s%s)", nl.err.from_kernel ? "kernel reports: " : "",
			nl.err.msg);
	fprintf(stderr, "\n");
	exit(1);
}

static void check(int rc, const char *what)
{
	if (rc)
		die(what);
}

static unsigned long long num(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end) {
		fprintf(stderr, "xfnl: not a number: '%s'\n", s);
		exit(2);
	}
	return v;
}

/* ADDR, ADDR:PORT, [V6ADDR]:PORT or "*"; returns the family or 0 for "*". */
static int parse_hostport(const char *in, uint8_t *addr, uint16_t *port)
{
	char buf[80], *host = buf, *p = NULL;

	snprintf(buf, sizeof(buf), "%s", in);
	*port = 0;
	if (!strcmp(buf, "*"))
		return 0;
	if (buf[0] == '[') {
		host = buf + 1;
		p = strchr(host, ']');
		if (!p)
			goto bad;
		*p++ = 0;
		p = *p == ':' ? p + 1 : NULL;
	} else if (strchr(buf, ':') == strrchr(buf, ':')) {
		p = strchr(buf, ':');
		if (p)
			*p++ = 0;
	}
	if (p)
		*port = (uint16_t)num(p);
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, host, addr) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, host, addr) == 1)
		return AF_INET6;
bad:
	fprintf(stderr, "xfnl: bad address '%s'\n", in);
	exit(2);
}

static int parse_proto(const char *s)
{
	if (!strcmp(s, "tcp"))
		return IPPROTO_TCP;
	if (!strcmp(s, "udp"))
		return IPPROTO_UDP;
	if (!strcmp(s, "icmp"))
		return IPPROTO_ICMP;
	if (!strcmp(s, "icmpv6"))
		return IPPROTO_ICMPV6;
	return (int)num(s);
}

static const char *proto_name(int p)
{
	static char buf[8];

	if (p == IPPROTO_TCP)
		return "tcp";
	if (p == IPPROTO_UDP)
		return "udp";
	snprintf(buf, sizeof(buf), "%d", p);
	return buf;
}

static void parse_owner(const char *spec, struct xf_owner *o)
{
	char buf[512], *tok, *save = NULL;

	memset(o, 0, sizeof(*o));
	XF_SET(o, XFILTER_OWNER_A_KEY);
	o->key.proto = IPPROTO_TCP;
	snprintf(buf, sizeof(buf), "%s", spec);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *v = strchr(tok, '=');

		if (!v)
			usage();
		*v++ = 0;
		if (!strcmp(tok, "proto")) {
			o->key.proto = (uint8_t)parse_proto(v);
		} else if (!strcmp(tok, "g")) {
			o->key.family = (uint8_t)parse_hostport(v, o->key.guest_addr,
								&o->key.guest_port);
		} else if (!strcmp(tok, "p")) {
			if (parse_hostport(v, o->key.peer_addr, &o->key.peer_port))
				o->key.has_peer_addr = true;
		} else if (!strcmp(tok, "pid")) {
			o->pid = (uint32_t)num(v);
			XF_SET(o, XFILTER_OWNER_A_PID);
		} else if (!strcmp(tok, "tgid")) {
			o->tgid = (uint32_t)num(v);
			XF_SET(o, XFILTER_OWNER_A_TGID);
		} else if (!strcmp(tok, "uid")) {
			o->uid = (uint32_t)num(v);
			XF_SET(o, XFILTER_OWNER_A_UID);
		} else if (!strcmp(tok, "gid")) {
			o->gid = (uint32_t)num(v);
			XF_SET(o, XFILTER_OWNER_A_GID);
		} else if (!strcmp(tok, "suid")) {
			o->sock_uid = (uint32_t)num(v);
			XF_SET(o, XFILTER_OWNER_A_SOCK_UID);
		} else if (!strcmp(tok, "comm")) {
			snprintf(o->comm, sizeof(o->comm), "%s", v);
			XF_SET(o, XFILTER_OWNER_A_COMM);
		} else if (!strcmp(tok, "inode")) {
			o->inode = num(v);
			XF_SET(o, XFILTER_OWNER_A_INODE);
		} else if (!strcmp(tok, "start")) {
			o->start_time = num(v);
			XF_SET(o, XFILTER_OWNER_A_START_TIME);
		} else if (!strcmp(tok, "flags")) {
			o->flags = (uint32_t)num(v);
			XF_SET(o, XFILTER_OWNER_A_FLAGS);
		} else {
			usage();
		}
	}
	if (!o->key.family)
		usage();
}

static void fmt_addr(int family, const uint8_t *a, uint16_t port, char *buf,
		     size_t len)
{
	char h[INET6_ADDRSTRLEN];

	inet_ntop(family, a, h, sizeof(h));
	if (family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", h, port);
	else
		snprintf(buf, len, "%s:%u", h, port);
}

static void fmt_key(const struct xf_key *k, char *buf, size_t len)
{
	char g[64], p[64] = "*";

	fmt_addr(k->family, k->guest_addr, k->guest_port, g, sizeof(g));
	if (k->has_peer_addr)
		fmt_addr(k->family, k->peer_addr, k->peer_port, p, sizeof(p));
	else if (k->peer_port)
		snprintf(p, sizeof(p), "*:%u", k->peer_port);
	snprintf(buf, len, "%s %s > %s", proto_name(k->proto), g, p);
}

/* ---- owner entries ---------------------------------------------------- */

struct batch {
	struct nl_msg *msg;
	struct nlattr *nest;
	uint32_t domid;
	uint64_t gen;
	unsigned int n, total, msgs;
	int has_scan;			/* resolver answers: XFILTER_A_SCAN_STAMP */
	uint64_t scan;
};

static void batch_flush(struct batch *b)
{
	if (!b->msg)
		return;
	nla_nest_end(b->msg, b->nest);
	check(xf_nl_request(&nl, b->msg, NULL, NULL), "OWNER_ADD");
	b->msg = NULL;
	b->total += b->n;
	b->msgs++;
	b->n = 0;
}

static void batch_add(struct batch *b, const struct xf_owner *o)
{
	if (!b->msg) {
		b->msg = big_batches ?
			xf_nl_msg_big(&nl, XFILTER_CMD_OWNER_ADD, 0) :
			xf_nl_msg(&nl, XFILTER_CMD_OWNER_ADD, 0);
		if (!b->msg || nla_put_u32(b->msg, XFILTER_A_DOMID, b->domid) ||
		    nla_put_u64(b->msg, XFILTER_A_GENERATION, b->gen) ||
		    (b->has_scan && nla_put_u64(b->msg, XFILTER_A_SCAN_STAMP, b->scan)))
			exit(1);
		b->nest = nla_nest_start(b->msg, XFILTER_A_OWNERS);
	}
	if (xf_owner_put(b->msg, XFILTER_A_OWNER, o)) {
		/* the message is full: send it and start the next one */
		if (!b->n) {
			fprintf(stderr, "xfnl: owner does not fit\n");
			exit(1);
		}
		batch_flush(b);
		batch_add(b, o);
		return;
	}
	++b->n;
	/*
	 * A nest's length is 16 bits: a big batch ends while one more owner
	 * (well under 512 bytes) still fits below 64 KiB.
	 */
	if (big_batches ? (char *)nlmsg_tail(nlmsg_hdr(b->msg)) - (char *)b->nest >
				  65535 - 512 :
			  b->n == BATCH)
		batch_flush(b);
}

static int commit(uint32_t domid, uint64_t gen)
{
	struct nl_msg *msg = xf_nl_msg(&nl, XFILTER_CMD_OWNER_COMMIT, 0);

	if (!msg || nla_put_u32(msg, XFILTER_A_DOMID, domid) ||
	    nla_put_u64(msg, XFILTER_A_GENERATION, gen))
		exit(1);
	return xf_nl_request(&nl, msg, NULL, NULL);
}

static int cmd_owner_add(int argc, char **argv)
{
	struct batch b = { 0 };
	int i, do_commit = 0;

	if (argc < 3)
		usage();
	b.domid = (uint32_t)num(argv[1]);
	b.gen = num(argv[2]);
	for (i = 3; i < argc; i++) {
		struct xf_owner o;

		if (!strcmp(argv[i], "--commit")) {
			do_commit = 1;
			continue;
		}
		parse_owner(argv[i], &o);
		batch_add(&b, &o);
	}
	batch_flush(&b);
	if (do_commit)
		check(commit(b.domid, b.gen), "OWNER_COMMIT");
	printf("pushed=%u\n", b.total);
	return 0;
}

/* "No socket" for the keys of SPECs, as the resolver answers a turn. */
static int cmd_no_socket(int argc, char **argv)
{
	struct xf_key keys[2 * XFILTER_MISS_KEYS_MAX];
	struct xf_nl_info info;
	size_t n = 0;
	int i, single = 0;

	if (argc < 3)
		usage();
	for (i = 2; i < argc; i++) {
		struct xf_owner o;

		if (!strcmp(argv[i], "--single")) {
			single = 1;
			continue;
		}
		if (n == sizeof(keys) / sizeof(keys[0]))
			usage();
		parse_owner(argv[i], &o);
		keys[n++] = o.key;
	}
	if (!n)
		usage();
	check(xf_nl_get_info(&nl, &info), "GET_INFO");
	check(xf_nl_no_socket(&nl, (uint32_t)num(argv[1]), keys, n, NULL,
			      !single && (info.features & XFILTER_FEAT_MISS_BATCH)),
	      "MISS_RESOLVE");
	printf("answered=%zu\n", n);
	return 0;
}

/* owner-del DOMID [--keys] SPEC...: XFILTER_A_KEYS, as xfilterd sends them */
static int owner_del_keys(int argc, char **argv)
{
	struct xf_key *keys = calloc((size_t)argc, sizeof(*keys));
	size_t n = 0;
	int i;

	if (!keys)
		exit(1);
	for (i = 2; i < argc; i++) {
		struct xf_owner o;

		if (!strcmp(argv[i], "--keys"))
			continue;
		parse_owner(argv[i], &o);
		keys[n++] = o.key;
	}
	if (!n)
		usage();
	check(xf_nl_owner_del_keys(&nl, (uint32_t)num(argv[1]), keys, n), "OWNER_DEL");
	printf("deleted-keys=%zu\n", n);
	free(keys);
	return 0;
}

static int cmd_commit(int argc, char **argv)
{
	if (argc != 3)
		usage();
	check(commit((uint32_t)num(argv[1]), num(argv[2])), "OWNER_COMMIT");
	return 0;
}

static int cmd_owner_del(int argc, char **argv)
{
	struct nl_msg *msg;

	if (argc < 2)
		usage();
	if (argc > 3 || (argc == 3 && !strcmp(argv[2], "--keys")))
		return owner_del_keys(argc, argv);
	msg = xf_nl_msg(&nl, XFILTER_CMD_OWNER_DEL, 0);
	if (!msg || nla_put_u32(msg, XFILTER_A_DOMID, (uint32_t)num(argv[1])))
		exit(1);
	if (argc == 3) {
		struct xf_owner o;
		struct nlattr *n;

		parse_owner(argv[2], &o);
		n = nla_nest_start(msg, XFILTER_A_OWNER);
		if (!n || xf_key_put(msg, XFILTER_OWNER_A_KEY, &o.key))
			exit(1);
		nla_nest_end(msg, n);
	}
	check(xf_nl_request(&nl, msg, NULL, NULL), "OWNER_DEL");
	return 0;
}

static int on_owner(const struct nlmsghdr *nlh, struct nlattr **tb, void *arg)
{
	struct xf_owner o;
	uint32_t domid = 0;
	char k[160];

	if (xf_owner_msg_parse(tb, &domid, &o))
		return -EINVAL;
	fmt_key(&o.key, k, sizeof(k));
	printf("dom=%u %s pid=%u tgid=%u uid=%u gid=%u comm=%s packets=%llu bytes=%llu gen=%llu\n",
	       domid, k, o.pid, o.tgid, o.uid, o.gid, o.comm,
	       (unsigned long long)o.packets, (unsigned long long)o.bytes,
	       (unsigned long long)o.generation);
	return 0;
}

static int cmd_owners(int argc, char **argv)
{
	struct nl_msg *msg = xf_nl_msg(&nl, XFILTER_CMD_OWNER_GET, 0);

	if (!msg || (argc > 1 && nla_put_u32(msg, XFILTER_A_DOMID, (uint32_t)num(argv[1]))))
		exit(1);
	check(xf_nl_dump(&nl, msg, on_owner, NULL), "OWNER_GET");
	return 0;
}

/* ---- the guest namespace's sockets ------------------------------------ */

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

/*
 * Address of a listed socket as the key family wants it: v4-mapped v6
 * addresses become v4, "any" stays all zeroes.
 */
static void sock_addr(const struct pn_sock *s, const uint8_t *a, int family,
		      uint8_t *out)
{
	memset(out, 0, 16);
	if (s->family == family)
		memcpy(out, a, family == AF_INET ? 4 : 16);
	else if (family == AF_INET && !memcmp(a, v4mapped, 12))
		memcpy(out, a + 12, 4);
}

static void owner_from_sock(const struct pn_sock *s, int family,
			    struct xf_owner *o)
{
	memset(o, 0, sizeof(*o));
	XF_SET(o, XFILTER_OWNER_A_KEY);
	o->key.family = (uint8_t)family;
	o->key.proto = s->proto;
	sock_addr(s, s->laddr, family, o->key.guest_addr);
	o->key.guest_port = s->lport;
	if (s->rport) {
		sock_addr(s, s->raddr, family, o->key.peer_addr);
		o->key.has_peer_addr = true;
		o->key.peer_port = s->rport;
	}
	o->sock_uid = s->sock_uid;
	o->inode = s->inode;
	o->state = s->state;
	XF_SET(o, XFILTER_OWNER_A_SOCK_UID);
	XF_SET(o, XFILTER_OWNER_A_INODE);
	if (s->proto == IPPROTO_TCP)
		XF_SET(o, XFILTER_OWNER_A_STATE);
	if (!s->has_owner) {
		o->flags = XFILTER_OWNER_F_UNATTRIBUTED;
		XF_SET(o, XFILTER_OWNER_A_FLAGS);
		return;
	}
	o->pid = o->tgid = (uint32_t)s->pid;
	o->uid = s->uid;
	o->gid = s->gid;
	o->start_time = s->start_ns;
	snprintf(o->comm, sizeof(o->comm), "%s", s->comm);
	XF_SET(o, XFILTER_OWNER_A_PID);
	XF_SET(o, XFILTER_OWNER_A_TGID);
	XF_SET(o, XFILTER_OWNER_A_UID);
	XF_SET(o, XFILTER_OWNER_A_GID);
	XF_SET(o, XFILTER_OWNER_A_COMM);
	XF_SET(o, XFILTER_OWNER_A_START_TIME);
}

static uint64_t netns_or_die(const char *name)
{
	uint64_t ino;
	int rc = pn_netns_ino(name, &ino);

	if (rc) {
		fprintf(stderr, "xfnl: netns %s: %s\n", name, strerror(-rc));
		exit(1);
	}
	return ino;
}

static int cmd_sync(int argc, char **argv)
{
	struct pn_table t = { 0 };
	struct batch b = { 0 };
	unsigned long synthetic = 0, i;
	int do_commit = 1, rc;

	if (argc < 4)
		usage();
	b.domid = (uint32_t)num(argv[2]);
	b.gen = num(argv[3]);
	for (i = 4; i < (unsigned long)argc; i++) {
		if (!strcmp(argv[i], "--synthetic") && i + 1 < (unsigned long)argc)
			synthetic = num(argv[++i]);
		else if (!strcmp(argv[i], "--no-commit"))
			do_commit = 0;
		else if (!strcmp(argv[i], "--big"))
			big_batches = 1;
		else
			usage();
	}
	rc = pn_collect(netns_or_die(argv[1]), &t);
	if (rc) {
		fprintf(stderr, "xfnl: reading sockets: %s\n", strerror(-rc));
		return 1;
	}
	for (i = 0; i < t.n; i++) {
		struct xf_owner o;

		const struct pn_sock *ps = &t.s[i];

		if (!ps->inode)	/* TIME_WAIT: no socket left to own */
			continue;
		/* v4-mapped: the flows are IPv4 ones */
		if (ps->family == AF_INET6 && !memcmp(ps->laddr, v4mapped, 12)) {
			owner_from_sock(ps, AF_INET, &o);
			batch_add(&b, &o);
			continue;
		}
		owner_from_sock(ps, ps->family, &o);
		batch_add(&b, &o);
		/*
		 * A v6 socket bound to any may also take IPv4 (unless
		 * IPV6_V6ONLY, which /proc does not show): own both.
		 */
		if (ps->family == AF_INET6 && !ps->rport &&
		    !memcmp(ps->laddr, (uint8_t[16]){ 0 }, 16)) {
			owner_from_sock(ps, AF_INET, &o);
			batch_add(&b, &o);
		}
	}
	/* Entries of flows that never appear: 10.255.x.y <-> 10.254.x.y */
	for (i = 0; i < synthetic; i++) {
		struct xf_owner o = { 0 };

		XF_SET(&o, XFILTER_OWNER_A_KEY);
		o.key.family = AF_INET;
		o.key.proto = IPPROTO_TCP;
		o.key.guest_addr[0] = 10;
		o.key.guest_addr[1] = 255;
		o.key.guest_addr[2] = (uint8_t)(i >> 8);
		o.key.guest_addr[3] = (uint8_t)i;
		o.key.guest_port = (uint16_t)(1024 + i % 60000);
		o.key.peer_addr[0] = 10;
		o.key.peer_addr[1] = 254;
		o.key.peer_addr[2] = (uint8_t)(i >> 8);
		o.key.peer_addr[3] = (uint8_t)i;
		o.key.has_peer_addr = true;
		o.key.peer_port = 5201;
		o.pid = o.tgid = (uint32_t)(100000 + i);
		o.uid = o.gid = 2000;
		snprintf(o.comm, sizeof(o.comm), "synth%lu", i % 100);
		XF_SET(&o, XFILTER_OWNER_A_PID);
		XF_SET(&o, XFILTER_OWNER_A_TGID);
		XF_SET(&o, XFILTER_OWNER_A_UID);
		XF_SET(&o, XFILTER_OWNER_A_GID);
		XF_SET(&o, XFILTER_OWNER_A_COMM);
		batch_add(&b, &o);
	}
	batch_flush(&b);
	if (do_commit)
		check(commit(b.domid, b.gen), "OWNER_COMMIT");
	printf("pushed=%u msgs=%u sockets=%zu gen=%llu\n", b.total, b.msgs, t.n,
	       (unsigned long long)b.gen);
	pn_free(&t);
	return 0;
}

/* ---- resolver ---------------------------------------------------------- */

#define RESOLVE_NS 8

struct resolver {
	uint64_t netns;
	unsigned int nr_ns;
	uint32_t ns_dom[RESOLVE_NS];
	uint64_t ns[RESOLVE_NS];
	const char *ns_name[RESOLVE_NS];
	pid_t reader[RESOLVE_NS + 1];	/* per namespace, see pn_sockets() */
	/* --diag: a sock_diag socket and the owners' pids per namespace */
	int diag_fd[RESOLVE_NS + 1];
	struct pn_pids pids[RESOLVE_NS + 1];
	long delay_ms;
	int ignore, fifo, diag;
	int batch;		/* "no socket" answers of a turn in one message */
	long count, seen;
	struct xf_missq q;
	/* a turn's "no socket" answers, sent together at its end */
	struct xf_key nosock[XF_MISSQ_DEPTH];
	const struct xf_miss *nosock_m[XF_MISSQ_DEPTH];
	size_t n_nosock;
};

static int on_domain_gen(const struct nlmsghdr *nlh, struct nlattr **tb, void *arg)
{
	struct xf_domain d;

	if (tb[XFILTER_A_DOMAIN] && !xf_domain_parse(tb[XFILTER_A_DOMAIN], &d) &&
	    XF_HAS(&d, XFILTER_DOMAIN_A_GENERATION))
		*(uint64_t *)arg = d.generation;
	return 0;
}

/* The generation the domain's table is in now, so that a commit sweeps nothing. */
static uint64_t domain_gen(uint32_t domid)
{
	struct nl_msg *msg = xf_nl_msg(&nl, XFILTER_CMD_DOMAIN_GET, 0);
	uint64_t gen = 0;

	if (!msg || nla_put_u32(msg, XFILTER_A_DOMID, domid))
		exit(1);
	if (xf_nl_request(&nl, msg, on_domain_gen, &gen))
		return 1;
	return gen ? gen : 1;
}

/*
 * Answers one miss from a scan taken after it arrived; scan is the scan
 * stamp taken just before that scan (missq.h): the module lets the answer
 * decide only the packets held up to it.
 */
/*
 * Returns whether the miss found its owner. A miss of no socket is only
 * noted in r: answer_nosock() answers the turn's such misses together.
 */
static bool answer_one(struct resolver *r, const struct xf_miss *m,
		       const struct pn_table *t, uint64_t scan)
{
	const struct pn_sock *s;
	char k[160];
	int rc;

	fmt_key(&m->key, k, sizeof(k));
	s = pn_match(t, m->key.family, m->key.proto, m->key.guest_addr,
		     m->key.guest_port,
		     m->key.has_peer_addr ? m->key.peer_addr : NULL, m->key.peer_port);
	if (s && s->inode) {
		struct xf_owner o;
		struct batch b = { .domid = m->domid, .gen = domain_gen(m->domid),
				   .has_scan = 1, .scan = scan };

		/*
		 * Added, not committed: a commit sweeps the domain's whole
		 * table, and this entry has the domain's generation already.
		 */
		owner_from_sock(s, m->key.family, &o);
		batch_add(&b, &o);
		batch_flush(&b);
		rc = 0;
		printf("miss dom=%u dir=%u if=%s %s -> %s pid=%d uid=%u comm=%s gen=%llu rc=%d "
		       "stamp=%llu scan=%llu\n",
		       m->domid, m->dir, m->ifname, k, s->rport ? "exact" : "wild",
		       s->has_owner ? s->pid : -1, s->uid, s->comm,
		       (unsigned long long)b.gen, rc, (unsigned long long)m->stamp,
		       (unsigned long long)scan);
	} else {
		r->nosock[r->n_nosock] = m->key;
		r->nosock_m[r->n_nosock++] = m;
		return false;
	}
	if (rc)
		fprintf(stderr, "xfnl: answer: %s %s\n", strerror(-nl.err.error), nl.err.msg);
	return true;
}

/*
 * The turn's misses of no socket: one MISS_RESOLVE for all of them (the
 * module decides their held packets in one pass), or one per key with
 * --single or a module without XFILTER_FEAT_MISS_BATCH. Their lines are
 * written at once: a write per line would be the resolver's own cost.
 */
static void answer_nosock(struct resolver *r, uint64_t scan)
{
	static char buf[XF_MISSQ_DEPTH * 256];
	size_t i, len = 0;
	char k[160];
	int rc;

	if (!r->n_nosock)
		return;
	rc = xf_nl_no_socket(&nl, r->nosock_m[0]->domid, r->nosock, r->n_nosock, &scan,
			     r->batch);
	if (rc)
		fprintf(stderr, "xfnl: answer: %s %s\n", strerror(-nl.err.error), nl.err.msg);
	for (i = 0; i < r->n_nosock; i++) {
		const struct xf_miss *m = r->nosock_m[i];
		int w;

		fmt_key(&m->key, k, sizeof(k));
		w = snprintf(buf + len, sizeof(buf) - len,
			     "miss dom=%u dir=%u if=%s %s -> none rc=%d stamp=%llu scan=%llu "
			     "batch=%zu\n", m->domid, m->dir, m->ifname, k, rc,
			     (unsigned long long)m->stamp, (unsigned long long)scan,
			     r->batch ? r->n_nosock : 1);
		if (w < 0 || (size_t)w >= sizeof(buf) - len)
			break;
		len += (size_t)w;
	}
	fwrite(buf, 1, len, stdout);
	r->n_nosock = 0;
}

static double mono_ms(void);

/*
 * One turn: one read of the namespace's sockets answers n misses of one
 * domain. A "turn" line says how long it took (ms of CLOCK_MONOTONIC).
 */
static int answer_misses(struct resolver *r, const struct xf_miss *m, size_t n)
{
	double t_turn = mono_ms();
	struct pn_table t = { 0 };
	uint64_t netns = r->netns, scan;
	unsigned int ns = RESOLVE_NS;
	pid_t *reader = &r->reader[RESOLVE_NS];
	size_t i, found = 0;
	bool any = false;
	int rc;

	for (i = 0; i < r->nr_ns; i++)
		if (r->ns_dom[i] == m[0].domid) {
			netns = r->ns[i];
			reader = &r->reader[i];
			ns = (unsigned int)i;
		}
	if (r->delay_ms > 0)
		usleep((useconds_t)(r->delay_ms * 1000));
	/* before the scan: no event is read until the turn is over */
	scan = xf_missq_scan_stamp(&r->q);
	if (r->diag) {
		double t_look = 0;

		/* one kernel lookup per miss, as xfilterd's per flow */
		for (i = 0; i < n; i++) {
			struct pn_sock s;
			struct pn_table one = { .s = &s, .n = 1, .cap = 1 };

			double t0 = mono_ms();
			int got = pn_diag_lookup(r->diag_fd[ns], m[i].key.family,
						 m[i].key.proto, m[i].key.guest_addr,
						 m[i].key.guest_port,
						 m[i].key.has_peer_addr ?
						 m[i].key.peer_addr : NULL,
						 m[i].key.peer_port, &s);

			rc = got > 0 ? pn_owner(netns, &r->pids[ns], &s) : got;
			t_look += mono_ms() - t0;
			if (rc < 0) {
				fprintf(stderr, "xfnl: sock_diag lookup: %s\n", strerror(-rc));
				return rc;
			}
			/* no socket, or one without an inode (closing, TIME_WAIT) */
			if (got <= 0 || !s.inode)
				one.n = 0;
			found += answer_one(r, &m[i], &one, scan);
		}
		answer_nosock(r, scan);
		xf_missq_found(&r->q, m[0].domid, found);
		printf("turn dom=%u misses=%zu found=%zu at_ms=%.1f ms=%.3f lookups_ms=%.3f\n",
		       m[0].domid, n, found, t_turn, mono_ms() - t_turn, t_look);
		return 0;
	}
	/*
	 * Like xfilterd's turn: the sockets first, and the owners (every
	 * process's fds, the costly part) only when some miss has a socket.
	 * Misses of no socket are answered from the sockets alone.
	 */
	rc = pn_sockets(netns, reader, &t);
	for (i = 0; !rc && i < n && !any; i++) {
		const struct pn_sock *s = pn_match(&t, m[i].key.family, m[i].key.proto,
						   m[i].key.guest_addr, m[i].key.guest_port,
						   m[i].key.has_peer_addr ?
						   m[i].key.peer_addr : NULL,
						   m[i].key.peer_port);

		any = s && s->inode;
	}
	if (!rc && any)
		rc = pn_owners(netns, &t);
	if (rc) {
		fprintf(stderr, "xfnl: reading sockets: %s\n", strerror(-rc));
		return rc;
	}
	for (i = 0; i < n; i++)
		found += answer_one(r, &m[i], &t, scan);
	answer_nosock(r, scan);
	pn_free(&t);
	/* a turn that found nobody: the domain's budget halves (missq.h) */
	xf_missq_found(&r->q, m[0].domid, found);
	printf("turn dom=%u misses=%zu found=%zu at_ms=%.1f ms=%.3f\n", m[0].domid, n, found,
	       t_turn, mono_ms() - t_turn);
	return 0;
}

static double mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int on_miss(const struct nlmsghdr *nlh, struct nlattr **tb, void *arg)
{
	struct resolver *r = arg;
	struct xf_miss m;
	char k[160];

	if (xf_nl_cmd(nlh) != XFILTER_CMD_MISS)
		return 0;
	if (xf_miss_msg_parse(tb, &m)) {
		printf("miss: malformed event\n");
		return 0;
	}
	r->seen++;
	xf_missq_saw(&r->q, m.stamp);
	if (r->ignore) {
		fmt_key(&m.key, k, sizeof(k));
		printf("miss dom=%u dir=%u if=%s %s -> ignored\n", m.domid, m.dir,
		       m.ifname, k);
		return 0;
	}
	if (r->fifo)
		return answer_misses(r, &m, 1);
	if (xf_missq_push(&r->q, &m, mono_ms()) < 0) {
		fmt_key(&m.key, k, sizeof(k));
		printf("miss dom=%u dir=%u if=%s %s -> not queued\n", m.domid, m.dir,
		       m.ifname, k);
	}
	return 0;
}

/* Reads every event pending now (bounded: turns must go on under a flood). */
static void drain_events(struct xf_nl *ev, struct resolver *r)
{
	int i, rc;

	for (i = 0; i < 1024; i++) {
		struct pollfd p = { .fd = xf_nl_fd(ev), .events = POLLIN };

		if (poll(&p, 1, 0) <= 0)
			return;
		rc = xf_nl_events(ev, on_miss, r);
		if (rc == -ENOBUFS)
			printf("resolver: events lost (ENOBUFS)\n");
		else if (rc)
			fprintf(stderr, "xfnl: events: %s\n", ev->err.msg);
		if (r->fifo)
			return;
	}
}

static int cmd_resolve(int argc, char **argv)
{
	struct resolver r = { .count = -1 };
	struct xf_miss batch[XF_MISSQ_DEPTH];
	struct xf_nl ev;
	const char *ready = NULL;
	double seconds = 0, t0, period_ms = XF_MISSQ_PERIOD_MS;
	unsigned int budget = XF_MISSQ_TURNS;
	struct xf_nl_info info;
	int i, rc, single = 0;

	if (argc < 2)
		usage();
	r.netns = netns_or_die(argv[1]);
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--delay-ms") && i + 1 < argc)
			r.delay_ms = (long)num(argv[++i]);
		else if (!strcmp(argv[i], "--ignore"))
			r.ignore = 1;
		else if (!strcmp(argv[i], "--fifo"))
			r.fifo = 1;
		else if (!strcmp(argv[i], "--diag"))
			r.diag = 1;
		else if (!strcmp(argv[i], "--single"))
			single = 1;
		else if (!strcmp(argv[i], "--budget") && i + 1 < argc)
			budget = (unsigned int)num(argv[++i]);
		else if (!strcmp(argv[i], "--ns") && i + 1 < argc && strchr(argv[i + 1], '=') &&
			 r.nr_ns < RESOLVE_NS) {
			char *eq = strchr(argv[++i], '=');

			*eq = 0;
			r.ns_dom[r.nr_ns] = (uint32_t)num(argv[i]);
			r.ns_name[r.nr_ns] = eq + 1;
			r.ns[r.nr_ns++] = netns_or_die(eq + 1);
		} else if (!strcmp(argv[i], "--period-ms") && i + 1 < argc)
			period_ms = (double)num(argv[++i]);
		else if (!strcmp(argv[i], "--count") && i + 1 < argc)
			r.count = (long)num(argv[++i]);
		else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = atof(argv[++i]);
		else if (!strcmp(argv[i], "--ready") && i + 1 < argc)
			ready = argv[++i];
		else
			usage();
	}
	/* --ns namespaces in their slots, the default one in the last, as for the readers */
	for (i = 0; r.diag && i <= RESOLVE_NS; i++) {
		const char *name = i < (int)r.nr_ns ? r.ns_name[i] : i == RESOLVE_NS ? argv[1] : NULL;

		if (!name)
			continue;
		r.diag_fd[i] = pn_diag_open(name);
		if (r.diag_fd[i] < 0) {
			fprintf(stderr, "xfnl: sock_diag in %s: %s\n", name, strerror(-r.diag_fd[i]));
			return 1;
		}
	}
	check(xf_nl_get_info(&nl, &info), "GET_INFO");
	r.batch = !single && (info.features & XFILTER_FEAT_MISS_BATCH);
	/* misses older than the module's hold deadline were decided already */
	xf_missq_init(&r.q, budget, period_ms, 900);
	if (xf_nl_open(&ev) || xf_nl_subscribe(&ev, XFILTER_MCGRP_MISS)) {
		nl.err = ev.err;
		die("subscribe to the miss group");
	}
	if (ready) {
		FILE *f = fopen(ready, "w");

		if (f)
			fclose(f);
	}
	printf("resolver ready\n");
	t0 = mono_ms();
	while (r.count < 0 || r.seen < r.count || xf_missq_pending(&r.q)) {
		struct pollfd p = { .fd = xf_nl_fd(&ev), .events = POLLIN };
		double wait = xf_missq_wait_ms(&r.q, mono_ms());
		int ms = wait < 0 ? -1 : (int)wait + (wait > (int)wait);
		size_t n;

		if (seconds > 0) {
			int left = (int)(seconds * 1000 - (mono_ms() - t0));

			if (left <= 0)
				break;
			ms = ms < 0 || left < ms ? left : ms;
		}
		rc = poll(&p, 1, ms);
		if (rc < 0 && errno != EINTR)
			break;
		if (rc > 0)
			drain_events(&ev, &r);
		n = xf_missq_take(&r.q, mono_ms(), batch, XF_MISSQ_DEPTH);
		if (n)
			answer_misses(&r, batch, n);
	}
	printf("resolver done misses=%ld turns=%llu coalesced=%llu dropped=%llu expired=%llu "
	       "deferred=%llu fruitless=%llu\n", r.seen, (unsigned long long)r.q.st.walks,
	       (unsigned long long)r.q.st.coalesced, (unsigned long long)r.q.st.dropped,
	       (unsigned long long)r.q.st.expired, (unsigned long long)r.q.st.deferred,
	       (unsigned long long)r.q.st.fruitless);
	xf_missq_free(&r.q);
	xf_nl_close(&ev);
	return 0;
}

/* ---- rules -------------------------------------------------------------- */

static void parse_range(const char *v, uint16_t *lo, uint16_t *hi, int *has_hi)
{
	const char *dash = strchr(v, '-');
	char buf[16];

	if (!dash) {
		*lo = (uint16_t)num(v);
		*has_hi = 0;
		return;
	}
	snprintf(buf, sizeof(buf), "%.*s", (int)(dash - v), v);
	*lo = (uint16_t)num(buf);
	*hi = (uint16_t)num(dash + 1);
	*has_hi = 1;
}

/* Parses rule words argv[0..argc-1]; returns the number used. */
static int parse_rule(int argc, char **argv, struct xf_rule *r)
{
	int i, has_hi;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < argc && strcmp(argv[i], ";"); i++) {
		char w[128], *v;

		snprintf(w, sizeof(w), "%s", argv[i]);
		if (!strcmp(w, "unknown")) {
			r->flags |= XFILTER_RULE_F_OWNER_UNKNOWN;
			XF_SET(r, XFILTER_RULE_A_FLAGS);
			continue;
		}
		v = strchr(w, '=');
		if (!v)
			usage();
		*v++ = 0;
		if (!strcmp(w, "verdict")) {
			XF_SET(r, XFILTER_RULE_A_VERDICT);
			r->verdict = !strcmp(v, "accept") ? XFILTER_VERDICT_ACCEPT :
				     !strcmp(v, "drop") ? XFILTER_VERDICT_DROP :
				     !strcmp(v, "reject") ? XFILTER_VERDICT_REJECT :
				     !strcmp(v, "log") ? XFILTER_VERDICT_LOG :
				     (uint8_t)num(v);
		} else if (!strcmp(w, "dom")) {
			r->domid = (uint32_t)num(v);
			XF_SET(r, XFILTER_RULE_A_DOMID);
		} else if (!strcmp(w, "pid")) {
			r->pid = (uint32_t)num(v);
			XF_SET(r, XFILTER_RULE_A_PID);
		} else if (!strcmp(w, "tgid")) {
			r->tgid = (uint32_t)num(v);
			XF_SET(r, XFILTER_RULE_A_TGID);
		} else if (!strcmp(w, "uid")) {
			r->uid = (uint32_t)num(v);
			XF_SET(r, XFILTER_RULE_A_UID);
		} else if (!strcmp(w, "gid")) {
			r->gid = (uint32_t)num(v);
			XF_SET(r, XFILTER_RULE_A_GID);
		} else if (!strcmp(w, "comm")) {
			snprintf(r->comm, sizeof(r->comm), "%s", v);
			XF_SET(r, XFILTER_RULE_A_COMM);
		} else if (!strcmp(w, "dir")) {
			r->dir = !strcmp(v, "out") ? XFILTER_DIR_OUT :
				 !strcmp(v, "in") ? XFILTER_DIR_IN : (uint8_t)num(v);
			XF_SET(r, XFILTER_RULE_A_DIR);
		} else if (!strcmp(w, "proto")) {
			r->proto = (uint8_t)parse_proto(v);
			XF_SET(r, XFILTER_RULE_A_PROTO);
		} else if (!strcmp(w, "family")) {
			r->family = !strcmp(v, "4") ? AF_INET :
				    !strcmp(v, "6") ? AF_INET6 : (uint8_t)num(v);
			XF_SET(r, XFILTER_RULE_A_FAMILY);
		} else if (!strcmp(w, "peer")) {
			char *slash = strchr(v, '/');
			uint16_t port;
			int fam;

			if (slash)
				*slash++ = 0;
			fam = parse_hostport(v, r->peer_addr, &port);
			r->peer_plen = slash ? (uint8_t)num(slash) :
				       (fam == AF_INET ? 32 : 128);
			XF_SET(r, XFILTER_RULE_A_PEER_ADDR);
			XF_SET(r, XFILTER_RULE_A_PEER_PLEN);
			if (!XF_HAS(r, XFILTER_RULE_A_FAMILY)) {
				r->family = (uint8_t)fam;
				XF_SET(r, XFILTER_RULE_A_FAMILY);
			}
		} else if (!strcmp(w, "gport")) {
			parse_range(v, &r->guest_port_min, &r->guest_port_max, &has_hi);
			XF_SET(r, XFILTER_RULE_A_GUEST_PORT_MIN);
			if (has_hi)
				XF_SET(r, XFILTER_RULE_A_GUEST_PORT_MAX);
		} else if (!strcmp(w, "pport")) {
			parse_range(v, &r->peer_port_min, &r->peer_port_max, &has_hi);
			XF_SET(r, XFILTER_RULE_A_PEER_PORT_MIN);
			if (has_hi)
				XF_SET(r, XFILTER_RULE_A_PEER_PORT_MAX);
		} else if (!strcmp(w, "timeout")) {
			r->timeout_ms = (uint32_t)num(v);
			XF_SET(r, XFILTER_RULE_A_TIMEOUT_MS);
		} else if (!strcmp(w, "prio")) {
			r->prio = (uint32_t)num(v);
			XF_SET(r, XFILTER_RULE_A_PRIO);
		} else if (!strcmp(w, "flags")) {
			r->flags = (uint32_t)num(v);
			XF_SET(r, XFILTER_RULE_A_FLAGS);
		} else if (!strcmp(w, "id")) {
			r->id = (uint32_t)num(v);
			XF_SET(r, XFILTER_RULE_A_ID);
		} else {
			usage();
		}
	}
	return i;
}

static const char *verdict_name(int v)
{
	static const char *const n[] = { "none", "accept", "drop", "reject", "log" };

	return v >= 0 && v <= XFILTER_VERDICT_MAX ? n[v] : "?";
}

static void print_rule(const struct xf_rule *r)
{
	printf("id=%u", r->id);
	if (XF_HAS(r, XFILTER_RULE_A_PRIO))
		printf(" prio=%u", r->prio);
	printf(" verdict=%s", verdict_name(r->verdict));
	if (XF_HAS(r, XFILTER_RULE_A_DOMID))
		printf(" dom=%u", r->domid);
	if (XF_HAS(r, XFILTER_RULE_A_PID))
		printf(" pid=%u", r->pid);
	if (XF_HAS(r, XFILTER_RULE_A_UID))
		printf(" uid=%u", r->uid);
	if (XF_HAS(r, XFILTER_RULE_A_COMM))
		printf(" comm=%s", r->comm);
	if (XF_HAS(r, XFILTER_RULE_A_HITS))
		printf(" hits=%llu", (unsigned long long)r->hits);
	if (XF_HAS(r, XFILTER_RULE_A_BYTES))
		printf(" bytes=%llu", (unsigned long long)r->bytes);
	if (XF_HAS(r, XFILTER_RULE_A_EXPIRES_MS))
		printf(" expires_ms=%u", r->expires_ms);
	printf("\n");
}

static int on_rule(const struct nlmsghdr *nlh, struct nlattr **tb, void *arg)
{
	struct xf_rule r;

	if (!tb[XFILTER_A_RULE] || xf_rule_parse(tb[XFILTER_A_RULE], &r))
		return -EINVAL;
	if (arg)
		*(uint32_t *)arg = r.id;
	else
		print_rule(&r);
	return 0;
}

static int cmd_rule_add(int argc, char **argv)
{
	struct xf_rule r;
	struct nl_msg *msg;
	uint32_t id = 0;

	parse_rule(argc - 1, argv + 1, &r);
	msg = xf_nl_msg(&nl, XFILTER_CMD_RULE_NEW, NLM_F_ECHO);
	if (!msg || xf_rule_put(msg, XFILTER_A_RULE, &r))
		exit(1);
	check(xf_nl_request(&nl, msg, on_rule, &id), "RULE_NEW");
	printf("id=%u\n", id);
	return 0;
}

static int cmd_rule_gen(int argc, char **argv)
{
	unsigned long n, i;
	uint32_t domid;

	if (argc != 3)
		usage();
	n = num(argv[1]);
	domid = (uint32_t)num(argv[2]);
	for (i = 0; i < n; i++) {
		struct xf_rule r = { 0 };
		struct nl_msg *msg;

		r.verdict = XFILTER_VERDICT_DROP;
		r.domid = domid;
		r.uid = (uint32_t)(3000 + i);
		XF_SET(&r, XFILTER_RULE_A_VERDICT);
		XF_SET(&r, XFILTER_RULE_A_DOMID);
		XF_SET(&r, XFILTER_RULE_A_UID);
		msg = xf_nl_msg(&nl, XFILTER_CMD_RULE_NEW, 0);
		if (!msg || xf_rule_put(msg, XFILTER_A_RULE, &r))
			exit(1);
		check(xf_nl_request(&nl, msg, NULL, NULL), "RULE_NEW");
	}
	printf("rules=%lu\n", n);
	return 0;
}

static int cmd_rule_del(int argc, char **argv)
{
	struct xf_rule r = { 0 };
	struct nl_msg *msg;

	if (argc != 2)
		usage();
	r.id = (uint32_t)num(argv[1]);
	XF_SET(&r, XFILTER_RULE_A_ID);
	msg = xf_nl_msg(&nl, XFILTER_CMD_RULE_DEL, 0);
	if (!msg || xf_rule_put(msg, XFILTER_A_RULE, &r))
		exit(1);
	check(xf_nl_request(&nl, msg, NULL, NULL), "RULE_DEL");
	return 0;
}

static int cmd_rule_flush(int argc, char **argv)
{
	struct nl_msg *msg = xf_nl_msg(&nl, XFILTER_CMD_RULE_FLUSH, 0);

	if (!msg || (argc > 1 && nla_put_u32(msg, XFILTER_A_DOMID, (uint32_t)num(argv[1]))))
		exit(1);
	check(xf_nl_request(&nl, msg, NULL, NULL), "RULE_FLUSH");
	return 0;
}

static int cmd_rules(int argc, char **argv)
{
	struct nl_msg *msg = xf_nl_msg(&nl, XFILTER_CMD_RULE_GET, 0);

	if (!msg || (argc > 1 && nla_put_u32(msg, XFILTER_A_DOMID, (uint32_t)num(argv[1]))))
		exit(1);
	check(xf_nl_dump(&nl, msg, on_rule, NULL), "RULE_GET");
	return 0;
}

static int on_gen(const struct nlmsghdr *nlh, struct nlattr **tb, void *arg)
{
	if (tb[XFILTER_A_RULES_GEN])
		*(uint64_t *)arg = nla_get_u64(tb[XFILTER_A_RULES_GEN]);
	return 0;
}

static int cmd_rule_replace(int argc, char **argv)
{
	struct xf_rule rules[64];
	unsigned long repeat = 1, k;
	uint64_t gen = 0;
	int i = 1, n = 0, j;

	if (argc > 2 && !strcmp(argv[1], "--repeat")) {
		repeat = num(argv[2]);
		i = 3;
	}
	while (i < argc) {
		int used;

		if (n == (int)(sizeof(rules) / sizeof(rules[0])))
			usage();
		used = parse_rule(argc - i, argv + i, &rules[n]);
		if (used)
			n++;
		i += used + 1;
	}
	/* --repeat: the set again and again, its order flipped each time */
	for (k = 0; k < repeat; k++) {
		struct nl_msg *msg = xf_nl_msg(&nl, XFILTER_CMD_RULE_REPLACE, 0);
		struct nlattr *nest;

		if (!msg)
			exit(1);
		nest = nla_nest_start(msg, XFILTER_A_RULES);
		for (j = 0; j < n; j++)
			if (xf_rule_put(msg, XFILTER_A_RULE, &rules[k % 2 ? n - 1 - j : j]))
				exit(1);
		nla_nest_end(msg, nest);
		check(xf_nl_request(&nl, msg, on_gen, &gen), "RULE_REPLACE");
	}
	if (repeat != 1)
		printf("replaces=%lu ", repeat);
	printf("rules_gen=%llu\n", (unsigned long long)gen);
	return 0;
}

/* ---- domains, counters, info ------------------------------------------ */

static int cmd_domain_set(int argc, char **argv)
{
	struct xf_domain d = { 0 };
	struct nl_msg *msg;
	int i;

	if (argc < 2)
		usage();
	d.domid = (uint32_t)num(argv[1]);
	XF_SET(&d, XFILTER_DOMAIN_A_DOMID);
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "fail=open")) {
			d.fail_mode = XFILTER_FAIL_OPEN;
		} else if (!strcmp(argv[i], "fail=closed")) {
			d.fail_mode = XFILTER_FAIL_CLOSED;
		} else if (!strncmp(argv[i], "fail=", 5)) {
			d.fail_mode = (uint8_t)num(argv[i] + 5);
		} else if (!strncmp(argv[i], "enabled=", 8)) {
			d.enabled = num(argv[i] + 8) != 0;
			XF_SET(&d, XFILTER_DOMAIN_A_ENABLED);
			continue;
		} else if (!strncmp(argv[i], "max=", 4)) {
			d.max_entries = (uint32_t)num(argv[i] + 4);
			XF_SET(&d, XFILTER_DOMAIN_A_MAX_ENTRIES);
			continue;
		} else {
			usage();
		}
		XF_SET(&d, XFILTER_DOMAIN_A_FAIL_MODE);
	}
	msg = xf_nl_msg(&nl, XFILTER_CMD_DOMAIN_SET, 0);
	if (!msg || xf_domain_put(msg, XFILTER_A_DOMAIN, &d))
		exit(1);
	check(xf_nl_request(&nl, msg, NULL, NULL), "DOMAIN_SET");
	return 0;
}

static int on_domain(const struct nlmsghdr *nlh, struct nlattr **tb, void *arg)
{
	struct xf_domain d;
	unsigned int i;

	if (!tb[XFILTER_A_DOMAIN] || xf_domain_parse(tb[XFILTER_A_DOMAIN], &d))
		return -EINVAL;
	printf("dom=%u fail=%s enabled=%d max=%u entries=%u gen=%llu held=%u vifs=",
	       d.domid, d.fail_mode == XFILTER_FAIL_CLOSED ? "closed" : "open",
	       d.enabled, d.max_entries, d.entries,
	       (unsigned long long)d.generation, d.held);
	for (i = 0; i < d.nvifs; i++)
		printf("%s%s", i ? "," : "", d.vifs[i]);
	printf("\n");
	return 0;
}

static int cmd_domain(int argc, char **argv)
{
	struct nl_msg *msg = xf_nl_msg(&nl, XFILTER_CMD_DOMAIN_GET, 0);

	if (!msg)
		exit(1);
	if (argc > 1) {
		if (nla_put_u32(msg, XFILTER_A_DOMID, (uint32_t)num(argv[1])))
			exit(1);
		check(xf_nl_request(&nl, msg, on_domain, NULL), "DOMAIN_GET");
	} else {
		check(xf_nl_dump(&nl, msg, on_domain, NULL), "DOMAIN_GET");
	}
	return 0;
}

static int on_stats(const struct nlmsghdr *nlh, struct nlattr **tb, void *arg)
{
	struct xf_stats s;
	int i;

	if (xf_stats_msg_parse(tb, &s))
		return -EINVAL;
	for (i = 1; i <= XFILTER_STATS_A_MAX; i++)
		if (xf_stats_name(i) && (s.present & XF_BIT(i)))
			printf("%s %llu\n", xf_stats_name(i), (unsigned long long)s.v[i]);
	return 0;
}

static int cmd_stats(int argc, char **argv)
{
	struct nl_msg *msg = xf_nl_msg(&nl, XFILTER_CMD_STATS_GET, 0);

	if (!msg || (argc > 1 && nla_put_u32(msg, XFILTER_A_DOMID, (uint32_t)num(argv[1]))))
		exit(1);
	check(xf_nl_request(&nl, msg, on_stats, NULL), "STATS_GET");
	return 0;
}

static int cmd_info(int argc, char **argv)
{
	struct xf_nl_info info;

	check(xf_nl_get_info(&nl, &info), "GET_INFO");
	printf("proto_min=%u proto_max=%u features=0x%llx version=%s rules_gen=%llu\n",
	       info.proto_min, info.proto_max, (unsigned long long)info.features,
	       info.version, (unsigned long long)info.rules_gen);
	return 0;
}

/* ---- negative tests ------------------------------------------------------ */

/* One hostile request: builds it, sends it, returns the result. */
struct hcase {
	const char *name;
	int cmd;
	int want;		/* expected -errno; 0: any error */
	int (*build)(struct nl_msg *msg);
};

static int put_rule_nest(struct nl_msg *msg, int (*inner)(struct nl_msg *msg))
{
	struct nlattr *n = nla_nest_start(msg, XFILTER_A_RULE);

	if (!n || inner(msg))
		return -1;
	nla_nest_end(msg, n);
	return 0;
}

static int b_nothing(struct nl_msg *msg)
{
	return 0;
}

static int r_no_verdict(struct nl_msg *msg)
{
	return nla_put_u32(msg, XFILTER_RULE_A_UID, 1001);
}

static int r_bad_verdict(struct nl_msg *msg)
{
	return nla_put_u8(msg, XFILTER_RULE_A_VERDICT, 77);
}

static int r_bad_flags(struct nl_msg *msg)
{
	return nla_put_u8(msg, XFILTER_RULE_A_VERDICT, XFILTER_VERDICT_DROP) ||
	       nla_put_u32(msg, XFILTER_RULE_A_FLAGS, 0x80000000U);
}

static int r_long_comm(struct nl_msg *msg)
{
	return nla_put_u8(msg, XFILTER_RULE_A_VERDICT, XFILTER_VERDICT_DROP) ||
	       nla_put_string(msg, XFILTER_RULE_A_COMM,
			      "a-command-name-far-longer-than-sixteen-bytes");
}

static int r_addr_len(struct nl_msg *msg)
{
	static const uint8_t a[5] = { 10, 0, 0, 3, 9 };

	return nla_put_u8(msg, XFILTER_RULE_A_VERDICT, XFILTER_VERDICT_DROP) ||
	       nla_put(msg, XFILTER_RULE_A_PEER_ADDR, sizeof(a), a) ||
	       nla_put_u8(msg, XFILTER_RULE_A_PEER_PLEN, 32);
}

static int r_plen(struct nl_msg *msg)
{
	static const uint8_t a[4] = { 10, 0, 0, 3 };

	return nla_put_u8(msg, XFILTER_RULE_A_VERDICT, XFILTER_VERDICT_DROP) ||
	       nla_put_u8(msg, XFILTER_RULE_A_FAMILY, AF_INET) ||
	       nla_put(msg, XFILTER_RULE_A_PEER_ADDR, sizeof(a), a) ||
	       nla_put_u8(msg, XFILTER_RULE_A_PEER_PLEN, 33);
}

static int r_ports(struct nl_msg *msg)
{
	return nla_put_u8(msg, XFILTER_RULE_A_VERDICT, XFILTER_VERDICT_DROP) ||
	       nla_put_u16(msg, XFILTER_RULE_A_GUEST_PORT_MIN, 90) ||
	       nla_put_u16(msg, XFILTER_RULE_A_GUEST_PORT_MAX, 80);
}

static int r_dir(struct nl_msg *msg)
{
	return nla_put_u8(msg, XFILTER_RULE_A_VERDICT, XFILTER_VERDICT_DROP) ||
	       nla_put_u8(msg, XFILTER_RULE_A_DIR, 9);
}

static int r_domid(struct nl_msg *msg)
{
	return nla_put_u8(msg, XFILTER_RULE_A_VERDICT, XFILTER_VERDICT_DROP) ||
	       nla_put_u32(msg, XFILTER_RULE_A_DOMID, 0xffffffffU);
}

static int r_short_u32(struct nl_msg *msg)
{
	static const uint8_t two[2] = { 1, 2 };

	return nla_put_u8(msg, XFILTER_RULE_A_VERDICT, XFILTER_VERDICT_DROP) ||
	       nla_put(msg, XFILTER_RULE_A_UID, sizeof(two), two);
}

static int r_with_id(struct nl_msg *msg)
{
	return nla_put_u8(msg, XFILTER_RULE_A_VERDICT, XFILTER_VERDICT_DROP) ||
	       nla_put_u32(msg, XFILTER_RULE_A_ID, 12345);
}

static int b_rule_no_verdict(struct nl_msg *m) { return put_rule_nest(m, r_no_verdict); }
static int b_rule_bad_verdict(struct nl_msg *m) { return put_rule_nest(m, r_bad_verdict); }
static int b_rule_bad_flags(struct nl_msg *m) { return put_rule_nest(m, r_bad_flags); }
static int b_rule_long_comm(struct nl_msg *m) { return put_rule_nest(m, r_long_comm); }
static int b_rule_addr_len(struct nl_msg *m) { return put_rule_nest(m, r_addr_len); }
static int b_rule_plen(struct nl_msg *m) { return put_rule_nest(m, r_plen); }
static int b_rule_ports(struct nl_msg *m) { return put_rule_nest(m, r_ports); }
static int b_rule_dir(struct nl_msg *m) { return put_rule_nest(m, r_dir); }
static int b_rule_domid(struct nl_msg *m) { return put_rule_nest(m, r_domid); }
static int b_rule_short_u32(struct nl_msg *m) { return put_rule_nest(m, r_short_u32); }
static int b_rule_with_id(struct nl_msg *m) { return put_rule_nest(m, r_with_id); }

static int b_rule_not_nest(struct nl_msg *msg)
{
	return nla_put_u32(msg, XFILTER_A_RULE, 7);
}

static int b_rule_del_missing(struct nl_msg *msg)
{
	struct nlattr *n = nla_nest_start(msg, XFILTER_A_RULE);

	if (!n || nla_put_u32(msg, XFILTER_RULE_A_ID, 0x7ffffff0U))
		return -1;
	nla_nest_end(msg, n);
	return 0;
}

static int b_replace_one_bad(struct nl_msg *msg)
{
	struct nlattr *rules = nla_nest_start(msg, XFILTER_A_RULES);

	if (!rules || put_rule_nest(msg, r_with_id) ||
	    put_rule_nest(msg, r_bad_verdict))
		return -1;
	nla_nest_end(msg, rules);
	return 0;
}

/* OWNER_ADD with a key that lies about its address length. */
static int b_owner_key(struct nl_msg *msg, int family, int alen, int proto,
		       int with_family)
{
	static const uint8_t a[17] = { 10, 0, 0, 2 };
	struct nlattr *owners, *owner, *key;

	if (nla_put_u32(msg, XFILTER_A_DOMID, 5) ||
	    nla_put_u64(msg, XFILTER_A_GENERATION, 1))
		return -1;
	owners = nla_nest_start(msg, XFILTER_A_OWNERS);
	owner = nla_nest_start(msg, XFILTER_A_OWNER);
	key = nla_nest_start(msg, XFILTER_OWNER_A_KEY);
	if (!owners || !owner || !key ||
	    (with_family && nla_put_u8(msg, XFILTER_KEY_A_FAMILY, (uint8_t)family)) ||
	    nla_put_u8(msg, XFILTER_KEY_A_PROTO, (uint8_t)proto) ||
	    nla_put(msg, XFILTER_KEY_A_GUEST_ADDR, alen, a) ||
	    nla_put_u16(msg, XFILTER_KEY_A_GUEST_PORT, 80))
		return -1;
	nla_nest_end(msg, key);
	if (nla_put_u32(msg, XFILTER_OWNER_A_UID, 1001))
		return -1;
	nla_nest_end(msg, owner);
	nla_nest_end(msg, owners);
	return 0;
}

static int b_owner_v4_16(struct nl_msg *m) { return b_owner_key(m, AF_INET, 16, IPPROTO_TCP, 1); }
static int b_owner_v6_4(struct nl_msg *m) { return b_owner_key(m, AF_INET6, 4, IPPROTO_TCP, 1); }
static int b_owner_nofam(struct nl_msg *m) { return b_owner_key(m, AF_INET, 4, IPPROTO_TCP, 0); }
static int b_owner_fam(struct nl_msg *m) { return b_owner_key(m, 99, 4, IPPROTO_TCP, 1); }
static int b_owner_17(struct nl_msg *m) { return b_owner_key(m, AF_INET6, 17, IPPROTO_TCP, 1); }

/* A valid entry from a scan that claims to cover holds not yet made. */
static int b_owner_scan_future(struct nl_msg *msg)
{
	return b_owner_key(msg, AF_INET, 4, IPPROTO_TCP, 1) ||
	       nla_put_u64(msg, XFILTER_A_SCAN_STAMP, UINT64_MAX);
}

static int b_resolve_scan_future(struct nl_msg *msg)
{
	struct xf_key k = { .family = AF_INET, .proto = IPPROTO_TCP,
			    .guest_port = 80, .guest_addr = { 10, 0, 0, 2 } };

	return nla_put_u32(msg, XFILTER_A_DOMID, 5) ||
	       xf_key_put(msg, XFILTER_A_KEY, &k) ||
	       nla_put_u64(msg, XFILTER_A_SCAN_STAMP, UINT64_MAX);
}

static int b_owner_no_gen(struct nl_msg *msg)
{
	struct nlattr *owners;

	if (nla_put_u32(msg, XFILTER_A_DOMID, 5))
		return -1;
	owners = nla_nest_start(msg, XFILTER_A_OWNERS);
	if (!owners)
		return -1;
	nla_nest_end(msg, owners);
	return 0;
}

static int b_owner_garbage(struct nl_msg *msg)
{
	static const uint8_t junk[12] = { 0xff, 0xff, 0x02, 0x00, 0x41, 0x41, 0x41,
					  0x41, 0x03, 0x00, 0xff, 0xff };

	return nla_put_u32(msg, XFILTER_A_DOMID, 5) ||
	       nla_put_u64(msg, XFILTER_A_GENERATION, 1) ||
	       nla_put(msg, XFILTER_A_OWNERS, sizeof(junk), junk);
}

static int b_domid_big(struct nl_msg *msg)
{
	return nla_put_u32(msg, XFILTER_A_DOMID, XFILTER_DOMID_MAX + 1) ||
	       nla_put_u64(msg, XFILTER_A_GENERATION, 1);
}

static int b_domain_fail(struct nl_msg *msg)
{
	struct nlattr *n = nla_nest_start(msg, XFILTER_A_DOMAIN);

	if (!n || nla_put_u32(msg, XFILTER_DOMAIN_A_DOMID, 5) ||
	    nla_put_u8(msg, XFILTER_DOMAIN_A_FAIL_MODE, 7))
		return -1;
	nla_nest_end(msg, n);
	return 0;
}

static int b_domain_nodomid(struct nl_msg *msg)
{
	struct nlattr *n = nla_nest_start(msg, XFILTER_A_DOMAIN);

	if (!n || nla_put_u8(msg, XFILTER_DOMAIN_A_FAIL_MODE, XFILTER_FAIL_OPEN))
		return -1;
	nla_nest_end(msg, n);
	return 0;
}

static int b_resolve_nokey(struct nl_msg *msg)
{
	return nla_put_u32(msg, XFILTER_A_DOMID, 5);
}

/*
 * Domain 5's flow udp 10.0.0.2:port > 10.0.0.3:8081 (the netns tier's
 * guest and UDP echo server), the keys of the hostile lists: refused whole,
 * they must not decide a packet of such a flow that is held meanwhile.
 */
static struct xf_key udp_key(unsigned int port)
{
	return (struct xf_key){ .family = AF_INET, .proto = IPPROTO_UDP,
				.guest_port = (uint16_t)port, .guest_addr = { 10, 0, 0, 2 },
				.has_peer_addr = true, .peer_addr = { 10, 0, 0, 3 },
				.peer_port = 8081 };
}

/* XFILTER_A_KEYS with n keys, ports from 40000 */
static int put_keys(struct nl_msg *msg, unsigned int n)
{
	struct nlattr *keys;
	unsigned int i;

	if (nla_put_u32(msg, XFILTER_A_DOMID, 5))
		return -1;
	keys = nla_nest_start(msg, XFILTER_A_KEYS);
	if (!keys)
		return -1;
	for (i = 0; i < n; i++) {
		struct xf_key k = udp_key(40000 + i);

		if (xf_key_put(msg, XFILTER_A_KEY, &k))
			return -1;
	}
	nla_nest_end(msg, keys);
	return 0;
}

static int b_resolve_keys_over_cap(struct nl_msg *msg)
{
	return put_keys(msg, XFILTER_MISS_KEYS_MAX + 1);
}

/* An empty list (libnl drops an empty nest: put by hand). */
static int b_resolve_keys_empty(struct nl_msg *msg)
{
	return nla_put_u32(msg, XFILTER_A_DOMID, 5) ||
	       nla_put(msg, XFILTER_A_KEYS | NLA_F_NESTED, 0, NULL);
}

static int b_resolve_key_and_keys(struct nl_msg *msg)
{
	struct xf_key k = { .family = AF_INET, .proto = IPPROTO_TCP,
			    .guest_port = 80, .guest_addr = { 10, 0, 0, 2 } };

	return put_keys(msg, 2) || xf_key_put(msg, XFILTER_A_KEY, &k);
}

/* The third of four keys has family 99. */
static int b_resolve_keys_bad_one(struct nl_msg *msg)
{
	struct nlattr *keys, *k;
	unsigned int i;

	if (nla_put_u32(msg, XFILTER_A_DOMID, 5))
		return -1;
	keys = nla_nest_start(msg, XFILTER_A_KEYS);
	for (i = 0; keys && i < 4; i++) {
		struct xf_key good = udp_key(40000 + i);

		if (i != 2) {
			if (xf_key_put(msg, XFILTER_A_KEY, &good))
				return -1;
			continue;
		}
		k = nla_nest_start(msg, XFILTER_A_KEY);
		if (!k || nla_put_u8(msg, XFILTER_KEY_A_FAMILY, 99) ||
		    nla_put_u8(msg, XFILTER_KEY_A_PROTO, IPPROTO_UDP) ||
		    nla_put_u16(msg, XFILTER_KEY_A_GUEST_PORT, (uint16_t)(40000 + i)))
			return -1;
		nla_nest_end(msg, k);
	}
	if (!keys)
		return -1;
	nla_nest_end(msg, keys);
	return 0;
}

/* A key list whose element is an owner, not a key. */
static int b_resolve_keys_not_key(struct nl_msg *msg)
{
	struct nlattr *keys, *o;

	if (nla_put_u32(msg, XFILTER_A_DOMID, 5))
		return -1;
	keys = nla_nest_start(msg, XFILTER_A_KEYS);
	if (!keys)
		return -1;
	o = nla_nest_start(msg, XFILTER_A_OWNER);
	if (!o || nla_put_u32(msg, XFILTER_OWNER_A_PID, 1))
		return -1;
	nla_nest_end(msg, o);
	nla_nest_end(msg, keys);
	return 0;
}

/* Bytes that are no attributes at all, as a key list. */
static int b_resolve_keys_garbage(struct nl_msg *msg)
{
	static const uint8_t junk[12] = { 0xff, 0xff, 0x0d, 0x00, 0x41, 0x41, 0x41,
					  0x41, 0x03, 0x00, 0xff, 0xff };

	return nla_put_u32(msg, XFILTER_A_DOMID, 5) ||
	       nla_put(msg, XFILTER_A_KEYS, sizeof(junk), junk);
}

/* OWNER_DEL's key list: one over the cap, with an owner, one bad key, empty */
static int b_del_keys_over_cap(struct nl_msg *msg)
{
	return put_keys(msg, XFILTER_OWNER_DEL_KEYS_MAX + 1);
}

static int b_del_owner_and_keys(struct nl_msg *msg)
{
	struct xf_key k = udp_key(40000);
	struct nlattr *o;

	if (put_keys(msg, 2))
		return -1;
	o = nla_nest_start(msg, XFILTER_A_OWNER);
	if (!o || xf_key_put(msg, XFILTER_OWNER_A_KEY, &k))
		return -1;
	nla_nest_end(msg, o);
	return 0;
}

/* An attribute whose length runs past the end of the message. */
static int b_overrun(struct nl_msg *msg)
{
	struct nlattr *a = nlmsg_reserve(msg, 8, NLMSG_ALIGNTO);

	if (!a)
		return -1;
	a->nla_type = XFILTER_A_DOMID;
	a->nla_len = 200;
	memset(a + 1, 0, 4);
	return 0;
}

static const struct hcase hcases[] = {
	{ "rule-new-empty", XFILTER_CMD_RULE_NEW, -EINVAL, b_nothing },
	{ "rule-no-verdict", XFILTER_CMD_RULE_NEW, -EINVAL, b_rule_no_verdict },
	{ "rule-bad-verdict", XFILTER_CMD_RULE_NEW, 0, b_rule_bad_verdict },
	{ "rule-unknown-flags", XFILTER_CMD_RULE_NEW, -EOPNOTSUPP, b_rule_bad_flags },
	{ "rule-long-comm", XFILTER_CMD_RULE_NEW, 0, b_rule_long_comm },
	{ "rule-addr-5-bytes", XFILTER_CMD_RULE_NEW, 0, b_rule_addr_len },
	{ "rule-plen-33", XFILTER_CMD_RULE_NEW, 0, b_rule_plen },
	{ "rule-port-min>max", XFILTER_CMD_RULE_NEW, 0, b_rule_ports },
	{ "rule-bad-dir", XFILTER_CMD_RULE_NEW, 0, b_rule_dir },
	{ "rule-domid-huge", XFILTER_CMD_RULE_NEW, 0, b_rule_domid },
	{ "rule-u32-2-bytes", XFILTER_CMD_RULE_NEW, 0, b_rule_short_u32 },
	{ "rule-new-with-id", XFILTER_CMD_RULE_NEW, 0, b_rule_with_id },
	{ "rule-not-nested", XFILTER_CMD_RULE_NEW, 0, b_rule_not_nest },
	{ "rule-del-unknown-id", XFILTER_CMD_RULE_DEL, -ENOENT, b_rule_del_missing },
	{ "rule-del-no-id", XFILTER_CMD_RULE_DEL, -EINVAL, b_nothing },
	{ "replace-one-bad", XFILTER_CMD_RULE_REPLACE, 0, b_replace_one_bad },
	{ "owner-v4-16-bytes", XFILTER_CMD_OWNER_ADD, 0, b_owner_v4_16 },
	{ "owner-v6-4-bytes", XFILTER_CMD_OWNER_ADD, 0, b_owner_v6_4 },
	{ "owner-no-family", XFILTER_CMD_OWNER_ADD, 0, b_owner_nofam },
	{ "owner-family-99", XFILTER_CMD_OWNER_ADD, 0, b_owner_fam },
	{ "owner-addr-17", XFILTER_CMD_OWNER_ADD, 0, b_owner_17 },
	{ "owner-no-generation", XFILTER_CMD_OWNER_ADD, -EINVAL, b_owner_no_gen },
	{ "owner-garbage-nest", XFILTER_CMD_OWNER_ADD, 0, b_owner_garbage },
	{ "owner-scan-future", XFILTER_CMD_OWNER_ADD, -ERANGE, b_owner_scan_future },
	{ "owner-domid-huge", XFILTER_CMD_OWNER_COMMIT, 0, b_domid_big },
	{ "domain-fail-7", XFILTER_CMD_DOMAIN_SET, 0, b_domain_fail },
	{ "domain-no-domid", XFILTER_CMD_DOMAIN_SET, -EINVAL, b_domain_nodomid },
	{ "resolve-no-key", XFILTER_CMD_MISS_RESOLVE, -EINVAL, b_resolve_nokey },
	{ "resolve-scan-future", XFILTER_CMD_MISS_RESOLVE, -ERANGE, b_resolve_scan_future },
	{ "resolve-keys-over-cap", XFILTER_CMD_MISS_RESOLVE, -E2BIG, b_resolve_keys_over_cap },
	{ "resolve-keys-empty", XFILTER_CMD_MISS_RESOLVE, -EINVAL, b_resolve_keys_empty },
	{ "resolve-key-and-keys", XFILTER_CMD_MISS_RESOLVE, -EINVAL, b_resolve_key_and_keys },
	{ "resolve-keys-bad-one", XFILTER_CMD_MISS_RESOLVE, -EINVAL, b_resolve_keys_bad_one },
	{ "resolve-keys-not-key", XFILTER_CMD_MISS_RESOLVE, -EINVAL, b_resolve_keys_not_key },
	{ "resolve-keys-garbage", XFILTER_CMD_MISS_RESOLVE, 0, b_resolve_keys_garbage },
	{ "del-keys-over-cap", XFILTER_CMD_OWNER_DEL, -E2BIG, b_del_keys_over_cap },
	{ "del-keys-empty", XFILTER_CMD_OWNER_DEL, -EINVAL, b_resolve_keys_empty },
	{ "del-owner-and-keys", XFILTER_CMD_OWNER_DEL, -EINVAL, b_del_owner_and_keys },
	{ "del-keys-bad-one", XFILTER_CMD_OWNER_DEL, -EINVAL, b_resolve_keys_bad_one },
	{ "del-keys-not-key", XFILTER_CMD_OWNER_DEL, -EINVAL, b_resolve_keys_not_key },
	{ "del-keys-garbage", XFILTER_CMD_OWNER_DEL, 0, b_resolve_keys_garbage },
	{ "attr-overruns-message", XFILTER_CMD_OWNER_COMMIT, 0, b_overrun },
	{ "unknown-command", 200, -EOPNOTSUPP, b_nothing },
	{ "event-command-sent", XFILTER_CMD_MISS, -EOPNOTSUPP, b_nothing },
};

static int cmd_hostile(int argc, char **argv)
{
	unsigned int i, bad = 0, ran = 0;

	for (i = 0; i < sizeof(hcases) / sizeof(hcases[0]); i++) {
		const struct hcase *c = &hcases[i];
		struct nl_msg *msg;
		int rc, ok, j;

		/* NAME...: only those cases */
		for (j = 1; j < argc && strcmp(argv[j], c->name); j++)
			;
		if (argc > 1 && j == argc)
			continue;
		ran++;
		msg = xf_nl_msg_big(&nl, (uint8_t)c->cmd, 0);

		if (!msg || c->build(msg))
			exit(1);
		rc = xf_nl_request(&nl, msg, NULL, NULL);
		/*
		 * Refused, with the errno asked for, and explained: genl's own
		 * refusals of unknown commands carry no text, ours must.
		 */
		ok = rc < 0 && (!c->want || rc == c->want) &&
		     (c->want == -EOPNOTSUPP && c->build == b_nothing ?
		      1 : nl.err.from_kernel && nl.err.msg[0]);
		printf("case %-22s %s rc=%d (%s) extack='%s'\n", c->name,
		       ok ? "ok  " : "FAIL", rc, rc ? strerror(-rc) : "accepted",
		       nl.err.from_kernel ? nl.err.msg : "");
		bad += !ok;
	}
	printf("hostile: %u cases, %u not refused as expected\n", ran, bad);
	return bad || !ran ? 1 : 0;
}

/* Run without CAP_NET_ADMIN: everything but GET_INFO must be refused. */
static int cmd_unpriv(int argc, char **argv)
{
	static const struct {
		const char *name;
		int cmd, dump;
		int (*build)(struct nl_msg *msg);
	} c[] = {
		{ "rule-new", XFILTER_CMD_RULE_NEW, 0, b_rule_with_id },
		{ "rule-flush", XFILTER_CMD_RULE_FLUSH, 0, b_nothing },
		{ "rule-dump", XFILTER_CMD_RULE_GET, 1, b_nothing },
		{ "owner-add", XFILTER_CMD_OWNER_ADD, 0, b_owner_nofam },
		{ "owner-dump", XFILTER_CMD_OWNER_GET, 1, b_nothing },
		{ "owner-del", XFILTER_CMD_OWNER_DEL, 0, b_resolve_nokey },
		{ "miss-resolve-keys", XFILTER_CMD_MISS_RESOLVE, 0, b_resolve_keys_empty },
		{ "domain-set", XFILTER_CMD_DOMAIN_SET, 0, b_domain_nodomid },
		{ "domain-dump", XFILTER_CMD_DOMAIN_GET, 1, b_nothing },
		{ "stats", XFILTER_CMD_STATS_GET, 0, b_nothing },
	};
	struct xf_nl_info info;
	struct xf_nl ev;
	unsigned int i, bad = 0;
	int rc;

	rc = xf_nl_get_info(&nl, &info);
	printf("case %-22s %s rc=%d\n", "get-info-allowed", rc ? "FAIL" : "ok  ", rc);
	bad += rc != 0;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct nl_msg *msg = xf_nl_msg(&nl, (uint8_t)c[i].cmd, 0);

		if (!msg || c[i].build(msg))
			exit(1);
		rc = c[i].dump ? xf_nl_dump(&nl, msg, NULL, NULL) :
				 xf_nl_request(&nl, msg, NULL, NULL);
		printf("case %-22s %s rc=%d (%s)\n", c[i].name,
		       rc == -EPERM ? "ok  " : "FAIL", rc, strerror(-rc));
		bad += rc != -EPERM;
	}
	for (i = 0; i < 2; i++) {
		const char *g = i ? XFILTER_MCGRP_VERDICT : XFILTER_MCGRP_MISS;

		rc = xf_nl_open(&ev);
		if (!rc)
			rc = xf_nl_subscribe(&ev, g);
		printf("case subscribe-%-12s %s rc=%d (%s)\n", g, rc ? "ok  " : "FAIL",
		       rc, strerror(-rc));
		bad += rc == 0;
		xf_nl_close(&ev);
	}
	printf("unpriv: %u requests allowed that must not be\n", bad);
	return bad ? 1 : 0;
}

static int cmd_dump_abort(int argc, char **argv)
{
	unsigned long n, i;

	if (argc != 2)
		usage();
	n = num(argv[1]);
	for (i = 0; i < n; i++) {
		struct xf_nl d;
		struct nl_msg *msg;
		struct sockaddr_nl from;
		unsigned char *buf = NULL;
		int len;

		check(xf_nl_open(&d), "open");
		msg = xf_nl_msg(&d, i % 2 ? XFILTER_CMD_RULE_GET : XFILTER_CMD_OWNER_GET,
				NLM_F_DUMP);
		if (!msg || nl_send_auto(d.sk, msg) < 0)
			exit(1);
		nlmsg_free(msg);
		len = nl_recv(d.sk, &from, &buf, NULL);
		free(buf);
		if (len <= 0) {
			fprintf(stderr, "xfnl: dump %lu: nothing received\n", i);
			return 1;
		}
		xf_nl_close(&d);	/* the rest of the dump is left behind */
	}
	printf("dumps abandoned=%lu\n", n);
	return 0;
}

/*
 * A listener whose buffer fills: events that reach no other listener are
 * lost to the module (counted in miss_lost), and the kernel marks this
 * socket overrun (one ENOBUFS on the next read).
 */
static int cmd_stall(int argc, char **argv)
{
	static char buf[65536];
	const char *ready = NULL;
	double seconds = 10, t0;
	int i, rcvbuf = 0, overrun = 0;
	long queued = 0;
	struct xf_nl ev;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = atof(argv[++i]);
		else if (!strcmp(argv[i], "--rcvbuf") && i + 1 < argc)
			rcvbuf = (int)num(argv[++i]);
		else if (!strcmp(argv[i], "--ready") && i + 1 < argc)
			ready = argv[++i];
		else
			usage();
	}
	if (xf_nl_open(&ev) || xf_nl_subscribe(&ev, XFILTER_MCGRP_MISS)) {
		nl.err = ev.err;
		die("subscribe to the miss group");
	}
	if (rcvbuf && setsockopt(xf_nl_fd(&ev), SOL_SOCKET, SO_RCVBUF, &rcvbuf,
				 sizeof(rcvbuf))) {
		perror("xfnl: SO_RCVBUF");
		return 1;
	}
	if (ready) {
		FILE *f = fopen(ready, "w");

		if (f)
			fclose(f);
	}
	t0 = mono_ms();
	while (mono_ms() - t0 < seconds * 1000) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
	/* one datagram per event; an overrun shows once, as ENOBUFS */
	for (i = 0; i < 1000000; i++) {
		ssize_t n = recv(xf_nl_fd(&ev), buf, sizeof(buf), MSG_DONTWAIT);

		if (n > 0)
			queued++;
		else if (n < 0 && errno == ENOBUFS)
			overrun = 1;
		else if (n < 0 && errno == EINTR)
			continue;
		else
			break;
	}
	printf("stall queued=%ld overrun=%d\n", queued, overrun);
	xf_nl_close(&ev);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} cmds[] = {
	{ "info", cmd_info },
	{ "owner-add", cmd_owner_add },
	{ "commit", cmd_commit },
	{ "owner-del", cmd_owner_del },
	{ "owners", cmd_owners },
	{ "sync", cmd_sync },
	{ "resolve", cmd_resolve },
	{ "no-socket", cmd_no_socket },
	{ "rule-add", cmd_rule_add },
	{ "rule-gen", cmd_rule_gen },
	{ "rule-del", cmd_rule_del },
	{ "rule-flush", cmd_rule_flush },
	{ "rules", cmd_rules },
	{ "rule-replace", cmd_rule_replace },
	{ "domain-set", cmd_domain_set },
	{ "domain", cmd_domain },
	{ "stats", cmd_stats },
	{ "hostile", cmd_hostile },
	{ "unpriv", cmd_unpriv },
	{ "dump-abort", cmd_dump_abort },
	{ "stall", cmd_stall },
};

int main(int argc, char **argv)
{
	unsigned int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		usage();
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[1], cmds[i].name))
			continue;
		check(xf_nl_open(&nl), "open");
		return cmds[i].fn(argc - 1, argv + 1);
	}
	usage();
}
