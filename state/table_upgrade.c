/* SPDX-License-Identifier: MIT */
/* Upgrading a table of tcsteer 0.1 (format 1: 28-byte routes, 16-byte
 * counters) to the current format: new maps, the same routes with the same
 * counts. Slots are given anew (0.1's tables could have 16384 of them),
 * each route's counters following it. */
#include "table_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf_sys.h"

struct steer_route_v1 {
	__u32 ifindex;
	__u32 slot;
	struct bpf_redir_neigh nh;
};

struct steer_counter_v1 {
	__u64 packets;
	__u64 bytes;
};

_Static_assert(sizeof(struct steer_route_v1) == STEER_V1_ROUTE_SIZE, "v1 route");
_Static_assert(sizeof(struct steer_counter_v1) == STEER_V1_COUNTER_SIZE, "v1 counter");

struct upgrade {
	const struct steer_table *old;
	struct steer_table new;
	unsigned int next_slot;
	struct steer_counter_v1 *v1c;   /* ncpus */
	struct steer_counter *v2c;      /* ncpus */
};

static int copy_counters(struct upgrade *u, __u32 from, __u32 to)
{
	unsigned int i;

	memset(u->v2c, 0, u->old->ncpus * sizeof(*u->v2c));
	if (bpf_sys_map_lookup(u->old->stats, &from, u->v1c, 0, NULL) == 0)
		for (i = 0; i < u->old->ncpus; i++) {
			u->v2c[i].packets = u->v1c[i].packets;
			u->v2c[i].bytes = u->v1c[i].bytes;
		}
	return bpf_sys_map_update(u->new.stats, &to, u->v2c, BPF_ANY, NULL);
}

/* Every route of one trie, with a new slot and its counters. */
static int copy_family(struct upgrade *u, int from, int to, size_t key_size)
{
	unsigned char key[20], next[20];
	struct steer_route_v1 v1;
	struct steer_route v2;
	void *prev = NULL;
	int r;

	while ((r = bpf_sys_map_get_next_key(from, prev, next, NULL)) == 0) {
		memcpy(key, next, key_size);
		prev = key;
		if (bpf_sys_map_lookup(from, key, &v1, 0, NULL))
			continue;
		if (u->next_slot >= STEER_MAX_ROUTES)
			return -ENOSPC;
		memset(&v2, 0, sizeof(v2));
		v2.ifindex = v1.ifindex;
		v2.nh = v1.nh;
		v2.slot = u->next_slot++;
		r = copy_counters(u, v1.slot, v2.slot) ?:
		    bpf_sys_map_update(to, key, &v2, BPF_ANY, NULL);
		if (r)
			return r;
	}
	return r == -ENOENT ? 0 : r;
}

static int new_maps(struct steer_table *t, struct errmsg *err)
{
	struct bpf_map_info info;
	struct object_spec obj;
	struct loaded_object lo;
	size_t i;
	int r;

	r = table_new_maps(NULL, &lo, &obj, err);
	if (r)
		return r;
	for (i = 0; i < obj.nmaps; i++) {
		int *slot = !strcmp(obj.maps[i].name, STEER_MAP_V4) ? &t->v4 :
			    !strcmp(obj.maps[i].name, STEER_MAP_V6) ? &t->v6 :
			    !strcmp(obj.maps[i].name, STEER_MAP_STATS) ? &t->stats : NULL;

		if (slot && lo.map_fds[i] >= 0) {
			*slot = lo.map_fds[i];
			lo.map_fds[i] = -1;
		}
	}
	loaded_object_close(&lo);
	object_close(&obj);
	if (t->stats >= 0 && !bpf_sys_map_get_info(t->stats, &info, NULL))
		t->stats_id = info.id;
	return 0;
}

/* Put fd in place of the pin dir/name: pinned aside, then renamed over. */
static int repin(const char *dir, const char *name, int fd)
{
	char tmp[STATE_PATH_MAX], path[STATE_PATH_MAX];
	int r;

	snprintf(tmp, sizeof(tmp), "%s/%s_new", dir, name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(tmp);
	r = bpf_sys_obj_pin(fd, tmp, NULL);
	if (!r && rename(tmp, path))
		r = -errno;
	return r;
}

static int repin_all(struct state *s, const struct steer_table *t, struct errmsg *err)
{
	char dir[STATE_PATH_MAX];
	int r;

	table_dir(s, t->name, dir, sizeof(dir));
	r = repin(dir, STEER_MAP_V4, t->v4) ?: repin(dir, STEER_MAP_V6, t->v6) ?:
	    repin(dir, STEER_MAP_STATS, t->stats) ?: repin(dir, META_MAP_NAME, t->meta);
	if (r)
		return errmsg_set(err, -r, "cannot pin the upgraded table in %s: %s", dir,
				  strerror(-r));
	return 0;
}

int table_upgrade(struct state *s, struct steer_table *t, struct errmsg *err)
{
	struct upgrade u = { .old = t, .next_slot = STEER_SLOT_MISS + 1 };
	int r;

	if (t->format == STEER_FORMAT_VERSION)
		return 0;
	table_init(&u.new, t->name);
	u.new.format = STEER_FORMAT_VERSION;
	u.v1c = calloc(t->ncpus, sizeof(*u.v1c));
	u.v2c = calloc(t->ncpus, sizeof(*u.v2c));
	r = !u.v1c || !u.v2c ? errmsg_set(err, ENOMEM, "out of memory") : new_maps(&u.new, err);
	if (!r) {
		r = copy_counters(&u, STEER_SLOT_MISS, STEER_SLOT_MISS) ?:
		    copy_family(&u, t->v4, u.new.v4, sizeof(struct steer_key4)) ?:
		    copy_family(&u, t->v6, u.new.v6, sizeof(struct steer_key6));
		if (r)
			errmsg_set(err, -r, "cannot copy the routes of table %s: %s", t->name,
				   r == -ENOSPC ? "more routes than the new table holds"
						: strerror(-r));
	}
	if (!r) {
		meta_init(&u.new.info, t->name, STEER_FORMAT_VERSION,
			  t->meta >= 0 ? t->info.owner_ifindex : 0, s->ns.value);
		u.new.meta = meta_create(&u.new.info, err);
		r = u.new.meta < 0 ? u.new.meta : 0;
	}
	if (!r && t->pinned)
		r = repin_all(s, &u.new, err);
	free(u.v1c);
	free(u.v2c);
	if (r) {
		table_close(&u.new);
		return r;
	}
	u.new.pinned = t->pinned;
	table_close(t);
	*t = u.new;
	state_note(s, "table %s upgraded from the format of tcsteer 0.1", t->name);
	return 0;
}
