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

const char *hook_name(enum hook h)
{
	return h == HOOK_INGRESS ? "ingress" : "egress";
}

void vlog(const char *fmt, ...)
{
	va_list ap;

	if (!g_opts.verbose)
		return;
	va_start(ap, fmt);
	fputs("tcsteer: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
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

static bool host_bits_clear(const struct ipaddr *a)
{
	unsigned int bytes = a->family == AF_INET ? 4 : 16;
	unsigned int i;

	for (i = 0; i < bytes; i++) {
		unsigned int first = i * 8;
		uint8_t mask;

		if (first + 8 <= a->prefixlen)
			continue;
		mask = first >= a->prefixlen ? 0xff : (uint8_t)(0xff >> (a->prefixlen - first));
		if (a->addr[i] & mask)
			return false;
	}
	return true;
}

static int parse_prefixlen(const char *s, unsigned int max, unsigned int *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

int parse_ipaddr(struct ipaddr *a, const char *s, bool allow_prefix,
		 struct errmsg *err)
{
	char text[INET6_ADDRSTRLEN + 8];
	const char *what = allow_prefix ? "prefix" : "address";
	char *slash;

	memset(a, 0, sizeof(*a));
	if (strlen(s) >= sizeof(text))
		return errmsg_set(err, EINVAL, "\"%s\" is not an IPv4 or IPv6 %s", s, what);
	strcpy(text, s);
	slash = strchr(text, '/');
	if (slash && !allow_prefix)
		return errmsg_set(err, EINVAL, "\"%s\": a next hop is an address, not a prefix", s);
	if (slash)
		*slash = '\0';
	if (inet_pton(AF_INET, text, a->addr) == 1) {
		a->family = AF_INET;
		a->prefixlen = 32;
	} else if (inet_pton(AF_INET6, text, a->addr) == 1) {
		a->family = AF_INET6;
		a->prefixlen = 128;
	} else {
		return errmsg_set(err, EINVAL, "\"%s\" is not an IPv4 or IPv6 %s", s, what);
	}
	if (slash && parse_prefixlen(slash + 1, a->prefixlen, &a->prefixlen))
		return errmsg_set(err, EINVAL, "\"%s\": prefix length must be 0..%u",
				  s, a->family == AF_INET ? 32 : 128);
	if (!host_bits_clear(a))
		return errmsg_set(err, EINVAL,
				  "\"%s\": address has bits set beyond the /%u prefix",
				  s, a->prefixlen);
	return 0;
}

void format_ipaddr(const struct ipaddr *a, char *out, size_t len)
{
	char text[INET6_ADDRSTRLEN];

	inet_ntop(a->family, a->addr, text, sizeof(text));
	snprintf(out, len, "%s/%u", text, a->prefixlen);
}
