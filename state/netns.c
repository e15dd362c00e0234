/* SPDX-License-Identifier: MIT */
#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71 /* <asm-generic/socket.h>, 5.14 */
#endif

#define SELF_NETNS "/proc/self/ns/net"

int netns_id_of_socket(int fd, struct netns_id *id, struct errmsg *err)
{
	socklen_t len = sizeof(id->value);
	struct stat st;

	id->is_inode = false;
	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &id->value, &len) == 0)
		return 0;
	if (errno != ENOPROTOOPT)
		return errmsg_set(err, errno, "cannot read the network namespace's cookie: %s",
				  strerror(errno));
	if (stat(SELF_NETNS, &st))
		return errmsg_set(err, errno, "cannot identify the network namespace "
				  "(no SO_NETNS_COOKIE before kernel 5.14, and %s: %s)",
				  SELF_NETNS, strerror(errno));
	id->value = st.st_ino;
	id->is_inode = true;
	return 0;
}

void netns_id_name(const struct netns_id *id, char *out, size_t len)
{
	snprintf(out, len, "%s%" PRIu64, id->is_inode ? "ino-" : "", id->value);
}

bool netns_id_parse(const char *name, struct netns_id *id)
{
	const char *p = name;
	char *end;

	id->is_inode = strncmp(p, "ino-", 4) == 0;
	if (id->is_inode)
		p += 4;
	if (*p < '0' || *p > '9')
		return false;
	errno = 0;
	id->value = strtoull(p, &end, 10);
	return !errno && !*end;
}

bool netns_id_equal(const struct netns_id *a, const struct netns_id *b)
{
	return a->value == b->value && a->is_inode == b->is_inode;
}

/* The pid /proc/locks gives for a flock on the inode of fd, 0 if none. */
static long lock_holder(int fd)
{
	char line[256], want[64];
	struct stat st;
	long pid = 0, p;
	FILE *f;

	if (fstat(fd, &st))
		return 0;
	snprintf(want, sizeof(want), "%02x:%02x:%lu ", major(st.st_dev),
		 minor(st.st_dev), (unsigned long)st.st_ino);
	f = fopen("/proc/locks", "re");
	while (f && !pid && fgets(line, sizeof(line), f))
		if (strstr(line, " FLOCK ") && strstr(line, want) &&
		    sscanf(strstr(line, "WRITE") ? strstr(line, "WRITE") + 5 : "",
			   "%ld", &p) == 1)
			pid = p;
	if (f)
		fclose(f);
	return pid;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

int netns_lock(unsigned int timeout_ms, struct errmsg *err)
{
	unsigned int waited = 0, step = 5;
	int fd = open(SELF_NETNS, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? -ENOENT
				       : errmsg_set(err, errno, "cannot open %s: %s",
						    SELF_NETNS, strerror(errno));
	/* Polled rather than blocking: a blocking flock cannot time out
	 * without a signal handler, and a wedged holder must not hang an
	 * init step for ever. */
	while (flock(fd, LOCK_EX | LOCK_NB)) {
		int e = errno;
		long holder;

		if (e != EWOULDBLOCK && e != EINTR) {
			close(fd);
			return errmsg_set(err, e, "cannot lock %s: %s", SELF_NETNS,
					  strerror(e));
		}
		if (waited >= timeout_ms) {
			holder = lock_holder(fd);
			close(fd);
			if (holder)
				return errmsg_set(err, EBUSY, "another tcsteer (pid %ld) has "
						  "been changing this network namespace's state "
						  "for %u s; try again when it is done", holder,
						  waited / 1000);
			return errmsg_set(err, EBUSY, "another tcsteer has been changing this "
					  "network namespace's state for %u s; try again "
					  "when it is done", waited / 1000);
		}
		sleep_ms(step);
		waited += step;
		if (step < 100)
			step *= 2;
	}
	return fd;
}
