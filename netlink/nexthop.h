/* SPDX-License-Identifier: MIT */
/* Is NEXTHOP a neighbour on IFACE's link? What `route add PREFIX via
 * NEXTHOP dev IFACE` asks before it writes the route: bpf_redirect_neigh()
 * resolves the next hop on IFACE itself, so a next hop no connected route
 * on IFACE covers (or one that is this host, a broadcast or a multicast
 * address) blackholes the route, and its neighbour entry would be made
 * managed for nothing.
 *
 * The kernel's own tables decide, as for `ip route add ... via NEXTHOP dev
 * IFACE` (fib_check_nh): an RTM_GETROUTE with RTM_F_FIB_MATCH for NEXTHOP,
 * once without an output interface (is it local, broadcast, anycast?) and
 * once with IFACE as output interface (does a route on IFACE cover it, and
 * without a gateway?). On a device that is down, whose connected routes
 * are gone, IFACE's addresses (RTM_GETADDR) stand in for them. An IPv6
 * link-local next hop is on every link IPv6 runs on. Uses the tc_conn
 * socket of tc.h. */
#ifndef TCSTEER_NETLINK_NEXTHOP_H
#define TCSTEER_NETLINK_NEXTHOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errmsg.h"
#include "tc.h"

enum nexthop_verdict {
	NEXTHOP_OK,             /* on IFACE's link */
	NEXTHOP_UNVERIFIED,     /* IFACE is down and none of its addresses
				 * covers it: cannot tell (warn, accept) */
	NEXTHOP_UNSPECIFIED,    /* 0.0.0.0, :: */
	NEXTHOP_LOOPBACK,       /* 127.0.0.0/8, ::1 */
	NEXTHOP_MULTICAST,      /* 224.0.0.0/4, ff00::/8 */
	NEXTHOP_BROADCAST,      /* 255.255.255.255 or a subnet's broadcast */
	NEXTHOP_V4_MAPPED,      /* ::ffff:a.b.c.d: give the IPv4 address */
	NEXTHOP_OWN_ADDRESS,    /* an address of this host */
	NEXTHOP_ANYCAST,        /* an anycast address of this host */
	NEXTHOP_NOT_ON_LINK,    /* no connected route on IFACE covers it */
};

#define NEXTHOP_MSG_MAX 200

struct nexthop_check {
	enum nexthop_verdict verdict;
	/* One line, no "tcsteer: " prefix: "next hop 8.8.8.8 is not on eth1's
	 * link: no connected route on eth1 covers it". Empty for NEXTHOP_OK. */
	char msg[NEXTHOP_MSG_MAX];
};

/* Whether a verdict refuses the route (all but OK and UNVERIFIED). */
bool nexthop_refused(enum nexthop_verdict v);

/* The address alone (4 bytes for AF_INET, 16 for AF_INET6): NEXTHOP_OK,
 * or UNSPECIFIED, LOOPBACK, MULTICAST, BROADCAST (255.255.255.255) or
 * V4_MAPPED, whatever the system. Pure: a parser can use it. msg (may be
 * NULL) gets the line as in struct nexthop_check. */
enum nexthop_verdict nexthop_classify(int family, const void *addr,
				      char *msg, size_t len);

/* The whole check against the kernel's tables. 0 with *out filled, or
 * -errno if the kernel could not be asked (err says why; -ENODEV: no
 * device ifindex). */
int nexthop_check(struct tc_conn *c, int ifindex, int family,
		  const void *addr, struct nexthop_check *out,
		  struct errmsg *err);

/* ---- pure builders and parsers (nexthop_msg.c), for tests and fuzzing */

#define NEXTHOP_REQ_MAX 96

/* What an RTM_NEWROUTE says of the route that matched. */
struct nexthop_route {
	uint8_t family;
	uint8_t dst_len;
	uint8_t type;           /* RTN_* */
	uint8_t scope;          /* RT_SCOPE_* */
	uint32_t table;         /* RTA_TABLE, else rtm_table */
	uint32_t oif;           /* RTA_OIF, 0 if absent */
	bool has_gateway;       /* RTA_GATEWAY, RTA_VIA or RTA_MULTIPATH */
	int gw_family;          /* of gateway, 0 if unknown (multipath) */
	uint8_t gateway[16];
};

/* What an RTM_NEWADDR says of one address. */
struct nexthop_addr {
	uint8_t family;
	uint8_t prefixlen;
	uint32_t ifindex;
	uint8_t addr[16];       /* IFA_LOCAL, else IFA_ADDRESS */
	bool has_broadcast;
	uint8_t broadcast[4];   /* IFA_BROADCAST (IPv4) */
};

/* RTM_GETROUTE REQUEST|ACK, rtm_flags RTM_F_FIB_MATCH (the FIB entry, not
 * a cached route), RTA_DST addr and, if oif > 0, RTA_OIF. NULL for an
 * unknown family. buf holds NEXTHOP_REQ_MAX bytes. */
struct nlmsghdr *nexthop_build_route_get(void *buf, uint32_t seq, int family,
					 const void *addr, int oif);
/* RTM_GETADDR dump of one family (REQUEST|DUMP). */
struct nlmsghdr *nexthop_build_addr_dump(void *buf, uint32_t seq, int family);
/* Decode an RTM_NEWROUTE / RTM_NEWADDR of `len` readable bytes: 0, -ENOMSG
 * if it is another type, -EBADMSG if malformed (out is then partly
 * filled). */
int nexthop_parse_route(const struct nlmsghdr *nlh, size_t len,
			struct nexthop_route *out);
int nexthop_parse_addr(const struct nlmsghdr *nlh, size_t len,
		       struct nexthop_addr *out);

/* Does prefix/plen (family's length in bytes) contain addr? */
bool nexthop_prefix_covers(int family, const uint8_t *prefix,
			   unsigned int plen, const uint8_t *addr);

#endif
