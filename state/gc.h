/* SPDX-License-Identifier: MIT */
/* Removing the state of what is gone: network namespaces that no longer
 * exist (their whole directory) and, in this namespace, devices that are
 * gone (their records; tcx links among them are detached first, since one
 * whose device moved to another namespace keeps running there), tcx link
 * records whose link no longer runs on its hook, programs no record names
 * (their kept maps), and the own tables of gone devices that no recorded
 * program uses.
 *
 * A namespace is alive while a process runs in it or holds it open, or a
 * mount binds it (as `ip netns add` and container runtimes do): gc looks at
 * every process's /proc/<pid>/ns/net, open fds and mounts. It only removes
 * another namespace's directory when it can see every process (it runs in
 * the initial PID namespace); processes it may not look at are taken to
 * live in the initial network namespace, as PID 1 and kernel threads do. */
#ifndef TCSTEER_STATE_GC_H
#define TCSTEER_STATE_GC_H

#include "state.h"

enum gc_kind { GC_NETNS, GC_DEVICE, GC_PROGRAM, GC_TABLE, GC_LEGACY,
	       GC_LINK /* a tcx link record whose link no longer runs on its hook */ };

/* kind, what (a name: "4099", "if7", "prog1912", "eth0"), the path; for
 * GC_LEGACY nothing was removed: it is 0.1 state left to move. */
typedef void (*gc_report_fn)(enum gc_kind kind, const char *what, const char *path,
			     bool removed, void *data);

/* Returns the number of things removed, or -errno. notes (may be NULL)
 * gets one line about what gc could not look at. */
int state_gc(struct state *s, gc_report_fn report, void *data, char *notes,
	     size_t notes_len, struct errmsg *err);

/* Only the records of this namespace's devices that are gone (what detach
 * of a vanished device does): the number removed. */
int state_gc_devices(struct state *s, gc_report_fn report, void *data);

const char *gc_kind_name(enum gc_kind kind);

#endif
