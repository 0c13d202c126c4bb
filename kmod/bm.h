/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Block manager: the metadata device as an array of checksummed blocks,
 * cached by dm-bufio.  Every block read is validated once (checksum, type,
 * own block number) before anyone sees it; every block written gets its
 * checksum from the dm-bufio write callback, so no caller computes one.
 *
 * Locking: none of its own beyond dm-bufio's.  Callers (the transaction
 * manager) serialise writers; a thread holds at most TB_BM_MAX_HELD buffers.
 */
#ifndef THINBLK_BM_H
#define THINBLK_BM_H

#include <linux/types.h>
#include <linux/dm-bufio.h>

#define TB_BM_MAX_HELD 16

struct tb_bm;

struct tb_bm *tb_bm_create(struct block_device *bdev, u64 nr_blocks);
void tb_bm_destroy(struct tb_bm *bm);
u64 tb_bm_nr_blocks(struct tb_bm *bm);
/* Blocks beyond @nr_blocks are refused (the pool's size, not the device's). */
void tb_bm_set_nr_blocks(struct tb_bm *bm, u64 nr_blocks);

/*
 * Read and validate block @b, which must be of @type.  -EUCLEAN if damaged.
 * With !@can_block only a cached block is returned, else -EWOULDBLOCK: bio
 * submission context must not wait for I/O (dm-bufio refuses it).
 */
int tb_bm_read(struct tb_bm *bm, u64 b, u32 type, bool can_block,
	       struct dm_buffer **buf, void **data);
/* Read block @b into @out without validating it (to tell what it is). */
int tb_bm_peek(struct tb_bm *bm, u64 b, void *out);
/* Get block @b without reading it: zeroed, header set to @type and @b. */
int tb_bm_new(struct tb_bm *bm, u64 b, u32 type, struct dm_buffer **buf,
	      void **data);
void tb_bm_dirty(struct dm_buffer *buf);
void tb_bm_release(struct dm_buffer *buf);
/* Write every dirty block and flush the device's cache. */
int tb_bm_flush(struct tb_bm *bm);
/* Drop a block from the cache (after freeing it), if it is not held. */
void tb_bm_forget(struct tb_bm *bm, u64 b);

#endif
