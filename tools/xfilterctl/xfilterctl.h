/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xfilterctl's command layer: the subcommand table, the parse of a command
 * line into a request (no kernel needed, so it is unit-tested and fuzzed),
 * and the run of a parsed request over netlink.
 */
#ifndef XFCTL_H
#define XFCTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "nl.h"
#include "print.h"
#include "xfmsg.h"

enum {
	XF_EXIT_OK = 0,
	XF_EXIT_ERR = 1,
	XF_EXIT_USAGE = 2,
};

/* xf_ctl_parse() result: help or version printed, nothing to run. */
#define XF_DONE (-1)

/*
 * Turns a domain name into an id. 0, or -ENOENT (no such domain), -ENODEV
 * (no xenstore to ask), -EEXIST (the name is ambiguous); why says which.
 */
typedef int (*xf_resolve_fn)(const char *name, uint32_t *domid, char *why,
			     size_t len);

/* One rule as typed, with what the operator wrote for each attribute. */
struct xf_rule_args {
	struct xf_rule rule;
	const char *kw[XFILTER_RULE_A_MAX + 1];
	const char *val[XFILTER_RULE_A_MAX + 1];
	unsigned int line;		/* restore: line in the file */
};

struct xf_subcmd;

struct xf_ctl {
	FILE *out, *err;
	struct xf_out o;
	xf_resolve_fn resolve;		/* NULL: domain names are refused */
	bool no_io;			/* fuzzing: never read files or stdin */
	const struct xf_subcmd *sub;
	const char *where;		/* restore: "FILE:LINE: " prefix */

	/* The parsed request. */
	bool has_domid;
	uint32_t domid;
	const char *dom_arg;
	bool has_uid, has_pid, has_comm;
	uint32_t uid, pid;
	char comm[XFILTER_COMM_LEN];
	struct xf_rule_args ra;		/* rule add, rule replace */
	uint32_t rule_id;		/* rule replace */
	long replace_idx;		/* its place in the set sent, or -1 */
	uint32_t *ids;			/* rule del */
	size_t nids;
	struct xf_domain dset;		/* domain set */
	const char *dset_kw[XFILTER_DOMAIN_A_MAX + 1];
	const char *dset_val[XFILTER_DOMAIN_A_MAX + 1];
	unsigned int groups;		/* monitor: XF_GROUP_* */
	const char *file;		/* restore */
	bool check_only;		/* restore --check */
	struct xf_rule_args *rules;	/* restore */
	size_t nrules;
	char *text;			/* restore: the file, tokens point into it */

	struct xf_nl nl;
	struct xf_nl_info info;
};

#define XF_GROUP_VERDICT	(1U << 0)
#define XF_GROUP_MISS		(1U << 1)
#define XF_GROUP_CONFIG		(1U << 2)

void xf_ctl_init(struct xf_ctl *c, FILE *out, FILE *err);
void xf_ctl_free(struct xf_ctl *c);
/* 0: ready to run; XF_DONE: help/version shown; XF_EXIT_USAGE: refused. */
int xf_ctl_parse(struct xf_ctl *c, int argc, char **argv);
/* Parses restore input (text is modified and kept); 0 or XF_EXIT_USAGE. */
int xf_ctl_parse_restore(struct xf_ctl *c, char *text, const char *name);
/*
 * Reports c->nl.err for the request `what`: the kernel's extack text and
 * what the operator typed for the attribute it blamed. XF_EXIT_ERR.
 */
int xf_ctl_nl_fail(struct xf_ctl *c, const char *what);
/* Runs a parsed request; an exit status. */
int xf_ctl_run(struct xf_ctl *c);
/* All of it, for main(): an exit status. */
int xf_ctl_main(int argc, char **argv, FILE *out, FILE *err,
		xf_resolve_fn resolve);

/* Reply collectors, shared with the tests so both use the same parse. */
struct xf_vec {
	void *v;
	size_t n, cap, size;
};
int xf_collect_rule(const struct nlmsghdr *nlh, struct nlattr **tb, void *arg);
int xf_collect_conn(const struct nlmsghdr *nlh, struct nlattr **tb, void *arg);
int xf_collect_domain(const struct nlmsghdr *nlh, struct nlattr **tb, void *arg);
int xf_collect_stats(const struct nlmsghdr *nlh, struct nlattr **tb, void *arg);
void xf_vec_free(struct xf_vec *v);

/* Xen domain names via xenstore (xs.c). */
int xf_xs_resolve(const char *name, uint32_t *domid, char *why, size_t len);

#endif /* XFCTL_H */
