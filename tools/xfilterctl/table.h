/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Aligned columns for human output: cells are collected first, widths come
 * from the widest cell, colour codes never count toward a width, and the last
 * column is not padded (no trailing blanks).
 */
#ifndef XFCTL_TABLE_H
#define XFCTL_TABLE_H

#include <stdbool.h>
#include <stdio.h>

#define XF_TABLE_MAX_COLS 16

struct xf_table {
	int ncols;
	const char *head[XF_TABLE_MAX_COLS];
	bool right[XF_TABLE_MAX_COLS];		/* right-aligned (numbers) */
	char **cells;				/* nrows * ncols */
	const char **colors;			/* ANSI code per cell or NULL */
	size_t nrows, cap;
	int col;				/* next cell in the current row */
	bool oom;
};

/* head: ncols names; a name starting with '>' is right-aligned. */
void xf_table_init(struct xf_table *t, int ncols, const char *const *head);
/* Appends a cell to the current row; rows end after ncols cells. */
void xf_table_cell(struct xf_table *t, const char *color, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void xf_table_print(const struct xf_table *t, FILE *f, bool color);
void xf_table_free(struct xf_table *t);

#endif /* XFCTL_TABLE_H */
