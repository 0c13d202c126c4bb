// SPDX-License-Identifier: GPL-2.0
/*
 * thinctl check|dump|metadata-size: the metadata of a closed pool, read from
 * the device (lib/offline.c), without the module.
 */
#include <errno.h>
#include <string.h>

#include "args.h"
#include "offline.h"
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

static int check(struct ctx *ctx, int argc, char **argv)
{
	char msg[ARG_ERR_MAX];
	const char *dev;
	int ret;

	if (parse_metadata_dev(ctx, argc, argv, &dev))
		return ctx->status;
	ret = tb_offline_check(dev, msg, sizeof(msg));
	return ret ? offline_fail(ctx, ret, dev, msg) : EXIT_OK;
}

static int dump(struct ctx *ctx, int argc, char **argv)
{
	const char *dev;
	int ret;

	if (parse_metadata_dev(ctx, argc, argv, &dev))
		return ctx->status;
	ret = tb_offline_dump(dev, stdout, ctx->json);
	return ret ? offline_fail(ctx, ret, dev, NULL) : EXIT_OK;
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
