/* SPDX-License-Identifier: MIT */
/* rtnetlink for TC: the clsact qdisc and cls_bpf filters, built with libmnl.
 *
 * The builders write messages byte-for-byte equal to vishvananda/netlink's
 * QdiscReplace(clsact) and FilterReplace(BpfFilter{DirectAction}) (see
 * shared/netlink-golden); they are pure so that tests can compare bytes. */
#ifndef TCSTEER_NETLINK_TC_H
#define TCSTEER_NETLINK_TC_H

#include <linux/netlink.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "errmsg.h"

#define TC_PARENT_EGRESS  0xfffffff3u /* TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS) */
#define TC_PARENT_INGRESS 0xfffffff2u /* TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS) */
#define TC_BPF_HANDLE     1u

/* Room for any message tcsteer builds (the name is at most 255 bytes). */
#define TC_MSG_MAX 512

/* RTM_NEWQDISC clsact, REQUEST|ACK|REPLACE|CREATE. Returns the header
 * placed at the start of buf (TC_MSG_MAX bytes). */
struct nlmsghdr *tc_build_clsact(void *buf, uint32_t seq, int ifindex);

/* RTM_NEWTFILTER cls_bpf direct-action, REQUEST|ACK|CREATE, prio 0,
 * handle 1, ETH_P_ALL, options FD, NAME, FLAGS. */
struct nlmsghdr *tc_build_bpf_filter(void *buf, uint32_t seq, int ifindex,
				     uint32_t parent, int prog_fd,
				     const char *name);

/* RTM_DELTFILTER for one filter. */
struct nlmsghdr *tc_build_filter_del(void *buf, uint32_t seq, int ifindex,
				     uint32_t parent, uint32_t prio,
				     uint32_t handle, uint16_t protocol);

/* RTM_GETTFILTER dump request (REQUEST|DUMP) for the filters at parent. */
struct nlmsghdr *tc_build_filter_dump(void *buf, uint32_t seq, int ifindex,
				      uint32_t parent);

/* The filter name the Go reference sends: "SchedCLS(<func>)#<fd>".
 * Truncated (still NUL-terminated) if len is too small. */
void tc_bpf_filter_name(char *out, size_t len, const char *func, int fd);

/* Print a message (tc or neighbour) for --dry-run and -v: its bytes as
 * one hex line, then "<offset> <field> <value>" lines, attributes by name
 * and nested ones indented. */
void tc_print_message(FILE *f, const struct nlmsghdr *nlh);

/* A connected NETLINK_ROUTE socket with extended ACKs enabled. */
struct tc_conn;
int tc_conn_open(struct tc_conn **out, struct errmsg *err);
void tc_conn_close(struct tc_conn *c);

/* The socket (of the caller's network namespace: its cookie names it). */
int tc_conn_fd(const struct tc_conn *c);

/* Next sequence number for a request built by the caller. */
uint32_t tc_conn_next_seq(struct tc_conn *c);

/* Send one request and wait for its ACK (NLM_F_ACK is added if missing,
 * a sequence number if nlmsg_seq is 0). A kernel error becomes -errno with
 * "kernel: <extended-ACK text> (<strerror>)" in err, or "kernel:
 * <strerror>" when the kernel gave no text. */
int tc_conn_request(struct tc_conn *c, struct nlmsghdr *nlh, struct errmsg *err);

/* Called for every reply message of a request that is not NLMSG_ERROR,
 * NLMSG_DONE or another control message. Return 1 to go on, 0 to stop
 * early (the rest of the answer is read and dropped), -1 with errno set
 * for an error. */
typedef int (*tc_reply_cb)(const struct nlmsghdr *nlh, void *data);

/* Send one request (a dump if it is an RTM_GET* with NLM_F_DUMP; anything
 * else gets NLM_F_ACK) and feed its replies to cb until the ACK, error or
 * NLMSG_DONE of its sequence number. Errors as for tc_conn_request. */
int tc_conn_talk(struct tc_conn *c, struct nlmsghdr *nlh, tc_reply_cb cb,
		 void *data, struct errmsg *err);

struct tc_filter_info {
	uint32_t parent;        /* TC_PARENT_EGRESS / TC_PARENT_INGRESS */
	uint32_t prio;
	uint32_t handle;
	uint16_t protocol;      /* host order ETH_P_* */
	char kind[16];          /* "bpf", "u32", ... */
	char name[256];         /* TCA_BPF_NAME, "" if absent */
	uint32_t prog_id;       /* TCA_BPF_ID, 0 if absent */
	uint8_t tag[8];         /* TCA_BPF_TAG */
	bool has_tag;
	bool direct_action;
};

/* Decode one RTM_NEWTFILTER message of `len` readable bytes at nlh. Pure and
 * safe on any bytes: every length is checked, unknown attributes are
 * skipped. Returns 0, -ENOMSG if nlh is not an RTM_NEWTFILTER, -EBADMSG if
 * it is malformed (out is then partly filled). */
int tc_parse_filter_msg(const struct nlmsghdr *nlh, size_t len,
			struct tc_filter_info *out);

/* Dump the filters at `parent` of ifindex, one entry per filter (the
 * kernel's per-priority header messages, handle 0, are left out). *out is
 * malloc'ed (NULL when *n is 0). A device without clsact yields 0 filters,
 * not an error; a missing device is -ENODEV. */
int tc_filter_list(struct tc_conn *c, int ifindex, uint32_t parent,
		   struct tc_filter_info **out, size_t *n, struct errmsg *err);

/* Convenience wrappers over the builders + tc_conn_request; err reads
 * "<action>: <cause>", e.g. "create clsact qdisc: no network device with
 * ifindex 9" or "attach bpf filter: kernel: Bad file descriptor". */
int tc_clsact_replace(struct tc_conn *c, int ifindex, struct errmsg *err);
int tc_bpf_filter_add(struct tc_conn *c, int ifindex, uint32_t parent,
		      int prog_fd, const char *name, struct errmsg *err);
int tc_filter_del(struct tc_conn *c, int ifindex,
		  const struct tc_filter_info *f, struct errmsg *err);

#endif
