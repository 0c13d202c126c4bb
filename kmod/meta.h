/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pool metadata: the superblock, the volume table, the per-volume mapping
 * trees and the commit protocol (like dm-thin-metadata.c).  The I/O path and
 * the pool operations call only this interface; none of them sees the
 * on-disk format.
 *
 * Locking: struct tb_meta's lock (an rw_semaphore) protects all of it: the
 * trees, the space maps, the settings and every struct tb_mvol's fields.
 * Lookups take it for reading, so mapped reads and overwrites run in parallel;
 * everything that changes metadata takes it for writing, inside a
 * memalloc_noio scope (writes to thin volumes wait for it: reclaim must not
 * write to one from under it).  Each function takes it itself: callers hold
 * no lock of ours.  Commits are serialized by a mutex taken outside it, as the
 * end of one (tb_meta_commit()) waits with the lock dropped.
 *
 * Errors: -EUCLEAN for damaged metadata (the block is logged), -EIO for I/O
 * errors, -ENOSPC when data or metadata space is exhausted, -EDQUOT when a
 * volume hits its allocation limit.  An error in a change (insert, unmap,
 * reclaim, commit) poisons the metadata: the transaction in memory may be
 * half done, so every later change fails with -EROFS and no commit happens
 * again, not even at close (tb_meta_failed(), tb_meta_error()); the caller
 * puts the pool in read-only mode.  Running out of metadata space is not
 * such an error: a change that would eat into the metadata reserve is
 * refused with -ENOSPC before it starts (tb_meta_full()), nothing poisoned.
 */
#ifndef THINBLK_META_H
#define THINBLK_META_H

#include <linux/blkdev.h>
#include <linux/rwsem.h>
#include <linux/xarray.h>
#include <linux/thinblk.h>

#include "radix.h"

struct tb_meta;

/* Pool settings kept in the superblock. */
struct tb_meta_settings {
	u32 block_size;			/* data block, bytes */
	u64 basesize;
	u64 low_water;			/* bytes */
	u64 min_free;			/* bytes, no new volumes below; 0 = none */
	u32 no_space;			/* enum thinblk_no_space */
	u32 no_space_timeout;		/* seconds */
	u32 flags;			/* THINBLK_POOL_F_* */
};

/* In-core copy of a volume record.  Fields under the meta lock. */
struct tb_mvol {
	u32 id;
	char name[THINBLK_NAME_MAX];
	struct tb_radix_root root;
	u64 size;			/* bytes */
	u64 limit;			/* bytes, 0 = none */
	u64 mapped;			/* blocks referenced */
	u64 owned;			/* blocks allocated and held */
	u64 reserved;			/* provisioned, not inserted yet */
	/*
	 * Direct provisionings of this volume charged to the metadata space
	 * and not inserted yet, by whether their path was shared when they
	 * were admitted (tb_promise() in meta.c).
	 */
	u64 promised_unshared;
	u64 promised_shared;
	u64 ctime;
	u32 origin;			/* id or THINBLK_NO_ORIGIN */
	u32 flags;			/* THINBLK_VOL_F_* */
	/* DELETING since transaction; reclaimed only once that is committed */
	u64 delete_txn;

	/*
	 * Exclusive blocks, as last counted by tb_meta_vol_exclusive(): valid
	 * while excl_valid (cleared when this volume's mappings change or it
	 * is snapshotted) and no refcount anywhere has dropped to 1 since
	 * (excl_gen, see tb_unshare_gen()).  Written under excl_mutex and the
	 * meta lock held for reading; cleared under it held for writing.
	 */
	bool excl_valid;
	u64 excl_gen;
	u64 excl_blocks;

	/*
	 * Translation cache for the I/O path: vblock -> (dblock << 1 |
	 * exclusive), read locklessly (RCU), written under the meta lock
	 * (either side: lookups fill it under the read lock).  An entry is
	 * always the current mapping; "exclusive" can only be lost by
	 * snapshotting this volume, which empties the cache.
	 */
	struct xarray cache;
	atomic_long_t cached;		/* entries, capped at TB_CACHE_MAX */
};

struct tb_meta_usage {
	u64 data_blocks, data_used;
	u64 meta_blocks, meta_used;
	u64 transaction;
};

int tb_meta_format(struct block_device *meta_bdev,
		   struct block_device *data_bdev, const char *name,
		   const struct tb_meta_settings *s, struct tb_meta **out);
int tb_meta_open(struct block_device *meta_bdev,
		 struct block_device *data_bdev, struct tb_meta **out);
/*
 * Does @bdev hold a thinblk superblock (by its magic)?  1, with the pool's
 * name copied to @name (@len bytes, NUL-terminated, unchecked), 0, or an
 * error.  For refusing to format over a pool.
 */
int tb_meta_probe(struct block_device *bdev, char *name, size_t len);

/* Frees everything; uncommitted changes are lost (commit first). */
void tb_meta_close(struct tb_meta *m);

/*
 * Make every change so far durable (flushes the data device first; only
 * that when nothing changed).  A failed commit is final: tb_meta_failed().
 * Then the data blocks it freed are given back, once the free hooks'
 * quiesce() has returned; the caller must not hold up I/O that it waits for.
 */
int tb_meta_commit(struct tb_meta *m);
bool tb_meta_failed(struct tb_meta *m);
/* The error that poisoned the metadata (a failed change or commit), or 0. */
int tb_meta_error(struct tb_meta *m);
bool tb_meta_needs_commit(struct tb_meta *m);
/*
 * A commit is giving back the data blocks it freed: a tb_meta_commit() now
 * returns when they can be allocated.
 */
bool tb_meta_release_pending(struct tb_meta *m);
/*
 * Has the metadata device run out of space?  (Then -ENOSPC is about it.)
 * True from when an ordinary change (provisioning, discard, create,
 * snapshot, resize, limit) is refused for lack of metadata space until a
 * commit or a grow gives space back; commit, delete and reclaim use a
 * reserve meanwhile (meta.c, "Metadata space").
 */
bool tb_meta_full(struct tb_meta *m);
/*
 * What a commit that freed data blocks calls before they can be allocated
 * again: quiesce() waits for the I/O that may still go to them (sent before
 * the commit, when they were mapped), without the metadata lock; discard()
 * then gets each run of them (discard passdown), under it.
 */
struct tb_meta_free_hooks {
	void (*quiesce)(void *arg);
	void (*discard)(void *arg, u64 b, u64 len);
};

void tb_meta_set_free_hooks(struct tb_meta *m,
			    const struct tb_meta_free_hooks *hooks, void *arg);

void tb_meta_get_settings(struct tb_meta *m, struct tb_meta_settings *s);
void tb_meta_set_settings(struct tb_meta *m, const struct tb_meta_settings *s);
void tb_meta_usage(struct tb_meta *m, struct tb_meta_usage *u);
/* The data device grew to @nr_blocks. */
int tb_meta_grow_data(struct tb_meta *m, u64 nr_blocks);
/*
 * Count the metadata blocks the metadata device has now, as far as the space
 * map can count them (tb_tm_fit_blocks(), THINBLK_META_MAX_BLOCKS); the next
 * commit makes it durable.  *@nr_blocks: the pool's metadata blocks after.
 * -EINVAL, nothing changed, if the device is smaller than the pool's count.
 */
int tb_meta_grow_meta(struct tb_meta *m, u64 *nr_blocks);
/* Metadata blocks of the device (up to THINBLK_META_MAX_BLOCKS). */
u64 tb_meta_dev_nr_blocks(struct tb_meta *m);

/* Volumes: iterate with @fn under the lock (pool open). */
int tb_meta_for_each_vol(struct tb_meta *m,
			 int (*fn)(void *arg, struct tb_mvol *v), void *arg);
/*
 * A new volume, empty or a snapshot of @origin, with a new id; @inactive:
 * its record is THINBLK_VOL_F_INACTIVE.  -EOVERFLOW: every id below
 * THINBLK_NO_ORIGIN has been given out (ids are not reused).
 */
int tb_meta_create_vol(struct tb_meta *m, const char *name, u64 size,
		       u64 limit, struct tb_mvol *origin, bool inactive,
		       struct tb_mvol **out);
/* -ENOSPC when out of metadata space (tb_meta_full()). */
int tb_meta_set_vol_size(struct tb_meta *m, struct tb_mvol *v, u64 size);
int tb_meta_set_vol_limit(struct tb_meta *m, struct tb_mvol *v, u64 limit);
/*
 * Mark @v deleted; tb_meta_reclaim() frees its blocks, and then @v itself,
 * once the deletion is committed: the caller must be done with @v by then.
 */
int tb_meta_delete_vol(struct tb_meta *m, struct tb_mvol *v);
/*
 * Set or clear @v's THINBLK_VOL_F_INACTIVE (to be committed by the caller;
 * nothing to do when it already is so: *@changed tells).  -ENOSPC out of
 * metadata space, -EROFS metadata read-only.  On a failed commit the caller
 * sets it back, only when *@changed.
 */
int tb_meta_set_vol_active(struct tb_meta *m, struct tb_mvol *v, bool active,
			   bool *changed);
/* Take a tb_meta_set_vol_active(@active) that changed the flag back. */
void tb_meta_unset_vol_active(struct tb_meta *m, struct tb_mvol *v,
			      bool active);
/*
 * Mark @v THINBLK_VOL_F_DEFERRED_DELETE (to be committed by the caller):
 * -ENOSPC out of metadata space, -EROFS metadata read-only.  With !@mark,
 * take the mark back (its commit failed; the record is rewritten unmarked):
 * that never fails.
 */
int tb_meta_defer_delete_vol(struct tb_meta *m, struct tb_mvol *v, bool mark);
/*
 * Pool open, before the volumes are activated: every record marked
 * DEFERRED_DELETE is deleted (as tb_meta_delete_vol(), to be committed);
 * none on read-only metadata.  Returns how many.
 */
unsigned int tb_meta_delete_deferred(struct tb_meta *m);
/*
 * Free a bounded amount of deleted volumes' space; *@more if any is left.
 * -EAGAIN: commit first, then call again (the step needs the space that
 * the commit makes reusable); -ENOSPC: not even then (nothing poisoned).
 */
int tb_meta_reclaim(struct tb_meta *m, bool *more);
/* Blocks that deleting @v would free. */
int tb_meta_vol_exclusive(struct tb_meta *m, struct tb_mvol *v, u64 *blocks);

/*
 * The I/O path.  Block numbers are in data-block units.
 * tb_meta_lookup: -ENODATA when @vblock was never written; *@exclusive
 * (optional) tells whether a write may go to *@dblock in place.  With
 * !@can_block (bio submission), -EWOULDBLOCK when a block isn't cached.
 */
int tb_meta_lookup(struct tb_meta *m, struct tb_mvol *v, u64 vblock,
		   bool can_block, u64 *dblock, bool *exclusive);
/* Lockless lookup in the translation cache only; false on a miss. */
bool tb_meta_lookup_cached(struct tb_mvol *v, u64 vblock, u64 *dblock,
			   bool *exclusive);
/*
 * Allocate a data block for writing @vblock of @v.  *@old is the block it is
 * mapped to now (to copy from), or U64_MAX.  The mapping is not changed until
 * tb_meta_insert(); tb_meta_unprovision() gives the block back.  With
 * !@can_block (bio submission): -EWOULDBLOCK when that would need metadata
 * I/O, or when metadata space runs low; else the insert, which comes after
 * the write is acknowledged (@acked), is charged to the metadata space now.
 * -EEXIST: @vblock is mapped to *@old and exclusive now (the sharing rule's
 * commit came since the caller's lookup): write it there in place.
 * -ENOSPC: no free data block; -ENOBUFS: no metadata space for the insert
 * (refused before anything changed, as tb_meta_full() says); -EDQUOT: over
 * @v's limit.
 */
int tb_meta_provision(struct tb_meta *m, struct tb_mvol *v, u64 vblock,
		      bool can_block, u64 *dblock, u64 *old);
/*
 * Map @vblock to @dblock.  -ENOSPC, with nothing changed, when out of
 * metadata space; unless @acked (the write was acknowledged: a direct
 * provisioning, whose insert spends what tb_meta_provision() charged).
 */
int tb_meta_insert(struct tb_meta *m, struct tb_mvol *v, u64 vblock,
		   u64 dblock, bool acked);
/* Give back a provisioned block; @direct: provisioned without can_block. */
void tb_meta_unprovision(struct tb_meta *m, struct tb_mvol *v, u64 dblock,
			 bool direct);
/* Unmap @vblock (discard); no-op when it is not mapped. */
int tb_meta_unmap(struct tb_meta *m, struct tb_mvol *v, u64 vblock);

#endif
