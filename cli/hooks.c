/* SPDX-License-Identifier: MIT */
#include "hooks.h"

#include <errno.h>
#include <net/if.h>
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

static void mark_ours(struct state *s, struct hook_scan *hs)
{
	struct owner_memo *memo = calloc(hs->n ? hs->n : 1, sizeof(*memo));
	uint32_t old = 0;
	size_t nmemo = 0, i;
	bool legacy_tried = false;

	/* The _old record only tells filters apart: with none, not asked. */
	if (hs->n)
		record_read_old(s, hs->ifindex, hs->hook, &old);
	for (i = 0; memo && i < hs->n; i++) {
		uint32_t id = hs->f[i].prog_id;
		int ours;

		if (strcmp(hs->f[i].kind, "bpf") || !id)
			continue;
		if (id == hs->record_id || id == old) {
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

/* The program tcsteer runs there now: the record's if it runs, else the
 * one added last (the lowest priority value). */
static void find_current(struct hook_scan *hs)
{
	uint32_t best_prio = UINT32_MAX;
	size_t i;

	hs->cur_id = 0;
	for (i = 0; i < hs->n; i++) {
		if (!hs->ours[i])
			continue;
		if (hs->f[i].prog_id == hs->record_id) {
			hs->cur_id = hs->record_id;
			return;
		}
		if (hs->f[i].prio < best_prio) {
			best_prio = hs->f[i].prio;
			hs->cur_id = hs->f[i].prog_id;
		}
	}
}

static int scan_now(struct state *s, struct tc_conn *conn, int ifindex, enum hook h,
		    struct hook_scan *out, struct errmsg *err)
{
	int r;

	memset(out, 0, sizeof(*out));
	out->ifindex = ifindex;
	out->hook = h;
	r = tc_filter_list(conn, ifindex, hook_parent(h), &out->f, &out->n, err) ?:
	    record_read(s, ifindex, h, &out->record_id, err);
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

/* The last scan, while nothing has changed since: a batch notes each hook
 * for its undo and then acts on it, two scans of one state back to back.
 * Nothing changed means: no request but dumps on the connection, no
 * record written or removed, the same opening of the state (under the
 * lock, which keeps other tcsteers out). */
static struct {
	struct hook_scan hs;
	const struct state *s;
	unsigned long serial, changes;
	const struct tc_conn *conn;
	unsigned long tc_changes;
	bool valid;
} s_last;

void hook_scan_forget(void)
{
	if (s_last.valid)
		hook_scan_free(&s_last.hs);
	s_last.valid = false;
}

static bool copy_scan(struct hook_scan *to, const struct hook_scan *from)
{
	*to = *from;
	to->f = malloc((from->n ? from->n : 1) * sizeof(*to->f));
	to->ours = malloc((from->n ? from->n : 1) * sizeof(*to->ours));
	if (!to->f || !to->ours) {
		hook_scan_free(to);
		return false;
	}
	memcpy(to->f, from->f, from->n * sizeof(*to->f));
	memcpy(to->ours, from->ours, from->n * sizeof(*to->ours));
	return true;
}

static bool last_is(const struct state *s, const struct tc_conn *conn, int ifindex,
		    enum hook h)
{
	return s_last.valid && s_last.hs.ifindex == ifindex && s_last.hs.hook == h &&
	       s_last.s == s && s_last.serial == s->serial && s_last.changes == s->changes &&
	       s_last.conn == conn && s_last.tc_changes == tc_conn_changes(conn);
}

int hook_scan(struct state *s, struct tc_conn *conn, int ifindex, enum hook h,
	      struct hook_scan *out, struct errmsg *err)
{
	int r;

	if (last_is(s, conn, ifindex, h) && copy_scan(out, &s_last.hs))
		return 0;
	hook_scan_forget();
	r = scan_now(s, conn, ifindex, h, out, err);
	if (r || s->lock_fd < 0 || !copy_scan(&s_last.hs, out))
		return r;
	s_last.s = s;
	s_last.serial = s->serial;
	s_last.changes = s->changes;
	s_last.conn = conn;
	s_last.tc_changes = tc_conn_changes(conn);
	s_last.valid = true;
	return 0;
}

void hook_scan_free(struct hook_scan *hs)
{
	free(hs->f);
	free(hs->ours);
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
