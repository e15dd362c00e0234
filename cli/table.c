/* SPDX-License-Identifier: MIT */
#include "table.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bpf_sys.h"
#include "bpffs.h"
#include "embedded.h"
#include "load.h"
#include "object.h"
#include "record.h"

static void map_path(char *out, size_t len, const char *dev, const char *map)
{
	char dir[96];

	record_dir(dir, sizeof(dir), dev);
	snprintf(out, len, "%s/%s", dir, map);
}

static bool has_table(const char *dev)
{
	char path[128];

	map_path(path, sizeof(path), dev, STEER_MAP_V4);
	return access(path, F_OK) == 0;
}

int table_resolve(const char *requested, char dev[IF_NAMESIZE], struct errmsg *err)
{
	char found[512] = "";
	struct dirent *de;
	int count = 0;
	DIR *d;

	if (requested && requested[0]) {
		snprintf(dev, IF_NAMESIZE, "%s", requested);
		return 0;
	}
	d = opendir(TCSTEER_PIN_ROOT);
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.' || strlen(de->d_name) >= IF_NAMESIZE ||
		    !has_table(de->d_name))
			continue;
		if (count++ == 0)
			strcpy(dev, de->d_name); /* length checked above */
		snprintf(found + strlen(found), sizeof(found) - strlen(found),
			 "%s%s", count > 1 ? ", " : "", de->d_name);
	}
	if (d)
		closedir(d);
	if (count == 1)
		return 0;
	if (count == 0)
		return errmsg_set(err, ENOENT, "no steering table yet: attach tcsteer "
				  "first, or name one with \"table NAME\"");
	return errmsg_set(err, EINVAL, "several steering tables (%s): name one with "
			  "\"table NAME\"", found);
}

/* Make the table's maps by loading the built-in program with pinning:
 * the loader pins its maps by name; the program itself is dropped. */
static int table_create(const char *dev, struct errmsg *err)
{
	struct load_opts lopts = { 0 };
	struct object_spec obj;
	struct loaded_object lo;
	const struct prog_spec *prog;
	char dir[96];
	int r;

	r = bpffs_ensure_mounted(BPFFS_DEFAULT_MOUNT, NULL, err);
	if (r < 0)
		return r;
	r = object_open(&obj, tcsteer_embedded_obj, tcsteer_embedded_obj_size, err);
	if (r)
		return errmsg_prefix(err, "built-in program");
	prog = object_find_program(&obj, NULL, NULL, err);
	record_dir(dir, sizeof(dir), dev);
	lopts.pin_dir = dir;
	r = prog ? object_load(&obj, prog, &lopts, &lo, err) : -ENOENT;
	if (!r)
		loaded_object_close(&lo);
	object_close(&obj);
	return r;
}

static int open_map(const char *dev, const char *name, uint32_t key_size,
		    uint32_t value_size, struct errmsg *err)
{
	struct bpf_map_info info;
	char path[128];
	int fd, r;

	map_path(path, sizeof(path), dev, name);
	fd = bpf_sys_obj_get(path, 0, NULL);
	if (fd == -ENOENT)
		return errmsg_set(err, ENOENT, "no steering table for %s (%s is missing)",
				  dev, path);
	if (fd < 0)
		return errmsg_set(err, -fd, "cannot open %s: %s", path, strerror(-fd));
	r = bpf_sys_map_get_info(fd, &info, NULL);
	if (r || info.key_size != key_size || info.value_size != value_size) {
		close(fd);
		return errmsg_set(err, EINVAL, "%s is not a tcsteer %s map (key %u, "
				  "value %u bytes)", path, name, info.key_size,
				  info.value_size);
	}
	return fd;
}

static unsigned int possible_cpus(void)
{
	unsigned int lo, hi, n = 0;
	char buf[256], *p = buf;
	FILE *f = fopen("/sys/devices/system/cpu/possible", "re");

	if (!f || !fgets(buf, sizeof(buf), f)) {
		if (f)
			fclose(f);
		return (unsigned int)sysconf(_SC_NPROCESSORS_CONF);
	}
	fclose(f);
	/* "0-3,8-11": count every range. */
	while (*p) {
		int used;

		if (sscanf(p, "%u-%u%n", &lo, &hi, &used) == 2 ||
		    (sscanf(p, "%u%n", &lo, &used) == 1 && (hi = lo, 1)))
			n += hi - lo + 1;
		else
			break;
		p += used;
		if (*p == ',')
			p++;
		else
			break;
	}
	return n ? n : 1;
}

int table_open(struct steer_table *t, const char *dev, bool create,
	       struct errmsg *err)
{
	int r;

	memset(t, 0, sizeof(*t));
	t->v4 = t->v6 = t->stats = -1;
	snprintf(t->dev, sizeof(t->dev), "%s", dev);
	if (create && !has_table(dev)) {
		r = table_create(dev, err);
		if (r)
			return r;
	}
	t->v4 = open_map(dev, STEER_MAP_V4, sizeof(struct steer_key4),
			 sizeof(struct steer_route), err);
	if (t->v4 >= 0)
		t->v6 = open_map(dev, STEER_MAP_V6, sizeof(struct steer_key6),
				 sizeof(struct steer_route), err);
	if (t->v6 >= 0)
		t->stats = open_map(dev, STEER_MAP_STATS, sizeof(__u32),
				    sizeof(struct steer_counter), err);
	if (t->stats < 0) {
		r = err ? -err->code : -EINVAL;
		table_close(t);
		return r;
	}
	t->ncpus = possible_cpus();
	return 0;
}

void table_close(struct steer_table *t)
{
	if (t->v4 >= 0)
		close(t->v4);
	if (t->v6 >= 0)
		close(t->v6);
	if (t->stats >= 0)
		close(t->stats);
	t->v4 = t->v6 = t->stats = -1;
}

/* The LPM key of a prefix: prefix length, then the address bytes. */
union steer_key {
	struct steer_key4 v4;
	struct steer_key6 v6;
};

static int key_of(const struct steer_table *t, const struct ipaddr *p,
		  union steer_key *k)
{
	memset(k, 0, sizeof(*k));
	if (p->family == AF_INET) {
		k->v4.prefixlen = p->prefixlen;
		memcpy(k->v4.addr, p->addr, 4);
		return t->v4;
	}
	k->v6.prefixlen = p->prefixlen;
	memcpy(k->v6.addr, p->addr, 16);
	return t->v6;
}

/* A lookup in an LPM trie is a longest-prefix match, not an exact one: for
 * 10.1.1.0/24 it returns the route of 10.1.0.0/16 if only that exists. The
 * exact prefix exists iff its lookup finds a route that a lookup one bit
 * shorter does not (every route has a slot of its own, so two routes never
 * have equal values). */
int table_get(const struct steer_table *t, const struct ipaddr *prefix,
	      struct steer_route *r)
{
	struct steer_route shorter;
	union steer_key k;
	int fd = key_of(t, prefix, &k), ret;

	ret = bpf_sys_map_lookup(fd, &k, r, 0, NULL);
	if (ret || prefix->prefixlen == 0)
		return ret;
	/* The prefix length leads both key layouts. */
	k.v4.prefixlen = prefix->prefixlen - 1;
	if (bpf_sys_map_lookup(fd, &k, &shorter, 0, NULL) == 0 &&
	    !memcmp(&shorter, r, sizeof(shorter)))
		return -ENOENT;
	return 0;
}

int table_put(const struct steer_table *t, const struct ipaddr *prefix,
	      const struct steer_route *r, struct errmsg *err)
{
	union steer_key k;
	int fd = key_of(t, prefix, &k), ret;

	ret = bpf_sys_map_update(fd, &k, r, BPF_ANY, NULL);
	if (ret == -ENOSPC)
		return errmsg_set(err, ENOSPC, "steering table of %s is full (%u routes)",
				  t->dev, STEER_MAX_ROUTES);
	if (ret)
		return errmsg_set(err, -ret, "cannot update the steering table of %s: %s",
				  t->dev, strerror(-ret));
	return 0;
}

int table_del(const struct steer_table *t, const struct ipaddr *prefix,
	      struct errmsg *err)
{
	union steer_key k;
	int fd = key_of(t, prefix, &k), ret;

	ret = bpf_sys_map_delete(fd, &k, NULL);
	if (ret && ret != -ENOENT)
		return errmsg_set(err, -ret, "cannot delete from the steering table of %s: %s",
				  t->dev, strerror(-ret));
	return ret;
}

static int append_entry(struct route_entry **out, size_t *n, size_t *cap,
			const struct route_entry *e)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct route_entry *p = realloc(*out, ncap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		*out = p;
		*cap = ncap;
	}
	(*out)[(*n)++] = *e;
	return 0;
}

/* Walk one LPM trie with get_next_key; entries deleted meanwhile are
 * skipped (lookup ENOENT). */
static int list_family(int fd, int family, struct route_entry **out, size_t *n,
		       size_t *cap)
{
	union steer_key k, next;
	unsigned int alen = family == AF_INET ? 4 : 16;
	struct route_entry e;
	void *prev = NULL;
	int r;

	while ((r = bpf_sys_map_get_next_key(fd, prev, &next, NULL)) == 0) {
		k = next;
		prev = &k;
		memset(&e, 0, sizeof(e));
		if (bpf_sys_map_lookup(fd, &k, &e.route, 0, NULL))
			continue;
		e.prefix.family = family;
		e.prefix.prefixlen = family == AF_INET ? k.v4.prefixlen : k.v6.prefixlen;
		memcpy(e.prefix.addr, family == AF_INET ? k.v4.addr : k.v6.addr, alen);
		if (append_entry(out, n, cap, &e))
			return -ENOMEM;
	}
	return r == -ENOENT ? 0 : r;
}

int table_list(const struct steer_table *t, struct route_entry **out,
	       size_t *n, struct errmsg *err)
{
	size_t cap = 0;
	int r;

	*out = NULL;
	*n = 0;
	r = list_family(t->v4, AF_INET, out, n, &cap);
	if (!r)
		r = list_family(t->v6, AF_INET6, out, n, &cap);
	if (r) {
		free(*out);
		*out = NULL;
		*n = 0;
		return errmsg_set(err, -r, "cannot read the steering table of %s: %s",
				  t->dev, strerror(-r));
	}
	return 0;
}

/* The slots in use, per table, as this process knows them. Reading the
 * whole table for every route added made a batch of n routes cost O(n^2)
 * bpf() calls (a full table, 16383 routes: hours). The set is read once per
 * table and then kept up to date by this process's own allocations; a slot
 * freed meanwhile (route del, a rollback) only counts as free again after
 * the set says the table is full, which reads the table again. */
struct slot_cache {
	struct slot_cache *next;
	char dev[IF_NAMESIZE];
	unsigned char used[STEER_MAX_ROUTES];
	unsigned int hint;      /* where to start looking */
};

static struct slot_cache *slot_caches;

static int slot_cache_fill(const struct steer_table *t, struct slot_cache *sc,
			   struct errmsg *err)
{
	struct route_entry *e;
	size_t n, i;
	int r;

	r = table_list(t, &e, &n, err);
	if (r)
		return r;
	memset(sc->used, 0, sizeof(sc->used));
	sc->used[STEER_SLOT_MISS] = 1;
	for (i = 0; i < n; i++)
		if (e[i].route.slot < STEER_MAX_ROUTES)
			sc->used[e[i].route.slot] = 1;
	sc->hint = STEER_SLOT_MISS + 1;
	free(e);
	return 0;
}

static struct slot_cache *slot_cache_of(const struct steer_table *t,
					struct errmsg *err)
{
	struct slot_cache *sc;

	for (sc = slot_caches; sc; sc = sc->next)
		if (!strcmp(sc->dev, t->dev))
			return sc;
	sc = calloc(1, sizeof(*sc));
	if (!sc) {
		errmsg_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	snprintf(sc->dev, sizeof(sc->dev), "%s", t->dev);
	if (slot_cache_fill(t, sc, err)) {
		free(sc);
		return NULL;
	}
	sc->next = slot_caches;
	slot_caches = sc;
	return sc;
}

static int slot_cache_take(struct slot_cache *sc)
{
	unsigned int i, slot;

	for (i = 0; i < STEER_MAX_ROUTES; i++) {
		slot = (sc->hint + i) % STEER_MAX_ROUTES;
		if (!sc->used[slot]) {
			sc->used[slot] = 1;
			sc->hint = slot + 1;
			return (int)slot;
		}
	}
	return -ENOSPC;
}

int table_free_slot(const struct steer_table *t, struct errmsg *err)
{
	struct slot_cache *sc = slot_cache_of(t, err);
	int slot;

	if (!sc)
		return err ? -err->code : -ENOMEM;
	slot = slot_cache_take(sc);
	if (slot < 0) {
		/* Full as far as we know: routes may have gone since. */
		if (slot_cache_fill(t, sc, err))
			return err ? -err->code : -EIO;
		slot = slot_cache_take(sc);
	}
	if (slot < 0)
		return errmsg_set(err, ENOSPC, "steering table of %s is full (%u routes)",
				  t->dev, STEER_MAX_ROUTES - 1);
	return slot;
}

int table_counter(const struct steer_table *t, unsigned int slot,
		  struct steer_counter *sum, struct errmsg *err)
{
	struct steer_counter *v = calloc(t->ncpus, sizeof(*v));
	__u32 key = slot;
	unsigned int i;
	int r;

	memset(sum, 0, sizeof(*sum));
	if (!v)
		return errmsg_set(err, ENOMEM, "out of memory");
	r = bpf_sys_map_lookup(t->stats, &key, v, 0, NULL);
	for (i = 0; !r && i < t->ncpus; i++) {
		sum->packets += v[i].packets;
		sum->bytes += v[i].bytes;
	}
	free(v);
	if (r)
		return errmsg_set(err, -r, "cannot read counters of %s: %s", t->dev,
				  strerror(-r));
	return 0;
}

int table_counter_reset(const struct steer_table *t, unsigned int slot,
			struct errmsg *err)
{
	struct steer_counter *v = calloc(t->ncpus, sizeof(*v));
	__u32 key = slot;
	int r;

	if (!v)
		return errmsg_set(err, ENOMEM, "out of memory");
	r = bpf_sys_map_update(t->stats, &key, v, BPF_ANY, NULL);
	free(v);
	if (r)
		return errmsg_set(err, -r, "cannot reset counters of %s: %s", t->dev,
				  strerror(-r));
	return 0;
}

int table_counter_copy(const struct steer_table *t, unsigned int slot,
		       struct steer_counter **out, struct errmsg *err)
{
	struct steer_counter *v = calloc(t->ncpus, sizeof(*v));
	__u32 key = slot;
	int r;

	*out = NULL;
	if (!v)
		return errmsg_set(err, ENOMEM, "out of memory");
	r = bpf_sys_map_lookup(t->stats, &key, v, 0, NULL);
	if (r) {
		free(v);
		return errmsg_set(err, -r, "cannot read counters of %s: %s", t->dev,
				  strerror(-r));
	}
	*out = v;
	return 0;
}

int table_counter_set(const struct steer_table *t, unsigned int slot,
		      const struct steer_counter *percpu, struct errmsg *err)
{
	__u32 key = slot;
	int r = bpf_sys_map_update(t->stats, &key, percpu, BPF_ANY, NULL);

	if (r)
		return errmsg_set(err, -r, "cannot set counters of %s: %s", t->dev,
				  strerror(-r));
	return 0;
}
