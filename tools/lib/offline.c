// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Offline metadata tools (see offline.h): the format is the one of
 * Documentation/on-disk-format.md, read with plain pread().
 *
 * The check recomputes what the kernel keeps: it walks the volume table, the
 * data space map and every mapping tree from the superblock, counting for
 * each metadata block the parents that point at it (a subtree shared by
 * snapshots is descended once) and for each data block the mapping leaves
 * that point at it, then compares both with the stored refcounts.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <endian.h>

#include "libthinblk.h"
#include "offline.h"

#define BLOCK		THINBLK_META_BLOCK_SIZE
#define FANOUT		(THINBLK_NODE_PAYLOAD / sizeof(uint64_t))
#define SB_BLOCK	0
#define MSM_FIRST	1
#define SPILLED_SLOTS	2	/* a spilled refcount block's slots (kmod/tm.h) */
#define MAX_DEPTH	8	/* 509^7 * 31 > 2^64 keys: deeper is damage */

/* The trees, for messages and to tell one tree's nodes from another's. */
enum tree_kind { TREE_VOLUMES, TREE_DATA_SM, TREE_MAPPING, NR_TREES };

static const char *const tree_names[NR_TREES] = {
	"volume table", "data space map", "mapping tree",
};

static const uint32_t tree_value_size[NR_TREES] = {
	sizeof(struct thinblk_disk_volume), sizeof(uint32_t), sizeof(uint32_t),
};

struct image {
	int fd;
	const char *dev;
	struct thinblk_disk_superblock sb;
	uint64_t nr_blocks;		/* metadata blocks */
	uint64_t first_node;		/* 1 + 2R */
	uint64_t nr_data;
	uint32_t *refs;			/* stored metadata refcounts */
	uint32_t *parents;		/* recomputed: pointers to each block */
	uint8_t *tag;			/* kind << 4 | level of a reached node */
	uint64_t *subtree;		/* mapped entries under a reached node */
	uint32_t *seen_by;		/* the last tree walk that reached a node */
	uint32_t walks;			/* tree walks so far, numbering them */
	uint32_t *data_refs;		/* recomputed data refcounts */
	char *msg;
	size_t msg_len;
	uint32_t errors;
	struct tb_offline_report *rep;
};

/* ---- crc32c -------------------------------------------------------------- */

#define CRC32C_POLY	0x82f63b78U	/* Castagnoli, bit-reversed */

uint32_t tb_crc32c(uint32_t crc, const void *data, size_t len)
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

/* ---- reporting ----------------------------------------------------------- */

/* Count a problem; the first one becomes the message. */
__attribute__((format(printf, 2, 3)))
static void damaged(struct image *img, const char *fmt, ...)
{
	va_list ap;

	if (!img->errors++ && img->msg_len) {
		int n = snprintf(img->msg, img->msg_len, "metadata \"%s\": ",
				 img->dev);

		if (n >= 0 && (size_t)n < img->msg_len) {
			va_start(ap, fmt);
			vsnprintf(img->msg + n, img->msg_len - n, fmt, ap);
			va_end(ap);
		}
	}
}

/* After a full check: "first problem (and N more)". */
static void count_more(struct image *img)
{
	size_t n = strlen(img->msg);

	if (img->errors > 1 && n < img->msg_len)
		snprintf(img->msg + n, img->msg_len - n, " (and %" PRIu32 " more)",
			 img->errors - 1);
}

/* ---- blocks -------------------------------------------------------------- */

static int read_raw(struct image *img, uint64_t b, void *buf)
{
	ssize_t n = pread(img->fd, buf, BLOCK, (off_t)(b * BLOCK));

	if (n == BLOCK)
		return 0;
	damaged(img, "block %" PRIu64 ": %s", b,
		n < 0 ? strerror(errno) : "beyond the end of the device");
	return n < 0 ? -errno : -EUCLEAN;
}

/* Read block b and verify its header: checksum, type and own number. */
static int read_block(struct image *img, uint64_t b, uint32_t type, void *buf)
{
	const struct thinblk_disk_header *hdr = buf;
	int r;

	if (b >= img->nr_blocks) {
		damaged(img, "block %" PRIu64 ": beyond the %" PRIu64
			" metadata blocks", b, img->nr_blocks);
		return -EUCLEAN;
	}
	r = read_raw(img, b, buf);
	if (r)
		return r;
	if (le32toh(hdr->csum) != tb_crc32c(THINBLK_CSUM_SEED,
					    (const uint8_t *)buf + 4, BLOCK - 4)) {
		damaged(img, "block %" PRIu64 ": bad checksum", b);
		return -EUCLEAN;
	}
	if (le32toh(hdr->type) != type) {
		damaged(img, "block %" PRIu64 ": type %#" PRIx32 ", expected %#"
			PRIx32, b, le32toh(hdr->type), type);
		return -EUCLEAN;
	}
	if (le64toh(hdr->blocknr) != b) {
		damaged(img, "block %" PRIu64 ": claims to be block %" PRIu64,
			b, (uint64_t)le64toh(hdr->blocknr));
		return -EUCLEAN;
	}
	return 0;
}

/* ---- superblock ---------------------------------------------------------- */

static bool is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

/* A volume size or the basesize: a multiple of 512 up to the largest. */
static bool vol_size_valid(uint64_t size)
{
	return size && !(size % THINBLK_SECTOR_SIZE) &&
	       size <= THINBLK_VOL_SIZE_MAX;
}

/* Refcount blocks counting the pool's metadata blocks: R and the spilled. */
static uint64_t refcount_blocks(const struct image *img)
{
	return (img->nr_blocks + THINBLK_REFCOUNTS_PER_BLOCK - 1) /
	       THINBLK_REFCOUNTS_PER_BLOCK;
}

/*
 * The superblock and refcount slots: the first R refcount blocks after block
 * 0, each later (spilled, version 2) one in the first two blocks it counts.
 */
static int reserved(const struct image *img, uint64_t b)
{
	uint64_t i = b / THINBLK_REFCOUNTS_PER_BLOCK;

	return b < img->first_node ||
	       (i >= le32toh(img->sb.msm_blocks) &&
		b % THINBLK_REFCOUNTS_PER_BLOCK < SPILLED_SLOTS);
}

static int check_sb_fields(struct image *img, uint64_t dev_blocks)
{
	const struct thinblk_disk_superblock *sb = &img->sb;
	uint32_t bs = le32toh(sb->data_block_size);
	uint64_t r = refcount_blocks(img);
	uint32_t msm = le32toh(sb->msm_blocks), version = le32toh(sb->version);
	int spilled = version == THINBLK_FORMAT_VERSION_SPILLED;

	if (version != THINBLK_FORMAT_VERSION && !spilled)
		damaged(img, "format version %" PRIu32 ", this tool reads %d "
			"and %d", version, THINBLK_FORMAT_VERSION,
			THINBLK_FORMAT_VERSION_SPILLED);
	else if (le32toh(sb->meta_block_size) != BLOCK)
		damaged(img, "metadata block size %" PRIu32,
			le32toh(sb->meta_block_size));
	else if (img->nr_blocks > dev_blocks ||
		 img->nr_blocks > THINBLK_META_MAX_BLOCKS)
		damaged(img, "superblock says %" PRIu64 " blocks, the device "
			"has %" PRIu64, img->nr_blocks, dev_blocks);
	else if (!msm || (spilled ? msm >= r : msm != r) ||
		 img->first_node >= img->nr_blocks ||
		 (spilled && img->nr_blocks - (r - 1) *
			     THINBLK_REFCOUNTS_PER_BLOCK <= SPILLED_SLOTS))
		damaged(img, "superblock says %" PRIu32 " refcount blocks "
			"after block 0 (version %" PRIu32 "), %" PRIu64
			" in all", msm, version, r);
	else if (!is_pow2(bs) || bs < THINBLK_BLOCK_SIZE_MIN ||
		 bs > THINBLK_BLOCK_SIZE_MAX)
		damaged(img, "bad data block size %" PRIu32, bs);
	else if (!img->nr_data || img->nr_data > THINBLK_DATA_BLOCKS_MAX)
		damaged(img, "superblock says %" PRIu64 " data blocks, the "
			"format holds 1 to %llu", img->nr_data,
			THINBLK_DATA_BLOCKS_MAX);
	else
		return 0;
	return -EUCLEAN;
}

/*
 * The settings, against the ranges of uapi/linux/thinblk.h, as the kernel
 * checks them at pool open (check only: a dump shows them as they are).
 */
static void check_sb_settings(struct image *img)
{
	const struct tb_offline_report *rep = img->rep;
	uint64_t data_bytes = rep->nr_data_blocks * rep->data_block_size;

	if (rep->data_allocated > rep->nr_data_blocks)
		damaged(img, "superblock: data_allocated %" PRIu64 " above the %"
			PRIu64 " data blocks", rep->data_allocated,
			rep->nr_data_blocks);
	if (rep->no_space >= __THINBLK_NO_SPACE_MAX)
		damaged(img, "superblock: unknown no_space policy %" PRIu32,
			rep->no_space);
	if (!rep->no_space_timeout ||
	    rep->no_space_timeout > THINBLK_NO_SPACE_TIMEOUT_MAX)
		damaged(img, "superblock: no_space_timeout %" PRIu32 " outside 1 "
			"to %d", rep->no_space_timeout,
			THINBLK_NO_SPACE_TIMEOUT_MAX);
	if (rep->low_water > data_bytes)
		damaged(img, "superblock: low_water %" PRIu64 " above the data "
			"size %" PRIu64, rep->low_water, data_bytes);
	if (rep->min_free > data_bytes)
		damaged(img, "superblock: min_free %" PRIu64 " above the data "
			"size %" PRIu64, rep->min_free, data_bytes);
	if (!vol_size_valid(rep->basesize))
		damaged(img, "superblock: basesize %" PRIu64 " not a multiple of "
			"512 from 512 to %llu", rep->basesize,
			THINBLK_VOL_SIZE_MAX);
	if (rep->pool_flags & ~THINBLK_POOL_F_ALL)
		damaged(img, "superblock: unknown pool_flags %#" PRIx32,
			rep->pool_flags);
}

static void fill_report(struct image *img)
{
	const struct thinblk_disk_superblock *sb = &img->sb;
	struct tb_offline_report *rep = img->rep;

	memcpy(rep->name, sb->name, sizeof(rep->name));
	rep->name[sizeof(rep->name) - 1] = '\0';
	rep->transaction = le64toh(sb->transaction);
	rep->data_block_size = le32toh(sb->data_block_size);
	rep->nr_data_blocks = img->nr_data;
	rep->data_allocated = le64toh(sb->data_allocated);
	rep->nr_meta_blocks = img->nr_blocks;
	rep->pool_flags = le32toh(sb->pool_flags);
	rep->basesize = le64toh(sb->basesize);
	rep->low_water = le64toh(sb->low_water);
	rep->min_free = le64toh(sb->min_free);	/* 0 in older superblocks */
	rep->no_space = le32toh(sb->no_space);
	rep->no_space_timeout = le32toh(sb->no_space_timeout);
	rep->next_volume_id = le32toh(sb->next_volume_id);
	rep->ctime = le64toh(sb->ctime);
}

static int read_superblock(struct image *img)
{
	uint8_t buf[BLOCK];
	off_t end;
	int r;

	end = lseek(img->fd, 0, SEEK_END);
	if (end < 0)
		return -errno;
	r = read_raw(img, SB_BLOCK, buf);
	if (r)
		return r;
	memcpy(&img->sb, buf, sizeof(img->sb));
	if (le64toh(img->sb.magic) != THINBLK_SB_MAGIC) {
		damaged(img, "not a thinblk metadata device (no superblock)");
		return -EUCLEAN;
	}
	img->nr_blocks = 1;	/* enough to read block 0 */
	r = read_block(img, SB_BLOCK, THINBLK_BLOCK_SUPER, buf);
	if (r)
		return r;
	img->nr_blocks = le64toh(img->sb.nr_meta_blocks);
	img->nr_data = le64toh(img->sb.nr_data_blocks);
	img->first_node = MSM_FIRST + 2ULL * le32toh(img->sb.msm_blocks);
	r = check_sb_fields(img, (uint64_t)end / BLOCK);
	if (!r)
		fill_report(img);
	return r;
}

/* Open the device (exclusively: the kernel holds an open pool's) and read 0. */
static int image_open(struct image *img, const char *dev,
		      struct tb_offline_report *rep, char *msg, size_t msg_len)
{
	memset(img, 0, sizeof(*img));
	img->dev = dev;
	img->msg = msg;
	img->msg_len = msg_len;
	img->rep = rep;
	if (msg_len)
		msg[0] = '\0';
	memset(rep, 0, sizeof(*rep));
	img->fd = open(dev, O_RDONLY | O_EXCL | O_CLOEXEC);
	if (img->fd < 0)
		return -errno;
	/*
	 * The kernel writes metadata with bios, around the page cache: drop
	 * what an earlier buffered read of the device left there.
	 */
	posix_fadvise(img->fd, 0, 0, POSIX_FADV_DONTNEED);
	return read_superblock(img);
}

static void image_close(struct image *img)
{
	if (img->fd >= 0)
		close(img->fd);
	free(img->refs);
	free(img->parents);
	free(img->tag);
	free(img->subtree);
	free(img->seen_by);
	free(img->data_refs);
}

/* ---- metadata space map -------------------------------------------------- */

static uint64_t slot_block(const struct image *img, uint32_t i)
{
	unsigned int slot = (img->sb.msm_slot[i / 8] >> (i % 8)) & 1;

	if (i >= le32toh(img->sb.msm_blocks))
		return (uint64_t)i * THINBLK_REFCOUNTS_PER_BLOCK + slot;
	return MSM_FIRST + 2ULL * i + slot;
}

/* Load the current slot of every refcount block into img->refs. */
static int load_refcounts(struct image *img)
{
	uint32_t i, j, nr = (uint32_t)refcount_blocks(img);
	uint8_t buf[BLOCK];
	const struct thinblk_disk_refcounts *rc = (const void *)buf;
	const __le32 *counts = (const void *)(rc + 1);
	int r;

	for (i = 0; i < nr; i++) {
		uint64_t first = (uint64_t)i * THINBLK_REFCOUNTS_PER_BLOCK;

		r = read_block(img, slot_block(img, i), THINBLK_BLOCK_REFCOUNT,
			       buf);
		if (r)
			return r;
		if (le32toh(rc->first) != i)
			damaged(img, "block %" PRIu64 ": refcount block %" PRIu32
				" in the slot of %" PRIu32, slot_block(img, i),
				le32toh(rc->first), i);
		for (j = 0; j < THINBLK_REFCOUNTS_PER_BLOCK; j++) {
			uint32_t count = le32toh(counts[j]);

			if (first + j < img->nr_blocks)
				img->refs[first + j] = count;
			else if (count)
				damaged(img, "refcount of block %" PRIu64
					" beyond the device", first + j);
		}
	}
	return 0;
}

/* ---- tree walk ----------------------------------------------------------- */

struct walk {
	struct image *img;
	enum tree_kind kind;
	uint32_t leaf_entries;
	/* every path, for a dump; else each shared node once, counted */
	bool every;
	/* a value of a leaf reached for the first time; NULL: none */
	int (*leaf_value)(struct walk *w, uint64_t key, const void *value);
	void *arg;
	const struct tb_offline_vol *vol;	/* a mapping tree's volume */
	uint32_t serial;		/* this walk's number (img->walks) */
	/*
	 * Nodes an every-path walk may still read: from one root a legal tree
	 * is a tree, each node on one path, so no walk reads more nodes than
	 * the device has.  A crafted node named by several entries makes the
	 * paths grow exponentially with the depth.
	 */
	uint64_t budget;
};

/* "mapping tree of volume 3 (base)", "volume table" */
static const char *tree_desc(const struct walk *w, char *buf, size_t len)
{
	if (!w->vol)
		return tree_names[w->kind];
	snprintf(buf, len, "%s of volume %" PRIu32 " (%s)", tree_names[w->kind],
		 w->vol->id, w->vol->name);
	return buf;
}

#define DESC_MAX	(THINBLK_NAME_MAX + 64)

static uint64_t span(const struct walk *w, uint32_t level)
{
	uint64_t s = w->leaf_entries;

	while (level--)
		s *= FANOUT;
	return s;
}

static uint8_t make_tag(enum tree_kind kind, uint32_t level)
{
	return (uint8_t)(kind << 4 | level);
}

static int walk_node(struct walk *w, uint64_t b, uint32_t level,
		     uint64_t base, uint64_t *mapped);

static int walk_leaf(struct walk *w, uint8_t *payload, uint64_t base,
		     uint64_t *mapped)
{
	uint32_t i, vs = tree_value_size[w->kind];
	static const uint8_t zero[sizeof(struct thinblk_disk_volume)];
	int r;

	for (i = 0; i < w->leaf_entries; i++) {
		const void *v = payload + (size_t)i * vs;

		if (!memcmp(v, zero, vs))
			continue;
		(*mapped)++;
		if (w->leaf_value) {
			r = w->leaf_value(w, base + i, v);
			if (r)
				return r;
		}
	}
	return 0;
}

static int walk_children(struct walk *w, uint8_t *payload, uint32_t level,
			 uint64_t base, uint64_t *mapped)
{
	const __le64 *children = (const void *)payload;
	uint64_t below;
	uint32_t i;
	int r;

	for (i = 0; i < FANOUT; i++) {
		uint64_t child = le64toh(children[i]);

		if (!child)
			continue;
		below = 0;
		r = walk_node(w, child, level - 1, base + i * span(w, level - 1),
			      &below);
		if (r)
			return r;
		*mapped += below;
	}
	return 0;
}

/*
 * A node reached again through another parent: same kind of tree, same
 * level, and another tree (a snapshot's): one tree never has two paths to a
 * node.
 */
static int walk_again(struct walk *w, uint64_t b, uint32_t level,
		      uint64_t *mapped)
{
	struct image *img = w->img;
	char desc[DESC_MAX];

	if (img->seen_by[b] == w->serial) {
		damaged(img, "block %" PRIu64 ": reached twice in the %s (a node "
			"with several parents in one tree)", b,
			tree_desc(w, desc, sizeof(desc)));
		return -EUCLEAN;
	}
	img->seen_by[b] = w->serial;
	if (img->tag[b] != make_tag(w->kind, level)) {
		damaged(img, "block %" PRIu64 ": reached as a level %" PRIu32
			" node of the %s, and as another", b, level,
			tree_names[w->kind]);
		return -EUCLEAN;
	}
	*mapped = img->subtree[b];
	return 0;
}

/*
 * Count one more parent of node b (at level of the tree w walks) and, the
 * first time b is reached, descend it.  *mapped: values under b.
 */
static int walk_node(struct walk *w, uint64_t b, uint32_t level,
		     uint64_t base, uint64_t *mapped)
{
	struct image *img = w->img;
	uint8_t buf[BLOCK];
	const struct thinblk_disk_node *n = (const void *)buf;
	uint8_t *payload = buf + sizeof(*n);
	int r;

	*mapped = 0;
	if (b >= img->nr_blocks || reserved(img, b)) {
		damaged(img, "%s points at block %" PRIu64
			", outside the node area", tree_names[w->kind], b);
		return -EUCLEAN;
	}
	if (!w->every) {
		if (img->parents[b]++)
			return walk_again(w, b, level, mapped);
		img->tag[b] = make_tag(w->kind, level);
		img->seen_by[b] = w->serial;
	} else if (!w->budget--) {
		char desc[DESC_MAX];

		damaged(img, "block %" PRIu64 ": the %s has more nodes than the "
			"device (a node with several parents in one tree)", b,
			tree_desc(w, desc, sizeof(desc)));
		return -EUCLEAN;
	}
	r = read_block(img, b, THINBLK_BLOCK_NODE, buf);
	if (r)
		return r;
	if (le32toh(n->level) != level ||
	    (!level && le32toh(n->value_size) != tree_value_size[w->kind])) {
		damaged(img, "block %" PRIu64 ": level %" PRIu32 " value size %"
			PRIu32 ", expected a level %" PRIu32 " node of the %s",
			b, le32toh(n->level), le32toh(n->value_size), level,
			tree_names[w->kind]);
		return -EUCLEAN;
	}
	r = level ? walk_children(w, payload, level, base, mapped) :
		    walk_leaf(w, payload, base, mapped);
	if (!w->every)
		img->subtree[b] = *mapped;
	return r;
}

static int walk_tree(struct walk *w, const struct thinblk_disk_root *root,
		     uint64_t *mapped)
{
	uint32_t depth = le32toh(root->depth);
	uint64_t b = le64toh(root->block);

	*mapped = 0;
	w->leaf_entries = THINBLK_NODE_PAYLOAD / tree_value_size[w->kind];
	w->serial = ++w->img->walks;
	w->budget = w->img->nr_blocks;
	if (!b)
		return 0;
	if (depth >= MAX_DEPTH) {
		damaged(w->img, "%s of depth %" PRIu32, tree_names[w->kind],
			depth);
		return -EUCLEAN;
	}
	return walk_node(w, b, depth, 0, mapped);
}

/* ---- check: mapping trees ------------------------------------------------ */

static int map_value(struct walk *w, uint64_t vblock, const void *value)
{
	struct image *img = w->img;
	uint32_t v = le32toh(*(const __le32 *)value);

	(void)vblock;
	if (v - 1 >= img->nr_data) {
		damaged(img, "a mapping points at data block %" PRIu32
			" of %" PRIu64, v - 1, img->nr_data);
		return 0;
	}
	img->data_refs[v - 1]++;
	return 0;
}

static void vol_from_disk(struct tb_offline_vol *vol, uint32_t id,
			  const struct thinblk_disk_volume *d)
{
	vol->id = id;
	memcpy(vol->name, d->name, sizeof(vol->name));
	vol->name[sizeof(vol->name) - 1] = '\0';
	vol->size = le64toh(d->size);
	vol->limit = le64toh(d->limit);
	vol->mapped = le64toh(d->mapped);
	vol->owned = le64toh(d->owned);
	vol->ctime = le64toh(d->ctime);
	vol->origin = le32toh(d->origin);
	vol->flags = le32toh(d->flags);
}

/*
 * The record's block counters, as the kernel checks them at pool open: no
 * more blocks mapped than the size holds; owned (which a snapshot freeing a
 * block the volume allocated does not lower) no more than the limit check
 * can count in bytes.
 */
static void check_record_counts(struct image *img,
				const struct tb_offline_vol *vol)
{
	uint32_t bs = img->rep->data_block_size;
	uint64_t blocks = vol->size / bs + !!(vol->size % bs);

	if (vol->mapped > blocks)
		damaged(img, "volume %" PRIu32 ": mapped %" PRIu64 " blocks, its "
			"size holds %" PRIu64, vol->id, vol->mapped, blocks);
	else if (vol->owned > UINT64_MAX / bs)
		damaged(img, "volume %" PRIu32 ": owned %" PRIu64 " blocks, too "
			"many to count in bytes", vol->id, vol->owned);
}

/* A name from the disk, for a message: what is not printable becomes '?'. */
static const char *printable_name(const char *name, char *buf)
{
	size_t i;

	for (i = 0; name[i] && i < THINBLK_NAME_MAX - 1; i++)
		buf[i] = name[i] >= ' ' && name[i] <= '~' ? name[i] : '?';
	buf[i] = '\0';
	return buf;
}

/* The record's own fields; the name's uniqueness is checked by the caller. */
static void check_record(struct image *img, const struct tb_offline_vol *vol,
			 const struct thinblk_disk_volume *d)
{
	char shown[THINBLK_NAME_MAX];

	/* DELETING alone, or LIVE with any of DEFERRED_DELETE and INACTIVE */
	if (vol->flags != THINBLK_VOL_F_DELETING &&
	    (!(vol->flags & THINBLK_VOL_F_LIVE) ||
	     vol->flags & ~(THINBLK_VOL_F_LIVE | THINBLK_VOL_F_DEFERRED_DELETE |
			    THINBLK_VOL_F_INACTIVE)))
		damaged(img, "volume %" PRIu32 ": flags %#" PRIx32, vol->id,
			vol->flags);
	else if (vol->id >= img->rep->next_volume_id)
		damaged(img, "volume %" PRIu32 ": id beyond the next id %" PRIu32,
			vol->id, img->rep->next_volume_id);
	else if (memchr(d->name, '\0', sizeof(d->name)) == NULL)
		damaged(img, "volume %" PRIu32 ": name not NUL-terminated",
			vol->id);
	else if (!tb_name_valid(vol->name))
		damaged(img, "volume %" PRIu32 ": bad name \"%s\" (not 1-63 "
			"characters of [A-Za-z0-9_.-], or . or ..)", vol->id,
			printable_name(vol->name, shown));
	else if (vol->origin != THINBLK_NO_ORIGIN && vol->origin >= vol->id)
		damaged(img, "volume %" PRIu32 ": origin %" PRIu32 " is not an "
			"older volume", vol->id, vol->origin);
	else if (!vol_size_valid(vol->size))
		damaged(img, "volume %" PRIu32 ": bad size %" PRIu64, vol->id,
			vol->size);
	else
		check_record_counts(img, vol);
}

/* Names of the live volumes seen so far, to find a duplicate. */
struct names {
	char (*name)[THINBLK_NAME_MAX];
	uint32_t nr, cap;
};

static void check_unique(struct image *img, struct names *seen,
			 const struct tb_offline_vol *vol)
{
	uint32_t i;
	void *p;

	for (i = 0; i < seen->nr; i++)
		if (!strcmp(seen->name[i], vol->name)) {
			damaged(img, "volume %" PRIu32 ": name \"%s\" used twice",
				vol->id, vol->name);
			return;
		}
	if (seen->nr == seen->cap) {
		seen->cap = seen->cap ? 2 * seen->cap : 64;
		p = realloc(seen->name, seen->cap * sizeof(*seen->name));
		if (!p)
			return;	/* only the duplicate check is lost */
		seen->name = p;
	}
	strcpy(seen->name[seen->nr++], vol->name);
}

static int vol_value(struct walk *w, uint64_t id, const void *value)
{
	const struct thinblk_disk_volume *d = value;
	struct walk map = { .img = w->img, .kind = TREE_MAPPING,
			    .leaf_value = map_value };
	struct image *img = w->img;
	struct tb_offline_vol vol;
	uint64_t mapped, blocks;
	int r;

	if (id > UINT32_MAX) {
		damaged(img, "volume table key %" PRIu64 " does not fit a "
			"volume id", id);
		return -EUCLEAN;
	}
	vol_from_disk(&vol, (uint32_t)id, d);
	check_record(img, &vol, d);
	map.vol = &vol;
	r = walk_tree(&map, &d->root, &mapped);
	if (r)
		return r;
	if (vol.flags & THINBLK_VOL_F_DELETING) {
		img->rep->deleting++;
		return 0;	/* being reclaimed: counts are moving */
	}
	img->rep->volumes++;
	check_unique(img, w->arg, &vol);
	blocks = (vol.size + img->rep->data_block_size - 1) /
		 img->rep->data_block_size;
	if (mapped != vol.mapped)
		damaged(img, "volume %" PRIu32 " (%s): %" PRIu64 " blocks mapped"
			", the record says %" PRIu64, vol.id, vol.name, mapped,
			vol.mapped);
	else if (mapped > blocks)
		damaged(img, "volume %" PRIu32 " (%s): more blocks mapped than "
			"its size holds", vol.id, vol.name);
	return 0;
}

/* ---- check: data space map ----------------------------------------------- */

static int dsm_value(struct walk *w, uint64_t dblock, const void *value)
{
	struct image *img = w->img;
	uint32_t count = le32toh(*(const __le32 *)value);

	if (dblock >= img->nr_data) {
		damaged(img, "data space map counts data block %" PRIu64
			" of %" PRIu64, dblock, img->nr_data);
		return 0;
	}
	if (count != img->data_refs[dblock])
		damaged(img, "data block %" PRIu64 ": refcount %" PRIu32
			", mapped by %" PRIu32 " leaves", dblock, count,
			img->data_refs[dblock]);
	img->data_refs[dblock] = 0;	/* compared */
	return 0;
}

static void check_data_refs(struct image *img, uint64_t allocated)
{
	uint64_t b;

	for (b = 0; b < img->nr_data; b++)
		if (img->data_refs[b]) {
			damaged(img, "data block %" PRIu64 ": mapped by %" PRIu32
				" leaves, free in the space map", b,
				img->data_refs[b]);
			break;
		}
	if (allocated != img->rep->data_allocated)
		damaged(img, "%" PRIu64 " data blocks allocated, the superblock "
			"says %" PRIu64, allocated, img->rep->data_allocated);
}

/* ---- check: metadata refcounts ------------------------------------------- */

/*
 * The highest count a block can have, as the kernel holds it: a reference is
 * a pointer in a metadata block, and no block holds more than a node's
 * entries.
 */
static uint64_t ref_max(const struct image *img)
{
	uint64_t slots = img->nr_blocks * FANOUT;

	return slots < UINT32_MAX ? slots : UINT32_MAX;
}

static void check_meta_refs(struct image *img)
{
	uint64_t b;

	for (b = 0; b < img->nr_blocks; b++) {
		uint32_t want = reserved(img, b) ? 1 : img->parents[b];

		if (img->refs[b])
			img->rep->meta_used++;
		if (img->refs[b] == want)
			continue;
		if (b < img->first_node)
			damaged(img, "block %" PRIu64 " (%s): refcount %" PRIu32
				", must be 1", b, b == SB_BLOCK ?
				"the superblock" : "a refcount slot",
				img->refs[b]);
		else if (img->refs[b] > ref_max(img))
			damaged(img, "block %" PRIu64 ": refcount %" PRIu32
				", above the %" PRIu64 " pointers the metadata "
				"holds", b, img->refs[b], ref_max(img));
		else if (want)
			damaged(img, "block %" PRIu64 ": refcount %" PRIu32
				", %" PRIu32 " parents", b, img->refs[b], want);
		else
			damaged(img, "block %" PRIu64 ": refcount %" PRIu32
				" but unreachable (leaked)", b, img->refs[b]);
	}
}

static int alloc_check_arrays(struct image *img)
{
	uint64_t n = img->nr_blocks;

	img->refs = calloc(n, sizeof(*img->refs));
	img->parents = calloc(n, sizeof(*img->parents));
	img->tag = calloc(n, 1);
	img->subtree = calloc(n, sizeof(*img->subtree));
	img->seen_by = calloc(n, sizeof(*img->seen_by));
	/* calloc'd pages stay untouched, and free, where nothing is mapped */
	img->data_refs = calloc(img->nr_data ? img->nr_data : 1,
				sizeof(*img->data_refs));
	if (!img->refs || !img->parents || !img->tag || !img->subtree ||
	    !img->seen_by || !img->data_refs)
		return -ENOMEM;
	return 0;
}

static int check_trees(struct image *img)
{
	struct names seen = { 0 };
	struct walk vols = { .img = img, .kind = TREE_VOLUMES,
			     .leaf_value = vol_value, .arg = &seen };
	struct walk dsm = { .img = img, .kind = TREE_DATA_SM,
			    .leaf_value = dsm_value };
	uint64_t nr_vols, allocated;
	int r;

	r = walk_tree(&vols, &img->sb.volumes, &nr_vols);
	free(seen.name);
	if (r)
		return r;
	r = walk_tree(&dsm, &img->sb.data_sm, &allocated);
	if (r)
		return r;
	check_data_refs(img, allocated);
	check_meta_refs(img);
	return 0;
}

int tb_offline_check(const char *meta_dev, struct tb_offline_report *rep,
		     char *msg, size_t msg_len)
{
	struct tb_offline_report unused;
	struct image img;
	int r;

	r = image_open(&img, meta_dev, rep ? rep : &unused, msg, msg_len);
	if (!r) {
		check_sb_settings(&img);
		r = alloc_check_arrays(&img);
	}
	if (!r)
		r = load_refcounts(&img);
	if (!r)
		r = check_trees(&img);
	if (!r && img.errors)
		r = -EUCLEAN;
	img.rep->errors = img.errors;
	count_more(&img);
	image_close(&img);
	return r;
}

/* ---- dump ---------------------------------------------------------------- */

/* A run of consecutive mappings being gathered for ops->map. */
struct dump {
	const struct tb_offline_dump_ops *ops;
	void *arg;
	uint64_t vblock, dblock, len;
};

static int flush_run(struct dump *d)
{
	int r = 0;

	if (d->len && d->ops->map)
		r = d->ops->map(d->arg, d->vblock, d->dblock, d->len);
	d->len = 0;
	return r;
}

static int dump_map_value(struct walk *w, uint64_t vblock, const void *value)
{
	struct dump *d = w->arg;
	uint64_t dblock = le32toh(*(const __le32 *)value) - 1;
	int r;

	if (d->len && vblock == d->vblock + d->len &&
	    dblock == d->dblock + d->len) {
		d->len++;
		return 0;
	}
	r = flush_run(d);
	d->vblock = vblock;
	d->dblock = dblock;
	d->len = 1;
	return r;
}

static int dump_vol_value(struct walk *w, uint64_t id, const void *value)
{
	const struct thinblk_disk_volume *disk = value;
	struct dump *d = w->arg;
	struct walk map = { .img = w->img, .kind = TREE_MAPPING, .every = true,
			    .leaf_value = dump_map_value, .arg = d };
	struct tb_offline_vol vol;
	uint64_t mapped;
	int r;

	vol_from_disk(&vol, (uint32_t)id, disk);
	r = d->ops->vol ? d->ops->vol(d->arg, &vol) : 0;
	if (r || !d->ops->map)
		return r;
	map.vol = &vol;
	r = walk_tree(&map, &disk->root, &mapped);
	return r ? r : flush_run(d);
}

int tb_offline_dump(const char *meta_dev, struct tb_offline_report *rep,
		    const struct tb_offline_dump_ops *ops, void *arg,
		    char *msg, size_t msg_len)
{
	struct dump d = { .ops = ops, .arg = arg };
	struct walk vols = { .kind = TREE_VOLUMES, .every = true,
			     .leaf_value = dump_vol_value, .arg = &d };
	struct image img;
	uint64_t nr;
	int r;

	r = image_open(&img, meta_dev, rep, msg, msg_len);
	if (!r) {
		vols.img = &img;
		r = walk_tree(&vols, &img.sb.volumes, &nr);
	}
	if (!r && img.errors)
		r = -EUCLEAN;
	image_close(&img);
	return r;
}

/* ---- metadata-size ------------------------------------------------------- */

/* Nodes of one full radix tree holding keys 0..keys-1, and its depth. */
static uint64_t tree_nodes(uint64_t keys, uint32_t leaf_entries,
			   uint32_t *depth)
{
	uint64_t level = (keys + leaf_entries - 1) / leaf_entries;
	uint64_t nodes = level ? level : 1;

	*depth = 0;
	while (level > 1) {
		level = (level + FANOUT - 1) / FANOUT;
		nodes += level;
		(*depth)++;
	}
	return nodes;
}

/* Transactions shadow nodes while the old copies still count: headroom. */
#define HEADROOM_PCT	25
#define ROUND_TO	(1ULL << 20)

int tb_metadata_size(uint64_t data_size, uint32_t block_size,
		     uint32_t volumes, uint64_t *meta_size)
{
	uint32_t map_leaf = THINBLK_NODE_PAYLOAD / sizeof(uint32_t);
	uint32_t vol_leaf = THINBLK_NODE_PAYLOAD /
			    sizeof(struct thinblk_disk_volume);
	uint64_t data_blocks, nodes, msm, total;
	uint32_t depth, unused;

	if (!is_pow2(block_size) || block_size < THINBLK_BLOCK_SIZE_MIN ||
	    block_size > THINBLK_BLOCK_SIZE_MAX)
		return -EINVAL;
	data_blocks = data_size / block_size + !!(data_size % block_size);
	/*
	 * Mapping leaves for every data block written once, as many again for
	 * snapshots that diverged (a shared leaf copied on write), and a path
	 * of its own from root to leaf for every volume; the data space map;
	 * the volume table.
	 */
	nodes = 2 * tree_nodes(data_blocks, map_leaf, &depth);
	nodes += (uint64_t)volumes * (depth + 1);
	nodes += tree_nodes(data_blocks, map_leaf, &unused);
	nodes += tree_nodes(volumes, vol_leaf, &unused);
	nodes += nodes * HEADROOM_PCT / 100;
	msm = 2 * ((nodes + THINBLK_REFCOUNTS_PER_BLOCK) /
		   (THINBLK_REFCOUNTS_PER_BLOCK - 2));
	total = 1 + msm + nodes;
	if (total > THINBLK_META_MAX_BLOCKS)
		return -E2BIG;
	*meta_size = (total * BLOCK + ROUND_TO - 1) / ROUND_TO * ROUND_TO;
	return 0;
}
