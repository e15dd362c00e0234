/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/* The few declarations tcsteer's BPF programs need: section and map-definition
 * macros and the helpers they call. Helper numbers come from the kernel's
 * enum bpf_func_id in <linux/bpf.h>, so nothing here depends on libbpf. */
#ifndef TCSTEER_BPF_H
#define TCSTEER_BPF_H

#include <linux/bpf.h>
#include <linux/types.h>

#define SEC(name) __attribute__((section(name), used))
/* <linux/stddef.h> (pulled in by linux/ip.h and others) defines a weaker
 * __always_inline, plain __inline__; ours wins in either include order. */
#undef __always_inline
#define __always_inline inline __attribute__((always_inline))
#define __noinline __attribute__((noinline))

/* BTF-defined maps, in the layout libbpf and the kernel's selftests use. */
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
#define __array(name, val) typeof(val) *name[]

#define PIN_NONE 0
#define PIN_BY_NAME 1 /* LIBBPF_PIN_BY_NAME */

#ifndef TC_ACT_OK
#define TC_ACT_UNSPEC (-1)
#define TC_ACT_OK 0
#define TC_ACT_SHOT 2
#define TC_ACT_REDIRECT 7
#endif

#define bpf_htons(x) __builtin_bswap16(x)
#define bpf_ntohs(x) __builtin_bswap16(x)
#define bpf_htonl(x) __builtin_bswap32(x)
#define bpf_ntohl(x) __builtin_bswap32(x)

#define BPF_HELPER(ret, name, ...) \
	static ret (*bpf_##name)(__VA_ARGS__) = (void *)BPF_FUNC_##name

BPF_HELPER(void *, map_lookup_elem, void *map, const void *key);
BPF_HELPER(long, map_update_elem, void *map, const void *key,
	   const void *value, __u64 flags);
BPF_HELPER(long, map_delete_elem, void *map, const void *key);
BPF_HELPER(long, trace_printk, const char *fmt, __u32 fmt_size, ...);
BPF_HELPER(long, tail_call, void *ctx, void *prog_array, __u32 index);
BPF_HELPER(long, redirect, __u32 ifindex, __u64 flags);
BPF_HELPER(long, redirect_neigh, __u32 ifindex, struct bpf_redir_neigh *params,
	   int plen, __u64 flags);
BPF_HELPER(__u64, ktime_get_ns, void);
BPF_HELPER(long, skb_load_bytes, const void *skb, __u32 offset, void *to,
	   __u32 len);
BPF_HELPER(__u32, get_smp_processor_id, void);
BPF_HELPER(long, skb_vlan_pop, void *skb);
BPF_HELPER(long, skb_vlan_push, void *skb, __be16 vlan_proto, __u16 vlan_tci);
BPF_HELPER(long, check_mtu, void *ctx, __u32 ifindex, __u32 *mtu_len,
	   __s32 len_diff, __u64 flags);
BPF_HELPER(long, skb_store_bytes, void *skb, __u32 offset, const void *from,
	   __u32 len, __u64 flags);
BPF_HELPER(long, skb_change_tail, void *skb, __u32 len, __u64 flags);
BPF_HELPER(long, skb_adjust_room, void *skb, __s32 len_diff, __u32 mode,
	   __u64 flags);
BPF_HELPER(__s64, csum_diff, __be32 *from, __u32 from_size, __be32 *to,
	   __u32 to_size, __u32 seed);
BPF_HELPER(long, fib_lookup, void *ctx, struct bpf_fib_lookup *params,
	   int plen, __u32 flags);

#endif
