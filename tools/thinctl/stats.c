// SPDX-License-Identifier: GPL-2.0
/*
 * thinctl stats [POOL[/VOL]...] [--no-stream]: I/O counters per volume, and
 * the read and write rates since the previous sample, redrawn every second
 * like `docker stats`.  With -j every sample is one JSON array on one line.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "thinctl.h"

#define CLEAR_SCREEN		"\033[H\033[2J"
#define REFRESH_INTERVAL_S	1
#define NS_PER_S		1000000000.0
#define RATE_SUFFIX		"/s"

enum {
	OPT_NO_STREAM = 0x100,	/* above every short option */
};

static const struct option stats_options[] = {
	{ "no-stream", no_argument, NULL, OPT_NO_STREAM },
	CMD_COMMON_OPTIONS
};

struct sample {
	struct tb_vol_stats *stats;
	size_t n;
	struct timespec time;		/* CLOCK_MONOTONIC */
};

/* ---- collecting ------------------------------------------------------------- */

static int sample_append(struct sample *s, const struct tb_vol_stats *more,
			 size_t n)
{
	struct tb_vol_stats *stats;

	if (!n)
		return 0;
	stats = realloc(s->stats, (s->n + n) * sizeof(*stats));
	if (!stats)
		return -ENOMEM;
	memcpy(stats + s->n, more, n * sizeof(*stats));
	s->stats = stats;
	s->n += n;
	return 0;
}

/* The volumes named by one argument, POOL or POOL/VOL, into s. */
static int collect_arg(struct ctx *ctx, const char *arg, struct sample *s)
{
	struct tb_vol_stats one, *list = NULL;
	char err[ARG_ERR_MAX], what[WHAT_MAX];
	struct vol_ref ref;
	size_t n = 0;
	int ret;

	if (strchr(arg, '/')) {
		if (arg_vol_ref(arg, &ref, err))
			return cmd_error("%s", err);
		ret = tb_vol_stats_get(ctx->h, ref.pool, ref.name, &one);
		if (ret) {
			ctx_subject(ctx, ref.pool, ref.name);
			return cmd_fail(ctx, ret, what_vol(ref.pool, ref.name, what), vol_hints);
		}
		ret = sample_append(s, &one, 1);
	} else {
		if (arg_name("pool", arg, err))
			return cmd_error("%s", err);
		ret = tb_vol_stats_list(ctx->h, arg, &list, &n);
		if (ret) {
			ctx_subject(ctx, arg, NULL);
			return cmd_fail(ctx, ret, what_pool(arg, what), pool_hints);
		}
		ret = sample_append(s, list, n);
		free(list);
	}
	return ret ? cmd_error("out of memory") : EXIT_OK;
}

static int collect(struct ctx *ctx, int nargs, char **args, struct sample *s)
{
	int i, ret;

	memset(s, 0, sizeof(*s));
	clock_gettime(CLOCK_MONOTONIC, &s->time);
	if (!nargs) {
		ret = tb_vol_stats_list(ctx->h, NULL, &s->stats, &s->n);
		return ret ? cmd_fail(ctx, ret, "stats", NULL) : EXIT_OK;
	}
	for (i = 0; i < nargs; i++) {
		ret = collect_arg(ctx, args[i], s);
		if (ret)
			return ret;
	}
	return EXIT_OK;
}

/* ---- printing --------------------------------------------------------------- */

static const struct tb_vol_stats *find_same(const struct sample *s,
					    const struct tb_vol_stats *v)
{
	size_t i;

	for (i = 0; s && i < s->n; i++)
		if (!strcmp(s->stats[i].pool, v->pool) &&
		    !strcmp(s->stats[i].name, v->name))
			return &s->stats[i];
	return NULL;
}

static double seconds_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	       (double)(b->tv_nsec - a->tv_nsec) / NS_PER_S;
}

/* Bytes per second: bytes/s in JSON, "12.5M/s" for humans; null/"-" if unknown. */
static void print_rate(struct printer *pr, const char *label, const char *key,
		       bool known, uint64_t delta, double seconds)
{
	char size[TB_SIZE_STR_MAX], text[TB_SIZE_STR_MAX + sizeof(RATE_SUFFIX)];
	uint64_t rate;

	if (!known || seconds <= 0) {
		pr_null(pr, PR_ANY, label, key);
		return;
	}
	rate = (uint64_t)((double)delta / seconds);
	snprintf(text, sizeof(text), "%s" RATE_SUFFIX, tb_format_size(rate, size));
	pr_string(pr, PR_HUMAN, label, key, text);
	pr_uint(pr, PR_JSON, label, key, rate);
}

static void print_vol_stats(struct printer *pr, const struct tb_vol_stats *v,
			    const struct tb_vol_stats *prev, double seconds)
{
	char path[VOL_PATH_MAX];
	/* a volume deleted and made again starts from 0: no rate then */
	bool known = prev && v->read_bytes >= prev->read_bytes &&
		     v->write_bytes >= prev->write_bytes;

	pr_object_begin(pr);
	pr_string(pr, PR_HUMAN, "VOLUME", NULL, format_vol_path(v->pool, v->name, path));
	pr_string(pr, PR_JSON, NULL, "pool", v->pool);
	pr_string(pr, PR_JSON, NULL, "name", v->name);
	print_rate(pr, "READ/S", "read_rate", known,
		   known ? v->read_bytes - prev->read_bytes : 0, seconds);
	print_rate(pr, "WRITE/S", "write_rate", known,
		   known ? v->write_bytes - prev->write_bytes : 0, seconds);
	pr_uint(pr, PR_ANY, "READS", "reads", v->reads);
	pr_uint(pr, PR_ANY, "WRITES", "writes", v->writes);
	pr_size(pr, PR_ANY, "READ", "read_bytes", v->read_bytes);
	pr_size(pr, PR_ANY, "WRITTEN", "write_bytes", v->write_bytes);
	pr_uint(pr, PR_ANY, "PROVISIONED", "provisioned", v->provisioned);
	pr_uint(pr, PR_ANY, "COW", "cow", v->cow);
	pr_uint(pr, PR_ANY, "DISCARDS", "discards", v->discards);
	pr_uint(pr, PR_ANY, "ERRORS", "errors", v->errors);
	pr_object_end(pr);
}

/*
 * One sample as a table or a JSON array, with rates against prev; before it
 * goes "before" (clear the screen, or a blank line between tables).
 */
static int print_sample(struct ctx *ctx, const struct sample *cur,
			const struct sample *prev, const char *before)
{
	double seconds = prev ? seconds_between(&prev->time, &cur->time) : 0;
	struct printer *pr = pr_new(stdout, ctx->json);
	size_t i;
	int ret;

	if (!pr)
		return cmd_error("out of memory");
	fputs(before, stdout);
	pr_list_begin(pr, NULL);
	for (i = 0; i < cur->n; i++)
		print_vol_stats(pr, &cur->stats[i], find_same(prev, &cur->stats[i]),
				seconds);
	pr_list_end(pr);
	ret = pr_status(pr);
	pr_free(pr);
	if (ret || fflush(stdout))
		return cmd_error("write error on standard output");
	return EXIT_OK;
}

/* ---- the command ------------------------------------------------------------ */

static void wait_interval(void)
{
	struct timespec interval = { .tv_sec = REFRESH_INTERVAL_S };

	nanosleep(&interval, NULL);	/* EINTR: stop_requested is set */
}

static int stats(struct ctx *ctx, int argc, char **argv)
{
	struct sample cur, prev = { 0 };
	const char *before = "", *between = "";
	bool stream = true, have_prev = false;
	int opt, ret;

	while ((opt = cmd_getopt(ctx, argc, argv, stats_options)) != -1) {
		if (opt == CMD_STOP)
			return ctx->status;
		stream = false;		/* OPT_NO_STREAM */
	}
	if (!ctx_handle(ctx))
		return EXIT_FAIL;
	if (stream && !ctx->json)
		before = between = isatty(STDOUT_FILENO) ? CLEAR_SCREEN : "\n";
	if (*before == '\n')
		before = "";
	if (stream && install_stop_signals())
		return EXIT_FAIL;
	for (;;) {
		ret = collect(ctx, argc - optind, argv + optind, &cur);
		if (!ret)
			ret = print_sample(ctx, &cur, have_prev ? &prev : NULL, before);
		before = between;
		free(prev.stats);
		prev = cur;
		have_prev = true;
		if (ret || !stream || stop_requested)
			break;
		wait_interval();
		if (stop_requested)
			break;
	}
	free(prev.stats);
	return ret;
}

const struct verb stats_verbs[] = {
	{ NULL, NULL, stats, "[POOL[/VOL]...] [--no-stream]",
	  "  --no-stream   print one sample and exit (rates need two: \"-\")\n"
	  "  Without it the table is redrawn every second until interrupted.\n" },
	{ NULL, NULL, NULL, NULL, NULL },
};
