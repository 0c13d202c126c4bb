// SPDX-License-Identifier: GPL-2.0
/*
 * thinctl check|dump|metadata-size: the metadata of a closed pool, read from
 * the device (lib/offline.c), without the module.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "args.h"
#include "offline.h"
#include "print.h"
#include "thinctl.h"

#define DEFAULT_VOLUMES		1000
#define VOLUMES_MAX		(1U << 24)

enum {
	OPT_METADATA = 0x100,	/* above every short option */
	OPT_DATA_SIZE,
	OPT_BLOCK_SIZE,
	OPT_VOLUMES,
};

static const struct option metadata_options[] = {
	{ "metadata", required_argument, NULL, OPT_METADATA },
	CMD_COMMON_OPTIONS
};

static const struct option size_options[] = {
	{ "data-size", required_argument, NULL, OPT_DATA_SIZE },
	{ "block-size", required_argument, NULL, OPT_BLOCK_SIZE },
	{ "volumes", required_argument, NULL, OPT_VOLUMES },
	CMD_COMMON_OPTIONS
};

/*
 * The failure of an offline tool about dev (NULL: none); -ENOSYS until the
 * format exists.  msg, when not empty, is the whole reason.
 */
static int offline_fail(struct ctx *ctx, int err, const char *dev,
			const char *msg)
{
	char what[WHAT_MAX];

	if (err == -ENOSYS)
		return cmd_error("%s: not implemented yet", ctx->object->name);
	if (msg && *msg)
		return cmd_error("%s", msg);
	if (!dev)
		return cmd_fail(ctx, err, ctx->object->name, NULL);
	snprintf(what, sizeof(what), "metadata \"%.*s\"", THINBLK_NAME_MAX, dev);
	return cmd_fail(ctx, err, what, NULL);
}

/* --metadata DEV, required, and nothing else. */
static int parse_metadata_dev(struct ctx *ctx, int argc, char **argv,
			      const char **dev)
{
	int opt;

	*dev = NULL;
	while ((opt = cmd_getopt(ctx, argc, argv, metadata_options)) != -1) {
		if (opt == CMD_STOP)
			return CMD_STOP;
		*dev = optarg;		/* OPT_METADATA */
	}
	if (cmd_positional(ctx, argc, argv, NULL, 0, 0))
		return CMD_STOP;
	if (!*dev) {
		ctx->status = cmd_usage_error(ctx, "missing --metadata DEV");
		return CMD_STOP;
	}
	return 0;
}

/* The pool's sizes and settings, for check and dump. */
static void print_report(struct printer *pr, const struct tb_offline_report *rep)
{
	uint64_t bs = rep->data_block_size;

	pr_string(pr, PR_ANY, "pool", "pool", rep->name);
	pr_uint(pr, PR_ANY, "transaction", "transaction", rep->transaction);
	pr_size(pr, PR_ANY, "block_size", "block_size", bs);
	pr_size(pr, PR_ANY, "data_used", "data_used", rep->data_allocated * bs);
	pr_size(pr, PR_ANY, "data_size", "data_size", rep->nr_data_blocks * bs);
	pr_size(pr, PR_ANY, "metadata_size", "metadata_size",
		rep->nr_meta_blocks * THINBLK_META_BLOCK_SIZE);
}

static int check(struct ctx *ctx, int argc, char **argv)
{
	struct tb_offline_report rep;
	char msg[ARG_ERR_MAX];
	struct printer *pr;
	const char *dev;
	int ret;

	if (parse_metadata_dev(ctx, argc, argv, &dev))
		return ctx->status;
	ret = tb_offline_check(dev, &rep, msg, sizeof(msg));
	if (ret)
		return offline_fail(ctx, ret, dev, msg);
	if (ctx->quiet)
		return EXIT_OK;
	pr = ctx_printer(ctx);
	if (!pr)
		return EXIT_FAIL;
	pr_set_line_mode(pr);
	pr_object_begin(pr);
	pr_string(pr, PR_ANY, NULL, "device", dev);
	pr_string(pr, PR_ANY, NULL, "status", "clean");
	print_report(pr, &rep);
	pr_size(pr, PR_ANY, "metadata_used", "metadata_used",
		rep.meta_used * THINBLK_META_BLOCK_SIZE);
	pr_uint(pr, PR_ANY, "volumes", "volumes", rep.volumes);
	pr_uint(pr, PR_ANY, "deleting", "deleting", rep.deleting);
	pr_object_end(pr);
	return EXIT_OK;
}

/* dump: JSON through the printer, text with plain lines. */
struct dump_state {
	struct printer *pr;		/* JSON only */
	const struct tb_offline_report *rep;
	bool started;			/* the header is out */
	bool in_vol;			/* a volume's mapping list is open */
};

static void dump_header(struct dump_state *st)
{
	const struct tb_offline_report *rep = st->rep;

	st->started = true;
	if (st->pr) {
		pr_object_begin(st->pr);
		print_report(st->pr, rep);
		pr_uint(st->pr, PR_ANY, NULL, "next_volume_id",
			rep->next_volume_id);
		pr_size(st->pr, PR_ANY, NULL, "basesize", rep->basesize);
		pr_string(st->pr, PR_ANY, NULL, "no_space",
			  tb_no_space_name(rep->no_space));
		pr_list_begin(st->pr, "volumes");
		return;
	}
	printf("pool %s transaction %" PRIu64 " block_size %" PRIu32
	       " data_blocks %" PRIu64 "/%" PRIu64 " metadata_blocks %" PRIu64
	       " next_volume_id %" PRIu32 "\n", rep->name, rep->transaction,
	       rep->data_block_size, rep->data_allocated, rep->nr_data_blocks,
	       rep->nr_meta_blocks, rep->next_volume_id);
}

static void dump_end_vol(struct dump_state *st)
{
	if (!st->in_vol)
		return;
	st->in_vol = false;
	if (st->pr) {
		pr_list_end(st->pr);
		pr_object_end(st->pr);
	}
}

/*
 * "deferred": live, and deleted when its pool is next opened; "inactive":
 * live, without a block device after a default open
 */
static const char *vol_state(const struct tb_offline_vol *vol)
{
	if (vol->flags & THINBLK_VOL_F_DELETING)
		return "deleting";
	if (vol->flags & THINBLK_VOL_F_DEFERRED_DELETE)
		return "deferred";
	if (vol->flags & THINBLK_VOL_F_INACTIVE)
		return "inactive";
	return "live";
}

static int dump_vol(void *arg, const struct tb_offline_vol *vol)
{
	struct dump_state *st = arg;
	struct printer *pr = st->pr;

	if (!st->started)
		dump_header(st);
	dump_end_vol(st);
	st->in_vol = true;
	if (!pr) {
		printf("volume %" PRIu32 " %s size %" PRIu64 " limit %" PRIu64
		       " origin %" PRId64 " %s mapped %" PRIu64 " owned %" PRIu64
		       "\n", vol->id, vol->name, vol->size, vol->limit,
		       vol->origin == THINBLK_NO_ORIGIN ? -1 : (int64_t)vol->origin,
		       vol_state(vol), vol->mapped, vol->owned);
		return 0;
	}
	pr_object_begin(pr);
	pr_uint(pr, PR_ANY, NULL, "id", vol->id);
	pr_string(pr, PR_ANY, NULL, "name", vol->name);
	pr_size(pr, PR_ANY, NULL, "size", vol->size);
	if (vol->limit)
		pr_size(pr, PR_ANY, NULL, "limit", vol->limit);
	else
		pr_null(pr, PR_ANY, NULL, "limit");
	if (vol->origin == THINBLK_NO_ORIGIN)
		pr_null(pr, PR_ANY, NULL, "origin");
	else
		pr_uint(pr, PR_ANY, NULL, "origin", vol->origin);
	pr_string(pr, PR_ANY, NULL, "state", vol_state(vol));
	pr_uint(pr, PR_ANY, NULL, "mapped_blocks", vol->mapped);
	pr_uint(pr, PR_ANY, NULL, "owned_blocks", vol->owned);
	pr_list_begin(pr, "mappings");
	return 0;
}

static int dump_map(void *arg, uint64_t vblock, uint64_t dblock, uint64_t len)
{
	struct dump_state *st = arg;

	if (!st->pr) {
		printf("  %" PRIu64 "+%" PRIu64 " -> %" PRIu64 "\n", vblock, len,
		       dblock);
		return 0;
	}
	pr_object_begin(st->pr);
	pr_uint(st->pr, PR_ANY, NULL, "vblock", vblock);
	pr_uint(st->pr, PR_ANY, NULL, "dblock", dblock);
	pr_uint(st->pr, PR_ANY, NULL, "blocks", len);
	pr_object_end(st->pr);
	return 0;
}

static const struct tb_offline_dump_ops dump_ops = {
	.vol = dump_vol,
	.map = dump_map,
};

static int dump(struct ctx *ctx, int argc, char **argv)
{
	struct tb_offline_report rep;
	struct dump_state st = { .rep = &rep };
	char msg[ARG_ERR_MAX];
	const char *dev;
	int ret;

	if (parse_metadata_dev(ctx, argc, argv, &dev))
		return ctx->status;
	if (ctx->json) {
		st.pr = ctx_printer(ctx);
		if (!st.pr)
			return EXIT_FAIL;
	}
	ret = tb_offline_dump(dev, &rep, &dump_ops, &st, msg, sizeof(msg));
	if (!ret && !st.started)
		dump_header(&st);
	dump_end_vol(&st);
	if (st.pr && st.started) {
		pr_list_end(st.pr);
		pr_object_end(st.pr);
	}
	return ret ? offline_fail(ctx, ret, dev, msg) : EXIT_OK;
}

struct size_args {
	bool has_data_size;
	uint64_t data_size;
	uint32_t block_size;
	uint32_t volumes;
};

static int size_option(struct size_args *a, int opt, const char *arg, char *err)
{
	switch (opt) {
	case OPT_DATA_SIZE:
		a->has_data_size = true;
		return arg_nonzero_size(arg, &a->data_size, err);
	case OPT_BLOCK_SIZE:
		return arg_block_size(arg, &a->block_size, err);
	case OPT_VOLUMES:
		return arg_uint("number of volumes", arg, 1, VOLUMES_MAX, &a->volumes, err);
	}
	return -EINVAL;
}

/*
 * Too much metadata for the format (-E2BIG): say which limit, and the
 * smallest block size at which the same data and volumes fit, if any.
 */
static int metadata_too_big(const struct size_args *a)
{
	char max[TB_SIZE_STR_MAX], bs[TB_SIZE_STR_MAX], fit[TB_SIZE_STR_MAX];
	uint64_t size;
	uint32_t b;

	tb_format_size(THINBLK_META_MAX_BLOCKS * THINBLK_META_BLOCK_SIZE, max);
	tb_format_size(a->block_size, bs);
	for (b = a->block_size * 2; b && b <= THINBLK_BLOCK_SIZE_MAX; b *= 2)
		if (!tb_metadata_size(a->data_size, b, a->volumes, &size))
			return cmd_errno(E2BIG, "metadata-size: at %s blocks this needs more than the %s of metadata a pool can have; use --block-size %s or more",
					 bs, max, tb_format_size(b, fit));
	return cmd_errno(E2BIG, "metadata-size: this needs more than the %s of metadata a pool can have, even at %s blocks: use fewer volumes or several pools",
			 max, tb_format_size(THINBLK_BLOCK_SIZE_MAX, fit));
}

static int metadata_size(struct ctx *ctx, int argc, char **argv)
{
	struct size_args a = {
		.block_size = THINBLK_BLOCK_SIZE_DEFAULT,
		.volumes = DEFAULT_VOLUMES,
	};
	char err[ARG_ERR_MAX];
	struct printer *pr;
	uint64_t size;
	int opt, ret;

	while ((opt = cmd_getopt(ctx, argc, argv, size_options)) != -1) {
		if (opt == CMD_STOP)
			return ctx->status;
		if (size_option(&a, opt, optarg, err))
			return cmd_error("%s", err);
	}
	if (cmd_positional(ctx, argc, argv, NULL, 0, 0))
		return ctx->status;
	if (!a.has_data_size)
		return cmd_usage_error(ctx, "missing --data-size SIZE");
	ret = tb_metadata_size(a.data_size, a.block_size, a.volumes, &size);
	if (ret == -E2BIG)
		return metadata_too_big(&a);
	if (ret)
		return offline_fail(ctx, ret, NULL, NULL);
	pr = ctx_printer(ctx);
	if (!pr)
		return EXIT_FAIL;
	pr_set_line_mode(pr);
	pr_object_begin(pr);
	pr_size(pr, PR_ANY, NULL, "metadata_size", size);
	pr_object_end(pr);
	return EXIT_OK;
}

const struct verb check_verbs[] = {
	{ NULL, NULL, check, "--metadata DEV",
	  "  Checks the metadata of a closed pool, like thin_check.\n" },
	{ NULL, NULL, NULL, NULL, NULL },
};

const struct verb dump_verbs[] = {
	{ NULL, NULL, dump, "--metadata DEV",
	  "  Prints the metadata of a closed pool.\n" },
	{ NULL, NULL, NULL, NULL, NULL },
};

const struct verb metadata_size_verbs[] = {
	{ NULL, NULL, metadata_size,
	  "--data-size SIZE [--block-size SIZE] [--volumes N]",
	  "  Prints the metadata device size needed (defaults: 64K blocks,\n"
	  "  1000 volumes).\n" },
	{ NULL, NULL, NULL, NULL, NULL },
};
