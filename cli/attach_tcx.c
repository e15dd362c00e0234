/* SPDX-License-Identifier: MIT */
/* attach with mode tcx: tcsteer's program in a TCX link (kernel 6.6).
 *
 * The link is pinned as the hook's record (if<ifindex>/link_<hook>, next
 * to the program's record), which keeps it after the process exits. Where
 * tcsteer's link already is where it should be, another program replaces
 * the link's in place (BPF_LINK_UPDATE: one atomic swap, no moment without
 * a program, the place kept); the same program is a no-op. Anywhere else
 * (a new place, a first tcx attach, a switch from clsact) a new link goes
 * in first, at the place asked for (the revision the scan listed guards
 * against a hook that changed meanwhile), is pinned over the record, and
 * only then do tcsteer's previous attachments on the hook go: its old link
 * and its clsact filters. An unpinned link dies with its last fd, so every
 * failure before the pin is undone by closing it. docs/design.md, "TCX". */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "attach.h"
#include "bpf_sys.h"
#include "record.h"
#include "session.h"

static const char *place_name(enum place pl)
{
	static const char *const names[] = { "where it is", "first", "last", "before",
					     "after" };

	return names[pl];
}

/* Is tcsteer's program (index idx) where place asks it to be? */
static bool placed(const struct hook_scan *hs, int idx, enum place pl, uint32_t rel)
{
	int r = tcx_list_index(&hs->tcx, rel);

	switch (pl) {
	case PLACE_NONE:   return true;
	case PLACE_FIRST:  return idx == 0;
	case PLACE_LAST:   return idx == (int)hs->tcx.count - 1;
	case PLACE_BEFORE: return r >= 0 && idx == r - 1;
	case PLACE_AFTER:  return r >= 0 && idx == r + 1;
	}
	return false;
}

/* before/after ID must name a program on the hook that is not tcsteer's. */
static int check_place(const struct hook_scan *hs, const char *dev, enum place pl,
		       uint32_t rel, struct errmsg *err)
{
	int i;

	if (pl != PLACE_BEFORE && pl != PLACE_AFTER)
		return 0;
	i = tcx_list_index(&hs->tcx, rel);
	if (i < 0)
		return errmsg_set(err, ENOENT, "cannot attach to %s %s with tcx: no program "
				  "with id %u on %s %s", dev, hook_name(hs->hook), rel, dev,
				  hook_name(hs->hook));
	if (hs->tcx_ours[i])
		return errmsg_set(err, EINVAL, "cannot attach to %s %s with tcx %s %u: that "
				  "is tcsteer's own program, which this attach replaces", dev,
				  hook_name(hs->hook), place_name(pl), rel);
	return 0;
}

static struct tcx_order order_of(const struct hook_scan *hs, enum place pl, uint32_t rel)
{
	static const enum tcx_where where[] = {
		[PLACE_NONE] = TCX_FIRST, [PLACE_FIRST] = TCX_FIRST, [PLACE_LAST] = TCX_LAST,
		[PLACE_BEFORE] = TCX_BEFORE, [PLACE_AFTER] = TCX_AFTER,
	};

	return (struct tcx_order){ .where = where[pl], .rel_prog_id = rel,
				   .expected_revision = hs->tcx.revision };
}

static bool has_our_filters(const struct hook_scan *hs)
{
	size_t i;

	for (i = 0; i < hs->n; i++)
		if (hs->ours[i])
			return true;
	return false;
}

/* An fd of tcsteer's link link_id on the hook: the record's, else by id
 * (CAP_SYS_ADMIN). *opened: the caller closes it. */
static int our_link_fd(const struct hook_scan *hs, uint32_t link_id, bool *opened,
		       struct errmsg *err)
{
	char dev[IF_NAMESIZE];
	int fd;

	*opened = false;
	if (hs->link_fd >= 0 && hs->link.link_id == link_id)
		return hs->link_fd;
	fd = bpf_sys_link_get_fd_by_id(link_id, NULL);
	if (fd < 0)
		return errmsg_set(err, -fd, "cannot open tcsteer's tcx link %u on %s %s: "
				  "%s%s", link_id, if_indextoname((unsigned int)hs->ifindex, dev)
				  ? dev : "?", hook_name(hs->hook), strerror(-fd),
				  fd == -EPERM ? " (it is not recorded here; opening it by id "
				  "needs CAP_SYS_ADMIN)" : "");
	*opened = true;
	return fd;
}

static void stale_note(const struct hook_scan *hs, const char *dev)
{
	if (hs->link_where == LINK_MOVED)
		vlog("the tcx link %u recorded for %s %s runs on a device that left this "
		     "namespace (ifindex %d there), with this namespace's routes: detached",
		     hs->link.link_id, dev, hook_name(hs->hook), hs->link.ifindex);
	else
		vlog("the tcx link %u recorded for %s %s is defunct: forgotten",
		     hs->link.link_id, dev, hook_name(hs->hook));
}

int retire_links(struct state *s, const struct hook_scan *hs, uint32_t keep_link_id,
		 bool unpin, struct errmsg *err)
{
	char dev[IF_NAMESIZE];
	struct tcx_hook th;
	uint32_t i;
	int fd, r, n = 0;
	bool opened;

	if (!if_indextoname((unsigned int)hs->ifindex, dev))
		snprintf(dev, sizeof(dev), "if%d", hs->ifindex);
	th = hook_tcx(hs, dev);
	for (i = 0; i < hs->tcx.count; i++) {
		const struct tcx_prog *e = &hs->tcx.progs[i];

		if (!hs->tcx_ours[i] || (keep_link_id && e->link_id == keep_link_id))
			continue;
		if (!e->link_id) {
			vlog("tcsteer's program %u on %s %s was attached without a link: left "
			     "alone", e->prog_id, dev, hook_name(hs->hook));
			continue;
		}
		fd = our_link_fd(hs, e->link_id, &opened, err);
		if (fd == -ENOENT) {
			/* Gone already: its last pin was replaced, nothing held it. */
			errmsg_clear(err);
			continue;
		}
		if (fd < 0)
			return fd;
		r = tcx_detach(&th, fd, err);
		if (opened)
			close(fd);
		if (r)
			return r;
		vlog("detached tcx link %u (program id %u) from %s %s", e->link_id,
		     e->prog_id, dev, hook_name(hs->hook));
		session_release_prog(e->prog_id);
		n++;
	}
	if (hs->link_fd >= 0 && hs->link_where != LINK_LIVE && hs->link_where != LINK_UNKNOWN &&
	    hs->link.link_id != keep_link_id) {
		/* Defunct: a no-op; moved: it stops steering elsewhere. */
		bpf_sys_link_detach(hs->link_fd, NULL);
		stale_note(hs, dev);
		session_release_prog(hs->link.prog_id);
	}
	if (unpin && hs->link_fd >= 0 && hs->link.link_id != keep_link_id) {
		r = record_link_remove(s, hs->ifindex, hs->hook, err);
		if (r)
			return r;
	}
	return n;
}

/* After the hook runs tcsteer's program in link link_id: its other
 * attachments go. */
static int retire_others(struct state *s, struct tc_conn *conn, const struct hook_scan *hs,
			 const char *dev, uint32_t link_id, struct errmsg *err)
{
	int r = retire_filters(s, conn, hs, 0, err);

	if (r >= 0)
		r = retire_links(s, hs, link_id, false, err);
	if (r < 0)
		return errmsg_prefix(err, "attached, but tcsteer's previous attachment could "
				     "not be removed yet (the next attach or detach on %s %s "
				     "retries)", dev, hook_name(hs->hook));
	return 0;
}

/* tcsteer's link is where it should be: swap its program in place. */
static int update_in_place(struct state *s, struct tc_conn *conn, const struct hook_scan *hs,
			   const char *dev, int cur, int prog_fd, uint32_t prog_id,
			   const struct program *p, struct errmsg *err)
{
	const struct tcx_prog *e = &hs->tcx.progs[cur];
	struct tcx_hook th = hook_tcx(hs, dev);
	int link_fd = hs->link_fd, cur_fd, r;
	bool same;

	cur_fd = hook_prog_open(s, hs, e->prog_id, NULL);
	same = p ? cur_fd >= 0 && program_same(p, cur_fd) : prog_id == e->prog_id;
	if (same) {
		vlog("%s %s already runs this program (id %u) in tcx link %u: nothing to do",
		     dev, hook_name(hs->hook), e->prog_id, e->link_id);
		prog_fd = cur_fd;
		prog_id = e->prog_id;
		r = 0;
	} else {
		r = p ? record_keep_maps(s, prog_id, p->keep_fds, p->keep_names, p->nkeep, err)
		      : 0;
		r = r ?: tcx_replace(&th, link_fd, prog_fd, cur_fd, err);
		if (r)
			session_release_prog(prog_id);
		else
			vlog("replaced program %u by %u in tcx link %u on %s %s", e->prog_id,
			     prog_id, e->link_id, dev, hook_name(hs->hook));
	}
	/* The program record names what runs (written again if it did not);
	 * if it cannot, the link runs the program it ran again. */
	if (!r && prog_id != hs->record_id && prog_fd >= 0) {
		r = record_write(s, hs->ifindex, hs->hook, prog_fd, err);
		if (r && !same && cur_fd >= 0)
			tcx_replace(&th, link_fd, cur_fd, prog_fd, NULL);
		if (r && !same)
			session_release_prog(prog_id);
	}
	if (!r) {
		if (!same)
			session_release_prog(e->prog_id);
		r = retire_others(s, conn, hs, dev, e->link_id, err);
	}
	if (cur_fd >= 0)
		close(cur_fd);
	return r;
}

/* The previous link record back, after a failure past its replacement. */
static void restore_link_record(struct state *s, const struct hook_scan *hs)
{
	if (hs->link_fd >= 0)
		record_link_write(s, hs->ifindex, hs->hook, hs->link_fd, NULL);
	else
		record_link_remove(s, hs->ifindex, hs->hook, NULL);
}

/* A new link at the place asked for, recorded, then the rest goes. */
static int new_link(struct state *s, struct tc_conn *conn, const struct hook_scan *hs,
		    const char *dev, int prog_fd, uint32_t prog_id, const struct program *p,
		    enum place pl, uint32_t rel, struct errmsg *err)
{
	struct tcx_hook th = hook_tcx(hs, dev);
	struct tcx_order o = order_of(hs, pl, rel);
	struct tcx_link_state st;
	int link_fd, r;

	r = p ? record_keep_maps(s, prog_id, p->keep_fds, p->keep_names, p->nkeep, err) : 0;
	link_fd = r ? r : tcx_attach(&th, prog_fd, &o, err);
	if (link_fd < 0) {
		session_release_prog(prog_id);
		return link_fd;
	}
	r = tcx_link_state(link_fd, &st, err) ?:
	    record_link_write(s, hs->ifindex, hs->hook, link_fd, err);
	if (r) {
		close(link_fd); /* unpinned: this detaches it */
		session_release_prog(prog_id);
		return r;
	}
	if (hs->record_id && hs->record_id != prog_id && has_our_filters(hs))
		record_keep_old(s, hs->ifindex, hs->hook);
	r = record_write(s, hs->ifindex, hs->hook, prog_fd, err);
	if (r) {
		restore_link_record(s, hs);
		tcx_detach(&th, link_fd, NULL);
		close(link_fd);
		record_drop_old(s, hs->ifindex, hs->hook);
		session_release_prog(prog_id);
		return r;
	}
	vlog("attached program %u to %s %s %s with tcx link %u", prog_id, dev,
	     hook_name(hs->hook), place_name(pl == PLACE_NONE ? PLACE_FIRST : pl), st.link_id);
	close(link_fd);
	return retire_others(s, conn, hs, dev, st.link_id, err);
}

/* The index of tcsteer's link if its program can be swapped in place: the
 * hook's recorded link, live, where place asks for; else -1. A tcsteer link
 * that is not recorded here (it came with a device from another namespace,
 * whose records still name it) is replaced by a new one instead. */
static int in_place(const struct hook_scan *hs, enum place pl, uint32_t rel)
{
	int cur = hook_tcx_current(hs);

	if (cur < 0 || hs->link_where != LINK_LIVE ||
	    hs->tcx.progs[cur].link_id != hs->link.link_id || !placed(hs, cur, pl, rel))
		return -1;
	return cur;
}

int tcx_install(struct state *s, struct tc_conn *conn, const struct hook_scan *hs,
		const char *dev, int prog_fd, uint32_t prog_id, const struct program *p,
		enum place place, uint32_t place_id, struct errmsg *err)
{
	int cur = in_place(hs, place, place_id);
	int r = check_place(hs, dev, place, place_id, err);

	if (r)
		return r;
	if (cur >= 0)
		return update_in_place(s, conn, hs, dev, cur, prog_fd, prog_id, p, err);
	return new_link(s, conn, hs, dev, prog_fd, prog_id, p, place, place_id, err);
}

void hook_prior_of(const struct hook_scan *hs, struct hook_prior *out)
{
	int i = hook_tcx_current(hs);

	memset(out, 0, sizeof(*out));
	out->prog_fd = -1;
	out->mode = hs->cur_mode;
	out->place = PLACE_FIRST;
	/* After the nearest program before it that is not tcsteer's (those
	 * are retired by the attach being undone), else first. */
	while (--i >= 0)
		if (!hs->tcx_ours[i]) {
			out->place = PLACE_AFTER;
			out->place_id = hs->tcx.progs[i].prog_id;
			break;
		}
}

/* --dry-run: what tcx_install would do, with the BPF_LINK_CREATE it would
 * send built by the library from the same attributes. hs NULL: the hook
 * could not be looked at (then: a new link, revision unchecked). */
int tcx_print_plan(const struct hook_scan *hs, const struct cmd *c, const char *what,
		   struct errmsg *err)
{
	struct tcx_hook th = { .ifindex = c->ifindex, .dev = c->dev,
			       .dir = (enum tcx_dir)c->hook };
	struct tcx_order o = { .where = TCX_FIRST };
	char buf[400];
	int cur = hs ? in_place(hs, c->place, c->place_id) : -1;
	int r = hs ? check_place(hs, c->dev, c->place, c->place_id, err) : 0;

	if (r)
		return r;
	printf("# dry run: nothing is loaded or sent; fd 0 stands for the program's fd\n");
	if (hs) {
		tcx_list_describe(&hs->tcx, 0, hs->tcx.count, buf, sizeof(buf));
		printf("# tcx on %s %s (ifindex %d): the hook runs %s, revision %llu\n", c->dev,
		       hook_name(c->hook), c->ifindex, hs->tcx.count ? buf : "no tcx program",
		       (unsigned long long)hs->tcx.revision);
	}
	if (cur >= 0) {
		printf("# 1. replace the program of tcsteer's tcx link %u in place with %s "
		       "(nothing changes if it is the same program)\n",
		       hs->tcx.progs[cur].link_id, what);
		printf("bpf(BPF_LINK_UPDATE) link_id %u new_prog_fd 0 flags 0x4 "
		       "(BPF_F_REPLACE) old_prog_id %u\n", hs->tcx.progs[cur].link_id,
		       hs->tcx.progs[cur].prog_id);
		printf("# 2. record the new program with the hook\n");
		return 0;
	}
	if (hs)
		o = order_of(hs, c->place, c->place_id);
	else if (c->place)
		o.where = c->place == PLACE_LAST ? TCX_LAST : c->place == PLACE_BEFORE ?
			  TCX_BEFORE : c->place == PLACE_AFTER ? TCX_AFTER : TCX_FIRST;
	o.rel_prog_id = c->place_id;
	if (c->place_id)
		printf("# 1. attach %s %s program %u with a new tcx link\n", what,
		       place_name(c->place), c->place_id);
	else
		printf("# 1. attach %s %s with a new tcx link\n", what,
		       place_name(c->place == PLACE_NONE ? PLACE_FIRST : c->place));
	tcx_attach_describe(&th, 0, &o, buf, sizeof(buf));
	printf("%s\n", buf);
	printf("# 2. pin the link as the hook's record (if%d/link_%s), then remove "
	       "tcsteer's previous attachment there, if any\n", c->ifindex, hook_name(c->hook));
	return 0;
}
