// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Pure helpers that need no kernel: names, sizes and the spelling of enums.
 * thinctl's unit tests (tools/tests/unit.c) cover all of them.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "libthinblk.h"

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define UNIT_SHIFT		10	/* binary units: K = 1 << 10 */
#define FRACTION_DIGITS_MAX	9
#define DECIMAL			10
#define SECTOR_SHIFT		9	/* THINBLK_SECTOR_SIZE */

static const char size_units[] = "KMGTP";

bool tb_name_valid(const char *name)
{
	size_t len = strlen(name);

	if (!len || len >= THINBLK_NAME_MAX || !strcmp(name, ".") ||
	    !strcmp(name, ".."))
		return false;
	return strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "abcdefghijklmnopqrstuvwxyz"
			    "0123456789_.-") == len;
}

/* Reads at most max_digits digits (0 = no limit); -ERANGE on overflow. */
static int parse_digits(const char **s, uint64_t *v, int *ndigits,
			int max_digits)
{
	*v = 0;
	*ndigits = 0;
	while (**s >= '0' && **s <= '9') {
		unsigned int d = (unsigned int)(**s - '0');

		if (max_digits && *ndigits == max_digits)
			return -EINVAL;
		if (*v > (UINT64_MAX - d) / DECIMAL)
			return -ERANGE;
		*v = *v * DECIMAL + d;
		(*ndigits)++;
		(*s)++;
	}
	return 0;
}

/* "K" -> 10, "m" -> 20 ...; 0 and s unmoved when there is no unit. */
static unsigned int parse_unit(const char **s)
{
	const char *u;

	if (!**s)
		return 0;
	u = strchr(size_units, **s & ~0x20);	/* ASCII upper case */
	if (!u)
		return 0;
	(*s)++;
	return (unsigned int)(u - size_units + 1) * UNIT_SHIFT;
}

#define DIV_ROUND_UP(n, d)	(((n) + (d) - 1) / (d))

/*
 * frac / 10^digits units of 1 << shift, rounded up to whole sectors.  As
 * 10^k = 2^k * 5^k, the twos become shifts and the rest stays below 2^63
 * (frac < 10^FRACTION_DIGITS_MAX, shift <= 50).
 */
static uint64_t fraction_bytes(uint64_t frac, unsigned int digits,
			       unsigned int shift)
{
	unsigned int s = shift - SECTOR_SHIFT;
	uint64_t pow5 = 1, sectors;
	unsigned int i;

	for (i = 0; i < digits; i++)
		pow5 *= 5;
	if (s >= digits) {
		unsigned int up = s - digits;

		sectors = (frac / pow5 << up) + DIV_ROUND_UP(frac % pow5 << up, pow5);
	} else {
		sectors = DIV_ROUND_UP(frac, pow5 << (digits - s));
	}
	return sectors << SECTOR_SHIFT;
}

int tb_parse_size(const char *s, uint64_t *bytes)
{
	uint64_t whole, frac = 0, frac_bytes;
	int digits, frac_digits = 0, ret;
	unsigned int shift;

	ret = parse_digits(&s, &whole, &digits, 0);
	if (ret)
		return ret;
	if (!digits)
		return -EINVAL;
	if (*s == '.') {
		s++;
		ret = parse_digits(&s, &frac, &frac_digits, FRACTION_DIGITS_MAX);
		if (ret)
			return ret;
		if (!frac_digits)
			return -EINVAL;
	}
	shift = parse_unit(&s);
	if (shift && (*s == 'i' || *s == 'I') && (s[1] == 'b' || s[1] == 'B'))
		s += 2;
	else if (*s == 'b' || *s == 'B')
		s++;
	if (*s)
		return -EINVAL;
	if (frac_digits && !shift)
		return -EINVAL;		/* "1.5": no fractions of bytes */
	frac_bytes = frac_digits ? fraction_bytes(frac, (unsigned int)frac_digits, shift) : 0;
	if (whole > (UINT64_MAX >> shift) ||
	    (whole << shift) > UINT64_MAX - frac_bytes)
		return -ERANGE;
	*bytes = (whole << shift) + frac_bytes;
	return 0;
}

char *tb_format_size(uint64_t bytes, char *buf)
{
	uint64_t unit = 1, whole, tenths;
	size_t i = 0;

	while (i < ARRAY_SIZE(size_units) - 1 && bytes >> UNIT_SHIFT >= unit) {
		unit <<= UNIT_SHIFT;
		i++;
	}
	if (!i) {
		snprintf(buf, TB_SIZE_STR_MAX, "%" PRIu64, bytes);
		return buf;
	}
	whole = bytes / unit;
	/* the remainder is below 1 << 50: times ten cannot overflow */
	tenths = (bytes % unit * DECIMAL + unit / 2) / unit;
	if (tenths == DECIMAL) {
		whole++;
		tenths = 0;
	}
	if (whole == 1U << UNIT_SHIFT && i < ARRAY_SIZE(size_units) - 1) {
		whole = 1;
		i++;
	}
	if (tenths)
		snprintf(buf, TB_SIZE_STR_MAX, "%" PRIu64 ".%u%c", whole,
			 (unsigned int)tenths, size_units[i - 1]);
	else
		snprintf(buf, TB_SIZE_STR_MAX, "%" PRIu64 "%c", whole,
			 size_units[i - 1]);
	return buf;
}

static const char *const mode_names[__THINBLK_MODE_MAX] = {
	[THINBLK_MODE_WRITE]			= "write",
	[THINBLK_MODE_OUT_OF_DATA_SPACE]	= "out-of-data-space",
	[THINBLK_MODE_READ_ONLY]		= "read-only",
	[THINBLK_MODE_FAIL]			= "fail",
};

static const char *const no_space_names[__THINBLK_NO_SPACE_MAX] = {
	[THINBLK_NO_SPACE_ERROR]	= "error",
	[THINBLK_NO_SPACE_QUEUE]	= "queue",
};

static const char *const event_names[__THINBLK_EVENT_MAX] = {
	[THINBLK_EVENT_POOL_CREATED]		= "pool-created",
	[THINBLK_EVENT_POOL_OPENED]		= "pool-opened",
	[THINBLK_EVENT_POOL_CLOSED]		= "pool-closed",
	[THINBLK_EVENT_POOL_DESTROYED]		= "pool-destroyed",
	[THINBLK_EVENT_POOL_CHANGED]		= "pool-changed",
	[THINBLK_EVENT_LOW_WATER]		= "low-water",
	[THINBLK_EVENT_OUT_OF_DATA_SPACE]	= "out-of-data-space",
	[THINBLK_EVENT_OUT_OF_META_SPACE]	= "out-of-metadata-space",
	[THINBLK_EVENT_MODE_CHANGED]		= "mode-changed",
	[THINBLK_EVENT_VOL_CREATED]		= "vol-created",
	[THINBLK_EVENT_VOL_SNAPSHOTTED]		= "vol-snapshotted",
	[THINBLK_EVENT_VOL_RESIZED]		= "vol-resized",
	[THINBLK_EVENT_VOL_DELETED]		= "vol-deleted",
	[THINBLK_EVENT_VOL_CHANGED]		= "vol-changed",
	[THINBLK_EVENT_IO_ERROR]		= "io-error",
	[THINBLK_EVENT_VOL_ACTIVATED]		= "vol-activated",
	[THINBLK_EVENT_VOL_DEACTIVATED]		= "vol-deactivated",
};

static const char *const attr_names[THINBLK_A_MAX + 1] = {
	[THINBLK_A_MODULE_VERSION]	= "MODULE_VERSION",
	[THINBLK_A_UAPI_VERSION]	= "UAPI_VERSION",
	[THINBLK_A_POOL_NAME]		= "POOL_NAME",
	[THINBLK_A_DATA_DEV]		= "DATA_DEV",
	[THINBLK_A_META_DEV]		= "META_DEV",
	[THINBLK_A_BLOCK_SIZE]		= "BLOCK_SIZE",
	[THINBLK_A_BASESIZE]		= "BASESIZE",
	[THINBLK_A_LOW_WATER]		= "LOW_WATER",
	[THINBLK_A_LOW_WATER_PCT]	= "LOW_WATER_PCT",
	[THINBLK_A_NO_SPACE]		= "NO_SPACE",
	[THINBLK_A_NO_SPACE_TIMEOUT]	= "NO_SPACE_TIMEOUT",
	[THINBLK_A_POOL_FLAGS]		= "POOL_FLAGS",
	[THINBLK_A_POOL_MODE]		= "POOL_MODE",
	[THINBLK_A_POOL_VOLUMES]	= "POOL_VOLUMES",
	[THINBLK_A_POOL_TRANSACTION]	= "POOL_TRANSACTION",
	[THINBLK_A_DATA_SIZE]		= "DATA_SIZE",
	[THINBLK_A_DATA_USED]		= "DATA_USED",
	[THINBLK_A_META_SIZE]		= "META_SIZE",
	[THINBLK_A_META_USED]		= "META_USED",
	[THINBLK_A_VOL_NAME]		= "VOL_NAME",
	[THINBLK_A_VOL_ID]		= "VOL_ID",
	[THINBLK_A_VOL_DEVICE]		= "VOL_DEVICE",
	[THINBLK_A_VOL_SIZE]		= "VOL_SIZE",
	[THINBLK_A_VOL_ORIGIN]		= "VOL_ORIGIN",
	[THINBLK_A_VOL_LIMIT]		= "VOL_LIMIT",
	[THINBLK_A_VOL_OPEN]		= "VOL_OPEN",
	[THINBLK_A_VOL_REFERENCED]	= "VOL_REFERENCED",
	[THINBLK_A_VOL_EXCLUSIVE]	= "VOL_EXCLUSIVE",
	[THINBLK_A_STATS]		= "STATS",
	[THINBLK_A_EVENT_TYPE]		= "EVENT_TYPE",
	[THINBLK_A_EVENT_TIME]		= "EVENT_TIME",
	[THINBLK_A_ERRNO]		= "ERRNO",
	[THINBLK_A_PAD]			= "PAD",
	[THINBLK_A_FORCE]		= "FORCE",
	[THINBLK_A_META_FULL]		= "META_FULL",
	[THINBLK_A_MIN_FREE]		= "MIN_FREE",
	[THINBLK_A_MIN_FREE_PCT]	= "MIN_FREE_PCT",
	[THINBLK_A_DEFERRED]		= "DEFERRED",
	[THINBLK_A_VOL_ACTIVE]		= "VOL_ACTIVE",
	[THINBLK_A_INACTIVE]		= "INACTIVE",
	[THINBLK_A_ACTIVATE]		= "ACTIVATE",
	[THINBLK_A_ACTIVATE_LIST]	= "ACTIVATE_LIST",
};

/* names[i], or NULL when i is out of range or unnamed. */
static const char *enum_name(const char *const *names, size_t n, long i)
{
	if (i < 0 || (size_t)i >= n)
		return NULL;
	return names[i];
}

const char *tb_pool_mode_name(enum thinblk_pool_mode mode)
{
	return enum_name(mode_names, ARRAY_SIZE(mode_names), mode);
}

const char *tb_no_space_name(enum thinblk_no_space ns)
{
	return enum_name(no_space_names, ARRAY_SIZE(no_space_names), ns);
}

const char *tb_event_name(enum thinblk_event type)
{
	return enum_name(event_names, ARRAY_SIZE(event_names), type);
}

const char *tb_attr_name(int attr)
{
	return enum_name(attr_names, ARRAY_SIZE(attr_names), attr);
}
