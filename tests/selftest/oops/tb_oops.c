// SPDX-License-Identifier: GPL-2.0
/*
 * Harness self-test: a module that dereferences NULL at load (make
 * check-harness only; never built or loaded by make check).
 */
#include <linux/module.h>

static int __init tb_oops_init(void)
{
	int *volatile p = NULL;

	pr_info("tb_oops: dereferencing NULL on purpose\n");
	return *p;
}

module_init(tb_oops_init);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("harness self-test: a module that oopses");
