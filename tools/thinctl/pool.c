// SPDX-License-Identifier: GPL-2.0
/*
 * thinctl pool create|open|close|destroy|grow|set|list|show
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "thinctl.h"

enum {
	OPT_DATA = 0x100,	/* above every short option */
	OPT_METADATA,
	OPT_BLOCK_SIZE,
	OPT_BASESIZE,
	OPT_LOW_WATER,
	OPT_NO_SPACE,
	OPT_NO_ZERO,
	OPT_NO_DISCARD_PASSDOWN,
	OPT_FORCE,
	OPT_MIN_FREE,
	OPT_ACTIVATE,
};

#define DEVICE_OPTIONS \
	{ "data", required_argument, NULL, OPT_DATA }, \
	{ "metadata", required_argument, NULL, OPT_METADATA }
#define POLICY_OPTIONS \
	{ "basesize", required_argument, NULL, OPT_BASESIZE }, \
	{ "low-water", required_argument, NULL, OPT_LOW_WATER }, \
	{ "min-free", required_argument, NULL, OPT_MIN_FREE }, \
	{ "no-space", required_argument, NULL, OPT_NO_SPACE }

static const struct option create_options[] = {
	DEVICE_OPTIONS,
	POLICY_OPTIONS,
	{ "block-size", required_argument, NULL, OPT_BLOCK_SIZE },
	{ "no-zero", no_argument, NULL, OPT_NO_ZERO },
	{ "no-discard-passdown", no_argument, NULL, OPT_NO_DISCARD_PASSDOWN },
	{ "force", no_argument, NULL, OPT_FORCE },
	CMD_COMMON_OPTIONS
};

static const struct option open_options[] = {
	DEVICE_OPTIONS,
	{ "activate", required_argument, NULL, OPT_ACTIVATE },
	CMD_COMMON_OPTIONS
};

/* pool open --activate (one command per process: KEEP when not given) */
static struct activate_arg open_activate;

static const struct option set_options[] = {
	POLICY_OPTIONS,
	CMD_COMMON_OPTIONS
};

static const struct option no_options[] = {
	CMD_COMMON_OPTIONS
};

static const struct option destroy_options[] = {
	{ "force", no_argument, NULL, OPT_FORCE },
	CMD_COMMON_OPTIONS
};

static const char *const pool_arg[] = { "POOL" };

static const struct err_hint create_hints[] = {
	{ EEXIST, "name already in use" },
	{ EBUSY, "device or resource busy (device in use)" },
	{ ENOSPC, "metadata device too small" },
	{ ENODEV, "no such device" },
	{ ENOENT, "no such device" },
	{ 0, NULL },
};

static const struct err_hint open_hints[] = {
	{ EEXIST, "name already open with other devices" },
	{ EINVAL, "not a thinblk metadata device" },
	{ EUCLEAN, "metadata damaged: see thinctl check" },
	{ EBUSY, "device or resource busy (device in use)" },
	{ ENODEV, "no such device" },
	{ ENOENT, "no such device" },
	{ 0, NULL },
};

/* ---- output --------------------------------------------------------------- */

static const char *mode_name(enum thinblk_pool_mode mode)
{
	const char *name = tb_pool_mode_name(mode);

	return name ? name : "unknown";
}

/* One pool: a row of `pool list`, the record of `pool show`, a JSON object. */
static void print_pool(struct printer *pr, const struct tb_pool_info *p)
{
	const char *no_space = tb_no_space_name(p->no_space);
	char pct[PERCENT_STR_MAX];

	pr_object_begin(pr);
	pr_string(pr, PR_ANY, "NAME", "name", p->name);
	pr_string(pr, PR_ANY, "MODE", "mode", mode_name(p->mode));
	pr_size(pr, PR_ANY, "DATA", "data_size", p->data_size);
	pr_size(pr, PR_ANY, "USED", "data_used", p->data_used);
	pr_string(pr, PR_HUMAN, "USE%", "data_used%",
		  format_percent(p->data_used, p->data_size, pct));
	pr_size(pr, PR_ANY, "METADATA", "metadata_size", p->meta_size);
	pr_size(pr, PR_ANY, "META-USED", "metadata_used", p->meta_used);
	pr_size(pr, PR_ANY, "BLOCK", "block_size", p->block_size);
	pr_size(pr, PR_ANY, "BASESIZE", "basesize", p->basesize);
	pr_uint(pr, PR_ANY, "VOLUMES", "volumes", p->volumes);
	pr_size(pr, PR_JSON | PR_TEXT, NULL, "low_water", p->low_water);
	pr_size(pr, PR_JSON | PR_TEXT, NULL, "min_free", p->min_free);
	pr_string(pr, PR_JSON | PR_TEXT, NULL, "no_space", no_space ? no_space : "unknown");
	pr_uint(pr, PR_JSON | PR_TEXT, NULL, "no_space_timeout", p->no_space_timeout);
	pr_string(pr, PR_JSON | PR_TEXT, NULL, "data_device", p->data_dev);
	pr_string(pr, PR_JSON | PR_TEXT, NULL, "metadata_device", p->meta_dev);
	pr_bool(pr, PR_JSON | PR_TEXT, NULL, "zero", !(p->flags & THINBLK_POOL_F_NO_ZERO));
	pr_bool(pr, PR_JSON | PR_TEXT, NULL, "discard_passdown",
		!(p->flags & THINBLK_POOL_F_NO_DISCARD_PASSDOWN));
	pr_bool(pr, PR_JSON | PR_TEXT, NULL, "metadata_full", p->meta_full);
	pr_uint(pr, PR_JSON | PR_TEXT, NULL, "transaction", p->transaction);
	pr_uint(pr, PR_JSON | PR_TEXT, NULL, "errno", p->error);
	if (p->error)
		pr_string(pr, PR_JSON | PR_TEXT, NULL, "error", strerror(p->error));
	pr_object_end(pr);
}

/* What create/open/grow/set print: the pool with -j, else nothing. */
static int print_changed_pool(struct ctx *ctx, const struct tb_pool_info *p)
{
	struct printer *pr;

	if (!ctx->json || ctx->quiet)
		return EXIT_OK;
	pr = ctx_printer(ctx);
	if (!pr)
		return EXIT_FAIL;
	print_pool(pr, p);
	return EXIT_OK;
}

/* ---- arguments ------------------------------------------------------------ */

static int set_device(const char **dev, const char *arg, char *err)
{
	if (strlen(arg) >= THINBLK_PATH_MAX) {
		snprintf(err, ARG_ERR_MAX, "invalid device \"%.32s...\": path too long", arg);
		return -EINVAL;
	}
	*dev = arg;
	return 0;
}

static int set_low_water(struct tb_pool_params *p, const char *arg, char *err)
{
	struct low_water lw;

	if (arg_low_water(arg, &lw, err))
		return -EINVAL;
	p->set &= ~(unsigned int)(TB_POOL_LOW_WATER | TB_POOL_LOW_WATER_PCT);
	p->set |= lw.percent ? TB_POOL_LOW_WATER_PCT : TB_POOL_LOW_WATER;
	p->low_water = lw.bytes;
	p->low_water_pct = lw.pct;
	return 0;
}

static int set_min_free(struct tb_pool_params *p, const char *arg, char *err)
{
	struct low_water mf;

	if (arg_min_free(arg, &mf, err))
		return -EINVAL;
	p->set &= ~(unsigned int)(TB_POOL_MIN_FREE | TB_POOL_MIN_FREE_PCT);
	p->set |= mf.percent ? TB_POOL_MIN_FREE_PCT : TB_POOL_MIN_FREE;
	p->min_free = mf.bytes;
	p->min_free_pct = mf.pct;
	return 0;
}

static int set_no_space(struct tb_pool_params *p, const char *arg, char *err)
{
	struct no_space ns;

	if (arg_no_space(arg, &ns, err))
		return -EINVAL;
	p->set |= TB_POOL_NO_SPACE;
	p->no_space = ns.mode;
	if (ns.has_timeout) {
		p->set |= TB_POOL_NO_SPACE_TIMEOUT;
		p->no_space_timeout = ns.timeout;
	}
	return 0;
}

static int set_flag(struct tb_pool_params *p, uint32_t flag)
{
	p->set |= TB_POOL_FLAGS;
	p->flags |= flag;
	return 0;
}

/* One option into p; -EINVAL with the message in err. */
static int pool_option(struct tb_pool_params *p, int opt, const char *arg,
		       char *err)
{
	switch (opt) {
	case OPT_DATA:
		return set_device(&p->data_dev, arg, err);
	case OPT_METADATA:
		return set_device(&p->meta_dev, arg, err);
	case OPT_BLOCK_SIZE:
		p->set |= TB_POOL_BLOCK_SIZE;
		return arg_block_size(arg, &p->block_size, err);
	case OPT_BASESIZE:
		p->set |= TB_POOL_BASESIZE;
		return arg_nonzero_size(arg, &p->basesize, err);
	case OPT_LOW_WATER:
		return set_low_water(p, arg, err);
	case OPT_MIN_FREE:
		return set_min_free(p, arg, err);
	case OPT_NO_SPACE:
		return set_no_space(p, arg, err);
	case OPT_NO_ZERO:
		return set_flag(p, THINBLK_POOL_F_NO_ZERO);
	case OPT_NO_DISCARD_PASSDOWN:
		return set_flag(p, THINBLK_POOL_F_NO_DISCARD_PASSDOWN);
	case OPT_FORCE:
		p->force = true;
		return 0;
	case OPT_ACTIVATE:
		return arg_activate(arg, &open_activate, err);
	}
	return -EINVAL;
}

/*
 * Options into p and the POOL argument into p->name; with_devices: --data
 * and --metadata are required.  CMD_STOP with ctx->status on error.
 */
static int parse_pool_args(struct ctx *ctx, int argc, char **argv,
			   const struct option *opts, bool with_devices,
			   struct tb_pool_params *p)
{
	char err[ARG_ERR_MAX];
	int opt;

	memset(p, 0, sizeof(*p));
	while ((opt = cmd_getopt(ctx, argc, argv, opts)) != -1) {
		if (opt == CMD_STOP)
			return CMD_STOP;
		if (pool_option(p, opt, optarg, err))
			goto fail;
	}
	if (cmd_positional(ctx, argc, argv, pool_arg, 1, 1))
		return CMD_STOP;
	p->name = argv[optind];
	if (arg_name("pool", p->name, err))
		goto fail;
	ctx_subject(ctx, p->name, NULL);
	if (with_devices && (!p->data_dev || !p->meta_dev)) {
		ctx->status = cmd_usage_error(ctx, "missing %s",
					      p->data_dev ? "--metadata DEV" : "--data DEV");
		return CMD_STOP;
	}
	return 0;
fail:
	ctx->status = cmd_error("%s", err);
	return CMD_STOP;
}

/* ---- verbs ---------------------------------------------------------------- */

/* "a signature of type " + a libblkid type name */
#define SIGNATURE_MAX 64

/* Without --force, a device that holds something else is not formatted. */
static int check_signatures(const struct tb_pool_params *p, const char *what)
{
	const char *devs[] = { p->meta_dev, p->data_dev };
	char found[SIGNATURE_MAX];
	size_t i;

	/* held by an open pool or a mount: the kernel says which (EBUSY, EEXIST) */
	if (p->force || device_held(p->meta_dev) || device_held(p->data_dev))
		return 0;
	/*
	 * A closed pool first (the kernel refuses it too): its data device
	 * often shows a volume's filesystem, which must not be the reason
	 * given for needing --force.
	 */
	if (device_thinblk_pool(p->meta_dev, found, sizeof(found)) == 1)
		return cmd_errno(EEXIST, "%s: metadata device %s holds pool \"%s\" (pool open it, or create with --force to format it)",
				 what, p->meta_dev, found);
	for (i = 0; i < sizeof(devs) / sizeof(devs[0]); i++) {
		if (device_signature(devs[i], found, sizeof(found)) == 1)
			return cmd_errno(EEXIST, "%s: %s holds %s%s (--force to use it anyway)",
					 what, devs[i], found,
					 devs[i] == p->data_dev ?
					 ", maybe a volume of an earlier pool" : "");
	}
	return 0;
}

static int pool_create(struct ctx *ctx, int argc, char **argv)
{
	struct tb_pool_params p;
	struct tb_pool_info pool;
	char what[WHAT_MAX];
	int ret;

	if (parse_pool_args(ctx, argc, argv, create_options, true, &p))
		return ctx->status;
	if (check_signatures(&p, what_pool(p.name, what)))
		return EXIT_FAIL;
	if (!ctx_handle(ctx))
		return EXIT_FAIL;
	ret = tb_pool_create(ctx->h, &p, &pool);
	if (ret)
		return cmd_fail(ctx, ret, what_pool(p.name, what), create_hints);
	return print_changed_pool(ctx, &pool);
}

static int pool_open(struct ctx *ctx, int argc, char **argv)
{
	struct tb_pool_params p;
	struct tb_pool_info pool;
	char what[WHAT_MAX];
	int ret;

	if (parse_pool_args(ctx, argc, argv, open_options, true, &p))
		return ctx->status;
	if (!ctx_handle(ctx))
		return EXIT_FAIL;
	ret = tb_pool_open_activate(ctx->h, p.name, p.data_dev, p.meta_dev,
				    open_activate.mode, open_activate.names,
				    open_activate.n, &pool);
	activate_arg_free(&open_activate);
	if (ret)
		return cmd_fail(ctx, ret, what_pool(p.name, what), open_hints);
	return print_changed_pool(ctx, &pool);
}

static int pool_set(struct ctx *ctx, int argc, char **argv)
{
	struct tb_pool_params p;
	struct tb_pool_info pool;
	char what[WHAT_MAX];
	int ret;

	if (parse_pool_args(ctx, argc, argv, set_options, false, &p))
		return ctx->status;
	if (!p.set)
		return cmd_usage_error(ctx, "nothing to set");
	if (!ctx_handle(ctx))
		return EXIT_FAIL;
	ret = tb_pool_set(ctx->h, &p, &pool);
	if (ret)
		return cmd_fail(ctx, ret, what_pool(p.name, what), pool_hints);
	return print_changed_pool(ctx, &pool);
}

/*
 * close, destroy, grow, show: a pool name and nothing else, and the handle.
 * false: the command is over with ctx->status (--help, or an error).
 */
static bool pool_by_name_opts(struct ctx *ctx, int argc, char **argv,
			      const struct option *opts,
			      struct tb_pool_params *p)
{
	if (parse_pool_args(ctx, argc, argv, opts, false, p))
		return false;
	if (!ctx_handle(ctx)) {
		ctx->status = EXIT_FAIL;
		return false;
	}
	return true;
}

static bool pool_by_name(struct ctx *ctx, int argc, char **argv,
			 const char **name)
{
	struct tb_pool_params p;

	*name = NULL;
	if (parse_pool_args(ctx, argc, argv, no_options, false, &p))
		return false;
	*name = p.name;
	if (!ctx_handle(ctx)) {
		ctx->status = EXIT_FAIL;
		return false;
	}
	return true;
}

static int pool_fail(struct ctx *ctx, int err, const char *name)
{
	char what[WHAT_MAX];

	return cmd_fail(ctx, err, what_pool(name, what), pool_hints);
}

static int pool_close(struct ctx *ctx, int argc, char **argv)
{
	const char *name;
	int ret;

	if (!pool_by_name(ctx, argc, argv, &name))
		return ctx->status;
	ret = tb_pool_close(ctx->h, name);
	return ret ? pool_fail(ctx, ret, name) : EXIT_OK;
}

static int pool_destroy(struct ctx *ctx, int argc, char **argv)
{
	struct tb_pool_params p;
	int ret;

	if (!pool_by_name_opts(ctx, argc, argv, destroy_options, &p))
		return ctx->status;
	ret = p.force ? tb_pool_destroy_force(ctx->h, p.name) :
			tb_pool_destroy(ctx->h, p.name);
	return ret ? pool_fail(ctx, ret, p.name) : EXIT_OK;
}

static int pool_grow(struct ctx *ctx, int argc, char **argv)
{
	struct tb_pool_info pool;
	const char *name;
	int ret;

	if (!pool_by_name(ctx, argc, argv, &name))
		return ctx->status;
	ret = tb_pool_grow(ctx->h, name, &pool);
	return ret ? pool_fail(ctx, ret, name) : print_changed_pool(ctx, &pool);
}

static int pool_show(struct ctx *ctx, int argc, char **argv)
{
	struct tb_pool_info pool;
	struct printer *pr;
	const char *name;
	int ret;

	if (!pool_by_name(ctx, argc, argv, &name))
		return ctx->status;
	ret = tb_pool_get(ctx->h, name, &pool);
	if (ret)
		return pool_fail(ctx, ret, name);
	pr = ctx_printer(ctx);
	if (!pr)
		return EXIT_FAIL;
	print_pool(pr, &pool);
	return EXIT_OK;
}

static int compare_pools(const void *a, const void *b)
{
	return strcmp(((const struct tb_pool_info *)a)->name,
		      ((const struct tb_pool_info *)b)->name);
}

int pools_get_sorted(struct ctx *ctx, struct tb_pool_info **pools, size_t *n)
{
	int ret = tb_pool_list(ctx->h, pools, n);

	if (ret)
		return cmd_fail(ctx, ret, "pool list", NULL);
	if (*n)
		qsort(*pools, *n, sizeof(**pools), compare_pools);
	return EXIT_OK;
}

static int pool_list(struct ctx *ctx, int argc, char **argv)
{
	struct tb_pool_info *pools = NULL;
	struct printer *pr;
	size_t i, n = 0;
	int ret;

	if (cmd_plain_args(ctx, argc, argv, NULL, 0, 0))
		return ctx->status;
	if (!ctx_handle(ctx))
		return EXIT_FAIL;
	ret = pools_get_sorted(ctx, &pools, &n);
	if (ret)
		return ret;
	pr = ctx_printer(ctx);
	if (pr) {
		pr_list_begin(pr, NULL);
		for (i = 0; i < n; i++)
			print_pool(pr, &pools[i]);
		pr_list_end(pr);
	}
	free(pools);
	return pr ? EXIT_OK : EXIT_FAIL;
}

#define CREATE_HELP \
	"  --data DEV              data device (required)\n" \
	"  --metadata DEV          metadata device, formatted (required)\n" \
	"  --block-size SIZE       allocation unit, a power of two 64K-1M (64K)\n" \
	POLICY_HELP \
	"  --no-zero               don't zero newly allocated blocks\n" \
	"  --no-discard-passdown   don't pass discards down to the data device\n" \
	"  --force                 format devices that hold a pool, a filesystem\n" \
	"                          or another signature\n"
#define POLICY_HELP \
	"  --basesize SIZE         size of a new volume without --size (10G)\n" \
	"  --low-water SIZE|PCT%   raise a low-water event below this free space\n" \
	"  --min-free SIZE|PCT%    refuse new volumes and snapshots below this\n" \
	"                          free space (writes go on; 0: no floor)\n" \
	"  --no-space error|queue[:SECONDS]\n" \
	"                          out of data space: fail writes, or hold them\n"

const struct verb pool_verbs[] = {
	{ "create", NULL, pool_create,
	  "POOL --data DEV --metadata DEV [--block-size SIZE] [--basesize SIZE]\n"
	  "        [--low-water SIZE|PCT%] [--min-free SIZE|PCT%]\n"
	  "        [--no-space error|queue[:SECONDS]] [--no-zero]\n"
	  "        [--no-discard-passdown] [--force]", CREATE_HELP },
	{ "open", NULL, pool_open,
	  "POOL --data DEV --metadata DEV [--activate all|none|VOL[,VOL...]]",
	  "  Opens a pool from its metadata; succeeds if it is open already with\n"
	  "  the same devices (by device number: any path to them will do).\n"
	  "  --activate   which volumes get a block device now: all, none, or the\n"
	  "               comma-separated names (the others stay inactive);\n"
	  "               default: each volume's kept state (vol activate/deactivate)\n" },
	{ "close", NULL, pool_close, "POOL", NULL },
	{ "destroy", NULL, pool_destroy, "POOL [--force]",
	  "  Closes the pool and wipes its superblock: every volume is lost.\n"
	  "  --force                 destroy it even if volumes hold data\n" },
	{ "grow", NULL, pool_grow, "POOL",
	  "  Uses all of the data device after it grew.\n" },
	{ "set", NULL, pool_set,
	  "POOL [--basesize SIZE] [--low-water SIZE|PCT%] [--min-free SIZE|PCT%]\n"
	  "        [--no-space error|queue[:SECONDS]]",
	  POLICY_HELP },
	{ "list", "ls", pool_list, "", NULL },
	{ "show", NULL, pool_show, "POOL", NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};
