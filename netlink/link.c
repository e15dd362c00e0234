/* SPDX-License-Identifier: MIT */
/* RTM_GETLINK for one device, and the MTU warning of `route add` (see
 * link.h). */
#include "link.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "tc_internal.h"

struct nlmsghdr *link_build_get(void *buf, uint32_t seq, int ifindex)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;

	memset(buf, 0, LINK_MSG_MAX);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	return nlh;
}

static int on_link_attr(const struct nlattr *attr, void *data)
{
	struct link_info *out = data;

	switch (mnl_attr_get_type(attr)) {
	case IFLA_MTU:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			goto bad;
		out->mtu = mnl_attr_get_u32(attr);
		break;
	case IFLA_IFNAME:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
			goto bad;
		nl_copy_string(out->name, sizeof(out->name), attr);
		break;
	}
	return MNL_CB_OK;
bad:
	errno = EBADMSG;
	return MNL_CB_ERROR;
}

int link_parse_msg(const struct nlmsghdr *nlh, size_t len,
		   struct link_info *out)
{
	const struct ifinfomsg *ifi;
	int ret;

	memset(out, 0, sizeof(*out));
	ifi = nl_msg_header(nlh, len, RTM_NEWLINK, sizeof(*ifi), &ret);
	if (!ifi)
		return ret;
	out->ifindex = ifi->ifi_index;
	out->flags = ifi->ifi_flags;
	return nl_parse_msg_attrs(nlh, sizeof(*ifi), on_link_attr, out);
}

static int parse_link(const struct nlmsghdr *nlh, size_t len, void *out)
{
	return link_parse_msg(nlh, len, out);
}

int link_get(struct tc_conn *c, int ifindex, struct link_info *out,
	     struct errmsg *err)
{
	char buf[LINK_MSG_MAX] __attribute__((aligned(4)));
	struct nl_one_reply r = { .parse = parse_link, .out = out };
	struct nlmsghdr *nlh;
	int ret;

	memset(out, 0, sizeof(*out));
	nlh = link_build_get(buf, tc_conn_next_seq(c), ifindex);
	ret = tc_conn_talk_ctx(c, nlh, nl_on_one_reply, &r, ifindex, "get link",
			       err);
	if (ret < 0 && r.malformed)
		return errmsg_set(err, EBADMSG,
				  "get link: malformed RTM_NEWLINK in the kernel's answer");
	if (ret < 0)
		return ret;
	if (!r.found)
		return errmsg_set(err, ENODEV,
				  "get link: no network device with ifindex %d",
				  ifindex);
	return 0;
}

bool link_mtu_warning(const struct link_info *out_dev,
		      const struct link_info *attach_dev, char *msg,
		      size_t len)
{
	if (!out_dev->mtu || !attach_dev->mtu ||
	    out_dev->mtu >= attach_dev->mtu)
		return false;
	snprintf(msg, len,
		 "warning: %s's MTU (%u) is smaller than %s's (%u): steered packets "
		 "larger than %u bytes are dropped, and their senders told to "
		 "send smaller ones (ICMP fragmentation needed, packet too big)",
		 out_dev->name, out_dev->mtu, attach_dev->name, attach_dev->mtu,
		 out_dev->mtu);
	return true;
}
