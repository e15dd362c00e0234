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

struct table_owner;

struct state {
	struct state_root root;
	struct netns_id ns;
	char dir[96];                   /* <bpffs>/tcsteer/netns/<id>, "" without bpffs */
	bool dir_made;
	/* dir was created by this process (under the lock) and nothing has
	 * been created in it since: it holds no pin, and looking for one
	 * there would be a system call for nothing. */
	bool fresh;
	/* The hook (record_key()) known to have no _old record: looked for
	 * in vain, or its if<N>/ made by this process. 0 if none. */
	int no_old;
	/* The names in dir (if<N>, table-<name>, prog<id>), read once when
	 * state_list_dir() asked for it, kept up to date by this process
	 * (under the lock), dropped by anything that removes one: what
	 * says, without a lookup each, that a record or table is not there
	 * (a batch attaching to many new devices). */
	bool list_dir;
	char (*entries)[64];            /* table-<15 chars escaped> fits */
	size_t nentries, entries_cap;
	bool entries_read;
	/* The owner device of every pinned table (table.h), read once per
	 * locked process when first asked for; NULL until then. */
	struct table_owner *owners;
	size_t nowners, owners_cap;
	/* This opening of the state (unique in the process), and how many
	 * times its records changed since: what a caller that keeps what it
	 * read (cli/hooks.c) checks before using it again. */
	unsigned long serial, changes;
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
/* The same; *made (may be NULL) says whether the directory asked for
 * (rel, or the namespace's) was created now, i.e. is empty. */
int state_make_dir(struct state *s, const char *rel, bool *made, struct errmsg *err);

/* A record was written, moved or removed. */
static inline void state_changed(struct state *s)
{
	s->changes++;
}

/* Keep the names in this namespace's directory (read once, at the first
 * lookup): for commands that look up many records and tables. */
static inline void state_list_dir(struct state *s)
{
	s->list_dir = true;
}

/* Could "<dir>/<rel>" exist? false when its first component is known not
 * to be in the directory. */
bool state_may_exist(struct state *s, const char *rel);

/* "<dir>/<name>" (a directory of its own) was removed, or something was
 * removed from the directory that this process did not follow (NULL). */
void state_gone(struct state *s, const char *name);

/* Nothing is pinned in this namespace's directory: it was created by
 * this process, which has created nothing in it since. */
static inline bool state_empty(const struct state *s)
{
	return s->fresh;
}

/* Mount the bpffs where state_open() found none, before a command that
 * will pin changes anything (state_can_pin() says whether that can work),
 * and make this namespace's directory. */
int state_prepare_pins(struct state *s, struct errmsg *err);

/* Remove path and everything in it (pins and directories). */
int state_remove_tree(const char *path);

/* Programs and maps may be opened by id: probed once (CAP_SYS_ADMIN). */
bool state_by_id(struct state *s);

void state_note(const struct state *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
