// SPDX-License-Identifier: GPL-2.0
/*
 * Reject. A packet the guest sent (OUT) and a rule rejected is answered on
 * the vif, toward the guest, as if from the peer: a TCP RST for TCP, an
 * ICMP or ICMPv6 port unreachable otherwise, so the guest's application
 * fails fast instead of retrying. A packet toward the guest (IN) is only
 * dropped: answering the peer from dom0 would speak for the guest.
 * The answer passes the vif's egress hook unfiltered (it is ours).
 */
#include <linux/netdevice.h>
#include <linux/etherdevice.h>
#include <linux/if_vlan.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/netfilter.h>
#include <net/netfilter/ipv4/nf_reject.h>
#include <net/netfilter/ipv6/nf_reject.h>

#include <linux/xfilter.h>

#include "reject.h"
#include "parse.h"
#include "vif.h"

/* Context: BH disabled, @skb received on the vif (network header at data). */
void xf_reject(struct xf_vif *vif, struct sk_buff *skb,
	       const struct xf_pkt *pkt)
{
	struct net_device *dev = vif->dev;
	struct net *net = dev_net(dev);
	struct sk_buff *nskb = NULL;
	struct xf_skip prev;

	if (pkt->dir != XFILTER_DIR_OUT || pkt->malformed || pkt->fragment ||
	    !skb_mac_header_was_set(skb) ||
	    skb_network_offset(skb) != 0)
		return;

	if (pkt->family == AF_INET && skb->protocol == htons(ETH_P_IP)) {
		if (pkt->l4proto == IPPROTO_TCP)
			nskb = nf_reject_skb_v4_tcp_reset(net, skb, dev,
							  NF_NETDEV_INGRESS);
		else
			nskb = nf_reject_skb_v4_unreach(net, skb, dev,
							NF_NETDEV_INGRESS,
							ICMP_PORT_UNREACH);
	} else if (IS_ENABLED(CONFIG_IPV6) && pkt->family == AF_INET6 &&
		   skb->protocol == htons(ETH_P_IPV6)) {
		if (pkt->l4proto == IPPROTO_TCP)
			nskb = nf_reject_skb_v6_tcp_reset(net, skb, dev,
							  NF_NETDEV_INGRESS);
		else
			nskb = nf_reject_skb_v6_unreach(net, skb, dev,
							NF_NETDEV_INGRESS,
							ICMPV6_PORT_UNREACH);
	}
	if (!nskb)
		return;

	if (skb_vlan_tag_present(skb))
		__vlan_hwaccel_put_tag(nskb, skb->vlan_proto,
				       skb_vlan_tag_get(skb));
	if (dev_hard_header(nskb, dev, ntohs(skb->protocol),
			    eth_hdr(skb)->h_source, eth_hdr(skb)->h_dest,
			    nskb->len) < 0) {
		kfree_skb(nskb);
		return;
	}
	prev = xf_skip_set(nskb, vif);
	dev_queue_xmit(nskb);
	xf_skip_restore(prev);
}
