/* SPDX-License-Identifier: MIT */
/* Builders for the TC rtnetlink requests tcsteer sends. Pure: they only
 * write into the caller's buffer, so tests can compare them byte for byte
 * with the Go reference (shared/netlink-golden). */
#include "tc.h"

#include <libmnl/libmnl.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* CLS_BPF_NAME_LEN (256) counts the NUL. */
#define BPF_NAME_MAX 255

/* Header + tcmsg; pid 0 like the reference (the kernel fills in the
 * sender). The whole buffer is zeroed first so padding is always zero. */
static struct nlmsghdr *put_tc_request(void *buf, uint16_t type,
				       uint16_t flags, uint32_t seq,
				       int ifindex, uint32_t handle,
				       uint32_t parent, uint32_t info)
{
	struct nlmsghdr *nlh;
	struct tcmsg *tcm;

	memset(buf, 0, TC_MSG_MAX);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = ifindex;
	tcm->tcm_handle = handle;
	tcm->tcm_parent = parent;
	tcm->tcm_info = info;
	return nlh;
}

/* tcm_info of a filter: prio in the upper 16 bits, the protocol in network
 * byte order in the lower 16 (what tc and the Go library put there). */
static uint32_t filter_info(uint32_t prio, uint16_t protocol)
{
	return TC_H_MAKE(prio << 16, htons(protocol));
}

struct nlmsghdr *tc_build_clsact(void *buf, uint32_t seq, int ifindex)
{
	struct nlmsghdr *nlh;

	nlh = put_tc_request(buf, RTM_NEWQDISC,
			     NLM_F_REQUEST | NLM_F_ACK | NLM_F_REPLACE |
			     NLM_F_CREATE, seq, ifindex,
			     TC_H_MAKE(TC_H_CLSACT, 0), TC_H_CLSACT, 0);
	/* GenericQdisc sends TCA_KIND only: no (empty) TCA_OPTIONS. */
	mnl_attr_put_strz(nlh, TCA_KIND, "clsact");
	return nlh;
}

struct nlmsghdr *tc_build_bpf_filter(void *buf, uint32_t seq, int ifindex,
				     uint32_t parent, int prog_fd,
				     const char *name)
{
	char bounded[BPF_NAME_MAX + 1];
	struct nlmsghdr *nlh;
	struct nlattr *opts;
	size_t n;

	/* CREATE without REPLACE, prio 0: the kernel allocates a prio, as
	 * it does for the Go reference and `tc filter replace`. */
	nlh = put_tc_request(buf, RTM_NEWTFILTER,
			     NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE, seq,
			     ifindex, TC_BPF_HANDLE, parent,
			     filter_info(0, ETH_P_ALL));
	mnl_attr_put_strz(nlh, TCA_KIND, "bpf");

	/* The reference sends TCA_OPTIONS without NLA_F_NESTED, but
	 * libmnl's nest_start (Debian 12's 1.0.4 included) sets it: clear
	 * it. The kernel accepts either; the unit test pins the bytes. */
	opts = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	opts->nla_type &= ~NLA_F_NESTED;
	mnl_attr_put_u32(nlh, TCA_BPF_FD, (uint32_t)prog_fd);
	if (name && name[0]) {
		/* strnlen() by hand: with LTO gcc sees a caller's shorter
		 * buffer and warns that the bound exceeds it (it is a
		 * bound, not a size). */
		for (n = 0; n < BPF_NAME_MAX && name[n]; n++)
			;
		memcpy(bounded, name, n);
		bounded[n] = '\0';
		mnl_attr_put(nlh, TCA_BPF_NAME, n + 1, bounded);
	}
	mnl_attr_put_u32(nlh, TCA_BPF_FLAGS, TCA_BPF_FLAG_ACT_DIRECT);
	mnl_attr_nest_end(nlh, opts);
	return nlh;
}

struct nlmsghdr *tc_build_filter_del(void *buf, uint32_t seq, int ifindex,
				     uint32_t parent, uint32_t prio,
				     uint32_t handle, uint16_t protocol)
{
	struct nlmsghdr *nlh;

	nlh = put_tc_request(buf, RTM_DELTFILTER, NLM_F_REQUEST | NLM_F_ACK,
			     seq, ifindex, handle, parent,
			     filter_info(prio, protocol));
	/* The kernel refuses to delete a filter of another kind. */
	mnl_attr_put_strz(nlh, TCA_KIND, "bpf");
	return nlh;
}

struct nlmsghdr *tc_build_filter_dump(void *buf, uint32_t seq, int ifindex,
				      uint32_t parent)
{
	return put_tc_request(buf, RTM_GETTFILTER, NLM_F_REQUEST | NLM_F_DUMP,
			      seq, ifindex, 0, parent, 0);
}

void tc_bpf_filter_name(char *out, size_t len, const char *func, int fd)
{
	if (!out || !len)
		return;
	snprintf(out, len, "SchedCLS(%s)#%d", func ? func : "", fd);
}
