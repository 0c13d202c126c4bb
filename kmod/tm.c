// SPDX-License-Identifier: GPL-2.0
/*
 * Transaction manager and metadata space map.  See tm.h.
 */
#include <linux/bitmap.h>
#include <linux/slab.h>
#include <linux/mm.h>

#include "tm.h"

#define TB_SB_BLOCK 0
#define TB_MSM_FIRST 1
/* Refcount blocks beyond R keep their two slots first in the range they count */
#define TB_SPILLED_SLOTS 2
/* Refcount blocks of the largest pool: the size of dirty_rc */
#define TB_MAX_RC_BLOCKS \
	DIV_ROUND_UP_ULL(THINBLK_META_MAX_BLOCKS, THINBLK_REFCOUNTS_PER_BLOCK)
/* The most blocks one metadata block can name: a node's entries. */
#define TB_POINTERS_PER_BLOCK (THINBLK_NODE_PAYLOAD / sizeof(__le64))

struct tb_tm {
	struct tb_bm *bm;
	u64 nr_blocks;
	u32 msm_blocks;			/* R: refcount blocks laid out at create */
	u32 nr_rc;			/* refcount blocks, R and the spilled */
	u64 first_node;			/* first block the allocator may hand out */
	u32 *refs;			/* refcount of every metadata block */
	unsigned long *shadowed;	/* allocated in this transaction */
	unsigned long *freed;		/* dropped to 0 in this transaction */
	u64 nr_freed;			/* bits set in freed */
	unsigned long *dirty_rc;	/* refcount blocks to write at commit */
	u8 slot[THINBLK_SB_SLOT_BYTES];	/* current slot of each refcount block */
	u64 cursor;			/* where the next allocation looks first */
	bool full;			/* an allocation found no free block */
	u64 nr_used;
	u64 unshared;			/* refcounts that dropped to 1 */
};

u32 tb_tm_refcount_blocks(u64 nr_blocks)
{
	return DIV_ROUND_UP_ULL(nr_blocks, THINBLK_REFCOUNTS_PER_BLOCK);
}

struct tb_bm *tb_tm_bm(struct tb_tm *tm)
{
	return tm->bm;
}

u64 tb_tm_nr_used(struct tb_tm *tm)
{
	return tm->nr_used;
}

u64 tb_tm_unshared(struct tb_tm *tm)
{
	return tm->unshared;
}

u64 tb_tm_nr_free(struct tb_tm *tm)
{
	return tm->nr_blocks - tm->nr_used - tm->nr_freed;
}

/* Refcount block @i counts blocks from here; beyond R, it lives there too. */
static u64 tb_tm_rc_first(u32 i)
{
	return (u64)i * THINBLK_REFCOUNTS_PER_BLOCK;
}

bool tb_tm_spilled(struct tb_tm *tm)
{
	return tm->nr_rc > tm->msm_blocks;
}

bool tb_tm_reserved(struct tb_tm *tm, u64 b)
{
	u32 i = div_u64(b, THINBLK_REFCOUNTS_PER_BLOCK);

	return b < tm->first_node ||
	       (i >= tm->msm_blocks && b - tb_tm_rc_first(i) < TB_SPILLED_SLOTS);
}

u64 tb_tm_fit_blocks(struct tb_tm *tm, u64 nr_blocks)
{
	u64 nr = min_t(u64, nr_blocks, THINBLK_META_MAX_BLOCKS);
	u32 last;

	if (nr <= tm->nr_blocks)
		return tm->nr_blocks;
	last = div_u64(nr - 1, THINBLK_REFCOUNTS_PER_BLOCK);
	/* a spilled refcount block needs its slots and a block to count */
	if (last >= tm->msm_blocks &&
	    nr - tb_tm_rc_first(last) <= TB_SPILLED_SLOTS)
		nr = tb_tm_rc_first(last);
	return max(nr, tm->nr_blocks);
}

bool tb_tm_full(struct tb_tm *tm)
{
	return tm->full;
}

struct tb_tm *tb_tm_create(struct tb_bm *bm, u32 msm_blocks)
{
	struct tb_tm *tm = kzalloc(sizeof(*tm), GFP_KERNEL);
	u64 n = tb_bm_nr_blocks(bm);

	/* one msm_slot bit for each refcount block of the largest pool */
	BUILD_BUG_ON(TB_MAX_RC_BLOCKS > THINBLK_SB_SLOT_BYTES * BITS_PER_BYTE);
	if (!tm)
		return ERR_PTR(-ENOMEM);
	tm->bm = bm;
	tm->nr_blocks = n;
	tm->msm_blocks = msm_blocks;
	tm->nr_rc = tb_tm_refcount_blocks(n);
	tm->first_node = TB_MSM_FIRST + 2ULL * tm->msm_blocks;
	tm->refs = kvcalloc(n, sizeof(u32), GFP_KERNEL);
	tm->shadowed = kvcalloc(BITS_TO_LONGS(n), sizeof(long), GFP_KERNEL);
	tm->freed = kvcalloc(BITS_TO_LONGS(n), sizeof(long), GFP_KERNEL);
	tm->dirty_rc = kvcalloc(BITS_TO_LONGS(TB_MAX_RC_BLOCKS), sizeof(long),
				GFP_KERNEL);
	if (!tm->refs || !tm->shadowed || !tm->freed || !tm->dirty_rc) {
		tb_tm_destroy(tm);
		return ERR_PTR(-ENOMEM);
	}
	tm->cursor = tm->first_node;
	return tm;
}

void tb_tm_destroy(struct tb_tm *tm)
{
	kvfree(tm->refs);
	kvfree(tm->shadowed);
	kvfree(tm->freed);
	kvfree(tm->dirty_rc);
	kfree(tm);
}

static void tb_tm_spill(struct tb_tm *tm, u32 nr_rc);

unsigned long *tb_bitmap_grow(unsigned long *old, u64 old_bits, u64 bits)
{
	unsigned long *map = kvcalloc(BITS_TO_LONGS(bits), sizeof(long),
				      GFP_KERNEL);

	if (map)
		bitmap_copy(map, old, old_bits);
	return map;
}

int tb_tm_grow(struct tb_tm *tm, u64 nr_blocks)
{
	unsigned long *shadowed, *freed;
	u64 old = tm->nr_blocks, b;
	u32 *refs;

	if (nr_blocks < old || tb_tm_fit_blocks(tm, nr_blocks) != nr_blocks)
		return -EINVAL;
	if (nr_blocks == old)
		return 0;
	refs = kvcalloc(nr_blocks, sizeof(u32), GFP_KERNEL);
	shadowed = tb_bitmap_grow(tm->shadowed, old, nr_blocks);
	freed = tb_bitmap_grow(tm->freed, old, nr_blocks);
	if (!refs || !shadowed || !freed) {
		kvfree(refs);
		kvfree(shadowed);
		kvfree(freed);
		return -ENOMEM;
	}
	memcpy(refs, tm->refs, old * sizeof(u32));
	kvfree(tm->refs);
	kvfree(tm->shadowed);
	kvfree(tm->freed);
	tm->refs = refs;
	tm->shadowed = shadowed;
	tm->freed = freed;
	tm->nr_blocks = nr_blocks;
	/* the refcount blocks that now count more blocks are written anew */
	for (b = old; b < nr_blocks; b += THINBLK_REFCOUNTS_PER_BLOCK)
		set_bit(b / THINBLK_REFCOUNTS_PER_BLOCK, tm->dirty_rc);
	set_bit((nr_blocks - 1) / THINBLK_REFCOUNTS_PER_BLOCK, tm->dirty_rc);
	tb_tm_spill(tm, tb_tm_refcount_blocks(nr_blocks));
	tm->full = false;
	return 0;
}

/*
 * The highest refcount a block can have: each reference is a pointer in a
 * metadata block (a node's entry, a volume record's root), a node names a
 * child at most once and a volume table leaf holds fewer records than a node
 * holds entries, so no block has more parents than the device has pointer
 * slots.  A count above it is damage; raising one to it is refused, so that
 * no count ever wraps to 0 (a block in use handed out again).
 */
static u32 tb_tm_ref_max(struct tb_tm *tm)
{
	return min_t(u64, U32_MAX, tm->nr_blocks * TB_POINTERS_PER_BLOCK);
}

static void tb_tm_set_ref(struct tb_tm *tm, u64 b, u32 count)
{
	if (!tm->refs[b] && count)
		tm->nr_used++;
	else if (tm->refs[b] && !count)
		tm->nr_used--;
	tm->refs[b] = count;
	set_bit(b / THINBLK_REFCOUNTS_PER_BLOCK, tm->dirty_rc);
}

/*
 * Refcount blocks from tm->nr_rc to @nr_rc are new: beyond R, their slots
 * (the first blocks they count) are never allocated.
 */
static void tb_tm_spill(struct tb_tm *tm, u32 nr_rc)
{
	u32 i, j;

	for (i = max(tm->nr_rc, tm->msm_blocks); i < nr_rc; i++)
		for (j = 0; j < TB_SPILLED_SLOTS; j++)
			tb_tm_set_ref(tm, tb_tm_rc_first(i) + j, 1);
	tm->nr_rc = max(tm->nr_rc, nr_rc);
}

int tb_tm_format(struct tb_tm *tm)
{
	u64 b;

	if (tm->first_node >= tm->nr_blocks)
		return -ENOSPC;
	memset(tm->slot, 0, sizeof(tm->slot));
	/* The superblock and the space map's slots are never allocated. */
	for (b = 0; b < tm->first_node; b++)
		tb_tm_set_ref(tm, b, 1);
	bitmap_fill(tm->dirty_rc, tm->msm_blocks);
	return 0;
}

static u64 tb_tm_slot_block(struct tb_tm *tm, u32 i, bool other)
{
	bool slot = test_bit_le(i, tm->slot) ^ other;

	if (i >= tm->msm_blocks)
		return tb_tm_rc_first(i) + slot;
	return TB_MSM_FIRST + 2ULL * i + slot;
}

/*
 * The stored count of block @b, against what the layout allows: the
 * superblock and the refcount slots are counted once (never allocated, never
 * freed), any other block at most tb_tm_ref_max().
 */
static int tb_tm_check_ref(struct tb_tm *tm, u64 b, u32 count)
{
	if (tb_tm_reserved(tm, b) && count != 1) {
		pr_err("thinblk: metadata block %llu (%s): refcount %u, must be 1\n",
		       b, b == TB_SB_BLOCK ? "the superblock" : "a refcount slot",
		       count);
		return -EUCLEAN;
	}
	if (count > tb_tm_ref_max(tm)) {
		pr_err("thinblk: metadata block %llu: refcount %u, above the %u pointers the metadata holds\n",
		       b, count, tb_tm_ref_max(tm));
		return -EUCLEAN;
	}
	return 0;
}

static int tb_tm_load_refcounts(struct tb_tm *tm, u32 i)
{
	u64 b, first = tb_tm_rc_first(i);
	u64 slot = tb_tm_slot_block(tm, i, false);
	struct thinblk_disk_refcounts *rc;
	struct dm_buffer *buf;
	__le32 *counts;
	u32 j, count;
	int r;

	r = tb_bm_read(tm->bm, slot, THINBLK_BLOCK_REFCOUNT, true, &buf,
		       (void **)&rc);
	if (r)
		return r;
	if (le32_to_cpu(rc->first) != i) {
		pr_err("thinblk: metadata block %llu: refcount block %u in the slot of %u\n",
		       slot, le32_to_cpu(rc->first), i);
		r = -EUCLEAN;
		goto out;
	}
	counts = (__le32 *)(rc + 1);
	for (j = 0; j < THINBLK_REFCOUNTS_PER_BLOCK; j++) {
		b = first + j;
		if (b >= tm->nr_blocks)
			break;
		count = le32_to_cpu(counts[j]);
		r = tb_tm_check_ref(tm, b, count);
		if (r)
			goto out;
		tm->refs[b] = count;
		if (count)
			tm->nr_used++;
	}
out:
	tb_bm_release(buf);
	return r;
}

int tb_tm_open(struct tb_tm *tm, const struct thinblk_disk_superblock *sb)
{
	u32 i;
	int r;

	if (le32_to_cpu(sb->msm_blocks) != tm->msm_blocks)
		return -EUCLEAN;
	memcpy(tm->slot, sb->msm_slot, sizeof(tm->slot));
	/* bits of refcount blocks a later grow adds start at their slot 0 */
	for (i = tm->nr_rc; i < THINBLK_SB_SLOT_BYTES * BITS_PER_BYTE; i++)
		__clear_bit_le(i, tm->slot);
	for (i = 0; i < tm->nr_rc; i++) {
		r = tb_tm_load_refcounts(tm, i);
		if (r)
			return r;
	}
	return 0;
}

int tb_tm_read(struct tb_tm *tm, u64 b, bool can_block, struct dm_buffer **buf,
	       void **data)
{
	if (tb_tm_reserved(tm, b)) {
		pr_err("thinblk: tree points at reserved metadata block %llu\n", b);
		return -EUCLEAN;
	}
	return tb_bm_read(tm->bm, b, THINBLK_BLOCK_NODE, can_block, buf, data);
}

/*
 * Block numbers handed to the functions below come from tree nodes on disk:
 * a checksummed but wrong pointer must not index refs[] out of bounds, nor
 * change the count of the superblock or of a refcount slot.  Such a block
 * counts 0 (tb_tm_read() then rejects it as damaged).
 */
static bool tb_tm_in_range(struct tb_tm *tm, u64 b)
{
	if (likely(b < tm->nr_blocks && !tb_tm_reserved(tm, b)))
		return true;
	pr_err_ratelimited("thinblk: metadata points at block %llu, %s\n", b,
			   b < tm->nr_blocks ? "reserved for the space map" :
					       "beyond the device");
	return false;
}

static bool tb_tm_is_free(struct tb_tm *tm, u64 b)
{
	return !tm->refs[b] && !test_bit(b, tm->freed);
}

static int tb_tm_alloc(struct tb_tm *tm, u64 *result)
{
	u64 b, n = tm->nr_blocks - tm->first_node;

	for (; n; n--) {
		b = tm->cursor++;
		if (tm->cursor >= tm->nr_blocks)
			tm->cursor = tm->first_node;
		if (tb_tm_is_free(tm, b)) {
			tb_tm_set_ref(tm, b, 1);
			set_bit(b, tm->shadowed);
			*result = b;
			return 0;
		}
	}
	tm->full = true;
	return -ENOSPC;
}

int tb_tm_new_block(struct tb_tm *tm, u64 *b, struct dm_buffer **buf,
		    void **data)
{
	int r = tb_tm_alloc(tm, b);

	if (r)
		return r;
	r = tb_bm_new(tm->bm, *b, THINBLK_BLOCK_NODE, buf, data);
	if (r)
		tb_tm_dec(tm, *b);
	return r;
}

int tb_tm_shadow(struct tb_tm *tm, u64 old, u64 *new, struct dm_buffer **buf,
		 void **data, bool *inc_children)
{
	struct thinblk_disk_header *hdr;
	struct dm_buffer *old_buf;
	void *old_data;
	int r;

	*inc_children = false;
	if (!tb_tm_in_range(tm, old))
		return -EUCLEAN;
	if (test_bit(old, tm->shadowed) && tm->refs[old] == 1) {
		*new = old;
		return tb_tm_read(tm, old, true, buf, data);
	}
	r = tb_tm_read(tm, old, true, &old_buf, &old_data);
	if (r)
		return r;
	r = tb_tm_new_block(tm, new, buf, data);
	if (r) {
		tb_bm_release(old_buf);
		return r;
	}
	memcpy(*data, old_data, THINBLK_META_BLOCK_SIZE);
	tb_bm_release(old_buf);
	hdr = *data;
	hdr->blocknr = cpu_to_le64(*new);
	tb_bm_dirty(*buf);
	*inc_children = tm->refs[old] > 1;
	if (!*inc_children)
		tb_tm_dec(tm, old);	/* freed: its children move to the copy */
	return 0;
}

u32 tb_tm_ref(struct tb_tm *tm, u64 b)
{
	return tb_tm_in_range(tm, b) ? tm->refs[b] : 0;
}

int tb_tm_inc(struct tb_tm *tm, u64 b)
{
	if (!tb_tm_in_range(tm, b))
		return -EUCLEAN;
	if (tm->refs[b] >= tb_tm_ref_max(tm)) {
		/* damaged metadata (a crafted count), not a kernel bug */
		pr_err_ratelimited("thinblk: metadata block %llu: refcount %u already at the %u pointers the metadata holds, not raised\n",
				   b, tm->refs[b], tb_tm_ref_max(tm));
		return -EUCLEAN;
	}
	tb_tm_set_ref(tm, b, tm->refs[b] + 1);
	return 0;
}

u32 tb_tm_dec(struct tb_tm *tm, u64 b)
{
	if (!tb_tm_in_range(tm, b))
		return 0;
	if (!tm->refs[b]) {
		/* damaged metadata, not a kernel bug: no WARN */
		pr_err_ratelimited("thinblk: metadata block %llu freed twice\n", b);
		return 0;
	}
	tb_tm_set_ref(tm, b, tm->refs[b] - 1);
	if (tm->refs[b] == 1)
		tm->unshared++;
	if (!tm->refs[b]) {
		if (!test_and_set_bit(b, tm->freed))
			tm->nr_freed++;
		clear_bit(b, tm->shadowed);
	}
	return tm->refs[b];
}

static int tb_tm_write_refcounts(struct tb_tm *tm, u32 i)
{
	u64 b = tb_tm_slot_block(tm, i, true), first;
	struct thinblk_disk_refcounts *rc;
	struct dm_buffer *buf;
	__le32 *counts;
	u32 j;
	int r;

	r = tb_bm_new(tm->bm, b, THINBLK_BLOCK_REFCOUNT, &buf, (void **)&rc);
	if (r)
		return r;
	rc->first = cpu_to_le32(i);
	counts = (__le32 *)(rc + 1);
	first = tb_tm_rc_first(i);
	for (j = 0; j < THINBLK_REFCOUNTS_PER_BLOCK; j++)
		if (first + j < tm->nr_blocks)
			counts[j] = cpu_to_le32(tm->refs[first + j]);
	tb_bm_dirty(buf);
	tb_bm_release(buf);
	if (test_bit_le(i, tm->slot))
		__clear_bit_le(i, tm->slot);
	else
		__set_bit_le(i, tm->slot);
	return 0;
}

int tb_tm_pre_commit(struct tb_tm *tm, struct thinblk_disk_superblock *sb)
{
	unsigned long i;
	int r;

	for_each_set_bit(i, tm->dirty_rc, tm->nr_rc) {
		r = tb_tm_write_refcounts(tm, i);
		if (r)
			return r;
		clear_bit(i, tm->dirty_rc);
	}
	memcpy(sb->msm_slot, tm->slot, sizeof(tm->slot));
	sb->msm_blocks = cpu_to_le32(tm->msm_blocks);
	return tb_bm_flush(tm->bm);
}

void tb_tm_post_commit(struct tb_tm *tm)
{
	unsigned long b;

	for_each_set_bit(b, tm->freed, tm->nr_blocks)
		tb_bm_forget(tm->bm, b);
	bitmap_zero(tm->freed, tm->nr_blocks);
	tm->nr_freed = 0;
	bitmap_zero(tm->shadowed, tm->nr_blocks);
}
