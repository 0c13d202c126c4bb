/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Offline tools: read a closed pool's metadata device directly, like
 * thin_check / thin_dump / thin_metadata_size, following
 * Documentation/on-disk-format.md and the structures of uapi/linux/thinblk.h.
 * Nothing here writes to the device.
 */
#ifndef LIBTHINBLK_OFFLINE_H
#define LIBTHINBLK_OFFLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * The uapi header, looked up next to this one first: installed, it is
 * thinblk/linux/thinblk.h (never a system <linux/thinblk.h>); in the tree,
 * tools/Makefile puts uapi/ on the include path.
 */
#include "linux/thinblk.h"

/* The superblock and what a check counted, in host byte order. */
struct tb_offline_report {
	char name[THINBLK_NAME_MAX];	/* pool name at creation */
	uint64_t transaction;
	uint32_t data_block_size;	/* bytes */
	uint64_t nr_data_blocks;
	uint64_t data_allocated;	/* as the superblock says */
	uint64_t nr_meta_blocks;
	uint64_t meta_used;		/* metadata blocks with refcount > 0 */
	uint32_t pool_flags;		/* THINBLK_POOL_F_* */
	uint64_t basesize;
	uint64_t low_water;
	uint64_t min_free;		/* bytes, 0 = no floor */
	uint32_t no_space;		/* enum thinblk_no_space */
	uint32_t no_space_timeout;	/* seconds */
	uint32_t next_volume_id;
	uint64_t ctime;			/* ns since the epoch */
	uint32_t volumes;		/* live volume records */
	uint32_t deleting;		/* records still being reclaimed */
	uint32_t errors;		/* inconsistencies found (check only) */
};

/* One volume record, in host byte order. */
struct tb_offline_vol {
	uint32_t id;
	char name[THINBLK_NAME_MAX];
	uint64_t size;			/* bytes */
	uint64_t limit;			/* bytes, 0 = none */
	uint64_t mapped;		/* blocks, as the record says */
	uint64_t owned;
	uint64_t ctime;
	uint32_t origin;		/* THINBLK_NO_ORIGIN = none */
	uint32_t flags;			/* THINBLK_VOL_F_* */
};

/*
 * tb_offline_check - check the metadata of a pool that is not open: every
 * checksum, the shape of every tree, every metadata and data refcount
 * recomputed from the trees, the volume records.  Fills rep (when not NULL).
 * Returns 0 when consistent; -EUCLEAN when damaged or inconsistent (msg says
 * what was found first and how many more), -EBUSY when the pool is open,
 * -errno when the device can't be read (msg says which).
 */
int tb_offline_check(const char *meta_dev, struct tb_offline_report *rep,
		     char *msg, size_t msg_len);

/*
 * Callbacks of tb_offline_dump, in order: vol for each record (by id), then
 * map for each run of consecutive virtual blocks mapped to consecutive data
 * blocks of that volume.  A non-zero return stops the dump and is returned.
 */
struct tb_offline_dump_ops {
	int (*vol)(void *arg, const struct tb_offline_vol *vol);
	int (*map)(void *arg, uint64_t vblock, uint64_t dblock, uint64_t len);
};

/*
 * tb_offline_dump - read the superblock into rep, then walk the volumes.
 * Checksums are verified on the way (-EUCLEAN, msg says where); refcounts
 * are not: that is tb_offline_check.
 */
int tb_offline_dump(const char *meta_dev, struct tb_offline_report *rep,
		    const struct tb_offline_dump_ops *ops, void *arg,
		    char *msg, size_t msg_len);

/*
 * tb_metadata_size - metadata device size needed for data_size bytes of data
 * in blocks of block_size bytes holding up to volumes volumes, each of them
 * possibly diverged from its origin everywhere (the worst case).  -EINVAL on
 * a bad block size, -E2BIG beyond THINBLK_META_MAX_BLOCKS.
 */
int tb_metadata_size(uint64_t data_size, uint32_t block_size,
		     uint32_t volumes, uint64_t *meta_size);

/* crc32c (Castagnoli) without pre- or post-inversion, as the kernel's. */
uint32_t tb_crc32c(uint32_t seed, const void *data, size_t len);

#endif /* LIBTHINBLK_OFFLINE_H */
