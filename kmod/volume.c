// SPDX-License-Identifier: GPL-2.0
/*
 * The block device of a thin volume: one bio-based gendisk per volume,
 * named thinblkN, with sysfs attributes (thinblk/pool, thinblk/volume,
 * thinblk/origin, thinblk/id) from which a udev rule makes
 * /dev/thinblk/POOL/VOLUME.
 */
#include <linux/blkdev.h>
#include <linux/idr.h>
#include <linux/module.h>

#include "pool.h"

#define TB_DISK_PREFIX "thinblk"

static int tb_major;
static DEFINE_IDA(tb_minors);

static int tb_open(struct block_device *bdev, fmode_t mode)
{
	struct tb_volume *vol = bdev->bd_disk->private_data;
	int r = 0;

	mutex_lock(&vol->open_mutex);
	if (vol->dying)
		r = -ENXIO;
	else
		vol->openers++;
	mutex_unlock(&vol->open_mutex);
	return r;
}

static void tb_release(struct gendisk *disk, fmode_t mode)
{
	struct tb_volume *vol = disk->private_data;

	mutex_lock(&vol->open_mutex);
	vol->openers--;
	if (!vol->openers && vol->deferred)
		tb_vol_last_close(vol, disk);
	mutex_unlock(&vol->open_mutex);
}

static void tb_volume_free(struct kref *ref)
{
	kfree(container_of(ref, struct tb_volume, ref));
}

void tb_volume_get(struct tb_volume *vol)
{
	kref_get(&vol->ref);
}

void tb_volume_put(struct tb_volume *vol)
{
	kref_put(&vol->ref, tb_volume_free);
}

/*
 * The volume lives at least as long as each of its disks: an opener may
 * still hold a disk after the pool deleted or deactivated the volume or
 * failed to open (tb_release then runs on it), so the disk's reference goes
 * with the disk's last reference, not before.  The minor is the disk's own:
 * a volume activated again has another.
 */
static void tb_free_disk(struct gendisk *disk)
{
	ida_free(&tb_minors, disk->first_minor);
	tb_volume_put(disk->private_data);
}

static const struct block_device_operations tb_fops = {
	.owner = THIS_MODULE,
	.submit_bio = tb_submit_bio,
	.open = tb_open,
	.release = tb_release,
	.free_disk = tb_free_disk,
};

static struct tb_volume *tb_dev_vol(struct device *dev)
{
	return dev_to_disk(dev)->private_data;
}

static ssize_t pool_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n", tb_dev_vol(dev)->pool->name);
}

static ssize_t volume_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%s\n", tb_dev_vol(dev)->mv->name);
}

static ssize_t id_show(struct device *dev, struct device_attribute *attr,
		       char *buf)
{
	return sysfs_emit(buf, "%u\n", tb_dev_vol(dev)->mv->id);
}

static ssize_t origin_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%s\n", tb_dev_vol(dev)->origin_name);
}

static DEVICE_ATTR_RO(pool);
static DEVICE_ATTR_RO(volume);
static DEVICE_ATTR_RO(id);
static DEVICE_ATTR_RO(origin);

static struct attribute *tb_vol_attrs[] = {
	&dev_attr_pool.attr,
	&dev_attr_volume.attr,
	&dev_attr_id.attr,
	&dev_attr_origin.attr,
	NULL,
};

static const struct attribute_group tb_vol_group = {
	.name = "thinblk",
	.attrs = tb_vol_attrs,
};

static const struct attribute_group *tb_vol_groups[] = {
	&tb_vol_group,
	NULL,
};

static void tb_set_limits(struct tb_volume *vol, struct request_queue *q)
{
	u32 bs = vol->pool->block_size;

	blk_queue_logical_block_size(q, THINBLK_SECTOR_SIZE);
	blk_queue_physical_block_size(q, bs);
	blk_queue_io_min(q, bs);
	blk_queue_io_opt(q, bs);
	blk_queue_chunk_sectors(q, bs >> SECTOR_SHIFT);
	blk_queue_max_discard_sectors(q, UINT_MAX >> SECTOR_SHIFT);
	q->limits.discard_granularity = bs;
	blk_queue_write_cache(q, true, true);
	blk_queue_flag_set(QUEUE_FLAG_NONROT, q);
}

int tb_volume_add_disk(struct tb_volume *vol)
{
	struct gendisk *disk;
	int minor, r;

	minor = ida_alloc_max(&tb_minors, MINORMASK, GFP_KERNEL);
	if (minor < 0)
		return minor;
	disk = blk_alloc_disk(NUMA_NO_NODE);
	if (!disk) {
		r = -ENOMEM;
		goto bad_disk;
	}
	disk->major = tb_major;
	disk->first_minor = minor;
	disk->minors = 1;
	disk->fops = &tb_fops;
	disk->private_data = vol;
	disk->flags |= GENHD_FL_NO_PART;
	snprintf(disk->disk_name, DISK_NAME_LEN, TB_DISK_PREFIX "%d", minor);
	tb_set_limits(vol, disk->queue);
	set_capacity(disk, vol->mv->size >> SECTOR_SHIFT);
	vol->disk = disk;
	r = device_add_disk(NULL, disk, tb_vol_groups);
	if (r)
		goto bad_add;
	tb_volume_get(vol);	/* the disk's, dropped by tb_free_disk() */
	return 0;
bad_add:
	put_disk(disk);		/* never added: no ->free_disk */
	vol->disk = NULL;
bad_disk:
	ida_free(&tb_minors, minor);
	return r;
}

/* A volume added hidden may be opened from now on: tell udev again. */
void tb_volume_show(struct tb_volume *vol)
{
	mutex_lock(&vol->open_mutex);
	vol->dying = false;
	mutex_unlock(&vol->open_mutex);
	if (vol->disk)
		kobject_uevent(&disk_to_dev(vol->disk)->kobj, KOBJ_CHANGE);
}

/* The disk goes away: no new opener, no new bio. */
void tb_volume_del_disk(struct tb_volume *vol)
{
	mutex_lock(&vol->open_mutex);
	vol->dying = true;
	mutex_unlock(&vol->open_mutex);
	del_gendisk(vol->disk);
}

/* Drop our reference: the disk goes now or at its last close. */
void tb_volume_put_disk(struct tb_volume *vol)
{
	struct gendisk *disk = vol->disk;

	vol->disk = NULL;
	put_disk(disk);
}

int tb_volumes_init(void)
{
	tb_major = register_blkdev(0, TB_DISK_PREFIX);
	return tb_major < 0 ? tb_major : 0;
}

void tb_volumes_exit(void)
{
	unregister_blkdev(tb_major, TB_DISK_PREFIX);
	ida_destroy(&tb_minors);
}
