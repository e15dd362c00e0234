/* SPDX-License-Identifier: MIT */
/* Opening, creating and pinning steering tables. Routes and counters are in
 * table_routes.c, the format upgrade in table_upgrade.c. */
#include "table.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf_sys.h"
#include "strfmt.h"
#include "embedded.h"
#include "load.h"
#include "object.h"
#include "table_internal.h"

#define TABLE_PREFIX "table-"
#define MAX_PROG_MAPS 64

/* bpffs refuses dots; '%' escapes them (and itself), so that every name
 * has its own directory. */
static void escape_name(char *out, size_t len, const char *name)
{
	size_t o = 0;

	for (; *name && o + 4 < len; name++) {
		if (*name == '.' || *name == '%')
			o += (size_t)snprintf(out + o, len - o, "%%%02x", (unsigned char)*name);
		else
			out[o++] = *name;
	}
	out[o] = '\0';
}

static bool unescape_name(char *out, size_t len, const char *in)
{
	size_t o = 0;
	unsigned int c;

	for (; *in; in++) {
		if (o + 1 >= len)
			return false;
		if (*in == '%') {
			if (sscanf(in + 1, "%2x", &c) != 1)
				return false;
			out[o++] = (char)c;
			in += 2;
		} else {
			out[o++] = *in;
		}
	}
	out[o] = '\0';
	return true;
}

int table_dir(const struct state *s, const char *name, char *out, size_t len)
{
	char esc[3 * IF_NAMESIZE + 1];

	escape_name(esc, sizeof(esc), name);
	return state_path(s, out, len, TABLE_PREFIX "%s", esc);
}

void table_init(struct steer_table *t, const char *name)
{
	memset(t, 0, sizeof(*t));
	t->v4 = t->v6 = t->stats = t->meta = t->tail = t->flows = -1;
	snprintf(t->name, sizeof(t->name), "%s", name ? name : "");
}

void table_close(struct steer_table *t)
{
	int *fds[] = { &t->v4, &t->v6, &t->stats, &t->meta, &t->tail, &t->flows };
	unsigned int i;

	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

/* Which steering map fd is, by name and sizes: 0 and its slot in t, 1 for a
 * map that is none of them, -EPROTO for a steering map of a format this
 * tcsteer does not know, another -errno if it cannot be asked. */
static int classify_map(struct steer_table *t, int fd)
{
	struct bpf_map_info info;
	uint32_t key, now, v1, format;
	int *slot, r;

	r = bpf_sys_map_get_info(fd, &info, NULL);
	if (r)
		return r;
	if (!strcmp(info.name, STEER_MAP_TAIL) || !strcmp(info.name, STEER_MAP_FLOWS)) {
		bool tail = !strcmp(info.name, STEER_MAP_TAIL);

		slot = tail ? &t->tail : &t->flows;
		if (info.type != (tail ? BPF_MAP_TYPE_PROG_ARRAY : BPF_MAP_TYPE_ARRAY_OF_MAPS) ||
		    info.key_size != 4 || info.value_size != 4 || info.max_entries != 1)
			return 1;
		if (*slot >= 0)
			close(*slot);
		*slot = fd;
		return 0;
	}
	if (!strcmp(info.name, STEER_MAP_V4)) {
		slot = &t->v4;
		key = sizeof(struct steer_key4);
	} else if (!strcmp(info.name, STEER_MAP_V6)) {
		slot = &t->v6;
		key = sizeof(struct steer_key6);
	} else if (!strcmp(info.name, STEER_MAP_STATS)) {
		slot = &t->stats;
		key = sizeof(__u32);
	} else {
		return 1;
	}
	now = slot == &t->stats ? sizeof(struct steer_counter) : sizeof(struct steer_route);
	v1 = slot == &t->stats ? STEER_V1_COUNTER_SIZE : STEER_V1_ROUTE_SIZE;
	format = info.value_size == now ? STEER_FORMAT_VERSION : info.value_size == v1 ? 1 : 0;
	if (info.key_size != key || !format || (t->format && t->format != format))
		return -EPROTO;
	t->format = format;
	if (slot == &t->stats)
		t->stats_id = info.id;
	if (*slot >= 0)
		close(*slot);
	*slot = fd;
	return 0;
}

static int complete(struct steer_table *t, const char *where, struct errmsg *err)
{
	if (t->v4 < 0 || t->v6 < 0 || t->stats < 0) {
		bool none = t->v4 < 0 && t->v6 < 0 && t->stats < 0;

		table_close(t);
		if (none)
			return -ENOENT;
		return errmsg_set(err, EINVAL, "%s has only some of the steering maps", where);
	}
	if (t->meta >= 0 && meta_read(t->meta, &t->info) == 0 && !t->name[0])
		snprintf(t->name, sizeof(t->name), "%s", t->info.table);
	return 0;
}

static int open_pin(const char *dir, const char *name, int *fd)
{
	char path[STATE_PATH_MAX];

	*fd = strfmt(path, sizeof(path), "%s/%s", dir, name) ? -ENAMETOOLONG :
	      bpf_sys_obj_get(path, 0, NULL);
	return *fd;
}

/* The learn maps, if the table has them (one made before learn routes
 * has not, nor one of tcsteer 0.1); an error is one: a table read without
 * them would look like one without learn routes. */
static int open_learn_pins(const char *dir, struct steer_table *t, struct errmsg *err)
{
	static const char *const maps[] = { STEER_MAP_TAIL, STEER_MAP_FLOWS };
	unsigned int i;
	int fd, r;

	for (i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		r = open_pin(dir, maps[i], &fd);
		if (r == -ENOENT)
			continue;
		if (r >= 0) {
			r = classify_map(t, fd);
			if (r)
				close(fd);
		}
		if (r < 0)
			return errmsg_set(err, -r, "cannot open %s/%s: %s", dir, maps[i],
					  strerror(-r));
	}
	return 0;
}

int table_open_pinned(struct state *s, const char *name, struct steer_table *t,
		      struct errmsg *err)
{
	static const char *const maps[] = { STEER_MAP_V4, STEER_MAP_V6, STEER_MAP_STATS };
	char dir[STATE_PATH_MAX];
	unsigned int i;
	int fd, r;

	table_init(t, name);
	if (!s->root.found || table_dir(s, name, dir, sizeof(dir)) ||
	    !state_may_exist(s, strrchr(dir, '/') + 1))
		return -ENOENT;
	for (i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		r = open_pin(dir, maps[i], &fd);
		if (r == -ENOENT && i == 0)
			return -ENOENT;
		if (r < 0) {
			table_close(t);
			return errmsg_set(err, -r, "cannot open %s/%s: %s", dir, maps[i],
					  strerror(-r));
		}
		r = classify_map(t, fd);
		if (r) {
			close(fd);
			table_close(t);
			if (r < 0 && r != -EPROTO)
				return errmsg_set(err, -r, "cannot read %s/%s: %s", dir, maps[i],
						  strerror(-r));
			return errmsg_set(err, EPROTO, "%s/%s is not a tcsteer %s map of a "
					  "known format", dir, maps[i], maps[i]);
		}
	}
	if (open_pin(dir, META_MAP_NAME, &t->meta) < 0)
		t->meta = -1;
	r = open_learn_pins(dir, t, err);
	if (r) {
		table_close(t);
		return r;
	}
	t->pinned = true;
	return complete(t, dir, err);
}

int table_open_prog(int prog_fd, struct steer_table *t, struct errmsg *err)
{
	uint32_t ids[MAX_PROG_MAPS], n = MAX_PROG_MAPS, i;
	int fd, r;

	table_init(t, NULL);
	r = bpf_sys_prog_get_map_ids(prog_fd, ids, &n, err);
	if (r)
		return r;
	for (i = 0; i < n && i < MAX_PROG_MAPS; i++) {
		fd = bpf_sys_map_get_fd_by_id(ids[i], NULL);
		if (fd == -EPERM) {
			table_close(t);
			return errmsg_set(err, EPERM, "cannot open the maps of an attached "
					  "program by id (needs CAP_SYS_ADMIN)");
		}
		if (fd < 0)
			continue;
		if (t->meta < 0 && meta_read(fd, &t->info) == 0) {
			t->meta = fd;
			continue;
		}
		r = classify_map(t, fd);
		if (r)
			close(fd);
	}
	return complete(t, "the attached program", err);
}

/* The built-in program's maps: its object loaded with maps only, so that
 * the maps are exactly those the program declares. pin_dir NULL: unpinned. */
int table_new_maps(const char *pin_dir, struct loaded_object *lo,
		   struct object_spec *obj, struct errmsg *err)
{
	struct load_opts lopts = { .pin_dir = pin_dir, .maps_only = true };
	const struct prog_spec *prog;
	int r;

	r = object_open(obj, tcsteer_embedded_obj, tcsteer_embedded_obj_size, err);
	if (r)
		return errmsg_prefix(err, "built-in program");
	prog = object_find_program(obj, NULL, NULL, err);
	r = prog ? object_load(obj, prog, &lopts, lo, err) : -ENOENT;
	if (r)
		object_close(obj);
	return r;
}

int table_meta_open(struct state *s, const char *name, struct tcsteer_meta *m)
{
	char dir[STATE_PATH_MAX];
	int fd;

	if (!s->root.found || table_dir(s, name, dir, sizeof(dir)) ||
	    !state_may_exist(s, strrchr(dir, '/') + 1))
		return -ENOENT;
	if (open_pin(dir, META_MAP_NAME, &fd) < 0)
		return -ENOENT;
	if (meta_read(fd, m)) {
		close(fd);
		return -ENOENT;
	}
	return fd;
}

int table_meta_create(struct state *s, const char *name, uint32_t format,
		      uint32_t owner_ifindex, struct errmsg *err)
{
	char dir[STATE_PATH_MAX], path[STATE_PATH_MAX];
	struct tcsteer_meta m;
	int fd, r;

	if (table_dir(s, name, dir, sizeof(dir)))
		return errmsg_set(err, ENAMETOOLONG, "table name too long: %s", name);
	meta_init(&m, name, format, owner_ifindex, s->ns.value);
	fd = meta_create(&m, err);
	if (fd < 0)
		return fd;
	r = strfmt(path, sizeof(path), "%s/%s", dir, META_MAP_NAME) ?:
	    bpf_sys_obj_pin(fd, path, NULL);
	if (r == -EEXIST) {
		unlink(path);
		r = bpf_sys_obj_pin(fd, path, NULL);
	}
	if (r) {
		close(fd);
		return errmsg_set(err, -r, "cannot pin %s: %s", path, strerror(-r));
	}
	table_owner_note(s, name, owner_ifindex);
	return fd;
}

/* Give the table its tcsteer_meta, pinned with it. */
static int table_make_meta(struct state *s, struct steer_table *t,
			   uint32_t owner_ifindex, struct errmsg *err)
{
	t->meta = table_meta_create(s, t->name, t->format, owner_ifindex, err);
	if (t->meta < 0)
		return t->meta;
	meta_read(t->meta, &t->info);
	return 0;
}

int table_create(struct state *s, const char *name, uint32_t owner_ifindex,
		 struct steer_table *t, struct errmsg *err)
{
	struct object_spec obj;
	struct loaded_object lo;
	char dir[STATE_PATH_MAX];
	int r;

	if (!state_can_pin(s))
		return errmsg_set(err, EROFS, "cannot keep a new steering table %s: %s",
				  name, state_why_no_pins(s));
	r = table_dir(s, name, dir, sizeof(dir));
	if (r)
		return errmsg_set(err, ENAMETOOLONG, "table name too long: %s", name);
	r = state_mkdir(s, strrchr(dir, '/') + 1, err);
	if (r)
		return r;
	r = table_new_maps(dir, &lo, &obj, err);
	if (r)
		return r;
	loaded_object_close(&lo);
	object_close(&obj);
	r = table_open_pinned(s, name, t, err);
	if (r)
		return r == -ENOENT ? errmsg_set(err, EIO, "table %s vanished", name) : r;
	if (t->meta < 0)
		r = table_make_meta(s, t, owner_ifindex, err);
	if (r)
		table_close(t);
	return r;
}

static int pin_fd(const char *dir, const char *name, int fd, struct errmsg *err)
{
	char path[STATE_PATH_MAX];
	int r;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	r = bpf_sys_obj_pin(fd, path, NULL);
	if (r == -EEXIST) {
		/* Another table's pin by this name: ours is the live one. */
		unlink(path);
		r = bpf_sys_obj_pin(fd, path, NULL);
	}
	if (r)
		return errmsg_set(err, -r, "cannot pin %s: %s", path, strerror(-r));
	return 0;
}

int table_pin(struct state *s, struct steer_table *t, struct errmsg *err)
{
	char dir[STATE_PATH_MAX];
	int r;

	if (t->pinned)
		return 0;
	if (!state_can_pin(s))
		return errmsg_set(err, EROFS, "cannot keep the steering table %s: %s",
				  t->name, state_why_no_pins(s));
	r = table_dir(s, t->name, dir, sizeof(dir)) ? -ENAMETOOLONG :
	    state_mkdir(s, strrchr(dir, '/') + 1, err);
	if (r)
		return r;
	r = pin_fd(dir, STEER_MAP_V4, t->v4, err) ?: pin_fd(dir, STEER_MAP_V6, t->v6, err) ?:
	    pin_fd(dir, STEER_MAP_STATS, t->stats, err);
	if (!r && t->tail >= 0)
		r = pin_fd(dir, STEER_MAP_TAIL, t->tail, err);
	if (!r && t->flows >= 0)
		r = pin_fd(dir, STEER_MAP_FLOWS, t->flows, err);
	if (!r && t->meta >= 0) {
		r = pin_fd(dir, META_MAP_NAME, t->meta, err);
		if (!r)
			table_owner_note(s, t->name, t->info.owner_ifindex);
	} else if (!r) {
		r = table_make_meta(s, t, 0, err);
	}
	if (!r)
		t->pinned = true;
	return r;
}

int table_unpin(struct state *s, const char *name, struct errmsg *err)
{
	char dir[STATE_PATH_MAX];
	int r;

	if (!s->root.found || table_dir(s, name, dir, sizeof(dir)))
		return 0;
	r = state_remove_tree(dir);
	state_gone(s, strrchr(dir, '/') + 1);
	table_owners_forget(s);
	if (r)
		return errmsg_set(err, -r, "cannot remove %s: %s", dir, strerror(-r));
	return 0;
}

int table_list_pinned(struct state *s, char (**names)[IF_NAMESIZE], size_t *n,
		      struct errmsg *err)
{
	char (*out)[IF_NAMESIZE] = NULL, (*grown)[IF_NAMESIZE];
	struct dirent *de;
	size_t cap = 0;
	DIR *d;

	*names = NULL;
	*n = 0;
	d = s->root.found && !state_empty(s) ? opendir(s->dir) : NULL;
	while (d && (de = readdir(d))) {
		char name[IF_NAMESIZE], v4[STATE_PATH_MAX];

		if (strncmp(de->d_name, TABLE_PREFIX, strlen(TABLE_PREFIX)) ||
		    !unescape_name(name, sizeof(name), de->d_name + strlen(TABLE_PREFIX)))
			continue;
		/* A table is its maps: a directory that only ever held an
		 * object's other maps is not one. */
		if (strfmt(v4, sizeof(v4), "%s/%s/%s", s->dir, de->d_name, STEER_MAP_V4) ||
		    access(v4, F_OK))
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 8;
			grown = realloc(out, cap * sizeof(*out));
			if (!grown) {
				free(out);
				closedir(d);
				return errmsg_set(err, ENOMEM, "out of memory");
			}
			out = grown;
		}
		snprintf(out[(*n)++], IF_NAMESIZE, "%s", name);
	}
	if (d)
		closedir(d);
	*names = out;
	return 0;
}

/* ---- which device owns which table ---------------------------------------- */

struct table_owner {
	char name[IF_NAMESIZE];
	uint32_t ifindex;
};

/* Every pinned table's owner, from its tcsteer_meta: read once, then kept
 * up to date by this process (which holds the lock: nobody else changes
 * them meanwhile). Without the lock nothing is kept. */
static int read_owners(struct state *s)
{
	char (*names)[IF_NAMESIZE] = NULL;
	struct tcsteer_meta m;
	size_t n = 0, i;
	int fd;

	if (table_list_pinned(s, &names, &n, NULL))
		return -ENOMEM;
	s->owners = calloc(n + 8, sizeof(*s->owners));
	if (!s->owners) {
		free(names);
		return -ENOMEM;
	}
	s->nowners = 0;
	s->owners_cap = n + 8;
	for (i = 0; i < n; i++) {
		fd = table_meta_open(s, names[i], &m);
		if (fd < 0)
			continue;
		close(fd);
		snprintf(s->owners[s->nowners].name, IF_NAMESIZE, "%s", names[i]);
		s->owners[s->nowners++].ifindex = m.owner_ifindex;
	}
	free(names);
	return 0;
}

void table_owned_by(struct state *s, uint32_t ifindex, char name[IF_NAMESIZE])
{
	size_t i;

	name[0] = '\0';
	if (!s->owners && (s->lock_fd < 0 || read_owners(s))) {
		/* Unlocked (or out of memory): ask the pins every time. */
		char (*names)[IF_NAMESIZE] = NULL;
		struct tcsteer_meta m;
		size_t n = 0;
		int fd;

		table_list_pinned(s, &names, &n, NULL);
		for (i = 0; i < n && !name[0]; i++) {
			fd = table_meta_open(s, names[i], &m);
			if (fd < 0)
				continue;
			if (m.owner_ifindex == ifindex)
				snprintf(name, IF_NAMESIZE, "%s", names[i]);
			close(fd);
		}
		free(names);
		return;
	}
	for (i = 0; i < s->nowners && !name[0]; i++)
		if (s->owners[i].ifindex == ifindex)
			snprintf(name, IF_NAMESIZE, "%s", s->owners[i].name);
}

void table_owner_note(struct state *s, const char *name, uint32_t ifindex)
{
	struct table_owner *grown;
	size_t i;

	if (!s->owners)
		return;
	for (i = 0; i < s->nowners; i++)
		if (!strcmp(s->owners[i].name, name)) {
			s->owners[i].ifindex = ifindex;
			return;
		}
	if (s->nowners == s->owners_cap) {
		grown = realloc(s->owners, 2 * s->owners_cap * sizeof(*grown));
		if (!grown) {
			table_owners_forget(s);
			return;
		}
		s->owners = grown;
		s->owners_cap *= 2;
	}
	snprintf(s->owners[s->nowners].name, IF_NAMESIZE, "%s", name);
	s->owners[s->nowners++].ifindex = ifindex;
}

void table_owners_forget(struct state *s)
{
	free(s->owners);
	s->owners = NULL;
	s->nowners = s->owners_cap = 0;
}
