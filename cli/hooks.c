/* SPDX-License-Identifier: MIT */
#include "hooks.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf_sys.h"
#include "legacy.h"
#include "meta.h"
#include "record.h"

uint32_t hook_parent(enum hook h)
{
	return h == HOOK_INGRESS ? TC_PARENT_INGRESS : TC_PARENT_EGRESS;
}

int prog_is_ours(struct state *s, uint32_t id)
{
	struct tcsteer_meta m;
	int fd, mfd;

	if (!state_by_id(s))
		return -EPERM;
	fd = bpf_sys_prog_get_fd_by_id(id, NULL);
	if (fd < 0)
		return fd == -EPERM ? -EPERM : 0;
	mfd = meta_of_prog(fd, &m, NULL);
	close(fd);
	if (mfd >= 0)
		close(mfd);
	return mfd >= 0 ? 1 : mfd == -EPERM ? -EPERM : 0;
}

/* The answer for one program id, asked once per scan (a program often
 * runs in several filters). */
struct owner_memo {
	uint32_t id;
	int ours;
};

static int owner_of(struct state *s, uint32_t id, struct owner_memo *memo, size_t *nmemo)
{
	size_t i;

	for (i = 0; i < *nmemo; i++)
		if (memo[i].id == id)
			return memo[i].ours;
	memo[*nmemo].id = id;
	memo[*nmemo].ours = prog_is_ours(s, id);
	return memo[(*nmemo)++].ours;
}

/* tcsteer 0.1 kept the hook's record by device name: if it names a program
 * that runs here, take the hook over (its record and table move into this
 * namespace's state). */
static bool adopt_legacy(struct state *s, int ifindex, enum hook h, uint32_t id)
{
	char dev[IF_NAMESIZE];

	return if_indextoname((unsigned int)ifindex, dev) &&
	       legacy_adopt_hook(s, dev, ifindex, h, id) == 1;
}

static bool ours_by_record(const struct hook_scan *hs, uint32_t id, uint32_t old)
{
	return id && (id == hs->record_id || id == old);
}

static void mark_ours(struct state *s, struct hook_scan *hs)
{
	struct owner_memo *memo = calloc(hs->n + hs->tcx.count + 1, sizeof(*memo));
	uint32_t old = 0, i;
	size_t nmemo = 0;
	bool legacy_tried = false;

	record_read_old(s, hs->ifindex, hs->hook, &old);
	for (i = 0; memo && i < hs->tcx.count; i++) {
		const struct tcx_prog *e = &hs->tcx.progs[i];
		int ours;

		if (ours_by_record(hs, e->prog_id, old) ||
		    (hs->link_where == LINK_LIVE && e->link_id == hs->link.link_id)) {
			hs->tcx_ours[i] = true;
			continue;
		}
		ours = owner_of(s, e->prog_id, memo, &nmemo);
		if (ours < 0)
			hs->unknown = true;
		hs->tcx_ours[i] = ours > 0;
	}
	for (i = 0; memo && i < hs->n; i++) {
		uint32_t id = hs->f[i].prog_id;
		int ours;

		if (strcmp(hs->f[i].kind, "bpf") || !id)
			continue;
		if (ours_by_record(hs, id, old)) {
			hs->ours[i] = true;
			continue;
		}
		ours = owner_of(s, id, memo, &nmemo);
		if (ours < 0)
			hs->unknown = true;
		if (ours <= 0 && !legacy_tried && !hs->record_id) {
			legacy_tried = true;
			if (adopt_legacy(s, hs->ifindex, hs->hook, id)) {
				hs->record_id = id;
				ours = 1;
			}
		}
		hs->ours[i] = ours > 0;
	}
	free(memo);
}

static void set_current(struct hook_scan *hs, uint32_t id, enum attach_mode mode)
{
	hs->cur_id = id;
	hs->cur_mode = mode;
}

/* The program tcsteer runs there now: the recorded link's, else the
 * record's where it runs (a filter first: a tcx program of ours without
 * a live link record came from elsewhere), else the first tcx program of
 * ours, else the filter added last (the lowest priority value). */
static void find_current(struct hook_scan *hs)
{
	uint32_t best_prio = UINT32_MAX, i, best = 0;

	set_current(hs, 0, MODE_ANY);
	for (i = 0; hs->link_where == LINK_LIVE && i < hs->tcx.count; i++)
		if (hs->tcx.progs[i].link_id == hs->link.link_id) {
			set_current(hs, hs->tcx.progs[i].prog_id, MODE_TCX);
			return;
		}
	for (i = 0; hs->record_id && i < hs->n; i++)
		if (hs->ours[i] && hs->f[i].prog_id == hs->record_id) {
			set_current(hs, hs->record_id, MODE_CLSACT);
			return;
		}
	for (i = 0; i < hs->tcx.count; i++)
		if (hs->tcx_ours[i] && hs->tcx.progs[i].prog_id == hs->record_id) {
			set_current(hs, hs->record_id, MODE_TCX);
			return;
		}
	for (i = 0; i < hs->tcx.count; i++)
		if (hs->tcx_ours[i]) {
			set_current(hs, hs->tcx.progs[i].prog_id, MODE_TCX);
			return;
		}
	for (i = 0; i < hs->n; i++)
		if (hs->ours[i] && hs->f[i].prio < best_prio) {
			best_prio = hs->f[i].prio;
			best = hs->f[i].prog_id;
		}
	if (best)
		set_current(hs, best, MODE_CLSACT);
}

/* The tcx side of the scan: the hook's programs and the link record. A
 * kernel without tcx has none. */
static int scan_tcx(struct state *s, struct hook_scan *hs, struct errmsg *err)
{
	char dev[IF_NAMESIZE];
	struct tcx_hook th = hook_tcx(hs, if_indextoname((unsigned int)hs->ifindex, dev)
				      ? dev : NULL);
	int r = tcx_list(&th, &hs->tcx, err);

	/* No tcx in this kernel; or the query needs CAP_NET_ADMIN, without
	 * which tcsteer cannot change the hook either (show lists clsact). */
	if (r == -EOPNOTSUPP || r == -EPERM) {
		errmsg_clear(err);
		memset(&hs->tcx, 0, sizeof(hs->tcx));
		r = 0;
	} else if (!r) {
		hs->has_tcx = true;
	}
	if (r)
		return r;
	hs->link_fd = record_link_open(s, hs->ifindex, hs->hook, NULL);
	hs->link_where = LINK_UNKNOWN;
	if (hs->link_fd >= 0)
		hs->link_where = record_link_where(hs->link_fd, hs->ifindex, hs->hook,
						   &hs->link);
	return 0;
}

int hook_scan(struct state *s, struct tc_conn *conn, int ifindex, enum hook h,
	      struct hook_scan *out, struct errmsg *err)
{
	int r;

	memset(out, 0, sizeof(*out));
	out->ifindex = ifindex;
	out->hook = h;
	out->link_fd = -1;
	r = tc_filter_list(conn, ifindex, hook_parent(h), &out->f, &out->n, err) ?:
	    record_read(s, ifindex, h, &out->record_id, err) ?:
	    scan_tcx(s, out, err);
	if (r) {
		hook_scan_free(out);
		return r;
	}
	out->ours = calloc(out->n ? out->n : 1, sizeof(*out->ours));
	if (!out->ours) {
		hook_scan_free(out);
		return errmsg_set(err, ENOMEM, "out of memory");
	}
	mark_ours(s, out);
	find_current(out);
	return 0;
}

int hook_tcx_current(const struct hook_scan *hs)
{
	return hs->cur_mode == MODE_TCX ? tcx_list_index(&hs->tcx, hs->cur_id) : -1;
}

/* The tcx programs before this index can shadow tcsteer's program. */
static uint32_t shadow_end(const struct hook_scan *hs)
{
	int cur = hook_tcx_current(hs);

	if (cur >= 0)
		return (uint32_t)cur;
	return hs->cur_mode == MODE_CLSACT ? hs->tcx.count : 0;
}

bool hook_shadows(const struct hook_scan *hs, uint32_t i)
{
	return i < shadow_end(hs) && !hs->tcx_ours[i];
}

unsigned int hook_shadowers(const struct hook_scan *hs, char *buf, size_t len)
{
	uint32_t i, end = shadow_end(hs);
	unsigned int n = 0;
	size_t used = 0;

	if (len)
		buf[0] = '\0';
	for (i = 0; i < end; i++) {
		const struct tcx_prog *e = &hs->tcx.progs[i];
		int k;

		if (hs->tcx_ours[i])
			continue;
		if (used < len) {
			k = snprintf(buf + used, len - used, "%s%u (%s)", n ? ", " : "",
				     e->prog_id, e->name[0] ? e->name : "name unknown");
			used += k > 0 ? (size_t)k : 0;
		}
		n++;
	}
	return n;
}

static uint32_t first_shadower(const struct hook_scan *hs)
{
	uint32_t i;

	for (i = 0; i < hs->tcx.count; i++)
		if (hook_shadows(hs, i))
			return hs->tcx.progs[i].prog_id;
	return 0;
}

void hook_warn_shadow(const struct hook_scan *hs, const char *dev)
{
	char list[400];

	if (!hook_shadowers(hs, list, sizeof(list)))
		return;
	if (hs->cur_mode == MODE_TCX)
		fprintf(stderr, "tcsteer: warning: %s %s: tcx programs run before "
			"tcsteer's tcx program, which never sees a packet they pass, drop "
			"or redirect: %s; attach with mode tcx first (or before %u) to run "
			"ahead of them\n", dev, hook_name(hs->hook), list, first_shadower(hs));
	else
		fprintf(stderr, "tcsteer: warning: %s %s: tcx programs run before "
			"tcsteer's clsact filter, which never sees a packet they pass, drop "
			"or redirect: %s; attach with mode tcx (first, or before/after ID) "
			"to run among them\n", dev, hook_name(hs->hook), list);
}

void hook_scan_free(struct hook_scan *hs)
{
	free(hs->f);
	free(hs->ours);
	if (hs->link_fd >= 0)
		close(hs->link_fd);
	hs->link_fd = -1;
	hs->f = NULL;
	hs->ours = NULL;
	hs->n = 0;
}

int hook_prog_open(struct state *s, const struct hook_scan *hs, uint32_t id,
		   struct errmsg *err)
{
	int fd;

	if (id && id == hs->record_id) {
		fd = record_open(s, hs->ifindex, hs->hook, err);
		if (fd >= 0)
			return fd;
	}
	fd = bpf_sys_prog_get_fd_by_id(id, NULL);
	if (fd < 0)
		return errmsg_set(err, -fd, "cannot open program id %u: %s%s", id,
				  strerror(-fd), fd == -EPERM ? " (needs CAP_SYS_ADMIN)" : "");
	return fd;
}
