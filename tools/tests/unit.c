// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the pure parts of libthinblk and thinctl: sizes, names,
 * argument values, JSON escaping and the printer.  No kernel needed.
 * Ends with "N passed, N failed"; exits 1 if any failed.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libthinblk.h"
#include "offline.h"
#include "../thinctl/args.h"
#include "../thinctl/print.h"

static unsigned int passed, failed;

#define CHECK(cond) check((cond), #cond, __FILE__, __LINE__)

static void check(int ok, const char *what, const char *file, int line)
{
	if (ok) {
		passed++;
		return;
	}
	failed++;
	printf("FAIL %s:%d: %s\n", file, line, what);
}

static void check_str(const char *got, const char *want, int line)
{
	if (!strcmp(got, want)) {
		passed++;
		return;
	}
	failed++;
	printf("FAIL line %d:\n--- want\n%s\n--- got\n%s\n", line, want, got);
}

#define CHECK_STR(got, want) check_str((got), (want), __LINE__)

/* ---- sizes --------------------------------------------------------------- */

struct size_case {
	const char *text;
	int ret;
	uint64_t bytes;
};

static const struct size_case size_cases[] = {
	{ "0", 0, 0 },
	{ "512", 0, 512 },
	{ "512B", 0, 512 },
	{ "64K", 0, 64ULL << 10 },
	{ "64k", 0, 64ULL << 10 },
	{ "10G", 0, 10ULL << 30 },
	{ "10GB", 0, 10ULL << 30 },
	{ "10GiB", 0, 10ULL << 30 },
	{ "10gib", 0, 10ULL << 30 },
	{ "1.5T", 0, 3ULL << 39 },
	{ "1.5G", 0, 3ULL << 29 },
	{ "0.5K", 0, 512 },
	{ "2P", 0, 2ULL << 50 },
	{ "1.25M", 0, 5ULL << 18 },
	{ "1.1K", 0, 1536 },		/* 1126.4 bytes: up to 3 sectors */
	{ "1.3G", 0, 1395864576 },	/* 1395864371.2: up to a sector */
	{ "1.000000001P", 0, (1ULL << 50) + 1126400 },
	{ "1.0000000001P", -EINVAL, 0 },	/* ten decimals */
	{ "1.5", -EINVAL, 0 },		/* no fractions of bytes */
	{ "10Q", -EINVAL, 0 },
	{ "", -EINVAL, 0 },
	{ "G", -EINVAL, 0 },
	{ "-1", -EINVAL, 0 },
	{ "+1", -EINVAL, 0 },
	{ " 1", -EINVAL, 0 },
	{ "1 G", -EINVAL, 0 },
	{ "1.", -EINVAL, 0 },
	{ ".5G", -EINVAL, 0 },
	{ "1iB", -EINVAL, 0 },
	{ "1GBB", -EINVAL, 0 },
	{ "18446744073709551615", 0, UINT64_MAX },
	{ "18446744073709551616", -ERANGE, 0 },
	{ "16384P", -ERANGE, 0 },
	{ "16383P", 0, 16383ULL << 50 },
};

static void test_parse_size(void)
{
	size_t i;

	for (i = 0; i < sizeof(size_cases) / sizeof(size_cases[0]); i++) {
		const struct size_case *c = &size_cases[i];
		uint64_t bytes = 0;
		int ret = tb_parse_size(c->text, &bytes);

		if (ret != c->ret || (!ret && bytes != c->bytes))
			printf("  size \"%s\": ret %d bytes %" PRIu64 "\n", c->text, ret, bytes);
		CHECK(ret == c->ret && (ret || bytes == c->bytes));
	}
}

static void test_format_size(void)
{
	char buf[TB_SIZE_STR_MAX], again[TB_SIZE_STR_MAX];
	uint64_t v;

	CHECK_STR(tb_format_size(0, buf), "0");
	CHECK_STR(tb_format_size(512, buf), "512");
	CHECK_STR(tb_format_size(1023, buf), "1023");
	CHECK_STR(tb_format_size(1024, buf), "1K");
	CHECK_STR(tb_format_size(64ULL << 10, buf), "64K");
	CHECK_STR(tb_format_size(10ULL << 30, buf), "10G");
	CHECK_STR(tb_format_size(3ULL << 29, buf), "1.5G");
	CHECK_STR(tb_format_size(3ULL << 39, buf), "1.5T");
	CHECK_STR(tb_format_size((1ULL << 20) - 1, buf), "1M");	/* rounds up a unit */
	CHECK_STR(tb_format_size(1126, buf), "1.1K");
	CHECK_STR(tb_format_size(UINT64_MAX, buf), "16384P");
	/* what is printed parses back, to within the rounding, from 1M up */
	for (v = 1ULL << 20; v < (1ULL << 62); v = v * 7 + 3) {
		uint64_t back = 0;

		tb_format_size(v, buf);
		CHECK(tb_parse_size(buf, &back) == 0);
		CHECK(back <= v + v / 20 && back >= v - v / 20);
		CHECK_STR(tb_format_size(back, again), buf);
	}
}

/* ---- names and arguments ------------------------------------------------- */

static void test_names(void)
{
	char err[ARG_ERR_MAX], long_name[THINBLK_NAME_MAX + 1];
	struct vol_ref ref;

	CHECK(tb_name_valid("p0"));
	CHECK(tb_name_valid("a.b_c-D9"));
	CHECK(!tb_name_valid(""));
	CHECK(!tb_name_valid("a b"));
	CHECK(!tb_name_valid("a/b"));
	CHECK(!tb_name_valid("é"));
	memset(long_name, 'x', sizeof(long_name));
	long_name[THINBLK_NAME_MAX - 1] = '\0';
	CHECK(tb_name_valid(long_name));		/* 63 */
	long_name[THINBLK_NAME_MAX - 1] = 'x';
	long_name[THINBLK_NAME_MAX] = '\0';
	CHECK(!tb_name_valid(long_name));		/* 64 */
	CHECK(!tb_name_valid("."));
	CHECK(!tb_name_valid(".."));
	CHECK(tb_name_valid("..."));

	CHECK(arg_vol_ref("p0/web", &ref, err) == 0);
	CHECK_STR(ref.pool, "p0");
	CHECK_STR(ref.name, "web");
	CHECK(arg_vol_ref("p0/a b", &ref, err) == -EINVAL);
	CHECK_STR(err, "invalid volume name \"a b\": use 1-63 characters of [A-Za-z0-9_.-], not . or ..");
	CHECK(arg_vol_ref("p 0/web", &ref, err) == -EINVAL);
	CHECK_STR(err, "invalid pool name \"p 0\": use 1-63 characters of [A-Za-z0-9_.-], not . or ..");
	CHECK(arg_vol_ref("web", &ref, err) == -EINVAL);
	CHECK_STR(err, "invalid volume \"web\": use POOL/VOLUME");
	CHECK(arg_vol_ref("p0/a/b", &ref, err) == -EINVAL);
	CHECK(arg_vol_ref("/web", &ref, err) == -EINVAL);
	CHECK(arg_vol_ref("p0/", &ref, err) == -EINVAL);
	/* a 64-character pool name is refused whole, not cut to 63 */
	{
		char vref[THINBLK_NAME_MAX + 3];

		memset(long_name, 'x', sizeof(long_name));
		long_name[THINBLK_NAME_MAX - 1] = '\0';
		snprintf(vref, sizeof(vref), "%s/v", long_name);	/* 63 */
		CHECK(arg_vol_ref(vref, &ref, err) == 0);
		CHECK_STR(ref.pool, long_name);
		long_name[THINBLK_NAME_MAX - 1] = 'x';
		long_name[THINBLK_NAME_MAX] = '\0';
		snprintf(vref, sizeof(vref), "%s/v", long_name);	/* 64 */
		CHECK(arg_vol_ref(vref, &ref, err) == -EINVAL);
		CHECK(!strncmp(err, "invalid pool name \"xxxx", 23));
		CHECK(strstr(err, long_name) != NULL);
	}
}

static void test_values(void)
{
	char err[ARG_ERR_MAX];
	struct low_water lw;
	struct no_space ns;
	uint64_t v;
	uint32_t u;

	CHECK(arg_size("10Q", &v, err) == -EINVAL);
	CHECK_STR(err, "invalid size \"10Q\"");
	CHECK(arg_nonzero_size("0", &v, err) == -EINVAL);
	CHECK(arg_limit("none", &v, err) == 0 && v == 0);
	CHECK(arg_limit("5G", &v, err) == 0 && v == 5ULL << 30);
	CHECK(arg_limit("lots", &v, err) == -EINVAL);

	CHECK(arg_block_size("64K", &u, err) == 0 && u == THINBLK_BLOCK_SIZE_MIN);
	CHECK(arg_block_size("1M", &u, err) == 0 && u == THINBLK_BLOCK_SIZE_MAX);
	CHECK(arg_block_size("96K", &u, err) == -EINVAL);
	CHECK_STR(err, "invalid block size \"96K\": use a power of two from 64K to 1M");
	CHECK(arg_block_size("32K", &u, err) == -EINVAL);
	CHECK(arg_block_size("2M", &u, err) == -EINVAL);

	CHECK(arg_low_water("10G", &lw, err) == 0 && !lw.percent && lw.bytes == 10ULL << 30);
	CHECK(arg_low_water("20%", &lw, err) == 0 && lw.percent && lw.pct == 20);
	CHECK(arg_low_water("100%", &lw, err) == 0 && lw.pct == 100);
	CHECK(arg_low_water("101%", &lw, err) == -EINVAL);
	CHECK(arg_low_water("%", &lw, err) == -EINVAL);
	CHECK(arg_min_free("10%", &lw, err) == 0 && lw.percent && lw.pct == 10);
	CHECK(arg_min_free("1G", &lw, err) == 0 && !lw.percent && lw.bytes == 1ULL << 30);
	CHECK(arg_min_free("lots", &lw, err) == -EINVAL);
	CHECK_STR(err, "invalid min-free \"lots\": use a size or 0-100%");

	CHECK(arg_no_space("error", &ns, err) == 0 && ns.mode == THINBLK_NO_SPACE_ERROR);
	CHECK(arg_no_space("queue", &ns, err) == 0 && ns.mode == THINBLK_NO_SPACE_QUEUE &&
	      !ns.has_timeout);
	CHECK(arg_no_space("queue:30", &ns, err) == 0 && ns.has_timeout && ns.timeout == 30);
	CHECK(arg_no_space("queue:0", &ns, err) == -EINVAL);
	CHECK(arg_no_space("queue:3601", &ns, err) == -EINVAL);
	CHECK(arg_no_space("error:5", &ns, err) == -EINVAL);
	CHECK(arg_no_space("wait", &ns, err) == -EINVAL);
	CHECK_STR(err, "invalid no-space policy \"wait\": use error or queue[:SECONDS]");

	CHECK(arg_uint("n", "12", 1, 100, &u, err) == 0 && u == 12);
	CHECK(arg_uint("n", "0", 1, 100, &u, err) == -EINVAL);
	CHECK(arg_uint("n", "99999999999999999999", 1, 100, &u, err) == -EINVAL);
	CHECK(arg_uint("n", "", 1, 100, &u, err) == -EINVAL);
}

static void test_formats(void)
{
	char buf[RFC3339_MAX], pct[PERCENT_STR_MAX];

	CHECK_STR(format_rfc3339(0, buf), "1970-01-01T00:00:00.000Z");
	CHECK_STR(format_rfc3339(1714564800123456789ULL, buf), "2024-05-01T12:00:00.123Z");
	CHECK_STR(format_percent(1, 4, pct), "25%");
	CHECK_STR(format_percent(5, 0, pct), "0%");
	CHECK_STR(format_percent(9, 4, pct), "100%");
	CHECK_STR(tb_pool_mode_name(THINBLK_MODE_OUT_OF_DATA_SPACE), "out-of-data-space");
	CHECK_STR(tb_event_name(THINBLK_EVENT_VOL_SNAPSHOTTED), "vol-snapshotted");
	CHECK(tb_event_name(__THINBLK_EVENT_MAX) == NULL);
	CHECK(tb_pool_mode_name((enum thinblk_pool_mode)-1) == NULL);
	CHECK_STR(tb_attr_name(THINBLK_A_BLOCK_SIZE), "BLOCK_SIZE");
}

/* ---- JSON and the printer ------------------------------------------------ */

/* Runs fn on a printer writing to memory; returns the output (free it). */
static char *capture(bool json, void (*fn)(struct printer *pr))
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	struct printer *pr = pr_new(out, json);

	fn(pr);
	CHECK(pr_status(pr) == 0);
	pr_free(pr);
	fclose(out);
	return text;
}

static void print_escapes(struct printer *pr)
{
	pr_object_begin(pr);
	pr_string(pr, PR_ANY, "S", "s", "a\"b\\c\n\t\x01/é");
	pr_object_end(pr);
}

static void print_two_rows(struct printer *pr)
{
	pr_list_begin(pr, NULL);
	pr_object_begin(pr);
	pr_string(pr, PR_ANY, "NAME", "name", "base");
	pr_size(pr, PR_ANY, "SIZE", "size", 10ULL << 30);
	pr_null(pr, PR_ANY, "LIMIT", "limit");
	pr_bool(pr, PR_JSON, NULL, "zero", true);
	pr_object_end(pr);
	pr_object_begin(pr);
	pr_string(pr, PR_ANY, "NAME", "name", "└─ layer-one");
	pr_size(pr, PR_ANY, "SIZE", "size", 3ULL << 29);
	pr_size(pr, PR_ANY, "LIMIT", "limit", 64ULL << 10);
	pr_bool(pr, PR_JSON, NULL, "zero", false);
	pr_object_end(pr);
	pr_list_end(pr);
}

static void print_record(struct printer *pr)
{
	pr_object_begin(pr);
	pr_string(pr, PR_ANY, "NAME", "name", "p0");
	pr_uint(pr, PR_TABLE, "ID", "id", 7);
	pr_size(pr, PR_TEXT | PR_JSON, NULL, "basesize", 10ULL << 30);
	pr_object_end(pr);
}

static void print_nested(struct printer *pr)
{
	pr_object_begin(pr);
	pr_list_begin(pr, "volumes");
	pr_object_begin(pr);
	pr_string(pr, PR_ANY, "VOLUME", "name", "a");
	pr_object_end(pr);
	pr_list_end(pr);
	pr_list_begin(pr, "pools");
	pr_list_end(pr);
	pr_object_end(pr);
}

static void print_line(struct printer *pr)
{
	pr_set_line_mode(pr);
	pr_object_begin(pr);
	pr_string(pr, PR_ANY, NULL, "time", "2024-05-01T12:00:00.123Z");
	pr_string(pr, PR_ANY, NULL, "type", "vol-snapshotted");
	pr_string(pr, PR_HUMAN, NULL, NULL, "p0/layer1");
	pr_string(pr, PR_JSON, NULL, "pool", "p0");
	pr_string(pr, PR_ANY, "origin", "origin", "base");
	pr_size(pr, PR_ANY, "size", "size", 10ULL << 30);
	pr_object_end(pr);
}

static void test_printer(void)
{
	char *s;

	s = capture(true, print_escapes);
	CHECK_STR(s, "{\"s\":\"a\\\"b\\\\c\\n\\t\\u0001/é\"}\n");
	free(s);

	s = capture(true, print_two_rows);
	CHECK_STR(s, "[{\"name\":\"base\",\"size\":10737418240,\"limit\":null,\"zero\":true},"
		     "{\"name\":\"└─ layer-one\",\"size\":1610612736,\"limit\":65536,\"zero\":false}]\n");
	free(s);
	s = capture(false, print_two_rows);
	CHECK_STR(s, "NAME          SIZE  LIMIT\n"
		     "base          10G   -\n"
		     "└─ layer-one  1.5G  64K\n");
	free(s);

	s = capture(false, print_record);
	CHECK_STR(s, "name:      p0\n"
		     "basesize:  10G\n");
	free(s);
	s = capture(true, print_record);
	CHECK_STR(s, "{\"name\":\"p0\",\"basesize\":10737418240}\n");
	free(s);

	s = capture(true, print_nested);
	CHECK_STR(s, "{\"volumes\":[{\"name\":\"a\"}],\"pools\":[]}\n");
	free(s);
	s = capture(false, print_nested);
	CHECK_STR(s, "VOLUME\na\n");
	free(s);

	s = capture(false, print_line);
	CHECK_STR(s, "2024-05-01T12:00:00.123Z vol-snapshotted p0/layer1 origin=base size=10G\n");
	free(s);
	s = capture(true, print_line);
	CHECK_STR(s, "{\"time\":\"2024-05-01T12:00:00.123Z\",\"type\":\"vol-snapshotted\","
		     "\"pool\":\"p0\",\"origin\":\"base\",\"size\":10737418240}\n");
	free(s);

	CHECK(display_width("└─ a") == 4);
}

/* ---- offline tools ------------------------------------------------------ */

static void test_offline(void)
{
	static const char check_vector[] = "123456789";
	char path[] = "/tmp/thinblk-unit-XXXXXX";
	struct tb_offline_report rep;
	uint64_t small, big, snaps;
	char msg[256];
	int fd;

	/* the standard crc32c check value, with the usual inversions added */
	CHECK((tb_crc32c(~0U, check_vector, 9) ^ ~0U) == 0xe3069283U);
	CHECK(tb_metadata_size(1ULL << 40, 64 << 10, 1000, &small) == 0);
	CHECK(small > (128ULL << 20) && small < (512ULL << 20));
	CHECK(tb_metadata_size(1ULL << 40, 1 << 20, 1000, &big) == 0);
	CHECK(big < small / 8);
	CHECK(tb_metadata_size(1ULL << 40, 64 << 10, 100000, &snaps) == 0);
	CHECK(snaps > small);
	CHECK(tb_metadata_size(1ULL << 40, 4096, 1, &big) == -EINVAL);
	CHECK(tb_metadata_size(1ULL << 50, 64 << 10, 1, &big) == -E2BIG);
	/* a device that never held a pool */
	fd = mkstemp(path);
	CHECK(fd >= 0 && ftruncate(fd, 1 << 20) == 0);
	CHECK(tb_offline_check(path, &rep, msg, sizeof(msg)) == -EUCLEAN);
	CHECK(strstr(msg, "not a thinblk metadata device") != NULL);
	close(fd);
	unlink(path);
	CHECK(tb_offline_check(path, &rep, msg, sizeof(msg)) == -ENOENT);
}

int main(void)
{
	test_parse_size();
	test_format_size();
	test_names();
	test_values();
	test_formats();
	test_printer();
	test_offline();
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
