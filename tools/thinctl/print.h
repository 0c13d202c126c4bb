/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One printing path for humans and scripts (after iproute2's print_*()).
 *
 * A command describes what it prints once, as lists of objects of fields:
 *
 *	pr_list_begin(pr, NULL);
 *	for each volume:
 *		pr_object_begin(pr);
 *		pr_string(pr, PR_ANY, "NAME", "name", vol->name);
 *		pr_size(pr, PR_ANY, "SIZE", "size", vol->size);
 *		pr_object_end(pr);
 *	pr_list_end(pr);
 *
 * With -j that is a JSON array of objects ("name", "size": bytes).  For
 * humans, objects in a list are rows of a table with aligned columns headed
 * by the labels ("NAME", "SIZE": 10G); an object outside a list is a record,
 * one "key: value" line per field, or in line mode (pr_set_line_mode) one
 * line: fields without label bare, the others "label=value".
 *
 * "where" says which outputs show a field, so a table can keep to a few
 * columns while JSON and the record carry everything.
 */
#ifndef THINCTL_PRINT_H
#define THINCTL_PRINT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum pr_where {
	PR_JSON		= 1 << 0,
	PR_TABLE	= 1 << 1,	/* a column of a table */
	PR_TEXT		= 1 << 2,	/* a record or line */
	PR_HUMAN	= PR_TABLE | PR_TEXT,
	PR_ANY		= PR_JSON | PR_HUMAN,
};

/* Most columns a table has. */
#define PR_COLUMNS_MAX	16

struct printer;

/* NULL on -ENOMEM. */
struct printer *pr_new(FILE *out, bool json);
void pr_free(struct printer *pr);
bool pr_json(const struct printer *pr);
void pr_set_line_mode(struct printer *pr);

/* key names the list in JSON when it is a member of an object, else NULL. */
void pr_list_begin(struct printer *pr, const char *key);
void pr_list_end(struct printer *pr);
void pr_object_begin(struct printer *pr);
void pr_object_end(struct printer *pr);

/* A NULL string prints JSON null and "-" for humans. */
void pr_string(struct printer *pr, unsigned int where, const char *label,
	       const char *key, const char *value);
void pr_uint(struct printer *pr, unsigned int where, const char *label,
	     const char *key, uint64_t value);
/* Bytes: a number in JSON, "10G" for humans. */
void pr_size(struct printer *pr, unsigned int where, const char *label,
	     const char *key, uint64_t bytes);
void pr_bool(struct printer *pr, unsigned int where, const char *label,
	     const char *key, bool value);
void pr_null(struct printer *pr, unsigned int where, const char *label,
	     const char *key);

/* -ENOMEM if a table could not be kept, -EIO if writing failed, else 0. */
int pr_status(const struct printer *pr);

/* Writes s as a JSON string, quotes included. */
void json_write_string(FILE *out, const char *s);

/* Columns a UTF-8 string takes on a terminal (box-drawing: one each). */
size_t display_width(const char *s);

#endif /* THINCTL_PRINT_H */
