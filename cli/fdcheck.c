/* SPDX-License-Identifier: MIT */
/* Test builds only (cmake -DTCSTEER_FD_CHECK=ON): at exit, abort with a
 * message naming every file descriptor >= 3 that tcsteer opened and never
 * closed. A one-shot init step that leaks an fd per call is a bug the
 * integration tests should catch, and a leaked bpf map or program fd
 * would also keep kernel objects alive longer than intended.
 *
 * Descriptors open when the process started (inherited from the shell or
 * the test harness) are not tcsteer's: they are noted before main() and
 * left out. Without /proc there is nothing to check. */
#include <dirent.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FDCHECK_MAX 4096

static bool inherited[FDCHECK_MAX];

/* Calls fn for each open fd >= 3 except the directory's own. */
static void each_fd(void (*fn)(int fd, void *data), void *data)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char *end;
		long fd = strtol(de->d_name, &end, 10);

		if (*end || end == de->d_name || fd < 3 || fd == dirfd(d))
			continue;
		fn((int)fd, data);
	}
	closedir(d);
}

static void note_inherited(int fd, void *data)
{
	if (fd < FDCHECK_MAX)
		inherited[fd] = true;
}

static void report_leak(int fd, void *data)
{
	char link[64], target[PATH_MAX];
	unsigned int *leaks = data;
	ssize_t n;

	if (fd < FDCHECK_MAX && inherited[fd])
		return;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	target[n < 0 ? 0 : n] = '\0';
	fprintf(stderr, "tcsteer: fd check: fd %d (%s) is still open at exit\n",
		fd, target);
	(*leaks)++;
}

static void fdcheck_at_exit(void)
{
	unsigned int leaks = 0;

	each_fd(report_leak, &leaks);
	if (leaks)
		abort();
}

__attribute__((constructor)) static void fdcheck_init(void)
{
	each_fd(note_inherited, NULL);
	atexit(fdcheck_at_exit);
}
