// SPDX-License-Identifier: GPL-2.0
/*
 * tbrawnl: pool requests through libthinblk with the name exactly as given,
 * none of thinctl's checks in between: what the kernel itself accepts from
 * any client (a daemon linked with libthinblk, a hand-made netlink message).
 *
 *   tbrawnl create|open POOL DATA_DEV META_DEV
 *
 * On failure prints the kernel's extended-ack message (or the errno) and
 * exits 1; 0 on success, 2 on usage.
 */
#include <stdio.h>
#include <string.h>

#include "libthinblk.h"

int main(int argc, char **argv)
{
	struct tb_pool_params p = { 0 };
	struct tb_handle *h;
	int r;

	if (argc != 5 || (strcmp(argv[1], "create") && strcmp(argv[1], "open"))) {
		fprintf(stderr, "usage: tbrawnl create|open POOL DATA_DEV META_DEV\n");
		return 2;
	}
	r = tb_open(&h);
	if (r) {
		fprintf(stderr, "tbrawnl: cannot open thinblk: %s\n", strerror(-r));
		return 1;
	}
	p.name = argv[2];
	p.data_dev = argv[3];
	p.meta_dev = argv[4];
	if (!strcmp(argv[1], "create"))
		r = tb_pool_create(h, &p, NULL);
	else
		r = tb_pool_open(h, p.name, p.data_dev, p.meta_dev, NULL);
	if (r)
		fprintf(stderr, "tbrawnl: %s\n",
			*tb_last_error(h) ? tb_last_error(h) : strerror(-r));
	tb_close(h);
	return r ? 1 : 0;
}
