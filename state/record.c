/* SPDX-License-Identifier: MIT */
#include "record.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bpf_sys.h"
#include "bpffs.h"

static int record_path(const struct state *s, char *out, size_t len, int ifindex,
		       enum hook h, const char *suffix)
{
	return state_path(s, out, len, "if%d/prog_%s%s", ifindex, hook_name(h), suffix);
}

/* The program id of the pin at path, 0 if there is none. */
static int pin_prog_id(const char *path, uint32_t *prog_id, struct errmsg *err)
{
	struct bpf_prog_info info;
	int fd, r;

	*prog_id = 0;
	fd = bpf_sys_obj_get(path, BPF_F_RDONLY, NULL);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return errmsg_set(err, -fd, "cannot read %s: %s", path, strerror(-fd));
	r = bpf_sys_prog_get_info(fd, &info, NULL);
	close(fd);
	if (r)
		return errmsg_set(err, -r, "%s is not a BPF program pin: %s", path,
				  strerror(-r));
	*prog_id = info.id;
	return 0;
}

static int read_suffix(struct state *s, int ifindex, enum hook h, const char *suffix,
		       uint32_t *prog_id, struct errmsg *err)
{
	char path[STATE_PATH_MAX];

	*prog_id = 0;
	if (!s->root.found || record_path(s, path, sizeof(path), ifindex, h, suffix))
		return 0;
	return pin_prog_id(path, prog_id, err);
}

int record_read(struct state *s, int ifindex, enum hook h, uint32_t *prog_id,
		struct errmsg *err)
{
	return read_suffix(s, ifindex, h, "", prog_id, err);
}

int record_read_old(struct state *s, int ifindex, enum hook h, uint32_t *prog_id)
{
	return read_suffix(s, ifindex, h, "_old", prog_id, NULL);
}

int record_open(struct state *s, int ifindex, enum hook h, struct errmsg *err)
{
	char path[STATE_PATH_MAX];
	int fd;

	if (!s->root.found || record_path(s, path, sizeof(path), ifindex, h, ""))
		return -ENOENT;
	fd = bpf_sys_obj_get(path, 0, NULL);
	if (fd < 0 && fd != -ENOENT)
		return errmsg_set(err, -fd, "cannot open %s: %s", path, strerror(-fd));
	return fd;
}

/* Pin fd as if<ifindex>/<kind>_<hook>, replacing any previous pin
 * atomically: pinned under a temporary name, then renamed over it. */
static int pin_record(struct state *s, int ifindex, enum hook h, const char *kind,
		      int fd, struct errmsg *err)
{
	char dir[32], tmp[STATE_PATH_MAX], path[STATE_PATH_MAX];
	int r;

	snprintf(dir, sizeof(dir), "if%d", ifindex);
	r = state_mkdir(s, dir, err);
	if (r)
		return r;
	if (state_path(s, tmp, sizeof(tmp), "%s/%s_%s_new", dir, kind, hook_name(h)) ||
	    state_path(s, path, sizeof(path), "%s/%s_%s", dir, kind, hook_name(h)))
		return errmsg_set(err, ENAMETOOLONG, "state path too long");
	r = bpf_sys_obj_pin(fd, tmp, NULL);
	if (r == -EEXIST) {
		/* Left by a run that died between pin and rename. */
		unlink(tmp);
		r = bpf_sys_obj_pin(fd, tmp, NULL);
	}
	if (r)
		return errmsg_set(err, -r, "cannot pin %s: %s", tmp, strerror(-r));
	if (rename(tmp, path)) {
		r = errno;
		unlink(tmp);
		return errmsg_set(err, r, "cannot rename %s to %s: %s", tmp, path,
				  strerror(r));
	}
	return 0;
}

int record_write(struct state *s, int ifindex, enum hook h, int prog_fd,
		 struct errmsg *err)
{
	if (!state_can_pin(s))
		return 0;
	return pin_record(s, ifindex, h, "prog", prog_fd, err);
}

void record_keep_old(struct state *s, int ifindex, enum hook h)
{
	char path[STATE_PATH_MAX], old[STATE_PATH_MAX];
	int fd;

	if (!state_can_pin(s) || record_path(s, path, sizeof(path), ifindex, h, "") ||
	    record_path(s, old, sizeof(old), ifindex, h, "_old"))
		return;
	fd = bpf_sys_obj_get(path, 0, NULL);
	if (fd < 0)
		return;
	unlink(old);
	bpf_sys_obj_pin(fd, old, NULL);
	close(fd);
}

void record_drop_old(struct state *s, int ifindex, enum hook h)
{
	char old[STATE_PATH_MAX];

	if (s->root.found && !record_path(s, old, sizeof(old), ifindex, h, "_old"))
		unlink(old);
}

/* Unlink if<ifindex>/<name>, and the device's directory once empty. */
static int unlink_record(struct state *s, int ifindex, const char *name,
			 struct errmsg *err)
{
	char path[STATE_PATH_MAX];

	if (!s->root.found || state_path(s, path, sizeof(path), "if%d/%s", ifindex, name))
		return 0;
	if (unlink(path) && errno != ENOENT)
		return errmsg_set(err, errno, "cannot remove %s: %s", path, strerror(errno));
	/* The device's directory goes with its last record. */
	if (!state_path(s, path, sizeof(path), "if%d", ifindex))
		rmdir(path);
	return 0;
}

int record_remove(struct state *s, int ifindex, enum hook h, struct errmsg *err)
{
	char name[32];

	snprintf(name, sizeof(name), "prog_%s", hook_name(h));
	return unlink_record(s, ifindex, name, err);
}

/* ---- TCX link records ---------------------------------------------------- */

int record_link_open(struct state *s, int ifindex, enum hook h, struct errmsg *err)
{
	char path[STATE_PATH_MAX];
	int fd;

	if (!s->root.found ||
	    state_path(s, path, sizeof(path), "if%d/link_%s", ifindex, hook_name(h)))
		return -ENOENT;
	fd = bpf_sys_obj_get(path, 0, NULL);
	if (fd < 0 && fd != -ENOENT)
		return errmsg_set(err, -fd, "cannot open %s: %s", path, strerror(-fd));
	return fd;
}

int record_link_write(struct state *s, int ifindex, enum hook h, int link_fd,
		      struct errmsg *err)
{
	if (!state_can_pin(s))
		return errmsg_set(err, EROFS, "cannot keep a tcx link: %s",
				  state_why_no_pins(s));
	return pin_record(s, ifindex, h, "link", link_fd, err);
}

int record_link_remove(struct state *s, int ifindex, enum hook h, struct errmsg *err)
{
	char name[32];

	snprintf(name, sizeof(name), "link_%s", hook_name(h));
	return unlink_record(s, ifindex, name, err);
}

enum link_where record_link_where(int link_fd, int ifindex, enum hook h,
				  struct tcx_link_state *st)
{
	struct tcx_hook th = { .ifindex = ifindex, .dir = (enum tcx_dir)h };
	int r;

	if (tcx_link_state(link_fd, st, NULL))
		return LINK_UNKNOWN;
	if (!st->ifindex)
		return LINK_DEFUNCT;
	r = tcx_link_on_hook(&th, st->link_id, NULL);
	return r > 0 ? LINK_LIVE : r == 0 ? LINK_MOVED : LINK_UNKNOWN;
}

int record_keep_maps(struct state *s, uint32_t prog_id, const int *fds,
		     const char *const *names, unsigned int n, struct errmsg *err)
{
	char dir[32], path[STATE_PATH_MAX];
	unsigned int i;
	int r;

	if (!n)
		return 0;
	if (!state_can_pin(s))
		return errmsg_set(err, EROFS, "cannot keep the program's tail-call tables "
				  "filled after this process: %s", state_why_no_pins(s));
	snprintf(dir, sizeof(dir), "prog%u", prog_id);
	r = state_mkdir(s, dir, err);
	for (i = 0; !r && i < n; i++) {
		char name[BPF_OBJ_NAME_LEN * 4];

		bpffs_sanitize_name(name, sizeof(name), names[i]);
		if (state_path(s, path, sizeof(path), "%s/%s", dir, name))
			return errmsg_set(err, ENAMETOOLONG, "map name too long: %s", names[i]);
		r = bpf_sys_obj_pin(fds[i], path, NULL);
		if (r == -EEXIST)
			r = 0; /* the same program, kept already (attached twice) */
		if (r)
			errmsg_set(err, -r, "cannot pin %s: %s", path, strerror(-r));
	}
	return r;
}

static const char *const record_names[] = { "prog_egress", "prog_ingress",
					    "prog_egress_old", "prog_ingress_old" };

/* fn(pin path, data) for every record of this namespace (current or _old)
 * until fn returns true; true if one did. */
static bool each_record(struct state *s, bool (*fn)(const char *path, void *data),
			void *data)
{
	struct dirent *de;
	bool found = false;
	DIR *d = s->root.found ? opendir(s->dir) : NULL;

	while (d && !found && (de = readdir(d))) {
		char path[STATE_PATH_MAX];
		unsigned int i;

		if (strncmp(de->d_name, "if", 2))
			continue;
		for (i = 0; !found && i < sizeof(record_names) / sizeof(record_names[0]); i++)
			found = !state_path(s, path, sizeof(path), "%s/%s", de->d_name,
					    record_names[i]) && fn(path, data);
	}
	if (d)
		closedir(d);
	return found;
}

static bool names_prog(const char *path, void *data)
{
	uint32_t id;

	return !pin_prog_id(path, &id, NULL) && id == *(const uint32_t *)data;
}

static bool recorded_anywhere(struct state *s, uint32_t prog_id)
{
	return each_record(s, names_prog, &prog_id);
}

bool record_pin_uses_map(const char *path, uint32_t map_id)
{
	uint32_t ids[64], n = 64, i;
	int fd = bpf_sys_obj_get(path, BPF_F_RDONLY, NULL);
	bool uses = false;

	if (fd < 0)
		return false;
	if (!bpf_sys_prog_get_map_ids(fd, ids, &n, NULL))
		for (i = 0; i < n && i < 64 && !uses; i++)
			uses = ids[i] == map_id;
	close(fd);
	return uses;
}

static bool uses_map(const char *path, void *data)
{
	return record_pin_uses_map(path, *(const uint32_t *)data);
}

bool record_uses_map(struct state *s, uint32_t map_id)
{
	return each_record(s, uses_map, &map_id);
}

void record_release_prog(struct state *s, uint32_t prog_id)
{
	char path[STATE_PATH_MAX];

	if (!s->root.found || !prog_id || recorded_anywhere(s, prog_id))
		return;
	if (!state_path(s, path, sizeof(path), "prog%u", prog_id))
		state_remove_tree(path);
}
