/* SPDX-License-Identifier: MIT */
/* detach: remove tcsteer's filters and tcx links from a hook and forget its
 * records. The clsact qdisc, other tools' filters and programs and the
 * steering table stay: a later attach resumes with the same routes and
 * counters. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "attach.h"
#include "cmd.h"
#include "gc.h"
#include "hooks.h"
#include "record.h"
#include "session.h"
#include "tables.h"

/* The table outlives the filter only if it is pinned: pin it now if it
 * was reached through the kernel alone, or say that it goes. */
static void keep_table(struct state *s, const struct hook_scan *hs, const char *dev)
{
	struct steer_table t;
	struct errmsg e = { 0 };

	if (!hs->cur_id || table_of_hook(s, hs, &t, NULL))
		return;
	if (!t.pinned && (state_prepare_pins(s, &e) || table_pin(s, &t, &e)))
		fprintf(stderr, "tcsteer: warning: the steering table %s goes with %s's "
			"filter: %s\n", t.name, dev, e.text);
	table_close(&t);
}

static void note_gone(enum gc_kind kind, const char *what, const char *path,
		      bool removed, void *data)
{
	(void)kind;
	(void)removed;
	(void)data;
	vlog("forgot the state of %s (%s): the device is gone", what, path);
}

/* A device that is gone took its filters along: forget every record of a
 * gone device (its name no longer says which index it had). */
static int forget_gone(struct state *s, const struct cmd *c, struct errmsg *err)
{
	int n = state_gc_devices(s, note_gone, NULL);

	if (n > 0)
		return 0;
	return errmsg_set(err, ENODEV, "device \"%s\" not found", c->dev);
}

int run_detach(const struct cmd *c, struct errmsg *err)
{
	struct hook_scan hs;
	struct tc_conn *conn;
	struct state *s;
	size_t i, ours = 0;
	int r;

	r = session_open(STATE_WRITE, &conn, &s, err);
	if (r)
		return r;
	if (!c->ifindex)
		return forget_gone(s, c, err);
	r = hook_scan(s, conn, c->ifindex, c->hook, &hs, err);
	if (r)
		return r;
	for (i = 0; i < hs.n; i++)
		ours += hs.ours[i];
	for (i = 0; i < hs.tcx.count; i++)
		ours += hs.tcx_ours[i];
	if (!ours && !hs.record_id && hs.link_fd < 0) {
		r = errmsg_set(err, ENOENT, "nothing attached by tcsteer on %s %s%s", c->dev,
			       hook_name(c->hook), hs.unknown ? " that it can tell (no record, "
			       "and asking the kernel needs CAP_SYS_ADMIN)" : "");
	} else {
		if (!ours && hs.record_id)
			vlog("nothing ran program id %u any more; forgetting it", hs.record_id);
		keep_table(s, &hs, c->dev);
		r = retire_filters(s, conn, &hs, 0, err);
		r = r < 0 ? r : retire_links(s, &hs, 0, true, err);
		r = r < 0 ? r : record_remove(s, c->ifindex, c->hook, err);
		session_release_prog(hs.record_id);
	}
	hook_scan_free(&hs);
	return r;
}
