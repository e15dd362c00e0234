/* SPDX-License-Identifier: MIT */
#include "gc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bpf_sys.h"
#include "strfmt.h"
#include "legacy.h"
#include "meta.h"
#include "record.h"
#include "table.h"

#define PROC_PID_INIT_INO 0xEFFFFFFCu /* <linux/proc_ns.h> */

const char *gc_kind_name(enum gc_kind kind)
{
	static const char *const names[] = { "netns", "device", "program", "table",
					     "legacy", "link" };

	return names[kind];
}

/* ---- which namespaces are alive ----------------------------------------- */

struct live_ns {
	ino_t ino;
	char path[96];          /* where it can be opened */
	struct netns_id id;     /* filled by resolve_ids() */
	bool has_id;
};

struct live {
	struct live_ns *ns;
	size_t n, cap;
	ino_t *mnt_seen;        /* mount namespaces whose mounts were read */
	size_t nmnt, capmnt;
	unsigned int unreadable; /* processes we may not look at */
};

static bool have(const ino_t *v, size_t n, ino_t ino)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] == ino)
			return true;
	return false;
}

static void add_ns(struct live *l, const char *path)
{
	struct stat st;
	size_t i;

	if (stat(path, &st))
		return;
	for (i = 0; i < l->n; i++)
		if (l->ns[i].ino == st.st_ino)
			return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct live_ns *p = realloc(l->ns, cap * sizeof(*p));

		if (!p)
			return;
		l->ns = p;
		l->cap = cap;
	}
	memset(&l->ns[l->n], 0, sizeof(l->ns[0]));
	l->ns[l->n].ino = st.st_ino;
	snprintf(l->ns[l->n].path, sizeof(l->ns[0].path), "%s", path);
	l->n++;
}

/* Open fds of the process that are network namespaces. */
static void add_fds(struct live *l, const char *pid)
{
	char dir[64], path[128], target[64];
	struct dirent *de;
	DIR *d;

	d = strfmt(dir, sizeof(dir), "/proc/%s/fd", pid) ? NULL : opendir(dir);
	while (d && (de = readdir(d))) {
		ssize_t n;

		if (de->d_name[0] == '.' || strfmt(path, sizeof(path), "%s/%s", dir, de->d_name))
			continue;
		n = readlink(path, target, sizeof(target) - 1);
		if (n > 0 && (target[n] = '\0', !strncmp(target, "net:[", 5)))
			add_ns(l, path);
	}
	if (d)
		closedir(d);
}

/* nsfs bind mounts of network namespaces in the process's mount namespace
 * (read once per mount namespace): /run/netns/<name> and the like. */
static void add_mounts(struct live *l, const char *pid)
{
	char path[64], line[1024], ns_path[96];
	struct stat st;
	FILE *f;

	if (strfmt(path, sizeof(path), "/proc/%s/ns/mnt", pid) || stat(path, &st) ||
	    have(l->mnt_seen, l->nmnt, st.st_ino))
		return;
	if (l->nmnt == l->capmnt) {
		size_t cap = l->capmnt ? 2 * l->capmnt : 16;
		ino_t *p = realloc(l->mnt_seen, cap * sizeof(*p));

		if (!p)
			return;
		l->mnt_seen = p;
		l->capmnt = cap;
	}
	l->mnt_seen[l->nmnt++] = st.st_ino;
	f = strfmt(path, sizeof(path), "/proc/%s/mountinfo", pid) ? NULL : fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		char root[256], point[512];

		/* id parent maj:min root mountpoint ... - fstype source ... */
		if (!strstr(line, " - nsfs ") ||
		    sscanf(line, "%*s %*s %*s %255s %511s", root, point) != 2 ||
		    strncmp(root, "net:[", 5))
			continue;
		if (snprintf(ns_path, sizeof(ns_path), "/proc/%s/root%s", pid, point) <
		    (int)sizeof(ns_path))
			add_ns(l, ns_path);
	}
	if (f)
		fclose(f);
}

static void collect_live(struct live *l)
{
	struct dirent *de;
	DIR *d = opendir("/proc");

	while (d && (de = readdir(d))) {
		char path[64];
		struct stat st;

		if (de->d_name[0] < '0' || de->d_name[0] > '9' ||
		    strfmt(path, sizeof(path), "/proc/%s/ns/net", de->d_name))
			continue;
		if (stat(path, &st) == 0)
			add_ns(l, path);
		else if (errno == EACCES)
			l->unreadable++;
		add_fds(l, de->d_name);
		add_mounts(l, de->d_name);
	}
	if (d)
		closedir(d);
}

/* The cookie of each live namespace: enter it, ask a socket, come back. */
static void resolve_ids(struct live *l, bool by_inode)
{
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	size_t i;

	for (i = 0; i < l->n; i++) {
		struct live_ns *ns = &l->ns[i];
		int fd, sock;

		if (by_inode) {
			ns->id.value = ns->ino;
			ns->id.is_inode = true;
			ns->has_id = true;
			continue;
		}
		fd = open(ns->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || self < 0 || setns(fd, CLONE_NEWNET)) {
			if (fd >= 0)
				close(fd);
			continue;
		}
		sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		ns->has_id = sock >= 0 && netns_id_of_socket(sock, &ns->id, NULL) == 0;
		if (sock >= 0)
			close(sock);
		close(fd);
		if (setns(self, CLONE_NEWNET))
			break; /* cannot come back: stop looking */
	}
	if (self >= 0)
		close(self);
}

static bool is_live(const struct live *l, const struct netns_id *id)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->ns[i].has_id && netns_id_equal(&l->ns[i].id, id))
			return true;
	return false;
}

static bool in_initial_pid_ns(void)
{
	struct stat st;

	return stat("/proc/self/ns/pid", &st) == 0 && st.st_ino == PROC_PID_INIT_INO;
}

/* ---- removing ------------------------------------------------------------ */

/* The tcx links pinned in a device's directory are detached before their
 * pins go: one whose device moved to another namespace keeps running there
 * (with this namespace's ifindexes in its routes) while anything holds it,
 * and another process may hold an fd of it. Detaching a defunct link is a
 * no-op that succeeds. */
static void detach_links_in(const char *dev_dir)
{
	static const char *const names[] = { "link_egress", "link_ingress" };
	char path[STATE_PATH_MAX * 2];
	unsigned int i;
	int fd;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strfmt(path, sizeof(path), "%s/%s", dev_dir, names[i]))
			continue;
		fd = bpf_sys_obj_get(path, 0, NULL);
		if (fd < 0)
			continue;
		bpf_sys_link_detach(fd, NULL);
		close(fd);
	}
}

/* Every device directory of a namespace's state directory. */
static void detach_links_of_netns(const char *ns_dir)
{
	char path[STATE_PATH_MAX * 2];
	struct dirent *de;
	DIR *d = opendir(ns_dir);

	while (d && (de = readdir(d)))
		if (!strncmp(de->d_name, "if", 2) &&
		    !strfmt(path, sizeof(path), "%s/%s", ns_dir, de->d_name))
			detach_links_in(path);
	if (d)
		closedir(d);
}

struct gc {
	struct state *s;
	gc_report_fn report;
	void *data;
	int removed;
};

static void remove_reported(struct gc *g, enum gc_kind kind, const char *what,
			    const char *path)
{
	if (state_remove_tree(path))
		return;
	g->removed++;
	if (g->report)
		g->report(kind, what, path, true, g->data);
}

static int gc_namespaces(struct gc *g, char *notes, size_t notes_len)
{
	char dir[STATE_PATH_MAX], path[STATE_PATH_MAX * 2];
	struct live l = { 0 };
	bool resolved = false, complete;
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/%s", g->s->root.path, STATE_NETNS_DIR);
	d = opendir(dir);
	complete = in_initial_pid_ns();
	while (d && (de = readdir(d))) {
		struct netns_id id;

		if (!netns_id_parse(de->d_name, &id) || netns_id_equal(&id, &g->s->ns))
			continue;
		if (!complete) {
			if (notes)
				snprintf(notes, notes_len, "not in the initial PID namespace: "
					 "the state of other network namespaces was left alone");
			break;
		}
		if (!resolved) {
			collect_live(&l);
			resolve_ids(&l, id.is_inode);
			resolved = true;
			if (l.unreadable && notes)
				snprintf(notes, notes_len, "%u processes could not be looked "
					 "at; taken to be in the initial network namespace",
					 l.unreadable);
		}
		if (is_live(&l, &id))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		/* Its devices may live on (a physical device goes back to
		 * the initial namespace), and so would links on them. */
		detach_links_of_netns(path);
		remove_reported(g, GC_NETNS, de->d_name, path);
	}
	if (d)
		closedir(d);
	free(l.ns);
	free(l.mnt_seen);
	return 0;
}

/* A device that is still here, whose tcx link record no longer runs on
 * it: defunct (detached by someone), or the device it ran on left the
 * namespace and another one got its ifindex. The record goes, after the
 * link is detached. */
static void gc_stale_links(struct gc *g, unsigned int ifindex, const char *dev_dir_name)
{
	char what[300], path[STATE_PATH_MAX * 2];
	struct tcx_link_state st;
	uint32_t recorded;
	enum link_where w;
	int h, fd;

	for (h = HOOK_EGRESS; h <= HOOK_INGRESS; h++) {
		fd = record_link_open(g->s, (int)ifindex, (enum hook)h, NULL);
		if (fd < 0)
			continue;
		w = record_link_where(fd, (int)ifindex, (enum hook)h, &st);
		if (w == LINK_DEFUNCT || w == LINK_MOVED) {
			bpf_sys_link_detach(fd, NULL);
			record_link_remove(g->s, (int)ifindex, (enum hook)h, NULL);
			/* The program record goes with it if it names the
			 * link's program (not a filter's, mid-switch). */
			if (!record_read(g->s, (int)ifindex, (enum hook)h, &recorded, NULL) &&
			    recorded == st.prog_id)
				record_remove(g->s, (int)ifindex, (enum hook)h, NULL);
			if (strfmt(what, sizeof(what), "%s/link_%s", dev_dir_name,
				   hook_name((enum hook)h)) ||
			    strfmt(path, sizeof(path), "%s/%s", g->s->dir, what))
				path[0] = '\0';
			g->removed++;
			if (g->report)
				g->report(GC_LINK, what, path, true, g->data);
		}
		close(fd);
	}
}

static void gc_devices(struct gc *g, bool stale_links)
{
	char path[STATE_PATH_MAX * 2], ifname[IF_NAMESIZE];
	struct dirent *de;
	DIR *d = opendir(g->s->dir);

	while (d && (de = readdir(d))) {
		unsigned int ifindex;
		char end;

		if (sscanf(de->d_name, "if%u%c", &ifindex, &end) != 1)
			continue;
		if (if_indextoname(ifindex, ifname)) {
			if (stale_links)
				gc_stale_links(g, ifindex, de->d_name);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", g->s->dir, de->d_name);
		detach_links_in(path);
		remove_reported(g, GC_DEVICE, de->d_name, path);
	}
	if (d)
		closedir(d);
}

static void gc_programs_and_tables(struct gc *g)
{
	char path[STATE_PATH_MAX * 2], ifname[IF_NAMESIZE];
	char (*names)[IF_NAMESIZE] = NULL;
	struct dirent *de;
	size_t n = 0, i;
	DIR *d = opendir(g->s->dir);
	unsigned int id;
	char end;

	while (d && (de = readdir(d))) {
		if (sscanf(de->d_name, "prog%u%c", &id, &end) != 1)
			continue;
		/* record_release_prog() removes it unless a record names it. */
		snprintf(path, sizeof(path), "%s/%s", g->s->dir, de->d_name);
		record_release_prog(g->s, id);
		if (access(path, F_OK)) {
			g->removed++;
			if (g->report)
				g->report(GC_PROGRAM, de->d_name, path, true, g->data);
		}
	}
	if (d)
		closedir(d);
	table_list_pinned(g->s, &names, &n, NULL);
	for (i = 0; i < n; i++) {
		struct steer_table t;
		bool gone;

		if (table_open_pinned(g->s, names[i], &t, NULL))
			continue;
		/* The own table of a device that is gone (not one named for
		 * itself), that no recorded program uses and no device of its
		 * name would take. */
		gone = t.meta >= 0 && t.info.owner_ifindex &&
		       !if_indextoname(t.info.owner_ifindex, ifname) &&
		       !if_nametoindex(names[i]) && !record_uses_map(g->s, t.stats_id);
		table_close(&t);
		if (gone && !table_dir(g->s, names[i], path, sizeof(path)))
			remove_reported(g, GC_TABLE, names[i], path);
	}
	free(names);
}

int state_gc_devices(struct state *s, gc_report_fn report, void *data)
{
	struct gc g = { .s = s, .report = report, .data = data };

	if (s->root.found)
		gc_devices(&g, false);
	return g.removed;
}

static void report_legacy(const char *path, void *data)
{
	struct gc *g = data;

	if (g->report)
		g->report(GC_LEGACY, strrchr(path, '/') + 1, path, false, g->data);
}

int state_gc(struct state *s, gc_report_fn report, void *data, char *notes,
	     size_t notes_len, struct errmsg *err)
{
	struct gc g = { .s = s, .report = report, .data = data };

	(void)err;
	if (notes && notes_len)
		notes[0] = '\0';
	if (!s->root.found)
		return 0;
	gc_namespaces(&g, notes, notes_len);
	gc_devices(&g, true);
	gc_programs_and_tables(&g);
	/* The namespace's own directory, once nothing is left in it. */
	rmdir(s->dir);
	legacy_each_dir(s, report_legacy, &g);
	return g.removed;
}
