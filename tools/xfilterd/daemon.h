/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The daemon: keeps the module's owner table of every guest true, by full
 * walks on a period and targeted lookups on miss events.
 */
#ifndef XF_DAEMON_H
#define XF_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"

#define XFD_MAX_CORES	16

struct xfd_opts {
	unsigned int period_ms;		/* full refresh of each domain */
	bool once;			/* one refresh of each domain, then exit */
	bool dry_run;			/* print the batches as JSON, no netlink */
	bool pause_walk;		/* stop the guest during every full walk */
	bool push_full;			/* every walk as a full generation (comparisons) */
	unsigned int nr_cores;		/* core files served as domains (tests) */
	const char *core[XFD_MAX_CORES];
	uint32_t core_domid[XFD_MAX_CORES];
	const struct xfd_conf *conf;	/* fail mode, table limit of each domain */
};

int xfd_run(const struct xfd_opts *o);

#endif /* XF_DAEMON_H */
