/* SPDX-License-Identifier: MIT */
/* Routes and counters of a steering table: LPM keys, route slots, per-CPU
 * counters. */
#include "table_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bpf_sys.h"

int table_old_format(const struct steer_table *t, struct errmsg *err)
{
	return errmsg_set(err, EPROTO, "the steering table %s has the format of tcsteer "
			  "0.1: attach the steering program to a device that uses it "
			  "(tcsteer attach dev DEV table %s) to upgrade it; its routes "
			  "are kept", t->name, t->name);
}

/* "0-3,8-11" (/sys/devices/system/cpu/possible): every range counted. */
static unsigned int count_cpus(const char *p)
{
	unsigned int lo, hi, n = 0;

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
	return n;
}

/* Read once per process, and only by what reads or writes counters. */
unsigned int possible_cpus(void)
{
	static unsigned int cached;
	char buf[256];
	ssize_t len = -1;
	int fd;

	if (cached)
		return cached;
	fd = open("/sys/devices/system/cpu/possible", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	if (len > 0) {
		buf[len] = '\0';
		cached = count_cpus(buf);
	}
	if (!cached)
		cached = (unsigned int)sysconf(_SC_NPROCESSORS_CONF);
	if (!cached)
		cached = 1;
	return cached;
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

	if (t->format != STEER_FORMAT_VERSION)
		return -EPROTO;
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

	if (t->format != STEER_FORMAT_VERSION)
		return table_old_format(t, err);
	ret = bpf_sys_map_update(fd, &k, r, BPF_ANY, NULL);
	if (ret == -ENOSPC)
		return errmsg_set(err, ENOSPC, "steering table of %s is full (%u routes)",
				  t->name, STEER_MAX_ROUTES);
	if (ret)
		return errmsg_set(err, -ret, "cannot update the steering table of %s: %s",
				  t->name, strerror(-ret));
	return 0;
}

int table_del(const struct steer_table *t, const struct ipaddr *prefix,
	      struct errmsg *err)
{
	union steer_key k;
	int fd = key_of(t, prefix, &k), ret;

	if (t->format != STEER_FORMAT_VERSION)
		return table_old_format(t, err);
	ret = bpf_sys_map_delete(fd, &k, NULL);
	if (ret && ret != -ENOENT)
		return errmsg_set(err, -ret, "cannot delete from the steering table of %s: %s",
				  t->name, strerror(-ret));
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
 * skipped (lookup ENOENT), any other error ends the walk: a route left out
 * would read as no route. */
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
		r = bpf_sys_map_lookup(fd, &k, &e.route, 0, NULL);
		if (r == -ENOENT)
			continue;
		if (r)
			return r;
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

	if (t->format != STEER_FORMAT_VERSION)
		return table_old_format(t, err);
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
				  t->name, strerror(-r));
	}
	return 0;
}

/* The slots in use, per table, as this process knows them. Reading the
 * whole table for every route added made a batch of n routes cost O(n^2)
 * bpf() calls (a full table, 16383 routes: hours). The set is read once per
 * table and then kept up to date by this process's own allocations; a slot
 * freed meanwhile (route del, a rollback) only counts as free again after
 * the set says the table is full, which reads the table again. The set is
 * right because no other tcsteer changes the table meanwhile: commands that
 * write hold the namespace lock (netns.h) for as long as they run. */
struct slot_cache {
	struct slot_cache *next;
	uint32_t table_id;       /* the counters map id */
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
		if (sc->table_id == t->stats_id)
			return sc;
	sc = calloc(1, sizeof(*sc));
	if (!sc) {
		errmsg_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	sc->table_id = t->stats_id;
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

	if (t->format != STEER_FORMAT_VERSION)
		return table_old_format(t, err);
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
				  t->name, STEER_MAX_ROUTES - 1);
	return slot;
}

int table_counter(const struct steer_table *t, unsigned int slot,
		  struct steer_counter *sum, struct errmsg *err)
{
	struct steer_counter *v = calloc(possible_cpus(), sizeof(*v));
	__u32 key = slot;
	unsigned int i;
	int r;

	if (t->format != STEER_FORMAT_VERSION)
		return table_old_format(t, err);
	memset(sum, 0, sizeof(*sum));
	if (!v)
		return errmsg_set(err, ENOMEM, "out of memory");
	r = bpf_sys_map_lookup(t->stats, &key, v, 0, NULL);
	for (i = 0; !r && i < possible_cpus(); i++) {
		sum->packets += v[i].packets;
		sum->bytes += v[i].bytes;
		sum->toobig += v[i].toobig;
		sum->passed += v[i].passed;
	}
	free(v);
	if (r)
		return errmsg_set(err, -r, "cannot read counters of %s: %s", t->name,
				  strerror(-r));
	return 0;
}

int table_counter_reset(const struct steer_table *t, unsigned int slot,
			struct errmsg *err)
{
	struct steer_counter *v = calloc(possible_cpus(), sizeof(*v));
	__u32 key = slot;
	int r;

	if (t->format != STEER_FORMAT_VERSION)
		return table_old_format(t, err);
	if (!v)
		return errmsg_set(err, ENOMEM, "out of memory");
	r = bpf_sys_map_update(t->stats, &key, v, BPF_ANY, NULL);
	free(v);
	if (r)
		return errmsg_set(err, -r, "cannot reset counters of %s: %s", t->name,
				  strerror(-r));
	return 0;
}

int table_counter_copy(const struct steer_table *t, unsigned int slot,
		       struct steer_counter **out, struct errmsg *err)
{
	struct steer_counter *v = calloc(possible_cpus(), sizeof(*v));
	__u32 key = slot;
	int r;

	if (t->format != STEER_FORMAT_VERSION)
		return table_old_format(t, err);
	*out = NULL;
	if (!v)
		return errmsg_set(err, ENOMEM, "out of memory");
	r = bpf_sys_map_lookup(t->stats, &key, v, 0, NULL);
	if (r) {
		free(v);
		return errmsg_set(err, -r, "cannot read counters of %s: %s", t->name,
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

	if (t->format != STEER_FORMAT_VERSION)
		return table_old_format(t, err);
	if (r)
		return errmsg_set(err, -r, "cannot set counters of %s: %s", t->name,
				  strerror(-r));
	return 0;
}
