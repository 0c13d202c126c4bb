/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copy-on-write radix trees on metadata blocks.
 *
 * A tree maps a u64 key to a fixed-size value.  Level 0 nodes are leaves of
 * values, nodes above hold child block numbers; a tree of depth d covers keys
 * below leaf_entries * fanout^d and grows a level when a larger key is
 * written.  Unlike a B-tree there is no splitting or rebalancing: the key is
 * the path.  That suits our keys, which are dense small integers (virtual
 * blocks, data blocks, volume ids).
 *
 * Trees share subtrees: a snapshot takes a reference on a root.  Writing goes
 * through tb_radix_writable(), which shadows every node on the path; when a
 * shadowed node stays shared its children gain a parent, so their refcounts
 * (metadata blocks) or the values' own references (through @inc, e.g. data
 * blocks) are raised.  @dec is called for each value of a leaf that is freed.
 *
 * Locking: the caller serialises writers against everything, and readers
 * against writers (meta.c's lock).
 */
#ifndef THINBLK_RADIX_H
#define THINBLK_RADIX_H

#include "tm.h"

struct tb_radix_root {
	u64 block;		/* 0: empty */
	u32 depth;		/* levels above the leaves */
};

struct tb_radix {
	struct tb_tm *tm;
	unsigned int value_size;
	unsigned int leaf_entries;
	/* Called for non-zero values only; may be NULL. */
	int (*inc)(void *ctx, const void *value);
	int (*dec)(void *ctx, const void *value);
	void *ctx;
};

/* A held writable leaf slot; release with tb_radix_put(). */
struct tb_radix_slot {
	struct dm_buffer *buf;
	void *value;
};

/*
 * Is @depth possible for a tree of ours?  Roots read from disk are checked
 * with it before any walk, whose recursion follows the depth.
 */
bool tb_radix_depth_valid(u32 depth);

void tb_radix_init(struct tb_radix *r, struct tb_tm *tm,
		   unsigned int value_size,
		   int (*inc)(void *, const void *),
		   int (*dec)(void *, const void *), void *ctx);

/*
 * Copy the value of @key to @value (zeroes if absent).  *@shared (optional)
 * tells whether a node on the path has more than one parent.  !@can_block:
 * -EWOULDBLOCK rather than read a block that is not cached.
 */
int tb_radix_lookup(struct tb_radix *r, const struct tb_radix_root *root,
		    u64 key, bool can_block, void *value, bool *shared);
/* Copy the whole leaf holding @key (leaf_entries values) to @values. */
int tb_radix_read_leaf(struct tb_radix *r, const struct tb_radix_root *root,
		       u64 key, void *values);
/*
 * The most metadata blocks one tb_radix_writable() of @key may allocate when
 * no node on its path is shared: one per level of the tree, grown to hold
 * @key if it must be.  (A shared leaf on the path also calls @inc for each
 * of its values, whose cost the caller counts.)
 */
u32 tb_radix_path_blocks(struct tb_radix *r, const struct tb_radix_root *root,
			 u64 key);
/* Shadow the path to @key, creating nodes as needed; *@root may change. */
int tb_radix_writable(struct tb_radix *r, struct tb_radix_root *root, u64 key,
		      struct tb_radix_slot *slot);
void tb_radix_put(struct tb_radix_slot *slot);

/*
 * Drop a reference on a whole tree (freeing what only it used).  Both drops
 * refuse (-EUCLEAN, logged) a node of refcount 0 and a node named by more
 * entries of its parent than its refcount counts: freeing it would free it
 * again later.
 */
int tb_radix_drop(struct tb_radix *r, struct tb_radix_root *root);
/*
 * Free a bounded piece of a tree (at most one leaf, or one reference on a
 * shared subtree); *@done is set when the tree is gone.  For deleting huge
 * trees a step at a time.  @dropped, a bitmap with a bit for each block of
 * the metadata device (tb_bm_nr_blocks(): every block a nonzero refcount can
 * name), zeroed before the first step of a tree and kept by the caller across
 * its steps, marks the blocks taken out of the tree: a node named again later
 * (a crafted DAG with several parents in one tree) is refused with -EUCLEAN
 * (logged) instead of being freed twice.  Limits: a second parent inside a
 * shared subtree is not seen (a step only lowers that subtree's count), and
 * the bitmap lives as long as the pool is open; `thinctl check` finds both.
 */
int tb_radix_drop_step(struct tb_radix *r, struct tb_radix_root *root,
		       unsigned long *dropped, bool *done);

/*
 * Call @fn for each non-zero value, with @shared true when any node on its
 * path has more than one parent.  Subtrees that are shared are skipped when
 * @skip_shared is set.  -EUCLEAN (logged) when a node on the way has
 * refcount 0, or when the walk would read more nodes than the metadata
 * device holds: a crafted tree whose nodes have several parents in it, whose
 * paths grow exponentially with the depth.
 */
int tb_radix_walk(struct tb_radix *r, const struct tb_radix_root *root,
		  bool skip_shared,
		  int (*fn)(void *arg, u64 key, const void *value, bool shared),
		  void *arg);
/*
 * tb_radix_walk() in pieces, so that the caller can drop its lock between
 * them: from key *@start, at most @max_leaves leaves (0: all); then *@start
 * is the key to go on from, U64_MAX when the walk is done.  *@leaf_budget
 * (start it at tb_radix_walk_budget()) bounds the leaves read by all pieces.
 */
int tb_radix_walk_from(struct tb_radix *r, const struct tb_radix_root *root,
		       bool skip_shared, u64 *start, u64 max_leaves,
		       u64 *leaf_budget,
		       int (*fn)(void *arg, u64 key, const void *value,
				 bool shared),
		       void *arg);
u64 tb_radix_walk_budget(struct tb_radix *r);

#endif
