/* SPDX-License-Identifier: MIT */
/* What runs on a hook, and which of it is tcsteer's.
 *
 * The kernel answers first: the filters on the clsact hook (a dump), and
 * for each bpf filter whether its program is tcsteer's, told by the hook's
 * record (a pin, no privilege needed) or by the program's tcsteer_meta map
 * (by id, CAP_SYS_ADMIN). A hook recorded by tcsteer 0.1 is taken over on
 * the way (state/legacy.h). */
#ifndef TCSTEER_CLI_HOOKS_H
#define TCSTEER_CLI_HOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "state.h"
#include "tc.h"

struct hook_scan {
	int ifindex;
	enum hook hook;
	struct tc_filter_info *f;       /* every filter on the hook */
	bool *ours;                     /* [n] it runs a program of tcsteer's */
	size_t n;
	uint32_t record_id;             /* the hook's record, 0: none */
	uint32_t cur_id;                /* tcsteer's program there now, 0: none */
	bool unknown;                   /* bpf filters whose owner could not be
					   asked (no record, no CAP_SYS_ADMIN) */
};

uint32_t hook_parent(enum hook h);

/* What is on the hook now. Under the lock, the last scan is answered again
 * while nothing changed: no request but dumps on conn, no record changed
 * (state_changed()); whatever changes a hook another way (a TCX link, ...)
 * calls hook_scan_forget(). */
int hook_scan(struct state *s, struct tc_conn *conn, int ifindex, enum hook h,
	      struct hook_scan *out, struct errmsg *err);
void hook_scan_free(struct hook_scan *hs);
void hook_scan_forget(void);

/* An fd of tcsteer's program id on the hook: through the record's pin when
 * it is the recorded one (no privilege needed), else by id. */
int hook_prog_open(struct state *s, const struct hook_scan *hs, uint32_t id,
		   struct errmsg *err);

/* Is program id tcsteer's? By its tcsteer_meta (needs CAP_SYS_ADMIN):
 * 1 yes, 0 no, -EPERM cannot tell. */
int prog_is_ours(struct state *s, uint32_t id);

#endif
