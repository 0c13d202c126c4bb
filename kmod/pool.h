/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pools and volumes: the objects behind the netlink commands, their
 * registry, and the state the I/O path (io.c) works on.
 *
 * Locking, outermost first:
 *   tb_pools_mutex   the list of pools and every control operation (pool.c):
 *                    each pool's volume list and indexes;
 *   pool->drain_mutex  inserting finished provisionings (io.c);
 *   vol->open_mutex  openers and the dying flag of one volume;
 *   meta's lock      the metadata (meta.h), taken inside meta.c only;
 *   pool->bio_lock, vol->freeze_lock  spinlocks around bio lists.
 *
 * A volume's ->release runs under its disk's open_mutex, which del_gendisk()
 * takes too: the last close of a volume marked for deferred deletion only
 * queues the delete (vol->deferred_work, which takes tb_pools_mutex).
 *
 * Active and inactive volumes: every live volume of an open pool has a
 * struct tb_volume in the pool's indexes (lookups, usage, snapshots, delete
 * and reclaim need no block device); an active one also has a gendisk.
 * vol->disk is set and cleared under tb_pools_mutex only (activation,
 * deactivation, delete, pool open and close).  struct tb_volume is counted
 * (vol->ref): one reference for the pool's indexes, one for each gendisk
 * that still points at it (dropped by ->free_disk, which may come after a
 * deactivation or delete, when the last holder of the old disk lets go).
 */
#ifndef THINBLK_POOL_H
#define THINBLK_POOL_H

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/list.h>
#include <linux/mempool.h>
#include <linux/mutex.h>
#include <linux/rhashtable.h>
#include <linux/workqueue.h>
#include <linux/thinblk.h>
#include <net/netlink.h>

#include "meta.h"

struct tb_pool {
	struct list_head list;		/* in tb_pools, under tb_pools_mutex */
	char name[THINBLK_NAME_MAX];
	char data_path[THINBLK_PATH_MAX];
	char meta_path[THINBLK_PATH_MAX];
	struct block_device *data_bdev;
	struct block_device *meta_bdev;
	struct tb_meta *meta;
	u32 block_size;			/* bytes, fixed at create */
	unsigned int block_shift;	/* log2(block_size / 512) */
	bool zero;			/* zero new blocks on partial writes */
	bool passdown;			/* discard freed blocks on the data dev */

	/* The volumes, under tb_pools_mutex; indexed so that no lookup walks them. */
	struct list_head volumes;	/* struct tb_volume, by creation */
	struct rhashtable vol_names;	/* by name (tb_vol_names) */
	struct xarray vol_ids;		/* by id */
	unsigned int nr_volumes;

	bool low_water_raised;		/* READ_ONCE/WRITE_ONCE */
	/* OUT_OF_META_SPACE sent, metadata not back yet; READ_ONCE/WRITE_ONCE */
	bool meta_full_raised;
	u32 mode;			/* enum thinblk_pool_mode; READ_ONCE */

	struct workqueue_struct *wq;	/* ordered: provisioning, flush, discard */
	struct work_struct worker;
	struct delayed_work commit_work;
	struct delayed_work nospace_work;
	struct work_struct reclaim_work;

	spinlock_t bio_lock;		/* protects the two lists below */
	struct bio_list deferred;	/* for the worker */
	struct bio_list nospace;	/* waiting for space (queue policy) */
	unsigned long nospace_since;	/* jiffies of the oldest in nospace */

	struct bio_set clone_bs;	/* clones, with struct tb_io */
	struct page **copy_pages;	/* one block, the worker's partial writes */

	/*
	 * Provisionings whose write is done and whose mapping is still to be
	 * inserted (struct tb_prov, io.c); under bio_lock with nr_prepared.
	 * drain_mutex serializes tb_io_drain(), so that a commit after it
	 * covers every write completed before it was called.
	 */
	struct list_head prepared;
	unsigned int nr_prepared;
	struct mutex drain_mutex;
	mempool_t *prov_pool;		/* struct tb_prov */
	/* blocks assembled in memory (io.c): writes submitted from irq, count */
	struct workqueue_struct *fill_wq;
	atomic_t nr_fill;
	atomic_t nr_prov;		/* struct tb_prov allocated */

	/*
	 * I/O in flight to mapped data blocks, in two epochs (io.c): the
	 * count of the current one (io_epoch & 1) goes up before a bio looks
	 * up its block and down when the data device is done with it, and a
	 * commit that freed blocks flips the epoch and waits for the old
	 * count to drain before the blocks can be allocated again
	 * (tb_io_quiesce()).  io_epoch changes only in a commit.
	 */
	unsigned int io_epoch ____cacheline_aligned_in_smp;	/* READ_ONCE */
	atomic_t io_inflight[2];
	/* a commit waiting for the old epoch, teardown for both */
	wait_queue_head_t io_wait;
};

struct tb_vol_stats {
	atomic64_t reads, writes, read_bytes, write_bytes;
	atomic64_t provisioned, cow, discards, errors;
};

struct tb_volume {
	struct list_head list;		/* in pool->volumes, under tb_pools_mutex */
	struct rhash_head name_node;	/* in pool->vol_names */
	/* mv->name zero-padded: the key of pool->vol_names */
	char name[THINBLK_NAME_MAX];
	struct tb_pool *pool;
	struct tb_mvol *mv;		/* metadata record, owned by meta */
	struct kref ref;		/* the indexes' + each gendisk's */
	struct gendisk *disk;		/* NULL: inactive; tb_pools_mutex */
	/* What it was snapshotted from, for sysfs; "" for a base volume. */
	char origin_name[THINBLK_NAME_MAX];

	/*
	 * Protects openers, dying and deferred.  Under tb_pools_mutex, dying
	 * means the volume is deactivated (or hidden while its pool opens).
	 */
	struct mutex open_mutex;
	unsigned int openers;
	bool dying;
	/* delete at the last close: its record is DEFERRED_DELETE, committed */
	bool deferred;
	/* the delete of a deferred volume, queued by its last close */
	struct work_struct deferred_work;
	/*
	 * The disk that last close was of, with a reference for the queued
	 * work (vol->disk may be NULL by the time it runs: a plain delete
	 * after the close); under open_mutex.
	 */
	struct gendisk *deferred_disk;

	spinlock_t freeze_lock;		/* protects frozen and frozen_bios */
	bool frozen;			/* a snapshot is being taken */
	struct bio_list frozen_bios;
	atomic_t inflight_writes;	/* writes between submit and completion */
	wait_queue_head_t inflight_wait;

	/*
	 * Blocks being provisioned: vblock -> struct tb_prov (io.c), which
	 * claims the block against a second provisioning and holds the writes
	 * that come meanwhile.  Its xa_lock (irq-safe) protects those entries'
	 * state and waiting lists.
	 */
	struct xarray prov;

	struct tb_vol_stats stats;
	unsigned long last_error_event;	/* jiffies; rate-limits IO_ERROR */
	/* An overwrite's error, reported from process context by error_work. */
	int clone_error;
	struct work_struct error_work;
};

struct tb_pool_params {
	const char *name, *data_path, *meta_path;
	u32 set;			/* TB_SET_* present below */
	u32 block_size;
	u64 basesize;
	u64 low_water;
	u8 low_water_pct;
	u64 min_free;
	u8 min_free_pct;
	u32 no_space, no_space_timeout, flags;
	bool force;			/* create: over an existing pool */
	u8 activate;			/* open: enum thinblk_activate */
	/* open with THINBLK_ACTIVATE_LIST: a nest of THINBLK_A_VOL_NAME */
	const struct nlattr *activate_list;
};

#define TB_SET_BLOCK_SIZE	BIT(0)
#define TB_SET_BASESIZE		BIT(1)
#define TB_SET_LOW_WATER	BIT(2)
#define TB_SET_LOW_WATER_PCT	BIT(3)
#define TB_SET_NO_SPACE		BIT(4)
#define TB_SET_TIMEOUT		BIT(5)
#define TB_SET_FLAGS		BIT(6)
#define TB_SET_MIN_FREE		BIT(7)
#define TB_SET_MIN_FREE_PCT	BIT(8)

struct tb_pool_info {
	char name[THINBLK_NAME_MAX];
	char data_path[THINBLK_PATH_MAX], meta_path[THINBLK_PATH_MAX];
	u32 block_size, no_space, no_space_timeout, flags, mode, volumes;
	u64 data_size, data_used, meta_size, meta_used, basesize, low_water;
	u64 min_free;
	u64 transaction;
	u32 error;		/* positive errno that made the metadata read-only */
	bool meta_full;		/* out of metadata space (tb_meta_full()) */
};

struct tb_vol_info {
	char pool[THINBLK_NAME_MAX], name[THINBLK_NAME_MAX];
	char origin[THINBLK_NAME_MAX];	/* "" for none */
	char device[DISK_NAME_LEN + sizeof("/dev/")];
	u32 id, openers;
	bool deferred;		/* marked for deletion at its last close */
	bool active;		/* has a block device (device is "" if not) */
	u64 size, limit, referenced, exclusive;
	u64 stats[THINBLK_STATS_A_MAX + 1];	/* by THINBLK_STATS_A_* */
};

/* Control operations (pool.c); errors carry an extack message. */
int tb_pool_create(const struct tb_pool_params *p, struct netlink_ext_ack *ea);
int tb_pool_open(const struct tb_pool_params *p, struct netlink_ext_ack *ea);
/* @force: destroy even if volumes map data. */
int tb_pool_close(const char *name, bool destroy, bool force,
		  struct netlink_ext_ack *ea);
int tb_pool_grow(const char *name, struct netlink_ext_ack *ea);
int tb_pool_set(const struct tb_pool_params *p, struct netlink_ext_ack *ea);
int tb_pool_get(const char *name, struct tb_pool_info *info,
		struct netlink_ext_ack *ea);
/* The @idx-th pool, for dumps; -ENOENT past the end. */
int tb_pool_get_nth(unsigned long idx, struct tb_pool_info *info);
bool tb_pool_exists(const char *name);

/* @inactive: the new volume gets no block device (record INACTIVE). */
int tb_vol_create(const char *pool, const char *name, u64 size, u64 limit,
		  bool inactive, struct netlink_ext_ack *ea);
int tb_vol_snapshot(const char *pool, const char *origin, const char *name,
		    u64 size, u64 limit, bool inactive,
		    struct netlink_ext_ack *ea);
/* Give a volume its block device, or take it (-EBUSY open); persisted. */
int tb_vol_activate(const char *pool, const char *name,
		    struct netlink_ext_ack *ea);
int tb_vol_deactivate(const char *pool, const char *name,
		      struct netlink_ext_ack *ea);
int tb_vol_resize(const char *pool, const char *name, u64 size,
		  struct netlink_ext_ack *ea);
/* @deferred: an open volume is marked and deleted at its last close. */
int tb_vol_delete(const char *pool, const char *name, bool deferred,
		  struct netlink_ext_ack *ea);
int tb_vol_set_limit(const char *pool, const char *name, u64 limit,
		     struct netlink_ext_ack *ea);
int tb_vol_get(const char *pool, const char *name, struct tb_vol_info *info,
	       struct netlink_ext_ack *ea);
/*
 * Dump cursor: the next volume at or after (*pool_idx, *vol_idx), pools
 * filtered by @pool when not NULL; advances the cursor.  -ENOENT at the end.
 */
int tb_vol_get_next(const char *pool, unsigned long *pool_idx,
		    unsigned long *vol_idx, struct tb_vol_info *info);
/* Bumped by every change of pools or volumes (dump consistency). */
unsigned int tb_generation(void);

int tb_pools_init(void);
void tb_pools_exit(void);
/* Let queued deferred deletions finish (module exit, before netlink goes). */
void tb_pools_quiesce(void);

/* pool.c, for io.c */
void tb_pool_set_mode(struct tb_pool *pool, u32 mode);
int tb_pool_commit(struct tb_pool *pool);
void tb_pool_defer(struct tb_pool *pool, struct bio *bio);
void tb_pool_no_space(struct tb_pool *pool, struct bio *bio);
void tb_pool_check_low_water(struct tb_pool *pool);
/* An ordinary change was refused for lack of metadata space. */
void tb_pool_meta_full(struct tb_pool *pool);
void tb_vol_io_error(struct tb_volume *vol, int err);
/* volume.c: the last opener of a deferred volume is gone (open_mutex held). */
void tb_vol_last_close(struct tb_volume *vol, struct gendisk *disk);

/* volume.c; the disk functions run under tb_pools_mutex. */
int tb_volume_add_disk(struct tb_volume *vol);
void tb_volume_del_disk(struct tb_volume *vol);
/* Drop the pool's reference to the disk; vol->disk is NULL after it. */
void tb_volume_put_disk(struct tb_volume *vol);
/* Opens allowed from now on (and udev told again, if it has a disk). */
void tb_volume_show(struct tb_volume *vol);
void tb_volume_get(struct tb_volume *vol);
/* Drop a reference: the last one frees @vol. */
void tb_volume_put(struct tb_volume *vol);
int tb_volumes_init(void);
void tb_volumes_exit(void);

/* io.c */
void tb_submit_bio(struct bio *bio);
void tb_pool_worker(struct work_struct *w);
void tb_write_end(struct tb_volume *vol);
int tb_vol_freeze(struct tb_volume *vol);
void tb_vol_thaw(struct tb_volume *vol);
/* Insert the mappings of finished writes (before a commit, usage, ...). */
int tb_io_drain(struct tb_pool *pool);
bool tb_io_pending(struct tb_pool *pool);
/* Wait for the I/O sent so far to mapped blocks (struct tb_meta_free_hooks). */
void tb_io_quiesce(void *pool);
/* @vol is going away and has no I/O left. */
void tb_io_vol_exit(struct tb_volume *vol);
int tb_io_pool_init(struct tb_pool *pool);
void tb_io_pool_exit(struct tb_pool *pool);

static inline sector_t tb_block_to_sector(struct tb_pool *pool, u64 b)
{
	return (sector_t)b << pool->block_shift;
}

#endif
