/* SPDX-License-Identifier: MIT */
/* Helper of nexthop.sh and neigh_release.sh: the library functions the CLI
 * calls around `route add` and `route del`, one per command, on real
 * devices.
 *
 *   nl_probe nexthop IFNAME ADDR    "<VERDICT> <message>" (nexthop_check)
 *   nl_probe mtu IFNAME ATTACHDEV   the warning line, or "no warning"
 *   nl_probe manage IFNAME ADDR     neigh_make_managed's result
 *   nl_probe release IFNAME ADDR    neigh_release_managed's result
 *
 * Exit 0 when the library answered, 1 with "error: ..." when it failed, 2
 * for bad arguments. */
#include <arpa/inet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "errmsg.h"
#include "link.h"
#include "neigh.h"
#include "nexthop.h"
#include "tc.h"

static const char *verdict_name(enum nexthop_verdict v)
{
	static const char *const names[] = {
		[NEXTHOP_OK] = "OK",
		[NEXTHOP_UNVERIFIED] = "UNVERIFIED",
		[NEXTHOP_UNSPECIFIED] = "UNSPECIFIED",
		[NEXTHOP_LOOPBACK] = "LOOPBACK",
		[NEXTHOP_MULTICAST] = "MULTICAST",
		[NEXTHOP_BROADCAST] = "BROADCAST",
		[NEXTHOP_V4_MAPPED] = "V4_MAPPED",
		[NEXTHOP_OWN_ADDRESS] = "OWN_ADDRESS",
		[NEXTHOP_ANYCAST] = "ANYCAST",
		[NEXTHOP_NOT_ON_LINK] = "NOT_ON_LINK",
	};

	return (size_t)v < sizeof(names) / sizeof(names[0]) && names[v] ?
	       names[v] : "?";
}

static int parse_addr(const char *s, int *family, unsigned char *addr)
{
	if (inet_pton(AF_INET, s, addr) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, addr) == 1) {
		*family = AF_INET6;
		return 0;
	}
	return -1;
}

static int run(struct tc_conn *c, const char *cmd, int ifindex,
	       const char *arg, struct errmsg *err)
{
	unsigned char addr[16];
	int family, ret;

	if (!strcmp(cmd, "mtu")) {
		struct link_info out, at;
		char msg[256];
		int other = (int)if_nametoindex(arg);

		ret = link_get(c, ifindex, &out, err) ?: link_get(c, other, &at, err);
		if (!ret)
			puts(link_mtu_warning(&out, &at, msg, sizeof(msg)) ?
			     msg : "no warning");
		return ret;
	}
	if (parse_addr(arg, &family, addr)) {
		fprintf(stderr, "nl_probe: bad address %s\n", arg);
		exit(2);
	}
	if (!strcmp(cmd, "nexthop")) {
		struct nexthop_check nc;

		ret = nexthop_check(c, ifindex, family, addr, &nc, err);
		if (!ret)
			printf("%s %s\n", verdict_name(nc.verdict), nc.msg);
		return ret;
	}
	if (!strcmp(cmd, "manage")) {
		ret = neigh_make_managed(c, ifindex, family, addr, err);
		if (ret >= 0)
			printf("%s\n", ret ? "static entry kept" : "managed");
		return ret < 0 ? ret : 0;
	}
	if (!strcmp(cmd, "release")) {
		ret = neigh_release_managed(c, ifindex, family, addr, err);
		if (ret >= 0)
			printf("%s\n", neigh_release_str(ret));
		return ret < 0 ? ret : 0;
	}
	fprintf(stderr, "nl_probe: unknown command %s\n", cmd);
	exit(2);
}

int main(int argc, char **argv)
{
	struct errmsg err = { 0 };
	struct tc_conn *c;
	int ifindex, ret;

	if (argc != 4) {
		fprintf(stderr, "usage: nl_probe nexthop|mtu|manage|release IFNAME ARG\n");
		return 2;
	}
	ifindex = (int)if_nametoindex(argv[2]);
	if (!ifindex && strcmp(argv[2], "none")) {
		fprintf(stderr, "nl_probe: no device %s\n", argv[2]);
		return 2;
	}
	if (!ifindex)
		ifindex = 999999; /* "none": a device that does not exist */
	if (tc_conn_open(&c, &err)) {
		printf("error: %s\n", err.text);
		return 1;
	}
	ret = run(c, argv[1], ifindex, argv[3], &err);
	tc_conn_close(c);
	if (ret) {
		printf("error: %s\n", err.text);
		return 1;
	}
	return 0;
}
