// SPDX-License-Identifier: GPL-2.0
/*
 * Pool metadata and the commit protocol.  See meta.h, and
 * Documentation/on-disk-format.md for the layout.
 *
 * Commit: (1) write the changed volume records into the volume table,
 * (2) flush the data device, so every block a new mapping points at is
 * durable, (3) write the metadata space map into its alternate slots and all
 * dirty blocks, flush, (4) write the superblock (new roots, slot bitmap,
 * transaction + 1), flush.  A crash before (4) completes leaves the previous
 * superblock, whose blocks were never overwritten.
 */
#include <linux/bitmap.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/xarray.h>
#include <linux/timekeeping.h>

#include "fault.h"
#include "meta.h"
#include "space_map.h"

/* The flags a live volume's record may carry. */
#define TB_VOL_LIVE_FLAGS	(THINBLK_VOL_F_LIVE | THINBLK_VOL_F_DEFERRED_DELETE | \
				 THINBLK_VOL_F_INACTIVE)
#define TB_SB_BLOCK 0
/* Translation cache entries per volume (8-16 bytes each). */
#define TB_CACHE_MAX (1UL << 20)

struct tb_meta {
	/* Protects everything here and in the tb_mvols; see meta.h. */
	struct rw_semaphore lock;
	struct block_device *data_bdev;
	struct block_device *bdev;	/* the metadata device */
	struct tb_bm *bm;
	struct tb_tm *tm;
	struct tb_dsm *dsm;
	struct tb_radix vol_tree;	/* id -> struct thinblk_disk_volume */
	struct tb_radix_root vol_root;
	struct tb_radix map_tree;	/* vblock -> data block + 1 */
	struct xarray vols;		/* id -> struct tb_mvol, live or deleting */
	struct tb_meta_settings settings;
	char name[THINBLK_NAME_MAX];
	u64 transaction;
	u64 ctime;
	u32 next_id;
	bool dirty;			/* changes since the last commit */
	/*
	 * A commit freed data blocks and waits to give them back: set under
	 * the lock with the commit, cleared under it with the release (which
	 * the commit mutex orders before the next commit); READ_ONCE.
	 */
	bool release;
	/*
	 * Poisoned: a change failed part way (a tree half shadowed, refcounts
	 * half raised) or a commit did (refcount slots flipped in memory,
	 * blocks maybe not on disk), so no later commit may build on this
	 * state, not even at close: the disk stays at the last good commit.
	 * @error is the first failure's.  Set under the lock held for writing.
	 */
	bool failed;
	int error;
	/*
	 * The metadata reserve (see "Metadata space" below): @record_debt is
	 * the most blocks the next commit may allocate, for the volume records
	 * marked dirty; @space_low is set when an ordinary change was refused
	 * for lack of space and cleared when space came back.  Under the lock
	 * held for writing; space_low read with READ_ONCE.
	 */
	u64 record_debt;
	bool space_low;
	/*
	 * Promised to direct provisionings (tb_promise()): admitted, their
	 * writes maybe acknowledged, their inserts not done yet, which may
	 * then not be refused.  How many, the count changes they may make,
	 * and the volumes they belong to (a record path each).  Under the
	 * lock held for writing.
	 */
	u64 promised_inserts;
	u64 promised_counts;
	u64 promised_vols;
	/*
	 * The reclaim finishes one deleted volume before it starts the next:
	 * @reclaim_vol (NULL: none started), and the metadata blocks its steps
	 * took out of that volume's tree (tb_radix_drop_step()), a bit for
	 * each metadata block (grown with the device, tb_meta_grow_meta()).
	 * Under the lock held for writing.
	 */
	struct tb_mvol *reclaim_vol;
	unsigned long *reclaim_dropped;
	/* memalloc_noio_save() of the writer holding the lock (tb_lock()) */
	unsigned int noio_flags;
	/* Serializes exclusive-usage walks and their cache in the tb_mvols. */
	struct mutex excl_mutex;
	/* Serializes commits, each until the blocks it freed are given back. */
	struct mutex commit_mutex;
	/* set once, before the first commit that can free a data block */
	const struct tb_meta_free_hooks *free_hooks;
	void *free_arg;
};

/*
 * Marks in m->vols, so that a commit and the reclaim find their volumes
 * without walking every volume (snapshot cost must not grow with their
 * number): a record to write at the next commit; a volume being deleted.
 */
#define TB_VOL_DIRTY	XA_MARK_0
#define TB_VOL_DELETING	XA_MARK_1

static u64 tb_record_path(struct tb_meta *m);

static void tb_vol_dirty(struct tb_meta *m, struct tb_mvol *v)
{
	if (!xa_get_mark(&m->vols, v->id, TB_VOL_DIRTY))
		m->record_debt += tb_record_path(m);
	xa_set_mark(&m->vols, v->id, TB_VOL_DIRTY);
	m->dirty = true;
}

/*
 * The lock for writing, and no allocation under it may recurse into I/O:
 * writes to a thin volume (swap, writeback) wait for this lock, so memory
 * reclaim writing to one while we hold it would deadlock.
 */
static void tb_lock(struct tb_meta *m)
{
	down_write(&m->lock);
	m->noio_flags = memalloc_noio_save();
}

static void tb_unlock(struct tb_meta *m)
{
	memalloc_noio_restore(m->noio_flags);
	up_write(&m->lock);
}

/*
 * A change to the metadata in memory failed with @r (lock held for writing):
 * it may be half done, so nothing may change or commit after it.
 */
static int tb_poison(struct tb_meta *m, int r)
{
	if (r && !m->failed) {
		m->failed = true;
		m->error = r;
		pr_err("thinblk: pool %s: metadata change failed (%d); nothing more will be committed\n",
		       m->name, r);
	}
	return r;
}

/* Refuse changes once poisoned (lock held for writing). */
static int tb_writable(struct tb_meta *m)
{
	return m->failed ? -EROFS : 0;
}

/*
 * Metadata space.
 *
 * Changes are of two kinds.  Ordinary ones take space and can do without:
 * provisioning inserts (of writes not yet acknowledged), discards' unmaps,
 * volume creates, snapshots, resizes and limit changes.  Each is admitted
 * only when, besides the most it can allocate, tb_meta_reserve() blocks stay
 * free, and is refused with -ENOSPC before it changes anything otherwise:
 * the metadata is not poisoned, @space_low says why, and everything that
 * needs no new block (reads, overwrites in place) goes on.  The others give
 * space back and may use the reserve: the commit, a volume delete, the
 * reclaim of deleted volumes.  The inserts of acknowledged writes may not be
 * refused either: direct provisioning (tb_meta_provision() in bio
 * submission) charges each its worst case when it is admitted, as an
 * ordinary change, and the charge is given back when the insert spends it
 * or the provisioning is dropped (tb_promise()).  The worker's provisioning
 * is admitted again at its insert, before its write is acknowledged.
 *
 * @record_debt is the most the next commit may allocate: a volume-table
 * path for each record marked dirty; tb_promised() bounds what the
 * promised inserts still to come may allocate.  Every change is admitted
 * only with free >= debt + promised besides its own need, so a commit and
 * those inserts always fit; an ordinary one with the reserve on top.
 *
 * Why the reserve is enough.  Nothing a delete, commit or reclaim shadows is
 * shared (the volume table and the data space map never are; the reclaim
 * copies only unshared nodes), so each block shadowed in a transaction frees
 * its old copy at the commit: after a commit, free space has gone down only
 * by what was newly created, never by copies.  A delete allocates nothing and
 * adds one record path to the debt, which its commit (the control operation
 * commits at once) spends.  A reclaim step copies at most a path of the
 * deleted tree, and for the leaf it frees changes a count per value (at most
 * a data space map path each, no more than its leaves: tb_leaf_counts()),
 * and dirties the record again.  So reserve = 2 record paths (the delete's,
 * the reclaim's) + the deepest mapping path + a leaf's count updates lets a
 * delete, its commit and a reclaim step run from the point where ordinary
 * changes stop.  A step that does not fit asks for a commit first (-EAGAIN);
 * a step and its commit free at least the leaf dropped and allocate nothing
 * net, so the reclaim gets through however large the volume.
 */

/* Volume ids are u32: the key of the volume table's deepest path. */
#define TB_RECORD_KEY_MAX	U32_MAX
/* Counts an insert changes besides a copied leaf's: the new block, the old. */
#define TB_INSERT_COUNTS	2

/* The most blocks writing one volume record may allocate. */
static u64 tb_record_path(struct tb_meta *m)
{
	return tb_radix_path_blocks(&m->vol_tree, &m->vol_root,
				    TB_RECORD_KEY_MAX);
}

/* The most blocks changing the count of each value of a leaf may allocate. */
static u64 tb_leaf_counts(struct tb_meta *m)
{
	return tb_dsm_update_blocks(m->dsm, m->map_tree.leaf_entries);
}

/* The deepest mapping tree's path: a volume of THINBLK_VOL_SIZE_MAX. */
static u64 tb_map_path_max(struct tb_meta *m)
{
	struct tb_radix_root empty = { 0, 0 };

	return tb_radix_path_blocks(&m->map_tree, &empty,
				    div_u64(THINBLK_VOL_SIZE_MAX,
					    m->settings.block_size));
}

static u64 tb_meta_reserve(struct tb_meta *m)
{
	return 2 * tb_record_path(m) + tb_map_path_max(m) + tb_leaf_counts(m);
}

/*
 * The most the promised inserts may allocate: a mapping path each, a record
 * path per volume, and their count changes (tb_dsm_update_blocks() bounds
 * those by the data space map's size: many inserts share its paths).
 */
static u64 tb_promised(struct tb_meta *m)
{
	return m->promised_inserts * tb_map_path_max(m) +
	       m->promised_vols * tb_record_path(m) +
	       tb_dsm_update_blocks(m->dsm, m->promised_counts);
}

/* Count changes an insert makes whose path is @shared (a copied leaf's). */
static u64 tb_insert_counts(struct tb_meta *m, bool shared)
{
	return TB_INSERT_COUNTS + (shared ? m->map_tree.leaf_entries : 0);
}

/*
 * Charge a direct provisioning of @v whose path is @shared now.  The charge
 * only has to stay enough until the insert: the path can become shared
 * meanwhile only by snapshotting @v, which waits for @v's writes and inserts
 * them first (and tb_meta_create_vol() charges what is left as shared); and
 * which of @v's provisionings is inserted first does not matter, as
 * tb_unpromise() gives back an unshared charge while there is one.
 */
static void tb_promise(struct tb_meta *m, struct tb_mvol *v, bool shared)
{
	if (!v->promised_unshared && !v->promised_shared)
		m->promised_vols++;
	if (shared)
		v->promised_shared++;
	else
		v->promised_unshared++;
	m->promised_inserts++;
	m->promised_counts += tb_insert_counts(m, shared);
}

static void __tb_unpromise(struct tb_meta *m, struct tb_mvol *v, bool shared)
{
	if (WARN_ON_ONCE(shared ? !v->promised_shared : !v->promised_unshared))
		return;
	if (shared)
		v->promised_shared--;
	else
		v->promised_unshared--;
	m->promised_inserts--;
	m->promised_counts -= tb_insert_counts(m, shared);
	if (!v->promised_unshared && !v->promised_shared)
		m->promised_vols--;
}

/* An insert spent its charge (or its provisioning was dropped). */
static void tb_unpromise(struct tb_meta *m, struct tb_mvol *v)
{
	__tb_unpromise(m, v, !v->promised_unshared);
}

/* @v was snapshotted: every insert of @v still to come may copy a leaf. */
static void tb_promise_shared(struct tb_meta *m, struct tb_mvol *v)
{
	/* none: tb_vol_make() froze @v and inserted its writes */
	WARN_ON_ONCE(v->promised_unshared);
	m->promised_counts += v->promised_unshared *
			      (tb_insert_counts(m, true) -
			       tb_insert_counts(m, false));
	v->promised_shared += v->promised_unshared;
	v->promised_unshared = 0;
}

/*
 * May a change start that allocates at most @need blocks and dirties a
 * record, leaving the reserve too when @ordinary?  Lock held for writing.
 */
static bool tb_room(struct tb_meta *m, u64 need, bool ordinary)
{
	u64 want = m->record_debt + tb_promised(m) + tb_record_path(m) + need;

	if (ordinary)
		want += tb_meta_reserve(m);
	return tb_tm_nr_free(m->tm) >= want;
}

/* Admit an ordinary change of at most @need blocks, or refuse it. */
static int tb_ordinary_room(struct tb_meta *m, u64 need)
{
	if (!m->space_low && tb_room(m, need, true))
		return 0;
	if (!m->space_low)
		pr_warn("thinblk: pool %s: out of metadata space (%llu of %llu blocks free, %llu kept for commit, delete and reclaim, %llu for writes in flight)\n",
			m->name, tb_tm_nr_free(m->tm), tb_bm_nr_blocks(m->bm),
			tb_meta_reserve(m), tb_promised(m));
	WRITE_ONCE(m->space_low, true);
	return -ENOSPC;
}

/*
 * After a commit or a grow: space is back when a reserve's worth more than
 * the point where ordinary changes stopped is free (so that the state does
 * not flap with every block freed and taken).
 */
static void tb_space_recheck(struct tb_meta *m)
{
	if (!m->space_low || !tb_room(m, tb_meta_reserve(m), true))
		return;
	WRITE_ONCE(m->space_low, false);
	pr_info("thinblk: pool %s: metadata space available again (%llu blocks free)\n",
		m->name, tb_tm_nr_free(m->tm));
}

/*
 * The most blocks changing the mapping of @vblock may allocate: the path,
 * the counts of the new and old blocks, and those of a shared leaf's values
 * when the path is shared (the copy references them all).
 */
static u64 tb_mapping_cost(struct tb_meta *m, struct tb_mvol *v, u64 vblock,
			   bool shared)
{
	return tb_radix_path_blocks(&m->map_tree, &v->root, vblock) +
	       tb_dsm_update_blocks(m->dsm, tb_insert_counts(m, shared));
}

/*
 * Admit an ordinary change of the mapping of @vblock, whose path is @shared
 * (tb_path_shared()), or refuse it.
 */
static int tb_mapping_room(struct tb_meta *m, struct tb_mvol *v, u64 vblock,
			   bool shared)
{
	return tb_ordinary_room(m, tb_mapping_cost(m, v, vblock, shared));
}

/* Is a node on the path to @vblock shared? */
static int tb_path_shared(struct tb_meta *m, struct tb_mvol *v, u64 vblock,
			  bool *shared)
{
	__le32 value;

	return tb_radix_lookup(&m->map_tree, &v->root, vblock, true, &value,
			       shared);
}

static struct tb_mvol *tb_mvol_alloc(void)
{
	struct tb_mvol *v = kzalloc(sizeof(*v), GFP_KERNEL);

	if (v)
		xa_init(&v->cache);
	return v;
}

static void tb_cache_clear(struct tb_mvol *v)
{
	xa_destroy(&v->cache);
	atomic_long_set(&v->cached, 0);
}

static void tb_mvol_free(struct tb_mvol *v)
{
	xa_destroy(&v->cache);
	kfree(v);
}

/* Record the current mapping of @vblock (lock held, either side). */
static void tb_cache_set(struct tb_mvol *v, u64 vblock, u64 dblock,
			 bool exclusive)
{
	void *old;

	if (atomic_long_read(&v->cached) >= TB_CACHE_MAX)
		tb_cache_clear(v);
	old = xa_store(&v->cache, vblock, xa_mk_value(dblock << 1 | exclusive),
		       GFP_NOWAIT | __GFP_NOWARN);
	if (!old)
		atomic_long_inc(&v->cached);
	else if (xa_is_err(old))
		xa_erase(&v->cache, vblock);
}

static void tb_cache_drop(struct tb_mvol *v, u64 vblock)
{
	if (xa_erase(&v->cache, vblock))
		atomic_long_dec(&v->cached);
}

bool tb_meta_lookup_cached(struct tb_mvol *v, u64 vblock, u64 *dblock,
			   bool *exclusive)
{
	unsigned long e;
	void *entry;

	entry = xa_load(&v->cache, vblock);
	if (!entry)
		return false;
	e = xa_to_value(entry);
	*dblock = e >> 1;
	*exclusive = e & 1;
	return true;
}

static int tb_map_inc(void *ctx, const void *value)
{
	struct tb_meta *m = ctx;

	return tb_dsm_inc(m->dsm, le32_to_cpup(value) - 1);
}

static int tb_map_dec(void *ctx, const void *value)
{
	struct tb_meta *m = ctx;

	return tb_dsm_dec(m->dsm, le32_to_cpup(value) - 1, NULL);
}

/* Metadata blocks the device holds, as far as the format counts them. */
static u64 tb_meta_dev_blocks(struct block_device *meta_bdev)
{
	return min_t(u64, THINBLK_META_MAX_BLOCKS,
		     bdev_nr_bytes(meta_bdev) / THINBLK_META_BLOCK_SIZE);
}

/* The block manager covers the whole device until the pool's size is known. */
static struct tb_meta *tb_meta_alloc(struct block_device *meta_bdev,
				     struct block_device *data_bdev)
{
	struct tb_meta *m = kzalloc(sizeof(*m), GFP_KERNEL);
	int r;

	if (!m)
		return ERR_PTR(-ENOMEM);
	init_rwsem(&m->lock);
	mutex_init(&m->excl_mutex);
	mutex_init(&m->commit_mutex);
	xa_init(&m->vols);
	m->data_bdev = data_bdev;
	m->bdev = meta_bdev;
	m->bm = tb_bm_create(meta_bdev, tb_meta_dev_blocks(meta_bdev));
	if (IS_ERR(m->bm)) {
		r = PTR_ERR(m->bm);
		kfree(m);
		return ERR_PTR(r);
	}
	return m;
}

/*
 * The space map and the trees, for a pool of @nr_blocks metadata blocks
 * whose space map was laid out with @msm_blocks refcount blocks (R).
 */
static int tb_meta_attach_tm(struct tb_meta *m, u64 nr_blocks, u32 msm_blocks)
{
	tb_bm_set_nr_blocks(m->bm, nr_blocks);
	m->tm = tb_tm_create(m->bm, msm_blocks);
	if (IS_ERR(m->tm)) {
		int r = PTR_ERR(m->tm);

		m->tm = NULL;
		return r;
	}
	m->reclaim_dropped = kvcalloc(BITS_TO_LONGS(nr_blocks), sizeof(long),
				      GFP_KERNEL);
	if (!m->reclaim_dropped)
		return -ENOMEM;
	tb_radix_init(&m->vol_tree, m->tm, sizeof(struct thinblk_disk_volume),
		      NULL, NULL, NULL);
	tb_radix_init(&m->map_tree, m->tm, sizeof(__le32), tb_map_inc,
		      tb_map_dec, m);
	return 0;
}

void tb_meta_close(struct tb_meta *m)
{
	struct tb_mvol *v;
	unsigned long id;

	xa_for_each(&m->vols, id, v)
		tb_mvol_free(v);
	xa_destroy(&m->vols);
	if (m->dsm)
		tb_dsm_destroy(m->dsm);
	if (m->tm)
		tb_tm_destroy(m->tm);
	kvfree(m->reclaim_dropped);
	tb_bm_destroy(m->bm);
	kfree(m);
}

static void tb_root_to_disk(struct thinblk_disk_root *d,
			    const struct tb_radix_root *r)
{
	d->block = cpu_to_le64(r->block);
	d->depth = cpu_to_le32(r->depth);
	d->pad = 0;
}

static void tb_root_from_disk(struct tb_radix_root *r,
			      const struct thinblk_disk_root *d)
{
	r->block = le64_to_cpu(d->block);
	r->depth = le32_to_cpu(d->depth);
}

static void tb_fill_superblock(struct tb_meta *m,
			       struct thinblk_disk_superblock *sb)
{
	struct tb_meta_settings *s = &m->settings;
	struct tb_radix_root dsm_root = tb_dsm_root(m->dsm);

	sb->magic = cpu_to_le64(THINBLK_SB_MAGIC);
	/* version 1 code can still open a pool that never spilled */
	sb->version = cpu_to_le32(tb_tm_spilled(m->tm) ?
				  THINBLK_FORMAT_VERSION_SPILLED :
				  THINBLK_FORMAT_VERSION);
	sb->meta_block_size = cpu_to_le32(THINBLK_META_BLOCK_SIZE);
	sb->transaction = cpu_to_le64(m->transaction + 1);
	sb->nr_meta_blocks = cpu_to_le64(tb_bm_nr_blocks(m->bm));
	sb->nr_data_blocks = cpu_to_le64(tb_dsm_nr_blocks(m->dsm));
	sb->data_allocated = cpu_to_le64(tb_dsm_nr_allocated(m->dsm));
	sb->data_block_size = cpu_to_le32(s->block_size);
	sb->pool_flags = cpu_to_le32(s->flags);
	sb->basesize = cpu_to_le64(s->basesize);
	sb->low_water = cpu_to_le64(s->low_water);
	sb->min_free = cpu_to_le64(s->min_free);
	sb->no_space = cpu_to_le32(s->no_space);
	sb->no_space_timeout = cpu_to_le32(s->no_space_timeout);
	sb->next_volume_id = cpu_to_le32(m->next_id);
	sb->ctime = cpu_to_le64(m->ctime);
	tb_root_to_disk(&sb->data_sm, &dsm_root);
	tb_root_to_disk(&sb->volumes, &m->vol_root);
	memcpy(sb->name, m->name, sizeof(sb->name));
}

static void tb_vol_to_disk(struct thinblk_disk_volume *d,
			   const struct tb_mvol *v)
{
	tb_root_to_disk(&d->root, &v->root);
	d->size = cpu_to_le64(v->size);
	d->limit = cpu_to_le64(v->limit);
	d->mapped = cpu_to_le64(v->mapped);
	d->owned = cpu_to_le64(v->owned);
	d->ctime = cpu_to_le64(v->ctime);
	d->origin = cpu_to_le32(v->origin);
	d->flags = cpu_to_le32(v->flags);
	memcpy(d->name, v->name, sizeof(d->name));
}

static int tb_write_vol_record(struct tb_meta *m, struct tb_mvol *v)
{
	struct tb_radix_slot slot;
	int r;

	r = tb_radix_writable(&m->vol_tree, &m->vol_root, v->id, &slot);
	if (r)
		return r;
	if (v->flags)
		tb_vol_to_disk(slot.value, v);
	else
		memset(slot.value, 0, sizeof(struct thinblk_disk_volume));
	tb_radix_put(&slot);
	xa_clear_mark(&m->vols, v->id, TB_VOL_DIRTY);
	return 0;
}

static int __tb_meta_commit(struct tb_meta *m)
{
	struct thinblk_disk_superblock *sb;
	struct dm_buffer *buf;
	struct tb_mvol *v;
	unsigned long id;
	int r;

	lockdep_assert_held_write(&m->lock);
	xa_for_each_marked(&m->vols, id, v, TB_VOL_DIRTY) {
		r = tb_write_vol_record(m, v);
		if (r)
			return r;
	}
	r = blkdev_issue_flush(m->data_bdev);
	if (r)
		return r;
	tb_fault_delay(TB_FAULT_COMMIT_DELAY);
	r = tb_bm_new(m->bm, TB_SB_BLOCK, THINBLK_BLOCK_SUPER, &buf,
		      (void **)&sb);
	if (r)
		return r;
	tb_fill_superblock(m, sb);
	r = tb_tm_pre_commit(m->tm, sb);
	if (r) {
		tb_bm_release(buf);
		return r;
	}
	/* Only now may the superblock reach the disk. */
	tb_bm_dirty(buf);
	tb_bm_release(buf);
	r = tb_bm_flush(m->bm);
	if (r)
		return r;
	m->transaction++;
	m->dirty = false;
	m->record_debt = 0;
	tb_tm_post_commit(m->tm);
	WRITE_ONCE(m->release, tb_dsm_commit_done(m->dsm));
	tb_space_recheck(m);
	return 0;
}

/*
 * Give back the data blocks freed by the commits so far.  A bio remapped to
 * one of them before the commit that freed it may still be in flight: a read
 * of another volume's data, or a write over it, once the block is allocated
 * again.  So first wait for such I/O (without the lock: it may be waiting
 * for it), as dm-thin's deferred sets do; the commit mutex keeps the next
 * commit from starting meanwhile.  An allocation that finds no space
 * meanwhile waits for it (tb_meta_release_pending()).  The wait is as long
 * as the slowest such bio: a data device that takes minutes stalls commits.
 */
static void tb_meta_release(struct tb_meta *m)
{
	const struct tb_meta_free_hooks *hooks = m->free_hooks;

	lockdep_assert_held(&m->commit_mutex);
	if (hooks && hooks->quiesce)
		hooks->quiesce(m->free_arg);
	tb_lock(m);
	tb_dsm_release(m->dsm, hooks ? hooks->discard : NULL, m->free_arg);
	WRITE_ONCE(m->release, false);
	tb_unlock(m);
}

int tb_meta_commit(struct tb_meta *m)
{
	bool release;
	int r = 0;

	mutex_lock(&m->commit_mutex);
	tb_lock(m);
	if (m->failed) {
		r = -EIO;
	} else if (m->dirty) {
		r = tb_poison(m, __tb_meta_commit(m));
	} else {
		/* nothing to commit, but data may have been written in place */
		r = blkdev_issue_flush(m->data_bdev);
	}
	release = !r && m->release;
	tb_unlock(m);
	if (release)
		tb_meta_release(m);
	mutex_unlock(&m->commit_mutex);
	return r;
}

bool tb_meta_failed(struct tb_meta *m)
{
	return READ_ONCE(m->failed);
}

int tb_meta_error(struct tb_meta *m)
{
	return READ_ONCE(m->failed) ? READ_ONCE(m->error) : 0;
}

bool tb_meta_full(struct tb_meta *m)
{
	return READ_ONCE(m->space_low) || tb_tm_full(m->tm);
}

bool tb_meta_needs_commit(struct tb_meta *m)
{
	return READ_ONCE(m->dirty);
}

bool tb_meta_release_pending(struct tb_meta *m)
{
	return READ_ONCE(m->release);
}

void tb_meta_set_free_hooks(struct tb_meta *m,
			    const struct tb_meta_free_hooks *hooks, void *arg)
{
	tb_lock(m);
	m->free_hooks = hooks;
	m->free_arg = arg;
	tb_unlock(m);
}

static u64 tb_data_blocks(struct block_device *data, u32 block_size)
{
	return div_u64(bdev_nr_bytes(data), block_size);
}

int tb_meta_format(struct block_device *meta_bdev,
		   struct block_device *data_bdev, const char *name,
		   const struct tb_meta_settings *s, struct tb_meta **out)
{
	struct tb_radix_root empty = { 0, 0 };
	u64 nr_data = tb_data_blocks(data_bdev, s->block_size), nr;
	struct tb_meta *m;
	int r;

	BUILD_BUG_ON(sizeof(struct thinblk_disk_superblock) >
		     THINBLK_META_BLOCK_SIZE);
	BUILD_BUG_ON(sizeof(struct thinblk_disk_volume) != 128);
	if (!nr_data)
		return -ENOSPC;
	if (nr_data > THINBLK_DATA_BLOCKS_MAX)
		return -EFBIG;
	m = tb_meta_alloc(meta_bdev, data_bdev);
	if (IS_ERR(m))
		return PTR_ERR(m);
	nr = tb_meta_dev_blocks(meta_bdev);
	r = tb_meta_attach_tm(m, nr, tb_tm_refcount_blocks(nr));
	if (!r)
		r = tb_tm_format(m->tm);
	if (r)
		goto bad;
	m->dsm = tb_dsm_create(m->tm, nr_data, &empty, 0);
	if (IS_ERR(m->dsm)) {
		r = PTR_ERR(m->dsm);
		m->dsm = NULL;
		goto bad;
	}
	m->settings = *s;
	strscpy(m->name, name, sizeof(m->name));
	m->ctime = ktime_get_real_ns();
	m->transaction = 0;
	tb_lock(m);
	r = __tb_meta_commit(m);
	tb_unlock(m);
	if (r)
		goto bad;
	*out = m;
	return 0;
bad:
	tb_meta_close(m);
	return r;
}

int tb_meta_probe(struct block_device *bdev, char *name, size_t len)
{
	struct thinblk_disk_superblock *sb;
	struct bio_vec bvec;
	struct page *page;
	struct bio bio;
	int r;

	BUILD_BUG_ON(THINBLK_META_BLOCK_SIZE > PAGE_SIZE);
	if (bdev_nr_bytes(bdev) < THINBLK_META_BLOCK_SIZE)
		return 0;
	page = alloc_page(GFP_KERNEL);
	if (!page)
		return -ENOMEM;
	bio_init(&bio, bdev, &bvec, 1, REQ_OP_READ);
	bio.bi_iter.bi_sector = TB_SB_BLOCK * (THINBLK_META_BLOCK_SIZE >> SECTOR_SHIFT);
	__bio_add_page(&bio, page, THINBLK_META_BLOCK_SIZE, 0);
	r = submit_bio_wait(&bio);
	bio_uninit(&bio);
	if (!r) {
		sb = page_address(page);
		r = le64_to_cpu(sb->magic) == THINBLK_SB_MAGIC;
		if (r)
			strscpy(name, sb->name, min(len, sizeof(sb->name)));
	}
	__free_page(page);
	return r;
}

/*
 * Everything read from disk is checked before it is used: a checksum only
 * says that a block is as written, not that what was written makes sense.
 */

/* Walks recurse as deep as a tree is: bound it before any walk. */
static int tb_check_root(const char *what, const struct thinblk_disk_root *d)
{
	u32 depth = le32_to_cpu(d->depth);

	if (tb_radix_depth_valid(depth))
		return 0;
	pr_err("thinblk: %s root of depth %u, deeper than any tree\n", what,
	       depth);
	return -EUCLEAN;
}

static int tb_check_sb_data(const struct thinblk_disk_superblock *sb)
{
	u64 nr = le64_to_cpu(sb->nr_data_blocks);

	if (nr && nr <= THINBLK_DATA_BLOCKS_MAX)
		return 0;
	pr_err("thinblk: superblock: %llu data blocks, the format holds 1 to %llu\n",
	       nr, THINBLK_DATA_BLOCKS_MAX);
	return -EUCLEAN;
}

/* Is @size a volume size (or basesize) of uapi/linux/thinblk.h's range? */
static bool tb_vol_size_valid(u64 size)
{
	return size && IS_ALIGNED(size, THINBLK_SECTOR_SIZE) &&
	       size <= THINBLK_VOL_SIZE_MAX;
}

/* The settings in @sb (whose data block size and count are checked). */
static int tb_check_sb_settings(const struct thinblk_disk_superblock *sb)
{
	u64 nr = le64_to_cpu(sb->nr_data_blocks);
	u64 data_bytes = nr * le32_to_cpu(sb->data_block_size);
	u64 allocated = le64_to_cpu(sb->data_allocated);
	u64 basesize = le64_to_cpu(sb->basesize);
	u64 low_water = le64_to_cpu(sb->low_water);
	u64 min_free = le64_to_cpu(sb->min_free);
	u32 no_space = le32_to_cpu(sb->no_space);
	u32 timeout = le32_to_cpu(sb->no_space_timeout);
	u32 flags = le32_to_cpu(sb->pool_flags);

	if (allocated > nr) {
		pr_err("thinblk: superblock: data_allocated %llu above the %llu data blocks\n",
		       allocated, nr);
	} else if (no_space >= __THINBLK_NO_SPACE_MAX) {
		pr_err("thinblk: superblock: unknown no_space policy %u\n",
		       no_space);
	} else if (!timeout || timeout > THINBLK_NO_SPACE_TIMEOUT_MAX) {
		pr_err("thinblk: superblock: no_space_timeout %u outside 1 to %u\n",
		       timeout, THINBLK_NO_SPACE_TIMEOUT_MAX);
	} else if (low_water > data_bytes) {
		pr_err("thinblk: superblock: low_water %llu above the data size %llu\n",
		       low_water, data_bytes);
	} else if (min_free > data_bytes) {
		pr_err("thinblk: superblock: min_free %llu above the data size %llu\n",
		       min_free, data_bytes);
	} else if (!tb_vol_size_valid(basesize)) {
		pr_err("thinblk: superblock: basesize %llu not a multiple of 512 from 512 to %llu\n",
		       basesize, THINBLK_VOL_SIZE_MAX);
	} else if (flags & ~THINBLK_POOL_F_ALL) {
		pr_err("thinblk: superblock: unknown pool_flags %#x\n", flags);
	} else {
		return 0;
	}
	return -EUCLEAN;
}

/*
 * The pool counts the metadata blocks its superblock says: a device that
 * grew since is used as far as that, until the next pool grow takes the
 * rest (tb_meta_grow_meta()).  One that shrank cuts off blocks in use.
 */
static int tb_check_sb_meta(struct tb_meta *m,
			    const struct thinblk_disk_superblock *sb)
{
	u64 nr = le64_to_cpu(sb->nr_meta_blocks);
	u32 msm = le32_to_cpu(sb->msm_blocks), all = tb_tm_refcount_blocks(nr);
	bool spilled = le32_to_cpu(sb->version) == THINBLK_FORMAT_VERSION_SPILLED;

	if (nr > tb_bm_nr_blocks(m->bm)) {
		pr_err("thinblk: metadata device is smaller than the pool's metadata (%llu < %llu blocks)\n",
		       tb_bm_nr_blocks(m->bm), nr);
		return -EINVAL;
	}
	/*
	 * R refcount blocks, all of them unless the version says some spill;
	 * the superblock, R's slots and a node at least; a spilled last one
	 * has its slots and a block to count (tb_tm_fit_blocks()).
	 */
	if (nr > THINBLK_META_MAX_BLOCKS || !msm ||
	    (spilled ? msm >= all : msm != all) ||
	    nr <= TB_SB_BLOCK + 1 + 2ULL * msm ||
	    (spilled && nr - (u64)(all - 1) * THINBLK_REFCOUNTS_PER_BLOCK <= 2)) {
		pr_err("thinblk: superblock: %llu metadata blocks do not fit its space map (%u refcount blocks after the superblock, version %u)\n",
		       nr, msm, le32_to_cpu(sb->version));
		return -EUCLEAN;
	}
	return 0;
}

static int tb_check_superblock(struct tb_meta *m,
			       const struct thinblk_disk_superblock *sb)
{
	u32 bs = le32_to_cpu(sb->data_block_size);
	int r;

	if (le64_to_cpu(sb->magic) != THINBLK_SB_MAGIC) {
		pr_err("thinblk: not a thinblk metadata device\n");
		return -EINVAL;
	}
	if ((le32_to_cpu(sb->version) != THINBLK_FORMAT_VERSION &&
	     le32_to_cpu(sb->version) != THINBLK_FORMAT_VERSION_SPILLED) ||
	    le32_to_cpu(sb->meta_block_size) != THINBLK_META_BLOCK_SIZE) {
		pr_err("thinblk: unsupported metadata version %u\n",
		       le32_to_cpu(sb->version));
		return -EINVAL;
	}
	r = tb_check_sb_meta(m, sb);
	if (r)
		return r;
	if (!is_power_of_2(bs) || bs < THINBLK_BLOCK_SIZE_MIN ||
	    bs > THINBLK_BLOCK_SIZE_MAX) {
		pr_err("thinblk: superblock: bad data block size %u\n", bs);
		return -EUCLEAN;
	}
	r = tb_check_sb_data(sb);
	if (!r)
		r = tb_check_sb_settings(sb);
	if (!r)
		r = tb_check_root("superblock: data space map", &sb->data_sm);
	if (!r)
		r = tb_check_root("superblock: volume table", &sb->volumes);
	if (r)
		return r;
	if (tb_data_blocks(m->data_bdev, bs) < le64_to_cpu(sb->nr_data_blocks)) {
		pr_err("thinblk: data device is smaller than the pool\n");
		return -EINVAL;
	}
	return 0;
}

static void tb_settings_from_disk(struct tb_meta_settings *s,
				  const struct thinblk_disk_superblock *sb)
{
	s->block_size = le32_to_cpu(sb->data_block_size);
	s->flags = le32_to_cpu(sb->pool_flags);
	s->basesize = le64_to_cpu(sb->basesize);
	s->low_water = le64_to_cpu(sb->low_water);
	s->min_free = le64_to_cpu(sb->min_free);
	s->no_space = le32_to_cpu(sb->no_space);
	s->no_space_timeout = le32_to_cpu(sb->no_space_timeout);
}

/*
 * A record's block counters: a volume maps at most the blocks its size
 * holds.  @owned only grows when the volume allocates and falls when its own
 * change frees a block (a block it allocated that a snapshot then frees
 * stays counted), so it is only held to what the limit check can multiply
 * by the block size.
 */
static int tb_check_vol_counts(struct tb_meta *m, u64 id,
			       const struct thinblk_disk_volume *d)
{
	u32 bs = m->settings.block_size;
	u64 blocks = DIV_ROUND_UP_ULL(le64_to_cpu(d->size), bs);
	u64 mapped = le64_to_cpu(d->mapped), owned = le64_to_cpu(d->owned);

	if (mapped > blocks) {
		pr_err("thinblk: volume %llu: mapped %llu blocks, its size holds %llu\n",
		       id, mapped, blocks);
		return -EUCLEAN;
	}
	if (owned > div_u64(U64_MAX, bs)) {
		pr_err("thinblk: volume %llu: owned %llu blocks, too many to count in bytes\n",
		       id, owned);
		return -EUCLEAN;
	}
	return 0;
}

/* A volume record's own fields, keyed @id in the volume table. */
static int tb_check_vol_record(struct tb_meta *m, u64 id,
			       const struct thinblk_disk_volume *d)
{
	u32 origin = le32_to_cpu(d->origin), flags = le32_to_cpu(d->flags);
	u64 size = le64_to_cpu(d->size);

	if (id > U32_MAX) {
		pr_err("thinblk: volume table: key %llu does not fit a volume id\n",
		       id);
		return -EUCLEAN;
	}
	if (id >= m->next_id) {
		pr_err("thinblk: volume %llu: id not below the next id %u\n",
		       id, m->next_id);
		return -EUCLEAN;
	}
	/*
	 * DELETING alone, or LIVE with either, both or neither of
	 * DEFERRED_DELETE and INACTIVE (a volume flagged inactive may be
	 * activated by pool open --activate, then marked for deletion).
	 */
	if (flags != THINBLK_VOL_F_DELETING &&
	    (flags & ~TB_VOL_LIVE_FLAGS || !(flags & THINBLK_VOL_F_LIVE))) {
		pr_err("thinblk: volume %llu: bad flags %#x\n", id, flags);
		return -EUCLEAN;
	}
	/* a snapshot's id is always above its origin's */
	if (origin != THINBLK_NO_ORIGIN && origin >= id) {
		pr_err("thinblk: volume %llu: bad origin %u\n", id, origin);
		return -EUCLEAN;
	}
	if (!tb_vol_size_valid(size)) {
		pr_err("thinblk: volume %llu: bad size %llu\n", id, size);
		return -EUCLEAN;
	}
	if (!tb_radix_depth_valid(le32_to_cpu(d->root.depth))) {
		pr_err("thinblk: volume %llu: mapping root of depth %u, deeper than any tree\n",
		       id, le32_to_cpu(d->root.depth));
		return -EUCLEAN;
	}
	if (!memchr(d->name, 0, sizeof(d->name))) {
		pr_err("thinblk: volume %llu: name not NUL-terminated\n", id);
		return -EUCLEAN;
	}
	return tb_check_vol_counts(m, id, d);
}

static int tb_load_vol(void *arg, u64 id, const void *value, bool shared)
{
	const struct thinblk_disk_volume *d = value;
	struct tb_meta *m = arg;
	struct tb_mvol *v;
	int r;

	r = tb_check_vol_record(m, id, d);
	if (r)
		return r;
	v = tb_mvol_alloc();
	if (!v)
		return -ENOMEM;
	v->id = id;
	tb_root_from_disk(&v->root, &d->root);
	v->size = le64_to_cpu(d->size);
	v->limit = le64_to_cpu(d->limit);
	v->mapped = le64_to_cpu(d->mapped);
	v->owned = le64_to_cpu(d->owned);
	v->ctime = le64_to_cpu(d->ctime);
	v->origin = le32_to_cpu(d->origin);
	v->flags = le32_to_cpu(d->flags);
	memcpy(v->name, d->name, sizeof(v->name));
	v->name[THINBLK_NAME_MAX - 1] = 0;
	r = xa_insert(&m->vols, id, v, GFP_KERNEL);
	if (r)
		tb_mvol_free(v);
	else if (v->flags & THINBLK_VOL_F_DELETING)
		xa_set_mark(&m->vols, id, TB_VOL_DELETING);
	return r;
}

/* A device that never held a pool is not "damaged": tell them apart. */
static int tb_check_magic(struct tb_meta *m)
{
	struct thinblk_disk_superblock *sb = kmalloc(THINBLK_META_BLOCK_SIZE,
						     GFP_KERNEL);
	int r;

	if (!sb)
		return -ENOMEM;
	r = tb_bm_peek(m->bm, TB_SB_BLOCK, sb);
	if (!r && le64_to_cpu(sb->magic) != THINBLK_SB_MAGIC) {
		pr_err("thinblk: not a thinblk metadata device\n");
		r = -EINVAL;
	}
	kfree(sb);
	return r;
}

static int tb_meta_load(struct tb_meta *m)
{
	struct thinblk_disk_superblock *sb;
	struct tb_radix_root dsm_root;
	struct dm_buffer *buf;
	int r;

	r = tb_check_magic(m);
	if (r)
		return r;
	r = tb_bm_read(m->bm, TB_SB_BLOCK, THINBLK_BLOCK_SUPER, true, &buf,
		       (void **)&sb);
	if (r)
		return r;
	r = tb_check_superblock(m, sb);
	if (!r)
		r = tb_meta_attach_tm(m, le64_to_cpu(sb->nr_meta_blocks),
				      le32_to_cpu(sb->msm_blocks));
	if (r)
		goto out;
	r = tb_tm_open(m->tm, sb);
	if (r)
		goto out;
	tb_settings_from_disk(&m->settings, sb);
	m->transaction = le64_to_cpu(sb->transaction);
	m->ctime = le64_to_cpu(sb->ctime);
	m->next_id = le32_to_cpu(sb->next_volume_id);
	memcpy(m->name, sb->name, sizeof(m->name));
	m->name[THINBLK_NAME_MAX - 1] = 0;
	tb_root_from_disk(&dsm_root, &sb->data_sm);
	tb_root_from_disk(&m->vol_root, &sb->volumes);
	m->dsm = tb_dsm_create(m->tm, le64_to_cpu(sb->nr_data_blocks),
			       &dsm_root, le64_to_cpu(sb->data_allocated));
	if (IS_ERR(m->dsm)) {
		r = PTR_ERR(m->dsm);
		m->dsm = NULL;
	}
out:
	tb_bm_release(buf);
	if (r)
		return r;
	r = tb_radix_walk(&m->vol_tree, &m->vol_root, false, tb_load_vol, m);
	if (r)
		pr_err("thinblk: pool %s: loading the volume table failed (%d)\n",
		       m->name, r);
	return r;
}

int tb_meta_open(struct block_device *meta_bdev,
		 struct block_device *data_bdev, struct tb_meta **out)
{
	struct tb_meta *m = tb_meta_alloc(meta_bdev, data_bdev);
	int r;

	if (IS_ERR(m))
		return PTR_ERR(m);
	r = tb_meta_load(m);
	if (r) {
		tb_meta_close(m);
		return r;
	}
	*out = m;
	return 0;
}

void tb_meta_get_settings(struct tb_meta *m, struct tb_meta_settings *s)
{
	down_read(&m->lock);
	*s = m->settings;
	up_read(&m->lock);
}

void tb_meta_set_settings(struct tb_meta *m, const struct tb_meta_settings *s)
{
	tb_lock(m);
	m->settings = *s;
	m->dirty = true;
	tb_unlock(m);
}

void tb_meta_usage(struct tb_meta *m, struct tb_meta_usage *u)
{
	down_read(&m->lock);
	u->data_blocks = tb_dsm_nr_blocks(m->dsm);
	u->data_used = tb_dsm_nr_allocated(m->dsm) + tb_dsm_nr_reserved(m->dsm);
	u->meta_blocks = tb_bm_nr_blocks(m->bm);
	u->meta_used = tb_tm_nr_used(m->tm);
	u->transaction = m->transaction;
	up_read(&m->lock);
}

int tb_meta_grow_data(struct tb_meta *m, u64 nr_blocks)
{
	int r;

	if (nr_blocks > THINBLK_DATA_BLOCKS_MAX)
		return -EFBIG;
	tb_lock(m);
	r = tb_dsm_resize(m->dsm, nr_blocks);
	if (!r)
		m->dirty = true;
	tb_unlock(m);
	return r;
}

/*
 * Count @nr metadata blocks: the space map, and the reclaim's bitmap of the
 * blocks it dropped (its bits so far kept: a reclaim may be half-way).
 */
static int tb_grow_tm(struct tb_meta *m, u64 nr)
{
	u64 old = tb_bm_nr_blocks(m->bm);
	unsigned long *dropped;
	int r;

	dropped = tb_bitmap_grow(m->reclaim_dropped, old, nr);
	if (!dropped)
		return -ENOMEM;
	r = tb_tm_grow(m->tm, nr);
	if (r) {
		kvfree(dropped);
		return r;
	}
	kvfree(m->reclaim_dropped);
	m->reclaim_dropped = dropped;
	return 0;
}

int tb_meta_grow_meta(struct tb_meta *m, u64 *nr_blocks)
{
	u64 dev = tb_meta_dev_blocks(m->bdev), nr;
	int r;

	tb_lock(m);
	r = tb_writable(m);
	nr = tb_bm_nr_blocks(m->bm);
	if (!r && dev < nr)
		r = -EINVAL;
	if (!r && dev > nr) {
		nr = tb_tm_fit_blocks(m->tm, dev);
		r = tb_grow_tm(m, nr);
	}
	if (!r && nr != tb_bm_nr_blocks(m->bm)) {
		tb_bm_set_nr_blocks(m->bm, nr);
		m->dirty = true;
		tb_space_recheck(m);
	}
	*nr_blocks = tb_bm_nr_blocks(m->bm);
	tb_unlock(m);
	return r;
}

u64 tb_meta_dev_nr_blocks(struct tb_meta *m)
{
	return tb_meta_dev_blocks(m->bdev);
}

int tb_meta_for_each_vol(struct tb_meta *m,
			 int (*fn)(void *arg, struct tb_mvol *v), void *arg)
{
	struct tb_mvol *v;
	unsigned long id;
	int r = 0;

	down_read(&m->lock);
	xa_for_each(&m->vols, id, v) {
		if (!(v->flags & THINBLK_VOL_F_LIVE))
			continue;
		r = fn(arg, v);
		if (r)
			break;
	}
	up_read(&m->lock);
	return r;
}

int tb_meta_create_vol(struct tb_meta *m, const char *name, u64 size,
		       u64 limit, struct tb_mvol *origin, bool inactive,
		       struct tb_mvol **out)
{
	struct tb_mvol *v = tb_mvol_alloc();
	int r;

	if (!v)
		return -ENOMEM;
	strscpy(v->name, name, sizeof(v->name));
	v->size = size;
	v->limit = limit;
	v->ctime = ktime_get_real_ns();
	v->flags = THINBLK_VOL_F_LIVE | (inactive ? THINBLK_VOL_F_INACTIVE : 0);
	v->origin = THINBLK_NO_ORIGIN;

	tb_lock(m);
	r = tb_writable(m);
	if (!r)
		r = tb_ordinary_room(m, 0);
	if (r)
		goto bad;
	if (m->next_id == THINBLK_NO_ORIGIN) {	/* ids are never reused */
		r = -EOVERFLOW;
		goto bad;
	}
	if (origin && origin->root.block) {
		/* Share the whole mapping tree: one reference on its root. */
		r = tb_tm_inc(m->tm, origin->root.block);
		if (r)
			goto bad;
	}
	v->id = m->next_id;
	r = xa_insert(&m->vols, v->id, v, GFP_KERNEL);
	if (r)
		goto unshare;
	m->next_id++;
	tb_vol_dirty(m, v);
	if (origin) {
		v->root = origin->root;
		v->mapped = origin->mapped;
		v->origin = origin->id;
		/* Nothing of the origin is exclusive any more. */
		tb_cache_clear(origin);
		origin->excl_valid = false;
		tb_promise_shared(m, origin);
	}
	m->dirty = true;
	tb_unlock(m);
	*out = v;
	return 0;
unshare:
	if (origin && origin->root.block)
		tb_tm_dec(m->tm, origin->root.block);
bad:
	tb_unlock(m);
	tb_mvol_free(v);
	return r;
}

int tb_meta_set_vol_size(struct tb_meta *m, struct tb_mvol *v, u64 size)
{
	int r;

	tb_lock(m);
	r = tb_ordinary_room(m, 0);
	if (!r) {
		v->size = size;
		tb_vol_dirty(m, v);
	}
	tb_unlock(m);
	return r;
}

int tb_meta_set_vol_limit(struct tb_meta *m, struct tb_mvol *v, u64 limit)
{
	int r;

	tb_lock(m);
	r = tb_ordinary_room(m, 0);
	if (!r) {
		v->limit = limit;
		tb_vol_dirty(m, v);
	}
	tb_unlock(m);
	return r;
}

static u32 tb_vol_active_flags(struct tb_mvol *v, bool active)
{
	return active ? v->flags & ~THINBLK_VOL_F_INACTIVE :
			v->flags | THINBLK_VOL_F_INACTIVE;
}

int tb_meta_set_vol_active(struct tb_meta *m, struct tb_mvol *v, bool active,
			   bool *changed)
{
	int r;

	*changed = false;
	tb_lock(m);
	if (tb_vol_active_flags(v, active) == v->flags) {
		r = 0;
		goto out;
	}
	r = tb_writable(m);
	if (!r)
		r = tb_ordinary_room(m, 0);
	if (!r) {
		v->flags = tb_vol_active_flags(v, active);
		tb_vol_dirty(m, v);
		*changed = true;
	}
out:
	tb_unlock(m);
	return r;
}

void tb_meta_unset_vol_active(struct tb_meta *m, struct tb_mvol *v,
			      bool active)
{
	tb_lock(m);
	v->flags = tb_vol_active_flags(v, !active);
	tb_vol_dirty(m, v);
	tb_unlock(m);
}

int tb_meta_defer_delete_vol(struct tb_meta *m, struct tb_mvol *v, bool mark)
{
	bool marked;
	int r = 0;

	tb_lock(m);
	marked = v->flags & THINBLK_VOL_F_DEFERRED_DELETE;
	if (mark) {
		r = tb_writable(m);
		if (!r)
			r = tb_ordinary_room(m, 0);
	}
	if (!r && marked != mark) {
		v->flags ^= THINBLK_VOL_F_DEFERRED_DELETE;
		tb_vol_dirty(m, v);
	}
	tb_unlock(m);
	return r;
}

static void __tb_meta_delete_vol(struct tb_meta *m, struct tb_mvol *v)
{
	lockdep_assert_held_write(&m->lock);
	v->flags = THINBLK_VOL_F_DELETING;
	v->delete_txn = m->transaction;
	tb_vol_dirty(m, v);
	xa_set_mark(&m->vols, v->id, TB_VOL_DELETING);
}

int tb_meta_delete_vol(struct tb_meta *m, struct tb_mvol *v)
{
	tb_lock(m);
	__tb_meta_delete_vol(m, v);
	tb_unlock(m);
	return 0;
}

unsigned int tb_meta_delete_deferred(struct tb_meta *m)
{
	unsigned int n = 0;
	struct tb_mvol *v;
	unsigned long id;

	tb_lock(m);
	if (tb_writable(m))
		goto out;
	xa_for_each(&m->vols, id, v) {
		if (!(v->flags & THINBLK_VOL_F_DEFERRED_DELETE))
			continue;
		pr_info("thinblk: pool %s: volume %s was marked for deletion at its last close: deleting it\n",
			m->name, v->name);
		__tb_meta_delete_vol(m, v);
		n++;
	}
out:
	tb_unlock(m);
	return n;
}

/*
 * The first volume whose deletion is committed: until then a power cut
 * brings it back live, with its tree as the last commit has it, so none of
 * that tree may be dropped (the sharing rule above relies on it).
 */
static struct tb_mvol *tb_first_deleting(struct tb_meta *m)
{
	struct tb_mvol *v;
	unsigned long id;

	xa_for_each_marked(&m->vols, id, v, TB_VOL_DELETING)
		if (v->delete_txn < m->transaction)
			return v;
	return NULL;
}

/*
 * The volume the reclaim works on: the one it started, else the first whose
 * deletion is committed, with no block of its tree dropped yet.
 */
static struct tb_mvol *tb_reclaim_vol(struct tb_meta *m)
{
	if (!m->reclaim_vol) {
		m->reclaim_vol = tb_first_deleting(m);
		if (m->reclaim_vol)
			bitmap_zero(m->reclaim_dropped,
				    tb_bm_nr_blocks(m->bm));
	}
	return m->reclaim_vol;
}

/* The most one reclaim step on the tree at @root may allocate. */
static u64 tb_reclaim_step_blocks(struct tb_meta *m,
				  const struct tb_radix_root *root)
{
	return tb_radix_path_blocks(&m->map_tree, root, 0) + tb_leaf_counts(m);
}

int tb_meta_reclaim(struct tb_meta *m, bool *more)
{
	struct tb_mvol *v;
	bool done;
	int r = 0;

	tb_lock(m);
	r = tb_writable(m);
	v = r ? NULL : tb_reclaim_vol(m);
	if (v && !tb_room(m, tb_reclaim_step_blocks(m, &v->root), false)) {
		/* a commit frees what the steps so far copied and dropped */
		r = m->dirty ? -EAGAIN : -ENOSPC;
		v = NULL;
	}
	if (v) {
		r = tb_radix_drop_step(&m->map_tree, &v->root,
				       m->reclaim_dropped, &done);
		if (r)
			pr_err("thinblk: pool %s: reclaiming volume %u (%s) failed (%d)\n",
			       m->name, v->id, v->name, r);
		tb_vol_dirty(m, v);
		if (!r && done) {
			v->flags = 0;
			r = tb_write_vol_record(m, v);
			if (!r) {
				xa_erase(&m->vols, v->id);
				tb_mvol_free(v);
				m->reclaim_vol = NULL;
			}
		}
		tb_poison(m, r);
	}
	*more = !r && tb_first_deleting(m);
	tb_unlock(m);
	return r;
}

static int tb_count_exclusive(void *arg, u64 key, const void *value,
			      bool shared)
{
	struct tb_meta *m = ((void **)arg)[0];
	u64 *blocks = ((void **)arg)[1];
	u32 count;
	int r;

	r = tb_dsm_get(m->dsm, le32_to_cpup(value) - 1, true, &count);
	if (!r && count == 1)
		(*blocks)++;
	return r;
}

/*
 * Exclusivity of a volume's blocks changes when its own mappings do, or when
 * a node or data block it shares loses its other owner (refcount down to 1):
 * both space maps count the latter.  Meta lock held.
 */
static u64 tb_unshare_gen(struct tb_meta *m)
{
	return tb_tm_unshared(m->tm) + tb_dsm_unshared(m->dsm);
}

/*
 * Leaves counted per hold of the lock: a walk holds off every writer of the
 * pool (and, the rwsem being fair, the readers behind them) only this long,
 * about a millisecond (a leaf's worth of data space map lookups).
 */
#define TB_EXCL_LEAVES_PER_HOLD	1

/*
 * Blocks that deleting @v would free: a walk of its unshared subtrees, done
 * only when something that could change the result happened since the last.
 * The walk lets writers in between pieces: each key range is counted as it
 * is when it is read, and the result is kept only if nothing changed
 * meanwhile.  The caller keeps @v alive (tb_pools_mutex: not deleted).
 */
int tb_meta_vol_exclusive(struct tb_meta *m, struct tb_mvol *v, u64 *blocks)
{
	void *arg[2] = { m, blocks };
	u64 gen, start = 0, leaf_budget;
	int r = 0;

	*blocks = 0;
	mutex_lock(&m->excl_mutex);
	down_read(&m->lock);
	gen = tb_unshare_gen(m);
	if (v->excl_valid && v->excl_gen == gen) {
		*blocks = v->excl_blocks;
		goto out;
	}
	/* writers clear it when @v's mappings change (under the lock) */
	v->excl_valid = true;
	leaf_budget = tb_radix_walk_budget(&m->map_tree);
	for (;;) {
		r = tb_radix_walk_from(&m->map_tree, &v->root, true, &start,
				       TB_EXCL_LEAVES_PER_HOLD, &leaf_budget,
				       tb_count_exclusive, arg);
		if (r || start == U64_MAX)
			break;
		up_read(&m->lock);
		cond_resched();
		down_read(&m->lock);
	}
	if (!r && v->excl_valid && tb_unshare_gen(m) == gen) {
		v->excl_blocks = *blocks;
		v->excl_gen = gen;
	} else {
		v->excl_valid = false;
	}
	if (r)
		pr_err_ratelimited("thinblk: pool %s: volume %u (%s): counting exclusive blocks failed (%d)\n",
				   m->name, v->id, v->name, r);
out:
	up_read(&m->lock);
	mutex_unlock(&m->excl_mutex);
	return r;
}

/*
 * The sharing rule: a write may go in place only to a block that neither the
 * current mappings nor those of the last commit share with another volume.
 * A power cut brings the last commit back, and with it every volume that
 * mapped the block then; had one of them since broken the sharing (by
 * copying, in memory only) and the block been overwritten in place, that
 * volume would read the other's data.
 *
 * Current sharing: a node on the path with refcount > 1, or the data block's
 * count > 1.  Sharing in the last commit that the current counts no longer
 * show: a data block whose count went down in this transaction
 * (TB_SHARED_IN_COMMIT, tb_dsm_exclusive()).  Nodes need no such record:
 * when a write shadows a shared node, the copy's children gain a reference,
 * so sharing moves down the tree and ends at the data blocks' counts; a
 * node's count only falls without that when a deleted volume's tree is
 * dropped, and tb_meta_reclaim() drops none before the deletion is committed.
 * Metadata nodes themselves are never written in place unless allocated in
 * this transaction (tm.h).
 */
static int __tb_lookup(struct tb_meta *m, struct tb_mvol *v, u64 vblock,
		       bool can_block, u64 *dblock, bool *exclusive,
		       bool *path_shared)
{
	enum tb_share share = TB_SHARED;
	bool shared;
	__le32 value;
	int r;

	r = tb_radix_lookup(&m->map_tree, &v->root, vblock, can_block, &value,
			    &shared);
	if (r)
		return r;
	if (path_shared)
		*path_shared = shared;
	if (!value)
		return -ENODATA;
	*dblock = le32_to_cpu(value) - 1;
	if (!exclusive)
		return 0;
	/* poisoned: counts may be wrong, nothing is written in place */
	if (!shared && !m->failed)
		r = tb_dsm_exclusive(m->dsm, *dblock, can_block, &share);
	if (r)
		return r;
	*exclusive = share == TB_UNSHARED;
	/* not cached while it waits for a commit: it will be exclusive then */
	if (share == TB_SHARED_IN_COMMIT)
		tb_cache_drop(v, vblock);
	else
		tb_cache_set(v, vblock, *dblock, *exclusive);
	return 0;
}

int tb_meta_lookup(struct tb_meta *m, struct tb_mvol *v, u64 vblock,
		   bool can_block, u64 *dblock, bool *exclusive)
{
	int r;

	down_read(&m->lock);
	r = __tb_lookup(m, v, vblock, can_block, dblock, exclusive, NULL);
	up_read(&m->lock);
	return r;
}

static bool tb_over_limit(struct tb_meta *m, struct tb_mvol *v)
{
	return v->limit &&
	       (v->owned + v->reserved + 1) * m->settings.block_size > v->limit;
}

/*
 * May a direct provisioning of @v, whose path is @shared, be promised its
 * insert?  Charged when it may (tb_promise()).
 */
static bool tb_promise_room(struct tb_meta *m, struct tb_mvol *v, bool shared)
{
	if (m->space_low)
		return false;
	tb_promise(m, v, shared);
	if (tb_room(m, 0, true))
		return true;
	__tb_unpromise(m, v, shared);
	return false;
}

int tb_meta_provision(struct tb_meta *m, struct tb_mvol *v, u64 vblock,
		      bool can_block, u64 *dblock, u64 *old)
{
	bool exclusive, shared = true, promised = false;
	int r;

	tb_lock(m);
	r = __tb_lookup(m, v, vblock, can_block, old, &exclusive, &shared);
	if (r == -ENODATA) {
		*old = U64_MAX;
		r = 0;
	} else if (!r && exclusive) {
		r = -EEXIST;	/* a commit unshared it since the caller looked */
	}
	/* its insert comes after its write is acknowledged: charged now */
	if (!r && !can_block) {
		promised = tb_promise_room(m, v, shared);
		if (!promised)
			r = -EWOULDBLOCK;
	}
	/*
	 * Refused here, before its data is written, rather than at the insert;
	 * told apart from a full data device under the lock (tb_meta_full()
	 * read later may already have changed).
	 */
	if (!r && can_block && tb_mapping_room(m, v, vblock, shared))
		r = -ENOBUFS;
	if (!r && tb_over_limit(m, v))
		r = -EDQUOT;
	if (!r)
		r = tb_dsm_reserve(m->dsm, can_block, dblock);
	if (!r)
		v->reserved++;
	else if (promised)
		__tb_unpromise(m, v, shared);	/* this one's, not another's */
	tb_unlock(m);
	return r;
}

void tb_meta_unprovision(struct tb_meta *m, struct tb_mvol *v, u64 dblock,
			 bool direct)
{
	tb_lock(m);
	tb_dsm_unreserve(m->dsm, dblock);
	v->reserved--;
	if (direct)
		tb_unpromise(m, v);
	tb_unlock(m);
}

/* Replace the mapping of @vblock (with @dblock, or a hole if U64_MAX). */
static int __tb_set_mapping(struct tb_meta *m, struct tb_mvol *v, u64 vblock,
			    u64 dblock)
{
	struct tb_radix_slot slot;
	bool freed;
	u32 old;
	int r;

	r = tb_radix_writable(&m->map_tree, &v->root, vblock, &slot);
	if (r)
		return r;
	old = le32_to_cpup(slot.value);
	*(__le32 *)slot.value = cpu_to_le32(dblock == U64_MAX ? 0 : dblock + 1);
	tb_radix_put(&slot);
	tb_vol_dirty(m, v);
	v->excl_valid = false;
	/* The path was just shadowed: a new block is ours alone. */
	if (dblock == U64_MAX)
		tb_cache_drop(v, vblock);
	else
		tb_cache_set(v, vblock, dblock, true);
	if (!old) {
		if (dblock != U64_MAX)
			v->mapped++;
		return 0;
	}
	if (dblock == U64_MAX)
		v->mapped--;
	r = tb_dsm_dec(m->dsm, old - 1, &freed);
	if (!r && freed && v->owned)
		v->owned--;
	return r;
}

int tb_meta_insert(struct tb_meta *m, struct tb_mvol *v, u64 vblock,
		   u64 dblock, bool acked)
{
	bool shared = true;
	int r;

	tb_lock(m);
	r = tb_writable(m);
	if (!r && acked)
		tb_unpromise(m, v);	/* what it may allocate now */
	if (!r && !acked)
		r = tb_path_shared(m, v, vblock, &shared);
	if (!r && !acked)
		r = tb_mapping_room(m, v, vblock, shared);
	/* refcount 1 and the mapping land in the same transaction */
	if (!r)
		r = tb_poison(m, tb_dsm_claim(m->dsm, dblock));
	if (!r) {
		v->reserved--;
		v->owned++;
		r = tb_poison(m, __tb_set_mapping(m, v, vblock, dblock));
	}
	tb_unlock(m);
	return r;
}

int tb_meta_unmap(struct tb_meta *m, struct tb_mvol *v, u64 vblock)
{
	bool shared = true;
	u64 dblock;
	int r;

	tb_lock(m);
	r = tb_writable(m);
	if (!r)
		r = __tb_lookup(m, v, vblock, true, &dblock, NULL, &shared);
	if (!r)
		r = tb_mapping_room(m, v, vblock, shared);
	if (!r)
		r = tb_poison(m, __tb_set_mapping(m, v, vblock, U64_MAX));
	else if (r == -ENODATA)
		r = 0;
	tb_unlock(m);
	return r;
}
