// SPDX-License-Identifier: GPL-2.0
/*
 * thinctl vol create|snapshot|resize|delete|set|list|show|activate|deactivate,
 * and snap create.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "thinctl.h"

/* `vol list --tree`: one level of indentation each, in UTF-8 bytes at most */
#define TREE_BRANCH	"├─ "
#define TREE_LAST	"└─ "
#define TREE_PIPE	"│  "
#define TREE_SPACE	"   "
#define TREE_LEVEL_MAX	sizeof(TREE_BRANCH)

enum {
	OPT_SIZE = 0x100,	/* above every short option */
	OPT_LIMIT,
	OPT_TREE,
	OPT_DEFERRED,
	OPT_INACTIVE,
};

static const struct option size_limit_options[] = {
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "limit", required_argument, NULL, OPT_LIMIT },
	{ "inactive", no_argument, NULL, OPT_INACTIVE },
	CMD_COMMON_OPTIONS
};

static const struct option limit_options[] = {
	{ "limit", required_argument, NULL, OPT_LIMIT },
	CMD_COMMON_OPTIONS
};

static const struct option common_options[] = {
	CMD_COMMON_OPTIONS
};

static const struct option delete_options[] = {
	{ "deferred", no_argument, NULL, OPT_DEFERRED },
	CMD_COMMON_OPTIONS
};

static const struct option list_options[] = {
	{ "tree", no_argument, NULL, OPT_TREE },
	CMD_COMMON_OPTIONS
};

/* The positional arguments of a verb: the first, if any, is POOL/VOLUME. */
enum vol_second_arg { SECOND_NONE, SECOND_NEWVOL, SECOND_SIZE };

struct vol_syntax {
	const char *names[2];
	int min, max;
	enum vol_second_arg second;
	bool needs_limit;		/* set: --limit is required */
};

static const struct vol_syntax one_vol = { { "POOL/VOLUME" }, 1, 1, SECOND_NONE, false };
static const struct vol_syntax snapshot_syntax = {
	{ "POOL/ORIGIN", "NEWVOL" }, 2, 2, SECOND_NEWVOL, false };
static const struct vol_syntax resize_syntax = {
	{ "POOL/VOLUME", "SIZE" }, 2, 2, SECOND_SIZE, false };
static const struct vol_syntax set_syntax = {
	{ "POOL/VOLUME" }, 1, 1, SECOND_NONE, true };
static const struct vol_syntax list_syntax = { { "POOL" }, 0, 1, SECOND_NONE, false };

static const struct err_hint create_hints[] = {
	{ ENOENT, "no such pool" },
	{ EEXIST, "name already in use" },
	{ 0, NULL },
};

/* What a volume command was given, beyond the common options. */
struct vol_args {
	struct vol_ref ref;
	struct vol_ref snap;		/* snapshot: the new volume */
	const char *pool;		/* list: the pool, or NULL */
	uint64_t size;			/* 0: not given */
	bool has_limit;
	uint64_t limit;			/* 0: none */
	bool tree;
	bool deferred;			/* delete: at the last close */
	bool inactive;			/* create, snapshot: no device yet */
};

/* ---- output --------------------------------------------------------------- */

/*
 * One volume: a row of `vol list` (under --tree the name carries the branch
 * and ORIGIN is left to JSON), the record of `vol show`, a JSON object.
 */
static void print_volume(struct printer *pr, const struct tb_vol_info *v,
			 const char *tree_label)
{
	unsigned int origin_where = tree_label ? PR_JSON | PR_TEXT : PR_ANY;

	pr_object_begin(pr);
	pr_string(pr, PR_ANY, "POOL", "pool", v->pool);
	if (tree_label) {
		pr_string(pr, PR_HUMAN, "NAME", "name", tree_label);
		pr_string(pr, PR_JSON, NULL, "name", v->name);
	} else {
		pr_string(pr, PR_ANY, "NAME", "name", v->name);
	}
	pr_uint(pr, PR_ANY, "ID", "id", v->id);
	pr_size(pr, PR_ANY, "SIZE", "size", v->size);
	pr_size(pr, PR_ANY, "REFERENCED", "referenced", v->referenced);
	pr_size(pr, PR_ANY, "EXCLUSIVE", "exclusive", v->exclusive);
	if (v->limit)
		pr_size(pr, PR_ANY, "LIMIT", "limit", v->limit);
	else
		pr_null(pr, PR_ANY, "LIMIT", "limit");
	pr_string(pr, origin_where, "ORIGIN", "origin", *v->origin ? v->origin : NULL);
	pr_string(pr, PR_ANY, "DEVICE", "device", *v->device ? v->device : NULL);
	pr_bool(pr, PR_ANY, "ACTIVE", "active", v->active);
	pr_uint(pr, PR_ANY, "OPEN", "open", v->open);
	pr_bool(pr, PR_ANY, "DEFERRED", "deferred_delete", v->deferred);
	pr_object_end(pr);
}

/* create and snapshot: the device node alone, or the volume with -j. */
static int print_new_volume(struct ctx *ctx, const struct tb_vol_info *v)
{
	struct printer *pr;

	if (ctx->quiet)
		return EXIT_OK;
	if (!ctx->json) {
		if (*v->device)		/* an inactive one has none */
			puts(v->device);
		return EXIT_OK;
	}
	pr = ctx_printer(ctx);
	if (!pr)
		return EXIT_FAIL;
	print_volume(pr, v, NULL);
	return EXIT_OK;
}

/* show: the volume, as a record or JSON. */
static int print_shown_volume(struct ctx *ctx, const struct tb_vol_info *v)
{
	struct printer *pr = ctx_printer(ctx);

	if (!pr)
		return EXIT_FAIL;
	print_volume(pr, v, NULL);
	return EXIT_OK;
}

/* resize and set: the volume with -j, else nothing. */
static int print_changed_volume(struct ctx *ctx, const struct tb_vol_info *v)
{
	return ctx->json ? print_new_volume(ctx, v) : EXIT_OK;
}

/* ---- the tree of origins -------------------------------------------------- */

struct tree {
	struct printer *pr;
	const struct tb_vol_info *vols;	/* sorted by pool and name */
	size_t n;
	bool *printed;
	char *prefix;			/* the pipes of the ancestors */
	char *label;			/* prefix + branch + name */
};

static bool is_child(const struct tb_vol_info *parent,
		     const struct tb_vol_info *v)
{
	return !strcmp(v->pool, parent->pool) && !strcmp(v->origin, parent->name);
}

/* A volume whose origin is not listed (none, or deleted) starts a tree. */
static bool is_root(const struct tree *t, size_t i)
{
	size_t j;

	if (!*t->vols[i].origin)
		return true;
	for (j = 0; j < t->n; j++)
		if (j != i && is_child(&t->vols[j], &t->vols[i]))
			return false;
	return true;
}

/* The first unprinted child of parent at or after from, or t->n. */
static size_t next_child(const struct tree *t, size_t parent, size_t from)
{
	for (; from < t->n; from++)
		if (!t->printed[from] && from != parent &&
		    is_child(&t->vols[parent], &t->vols[from]))
			return from;
	return t->n;
}

static void print_subtree(struct tree *t, size_t i, const char *branch)
{
	size_t len = strlen(t->prefix), child, next;

	snprintf(t->label, len + TREE_LEVEL_MAX + THINBLK_NAME_MAX, "%s%s%s",
		 t->prefix, branch, t->vols[i].name);
	print_volume(t->pr, &t->vols[i], t->label);
	t->printed[i] = true;
	if (*branch)
		strcat(t->prefix, strcmp(branch, TREE_LAST) ? TREE_PIPE : TREE_SPACE);
	for (child = next_child(t, i, 0); child < t->n; child = next) {
		next = next_child(t, i, child + 1);
		print_subtree(t, child, next < t->n ? TREE_BRANCH : TREE_LAST);
	}
	t->prefix[len] = '\0';
}

static int print_tree(struct printer *pr, const struct tb_vol_info *vols,
		      size_t n)
{
	struct tree t = { .pr = pr, .vols = vols, .n = n };
	size_t i;
	int ret = -ENOMEM;

	t.printed = calloc(n, sizeof(*t.printed));
	if (!t.printed)
		goto out;
	t.prefix = calloc(n + 1, TREE_LEVEL_MAX);
	if (!t.prefix)
		goto out_printed;
	t.label = malloc((n + 1) * TREE_LEVEL_MAX + THINBLK_NAME_MAX);
	if (!t.label)
		goto out_prefix;
	for (i = 0; i < n; i++)
		if (!t.printed[i] && is_root(&t, i))
			print_subtree(&t, i, "");
	for (i = 0; i < n; i++)		/* a loop of origins has no root */
		if (!t.printed[i])
			print_subtree(&t, i, "");
	ret = 0;
	free(t.label);
out_prefix:
	free(t.prefix);
out_printed:
	free(t.printed);
out:
	return ret;
}

/* ---- arguments ------------------------------------------------------------ */

static int vol_option(struct vol_args *a, int opt, const char *arg, char *err)
{
	switch (opt) {
	case OPT_SIZE:
		return arg_nonzero_size(arg, &a->size, err);
	case OPT_LIMIT:
		a->has_limit = true;
		return arg_limit(arg, &a->limit, err);
	case OPT_TREE:
		a->tree = true;
		return 0;
	case OPT_DEFERRED:
		a->deferred = true;
		return 0;
	case OPT_INACTIVE:
		a->inactive = true;
		return 0;
	}
	return -EINVAL;
}

/* NEWVOL, or POOL/NEWVOL in the origin's pool. */
static int snapshot_name(const struct vol_ref *origin, const char *arg,
			 struct vol_ref *snap, char *err)
{
	if (!strchr(arg, '/')) {
		if (arg_name("volume", arg, err))
			return -EINVAL;
		*snap = *origin;
		snprintf(snap->name, sizeof(snap->name), "%s", arg);
		return 0;
	}
	if (arg_vol_ref(arg, snap, err))
		return -EINVAL;
	if (strcmp(snap->pool, origin->pool)) {
		snprintf(err, ARG_ERR_MAX, "invalid volume \"%s\": a snapshot stays in pool \"%s\"",
			 arg, origin->pool);
		return -EINVAL;
	}
	return 0;
}

/* The positional arguments after the first. */
static int second_arg(const struct vol_syntax *syn, const char *arg,
		      struct vol_args *a, char *err)
{
	switch (syn->second) {
	case SECOND_NEWVOL:
		return snapshot_name(&a->ref, arg, &a->snap, err);
	case SECOND_SIZE:
		return arg_nonzero_size(arg, &a->size, err);
	case SECOND_NONE:
		break;
	}
	return 0;
}

/*
 * Options into a, then the positional arguments of syn, then the kernel
 * handle: every value is checked before the kernel hears of it.  CMD_STOP with
 * ctx->status when the verb is over (--help, or an error).
 */
static int parse_vol_args(struct ctx *ctx, int argc, char **argv,
			  const struct option *opts, const struct vol_syntax *syn,
			  struct vol_args *a)
{
	char err[ARG_ERR_MAX];
	int opt;

	memset(a, 0, sizeof(*a));
	while ((opt = cmd_getopt(ctx, argc, argv, opts)) != -1) {
		if (opt == CMD_STOP)
			return CMD_STOP;
		if (vol_option(a, opt, optarg, err))
			goto fail;
	}
	if (cmd_positional(ctx, argc, argv, syn->names, syn->min, syn->max))
		return CMD_STOP;
	if (!syn->min && cmd_optional_pool(ctx, argc, argv, &a->pool))
		return CMD_STOP;
	if (syn->min && arg_vol_ref(argv[optind], &a->ref, err))
		goto fail;
	if (syn->min)
		ctx_subject(ctx, a->ref.pool, a->ref.name);
	if (syn->max > 1 && second_arg(syn, argv[optind + 1], a, err))
		goto fail;
	if (syn->needs_limit && !a->has_limit) {
		ctx->status = cmd_usage_error(ctx, "missing --limit SIZE|none");
		return CMD_STOP;
	}
	if (!ctx_handle(ctx)) {
		ctx->status = EXIT_FAIL;
		return CMD_STOP;
	}
	return 0;
fail:
	ctx->status = cmd_error("%s", err);
	return CMD_STOP;
}

static int vol_fail(struct ctx *ctx, int err, const struct vol_ref *ref,
		    const struct err_hint *hints)
{
	char what[WHAT_MAX];

	return cmd_fail(ctx, err, what_vol(ref->pool, ref->name, what), hints);
}

typedef int (*vol_print_fn)(struct ctx *ctx, const struct tb_vol_info *v);

/* The end of a verb on an existing volume: the failure, or print(). */
static int vol_done(struct ctx *ctx, int ret, const struct vol_ref *ref,
		    const struct tb_vol_info *vol, vol_print_fn print)
{
	if (ret)
		return vol_fail(ctx, ret, ref, vol_hints);
	return print ? print(ctx, vol) : EXIT_OK;
}

/* ---- verbs ---------------------------------------------------------------- */

static int vol_create(struct ctx *ctx, int argc, char **argv)
{
	struct tb_vol_info vol;
	struct vol_args a;
	int ret;

	if (parse_vol_args(ctx, argc, argv, size_limit_options, &one_vol, &a))
		return ctx->status;
	if (a.inactive)
		ret = tb_vol_create_inactive(ctx->h, a.ref.pool, a.ref.name, a.size,
					     a.limit, &vol);
	else
		ret = tb_vol_create(ctx->h, a.ref.pool, a.ref.name, a.size,
				    a.limit, &vol);
	if (ret)
		return vol_fail(ctx, ret, &a.ref, create_hints);
	return print_new_volume(ctx, &vol);
}

static int vol_snapshot(struct ctx *ctx, int argc, char **argv)
{
	struct tb_vol_info vol;
	struct vol_args a;
	int ret;

	if (parse_vol_args(ctx, argc, argv, size_limit_options, &snapshot_syntax, &a))
		return ctx->status;
	if (a.inactive)
		ret = tb_vol_snapshot_inactive(ctx->h, a.ref.pool, a.ref.name,
					       a.snap.name, a.size, a.limit, &vol);
	else
		ret = tb_vol_snapshot(ctx->h, a.ref.pool, a.ref.name, a.snap.name,
				      a.size, a.limit, &vol);
	if (ret)
		return vol_fail(ctx, ret, &a.snap, create_hints);
	return print_new_volume(ctx, &vol);
}

static int vol_resize(struct ctx *ctx, int argc, char **argv)
{
	struct tb_vol_info vol;
	struct vol_args a;
	int ret;

	if (parse_vol_args(ctx, argc, argv, common_options, &resize_syntax, &a))
		return ctx->status;
	ret = tb_vol_resize(ctx->h, a.ref.pool, a.ref.name, a.size, &vol);
	return vol_done(ctx, ret, &a.ref, &vol, print_changed_volume);
}

static int vol_delete(struct ctx *ctx, int argc, char **argv)
{
	struct vol_args a;
	int ret;

	if (parse_vol_args(ctx, argc, argv, delete_options, &one_vol, &a))
		return ctx->status;
	if (a.deferred)
		ret = tb_vol_delete_deferred(ctx->h, a.ref.pool, a.ref.name);
	else
		ret = tb_vol_delete(ctx->h, a.ref.pool, a.ref.name);
	return vol_done(ctx, ret, &a.ref, NULL, NULL);
}

static int vol_set(struct ctx *ctx, int argc, char **argv)
{
	struct tb_vol_info vol;
	struct vol_args a;
	int ret;

	if (parse_vol_args(ctx, argc, argv, limit_options, &set_syntax, &a))
		return ctx->status;
	ret = tb_vol_set_limit(ctx->h, a.ref.pool, a.ref.name, a.limit, &vol);
	return vol_done(ctx, ret, &a.ref, &vol, print_changed_volume);
}

/* activate prints the device node (as create), deactivate nothing */
static int vol_set_active(struct ctx *ctx, int argc, char **argv, bool active)
{
	struct tb_vol_info vol;
	struct vol_args a;
	int ret;

	if (parse_vol_args(ctx, argc, argv, common_options, &one_vol, &a))
		return ctx->status;
	ret = (active ? tb_vol_activate : tb_vol_deactivate)(ctx->h, a.ref.pool,
							     a.ref.name, &vol);
	return vol_done(ctx, ret, &a.ref, &vol,
			active ? print_new_volume : print_changed_volume);
}

static int vol_activate(struct ctx *ctx, int argc, char **argv)
{
	return vol_set_active(ctx, argc, argv, true);
}

static int vol_deactivate(struct ctx *ctx, int argc, char **argv)
{
	return vol_set_active(ctx, argc, argv, false);
}

static int vol_show(struct ctx *ctx, int argc, char **argv)
{
	struct tb_vol_info vol;
	struct vol_args a;
	int ret;

	if (parse_vol_args(ctx, argc, argv, common_options, &one_vol, &a))
		return ctx->status;
	ret = tb_vol_get(ctx->h, a.ref.pool, a.ref.name, &vol);
	return vol_done(ctx, ret, &a.ref, &vol, print_shown_volume);
}

static int compare_vols(const void *a, const void *b)
{
	const struct tb_vol_info *x = a, *y = b;

	return strcmp(x->pool, y->pool) ?: strcmp(x->name, y->name);
}

int vols_get_sorted(struct ctx *ctx, const char *pool,
		    struct tb_vol_info **vols, size_t *n)
{
	char what[WHAT_MAX];
	int ret = tb_vol_list(ctx->h, pool, vols, n);

	if (ret)
		return cmd_fail(ctx, ret, pool ? what_pool(pool, what) : "volume list",
				pool_hints);
	if (*n)
		qsort(*vols, *n, sizeof(**vols), compare_vols);
	return EXIT_OK;
}

static int vol_list(struct ctx *ctx, int argc, char **argv)
{
	struct tb_vol_info *vols = NULL;
	struct printer *pr;
	struct vol_args a;
	size_t i, n = 0;
	int ret;

	if (parse_vol_args(ctx, argc, argv, list_options, &list_syntax, &a))
		return ctx->status;
	ret = vols_get_sorted(ctx, a.pool, &vols, &n);
	if (ret)
		return ret;
	pr = ctx_printer(ctx);
	if (!pr)
		goto out;
	pr_list_begin(pr, NULL);
	if (a.tree)
		ret = print_tree(pr, vols, n) ? cmd_error("out of memory") : EXIT_OK;
	else
		for (i = 0; i < n; i++)
			print_volume(pr, &vols[i], NULL);
	pr_list_end(pr);
out:
	free(vols);
	return pr ? ret : EXIT_FAIL;
}

#define SIZE_LIMIT_HELP \
	"  --size SIZE    virtual size (create: the pool's basesize; snapshot: the\n" \
	"                 origin's size; never smaller)\n" \
	"  --limit SIZE   most data the volume may allocate on its own\n" \
	"  --inactive     no block device until vol activate (default: active)\n"

const struct verb vol_verbs[] = {
	{ "create", NULL, vol_create, "POOL/VOL [--size SIZE] [--limit SIZE] [--inactive]",
	  SIZE_LIMIT_HELP "  Prints the device node, e.g. /dev/thinblk3.\n" },
	{ "snapshot", "snap", vol_snapshot,
	  "POOL/ORIGIN NEWVOL [--size SIZE] [--limit SIZE] [--inactive]",
	  SIZE_LIMIT_HELP "  Prints the device node of the snapshot.\n" },
	{ "resize", NULL, vol_resize, "POOL/VOL SIZE", "  Grows a volume, online.\n" },
	{ "delete", "rm", vol_delete, "POOL/VOL [--deferred]",
	  "  --deferred   if the volume is open, mark it and delete it at its last\n"
	  "               close (vol list shows DEFERRED yes); else delete it now\n" },
	{ "set", NULL, vol_set, "POOL/VOL --limit SIZE|none", NULL },
	{ "list", "ls", vol_list, "[POOL] [--tree]",
	  "  --tree   show the origin chains as trees\n" },
	{ "show", NULL, vol_show, "POOL/VOL", NULL },
	{ "activate", NULL, vol_activate, "POOL/VOL",
	  "  Gives the volume its block device (kept across pool reopens);\n"
	  "  prints the device node.\n" },
	{ "deactivate", NULL, vol_deactivate, "POOL/VOL",
	  "  Removes its block device (refused while it is open: EBUSY); the\n"
	  "  volume and its data stay, and it stays inactive across reopens.\n" },
	{ NULL, NULL, NULL, NULL, NULL },
};

/* `thinctl snap create POOL/ORIGIN NEWVOL`: vol snapshot */
const struct verb snap_verbs[] = {
	{ "create", NULL, vol_snapshot,
	  "POOL/ORIGIN NEWVOL [--size SIZE] [--limit SIZE] [--inactive]", SIZE_LIMIT_HELP },
	{ NULL, NULL, NULL, NULL, NULL },
};
