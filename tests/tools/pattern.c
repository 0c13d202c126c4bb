// SPDX-License-Identifier: GPL-2.0
/*
 * tbpattern: write and verify deterministic data on a device or file, for
 * thinblk's guest tests (built static, copied into the initramfs).
 *
 *   tbpattern write  PATH OFFSET LEN SEED   write the pattern, fsync
 *   tbpattern verify PATH OFFSET LEN SEED   exit 1 at the first mismatch
 *   tbpattern zero   PATH OFFSET LEN        exit 1 unless all zeros
 *
 * write and verify take an optional STRIDE COUNT: the range is repeated at
 * OFFSET + i * STRIDE for i < COUNT (sparse layouts in one process).
 *
 * The data depends only on SEED and the absolute offset of each 8-byte word,
 * so a range written in pieces verifies as one.  OFFSET and LEN take K, M, G
 * suffixes (binary) and must be multiples of 8.
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

static int do_check(int fd, uint64_t off, uint64_t len, uint64_t seed,
		    uint64_t *buf, uint64_t *want)
{
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	while (len) {
		size_t n = len < CHUNK ? len : CHUNK, i;

		if (pread(fd, buf, n, off) != (ssize_t)n) {
			fprintf(stderr, "tbpattern: read at %llu: %s\n",
				(unsigned long long)off, strerror(errno));
			return 1;
		}
		fill(want, n, seed, off);
		for (i = 0; i < n / WORD; i++) {
			if (buf[i] == want[i])
				continue;
			fprintf(stderr, "tbpattern: mismatch at offset %llu: got %016llx, want %016llx\n",
				(unsigned long long)(off + i * WORD),
				(unsigned long long)buf[i],
				(unsigned long long)want[i]);
			return 1;
		}
		off += n;
		len -= n;
	}
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: tbpattern write|verify PATH OFFSET LEN SEED [STRIDE COUNT]\n"
			"       tbpattern zero PATH OFFSET LEN\n");
	return 2;
}

int main(int argc, char **argv)
{
	uint64_t off, len, seed = UINT64_MAX, stride = 0, count = 1, i;
	uint64_t *buf, *want;
	int write_mode, fd, r = 0;

	if (argc < 5)
		return usage();
	write_mode = !strcmp(argv[1], "write");
	if (strcmp(argv[1], "zero") ? argc != 6 && argc != 8 : argc != 5)
		return usage();
	if (parse_size(argv[3], &off) || parse_size(argv[4], &len) ||
	    (argc >= 6 && parse_size(argv[5], &seed)) ||
	    (argc == 8 && (parse_size(argv[6], &stride) ||
			   parse_size(argv[7], &count))) ||
	    off % WORD || len % WORD || stride % WORD) {
		fprintf(stderr, "tbpattern: bad offset, length or seed\n");
		return 2;
	}
	if (!write_mode && strcmp(argv[1], "verify") && strcmp(argv[1], "zero"))
		return usage();
	fd = open(argv[2], write_mode ? O_RDWR | O_CREAT : O_RDONLY, 0644);
	if (fd < 0) {
		fprintf(stderr, "tbpattern: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	buf = malloc(CHUNK);
	want = malloc(CHUNK);
	if (!buf || !want)
		return 1;
	for (i = 0; i < count && !r; i++)
		r = write_mode ? do_write(fd, off + i * stride, len, seed, buf) :
				 do_check(fd, off + i * stride, len, seed, buf, want);
	if (write_mode && !r && fsync(fd)) {
		fprintf(stderr, "tbpattern: fsync: %s\n", strerror(errno));
		r = 1;
	}
	free(buf);
	free(want);
	if (close(fd) && !r) {
		fprintf(stderr, "tbpattern: close: %s\n", strerror(errno));
		r = 1;
	}
	return r;
}
