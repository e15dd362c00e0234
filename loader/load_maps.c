/* SPDX-License-Identifier: MIT */
/* object_load's map side: upload the BTF (optional), open matching pins or
 * create the maps, fill and freeze global data, and pin the new maps once
 * every program loaded. */
#include "load_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf_sys.h"
#include "bpffs.h"

/* ---- 2. maps, and the BTF they are created with -------------------------- */

/* Why the kernel refused the BTF, for the verbose note only. */
static void btf_reject_reason(struct load_ctx *c, int ret, char *why,
			      size_t size)
{
	char *buf = malloc(LOG_SIZE_FIRST);
	int fd;

	snprintf(why, size, "%s", strerror(-ret));
	if (!buf)
		return;
	fd = bpf_sys_btf_load(c->obj->btf, c->obj->btf_size, buf,
			      LOG_SIZE_FIRST, 1, NULL, NULL);
	if (fd >= 0) {
		close(fd);
	} else if (buf[0]) {
		char line[256];

		last_meaningful_line(line, sizeof(line), buf);
		snprintf(why, size, "%s: %s", strerror(-ret), line);
	}
	free(buf);
}

static bool btf_wanted(const struct load_ctx *c)
{
	size_t i;

	if (!c->obj->btf || !c->obj->btf_size)
		return false;
	for (i = 0; i < c->obj->nmaps; i++)
		if (c->need_map[i] && (c->obj->maps[i].btf_key_type_id ||
				       c->obj->maps[i].btf_value_type_id))
			return true;
	return false;
}

/* BTF only makes maps prettier to dump: a refusal is a note, not an error
 * (clang and kernel versions disagree about BTF details often enough).
 * Uploaded once, for the first map created with it: a load whose maps all
 * come from pins needs none. */
static void load_btf(struct load_ctx *c)
{
	char why[300];
	int fd;

	if (c->btf_tried)
		return;
	c->btf_tried = true;
	if (!btf_wanted(c))
		return;
	fd = bpf_sys_btf_load(c->obj->btf, c->obj->btf_size, NULL, 0, 0, NULL,
			      NULL);
	if (fd >= 0) {
		c->btf_fd = fd;
		c->lo->btf_loaded = true;
		return;
	}
	if (c->opts->verbose) {
		btf_reject_reason(c, fd, why, sizeof(why));
		load_note(c, "kernel rejected the object's BTF (%s); loading maps without it",
			  why);
	}
}

static const char *pin_dir_for(const struct load_ctx *c,
			       const struct map_spec *m)
{
	if (c->opts->no_pins)
		return NULL;
	switch (m->pinning) {
	case MAP_PIN_BY_NAME:
		return c->opts->pin_dir;
	case MAP_PIN_GLOBAL:
		return c->opts->global_pin_dir ? c->opts->global_pin_dir
					       : BPFFS_TC_GLOBALS;
	default:
		return NULL;
	}
}

static int make_pin_path(struct load_ctx *c, size_t i)
{
	const struct map_spec *m = &c->obj->maps[i];
	const char *dir = pin_dir_for(c, m);
	char path[PATH_MAX];
	int ret;

	if (!dir)
		return 0;
	ret = bpffs_pin_path(path, sizeof(path), dir, m->name, c->err);
	if (ret < 0)
		return ret;
	c->pin_path[i] = strdup(path);
	if (!c->pin_path[i])
		return errmsg_set(c->err, ENOMEM, "out of memory");
	return 0;
}

/* A pin may hold a program or link as well; only a map will do. /proc may
 * be missing in an initramfs: then trust the info comparison. */
static bool fd_is_map(int fd)
{
	char link[64], target[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return true;
	target[n] = '\0';
	return strcmp(target, "anon_inode:bpf-map") == 0;
}

static int pin_mismatch(struct load_ctx *c, const char *path,
			const char *what, uint32_t have, uint32_t want,
			bool hex)
{
	return errmsg_set(c->err, EINVAL,
			  hex ? "pinned map %s does not match the object: %s 0x%x, object wants 0x%x (remove the pin to recreate it)"
			      : "pinned map %s does not match the object: %s %u, object wants %u (remove the pin to recreate it)",
			  path, what, have, want);
}

static int check_pinned(struct load_ctx *c, const struct map_spec *m,
			const char *path, int fd)
{
	char name[BPF_OBJ_NAME_LEN];
	struct bpf_map_info info;
	int ret;

	/* A map's info carries its name where a program's, link's or BTF's
	 * has no such string: the name expected says it is a map, without
	 * asking /proc. */
	ret = bpf_sys_map_get_info(fd, &info, c->err);
	object_kernel_name(name, m->name);
	if ((ret < 0 || strcmp(info.name, name)) && !fd_is_map(fd))
		return errmsg_set(c->err, EINVAL,
				  "pinned object %s is not a map (remove the pin to recreate it)",
				  path);
	if (ret < 0)
		return errmsg_prefix(c->err, "pinned map %s", path);
	if (info.type != m->type)
		return pin_mismatch(c, path, "type", info.type, m->type, false);
	if (info.key_size != m->key_size)
		return pin_mismatch(c, path, "key size", info.key_size,
				    m->key_size, false);
	if (info.value_size != m->value_size)
		return pin_mismatch(c, path, "value size", info.value_size,
				    m->value_size, false);
	if (info.max_entries != m->max_entries)
		return pin_mismatch(c, path, "max_entries", info.max_entries,
				    m->max_entries, false);
	if (info.map_flags != m->flags)
		return pin_mismatch(c, path, "flags", info.map_flags, m->flags,
				    true);
	c->map_ids[m - c->obj->maps] = info.id;
	return 0;
}

/* Returns 1 and the fd in lo->map_fds[i] if a matching pin exists, 0 if
 * there is no pin, or -errno. */
static int open_pinned(struct load_ctx *c, size_t i)
{
	const char *path = c->pin_path[i];
	int fd, ret;

	fd = bpf_sys_obj_get(path, 0, NULL);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return errmsg_set(c->err, fd, "cannot open pinned map %s: %s",
				  path, strerror(-fd));
	ret = check_pinned(c, &c->obj->maps[i], path, fd);
	if (ret < 0) {
		close(fd);
		return ret;
	}
	c->lo->map_fds[i] = fd;
	load_note(c, "map \"%s\": reusing pin %s", c->obj->maps[i].name,
		  path);
	return 1;
}

/* Returns 1 and a duplicate in lo->map_fds[i] if opts->reuse names the
 * map, 0 if it does not, or -errno. */
static int open_reused(struct load_ctx *c, size_t i)
{
	const struct map_spec *m = &c->obj->maps[i];
	char what[100], name[BPF_OBJ_NAME_LEN];
	size_t j;
	int fd, ret;

	/* Only maps shared by name: a program's own maps (its global data,
	 * its tail-call tables) are always its own. */
	if (m->pinning != MAP_PIN_BY_NAME)
		return 0;
	object_kernel_name(name, m->name);
	for (j = 0; j < c->opts->nreuse; j++)
		if (!strcmp(c->opts->reuse[j].name, name))
			break;
	if (j == c->opts->nreuse)
		return 0;
	snprintf(what, sizeof(what), "\"%s\" of the program it replaces", m->name);
	fd = fcntl(c->opts->reuse[j].fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return errmsg_set(c->err, errno, "cannot reuse map %s: %s", what,
				  strerror(errno));
	ret = check_pinned(c, m, what, fd);
	if (ret < 0) {
		close(fd);
		return ret;
	}
	c->lo->map_fds[i] = fd;
	load_note(c, "map \"%s\": reusing the map of the program it replaces", m->name);
	return 1;
}

static int map_create_error(struct load_ctx *c, const struct map_spec *m,
			    int ret)
{
	if (ret == -EPERM)
		return errmsg_set(c->err, ret,
				  "cannot create map \"%s\": missing privilege: BPF maps need CAP_BPF (or CAP_SYS_ADMIN)",
				  m->name);
	return errmsg_set(c->err, ret,
			  "cannot create map \"%s\" (type %u, key %u, value %u, max_entries %u, flags 0x%x): %s",
			  m->name, m->type, m->key_size, m->value_size,
			  m->max_entries, m->flags, strerror(-ret));
}

/* The template a map of maps is created with: a map like its inner ones
 * (the kernel copies what it needs and keeps none of it), closed right
 * after. One entry: the inner maps' own sizes are given when they are. */
static int create_inner_template(struct load_ctx *c, const struct map_spec *m)
{
	const struct map_spec *in = m->inner;
	struct bpf_sys_map_attr a = {
		.type = in->type,
		.key_size = in->key_size,
		.value_size = in->value_size,
		.max_entries = in->max_entries ? in->max_entries : 1,
		.flags = in->flags,
		.btf_fd = -1,
		.inner_map_fd = -1,
	};
	int fd = bpf_sys_map_create(&a, NULL);

	if (fd < 0)
		return map_create_error(c, in, fd);
	return fd;
}

static int create_map(struct load_ctx *c, size_t i)
{
	const struct map_spec *m = &c->obj->maps[i];
	char name[BPF_OBJ_NAME_LEN];
	struct bpf_sys_map_attr a = {
		.type = m->type,
		.key_size = m->key_size,
		.value_size = m->value_size,
		.max_entries = m->max_entries,
		.flags = m->flags,
		.name = name,
		.btf_fd = -1,
		.inner_map_fd = -1,
	};
	int fd;

	if (m->type == BPF_MAP_TYPE_ARRAY_OF_MAPS ||
	    m->type == BPF_MAP_TYPE_HASH_OF_MAPS) {
		if (!m->inner)
			return errmsg_set(c->err, ENOTSUP,
					  "map \"%s\": a map of maps without its inner map's definition",
					  m->name);
		a.inner_map_fd = create_inner_template(c, m);
		if (a.inner_map_fd < 0)
			return a.inner_map_fd;
	}
	object_kernel_name(name, m->name);
	if (m->btf_value_type_id)
		load_btf(c);
	if (c->btf_fd >= 0 && m->btf_value_type_id) {
		a.btf_fd = c->btf_fd;
		a.btf_key_type_id = m->btf_key_type_id;
		a.btf_value_type_id = m->btf_value_type_id;
		fd = bpf_sys_map_create(&a, NULL);
		if (fd >= 0) {
			if (a.inner_map_fd >= 0)
				close(a.inner_map_fd);
			c->lo->map_fds[i] = fd;
			return 0;
		}
		/* Some map types or kernels refuse BTF types they would
		 * otherwise accept: the map works without them. */
		load_note(c, "map \"%s\": kernel refused its BTF types (%s); creating it without",
			  m->name, strerror(-fd));
		a.btf_fd = -1;
		a.btf_key_type_id = a.btf_value_type_id = 0;
	}
	fd = bpf_sys_map_create(&a, NULL);
	if (a.inner_map_fd >= 0)
		close(a.inner_map_fd);
	if (fd < 0)
		return map_create_error(c, m, fd);
	c->lo->map_fds[i] = fd;
	return 0;
}

/* .data/.rodata start with the section's bytes (.bss is zero already);
 * .rodata is then frozen so the verifier may treat it as constant. */
static int fill_global_data(struct load_ctx *c, size_t i)
{
	const struct map_spec *m = &c->obj->maps[i];
	int fd = c->lo->map_fds[i];
	uint32_t key = 0;
	int ret;

	if (m->init) {
		ret = bpf_sys_map_update(fd, &key, m->init, BPF_ANY, NULL);
		if (ret < 0)
			return errmsg_set(c->err, ret,
					  "cannot fill map \"%s\" with its initial data: %s",
					  m->name, strerror(-ret));
	}
	if (m->freeze) {
		ret = bpf_sys_map_freeze(fd, NULL);
		if (ret < 0)
			return errmsg_set(c->err, ret, "cannot freeze map \"%s\": %s",
					  m->name, strerror(-ret));
	}
	return 0;
}

static int prepare_map(struct load_ctx *c, size_t i)
{
	int ret = open_reused(c, i);

	if (ret != 0)
		return ret < 0 ? ret : 0;
	ret = make_pin_path(c, i);
	if (ret < 0)
		return ret;
	if (c->pin_path[i]) {
		/* Nothing is pinned yet in a directory made just now. */
		ret = c->opts->pin_dir_new && pin_dir_for(c, &c->obj->maps[i]) ==
		      c->opts->pin_dir ? 0 : open_pinned(c, i);
		if (ret != 0)
			return ret < 0 ? ret : 0;
		c->pin_new[i] = true;
	}
	ret = create_map(c, i);
	if (ret < 0)
		return ret;
	return fill_global_data(c, i);
}

/* fn on every map marked in `marked` ([obj->nmaps]), up to a failure. */
static int each_marked_map(struct load_ctx *c, const bool *marked,
			   int (*fn)(struct load_ctx *c, size_t i))
{
	size_t i;
	int ret;

	for (i = 0; i < c->obj->nmaps; i++) {
		if (!marked[i])
			continue;
		ret = fn(c, i);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int prepare_maps(struct load_ctx *c)
{
	return each_marked_map(c, c->need_map, prepare_map);
}

/* ---- 5. pins ------------------------------------------------------------ */

static int pin_map(struct load_ctx *c, size_t i)
{
	const struct map_spec *m = &c->obj->maps[i];
	const char *dir = pin_dir_for(c, m);
	bool *made = dir == c->opts->pin_dir ? &c->pin_dir_made : &c->global_dir_made;
	int ret;

	/* Each directory once per load, not once per map. */
	if (*made)
		ret = 0;
	else if (c->opts->pin_dir_parent_ok && dir == c->opts->pin_dir)
		ret = mkdir(dir, 0700) == 0 || errno == EEXIST ? 0 :
		      errmsg_set(c->err, errno, "cannot create %s: %s", dir, strerror(errno));
	else
		ret = bpffs_mkdir_p(dir, 0700, c->err);
	*made = ret == 0;
	if (ret < 0)
		return errmsg_prefix(c->err, "cannot pin map \"%s\"", m->name);
	ret = bpf_sys_obj_pin(c->lo->map_fds[i], c->pin_path[i], NULL);
	if (ret < 0)
		return errmsg_set(c->err, ret, "cannot pin map \"%s\" at %s: %s",
				  m->name, c->pin_path[i], strerror(-ret));
	c->pinned_here[i] = true;
	load_note(c, "map \"%s\": pinned at %s", m->name, c->pin_path[i]);
	return 0;
}

int pin_new_maps(struct load_ctx *c)
{
	return each_marked_map(c, c->pin_new, pin_map);
}

void unpin_new_maps(struct load_ctx *c)
{
	size_t i;

	for (i = 0; i < c->obj->nmaps; i++)
		if (c->pinned_here[i])
			unlink(c->pin_path[i]);
}
