/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small streaming JSON writer: the one machine format of every tool.
 * Calls nest objects and arrays; commas, escaping and indentation are the
 * writer's business. Errors of use (unbalanced close, key outside an object)
 * abort, since they are bugs, not input.
 */
#ifndef XF_JSON_H
#define XF_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define XF_JSON_MAX_DEPTH 32

struct xf_json {
	FILE *out;
	bool pretty;
	int depth;
	bool first[XF_JSON_MAX_DEPTH];	/* no member written yet at this level */
	bool in_object[XF_JSON_MAX_DEPTH];
	bool after_key;
};

void xf_json_init(struct xf_json *j, FILE *out, bool pretty);
void xf_json_obj_open(struct xf_json *j);
void xf_json_obj_close(struct xf_json *j);
void xf_json_arr_open(struct xf_json *j);
void xf_json_arr_close(struct xf_json *j);
void xf_json_key(struct xf_json *j, const char *key);
void xf_json_str(struct xf_json *j, const char *s);
/* A string of at most n bytes (stops at NUL); for fixed-size guest fields. */
void xf_json_strn(struct xf_json *j, const char *s, size_t n);
void xf_json_u64(struct xf_json *j, uint64_t v);
void xf_json_i64(struct xf_json *j, int64_t v);
void xf_json_bool(struct xf_json *j, bool v);
void xf_json_null(struct xf_json *j);
/* Ends the document with a newline; the writer must be back at depth 0. */
void xf_json_end(struct xf_json *j);

/* key + value in one call, for the common object members */
void xf_json_kstr(struct xf_json *j, const char *key, const char *s);
void xf_json_ku64(struct xf_json *j, const char *key, uint64_t v);
void xf_json_ki64(struct xf_json *j, const char *key, int64_t v);
void xf_json_kbool(struct xf_json *j, const char *key, bool v);

/* Writes s as a quoted, escaped JSON string (at most n bytes of it). */
void xf_json_write_string(FILE *out, const char *s, size_t n);

#endif /* XF_JSON_H */
