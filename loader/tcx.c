/* SPDX-License-Identifier: MIT */
/* TCX links: probe, list, attach, replace, detach (see tcx.h). */
#include "tcx.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bpf_sys.h"

#define LOOPBACK_IFINDEX 1

/* "e0 egress", or "ifindex 7 egress" without a name. */
struct label {
	char text[48];
};

static struct label hook_label(const struct tcx_hook *h)
{
	struct label l;

	if (h->dev && h->dev[0])
		snprintf(l.text, sizeof(l.text), "%s %s", h->dev,
			 tcx_dir_name(h->dir));
	else
		snprintf(l.text, sizeof(l.text), "ifindex %d %s", h->ifindex,
			 tcx_dir_name(h->dir));
	return l;
}

const char *tcx_dir_name(enum tcx_dir d)
{
	return d == TCX_DIR_INGRESS ? "ingress" : "egress";
}

static uint32_t attach_type(enum tcx_dir d)
{
	return d == TCX_DIR_INGRESS ? BPF_SYS_TCX_INGRESS : BPF_SYS_TCX_EGRESS;
}

int tcx_probe(int ifindex, struct errmsg *err)
{
	struct bpf_sys_prog_query q = {
		.target = ifindex > 0 ? (uint32_t)ifindex : LOOPBACK_IFINDEX,
		.attach_type = BPF_SYS_TCX_EGRESS,
	};
	int ret = bpf_sys_prog_query(&q, NULL);

	/* ENOENT: no programs there; ENODEV: no such device. Both come
	 * from tcx_prog_query, so the kernel knows the attach type. */
	if (ret == 0 || ret == -ENOENT || ret == -ENODEV)
		return 0;
	if (ret == -EINVAL)
		return errmsg_set(err, EOPNOTSUPP, "%s", TCX_NO_KERNEL_TEXT);
	return errmsg_set(err, ret, "cannot probe for tcx: bpf(BPF_PROG_QUERY): %s",
			  strerror(-ret));
}

static void prog_identity(struct tcx_prog *p)
{
	struct bpf_prog_info info;
	int fd = bpf_sys_prog_get_fd_by_id(p->prog_id, NULL);

	p->name[0] = '\0';
	p->has_tag = false;
	if (fd < 0)
		return; /* gone since the query, or not ours to open */
	if (bpf_sys_prog_get_info(fd, &info, NULL) == 0) {
		snprintf(p->name, sizeof(p->name), "%.*s",
			 (int)sizeof(info.name), info.name);
		memcpy(p->tag, info.tag, sizeof(p->tag));
		p->has_tag = true;
	}
	close(fd);
}

int tcx_list(const struct tcx_hook *h, struct tcx_list *out,
	     struct errmsg *err)
{
	uint32_t prog_ids[TCX_PROGS_MAX], link_ids[TCX_PROGS_MAX];
	struct bpf_sys_prog_query q = {
		.target = (uint32_t)h->ifindex,
		.attach_type = attach_type(h->dir),
		.prog_ids = prog_ids,
		.link_ids = link_ids,
		.count = TCX_PROGS_MAX,
	};
	struct label l = hook_label(h);
	uint32_t i;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = bpf_sys_prog_query(&q, NULL);
	if (ret == -ENOENT) {
		/* No programs (6.6-era kernels; 6.18 answers 0, count 0 and
		 * revision 1). A first attach creates the hook's state at
		 * revision 1, so that is what it may expect. */
		out->revision = 1;
		return 0;
	}
	if (ret == -EINVAL)
		return errmsg_set(err, EOPNOTSUPP,
				  "cannot list the tcx programs of %s: %s",
				  l.text, TCX_NO_KERNEL_TEXT);
	if (ret == -ENODEV)
		return errmsg_set(err, ENODEV,
				  "cannot list the tcx programs of %s: no network device with ifindex %d",
				  l.text, h->ifindex);
	if (ret < 0 && ret != -ENOSPC)
		return errmsg_set(err, ret,
				  "cannot list the tcx programs of %s: bpf(BPF_PROG_QUERY): %s",
				  l.text, strerror(-ret));
	out->revision = q.revision;
	out->count = q.count < TCX_PROGS_MAX ? q.count : TCX_PROGS_MAX;
	for (i = 0; i < out->count; i++) {
		out->progs[i].prog_id = prog_ids[i];
		out->progs[i].link_id = link_ids[i];
		prog_identity(&out->progs[i]);
	}
	return 0;
}

int tcx_list_index(const struct tcx_list *l, uint32_t prog_id)
{
	uint32_t i;

	for (i = 0; i < l->count; i++)
		if (l->progs[i].prog_id == prog_id)
			return (int)i;
	return -1;
}

void tcx_list_describe(const struct tcx_list *l, uint32_t from, uint32_t to,
		       char *buf, size_t len)
{
	size_t used = 0;
	uint32_t i;
	int n;

	if (!len)
		return;
	buf[0] = '\0';
	if (to > l->count)
		to = l->count;
	for (i = from; i < to && used < len; i++) {
		const struct tcx_prog *p = &l->progs[i];

		n = snprintf(buf + used, len - used, "%s%" PRIu32 " (%s)",
			     i > from ? ", " : "", p->prog_id,
			     p->name[0] ? p->name : "name unknown");
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/* The cause of a failed BPF_LINK_CREATE, in words. */
static const char *attach_cause(const struct tcx_hook *h,
				const struct tcx_order *o, int ret,
				char *buf, size_t len)
{
	struct label l = hook_label(h);
	bool relative = o->where == TCX_BEFORE || o->where == TCX_AFTER;

	switch (-ret) {
	case EINVAL:
		if (tcx_probe(h->ifindex, NULL) == -EOPNOTSUPP)
			return TCX_NO_KERNEL_TEXT;
		return "the kernel refused the program (bpf(BPF_LINK_CREATE): "
		       "Invalid argument; is it a sched_cls program?)";
	case ENOENT:
		if (!relative)
			break;
		snprintf(buf, len, "no program with id %" PRIu32 " on %s",
			 o->rel_prog_id, l.text);
		return buf;
	case EEXIST:
		snprintf(buf, len, "the program is attached to %s already",
			 l.text);
		return buf;
	case ESTALE:
		snprintf(buf, len,
			 "%s changed since it was listed (revision %" PRIu64
			 " expected); list it again and retry",
			 l.text, o->expected_revision);
		return buf;
	case ERANGE:
		snprintf(buf, len, "%s holds as many programs as it can (63)",
			 l.text);
		return buf;
	case ENODEV:
		snprintf(buf, len, "no network device with ifindex %d", h->ifindex);
		return buf;
	}
	snprintf(buf, len, "bpf(BPF_LINK_CREATE): %s", strerror(-ret));
	return buf;
}

static const struct tcx_order default_order = { .where = TCX_LAST };

/* The BPF_LINK_CREATE attributes for an attach at o (NULL: last). */
static void attach_attr(const struct tcx_hook *h, int prog_fd,
			const struct tcx_order *o, struct bpf_sys_link_create *a)
{
	memset(a, 0, sizeof(*a));
	a->prog_fd = prog_fd;
	a->target_ifindex = (uint32_t)h->ifindex;
	a->attach_type = attach_type(h->dir);
	switch (o->where) {
	case TCX_LAST:
		a->flags = BPF_SYS_F_AFTER;
		break;
	case TCX_FIRST:
		a->flags = BPF_SYS_F_BEFORE;
		break;
	case TCX_BEFORE:
		a->flags = BPF_SYS_F_BEFORE | BPF_SYS_F_ID;
		a->relative = o->rel_prog_id;
		break;
	case TCX_AFTER:
		a->flags = BPF_SYS_F_AFTER | BPF_SYS_F_ID;
		a->relative = o->rel_prog_id;
		break;
	}
	a->expected_revision = o->expected_revision;
}

int tcx_attach(const struct tcx_hook *h, int prog_fd,
	       const struct tcx_order *o, struct errmsg *err)
{
	struct bpf_sys_link_create a;
	struct label l = hook_label(h);
	char cause[160];
	int fd;

	if (!o)
		o = &default_order;
	attach_attr(h, prog_fd, o, &a);
	fd = bpf_sys_link_create(&a, NULL);
	if (fd >= 0)
		return fd;
	return errmsg_set(err, fd, "cannot attach to %s with tcx: %s", l.text,
			  attach_cause(h, o, fd, cause, sizeof(cause)));
}

void tcx_attach_describe(const struct tcx_hook *h, int prog_fd,
			 const struct tcx_order *o, char *buf, size_t len)
{
	struct bpf_sys_link_create a;
	bool by_id;

	if (!o)
		o = &default_order;
	attach_attr(h, prog_fd, o, &a);
	by_id = a.flags & BPF_SYS_F_ID;
	snprintf(buf, len,
		 "bpf(BPF_LINK_CREATE) prog_fd %d target_ifindex %" PRIu32
		 " attach_type %" PRIu32 " (%s) flags 0x%" PRIx32 " (%s%s) %s %"
		 PRIu32 " expected_revision %" PRIu64,
		 a.prog_fd, a.target_ifindex, a.attach_type,
		 h->dir == TCX_DIR_INGRESS ? "BPF_TCX_INGRESS" : "BPF_TCX_EGRESS",
		 a.flags, a.flags & BPF_SYS_F_BEFORE ? "BPF_F_BEFORE" : "BPF_F_AFTER",
		 by_id ? "|BPF_F_ID" : "", by_id ? "relative_id" : "relative_fd",
		 a.relative, a.expected_revision);
}

int tcx_replace(const struct tcx_hook *h, int link_fd, int new_prog_fd,
		int old_prog_fd, struct errmsg *err)
{
	struct label l = hook_label(h);
	const char *cause;
	char buf[96];
	int ret = bpf_sys_link_update(link_fd, new_prog_fd, old_prog_fd, NULL);

	if (ret == 0)
		return 0;
	switch (-ret) {
	case ENOLINK:
		cause = "the link is defunct (its device is gone, or it was detached)";
		break;
	case EPERM:
		cause = old_prog_fd >= 0
			? "the link no longer runs the program it was expected to"
			: "bpf(BPF_LINK_UPDATE): Operation not permitted";
		break;
	case EEXIST:
		snprintf(buf, sizeof(buf), "the new program is attached to %s already",
			 l.text);
		cause = buf;
		break;
	default:
		snprintf(buf, sizeof(buf), "bpf(BPF_LINK_UPDATE): %s",
			 strerror(-ret));
		cause = buf;
	}
	return errmsg_set(err, ret,
			  "cannot replace the program of the tcx link on %s: %s",
			  l.text, cause);
}

int tcx_detach(const struct tcx_hook *h, int link_fd, struct errmsg *err)
{
	struct label l = hook_label(h);
	int ret = bpf_sys_link_detach(link_fd, NULL);

	if (ret == 0)
		return 0;
	return errmsg_set(err, ret,
			  "cannot detach the tcx link from %s: bpf(BPF_LINK_DETACH): %s",
			  l.text, strerror(-ret));
}

int tcx_link_state(int link_fd, struct tcx_link_state *st,
		   struct errmsg *err)
{
	struct bpf_sys_link_info info;
	int ret = bpf_sys_link_get_info(link_fd, &info, err);

	memset(st, 0, sizeof(*st));
	if (ret < 0) {
		errmsg_prefix(err, "cannot read the tcx link");
		return ret;
	}
	if (info.type != BPF_SYS_LINK_TYPE_TCX)
		return errmsg_set(err, EINVAL,
				  "cannot read the tcx link: fd %d is not a tcx link (link type %" PRIu32 ")",
				  link_fd, info.type);
	st->link_id = info.id;
	st->prog_id = info.prog_id;
	st->ifindex = (int)info.ifindex;
	st->dir = info.attach_type == BPF_SYS_TCX_INGRESS ? TCX_DIR_INGRESS
							   : TCX_DIR_EGRESS;
	return 0;
}

int tcx_link_on_hook(const struct tcx_hook *h, uint32_t link_id,
		     struct errmsg *err)
{
	struct tcx_list l;
	uint32_t i;
	int ret = tcx_list(h, &l, err);

	if (ret == -ENODEV || ret == -EOPNOTSUPP) {
		errmsg_clear(err);
		return 0;
	}
	if (ret < 0)
		return ret;
	for (i = 0; i < l.count; i++)
		if (link_id && l.progs[i].link_id == link_id)
			return 1;
	return 0;
}
