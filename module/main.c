// SPDX-License-Identifier: GPL-2.0
/*
 * xFilter: per-process and per-user filtering of Xen guest traffic from
 * dom0. Module entry and exit, and the module parameters.
 */

/**
 * DOC: Locking
 *
 * Readers: the packet path (the vif hooks, softirq; the hold work with BH
 * disabled) reads the domain, its owner table and the ruleset under RCU and
 * never sleeps or takes a mutex. It takes two spinlocks only on the miss
 * path: the vif's hold_lock (queue) and the domain's neg_lock (negative
 * cache).
 *
 * Writers: one mutex, xf_lock, serialises every change: domain creation and
 * settings, owner table inserts/deletes/sweeps, ruleset replacement, the
 * per-domain vif lists. Owner entries and rulesets are never changed in
 * place: a writer builds a new object, publishes it (hlist_replace_rcu,
 * rcu_assign_pointer) and frees the old one after a grace period
 * (kfree_rcu, call_rcu). A domain's state lives while it has a vif and is
 * freed after a grace period too ("DOC: Domain lifetime" in domain.c).
 *
 * Nesting: RTNL -> xf_lock (the netdevice notifier attaches vifs under
 * RTNL and takes xf_lock); netlink commands take xf_lock and never RTNL.
 * hold_lock and neg_lock nest inside anything and take nothing.
 *
 * Teardown of a vif: unregister its hooks, synchronize_net() so no hook of
 * it runs, unlink it under xf_lock, stop its hold work and free the held
 * packets; if it was its domain's last vif, free the domain's state. Module
 * exit does that for every vif, then unregisters the family, frees the
 * recorded domain settings and waits for RCU callbacks (rcu_barrier).
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <net/genetlink.h>

#include "domain.h"
#include "rules.h"
#include "hold.h"
#include "vif.h"
#include "netlink.h"
#include "sysfs.h"
#include "audit.h"
#include "table.h"

module_param_named(max_entries, xf_max_entries, uint, 0644);
MODULE_PARM_DESC(max_entries, "Owner table limit of a new domain (default 16384)");
module_param_named(hold_ms, xf_hold_ms, uint, 0644);
MODULE_PARM_DESC(hold_ms, "How long a packet waits for its owner, ms (default 900)");
module_param_named(hold_max_packets, xf_hold_max_packets, uint, 0644);
MODULE_PARM_DESC(hold_max_packets, "Packets held per vif at most (default 256)");
module_param_named(hold_max_bytes, xf_hold_max_bytes, uint, 0644);
MODULE_PARM_DESC(hold_max_bytes, "Bytes held per vif at most (default 1 MiB)");
module_param_named(dom_hold_max_packets, xf_dom_hold_max_packets, uint, 0644);
MODULE_PARM_DESC(dom_hold_max_packets, "Packets held per domain at most (default 1024)");
module_param_named(dom_hold_max_bytes, xf_dom_hold_max_bytes, uint, 0644);
MODULE_PARM_DESC(dom_hold_max_bytes, "Bytes held per domain at most (default 4 MiB)");
module_param_named(dom_miss_inflight, xf_dom_miss_inflight, uint, 0644);
MODULE_PARM_DESC(dom_miss_inflight, "Unanswered misses per domain at most (default 8)");
module_param_named(miss_budget, xf_miss_budget, uint, 0644);
MODULE_PARM_DESC(miss_budget, "New misses per second a domain may send the daemon (default 2000)");
module_param_named(neg_ttl_ms, xf_neg_ttl_ms, uint, 0644);
MODULE_PARM_DESC(neg_ttl_ms, "Lifetime of a negative cache entry, ms (default 1000)");
module_param_named(audit_burst, xf_audit_burst, uint, 0444);
MODULE_PARM_DESC(audit_burst, "Audit lines per interval before suppression (default 100)");
module_param_named(audit_interval_ms, xf_audit_interval_ms, uint, 0444);
MODULE_PARM_DESC(audit_interval_ms, "Audit rate-limit interval, ms (default 1000)");

static int __init xf_init(void)
{
	int err;

	xf_audit_init();
	err = xf_flow_init();
	if (err)
		return err;
	err = xf_rules_init();
	if (err)
		goto err_rules;
	err = xf_sysfs_init();
	if (err)
		goto err_sysfs;
	err = xf_nl_init();
	if (err)
		goto err_nl;
	err = xf_vif_init();
	if (err)
		goto err_vif;
	pr_info("xFilter %s loaded\n", XFILTER_VERSION);
	return 0;

err_vif:
	xf_nl_exit();
err_nl:
	xf_domain_exit();
	xf_sysfs_exit();
err_sysfs:
	xf_rules_exit();
err_rules:
	xf_flow_exit();
	return err;
}

static void __exit xf_exit(void)
{
	xf_vif_exit();		/* no hook left, no packet held */
	xf_nl_exit();		/* no command or dump running */
	xf_domain_exit();	/* the recorded settings */
	xf_sysfs_exit();
	xf_rules_exit();
	rcu_barrier();		/* every kfree_rcu/call_rcu has run */
	xf_flow_exit();
	pr_info("xFilter unloaded\n");
}

module_init(xf_init);
module_exit(xf_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("xFilter: per-process filtering of Xen guest traffic in dom0");
MODULE_AUTHOR("xFilter developers");
MODULE_VERSION(XFILTER_VERSION);
MODULE_ALIAS_GENL_FAMILY(XFILTER_GENL_NAME);
