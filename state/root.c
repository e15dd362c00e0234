/* SPDX-License-Identifier: MIT */
#include "root.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bpffs.h"

#define BPFFS BPFFS_DEFAULT_MOUNT

/* The parent of pid from /proc/<pid>/stat ("pid (comm) state ppid ..."; a
 * comm may hold spaces and parentheses, so read after the last ')'), 0 if
 * it cannot be read. */
static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512], *p;
	size_t n;
	int ppid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %*c %d", &ppid) != 1)
		return 0;
	return ppid;
}

static bool same_mnt_ns(const struct stat *a, const char *path)
{
	struct stat b;

	return stat(path, &b) == 0 && a->st_dev == b.st_dev && a->st_ino == b.st_ino;
}

/* The nearest ancestor that runs in another mount namespace (`ip netns
 * exec` makes one per command), 0 if there is none we may look at. */
static pid_t foreign_ancestor(void)
{
	struct stat self;
	char path[64];
	pid_t pid;

	if (stat("/proc/self/ns/mnt", &self))
		return 0;
	for (pid = getppid(); pid > 0; pid = parent_of(pid)) {
		struct stat st;

		snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
		if (stat(path, &st))
			return 0; /* not ours to look at (another user, a PID namespace) */
		if (!same_mnt_ns(&self, path))
			return pid;
		if (pid == 1)
			return 0;
	}
	return 0;
}

static void use_fd(struct state_root *r, int fd)
{
	r->fd = fd;
	r->found = true;
	r->durable = true;
	snprintf(r->path, sizeof(r->path), "/proc/self/fd/%d", fd);
}

/* Mount a bpffs on /sys/fs/bpf in pid's mount namespace and return an fd of
 * it: setns() there and back (the process is single-threaded), keeping the
 * working directory. */
static int mount_in_ns_of(pid_t pid, struct errmsg *err)
{
	int target, self, cwd, fd = -1, e = 0;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
	target = open(path, O_RDONLY | O_CLOEXEC);
	self = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (target < 0 || self < 0 || cwd < 0 || setns(target, CLONE_NEWNS)) {
		e = errno;
	} else {
		/* Another tcsteer may have mounted it meanwhile. */
		if (bpffs_is_bpffs(BPFFS) != 1 && mount("bpf", BPFFS, "bpf", 0, "mode=0700"))
			e = errno;
		else
			fd = open(BPFFS, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 && !e)
			e = errno;
		if (setns(self, CLONE_NEWNS) == 0)
			(void)!fchdir(cwd);
	}
	if (target >= 0)
		close(target);
	if (self >= 0)
		close(self);
	if (cwd >= 0)
		close(cwd);
	if (fd >= 0)
		return fd;
	return errmsg_set(err, e, "cannot mount bpffs on %s in the mount namespace of "
			  "process %d (this one is private, as under `ip netns exec`): %s%s",
			  BPFFS, (int)pid, strerror(e),
			  e == EPERM ? " (needs CAP_SYS_ADMIN)" : "");
}

/* /sys/fs/bpf of the ancestor, mounted there first if asked to: 1 when it
 * is used, 0 when it is no bpffs (and may not be mounted), or -errno. */
static int use_ancestors(struct state_root *r, pid_t pid, bool may_mount,
			 struct errmsg *err)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/root%s", (int)pid, BPFFS);
	fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		char self[32];

		snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
		if (bpffs_is_bpffs(self) == 1) {
			use_fd(r, fd);
			return 1;
		}
		close(fd);
	}
	if (!may_mount)
		return 0;
	fd = mount_in_ns_of(pid, err);
	if (fd < 0)
		return fd;
	use_fd(r, fd);
	r->mounted = true;
	return 1;
}

/* A bpffs mounted by PID 1 of a PID namespace dies with it. */
static void not_durable(struct state_root *r)
{
	r->durable = false;
	snprintf(r->why, sizeof(r->why), "no bpffs here outlives this process (tcsteer "
		 "is PID 1, as in a one-shot container: mount the host's %s, e.g. "
		 "-v %s:%s)", BPFFS, BPFFS, BPFFS);
}

int state_root_open(struct state_root *r, bool may_mount, struct errmsg *err)
{
	pid_t ancestor;
	int ret;

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	snprintf(r->path, sizeof(r->path), "%s", BPFFS);
	if (bpffs_is_bpffs(BPFFS) == 1) {
		r->found = r->durable = true;
		return 0;
	}
	ancestor = foreign_ancestor();
	if (ancestor) {
		ret = use_ancestors(r, ancestor, may_mount, err);
		if (ret)
			return ret < 0 ? ret : 0;
	}
	if (getpid() == 1) {
		not_durable(r);
		return 0;
	}
	if (!may_mount) {
		r->durable = true; /* would be, once mounted */
		return 0;
	}
	ret = bpffs_ensure_mounted(BPFFS, NULL, err);
	if (ret < 0)
		return ret;
	r->found = r->durable = true;
	r->mounted = ret == 1;
	return 0;
}

void state_root_close(struct state_root *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}
