// SPDX-License-Identifier: GPL-2.0
/* Harness self-test: a module that WARNs at load (make check-harness only). */
#include <linux/module.h>

static int __init tb_warn_init(void)
{
	WARN_ON(1);
	return 0;
}

static void __exit tb_warn_exit(void)
{
}

module_init(tb_warn_init);
module_exit(tb_warn_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("harness self-test: a module that warns");
