/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Parsers of argument values.  Pure: they print nothing; on failure they
 * return -EINVAL and leave the whole message (without "thinctl: ") in err,
 * e.g. `invalid size "10Q"`.  Unit-tested by tools/tests/unit.c.
 */
#ifndef THINCTL_ARGS_H
#define THINCTL_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libthinblk.h"

#define ARG_ERR_MAX	256
#define PERCENT_MAX	100

/* A pool and a volume named on the command line as POOL/VOLUME. */
struct vol_ref {
	char pool[THINBLK_NAME_MAX];
	char name[THINBLK_NAME_MAX];
};

/* --low-water SIZE or PCT%, and --min-free */
struct low_water {
	bool percent;
	uint64_t bytes;
	uint8_t pct;
};

/* --no-space error|queue[:SECONDS] */
struct no_space {
	enum thinblk_no_space mode;
	bool has_timeout;
	uint32_t timeout;
};

/* kind is "pool" or "volume": `invalid pool name "a b": use ...` */
int arg_name(const char *kind, const char *s, char *err);
int arg_vol_ref(const char *s, struct vol_ref *ref, char *err);
int arg_size(const char *s, uint64_t *bytes, char *err);
/* A size that must not be 0 (volume sizes, basesize). */
int arg_nonzero_size(const char *s, uint64_t *bytes, char *err);
/* "none" or "0" -> 0 (no limit), else a size. */
int arg_limit(const char *s, uint64_t *bytes, char *err);
/* A power of two from THINBLK_BLOCK_SIZE_MIN to _MAX. */
int arg_block_size(const char *s, uint32_t *bytes, char *err);
int arg_low_water(const char *s, struct low_water *lw, char *err);
int arg_min_free(const char *s, struct low_water *lw, char *err);
int arg_no_space(const char *s, struct no_space *ns, char *err);
/* A decimal number from min to max; what names it in the message. */
int arg_uint(const char *what, const char *s, uint32_t min, uint32_t max,
	     uint32_t *v, char *err);

/* part of whole in whole percent: "42%"; "0%" when whole is 0. */
#define PERCENT_STR_MAX	sizeof("100%")
char *format_percent(uint64_t part, uint64_t whole, char *buf);

/* RFC 3339 UTC with milliseconds: "2024-05-01T12:00:00.123Z". */
#define RFC3339_MAX	32
char *format_rfc3339(uint64_t ns, char *buf);

/* "p0/web" into buf of VOL_PATH_MAX. */
#define VOL_PATH_MAX	(2 * THINBLK_NAME_MAX)
char *format_vol_path(const char *pool, const char *vol, char *buf);

/* The subject of an error message: `pool "p0"`, `volume "p0/web"`. */
#define WHAT_MAX	(VOL_PATH_MAX + 16)
char *what_pool(const char *pool, char *buf);
char *what_vol(const char *pool, const char *vol, char *buf);

#endif /* THINCTL_ARGS_H */
