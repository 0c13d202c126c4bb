// SPDX-License-Identifier: GPL-2.0
/*
 * `pool open --activate all|none|NAME[,NAME...]`: which volumes get a block
 * device at this open (enum thinblk_activate); without it, each volume's
 * persisted state.  A LIST is comma-separated volume names.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "thinctl.h"

void activate_arg_free(struct activate_arg *a)
{
	free(a->names);
	free(a->buf);
	memset(a, 0, sizeof(*a));
}

int arg_activate(const char *arg, struct activate_arg *a, char *err)
{
	char *save, *tok;

	activate_arg_free(a);
	if (!strcmp(arg, "all")) {
		a->mode = THINBLK_ACTIVATE_ALL;
		return 0;
	}
	if (!strcmp(arg, "none")) {
		a->mode = THINBLK_ACTIVATE_NONE;
		return 0;
	}
	a->mode = THINBLK_ACTIVATE_LIST;
	a->buf = strdup(arg);
	a->names = calloc(strlen(arg) / 2 + 1, sizeof(*a->names));
	if (!a->buf || !a->names) {
		snprintf(err, ARG_ERR_MAX, "out of memory");
		return -ENOMEM;
	}
	for (tok = strtok_r(a->buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (arg_name("volume", tok, err))
			return -EINVAL;
		a->names[a->n++] = tok;
	}
	if (!a->n) {
		snprintf(err, ARG_ERR_MAX, "invalid --activate \"%s\": all, none or VOL[,VOL...]",
			 arg);
		return -EINVAL;
	}
	return 0;
}
