// SPDX-License-Identifier: GPL-2.0
/*
 * tbstamp: a numbered sequence of stamped 4 KiB writes, and a check that a
 * device holds exactly a prefix of it, for thinblk's guest tests (built
 * static, copied into the initramfs).  A snapshot taken while the writer runs
 * must hold every write that completed before the snapshot began, none issued
 * after it returned, and nothing else: the writer issues one O_DIRECT write at
 * a time, so what it holds is a prefix of the sequence.
 *
 *   tbstamp fill  DEV ID LEN              writes 0..N-1: block i gets write i
 *                                         (N = LEN / 4 KiB; 1 MiB at a time)
 *   tbstamp write DEV ID LEN SEED COUNT [FROM]
 *                                         writes FROM..FROM+COUNT-1 (FROM
 *                                         default N), one 4 KiB block each,
 *                                         chosen from SEED; then fsync
 *   tbstamp check DEV ID LEN SEED [COUNT] exit 1 unless the first LEN bytes
 *                                         hold the fill and a prefix of the
 *                                         writes (all COUNT if given)
 *   tbstamp durable DEV ID LEN SEED D     after a power cut, writes 0..D-1
 *                                         were flushed: every block holds
 *                                         the last of them to it, or a later
 *                                         write to it; zeros only if none of
 *                                         them went to it
 *
 * Each block holds a stamp (magic, ID, block, write number) and a body that
 * depends on all three, so a block copied to the wrong place, an old version,
 * a torn or a zeroed block are all told apart.  check reads with O_DIRECT and
 * prints the last write it found ("prefix N+K").
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STAMP_BS	4096U
#define FILL_CHUNK	(1U << 20)
#define STAMP_MAGIC	0x31504d4154534254ULL	/* "TBSTAMP1" */
#define WORDS		(STAMP_BS / sizeof(uint64_t))
#define HDR_WORDS	4

static uint64_t mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The block written by write number @gen (>= @n: the fill is block = gen). */
static uint64_t block_of(uint64_t seed, uint64_t gen, uint64_t n)
{
	return gen < n ? gen : mix(seed * 0x9e3779b97f4a7c15ULL + gen) % n;
}

static void stamp(uint64_t *w, uint64_t id, uint64_t block, uint64_t gen)
{
	uint64_t base = mix(mix(id * 0x9e3779b97f4a7c15ULL + block) + gen);
	unsigned int i;

	w[0] = STAMP_MAGIC;
	w[1] = id;
	w[2] = block;
	w[3] = gen;
	for (i = HDR_WORDS; i < WORDS; i++)
		w[i] = mix(base + i);
}

static int stamp_ok(const uint64_t *w, uint64_t id, uint64_t block, uint64_t gen)
{
	uint64_t want[WORDS];

	stamp(want, id, block, gen);
	return !memcmp(w, want, STAMP_BS);
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	int shift = 0;

	errno = 0;
	*out = strtoull(s, &end, 0);
	switch (*end) {
	case 'K': shift = 10; end++; break;
	case 'M': shift = 20; end++; break;
	case 'G': shift = 30; end++; break;
	}
	if (errno || end == s || *end)
		return -1;
	*out <<= shift;
	return 0;
}

static int do_fill(int fd, uint64_t id, uint64_t n, uint64_t *buf)
{
	uint64_t b = 0;

	while (b < n) {
		uint64_t k, cnt = n - b < FILL_CHUNK / STAMP_BS ? n - b :
				  FILL_CHUNK / STAMP_BS;

		for (k = 0; k < cnt; k++)
			stamp(buf + k * WORDS, id, b + k, b + k);
		if (pwrite(fd, buf, cnt * STAMP_BS, b * STAMP_BS) !=
		    (ssize_t)(cnt * STAMP_BS)) {
			fprintf(stderr, "tbstamp: fill at block %llu: %s\n",
				(unsigned long long)b, strerror(errno));
			return 1;
		}
		b += cnt;
	}
	return 0;
}

static int do_write(int fd, uint64_t id, uint64_t n, uint64_t seed,
		    uint64_t from, uint64_t count, uint64_t *buf)
{
	uint64_t gen;

	for (gen = from; gen < from + count; gen++) {
		uint64_t b = block_of(seed, gen, n);

		stamp(buf, id, b, gen);
		if (pwrite(fd, buf, STAMP_BS, b * STAMP_BS) != STAMP_BS) {
			fprintf(stderr, "tbstamp: write %llu (block %llu): %s\n",
				(unsigned long long)gen, (unsigned long long)b,
				strerror(errno));
			return 1;
		}
	}
	return 0;
}

static int all_zero(const uint64_t *w)
{
	unsigned int i;

	for (i = 0; i < WORDS; i++)
		if (w[i])
			return 0;
	return 1;
}

/*
 * Read all @n blocks; found[b] = the write number stamped there, or NONE for
 * a block of zeros if @zeros_ok.
 */
#define NONE UINT64_MAX
static int read_stamps(int fd, uint64_t id, uint64_t n, uint64_t *found,
		       uint64_t *buf, int zeros_ok)
{
	uint64_t b = 0;

	while (b < n) {
		uint64_t k, cnt = n - b < FILL_CHUNK / STAMP_BS ? n - b :
				  FILL_CHUNK / STAMP_BS;

		if (pread(fd, buf, cnt * STAMP_BS, b * STAMP_BS) !=
		    (ssize_t)(cnt * STAMP_BS)) {
			fprintf(stderr, "tbstamp: read at block %llu: %s\n",
				(unsigned long long)b, strerror(errno));
			return 1;
		}
		for (k = 0; k < cnt; k++) {
			const uint64_t *w = buf + k * WORDS;

			if (zeros_ok && all_zero(w)) {
				found[b + k] = NONE;
				continue;
			}
			if (w[0] != STAMP_MAGIC || w[1] != id || w[2] != b + k ||
			    !stamp_ok(w, id, b + k, w[3])) {
				fprintf(stderr, "tbstamp: block %llu: no valid stamp of id %llu (magic %016llx id %llu block %llu write %llu)\n",
					(unsigned long long)(b + k),
					(unsigned long long)id,
					(unsigned long long)w[0],
					(unsigned long long)w[1],
					(unsigned long long)w[2],
					(unsigned long long)w[3]);
				return 1;
			}
			found[b + k] = w[3];
		}
		b += cnt;
	}
	return 0;
}

static int do_check(int fd, uint64_t id, uint64_t n, uint64_t seed,
		    int have_count, uint64_t count, uint64_t *buf)
{
	uint64_t *found = calloc(n, sizeof(*found));
	uint64_t *want = calloc(n, sizeof(*want));
	uint64_t b, gen, last = 0;
	int r = 1;

	if (!found || !want) {
		fprintf(stderr, "tbstamp: out of memory\n");
		goto out;
	}
	if (read_stamps(fd, id, n, found, buf, 0))
		goto out;
	for (b = 0; b < n; b++)
		if (found[b] > last)
			last = found[b];
	if (have_count)
		last = n + count - 1;
	for (b = 0; b < n; b++)
		want[b] = b;
	for (gen = n; gen <= last; gen++)
		want[block_of(seed, gen, n)] = gen;
	for (b = 0; b < n; b++) {
		if (found[b] == want[b])
			continue;
		fprintf(stderr, "tbstamp: block %llu holds write %llu, want %llu (prefix up to write %llu)\n",
			(unsigned long long)b, (unsigned long long)found[b],
			(unsigned long long)want[b], (unsigned long long)last);
		goto out;
	}
	printf("prefix %llu\n", (unsigned long long)last);
	r = 0;
out:
	free(found);
	free(want);
	return r;
}

/* want[b]: the last of writes 0..@d-1 to block b, NONE if none went to it */
static void durable_versions(uint64_t n, uint64_t seed, uint64_t d,
			     uint64_t *want)
{
	uint64_t b, gen;

	for (b = 0; b < n; b++)
		want[b] = NONE;
	for (gen = 0; gen < d; gen++)
		want[block_of(seed, gen, n)] = gen;
}

static int do_durable(int fd, uint64_t id, uint64_t n, uint64_t seed,
		      uint64_t d, uint64_t *buf)
{
	uint64_t *found = calloc(n, sizeof(*found));
	uint64_t *want = calloc(n, sizeof(*want));
	uint64_t b, newer = 0;
	int r = 1;

	if (!found || !want) {
		fprintf(stderr, "tbstamp: out of memory\n");
		goto out;
	}
	if (read_stamps(fd, id, n, found, buf, 1))
		goto out;
	durable_versions(n, seed, d, want);
	for (b = 0; b < n; b++) {
		uint64_t g = found[b];

		if (g == want[b])
			continue;
		/* a write after the last flush, to this very block */
		if (g != NONE && (want[b] == NONE || g > want[b]) &&
		    block_of(seed, g, n) == b) {
			newer++;
			continue;
		}
		fprintf(stderr, "tbstamp: block %llu holds %s%llu, but write %llu to it was flushed\n",
			(unsigned long long)b, g == NONE ? "zeros " : "write ",
			g == NONE ? 0ULL : (unsigned long long)g,
			(unsigned long long)want[b]);
		goto out;
	}
	printf("durable %llu, %llu blocks newer\n", (unsigned long long)d,
	       (unsigned long long)newer);
	r = 0;
out:
	free(found);
	free(want);
	return r;
}

static int usage(void)
{
	fprintf(stderr, "usage: tbstamp fill DEV ID LEN\n"
		"       tbstamp write DEV ID LEN SEED COUNT [FROM]\n"
		"       tbstamp check DEV ID LEN SEED [COUNT]\n"
		"       tbstamp durable DEV ID LEN SEED D\n");
	return 2;
}

enum mode { FILL, WRITE, CHECK, DURABLE };

static const struct {
	const char *name;
	int min_args, max_args;	/* after the verb */
	int flags;		/* open(2) */
} modes[] = {
	[FILL]		= { "fill", 3, 3, O_WRONLY },
	[WRITE]		= { "write", 5, 6, O_WRONLY },
	[CHECK]		= { "check", 4, 5, O_RDONLY },
	[DURABLE]	= { "durable", 5, 5, O_RDONLY },
};

int main(int argc, char **argv)
{
	uint64_t id, len, seed = 0, count = 0, from = 0, n;
	unsigned int m;
	int fd, r;
	void *buf;

	for (m = 0; m < sizeof(modes) / sizeof(modes[0]); m++)
		if (argc > 1 && !strcmp(argv[1], modes[m].name))
			break;
	if (m == sizeof(modes) / sizeof(modes[0]) ||
	    argc - 2 < modes[m].min_args || argc - 2 > modes[m].max_args)
		return usage();
	if (parse_u64(argv[3], &id) || parse_u64(argv[4], &len) ||
	    (argc > 5 && parse_u64(argv[5], &seed)) ||
	    (argc > 6 && parse_u64(argv[6], &count)) ||
	    (argc > 7 && parse_u64(argv[7], &from)) ||
	    !len || len % STAMP_BS || id >> 16)
		return usage();
	n = len / STAMP_BS;
	if (argc <= 7)
		from = n;
	fd = open(argv[2], modes[m].flags | O_DIRECT);
	if (fd < 0) {
		fprintf(stderr, "tbstamp: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	if (posix_memalign(&buf, STAMP_BS, FILL_CHUNK)) {
		fprintf(stderr, "tbstamp: out of memory\n");
		return 1;
	}
	switch (m) {
	case FILL:
		r = do_fill(fd, id, n, buf);
		break;
	case WRITE:
		r = do_write(fd, id, n, seed, from, count, buf);
		break;
	case CHECK:
		r = do_check(fd, id, n, seed, argc == 7, count, buf);
		break;
	default:
		r = do_durable(fd, id, n, seed, count, buf);
	}
	if (!r && modes[m].flags == O_WRONLY && fsync(fd)) {
		fprintf(stderr, "tbstamp: fsync: %s\n", strerror(errno));
		r = 1;
	}
	free(buf);
	close(fd);
	return r;
}
