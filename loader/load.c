/* SPDX-License-Identifier: MIT */
/* object_load: from an object_spec to kernel maps and programs.
 *
 * Order of work, chosen so that a failure leaves the system as it was:
 *   1. find which maps and programs are needed (the chosen program, the
 *      maps it refers to, the programs in the PROG_ARRAYs it uses, ...);
 *   2. upload the BTF (optional: dropped if the kernel refuses it);
 *   3. open matching pins or create the maps, fill and freeze global data;
 *   4. load the programs (tail-call targets too), verifier log on failure;
 *   5. fill PROG_ARRAY slots;
 *   6. pin the maps created in step 3 — only now, after every program
 *      loaded, so that a rejected program never leaves new pins behind.
 * Existing pins are never removed. */
#include "load.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf_sys.h"
#include "bpffs.h"

#define LOG_SIZE_FIRST (64u << 10)
#define LOG_SIZE_MAX (16u << 20)
#define LOG_TAIL_LINES 20

_Static_assert(LOG_SIZE_MAX <= BPF_SYS_LOG_MAX, "log cap within the kernel's");

struct load_ctx {
	const struct object_spec *obj;
	const struct load_opts *opts;
	FILE *log;
	struct errmsg *err;
	struct loaded_object *lo;
	int btf_fd;             /* -1 when there is no (accepted) BTF */
	bool *need_map;         /* [obj->nmaps] */
	bool *need_prog;        /* [obj->nprogs] */
	char **pin_path;        /* [obj->nmaps]: NULL if the map is not pinned */
	bool *pin_new;          /* [obj->nmaps]: created here, pin at the end */
	bool *pinned_here;      /* [obj->nmaps]: pinned by this call */
};

static void note(const struct load_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void note(const struct load_ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (!c->opts->verbose)
		return;
	va_start(ap, fmt);
	vfprintf(c->log, fmt, ap);
	va_end(ap);
	fputc('\n', c->log);
}

/* The kernel accepts object names of at most 15 chars of [A-Za-z0-9_.]
 * (bpf_obj_name_cpy) and fails the whole call otherwise. */
static void kernel_name(char dst[BPF_OBJ_NAME_LEN], const char *name)
{
	size_t i;

	for (i = 0; name[i] && i < BPF_OBJ_NAME_LEN - 1; i++) {
		char ch = name[i];
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			  (ch >= '0' && ch <= '9') || ch == '_' || ch == '.';

		dst[i] = ok ? ch : '_';
	}
	dst[i] = '\0';
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* ---- 1. what is needed ------------------------------------------------ */

static int check_refs(const struct load_ctx *c, const struct prog_spec *p)
{
	size_t i;

	for (i = 0; i < p->nrefs; i++) {
		const struct map_ref *r = &p->refs[i];

		if (r->map < 0 || (size_t)r->map >= c->obj->nmaps ||
		    r->insn + 1 >= p->ninsns)
			return errmsg_set(c->err, EINVAL,
					  "program \"%s\": map reference %zu is out of range",
					  p->name, i);
	}
	return 0;
}

static int check_slots(const struct load_ctx *c, const struct map_spec *m)
{
	size_t i;

	for (i = 0; i < m->nprog_slots; i++) {
		int p = m->prog_slots[i].prog;

		if (p < 0 || (size_t)p >= c->obj->nprogs)
			return errmsg_set(c->err, EINVAL,
					  "map \"%s\": slot %u names no program of the object",
					  m->name, m->prog_slots[i].slot);
	}
	return 0;
}

/* Mark the chosen program, and close over "program uses map" and
 * "PROG_ARRAY holds program" until nothing changes (objects are small). */
static int mark_needed(struct load_ctx *c, size_t chosen)
{
	const struct object_spec *obj = c->obj;
	bool changed = true;
	size_t i, j;
	int ret;

	c->need_prog[chosen] = true;
	while (changed) {
		changed = false;
		for (i = 0; i < obj->nprogs; i++) {
			const struct prog_spec *p = &obj->progs[i];

			if (!c->need_prog[i])
				continue;
			ret = check_refs(c, p);
			if (ret < 0)
				return ret;
			for (j = 0; j < p->nrefs; j++) {
				changed |= !c->need_map[p->refs[j].map];
				c->need_map[p->refs[j].map] = true;
			}
		}
		for (i = 0; i < obj->nmaps; i++) {
			const struct map_spec *m = &obj->maps[i];

			if (!c->need_map[i])
				continue;
			ret = check_slots(c, m);
			if (ret < 0)
				return ret;
			for (j = 0; j < m->nprog_slots; j++) {
				int p = m->prog_slots[j].prog;

				changed |= !c->need_prog[p];
				c->need_prog[p] = true;
			}
		}
	}
	return 0;
}

/* ---- kernel logs (verifier, BTF) ---------------------------------------- */

/* The last line of a kernel log that says something: not the statistics
 * the verifier appends, not blank. Copied into dst. */
static void last_meaningful_line(char *dst, size_t size, const char *log)
{
	static const char *const noise[] = {
		"processed ", "verification time", "stack depth",
		"max_states_per_insn", "mark_read",
	};
	const char *end = log + strlen(log);

	dst[0] = '\0';
	while (end > log) {
		const char *start = end;
		size_t len, k;
		bool skip = false;

		while (start > log && start[-1] != '\n')
			start--;
		len = (size_t)(end - start);
		for (k = 0; k < sizeof(noise) / sizeof(noise[0]); k++)
			skip |= !strncmp(start, noise[k], strlen(noise[k]));
		while (len && (start[len - 1] == ' ' || start[len - 1] == '\t'))
			len--;
		if (len && !skip) {
			if (len >= size)
				len = size - 1;
			memcpy(dst, start, len);
			dst[len] = '\0';
			return;
		}
		end = start > log ? start - 1 : log;
	}
}

/* ---- 2. BTF ------------------------------------------------------------ */

/* Why the kernel refused the BTF, for the verbose note only. */
static void btf_reject_reason(struct load_ctx *c, int ret, char *why,
			      size_t size)
{
	char *buf = malloc(LOG_SIZE_FIRST);
	int fd;

	snprintf(why, size, "%s", strerror(-ret));
	if (!buf)
		return;
	fd = bpf_sys_btf_load(c->obj->btf, c->obj->btf_size, buf,
			      LOG_SIZE_FIRST, 1, NULL, NULL);
	if (fd >= 0) {
		close(fd);
	} else if (buf[0]) {
		char line[256];

		last_meaningful_line(line, sizeof(line), buf);
		snprintf(why, size, "%s: %s", strerror(-ret), line);
	}
	free(buf);
}

static bool btf_wanted(const struct load_ctx *c)
{
	size_t i;

	if (!c->obj->btf || !c->obj->btf_size)
		return false;
	for (i = 0; i < c->obj->nmaps; i++)
		if (c->need_map[i] && (c->obj->maps[i].btf_key_type_id ||
				       c->obj->maps[i].btf_value_type_id))
			return true;
	return false;
}

/* BTF only makes maps prettier to dump: a refusal is a note, not an error
 * (clang and kernel versions disagree about BTF details often enough). */
static void load_btf(struct load_ctx *c)
{
	char why[300];
	int fd;

	if (!btf_wanted(c))
		return;
	fd = bpf_sys_btf_load(c->obj->btf, c->obj->btf_size, NULL, 0, 0, NULL,
			      NULL);
	if (fd >= 0) {
		c->btf_fd = fd;
		c->lo->btf_loaded = true;
		return;
	}
	if (c->opts->verbose) {
		btf_reject_reason(c, fd, why, sizeof(why));
		note(c, "kernel rejected the object's BTF (%s); loading maps without it",
		     why);
	}
}

/* ---- 3. maps ----------------------------------------------------------- */

static const char *pin_dir_for(const struct load_ctx *c,
			       const struct map_spec *m)
{
	switch (m->pinning) {
	case MAP_PIN_BY_NAME:
		return c->opts->pin_dir;
	case MAP_PIN_GLOBAL:
		return c->opts->global_pin_dir ? c->opts->global_pin_dir
					       : BPFFS_TC_GLOBALS;
	default:
		return NULL;
	}
}

static int make_pin_path(struct load_ctx *c, size_t i)
{
	const struct map_spec *m = &c->obj->maps[i];
	const char *dir = pin_dir_for(c, m);
	char path[PATH_MAX];
	int ret;

	if (!dir)
		return 0;
	ret = bpffs_pin_path(path, sizeof(path), dir, m->name, c->err);
	if (ret < 0)
		return ret;
	c->pin_path[i] = strdup(path);
	if (!c->pin_path[i])
		return errmsg_set(c->err, ENOMEM, "out of memory");
	return 0;
}

/* A pin may hold a program or link as well; only a map will do. /proc may
 * be missing in an initramfs: then trust the info comparison. */
static bool fd_is_map(int fd)
{
	char link[64], target[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return true;
	target[n] = '\0';
	return strcmp(target, "anon_inode:bpf-map") == 0;
}

static int pin_mismatch(struct load_ctx *c, const char *path,
			const char *what, uint32_t have, uint32_t want,
			bool hex)
{
	return errmsg_set(c->err, EINVAL,
			  hex ? "pinned map %s does not match the object: %s 0x%x, object wants 0x%x (remove the pin to recreate it)"
			      : "pinned map %s does not match the object: %s %u, object wants %u (remove the pin to recreate it)",
			  path, what, have, want);
}

static int check_pinned(struct load_ctx *c, const struct map_spec *m,
			const char *path, int fd)
{
	struct bpf_map_info info;
	int ret;

	if (!fd_is_map(fd))
		return errmsg_set(c->err, EINVAL,
				  "pinned object %s is not a map (remove the pin to recreate it)",
				  path);
	ret = bpf_sys_map_get_info(fd, &info, c->err);
	if (ret < 0)
		return errmsg_prefix(c->err, "pinned map %s", path);
	if (info.type != m->type)
		return pin_mismatch(c, path, "type", info.type, m->type, false);
	if (info.key_size != m->key_size)
		return pin_mismatch(c, path, "key size", info.key_size,
				    m->key_size, false);
	if (info.value_size != m->value_size)
		return pin_mismatch(c, path, "value size", info.value_size,
				    m->value_size, false);
	if (info.max_entries != m->max_entries)
		return pin_mismatch(c, path, "max_entries", info.max_entries,
				    m->max_entries, false);
	if (info.map_flags != m->flags)
		return pin_mismatch(c, path, "flags", info.map_flags, m->flags,
				    true);
	return 0;
}

/* Returns 1 and the fd in lo->map_fds[i] if a matching pin exists, 0 if
 * there is no pin, or -errno. */
static int open_pinned(struct load_ctx *c, size_t i)
{
	const char *path = c->pin_path[i];
	int fd, ret;

	fd = bpf_sys_obj_get(path, 0, NULL);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return errmsg_set(c->err, fd, "cannot open pinned map %s: %s",
				  path, strerror(-fd));
	ret = check_pinned(c, &c->obj->maps[i], path, fd);
	if (ret < 0) {
		close(fd);
		return ret;
	}
	c->lo->map_fds[i] = fd;
	note(c, "map \"%s\": reusing pin %s", c->obj->maps[i].name, path);
	return 1;
}

static int map_create_error(struct load_ctx *c, const struct map_spec *m,
			    int ret)
{
	if (ret == -EPERM)
		return errmsg_set(c->err, ret,
				  "cannot create map \"%s\": missing privilege: BPF maps need CAP_BPF (or CAP_SYS_ADMIN)",
				  m->name);
	return errmsg_set(c->err, ret,
			  "cannot create map \"%s\" (type %u, key %u, value %u, max_entries %u, flags 0x%x): %s",
			  m->name, m->type, m->key_size, m->value_size,
			  m->max_entries, m->flags, strerror(-ret));
}

static int create_map(struct load_ctx *c, size_t i)
{
	const struct map_spec *m = &c->obj->maps[i];
	char name[BPF_OBJ_NAME_LEN];
	struct bpf_sys_map_attr a = {
		.type = m->type,
		.key_size = m->key_size,
		.value_size = m->value_size,
		.max_entries = m->max_entries,
		.flags = m->flags,
		.name = name,
		.btf_fd = -1,
		.inner_map_fd = -1,
	};
	int fd;

	if (m->type == BPF_MAP_TYPE_ARRAY_OF_MAPS ||
	    m->type == BPF_MAP_TYPE_HASH_OF_MAPS)
		return errmsg_set(c->err, ENOTSUP,
				  "map \"%s\": maps of maps are not supported",
				  m->name);
	kernel_name(name, m->name);
	if (c->btf_fd >= 0 && m->btf_value_type_id) {
		a.btf_fd = c->btf_fd;
		a.btf_key_type_id = m->btf_key_type_id;
		a.btf_value_type_id = m->btf_value_type_id;
		fd = bpf_sys_map_create(&a, NULL);
		if (fd >= 0) {
			c->lo->map_fds[i] = fd;
			return 0;
		}
		/* Some map types or kernels refuse BTF types they would
		 * otherwise accept: the map works without them. */
		note(c, "map \"%s\": kernel refused its BTF types (%s); creating it without",
		     m->name, strerror(-fd));
		a.btf_fd = -1;
		a.btf_key_type_id = a.btf_value_type_id = 0;
	}
	fd = bpf_sys_map_create(&a, NULL);
	if (fd < 0)
		return map_create_error(c, m, fd);
	c->lo->map_fds[i] = fd;
	return 0;
}

/* .data/.rodata start with the section's bytes (.bss is zero already);
 * .rodata is then frozen so the verifier may treat it as constant. */
static int fill_global_data(struct load_ctx *c, size_t i)
{
	const struct map_spec *m = &c->obj->maps[i];
	int fd = c->lo->map_fds[i];
	uint32_t key = 0;
	int ret;

	if (m->init) {
		ret = bpf_sys_map_update(fd, &key, m->init, BPF_ANY, NULL);
		if (ret < 0)
			return errmsg_set(c->err, ret,
					  "cannot fill map \"%s\" with its initial data: %s",
					  m->name, strerror(-ret));
	}
	if (m->freeze) {
		ret = bpf_sys_map_freeze(fd, NULL);
		if (ret < 0)
			return errmsg_set(c->err, ret, "cannot freeze map \"%s\": %s",
					  m->name, strerror(-ret));
	}
	return 0;
}

static int prepare_map(struct load_ctx *c, size_t i)
{
	int ret = make_pin_path(c, i);

	if (ret < 0)
		return ret;
	if (c->pin_path[i]) {
		ret = open_pinned(c, i);
		if (ret != 0)
			return ret < 0 ? ret : 0;
		c->pin_new[i] = true;
	}
	ret = create_map(c, i);
	if (ret < 0)
		return ret;
	return fill_global_data(c, i);
}

static int prepare_maps(struct load_ctx *c)
{
	size_t i;
	int ret;

	for (i = 0; i < c->obj->nmaps; i++) {
		if (!c->need_map[i])
			continue;
		ret = prepare_map(c, i);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* ---- 4. programs ------------------------------------------------------- */

/* A copy of the instructions with map fds in the ld_imm64s. */
static int rewrite_insns(struct load_ctx *c, const struct prog_spec *p,
			 struct bpf_insn **out)
{
	struct bpf_insn *insns;
	size_t i;

	insns = malloc((p->ninsns ? p->ninsns : 1) * sizeof(*insns));
	if (!insns)
		return errmsg_set(c->err, ENOMEM, "out of memory");
	memcpy(insns, p->insns, p->ninsns * sizeof(*insns));
	for (i = 0; i < p->nrefs; i++) {
		const struct map_ref *r = &p->refs[i];
		struct bpf_insn *ld = &insns[r->insn];

		if (ld->code != (BPF_LD | BPF_IMM | BPF_DW)) {
			free(insns);
			return errmsg_set(c->err, EINVAL,
					  "program \"%s\": insn %zu: map reference is not a ld_imm64",
					  p->name, r->insn);
		}
		ld[0].src_reg = r->value ? BPF_PSEUDO_MAP_VALUE
					 : BPF_PSEUDO_MAP_FD;
		ld[0].imm = c->lo->map_fds[r->map];
		ld[1].imm = r->value ? (int32_t)r->offset : 0;
	}
	*out = insns;
	return 0;
}

/* Write the log (its last lines unless verbose_log) to the log stream. */
static void print_log(struct load_ctx *c, const char *prog, const char *log)
{
	size_t lines = 0, skip = 0;
	const char *p;

	for (p = log; *p; p++)
		lines += *p == '\n';
	if (p > log && p[-1] != '\n')
		lines++;
	if (!c->opts->verbose_log && lines > LOG_TAIL_LINES)
		skip = lines - LOG_TAIL_LINES;
	if (skip)
		fprintf(c->log, "verifier log for \"%s\" (last %d of %zu lines):\n",
			prog, LOG_TAIL_LINES, lines);
	else
		fprintf(c->log, "verifier log for \"%s\" (%zu lines):\n", prog,
			lines);
	for (p = log; skip && *p; p++)
		skip -= *p == '\n';
	fputs(p, c->log);
	if (p[0] && p[strlen(p) - 1] != '\n')
		fputc('\n', c->log);
	fflush(c->log);
}

static int rejection(struct load_ctx *c, const char *prog, const char *log,
		     int first_err)
{
	char line[400];

	if (!log || !log[0]) {
		if (first_err == -EPERM)
			return errmsg_set(c->err, first_err,
					  "missing privilege: loading BPF needs CAP_BPF (or CAP_SYS_ADMIN); tc programs also CAP_NET_ADMIN");
		return errmsg_set(c->err, first_err,
				  "cannot load program \"%s\": %s", prog,
				  strerror(-first_err));
	}
	print_log(c, prog, log);
	last_meaningful_line(line, sizeof(line), log);
	return errmsg_set(c->err, first_err,
			  "verifier rejected program \"%s\" (%s): %s", prog,
			  strerror(-first_err), line);
}

/* The load failed without a log: do it again with one, growing the buffer
 * while the kernel says it was too small (ENOSPC), to explain why. */
static int load_with_log(struct load_ctx *c, struct bpf_sys_prog_attr *a,
			 const char *prog, int first_err)
{
	uint32_t size = LOG_SIZE_FIRST;
	char *buf = NULL;
	int fd, ret;

	for (;;) {
		char *bigger = realloc(buf, size);

		if (!bigger) {
			free(buf);
			return errmsg_set(c->err, first_err,
					  "cannot load program \"%s\": %s (no memory for the verifier log)",
					  prog, strerror(-first_err));
		}
		buf = bigger;
		a->log_buf = buf;
		a->log_size = size;
		a->log_level = 1;
		fd = bpf_sys_prog_load(a, NULL);
		if (fd >= 0) {  /* accepted this time (e.g. transient ENOMEM) */
			free(buf);
			return fd;
		}
		if (fd != -ENOSPC || size >= LOG_SIZE_MAX)
			break;
		/* Kernels >= 6.4 tell the size they needed. */
		size = a->log_true_size > size * 4 ? a->log_true_size : size * 4;
		if (size > LOG_SIZE_MAX)
			size = LOG_SIZE_MAX;
	}
	ret = rejection(c, prog, buf, first_err);
	free(buf);
	return ret;
}

static int load_prog(struct load_ctx *c, size_t i)
{
	const struct prog_spec *p = &c->obj->progs[i];
	char name[BPF_OBJ_NAME_LEN];
	struct bpf_sys_prog_attr a = {
		.type = BPF_PROG_TYPE_SCHED_CLS,
		.expected_attach_type = 0,
		.license = c->obj->license,
		.name = name,
		.prog_btf_fd = -1,
	};
	struct bpf_insn *insns = NULL;
	int fd;

	fd = rewrite_insns(c, p, &insns);
	if (fd < 0)
		return fd;
	kernel_name(name, p->name);
	a.insns = insns;
	a.ninsns = p->ninsns;
	/* Fast path: no log, the common case is a program that verifies. */
	fd = bpf_sys_prog_load(&a, NULL);
	if (fd < 0)
		fd = load_with_log(c, &a, p->name, fd);
	free(insns);
	if (fd >= 0)
		c->lo->prog_fds[i] = fd;
	return fd < 0 ? fd : 0;
}

static int load_progs(struct load_ctx *c, size_t chosen)
{
	size_t i;
	int ret;

	/* The chosen program first: its rejection is the likeliest and the
	 * one the user asked about. */
	ret = load_prog(c, chosen);
	if (ret < 0)
		return ret;
	for (i = 0; i < c->obj->nprogs; i++) {
		if (!c->need_prog[i] || i == chosen)
			continue;
		ret = load_prog(c, i);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* ---- 5. tail-call tables ----------------------------------------------- */

static int fill_prog_arrays(struct load_ctx *c)
{
	size_t i, j;
	int ret;

	for (i = 0; i < c->obj->nmaps; i++) {
		const struct map_spec *m = &c->obj->maps[i];

		if (!c->need_map[i])
			continue;
		for (j = 0; j < m->nprog_slots; j++) {
			uint32_t slot = m->prog_slots[j].slot;
			int prog = m->prog_slots[j].prog;
			uint32_t fd = (uint32_t)c->lo->prog_fds[prog];

			ret = bpf_sys_map_update(c->lo->map_fds[i], &slot, &fd,
						 BPF_ANY, NULL);
			if (ret < 0)
				return errmsg_set(c->err, ret,
						  "cannot put program \"%s\" into slot %u of map \"%s\": %s",
						  c->obj->progs[prog].name, slot,
						  m->name, strerror(-ret));
		}
	}
	return 0;
}

/* ---- 6. pins ----------------------------------------------------------- */

static int pin_map(struct load_ctx *c, size_t i)
{
	const struct map_spec *m = &c->obj->maps[i];
	const char *dir = pin_dir_for(c, m);
	int ret;

	ret = bpffs_mkdir_p(dir, 0700, c->err);
	if (ret < 0)
		return errmsg_prefix(c->err, "cannot pin map \"%s\"", m->name);
	ret = bpf_sys_obj_pin(c->lo->map_fds[i], c->pin_path[i], NULL);
	if (ret < 0)
		return errmsg_set(c->err, ret, "cannot pin map \"%s\" at %s: %s",
				  m->name, c->pin_path[i], strerror(-ret));
	c->pinned_here[i] = true;
	note(c, "map \"%s\": pinned at %s", m->name, c->pin_path[i]);
	return 0;
}

static int pin_new_maps(struct load_ctx *c)
{
	size_t i;
	int ret;

	for (i = 0; i < c->obj->nmaps; i++) {
		if (!c->pin_new[i])
			continue;
		ret = pin_map(c, i);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static void unpin_new_maps(struct load_ctx *c)
{
	size_t i;

	for (i = 0; i < c->obj->nmaps; i++)
		if (c->pinned_here[i])
			unlink(c->pin_path[i]);
}

/* ---- entry points ------------------------------------------------------ */

static void *zalloc_array(size_t n, size_t size)
{
	return calloc(n ? n : 1, size);
}

static int init_out(struct loaded_object *lo, const struct object_spec *obj)
{
	size_t i;

	memset(lo, 0, sizeof(*lo));
	lo->prog_fd = -1;
	lo->map_fds = zalloc_array(obj->nmaps, sizeof(int));
	lo->prog_fds = zalloc_array(obj->nprogs, sizeof(int));
	if (!lo->map_fds || !lo->prog_fds)
		return -ENOMEM;
	lo->nmaps = obj->nmaps;
	lo->nprogs = obj->nprogs;
	for (i = 0; i < lo->nmaps; i++)
		lo->map_fds[i] = -1;
	for (i = 0; i < lo->nprogs; i++)
		lo->prog_fds[i] = -1;
	return 0;
}

static int init_ctx(struct load_ctx *c, const struct object_spec *obj)
{
	c->btf_fd = -1;
	c->need_map = zalloc_array(obj->nmaps, sizeof(bool));
	c->need_prog = zalloc_array(obj->nprogs, sizeof(bool));
	c->pin_path = zalloc_array(obj->nmaps, sizeof(char *));
	c->pin_new = zalloc_array(obj->nmaps, sizeof(bool));
	c->pinned_here = zalloc_array(obj->nmaps, sizeof(bool));
	if (!c->need_map || !c->need_prog || !c->pin_path || !c->pin_new ||
	    !c->pinned_here)
		return -ENOMEM;
	return 0;
}

static void free_ctx(struct load_ctx *c)
{
	size_t i;

	close_fd(&c->btf_fd);
	if (c->pin_path)
		for (i = 0; i < c->obj->nmaps; i++)
			free(c->pin_path[i]);
	free(c->pin_path);
	free(c->need_map);
	free(c->need_prog);
	free(c->pin_new);
	free(c->pinned_here);
}

static int load_all(struct load_ctx *c, size_t chosen)
{
	int ret;

	ret = mark_needed(c, chosen);
	if (ret < 0)
		return ret;
	load_btf(c);
	ret = prepare_maps(c);
	if (ret < 0)
		return ret;
	ret = load_progs(c, chosen);
	if (ret < 0)
		return ret;
	ret = fill_prog_arrays(c);
	if (ret < 0)
		return ret;
	ret = pin_new_maps(c);
	if (ret < 0)
		unpin_new_maps(c);
	return ret;
}

int object_load(const struct object_spec *obj, const struct prog_spec *prog,
		const struct load_opts *opts, struct loaded_object *out,
		struct errmsg *err)
{
	static const struct load_opts no_opts;
	struct load_ctx c = {
		.obj = obj,
		.opts = opts ? opts : &no_opts,
		.err = err,
		.lo = out,
		.btf_fd = -1,
	};
	size_t chosen;
	int ret;

	c.log = c.opts->log_stream ? c.opts->log_stream : stderr;
	if (!prog || prog < obj->progs || prog >= obj->progs + obj->nprogs) {
		memset(out, 0, sizeof(*out));
		out->prog_fd = -1;
		return errmsg_set(err, EINVAL,
				  "object_load: the program is not part of the object");
	}
	chosen = (size_t)(prog - obj->progs);
	ret = init_out(out, obj);
	if (ret == 0)
		ret = init_ctx(&c, obj);
	if (ret < 0)
		errmsg_set(err, ENOMEM, "out of memory");
	else
		ret = load_all(&c, chosen);
	free_ctx(&c);
	if (ret < 0) {
		loaded_object_close(out);
		return ret;
	}
	out->prog_fd = out->prog_fds[chosen];
	return 0;
}

void loaded_object_close(struct loaded_object *lo)
{
	size_t i;

	if (lo->map_fds)
		for (i = 0; i < lo->nmaps; i++)
			close_fd(&lo->map_fds[i]);
	if (lo->prog_fds)
		for (i = 0; i < lo->nprogs; i++)
			close_fd(&lo->prog_fds[i]);
	free(lo->map_fds);
	free(lo->prog_fds);
	memset(lo, 0, sizeof(*lo));
	lo->prog_fd = -1;
}
