/* SPDX-License-Identifier: MIT */
/* What runs on a hook, and which of it is tcsteer's.
 *
 * The kernel answers first: the programs on the tcx hook (BPF_PROG_QUERY,
 * kernel 6.6; they run first) and the filters on the clsact hook (a dump),
 * and for each program whether it is tcsteer's, told by the hook's records
 * (pins of the program and of the tcx link, no privilege needed) or by the
 * program's tcsteer_meta map (by id, CAP_SYS_ADMIN). A hook recorded by
 * tcsteer 0.1 is taken over on the way (state/legacy.h). */
#ifndef TCSTEER_CLI_HOOKS_H
#define TCSTEER_CLI_HOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmd.h"
#include "record.h"
#include "state.h"
#include "tc.h"
#include "tcx.h"

struct hook_scan {
	int ifindex;
	enum hook hook;
	struct tc_filter_info *f;       /* every filter on the hook */
	bool *ours;                     /* [n] it runs a program of tcsteer's */
	size_t n;
	uint32_t record_id;             /* the hook's record, 0: none */
	uint32_t cur_id;                /* tcsteer's program there now, 0: none */
	enum attach_mode cur_mode;      /* how cur_id runs there (MODE_ANY: none) */
	bool unknown;                   /* bpf filters whose owner could not be
					   asked (no record, no CAP_SYS_ADMIN) */
	/* The tcx hook: its programs in run order (count 0 on a kernel
	 * without tcx, has_tcx false then). */
	bool has_tcx;
	struct tcx_list tcx;
	bool tcx_ours[TCX_PROGS_MAX];
	/* The hook's tcx link record (an fd, -1: none), and where it runs. */
	int link_fd;
	enum link_where link_where;
	struct tcx_link_state link;
};

uint32_t hook_parent(enum hook h);

static inline struct tcx_hook hook_tcx(const struct hook_scan *hs, const char *dev)
{
	return (struct tcx_hook){ .ifindex = hs->ifindex, .dev = dev,
				  .dir = (enum tcx_dir)hs->hook };
}

/* Index of tcsteer's current program among the tcx programs, -1 if it does
 * not run in tcx mode. */
int hook_tcx_current(const struct hook_scan *hs);

int hook_scan(struct state *s, struct tc_conn *conn, int ifindex, enum hook h,
	      struct hook_scan *out, struct errmsg *err);
void hook_scan_free(struct hook_scan *hs);

/* An fd of tcsteer's program id on the hook: through the record's pin when
 * it is the recorded one (no privilege needed), else by id. */
int hook_prog_open(struct state *s, const struct hook_scan *hs, uint32_t id,
		   struct errmsg *err);

/* The programs that keep tcsteer's from running on this hook (tcx
 * programs of others that run before it: all of them for a clsact filter),
 * as "680 (cil_to_netdev), 681 (name unknown)" in buf. Their number, 0 if
 * nothing shadows tcsteer (or it has nothing there). */
unsigned int hook_shadowers(const struct hook_scan *hs, char *buf, size_t len);

/* Is the i-th tcx program one that shadows tcsteer's? */
bool hook_shadows(const struct hook_scan *hs, uint32_t i);

/* The shadow warning on stderr, one line, if anything shadows tcsteer on
 * the hook (dev names it). */
void hook_warn_shadow(const struct hook_scan *hs, const char *dev);

/* Is program id tcsteer's? By its tcsteer_meta (needs CAP_SYS_ADMIN):
 * 1 yes, 0 no, -EPERM cannot tell. */
int prog_is_ours(struct state *s, uint32_t id);

#endif
