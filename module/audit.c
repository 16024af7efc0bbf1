// SPDX-License-Identifier: GPL-2.0
/*
 * The audit line. One record per drop, reject or log verdict, always the
 * same keys in the same order so that it can be parsed:
 *
 *   xfilter: verdict=drop dom=3 vif=vif3.0 dir=out pid=812 uid=1001
 *            comm=nmap proto=tcp src=10.0.0.5:41234 dst=10.0.0.9:25 rule=4
 *
 * (one line). Unknown values are "-". src and dst are the packet's own.
 * The comm comes from guest memory: anything but a printable non-space
 * character is shown as '?', so a guest cannot forge keys or lines. Lines
 * are rate-limited globally; suppressed ones are counted per domain.
 */
#include <linux/kernel.h>
#include <linux/ratelimit.h>
#include <linux/ctype.h>
#include <linux/in.h>
#include <linux/socket.h>
#include <kunit/visibility.h>

#include "audit.h"
#include "parse.h"
#include "table.h"
#include "domain.h"
#include "vif.h"

unsigned int xf_audit_burst = 100;
unsigned int xf_audit_interval_ms = 1000;

static struct ratelimit_state xf_audit_rs;

void xf_audit_init(void)
{
	ratelimit_state_init(&xf_audit_rs,
			     msecs_to_jiffies(xf_audit_interval_ms),
			     xf_audit_burst);
	ratelimit_set_flags(&xf_audit_rs, RATELIMIT_MSG_ON_RELEASE);
}

static const char *verdict_name(u8 v)
{
	switch (v) {
	case XFILTER_VERDICT_ACCEPT:
		return "accept";
	case XFILTER_VERDICT_DROP:
		return "drop";
	case XFILTER_VERDICT_REJECT:
		return "reject";
	case XFILTER_VERDICT_LOG:
		return "log";
	default:
		return "none";
	}
}

static int fmt_proto(char *buf, size_t size, u8 family, u8 proto)
{
	if (!family)
		return scnprintf(buf, size, "-");
	switch (proto) {
	case IPPROTO_TCP:
		return scnprintf(buf, size, "tcp");
	case IPPROTO_UDP:
		return scnprintf(buf, size, "udp");
	case IPPROTO_ICMP:
		return scnprintf(buf, size, "icmp");
	case IPPROTO_ICMPV6:
		return scnprintf(buf, size, "icmpv6");
	default:
		return scnprintf(buf, size, "%u", proto);
	}
}

static int fmt_ep(char *buf, size_t size, const struct xf_pkt *pkt,
		  const union xf_addr *a, __be16 port)
{
	if (pkt->family == AF_INET && pkt->has_key)
		return scnprintf(buf, size, "%pI4:%u", &a->ip, ntohs(port));
	if (pkt->family == AF_INET)
		return scnprintf(buf, size, "%pI4", &a->ip);
	if (pkt->family == AF_INET6 && pkt->has_key)
		return scnprintf(buf, size, "[%pI6c]:%u", &a->ip6, ntohs(port));
	if (pkt->family == AF_INET6)
		return scnprintf(buf, size, "%pI6c", &a->ip6);
	return scnprintf(buf, size, "-");
}

/* Formats the record (without the "xfilter: " prefix). Returns its length. */
int xf_audit_format(char *buf, size_t size, const char *ifname, u32 domid,
		    const struct xf_pkt *pkt, u8 verdict, u32 rule_id,
		    const struct xf_owner_info *owner)
{
	const struct xf_key *k = &pkt->key;
	bool out = pkt->dir == XFILTER_DIR_OUT;
	char comm[XFILTER_COMM_LEN];
	int n, i;

	n = scnprintf(buf, size, "verdict=%s dom=%u vif=%s dir=%s ",
		      verdict_name(verdict), domid, ifname, out ? "out" : "in");
	if (owner) {
		for (i = 0; i < XFILTER_COMM_LEN - 1 && owner->comm[i]; i++)
			comm[i] = isgraph(owner->comm[i]) &&
				  owner->comm[i] != '=' ? owner->comm[i] : '?';
		comm[i] = '\0';
		n += scnprintf(buf + n, size - n, "pid=%u uid=%u comm=%s ",
			       owner->pid, owner->uid, i ? comm : "-");
	} else {
		n += scnprintf(buf + n, size - n, "pid=- uid=- comm=- ");
	}
	n += scnprintf(buf + n, size - n, "proto=");
	n += fmt_proto(buf + n, size - n, pkt->family, pkt->l4proto);
	n += scnprintf(buf + n, size - n, " src=");
	n += fmt_ep(buf + n, size - n, pkt, out ? &k->gaddr : &k->paddr,
		    out ? k->gport : k->pport);
	n += scnprintf(buf + n, size - n, " dst=");
	n += fmt_ep(buf + n, size - n, pkt, out ? &k->paddr : &k->gaddr,
		    out ? k->pport : k->gport);
	if (rule_id)
		n += scnprintf(buf + n, size - n, " rule=%u", rule_id);
	else
		n += scnprintf(buf + n, size - n, " rule=-");
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(xf_audit_format);

/* Context: any. */
void xf_audit(struct xf_vif *vif, const struct xf_pkt *pkt, u8 verdict,
	      u32 rule_id, const struct xf_owner_info *owner)
{
	char line[256];

	if (!__ratelimit(&xf_audit_rs)) {
		atomic64_inc(&vif->dom->audit_suppressed);
		return;
	}
	xf_audit_format(line, sizeof(line), vif->ifname, vif->dom->domid, pkt,
			verdict, rule_id, owner);
	pr_info("%s\n", line);
}
