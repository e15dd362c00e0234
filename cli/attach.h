/* SPDX-License-Identifier: MIT */
/* The steps of attach that detach and a batch's undo share. */
#ifndef TCSTEER_CLI_ATTACH_H
#define TCSTEER_CLI_ATTACH_H

#include "hooks.h"

/* Delete tcsteer's filters of the scan that do not run keep_id (0: all of
 * them), drop the hook's _old record, and release what was kept for their
 * programs (at exit). Returns how many were deleted, or -errno. */
int retire_filters(struct state *s, struct tc_conn *conn, const struct hook_scan *hs,
		   uint32_t keep_id, struct errmsg *err);

/* Make the hook run prog_fd again (-1: nothing), the way attach would, but
 * with a program that is already loaded: the undo of attach and detach. */
int hook_restore(int ifindex, enum hook h, int prog_fd, struct errmsg *err);

#endif
