/* SPDX-License-Identifier: MIT */
/* The NETLINK_ROUTE socket: send one request, read its answer up to the
 * ACK, error or NLMSG_DONE, and turn a kernel error into one line that
 * carries the extended-ACK text. */
#include "tc_internal.h"

#include <errno.h>
#include <limits.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

/* Large enough for any dump batch: the kernel sizes dump skbs after the
 * reader's buffer, up to 32 KiB. (Overridable to test MSG_TRUNC.) */
#ifndef TC_RECV_BUF_SIZE
#define TC_RECV_BUF_SIZE 32768
#endif

struct tc_conn {
	struct mnl_socket *nl;
	uint32_t seq;
	unsigned long changes;  /* requests sent that may change something */
	/* An answer was abandoned midway (local error): its remaining
	 * messages are still queued and must not be taken for the next
	 * request's answer. */
	bool unread;
	size_t buflen;
	void *buf;
};

/* State of one request while its answer is read. */
struct talk {
	tc_reply_cb cb;
	void *data;
	bool cb_stopped;
	int kernel_errno;       /* positive, 0 if the kernel did not fail */
	char ext_msg[256];      /* NLMSGERR_ATTR_MSG, "" if none */
};

static void enable_option(struct mnl_socket *nl, int opt)
{
	int one = 1;

	/* Old kernels lack these; the errors are then just less precise. */
	(void)mnl_socket_setsockopt(nl, opt, &one, sizeof(one));
}

int tc_conn_open(struct tc_conn **out, struct errmsg *err)
{
	struct tc_conn *c;
	int e;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (c)
		c->buf = malloc(TC_RECV_BUF_SIZE);
	if (!c || !c->buf) {
		free(c);
		return errmsg_set(err, ENOMEM, "netlink: out of memory");
	}
	c->buflen = TC_RECV_BUF_SIZE;

	c->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!c->nl) {
		e = errno;
		tc_conn_close(c);
		return errmsg_set(err, e, "netlink socket: %s", strerror(e));
	}
	enable_option(c->nl, NETLINK_EXT_ACK);
	enable_option(c->nl, NETLINK_CAP_ACK);
	/* No bind(): the kernel binds the socket to a port id of its own at
	 * the first send, and answers reach no other socket, so there is no
	 * port id to check them against (libmnl skips the check for 0). */
	*out = c;
	return 0;
}

/* Device ioctls work on any socket: the netlink one spares a socket of
 * their own (if_nametoindex() opens and closes one per call). */
int tc_conn_ifindex(struct tc_conn *c, const char *name)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	if (strlen(name) >= sizeof(ifr.ifr_name))
		return -ENODEV;
	strcpy(ifr.ifr_name, name);
	if (ioctl(mnl_socket_get_fd(c->nl), SIOCGIFINDEX, &ifr))
		return -errno;
	return ifr.ifr_ifindex;
}

int tc_conn_ifname(struct tc_conn *c, int ifindex, char *name)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_ifindex = ifindex;
	if (ioctl(mnl_socket_get_fd(c->nl), SIOCGIFNAME, &ifr))
		return -errno;
	memcpy(name, ifr.ifr_name, IF_NAMESIZE);
	name[IF_NAMESIZE - 1] = '\0';
	return 0;
}

void tc_conn_close(struct tc_conn *c)
{
	if (!c)
		return;
	if (c->nl)
		mnl_socket_close(c->nl);
	free(c->buf);
	free(c);
}

int tc_conn_fd(const struct tc_conn *c)
{
	return mnl_socket_get_fd(c->nl);
}

unsigned long tc_conn_changes(const struct tc_conn *c)
{
	return c->changes;
}

uint32_t tc_conn_next_seq(struct tc_conn *c)
{
	/* 0 means "any" to libmnl's sequence check: skip it. */
	if (++c->seq == 0)
		c->seq = 1;
	return c->seq;
}

/* Copy a string attribute for an error line: bounded, no control bytes. */
void nl_copy_string(char *out, size_t size, const struct nlattr *attr)
{
	const char *s = mnl_attr_get_payload(attr);
	size_t n = mnl_attr_get_payload_len(attr);
	size_t i;

	if (n > size - 1)
		n = size - 1;
	for (i = 0; i < n && s[i]; i++)
		out[i] = (s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
	out[i] = '\0';
}

int nl_parse_attrs(const void *start, size_t len,
		   int (*cb)(const struct nlattr *attr, void *data),
		   void *data)
{
	const struct nlattr *attr = start;
	int rem = len > INT_MAX ? INT_MAX : (int)len;
	int ret;

	while (mnl_attr_ok(attr, rem)) {
		ret = cb(attr, data);
		if (ret <= MNL_CB_STOP)
			return ret;
		rem -= MNL_ALIGN(attr->nla_len);
		attr = mnl_attr_next(attr);
	}
	/* Less than a header left is alignment padding; more is damage. */
	if (rem >= (int)sizeof(struct nlattr)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

const void *nl_msg_header(const struct nlmsghdr *nlh, size_t len,
			  uint16_t type, size_t hdr_size, int *ret)
{
	*ret = -EBADMSG;
	if (!nlh || len < sizeof(*nlh) || nlh->nlmsg_len < sizeof(*nlh) ||
	    nlh->nlmsg_len > len)
		return NULL;
	if (nlh->nlmsg_type != type) {
		*ret = -ENOMSG;
		return NULL;
	}
	if (mnl_nlmsg_get_payload_len(nlh) < hdr_size)
		return NULL;
	*ret = 0;
	return mnl_nlmsg_get_payload(nlh);
}

int nl_parse_msg_attrs(const struct nlmsghdr *nlh, size_t hdr_size,
		       int (*cb)(const struct nlattr *attr, void *data),
		       void *data)
{
	const char *payload = mnl_nlmsg_get_payload(nlh);
	size_t plen = mnl_nlmsg_get_payload_len(nlh);

	if (plen <= MNL_ALIGN(hdr_size)) /* no attributes, or only padding */
		return 0;
	if (nl_parse_attrs(payload + MNL_ALIGN(hdr_size),
			   plen - MNL_ALIGN(hdr_size), cb, data) != MNL_CB_OK)
		return -EBADMSG;
	return 0;
}

int nl_on_one_reply(const struct nlmsghdr *nlh, void *data)
{
	struct nl_one_reply *r = data;
	int ret = r->parse(nlh, nlh->nlmsg_len, r->out);

	if (ret == -ENOMSG)
		return MNL_CB_OK;
	if (ret < 0) {
		r->malformed = true;
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	r->found = true;
	return MNL_CB_STOP;
}

bool nl_frames_ok(const void *buf, size_t len)
{
	const struct nlmsghdr *nlh;
	size_t off = 0, step;

	while (len - off >= sizeof(*nlh)) {
		nlh = (const struct nlmsghdr *)((const char *)buf + off);
		if (nlh->nlmsg_len < sizeof(*nlh) || nlh->nlmsg_len > len - off)
			return false;
		step = MNL_ALIGN(nlh->nlmsg_len);
		if (step >= len - off)
			break;
		off += step;
	}
	return true;
}

static int on_ext_ack_attr(const struct nlattr *attr, void *data)
{
	struct talk *t = data;

	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
		nl_copy_string(t->ext_msg, sizeof(t->ext_msg), attr);
	return MNL_CB_OK;
}

/* The TLVs start `offset` bytes (before alignment) into the payload. */
static void read_ext_ack(struct talk *t, const struct nlmsghdr *nlh,
			 size_t offset)
{
	size_t plen = mnl_nlmsg_get_payload_len(nlh);

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	offset = MNL_ALIGN(offset);
	if (offset >= plen)
		return;
	/* The text is a bonus: a damaged TLV area just loses it. */
	(void)nl_parse_attrs((const char *)mnl_nlmsg_get_payload(nlh) + offset,
			     plen - offset, on_ext_ack_attr, t);
}

static int kernel_failed(struct talk *t, int error)
{
	t->kernel_errno = error > 0 ? error : EPROTO;
	errno = t->kernel_errno;
	return MNL_CB_ERROR;
}

/* NLMSG_ERROR: an ACK (error 0) ends the answer, anything else fails it.
 * The echoed request is cut to its header with NETLINK_CAP_ACK, whole
 * without (old kernels); the TLVs follow it. */
static int on_error_msg(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t plen = mnl_nlmsg_get_payload_len(nlh);
	struct talk *t = data;
	size_t echoed = 0;

	if (plen < sizeof(*e))
		return kernel_failed(t, EBADMSG);
	if (e->error == 0)
		return MNL_CB_STOP;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED) &&
	    e->msg.nlmsg_len > sizeof(struct nlmsghdr))
		echoed = e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	read_ext_ack(t, nlh, sizeof(*e) + echoed);
	return kernel_failed(t, -e->error);
}

/* NLMSG_DONE ends a dump; its int payload is the dump's error, if any. */
static int on_done_msg(const struct nlmsghdr *nlh, void *data)
{
	struct talk *t = data;
	int error;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(error))
		return MNL_CB_STOP;
	memcpy(&error, mnl_nlmsg_get_payload(nlh), sizeof(error));
	if (error >= 0)
		return MNL_CB_STOP;
	read_ext_ack(t, nlh, sizeof(error));
	return kernel_failed(t, -error);
}

static int on_overrun_msg(const struct nlmsghdr *nlh, void *data)
{
	errno = ENOBUFS;
	return MNL_CB_ERROR;
}

static int on_data_msg(const struct nlmsghdr *nlh, void *data)
{
	struct talk *t = data;
	int ret;

	if (!t->cb || t->cb_stopped)
		return MNL_CB_OK;
	ret = t->cb(nlh, t->data);
	if (ret == MNL_CB_STOP) {
		/* Keep reading to the end of the answer, ignoring it. */
		t->cb_stopped = true;
		return MNL_CB_OK;
	}
	return ret < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

/* Throw away what an abandoned answer left in the socket. */
static void drain(struct tc_conn *c)
{
	int fd = mnl_socket_get_fd(c->nl);

	while (recv(fd, c->buf, c->buflen, MSG_DONTWAIT) >= 0 ||
	       errno == EINTR)
		;
	c->unread = false;
}

static int send_request(struct tc_conn *c, const struct nlmsghdr *nlh,
			struct errmsg *err)
{
	ssize_t n;

	do {
		n = mnl_socket_sendto(c->nl, nlh, nlh->nlmsg_len);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errmsg_set(err, errno, "netlink send: %s",
				  strerror(errno));
	if ((size_t)n != nlh->nlmsg_len)
		return errmsg_set(err, EIO, "netlink send: short write");
	return 0;
}

static ssize_t recv_answer(struct tc_conn *c, struct errmsg *err)
{
	ssize_t n;

	do {
		n = mnl_socket_recvfrom(c->nl, c->buf, c->buflen);
	} while (n < 0 && errno == EINTR);
	if (n < 0 && errno == ENOSPC) /* libmnl's word for MSG_TRUNC */
		return errmsg_set(err, EMSGSIZE,
				  "netlink reply larger than the %zu-byte receive buffer",
				  c->buflen);
	if (n < 0)
		return errmsg_set(err, errno, "netlink receive: %s",
				  strerror(errno));
	return n;
}

/* A dump is a GET request (type % 4 == 2) with ROOT|MATCH; the same bits
 * mean REPLACE|EXCL on NEW requests. */
static bool is_dump(const struct nlmsghdr *nlh)
{
	return (nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP &&
	       nlh->nlmsg_type >= RTM_BASE && (nlh->nlmsg_type & 3) == 2;
}

static int report_failure(const struct talk *t, struct errmsg *err, int e)
{
	if (!t->kernel_errno)
		return errmsg_set(err, e, "netlink reply: %s", strerror(e));
	if (t->ext_msg[0])
		return errmsg_set(err, t->kernel_errno, "kernel: %s (%s)",
				  t->ext_msg, strerror(t->kernel_errno));
	/* The usual cause: say which privilege is missing. */
	if (t->kernel_errno == EPERM)
		return errmsg_set(err, EPERM,
				  "kernel: %s (changing qdiscs, filters and neighbours needs CAP_NET_ADMIN)",
				  strerror(EPERM));
	return errmsg_set(err, t->kernel_errno, "kernel: %s",
			  strerror(t->kernel_errno));
}

/* Send nlh and read its whole answer; t says whether the kernel failed. */
static int talk(struct tc_conn *c, struct nlmsghdr *nlh, struct talk *t,
		struct errmsg *err)
{
	static mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_ERROR] = on_error_msg,
		[NLMSG_DONE] = on_done_msg,
		[NLMSG_OVERRUN] = on_overrun_msg,
	};
	ssize_t n;
	int ret;

	if (c->unread)
		drain(c);
	if (!nlh->nlmsg_seq)
		nlh->nlmsg_seq = tc_conn_next_seq(c);
	if (!is_dump(nlh)) /* the ACK is how we know the answer is over */
		nlh->nlmsg_flags |= NLM_F_ACK;
	/* RTM_NEW*, RTM_DEL*, RTM_SET*: everything but the RTM_GET*s. */
	if (nlh->nlmsg_type < RTM_BASE || (nlh->nlmsg_type & 3) != 2)
		c->changes++;
	ret = send_request(c, nlh, err);
	if (ret < 0)
		return ret;

	do {
		n = recv_answer(c, err);
		if (n < 0) {
			c->unread = true;
			return (int)n;
		}
		if (!nl_frames_ok(c->buf, (size_t)n)) {
			c->unread = true;
			return errmsg_set(err, EBADMSG,
					  "netlink reply: a message length runs past the %zd bytes received",
					  n);
		}
		ret = mnl_cb_run2(c->buf, n, nlh->nlmsg_seq, 0,
				  on_data_msg, t, ctl, NLMSG_MIN_TYPE);
	} while (ret == MNL_CB_OK);

	if (ret == MNL_CB_STOP)
		return 0;
	ret = errno ? errno : EPROTO;
	/* A kernel error ends the answer; a local one (a callback's, or
	 * libmnl's ESRCH/EPROTO/EINTR) may leave the rest of it queued. */
	if (!t->kernel_errno)
		c->unread = true;
	return report_failure(t, err, ret);
}

int tc_conn_talk(struct tc_conn *c, struct nlmsghdr *nlh, tc_reply_cb cb,
		 void *data, struct errmsg *err)
{
	struct talk t = { .cb = cb, .data = data };

	return talk(c, nlh, &t, err);
}

int tc_conn_request(struct tc_conn *c, struct nlmsghdr *nlh,
		    struct errmsg *err)
{
	return tc_conn_talk(c, nlh, NULL, NULL, err);
}

int tc_conn_talk_ctx(struct tc_conn *c, struct nlmsghdr *nlh, tc_reply_cb cb,
		     void *data, int ifindex, const char *what,
		     struct errmsg *err)
{
	struct talk t = { .cb = cb, .data = data };
	struct errmsg local;
	int ret;

	errmsg_clear(&local);
	ret = talk(c, nlh, &t, &local);
	if (ret == -ENODEV && t.kernel_errno == ENODEV && !t.ext_msg[0])
		return errmsg_set(err, ENODEV,
				  "%s: no network device with ifindex %d",
				  what, ifindex);
	if (ret < 0)
		return errmsg_set(err, -ret, "%s: %s", what, local.text);
	return ret;
}
