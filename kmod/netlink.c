// SPDX-License-Identifier: GPL-2.0
/*
 * The thinblk generic netlink family: see uapi/linux/thinblk.h for the
 * commands and attributes.
 */
#include <linux/module.h>
#include <net/genetlink.h>
#include <linux/thinblk.h>

#include "netlink.h"

static const struct nla_policy tb_policy[THINBLK_A_MAX + 1] = {
	[THINBLK_A_POOL_NAME] = { .type = NLA_NUL_STRING, .len = THINBLK_NAME_MAX - 1 },
};

static struct genl_family tb_family;

static int tb_nl_get_version(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &tb_family, 0, THINBLK_CMD_GET_VERSION);
	if (!hdr)
		goto nla_failure;
	if (nla_put_string(msg, THINBLK_A_MODULE_VERSION, THIS_MODULE->version) ||
	    nla_put_u32(msg, THINBLK_A_UAPI_VERSION, THINBLK_UAPI_VERSION))
		goto nla_failure;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

nla_failure:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static const struct genl_small_ops tb_ops[] = {
	{
		.cmd = THINBLK_CMD_GET_VERSION,
		.doit = tb_nl_get_version,
	},
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
