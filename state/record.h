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
