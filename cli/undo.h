/* SPDX-License-Identifier: MIT */
/* The undo log of a batch: what each command is about to change, noted
 * before it runs, so that a batch the kernel refuses midway can be put back
 * as it was (see batch.c). Undo is best effort: it runs after a failure and
 * must not fail on its own account. */
#ifndef TCSTEER_CLI_UNDO_H
#define TCSTEER_CLI_UNDO_H

#include <stddef.h>

#include "cmd.h"

struct undo;

struct undo_log {
	struct undo *entries;
	size_t n;
};

/* Note what command c will change (route commands: the route as it is;
 * attach/detach: the program the hook runs now). */
int undo_note(struct undo_log *log, const struct cmd *c, struct errmsg *err);

/* Put everything noted back, newest first, and empty the log. */
void undo_all(struct undo_log *log);

void undo_free(struct undo_log *log);

#endif
