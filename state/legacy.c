/* SPDX-License-Identifier: MIT */
#include "legacy.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf_sys.h"
#include "bpffs.h"
#include "meta.h"
#include "record.h"
#include "steer_maps.h"
#include "strfmt.h"
#include "table.h"

#define MAX_PROG_MAPS 64

static int old_dir(const struct state *s, const char *name, char *out, size_t len)
{
	char clean[IF_NAMESIZE];
	int n;

	bpffs_sanitize_name(clean, sizeof(clean), name);
	n = snprintf(out, len, "%s/%s/%s", s->root.path, STATE_DIR, clean);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static uint32_t pin_id(const char *path, bool prog)
{
	struct bpf_prog_info pi;
	struct bpf_map_info mi;
	uint32_t id = 0;
	int fd = bpf_sys_obj_get(path, BPF_F_RDONLY, NULL);

	if (fd < 0)
		return 0;
	if (prog ? !bpf_sys_prog_get_info(fd, &pi, NULL) : !bpf_sys_map_get_info(fd, &mi, NULL))
		id = prog ? pi.id : mi.id;
	close(fd);
	return id;
}

/* Move every pin of dir except the hook records into the table's
 * directory, then remove dir if that emptied it. */
static int move_table_pins(struct state *s, const char *dir, const char *name)
{
	char to[STATE_PATH_MAX], from[STATE_PATH_MAX * 2], dst[STATE_PATH_MAX * 2];
	struct dirent *de;
	DIR *d;
	int r;

	if (table_dir(s, name, to, sizeof(to)))
		return -ENAMETOOLONG;
	r = state_mkdir(s, strrchr(to, '/') + 1, NULL);
	if (r)
		return r;
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.' || !strncmp(de->d_name, "prog_", 5))
			continue;
		snprintf(from, sizeof(from), "%s/%s", dir, de->d_name);
		snprintf(dst, sizeof(dst), "%s/%s", to, de->d_name);
		if (rename(from, dst))
			r = -errno;
	}
	if (d)
		closedir(d);
	rmdir(dir);
	return r;
}

/* The table just moved gets its tcsteer_meta, pinned with it; its fd. */
static int give_meta(struct state *s, const char *name, uint32_t owner)
{
	struct steer_table t;
	char dir[STATE_PATH_MAX], path[STATE_PATH_MAX + 16];
	struct tcsteer_meta m;
	int fd;

	if (table_open_pinned(s, name, &t, NULL))
		return -ENOENT;
	if (t.meta >= 0) {
		fd = t.meta;
		t.meta = -1;
		table_close(&t);
		return fd;
	}
	meta_init(&m, name, t.format, owner, s->ns.value);
	table_close(&t);
	fd = meta_create(&m, NULL);
	if (fd >= 0 && !table_dir(s, name, dir, sizeof(dir))) {
		snprintf(path, sizeof(path), "%s/%s", dir, META_MAP_NAME);
		bpf_sys_obj_pin(fd, path, NULL);
	}
	return fd;
}

int legacy_adopt_table(struct state *s, const char *name, struct errmsg *err)
{
	char dir[STATE_PATH_MAX], v4[STATE_PATH_MAX + 16];
	int fd, r;

	if (!state_can_pin(s) || old_dir(s, name, dir, sizeof(dir)))
		return -ENOENT;
	snprintf(v4, sizeof(v4), "%s/%s", dir, STEER_MAP_V4);
	if (access(v4, F_OK))
		return -ENOENT;
	r = move_table_pins(s, dir, name);
	if (r)
		return errmsg_set(err, -r, "cannot move the table of tcsteer 0.1 in %s: %s",
				  dir, strerror(-r));
	fd = give_meta(s, name, if_nametoindex(name));
	if (fd >= 0)
		close(fd);
	state_note(s, "moved the steering table %s of tcsteer 0.1 from %s into this "
		   "network namespace's state", name, dir);
	return 0;
}

/* Which 0.1 directory holds a steer_v4 the program uses: its name, or ""
 * (the program has no steering table). */
static void find_prog_table(struct state *s, int prog_fd, const char *dev,
			    char out[IF_NAMESIZE])
{
	uint32_t ids[MAX_PROG_MAPS], n = MAX_PROG_MAPS, i, id;
	char (*names)[IF_NAMESIZE] = NULL, path[STATE_PATH_MAX * 2], dir[STATE_PATH_MAX];
	size_t nn = 0, j;

	out[0] = '\0';
	if (bpf_sys_prog_get_map_ids(prog_fd, ids, &n, NULL))
		return;
	legacy_list_tables(s, &names, &nn);
	for (j = 0; j < nn && !out[0]; j++) {
		snprintf(path, sizeof(path), "%s/%s/%s/%s", s->root.path, STATE_DIR,
			 names[j], STEER_MAP_V4);
		id = pin_id(path, false);
		for (i = 0; id && i < n && i < MAX_PROG_MAPS; i++)
			if (ids[i] == id) {
				/* The device's own table is named after it, dots
				 * and all; another one by its directory. */
				old_dir(s, dev, dir, sizeof(dir));
				snprintf(out, IF_NAMESIZE, "%s",
					 !strcmp(strrchr(dir, '/') + 1, names[j]) ? dev : names[j]);
			}
	}
	free(names);
}

int legacy_adopt_hook(struct state *s, const char *dev, int ifindex, enum hook h,
		      uint32_t prog_id)
{
	char dir[STATE_PATH_MAX], old[STATE_PATH_MAX + 16], new[STATE_PATH_MAX];
	char table[IF_NAMESIZE], devdir[32];
	int prog_fd, meta_fd;

	if (!state_can_pin(s) || old_dir(s, dev, dir, sizeof(dir)))
		return 0;
	snprintf(old, sizeof(old), "%s/prog_%s", dir, hook_name(h));
	if (pin_id(old, true) != prog_id)
		return 0;
	if (!s->writable)
		return 1;
	snprintf(devdir, sizeof(devdir), "if%d", ifindex);
	if (state_mkdir(s, devdir, NULL) ||
	    state_path(s, new, sizeof(new), "%s/prog_%s", devdir, hook_name(h)) ||
	    rename(old, new))
		return 0;
	prog_fd = record_open(s, ifindex, h, NULL);
	if (prog_fd < 0)
		return 1;
	find_prog_table(s, prog_fd, dev, table);
	if (table[0] && !legacy_adopt_table(s, table, NULL)) {
		meta_fd = give_meta(s, table, (uint32_t)ifindex);
		if (meta_fd >= 0) {
			meta_bind(prog_fd, meta_fd, NULL);
			close(meta_fd);
		}
	}
	close(prog_fd);
	rmdir(dir);
	state_note(s, "took over %s %s from tcsteer 0.1's state in %s", dev, hook_name(h), dir);
	return 1;
}

static bool is_legacy_entry(const char *name)
{
	return name[0] != '.' && strcmp(name, "netns");
}

int legacy_list_tables(struct state *s, char (**names)[IF_NAMESIZE], size_t *n)
{
	char (*out)[IF_NAMESIZE] = NULL, (*grown)[IF_NAMESIZE];
	char root[STATE_PATH_MAX], v4[STATE_PATH_MAX * 2];
	struct dirent *de;
	size_t cap = 0;
	DIR *d;

	*names = NULL;
	*n = 0;
	if (!s->root.found)
		return 0;
	snprintf(root, sizeof(root), "%s/%s", s->root.path, STATE_DIR);
	d = opendir(root);
	while (d && (de = readdir(d))) {
		if (!is_legacy_entry(de->d_name) || strlen(de->d_name) >= IF_NAMESIZE)
			continue;
		snprintf(v4, sizeof(v4), "%s/%s/%s", root, de->d_name, STEER_MAP_V4);
		if (access(v4, F_OK))
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 8;
			grown = realloc(out, cap * sizeof(*out));
			if (!grown)
				break;
			out = grown;
		}
		snprintf(out[(*n)++], IF_NAMESIZE, "%s", de->d_name);
	}
	if (d)
		closedir(d);
	*names = out;
	return 0;
}

struct uses {
	uint32_t map_id;
	bool found;
};

static void dir_uses(const char *path, void *data)
{
	static const char *const hooks[] = { "prog_egress", "prog_ingress" };
	struct uses *u = data;
	char pin[STATE_PATH_MAX * 2 + 16];
	unsigned int i;

	for (i = 0; !u->found && i < 2; i++)
		u->found = !strfmt(pin, sizeof(pin), "%s/%s", path, hooks[i]) &&
			   record_pin_uses_map(pin, u->map_id);
}

bool legacy_uses_map(struct state *s, uint32_t map_id)
{
	struct uses u = { map_id, false };

	legacy_each_dir(s, dir_uses, &u);
	return u.found;
}

void legacy_each_dir(struct state *s, void (*fn)(const char *path, void *data),
		     void *data)
{
	char root[STATE_PATH_MAX], path[STATE_PATH_MAX * 2];
	struct dirent *de;
	DIR *d;

	if (!s->root.found)
		return;
	snprintf(root, sizeof(root), "%s/%s", s->root.path, STATE_DIR);
	d = opendir(root);
	while (d && (de = readdir(d))) {
		if (!is_legacy_entry(de->d_name) || de->d_type != DT_DIR)
			continue;
		snprintf(path, sizeof(path), "%s/%s", root, de->d_name);
		fn(path, data);
	}
	if (d)
		closedir(d);
}
