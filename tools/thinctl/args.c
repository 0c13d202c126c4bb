// SPDX-License-Identifier: GPL-2.0
/*
 * Argument values: names, sizes, limits, policies; and the few formats of
 * names and times that messages and output share.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "args.h"

#define NAME_RULE	"use 1-63 characters of [A-Za-z0-9_.-], not . or .."
#define NS_PER_MS	1000000ULL
#define NS_PER_S	1000000000ULL
#define NO_LIMIT	"none"
#define POLICY_ERROR	"error"
#define POLICY_QUEUE	"queue"
#define PERCENT_SIGN	'%'
#define TIMEOUT_SEP	':'

static int fail(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(char *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, ARG_ERR_MAX, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int arg_name(const char *kind, const char *s, char *err)
{
	if (!tb_name_valid(s))
		return fail(err, "invalid %s name \"%s\": " NAME_RULE, kind, s);
	return 0;
}

int arg_vol_ref(const char *s, struct vol_ref *ref, char *err)
{
	const char *slash = strchr(s, '/');
	size_t pool_len;

	if (!slash)
		return fail(err, "invalid volume \"%s\": use POOL/VOLUME", s);
	pool_len = (size_t)(slash - s);
	if (pool_len >= sizeof(ref->pool))	/* refused whole, never cut */
		return fail(err, "invalid pool name \"%.*s\": " NAME_RULE,
			    (int)pool_len, s);
	memcpy(ref->pool, s, pool_len);
	ref->pool[pool_len] = '\0';
	if (arg_name("pool", ref->pool, err) || arg_name("volume", slash + 1, err))
		return -EINVAL;
	strcpy(ref->name, slash + 1);
	return 0;
}

int arg_size(const char *s, uint64_t *bytes, char *err)
{
	if (tb_parse_size(s, bytes))
		return fail(err, "invalid size \"%s\"", s);
	return 0;
}

int arg_nonzero_size(const char *s, uint64_t *bytes, char *err)
{
	if (arg_size(s, bytes, err))
		return -EINVAL;
	if (!*bytes)
		return fail(err, "invalid size \"%s\": must not be 0", s);
	return 0;
}

int arg_limit(const char *s, uint64_t *bytes, char *err)
{
	if (!strcmp(s, NO_LIMIT)) {
		*bytes = 0;
		return 0;
	}
	if (tb_parse_size(s, bytes))
		return fail(err, "invalid limit \"%s\": use a size or \"" NO_LIMIT "\"", s);
	return 0;
}

int arg_block_size(const char *s, uint32_t *bytes, char *err)
{
	char min[TB_SIZE_STR_MAX], max[TB_SIZE_STR_MAX];
	uint64_t v;

	if (tb_parse_size(s, &v) || v < THINBLK_BLOCK_SIZE_MIN ||
	    v > THINBLK_BLOCK_SIZE_MAX || (v & (v - 1)))
		return fail(err, "invalid block size \"%s\": use a power of two from %s to %s",
			    s, tb_format_size(THINBLK_BLOCK_SIZE_MIN, min),
			    tb_format_size(THINBLK_BLOCK_SIZE_MAX, max));
	*bytes = (uint32_t)v;
	return 0;
}

/* Digits only, no sign or space, within min..max. */
static int parse_uint(const char *s, size_t len, uint32_t min, uint32_t max,
		      uint32_t *v)
{
	uint64_t n = 0;
	size_t i;

	if (!len)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		n = n * 10 + (uint64_t)(s[i] - '0');
		if (n > max)
			return -ERANGE;
	}
	if (n < min)
		return -ERANGE;
	*v = (uint32_t)n;
	return 0;
}

int arg_uint(const char *what, const char *s, uint32_t min, uint32_t max,
	     uint32_t *v, char *err)
{
	if (parse_uint(s, strlen(s), min, max, v))
		return fail(err, "invalid %s \"%s\": use a number from %" PRIu32
			    " to %" PRIu32, what, s, min, max);
	return 0;
}

/* SIZE or PCT%; what names the value in the message. */
static int arg_size_or_pct(const char *what, const char *s,
			   struct low_water *lw, char *err)
{
	size_t len = strlen(s);
	uint32_t pct;

	memset(lw, 0, sizeof(*lw));
	if (len && s[len - 1] == PERCENT_SIGN) {
		if (parse_uint(s, len - 1, 0, PERCENT_MAX, &pct))
			return fail(err, "invalid %s \"%s\": use a size or 0-100%%", what, s);
		lw->percent = true;
		lw->pct = (uint8_t)pct;
		return 0;
	}
	if (tb_parse_size(s, &lw->bytes))
		return fail(err, "invalid %s \"%s\": use a size or 0-100%%", what, s);
	return 0;
}

int arg_low_water(const char *s, struct low_water *lw, char *err)
{
	return arg_size_or_pct("low water", s, lw, err);
}

int arg_min_free(const char *s, struct low_water *lw, char *err)
{
	return arg_size_or_pct("min-free", s, lw, err);
}

int arg_no_space(const char *s, struct no_space *ns, char *err)
{
	const char *sep = strchr(s, TIMEOUT_SEP);
	size_t len = sep ? (size_t)(sep - s) : strlen(s);

	memset(ns, 0, sizeof(*ns));
	if (len == strlen(POLICY_ERROR) && !strncmp(s, POLICY_ERROR, len) && !sep) {
		ns->mode = THINBLK_NO_SPACE_ERROR;
		return 0;
	}
	if (len != strlen(POLICY_QUEUE) || strncmp(s, POLICY_QUEUE, len))
		return fail(err, "invalid no-space policy \"%s\": use " POLICY_ERROR
			    " or " POLICY_QUEUE "[:SECONDS]", s);
	ns->mode = THINBLK_NO_SPACE_QUEUE;
	if (!sep)
		return 0;
	if (parse_uint(sep + 1, strlen(sep + 1), 1, THINBLK_NO_SPACE_TIMEOUT_MAX,
		       &ns->timeout))
		return fail(err, "invalid no-space timeout \"%s\": use 1 to %d seconds",
			    sep + 1, THINBLK_NO_SPACE_TIMEOUT_MAX);
	ns->has_timeout = true;
	return 0;
}

char *format_percent(uint64_t part, uint64_t whole, char *buf)
{
	double pct = whole ? (double)PERCENT_MAX * (double)part / (double)whole : 0;

	if (pct > PERCENT_MAX)
		pct = PERCENT_MAX;
	snprintf(buf, PERCENT_STR_MAX, "%.0f%%", pct);
	return buf;
}

char *format_rfc3339(uint64_t ns, char *buf)
{
	time_t secs = (time_t)(ns / NS_PER_S);
	unsigned int ms = (unsigned int)(ns % NS_PER_S / NS_PER_MS);
	struct tm tm;
	char date[RFC3339_MAX];

	if (!gmtime_r(&secs, &tm) ||
	    !strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm)) {
		snprintf(buf, RFC3339_MAX, "%" PRIu64, ns);
		return buf;
	}
	snprintf(buf, RFC3339_MAX, "%.20s.%03uZ", date, ms);
	return buf;
}

char *format_vol_path(const char *pool, const char *vol, char *buf)
{
	snprintf(buf, VOL_PATH_MAX, "%s/%s", pool, vol);
	return buf;
}

char *what_pool(const char *pool, char *buf)
{
	snprintf(buf, WHAT_MAX, "pool \"%s\"", pool);
	return buf;
}

char *what_vol(const char *pool, const char *vol, char *buf)
{
	snprintf(buf, WHAT_MAX, "volume \"%s/%s\"", pool, vol);
	return buf;
}
