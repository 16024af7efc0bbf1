/* SPDX-License-Identifier: GPL-2.0 */
/* Guest vifs: device tracking and the two netfilter hooks of each. */
#ifndef _XF_VIF_H
#define _XF_VIF_H

#include <linux/netdevice.h>
#include <linux/netfilter.h>
#include <linux/workqueue.h>
#include <linux/xfilter.h>

struct xf_domain;

struct xf_vif {
	struct list_head dom_node;	/* dom->vifs, under xf_lock */
	struct list_head all_node;	/* xf_vifs, under xf_lock */
	struct net_device *dev;
	struct xf_domain *dom;
	char ifname[IFNAMSIZ];
	struct nf_hook_ops ops[2];	/* ingress (OUT), egress (IN) */

	/* hold queue, see hold.c */
	spinlock_t hold_lock;
	struct list_head held;
	u32 held_pkts;
	u32 held_bytes;
	bool dead;
	struct delayed_work hold_work;
};

int xf_vif_init(void);
void xf_vif_exit(void);
bool xf_vif_name_domid(const char *name, u32 *domid);

/*
 * A packet this module sends or re-injects itself must not be filtered
 * again by the same hook; see xf_skip_* in vif.c.
 */
struct xf_skip {
	const struct sk_buff *skb;
	const struct xf_vif *vif;
};

struct xf_skip xf_skip_set(const struct sk_buff *skb, const struct xf_vif *vif);
void xf_skip_restore(struct xf_skip prev);

#endif /* _XF_VIF_H */
