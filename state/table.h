/* SPDX-License-Identifier: MIT */
/* Steering tables: the maps of the built-in program (prog/include/
 * steer_maps.h) that hold the routes, and their identity (a tcsteer_meta).
 *
 * A table is reached either through its pins (<netns dir>/table-<name>/,
 * which works with the least privilege and while no program uses it) or
 * through the program attached to a hook (its maps by id, CAP_SYS_ADMIN:
 * how a command finds the table when the pins are in another mount
 * namespace or were never made). Editing either edits the live table. */
#ifndef TCSTEER_STATE_TABLE_H
#define TCSTEER_STATE_TABLE_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipaddr.h"
#include "meta.h"
#include "state.h"
#include "steer_maps.h"

struct steer_table {
	char name[IF_NAMESIZE];
	int v4, v6, stats;      /* the steering maps */
	int meta;               /* its tcsteer_meta, -1 if it has none (yet) */
	/* Learn routes' (learn.h): the jump to the lookup (every table made
	 * by this tcsteer has it) and the flow table's slot (made with the
	 * first learn route); -1 where the table has none. */
	int tail, flows;
	struct tcsteer_meta info;
	uint32_t format;        /* STEER_FORMAT_VERSION, or 1 for tcsteer 0.1's */
	uint32_t stats_id;      /* the counters map's id: the table's identity */
	bool pinned;            /* its maps are pinned in this namespace */
};

struct route_entry {
	struct ipaddr prefix;
	struct steer_route route;
};

/* <netns dir>/table-<name> (name escaped: bpffs refuses dots, and escaping
 * keeps eth0.100 and eth0_100 apart). */
int table_dir(const struct state *s, const char *name, char *out, size_t len);

/* Open the pinned table `name`: 0, -ENOENT if there is none. */
int table_open_pinned(struct state *s, const char *name, struct steer_table *t,
		      struct errmsg *err);
/* Open the table a program uses, by the ids of its maps: 0, -ENOENT if it
 * has no steering maps, -EPERM without CAP_SYS_ADMIN. */
int table_open_prog(int prog_fd, struct steer_table *t, struct errmsg *err);
/* Create and pin a new, empty table; owner_ifindex: the device whose own
 * table it is (0: a table named for itself). */
int table_create(struct state *s, const char *name, uint32_t owner_ifindex,
		 struct steer_table *t, struct errmsg *err);
/* Pin a table reached through a program (and give it a tcsteer_meta if it
 * has none), so that it outlives the program. No-op if pinned. */
int table_pin(struct state *s, struct steer_table *t, struct errmsg *err);
/* Unpin the table (the maps live on while a program uses them). */
int table_unpin(struct state *s, const char *name, struct errmsg *err);
void table_close(struct steer_table *t);

/* The tcsteer_meta pinned in table name's directory: an fd and *m, or
 * -ENOENT. A table of an object's own maps (no steering maps) has one too. */
int table_meta_open(struct state *s, const char *name, struct tcsteer_meta *m);
/* A new tcsteer_meta for table name, pinned in its directory: an fd. */
int table_meta_create(struct state *s, const char *name, uint32_t format,
		      uint32_t owner_ifindex, struct errmsg *err);

/* The name of the pinned table whose tcsteer_meta names ifindex as its
 * owner, "" if none (a device renamed since its table was made). Under
 * the lock, the owners are read once per process and kept up to date by
 * table_meta_create() and table_unpin(): a batch of N attaches looks at
 * the pins once, not N times. */
void table_owned_by(struct state *s, uint32_t ifindex, char name[IF_NAMESIZE]);
/* What changes the owners kept: a table given an owner, and anything that
 * removes or moves tables (which drops what was kept). */
void table_owner_note(struct state *s, const char *name, uint32_t ifindex);
void table_owners_forget(struct state *s);

/* Names of this namespace's pinned tables (malloc'ed array). */
int table_list_pinned(struct state *s, char (**names)[IF_NAMESIZE], size_t *n,
		      struct errmsg *err);

/* A table of tcsteer 0.1's format gets new maps of the current format with
 * the same routes and counters, pinned over the old ones if they were
 * pinned. Programs that use the old maps keep them until they are
 * replaced. */
int table_upgrade(struct state *s, struct steer_table *t, struct errmsg *err);

/* -EPROTO with the message that says how to upgrade a table of tcsteer 0.1. */
int table_old_format(const struct steer_table *t, struct errmsg *err);

/* Routes. These need the current format: -EPROTO (with a message that says
 * to attach, which upgrades) on a table of tcsteer 0.1. */
int table_list(const struct steer_table *t, struct route_entry **out, size_t *n,
	       struct errmsg *err);
/* 0 and *r filled, or -ENOENT: the exact prefix, not a longer match. */
int table_get(const struct steer_table *t, const struct ipaddr *prefix,
	      struct steer_route *r);
int table_put(const struct steer_table *t, const struct ipaddr *prefix,
	      const struct steer_route *r, struct errmsg *err);
int table_del(const struct steer_table *t, const struct ipaddr *prefix,
	      struct errmsg *err);

/* A slot no route uses (>= 1), or -ENOSPC. Unique while the caller holds
 * the namespace lock. */
int table_free_slot(const struct steer_table *t, struct errmsg *err);
/* Counters of a slot: summed over the CPUs, reset, copied and put back
 * (the per-CPU values as they are; a batch rollback restores them). */
int table_counter(const struct steer_table *t, unsigned int slot,
		  struct steer_counter *sum, struct errmsg *err);
int table_counter_reset(const struct steer_table *t, unsigned int slot,
			struct errmsg *err);
int table_counter_copy(const struct steer_table *t, unsigned int slot,
		       struct steer_counter **out, struct errmsg *err);
int table_counter_set(const struct steer_table *t, unsigned int slot,
		      const struct steer_counter *percpu, struct errmsg *err);

#endif
