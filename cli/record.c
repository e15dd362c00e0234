/* SPDX-License-Identifier: MIT */
#include "record.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bpf_sys.h"
#include "bpffs.h"

/* bpffs refuses dots in names, and VLAN devices have them (eth0.100). */
void record_dir(char *out, size_t len, const char *dev)
{
	char name[IF_NAMESIZE];

	bpffs_sanitize_name(name, sizeof(name), dev);
	snprintf(out, len, "%s/%s", TCSTEER_PIN_ROOT, name);
}

static void record_path(char *out, size_t len, const char *dev, enum hook h,
			const char *suffix)
{
	char dir[96];

	record_dir(dir, sizeof(dir), dev);
	snprintf(out, len, "%s/prog_%s%s", dir, hook_name(h), suffix);
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
		return errmsg_set(err, -r, "%s is not a BPF program pin: %s",
				  path, strerror(-r));
	*prog_id = info.id;
	return 0;
}

int record_read(const char *dev, enum hook h, uint32_t *prog_id,
		struct errmsg *err)
{
	char path[128];

	record_path(path, sizeof(path), dev, h, "");
	return pin_prog_id(path, prog_id, err);
}

int record_read_old(const char *dev, enum hook h, uint32_t *prog_id)
{
	char path[128];

	record_path(path, sizeof(path), dev, h, "_old");
	return pin_prog_id(path, prog_id, NULL);
}

void record_keep_old(const char *dev, enum hook h)
{
	char path[128], old[128];
	int fd;

	record_path(path, sizeof(path), dev, h, "");
	record_path(old, sizeof(old), dev, h, "_old");
	fd = bpf_sys_obj_get(path, 0, NULL);
	if (fd < 0)
		return;
	unlink(old);
	bpf_sys_obj_pin(fd, old, NULL);
	close(fd);
}

void record_drop_old(const char *dev, enum hook h)
{
	char old[128];

	record_path(old, sizeof(old), dev, h, "_old");
	unlink(old);
}

int record_open(const char *dev, enum hook h, struct errmsg *err)
{
	char path[128];
	int fd;

	record_path(path, sizeof(path), dev, h, "");
	fd = bpf_sys_obj_get(path, 0, NULL);
	if (fd < 0 && fd != -ENOENT)
		return errmsg_set(err, -fd, "cannot open %s: %s", path, strerror(-fd));
	return fd;
}

/* Pin under a temporary name, then rename over the old record: there is
 * never a moment without a record while the old filter may still exist. */
int record_write(const char *dev, enum hook h, int prog_fd, struct errmsg *err)
{
	char dir[96], tmp[128], path[128];
	int r;

	record_dir(dir, sizeof(dir), dev);
	r = bpffs_mkdir_p(dir, 0700, err);
	if (r)
		return r;
	record_path(tmp, sizeof(tmp), dev, h, "_new");
	record_path(path, sizeof(path), dev, h, "");
	unlink(tmp); /* left over by a run that died between pin and rename */
	r = bpf_sys_obj_pin(prog_fd, tmp, NULL);
	if (r)
		return errmsg_set(err, -r, "cannot pin %s: %s", tmp, strerror(-r));
	if (rename(tmp, path)) {
		r = errno;
		unlink(tmp);
		return errmsg_set(err, r, "cannot rename %s to %s: %s", tmp, path, strerror(r));
	}
	return 0;
}

int record_remove(const char *dev, enum hook h, struct errmsg *err)
{
	char path[128];

	record_path(path, sizeof(path), dev, h, "");
	if (unlink(path) && errno != ENOENT)
		return errmsg_set(err, errno, "cannot remove %s: %s", path, strerror(errno));
	return 0;
}
