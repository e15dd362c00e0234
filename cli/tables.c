/* SPDX-License-Identifier: MIT */
#include "tables.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "legacy.h"
#include "record.h"

int table_of_hook(struct state *s, const struct hook_scan *hs, struct steer_table *t,
		  struct errmsg *err)
{
	int fd, r;

	if (!hs->cur_id)
		return -ENOENT;
	fd = hook_prog_open(s, hs, hs->cur_id, err);
	if (fd < 0)
		return fd;
	r = table_open_prog(fd, t, err);
	close(fd);
	return r;
}

uint32_t table_owner(const char *name, const char *dev, int ifindex)
{
	if (dev && !strcmp(name, dev))
		return (uint32_t)ifindex;
	return if_nametoindex(name);
}

int default_table(struct state *s, const char *dev, int ifindex,
		  const struct hook_scan *hs, char name[IF_NAMESIZE],
		  struct errmsg *err)
{
	char other[IF_NAMESIZE];
	struct tcsteer_meta m;
	struct steer_table t;
	int fd;

	snprintf(name, IF_NAMESIZE, "%s", dev);
	fd = table_meta_open(s, dev, &m);
	if (fd >= 0) {
		close(fd);
		if (!m.owner_ifindex || m.owner_ifindex == (uint32_t)ifindex ||
		    !if_indextoname(m.owner_ifindex, other))
			return 0;
		return errmsg_set(err, EEXIST, "the table %s belongs to device %s (renamed "
				  "from %s): give %s a table of its own with \"table NAME\"",
				  dev, other, dev, dev);
	}
	table_owned_by(s, (uint32_t)ifindex, name);
	if (name[0])
		return 0;
	if (hs->cur_id && state_by_id(s) && table_of_hook(s, hs, &t, NULL) == 0) {
		if (t.meta >= 0 && t.info.owner_ifindex == (uint32_t)ifindex && t.name[0])
			snprintf(name, IF_NAMESIZE, "%s", t.name);
		table_close(&t);
		if (name[0])
			return 0;
	}
	snprintf(name, IF_NAMESIZE, "%s", dev);
	return 0;
}

/* The tables of the programs tcsteer runs on this namespace's devices,
 * through the kernel (CAP_SYS_ADMIN): fn(t, data) for each distinct one
 * until fn returns non-zero (the table is then the caller's to close). */
static int each_attached_table(struct state *s, struct tc_conn *conn,
			       int (*fn)(struct steer_table *t, void *data), void *data)
{
	struct if_nameindex *ifs, *i;
	uint32_t seen[64];
	size_t nseen = 0, k;
	int stop = 0, h;

	if (!state_by_id(s))
		return 0;
	ifs = if_nameindex();
	for (i = ifs; ifs && !stop && i->if_index; i++)
		for (h = HOOK_EGRESS; !stop && h <= HOOK_INGRESS; h++) {
			struct hook_scan hs;
			struct steer_table t;
			bool dup = false;

			if (hook_scan(s, conn, (int)i->if_index, (enum hook)h, &hs, NULL))
				continue;
			if (table_of_hook(s, &hs, &t, NULL) == 0) {
				for (k = 0; k < nseen; k++)
					dup |= seen[k] == t.stats_id;
				if (!dup && nseen < sizeof(seen) / sizeof(seen[0]))
					seen[nseen++] = t.stats_id;
				stop = dup ? 0 : fn(&t, data);
				if (!stop)
					table_close(&t);
			}
			hook_scan_free(&hs);
		}
	if (ifs)
		if_freenameindex(ifs);
	return stop;
}

struct find_named {
	const char *name;
	struct steer_table *out;
};

static int take_named(struct steer_table *t, void *data)
{
	struct find_named *f = data;

	if (strcmp(t->name, f->name))
		return 0;
	*f->out = *t;
	return 1;
}

struct collect {
	struct steer_table first;
	size_t n;
	char names[256];
};

static int take_any(struct steer_table *t, void *data)
{
	struct collect *c = data;
	size_t len = strlen(c->names);

	snprintf(c->names + len, sizeof(c->names) - len, "%s%s", c->n ? ", " : "",
		 t->name[0] ? t->name : "?");
	if (c->n++ == 0) {
		c->first = *t;
		/* kept in first */
		t->v4 = t->v6 = t->stats = t->meta = t->tail = t->flows = -1;
	}
	return 0;
}

/* A table found through the kernel outlives its program only if pinned. */
static int keep(struct state *s, struct steer_table *t, enum table_use use,
		struct errmsg *err)
{
	int r;

	if (use == TABLE_READ || t->pinned)
		return 0;
	r = state_prepare_pins(s, err);
	if (!r && state_can_pin(s))
		r = table_pin(s, t, err);
	if (r)
		table_close(t);
	return r;
}

/* Tables live on bpffs: say so when there is none. */
static const char *no_bpffs(const struct state *s)
{
	return s->root.found ? "" : " (no bpffs is mounted on /sys/fs/bpf, where tables are kept)";
}

/* Neither pins nor the kernel can be asked: say both. */
static int unreachable(const struct state *s, struct errmsg *err)
{
	return errmsg_set(err, EPERM, "cannot reach a steering table: none is pinned "
			  "here (%s), and finding one through the attached program "
			  "needs CAP_SYS_ADMIN", state_why_no_pins(s));
}

static int named_table(struct state *s, struct tc_conn *conn, const char *name,
		       enum table_use use, struct steer_table *t, struct errmsg *err)
{
	struct find_named f = { name, t };
	int r;

	r = table_open_pinned(s, name, t, err);
	if (r != -ENOENT)
		return r;
	if (each_attached_table(s, conn, take_named, &f))
		return keep(s, t, use, err);
	if (use != TABLE_READ && legacy_adopt_table(s, name, err) == 0)
		return table_open_pinned(s, name, t, err);
	if (use != TABLE_CREATE && !state_by_id(s) && !state_can_pin(s))
		return unreachable(s, err);
	if (use != TABLE_CREATE)
		return errmsg_set(err, ENOENT, "no steering table %s in this network "
				  "namespace%s", name, no_bpffs(s));
	r = state_prepare_pins(s, err);
	return r ? r : table_create(s, name, table_owner(name, NULL, 0), t, err);
}

static int only_legacy_table(struct state *s, enum table_use use, struct steer_table *t,
			     struct errmsg *err)
{
	char (*names)[IF_NAMESIZE] = NULL, list[256] = "";
	size_t n = 0, i;
	int r = -ENOENT;

	if (use != TABLE_READ)
		legacy_list_tables(s, &names, &n);
	for (i = 0; i < n; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
			 i ? ", " : "", names[i]);
	if (n == 1 && legacy_adopt_table(s, names[0], err) == 0)
		r = table_open_pinned(s, names[0], t, err);
	else if (n > 1)
		r = errmsg_set(err, EINVAL, "several steering tables of tcsteer 0.1 (%s): "
			       "name one with \"table NAME\"", list);
	free(names);
	return r;
}

static int only_table(struct state *s, struct tc_conn *conn, enum table_use use,
		      struct steer_table *t, struct errmsg *err)
{
	char (*names)[IF_NAMESIZE] = NULL, list[256] = "";
	struct collect c = { .n = 0 };
	size_t n = 0, i;
	int r;

	r = table_list_pinned(s, &names, &n, err);
	if (r)
		return r;
	for (i = 0; i < n; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
			 i ? ", " : "", names[i]);
	if (n == 1)
		r = table_open_pinned(s, names[0], t, err);
	free(names);
	if (n == 1)
		return r;
	if (n > 1)
		return errmsg_set(err, EINVAL, "several steering tables (%s): name one with "
				  "\"table NAME\"", list);
	each_attached_table(s, conn, take_any, &c);
	if (c.n == 1) {
		*t = c.first;
		return keep(s, t, use, err);
	}
	if (c.n > 1) {
		table_close(&c.first);
		return errmsg_set(err, EINVAL, "several steering tables (%s): name one with "
				  "\"table NAME\"", c.names);
	}
	r = only_legacy_table(s, use, t, err);
	if (r != -ENOENT)
		return r;
	if (!state_by_id(s) && !state_can_pin(s))
		return unreachable(s, err);
	return errmsg_set(err, ENOENT, "no steering table in this network namespace yet%s: "
			  "attach tcsteer first, or name one with \"table NAME\"", no_bpffs(s));
}

/* A table of tcsteer 0.1 that no program uses any more is upgraded on the
 * first change; one that a program of 0.1 still uses must wait for that
 * program to be replaced (attach), or the program would not see the new
 * routes. */
static int upgrade_if_unused(struct state *s, struct steer_table *t, enum table_use use,
			     struct errmsg *err)
{
	int r;

	if (t->format == STEER_FORMAT_VERSION || use == TABLE_READ)
		return 0;
	if (record_uses_map(s, t->stats_id) || legacy_uses_map(s, t->stats_id))
		r = table_old_format(t, err);
	else
		r = table_upgrade(s, t, err);
	if (r)
		table_close(t);
	return r;
}

int resolve_table(struct state *s, struct tc_conn *conn, const char *requested,
		  enum table_use use, struct steer_table *t, struct errmsg *err)
{
	int r;

	if (requested && requested[0])
		r = named_table(s, conn, requested, use, t, err);
	else
		r = only_table(s, conn, use, t, err);
	return r ? r : upgrade_if_unused(s, t, use, err);
}
