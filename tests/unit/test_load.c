/* SPDX-License-Identifier: MIT */
/* test_load: the bpf() side of the loader against the running kernel.
 *
 * Two groups of tests:
 *  - hand-built instruction arrays and object_specs, so the syscall layer
 *    and object_load are tested independently of the ELF/object parsers;
 *  - every object in $TCSTEER_PROGS (tests/progs/README.md), opened with
 *    object_open and run with BPF_PROG_TEST_RUN.
 * Pins go to a fresh directory under /sys/fs/bpf (also used as the
 * "global" pin directory), removed at the end. Every test checks that the
 * number of open fds is the same before and after it.
 * Needs root (CAP_BPF, CAP_NET_ADMIN, bpffs): exits 77 otherwise. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/pkt_cls.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "bpf_sys.h"
#include "bpffs.h"
#include "load.h"
#include "object.h"
#include "prog_tag.h"

static char pin_root[128];              /* /sys/fs/bpf/tcsteer_tl_<pid> */
static char pin_dir[160];               /* <pin_root>/obj */
static char global_dir[160];            /* <pin_root>/globals */
static FILE *devnull;                   /* verifier logs nobody reads */

/* ---- helpers ----------------------------------------------------------- */

static int count_fds(void)
{
	int fd, n = 0;

	/* fcntl(F_GETFD) on every number up to a bound: no /proc needed and
	 * no fd of our own in the count. */
	for (fd = 0; fd < 4096; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

static int fd_setup(void **state)
{
	*state = (void *)(intptr_t)count_fds();
	return 0;
}

static int fd_teardown(void **state)
{
	int before = (int)(intptr_t)*state, after = count_fds();

	if (before != after) {
		fprintf(stderr, "fd leak: %d fds before, %d after\n", before,
			after);
		return -1;
	}
	return 0;
}

/* A small Ethernet/IPv4/UDP frame from 10.0.0.1 to 10.0.0.2. */
static const uint8_t packet[] = {
	0x02, 0, 0, 0, 0, 0x02,   0x02, 0, 0, 0, 0, 0x01,   0x08, 0x00,
	0x45, 0x00, 0x00, 0x24,   0x00, 0x01, 0x00, 0x00,
	0x40, 0x11, 0x00, 0x00,   10, 0, 0, 1,   10, 0, 0, 2,
	0x30, 0x39, 0x00, 0x35,   0x00, 0x10, 0x00, 0x00,
	't', 'c', 's', 't', 'e', 'e', 'r', '!',
};

static uint32_t run_prog(int prog_fd, uint32_t repeat)
{
	struct bpf_sys_test_run t = {
		.prog_fd = prog_fd,
		.data_in = packet,
		.data_size_in = sizeof(packet),
		.repeat = repeat,
	};
	struct errmsg err = { 0 };
	int ret = bpf_sys_prog_test_run(&t, &err);

	if (ret < 0)
		fail_msg("%s", err.text);
	return t.retval;
}

static void assert_one_line(const struct errmsg *err)
{
	assert_true(err->text[0] != '\0');
	assert_null(strchr(err->text, '\n'));
}

#define assert_contains(hay, needle)                                        \
	do {                                                                \
		if (!strstr((hay), (needle)))                               \
			fail_msg("\"%s\" does not contain \"%s\"", (hay),   \
				 (needle));                                 \
	} while (0)

/* ---- instructions ------------------------------------------------------ */

#define INSN(c, d, s, o, i)                                                 \
	((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s),    \
			    .off = (o), .imm = (i) })
#define MOV_IMM(d, i) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define LDX_W(d, s, o) INSN(BPF_LDX | BPF_MEM | BPF_W, d, s, o, 0)
#define LD_IMM64(d) INSN(BPF_LD | BPF_IMM | BPF_DW, d, 0, 0, 0), INSN(0, 0, 0, 0, 0)
#define CALL(f) INSN(BPF_JMP | BPF_CALL, 0, 0, 0, f)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static int load_raw(const struct bpf_insn *insns, size_t n, const char *name,
		    struct errmsg *err)
{
	struct bpf_sys_prog_attr a = {
		.type = BPF_PROG_TYPE_SCHED_CLS,
		.insns = insns,
		.ninsns = n,
		.license = "GPL",
		.name = name,
		.prog_btf_fd = -1,
	};

	return bpf_sys_prog_load(&a, err);
}

/* ---- bpf_sys ----------------------------------------------------------- */

static void test_sys_map_ops(void **state)
{
	struct bpf_sys_map_attr a = {
		.type = BPF_MAP_TYPE_HASH, .key_size = 4, .value_size = 8,
		.max_entries = 8, .name = "tl_hash", .btf_fd = -1,
		.inner_map_fd = -1,
	};
	struct bpf_map_info info;
	struct errmsg err = { 0 };
	uint32_t key = 5, next;
	uint64_t val = 77, out = 0;
	int fd, fd2;

	fd = bpf_sys_map_create(&a, &err);
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(bpf_sys_map_lookup(fd, &key, &out, 0, &err), -ENOENT);
	assert_string_equal(err.text, "bpf(BPF_MAP_LOOKUP_ELEM): No such file or directory");
	assert_int_equal(bpf_sys_map_update(fd, &key, &val, BPF_NOEXIST, &err), 0);
	assert_int_equal(bpf_sys_map_update(fd, &key, &val, BPF_NOEXIST, NULL), -EEXIST);
	assert_int_equal(bpf_sys_map_lookup(fd, &key, &out, 0, &err), 0);
	assert_int_equal(out, 77);
	assert_int_equal(bpf_sys_map_get_next_key(fd, NULL, &next, &err), 0);
	assert_int_equal(next, 5);
	assert_int_equal(bpf_sys_map_get_next_key(fd, &next, &next, NULL), -ENOENT);

	assert_int_equal(bpf_sys_map_get_info(fd, &info, &err), 0);
	assert_int_equal(info.type, BPF_MAP_TYPE_HASH);
	assert_int_equal(info.key_size, 4);
	assert_int_equal(info.value_size, 8);
	assert_int_equal(info.max_entries, 8);
	assert_string_equal(info.name, "tl_hash");
	fd2 = bpf_sys_map_get_fd_by_id(info.id, &err);
	assert_true(fd2 >= 0);
	assert_int_equal(bpf_sys_map_lookup(fd2, &key, &out, 0, &err), 0);
	close(fd2);

	assert_int_equal(bpf_sys_map_delete(fd, &key, &err), 0);
	assert_int_equal(bpf_sys_map_delete(fd, &key, NULL), -ENOENT);
	assert_int_equal(bpf_sys_map_freeze(fd, &err), 0);
	assert_int_equal(bpf_sys_map_update(fd, &key, &val, 0, NULL), -EPERM);
	close(fd);

	/* Bad arguments come back as -errno with a one-line message. */
	a.key_size = 0;
	assert_int_equal(bpf_sys_map_create(&a, &err), -EINVAL);
	assert_string_equal(err.text, "bpf(BPF_MAP_CREATE): Invalid argument");
	assert_true(bpf_sys_map_get_info(-1, &info, &err) < 0);
	assert_contains(err.text, "bpf(BPF_OBJ_GET_INFO_BY_FD): ");
	assert_int_equal(bpf_sys_map_get_fd_by_id(UINT32_MAX, NULL), -ENOENT);
}

static void test_sys_prog_info_run(void **state)
{
	const struct bpf_insn insns[] = { MOV_IMM(0, 7), EXIT() };
	struct bpf_prog_info info;
	struct errmsg err = { 0 };
	uint8_t zero_tag[8] = { 0 };
	int fd, fd2;

	fd = load_raw(insns, 2, "tl_seven", &err);
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(run_prog(fd, 1), 7);
	assert_int_equal(bpf_sys_prog_get_info(fd, &info, &err), 0);
	assert_int_equal(info.type, BPF_PROG_TYPE_SCHED_CLS);
	assert_string_equal(info.name, "tl_seven");
	assert_true(info.id != 0);
	assert_memory_not_equal(info.tag, zero_tag, sizeof(zero_tag));
	fd2 = bpf_sys_prog_get_fd_by_id(info.id, &err);
	assert_true(fd2 >= 0);
	assert_int_equal(run_prog(fd2, 3), 7);
	close(fd2);
	close(fd);
}

static void test_sys_pin_get(void **state)
{
	struct bpf_sys_map_attr a = {
		.type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 4,
		.max_entries = 1, .btf_fd = -1, .inner_map_fd = -1,
	};
	struct errmsg err = { 0 };
	char path[PATH_MAX];
	uint32_t key = 0, val = 9;
	struct stat st;
	int fd, ro, rw;

	snprintf(path, sizeof(path), "%s/sys_pin", pin_root);
	fd = bpf_sys_map_create(&a, &err);
	assert_true(fd >= 0);
	assert_int_equal(bpf_sys_obj_pin(fd, path, &err), 0);
	assert_int_equal(bpf_sys_obj_pin(fd, path, NULL), -EEXIST);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600); /* the kernel's, & ~umask */

	ro = bpf_sys_obj_get(path, BPF_F_RDONLY, &err);
	assert_true(ro >= 0);
	assert_int_equal(bpf_sys_map_update(ro, &key, &val, 0, NULL), -EPERM);
	rw = bpf_sys_obj_get(path, 0, &err);
	assert_true(rw >= 0);
	assert_int_equal(bpf_sys_map_update(rw, &key, &val, 0, &err), 0);
	val = 0;
	assert_int_equal(bpf_sys_map_lookup(ro, &key, &val, 0, &err), 0);
	assert_int_equal(val, 9);
	close(ro);
	close(rw);
	close(fd);
	unlink(path);
	assert_int_equal(bpf_sys_obj_get(path, 0, &err), -ENOENT);
	assert_string_equal(err.text, "bpf(BPF_OBJ_GET): No such file or directory");
}

/* ---- bpffs ------------------------------------------------------------- */

static void test_bpffs(void **state)
{
	struct errmsg err = { 0 };
	char path[PATH_MAX], buf[64];
	struct stat st;

	assert_int_equal(bpffs_ensure_mounted("/sys/fs/bpf", NULL, &err), 0);
	assert_int_equal(bpffs_is_bpffs("/sys/fs/bpf"), 1);
	assert_int_equal(bpffs_is_bpffs("/proc"), 0);

	snprintf(path, sizeof(path), "%s/a/b/c/", pin_root);
	assert_int_equal(bpffs_mkdir_p(path, 0700, &err), 0);
	assert_int_equal(bpffs_mkdir_p(path, 0700, &err), 0); /* idempotent */
	path[strlen(path) - 1] = '\0';
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0700);

	/* Nothing is created outside bpffs. */
	assert_int_equal(bpffs_mkdir_p("/proc/tcsteer_nope/x", 0700, &err),
			 -ENOTSUP);
	assert_contains(err.text, "/proc is not on a bpf filesystem");
	assert_one_line(&err);
	snprintf(path, sizeof(path), "%s/has.dot", pin_root);
	assert_int_equal(bpffs_mkdir_p(path, 0700, &err), -EINVAL);
	assert_contains(err.text, "bpffs does not allow dots");
	assert_int_equal(bpffs_ensure_mounted("/nonexistent/tcsteer", NULL, &err),
			 -ENOENT);
	assert_string_equal(err.text,
			    "cannot mount bpffs on /nonexistent/tcsteer: No such file or directory");

	bpffs_sanitize_name(buf, sizeof(buf), ".rodata.str1.1");
	assert_string_equal(buf, "_rodata_str1_1");
	bpffs_sanitize_name(buf, 4, "abcdef");
	assert_string_equal(buf, "abc");
	assert_int_equal(bpffs_pin_path(buf, sizeof(buf), "/sys/fs/bpf/x",
					".data", &err), 0);
	assert_string_equal(buf, "/sys/fs/bpf/x/_data");
	assert_int_equal(bpffs_pin_path(buf, 8, "/sys/fs/bpf/x", "m", &err),
			 -ENAMETOOLONG);
}

/* ---- object_load on hand-built objects --------------------------------- */

static struct load_opts quiet_opts(FILE *log)
{
	struct load_opts o = {
		.pin_dir = pin_dir,
		.global_pin_dir = global_dir,
		.log_stream = log ? log : devnull,
	};
	return o;
}

static void spec_init(struct object_spec *obj, struct map_spec *maps,
		      size_t nmaps, struct prog_spec *progs, size_t nprogs)
{
	memset(obj, 0, sizeof(*obj));
	strcpy(obj->license, "GPL");
	obj->maps = maps;
	obj->nmaps = nmaps;
	obj->progs = progs;
	obj->nprogs = nprogs;
}

static void prog_init(struct prog_spec *p, const char *name,
		      struct bpf_insn *insns, size_t n, struct map_ref *refs,
		      size_t nrefs)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->section, sizeof(p->section), "tc");
	p->insns = insns;
	p->ninsns = n;
	p->refs = refs;
	p->nrefs = nrefs;
}

static void map_init(struct map_spec *m, const char *name, uint32_t type,
		     uint32_t key, uint32_t value, uint32_t max)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->name, sizeof(m->name), "%s", name);
	m->type = type;
	m->key_size = key;
	m->value_size = value;
	m->max_entries = max;
}

static void test_hm_global_data(void **state)
{
	static const uint8_t init[8] = { 7, 0, 0, 0, 35, 0, 0, 0 };
	struct bpf_insn insns[] = { LD_IMM64(1), LDX_W(0, 1, 0), EXIT() };
	struct map_ref ref = { .insn = 0, .map = 0, .offset = 4, .value = true };
	struct object_spec obj;
	struct map_spec m;
	struct prog_spec p;
	struct loaded_object lo;
	struct load_opts o = quiet_opts(NULL);
	struct errmsg err = { 0 };
	uint32_t key = 0;
	uint8_t val[8];

	map_init(&m, ".rodata", BPF_MAP_TYPE_ARRAY, 4, 8, 1);
	m.origin = MAP_ORIGIN_DATA;
	m.flags = BPF_F_RDONLY_PROG;
	m.init = init;
	m.freeze = true;
	prog_init(&p, "hand.made-global", insns, 4, &ref, 1);
	spec_init(&obj, &m, 1, &p, 1);

	assert_int_equal(object_load(&obj, &p, &o, &lo, &err), 0);
	assert_int_equal(run_prog(lo.prog_fd, 1), 35);
	/* The caller's instructions are untouched (we patched a copy). */
	assert_int_equal(insns[0].src_reg, 0);
	assert_int_equal(bpf_sys_map_lookup(lo.map_fds[0], &key, val, 0, &err), 0);
	assert_memory_equal(val, init, sizeof(init));
	assert_int_equal(bpf_sys_map_update(lo.map_fds[0], &key, val, 0, NULL),
			 -EPERM);
	{
		struct bpf_prog_info pi;
		struct bpf_map_info mi;

		assert_int_equal(bpf_sys_prog_get_info(lo.prog_fd, &pi, &err), 0);
		assert_string_equal(pi.name, "hand.made_globa"); /* sanitised */
		assert_int_equal(bpf_sys_map_get_info(lo.map_fds[0], &mi, &err), 0);
		assert_string_equal(mi.name, ".rodata");
		assert_int_equal(mi.map_flags, BPF_F_RDONLY_PROG);
	}
	loaded_object_close(&lo);
	assert_int_equal(lo.prog_fd, -1);
	assert_null(lo.map_fds);
}

static void test_hm_tail_call(void **state)
{
	struct bpf_insn entry[] = {
		LD_IMM64(2), MOV_IMM(3, 1), CALL(BPF_FUNC_tail_call),
		MOV_IMM(0, 1), EXIT(),
	};
	struct bpf_insn target[] = { MOV_IMM(0, 42), EXIT() };
	struct bpf_insn unused[] = { MOV_IMM(0, 5), EXIT() };
	struct map_ref ref = { .insn = 0, .map = 0 };
	struct { uint32_t slot; int prog; } slots[] = { { 1, 2 } };
	struct object_spec obj;
	struct map_spec m[2];
	struct prog_spec p[3];
	struct loaded_object lo;
	struct load_opts o = quiet_opts(NULL);
	struct errmsg err = { 0 };

	map_init(&m[0], "hm_jmp", BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 2);
	m[0].prog_slots = (void *)slots;
	m[0].nprog_slots = 1;
	map_init(&m[1], "hm_unused", BPF_MAP_TYPE_ARRAY, 4, 4, 1);
	prog_init(&p[0], "hm_entry", entry, 6, &ref, 1);
	prog_init(&p[1], "hm_unused", unused, 2, NULL, 0);
	prog_init(&p[2], "hm_target", target, 2, NULL, 0);
	spec_init(&obj, m, 2, p, 3);

	assert_int_equal(object_load(&obj, &p[0], &o, &lo, &err), 0);
	assert_int_equal(run_prog(lo.prog_fd, 1), 42);
	assert_int_equal(lo.prog_fd, lo.prog_fds[0]);
	assert_true(lo.prog_fds[2] >= 0);       /* the tail-call target */
	assert_int_equal(lo.prog_fds[1], -1);   /* not needed: not loaded */
	assert_int_equal(lo.map_fds[1], -1);
	loaded_object_close(&lo);

	/* A slot naming no program is an error, not a crash. */
	slots[0].prog = 7;
	assert_int_equal(object_load(&obj, &p[0], &o, &lo, &err), -EINVAL);
	assert_string_equal(err.text,
			    "map \"hm_jmp\": slot 1 names no program of the object");
	slots[0].slot = 9;
	slots[0].prog = 2;
	assert_int_equal(object_load(&obj, &p[0], &o, &lo, &err), -E2BIG);
	assert_contains(err.text, "cannot put program \"hm_target\" into slot 9 of map \"hm_jmp\"");
}

/* A program reading a pinned ARRAY map's slot 0 (r0 = value or 0). */
struct pinned_obj {
	struct bpf_insn insns[9];
	struct map_ref ref;
	struct map_spec m;
	struct prog_spec p;
	struct object_spec obj;
};

static void pinned_obj_init(struct pinned_obj *po, uint32_t max_entries,
			    bool reject)
{
	struct bpf_insn insns[] = {
		INSN(BPF_ST | BPF_MEM | BPF_W, 10, 0, -4, 0), /* key = 0 */
		LD_IMM64(1),
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0),
		INSN(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -4),
		CALL(BPF_FUNC_map_lookup_elem),
		/* reject: dereference without the NULL check */
		reject ? LDX_W(0, 0, 0) : INSN(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1, 0),
		LDX_W(0, 0, 0),
		EXIT(),
	};

	memcpy(po->insns, insns, sizeof(insns));
	po->ref = (struct map_ref){ .insn = 1, .map = 0 };
	map_init(&po->m, "hm.pinned", BPF_MAP_TYPE_ARRAY, 4, 4, max_entries);
	po->m.pinning = MAP_PIN_BY_NAME;
	prog_init(&po->p, reject ? "hm_reject" : "hm_read", po->insns, 9,
		  &po->ref, 1);
	spec_init(&po->obj, &po->m, 1, &po->p, 1);
}

static void test_hm_pins(void **state)
{
	struct pinned_obj po;
	struct loaded_object lo, lo2;
	struct load_opts o = quiet_opts(NULL);
	struct errmsg err = { 0 };
	struct bpf_map_info i1, i2;
	char path[PATH_MAX], want[PATH_MAX + 128];
	uint32_t key = 0, val = 1234;
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	FILE *log;

	snprintf(path, sizeof(path), "%s/hm_pinned", pin_dir);

	/* Rejected program: the map it would have pinned is not pinned. */
	pinned_obj_init(&po, 4, true);
	assert_true(object_load(&po.obj, &po.p, &o, &lo, &err) < 0);
	assert_int_equal(access(path, F_OK), -1);

	pinned_obj_init(&po, 4, false);
	log = open_memstream(&buf, &len);
	o.log_stream = log;
	o.verbose = true;
	assert_int_equal(object_load(&po.obj, &po.p, &o, &lo, &err), 0);
	assert_int_equal(stat(path, &st), 0);   /* '.' became '_' */
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(bpf_sys_map_update(lo.map_fds[0], &key, &val, 0, &err), 0);
	assert_int_equal(run_prog(lo.prog_fd, 1), 1234);

	/* Second load: the pin is reused, the value is still there. */
	assert_int_equal(object_load(&po.obj, &po.p, &o, &lo2, &err), 0);
	assert_int_equal(run_prog(lo2.prog_fd, 1), 1234);
	assert_int_equal(bpf_sys_map_get_info(lo.map_fds[0], &i1, &err), 0);
	assert_int_equal(bpf_sys_map_get_info(lo2.map_fds[0], &i2, &err), 0);
	assert_int_equal(i1.id, i2.id);
	loaded_object_close(&lo2);
	fclose(log);
	assert_contains(buf, "pinned at");
	assert_contains(buf, "reusing pin");
	free(buf);
	o.log_stream = NULL;
	o.verbose = false;

	/* A pin that does not match: a clear error, the pin stays. */
	pinned_obj_init(&po, 8, false);
	assert_int_equal(object_load(&po.obj, &po.p, &o, &lo2, &err), -EINVAL);
	snprintf(want, sizeof(want),
		 "pinned map %s does not match the object: max_entries 4, object wants 8 (remove the pin to recreate it)",
		 path);
	assert_string_equal(err.text, want);
	assert_int_equal(access(path, F_OK), 0);
	po.m.max_entries = 4;
	po.m.flags = BPF_F_RDONLY_PROG;
	assert_int_equal(object_load(&po.obj, &po.p, &o, &lo2, &err), -EINVAL);
	assert_contains(err.text, "flags 0x0, object wants 0x80");
	po.m.flags = 0;
	po.m.value_size = 8;
	assert_int_equal(object_load(&po.obj, &po.p, &o, &lo2, &err), -EINVAL);
	assert_contains(err.text, "value size 4, object wants 8");

	/* No pin_dir: pinning by name is off, a fresh map is made. */
	pinned_obj_init(&po, 8, false);
	o.pin_dir = NULL;
	assert_int_equal(object_load(&po.obj, &po.p, &o, &lo2, &err), 0);
	assert_int_equal(run_prog(lo2.prog_fd, 1), 0);
	loaded_object_close(&lo2);

	/* A program pinned where a map is expected. */
	o.pin_dir = pin_dir;
	unlink(path);
	assert_int_equal(bpf_sys_obj_pin(lo.prog_fd, path, &err), 0);
	assert_int_equal(object_load(&po.obj, &po.p, &o, &lo2, &err), -EINVAL);
	assert_contains(err.text, "is not a map (remove the pin to recreate it)");
	unlink(path);
	loaded_object_close(&lo);
}

/* FIPS 180-4's examples, and lengths around the padding's edges. */
static void test_prog_tag_digests(void **state)
{
	static const struct {
		const char *in;
		const char *sha1, *sha256;
	} v[] = {
		{ "", "da39a3ee5e6b4b0d3255bfef95601890afd80709",
		  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc", "a9993e364706816aba3e25717850c26c9cd0d89d",
		  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "84983e441c3bd26ebaae4aa1f95129e5e54670f1",
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	};
	uint8_t d1[20], d256[32];
	char hex[65];
	size_t i, k;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		sha1_digest(v[i].in, strlen(v[i].in), d1);
		for (k = 0; k < 20; k++)
			sprintf(hex + 2 * k, "%02x", d1[k]);
		assert_string_equal(hex, v[i].sha1);
		sha256_digest(v[i].in, strlen(v[i].in), d256);
		for (k = 0; k < 32; k++)
			sprintf(hex + 2 * k, "%02x", d256[k]);
		assert_string_equal(hex, v[i].sha256);
	}
}

/* The tag computed here is the one the kernel gives the program, map fds
 * and all. */
static void test_prog_tag_kernel(void **state)
{
	struct pinned_obj po;
	struct loaded_object lo;
	struct load_opts o = quiet_opts(NULL);
	struct errmsg err = { 0 };
	struct bpf_prog_info info;
	char path[PATH_MAX];

	pinned_obj_init(&po, 4, false);
	assert_int_equal(object_load(&po.obj, &po.p, &o, &lo, &err), 0);
	assert_int_equal(bpf_sys_prog_get_info(lo.prog_fd, &info, &err), 0);
	/* Map references hold fds when sent: the tag must not see them. */
	po.insns[1].src_reg = BPF_PSEUDO_MAP_FD;
	po.insns[1].imm = lo.map_fds[0];
	assert_true(prog_tag_matches(po.insns, 9, info.tag));
	po.insns[1].imm = 1000;
	assert_true(prog_tag_matches(po.insns, 9, info.tag));
	po.insns[8].imm = 1;    /* another instruction: another tag */
	assert_false(prog_tag_matches(po.insns, 9, info.tag));
	loaded_object_close(&lo);
	snprintf(path, sizeof(path), "%s/hm_pinned", pin_dir);
	unlink(path);
}

/* opts->same_prog_fd: the program already loaded is taken when it is the
 * one the load would make, and only then. */
static void test_hm_same_prog(void **state)
{
	struct pinned_obj po;
	struct loaded_object lo, lo2;
	struct load_opts o = quiet_opts(NULL);
	struct errmsg err = { 0 };
	struct bpf_prog_info a, b;
	char path[PATH_MAX];
	int same;

	snprintf(path, sizeof(path), "%s/hm_pinned", pin_dir);
	pinned_obj_init(&po, 4, false);
	assert_int_equal(object_load(&po.obj, &po.p, &o, &lo, &err), 0);
	assert_int_equal(lo.reused_id, 0);
	assert_int_equal(bpf_sys_prog_get_info(lo.prog_fd, &a, &err), 0);

	/* The same object on the same (pinned) map: taken, not loaded. */
	same = fcntl(lo.prog_fd, F_DUPFD_CLOEXEC, 0);
	o.same_prog_fd = &same;
	assert_int_equal(object_load(&po.obj, &po.p, &o, &lo2, &err), 0);
	assert_int_equal(same, -1);
	assert_int_equal(lo2.reused_id, a.id);
	assert_int_equal(bpf_sys_prog_get_info(lo2.prog_fd, &b, &err), 0);
	assert_int_equal(b.id, a.id);
	loaded_object_close(&lo2);

	/* Other instructions: loaded, and the fd stays the caller's. */
	same = fcntl(lo.prog_fd, F_DUPFD_CLOEXEC, 0);
	po.insns[0].imm = 0;
	po.insns[8] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	po.insns[7] = MOV_IMM(0, 9);
	assert_int_equal(object_load(&po.obj, &po.p, &o, &lo2, &err), 0);
	assert_true(same >= 0);
	assert_int_equal(lo2.reused_id, 0);
	assert_int_equal(run_prog(lo2.prog_fd, 1), 9);
	loaded_object_close(&lo2);

	/* A map made now (the pin is gone): another program. */
	pinned_obj_init(&po, 4, false);
	unlink(path);
	assert_int_equal(object_load(&po.obj, &po.p, &o, &lo2, &err), 0);
	assert_true(same >= 0);
	assert_int_equal(lo2.reused_id, 0);
	loaded_object_close(&lo2);
	close(same);
	loaded_object_close(&lo);
	unlink(path);
}

static void test_hm_reject_log(void **state)
{
	enum { N = 8000 };
	struct bpf_insn *insns = calloc(N + 2, sizeof(*insns));
	struct prog_spec p;
	struct object_spec obj;
	struct loaded_object lo;
	struct load_opts o = quiet_opts(NULL);
	struct errmsg err = { 0 };
	char *buf = NULL;
	size_t len = 0, i;
	FILE *log;

	/* Enough straight-line code for a level-1 log well past 64 KiB, then
	 * a read of an uninitialised register. */
	for (i = 0; i < N; i++)
		insns[i] = MOV_IMM(0, (int)i);
	insns[N] = LDX_W(0, 2, 0);
	insns[N + 1] = EXIT();
	prog_init(&p, "hm_long_reject", insns, N + 2, NULL, 0);
	spec_init(&obj, NULL, 0, &p, 1);

	log = open_memstream(&buf, &len);
	o.log_stream = log;
	o.verbose_log = true;
	assert_int_equal(object_load(&obj, &p, &o, &lo, &err), -EACCES);
	fclose(log);
	assert_string_equal(err.text,
			    "verifier rejected program \"hm_long_reject\" (Permission denied): R2 !read_ok");
	/* The whole log was printed: the buffer grew past 64 KiB. */
	assert_true(len > 64 * 1024);
	assert_contains(buf, "0: (b7) r0 = 0");
	free(buf);

	/* Without verbose_log only the tail is printed. */
	log = open_memstream(&buf, &len);
	o.log_stream = log;
	o.verbose_log = false;
	assert_int_equal(object_load(&obj, &p, &o, &lo, &err), -EACCES);
	fclose(log);
	assert_true(len < 4096);
	assert_contains(buf, "(last 20 of ");
	assert_contains(buf, "R2 !read_ok");
	free(buf);
	free(insns);
}

static void test_hm_bad_btf(void **state)
{
	static uint8_t junk_btf[32] = { 0x9f, 0xeb, 1, 0, 24 };
	struct bpf_insn insns[] = { LD_IMM64(1), MOV_IMM(0, 3), EXIT() };
	struct map_ref ref = { .insn = 0, .map = 0 };
	struct object_spec obj;
	struct map_spec m;
	struct prog_spec p;
	struct loaded_object lo;
	struct load_opts o = quiet_opts(NULL);
	struct errmsg err = { 0 };
	char *buf = NULL;
	size_t len = 0;

	map_init(&m, "hm_btf", BPF_MAP_TYPE_ARRAY, 4, 4, 1);
	m.btf_key_type_id = 1;
	m.btf_value_type_id = 2;
	prog_init(&p, "hm_btf", insns, 4, &ref, 1);
	spec_init(&obj, &m, 1, &p, 1);
	obj.btf = junk_btf;
	obj.btf_size = sizeof(junk_btf);
	o.verbose = true;
	o.log_stream = open_memstream(&buf, &len);
	assert_int_equal(object_load(&obj, &p, &o, &lo, &err), 0);
	fclose(o.log_stream);
	assert_false(lo.btf_loaded);
	assert_true(lo.map_fds[0] >= 0);
	assert_int_equal(run_prog(lo.prog_fd, 1), 3);
	assert_contains(buf, "kernel rejected the object's BTF");
	free(buf);
	loaded_object_close(&lo);
}

static void test_hm_bad_input(void **state)
{
	struct bpf_insn insns[] = { MOV_IMM(0, 0), EXIT() };
	struct map_ref ref = { .insn = 0, .map = 3 };
	struct object_spec obj, other;
	struct prog_spec p, q;
	struct loaded_object lo;
	struct errmsg err = { 0 };

	prog_init(&p, "hm_bad", insns, 2, &ref, 1);
	spec_init(&obj, NULL, 0, &p, 1);
	assert_int_equal(object_load(&obj, &p, NULL, &lo, &err), -EINVAL);
	assert_string_equal(err.text,
			    "program \"hm_bad\": map reference 0 is out of range");
	assert_int_equal(lo.prog_fd, -1);

	/* A map reference on something else than a ld_imm64. */
	{
		struct bpf_insn two[] = { MOV_IMM(1, 0), MOV_IMM(0, 0), EXIT() };
		struct map_spec m;
		struct map_ref r = { .insn = 0, .map = 0 };

		map_init(&m, "hm_m", BPF_MAP_TYPE_ARRAY, 4, 4, 1);
		prog_init(&q, "hm_notld", two, 3, &r, 1);
		spec_init(&other, &m, 1, &q, 1);
		assert_int_equal(object_load(&other, &q, NULL, &lo, &err), -EINVAL);
		assert_string_equal(err.text,
				    "program \"hm_notld\": insn 0: map reference is not a ld_imm64");

		/* A map the kernel refuses names the map and its shape. */
		m.key_size = 0;
		prog_init(&q, "hm_notld", two, 3, &r, 1);
		assert_int_equal(object_load(&other, &q, NULL, &lo, &err), -EINVAL);
		assert_string_equal(err.text,
				    "cannot create map \"hm_m\" (type 2, key 0, value 4, max_entries 1, flags 0x0): Invalid argument");
	}

	/* A program from another object. */
	prog_init(&q, "hm_other", insns, 2, NULL, 0);
	assert_int_equal(object_load(&obj, &q, NULL, &lo, &err), -EINVAL);
	assert_one_line(&err);
}

/* In a child without any capability, loading must fail with one line
 * naming the missing privilege. */
static void test_hm_no_privilege(void **state)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		struct __user_cap_header_struct hdr = {
			.version = _LINUX_CAPABILITY_VERSION_3,
		};
		struct __user_cap_data_struct data[2];
		struct bpf_insn insns[] = { MOV_IMM(0, 0), EXIT() };
		struct object_spec obj;
		struct prog_spec p;
		struct loaded_object lo;
		struct errmsg err = { 0 };
		int ret;

		memset(data, 0, sizeof(data));
		if (syscall(SYS_capset, &hdr, data))
			_exit(2);
		prog_init(&p, "hm_priv", insns, 2, NULL, 0);
		spec_init(&obj, NULL, 0, &p, 1);
		ret = object_load(&obj, &p, NULL, &lo, &err);
		if (ret != -EPERM || strcmp(err.text,
			"missing privilege: loading BPF needs CAP_BPF (or CAP_SYS_ADMIN); tc programs also CAP_NET_ADMIN")) {
			fprintf(stderr, "got %d: %s\n", ret, err.text);
			_exit(1);
		}
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- object_load on tests/progs objects -------------------------------- */

struct opened {
	void *buf;
	struct object_spec obj;
	const struct prog_spec *prog;
};

static void open_object(struct opened *o, const char *name,
			const char *function)
{
	const char *dir = getenv("TCSTEER_PROGS");
	struct errmsg err = { 0 };
	char path[PATH_MAX];
	struct stat st;
	ssize_t n;
	int fd;

	if (!dir)
		fail_msg("TCSTEER_PROGS is not set (run through ctest)");
	snprintf(path, sizeof(path), "%s/%s.o", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st))
		fail_msg("cannot open %s: %s", path, strerror(errno));
	o->buf = malloc(st.st_size ? st.st_size : 1);
	assert_non_null(o->buf);
	n = read(fd, o->buf, st.st_size);
	close(fd);
	assert_int_equal(n, st.st_size);
	if (object_open(&o->obj, o->buf, st.st_size, &err) < 0)
		fail_msg("object_open(%s): %s", path, err.text);
	o->prog = object_find_program(&o->obj, NULL, function, &err);
	if (!o->prog)
		fail_msg("%s: %s", path, err.text);
}

static void close_object(struct opened *o)
{
	object_close(&o->obj);
	free(o->buf);
}

static int map_index(const struct object_spec *obj, const char *name)
{
	size_t i;

	for (i = 0; i < obj->nmaps; i++)
		if (!strcmp(obj->maps[i].name, name))
			return (int)i;
	fail_msg("no map \"%s\" in the object", name);
	return -1;
}

static uint64_t symbol_value(const struct object_spec *obj, const char *name)
{
	size_t i;

	for (i = 0; i < obj->elf.nsymbols; i++)
		if (!strcmp(obj->elf.symbols[i].name, name))
			return obj->elf.symbols[i].value;
	fail_msg("no symbol \"%s\" in the object", name);
	return 0;
}

/* Load name.o's function and run it once; returns the retval. */
static uint32_t load_and_run(const char *name, const char *function)
{
	struct load_opts o = quiet_opts(NULL);
	struct loaded_object lo;
	struct errmsg err = { 0 };
	struct opened ob;
	uint32_t ret;

	open_object(&ob, name, function);
	if (object_load(&ob.obj, ob.prog, &o, &lo, &err) < 0)
		fail_msg("object_load(%s, %s): %s", name, function, err.text);
	ret = run_prog(lo.prog_fd, 1);
	loaded_object_close(&lo);
	close_object(&ob);
	return ret;
}

static void test_obj_pass(void **state)
{
	assert_int_equal(load_and_run("pass", "tc_pass"), 0);
}

static void test_obj_subprog(void **state)
{
	assert_int_equal(load_and_run("subprog", "subprog_main"), 42);
}

static void test_obj_multi_prog(void **state)
{
	assert_int_equal(load_and_run("multi_prog", NULL), 1);
	assert_int_equal(load_and_run("multi_prog", "multi_second"), 2);
	assert_int_equal(load_and_run("multi_prog", "multi_cls"), 3);
	assert_int_equal(load_and_run("multi_prog", "multi_ingress"), 4);
}

static void test_obj_legacy_maps(void **state)
{
	struct load_opts o = quiet_opts(NULL);
	struct loaded_object lo;
	struct errmsg err = { 0 };
	struct opened ob;
	uint32_t key = 0x0a000001, val[2] = { 1, 0x0a000063 };
	int m;

	open_object(&ob, "legacy_maps", "legacy_steer");
	if (object_load(&ob.obj, ob.prog, &o, &lo, &err) < 0)
		fail_msg("%s", err.text);
	assert_int_equal(run_prog(lo.prog_fd, 1), TC_ACT_OK);
	m = map_index(&ob.obj, "legacy_nh");
	assert_int_equal(bpf_sys_map_update(lo.map_fds[m], &key, val, 0, &err), 0);
	assert_int_equal(run_prog(lo.prog_fd, 1), TC_ACT_REDIRECT);
	loaded_object_close(&lo);
	close_object(&ob);
}

static uint64_t pinned_counter(const char *dir, const char *name)
{
	struct errmsg err = { 0 };
	char path[PATH_MAX];
	uint32_t key = 0;
	uint64_t v = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = bpf_sys_obj_get(path, BPF_F_RDONLY, &err);
	if (fd < 0)
		fail_msg("%s: %s", path, err.text);
	assert_int_equal(bpf_sys_map_lookup(fd, &key, &v, 0, &err), 0);
	close(fd);
	return v;
}

static void test_obj_elf_maps(void **state)
{
	struct load_opts o = quiet_opts(NULL);
	struct loaded_object lo;
	struct errmsg err = { 0 };
	struct opened ob;
	char path[PATH_MAX];
	int pass;

	open_object(&ob, "elf_maps", "count_pins");
	for (pass = 1; pass <= 2; pass++) {
		if (object_load(&ob.obj, ob.prog, &o, &lo, &err) < 0)
			fail_msg("%s", err.text);
		assert_int_equal(run_prog(lo.prog_fd, 3), 0);
		loaded_object_close(&lo);
		/* Pinned counters survive the reload; 3 runs per pass. */
		assert_int_equal(pinned_counter(global_dir, "elf_global"),
				 3 * pass);
		assert_int_equal(pinned_counter(pin_dir, "elf_object"), 3 * pass);
	}
	snprintf(path, sizeof(path), "%s/elf_private", pin_dir);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/elf_global", global_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/elf_object", pin_dir);
	unlink(path);
	close_object(&ob);
}

static void test_obj_btf_maps(void **state)
{
	struct load_opts o = quiet_opts(NULL);
	struct loaded_object lo;
	struct errmsg err = { 0 };
	struct opened ob;
	struct bpf_map_info info;
	struct { uint32_t prefixlen, addr; } key = { 24, htonl(0x0a000000) };
	uint32_t val = 17;
	char path[PATH_MAX];
	int m;

	open_object(&ob, "btf_maps", "btf_maps_prog");
	if (object_load(&ob.obj, ob.prog, &o, &lo, &err) < 0)
		fail_msg("%s", err.text);
	assert_true(lo.btf_loaded);
	assert_int_equal(run_prog(lo.prog_fd, 1), 0);
	m = map_index(&ob.obj, "btf_lpm");
	assert_int_equal(bpf_sys_map_get_info(lo.map_fds[m], &info, &err), 0);
	assert_int_equal(info.type, BPF_MAP_TYPE_LPM_TRIE);
	assert_int_equal(info.map_flags, BPF_F_NO_PREALLOC);
	assert_true(info.btf_id != 0);
	assert_int_equal(bpf_sys_map_update(lo.map_fds[m], &key, &val, 0, &err), 0);
	assert_int_equal(run_prog(lo.prog_fd, 1), 17);
	loaded_object_close(&lo);
	assert_int_equal(pinned_counter(pin_dir, "btf_array"), 2);
	snprintf(path, sizeof(path), "%s/btf_array", pin_dir);
	unlink(path);
	close_object(&ob);
}

/* A map of maps: created with a template, pinned and reused by name, its
 * slot filled afterwards with an inner map bigger than the template (a
 * hash's size is not part of its type), and one of another type refused. */
static void test_obj_map_in_map(void **state)
{
	struct load_opts o = quiet_opts(NULL);
	struct bpf_sys_map_attr a = { .type = BPF_MAP_TYPE_LRU_HASH, .key_size = 4,
				      .value_size = 8, .max_entries = 4096,
				      .btf_fd = -1, .inner_map_fd = -1 };
	struct loaded_object lo, lo2;
	struct errmsg err = { 0 };
	struct bpf_map_info info;
	struct opened ob;
	uint32_t zero = 0, len = sizeof(packet), inner_id = 0;
	uint64_t val = 42;
	char path[PATH_MAX];
	int m, inner;

	open_object(&ob, "map_in_map", "mim_prog");
	if (object_load(&ob.obj, ob.prog, &o, &lo, &err) < 0)
		fail_msg("%s", err.text);
	assert_int_equal(run_prog(lo.prog_fd, 1), 1);
	m = map_index(&ob.obj, "mim_outer");
	assert_int_equal(bpf_sys_map_get_info(lo.map_fds[m], &info, &err), 0);
	assert_int_equal(info.type, BPF_MAP_TYPE_ARRAY_OF_MAPS);

	inner = bpf_sys_map_create(&a, &err);
	assert_true(inner >= 0);
	assert_int_equal(bpf_sys_map_update(lo.map_fds[m], &zero, &inner, BPF_ANY, &err), 0);
	assert_int_equal(run_prog(lo.prog_fd, 1), 2);
	assert_int_equal(bpf_sys_map_update(inner, &len, &val, BPF_ANY, &err), 0);
	assert_int_equal(run_prog(lo.prog_fd, 1), 42);
	/* From user space, a slot reads as the inner map's id. */
	assert_int_equal(bpf_sys_map_lookup(lo.map_fds[m], &zero, &inner_id, 0, &err), 0);
	assert_int_equal(bpf_sys_map_get_info(inner, &info, &err), 0);
	assert_int_equal(inner_id, info.id);
	close(inner);
	loaded_object_close(&lo);

	/* The pin keeps the outer map and, through it, the inner one. */
	if (object_load(&ob.obj, ob.prog, &o, &lo2, &err) < 0)
		fail_msg("reload: %s", err.text);
	assert_int_equal(run_prog(lo2.prog_fd, 1), 42);
	a.type = BPF_MAP_TYPE_HASH;
	inner = bpf_sys_map_create(&a, &err);
	assert_true(inner >= 0);
	assert_int_equal(bpf_sys_map_update(lo2.map_fds[m], &zero, &inner, BPF_ANY, NULL),
			 -EINVAL);
	close(inner);
	assert_int_equal(bpf_sys_map_delete(lo2.map_fds[m], &zero, &err), 0);
	assert_int_equal(run_prog(lo2.prog_fd, 1), 1);
	loaded_object_close(&lo2);
	snprintf(path, sizeof(path), "%s/mim_outer", pin_dir);
	assert_int_equal(unlink(path), 0);
	close_object(&ob);
}

static void test_obj_global_data(void **state)
{
	struct load_opts o = quiet_opts(NULL);
	struct loaded_object lo;
	struct errmsg err = { 0 };
	struct opened ob;
	uint8_t val[256];
	uint32_t key = 0;
	int m;

	open_object(&ob, "global_data", "global_data_prog");
	if (object_load(&ob.obj, ob.prog, &o, &lo, &err) < 0)
		fail_msg("%s", err.text);
	assert_int_equal(run_prog(lo.prog_fd, 1), 42);
	assert_int_equal(run_prog(lo.prog_fd, 2), 42);

	m = map_index(&ob.obj, ".bss");
	assert_true(ob.obj.maps[m].value_size <= sizeof(val));
	assert_int_equal(bpf_sys_map_lookup(lo.map_fds[m], &key, val, 0, &err), 0);
	{
		uint64_t runs, off = symbol_value(&ob.obj, "bss_runs");

		assert_true(off + sizeof(runs) <= ob.obj.maps[m].value_size);
		memcpy(&runs, val + off, sizeof(runs));
		assert_int_equal(runs, 3);
	}
	{
		uint32_t last, off = symbol_value(&ob.obj, "bss_last_len");

		memcpy(&last, val + off, sizeof(last));
		assert_int_equal(last, sizeof(packet));
	}
	/* .data holds its initial bytes (and the program only reads it). */
	m = map_index(&ob.obj, ".data");
	assert_non_null(ob.obj.maps[m].init);
	assert_int_equal(bpf_sys_map_lookup(lo.map_fds[m], &key, val, 0, &err), 0);
	assert_memory_equal(val, ob.obj.maps[m].init, ob.obj.maps[m].value_size);
	assert_true(lo.btf_loaded);
	m = map_index(&ob.obj, ".rodata");
	assert_int_equal(bpf_sys_map_lookup(lo.map_fds[m], &key, val, 0, &err), 0);
	assert_int_equal(bpf_sys_map_update(lo.map_fds[m], &key, val, 0, &err),
			 -EPERM);
	loaded_object_close(&lo);
	close_object(&ob);
}

static void test_obj_tail_call(void **state)
{
	assert_int_equal(load_and_run("tail_call", "tail_entry"), 42);
	assert_int_equal(load_and_run("tail_call", "tail_target"), 42);
}

static void test_obj_reject(void **state)
{
	struct load_opts o = quiet_opts(NULL);
	struct loaded_object lo;
	struct errmsg err = { 0 };
	struct opened ob;
	char *buf = NULL;
	size_t len = 0;

	open_object(&ob, "reject", "reject_unchecked");
	o.log_stream = open_memstream(&buf, &len);
	assert_int_equal(object_load(&ob.obj, ob.prog, &o, &lo, &err), -EACCES);
	fclose(o.log_stream);
	assert_one_line(&err);
	assert_contains(err.text,
			"verifier rejected program \"reject_unchecked\" (Permission denied): ");
	assert_contains(buf, "verifier log for \"reject_unchecked\"");
	free(buf);
	assert_int_equal(lo.prog_fd, -1);
	close_object(&ob);
}

/* ---- main -------------------------------------------------------------- */

static int remove_entry(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	remove(path);
	return 0;
}

static void cleanup_pins(void)
{
	if (pin_root[0])
		nftw(pin_root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A run that crashed could not clean up: remove directories of test runs
 * whose process is gone. */
static void cleanup_stale_runs(void)
{
	DIR *d = opendir(BPFFS_DEFAULT_MOUNT);
	struct dirent *e;
	char path[PATH_MAX];
	int pid;

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (sscanf(e->d_name, "tcsteer_tl_%d", &pid) != 1 || pid <= 0 ||
		    kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		snprintf(path, sizeof(path), "%s/%s", BPFFS_DEFAULT_MOUNT,
			 e->d_name);
		nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	}
	closedir(d);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fd_setup, fd_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_sys_map_ops),
		T(test_sys_prog_info_run),
		T(test_sys_pin_get),
		T(test_bpffs),
		T(test_hm_global_data),
		T(test_hm_tail_call),
		T(test_hm_pins),
		T(test_prog_tag_digests),
		T(test_prog_tag_kernel),
		T(test_hm_same_prog),
		T(test_hm_reject_log),
		T(test_hm_bad_btf),
		T(test_hm_bad_input),
		T(test_hm_no_privilege),
		T(test_obj_pass),
		T(test_obj_subprog),
		T(test_obj_multi_prog),
		T(test_obj_legacy_maps),
		T(test_obj_elf_maps),
		T(test_obj_btf_maps),
		T(test_obj_map_in_map),
		T(test_obj_global_data),
		T(test_obj_tail_call),
		T(test_obj_reject),
	};
	struct errmsg err = { 0 };
	int failed;

	if (geteuid() != 0) {
		printf("SKIP test_load: needs root\n");
		return 77;
	}
	if (bpffs_ensure_mounted(BPFFS_DEFAULT_MOUNT, stdout, &err) < 0) {
		printf("SKIP test_load: %s\n", err.text);
		return 77;
	}
	cleanup_stale_runs();
	umask(022);
	devnull = fopen("/dev/null", "we");
	snprintf(pin_root, sizeof(pin_root), "%s/tcsteer_tl_%d",
		 BPFFS_DEFAULT_MOUNT, (int)getpid());
	snprintf(pin_dir, sizeof(pin_dir), "%s/obj", pin_root);
	snprintf(global_dir, sizeof(global_dir), "%s/globals", pin_root);
	if (bpffs_mkdir_p(pin_root, 0700, &err) < 0) {
		fprintf(stderr, "%s\n", err.text);
		return 1;
	}
	failed = cmocka_run_group_tests(tests, NULL, NULL);
	cleanup_pins();
	if (devnull)
		fclose(devnull);
	return failed ? 1 : 0;
}
