// SPDX-License-Identifier: GPL-2.0
/*
 * thinctl - control thinblk pools and volumes.
 *
 *	thinctl [-j] [-q] OBJECT [VERB] [ARGS...]
 *
 * This file has the dispatch table and the global options; each OBJECT has
 * its own file (pool.c, vol.c, df.c ...).
 */
#include <stdio.h>
#include <string.h>

#include "thinctl.h"

#define HELP_OPTION	"--help"

static const struct object objects[] = {
	{ "pool",		NULL,		pool_verbs,		"list" },
	{ "vol",		"volume",	vol_verbs,		"list" },
	{ "snap",		NULL,		snap_verbs,		NULL },
	{ "df",			NULL,		df_verbs,		NULL },
	{ "stats",		NULL,		stats_verbs,		NULL },
	{ "monitor",		NULL,		monitor_verbs,		NULL },
	{ "check",		NULL,		check_verbs,		NULL },
	{ "dump",		NULL,		dump_verbs,		NULL },
	{ "metadata-size",	NULL,		metadata_size_verbs,	NULL },
	{ "version",		NULL,		version_verbs,		NULL },
};

#define N_OBJECTS	(sizeof(objects) / sizeof(objects[0]))

static const struct option global_options[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "json", no_argument, NULL, 'j' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static void print_help(void)
{
	size_t i;

	puts("Usage: " PROG_NAME " [-j|--json] [-q|--quiet] OBJECT [VERB] [ARGS...]\n"
	     "       " PROG_NAME " --version | --help\n"
	     "       " PROG_NAME " OBJECT [VERB] --help\n"
	     "Objects and verbs:");
	for (i = 0; i < N_OBJECTS; i++) {
		const struct verb *verb;

		for (verb = objects[i].verbs; verb->run; verb++)
			printf("  %s%s%s %s\n", objects[i].name,
			       verb->name ? " " : "", verb->name ? verb->name : "",
			       verb->usage);
	}
	puts("Exit status: 0 success, 1 failure, 2 usage error.  See thinctl(8).");
}

static bool name_is(const char *arg, const char *name, const char *alias)
{
	return (name && !strcmp(arg, name)) || (alias && !strcmp(arg, alias));
}

static const struct object *find_object(const char *arg)
{
	size_t i;

	for (i = 0; i < N_OBJECTS; i++)
		if (name_is(arg, objects[i].name, objects[i].alias))
			return &objects[i];
	return NULL;
}

static const struct verb *find_verb(const struct object *object,
				    const char *arg)
{
	const struct verb *verb;

	for (verb = object->verbs; verb->run; verb++)
		if (name_is(arg, verb->name, verb->alias))
			return verb;
	return NULL;
}

/* -1 to go on to the object, else the exit status. */
static int parse_global(struct ctx *ctx, int argc, char **argv)
{
	int opt;

	while ((opt = getopt_long(argc, argv, "+hjq", global_options, NULL)) != -1) {
		switch (opt) {
		case 'h':
			print_help();
			return EXIT_OK;
		case 'V':
			puts(PROG_NAME " " THINCTL_VERSION);
			return EXIT_OK;
		case 'j':
			ctx->json = true;
			break;
		case 'q':
			ctx->quiet = true;
			break;
		default:
			return cmd_usage_error(NULL, "unknown option '%s'",
					       argv[optind - 1]);
		}
	}
	if (optind == argc)
		return cmd_usage_error(NULL, "missing OBJECT");
	return -1;
}

/*
 * -j and -q between OBJECT and VERB ("thinctl pool -j show p0"): options may
 * stand anywhere after OBJECT.  Takes them out of argv; returns the new argc.
 */
static int take_common_options(struct ctx *ctx, int argc, char **argv)
{
	while (argc >= 2 && argv[1][0] == '-') {
		const char *o = argv[1];

		if (!strcmp(o, "--json")) {
			ctx->json = true;
		} else if (!strcmp(o, "--quiet")) {
			ctx->quiet = true;
		} else if (o[1] && o[1] != '-' && strspn(o + 1, "jq") == strlen(o + 1)) {
			ctx->json |= !!strchr(o, 'j');
			ctx->quiet |= !!strchr(o, 'q');
		} else {
			break;
		}
		memmove(&argv[1], &argv[2], (size_t)(argc - 1) * sizeof(*argv));
		argc--;
	}
	return argc;
}

/*
 * Runs the verb named by argv[0] (an object without verbs gets its own name
 * there); with no verb, the object's default one or its help.
 */
static int dispatch(struct ctx *ctx, int argc, char **argv)
{
	const struct object *object = ctx->object;
	bool no_verb;

	if (object->verbs[0].name)
		argc = take_common_options(ctx, argc, argv);
	no_verb = argc < 2 || argv[1][0] == '-';

	if (!object->verbs[0].name) {
		ctx->verb = &object->verbs[0];
		return ctx->verb->run(ctx, argc, argv);
	}
	if (no_verb && argc >= 2 && (!strcmp(argv[1], HELP_OPTION) || !strcmp(argv[1], "-h"))) {
		cmd_print_object_help(stdout, object);
		return EXIT_OK;
	}
	if (no_verb && !object->default_verb)
		return cmd_usage_error(ctx, "missing verb");
	ctx->verb = find_verb(object, no_verb ? object->default_verb : argv[1]);
	if (!ctx->verb)
		return cmd_usage_error(ctx, "unknown verb '%s'", argv[1]);
	return no_verb ? ctx->verb->run(ctx, argc, argv)
		       : ctx->verb->run(ctx, argc - 1, argv + 1);
}

/* Flushes stdout: a full disk or a closed pipe is a failure too. */
static int finish(struct ctx *ctx, int status)
{
	int ret = ctx->pr ? pr_status(ctx->pr) : 0;

	if ((fflush(stdout) || ret) && status == EXIT_OK)
		status = cmd_error("write error on standard output");
	pr_free(ctx->pr);
	tb_close(ctx->h);
	return status;
}

int main(int argc, char **argv)
{
	struct ctx ctx = { 0 };
	int status;

	opterr = 0;
	cmd_set_ctx(&ctx);
	status = parse_global(&ctx, argc, argv);
	if (status >= 0)
		return finish(&ctx, status);
	ctx.object = find_object(argv[optind]);
	if (!ctx.object)
		return finish(&ctx, cmd_usage_error(NULL, "unknown object '%s'",
						    argv[optind]));
	argc -= optind;
	argv += optind;
	optind = 0;	/* the verb's getopt_long() starts afresh */
	return finish(&ctx, dispatch(&ctx, argc, argv));
}
