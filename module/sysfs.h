/* SPDX-License-Identifier: GPL-2.0 */
/* sysfs counters: /sys/kernel/xfilter and /sys/kernel/xfilter/domains/<id>. */
#ifndef _XF_SYSFS_H
#define _XF_SYSFS_H

struct xf_domain;

int xf_sysfs_init(void);
void xf_sysfs_exit(void);
void xf_sysfs_domain_add(struct xf_domain *dom);
void xf_sysfs_domain_unlink(struct xf_domain *dom);

#endif /* _XF_SYSFS_H */
