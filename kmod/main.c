// SPDX-License-Identifier: GPL-2.0
/*
 * thinblk module entry: registers the block major and the netlink family.
 */
#include <linux/module.h>
#include <net/genetlink.h>
#include <linux/thinblk.h>

#include "netlink.h"

#define THINBLK_VERSION "0.1.0"

static int __init thinblk_init(void)
{
	return tb_netlink_init();
}

static void __exit thinblk_exit(void)
{
	tb_netlink_exit();
}

module_init(thinblk_init);
module_exit(thinblk_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("thinblk: thin-provisioned copy-on-write block volumes");
MODULE_VERSION(THINBLK_VERSION);
MODULE_ALIAS_GENL_FAMILY(THINBLK_GENL_NAME);
