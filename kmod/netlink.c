// SPDX-License-Identifier: GPL-2.0
/*
 * The thinblk generic netlink family.  uapi/linux/thinblk.h documents every
 * command and attribute; here are the policies, the handlers (which parse,
 * call pool.c and build replies) and the event multicast.
 *
 * The family is not parallel_ops: handlers run under genl_mutex.  Linux 6.1's
 * extack has no buffer of its own for formatted messages, and the core sends
 * the ack after genl_mutex is dropped; so formatted messages go to tb_errbuf
 * (under genl_mutex), and tb_nl_doit() sends their ack itself before the
 * mutex is dropped: no other request can overwrite a message before its ack.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <net/genetlink.h>
#include <linux/thinblk.h>

#include "netlink.h"
#include "pool.h"

#define TB_ERRBUF_LEN 256

static struct genl_family tb_family;
/* under genl_mutex, read until the ack is sent (tb_nl_doit) */
static char tb_errbuf[TB_ERRBUF_LEN];

#define TB_NAME_POLICY { .type = NLA_NUL_STRING, .len = THINBLK_NAME_MAX - 1 }
#define TB_PATH_POLICY { .type = NLA_NUL_STRING, .len = THINBLK_PATH_MAX - 1 }

static struct netlink_range_validation tb_block_size_range = {
	.min = THINBLK_BLOCK_SIZE_MIN,
	.max = THINBLK_BLOCK_SIZE_MAX,
};

/* POOL_OPEN's ACTIVATE_LIST: volume names, nothing else */
static const struct nla_policy tb_activate_list_policy[THINBLK_A_VOL_NAME + 1] = {
	[THINBLK_A_VOL_NAME]		= TB_NAME_POLICY,
};

static const struct nla_policy tb_policy[THINBLK_A_MAX + 1] = {
	[THINBLK_A_MODULE_VERSION]	= { .type = NLA_REJECT },
	[THINBLK_A_UAPI_VERSION]	= { .type = NLA_REJECT },
	[THINBLK_A_POOL_NAME]		= TB_NAME_POLICY,
	[THINBLK_A_DATA_DEV]		= TB_PATH_POLICY,
	[THINBLK_A_META_DEV]		= TB_PATH_POLICY,
	[THINBLK_A_BLOCK_SIZE]		= NLA_POLICY_FULL_RANGE(NLA_U32,
								&tb_block_size_range),
	[THINBLK_A_BASESIZE]		= NLA_POLICY_MIN(NLA_U64, THINBLK_SECTOR_SIZE),
	[THINBLK_A_LOW_WATER]		= { .type = NLA_U64 },
	[THINBLK_A_LOW_WATER_PCT]	= NLA_POLICY_MAX(NLA_U8, 100),
	[THINBLK_A_NO_SPACE]		= NLA_POLICY_MAX(NLA_U8,
							 __THINBLK_NO_SPACE_MAX - 1),
	[THINBLK_A_NO_SPACE_TIMEOUT]	= NLA_POLICY_RANGE(NLA_U32, 1,
							   THINBLK_NO_SPACE_TIMEOUT_MAX),
	[THINBLK_A_POOL_FLAGS]		= NLA_POLICY_MASK(NLA_U32,
							  THINBLK_POOL_F_ALL),
	[THINBLK_A_POOL_MODE]		= { .type = NLA_REJECT },
	[THINBLK_A_POOL_VOLUMES]	= { .type = NLA_REJECT },
	[THINBLK_A_POOL_TRANSACTION]	= { .type = NLA_REJECT },
	[THINBLK_A_DATA_SIZE]		= { .type = NLA_REJECT },
	[THINBLK_A_DATA_USED]		= { .type = NLA_REJECT },
	[THINBLK_A_META_SIZE]		= { .type = NLA_REJECT },
	[THINBLK_A_META_USED]		= { .type = NLA_REJECT },
	[THINBLK_A_VOL_NAME]		= TB_NAME_POLICY,
	[THINBLK_A_VOL_ID]		= { .type = NLA_REJECT },
	[THINBLK_A_VOL_DEVICE]		= { .type = NLA_REJECT },
	[THINBLK_A_VOL_SIZE]		= NLA_POLICY_MIN(NLA_U64, THINBLK_SECTOR_SIZE),
	[THINBLK_A_VOL_ORIGIN]		= TB_NAME_POLICY,
	[THINBLK_A_VOL_LIMIT]		= { .type = NLA_U64 },
	[THINBLK_A_VOL_OPEN]		= { .type = NLA_REJECT },
	[THINBLK_A_VOL_REFERENCED]	= { .type = NLA_REJECT },
	[THINBLK_A_VOL_EXCLUSIVE]	= { .type = NLA_REJECT },
	[THINBLK_A_STATS]		= { .type = NLA_REJECT },
	[THINBLK_A_EVENT_TYPE]		= { .type = NLA_REJECT },
	[THINBLK_A_EVENT_TIME]		= { .type = NLA_REJECT },
	[THINBLK_A_ERRNO]		= { .type = NLA_REJECT },
	[THINBLK_A_META_FULL]		= { .type = NLA_REJECT },
	[THINBLK_A_PAD]			= { .type = NLA_REJECT },
	[THINBLK_A_FORCE]		= { .type = NLA_FLAG },
	[THINBLK_A_MIN_FREE]		= { .type = NLA_U64 },
	[THINBLK_A_MIN_FREE_PCT]	= NLA_POLICY_MAX(NLA_U8, 100),
	[THINBLK_A_DEFERRED]		= { .type = NLA_FLAG },
	[THINBLK_A_VOL_ACTIVE]		= { .type = NLA_REJECT },
	[THINBLK_A_INACTIVE]		= { .type = NLA_FLAG },
	[THINBLK_A_ACTIVATE]		= NLA_POLICY_MAX(NLA_U8,
							 __THINBLK_ACTIVATE_MAX - 1),
	[THINBLK_A_ACTIVATE_LIST]	= NLA_POLICY_NESTED(tb_activate_list_policy),
};

void tb_nl_errmsg(struct netlink_ext_ack *ea, const char *fmt, ...)
{
	va_list args;

	if (!ea)
		return;
	va_start(args, fmt);
	vsnprintf(tb_errbuf, sizeof(tb_errbuf), fmt, args);
	va_end(args);
	ea->_msg = tb_errbuf;
}

/* State changes hand out block devices: CAP_NET_ADMIN is not enough. */
static int tb_check_admin(struct genl_info *info)
{
	if (capable(CAP_SYS_ADMIN))
		return 0;
	NL_SET_ERR_MSG(info->extack,
		       "operation not permitted (need CAP_SYS_ADMIN)");
	return -EPERM;
}

static const char *tb_str(struct genl_info *info, int attr)
{
	return info->attrs[attr] ? nla_data(info->attrs[attr]) : NULL;
}

static u64 tb_u64(struct genl_info *info, int attr)
{
	return info->attrs[attr] ? nla_get_u64(info->attrs[attr]) : 0;
}

/* Replies */

static int tb_put_pool(struct sk_buff *msg, const struct tb_pool_info *p)
{
	if (nla_put_string(msg, THINBLK_A_POOL_NAME, p->name) ||
	    nla_put_string(msg, THINBLK_A_DATA_DEV, p->data_path) ||
	    nla_put_string(msg, THINBLK_A_META_DEV, p->meta_path) ||
	    nla_put_u32(msg, THINBLK_A_BLOCK_SIZE, p->block_size) ||
	    nla_put_u64_64bit(msg, THINBLK_A_DATA_SIZE, p->data_size, THINBLK_A_PAD) ||
	    nla_put_u64_64bit(msg, THINBLK_A_DATA_USED, p->data_used, THINBLK_A_PAD) ||
	    nla_put_u64_64bit(msg, THINBLK_A_META_SIZE, p->meta_size, THINBLK_A_PAD) ||
	    nla_put_u64_64bit(msg, THINBLK_A_META_USED, p->meta_used, THINBLK_A_PAD) ||
	    nla_put_u64_64bit(msg, THINBLK_A_BASESIZE, p->basesize, THINBLK_A_PAD) ||
	    nla_put_u64_64bit(msg, THINBLK_A_LOW_WATER, p->low_water, THINBLK_A_PAD) ||
	    nla_put_u64_64bit(msg, THINBLK_A_MIN_FREE, p->min_free, THINBLK_A_PAD) ||
	    nla_put_u8(msg, THINBLK_A_NO_SPACE, p->no_space) ||
	    nla_put_u32(msg, THINBLK_A_NO_SPACE_TIMEOUT, p->no_space_timeout) ||
	    nla_put_u32(msg, THINBLK_A_POOL_FLAGS, p->flags) ||
	    nla_put_u8(msg, THINBLK_A_POOL_MODE, p->mode) ||
	    nla_put_u32(msg, THINBLK_A_POOL_VOLUMES, p->volumes) ||
	    nla_put_u64_64bit(msg, THINBLK_A_POOL_TRANSACTION, p->transaction,
			      THINBLK_A_PAD) ||
	    nla_put_u8(msg, THINBLK_A_META_FULL, p->meta_full) ||
	    (p->error && nla_put_u32(msg, THINBLK_A_ERRNO, p->error)))
		return -EMSGSIZE;
	return 0;
}

static int tb_put_stats(struct sk_buff *msg, const struct tb_vol_info *v)
{
	struct nlattr *nest = nla_nest_start(msg, THINBLK_A_STATS);
	int i;

	if (!nest)
		return -EMSGSIZE;
	for (i = THINBLK_STATS_A_READS; i <= THINBLK_STATS_A_ERRORS; i++)
		if (nla_put_u64_64bit(msg, i, v->stats[i], THINBLK_STATS_A_PAD)) {
			nla_nest_cancel(msg, nest);
			return -EMSGSIZE;
		}
	nla_nest_end(msg, nest);
	return 0;
}

static int tb_put_vol(struct sk_buff *msg, const struct tb_vol_info *v,
		      bool stats)
{
	if (nla_put_string(msg, THINBLK_A_POOL_NAME, v->pool) ||
	    nla_put_string(msg, THINBLK_A_VOL_NAME, v->name) ||
	    nla_put_u32(msg, THINBLK_A_VOL_ID, v->id) ||
	    (v->active &&
	     nla_put_string(msg, THINBLK_A_VOL_DEVICE, v->device)) ||
	    nla_put_u8(msg, THINBLK_A_VOL_ACTIVE, v->active) ||
	    nla_put_u64_64bit(msg, THINBLK_A_VOL_SIZE, v->size, THINBLK_A_PAD) ||
	    (v->origin[0] &&
	     nla_put_string(msg, THINBLK_A_VOL_ORIGIN, v->origin)) ||
	    (v->limit &&
	     nla_put_u64_64bit(msg, THINBLK_A_VOL_LIMIT, v->limit, THINBLK_A_PAD)) ||
	    nla_put_u32(msg, THINBLK_A_VOL_OPEN, v->openers) ||
	    nla_put_u64_64bit(msg, THINBLK_A_VOL_REFERENCED, v->referenced,
			      THINBLK_A_PAD) ||
	    nla_put_u64_64bit(msg, THINBLK_A_VOL_EXCLUSIVE, v->exclusive,
			      THINBLK_A_PAD) ||
	    (v->deferred && nla_put_flag(msg, THINBLK_A_DEFERRED)))
		return -EMSGSIZE;
	return stats ? tb_put_stats(msg, v) : 0;
}

/* Reply to @info with one object, built by @put. */
static int tb_reply(struct genl_info *info, u8 cmd,
		    int (*put)(struct sk_buff *, const void *), const void *obj)
{
	struct sk_buff *msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	void *hdr;

	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &tb_family, 0, cmd);
	if (!hdr || put(msg, obj)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int tb_put_pool_cb(struct sk_buff *msg, const void *obj)
{
	return tb_put_pool(msg, obj);
}

static int tb_put_vol_cb(struct sk_buff *msg, const void *obj)
{
	return tb_put_vol(msg, obj, false);
}

static int tb_put_vol_stats_cb(struct sk_buff *msg, const void *obj)
{
	return tb_put_vol(msg, obj, true);
}

static int tb_put_version(struct sk_buff *msg, const void *unused)
{
	if (nla_put_string(msg, THINBLK_A_MODULE_VERSION, THIS_MODULE->version) ||
	    nla_put_u32(msg, THINBLK_A_UAPI_VERSION, THINBLK_UAPI_VERSION))
		return -EMSGSIZE;
	return 0;
}

static int tb_nl_get_version(struct sk_buff *skb, struct genl_info *info)
{
	return tb_reply(info, THINBLK_CMD_GET_VERSION, tb_put_version, NULL);
}

/* Pools */

static void tb_parse_pool(struct genl_info *info, struct tb_pool_params *p)
{
	struct nlattr **a = info->attrs;

	memset(p, 0, sizeof(*p));
	p->name = tb_str(info, THINBLK_A_POOL_NAME);
	p->data_path = tb_str(info, THINBLK_A_DATA_DEV);
	p->meta_path = tb_str(info, THINBLK_A_META_DEV);
	if (a[THINBLK_A_BLOCK_SIZE]) {
		p->set |= TB_SET_BLOCK_SIZE;
		p->block_size = nla_get_u32(a[THINBLK_A_BLOCK_SIZE]);
	}
	if (a[THINBLK_A_BASESIZE]) {
		p->set |= TB_SET_BASESIZE;
		p->basesize = nla_get_u64(a[THINBLK_A_BASESIZE]);
	}
	if (a[THINBLK_A_LOW_WATER]) {
		p->set |= TB_SET_LOW_WATER;
		p->low_water = nla_get_u64(a[THINBLK_A_LOW_WATER]);
	}
	if (a[THINBLK_A_LOW_WATER_PCT]) {
		p->set |= TB_SET_LOW_WATER_PCT;
		p->low_water_pct = nla_get_u8(a[THINBLK_A_LOW_WATER_PCT]);
	}
	if (a[THINBLK_A_MIN_FREE]) {
		p->set |= TB_SET_MIN_FREE;
		p->min_free = nla_get_u64(a[THINBLK_A_MIN_FREE]);
	}
	if (a[THINBLK_A_MIN_FREE_PCT]) {
		p->set |= TB_SET_MIN_FREE_PCT;
		p->min_free_pct = nla_get_u8(a[THINBLK_A_MIN_FREE_PCT]);
	}
	if (a[THINBLK_A_NO_SPACE]) {
		p->set |= TB_SET_NO_SPACE;
		p->no_space = nla_get_u8(a[THINBLK_A_NO_SPACE]);
	}
	if (a[THINBLK_A_NO_SPACE_TIMEOUT]) {
		p->set |= TB_SET_TIMEOUT;
		p->no_space_timeout = nla_get_u32(a[THINBLK_A_NO_SPACE_TIMEOUT]);
	}
	if (a[THINBLK_A_POOL_FLAGS]) {
		p->set |= TB_SET_FLAGS;
		p->flags = nla_get_u32(a[THINBLK_A_POOL_FLAGS]);
	}
	p->force = nla_get_flag(a[THINBLK_A_FORCE]);
	if (a[THINBLK_A_ACTIVATE])
		p->activate = nla_get_u8(a[THINBLK_A_ACTIVATE]);
	p->activate_list = a[THINBLK_A_ACTIVATE_LIST];
}

static int tb_reply_pool(struct genl_info *info, const char *name)
{
	struct tb_pool_info *p = kmalloc(sizeof(*p), GFP_KERNEL);
	int r;

	if (!p)
		return -ENOMEM;
	r = tb_pool_get(name, p, info->extack);
	if (!r)
		r = tb_reply(info, THINBLK_CMD_POOL_GET, tb_put_pool_cb, p);
	kfree(p);
	return r;
}

static int tb_pool_cmd(struct genl_info *info, bool with_devices)
{
	if (GENL_REQ_ATTR_CHECK(info, THINBLK_A_POOL_NAME))
		return -EINVAL;
	if (with_devices && (GENL_REQ_ATTR_CHECK(info, THINBLK_A_DATA_DEV) ||
			     GENL_REQ_ATTR_CHECK(info, THINBLK_A_META_DEV)))
		return -EINVAL;
	if (info->attrs[THINBLK_A_LOW_WATER] &&
	    info->attrs[THINBLK_A_LOW_WATER_PCT]) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    info->attrs[THINBLK_A_LOW_WATER_PCT],
				    "give the low-water mark in bytes or in percent, not both");
		return -EINVAL;
	}
	if (info->attrs[THINBLK_A_MIN_FREE] &&
	    info->attrs[THINBLK_A_MIN_FREE_PCT]) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    info->attrs[THINBLK_A_MIN_FREE_PCT],
				    "give the free-space floor in bytes or in percent, not both");
		return -EINVAL;
	}
	return tb_check_admin(info);
}

static int tb_nl_pool_create(struct sk_buff *skb, struct genl_info *info)
{
	struct tb_pool_params p;
	int r = tb_pool_cmd(info, true);

	if (r)
		return r;
	tb_parse_pool(info, &p);
	r = tb_pool_create(&p, info->extack);
	return r ? r : tb_reply_pool(info, p.name);
}

static int tb_nl_pool_open(struct sk_buff *skb, struct genl_info *info)
{
	struct tb_pool_params p;
	int r = tb_pool_cmd(info, true);

	if (r)
		return r;
	tb_parse_pool(info, &p);
	if ((p.activate == THINBLK_ACTIVATE_LIST) != !!p.activate_list) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[THINBLK_A_ACTIVATE],
				    "ACTIVATE_LIST goes with ACTIVATE LIST, and only with it");
		return -EINVAL;
	}
	r = tb_pool_open(&p, info->extack);
	return r ? r : tb_reply_pool(info, p.name);
}

static int tb_nl_pool_close(struct sk_buff *skb, struct genl_info *info)
{
	int r = tb_pool_cmd(info, false);

	return r ? r : tb_pool_close(tb_str(info, THINBLK_A_POOL_NAME), false,
				     false, info->extack);
}

static int tb_nl_pool_destroy(struct sk_buff *skb, struct genl_info *info)
{
	int r = tb_pool_cmd(info, false);

	return r ? r : tb_pool_close(tb_str(info, THINBLK_A_POOL_NAME), true,
				     nla_get_flag(info->attrs[THINBLK_A_FORCE]),
				     info->extack);
}

static int tb_nl_pool_grow(struct sk_buff *skb, struct genl_info *info)
{
	const char *name = tb_str(info, THINBLK_A_POOL_NAME);
	int r = tb_pool_cmd(info, false);

	if (!r)
		r = tb_pool_grow(name, info->extack);
	return r ? r : tb_reply_pool(info, name);
}

static int tb_nl_pool_set(struct sk_buff *skb, struct genl_info *info)
{
	struct tb_pool_params p;
	int r = tb_pool_cmd(info, false);

	if (r)
		return r;
	tb_parse_pool(info, &p);
	p.set &= ~(TB_SET_BLOCK_SIZE | TB_SET_FLAGS);
	r = tb_pool_set(&p, info->extack);
	return r ? r : tb_reply_pool(info, p.name);
}

static int tb_nl_pool_get(struct sk_buff *skb, struct genl_info *info)
{
	if (GENL_REQ_ATTR_CHECK(info, THINBLK_A_POOL_NAME))
		return -EINVAL;
	return tb_reply_pool(info, tb_str(info, THINBLK_A_POOL_NAME));
}

static int tb_nl_pool_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct tb_pool_info *p = kmalloc(sizeof(*p), GFP_KERNEL);
	void *hdr;

	if (!p)
		return -ENOMEM;
	cb->seq = tb_generation();
	while (!tb_pool_get_nth(cb->args[0], p)) {
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &tb_family, NLM_F_MULTI,
				  THINBLK_CMD_POOL_GET);
		if (!hdr)
			break;
		genl_dump_check_consistent(cb, hdr);
		if (tb_put_pool(skb, p)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		cb->args[0]++;
	}
	kfree(p);
	return skb->len;
}

/* Volumes */

static int tb_vol_cmd(struct genl_info *info)
{
	if (GENL_REQ_ATTR_CHECK(info, THINBLK_A_POOL_NAME) ||
	    GENL_REQ_ATTR_CHECK(info, THINBLK_A_VOL_NAME))
		return -EINVAL;
	return tb_check_admin(info);
}

static int tb_reply_vol(struct genl_info *info, u8 cmd, bool stats)
{
	struct tb_vol_info *v = kmalloc(sizeof(*v), GFP_KERNEL);
	int r;

	if (!v)
		return -ENOMEM;
	r = tb_vol_get(tb_str(info, THINBLK_A_POOL_NAME),
		       tb_str(info, THINBLK_A_VOL_NAME), v, info->extack);
	if (!r)
		r = tb_reply(info, cmd, stats ? tb_put_vol_stats_cb :
				      tb_put_vol_cb, v);
	kfree(v);
	return r;
}

static int tb_nl_vol_create(struct sk_buff *skb, struct genl_info *info)
{
	int r = tb_vol_cmd(info);

	if (!r)
		r = tb_vol_create(tb_str(info, THINBLK_A_POOL_NAME),
				  tb_str(info, THINBLK_A_VOL_NAME),
				  tb_u64(info, THINBLK_A_VOL_SIZE),
				  tb_u64(info, THINBLK_A_VOL_LIMIT),
				  nla_get_flag(info->attrs[THINBLK_A_INACTIVE]),
				  info->extack);
	return r ? r : tb_reply_vol(info, THINBLK_CMD_VOL_GET, false);
}

static int tb_nl_vol_snapshot(struct sk_buff *skb, struct genl_info *info)
{
	int r = tb_vol_cmd(info);

	if (!r && GENL_REQ_ATTR_CHECK(info, THINBLK_A_VOL_ORIGIN))
		r = -EINVAL;
	if (!r)
		r = tb_vol_snapshot(tb_str(info, THINBLK_A_POOL_NAME),
				    tb_str(info, THINBLK_A_VOL_ORIGIN),
				    tb_str(info, THINBLK_A_VOL_NAME),
				    tb_u64(info, THINBLK_A_VOL_SIZE),
				    tb_u64(info, THINBLK_A_VOL_LIMIT),
				    nla_get_flag(info->attrs[THINBLK_A_INACTIVE]),
				    info->extack);
	return r ? r : tb_reply_vol(info, THINBLK_CMD_VOL_GET, false);
}

static int tb_nl_vol_activate(struct sk_buff *skb, struct genl_info *info)
{
	int r = tb_vol_cmd(info);

	if (!r)
		r = tb_vol_activate(tb_str(info, THINBLK_A_POOL_NAME),
				    tb_str(info, THINBLK_A_VOL_NAME), info->extack);
	return r ? r : tb_reply_vol(info, THINBLK_CMD_VOL_GET, false);
}

static int tb_nl_vol_deactivate(struct sk_buff *skb, struct genl_info *info)
{
	int r = tb_vol_cmd(info);

	if (!r)
		r = tb_vol_deactivate(tb_str(info, THINBLK_A_POOL_NAME),
				      tb_str(info, THINBLK_A_VOL_NAME),
				      info->extack);
	return r ? r : tb_reply_vol(info, THINBLK_CMD_VOL_GET, false);
}

static int tb_nl_vol_resize(struct sk_buff *skb, struct genl_info *info)
{
	int r = tb_vol_cmd(info);

	if (!r && GENL_REQ_ATTR_CHECK(info, THINBLK_A_VOL_SIZE))
		r = -EINVAL;
	if (!r)
		r = tb_vol_resize(tb_str(info, THINBLK_A_POOL_NAME),
				  tb_str(info, THINBLK_A_VOL_NAME),
				  tb_u64(info, THINBLK_A_VOL_SIZE),
				  info->extack);
	return r ? r : tb_reply_vol(info, THINBLK_CMD_VOL_GET, false);
}

static int tb_nl_vol_delete(struct sk_buff *skb, struct genl_info *info)
{
	int r = tb_vol_cmd(info);

	return r ? r : tb_vol_delete(tb_str(info, THINBLK_A_POOL_NAME),
				     tb_str(info, THINBLK_A_VOL_NAME),
				     nla_get_flag(info->attrs[THINBLK_A_DEFERRED]),
				     info->extack);
}

static int tb_nl_vol_set(struct sk_buff *skb, struct genl_info *info)
{
	int r = tb_vol_cmd(info);

	if (!r && GENL_REQ_ATTR_CHECK(info, THINBLK_A_VOL_LIMIT))
		r = -EINVAL;
	if (!r)
		r = tb_vol_set_limit(tb_str(info, THINBLK_A_POOL_NAME),
				     tb_str(info, THINBLK_A_VOL_NAME),
				     tb_u64(info, THINBLK_A_VOL_LIMIT),
				     info->extack);
	return r ? r : tb_reply_vol(info, THINBLK_CMD_VOL_GET, false);
}

static int tb_vol_get_cmd(struct genl_info *info, u8 cmd)
{
	if (GENL_REQ_ATTR_CHECK(info, THINBLK_A_POOL_NAME) ||
	    GENL_REQ_ATTR_CHECK(info, THINBLK_A_VOL_NAME))
		return -EINVAL;
	return tb_reply_vol(info, cmd, cmd == THINBLK_CMD_VOL_STATS);
}

static int tb_nl_vol_get(struct sk_buff *skb, struct genl_info *info)
{
	return tb_vol_get_cmd(info, THINBLK_CMD_VOL_GET);
}

static int tb_nl_vol_stats(struct sk_buff *skb, struct genl_info *info)
{
	return tb_vol_get_cmd(info, THINBLK_CMD_VOL_STATS);
}

static int tb_vol_dump(struct sk_buff *skb, struct netlink_callback *cb,
		       u8 cmd)
{
	const struct genl_dumpit_info *di = genl_dumpit_info(cb);
	struct nlattr *filter = di->attrs[THINBLK_A_POOL_NAME];
	struct tb_vol_info *v = kmalloc(sizeof(*v), GFP_KERNEL);
	unsigned long pi, vi;
	void *hdr;

	if (!v)
		return -ENOMEM;
	if (filter && !cb->args[2]) {
		if (!tb_pool_exists(nla_data(filter))) {
			kfree(v);
			NL_SET_ERR_MSG_ATTR(cb->extack, filter, "no such pool");
			return -ENOENT;
		}
		cb->args[2] = 1;	/* checked */
	}
	cb->seq = tb_generation();
	for (;;) {
		pi = cb->args[0];
		vi = cb->args[1];
		if (tb_vol_get_next(filter ? nla_data(filter) : NULL, &pi, &vi, v))
			break;
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &tb_family, NLM_F_MULTI,
				  cmd);
		if (!hdr)
			break;
		genl_dump_check_consistent(cb, hdr);
		if (tb_put_vol(skb, v, cmd == THINBLK_CMD_VOL_STATS)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		cb->args[0] = pi;
		cb->args[1] = vi;
	}
	kfree(v);
	return skb->len;
}

static int tb_nl_vol_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	return tb_vol_dump(skb, cb, THINBLK_CMD_VOL_GET);
}

static int tb_nl_stats_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	return tb_vol_dump(skb, cb, THINBLK_CMD_VOL_STATS);
}

/* Events */

static int tb_put_event(struct sk_buff *msg, const struct tb_event *ev)
{
	if (nla_put_u32(msg, THINBLK_A_EVENT_TYPE, ev->type) ||
	    nla_put_u64_64bit(msg, THINBLK_A_EVENT_TIME, ktime_get_real_ns(),
			      THINBLK_A_PAD) ||
	    nla_put_string(msg, THINBLK_A_POOL_NAME, ev->pool) ||
	    (ev->vol && nla_put_string(msg, THINBLK_A_VOL_NAME, ev->vol)) ||
	    (ev->origin && nla_put_string(msg, THINBLK_A_VOL_ORIGIN, ev->origin)) ||
	    (ev->size &&
	     nla_put_u64_64bit(msg, THINBLK_A_VOL_SIZE, ev->size, THINBLK_A_PAD)) ||
	    (ev->mode >= 0 && nla_put_u8(msg, THINBLK_A_POOL_MODE, ev->mode)) ||
	    (ev->data_size &&
	     (nla_put_u64_64bit(msg, THINBLK_A_DATA_USED, ev->data_used,
				THINBLK_A_PAD) ||
	      nla_put_u64_64bit(msg, THINBLK_A_DATA_SIZE, ev->data_size,
				THINBLK_A_PAD))) ||
	    (ev->err && nla_put_u32(msg, THINBLK_A_ERRNO, ev->err)))
		return -EMSGSIZE;
	return 0;
}

void tb_nl_event(const struct tb_event *ev)
{
	struct sk_buff *msg;
	void *hdr;

	if (!genl_has_listeners(&tb_family, &init_net, 0))
		return;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_NOIO);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &tb_family, 0, THINBLK_CMD_EVENT);
	if (!hdr || tb_put_event(msg, ev)) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast(&tb_family, msg, 0, 0, GFP_NOIO);
}

typedef int (*tb_doit_t)(struct sk_buff *skb, struct genl_info *info);

static const tb_doit_t tb_doits[THINBLK_CMD_MAX + 1] = {
	[THINBLK_CMD_GET_VERSION]	= tb_nl_get_version,
	[THINBLK_CMD_POOL_CREATE]	= tb_nl_pool_create,
	[THINBLK_CMD_POOL_OPEN]		= tb_nl_pool_open,
	[THINBLK_CMD_POOL_CLOSE]	= tb_nl_pool_close,
	[THINBLK_CMD_POOL_DESTROY]	= tb_nl_pool_destroy,
	[THINBLK_CMD_POOL_GROW]		= tb_nl_pool_grow,
	[THINBLK_CMD_POOL_SET]		= tb_nl_pool_set,
	[THINBLK_CMD_POOL_GET]		= tb_nl_pool_get,
	[THINBLK_CMD_VOL_CREATE]	= tb_nl_vol_create,
	[THINBLK_CMD_VOL_SNAPSHOT]	= tb_nl_vol_snapshot,
	[THINBLK_CMD_VOL_RESIZE]	= tb_nl_vol_resize,
	[THINBLK_CMD_VOL_DELETE]	= tb_nl_vol_delete,
	[THINBLK_CMD_VOL_SET]		= tb_nl_vol_set,
	[THINBLK_CMD_VOL_GET]		= tb_nl_vol_get,
	[THINBLK_CMD_VOL_STATS]		= tb_nl_vol_stats,
	[THINBLK_CMD_VOL_ACTIVATE]	= tb_nl_vol_activate,
	[THINBLK_CMD_VOL_DEACTIVATE]	= tb_nl_vol_deactivate,
};

/*
 * Every request: the handler, then, when it failed with a message formatted
 * into tb_errbuf, the error ack while genl_mutex still protects the buffer;
 * -EINTR tells netlink_rcv_skb() the ack is sent (as for a dump started).
 */
static int tb_nl_doit(struct sk_buff *skb, struct genl_info *info)
{
	int r = tb_doits[info->genlhdr->cmd](skb, info);

	if (r == -EINTR)	/* means "acked" to netlink_rcv_skb */
		r = -EAGAIN;
	if (!r || info->extack->_msg != tb_errbuf)
		return r;
	netlink_ack(skb, info->nlhdr, r, info->extack);
	return -EINTR;
}

#define TB_OP(c) { .cmd = (c), .doit = tb_nl_doit }
#define TB_ADMIN_OP(c) { .cmd = (c), .doit = tb_nl_doit, .flags = GENL_ADMIN_PERM }

static const struct genl_small_ops tb_ops[] = {
	TB_OP(THINBLK_CMD_GET_VERSION),
	TB_ADMIN_OP(THINBLK_CMD_POOL_CREATE),
	TB_ADMIN_OP(THINBLK_CMD_POOL_OPEN),
	TB_ADMIN_OP(THINBLK_CMD_POOL_CLOSE),
	TB_ADMIN_OP(THINBLK_CMD_POOL_DESTROY),
	TB_ADMIN_OP(THINBLK_CMD_POOL_GROW),
	TB_ADMIN_OP(THINBLK_CMD_POOL_SET),
	{ .cmd = THINBLK_CMD_POOL_GET, .doit = tb_nl_doit,
	  .dumpit = tb_nl_pool_dump },
	TB_ADMIN_OP(THINBLK_CMD_VOL_CREATE),
	TB_ADMIN_OP(THINBLK_CMD_VOL_SNAPSHOT),
	TB_ADMIN_OP(THINBLK_CMD_VOL_RESIZE),
	TB_ADMIN_OP(THINBLK_CMD_VOL_DELETE),
	TB_ADMIN_OP(THINBLK_CMD_VOL_SET),
	{ .cmd = THINBLK_CMD_VOL_GET, .doit = tb_nl_doit,
	  .dumpit = tb_nl_vol_dump },
	{ .cmd = THINBLK_CMD_VOL_STATS, .doit = tb_nl_doit,
	  .dumpit = tb_nl_stats_dump },
	TB_ADMIN_OP(THINBLK_CMD_VOL_ACTIVATE),
	TB_ADMIN_OP(THINBLK_CMD_VOL_DEACTIVATE),
};

static const struct genl_multicast_group tb_mcgrps[] = {
	{ .name = THINBLK_MCGRP_EVENTS },
};

static struct genl_family tb_family __ro_after_init = {
	.name = THINBLK_GENL_NAME,
	.version = THINBLK_GENL_VERSION,
	.maxattr = THINBLK_A_MAX,
	.policy = tb_policy,
	.netnsok = false,
	.module = THIS_MODULE,
	.small_ops = tb_ops,
	.n_small_ops = ARRAY_SIZE(tb_ops),
	.resv_start_op = THINBLK_CMD_MAX + 1,
	.mcgrps = tb_mcgrps,
	.n_mcgrps = ARRAY_SIZE(tb_mcgrps),
};

int __init tb_netlink_init(void)
{
	return genl_register_family(&tb_family);
}

void tb_netlink_exit(void)
{
	genl_unregister_family(&tb_family);
}
