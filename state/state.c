/* SPDX-License-Identifier: MIT */
#include "state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bpf_sys.h"

int state_open(struct state *s, int sock_fd, enum state_mode mode,
	       struct errmsg *err)
{
	char id[32];
	int r;

	memset(s, 0, sizeof(*s));
	s->lock_fd = -1;
	s->by_id = -1;
	s->root.fd = -1;
	r = netns_id_of_socket(sock_fd, &s->ns, err);
	if (r)
		return r;
	s->writable = mode == STATE_WRITE;
	if (mode == STATE_WRITE) {
		r = netns_lock(STATE_LOCK_TIMEOUT_MS, err);
		if (r < 0 && r != -ENOENT)
			return r;
		s->lock_fd = r;
		if (r == -ENOENT)
			state_note(s, "no /proc: running without the namespace lock");
	}
	r = state_root_open(&s->root, false, err);
	if (r) {
		state_close(s);
		return r;
	}
	netns_id_name(&s->ns, id, sizeof(id));
	if (s->root.found)
		snprintf(s->dir, sizeof(s->dir), "%s/%s/%s", s->root.path,
			 STATE_NETNS_DIR, id);
	return 0;
}

int state_prepare_pins(struct state *s, struct errmsg *err)
{
	char id[32];
	int r;

	if (s->root.found || !s->root.durable)
		return 0;
	state_root_close(&s->root);
	r = state_root_open(&s->root, true, err);
	if (r)
		return r;
	if (s->root.mounted)
		state_note(s, "mounted bpffs on %s", s->root.fd >= 0 ?
			   "/sys/fs/bpf of the parent mount namespace" : s->root.path);
	netns_id_name(&s->ns, id, sizeof(id));
	if (s->root.found)
		snprintf(s->dir, sizeof(s->dir), "%s/%s/%s", s->root.path,
			 STATE_NETNS_DIR, id);
	return 0;
}

void state_close(struct state *s)
{
	state_root_close(&s->root);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	s->lock_fd = -1;
}

const char *state_why_no_pins(const struct state *s)
{
	if (!s->root.durable)
		return s->root.why;
	return "bpffs is not mounted on /sys/fs/bpf";
}

int state_path(const struct state *s, char *out, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n, m;

	n = snprintf(out, len, "%s/", s->dir);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	va_start(ap, fmt);
	m = vsnprintf(out + n, len - (size_t)n, fmt, ap);
	va_end(ap);
	return m < 0 || (size_t)m >= len - (size_t)n ? -ENAMETOOLONG : 0;
}

static int make(const char *path)
{
	return mkdir(path, 0700) == 0 || errno == EEXIST ? 0 : -errno;
}

/* The namespace's directory and its parents, each only if missing. */
static int make_ns_dir(struct state *s)
{
	char path[STATE_PATH_MAX];
	int r;

	r = make(s->dir);
	if (r != -ENOENT)
		return r;
	snprintf(path, sizeof(path), "%s/%s", s->root.path, STATE_DIR);
	r = make(path);
	if (!r) {
		snprintf(path, sizeof(path), "%s/%s", s->root.path, STATE_NETNS_DIR);
		r = make(path);
	}
	return r ? r : make(s->dir);
}

int state_mkdir(struct state *s, const char *rel, struct errmsg *err)
{
	char path[STATE_PATH_MAX];
	int r = 0;

	if (!state_can_pin(s))
		return errmsg_set(err, EROFS, "cannot keep state: %s", state_why_no_pins(s));
	if (rel && state_path(s, path, sizeof(path), "%s", rel))
		return errmsg_set(err, ENAMETOOLONG, "state path too long");
	/* The common case (the directory is there) costs one mkdir. */
	if (rel) {
		r = make(path);
		if (r != -ENOENT)
			goto out;
	}
	if (!s->dir_made) {
		r = make_ns_dir(s);
		if (r)
			goto out;
		s->dir_made = true;
	}
	if (rel)
		r = make(path);
out:
	if (r)
		return errmsg_set(err, -r, "cannot create %s: %s", rel ? path : s->dir,
				  strerror(-r));
	return 0;
}

static int remove_at(int dirfd, const char *name)
{
	struct dirent *de;
	DIR *d;
	int fd;

	if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -errno;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			remove_at(fd, de->d_name);
	closedir(d);
	return unlinkat(dirfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT ? 0 : -errno;
}

int state_remove_tree(const char *path)
{
	return remove_at(AT_FDCWD, path);
}

bool state_by_id(struct state *s)
{
	/* id 0 names nothing: ENOENT with the privilege, EPERM without. */
	if (s->by_id < 0)
		s->by_id = bpf_sys_prog_get_fd_by_id(0, NULL) != -EPERM;
	return s->by_id == 1;
}

void state_note(const struct state *s, const char *fmt, ...)
{
	va_list ap;

	if (!s->note)
		return;
	va_start(ap, fmt);
	s->note(fmt, ap);
	va_end(ap);
}
