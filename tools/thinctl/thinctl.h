/* SPDX-License-Identifier: GPL-2.0 */
/*
 * thinctl: what the subcommands share.
 *
 * main() (thinctl.c) reads the global options, finds OBJECT and VERB in the
 * dispatch table and calls the verb's run() with argv starting at the verb.
 * A verb parses its arguments (cmd_getopt, args.c), talks to the kernel
 * through libthinblk (ctx_handle) and prints through the printer
 * (ctx_printer), so that the table and JSON come from the same calls.
 */
#ifndef THINCTL_H
#define THINCTL_H

#include <getopt.h>
#include <signal.h>
#include <stdbool.h>

#include "libthinblk.h"
#include "print.h"

#define PROG_NAME	"thinctl"

/* Exit status: documented in thinctl(8). */
#define EXIT_OK		0
#define EXIT_FAIL	1	/* the command failed */
#define EXIT_USAGE	2	/* the command line is wrong */

struct ctx;

struct verb {
	const char *name;	/* NULL: the object takes no verb */
	const char *alias;
	int (*run)(struct ctx *ctx, int argc, char **argv);
	const char *usage;	/* arguments after "thinctl OBJECT VERB" */
	const char *help;	/* option lines for --help, or NULL */
};

struct object {
	const char *name;
	const char *alias;
	const struct verb *verbs;	/* ends with an entry without run */
	const char *default_verb;	/* when none is given, or NULL */
};

struct ctx {
	bool json;
	bool quiet;
	const struct object *object;
	const struct verb *verb;
	struct printer *pr;		/* made by ctx_printer() */
	struct tb_handle *h;		/* opened by ctx_handle() */
	int status;			/* exit status once cmd_getopt() stops */
	/* What the command is about, for -j errors (ctx_subject()); or NULL */
	const char *subject_pool, *subject_volume;
	bool error_reported;		/* the -j error object is out */
};

/* The subcommand groups, one file each. */
/* activate.c: pool open --activate */
struct activate_arg {
	int mode;			/* enum thinblk_activate */
	const char **names;		/* LIST: n names, pointing into buf */
	size_t n;
	char *buf;
};

int arg_activate(const char *arg, struct activate_arg *a, char *err);
void activate_arg_free(struct activate_arg *a);

extern const struct verb pool_verbs[];
extern const struct verb vol_verbs[];
extern const struct verb snap_verbs[];
extern const struct verb df_verbs[];
extern const struct verb stats_verbs[];
extern const struct verb monitor_verbs[];
extern const struct verb check_verbs[];
extern const struct verb dump_verbs[];
extern const struct verb metadata_size_verbs[];
extern const struct verb version_verbs[];

/* ---- cmd.c: options, errors, the handle and the printer ------------------- */

/* Options every command takes; end a command's option array with these. */
#define CMD_COMMON_OPTIONS \
	{ "help", no_argument, NULL, 'h' }, \
	{ "json", no_argument, NULL, 'j' }, \
	{ "quiet", no_argument, NULL, 'q' }, \
	{ NULL, 0, NULL, 0 }

/* Returned by cmd_getopt() when the command must return ctx->status. */
#define CMD_STOP	(-2)

/*
 * cmd_getopt - getopt_long() over opts, handling the common options itself:
 * --help prints the verb's help (status 0), an unknown option or a missing
 * argument prints a usage error (status 2); both return CMD_STOP.  Returns
 * -1 after the last option; positional arguments are then argv[optind..].
 */
int cmd_getopt(struct ctx *ctx, int argc, char **argv,
	       const struct option *opts);

/*
 * cmd_positional - checks that there are min..max positional arguments left
 * (max -1: no limit); 0 or a usage error (CMD_STOP, ctx->status = 2).
 */
int cmd_positional(struct ctx *ctx, int argc, char **argv,
		   const char *const *names, int min, int max);

/* cmd_getopt() with only the common options, then cmd_positional(). */
int cmd_plain_args(struct ctx *ctx, int argc, char **argv,
		   const char *const *names, int min, int max);

/*
 * cmd_optional_pool - *pool = the positional argument left, checked, or NULL
 * when there is none; CMD_STOP with ctx->status for an invalid name.
 */
int cmd_optional_pool(struct ctx *ctx, int argc, char **argv,
		      const char **pool);

/*
 * "thinctl: " + message on stderr; returns EXIT_FAIL.  With -j the first
 * error of a command is also printed on stdout as a JSON object with the
 * message, an errno (EINVAL for cmd_error(), err for cmd_errno()) and the
 * command's subject (ctx_subject()).
 */
int cmd_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cmd_errno(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The context whose -j and subject errors use; main() sets it. */
void cmd_set_ctx(struct ctx *ctx);
/* The pool (and volume, or NULL) the command is about. */
void ctx_subject(struct ctx *ctx, const char *pool, const char *volume);

/*
 * device_signature - does the device at path hold a filesystem, LVM, RAID
 * or partition table signature?  1 with a description in what, 0, or -1
 * when it can't be probed (signature.c).
 */
int device_signature(const char *path, char *what, size_t len);
/*
 * device_thinblk_pool - does the device hold a thinblk superblock?  1 with
 * its pool's name (unchecked, printable or not), 0, or -1 (signature.c).
 */
int device_thinblk_pool(const char *path, char *name, size_t len);
/* device_held - is the block device open exclusively (by a pool, a mount)? */
bool device_held(const char *path);

/* Usage error: the message and "Try 'thinctl OBJECT --help'."; EXIT_USAGE. */
int cmd_usage_error(const struct ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Reason for one errno in the context of a command. */
struct err_hint {
	int err;		/* positive errno */
	const char *reason;
};

extern const struct err_hint pool_hints[];
extern const struct err_hint vol_hints[];

/*
 * cmd_fail - report a failed request about "what" (e.g. `pool "p0"`): the
 * kernel's extended-ack message when it sent one, else what + a reason from
 * hints (ending with { 0 }), from the common ones, or strerror().
 * Returns EXIT_FAIL.
 */
int cmd_fail(struct ctx *ctx, int err, const char *what,
	     const struct err_hint *hints);

/*
 * ctx_handle - the kernel handle, opened on first use.  Prints the error
 * ("thinblk module not loaded: run modprobe thinblk") and returns NULL when
 * it can't be opened.
 */
struct tb_handle *ctx_handle(struct ctx *ctx);

/* The printer for stdout, made on first use after -j is known; NULL: -ENOMEM. */
struct printer *ctx_printer(struct ctx *ctx);

/* Prints the usage of every verb of object to out. */
void cmd_print_object_help(FILE *out, const struct object *object);

/* Set by SIGINT/SIGTERM once install_stop_signals() ran (stats, monitor). */
extern volatile sig_atomic_t stop_requested;
int install_stop_signals(void);

/* ---- shared by the subcommands ------------------------------------------ */

/* Pools sorted by name, or EXIT_FAIL after reporting (pool.c). */
int pools_get_sorted(struct ctx *ctx, struct tb_pool_info **pools, size_t *n);

/* Volumes (of pool, if not NULL) sorted by pool and name (vol.c). */
int vols_get_sorted(struct ctx *ctx, const char *pool,
		    struct tb_vol_info **vols, size_t *n);

#endif /* THINCTL_H */
