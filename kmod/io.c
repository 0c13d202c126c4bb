// SPDX-License-Identifier: GPL-2.0
/*
 * The I/O path of thin volumes.
 *
 * Bios are split at data-block boundaries by the block layer (chunk_sectors),
 * so each one touches a single block.  Then:
 *
 *   read, block mapped       remapped to the data device in the submitter's
 *                            context (no worker hop, metadata lock shared),
 *                            when the metadata blocks on the way are cached;
 *                            else the worker looks it up (bio submission
 *                            must not wait for metadata I/O)
 *   read, block unmapped     zero-filled and completed at once
 *   write, block mapped and  remapped through a clone, whose completion ends
 *   not shared (now, nor in  the in-flight count snapshots wait for; not
 *   the last commit: meta.c) while a provisioning of the block is in flight
 *                            (tb_write_in_place)
 *   write, block unmapped    provisioned in the submitter's context when
 *   or shared                that needs no metadata I/O: direct
 *                            provisioning, below
 *   anything else            queued for the pool's ordered worker:
 *                            provisioning that must read metadata, flush,
 *                            FUA, discard, and whatever direct provisioning
 *                            had no memory or space for
 *
 * A provisioning first claims its volume block in vol->prov (struct
 * tb_prov), so that no two provision one block: a write that finds a claim
 * waits on it until the claim's write is done, then goes to the new block.
 *
 * Worker provisioning: allocate a data block; write the bio to it and wait
 * (a bio that does not cover the block is written as the whole block,
 * assembled in the pool's copy pages from the old shared block or zeros with
 * the bio's data laid over them); insert the mapping; drop the claim.
 *
 * Direct provisioning: allocate a data block without blocking and send the
 * write there: the bio itself when it covers the block (or zeroing is off
 * and the block was unmapped); else the whole block assembled in memory
 * (struct tb_fill) from zeros or the shared block's contents, read first,
 * with the bio's data laid over them.  When the write is done, the claim is
 * marked written (reads and writes of that block go to the new block from
 * then on) and queued on pool->prepared, and the bio completes; the worker
 * inserts the mapping in batches (tb_io_drain()), and so does every commit
 * before it writes, every snapshot and usage report.  The data block stays
 * reserved in memory until the insert, so a crash before the commit leaves
 * it free, as the write was never made durable.  The allocation is "batched
 * into the next commit", as in dm-thin's prepared mappings, but without a
 * worker hop on the way.
 *
 * In both, readers see the old contents (zeros, or the shared block) until
 * the new block holds the data, never a block being written.  The new
 * mapping reaches the disk with the next commit, which flushes the data
 * device first: that is what REQ_PREFLUSH and REQ_FUA wait for.
 *
 * Freed blocks: a discard, a delete or a copy-on-write can free a data block
 * that bios already remapped to it are still reading or writing; once the
 * next commit has made it free and it is allocated again, such a read would
 * return another volume's data and such a write would land on it.  So every
 * bio for a mapped block counts in the pool's current I/O epoch from before
 * it looks its block up until the data device is done with it (reads go
 * through a clone for that), and the commit flips the epoch and waits for
 * the old count to drain before giving freed blocks back (tb_io_quiesce(),
 * as dm-thin's deferred sets).  No bio counts while it waits for the worker,
 * a claim, or a commit (whose wait for the old epoch would wait for it).
 * Writes to a block just reserved need no count: nobody else sees it yet.
 *
 * Snapshots: every write counts in vol->inflight_writes from submission to
 * completion.  To snapshot, the pool freezes the origin (new writes wait on
 * vol->frozen_bios), waits for the count to reach zero, shares the mapping
 * tree, and resubmits the held writes.
 */
#include <linux/blkdev.h>
#include <linux/highmem.h>
#include <linux/slab.h>

#include "fault.h"
#include "pool.h"

/* How often a snapshot waiting for in-flight writes looks for parked ones. */
#define TB_FREEZE_POLL	HZ
/* Direct provisionings in flight per pool, beyond which the worker does it. */
#define TB_PROV_MAX	1024
/* Finished direct provisionings that wake the worker to insert them. */
#define TB_DRAIN_BATCH	64
/* struct tb_prov kept for the worker, which must always get one. */
#define TB_PROV_RESERVE	16
/* Memory for blocks assembled in memory (struct tb_fill) per pool. */
#define TB_FILL_MEM	(16UL << 20)

/*
 * A claim on one volume block being provisioned (see the top of this file).
 * Lives in vol->prov from the claim until the mapping is inserted (or the
 * provisioning failed); freed after an RCU grace period, as readers look it
 * up locklessly.
 */
struct tb_prov {
	struct tb_pool *pool;
	struct tb_volume *vol;
	u64 vblock;
	u64 dblock;			/* reserved data block, or U64_MAX */
	struct list_head list;		/* in pool->prepared, under bio_lock */
	/* under vol->prov's lock: */
	struct bio_list waiting;	/* writes to vblock meanwhile */
	bool cow;			/* breaks sharing (stats) */
	bool written;			/* direct write done (status below) */
	blk_status_t status;
	struct rcu_head rcu;
};

/* A bio remapped to the data device; lives in the clone's front pad. */
struct tb_io {
	struct tb_pool *pool;
	struct tb_volume *vol;		/* writes only: lives until they end */
	struct bio *orig;
	struct tb_prov *prov;		/* direct provisioning, or NULL */
	unsigned int epoch;		/* counted in (tb_io_enter()) */
	struct bio clone;
};

/*
 * I/O epochs (see the top of this file and struct tb_pool).  The count is
 * dropped in a completion, often on another CPU: SRCU's srcu_down_read() /
 * srcu_up_read() would do it per CPU, but Linux 6.1 lacks them (6.2), and
 * srcu_read_unlock() must run in the locker's context; so two atomics, as
 * dm-thin's deferred sets use a spinlock.
 */
static void tb_io_exit(struct tb_pool *pool, unsigned int epoch)
{
	/* the pool is freed once the counts are 0 and a grace period passed */
	rcu_read_lock();
	/* dec_and_test orders the count before the sleeper check */
	if (atomic_dec_and_test(&pool->io_inflight[epoch]) &&
	    wq_has_sleeper(&pool->io_wait))
		wake_up(&pool->io_wait);
	rcu_read_unlock();
}

static unsigned int tb_io_enter(struct tb_pool *pool)
{
	unsigned int epoch;

	for (;;) {
		epoch = READ_ONCE(pool->io_epoch) & 1;
		atomic_inc(&pool->io_inflight[epoch]);
		/* the count, then the epoch again: pairs with tb_io_quiesce() */
		smp_mb__after_atomic();
		if (likely((READ_ONCE(pool->io_epoch) & 1) == epoch))
			return epoch;
		tb_io_exit(pool, epoch);	/* a commit flipped it meanwhile */
	}
}

/*
 * A commit freed blocks, in mappings removed before __tb_meta_commit() took
 * the metadata lock: a bio that counts in the new epoch looked its block up
 * after that, so it can't go to them; wait for those of the old one.  Only commits flip the epoch, and they
 * are serialized (meta.c).
 */
void tb_io_quiesce(void *arg)
{
	struct tb_pool *pool = arg;
	unsigned int old = pool->io_epoch & 1;

	smp_mb();	/* the mappings' removal, then the flip */
	WRITE_ONCE(pool->io_epoch, pool->io_epoch + 1);
	smp_mb();	/* the flip, then the old count: pairs with tb_io_enter() */
	wait_event(pool->io_wait, !atomic_read(&pool->io_inflight[old]));
}

static u64 tb_bio_block(struct tb_pool *pool, struct bio *bio)
{
	return bio->bi_iter.bi_sector >> pool->block_shift;
}

static sector_t tb_bio_offset(struct tb_pool *pool, struct bio *bio)
{
	return bio->bi_iter.bi_sector & ((1U << pool->block_shift) - 1);
}

static sector_t tb_remapped_sector(struct tb_pool *pool, struct bio *bio,
				   u64 dblock)
{
	return tb_block_to_sector(pool, dblock) + tb_bio_offset(pool, bio);
}

/*
 * Every read and write bio to the data device goes through these two, where
 * the fault points data_read and data_write (fault.h) fail it as the device
 * would (as the block layer does itself for a bio beyond the end: at once,
 * so the bio may have completed when tb_data_submit() returns: callers do
 * not touch it after).  Discard passdown and cache flushes use the
 * blkdev_issue_*() helpers and are not covered.
 */
static bool tb_data_fault(struct bio *bio)
{
	return tb_fault(op_is_write(bio_op(bio)) ? TB_FAULT_DATA_WRITE :
						   TB_FAULT_DATA_READ);
}

static void tb_data_submit(struct bio *bio)
{
	if (tb_data_fault(bio)) {
		bio_io_error(bio);
		return;
	}
	submit_bio_noacct(bio);
}

static int tb_data_submit_wait(struct bio *bio)
{
	if (tb_data_fault(bio))
		return -EIO;
	return submit_bio_wait(bio);
}

/* Fail @bio (process context); I/O errors are reported, at most 1/s. */
static void tb_bio_fail(struct tb_volume *vol, struct bio *bio,
			blk_status_t status)
{
	atomic64_inc(&vol->stats.errors);
	if (status != BLK_STS_NOSPC && status != BLK_STS_AGAIN)
		tb_vol_io_error(vol, blk_status_to_errno(status));
	bio->bi_status = status;
	bio_endio(bio);
}

static void tb_account(struct tb_volume *vol, struct bio *bio)
{
	if (bio_op(bio) == REQ_OP_READ) {
		atomic64_inc(&vol->stats.reads);
		atomic64_add(bio->bi_iter.bi_size, &vol->stats.read_bytes);
	} else if (bio_op(bio) == REQ_OP_WRITE && bio->bi_iter.bi_size) {
		atomic64_inc(&vol->stats.writes);
		atomic64_add(bio->bi_iter.bi_size, &vol->stats.write_bytes);
	} else if (bio_op(bio) == REQ_OP_DISCARD) {
		atomic64_inc(&vol->stats.discards);
	}
}

void tb_write_end(struct tb_volume *vol)
{
	if (atomic_dec_and_test(&vol->inflight_writes))
		wake_up(&vol->inflight_wait);
}

/* Count a write in flight, or hold it while a snapshot is being taken. */
static bool tb_write_begin(struct tb_volume *vol, struct bio *bio)
{
	bool ok;

	spin_lock(&vol->freeze_lock);
	ok = !vol->frozen;
	if (ok)
		atomic_inc(&vol->inflight_writes);
	else
		bio_list_add(&vol->frozen_bios, bio);
	spin_unlock(&vol->freeze_lock);
	return ok;
}

/* Claims */

static void tb_defer_list(struct tb_pool *pool, struct bio_list *list)
{
	unsigned long flags;

	if (bio_list_empty(list))
		return;
	spin_lock_irqsave(&pool->bio_lock, flags);
	bio_list_merge(&pool->deferred, list);
	spin_unlock_irqrestore(&pool->bio_lock, flags);
	queue_work(pool->wq, &pool->worker);
}

enum tb_claim {
	TB_CLAIMED,		/* *@out is our new claim */
	TB_CLAIM_WRITTEN,	/* the block's new data block is *@dblock */
	TB_CLAIM_PARKED,	/* @bio waits for a provisioning in flight */
	TB_CLAIM_FAILED,	/* no memory (with @gfp) */
};

/* Claim @vblock of @vol for provisioning it for @bio (process context). */
static enum tb_claim tb_prov_claim(struct tb_volume *vol, u64 vblock,
				   struct bio *bio, gfp_t gfp,
				   struct tb_prov **out, u64 *dblock)
{
	struct tb_pool *pool = vol->pool;
	struct tb_prov *new, *cur;
	enum tb_claim res;

	new = mempool_alloc(pool->prov_pool, gfp);
	if (!new)
		return TB_CLAIM_FAILED;
	*new = (struct tb_prov){ .pool = pool, .vol = vol, .vblock = vblock,
				 .dblock = U64_MAX };
	INIT_LIST_HEAD(&new->list);
	xa_lock_irq(&vol->prov);
	cur = __xa_cmpxchg(&vol->prov, vblock, NULL, new, gfp);
	if (!cur) {
		xa_unlock_irq(&vol->prov);
		atomic_inc(&pool->nr_prov);
		*out = new;
		return TB_CLAIMED;
	}
	if (xa_is_err(cur)) {
		res = TB_CLAIM_FAILED;
	} else if (cur->written && !cur->status) {
		*dblock = cur->dblock;
		res = TB_CLAIM_WRITTEN;
	} else {
		bio_list_add(&cur->waiting, bio);
		res = TB_CLAIM_PARKED;
	}
	xa_unlock_irq(&vol->prov);
	mempool_free(new, pool->prov_pool);
	return res;
}

static void tb_prov_free_rcu(struct rcu_head *rcu)
{
	struct tb_prov *prov = container_of(rcu, struct tb_prov, rcu);

	mempool_free(prov, prov->pool->prov_pool);
}

/* Drop a claim; the writes that waited for it go to the worker. */
static void tb_prov_release(struct tb_prov *prov)
{
	struct tb_volume *vol = prov->vol;
	struct bio_list waiting;

	xa_lock_irq(&vol->prov);
	__xa_erase(&vol->prov, prov->vblock);
	waiting = prov->waiting;
	bio_list_init(&prov->waiting);
	xa_unlock_irq(&vol->prov);
	tb_defer_list(prov->pool, &waiting);
	atomic_dec(&prov->pool->nr_prov);
	call_rcu(&prov->rcu, tb_prov_free_rcu);
}

/* Lockless: the data block a finished direct provisioning wrote @vblock to. */
static bool tb_prov_lookup(struct tb_volume *vol, u64 vblock, u64 *dblock)
{
	struct tb_prov *prov;
	bool found = false;

	rcu_read_lock();
	prov = xa_load(&vol->prov, vblock);
	/* pairs with tb_prov_written(): the data is on dblock */
	if (prov && smp_load_acquire(&prov->written) && !prov->status) {
		*dblock = prov->dblock;
		found = true;
	}
	rcu_read_unlock();
	return found;
}

/* A direct provisioning's write is done (any context): queue its insert. */
static void tb_prov_written(struct tb_prov *prov, blk_status_t status)
{
	struct tb_volume *vol = prov->vol;
	struct tb_pool *pool = prov->pool;
	struct bio_list waiting;
	unsigned long flags;
	bool kick;

	if (!status)
		atomic64_inc(prov->cow ? &vol->stats.cow : &vol->stats.provisioned);
	xa_lock_irqsave(&vol->prov, flags);
	prov->status = status;
	/* pairs with tb_prov_lookup(): status and the data come first */
	smp_store_release(&prov->written, true);
	waiting = prov->waiting;
	bio_list_init(&prov->waiting);
	xa_unlock_irqrestore(&vol->prov, flags);

	spin_lock_irqsave(&pool->bio_lock, flags);
	list_add_tail(&prov->list, &pool->prepared);
	kick = ++pool->nr_prepared >= TB_DRAIN_BATCH || status ||
	       !bio_list_empty(&waiting);
	bio_list_merge(&pool->deferred, &waiting);
	spin_unlock_irqrestore(&pool->bio_lock, flags);
	if (kick)
		queue_work(pool->wq, &pool->worker);
}

/* A write sent on our behalf failed (any context). */
static void tb_async_error(struct tb_volume *vol, blk_status_t status)
{
	atomic64_inc(&vol->stats.errors);
	/* maybe in irq context: the event is sent from a work item */
	WRITE_ONCE(vol->clone_error, blk_status_to_errno(status));
	schedule_work(&vol->error_work);
}

static void tb_clone_endio(struct bio *clone)
{
	struct tb_io *io = container_of(clone, struct tb_io, clone);
	struct tb_volume *vol = io->vol;
	struct bio *orig = io->orig;

	if (io->prov)
		tb_prov_written(io->prov, clone->bi_status);
	orig->bi_status = clone->bi_status;
	if (clone->bi_status)
		tb_async_error(vol, clone->bi_status);
	tb_io_exit(vol->pool, io->epoch);
	bio_put(clone);
	tb_write_end(vol);
	bio_endio(orig);
}

/* Touches only the pool: a volume doesn't wait for reads to go away. */
static void tb_read_endio(struct bio *clone)
{
	struct tb_io *io = container_of(clone, struct tb_io, clone);
	struct bio *orig = io->orig;

	orig->bi_status = clone->bi_status;
	tb_io_exit(io->pool, io->epoch);
	bio_put(clone);
	bio_endio(orig);
}

/* A clone of @bio for @dblock; tb_clone_endio() or tb_read_endio() ends it. */
static struct bio *tb_clone(struct tb_volume *vol, struct bio *bio, u64 dblock,
			    unsigned int epoch)
{
	struct tb_pool *pool = vol->pool;
	struct bio *clone;
	struct tb_io *io;

	clone = bio_alloc_clone(pool->data_bdev, bio, GFP_NOIO,
				&pool->clone_bs);
	if (!clone)
		return NULL;
	clone->bi_iter.bi_sector = tb_remapped_sector(pool, bio, dblock);
	io = container_of(clone, struct tb_io, clone);
	io->pool = pool;
	io->vol = vol;
	io->orig = bio;
	io->prov = NULL;
	io->epoch = epoch;
	return clone;
}

/*
 * Send a write to @dblock; completes @bio, the in-flight count and its count
 * in @epoch.
 */
static void tb_remap_write(struct tb_volume *vol, struct bio *bio, u64 dblock,
			   unsigned int epoch)
{
	struct bio *clone = tb_clone(vol, bio, dblock, epoch);

	if (!clone) {
		tb_io_exit(vol->pool, epoch);
		tb_write_end(vol);
		tb_bio_fail(vol, bio, BLK_STS_RESOURCE);
		return;
	}
	clone->bi_end_io = tb_clone_endio;
	tb_data_submit(clone);
}

/*
 * Write @bio to @dblock and wait; the caller completes @bio.  The worker's
 * writes: a REQ_PREFLUSH was a commit before, a REQ_FUA is one after
 * (tb_process_write()), whose data flush makes this write durable with every
 * write before it.  So the clone goes without them: a FUA write of its own
 * could reach the disk, or a write log such as dm-log-writes, ahead of an
 * earlier write of the same block still in the disk's cache (the direct
 * path's fill of a block just provisioned), which would then land over it.
 */
static int tb_write_sync(struct tb_volume *vol, struct bio *bio, u64 dblock)
{
	struct bio *clone = tb_clone(vol, bio, dblock, 0);	/* no endio */
	int r;

	if (!clone)
		return -ENOMEM;
	clone->bi_opf &= ~(REQ_PREFLUSH | REQ_FUA);
	r = tb_data_submit_wait(clone);
	bio_put(clone);
	return r;
}

static void tb_map_read(struct tb_volume *vol, struct bio *bio, bool can_block)
{
	struct tb_pool *pool = vol->pool;
	u64 vblock = tb_bio_block(pool, bio), dblock;
	unsigned int epoch;
	struct bio *clone;
	bool exclusive;
	int r = 0;

	epoch = tb_io_enter(pool);
	if (!tb_prov_lookup(vol, vblock, &dblock) &&
	    !tb_meta_lookup_cached(vol->mv, vblock, &dblock, &exclusive))
		r = tb_meta_lookup(pool->meta, vol->mv, vblock, can_block,
				   &dblock, &exclusive);
	if (!r)
		clone = tb_clone(vol, bio, dblock, epoch);
	if (!r && clone) {
		clone->bi_end_io = tb_read_endio;
		tb_data_submit(clone);
		return;
	}
	tb_io_exit(pool, epoch);
	if (r == -EWOULDBLOCK) {
		tb_pool_defer(pool, bio);
	} else if (r == -ENODATA) {
		zero_fill_bio(bio);
		bio_endio(bio);
	} else {
		tb_bio_fail(vol, bio, r ? errno_to_blk_status(r) :
					  BLK_STS_RESOURCE);
	}
}

/*
 * A direct provisioning that writes its new block whole, assembled in memory:
 * the shared block's contents (copy-on-write) or zeros, with the bio's data
 * laid over them.  One write of the block, instead of a copy or a zeroing
 * followed by the bio's own write.
 */
struct tb_fill {
	struct tb_prov *prov;
	struct bio *orig;
	struct page *page;		/* the block, physically contiguous */
	unsigned int epoch;		/* counted in (tb_io_enter()) */
	struct work_struct work;	/* tb_fill_work() */
	struct bio_vec bvec;
	struct bio bio;			/* reads the old block, writes the new */
};

static void tb_fill_end(struct tb_fill *fill, blk_status_t status)
{
	struct tb_volume *vol = fill->prov->vol;
	struct bio *orig = fill->orig;

	atomic_dec(&vol->pool->nr_fill);
	tb_prov_written(fill->prov, status);
	orig->bi_status = status;
	if (status)
		tb_async_error(vol, status);
	tb_io_exit(vol->pool, fill->epoch);
	bio_uninit(&fill->bio);
	__free_pages(fill->page, get_order(vol->pool->block_size));
	kfree(fill);
	tb_write_end(vol);
	bio_endio(orig);
}

static void tb_fill_write_done(struct bio *bio)
{
	tb_fill_end(bio->bi_private, bio->bi_status);
}

/* Lay the bio's data over the block and write it to the new block. */
static void tb_fill_write(struct tb_fill *fill)
{
	struct tb_pool *pool = fill->prov->pool;
	struct bio *orig = fill->orig;
	struct bvec_iter iter;
	struct bio_vec bv;
	char *dst;

	dst = page_address(fill->page) +
	      (tb_bio_offset(pool, orig) << SECTOR_SHIFT);
	bio_for_each_segment(bv, orig, iter) {
		memcpy_from_bvec(dst, &bv);
		dst += bv.bv_len;
	}
	bio_reset(&fill->bio, pool->data_bdev, REQ_OP_WRITE);
	fill->bio.bi_iter.bi_sector = tb_block_to_sector(pool, fill->prov->dblock);
	__bio_add_page(&fill->bio, fill->page, pool->block_size, 0);
	fill->bio.bi_end_io = tb_fill_write_done;
	fill->bio.bi_private = fill;
	tb_data_submit(&fill->bio);
}

static void tb_fill_work(struct work_struct *w)
{
	tb_fill_write(container_of(w, struct tb_fill, work));
}

/*
 * The old block was read.  Submitting the write may sleep, and a completion
 * cannot tell whether it may (preemptible() is false under PREEMPT_RCU's
 * read side and says nothing without CONFIG_PREEMPT_COUNT): always from a
 * work item.
 */
static void tb_fill_read_done(struct bio *bio)
{
	struct tb_fill *fill = bio->bi_private;

	if (bio->bi_status)
		tb_fill_end(fill, bio->bi_status);
	else
		queue_work(fill->prov->pool->fill_wq, &fill->work);
}

/*
 * Start a fill of @prov's block for @bio, from @old or zeros (U64_MAX); it
 * ends the count in @epoch.
 */
static bool tb_fill_start(struct tb_prov *prov, struct bio *bio, u64 old,
			  unsigned int epoch)
{
	struct tb_pool *pool = prov->pool;
	gfp_t gfp = GFP_NOWAIT | __GFP_NOWARN;
	struct tb_fill *fill;

	if ((atomic_read(&pool->nr_fill) + 1UL) * pool->block_size > TB_FILL_MEM)
		return false;
	fill = kmalloc(sizeof(*fill), gfp);
	if (!fill)
		return false;
	fill->page = alloc_pages(gfp | (old == U64_MAX ? __GFP_ZERO : 0),
				 get_order(pool->block_size));
	if (!fill->page) {
		kfree(fill);
		return false;
	}
	atomic_inc(&pool->nr_fill);
	fill->prov = prov;
	fill->orig = bio;
	fill->epoch = epoch;
	INIT_WORK(&fill->work, tb_fill_work);
	bio_init(&fill->bio, pool->data_bdev, &fill->bvec, 1, REQ_OP_READ);
	if (old == U64_MAX) {
		tb_fill_write(fill);
		return true;
	}
	fill->bio.bi_iter.bi_sector = tb_block_to_sector(pool, old);
	__bio_add_page(&fill->bio, fill->page, pool->block_size, 0);
	fill->bio.bi_end_io = tb_fill_read_done;
	fill->bio.bi_private = fill;
	tb_data_submit(&fill->bio);
	return true;
}

/* Send @bio, which covers its block or needs no zeroing, to @prov's block. */
static bool tb_prov_remap(struct tb_prov *prov, struct bio *bio,
			  unsigned int epoch)
{
	struct bio *clone = tb_clone(prov->vol, bio, prov->dblock, epoch);

	if (!clone)
		return false;
	container_of(clone, struct tb_io, clone)->prov = prov;
	clone->bi_end_io = tb_clone_endio;
	tb_data_submit(clone);
	return true;
}

/*
 * Direct provisioning (see the top of this file) for @bio, which has begun
 * (tb_write_begin) and counts in @epoch, of a block that is unmapped or, if
 * @shared, mapped to a block shared with a snapshot; false when the worker
 * must do it (the caller ends the count then).
 */
static bool tb_provision_direct(struct tb_volume *vol, struct bio *bio,
				bool shared, unsigned int epoch)
{
	struct tb_pool *pool = vol->pool;
	u64 vblock = tb_bio_block(pool, bio), dblock, old;
	bool whole = bio->bi_iter.bi_size == pool->block_size;
	struct tb_prov *prov;
	bool sent;
	int r;

	if (READ_ONCE(pool->mode) != THINBLK_MODE_WRITE ||
	    atomic_read(&pool->nr_prov) >= TB_PROV_MAX)
		return false;
	switch (tb_prov_claim(vol, vblock, bio, GFP_NOWAIT, &prov, &dblock)) {
	case TB_CLAIM_WRITTEN:
		tb_remap_write(vol, bio, dblock, epoch);
		return true;
	case TB_CLAIM_PARKED:
		tb_io_exit(pool, epoch);	/* it looks its block up again */
		return true;
	case TB_CLAIM_FAILED:
		return false;
	case TB_CLAIMED:
		break;
	}
	/* claimed: nobody can map this block until we drop the claim */
	r = tb_meta_provision(pool->meta, vol->mv, vblock, false, &prov->dblock,
			      &old);
	if (r == -EEXIST) {
		tb_prov_release(prov);
		tb_remap_write(vol, bio, old, epoch);
		return true;
	}
	if (r)
		goto release;
	if (shared != (old != U64_MAX))		/* changed meanwhile */
		goto unprovision;
	prov->cow = shared;
	if (whole || (!shared && !pool->zero))
		sent = tb_prov_remap(prov, bio, epoch);
	else
		sent = tb_fill_start(prov, bio, old, epoch);
	if (sent)
		return true;
unprovision:
	tb_meta_unprovision(pool->meta, vol->mv, prov->dblock, true);
release:
	tb_prov_release(prov);
	return false;
}

/*
 * @bio goes in place to @dblock, which was found exclusive, unless a
 * provisioning of its block is in flight: one that began before a commit made
 * the block exclusive (the sharing rule) is copying its old contents, and a
 * write in place now would be lost when the copy is mapped.  The worker then
 * waits for that claim.  Exclusive was read first (a commit's clearing of the
 * rule's bit comes before it, a claim taken before that commit comes before
 * the read barrier); a provisioning that claims later sees the block
 * exclusive in tb_meta_provision() and writes in place too; one that is gone
 * changed the mapping first, which the second look at the cache sees.
 */
static bool tb_write_in_place(struct tb_volume *vol, struct bio *bio,
			      u64 dblock, unsigned int epoch)
{
	u64 vblock = tb_bio_block(vol->pool, bio), now;
	bool exclusive;

	smp_rmb();	/* exclusive, then claims */
	if (unlikely(xa_load(&vol->prov, vblock)))
		return false;
	/*
	 * No claim: maybe one finished since we looked up @dblock, mapping a
	 * copy (its insert updates the cache before the claim goes) and freeing
	 * @dblock.  So the mapping must still be the one we found.
	 */
	smp_rmb();	/* claims, then the mapping again */
	if (unlikely(!tb_meta_lookup_cached(vol->mv, vblock, &now, &exclusive) ||
		     now != dblock || !exclusive))
		return false;
	tb_remap_write(vol, bio, dblock, epoch);
	return true;
}

/*
 * Send @bio, counted in @epoch, to the data device from the submitter's
 * context: 0, -EAGAIN when the worker must do it, or an error to fail it with
 * (the caller ends the count then).
 */
static int tb_map_write_now(struct tb_volume *vol, struct bio *bio,
			    unsigned int epoch)
{
	struct tb_pool *pool = vol->pool;
	u64 vblock = tb_bio_block(pool, bio), dblock;
	bool exclusive;
	int r;

	if (tb_prov_lookup(vol, vblock, &dblock)) {
		tb_remap_write(vol, bio, dblock, epoch);
		return 0;
	}
	if (tb_meta_lookup_cached(vol->mv, vblock, &dblock, &exclusive) &&
	    exclusive)
		return tb_write_in_place(vol, bio, dblock, epoch) ? 0 : -EAGAIN;
	r = tb_meta_lookup(pool->meta, vol->mv, vblock, false, &dblock,
			   &exclusive);
	if (!r && exclusive)
		return tb_write_in_place(vol, bio, dblock, epoch) ? 0 : -EAGAIN;
	if (!r || r == -ENODATA)
		return tb_provision_direct(vol, bio, !r, epoch) ? 0 : -EAGAIN;
	return r == -EWOULDBLOCK ? -EAGAIN : r;
}

static void tb_map_write(struct tb_volume *vol, struct bio *bio)
{
	struct tb_pool *pool = vol->pool;
	unsigned int epoch;
	int r;

	if (!tb_write_begin(vol, bio))
		return;
	if (bio->bi_opf & (REQ_PREFLUSH | REQ_FUA)) {
		tb_pool_defer(pool, bio);
		return;
	}
	epoch = tb_io_enter(pool);
	r = tb_map_write_now(vol, bio, epoch);
	if (!r)
		return;
	tb_io_exit(pool, epoch);
	if (r == -EAGAIN) {
		tb_pool_defer(pool, bio);
	} else {
		tb_write_end(vol);
		tb_bio_fail(vol, bio, errno_to_blk_status(r));
	}
}

void tb_submit_bio(struct bio *bio)
{
	struct tb_volume *vol = bio->bi_bdev->bd_disk->private_data;
	struct tb_pool *pool = vol->pool;

	bio = bio_split_to_limits(bio);
	if (!bio)
		return;
	tb_account(vol, bio);
	if (READ_ONCE(pool->mode) == THINBLK_MODE_FAIL) {
		tb_bio_fail(vol, bio, BLK_STS_IOERR);
		return;
	}
	switch (bio_op(bio)) {
	case REQ_OP_READ:
		tb_map_read(vol, bio, false);
		break;
	case REQ_OP_WRITE:
		tb_map_write(vol, bio);
		break;
	case REQ_OP_DISCARD:
		tb_pool_defer(pool, bio);
		break;
	case REQ_OP_FLUSH:
		tb_pool_defer(pool, bio);
		break;
	default:
		tb_bio_fail(vol, bio, BLK_STS_NOTSUPP);
	}
}

/* The snapshot is taken: let the held writes go. */
void tb_vol_thaw(struct tb_volume *vol)
{
	struct bio_list held;
	struct bio *bio;

	spin_lock(&vol->freeze_lock);
	vol->frozen = false;
	held = vol->frozen_bios;
	bio_list_init(&vol->frozen_bios);
	spin_unlock(&vol->freeze_lock);
	while ((bio = bio_list_pop(&held)))
		tb_map_write(vol, bio);
}

static bool tb_pool_writes_parked(struct tb_pool *pool)
{
	bool parked;

	spin_lock_irq(&pool->bio_lock);
	parked = !bio_list_empty(&pool->nospace);
	spin_unlock_irq(&pool->bio_lock);
	return parked;
}

/*
 * Hold new writes and wait for those in flight: the origin is stable.  A
 * write parked for space (queue policy) would only finish after a pool grow
 * or the no-space timeout, and grow waits for the caller's tb_pools_mutex:
 * give up with -ENOSPC instead of waiting for it.
 */
int tb_vol_freeze(struct tb_volume *vol)
{
	spin_lock(&vol->freeze_lock);
	vol->frozen = true;
	spin_unlock(&vol->freeze_lock);
	while (!wait_event_timeout(vol->inflight_wait,
				   !atomic_read(&vol->inflight_writes),
				   TB_FREEZE_POLL)) {
		if (tb_pool_writes_parked(vol->pool)) {
			tb_vol_thaw(vol);
			return -ENOSPC;
		}
	}
	return 0;
}

/* The worker's side */

/* Read or write the copy pages (one block, the worker's only) at @block. */
static int tb_copy_pages_io(struct tb_pool *pool, enum req_op op, u64 block)
{
	unsigned int i, nr = pool->block_size >> PAGE_SHIFT;
	struct bio *bio;
	int r;

	bio = bio_alloc(pool->data_bdev, nr, op, GFP_NOIO);
	bio->bi_iter.bi_sector = tb_block_to_sector(pool, block);
	for (i = 0; i < nr; i++)
		__bio_add_page(bio, pool->copy_pages[i], PAGE_SIZE, 0);
	r = tb_data_submit_wait(bio);
	bio_put(bio);
	return r;
}

/* Lay @bio's data over the block held in the copy pages. */
static void tb_copy_pages_overlay(struct tb_pool *pool, struct bio *bio)
{
	size_t off = tb_bio_offset(pool, bio) << SECTOR_SHIFT;
	struct bvec_iter iter;
	struct bio_vec bv;

	bio_for_each_segment(bv, bio, iter) {
		char *src = bvec_kmap_local(&bv);
		unsigned int done, n;

		for (done = 0; done < bv.bv_len; done += n, off += n) {
			n = min_t(size_t, bv.bv_len - done,
				  PAGE_SIZE - offset_in_page(off));
			memcpy_to_page(pool->copy_pages[off >> PAGE_SHIFT],
				       offset_in_page(off), src + done, n);
		}
		kunmap_local(src);
	}
}

/*
 * Write @bio, which covers only part of its block, to @new as the whole block:
 * @old's contents (copy-on-write) or zeros (U64_MAX) with the bio's data laid
 * over them, assembled in the copy pages, as tb_fill does for direct
 * provisioning.  One write, not a copy or a zeroing followed by the bio's
 * own: those are two writes of the same sectors, whose order only the next
 * flush settles (a write log such as dm-log-writes records a FUA write at
 * once and the earlier copy at that flush, after it).
 */
static int tb_write_assembled(struct tb_pool *pool, struct bio *bio, u64 old,
			      u64 new)
{
	unsigned int i;
	int r;

	if (old != U64_MAX) {
		r = tb_copy_pages_io(pool, REQ_OP_READ, old);
		if (r)
			return r;
	} else {
		for (i = 0; i < pool->block_size >> PAGE_SHIFT; i++)
			clear_highpage(pool->copy_pages[i]);
	}
	tb_copy_pages_overlay(pool, bio);
	return tb_copy_pages_io(pool, REQ_OP_WRITE, new);
}

/* Write @bio to its new block @new, replacing @old (U64_MAX: unmapped). */
static int tb_write_new_block(struct tb_volume *vol, struct bio *bio, u64 old,
			      u64 new)
{
	struct tb_pool *pool = vol->pool;

	if (bio->bi_iter.bi_size == pool->block_size ||
	    (old == U64_MAX && !pool->zero))
		return tb_write_sync(vol, bio, new);
	return tb_write_assembled(pool, bio, old, new);
}

/*
 * A metadata change failed with @r: the metadata is poisoned (meta.h) unless
 * it was only over a volume's limit, or refused for lack of metadata space
 * before it changed anything (the pool stays writable where no new block is
 * needed); else the pool goes read-only.
 */
static blk_status_t tb_metadata_error(struct tb_pool *pool, int r)
{
	if (r == -EDQUOT)
		return BLK_STS_NOSPC;
	if (r == -ENOSPC && !tb_meta_failed(pool->meta)) {
		tb_pool_meta_full(pool);
		return BLK_STS_NOSPC;
	}
	if (tb_meta_full(pool->meta)) {
		pr_err("thinblk: pool %s: out of metadata space, going read-only\n",
		       pool->name);
		tb_pool_meta_full(pool);
	} else {
		pr_err("thinblk: pool %s: metadata error %d, going read-only\n",
		       pool->name, r);
	}
	tb_pool_set_mode(pool, THINBLK_MODE_READ_ONLY);
	return BLK_STS_IOERR;
}

/*
 * The rest of tb_provision(), with tb_meta_provision()'s result: write @bio
 * to the block it found, in place (-EEXIST: @old is exclusive now) or to
 * @new, filled from @old, then map @new.
 */
static blk_status_t tb_provision_write(struct tb_volume *vol, struct bio *bio,
				       int r, u64 new, u64 old)
{
	struct tb_pool *pool = vol->pool;

	if (r == -EEXIST)
		return errno_to_blk_status(tb_write_sync(vol, bio, old));
	if (r == -ENOSPC) {		/* the data device is full */
		tb_pool_no_space(pool, bio);
		return BLK_STS_AGAIN;	/* queued or failed by the pool */
	}
	if (r == -ENOBUFS)		/* the metadata space is */
		r = -ENOSPC;
	if (r)
		return tb_metadata_error(pool, r);
	r = tb_write_new_block(vol, bio, old, new);
	if (r) {
		tb_meta_unprovision(pool->meta, vol->mv, new, false);
		return errno_to_blk_status(r);
	}
	r = tb_meta_insert(pool->meta, vol->mv, tb_bio_block(pool, bio), new,
			   false);
	if (r && !tb_meta_failed(pool->meta))
		tb_meta_unprovision(pool->meta, vol->mv, new, false);	/* refused */
	if (r)
		return tb_metadata_error(pool, r);
	atomic64_inc(old == U64_MAX ? &vol->stats.provisioned : &vol->stats.cow);
	tb_pool_check_low_water(pool);
	return BLK_STS_OK;
}

/*
 * Allocate, fill and map a new block for @bio; 0 or a status to fail with.
 * Counted in an I/O epoch from before the lookup of the old block to the end
 * of the copy and the write, but not across the commit it may wait for.
 */
static blk_status_t tb_provision(struct tb_volume *vol, struct bio *bio)
{
	struct tb_pool *pool = vol->pool;
	u64 vblock = tb_bio_block(pool, bio), new, old;
	blk_status_t status;
	unsigned int epoch;
	int r;

	if (READ_ONCE(pool->mode) >= THINBLK_MODE_READ_ONLY)
		return BLK_STS_IOERR;
	epoch = tb_io_enter(pool);
	r = tb_meta_provision(pool->meta, vol->mv, vblock, true, &new, &old);
	/*
	 * Out of space or over the limit, maybe only because blocks freed or
	 * unshared in this transaction wait for its commit, or blocks a commit
	 * freed for their release: commit (or wait for that one), try again.
	 */
	if ((r == -ENOSPC || r == -ENOBUFS ||
	     (r == -EDQUOT && old != U64_MAX)) &&
	    (tb_meta_needs_commit(pool->meta) ||
	     tb_meta_release_pending(pool->meta))) {
		tb_io_exit(pool, epoch);
		r = tb_pool_commit(pool);
		epoch = tb_io_enter(pool);
		if (r) {
			status = tb_metadata_error(pool, r);
			goto out;
		}
		r = tb_meta_provision(pool->meta, vol->mv, vblock, true, &new,
				      &old);
	}
	status = tb_provision_write(vol, bio, r, new, old);
out:
	tb_io_exit(pool, epoch);
	return status;
}

/* Write @bio under our claim on its block. */
static blk_status_t tb_write_claimed(struct tb_volume *vol, struct bio *bio)
{
	struct tb_pool *pool = vol->pool;
	unsigned int epoch;
	bool exclusive;
	u64 dblock;
	int r;

	epoch = tb_io_enter(pool);
	r = tb_meta_lookup(pool->meta, vol->mv, tb_bio_block(pool, bio), true,
			   &dblock, &exclusive);
	if (!r && exclusive)
		r = tb_write_sync(vol, bio, dblock);
	tb_io_exit(pool, epoch);
	if (r == -ENODATA || (!r && !exclusive))
		return tb_provision(vol, bio);	/* counts again itself */
	return errno_to_blk_status(r);
}

static void tb_process_write(struct tb_volume *vol, struct bio *bio)
{
	struct tb_pool *pool = vol->pool;
	blk_status_t status = BLK_STS_OK;
	struct tb_prov *prov;
	enum tb_claim claim;
	unsigned int epoch;
	u64 dblock;

	/* the claim's block is looked up: counted from before */
	epoch = tb_io_enter(pool);
	claim = tb_prov_claim(vol, tb_bio_block(pool, bio), bio, GFP_NOIO,
			      &prov, &dblock);
	if (claim == TB_CLAIM_WRITTEN)
		status = errno_to_blk_status(tb_write_sync(vol, bio, dblock));
	tb_io_exit(pool, epoch);
	switch (claim) {
	case TB_CLAIMED:
		status = tb_write_claimed(vol, bio);
		tb_prov_release(prov);
		if (status == BLK_STS_AGAIN)
			return;		/* queued or failed by the pool */
		break;
	case TB_CLAIM_WRITTEN:
		break;
	case TB_CLAIM_PARKED:
		return;
	default:
		status = BLK_STS_RESOURCE;
	}
	if (!status && (bio->bi_opf & REQ_FUA) && tb_pool_commit(pool))
		status = BLK_STS_IOERR;
	tb_write_end(vol);
	if (status)
		tb_bio_fail(vol, bio, status);
	else
		bio_endio(bio);
}

static void tb_process_discard(struct tb_volume *vol, struct bio *bio)
{
	struct tb_pool *pool = vol->pool;
	sector_t start = bio->bi_iter.bi_sector;
	sector_t end = bio_end_sector(bio);
	u64 b = DIV_ROUND_UP_ULL(start, 1U << pool->block_shift);
	u64 last = end >> pool->block_shift;
	int r = 0;

	if (READ_ONCE(pool->mode) >= THINBLK_MODE_READ_ONLY)
		r = -EIO;
	else
		r = tb_io_drain(pool);	/* writes done before it come first */
	for (; b < last && !r; b++)
		r = tb_meta_unmap(pool->meta, vol->mv, b);
	if (r && (tb_meta_failed(pool->meta) || r == -ENOSPC))
		tb_metadata_error(pool, r);
	if (r)
		tb_bio_fail(vol, bio, errno_to_blk_status(r));
	else
		bio_endio(bio);
}

static void tb_process(struct tb_pool *pool, struct bio *bio)
{
	struct tb_volume *vol = bio->bi_bdev->bd_disk->private_data;
	bool is_write = bio_op(bio) == REQ_OP_WRITE;

	if (bio->bi_opf & REQ_PREFLUSH) {
		if (tb_pool_commit(pool)) {
			if (is_write)
				tb_write_end(vol);
			tb_bio_fail(vol, bio, BLK_STS_IOERR);
			return;
		}
		bio->bi_opf &= ~REQ_PREFLUSH;
		if (!bio_sectors(bio)) {
			if (is_write)
				tb_write_end(vol);
			bio_endio(bio);
			return;
		}
	}
	if (bio_op(bio) == REQ_OP_DISCARD)
		tb_process_discard(vol, bio);
	else if (is_write)
		tb_process_write(vol, bio);
	else if (bio_op(bio) == REQ_OP_READ)
		tb_map_read(vol, bio, true);
	else
		bio_endio(bio);
}

void tb_pool_worker(struct work_struct *w)
{
	struct tb_pool *pool = container_of(w, struct tb_pool, worker);
	struct bio *bio;

	for (;;) {
		if (tb_io_pending(pool))
			tb_io_drain(pool);
		spin_lock_irq(&pool->bio_lock);
		bio = bio_list_pop(&pool->deferred);
		spin_unlock_irq(&pool->bio_lock);
		if (!bio)
			break;
		tb_process(pool, bio);
		cond_resched();
	}
}

/* Insert a finished direct provisioning's mapping; @err: an earlier one's. */
static int tb_prov_finish(struct tb_prov *prov, int err)
{
	struct tb_volume *vol = prov->vol;
	struct tb_pool *pool = prov->pool;
	int r;

	if (prov->status) {
		tb_meta_unprovision(pool->meta, vol->mv, prov->dblock, true);
		tb_prov_release(prov);
		return err;
	}
	/*
	 * After a metadata error the data stays readable where it was written
	 * until the volume goes away (tb_io_vol_exit): the pool is read-only,
	 * and the flush or commit that drained this fails.
	 */
	if (err || READ_ONCE(pool->mode) >= THINBLK_MODE_READ_ONLY)
		return err ? err : -EROFS;
	r = tb_meta_insert(pool->meta, vol->mv, prov->vblock, prov->dblock,
			   true);
	if (r) {
		tb_metadata_error(pool, r);
		return r;
	}
	tb_prov_release(prov);
	return 0;
}

bool tb_io_pending(struct tb_pool *pool)
{
	return READ_ONCE(pool->nr_prepared);
}

int tb_io_drain(struct tb_pool *pool)
{
	struct tb_prov *prov, *tmp;
	LIST_HEAD(batch);
	bool any;
	int r = 0;

	mutex_lock(&pool->drain_mutex);
	spin_lock_irq(&pool->bio_lock);
	list_splice_init(&pool->prepared, &batch);
	pool->nr_prepared = 0;
	spin_unlock_irq(&pool->bio_lock);
	any = !list_empty(&batch);
	list_for_each_entry_safe(prov, tmp, &batch, list) {
		list_del_init(&prov->list);
		r = tb_prov_finish(prov, r);
	}
	mutex_unlock(&pool->drain_mutex);
	if (any)
		tb_pool_check_low_water(pool);
	return r;
}

void tb_io_vol_exit(struct tb_volume *vol)
{
	struct tb_prov *prov;
	unsigned long i;

	tb_io_drain(vol->pool);
	/* what is left could not be inserted (read-only pool) */
	xa_for_each(&vol->prov, i, prov)
		tb_prov_release(prov);
	xa_destroy(&vol->prov);
}

int tb_io_pool_init(struct tb_pool *pool)
{
	unsigned int i, nr = pool->block_size >> PAGE_SHIFT;
	int r;

	r = bioset_init(&pool->clone_bs, BIO_POOL_SIZE,
			offsetof(struct tb_io, clone), 0);
	if (r)
		return r;
	pool->prov_pool = mempool_create_kmalloc_pool(TB_PROV_RESERVE,
						      sizeof(struct tb_prov));
	if (!pool->prov_pool)
		goto bad;
	pool->fill_wq = alloc_workqueue("thinblk-fill-%s",
					 WQ_MEM_RECLAIM | WQ_HIGHPRI, 0,
					 pool->name);
	if (!pool->fill_wq)
		goto bad;
	pool->copy_pages = kcalloc(nr, sizeof(struct page *), GFP_KERNEL);
	if (!pool->copy_pages)
		goto bad;
	for (i = 0; i < nr; i++) {
		pool->copy_pages[i] = alloc_page(GFP_KERNEL);
		if (!pool->copy_pages[i])
			goto bad;
	}
	return 0;
bad:
	tb_io_pool_exit(pool);
	return -ENOMEM;
}

void tb_io_pool_exit(struct tb_pool *pool)
{
	unsigned int i, nr = pool->block_size >> PAGE_SHIFT;

	/*
	 * Volumes wait for their writes, not their reads (a last close leaves
	 * none in practice): the pool waits for every bio that still counts,
	 * then for a grace period, as the last tb_io_exit() may still be
	 * waking us.
	 */
	wait_event(pool->io_wait, !atomic_read(&pool->io_inflight[0]) &&
				  !atomic_read(&pool->io_inflight[1]));
	synchronize_rcu();

	if (pool->copy_pages) {
		for (i = 0; i < nr; i++)
			if (pool->copy_pages[i])
				__free_page(pool->copy_pages[i]);
		kfree(pool->copy_pages);
		pool->copy_pages = NULL;
	}
	if (pool->fill_wq) {
		destroy_workqueue(pool->fill_wq);
		pool->fill_wq = NULL;
	}
	bioset_exit(&pool->clone_bs);
	rcu_barrier();		/* struct tb_prov freed after a grace period */
	mempool_destroy(pool->prov_pool);
	pool->prov_pool = NULL;
}
