/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/* The contract between the steering program (prog/steer.bpf.c) and the
 * tcsteer CLI that edits its tables. Included by both; plain fixed-width
 * types only, so the layout is the same on both sides. */
#ifndef TCSTEER_STEER_MAPS_H
#define TCSTEER_STEER_MAPS_H

#include <linux/bpf.h>
#include <linux/types.h>

/* Map names: at most 15 characters (BPF_OBJ_NAME_LEN - 1); they are also the
 * file names of the pins under /sys/fs/bpf/tcsteer/<dev>/. */
#define STEER_MAP_V4    "steer_v4"
#define STEER_MAP_V6    "steer_v6"
#define STEER_MAP_STATS "steer_stats"
/* The flow table of learn routes: an ARRAY_OF_MAPS with one slot, empty
 * until the first learn route is added; the CLI then puts an LRU hash
 * there (struct steer_flow_key -> struct steer_flow), pinned next to the
 * table as STEER_MAP_FLOW_LRU, and takes it out with the last learn route.
 * So a table without learn routes costs one pointer, not a preallocated
 * LRU (docs/design.md, "Return-path learning"). */
#define STEER_MAP_FLOWS "steer_flows"
#define STEER_MAP_FLOW_LRU "steer_flow_lru"
/* A PROG_ARRAY with one slot, empty like steer_flows until the first learn
 * route: the CLI puts the lookup's program there (STEER_PROG_REPLY), which
 * the steering program jumps to for a packet of a learn route. The
 * learner is STEER_PROG_LEARN, on the ingress of every interface a learn
 * route names. */
#define STEER_MAP_TAIL "steer_tail"
#define STEER_PROG_REPLY "steer_reply"
#define STEER_PROG_REPLY_COMPAT "steer_reply_compat" /* no bpf_check_mtu(): 5.10, 5.11 */
#define STEER_PROG_LEARN "steer_learn"

/* Route slots: counters are a per-CPU array indexed by slot, preallocated,
 * so its size costs STEER_MAX_ROUTES * 16 bytes per possible CPU (16 KiB a
 * CPU, 1 MiB per table on a 64-CPU host) and its creation dominates the
 * time of an attach (docs/performance.md). A few hundred service prefixes
 * is the use; build with -DSTEER_MAX_ROUTES=N for more. The LPM tries are
 * not preallocated (BPF_F_NO_PREALLOC is mandatory for them). */
#ifndef STEER_MAX_ROUTES
#define STEER_MAX_ROUTES 1024
#endif
#define STEER_SLOT_MISS 0 /* counts packets that matched no route */

/* LPM trie keys: prefix length in bits, then the address in network order. */
struct steer_key4 {
	__u32 prefixlen;
	__u8 addr[4];
};

struct steer_key6 {
	__u32 prefixlen;
	__u8 addr[16];
};

/* The layout of the table's values. Version 1 (tcsteer 0.1) had a 28-byte
 * route (ifindex, slot, nh) and a 16-byte counter (packets, bytes); version
 * 2 adds the route's flags and learn interfaces and two counters. A table
 * of version 1 is upgraded when the program of version 2 is attached to it:
 * its routes and counters are copied (state/table_upgrade.c). */
#define STEER_FORMAT_VERSION 2
#define STEER_V1_ROUTE_SIZE 28
#define STEER_V1_COUNTER_SIZE 16

/* A learn route names the interfaces whose requests teach it the way back,
 * at most this many. */
#define STEER_LEARN_MAX 4

/* steer_route.flags */
#define STEER_ROUTE_LEARN (1u << 0) /* the way back is learned per flow */
/* tcsteer made the next hop's neighbour entry managed for this route (the
 * program ignores it): route del returns the entry to what it was once no
 * route uses that next hop. */
#define STEER_ROUTE_NEIGH_MANAGED (1u << 1)

/* What a matching source address is sent to: an output interface and a next
 * hop of either family (an IPv6 next hop for IPv4 traffic is valid).
 * `nh` is passed as is to bpf_redirect_neigh(); its unused bytes are zero.
 * A learn route (STEER_ROUTE_LEARN) has neither: the way back is the one
 * the flow's last request came in on, among learn_ifindex[] (a 0 ends the
 * list). */
struct steer_route {
	__u32 ifindex;
	__u32 slot;                     /* index into the stats map, >= 1 */
	struct bpf_redir_neigh nh;      /* nh_family AF_INET or AF_INET6 */
	__u32 flags;                    /* STEER_ROUTE_* */
	__u32 learn_ifindex[STEER_LEARN_MAX];
};

/* The flow table's size when `route add ... learn` gives none (`flows N`):
 * entries of about 128 bytes each, preallocated by the kernel when the
 * table's first learn route is added (8 MiB for the default). A flow takes
 * one entry, and every remote address one more (the address pair, below). */
#ifndef STEER_FLOWS_DEFAULT
#define STEER_FLOWS_DEFAULT 65536
#endif
#define STEER_FLOWS_MIN 16
#define STEER_FLOWS_MAX (1u << 24)

#define STEER_FLOW_V4 4
#define STEER_FLOW_V6 6

/* A learned flow, as seen from this host: `local` is the address the
 * request was sent to (in a learn prefix), `remote` the one it came from.
 * TCP, UDP, UDP-Lite, SCTP and DCCP flows are keyed by their ports, ICMP
 * and ICMPv6 echo by the echo id (as remote_port; local_port 0). Every
 * request also teaches its address pair (proto 0, ports 0): the way back
 * for what has no ports of its own (fragments after the first, ICMP
 * errors, other protocols). IPv4 addresses take the first 4 bytes, the
 * rest is zero; so are the padding bytes. */
struct steer_flow_key {
	__u8 local[16];
	__u8 remote[16];
	__be16 local_port;
	__be16 remote_port;
	__u8 proto;                     /* IPPROTO_*, 0: the address pair */
	__u8 family;                    /* STEER_FLOW_V4 or STEER_FLOW_V6 */
	__u16 pad;
};

/* The way back: the reply's Ethernet addresses (the request's source MAC,
 * the router, as destination; its destination MAC, the interface's own,
 * as source) and the interface the request came in on. seen_ns: when a
 * request last said so (bpf_ktime_get_ns(), CLOCK_MONOTONIC; refreshed
 * at most once a second). */
struct steer_flow {
	__u8 eth[12];                   /* destination MAC, then source MAC */
	__u32 ifindex;
	__u64 seen_ns;
};

/* Per route (slot), per CPU. packets/bytes: steered. toobig: dropped
 * because they did not fit the output interface's MTU (the sender was
 * told). passed: matched the route but were left to the main table (its
 * interface is gone; for a learn route, a flow never seen, or learned on
 * an interface the route no longer names). */
struct steer_counter {
	__u64 packets;
	__u64 bytes;
	__u64 toobig;
	__u64 passed;
};

#endif
