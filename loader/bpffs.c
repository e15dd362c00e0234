/* SPDX-License-Identifier: MIT */
/* bpffs mount, pin directories and pin-name sanitising. */
#include "bpffs.h"

#include <errno.h>
#include <limits.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>

int bpffs_is_bpffs(const char *path)
{
	struct statfs st;

	if (statfs(path, &st))
		return -errno;
	return st.f_type == (typeof(st.f_type))BPF_FS_MAGIC;
}

int bpffs_ensure_mounted(const char *path, FILE *vlog, struct errmsg *err)
{
	int ret = bpffs_is_bpffs(path);

	if (ret == 1)
		return 0;
	if (ret < 0)
		return errmsg_set(err, ret, "cannot mount bpffs on %s: %s",
				  path, strerror(-ret));
	/* 0700: pins give access to the maps; only root needs to see them. */
	if (mount("bpf", path, "bpf", 0, "mode=0700")) {
		if (errno == EPERM)
			return errmsg_set(err, EPERM,
					  "cannot mount bpffs on %s: %s (needs CAP_SYS_ADMIN; or mount it beforehand: mount -t bpf bpf %s)",
					  path, strerror(EPERM), path);
		return errmsg_set(err, errno, "cannot mount bpffs on %s: %s",
				  path, strerror(errno));
	}
	if (vlog)
		fprintf(vlog, "mounted bpffs on %s\n", path);
	return 1;
}

/* The parent directory of `path` (which has no trailing slash). */
static void parent_of(char *dst, size_t size, const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t len;

	if (!slash) {
		snprintf(dst, size, ".");
		return;
	}
	len = slash == path ? 1 : (size_t)(slash - path);
	if (len >= size)
		len = size - 1;
	memcpy(dst, path, len);
	dst[len] = '\0';
}

/* Create one directory whose parent exists, refusing to create it anywhere
 * but on bpffs. */
static int make_dir(const char *dir, mode_t mode, struct errmsg *err)
{
	char parent[PATH_MAX];
	const char *base = strrchr(dir, '/');
	struct stat st;
	int ret;

	if (stat(dir, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return 0;
		return errmsg_set(err, ENOTDIR, "%s exists and is not a directory",
				  dir);
	}
	/* bpffs answers EPERM for names with a dot: checked below. */
	if (errno != ENOENT && errno != EPERM)
		return errmsg_set(err, errno, "cannot access %s: %s", dir,
				  strerror(errno));
	parent_of(parent, sizeof(parent), dir);
	ret = bpffs_is_bpffs(parent);
	if (ret < 0)
		return errmsg_set(err, ret, "cannot access %s: %s", parent,
				  strerror(-ret));
	if (ret == 0)
		return errmsg_set(err, ENOTSUP,
				  "cannot create %s: %s is not on a bpf filesystem (mount -t bpf bpf %s)",
				  dir, parent, parent);
	if (strchr(base ? base + 1 : dir, '.'))
		return errmsg_set(err, EINVAL,
				  "cannot create %s: bpffs does not allow dots in names",
				  dir);
	if (mkdir(dir, mode) && errno != EEXIST)
		return errmsg_set(err, errno, "cannot create directory %s: %s",
				  dir, strerror(errno));
	return 0;
}

int bpffs_mkdir_p(const char *path, mode_t mode, struct errmsg *err)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);
	char *p;
	int ret;

	if (len == 0 || len >= sizeof(buf))
		return errmsg_set(err, ENAMETOOLONG, "bad pin directory \"%s\"",
				  path);
	memcpy(buf, path, len + 1);
	while (len > 1 && buf[len - 1] == '/')
		buf[--len] = '\0';
	/* Each prefix ending before a '/', then the whole path. */
	for (p = buf + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		if (p[-1] != '/') {
			char saved = *p;

			*p = '\0';
			ret = make_dir(buf, mode, err);
			*p = saved;
			if (ret < 0)
				return ret;
		}
		if (*p == '\0')
			break;
	}
	ret = bpffs_is_bpffs(buf);
	if (ret < 0)
		return errmsg_set(err, ret, "cannot access %s: %s", buf,
				  strerror(-ret));
	if (ret == 0)
		return errmsg_set(err, ENOTSUP,
				  "%s is not on a bpf filesystem (mount -t bpf bpf %s)",
				  buf, BPFFS_DEFAULT_MOUNT);
	return 0;
}

void bpffs_sanitize_name(char *dst, size_t size, const char *name)
{
	size_t i;

	if (!size)
		return;
	for (i = 0; name[i] && i + 1 < size; i++)
		dst[i] = name[i] == '.' ? '_' : name[i];
	dst[i] = '\0';
}

int bpffs_pin_path(char *buf, size_t size, const char *dir, const char *name,
		   struct errmsg *err)
{
	char clean[256];
	int n;

	bpffs_sanitize_name(clean, sizeof(clean), name);
	n = snprintf(buf, size, "%s/%s", dir, clean);
	if (n < 0 || (size_t)n >= size)
		return errmsg_set(err, ENAMETOOLONG, "pin path %s/%s is too long",
				  dir, clean);
	return 0;
}
