/* SPDX-License-Identifier: MIT */
/* gc: remove the state of network namespaces and devices that are gone,
 * and say what went (exit 0 when there was nothing to do). */
#include <stdio.h>

#include "cmd.h"
#include "gc.h"
#include "json.h"
#include "learners.h"
#include "session.h"

struct gc_out {
	struct json json;
};

static void report(enum gc_kind kind, const char *what, const char *path, bool removed,
		   void *data)
{
	struct gc_out *o = data;

	if (g_opts.json) {
		json_open_object(&o->json);
		json_kv_string(&o->json, "kind", gc_kind_name(kind));
		json_kv_string(&o->json, "name", what);
		json_kv_string(&o->json, "path", path);
		json_kv_bool(&o->json, "removed", removed);
		json_close_object(&o->json);
	} else if (removed) {
		printf("removed %s %s (%s)\n", gc_kind_name(kind), what, path);
	} else {
		printf("left %s: state of tcsteer 0.1; a command in its network namespace "
		       "moves it, or remove it\n", path);
	}
}

/* A learner gc detached: its table is gone, or nothing needs it. */
static void report_learner(const char *dev, const char *table, void *data)
{
	struct gc_out *o = data;

	if (g_opts.json) {
		json_open_object(&o->json);
		json_kv_string(&o->json, "kind", "learner");
		json_kv_string(&o->json, "name", dev);
		json_kv_string(&o->json, "table", table);
		json_kv_bool(&o->json, "removed", true);
		json_close_object(&o->json);
	} else if (table[0]) {
		printf("removed learner %s ingress (no learn route of table %s needs it, or "
		       "no steering program uses the table)\n", dev, table);
	} else {
		printf("removed learner %s ingress (its table is gone)\n", dev);
	}
}

int run_gc(const struct cmd *c, struct errmsg *err)
{
	struct gc_out o;
	struct state *s;
	char notes[200];
	int r;

	(void)c;
	r = session_state(STATE_WRITE, &s, err);
	if (r)
		return r;
	json_init(&o.json, stdout);
	if (g_opts.json)
		json_open_array(&o.json);
	r = state_gc(s, report, &o, notes, sizeof(notes), err);
	/* Learners follow the routes and the steering programs that are
	 * left (a device gone took its program along). */
	if (r >= 0)
		learn_gc(report_learner, &o);
	if (g_opts.json)
		json_close_array(&o.json);
	json_done(&o.json, r >= 0);
	if (notes[0])
		vlog("gc: %s", notes);
	return r < 0 ? r : 0;
}
