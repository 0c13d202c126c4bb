/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Data space map: a refcount for every data block, kept in a radix tree of
 * __le32 values (keyed by data block) on the metadata device, and in memory a
 * bitmap of busy blocks for fast allocation, filled lazily a leaf at a time
 * (opening a pool reads nothing of it).
 *
 * A data block's refcount is the number of mapping-tree leaves pointing at it.
 * A block whose count drops to zero stays busy until the next commit (the
 * committed mappings may still point at it), and after it until the I/O sent
 * before that commit is done (bios already remapped to the block: the caller
 * waits for them, io.c); tb_dsm_release() then frees it and reports it for
 * discard passdown.
 *
 * Locking: the caller's (meta.c's lock, for writing on every call but
 * tb_dsm_get, which needs it for reading).
 */
#ifndef THINBLK_SPACE_MAP_H
#define THINBLK_SPACE_MAP_H

#include "radix.h"

struct tb_dsm;

/* Who may write a data block in place (tb_dsm_exclusive). */
enum tb_share {
	TB_UNSHARED,		/* its one owner */
	TB_SHARED_IN_COMMIT,	/* its one owner, after the next commit */
	TB_SHARED,		/* nobody: copy it first */
};

struct tb_dsm *tb_dsm_create(struct tb_tm *tm, u64 nr_blocks,
			     const struct tb_radix_root *root, u64 nr_allocated);
void tb_dsm_destroy(struct tb_dsm *dsm);
int tb_dsm_resize(struct tb_dsm *dsm, u64 nr_blocks);

u64 tb_dsm_nr_blocks(struct tb_dsm *dsm);
/*
 * The most metadata blocks that changing the counts of @nr_counts data
 * blocks may allocate in one transaction: a path of the tree for each, but
 * no more leaves than the tree has.
 */
u64 tb_dsm_update_blocks(struct tb_dsm *dsm, u64 nr_counts);
u64 tb_dsm_nr_allocated(struct tb_dsm *dsm);
/* How many times a count dropped to 1 (the block became one leaf's). */
u64 tb_dsm_unshared(struct tb_dsm *dsm);
struct tb_radix_root tb_dsm_root(struct tb_dsm *dsm);

/*
 * A free block in *@b, or -ENOSPC (-EWOULDBLOCK with !@can_block when the
 * search would have to read a space map leaf).  It is reserved in memory only (busy, and
 * counted by tb_dsm_nr_reserved()) and stays free on disk, so that a commit
 * while its data is being written can't leak it: tb_dsm_claim() gives it
 * refcount 1 when its mapping is inserted, tb_dsm_unreserve() gives it back.
 */
int tb_dsm_reserve(struct tb_dsm *dsm, bool can_block, u64 *b);
int tb_dsm_claim(struct tb_dsm *dsm, u64 b);
void tb_dsm_unreserve(struct tb_dsm *dsm, u64 b);
u64 tb_dsm_nr_reserved(struct tb_dsm *dsm);
int tb_dsm_inc(struct tb_dsm *dsm, u64 b);
/* *@freed (optional) tells whether the count reached zero. */
int tb_dsm_dec(struct tb_dsm *dsm, u64 b, bool *freed);
int tb_dsm_get(struct tb_dsm *dsm, u64 b, bool can_block, u32 *count);
/*
 * May a write go to data block @b in place, as far as its own count tells?
 * TB_SHARED: more than one leaf points at it now.  TB_SHARED_IN_COMMIT: one
 * does, but its count went down in this transaction, so the last commit may
 * still map it from another volume (which a power cut brings back): it is
 * written in place only after the next commit.  The caller also checks the
 * nodes on the path (tb_radix_lookup).
 */
int tb_dsm_exclusive(struct tb_dsm *dsm, u64 b, bool can_block,
		     enum tb_share *share);

/*
 * After a commit: the blocks freed in it wait for tb_dsm_release() (true when
 * there are any, from this commit or an earlier one).
 */
bool tb_dsm_commit_done(struct tb_dsm *dsm);
/* Free the blocks of the commits done so far, calling @fn on each run. */
void tb_dsm_release(struct tb_dsm *dsm,
		    void (*fn)(void *arg, u64 b, u64 len), void *arg);

#endif
