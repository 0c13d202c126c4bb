// SPDX-License-Identifier: GPL-2.0
/*
 * What every subcommand needs: option parsing with the common options,
 * one-line error messages, the kernel handle and the printer.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "thinctl.h"

#define SHORT_OPTIONS	"hjq"
#define REASON_MAX	128
#define MESSAGE_MAX	1024

const struct err_hint pool_hints[] = {
	{ ENOENT, "no such pool" },
	{ EEXIST, "name already in use" },
	{ EBUSY, "device or resource busy (a volume is open)" },
	{ 0, NULL },
};

const struct err_hint vol_hints[] = {
	{ ENOENT, "no such pool or volume" },
	{ EEXIST, "name already in use" },
	{ EBUSY, "device or resource busy (volume is open)" },
	{ 0, NULL },
};

static const struct err_hint common_hints[] = {
	{ EPERM, "operation not permitted (need CAP_SYS_ADMIN)" },
	{ EACCES, "permission denied (need CAP_SYS_ADMIN)" },
	{ 0, NULL },
};

/* The command being run, for the JSON form of its errors (cmd_set_ctx). */
static struct ctx *error_ctx;

void cmd_set_ctx(struct ctx *ctx)
{
	error_ctx = ctx;
}

void ctx_subject(struct ctx *ctx, const char *pool, const char *volume)
{
	ctx->subject_pool = pool;
	ctx->subject_volume = volume;
}

/*
 * With -j, the first failure also goes to stdout as one JSON object, so
 * that scripts read the errno and the object instead of the English:
 * {"error": "...", "errno": N, "object": {"pool": ..., "volume": ...}|null}
 */
static void json_error(struct ctx *ctx, int err, const char *msg)
{
	if (!ctx || !ctx->json || ctx->error_reported)
		return;
	ctx->error_reported = true;
	fputs("{\"error\":", stdout);
	json_write_string(stdout, msg);
	printf(",\"errno\":%d,\"object\":", err);
	if (!ctx->subject_pool) {
		fputs("null", stdout);
	} else {
		fputs("{\"pool\":", stdout);
		json_write_string(stdout, ctx->subject_pool);
		if (ctx->subject_volume) {
			fputs(",\"volume\":", stdout);
			json_write_string(stdout, ctx->subject_volume);
		}
		fputc('}', stdout);
	}
	fputs("}\n", stdout);
}

static void verror(int err, const char *fmt, va_list ap)
{
	char msg[MESSAGE_MAX];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	fprintf(stderr, PROG_NAME ": %s\n", msg);
	json_error(error_ctx, err, msg);
}

int cmd_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(EINVAL, fmt, ap);
	va_end(ap);
	return EXIT_FAIL;
}

int cmd_errno(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(err, fmt, ap);
	va_end(ap);
	return EXIT_FAIL;
}

int cmd_usage_error(const struct ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(EINVAL, fmt, ap);
	va_end(ap);
	if (ctx && ctx->object)
		fprintf(stderr, "Try '" PROG_NAME " %s --help'.\n", ctx->object->name);
	else
		fputs("Try '" PROG_NAME " --help'.\n", stderr);
	return EXIT_USAGE;
}

/* "thinctl vol create" or "thinctl df" */
static void print_command(FILE *out, const struct object *object,
			  const struct verb *verb)
{
	fprintf(out, PROG_NAME " %s", object->name);
	if (verb->name)
		fprintf(out, " %s", verb->name);
}

static void print_verb_help(FILE *out, const struct object *object,
			    const struct verb *verb)
{
	fputs("Usage: ", out);
	print_command(out, object, verb);
	fprintf(out, "%s%s\n", *verb->usage ? " " : "", verb->usage);
	if (verb->help)
		fputs(verb->help, out);
}

void cmd_print_object_help(FILE *out, const struct object *object)
{
	const struct verb *verb;

	for (verb = object->verbs; verb->run; verb++)
		print_verb_help(out, object, verb);
	fputs("Common options: -j/--json, -q/--quiet, -h/--help\n", out);
}

/* The name getopt_long() stopped at, for the message. */
static const char *bad_option(char **argv, const struct option *opts)
{
	static char shortopt[] = "-?";

	if (optopt && !strchr(SHORT_OPTIONS, optopt)) {
		const struct option *o;

		for (o = opts; o->name; o++)
			if (o->val == optopt)
				return o->name;
		shortopt[1] = (char)optopt;
		return shortopt;
	}
	return argv[optind - 1];
}

int cmd_getopt(struct ctx *ctx, int argc, char **argv,
	       const struct option *opts)
{
	int opt;

	for (;;) {
		opt = getopt_long(argc, argv, ":" SHORT_OPTIONS, opts, NULL);
		switch (opt) {
		case 'h':
			print_verb_help(stdout, ctx->object, ctx->verb);
			ctx->status = EXIT_OK;
			return CMD_STOP;
		case 'j':
			ctx->json = true;
			continue;
		case 'q':
			ctx->quiet = true;
			continue;
		case '?':
			ctx->status = cmd_usage_error(ctx, "unknown option '%s'",
						      bad_option(argv, opts));
			return CMD_STOP;
		case ':':
			ctx->status = cmd_usage_error(ctx, "option '%s' needs an argument",
						      bad_option(argv, opts));
			return CMD_STOP;
		default:
			return opt;
		}
	}
}

int cmd_positional(struct ctx *ctx, int argc, char **argv,
		   const char *const *names, int min, int max)
{
	int n = argc - optind;

	if (n < min) {
		ctx->status = cmd_usage_error(ctx, "missing %s", names[n]);
		return CMD_STOP;
	}
	if (max >= 0 && n > max) {
		ctx->status = cmd_usage_error(ctx, "unexpected argument '%s'",
					      argv[optind + max]);
		return CMD_STOP;
	}
	return 0;
}

int cmd_plain_args(struct ctx *ctx, int argc, char **argv,
		   const char *const *names, int min, int max)
{
	static const struct option common_options[] = { CMD_COMMON_OPTIONS };

	if (cmd_getopt(ctx, argc, argv, common_options) != -1)
		return CMD_STOP;
	return cmd_positional(ctx, argc, argv, names, min, max);
}

int cmd_optional_pool(struct ctx *ctx, int argc, char **argv,
		      const char **pool)
{
	char err[ARG_ERR_MAX];

	*pool = optind < argc ? argv[optind] : NULL;
	if (*pool && arg_name("pool", *pool, err)) {
		ctx->status = cmd_error("%s", err);
		return CMD_STOP;
	}
	if (*pool)
		ctx_subject(ctx, *pool, NULL);
	return 0;
}

static const char *find_hint(const struct err_hint *hints, int err)
{
	for (; hints && hints->err; hints++)
		if (hints->err == err)
			return hints->reason;
	return NULL;
}

/* strerror() starting in lower case, as the rest of the line. */
static const char *errno_reason(int err, char *buf)
{
	snprintf(buf, REASON_MAX, "%s", strerror(err));
	if (buf[0] >= 'A' && buf[0] <= 'Z')
		buf[0] = (char)(buf[0] - 'A' + 'a');
	return buf;
}

int cmd_fail(struct ctx *ctx, int err, const char *what,
	     const struct err_hint *hints)
{
	const char *reason, *attr;
	char buf[REASON_MAX];

	err = -err;
	if (ctx->h && *tb_last_error(ctx->h))
		return cmd_errno(err, "%s", tb_last_error(ctx->h));
	reason = find_hint(hints, err);
	if (!reason)
		reason = find_hint(common_hints, err);
	if (!reason)
		reason = errno_reason(err, buf);
	attr = ctx->h ? tb_attr_name(tb_last_error_attr(ctx->h)) : NULL;
	if (attr)
		return cmd_errno(err, "%s: %s (attribute %s)", what, reason, attr);
	return cmd_errno(err, "%s: %s", what, reason);
}

struct tb_handle *ctx_handle(struct ctx *ctx)
{
	char buf[REASON_MAX];
	int ret;

	if (ctx->h)
		return ctx->h;
	ret = tb_open(&ctx->h);
	if (ret == -ENOENT)
		cmd_errno(ENOENT, "thinblk module not loaded: run modprobe thinblk");
	else if (ret)
		cmd_errno(-ret, "cannot talk to the kernel: %s", errno_reason(-ret, buf));
	return ret ? NULL : ctx->h;
}

struct printer *ctx_printer(struct ctx *ctx)
{
	if (!ctx->pr)
		ctx->pr = pr_new(stdout, ctx->json);
	if (!ctx->pr)
		cmd_errno(ENOMEM, "out of memory");
	return ctx->pr;
}

volatile sig_atomic_t stop_requested;

static void request_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

int install_stop_signals(void)
{
	struct sigaction sa = { .sa_handler = request_stop };

	/* no SA_RESTART: a blocking poll() or nanosleep() returns EINTR */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL))
		return cmd_error("cannot install signal handlers: %s", strerror(errno));
	return EXIT_OK;
}
