/* SPDX-License-Identifier: MIT */
/* Attaching: the clsact qdisc and a direct-action cls_bpf filter, each one
 * request built by tc_msg.c and answered by an ACK. */
#include "tc_internal.h"

int tc_clsact_replace(struct tc_conn *c, int ifindex, struct errmsg *err)
{
	char buf[TC_MSG_MAX] __attribute__((aligned(4)));
	struct nlmsghdr *nlh;

	nlh = tc_build_clsact(buf, tc_conn_next_seq(c), ifindex);
	return tc_conn_talk_ctx(c, nlh, NULL, NULL, ifindex,
				"create clsact qdisc", err);
}

int tc_bpf_filter_add(struct tc_conn *c, int ifindex, uint32_t parent,
		      int prog_fd, const char *name, struct errmsg *err)
{
	char buf[TC_MSG_MAX] __attribute__((aligned(4)));
	struct nlmsghdr *nlh;

	nlh = tc_build_bpf_filter(buf, tc_conn_next_seq(c), ifindex, parent,
				  prog_fd, name);
	return tc_conn_talk_ctx(c, nlh, NULL, NULL, ifindex,
				"attach bpf filter", err);
}
