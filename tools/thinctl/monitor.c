// SPDX-License-Identifier: GPL-2.0
/*
 * thinctl monitor [--type pool|vol] [POOL]: one line per event,
 *
 *	TIME TYPE POOL[/VOL] key=value...
 *
 * or with -j one JSON object per line; stdout is flushed after each, and
 * SIGINT/SIGTERM end the stream with status 0.
 */
#include <errno.h>
#include <string.h>

#include "args.h"
#include "thinctl.h"

#define TYPE_POOL	"pool"
#define TYPE_VOL	"vol"

enum {
	OPT_TYPE = 0x100,	/* above every short option */
};

enum event_filter {
	EVENTS_ALL,
	EVENTS_POOL,		/* about a pool as a whole */
	EVENTS_VOL,		/* naming a volume */
};

static const struct option monitor_options[] = {
	{ "type", required_argument, NULL, OPT_TYPE },
	CMD_COMMON_OPTIONS
};

static const char *const monitor_args[] = { "POOL" };

static void print_event(struct printer *pr, const struct tb_event *ev)
{
	const char *type = tb_event_name(ev->type);
	char time[RFC3339_MAX], path[VOL_PATH_MAX];
	const char *mode = tb_pool_mode_name(ev->mode);

	pr_object_begin(pr);
	pr_string(pr, PR_ANY, NULL, "time", format_rfc3339(ev->time_ns, time));
	pr_string(pr, PR_ANY, NULL, "type", type ? type : "unknown");
	pr_string(pr, PR_HUMAN, NULL, NULL,
		  *ev->volume ? format_vol_path(ev->pool, ev->volume, path) : ev->pool);
	pr_string(pr, PR_JSON, NULL, "pool", ev->pool);
	if (*ev->volume)
		pr_string(pr, PR_JSON, NULL, "volume", ev->volume);
	else
		pr_null(pr, PR_JSON, NULL, "volume");	/* about the pool */
	if (*ev->origin)
		pr_string(pr, PR_ANY, "origin", "origin", ev->origin);
	if (ev->has & TB_EVENT_SIZE)
		pr_size(pr, PR_ANY, "size", "size", ev->size);
	if (ev->has & TB_EVENT_MODE)
		pr_string(pr, PR_ANY, "mode", "mode", mode ? mode : "unknown");
	if (ev->has & TB_EVENT_DATA_USED)
		pr_size(pr, PR_ANY, "data_used", "data_used", ev->data_used);
	if (ev->has & TB_EVENT_DATA_SIZE)
		pr_size(pr, PR_ANY, "data_size", "data_size", ev->data_size);
	if (ev->has & TB_EVENT_ERRNO)
		pr_uint(pr, PR_ANY, "errno", "errno", ev->error);
	pr_object_end(pr);
}

static bool wanted(const struct tb_event *ev, enum event_filter filter,
		   const char *pool)
{
	if (pool && strcmp(ev->pool, pool))
		return false;
	switch (filter) {
	case EVENTS_POOL:
		return !*ev->volume;
	case EVENTS_VOL:
		return *ev->volume;
	case EVENTS_ALL:
		break;
	}
	return true;
}

static int parse_monitor_args(struct ctx *ctx, int argc, char **argv,
			      enum event_filter *filter, const char **pool)
{
	int opt;

	*filter = EVENTS_ALL;
	while ((opt = cmd_getopt(ctx, argc, argv, monitor_options)) != -1) {
		if (opt == CMD_STOP)
			return CMD_STOP;
		if (!strcmp(optarg, TYPE_POOL)) {
			*filter = EVENTS_POOL;
		} else if (!strcmp(optarg, TYPE_VOL)) {
			*filter = EVENTS_VOL;
		} else {
			ctx->status = cmd_error("invalid event type \"%s\": use "
						TYPE_POOL " or " TYPE_VOL, optarg);
			return CMD_STOP;
		}
	}
	if (cmd_positional(ctx, argc, argv, monitor_args, 0, 1))
		return CMD_STOP;
	return cmd_optional_pool(ctx, argc, argv, pool);
}

/* Receives and prints until a signal; the exit status. */
static int event_loop(struct ctx *ctx, struct printer *pr,
		      enum event_filter filter, const char *pool)
{
	struct tb_event ev;
	int ret;

	while (!stop_requested) {
		ret = tb_event_recv(ctx->h, &ev, -1);
		if (ret == -EINTR)
			continue;
		if (ret == -ENOBUFS) {
			cmd_error("monitor: events lost (receive buffer overrun)");
			continue;
		}
		if (ret)
			return cmd_fail(ctx, ret, "monitor", NULL);
		if (!wanted(&ev, filter, pool))
			continue;
		print_event(pr, &ev);
		if (fflush(stdout) || pr_status(pr))
			return cmd_error("write error on standard output");
	}
	return EXIT_OK;
}

static int monitor(struct ctx *ctx, int argc, char **argv)
{
	enum event_filter filter;
	struct printer *pr;
	const char *pool;
	int ret;

	if (parse_monitor_args(ctx, argc, argv, &filter, &pool))
		return ctx->status;
	if (!ctx_handle(ctx))
		return EXIT_FAIL;
	ret = tb_event_subscribe(ctx->h);
	if (ret)
		return cmd_fail(ctx, ret, "monitor", NULL);
	pr = ctx_printer(ctx);
	if (!pr || install_stop_signals())
		return EXIT_FAIL;
	pr_set_line_mode(pr);
	return event_loop(ctx, pr, filter, pool);
}

const struct verb monitor_verbs[] = {
	{ NULL, NULL, monitor, "[--type pool|vol] [POOL]",
	  "  --type pool   only events about pools as a whole\n"
	  "  --type vol    only events naming a volume\n"
	  "  One line per event: TIME TYPE POOL[/VOL] key=value...\n" },
	{ NULL, NULL, NULL, NULL, NULL },
};
