/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/* The steering program's slow path (included by steer.bpf.c): a packet too
 * big for its route's interface is turned, in place, into the ICMP error a
 * router on that interface's link would send about it, and handed to the
 * local stack. The stack records the path MTU for the packet's destination:
 * TCP shrinks its segments and retransmits, IPv4 without DF and IPv6 are
 * fragmented by the sender from then on (the program cannot fragment).
 *
 *   IPv4: type 3 code 4 "fragmentation needed", next-hop MTU = the
 *         interface's MTU, quoting the packet's first 548 bytes at most
 *         (576 in all, as Linux's icmp_send()). Sent for packets without DF
 *         too, where a router would fragment: the stack lowers its path MTU
 *         all the same and fragments the next ones itself; the one packet
 *         is lost. Never about a fragment other than the first, nor about
 *         an ICMP error (RFC 1812 4.3.2.7).
 *   IPv6: type 2 "packet too big", MTU, quoting up to 1232 bytes (1280 in
 *         all, RFC 4443 2.4(c)): the whole extension header chain and what
 *         follows. Never about an ICMPv6 error (RFC 4443 2.4(e)).
 *
 * The error comes from the route's next hop (the router that would have
 * refused the packet) to the packet's source, and is received on the
 * route's interface, from the next hop's MAC to the interface's own (both
 * from bpf_fib_lookup(); broadcast if the next hop is not resolved). So
 * rp_filter sees what it would see from a real router: the next hop is on
 * that link. An IPv4 packet with an IPv6 next hop gets an error from its
 * own destination instead (an ICMP needs an IPv4 source), which loose
 * rp_filter accepts, as the interface needs anyway.
 *
 * Everything here runs once per packet that is dropped, not per packet
 * steered. The original packet is consumed either way: the return value is
 * TC_ACT_REDIRECT (the error goes in) or TC_ACT_SHOT (nothing to say). */
#ifndef TCSTEER_STEER_TOOBIG_H
#define TCSTEER_STEER_TOOBIG_H

#include <linux/icmpv6.h>
#include <linux/in.h>
#include <linux/in6.h>

/* <linux/icmp.h> pulls in libc's <sys/socket.h>; its few numbers: */
#define ICMP_DEST_UNREACH 3
#define ICMP_FRAG_NEEDED 4
#define ICMP_SOURCE_QUENCH 4
#define ICMP_REDIRECT 5
#define ICMP_TIME_EXCEEDED 11
#define ICMP_PARAMETERPROB 12
#define NR_ICMP_TYPES 18

#define TOOBIG_L3 ETH_HLEN              /* the VLAN tag is gone by now */
#define TOOBIG_QUOTE4_MAX 548           /* 576 - 20 - 8 */
#define TOOBIG_QUOTE6_MAX 1232          /* 1280 - 40 - 8 */
#define TOOBIG_CHUNK 128                /* bytes summed per helper call */
#define TOOBIG_CHUNKS ((TOOBIG_QUOTE6_MAX + TOOBIG_CHUNK - 1) / TOOBIG_CHUNK)
#define TOOBIG_EXT_MAX 8                /* IPv6 extension headers walked */
#define TOOBIG_TTL 64
#define TOOBIG_IP_OFFSET 0x1fff         /* include/net/ip.h's IP_OFFSET */

#ifndef AF_INET
#define AF_INET 2
#define AF_INET6 10
#endif

/* ICMP and ICMPv6 errors share this layout: type, code, checksum, then
 * 4 bytes that hold the MTU (IPv4: its low 2 bytes, the next-hop MTU). */
struct toobig_icmp {
	__u8 type;
	__u8 code;
	__sum16 csum;
	__be32 info;
};

/* The IPv6 pseudo header of the ICMPv6 checksum (RFC 8200 8.1). */
struct toobig_pseudo6 {
	struct in6_addr saddr;
	struct in6_addr daddr;
	__be32 len;
	__u8 zero[3];
	__u8 next;
};

static __always_inline __sum16 toobig_fold(__s64 sum)
{
	__u32 s = (__u32)sum;

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__sum16)~s;
}

/* The one's complement sum of len bytes (a multiple of 4, from 4 to
 * TOOBIG_QUOTE6_MAX) of the packet from off, added to seed. Negative if
 * the packet is shorter. Whole chunks first, then the rest (1 to
 * TOOBIG_CHUNK bytes): both sizes are bounded in ways every verifier since
 * 5.12 follows, a constant and a mask plus one (6.1's does not learn
 * "not zero" from a test against 0). */
static __always_inline __s64 toobig_sum(struct __sk_buff *skb, __u32 off,
					__u32 len, __s64 seed)
{
	__u8 buf[TOOBIG_CHUNK];
	__u32 rest;
	int i;

	/* Without CAP_PERFMON the verifier wants every byte a helper may
	 * read initialised, and it cannot tell that bpf_skb_load_bytes()
	 * wrote the `rest` bytes that bpf_csum_diff() reads. */
	__builtin_memset(buf, 0, sizeof(buf));
	for (i = 0; i < TOOBIG_CHUNKS && len > TOOBIG_CHUNK; i++) {
		if (bpf_skb_load_bytes(skb, off, buf, TOOBIG_CHUNK))
			return -1;
		seed = bpf_csum_diff(NULL, 0, (__be32 *)buf, TOOBIG_CHUNK,
				     (__u32)seed);
		if (seed < 0)
			return seed;
		off += TOOBIG_CHUNK;
		len -= TOOBIG_CHUNK;
	}
	rest = ((len - 1) & (TOOBIG_CHUNK - 1)) + 1;
	if (bpf_skb_load_bytes(skb, off, buf, rest))
		return -1;
	return bpf_csum_diff(NULL, 0, (__be32 *)buf, rest, (__u32)seed);
}

/* How much of the packet's L3 to quote: as much as fits under the cap, in
 * whole 32-bit words (what bpf_csum_diff() sums), enough for the header
 * and 8 bytes of what follows (what the receiver reads), or 0. Always
 * less than the whole packet, so that bpf_skb_change_tail() trims it: a
 * trim turns CHECKSUM_COMPLETE (a packet received on ingress) into
 * CHECKSUM_NONE, so the stores that follow leave no stale skb->csum and
 * the receiver checks the error's checksum itself. */
static __always_inline __u32 toobig_quote_len(struct __sk_buff *skb,
					      __u32 cap, __u32 needed)
{
	__u32 len = skb->len - TOOBIG_L3 - 1;

	if (len > cap)
		len = cap;
	len &= ~3u;
	return len >= needed ? len : 0;
}

/* Cut the packet to its L2 header and `quote` bytes of L3, then open
 * `room` bytes between the two for the error's IP and ICMP headers. Both
 * helpers linearise the packet and drop its GSO state, which is what an
 * ICMP error wants. */
static __always_inline int toobig_reshape(struct __sk_buff *skb, __u32 quote,
					  __u32 room)
{
	if (bpf_skb_change_tail(skb, TOOBIG_L3 + quote, 0))
		return -1;
	return bpf_skb_adjust_room(skb, (__s32)room, BPF_ADJ_ROOM_MAC, 0) ?
	       -1 : 0;
}

/* The error's MAC addresses: from the next hop to the route's interface,
 * as bpf_fib_lookup() finds them (they were looked up before the error
 * got its addresses, so the packet's own length does not matter: tot_len
 * is small). A next hop the FIB does not put on that interface, or whose
 * neighbour entry is not valid, leaves the interface's MAC unknown: the
 * frame is then sent to broadcast, which the stack accepts too. */
static __always_inline void toobig_macs(struct __sk_buff *skb,
					const struct steer_route *route)
{
	struct bpf_fib_lookup fib = { 0 };
	struct steer_eth_hdr eth;

	fib.family = (__u8)route->nh.nh_family;
	fib.ifindex = route->ifindex;
	fib.tot_len = 64;
	if (fib.family == AF_INET)
		fib.ipv4_dst = route->nh.ipv4_nh;
	else
		__builtin_memcpy(fib.ipv6_dst, route->nh.ipv6_nh,
				 sizeof(fib.ipv6_dst));
	if (bpf_skb_load_bytes(skb, 0, &eth, sizeof(eth)))
		return;
	if (bpf_fib_lookup(skb, &fib, sizeof(fib), BPF_FIB_LOOKUP_DIRECT |
			   BPF_FIB_LOOKUP_OUTPUT) == BPF_FIB_LKUP_RET_SUCCESS &&
	    fib.ifindex == route->ifindex) {
		__builtin_memcpy(eth.dst, fib.smac, ETH_ALEN);
		__builtin_memcpy(eth.src, fib.dmac, ETH_ALEN);
	} else {
		/* Some router's MAC (the primary's gateway) as the source. */
		__builtin_memcpy(eth.src, eth.dst, ETH_ALEN);
		__builtin_memset(eth.dst, 0xff, ETH_ALEN);
	}
	bpf_skb_store_bytes(skb, 0, &eth, 2 * ETH_ALEN, 0);
}

/* The error, built: give it to the stack as if it came in on the route's
 * interface. The mark and departure time were the original packet's. */
static __always_inline int toobig_deliver(struct __sk_buff *skb,
					  const struct steer_route *route)
{
	toobig_macs(skb, route);
	skb->mark = 0;
	skb->tstamp = 0;
	return (int)bpf_redirect(route->ifindex, BPF_F_INGRESS);
}

/* ICMP types that are errors (and unknown ones): never answered. */
static __always_inline bool icmp4_is_error(__u8 type)
{
	return type > NR_ICMP_TYPES || type == ICMP_DEST_UNREACH ||
	       type == ICMP_SOURCE_QUENCH || type == ICMP_REDIRECT ||
	       type == ICMP_TIME_EXCEEDED || type == ICMP_PARAMETERPROB;
}

static __always_inline int steer_toobig4(struct __sk_buff *skb,
				    const struct steer_route *route,
				    __u32 mtu)
{
	struct toobig_icmp icmp = { .type = ICMP_DEST_UNREACH,
				    .code = ICMP_FRAG_NEEDED };
	struct iphdr ip, err;
	__u32 ihl, quote;
	__u8 type;
	__s64 sum;

	if (bpf_skb_load_bytes(skb, TOOBIG_L3, &ip, sizeof(ip)))
		return TC_ACT_SHOT;
	ihl = ip.ihl * 4;
	if (ihl < sizeof(ip) || (ip.frag_off & bpf_htons(TOOBIG_IP_OFFSET)))
		return TC_ACT_SHOT;
	if (ip.protocol == IPPROTO_ICMP &&
	    (bpf_skb_load_bytes(skb, TOOBIG_L3 + ihl, &type, 1) ||
	     icmp4_is_error(type)))
		return TC_ACT_SHOT;
	quote = toobig_quote_len(skb, TOOBIG_QUOTE4_MAX, ihl + 8);
	if (!quote || toobig_reshape(skb, quote, sizeof(err) + sizeof(icmp)))
		return TC_ACT_SHOT;

	__builtin_memset(&err, 0, sizeof(err));
	err.version = 4;
	err.ihl = 5;
	/* What Linux's icmp_send() sets: the packet's TOS bits, precedence
	 * "internetwork control". */
	err.tos = (ip.tos & IPTOS_TOS_MASK) | IPTOS_PREC_INTERNETCONTROL;
	err.tot_len = bpf_htons(sizeof(err) + sizeof(icmp) + quote);
	err.ttl = TOOBIG_TTL;
	err.protocol = IPPROTO_ICMP;
	err.saddr = route->nh.nh_family == AF_INET ? route->nh.ipv4_nh
						    : ip.daddr;
	err.daddr = ip.saddr;
	err.check = toobig_fold(bpf_csum_diff(NULL, 0, (__be32 *)&err,
					      sizeof(err), 0));

	icmp.info = bpf_htonl(mtu < 0xffff ? mtu : 0xffff);
	sum = bpf_csum_diff(NULL, 0, (__be32 *)&icmp, sizeof(icmp), 0);
	sum = toobig_sum(skb, TOOBIG_L3 + sizeof(err) + sizeof(icmp), quote,
			 sum);
	if (sum < 0)
		return TC_ACT_SHOT;
	icmp.csum = toobig_fold(sum);

	if (bpf_skb_store_bytes(skb, TOOBIG_L3, &err, sizeof(err), 0) ||
	    bpf_skb_store_bytes(skb, TOOBIG_L3 + sizeof(err), &icmp,
				sizeof(icmp), 0))
		return TC_ACT_SHOT;
	return toobig_deliver(skb, route);
}

/* Whether the IPv6 packet is an ICMPv6 error (or cannot be told apart from
 * one): its extension headers walked to the upper layer. A fragment other
 * than the first has no upper-layer header to look at: not an error. */
static __always_inline bool icmp6_is_error(struct __sk_buff *skb, __u8 next)
{
	__u32 off = TOOBIG_L3 + sizeof(struct ipv6hdr);
	struct {
		__u8 next;
		__u8 len;
		__be16 frag_off;        /* the fragment header's */
	} ext;
	__u8 type;
	int i;

	for (i = 0; i < TOOBIG_EXT_MAX; i++) {
		if (next == IPPROTO_ICMPV6)
			return bpf_skb_load_bytes(skb, off, &type, 1) ||
			       !(type & ICMPV6_INFOMSG_MASK);
		if (next != IPPROTO_HOPOPTS && next != IPPROTO_ROUTING &&
		    next != IPPROTO_DSTOPTS && next != IPPROTO_FRAGMENT &&
		    next != IPPROTO_AH)
			return false;
		if (bpf_skb_load_bytes(skb, off, &ext, sizeof(ext)))
			return true;
		if (next == IPPROTO_FRAGMENT) {
			if (ext.frag_off & bpf_htons(0xfff8))
				return false;
			off += 8;
		} else if (next == IPPROTO_AH) {
			off += (ext.len + 2) * 4;
		} else {
			off += (ext.len + 1) * 8;
		}
		next = ext.next;
	}
	return false;
}

static __always_inline int steer_toobig6(struct __sk_buff *skb,
				    const struct steer_route *route,
				    __u32 mtu)
{
	struct toobig_icmp icmp = { .type = ICMPV6_PKT_TOOBIG };
	struct toobig_pseudo6 ph = { .next = IPPROTO_ICMPV6 };
	struct ipv6hdr ip6, err;
	__u32 quote;
	__s64 sum;

	/* The CLI refuses IPv4 next hops for IPv6 prefixes. */
	if (route->nh.nh_family != AF_INET6 ||
	    bpf_skb_load_bytes(skb, TOOBIG_L3, &ip6, sizeof(ip6)) ||
	    icmp6_is_error(skb, ip6.nexthdr))
		return TC_ACT_SHOT;
	quote = toobig_quote_len(skb, TOOBIG_QUOTE6_MAX, sizeof(ip6) + 8);
	if (!quote || toobig_reshape(skb, quote, sizeof(err) + sizeof(icmp)))
		return TC_ACT_SHOT;

	__builtin_memset(&err, 0, sizeof(err));
	err.version = 6;
	err.payload_len = bpf_htons(sizeof(icmp) + quote);
	err.nexthdr = IPPROTO_ICMPV6;
	err.hop_limit = TOOBIG_TTL;
	__builtin_memcpy(&err.saddr, route->nh.ipv6_nh, sizeof(err.saddr));
	err.daddr = ip6.saddr;

	ph.saddr = err.saddr;
	ph.daddr = err.daddr;
	ph.len = bpf_htonl(sizeof(icmp) + quote);
	icmp.info = bpf_htonl(mtu);
	sum = bpf_csum_diff(NULL, 0, (__be32 *)&ph, sizeof(ph), 0);
	sum = bpf_csum_diff(NULL, 0, (__be32 *)&icmp, sizeof(icmp), (__u32)sum);
	sum = toobig_sum(skb, TOOBIG_L3 + sizeof(err) + sizeof(icmp), quote,
			 sum);
	if (sum < 0)
		return TC_ACT_SHOT;
	icmp.csum = toobig_fold(sum);

	if (bpf_skb_store_bytes(skb, TOOBIG_L3, &err, sizeof(err), 0) ||
	    bpf_skb_store_bytes(skb, TOOBIG_L3 + sizeof(err), &icmp,
				sizeof(icmp), 0))
		return TC_ACT_SHOT;
	return toobig_deliver(skb, route);
}

/* The packet (untagged by now) did not fit route's interface, whose MTU is
 * mtu. */
static __always_inline int steer_toobig(struct __sk_buff *skb,
					const struct steer_route *route,
					__u32 mtu)
{
	if (skb->protocol == bpf_htons(ETH_P_IP))
		return steer_toobig4(skb, route, mtu);
	if (skb->protocol == bpf_htons(ETH_P_IPV6))
		return steer_toobig6(skb, route, mtu);
	return TC_ACT_SHOT;
}

#endif
