// SPDX-License-Identifier: GPL-2.0
/*
 * thinctl df [POOL]: space per volume, then per pool.
 *
 * JSON: {"volumes": [{pool, name, size, referenced, exclusive}...],
 *        "pools": [{name, data_size, data_used, data_free, virtual, volumes,
 *                   metadata_size, metadata_used}...]}
 */
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "thinctl.h"

static const char *const df_args[] = { "POOL" };

static void print_df_volume(struct printer *pr, const struct tb_vol_info *v)
{
	pr_object_begin(pr);
	pr_string(pr, PR_ANY, "POOL", "pool", v->pool);
	pr_string(pr, PR_ANY, "VOLUME", "name", v->name);
	pr_size(pr, PR_ANY, "SIZE", "size", v->size);
	pr_size(pr, PR_ANY, "REFERENCED", "referenced", v->referenced);
	pr_size(pr, PR_ANY, "EXCLUSIVE", "exclusive", v->exclusive);
	pr_object_end(pr);
}

/* The sum of the virtual sizes of the pool's volumes: the overcommitment. */
static uint64_t virtual_size(const char *pool, const struct tb_vol_info *vols,
			     size_t n)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(vols[i].pool, pool))
			sum += vols[i].size;
	return sum;
}

static void print_df_pool(struct printer *pr, const struct tb_pool_info *p,
			  uint64_t virtual)
{
	uint64_t free_space = p->data_size > p->data_used ? p->data_size - p->data_used : 0;
	char pct[PERCENT_STR_MAX];

	pr_object_begin(pr);
	pr_string(pr, PR_ANY, "POOL", "name", p->name);
	pr_size(pr, PR_ANY, "SIZE", "data_size", p->data_size);
	pr_size(pr, PR_ANY, "USED", "data_used", p->data_used);
	pr_size(pr, PR_ANY, "FREE", "data_free", free_space);
	pr_string(pr, PR_HUMAN, "USE%", NULL,
		  format_percent(p->data_used, p->data_size, pct));
	pr_size(pr, PR_ANY, "VIRTUAL", "virtual", virtual);
	pr_uint(pr, PR_ANY, "VOLUMES", "volumes", p->volumes);
	pr_size(pr, PR_ANY, "METADATA", "metadata_size", p->meta_size);
	pr_size(pr, PR_ANY, "META-USED", "metadata_used", p->meta_used);
	pr_object_end(pr);
}

static void print_df(struct printer *pr, const struct tb_pool_info *pools,
		     size_t npools, const struct tb_vol_info *vols, size_t nvols)
{
	size_t i;

	pr_object_begin(pr);
	pr_list_begin(pr, "volumes");
	for (i = 0; i < nvols; i++)
		print_df_volume(pr, &vols[i]);
	pr_list_end(pr);
	pr_list_begin(pr, "pools");
	for (i = 0; i < npools; i++)
		print_df_pool(pr, &pools[i], virtual_size(pools[i].name, vols, nvols));
	pr_list_end(pr);
	pr_object_end(pr);
}

/* One pool by name, or all; *pools is malloc()ed either way. */
static int get_pools(struct ctx *ctx, const char *name,
		     struct tb_pool_info **pools, size_t *n)
{
	char what[WHAT_MAX];
	int ret;

	if (!name)
		return pools_get_sorted(ctx, pools, n);
	*pools = calloc(1, sizeof(**pools));
	if (!*pools)
		return cmd_error("out of memory");
	ret = tb_pool_get(ctx->h, name, *pools);
	if (ret) {
		ctx_subject(ctx, name, NULL);
		return cmd_fail(ctx, ret, what_pool(name, what), pool_hints);
	}
	*n = 1;
	return EXIT_OK;
}

static int df(struct ctx *ctx, int argc, char **argv)
{
	struct tb_pool_info *pools = NULL;
	struct tb_vol_info *vols = NULL;
	size_t npools = 0, nvols = 0;
	struct printer *pr;
	const char *pool;
	int ret;

	if (cmd_plain_args(ctx, argc, argv, df_args, 0, 1) ||
	    cmd_optional_pool(ctx, argc, argv, &pool))
		return ctx->status;
	if (!ctx_handle(ctx))
		return EXIT_FAIL;
	ret = get_pools(ctx, pool, &pools, &npools);
	if (ret)
		goto out;
	ret = vols_get_sorted(ctx, pool, &vols, &nvols);
	if (ret)
		goto out;
	pr = ctx_printer(ctx);
	if (!pr) {
		ret = EXIT_FAIL;
		goto out;
	}
	print_df(pr, pools, npools, vols, nvols);
out:
	free(vols);
	free(pools);
	return ret;
}

const struct verb df_verbs[] = {
	{ NULL, NULL, df, "[POOL]",
	  "  Per volume: virtual SIZE, REFERENCED (mapped) and EXCLUSIVE (freed by\n"
	  "  deleting it); per pool: data space, VIRTUAL (sum of volume sizes),\n"
	  "  metadata.\n" },
	{ NULL, NULL, NULL, NULL, NULL },
};
