/* SPDX-License-Identifier: MIT */
/* What tcsteer remembers, per network namespace.
 *
 * The kernel is the source of truth where it can be: the filter on a hook
 * names its program, the program names its maps, and every program tcsteer
 * attaches holds a small map of its own (tcsteer_meta, see meta.h) that
 * says it is tcsteer's and which table it uses. A later command, in any
 * mount namespace, finds the table of an attached program from the device
 * it runs on. What has to outlive the process without another owner is
 * pinned, under a directory named after the network namespace:
 *
 *   <bpffs>/tcsteer/netns/<cookie>/
 *       if<ifindex>/prog_egress     record: the program tcsteer attached to
 *       if<ifindex>/prog_ingress    that hook (what proves a filter is
 *                                   tcsteer's when the kernel cannot be
 *                                   asked, e.g. without CAP_SYS_ADMIN)
 *       table-<name>/steer_v4 ...   a steering table: kept across detach,
 *                                   loaded before an attach, reachable
 *                                   with the least privilege
 *       table-<name>/tcsteer_meta   its identity (name, owner device, format)
 *       prog<id>/<map>              maps a program needs that the kernel
 *                                   empties on the last user reference
 *                                   (tail-call tables)
 *
 * Devices are named by ifindex, which does not change when a device is
 * renamed and is never shared with another namespace's devices; tables by
 * name (by default the attach device's name), which stays when the device
 * is renamed. A namespace never sees another's directory, and `tcsteer gc`
 * removes the directories of namespaces and devices that are gone.
 * docs/design.md has the why of each choice. */
#ifndef TCSTEER_STATE_STATE_H
#define TCSTEER_STATE_STATE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "errmsg.h"
#include "hook.h"
#include "netns.h"
#include "root.h"

#define STATE_DIR "tcsteer"
#define STATE_NETNS_DIR "tcsteer/netns"
/* How long a command waits for another one in the same namespace. */
#define STATE_LOCK_TIMEOUT_MS 30000

enum state_mode {
	STATE_READ,             /* show, route show: no lock, never mounts */
	STATE_WRITE,            /* changes state: locked, mounts bpffs if needed */
};

struct state {
	struct state_root root;
	struct netns_id ns;
	char dir[96];                   /* <bpffs>/tcsteer/netns/<id>, "" without bpffs */
	bool dir_made;
	int lock_fd;                    /* -1: not locked */
	bool writable;                  /* opened with STATE_WRITE */
	int by_id;                      /* -1 not known yet, 0 no, 1 programs and
					   maps may be opened by id (CAP_SYS_ADMIN) */
	void (*note)(const char *fmt, va_list ap); /* -v notes, may be NULL */
};

/* Open this namespace's state; sock_fd is any socket of the caller (its
 * netns cookie names the namespace). */
int state_open(struct state *s, int sock_fd, enum state_mode mode,
	       struct errmsg *err);
void state_close(struct state *s);

/* Pins made now outlive the process. */
static inline bool state_can_pin(const struct state *s)
{
	return s->root.found && s->root.durable;
}

/* One line for errors: why nothing can be pinned. */
const char *state_why_no_pins(const struct state *s);

/* "<dir>/<rel>" into out; -ENAMETOOLONG if it does not fit. */
int state_path(const struct state *s, char *out, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Create this namespace's directory (and tcsteer/, tcsteer/netns/) if it
 * is not there yet, then "<dir>/<rel>" if rel is not NULL. */
int state_mkdir(struct state *s, const char *rel, struct errmsg *err);

/* Mount the bpffs where state_open() found none, before a command that
 * will pin changes anything (state_can_pin() says whether that can work). */
int state_prepare_pins(struct state *s, struct errmsg *err);

/* Remove path and everything in it (pins and directories). */
int state_remove_tree(const char *path);

/* Programs and maps may be opened by id: probed once (CAP_SYS_ADMIN). */
bool state_by_id(struct state *s);

void state_note(const struct state *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
