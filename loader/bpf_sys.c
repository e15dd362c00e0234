/* SPDX-License-Identifier: MIT */
/* Thin bpf() syscall wrappers: zeroed attr in, fd/0 or -errno out. */
#include "bpf_sys.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define EINTR_RETRIES 16
#define EAGAIN_RETRIES 5

/* Attribute fields newer than Debian's 6.1 <linux/bpf.h>. They sit in what
 * that header's union leaves as tail padding, so passing
 * sizeof(union bpf_attr) still lets the kernel write them back. */
#define PROG_LOAD_LOG_TRUE_SIZE_OFF 140 /* after core_relo_rec_size, 6.4 */
#define BTF_LOAD_LOG_TRUE_SIZE_OFF 28   /* after btf_log_level, 6.4 */

_Static_assert(PROG_LOAD_LOG_TRUE_SIZE_OFF ==
	       offsetof(union bpf_attr, core_relo_rec_size) + 4,
	       "log_true_size follows core_relo_rec_size");
_Static_assert(BTF_LOAD_LOG_TRUE_SIZE_OFF ==
	       offsetof(union bpf_attr, btf_log_level) + 4,
	       "btf_log_true_size follows btf_log_level");
_Static_assert(PROG_LOAD_LOG_TRUE_SIZE_OFF + 4 <= sizeof(union bpf_attr),
	       "log_true_size fits in the attr we pass");

/* ---- TCX: newer than Debian 12's <linux/bpf.h> ---------------------------
 * Offsets from the kernel's include/uapi/linux/bpf.h (6.6 and later),
 * each pinned by a field the 6.1 header already has at the same place.
 * Everything here sits inside sizeof(union bpf_attr) of the 6.1 header
 * (144 bytes), so the kernel reads and writes it in the attr we pass. */

/* BPF_LINK_CREATE: link_create.tcx.{relative_fd|relative_id,
 * expected_revision}, the union after attach_type and flags. */
#define LINK_CREATE_TCX_RELATIVE_OFF 16
#define LINK_CREATE_TCX_REVISION_OFF 24
_Static_assert(LINK_CREATE_TCX_RELATIVE_OFF ==
	       offsetof(union bpf_attr, link_create.target_btf_id),
	       "tcx.relative_fd opens the union, like target_btf_id");
_Static_assert(LINK_CREATE_TCX_REVISION_OFF ==
	       offsetof(union bpf_attr, link_create.tracing.cookie),
	       "tcx.expected_revision is the union's second u64, like tracing.cookie");

/* BPF_PROG_QUERY: link_ids, link_attach_flags and revision follow
 * prog_attach_flags (6.6). */
#define QUERY_LINK_IDS_OFF 40
#define QUERY_LINK_ATTACH_FLAGS_OFF 48
#define QUERY_REVISION_OFF 56
_Static_assert(QUERY_LINK_IDS_OFF ==
	       offsetof(union bpf_attr, query.prog_attach_flags) + 8,
	       "link_ids follows prog_attach_flags");
_Static_assert(QUERY_LINK_ATTACH_FLAGS_OFF == QUERY_LINK_IDS_OFF + 8 &&
	       QUERY_REVISION_OFF == QUERY_LINK_ATTACH_FLAGS_OFF + 8,
	       "link_attach_flags, then revision");
_Static_assert(QUERY_REVISION_OFF + 8 <= sizeof(union bpf_attr),
	       "revision fits in the attr we pass");

/* struct bpf_link_info.tcx {ifindex, attach_type}: the union after type,
 * id, prog_id (8-aligned), where xdp.ifindex and netns.attach_type are. */
#define LINK_INFO_TCX_IFINDEX_OFF 16
#define LINK_INFO_TCX_ATTACH_TYPE_OFF 20
_Static_assert(LINK_INFO_TCX_IFINDEX_OFF ==
	       offsetof(struct bpf_link_info, xdp.ifindex),
	       "tcx.ifindex opens the union, like xdp.ifindex");
_Static_assert(LINK_INFO_TCX_ATTACH_TYPE_OFF ==
	       offsetof(struct bpf_link_info, netns.attach_type),
	       "tcx.attach_type is the union's second u32");

/* Enum values: append-only in the kernel, so counted from members the
 * 6.1 header has. */
_Static_assert(BPF_SYS_TCX_INGRESS == BPF_LSM_CGROUP + 3 &&
	       BPF_SYS_TCX_EGRESS == BPF_LSM_CGROUP + 4,
	       "STRUCT_OPS, NETFILTER, then TCX_INGRESS, TCX_EGRESS");
_Static_assert(BPF_SYS_LINK_TYPE_TCX == BPF_LINK_TYPE_STRUCT_OPS + 2,
	       "NETFILTER, then TCX");
_Static_assert(BPF_F_REPLACE == (1U << 2) && BPF_SYS_F_BEFORE == (1U << 3),
	       "the mprog flags follow BPF_F_REPLACE");
/* ---- end of the TCX definitions ------------------------------------------ */

static const char *const cmd_names[] = {
	[BPF_MAP_CREATE] = "BPF_MAP_CREATE",
	[BPF_MAP_LOOKUP_ELEM] = "BPF_MAP_LOOKUP_ELEM",
	[BPF_MAP_UPDATE_ELEM] = "BPF_MAP_UPDATE_ELEM",
	[BPF_MAP_DELETE_ELEM] = "BPF_MAP_DELETE_ELEM",
	[BPF_MAP_GET_NEXT_KEY] = "BPF_MAP_GET_NEXT_KEY",
	[BPF_PROG_LOAD] = "BPF_PROG_LOAD",
	[BPF_OBJ_PIN] = "BPF_OBJ_PIN",
	[BPF_OBJ_GET] = "BPF_OBJ_GET",
	[BPF_PROG_TEST_RUN] = "BPF_PROG_TEST_RUN",
	[BPF_PROG_GET_FD_BY_ID] = "BPF_PROG_GET_FD_BY_ID",
	[BPF_MAP_GET_FD_BY_ID] = "BPF_MAP_GET_FD_BY_ID",
	[BPF_OBJ_GET_INFO_BY_FD] = "BPF_OBJ_GET_INFO_BY_FD",
	[BPF_BTF_LOAD] = "BPF_BTF_LOAD",
	[BPF_MAP_FREEZE] = "BPF_MAP_FREEZE",
	[BPF_PROG_BIND_MAP] = "BPF_PROG_BIND_MAP",
	[BPF_PROG_QUERY] = "BPF_PROG_QUERY",
	[BPF_LINK_CREATE] = "BPF_LINK_CREATE",
	[BPF_LINK_UPDATE] = "BPF_LINK_UPDATE",
	[BPF_LINK_GET_FD_BY_ID] = "BPF_LINK_GET_FD_BY_ID",
	[BPF_ENABLE_STATS] = "BPF_ENABLE_STATS",
	[BPF_LINK_DETACH] = "BPF_LINK_DETACH",
};

const char *bpf_sys_cmd_name(int cmd)
{
	if (cmd >= 0 && (size_t)cmd < sizeof(cmd_names) / sizeof(cmd_names[0]) &&
	    cmd_names[cmd])
		return cmd_names[cmd];
	return "BPF_?";
}

static uint64_t ptr_to_u64(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static int sys_bpf_once(int cmd, union bpf_attr *attr)
{
	long ret;
	int tries = 0;

	do {
		ret = syscall(__NR_bpf, cmd, attr, sizeof(*attr));
	} while (ret < 0 && errno == EINTR && ++tries < EINTR_RETRIES);
	return ret < 0 ? -errno : (int)ret;
}

static int fail(struct errmsg *err, int cmd, int ret)
{
	return errmsg_set(err, ret, "bpf(%s): %s", bpf_sys_cmd_name(cmd),
			  strerror(-ret));
}

static int sys_bpf(int cmd, union bpf_attr *attr, struct errmsg *err)
{
	int ret = sys_bpf_once(cmd, attr);

	return ret < 0 ? fail(err, cmd, ret) : ret;
}

/* Before 5.11, map and program memory was charged against RLIMIT_MEMLOCK
 * and running out showed as EPERM. Raise the limit once, and only if it is
 * finite: on current kernels EPERM really means missing privilege. */
static bool raise_memlock(void)
{
	static bool tried;
	struct rlimit rl;

	if (tried)
		return false;
	tried = true;
	if (getrlimit(RLIMIT_MEMLOCK, &rl) || rl.rlim_cur == RLIM_INFINITY)
		return false;
	rl.rlim_cur = RLIM_INFINITY;
	rl.rlim_max = RLIM_INFINITY;
	return setrlimit(RLIMIT_MEMLOCK, &rl) == 0;
}

/* For the commands that allocate kernel memory: retry a few EAGAINs (the
 * verifier can ask for that) and an EPERM once after raising memlock. */
static int sys_bpf_alloc(int cmd, union bpf_attr *attr, struct errmsg *err)
{
	union bpf_attr saved = *attr;
	int ret, tries = 0;
	bool retry;

	for (;;) {
		ret = sys_bpf_once(cmd, attr);
		if (ret >= 0)
			return ret;
		retry = (ret == -EAGAIN && ++tries < EAGAIN_RETRIES) ||
			(ret == -EPERM && raise_memlock());
		if (!retry)
			return fail(err, cmd, ret);
		*attr = saved; /* the kernel may have written outputs */
	}
}

int bpf_sys_map_create(const struct bpf_sys_map_attr *a, struct errmsg *err)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = a->type;
	attr.key_size = a->key_size;
	attr.value_size = a->value_size;
	attr.max_entries = a->max_entries;
	attr.map_flags = a->flags;
	if (a->name)
		strncpy(attr.map_name, a->name, sizeof(attr.map_name) - 1);
	if (a->btf_fd >= 0 && (a->btf_key_type_id || a->btf_value_type_id)) {
		attr.btf_fd = a->btf_fd;
		attr.btf_key_type_id = a->btf_key_type_id;
		attr.btf_value_type_id = a->btf_value_type_id;
	}
	if (a->inner_map_fd >= 0)
		attr.inner_map_fd = a->inner_map_fd;
	return sys_bpf_alloc(BPF_MAP_CREATE, &attr, err);
}

static int map_elem(int cmd, int map_fd, const void *key, const void *value,
		    uint64_t flags, struct errmsg *err)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = map_fd;
	attr.key = ptr_to_u64(key);
	attr.value = ptr_to_u64(value); /* also next_key */
	attr.flags = flags;
	return sys_bpf(cmd, &attr, err);
}

int bpf_sys_map_lookup(int map_fd, const void *key, void *value,
		       uint64_t flags, struct errmsg *err)
{
	return map_elem(BPF_MAP_LOOKUP_ELEM, map_fd, key, value, flags, err);
}

int bpf_sys_map_update(int map_fd, const void *key, const void *value,
		       uint64_t flags, struct errmsg *err)
{
	return map_elem(BPF_MAP_UPDATE_ELEM, map_fd, key, value, flags, err);
}

int bpf_sys_map_delete(int map_fd, const void *key, struct errmsg *err)
{
	return map_elem(BPF_MAP_DELETE_ELEM, map_fd, key, NULL, 0, err);
}

int bpf_sys_map_get_next_key(int map_fd, const void *key, void *next_key,
			     struct errmsg *err)
{
	return map_elem(BPF_MAP_GET_NEXT_KEY, map_fd, key, next_key, 0, err);
}

int bpf_sys_map_freeze(int map_fd, struct errmsg *err)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = map_fd;
	return sys_bpf(BPF_MAP_FREEZE, &attr, err);
}

static uint32_t attr_u32_at(const union bpf_attr *attr, size_t off)
{
	uint32_t v;

	memcpy(&v, (const char *)attr + off, sizeof(v));
	return v;
}

static uint64_t attr_u64_at(const union bpf_attr *attr, size_t off)
{
	uint64_t v;

	memcpy(&v, (const char *)attr + off, sizeof(v));
	return v;
}

static void attr_put(union bpf_attr *attr, size_t off, const void *v,
		     size_t len)
{
	memcpy((char *)attr + off, v, len);
}

int bpf_sys_prog_load(struct bpf_sys_prog_attr *a, struct errmsg *err)
{
	union bpf_attr attr;
	int ret;

	if (a->ninsns > UINT32_MAX)
		return errmsg_set(err, E2BIG,
				  "bpf(BPF_PROG_LOAD): %zu instructions is too many",
				  a->ninsns);
	memset(&attr, 0, sizeof(attr));
	attr.prog_type = a->type;
	attr.expected_attach_type = a->expected_attach_type;
	attr.insns = ptr_to_u64(a->insns);
	attr.insn_cnt = (uint32_t)a->ninsns;
	attr.license = ptr_to_u64(a->license);
	if (a->name)
		strncpy(attr.prog_name, a->name, sizeof(attr.prog_name) - 1);
	if (a->prog_btf_fd >= 0)
		attr.prog_btf_fd = a->prog_btf_fd;
	if (a->log_buf && a->log_size) {
		a->log_buf[0] = '\0';
		attr.log_buf = ptr_to_u64(a->log_buf);
		attr.log_size = a->log_size;
		attr.log_level = a->log_level;
	}
	ret = sys_bpf_alloc(BPF_PROG_LOAD, &attr, err);
	a->log_true_size = attr_u32_at(&attr, PROG_LOAD_LOG_TRUE_SIZE_OFF);
	return ret;
}

int bpf_sys_btf_load(const void *btf, size_t size, char *log_buf,
		     uint32_t log_size, uint32_t log_level,
		     uint32_t *log_true_size, struct errmsg *err)
{
	union bpf_attr attr;
	int ret;

	if (size > UINT32_MAX)
		return errmsg_set(err, E2BIG,
				  "bpf(BPF_BTF_LOAD): %zu bytes of BTF is too much",
				  size);
	memset(&attr, 0, sizeof(attr));
	attr.btf = ptr_to_u64(btf);
	attr.btf_size = (uint32_t)size;
	if (log_buf && log_size) {
		log_buf[0] = '\0';
		attr.btf_log_buf = ptr_to_u64(log_buf);
		attr.btf_log_size = log_size;
		attr.btf_log_level = log_level;
	}
	ret = sys_bpf_alloc(BPF_BTF_LOAD, &attr, err);
	if (log_true_size)
		*log_true_size = attr_u32_at(&attr, BTF_LOAD_LOG_TRUE_SIZE_OFF);
	return ret;
}

int bpf_sys_obj_pin(int fd, const char *path, struct errmsg *err)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.pathname = ptr_to_u64(path);
	attr.bpf_fd = fd;
	return sys_bpf(BPF_OBJ_PIN, &attr, err);
}

int bpf_sys_obj_get(const char *path, uint32_t flags, struct errmsg *err)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.pathname = ptr_to_u64(path);
	attr.file_flags = flags;
	return sys_bpf(BPF_OBJ_GET, &attr, err);
}

static int get_fd_by_id(int cmd, uint32_t id, struct errmsg *err)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.prog_id = id; /* shares its offset with map_id */
	return sys_bpf(cmd, &attr, err);
}

int bpf_sys_prog_get_fd_by_id(uint32_t id, struct errmsg *err)
{
	return get_fd_by_id(BPF_PROG_GET_FD_BY_ID, id, err);
}

int bpf_sys_map_get_fd_by_id(uint32_t id, struct errmsg *err)
{
	return get_fd_by_id(BPF_MAP_GET_FD_BY_ID, id, err);
}

static int obj_get_info(int fd, void *info, uint32_t len, struct errmsg *err)
{
	union bpf_attr attr;

	memset(info, 0, len);
	memset(&attr, 0, sizeof(attr));
	attr.info.bpf_fd = fd;
	attr.info.info_len = len;
	attr.info.info = ptr_to_u64(info);
	return sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr, err);
}

int bpf_sys_prog_get_info(int prog_fd, struct bpf_prog_info *info,
			  struct errmsg *err)
{
	return obj_get_info(prog_fd, info, sizeof(*info), err);
}

int bpf_sys_map_get_info(int map_fd, struct bpf_map_info *info,
			 struct errmsg *err)
{
	return obj_get_info(map_fd, info, sizeof(*info), err);
}

int bpf_sys_prog_get_info_ids(int prog_fd, struct bpf_prog_info *info, uint32_t *ids,
			      uint32_t *n, struct errmsg *err)
{
	union bpf_attr attr;
	int ret;

	memset(info, 0, sizeof(*info));
	info->nr_map_ids = *n;
	info->map_ids = ptr_to_u64(ids);
	memset(&attr, 0, sizeof(attr));
	attr.info.bpf_fd = prog_fd;
	attr.info.info_len = sizeof(*info);
	attr.info.info = ptr_to_u64(info);
	ret = sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr, err);
	if (!ret)
		*n = info->nr_map_ids;
	return ret;
}

int bpf_sys_prog_get_map_ids(int prog_fd, uint32_t *ids, uint32_t *n,
			     struct errmsg *err)
{
	struct bpf_prog_info info;

	return bpf_sys_prog_get_info_ids(prog_fd, &info, ids, n, err);
}

int bpf_sys_prog_bind_map(int prog_fd, int map_fd, struct errmsg *err)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.prog_bind_map.prog_fd = (uint32_t)prog_fd;
	attr.prog_bind_map.map_fd = (uint32_t)map_fd;
	return sys_bpf(BPF_PROG_BIND_MAP, &attr, err);
}

int bpf_sys_prog_test_run(struct bpf_sys_test_run *t, struct errmsg *err)
{
	union bpf_attr attr;
	int ret;

	memset(&attr, 0, sizeof(attr));
	attr.test.prog_fd = t->prog_fd;
	attr.test.data_in = ptr_to_u64(t->data_in);
	attr.test.data_size_in = t->data_size_in;
	if (t->data_out) {
		attr.test.data_out = ptr_to_u64(t->data_out);
		attr.test.data_size_out = t->data_size_out;
	}
	attr.test.ctx_in = ptr_to_u64(t->ctx_in);
	attr.test.ctx_size_in = t->ctx_in ? t->ctx_size_in : 0;
	attr.test.repeat = t->repeat;
	ret = sys_bpf(BPF_PROG_TEST_RUN, &attr, err);
	t->retval = attr.test.retval;
	t->duration = attr.test.duration;
	t->data_size_out = attr.test.data_size_out;
	return ret;
}

/* Attachments made, changed or detached through here (hook_scan() of the
 * CLI keeps a scan only while this stays the same). */
static unsigned long attach_changes;

unsigned long bpf_sys_attach_changes(void)
{
	return attach_changes;
}

int bpf_sys_link_create(const struct bpf_sys_link_create *a,
			struct errmsg *err)
{
	union bpf_attr attr;

	attach_changes++;
	memset(&attr, 0, sizeof(attr));
	attr.link_create.prog_fd = (uint32_t)a->prog_fd;
	attr.link_create.target_ifindex = a->target_ifindex;
	attr.link_create.attach_type = a->attach_type;
	attr.link_create.flags = a->flags;
	attr_put(&attr, LINK_CREATE_TCX_RELATIVE_OFF, &a->relative,
		 sizeof(a->relative));
	attr_put(&attr, LINK_CREATE_TCX_REVISION_OFF, &a->expected_revision,
		 sizeof(a->expected_revision));
	return sys_bpf(BPF_LINK_CREATE, &attr, err);
}

int bpf_sys_link_update(int link_fd, int new_prog_fd, int old_prog_fd,
			struct errmsg *err)
{
	union bpf_attr attr;

	attach_changes++;
	memset(&attr, 0, sizeof(attr));
	attr.link_update.link_fd = (uint32_t)link_fd;
	attr.link_update.new_prog_fd = (uint32_t)new_prog_fd;
	if (old_prog_fd >= 0) {
		attr.link_update.flags = BPF_F_REPLACE;
		attr.link_update.old_prog_fd = (uint32_t)old_prog_fd;
	}
	return sys_bpf(BPF_LINK_UPDATE, &attr, err);
}

int bpf_sys_link_detach(int link_fd, struct errmsg *err)
{
	union bpf_attr attr;

	attach_changes++;
	memset(&attr, 0, sizeof(attr));
	attr.link_detach.link_fd = (uint32_t)link_fd;
	return sys_bpf(BPF_LINK_DETACH, &attr, err);
}

int bpf_sys_link_get_fd_by_id(uint32_t id, struct errmsg *err)
{
	return get_fd_by_id(BPF_LINK_GET_FD_BY_ID, id, err);
}

int bpf_sys_link_get_info(int link_fd, struct bpf_sys_link_info *info,
			  struct errmsg *err)
{
	struct bpf_link_info raw;
	int ret = obj_get_info(link_fd, &raw, sizeof(raw), err);

	memset(info, 0, sizeof(*info));
	if (ret < 0)
		return ret;
	info->type = raw.type;
	info->id = raw.id;
	info->prog_id = raw.prog_id;
	if (raw.type == BPF_SYS_LINK_TYPE_TCX) {
		memcpy(&info->ifindex,
		       (const char *)&raw + LINK_INFO_TCX_IFINDEX_OFF,
		       sizeof(info->ifindex));
		memcpy(&info->attach_type,
		       (const char *)&raw + LINK_INFO_TCX_ATTACH_TYPE_OFF,
		       sizeof(info->attach_type));
	}
	return 0;
}

int bpf_sys_prog_query(struct bpf_sys_prog_query *q, struct errmsg *err)
{
	union bpf_attr attr;
	uint64_t ptr;
	int ret;

	memset(&attr, 0, sizeof(attr));
	attr.query.target_fd = q->target; /* also target_ifindex */
	attr.query.attach_type = q->attach_type;
	attr.query.prog_ids = ptr_to_u64(q->prog_ids);
	attr.query.prog_cnt = q->prog_ids ? q->count : 0;
	if (q->link_ids) {
		ptr = ptr_to_u64(q->link_ids);
		attr_put(&attr, QUERY_LINK_IDS_OFF, &ptr, sizeof(ptr));
	}
	ret = sys_bpf(BPF_PROG_QUERY, &attr, err);
	if (ret == 0 || ret == -ENOSPC) {
		q->count = attr.query.prog_cnt;
		q->attach_flags = attr.query.attach_flags;
		q->revision = attr_u64_at(&attr, QUERY_REVISION_OFF);
	}
	return ret;
}

int bpf_sys_enable_stats(struct errmsg *err)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.enable_stats.type = BPF_STATS_RUN_TIME;
	return sys_bpf(BPF_ENABLE_STATS, &attr, err);
}
