/* SPDX-License-Identifier: MIT */
/* The request builders of tcsteer_netlink, byte for byte: against the Go
 * reference's captured messages (the .hex files in $TCSTEER_GOLDEN),
 * against iproute2's for the neighbour request, and field by field for the
 * rest; plus the --dry-run printer. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <linux/neighbour.h>
#include <linux/pkt_cls.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "neigh.h"
#include "tc.h"

#define ALIGN4(x) (((x) + 3u) & ~3u)

/* Message buffers with the alignment a netlink header wants. */
union msgbuf {
	struct nlmsghdr align;
	unsigned char b[TC_MSG_MAX];
};

static size_t hex_decode(const char *hex, unsigned char *out, size_t max)
{
	size_t n = 0;
	unsigned int v;

	while (hex[0] && hex[1] && hex[0] != '\n') {
		assert_true(n < max);
		assert_int_equal(sscanf(hex, "%2x", &v), 1);
		out[n++] = (unsigned char)v;
		hex += 2;
	}
	return n;
}

/* One hex line from the golden directory. */
static size_t read_golden(const char *file, unsigned char *out, size_t max)
{
	const char *dir = getenv("TCSTEER_GOLDEN");
	char path[4096], line[4096];
	FILE *f;

	if (!dir)
		fail_msg("TCSTEER_GOLDEN is not set (ctest sets it to the "
			 "shared/netlink-golden directory)");
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s", path);
	if (!fgets(line, sizeof(line), f))
		fail_msg("%s is empty", path);
	fclose(f);
	return hex_decode(line, out, max);
}

static void assert_bytes(const void *got, size_t got_len, const void *want,
			 size_t want_len)
{
	const unsigned char *g = got, *w = want;
	size_t i;

	for (i = 0; i < got_len && i < want_len; i++)
		if (g[i] != w[i])
			fail_msg("byte %zu: got %02x, want %02x", i, g[i], w[i]);
	assert_int_equal(got_len, want_len);
}

static void test_clsact_matches_golden(void **state)
{
	unsigned char want[256];
	union msgbuf buf;
	struct nlmsghdr *nlh;
	size_t n = read_golden("qdisc_replace.hex", want, sizeof(want));

	/* Dirty buffer: padding must still come out zero. */
	memset(buf.b, 0xa5, sizeof(buf.b));
	nlh = tc_build_clsact(buf.b, 2, 3);
	assert_ptr_equal(nlh, buf.b);
	assert_bytes(nlh, nlh->nlmsg_len, want, n);
}

static void test_bpf_filter_matches_golden(void **state)
{
	unsigned char want[512];
	union msgbuf buf;
	struct nlmsghdr *nlh;
	size_t n = read_golden("filter_replace.hex", want, sizeof(want));

	memset(buf.b, 0xa5, sizeof(buf.b));
	nlh = tc_build_bpf_filter(buf.b, 3, 3, TC_PARENT_EGRESS, 7,
				  "SchedCLS(tc_pass)#7");
	assert_bytes(nlh, nlh->nlmsg_len, want, n);
}

/* libmnl's nest_start sets NLA_F_NESTED; the reference does not. */
static void test_options_without_nested_flag(void **state)
{
	union msgbuf buf;
	struct nlmsghdr *nlh;
	const unsigned char *b;

	nlh = tc_build_bpf_filter(buf.b, 1, 1, TC_PARENT_EGRESS, 7, "x");
	b = (const unsigned char *)nlh;
	/* TCA_OPTIONS header at 44: rta_type at 46 is 02 00. */
	assert_int_equal(b[46], TCA_OPTIONS);
	assert_int_equal(b[47], 0x00);
}

static void test_ingress_changes_only_parent(void **state)
{
	unsigned char want[512];
	union msgbuf buf;
	struct nlmsghdr *nlh;
	size_t n = read_golden("filter_replace.hex", want, sizeof(want));
	uint32_t parent = TC_PARENT_INGRESS;

	memcpy(want + 28, &parent, sizeof(parent));
	nlh = tc_build_bpf_filter(buf.b, 3, 3, TC_PARENT_INGRESS, 7,
				  "SchedCLS(tc_pass)#7");
	assert_bytes(nlh, nlh->nlmsg_len, want, n);
}

static void test_varying_fields(void **state)
{
	unsigned char want[512];
	union msgbuf buf;
	struct nlmsghdr *nlh;
	size_t n = read_golden("filter_replace.hex", want, sizeof(want));
	uint32_t seq = 0x01020304;
	int32_t ifindex = 0x7f000001;

	memcpy(want + 8, &seq, 4);
	memcpy(want + 20, &ifindex, 4);
	nlh = tc_build_bpf_filter(buf.b, seq, ifindex, TC_PARENT_EGRESS, 7,
				  "SchedCLS(tc_pass)#7");
	assert_bytes(nlh, nlh->nlmsg_len, want, n);
}

/* Every length derived from the name, padding zero, FLAGS still last. */
static void check_name_layout(const char *name, size_t expect_strlen)
{
	union msgbuf buf;
	struct nlmsghdr *nlh;
	const unsigned char *b;
	size_t name_attr = 4 + expect_strlen + 1, flags_off, i;
	uint16_t len16;
	uint32_t v;

	memset(buf.b, 0xff, sizeof(buf.b));
	nlh = tc_build_bpf_filter(buf.b, 3, 3, TC_PARENT_EGRESS, 7, name);
	b = (const unsigned char *)nlh;

	assert_int_equal(nlh->nlmsg_len, 64 + ALIGN4(name_attr));
	memcpy(&len16, b + 44, 2);
	assert_int_equal(len16, 20 + ALIGN4(name_attr)); /* TCA_OPTIONS */
	memcpy(&len16, b + 56, 2);
	assert_int_equal(len16, name_attr);              /* no padding */
	memcpy(&len16, b + 58, 2);
	assert_int_equal(len16, TCA_BPF_NAME);
	assert_memory_equal(b + 60, name, expect_strlen);
	for (i = 60 + expect_strlen; i < 56 + ALIGN4(name_attr); i++)
		assert_int_equal(b[i], 0); /* NUL and padding */

	flags_off = 56 + ALIGN4(name_attr);
	memcpy(&len16, b + flags_off, 2);
	assert_int_equal(len16, 8);
	memcpy(&len16, b + flags_off + 2, 2);
	assert_int_equal(len16, TCA_BPF_FLAGS);
	memcpy(&v, b + flags_off + 4, 4);
	assert_int_equal(v, 1);
}

static void test_name_lengths(void **state)
{
	char name[300];
	size_t n;

	for (n = 1; n <= 40; n++) {
		memset(name, 'a' + n % 26, n);
		name[n] = '\0';
		check_name_layout(name, n);
	}
	memset(name, 'z', 255);
	name[255] = '\0';
	check_name_layout(name, 255);
	/* Longer than cls_bpf keeps: cut to 255 bytes + NUL. */
	memset(name, 'y', 299);
	name[299] = '\0';
	check_name_layout(name, 255);
	assert_true(64 + ALIGN4(4 + 255 + 1) <= TC_MSG_MAX);
}

static void test_no_name(void **state)
{
	union msgbuf buf;
	struct nlmsghdr *nlh;
	const unsigned char *b;
	uint16_t v;

	nlh = tc_build_bpf_filter(buf.b, 3, 3, TC_PARENT_EGRESS, 7, "");
	b = (const unsigned char *)nlh;
	assert_int_equal(nlh->nlmsg_len, 64);
	memcpy(&v, b + 58, 2);
	assert_int_equal(v, TCA_BPF_FLAGS); /* FD, then FLAGS directly */
	nlh = tc_build_bpf_filter(buf.b, 3, 3, TC_PARENT_EGRESS, 7, NULL);
	assert_int_equal(nlh->nlmsg_len, 64);
}

static void test_filter_del_layout(void **state)
{
	/* RTM_DELTFILTER REQUEST|ACK seq 9 pid 0, ifindex 3, handle 1,
	 * parent ffff:fff3, info = prio 49152 << 16 | htons(ETH_P_ALL),
	 * TCA_KIND 'bpf'. */
	static const char hex[] =
		"2c0000002d0005000900000000000000000000000300000001000000"
		"f3ffffff000300c00800010062706600";
	unsigned char want[64];
	union msgbuf buf;
	struct nlmsghdr *nlh;
	size_t n = hex_decode(hex, want, sizeof(want));

	memset(buf.b, 0xa5, sizeof(buf.b));
	nlh = tc_build_filter_del(buf.b, 9, 3, TC_PARENT_EGRESS, 49152, 1,
				  0x0003);
	assert_bytes(nlh, nlh->nlmsg_len, want, n);

	/* Protocol in network order in the low half: ETH_P_IP. */
	nlh = tc_build_filter_del(buf.b, 9, 3, TC_PARENT_INGRESS, 1, 0x10,
				  0x0800);
	assert_int_equal(((struct tcmsg *)NLMSG_DATA(nlh))->tcm_info,
			 (1u << 16) | htons(0x0800));
	assert_int_equal(((struct tcmsg *)NLMSG_DATA(nlh))->tcm_handle, 0x10);
	assert_int_equal(((struct tcmsg *)NLMSG_DATA(nlh))->tcm_parent,
			 TC_PARENT_INGRESS);
}

static void test_filter_dump_layout(void **state)
{
	/* What `tc filter show dev X egress` sends (seq aside). */
	static const char hex[] =
		"240000002e0001030100000000000000000000000500000000000000"
		"f3ffffff00000000";
	unsigned char want[64];
	union msgbuf buf;
	struct nlmsghdr *nlh;
	size_t n = hex_decode(hex, want, sizeof(want));

	nlh = tc_build_filter_dump(buf.b, 1, 5, TC_PARENT_EGRESS);
	assert_bytes(nlh, nlh->nlmsg_len, want, n);
}

static void test_filter_name(void **state)
{
	char out[64];

	tc_bpf_filter_name(out, sizeof(out), "tc_pass", 7);
	assert_string_equal(out, "SchedCLS(tc_pass)#7");
	tc_bpf_filter_name(out, sizeof(out), "steer_egress", 123);
	assert_string_equal(out, "SchedCLS(steer_egress)#123");
	tc_bpf_filter_name(out, 12, "steer_egress", 123);
	assert_string_equal(out, "SchedCLS(st"); /* cut, NUL-terminated */
	tc_bpf_filter_name(out, 0, "x", 1);      /* must not write */
	tc_bpf_filter_name(NULL, 10, "x", 1);
}

/* iproute2 6.1 `ip neigh replace 10.9.0.2 dev <3> managed`, seq 7. */
static void test_neigh_managed_matches_iproute2(void **state)
{
	static const char hex4[] =
		"2c0000001c0005050700000000000000020000000300000000000000"
		"080001000a09000208000f0001000000";
	static const char hex6[] =
		"380000001c00050507000000000000000a0000000300000000000000"
		"14000100fe80000000000000000000000000000108000f0001000000";
	unsigned char want[128], addr[16];
	union msgbuf buf;
	struct nlmsghdr *nlh;
	size_t n;

	n = hex_decode(hex4, want, sizeof(want));
	inet_pton(AF_INET, "10.9.0.2", addr);
	memset(buf.b, 0xa5, sizeof(buf.b));
	nlh = neigh_build_managed(buf.b, 7, 3, AF_INET, addr);
	assert_non_null(nlh);
	assert_bytes(nlh, nlh->nlmsg_len, want, n);

	n = hex_decode(hex6, want, sizeof(want));
	inet_pton(AF_INET6, "fe80::1", addr);
	nlh = neigh_build_managed(buf.b, 7, 3, AF_INET6, addr);
	assert_bytes(nlh, nlh->nlmsg_len, want, n);

	assert_null(neigh_build_managed(buf.b, 7, 3, AF_PACKET, addr));
}

static void test_neigh_get_layout(void **state)
{
	static const char hex[] =
		"240000001e0005000100000000000000020000000400000000000000"
		"080001000a090002";
	unsigned char want[64], addr[4];
	union msgbuf buf;
	struct nlmsghdr *nlh;
	size_t n = hex_decode(hex, want, sizeof(want));

	inet_pton(AF_INET, "10.9.0.2", addr);
	nlh = neigh_build_get(buf.b, 1, 4, AF_INET, addr);
	assert_bytes(nlh, nlh->nlmsg_len, want, n);
}

/* tc_print_message output, captured. */
static char *print_to_string(const struct nlmsghdr *nlh)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	assert_non_null(f);
	tc_print_message(f, nlh);
	fclose(f);
	return out;
}

static void test_print_filter(void **state)
{
	unsigned char want[512];
	char hexline[1100], *out;
	union msgbuf buf;
	struct nlmsghdr *nlh;
	size_t n = read_golden("filter_replace.hex", want, sizeof(want)), i;

	for (i = 0; i < n; i++)
		sprintf(hexline + 2 * i, "%02x", want[i]);
	nlh = tc_build_bpf_filter(buf.b, 3, 3, TC_PARENT_EGRESS, 7,
				  "SchedCLS(tc_pass)#7");
	out = print_to_string(nlh);
	/* First line: the raw bytes, ready for `xxd -r -p`. */
	assert_int_equal(strncmp(out, hexline, 2 * n), 0);
	assert_int_equal(out[2 * n], '\n');
	assert_non_null(strstr(out, "nlmsg_type 44 RTM_NEWTFILTER\n"));
	assert_non_null(strstr(out, "nlmsg_flags 0x0405 REQUEST|ACK|CREATE\n"));
	assert_non_null(strstr(out, "tcm_handle 0:1\n"));
	assert_non_null(strstr(out, "tcm_parent ffff:fff3 (clsact egress)\n"));
	assert_non_null(strstr(out, "prio 0 protocol 0x0003"));
	assert_non_null(strstr(out, "  36 TCA_KIND 'bpf'\n"));
	assert_non_null(strstr(out, "  44 TCA_OPTIONS len 44\n"));
	assert_non_null(strstr(out, "  48   TCA_BPF_FD 7\n"));
	assert_non_null(strstr(out, "  56   TCA_BPF_NAME 'SchedCLS(tc_pass)#7'\n"));
	assert_non_null(strstr(out, "  80   TCA_BPF_FLAGS 0x1 direct-action\n"));
	free(out);
}

static void test_print_clsact_and_neigh(void **state)
{
	unsigned char addr[4];
	union msgbuf buf;
	char *out;

	out = print_to_string(tc_build_clsact(buf.b, 2, 3));
	assert_non_null(strstr(out, "nlmsg_flags 0x0505 REQUEST|ACK|REPLACE|CREATE\n"));
	assert_non_null(strstr(out, "tcm_handle ffff:0\n"));
	assert_non_null(strstr(out, "tcm_parent ffff:fff1 (clsact)\n"));
	assert_non_null(strstr(out, "TCA_KIND 'clsact'\n"));
	free(out);

	out = print_to_string(tc_build_filter_dump(buf.b, 2, 3,
						   TC_PARENT_INGRESS));
	assert_non_null(strstr(out, "0x0301 REQUEST|ROOT|MATCH\n"));
	assert_non_null(strstr(out, "ffff:fff2 (clsact ingress)\n"));
	free(out);

	inet_pton(AF_INET, "10.9.0.2", addr);
	out = print_to_string(neigh_build_managed(buf.b, 2, 3, AF_INET, addr));
	assert_non_null(strstr(out, "RTM_NEWNEIGH\n"));
	assert_non_null(strstr(out, "ndm_state 0x00 NONE\n"));
	assert_non_null(strstr(out, "NDA_DST 10.9.0.2\n"));
	assert_non_null(strstr(out, "NDA_FLAGS_EXT 0x1 managed\n"));
	free(out);
}

static void test_neigh_state_str(void **state)
{
	char s[64];

	neigh_state_str(s, sizeof(s), NUD_NONE);
	assert_string_equal(s, "NONE");
	neigh_state_str(s, sizeof(s), NUD_REACHABLE);
	assert_string_equal(s, "REACHABLE");
	neigh_state_str(s, sizeof(s), NUD_STALE | NUD_PROBE);
	assert_string_equal(s, "STALE|PROBE");
	neigh_state_str(s, 4, NUD_PERMANENT);
	assert_string_equal(s, "PER");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clsact_matches_golden),
		cmocka_unit_test(test_bpf_filter_matches_golden),
		cmocka_unit_test(test_options_without_nested_flag),
		cmocka_unit_test(test_ingress_changes_only_parent),
		cmocka_unit_test(test_varying_fields),
		cmocka_unit_test(test_name_lengths),
		cmocka_unit_test(test_no_name),
		cmocka_unit_test(test_filter_del_layout),
		cmocka_unit_test(test_filter_dump_layout),
		cmocka_unit_test(test_filter_name),
		cmocka_unit_test(test_neigh_managed_matches_iproute2),
		cmocka_unit_test(test_neigh_get_layout),
		cmocka_unit_test(test_print_filter),
		cmocka_unit_test(test_print_clsact_and_neigh),
		cmocka_unit_test(test_neigh_state_str),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
