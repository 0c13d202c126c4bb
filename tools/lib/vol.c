// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Volume commands: THINBLK_CMD_VOL_* and the I/O statistics.
 */
#include <errno.h>
#include <string.h>
#include <netlink/msg.h>

#include "internal.h"

#define VOL_FIELD(m, a, k)	TB_FIELD(struct tb_vol_info, m, a, k)

static const struct tb_field vol_fields[] = {
	TB_FIELD_REQ(struct tb_vol_info, pool, THINBLK_A_POOL_NAME, TB_STR),
	TB_FIELD_REQ(struct tb_vol_info, name, THINBLK_A_VOL_NAME, TB_STR),
	VOL_FIELD(id,		THINBLK_A_VOL_ID,		TB_U32),
	VOL_FIELD(device,	THINBLK_A_VOL_DEVICE,		TB_STR),
	VOL_FIELD(size,		THINBLK_A_VOL_SIZE,		TB_U64),
	VOL_FIELD(origin,	THINBLK_A_VOL_ORIGIN,		TB_STR),
	VOL_FIELD(limit,	THINBLK_A_VOL_LIMIT,		TB_U64),
	VOL_FIELD(open,		THINBLK_A_VOL_OPEN,		TB_U32),
	VOL_FIELD(referenced,	THINBLK_A_VOL_REFERENCED,	TB_U64),
	VOL_FIELD(exclusive,	THINBLK_A_VOL_EXCLUSIVE,	TB_U64),
	VOL_FIELD(deferred,	THINBLK_A_DEFERRED,		TB_FLAG),
	VOL_FIELD(active,	THINBLK_A_VOL_ACTIVE,		TB_U8),
};

#define STATS_FIELD(m, a)	TB_FIELD(struct tb_vol_stats, m, a, TB_U64)

/* Members of the THINBLK_A_STATS nest. */
static const struct tb_field stats_fields[] = {
	STATS_FIELD(reads,	 THINBLK_STATS_A_READS),
	STATS_FIELD(writes,	 THINBLK_STATS_A_WRITES),
	STATS_FIELD(read_bytes,	 THINBLK_STATS_A_READ_BYTES),
	STATS_FIELD(write_bytes, THINBLK_STATS_A_WRITE_BYTES),
	STATS_FIELD(provisioned, THINBLK_STATS_A_PROVISIONED),
	STATS_FIELD(cow,	 THINBLK_STATS_A_COW),
	STATS_FIELD(discards,	 THINBLK_STATS_A_DISCARDS),
	STATS_FIELD(errors,	 THINBLK_STATS_A_ERRORS),
};

static const struct tb_field stats_names[] = {
	TB_FIELD_REQ(struct tb_vol_stats, pool, THINBLK_A_POOL_NAME, TB_STR),
	TB_FIELD_REQ(struct tb_vol_stats, name, THINBLK_A_VOL_NAME, TB_STR),
};

static const struct nla_policy stats_policy[THINBLK_STATS_A_MAX + 1] = {
	[THINBLK_STATS_A_READS]		= { .type = NLA_U64 },
	[THINBLK_STATS_A_WRITES]	= { .type = NLA_U64 },
	[THINBLK_STATS_A_READ_BYTES]	= { .type = NLA_U64 },
	[THINBLK_STATS_A_WRITE_BYTES]	= { .type = NLA_U64 },
	[THINBLK_STATS_A_PROVISIONED]	= { .type = NLA_U64 },
	[THINBLK_STATS_A_COW]		= { .type = NLA_U64 },
	[THINBLK_STATS_A_DISCARDS]	= { .type = NLA_U64 },
	[THINBLK_STATS_A_ERRORS]	= { .type = NLA_U64 },
};

static int parse_vol(struct nlattr **attrs, void *vol)
{
	return tb_fields_get(attrs, vol_fields, TB_ARRAY_SIZE(vol_fields),
			     vol, NULL);
}

static int parse_stats(struct nlattr **attrs, void *stats)
{
	struct nlattr *nest[THINBLK_STATS_A_MAX + 1];
	int ret;

	ret = tb_fields_get(attrs, stats_names, TB_ARRAY_SIZE(stats_names),
			    stats, NULL);
	if (ret)
		return ret;
	if (!attrs[THINBLK_A_STATS])
		return -EPROTO;
	if (nla_parse_nested(nest, THINBLK_STATS_A_MAX, attrs[THINBLK_A_STATS],
			     (struct nla_policy *)stats_policy) < 0)
		return -EPROTO;
	return tb_fields_get(nest, stats_fields, TB_ARRAY_SIZE(stats_fields),
			     stats, NULL);
}

/* The request every volume command starts with: POOL_NAME + VOL_NAME. */
static struct nl_msg *vol_msg(struct tb_handle *h, uint8_t cmd,
			      const char *pool, const char *name)
{
	struct nl_msg *msg = tb_msg_new(h, cmd, 0);

	if (msg && tb_put_names(msg, pool, name)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return msg;
}

/*
 * Puts the attributes that are set (a u64 of 0 and a NULL string mean "not
 * sent"), sends msg and copies the volume in the reply to out (may be NULL).
 */
static int vol_request(struct tb_handle *h, struct nl_msg *msg,
		       const char *origin, uint64_t size, uint64_t limit,
		       struct tb_vol_info *out)
{
	struct tb_vol_info vol;
	int ret = 0;

	if (!msg)
		return -ENOMEM;
	if (origin)
		ret = tb_put_str(msg, THINBLK_A_VOL_ORIGIN, origin);
	if (!ret && size)
		ret = tb_put_u64(msg, THINBLK_A_VOL_SIZE, size);
	if (!ret && limit)
		ret = tb_put_u64(msg, THINBLK_A_VOL_LIMIT, limit);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	memset(&vol, 0, sizeof(vol));
	ret = tb_request(h, msg, parse_vol, &vol);
	if (!ret && out)
		*out = vol;
	return ret;
}

int tb_vol_create(struct tb_handle *h, const char *pool, const char *name,
		  uint64_t size, uint64_t limit, struct tb_vol_info *out)
{
	return vol_request(h, vol_msg(h, THINBLK_CMD_VOL_CREATE, pool, name),
			   NULL, size, limit, out);
}

int tb_vol_snapshot(struct tb_handle *h, const char *pool, const char *origin,
		    const char *name, uint64_t size, uint64_t limit,
		    struct tb_vol_info *out)
{
	return vol_request(h, vol_msg(h, THINBLK_CMD_VOL_SNAPSHOT, pool, name),
			   origin, size, limit, out);
}

/* msg with the INACTIVE flag, or NULL (msg freed) */
static struct nl_msg *put_inactive(struct nl_msg *msg)
{
	if (msg && nla_put_flag(msg, THINBLK_A_INACTIVE)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return msg;
}

int tb_vol_create_inactive(struct tb_handle *h, const char *pool,
			   const char *name, uint64_t size, uint64_t limit,
			   struct tb_vol_info *out)
{
	return vol_request(h, put_inactive(vol_msg(h, THINBLK_CMD_VOL_CREATE,
						   pool, name)),
			   NULL, size, limit, out);
}

int tb_vol_snapshot_inactive(struct tb_handle *h, const char *pool,
			     const char *origin, const char *name,
			     uint64_t size, uint64_t limit,
			     struct tb_vol_info *out)
{
	return vol_request(h, put_inactive(vol_msg(h, THINBLK_CMD_VOL_SNAPSHOT,
						   pool, name)),
			   origin, size, limit, out);
}

int tb_vol_activate(struct tb_handle *h, const char *pool, const char *name,
		    struct tb_vol_info *out)
{
	return vol_request(h, vol_msg(h, THINBLK_CMD_VOL_ACTIVATE, pool, name),
			   NULL, 0, 0, out);
}

int tb_vol_deactivate(struct tb_handle *h, const char *pool, const char *name,
		      struct tb_vol_info *out)
{
	return vol_request(h, vol_msg(h, THINBLK_CMD_VOL_DEACTIVATE, pool, name),
			   NULL, 0, 0, out);
}

int tb_vol_resize(struct tb_handle *h, const char *pool, const char *name,
		  uint64_t size, struct tb_vol_info *out)
{
	if (!size)
		return -EINVAL;
	return vol_request(h, vol_msg(h, THINBLK_CMD_VOL_RESIZE, pool, name),
			   NULL, size, 0, out);
}

int tb_vol_delete(struct tb_handle *h, const char *pool, const char *name)
{
	return vol_request(h, vol_msg(h, THINBLK_CMD_VOL_DELETE, pool, name),
			   NULL, 0, 0, NULL);
}

int tb_vol_delete_deferred(struct tb_handle *h, const char *pool,
			   const char *name)
{
	struct nl_msg *msg = vol_msg(h, THINBLK_CMD_VOL_DELETE, pool, name);

	if (msg && nla_put_flag(msg, THINBLK_A_DEFERRED)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return vol_request(h, msg, NULL, 0, 0, NULL);
}

int tb_vol_set_limit(struct tb_handle *h, const char *pool, const char *name,
		     uint64_t limit, struct tb_vol_info *out)
{
	struct nl_msg *msg = vol_msg(h, THINBLK_CMD_VOL_SET, pool, name);

	/* VOL_LIMIT is required here, and 0 means "remove the limit" */
	if (msg && tb_put_u64(msg, THINBLK_A_VOL_LIMIT, limit)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return vol_request(h, msg, NULL, 0, 0, out);
}

int tb_vol_get(struct tb_handle *h, const char *pool, const char *name,
	       struct tb_vol_info *out)
{
	return vol_request(h, vol_msg(h, THINBLK_CMD_VOL_GET, pool, name),
			   NULL, 0, 0, out);
}

int tb_vol_list(struct tb_handle *h, const char *pool,
		struct tb_vol_info **vols, size_t *n)
{
	struct tb_array arr = {
		.item_size = sizeof(**vols),
		.parse = parse_vol,
	};

	return tb_array_finish(&arr, tb_dump(h, THINBLK_CMD_VOL_GET, pool, &arr),
			       vols, n);
}

int tb_vol_stats_get(struct tb_handle *h, const char *pool, const char *name,
		     struct tb_vol_stats *out)
{
	struct nl_msg *msg = vol_msg(h, THINBLK_CMD_VOL_STATS, pool, name);
	struct tb_vol_stats stats;
	int ret;

	if (!msg)
		return -ENOMEM;
	memset(&stats, 0, sizeof(stats));
	ret = tb_request(h, msg, parse_stats, &stats);
	if (!ret)
		*out = stats;
	return ret;
}

int tb_vol_stats_list(struct tb_handle *h, const char *pool,
		      struct tb_vol_stats **stats, size_t *n)
{
	struct tb_array arr = {
		.item_size = sizeof(**stats),
		.parse = parse_stats,
	};

	return tb_array_finish(&arr, tb_dump(h, THINBLK_CMD_VOL_STATS, pool, &arr),
			       stats, n);
}
