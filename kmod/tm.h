/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Transaction manager and metadata space map.
 *
 * Every metadata block but the superblock and the space map's own slots is
 * copy-on-write: a block that the last commit wrote is never written again.
 * To change one, a caller *shadows* it: gets a writable copy in a block
 * allocated in this transaction (or the block itself, when it was allocated
 * in this transaction and has one reference).  Refcounts of metadata blocks
 * live in memory (4 bytes per block, at most 16 MiB) and are written at
 * commit into the alternate slot of each changed refcount block; the
 * superblock's slot bitmap makes the new slots current atomically.
 *
 * A block whose refcount drops to zero is reusable only after the next
 * commit, since the committed trees may still point at it.
 *
 * Locking: none.  The caller (meta.c) holds its lock for writing around
 * every call that changes state, for reading around lookups.
 */
#ifndef THINBLK_TM_H
#define THINBLK_TM_H

#include <linux/types.h>
#include <linux/thinblk.h>

#include "bm.h"

struct tb_tm;

/*
 * Refcount blocks for a pool of @nr_blocks.  The first R, laid out at
 * create, keep their two slots in blocks 1..2*R; R never changes.  When the
 * metadata device grows past R * THINBLK_REFCOUNTS_PER_BLOCK blocks, each
 * refcount block beyond R keeps its slots in the first two blocks it counts
 * ("spilled"; format version 2).
 */
u32 tb_tm_refcount_blocks(u64 nr_blocks);

/* A space map of the bm's size whose first @msm_blocks (R) sit after block 0. */
struct tb_tm *tb_tm_create(struct tb_bm *bm, u32 msm_blocks);
void tb_tm_destroy(struct tb_tm *tm);
/* A fresh, empty space map (pool create). */
int tb_tm_format(struct tb_tm *tm);
/*
 * Load the space map that @sb says is current.  -EUCLEAN (logged, naming
 * the block) for a count the layout does not allow: the superblock's or a
 * refcount slot's other than 1, any above the pointers the metadata holds.
 */
int tb_tm_open(struct tb_tm *tm, const struct thinblk_disk_superblock *sb);

struct tb_bm *tb_tm_bm(struct tb_tm *tm);
u64 tb_tm_nr_used(struct tb_tm *tm);
/* Blocks an allocation may hand out now (not freed in this transaction). */
u64 tb_tm_nr_free(struct tb_tm *tm);
/*
 * How much of a device of @nr_blocks the space map can count: at most
 * THINBLK_META_MAX_BLOCKS, and not a spilled refcount block's slots alone.
 */
u64 tb_tm_fit_blocks(struct tb_tm *tm, u64 nr_blocks);
/* Do refcount blocks spill past R (format version 2)? */
bool tb_tm_spilled(struct tb_tm *tm);
/* The superblock or a refcount slot: never a node. */
bool tb_tm_reserved(struct tb_tm *tm, u64 b);
/*
 * The metadata device grew: count @nr_blocks (as tb_tm_fit_blocks() gives).
 * The new blocks are free but for spilled slots; the next commit writes
 * their counts.
 */
int tb_tm_grow(struct tb_tm *tm, u64 nr_blocks);

/* A copy of bitmap @old of @old_bits in a new one of @bits (zero beyond). */
unsigned long *tb_bitmap_grow(unsigned long *old, u64 old_bits, u64 bits);
/* How many times a node's refcount dropped to 1 (it became one tree's). */
u64 tb_tm_unshared(struct tb_tm *tm);
/* Did an allocation fail for lack of metadata space? */
bool tb_tm_full(struct tb_tm *tm);

int tb_tm_read(struct tb_tm *tm, u64 b, bool can_block, struct dm_buffer **buf,
	       void **data);
/* Allocate a zeroed node block with refcount 1. -ENOSPC when full. */
int tb_tm_new_block(struct tb_tm *tm, u64 *b, struct dm_buffer **buf,
		    void **data);
/*
 * Writable copy of node @old in *@new.  *@inc_children is set when @old stays
 * shared: the copy is a new parent of all @old's children, so the caller must
 * take a reference on each and then drop the path's reference on @old
 * (tb_tm_dec), in that order: a failure in between leaves counts too high (a
 * leak the poisoned transaction never commits), never too low.
 */
int tb_tm_shadow(struct tb_tm *tm, u64 old, u64 *new, struct dm_buffer **buf,
		 void **data, bool *inc_children);
u32 tb_tm_ref(struct tb_tm *tm, u64 b);
/*
 * Take a reference; -EUCLEAN (logged, nothing changed) for a block beyond the
 * device or one whose count is already as high as a count can legally be
 * (only crafted metadata gets there): never wraps.
 */
int tb_tm_inc(struct tb_tm *tm, u64 b);
/* Drops a reference; returns the new count. */
u32 tb_tm_dec(struct tb_tm *tm, u64 b);

/* Write the space map and all dirty blocks, flush; fills @sb's slot map. */
int tb_tm_pre_commit(struct tb_tm *tm, struct thinblk_disk_superblock *sb);
/* The superblock is on disk: start a new transaction. */
void tb_tm_post_commit(struct tb_tm *tm);

#endif
