/* SPDX-License-Identifier: GPL-2.0 */
#ifndef THINBLK_NETLINK_H
#define THINBLK_NETLINK_H

int tb_netlink_init(void);
void tb_netlink_exit(void);

#endif
