/* SPDX-License-Identifier: MIT */
/* The steps of attach that detach and a batch's undo share. */
#ifndef TCSTEER_CLI_ATTACH_H
#define TCSTEER_CLI_ATTACH_H

#include "hooks.h"
#include "program.h"

/* Delete tcsteer's filters of the scan that do not run keep_id (0: all of
 * them), drop the hook's _old record, and release what was kept for their
 * programs (at exit). Returns how many were deleted, or -errno. */
int retire_filters(struct state *s, struct tc_conn *conn, const struct hook_scan *hs,
		   uint32_t keep_id, struct errmsg *err);

/* Detach tcsteer's tcx links of the scan but keep_link_id (0: all), and a
 * recorded link that no longer runs on the hook (defunct, or moved away
 * with its device); unpin the hook's link record too if unpin. Returns how
 * many were detached, or -errno. */
int retire_links(struct state *s, const struct hook_scan *hs, uint32_t keep_link_id,
		 bool unpin, struct errmsg *err);

/* Make the hook run prog_fd (kernel id prog_id) in a tcx link at place
 * (PLACE_NONE: where tcsteer's link is, first for a new one): in place
 * with BPF_LINK_UPDATE when tcsteer's link is already where it should be
 * (a no-op for the same program: p, or the same id without p), else a new
 * link (make before break); then tcsteer's other attachments on the hook
 * go. p (NULL for an undo) brings the maps to keep for the program.
 * -ESTALE: the hook changed since hs was listed; scan again and retry. */
int tcx_install(struct state *s, struct tc_conn *conn, const struct hook_scan *hs,
		const char *dev, int prog_fd, uint32_t prog_id, const struct program *p,
		enum place place, uint32_t place_id, struct errmsg *err);

/* --dry-run of a tcx attach: the plan on stdout. hs: the hook as it is
 * (NULL: not known). what names the program ("steer (section tc)"). */
int tcx_print_plan(const struct hook_scan *hs, const struct cmd *c, const char *what,
		   struct errmsg *err);

/* What a hook ran, for an undo: the program (-1: nothing), its mode and,
 * for tcx, its place. */
struct hook_prior {
	int prog_fd;
	enum attach_mode mode;
	enum place place;
	uint32_t place_id;
};

/* The mode and place of tcsteer's program on the hook (prog_fd: -1). */
void hook_prior_of(const struct hook_scan *hs, struct hook_prior *out);

/* Make the hook run prior's program again the way it ran (nothing: detach
 * everything), with a program that is already loaded: the undo of attach
 * and detach. */
int hook_restore(int ifindex, enum hook h, const struct hook_prior *prior,
		 struct errmsg *err);

/* Warn (stderr, one line) if tcx programs shadow tcsteer on the hook,
 * from a fresh look at it. Best effort. */
void warn_if_shadowed(struct state *s, struct tc_conn *conn, int ifindex, enum hook h,
		      const char *dev);

#endif
