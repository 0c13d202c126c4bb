// SPDX-License-Identifier: GPL-2.0
/*
 * tbedges: the edge cases of issue 11 that need thousands of requests,
 * through libthinblk as a container daemon would make them (one process, no
 * thinctl per request).  Each prints one summary line; exit 1 on the first
 * failure, naming the request.
 *
 *   tbedges cycles POOL COUNT        COUNT times: create volume "cycle"
 *                                    (active), write one stamped 4 KiB
 *                                    block through its device, read it
 *                                    back, delete it
 *   tbedges chain POOL BASE DEPTH    a chain BASE -> c1 -> ... -> cDEPTH;
 *                                    layer i writes block i of the first
 *                                    DEPTH + 1 blocks (stamped i), then the
 *                                    layer below is deactivated; then cDEPTH
 *                                    must read every layer's block and
 *                                    c(DEPTH/2) exactly the blocks up to its
 *                                    own, zeros above (BASE wrote block 0)
 *   tbedges snaps POOL ORIGIN COUNT  COUNT inactive snapshots s0.. of
 *                                    ORIGIN; the pool must list them all
 *   tbedges delete POOL COUNT        delete every volume of POOL, newest
 *                                    first; there must be COUNT
 *
 * The stamp of block i holds i in every 8-byte word: a block from another
 * layer, or a stale one, reads as another number.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libthinblk.h"

#define EDGE_BS		4096U
#define WORDS		(EDGE_BS / sizeof(uint64_t))
#define NONE		UINT64_MAX	/* a block of zeros */

static struct tb_handle *h;
static uint64_t *buf;

static int fail(const char *what, const char *name, int r)
{
	fprintf(stderr, "tbedges: %s %s: %s\n", what, name,
		*tb_last_error(h) ? tb_last_error(h) : strerror(-r));
	return 1;
}

static void stamp(uint64_t v)
{
	unsigned int i;

	for (i = 0; i < WORDS; i++)
		buf[i] = v == NONE ? 0 : v;
}

/* Write block @b of @dev stamped @v, or check that it holds @v. */
static int block_io(const char *dev, uint64_t b, uint64_t v, int write)
{
	uint64_t want[WORDS];
	int fd, ok;

	fd = open(dev, (write ? O_WRONLY : O_RDONLY) | O_DIRECT);
	if (fd < 0) {
		fprintf(stderr, "tbedges: %s: %s\n", dev, strerror(errno));
		return 1;
	}
	stamp(v);
	memcpy(want, buf, EDGE_BS);
	if (write)
		ok = pwrite(fd, buf, EDGE_BS, b * EDGE_BS) == EDGE_BS;
	else
		ok = pread(fd, buf, EDGE_BS, b * EDGE_BS) == EDGE_BS;
	if (!ok)
		fprintf(stderr, "tbedges: %s block %llu: %s\n", dev,
			(unsigned long long)b, strerror(errno));
	else if (!write && memcmp(buf, want, EDGE_BS)) {
		fprintf(stderr, "tbedges: %s block %llu holds %llu, want %llu\n",
			dev, (unsigned long long)b, (unsigned long long)buf[0],
			(unsigned long long)(v == NONE ? 0 : v));
		ok = 0;
	}
	close(fd);
	return !ok;
}

static int cycles(const char *pool, long count)
{
	struct tb_vol_info v;
	long i;
	int r;

	for (i = 0; i < count; i++) {
		r = tb_vol_create(h, pool, "cycle", 0, 0, &v);
		if (r)
			return fail("create", "cycle", r);
		if (block_io(v.device, i % 64, i, 1) ||
		    block_io(v.device, i % 64, i, 0))
			return 1;
		r = tb_vol_delete(h, pool, "cycle");
		if (r)
			return fail("delete", "cycle", r);
	}
	printf("%ld create/write/delete cycles\n", count);
	return 0;
}

/* Check layer @layer of a chain: blocks 0..@layer hold their stamps. */
static int check_layer(const char *pool, const char *name, long layer,
		       long depth)
{
	struct tb_vol_info v;
	long b;
	int r;

	r = tb_vol_activate(h, pool, name, &v);
	if (r)
		return fail("activate", name, r);
	for (b = 0; b <= depth; b++)
		if (block_io(v.device, b, b <= layer ? (uint64_t)b : NONE, 0)) {
			fprintf(stderr, "tbedges: in layer %ld of %ld\n", layer,
				depth);
			return 1;
		}
	return 0;
}

static int chain(const char *pool, const char *base, long depth)
{
	char name[THINBLK_NAME_MAX], below[THINBLK_NAME_MAX];
	struct tb_vol_info v;
	long i;
	int r;

	snprintf(below, sizeof(below), "%s", base);
	for (i = 1; i <= depth; i++) {
		snprintf(name, sizeof(name), "c%ld", i);
		r = tb_vol_snapshot(h, pool, below, name, 0, 0, &v);
		if (r)
			return fail("snapshot", name, r);
		if (block_io(v.device, i, i, 1))
			return 1;
		if (i > 1) {
			r = tb_vol_deactivate(h, pool, below, NULL);
			if (r)
				return fail("deactivate", below, r);
		}
		snprintf(below, sizeof(below), "%s", name);
	}
	if (check_layer(pool, below, depth, depth))
		return 1;
	snprintf(name, sizeof(name), "c%ld", depth / 2);
	if (depth / 2 && check_layer(pool, name, depth / 2, depth))
		return 1;
	printf("a chain %ld deep: every layer reads its own and its origins' blocks\n",
	       depth);
	return 0;
}

static int snaps(const char *pool, const char *origin, long count)
{
	char name[THINBLK_NAME_MAX];
	struct tb_vol_info *list;
	size_t n, i, found = 0;
	long k;
	int r;

	for (k = 0; k < count; k++) {
		snprintf(name, sizeof(name), "s%ld", k);
		r = tb_vol_snapshot_inactive(h, pool, origin, name, 0, 0, NULL);
		if (r)
			return fail("snapshot", name, r);
	}
	r = tb_vol_list(h, pool, &list, &n);
	if (r)
		return fail("list", pool, r);
	for (i = 0; i < n; i++)
		found += list[i].name[0] == 's' &&
			 !strcmp(list[i].origin, origin);
	free(list);
	if (found != (size_t)count) {
		fprintf(stderr, "tbedges: %zu snapshots of %s listed, want %ld\n",
			found, origin, count);
		return 1;
	}
	printf("%ld snapshots of %s\n", count, origin);
	return 0;
}

static int delete_all(const char *pool, long count)
{
	struct tb_vol_info *list;
	size_t n, i;
	int r;

	r = tb_vol_list(h, pool, &list, &n);
	if (r)
		return fail("list", pool, r);
	if (n != (size_t)count) {
		fprintf(stderr, "tbedges: %zu volumes in %s, want %ld\n", n,
			pool, count);
		free(list);
		return 1;
	}
	for (i = n; i-- > 0; ) {
		r = tb_vol_delete(h, pool, list[i].name);
		if (r) {
			r = fail("delete", list[i].name, r);
			break;
		}
	}
	free(list);
	if (!r)
		printf("%ld volumes deleted\n", count);
	return r;
}

int main(int argc, char **argv)
{
	long count;
	int r;

	if (argc < 4 || (argc != 4 && argc != 5)) {
usage:
		fprintf(stderr, "usage: tbedges cycles POOL COUNT\n"
			"       tbedges chain POOL BASE DEPTH\n"
			"       tbedges snaps POOL ORIGIN COUNT\n"
			"       tbedges delete POOL COUNT\n");
		return 2;
	}
	count = atol(argv[argc - 1]);
	if (count <= 0 || posix_memalign((void **)&buf, EDGE_BS, EDGE_BS))
		goto usage;
	r = tb_open(&h);
	if (r) {
		fprintf(stderr, "tbedges: cannot open thinblk: %s\n", strerror(-r));
		return 1;
	}
	if (!strcmp(argv[1], "cycles") && argc == 4)
		r = cycles(argv[2], count);
	else if (!strcmp(argv[1], "chain") && argc == 5)
		r = chain(argv[2], argv[3], count);
	else if (!strcmp(argv[1], "snaps") && argc == 5)
		r = snaps(argv[2], argv[3], count);
	else if (!strcmp(argv[1], "delete") && argc == 4)
		r = delete_all(argv[2], count);
	else
		r = 2;
	tb_close(h);
	if (r == 2)
		goto usage;
	return r;
}
