/* SPDX-License-Identifier: MIT */
/* Learners and the learn side of tables, kept in step with the learn
 * routes (learners.h). */
#include "learners.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf_sys.h"
#include "hooks.h"
#include "learn.h"
#include "program.h"
#include "session.h"
#include "tables.h"

/* Interfaces, and hooks using a table, one table can have at most. */
#define LEARN_IFS_MAX 256

struct wanted {
	uint32_t ifindex[LEARN_IFS_MAX];
	size_t n;
	size_t nroutes;         /* learn routes */
};

static bool is_wanted(const struct wanted *w, uint32_t ifindex)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		if (w->ifindex[i] == ifindex)
			return true;
	return false;
}

/* The interfaces the table's learn routes name, and extra's if it is one. */
static int wanted_of(const struct steer_table *t, const struct steer_route *extra,
		     struct wanted *w, struct errmsg *err)
{
	int r, i;

	r = learn_route_ifindexes(t, w->ifindex, LEARN_IFS_MAX, &w->n, &w->nroutes, err);
	if (r || !extra || !(extra->flags & STEER_ROUTE_LEARN))
		return r;
	w->nroutes++;
	for (i = 0; i < STEER_LEARN_MAX && extra->learn_ifindex[i]; i++)
		if (!is_wanted(w, extra->learn_ifindex[i]) && w->n < LEARN_IFS_MAX)
			w->ifindex[w->n++] = extra->learn_ifindex[i];
	return 0;
}

static int records_error(int r, struct errmsg *err)
{
	return errmsg_set(err, -r, "cannot read tcsteer's records in this network "
			  "namespace: %s", strerror(-r));
}

/* The hooks where a steering program of tcsteer's (anything recorded on
 * the table's maps but a learner) uses the table. */
static int table_users(struct state *s, const struct steer_table *t, struct learn_hook *users,
		       size_t *n, struct errmsg *err)
{
	int r = learn_table_users(s, t, false, users, LEARN_IFS_MAX, n);

	return r ? records_error(r, err) : 0;
}

/* The mode the table's steering program runs in (the first one found):
 * learners take it, so that where tcx programs would shadow a clsact
 * filter (Cilium's), the learners run among them too. */
static int table_mode(struct state *s, struct tc_conn *conn, const struct learn_hook *user,
		      enum attach_mode *mode, struct errmsg *err)
{
	struct hook_scan hs;
	int r = hook_scan(s, conn, user->ifindex, user->hook, &hs, err);

	if (r)
		return r;
	*mode = hs.cur_mode == MODE_TCX ? MODE_TCX : MODE_CLSACT;
	hook_scan_free(&hs);
	return 0;
}

static void dev_of(uint32_t ifindex, char dev[IF_NAMESIZE])
{
	if (!if_indextoname(ifindex, dev))
		snprintf(dev, IF_NAMESIZE, "if%u", ifindex);
}

/* A learner may go on a hook where tcsteer runs nothing, or this table's
 * learner (of another build, or attached with another mode). */
static int hook_free_for(struct state *s, struct tc_conn *conn, const struct steer_table *t,
			 int ifindex, const char *dev, struct errmsg *err)
{
	struct bpf_prog_info info;
	struct hook_scan hs;
	int fd, r;

	r = hook_scan(s, conn, ifindex, HOOK_INGRESS, &hs, err);
	if (r || !hs.cur_id) {
		if (!r)
			hook_scan_free(&hs);
		return r;
	}
	fd = hook_prog_open(s, &hs, hs.cur_id, NULL);
	if (fd >= 0 && learn_is_learner_of(fd, t))
		r = 0;
	else if (fd >= 0 && !bpf_sys_prog_get_info(fd, &info, NULL))
		r = errmsg_set(err, EBUSY, "%s ingress runs tcsteer's program %s (id %u), not "
			       "the learner of table %s: a learn route needs that hook "
			       "(detach dev %s ingress first)", dev, info.name, hs.cur_id,
			       t->name, dev);
	else
		r = errmsg_set(err, EBUSY, "%s ingress runs a program of tcsteer's (id %u) it "
			       "cannot tell: a learn route needs that hook", dev, hs.cur_id);
	if (fd >= 0)
		close(fd);
	hook_scan_free(&hs);
	return r;
}

/* The attach command of table's learner on the interface. */
static int learner_cmd(const char *table, uint32_t ifindex, struct cmd *c,
		       struct errmsg *err)
{
	memset(c, 0, sizeof(*c));
	c->kind = CMD_ATTACH;
	c->hook = HOOK_INGRESS;
	c->program = STEER_PROG_LEARN;
	c->ifindex = (int)ifindex;
	snprintf(c->table, sizeof(c->table), "%s", table);
	if (!if_indextoname(ifindex, c->dev))
		return errmsg_set(err, ENODEV, "the learn interface if%u of table %s is gone: "
				  "add its routes again with the interface as it is now",
				  ifindex, table);
	return 0;
}

/* The table's learner on the interface; a gone interface (a learn route
 * that still names it) is only warned about: the table's other routes
 * must not fail for it. */
static int attach_learner(struct state *s, struct tc_conn *conn, const struct steer_table *t,
			  uint32_t ifindex, enum attach_mode mode, struct errmsg *err)
{
	struct cmd c;

	if (learner_cmd(t->name, ifindex, &c, NULL)) {
		fprintf(stderr, "tcsteer: warning: the learn interface if%u of table %s is "
			"gone: add the routes that name it again with the interface as it "
			"is now\n", ifindex, t->name);
		return 0;
	}
	c.mode = mode;
	return hook_free_for(s, conn, t, c.ifindex, c.dev, err) ?: run_attach(&c, NULL, err);
}

static int detach_learner(const struct learn_hook *h, struct errmsg *err)
{
	struct cmd c = { .kind = CMD_DETACH, .hook = h->hook, .ifindex = h->ifindex };

	dev_of((uint32_t)h->ifindex, c.dev);
	vlog("%s %s: its learner is not needed any more", c.dev, hook_name(h->hook));
	return run_detach(&c, err);
}

int learn_sync(struct state *s, struct tc_conn *conn, struct steer_table *t,
	       const struct steer_route *extra, uint32_t flows, enum learn_sync how,
	       struct errmsg *err)
{
	struct learn_hook users[LEARN_IFS_MAX], learners[LEARN_IFS_MAX];
	enum attach_mode mode = MODE_CLSACT;
	size_t nusers, n, i;
	struct wanted w;
	int r;

	r = wanted_of(t, extra, &w, err) ?: table_users(s, t, users, &nusers, err);
	if (r)
		return r;
	if (w.nroutes && how == LEARN_SYNC_ALL) {
		r = learn_enable(s, t, flows, false, err);
		if (!r && nusers)
			r = table_mode(s, conn, &users[0], &mode, err);
		for (i = 0; !r && nusers && i < w.n; i++)
			r = attach_learner(s, conn, t, w.ifindex[i], mode, err);
		if (r)
			return r;
	}
	r = learn_table_users(s, t, true, learners, LEARN_IFS_MAX, &n);
	if (r)
		return records_error(r, err);
	for (i = 0; i < n; i++)
		if (!nusers || learners[i].hook != HOOK_INGRESS ||
		    !is_wanted(&w, (uint32_t)learners[i].ifindex)) {
			r = detach_learner(&learners[i], err);
			if (r)
				return r;
		}
	return w.nroutes ? 0 : learn_disable(s, t, err);
}

/* The pinned table a hook's program (tcsteer's) uses, unless that program
 * is a learner: 0 and *t, or -ENOENT. */
static int steering_table_of(struct state *s, struct tc_conn *conn, int ifindex, enum hook h,
			     struct steer_table *t, uint32_t *prog_id)
{
	struct bpf_prog_info info;
	struct hook_scan hs;
	int fd, r = -ENOENT;

	*prog_id = 0;
	if (hook_scan(s, conn, ifindex, h, &hs, NULL))
		return -ENOENT;
	*prog_id = hs.cur_id;
	fd = hs.cur_id ? hook_prog_open(s, &hs, hs.cur_id, NULL) : -ENOENT;
	if (fd >= 0 && !bpf_sys_prog_get_info(fd, &info, NULL) &&
	    strcmp(info.name, STEER_PROG_LEARN))
		r = learn_table_of_prog(s, fd, t);
	if (fd >= 0)
		close(fd);
	hook_scan_free(&hs);
	return r;
}

static bool has_learn_routes(const struct steer_table *t)
{
	uint32_t ifs[LEARN_IFS_MAX];
	size_t n, nroutes = 0;

	return !learn_route_ifindexes(t, ifs, LEARN_IFS_MAX, &n, &nroutes, NULL) && nroutes;
}

/* --dry-run attach of a table with learn routes: its learners too. */
static int dry_run_learners(const struct cmd *c, struct errmsg *err)
{
	char table[IF_NAMESIZE];
	struct steer_table t;
	struct hook_scan hs;
	struct tc_conn *conn;
	struct state *s;
	struct wanted w;
	struct cmd a;
	size_t i;
	int r;

	if (c->object || session_open(STATE_READ, &conn, &s, NULL))
		return 0;
	snprintf(table, sizeof(table), "%s", c->table);
	if (!table[0]) {
		if (hook_scan(s, conn, c->ifindex, c->hook, &hs, NULL))
			return 0;
		r = default_table(s, c->dev, c->ifindex, &hs, table, NULL);
		hook_scan_free(&hs);
		if (r)
			return 0;
	}
	if (table_open_pinned(s, table, &t, NULL))
		return 0;
	r = wanted_of(&t, NULL, &w, NULL);
	table_close(&t);
	if (r || !w.nroutes)
		return 0;
	for (i = 0; !r && i < w.n; i++) {
		r = learner_cmd(table, w.ifindex[i], &a, err);
		if (!r) {
			printf("# and, for the learn routes of table %s, the learner on %s "
			       "ingress:\n", table, a.dev);
			r = run_attach(&a, NULL, err);
		}
	}
	return r;
}

int learn_attach(const struct cmd *c, struct errmsg *err)
{
	struct attached done = { 0 };
	struct steer_table t;
	struct tc_conn *conn;
	struct state *s;
	int r;

	/* Nothing before run_attach: its first steps (the tcx probe) must
	 * come first. The learner itself, attached by hand, changes
	 * nothing else. */
	r = run_attach(c, &done, err);
	if (r || (c->program && !strcmp(c->program, STEER_PROG_LEARN)))
		return r;
	if (g_opts.dry_run)
		return dry_run_learners(c, err);
	r = session_open(STATE_WRITE, &conn, &s, err);
	/* The usual attach (a table that never had a learn route) costs one
	 * access() here: a batch of many attaches scans no hook again. */
	if (r || !done.table[0] || !learn_table_may_learn(s, done.table) ||
	    table_open_pinned(s, done.table, &t, NULL))
		return r;
	if (has_learn_routes(&t)) {
		/* A steering program loaded now (the hook's was replaced)
		 * gets this tcsteer's lookup (the jump's contract is the
		 * program's); one that was kept keeps what runs, and only
		 * what is missing is made. */
		r = learn_enable(s, &t, 0, program_loaded_here(done.prog_id), err) ?:
		    learn_sync(s, conn, &t, NULL, 0, LEARN_SYNC_ALL, err);
		if (r)
			errmsg_prefix(err, "attached, but the learn routes of table %s are not "
				      "in place", t.name);
	}
	table_close(&t);
	return r;
}

int learn_detach(const struct cmd *c, struct errmsg *err)
{
	struct steer_table t;
	struct tc_conn *conn;
	struct state *s;
	bool had = false;
	uint32_t id;
	int r;

	r = session_open(STATE_WRITE, &conn, &s, err);
	if (r)
		return r;
	if (c->ifindex)
		had = steering_table_of(s, conn, c->ifindex, c->hook, &t, &id) == 0;
	r = run_detach(c, err);
	if (!r && had)
		r = learn_sync(s, conn, &t, NULL, 0, LEARN_SYNC_PRUNE, err);
	if (had)
		table_close(&t);
	return r;
}

void learn_sync_all(void)
{
	char (*names)[IF_NAMESIZE] = NULL;
	struct steer_table t;
	struct tc_conn *conn;
	struct state *s;
	size_t n = 0, i;

	if (session_open(STATE_WRITE, &conn, &s, NULL) ||
	    table_list_pinned(s, &names, &n, NULL))
		return;
	for (i = 0; i < n; i++) {
		if (table_open_pinned(s, names[i], &t, NULL))
			continue;
		if (t.format == STEER_FORMAT_VERSION && t.tail >= 0)
			learn_sync(s, conn, &t, NULL, 0, LEARN_SYNC_ALL, NULL);
		table_close(&t);
	}
	free(names);
}

/* The learners of this namespace whose table is not pinned here any more
 * (gc removed it with its device): every learner, less those of a table. */
static int orphans(struct state *s, void (*fn)(const char *, const char *, void *),
		   void *data)
{
	struct learn_hook all[LEARN_IFS_MAX], mine[LEARN_IFS_MAX];
	char (*names)[IF_NAMESIZE] = NULL;
	bool owned[LEARN_IFS_MAX] = { false };
	size_t n = 0, nall, nmine, i, j, k;
	struct steer_table t;
	int gone = 0;

	/* Anything that cannot be read leaves every learner alone: one of
	 * them might be the learner of a table that was not read. */
	if (learn_all_learners(s, all, LEARN_IFS_MAX, &nall) ||
	    table_list_pinned(s, &names, &n, NULL))
		return 0;
	for (i = 0; i < n; i++) {
		int r = table_open_pinned(s, names[i], &t, NULL);

		if (r == 0) {
			r = learn_table_users(s, &t, true, mine, LEARN_IFS_MAX, &nmine);
			table_close(&t);
		}
		if (r) {
			free(names);
			return 0;
		}
		for (j = 0; j < nmine; j++)
			for (k = 0; k < nall; k++)
				owned[k] |= all[k].ifindex == mine[j].ifindex &&
					    all[k].hook == mine[j].hook;
	}
	free(names);
	for (k = 0; k < nall; k++) {
		char dev[IF_NAMESIZE];

		if (owned[k])
			continue;
		dev_of((uint32_t)all[k].ifindex, dev);
		if (detach_learner(&all[k], NULL) == 0) {
			gone++;
			if (fn)
				fn(dev, "", data);
		}
	}
	return gone;
}

int learn_gc(void (*fn)(const char *dev, const char *table, void *data), void *data)
{
	char (*names)[IF_NAMESIZE] = NULL;
	struct learn_hook before[LEARN_IFS_MAX], after[LEARN_IFS_MAX];
	struct steer_table t;
	struct tc_conn *conn;
	struct state *s;
	size_t n = 0, i, j, k, nb, na;
	int gone = 0;

	if (session_open(STATE_WRITE, &conn, &s, NULL) ||
	    table_list_pinned(s, &names, &n, NULL))
		return 0;
	for (i = 0; i < n; i++) {
		if (table_open_pinned(s, names[i], &t, NULL))
			continue;
		if (t.format == STEER_FORMAT_VERSION && t.tail >= 0 &&
		    !learn_table_users(s, &t, true, before, LEARN_IFS_MAX, &nb)) {
			learn_sync(s, conn, &t, NULL, 0, LEARN_SYNC_PRUNE, NULL);
			if (learn_table_users(s, &t, true, after, LEARN_IFS_MAX, &na)) {
				/* Not known: report none as gone. */
				memcpy(after, before, nb * sizeof(*before));
				na = nb;
			}
			for (j = 0; j < nb; j++) {
				char dev[IF_NAMESIZE];
				bool kept = false;

				for (k = 0; k < na; k++)
					kept |= after[k].ifindex == before[j].ifindex &&
						after[k].hook == before[j].hook;
				if (kept)
					continue;
				gone++;
				dev_of((uint32_t)before[j].ifindex, dev);
				if (fn)
					fn(dev, t.name, data);
			}
		}
		table_close(&t);
	}
	free(names);
	return gone + orphans(s, fn, data);
}

int learn_dry_run(const struct cmd *c, struct errmsg *err)
{
	char table[IF_NAMESIZE + 8], prefix[64];
	struct steer_table t;
	struct tc_conn *conn;
	struct state *s;
	struct cmd a;
	int r, i;

	r = session_open(STATE_READ, &conn, &s, err);
	if (r)
		return r;
	snprintf(table, sizeof(table), "%s", c->table[0] ? c->table : "?");
	if (resolve_table(s, conn, c->table, TABLE_READ, &t, NULL) == 0) {
		snprintf(table, sizeof(table), "%s", t.name);
		table_close(&t);
	}
	format_ipaddr(&c->prefix, prefix, sizeof(prefix));
	printf("# dry run: nothing is loaded, attached or written; route add %s learn "
	       "puts a learner on the ingress of", prefix);
	for (i = 0; i < c->nlearn; i++)
		printf(" %s", c->learn_dev[i]);
	printf(" (while a steering program uses table %s) and gives the table a flow "
	       "table of %u entries if it has none\n", table,
	       c->flows ? c->flows : STEER_FLOWS_DEFAULT);
	for (i = 0; !r && i < c->nlearn; i++) {
		r = learner_cmd(table, (uint32_t)c->learn_ifindex[i], &a, err);
		if (!r) {
			printf("# the learner on %s ingress:\n", a.dev);
			r = run_attach(&a, NULL, err);
		}
	}
	return r;
}
