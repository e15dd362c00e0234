/* SPDX-License-Identifier: MIT */
/* The next-hop checks of `route add` (see nexthop.h). */
#include "nexthop.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "link.h"
#include "tc_internal.h"

bool nexthop_refused(enum nexthop_verdict v)
{
	return v != NEXTHOP_OK && v != NEXTHOP_UNVERIFIED;
}

static void say(char *msg, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(char *msg, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!msg || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
}

static void text_of(int family, const void *addr, char *text, size_t len)
{
	if (!inet_ntop(family, addr, text, (socklen_t)len))
		snprintf(text, len, "?");
}

static enum nexthop_verdict classify4(uint32_t a)
{
	if (a >> 24 == 0)
		return NEXTHOP_UNSPECIFIED;     /* 0.0.0.0/8, "this network" */
	if (a >> 24 == 127)
		return NEXTHOP_LOOPBACK;
	if (a >> 28 == 0xe)
		return NEXTHOP_MULTICAST;
	if (a == 0xffffffff)
		return NEXTHOP_BROADCAST;
	return NEXTHOP_OK;
}

static enum nexthop_verdict classify6(const uint8_t *a)
{
	static const uint8_t zero[16], mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (a[0] == 0xff)
		return NEXTHOP_MULTICAST;
	if (!memcmp(a, zero, 15))
		return a[15] == 0 ? NEXTHOP_UNSPECIFIED :
		       a[15] == 1 ? NEXTHOP_LOOPBACK : NEXTHOP_OK;
	if (!memcmp(a, mapped, sizeof(mapped)))
		return NEXTHOP_V4_MAPPED;
	return NEXTHOP_OK;
}

enum nexthop_verdict nexthop_classify(int family, const void *addr,
				      char *msg, size_t len)
{
	char text[INET6_ADDRSTRLEN];
	enum nexthop_verdict v;
	uint32_t a4;

	if (family == AF_INET) {
		memcpy(&a4, addr, 4);
		v = classify4(ntohl(a4));
	} else {
		v = classify6(addr);
	}
	text_of(family, addr, text, sizeof(text));
	switch (v) {
	case NEXTHOP_UNSPECIFIED:
		say(msg, len, "next hop %s is the unspecified address", text);
		break;
	case NEXTHOP_LOOPBACK:
		say(msg, len, "next hop %s is a loopback address", text);
		break;
	case NEXTHOP_MULTICAST:
		say(msg, len, "next hop %s is a multicast address", text);
		break;
	case NEXTHOP_BROADCAST:
		say(msg, len, "next hop %s is the broadcast address", text);
		break;
	case NEXTHOP_V4_MAPPED:
		say(msg, len, "next hop %s is an IPv4-mapped address: give the "
		    "IPv4 address", text);
		break;
	default:
		say(msg, len, "%s", "");
		break;
	}
	return v;
}

/* ---- asking the kernel ------------------------------------------------ */

static int parse_route(const struct nlmsghdr *nlh, size_t len, void *out)
{
	return nexthop_parse_route(nlh, len, out);
}

/* The errors of a lookup that found no usable route: none at all, or an
 * unreachable (EHOSTUNREACH), blackhole (EINVAL), prohibit (EACCES) or
 * throw (EAGAIN) route. */
static bool no_route(int ret)
{
	return ret == -ENETUNREACH || ret == -EHOSTUNREACH || ret == -EINVAL ||
	       ret == -EACCES || ret == -EAGAIN || ret == -ESRCH;
}

/* The FIB entry for addr (with oif > 0: through oif). 1 if there is one,
 * 0 if none, -errno if the kernel could not be asked. */
static int route_lookup(struct tc_conn *c, int family, const void *addr,
			int oif, struct nexthop_route *out, struct errmsg *err)
{
	char buf[NEXTHOP_REQ_MAX] __attribute__((aligned(4)));
	struct nl_one_reply r = { .parse = parse_route, .out = out };
	struct errmsg local = { 0 };
	struct nlmsghdr *nlh;
	int ret;

	memset(out, 0, sizeof(*out));
	nlh = nexthop_build_route_get(buf, tc_conn_next_seq(c), family, addr,
				      oif);
	if (!nlh)
		return errmsg_set(err, EAFNOSUPPORT,
				  "next hop: address family %d is not IPv4 or IPv6",
				  family);
	ret = tc_conn_talk_ctx(c, nlh, nl_on_one_reply, &r, oif, "route lookup",
			       &local);
	if (r.malformed)
		return errmsg_set(err, EBADMSG,
				  "route lookup: malformed RTM_NEWROUTE in the kernel's answer");
	if (ret < 0 && no_route(ret))
		return 0;
	if (ret < 0) {
		if (err)
			*err = local;
		return ret;
	}
	return r.found;
}

struct addr_reply {
	int ifindex;
	int family;
	const uint8_t *nh;
	bool own, broadcast, covered;
	bool any;               /* the device has an address of the family */
	bool malformed;
};

/* The broadcast address of a /plen IPv4 subnet (none for /31 and /32). */
static bool subnet_broadcast4(const struct nexthop_addr *a, const uint8_t *nh)
{
	uint32_t addr, host, mask, x;

	if (a->prefixlen >= 31)
		return false;
	if (a->has_broadcast && !memcmp(a->broadcast, nh, 4))
		return true;
	memcpy(&addr, a->addr, 4);
	memcpy(&x, nh, 4);
	mask = a->prefixlen ? ~0u << (32 - a->prefixlen) : 0;
	host = ntohl(addr) | ~mask;
	return ntohl(x) == host;
}

static bool link_local6(int family, const uint8_t *a)
{
	return family == AF_INET6 && a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

static int on_addr_msg(const struct nlmsghdr *nlh, void *data)
{
	struct addr_reply *r = data;
	struct nexthop_addr a;
	int ret = nexthop_parse_addr(nlh, nlh->nlmsg_len, &a);
	size_t alen = r->family == AF_INET ? 4 : 16;

	if (ret == -ENOMSG)
		return MNL_CB_OK;
	if (ret < 0) {
		r->malformed = true;
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if ((int)a.ifindex != r->ifindex || a.family != r->family)
		return MNL_CB_OK;
	/* A link-local IPv6 address says nothing about the subnets. */
	if (!link_local6(a.family, a.addr))
		r->any = true;
	if (!memcmp(a.addr, r->nh, alen))
		r->own = true;
	else if (nexthop_prefix_covers(r->family, a.addr, a.prefixlen, r->nh)) {
		if (r->family == AF_INET && subnet_broadcast4(&a, r->nh))
			r->broadcast = true;
		else
			r->covered = true;
	}
	return MNL_CB_OK;
}


/* The FIB entry found without an output interface is a connected route of
 * another device (the other link's gateway, say): its name, or NULL. */
static const char *other_link(const struct nexthop_route *any, int found,
			      int ifindex, char *name)
{
	if (found <= 0 || any->type != RTN_UNICAST || any->has_gateway ||
	    !any->oif || (int)any->oif == ifindex)
		return NULL;
	if (!if_indextoname(any->oif, name))
		snprintf(name, IF_NAMESIZE, "if%u", any->oif);
	return name;
}

/* IFACE is down and its connected routes are gone with it: its addresses
 * say what they were. any/found: the lookup without output interface. */
static int check_by_addresses(struct tc_conn *c, const struct link_info *l,
			      int family, const void *addr, const char *text,
			      const struct nexthop_route *any, int found,
			      struct nexthop_check *out, struct errmsg *err)
{
	char other[IF_NAMESIZE];
	char buf[NEXTHOP_REQ_MAX] __attribute__((aligned(4)));
	struct addr_reply r = { .ifindex = l->ifindex, .family = family,
				.nh = addr };
	struct nlmsghdr *nlh;
	int ret;

	nlh = nexthop_build_addr_dump(buf, tc_conn_next_seq(c), family);
	ret = tc_conn_talk_ctx(c, nlh, on_addr_msg, &r, l->ifindex,
			       "address dump", err);
	if (r.malformed)
		return errmsg_set(err, EBADMSG,
				  "address dump: malformed RTM_NEWADDR in the kernel's answer");
	if (ret < 0)
		return ret;
	if (r.own) {
		out->verdict = NEXTHOP_OWN_ADDRESS;
		say(out->msg, sizeof(out->msg),
		    "next hop %s is an address of this host (on %s)", text,
		    l->name);
	} else if (r.broadcast) {
		out->verdict = NEXTHOP_BROADCAST;
		say(out->msg, sizeof(out->msg),
		    "next hop %s is the broadcast address of %s's subnet", text,
		    l->name);
	} else if (r.covered) {
		out->verdict = NEXTHOP_OK;
	} else if (other_link(any, found, l->ifindex, other)) {
		out->verdict = NEXTHOP_NOT_ON_LINK;
		say(out->msg, sizeof(out->msg),
		    "next hop %s is not on %s's link: it is on %s's", text,
		    l->name, other);
	} else {
		out->verdict = NEXTHOP_UNVERIFIED;
		say(out->msg, sizeof(out->msg),
		    "warning: %s is down: cannot check that next hop %s is on its link",
		    l->name, text);
	}
	return 0;
}

/* 1 if IFACE has no address of the family (link-local IPv6 ones aside),
 * 0 if it has one, or -errno. */
static int no_address_yet(struct tc_conn *c, const struct link_info *l, int family,
			  struct errmsg *err)
{
	static const uint8_t none[16];
	char buf[NEXTHOP_REQ_MAX] __attribute__((aligned(4)));
	struct addr_reply r = { .ifindex = l->ifindex, .family = family, .nh = none };
	struct nlmsghdr *nlh;
	int ret;

	nlh = nexthop_build_addr_dump(buf, tc_conn_next_seq(c), family);
	ret = tc_conn_talk_ctx(c, nlh, on_addr_msg, &r, l->ifindex, "address dump", err);
	if (r.malformed)
		return errmsg_set(err, EBADMSG,
				  "address dump: malformed RTM_NEWADDR in the kernel's answer");
	return ret < 0 ? ret : !r.any;
}

/* What the lookup without an output interface tells: the next hop is
 * this host, or a broadcast or anycast address of it. */
static bool local_kind(const struct nexthop_route *r, const char *text,
		       struct nexthop_check *out)
{
	switch (r->type) {
	case RTN_LOCAL:
		out->verdict = NEXTHOP_OWN_ADDRESS;
		say(out->msg, sizeof(out->msg),
		    "next hop %s is an address of this host", text);
		return true;
	case RTN_BROADCAST:
		out->verdict = NEXTHOP_BROADCAST;
		say(out->msg, sizeof(out->msg),
		    "next hop %s is a broadcast address (of a subnet of this host)",
		    text);
		return true;
	case RTN_ANYCAST:
		out->verdict = NEXTHOP_ANYCAST;
		say(out->msg, sizeof(out->msg),
		    "next hop %s is an anycast address of this host (a subnet-router anycast)",
		    text);
		return true;
	case RTN_MULTICAST:
		out->verdict = NEXTHOP_MULTICAST;
		say(out->msg, sizeof(out->msg),
		    "next hop %s is a multicast address", text);
		return true;
	}
	return false;
}

static const char *route_type_name(uint8_t type)
{
	switch (type) {
	case RTN_BLACKHOLE:
		return "a blackhole route";
	case RTN_UNREACHABLE:
		return "an unreachable route";
	case RTN_PROHIBIT:
		return "a prohibit route";
	case RTN_THROW:
		return "a throw route";
	}
	return "not a unicast route";
}

/* The verdict of the lookup through IFACE (found: whether it matched). */
static void on_link_kind(const struct nexthop_route *r, int found,
			 const struct link_info *l, int family,
			 const void *addr, const char *text,
			 struct nexthop_check *out)
{
	char gw[INET6_ADDRSTRLEN];

	out->verdict = NEXTHOP_NOT_ON_LINK;
	if (!found && link_local6(family, addr)) {
		say(out->msg, sizeof(out->msg),
		    "next hop %s is not on %s's link: %s has no IPv6 link-local route (is IPv6 off there?)",
		    text, l->name, l->name);
	} else if (!found) {
		say(out->msg, sizeof(out->msg),
		    "next hop %s is not on %s's link: no connected route on %s covers it",
		    text, l->name, l->name);
	} else if (r->type != RTN_UNICAST) {
		say(out->msg, sizeof(out->msg),
		    "next hop %s is not on %s's link: the route to it there is %s",
		    text, l->name, route_type_name(r->type));
	} else if (r->has_gateway && r->gw_family) {
		text_of(r->gw_family, r->gateway, gw, sizeof(gw));
		say(out->msg, sizeof(out->msg),
		    "next hop %s is not on %s's link: the route to it goes via %s",
		    text, l->name, gw);
	} else if (r->has_gateway) {
		say(out->msg, sizeof(out->msg),
		    "next hop %s is not on %s's link: the route to it goes via gateways",
		    text, l->name);
	} else if (r->oif && (int)r->oif != l->ifindex) {
		say(out->msg, sizeof(out->msg),
		    "next hop %s is not on %s's link: the route to it leaves by another interface",
		    text, l->name);
	} else {
		out->verdict = NEXTHOP_OK;
	}
}

int nexthop_check(struct tc_conn *c, int ifindex, int family,
		  const void *addr, struct nexthop_check *out,
		  struct errmsg *err)
{
	char text[INET6_ADDRSTRLEN];
	struct nexthop_route any, r;
	struct link_info l;
	int found_any, found;

	memset(out, 0, sizeof(*out));
	if (family != AF_INET && family != AF_INET6)
		return errmsg_set(err, EAFNOSUPPORT,
				  "next hop: address family %d is not IPv4 or IPv6",
				  family);
	out->verdict = nexthop_classify(family, addr, out->msg,
					sizeof(out->msg));
	if (out->verdict != NEXTHOP_OK)
		return 0;
	text_of(family, addr, text, sizeof(text));
	if (link_get(c, ifindex, &l, err))
		return -ENODEV;
	if (!l.name[0])
		snprintf(l.name, sizeof(l.name), "if%d", ifindex);

	found_any = route_lookup(c, family, addr, 0, &any, err);
	if (found_any < 0)
		return found_any;
	if (found_any && local_kind(&any, text, out))
		return 0;
	if (!(l.flags & IFF_UP)) {
		/* An IPv6 link-local next hop is on any link that runs IPv6;
		 * the device's fe80::/64 route comes back with it. */
		if (link_local6(family, addr))
			return 0;
		return check_by_addresses(c, &l, family, addr, text, &any,
					  found_any, out, err);
	}
	found = route_lookup(c, family, addr, ifindex, &r, err);
	if (found < 0)
		return found;
	on_link_kind(&r, found, &l, family, addr, text, out);
	/* No route on IFACE at all for it, and IFACE has no address of the
	 * family yet (an apply run before the network is configured, as early
	 * in a boot): nothing can tell yet, which is no refusal. */
	if (out->verdict == NEXTHOP_NOT_ON_LINK && !found && !link_local6(family, addr)) {
		char other[IF_NAMESIZE];
		int none;

		if (other_link(&any, found_any, ifindex, other)) {
			say(out->msg, sizeof(out->msg),
			    "next hop %s is not on %s's link: it is on %s's", text, l.name,
			    other);
			return 0;
		}
		none = no_address_yet(c, &l, family, err);
		if (none < 0)
			return none;
		if (none) {
			out->verdict = NEXTHOP_UNVERIFIED;
			say(out->msg, sizeof(out->msg),
			    "warning: %s has no %s address yet: cannot check that next "
			    "hop %s is on its link", l.name,
			    family == AF_INET ? "IPv4" : "IPv6", text);
		}
	}
	return 0;
}
