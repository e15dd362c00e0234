/* SPDX-License-Identifier: MIT */
/* Fuzz target: the parsers of kernel replies. tcsteer trusts nothing it
 * reads from netlink: the filter dump parser (tc_parse_filter_msg), the
 * neighbour parser (neigh_parse_msg), the next-hop checks' route, address
 * and link parsers (nexthop_parse_route, nexthop_parse_addr,
 * link_parse_msg) and the message printer of -v and --dry-run
 * (tc_print_message) must survive any bytes.
 *
 * The input is a receive buffer: one or more netlink messages back to back,
 * checked (nl_frames_ok) and walked the way tc_conn.c does with what recv()
 * returned, and also handed whole to the parsers (whose `len` argument
 * must bound every read). */
#include <errno.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "link.h"
#include "neigh.h"
#include "nexthop.h"
#include "tc.h"
#include "tc_internal.h"

static FILE *sink;

static bool terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static void parse_filter(const struct nlmsghdr *nlh, size_t len)
{
	struct tc_filter_info f;
	int ret = tc_parse_filter_msg(nlh, len, &f);

	if (ret && ret != -ENOMSG && ret != -EBADMSG)
		fuzz_contract_failed("tc_parse_filter_msg returned %d", ret);
	if (!terminated(f.kind, sizeof(f.kind)) ||
	    !terminated(f.name, sizeof(f.name)))
		fuzz_contract_failed("tc_parse_filter_msg left a string unterminated");
	if (ret == -EBADMSG)
		fuzz_rejected = 1;
}

static void parse_neigh(const struct nlmsghdr *nlh, size_t len)
{
	struct neigh_info n;
	int ret = neigh_parse_msg(nlh, len, &n);

	if (ret && ret != -ENOMSG && ret != -EBADMSG)
		fuzz_contract_failed("neigh_parse_msg returned %d", ret);
	if (n.lladdr_len > sizeof(n.lladdr))
		fuzz_contract_failed("neigh_parse_msg: lladdr_len %zu", n.lladdr_len);
	if (ret == -EBADMSG)
		fuzz_rejected = 1;
}

static void check_ret(const char *what, int ret)
{
	if (ret && ret != -ENOMSG && ret != -EBADMSG)
		fuzz_contract_failed("%s returned %d", what, ret);
	if (ret == -EBADMSG)
		fuzz_rejected = 1;
}

static void parse_nexthop_replies(const struct nlmsghdr *nlh, size_t len)
{
	struct nexthop_route r;
	struct nexthop_addr a;
	struct link_info l;

	int ret;

	/* What a successful parse promises (a failed one may leave out
	 * partly filled). */
	ret = nexthop_parse_route(nlh, len, &r);
	check_ret("nexthop_parse_route", ret);
	if (!ret && r.gw_family && r.gw_family != AF_INET &&
	    r.gw_family != AF_INET6)
		fuzz_contract_failed("nexthop_parse_route: gateway family %d",
				     r.gw_family);
	ret = nexthop_parse_addr(nlh, len, &a);
	check_ret("nexthop_parse_addr", ret);
	if (!ret && a.prefixlen > (a.family == AF_INET ? 32 : 128))
		fuzz_contract_failed("nexthop_parse_addr: prefix length %u",
				     a.prefixlen);
	check_ret("link_parse_msg", link_parse_msg(nlh, len, &l));
	if (!terminated(l.name, sizeof(l.name)))
		fuzz_contract_failed("link_parse_msg left the name unterminated");
}

/* The printer takes the message's own length; it is only ever given
 * complete messages, so only those are printed. */
static void print_message(const struct nlmsghdr *nlh, size_t len)
{
	if (len < sizeof(*nlh) || nlh->nlmsg_len < sizeof(*nlh) ||
	    nlh->nlmsg_len > len)
		return;
	if (!sink)
		sink = fopen("/dev/null", "we");
	if (sink)
		tc_print_message(sink, nlh);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* recv() fills an aligned buffer; an exact-size heap copy also lets
	 * ASan see a read one byte past the end. */
	struct nlmsghdr *buf = malloc(size ? size : 1);
	const struct nlmsghdr *nlh;
	int rem;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	fuzz_rejected = 0;
	fuzz_reason[0] = '\0';

	parse_filter(buf, size);
	parse_neigh(buf, size);
	parse_nexthop_replies(buf, size);

	/* tc_conn.c checks the framing before libmnl walks the buffer
	 * (mnl_nlmsg_ok takes a length of 2 GiB for a negative one). */
	if (!nl_frames_ok(buf, size)) {
		fuzz_rejected = 1;
		free(buf);
		return 0;
	}
	rem = size > 1 << 30 ? 1 << 30 : (int)size;
	for (nlh = buf; mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
		parse_filter(nlh, nlh->nlmsg_len);
		parse_neigh(nlh, nlh->nlmsg_len);
		parse_nexthop_replies(nlh, nlh->nlmsg_len);
		print_message(nlh, (size_t)rem);
	}
	free(buf);
	return 0;
}
