/* SPDX-License-Identifier: MIT */
/* Helpers shared by the files of tcsteer_netlink; not part of its API. */
#ifndef TCSTEER_NETLINK_TC_INTERNAL_H
#define TCSTEER_NETLINK_TC_INTERNAL_H

#include "tc.h"

/* tc_conn_talk, then the failure put in context: "<what>: <cause>". A
 * kernel ENODEV (which comes without extended-ACK text) is reworded to
 * name the ifindex. */
int tc_conn_talk_ctx(struct tc_conn *c, struct nlmsghdr *nlh, tc_reply_cb cb,
		     void *data, int ifindex, const char *what,
		     struct errmsg *err);

/* Walk the attributes in [start, start+len), calling cb for each (the
 * libmnl callback convention). Unlike mnl_attr_parse_payload this fails
 * with EBADMSG when an attribute header is cut short or claims more
 * bytes than are left, instead of stopping quietly. */
int nl_parse_attrs(const void *start, size_t len,
		   int (*cb)(const struct nlattr *attr, void *data),
		   void *data);

/* The fixed header (struct tcmsg, ndmsg...) of a reply message: checked
 * that nlh is a whole message within len, of `type`, with at least
 * hdr_size bytes of payload. NULL with *ret = -ENOMSG for a message of
 * another type (the caller skips it) or -EBADMSG for one cut short. */
const void *nl_msg_header(const struct nlmsghdr *nlh, size_t len,
			  uint16_t type, size_t hdr_size, int *ret);

/* nl_parse_attrs over the attributes that follow a fixed header of
 * hdr_size bytes (checked by nl_msg_header). 0, or -EBADMSG. */
int nl_parse_msg_attrs(const struct nlmsghdr *nlh, size_t hdr_size,
		       int (*cb)(const struct nlattr *attr, void *data),
		       void *data);

/* A request the kernel answers with one message: the reply callback (for
 * tc_conn_talk_ctx) hands each message to parse(), skips those it says
 * are of another type (-ENOMSG), and stops at the first one it reads into
 * out. found and malformed tell the caller which happened. */
struct nl_one_reply {
	int (*parse)(const struct nlmsghdr *nlh, size_t len, void *out);
	void *out;
	bool found;
	bool malformed;
};

int nl_on_one_reply(const struct nlmsghdr *nlh, void *data);

/* True when buf[0..len) is a sequence of whole netlink messages, each
 * nlmsg_len at least a header and within what is left (trailing bytes
 * shorter than a header are padding). libmnl's mnl_nlmsg_ok() compares
 * nlmsg_len as an int, so a length of 2 GiB or more would make
 * mnl_cb_run() loop forever or read outside the buffer: check first. */
bool nl_frames_ok(const void *buf, size_t len);

/* A string attribute copied into out (size > 0), NUL-terminated and cut
 * to fit; bytes that would break a one-line message become '?'. */
void nl_copy_string(char *out, size_t size, const struct nlattr *attr);

#endif
