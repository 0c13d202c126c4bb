// SPDX-License-Identifier: GPL-2.0
/*
 * snapbench: time snapshot creation through libthinblk, the way a container
 * daemon would call it (no process per snapshot).
 *
 *   snapbench POOL ORIGIN COUNT PREFIX
 *
 * Creates COUNT snapshots PREFIX0.. of POOL/ORIGIN and prints the mean time
 * per snapshot over the first and the last tenth, and over all, in
 * microseconds, as "first_us last_us mean_us".
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "libthinblk.h"

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
	double t, first = 0, last = 0, all = 0;
	struct tb_handle *h;
	char name[THINBLK_NAME_MAX];
	int i, n, tenth, r;

	if (argc != 5) {
		fprintf(stderr, "usage: snapbench POOL ORIGIN COUNT PREFIX\n");
		return 2;
	}
	n = atoi(argv[3]);
	tenth = n / 10 ? n / 10 : 1;
	r = tb_open(&h);
	if (r) {
		fprintf(stderr, "snapbench: cannot open thinblk: %d\n", r);
		return 1;
	}
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s%d", argv[4], i);
		t = now_us();
		r = tb_vol_snapshot(h, argv[1], argv[2], name, 0, 0, NULL);
		t = now_us() - t;
		if (r) {
			fprintf(stderr, "snapbench: snapshot %d: %s\n", i,
				tb_last_error(h));
			tb_close(h);
			return 1;
		}
		all += t;
		if (i < tenth)
			first += t;
		if (i >= n - tenth)
			last += t;
	}
	printf("%.0f %.0f %.0f\n", first / tenth, last / tenth, all / n);
	tb_close(h);
	return 0;
}
