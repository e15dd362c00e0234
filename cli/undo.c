/* SPDX-License-Identifier: MIT */
#include "undo.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attach.h"
#include "bpf_sys.h"
#include "hooks.h"
#include "learners.h"
#include "route_nh.h"
#include "session.h"
#include "tables.h"

struct undo {
	enum { UNDO_ROUTE, UNDO_HOOK } kind;
	/* UNDO_ROUTE */
	char table[IF_NAMESIZE];
	struct ipaddr prefix;
	bool existed;
	struct steer_route old;
	struct steer_counter *counters; /* old's per-CPU counts, if existed */
	/* UNDO_HOOK */
	int ifindex;
	enum hook hook;
	struct hook_prior prior;        /* what the hook ran (prog_fd -1 for
					   nothing; the fd keeps that program
					   alive), in which mode and place */
};

static int note_route(struct undo *u, const struct cmd *c, struct errmsg *err)
{
	struct steer_table t;
	struct tc_conn *conn;
	struct state *s;
	int r;

	u->kind = UNDO_ROUTE;
	u->prefix = c->prefix;
	snprintf(u->table, sizeof(u->table), "%s", c->table);
	r = session_open(STATE_WRITE, &conn, &s, err);
	if (r)
		return r;
	/* A table the command will create has no route to put back. */
	r = resolve_table(s, conn, c->table, TABLE_READ, &t, err);
	if (r == -ENOENT && c->table[0])
		return 0;
	if (r)
		return r;
	snprintf(u->table, sizeof(u->table), "%s", t.name);
	u->existed = table_get(&t, &c->prefix, &u->old) == 0;
	if (u->existed)
		table_counter_copy(&t, u->old.slot, &u->counters, NULL);
	table_close(&t);
	return 0;
}

static int note_hook(struct undo *u, const struct cmd *c, struct errmsg *err)
{
	struct hook_scan hs;
	struct tc_conn *conn;
	struct state *s;
	int r;

	u->kind = UNDO_HOOK;
	u->hook = c->hook;
	u->ifindex = c->ifindex;
	u->prior.prog_fd = -1;
	if (!c->ifindex)
		return 0; /* detach of a device that is gone: nothing to put back */
	r = session_open(STATE_WRITE, &conn, &s, err) ?:
	    hook_scan(s, conn, c->ifindex, c->hook, &hs, err);
	if (r)
		return r;
	if (hs.cur_id) {
		hook_prior_of(&hs, &u->prior);
		u->prior.prog_fd = hook_prog_open(s, &hs, hs.cur_id, err);
		if (u->prior.prog_fd < 0)
			r = errmsg_prefix(err, "cannot hold the program %s %s runs", c->dev,
					  hook_name(c->hook));
	}
	hook_scan_free(&hs);
	return r;
}

int undo_note(struct undo_log *log, const struct cmd *c, struct errmsg *err)
{
	struct undo *grown, *u;
	int r;

	if (c->kind == CMD_SHOW || c->kind == CMD_ROUTE_SHOW || c->kind == CMD_FLOWS)
		return 0;
	/* Room doubles at each power of two (the capacity follows from n):
	 * one entry more each time made a batch of n routes copy O(n^2)
	 * bytes wherever realloc cannot grow in place (ASan: always). */
	if (log->n == 0 || (log->n >= 16 && !(log->n & (log->n - 1)))) {
		grown = reallocarray(log->entries, log->n ? 2 * log->n : 16,
				     sizeof(*grown));
		if (!grown)
			return errmsg_set(err, ENOMEM, "out of memory");
		log->entries = grown;
	}
	u = &log->entries[log->n];
	memset(u, 0, sizeof(*u));
	if (c->kind == CMD_ATTACH || c->kind == CMD_DETACH)
		r = note_hook(u, c, err);
	else
		r = note_route(u, c, err);
	if (r)
		return r;
	log->n++;
	return 0;
}

static void undo_route(const struct undo *u)
{
	struct steer_route now;
	struct steer_table t;
	struct tc_conn *conn;
	struct state *s;
	bool had;

	if (session_open(STATE_WRITE, &conn, &s, NULL) ||
	    resolve_table(s, conn, u->table, TABLE_WRITE, &t, NULL))
		return;
	had = table_get(&t, &u->prefix, &now) == 0;
	if (u->existed)
		table_put(&t, &u->prefix, &u->old, NULL);
	else
		table_del(&t, &u->prefix, NULL);
	/* Packets counted since the copy (a batch takes milliseconds) are
	 * lost; a reset to zero is not. */
	if (u->counters)
		table_counter_set(&t, u->old.slot, u->counters, NULL);
	/* The next hop the undone command made managed, if no route needs it. */
	if (had)
		nh_release_if_unused(s, conn, &t, &now);
	table_close(&t);
}

static void undo_release(struct undo *u)
{
	free(u->counters);
	if (u->kind == UNDO_HOOK && u->prior.prog_fd >= 0)
		close(u->prior.prog_fd);
}

void undo_all(struct undo_log *log)
{
	bool any = log->n > 0;

	while (log->n) {
		struct undo *u = &log->entries[--log->n];

		if (u->kind == UNDO_ROUTE)
			undo_route(u);
		else if (u->ifindex)
			hook_restore(u->ifindex, u->hook, &u->prior, NULL);
		undo_release(u);
	}
	/* Learners and flow tables follow the routes as they are again. */
	if (any)
		learn_sync_all();
}

void undo_free(struct undo_log *log)
{
	while (log->n)
		undo_release(&log->entries[--log->n]);
	free(log->entries);
	log->entries = NULL;
}
