/* SPDX-License-Identifier: MIT */
/* Private to table*.c. */
#ifndef TCSTEER_STATE_TABLE_INTERNAL_H
#define TCSTEER_STATE_TABLE_INTERNAL_H

#include "load.h"
#include "object.h"
#include "table.h"

/* An empty (closed) table named name, with the CPU count set. */
void table_init(struct steer_table *t, const char *name);

/* The number of possible CPUs: how many values a per-CPU map holds. */
unsigned int possible_cpus(void);

/* The built-in program's maps, created (and pinned in pin_dir unless it is
 * NULL) without loading the program; *obj and *lo are the caller's to
 * close. */
int table_new_maps(const char *pin_dir, struct loaded_object *lo,
		   struct object_spec *obj, struct errmsg *err);


#endif
