// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the value parsers and guest string escaping (args.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "args.h"

static void test_u32(void **state)
{
	uint32_t v;

	assert_int_equal(xf_parse_u32("0", 0, 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(xf_parse_u32("4294967295", 0, UINT32_MAX, &v), 0);
	assert_int_equal(v, UINT32_MAX);
	assert_int_equal(xf_parse_u32("007", 0, 10, &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(xf_parse_u32("4294967296", 0, UINT32_MAX, &v), -ERANGE);
	assert_int_equal(xf_parse_u32("99999999999999999999999", 0, UINT32_MAX, &v), -ERANGE);
	assert_int_equal(xf_parse_u32("99999999999999999999x", 0, UINT32_MAX, &v), -EINVAL);
	assert_int_equal(xf_parse_u32("11", 0, 10, &v), -ERANGE);
	assert_int_equal(xf_parse_u32("0", 1, 10, &v), -ERANGE);
	/* Everything strtoul would let through. */
	assert_int_equal(xf_parse_u32("", 0, 10, &v), -EINVAL);
	assert_int_equal(xf_parse_u32(" 5", 0, 10, &v), -EINVAL);
	assert_int_equal(xf_parse_u32("5 ", 0, 10, &v), -EINVAL);
	assert_int_equal(xf_parse_u32("+5", 0, 10, &v), -EINVAL);
	assert_int_equal(xf_parse_u32("-1", 0, UINT32_MAX, &v), -EINVAL);
	assert_int_equal(xf_parse_u32("0x10", 0, 100, &v), -EINVAL);
	assert_int_equal(xf_parse_u32("12abc", 0, 100, &v), -EINVAL);
	assert_int_equal(xf_parse_u32("1e3", 0, 10000, &v), -EINVAL);
}

static void test_ports(void **state)
{
	uint16_t lo, hi;
	char why[256];

	assert_int_equal(xf_parse_ports("80", &lo, &hi, why, sizeof(why)), 0);
	assert_int_equal(lo, 80);
	assert_int_equal(hi, 80);
	assert_int_equal(xf_parse_ports("1024-65535", &lo, &hi, why, sizeof(why)), 0);
	assert_int_equal(lo, 1024);
	assert_int_equal(hi, 65535);
	assert_int_equal(xf_parse_ports("0", &lo, &hi, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "port 0 is out of range (1-65535)");
	assert_int_equal(xf_parse_ports("65536", &lo, &hi, why, sizeof(why)), -EINVAL);
	assert_int_equal(xf_parse_ports("90-80", &lo, &hi, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "port range 90-80 is backwards (low-high)");
	assert_int_equal(xf_parse_ports("80-", &lo, &hi, why, sizeof(why)), -EINVAL);
	assert_int_equal(xf_parse_ports("-80", &lo, &hi, why, sizeof(why)), -EINVAL);
	assert_int_equal(xf_parse_ports("1-2-3", &lo, &hi, why, sizeof(why)), -EINVAL);
	assert_int_equal(xf_parse_ports("http", &lo, &hi, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "'http' is not a port number");
	assert_int_equal(xf_parse_ports("8080808080808080808080808080808080", &lo, &hi,
					 why, sizeof(why)), -EINVAL);
}

static void test_prefix(void **state)
{
	uint8_t fam, addr[16], plen;
	char why[256];

	assert_int_equal(xf_parse_prefix("10.0.0.0/8", &fam, addr, &plen, why, sizeof(why)), 0);
	assert_int_equal(fam, AF_INET);
	assert_int_equal(plen, 8);
	assert_memory_equal(addr, "\x0a\0\0\0", 4);
	assert_int_equal(xf_parse_prefix("203.0.113.7", &fam, addr, &plen, why, sizeof(why)), 0);
	assert_int_equal(plen, 32);
	assert_int_equal(xf_parse_prefix("2001:db8::/32", &fam, addr, &plen, why, sizeof(why)), 0);
	assert_int_equal(fam, AF_INET6);
	assert_int_equal(plen, 32);
	assert_int_equal(xf_parse_prefix("::/0", &fam, addr, &plen, why, sizeof(why)), 0);
	assert_int_equal(plen, 0);
	assert_int_equal(xf_parse_prefix("10.0.0.1/8", &fam, addr, &plen, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "host bits"));
	assert_int_equal(xf_parse_prefix("2001:db8::1/64", &fam, addr, &plen, why, sizeof(why)), -EINVAL);
	assert_int_equal(xf_parse_prefix("10.0.0.0/33", &fam, addr, &plen, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "bad prefix length '/33' (0-32 for IPv4)");
	assert_int_equal(xf_parse_prefix("::/129", &fam, addr, &plen, why, sizeof(why)), -EINVAL);
	assert_int_equal(xf_parse_prefix("10.0.0.0/", &fam, addr, &plen, why, sizeof(why)), -EINVAL);
	assert_int_equal(xf_parse_prefix("10.0.0.0/8x", &fam, addr, &plen, why, sizeof(why)), -EINVAL);
	assert_int_equal(xf_parse_prefix("10.0.0.0/-1", &fam, addr, &plen, why, sizeof(why)), -EINVAL);
	assert_int_equal(xf_parse_prefix("10.0.0", &fam, addr, &plen, why, sizeof(why)), -EINVAL);
	assert_int_equal(xf_parse_prefix("10.0.0.256", &fam, addr, &plen, why, sizeof(why)), -EINVAL);
	assert_int_equal(xf_parse_prefix("010.0.0.1", &fam, addr, &plen, why, sizeof(why)), -EINVAL);
	assert_int_equal(xf_parse_prefix("example.com", &fam, addr, &plen, why, sizeof(why)), -EINVAL);
	assert_int_equal(xf_parse_prefix("", &fam, addr, &plen, why, sizeof(why)), -EINVAL);
	assert_int_equal(xf_parse_prefix("1111:2222:3333:4444:5555:6666:7777:8888:9999/128",
					  &fam, addr, &plen, why, sizeof(why)), -EINVAL);
}

static void test_duration(void **state)
{
	uint32_t ms;
	char why[256];

	assert_int_equal(xf_parse_duration("90", &ms, why, sizeof(why)), 0);
	assert_int_equal(ms, 90000);
	assert_int_equal(xf_parse_duration("500ms", &ms, why, sizeof(why)), 0);
	assert_int_equal(ms, 500);
	assert_int_equal(xf_parse_duration("5m", &ms, why, sizeof(why)), 0);
	assert_int_equal(ms, 300000);
	assert_int_equal(xf_parse_duration("2h", &ms, why, sizeof(why)), 0);
	assert_int_equal(xf_parse_duration("49d", &ms, why, sizeof(why)), 0);
	assert_int_equal(ms, 49U * 86400000U);
	assert_int_equal(xf_parse_duration("50d", &ms, why, sizeof(why)), -ERANGE);
	assert_int_equal(xf_parse_duration("0", &ms, why, sizeof(why)), -ERANGE);
	assert_int_equal(xf_parse_duration("0s", &ms, why, sizeof(why)), -ERANGE);
	assert_int_equal(xf_parse_duration("1.5s", &ms, why, sizeof(why)), -EINVAL);
	assert_int_equal(xf_parse_duration("s", &ms, why, sizeof(why)), -EINVAL);
	assert_int_equal(xf_parse_duration("5 m", &ms, why, sizeof(why)), -EINVAL);
	assert_int_equal(xf_parse_duration("5min", &ms, why, sizeof(why)), -EINVAL);
	assert_int_equal(xf_parse_duration("-5", &ms, why, sizeof(why)), -EINVAL);
	assert_int_equal(xf_parse_duration("99999999999999999999", &ms, why, sizeof(why)), -ERANGE);
}

static void test_guest_str(void **state)
{
	char comm[16], why[256];

	assert_int_equal(xf_parse_guest_str("nmap", comm, sizeof(comm), why, sizeof(why)), 0);
	assert_string_equal(comm, "nmap");
	assert_int_equal(xf_parse_guest_str("0123456789abcde", comm, sizeof(comm), why,
					     sizeof(why)), 0);
	assert_int_equal(xf_parse_guest_str("0123456789abcdef", comm, sizeof(comm), why,
					     sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "longer than 15 bytes"));
	assert_int_equal(xf_parse_guest_str("Web\\x20Content", comm, sizeof(comm), why,
					     sizeof(why)), 0);
	assert_string_equal(comm, "Web Content");
	assert_int_equal(xf_parse_guest_str("a\\x5cb", comm, sizeof(comm), why, sizeof(why)), 0);
	assert_string_equal(comm, "a\\b");
	/* 15 bytes once decoded, longer as typed: fine. */
	assert_int_equal(xf_parse_guest_str("\\x01\\x02\\x03\\x04\\x05\\x06\\x07\\x08abcdefg",
					     comm, sizeof(comm), why, sizeof(why)), 0);
	assert_int_equal(xf_parse_guest_str("-bash", comm, sizeof(comm), why, sizeof(why)), 0);
	assert_int_equal(xf_parse_guest_str("", comm, sizeof(comm), why, sizeof(why)), -EINVAL);
	assert_int_equal(xf_parse_guest_str("a\\x00b", comm, sizeof(comm), why, sizeof(why)), -EINVAL);
	assert_int_equal(xf_parse_guest_str("a\\x4", comm, sizeof(comm), why, sizeof(why)), -EINVAL);
	assert_int_equal(xf_parse_guest_str("a\\n", comm, sizeof(comm), why, sizeof(why)), -EINVAL);
	assert_int_equal(xf_parse_guest_str("a\\", comm, sizeof(comm), why, sizeof(why)), -EINVAL);
	assert_int_equal(xf_parse_guest_str("a\\xzz", comm, sizeof(comm), why, sizeof(why)), -EINVAL);
}

static void test_escape(void **state)
{
	char out[16 * 4 + 1], back[16], why[256];
	const char hostile[] = "a b\\#\"'\x1b[2J\xff";

	xf_escape(hostile, sizeof(hostile), out, sizeof(out));
	assert_string_equal(out, "a\\x20b\\x5c\\x23\\x22\\x27\\x1b[2J\\xff");
	/* What is printed parses back to the same bytes. */
	assert_int_equal(xf_parse_guest_str(out, back, sizeof(back), why, sizeof(why)), 0);
	assert_string_equal(back, hostile);
	/* A 16-byte field without NUL stops at n. */
	xf_escape("0123456789abcdefGARBAGE", 16, out, sizeof(out));
	assert_string_equal(out, "0123456789abcdef");
	/* Small buffers truncate whole escapes, never half of one. */
	xf_escape("  ", 2, out, 6);
	assert_string_equal(out, "\\x20");
}

static void test_split_line(void **state)
{
	char line[] = "  rule add\tuid 5  drop # a comment\r\n";
	char many[200];
	char *tok[8];

	assert_int_equal(xf_split_line(line, tok, 8), 5);
	assert_string_equal(tok[0], "rule");
	assert_string_equal(tok[4], "drop");
	strcpy(many, "# only a comment");
	assert_int_equal(xf_split_line(many, tok, 8), 0);
	strcpy(many, "a b c d e f g h i");
	assert_int_equal(xf_split_line(many, tok, 8), -1);
	strcpy(many, "comm a#b drop");	/* '#' inside a word is a byte */
	assert_int_equal(xf_split_line(many, tok, 8), 3);
	assert_string_equal(tok[1], "a#b");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u32),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_guest_str),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_split_line),
	};

	return cmocka_run_group_tests_name("args", tests, NULL, NULL);
}
