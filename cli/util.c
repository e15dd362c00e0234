/* SPDX-License-Identifier: MIT */
/* Small helpers shared by the commands: devices, files, addresses, logs. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"

int dev_index(const char *dev, struct errmsg *err)
{
	unsigned int idx = if_nametoindex(dev);

	if (!idx)
		return errmsg_set(err, ENODEV, "device \"%s\" not found", dev);
	return (int)idx;
}

void vlogv(const char *fmt, va_list ap)
{
	if (!g_opts.verbose)
		return;
	fputs("tcsteer: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void vlog(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlogv(fmt, ap);
	va_end(ap);
}

/* BPF objects are small (kilobytes); refuse absurd sizes rather than
 * allocate them. */
#define MAX_OBJECT_SIZE (256u << 20)

int read_file(const char *path, void **buf, size_t *len, struct errmsg *err)
{
	struct stat st;
	ssize_t n;
	size_t got = 0;
	char *p;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errmsg_set(err, errno, "cannot open %s: %s", path, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    (unsigned long long)st.st_size > MAX_OBJECT_SIZE) {
		close(fd);
		return errmsg_set(err, EINVAL, "%s: not a regular file of at most %u MiB",
				  path, MAX_OBJECT_SIZE >> 20);
	}
	p = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!p) {
		close(fd);
		return errmsg_set(err, ENOMEM, "%s: out of memory", path);
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, p + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;

			free(p);
			close(fd);
			return errmsg_set(err, e, "cannot read %s: %s", path, strerror(e));
		}
		got += (size_t)n;
	}
	close(fd);
	*buf = p;
	*len = got;
	return 0;
}
