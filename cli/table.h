/* SPDX-License-Identifier: MIT */
/* The steering table of one attach device: the pinned maps of the built-in
 * program under /sys/fs/bpf/tcsteer/<dev>/ (see prog/include/steer_maps.h).
 * Editing the pins edits the live table of the attached program. */
#ifndef TCSTEER_CLI_TABLE_H
#define TCSTEER_CLI_TABLE_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>

#include "cmd.h"
#include "steer_maps.h"

struct steer_table {
	char dev[IF_NAMESIZE];
	int v4, v6, stats;      /* map fds */
	unsigned int ncpus;     /* possible CPUs: per-CPU value count */
};

struct route_entry {
	struct ipaddr prefix;
	struct steer_route route;
};

/* Which table a route command means: `requested` if set, else the only
 * device under /sys/fs/bpf/tcsteer that has one. */
int table_resolve(const char *requested, char dev[IF_NAMESIZE], struct errmsg *err);

/* Open the pinned maps of dev's table. With create, make them (from the
 * built-in program's definitions) when they do not exist yet. */
int table_open(struct steer_table *t, const char *dev, bool create,
	       struct errmsg *err);
void table_close(struct steer_table *t);

/* All routes, IPv4 first; *out is malloc'ed. */
int table_list(const struct steer_table *t, struct route_entry **out,
	       size_t *n, struct errmsg *err);
/* 0 and *r filled, or -ENOENT. */
int table_get(const struct steer_table *t, const struct ipaddr *prefix,
	      struct steer_route *r);
int table_put(const struct steer_table *t, const struct ipaddr *prefix,
	      const struct steer_route *r, struct errmsg *err);
int table_del(const struct steer_table *t, const struct ipaddr *prefix,
	      struct errmsg *err);

/* A slot no route uses (>= 1), or -ENOSPC. */
int table_free_slot(const struct steer_table *t, struct errmsg *err);
/* Sum of the per-CPU counters of a slot; reset sets them to zero. */
int table_counter(const struct steer_table *t, unsigned int slot,
		  struct steer_counter *sum, struct errmsg *err);
int table_counter_reset(const struct steer_table *t, unsigned int slot,
			struct errmsg *err);
/* The per-CPU counters of a slot as they are (t->ncpus of them, *out is
 * malloc'ed), and putting such a copy back: a batch that rolls back the
 * deletion of a route restores its counts too, which a later route of the
 * batch may have reset by taking its slot. */
int table_counter_copy(const struct steer_table *t, unsigned int slot,
		       struct steer_counter **out, struct errmsg *err);
int table_counter_set(const struct steer_table *t, unsigned int slot,
		      const struct steer_counter *percpu, struct errmsg *err);

#endif
