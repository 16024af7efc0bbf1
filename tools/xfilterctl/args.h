/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Strict parsers for the values an operator types (numbers, ports, prefixes,
 * durations, guest strings) and the escaping that makes guest strings safe
 * to print and to type back. Each refuses trailing garbage, signs, blanks and
 * out-of-range values instead of guessing.
 */
#ifndef XFCTL_ARGS_H
#define XFCTL_ARGS_H

#include <stddef.h>
#include <stdint.h>

/* Decimal in [min, max]: 0, -EINVAL (not a number), -ERANGE (out of range). */
int xf_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out);

/* "P" or "P-Q", 1-65535, P <= Q. why gets a reason on failure. */
int xf_parse_ports(const char *s, uint16_t *min, uint16_t *max,
		   char *why, size_t len);

/*
 * "ADDR" or "ADDR/LEN", IPv4 or IPv6. Host bits beyond LEN must be zero: a
 * typo such as 10.1.2.3/8 is refused rather than silently widened.
 */
int xf_parse_prefix(const char *s, uint8_t *family, uint8_t addr[16],
		    uint8_t *plen, char *why, size_t len);

/* "N" seconds, or N with a unit: ms, s, m, h, d. 1 ms to 2^32-1 ms. */
int xf_parse_duration(const char *s, uint32_t *ms, char *why, size_t len);

/*
 * A guest string (comm) as typed: \xHH escapes are decoded (they are what
 * the printers emit for unprintable bytes and blanks), the result must be
 * 1 to size-1 bytes without NUL.
 */
int xf_parse_guest_str(const char *s, char *dst, size_t size,
		       char *why, size_t len);

/*
 * Escapes a guest string (at most n bytes, stops at NUL) for printing:
 * bytes outside '!'..'~' and the characters \ # " ' become \xHH, so guest
 * data can neither forge output fields nor reach the terminal raw.
 */
void xf_escape(const char *s, size_t n, char *buf, size_t len);

/*
 * Splits a restore line in place at blanks; '#' at the start of a token
 * starts a comment. Returns the number of tokens, or -1 if there are more
 * than max.
 */
int xf_split_line(char *line, char **tok, int max);

#endif /* XFCTL_ARGS_H */
