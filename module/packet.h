/* SPDX-License-Identifier: GPL-2.0 */
/* The per-packet decision: owner lookup, cached verdict, rules, actions. */
#ifndef _XF_PACKET_H
#define _XF_PACKET_H

#include <linux/skbuff.h>

struct xf_vif;
struct xf_pkt;
struct xf_table;
struct xf_owner;

/* Why a packet is decided without its owner, when it is. */
enum xf_fail {
	XF_FAIL_NONE,
	XF_FAIL_TIMEOUT,
	XF_FAIL_TIMED_OUT_KEY,	/* the key timed out a moment ago */
	XF_FAIL_FULL,
	XF_FAIL_NO_DAEMON,
};

struct xf_owner *xf_packet_owner(struct xf_table *t, const struct xf_pkt *pkt);
unsigned int xf_packet_hook(struct xf_vif *vif, struct sk_buff *skb, u8 dir);
unsigned int xf_packet_hook_out(struct xf_vif *vif, struct sk_buff *skb);
unsigned int xf_packet_hook_in(struct xf_vif *vif, struct sk_buff *skb);
unsigned int xf_packet_resolve(struct xf_vif *vif, struct sk_buff *skb,
			       const struct xf_pkt *pkt, enum xf_fail fail);

#endif /* _XF_PACKET_H */
