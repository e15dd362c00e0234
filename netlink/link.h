/* SPDX-License-Identifier: MIT */
/* One network device as rtnetlink describes it (RTM_GETLINK): its name,
 * flags and MTU. `route add` reads the output interface and the attach
 * device with it (link_mtu_warning), and the next-hop checks read the
 * output interface's state (nexthop.h). Uses the tc_conn socket of tc.h. */
#ifndef TCSTEER_NETLINK_LINK_H
#define TCSTEER_NETLINK_LINK_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errmsg.h"
#include "tc.h"

#define LINK_MSG_MAX 64

struct link_info {
	int ifindex;
	unsigned int flags;     /* IFF_* (ifi_flags): IFF_UP, IFF_LOWER_UP... */
	uint32_t mtu;           /* IFLA_MTU, 0 if absent */
	char name[IF_NAMESIZE]; /* IFLA_IFNAME, "" if absent */
};

/* Read device ifindex. -ENODEV (with "no network device with ifindex N")
 * if there is none. */
int link_get(struct tc_conn *c, int ifindex, struct link_info *out,
	     struct errmsg *err);

/* The warning `route add ... dev IFACE` prints when IFACE's MTU is smaller
 * than that of the device the table's program runs on: packets that fit
 * the one and not the other are dropped (and their senders told). True,
 * with the line (no "tcsteer: " prefix) in msg, if it applies. */
bool link_mtu_warning(const struct link_info *out_dev,
		      const struct link_info *attach_dev, char *msg,
		      size_t len);

/* Pure builder and parser (for tests and fuzzing). */
/* RTM_GETLINK REQUEST for one device (no dump). */
struct nlmsghdr *link_build_get(void *buf, uint32_t seq, int ifindex);
/* Decode an RTM_NEWLINK of `len` readable bytes: 0, -ENOMSG if it is
 * another type, -EBADMSG if malformed (out is then partly filled). */
int link_parse_msg(const struct nlmsghdr *nlh, size_t len,
		   struct link_info *out);

#endif
