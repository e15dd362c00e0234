/* SPDX-License-Identifier: MIT */
/* Neighbour entries for the next hops tcsteer redirects to: making them
 * "managed" (kernel >= 5.16: the kernel resolves them by itself and keeps
 * them resolved, so bpf_redirect_neigh() finds a usable entry), and reading
 * one back. Uses the tc_conn socket of tc.h. */
#ifndef TCSTEER_NETLINK_NEIGH_H
#define TCSTEER_NETLINK_NEIGH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errmsg.h"
#include "tc.h"

#define NEIGH_MSG_MAX 128
#define NEIGH_LLADDR_MAX 32 /* MAX_ADDR_LEN */

struct neigh_info {
	uint16_t state;         /* NUD_* bits (ndm_state) */
	uint8_t flags;          /* NTF_* (ndm_flags) */
	uint32_t ext_flags;     /* NTF_EXT_* (NDA_FLAGS_EXT), 0 if absent */
	uint8_t lladdr[NEIGH_LLADDR_MAX];
	size_t lladdr_len;      /* 0 while unresolved */
};

/* Make the entry for addr (4 bytes for AF_INET, 16 for AF_INET6) on
 * ifindex a managed one, creating it if needed: exactly what
 * `ip neigh replace ADDR dev IF managed` sends (iproute2 >= 5.16).
 * An existing PERMANENT or NOARP entry is left alone (a managed update
 * would strip NUD_PERMANENT). Returns 0 if the entry is managed now
 * (or already was), 1 if a static entry was kept,
 * NEIGH_MANAGED_BROADCAST (below) if the kernel could not make it a
 * usable one yet, or -errno. */
int neigh_make_managed(struct tc_conn *c, int ifindex, int family,
		       const void *addr, struct errmsg *err);

/* What neigh_release_managed() did. */
enum neigh_release {
	NEIGH_RELEASE_NOT_MANAGED,      /* no managed entry (none, or someone
					 * changed it since): left alone */
	NEIGH_RELEASE_DYNAMIC,          /* a plain dynamic entry again:
					 * STALE, its MAC kept, garbage
					 * collected when unused */
	NEIGH_RELEASE_DELETED,          /* never resolved (or NOARP): deleted */
};

/* Undo neigh_make_managed() for the entry of addr on ifindex, for `route
 * del` when no route uses that next hop any more: the kernel stops
 * resolving it by itself (a managed entry is probed every
 * interval_probe_time_ms, 5 s by default, forever, answered or not). A
 * resolved entry goes back to what the kernel would have made of it
 * (RTM_NEWNEIGH REPLACE, NUD_STALE, no managed flag: its MAC and router and
 * extern_learn flags stay); one without a usable MAC is deleted (the
 * kernel makes a new one when something sends to it). Returns an enum
 * neigh_release, or -errno. */
int neigh_release_managed(struct tc_conn *c, int ifindex, int family,
			  const void *addr, struct errmsg *err);

/* "left alone (not managed)", "made dynamic", "deleted". */
const char *neigh_release_str(int release);

/* Read the entry for addr on ifindex. -ENOENT (with a message) if there
 * is none. */
int neigh_get(struct tc_conn *c, int ifindex, int family, const void *addr,
	      struct neigh_info *out, struct errmsg *err);

/* "REACHABLE", "STALE|PROBE", "NONE", ...: the NUD bits spelled out the
 * way `ip neigh` does. */
void neigh_state_str(char *out, size_t len, uint16_t state);

/* Pure builders and parser (for tests, --dry-run and fuzzing). */
/* RTM_NEWNEIGH REQUEST|ACK|CREATE|REPLACE, ndm_state NUD_NONE, NDA_DST,
 * NDA_FLAGS_EXT = NTF_EXT_MANAGED. NULL for an unknown family. */
struct nlmsghdr *neigh_build_managed(void *buf, uint32_t seq, int ifindex,
				     int family, const void *addr);
/* RTM_GETNEIGH REQUEST|ACK for one entry (NDA_DST only, as the kernel's
 * strict check of a non-dump get wants). NULL for an unknown family. */
struct nlmsghdr *neigh_build_get(void *buf, uint32_t seq, int ifindex,
				 int family, const void *addr);
/* RTM_NEWNEIGH REQUEST|ACK|REPLACE (never CREATE), ndm_state NUD_STALE,
 * ndm_flags as given (NTF_ROUTER, NTF_EXT_LEARNED), NDA_DST only: no
 * NDA_LLADDR, so the kernel keeps the MAC it has now, and no
 * NDA_FLAGS_EXT, which clears NTF_EXT_MANAGED. NULL for an unknown
 * family. */
struct nlmsghdr *neigh_build_unmanage(void *buf, uint32_t seq, int ifindex,
				      int family, const void *addr,
				      uint8_t ndm_flags);
/* RTM_DELNEIGH REQUEST|ACK for one entry. NULL for an unknown family. */
struct nlmsghdr *neigh_build_del(void *buf, uint32_t seq, int ifindex,
				 int family, const void *addr);
/* Decode an RTM_NEWNEIGH of `len` readable bytes: 0, -ENOMSG if it is
 * another type, -EBADMSG if malformed. */
int neigh_parse_msg(const struct nlmsghdr *nlh, size_t len,
		    struct neigh_info *out);

/* The early-boot trap (neigh.c): neigh_make_managed() returns this, with
 * the reason in err (a warning, not a failure), when the kernel made the
 * new entry NOARP with a broadcast address because the namespace had no
 * IPv4 address yet; the entry has been deleted again, for the first
 * steered packet to create an ordinary one. */
#define NEIGH_MANAGED_BROADCAST 2

/* True for an entry the kernel will never resolve: NUD_NOARP, or an
 * all-ones (broadcast) link-layer address. */
bool neigh_is_broadcast_trap(const struct neigh_info *n);

#endif
