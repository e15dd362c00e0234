/* SPDX-License-Identifier: MIT */
/* Which steering table a command means, in this network namespace.
 *
 * attach: `table NAME`, else the device's own table: the pinned one named
 * after it, or the one it owns under another name (it was renamed), or the
 * table of the program tcsteer runs on it (found through the kernel), else
 * a new one named after it.
 * route commands: `table NAME` (pinned, or the table of an attached
 * program of that name, or one of tcsteer 0.1 moved here), else the one
 * table this namespace has. */
#ifndef TCSTEER_CLI_TABLES_H
#define TCSTEER_CLI_TABLES_H

#include <net/if.h>
#include <stdbool.h>

#include "hooks.h"
#include "table.h"

/* The name of the table an attach without `table` uses. hs: the hook
 * as it is now. */
int default_table(struct state *s, const char *dev, int ifindex,
		  const struct hook_scan *hs, char name[IF_NAMESIZE],
		  struct errmsg *err);

/* The table of tcsteer's program cur_id on the hook, through the kernel:
 * 0 (and t open), -ENOENT if it has none, or -errno. */
int table_of_hook(struct state *s, const struct hook_scan *hs, struct steer_table *t,
		  struct errmsg *err);

enum table_use {
	TABLE_READ,             /* route show */
	TABLE_WRITE,            /* route del: a table reached through the kernel
				   gets pinned (when it can), so it outlives
				   its program */
	TABLE_CREATE,           /* route add: ... and a missing one is made */
};

/* Open the table a route command means (requested may be ""). */
int resolve_table(struct state *s, struct tc_conn *conn, const char *requested,
		  enum table_use use, struct steer_table *t, struct errmsg *err);

/* Owner device of a new table named name for an attach to dev/ifindex. */
uint32_t table_owner(const char *name, const char *dev, int ifindex);

#endif
