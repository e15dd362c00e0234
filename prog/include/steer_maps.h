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

/* What a matching source address is sent to: an output interface and a next
 * hop of either family (an IPv6 next hop for IPv4 traffic is valid).
 * `nh` is passed as is to bpf_redirect_neigh(); its unused bytes are zero. */
struct steer_route {
	__u32 ifindex;
	__u32 slot;                     /* index into the stats map, >= 1 */
	struct bpf_redir_neigh nh;      /* nh_family AF_INET or AF_INET6 */
};

struct steer_counter {
	__u64 packets;
	__u64 bytes;
};

#endif
