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
 *   tbstamp write DEV ID LEN SEED COUNT   writes N..N+COUNT-1, one 4 KiB
 *                                         block each, chosen from SEED
 *   tbstamp check DEV ID LEN SEED [COUNT] exit 1 unless the first LEN bytes
 *                                         hold the fill and a prefix of the
 *                                         writes (all COUNT if given)
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
		    uint64_t count, uint64_t *buf)
{
	uint64_t gen;

	for (gen = n; gen < n + count; gen++) {
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

/* Read all @n blocks; found[b] = the write number stamped there. */
static int read_stamps(int fd, uint64_t id, uint64_t n, uint64_t *found,
		       uint64_t *buf)
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
	if (read_stamps(fd, id, n, found, buf))
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

static int usage(void)
{
	fprintf(stderr, "usage: tbstamp fill DEV ID LEN\n"
		"       tbstamp write DEV ID LEN SEED COUNT\n"
		"       tbstamp check DEV ID LEN SEED [COUNT]\n");
	return 2;
}

int main(int argc, char **argv)
{
	uint64_t id, len, seed = 0, count = 0, n;
	int fill, write_mode, fd, r;
	void *buf;

	if (argc < 5)
		return usage();
	fill = !strcmp(argv[1], "fill");
	write_mode = !strcmp(argv[1], "write");
	if (!fill && !write_mode && strcmp(argv[1], "check"))
		return usage();
	if ((fill && argc != 5) || (write_mode && argc != 7) ||
	    (!fill && !write_mode && argc != 6 && argc != 7))
		return usage();
	if (parse_u64(argv[3], &id) || parse_u64(argv[4], &len) ||
	    (argc > 5 && parse_u64(argv[5], &seed)) ||
	    (argc > 6 && parse_u64(argv[6], &count)) ||
	    !len || len % STAMP_BS || id >> 16)
		return usage();
	n = len / STAMP_BS;
	fd = open(argv[2], (fill || write_mode ? O_WRONLY : O_RDONLY) | O_DIRECT);
	if (fd < 0) {
		fprintf(stderr, "tbstamp: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	if (posix_memalign(&buf, STAMP_BS, FILL_CHUNK)) {
		fprintf(stderr, "tbstamp: out of memory\n");
		return 1;
	}
	if (fill)
		r = do_fill(fd, id, n, buf);
	else if (write_mode)
		r = do_write(fd, id, n, seed, count, buf);
	else
		r = do_check(fd, id, n, seed, argc == 7, count, buf);
	if (!r && (fill || write_mode) && fsync(fd)) {
		fprintf(stderr, "tbstamp: fsync: %s\n", strerror(errno));
		r = 1;
	}
	free(buf);
	close(fd);
	return r;
}
