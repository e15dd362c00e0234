/* SPDX-License-Identifier: MIT */
/* Taking over the state of tcsteer 0.1, which kept it by name directly
 * under <bpffs>/tcsteer/: <dev>/prog_<hook> records (dots in names became
 * underscores) and <table>/steer_* maps, in no namespace.
 *
 * Nothing says which network namespace such a directory belonged to, so it
 * moves into the namespace that proves it is its own: the one where the
 * recorded program runs on a device of that name (legacy_adopt_hook), or
 * the one whose command names the table (legacy_adopt_table). Tables keep
 * 0.1's format until a program is attached to them, which upgrades them
 * (table_upgrade). `tcsteer gc` reports what is left. */
#ifndef TCSTEER_STATE_LEGACY_H
#define TCSTEER_STATE_LEGACY_H

#include <net/if.h>
#include <stddef.h>
#include <stdint.h>

#include "state.h"

/* If 0.1's record of dev's hook names prog_id (which runs there): move the
 * record to ifindex's, and the program's table along, and give the program
 * a tcsteer_meta. 1 if taken over, 0 if there was nothing to take. A state
 * opened for reading only (no lock) is not changed: 1 still says the
 * program is tcsteer's. */
int legacy_adopt_hook(struct state *s, const char *dev, int ifindex, enum hook h,
		      uint32_t prog_id);

/* Move 0.1's table `name` into this namespace: 0, -ENOENT if there is none. */
int legacy_adopt_table(struct state *s, const char *name, struct errmsg *err);

/* Does a program 0.1 recorded (in its own layout) use map map_id? */
bool legacy_uses_map(struct state *s, uint32_t map_id);

/* 0.1's directories that hold a table (malloc'ed names). */
int legacy_list_tables(struct state *s, char (**names)[IF_NAMESIZE], size_t *n);

/* Every 0.1 directory left: fn(path, data) for each. */
void legacy_each_dir(struct state *s, void (*fn)(const char *path, void *data),
		     void *data);

#endif
