/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/* Return-path learning (included by steer.bpf.c, after its maps): replies
 * whose source is in a learn route's prefix leave by the interface their
 * flow's last request came in on, to the MAC address it came from.
 *
 * Two halves share the flow table (steer_flows, below):
 *   - the learner, steer_learn, a program of its own on the ingress hook of
 *     every interface a learn route names: for a request to an address in
 *     a learn prefix that names the interface it arrived on, it records
 *     the flow's way back (interface, source MAC, destination MAC). It
 *     never drops and never changes a packet; everything else passes
 *     after a few tests.
 *   - the lookup, steer_reply, a program the steering program jumps to
 *     (steer_tail) for packets whose source matched a learn route: the
 *     flow's entry, if it was learned on an interface the route names,
 *     gives the Ethernet addresses to write and the interface to redirect
 *     to (after the MTU check steer_packet() makes for via routes).
 *
 * The flow key (struct steer_flow_key in steer_maps.h) is the 5-tuple as
 * seen from this host, and every request also teaches its address pair,
 * the fallback for packets without ports of their own. Every request
 * packet teaches, not only the first of a flow: the last one wins, so a
 * flow whose requests move to another link has its replies follow them.
 *
 * The flow table is an ARRAY_OF_MAPS with one slot: empty (both halves do
 * nothing) until the CLI puts an LRU hash there with the table's first
 * learn route, sized then. A table without learn routes pays one pointer,
 * not a preallocated LRU; the cost is one array lookup (inlined by the
 * verifier) before each hash lookup. */
#ifndef TCSTEER_STEER_LEARN_H
#define TCSTEER_STEER_LEARN_H

#include <stddef.h>

/* The inner map's definition: what the CLI creates (steer_maps.h's key
 * and value, no flags; its own size). max_entries here is only the
 * template's. Sizes, not __type(): clang 14 describes a struct first met
 * this deep as a forward declaration, without a size. */
struct steer_flow_lru {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(struct steer_flow_key));
	__uint(value_size, sizeof(struct steer_flow));
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__uint(pinning, PIN_BY_NAME);
	__array(values, struct steer_flow_lru);
} steer_flows SEC(".maps");

/* The lookup's program (steer_reply, below), loaded by the CLI with the
 * table's first learn route and put in slot 0: the steering program jumps
 * there for a packet of a learn route. Kept out of the steering program
 * itself because the verifier takes about 1.5 ms more to check it inline
 * (docs/design.md): every attach would pay that, with or without learn
 * routes. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
	__uint(pinning, PIN_BY_NAME);
} steer_tail SEC(".maps");

#define LEARN_PACKET_HOST 0             /* skb->pkt_type: to this host */
#define LEARN_REFRESH_NS 1000000000ull  /* seen_ns is rewritten at most once a second */
#define LEARN_EXT_MAX 6                 /* IPv6 extension headers walked */

#define LEARN_IPPROTO_HOPOPTS 0
#define LEARN_IPPROTO_ICMP 1
#define LEARN_IPPROTO_TCP 6
#define LEARN_IPPROTO_UDP 17
#define LEARN_IPPROTO_DCCP 33
#define LEARN_IPPROTO_ROUTING 43
#define LEARN_IPPROTO_FRAGMENT 44
#define LEARN_IPPROTO_AH 51
#define LEARN_IPPROTO_ICMPV6 58
#define LEARN_IPPROTO_DSTOPTS 60
#define LEARN_IPPROTO_SCTP 132
#define LEARN_IPPROTO_UDPLITE 136

#define LEARN_ICMP_ECHOREPLY 0
#define LEARN_ICMP_ECHO 8
#define LEARN_ICMPV6_ECHO 128
#define LEARN_ICMPV6_ECHOREPLY 129
#define LEARN_ICMPV6_ND_FIRST 133       /* router solicitation ... */
#define LEARN_ICMPV6_ND_LAST 137        /* ... redirect */

/* What the parse found: the key (addresses always; ports and protocol
 * when the packet has them), where the transport header starts. */
struct learn_pkt {
	struct steer_flow_key key;
	__u32 l4off;
	__u8 l4proto;
	bool no_l4;                     /* a later fragment, or headers past the walk */
};

/* IPv6: past the extension headers (a bounded walk) to the transport
 * header. false: none found (too many, cut, or a fragment other than the
 * first, which has no transport header). */
static __always_inline bool learn_skip_ext(struct __sk_buff *skb, struct learn_pkt *p)
{
	struct {
		__u8 next;
		__u8 len;
		__be16 frag_off;        /* fragment header only */
	} h;
	int i;

#pragma unroll
	for (i = 0; i < LEARN_EXT_MAX; i++) {
		__u8 nh = p->l4proto;

		if (nh != LEARN_IPPROTO_HOPOPTS && nh != LEARN_IPPROTO_ROUTING &&
		    nh != LEARN_IPPROTO_DSTOPTS && nh != LEARN_IPPROTO_FRAGMENT &&
		    nh != LEARN_IPPROTO_AH)
			return true;
		if (bpf_skb_load_bytes(skb, p->l4off, &h, sizeof(h)))
			return false;
		p->l4proto = h.next;
		if (nh == LEARN_IPPROTO_FRAGMENT) {
			if (h.frag_off & bpf_htons(0xfff8))
				return false;
			p->l4off += 8;
		} else if (nh == LEARN_IPPROTO_AH) {
			p->l4off += ((__u32)h.len + 2) * 4;
		} else {
			p->l4off += ((__u32)h.len + 1) * 8;
		}
	}
	return false;
}

/* The addresses of an IPv4 or IPv6 packet at l3 into p->key, as seen from
 * this host (a request's destination is local, a reply's source is), and
 * where its transport header is. false: not IP, or its fixed header is
 * cut. Nothing after this depends on the family (the verifier then checks
 * what follows once for both). */
static __always_inline bool learn_parse_l3(struct __sk_buff *skb, void *l3, void *end,
					   __be16 proto, __u32 l3off, bool request,
					   struct learn_pkt *p)
{
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = l3;

		if ((void *)(iph + 1) > end || iph->version != 4 || iph->ihl < 5)
			return false;
		p->key.family = STEER_FLOW_V4;
		__builtin_memcpy(p->key.local, request ? &iph->daddr : &iph->saddr, 4);
		__builtin_memcpy(p->key.remote, request ? &iph->saddr : &iph->daddr, 4);
		p->l4proto = iph->protocol;
		p->l4off = l3off + iph->ihl * 4;
		p->no_l4 = (iph->frag_off & bpf_htons(0x1fff)) != 0;
		return true;
	}
	if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6h = l3;

		if ((void *)(ip6h + 1) > end || ip6h->version != 6)
			return false;
		p->key.family = STEER_FLOW_V6;
		__builtin_memcpy(p->key.local, request ? &ip6h->daddr : &ip6h->saddr, 16);
		__builtin_memcpy(p->key.remote, request ? &ip6h->saddr : &ip6h->daddr, 16);
		p->l4proto = ip6h->nexthdr;
		p->l4off = l3off + sizeof(*ip6h);
		p->no_l4 = !learn_skip_ext(skb, p);
		return true;
	}
	return false;
}

/* len bytes of the packet at off: straight from the packet when they are
 * in its linear part (the usual case), else through the helper. */
#define LEARN_DIRECT_MAX 256
static __always_inline long learn_read(struct __sk_buff *skb, __u32 off, void *to,
				       const __u32 len)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;

	if (off < LEARN_DIRECT_MAX) {
		void *at = data + off;

		if (at + len <= end) {
			__builtin_memcpy(to, at, len);
			return 0;
		}
	}
	return bpf_skb_load_bytes(skb, off, to, len);
}

enum learn_l4 {
	LEARN_SKIP,             /* neighbour discovery: neither learn nor steer */
	LEARN_PAIR,             /* the address pair only */
	LEARN_FLOW,             /* the 5-tuple in p->key too */
};

/* The ports (or the echo id) of the packet into p->key. ICMP by protocol
 * number, not by family: the verifier follows one path for both. */
static __always_inline enum learn_l4 learn_parse_l4(struct __sk_buff *skb,
						    struct learn_pkt *p, bool request)
{
	__u8 proto = p->l4proto;
	struct {
		__be16 ports[2];        /* or: type, code, checksum */
		__be16 id;              /* echo */
		__be16 seq;
	} h;
	__u8 type;

	if (p->no_l4)
		return LEARN_PAIR;
	if (proto == LEARN_IPPROTO_TCP || proto == LEARN_IPPROTO_UDP ||
	    proto == LEARN_IPPROTO_UDPLITE || proto == LEARN_IPPROTO_SCTP ||
	    proto == LEARN_IPPROTO_DCCP) {
		if (learn_read(skb, p->l4off, &h, sizeof(h.ports)))
			return LEARN_PAIR;
		p->key.local_port = request ? h.ports[1] : h.ports[0];
		p->key.remote_port = request ? h.ports[0] : h.ports[1];
		p->key.proto = proto;
		return LEARN_FLOW;
	}
	if (proto != LEARN_IPPROTO_ICMP && proto != LEARN_IPPROTO_ICMPV6)
		return LEARN_PAIR;
	if (learn_read(skb, p->l4off, &h, sizeof(h)))
		return LEARN_PAIR;
	type = ((__u8 *)h.ports)[0];
	if (proto == LEARN_IPPROTO_ICMPV6 && type >= LEARN_ICMPV6_ND_FIRST &&
	    type <= LEARN_ICMPV6_ND_LAST)
		return LEARN_SKIP;
	if (type != (proto == LEARN_IPPROTO_ICMP ?
		     (request ? LEARN_ICMP_ECHO : LEARN_ICMP_ECHOREPLY) :
		     (request ? LEARN_ICMPV6_ECHO : LEARN_ICMPV6_ECHOREPLY)))
		return LEARN_PAIR;
	p->key.remote_port = h.id;
	p->key.proto = proto;
	return LEARN_FLOW;
}

/* The flow table, or NULL while the table has no learn route. */
static __always_inline void *learn_flows(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&steer_flows, &zero);
}

/* Does learn route r name the interface ifindex? */
static __always_inline bool learn_names(const struct steer_route *r, __u32 ifindex)
{
	int i;

	if (!(r->flags & STEER_ROUTE_LEARN))
		return false;
#pragma unroll
	for (i = 0; i < STEER_LEARN_MAX; i++)
		if (r->learn_ifindex[i] == ifindex)
			return true;
	return false;
}

/* The route of a request's destination (the local address). */
static __always_inline struct steer_route *learn_route_of(const struct steer_flow_key *k)
{
	if (k->family == STEER_FLOW_V4) {
		struct steer_key4 key = { .prefixlen = 32 };

		__builtin_memcpy(key.addr, k->local, sizeof(key.addr));
		return bpf_map_lookup_elem(&steer_v4, &key);
	}
	struct steer_key6 key = { .prefixlen = 128 };

	__builtin_memcpy(key.addr, k->local, sizeof(key.addr));
	return bpf_map_lookup_elem(&steer_v6, &key);
}

/* The request's Ethernet addresses the way the reply needs them: its
 * source (the router) first, then its destination (this interface). */
union learn_eth {
	__u8 b[12];
	__u32 w[3];
};

/* Record (or confirm) key's way back; false if the entry was there as it
 * is, and fresh. An unchanged entry is only touched to move seen_ns, at
 * most once a second: the lookup itself marks it used for the LRU. A
 * changed one is replaced whole, so the lookup never reads a half-written
 * MAC. */
static __always_inline bool learn_record(void *flows, const struct steer_flow_key *k,
					 const union learn_eth *eth, __u32 ifindex,
					 __u64 now)
{
	struct steer_flow *f = bpf_map_lookup_elem(flows, k);
	struct steer_flow nf = { .ifindex = ifindex, .seen_ns = now };

	if (f) {
		const __u32 *w = (const __u32 *)f->eth;

		if (f->ifindex == ifindex && w[0] == eth->w[0] && w[1] == eth->w[1] &&
		    w[2] == eth->w[2]) {
			if (now - f->seen_ns < LEARN_REFRESH_NS)
				return false;
			f->seen_ns = now;
			return true;
		}
	}
	__builtin_memcpy(nf.eth, eth->b, sizeof(nf.eth));
	bpf_map_update_elem(flows, k, &nf, BPF_ANY);
	return true;
}

/* The learner: ingress of the interfaces learn routes name. Untagged
 * frames to this host's MAC only: the destination MAC becomes the reply's
 * source, so a broadcast, multicast or promiscuously received frame must
 * not teach anything, and a VLAN is learned on its own device (name
 * eth1.100, not eth1). */
static __always_inline int steer_learn_packet(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct steer_eth_hdr *eth = data;
	struct learn_pkt p = {};
	struct steer_route *route;
	enum learn_l4 l4;
	union learn_eth mac;
	void *flows;
	__u64 now;

	if ((void *)(eth + 1) > end || skb->pkt_type != LEARN_PACKET_HOST ||
	    skb->vlan_present)
		return STEER_PASS;
	if (!learn_parse_l3(skb, eth + 1, end, eth->proto, sizeof(*eth), true, &p))
		return STEER_PASS;
	route = learn_route_of(&p.key);
	if (!route || !learn_names(route, skb->ifindex))
		return STEER_PASS;
	flows = learn_flows();
	if (!flows)
		return STEER_PASS;
	__builtin_memcpy(mac.b, eth->src, ETH_ALEN);
	__builtin_memcpy(mac.b + ETH_ALEN, eth->dst, ETH_ALEN);
	l4 = learn_parse_l4(skb, &p, true);
	if (l4 == LEARN_SKIP)
		return STEER_PASS;
	now = bpf_ktime_get_ns();
	/* A flow that teaches nothing new leaves its pair alone too: the
	 * pair follows the requests that do (a new or moved flow, and each
	 * flow once a second), which halves the steady state's cost. */
	if (l4 == LEARN_FLOW && !learn_record(flows, &p.key, &mac, skb->ifindex, now))
		return STEER_PASS;
	p.key.proto = 0;
	p.key.local_port = p.key.remote_port = 0;
	learn_record(flows, &p.key, &mac, skb->ifindex, now);
	return STEER_PASS;
}

/* What the lookup needs of the route: the steering program hands it over
 * in skb->cb[] (free for tc programs, and 5 words: exactly these). */
struct learn_ways {
	__u32 slot;
	__u32 ifindex[STEER_LEARN_MAX];
};

static __always_inline bool learn_way_named(const struct learn_ways *w, __u32 ifindex)
{
	int i;

#pragma unroll
	for (i = 0; i < STEER_LEARN_MAX; i++)
		if (w->ifindex[i] == ifindex)
			return true;
	return false;
}

/* The flow's way back, or NULL: never seen, forgotten, learned on an
 * interface the route no longer names, or neighbour discovery. A packet
 * with ports is found by its flow only (a new flow from this host is not
 * a reply); one without (a later fragment, an ICMP error, another
 * protocol) by its address pair. *tag: a tag in the data; p: the parse. */
static __always_inline struct steer_flow *learn_lookup(struct __sk_buff *skb,
						       const struct learn_ways *w,
						       struct steer_tag *tag,
						       struct learn_pkt *p)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct steer_eth_hdr *eth = data;
	void *l3 = eth + 1;
	__u32 l3off = sizeof(*eth);
	struct steer_flow *f;
	__be16 proto;
	void *flows;

	flows = learn_flows();
	if (!flows || l3 > end)
		return NULL;
	proto = eth->proto;
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD)) {
		struct steer_vlan_hdr *vh = l3;

		if ((void *)(vh + 1) > end)
			return NULL;
		tag->proto = proto;
		tag->tci = bpf_ntohs(vh->tci);
		proto = vh->encap_proto;
		l3 = vh + 1;
		l3off += sizeof(*vh);
	}
	if (!learn_parse_l3(skb, l3, end, proto, l3off, false, p) ||
	    learn_parse_l4(skb, p, false) == LEARN_SKIP)
		return NULL;
	f = bpf_map_lookup_elem(flows, &p->key);
	if (!f || !learn_way_named(w, f->ifindex))
		return NULL;
	return f;
}

/* The steering program's branch for a packet whose source matched learn
 * route `route` (its verdict): on to steer_reply with the route in cb[].
 * While the table has no learn route, steer_tail is empty and the jump
 * falls through: the packet is counted as passed. The via path pays the
 * one test of the route's flags. */
static __always_inline int steer_learn_route(struct __sk_buff *skb,
					     const struct steer_route *route)
{
	struct steer_counter *c;
	__u32 slot = route->slot;
	int i;

	skb->cb[0] = slot;
#pragma unroll
	for (i = 0; i < STEER_LEARN_MAX; i++)
		skb->cb[1 + i] = route->learn_ifindex[i];
	bpf_tail_call(skb, &steer_tail, 0);
	c = counter(slot);
	if (c)
		c->passed += 1;
	return STEER_PASS;
}

/* A packet of a learned flow too big for the flow's interface: the ICMP
 * error a router there would send (steer_toobig.h). No router address is
 * known, only its MAC: the error comes from the packet's own destination,
 * which is what steer_toobig4() does for a route without an IPv4 next
 * hop, and what an IPv6 "next hop" of that address makes it do. */
static __always_inline int learn_toobig(struct __sk_buff *skb, const struct steer_flow *f,
					const struct learn_pkt *p, __u32 mtu)
{
	struct steer_route r = { .ifindex = f->ifindex };

	if (p->key.family == STEER_FLOW_V6) {
		r.nh.nh_family = AF_INET6;
		__builtin_memcpy(r.nh.ipv6_nh, p->key.remote, sizeof(r.nh.ipv6_nh));
	}
	return steer_toobig(skb, &r, mtu);
}

/* steer_reply's verdict: a flow never seen is counted as passed and left
 * to the main table, as is one whose way back is the interface it is
 * leaving by already, or is gone; a learned one leaves by the interface
 * its request came in on, with the Ethernet addresses of that request
 * swapped, counted as steered, if it fits that interface's MTU (else the
 * sender is told, as for a via route). bpf_redirect(), not
 * bpf_redirect_neigh(): the router's MAC is all that is known, not its
 * address. The VLAN tag of the primary link goes, as for a via route. The
 * MACs go in with bpf_skb_store_bytes(), which makes them writable first
 * where the skb is a clone (a direct write would have the verifier do that
 * in a prologue, and the pop invalidates the packet pointers anyway). */
static __always_inline int steer_reply_packet(struct __sk_buff *skb, const bool check_mtu)
{
	struct steer_tag tag = { 0 };
	struct learn_pkt p = {};
	struct learn_ways w;
	struct steer_counter *c;
	struct steer_flow *f;
	__u32 mtu = 0;
	long ret;
	int i;

	w.slot = skb->cb[0];
#pragma unroll
	for (i = 0; i < STEER_LEARN_MAX; i++)
		w.ifindex[i] = skb->cb[1 + i];
	c = counter(w.slot);
	f = learn_lookup(skb, &w, &tag, &p);
	if (!f) {
		if (c)
			c->passed += 1;
		return STEER_PASS;
	}
	if (f->ifindex == skb->ifindex)
		return STEER_PASS;
	if (tag.proto || skb->vlan_present) {
		if (!tag.proto) {
			tag.proto = (__be16)skb->vlan_proto;
			tag.tci = (__u16)skb->vlan_tci;
		}
		if (bpf_skb_vlan_pop(skb))
			return STEER_PASS;
	}
	if (check_mtu) {
		ret = bpf_check_mtu(skb, f->ifindex, &mtu, 0, BPF_MTU_CHK_SEGS);
		if (ret == -STEER_ENODEV) {
			/* Its interface is gone: the main table may have a way. */
			if (c)
				c->passed += 1;
			if (tag.proto)
				bpf_skb_vlan_push(skb, tag.proto, tag.tci);
			return STEER_PASS;
		}
		if (ret > 0) {
			ret = learn_toobig(skb, f, &p, mtu);
			if (c)
				c->toobig += 1;
			return (int)ret;
		}
	}
	if (c) {
		c->packets += 1;
		c->bytes += skb->len;
	}
	if (bpf_skb_store_bytes(skb, 0, f->eth, sizeof(f->eth), 0))
		return STEER_PASS;
	return bpf_redirect(f->ifindex, 0);
}

#endif
