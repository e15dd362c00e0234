/* SPDX-License-Identifier: MIT */
/* Listing and deleting TC filters: the RTM_GETTFILTER dump, its parser
 * (pure and defensive: another engineer fuzzes it), RTM_DELTFILTER. */
#include "tc_internal.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

/* What the top level of a filter message carries for us. */
struct filter_attrs {
	struct tc_filter_info *out;
	const struct nlattr *options;
};

static int on_bpf_option(const struct nlattr *attr, void *data)
{
	struct tc_filter_info *out = data;

	switch (mnl_attr_get_type(attr)) {
	case TCA_BPF_NAME:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
			goto bad;
		nl_copy_string(out->name, sizeof(out->name), attr);
		break;
	case TCA_BPF_ID:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			goto bad;
		out->prog_id = mnl_attr_get_u32(attr);
		break;
	case TCA_BPF_TAG:
		if (mnl_attr_validate2(attr, MNL_TYPE_BINARY,
				       sizeof(out->tag)) < 0)
			goto bad;
		memcpy(out->tag, mnl_attr_get_payload(attr), sizeof(out->tag));
		out->has_tag = true;
		break;
	case TCA_BPF_FLAGS:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			goto bad;
		out->direct_action =
			mnl_attr_get_u32(attr) & TCA_BPF_FLAG_ACT_DIRECT;
		break;
	}
	return MNL_CB_OK;
bad:
	errno = EBADMSG;
	return MNL_CB_ERROR;
}

static int on_filter_attr(const struct nlattr *attr, void *data)
{
	struct filter_attrs *fa = data;

	switch (mnl_attr_get_type(attr)) {
	case TCA_KIND:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
			goto bad;
		nl_copy_string(fa->out->kind, sizeof(fa->out->kind), attr);
		break;
	case TCA_OPTIONS:
		if (mnl_attr_validate(attr, MNL_TYPE_NESTED) < 0)
			goto bad;
		fa->options = attr;
		break;
	}
	return MNL_CB_OK;
bad:
	errno = EBADMSG;
	return MNL_CB_ERROR;
}

int tc_parse_filter_msg(const struct nlmsghdr *nlh, size_t len,
			struct tc_filter_info *out)
{
	struct filter_attrs fa = { .out = out };
	const struct tcmsg *tcm;
	int ret;

	memset(out, 0, sizeof(*out));
	tcm = nl_msg_header(nlh, len, RTM_NEWTFILTER, sizeof(*tcm), &ret);
	if (!tcm)
		return ret;
	out->parent = tcm->tcm_parent;
	out->handle = tcm->tcm_handle;
	out->prio = TC_H_MAJ(tcm->tcm_info) >> 16;
	out->protocol = ntohs(TC_H_MIN(tcm->tcm_info));

	/* Kernels put TCA_KIND first, but nothing requires it: look at the
	 * options only once the whole top level is known. */
	if (nl_parse_msg_attrs(nlh, sizeof(*tcm), on_filter_attr, &fa) < 0)
		return -EBADMSG;
	if (fa.options && strcmp(out->kind, "bpf") == 0 &&
	    nl_parse_attrs(mnl_attr_get_payload(fa.options),
			   mnl_attr_get_payload_len(fa.options),
			   on_bpf_option, out) != MNL_CB_OK)
		return -EBADMSG;
	return 0;
}

struct filter_list {
	struct tc_filter_info *v;
	size_t n, cap;
	bool malformed;
};

static int on_filter_msg(const struct nlmsghdr *nlh, void *data)
{
	struct filter_list *l = data;
	struct tc_filter_info info, *grown;
	int ret;

	ret = tc_parse_filter_msg(nlh, nlh->nlmsg_len, &info);
	if (ret == -ENOMSG)
		return MNL_CB_OK;
	if (ret < 0) {
		l->malformed = true;
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	/* Each priority's filter chain is announced by a message of its
	 * own with handle 0 (tc prints it as a line without "handle"). */
	if (info.handle == 0)
		return MNL_CB_OK;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 4;
		grown = reallocarray(l->v, l->cap, sizeof(*l->v));
		if (!grown) {
			errno = ENOMEM;
			return MNL_CB_ERROR;
		}
		l->v = grown;
	}
	l->v[l->n++] = info;
	return MNL_CB_OK;
}

/* The filter dump of a missing device is just empty: ask whether the
 * device is there to tell "no filters" from "no device" (ENODEV). */
static int check_ifindex(struct tc_conn *c, int ifindex, const char *what,
			 struct errmsg *err)
{
	char name[IF_NAMESIZE];
	int ret = tc_conn_ifname(c, ifindex, name);

	if (ret == -ENODEV)
		return errmsg_set(err, ENODEV, "%s: no network device with ifindex %d",
				  what, ifindex);
	if (ret < 0)
		return errmsg_set(err, -ret, "%s: device %d: %s", what, ifindex,
				  strerror(-ret));
	return 0;
}

int tc_filter_list(struct tc_conn *c, int ifindex, uint32_t parent,
		   struct tc_filter_info **out, size_t *n, struct errmsg *err)
{
	char buf[TC_MSG_MAX] __attribute__((aligned(4)));
	struct filter_list l = { 0 };
	struct nlmsghdr *nlh;
	int ret;

	*out = NULL;
	*n = 0;
	nlh = tc_build_filter_dump(buf, tc_conn_next_seq(c), ifindex, parent);
	ret = tc_conn_talk_ctx(c, nlh, on_filter_msg, &l, ifindex,
			       "list filters", err);
	if (ret == -EINVAL && !l.n) {
		/* What some kernels answer when there is no clsact qdisc. */
		errmsg_clear(err);
		ret = 0;
	}
	if (ret < 0 && l.malformed)
		ret = errmsg_set(err, EBADMSG,
				 "list filters: malformed RTM_NEWTFILTER in the kernel's answer");
	if (ret == 0 && !l.n)
		ret = check_ifindex(c, ifindex, "list filters", err);
	if (ret < 0) {
		free(l.v);
		return ret;
	}
	*out = l.v;
	*n = l.n;
	return 0;
}

int tc_filter_del(struct tc_conn *c, int ifindex,
		  const struct tc_filter_info *f, struct errmsg *err)
{
	char buf[TC_MSG_MAX] __attribute__((aligned(4)));
	char what[64];
	struct nlmsghdr *nlh;

	nlh = tc_build_filter_del(buf, tc_conn_next_seq(c), ifindex,
				  f->parent, f->prio, f->handle, f->protocol);
	snprintf(what, sizeof(what), "delete filter pref %u handle 0x%x",
		 f->prio, f->handle);
	return tc_conn_talk_ctx(c, nlh, NULL, NULL, ifindex, what, err);
}
