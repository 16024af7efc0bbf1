// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the JSON writer: structure, escaping, hostile strings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"

static char *buf;
static size_t len;

static struct xf_json *start(struct xf_json *j, bool pretty)
{
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	xf_json_init(j, f, pretty);
	return j;
}

static void finish(struct xf_json *j, const char *expect)
{
	fclose(j->out);
	assert_string_equal(buf, expect);
	free(buf);
	buf = NULL;
}

static void test_compact_nesting(void **state)
{
	struct xf_json j;

	start(&j, false);
	xf_json_obj_open(&j);
	xf_json_kstr(&j, "a", "x");
	xf_json_ku64(&j, "b", UINT64_MAX);
	xf_json_ki64(&j, "c", -5);
	xf_json_kbool(&j, "d", true);
	xf_json_key(&j, "e");
	xf_json_arr_open(&j);
	xf_json_u64(&j, 1);
	xf_json_null(&j);
	xf_json_obj_open(&j);
	xf_json_obj_close(&j);
	xf_json_arr_close(&j);
	xf_json_key(&j, "f");
	xf_json_arr_open(&j);
	xf_json_arr_close(&j);
	xf_json_obj_close(&j);
	xf_json_end(&j);
	finish(&j, "{\"a\":\"x\",\"b\":18446744073709551615,\"c\":-5,\"d\":true,"
		   "\"e\":[1,null,{}],\"f\":[]}\n");
}

static void test_pretty(void **state)
{
	struct xf_json j;

	start(&j, true);
	xf_json_arr_open(&j);
	xf_json_obj_open(&j);
	xf_json_ku64(&j, "id", 4);
	xf_json_obj_close(&j);
	xf_json_arr_close(&j);
	xf_json_end(&j);
	finish(&j, "[\n  {\n    \"id\": 4\n  }\n]\n");
}

/* Guest strings are arbitrary bytes: the output must stay valid JSON. */
static void test_escaping(void **state)
{
	struct xf_json j;
	const char hostile[] = "a\"b\\c\n\t\r\x01\x7f\xff";

	start(&j, false);
	xf_json_str(&j, hostile);
	xf_json_end(&j);
	finish(&j, "\"a\\\"b\\\\c\\n\\t\\r\\u0001\\u007f\\u00ff\"\n");
}

/* A fixed 16-byte field without NUL: strn stops at n. */
static void test_strn_bound(void **state)
{
	struct xf_json j;
	char comm[16];

	memset(comm, 'x', sizeof(comm));
	start(&j, false);
	xf_json_strn(&j, comm, sizeof(comm));
	xf_json_end(&j);
	finish(&j, "\"xxxxxxxxxxxxxxxx\"\n");
}

static void test_null_string(void **state)
{
	struct xf_json j;

	start(&j, false);
	xf_json_obj_open(&j);
	xf_json_kstr(&j, "s", NULL);
	xf_json_obj_close(&j);
	xf_json_end(&j);
	finish(&j, "{\"s\":null}\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compact_nesting),
		cmocka_unit_test(test_pretty),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_strn_bound),
		cmocka_unit_test(test_null_string),
	};

	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
