/* SPDX-License-Identifier: GPL-2.0 */
/* The audit line: one fixed key=value record per drop/reject/log verdict. */
#ifndef _XF_AUDIT_H
#define _XF_AUDIT_H

#include <linux/types.h>

struct xf_vif;
struct xf_pkt;
struct xf_owner_info;

extern unsigned int xf_audit_burst;
extern unsigned int xf_audit_interval_ms;

void xf_audit_init(void);
void xf_audit(struct xf_vif *vif, const struct xf_pkt *pkt, u8 verdict,
	      u32 rule_id, const struct xf_owner_info *owner);
int xf_audit_format(char *buf, size_t size, const char *ifname, u32 domid,
		    const struct xf_pkt *pkt, u8 verdict, u32 rule_id,
		    const struct xf_owner_info *owner);

#endif /* _XF_AUDIT_H */
