/* SPDX-License-Identifier: MIT */
/* What learn routes need besides their routes, kept in step with them: the
 * table's learn side (state/learn.h: the flow table, the lookup program)
 * while it has learn routes, and a learner (the built-in object's
 * steer_learn, on the table's maps) on the ingress hook of every interface
 * they name, while a steering program of tcsteer's uses the table.
 *
 * Learners are attachments like any other: attached make-before-break by
 * the attach code in the mode of the table's steering program (a clsact
 * filter, or a tcx link), recorded, shown by `show`, removable with
 * `detach dev IFACE ingress`.
 * `route add` puts the learners of a new learn route in place before the
 * route itself; `route del` (or a route that no longer names an
 * interface) removes the learners no learn route needs any more; `detach`
 * of the table's last steering program takes its learners along and
 * `attach` brings them back. */
#ifndef TCSTEER_CLI_LEARNERS_H
#define TCSTEER_CLI_LEARNERS_H

#include <stdint.h>

#include "cmd.h"
#include "table.h"
#include "tc.h"

enum learn_sync {
	LEARN_SYNC_ALL,         /* make what is missing, remove what is not needed */
	LEARN_SYNC_PRUNE,       /* only remove what is not needed */
};

/* Bring table t's learn side and learners in line with its learn routes
 * and `extra` (a route about to be written, or NULL). flows: the flow
 * table's size (0: as it is). Learners that no route needs go, and the
 * learn side goes with the last learn route. */
int learn_sync(struct state *s, struct tc_conn *conn, struct steer_table *t,
	       const struct steer_route *extra, uint32_t flows, enum learn_sync how,
	       struct errmsg *err);

/* attach, then, if the program attached uses a table with learn routes,
 * its learners and its lookup (loaded again if the steering program was
 * replaced: this tcsteer's). */
int learn_attach(const struct cmd *c, struct errmsg *err);

/* detach, and the learners of its table if no other steering program of
 * tcsteer's uses that table any more. */
int learn_detach(const struct cmd *c, struct errmsg *err);

/* After a batch's undo: every pinned table's learners and learn side in
 * line with its routes again. Best effort. */
void learn_sync_all(void);

/* gc in this namespace: learners whose table is gone, or that no learn
 * route needs, or whose table no steering program uses any more, are
 * detached; each one is told to fn (device name, table name). Returns how
 * many. */
int learn_gc(void (*fn)(const char *dev, const char *table, void *data), void *data);

/* --dry-run of `route add ... learn`: the attachments it would make. */
int learn_dry_run(const struct cmd *c, struct errmsg *err);

#endif
