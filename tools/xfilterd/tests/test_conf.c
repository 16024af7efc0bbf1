// SPDX-License-Identifier: GPL-2.0
/* Unit tests: the xfilterd.conf parser (values, errors with line numbers, all or nothing). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <linux/xfilter.h>

#include "conf.h"

static int parse(struct xfd_conf *c, const char *text, char *err, size_t errlen)
{
	err[0] = 0;
	return xfd_conf_parse(c, "t.conf", text, strlen(text), err, errlen);
}

static void test_defaults(void **state)
{
	struct xfd_conf c;
	char err[256];

	xfd_conf_defaults(&c);
	assert_int_equal(c.period_ms, 5000);
	assert_int_equal(c.log_level, XFD_INFO);
	assert_false(c.use_syslog);
	assert_int_equal(c.all.fail_mode, 0);
	assert_int_equal(c.all.max_entries, 0);
	/* empty, blank and comment-only files change nothing */
	assert_int_equal(parse(&c, "", err, sizeof(err)), 0);
	assert_int_equal(parse(&c, "\n  \n\t# period_ms = 10\n#\n", err, sizeof(err)), 0);
	assert_int_equal(c.period_ms, 5000);
}

static void test_values(void **state)
{
	struct xfd_conf c;
	struct xfd_dom_conf d;
	char err[256];

	xfd_conf_defaults(&c);
	assert_int_equal(parse(&c,
		"# shipped example\n"
		"period_ms = 250\n"
		"  log_level=debug   # trailing comment\n"
		"syslog = yes\r\n"
		"fail_mode = open\n"
		"max_entries = 4194304\n"
		"dom.7.fail_mode = closed\n"
		"dom.7.max_entries = 100\n"
		"dom.9.max_entries = 5", err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(c.period_ms, 250);
	assert_int_equal(c.log_level, XFD_DEBUG);
	assert_true(c.use_syslog);
	assert_int_equal(c.all.fail_mode, XFILTER_FAIL_OPEN);
	assert_int_equal(c.all.max_entries, 4194304);
	assert_int_equal(c.nr_doms, 2);
	d = xfd_conf_for(&c, 7);
	assert_int_equal(d.domid, 7);
	assert_int_equal(d.fail_mode, XFILTER_FAIL_CLOSED);
	assert_int_equal(d.max_entries, 100);
	d = xfd_conf_for(&c, 9);
	assert_int_equal(d.fail_mode, XFILTER_FAIL_OPEN);	/* the global one */
	assert_int_equal(d.max_entries, 5);
	d = xfd_conf_for(&c, 1);
	assert_int_equal(d.fail_mode, XFILTER_FAIL_OPEN);
	assert_int_equal(d.max_entries, 4194304);
	/* a later file (or line) overrides an earlier value */
	assert_int_equal(parse(&c, "period_ms=10\nperiod_ms=3600000\nsyslog=no\n", err,
			       sizeof(err)), 0);
	assert_int_equal(c.period_ms, 3600000);
	assert_false(c.use_syslog);
}

/* Each bad file: the error names the line, and nothing of the file is taken. */
static void test_errors(void **state)
{
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{ "period_ms = 9\n", "t.conf:1: period_ms must be" },
		{ "period_ms = 3600001\n", "t.conf:1: period_ms must be" },
		{ "period_ms = -5\n", "t.conf:1: period_ms must be" },
		{ "period_ms = 5s\n", "t.conf:1: period_ms must be" },
		{ "period_ms = 99999999999999999999999\n", "t.conf:1: period_ms must be" },
		{ "\n\nlog_level = verbose\n", "t.conf:3: log_level must be" },
		{ "syslog = maybe\n", "t.conf:1: syslog must be" },
		{ "fail_mode = shut\n", "t.conf:1: fail_mode must be" },
		{ "max_entries = 0\n", "t.conf:1: max_entries must be" },
		{ "max_entries = 4194305\n", "t.conf:1: max_entries must be" },
		{ "# ok\nperiod_ms 100\n", "t.conf:2: expected 'key = value'" },
		{ "= 5\n", "t.conf:1: missing key" },
		{ "period_ms =\n", "t.conf:1: missing value" },
		{ "period_ms = # none\n", "t.conf:1: missing value" },
		{ "perod_ms = 100\n", "t.conf:1: unknown key 'perod_ms'" },
		{ "dom.5.period_ms = 100\n", "t.conf:1: unknown key 'dom.5.period_ms'" },
		{ "dom.5 = 1\n", "t.conf:1: unknown key 'dom.5'" },
		{ "dom.x.fail_mode = open\n", "t.conf:1: the domain in dom.D.KEY" },
		{ "dom.32752.fail_mode = open\n", "t.conf:1: the domain in dom.D.KEY" },
		{ "dom.3.fail_mode = ajar\n", "t.conf:1: fail_mode must be" },
	};
	struct xfd_conf c, before;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		xfd_conf_defaults(&c);
		c.period_ms = 777;
		before = c;
		assert_int_equal(parse(&c, bad[i].text, err, sizeof(err)), 1);
		if (strncmp(err, bad[i].msg, strlen(bad[i].msg)))
			fail_msg("'%s': got '%s', want '%s...'", bad[i].text, err, bad[i].msg);
		assert_memory_equal(&c, &before, sizeof(c));
	}
	/* good lines before the bad one are not applied either */
	xfd_conf_defaults(&c);
	before = c;
	assert_int_equal(parse(&c, "period_ms = 100\nfail_mode = closed\ndom.2.max_entries = 9\n"
			       "log_level = loud\n", err, sizeof(err)), 1);
	assert_string_equal(err, "t.conf:4: log_level must be err, warn, info or debug");
	assert_memory_equal(&c, &before, sizeof(c));
}

static void test_limits(void **state)
{
	struct xfd_conf c, before;
	char err[256], *text;
	size_t n, i;

	/* 65 domains: one too many */
	text = calloc(65, 64);
	assert_non_null(text);
	for (i = 0, n = 0; i < 65; i++)
		n += (size_t)sprintf(text + n, "dom.%zu.fail_mode = closed\n", i + 1);
	xfd_conf_defaults(&c);
	before = c;
	assert_int_equal(parse(&c, text, err, sizeof(err)), 1);
	assert_string_equal(err, "t.conf:65: too many dom.D entries (at most 64 domains)");
	assert_memory_equal(&c, &before, sizeof(c));
	/* the same domain again is one entry */
	for (i = 0, n = 0; i < 65; i++)
		n += (size_t)sprintf(text + n, "dom.4.max_entries = %zu\n", i + 1);
	assert_int_equal(parse(&c, text, err, sizeof(err)), 0);
	assert_int_equal(c.nr_doms, 1);
	assert_int_equal(xfd_conf_for(&c, 4).max_entries, 65);
	free(text);

	/* an over-long line, a NUL byte */
	text = malloc(XFD_CONF_MAX_LINE + 20);
	assert_non_null(text);
	memset(text, '#', XFD_CONF_MAX_LINE + 1);
	strcpy(text + XFD_CONF_MAX_LINE + 1, "\n");
	assert_int_equal(parse(&c, text, err, sizeof(err)), 1);
	assert_string_equal(err, "t.conf:1: line longer than 1024 bytes");
	free(text);
	assert_int_equal(xfd_conf_parse(&c, "t.conf", "syslog = no\nperiod_ms = 1\0000\n", 27,
					err, sizeof(err)), 1);
	assert_string_equal(err, "t.conf:2: NUL byte in the line");
}

static void test_load(void **state)
{
	char path[] = "/tmp/xfconfXXXXXX", err[512];
	struct xfd_conf c;
	FILE *f;
	int fd;

	xfd_conf_defaults(&c);
	assert_int_equal(xfd_conf_load(&c, "/nonexistent/xfilterd.conf", err, sizeof(err)), 1);
	assert_string_equal(err, "/nonexistent/xfilterd.conf: No such file or directory");
	assert_int_equal(xfd_conf_load(&c, "/tmp", err, sizeof(err)), 1);
	assert_non_null(strstr(err, "not a regular file"));
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs("period_ms = 1500\nlog_level = warn\nbad line\n", f);
	fclose(f);
	assert_int_equal(xfd_conf_load(&c, path, err, sizeof(err)), 1);
	assert_non_null(strstr(err, ":3: expected 'key = value'"));
	assert_int_equal(c.period_ms, 5000);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("period_ms = 1500\nlog_level = warn\n", f);
	fclose(f);
	assert_int_equal(xfd_conf_load(&c, path, err, sizeof(err)), 0);
	assert_int_equal(c.period_ms, 1500);
	assert_int_equal(c.log_level, XFD_WARN);
	unlink(path);
}

/* The file shipped as /etc/xfilter/xfilterd.conf parses and changes nothing. */
static void test_shipped(void **state)
{
	struct xfd_conf c, def;
	char err[512];

	xfd_conf_defaults(&c);
	def = c;
	if (xfd_conf_load(&c, XF_DIST_DIR "/xfilterd.conf", err, sizeof(err)))
		fail_msg("%s", err);
	assert_memory_equal(&c, &def, sizeof(c));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_shipped),
	};

	return cmocka_run_group_tests_name("xfilterd_conf", tests, NULL, NULL);
}
