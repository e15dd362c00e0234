/* SPDX-License-Identifier: MIT */
/* Managed neighbour entries for next hops (see neigh.h). */
#include "neigh.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "tc_internal.h"

static size_t addr_len(int family)
{
	switch (family) {
	case AF_INET:
		return 4;
	case AF_INET6:
		return 16;
	}
	return 0;
}

static struct nlmsghdr *put_neigh_request(void *buf, uint16_t type,
					  uint16_t flags, uint32_t seq,
					  int ifindex, int family,
					  const void *addr)
{
	size_t alen = addr_len(family);
	struct nlmsghdr *nlh;
	struct ndmsg *ndm;

	if (!alen)
		return NULL;
	memset(buf, 0, NEIGH_MSG_MAX);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = family;
	ndm->ndm_ifindex = ifindex;
	ndm->ndm_state = NUD_NONE;
	mnl_attr_put(nlh, NDA_DST, alen, addr);
	return nlh;
}

struct nlmsghdr *neigh_build_managed(void *buf, uint32_t seq, int ifindex,
				     int family, const void *addr)
{
	struct nlmsghdr *nlh;

	/* NUD_NONE: the kernel refuses PERMANENT together with MANAGED, and
	 * a managed entry's state is the kernel's to drive anyway. */
	nlh = put_neigh_request(buf, RTM_NEWNEIGH,
				NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE |
				NLM_F_REPLACE, seq, ifindex, family, addr);
	if (nlh)
		mnl_attr_put_u32(nlh, NDA_FLAGS_EXT, NTF_EXT_MANAGED);
	return nlh;
}

struct nlmsghdr *neigh_build_get(void *buf, uint32_t seq, int ifindex,
				 int family, const void *addr)
{
	return put_neigh_request(buf, RTM_GETNEIGH, NLM_F_REQUEST | NLM_F_ACK,
				 seq, ifindex, family, addr);
}

static int on_neigh_attr(const struct nlattr *attr, void *data)
{
	struct neigh_info *out = data;
	size_t n;

	switch (mnl_attr_get_type(attr)) {
	case NDA_LLADDR:
		n = mnl_attr_get_payload_len(attr);
		if (n > sizeof(out->lladdr))
			goto bad;
		memcpy(out->lladdr, mnl_attr_get_payload(attr), n);
		out->lladdr_len = n;
		break;
	case NDA_FLAGS_EXT:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			goto bad;
		out->ext_flags = mnl_attr_get_u32(attr);
		break;
	}
	return MNL_CB_OK;
bad:
	errno = EBADMSG;
	return MNL_CB_ERROR;
}

int neigh_parse_msg(const struct nlmsghdr *nlh, size_t len,
		    struct neigh_info *out)
{
	const struct ndmsg *ndm;
	int ret;

	memset(out, 0, sizeof(*out));
	ndm = nl_msg_header(nlh, len, RTM_NEWNEIGH, sizeof(*ndm), &ret);
	if (!ndm)
		return ret;
	out->state = ndm->ndm_state;
	out->flags = ndm->ndm_flags;
	return nl_parse_msg_attrs(nlh, sizeof(*ndm), on_neigh_attr, out);
}

static int parse_neigh(const struct nlmsghdr *nlh, size_t len, void *out)
{
	return neigh_parse_msg(nlh, len, out);
}

/* "<verb> neighbour <addr><tail>", the context of error lines. */
static void describe(char *what, size_t len, const char *verb, int family,
		     const void *addr, const char *tail)
{
	char text[INET6_ADDRSTRLEN];

	if (!inet_ntop(family, addr, text, sizeof(text)))
		snprintf(text, sizeof(text), "?");
	snprintf(what, len, "%s neighbour %s%s", verb, text, tail);
}

int neigh_get(struct tc_conn *c, int ifindex, int family, const void *addr,
	      struct neigh_info *out, struct errmsg *err)
{
	char buf[NEIGH_MSG_MAX] __attribute__((aligned(4)));
	struct nl_one_reply r = { .parse = parse_neigh, .out = out };
	char what[80];
	struct nlmsghdr *nlh;
	int ret;

	memset(out, 0, sizeof(*out));
	nlh = neigh_build_get(buf, tc_conn_next_seq(c), ifindex, family, addr);
	if (!nlh)
		return errmsg_set(err, EAFNOSUPPORT,
				  "neighbour: address family %d is not IPv4 or IPv6",
				  family);
	describe(what, sizeof(what), "get", family, addr, "");
	ret = tc_conn_talk_ctx(c, nlh, nl_on_one_reply, &r, ifindex, what, err);
	if (ret < 0 && r.malformed)
		return errmsg_set(err, EBADMSG,
				  "%s: malformed RTM_NEWNEIGH in the kernel's answer",
				  what);
	if (ret < 0)
		return ret;
	if (!r.found)
		return errmsg_set(err, ENOENT, "%s: no entry", what);
	return 0;
}

/* The early-boot trap. While a network namespace has no IPv4 address, its
 * local routing table does not exist yet and inet_addr_type() classes
 * every address as RTN_BROADCAST, so arp_constructor() builds a new entry
 * as NUD_NOARP with the device's broadcast address. A managed entry is
 * never rebuilt: bpf_redirect_neigh() would send every steered packet to
 * ff:ff:ff:ff:ff:ff for good. An entry the kernel made NOARP was made by us
 * (an existing NOARP one is never touched), so deleting it again loses
 * nothing; once the namespace has an address, the first steered packet
 * creates an ordinary entry. */
bool neigh_is_broadcast_trap(const struct neigh_info *n)
{
	size_t i;

	if (n->state & NUD_NOARP)
		return true;
	if (!n->lladdr_len)
		return false;
	for (i = 0; i < n->lladdr_len; i++)
		if (n->lladdr[i] != 0xff)
			return false;
	return true;
}

static void lladdr_str(char *out, size_t len, const struct neigh_info *n)
{
	size_t i, used = 0;

	snprintf(out, len, "none");
	for (i = 0; i < n->lladdr_len && used + 3 < len; i++)
		used += snprintf(out + used, len - used, "%s%02x", i ? ":" : "",
				 n->lladdr[i]);
}

static int delete_trap_entry(struct tc_conn *c, int ifindex, int family,
			     const void *addr, struct errmsg *err)
{
	char buf[NEIGH_MSG_MAX] __attribute__((aligned(4)));
	char what[80];
	struct nlmsghdr *nlh;

	nlh = put_neigh_request(buf, RTM_DELNEIGH, NLM_F_REQUEST | NLM_F_ACK,
				tc_conn_next_seq(c), ifindex, family, addr);
	describe(what, sizeof(what), "delete", family, addr, " (NOARP)");
	return tc_conn_talk_ctx(c, nlh, NULL, NULL, ifindex, what, err);
}

/* After making addr managed: read back what the kernel built, and if it is
 * the trap above, delete it and say so (NEIGH_MANAGED_BROADCAST). */
static int neigh_undo_broadcast_trap(struct tc_conn *c, int ifindex,
				     int family, const void *addr,
				     struct errmsg *err)
{
	char text[INET6_ADDRSTRLEN], lladdr[3 * NEIGH_LLADDR_MAX];
	struct neigh_info made;
	struct errmsg local;
	int ret;

	if (neigh_get(c, ifindex, family, addr, &made, &local) < 0)
		return 0; /* gone already, or unreadable: nothing stuck to undo */
	if (!neigh_is_broadcast_trap(&made))
		return 0;
	ret = delete_trap_entry(c, ifindex, family, addr, err);
	if (ret < 0 && ret != -ENOENT)
		return ret;
	if (!inet_ntop(family, addr, text, sizeof(text)))
		snprintf(text, sizeof(text), "?");
	lladdr_str(lladdr, sizeof(lladdr), &made);
	errmsg_set(err, 0,
		   "next hop %s not made managed: the kernel made it NOARP with "
		   "lladdr %s (before a network namespace has an IPv4 address, "
		   "every address counts as broadcast); the first steered packet "
		   "resolves it once the network is configured", text, lladdr);
	return NEIGH_MANAGED_BROADCAST;
}

int neigh_make_managed(struct tc_conn *c, int ifindex, int family,
		       const void *addr, struct errmsg *err)
{
	char buf[NEIGH_MSG_MAX] __attribute__((aligned(4)));
	struct neigh_info cur;
	struct errmsg local;
	char what[80];
	struct nlmsghdr *nlh;
	int ret;

	ret = neigh_get(c, ifindex, family, addr, &cur, &local);
	/* Stuck in the trap by an earlier run: start again from nothing. */
	if (ret == 0 && (cur.ext_flags & NTF_EXT_MANAGED) &&
	    neigh_is_broadcast_trap(&cur)) {
		ret = delete_trap_entry(c, ifindex, family, addr, err);
		if (ret < 0 && ret != -ENOENT)
			return ret;
		ret = -ENOENT;
	}
	if (ret == 0) {
		/* Someone pinned this next hop: theirs to keep. */
		if (cur.state & (NUD_PERMANENT | NUD_NOARP))
			return 1;
		if (cur.ext_flags & NTF_EXT_MANAGED)
			return 0;
	} else if (ret != -ENOENT) {
		if (err)
			*err = local;
		return ret;
	}

	nlh = neigh_build_managed(buf, tc_conn_next_seq(c), ifindex, family,
				  addr);
	describe(what, sizeof(what), "make", family, addr, " managed");
	ret = tc_conn_talk_ctx(c, nlh, NULL, NULL, ifindex, what, err);
	return ret ?: neigh_undo_broadcast_trap(c, ifindex, family, addr, err);
}

struct nlmsghdr *neigh_build_unmanage(void *buf, uint32_t seq, int ifindex,
				      int family, const void *addr,
				      uint8_t ndm_flags)
{
	struct nlmsghdr *nlh;

	nlh = put_neigh_request(buf, RTM_NEWNEIGH,
				NLM_F_REQUEST | NLM_F_ACK | NLM_F_REPLACE, seq,
				ifindex, family, addr);
	if (nlh) {
		struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);

		/* STALE: what a resolved entry decays to anyway; used, it
		 * is confirmed again, unused, it is collected. */
		ndm->ndm_state = NUD_STALE;
		ndm->ndm_flags = ndm_flags;
	}
	return nlh;
}

struct nlmsghdr *neigh_build_del(void *buf, uint32_t seq, int ifindex,
				 int family, const void *addr)
{
	return put_neigh_request(buf, RTM_DELNEIGH, NLM_F_REQUEST | NLM_F_ACK,
				 seq, ifindex, family, addr);
}

/* A MAC the kernel learned and may keep: not NOARP (the early-boot entry
 * with the broadcast MAC), not unresolved. */
static bool resolved(const struct neigh_info *n)
{
	return n->lladdr_len &&
	       (n->state & (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE));
}

int neigh_release_managed(struct tc_conn *c, int ifindex, int family,
			  const void *addr, struct errmsg *err)
{
	char buf[NEIGH_MSG_MAX] __attribute__((aligned(4)));
	struct neigh_info cur;
	struct errmsg local;
	struct nlmsghdr *nlh;
	char what[80];
	bool keep;
	int ret;

	ret = neigh_get(c, ifindex, family, addr, &cur, &local);
	if (ret == -ENOENT)
		return NEIGH_RELEASE_NOT_MANAGED;
	if (ret < 0) {
		if (err)
			*err = local;
		return ret;
	}
	if (!(cur.ext_flags & NTF_EXT_MANAGED))
		return NEIGH_RELEASE_NOT_MANAGED;

	keep = resolved(&cur);
	if (keep)
		nlh = neigh_build_unmanage(buf, tc_conn_next_seq(c), ifindex,
					   family, addr, cur.flags &
					   (NTF_ROUTER | NTF_EXT_LEARNED));
	else
		nlh = neigh_build_del(buf, tc_conn_next_seq(c), ifindex,
				      family, addr);
	describe(what, sizeof(what), keep ? "release" : "delete", family, addr,
		 "");
	ret = tc_conn_talk_ctx(c, nlh, NULL, NULL, ifindex, what, &local);
	if (ret == -ENOENT) /* gone in the meantime */
		return NEIGH_RELEASE_NOT_MANAGED;
	if (ret < 0) {
		if (err)
			*err = local;
		return ret;
	}
	return keep ? NEIGH_RELEASE_DYNAMIC : NEIGH_RELEASE_DELETED;
}

const char *neigh_release_str(int release)
{
	switch (release) {
	case NEIGH_RELEASE_DYNAMIC:
		return "made dynamic";
	case NEIGH_RELEASE_DELETED:
		return "deleted";
	}
	return "left alone (not managed)";
}

void neigh_state_str(char *out, size_t len, uint16_t state)
{
	static const struct {
		uint16_t bit;
		const char *name;
	} names[] = {
		{ NUD_INCOMPLETE, "INCOMPLETE" }, { NUD_REACHABLE, "REACHABLE" },
		{ NUD_STALE, "STALE" },           { NUD_DELAY, "DELAY" },
		{ NUD_PROBE, "PROBE" },           { NUD_FAILED, "FAILED" },
		{ NUD_NOARP, "NOARP" },           { NUD_PERMANENT, "PERMANENT" },
	};
	size_t used = 0, i;

	if (!len)
		return;
	out[0] = '\0';
	if (state == NUD_NONE) {
		snprintf(out, len, "NONE");
		return;
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(state & names[i].bit))
			continue;
		used += snprintf(out + used, used < len ? len - used : 0,
				 "%s%s", used ? "|" : "", names[i].name);
		if (used >= len)
			return;
	}
	if (state & 0xff00 && used < len)
		snprintf(out + used, len - used, "%s0x%x", used ? "|" : "",
			 state & 0xff00);
}
