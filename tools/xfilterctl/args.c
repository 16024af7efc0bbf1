// SPDX-License-Identifier: GPL-2.0
/* Strict value parsers and guest string escaping (see args.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "args.h"

int xf_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;
	const char *p = s;

	if (!*p)
		return -EINVAL;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > UINT32_MAX) {
			/* Keep reading: "99999999999x" is garbage, not a range. */
			for (p++; *p; p++)
				if (*p < '0' || *p > '9')
					return -EINVAL;
			return -ERANGE;
		}
	}
	if (v < min || v > max)
		return -ERANGE;
	*out = (uint32_t)v;
	return 0;
}

static int parse_port(const char *s, uint16_t *port, char *why, size_t len)
{
	uint32_t v;
	int err = xf_parse_u32(s, 1, 65535, &v);

	if (err == -EINVAL) {
		snprintf(why, len, "'%s' is not a port number", s);
		return err;
	}
	if (err) {
		snprintf(why, len, "port %s is out of range (1-65535)", s);
		return err;
	}
	*port = (uint16_t)v;
	return 0;
}

int xf_parse_ports(const char *s, uint16_t *min, uint16_t *max,
		   char *why, size_t len)
{
	char buf[32];
	char *dash;

	if (strlen(s) >= sizeof(buf)) {
		snprintf(why, len, "'%.20s...' is not a port or a port range", s);
		return -EINVAL;
	}
	strcpy(buf, s);
	dash = strchr(buf, '-');
	if (!dash) {
		if (parse_port(buf, min, why, len))
			return -EINVAL;
		*max = *min;
		return 0;
	}
	*dash = '\0';
	if (parse_port(buf, min, why, len) || parse_port(dash + 1, max, why, len))
		return -EINVAL;
	if (*min > *max) {
		snprintf(why, len, "port range %s is backwards (low-high)", s);
		return -EINVAL;
	}
	return 0;
}

int xf_parse_prefix(const char *s, uint8_t *family, uint8_t addr[16],
		    uint8_t *plen, char *why, size_t len)
{
	char buf[INET6_ADDRSTRLEN + 8];
	char *slash;
	unsigned int bits;
	int af;

	if (strlen(s) >= sizeof(buf)) {
		snprintf(why, len, "'%.40s...' is not an address or prefix", s);
		return -EINVAL;
	}
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	af = strchr(buf, ':') ? AF_INET6 : AF_INET;
	memset(addr, 0, 16);
	if (inet_pton(af, buf, addr) != 1) {
		snprintf(why, len, "'%s' is not an IPv4 or IPv6 address", buf);
		return -EINVAL;
	}
	bits = af == AF_INET ? 32 : 128;
	if (slash) {
		uint32_t v;

		if (xf_parse_u32(slash + 1, 0, bits, &v)) {
			snprintf(why, len, "bad prefix length '/%s' (0-%u for %s)",
				 slash + 1, bits, af == AF_INET ? "IPv4" : "IPv6");
			return -EINVAL;
		}
		bits = v;
	}
	for (unsigned int i = bits; i < (af == AF_INET ? 32u : 128u); i++) {
		if (addr[i / 8] & (0x80 >> (i % 8))) {
			snprintf(why, len,
				 "%s has host bits set beyond /%u (did you mean the network address?)",
				 s, bits);
			return -EINVAL;
		}
	}
	*family = (uint8_t)af;
	*plen = (uint8_t)bits;
	return 0;
}

int xf_parse_duration(const char *s, uint32_t *ms, char *why, size_t len)
{
	static const struct {
		const char *unit;
		uint64_t ms;
	} units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "", 1000 }, { "m", 60000 },
		{ "h", 3600000 }, { "d", 86400000 },
	};
	uint64_t v = 0;
	const char *p = s;
	size_t i;

	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > UINT32_MAX)
			goto range;
	}
	if (p == s) {
		snprintf(why, len, "'%s' is not a duration (N, Nms, Ns, Nm, Nh, Nd)", s);
		return -EINVAL;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(p, units[i].unit))
			break;
	if (i == sizeof(units) / sizeof(units[0])) {
		snprintf(why, len, "'%s' is not a duration (N, Nms, Ns, Nm, Nh, Nd)", s);
		return -EINVAL;
	}
	v *= units[i].ms;
	if (v == 0) {
		snprintf(why, len, "a duration of 0 makes no sense");
		return -ERANGE;
	}
	if (v > UINT32_MAX)
		goto range;
	*ms = (uint32_t)v;
	return 0;
range:
	snprintf(why, len, "duration '%s' is too long (at most 49d)", s);
	return -ERANGE;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int xf_parse_guest_str(const char *s, char *dst, size_t size,
		       char *why, size_t len)
{
	size_t o = 0;

	for (const char *p = s; *p; p++) {
		char c = *p;

		if (c == '\\') {
			int hi, lo;

			if (p[1] != 'x' || (hi = hexval(p[2])) < 0 ||
			    (lo = hexval(p[3])) < 0) {
				snprintf(why, len,
					 "bad escape in '%s': only \\xHH is understood (\\x5c for a backslash)",
					 s);
				return -EINVAL;
			}
			c = (char)(hi << 4 | lo);
			if (!c) {
				snprintf(why, len, "'%s' contains a NUL byte", s);
				return -EINVAL;
			}
			p += 3;
		}
		if (o + 1 >= size) {
			snprintf(why, len,
				 "'%s' is longer than %zu bytes: the guest kernel keeps only %zu, so it could never match",
				 s, size - 1, size - 1);
			return -EINVAL;
		}
		dst[o++] = c;
	}
	if (!o) {
		snprintf(why, len, "an empty name matches nothing");
		return -EINVAL;
	}
	memset(dst + o, 0, size - o);
	return 0;
}

static bool plain(unsigned char c)
{
	return c > ' ' && c < 0x7f && c != '\\' && c != '#' && c != '"' &&
	       c != '\'';
}

void xf_escape(const char *s, size_t n, char *buf, size_t len)
{
	size_t o = 0;

	if (!len)
		return;
	for (size_t i = 0; i < n && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (plain(c)) {
			if (o + 1 >= len)
				break;
			buf[o++] = (char)c;
		} else {
			if (o + 4 >= len)
				break;
			snprintf(buf + o, len - o, "\\x%02x", c);
			o += 4;
		}
	}
	buf[o] = '\0';
}

int xf_split_line(char *line, char **tok, int max)
{
	int n = 0;
	char *p = line;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (!*p || *p == '#')
			return n;
		if (n == max)
			return -1;
		tok[n++] = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			p++;
		if (*p)
			*p++ = '\0';
	}
}
