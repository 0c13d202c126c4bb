/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libthinblk internals: the handle, the request/dump transport (handle.c) and
 * the table-driven attribute <-> struct mapping (attrs.c).
 */
#ifndef LIBTHINBLK_INTERNAL_H
#define LIBTHINBLK_INTERNAL_H

#include <netlink/netlink.h>
#include <netlink/attr.h>

#include "libthinblk.h"

/* Called with the attributes of each reply message; returns 0 or -errno. */
typedef int (*tb_reply_fn)(struct nlattr **attrs, void *arg);

/* The request being answered; lives on tb_request()'s stack. */
struct tb_request {
	struct nl_msg *msg;		/* what we sent, to resolve error offsets */
	tb_reply_fn reply;
	void *arg;
	int error;			/* first failure: kernel's or reply()'s */
	bool done;			/* ACK, error or NLMSG_DONE seen */
};

struct tb_event_queue {
	struct tb_event *events;
	size_t head;			/* next to hand out */
	size_t len;			/* received */
	size_t cap;
};

struct tb_handle {
	struct nl_sock *sock;
	int family;
	struct tb_request *req;		/* NULL outside tb_request() */
	char errmsg[TB_ERRMSG_MAX];	/* extended ack of the last failure */
	int err_attr;			/* THINBLK_A_* it pointed at, or -1 */
	bool events;			/* subscribed: multicast only */
	struct tb_event_queue queue;
};

/* A new request for cmd; flags e.g. NLM_F_DUMP.  NULL on -ENOMEM. */
/* A request for @cmd with room for a page of attributes */
struct nl_msg *tb_msg_new(struct tb_handle *h, uint8_t cmd, int flags);
/* ... or for @payload bytes of them, if more (nla_total_size() each) */
struct nl_msg *tb_msg_new_size(struct tb_handle *h, uint8_t cmd, int flags,
			       size_t payload);

/*
 * tb_request - send msg (consumed) and process replies until the ACK,
 * calling reply() on each (reply may be NULL).  Returns 0 or -errno.
 */
int tb_request(struct tb_handle *h, struct nl_msg *msg, tb_reply_fn reply,
	       void *arg);

/* Growable array filled by a dump, one parse() call per reply. */
struct tb_array {
	void *items;
	size_t len;
	size_t cap;
	size_t item_size;
	int (*parse)(struct nlattr **attrs, void *item);
};

/*
 * tb_dump - dump cmd, filtered by pool when not NULL, into arr; restarts a
 * dump that raced with a change (NLM_F_DUMP_INTR) up to TB_DUMP_RETRIES times.
 */
int tb_dump(struct tb_handle *h, uint8_t cmd, const char *pool,
	    struct tb_array *arr);

/* Hands arr->items to the caller as *items / *n, or frees them on error. */
int tb_array_finish(struct tb_array *arr, int ret, void *items, size_t *n);

/* Parses one message's attributes against the family's reply policy. */
int tb_parse_msg(struct nl_msg *msg, struct nlattr **attrs);

/* ---- attrs.c ---------------------------------------------------------- */

/* TB_FLAG: an NLA_FLAG, stored as 1 (present) in a uint8_t member */
enum tb_field_kind { TB_U8, TB_U32, TB_U64, TB_STR, TB_FLAG };

/* One attribute mapped to one member of a struct. */
struct tb_field {
	int attr;
	enum tb_field_kind kind;
	size_t offset;
	size_t size;
	unsigned int has_bit;		/* set in *has when present, or 0 */
	bool required;			/* reply is malformed without it */
};

#define TB_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define TB_FIELD(type, member, attr, kind) \
	{ attr, kind, offsetof(type, member), sizeof(((type *)0)->member), 0, false }
#define TB_FIELD_REQ(type, member, attr, kind) \
	{ attr, kind, offsetof(type, member), sizeof(((type *)0)->member), 0, true }
#define TB_FIELD_HAS(type, member, attr, kind, bit) \
	{ attr, kind, offsetof(type, member), sizeof(((type *)0)->member), bit, false }

/*
 * tb_fields_get - copy the attributes named by fields[] into obj, or'ing
 * has_bit into *has (may be NULL).  -EPROTO when a required one is missing.
 */
int tb_fields_get(struct nlattr **attrs, const struct tb_field *fields,
		  size_t n, void *obj, unsigned int *has);

/*
 * tb_fields_put - put the members of obj whose has_bit is in set.  A TB_STR
 * member is a const char * here (request structs point at strings).
 */
int tb_fields_put(struct nl_msg *msg, const struct tb_field *fields,
		  size_t n, const void *obj, unsigned int set);

/* nla_put wrappers returning -EMSGSIZE on failure, for "ret = ret ?: put()". */
int tb_put_str(struct nl_msg *msg, int attr, const char *s);
int tb_put_u8(struct nl_msg *msg, int attr, uint8_t v);
int tb_put_u32(struct nl_msg *msg, int attr, uint32_t v);
int tb_put_u64(struct nl_msg *msg, int attr, uint64_t v);

/* POOL_NAME and, when vol is not NULL, VOL_NAME. */
int tb_put_names(struct nl_msg *msg, const char *pool, const char *vol);

/* Maps a libnl error code (negative NLE_*) to a negative errno. */
int tb_nlerr_to_errno(int nlerr);

#endif /* LIBTHINBLK_INTERNAL_H */
