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
 * Every packet is either left alone (STEER_PASS) or redirected: the program
 * never drops. Anything it does not understand (not IP, truncated, a second
 * VLAN tag) passes untouched, so attaching it can only change the path of
 * traffic that matches a route.
 *
 * This is the hot path of every packet leaving the interface: one LPM
 * lookup, one per-CPU counter update, no loops. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <stdbool.h>

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

#include "steer_learn.h"

static __always_inline void count(__u32 slot, __u32 len)
{
	struct steer_counter *c = bpf_map_lookup_elem(&steer_stats, &slot);

	/* NULL only for a slot beyond max_entries: a CLI bug, not worth
	 * refusing to steer for. */
	if (c) {
		c->packets += 1;
		c->bytes += len;
	}
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

SEC("tc")
int steer(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct steer_eth_hdr *eth = data;
	struct steer_route *route;
	void *l3 = eth + 1;
	bool data_tag = false;
	__be16 proto;

	if (l3 > end)
		return STEER_PASS;
	proto = eth->proto;

	/* A tag usually travels in skb metadata (skb->vlan_present), and the
	 * EtherType here is already the inner one. One in the data (frames
	 * sent tagged through a packet socket or a bridge, ingress without
	 * VLAN offload) is skipped over; a second tag, in the data or in the
	 * metadata, is QinQ and passes untouched. */
	if (proto == bpf_htons(ETH_P_8021Q) ||
	    proto == bpf_htons(ETH_P_8021AD)) {
		struct steer_vlan_hdr *vh = l3;

		if ((void *)(vh + 1) > end || skb->vlan_present)
			return STEER_PASS;
		proto = vh->encap_proto;
		l3 = vh + 1;
		data_tag = true;
	}

	/* The whole fixed header must be there, not only the source
	 * address: a cut or mislabelled header is not a packet we steer
	 * (nor count). */
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = l3;

		if ((void *)(iph + 1) > end || iph->version != 4)
			return STEER_PASS;
		route = lookup_v4(iph);
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6h = l3;

		if ((void *)(ip6h + 1) > end || ip6h->version != 6)
			return STEER_PASS;
		route = lookup_v6(ip6h);
	} else {
		return STEER_PASS;
	}

	if (!route) {
		count(STEER_SLOT_MISS, skb->len);
		return STEER_PASS;
	}

	/* A learn route sends a flow back the way its last request came
	 * (steer_learn.h). Via routes pay this one test. */
	if (route->flags & STEER_ROUTE_LEARN)
		return steer_learn_route(skb, route);

	/* Already leaving through the route's interface (or arriving on it,
	 * at ingress): redirecting to itself would loop, and the normal path
	 * is the right one. Not counted: nothing was steered. */
	if (route->ifindex == skb->ifindex)
		return STEER_PASS;

	/* The tag belongs to the primary link, like the MAC addresses that
	 * bpf_redirect_neigh() rewrites, but the helper leaves it alone: a
	 * metadata tag would leave the other interface on the wrong VLAN,
	 * and a frame with the tag in its data is dropped (the helper only
	 * forwards IPv4 and IPv6 frames). Untagged packets never get here
	 * with a tag to pop, so this costs them one test. */
	if ((data_tag || skb->vlan_present) && bpf_skb_vlan_pop(skb))
		return STEER_PASS;

	/* After the pop: the bytes steered, wherever the tag was. */
	count(route->slot, skb->len);
	/* The next hop comes from the map value itself: the helper takes
	 * read-only memory, and an explicit next hop skips the FIB lookup
	 * (and the metadata_dst leak of the no-params form on old kernels).
	 * It returns TC_ACT_REDIRECT, or TC_ACT_SHOT on bad arguments; the
	 * transmit happens after we return. */
	return bpf_redirect_neigh(route->ifindex, &route->nh,
				  sizeof(route->nh), 0);
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
 * steer_tail. */
SEC("tc/reply")
int steer_reply(struct __sk_buff *skb)
{
	return steer_reply_packet(skb);
}

/* bpf_redirect_neigh() is not GPL-only, but a GPL-compatible license keeps
 * every helper available; this matches the file's dual license. */
char _license[] SEC("license") = "Dual MIT/GPL";
