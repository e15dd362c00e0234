/* SPDX-License-Identifier: MIT */
/* Seed corpus generator, run at build time.
 *
 *   fuzz_seeds object OUTDIR OBJ...   each object as is, plus its .BTF
 *                                     section alone (<name>.btf)
 *   fuzz_seeds tc OUTDIR              netlink replies as the kernel writes
 *                                     them: filter dumps, neighbours, errors
 *
 * Seeds only need to be plausible: libFuzzer mutates from them, and the
 * replay test runs them (and all their prefixes) on every build. */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/pkt_cls.h>
#include <linux/rtnetlink.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "elf.h"
#include "errmsg.h"
#include "neigh.h"
#include "nexthop.h"
#include "tc.h"

#define SEED_MAX 8192

static const char *outdir;

static void write_seed(const char *name, const void *data, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", outdir, name);
	f = fopen(path, "wbe");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f)) {
		fprintf(stderr, "fuzz_seeds: cannot write %s: %s\n", path,
			strerror(errno));
		exit(1);
	}
}

static void *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rbe");
	long size;
	void *buf;

	if (!f || fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET)) {
		fprintf(stderr, "fuzz_seeds: cannot read %s\n", path);
		exit(1);
	}
	buf = malloc(size ? (size_t)size : 1);
	if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size) {
		fprintf(stderr, "fuzz_seeds: cannot read %s\n", path);
		exit(1);
	}
	fclose(f);
	*len = (size_t)size;
	return buf;
}

static int object_seeds(int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++) {
		const char *base = strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i];
		const struct elf_section *btf;
		struct elf_file ef;
		struct errmsg err;
		char name[512];
		size_t len;
		void *buf = read_file(argv[i], &len);

		write_seed(base, buf, len);
		if (!elf_open(&ef, buf, len, &err)) {
			btf = elf_section_by_name(&ef, ".BTF");
			if (btf && btf->data) {
				snprintf(name, sizeof(name), "%s.btf", base);
				write_seed(name, btf->data, btf->size);
			}
			elf_close(&ef);
		}
		free(buf);
	}
	return 0;
}

/* ---- netlink ------------------------------------------------------------ */

union seed {
	struct nlmsghdr align;
	unsigned char b[SEED_MAX];
};

static struct nlmsghdr *put_filter(void *at, uint32_t handle, const char *kind,
				   bool bpf_options)
{
	static const uint8_t tag[8] = { 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4 };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(at);
	struct tcmsg *tcm;
	struct nlattr *opts;

	nlh->nlmsg_type = RTM_NEWTFILTER;
	nlh->nlmsg_flags = NLM_F_MULTI;
	nlh->nlmsg_seq = 7;
	tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = 2;
	tcm->tcm_handle = handle;
	tcm->tcm_parent = TC_PARENT_EGRESS;
	tcm->tcm_info = (49152u << 16) | htons(0x0003);
	mnl_attr_put_strz(nlh, TCA_KIND, kind);
	mnl_attr_put_u32(nlh, TCA_CHAIN, 0);
	if (!handle)
		return nlh;
	opts = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	if (bpf_options) {
		mnl_attr_put_u32(nlh, TCA_BPF_FLAGS, TCA_BPF_FLAG_ACT_DIRECT);
		mnl_attr_put_strz(nlh, TCA_BPF_NAME, "SchedCLS(steer)#5");
		mnl_attr_put_u32(nlh, TCA_BPF_ID, 42);
		mnl_attr_put(nlh, TCA_BPF_TAG, sizeof(tag), tag);
	} else {
		mnl_attr_put_u32(nlh, 1 /* TCA_U32_CLASSID */, 0x10001);
	}
	mnl_attr_nest_end(nlh, opts);
	return nlh;
}

static struct nlmsghdr *put_done(void *at, int error)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(at);

	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_flags = NLM_F_MULTI;
	nlh->nlmsg_seq = 7;
	memcpy(mnl_nlmsg_put_extra_header(nlh, sizeof(error)), &error, sizeof(error));
	return nlh;
}

static struct nlmsghdr *put_neigh(void *at, int family, bool resolved)
{
	static const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 1 };
	static const uint8_t v6[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0,
					0, 0, 0, 0, 0, 0, 0, 1 };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(at);
	struct nda_cacheinfo ci = { 1, 2, 3, 1 };
	struct ndmsg *ndm;
	uint32_t v4 = htonl(0x0a000001);

	nlh->nlmsg_type = RTM_NEWNEIGH;
	nlh->nlmsg_seq = 9;
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = (uint8_t)family;
	ndm->ndm_ifindex = 3;
	ndm->ndm_state = resolved ? NUD_REACHABLE : NUD_INCOMPLETE;
	ndm->ndm_type = RTN_UNICAST;
	if (family == AF_INET)
		mnl_attr_put(nlh, NDA_DST, 4, &v4);
	else
		mnl_attr_put(nlh, NDA_DST, 16, v6);
	if (resolved)
		mnl_attr_put(nlh, NDA_LLADDR, sizeof(mac), mac);
	mnl_attr_put_u32(nlh, NDA_PROBES, 0);
	mnl_attr_put(nlh, NDA_CACHEINFO, sizeof(ci), &ci);
	mnl_attr_put_u32(nlh, NDA_FLAGS_EXT, NTF_EXT_MANAGED);
	return nlh;
}

/* The FIB entries the next-hop checks read: a connected route, one via a
 * gateway. */
static struct nlmsghdr *put_route(void *at, bool gateway)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(at);
	uint32_t dst = htonl(0x0a6fdd00), gw = htonl(0x0a6fdd15);
	struct rtmsg *rtm;

	nlh->nlmsg_type = RTM_NEWROUTE;
	nlh->nlmsg_seq = 11;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = gateway ? 0 : 24;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_KERNEL;
	rtm->rtm_scope = gateway ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put_u32(nlh, RTA_TABLE, RT_TABLE_MAIN);
	if (!gateway)
		mnl_attr_put(nlh, RTA_DST, 4, &dst);
	mnl_attr_put_u32(nlh, RTA_OIF, 3);
	if (gateway)
		mnl_attr_put(nlh, RTA_GATEWAY, 4, &gw);
	return nlh;
}

static struct nlmsghdr *put_addr(void *at)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(at);
	uint32_t a = htonl(0x0a6fdd0b), brd = htonl(0x0a6fddff);
	struct ifaddrmsg *ifa;

	nlh->nlmsg_type = RTM_NEWADDR;
	nlh->nlmsg_flags = NLM_F_MULTI;
	nlh->nlmsg_seq = 12;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = 24;
	ifa->ifa_index = 3;
	mnl_attr_put(nlh, IFA_ADDRESS, 4, &a);
	mnl_attr_put(nlh, IFA_LOCAL, 4, &a);
	mnl_attr_put(nlh, IFA_BROADCAST, 4, &brd);
	mnl_attr_put_strz(nlh, IFA_LABEL, "eth1");
	return nlh;
}

static struct nlmsghdr *put_link(void *at)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(at);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_seq = 13;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_index = 3;
	ifi->ifi_flags = 0x11043; /* UP|BROADCAST|RUNNING|MULTICAST|LOWER_UP */
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth1");
	mnl_attr_put_u32(nlh, IFLA_MTU, 1400);
	mnl_attr_put_u32(nlh, IFLA_TXQLEN, 1000);
	return nlh;
}

/* An error with extended-ACK text and the request echoed up to its header. */
static struct nlmsghdr *put_error(void *at, int error)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(at);
	struct nlmsgerr *e;

	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_flags = NLM_F_CAPPED | NLM_F_ACK_TLVS;
	nlh->nlmsg_seq = 7;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = -error;
	e->msg.nlmsg_len = 64;
	e->msg.nlmsg_type = RTM_NEWTFILTER;
	mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "Exclusivity flag on, cannot modify");
	mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, 36);
	return nlh;
}

static void seed_msg(const char *name, const struct nlmsghdr *nlh)
{
	write_seed(name, nlh, nlh->nlmsg_len);
}

/* Several messages in one buffer, the way a dump batch arrives. */
static void seed_dump(void)
{
	union seed s;
	size_t len = 0;
	struct nlmsghdr *nlh;

	memset(&s, 0, sizeof(s));
	nlh = put_filter(s.b, 0, "bpf", true);
	len += MNL_ALIGN(nlh->nlmsg_len);
	nlh = put_filter(s.b + len, 1, "bpf", true);
	len += MNL_ALIGN(nlh->nlmsg_len);
	nlh = put_filter(s.b + len, 0x800, "u32", false);
	len += MNL_ALIGN(nlh->nlmsg_len);
	nlh = put_done(s.b + len, 0);
	len += MNL_ALIGN(nlh->nlmsg_len);
	write_seed("dump-bpf-u32-done", s.b, len);
}

static int tc_seeds(void)
{
	uint32_t v4 = htonl(0x0a000001);
	union seed s;

	memset(&s, 0, sizeof(s));
	seed_msg("filter-bpf", put_filter(s.b, 1, "bpf", true));
	memset(&s, 0, sizeof(s));
	seed_msg("filter-prio-header", put_filter(s.b, 0, "bpf", true));
	memset(&s, 0, sizeof(s));
	seed_msg("filter-u32", put_filter(s.b, 0x800, "u32", false));
	seed_dump();
	memset(&s, 0, sizeof(s));
	seed_msg("neigh-v4-reachable", put_neigh(s.b, AF_INET, true));
	memset(&s, 0, sizeof(s));
	seed_msg("neigh-v6-incomplete", put_neigh(s.b, AF_INET6, false));
	memset(&s, 0, sizeof(s));
	seed_msg("route-connected", put_route(s.b, false));
	memset(&s, 0, sizeof(s));
	seed_msg("route-gateway", put_route(s.b, true));
	memset(&s, 0, sizeof(s));
	seed_msg("addr-v4", put_addr(s.b));
	memset(&s, 0, sizeof(s));
	seed_msg("link-eth1", put_link(s.b));
	memset(&s, 0, sizeof(s));
	seed_msg("error-ext-ack", put_error(s.b, EPERM));
	memset(&s, 0, sizeof(s));
	seed_msg("done-error", put_done(s.b, -EINVAL));
	/* What tcsteer itself sends: the printer's normal input. */
	memset(&s, 0, sizeof(s));
	seed_msg("req-filter-add", tc_build_bpf_filter(s.b, 1, 2, TC_PARENT_EGRESS, 5,
						       "SchedCLS(steer)#5"));
	memset(&s, 0, sizeof(s));
	seed_msg("req-clsact", tc_build_clsact(s.b, 1, 2));
	memset(&s, 0, sizeof(s));
	seed_msg("req-neigh-managed", neigh_build_managed(s.b, 1, 2, AF_INET, &v4));
	memset(&s, 0, sizeof(s));
	seed_msg("req-neigh-unmanage", neigh_build_unmanage(s.b, 1, 2, AF_INET, &v4, 0));
	memset(&s, 0, sizeof(s));
	seed_msg("req-route-get", nexthop_build_route_get(s.b, 1, AF_INET, &v4, 3));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "object")) {
		outdir = argv[2];
		return object_seeds(argc - 3, argv + 3);
	}
	if (argc == 3 && !strcmp(argv[1], "tc")) {
		outdir = argv[2];
		return tc_seeds();
	}
	fprintf(stderr, "usage: %s object OUTDIR OBJ... | tc OUTDIR\n", argv[0]);
	return 2;
}
