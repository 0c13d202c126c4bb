// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Events: the THINBLK_MCGRP_EVENTS multicast group.
 *
 * One datagram may hold several events, and the caller wants them one at a
 * time: the receive callback appends parsed events to a small queue in the
 * handle, tb_event_recv() hands them out and only reads the socket when the
 * queue is empty.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>
#include <netlink/socket.h>

#include "internal.h"

#define EVENT_FIELD(m, a, k)		TB_FIELD(struct tb_event, m, a, k)
#define EVENT_DETAIL(m, a, k, bit)	TB_FIELD_HAS(struct tb_event, m, a, k, bit)

static const struct tb_field event_fields[] = {
	TB_FIELD_REQ(struct tb_event, type, THINBLK_A_EVENT_TYPE, TB_U32),
	EVENT_FIELD(time_ns,	THINBLK_A_EVENT_TIME,	TB_U64),
	EVENT_FIELD(pool,	THINBLK_A_POOL_NAME,	TB_STR),
	EVENT_FIELD(volume,	THINBLK_A_VOL_NAME,	TB_STR),
	EVENT_FIELD(origin,	THINBLK_A_VOL_ORIGIN,	TB_STR),
	EVENT_DETAIL(size,	THINBLK_A_VOL_SIZE,	TB_U64,	TB_EVENT_SIZE),
	EVENT_DETAIL(mode,	THINBLK_A_POOL_MODE,	TB_U8,	TB_EVENT_MODE),
	EVENT_DETAIL(data_used,	THINBLK_A_DATA_USED,	TB_U64,	TB_EVENT_DATA_USED),
	EVENT_DETAIL(data_size,	THINBLK_A_DATA_SIZE,	TB_U64,	TB_EVENT_DATA_SIZE),
	EVENT_DETAIL(error,	THINBLK_A_ERRNO,	TB_U32,	TB_EVENT_ERRNO),
};

static struct tb_event *queue_slot(struct tb_event_queue *q)
{
	if (q->head == q->len)
		q->head = q->len = 0;
	if (q->len == q->cap) {
		size_t cap = q->cap ? 2 * q->cap : 8;
		struct tb_event *events = realloc(q->events, cap * sizeof(*events));

		if (!events)
			return NULL;
		q->events = events;
		q->cap = cap;
	}
	return &q->events[q->len];
}

/* Called by handle.c for every message on a subscribed handle. */
int tb_event_queue_msg(struct tb_handle *h, struct nl_msg *msg)
{
	struct genlmsghdr *gnlh = nlmsg_data(nlmsg_hdr(msg));
	struct nlattr *attrs[THINBLK_A_MAX + 1];
	struct tb_event *ev;

	if (gnlh->cmd != THINBLK_CMD_EVENT)
		return 0;
	ev = queue_slot(&h->queue);
	if (!ev)
		return -ENOMEM;
	memset(ev, 0, sizeof(*ev));
	/* a malformed event is dropped rather than ending the stream */
	if (tb_parse_msg(msg, attrs) ||
	    tb_fields_get(attrs, event_fields, TB_ARRAY_SIZE(event_fields),
			  ev, &ev->has))
		return 0;
	h->queue.len++;
	return 0;
}

int tb_event_subscribe(struct tb_handle *h)
{
	int group, ret;

	group = genl_ctrl_resolve_grp(h->sock, THINBLK_GENL_NAME,
				      THINBLK_MCGRP_EVENTS);
	if (group < 0)
		return tb_nlerr_to_errno(group);
	ret = nl_socket_add_membership(h->sock, group);
	if (ret)
		return tb_nlerr_to_errno(ret);
	nl_socket_disable_seq_check(h->sock);
	ret = nl_socket_set_nonblocking(h->sock);
	if (ret)
		return tb_nlerr_to_errno(ret);
	h->events = true;
	return 0;
}

int tb_event_fd(const struct tb_handle *h)
{
	return nl_socket_get_fd(h->sock);
}

static bool queue_pop(struct tb_event_queue *q, struct tb_event *ev)
{
	if (q->head == q->len)
		return false;
	*ev = q->events[q->head++];
	return true;
}

static int wait_readable(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int n = poll(&pfd, 1, timeout_ms);

	if (n < 0)
		return -errno;
	return n ? 0 : -EAGAIN;
}

int tb_event_recv(struct tb_handle *h, struct tb_event *ev, int timeout_ms)
{
	int ret;

	if (!h->events)
		return -EINVAL;
	while (!queue_pop(&h->queue, ev)) {
		ret = wait_readable(tb_event_fd(h), timeout_ms);
		if (ret)
			return ret;
		ret = nl_recvmsgs_default(h->sock);
		/* nl_recv() reports an overrun (ENOBUFS) as NLE_NOMEM */
		if (ret == -NLE_NOMEM)
			return -ENOBUFS;
		if (ret < 0 && ret != -NLE_AGAIN)
			return tb_nlerr_to_errno(ret);
		if (!timeout_ms && h->queue.head == h->queue.len)
			return -EAGAIN;
	}
	return 0;
}
