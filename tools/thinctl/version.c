// SPDX-License-Identifier: GPL-2.0
/*
 * thinctl version: the tool's version, then the module's.
 *
 *	thinctl 0.1.0
 *	thinblk 0.1.0 (uapi 1)
 *
 * With -j: {"thinctl": "0.1.0", "module": "0.1.0", "uapi": 1}, the module's
 * members null when it is not loaded (and the exit status 1).
 */
#include "thinctl.h"

static void print_json(struct printer *pr, const struct tb_version *v)
{
	pr_object_begin(pr);
	pr_string(pr, PR_JSON, NULL, "thinctl", THINCTL_VERSION);
	if (v) {
		pr_string(pr, PR_JSON, NULL, "module", v->module);
		pr_uint(pr, PR_JSON, NULL, "uapi", v->uapi);
	} else {
		pr_null(pr, PR_JSON, NULL, "module");
		pr_null(pr, PR_JSON, NULL, "uapi");
	}
	pr_object_end(pr);
}

/* The module's version, or false after printing why there is none. */
static bool module_version(struct ctx *ctx, struct tb_version *v)
{
	int ret;

	if (!ctx_handle(ctx))
		return false;
	ret = tb_version(ctx->h, v);
	if (ret)
		cmd_fail(ctx, ret, "thinblk module", NULL);
	return !ret;
}

static int version(struct ctx *ctx, int argc, char **argv)
{
	struct tb_version v;
	struct printer *pr;
	bool loaded;

	if (cmd_plain_args(ctx, argc, argv, NULL, 0, 0))
		return ctx->status;
	if (!ctx->json) {
		/* ours first: it is worth knowing when the module is missing */
		puts(PROG_NAME " " THINCTL_VERSION);
		fflush(stdout);
	}
	loaded = module_version(ctx, &v);
	if (!ctx->json) {
		if (loaded)
			printf("thinblk %s (uapi %u)\n", v.module, v.uapi);
	} else {
		pr = ctx_printer(ctx);
		if (!pr)
			return EXIT_FAIL;
		print_json(pr, loaded ? &v : NULL);
	}
	if (!loaded)
		return EXIT_FAIL;
	if (v.uapi != THINBLK_UAPI_VERSION)
		return cmd_error("thinblk module speaks uapi %u, thinctl uapi %u: "
				 "update the older one", v.uapi, THINBLK_UAPI_VERSION);
	return EXIT_OK;
}

const struct verb version_verbs[] = {
	{ NULL, NULL, version, "", NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};
