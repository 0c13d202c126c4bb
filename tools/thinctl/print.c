// SPDX-License-Identifier: GPL-2.0
/*
 * The printer behind print.h: a JSON writer and, for humans, tables (kept
 * until the list ends, to align the columns), records and lines.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "libthinblk.h"
#include "print.h"

#define PR_DEPTH_MAX		8
#define COLUMN_GAP		"  "
#define RECORD_KEY_SUFFIX	":"
#define HUMAN_NULL		"-"
#define UINT_STR_MAX		24
#define ROWS_INITIAL		16

/* Cells of a table, row after row; the first row names the columns. */
struct table {
	const char *labels[PR_COLUMNS_MAX];
	size_t ncols;
	size_t col;			/* next cell of the current row */
	char **cells;
	size_t ncells;
	size_t cap;
	bool named;			/* the first row is complete */
	bool header;			/* print the labels (not for records) */
};

struct printer {
	FILE *out;
	bool json;
	bool line_mode;
	int error;
	/* JSON: one level per open object or array */
	int depth;
	bool first[PR_DEPTH_MAX];
	bool is_object[PR_DEPTH_MAX];
	/* humans */
	int lists;			/* open lists: objects are table rows */
	bool line_started;
	unsigned int blocks;		/* tables and records printed */
	struct table table;
};

struct printer *pr_new(FILE *out, bool json)
{
	struct printer *pr = calloc(1, sizeof(*pr));

	if (!pr)
		return NULL;
	pr->out = out;
	pr->json = json;
	return pr;
}

static void table_reset(struct table *t)
{
	size_t i;

	for (i = 0; i < t->ncells; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

void pr_free(struct printer *pr)
{
	if (!pr)
		return;
	table_reset(&pr->table);
	free(pr);
}

bool pr_json(const struct printer *pr)
{
	return pr->json;
}

void pr_set_line_mode(struct printer *pr)
{
	pr->line_mode = true;
}

int pr_status(const struct printer *pr)
{
	if (pr->error)
		return pr->error;
	return ferror(pr->out) ? -EIO : 0;
}

/* ---- JSON --------------------------------------------------------------- */

void json_write_string(FILE *out, const char *s)
{
	static const char *const escapes[] = {
		['\b'] = "\\b", ['\f'] = "\\f", ['\n'] = "\\n",
		['\r'] = "\\r", ['\t'] = "\\t",
	};
	const unsigned char *p;

	fputc('"', out);
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < sizeof(escapes) / sizeof(escapes[0]) && escapes[*p])
			fputs(escapes[*p], out);
		else if (*p < ' ')
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

/* Comma and key before a value at the current level. */
static void json_member(struct printer *pr, const char *key)
{
	if (!pr->depth)
		return;
	if (!pr->first[pr->depth])
		fputc(',', pr->out);
	pr->first[pr->depth] = false;
	if (pr->is_object[pr->depth] && key) {
		json_write_string(pr->out, key);
		fputc(':', pr->out);
	}
}

static void json_open(struct printer *pr, const char *key, bool object)
{
	json_member(pr, key);
	fputc(object ? '{' : '[', pr->out);
	if (pr->depth + 1 >= PR_DEPTH_MAX) {
		pr->error = -EINVAL;
		return;
	}
	pr->depth++;
	pr->first[pr->depth] = true;
	pr->is_object[pr->depth] = object;
}

static void json_close(struct printer *pr)
{
	fputc(pr->is_object[pr->depth] ? '}' : ']', pr->out);
	if (pr->depth > 0)
		pr->depth--;
	if (!pr->depth)
		fputc('\n', pr->out);
}

/* ---- tables and records -------------------------------------------------- */

size_t display_width(const char *s)
{
	size_t width = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)	/* not a continuation */
			width++;
	return width;
}

static void table_add(struct printer *pr, const char *label, const char *text)
{
	struct table *t = &pr->table;
	char *cell;

	if (!t->named) {
		if (t->ncols == PR_COLUMNS_MAX)
			return;
		t->labels[t->ncols++] = label;
	} else if (t->col >= t->ncols) {
		return;		/* a row with more fields than the first */
	}
	if (t->ncells == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : ROWS_INITIAL * PR_COLUMNS_MAX;
		char **cells = realloc(t->cells, cap * sizeof(*cells));

		if (!cells) {
			pr->error = -ENOMEM;
			return;
		}
		t->cells = cells;
		t->cap = cap;
	}
	cell = strdup(text);
	if (!cell) {
		pr->error = -ENOMEM;
		return;
	}
	t->cells[t->ncells++] = cell;
	t->col++;
}

/* Pads a short row so that every row has ncols cells. */
static void table_end_row(struct printer *pr)
{
	struct table *t = &pr->table;

	while (t->named && t->col && t->col < t->ncols && !pr->error)
		table_add(pr, NULL, "");
	if (t->ncols)
		t->named = true;
	t->col = 0;
}

static void print_cell(FILE *out, const char *text, size_t width, bool last)
{
	fputs(text, out);
	if (last) {
		fputc('\n', out);
		return;
	}
	fprintf(out, "%*s" COLUMN_GAP, (int)(width - display_width(text)), "");
}

static void table_flush(struct printer *pr)
{
	struct table *t = &pr->table;
	size_t width[PR_COLUMNS_MAX] = { 0 };
	size_t i, c;

	if (!t->ncols || pr->error)
		goto out;
	for (c = 0; c < t->ncols; c++)
		if (t->header)
			width[c] = display_width(t->labels[c]);
	for (i = 0; i < t->ncells; i++) {
		size_t w = display_width(t->cells[i]);

		if (w > width[i % t->ncols])
			width[i % t->ncols] = w;
	}
	if (pr->blocks++)
		fputc('\n', pr->out);
	for (c = 0; t->header && c < t->ncols; c++)
		print_cell(pr->out, t->labels[c], width[c], c == t->ncols - 1);
	for (i = 0; i < t->ncells; i++)
		print_cell(pr->out, t->cells[i], width[i % t->ncols],
			   i % t->ncols == t->ncols - 1);
out:
	table_reset(t);
}

static void line_add(struct printer *pr, const char *label, const char *text)
{
	if (pr->line_started)
		fputc(' ', pr->out);
	pr->line_started = true;
	if (label)
		fprintf(pr->out, "%s=%s", label, text);
	else
		fputs(text, pr->out);
}

static void record_add(struct printer *pr, const char *label, const char *key,
		       const char *text)
{
	const char *name = key ? key : label;
	char *line;

	if (asprintf(&line, "%s" RECORD_KEY_SUFFIX, name) < 0) {
		pr->error = -ENOMEM;
		return;
	}
	table_add(pr, NULL, line);
	table_add(pr, NULL, text);
	table_end_row(pr);
	free(line);
}

/* ---- structure ----------------------------------------------------------- */

void pr_list_begin(struct printer *pr, const char *key)
{
	if (pr->json) {
		json_open(pr, key, false);
		return;
	}
	table_flush(pr);	/* fields of the enclosing record come first */
	pr->lists++;
}

void pr_list_end(struct printer *pr)
{
	if (pr->json) {
		json_close(pr);
		return;
	}
	pr->lists--;
	table_flush(pr);
}

void pr_object_begin(struct printer *pr)
{
	if (pr->json) {
		json_open(pr, NULL, true);
		return;
	}
	if (pr->lists)
		pr->table.header = true;
	pr->line_started = false;
}

void pr_object_end(struct printer *pr)
{
	if (pr->json) {
		json_close(pr);
		return;
	}
	if (pr->lists) {
		table_end_row(pr);
	} else if (pr->line_mode) {
		fputc('\n', pr->out);
	} else {
		table_flush(pr);
	}
}

/* ---- fields ------------------------------------------------------------- */

/* Where an object's fields go for humans right now. */
static unsigned int human_place(const struct printer *pr)
{
	return pr->lists ? PR_TABLE : PR_TEXT;
}

static void human_field(struct printer *pr, unsigned int where,
			const char *label, const char *key, const char *text)
{
	if (!(where & human_place(pr)))
		return;
	if (pr->lists)
		table_add(pr, label, text);
	else if (pr->line_mode)
		line_add(pr, label, text);
	else
		record_add(pr, label, key, text);
}

void pr_string(struct printer *pr, unsigned int where, const char *label,
	       const char *key, const char *value)
{
	if (!pr->json) {
		human_field(pr, where, label, key, value ? value : HUMAN_NULL);
		return;
	}
	if (!(where & PR_JSON))
		return;
	json_member(pr, key);
	if (value)
		json_write_string(pr->out, value);
	else
		fputs("null", pr->out);
}

void pr_null(struct printer *pr, unsigned int where, const char *label,
	     const char *key)
{
	pr_string(pr, where, label, key, NULL);
}

/* A JSON literal (number, true, false) or its human text. */
static void pr_literal(struct printer *pr, unsigned int where,
		       const char *label, const char *key, const char *json,
		       const char *human)
{
	if (!pr->json) {
		human_field(pr, where, label, key, human);
		return;
	}
	if (!(where & PR_JSON))
		return;
	json_member(pr, key);
	fputs(json, pr->out);
}

void pr_uint(struct printer *pr, unsigned int where, const char *label,
	     const char *key, uint64_t value)
{
	char text[UINT_STR_MAX];

	snprintf(text, sizeof(text), "%" PRIu64, value);
	pr_literal(pr, where, label, key, text, text);
}

void pr_size(struct printer *pr, unsigned int where, const char *label,
	     const char *key, uint64_t bytes)
{
	char number[UINT_STR_MAX], human[TB_SIZE_STR_MAX];

	snprintf(number, sizeof(number), "%" PRIu64, bytes);
	pr_literal(pr, where, label, key, number, tb_format_size(bytes, human));
}

void pr_bool(struct printer *pr, unsigned int where, const char *label,
	     const char *key, bool value)
{
	pr_literal(pr, where, label, key, value ? "true" : "false",
		   value ? "yes" : "no");
}
