// SPDX-License-Identifier: GPL-2.0
/*
 * Data space map.  See space_map.h.
 */
#include <linux/bitmap.h>
#include <linux/slab.h>
#include <linux/mm.h>

#include "fault.h"
#include "space_map.h"

struct tb_dsm {
	struct tb_radix tree;		/* __le32 refcount per data block */
	struct tb_radix_root root;
	u64 nr_blocks;
	u64 nr_allocated;		/* blocks with a non-zero count */
	u64 unshared;			/* counts that dropped to 1 */
	u64 nr_reserved;		/* busy in memory only: being written */
	u64 cursor;			/* next place the allocator looks */
	/* count > 0, reserved, freed in this transaction or in limbo */
	unsigned long *busy;
	unsigned long *freed;		/* reached 0 in this transaction */
	/*
	 * Reached 0 in a commit, not given back yet: I/O sent before that
	 * commit may still be on its way to them (tb_dsm_release()).
	 */
	unsigned long *limbo;
	u64 nr_freed, nr_limbo;		/* bits set in the two above */
	/*
	 * Count went down in this transaction and is still above zero: the
	 * block may have more owners in the last commit than now, so it must
	 * not be written in place before the next commit (tb_dsm_exclusive).
	 */
	unsigned long *dropped;
	unsigned long *loaded;		/* one bit per leaf: busy bits valid */
	__le32 *leaf;			/* scratch for loading a leaf */
};

static int tb_dsm_alloc_bitmaps(struct tb_dsm *dsm, u64 nr_blocks)
{
	u64 leaves = DIV_ROUND_UP_ULL(nr_blocks, dsm->tree.leaf_entries);
	unsigned long *busy, *freed, *limbo, *dropped, *loaded;

	busy = kvcalloc(BITS_TO_LONGS(nr_blocks), sizeof(long), GFP_KERNEL);
	freed = kvcalloc(BITS_TO_LONGS(nr_blocks), sizeof(long), GFP_KERNEL);
	limbo = kvcalloc(BITS_TO_LONGS(nr_blocks), sizeof(long), GFP_KERNEL);
	dropped = kvcalloc(BITS_TO_LONGS(nr_blocks), sizeof(long), GFP_KERNEL);
	loaded = kvcalloc(BITS_TO_LONGS(leaves), sizeof(long), GFP_KERNEL);
	if (!busy || !freed || !limbo || !dropped || !loaded) {
		kvfree(busy);
		kvfree(freed);
		kvfree(limbo);
		kvfree(dropped);
		kvfree(loaded);
		return -ENOMEM;
	}
	if (dsm->busy) {
		u64 old_leaves = DIV_ROUND_UP_ULL(dsm->nr_blocks,
						  dsm->tree.leaf_entries);

		bitmap_copy(busy, dsm->busy, dsm->nr_blocks);
		bitmap_copy(freed, dsm->freed, dsm->nr_blocks);
		bitmap_copy(limbo, dsm->limbo, dsm->nr_blocks);
		bitmap_copy(dropped, dsm->dropped, dsm->nr_blocks);
		/* The old last leaf may hold new blocks: reload it. */
		bitmap_copy(loaded, dsm->loaded, old_leaves ? old_leaves - 1 : 0);
		kvfree(dsm->busy);
		kvfree(dsm->freed);
		kvfree(dsm->limbo);
		kvfree(dsm->dropped);
		kvfree(dsm->loaded);
	}
	dsm->busy = busy;
	dsm->freed = freed;
	dsm->limbo = limbo;
	dsm->dropped = dropped;
	dsm->loaded = loaded;
	dsm->nr_blocks = nr_blocks;
	return 0;
}

struct tb_dsm *tb_dsm_create(struct tb_tm *tm, u64 nr_blocks,
			     const struct tb_radix_root *root, u64 nr_allocated)
{
	struct tb_dsm *dsm = kzalloc(sizeof(*dsm), GFP_KERNEL);

	if (!dsm)
		return ERR_PTR(-ENOMEM);
	tb_radix_init(&dsm->tree, tm, sizeof(__le32), NULL, NULL, NULL);
	dsm->root = *root;
	dsm->nr_allocated = nr_allocated;
	dsm->leaf = kmalloc(THINBLK_NODE_PAYLOAD, GFP_KERNEL);
	if (!dsm->leaf || tb_dsm_alloc_bitmaps(dsm, nr_blocks)) {
		tb_dsm_destroy(dsm);
		return ERR_PTR(-ENOMEM);
	}
	return dsm;
}

void tb_dsm_destroy(struct tb_dsm *dsm)
{
	kvfree(dsm->busy);
	kvfree(dsm->freed);
	kvfree(dsm->limbo);
	kvfree(dsm->dropped);
	kvfree(dsm->loaded);
	kfree(dsm->leaf);
	kfree(dsm);
}

int tb_dsm_resize(struct tb_dsm *dsm, u64 nr_blocks)
{
	if (nr_blocks < dsm->nr_blocks)
		return -EINVAL;
	if (nr_blocks == dsm->nr_blocks)
		return 0;
	return tb_dsm_alloc_bitmaps(dsm, nr_blocks);
}

u64 tb_dsm_nr_blocks(struct tb_dsm *dsm)
{
	return dsm->nr_blocks;
}

u64 tb_dsm_update_blocks(struct tb_dsm *dsm, u64 nr_counts)
{
	u64 leaves = DIV_ROUND_UP_ULL(dsm->nr_blocks, dsm->tree.leaf_entries);
	u32 path = tb_radix_path_blocks(&dsm->tree, &dsm->root,
					dsm->nr_blocks - 1);

	return min(nr_counts, leaves) * path;
}

u64 tb_dsm_unshared(struct tb_dsm *dsm)
{
	return dsm->unshared;
}

u64 tb_dsm_nr_allocated(struct tb_dsm *dsm)
{
	return dsm->nr_allocated;
}

struct tb_radix_root tb_dsm_root(struct tb_dsm *dsm)
{
	return dsm->root;
}

/* Make the busy bits of the leaf holding @b valid. */
static int tb_dsm_load(struct tb_dsm *dsm, u64 b, bool can_block)
{
	u64 leaf = div_u64(b, dsm->tree.leaf_entries);
	u64 first = leaf * dsm->tree.leaf_entries, i;
	int r;

	if (test_bit(leaf, dsm->loaded))
		return 0;
	if (!can_block)
		return -EWOULDBLOCK;
	r = tb_radix_read_leaf(&dsm->tree, &dsm->root, b, dsm->leaf);
	if (r)
		return r;
	for (i = 0; i < dsm->tree.leaf_entries && first + i < dsm->nr_blocks; i++)
		if (dsm->leaf[i] || test_bit(first + i, dsm->freed) ||
		    test_bit(first + i, dsm->limbo))
			set_bit(first + i, dsm->busy);
	set_bit(leaf, dsm->loaded);
	return 0;
}

static int tb_dsm_update(struct tb_dsm *dsm, u64 b, int delta, u32 *result)
{
	struct tb_radix_slot slot;
	u32 count;
	int r;

	if (b >= dsm->nr_blocks) {
		pr_err("thinblk: data block %llu beyond the pool\n", b);
		return -EUCLEAN;
	}
	r = tb_dsm_load(dsm, b, true);
	if (r)
		return r;
	r = tb_radix_writable(&dsm->tree, &dsm->root, b, &slot);
	if (r)
		return r;
	count = le32_to_cpup(slot.value);
	if (delta < 0 && !count) {
		pr_err_ratelimited("thinblk: data block %llu freed twice (damaged metadata)\n",
				   b);
		tb_radix_put(&slot);
		return -EUCLEAN;
	}
	/*
	 * A count is the leaves naming the block, far fewer than U32_MAX: a
	 * count there is damage, and raising it would wrap it to 0 (a block
	 * in use handed out again).
	 */
	if (delta > 0 && count > U32_MAX - delta) {
		pr_err_ratelimited("thinblk: data block %llu: refcount %u, not raised (damaged metadata)\n",
				   b, count);
		tb_radix_put(&slot);
		return -EUCLEAN;
	}
	count += delta;
	*(__le32 *)slot.value = cpu_to_le32(count);
	tb_radix_put(&slot);
	if (delta < 0 && count)
		set_bit(b, dsm->dropped);
	if (count == 1 && delta > 0) {
		set_bit(b, dsm->busy);
		dsm->nr_allocated++;
	} else if (count == 1) {
		dsm->unshared++;
	} else if (!count) {
		if (!test_and_set_bit(b, dsm->freed))
			dsm->nr_freed++;
		dsm->nr_allocated--;
	}
	*result = count;
	return 0;
}

int tb_dsm_reserve(struct tb_dsm *dsm, bool can_block, u64 *result)
{
	u64 leaf = dsm->tree.leaf_entries, b = dsm->cursor, scanned = 0;
	u64 end, found;
	int r;

	if (tb_fault(TB_FAULT_DATA_ALLOC))
		return -ENOSPC;
	while (scanned < dsm->nr_blocks + leaf) {
		if (b >= dsm->nr_blocks)
			b = 0;
		r = tb_dsm_load(dsm, b, can_block);
		if (r)
			return r;
		end = min_t(u64, dsm->nr_blocks, roundup(b + 1, leaf));
		found = find_next_zero_bit(dsm->busy, end, b);
		if (found < end) {
			set_bit(found, dsm->busy);
			dsm->nr_reserved++;
			dsm->cursor = found + 1;
			*result = found;
			return 0;
		}
		scanned += end - b;
		b = end;
	}
	return -ENOSPC;
}

int tb_dsm_claim(struct tb_dsm *dsm, u64 b)
{
	u32 count;
	int r = tb_dsm_update(dsm, b, 1, &count);

	if (!r)
		dsm->nr_reserved--;
	return r;
}

void tb_dsm_unreserve(struct tb_dsm *dsm, u64 b)
{
	clear_bit(b, dsm->busy);
	dsm->nr_reserved--;
}

u64 tb_dsm_nr_reserved(struct tb_dsm *dsm)
{
	return dsm->nr_reserved;
}

int tb_dsm_inc(struct tb_dsm *dsm, u64 b)
{
	u32 count;

	return tb_dsm_update(dsm, b, 1, &count);
}

int tb_dsm_dec(struct tb_dsm *dsm, u64 b, bool *freed)
{
	u32 count;
	int r = tb_dsm_update(dsm, b, -1, &count);

	if (freed)
		*freed = !r && !count;
	return r;
}

int tb_dsm_get(struct tb_dsm *dsm, u64 b, bool can_block, u32 *count)
{
	__le32 v;
	int r = tb_radix_lookup(&dsm->tree, &dsm->root, b, can_block, &v, NULL);

	*count = le32_to_cpu(v);
	return r;
}

int tb_dsm_exclusive(struct tb_dsm *dsm, u64 b, bool can_block,
		     enum tb_share *share)
{
	u32 count;
	int r = tb_dsm_get(dsm, b, can_block, &count);

	if (r)
		return r;
	if (count != 1)		/* 0: damaged metadata, don't write there */
		*share = TB_SHARED;
	else if (b < dsm->nr_blocks && test_bit(b, dsm->dropped))
		*share = TB_SHARED_IN_COMMIT;
	else
		*share = TB_UNSHARED;
	return 0;
}

bool tb_dsm_commit_done(struct tb_dsm *dsm)
{
	if (!dsm->nr_freed) {
		/* nothing to move: a commit's bitmap work only when it freed */
	} else if (!dsm->nr_limbo) {
		swap(dsm->freed, dsm->limbo);	/* limbo is all zeros */
	} else {
		bitmap_or(dsm->limbo, dsm->limbo, dsm->freed, dsm->nr_blocks);
		bitmap_zero(dsm->freed, dsm->nr_blocks);
	}
	dsm->nr_limbo += dsm->nr_freed;
	dsm->nr_freed = 0;
	bitmap_zero(dsm->dropped, dsm->nr_blocks);
	return dsm->nr_limbo;
}

void tb_dsm_release(struct tb_dsm *dsm,
		    void (*fn)(void *arg, u64 b, u64 len), void *arg)
{
	unsigned long start, end;

	if (!dsm->nr_limbo)
		return;
	for_each_set_bitrange(start, end, dsm->limbo, dsm->nr_blocks) {
		bitmap_clear(dsm->busy, start, end - start);
		if (fn)
			fn(arg, start, end - start);
	}
	bitmap_zero(dsm->limbo, dsm->nr_blocks);
	dsm->nr_limbo = 0;
}
