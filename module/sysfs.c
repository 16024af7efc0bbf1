// SPDX-License-Identifier: GPL-2.0
/*
 * sysfs counters, one value per file: /sys/kernel/xfilter/<counter> for
 * the sum over every domain, and /sys/kernel/xfilter/domains/<domid>/ with
 * the domain's counters and settings (fail_mode, enabled, max_entries).
 * File names are those of enum xfilter_stats_attr. A domain directory owns
 * its domain: the kobject release frees it (see "DOC: Domain lifetime").
 */
#include <linux/kobject.h>
#include <linux/sysfs.h>
#include <linux/slab.h>

#include "sysfs.h"
#include "domain.h"

struct xf_stat_attr {
	struct kobj_attribute attr;
	int idx;
};

static struct kobject *xf_kobj;
static struct kobject *xf_domains_kobj;

static ssize_t stat_show(u64 *v, int idx, char *buf)
{
	return sysfs_emit(buf, "%llu\n", v[idx]);
}

static ssize_t global_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	int idx = container_of(attr, struct xf_stat_attr, attr)->idx;
	u64 v[XF_NSTATS];

	xf_global_stats_read(v);
	return stat_show(v, idx, buf);
}

static ssize_t dom_stat_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	struct xf_domain *dom = container_of(kobj, struct xf_domain, kobj);
	int idx = container_of(attr, struct xf_stat_attr, attr)->idx;
	u64 v[XF_NSTATS];

	xf_domain_stats_read(dom, v);
	return stat_show(v, idx, buf);
}

/* The file names: those in the comments of enum xfilter_stats_attr. */
static const char *const xf_stat_names[XF_NSTATS] = {
	[XFILTER_STATS_A_PACKETS]		= "packets",
	[XFILTER_STATS_A_BYTES]			= "bytes",
	[XFILTER_STATS_A_ACCEPTED]		= "accepted",
	[XFILTER_STATS_A_DROPPED]		= "dropped",
	[XFILTER_STATS_A_REJECTED]		= "rejected",
	[XFILTER_STATS_A_LOGGED]		= "logged",
	[XFILTER_STATS_A_HITS]			= "hits",
	[XFILTER_STATS_A_MISSES]		= "misses",
	[XFILTER_STATS_A_UNKNOWN]		= "unknown",
	[XFILTER_STATS_A_HELD]			= "held",
	[XFILTER_STATS_A_HOLD_RESOLVED]		= "hold_resolved",
	[XFILTER_STATS_A_HOLD_TIMEOUTS]		= "hold_timeouts",
	[XFILTER_STATS_A_HOLD_OVERFLOWS]	= "hold_overflows",
	[XFILTER_STATS_A_NO_DAEMON]		= "no_daemon",
	[XFILTER_STATS_A_FAIL_OPEN]		= "fail_open",
	[XFILTER_STATS_A_FAIL_CLOSED]		= "fail_closed",
	[XFILTER_STATS_A_NEG_HITS]		= "neg_hits",
	[XFILTER_STATS_A_TABLE_FULL]		= "table_full",
	[XFILTER_STATS_A_ENTRIES]		= "entries",
	[XFILTER_STATS_A_AUDIT_SUPPRESSED]	= "audit_suppressed",
	[XFILTER_STATS_A_FLOWS_CUT]		= "flows_cut",
	[XFILTER_STATS_A_MALFORMED]		= "malformed",
	[XFILTER_STATS_A_MISS_LOST]		= "miss_lost",
};

#define XF_FIRST_STAT XFILTER_STATS_A_PACKETS
#define XF_NFILES (XF_NSTATS - XF_FIRST_STAT)

static struct xf_stat_attr global_stats[XF_NFILES];
static struct xf_stat_attr dom_stats[XF_NFILES];

static void stat_attr_init(struct xf_stat_attr *a, int idx,
			   ssize_t (*show)(struct kobject *,
					   struct kobj_attribute *, char *))
{
	sysfs_attr_init(&a->attr.attr);
	a->attr.attr.name = xf_stat_names[idx];
	a->attr.attr.mode = 0444;
	a->attr.show = show;
	a->idx = idx;
}

static ssize_t fail_mode_show(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	struct xf_domain *dom = container_of(kobj, struct xf_domain, kobj);

	return sysfs_emit(buf, "%s\n", READ_ONCE(dom->fail_mode) ==
			  XFILTER_FAIL_CLOSED ? "closed" : "open");
}

static ssize_t enabled_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	struct xf_domain *dom = container_of(kobj, struct xf_domain, kobj);

	return sysfs_emit(buf, "%d\n", READ_ONCE(dom->enabled));
}

static ssize_t max_entries_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	struct xf_domain *dom = container_of(kobj, struct xf_domain, kobj);

	return sysfs_emit(buf, "%u\n", READ_ONCE(dom->max_entries));
}

static struct kobj_attribute fail_mode_attr = __ATTR_RO(fail_mode);
static struct kobj_attribute enabled_attr = __ATTR_RO(enabled);
static struct kobj_attribute max_entries_attr = __ATTR_RO(max_entries);

static struct attribute *global_attrs[ARRAY_SIZE(global_stats) + 1];
static struct attribute *dom_attrs[ARRAY_SIZE(dom_stats) + 4];

static const struct attribute_group global_group = { .attrs = global_attrs };
static const struct attribute_group dom_group = { .attrs = dom_attrs };
static const struct attribute_group *dom_groups[] = { &dom_group, NULL };

static void dom_release(struct kobject *kobj)
{
	struct xf_domain *dom = container_of(kobj, struct xf_domain, kobj);

	/* A directory that failed to appear leaves the domain to its owner. */
	if (dom->kobj_added)
		xf_domain_free(dom);
}

static struct kobj_type dom_ktype = {
	.release = dom_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = dom_groups,
};

/* Context: process, xf_lock held. A failure only costs the directory. */
void xf_sysfs_domain_add(struct xf_domain *dom)
{
	if (!xf_domains_kobj)
		return;
	if (kobject_init_and_add(&dom->kobj, &dom_ktype, xf_domains_kobj,
				 "%u", dom->domid)) {
		kobject_put(&dom->kobj);
		pr_warn("no sysfs directory for domain %u\n", dom->domid);
		return;
	}
	dom->kobj_added = true;
}

/*
 * Removes the directory; once it returns no reader of its files is left.
 * The domain is freed by the last kobject_put(). Context: process.
 */
void xf_sysfs_domain_unlink(struct xf_domain *dom)
{
	kobject_del(&dom->kobj);
}

int xf_sysfs_init(void)
{
	int i, err;

	for (i = 0; i < XF_NFILES; i++) {
		stat_attr_init(&global_stats[i], XF_FIRST_STAT + i, global_show);
		stat_attr_init(&dom_stats[i], XF_FIRST_STAT + i, dom_stat_show);
		global_attrs[i] = &global_stats[i].attr.attr;
		dom_attrs[i] = &dom_stats[i].attr.attr;
	}
	dom_attrs[i++] = &fail_mode_attr.attr;
	dom_attrs[i++] = &enabled_attr.attr;
	dom_attrs[i] = &max_entries_attr.attr;

	xf_kobj = kobject_create_and_add("xfilter", kernel_kobj);
	if (!xf_kobj)
		return -ENOMEM;
	err = sysfs_create_group(xf_kobj, &global_group);
	if (err)
		goto err_put;
	xf_domains_kobj = kobject_create_and_add("domains", xf_kobj);
	if (!xf_domains_kobj) {
		err = -ENOMEM;
		goto err_group;
	}
	return 0;

err_group:
	sysfs_remove_group(xf_kobj, &global_group);
err_put:
	kobject_put(xf_kobj);
	xf_kobj = NULL;
	return err;
}

/* Context: module exit, after every domain directory is gone. */
void xf_sysfs_exit(void)
{
	kobject_put(xf_domains_kobj);
	xf_domains_kobj = NULL;
	sysfs_remove_group(xf_kobj, &global_group);
	kobject_put(xf_kobj);
	xf_kobj = NULL;
}
