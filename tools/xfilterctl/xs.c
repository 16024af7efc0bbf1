// SPDX-License-Identifier: GPL-2.0
/*
 * Xen domain names for the `dom` argument, read from xenstore
 * (/local/domain/<id>/name), the only place dom0 keeps them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xenstore.h>

#include "args.h"
#include "xfilterctl.h"

/* xenstore is a shared daemon: bound what we read from it. */
#define XS_DOMAINS_MAX	32768

int xf_xs_resolve(const char *name, uint32_t *domid, char *why, size_t len)
{
	struct xs_handle *h;
	unsigned int n = 0, found = 0;
	uint32_t first = 0, second = 0;
	char **ids;

	h = xs_open(XS_OPEN_READONLY);
	if (!h) {
		snprintf(why, len,
			 "domain '%s': names are looked up in xenstore, which is not available here (%s); give the domain id",
			 name, strerror(errno));
		return -ENODEV;
	}
	ids = xs_directory(h, XBT_NULL, "/local/domain", &n);
	if (!ids) {
		snprintf(why, len, "domain '%s': cannot list /local/domain in xenstore (%s); give the domain id",
			 name, strerror(errno));
		xs_close(h);
		return -ENODEV;
	}
	for (unsigned int i = 0; i < n && i < XS_DOMAINS_MAX; i++) {
		char path[64];
		unsigned int vlen = 0;
		uint32_t id;
		char *v;

		if (xf_parse_u32(ids[i], 0, XFILTER_DOMID_MAX, &id))
			continue;
		snprintf(path, sizeof(path), "/local/domain/%u/name", id);
		v = xs_read(h, XBT_NULL, path, &vlen);
		if (!v)
			continue;
		if (strlen(v) == vlen && !strcmp(v, name)) {
			if (!found++)
				first = id;
			else
				second = id;
		}
		free(v);
	}
	free(ids);
	xs_close(h);
	if (!found) {
		snprintf(why, len, "no domain is named '%s' (xenstore)", name);
		return -ENOENT;
	}
	/* Possible for a moment, e.g. during a migration: never guess. */
	if (found > 1) {
		snprintf(why, len, "several domains are named '%s' (%u, %u): give the id",
			 name, first, second);
		return -EEXIST;
	}
	*domid = first;
	return 0;
}
