/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The daemon's configuration file (xfilterd.conf(5)): parsed whole into a
 * fresh struct, so a file with one bad line changes nothing.
 */
#ifndef XF_CONF_H
#define XF_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"

#define XFD_CONF_MAX_DOMS	64
#define XFD_CONF_MAX_LINE	1024
#define XFD_CONF_MAX_LINES	10000
#define XFD_PERIOD_MIN_MS	10
#define XFD_PERIOD_MAX_MS	3600000
#define XFD_MAX_ENTRIES_MAX	(1U << 22)	/* the module's limit */

/* Module settings for a domain; 0 means "leave the module's default". */
struct xfd_dom_conf {
	uint32_t domid;
	uint8_t fail_mode;		/* enum xfilter_fail_mode */
	uint32_t max_entries;
};

struct xfd_conf {
	unsigned int period_ms;
	enum xfd_level log_level;
	bool use_syslog;
	struct xfd_dom_conf all;	/* every served domain (domid unused) */
	unsigned int nr_doms;		/* per-domain overrides */
	struct xfd_dom_conf dom[XFD_CONF_MAX_DOMS];
};

void xfd_conf_defaults(struct xfd_conf *c);
/*
 * Parses @len bytes of @text (named @name in messages) over the values
 * already in @c. On error @c is untouched, 1 is returned and @err says
 * "NAME:LINE: what".
 */
int xfd_conf_parse(struct xfd_conf *c, const char *name, const char *text, size_t len,
		   char *err, size_t errlen);
int xfd_conf_load(struct xfd_conf *c, const char *path, char *err, size_t errlen);
/* The settings for @domid: its override merged over the global ones. */
struct xfd_dom_conf xfd_conf_for(const struct xfd_conf *c, uint32_t domid);
int xfd_fail_mode_parse(const char *s, uint8_t *mode);

#endif /* XF_CONF_H */
