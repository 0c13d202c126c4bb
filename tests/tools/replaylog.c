// SPDX-License-Identifier: GPL-2.0
/*
 * tbreplay: read and replay a dm-log-writes log, for thinblk's power-cut
 * tests (built static, copied into the initramfs).  The log format is the
 * one of drivers/md/dm-log-writes.c: a super block in the first sector, then
 * for each entry a sector holding struct entry (and a mark's name), followed
 * by the written data (none for a discard); sizes in the log's sector size.
 *
 *   tbreplay list LOG                 one line per flush, FUA or mark entry:
 *                                     "INDEX flush|fua|mark [NAME]"
 *   tbreplay replay LOG DEV FROM TO   write entries FROM..TO-1 onto DEV
 *                                     (discards as zeros), then fsync
 *
 * Replaying 0..N and then N..M gives the same as 0..M, so a test can walk a
 * log forward and check the device at every flush.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOG_FLUSH	(1 << 0)
#define LOG_FUA		(1 << 1)
#define LOG_DISCARD	(1 << 2)
#define LOG_MARK	(1 << 3)
#define LOG_MAGIC	0x6a736677736872ULL
#define LOG_VERSION	1
#define MAX_SECTOR	4096

struct super {
	uint64_t magic, version, nr_entries;
	uint32_t sectorsize;
} __attribute__((packed));

struct entry {
	uint64_t sector, nr_sectors, flags, data_len;
} __attribute__((packed));

struct log {
	int fd;
	uint64_t sectorsize, nr_entries, next;	/* next: entry index */
	off_t pos;				/* of entry next */
	char sector[MAX_SECTOR];
};

static int die(const char *what)
{
	fprintf(stderr, "tbreplay: %s: %s\n", what, errno ? strerror(errno) : "bad log");
	return 1;
}

static int log_open(struct log *log, const char *path)
{
	struct super sb;

	log->fd = open(path, O_RDONLY);
	if (log->fd < 0 || pread(log->fd, &sb, sizeof(sb), 0) != sizeof(sb))
		return -1;
	errno = 0;
	log->sectorsize = le32toh(sb.sectorsize);
	log->nr_entries = le64toh(sb.nr_entries);
	if (le64toh(sb.magic) != LOG_MAGIC || le64toh(sb.version) != LOG_VERSION ||
	    log->sectorsize < sizeof(struct entry) || log->sectorsize > MAX_SECTOR)
		return -1;
	log->pos = log->sectorsize;
	log->next = 0;
	return 0;
}

/* Read the header of entry log->next into e; log->pos then points at its data. */
static int log_read_entry(struct log *log, struct entry *e)
{
	if (pread(log->fd, log->sector, log->sectorsize, log->pos) !=
	    (ssize_t)log->sectorsize)
		return -1;
	memcpy(e, log->sector, sizeof(*e));
	e->sector = le64toh(e->sector);
	e->nr_sectors = le64toh(e->nr_sectors);
	e->flags = le64toh(e->flags);
	e->data_len = le64toh(e->data_len);
	log->pos += log->sectorsize;
	return 0;
}

static uint64_t data_bytes(const struct log *log, const struct entry *e)
{
	return e->flags & LOG_DISCARD ? 0 : e->nr_sectors * log->sectorsize;
}

static void log_skip_data(struct log *log, const struct entry *e)
{
	log->pos += data_bytes(log, e);
	log->next++;
}

static int cmd_list(struct log *log)
{
	struct entry e;

	while (log->next < log->nr_entries) {
		if (log_read_entry(log, &e))
			return die("read entry");
		if (e.flags & LOG_MARK) {
			size_t n = e.data_len;

			if (n > log->sectorsize - sizeof(e))
				n = log->sectorsize - sizeof(e);
			printf("%llu mark %.*s\n", (unsigned long long)log->next,
			       (int)n, log->sector + sizeof(e));
		} else if (e.flags & (LOG_FLUSH | LOG_FUA)) {
			printf("%llu %s\n", (unsigned long long)log->next,
			       e.flags & LOG_FLUSH ? "flush" : "fua");
		}
		log_skip_data(log, &e);
	}
	return 0;
}

/* Copy len bytes from the log at log->pos (or zeros) to dev at off. */
static int copy_out(struct log *log, int dev, uint64_t off, uint64_t len,
		    int zeros)
{
	static char buf[1 << 20];
	uint64_t done = 0;

	while (done < len) {
		size_t n = len - done < sizeof(buf) ? len - done : sizeof(buf);

		if (zeros)
			memset(buf, 0, n);
		else if (pread(log->fd, buf, n, log->pos + done) != (ssize_t)n)
			return die("read data");
		if (pwrite(dev, buf, n, off + done) != (ssize_t)n)
			return die("write device");
		done += n;
	}
	return 0;
}

static int cmd_replay(struct log *log, const char *path, uint64_t from,
		      uint64_t to)
{
	struct entry e;
	int dev = open(path, O_WRONLY), r = 0;

	if (dev < 0)
		return die(path);
	if (to > log->nr_entries)
		to = log->nr_entries;
	while (!r && log->next < to) {
		if (log_read_entry(log, &e))
			return die("read entry");
		if (log->next >= from && e.nr_sectors && !(e.flags & LOG_MARK))
			r = copy_out(log, dev, e.sector * log->sectorsize,
				     e.nr_sectors * log->sectorsize,
				     !!(e.flags & LOG_DISCARD));
		log_skip_data(log, &e);
	}
	if (!r && fsync(dev))
		r = die("fsync");
	close(dev);
	return r;
}

int main(int argc, char **argv)
{
	struct log log;

	if (argc < 3 || (strcmp(argv[1], "list") && strcmp(argv[1], "replay")) ||
	    (!strcmp(argv[1], "replay") && argc != 6)) {
		fprintf(stderr, "usage: tbreplay list LOG\n"
				"       tbreplay replay LOG DEV FROM TO\n");
		return 2;
	}
	if (log_open(&log, argv[2]))
		return die(argv[2]);
	if (!strcmp(argv[1], "list"))
		return cmd_list(&log);
	return cmd_replay(&log, argv[3], strtoull(argv[4], NULL, 0),
			  strtoull(argv[5], NULL, 0));
}
