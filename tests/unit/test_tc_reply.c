/* SPDX-License-Identifier: MIT */
/* The pure reply parsers (tc_parse_filter_msg, neigh_parse_msg) and the
 * printer on real, crafted, cut, oversized and random messages: right
 * fields when the message is sound, a clean error and no out-of-bounds
 * access (run it under ASan: -DTCSTEER_SANITIZE=ON) when it is not. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/pkt_cls.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "neigh.h"
#include "tc.h"

static size_t hex_decode(const char *hex, unsigned char *out, size_t max)
{
	size_t n = 0;
	unsigned int v;

	while (hex[0] && hex[1]) {
		assert_true(n < max);
		assert_int_equal(sscanf(hex, "%2x", &v), 1);
		out[n++] = (unsigned char)v;
		hex += 2;
	}
	return n;
}

/* Parse from an exact-size heap copy, so ASan sees any overread. */
static int parse_copy(const void *msg, size_t len, struct tc_filter_info *out)
{
	void *copy = malloc(len ? len : 1);
	int ret;

	assert_non_null(copy);
	memcpy(copy, msg, len);
	ret = tc_parse_filter_msg(copy, len, out);
	free(copy);
	return ret;
}

union msgbuf {
	struct nlmsghdr align;
	unsigned char b[1024];
};

/* A dump reply message the way cls_bpf_dump writes one. */
static struct nlmsghdr *craft_filter(union msgbuf *buf, const char *kind,
				     bool nested_flag)
{
	static const uint8_t tag[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct nlmsghdr *nlh;
	struct tcmsg *tcm;
	struct nlattr *opts;

	memset(buf, 0, sizeof(*buf));
	nlh = mnl_nlmsg_put_header(buf->b);
	nlh->nlmsg_type = RTM_NEWTFILTER;
	nlh->nlmsg_flags = NLM_F_MULTI;
	tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	tcm->tcm_ifindex = 3;
	tcm->tcm_handle = 1;
	tcm->tcm_parent = TC_PARENT_EGRESS;
	tcm->tcm_info = (49152u << 16) | htons(0x0003);
	mnl_attr_put_strz(nlh, TCA_KIND, kind);
	mnl_attr_put_u32(nlh, TCA_CHAIN, 0);
	opts = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	if (!nested_flag)
		opts->nla_type = TCA_OPTIONS;
	mnl_attr_put_strz(nlh, TCA_BPF_NAME, "SchedCLS(steer)#5");
	mnl_attr_put_u32(nlh, TCA_BPF_ID, 42);
	mnl_attr_put(nlh, TCA_BPF_TAG, sizeof(tag), tag);
	mnl_attr_put_u32(nlh, 200, 0xdeadbeef); /* unknown: skipped */
	mnl_attr_put_u32(nlh, TCA_BPF_FLAGS, TCA_BPF_FLAG_ACT_DIRECT);
	mnl_attr_put_u32(nlh, TCA_BPF_FLAGS_GEN, 8);
	mnl_attr_nest_end(nlh, opts);
	mnl_attr_put(nlh, 300, 3, "abc"); /* unknown, odd size */
	return nlh;
}

/* One RTM_NEWTFILTER of a real `tc filter show dev va egress` answer
 * (kernel 6.18, strace -e read=): prio 49151, handle 1, chain 0, options
 * NAME, ID 237, TAG, FLAGS 1, FLAGS_GEN 8 (not_in_hw). */
static void test_real_reply(void **state)
{
	unsigned char msg[256];
	struct tc_filter_info f;
	static const uint8_t tag[8] = {
		0x59, 0xf4, 0xa9, 0x31, 0x74, 0x4d, 0xcd, 0xc6 };
	size_t n = hex_decode(
		"740000002c00020028ce046b8d3f0000000000000300000001000000"
		"f3ffffff0003ffbf080001006270660008000b000000000040000200"
		"180007005363686564434c532874635f706173732923340008000b00"
		"ed0000000c000a0059f4a931744dcdc60800080001000000080009000"
		"8000000", msg, sizeof(msg));

	assert_int_equal(n, 116);
	assert_int_equal(parse_copy(msg, n, &f), 0);
	assert_int_equal(f.parent, TC_PARENT_EGRESS);
	assert_int_equal(f.prio, 49151);
	assert_int_equal(f.handle, 1);
	assert_int_equal(f.protocol, 0x0003);
	assert_string_equal(f.kind, "bpf");
	assert_string_equal(f.name, "SchedCLS(tc_pass)#4");
	assert_int_equal(f.prog_id, 237);
	assert_true(f.has_tag);
	assert_memory_equal(f.tag, tag, 8);
	assert_true(f.direct_action);
}

static void test_crafted_reply(void **state)
{
	static const uint8_t tag[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	union msgbuf buf;
	struct tc_filter_info f;
	struct nlmsghdr *nlh;
	int nested;

	for (nested = 0; nested <= 1; nested++) {
		nlh = craft_filter(&buf, "bpf", nested);
		assert_int_equal(parse_copy(nlh, nlh->nlmsg_len, &f), 0);
		assert_int_equal(f.prio, 49152);
		assert_int_equal(f.protocol, 3);
		assert_string_equal(f.name, "SchedCLS(steer)#5");
		assert_int_equal(f.prog_id, 42);
		assert_memory_equal(f.tag, tag, 8);
		assert_true(f.direct_action);
	}
}

/* The header message of a prio (handle 0, no options) parses too. */
static void test_chain_header_message(void **state)
{
	unsigned char msg[64];
	struct tc_filter_info f;
	size_t n = hex_decode(
		"340000002c00020028ce046b8d3f0000000000000300000000000000"
		"f3ffffff0003ffbf080001006270660008000b0000000000",
		msg, sizeof(msg));

	assert_int_equal(parse_copy(msg, n, &f), 0);
	assert_int_equal(f.handle, 0);
	assert_int_equal(f.prio, 49151);
	assert_string_equal(f.kind, "bpf");
	assert_string_equal(f.name, "");
	assert_false(f.has_tag);
	assert_false(f.direct_action);
}

static void test_other_kind_ignores_options(void **state)
{
	union msgbuf buf;
	struct tc_filter_info f;
	struct nlmsghdr *nlh = craft_filter(&buf, "u32", false);

	assert_int_equal(parse_copy(nlh, nlh->nlmsg_len, &f), 0);
	assert_string_equal(f.kind, "u32");
	assert_string_equal(f.name, "");
	assert_int_equal(f.prog_id, 0);
	assert_false(f.direct_action);
}

static void test_options_before_kind(void **state)
{
	union msgbuf buf;
	struct tc_filter_info f;
	struct nlmsghdr *nlh;
	struct tcmsg *tcm;
	struct nlattr *opts;

	memset(&buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf.b);
	nlh->nlmsg_type = RTM_NEWTFILTER;
	tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	tcm->tcm_handle = 1;
	opts = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	mnl_attr_put_u32(nlh, TCA_BPF_ID, 7);
	mnl_attr_nest_end(nlh, opts);
	mnl_attr_put_strz(nlh, TCA_KIND, "bpf");
	assert_int_equal(parse_copy(nlh, nlh->nlmsg_len, &f), 0);
	assert_int_equal(f.prog_id, 7);
}

static void test_not_a_filter(void **state)
{
	union msgbuf buf;
	struct tc_filter_info f;
	struct nlmsghdr *nlh = craft_filter(&buf, "bpf", false);

	nlh->nlmsg_type = NLMSG_DONE;
	assert_int_equal(parse_copy(nlh, nlh->nlmsg_len, &f), -ENOMSG);
	nlh->nlmsg_type = RTM_NEWQDISC;
	assert_int_equal(parse_copy(nlh, nlh->nlmsg_len, &f), -ENOMSG);
}

static void test_bad_headers(void **state)
{
	union msgbuf buf;
	struct tc_filter_info f;
	struct nlmsghdr *nlh = craft_filter(&buf, "bpf", false);
	uint32_t full = nlh->nlmsg_len;

	assert_int_equal(tc_parse_filter_msg(NULL, 100, &f), -EBADMSG);
	assert_int_equal(parse_copy(nlh, 0, &f), -EBADMSG);
	assert_int_equal(parse_copy(nlh, 15, &f), -EBADMSG);
	/* Claims more than the buffer holds. */
	assert_int_equal(parse_copy(nlh, full - 1, &f), -EBADMSG);
	nlh->nlmsg_len = 0xffffffff;
	assert_int_equal(parse_copy(nlh, full, &f), -EBADMSG);
	/* Less than a header, or a header but no full tcmsg. */
	nlh->nlmsg_len = 8;
	assert_int_equal(parse_copy(nlh, full, &f), -EBADMSG);
	nlh->nlmsg_len = 16 + sizeof(struct tcmsg) - 1;
	assert_int_equal(parse_copy(nlh, full, &f), -EBADMSG);
	/* Just the tcmsg: fine, no attributes. */
	nlh->nlmsg_len = 16 + sizeof(struct tcmsg);
	assert_int_equal(parse_copy(nlh, full, &f), 0);
	assert_string_equal(f.kind, "");
}

/* Cut the message short at every length: an error or a clean partial
 * parse, never a read past the end. */
static void test_every_truncation(void **state)
{
	union msgbuf buf;
	struct tc_filter_info f;
	struct nlmsghdr *nlh = craft_filter(&buf, "bpf", true);
	uint32_t full = nlh->nlmsg_len, len;
	int ret;

	for (len = 0; len < full; len++) {
		nlh->nlmsg_len = len;
		ret = parse_copy(nlh, len, &f);
		assert_true(ret == 0 || ret == -EBADMSG);
	}
	/* Inside the options nest the cut is always seen (its nla_len then
	 * overruns the message). */
	nlh->nlmsg_len = full - 12;
	assert_int_equal(parse_copy(nlh, full - 12, &f), -EBADMSG);
}

/* The first attribute of type `type` at the top level. */
static struct nlattr *find_attr(struct nlmsghdr *nlh, uint16_t type)
{
	struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct tcmsg))
		if (mnl_attr_get_type(a) == type)
			return a;
	fail_msg("attribute %u not found", type);
	return NULL;
}

static struct nlattr *find_nested(struct nlattr *nest, uint16_t type)
{
	struct nlattr *a;

	mnl_attr_for_each_nested(a, nest)
		if (mnl_attr_get_type(a) == type)
			return a;
	fail_msg("nested attribute %u not found", type);
	return NULL;
}

static void expect_bad_after(void (*damage)(struct nlmsghdr *nlh))
{
	union msgbuf buf;
	struct tc_filter_info f;
	struct nlmsghdr *nlh = craft_filter(&buf, "bpf", false);

	damage(nlh);
	assert_int_equal(parse_copy(nlh, nlh->nlmsg_len, &f), -EBADMSG);
}

static void kind_without_nul(struct nlmsghdr *nlh)
{
	((char *)mnl_attr_get_payload(find_attr(nlh, TCA_KIND)))[3] = 'x';
}

static void kind_oversized(struct nlmsghdr *nlh)
{
	find_attr(nlh, TCA_KIND)->nla_len = 0x7ff0;
}

static void kind_undersized(struct nlmsghdr *nlh)
{
	find_attr(nlh, TCA_KIND)->nla_len = 2;
}

static void options_oversized(struct nlmsghdr *nlh)
{
	find_attr(nlh, TCA_OPTIONS)->nla_len += 64;
}

static void options_too_small(struct nlmsghdr *nlh)
{
	find_attr(nlh, TCA_OPTIONS)->nla_len = 6; /* payload < a header */
}

static void id_short(struct nlmsghdr *nlh)
{
	find_nested(find_attr(nlh, TCA_OPTIONS), TCA_BPF_ID)->nla_len = 6;
}

static void tag_short(struct nlmsghdr *nlh)
{
	find_nested(find_attr(nlh, TCA_OPTIONS), TCA_BPF_TAG)->nla_len = 11;
}

static void flags_long(struct nlmsghdr *nlh)
{
	/* 8-byte FLAGS: eat the FLAGS_GEN attribute that follows. */
	find_nested(find_attr(nlh, TCA_OPTIONS), TCA_BPF_FLAGS)->nla_len = 16;
}

static void name_without_nul(struct nlmsghdr *nlh)
{
	struct nlattr *a = find_nested(find_attr(nlh, TCA_OPTIONS),
				       TCA_BPF_NAME);

	((char *)mnl_attr_get_payload(a))[mnl_attr_get_payload_len(a) - 1] = '!';
}

static void nested_header_cut(struct nlmsghdr *nlh)
{
	find_nested(find_attr(nlh, TCA_OPTIONS), TCA_BPF_NAME)->nla_len = 3;
}

static void nested_overruns_nest(struct nlmsghdr *nlh)
{
	find_nested(find_attr(nlh, TCA_OPTIONS), TCA_BPF_FLAGS_GEN)->nla_len =
		200;
}

static void test_bad_attribute_lengths(void **state)
{
	expect_bad_after(kind_without_nul);
	expect_bad_after(kind_oversized);
	expect_bad_after(kind_undersized);
	expect_bad_after(options_oversized);
	expect_bad_after(options_too_small);
	expect_bad_after(id_short);
	expect_bad_after(tag_short);
	expect_bad_after(flags_long);
	expect_bad_after(name_without_nul);
	expect_bad_after(nested_header_cut);
	expect_bad_after(nested_overruns_nest);
}

static void test_long_strings_are_cut(void **state)
{
	static union msgbuf buf;
	struct tc_filter_info f;
	struct nlmsghdr *nlh;
	struct tcmsg *tcm;
	struct nlattr *opts;
	char name[700];

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	name[10] = '\n'; /* control bytes must not break a one-line report */
	memset(&buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf.b);
	nlh->nlmsg_type = RTM_NEWTFILTER;
	tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	(void)tcm;
	mnl_attr_put_strz(nlh, TCA_KIND, "bpfbpfbpfbpfbpfbpfbpf");
	mnl_attr_put_strz(nlh, TCA_KIND, "bpf"); /* the last one wins */
	opts = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	mnl_attr_put_strz(nlh, TCA_BPF_NAME, name);
	mnl_attr_nest_end(nlh, opts);
	assert_int_equal(parse_copy(nlh, nlh->nlmsg_len, &f), 0);
	assert_string_equal(f.kind, "bpf");
	assert_int_equal(strlen(f.name), sizeof(f.name) - 1);
	assert_int_equal(f.name[10], '?');
}

/* Deterministic PRNG: failures are reproducible. */
static uint32_t rng_state = 0x12345678;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static void print_to_null(const struct nlmsghdr *nlh)
{
	FILE *f = fopen("/dev/null", "w");

	assert_non_null(f);
	tc_print_message(f, nlh);
	fclose(f);
}

/* Flip every bit of a sound message, one at a time; then random bytes
 * behind a plausible header. Parser and printer must survive all. */
static void test_mutations_and_garbage(void **state)
{
	union msgbuf buf;
	struct tc_filter_info f;
	struct neigh_info ni;
	struct nlmsghdr *nlh = craft_filter(&buf, "bpf", true);
	uint32_t full = nlh->nlmsg_len, i, bit, len, k;
	unsigned char *m;
	int ret;

	for (i = 16; i < full; i++) {
		for (bit = 0; bit < 8; bit++) {
			buf.b[i] ^= 1u << bit;
			ret = parse_copy(nlh, full, &f);
			assert_true(ret == 0 || ret == -EBADMSG);
			m = malloc(full);
			memcpy(m, nlh, full);
			print_to_null((struct nlmsghdr *)m);
			free(m);
			buf.b[i] ^= 1u << bit;
		}
	}

	for (k = 0; k < 20000; k++) {
		len = 16 + rng() % 200;
		m = malloc(len);
		for (i = 0; i < len; i++)
			m[i] = rng();
		((struct nlmsghdr *)m)->nlmsg_len = len;
		((struct nlmsghdr *)m)->nlmsg_type =
			k & 1 ? RTM_NEWTFILTER : RTM_NEWNEIGH;
		ret = tc_parse_filter_msg((struct nlmsghdr *)m, len, &f);
		assert_true(ret == 0 || ret == -EBADMSG || ret == -ENOMSG);
		ret = neigh_parse_msg((struct nlmsghdr *)m, len, &ni);
		assert_true(ret == 0 || ret == -EBADMSG || ret == -ENOMSG);
		print_to_null((struct nlmsghdr *)m);
		free(m);
	}
}

static struct nlmsghdr *craft_neigh(union msgbuf *buf, size_t lladdr_len)
{
	static const uint8_t mac[40] = { 0x02, 0, 0, 0, 0, 0x2a };
	struct nlmsghdr *nlh;
	struct ndmsg *ndm;
	uint32_t dst = htonl(0x0a090002);

	memset(buf, 0, sizeof(*buf));
	nlh = mnl_nlmsg_put_header(buf->b);
	nlh->nlmsg_type = RTM_NEWNEIGH;
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = AF_INET;
	ndm->ndm_ifindex = 3;
	ndm->ndm_state = NUD_REACHABLE;
	ndm->ndm_flags = NTF_ROUTER;
	mnl_attr_put(nlh, NDA_DST, 4, &dst);
	mnl_attr_put(nlh, NDA_LLADDR, lladdr_len, mac);
	mnl_attr_put_u32(nlh, NDA_PROBES, 1);
	mnl_attr_put_u32(nlh, NDA_FLAGS_EXT, NTF_EXT_MANAGED);
	return nlh;
}

static void test_neigh_reply(void **state)
{
	static const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 0x2a };
	union msgbuf buf;
	struct neigh_info ni;
	struct nlmsghdr *nlh = craft_neigh(&buf, 6);
	uint32_t full = nlh->nlmsg_len, len;
	struct nlattr *a;
	int ret;

	assert_int_equal(neigh_parse_msg(nlh, full, &ni), 0);
	assert_int_equal(ni.state, NUD_REACHABLE);
	assert_int_equal(ni.flags, NTF_ROUTER);
	assert_int_equal(ni.ext_flags, NTF_EXT_MANAGED);
	assert_int_equal(ni.lladdr_len, 6);
	assert_memory_equal(ni.lladdr, mac, 6);

	for (len = 0; len < full; len++) {
		nlh->nlmsg_len = len;
		ret = neigh_parse_msg(nlh, len, &ni);
		assert_true(ret == 0 || ret == -EBADMSG);
	}
	nlh->nlmsg_len = full;

	/* Link-layer address longer than MAX_ADDR_LEN. */
	nlh = craft_neigh(&buf, 40);
	assert_int_equal(neigh_parse_msg(nlh, nlh->nlmsg_len, &ni), -EBADMSG);

	/* NDA_FLAGS_EXT of the wrong size. */
	nlh = craft_neigh(&buf, 6);
	mnl_attr_for_each(a, nlh, sizeof(struct ndmsg))
		if (mnl_attr_get_type(a) == NDA_FLAGS_EXT)
			a->nla_len = 6;
	assert_int_equal(neigh_parse_msg(nlh, nlh->nlmsg_len, &ni), -EBADMSG);

	nlh->nlmsg_type = RTM_NEWTFILTER;
	assert_int_equal(neigh_parse_msg(nlh, nlh->nlmsg_len, &ni), -ENOMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_reply),
		cmocka_unit_test(test_crafted_reply),
		cmocka_unit_test(test_chain_header_message),
		cmocka_unit_test(test_other_kind_ignores_options),
		cmocka_unit_test(test_options_before_kind),
		cmocka_unit_test(test_not_a_filter),
		cmocka_unit_test(test_bad_headers),
		cmocka_unit_test(test_every_truncation),
		cmocka_unit_test(test_bad_attribute_lengths),
		cmocka_unit_test(test_long_strings_are_cut),
		cmocka_unit_test(test_mutations_and_garbage),
		cmocka_unit_test(test_neigh_reply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
