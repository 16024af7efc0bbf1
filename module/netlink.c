// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family of include/uapi/linux/xfilter.h. Every
 * command but GET_INFO needs CAP_NET_ADMIN, dumps and multicast groups
 * included. Each command has its own policy, so an attribute it does not
 * take is refused; errors name the attribute at fault. Dumps are marked
 * inconsistent (NLM_F_DUMP_INTR) when what they walk changed under them.
 */
#include <linux/slab.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <kunit/visibility.h>

#include "netlink.h"
#include "domain.h"
#include "table.h"
#include "rules.h"
#include "hold.h"
#include "vif.h"

#define XF_MAX_ENTRIES_LIMIT (1U << 22)

enum {
	XF_MCGRP_MISS,
	XF_MCGRP_VERDICT,
	XF_MCGRP_CONFIG,
};

static struct genl_family xf_genl_family;
/* Cleared under xf_lock before the family goes: late notifications stop. */
static bool xf_nl_live;

static const struct nla_policy xf_key_policy[XFILTER_KEY_A_MAX + 1] = {
	[XFILTER_KEY_A_FAMILY]		= { .type = NLA_U8 },
	[XFILTER_KEY_A_PROTO]		= { .type = NLA_U8 },
	[XFILTER_KEY_A_GUEST_ADDR]	= { .type = NLA_BINARY, .len = 16 },
	[XFILTER_KEY_A_GUEST_PORT]	= { .type = NLA_U16 },
	[XFILTER_KEY_A_PEER_ADDR]	= { .type = NLA_BINARY, .len = 16 },
	[XFILTER_KEY_A_PEER_PORT]	= { .type = NLA_U16 },
};

static const struct nla_policy xf_owner_policy[XFILTER_OWNER_A_MAX + 1] = {
	[XFILTER_OWNER_A_KEY]		= NLA_POLICY_NESTED(xf_key_policy),
	[XFILTER_OWNER_A_PID]		= { .type = NLA_U32 },
	[XFILTER_OWNER_A_TGID]		= { .type = NLA_U32 },
	[XFILTER_OWNER_A_UID]		= { .type = NLA_U32 },
	[XFILTER_OWNER_A_GID]		= { .type = NLA_U32 },
	[XFILTER_OWNER_A_SOCK_UID]	= { .type = NLA_U32 },
	[XFILTER_OWNER_A_COMM]		= { .type = NLA_NUL_STRING,
					    .len = XFILTER_COMM_LEN - 1 },
	[XFILTER_OWNER_A_STATE]		= { .type = NLA_U8 },
	[XFILTER_OWNER_A_START_TIME]	= { .type = NLA_U64 },
	[XFILTER_OWNER_A_INODE]		= { .type = NLA_U64 },
	[XFILTER_OWNER_A_FLAGS]		= { .type = NLA_U32 },
	[XFILTER_OWNER_A_PACKETS]	= { .type = NLA_REJECT },
	[XFILTER_OWNER_A_BYTES]		= { .type = NLA_REJECT },
	[XFILTER_OWNER_A_GENERATION]	= { .type = NLA_REJECT },
};

static const struct nla_policy xf_domain_policy[XFILTER_DOMAIN_A_MAX + 1] = {
	[XFILTER_DOMAIN_A_DOMID]	= NLA_POLICY_MAX(NLA_U32,
							 XFILTER_DOMID_MAX),
	[XFILTER_DOMAIN_A_FAIL_MODE]	= NLA_POLICY_RANGE(NLA_U8,
						XFILTER_FAIL_OPEN,
						XFILTER_FAIL_MAX),
	[XFILTER_DOMAIN_A_ENABLED]	= NLA_POLICY_MAX(NLA_U8, 1),
	[XFILTER_DOMAIN_A_MAX_ENTRIES]	= NLA_POLICY_MIN(NLA_U32, 1),
	[XFILTER_DOMAIN_A_ENTRIES]	= { .type = NLA_REJECT },
	[XFILTER_DOMAIN_A_GENERATION]	= { .type = NLA_REJECT },
	[XFILTER_DOMAIN_A_VIFS]		= { .type = NLA_REJECT },
	[XFILTER_DOMAIN_A_IFNAME]	= { .type = NLA_REJECT },
	[XFILTER_DOMAIN_A_HELD]		= { .type = NLA_REJECT },
};

#define DOMID_POLICY NLA_POLICY_MAX(NLA_U32, XFILTER_DOMID_MAX)

/* A required attribute: points at where it is missing and says which. */
#define NEED(info, attr)						\
	({								\
		bool __miss = GENL_REQ_ATTR_CHECK(info, attr);		\
									\
		if (__miss)						\
			NL_SET_ERR_MSG((info)->extack,			\
				       "missing attribute " #attr);	\
		__miss;							\
	})

static const struct nla_policy xf_none_policy[XFILTER_A_MAX + 1] = {};

static const struct nla_policy xf_rule_new_policy[XFILTER_A_MAX + 1] = {
	[XFILTER_A_RULE]	= NLA_POLICY_NESTED(xf_rule_policy),
};

static const struct nla_policy xf_domid_policy[XFILTER_A_MAX + 1] = {
	[XFILTER_A_DOMID]	= DOMID_POLICY,
};

static const struct nla_policy xf_rule_replace_policy[XFILTER_A_MAX + 1] = {
	[XFILTER_A_RULES]	= NLA_POLICY_NESTED_ARRAY(xf_rule_policy),
};

static const struct nla_policy xf_owner_add_policy[XFILTER_A_MAX + 1] = {
	[XFILTER_A_DOMID]	= DOMID_POLICY,
	[XFILTER_A_GENERATION]	= { .type = NLA_U64 },
	[XFILTER_A_OWNERS]	= NLA_POLICY_NESTED_ARRAY(xf_owner_policy),
	[XFILTER_A_SCAN_STAMP]	= { .type = NLA_U64 },
};

static const struct nla_policy xf_owner_commit_policy[XFILTER_A_MAX + 1] = {
	[XFILTER_A_DOMID]	= DOMID_POLICY,
	[XFILTER_A_GENERATION]	= { .type = NLA_U64 },
};

static const struct nla_policy xf_owner_del_policy[XFILTER_A_MAX + 1] = {
	[XFILTER_A_DOMID]	= DOMID_POLICY,
	[XFILTER_A_OWNER]	= NLA_POLICY_NESTED(xf_owner_policy),
	[XFILTER_A_KEYS]	= NLA_POLICY_NESTED_ARRAY(xf_key_policy),
};

static const struct nla_policy xf_miss_resolve_policy[XFILTER_A_MAX + 1] = {
	[XFILTER_A_DOMID]	= DOMID_POLICY,
	[XFILTER_A_KEY]		= NLA_POLICY_NESTED(xf_key_policy),
	[XFILTER_A_SCAN_STAMP]	= { .type = NLA_U64 },
	[XFILTER_A_KEYS]	= NLA_POLICY_NESTED_ARRAY(xf_key_policy),
};

static const struct nla_policy xf_domain_set_policy[XFILTER_A_MAX + 1] = {
	[XFILTER_A_DOMAIN]	= NLA_POLICY_NESTED(xf_domain_policy),
};

/* Netlink key -> flow key. Context: process. */
VISIBLE_IF_KUNIT int xf_nl_key_parse(const struct nlattr *nest,
				     struct xf_key *key,
				     struct netlink_ext_ack *extack)
{
	struct nlattr *tb[XFILTER_KEY_A_MAX + 1];
	unsigned int alen;
	int err;

	err = nla_parse_nested(tb, XFILTER_KEY_A_MAX, nest, xf_key_policy,
			       extack);
	if (err)
		return err;
	memset(key, 0, sizeof(*key));
	if (!tb[XFILTER_KEY_A_FAMILY] || !tb[XFILTER_KEY_A_PROTO] ||
	    !tb[XFILTER_KEY_A_GUEST_PORT]) {
		NL_SET_ERR_MSG_ATTR(extack, nest,
				    "key needs family, proto and guest port");
		return -EINVAL;
	}
	key->family = nla_get_u8(tb[XFILTER_KEY_A_FAMILY]);
	if (key->family != AF_INET && key->family != AF_INET6) {
		NL_SET_ERR_MSG_ATTR(extack, tb[XFILTER_KEY_A_FAMILY],
				    "family must be AF_INET or AF_INET6");
		return -EINVAL;
	}
	key->proto = nla_get_u8(tb[XFILTER_KEY_A_PROTO]);
	if (key->proto != IPPROTO_TCP && key->proto != IPPROTO_UDP) {
		NL_SET_ERR_MSG_ATTR(extack, tb[XFILTER_KEY_A_PROTO],
				    "proto must be TCP or UDP");
		return -EINVAL;
	}
	alen = key->family == AF_INET ? 4 : 16;
	if (tb[XFILTER_KEY_A_GUEST_ADDR]) {
		if (nla_len(tb[XFILTER_KEY_A_GUEST_ADDR]) != alen) {
			NL_SET_ERR_MSG_ATTR(extack, tb[XFILTER_KEY_A_GUEST_ADDR],
					    "address length does not match the family");
			return -EINVAL;
		}
		memcpy(&key->gaddr, nla_data(tb[XFILTER_KEY_A_GUEST_ADDR]), alen);
	}
	if (tb[XFILTER_KEY_A_PEER_ADDR]) {
		if (nla_len(tb[XFILTER_KEY_A_PEER_ADDR]) != alen) {
			NL_SET_ERR_MSG_ATTR(extack, tb[XFILTER_KEY_A_PEER_ADDR],
					    "address length does not match the family");
			return -EINVAL;
		}
		memcpy(&key->paddr, nla_data(tb[XFILTER_KEY_A_PEER_ADDR]), alen);
	}
	key->gport = htons(nla_get_u16(tb[XFILTER_KEY_A_GUEST_PORT]));
	if (tb[XFILTER_KEY_A_PEER_PORT])
		key->pport = htons(nla_get_u16(tb[XFILTER_KEY_A_PEER_PORT]));
	return 0;
}

static int key_fill(struct sk_buff *skb, int attr, const struct xf_key *key)
{
	unsigned int alen = key->family == AF_INET ? 4 : 16;
	struct nlattr *nest = nla_nest_start(skb, attr);

	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u8(skb, XFILTER_KEY_A_FAMILY, key->family) ||
	    nla_put_u8(skb, XFILTER_KEY_A_PROTO, key->proto) ||
	    nla_put(skb, XFILTER_KEY_A_GUEST_ADDR, alen, &key->gaddr) ||
	    nla_put_u16(skb, XFILTER_KEY_A_GUEST_PORT, ntohs(key->gport)))
		goto cancel;
	if (!xf_key_peer_wild(key) &&
	    (nla_put(skb, XFILTER_KEY_A_PEER_ADDR, alen, &key->paddr) ||
	     nla_put_u16(skb, XFILTER_KEY_A_PEER_PORT, ntohs(key->pport))))
		goto cancel;
	nla_nest_end(skb, nest);
	return 0;
cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

/* Sends @msg to the config group and, with NLM_F_ECHO, to the requester. */
static void notify_config(struct sk_buff *msg, struct genl_info *info)
{
	if (info && (info->nlhdr->nlmsg_flags & NLM_F_ECHO))
		genl_notify(&xf_genl_family, msg, info, XF_MCGRP_CONFIG,
			    GFP_KERNEL);
	else
		genlmsg_multicast(&xf_genl_family, msg, 0, XF_MCGRP_CONFIG,
				  GFP_KERNEL);
}

/* Replies with @msg and notifies the config group with a copy of it. */
static int reply_and_notify(struct sk_buff *msg, struct genl_info *info)
{
	struct sk_buff *copy;

	if (info->nlhdr->nlmsg_flags & NLM_F_ECHO) {
		notify_config(msg, info);
		return 0;
	}
	copy = skb_clone(msg, GFP_KERNEL);
	if (copy)
		genlmsg_multicast(&xf_genl_family, copy, 0, XF_MCGRP_CONFIG,
				  GFP_KERNEL);
	return genlmsg_reply(msg, info);
}

/* A notification that repeats the request's attributes. */
static void notify_request(struct genl_info *info, u8 cmd)
{
	size_t len = nlmsg_len(info->nlhdr) - GENL_HDRLEN;
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(len, GFP_KERNEL);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, info->snd_portid, info->snd_seq,
			  &xf_genl_family, 0, cmd);
	if (!hdr) {
		nlmsg_free(msg);
		return;
	}
	if (len)
		memcpy(skb_put(msg, len), genlmsg_data(info->genlhdr), len);
	genlmsg_end(msg, hdr);
	notify_config(msg, info);
}

static int xf_get_info(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &xf_genl_family, 0,
				XFILTER_CMD_GET_INFO);
	if (!hdr)
		goto nospace;
	if (nla_put_u32(msg, XFILTER_A_PROTO_MIN, XFILTER_PROTO_VERSION) ||
	    nla_put_u32(msg, XFILTER_A_PROTO_MAX, XFILTER_PROTO_VERSION) ||
	    nla_put_u64_64bit(msg, XFILTER_A_FEATURES,
			      XFILTER_FEAT_IPV6 | XFILTER_FEAT_HOLD |
			      XFILTER_FEAT_REJECT | XFILTER_FEAT_EXPIRY |
			      XFILTER_FEAT_NEG_CACHE |
			      XFILTER_FEAT_VERDICT_EVENTS |
			      XFILTER_FEAT_SCAN_STAMP |
			      XFILTER_FEAT_MISS_BATCH |
			      XFILTER_FEAT_OWNER_DEL_BATCH, XFILTER_A_PAD) ||
	    nla_put_string(msg, XFILTER_A_VERSION, XFILTER_VERSION) ||
	    nla_put_u64_64bit(msg, XFILTER_A_RULES_GEN, xf_rules_gen(),
			      XFILTER_A_PAD))
		goto nospace;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
nospace:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static int rule_reply(struct genl_info *info, const struct xf_rule *r)
{
	struct sk_buff *msg;
	struct nlattr *nest;
	void *hdr;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &xf_genl_family, 0,
				XFILTER_CMD_RULE_NEW);
	if (!hdr)
		goto nospace;
	nest = nla_nest_start(msg, XFILTER_A_RULE);
	if (!nest || xf_rule_fill(msg, r, false))
		goto nospace;
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	return reply_and_notify(msg, info);
nospace:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static int xf_rule_new(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *nest = info->attrs[XFILTER_A_RULE];
	struct xf_rule *r;
	int err;

	if (NEED(info, XFILTER_A_RULE))
		return -EINVAL;
	r = xf_rule_parse(nest, info->extack);
	if (IS_ERR(r))
		return PTR_ERR(r);
	if (r->id) {
		NL_SET_ERR_MSG_ATTR(info->extack, nest,
				    "rule ids are assigned by the kernel");
		xf_rule_free(r);
		return -EINVAL;
	}
	mutex_lock(&xf_lock);
	err = xf_rules_add(r);
	if (err) {
		mutex_unlock(&xf_lock);
		xf_rule_free(r);
		if (err == -ENOSPC)
			NL_SET_ERR_MSG(info->extack, "too many rules");
		return err;
	}
	/* The rule cannot go away while xf_lock is held. */
	err = rule_reply(info, r);
	mutex_unlock(&xf_lock);
	return err;
}

static int xf_rule_del(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[XFILTER_RULE_A_MAX + 1];
	struct nlattr *nest = info->attrs[XFILTER_A_RULE];
	int err;

	if (NEED(info, XFILTER_A_RULE))
		return -EINVAL;
	err = nla_parse_nested(tb, XFILTER_RULE_A_MAX, nest, xf_rule_policy,
			       info->extack);
	if (err)
		return err;
	if (!tb[XFILTER_RULE_A_ID]) {
		NL_SET_ERR_MSG_ATTR(info->extack, nest, "rule id missing");
		return -EINVAL;
	}
	mutex_lock(&xf_lock);
	err = xf_rules_del(nla_get_u32(tb[XFILTER_RULE_A_ID]));
	mutex_unlock(&xf_lock);
	if (err == -ENOENT)
		NL_SET_ERR_MSG_ATTR(info->extack, tb[XFILTER_RULE_A_ID],
				    "no rule with this id");
	if (!err)
		notify_request(info, XFILTER_CMD_RULE_DEL);
	return err;
}

static int xf_rule_flush(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *d = info->attrs[XFILTER_A_DOMID];
	int ret;

	mutex_lock(&xf_lock);
	ret = xf_rules_flush(!d, d ? nla_get_u32(d) : 0);
	mutex_unlock(&xf_lock);
	if (ret < 0)
		return ret;
	notify_request(info, XFILTER_CMD_RULE_FLUSH);
	return 0;
}

static int xf_rule_replace(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *nest = info->attrs[XFILTER_A_RULES], *a;
	struct xf_rule **rules = NULL;
	struct sk_buff *msg;
	u32 n = 0, i;
	int rem, err = 0;
	void *hdr;

	if (nest) {
		nla_for_each_nested(a, nest, rem)
			n++;
		if (n > XF_MAX_RULES) {
			NL_SET_ERR_MSG_ATTR(info->extack, nest, "too many rules");
			return -ENOSPC;
		}
		rules = kvcalloc(max(n, 1U), sizeof(*rules), GFP_KERNEL);
		if (!rules)
			return -ENOMEM;
	}
	/* Every rule is validated before anything changes. */
	i = 0;
	if (nest) {
		nla_for_each_nested(a, nest, rem) {
			struct xf_rule *r;

			if (nla_type(a) != XFILTER_A_RULE) {
				NL_SET_ERR_MSG_ATTR(info->extack, a,
						    "expected XFILTER_A_RULE");
				err = -EINVAL;
				goto out;
			}
			r = xf_rule_parse(a, info->extack);
			if (IS_ERR(r)) {
				err = PTR_ERR(r);
				goto out;
			}
			rules[i++] = r;
			if (r->id) {
				NL_SET_ERR_MSG_ATTR(info->extack, a,
						    "rule ids are assigned by the kernel");
				err = -EINVAL;
				goto out;
			}
		}
	}
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg) {
		err = -ENOMEM;
		goto out;
	}
	mutex_lock(&xf_lock);
	err = xf_rules_replace(rules, i);
	mutex_unlock(&xf_lock);
	if (err) {
		nlmsg_free(msg);
		goto out;
	}
	i = 0;	/* the ruleset owns them now */
	hdr = genlmsg_put_reply(msg, info, &xf_genl_family, 0,
				XFILTER_CMD_RULE_REPLACE);
	if (!hdr || nla_put_u64_64bit(msg, XFILTER_A_RULES_GEN, xf_rules_gen(),
				      XFILTER_A_PAD)) {
		nlmsg_free(msg);
		err = -EMSGSIZE;
		goto out;
	}
	genlmsg_end(msg, hdr);
	err = reply_and_notify(msg, info);
out:
	while (i)
		xf_rule_free(rules[--i]);
	kvfree(rules);
	return err;
}

static int xf_rule_get_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	const struct genl_dumpit_info *di = genl_dumpit_info(cb);
	struct nlattr *d = di->attrs[XFILTER_A_DOMID];
	const struct xf_ruleset *rs;
	u32 i;

	rcu_read_lock();
	rs = rcu_dereference(xf_ruleset);
	cb->seq = (u32)rs->gen;
	for (i = cb->args[0]; i < rs->n; i++) {
		const struct xf_rule *r = rs->rules[i];
		struct nlattr *nest;
		void *hdr;

		if (d && (!(r->match & XF_M_DOMID) || r->domid != nla_get_u32(d)))
			continue;
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &xf_genl_family,
				  NLM_F_MULTI, XFILTER_CMD_RULE_GET);
		if (!hdr)
			break;
		genl_dump_check_consistent(cb, hdr);
		nest = nla_nest_start(skb, XFILTER_A_RULE);
		if (!nest || xf_rule_fill(skb, r, true)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		nla_nest_end(skb, nest);
		genlmsg_end(skb, hdr);
	}
	rcu_read_unlock();
	cb->args[0] = i;
	return skb->len;
}

/*
 * The state of the domain a command names: there is none unless a vif of
 * it is attached (see "DOC: Domain lifetime" in domain.c). Context: xf_lock
 * held.
 */
static struct xf_domain *get_domain(struct genl_info *info, bool owners)
{
	struct nlattr *d = info->attrs[XFILTER_A_DOMID];
	struct xf_domain *dom;

	dom = xf_domain_get(nla_get_u32(d));
	if (!dom && owners)
		NL_SET_ERR_MSG_ATTR(info->extack, d,
				    "domain has no vif: no owner entries for it");
	else if (!dom)
		NL_SET_ERR_MSG_ATTR(info->extack, d, "no such domain");
	return dom;
}

/*
 * XFILTER_A_SCAN_STAMP of an answer into @scan: U64_MAX when absent (the
 * answer counts from its arrival). A stamp not given out yet is refused:
 * an answer cannot cover holds that have not happened, and one that said
 * so would decide packets held after its read. Context: process.
 */
static int scan_stamp(struct genl_info *info, u64 *scan)
{
	struct nlattr *a = info->attrs[XFILTER_A_SCAN_STAMP];

	*scan = U64_MAX;
	if (!a)
		return 0;
	*scan = nla_get_u64(a);
	if (*scan > xf_table_stamp()) {
		NL_SET_ERR_MSG_ATTR(info->extack, a,
				    "scan stamp is newer than any stamp given out");
		return -ERANGE;
	}
	return 0;
}

VISIBLE_IF_KUNIT int xf_nl_owner_parse(const struct nlattr *nest,
				       struct xf_key *key,
				       struct xf_owner_info *oi,
				       struct netlink_ext_ack *extack)
{
	struct nlattr *tb[XFILTER_OWNER_A_MAX + 1];
	int err;

	err = nla_parse_nested(tb, XFILTER_OWNER_A_MAX, nest, xf_owner_policy,
			       extack);
	if (err)
		return err;
	if (!tb[XFILTER_OWNER_A_KEY]) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "owner has no key");
		return -EINVAL;
	}
	err = xf_nl_key_parse(tb[XFILTER_OWNER_A_KEY], key, extack);
	if (err || !oi)
		return err;
	memset(oi, 0, sizeof(*oi));
#define OGET(attr, field, get)					\
	do {							\
		if (tb[attr])					\
			oi->field = get(tb[attr]);		\
	} while (0)
	OGET(XFILTER_OWNER_A_PID, pid, nla_get_u32);
	OGET(XFILTER_OWNER_A_TGID, tgid, nla_get_u32);
	OGET(XFILTER_OWNER_A_UID, uid, nla_get_u32);
	OGET(XFILTER_OWNER_A_GID, gid, nla_get_u32);
	OGET(XFILTER_OWNER_A_SOCK_UID, sock_uid, nla_get_u32);
	OGET(XFILTER_OWNER_A_STATE, state, nla_get_u8);
	OGET(XFILTER_OWNER_A_START_TIME, start_time, nla_get_u64);
	OGET(XFILTER_OWNER_A_INODE, inode, nla_get_u64);
	OGET(XFILTER_OWNER_A_FLAGS, flags, nla_get_u32);
#undef OGET
	if (oi->flags & ~XFILTER_OWNER_F_ALL) {
		NL_SET_ERR_MSG_ATTR(extack, tb[XFILTER_OWNER_A_FLAGS],
				    "unknown owner flags");
		return -EOPNOTSUPP;
	}
	if (tb[XFILTER_OWNER_A_COMM])
		nla_strscpy(oi->comm, tb[XFILTER_OWNER_A_COMM],
			    sizeof(oi->comm));
	return 0;
}

static int xf_owner_add(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *owners = info->attrs[XFILTER_A_OWNERS], *a;
	struct xf_owner_info oi;
	struct xf_domain *dom;
	struct xf_key key;
	u64 gen, scan;
	int rem, err = 0;

	if (NEED(info, XFILTER_A_DOMID) ||
	    NEED(info, XFILTER_A_GENERATION) ||
	    NEED(info, XFILTER_A_OWNERS))
		return -EINVAL;
	gen = nla_get_u64(info->attrs[XFILTER_A_GENERATION]);
	err = scan_stamp(info, &scan);
	if (err)
		return err;

	mutex_lock(&xf_lock);
	dom = get_domain(info, true);
	if (!dom) {
		err = -ENOENT;
		goto out;
	}
	nla_for_each_nested(a, owners, rem) {
		if (nla_type(a) != XFILTER_A_OWNER) {
			NL_SET_ERR_MSG_ATTR(info->extack, a,
					    "expected XFILTER_A_OWNER");
			err = -EINVAL;
			break;
		}
		err = xf_nl_owner_parse(a, &key, &oi, info->extack);
		if (err)
			break;
		err = xf_table_insert(xf_dom_table(dom), &key, &oi, gen,
				      READ_ONCE(dom->max_entries), scan);
		if (err == -ENOSPC) {
			struct nlattr *b;
			int brem = rem;
			u64 refused = 1;

			/* This entry and every one after it are refused. */
			for (b = nla_next(a, &brem); nla_ok(b, brem);
			     b = nla_next(b, &brem))
				refused++;
			atomic64_add(refused, &dom->table_full);
			NL_SET_ERR_MSG_ATTR(info->extack, a,
					    "owner table of the domain is full");
			break;
		}
		if (err)
			break;
		cond_resched();
	}
	/* Entries inserted before a failure stay; held packets may use them. */
	xf_hold_kick(dom);
out:
	mutex_unlock(&xf_lock);
	return err;
}

static int xf_owner_commit(struct sk_buff *skb, struct genl_info *info)
{
	struct xf_domain *dom;
	u64 gen;

	if (NEED(info, XFILTER_A_DOMID) ||
	    NEED(info, XFILTER_A_GENERATION))
		return -EINVAL;
	gen = nla_get_u64(info->attrs[XFILTER_A_GENERATION]);
	mutex_lock(&xf_lock);
	dom = get_domain(info, true);
	if (dom) {
		xf_table_sweep(xf_dom_table(dom), gen);
		dom->generation = gen;
		xf_hold_kick(dom);
	}
	mutex_unlock(&xf_lock);
	return dom ? 0 : -ENOENT;
}

/*
 * XFILTER_A_KEYS into @keys (room for @max): every element must be an
 * XFILTER_A_KEY and parse, and there must be 1 to @max of them; the whole
 * list is parsed before anything is done, so a bad one refuses it whole.
 * Returns the number of keys or a negative errno. Context: process.
 */
VISIBLE_IF_KUNIT int xf_nl_keys_parse(const struct nlattr *nest,
				      struct xf_key *keys, unsigned int max,
				      struct netlink_ext_ack *extack)
{
	const struct nlattr *a;
	unsigned int n = 0;
	int rem, err;

	nla_for_each_nested(a, nest, rem) {
		if (nla_type(a) != XFILTER_A_KEY) {
			NL_SET_ERR_MSG_ATTR(extack, a, "expected XFILTER_A_KEY");
			return -EINVAL;
		}
		if (n == max) {
			NL_SET_ERR_MSG_ATTR(extack, a,
					    "more keys than one request takes");
			return -E2BIG;
		}
		err = xf_nl_key_parse(a, &keys[n], extack);
		if (err)
			return err;
		n++;
	}
	if (!n) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "empty key list");
		return -EINVAL;
	}
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(xf_nl_keys_parse);

/*
 * The entries of a walk's vanished sockets: the list is parsed whole
 * before anything is removed, so a bad key refuses it whole.
 */
static int owner_del_keys(struct genl_info *info, struct nlattr *list)
{
	struct xf_domain *dom;
	struct xf_key *keys;
	int n, i, err = 0;

	keys = kmalloc_array(XFILTER_OWNER_DEL_KEYS_MAX, sizeof(*keys),
			     GFP_KERNEL);
	if (!keys)
		return -ENOMEM;
	n = xf_nl_keys_parse(list, keys, XFILTER_OWNER_DEL_KEYS_MAX,
			     info->extack);
	if (n < 0) {
		kfree(keys);
		return n;
	}
	mutex_lock(&xf_lock);
	dom = get_domain(info, false);
	if (!dom)
		err = -ENOENT;
	for (i = 0; dom && i < n; i++)
		xf_table_delete(xf_dom_table(dom), &keys[i]);	/* or none */
	mutex_unlock(&xf_lock);
	kfree(keys);
	return err;
}

static int xf_owner_del(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *o = info->attrs[XFILTER_A_OWNER];
	struct nlattr *list = info->attrs[XFILTER_A_KEYS];
	struct xf_domain *dom;
	struct xf_key key;
	int err = 0;

	if (NEED(info, XFILTER_A_DOMID))
		return -EINVAL;
	if (o && list) {
		NL_SET_ERR_MSG_ATTR(info->extack, list,
				    "XFILTER_A_OWNER and XFILTER_A_KEYS together");
		return -EINVAL;
	}
	if (list)
		return owner_del_keys(info, list);
	if (o) {
		err = xf_nl_owner_parse(o, &key, NULL, info->extack);
		if (err)
			return err;
	}
	mutex_lock(&xf_lock);
	dom = get_domain(info, false);
	if (!dom)
		err = -ENOENT;
	else if (o)
		err = xf_table_delete(xf_dom_table(dom), &key);
	else
		xf_table_flush(xf_dom_table(dom));
	mutex_unlock(&xf_lock);
	if (dom && err == -ENOENT)
		NL_SET_ERR_MSG_ATTR(info->extack, o, "no entry with this key");
	return err;
}

static int owner_fill(struct sk_buff *skb, const struct xf_owner *o)
{
	const struct xf_owner_info *oi = &o->info;
	struct nlattr *nest = nla_nest_start(skb, XFILTER_A_OWNER);

	if (!nest)
		return -EMSGSIZE;
	if (key_fill(skb, XFILTER_OWNER_A_KEY, &o->key) ||
	    nla_put_u32(skb, XFILTER_OWNER_A_PID, oi->pid) ||
	    nla_put_u32(skb, XFILTER_OWNER_A_TGID, oi->tgid) ||
	    nla_put_u32(skb, XFILTER_OWNER_A_UID, oi->uid) ||
	    nla_put_u32(skb, XFILTER_OWNER_A_GID, oi->gid) ||
	    nla_put_u32(skb, XFILTER_OWNER_A_SOCK_UID, oi->sock_uid) ||
	    nla_put_string(skb, XFILTER_OWNER_A_COMM, oi->comm) ||
	    nla_put_u8(skb, XFILTER_OWNER_A_STATE, oi->state) ||
	    nla_put_u64_64bit(skb, XFILTER_OWNER_A_START_TIME, oi->start_time,
			      XFILTER_OWNER_A_PAD) ||
	    nla_put_u64_64bit(skb, XFILTER_OWNER_A_INODE, oi->inode,
			      XFILTER_OWNER_A_PAD) ||
	    nla_put_u32(skb, XFILTER_OWNER_A_FLAGS, oi->flags) ||
	    nla_put_u64_64bit(skb, XFILTER_OWNER_A_PACKETS,
			      atomic64_read(&o->packets), XFILTER_OWNER_A_PAD) ||
	    nla_put_u64_64bit(skb, XFILTER_OWNER_A_BYTES,
			      atomic64_read(&o->bytes), XFILTER_OWNER_A_PAD) ||
	    nla_put_u64_64bit(skb, XFILTER_OWNER_A_GENERATION, o->generation,
			      XFILTER_OWNER_A_PAD)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* args[0]: domid, args[1]: bucket, args[2]: entries done in that bucket. */
static int xf_owner_get_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	const struct genl_dumpit_info *di = genl_dumpit_info(cb);
	struct nlattr *d = di->attrs[XFILTER_A_DOMID];
	unsigned long index = cb->args[0];
	struct xf_domain *dom;
	bool full = false;

	if (d && index < nla_get_u32(d))
		index = nla_get_u32(d);
	rcu_read_lock();
	cb->seq = xf_table_seq();
	while (!full && (dom = xf_domain_next(&index))) {
		struct xf_table *t = xf_dom_table(dom);
		unsigned long b;

		if (d && dom->domid != nla_get_u32(d))
			break;
		if (index != cb->args[0]) {
			cb->args[0] = index;
			cb->args[1] = 0;
			cb->args[2] = 0;
		}
		for (b = cb->args[1]; b < (1UL << t->bits); b++) {
			struct xf_owner *o;
			unsigned long n = 0;

			hlist_for_each_entry_rcu(o, &t->buckets[b], node) {
				void *hdr;

				if (n++ < cb->args[2])
					continue;
				hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
						  cb->nlh->nlmsg_seq,
						  &xf_genl_family, NLM_F_MULTI,
						  XFILTER_CMD_OWNER_GET);
				if (!hdr) {
					full = true;
					break;
				}
				genl_dump_check_consistent(cb, hdr);
				if (nla_put_u32(skb, XFILTER_A_DOMID, dom->domid) ||
				    owner_fill(skb, o)) {
					genlmsg_cancel(skb, hdr);
					full = true;
					break;
				}
				genlmsg_end(skb, hdr);
				cb->args[2] = n;
			}
			if (full)
				break;
			cb->args[1] = b + 1;
			cb->args[2] = 0;
		}
		if (full)
			break;
		index++;
		cb->args[0] = index;
		cb->args[1] = 0;
		cb->args[2] = 0;
	}
	rcu_read_unlock();
	return skb->len;
}

/*
 * "No socket" for one key (XFILTER_A_KEY) or for a resolver turn's keys
 * at once (XFILTER_A_KEYS): one request, one pass over the held packets.
 */
static int xf_miss_resolve(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *one = info->attrs[XFILTER_A_KEY];
	struct nlattr *list = info->attrs[XFILTER_A_KEYS];
	struct xf_domain *dom;
	struct xf_key *keys;
	int n, err;
	u64 scan;

	if (NEED(info, XFILTER_A_DOMID) ||
	    (!list && NEED(info, XFILTER_A_KEY)))
		return -EINVAL;
	if (one && list) {
		NL_SET_ERR_MSG_ATTR(info->extack, list,
				    "XFILTER_A_KEY and XFILTER_A_KEYS together");
		return -EINVAL;
	}
	err = scan_stamp(info, &scan);
	if (err)
		return err;
	keys = kmalloc_array(list ? XFILTER_MISS_KEYS_MAX : 1, sizeof(*keys),
			     GFP_KERNEL);
	if (!keys)
		return -ENOMEM;
	if (list)
		n = xf_nl_keys_parse(list, keys, XFILTER_MISS_KEYS_MAX,
				     info->extack);
	else
		n = xf_nl_key_parse(one, keys, info->extack) ?: 1;
	if (n < 0) {
		kfree(keys);
		return n;
	}
	mutex_lock(&xf_lock);
	dom = get_domain(info, false);
	err = dom ? xf_hold_no_socket_keys(dom, keys, n, scan) : -ENOENT;
	mutex_unlock(&xf_lock);
	kfree(keys);
	return err < 0 ? err : 0;
}

/*
 * A domain as DOMAIN_GET shows it: its state when a vif of it is attached
 * (@dom), otherwise what it will be when one is: the recorded settings
 * (@conf, or the defaults) and nothing else. Context: xf_lock held (the vif
 * list, the records).
 */
static int domain_fill(struct sk_buff *skb, u32 domid, struct xf_domain *dom,
		       const struct xf_dom_conf *conf)
{
	struct nlattr *nest, *vifs;
	struct xf_vif *vif;
	u32 max_entries;
	bool enabled;
	u8 fail_mode;

	if (dom) {
		fail_mode = dom->fail_mode;
		enabled = dom->enabled;
		max_entries = dom->max_entries;
	} else {
		xf_conf_settings(conf, &fail_mode, &enabled, &max_entries);
	}
	nest = nla_nest_start(skb, XFILTER_A_DOMAIN);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, XFILTER_DOMAIN_A_DOMID, domid) ||
	    nla_put_u8(skb, XFILTER_DOMAIN_A_FAIL_MODE, fail_mode) ||
	    nla_put_u8(skb, XFILTER_DOMAIN_A_ENABLED, enabled) ||
	    nla_put_u32(skb, XFILTER_DOMAIN_A_MAX_ENTRIES, max_entries) ||
	    nla_put_u32(skb, XFILTER_DOMAIN_A_ENTRIES,
			dom ? atomic_read(&xf_dom_table(dom)->count) : 0) ||
	    nla_put_u64_64bit(skb, XFILTER_DOMAIN_A_GENERATION,
			      dom ? dom->generation : 0, XFILTER_DOMAIN_A_PAD) ||
	    nla_put_u32(skb, XFILTER_DOMAIN_A_HELD,
			dom ? atomic_read(&dom->held) : 0))
		goto cancel;
	vifs = nla_nest_start(skb, XFILTER_DOMAIN_A_VIFS);
	if (!vifs)
		goto cancel;
	if (dom)
		list_for_each_entry(vif, &dom->vifs, dom_node)
			if (nla_put_string(skb, XFILTER_DOMAIN_A_IFNAME,
					   vif->ifname))
				goto cancel;
	nla_nest_end(skb, vifs);
	nla_nest_end(skb, nest);
	return 0;
cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

static struct sk_buff *domain_msg(struct genl_info *info, u8 cmd, u32 domid,
				  struct xf_domain *dom,
				  const struct xf_dom_conf *conf)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return NULL;
	hdr = genlmsg_put_reply(msg, info, &xf_genl_family, 0, cmd);
	if (!hdr || domain_fill(msg, domid, dom, conf)) {
		nlmsg_free(msg);
		return NULL;
	}
	genlmsg_end(msg, hdr);
	return msg;
}

static int xf_domain_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct xf_dom_conf *conf;
	struct xf_domain *dom;
	struct sk_buff *msg = NULL;
	u32 domid;

	if (NEED(info, XFILTER_A_DOMID))
		return -EINVAL;
	domid = nla_get_u32(info->attrs[XFILTER_A_DOMID]);
	mutex_lock(&xf_lock);
	dom = xf_domain_get(domid);
	conf = xf_conf_get(domid);
	if (dom || conf)
		msg = domain_msg(info, XFILTER_CMD_DOMAIN_GET, domid, dom, conf);
	mutex_unlock(&xf_lock);
	if (!dom && !conf) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[XFILTER_A_DOMID],
				    "no such domain");
		return -ENOENT;
	}
	if (!msg)
		return -ENOMEM;
	return genlmsg_reply(msg, info);
}

/* The domains with state or recorded settings, in domid order. */
static int xf_domain_get_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	unsigned long index = cb->args[0];

	mutex_lock(&xf_lock);
	for (;;) {
		unsigned long di = index, ci = index;
		struct xf_domain *dom = xf_domain_next(&di);
		struct xf_dom_conf *conf = xf_conf_next(&ci);
		void *hdr;

		if (!dom && !conf)
			break;
		if (!dom || (conf && ci < di)) {
			index = ci;
			dom = NULL;
		} else {
			index = di;
			if (conf && ci != di)
				conf = NULL;
		}
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &xf_genl_family,
				  NLM_F_MULTI, XFILTER_CMD_DOMAIN_GET);
		if (!hdr)
			break;
		if (domain_fill(skb, index, dom, conf)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		index++;
	}
	mutex_unlock(&xf_lock);
	cb->args[0] = index;
	return skb->len;
}

/*
 * The settings are recorded for the domid, whether a vif of it is attached
 * or not, and apply to its state now if there is some and whenever a vif of
 * it registers again (see "DOC: Domain lifetime" in domain.c).
 */
static int xf_domain_set(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[XFILTER_DOMAIN_A_MAX + 1];
	struct nlattr *nest = info->attrs[XFILTER_A_DOMAIN];
	struct xf_dom_conf c = {}, *conf;
	struct xf_domain *dom;
	struct sk_buff *msg;
	u32 domid;
	int err;

	if (NEED(info, XFILTER_A_DOMAIN))
		return -EINVAL;
	err = nla_parse_nested(tb, XFILTER_DOMAIN_A_MAX, nest, xf_domain_policy,
			       info->extack);
	if (err)
		return err;
	if (!tb[XFILTER_DOMAIN_A_DOMID]) {
		NL_SET_ERR_MSG_ATTR(info->extack, nest, "domain id missing");
		return -EINVAL;
	}
	if (tb[XFILTER_DOMAIN_A_MAX_ENTRIES] &&
	    nla_get_u32(tb[XFILTER_DOMAIN_A_MAX_ENTRIES]) > XF_MAX_ENTRIES_LIMIT) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[XFILTER_DOMAIN_A_MAX_ENTRIES],
				    "table limit too large");
		return -ERANGE;
	}
	domid = nla_get_u32(tb[XFILTER_DOMAIN_A_DOMID]);
	if (tb[XFILTER_DOMAIN_A_FAIL_MODE]) {
		c.set |= XF_CONF_FAIL_MODE;
		c.fail_mode = nla_get_u8(tb[XFILTER_DOMAIN_A_FAIL_MODE]);
	}
	if (tb[XFILTER_DOMAIN_A_ENABLED]) {
		c.set |= XF_CONF_ENABLED;
		c.enabled = !!nla_get_u8(tb[XFILTER_DOMAIN_A_ENABLED]);
	}
	if (tb[XFILTER_DOMAIN_A_MAX_ENTRIES]) {
		c.set |= XF_CONF_MAX_ENTRIES;
		c.max_entries = nla_get_u32(tb[XFILTER_DOMAIN_A_MAX_ENTRIES]);
	}
	mutex_lock(&xf_lock);
	conf = xf_conf_update(domid, &c);
	if (IS_ERR(conf)) {
		mutex_unlock(&xf_lock);
		NL_SET_ERR_MSG_ATTR(info->extack, nest,
				    "cannot record the domain's settings");
		return PTR_ERR(conf);
	}
	dom = xf_domain_get(domid);
	if (dom) {
		if (c.set & XF_CONF_FAIL_MODE)
			WRITE_ONCE(dom->fail_mode, c.fail_mode);
		if (c.set & XF_CONF_ENABLED)
			WRITE_ONCE(dom->enabled, c.enabled);
		if ((c.set & XF_CONF_MAX_ENTRIES) &&
		    xf_domain_set_max(dom, c.max_entries))
			pr_warn_ratelimited("domain %u: no memory to grow the table\n",
					    dom->domid);
		/* Held packets of a domain no longer filtered go now. */
		xf_hold_kick(dom);
	}
	msg = domain_msg(info, XFILTER_CMD_DOMAIN_SET, domid, dom, conf);
	mutex_unlock(&xf_lock);
	if (msg)
		notify_config(msg, info);
	return 0;
}

static int stats_fill(struct sk_buff *skb, const u64 *v)
{
	struct nlattr *nest = nla_nest_start(skb, XFILTER_A_STATS);
	int i;

	if (!nest)
		return -EMSGSIZE;
	for (i = XFILTER_STATS_A_PACKETS; i <= XFILTER_STATS_A_MAX; i++) {
		if (nla_put_u64_64bit(skb, i, v[i], XFILTER_STATS_A_PAD)) {
			nla_nest_cancel(skb, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int xf_stats_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *d = info->attrs[XFILTER_A_DOMID];
	u64 v[XF_NSTATS];
	struct sk_buff *msg;
	void *hdr;

	if (d) {
		struct xf_domain *dom;

		rcu_read_lock();
		dom = xf_domain_get(nla_get_u32(d));
		if (dom)
			xf_domain_stats_read(dom, v);
		rcu_read_unlock();
		if (!dom) {
			NL_SET_ERR_MSG_ATTR(info->extack, d, "no such domain");
			return -ENOENT;
		}
	} else {
		xf_global_stats_read(v);
	}
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &xf_genl_family, 0,
				XFILTER_CMD_STATS_GET);
	if (!hdr || (d && nla_put_u32(msg, XFILTER_A_DOMID, nla_get_u32(d))) ||
	    stats_fill(msg, v)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int xf_stats_get_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	unsigned long index = cb->args[0];
	struct xf_domain *dom;
	u64 v[XF_NSTATS];

	rcu_read_lock();
	while ((dom = xf_domain_next(&index))) {
		void *hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
					cb->nlh->nlmsg_seq, &xf_genl_family,
					NLM_F_MULTI, XFILTER_CMD_STATS_GET);

		if (!hdr)
			break;
		xf_domain_stats_read(dom, v);
		if (nla_put_u32(skb, XFILTER_A_DOMID, dom->domid) ||
		    stats_fill(skb, v)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		index++;
	}
	rcu_read_unlock();
	cb->args[0] = index;
	return skb->len;
}

bool xf_nl_miss_listeners(void)
{
	return genl_has_listeners(&xf_genl_family, &init_net, XF_MCGRP_MISS);
}

/*
 * @stamp: the hold's (see xf_table_insert()). An event that does not reach
 * the daemon group (no memory, no listener left, a listener's buffer full)
 * is counted in miss_lost; its packets stay held and are decided at their
 * deadline by the fail mode, as if the daemon had not answered.
 * Context: softirq or BH off.
 */
void xf_nl_miss_event(const struct xf_vif *vif, const struct xf_pkt *pkt,
		      u64 stamp)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_GOODSIZE / 4, GFP_ATOMIC);
	if (!msg)
		goto lost;
	hdr = genlmsg_put(msg, 0, 0, &xf_genl_family, 0, XFILTER_CMD_MISS);
	if (!hdr ||
	    nla_put_u32(msg, XFILTER_A_DOMID, vif->dom->domid) ||
	    key_fill(msg, XFILTER_A_KEY, &pkt->key) ||
	    nla_put_u8(msg, XFILTER_A_DIR, pkt->dir) ||
	    nla_put_string(msg, XFILTER_A_IFNAME, vif->ifname) ||
	    nla_put_u64_64bit(msg, XFILTER_A_HOLD_STAMP, stamp, XFILTER_A_PAD)) {
		nlmsg_free(msg);
		goto lost;
	}
	genlmsg_end(msg, hdr);
	if (!genlmsg_multicast(&xf_genl_family, msg, 0, XF_MCGRP_MISS,
			       GFP_ATOMIC))
		return;
lost:
	xf_stat_inc(vif->dom, XFILTER_STATS_A_MISS_LOST);
}

/* Context: any; does nothing unless someone listens. */
void xf_nl_verdict_event(const struct xf_vif *vif, const struct xf_pkt *pkt,
			 u8 verdict, u8 reason, u32 rule_id,
			 const struct xf_owner_info *owner)
{
	struct sk_buff *msg;
	struct nlattr *ev;
	void *hdr;

	if (!genl_has_listeners(&xf_genl_family, &init_net, XF_MCGRP_VERDICT))
		return;
	msg = genlmsg_new(NLMSG_GOODSIZE / 4, GFP_ATOMIC);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &xf_genl_family, 0, XFILTER_CMD_VERDICT);
	if (!hdr)
		goto fail;
	ev = nla_nest_start(msg, XFILTER_A_EVENT);
	if (!ev ||
	    nla_put_u32(msg, XFILTER_EVENT_A_DOMID, vif->dom->domid) ||
	    nla_put_string(msg, XFILTER_EVENT_A_IFNAME, vif->ifname) ||
	    nla_put_u8(msg, XFILTER_EVENT_A_DIR, pkt->dir) ||
	    nla_put_u8(msg, XFILTER_EVENT_A_VERDICT, verdict) ||
	    nla_put_u8(msg, XFILTER_EVENT_A_REASON, reason) ||
	    nla_put_u32(msg, XFILTER_EVENT_A_RULE_ID, rule_id) ||
	    nla_put_u8(msg, XFILTER_EVENT_A_PROTO, pkt->l4proto) ||
	    nla_put_u32(msg, XFILTER_EVENT_A_LEN, pkt->len))
		goto fail;
	if (pkt->has_key && key_fill(msg, XFILTER_EVENT_A_KEY, &pkt->key))
		goto fail;
	if (owner &&
	    (nla_put_u32(msg, XFILTER_EVENT_A_PID, owner->pid) ||
	     nla_put_u32(msg, XFILTER_EVENT_A_TGID, owner->tgid) ||
	     nla_put_u32(msg, XFILTER_EVENT_A_UID, owner->uid) ||
	     nla_put_u32(msg, XFILTER_EVENT_A_GID, owner->gid) ||
	     nla_put_string(msg, XFILTER_EVENT_A_COMM, owner->comm)))
		goto fail;
	nla_nest_end(msg, ev);
	genlmsg_end(msg, hdr);
	genlmsg_multicast(&xf_genl_family, msg, 0, XF_MCGRP_VERDICT, GFP_ATOMIC);
	return;
fail:
	nlmsg_free(msg);
}

/* An expired rule is announced like a RULE_DEL. Context: xf_lock held. */
void xf_nl_notify_rule_expired(const struct xf_rule *r)
{
	struct sk_buff *msg;
	struct nlattr *nest;
	void *hdr;

	lockdep_assert_held(&xf_lock);
	if (!xf_nl_live ||
	    !genl_has_listeners(&xf_genl_family, &init_net, XF_MCGRP_CONFIG))
		return;
	msg = genlmsg_new(NLMSG_GOODSIZE / 4, GFP_KERNEL);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &xf_genl_family, 0, XFILTER_CMD_RULE_DEL);
	if (!hdr)
		goto fail;
	nest = nla_nest_start(msg, XFILTER_A_RULE);
	if (!nest || nla_put_u32(msg, XFILTER_RULE_A_ID, r->id))
		goto fail;
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	genlmsg_multicast(&xf_genl_family, msg, 0, XF_MCGRP_CONFIG, GFP_KERNEL);
	return;
fail:
	nlmsg_free(msg);
}

#define XF_OP(c, d, dump, pol, fl)					\
	{								\
		.cmd = XFILTER_CMD_##c, .doit = d, .dumpit = dump,	\
		.policy = pol, .maxattr = XFILTER_A_MAX, .flags = fl,	\
	}

static const struct genl_ops xf_genl_ops[] = {
	XF_OP(GET_INFO, xf_get_info, NULL, xf_none_policy, 0),
	XF_OP(RULE_NEW, xf_rule_new, NULL, xf_rule_new_policy, GENL_ADMIN_PERM),
	XF_OP(RULE_DEL, xf_rule_del, NULL, xf_rule_new_policy, GENL_ADMIN_PERM),
	XF_OP(RULE_GET, NULL, xf_rule_get_dump, xf_domid_policy,
	      GENL_ADMIN_PERM),
	XF_OP(RULE_FLUSH, xf_rule_flush, NULL, xf_domid_policy,
	      GENL_ADMIN_PERM),
	XF_OP(RULE_REPLACE, xf_rule_replace, NULL, xf_rule_replace_policy,
	      GENL_ADMIN_PERM),
	XF_OP(OWNER_ADD, xf_owner_add, NULL, xf_owner_add_policy,
	      GENL_ADMIN_PERM),
	XF_OP(OWNER_COMMIT, xf_owner_commit, NULL, xf_owner_commit_policy,
	      GENL_ADMIN_PERM),
	XF_OP(OWNER_DEL, xf_owner_del, NULL, xf_owner_del_policy,
	      GENL_ADMIN_PERM),
	XF_OP(OWNER_GET, NULL, xf_owner_get_dump, xf_domid_policy,
	      GENL_ADMIN_PERM),
	XF_OP(MISS_RESOLVE, xf_miss_resolve, NULL, xf_miss_resolve_policy,
	      GENL_ADMIN_PERM),
	XF_OP(DOMAIN_GET, xf_domain_get_doit, xf_domain_get_dump,
	      xf_domid_policy, GENL_ADMIN_PERM),
	XF_OP(DOMAIN_SET, xf_domain_set, NULL, xf_domain_set_policy,
	      GENL_ADMIN_PERM),
	XF_OP(STATS_GET, xf_stats_get_doit, xf_stats_get_dump,
	      xf_domid_policy, GENL_ADMIN_PERM),
};

static const struct genl_multicast_group xf_mcgrps[] = {
	[XF_MCGRP_MISS]		= { .name = XFILTER_MCGRP_MISS,
				    .flags = GENL_MCAST_CAP_NET_ADMIN },
	[XF_MCGRP_VERDICT]	= { .name = XFILTER_MCGRP_VERDICT,
				    .flags = GENL_MCAST_CAP_NET_ADMIN },
	[XF_MCGRP_CONFIG]	= { .name = XFILTER_MCGRP_CONFIG,
				    .flags = GENL_MCAST_CAP_NET_ADMIN },
};

static struct genl_family xf_genl_family __ro_after_init = {
	.name = XFILTER_GENL_NAME,
	.version = XFILTER_GENL_VERSION,
	.maxattr = XFILTER_A_MAX,
	.module = THIS_MODULE,
	.ops = xf_genl_ops,
	.n_ops = ARRAY_SIZE(xf_genl_ops),
	.mcgrps = xf_mcgrps,
	.n_mcgrps = ARRAY_SIZE(xf_mcgrps),
	/* Strict attribute validation everywhere; legacy header flags. */
	.resv_start_op = __XFILTER_CMD_MAX,
};

int xf_nl_init(void)
{
	int err = genl_register_family(&xf_genl_family);

	if (!err) {
		mutex_lock(&xf_lock);
		xf_nl_live = true;
		mutex_unlock(&xf_lock);
	}
	return err;
}

void xf_nl_exit(void)
{
	mutex_lock(&xf_lock);
	xf_nl_live = false;
	mutex_unlock(&xf_lock);
	genl_unregister_family(&xf_genl_family);
}
