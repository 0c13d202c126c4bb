/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libthinblk: talk to the thinblk module over generic netlink.
 *
 * The library is the transport layer of thinctl and of any daemon that
 * manages thinblk pools.  It builds the requests described in
 * <linux/thinblk.h>, sends them, parses the replies into the structs below
 * and turns failures into a negative errno plus, when the kernel sent one,
 * its extended-ack message (tb_last_error()).
 *
 * Conventions
 *   - Every function that talks to the kernel returns 0 on success or a
 *     negative errno: the kernel's own error for a refused request (-EEXIST,
 *     -EBUSY, -EPERM, ...), -ENOMEM, or -EIO/-EPROTO for a transport failure
 *     or a malformed reply.
 *   - Before each request the handle's error state is cleared; after a
 *     failure tb_last_error() has the kernel's message ("" when none).
 *   - Sizes are bytes.  Names are checked with tb_name_valid() by the caller;
 *     the kernel checks them again.
 *   - Output structs are filled only on success.  Arrays from the list
 *     functions are allocated with malloc(); free them with free().
 *   - A handle is not thread safe; use one per thread.
 */
#ifndef LIBTHINBLK_H
#define LIBTHINBLK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
/*
 * The uapi header, looked up next to this one first: installed, it is
 * thinblk/linux/thinblk.h (never a system <linux/thinblk.h>); in the tree,
 * tools/Makefile puts uapi/ on the include path.
 */
#include "linux/thinblk.h"

struct tb_handle;

/* Longest extended-ack message kept by the handle, with its NUL. */
#define TB_ERRMSG_MAX		256
/* Longest module version string, with its NUL. */
#define TB_VERSION_MAX		64
/* How often a dump that raced with a change is restarted before -EAGAIN. */
#define TB_DUMP_RETRIES		5

/* ---- handle ------------------------------------------------------------ */

/*
 * tb_open - open a generic netlink socket and resolve the thinblk family.
 * Sets NETLINK_EXT_ACK and NETLINK_CAP_ACK on the socket.
 * Returns 0 and *hp, -ENOENT when the family does not exist (the module is
 * not loaded and could not be auto-loaded), or another negative errno.
 */
int tb_open(struct tb_handle **hp);

/* tb_close - close the socket and free the handle.  NULL is a no-op. */
void tb_close(struct tb_handle *h);

/*
 * tb_last_error - the extended-ack message of the last failed request, or ""
 * when the kernel sent none.  Valid until the next call on the handle.
 */
const char *tb_last_error(const struct tb_handle *h);

/*
 * tb_last_error_attr - the THINBLK_A_* type of the request attribute the
 * kernel pointed at with NLMSGERR_ATTR_OFFS in the last failure, or -1.
 */
int tb_last_error_attr(const struct tb_handle *h);

/* ---- version ------------------------------------------------------------ */

struct tb_version {
	char module[TB_VERSION_MAX];	/* MODULE_VERSION */
	uint32_t uapi;			/* THINBLK_UAPI_VERSION of the module */
};

/* tb_version - THINBLK_CMD_GET_VERSION. */
int tb_version(struct tb_handle *h, struct tb_version *v);

/* ---- pools -------------------------------------------------------------- */

struct tb_pool_info {
	char name[THINBLK_NAME_MAX];
	char data_dev[THINBLK_PATH_MAX];
	char meta_dev[THINBLK_PATH_MAX];
	uint32_t block_size;
	uint64_t data_size;
	uint64_t data_used;
	uint64_t meta_size;
	uint64_t meta_used;
	uint64_t basesize;
	uint64_t low_water;		/* bytes of free data space */
	enum thinblk_no_space no_space;
	uint32_t no_space_timeout;	/* seconds */
	uint32_t flags;			/* THINBLK_POOL_F_* */
	enum thinblk_pool_mode mode;
	uint32_t volumes;
	uint64_t transaction;
	uint32_t error;			/* errno that made it read-only, or 0 */
	uint8_t meta_full;		/* out of metadata space (META_FULL) */
	uint64_t min_free;		/* bytes: no new volumes below; 0 = none */
};

/* Which optional fields of struct tb_pool_params are sent. */
enum tb_pool_param {
	TB_POOL_BLOCK_SIZE	= 1U << 0,
	TB_POOL_BASESIZE	= 1U << 1,
	TB_POOL_LOW_WATER	= 1U << 2,
	TB_POOL_LOW_WATER_PCT	= 1U << 3,
	TB_POOL_NO_SPACE	= 1U << 4,
	TB_POOL_NO_SPACE_TIMEOUT = 1U << 5,
	TB_POOL_FLAGS		= 1U << 6,
	TB_POOL_MIN_FREE	= 1U << 7,
	TB_POOL_MIN_FREE_PCT	= 1U << 8,
};

/* Parameters of tb_pool_create() and tb_pool_set(). */
struct tb_pool_params {
	const char *name;		/* required */
	const char *data_dev;		/* create only, required */
	const char *meta_dev;		/* create only, required */
	unsigned int set;		/* enum tb_pool_param bits */
	uint32_t block_size;		/* create only */
	uint64_t basesize;
	uint64_t low_water;		/* LOW_WATER and LOW_WATER_PCT exclude */
	uint8_t low_water_pct;		/* each other */
	enum thinblk_no_space no_space;
	uint32_t no_space_timeout;
	uint32_t flags;			/* create only */
	bool force;			/* create only: THINBLK_A_FORCE */
	uint64_t min_free;		/* MIN_FREE and MIN_FREE_PCT exclude */
	uint8_t min_free_pct;		/* each other */
};

/*
 * tb_pool_create - THINBLK_CMD_POOL_CREATE with name, devices and the fields
 * selected by p->set.  Formats the metadata device.  Fills *out (may be NULL).
 * Errors: -EEXIST name in use, -EBUSY device in use, -EINVAL bad value,
 * -ENOSPC metadata device too small, -ENODEV/-ENOENT no such device.
 */
int tb_pool_create(struct tb_handle *h, const struct tb_pool_params *p,
		   struct tb_pool_info *out);

/*
 * tb_pool_open - THINBLK_CMD_POOL_OPEN: open a pool from existing metadata.
 * Succeeds if the pool is already open with the same devices.
 * Errors: -EUCLEAN/-EIO damaged metadata, -EINVAL not thinblk metadata,
 * -EEXIST name open with other devices.
 */
int tb_pool_open(struct tb_handle *h, const char *name, const char *data_dev,
		 const char *meta_dev, struct tb_pool_info *out);

/*
 * tb_pool_open_activate - tb_pool_open() choosing which volumes get a block
 * device at this open: activate is an enum thinblk_activate (KEEP each
 * volume's persisted state, ALL, NONE, or LIST: exactly the n names).
 * Nothing persisted changes.  -ENOENT a listed name is not a volume.
 */
int tb_pool_open_activate(struct tb_handle *h, const char *name,
			  const char *data_dev, const char *meta_dev,
			  int activate, const char *const *names, size_t n,
			  struct tb_pool_info *out);

/* tb_pool_close - THINBLK_CMD_POOL_CLOSE.  -EBUSY while a volume is open. */
int tb_pool_close(struct tb_handle *h, const char *name);

/*
 * tb_pool_destroy - THINBLK_CMD_POOL_DESTROY: close and wipe the superblock.
 * -ENOTEMPTY while a volume maps data, -EBUSY while one is open.
 */
int tb_pool_destroy(struct tb_handle *h, const char *name);

/* tb_pool_destroy_force - tb_pool_destroy() even if volumes map data. */
int tb_pool_destroy_force(struct tb_handle *h, const char *name);

/* tb_pool_grow - THINBLK_CMD_POOL_GROW: use all of a grown data device. */
int tb_pool_grow(struct tb_handle *h, const char *name,
		 struct tb_pool_info *out);

/*
 * tb_pool_set - THINBLK_CMD_POOL_SET with the fields selected by p->set
 * (BASESIZE, LOW_WATER or LOW_WATER_PCT, MIN_FREE or MIN_FREE_PCT,
 * NO_SPACE, NO_SPACE_TIMEOUT).
 */
int tb_pool_set(struct tb_handle *h, const struct tb_pool_params *p,
		struct tb_pool_info *out);

/* tb_pool_get - THINBLK_CMD_POOL_GET for one pool.  -ENOENT no such pool. */
int tb_pool_get(struct tb_handle *h, const char *name,
		struct tb_pool_info *out);

/*
 * tb_pool_list - dump THINBLK_CMD_POOL_GET.  *pools is a malloc()ed array of
 * *n entries (NULL when 0).  Restarts a dump interrupted by a change up to
 * TB_DUMP_RETRIES times, then fails with -EAGAIN.
 */
int tb_pool_list(struct tb_handle *h, struct tb_pool_info **pools, size_t *n);

/* ---- volumes ------------------------------------------------------------ */

struct tb_vol_info {
	char pool[THINBLK_NAME_MAX];
	char name[THINBLK_NAME_MAX];
	uint32_t id;
	char device[THINBLK_PATH_MAX];	/* "/dev/thinblkN" */
	uint64_t size;
	char origin[THINBLK_NAME_MAX];	/* "" for a base volume */
	uint64_t limit;			/* 0 = none */
	uint32_t open;			/* openers */
	uint64_t referenced;		/* bytes mapped */
	uint64_t exclusive;		/* bytes deleting it would free */
	uint8_t deferred;		/* 1: deleted at its last close */
	/*
	 * 1: has a block device (device set); 0: inactive (device "").  In
	 * what was padding before LIBTHINBLK_2: the struct's size is the same.
	 */
	uint8_t active;
};

/*
 * tb_vol_create - THINBLK_CMD_VOL_CREATE.  size 0 = the pool's basesize;
 * limit 0 = none.  Errors: -EEXIST name in use, -EINVAL size below basesize,
 * -ENOENT no such pool.
 */
int tb_vol_create(struct tb_handle *h, const char *pool, const char *name,
		  uint64_t size, uint64_t limit, struct tb_vol_info *out);

/*
 * tb_vol_snapshot - THINBLK_CMD_VOL_SNAPSHOT of origin (a volume or a
 * snapshot) as name.  size 0 = the origin's size; limit 0 = none.
 */
int tb_vol_snapshot(struct tb_handle *h, const char *pool, const char *origin,
		    const char *name, uint64_t size, uint64_t limit,
		    struct tb_vol_info *out);

/*
 * tb_vol_create_inactive, tb_vol_snapshot_inactive - as tb_vol_create() and
 * tb_vol_snapshot() with INACTIVE: the new volume has no block device until
 * tb_vol_activate() (the plain ones create it active).
 */
int tb_vol_create_inactive(struct tb_handle *h, const char *pool,
			   const char *name, uint64_t size, uint64_t limit,
			   struct tb_vol_info *out);
int tb_vol_snapshot_inactive(struct tb_handle *h, const char *pool,
			     const char *origin, const char *name,
			     uint64_t size, uint64_t limit,
			     struct tb_vol_info *out);

/*
 * tb_vol_activate, tb_vol_deactivate - THINBLK_CMD_VOL_ACTIVATE and
 * _DEACTIVATE: give the volume its block device or take it away; the state
 * is kept across pool reopens.  Nothing to do is success.  Errors: -EBUSY
 * (deactivate) the device is open or marked for deferred deletion, -EROFS
 * read-only pool, -ENOENT no such volume.
 */
int tb_vol_activate(struct tb_handle *h, const char *pool, const char *name,
		    struct tb_vol_info *out);
int tb_vol_deactivate(struct tb_handle *h, const char *pool, const char *name,
		      struct tb_vol_info *out);

/* tb_vol_resize - THINBLK_CMD_VOL_RESIZE; grows only (-EINVAL to shrink). */
int tb_vol_resize(struct tb_handle *h, const char *pool, const char *name,
		  uint64_t size, struct tb_vol_info *out);

/* tb_vol_delete - THINBLK_CMD_VOL_DELETE.  -EBUSY while the volume is open. */
int tb_vol_delete(struct tb_handle *h, const char *pool, const char *name);

/*
 * tb_vol_delete_deferred - THINBLK_CMD_VOL_DELETE with DEFERRED: deletes a
 * volume that is not open at once, and marks an open one to be deleted at
 * its last close (tb_vol_info.deferred); again on a marked one is a no-op.
 */
int tb_vol_delete_deferred(struct tb_handle *h, const char *pool,
			   const char *name);

/* tb_vol_set_limit - THINBLK_CMD_VOL_SET; limit 0 removes the limit. */
int tb_vol_set_limit(struct tb_handle *h, const char *pool, const char *name,
		     uint64_t limit, struct tb_vol_info *out);

/* tb_vol_get - THINBLK_CMD_VOL_GET for one volume. */
int tb_vol_get(struct tb_handle *h, const char *pool, const char *name,
	       struct tb_vol_info *out);

/*
 * tb_vol_list - dump THINBLK_CMD_VOL_GET, of one pool when pool != NULL.
 * Array and retries as tb_pool_list().
 */
int tb_vol_list(struct tb_handle *h, const char *pool,
		struct tb_vol_info **vols, size_t *n);

/* ---- I/O statistics ----------------------------------------------------- */

struct tb_vol_stats {
	char pool[THINBLK_NAME_MAX];
	char name[THINBLK_NAME_MAX];
	uint64_t reads;			/* bios */
	uint64_t writes;		/* bios */
	uint64_t read_bytes;
	uint64_t write_bytes;
	uint64_t provisioned;		/* blocks allocated */
	uint64_t cow;			/* shared blocks broken */
	uint64_t discards;		/* bios */
	uint64_t errors;		/* bios failed */
};

/* tb_vol_stats_get - THINBLK_CMD_VOL_STATS for one volume. */
int tb_vol_stats_get(struct tb_handle *h, const char *pool, const char *name,
		     struct tb_vol_stats *out);

/* tb_vol_stats_list - dump THINBLK_CMD_VOL_STATS, of one pool if pool. */
int tb_vol_stats_list(struct tb_handle *h, const char *pool,
		      struct tb_vol_stats **stats, size_t *n);

/* ---- events --------------------------------------------------------------- */

/* Which optional details of struct tb_event the kernel sent. */
enum tb_event_detail {
	TB_EVENT_SIZE		= 1U << 0,
	TB_EVENT_MODE		= 1U << 1,
	TB_EVENT_DATA_USED	= 1U << 2,
	TB_EVENT_DATA_SIZE	= 1U << 3,
	TB_EVENT_ERRNO		= 1U << 4,
};

struct tb_event {
	enum thinblk_event type;
	uint64_t time_ns;		/* CLOCK_REALTIME */
	char pool[THINBLK_NAME_MAX];
	char volume[THINBLK_NAME_MAX];	/* "" when about the pool */
	char origin[THINBLK_NAME_MAX];	/* snapshotted; "" otherwise */
	unsigned int has;		/* enum tb_event_detail bits */
	uint64_t size;
	enum thinblk_pool_mode mode;
	uint64_t data_used;
	uint64_t data_size;
	uint32_t error;			/* positive errno */
};

/*
 * tb_event_subscribe - join the THINBLK_MCGRP_EVENTS group.  The handle then
 * serves events only: use another handle for requests.  The socket is made
 * non-blocking; tb_event_recv() waits.
 */
int tb_event_subscribe(struct tb_handle *h);

/*
 * tb_event_fd - the socket, to poll() for POLLIN next to other fds.  After it
 * is readable call tb_event_recv(h, ev, 0) until it returns -EAGAIN.
 */
int tb_event_fd(const struct tb_handle *h);

/*
 * tb_event_recv - the next event, waiting up to timeout_ms (-1 = forever,
 * 0 = don't wait).  Returns 0 and *ev, -EAGAIN when none came in time,
 * -EINTR when a signal interrupted the wait, -ENOBUFS when the socket
 * overran and events were lost (receiving may go on), other negative errno.
 */
int tb_event_recv(struct tb_handle *h, struct tb_event *ev, int timeout_ms);

/* ---- names, sizes, enums (pure functions, no kernel) ------------------------ */

/* tb_name_valid - 1..THINBLK_NAME_MAX-1 characters of [A-Za-z0-9_.-]. */
bool tb_name_valid(const char *name);

/*
 * tb_parse_size - "512", "64K", "10G", "1.5T", "2GiB", "3mb": a number with an
 * optional fraction and binary unit K M G T P (case-insensitive), optionally
 * followed by "B" or "iB"; a bare "B" means bytes.  A fraction needs a unit
 * and is rounded up to whole sectors (THINBLK_SECTOR_SIZE): "1.3G" is
 * 1395864576, so what tb_format_size() prints can be typed back.  The value
 * must fit 64 bits.  Returns 0 or -EINVAL / -ERANGE (overflow).
 */
int tb_parse_size(const char *s, uint64_t *bytes);

/* Buffer size that tb_format_size() always fits in. */
#define TB_SIZE_STR_MAX		24

/*
 * tb_format_size - bytes as the largest unit it reaches with at most one
 * decimal, rounded to nearest: 512 -> "512", 65536 -> "64K",
 * 1610612736 -> "1.5G".  buf has TB_SIZE_STR_MAX bytes; returns buf.
 */
char *tb_format_size(uint64_t bytes, char *buf);

/*
 * Names of enum values as thinctl and its JSON output spell them, or NULL
 * for a value this library does not know (a newer module).
 */
const char *tb_pool_mode_name(enum thinblk_pool_mode mode);	/* "write" */
const char *tb_no_space_name(enum thinblk_no_space ns);	/* "queue" */
const char *tb_event_name(enum thinblk_event type);	/* "vol-created" */
/* tb_attr_name - "BLOCK_SIZE" for THINBLK_A_BLOCK_SIZE, NULL if unknown. */
const char *tb_attr_name(int attr);

#endif /* LIBTHINBLK_H */
