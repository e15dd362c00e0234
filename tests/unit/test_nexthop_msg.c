/* SPDX-License-Identifier: MIT */
/* The pure parts of the next-hop checks, the link reader and the
 * neighbour release: request builders byte by byte, reply parsers on
 * crafted, cut and damaged messages (every parse from an exact-size heap
 * copy, so ASan sees an overread), address classes, prefix cover, the MTU
 * warning. No sockets, no root. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "link.h"
#include "neigh.h"
#include "nexthop.h"

union msgbuf {
	struct nlmsghdr align;
	unsigned char b[512];
};

static void pton(int family, const char *s, void *out)
{
	assert_int_equal(inet_pton(family, s, out), 1);
}

/* The attribute of type `type` at the top level of a request, or NULL. */
static const struct nlattr *find_attr(const struct nlmsghdr *nlh, size_t hdr,
				      uint16_t type)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, hdr)
		if (mnl_attr_get_type(a) == type)
			return a;
	return NULL;
}

/* ---- requests ----------------------------------------------------------- */

static void test_route_get_request(void **state)
{
	union msgbuf buf;
	struct nlmsghdr *nlh;
	const struct rtmsg *rtm;
	const struct nlattr *a;
	uint8_t nh[16];

	pton(AF_INET, "10.111.221.21", nh);
	nlh = nexthop_build_route_get(buf.b, 7, AF_INET, nh, 5);
	assert_non_null(nlh);
	assert_int_equal(nlh->nlmsg_type, RTM_GETROUTE);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
	assert_int_equal(nlh->nlmsg_seq, 7);
	rtm = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(rtm->rtm_family, AF_INET);
	assert_int_equal(rtm->rtm_dst_len, 32);
	assert_int_equal(rtm->rtm_flags, RTM_F_FIB_MATCH);
	a = find_attr(nlh, sizeof(*rtm), RTA_DST);
	assert_non_null(a);
	assert_int_equal(mnl_attr_get_payload_len(a), 4);
	assert_memory_equal(mnl_attr_get_payload(a), nh, 4);
	a = find_attr(nlh, sizeof(*rtm), RTA_OIF);
	assert_non_null(a);
	assert_int_equal(mnl_attr_get_u32(a), 5);
	/* 16 + 12 + 8 + 8 */
	assert_int_equal(nlh->nlmsg_len, 44);

	pton(AF_INET6, "fe80::1", nh);
	nlh = nexthop_build_route_get(buf.b, 8, AF_INET6, nh, 0);
	rtm = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(rtm->rtm_dst_len, 128);
	assert_null(find_attr(nlh, sizeof(*rtm), RTA_OIF));
	assert_int_equal(nlh->nlmsg_len, 16 + 12 + 20);
	assert_null(nexthop_build_route_get(buf.b, 9, AF_PACKET, nh, 0));
}

static void test_addr_dump_request(void **state)
{
	union msgbuf buf;
	struct nlmsghdr *nlh = nexthop_build_addr_dump(buf.b, 3, AF_INET6);
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);

	assert_int_equal(nlh->nlmsg_type, RTM_GETADDR);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
	assert_int_equal(ifa->ifa_family, AF_INET6);
	assert_int_equal(nlh->nlmsg_len, 16 + sizeof(*ifa));
}

static void test_link_request(void **state)
{
	union msgbuf buf;
	struct nlmsghdr *nlh = link_build_get(buf.b, 4, 12);
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

	assert_int_equal(nlh->nlmsg_type, RTM_GETLINK);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
	assert_int_equal(ifi->ifi_index, 12);
	assert_int_equal(nlh->nlmsg_len, 16 + sizeof(*ifi));
}

/* Back to a dynamic entry: REPLACE without CREATE (never make one), STALE,
 * no NDA_LLADDR (keep the MAC the kernel has), no NDA_FLAGS_EXT (which
 * clears the managed flag); and the delete. */
static void test_neigh_release_requests(void **state)
{
	union msgbuf buf;
	struct nlmsghdr *nlh;
	const struct ndmsg *ndm;
	uint8_t nh[16];

	pton(AF_INET6, "fd00:221::21", nh);
	nlh = neigh_build_unmanage(buf.b, 5, 3, AF_INET6, nh, NTF_ROUTER);
	assert_non_null(nlh);
	assert_int_equal(nlh->nlmsg_type, RTM_NEWNEIGH);
	assert_int_equal(nlh->nlmsg_flags,
			 NLM_F_REQUEST | NLM_F_ACK | NLM_F_REPLACE);
	ndm = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(ndm->ndm_family, AF_INET6);
	assert_int_equal(ndm->ndm_ifindex, 3);
	assert_int_equal(ndm->ndm_state, NUD_STALE);
	assert_int_equal(ndm->ndm_flags, NTF_ROUTER);
	assert_non_null(find_attr(nlh, sizeof(*ndm), NDA_DST));
	assert_null(find_attr(nlh, sizeof(*ndm), NDA_LLADDR));
	assert_null(find_attr(nlh, sizeof(*ndm), NDA_FLAGS_EXT));

	nlh = neigh_build_del(buf.b, 6, 3, AF_INET6, nh);
	assert_int_equal(nlh->nlmsg_type, RTM_DELNEIGH);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
	assert_non_null(find_attr(nlh, sizeof(*ndm), NDA_DST));
	assert_null(neigh_build_del(buf.b, 6, 3, AF_UNIX, nh));
	assert_int_equal(strcmp(neigh_release_str(NEIGH_RELEASE_DELETED),
				"deleted"), 0);
}

/* ---- replies ------------------------------------------------------------ */

static struct nlmsghdr *route_msg(union msgbuf *buf, int family, uint8_t type,
				  uint8_t scope)
{
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;

	memset(buf, 0, sizeof(*buf));
	nlh = mnl_nlmsg_put_header(buf->b);
	nlh->nlmsg_type = RTM_NEWROUTE;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (uint8_t)family;
	rtm->rtm_dst_len = 24;
	rtm->rtm_type = type;
	rtm->rtm_scope = scope;
	rtm->rtm_table = RT_TABLE_MAIN;
	return nlh;
}

static int parse_route(const struct nlmsghdr *nlh, size_t len,
		       struct nexthop_route *out)
{
	void *copy = malloc(len ? len : 1);
	int ret;

	assert_non_null(copy);
	memcpy(copy, nlh, len);
	ret = nexthop_parse_route(copy, len, out);
	free(copy);
	return ret;
}

static int parse_addr(const struct nlmsghdr *nlh, size_t len,
		      struct nexthop_addr *out)
{
	void *copy = malloc(len ? len : 1);
	int ret;

	assert_non_null(copy);
	memcpy(copy, nlh, len);
	ret = nexthop_parse_addr(copy, len, out);
	free(copy);
	return ret;
}

static void test_parse_connected_route(void **state)
{
	union msgbuf buf;
	struct nlmsghdr *nlh = route_msg(&buf, AF_INET, RTN_UNICAST,
					 RT_SCOPE_LINK);
	struct nexthop_route r;

	mnl_attr_put_u32(nlh, RTA_TABLE, 254);
	mnl_attr_put_u32(nlh, RTA_OIF, 4);
	assert_int_equal(parse_route(nlh, nlh->nlmsg_len, &r), 0);
	assert_int_equal(r.family, AF_INET);
	assert_int_equal(r.type, RTN_UNICAST);
	assert_int_equal(r.scope, RT_SCOPE_LINK);
	assert_int_equal(r.table, 254);
	assert_int_equal(r.oif, 4);
	assert_false(r.has_gateway);
}

static void test_parse_gateways(void **state)
{
	union msgbuf buf;
	struct nlmsghdr *nlh;
	struct nexthop_route r;
	uint8_t gw4[4], via[18] = { 0 }, nest[8] = { 8, 0, 0, 0, 4, 0, 0, 0 };

	pton(AF_INET, "10.111.221.21", gw4);
	nlh = route_msg(&buf, AF_INET, RTN_UNICAST, RT_SCOPE_UNIVERSE);
	mnl_attr_put(nlh, RTA_GATEWAY, 4, gw4);
	assert_int_equal(parse_route(nlh, nlh->nlmsg_len, &r), 0);
	assert_true(r.has_gateway);
	assert_int_equal(r.gw_family, AF_INET);
	assert_memory_equal(r.gateway, gw4, 4);

	/* An IPv4 route via an IPv6 gateway: struct rtvia. */
	nlh = route_msg(&buf, AF_INET, RTN_UNICAST, RT_SCOPE_UNIVERSE);
	via[0] = AF_INET6;
	pton(AF_INET6, "fe80::21", via + 2);
	mnl_attr_put(nlh, RTA_VIA, sizeof(via), via);
	assert_int_equal(parse_route(nlh, nlh->nlmsg_len, &r), 0);
	assert_int_equal(r.gw_family, AF_INET6);
	assert_memory_equal(r.gateway, via + 2, 16);

	nlh = route_msg(&buf, AF_INET, RTN_UNICAST, RT_SCOPE_UNIVERSE);
	mnl_attr_put(nlh, RTA_MULTIPATH, sizeof(nest), nest);
	assert_int_equal(parse_route(nlh, nlh->nlmsg_len, &r), 0);
	assert_true(r.has_gateway);
	assert_int_equal(r.gw_family, 0);
}

static void test_parse_route_damaged(void **state)
{
	union msgbuf buf;
	struct nlmsghdr *nlh;
	struct nexthop_route r;
	uint8_t gw[16] = { 0 };
	size_t len;

	/* A gateway whose length does not fit the family. */
	nlh = route_msg(&buf, AF_INET, RTN_UNICAST, 0);
	mnl_attr_put(nlh, RTA_GATEWAY, 16, gw);
	assert_int_equal(parse_route(nlh, nlh->nlmsg_len, &r), -EBADMSG);
	/* RTA_VIA too short for its family. */
	nlh = route_msg(&buf, AF_INET, RTN_UNICAST, 0);
	mnl_attr_put(nlh, RTA_VIA, 1, gw);
	assert_int_equal(parse_route(nlh, nlh->nlmsg_len, &r), -EBADMSG);
	/* RTA_VIA of a family nobody knows, with no address (fuzzing). */
	nlh = route_msg(&buf, AF_INET, RTN_UNICAST, 0);
	{
		uint16_t fam = 99;

		mnl_attr_put(nlh, RTA_VIA, sizeof(fam), &fam);
	}
	assert_int_equal(parse_route(nlh, nlh->nlmsg_len, &r), -EBADMSG);
	/* A 2-byte RTA_OIF. */
	nlh = route_msg(&buf, AF_INET, RTN_UNICAST, 0);
	mnl_attr_put_u16(nlh, RTA_OIF, 4);
	assert_int_equal(parse_route(nlh, nlh->nlmsg_len, &r), -EBADMSG);
	/* Another message type. */
	nlh = route_msg(&buf, AF_INET, RTN_UNICAST, 0);
	nlh->nlmsg_type = RTM_NEWADDR;
	assert_int_equal(parse_route(nlh, nlh->nlmsg_len, &r), -ENOMSG);
	/* Every cut of a sound message: never a read past it; an error
	 * unless the cut falls between attributes (a shorter sound
	 * message); always an error when fewer bytes are there than the
	 * header says. */
	nlh = route_msg(&buf, AF_INET, RTN_UNICAST, 0);
	mnl_attr_put_u32(nlh, RTA_OIF, 4);
	mnl_attr_put(nlh, RTA_GATEWAY, 4, gw);
	len = nlh->nlmsg_len;
	for (size_t cut = 0; cut < len; cut++) {
		int ret;

		nlh->nlmsg_len = (uint32_t)cut;
		ret = parse_route(nlh, len, &r);
		/* (fewer than 4 bytes after an attribute are padding) */
		if ((cut >= 28 && cut < 32) || (cut >= 36 && cut < 40))
			assert_int_equal(ret, 0);
		else
			assert_int_equal(ret, -EBADMSG);
		nlh->nlmsg_len = (uint32_t)len;
		assert_int_equal(parse_route(nlh, cut, &r), -EBADMSG);
	}
	assert_int_equal(nexthop_parse_route(NULL, 0, &r), -EBADMSG);
}

static struct nlmsghdr *addr_msg(union msgbuf *buf, int family,
				 uint8_t plen, int ifindex)
{
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;

	memset(buf, 0, sizeof(*buf));
	nlh = mnl_nlmsg_put_header(buf->b);
	nlh->nlmsg_type = RTM_NEWADDR;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)family;
	ifa->ifa_prefixlen = plen;
	ifa->ifa_index = (uint32_t)ifindex;
	return nlh;
}

static void test_parse_addr(void **state)
{
	union msgbuf buf;
	struct nlmsghdr *nlh = addr_msg(&buf, AF_INET, 24, 3);
	struct nexthop_addr a;
	uint8_t local[4], peer[4], brd[4];

	pton(AF_INET, "10.111.221.11", local);
	pton(AF_INET, "10.111.221.99", peer);
	pton(AF_INET, "10.111.221.255", brd);
	/* A point-to-point address: IFA_ADDRESS is the peer, IFA_LOCAL ours
	 * (whichever comes first). */
	mnl_attr_put(nlh, IFA_ADDRESS, 4, peer);
	mnl_attr_put(nlh, IFA_LOCAL, 4, local);
	mnl_attr_put(nlh, IFA_BROADCAST, 4, brd);
	assert_int_equal(parse_addr(nlh, nlh->nlmsg_len, &a), 0);
	assert_int_equal(a.prefixlen, 24);
	assert_int_equal(a.ifindex, 3);
	assert_memory_equal(a.addr, local, 4);
	assert_true(a.has_broadcast);
	assert_memory_equal(a.broadcast, brd, 4);

	nlh = addr_msg(&buf, AF_INET, 24, 3);
	mnl_attr_put(nlh, IFA_LOCAL, 4, local);
	mnl_attr_put(nlh, IFA_ADDRESS, 4, peer);
	assert_int_equal(parse_addr(nlh, nlh->nlmsg_len, &a), 0);
	assert_memory_equal(a.addr, local, 4);

	nlh = addr_msg(&buf, AF_INET, 33, 3);       /* impossible length */
	assert_int_equal(parse_addr(nlh, nlh->nlmsg_len, &a), -EBADMSG);
	nlh = addr_msg(&buf, AF_INET6, 64, 3);      /* a 4-byte IPv6 address */
	mnl_attr_put(nlh, IFA_ADDRESS, 4, local);
	assert_int_equal(parse_addr(nlh, nlh->nlmsg_len, &a), -EBADMSG);
	nlh = addr_msg(&buf, AF_INET, 24, 3);
	mnl_attr_put(nlh, IFA_BROADCAST, 3, brd);
	assert_int_equal(parse_addr(nlh, nlh->nlmsg_len, &a), -EBADMSG);
	nlh = addr_msg(&buf, AF_INET, 24, 3);
	nlh->nlmsg_type = RTM_NEWROUTE;
	assert_int_equal(parse_addr(nlh, nlh->nlmsg_len, &a), -ENOMSG);
}

static void test_parse_link(void **state)
{
	union msgbuf buf;
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	struct link_info l;

	memset(&buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf.b);
	nlh->nlmsg_type = RTM_NEWLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_index = 7;
	ifi->ifi_flags = IFF_UP | IFF_BROADCAST;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth1");
	mnl_attr_put_u32(nlh, IFLA_MTU, 1400);
	assert_int_equal(link_parse_msg(nlh, nlh->nlmsg_len, &l), 0);
	assert_int_equal(l.ifindex, 7);
	assert_true(l.flags & IFF_UP);
	assert_int_equal(l.mtu, 1400);
	assert_string_equal(l.name, "eth1");

	mnl_attr_put_u16(nlh, IFLA_MTU, 1400);      /* the wrong size */
	assert_int_equal(link_parse_msg(nlh, nlh->nlmsg_len, &l), -EBADMSG);
	nlh->nlmsg_type = RTM_NEWADDR;
	assert_int_equal(link_parse_msg(nlh, nlh->nlmsg_len, &l), -ENOMSG);
	assert_int_equal(link_parse_msg(nlh, 10, &l), -EBADMSG);
}

/* ---- the pure checks ---------------------------------------------------- */

static enum nexthop_verdict class_of(const char *s)
{
	uint8_t a[16];
	char msg[NEXTHOP_MSG_MAX];
	int family = strchr(s, ':') ? AF_INET6 : AF_INET;
	enum nexthop_verdict v;

	pton(family, s, a);
	v = nexthop_classify(family, a, msg, sizeof(msg));
	/* A refusal says why, naming the address, on one line. */
	assert_true(v == NEXTHOP_OK ? !msg[0] : strstr(msg, s) != NULL);
	assert_null(strchr(msg, '\n'));
	return v;
}

static void test_classify(void **state)
{
	assert_int_equal(class_of("0.0.0.0"), NEXTHOP_UNSPECIFIED);
	assert_int_equal(class_of("0.1.2.3"), NEXTHOP_UNSPECIFIED);
	assert_int_equal(class_of("127.0.0.1"), NEXTHOP_LOOPBACK);
	assert_int_equal(class_of("224.0.0.1"), NEXTHOP_MULTICAST);
	assert_int_equal(class_of("239.255.255.255"), NEXTHOP_MULTICAST);
	assert_int_equal(class_of("255.255.255.255"), NEXTHOP_BROADCAST);
	assert_int_equal(class_of("10.111.221.21"), NEXTHOP_OK);
	assert_int_equal(class_of("10.111.221.255"), NEXTHOP_OK); /* system's */
	assert_int_equal(class_of("::"), NEXTHOP_UNSPECIFIED);
	assert_int_equal(class_of("::1"), NEXTHOP_LOOPBACK);
	assert_int_equal(class_of("ff02::1"), NEXTHOP_MULTICAST);
	assert_int_equal(class_of("::ffff:10.0.0.1"), NEXTHOP_V4_MAPPED);
	assert_int_equal(class_of("fe80::1"), NEXTHOP_OK);
	assert_int_equal(class_of("::2"), NEXTHOP_OK);
	assert_false(nexthop_refused(NEXTHOP_OK));
	assert_false(nexthop_refused(NEXTHOP_UNVERIFIED));
	assert_true(nexthop_refused(NEXTHOP_NOT_ON_LINK));
	assert_true(nexthop_refused(NEXTHOP_BROADCAST));
}

static void test_prefix_covers(void **state)
{
	uint8_t net[16], a[16];

	pton(AF_INET, "10.111.221.0", net);
	pton(AF_INET, "10.111.221.21", a);
	assert_true(nexthop_prefix_covers(AF_INET, net, 24, a));
	assert_false(nexthop_prefix_covers(AF_INET, net, 32, a));
	assert_true(nexthop_prefix_covers(AF_INET, net, 0, a));
	pton(AF_INET, "10.111.220.1", a);
	assert_false(nexthop_prefix_covers(AF_INET, net, 24, a));
	assert_true(nexthop_prefix_covers(AF_INET, net, 23, a));
	assert_false(nexthop_prefix_covers(AF_INET, net, 33, a));
	pton(AF_INET6, "fd00:221::", net);
	pton(AF_INET6, "fd00:221::21", a);
	assert_true(nexthop_prefix_covers(AF_INET6, net, 64, a));
	assert_false(nexthop_prefix_covers(AF_INET6, net, 127, a));
	assert_false(nexthop_prefix_covers(AF_UNIX, net, 0, a));
}

static void test_mtu_warning(void **state)
{
	struct link_info out = { .mtu = 1400, .name = "eth1" };
	struct link_info at = { .mtu = 1500, .name = "eth0" };
	char msg[256];

	assert_true(link_mtu_warning(&out, &at, msg, sizeof(msg)));
	assert_non_null(strstr(msg, "warning: eth1's MTU (1400) is smaller than eth0's (1500)"));
	assert_null(strchr(msg, '\n'));
	assert_false(link_mtu_warning(&at, &out, msg, sizeof(msg)));
	out.mtu = 1500;
	assert_false(link_mtu_warning(&out, &at, msg, sizeof(msg)));
	out.mtu = 0;                                /* unknown: no guess */
	assert_false(link_mtu_warning(&out, &at, msg, sizeof(msg)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_route_get_request),
		cmocka_unit_test(test_addr_dump_request),
		cmocka_unit_test(test_link_request),
		cmocka_unit_test(test_neigh_release_requests),
		cmocka_unit_test(test_parse_connected_route),
		cmocka_unit_test(test_parse_gateways),
		cmocka_unit_test(test_parse_route_damaged),
		cmocka_unit_test(test_parse_addr),
		cmocka_unit_test(test_parse_link),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_prefix_covers),
		cmocka_unit_test(test_mtu_warning),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
