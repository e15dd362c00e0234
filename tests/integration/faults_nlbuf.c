/* SPDX-License-Identifier: MIT */
/* Helper of faults.sh: list the egress filters of a device with the
 * netlink library, twice, then send an ordinary request on the same
 * connection. Built twice: with the normal receive buffer (the dump of
 * hundreds of filters arrives in several parts and must be read whole) and
 * with TC_RECV_BUF_SIZE=1024 (a reply bigger than the buffer must be one
 * clear error, and the connection must still work afterwards).
 *
 *   faults_nlbuf IFNAME   prints "list: N filters" or "list: error: ..."
 *                         twice, then "clsact: ok" or "clsact: error: ..." */
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>

#include "errmsg.h"
#include "tc.h"

static void list(struct tc_conn *c, int ifindex)
{
	struct tc_filter_info *f = NULL;
	struct errmsg err = { 0 };
	size_t n = 0;

	if (tc_filter_list(c, ifindex, TC_PARENT_EGRESS, &f, &n, &err))
		printf("list: error: %s\n", err.text);
	else
		printf("list: %zu filters\n", n);
	free(f);
}

int main(int argc, char **argv)
{
	struct errmsg err = { 0 };
	struct tc_conn *c;
	int ifindex;

	if (argc != 2 || !(ifindex = (int)if_nametoindex(argv[1]))) {
		fprintf(stderr, "usage: faults_nlbuf IFNAME (an existing device)\n");
		return 2;
	}
	if (tc_conn_open(&c, &err)) {
		fprintf(stderr, "faults_nlbuf: %s\n", err.text);
		return 1;
	}
	list(c, ifindex);
	list(c, ifindex);
	if (tc_clsact_replace(c, ifindex, &err))
		printf("clsact: error: %s\n", err.text);
	else
		printf("clsact: ok\n");
	tc_conn_close(c);
	return 0;
}
