/* SPDX-License-Identifier: MIT */
/* Thin wrappers over the bpf() system call.
 *
 * One function per command, each a single syscall(__NR_bpf) on a zeroed
 * union bpf_attr (the kernel insists that unused attribute bytes are zero),
 * so that what strace shows maps one-to-one onto this file. Every call is
 * retried on EINTR; BPF_MAP_CREATE, BPF_PROG_LOAD and BPF_BTF_LOAD are also
 * retried on EAGAIN a bounded number of times, and once more after raising
 * RLIMIT_MEMLOCK when they fail with EPERM under the pre-5.11 memlock
 * accounting (never unconditionally: it is strace noise on newer kernels).
 *
 * Return: a new file descriptor (O_CLOEXEC: the kernel sets it on every bpf
 * fd) or 0 on success, -errno on failure. err may be NULL; when given, it
 * receives a generic one-line message such as
 * "bpf(BPF_MAP_CREATE): Operation not permitted" that callers are expected to
 * replace or prefix with what they were doing. */
#ifndef TCSTEER_LOADER_BPF_SYS_H
#define TCSTEER_LOADER_BPF_SYS_H

#include <linux/bpf.h>
#include <stddef.h>
#include <stdint.h>

#include "errmsg.h"

/* Largest verifier/BTF log buffer the kernel accepts (UINT_MAX >> 2). */
#define BPF_SYS_LOG_MAX (UINT32_MAX >> 2)

struct bpf_sys_map_attr {
	uint32_t type;
	uint32_t key_size;
	uint32_t value_size;
	uint32_t max_entries;
	uint32_t flags;
	const char *name;       /* NULL, or <= 15 chars of [A-Za-z0-9_.] */
	int btf_fd;             /* -1: no BTF; used only with a type id */
	uint32_t btf_key_type_id;
	uint32_t btf_value_type_id;
	int inner_map_fd;       /* map-in-map template, -1: none */
};

int bpf_sys_map_create(const struct bpf_sys_map_attr *a, struct errmsg *err);

/* flags: BPF_ANY, BPF_NOEXIST, BPF_EXIST, BPF_F_LOCK. */
int bpf_sys_map_lookup(int map_fd, const void *key, void *value,
		       uint64_t flags, struct errmsg *err);
int bpf_sys_map_update(int map_fd, const void *key, const void *value,
		       uint64_t flags, struct errmsg *err);
int bpf_sys_map_delete(int map_fd, const void *key, struct errmsg *err);
/* key NULL gives the first key; -ENOENT after the last one. */
int bpf_sys_map_get_next_key(int map_fd, const void *key, void *next_key,
			     struct errmsg *err);
/* No later syscall may change the map; programs still may (unless
 * BPF_F_RDONLY_PROG). */
int bpf_sys_map_freeze(int map_fd, struct errmsg *err);

struct bpf_sys_prog_attr {
	uint32_t type;                  /* BPF_PROG_TYPE_* */
	uint32_t expected_attach_type;
	const struct bpf_insn *insns;
	size_t ninsns;
	const char *license;
	const char *name;               /* NULL, or <= 15 chars [A-Za-z0-9_.] */
	int prog_btf_fd;                /* -1: none */
	char *log_buf;                  /* NULL: no log */
	uint32_t log_size;
	uint32_t log_level;             /* 1, 2; | 4 stats */
	/* Out: the log size the kernel needed, including the NUL (kernels
	 * >= 6.4; left 0 by older ones). */
	uint32_t log_true_size;
};

int bpf_sys_prog_load(struct bpf_sys_prog_attr *a, struct errmsg *err);

/* log_true_size may be NULL; it is set as for bpf_sys_prog_load. */
int bpf_sys_btf_load(const void *btf, size_t size, char *log_buf,
		     uint32_t log_size, uint32_t log_level,
		     uint32_t *log_true_size, struct errmsg *err);

/* path must lie on a bpf filesystem and must not exist yet. */
int bpf_sys_obj_pin(int fd, const char *path, struct errmsg *err);
/* flags: 0, BPF_F_RDONLY or BPF_F_WRONLY. */
int bpf_sys_obj_get(const char *path, uint32_t flags, struct errmsg *err);

int bpf_sys_prog_get_fd_by_id(uint32_t id, struct errmsg *err);
int bpf_sys_map_get_fd_by_id(uint32_t id, struct errmsg *err);

/* BPF_OBJ_GET_INFO_BY_FD on a program or map fd: *info is zeroed first and
 * holds id, type, name, tag (programs) or key/value size, max_entries,
 * map_flags (maps) afterwards. Pointer members stay 0, so the kernel copies
 * no arrays. */
int bpf_sys_prog_get_info(int prog_fd, struct bpf_prog_info *info,
			  struct errmsg *err);
int bpf_sys_map_get_info(int map_fd, struct bpf_map_info *info,
			 struct errmsg *err);

/* The ids of the maps a program uses: ids has room for *n entries; *n
 * becomes the program's map count (which may be larger than the room). */
int bpf_sys_prog_get_map_ids(int prog_fd, uint32_t *ids, uint32_t *n,
			     struct errmsg *err);
/* Both at once: the program's info and the ids of its maps. */
int bpf_sys_prog_get_info_ids(int prog_fd, struct bpf_prog_info *info, uint32_t *ids,
			      uint32_t *n, struct errmsg *err);

/* BPF_PROG_BIND_MAP (5.10): the program holds a reference to the map, as
 * if its code used it, and lists it among its map ids. */
int bpf_sys_prog_bind_map(int prog_fd, int map_fd, struct errmsg *err);

struct bpf_sys_test_run {
	int prog_fd;
	const void *data_in;
	uint32_t data_size_in;
	void *data_out;                 /* NULL: not wanted */
	uint32_t data_size_out;         /* in: buffer size; out: bytes */
	const void *ctx_in;             /* e.g. struct __sk_buff, or NULL */
	uint32_t ctx_size_in;
	uint32_t repeat;                /* 0 or 1: run once */
	uint32_t retval;                /* out */
	uint32_t duration;              /* out: average ns per run */
};

/* BPF_PROG_TEST_RUN: run the program on a packet without attaching it. */
int bpf_sys_prog_test_run(struct bpf_sys_test_run *t, struct errmsg *err);

/* ---- Links and multi-program hooks (TCX, Linux 6.6) ---------------------
 *
 * NEWER THAN DEBIAN 12's <linux/bpf.h> (6.1): the values below are the
 * kernel's (include/uapi/linux/bpf.h). They carry a BPF_SYS_ prefix so they
 * never clash with a newer header's enum members; the attribute and
 * link_info offsets they need are defined, and checked against the fields
 * that pin them, in one block at the top of bpf_sys.c. */
#define BPF_SYS_TCX_INGRESS 46          /* enum bpf_attach_type */
#define BPF_SYS_TCX_EGRESS 47
#define BPF_SYS_LINK_TYPE_TCX 11        /* enum bpf_link_type */
/* bpf_mprog ordering flags for BPF_LINK_CREATE / BPF_PROG_ATTACH.
 * BEFORE or AFTER without a relative object means first or last. */
#define BPF_SYS_F_BEFORE (1U << 3)
#define BPF_SYS_F_AFTER (1U << 4)
#define BPF_SYS_F_ID (1U << 5)          /* relative is an id, not an fd */
#define BPF_SYS_F_LINK (1U << 13)       /* relative is a link, not a prog */
/* TCX verdicts (enum tcx_action_base). Any other value counts as NEXT. */
#define BPF_SYS_TCX_NEXT (-1)           /* = TC_ACT_UNSPEC: run the next one */
#define BPF_SYS_TCX_PASS 0              /* = TC_ACT_OK: ends the hook */
#define BPF_SYS_TCX_DROP 2              /* = TC_ACT_SHOT */
#define BPF_SYS_TCX_REDIRECT 7          /* = TC_ACT_REDIRECT */

struct bpf_sys_link_create {
	int prog_fd;
	uint32_t target_ifindex;
	uint32_t attach_type;           /* BPF_SYS_TCX_INGRESS / _EGRESS */
	uint32_t flags;                 /* BPF_SYS_F_BEFORE/AFTER/ID/LINK */
	/* link_create.tcx: an fd, or an id with BPF_SYS_F_ID; 0: none. */
	uint32_t relative;
	uint64_t expected_revision;     /* 0: do not check */
};

/* BPF_LINK_CREATE on a multi-program hook (tcx; netkit has the same
 * layout). Returns the link fd: the program stays attached as long as the
 * link has a reference (an fd or a bpffs pin). */
int bpf_sys_link_create(const struct bpf_sys_link_create *a,
			struct errmsg *err);

/* BPF_LINK_UPDATE: the link runs new_prog_fd from now on. old_prog_fd >= 0
 * adds BPF_F_REPLACE: the kernel refuses (EPERM) unless the link runs
 * that program. Updating to the program the link runs already is a no-op
 * that succeeds. */
int bpf_sys_link_update(int link_fd, int new_prog_fd, int old_prog_fd,
			struct errmsg *err);

/* How many link creations, updates and detaches this process made (what a
 * caller keeping what it saw on a hook checks). */
unsigned long bpf_sys_attach_changes(void);

/* BPF_LINK_DETACH: the link lets go of its hook but stays an object (its
 * fds and pins still open it, "defunct"). */
int bpf_sys_link_detach(int link_fd, struct errmsg *err);

int bpf_sys_link_get_fd_by_id(uint32_t id, struct errmsg *err);

struct bpf_sys_link_info {
	uint32_t type;                  /* BPF_LINK_TYPE_*, BPF_SYS_LINK_TYPE_TCX */
	uint32_t id;
	uint32_t prog_id;
	/* For TCX links (link_info.tcx): the device, 0 once the link is
	 * detached or its device is gone; the attach type is kept. */
	uint32_t ifindex;
	uint32_t attach_type;
};

/* BPF_OBJ_GET_INFO_BY_FD on a link fd. (On a program or map fd the kernel
 * would answer with that object's info instead: callers must know that
 * the fd is a link.) */
int bpf_sys_link_get_info(int link_fd, struct bpf_sys_link_info *info,
			  struct errmsg *err);

struct bpf_sys_prog_query {
	uint32_t target;                /* ifindex (tcx) or target fd */
	uint32_t attach_type;
	uint32_t *prog_ids;             /* room for `count` ids, or NULL */
	uint32_t *link_ids;             /* same room; 0 for a non-link entry */
	uint32_t count;                 /* in: room; out: programs attached */
	uint32_t attach_flags;          /* out */
	uint64_t revision;              /* out: mprog hooks (tcx) only */
};

/* BPF_PROG_QUERY. -ENOSPC if the room was too small (count then says how
 * many there are, the arrays hold the first ones). On a tcx hook without
 * programs, 6.6-era kernels answer -ENOENT, 6.18 0 with count 0 and
 * revision 1; a kernel without tcx answers -EINVAL. */
int bpf_sys_prog_query(struct bpf_sys_prog_query *q, struct errmsg *err);

/* BPF_ENABLE_STATS(BPF_STATS_RUN_TIME): run_cnt/run_time_ns are counted
 * for every program while the returned fd is open. */
int bpf_sys_enable_stats(struct errmsg *err);

/* "BPF_MAP_CREATE" etc., for messages; "BPF_?" for unknown commands. */
const char *bpf_sys_cmd_name(int cmd);

#endif
