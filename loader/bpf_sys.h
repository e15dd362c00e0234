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

/* "BPF_MAP_CREATE" etc., for messages; "BPF_?" for unknown commands. */
const char *bpf_sys_cmd_name(int cmd);

#endif
