/* SPDX-License-Identifier: MIT */
/* The messages of the next-hop checks (nexthop.h): RTM_GETROUTE and
 * RTM_GETADDR requests, and parsers of their answers. Pure and defensive:
 * the fuzz target feeds the parsers any bytes. */
#include "nexthop.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <linux/if_addr.h>
#include <string.h>
#include <sys/socket.h>

#include "tc_internal.h"

static size_t addr_size(int family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

struct nlmsghdr *nexthop_build_route_get(void *buf, uint32_t seq, int family,
					 const void *addr, int oif)
{
	size_t alen = addr_size(family);
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;

	if (!alen)
		return NULL;
	memset(buf, 0, NEXTHOP_REQ_MAX);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (unsigned char)family;
	rtm->rtm_dst_len = (unsigned char)(8 * alen);
	/* The route in the FIB that matched, with its own type, scope and
	 * gateway: a cached route of a lookup with an output interface
	 * looks on-link whether or not anything covers the address. */
	rtm->rtm_flags = RTM_F_FIB_MATCH;
	mnl_attr_put(nlh, RTA_DST, alen, addr);
	if (oif > 0)
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)oif);
	return nlh;
}

struct nlmsghdr *nexthop_build_addr_dump(void *buf, uint32_t seq, int family)
{
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;

	memset(buf, 0, NEXTHOP_REQ_MAX);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (unsigned char)family;
	return nlh;
}

static bool put_gateway(struct nexthop_route *out, int family,
			const void *addr, size_t n)
{
	size_t want = addr_size(family);

	if (!want || n != want)
		return false;
	out->has_gateway = true;
	out->gw_family = family;
	memcpy(out->gateway, addr, n);
	return true;
}

static int on_route_attr(const struct nlattr *attr, void *data)
{
	struct nexthop_route *out = data;
	const uint8_t *p = mnl_attr_get_payload(attr);
	size_t n = mnl_attr_get_payload_len(attr);

	switch (mnl_attr_get_type(attr)) {
	case RTA_TABLE:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			goto bad;
		out->table = mnl_attr_get_u32(attr);
		break;
	case RTA_OIF:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			goto bad;
		out->oif = mnl_attr_get_u32(attr);
		break;
	case RTA_GATEWAY:
		if (!put_gateway(out, out->family, p, n))
			goto bad;
		break;
	case RTA_VIA:
		/* struct rtvia: a family, then its address. */
		if (n < 2)
			goto bad;
		{
			uint16_t fam;

			memcpy(&fam, p, 2);
			if (!put_gateway(out, fam, p + 2, n - 2))
				goto bad;
		}
		break;
	case RTA_MULTIPATH:
		/* Several next hops: a route one goes through, not a link. */
		out->has_gateway = true;
		break;
	}
	return MNL_CB_OK;
bad:
	errno = EBADMSG;
	return MNL_CB_ERROR;
}

int nexthop_parse_route(const struct nlmsghdr *nlh, size_t len,
			struct nexthop_route *out)
{
	const struct rtmsg *rtm;
	int ret;

	memset(out, 0, sizeof(*out));
	rtm = nl_msg_header(nlh, len, RTM_NEWROUTE, sizeof(*rtm), &ret);
	if (!rtm)
		return ret;
	out->family = rtm->rtm_family;
	out->dst_len = rtm->rtm_dst_len;
	out->type = rtm->rtm_type;
	out->scope = rtm->rtm_scope;
	out->table = rtm->rtm_table;
	return nl_parse_msg_attrs(nlh, sizeof(*rtm), on_route_attr, out);
}

struct addr_attrs {
	struct nexthop_addr *out;
	bool has_local;
};

static int on_addr_attr(const struct nlattr *attr, void *data)
{
	struct addr_attrs *a = data;
	struct nexthop_addr *out = a->out;
	size_t n = mnl_attr_get_payload_len(attr), want = addr_size(out->family);

	switch (mnl_attr_get_type(attr)) {
	case IFA_LOCAL:
	case IFA_ADDRESS:
		if (!want || n != want)
			goto bad;
		/* IFA_LOCAL is the address itself where the two differ (a
		 * point-to-point link's IFA_ADDRESS is the peer). */
		if (mnl_attr_get_type(attr) == IFA_LOCAL || !a->has_local)
			memcpy(out->addr, mnl_attr_get_payload(attr), n);
		if (mnl_attr_get_type(attr) == IFA_LOCAL)
			a->has_local = true;
		break;
	case IFA_BROADCAST:
		if (n != sizeof(out->broadcast))
			goto bad;
		memcpy(out->broadcast, mnl_attr_get_payload(attr), n);
		out->has_broadcast = true;
		break;
	}
	return MNL_CB_OK;
bad:
	errno = EBADMSG;
	return MNL_CB_ERROR;
}

int nexthop_parse_addr(const struct nlmsghdr *nlh, size_t len,
		       struct nexthop_addr *out)
{
	struct addr_attrs a = { .out = out };
	const struct ifaddrmsg *ifa;
	int ret;

	memset(out, 0, sizeof(*out));
	ifa = nl_msg_header(nlh, len, RTM_NEWADDR, sizeof(*ifa), &ret);
	if (!ifa)
		return ret;
	out->family = ifa->ifa_family;
	out->prefixlen = ifa->ifa_prefixlen;
	out->ifindex = ifa->ifa_index;
	if (out->prefixlen > 8 * addr_size(out->family))
		return -EBADMSG;
	return nl_parse_msg_attrs(nlh, sizeof(*ifa), on_addr_attr, &a);
}

bool nexthop_prefix_covers(int family, const uint8_t *prefix,
			   unsigned int plen, const uint8_t *addr)
{
	size_t alen = addr_size(family), i;

	if (!alen || plen > 8 * alen)
		return false;
	for (i = 0; i < alen && plen; i++) {
		unsigned int bits = plen < 8 ? plen : 8;
		uint8_t mask = (uint8_t)(0xff00 >> bits);

		if ((prefix[i] ^ addr[i]) & mask)
			return false;
		plen -= bits;
	}
	return true;
}
