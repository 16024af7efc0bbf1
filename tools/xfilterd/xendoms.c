// SPDX-License-Identifier: GPL-2.0
/*
 * Domain discovery through xenstore: /local/domain lists the running
 * domains, and the special watches @introduceDomain/@releaseDomain fire on
 * every start and stop, so the daemon rescans only when something changed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xenstore.h>

#include "xendoms.h"

struct xf_xendoms {
	struct xs_handle *xs;
};

struct xf_xendoms *xf_xendoms_open(void)
{
	struct xf_xendoms *x = calloc(1, sizeof(*x));

	if (!x)
		return NULL;
	x->xs = xs_open(0);
	if (!x->xs ||
	    !xs_watch(x->xs, "@introduceDomain", "intro") ||
	    !xs_watch(x->xs, "@releaseDomain", "release")) {
		int e = errno ? errno : ENODEV;

		xf_xendoms_close(x);
		errno = e;
		return NULL;
	}
	return x;
}

void xf_xendoms_close(struct xf_xendoms *x)
{
	if (!x)
		return;
	if (x->xs)
		xs_close(x->xs);
	free(x);
}

int xf_xendoms_list(struct xf_xendoms *x, uint32_t *ids, int max)
{
	unsigned int n = 0, i;
	char **ents = xs_directory(x->xs, XBT_NULL, "/local/domain", &n);
	int count = 0;

	if (!ents)
		return -errno;
	for (i = 0; i < n && count < max; i++) {
		char *end;
		unsigned long id = strtoul(ents[i], &end, 10);

		if (*end || end == ents[i] || id == 0 || id >= 0x7ff0)
			continue;
		ids[count++] = (uint32_t)id;
	}
	free(ents);
	return count;
}

int xf_xendoms_vifs(struct xf_xendoms *x, uint32_t domid, char *buf, size_t len)
{
	unsigned int n = 0, i;
	char path[64], **ents;
	size_t used = 0;

	if (!len)
		return -EINVAL;
	buf[0] = 0;
	/* dom0 backs the vifs here; a driver domain would have its own tree */
	snprintf(path, sizeof(path), "/local/domain/0/backend/vif/%u", domid);
	ents = xs_directory(x->xs, XBT_NULL, path, &n);
	if (!ents)
		return -errno;
	for (i = 0; i < n && i < 64; i++) {
		int w = snprintf(buf + used, len - used, "%svif%u.%s", used ? " " : "", domid,
				 ents[i]);

		if (w < 0 || (size_t)w >= len - used)
			break;
		used += (size_t)w;
	}
	free(ents);
	return (int)n;
}

int xf_xendoms_fd(struct xf_xendoms *x)
{
	return xs_fileno(x->xs);
}

void xf_xendoms_drain(struct xf_xendoms *x)
{
	char **ev;

	/* xs_check_watch() does not block; it returns NULL once drained */
	while ((ev = xs_check_watch(x->xs)) != NULL)
		free(ev);
}
