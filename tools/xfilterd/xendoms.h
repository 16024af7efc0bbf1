/* SPDX-License-Identifier: GPL-2.0 */
/* The running Xen domains, from xenstore, and a watch on their start/stop. */
#ifndef XF_XENDOMS_H
#define XF_XENDOMS_H

#include <stdint.h>

struct xf_xendoms;

/* NULL with errno when xenstore cannot be reached (not in dom0). */
struct xf_xendoms *xf_xendoms_open(void);
void xf_xendoms_close(struct xf_xendoms *x);
/* Fills ids with the guest domains (not dom0); returns the count or -errno. */
int xf_xendoms_list(struct xf_xendoms *x, uint32_t *ids, int max);
/* The domain's vif names ("vif5.0 vif5.1") from the backend directory. */
int xf_xendoms_vifs(struct xf_xendoms *x, uint32_t domid, char *buf, size_t len);
/* The fd to poll; readable when a domain was introduced or released. */
int xf_xendoms_fd(struct xf_xendoms *x);
/* Consumes the pending watch events. */
void xf_xendoms_drain(struct xf_xendoms *x);

#endif /* XF_XENDOMS_H */
