/* SPDX-License-Identifier: GPL-2.0 */
/* Generic netlink family "xfilter": commands, dumps, notifications, events. */
#ifndef _XF_NETLINK_H
#define _XF_NETLINK_H

#include <linux/types.h>
#include <net/netlink.h>

struct xf_vif;
struct xf_pkt;
struct xf_owner_info;
struct xf_rule;

int xf_nl_init(void);
void xf_nl_exit(void);

bool xf_nl_miss_listeners(void);
void xf_nl_miss_event(const struct xf_vif *vif, const struct xf_pkt *pkt,
		      u64 stamp);
void xf_nl_verdict_event(const struct xf_vif *vif, const struct xf_pkt *pkt,
			 u8 verdict, u8 reason, u32 rule_id,
			 const struct xf_owner_info *owner);
void xf_nl_notify_rule_expired(const struct xf_rule *r);

#if IS_ENABLED(CONFIG_XFILTER_KUNIT_TEST)
struct xf_key;
int xf_nl_key_parse(const struct nlattr *nest, struct xf_key *key,
		    struct netlink_ext_ack *extack);
int xf_nl_keys_parse(const struct nlattr *nest, struct xf_key *keys,
		     unsigned int max, struct netlink_ext_ack *extack);
int xf_nl_owner_parse(const struct nlattr *nest, struct xf_key *key,
		      struct xf_owner_info *oi, struct netlink_ext_ack *extack);
#endif

#endif /* _XF_NETLINK_H */
