/* SPDX-License-Identifier: MIT */
/* Words to struct cmd. Parsing checks syntax and the values themselves
 * (names, prefixes, addresses) but leaves the kernel alone, except for
 * looking up that named devices exist. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "nexthop.h"
#include "learners.h"

struct words {
	int argc;
	char **argv;
	int i;
};

static const char *peek(const struct words *w)
{
	return w->i < w->argc ? w->argv[w->i] : NULL;
}

static const char *next(struct words *w)
{
	return w->i < w->argc ? w->argv[w->i++] : NULL;
}

static bool take(struct words *w, const char *word)
{
	const char *p = peek(w);

	if (p && !strcmp(p, word)) {
		w->i++;
		return true;
	}
	return false;
}

/* The value after a keyword, e.g. "dev" IFACE. */
static int value_of(struct words *w, const char *key, const char **out,
		    struct errmsg *err)
{
	*out = next(w);
	if (!*out)
		return errmsg_set(err, EINVAL, "\"%s\" needs a value", key);
	return 0;
}

/* A device name, and its index now (0 if it is gone and may be). */
static int devname(char *dst, int *ifindex, const char *src, bool must_exist,
		   struct errmsg *err)
{
	int idx;

	if (!*src || strlen(src) >= IF_NAMESIZE || strchr(src, '/'))
		return errmsg_set(err, EINVAL, "\"%s\" is not a valid interface name", src);
	strcpy(dst, src);
	idx = dev_index(dst, must_exist ? err : NULL);
	if (idx < 0 && must_exist)
		return -ENODEV;
	*ifindex = idx < 0 ? 0 : idx;
	return 0;
}

static int parse_dev_opt(struct words *w, char *dst, int *ifindex,
			 bool must_exist, struct errmsg *err)
{
	const char *v;

	if (!take(w, "dev"))
		return errmsg_set(err, EINVAL, "expected \"dev IFACE\"%s%s",
				  peek(w) ? " at " : "", peek(w) ? peek(w) : "");
	return value_of(w, "dev", &v, err) ?:
	       devname(dst, ifindex, v, must_exist, err);
}

static int parse_dev(struct words *w, char *dst, int *ifindex, struct errmsg *err)
{
	return parse_dev_opt(w, dst, ifindex, true, err);
}

static void parse_hook(struct words *w, enum hook *h)
{
	*h = HOOK_EGRESS;
	if (take(w, "ingress"))
		*h = HOOK_INGRESS;
	else
		take(w, "egress");
}

static int trailing(const struct words *w, struct errmsg *err)
{
	if (peek(w))
		return errmsg_set(err, EINVAL, "unexpected \"%s\"", peek(w));
	return 0;
}

static int parse_object(struct words *w, struct cmd *c, struct errmsg *err)
{
	int r;

	if (!take(w, "object"))
		return 0;
	r = value_of(w, "object", &c->object, err);
	if (r)
		return r;
	if (take(w, "section"))
		return value_of(w, "section", &c->section, err);
	if (take(w, "program"))
		return value_of(w, "program", &c->program, err);
	return 0;
}

/* "table NAME": the steering table (a directory of pinned maps); by
 * default named after the attach device. It need not be a device. */
static int parse_table(struct words *w, struct cmd *c, struct errmsg *err)
{
	const char *v;
	int r;

	if (!take(w, "table"))
		return 0;
	r = value_of(w, "table", &v, err);
	if (r)
		return r;
	if (!*v || strlen(v) >= IF_NAMESIZE || strchr(v, '/') || v[0] == '.')
		return errmsg_set(err, EINVAL, "\"%s\" is not a valid interface name", v);
	strcpy(c->table, v);
	return 0;
}

/* "before ID" / "after ID": a program id as show prints it. */
static int parse_place_id(struct words *w, const char *key, uint32_t *id,
			  struct errmsg *err)
{
	const char *v;
	char *end;
	unsigned long n;
	int r = value_of(w, key, &v, err);

	if (r)
		return r;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (*v < '1' || *v > '9' || *end || errno || n > UINT32_MAX)
		return errmsg_set(err, EINVAL, "\"%s\" needs a program id (as show "
				  "prints it), not \"%s\"", key, v);
	*id = (uint32_t)n;
	return 0;
}

/* One of "mode clsact|tcx", "first", "last", "before ID", "after ID":
 * 1 if taken, 0 if the next word is none of them, or -errno. */
static int parse_mode_place(struct words *w, struct cmd *c, struct errmsg *err)
{
	static const char *const places[] = { "first", "last", "before", "after" };
	const char *v;
	int r, i;

	if (take(w, "mode")) {
		r = value_of(w, "mode", &v, err);
		if (!r && strcmp(v, "clsact") && strcmp(v, "tcx"))
			r = errmsg_set(err, EINVAL, "\"mode\" takes clsact or tcx, not \"%s\"", v);
		if (!r)
			c->mode = strcmp(v, "tcx") ? MODE_CLSACT : MODE_TCX;
		return r ? r : 1;
	}
	for (i = 0; i < 4 && !c->place; i++) {
		if (!take(w, places[i]))
			continue;
		c->place = (enum place)(PLACE_FIRST + i);
		r = c->place == PLACE_BEFORE || c->place == PLACE_AFTER ?
		    parse_place_id(w, places[i], &c->place_id, err) : 0;
		return r ? r : 1;
	}
	return 0;
}

/* After the hook, in any order: object ..., table NAME, mode, a place. */
static int parse_attach(struct words *w, struct cmd *c, struct errmsg *err)
{
	bool object = false, table = false;
	int r = parse_dev(w, c->dev, &c->ifindex, err);

	if (r)
		return r;
	parse_hook(w, &c->hook);
	while (!r && peek(w)) {
		if (!object && !strcmp(peek(w), "object")) {
			object = true;
			r = parse_object(w, c, err);
		} else if (!table && !strcmp(peek(w), "table")) {
			table = true;
			r = parse_table(w, c, err);
		} else {
			r = parse_mode_place(w, c, err);
			if (r == 0)
				break;
			r = r < 0 ? r : 0;
		}
	}
	if (!r && c->place && c->mode != MODE_TCX)
		r = errmsg_set(err, EINVAL, "first, last, before and after need mode tcx");
	return r ? r : trailing(w, err);
}

/* detach also accepts a device that is gone: its record is then dropped. */
static int parse_detach(struct words *w, struct cmd *c, struct errmsg *err)
{
	int r = parse_dev_opt(w, c->dev, &c->ifindex, false, err);

	if (r)
		return r;
	parse_hook(w, &c->hook);
	return trailing(w, err);
}

static int parse_show(struct words *w, struct cmd *c, struct errmsg *err)
{
	if (peek(w)) {
		int r = parse_dev(w, c->dev, &c->ifindex, err);

		if (r)
			return r;
	}
	return trailing(w, err);
}

/* "flows N": the size of the table's flow table. */
static int parse_flows(struct words *w, struct cmd *c, struct errmsg *err)
{
	const char *v;
	char *end;
	unsigned long n;
	int r;

	if (!take(w, "flows"))
		return 0;
	r = value_of(w, "flows", &v, err);
	if (r)
		return r;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (*v < '0' || *v > '9' || *end || errno || n < STEER_FLOWS_MIN || n > STEER_FLOWS_MAX)
		return errmsg_set(err, EINVAL, "flows %s: expected a number of flows from %u "
				  "to %u", v, STEER_FLOWS_MIN, STEER_FLOWS_MAX);
	c->flows = (uint32_t)n;
	return 0;
}

/* "learn dev IFACE [dev IFACE]... [flows N]": the interfaces whose
 * requests teach the way back. */
static int parse_learn(struct words *w, struct cmd *c, const char *prefix,
		       struct errmsg *err)
{
	int r, i;

	c->learn = true;
	if (!peek(w) || strcmp(peek(w), "dev"))
		return errmsg_set(err, EINVAL, "expected \"learn dev IFACE [dev IFACE]...\" "
				  "after %s", prefix);
	while (peek(w) && !strcmp(peek(w), "dev")) {
		if (c->nlearn == STEER_LEARN_MAX)
			return errmsg_set(err, EINVAL, "a learn route names at most %d "
					  "interfaces", STEER_LEARN_MAX);
		r = parse_dev(w, c->learn_dev[c->nlearn], &c->learn_ifindex[c->nlearn], err);
		if (r)
			return r;
		for (i = 0; i < c->nlearn; i++)
			if (c->learn_ifindex[i] == c->learn_ifindex[c->nlearn])
				return errmsg_set(err, EINVAL, "%s is named twice",
						  c->learn_dev[c->nlearn]);
		c->nlearn++;
	}
	return parse_flows(w, c, err) ?: parse_table(w, c, err) ?: trailing(w, err);
}

static int parse_route_add(struct words *w, struct cmd *c, struct errmsg *err)
{
	char msg[NEXTHOP_MSG_MAX];
	const char *v;
	int r;

	r = value_of(w, "add", &v, err) ?: parse_ipaddr(&c->prefix, v, true, err);
	if (r)
		return r;
	if (take(w, "learn"))
		return parse_learn(w, c, v, err);
	if (!take(w, "via"))
		return errmsg_set(err, EINVAL, "expected \"via NEXTHOP\" or \"learn\" after %s",
				  v);
	r = value_of(w, "via", &v, err) ?: parse_ipaddr(&c->via, v, false, err);
	if (r)
		return r;
	/* bpf_redirect_neigh() takes an IPv6 next hop for IPv4 packets, but
	 * reads any next hop of an IPv6 packet as IPv6: an IPv4 one would
	 * be looked up as a bogus IPv6 neighbour and every packet lost. */
	if (c->prefix.family == AF_INET6 && c->via.family == AF_INET)
		return errmsg_set(err, EINVAL, "%s: an IPv6 prefix needs an IPv6 "
				  "next hop (the kernel cannot send IPv6 packets "
				  "to an IPv4 one)", v);
	/* What no system's tables make a next hop (unspecified, loopback,
	 * multicast, 255.255.255.255, v4-mapped): a usage error. */
	if (nexthop_classify(c->via.family, c->via.addr, msg, sizeof(msg)) != NEXTHOP_OK)
		return errmsg_set(err, EINVAL, "%s", msg);
	return parse_dev(w, c->out_dev, &c->out_ifindex, err) ?: parse_table(w, c, err) ?:
	       trailing(w, err);
}

static int parse_route_del(struct words *w, struct cmd *c, struct errmsg *err)
{
	const char *v;

	return value_of(w, "del", &v, err) ?:
	       parse_ipaddr(&c->prefix, v, true, err) ?:
	       parse_table(w, c, err) ?: trailing(w, err);
}

static int parse_route_show(struct words *w, struct cmd *c, struct errmsg *err)
{
	c->stats = g_opts.stats;
	for (;;) {
		if (take(w, "-s") || take(w, "-stats") || take(w, "--stats"))
			c->stats = true;
		else if (take(w, "-j") || take(w, "-json") || take(w, "--json"))
			g_opts.json = true;
		else
			break;
	}
	return parse_table(w, c, err) ?: trailing(w, err);
}

static int parse_route(struct words *w, struct cmd *c, struct errmsg *err)
{
	const char *verb = next(w);

	if (!verb || !strcmp(verb, "show") || !strcmp(verb, "list")) {
		c->kind = CMD_ROUTE_SHOW;
		return parse_route_show(w, c, err);
	}
	if (!strcmp(verb, "add")) {
		c->kind = CMD_ROUTE_ADD;
		return parse_route_add(w, c, err);
	}
	if (!strcmp(verb, "del") || !strcmp(verb, "delete")) {
		c->kind = CMD_ROUTE_DEL;
		return parse_route_del(w, c, err);
	}
	return errmsg_set(err, EINVAL, "unknown route command \"%s\" (add, del, show)", verb);
}

int cmd_parse(struct cmd *c, int argc, char **argv, struct errmsg *err)
{
	struct words w = { argc, argv, 1 };
	const char *verb = argv[0];

	memset(c, 0, sizeof(*c));
	if (!strcmp(verb, "attach")) {
		c->kind = CMD_ATTACH;
		return parse_attach(&w, c, err);
	}
	if (!strcmp(verb, "detach")) {
		c->kind = CMD_DETACH;
		return parse_detach(&w, c, err);
	}
	if (!strcmp(verb, "show") || !strcmp(verb, "list")) {
		c->kind = CMD_SHOW;
		return parse_show(&w, c, err);
	}
	if (!strcmp(verb, "route"))
		return parse_route(&w, c, err);
	if (!strcmp(verb, "gc")) {
		c->kind = CMD_GC;
		return trailing(&w, err);
	}
	if (!strcmp(verb, "flows")) {
		c->kind = CMD_FLOWS;
		return parse_table(&w, c, err) ?: trailing(&w, err);
	}
	return errmsg_set(err, EINVAL,
			  "unknown command \"%s\" (attach, detach, show, route, flows, apply, "
			  "gc; try --help)", verb);
}

int cmd_run(const struct cmd *c, struct errmsg *err)
{
	switch (c->kind) {
	case CMD_ATTACH:     return learn_attach(c, err);
	case CMD_DETACH:     return learn_detach(c, err);
	case CMD_SHOW:       return run_show(c, err);
	case CMD_ROUTE_ADD:  return run_route_add(c, err);
	case CMD_ROUTE_DEL:  return run_route_del(c, err);
	case CMD_ROUTE_SHOW: return run_route_show(c, err);
	case CMD_GC:         return run_gc(c, err);
	case CMD_FLOWS:      return run_flows(c, err);
	}
	return errmsg_set(err, EINVAL, "internal error: unknown command");
}
