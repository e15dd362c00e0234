/* SPDX-License-Identifier: MIT */
/* What route add and route del do around a route's next hop, beyond the
 * table: refuse a next hop that is not on the output interface's link (it
 * would blackhole the route), keep its neighbour entry managed while
 * routes use it and give it back when the last one goes, and warn where
 * the path cannot work as it is (a smaller MTU, strict rp_filter). */
#ifndef TCSTEER_CLI_ROUTE_NH_H
#define TCSTEER_CLI_ROUTE_NH_H

#include <stdbool.h>

#include "cmd.h"
#include "table.h"
#include "tc.h"

/* 0, or -errno with the reason when the kernel's tables say the next hop
 * of c (a route add) is not on its interface's link, is this host's, a
 * broadcast or multicast address; prints one warning line when it cannot
 * tell yet (the interface is down or has no address). Answers are kept for
 * the process: a batch asks once per next hop. */
int nh_check(struct tc_conn *conn, const struct cmd *c, struct errmsg *err);

/* Make the next hop of c managed (the kernel keeps it resolved); true if
 * tcsteer manages it now (it made it so, now or for another route), which
 * the route records as STEER_ROUTE_NEIGH_MANAGED. Failures are warnings. */
bool nh_manage(struct tc_conn *conn, const struct cmd *c, const struct steer_table *t);

/* A route that held STEER_ROUTE_NEIGH_MANAGED is gone (deleted, changed,
 * undone): if no route of this namespace's tables (t, the table it was in,
 * and the pinned ones) uses its next hop any more, give the neighbour
 * entry back (a plain entry again, or none if it never resolved). */
void nh_release_if_unused(struct state *s, struct tc_conn *conn,
			  const struct steer_table *t, const struct steer_route *gone);

/* Warnings of route add: the output interface's MTU is smaller than that of
 * a device the table runs on; strict rp_filter drops the requests (on the
 * output interface, or a learn route's interfaces). */
void nh_warn_mtu(struct state *s, struct tc_conn *conn, const struct steer_table *t,
		 const struct cmd *c);
void nh_warn_rp_filter(const struct cmd *c);

#endif
