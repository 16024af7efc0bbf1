// SPDX-License-Identifier: GPL-2.0
/* Streaming JSON writer shared by xfilterctl and xfilterd. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

void xf_json_init(struct xf_json *j, FILE *out, bool pretty)
{
	memset(j, 0, sizeof(*j));
	j->out = out;
	j->pretty = pretty;
	j->first[0] = true;
}

static void indent(struct xf_json *j)
{
	if (!j->pretty)
		return;
	fputc('\n', j->out);
	for (int i = 0; i < j->depth; i++)
		fputs("  ", j->out);
}

/* Separator and indentation before a value or a key at the current level. */
static void before_item(struct xf_json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->depth > 0 && j->in_object[j->depth])
		abort();	/* a value inside an object needs a key first */
	if (!j->first[j->depth])
		fputc(',', j->out);
	j->first[j->depth] = false;
	if (j->depth > 0)
		indent(j);
}

static void open_level(struct xf_json *j, char c, bool object)
{
	before_item(j);
	if (j->depth + 1 >= XF_JSON_MAX_DEPTH)
		abort();
	fputc(c, j->out);
	j->depth++;
	j->first[j->depth] = true;
	j->in_object[j->depth] = object;
}

static void close_level(struct xf_json *j, char c, bool object)
{
	if (j->depth == 0 || j->in_object[j->depth] != object || j->after_key)
		abort();
	bool empty = j->first[j->depth];

	j->depth--;
	if (!empty)
		indent(j);
	fputc(c, j->out);
}

void xf_json_obj_open(struct xf_json *j)
{
	open_level(j, '{', true);
}

void xf_json_obj_close(struct xf_json *j)
{
	close_level(j, '}', true);
}

void xf_json_arr_open(struct xf_json *j)
{
	open_level(j, '[', false);
}

void xf_json_arr_close(struct xf_json *j)
{
	close_level(j, ']', false);
}

void xf_json_write_string(FILE *out, const char *s, size_t n)
{
	fputc('"', out);
	for (size_t i = 0; i < n && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '"':
			fputs("\\\"", out);
			break;
		case '\\':
			fputs("\\\\", out);
			break;
		case '\n':
			fputs("\\n", out);
			break;
		case '\t':
			fputs("\\t", out);
			break;
		case '\r':
			fputs("\\r", out);
			break;
		default:
			/*
			 * Control bytes and bytes >= 0x80 are escaped one by
			 * one: guest strings are not guaranteed to be UTF-8,
			 * and the output must always be valid JSON.
			 */
			if (c < 0x20 || c >= 0x7f)
				fprintf(out, "\\u%04x", c);
			else
				fputc(c, out);
		}
	}
	fputc('"', out);
}

void xf_json_key(struct xf_json *j, const char *key)
{
	if (j->depth == 0 || !j->in_object[j->depth] || j->after_key)
		abort();
	if (!j->first[j->depth])
		fputc(',', j->out);
	j->first[j->depth] = false;
	indent(j);
	xf_json_write_string(j->out, key, strlen(key));
	fputs(j->pretty ? ": " : ":", j->out);
	j->after_key = true;
}

void xf_json_strn(struct xf_json *j, const char *s, size_t n)
{
	before_item(j);
	xf_json_write_string(j->out, s, n);
}

void xf_json_str(struct xf_json *j, const char *s)
{
	if (!s) {
		xf_json_null(j);
		return;
	}
	xf_json_strn(j, s, strlen(s));
}

void xf_json_u64(struct xf_json *j, uint64_t v)
{
	before_item(j);
	fprintf(j->out, "%" PRIu64, v);
}

void xf_json_i64(struct xf_json *j, int64_t v)
{
	before_item(j);
	fprintf(j->out, "%" PRId64, v);
}

void xf_json_bool(struct xf_json *j, bool v)
{
	before_item(j);
	fputs(v ? "true" : "false", j->out);
}

void xf_json_null(struct xf_json *j)
{
	before_item(j);
	fputs("null", j->out);
}

void xf_json_end(struct xf_json *j)
{
	if (j->depth != 0 || j->after_key)
		abort();
	fputc('\n', j->out);
	fflush(j->out);
}

void xf_json_kstr(struct xf_json *j, const char *key, const char *s)
{
	xf_json_key(j, key);
	xf_json_str(j, s);
}

void xf_json_ku64(struct xf_json *j, const char *key, uint64_t v)
{
	xf_json_key(j, key);
	xf_json_u64(j, v);
}

void xf_json_ki64(struct xf_json *j, const char *key, int64_t v)
{
	xf_json_key(j, key);
	xf_json_i64(j, v);
}

void xf_json_kbool(struct xf_json *j, const char *key, bool v)
{
	xf_json_key(j, key);
	xf_json_bool(j, v);
}
