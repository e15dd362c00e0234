/* SPDX-License-Identifier: MIT */
/* attach, and the make-before-break step its undo shares.
 *
 * attach is make-before-break: the new filter is added (with the Go tool's
 * exact message, prio 0, so the kernel gives it a priority ahead of every
 * existing filter), recorded, and only then are tcsteer's previous filters
 * on that hook deleted (and its tcx link, when the hook switches from mode
 * tcx). Whatever fails, the hook is never left without the filter that was
 * working before. Filters of other tools are never touched: hooks.h says
 * how tcsteer recognises its own. mode tcx is attach_tcx.c. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attach.h"
#include "bpf_sys.h"
#include "cmd.h"
#include "hooks.h"
#include "program.h"
#include "record.h"
#include "session.h"
#include "tables.h"
#include "tc.h"

/* --dry-run: the two messages attach would send, with placeholder
 * sequence numbers and program fd (nothing is loaded). */
static void print_dry_run(const struct cmd *c, const struct program *p)
{
	const int fd = 0; /* stands for the program's fd */
	char buf[TC_MSG_MAX], name[256];

	printf("# dry run: nothing is loaded or sent; fd %d stands for the program's fd\n", fd);
	printf("# 1. create or keep the clsact qdisc on %s (ifindex %d)\n", c->dev, c->ifindex);
	tc_print_message(stdout, tc_build_clsact(buf, 1, c->ifindex));
	tc_bpf_filter_name(name, sizeof(name), p->spec->name, fd);
	printf("# 2. add the %s filter running %s (section %s)\n",
	       hook_name(c->hook), p->spec->name, p->spec->section);
	tc_print_message(stdout, tc_build_bpf_filter(buf, 2, c->ifindex, hook_parent(c->hook),
						     fd, name));
}

/* The hook as it is, for a dry run (a read: no lock, nothing mounted). */
static bool dry_scan(const struct cmd *c, struct hook_scan *hs)
{
	struct tc_conn *conn;
	struct state *s;

	return session_open(STATE_READ, &conn, &s, NULL) == 0 &&
	       hook_scan(s, conn, c->ifindex, c->hook, hs, NULL) == 0;
}

/* --dry-run: what attach would do, nothing loaded, attached or pinned.
 * Without a mode, the hook's current one decides, as for a real run. */
static int dry_run(const struct cmd *c, struct errmsg *err)
{
	enum attach_mode mode = c->mode;
	struct hook_scan hs;
	struct program *p;
	bool scanned = false;
	char what[320];
	int r;

	r = program_get(c, c->table[0] ? c->table : c->dev, NULL, NULL, true, &p, err);
	if (r)
		return r;
	if (mode != MODE_CLSACT)
		scanned = dry_scan(c, &hs);
	if (mode == MODE_ANY)
		mode = scanned && hs.cur_mode == MODE_TCX ? MODE_TCX : MODE_CLSACT;
	if (mode == MODE_TCX) {
		snprintf(what, sizeof(what), "%s (section %s)", p->spec->name, p->spec->section);
		r = tcx_print_plan(scanned ? &hs : NULL, c, what, err);
	} else {
		print_dry_run(c, p);
	}
	if (scanned)
		hook_scan_free(&hs);
	return r;
}

/* Delete every bpf filter at the hook whose program is prog_id (a fresh
 * dump). Returns the number deleted or -errno. */
static int delete_filters_of(struct tc_conn *conn, int ifindex, enum hook h,
			     uint32_t prog_id, struct errmsg *err)
{
	struct tc_filter_info *f = NULL;
	size_t n = 0, i;
	int r, deleted = 0;

	r = tc_filter_list(conn, ifindex, hook_parent(h), &f, &n, err);
	for (i = 0; !r && i < n; i++) {
		if (strcmp(f[i].kind, "bpf") || f[i].prog_id != prog_id)
			continue;
		r = tc_filter_del(conn, ifindex, &f[i], err);
		if (!r) {
			vlog("deleted filter prio %u handle %u (program id %u)",
			     f[i].prio, f[i].handle, prog_id);
			deleted++;
		}
	}
	free(f);
	return r ? r : deleted;
}

/* Delete tcsteer's filters of the scan that do not run keep_id (0: all),
 * and forget what was kept for their programs. Returns how many went. */
int retire_filters(struct state *s, struct tc_conn *conn, const struct hook_scan *hs,
		   uint32_t keep_id, struct errmsg *err)
{
	size_t i;
	int r, deleted = 0;

	for (i = 0; i < hs->n; i++) {
		if (!hs->ours[i] || hs->f[i].prog_id == keep_id)
			continue;
		r = tc_filter_del(conn, hs->ifindex, &hs->f[i], err);
		if (r == -ENOENT)
			continue; /* gone meanwhile (a program in two filters) */
		if (r)
			return r;
		vlog("deleted filter prio %u handle %u (program id %u)", hs->f[i].prio,
		     hs->f[i].handle, hs->f[i].prog_id);
		deleted++;
	}
	record_drop_old(s, hs->ifindex, hs->hook);
	for (i = 0; i < hs->n; i++)
		if (hs->ours[i] && hs->f[i].prog_id != keep_id)
			session_release_prog(hs->f[i].prog_id);
	return deleted;
}

/* The device's name, for messages only: asked when one is printed. */
static const char *dev_name(struct tc_conn *conn, int ifindex, char out[IF_NAMESIZE])
{
	if (tc_conn_ifname(conn, ifindex, out))
		snprintf(out, IF_NAMESIZE, "if%d", ifindex);
	return out;
}

/* Add a filter running prog_fd at the hook, make it the hook's record,
 * then retire tcsteer's other filters there. p (NULL for an undo) brings
 * the maps to keep for the program. */
static int install_filter(struct state *s, struct tc_conn *conn,
			  const struct hook_scan *hs, int prog_fd, const char *func,
			  uint32_t new_id, const struct program *p, struct errmsg *err)
{
	char name[256], dev[IF_NAMESIZE];
	int r;

	if (p) {
		r = record_keep_maps(s, new_id, p->keep_fds, p->keep_names, p->nkeep, err);
		if (r)
			return r;
	}
	tc_bpf_filter_name(name, sizeof(name), func, prog_fd);
	r = tc_bpf_filter_add(conn, hs->ifindex, hook_parent(hs->hook), prog_fd, name, err);
	if (r) {
		/* The kernel may have added it and only its answer was lost
		 * (e.g. ENOBUFS on receive): an unrecorded filter would run
		 * ahead of the old one for good. */
		delete_filters_of(conn, hs->ifindex, hs->hook, new_id, NULL);
		session_release_prog(new_id);
		return errmsg_prefix(err, "cannot attach to %s %s",
				     dev_name(conn, hs->ifindex, dev), hook_name(hs->hook));
	}
	if (hs->record_id && hs->record_id != new_id)
		record_keep_old(s, hs->ifindex, hs->hook);
	/* The recorded program, attached again (its filter had gone): the
	 * record is right as it is. */
	r = hs->record_id == new_id ? 0 : record_write(s, hs->ifindex, hs->hook, prog_fd, err);
	if (r) {
		/* Without a record the new filter could not be told from
		 * another tool's without CAP_SYS_ADMIN: take it out again. */
		delete_filters_of(conn, hs->ifindex, hs->hook, new_id, NULL);
		record_drop_old(s, hs->ifindex, hs->hook);
		session_release_prog(new_id);
		return r;
	}
	if (g_opts.verbose)
		vlog("attached %s to %s %s (program id %u)", name,
		     dev_name(conn, hs->ifindex, dev), hook_name(hs->hook), new_id);
	r = retire_filters(s, conn, hs, new_id, err);
	if (r >= 0)
		r = retire_links(s, hs, 0, true, err);
	if (r < 0)
		return errmsg_prefix(err, "attached, but the previous filter could not be "
				     "removed yet (the next attach or detach on %s %s "
				     "retries)", dev_name(conn, hs->ifindex, dev),
				     hook_name(hs->hook));
	return 0;
}

/* The program runs there already: nothing to do but drop leftovers (a
 * filter an interrupted attach left) and write a missing record. */
static int keep_current(struct state *s, struct tc_conn *conn, const struct hook_scan *hs,
			int cur_fd, struct errmsg *err)
{
	char dev[IF_NAMESIZE];
	int r = 0;

	if (g_opts.verbose)
		vlog("%s %s already runs this program (id %u): nothing to do",
		     dev_name(conn, hs->ifindex, dev), hook_name(hs->hook), hs->cur_id);
	if (hs->record_id != hs->cur_id)
		r = record_write(s, hs->ifindex, hs->hook, cur_fd, err);
	if (!r && retire_filters(s, conn, hs, hs->cur_id, err) < 0)
		r = -EIO;
	if (!r && retire_links(s, hs, 0, true, err) < 0)
		r = -EIO;
	return r;
}

static int replace_filter(struct state *s, struct tc_conn *conn,
			  const struct hook_scan *hs, const struct program *p,
			  struct errmsg *err)
{
	int cur_fd, r;

	/* The loader took the running program itself: nothing to compare. */
	if (hs->cur_id && hs->cur_mode == MODE_CLSACT && p->id == hs->cur_id)
		return keep_current(s, conn, hs, p->lo.prog_fd, err);
	if (hs->cur_id && hs->cur_mode == MODE_CLSACT) {
		cur_fd = hook_prog_open(s, hs, hs->cur_id, NULL);
		if (cur_fd >= 0 && program_same(p, cur_fd)) {
			r = keep_current(s, conn, hs, cur_fd, err);
			close(cur_fd);
			return r;
		}
		if (cur_fd >= 0)
			close(cur_fd);
	}
	return install_filter(s, conn, hs, p->lo.prog_fd, p->spec->name, p->id, p, err);
}

/* Back to what the hook ran before an undone command (see attach.h). */
static int restore_program(struct state *s, struct tc_conn *conn, struct hook_scan *hs,
			   const struct hook_prior *pr, struct errmsg *err)
{
	struct bpf_prog_info info;
	char dev[IF_NAMESIZE];
	int r;

	dev_name(conn, hs->ifindex, dev);
	r = bpf_sys_prog_get_info(pr->prog_fd, &info, err);
	if (r)
		return r;
	if (pr->mode != MODE_TCX) {
		if (info.id == hs->cur_id && hs->cur_mode == MODE_CLSACT)
			return 0;
		return tc_clsact_replace(conn, hs->ifindex, err) ?:
		       install_filter(s, conn, hs, pr->prog_fd, info.name, info.id, NULL, err);
	}
	/* The program it ran after may have gone meanwhile: first then. */
	r = tcx_install(s, conn, hs, dev, pr->prog_fd, info.id, NULL, pr->place,
			pr->place_id, err);
	if (r == -ENOENT && pr->place == PLACE_AFTER)
		r = tcx_install(s, conn, hs, dev, pr->prog_fd, info.id, NULL, PLACE_FIRST, 0,
				err);
	return r;
}

int hook_restore(int ifindex, enum hook h, const struct hook_prior *pr, struct errmsg *err)
{
	struct hook_scan hs;
	struct tc_conn *conn;
	struct state *s;
	int r;

	r = session_open(STATE_WRITE, &conn, &s, err) ?:
	    hook_scan(s, conn, ifindex, h, &hs, err);
	if (r)
		return r;
	if (pr->prog_fd < 0) {
		r = retire_filters(s, conn, &hs, 0, err);
		r = r < 0 ? r : retire_links(s, &hs, 0, true, err);
		r = r < 0 ? r : record_remove(s, ifindex, h, err);
	} else {
		r = restore_program(s, conn, &hs, pr, err);
	}
	hook_scan_free(&hs);
	return r;
}

void warn_if_shadowed(struct state *s, struct tc_conn *conn, int ifindex, enum hook h,
		      const char *dev)
{
	struct hook_scan hs;

	if (hook_scan(s, conn, ifindex, h, &hs, NULL))
		return;
	hook_warn_shadow(&hs, dev);
	hook_scan_free(&hs);
}

/* mode tcx needs a kernel with tcx: asked before anything is done. */
static int probe_tcx(const struct cmd *c, struct errmsg *err)
{
	int r = tcx_probe(c->ifindex, err);

	return r ? errmsg_prefix(err, "cannot attach to %s %s with tcx", c->dev,
				 hook_name(c->hook)) : 0;
}

/* A link lives only while something holds it: where no pin outlives this
 * process, a tcx attachment would end with it. */
static int tcx_needs_pins(const struct cmd *c, const struct state *s, struct errmsg *err)
{
	if (state_can_pin(s))
		return 0;
	return errmsg_set(err, EROFS, "cannot attach to %s %s with tcx: a tcx link lasts "
			  "only while it is pinned, and %s; use mode clsact", c->dev,
			  hook_name(c->hook), state_why_no_pins(s));
}

static enum attach_mode mode_for(const struct cmd *c, const struct hook_scan *hs)
{
	if (c->mode != MODE_ANY)
		return c->mode;
	return hs->cur_mode == MODE_TCX ? MODE_TCX : MODE_CLSACT;
}

/* The tcx attach, looked at again if the hook changed in between (its
 * revision moved), and with a second instance of the program if this very
 * one runs on the hook already (a batch moving it). */
static int attach_tcx(const struct cmd *c, struct state *s, struct tc_conn *conn,
		      struct hook_scan *hs, const char *table, struct program **p,
		      struct errmsg *err)
{
	int r, tries;

	for (tries = 0;; tries++) {
		r = tcx_install(s, conn, hs, c->dev, (*p)->lo.prog_fd, (*p)->id, *p,
				c->place, c->place_id, err);
		if (r == -EEXIST && tries < 3 && tcx_list_index(&hs->tcx, (*p)->id) >= 0) {
			errmsg_clear(err);
			program_cleanup();
			program_want_copy();
			r = program_get(c, table, s, hs, false, p, err);
			if (r)
				return r;
			continue;
		}
		if (r != -ESTALE || tries >= 3)
			return r;
		vlog("%s %s changed while tcsteer looked at it: looking again", c->dev,
		     hook_name(c->hook));
		errmsg_clear(err);
		hook_scan_free(hs);
		r = hook_scan(s, conn, c->ifindex, c->hook, hs, err);
		if (r)
			return r;
	}
}

int run_attach(const struct cmd *c, struct attached *done, struct errmsg *err)
{
	char table[IF_NAMESIZE];
	enum attach_mode mode;
	struct hook_scan hs;
	struct tc_conn *conn;
	struct program *p;
	struct state *s;
	int r;

	if (c->mode == MODE_TCX && (r = probe_tcx(c, err)))
		return r;
	if (g_opts.dry_run)
		return dry_run(c, err);
	r = session_open(STATE_WRITE, &conn, &s, err) ?: state_prepare_pins(s, err) ?:
	    hook_scan(s, conn, c->ifindex, c->hook, &hs, err);
	if (r)
		return r;
	mode = mode_for(c, &hs);
	if (mode == MODE_TCX)
		r = tcx_needs_pins(c, s, err);
	else if (!state_can_pin(s))
		vlog("nothing is pinned (%s): later commands find the program through "
		     "the kernel", state_why_no_pins(s));
	snprintf(table, sizeof(table), "%s", c->table);
	if (!r && !c->table[0])
		r = default_table(s, c->dev, c->ifindex, &hs, table, err);
	if (!r)
		r = program_get(c, table, s, &hs, false, &p, err);
	if (!r && mode == MODE_TCX)
		r = attach_tcx(c, s, conn, &hs, table, &p, err);
	else if (!r)
		r = tc_clsact_replace(conn, c->ifindex, err) ?:
		    replace_filter(s, conn, &hs, p, err);
	if (!r && (hs.tcx.count || mode == MODE_TCX))
		warn_if_shadowed(s, conn, c->ifindex, c->hook, c->dev);
	if (!r && done) {
		done->prog_id = p->id;
		snprintf(done->table, sizeof(done->table), "%s", p->table);
	}
	hook_scan_free(&hs);
	return r;
}
