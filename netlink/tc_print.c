/* SPDX-License-Identifier: MIT */
/* Human-readable dump of a request for --dry-run and -v: the raw bytes on
 * one hex line (feed it to `xxd -r -p`), then one line per field and
 * attribute, each with its byte offset, in the style of the golden
 * README's table. */
#include "tc_internal.h"
#include "neigh.h"

#include <ctype.h>
#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

struct printer {
	FILE *f;
	const unsigned char *base;      /* the message, for offsets */
	int depth;
	char kind[16];                  /* TCA_KIND seen so far */
	int family;                     /* ndm_family for NDA_DST */
};

static const char *const rtm_names[] = {
	[RTM_NEWQDISC - RTM_BASE] = "RTM_NEWQDISC",
	[RTM_DELQDISC - RTM_BASE] = "RTM_DELQDISC",
	[RTM_GETQDISC - RTM_BASE] = "RTM_GETQDISC",
	[RTM_NEWTFILTER - RTM_BASE] = "RTM_NEWTFILTER",
	[RTM_DELTFILTER - RTM_BASE] = "RTM_DELTFILTER",
	[RTM_GETTFILTER - RTM_BASE] = "RTM_GETTFILTER",
	[RTM_NEWNEIGH - RTM_BASE] = "RTM_NEWNEIGH",
	[RTM_DELNEIGH - RTM_BASE] = "RTM_DELNEIGH",
	[RTM_GETNEIGH - RTM_BASE] = "RTM_GETNEIGH",
};

static const char *type_name(uint16_t type)
{
	size_t i = type - RTM_BASE;

	switch (type) {
	case NLMSG_NOOP:
		return "NLMSG_NOOP";
	case NLMSG_ERROR:
		return "NLMSG_ERROR";
	case NLMSG_DONE:
		return "NLMSG_DONE";
	}
	if (type >= RTM_BASE && i < sizeof(rtm_names) / sizeof(rtm_names[0]) &&
	    rtm_names[i])
		return rtm_names[i];
	return "?";
}

static bool is_tc_type(uint16_t type)
{
	return type >= RTM_NEWQDISC && type <= RTM_GETTFILTER;
}

static bool is_neigh_type(uint16_t type)
{
	return type >= RTM_NEWNEIGH && type <= RTM_GETNEIGH;
}

/* The meaning of flag bits 8..11 depends on the kind of request. */
static void print_flags(FILE *f, uint16_t type, uint16_t flags)
{
	static const char *const common[] = {
		"REQUEST", "MULTI", "ACK", "ECHO", "DUMP_INTR", "DUMP_FILTERED",
	};
	static const char *const new_bits[] = {
		"REPLACE", "EXCL", "CREATE", "APPEND" };
	static const char *const get_bits[] = { "ROOT", "MATCH", "ATOMIC" };
	static const char *const del_bits[] = { "NONREC", "BULK" };
	static const char *const err_bits[] = { "CAPPED", "ACK_TLVS" };
	const char *const *high = NULL;
	size_t nhigh = 0, i;
	const char *sep = " ";

	if (type == NLMSG_ERROR) {
		high = err_bits;
		nhigh = 2;
	} else if (type >= RTM_BASE && (type & 3) == 0) {
		high = new_bits;
		nhigh = 4;
	} else if (type >= RTM_BASE && (type & 3) == 1) {
		high = del_bits;
		nhigh = 2;
	} else if (type >= RTM_BASE && (type & 3) == 2) {
		high = get_bits;
		nhigh = 3;
	}
	fprintf(f, "0x%04x", flags);
	for (i = 0; i < 6; i++) {
		if (flags & (1u << i)) {
			fprintf(f, "%s%s", sep, common[i]);
			sep = "|";
			flags &= ~(1u << i);
		}
	}
	for (i = 0; i < nhigh; i++) {
		if (flags & (0x100u << i)) {
			fprintf(f, "%s%s", sep, high[i]);
			sep = "|";
			flags &= ~(0x100u << i);
		}
	}
	if (flags)
		fprintf(f, "%s0x%x", sep, flags);
}

static void print_handle(FILE *f, uint32_t h)
{
	fprintf(f, "%x:%x", TC_H_MAJ(h) >> 16, TC_H_MIN(h));
	switch (h) {
	case TC_H_CLSACT:
		fprintf(f, " (clsact)");
		break;
	case TC_H_ROOT:
		fprintf(f, " (root)");
		break;
	case 0xfffffff2u:
		fprintf(f, " (clsact ingress)");
		break;
	case 0xfffffff3u:
		fprintf(f, " (clsact egress)");
		break;
	}
}

static void print_string(FILE *f, const char *s, size_t n)
{
	size_t i;

	fputc('\'', f);
	for (i = 0; i < n && s[i]; i++) {
		unsigned char ch = s[i];

		if (isprint(ch) && ch != '\'' && ch != '\\')
			fputc(ch, f);
		else
			fprintf(f, "\\x%02x", ch);
	}
	fputc('\'', f);
	if (i == n)
		fprintf(f, " (no NUL)");
}

static void print_hex(FILE *f, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(f, "%02x", b[i]);
}

/* "<off> <indent>" prefix of every decoded line. */
static void line_start(struct printer *pr, const void *at)
{
	fprintf(pr->f, "%4zu %*s", (size_t)((const unsigned char *)at - pr->base),
		2 * pr->depth, "");
}

static const char *tca_name(uint16_t t)
{
	static const char *const names[] = {
		[TCA_KIND] = "TCA_KIND",       [TCA_OPTIONS] = "TCA_OPTIONS",
		[TCA_STATS] = "TCA_STATS",     [TCA_XSTATS] = "TCA_XSTATS",
		[TCA_RATE] = "TCA_RATE",       [TCA_FCNT] = "TCA_FCNT",
		[TCA_STATS2] = "TCA_STATS2",   [TCA_STAB] = "TCA_STAB",
		[TCA_PAD] = "TCA_PAD",         [TCA_CHAIN] = "TCA_CHAIN",
	};

	return t < sizeof(names) / sizeof(names[0]) && names[t] ? names[t] : NULL;
}

static const char *bpf_name(uint16_t t)
{
	static const char *const names[] = {
		[TCA_BPF_ACT] = "TCA_BPF_ACT",
		[TCA_BPF_POLICE] = "TCA_BPF_POLICE",
		[TCA_BPF_CLASSID] = "TCA_BPF_CLASSID",
		[TCA_BPF_OPS_LEN] = "TCA_BPF_OPS_LEN",
		[TCA_BPF_OPS] = "TCA_BPF_OPS",
		[TCA_BPF_FD] = "TCA_BPF_FD",
		[TCA_BPF_NAME] = "TCA_BPF_NAME",
		[TCA_BPF_FLAGS] = "TCA_BPF_FLAGS",
		[TCA_BPF_FLAGS_GEN] = "TCA_BPF_FLAGS_GEN",
		[TCA_BPF_TAG] = "TCA_BPF_TAG",
		[TCA_BPF_ID] = "TCA_BPF_ID",
	};

	return t < sizeof(names) / sizeof(names[0]) && names[t] ? names[t] : NULL;
}

static const char *nda_name(uint16_t t)
{
	static const char *const names[] = {
		[NDA_DST] = "NDA_DST",             [NDA_LLADDR] = "NDA_LLADDR",
		[NDA_CACHEINFO] = "NDA_CACHEINFO", [NDA_PROBES] = "NDA_PROBES",
		[NDA_PROTOCOL] = "NDA_PROTOCOL",   [NDA_FLAGS_EXT] = "NDA_FLAGS_EXT",
	};

	return t < sizeof(names) / sizeof(names[0]) && names[t] ? names[t] : NULL;
}

/* Unknown or odd-sized attributes: name (or number) and raw payload. */
static void print_raw_attr(struct printer *pr, const char *name,
			   const struct nlattr *a)
{
	if (name)
		fprintf(pr->f, "%s", name);
	else
		fprintf(pr->f, "attr %u", mnl_attr_get_type(a));
	fprintf(pr->f, " len %u ", a->nla_len);
	print_hex(pr->f, mnl_attr_get_payload(a), mnl_attr_get_payload_len(a));
}

static bool u32_sized(const struct nlattr *a)
{
	return mnl_attr_get_payload_len(a) == sizeof(uint32_t);
}

static void print_bpf_attr(struct printer *pr, const struct nlattr *a)
{
	uint16_t t = mnl_attr_get_type(a);
	const char *name = bpf_name(t);
	uint32_t v;

	switch (t) {
	case TCA_BPF_NAME:
		fprintf(pr->f, "%s ", name);
		print_string(pr->f, mnl_attr_get_payload(a),
			     mnl_attr_get_payload_len(a));
		return;
	case TCA_BPF_FD:
	case TCA_BPF_ID:
	case TCA_BPF_CLASSID:
		if (!u32_sized(a))
			break;
		fprintf(pr->f, "%s %u", name, mnl_attr_get_u32(a));
		return;
	case TCA_BPF_FLAGS:
		if (!u32_sized(a))
			break;
		v = mnl_attr_get_u32(a);
		fprintf(pr->f, "%s 0x%x%s", name, v,
			v & TCA_BPF_FLAG_ACT_DIRECT ? " direct-action" : "");
		return;
	case TCA_BPF_FLAGS_GEN:
		if (!u32_sized(a))
			break;
		fprintf(pr->f, "%s 0x%x", name, mnl_attr_get_u32(a));
		return;
	case TCA_BPF_TAG:
		if (mnl_attr_get_payload_len(a) != 8)
			break;
		fprintf(pr->f, "%s ", name);
		print_hex(pr->f, mnl_attr_get_payload(a), 8);
		return;
	}
	print_raw_attr(pr, name, a);
}

static int print_attr(const struct nlattr *a, void *data);

static void print_nested(struct printer *pr, const struct nlattr *a)
{
	pr->depth++;
	if (nl_parse_attrs(mnl_attr_get_payload(a), mnl_attr_get_payload_len(a),
			   print_attr, pr) != MNL_CB_OK) {
		line_start(pr, mnl_attr_get_payload(a));
		fprintf(pr->f, "(malformed attributes)\n");
	}
	pr->depth--;
}

/* Returns true if a's payload is a nest to print below it. */
static bool print_tca_attr(struct printer *pr, const struct nlattr *a)
{
	uint16_t t = mnl_attr_get_type(a);
	const char *name = tca_name(t);

	switch (t) {
	case TCA_KIND:
		fprintf(pr->f, "%s ", name);
		print_string(pr->f, mnl_attr_get_payload(a),
			     mnl_attr_get_payload_len(a));
		nl_copy_string(pr->kind, sizeof(pr->kind), a);
		return false;
	case TCA_CHAIN:
		if (!u32_sized(a))
			break;
		fprintf(pr->f, "%s %u", name, mnl_attr_get_u32(a));
		return false;
	case TCA_OPTIONS:
		if (strcmp(pr->kind, "bpf") != 0)
			break;
		fprintf(pr->f, "%s len %u%s", name, a->nla_len,
			a->nla_type & NLA_F_NESTED ? " NLA_F_NESTED" : "");
		return true;
	}
	print_raw_attr(pr, name, a);
	return false;
}

static void print_nda_attr(struct printer *pr, const struct nlattr *a)
{
	uint16_t t = mnl_attr_get_type(a);
	const char *name = nda_name(t);
	char text[INET6_ADDRSTRLEN];
	uint32_t v;

	switch (t) {
	case NDA_DST:
		if (mnl_attr_get_payload_len(a) !=
		    (pr->family == AF_INET6 ? 16u : 4u) ||
		    !inet_ntop(pr->family, mnl_attr_get_payload(a), text,
			       sizeof(text)))
			break;
		fprintf(pr->f, "%s %s", name, text);
		return;
	case NDA_FLAGS_EXT:
		if (!u32_sized(a))
			break;
		v = mnl_attr_get_u32(a);
		fprintf(pr->f, "%s 0x%x%s", name, v,
			v & NTF_EXT_MANAGED ? " managed" : "");
		return;
	case NDA_PROBES:
		if (!u32_sized(a))
			break;
		fprintf(pr->f, "%s %u", name, mnl_attr_get_u32(a));
		return;
	}
	print_raw_attr(pr, name, a);
}

/* Attribute callback; the depth and the message type pick the decoder. */
static int print_attr(const struct nlattr *a, void *data)
{
	struct printer *pr = data;
	const struct nlmsghdr *nlh = (const void *)pr->base;
	bool nest = false;

	line_start(pr, a);
	if (is_neigh_type(nlh->nlmsg_type))
		print_nda_attr(pr, a);
	else if (pr->depth == 0)
		nest = print_tca_attr(pr, a);
	else
		print_bpf_attr(pr, a);
	fputc('\n', pr->f);
	if (nest)
		print_nested(pr, a);
	return MNL_CB_OK;
}

static void print_tcmsg(struct printer *pr, const struct tcmsg *t)
{
	FILE *f = pr->f;

	line_start(pr, &t->tcm_family);
	fprintf(f, "tcmsg.tcm_family %u%s\n", t->tcm_family,
		t->tcm_family == AF_UNSPEC ? " AF_UNSPEC" : "");
	line_start(pr, &t->tcm_ifindex);
	fprintf(f, "tcmsg.tcm_ifindex %d\n", t->tcm_ifindex);
	line_start(pr, &t->tcm_handle);
	fprintf(f, "tcmsg.tcm_handle ");
	print_handle(f, t->tcm_handle);
	fputc('\n', f);
	line_start(pr, &t->tcm_parent);
	fprintf(f, "tcmsg.tcm_parent ");
	print_handle(f, t->tcm_parent);
	fputc('\n', f);
	line_start(pr, &t->tcm_info);
	fprintf(f, "tcmsg.tcm_info 0x%08x prio %u protocol 0x%04x\n",
		t->tcm_info, TC_H_MAJ(t->tcm_info) >> 16,
		ntohs(TC_H_MIN(t->tcm_info)));
}

static void print_ndmsg(struct printer *pr, const struct ndmsg *n)
{
	FILE *f = pr->f;
	char state[64];

	pr->family = n->ndm_family;
	line_start(pr, &n->ndm_family);
	fprintf(f, "ndmsg.ndm_family %u%s\n", n->ndm_family,
		n->ndm_family == AF_INET ? " AF_INET" :
		n->ndm_family == AF_INET6 ? " AF_INET6" : "");
	line_start(pr, &n->ndm_ifindex);
	fprintf(f, "ndmsg.ndm_ifindex %d\n", n->ndm_ifindex);
	line_start(pr, &n->ndm_state);
	neigh_state_str(state, sizeof(state), n->ndm_state);
	fprintf(f, "ndmsg.ndm_state 0x%02x %s\n", n->ndm_state, state);
	line_start(pr, &n->ndm_flags);
	fprintf(f, "ndmsg.ndm_flags 0x%02x\n", n->ndm_flags);
	line_start(pr, &n->ndm_type);
	fprintf(f, "ndmsg.ndm_type %u\n", n->ndm_type);
}

static void print_header(struct printer *pr, const struct nlmsghdr *nlh)
{
	FILE *f = pr->f;

	line_start(pr, &nlh->nlmsg_len);
	fprintf(f, "nlmsghdr.nlmsg_len %u\n", nlh->nlmsg_len);
	line_start(pr, &nlh->nlmsg_type);
	fprintf(f, "nlmsghdr.nlmsg_type %u %s\n", nlh->nlmsg_type,
		type_name(nlh->nlmsg_type));
	line_start(pr, &nlh->nlmsg_flags);
	fprintf(f, "nlmsghdr.nlmsg_flags ");
	print_flags(f, nlh->nlmsg_type, nlh->nlmsg_flags);
	fputc('\n', f);
	line_start(pr, &nlh->nlmsg_seq);
	fprintf(f, "nlmsghdr.nlmsg_seq %u\n", nlh->nlmsg_seq);
	line_start(pr, &nlh->nlmsg_pid);
	fprintf(f, "nlmsghdr.nlmsg_pid %u\n", nlh->nlmsg_pid);
}

void tc_print_message(FILE *f, const struct nlmsghdr *nlh)
{
	struct printer pr = { .f = f, .base = (const void *)nlh };
	size_t len = nlh->nlmsg_len, plen, fixed;
	const void *payload;

	if (len < sizeof(*nlh)) /* show at least the header we were given */
		len = sizeof(*nlh);
	print_hex(f, nlh, len);
	fputc('\n', f);
	print_header(&pr, nlh);
	if (nlh->nlmsg_len < sizeof(*nlh))
		return;

	payload = mnl_nlmsg_get_payload(nlh);
	plen = mnl_nlmsg_get_payload_len(nlh);
	if (is_tc_type(nlh->nlmsg_type) && plen >= sizeof(struct tcmsg)) {
		print_tcmsg(&pr, payload);
		fixed = sizeof(struct tcmsg);
	} else if (is_neigh_type(nlh->nlmsg_type) &&
		   plen >= sizeof(struct ndmsg)) {
		print_ndmsg(&pr, payload);
		fixed = sizeof(struct ndmsg);
	} else {
		return;
	}
	fixed = MNL_ALIGN(fixed);
	if (plen > fixed &&
	    nl_parse_attrs((const char *)payload + fixed, plen - fixed,
			   print_attr, &pr) != MNL_CB_OK)
		fprintf(f, "     (malformed attributes)\n");
}
