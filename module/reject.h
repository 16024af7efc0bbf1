/* SPDX-License-Identifier: GPL-2.0 */
/* Reject: answer a refused guest packet with a TCP RST or ICMP unreachable. */
#ifndef _XF_REJECT_H
#define _XF_REJECT_H

#include <linux/skbuff.h>

struct xf_vif;
struct xf_pkt;

void xf_reject(struct xf_vif *vif, struct sk_buff *skb,
	       const struct xf_pkt *pkt);

#endif /* _XF_REJECT_H */
