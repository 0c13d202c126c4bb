// SPDX-License-Identifier: GPL-2.0
/*
 * tbpattern: write and verify deterministic data on a device or file, for
 * thinblk's guest tests (built static, copied into the initramfs).
 *
 *   tbpattern [OPTIONS] write  PATH OFFSET LEN SEED   write the pattern, fsync
 *   tbpattern [OPTIONS] verify PATH OFFSET LEN SEEDS  exit 1 at the first mismatch
 *   tbpattern [OPTIONS] zero   PATH OFFSET LEN        exit 1 unless all zeros
 *
 * write and verify take an optional STRIDE COUNT: the range is repeated at
 * OFFSET + i * STRIDE for i < COUNT (sparse layouts in one process).
 *
 * verify's SEEDS is one seed or a comma-separated list: each 8-byte word must
 * match one of them (after a power cut a volume may read, word by word, what
 * it had at the last commit or what it wrote since, and nothing else).
 *
 * Options: -D  O_DIRECT (reads and writes bypass the page cache)
 *          -S  O_DSYNC writes (each one REQ_FUA on a block device)
 *          -N  no fsync after writing (the data may stay unflushed)
 *
 * The data depends only on SEED and the absolute offset of each 8-byte word,
 * so a range written in pieces verifies as one.  OFFSET and LEN take K, M, G
 * suffixes (binary) and must be multiples of 8 (of 512, the logical block
 * size of a thinblk volume, with -D).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK (1U << 20)
#define WORD sizeof(uint64_t)
#define DIRECT_ALIGN 512	/* offsets and lengths with -D */
#define BUF_ALIGN 4096		/* the buffer: any device's logical block */
#define MAX_SEEDS 8

static uint64_t word_at(uint64_t seed, uint64_t offset)
{
	uint64_t z = seed * 0x9e3779b97f4a7c15ULL + offset / WORD;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);
	int shift = 0;

	switch (*end) {
	case 'K': case 'k': shift = 10; end++; break;
	case 'M': case 'm': shift = 20; end++; break;
	case 'G': case 'g': shift = 30; end++; break;
	case 'T': case 't': shift = 40; end++; break;
	}
	if (end == s || *end)
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

static void fill(uint64_t *buf, size_t len, uint64_t seed, uint64_t off)
{
	size_t i;

	for (i = 0; i < len / WORD; i++)
		buf[i] = seed == UINT64_MAX ? 0 : word_at(seed, off + i * WORD);
}

static int do_write(int fd, uint64_t off, uint64_t len, uint64_t seed,
		    uint64_t *buf)
{
	while (len) {
		size_t n = len < CHUNK ? len : CHUNK;

		fill(buf, n, seed, off);
		if (pwrite(fd, buf, n, off) != (ssize_t)n) {
			fprintf(stderr, "tbpattern: write at %llu: %s\n",
				(unsigned long long)off, strerror(errno));
			return 1;
		}
		off += n;
		len -= n;
	}
	return 0;
}

struct seeds {
	uint64_t v[MAX_SEEDS];
	unsigned int n;
};

static int parse_seeds(char *s, struct seeds *seeds)
{
	char *tok, *save;

	seeds->n = 0;
	for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (seeds->n == MAX_SEEDS || parse_size(tok, &seeds->v[seeds->n++]))
			return -1;
	return seeds->n ? 0 : -1;
}

static int word_ok(const struct seeds *seeds, uint64_t got, uint64_t off)
{
	unsigned int i;

	for (i = 0; i < seeds->n; i++)
		if (got == (seeds->v[i] == UINT64_MAX ? 0 : word_at(seeds->v[i], off)))
			return 1;
	return 0;
}

static int do_check(int fd, uint64_t off, uint64_t len,
		    const struct seeds *seeds, uint64_t *buf)
{
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	while (len) {
		size_t n = len < CHUNK ? len : CHUNK, i;

		if (pread(fd, buf, n, off) != (ssize_t)n) {
			fprintf(stderr, "tbpattern: read at %llu: %s\n",
				(unsigned long long)off, strerror(errno));
			return 1;
		}
		for (i = 0; i < n / WORD; i++) {
			if (word_ok(seeds, buf[i], off + i * WORD))
				continue;
			fprintf(stderr, "tbpattern: mismatch at offset %llu: got %016llx, want %016llx%s\n",
				(unsigned long long)(off + i * WORD),
				(unsigned long long)buf[i],
				(unsigned long long)(seeds->v[0] == UINT64_MAX ? 0 :
					word_at(seeds->v[0], off + i * WORD)),
				seeds->n > 1 ? " (or another seed's)" : "");
			return 1;
		}
		off += n;
		len -= n;
	}
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: tbpattern [-D] [-S] [-N] write PATH OFFSET LEN SEED [STRIDE COUNT]\n"
			"       tbpattern [-D] verify PATH OFFSET LEN SEED[,SEED...] [STRIDE COUNT]\n"
			"       tbpattern [-D] zero PATH OFFSET LEN\n");
	return 2;
}

int main(int argc, char **argv)
{
	uint64_t off, len, stride = 0, count = 1, i, align = WORD;
	struct seeds seeds = { { UINT64_MAX }, 1 };
	int write_mode, fd, r = 0, opt, flags = 0, no_fsync = 0, nargs;
	uint64_t *buf;

	while ((opt = getopt(argc, argv, "+DSN")) != -1) {
		switch (opt) {
		case 'D': flags |= O_DIRECT; align = DIRECT_ALIGN; break;
		case 'S': flags |= O_DSYNC; break;
		case 'N': no_fsync = 1; break;
		default: return usage();
		}
	}
	argv += optind - 1;
	nargs = argc - (optind - 1);
	if (nargs < 5)
		return usage();
	write_mode = !strcmp(argv[1], "write");
	if (strcmp(argv[1], "zero") ? nargs != 6 && nargs != 8 : nargs != 5)
		return usage();
	if (!write_mode && strcmp(argv[1], "verify") && strcmp(argv[1], "zero"))
		return usage();
	if (parse_size(argv[3], &off) || parse_size(argv[4], &len) ||
	    (nargs >= 6 && parse_seeds(argv[5], &seeds)) ||
	    (write_mode && seeds.n != 1) ||
	    (nargs == 8 && (parse_size(argv[6], &stride) ||
			    parse_size(argv[7], &count))) ||
	    off % align || len % align || stride % align) {
		fprintf(stderr, "tbpattern: bad offset, length or seed\n");
		return 2;
	}
	fd = open(argv[2], (write_mode ? O_RDWR | O_CREAT : O_RDONLY) | flags, 0644);
	if (fd < 0) {
		fprintf(stderr, "tbpattern: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	if (posix_memalign((void **)&buf, BUF_ALIGN, CHUNK))
		return 1;
	for (i = 0; i < count && !r; i++)
		r = write_mode ? do_write(fd, off + i * stride, len, seeds.v[0], buf) :
				 do_check(fd, off + i * stride, len, &seeds, buf);
	if (write_mode && !r && !no_fsync && fsync(fd)) {
		fprintf(stderr, "tbpattern: fsync: %s\n", strerror(errno));
		r = 1;
	}
	free(buf);
	if (close(fd) && !r) {
		fprintf(stderr, "tbpattern: close: %s\n", strerror(errno));
		r = 1;
	}
	return r;
}
