/* SPDX-License-Identifier: MIT */
/* The learn side of a steering table (prog/steer_learn.h): what learn
 * routes need besides their routes.
 *
 *   steer_flows[0]   the flow table, an LRU hash the size `route add ...
 *                    learn ... flows N` gave (STEER_FLOWS_DEFAULT when
 *                    none did), pinned next to the table as
 *                    steer_flow_lru so that it can be read without
 *                    CAP_SYS_ADMIN
 *   steer_tail[0]    the lookup program (steer_reply), loaded onto the
 *                    table's maps; the steering program jumps there for a
 *                    packet of a learn route
 *
 * Both slots are filled while the table has a learn route and empty
 * otherwise, so a table without learn routes costs two one-slot maps. The
 * learners on the interfaces' ingress hooks are attachments like any other
 * and the CLI's (cli/learn.c). Learn routes need pins that outlive the
 * process: the kernel empties a PROG_ARRAY when its last user reference
 * (an fd or a pin) goes, and steer_tail would fall through for good. */
#ifndef TCSTEER_STATE_LEARN_H
#define TCSTEER_STATE_LEARN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "table.h"

struct learn_info {
	uint32_t lru_id;        /* the flow table in steer_flows' slot, 0: none */
	uint32_t size;          /* its max_entries (0 if it cannot be opened) */
	uint32_t reply_id;      /* the program in steer_tail's slot, 0: none */
};

/* What the table's slots hold now; all zero for a table without them. */
int learn_info(struct state *s, const struct steer_table *t, struct learn_info *li);

/* Can this table take learn routes? 0, or -errno with a message: it has
 * no steer_tail (made by an earlier tcsteer), or nothing can be pinned. */
int learn_check(struct state *s, const struct steer_table *t, struct errmsg *err);

/* Fill both slots for the table's first learn route. size: the flow
 * table's (0: the one it has, or STEER_FLOWS_DEFAULT for a new one); a
 * table of another size is replaced by one of this size holding its
 * flows. reload: put a freshly loaded lookup program in place even if one
 * is there (an attach of this tcsteer replaces an older one's). */
int learn_enable(struct state *s, struct steer_table *t, uint32_t size, bool reload,
		 struct errmsg *err);

/* Empty both slots (the last learn route went) and remove the flow
 * table's pin. No-op for a table without them. */
int learn_disable(struct state *s, struct steer_table *t, struct errmsg *err);

/* The flow table, opened through its pin or by id (CAP_SYS_ADMIN): an fd,
 * or -ENOENT if the table has none. */
int learn_flow_table(struct state *s, const struct steer_table *t, struct errmsg *err);

/* The interfaces the table's learn routes name (sorted, each once; at
 * most max), and how many learn routes there are. */
int learn_route_ifindexes(const struct steer_table *t, uint32_t *ifindexes, size_t max,
			  size_t *n, size_t *nroutes, struct errmsg *err);

/* Is program prog_fd the learner (STEER_PROG_LEARN) of table t? */
bool learn_is_learner_of(int prog_fd, const struct steer_table *t);

/* The hooks of this namespace whose recorded program uses table t (by its
 * routes map): its learners (learners true) or the other programs, its
 * steering programs (false). At most max; devices that are gone are left
 * out (their records are gc's). -errno if a record could not be read. */
struct learn_hook {
	int ifindex;
	enum hook hook;
};
int learn_table_users(struct state *s, const struct steer_table *t, bool learners,
		      struct learn_hook *out, size_t max, size_t *n);

/* Every hook of this namespace whose recorded program is a learner, of
 * whichever table. */
int learn_all_learners(struct state *s, struct learn_hook *out, size_t max, size_t *n);

/* Could table `name` have learn routes? false only when it has no pinned
 * flow-table slot (steer_flows): the first learn route makes one, and it
 * stays. One access(), for the attaches that need not open the table. */
bool learn_table_may_learn(struct state *s, const char *name);

/* The pinned table whose routes program prog_fd uses: 0 and *t open, or
 * -ENOENT. */
int learn_table_of_prog(struct state *s, int prog_fd, struct steer_table *t);

struct flow_entry {
	struct steer_flow_key key;
	struct steer_flow flow;
};

/* Every entry of the flow table fd (malloc'ed array). */
int learn_list_flows(int fd, struct flow_entry **out, size_t *n, struct errmsg *err);

#endif
