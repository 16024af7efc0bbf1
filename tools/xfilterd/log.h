/* SPDX-License-Identifier: GPL-2.0 */
/* Leveled logging of the daemon, to stderr or syslog. */
#ifndef XF_LOG_H
#define XF_LOG_H

#include <stdbool.h>

enum xfd_level { XFD_ERR, XFD_WARN, XFD_INFO, XFD_DEBUG };

void xfd_log_init(enum xfd_level level, bool use_syslog);
int xfd_log_level_parse(const char *s, enum xfd_level *level);
void xfd_log(enum xfd_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif /* XF_LOG_H */
