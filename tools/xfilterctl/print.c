// SPDX-License-Identifier: GPL-2.0
/* Human and JSON printers of xfilterctl (see print.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "args.h"
#include "json.h"
#include "names.h"
#include "print.h"
#include "table.h"

#define RED	"\033[31m"
#define GREEN	"\033[32m"
#define YELLOW	"\033[33m"
#define RESET	"\033[0m"

/* Room for any escaped guest string (4 bytes per byte) or address. */
#define ESC_LEN		(XFILTER_COMM_LEN * 4 + 1)
#define EP_LEN		(INET6_ADDRSTRLEN + 16)

static const char *verdict_color(unsigned int v)
{
	switch (v) {
	case XFILTER_VERDICT_ACCEPT:
		return GREEN;
	case XFILTER_VERDICT_DROP:
	case XFILTER_VERDICT_REJECT:
		return RED;
	case XFILTER_VERDICT_LOG:
		return YELLOW;
	}
	return NULL;
}

/* A name from a table, or the number when the module is newer than us. */
static const char *name_or_num(const char *name, unsigned int v, char *buf,
			       size_t len)
{
	if (name)
		return name;
	snprintf(buf, len, "%u", v);
	return buf;
}

static void addr_str(uint8_t family, const uint8_t *addr, char *buf, size_t len)
{
	if (!inet_ntop(family, addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

/* "10.0.0.5:41234", "[2001:db8::1]:443", "*:*" for a wildcard peer. */
static void endpoint_str(uint8_t family, const uint8_t *addr, bool has_addr,
			 uint16_t port, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "*";
	char p[8] = "*";

	if (has_addr)
		addr_str(family, addr, a, sizeof(a));
	if (port)
		snprintf(p, sizeof(p), "%u", port);
	if (family == AF_INET6 && has_addr)
		snprintf(buf, len, "[%s]:%s", a, p);
	else
		snprintf(buf, len, "%s:%s", a, p);
}

static void json_addr(struct xf_json *j, const char *key, uint8_t family,
		      const uint8_t *addr)
{
	char a[INET6_ADDRSTRLEN];

	addr_str(family, addr, a, sizeof(a));
	xf_json_kstr(j, key, a);
}

/* JSON strings for enums: the name, or the number as a string. */
static void json_name(struct xf_json *j, const char *key, const char *name,
		      unsigned int v)
{
	char buf[16];

	xf_json_kstr(j, key, name_or_num(name, v, buf, sizeof(buf)));
}

static void json_begin(struct xf_json *j, const struct xf_out *o)
{
	xf_json_init(j, o->f, o->pretty);
}

/* ------------------------------------------------------------------ */
/* rules */

void xf_duration_format(uint32_t ms, char *buf, size_t len)
{
	static const struct {
		uint32_t ms;
		const char *unit;
	} units[] = {
		{ 86400000, "d" }, { 3600000, "h" }, { 60000, "m" }, { 1000, "s" },
	};

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (ms && ms % units[i].ms == 0) {
			snprintf(buf, len, "%" PRIu32 "%s", ms / units[i].ms,
				 units[i].unit);
			return;
		}
	}
	snprintf(buf, len, "%" PRIu32 "ms", ms);
}

/* Time left, for people: "4m59s", "59s", "2h0m"; rounded up to seconds. */
static void left_format(uint32_t ms, char *buf, size_t len)
{
	uint32_t s = ms / 1000 + (ms % 1000 != 0);

	if (s >= 3600)
		snprintf(buf, len, "%" PRIu32 "h%" PRIu32 "m", s / 3600,
			 s % 3600 / 60);
	else if (s >= 60)
		snprintf(buf, len, "%" PRIu32 "m%" PRIu32 "s", s / 60, s % 60);
	else
		snprintf(buf, len, "%" PRIu32 "s", s);
}

struct strbuf {
	char *buf;
	size_t len, pos;
};

static void __attribute__((format(printf, 2, 3)))
sb_add(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (sb->pos >= sb->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(sb->buf + sb->pos, sb->len - sb->pos, fmt, ap);
	va_end(ap);
	if (n > 0)
		sb->pos += (size_t)n;
	if (sb->pos >= sb->len)
		sb->pos = sb->len;
}

static void ports_text(struct strbuf *sb, const char *kw, bool has_min,
		       uint16_t min, bool has_max, uint16_t max)
{
	if (!has_min && !has_max)
		return;
	if (!has_min)
		min = 1;
	if (!has_max || max == min)
		sb_add(sb, " %s %u", kw, min);
	else
		sb_add(sb, " %s %u-%u", kw, min, max);
}

void xf_rule_format(const struct xf_rule *r, unsigned int what, char *buf,
		    size_t len)
{
	struct strbuf sb = { .buf = buf, .len = len };
	char tmp[ESC_LEN];

	if (!len)
		return;
	buf[0] = '\0';
	if (what & XF_RF_MATCH) {
		if (XF_HAS(r, XFILTER_RULE_A_DOMID))
			sb_add(&sb, " dom %" PRIu32, r->domid);
		if (XF_HAS(r, XFILTER_RULE_A_PID))
			sb_add(&sb, " pid %" PRIu32, r->pid);
		if (XF_HAS(r, XFILTER_RULE_A_TGID))
			sb_add(&sb, " tgid %" PRIu32, r->tgid);
		if (XF_HAS(r, XFILTER_RULE_A_UID))
			sb_add(&sb, " uid %" PRIu32, r->uid);
		if (XF_HAS(r, XFILTER_RULE_A_GID))
			sb_add(&sb, " gid %" PRIu32, r->gid);
		if (XF_HAS(r, XFILTER_RULE_A_COMM)) {
			xf_escape(r->comm, sizeof(r->comm), tmp, sizeof(tmp));
			sb_add(&sb, " comm %s", tmp);
		}
		if (XF_HAS(r, XFILTER_RULE_A_FLAGS) &&
		    (r->flags & XFILTER_RULE_F_OWNER_UNKNOWN))
			sb_add(&sb, " owner unknown");
		if (XF_HAS(r, XFILTER_RULE_A_DIR) && r->dir != XFILTER_DIR_ANY)
			sb_add(&sb, " dir %s",
			       name_or_num(xf_dir_name(r->dir), r->dir, tmp, sizeof(tmp)));
		/* The prefix implies the family; say it only when alone. */
		if (XF_HAS(r, XFILTER_RULE_A_FAMILY) &&
		    !XF_HAS(r, XFILTER_RULE_A_PEER_ADDR))
			sb_add(&sb, " family %s",
			       name_or_num(xf_family_name(r->family), r->family,
					   tmp, sizeof(tmp)));
		if (XF_HAS(r, XFILTER_RULE_A_PROTO))
			sb_add(&sb, " proto %s",
			       xf_proto_name(r->proto, tmp, sizeof(tmp)));
		if (XF_HAS(r, XFILTER_RULE_A_PEER_ADDR)) {
			addr_str(r->family, r->peer_addr, tmp, sizeof(tmp));
			if (r->peer_plen == xf_addr_len(r->family) * 8)
				sb_add(&sb, " peer %s", tmp);
			else
				sb_add(&sb, " peer %s/%u", tmp, r->peer_plen);
		}
		ports_text(&sb, "guest-port",
			   XF_HAS(r, XFILTER_RULE_A_GUEST_PORT_MIN), r->guest_port_min,
			   XF_HAS(r, XFILTER_RULE_A_GUEST_PORT_MAX), r->guest_port_max);
		ports_text(&sb, "peer-port",
			   XF_HAS(r, XFILTER_RULE_A_PEER_PORT_MIN), r->peer_port_min,
			   XF_HAS(r, XFILTER_RULE_A_PEER_PORT_MAX), r->peer_port_max);
	}
	if ((what & XF_RF_VERDICT) && XF_HAS(r, XFILTER_RULE_A_VERDICT))
		sb_add(&sb, " %s", name_or_num(xf_verdict_name(r->verdict),
					       r->verdict, tmp, sizeof(tmp)));
	if ((what & XF_RF_PRIO) && XF_HAS(r, XFILTER_RULE_A_PRIO) &&
	    r->prio != XFILTER_PRIO_DEFAULT)
		sb_add(&sb, " prio %" PRIu32, r->prio);
	if (what & XF_RF_TIMEOUT) {
		uint32_t ms = 0;

		if (XF_HAS(r, XFILTER_RULE_A_EXPIRES_MS))
			ms = r->expires_ms ? (r->expires_ms + 999) / 1000 * 1000 : 1000;
		else if (XF_HAS(r, XFILTER_RULE_A_TIMEOUT_MS))
			ms = r->timeout_ms;
		if (ms) {
			xf_duration_format(ms, tmp, sizeof(tmp));
			sb_add(&sb, " timeout %s", tmp);
		}
	}
	/* Drop the leading blank. */
	if (buf[0] == ' ')
		memmove(buf, buf + 1, strlen(buf));
}

void xf_print_rule_id(const struct xf_out *o, uint32_t id)
{
	struct xf_json j;

	if (!o->json) {
		fprintf(o->f, "%" PRIu32 "\n", id);
		return;
	}
	json_begin(&j, o);
	xf_json_obj_open(&j);
	xf_json_ku64(&j, "id", id);
	xf_json_obj_close(&j);
	xf_json_end(&j);
}

static void json_rule(struct xf_json *j, const struct xf_rule *r)
{
	char tmp[INET6_ADDRSTRLEN + 8];

	xf_json_obj_open(j);
	if (XF_HAS(r, XFILTER_RULE_A_ID))
		xf_json_ku64(j, "id", r->id);
	if (XF_HAS(r, XFILTER_RULE_A_PRIO))
		xf_json_ku64(j, "prio", r->prio);
	if (XF_HAS(r, XFILTER_RULE_A_VERDICT))
		json_name(j, "verdict", xf_verdict_name(r->verdict), r->verdict);
	if (XF_HAS(r, XFILTER_RULE_A_DOMID))
		xf_json_ku64(j, "dom", r->domid);
	if (XF_HAS(r, XFILTER_RULE_A_PID))
		xf_json_ku64(j, "pid", r->pid);
	if (XF_HAS(r, XFILTER_RULE_A_TGID))
		xf_json_ku64(j, "tgid", r->tgid);
	if (XF_HAS(r, XFILTER_RULE_A_UID))
		xf_json_ku64(j, "uid", r->uid);
	if (XF_HAS(r, XFILTER_RULE_A_GID))
		xf_json_ku64(j, "gid", r->gid);
	if (XF_HAS(r, XFILTER_RULE_A_COMM)) {
		xf_json_key(j, "comm");
		xf_json_strn(j, r->comm, sizeof(r->comm));
	}
	xf_json_kbool(j, "owner_unknown", XF_HAS(r, XFILTER_RULE_A_FLAGS) &&
		      (r->flags & XFILTER_RULE_F_OWNER_UNKNOWN));
	if (XF_HAS(r, XFILTER_RULE_A_DIR))
		json_name(j, "dir", xf_dir_name(r->dir), r->dir);
	if (XF_HAS(r, XFILTER_RULE_A_FAMILY))
		json_name(j, "family", xf_family_name(r->family), r->family);
	if (XF_HAS(r, XFILTER_RULE_A_PROTO))
		xf_json_kstr(j, "proto", xf_proto_name(r->proto, tmp, sizeof(tmp)));
	if (XF_HAS(r, XFILTER_RULE_A_PEER_ADDR)) {
		char a[INET6_ADDRSTRLEN];

		addr_str(r->family, r->peer_addr, a, sizeof(a));
		snprintf(tmp, sizeof(tmp), "%s/%u", a, r->peer_plen);
		xf_json_kstr(j, "peer", tmp);
	}
	if (XF_HAS(r, XFILTER_RULE_A_GUEST_PORT_MIN)) {
		xf_json_ku64(j, "guest_port_min", r->guest_port_min);
		xf_json_ku64(j, "guest_port_max",
			     XF_HAS(r, XFILTER_RULE_A_GUEST_PORT_MAX) ?
			     r->guest_port_max : r->guest_port_min);
	}
	if (XF_HAS(r, XFILTER_RULE_A_PEER_PORT_MIN)) {
		xf_json_ku64(j, "peer_port_min", r->peer_port_min);
		xf_json_ku64(j, "peer_port_max",
			     XF_HAS(r, XFILTER_RULE_A_PEER_PORT_MAX) ?
			     r->peer_port_max : r->peer_port_min);
	}
	if (XF_HAS(r, XFILTER_RULE_A_TIMEOUT_MS))
		xf_json_ku64(j, "timeout_ms", r->timeout_ms);
	if (XF_HAS(r, XFILTER_RULE_A_EXPIRES_MS))
		xf_json_ku64(j, "expires_ms", r->expires_ms);
	if (XF_HAS(r, XFILTER_RULE_A_HITS))
		xf_json_ku64(j, "hits", r->hits);
	if (XF_HAS(r, XFILTER_RULE_A_BYTES))
		xf_json_ku64(j, "bytes", r->bytes);
	xf_json_obj_close(j);
}

void xf_print_rules(const struct xf_out *o, const struct xf_rule *r, size_t n)
{
	static const char *const head[] = {
		">ID", ">PRIO", "VERDICT", ">HITS", ">BYTES", "EXPIRES", "MATCH",
	};
	struct xf_table t;
	struct xf_json j;

	if (o->json) {
		json_begin(&j, o);
		xf_json_arr_open(&j);
		for (size_t i = 0; i < n; i++)
			json_rule(&j, &r[i]);
		xf_json_arr_close(&j);
		xf_json_end(&j);
		return;
	}
	if (!n)
		return;
	xf_table_init(&t, 7, head);
	for (size_t i = 0; i < n; i++) {
		char match[512], left[32] = "-", num[16];

		xf_rule_format(&r[i], XF_RF_MATCH, match, sizeof(match));
		if (XF_HAS(&r[i], XFILTER_RULE_A_EXPIRES_MS))
			left_format(r[i].expires_ms, left, sizeof(left));
		xf_table_cell(&t, NULL, "%" PRIu32, r[i].id);
		xf_table_cell(&t, NULL, "%" PRIu32, XF_HAS(&r[i], XFILTER_RULE_A_PRIO) ?
			      r[i].prio : XFILTER_PRIO_DEFAULT);
		xf_table_cell(&t, verdict_color(r[i].verdict), "%s",
			      name_or_num(xf_verdict_name(r[i].verdict),
					  r[i].verdict, num, sizeof(num)));
		xf_table_cell(&t, NULL, "%" PRIu64, r[i].hits);
		xf_table_cell(&t, NULL, "%" PRIu64, r[i].bytes);
		xf_table_cell(&t, NULL, "%s", left);
		xf_table_cell(&t, NULL, "%s", match[0] ? match : "all");
	}
	xf_table_print(&t, o->f, o->color);
	xf_table_free(&t);
}

void xf_print_save(const struct xf_out *o, const struct xf_rule *r, size_t n)
{
	fprintf(o->f, "# xfilterctl save: %zu rule%s; `xfilterctl restore` replaces the whole ruleset with these\n",
		n, n == 1 ? "" : "s");
	for (size_t i = 0; i < n; i++) {
		char text[512];

		xf_rule_format(&r[i], XF_RF_ALL, text, sizeof(text));
		fprintf(o->f, "rule add %s\n", text);
	}
}

/* ------------------------------------------------------------------ */
/* conns */

/* The process an entry belongs to: same tgid, same start, same uid. */
static int owner_cmp(const struct xf_conn *a, const struct xf_conn *b)
{
	uint32_t ta = XF_HAS(&a->o, XFILTER_OWNER_A_TGID) ? a->o.tgid : a->o.pid;
	uint32_t tb = XF_HAS(&b->o, XFILTER_OWNER_A_TGID) ? b->o.tgid : b->o.pid;
	bool ua = !XF_HAS(&a->o, XFILTER_OWNER_A_PID);
	bool ub = !XF_HAS(&b->o, XFILTER_OWNER_A_PID);

	if (a->domid != b->domid)
		return a->domid < b->domid ? -1 : 1;
	if (ua != ub)
		return ua ? 1 : -1;	/* unattributed sockets last */
	if (ta != tb)
		return ta < tb ? -1 : 1;
	if (a->o.start_time != b->o.start_time)
		return a->o.start_time < b->o.start_time ? -1 : 1;
	if (a->o.uid != b->o.uid)
		return a->o.uid < b->o.uid ? -1 : 1;
	return strncmp(a->o.comm, b->o.comm, sizeof(a->o.comm));
}

struct conn_row {
	struct xf_conn *c;
	uint64_t packets, bytes;	/* the owner's totals */
	uint32_t sockets;
};

static int row_cmp(const void *pa, const void *pb)
{
	const struct conn_row *a = pa, *b = pb;
	int oc = owner_cmp(a->c, b->c);

	if (a->c->domid != b->c->domid)
		return a->c->domid < b->c->domid ? -1 : 1;
	if (oc) {
		bool ua = !XF_HAS(&a->c->o, XFILTER_OWNER_A_PID);
		bool ub = !XF_HAS(&b->c->o, XFILTER_OWNER_A_PID);

		if (ua != ub)
			return ua ? 1 : -1;
		/* The busiest owner first: who is sending the flood. */
		if (a->packets != b->packets)
			return a->packets > b->packets ? -1 : 1;
		return oc;
	}
	if (a->c->o.packets != b->c->o.packets)
		return a->c->o.packets > b->c->o.packets ? -1 : 1;
	if (a->c->o.key.proto != b->c->o.key.proto)
		return a->c->o.key.proto < b->c->o.key.proto ? -1 : 1;
	if (a->c->o.key.guest_port != b->c->o.key.guest_port)
		return a->c->o.key.guest_port < b->c->o.key.guest_port ? -1 : 1;
	return a->c->o.key.peer_port < b->c->o.key.peer_port ? -1 :
	       a->c->o.key.peer_port > b->c->o.key.peer_port;
}

static int group_cmp(const void *pa, const void *pb)
{
	const struct conn_row *a = pa, *b = pb;

	return owner_cmp(a->c, b->c);
}

/* Rows sorted for printing, with each owner's totals filled in. */
static struct conn_row *conn_rows(struct xf_conn *c, size_t n)
{
	struct conn_row *rows = calloc(n ? n : 1, sizeof(*rows));
	size_t i = 0;

	if (!rows)
		return NULL;
	for (size_t k = 0; k < n; k++)
		rows[k].c = &c[k];
	qsort(rows, n, sizeof(*rows), group_cmp);
	while (i < n) {
		size_t e = i;
		uint64_t p = 0, b = 0;

		while (e < n && !owner_cmp(rows[i].c, rows[e].c)) {
			p += rows[e].c->o.packets;
			b += rows[e].c->o.bytes;
			e++;
		}
		for (size_t k = i; k < e; k++) {
			rows[k].packets = p;
			rows[k].bytes = b;
			rows[k].sockets = (uint32_t)(e - i);
		}
		i = e;
	}
	qsort(rows, n, sizeof(*rows), row_cmp);
	return rows;
}

static void opt_u32(char *buf, size_t len, const struct xf_owner *o, int attr,
		    uint32_t v)
{
	if (o->present & XF_BIT(attr))
		snprintf(buf, len, "%" PRIu32, v);
	else
		snprintf(buf, len, "-");
}

static void json_conn(struct xf_json *j, const struct conn_row *row, bool stats)
{
	const struct xf_owner *o = &row->c->o;
	const struct xf_key *k = &o->key;
	char tmp[16];

	xf_json_obj_open(j);
	xf_json_ku64(j, "dom", row->c->domid);
	if (XF_HAS(o, XFILTER_OWNER_A_PID))
		xf_json_ku64(j, "pid", o->pid);
	if (XF_HAS(o, XFILTER_OWNER_A_TGID))
		xf_json_ku64(j, "tgid", o->tgid);
	if (XF_HAS(o, XFILTER_OWNER_A_UID))
		xf_json_ku64(j, "uid", o->uid);
	if (XF_HAS(o, XFILTER_OWNER_A_GID))
		xf_json_ku64(j, "gid", o->gid);
	if (XF_HAS(o, XFILTER_OWNER_A_SOCK_UID))
		xf_json_ku64(j, "sock_uid", o->sock_uid);
	if (XF_HAS(o, XFILTER_OWNER_A_COMM)) {
		xf_json_key(j, "comm");
		xf_json_strn(j, o->comm, sizeof(o->comm));
	}
	json_name(j, "family", xf_family_name(k->family), k->family);
	xf_json_kstr(j, "proto", xf_proto_name(k->proto, tmp, sizeof(tmp)));
	if (XF_HAS(o, XFILTER_OWNER_A_STATE))
		xf_json_kstr(j, "state", xf_state_name(k->proto, o->state));
	json_addr(j, "guest_addr", k->family, k->guest_addr);
	xf_json_ku64(j, "guest_port", k->guest_port);
	if (k->has_peer_addr) {
		json_addr(j, "peer_addr", k->family, k->peer_addr);
	} else {
		xf_json_key(j, "peer_addr");
		xf_json_null(j);
	}
	xf_json_ku64(j, "peer_port", k->peer_port);
	xf_json_ku64(j, "packets", o->packets);
	xf_json_ku64(j, "bytes", o->bytes);
	if (XF_HAS(o, XFILTER_OWNER_A_INODE))
		xf_json_ku64(j, "inode", o->inode);
	if (XF_HAS(o, XFILTER_OWNER_A_START_TIME))
		xf_json_ku64(j, "start_time", o->start_time);
	if (XF_HAS(o, XFILTER_OWNER_A_GENERATION))
		xf_json_ku64(j, "generation", o->generation);
	xf_json_kbool(j, "shared", o->flags & XFILTER_OWNER_F_SHARED);
	xf_json_kbool(j, "unattributed", o->flags & XFILTER_OWNER_F_UNATTRIBUTED);
	if (stats) {
		xf_json_ku64(j, "owner_sockets", row->sockets);
		xf_json_ku64(j, "owner_packets", row->packets);
		xf_json_ku64(j, "owner_bytes", row->bytes);
	}
	xf_json_obj_close(j);
}

static void print_owner_totals(const struct xf_out *o, const struct conn_row *rows,
			       size_t n)
{
	static const char *const head[] = {
		">DOM", ">PID", ">UID", "COMM", ">SOCKETS", ">PKTS", ">BYTES",
	};
	struct xf_table t;

	xf_table_init(&t, 7, head);
	for (size_t i = 0; i < n; i++) {
		const struct xf_owner *ow = &rows[i].c->o;
		char pid[16], uid[16], comm[ESC_LEN] = "-";

		if (i && !owner_cmp(rows[i - 1].c, rows[i].c))
			continue;
		opt_u32(pid, sizeof(pid), ow, XF_HAS(ow, XFILTER_OWNER_A_TGID) ?
			XFILTER_OWNER_A_TGID : XFILTER_OWNER_A_PID,
			XF_HAS(ow, XFILTER_OWNER_A_TGID) ? ow->tgid : ow->pid);
		opt_u32(uid, sizeof(uid), ow, XFILTER_OWNER_A_UID, ow->uid);
		if (XF_HAS(ow, XFILTER_OWNER_A_COMM))
			xf_escape(ow->comm, sizeof(ow->comm), comm, sizeof(comm));
		xf_table_cell(&t, NULL, "%" PRIu32, rows[i].c->domid);
		xf_table_cell(&t, NULL, "%s", pid);
		xf_table_cell(&t, NULL, "%s", uid);
		xf_table_cell(&t, NULL, "%s", comm);
		xf_table_cell(&t, NULL, "%" PRIu32, rows[i].sockets);
		xf_table_cell(&t, NULL, "%" PRIu64, rows[i].packets);
		xf_table_cell(&t, NULL, "%" PRIu64, rows[i].bytes);
	}
	fputc('\n', o->f);
	xf_table_print(&t, o->f, o->color);
	xf_table_free(&t);
}

void xf_print_conns(const struct xf_out *o, struct xf_conn *c, size_t n)
{
	static const char *const head[] = {
		">DOM", ">PID", ">TGID", ">UID", "COMM", "PROTO", "STATE",
		"GUEST", "PEER", ">PKTS", ">BYTES",
	};
	struct conn_row *rows = conn_rows(c, n);
	struct xf_table t;
	struct xf_json j;

	if (!rows) {
		fputs("out of memory\n", o->f);
		return;
	}
	if (o->json) {
		json_begin(&j, o);
		xf_json_arr_open(&j);
		for (size_t i = 0; i < n; i++)
			json_conn(&j, &rows[i], o->stats);
		xf_json_arr_close(&j);
		xf_json_end(&j);
		free(rows);
		return;
	}
	if (!n) {
		free(rows);
		return;
	}
	xf_table_init(&t, 11, head);
	for (size_t i = 0; i < n; i++) {
		const struct xf_owner *ow = &rows[i].c->o;
		const struct xf_key *k = &ow->key;
		char pid[16], tgid[16], uid[16], proto[8], comm[ESC_LEN] = "-";
		char guest[EP_LEN], peer[EP_LEN];
		static const uint8_t zero[16];
		bool gwild = !memcmp(k->guest_addr, zero, xf_addr_len(k->family));

		opt_u32(pid, sizeof(pid), ow, XFILTER_OWNER_A_PID, ow->pid);
		opt_u32(tgid, sizeof(tgid), ow, XFILTER_OWNER_A_TGID, ow->tgid);
		opt_u32(uid, sizeof(uid), ow, XFILTER_OWNER_A_UID, ow->uid);
		if (XF_HAS(ow, XFILTER_OWNER_A_COMM))
			xf_escape(ow->comm, sizeof(ow->comm), comm, sizeof(comm));
		endpoint_str(k->family, k->guest_addr, !gwild, k->guest_port,
			     guest, sizeof(guest));
		endpoint_str(k->family, k->peer_addr, k->has_peer_addr,
			     k->peer_port, peer, sizeof(peer));
		xf_table_cell(&t, NULL, "%" PRIu32, rows[i].c->domid);
		xf_table_cell(&t, NULL, "%s", pid);
		xf_table_cell(&t, NULL, "%s", tgid);
		xf_table_cell(&t, NULL, "%s", uid);
		xf_table_cell(&t, NULL, "%s%s", comm,
			      (ow->flags & XFILTER_OWNER_F_SHARED) && o->stats ?
			      " (shared)" : "");
		xf_table_cell(&t, NULL, "%s", xf_proto_name(k->proto, proto,
							     sizeof(proto)));
		xf_table_cell(&t, NULL, "%s", XF_HAS(ow, XFILTER_OWNER_A_STATE) ?
			      xf_state_name(k->proto, ow->state) : "-");
		xf_table_cell(&t, NULL, "%s", guest);
		xf_table_cell(&t, NULL, "%s", peer);
		xf_table_cell(&t, NULL, "%" PRIu64, ow->packets);
		xf_table_cell(&t, NULL, "%" PRIu64, ow->bytes);
	}
	xf_table_print(&t, o->f, o->color);
	xf_table_free(&t);
	if (o->stats)
		print_owner_totals(o, rows, n);
	free(rows);
}

/* ------------------------------------------------------------------ */
/* domains, stats, info */

void xf_print_domains(const struct xf_out *o, const struct xf_domain *d,
		      size_t n)
{
	static const char *const head[] = {
		">DOM", "FILTER", "FAIL", ">ENTRIES", ">MAX", ">HELD",
		">GENERATION", "VIFS",
	};
	struct xf_table t;
	struct xf_json j;
	char num[16];

	if (o->json) {
		json_begin(&j, o);
		xf_json_arr_open(&j);
		for (size_t i = 0; i < n; i++) {
			xf_json_obj_open(&j);
			xf_json_ku64(&j, "dom", d[i].domid);
			if (XF_HAS(&d[i], XFILTER_DOMAIN_A_ENABLED))
				xf_json_kbool(&j, "enabled", d[i].enabled);
			if (XF_HAS(&d[i], XFILTER_DOMAIN_A_FAIL_MODE))
				json_name(&j, "fail_mode", xf_fail_name(d[i].fail_mode),
					  d[i].fail_mode);
			if (XF_HAS(&d[i], XFILTER_DOMAIN_A_ENTRIES))
				xf_json_ku64(&j, "entries", d[i].entries);
			if (XF_HAS(&d[i], XFILTER_DOMAIN_A_MAX_ENTRIES))
				xf_json_ku64(&j, "max_entries", d[i].max_entries);
			if (XF_HAS(&d[i], XFILTER_DOMAIN_A_HELD))
				xf_json_ku64(&j, "held", d[i].held);
			if (XF_HAS(&d[i], XFILTER_DOMAIN_A_GENERATION))
				xf_json_ku64(&j, "generation", d[i].generation);
			xf_json_key(&j, "vifs");
			xf_json_arr_open(&j);
			for (unsigned int v = 0; v < d[i].nvifs; v++)
				xf_json_strn(&j, d[i].vifs[v], XFILTER_IFNAME_LEN);
			xf_json_arr_close(&j);
			xf_json_obj_close(&j);
		}
		xf_json_arr_close(&j);
		xf_json_end(&j);
		return;
	}
	if (!n)
		return;
	xf_table_init(&t, 8, head);
	for (size_t i = 0; i < n; i++) {
		char vifs[XF_DOMAIN_VIFS_MAX * (XFILTER_IFNAME_LEN * 4 + 1) + 2];
		struct strbuf sb = { .buf = vifs, .len = sizeof(vifs) };

		vifs[0] = '\0';
		for (unsigned int v = 0; v < d[i].nvifs; v++) {
			char esc[XFILTER_IFNAME_LEN * 4 + 1];

			xf_escape(d[i].vifs[v], XFILTER_IFNAME_LEN, esc, sizeof(esc));
			sb_add(&sb, "%s%s", v ? "," : "", esc);
		}
		xf_table_cell(&t, NULL, "%" PRIu32, d[i].domid);
		xf_table_cell(&t, d[i].enabled ? NULL : YELLOW, "%s",
			      !XF_HAS(&d[i], XFILTER_DOMAIN_A_ENABLED) ? "-" :
			      d[i].enabled ? "on" : "off");
		xf_table_cell(&t, NULL, "%s", !XF_HAS(&d[i], XFILTER_DOMAIN_A_FAIL_MODE) ?
			      "-" : name_or_num(xf_fail_name(d[i].fail_mode),
						d[i].fail_mode, num, sizeof(num)));
		xf_table_cell(&t, NULL, "%" PRIu32, d[i].entries);
		xf_table_cell(&t, NULL, "%" PRIu32, d[i].max_entries);
		xf_table_cell(&t, NULL, "%" PRIu32, d[i].held);
		xf_table_cell(&t, NULL, "%" PRIu64, d[i].generation);
		xf_table_cell(&t, NULL, "%s", vifs[0] ? vifs : "-");
	}
	xf_table_print(&t, o->f, o->color);
	xf_table_free(&t);
}

static void json_counters(struct xf_json *j, const struct xf_stats *s)
{
	char name[32];

	for (unsigned int a = XFILTER_STATS_A_PAD + 1; a <= XFILTER_STATS_A_MAX; a++) {
		if (!XF_HAS(s, a))
			continue;
		xf_json_ku64(j, name_or_num(xf_stats_name(a), a, name, sizeof(name)),
			     s->v[a]);
	}
}

static void human_counters(FILE *f, const struct xf_stats *s)
{
	char name[32];
	int w = 0;

	for (unsigned int a = XFILTER_STATS_A_PAD + 1; a <= XFILTER_STATS_A_MAX; a++) {
		int len = (int)strlen(name_or_num(xf_stats_name(a), a, name,
						  sizeof(name)));
		if (XF_HAS(s, a) && len > w)
			w = len;
	}
	for (unsigned int a = XFILTER_STATS_A_PAD + 1; a <= XFILTER_STATS_A_MAX; a++) {
		if (!XF_HAS(s, a))
			continue;
		fprintf(f, "  %-*s  %" PRIu64 "\n", w,
			name_or_num(xf_stats_name(a), a, name, sizeof(name)), s->v[a]);
	}
}

void xf_print_stats(const struct xf_out *o, const struct xf_stats *global,
		    const struct xf_stats *dom, size_t n)
{
	struct xf_json j;

	if (o->json) {
		json_begin(&j, o);
		xf_json_obj_open(&j);
		if (global) {
			xf_json_key(&j, "global");
			xf_json_obj_open(&j);
			json_counters(&j, global);
			xf_json_obj_close(&j);
		}
		xf_json_key(&j, "domains");
		xf_json_arr_open(&j);
		for (size_t i = 0; i < n; i++) {
			xf_json_obj_open(&j);
			xf_json_ku64(&j, "dom", dom[i].domid);
			json_counters(&j, &dom[i]);
			xf_json_obj_close(&j);
		}
		xf_json_arr_close(&j);
		xf_json_obj_close(&j);
		xf_json_end(&j);
		return;
	}
	if (global) {
		fprintf(o->f, "global:\n");
		human_counters(o->f, global);
	}
	for (size_t i = 0; i < n; i++) {
		fprintf(o->f, "%sdom %" PRIu32 ":\n", global || i ? "\n" : "",
			dom[i].domid);
		human_counters(o->f, &dom[i]);
	}
}

void xf_print_info(const struct xf_out *o, const struct xf_nl_info *info)
{
	struct xf_json j;
	char name[16];

	if (o->json) {
		json_begin(&j, o);
		xf_json_obj_open(&j);
		xf_json_kstr(&j, "module_version", info->version);
		xf_json_ku64(&j, "proto_min", info->proto_min);
		xf_json_ku64(&j, "proto_max", info->proto_max);
		xf_json_ku64(&j, "tool_proto", XFILTER_PROTO_VERSION);
		xf_json_kstr(&j, "tool_version", XFILTER_VERSION);
		xf_json_key(&j, "features");
		xf_json_arr_open(&j);
		for (unsigned int b = 0; b < 64; b++) {
			if (!(info->features & (1ULL << b)))
				continue;
			if (xf_feature_name(b)) {
				xf_json_str(&j, xf_feature_name(b));
			} else {
				snprintf(name, sizeof(name), "bit%u", b);
				xf_json_str(&j, name);
			}
		}
		xf_json_arr_close(&j);
		xf_json_ku64(&j, "rules_gen", info->rules_gen);
		xf_json_obj_close(&j);
		xf_json_end(&j);
		return;
	}
	fprintf(o->f, "module version    %s\n", info->version[0] ? info->version : "-");
	fprintf(o->f, "protocol          %u (module speaks %" PRIu32 "-%" PRIu32 ")\n",
		XFILTER_PROTO_VERSION, info->proto_min, info->proto_max);
	fprintf(o->f, "features         ");
	if (!info->features)
		fprintf(o->f, " -");
	for (unsigned int b = 0; b < 64; b++) {
		if (!(info->features & (1ULL << b)))
			continue;
		if (xf_feature_name(b))
			fprintf(o->f, " %s", xf_feature_name(b));
		else
			fprintf(o->f, " bit%u", b);
	}
	fprintf(o->f, "\nrules generation  %" PRIu64 "\n", info->rules_gen);
	fprintf(o->f, "xfilterctl        %s\n", XFILTER_VERSION);
}

/* ------------------------------------------------------------------ */
/* events */

static void time_str(const struct timespec *ts, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&ts->tv_sec, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, ts->tv_nsec / 1000);
}

static void json_key_fields(struct xf_json *j, const struct xf_key *k)
{
	char tmp[8];

	json_name(j, "family", xf_family_name(k->family), k->family);
	xf_json_kstr(j, "proto", xf_proto_name(k->proto, tmp, sizeof(tmp)));
	json_addr(j, "guest_addr", k->family, k->guest_addr);
	xf_json_ku64(j, "guest_port", k->guest_port);
	if (k->has_peer_addr) {
		json_addr(j, "peer_addr", k->family, k->peer_addr);
	} else {
		xf_json_key(j, "peer_addr");
		xf_json_null(j);
	}
	xf_json_ku64(j, "peer_port", k->peer_port);
}

/* " proto=tcp src=A:P dst=B:Q": the packet's own direction, as the audit. */
static void human_key(struct strbuf *sb, const struct xf_key *k, uint8_t dir)
{
	char g[EP_LEN], p[EP_LEN], tmp[8];
	static const uint8_t zero[16];
	bool gwild = !memcmp(k->guest_addr, zero, xf_addr_len(k->family));

	endpoint_str(k->family, k->guest_addr, !gwild, k->guest_port, g, sizeof(g));
	endpoint_str(k->family, k->peer_addr, k->has_peer_addr, k->peer_port,
		     p, sizeof(p));
	sb_add(sb, " proto=%s src=%s dst=%s", xf_proto_name(k->proto, tmp, sizeof(tmp)),
	       dir == XFILTER_DIR_IN ? p : g, dir == XFILTER_DIR_IN ? g : p);
}

static void emit_line(const struct xf_out *o, const struct timespec *now,
		      const char *line)
{
	char ts[64];

	if (o->timestamps && now) {
		time_str(now, ts, sizeof(ts));
		fprintf(o->f, "%s %s\n", ts, line);
	} else {
		fprintf(o->f, "%s\n", line);
	}
	fflush(o->f);
}

static void json_event_begin(struct xf_json *j, const struct xf_out *o,
			     const char *event, const struct timespec *now)
{
	char ts[64];

	json_begin(j, o);
	xf_json_obj_open(j);
	xf_json_kstr(j, "event", event);
	if (o->timestamps && now) {
		time_str(now, ts, sizeof(ts));
		xf_json_kstr(j, "time", ts);
	}
}

static int print_verdict(const struct xf_out *o, struct nlattr **tb,
			 const struct timespec *now)
{
	struct xf_event e;
	char buf[512], tmp[ESC_LEN], num[16];
	struct strbuf sb = { .buf = buf, .len = sizeof(buf) };
	struct xf_json j;

	if (!tb[XFILTER_A_EVENT] || xf_event_parse(tb[XFILTER_A_EVENT], &e))
		return -EINVAL;
	if (o->json) {
		json_event_begin(&j, o, "verdict", now);
		json_name(&j, "verdict", xf_verdict_name(e.verdict), e.verdict);
		xf_json_ku64(&j, "dom", e.domid);
		if (XF_HAS(&e, XFILTER_EVENT_A_IFNAME)) {
			xf_json_key(&j, "vif");
			xf_json_strn(&j, e.ifname, sizeof(e.ifname));
		}
		json_name(&j, "dir", xf_dir_name(e.dir), e.dir);
		json_name(&j, "reason", xf_reason_name(e.reason), e.reason);
		xf_json_ku64(&j, "rule", e.rule_id);
		if (XF_HAS(&e, XFILTER_EVENT_A_KEY)) {
			json_key_fields(&j, &e.key);
		} else if (XF_HAS(&e, XFILTER_EVENT_A_PROTO)) {
			xf_json_kstr(&j, "proto", xf_proto_name(e.proto, num, sizeof(num)));
		}
		if (XF_HAS(&e, XFILTER_EVENT_A_LEN))
			xf_json_ku64(&j, "len", e.len);
		if (XF_HAS(&e, XFILTER_EVENT_A_PID))
			xf_json_ku64(&j, "pid", e.pid);
		if (XF_HAS(&e, XFILTER_EVENT_A_TGID))
			xf_json_ku64(&j, "tgid", e.tgid);
		if (XF_HAS(&e, XFILTER_EVENT_A_UID))
			xf_json_ku64(&j, "uid", e.uid);
		if (XF_HAS(&e, XFILTER_EVENT_A_GID))
			xf_json_ku64(&j, "gid", e.gid);
		if (XF_HAS(&e, XFILTER_EVENT_A_COMM)) {
			xf_json_key(&j, "comm");
			xf_json_strn(&j, e.comm, sizeof(e.comm));
		}
		xf_json_obj_close(&j);
		xf_json_end(&j);
		return 0;
	}
	/* The audit line's fields, in its order, then what only events have. */
	if (o->color && verdict_color(e.verdict))
		sb_add(&sb, "verdict=%s%s%s", verdict_color(e.verdict),
		       name_or_num(xf_verdict_name(e.verdict), e.verdict, num, sizeof(num)),
		       RESET);
	else
		sb_add(&sb, "verdict=%s",
		       name_or_num(xf_verdict_name(e.verdict), e.verdict, num, sizeof(num)));
	sb_add(&sb, " dom=%" PRIu32, e.domid);
	xf_escape(e.ifname, sizeof(e.ifname), tmp, sizeof(tmp));
	sb_add(&sb, " vif=%s", tmp[0] ? tmp : "-");
	sb_add(&sb, " dir=%s", name_or_num(xf_dir_name(e.dir), e.dir, num, sizeof(num)));
	if (XF_HAS(&e, XFILTER_EVENT_A_PID))
		sb_add(&sb, " pid=%" PRIu32, e.pid);
	if (XF_HAS(&e, XFILTER_EVENT_A_UID))
		sb_add(&sb, " uid=%" PRIu32, e.uid);
	if (XF_HAS(&e, XFILTER_EVENT_A_COMM)) {
		xf_escape(e.comm, sizeof(e.comm), tmp, sizeof(tmp));
		sb_add(&sb, " comm=%s", tmp);
	}
	if (XF_HAS(&e, XFILTER_EVENT_A_KEY))
		human_key(&sb, &e.key, e.dir);
	else if (XF_HAS(&e, XFILTER_EVENT_A_PROTO))
		sb_add(&sb, " proto=%s", xf_proto_name(e.proto, num, sizeof(num)));
	sb_add(&sb, " rule=%" PRIu32, e.rule_id);
	sb_add(&sb, " reason=%s",
	       name_or_num(xf_reason_name(e.reason), e.reason, num, sizeof(num)));
	if (XF_HAS(&e, XFILTER_EVENT_A_LEN))
		sb_add(&sb, " len=%" PRIu32, e.len);
	emit_line(o, now, buf);
	return 0;
}

static int print_miss(const struct xf_out *o, struct nlattr **tb,
		      const struct timespec *now)
{
	struct xf_miss m;
	char buf[512], tmp[ESC_LEN], num[16];
	struct strbuf sb = { .buf = buf, .len = sizeof(buf) };
	struct xf_json j;

	if (xf_miss_msg_parse(tb, &m))
		return -EINVAL;
	if (o->json) {
		json_event_begin(&j, o, "miss", now);
		xf_json_ku64(&j, "dom", m.domid);
		xf_json_key(&j, "vif");
		xf_json_strn(&j, m.ifname, sizeof(m.ifname));
		json_name(&j, "dir", xf_dir_name(m.dir), m.dir);
		json_key_fields(&j, &m.key);
		xf_json_obj_close(&j);
		xf_json_end(&j);
		return 0;
	}
	xf_escape(m.ifname, sizeof(m.ifname), tmp, sizeof(tmp));
	sb_add(&sb, "miss dom=%" PRIu32 " vif=%s dir=%s", m.domid,
	       tmp[0] ? tmp : "-", name_or_num(xf_dir_name(m.dir), m.dir, num, sizeof(num)));
	human_key(&sb, &m.key, m.dir);
	emit_line(o, now, buf);
	return 0;
}

static const char *config_event_name(uint8_t cmd)
{
	switch (cmd) {
	case XFILTER_CMD_RULE_NEW:
		return "rule-new";
	case XFILTER_CMD_RULE_DEL:
		return "rule-del";
	case XFILTER_CMD_RULE_FLUSH:
		return "rule-flush";
	case XFILTER_CMD_RULE_REPLACE:
		return "rule-replace";
	case XFILTER_CMD_DOMAIN_SET:
		return "domain-set";
	}
	return NULL;
}

static int print_config(const struct xf_out *o, uint8_t cmd, struct nlattr **tb,
			const struct timespec *now)
{
	const char *name = config_event_name(cmd);
	char buf[768], text[512], num[16];
	struct strbuf sb = { .buf = buf, .len = sizeof(buf) };
	struct xf_rule r;
	struct xf_domain d;
	bool has_rule = false, has_dom = false;
	struct xf_json j;

	if (tb[XFILTER_A_RULE]) {
		if (xf_rule_parse(tb[XFILTER_A_RULE], &r))
			return -EINVAL;
		has_rule = true;
	}
	if (tb[XFILTER_A_DOMAIN]) {
		if (xf_domain_parse(tb[XFILTER_A_DOMAIN], &d))
			return -EINVAL;
		has_dom = true;
	}
	if (o->json) {
		json_event_begin(&j, o, name, now);
		if (has_rule) {
			xf_json_key(&j, "rule");
			json_rule(&j, &r);
		}
		if (tb[XFILTER_A_DOMID])
			xf_json_ku64(&j, "dom", nla_get_u32(tb[XFILTER_A_DOMID]));
		if (tb[XFILTER_A_RULES_GEN])
			xf_json_ku64(&j, "rules_gen", nla_get_u64(tb[XFILTER_A_RULES_GEN]));
		if (has_dom) {
			xf_json_key(&j, "domain");
			xf_json_obj_open(&j);
			if (XF_HAS(&d, XFILTER_DOMAIN_A_DOMID))
				xf_json_ku64(&j, "dom", d.domid);
			if (XF_HAS(&d, XFILTER_DOMAIN_A_ENABLED))
				xf_json_kbool(&j, "enabled", d.enabled);
			if (XF_HAS(&d, XFILTER_DOMAIN_A_FAIL_MODE))
				json_name(&j, "fail_mode", xf_fail_name(d.fail_mode),
					  d.fail_mode);
			if (XF_HAS(&d, XFILTER_DOMAIN_A_MAX_ENTRIES))
				xf_json_ku64(&j, "max_entries", d.max_entries);
			xf_json_obj_close(&j);
		}
		xf_json_obj_close(&j);
		xf_json_end(&j);
		return 0;
	}
	sb_add(&sb, "config=%s", name);
	if (has_rule && XF_HAS(&r, XFILTER_RULE_A_ID))
		sb_add(&sb, " id=%" PRIu32, r.id);
	if (has_rule && cmd == XFILTER_CMD_RULE_NEW) {
		xf_rule_format(&r, XF_RF_ALL, text, sizeof(text));
		sb_add(&sb, " rule=\"%s\"", text);
	}
	if (tb[XFILTER_A_DOMID])
		sb_add(&sb, " dom=%" PRIu32, nla_get_u32(tb[XFILTER_A_DOMID]));
	if (tb[XFILTER_A_RULES_GEN])
		sb_add(&sb, " rules_gen=%" PRIu64, nla_get_u64(tb[XFILTER_A_RULES_GEN]));
	if (has_dom) {
		if (XF_HAS(&d, XFILTER_DOMAIN_A_DOMID))
			sb_add(&sb, " dom=%" PRIu32, d.domid);
		if (XF_HAS(&d, XFILTER_DOMAIN_A_ENABLED))
			sb_add(&sb, " filter=%s", d.enabled ? "on" : "off");
		if (XF_HAS(&d, XFILTER_DOMAIN_A_FAIL_MODE))
			sb_add(&sb, " fail=%s", name_or_num(xf_fail_name(d.fail_mode),
							    d.fail_mode, num, sizeof(num)));
		if (XF_HAS(&d, XFILTER_DOMAIN_A_MAX_ENTRIES))
			sb_add(&sb, " max-entries=%" PRIu32, d.max_entries);
	}
	emit_line(o, now, buf);
	return 0;
}

int xf_print_event(const struct xf_out *o, const struct nlmsghdr *nlh,
		   struct nlattr **tb, const struct timespec *now)
{
	uint8_t cmd = xf_nl_cmd(nlh);

	switch (cmd) {
	case XFILTER_CMD_VERDICT:
		return print_verdict(o, tb, now);
	case XFILTER_CMD_MISS:
		return print_miss(o, tb, now);
	default:
		if (config_event_name(cmd))
			return print_config(o, cmd, tb, now);
	}
	return -ENOENT;
}
