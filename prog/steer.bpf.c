// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/* The steering program: a direct-action TC classifier that sends packets
 * whose *source* address matches a configured prefix out of another
 * interface, to a configured next hop, with bpf_redirect_neigh().
 *
 * It fixes asymmetric return paths: replies to traffic that came in on a
 * secondary interface would otherwise leave through the default route. The
 * tables are LPM tries keyed by source prefix (prog/include/steer_maps.h);
 * the tcsteer CLI edits them through their pins.
 *
 * Every packet that matches no route, or that the program does not
 * understand (not IP, truncated, QinQ), passes untouched, so attaching it
 * can only change the path of traffic that matches a route. A matching
 * packet is
 *   - redirected, if it fits the output interface's MTU (a GSO packet: if
 *     its segments do);
 *   - left to the main table (counted as `passed`) if the output interface
 *     is gone;
 *   - dropped (counted as `toobig`) if it does not fit, after it has been
 *     turned into an ICMP "fragmentation needed" / ICMPv6 "packet too big"
 *     that is handed to the local stack, as a router on the secondary link
 *     would send it (steer_toobig.h): the sender learns the path MTU.
 *
 * Two programs, one code: `steer` (kernel >= 5.12, bpf_check_mtu()) and
 * `steer_compat` (5.10 and 5.11: no MTU check, no gone-device check; what
 * tcsteer 0.1 did). A loader asks probe_check_mtu() (loader/probe.h) and
 * loads `steer_compat` where the kernel lacks the helper.
 *
 * This is the hot path of every packet leaving the interface: one LPM
 * lookup, one per-CPU counter lookup, one MTU check, no loops. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <stdbool.h>
#include <stddef.h>

#include "tcsteer_bpf.h"
#include "steer_maps.h"

/* <linux/if_ether.h>'s struct ethhdr is packed, which makes clang read the
 * EtherType one byte at a time; this one has the same layout and natural
 * alignment, so the type is one 16-bit load. */
struct steer_eth_hdr {
	__u8 dst[ETH_ALEN];
	__u8 src[ETH_ALEN];
	__be16 proto;
};

/* The 4 bytes after the MAC addresses of a tagged frame (802.1Q or 802.1ad):
 * not in the UAPI headers. */
struct steer_vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

/* Pinned by name so that the CLI finds them under
 * /sys/fs/bpf/tcsteer/<dev>/ and a re-attach keeps the routes. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, STEER_MAX_ROUTES);
	__type(key, struct steer_key4);
	__type(value, struct steer_route);
	__uint(pinning, PIN_BY_NAME);
} steer_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, STEER_MAX_ROUTES);
	__type(key, struct steer_key6);
	__type(value, struct steer_route);
	__uint(pinning, PIN_BY_NAME);
} steer_v6 SEC(".maps");

/* Per-CPU so that counting needs no atomic operation; readers sum the CPUs.
 * Slot STEER_SLOT_MISS counts packets that matched no route. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, STEER_MAX_ROUTES);
	__type(key, __u32);
	__type(value, struct steer_counter);
	__uint(pinning, PIN_BY_NAME);
} steer_stats SEC(".maps");

/* What the program says of a packet it leaves alone: no verdict, so the
 * next filter on the hook runs (and with none left the packet goes on).
 * TC_ACT_OK would end classification here and starve every filter behind
 * ours, which, attached with prio 0, is ahead of all of them; under TCX
 * the same value is TCX_NEXT. */
#define STEER_PASS TC_ACT_UNSPEC

#include "steer_toobig.h"

/* bpf_check_mtu()'s answer for an ifindex that names no device. */
#define STEER_ENODEV 19

static __always_inline struct steer_counter *counter(__u32 slot)
{
	/* NULL only for a slot beyond max_entries: a CLI bug, not worth
	 * refusing to steer for. */
	return bpf_map_lookup_elem(&steer_stats, &slot);
}

static __always_inline struct steer_route *lookup_v4(const struct iphdr *iph)
{
	struct steer_key4 key = { .prefixlen = 32 };

	__builtin_memcpy(key.addr, &iph->saddr, sizeof(key.addr));
	return bpf_map_lookup_elem(&steer_v4, &key);
}

static __always_inline struct steer_route *lookup_v6(const struct ipv6hdr *ip6h)
{
	struct steer_key6 key = { .prefixlen = 128 };

	__builtin_memcpy(key.addr, &ip6h->saddr, sizeof(key.addr));
	return bpf_map_lookup_elem(&steer_v6, &key);
}

/* The VLAN tag a steered packet had, to put back on one that is left to
 * the main table after all. */
struct steer_tag {
	__be16 proto;   /* 0: untagged */
	__u16 tci;      /* host order, as bpf_skb_vlan_push() takes it */
};

/* The packet's route, or NULL (counted as a miss if it is IP). A tag in
 * the data is skipped over and described in *tag. */
static __always_inline struct steer_route *
route_of(struct __sk_buff *skb, struct steer_tag *tag)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct steer_eth_hdr *eth = data;
	struct steer_route *route;
	void *l3 = eth + 1;
	__be16 proto;

	if (l3 > end)
		return NULL;
	proto = eth->proto;

	/* A tag usually travels in skb metadata (skb->vlan_present), and the
	 * EtherType here is already the inner one. One in the data (frames
	 * sent tagged through a packet socket or a bridge, ingress without
	 * VLAN offload) is skipped over; a second tag, in the data or in the
	 * metadata, is QinQ and passes untouched: the VIPs of a stacked VLAN
	 * are steered by attaching to the innermost VLAN device. */
	if (proto == bpf_htons(ETH_P_8021Q) ||
	    proto == bpf_htons(ETH_P_8021AD)) {
		struct steer_vlan_hdr *vh = l3;

		if ((void *)(vh + 1) > end || skb->vlan_present)
			return NULL;
		tag->proto = proto;
		tag->tci = bpf_ntohs(vh->tci);
		proto = vh->encap_proto;
		l3 = vh + 1;
	}

	/* The whole fixed header must be there, not only the source
	 * address: a cut or mislabelled header is not a packet we steer
	 * (nor count). The source is all the lookup needs, whatever
	 * extension headers or fragment follow. */
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = l3;

		if ((void *)(iph + 1) > end || iph->version != 4)
			return NULL;
		route = lookup_v4(iph);
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6h = l3;

		if ((void *)(ip6h + 1) > end || ip6h->version != 6)
			return NULL;
		route = lookup_v6(ip6h);
	} else {
		return NULL;
	}

	if (!route) {
		struct steer_counter *c = counter(STEER_SLOT_MISS);

		if (c) {
			c->packets += 1;
			c->bytes += skb->len;
		}
	}
	return route;
}

/* Learn routes (after what they share: the tag, the counters). */
#include "steer_learn.h"

static __always_inline int steer_packet(struct __sk_buff *skb,
					const bool check_mtu)
{
	struct steer_tag tag = { 0 };
	struct steer_route *route;
	struct steer_counter *c;
	__u32 mtu = 0;
	long ret;

	route = route_of(skb, &tag);
	/* A learn route sends a flow back the way its last request came
	 * (steer_learn.h). Via routes pay this one test. */
	if (route && (route->flags & STEER_ROUTE_LEARN))
		return steer_learn_route(skb, route);
	/* Already leaving through the route's interface (or arriving on it,
	 * at ingress): redirecting to itself would loop, and the normal path
	 * is the right one. Not counted: nothing was steered. */
	if (!route || route->ifindex == skb->ifindex)
		return STEER_PASS;

	/* The tag belongs to the primary link, like the MAC addresses that
	 * bpf_redirect_neigh() rewrites, but the helper leaves it alone: a
	 * metadata tag would leave the other interface on the wrong VLAN,
	 * and a frame with the tag in its data is dropped (the helper only
	 * forwards IPv4 and IPv6 frames). Untagged packets never get here
	 * with a tag to pop, so this costs them one test. The MTU check
	 * comes after: a tag in the data is not part of what the other
	 * interface sends. */
	if (tag.proto || skb->vlan_present) {
		if (!tag.proto) {
			tag.proto = (__be16)skb->vlan_proto;
			tag.tci = (__u16)skb->vlan_tci;
		}
		if (bpf_skb_vlan_pop(skb))
			return STEER_PASS;
	}

	c = counter(route->slot);
	if (check_mtu) {
		/* With BPF_MTU_CHK_SEGS a GSO packet is judged by its
		 * segments (the default would pass every GSO packet). */
		ret = bpf_check_mtu(skb, route->ifindex, &mtu, 0,
				    BPF_MTU_CHK_SEGS);
		if (ret == -STEER_ENODEV) {
			/* The interface is gone: redirecting would drop the
			 * packet; the main table may still have a way. */
			if (c)
				c->passed += 1;
			if (tag.proto)
				bpf_skb_vlan_push(skb, tag.proto, tag.tci);
			return STEER_PASS;
		}
		if (ret > 0) {
			/* Counted after: c stays live through the slow
			 * path, so clang does not give its stack slot to a
			 * scalar there, which a verifier without CAP_PERFMON
			 * refuses ("attempt to corrupt spilled pointer"). */
			ret = steer_toobig(skb, route, mtu);
			if (c)
				c->toobig += 1;
			return (int)ret;
		}
		/* 0: it fits. Another error only comes for a GSO packet
		 * without a transport header (kernels >= 6.19), whose
		 * segments cannot be measured: like the kernel's own
		 * default, let it go. */
	}

	/* After the pop: the bytes steered, wherever the tag was. */
	if (c) {
		c->packets += 1;
		c->bytes += skb->len;
	}
	/* The next hop comes from the map value itself: the helper takes
	 * read-only memory, and an explicit next hop skips the FIB lookup
	 * (and the metadata_dst leak of the no-params form on old kernels).
	 * It returns TC_ACT_REDIRECT, or TC_ACT_SHOT on bad arguments; the
	 * transmit happens after we return. */
	return bpf_redirect_neigh(route->ifindex, &route->nh,
				  sizeof(route->nh), 0);
}

/* The program tcsteer attaches (the first in the object). */
SEC("tc")
int steer(struct __sk_buff *skb)
{
	return steer_packet(skb, true);
}

/* For kernels without bpf_check_mtu() (5.10, 5.11): packets too big for
 * the output interface are redirected anyway (and dropped there), and a
 * route whose interface is gone drops its packets. A section of its own:
 * tools that take "section tc" (tc, the benchmarks' floor) get `steer`. */
SEC("tc/compat")
int steer_compat(struct __sk_buff *skb)
{
	return steer_packet(skb, false);
}

/* Return-path learning (steer_learn.h), after steer (an object's first
 * program is the one tcsteer attaches by default), in sections of their
 * own: tools that take "section tc" (tc, the benchmarks' floor) get steer.
 * The learner, on the ingress hook of the interfaces learn routes name. */
SEC("tc/learn")
int steer_learn(struct __sk_buff *skb)
{
	return steer_learn_packet(skb);
}

/* The lookup for packets of learn routes, reached from steer through
 * steer_tail; steer_reply_compat for kernels without bpf_check_mtu(), as
 * steer_compat. */
SEC("tc/reply")
int steer_reply(struct __sk_buff *skb)
{
	return steer_reply_packet(skb, true);
}

SEC("tc/reply_compat")
int steer_reply_compat(struct __sk_buff *skb)
{
	return steer_reply_packet(skb, false);
}

/* bpf_redirect_neigh() is not GPL-only, but a GPL-compatible license keeps
 * every helper available; this matches the file's dual license. */
char _license[] SEC("license") = "Dual MIT/GPL";
