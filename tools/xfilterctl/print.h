/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Printers: every listing and event in two forms, aligned human columns and
 * JSON with stable field names (documented in xfilterctl.8). They take parsed
 * objects (xfmsg.h), never talk to the kernel, and are what the unit tests
 * check byte for byte.
 */
#ifndef XFCTL_PRINT_H
#define XFCTL_PRINT_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "nl.h"
#include "xfmsg.h"

struct xf_out {
	FILE *f;
	bool json;		/* -j */
	bool pretty;		/* -p: indented JSON */
	bool color;		/* only ever true on a tty */
	bool stats;		/* -s: more detail */
	bool timestamps;	/* -t: monitor lines carry the time */
};

/* One row of `conns`: an owner-table entry and its domain. */
struct xf_conn {
	uint32_t domid;
	struct xf_owner o;
};

/* Parts of a rule for xf_rule_format(). */
#define XF_RF_MATCH	(1U << 0)	/* selectors */
#define XF_RF_VERDICT	(1U << 1)
#define XF_RF_PRIO	(1U << 2)	/* when not the default */
#define XF_RF_TIMEOUT	(1U << 3)	/* time left, else the timeout */
#define XF_RF_ALL	(XF_RF_MATCH | XF_RF_VERDICT | XF_RF_PRIO | XF_RF_TIMEOUT)

/*
 * A rule in the words `rule add` takes, e.g. "dom 3 uid 1001 proto tcp drop";
 * "" for a rule without selectors and XF_RF_MATCH alone.
 */
void xf_rule_format(const struct xf_rule *r, unsigned int what, char *buf,
		    size_t len);
/* "5m", "90s", "1500ms": the shortest exact form `timeout` accepts. */
void xf_duration_format(uint32_t ms, char *buf, size_t len);

void xf_print_rule_id(const struct xf_out *o, uint32_t id);
void xf_print_rules(const struct xf_out *o, const struct xf_rule *r, size_t n);
/* The ruleset as `rule add` lines that `restore` replays. */
void xf_print_save(const struct xf_out *o, const struct xf_rule *r, size_t n);
/* Sorts c: per domain, busiest owner first, then its busiest sockets. */
void xf_print_conns(const struct xf_out *o, struct xf_conn *c, size_t n);
void xf_print_domains(const struct xf_out *o, const struct xf_domain *d,
		      size_t n);
/* global may be NULL (stats for one domain). */
void xf_print_stats(const struct xf_out *o, const struct xf_stats *global,
		    const struct xf_stats *dom, size_t n);
void xf_print_info(const struct xf_out *o, const struct xf_nl_info *info);

/*
 * One monitor line for a VERDICT, MISS or config event message. now may be
 * NULL unless o->timestamps. -EINVAL (nothing printed) when malformed,
 * -ENOENT for a command that is not an event.
 */
int xf_print_event(const struct xf_out *o, const struct nlmsghdr *nlh,
		   struct nlattr **tb, const struct timespec *now);

#endif /* XFCTL_PRINT_H */
