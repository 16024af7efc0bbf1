// SPDX-License-Identifier: GPL-2.0
/*
 * Guest vifs. A netdevice notifier finds every guest vif as it registers
 * (its parent is a xen-netback backend device, whose otherend_id is the
 * guest's domid; failing that, a name of the form vif<domid>.<n>, which is
 * also how tests mark a veth) and attaches two NFPROTO_NETDEV hooks to it:
 * ingress sees what the guest sends (OUT), egress what it receives (IN).
 * The hooks sit on the vif itself, so bridged and routed dom0 set-ups are
 * treated alike. A rename is an unregister and a register. A domain's state
 * goes when its last vif does (see "DOC: Domain lifetime" in domain.c).
 */
#include <linux/netdevice.h>
#include <linux/if_arp.h>
#include <linux/netfilter.h>
#include <linux/netfilter_netdev.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <net/net_namespace.h>
#include <kunit/visibility.h>

#if IS_ENABLED(CONFIG_XEN_BACKEND)
#include <xen/xenbus.h>
#endif

#include "vif.h"
#include "domain.h"
#include "hold.h"
#include "packet.h"
#include "table.h"

/* Every attached vif, under RTNL and xf_lock. */
static LIST_HEAD(xf_vifs);

static DEFINE_PER_CPU(struct xf_skip, xf_skip);

/*
 * Marks @skb as already decided by @vif's hooks until xf_skip_restore(). The
 * mark is per CPU and matches one skb on one vif only: a re-injected packet
 * that the bridge forwards to another vif is filtered there as usual.
 * Context: BH disabled.
 */
struct xf_skip xf_skip_set(const struct sk_buff *skb, const struct xf_vif *vif)
{
	struct xf_skip *s = this_cpu_ptr(&xf_skip);
	struct xf_skip prev = *s;

	s->skb = skb;
	s->vif = vif;
	return prev;
}

void xf_skip_restore(struct xf_skip prev)
{
	*this_cpu_ptr(&xf_skip) = prev;
}

static bool skip_match(const struct sk_buff *skb, const struct xf_vif *vif)
{
	struct xf_skip *s = this_cpu_ptr(&xf_skip);

	if (likely(s->skb != skb) || s->vif != vif)
		return false;
	s->skb = NULL;
	return true;
}

static unsigned int hook_ingress(void *priv, struct sk_buff *skb,
				 const struct nf_hook_state *state)
{
	if (unlikely(skip_match(skb, priv)))
		return NF_ACCEPT;
	return xf_packet_hook_out(priv, skb);
}

static unsigned int hook_egress(void *priv, struct sk_buff *skb,
				const struct nf_hook_state *state)
{
	if (unlikely(skip_match(skb, priv)))
		return NF_ACCEPT;
	return xf_packet_hook_in(priv, skb);
}

/* "vif<domid>.<handle>" and nothing else. */
bool xf_vif_name_domid(const char *name, u32 *domid)
{
	unsigned int d, h;
	int n = 0;

	if (sscanf(name, "vif%u.%u%n", &d, &h, &n) != 2 || name[n] ||
	    d > XFILTER_DOMID_MAX)
		return false;
	*domid = d;
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(xf_vif_name_domid);

static bool vif_domid(struct net_device *dev, u32 *domid)
{
#if IS_ENABLED(CONFIG_XEN_BACKEND)
	struct device *parent = dev->dev.parent;

	if (parent && parent->bus && !strcmp(parent->bus->name, "xen-backend")) {
		struct xenbus_device *xdev = to_xenbus_device(parent);

		if (!strcmp(xdev->devicetype, "vif") &&
		    xdev->otherend_id <= XFILTER_DOMID_MAX) {
			*domid = xdev->otherend_id;
			return true;
		}
	}
#endif
	if (dev->type != ARPHRD_ETHER)
		return false;
	return xf_vif_name_domid(dev->name, domid);
}

static struct xf_vif *vif_find(const struct net_device *dev)
{
	struct xf_vif *vif;

	list_for_each_entry(vif, &xf_vifs, all_node)
		if (vif->dev == dev)
			return vif;
	return NULL;
}

/* Context: process, RTNL held. */
static int vif_attach(struct net_device *dev)
{
	struct xf_domain *dom = NULL;
	struct xf_vif *vif;
	u32 domid;
	int err;

	if (!vif_domid(dev, &domid))
		return 0;
	vif = kzalloc(sizeof(*vif), GFP_KERNEL);
	if (!vif)
		return -ENOMEM;
	mutex_lock(&xf_lock);
	dom = xf_domain_get_or_create(domid);
	if (!dom) {
		err = -ENOMEM;
		goto err_unlock;
	}
	vif->dev = dev;
	vif->dom = dom;
	strscpy(vif->ifname, dev->name, sizeof(vif->ifname));
	xf_hold_vif_init(vif);

	vif->ops[0].hook = hook_ingress;
	vif->ops[0].hooknum = NF_NETDEV_INGRESS;
	vif->ops[1].hook = hook_egress;
	vif->ops[1].hooknum = NF_NETDEV_EGRESS;
	vif->ops[0].pf = vif->ops[1].pf = NFPROTO_NETDEV;
	vif->ops[0].dev = vif->ops[1].dev = dev;
	vif->ops[0].priv = vif->ops[1].priv = vif;
	vif->ops[0].priority = vif->ops[1].priority = 0;

	err = nf_register_net_hooks(dev_net(dev), vif->ops, ARRAY_SIZE(vif->ops));
	if (err)
		goto err_unlock;
	list_add_tail(&vif->dom_node, &dom->vifs);
	list_add_tail(&vif->all_node, &xf_vifs);
	mutex_unlock(&xf_lock);
	pr_debug("attached to %s (domain %u)\n", dev->name, domid);
	return 0;

err_unlock:
	mutex_unlock(&xf_lock);
	kfree(vif);
	pr_warn("cannot attach to %s: %d\n", dev->name, err);
	/* State created for this vif alone goes with it. */
	if (dom)
		xf_domain_reap(dom);
	return err;
}

/*
 * Unhooks and frees @vif. Returns its domain, whose state the caller hands
 * to xf_domain_reap() once nothing more may attach to it: when this was
 * its last vif the guest went away (destroyed, or its network detached),
 * and its sockets with it, so its owner entries and negative cache must
 * not answer for whatever flow a re-created domain brings. The daemon
 * refills the table of a guest that is still running on its next walk.
 * Context: process, RTNL held.
 */
static struct xf_domain *vif_detach(struct xf_vif *vif)
{
	struct xf_domain *dom = vif->dom;

	nf_unregister_net_hooks(dev_net(vif->dev), vif->ops,
				ARRAY_SIZE(vif->ops));
	/* No hook of this vif runs or will run once this returns. */
	synchronize_net();
	mutex_lock(&xf_lock);
	list_del(&vif->dom_node);
	list_del(&vif->all_node);
	mutex_unlock(&xf_lock);
	xf_hold_vif_drain(vif);
	pr_debug("detached from %s\n", vif->ifname);
	kfree(vif);
	return dom;
}

static int xf_netdev_event(struct notifier_block *nb, unsigned long event,
			   void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct xf_domain *dom = NULL;
	struct xf_vif *vif;

	switch (event) {
	case NETDEV_REGISTER:
		vif_attach(dev);
		break;
	case NETDEV_UNREGISTER:
		vif = vif_find(dev);
		if (vif)
			dom = vif_detach(vif);
		break;
	case NETDEV_CHANGENAME:
		/*
		 * Attached again before the old domain is looked at: a rename
		 * within the domain keeps its state and table.
		 */
		vif = vif_find(dev);
		if (vif)
			dom = vif_detach(vif);
		vif_attach(dev);
		break;
	}
	if (dom)
		xf_domain_reap(dom);
	return NOTIFY_DONE;
}

static struct notifier_block xf_netdev_nb = {
	.notifier_call = xf_netdev_event,
};

/* Attaches to the vifs that exist already (the notifier replays them). */
int xf_vif_init(void)
{
	return register_netdevice_notifier(&xf_netdev_nb);
}

/* Detaches from every vif (the notifier replays their unregistration). */
void xf_vif_exit(void)
{
	unregister_netdevice_notifier(&xf_netdev_nb);
	WARN_ON(!list_empty(&xf_vifs));
}
