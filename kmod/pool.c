// SPDX-License-Identifier: GPL-2.0
/*
 * Pools and volumes: the control operations behind the netlink commands,
 * pool modes, no-space handling, periodic commit and background reclaim.
 * Locking is described in pool.h.
 */
#include <linux/ctype.h>
#include <linux/module.h>
#include <linux/namei.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string_helpers.h>
#include <linux/timekeeping.h>

#include "pool.h"
#include "netlink.h"

/*
 * How often a pool commits when something changed (besides every flush, FUA
 * write and control operation).  A longer period only lengthens what a power
 * cut may take of writes that nobody flushed; tests use it to hold a
 * transaction open across several steps.
 */
static unsigned int commit_period_ms = 1000;
module_param(commit_period_ms, uint, 0644);
MODULE_PARM_DESC(commit_period_ms, "periodic commit interval in milliseconds (default 1000, at least 10)");
#define TB_COMMIT_PERIOD_MIN_MS 10

static unsigned long tb_commit_period(void)
{
	return msecs_to_jiffies(max_t(unsigned int, READ_ONCE(commit_period_ms),
				      TB_COMMIT_PERIOD_MIN_MS));
}
#define TB_BDEV_MODE (FMODE_READ | FMODE_WRITE | FMODE_EXCL)
#define TB_PERCENT 100

static LIST_HEAD(tb_pools);		/* under tb_pools_mutex */
/* Serialises every control operation, and protects tb_pools. */
static DEFINE_MUTEX(tb_pools_mutex);
/* deferred deletions (tb_vol_deferred_work); drained at module exit */
static struct workqueue_struct *tb_deferred_wq;
static atomic_t tb_gen = ATOMIC_INIT(1);

unsigned int tb_generation(void)
{
	return atomic_read(&tb_gen);
}

static void tb_changed(void)
{
	atomic_inc(&tb_gen);
}

static const char * const tb_mode_names[] = {
	[THINBLK_MODE_WRITE] = "write",
	[THINBLK_MODE_OUT_OF_DATA_SPACE] = "out-of-data-space",
	[THINBLK_MODE_READ_ONLY] = "read-only",
	[THINBLK_MODE_FAIL] = "fail",
};

static void tb_pool_event(struct tb_pool *pool, u32 type)
{
	struct tb_event ev = { .type = type, .pool = pool->name, .mode = -1 };

	tb_nl_event(&ev);
}

static void tb_vol_event(struct tb_volume *vol, u32 type, const char *origin)
{
	struct tb_event ev = {
		.type = type, .pool = vol->pool->name, .vol = vol->mv->name,
		.origin = origin, .size = vol->mv->size, .mode = -1,
	};

	tb_nl_event(&ev);
}

static void tb_space_event(struct tb_pool *pool, u32 type)
{
	struct tb_meta_usage u;
	struct tb_event ev = { .type = type, .pool = pool->name, .mode = -1 };

	tb_meta_usage(pool->meta, &u);
	ev.data_used = u.data_used * pool->block_size;
	ev.data_size = u.data_blocks * pool->block_size;
	tb_nl_event(&ev);
}

void tb_vol_io_error(struct tb_volume *vol, int err)
{
	unsigned long last = READ_ONCE(vol->last_error_event);
	struct tb_event ev = { .type = THINBLK_EVENT_IO_ERROR,
			       .pool = vol->pool->name, .vol = vol->mv->name,
			       .err = -err, .mode = -1 };

	if (last && time_before(jiffies, last + HZ))
		return;
	if (cmpxchg(&vol->last_error_event, last, jiffies ? jiffies : 1) != last)
		return;
	tb_nl_event(&ev);
}

static void tb_vol_error_work(struct work_struct *w)
{
	struct tb_volume *vol = container_of(w, struct tb_volume, error_work);

	tb_vol_io_error(vol, READ_ONCE(vol->clone_error));
}

void tb_pool_meta_full(struct tb_pool *pool)
{
	if (READ_ONCE(pool->meta_full_raised))
		return;
	WRITE_ONCE(pool->meta_full_raised, true);
	tb_pool_event(pool, THINBLK_EVENT_OUT_OF_META_SPACE);
}

/* After a commit: metadata space came back (the reclaim, a grow). */
static void tb_pool_meta_space_check(struct tb_pool *pool)
{
	if (!READ_ONCE(pool->meta_full_raised) || tb_meta_full(pool->meta))
		return;
	WRITE_ONCE(pool->meta_full_raised, false);
	tb_changed();
	tb_pool_event(pool, THINBLK_EVENT_POOL_CHANGED);
}

/* Modes only get worse from read-only on: nothing leaves it but a reopen. */
void tb_pool_set_mode(struct tb_pool *pool, u32 mode)
{
	struct tb_event ev = { .type = THINBLK_EVENT_MODE_CHANGED,
			       .pool = pool->name, .mode = mode };
	u32 old = READ_ONCE(pool->mode), seen;

	for (;;) {
		if (old == mode || (old >= THINBLK_MODE_READ_ONLY && mode < old))
			return;
		seen = cmpxchg(&pool->mode, old, mode);
		if (seen == old)
			break;
		old = seen;
	}
	pr_warn("thinblk: pool %s: mode %s -> %s\n", pool->name,
		tb_mode_names[old], tb_mode_names[mode]);
	if (mode == THINBLK_MODE_OUT_OF_DATA_SPACE)
		tb_space_event(pool, THINBLK_EVENT_OUT_OF_DATA_SPACE);
	tb_nl_event(&ev);
}

void tb_pool_defer(struct tb_pool *pool, struct bio *bio)
{
	unsigned long flags;

	spin_lock_irqsave(&pool->bio_lock, flags);
	bio_list_add(&pool->deferred, bio);
	spin_unlock_irqrestore(&pool->bio_lock, flags);
	queue_work(pool->wq, &pool->worker);
}

/* Space came back: retry what waits for it. */
static void tb_pool_space_available(struct tb_pool *pool)
{
	if (READ_ONCE(pool->mode) != THINBLK_MODE_OUT_OF_DATA_SPACE)
		return;
	tb_pool_set_mode(pool, THINBLK_MODE_WRITE);
	spin_lock_irq(&pool->bio_lock);
	bio_list_merge(&pool->deferred, &pool->nospace);
	bio_list_init(&pool->nospace);
	spin_unlock_irq(&pool->bio_lock);
	queue_work(pool->wq, &pool->worker);
}

static bool tb_pool_has_space(struct tb_pool *pool)
{
	struct tb_meta_usage u;

	tb_meta_usage(pool->meta, &u);
	return u.data_used < u.data_blocks;
}

int tb_pool_commit(struct tb_pool *pool)
{
	int r;

	if (READ_ONCE(pool->mode) >= THINBLK_MODE_READ_ONLY)
		return -EROFS;
	r = tb_io_drain(pool);
	if (!r)
		r = tb_meta_commit(pool->meta);
	if (r && !tb_meta_failed(pool->meta) && !tb_meta_needs_commit(pool->meta))
		return r;	/* only the data device's flush failed */
	if (r) {
		pr_err("thinblk: pool %s: commit failed (%d)\n", pool->name, r);
		tb_pool_set_mode(pool, THINBLK_MODE_READ_ONLY);
		return r;
	}
	if (tb_pool_has_space(pool))
		tb_pool_space_available(pool);
	tb_pool_meta_space_check(pool);
	return 0;
}

/* Control operations change metadata: refuse them up front once it can't be. */
static int tb_pool_check_writable(struct tb_pool *pool,
				  struct netlink_ext_ack *ea)
{
	enum thinblk_pool_mode mode = READ_ONCE(pool->mode);

	if (mode < THINBLK_MODE_READ_ONLY && !tb_meta_failed(pool->meta))
		return 0;
	if (mode < THINBLK_MODE_READ_ONLY)
		mode = THINBLK_MODE_READ_ONLY;	/* its mode change is on the way */
	tb_nl_errmsg(ea, "pool \"%s\": %s, metadata can't be changed",
		     pool->name, tb_mode_names[mode]);
	return -EROFS;
}

/*
 * Make a control operation durable before it is acknowledged, as dm-thin
 * commits after every pool message: a container daemon that was told "created"
 * or "deleted" must find it so after a power cut.
 */
static int tb_pool_commit_op(struct tb_pool *pool, struct netlink_ext_ack *ea)
{
	int r = tb_pool_commit(pool);

	if (r)
		tb_nl_errmsg(ea, "pool \"%s\": metadata commit failed (%d), pool is read-only",
			     pool->name, r);
	return r;
}

static void tb_fail_bios(struct bio_list *list)
{
	struct bio *bio;

	while ((bio = bio_list_pop(list))) {
		struct tb_volume *vol = bio->bi_bdev->bd_disk->private_data;

		atomic64_inc(&vol->stats.errors);
		tb_write_end(vol);
		bio->bi_status = BLK_STS_NOSPC;
		bio_endio(bio);
	}
}

void tb_pool_no_space(struct tb_pool *pool, struct bio *bio)
{
	struct tb_meta_settings s;
	struct bio_list one;

	tb_pool_set_mode(pool, THINBLK_MODE_OUT_OF_DATA_SPACE);
	tb_meta_get_settings(pool->meta, &s);
	if (s.no_space == THINBLK_NO_SPACE_ERROR) {
		bio_list_init(&one);
		bio_list_add(&one, bio);
		tb_fail_bios(&one);
		return;
	}
	spin_lock_irq(&pool->bio_lock);
	if (bio_list_empty(&pool->nospace))
		pool->nospace_since = jiffies;
	bio_list_add(&pool->nospace, bio);
	spin_unlock_irq(&pool->bio_lock);
	queue_delayed_work(system_wq, &pool->nospace_work,
			   s.no_space_timeout * HZ);
}

/* The queue policy's timeout: fail what waited for space. */
static void tb_nospace_timeout(struct work_struct *w)
{
	struct tb_pool *pool = container_of(to_delayed_work(w), struct tb_pool,
					    nospace_work);
	struct bio_list expired;

	spin_lock_irq(&pool->bio_lock);
	expired = pool->nospace;
	bio_list_init(&pool->nospace);
	spin_unlock_irq(&pool->bio_lock);
	tb_fail_bios(&expired);
}

void tb_pool_check_low_water(struct tb_pool *pool)
{
	struct tb_meta_settings s;
	struct tb_meta_usage u;
	u64 free_bytes;

	tb_meta_get_settings(pool->meta, &s);
	tb_meta_usage(pool->meta, &u);
	free_bytes = (u.data_blocks - u.data_used) * pool->block_size;
	if (free_bytes >= s.low_water) {
		WRITE_ONCE(pool->low_water_raised, false);
	} else if (!READ_ONCE(pool->low_water_raised)) {
		WRITE_ONCE(pool->low_water_raised, true);
		tb_space_event(pool, THINBLK_EVENT_LOW_WATER);
	}
}

static void tb_commit_work(struct work_struct *w)
{
	struct tb_pool *pool = container_of(to_delayed_work(w), struct tb_pool,
					    commit_work);

	if (tb_io_pending(pool) || tb_meta_needs_commit(pool->meta))
		tb_pool_commit(pool);
	queue_delayed_work(system_wq, &pool->commit_work, tb_commit_period());
}

/* Free deleted volumes' blocks a piece at a time. */
static void tb_reclaim_work(struct work_struct *w)
{
	struct tb_pool *pool = container_of(w, struct tb_pool, reclaim_work);
	bool more = true;
	int r;

	while (more && READ_ONCE(pool->mode) < THINBLK_MODE_READ_ONLY) {
		r = tb_meta_reclaim(pool->meta, &more);
		/* the next step needs the space a commit makes reusable */
		if (r == -EAGAIN) {
			more = !tb_pool_commit(pool);
			r = 0;
		}
		if (r == -ENOSPC) {
			pr_warn("thinblk: pool %s: reclaim waits for metadata space (grow the metadata device)\n",
				pool->name);
			return;
		}
		if (r) {
			pr_err("thinblk: pool %s: reclaim failed (%d)\n",
			       pool->name, r);
			tb_pool_set_mode(pool, THINBLK_MODE_READ_ONLY);
			return;
		}
		cond_resched();
	}
}

/* Discard passdown of data blocks freed by a commit (meta lock held). */
static void tb_pool_discard_freed(void *arg, u64 b, u64 len)
{
	struct tb_pool *pool = arg;

	if (!pool->passdown)
		return;
	blkdev_issue_discard(pool->data_bdev, tb_block_to_sector(pool, b),
			     tb_block_to_sector(pool, len), GFP_NOIO);
}

static const struct tb_meta_free_hooks tb_pool_free_hooks = {
	.quiesce = tb_io_quiesce,
	.discard = tb_pool_discard_freed,
};

/* Pool lifetime */

static struct tb_pool *tb_pool_find(const char *name)
{
	struct tb_pool *pool;

	lockdep_assert_held(&tb_pools_mutex);
	list_for_each_entry(pool, &tb_pools, list)
		if (!strcmp(pool->name, name))
			return pool;
	return NULL;
}

static struct tb_pool *tb_pool_lookup(const char *name,
				      struct netlink_ext_ack *ea)
{
	struct tb_pool *pool = tb_pool_find(name);

	if (!pool)
		tb_nl_errmsg(ea, "pool \"%s\": no such pool", name);
	return pool;
}

/*
 * The device number of the block device at @path: what says that two paths
 * (/dev/vdb, a /dev/disk/by-id link, a path relative to the caller's
 * directory) name one device.
 */
static int tb_lookup_dev(const char *pool_name, const char *path, dev_t *dev,
			 struct netlink_ext_ack *ea)
{
	int r = lookup_bdev(path, dev);

	if (r)
		tb_nl_errmsg(ea, "pool \"%s\": cannot open %s (%s)", pool_name,
			     path, r == -ENOTBLK ? "not a block device" :
			     "no such block device");
	return r;
}

/*
 * @path with symlinks and a relative start resolved, into @canon, if that
 * still names @bdev (a link may change meanwhile); else the kernel's name.
 */
static void tb_canonical_path(const char *path, struct block_device *bdev,
			      char *canon)
{
	struct path p;
	char *s = NULL;
	dev_t dev;

	if (!kern_path(path, LOOKUP_FOLLOW, &p)) {
		s = d_path(&p, canon, THINBLK_PATH_MAX);
		path_put(&p);
	}
	if (!IS_ERR_OR_NULL(s)) {
		memmove(canon, s, strlen(s) + 1);
		if (!lookup_bdev(canon, &dev) && dev == bdev->bd_dev)
			return;
	}
	snprintf(canon, THINBLK_PATH_MAX, "/dev/%pg", bdev);
}

/* The open pool whose data or metadata device is @dev, and which of them. */
static struct tb_pool *tb_dev_user(dev_t dev, const char **role)
{
	struct tb_pool *pool;

	lockdep_assert_held(&tb_pools_mutex);
	list_for_each_entry(pool, &tb_pools, list) {
		*role = pool->data_bdev->bd_dev == dev ? "data" :
			pool->meta_bdev->bd_dev == dev ? "metadata" : NULL;
		if (*role)
			return pool;
	}
	return NULL;
}

/*
 * Open the device at @path for @pool, recording its canonical path in
 * @canon; refused if another pool uses it, or if it is read-only (opening by
 * device number does not check that, and a write to it would only be
 * warned about).
 */
static int tb_open_bdev(struct tb_pool *pool, const char *path, char *canon,
			struct block_device **bdev, struct netlink_ext_ack *ea)
{
	struct tb_pool *user;
	const char *role;
	dev_t dev;
	int r;

	r = tb_lookup_dev(pool->name, path, &dev, ea);
	if (r)
		return r;
	user = tb_dev_user(dev, &role);
	if (user) {
		tb_nl_errmsg(ea, "pool \"%s\": %s is busy: it is the %s device of pool \"%s\"",
			     pool->name, *role == 'd' ? user->data_path :
			     user->meta_path, role, user->name);
		return -EBUSY;
	}
	*bdev = blkdev_get_by_dev(dev, TB_BDEV_MODE, pool);
	if (IS_ERR(*bdev)) {
		r = PTR_ERR(*bdev);
		*bdev = NULL;
		tb_nl_errmsg(ea, "pool \"%s\": cannot open %s (%s)", pool->name,
			     path, r == -EBUSY ? "device busy" :
			     "no such block device");
		return r;
	}
	if (bdev_read_only(*bdev)) {
		blkdev_put(*bdev, TB_BDEV_MODE);
		*bdev = NULL;
		tb_nl_errmsg(ea, "pool \"%s\": cannot open %s (read-only device)",
			     pool->name, path);
		return -EACCES;
	}
	tb_canonical_path(path, *bdev, canon);
	return 0;
}

/*
 * Data and metadata must be two devices, however their paths are spelt:
 * decided on the devices opened (the same holder may open one twice), not
 * on a lookup of the paths that a link changed since.
 */
static int tb_check_two_devices(struct tb_pool *pool,
				const struct tb_pool_params *p,
				struct netlink_ext_ack *ea)
{
	if (pool->data_bdev->bd_dev != pool->meta_bdev->bd_dev)
		return 0;
	tb_nl_errmsg(ea, "pool \"%s\": data device %s and metadata device %s are one device: give two",
		     pool->name, p->data_path, p->meta_path);
	return -EINVAL;
}

/* Volumes by name, for lookups that must not walk every volume. */
static const struct rhashtable_params tb_vol_names = {
	.head_offset = offsetof(struct tb_volume, name_node),
	.key_offset = offsetof(struct tb_volume, name),
	.key_len = THINBLK_NAME_MAX,
	.automatic_shrinking = true,
};

static void tb_pool_free(struct tb_pool *pool)
{
	if (pool->wq)
		destroy_workqueue(pool->wq);
	tb_io_pool_exit(pool);
	if (!IS_ERR_OR_NULL(pool->data_bdev))
		blkdev_put(pool->data_bdev, TB_BDEV_MODE);
	if (!IS_ERR_OR_NULL(pool->meta_bdev))
		blkdev_put(pool->meta_bdev, TB_BDEV_MODE);
	rhashtable_destroy(&pool->vol_names);
	xa_destroy(&pool->vol_ids);
	kfree(pool);
}

static struct tb_pool *tb_pool_alloc(const struct tb_pool_params *p,
				     struct netlink_ext_ack *ea)
{
	struct tb_pool *pool = kzalloc(sizeof(*pool), GFP_KERNEL);
	int r;

	if (!pool)
		return ERR_PTR(-ENOMEM);
	strscpy(pool->name, p->name, sizeof(pool->name));
	INIT_LIST_HEAD(&pool->volumes);
	xa_init(&pool->vol_ids);
	r = rhashtable_init(&pool->vol_names, &tb_vol_names);
	if (r) {
		kfree(pool);
		return ERR_PTR(r);
	}
	spin_lock_init(&pool->bio_lock);
	init_waitqueue_head(&pool->io_wait);
	bio_list_init(&pool->deferred);
	bio_list_init(&pool->nospace);
	INIT_LIST_HEAD(&pool->prepared);
	mutex_init(&pool->drain_mutex);
	INIT_WORK(&pool->worker, tb_pool_worker);
	INIT_WORK(&pool->reclaim_work, tb_reclaim_work);
	INIT_DELAYED_WORK(&pool->commit_work, tb_commit_work);
	INIT_DELAYED_WORK(&pool->nospace_work, tb_nospace_timeout);
	r = tb_open_bdev(pool, p->data_path, pool->data_path,
			 &pool->data_bdev, ea);
	if (!r)
		r = tb_open_bdev(pool, p->meta_path, pool->meta_path,
				 &pool->meta_bdev, ea);
	if (!r)
		r = tb_check_two_devices(pool, p, ea);
	if (r) {
		tb_pool_free(pool);
		return ERR_PTR(r);
	}
	return pool;
}

/* The metadata is loaded: start the pool's machinery. */
static int tb_pool_start(struct tb_pool *pool)
{
	struct tb_meta_settings s;
	int r;

	tb_meta_get_settings(pool->meta, &s);
	pool->block_size = s.block_size;
	pool->block_shift = ilog2(s.block_size >> SECTOR_SHIFT);
	pool->zero = !(s.flags & THINBLK_POOL_F_NO_ZERO);
	pool->passdown = !(s.flags & THINBLK_POOL_F_NO_DISCARD_PASSDOWN) &&
			 bdev_max_discard_sectors(pool->data_bdev);
	r = tb_io_pool_init(pool);
	if (r)
		return r;
	pool->wq = alloc_ordered_workqueue("thinblk-%s", WQ_MEM_RECLAIM,
					   pool->name);
	if (!pool->wq)
		return -ENOMEM;
	tb_meta_set_free_hooks(pool->meta, &tb_pool_free_hooks, pool);
	queue_delayed_work(system_wq, &pool->commit_work, tb_commit_period());
	return 0;
}

static struct tb_volume *tb_vol_by_id(struct tb_pool *pool, u32 id);

/*
 * vol->prov's lock is taken from bio completions (hard irq): its own lockdep
 * class, or it would share one with every xarray initialised in this file
 * (pool->vol_ids is locked with interrupts on) and lockdep would report the
 * mix as a deadlock.
 */
static struct lock_class_key tb_prov_lock_key;

static void tb_vol_deferred_work(struct work_struct *w);

static struct tb_volume *tb_volume_new(struct tb_pool *pool,
				       struct tb_mvol *mv)
{
	struct tb_volume *vol = kzalloc(sizeof(*vol), GFP_KERNEL);
	struct tb_volume *origin;

	if (!vol)
		return NULL;
	vol->pool = pool;
	vol->mv = mv;
	kref_init(&vol->ref);
	strscpy(vol->name, mv->name, sizeof(vol->name));
	origin = tb_vol_by_id(pool, mv->origin);
	if (origin)
		strscpy(vol->origin_name, origin->mv->name,
			sizeof(vol->origin_name));
	mutex_init(&vol->open_mutex);
	spin_lock_init(&vol->freeze_lock);
	bio_list_init(&vol->frozen_bios);
	atomic_set(&vol->inflight_writes, 0);
	init_waitqueue_head(&vol->inflight_wait);
	xa_init_flags(&vol->prov, XA_FLAGS_LOCK_IRQ);
	lockdep_set_class(&vol->prov.xa_lock, &tb_prov_lock_key);
	INIT_WORK(&vol->error_work, tb_vol_error_work);
	INIT_WORK(&vol->deferred_work, tb_vol_deferred_work);
	/* a marked record is activated only on read-only metadata */
	vol->deferred = mv->flags & THINBLK_VOL_F_DEFERRED_DELETE;
	return vol;
}

/*
 * Give @vol a disk.  @hidden: it can't be opened until tb_volume_show()
 * (pool open adds them all first: a failure tears them down unopened; an
 * activation shows it once its state is committed).
 */
static int tb_volume_start_disk(struct tb_volume *vol, bool hidden)
{
	lockdep_assert_held(&tb_pools_mutex);
	mutex_lock(&vol->open_mutex);
	vol->dying = hidden;
	mutex_unlock(&vol->open_mutex);
	return tb_volume_add_disk(vol);
}

/*
 * Take @vol's disk away; nobody can open it (dying, or never shown).  Its
 * acknowledged writes are inserted (a commit after this covers them), the
 * bios that waited on its claims are done.  @vol itself stays.
 */
static void tb_volume_stop_disk(struct tb_volume *vol)
{
	struct tb_pool *pool = vol->pool;

	lockdep_assert_held(&tb_pools_mutex);
	if (!vol->disk)
		return;
	tb_volume_del_disk(vol);
	/* an opener that raced a failed pool open may have writes in flight */
	wait_event(vol->inflight_wait, !atomic_read(&vol->inflight_writes));
	tb_io_vol_exit(vol);
	flush_workqueue(pool->wq);	/* bios that waited on its claims */
	cancel_work_sync(&vol->error_work);
	tb_volume_put_disk(vol);	/* the disk goes now or at its last close */
}

/*
 * A volume in the pool's indexes, with a disk when @active (see
 * tb_volume_start_disk() for @hidden).
 */
static int tb_volume_insert(struct tb_pool *pool, struct tb_mvol *mv,
			    bool active, bool hidden, struct tb_volume **out)
{
	struct tb_volume *vol = tb_volume_new(pool, mv);
	int r;

	if (!vol)
		return -ENOMEM;
	r = xa_insert(&pool->vol_ids, mv->id, vol, GFP_KERNEL);
	if (r)
		goto bad_id;
	r = rhashtable_lookup_insert_fast(&pool->vol_names, &vol->name_node,
					  tb_vol_names);
	if (r)
		goto bad_name;
	r = active ? tb_volume_start_disk(vol, hidden) : 0;
	if (r)
		goto bad_disk;
	list_add_tail(&vol->list, &pool->volumes);
	pool->nr_volumes++;
	if (out)
		*out = vol;
	return 0;
bad_disk:
	rhashtable_remove_fast(&pool->vol_names, &vol->name_node, tb_vol_names);
bad_name:
	xa_erase(&pool->vol_ids, mv->id);
bad_id:
	tb_volume_put(vol);
	return r;
}

/* @vol leaves the pool's indexes, and its disk goes. */
static void tb_volume_remove(struct tb_volume *vol)
{
	struct tb_pool *pool = vol->pool;

	list_del(&vol->list);
	pool->nr_volumes--;
	rhashtable_remove_fast(&pool->vol_names, &vol->name_node, tb_vol_names);
	xa_erase(&pool->vol_ids, vol->mv->id);
	mutex_lock(&vol->open_mutex);
	vol->dying = true;
	mutex_unlock(&vol->open_mutex);
	tb_volume_stop_disk(vol);
	tb_volume_put(vol);	/* frees @vol, now or with its last disk */
}

static bool __tb_valid_name(const char *name, bool latin1);

/*
 * A volume read from the metadata at pool open, before anything is committed.
 * A name with Latin-1 letters, which create took before, still opens: its
 * data stays reachable (delete it, or copy it to a volume with a valid name).
 */
static int tb_check_one(void *arg, struct tb_mvol *mv)
{
	if (!__tb_valid_name(mv->name, true)) {
		pr_err("thinblk: volume %u: invalid name in the metadata\n", mv->id);
		return -EUCLEAN;
	}
	if (!__tb_valid_name(mv->name, false))
		pr_warn("thinblk: volume %u: name \"%*pE\" has bytes outside [A-Za-z0-9_.-] (accepted before this version): delete it or copy its data to a volume with a valid name\n",
			mv->id, (int)strlen(mv->name), mv->name);
	return 0;
}

/* What pool open does with the volumes it reads (tb_add_one()). */
struct tb_open_ctx {
	struct tb_pool *pool;
	u8 activate;		/* enum thinblk_activate */
};

/* A volume read from the metadata at pool open (tb_check_one() passed). */
static int tb_add_one(void *arg, struct tb_mvol *mv)
{
	struct tb_open_ctx *ctx = arg;
	bool active;

	switch (ctx->activate) {
	case THINBLK_ACTIVATE_ALL:
		active = true;
		break;
	case THINBLK_ACTIVATE_KEEP:
		active = !(mv->flags & THINBLK_VOL_F_INACTIVE);
		break;
	default:		/* NONE; LIST: tb_pool_activate_list() */
		active = false;
		break;
	}
	return tb_volume_insert(ctx->pool, mv, active, true, NULL);
}

/* Refuse if any volume is open; else mark them all dying. */
/* The volumes before @upto (NULL: all) may be opened again. */
static void tb_pool_unclaim_volumes(struct tb_pool *pool,
				    struct tb_volume *upto)
{
	struct tb_volume *vol;

	list_for_each_entry(vol, &pool->volumes, list) {
		if (vol == upto)
			break;
		mutex_lock(&vol->open_mutex);
		vol->dying = false;
		mutex_unlock(&vol->open_mutex);
	}
}

static int tb_pool_claim_volumes(struct tb_pool *pool,
				 struct netlink_ext_ack *ea)
{
	struct tb_volume *vol, *busy = NULL;

	list_for_each_entry(vol, &pool->volumes, list) {
		mutex_lock(&vol->open_mutex);
		if (vol->openers)
			busy = vol;
		else
			vol->dying = true;
		mutex_unlock(&vol->open_mutex);
		if (busy)
			break;
	}
	if (!busy)
		return 0;
	tb_pool_unclaim_volumes(pool, busy);
	tb_nl_errmsg(ea, "pool \"%s\": volume \"%s\" is open", pool->name,
		     busy->mv->name);
	return -EBUSY;
}

/*
 * Stop the pool's work before its volumes go: bios waiting for space fail,
 * the worker finishes what it holds (bios point at their volume), then each
 * volume's finished writes are inserted as it goes, then the reclaim stops.
 */
static void tb_pool_stop(struct tb_pool *pool)
{
	struct tb_volume *vol, *tmp;

	cancel_delayed_work_sync(&pool->commit_work);
	cancel_delayed_work_sync(&pool->nospace_work);
	tb_nospace_timeout(&pool->nospace_work.work);
	if (pool->wq)		/* not when the start failed before it */
		flush_workqueue(pool->wq);
	tb_nospace_timeout(&pool->nospace_work.work);	/* parked meanwhile */
	list_for_each_entry_safe(vol, tmp, &pool->volumes, list)
		tb_volume_remove(vol);
	WRITE_ONCE(pool->mode, THINBLK_MODE_FAIL);	/* stops reclaim */
	flush_work(&pool->reclaim_work);
	if (pool->wq)
		flush_workqueue(pool->wq);
	cancel_delayed_work_sync(&pool->nospace_work);
	tb_nospace_timeout(&pool->nospace_work.work);
}

static void tb_pool_teardown(struct tb_pool *pool)
{
	if (pool->meta)
		tb_meta_close(pool->meta);
	tb_pool_free(pool);
}

/*
 * A name's characters: ASCII only.  The kernel's isalnum() also takes the
 * Latin-1 letters 0xc0-0xff, which thinblk accepted by mistake until the
 * netlink fuzzer found it (@latin1: the old rule, for volumes read at open).
 */
static bool tb_name_char(char c, bool latin1)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-' ||
	       (latin1 && isalnum(c));
}

static bool __tb_valid_name(const char *name, bool latin1)
{
	size_t i, len = strlen(name);

	if (!len || len >= THINBLK_NAME_MAX || !strcmp(name, ".") ||
	    !strcmp(name, ".."))
		return false;
	for (i = 0; i < len; i++)
		if (!tb_name_char(name[i], latin1))
			return false;
	return true;
}

/* The rule for pool and volume names (uapi/linux/thinblk.h). */
static bool tb_valid_name(const char *name)
{
	return __tb_valid_name(name, false);
}

#define TB_NAME_RULE "use 1-63 characters of [A-Za-z0-9_.-], not . or .."

static int tb_check_pool_name(const char *name, struct netlink_ext_ack *ea)
{
	if (tb_valid_name(name))
		return 0;
	tb_nl_errmsg(ea, "pool \"%s\": invalid name: " TB_NAME_RULE, name);
	return -EINVAL;
}

/* A block size for messages: "64K", "1M". */
static u32 tb_bs_num(u32 bs)
{
	return bs >= SZ_1M ? bs / SZ_1M : bs / SZ_1K;
}

static const char *tb_bs_unit(u32 bs)
{
	return bs >= SZ_1M ? "M" : "K";
}

/*
 * Does a data device of @bytes fit the format at @block_size (mapping
 * values are 32 bits, THINBLK_DATA_BLOCKS_MAX)?  The message names the
 * smallest block size that would fit, for pool create; @grow: the pool
 * exists and keeps its block size.
 */
static int tb_check_data_blocks(const char *name, u64 bytes, u32 block_size,
				bool grow, struct netlink_ext_ack *ea)
{
	u64 nr = div_u64(bytes, block_size);
	u32 bs = block_size;

	if (nr <= THINBLK_DATA_BLOCKS_MAX)
		return 0;
	while (bs < THINBLK_BLOCK_SIZE_MAX &&
	       div_u64(bytes, bs) > THINBLK_DATA_BLOCKS_MAX)
		bs <<= 1;
	if (grow)
		tb_nl_errmsg(ea, "pool \"%s\": data device has %llu blocks of %u%s, the format holds at most %llu; not grown",
			     name, nr, tb_bs_num(block_size),
			     tb_bs_unit(block_size), THINBLK_DATA_BLOCKS_MAX);
	else if (div_u64(bytes, bs) > THINBLK_DATA_BLOCKS_MAX)
		tb_nl_errmsg(ea, "pool \"%s\": data device has %llu blocks of %u%s, the format holds at most %llu even at the largest block size (%u%s)",
			     name, nr, tb_bs_num(block_size),
			     tb_bs_unit(block_size), THINBLK_DATA_BLOCKS_MAX,
			     tb_bs_num(bs), tb_bs_unit(bs));
	else
		tb_nl_errmsg(ea, "pool \"%s\": data device has %llu blocks of %u%s, the format holds at most %llu; use a block size of %u%s or more",
			     name, nr, tb_bs_num(block_size),
			     tb_bs_unit(block_size), THINBLK_DATA_BLOCKS_MAX,
			     tb_bs_num(bs), tb_bs_unit(bs));
	return -EFBIG;
}

static int tb_check_block_size(const struct tb_pool_params *p,
			       struct netlink_ext_ack *ea)
{
	if (!(p->set & TB_SET_BLOCK_SIZE))
		return 0;
	if (is_power_of_2(p->block_size) &&
	    p->block_size >= THINBLK_BLOCK_SIZE_MIN &&
	    p->block_size <= THINBLK_BLOCK_SIZE_MAX)
		return 0;
	tb_nl_errmsg(ea, "pool \"%s\": block size must be a power of two from 64K to 1M",
		     p->name);
	return -EINVAL;
}

static int tb_check_size(const char *what, const char *obj, u64 size,
			 struct netlink_ext_ack *ea)
{
	if (!size || !IS_ALIGNED(size, THINBLK_SECTOR_SIZE)) {
		tb_nl_errmsg(ea, "%s: %s must be a non-zero multiple of 512",
			     obj, what);
		return -EINVAL;
	}
	if (size > THINBLK_VOL_SIZE_MAX) {
		tb_nl_errmsg(ea, "%s: %s %llu is above the largest volume size %llu (8 EiB - 512, the block layer's limit)",
			     obj, what, size, THINBLK_VOL_SIZE_MAX);
		return -EINVAL;
	}
	return 0;
}

/* Apply the settings in @p over @s. */
static int tb_apply_settings(struct tb_meta_settings *s, u64 data_bytes,
			     const struct tb_pool_params *p,
			     struct netlink_ext_ack *ea)
{
	char obj[THINBLK_NAME_MAX + 8];
	int r;

	snprintf(obj, sizeof(obj), "pool \"%s\"", p->name);
	if (p->set & TB_SET_BASESIZE) {
		r = tb_check_size("basesize", obj, p->basesize, ea);
		if (r)
			return r;
		s->basesize = p->basesize;
	}
	if (p->set & TB_SET_LOW_WATER) {
		/* a pool open refuses more (meta.c) */
		if (p->low_water > data_bytes) {
			tb_nl_errmsg(ea, "%s: low water %llu is above the data size %llu",
				     obj, p->low_water, data_bytes);
			return -EINVAL;
		}
		s->low_water = p->low_water;
	}
	if (p->set & TB_SET_LOW_WATER_PCT)
		s->low_water = div_u64(data_bytes * p->low_water_pct,
				       TB_PERCENT);
	if (p->set & TB_SET_MIN_FREE) {
		if (p->min_free > data_bytes) {
			tb_nl_errmsg(ea, "%s: min-free %llu is above the data size %llu",
				     obj, p->min_free, data_bytes);
			return -EINVAL;
		}
		s->min_free = p->min_free;
	}
	if (p->set & TB_SET_MIN_FREE_PCT)
		s->min_free = div_u64(data_bytes * p->min_free_pct, TB_PERCENT);
	if (p->set & TB_SET_NO_SPACE)
		s->no_space = p->no_space;
	if (p->set & TB_SET_TIMEOUT)
		s->no_space_timeout = p->no_space_timeout;
	if (p->set & TB_SET_FLAGS)
		s->flags = p->flags;
	return 0;
}

/*
 * A startup script's "pool open || pool create" must not format a pool that
 * failed to open: refuse a metadata device holding a superblock, unless
 * forced.
 */
static int tb_check_not_a_pool(const struct tb_pool_params *p,
			       struct block_device *meta,
			       struct netlink_ext_ack *ea)
{
	char found[THINBLK_NAME_MAX];
	int r = tb_meta_probe(meta, found, sizeof(found));

	if (r < 0) {
		tb_nl_errmsg(ea, "pool \"%s\": cannot read metadata device %s (%d)",
			     p->name, p->meta_path, r);
		return r;
	}
	if (!r)
		return 0;
	if (!tb_valid_name(found))
		strscpy(found, "?", sizeof(found));
	tb_nl_errmsg(ea, "pool \"%s\": metadata device %s holds pool \"%s\" (pool open it, or create with --force to format it)",
		     p->name, p->meta_path, found);
	return -EEXIST;
}

int tb_pool_create(const struct tb_pool_params *p, struct netlink_ext_ack *ea)
{
	struct tb_meta_settings s = {
		.block_size = THINBLK_BLOCK_SIZE_DEFAULT,
		.basesize = THINBLK_BASESIZE_DEFAULT,
		.no_space = THINBLK_NO_SPACE_ERROR,
		.no_space_timeout = THINBLK_NO_SPACE_TIMEOUT_DEFAULT,
	};
	struct tb_pool *pool;
	int r;

	r = tb_check_pool_name(p->name, ea);
	if (!r)
		r = tb_check_block_size(p, ea);
	if (r)
		return r;
	if (p->set & TB_SET_BLOCK_SIZE)
		s.block_size = p->block_size;
	mutex_lock(&tb_pools_mutex);
	if (tb_pool_find(p->name)) {
		tb_nl_errmsg(ea, "pool \"%s\": already exists", p->name);
		r = -EEXIST;
		goto out;
	}
	pool = tb_pool_alloc(p, ea);
	if (IS_ERR(pool)) {
		r = PTR_ERR(pool);
		goto out;
	}
	r = tb_check_data_blocks(p->name, bdev_nr_bytes(pool->data_bdev),
				 s.block_size, false, ea);
	if (!r && !p->force)
		r = tb_check_not_a_pool(p, pool->meta_bdev, ea);
	if (!r)
		r = tb_apply_settings(&s, round_down(bdev_nr_bytes(pool->data_bdev),
						     s.block_size), p, ea);
	if (!r)
		r = tb_meta_format(pool->meta_bdev, pool->data_bdev, p->name, &s,
				   &pool->meta);
	if (r == -ENOSPC)
		tb_nl_errmsg(ea, "pool \"%s\": metadata or data device too small",
			     p->name);
	if (!r)
		r = tb_pool_start(pool);
	if (r) {
		tb_pool_teardown(pool);
		goto out;
	}
	list_add_tail(&pool->list, &tb_pools);
	tb_changed();
	tb_pool_event(pool, THINBLK_EVENT_POOL_CREATED);
out:
	mutex_unlock(&tb_pools_mutex);
	return r;
}

/* By device number: the paths may be spelt otherwise than at open. */
static bool tb_pool_same_devices(struct tb_pool *pool,
				 const struct tb_pool_params *p)
{
	dev_t data, meta;

	return !lookup_bdev(p->data_path, &data) &&
	       !lookup_bdev(p->meta_path, &meta) &&
	       pool->data_bdev->bd_dev == data &&
	       pool->meta_bdev->bd_dev == meta;
}

/*
 * Volumes marked for deletion at their last close whose pool was closed (or
 * lost power) first: nobody has them open now.  The deletion is committed
 * before the pool is listed; if the commit fails, the open fails (the
 * records on disk stay marked, those in memory are not listed: DELETING).
 */
static int tb_pool_delete_deferred(struct tb_pool *pool)
{
	int r;

	if (!tb_meta_delete_deferred(pool->meta))
		return 0;
	r = tb_pool_commit(pool);
	if (r)
		pr_err("thinblk: pool %s: committing the deferred deletions failed (%d)\n",
		       pool->name, r);
	return r;
}

static struct tb_volume *tb_vol_find(struct tb_pool *pool, const char *name);

/* A name of pool open's activate list, looked for in the metadata. */
struct tb_listed {
	const char *name;
	u32 flags;
	bool found;
};

static int tb_find_listed(void *arg, struct tb_mvol *mv)
{
	struct tb_listed *l = arg;

	if (strcmp(mv->name, l->name))
		return 0;
	l->found = true;
	l->flags = mv->flags;
	return 1;		/* stop */
}

/*
 * Before pool open commits anything: every volume the activate list names
 * exists and is not one this open deletes (marked at a last close that
 * never came).
 */
static int tb_check_activate_list(struct tb_pool *pool,
				  const struct nlattr *list,
				  struct netlink_ext_ack *ea)
{
	struct nlattr *a;
	int rem;

	nla_for_each_nested(a, list, rem) {
		struct tb_listed l = { .name = nla_data(a) };

		tb_meta_for_each_vol(pool->meta, tb_find_listed, &l);
		if (!l.found) {
			tb_nl_errmsg(ea, "pool \"%s\": no volume \"%s\" to activate",
				     pool->name, l.name);
			return -ENOENT;
		}
		if (l.flags & THINBLK_VOL_F_DEFERRED_DELETE) {
			tb_nl_errmsg(ea, "pool \"%s\": volume \"%s\" is marked for deletion (this open deletes it)",
				     pool->name, l.name);
			return -ENOENT;
		}
	}
	return 0;
}

/* Pool open with THINBLK_ACTIVATE_LIST: disks for the volumes named. */
static int tb_pool_activate_list(struct tb_pool *pool,
				 const struct nlattr *list,
				 struct netlink_ext_ack *ea)
{
	struct tb_volume *vol;
	struct nlattr *a;
	int rem, r;

	nla_for_each_nested(a, list, rem) {
		vol = tb_vol_find(pool, nla_data(a));
		if (!vol) {
			tb_nl_errmsg(ea, "pool \"%s\": no volume \"%s\" to activate",
				     pool->name, (char *)nla_data(a));
			return -ENOENT;
		}
		if (vol->disk)		/* named twice */
			continue;
		r = tb_volume_start_disk(vol, true);
		if (r)
			return r;
	}
	return 0;
}

/*
 * Why the open of pool @name failed with @r: damaged metadata (-EUCLEAN) is
 * not a device that cannot be read (-EIO), nor lack of memory.
 */
static void tb_open_errmsg(struct netlink_ext_ack *ea, const char *name, int r)
{
	switch (r) {
	case -EUCLEAN:
		tb_nl_errmsg(ea, "pool \"%s\": metadata damaged, see the kernel log",
			     name);
		break;
	case -EIO:
		tb_nl_errmsg(ea, "pool \"%s\": I/O error on the metadata or data device, see the kernel log",
			     name);
		break;
	case -ENOMEM:
		tb_nl_errmsg(ea, "pool \"%s\": out of memory", name);
		break;
	default:
		tb_nl_errmsg(ea, "pool \"%s\": cannot start it or add its volumes (%d)",
			     name, r);
	}
}

int tb_pool_open(const struct tb_pool_params *p, struct netlink_ext_ack *ea)
{
	struct tb_open_ctx ctx = { .activate = p->activate };
	struct tb_volume *vol;
	struct tb_pool *pool;
	int r;

	r = tb_check_pool_name(p->name, ea);
	if (r)
		return r;
	mutex_lock(&tb_pools_mutex);
	pool = tb_pool_find(p->name);
	if (pool) {
		r = tb_pool_same_devices(pool, p) ? 0 : -EEXIST;
		if (r)
			tb_nl_errmsg(ea, "pool \"%s\": already open with other devices (data %s, metadata %s)",
				     p->name, pool->data_path, pool->meta_path);
		goto out;
	}
	pool = tb_pool_alloc(p, ea);
	if (IS_ERR(pool)) {
		r = PTR_ERR(pool);
		goto out;
	}
	r = tb_meta_open(pool->meta_bdev, pool->data_bdev, &pool->meta);
	if (r == -EINVAL)
		tb_nl_errmsg(ea, "pool \"%s\": not a thinblk metadata device (or it does not match the data device)",
			     p->name);
	else if (r)
		tb_open_errmsg(ea, p->name, r);
	if (r)
		goto bad;
	r = tb_meta_for_each_vol(pool->meta, tb_check_one, NULL);
	if (r) {
		tb_open_errmsg(ea, p->name, r);
		goto bad;
	}
	if (p->activate == THINBLK_ACTIVATE_LIST) {
		r = tb_check_activate_list(pool, p->activate_list, ea);
		if (r)
			goto bad;
	}
	ctx.pool = pool;
	r = tb_pool_start(pool);
	if (!r)
		r = tb_pool_delete_deferred(pool);
	if (!r)
		r = tb_meta_for_each_vol(pool->meta, tb_add_one, &ctx);
	if (!r && p->activate == THINBLK_ACTIVATE_LIST) {
		r = tb_pool_activate_list(pool, p->activate_list, ea);
		if (r == -ENOENT)
			goto bad_started;
	}
	if (r)
		tb_open_errmsg(ea, p->name, r);
	if (r)
		goto bad_started;
	list_for_each_entry(vol, &pool->volumes, list)
		tb_volume_show(vol);
	list_add_tail(&pool->list, &tb_pools);
	queue_work(system_wq, &pool->reclaim_work);
	tb_changed();
	tb_pool_event(pool, THINBLK_EVENT_POOL_OPENED);
	goto out;
bad_started:
	tb_pool_stop(pool);
bad:
	tb_pool_teardown(pool);
out:
	mutex_unlock(&tb_pools_mutex);
	return r;
}

static void tb_wipe_superblock(struct block_device *bdev)
{
	blkdev_issue_zeroout(bdev, 0, THINBLK_META_BLOCK_SIZE >> SECTOR_SHIFT,
			     GFP_KERNEL, 0);
	blkdev_issue_flush(bdev);
}

/*
 * A destroy loses every volume: without force, refuse it while one maps
 * data.  Called with the volumes claimed (none can be opened and written
 * any more); writes finished before are inserted first, so that they count,
 * and one that could not be inserted (read-only pool) holds data too.
 */
static int tb_check_destroy(struct tb_pool *pool, struct netlink_ext_ack *ea)
{
	struct tb_volume *vol, *first = NULL;
	unsigned int n = 0;

	if (tb_io_drain(pool)) {
		tb_nl_errmsg(ea, "pool \"%s\": writes to its volumes could not be recorded (pool is read-only): destroy with --force to lose them",
			     pool->name);
		return -ENOTEMPTY;
	}
	list_for_each_entry(vol, &pool->volumes, list) {
		if (!READ_ONCE(vol->mv->mapped) && xa_empty(&vol->prov))
			continue;
		if (!first)
			first = vol;
		n++;
	}
	if (!first)
		return 0;
	tb_nl_errmsg(ea, "pool \"%s\": volume \"%s\" holds data (%u of %u volumes do): destroy with --force to lose them",
		     pool->name, first->mv->name, n, pool->nr_volumes);
	return -ENOTEMPTY;
}

int tb_pool_close(const char *name, bool destroy, bool force,
		  struct netlink_ext_ack *ea)
{
	struct tb_pool *pool;
	int r;

	mutex_lock(&tb_pools_mutex);
	pool = tb_pool_lookup(name, ea);
	r = pool ? 0 : -ENOENT;
	if (!r)
		r = tb_pool_claim_volumes(pool, ea);
	if (!r && destroy && !force) {
		r = tb_check_destroy(pool, ea);
		if (r)
			tb_pool_unclaim_volumes(pool, NULL);
	}
	if (r)
		goto out;
	list_del(&pool->list);
	tb_pool_stop(pool);
	if (!destroy && tb_meta_commit(pool->meta))
		pr_err("thinblk: pool %s: final commit failed; the metadata stays at the last good commit\n",
		       name);
	if (destroy)
		tb_wipe_superblock(pool->meta_bdev);
	tb_pool_event(pool, destroy ? THINBLK_EVENT_POOL_DESTROYED :
				      THINBLK_EVENT_POOL_CLOSED);
	tb_pool_teardown(pool);
	tb_changed();
out:
	mutex_unlock(&tb_pools_mutex);
	return r;
}

/* A metadata device that shrank would cut off blocks in use: refuse it. */
static int tb_check_meta_grow(struct tb_pool *pool, struct netlink_ext_ack *ea)
{
	struct tb_meta_usage u;
	u64 dev = tb_meta_dev_nr_blocks(pool->meta);

	tb_meta_usage(pool->meta, &u);
	if (dev >= u.meta_blocks)
		return 0;
	tb_nl_errmsg(ea, "pool \"%s\": metadata device shrank to %llu bytes, the pool's metadata has %llu; shrinking is not supported, not grown",
		     pool->name, dev * THINBLK_META_BLOCK_SIZE,
		     u.meta_blocks * THINBLK_META_BLOCK_SIZE);
	return -EINVAL;
}

/* Take in all of a metadata device that grew, as far as the format allows. */
static int tb_pool_grow_meta(struct tb_pool *pool)
{
	u64 dev = tb_meta_dev_nr_blocks(pool->meta), nr;
	int r = tb_meta_grow_meta(pool->meta, &nr);

	if (!r && nr < dev)
		pr_warn("thinblk: pool %s: metadata grown to %llu blocks; the other %llu of the device are not used (at most %llu blocks, and a refcount block's range is taken only with a block to count)\n",
			pool->name, nr, dev - nr, THINBLK_META_MAX_BLOCKS);
	return r;
}

int tb_pool_grow(const char *name, struct netlink_ext_ack *ea)
{
	struct tb_pool *pool;
	u64 nr;
	int r;

	mutex_lock(&tb_pools_mutex);
	pool = tb_pool_lookup(name, ea);
	r = pool ? 0 : -ENOENT;
	if (r)
		goto out;
	r = tb_pool_check_writable(pool, ea);
	if (!r)
		r = tb_check_data_blocks(name, bdev_nr_bytes(pool->data_bdev),
					 pool->block_size, true, ea);
	if (r)
		goto out;
	r = tb_check_meta_grow(pool, ea);
	if (r)
		goto out;
	nr = div_u64(bdev_nr_bytes(pool->data_bdev), pool->block_size);
	r = tb_meta_grow_data(pool->meta, nr);
	if (!r)
		r = tb_pool_grow_meta(pool);
	if (!r)
		r = tb_pool_commit(pool);
	if (r) {
		tb_nl_errmsg(ea, "pool \"%s\": grow failed", name);
		goto out;
	}
	tb_pool_check_low_water(pool);
	/* a reclaim that waited for metadata space goes on */
	queue_work(system_wq, &pool->reclaim_work);
	tb_changed();
	tb_pool_event(pool, THINBLK_EVENT_POOL_CHANGED);
out:
	mutex_unlock(&tb_pools_mutex);
	return r;
}

int tb_pool_set(const struct tb_pool_params *p, struct netlink_ext_ack *ea)
{
	struct tb_meta_settings s;
	struct tb_meta_usage u;
	struct tb_pool *pool;
	int r;

	mutex_lock(&tb_pools_mutex);
	pool = tb_pool_lookup(p->name, ea);
	r = pool ? 0 : -ENOENT;
	if (r)
		goto out;
	r = tb_pool_check_writable(pool, ea);
	if (r)
		goto out;
	tb_meta_get_settings(pool->meta, &s);
	tb_meta_usage(pool->meta, &u);
	r = tb_apply_settings(&s, u.data_blocks * pool->block_size, p, ea);
	if (r)
		goto out;
	tb_meta_set_settings(pool->meta, &s);
	r = tb_pool_commit_op(pool, ea);
	if (r)
		goto out;
	if (s.no_space == THINBLK_NO_SPACE_ERROR)
		mod_delayed_work(system_wq, &pool->nospace_work, 0);
	tb_pool_check_low_water(pool);
	tb_changed();
	tb_pool_event(pool, THINBLK_EVENT_POOL_CHANGED);
out:
	mutex_unlock(&tb_pools_mutex);
	return r;
}

static void tb_pool_fill_info(struct tb_pool *pool, struct tb_pool_info *info)
{
	struct tb_meta_settings s;
	struct tb_meta_usage u;

	memset(info, 0, sizeof(*info));
	tb_meta_get_settings(pool->meta, &s);
	tb_meta_usage(pool->meta, &u);
	strscpy(info->name, pool->name, sizeof(info->name));
	strscpy(info->data_path, pool->data_path, sizeof(info->data_path));
	strscpy(info->meta_path, pool->meta_path, sizeof(info->meta_path));
	info->block_size = pool->block_size;
	info->no_space = s.no_space;
	info->no_space_timeout = s.no_space_timeout;
	info->flags = s.flags;
	info->basesize = s.basesize;
	info->low_water = s.low_water;
	info->min_free = s.min_free;
	info->mode = READ_ONCE(pool->mode);
	info->data_size = u.data_blocks * pool->block_size;
	info->data_used = u.data_used * pool->block_size;
	info->meta_size = u.meta_blocks * THINBLK_META_BLOCK_SIZE;
	info->meta_used = u.meta_used * THINBLK_META_BLOCK_SIZE;
	info->transaction = u.transaction;
	info->error = -tb_meta_error(pool->meta);
	info->meta_full = tb_meta_full(pool->meta);
	info->volumes = pool->nr_volumes;
}

int tb_pool_get(const char *name, struct tb_pool_info *info,
		struct netlink_ext_ack *ea)
{
	struct tb_pool *pool;

	mutex_lock(&tb_pools_mutex);
	pool = tb_pool_lookup(name, ea);
	if (pool)
		tb_pool_fill_info(pool, info);
	mutex_unlock(&tb_pools_mutex);
	return pool ? 0 : -ENOENT;
}

bool tb_pool_exists(const char *name)
{
	bool found;

	mutex_lock(&tb_pools_mutex);
	found = tb_pool_find(name);
	mutex_unlock(&tb_pools_mutex);
	return found;
}

int tb_pool_get_nth(unsigned long idx, struct tb_pool_info *info)
{
	struct tb_pool *pool;
	int r = -ENOENT;

	mutex_lock(&tb_pools_mutex);
	list_for_each_entry(pool, &tb_pools, list) {
		if (idx--)
			continue;
		tb_pool_fill_info(pool, info);
		r = 0;
		break;
	}
	mutex_unlock(&tb_pools_mutex);
	return r;
}

/* Volumes */

static struct tb_volume *tb_vol_find(struct tb_pool *pool, const char *name)
{
	char key[THINBLK_NAME_MAX] = {};

	lockdep_assert_held(&tb_pools_mutex);
	if (strscpy(key, name, sizeof(key)) < 0)
		return NULL;
	return rhashtable_lookup_fast(&pool->vol_names, key, tb_vol_names);
}

static struct tb_volume *tb_vol_by_id(struct tb_pool *pool, u32 id)
{
	return xa_load(&pool->vol_ids, id);
}

static struct tb_volume *tb_vol_lookup(const char *pool_name,
				       const char *name,
				       struct netlink_ext_ack *ea)
{
	struct tb_pool *pool = tb_pool_lookup(pool_name, ea);
	struct tb_volume *vol;

	if (!pool)
		return NULL;
	vol = tb_vol_find(pool, name);
	if (!vol)
		tb_nl_errmsg(ea, "volume \"%s/%s\": no such volume", pool_name,
			     name);
	return vol;
}

static int tb_check_vol_size(const char *pool_name, const char *name,
			     u64 size, struct netlink_ext_ack *ea)
{
	char obj[2 * THINBLK_NAME_MAX + 16];

	snprintf(obj, sizeof(obj), "volume \"%s/%s\"", pool_name, name);
	return tb_check_size("size", obj, size, ea);
}

/*
 * The pool's floor of free data space (--min-free): below it, no new volume
 * or snapshot; writes to the ones there go on.  Under tb_pools_mutex, so
 * two creates cannot both pass it on the same free space.
 */
static int tb_check_min_free(struct tb_pool *pool, const char *name,
			     struct netlink_ext_ack *ea)
{
	struct tb_meta_settings s;
	struct tb_meta_usage u;
	u64 free_bytes;

	lockdep_assert_held(&tb_pools_mutex);
	tb_meta_get_settings(pool->meta, &s);
	if (!s.min_free)
		return 0;
	tb_meta_usage(pool->meta, &u);
	free_bytes = u.data_used < u.data_blocks ?
		     (u.data_blocks - u.data_used) * pool->block_size : 0;
	if (free_bytes >= s.min_free)
		return 0;
	tb_nl_errmsg(ea, "volume \"%s/%s\": pool \"%s\" has %llu bytes free, below its min-free of %llu: no new volumes or snapshots (free space or grow the pool)",
		     pool->name, name, pool->name, free_bytes, s.min_free);
	return -ENOSPC;
}

/* Checks common to create and snapshot; returns the pool. */
static struct tb_pool *tb_vol_new_checks(const char *pool_name,
					 const char *name, u64 size,
					 u64 min_size, const char *min_what,
					 struct netlink_ext_ack *ea, int *r)
{
	struct tb_pool *pool = tb_pool_lookup(pool_name, ea);

	*r = -ENOENT;
	if (!pool)
		return NULL;
	*r = tb_pool_check_writable(pool, ea);
	if (*r)
		return NULL;
	*r = -EINVAL;
	if (!tb_valid_name(name)) {
		tb_nl_errmsg(ea, "volume \"%s/%s\": invalid name: " TB_NAME_RULE,
			     pool_name, name);
		return NULL;
	}
	if (tb_check_vol_size(pool_name, name, size, ea))
		return NULL;
	if (size < min_size) {
		char got[16], min[16];

		string_get_size(size, 1, STRING_UNITS_2, got, sizeof(got));
		string_get_size(min_size, 1, STRING_UNITS_2, min, sizeof(min));
		tb_nl_errmsg(ea, "volume \"%s/%s\": size %s (%llu bytes) is below the %s, %s (%llu bytes)",
			     pool_name, name, got, size, min_what, min, min_size);
		return NULL;
	}
	*r = -EEXIST;
	if (tb_vol_find(pool, name)) {
		tb_nl_errmsg(ea, "volume \"%s/%s\": name already in use",
			     pool_name, name);
		return NULL;
	}
	*r = tb_check_min_free(pool, name, ea);
	return *r ? NULL : pool;
}

static int tb_vol_make(struct tb_pool *pool, const char *name, u64 size,
		       u64 limit, struct tb_volume *origin, bool inactive,
		       struct netlink_ext_ack *ea)
{
	struct tb_volume *vol;
	struct tb_mvol *mv;
	int r;

	if (origin && tb_vol_freeze(origin)) {
		tb_nl_errmsg(ea, "volume \"%s/%s\": pool is out of data space with writes waiting: grow it or free space first",
			     pool->name, origin->mv->name);
		return -ENOSPC;
	}
	/* every write the origin acknowledged must be in the tree it shares */
	if (origin && tb_io_drain(pool)) {
		tb_vol_thaw(origin);
		tb_nl_errmsg(ea, "pool \"%s\": metadata error, pool is read-only",
			     pool->name);
		return -EROFS;
	}
	r = tb_meta_create_vol(pool->meta, name, size, limit,
			       origin ? origin->mv : NULL, inactive, &mv);
	if (origin)
		tb_vol_thaw(origin);
	if (r == -ENOSPC && tb_meta_full(pool->meta)) {
		tb_nl_errmsg(ea, "volume \"%s/%s\": pool is out of metadata space: delete volumes or grow the metadata device",
			     pool->name, name);
		tb_pool_meta_full(pool);
	} else if (r == -EUCLEAN) {
		tb_nl_errmsg(ea, "volume \"%s/%s\": metadata damaged, see the kernel log",
			     pool->name, name);
	} else if (r == -EOVERFLOW) {
		tb_nl_errmsg(ea, "volume \"%s/%s\": the pool has used up its volume ids (ids are never reused)",
			     pool->name, name);
		r = -ENOSPC;
	} else if (r) {
		tb_nl_errmsg(ea, "volume \"%s/%s\": cannot create (%d)",
			     pool->name, name, r);
	}
	if (r)
		return r;
	r = tb_pool_commit_op(pool, ea);
	if (r)
		return r;
	r = tb_volume_insert(pool, mv, !inactive, false, &vol);
	if (r) {
		/* committed deleted, so that the reclaim may drop it */
		tb_meta_delete_vol(pool->meta, mv);
		if (!tb_pool_commit(pool))
			queue_work(system_wq, &pool->reclaim_work);
		tb_nl_errmsg(ea, "volume \"%s/%s\": cannot add its block device",
			     pool->name, name);
		return r;
	}
	tb_changed();
	if (origin)
		tb_vol_event(vol, THINBLK_EVENT_VOL_SNAPSHOTTED, origin->mv->name);
	else
		tb_vol_event(vol, THINBLK_EVENT_VOL_CREATED, NULL);
	return 0;
}

int tb_vol_create(const char *pool_name, const char *name, u64 size,
		  u64 limit, bool inactive, struct netlink_ext_ack *ea)
{
	struct tb_meta_settings s;
	struct tb_pool *pool;
	int r;

	mutex_lock(&tb_pools_mutex);
	pool = tb_pool_find(pool_name);
	if (pool) {
		tb_meta_get_settings(pool->meta, &s);
		if (!size)
			size = s.basesize;
	}
	pool = tb_vol_new_checks(pool_name, name, size, pool ? s.basesize : 0,
				 "pool's basesize", ea, &r);
	if (pool)
		r = tb_vol_make(pool, name, size, limit, NULL, inactive, ea);
	mutex_unlock(&tb_pools_mutex);
	return r;
}

int tb_vol_snapshot(const char *pool_name, const char *origin_name,
		    const char *name, u64 size, u64 limit, bool inactive,
		    struct netlink_ext_ack *ea)
{
	struct tb_volume *origin;
	struct tb_pool *pool;
	int r = -ENOENT;

	mutex_lock(&tb_pools_mutex);
	origin = tb_vol_lookup(pool_name, origin_name, ea);
	if (!origin)
		goto out;
	/* as LVM and dm refuse a device pending removal */
	mutex_lock(&origin->open_mutex);
	r = origin->deferred ? -EBUSY : 0;
	mutex_unlock(&origin->open_mutex);
	if (r) {
		tb_nl_errmsg(ea, "volume \"%s/%s\": marked for deletion at its last close: no new snapshots of it",
			     pool_name, origin_name);
		goto out;
	}
	if (!size)
		size = origin->mv->size;
	pool = tb_vol_new_checks(pool_name, name, size, origin->mv->size,
				 "origin's size", ea, &r);
	if (pool)
		r = tb_vol_make(pool, name, size, limit, origin, inactive, ea);
out:
	mutex_unlock(&tb_pools_mutex);
	return r;
}

/* A change of @vol's record was refused: out of metadata space. */
static void tb_vol_meta_full(struct tb_volume *vol, struct netlink_ext_ack *ea)
{
	tb_nl_errmsg(ea, "volume \"%s/%s\": pool is out of metadata space: delete volumes or grow the metadata device",
		     vol->pool->name, vol->mv->name);
	tb_pool_meta_full(vol->pool);
}

int tb_vol_resize(const char *pool_name, const char *name, u64 size,
		  struct netlink_ext_ack *ea)
{
	struct tb_volume *vol;
	int r = -ENOENT;

	mutex_lock(&tb_pools_mutex);
	vol = tb_vol_lookup(pool_name, name, ea);
	if (!vol)
		goto out;
	r = tb_pool_check_writable(vol->pool, ea);
	if (r)
		goto out;
	r = -EINVAL;
	if (size < vol->mv->size) {
		tb_nl_errmsg(ea, "volume \"%s/%s\": shrinking is not supported (size %llu < %llu)",
			     pool_name, name, size, vol->mv->size);
		goto out;
	}
	if (tb_check_vol_size(pool_name, name, size, ea))
		goto out;
	r = tb_meta_set_vol_size(vol->pool->meta, vol->mv, size);
	if (r) {
		tb_vol_meta_full(vol, ea);
		goto out;
	}
	r = tb_pool_commit_op(vol->pool, ea);
	if (r)
		goto out;
	if (vol->disk)		/* an inactive one gets its size at activation */
		set_capacity_and_notify(vol->disk, size >> SECTOR_SHIFT);
	tb_changed();
	tb_vol_event(vol, THINBLK_EVENT_VOL_RESIZED, NULL);
out:
	mutex_unlock(&tb_pools_mutex);
	return r;
}

/*
 * Delete @vol, which nobody has open and which is marked dying: the device,
 * its sysfs attributes and its I/O go first (inserting the mappings of
 * writes done), then the record is marked: from then on the reclaim may
 * free it.  @vol may be freed when this returns.
 */
static int __tb_vol_delete(struct tb_volume *vol, struct netlink_ext_ack *ea)
{
	struct tb_pool *pool = vol->pool;
	struct tb_mvol *mv = vol->mv;
	char name[THINBLK_NAME_MAX];
	struct tb_event ev = { .type = THINBLK_EVENT_VOL_DELETED,
			       .pool = pool->name, .vol = name, .mode = -1 };
	int r;

	lockdep_assert_held(&tb_pools_mutex);
	strscpy(name, vol->name, sizeof(name));
	tb_volume_remove(vol);
	tb_meta_delete_vol(pool->meta, mv);
	/* on failure the record stays DELETING in memory: reclaim is stopped */
	r = tb_pool_commit_op(pool, ea);
	queue_work(system_wq, &pool->reclaim_work);
	tb_changed();
	tb_nl_event(&ev);
	return r;
}

/* Mark an open @vol for deletion at its last close, and commit the mark. */
static int tb_vol_defer_delete(struct tb_volume *vol,
			       struct netlink_ext_ack *ea)
{
	struct tb_pool *pool = vol->pool;
	int r;

	lockdep_assert_held(&tb_pools_mutex);
	r = tb_meta_defer_delete_vol(pool->meta, vol->mv, true);
	if (r == -ENOSPC) {
		tb_vol_meta_full(vol, ea);
		return r;
	}
	if (!r)
		r = tb_pool_commit_op(pool, ea);
	if (r) {
		/* not marked, as the reply says: a later commit must not */
		tb_meta_defer_delete_vol(pool->meta, vol->mv, false);
		return r;
	}
	tb_changed();
	tb_vol_event(vol, THINBLK_EVENT_VOL_CHANGED, NULL);
	return 0;
}

int tb_vol_delete(const char *pool_name, const char *name, bool deferred,
		  struct netlink_ext_ack *ea)
{
	struct tb_volume *vol;
	bool busy, marked;
	int r = -ENOENT;

	mutex_lock(&tb_pools_mutex);
	vol = tb_vol_lookup(pool_name, name, ea);
	if (!vol)
		goto out;
	r = tb_pool_check_writable(vol->pool, ea);
	if (r)
		goto out;
	mutex_lock(&vol->open_mutex);
	busy = vol->openers;
	vol->dying = !busy;
	marked = vol->deferred;
	mutex_unlock(&vol->open_mutex);
	if (busy && deferred && !marked) {
		r = tb_vol_defer_delete(vol, ea);
		if (r)
			goto out;
		/* the last opener may have closed it meanwhile */
		mutex_lock(&vol->open_mutex);
		vol->deferred = true;
		busy = vol->openers;
		vol->dying = !busy;
		mutex_unlock(&vol->open_mutex);
		marked = true;
	}
	if (busy && deferred) {
		r = 0;
		goto out;
	}
	if (busy) {
		tb_nl_errmsg(ea, "volume \"%s/%s\": device or resource busy (volume is open%s)",
			     pool_name, name,
			     marked ? "; marked, it is deleted at its last close" : "");
		r = -EBUSY;
		goto out;
	}
	r = __tb_vol_delete(vol, ea);
out:
	mutex_unlock(&tb_pools_mutex);
	return r;
}

/*
 * The last close of a marked volume (tb_vol_last_close()) queued this.  The
 * volume may have been deleted or its pool closed since (a close or delete
 * marks it dying under tb_pools_mutex), or opened again (then its next last
 * close queues this again).  The reference taken when it was queued keeps
 * @vol; dropping it may free @vol.
 */
static void tb_vol_deferred_work(struct work_struct *w)
{
	struct tb_volume *vol = container_of(w, struct tb_volume,
					     deferred_work);
	struct gendisk *disk;
	bool go;

	mutex_lock(&tb_pools_mutex);
	mutex_lock(&vol->open_mutex);
	disk = vol->deferred_disk;
	vol->deferred_disk = NULL;
	go = !vol->dying && !vol->openers;
	if (go)
		vol->dying = true;
	mutex_unlock(&vol->open_mutex);
	if (go && tb_pool_check_writable(vol->pool, NULL)) {
		pr_warn("thinblk: pool %s: volume %s stays marked for deletion: the pool is not writable\n",
			vol->pool->name, vol->name);
		tb_volume_show(vol);
		go = false;
	}
	if (go && __tb_vol_delete(vol, NULL))
		pr_err("thinblk: deferred deletion of a volume failed to commit\n");
	mutex_unlock(&tb_pools_mutex);
	put_disk(disk);
}

void tb_vol_last_close(struct tb_volume *vol, struct gendisk *disk)
{
	lockdep_assert_held(&vol->open_mutex);
	if (vol->deferred_disk)		/* queued already, with its reference */
		return;
	/* not the last reference: the opener's is still held */
	get_device(disk_to_dev(disk));
	vol->deferred_disk = disk;
	queue_work(tb_deferred_wq, &vol->deferred_work);
}

int tb_vol_set_limit(const char *pool_name, const char *name, u64 limit,
		     struct netlink_ext_ack *ea)
{
	struct tb_volume *vol;
	int r = -ENOENT;

	mutex_lock(&tb_pools_mutex);
	vol = tb_vol_lookup(pool_name, name, ea);
	if (vol)
		r = tb_pool_check_writable(vol->pool, ea);
	if (vol && !r) {
		r = tb_meta_set_vol_limit(vol->pool->meta, vol->mv, limit);
		if (r)
			tb_vol_meta_full(vol, ea);
	}
	if (vol && !r) {
		r = tb_pool_commit_op(vol->pool, ea);
		tb_changed();
		tb_vol_event(vol, THINBLK_EVENT_VOL_CHANGED, NULL);
	}
	mutex_unlock(&tb_pools_mutex);
	return r;
}

/* Persist @vol's state (THINBLK_VOL_F_INACTIVE), committed; undone on error. */
static int tb_vol_commit_active(struct tb_volume *vol, bool active,
				struct netlink_ext_ack *ea)
{
	struct tb_pool *pool = vol->pool;
	bool changed;
	int r;

	r = tb_meta_set_vol_active(pool->meta, vol->mv, active, &changed);
	if (r == -ENOSPC) {
		tb_vol_meta_full(vol, ea);
		return r;
	}
	if (!r)
		r = tb_pool_commit_op(pool, ea);
	if (r && changed)
		tb_meta_unset_vol_active(pool->meta, vol->mv, active);
	return r;
}

static void tb_vol_state_event(struct tb_volume *vol, u32 type)
{
	tb_changed();
	tb_vol_event(vol, type, NULL);
}

/* The state @vol's record keeps (changed only under tb_pools_mutex). */
static bool tb_vol_recorded_active(struct tb_volume *vol)
{
	return !(READ_ONCE(vol->mv->flags) & THINBLK_VOL_F_INACTIVE);
}

/*
 * The volume to make @active, or NULL with *@r: -ENOENT, the pool not
 * writable, or 0 when it already is so, with a disk or not and recorded so
 * (nothing to do).  pool open --activate may have left the disk and the
 * record disagreeing: then the caller commits the record only.
 */
static struct tb_volume *tb_vol_state_lookup(const char *pool_name,
					     const char *name, bool active,
					     struct netlink_ext_ack *ea, int *r)
{
	struct tb_volume *vol;

	lockdep_assert_held(&tb_pools_mutex);
	vol = tb_vol_lookup(pool_name, name, ea);
	*r = vol ? 0 : -ENOENT;
	if (!vol || (!vol->disk == !active &&
		     tb_vol_recorded_active(vol) == active))
		return NULL;
	*r = tb_pool_check_writable(vol->pool, ea);
	return *r ? NULL : vol;
}

/*
 * The disk is added hidden, the state committed, then the disk shown: an
 * activation that fails leaves the volume inactive, on disk and in memory.
 * A deleted volume is not in the indexes: it is never found here.
 */
int tb_vol_activate(const char *pool_name, const char *name,
		    struct netlink_ext_ack *ea)
{
	struct tb_volume *vol;
	int r;

	mutex_lock(&tb_pools_mutex);
	vol = tb_vol_state_lookup(pool_name, name, true, ea, &r);
	if (!vol)
		goto out;
	if (vol->disk) {		/* only the record says inactive */
		r = tb_vol_commit_active(vol, true, ea);
		if (!r)
			tb_vol_state_event(vol, THINBLK_EVENT_VOL_ACTIVATED);
		goto out;
	}
	r = tb_volume_start_disk(vol, true);
	if (r) {
		tb_nl_errmsg(ea, "volume \"%s/%s\": cannot add its block device (%d)",
			     pool_name, name, r);
		goto out;
	}
	r = tb_vol_commit_active(vol, true, ea);
	if (r)
		goto bad_commit;
	tb_volume_show(vol);
	tb_vol_state_event(vol, THINBLK_EVENT_VOL_ACTIVATED);
	goto out;
bad_commit:
	tb_volume_stop_disk(vol);
out:
	mutex_unlock(&tb_pools_mutex);
	return r;
}

/*
 * Claimed first (dying: a racing open gets ENXIO, and nobody has it open),
 * the state set and committed (the commit covers every write the volume
 * acknowledged), then the disk deleted.  A failed commit leaves the disk as
 * it was: taking it away first would release the writes the failed commit
 * could not record, and a disk given back would read their old contents.
 */
int tb_vol_deactivate(const char *pool_name, const char *name,
		      struct netlink_ext_ack *ea)
{
	struct tb_volume *vol;
	bool busy, marked;
	int r;

	mutex_lock(&tb_pools_mutex);
	vol = tb_vol_state_lookup(pool_name, name, false, ea, &r);
	if (!vol)
		goto out;
	if (!vol->disk) {		/* only the record says active */
		r = tb_vol_commit_active(vol, false, ea);
		if (!r)
			tb_vol_state_event(vol, THINBLK_EVENT_VOL_DEACTIVATED);
		goto out;
	}
	mutex_lock(&vol->open_mutex);
	busy = vol->openers;
	marked = vol->deferred;
	if (!busy && !marked)
		vol->dying = true;
	mutex_unlock(&vol->open_mutex);
	r = busy || marked ? -EBUSY : 0;
	if (r) {
		tb_nl_errmsg(ea, busy ?
			     "volume \"%s/%s\": device or resource busy (volume is open)" :
			     "volume \"%s/%s\": marked for deletion at its last close",
			     pool_name, name);
		goto out;
	}
	r = tb_vol_commit_active(vol, false, ea);
	if (r) {
		mutex_lock(&vol->open_mutex);
		vol->dying = false;
		mutex_unlock(&vol->open_mutex);
		goto out;
	}
	tb_volume_stop_disk(vol);
	tb_vol_state_event(vol, THINBLK_EVENT_VOL_DEACTIVATED);
out:
	mutex_unlock(&tb_pools_mutex);
	return r;
}

static void tb_vol_fill_info(struct tb_volume *vol, struct tb_vol_info *info)
{
	struct tb_pool *pool = vol->pool;
	struct tb_vol_stats *st = &vol->stats;
	struct tb_volume *origin;
	u64 excl = 0;

	tb_io_drain(pool);	/* usage counts every acknowledged write */
	memset(info, 0, sizeof(*info));
	strscpy(info->pool, pool->name, sizeof(info->pool));
	strscpy(info->name, vol->mv->name, sizeof(info->name));
	origin = tb_vol_by_id(pool, vol->mv->origin);
	if (origin)
		strscpy(info->origin, origin->mv->name, sizeof(info->origin));
	info->active = vol->disk;
	if (vol->disk)
		snprintf(info->device, sizeof(info->device), "/dev/%s",
			 vol->disk->disk_name);
	info->id = vol->mv->id;
	info->size = vol->mv->size;
	info->limit = vol->mv->limit;
	info->referenced = vol->mv->mapped * pool->block_size;
	if (!tb_meta_vol_exclusive(pool->meta, vol->mv, &excl))
		info->exclusive = excl * pool->block_size;
	mutex_lock(&vol->open_mutex);
	info->openers = vol->openers;
	info->deferred = vol->deferred;
	mutex_unlock(&vol->open_mutex);
	info->stats[THINBLK_STATS_A_READS] = atomic64_read(&st->reads);
	info->stats[THINBLK_STATS_A_WRITES] = atomic64_read(&st->writes);
	info->stats[THINBLK_STATS_A_READ_BYTES] = atomic64_read(&st->read_bytes);
	info->stats[THINBLK_STATS_A_WRITE_BYTES] = atomic64_read(&st->write_bytes);
	info->stats[THINBLK_STATS_A_PROVISIONED] = atomic64_read(&st->provisioned);
	info->stats[THINBLK_STATS_A_COW] = atomic64_read(&st->cow);
	info->stats[THINBLK_STATS_A_DISCARDS] = atomic64_read(&st->discards);
	info->stats[THINBLK_STATS_A_ERRORS] = atomic64_read(&st->errors);
}

int tb_vol_get(const char *pool_name, const char *name,
	       struct tb_vol_info *info, struct netlink_ext_ack *ea)
{
	struct tb_volume *vol;

	mutex_lock(&tb_pools_mutex);
	vol = tb_vol_lookup(pool_name, name, ea);
	if (vol)
		tb_vol_fill_info(vol, info);
	mutex_unlock(&tb_pools_mutex);
	return vol ? 0 : -ENOENT;
}

int tb_vol_get_next(const char *pool_name, unsigned long *pool_idx,
		    unsigned long *vol_idx, struct tb_vol_info *info)
{
	unsigned long pi = 0;
	struct tb_volume *vol;
	struct tb_pool *pool;
	int r = -ENOENT;

	mutex_lock(&tb_pools_mutex);
	list_for_each_entry(pool, &tb_pools, list) {
		if (pi++ < *pool_idx)
			continue;
		if (pool_name && strcmp(pool->name, pool_name)) {
			(*pool_idx)++;
			*vol_idx = 0;
			continue;
		}
		/* *@vol_idx: the next volume id to look at */
		vol = xa_find(&pool->vol_ids, vol_idx, ULONG_MAX, XA_PRESENT);
		if (vol) {
			tb_vol_fill_info(vol, info);
			(*vol_idx)++;
			r = 0;
			goto out;
		}
		(*pool_idx)++;
		*vol_idx = 0;
	}
out:
	mutex_unlock(&tb_pools_mutex);
	return r;
}

int tb_pools_init(void)
{
	int r;

	tb_deferred_wq = alloc_workqueue("thinblk_deferred", WQ_UNBOUND, 0);
	if (!tb_deferred_wq)
		return -ENOMEM;
	r = tb_volumes_init();
	if (r)
		goto bad_volumes;
	return 0;
bad_volumes:
	destroy_workqueue(tb_deferred_wq);
	return r;
}

void tb_pools_quiesce(void)
{
	flush_workqueue(tb_deferred_wq);
}

void tb_pools_exit(void)
{
	struct tb_pool *pool, *tmp;

	/* rmmod is only possible when no volume is open. */
	mutex_lock(&tb_pools_mutex);
	list_for_each_entry_safe(pool, tmp, &tb_pools, list) {
		list_del(&pool->list);
		tb_pool_stop(pool);
		tb_meta_commit(pool->meta);
		tb_pool_teardown(pool);
	}
	mutex_unlock(&tb_pools_mutex);
	/* deferred deletions queued meanwhile find their volume dying */
	destroy_workqueue(tb_deferred_wq);
	tb_volumes_exit();
}
