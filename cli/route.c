/* SPDX-License-Identifier: MIT */
/* route add/del/show: edit and read the live steering table.
 *
 * A next hop must be on the output interface's link (route_nh.c checks it
 * against the kernel's tables first). Adding a route also makes its
 * neighbour entry "managed" (kernel >= 5.16): bpf_redirect_neigh() cannot
 * hold a packet while it resolves an unknown next hop, and the first
 * packets of a flow would be sent with the wrong L2 header; a managed entry
 * is kept resolved by the kernel itself. route del gives it back once no
 * route uses that next hop. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cmd.h"
#include "json.h"
#include "learn.h"
#include "learners.h"
#include "route_nh.h"
#include "session.h"
#include "tables.h"
#include "tc.h"

/* The route's next hop and device as text; false if the device is gone
 * (dev is then "if<index>"). */
static bool route_to_text(const struct steer_route *r, char *via, size_t vlen,
			  char *dev, size_t dlen)
{
	char ifname[IF_NAMESIZE];
	int family = (int)r->nh.nh_family;

	inet_ntop(family, family == AF_INET ? (const void *)&r->nh.ipv4_nh
					    : (const void *)r->nh.ipv6_nh, via, vlen);
	if (if_indextoname(r->ifindex, ifname)) {
		snprintf(dev, dlen, "%s", ifname);
		return true;
	}
	snprintf(dev, dlen, "if%u", r->ifindex);
	return false;
}

static bool same_route_next_hop(const struct steer_route *a, const struct steer_route *b)
{
	return a->ifindex == b->ifindex && !memcmp(&a->nh, &b->nh, sizeof(a->nh));
}

static void route_of_cmd(const struct cmd *c, int out_ifindex, struct steer_route *r)
{
	int i;

	memset(r, 0, sizeof(*r));
	if (c->learn) {
		/* No interface, no next hop: the flow's request tells both. */
		r->flags = STEER_ROUTE_LEARN;
		for (i = 0; i < c->nlearn; i++)
			r->learn_ifindex[i] = (__u32)c->learn_ifindex[i];
		return;
	}
	r->ifindex = (__u32)out_ifindex;
	r->nh.nh_family = (__u32)c->via.family;
	if (c->via.family == AF_INET)
		memcpy(&r->nh.ipv4_nh, c->via.addr, 4);
	else
		memcpy(r->nh.ipv6_nh, c->via.addr, 16);
}

/* After a route command: what no learn route needs any more goes (after a
 * failure too: what the command made for nothing). The route change is
 * done by then, so a failure here is a warning: the next route command or
 * attach of the table finishes it. */
static void prune_learners(struct state *s, struct tc_conn *conn, struct steer_table *t,
			   int failed)
{
	struct errmsg e = { 0 };

	if (learn_sync(s, conn, t, NULL, 0, LEARN_SYNC_PRUNE, &e) && !failed)
		fprintf(stderr, "tcsteer: warning: the route is changed, but what the learn "
			"routes of table %s no longer need is not all removed (%s); the next "
			"route command or attach of the table retries\n", t->name, e.text);
}

int run_route_add(const struct cmd *c, struct errmsg *err)
{
	struct steer_route old, r;
	struct steer_table t;
	struct tc_conn *conn;
	struct state *s;
	bool existed;
	int slot, ret;

	if (g_opts.dry_run)
		return learn_dry_run(c, err);
	ret = session_open(STATE_WRITE, &conn, &s, err) ?:
	      (c->learn ? 0 : nh_check(conn, c, err)) ?:
	      resolve_table(s, conn, c->table, TABLE_CREATE, &t, err);
	if (ret)
		return ret;
	route_of_cmd(c, c->out_ifindex, &r);
	memset(&old, 0, sizeof(old));
	existed = table_get(&t, &c->prefix, &old) == 0;
	if (existed) {
		slot = (int)old.slot; /* a changed route keeps its counters */
	} else {
		slot = table_free_slot(&t, err);
		if (slot > 0)
			slot = table_counter_reset(&t, (unsigned int)slot, err) ?: slot;
	}
	r.slot = (__u32)(slot > 0 ? slot : 0);
	ret = slot > 0 ? 0 : slot;
	/* A learn route's learners and flow table come first, so that it
	 * works from its first packet; what no route needs after the
	 * change (a learn route replaced) goes after it. */
	if (!ret && c->learn)
		ret = learn_check(s, &t, err) ?:
		      learn_sync(s, conn, &t, &r, c->flows, LEARN_SYNC_ALL, err);
	if (!ret && !c->learn && nh_manage(conn, c, &t))
		r.flags |= STEER_ROUTE_NEIGH_MANAGED;
	if (!ret && memcmp(&old, &r, sizeof(r)))
		ret = table_put(&t, &c->prefix, &r, err);
	/* A changed next hop may leave the old one unused. */
	if (!ret && existed && !same_route_next_hop(&old, &r))
		nh_release_if_unused(s, conn, &t, &old);
	if ((c->learn || (old.flags & STEER_ROUTE_LEARN)) && t.tail >= 0)
		prune_learners(s, conn, &t, ret);
	if (!ret && !c->learn)
		nh_warn_mtu(s, conn, &t, c);
	if (!ret)
		nh_warn_rp_filter(c);
	table_close(&t);
	return ret;
}

int run_route_del(const struct cmd *c, struct errmsg *err)
{
	struct steer_route old;
	struct steer_table t;
	struct tc_conn *conn;
	struct state *s;
	char text[64];
	bool had;
	int ret;

	ret = session_open(STATE_WRITE, &conn, &s, err) ?:
	      resolve_table(s, conn, c->table, TABLE_WRITE, &t, err);
	if (ret)
		return ret;
	memset(&old, 0, sizeof(old));
	had = table_get(&t, &c->prefix, &old) == 0;
	ret = table_del(&t, &c->prefix, err);
	if (!ret && had)
		nh_release_if_unused(s, conn, &t, &old);
	if (ret == -ENOENT) {
		format_ipaddr(&c->prefix, text, sizeof(text));
		ret = errmsg_set(err, ENOENT, "no route for %s in the table of %s", text,
				 t.name);
	}
	/* Learners no learn route needs any more go, and with the last one
	 * the flow table. */
	if (!ret && ((old.flags & STEER_ROUTE_LEARN) || !had) && t.tail >= 0)
		prune_learners(s, conn, &t, ret);
	table_close(&t);
	return ret;
}

/* A learn route's interfaces, " dev eth1 dev eth2" (if<N> for one that is
 * gone); false if one is gone. */
static bool learn_devs_text(const struct steer_route *r, char *out, size_t len)
{
	char ifname[IF_NAMESIZE];
	bool here = true;
	size_t used = 0;
	int i;

	out[0] = '\0';
	for (i = 0; i < STEER_LEARN_MAX && r->learn_ifindex[i]; i++) {
		if (!if_indextoname(r->learn_ifindex[i], ifname)) {
			snprintf(ifname, sizeof(ifname), "if%u", r->learn_ifindex[i]);
			here = false;
		}
		used += (size_t)snprintf(out + used, used < len ? len - used : 0, " dev %s",
					 ifname);
	}
	return here;
}

static void show_learn_json(struct json *j, const struct steer_route *r)
{
	char ifname[IF_NAMESIZE];
	int i;

	json_key(j, "learn");
	json_open_array(j);
	for (i = 0; i < STEER_LEARN_MAX && r->learn_ifindex[i]; i++) {
		if (!if_indextoname(r->learn_ifindex[i], ifname))
			snprintf(ifname, sizeof(ifname), "if%u", r->learn_ifindex[i]);
		json_string(j, ifname);
	}
	json_close_array(j);
}

static void show_route_json(struct json *j, const char *prefix, const struct steer_route *r,
			    const char *via, const char *dev, bool gone,
			    const struct steer_counter *cnt)
{
	bool learn = r->flags & STEER_ROUTE_LEARN;

	json_open_object(j);
	json_kv_string(j, "prefix", prefix);
	if (learn) {
		show_learn_json(j, r);
	} else {
		json_kv_string(j, "via", via);
		json_kv_string(j, "dev", dev);
	}
	if (gone)
		json_kv_bool(j, "dev_gone", true);
	if (cnt) {
		json_kv_uint(j, "packets", cnt->packets);
		json_kv_uint(j, "bytes", cnt->bytes);
		json_kv_uint(j, "toobig", cnt->toobig);
		if (learn)
			json_kv_uint(j, "unknown", cnt->passed);
		else
			json_kv_uint(j, "passed", cnt->passed);
	}
	json_close_object(j);
}

/* One route, as text: "PREFIX via NH dev IF" or "PREFIX learn dev IF...",
 * with its counters after -s. toobig and passed (a learn route's unknown:
 * replies of flows it has not seen, left to the main table) come after the
 * counts 0.1 printed, and only when they are not 0, so that scripts reading
 * "packets N bytes M" keep working (-j always has them). */
static void show_route_text(const char *prefix, const struct steer_route *r, const char *via,
			    const char *dev, bool here, const struct steer_counter *cnt)
{
	char devs[STEER_LEARN_MAX * (IF_NAMESIZE + 8)];
	bool learn = r->flags & STEER_ROUTE_LEARN;

	if (learn) {
		learn_devs_text(r, devs, sizeof(devs));
		printf("%s learn%s%s", prefix, devs, here ? "" : " (gone)");
	} else {
		printf("%s via %s dev %s%s", prefix, via, dev, here ? "" : " (gone)");
	}
	if (cnt)
		printf(" packets %llu bytes %llu", (unsigned long long)cnt->packets,
		       (unsigned long long)cnt->bytes);
	if (cnt && cnt->toobig)
		printf(" toobig %llu", (unsigned long long)cnt->toobig);
	if (cnt && (learn || cnt->passed))
		printf(" %s %llu", learn ? "unknown" : "passed",
		       (unsigned long long)cnt->passed);
	putchar('\n');
}

static int show_routes(const struct cmd *c, const struct steer_table *t,
		       struct json *j, struct errmsg *err)
{
	char prefix[64], via[INET6_ADDRSTRLEN], dev[IF_NAMESIZE + 16];
	char devs[STEER_LEARN_MAX * (IF_NAMESIZE + 8)];
	char gone_list[128] = "";
	struct route_entry *e;
	struct steer_counter cnt;
	size_t n, i;
	bool here;
	int r;

	r = table_list(t, &e, &n, err);
	for (i = 0; !r && i < n; i++) {
		const struct steer_route *rt = &e[i].route;

		format_ipaddr(&e[i].prefix, prefix, sizeof(prefix));
		if (rt->flags & STEER_ROUTE_LEARN)
			here = learn_devs_text(rt, devs, sizeof(devs));
		else
			here = route_to_text(rt, via, sizeof(via), dev, sizeof(dev));
		if (!here && strlen(gone_list) + strlen(prefix) + 3 < sizeof(gone_list))
			snprintf(gone_list + strlen(gone_list), sizeof(gone_list) - strlen(gone_list),
				 "%s%s", gone_list[0] ? ", " : "", prefix);
		if (c->stats)
			r = table_counter(t, rt->slot, &cnt, err);
		if (r)
			break;
		if (g_opts.json)
			show_route_json(j, prefix, rt, via, dev, !here, c->stats ? &cnt : NULL);
		else
			show_route_text(prefix, rt, via, dev, here, c->stats ? &cnt : NULL);
	}
	free(e);
	/* The kernel drops what is redirected to a device that is gone. */
	if (gone_list[0])
		fprintf(stderr, "tcsteer: warning: the interface of %s is gone: such a route "
			"steers nothing; add it again with the interface as it is now\n",
			gone_list);
	return r;
}

static int show_miss(const struct steer_table *t, struct json *j, struct errmsg *err)
{
	struct steer_counter cnt;
	int r = table_counter(t, STEER_SLOT_MISS, &cnt, err);

	if (r)
		return r;
	if (g_opts.json) {
		json_key(j, "miss");
		json_open_object(j);
		json_kv_uint(j, "packets", cnt.packets);
		json_kv_uint(j, "bytes", cnt.bytes);
		json_close_object(j);
	} else {
		printf("miss packets %llu bytes %llu\n", (unsigned long long)cnt.packets,
		       (unsigned long long)cnt.bytes);
	}
	return 0;
}

int run_route_show(const struct cmd *c, struct errmsg *err)
{
	struct steer_table t;
	struct tc_conn *conn;
	struct state *s;
	struct json j;
	int r;

	r = session_open(STATE_READ, &conn, &s, err) ?:
	    resolve_table(s, conn, c->table, TABLE_READ, &t, err);
	if (r)
		return r;
	if (t.format != STEER_FORMAT_VERSION) {
		r = table_old_format(&t, err);
		table_close(&t);
		return r;
	}
	json_init(&j, stdout);
	if (g_opts.json) {
		char pins[STATE_PATH_MAX];

		json_open_object(&j);
		json_kv_string(&j, "table", t.name);
		/* -d: where bpftool finds its maps (in this mount namespace). */
		if (g_opts.details && t.pinned && s->root.fd < 0 &&
		    !table_dir(s, t.name, pins, sizeof(pins)))
			json_kv_string(&j, "pins", pins);
		json_key(&j, "routes");
		json_open_array(&j);
	}
	r = show_routes(c, &t, &j, err);
	if (g_opts.json)
		json_close_array(&j);
	if (!r && c->stats)
		r = show_miss(&t, &j, err);
	if (g_opts.json)
		json_close_object(&j);
	json_done(&j, r == 0);
	table_close(&t);
	return r;
}
