/* SPDX-License-Identifier: MIT */
/* The learn side of a steering table: the flow table in steer_flows' slot
 * and the lookup program in steer_tail's (learn.h). */
#include "learn.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf_sys.h"
#include "embedded.h"
#include "load.h"
#include "object.h"
#include "probe.h"
#include "record.h"
#include "strfmt.h"

static const uint32_t zero;

/* The id a one-slot map of maps or programs holds in *id (0: empty, or no
 * such map); -errno if it cannot be read. */
static int read_slot(int fd, uint32_t *id)
{
	int r;

	*id = 0;
	if (fd < 0)
		return 0;
	r = bpf_sys_map_lookup(fd, &zero, id, 0, NULL);
	return r == -ENOENT ? 0 : r;
}

/* The same, an unreadable slot taken as empty (for what only reports). */
static uint32_t slot_id(int fd)
{
	uint32_t id;

	return read_slot(fd, &id) ? 0 : id;
}

static int lru_pin_path(struct state *s, const struct steer_table *t, char *out, size_t len)
{
	char dir[STATE_PATH_MAX];

	if (!s->root.found || table_dir(s, t->name, dir, sizeof(dir)))
		return -ENOENT;
	return strfmt(out, len, "%s/%s", dir, STEER_MAP_FLOW_LRU) ? -ENAMETOOLONG : 0;
}

bool learn_table_may_learn(struct state *s, const char *name)
{
	char dir[STATE_PATH_MAX], path[STATE_PATH_MAX];

	if (!s->root.found)
		return false;       /* no bpffs: nothing pinned, no learn route */
	if (table_dir(s, name, dir, sizeof(dir)) ||
	    strfmt(path, sizeof(path), "%s/%s", dir, STEER_MAP_FLOWS))
		return true;        /* cannot tell: look */
	return access(path, F_OK) == 0 || errno != ENOENT;
}

int learn_flow_table(struct state *s, const struct steer_table *t, struct errmsg *err)
{
	uint32_t id = slot_id(t->flows);
	char path[STATE_PATH_MAX];
	struct bpf_map_info info;
	int fd;

	if (!id)
		return -ENOENT;
	/* The pin, if it is the table in the slot (no privilege needed). */
	if (!lru_pin_path(s, t, path, sizeof(path))) {
		fd = bpf_sys_obj_get(path, 0, NULL);
		if (fd >= 0 && !bpf_sys_map_get_info(fd, &info, NULL) && info.id == id)
			return fd;
		if (fd >= 0)
			close(fd);
	}
	fd = bpf_sys_map_get_fd_by_id(id, NULL);
	if (fd == -EPERM)
		return errmsg_set(err, EPERM, "cannot open the flow table of %s by id (needs "
				  "CAP_SYS_ADMIN), and it is not pinned here", t->name);
	if (fd < 0)
		return errmsg_set(err, -fd, "cannot open the flow table of %s: %s", t->name,
				  strerror(-fd));
	return fd;
}

int learn_info(struct state *s, const struct steer_table *t, struct learn_info *li)
{
	struct bpf_map_info info;
	int fd;

	memset(li, 0, sizeof(*li));
	li->lru_id = slot_id(t->flows);
	li->reply_id = slot_id(t->tail);
	if (!li->lru_id)
		return 0;
	fd = learn_flow_table(s, t, NULL);
	if (fd >= 0) {
		if (!bpf_sys_map_get_info(fd, &info, NULL))
			li->size = info.max_entries;
		close(fd);
	}
	return 0;
}

int learn_check(struct state *s, const struct steer_table *t, struct errmsg *err)
{
	if (t->format != STEER_FORMAT_VERSION)
		return table_old_format(t, err);
	if (t->tail < 0)
		return errmsg_set(err, EPROTO, "the steering table %s was made by a tcsteer "
				  "without learn routes: attach the steering program again "
				  "(tcsteer attach dev DEV table %s) to give it their maps",
				  t->name, t->name);
	if (!state_can_pin(s) || !t->pinned)
		return errmsg_set(err, EROFS, "learn routes need the steering table pinned "
				  "(%s): the kernel empties the jump to their lookup when the "
				  "last process holding it exits", state_can_pin(s) ?
				  "it is not" : state_why_no_pins(s));
	return 0;
}

/* steer_reply, or its variant without the MTU check where the kernel has
 * no bpf_check_mtu() (5.10, 5.11), as for the steering program. A probe
 * that cannot run says nothing: the load then says what is wrong. */
static const char *reply_program(void)
{
	static int has_mtu = -1;

	if (has_mtu < 0)
		has_mtu = probe_check_mtu(NULL) != 0;
	return has_mtu ? STEER_PROG_REPLY : STEER_PROG_REPLY_COMPAT;
}

/* The built-in object's lookup program loaded onto the table's pinned maps
 * (maps_only: its maps only, which makes a missing steer_flows). Its fd in
 * *prog_fd unless maps_only. */
static int load_reply(struct state *s, const struct steer_table *t, bool maps_only,
		      int *prog_fd, struct errmsg *err)
{
	struct load_opts o = { .maps_only = maps_only, .pin_dir_parent_ok = true };
	char dir[STATE_PATH_MAX];
	const struct prog_spec *p;
	struct object_spec obj;
	struct loaded_object lo;
	int r;

	if (table_dir(s, t->name, dir, sizeof(dir)))
		return errmsg_set(err, ENAMETOOLONG, "table name too long: %s", t->name);
	o.pin_dir = dir;
	r = object_open(&obj, tcsteer_embedded_obj, tcsteer_embedded_obj_size, err);
	if (r)
		return errmsg_prefix(err, "built-in program");
	p = object_find_program(&obj, NULL, reply_program(), err);
	r = p ? object_load(&obj, p, &o, &lo, err) : -ENOENT;
	if (!r && !maps_only) {
		*prog_fd = fcntl(lo.prog_fd, F_DUPFD_CLOEXEC, 0);
		if (*prog_fd < 0)
			r = errmsg_set(err, errno, "cannot keep the lookup program: %s",
				       strerror(errno));
	}
	if (!r)
		loaded_object_close(&lo);
	object_close(&obj);
	return r;
}

/* steer_flows, made by the maps of the lookup program if the table has
 * none yet (pinned with the table). */
static int ensure_flows_map(struct state *s, struct steer_table *t, struct errmsg *err)
{
	char dir[STATE_PATH_MAX], path[STATE_PATH_MAX];
	int r, fd;

	if (t->flows >= 0)
		return 0;
	r = load_reply(s, t, true, NULL, err);
	if (r)
		return r;
	table_dir(s, t->name, dir, sizeof(dir));
	if (strfmt(path, sizeof(path), "%s/%s", dir, STEER_MAP_FLOWS))
		return errmsg_set(err, ENAMETOOLONG, "path too long: %s", dir);
	fd = bpf_sys_obj_get(path, 0, err);
	if (fd < 0)
		return errmsg_prefix(err, "the flow table's slot of %s", t->name);
	t->flows = fd;
	return 0;
}

/* Pin fd as the flow table, replacing the pin of an older one atomically. */
static int pin_lru(struct state *s, const struct steer_table *t, int fd, struct errmsg *err)
{
	char path[STATE_PATH_MAX], tmp[STATE_PATH_MAX + 8];
	int r = lru_pin_path(s, t, path, sizeof(path));

	if (r)
		return errmsg_set(err, -r, "cannot pin the flow table of %s", t->name);
	snprintf(tmp, sizeof(tmp), "%s_new", path);
	unlink(tmp);
	r = bpf_sys_obj_pin(fd, tmp, NULL);
	if (!r && rename(tmp, path))
		r = -errno;
	if (r) {
		unlink(tmp);
		return errmsg_set(err, -r, "cannot pin the flow table at %s: %s", path,
				  strerror(-r));
	}
	return 0;
}

static int new_lru(uint32_t size, struct errmsg *err)
{
	struct bpf_sys_map_attr a = {
		.type = BPF_MAP_TYPE_LRU_HASH,
		.key_size = sizeof(struct steer_flow_key),
		.value_size = sizeof(struct steer_flow),
		.max_entries = size,
		.name = STEER_MAP_FLOW_LRU,
		.btf_fd = -1,
		.inner_map_fd = -1,
	};
	int fd = bpf_sys_map_create(&a, NULL);

	if (fd < 0)
		return errmsg_set(err, -fd, "cannot create a flow table of %u entries: %s",
				  size, strerror(-fd));
	return fd;
}

/* Copy what fits of the old table's flows into the new one (an LRU takes
 * every update; the oldest go first). */
static void copy_flows(int from, int to)
{
	struct steer_flow_key k, next;
	struct steer_flow f;
	void *prev = NULL;

	while (bpf_sys_map_get_next_key(from, prev, &next, NULL) == 0) {
		k = next;
		prev = &k;
		if (bpf_sys_map_lookup(from, &k, &f, 0, NULL) == 0)
			bpf_sys_map_update(to, &k, &f, BPF_ANY, NULL);
	}
}

/* A flow table of size entries in the slot: made if there is none,
 * replaced (with its flows) if it has another size. */
static int ensure_lru(struct state *s, struct steer_table *t, uint32_t size,
		      struct errmsg *err)
{
	struct learn_info li;
	uint32_t id;
	int old = -1, fd, r;

	r = read_slot(t->flows, &id);
	if (r)
		return errmsg_set(err, -r, "cannot read the flow table's slot of %s: %s",
				  t->name, strerror(-r));
	learn_info(s, t, &li);
	if (li.lru_id && (!size || size == li.size))
		return 0;
	if (!size)
		size = STEER_FLOWS_DEFAULT;
	fd = new_lru(size, err);
	if (fd < 0)
		return fd;
	if (li.lru_id) {
		old = learn_flow_table(s, t, err);
		if (old < 0) {
			close(fd);
			return old;
		}
		copy_flows(old, fd);
	}
	/* The slot first: the data path switches in one update; the pin
	 * follows it. */
	r = bpf_sys_map_update(t->flows, &zero, &fd, BPF_ANY, NULL);
	if (r)
		r = errmsg_set(err, -r, "cannot put the flow table in place: %s", strerror(-r));
	else
		r = pin_lru(s, t, fd, err);
	if (!r)
		state_note(s, "table %s: flow table of %u entries%s", t->name, size,
			   li.lru_id ? " (resized, its flows kept)" : "");
	if (old >= 0)
		close(old);
	close(fd);
	return r;
}

static int ensure_reply(struct state *s, struct steer_table *t, bool reload,
			struct errmsg *err)
{
	int fd = -1, r;

	if (!reload && slot_id(t->tail))
		return 0;
	r = load_reply(s, t, false, &fd, err);
	/* Like every program tcsteer loads, it carries the table's
	 * tcsteer_meta: bpftool shows whose it is. */
	if (!r && t->meta >= 0)
		r = meta_bind(fd, t->meta, err);
	if (!r) {
		r = bpf_sys_map_update(t->tail, &zero, &fd, BPF_ANY, NULL);
		if (r)
			r = errmsg_set(err, -r, "cannot put the lookup of learn routes in "
				       "place: %s", strerror(-r));
	}
	if (!r)
		state_note(s, "table %s: learn routes' lookup loaded", t->name);
	if (fd >= 0)
		close(fd);
	return r;
}

int learn_enable(struct state *s, struct steer_table *t, uint32_t size, bool reload,
		 struct errmsg *err)
{
	return learn_check(s, t, err) ?: ensure_flows_map(s, t, err) ?:
	       ensure_lru(s, t, size, err) ?: ensure_reply(s, t, reload, err);
}

/* Empty a one-slot map; true in *was if it held something. */
static int empty_slot(int fd, const char *what, bool *was, struct errmsg *err)
{
	uint32_t id;
	int r = read_slot(fd, &id);

	if (!r && id)
		r = bpf_sys_map_delete(fd, &zero, NULL);
	if (r && r != -ENOENT)
		return errmsg_set(err, -r, "cannot remove %s: %s", what, strerror(-r));
	*was |= id != 0;
	return 0;
}

int learn_disable(struct state *s, struct steer_table *t, struct errmsg *err)
{
	char path[STATE_PATH_MAX];
	bool was = false;
	int r;

	r = empty_slot(t->tail, "the lookup of learn routes", &was, err) ?:
	    empty_slot(t->flows, "the flow table", &was, err);
	if (r)
		return r;
	if (!lru_pin_path(s, t, path, sizeof(path)))
		unlink(path);
	if (was)
		state_note(s, "table %s: no learn route left, flow table and lookup removed",
			   t->name);
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int learn_route_ifindexes(const struct steer_table *t, uint32_t *ifindexes, size_t max,
			  size_t *n, size_t *nroutes, struct errmsg *err)
{
	struct route_entry *e;
	size_t ne, i, j, k = 0;
	int r;

	*n = 0;
	if (nroutes)
		*nroutes = 0;
	r = table_list(t, &e, &ne, err);
	if (r)
		return r;
	for (i = 0; i < ne; i++) {
		if (!(e[i].route.flags & STEER_ROUTE_LEARN))
			continue;
		if (nroutes)
			(*nroutes)++;
		for (j = 0; j < STEER_LEARN_MAX && e[i].route.learn_ifindex[j]; j++)
			if (k < max)
				ifindexes[k++] = e[i].route.learn_ifindex[j];
	}
	free(e);
	qsort(ifindexes, k, sizeof(*ifindexes), cmp_u32);
	for (i = 0; i < k; i++)
		if (!*n || ifindexes[*n - 1] != ifindexes[i])
			ifindexes[(*n)++] = ifindexes[i];
	return 0;
}

int learn_list_flows(int fd, struct flow_entry **out, size_t *n, struct errmsg *err)
{
	struct steer_flow_key k, next;
	struct flow_entry *v = NULL, *grown;
	size_t cap = 0;
	void *prev = NULL;
	int r;

	*out = NULL;
	*n = 0;
	while ((r = bpf_sys_map_get_next_key(fd, prev, &next, NULL)) == 0) {
		k = next;
		prev = &k;
		if (*n == cap) {
			cap = cap ? 2 * cap : 256;
			grown = realloc(v, cap * sizeof(*v));
			if (!grown) {
				free(v);
				return errmsg_set(err, ENOMEM, "out of memory");
			}
			v = grown;
		}
		v[*n].key = k;
		if (bpf_sys_map_lookup(fd, &k, &v[*n].flow, 0, NULL) == 0)
			(*n)++;
	}
	if (r != -ENOENT) {
		free(v);
		*n = 0;
		return errmsg_set(err, -r, "cannot read the flow table: %s", strerror(-r));
	}
	*out = v;
	return 0;
}

#define MAX_PROG_MAPS 64

/* Does program prog_fd use the map of id map_id? 1, 0, or -errno. */
static int uses_map(int prog_fd, uint32_t map_id)
{
	uint32_t ids[MAX_PROG_MAPS], n = MAX_PROG_MAPS, i;
	int r = bpf_sys_prog_get_map_ids(prog_fd, ids, &n, NULL);

	if (r)
		return r;
	for (i = 0; i < n && i < MAX_PROG_MAPS; i++)
		if (ids[i] == map_id)
			return 1;
	return 0;
}

static bool prog_uses_map(int prog_fd, uint32_t map_id)
{
	return uses_map(prog_fd, map_id) > 0;
}

static uint32_t map_id_of(int fd)
{
	struct bpf_map_info info;

	return fd >= 0 && !bpf_sys_map_get_info(fd, &info, NULL) ? info.id : 0;
}

static bool is_learner(int prog_fd);

bool learn_is_learner_of(int prog_fd, const struct steer_table *t)
{
	uint32_t v4 = map_id_of(t->v4);

	return v4 && is_learner(prog_fd) && prog_uses_map(prog_fd, v4);
}

/* 1 if prog_fd is a learner, 0 if not, -errno if it cannot be told. */
static int learner_or_not(int prog_fd)
{
	struct bpf_prog_info info;
	int r = bpf_sys_prog_get_info(prog_fd, &info, NULL);

	return r ? r : !strcmp(info.name, STEER_PROG_LEARN);
}

static bool is_learner(int prog_fd)
{
	return learner_or_not(prog_fd) > 0;
}

/* The records of this namespace whose program pick(fd, arg) takes (1); 0
 * or -errno if one could not be read (a record that cannot be told must
 * not read as "none": learners would be removed for nothing). */
static int scan_records(struct state *s, int (*pick)(int fd, const void *arg),
			const void *arg, struct learn_hook *out, size_t max, size_t *n)
{
	struct dirent *de;
	DIR *d;
	int h, r = 0;

	*n = 0;
	d = s->root.found && s->dir[0] ? opendir(s->dir) : NULL;
	while (!r && d && (de = readdir(d))) {
		char end, name[IF_NAMESIZE];
		int ifindex, fd;

		/* A gone device took its programs along; its records are
		 * gc's. */
		if (sscanf(de->d_name, "if%d%c", &ifindex, &end) != 1 || ifindex <= 0 ||
		    !if_indextoname((unsigned int)ifindex, name))
			continue;
		for (h = HOOK_EGRESS; !r && h <= HOOK_INGRESS; h++) {
			fd = record_open(s, ifindex, (enum hook)h, NULL);
			if (fd == -ENOENT)
				continue;
			r = fd < 0 ? fd : pick(fd, arg);
			if (r == 1 && *n < max) {
				out[*n].ifindex = ifindex;
				out[*n].hook = (enum hook)h;
				(*n)++;
			}
			r = r < 0 ? r : 0;
			if (fd >= 0)
				close(fd);
		}
	}
	if (d)
		closedir(d);
	return r;
}

struct users_of {
	uint32_t v4;
	bool learners;
};

static int pick_user(int fd, const void *arg)
{
	const struct users_of *u = arg;
	int uses = uses_map(fd, u->v4), learner;

	if (uses <= 0)
		return uses;
	learner = learner_or_not(fd);
	return learner < 0 ? learner : learner == u->learners;
}

static int pick_learner(int fd, const void *arg)
{
	(void)arg;
	return learner_or_not(fd);
}

int learn_table_users(struct state *s, const struct steer_table *t, bool learners,
		      struct learn_hook *out, size_t max, size_t *n)
{
	struct users_of u = { map_id_of(t->v4), learners };

	*n = 0;
	if (!u.v4)
		return -EIO;
	return scan_records(s, pick_user, &u, out, max, n);
}

int learn_all_learners(struct state *s, struct learn_hook *out, size_t max, size_t *n)
{
	return scan_records(s, pick_learner, NULL, out, max, n);
}

int learn_table_of_prog(struct state *s, int prog_fd, struct steer_table *t)
{
	char (*names)[IF_NAMESIZE] = NULL;
	size_t n = 0, i;
	int r = -ENOENT;

	table_list_pinned(s, &names, &n, NULL);
	for (i = 0; i < n && r; i++) {
		if (table_open_pinned(s, names[i], t, NULL))
			continue;
		if (prog_uses_map(prog_fd, map_id_of(t->v4)))
			r = 0;
		else
			table_close(t);
	}
	free(names);
	return r;
}
