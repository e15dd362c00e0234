/* SPDX-License-Identifier: MIT */
/* Hook records: which program tcsteer attached to a device's hook.
 *
 * The record of a hook is a pin of the attached program at
 *   <netns dir>/if<ifindex>/prog_<hook>
 * A filter is tcsteer's if its program is the one recorded there, or if
 * the program holds a tcsteer_meta map (meta.h). The record answers without
 * CAP_SYS_ADMIN, survives the program being shared by several hooks, and
 * keeps the program alive while no filter runs it, so the id it names is
 * never another program's. Keyed by ifindex: a renamed device keeps its
 * record. Without a durable bpffs (state_can_pin() false) there are no
 * records: reads find none and writes do nothing; the kernel's tcsteer_meta
 * answers instead. */
#ifndef TCSTEER_STATE_RECORD_H
#define TCSTEER_STATE_RECORD_H

#include <stdbool.h>
#include <stdint.h>

#include "state.h"
#include "tcx.h"

/* The program id of the hook's record, 0 if there is none. */
int record_read(struct state *s, int ifindex, enum hook h, uint32_t *prog_id,
		struct errmsg *err);

/* The recorded program opened through its pin (no CAP_SYS_ADMIN needed):
 * an fd, -ENOENT if there is no record, or -errno. */
int record_open(struct state *s, int ifindex, enum hook h, struct errmsg *err);

/* Make prog_fd the hook's record, replacing any previous one atomically
 * (pinned under a temporary name, then renamed over it). */
int record_write(struct state *s, int ifindex, enum hook h, int prog_fd,
		 struct errmsg *err);

/* The record of a program being replaced, kept while its filters are
 * deleted (prog_<hook>_old): when that fails, the next attach or detach
 * on the hook finds it and retires those filters. Best effort. */
int record_read_old(struct state *s, int ifindex, enum hook h, uint32_t *prog_id);
void record_keep_old(struct state *s, int ifindex, enum hook h);
void record_drop_old(struct state *s, int ifindex, enum hook h);

/* Forget the hook's record, and the device's directory once empty. */
int record_remove(struct state *s, int ifindex, enum hook h, struct errmsg *err);

/* TCX records. A hook tcsteer attached with a tcx link has the link
 * pinned too, at <netns dir>/if<ifindex>/link_<hook>, next to the program's
 * record: a link lives only while a pin or an fd holds it, so its pin is
 * what keeps the attachment after the process exits, and only its holder
 * can detach it. The program record stays what tells tcsteer's programs
 * without CAP_SYS_ADMIN; the link's own program id is the truth when the
 * two differ (a run that died between the link update and the record). */
int record_link_open(struct state *s, int ifindex, enum hook h, struct errmsg *err);
/* Pin link_fd as the hook's link record (atomically, as record_write);
 * -EROFS where nothing pinned outlives the process. */
int record_link_write(struct state *s, int ifindex, enum hook h, int link_fd,
		      struct errmsg *err);
int record_link_remove(struct state *s, int ifindex, enum hook h, struct errmsg *err);

enum link_where {
	LINK_LIVE,              /* on the hook it was recorded for */
	LINK_DEFUNCT,           /* detached, or its device is gone */
	LINK_MOVED,             /* running on a device that left this namespace
				   (or on another hook): it steers with this
				   namespace's ifindexes there */
	LINK_UNKNOWN,           /* the kernel could not be asked */
};

/* Where the link of link_fd runs, for the hook ifindex/h of this
 * namespace it was recorded for; *st is its state. */
enum link_where record_link_where(int link_fd, int ifindex, enum hook h,
				  struct tcx_link_state *st);

/* Pin maps that program prog_id needs beyond this process (tail-call
 * tables: the kernel empties a PROG_ARRAY when its last user reference
 * goes) at <netns dir>/prog<id>/<name>. */
int record_keep_maps(struct state *s, uint32_t prog_id, const int *fds,
		     const char *const *names, unsigned int n, struct errmsg *err);

/* Does a program recorded in this namespace use map map_id? */
bool record_uses_map(struct state *s, uint32_t map_id);
/* Does the program pinned at path use map map_id? */
bool record_pin_uses_map(const char *path, uint32_t map_id);

/* Unpin the maps kept for prog_id unless a record of this namespace still
 * names that program. */
void record_release_prog(struct state *s, uint32_t prog_id);

#endif
