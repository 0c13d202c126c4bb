// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Pool commands: THINBLK_CMD_POOL_* and GET_VERSION.
 */
#include <errno.h>
#include <string.h>
#include <netlink/msg.h>

#include "internal.h"

#define POOL_FIELD(m, a, k)	TB_FIELD(struct tb_pool_info, m, a, k)

static const struct tb_field pool_fields[] = {
	TB_FIELD_REQ(struct tb_pool_info, name, THINBLK_A_POOL_NAME, TB_STR),
	POOL_FIELD(data_dev,		THINBLK_A_DATA_DEV,		TB_STR),
	POOL_FIELD(meta_dev,		THINBLK_A_META_DEV,		TB_STR),
	POOL_FIELD(block_size,		THINBLK_A_BLOCK_SIZE,		TB_U32),
	POOL_FIELD(data_size,		THINBLK_A_DATA_SIZE,		TB_U64),
	POOL_FIELD(data_used,		THINBLK_A_DATA_USED,		TB_U64),
	POOL_FIELD(meta_size,		THINBLK_A_META_SIZE,		TB_U64),
	POOL_FIELD(meta_used,		THINBLK_A_META_USED,		TB_U64),
	POOL_FIELD(basesize,		THINBLK_A_BASESIZE,		TB_U64),
	POOL_FIELD(low_water,		THINBLK_A_LOW_WATER,		TB_U64),
	POOL_FIELD(no_space,		THINBLK_A_NO_SPACE,		TB_U8),
	POOL_FIELD(no_space_timeout,	THINBLK_A_NO_SPACE_TIMEOUT,	TB_U32),
	POOL_FIELD(flags,		THINBLK_A_POOL_FLAGS,		TB_U32),
	POOL_FIELD(mode,		THINBLK_A_POOL_MODE,		TB_U8),
	POOL_FIELD(volumes,		THINBLK_A_POOL_VOLUMES,		TB_U32),
	POOL_FIELD(transaction,		THINBLK_A_POOL_TRANSACTION,	TB_U64),
	POOL_FIELD(error,		THINBLK_A_ERRNO,		TB_U32),
	POOL_FIELD(meta_full,		THINBLK_A_META_FULL,		TB_U8),
	POOL_FIELD(min_free,		THINBLK_A_MIN_FREE,		TB_U64),
};

#define PARAM_FIELD(m, a, k, bit) \
	TB_FIELD_HAS(struct tb_pool_params, m, a, k, bit)

/* The optional request attributes, each sent when its bit is in p->set. */
static const struct tb_field param_fields[] = {
	PARAM_FIELD(block_size,	THINBLK_A_BLOCK_SIZE,	TB_U32,	TB_POOL_BLOCK_SIZE),
	PARAM_FIELD(basesize,	THINBLK_A_BASESIZE,	TB_U64,	TB_POOL_BASESIZE),
	PARAM_FIELD(low_water,	THINBLK_A_LOW_WATER,	TB_U64,	TB_POOL_LOW_WATER),
	PARAM_FIELD(low_water_pct, THINBLK_A_LOW_WATER_PCT, TB_U8, TB_POOL_LOW_WATER_PCT),
	PARAM_FIELD(no_space,	THINBLK_A_NO_SPACE,	TB_U8,	TB_POOL_NO_SPACE),
	PARAM_FIELD(no_space_timeout, THINBLK_A_NO_SPACE_TIMEOUT, TB_U32,
		    TB_POOL_NO_SPACE_TIMEOUT),
	PARAM_FIELD(flags,	THINBLK_A_POOL_FLAGS,	TB_U32,	TB_POOL_FLAGS),
	PARAM_FIELD(min_free,	THINBLK_A_MIN_FREE,	TB_U64,	TB_POOL_MIN_FREE),
	PARAM_FIELD(min_free_pct, THINBLK_A_MIN_FREE_PCT, TB_U8, TB_POOL_MIN_FREE_PCT),
};

static int parse_pool(struct nlattr **attrs, void *pool)
{
	return tb_fields_get(attrs, pool_fields, TB_ARRAY_SIZE(pool_fields),
			     pool, NULL);
}

/* Sends msg; on success copies the pool in the reply to out (may be NULL). */
static int pool_request(struct tb_handle *h, struct nl_msg *msg,
			struct tb_pool_info *out)
{
	struct tb_pool_info pool;
	int ret;

	memset(&pool, 0, sizeof(pool));
	ret = tb_request(h, msg, parse_pool, &pool);
	if (!ret && out)
		*out = pool;
	return ret;
}

/* A command whose only attribute is POOL_NAME. */
static int pool_simple(struct tb_handle *h, uint8_t cmd, const char *name,
		       struct tb_pool_info *out)
{
	struct nl_msg *msg = tb_msg_new(h, cmd, 0);

	if (!msg)
		return -ENOMEM;
	if (tb_put_names(msg, name, NULL)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return pool_request(h, msg, out);
}

/*
 * POOL_NAME, and DATA_DEV + META_DEV when data_dev is given, with room for
 * @extra more bytes of attributes.
 */
static struct nl_msg *pool_msg_size(struct tb_handle *h, uint8_t cmd,
				    const char *name, const char *data_dev,
				    const char *meta_dev, size_t extra)
{
	size_t payload = nla_total_size(THINBLK_NAME_MAX) + extra;
	struct nl_msg *msg;
	int ret;

	if (data_dev)
		payload += nla_total_size(strlen(data_dev) + 1) +
			   nla_total_size(strlen(meta_dev) + 1);
	msg = tb_msg_new_size(h, cmd, 0, payload);

	if (!msg)
		return NULL;
	ret = tb_put_names(msg, name, NULL);
	if (!ret && data_dev) {
		ret = tb_put_str(msg, THINBLK_A_DATA_DEV, data_dev);
		ret = ret ?: tb_put_str(msg, THINBLK_A_META_DEV, meta_dev);
	}
	if (ret) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static struct nl_msg *pool_msg(struct tb_handle *h, uint8_t cmd,
			       const char *name, const char *data_dev,
			       const char *meta_dev)
{
	return pool_msg_size(h, cmd, name, data_dev, meta_dev, 0);
}

static int pool_params_request(struct tb_handle *h, uint8_t cmd,
			       const struct tb_pool_params *p,
			       struct tb_pool_info *out)
{
	struct nl_msg *msg;

	msg = pool_msg(h, cmd, p->name, p->data_dev, p->meta_dev);
	if (!msg)
		return -ENOMEM;
	if (tb_fields_put(msg, param_fields, TB_ARRAY_SIZE(param_fields), p,
			  p->set) ||
	    (p->force && nla_put_flag(msg, THINBLK_A_FORCE))) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return pool_request(h, msg, out);
}

int tb_pool_create(struct tb_handle *h, const struct tb_pool_params *p,
		   struct tb_pool_info *out)
{
	if (!p->data_dev || !p->meta_dev)
		return -EINVAL;
	return pool_params_request(h, THINBLK_CMD_POOL_CREATE, p, out);
}

int tb_pool_set(struct tb_handle *h, const struct tb_pool_params *p,
		struct tb_pool_info *out)
{
	struct tb_pool_params set = *p;

	/* devices, block size and flags are fixed at creation */
	set.data_dev = NULL;
	set.meta_dev = NULL;
	set.set &= ~(unsigned int)(TB_POOL_BLOCK_SIZE | TB_POOL_FLAGS);
	return pool_params_request(h, THINBLK_CMD_POOL_SET, &set, out);
}

int tb_pool_open(struct tb_handle *h, const char *name, const char *data_dev,
		 const char *meta_dev, struct tb_pool_info *out)
{
	struct nl_msg *msg;

	if (!data_dev || !meta_dev)
		return -EINVAL;
	msg = pool_msg(h, THINBLK_CMD_POOL_OPEN, name, data_dev, meta_dev);
	if (!msg)
		return -ENOMEM;
	return pool_request(h, msg, out);
}

/* What put_activate() adds, in bytes */
static size_t activate_size(const char *const *names, size_t n)
{
	size_t i, size = nla_total_size(sizeof(uint8_t)) + nla_total_size(0);

	for (i = 0; i < n; i++)
		size += nla_total_size(strlen(names[i]) + 1);
	return size;
}

/* ACTIVATE and, for LIST, the names as ACTIVATE_LIST's VOL_NAMEs */
static int put_activate(struct nl_msg *msg, int activate,
			const char *const *names, size_t n)
{
	struct nlattr *nest;
	size_t i;

	if (nla_put_u8(msg, THINBLK_A_ACTIVATE, activate))
		return -EMSGSIZE;
	if (activate != THINBLK_ACTIVATE_LIST)
		return 0;
	nest = nla_nest_start(msg, THINBLK_A_ACTIVATE_LIST);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < n; i++)
		if (nla_put_string(msg, THINBLK_A_VOL_NAME, names[i]))
			return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

int tb_pool_open_activate(struct tb_handle *h, const char *name,
			  const char *data_dev, const char *meta_dev,
			  int activate, const char *const *names, size_t n,
			  struct tb_pool_info *out)
{
	struct nl_msg *msg;
	int ret;

	if (!data_dev || !meta_dev || activate < 0 ||
	    activate >= __THINBLK_ACTIVATE_MAX ||
	    (activate != THINBLK_ACTIVATE_LIST && n))
		return -EINVAL;
	msg = pool_msg_size(h, THINBLK_CMD_POOL_OPEN, name, data_dev, meta_dev,
			    activate_size(names, n));
	if (!msg)
		return -ENOMEM;
	ret = put_activate(msg, activate, names, n);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return pool_request(h, msg, out);
}

int tb_pool_close(struct tb_handle *h, const char *name)
{
	return pool_simple(h, THINBLK_CMD_POOL_CLOSE, name, NULL);
}

int tb_pool_destroy(struct tb_handle *h, const char *name)
{
	return pool_simple(h, THINBLK_CMD_POOL_DESTROY, name, NULL);
}

int tb_pool_destroy_force(struct tb_handle *h, const char *name)
{
	struct nl_msg *msg = pool_msg(h, THINBLK_CMD_POOL_DESTROY, name, NULL,
				      NULL);

	if (!msg)
		return -ENOMEM;
	if (nla_put_flag(msg, THINBLK_A_FORCE)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return pool_request(h, msg, NULL);
}

int tb_pool_grow(struct tb_handle *h, const char *name,
		 struct tb_pool_info *out)
{
	return pool_simple(h, THINBLK_CMD_POOL_GROW, name, out);
}

int tb_pool_get(struct tb_handle *h, const char *name,
		struct tb_pool_info *out)
{
	return pool_simple(h, THINBLK_CMD_POOL_GET, name, out);
}

int tb_pool_list(struct tb_handle *h, struct tb_pool_info **pools, size_t *n)
{
	struct tb_array arr = {
		.item_size = sizeof(**pools),
		.parse = parse_pool,
	};

	return tb_array_finish(&arr, tb_dump(h, THINBLK_CMD_POOL_GET, NULL, &arr),
			       pools, n);
}

static const struct tb_field version_fields[] = {
	TB_FIELD_REQ(struct tb_version, module, THINBLK_A_MODULE_VERSION, TB_STR),
	TB_FIELD_REQ(struct tb_version, uapi, THINBLK_A_UAPI_VERSION, TB_U32),
};

static int parse_version(struct nlattr **attrs, void *v)
{
	return tb_fields_get(attrs, version_fields,
			     TB_ARRAY_SIZE(version_fields), v, NULL);
}

int tb_version(struct tb_handle *h, struct tb_version *v)
{
	struct nl_msg *msg = tb_msg_new(h, THINBLK_CMD_GET_VERSION, 0);
	struct tb_version version;
	int ret;

	if (!msg)
		return -ENOMEM;
	memset(&version, 0, sizeof(version));
	ret = tb_request(h, msg, parse_version, &version);
	if (!ret)
		*v = version;
	return ret;
}
