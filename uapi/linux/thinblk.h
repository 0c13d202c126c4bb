/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * thinblk: thin-provisioned, copy-on-write block volumes for container hosts.
 *
 * Documentation
 * =============
 *
 * Userspace talks to the thinblk module over generic netlink, family
 * THINBLK_GENL_NAME, version THINBLK_GENL_VERSION.  Every request is parsed
 * strictly: unknown attributes, wrong types and out-of-range values are
 * rejected with -EINVAL and an extended ack naming the attribute.  All sizes on
 * the wire are in bytes.  Names are 1..THINBLK_NAME_MAX-1 characters of
 * [A-Za-z0-9_.-], sent as NUL-terminated strings.
 *
 * Every command that changes state needs CAP_SYS_ADMIN (checked by the
 * handler; GENL_ADMIN_PERM only checks CAP_NET_ADMIN) and fails with -EPERM
 * otherwise.  Reads (GET_VERSION, POOL_GET, VOL_GET, VOL_STATS) are open to all.
 * Failures carry an extended-ack message naming the object and the reason.
 *
 * Attributes are one flat space (THINBLK_A_*); each command lists what it
 * reads ("req" = required, "opt" = optional) and what it replies with.
 *
 * THINBLK_CMD_GET_VERSION
 *   in:  nothing
 *   out: MODULE_VERSION (string), UAPI_VERSION (u32)
 *
 * THINBLK_CMD_POOL_CREATE  (formats the metadata device; destroys its content)
 *   in:  req POOL_NAME, DATA_DEV, META_DEV (paths of block devices)
 *        opt FORCE (flag): format a metadata device that holds a thinblk
 *            superblock (a pool closed, not destroyed) anyway
 *        opt BLOCK_SIZE (u32, power of two, THINBLK_BLOCK_SIZE_MIN..MAX,
 *            default THINBLK_BLOCK_SIZE_DEFAULT)
 *        opt BASESIZE (u64, default THINBLK_BASESIZE_DEFAULT, multiple of 512,
 *            at most THINBLK_VOL_SIZE_MAX)
 *        opt LOW_WATER (u64 bytes of free data space) or LOW_WATER_PCT (u8)
 *        opt MIN_FREE (u64 bytes of free data space) or MIN_FREE_PCT (u8):
 *            the floor under which VOL_CREATE and VOL_SNAPSHOT are refused
 *            (ENOSPC); writes to existing volumes go on.  0: no floor
 *        opt NO_SPACE (u8, enum thinblk_no_space), NO_SPACE_TIMEOUT (u32 s)
 *        opt POOL_FLAGS (u32, THINBLK_POOL_F_*)
 *   out: the pool, as POOL_GET
 *   err: EEXIST pool name in use, or (without FORCE) the metadata device
 *        holds a pool (the message names it: open it instead); EBUSY device
 *        in use (the message names the pool using it); EINVAL bad value,
 *        DATA_DEV and META_DEV one device
 *        (also a name that is not a valid name, see above); ENOSPC
 *        metadata device too small; EFBIG data device of more than
 *        THINBLK_DATA_BLOCKS_MAX blocks (the message names a block size
 *        that fits); ENODEV/ENOENT no such device
 *
 * THINBLK_CMD_POOL_OPEN   (reads existing metadata; every volume comes back)
 *   in:  req POOL_NAME, DATA_DEV, META_DEV
 *        opt ACTIVATE (u8, enum thinblk_activate, default KEEP): which
 *            volumes get a block device at this open: KEEP each volume's
 *            persisted state (THINBLK_VOL_F_INACTIVE), ALL, NONE, or LIST:
 *            exactly the volumes named in ACTIVATE_LIST (a nest of VOL_NAME
 *            attributes, required with LIST and refused otherwise).  The
 *            choice is for this open only: no record is rewritten
 *            (VOL_ACTIVATE and VOL_DEACTIVATE change the persisted state).
 *            An inactive volume is listed, counted, snapshotted, resized,
 *            limited and deleted like an active one; it has no block device
 *            and no sysfs directory.  err: ENOENT a name in ACTIVATE_LIST is
 *            not a volume of the pool, or one marked DEFERRED_DELETE (this
 *            open deletes it); the message names it; nothing is opened
 *            and the metadata is unchanged
 *   out: the pool, as POOL_GET.  Opening an already open pool with the same
 *        devices succeeds (idempotent, for startup scripts; ACTIVATE does
 *        nothing then: VOL_ACTIVATE gives a volume its device).  "The same" is
 *        by device number: /dev/vdb, a /dev/disk/by-id link to it and a
 *        path relative to the caller's directory are one device.
 *   err: EUCLEAN metadata damaged, EIO a device could not be read (the
 *        kernel log names the block);
 *        EINVAL not a thinblk metadata device, an invalid name, or DATA_DEV
 *        and META_DEV one device; EEXIST name open with other devices;
 *        EBUSY a device used by another pool (the message names it)
 *
 * THINBLK_CMD_POOL_CLOSE  in: req POOL_NAME.  err: EBUSY a volume is open
 * THINBLK_CMD_POOL_DESTROY in: req POOL_NAME; opt FORCE (flag).  Closes the
 *        pool and wipes its superblock.  err: EBUSY a volume is open;
 *        ENOTEMPTY (without FORCE) a volume maps data (the message names
 *        one and counts them); nothing is changed then
 * THINBLK_CMD_POOL_GROW   in: req POOL_NAME.  Uses all of the data device
 *        and of the metadata device after they grew (the metadata up to
 *        THINBLK_META_MAX_BLOCKS; the kernel log says when the device has
 *        more).  out: the pool.
 *        err: EFBIG the data device grew beyond THINBLK_DATA_BLOCKS_MAX
 *        blocks; EINVAL the metadata device shrank (both leave the pool as
 *        it was)
 *
 * THINBLK_CMD_POOL_SET
 *   in:  req POOL_NAME; opt BASESIZE, LOW_WATER or LOW_WATER_PCT, MIN_FREE
 *        or MIN_FREE_PCT, NO_SPACE, NO_SPACE_TIMEOUT
 *   out: the pool
 *
 * THINBLK_CMD_POOL_GET  (doit with POOL_NAME, or dump of all pools)
 *   out: POOL_NAME, DATA_DEV, META_DEV, BLOCK_SIZE, DATA_SIZE, DATA_USED,
 *        META_SIZE, META_USED, BASESIZE, LOW_WATER, MIN_FREE, NO_SPACE,
 *        NO_SPACE_TIMEOUT, POOL_FLAGS, POOL_MODE (u8, enum thinblk_pool_mode),
 *        POOL_VOLUMES (u32), POOL_TRANSACTION (u64), META_FULL (u8, 1 when
 *        out of metadata space: writes needing a new block, discards,
 *        creates, snapshots, resizes and limit changes fail with ENOSPC,
 *        delete, commit and reclaim still work; 0 again once a commit or a
 *        grow gives space back); ERRNO (u32) when a
 *        failed metadata change or commit made the pool read-only: the first
 *        such error (nothing is committed after it until the pool is closed
 *        and opened again, at its last good commit)
 *
 * THINBLK_CMD_VOL_CREATE
 *   in:  req POOL_NAME, VOL_NAME; opt VOL_SIZE (default: the pool's basesize;
 *        smaller than basesize is refused), VOL_LIMIT, INACTIVE (flag: the
 *        new volume is created inactive, without a block device; without
 *        it, it is active, as LVM's lvcreate)
 *   out: the volume, as VOL_GET (VOL_DEVICE is the block device node)
 *   err: EEXIST name in use; EINVAL size below basesize or above
 *        THINBLK_VOL_SIZE_MAX; ENOENT no such pool; ENOSPC free data space
 *        below the pool's MIN_FREE, or the pool has given out every volume
 *        id below THINBLK_NO_ORIGIN (ids are not reused; also for
 *        VOL_SNAPSHOT)
 *
 * THINBLK_CMD_VOL_SNAPSHOT  (of a volume or a snapshot; origin stays online)
 *   in:  req POOL_NAME, VOL_ORIGIN (existing), VOL_NAME (new);
 *        opt VOL_SIZE (>= the origin's size; default the origin's size),
 *        VOL_LIMIT, INACTIVE (as VOL_CREATE).  The origin may be inactive;
 *        the snapshot is active unless INACTIVE is given
 *   out: the new volume, as VOL_GET
 *
 * THINBLK_CMD_VOL_RESIZE   in: req POOL_NAME, VOL_NAME, VOL_SIZE.  Grows
 *        online; shrinking, or growing past THINBLK_VOL_SIZE_MAX, is refused
 *        with EINVAL.  out: the volume
 * THINBLK_CMD_VOL_DELETE   in: req POOL_NAME, VOL_NAME; opt DEFERRED (flag).
 *        Returns at once; the blocks are freed in the background.
 *        err: EBUSY open (also when it is marked for deferred deletion).
 *        With DEFERRED, a volume that is not open is deleted at once, and
 *        an open one is marked instead (committed, VOL_CHANGED event) and
 *        deleted when its last opener closes it (VOL_DELETED event then);
 *        marking a marked volume again succeeds.  A marked volume can
 *        still be opened (its deletion waits for the last close), resized
 *        and limited, but not snapshotted (EBUSY).  A pool is not closed
 *        while the volume is open; a marked volume found at POOL_OPEN (a
 *        crash, or a close that raced its deletion) is deleted then, and
 *        the open fails if that deletion cannot be committed.
 *        err: ENOSPC out of metadata space for the mark (a plain delete
 *        once it is closed still works)
 * THINBLK_CMD_VOL_SET      in: req POOL_NAME, VOL_NAME, VOL_LIMIT (0 = none)
 *        out: the volume
 * THINBLK_CMD_VOL_ACTIVATE   in: req POOL_NAME, VOL_NAME.  Gives an inactive
 *        volume its block device and persists the state (the record loses
 *        THINBLK_VOL_F_INACTIVE, committed before the device appears);
 *        VOL_ACTIVATED event.  An active volume recorded active: nothing
 *        to do, success; one whose device came from POOL_OPEN's ACTIVATE
 *        but whose record says inactive: the record only is committed.
 *        out: the volume.  err: EROFS the pool is read-only (open it with
 *        ACTIVATE instead); ENOSPC out of metadata space
 * THINBLK_CMD_VOL_DEACTIVATE in: req POOL_NAME, VOL_NAME.  Removes the block
 *        device of a volume nobody has open, and persists the state
 *        (committed: the commit also makes every write the volume
 *        acknowledged durable, as any commit does); VOL_DEACTIVATED event.
 *        An inactive volume recorded inactive: success (recorded active,
 *        after POOL_OPEN's ACTIVATE: the record only is committed).
 *        out: the volume.
 *        err: EBUSY the device is open, or the volume is marked for
 *        deferred deletion; EROFS read-only pool; ENOSPC out of metadata space
 *
 * THINBLK_CMD_VOL_GET  (doit with POOL_NAME + VOL_NAME; dump with optional
 *        POOL_NAME filter, -ENOENT if that pool does not exist)
 *   out: POOL_NAME, VOL_NAME, VOL_ID (u32), VOL_DEVICE (string, "/dev/thinblkN";
 *        absent when inactive), VOL_ACTIVE (u8, 1 active, 0 inactive),
 *        VOL_SIZE, VOL_ORIGIN (absent for a base volume), VOL_LIMIT (absent
 *        when none), VOL_OPEN (u32 openers), VOL_REFERENCED (bytes mapped),
 *        VOL_EXCLUSIVE (bytes deleting it would free), DEFERRED (flag,
 *        present when marked for deletion at its last close)
 *
 * THINBLK_CMD_VOL_STATS  (doit with POOL_NAME + VOL_NAME; dump with optional
 *        POOL_NAME filter)
 *   out: POOL_NAME, VOL_NAME, STATS (nest of THINBLK_STATS_A_*, all u64)
 *
 * Dumps that race with a change set NLM_F_DUMP_INTR on a message; the reader
 * should retry the dump.
 *
 * Conventions: VOL_LIMIT 0 means "no limit" in every command.  A write that
 * would take a volume past its limit fails with ENOSPC (BLK_STS_NOSPC) for
 * that volume only; the limit counts blocks the volume allocated (new blocks
 * and copies breaking sharing) and still holds.  LOW_WATER_PCT is converted
 * to bytes when set (POOL_GET reports bytes; re-set it after a grow), and so
 * is MIN_FREE_PCT.  VOL_ORIGIN is absent once the origin has been deleted.
 * POOL_GET reports DATA_DEV and META_DEV as canonical paths (symlinks and
 * relative paths resolved when the pool was created or opened), not as
 * given.  The events group is open to
 * every user: events carry names and sizes, no data.
 *
 * Events (multicast group THINBLK_MCGRP_EVENTS)
 * ---------------------------------------------
 * Command THINBLK_CMD_EVENT with EVENT_TYPE (u32, enum thinblk_event),
 * EVENT_TIME (u64 ns, CLOCK_REALTIME), POOL_NAME, and when it concerns a volume
 * VOL_NAME; details per type: VOL_ORIGIN (snapshotted), VOL_SIZE (created,
 * snapshotted, resized, changed), POOL_MODE (mode changed), DATA_USED and
 * DATA_SIZE (low water, out of data space), ERRNO (u32, I/O error); none
 * for VOL_ACTIVATED and VOL_DEACTIVATED (VOL_ACTIVATE, VOL_DEACTIVATE; not
 * sent for the volumes a POOL_OPEN activates, nor for a new volume).  Events
 * are sent in the order the changes happened.
 */

#ifndef _UAPI_LINUX_THINBLK_H
#define _UAPI_LINUX_THINBLK_H

#include <linux/types.h>

#define THINBLK_GENL_NAME		"thinblk"
#define THINBLK_GENL_VERSION		1
#define THINBLK_MCGRP_EVENTS		"events"

/* Bumped on any incompatible change of this file. */
#define THINBLK_UAPI_VERSION		1

/* Names of pools and volumes, including the NUL. */
#define THINBLK_NAME_MAX		64
#define THINBLK_PATH_MAX		256

#define THINBLK_SECTOR_SIZE		512
#define THINBLK_BLOCK_SIZE_MIN		(64U << 10)
#define THINBLK_BLOCK_SIZE_MAX		(1U << 20)
#define THINBLK_BLOCK_SIZE_DEFAULT	THINBLK_BLOCK_SIZE_MIN
#define THINBLK_BASESIZE_DEFAULT	(10ULL << 30)
#define THINBLK_NO_SPACE_TIMEOUT_DEFAULT 60
#define THINBLK_NO_SPACE_TIMEOUT_MAX	3600

/*
 * The largest volume size, in bytes: the block layer addresses a device's
 * bytes with loff_t (i_size, bdev_nr_bytes()), so a device ends at or below
 * 2^63 - 1; rounded down to a whole sector.  The mapping tree's keys
 * (virtual blocks, u64) cover far more.  Also the largest basesize.
 */
#define THINBLK_VOL_SIZE_MAX		((1ULL << 63) - THINBLK_SECTOR_SIZE)

enum thinblk_no_space {
	THINBLK_NO_SPACE_ERROR,		/* fail writes needing a block at once */
	THINBLK_NO_SPACE_QUEUE,		/* hold them NO_SPACE_TIMEOUT s, then fail */
	__THINBLK_NO_SPACE_MAX
};

/* POOL_OPEN's ACTIVATE: which volumes get a block device. */
enum thinblk_activate {
	THINBLK_ACTIVATE_KEEP,		/* each volume's persisted state */
	THINBLK_ACTIVATE_ALL,
	THINBLK_ACTIVATE_NONE,
	THINBLK_ACTIVATE_LIST,		/* those in ACTIVATE_LIST only */
	__THINBLK_ACTIVATE_MAX
};

/* Ordered: a pool only moves down this list by itself. */
enum thinblk_pool_mode {
	THINBLK_MODE_WRITE,		/* read-write */
	THINBLK_MODE_OUT_OF_DATA_SPACE,	/* allocations fail or queue */
	THINBLK_MODE_READ_ONLY,		/* metadata can't be changed */
	THINBLK_MODE_FAIL,		/* all I/O errors */
	__THINBLK_MODE_MAX
};

/* THINBLK_A_POOL_FLAGS */
#define THINBLK_POOL_F_NO_ZERO			(1U << 0) /* don't zero new blocks */
#define THINBLK_POOL_F_NO_DISCARD_PASSDOWN	(1U << 1)
#define THINBLK_POOL_F_ALL	(THINBLK_POOL_F_NO_ZERO | \
				 THINBLK_POOL_F_NO_DISCARD_PASSDOWN)

enum thinblk_cmd {
	THINBLK_CMD_UNSPEC,
	THINBLK_CMD_GET_VERSION,
	THINBLK_CMD_POOL_CREATE,
	THINBLK_CMD_POOL_OPEN,
	THINBLK_CMD_POOL_CLOSE,
	THINBLK_CMD_POOL_DESTROY,
	THINBLK_CMD_POOL_GROW,
	THINBLK_CMD_POOL_SET,
	THINBLK_CMD_POOL_GET,
	THINBLK_CMD_VOL_CREATE,
	THINBLK_CMD_VOL_SNAPSHOT,
	THINBLK_CMD_VOL_RESIZE,
	THINBLK_CMD_VOL_DELETE,
	THINBLK_CMD_VOL_SET,
	THINBLK_CMD_VOL_GET,
	THINBLK_CMD_VOL_STATS,
	THINBLK_CMD_EVENT,		/* multicast only */
	THINBLK_CMD_VOL_ACTIVATE,
	THINBLK_CMD_VOL_DEACTIVATE,
	__THINBLK_CMD_MAX
};
#define THINBLK_CMD_MAX (__THINBLK_CMD_MAX - 1)

enum thinblk_attr {
	THINBLK_A_UNSPEC,
	THINBLK_A_MODULE_VERSION,	/* string */
	THINBLK_A_UAPI_VERSION,		/* u32 */
	THINBLK_A_POOL_NAME,		/* string, < THINBLK_NAME_MAX */
	THINBLK_A_DATA_DEV,		/* string, < THINBLK_PATH_MAX */
	THINBLK_A_META_DEV,		/* string, < THINBLK_PATH_MAX */
	THINBLK_A_BLOCK_SIZE,		/* u32 bytes */
	THINBLK_A_BASESIZE,		/* u64 bytes */
	THINBLK_A_LOW_WATER,		/* u64 bytes free */
	THINBLK_A_LOW_WATER_PCT,	/* u8, 0..100, of the data size */
	THINBLK_A_NO_SPACE,		/* u8, enum thinblk_no_space */
	THINBLK_A_NO_SPACE_TIMEOUT,	/* u32 seconds, 1..MAX */
	THINBLK_A_POOL_FLAGS,		/* u32, THINBLK_POOL_F_* */
	THINBLK_A_POOL_MODE,		/* u8, enum thinblk_pool_mode */
	THINBLK_A_POOL_VOLUMES,		/* u32 */
	THINBLK_A_POOL_TRANSACTION,	/* u64 last committed transaction */
	THINBLK_A_DATA_SIZE,		/* u64 bytes */
	THINBLK_A_DATA_USED,		/* u64 bytes */
	THINBLK_A_META_SIZE,		/* u64 bytes */
	THINBLK_A_META_USED,		/* u64 bytes */
	THINBLK_A_VOL_NAME,		/* string, < THINBLK_NAME_MAX */
	THINBLK_A_VOL_ID,		/* u32 */
	THINBLK_A_VOL_DEVICE,		/* string, "/dev/thinblkN" */
	THINBLK_A_VOL_SIZE,		/* u64 bytes, multiple of 512 */
	THINBLK_A_VOL_ORIGIN,		/* string, volume name */
	THINBLK_A_VOL_LIMIT,		/* u64 bytes, 0 = none */
	THINBLK_A_VOL_OPEN,		/* u32 openers */
	THINBLK_A_VOL_REFERENCED,	/* u64 bytes */
	THINBLK_A_VOL_EXCLUSIVE,	/* u64 bytes */
	THINBLK_A_STATS,		/* nest, THINBLK_STATS_A_* */
	THINBLK_A_EVENT_TYPE,		/* u32, enum thinblk_event */
	THINBLK_A_EVENT_TIME,		/* u64 ns since the epoch */
	THINBLK_A_ERRNO,		/* u32, positive errno */
	THINBLK_A_PAD,
	THINBLK_A_FORCE,		/* flag: override a safety check */
	THINBLK_A_META_FULL,		/* u8, 0 or 1 (POOL_GET only) */
	THINBLK_A_MIN_FREE,		/* u64 bytes free, 0 = no floor */
	THINBLK_A_MIN_FREE_PCT,		/* u8, 0..100, of the data size */
	THINBLK_A_DEFERRED,		/* flag: delete at the last close */
	THINBLK_A_VOL_ACTIVE,		/* u8, 0 or 1 (VOL_GET only) */
	THINBLK_A_INACTIVE,		/* flag: create/snapshot inactive */
	THINBLK_A_ACTIVATE,		/* u8, enum thinblk_activate */
	THINBLK_A_ACTIVATE_LIST,	/* nest of VOL_NAME */
	__THINBLK_A_MAX
};
#define THINBLK_A_MAX (__THINBLK_A_MAX - 1)

enum thinblk_stats_attr {
	THINBLK_STATS_A_UNSPEC,
	THINBLK_STATS_A_READS,		/* u64 bios */
	THINBLK_STATS_A_WRITES,		/* u64 bios */
	THINBLK_STATS_A_READ_BYTES,	/* u64 */
	THINBLK_STATS_A_WRITE_BYTES,	/* u64 */
	THINBLK_STATS_A_PROVISIONED,	/* u64 blocks allocated */
	THINBLK_STATS_A_COW,		/* u64 shared blocks broken */
	THINBLK_STATS_A_DISCARDS,	/* u64 bios */
	THINBLK_STATS_A_ERRORS,		/* u64 bios failed */
	THINBLK_STATS_A_PAD,
	__THINBLK_STATS_A_MAX
};
#define THINBLK_STATS_A_MAX (__THINBLK_STATS_A_MAX - 1)

enum thinblk_event {
	THINBLK_EVENT_UNSPEC,
	THINBLK_EVENT_POOL_CREATED,
	THINBLK_EVENT_POOL_OPENED,
	THINBLK_EVENT_POOL_CLOSED,
	THINBLK_EVENT_POOL_DESTROYED,
	THINBLK_EVENT_POOL_CHANGED,	/* properties set, or grown */
	THINBLK_EVENT_LOW_WATER,
	THINBLK_EVENT_OUT_OF_DATA_SPACE,
	THINBLK_EVENT_OUT_OF_META_SPACE,
	THINBLK_EVENT_MODE_CHANGED,
	THINBLK_EVENT_VOL_CREATED,
	THINBLK_EVENT_VOL_SNAPSHOTTED,
	THINBLK_EVENT_VOL_RESIZED,
	THINBLK_EVENT_VOL_DELETED,
	THINBLK_EVENT_VOL_CHANGED,	/* limit set, or deferred deletion marked */
	THINBLK_EVENT_IO_ERROR,
	THINBLK_EVENT_VOL_ACTIVATED,	/* VOL_ACTIVATE gave it a device */
	THINBLK_EVENT_VOL_DEACTIVATED,
	__THINBLK_EVENT_MAX
};


/*
 * On-disk format (metadata device)
 * ================================
 * Documentation/on-disk-format.md describes it in prose.  The metadata device
 * is an array of THINBLK_META_BLOCK_SIZE blocks, all little-endian:
 *
 *   block 0                superblock (the only block ever overwritten)
 *   blocks 1..2*R          metadata space map: R refcount blocks, each kept in
 *                          two slots (1 + 2*i and 2 + 2*i); the superblock's
 *                          msm_slot bitmap says which slot of block i is
 *                          current, a commit writes the other one
 *   the rest               copy-on-write radix-tree nodes, each with a
 *                          refcount in the metadata space map
 *   (version 2 only)       refcount block i >= R (the metadata device grew
 *                          past the R * THINBLK_REFCOUNTS_PER_BLOCK blocks
 *                          laid out at create) keeps its two slots in the
 *                          first two blocks it counts (i * REFCOUNTS_PER_BLOCK
 *                          and the next), counted 1 and never a node; a pool
 *                          is written as version 2 only once it has such a
 *                          block, so version-1 readers refuse it
 *
 * Every block starts with struct thinblk_disk_header: crc32c (seed
 * THINBLK_CSUM_SEED) of the block from byte 4 to its end, the block type, and
 * the block's own number.
 *
 * Three kinds of radix trees hang off the superblock, all made of the same
 * nodes: level 0 is a leaf of values, level n > 0 an array of __le64 child
 * block numbers (0 = absent):
 *   - the volume table, keyed by volume id, values struct thinblk_disk_volume;
 *   - the data space map, keyed by data block, values __le32 refcounts;
 *   - one mapping tree per volume, keyed by virtual block, values __le32
 *     (data block + 1; 0 = never written).  Snapshots share subtrees; a node's
 *     refcount counts its parents, a data block's refcount counts the leaves
 *     that point at it.
 */
#define THINBLK_META_BLOCK_SIZE		4096
#define THINBLK_META_MAX_BLOCKS		(4ULL << 20)	/* 16 GiB of metadata */
#define THINBLK_SB_MAGIC		0x314b4c424e494854ULL /* "THINBLK1" */
#define THINBLK_FORMAT_VERSION		1
/* Written instead once the metadata grew past R refcount blocks' worth */
#define THINBLK_FORMAT_VERSION_SPILLED	2
#define THINBLK_CSUM_SEED		0x7468696eU
#define THINBLK_BLOCK_SUPER		0x53555052U	/* "SUPR" */
#define THINBLK_BLOCK_REFCOUNT		0x52454643U	/* "REFC" */
#define THINBLK_BLOCK_NODE		0x4e4f4445U	/* "NODE" */
#define THINBLK_MAP_UNMAPPED		0
/*
 * Data blocks a pool can have: a mapping value is the data block + 1 in an
 * __le32 (0 = unmapped), so blocks 0..2^32 - 2 can be mapped.  At 64 KiB
 * blocks that is 256 TiB - 64 KiB of data; a larger data device needs a
 * larger block size (at 1 MiB, 4 PiB).
 */
#define THINBLK_DATA_BLOCKS_MAX		((1ULL << 32) - 1)
#define THINBLK_NO_ORIGIN		0xffffffffU
#define THINBLK_VOL_F_LIVE		(1U << 0)
#define THINBLK_VOL_F_DELETING		(1U << 1)
/*
 * With LIVE: delete the volume at its last close (VOL_DELETE with
 * DEFERRED); a pool opened with such a record deletes it then, as nobody can
 * have it open.  A record's flags are DELETING alone, or LIVE with any of
 * DEFERRED_DELETE and INACTIVE (five sets); anything else is damage (and a
 * module older than a bit refuses a pool holding it).
 */
#define THINBLK_VOL_F_DEFERRED_DELETE	(1U << 2)
/*
 * With LIVE: the volume is inactive (VOL_DEACTIVATE, or created with
 * INACTIVE): a POOL_OPEN with ACTIVATE KEEP (the default) gives it no block
 * device.  A record without it (every record written before this bit) is
 * active.  It may be with DEFERRED_DELETE too (a volume given its device by
 * POOL_OPEN's ACTIVATE, then marked); a module older than this bit refuses a
 * pool holding such a record (bad flags) rather than misread it.  No format version change: the layout is the same.
 */
#define THINBLK_VOL_F_INACTIVE		(1U << 3)

struct thinblk_disk_header {
	__le32 csum;
	__le32 type;			/* THINBLK_BLOCK_* */
	__le64 blocknr;
} __attribute__((packed));

struct thinblk_disk_root {
	__le64 block;			/* 0: empty tree */
	__le32 depth;			/* levels above the leaves */
	__le32 pad;
} __attribute__((packed));

/* Radix-tree node: a header, then values (leaf) or __le64 children. */
struct thinblk_disk_node {
	struct thinblk_disk_header hdr;
	__le32 level;			/* 0 = leaf */
	__le32 value_size;		/* bytes per entry */
} __attribute__((packed));

/* Metadata space map block: refcounts of THINBLK_REFCOUNTS_PER_BLOCK blocks. */
struct thinblk_disk_refcounts {
	struct thinblk_disk_header hdr;
	__le32 first;			/* index of the refcount block */
	__le32 pad;
} __attribute__((packed));

#define THINBLK_NODE_PAYLOAD \
	(THINBLK_META_BLOCK_SIZE - sizeof(struct thinblk_disk_node))
#define THINBLK_REFCOUNTS_PER_BLOCK \
	((THINBLK_META_BLOCK_SIZE - sizeof(struct thinblk_disk_refcounts)) / 4)

struct thinblk_disk_volume {
	struct thinblk_disk_root root;	/* mapping tree */
	__le64 size;			/* virtual size, bytes */
	__le64 limit;			/* allocation limit, bytes; 0 = none */
	__le64 mapped;			/* blocks in the mapping tree */
	__le64 owned;			/* blocks this volume allocated and holds */
	__le64 ctime;			/* creation, ns since the epoch */
	__le32 origin;			/* volume id, or THINBLK_NO_ORIGIN */
	__le32 flags;			/* THINBLK_VOL_F_* */
	char name[THINBLK_NAME_MAX];
} __attribute__((packed));

#define THINBLK_SB_SLOT_BYTES		2048

struct thinblk_disk_superblock {
	struct thinblk_disk_header hdr;
	__le64 magic;			/* THINBLK_SB_MAGIC */
	__le32 version;			/* THINBLK_FORMAT_VERSION */
	__le32 meta_block_size;
	__le64 transaction;		/* bumped by every commit */
	__le64 nr_meta_blocks;
	__le64 nr_data_blocks;
	__le64 data_allocated;		/* data blocks with refcount > 0 */
	__le32 data_block_size;		/* bytes */
	__le32 pool_flags;		/* THINBLK_POOL_F_* */
	__le64 basesize;
	__le64 low_water;		/* bytes */
	__le32 no_space;		/* enum thinblk_no_space */
	__le32 no_space_timeout;	/* seconds */
	__le32 next_volume_id;
	__le32 msm_blocks;		/* R, refcount blocks after block 0 */
	__le64 ctime;
	struct thinblk_disk_root data_sm;
	struct thinblk_disk_root volumes;
	char name[THINBLK_NAME_MAX];	/* pool name at creation */
	__u8 msm_slot[THINBLK_SB_SLOT_BYTES]; /* bit i: slot of refcount block i */
	/*
	 * Bytes of free data space under which no volume is created; 0 (and
	 * in a superblock written before it existed: the rest of the block
	 * is zero) means none.  Code that does not know it drops it.
	 */
	__le64 min_free;
} __attribute__((packed));

#endif /* _UAPI_LINUX_THINBLK_H */
