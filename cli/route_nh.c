/* SPDX-License-Identifier: MIT */
#include "route_nh.h"

#include <errno.h>
#include <linux/neighbour.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "link.h"
#include "neigh.h"
#include "nexthop.h"
#include "record.h"

/* What this process learnt of a next hop: a batch of a thousand routes via
 * one router asks the kernel once. */
struct nh_memo {
	int ifindex;
	struct bpf_redir_neigh nh;
	bool checked;
	enum nexthop_verdict verdict;
	char msg[NEXTHOP_MSG_MAX];
	int ours;               /* tcsteer manages its entry: -1 unknown, 0, 1 */
};

static struct nh_memo *memos;
static size_t nmemos, capmemos;

static void nh_of_cmd(const struct cmd *c, struct bpf_redir_neigh *nh)
{
	memset(nh, 0, sizeof(*nh));
	nh->nh_family = (__u32)c->via.family;
	if (c->via.family == AF_INET)
		memcpy(&nh->ipv4_nh, c->via.addr, 4);
	else
		memcpy(nh->ipv6_nh, c->via.addr, 16);
}

static struct nh_memo *memo_of(int ifindex, const struct bpf_redir_neigh *nh)
{
	struct nh_memo *m;
	size_t i;

	for (i = 0; i < nmemos; i++)
		if (memos[i].ifindex == ifindex && !memcmp(&memos[i].nh, nh, sizeof(*nh)))
			return &memos[i];
	if (nmemos == capmemos) {
		size_t cap = capmemos ? 2 * capmemos : 8;

		m = realloc(memos, cap * sizeof(*m));
		if (!m)
			return NULL;
		memos = m;
		capmemos = cap;
	}
	m = &memos[nmemos++];
	memset(m, 0, sizeof(*m));
	m->ifindex = ifindex;
	m->nh = *nh;
	m->ours = -1;
	return m;
}

static struct nh_memo *memo_of_cmd(const struct cmd *c)
{
	struct bpf_redir_neigh nh;

	nh_of_cmd(c, &nh);
	return memo_of(c->out_ifindex, &nh);
}

int nh_check(struct tc_conn *conn, const struct cmd *c, struct errmsg *err)
{
	struct nh_memo *m = memo_of_cmd(c);
	struct nexthop_check nc;
	int r;

	if (!m)
		return errmsg_set(err, ENOMEM, "out of memory");
	if (!m->checked) {
		r = nexthop_check(conn, c->out_ifindex, c->via.family, c->via.addr, &nc, err);
		if (r)
			return r;
		m->checked = true;
		m->verdict = nc.verdict;
		snprintf(m->msg, sizeof(m->msg), "%s", nc.msg);
		if (nc.verdict == NEXTHOP_UNVERIFIED)
			fprintf(stderr, "tcsteer: %s\n", nc.msg);
	}
	if (nexthop_refused(m->verdict))
		return errmsg_set(err, EINVAL, "%s", m->msg);
	return 0;
}

static bool same_next_hop(const struct steer_route *r, int ifindex,
			  const struct bpf_redir_neigh *nh)
{
	return !(r->flags & STEER_ROUTE_LEARN) && (int)r->ifindex == ifindex &&
	       !memcmp(&r->nh, nh, sizeof(*nh));
}

/* A route of t via that next hop; with flagged, one that holds
 * STEER_ROUTE_NEIGH_MANAGED. */
static bool table_uses(const struct steer_table *t, int ifindex,
		       const struct bpf_redir_neigh *nh, bool flagged)
{
	struct route_entry *e;
	size_t n, i;
	bool found = false;

	if (table_list(t, &e, &n, NULL))
		return true; /* cannot tell: keep the entry as it is */
	for (i = 0; i < n && !found; i++)
		found = same_next_hop(&e[i].route, ifindex, nh) &&
			(!flagged || (e[i].route.flags & STEER_ROUTE_NEIGH_MANAGED));
	free(e);
	return found;
}

bool nh_manage(struct tc_conn *conn, const struct cmd *c, const struct steer_table *t)
{
	struct nh_memo *m = memo_of_cmd(c);
	struct neigh_info before;
	struct errmsg e = { 0 };
	bool was;
	int r;

	was = neigh_get(conn, c->out_ifindex, c->via.family, c->via.addr, &before, NULL) == 0 &&
	      (before.ext_flags & NTF_EXT_MANAGED);
	r = neigh_make_managed(conn, c->out_ifindex, c->via.family, c->via.addr, &e);
	if (r == NEIGH_MANAGED_BROADCAST)
		fprintf(stderr, "tcsteer: warning: %s\n", e.text);
	else if (r < 0)
		fprintf(stderr, "tcsteer: warning: next hop not made managed (%s); the "
			"first packets to an unresolved next hop can be lost\n", e.text);
	if (r != 0 || !m)
		return false;
	/* Managed before this route: tcsteer's if a route of the table says
	 * so (another route via the same next hop), else someone else's. */
	if (!was)
		m->ours = 1;
	else if (m->ours < 0)
		m->ours = table_uses(t, c->out_ifindex, &m->nh, true);
	return m->ours == 1;
}

/* Does a table of this namespace other than t still route via it? */
static bool other_tables_use(struct state *s, const struct steer_table *t, int ifindex,
			     const struct bpf_redir_neigh *nh)
{
	char (*names)[IF_NAMESIZE] = NULL;
	struct steer_table other;
	size_t n = 0, i;
	bool found = false;

	table_list_pinned(s, &names, &n, NULL);
	for (i = 0; i < n && !found; i++) {
		if (!strcmp(names[i], t->name) || table_open_pinned(s, names[i], &other, NULL))
			continue;
		found = other.format == STEER_FORMAT_VERSION &&
			table_uses(&other, ifindex, nh, false);
		table_close(&other);
	}
	free(names);
	return found;
}

void nh_release_if_unused(struct state *s, struct tc_conn *conn,
			  const struct steer_table *t, const struct steer_route *gone)
{
	struct nh_memo *m;
	struct errmsg e = { 0 };
	int family = (int)gone->nh.nh_family;
	const void *addr = family == AF_INET ? (const void *)&gone->nh.ipv4_nh
					     : (const void *)gone->nh.ipv6_nh;
	int r;

	if (!(gone->flags & STEER_ROUTE_NEIGH_MANAGED) ||
	    table_uses(t, (int)gone->ifindex, &gone->nh, false) ||
	    other_tables_use(s, t, (int)gone->ifindex, &gone->nh))
		return;
	r = neigh_release_managed(conn, (int)gone->ifindex, family, addr, &e);
	if (r < 0)
		fprintf(stderr, "tcsteer: warning: the next hop's neighbour entry stays "
			"managed: %s\n", e.text);
	else
		vlog("next hop neighbour entry: %s", neigh_release_str(r));
	m = memo_of((int)gone->ifindex, &gone->nh);
	if (m)
		m->ours = 0;
}

/* The devices a table runs on, looked up once per table and process. */
struct table_users {
	uint32_t table_id;
	int ifindexes[16];
	size_t n;
	bool warned[16];
};

static struct table_users *users_of(struct state *s, const struct steer_table *t)
{
	static struct table_users last;

	if (last.table_id != t->stats_id || !last.table_id) {
		memset(&last, 0, sizeof(last));
		last.table_id = t->stats_id;
		last.n = record_map_users(s, t->stats_id, last.ifindexes, 16);
		/* Not attached yet: the device whose own table it is. */
		if (!last.n && t->meta >= 0 && t->info.owner_ifindex)
			last.ifindexes[last.n++] = (int)t->info.owner_ifindex;
	}
	return &last;
}

void nh_warn_mtu(struct state *s, struct tc_conn *conn, const struct steer_table *t,
		 const struct cmd *c)
{
	struct table_users *u = users_of(s, t);
	struct link_info out, attach;
	char msg[256];
	size_t i;

	if (!u->n || link_get(conn, c->out_ifindex, &out, NULL))
		return;
	for (i = 0; i < u->n; i++) {
		if (u->warned[i] || u->ifindexes[i] == c->out_ifindex ||
		    link_get(conn, u->ifindexes[i], &attach, NULL))
			continue;
		if (link_mtu_warning(&out, &attach, msg, sizeof(msg))) {
			fprintf(stderr, "tcsteer: %s\n", msg);
			u->warned[i] = true;
		}
	}
}

/* IPv4 strict reverse-path filtering on the device the requests arrive on
 * drops them before any program runs: their source (the client) is routed
 * out of the primary interface. The kernel uses max(all, dev). */
static int read_rp_filter(const char *dev)
{
	char path[128];
	int v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/rp_filter", dev);
	f = fopen(path, "re");
	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static void warn_rp_filter_on(const struct cmd *c, const char *name)
{
	static char warned[STEER_LEARN_MAX + 1][IF_NAMESIZE];
	size_t i, free_slot = STEER_LEARN_MAX + 1;
	int all, dev;

	for (i = 0; i <= STEER_LEARN_MAX; i++) {
		if (!strcmp(warned[i], name))
			return; /* once per interface and process */
		if (!warned[i][0] && free_slot > STEER_LEARN_MAX)
			free_slot = i;
	}
	all = read_rp_filter("all");
	dev = read_rp_filter(name);
	if (c->prefix.family != AF_INET || (all > dev ? all : dev) != 1)
		return;
	if (free_slot <= STEER_LEARN_MAX)
		snprintf(warned[free_slot], IF_NAMESIZE, "%s", name);
	fprintf(stderr, "tcsteer: warning: strict rp_filter on %s drops requests that "
		"arrive there for a source routed elsewhere; set "
		"net.ipv4.conf.%s.rp_filter=2 (loose) and check net.ipv4.conf.all.rp_filter\n",
		name, name);
}

/* Every interface whose requests the route serves: the output interface,
 * or a learn route's interfaces. */
void nh_warn_rp_filter(const struct cmd *c)
{
	int i;

	if (!c->learn)
		warn_rp_filter_on(c, c->out_dev);
	for (i = 0; c->learn && i < c->nlearn; i++)
		warn_rp_filter_on(c, c->learn_dev[i]);
}
