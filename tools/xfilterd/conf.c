// SPDX-License-Identifier: GPL-2.0
/*
 * xfilterd.conf: "key = value" lines, '#' comments. Every line is checked
 * before anything is taken, so a typo never leaves the daemon half
 * configured; the error names the file and the line.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/xfilter.h>

#include "conf.h"

#define CONF_MAX_SIZE	(1 << 20)

void xfd_conf_defaults(struct xfd_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->period_ms = 5000;
	c->log_level = XFD_INFO;
}

int xfd_fail_mode_parse(const char *s, uint8_t *mode)
{
	if (!strcmp(s, "open"))
		*mode = XFILTER_FAIL_OPEN;
	else if (!strcmp(s, "closed"))
		*mode = XFILTER_FAIL_CLOSED;
	else
		return -1;
	return 0;
}

static int parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *v)
{
	char *end;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	*v = strtoul(s, &end, 10);
	if (errno || *end || *v < min || *v > max)
		return -1;
	return 0;
}

static int parse_bool(const char *s, bool *b)
{
	if (!strcmp(s, "yes") || !strcmp(s, "true") || !strcmp(s, "1"))
		*b = true;
	else if (!strcmp(s, "no") || !strcmp(s, "false") || !strcmp(s, "0"))
		*b = false;
	else
		return -1;
	return 0;
}

static struct xfd_dom_conf *dom_slot(struct xfd_conf *c, uint32_t domid)
{
	unsigned int i;

	for (i = 0; i < c->nr_doms; i++)
		if (c->dom[i].domid == domid)
			return &c->dom[i];
	if (c->nr_doms >= XFD_CONF_MAX_DOMS)
		return NULL;
	c->dom[c->nr_doms] = (struct xfd_dom_conf){ .domid = domid };
	return &c->dom[c->nr_doms++];
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

/* One setting of a domain (or of all of them): fail_mode, max_entries. */
static const char *dom_key(struct xfd_dom_conf *d, const char *key, const char *val)
{
	unsigned long v;

	if (!strcmp(key, "fail_mode")) {
		if (xfd_fail_mode_parse(val, &d->fail_mode))
			return "fail_mode must be open or closed";
		return NULL;
	}
	if (!strcmp(key, "max_entries")) {
		if (parse_uint(val, 1, XFD_MAX_ENTRIES_MAX, &v))
			return "max_entries must be a number from 1 to 4194304";
		d->max_entries = (uint32_t)v;
		return NULL;
	}
	return "";	/* not a domain key */
}

static const char *line_set(struct xfd_conf *c, char *key, const char *val, char *buf,
			    size_t buflen)
{
	unsigned long v;
	const char *why;

	if (!strcmp(key, "period_ms")) {
		if (parse_uint(val, XFD_PERIOD_MIN_MS, XFD_PERIOD_MAX_MS, &v))
			return "period_ms must be a number from 10 to 3600000";
		c->period_ms = (unsigned int)v;
		return NULL;
	}
	if (!strcmp(key, "log_level")) {
		if (xfd_log_level_parse(val, &c->log_level))
			return "log_level must be err, warn, info or debug";
		return NULL;
	}
	if (!strcmp(key, "syslog")) {
		if (parse_bool(val, &c->use_syslog))
			return "syslog must be yes or no";
		return NULL;
	}
	/* dom.D.fail_mode, dom.D.max_entries: one domain's override */
	if (!strncmp(key, "dom.", 4)) {
		char *dot = strchr(key + 4, '.');
		struct xfd_dom_conf *d;

		if (!dot)
			goto unknown;
		*dot = 0;
		if (parse_uint(key + 4, 0, 0x7fef, &v))
			return "the domain in dom.D.KEY must be a domain id (0-32751)";
		d = dom_slot(c, (uint32_t)v);
		if (!d)
			return "too many dom.D entries (at most 64 domains)";
		*dot = '.';
		why = dom_key(d, dot + 1, val);
		if (why && !*why)
			goto unknown;
		return why;
	}
	why = dom_key(&c->all, key, val);
	if (!why || *why)
		return why;
unknown:
	snprintf(buf, buflen, "unknown key '%s'", key);
	return buf;
}

int xfd_conf_parse(struct xfd_conf *c, const char *name, const char *text, size_t len,
		   char *err, size_t errlen)
{
	struct xfd_conf n = *c;		/* applied only when every line is good */
	char line[XFD_CONF_MAX_LINE + 2], msg[96];
	size_t pos = 0;
	unsigned int lineno = 0;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - (text + pos)) : len - pos;
		const char *why = NULL;
		char *s, *eq, *hash, *key, *val;

		if (++lineno > XFD_CONF_MAX_LINES) {
			snprintf(err, errlen, "%s:%u: more than %u lines", name, lineno,
				 XFD_CONF_MAX_LINES);
			return 1;
		}
		if (ll > XFD_CONF_MAX_LINE) {
			snprintf(err, errlen, "%s:%u: line longer than %u bytes", name, lineno,
				 XFD_CONF_MAX_LINE);
			return 1;
		}
		memcpy(line, text + pos, ll);
		line[ll] = 0;
		pos += ll + (nl ? 1 : 0);
		if (strlen(line) != ll) {
			snprintf(err, errlen, "%s:%u: NUL byte in the line", name, lineno);
			return 1;
		}
		hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		s = trim(line);
		if (!*s)
			continue;
		eq = strchr(s, '=');
		if (!eq) {
			why = "expected 'key = value'";
		} else {
			*eq = 0;
			key = trim(s);
			val = trim(eq + 1);
			if (!*key)
				why = "missing key before '='";
			else if (!*val)
				why = "missing value after '='";
			else
				why = line_set(&n, key, val, msg, sizeof(msg));
		}
		if (why) {
			snprintf(err, errlen, "%s:%u: %s", name, lineno, why);
			return 1;
		}
	}
	*c = n;
	return 0;
}

int xfd_conf_load(struct xfd_conf *c, const char *path, char *err, size_t errlen)
{
	struct stat st;
	char *buf;
	ssize_t n;
	size_t got = 0;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return 1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > CONF_MAX_SIZE) {
		snprintf(err, errlen, "%s: not a regular file of at most 1 MiB", path);
		close(fd);
		return 1;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		snprintf(err, errlen, "%s: out of memory", path);
		return 1;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got != (size_t)st.st_size) {
		snprintf(err, errlen, "%s: short read", path);
		free(buf);
		return 1;
	}
	ret = xfd_conf_parse(c, path, buf, got, err, errlen);
	free(buf);
	return ret;
}

struct xfd_dom_conf xfd_conf_for(const struct xfd_conf *c, uint32_t domid)
{
	struct xfd_dom_conf r = c->all;
	unsigned int i;

	r.domid = domid;
	for (i = 0; i < c->nr_doms; i++) {
		if (c->dom[i].domid != domid)
			continue;
		if (c->dom[i].fail_mode)
			r.fail_mode = c->dom[i].fail_mode;
		if (c->dom[i].max_entries)
			r.max_entries = c->dom[i].max_entries;
	}
	return r;
}
