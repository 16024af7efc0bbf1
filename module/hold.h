/* SPDX-License-Identifier: GPL-2.0 */
/* Hold on miss: packets wait for their owner in a bounded per-vif queue. */
#ifndef _XF_HOLD_H
#define _XF_HOLD_H

#include <linux/skbuff.h>

struct xf_vif;
struct xf_domain;
struct xf_pkt;
struct xf_key;

extern unsigned int xf_hold_ms;
extern unsigned int xf_hold_max_packets;
extern unsigned int xf_hold_max_bytes;
extern unsigned int xf_dom_hold_max_packets;
extern unsigned int xf_dom_hold_max_bytes;
extern unsigned int xf_dom_miss_inflight;

/*
 * Packets decided by their deadline per pass over the queue, at most. A
 * storming guest fills its queue within milliseconds, so the whole queue
 * reaches its deadline at once; decided in slices a jiffy apart, that
 * burst (each packet through the fail mode, and on through the bridge
 * when it accepts) is never one long stretch for another domain's packets
 * or the daemon's turns on the same CPU.
 */
#define XF_HOLD_EXPIRE_BATCH	32

#if IS_ENABLED(CONFIG_XFILTER_KUNIT_TEST)
extern bool xf_hold_test_listener;
#endif

unsigned int xf_hold(struct xf_vif *vif, struct sk_buff *skb,
		     const struct xf_pkt *pkt);
void xf_hold_vif_init(struct xf_vif *vif);
void xf_hold_vif_drain(struct xf_vif *vif);
void xf_hold_kick(struct xf_domain *dom);
int xf_hold_no_socket(struct xf_domain *dom, const struct xf_key *key,
		      u64 scan);
int xf_hold_no_socket_keys(struct xf_domain *dom, struct xf_key *keys,
			   unsigned int n, u64 scan);

#endif /* _XF_HOLD_H */
