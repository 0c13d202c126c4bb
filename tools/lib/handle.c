// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The transport: one generic netlink socket per handle, requests answered by
 * an ACK, dumps restarted when they raced with a change, and the kernel's
 * extended ack kept for the caller.
 *
 * libnl's callbacks are installed once on the socket with the handle as
 * argument; the request in flight is h->req.  An error ACK is read here rather
 * than through libnl's return code because libnl folds errnos into its own
 * NLE_* space (EEXIST and EBUSY would both be lost).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>
#include <netlink/msg.h>
#include <netlink/socket.h>

#include "internal.h"

static const struct nla_policy reply_policy[THINBLK_A_MAX + 1] = {
	[THINBLK_A_MODULE_VERSION]	= { .type = NLA_STRING, .maxlen = TB_VERSION_MAX },
	[THINBLK_A_UAPI_VERSION]	= { .type = NLA_U32 },
	[THINBLK_A_POOL_NAME]		= { .type = NLA_STRING, .maxlen = THINBLK_NAME_MAX },
	[THINBLK_A_DATA_DEV]		= { .type = NLA_STRING, .maxlen = THINBLK_PATH_MAX },
	[THINBLK_A_META_DEV]		= { .type = NLA_STRING, .maxlen = THINBLK_PATH_MAX },
	[THINBLK_A_BLOCK_SIZE]		= { .type = NLA_U32 },
	[THINBLK_A_BASESIZE]		= { .type = NLA_U64 },
	[THINBLK_A_LOW_WATER]		= { .type = NLA_U64 },
	[THINBLK_A_LOW_WATER_PCT]	= { .type = NLA_U8 },
	[THINBLK_A_MIN_FREE]		= { .type = NLA_U64 },
	[THINBLK_A_NO_SPACE]		= { .type = NLA_U8 },
	[THINBLK_A_NO_SPACE_TIMEOUT]	= { .type = NLA_U32 },
	[THINBLK_A_POOL_FLAGS]		= { .type = NLA_U32 },
	[THINBLK_A_POOL_MODE]		= { .type = NLA_U8 },
	[THINBLK_A_POOL_VOLUMES]	= { .type = NLA_U32 },
	[THINBLK_A_POOL_TRANSACTION]	= { .type = NLA_U64 },
	[THINBLK_A_DATA_SIZE]		= { .type = NLA_U64 },
	[THINBLK_A_DATA_USED]		= { .type = NLA_U64 },
	[THINBLK_A_META_SIZE]		= { .type = NLA_U64 },
	[THINBLK_A_META_USED]		= { .type = NLA_U64 },
	[THINBLK_A_VOL_NAME]		= { .type = NLA_STRING, .maxlen = THINBLK_NAME_MAX },
	[THINBLK_A_VOL_ID]		= { .type = NLA_U32 },
	[THINBLK_A_VOL_DEVICE]		= { .type = NLA_STRING, .maxlen = THINBLK_PATH_MAX },
	[THINBLK_A_VOL_SIZE]		= { .type = NLA_U64 },
	[THINBLK_A_VOL_ORIGIN]		= { .type = NLA_STRING, .maxlen = THINBLK_NAME_MAX },
	[THINBLK_A_VOL_LIMIT]		= { .type = NLA_U64 },
	[THINBLK_A_VOL_OPEN]		= { .type = NLA_U32 },
	[THINBLK_A_VOL_REFERENCED]	= { .type = NLA_U64 },
	[THINBLK_A_VOL_EXCLUSIVE]	= { .type = NLA_U64 },
	[THINBLK_A_STATS]		= { .type = NLA_NESTED },
	[THINBLK_A_EVENT_TYPE]		= { .type = NLA_U32 },
	[THINBLK_A_EVENT_TIME]		= { .type = NLA_U64 },
	[THINBLK_A_ERRNO]		= { .type = NLA_U32 },
	[THINBLK_A_DEFERRED]		= { .type = NLA_FLAG },
	[THINBLK_A_VOL_ACTIVE]		= { .type = NLA_U8 },
};

static const struct {
	int nlerr;
	int err;
} nlerr_map[] = {
	{ NLE_INTR, EINTR },		{ NLE_AGAIN, EAGAIN },
	{ NLE_NOMEM, ENOMEM },		{ NLE_EXIST, EEXIST },
	{ NLE_INVAL, EINVAL },		{ NLE_RANGE, ERANGE },
	{ NLE_MSGSIZE, EMSGSIZE },	{ NLE_OPNOTSUPP, EOPNOTSUPP },
	{ NLE_OBJ_NOTFOUND, ENOENT },	{ NLE_BUSY, EBUSY },
	{ NLE_NOACCESS, EACCES },	{ NLE_PERM, EPERM },
	{ NLE_NODEV, ENODEV },		{ NLE_DUMP_INTR, EAGAIN },
	{ NLE_SEQ_MISMATCH, EPROTO },	{ NLE_MSG_TRUNC, EPROTO },
	{ NLE_MSG_TOOSHORT, EPROTO },	{ NLE_MSG_OVERFLOW, EPROTO },
	{ NLE_AF_NOSUPPORT, EAFNOSUPPORT },
};

int tb_nlerr_to_errno(int nlerr)
{
	size_t i;

	for (i = 0; i < sizeof(nlerr_map) / sizeof(nlerr_map[0]); i++)
		if (nlerr_map[i].nlerr == -nlerr)
			return -nlerr_map[i].err;
	return -EIO;
}

int tb_parse_msg(struct nl_msg *msg, struct nlattr **attrs)
{
	/* libnl's policy type is not const-correct */
	int ret = genlmsg_parse(nlmsg_hdr(msg), 0, attrs, THINBLK_A_MAX,
				(struct nla_policy *)reply_policy);

	return ret < 0 ? -EPROTO : 0;
}

/* The THINBLK_A_* type of the top-level attribute at offset in req. */
static int attr_at_offset(struct nl_msg *req, uint32_t offset)
{
	struct nlmsghdr *nlh = nlmsg_hdr(req);
	struct genlmsghdr *gnlh = nlmsg_data(nlh);
	struct nlattr *nla;
	int rem;

	nla_for_each_attr(nla, genlmsg_attrdata(gnlh, 0),
			  genlmsg_attrlen(gnlh, 0), rem) {
		uint32_t start = (uint32_t)((char *)nla - (char *)nlh);

		if (offset >= start && offset < start + nla_total_size(nla_len(nla)))
			return nla_type(nla);
	}
	return -1;
}

/* Keeps NLMSGERR_ATTR_MSG and the attribute NLMSGERR_ATTR_OFFS points at. */
static void read_ext_ack_tlvs(struct tb_handle *h, void *tlvs, int len)
{
	struct nlattr *tlv[NLMSGERR_ATTR_MAX + 1];

	if (len <= 0 || nla_parse(tlv, NLMSGERR_ATTR_MAX, tlvs, len, NULL) < 0)
		return;
	if (tlv[NLMSGERR_ATTR_MSG])
		nla_strlcpy(h->errmsg, tlv[NLMSGERR_ATTR_MSG], sizeof(h->errmsg));
	if (tlv[NLMSGERR_ATTR_OFFS] && h->req)
		h->err_attr = attr_at_offset(h->req->msg,
					     nla_get_u32(tlv[NLMSGERR_ATTR_OFFS]));
}

/* The TLVs of an error ACK follow the echoed request, or its header if capped. */
static void read_ext_ack(struct tb_handle *h, struct nlmsgerr *e)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	size_t ack_len = NLMSG_HDRLEN + sizeof(*e);

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		ack_len += e->msg.nlmsg_len - NLMSG_HDRLEN;
	if (ack_len < nlh->nlmsg_len)
		read_ext_ack_tlvs(h, (char *)nlh + ack_len,
				  (int)(nlh->nlmsg_len - ack_len));
}

static void request_fail(struct tb_request *req, int err)
{
	if (!req->error)
		req->error = err;
}

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct tb_handle *h = arg;

	(void)nla;
	if (!h->req)
		return NL_SKIP;
	read_ext_ack(h, e);
	request_fail(h->req, e->error < 0 ? e->error : -EPROTO);
	h->req->done = true;
	return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	struct tb_handle *h = arg;

	(void)msg;
	if (h->req)
		h->req->done = true;
	return NL_STOP;
}

/* NLMSG_DONE of a dump; a dump that failed midway carries the errno. */
static int on_finish(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct tb_handle *h = arg;
	int err;

	if (!h->req)
		return NL_STOP;
	if (nlmsg_datalen(nlh) >= (int)sizeof(err)) {
		memcpy(&err, nlmsg_data(nlh), sizeof(err));
		if (err < 0)
			request_fail(h->req, err);
		if (err < 0 && nlh->nlmsg_flags & NLM_F_ACK_TLVS)
			read_ext_ack_tlvs(h, (char *)nlmsg_data(nlh) + NLMSG_ALIGN(sizeof(err)),
					  nlmsg_datalen(nlh) - (int)NLMSG_ALIGN(sizeof(err)));
	}
	h->req->done = true;
	return NL_STOP;
}

int tb_event_queue_msg(struct tb_handle *h, struct nl_msg *msg); /* event.c */

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct nlattr *attrs[THINBLK_A_MAX + 1];
	struct tb_handle *h = arg;
	struct tb_request *req = h->req;
	int ret;

	if (h->events)
		return tb_event_queue_msg(h, msg) ? NL_STOP : NL_OK;
	if (!req || !req->reply || req->error)
		return NL_OK;
	ret = tb_parse_msg(msg, attrs);
	if (!ret)
		ret = req->reply(attrs, req->arg);
	if (ret)
		request_fail(req, ret);
	return NL_OK;
}

#define TB_SNDBUF	(1 << 20)

static int set_netlink_opt(struct nl_sock *sock, int opt)
{
	int one = 1;

	if (setsockopt(nl_socket_get_fd(sock), SOL_NETLINK, opt, &one, sizeof(one)))
		return -errno;
	return 0;
}

static int install_callbacks(struct tb_handle *h)
{
	int ret;

	ret = nl_socket_modify_cb(h->sock, NL_CB_VALID, NL_CB_CUSTOM, on_valid, h);
	ret = ret ?: nl_socket_modify_cb(h->sock, NL_CB_ACK, NL_CB_CUSTOM, on_ack, h);
	ret = ret ?: nl_socket_modify_cb(h->sock, NL_CB_FINISH, NL_CB_CUSTOM, on_finish, h);
	ret = ret ?: nl_socket_modify_err_cb(h->sock, NL_CB_CUSTOM, on_error, h);
	return ret ? tb_nlerr_to_errno(ret) : 0;
}

int tb_open(struct tb_handle **hp)
{
	struct tb_handle *h;
	int ret;

	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->err_attr = -1;
	h->sock = nl_socket_alloc();
	if (!h->sock) {
		ret = -ENOMEM;
		goto err_free;
	}
	ret = genl_connect(h->sock);
	if (ret) {
		ret = tb_nlerr_to_errno(ret);
		goto err_sock;
	}
	/*
	 * Room to send POOL_OPEN's ACTIVATE_LIST of thousands of names (libnl
	 * sets 32 KiB; the kernel caps it at net.core.wmem_max, 208 KiB by
	 * default: about 3,000 names of the longest kind).  0: libnl's default
	 * for the receive side.
	 */
	nl_socket_set_buffer_size(h->sock, 0, TB_SNDBUF);
	/* Extended acks are a bonus: old kernels lack them, keep going. */
	set_netlink_opt(h->sock, NETLINK_EXT_ACK);
	set_netlink_opt(h->sock, NETLINK_CAP_ACK);

	/* Resolve with libnl's own callbacks, before ours replace them. */
	h->family = genl_ctrl_resolve(h->sock, THINBLK_GENL_NAME);
	if (h->family < 0) {
		ret = h->family == -NLE_OBJ_NOTFOUND ? -ENOENT
						     : tb_nlerr_to_errno(h->family);
		goto err_sock;
	}
	ret = install_callbacks(h);
	if (ret)
		goto err_sock;
	*hp = h;
	return 0;

err_sock:
	nl_socket_free(h->sock);
err_free:
	free(h);
	return ret;
}

void tb_close(struct tb_handle *h)
{
	if (!h)
		return;
	nl_socket_free(h->sock);
	free(h->queue.events);
	free(h);
}

const char *tb_last_error(const struct tb_handle *h)
{
	return h->errmsg;
}

int tb_last_error_attr(const struct tb_handle *h)
{
	return h->err_attr;
}

struct nl_msg *tb_msg_new_size(struct tb_handle *h, uint8_t cmd, int flags,
			       size_t payload)
{
	size_t size = NLMSG_HDRLEN + GENL_HDRLEN + payload;
	size_t page = (size_t)getpagesize();
	struct nl_msg *msg = nlmsg_alloc_size(size > page ? size : page);

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, h->family, 0, flags,
			 cmd, THINBLK_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

struct nl_msg *tb_msg_new(struct tb_handle *h, uint8_t cmd, int flags)
{
	return tb_msg_new_size(h, cmd, flags, 0);
}

static void clear_error(struct tb_handle *h)
{
	h->errmsg[0] = '\0';
	h->err_attr = -1;
}

int tb_request(struct tb_handle *h, struct nl_msg *msg, tb_reply_fn reply,
	       void *arg)
{
	struct tb_request req = { .msg = msg, .reply = reply, .arg = arg };
	int ret;

	if (h->events) {
		ret = -EINVAL;	/* an event handle takes no requests */
		goto out;
	}
	clear_error(h);
	ret = nl_send_auto(h->sock, msg);
	if (ret < 0) {
		ret = tb_nlerr_to_errno(ret);
		goto out;
	}
	h->req = &req;
	while (!req.done) {
		ret = nl_recvmsgs_default(h->sock);
		/* an error ACK makes libnl fail too: req.error is the real one */
		if (ret < 0 && !req.error)
			request_fail(&req, tb_nlerr_to_errno(ret));
		if (ret < 0)
			break;
	}
	h->req = NULL;
	ret = req.error;
out:
	nlmsg_free(msg);
	return ret;
}

static int array_add(struct nlattr **attrs, void *arg)
{
	struct tb_array *arr = arg;
	char *item;

	if (arr->len == arr->cap) {
		size_t cap = arr->cap ? 2 * arr->cap : 16;
		void *items = realloc(arr->items, cap * arr->item_size);

		if (!items)
			return -ENOMEM;
		arr->items = items;
		arr->cap = cap;
	}
	item = (char *)arr->items + arr->len * arr->item_size;
	memset(item, 0, arr->item_size);
	if (arr->parse(attrs, item))
		return -EPROTO;
	arr->len++;
	return 0;
}

static int dump_once(struct tb_handle *h, uint8_t cmd, const char *pool,
		     struct tb_array *arr)
{
	struct nl_msg *msg = tb_msg_new(h, cmd, NLM_F_DUMP);

	if (!msg)
		return -ENOMEM;
	if (pool && tb_put_str(msg, THINBLK_A_POOL_NAME, pool)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	arr->len = 0;
	return tb_request(h, msg, array_add, arr);
}

int tb_dump(struct tb_handle *h, uint8_t cmd, const char *pool,
	    struct tb_array *arr)
{
	int ret, try;

	/* libnl reads an interrupted dump to its end, then fails: -EAGAIN */
	for (try = 0; try < TB_DUMP_RETRIES; try++) {
		ret = dump_once(h, cmd, pool, arr);
		if (ret != -EAGAIN)
			break;
	}
	return ret;
}

int tb_array_finish(struct tb_array *arr, int ret, void *items, size_t *n)
{
	if (ret || !arr->len) {
		free(arr->items);
		arr->items = NULL;
		arr->len = 0;
	}
	memcpy(items, &arr->items, sizeof(arr->items));
	*n = arr->len;
	return ret;
}
