// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Attributes to struct members and back.  Replies are described by tables of
 * struct tb_field (pool.c, vol.c, event.c) instead of one nla_get per member.
 */
#include <errno.h>
#include <string.h>
#include <netlink/attr.h>

#include "internal.h"

static uint64_t field_value(const struct nlattr *nla, enum tb_field_kind kind)
{
	switch (kind) {
	case TB_U8:
		return nla_get_u8(nla);
	case TB_U32:
		return nla_get_u32(nla);
	case TB_U64:
		return nla_get_u64(nla);
	case TB_FLAG:
		return 1;
	case TB_STR:
		break;
	}
	return 0;
}

/* Stores v in a member of 1, 4 or 8 bytes (u8, u32/enum, u64). */
static void store_uint(void *member, size_t size, uint64_t v)
{
	uint8_t u8 = (uint8_t)v;
	uint32_t u32 = (uint32_t)v;

	if (size == sizeof(u8))
		memcpy(member, &u8, size);
	else if (size == sizeof(u32))
		memcpy(member, &u32, size);
	else if (size == sizeof(v))
		memcpy(member, &v, size);
}

int tb_fields_get(struct nlattr **attrs, const struct tb_field *fields,
		  size_t n, void *obj, unsigned int *has)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct tb_field *f = &fields[i];
		const struct nlattr *nla = attrs[f->attr];
		char *member = (char *)obj + f->offset;

		if (!nla) {
			if (f->required)
				return -EPROTO;
			continue;
		}
		if (f->kind == TB_STR)
			nla_strlcpy(member, nla, f->size);
		else
			store_uint(member, f->size, field_value(nla, f->kind));
		if (has)
			*has |= f->has_bit;
	}
	return 0;
}

static uint64_t load_uint(const void *member, size_t size)
{
	uint8_t u8 = 0;
	uint32_t u32 = 0;
	uint64_t v = 0;

	if (size == sizeof(u8)) {
		memcpy(&u8, member, size);
		v = u8;
	} else if (size == sizeof(u32)) {
		memcpy(&u32, member, size);
		v = u32;
	} else if (size == sizeof(v)) {
		memcpy(&v, member, size);
	}
	return v;
}

static int put_field(struct nl_msg *msg, const struct tb_field *f,
		     const char *member)
{
	uint64_t v;

	if (f->kind == TB_STR) {
		const char *s;

		memcpy(&s, member, sizeof(s));
		return tb_put_str(msg, f->attr, s);
	}
	v = load_uint(member, f->size);
	switch (f->kind) {
	case TB_U8:
		return tb_put_u8(msg, f->attr, (uint8_t)v);
	case TB_U32:
		return tb_put_u32(msg, f->attr, (uint32_t)v);
	case TB_U64:
		return tb_put_u64(msg, f->attr, v);
	case TB_FLAG:
		return v && nla_put_flag(msg, f->attr) ? -EMSGSIZE : 0;
	case TB_STR:
		break;
	}
	return -EINVAL;
}

int tb_fields_put(struct nl_msg *msg, const struct tb_field *fields,
		  size_t n, const void *obj, unsigned int set)
{
	size_t i;
	int ret;

	for (i = 0; i < n; i++) {
		if (!(set & fields[i].has_bit))
			continue;
		ret = put_field(msg, &fields[i], (const char *)obj + fields[i].offset);
		if (ret)
			return ret;
	}
	return 0;
}

int tb_put_str(struct nl_msg *msg, int attr, const char *s)
{
	return nla_put_string(msg, attr, s) ? -EMSGSIZE : 0;
}

int tb_put_u8(struct nl_msg *msg, int attr, uint8_t v)
{
	return nla_put_u8(msg, attr, v) ? -EMSGSIZE : 0;
}

int tb_put_u32(struct nl_msg *msg, int attr, uint32_t v)
{
	return nla_put_u32(msg, attr, v) ? -EMSGSIZE : 0;
}

int tb_put_u64(struct nl_msg *msg, int attr, uint64_t v)
{
	return nla_put_u64(msg, attr, v) ? -EMSGSIZE : 0;
}

int tb_put_names(struct nl_msg *msg, const char *pool, const char *vol)
{
	int ret = tb_put_str(msg, THINBLK_A_POOL_NAME, pool);

	if (!ret && vol)
		ret = tb_put_str(msg, THINBLK_A_VOL_NAME, vol);
	return ret;
}
