// SPDX-License-Identifier: GPL-2.0
/*
 * thinblk: thin-provisioned, copy-on-write block volumes for container hosts.
 *
 * Where things are:
 *   netlink.c    the generic netlink family (uapi/linux/thinblk.h)
 *   pool.c       pools and volumes: control operations, modes, events
 *   volume.c     one gendisk per volume
 *   io.c         the bio path: remap, provision, break sharing, discard
 *   meta.c       pool metadata: superblock, volume table, commit
 *   space_map.c  data block refcounts
 *   radix.c      copy-on-write radix trees (mappings, volume table, refcounts)
 *   tm.c         transaction manager and metadata block refcounts
 *   bm.c         metadata block cache (dm-bufio) and checksums
 *   fault.c      fault points for tests (CONFIG_THINBLK_FAULTS=y only)
 */
#include <linux/module.h>
#include <net/genetlink.h>
#include <linux/thinblk.h>

#include "fault.h"
#include "netlink.h"
#include "pool.h"

#define THINBLK_VERSION "0.1.0"

static int __init thinblk_init(void)
{
	int r = tb_pools_init();

	if (r)
		return r;
	r = tb_netlink_init();
	if (r) {
		tb_pools_exit();
		return r;
	}
	tb_faults_init();
	return 0;
}

static void __exit thinblk_exit(void)
{
	tb_faults_exit();
	/* a deferred deletion sends its event while the family is there */
	tb_pools_quiesce();
	tb_netlink_exit();
	tb_pools_exit();
}

module_init(thinblk_init);
module_exit(thinblk_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("thinblk: thin-provisioned copy-on-write block volumes");
MODULE_VERSION(THINBLK_VERSION);
MODULE_ALIAS_GENL_FAMILY(THINBLK_GENL_NAME);
