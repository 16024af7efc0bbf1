// SPDX-License-Identifier: GPL-2.0
/* Aligned columns for human output (see table.h). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

#define BOLD	"\033[1m"
#define RESET	"\033[0m"

void xf_table_init(struct xf_table *t, int ncols, const char *const *head)
{
	memset(t, 0, sizeof(*t));
	if (ncols > XF_TABLE_MAX_COLS)
		abort();	/* a bug, not input */
	t->ncols = ncols;
	for (int i = 0; i < ncols; i++) {
		t->right[i] = head[i][0] == '>';
		t->head[i] = head[i] + t->right[i];
	}
}

void xf_table_cell(struct xf_table *t, const char *color, const char *fmt, ...)
{
	size_t idx;
	va_list ap;
	char *s;

	if (t->oom)
		return;
	if (t->col == 0 && t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		char **cells = realloc(t->cells, cap * t->ncols * sizeof(*cells));
		const char **colors;

		if (!cells) {
			t->oom = true;
			return;
		}
		t->cells = cells;
		colors = realloc(t->colors, cap * t->ncols * sizeof(*colors));
		if (!colors) {
			t->oom = true;
			return;
		}
		t->colors = colors;
		t->cap = cap;
	}
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	idx = t->nrows * t->ncols + t->col;
	t->cells[idx] = s;
	t->colors[idx] = color;
	if (++t->col == t->ncols) {
		t->col = 0;
		t->nrows++;
	}
}

static void put_cell(FILE *f, const char *s, const char *color, size_t width,
		     bool right, bool last, bool use_color)
{
	size_t len = strlen(s);
	size_t pad = width > len ? width - len : 0;

	if (right)
		fprintf(f, "%*s", (int)pad, "");
	if (use_color && color)
		fprintf(f, "%s%s%s", color, s, RESET);
	else
		fputs(s, f);
	if (!right && !last)
		fprintf(f, "%*s", (int)pad, "");
	if (!last)
		fputs("  ", f);
}

void xf_table_print(const struct xf_table *t, FILE *f, bool color)
{
	size_t width[XF_TABLE_MAX_COLS];

	if (t->oom) {
		fputs("(out of memory)\n", f);
		return;
	}
	for (int c = 0; c < t->ncols; c++) {
		width[c] = strlen(t->head[c]);
		for (size_t r = 0; r < t->nrows; r++) {
			const char *s = t->cells[r * t->ncols + c];
			size_t len = s ? strlen(s) : 0;

			if (len > width[c])
				width[c] = len;
		}
	}
	for (int c = 0; c < t->ncols; c++)
		put_cell(f, t->head[c], BOLD, width[c], t->right[c],
			 c == t->ncols - 1, color);
	fputc('\n', f);
	for (size_t r = 0; r < t->nrows; r++) {
		for (int c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];

			put_cell(f, s ? s : "?", t->colors[r * t->ncols + c],
				 width[c], t->right[c], c == t->ncols - 1, color);
		}
		fputc('\n', f);
	}
}

void xf_table_free(struct xf_table *t)
{
	size_t n = t->nrows * t->ncols + (size_t)t->col;

	for (size_t i = 0; t->cells && i < n; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->colors);
	memset(t, 0, sizeof(*t));
}
