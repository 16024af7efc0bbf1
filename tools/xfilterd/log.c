// SPDX-License-Identifier: GPL-2.0
/* Leveled logging of the daemon: one line per event, to stderr or syslog. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static enum xfd_level max_level = XFD_INFO;
static bool to_syslog;

static const char *const names[] = { "err", "warn", "info", "debug" };
static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

void xfd_log_init(enum xfd_level level, bool use_syslog)
{
	max_level = level;
	to_syslog = use_syslog;
	if (use_syslog)
		openlog("xfilterd", LOG_PID, LOG_DAEMON);
}

int xfd_log_level_parse(const char *s, enum xfd_level *level)
{
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(s, names[i])) {
			*level = (enum xfd_level)i;
			return 0;
		}
	}
	return -1;
}

void xfd_log(enum xfd_level level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (level > max_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (to_syslog) {
		syslog(prio[level], "%s", line);
	} else {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		fprintf(stderr, "%lld.%03ld xfilterd %s: %s\n", (long long)ts.tv_sec,
			ts.tv_nsec / 1000000, names[level], line);
	}
}
