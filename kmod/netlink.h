/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The generic netlink family (netlink.c): registration, events, and the
 * extended-ack messages the core fills in.
 */
#ifndef THINBLK_NETLINK_H
#define THINBLK_NETLINK_H

#include <linux/types.h>
#include <net/netlink.h>

/* One event; fields that don't apply are NULL or zero (mode: -1). */
struct tb_event {
	u32 type;			/* enum thinblk_event */
	const char *pool;
	const char *vol;
	const char *origin;
	u64 size;
	int mode;
	u64 data_used, data_size;	/* bytes, for space events */
	int err;
};

void tb_nl_event(const struct tb_event *ev);
/* A formatted extack message naming the object and the reason. */
void tb_nl_errmsg(struct netlink_ext_ack *ea, const char *fmt, ...)
	__printf(2, 3);

int tb_netlink_init(void);
void tb_netlink_exit(void);

#endif
