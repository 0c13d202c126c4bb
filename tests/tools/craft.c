// SPDX-License-Identifier: GPL-2.0
/*
 * tbcraft: turn a closed pool's metadata device into hostile input.  One
 * field is rewritten and the block's checksum recomputed, so that only the
 * kernel's (or thinctl check's) own validation of what it reads stands
 * between the image and a walk of it.  The layout is uapi/linux/thinblk.h's.
 *
 *   tbcraft DEVICE MUTATION
 *
 * Mutations:
 *   nr-data-blocks-zero   superblock nr_data_blocks = 0
 *   nr-data-blocks-huge   superblock nr_data_blocks = THINBLK_DATA_BLOCKS_MAX + 1
 *   deep-root             superblock data space map root depth = 64
 *   deep-volumes-root     superblock volume table root depth = 64
 *   volume-depth          the first volume record's mapping root depth = 64
 *   volume-flags          the first volume record's flags get an unknown bit
 *   volume-deferred       the first volume record is marked for deletion at
 *                         its last close (a valid record)
 *   volume-origin         the first volume record is its own origin
 *   last-volume-name      the last volume record of the first leaf is named
 *                         "a/b" (the volumes before it load first)
 *   volume-id-big         the volume table (one leaf) moves under four new
 *                         nodes, to keys above 2^32 (refcounts kept right)
 *   data-allocated-big    superblock data_allocated = nr_data_blocks + 1
 *   no-space-bad          superblock no_space = __THINBLK_NO_SPACE_MAX
 *   timeout-big           superblock no_space_timeout above the uapi limit
 *   low-water-big         superblock low_water one byte above the data size
 *   min-free-big          superblock min_free one byte above the data size
 *   basesize-bad          superblock basesize not a multiple of 512
 *   pool-flags-bad        superblock pool_flags get an unknown bit
 *   next-id-top           superblock next_volume_id = the last two ids
 *                         (THINBLK_NO_ORIGIN - 2): a valid pool whose ids
 *                         are nearly used up
 *   volume-mapped-big     the first volume maps one block more than its size
 *   volume-owned-big      the first volume owns U64_MAX blocks
 *   volume-name-long      the first volume's name fills its field, no NUL
 *   volume-name-control   the first volume is named "a\001b"
 *   dag-volumes           the volume table becomes DAG_LEVELS nodes above an
 *                         empty leaf, each node's every entry naming the one
 *                         below: FANOUT^DAG_LEVELS paths (refcounts 1)
 *   dag-mapping           the same DAG_LEVELS nodes above the first volume's
 *                         mapping root (its refcount stays; theirs are 1)
 *   two-parents-mapping   the first volume's mapping root moves under two new
 *                         nodes (entry 0 of each) under a new root (entries 0
 *                         and 1): one tree, two parents; its refcount stays
 *                         (2 when a snapshot shares it: it looks right to
 *                         each tree alone)
 *   refcount-superblock-zero  the superblock's refcount = 0
 *   refcount-slot-two     refcount slot block 1's refcount = 2
 *   refcount-huge         the first volume's mapping root's refcount =
 *                         UINT32_MAX
 *   refcount-at-limit     the same refcount = the pointer slots of the whole
 *                         metadata (nr_meta_blocks * FANOUT): the highest a
 *                         count can be, so one more reference overflows it
 *
 *   data-refcount-max     the first nonzero count of the data space map's
 *                         first leaf = UINT32_MAX (one more reference wraps it)
 *
 * Exit status 0 when the device was changed, 1 on an error, 2 on usage.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/thinblk.h>

#define BLOCK		THINBLK_META_BLOCK_SIZE
#define FANOUT		(THINBLK_NODE_PAYLOAD / sizeof(uint64_t))
#define VOL_ENTRIES	(THINBLK_NODE_PAYLOAD / sizeof(struct thinblk_disk_volume))
#define HOSTILE_DEPTH	64
#define UNKNOWN_VOL_FLAG (1U << 7)
#define CRC32C_POLY	0x82f63b78U	/* Castagnoli, bit-reversed */
/* volume-id-big: levels added above the leaf, and the top node's entry */
#define ID_BIG_LEVELS	4
#define ID_BIG_ENTRY	2
/* dag-*: levels of nodes whose entries all name the node below */
#define DAG_LEVELS	4
#define UNKNOWN_POOL_FLAG (1U << 7)
#define NAME_CONTROL	"a\001b"

static int fd;
static const char *dev;
static struct thinblk_disk_superblock *sb;
static uint8_t sb_buf[BLOCK];

static uint32_t crc32c(uint32_t crc, const void *data, size_t len)
{
	static uint32_t table[256];
	const uint8_t *p = data;
	unsigned int i, j;

	if (!table[1]) {
		for (i = 0; i < 256; i++) {
			uint32_t c = i;

			for (j = 0; j < 8; j++)
				c = (c >> 1) ^ (CRC32C_POLY & -(c & 1));
			table[i] = c;
		}
	}
	while (len--)
		crc = (crc >> 8) ^ table[(crc ^ *p++) & 0xff];
	return crc;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "tbcraft: %s: ", dev);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void read_block(uint64_t b, uint32_t type, void *buf)
{
	const struct thinblk_disk_header *hdr = buf;
	const size_t skip = sizeof(hdr->csum);

	if (pread(fd, buf, BLOCK, (off_t)(b * BLOCK)) != BLOCK)
		die("block %" PRIu64 ": %s", b, strerror(errno));
	if (le32toh(hdr->csum) != crc32c(THINBLK_CSUM_SEED, (uint8_t *)buf + skip,
					 BLOCK - skip) ||
	    le32toh(hdr->type) != type || le64toh(hdr->blocknr) != b)
		die("block %" PRIu64 ": not a valid block of type %#x", b, type);
}

/* Write block b with its header (type, own number) and a valid checksum. */
static void write_block(uint64_t b, uint32_t type, void *buf)
{
	struct thinblk_disk_header *hdr = buf;
	const size_t skip = sizeof(hdr->csum);

	hdr->type = htole32(type);
	hdr->blocknr = htole64(b);
	hdr->csum = htole32(crc32c(THINBLK_CSUM_SEED, (uint8_t *)buf + skip,
				   BLOCK - skip));
	if (pwrite(fd, buf, BLOCK, (off_t)(b * BLOCK)) != BLOCK)
		die("writing block %" PRIu64 ": %s", b, strerror(errno));
}

static uint64_t size_blocks(uint64_t size);
static uint64_t dag_above(uint64_t b, uint32_t level);
static void two_parents(struct thinblk_disk_root *root);
static void root_refcount(const char *what, uint64_t root);

static void *payload(uint8_t *buf)
{
	return buf + sizeof(struct thinblk_disk_node);
}

/* Read node @b, which must be at @level, into @buf. */
static void read_node(uint64_t b, uint32_t level, uint8_t *buf)
{
	const struct thinblk_disk_node *n = (const void *)buf;

	read_block(b, THINBLK_BLOCK_NODE, buf);
	if (le32toh(n->level) != level)
		die("block %" PRIu64 ": level %u, expected %u", b,
		    le32toh(n->level), level);
}

/* The index of the first child of the inner node in @buf, FANOUT if none. */
static uint32_t first_child(uint8_t *buf)
{
	const __le64 *children = payload(buf);
	uint32_t i;

	for (i = 0; i < FANOUT && !children[i]; i++)
		;
	return i;
}

/* The first volume record: its leaf block (in *leaf), index and key. */
static struct thinblk_disk_volume *first_volume(uint8_t *buf, uint64_t *leaf,
						uint64_t *key)
{
	uint64_t b = le64toh(sb->volumes.block), span = VOL_ENTRIES;
	uint32_t level = le32toh(sb->volumes.depth), l, i;
	struct thinblk_disk_volume *v;
	const __le64 *children;

	if (!b)
		die("no volumes");
	for (l = 1; l < level; l++)
		span *= FANOUT;
	*key = 0;
	for (;;) {
		read_node(b, level, buf);
		if (!level)
			break;
		children = payload(buf);
		i = first_child(buf);
		if (i == FANOUT)
			die("block %" PRIu64 ": empty node", b);
		*key += i * span;
		b = le64toh(children[i]);
		span /= level > 1 ? FANOUT : 1;
		level--;
	}
	v = payload(buf);
	for (i = 0; i < VOL_ENTRIES; i++)
		if (v[i].flags)
			break;
	if (i == VOL_ENTRIES)
		die("no volume record in leaf %" PRIu64, b);
	*leaf = b;
	*key += i;
	return &v[i];
}

static void mutate_volume(const char *what)
{
	uint8_t buf[BLOCK];
	struct thinblk_disk_volume *v;
	uint64_t leaf, key;

	v = first_volume(buf, &leaf, &key);
	if (!strcmp(what, "last-volume-name")) {
		struct thinblk_disk_volume *last = v;

		while (last + 1 < (struct thinblk_disk_volume *)payload(buf) + VOL_ENTRIES &&
		       last[1].flags) {
			last++;
			key++;
		}
		memset(last->name, 0, sizeof(last->name));
		memcpy(last->name, "a/b", 3);
		v = last;
	} else if (!strcmp(what, "volume-depth"))
		v->root.depth = htole32(HOSTILE_DEPTH);
	else if (!strcmp(what, "volume-mapped-big"))
		v->mapped = htole64(size_blocks(le64toh(v->size)) + 1);
	else if (!strcmp(what, "volume-owned-big"))
		v->owned = htole64(UINT64_MAX);
	else if (!strcmp(what, "volume-name-long"))
		memset(v->name, 'a', sizeof(v->name));
	else if (!strcmp(what, "volume-name-control")) {
		memset(v->name, 0, sizeof(v->name));
		memcpy(v->name, NAME_CONTROL, strlen(NAME_CONTROL));
	} else if (!strcmp(what, "dag-mapping")) {
		v->root.block = htole64(dag_above(le64toh(v->root.block),
						  le32toh(v->root.depth)));
		v->root.depth = htole32(le32toh(v->root.depth) + DAG_LEVELS);
	} else if (!strcmp(what, "two-parents-mapping")) {
		two_parents(&v->root);
	} else if (!strncmp(what, "refcount-", strlen("refcount-"))) {
		root_refcount(what, le64toh(v->root.block));
		return;		/* the record stays as it is */
	}
	else if (!strcmp(what, "volume-flags"))
		v->flags = htole32(le32toh(v->flags) | UNKNOWN_VOL_FLAG);
	else if (!strcmp(what, "volume-deferred"))
		v->flags = htole32(le32toh(v->flags) |
				   THINBLK_VOL_F_DEFERRED_DELETE);
	else if (!strcmp(what, "volume-origin"))
		v->origin = htole32((uint32_t)key);
	else
		die("unknown mutation \"%s\"", what);
	write_block(leaf, THINBLK_BLOCK_NODE, buf);
	printf("volume %" PRIu64 " in block %" PRIu64 ": %s\n", key, leaf, what);
}

/* The current slot of refcount block i. */
static uint64_t refcount_slot(uint32_t i)
{
	uint64_t slot = (sb->msm_slot[i / 8] >> (i % 8)) & 1;

	/* beyond R (format version 2) a refcount block's slots spill */
	if (i >= le32toh(sb->msm_blocks))
		return (uint64_t)i * THINBLK_REFCOUNTS_PER_BLOCK + slot;
	return 1 + 2ULL * i + slot;
}

/* Set the refcount of metadata block b (in the current slot) to count. */
static void set_refcount(uint64_t b, uint32_t count)
{
	uint8_t buf[BLOCK];
	__le32 *counts = (void *)(buf + sizeof(struct thinblk_disk_refcounts));
	uint32_t i = (uint32_t)(b / THINBLK_REFCOUNTS_PER_BLOCK);

	read_block(refcount_slot(i), THINBLK_BLOCK_REFCOUNT, buf);
	counts[b % THINBLK_REFCOUNTS_PER_BLOCK] = htole32(count);
	write_block(refcount_slot(i), THINBLK_BLOCK_REFCOUNT, buf);
	printf("block %" PRIu64 ": refcount %" PRIu32 "\n", b, count);
}

/* Find a free node block, give it refcount 1 (on disk) and return it. */
static uint64_t alloc_node(void)
{
	uint64_t nr = le64toh(sb->nr_meta_blocks);
	uint64_t first = 1 + 2ULL * le32toh(sb->msm_blocks), b;
	uint8_t buf[BLOCK];
	__le32 *counts = (void *)(buf + sizeof(struct thinblk_disk_refcounts));
	uint32_t i, cur = UINT32_MAX;

	for (b = first; b < nr; b++) {
		i = (uint32_t)(b / THINBLK_REFCOUNTS_PER_BLOCK);
		if (i != cur) {
			read_block(refcount_slot(i), THINBLK_BLOCK_REFCOUNT, buf);
			cur = i;
		}
		if (counts[b % THINBLK_REFCOUNTS_PER_BLOCK])
			continue;
		counts[b % THINBLK_REFCOUNTS_PER_BLOCK] = htole32(1);
		write_block(refcount_slot(i), THINBLK_BLOCK_REFCOUNT, buf);
		return b;
	}
	die("no free metadata block");
}

/* Blocks of data a volume of @size bytes holds. */
static uint64_t size_blocks(uint64_t size)
{
	uint32_t bs = le32toh(sb->data_block_size);

	return size / bs + !!(size % bs);
}

/* A new node at @level (refcount 1) naming @child in every entry. */
static uint64_t dag_node(uint32_t level, uint64_t child)
{
	uint8_t buf[BLOCK];
	struct thinblk_disk_node *n = (void *)buf;
	__le64 *children = payload(buf);
	uint64_t b = alloc_node();
	size_t i;

	memset(buf, 0, sizeof(buf));
	n->level = htole32(level);
	n->value_size = htole32(sizeof(uint64_t));
	for (i = 0; i < FANOUT; i++)
		children[i] = htole64(child);
	write_block(b, THINBLK_BLOCK_NODE, buf);
	return b;
}

/*
 * DAG_LEVELS new nodes above node @b at @level, each naming the one below in
 * all its entries; returns the top one.  Every path leads to @b: a walk
 * that follows each has FANOUT^DAG_LEVELS to go.
 */
static uint64_t dag_above(uint64_t b, uint32_t level)
{
	uint32_t i;

	for (i = 1; i <= DAG_LEVELS; i++)
		b = dag_node(level + i, b);
	printf("DAG of %u levels above block %" PRIu64 " at level %u: root %"
	       PRIu64 "\n", DAG_LEVELS, b, level, b);
	return b;
}

/* A new node at @level (refcount 1) naming @first in entry 0, @second in 1. */
static uint64_t inner_node(uint32_t level, uint64_t first, uint64_t second)
{
	uint8_t buf[BLOCK];
	struct thinblk_disk_node *n = (void *)buf;
	__le64 *children = payload(buf);
	uint64_t b = alloc_node();

	memset(buf, 0, sizeof(buf));
	n->level = htole32(level);
	n->value_size = htole32(sizeof(uint64_t));
	children[0] = htole64(first);
	children[1] = htole64(second);
	write_block(b, THINBLK_BLOCK_NODE, buf);
	return b;
}

/*
 * Two new nodes, each naming @root's node in entry 0, under a new root naming
 * them in entries 0 and 1: the node has two parents in one tree, and keeps
 * its refcount (which counted the one reference @root was).
 */
static void two_parents(struct thinblk_disk_root *root)
{
	uint64_t node = le64toh(root->block);
	uint32_t depth = le32toh(root->depth);
	uint64_t a = inner_node(depth + 1, node, 0);
	uint64_t b = inner_node(depth + 1, node, 0);

	root->block = htole64(inner_node(depth + 2, a, b));
	root->depth = htole32(depth + 2);
	printf("block %" PRIu64 " under blocks %" PRIu64 " and %" PRIu64
	       " under root %" PRIu64 "\n", node, a, b, le64toh(root->block));
}

/* refcount-huge, refcount-at-limit: the count of the mapping root. */
static void root_refcount(const char *what, uint64_t root)
{
	uint64_t slots = le64toh(sb->nr_meta_blocks) * FANOUT;

	if (!root)
		die("the first volume maps nothing");
	if (!strcmp(what, "refcount-huge"))
		set_refcount(root, UINT32_MAX);
	else if (!strcmp(what, "refcount-at-limit") && slots < UINT32_MAX)
		set_refcount(root, (uint32_t)slots);
	else
		die("unknown mutation \"%s\"", what);
}

/* The volume table: DAG_LEVELS levels of a DAG above a new empty leaf. */
static void dag_volumes(void)
{
	uint8_t buf[BLOCK];
	struct thinblk_disk_node *n = (void *)buf;
	uint64_t leaf = alloc_node();

	memset(buf, 0, sizeof(buf));
	n->value_size = htole32(sizeof(struct thinblk_disk_volume));
	write_block(leaf, THINBLK_BLOCK_NODE, buf);
	sb->volumes.block = htole64(dag_above(leaf, 0));
	sb->volumes.depth = htole32(DAG_LEVELS);
}

/* Put the one-leaf volume table under ID_BIG_LEVELS new nodes. */
static void volume_id_big(void)
{
	uint64_t child = le64toh(sb->volumes.block), b = 0;
	uint8_t buf[BLOCK];
	struct thinblk_disk_node *n = (void *)buf;
	__le64 *children = payload(buf);
	uint32_t level;

	if (!child || le32toh(sb->volumes.depth))
		die("volume-id-big needs a volume table of one leaf");
	for (level = 1; level <= ID_BIG_LEVELS; level++) {
		b = alloc_node();
		memset(buf, 0, sizeof(buf));
		n->level = htole32(level);
		n->value_size = htole32(sizeof(uint64_t));
		children[level == ID_BIG_LEVELS ? ID_BIG_ENTRY : 0] = htole64(child);
		write_block(b, THINBLK_BLOCK_NODE, buf);
		child = b;
	}
	sb->volumes.block = htole64(b);
	sb->volumes.depth = htole32(ID_BIG_LEVELS);
	printf("volume table root %" PRIu64 " at depth %u\n", b, ID_BIG_LEVELS);
}

/* The data space map's first leaf: its first nonzero count = UINT32_MAX. */
static void data_refcount_max(void)
{
	uint8_t buf[BLOCK];
	uint64_t b = le64toh(sb->data_sm.block);
	uint32_t level = le32toh(sb->data_sm.depth), i;
	const __le64 *children;
	__le32 *counts;

	for (;; level--) {
		if (!b)
			die("the data space map has no leaf");
		read_node(b, level, buf);
		if (!level)
			break;
		children = payload(buf);
		i = first_child(buf);
		b = i < FANOUT ? le64toh(children[i]) : 0;
	}
	counts = payload(buf);
	for (i = 0; i < THINBLK_NODE_PAYLOAD / sizeof(*counts) && !counts[i]; i++)
		;
	if (i == THINBLK_NODE_PAYLOAD / sizeof(*counts))
		die("block %" PRIu64 ": no data block counted", b);
	counts[i] = htole32(UINT32_MAX);
	write_block(b, THINBLK_BLOCK_NODE, buf);
	printf("data space map leaf %" PRIu64 ": entry %u = %" PRIu32 "\n", b, i,
	       UINT32_MAX);
}

int main(int argc, char **argv)
{
	const char *what;

	if (argc != 3) {
		fprintf(stderr, "usage: tbcraft DEVICE MUTATION\n");
		return 2;
	}
	dev = argv[1];
	what = argv[2];
	fd = open(dev, O_RDWR | O_EXCL);
	if (fd < 0)
		die("%s", strerror(errno));
	sb = (void *)sb_buf;
	read_block(0, THINBLK_BLOCK_SUPER, sb_buf);
	if (le64toh(sb->magic) != THINBLK_SB_MAGIC)
		die("not a thinblk metadata device");
	if (!strcmp(what, "nr-data-blocks-zero"))
		sb->nr_data_blocks = 0;
	else if (!strcmp(what, "nr-data-blocks-huge"))
		sb->nr_data_blocks = htole64(THINBLK_DATA_BLOCKS_MAX + 1);
	else if (!strcmp(what, "deep-root"))
		sb->data_sm.depth = htole32(HOSTILE_DEPTH);
	else if (!strcmp(what, "deep-volumes-root"))
		sb->volumes.depth = htole32(HOSTILE_DEPTH);
	else if (!strcmp(what, "volume-id-big"))
		volume_id_big();
	else if (!strcmp(what, "dag-volumes"))
		dag_volumes();
	else if (!strcmp(what, "data-allocated-big"))
		sb->data_allocated = htole64(le64toh(sb->nr_data_blocks) + 1);
	else if (!strcmp(what, "no-space-bad"))
		sb->no_space = htole32(__THINBLK_NO_SPACE_MAX);
	else if (!strcmp(what, "timeout-big"))
		sb->no_space_timeout = htole32(THINBLK_NO_SPACE_TIMEOUT_MAX + 1);
	else if (!strcmp(what, "low-water-big"))
		sb->low_water = htole64(le64toh(sb->nr_data_blocks) *
					le32toh(sb->data_block_size) + 1);
	else if (!strcmp(what, "min-free-big"))
		sb->min_free = htole64(le64toh(sb->nr_data_blocks) *
				       le32toh(sb->data_block_size) + 1);
	else if (!strcmp(what, "basesize-bad"))
		sb->basesize = htole64(THINBLK_SECTOR_SIZE + 1);
	else if (!strcmp(what, "pool-flags-bad"))
		sb->pool_flags = htole32(le32toh(sb->pool_flags) | UNKNOWN_POOL_FLAG);
	else if (!strcmp(what, "next-id-top"))
		sb->next_volume_id = htole32(THINBLK_NO_ORIGIN - 2);
	else if (!strcmp(what, "refcount-superblock-zero"))
		set_refcount(0, 0);
	else if (!strcmp(what, "refcount-slot-two"))
		set_refcount(1, 2);
	else if (!strcmp(what, "data-refcount-max"))
		data_refcount_max();
	else if (!strncmp(what, "volume-", strlen("volume-")) ||
		 !strncmp(what, "refcount-", strlen("refcount-")) ||
		 !strcmp(what, "last-volume-name") || !strcmp(what, "dag-mapping") ||
		 !strcmp(what, "two-parents-mapping"))
		mutate_volume(what);
	else {
		fprintf(stderr, "tbcraft: unknown mutation \"%s\"\n", what);
		return 2;
	}
	write_block(0, THINBLK_BLOCK_SUPER, sb_buf);
	if (fsync(fd))
		die("fsync: %s", strerror(errno));
	close(fd);
	return 0;
}
