/* SPDX-License-Identifier: MIT */
/* object_load's program side: put the map fds into a copy of the code,
 * load it (again with a growing verifier log when it fails, to say why),
 * and fill the PROG_ARRAY slots with the loaded programs. */
#include "load_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf_sys.h"
#include "prog_tag.h"

#define LOG_SIZE_MAX (16u << 20)
#define LOG_TAIL_LINES 20

_Static_assert(LOG_SIZE_MAX <= BPF_SYS_LOG_MAX, "log cap within the kernel's");

/* ---- kernel logs (verifier, BTF) ---------------------------------------- */

/* The last line of a kernel log that says something: not the statistics
 * the verifier appends, not blank. Copied into dst. */
void last_meaningful_line(char *dst, size_t size, const char *log)
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

/* ---- 3. programs -------------------------------------------------------- */

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

/* include/linux/bpf.h: the most instructions a program may have with
 * CAP_BPF (without, BPF_MAXINSNS from the UAPI: 4096). */
#define BPF_COMPLEXITY_LIMIT_INSNS 1000000u

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
	object_kernel_name(name, p->name);
	a.insns = insns;
	a.ninsns = p->ninsns;
	/* Fast path: no log, the common case is a program that verifies. */
	fd = bpf_sys_prog_load(&a, NULL);
	if (fd == -E2BIG && p->ninsns > BPF_MAXINSNS)
		/* Refused before any verifier log is written. */
		fd = errmsg_set(c->err, E2BIG,
				"cannot load program \"%s\": %zu instructions, more than the kernel takes (at most %u; %u without CAP_BPF)",
				p->name, p->ninsns, BPF_COMPLEXITY_LIMIT_INSNS,
				BPF_MAXINSNS);
	else if (fd < 0)
		fd = load_with_log(c, &a, p->name, fd);
	free(insns);
	if (fd >= 0)
		c->lo->prog_fds[i] = fd;
	return fd < 0 ? fd : 0;
}

int load_progs(struct load_ctx *c, size_t chosen)
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

/* The same program, loaded already ------------------------------------- */

/* include/linux/license.h, license_is_gpl_compatible(): what decides
 * which helpers a program may call. */
static bool gpl_compatible(const char *license)
{
	static const char *const ok[] = {
		"GPL", "GPL v2", "GPL and additional rights", "Dual BSD/GPL",
		"Dual MIT/GPL", "Dual MPL/GPL",
	};
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!strcmp(license, ok[i]))
			return true;
	return false;
}

static bool contains(const uint32_t *ids, uint32_t n, uint32_t id)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

/* Would loading give the program that is already there? Only a single
 * program on maps that exist already can be told so before loading: a
 * map created now, or a tail-call target, makes another program. */
static bool same_as_loaded(struct load_ctx *c, size_t chosen, int fd, uint32_t *id)
{
	const struct prog_spec *p = &c->obj->progs[chosen];
	uint32_t ids[64], n = 64;
	char name[BPF_OBJ_NAME_LEN];
	struct bpf_prog_info info;
	struct bpf_insn *insns;
	bool same;
	size_t i;

	for (i = 0; i < c->obj->nprogs; i++)
		if (c->need_prog[i] && i != chosen)
			return false;
	for (i = 0; i < c->obj->nmaps; i++)
		if (c->need_map[i] && !c->map_ids[i])
			return false;
	if (bpf_sys_prog_get_info_ids(fd, &info, ids, &n, NULL) || n > 64)
		return false;
	object_kernel_name(name, p->name);
	if (info.type != BPF_PROG_TYPE_SCHED_CLS || strcmp(info.name, name) ||
	    info.gpl_compatible != gpl_compatible(c->obj->license))
		return false;
	for (i = 0; i < c->obj->nmaps; i++)
		if (c->need_map[i] && !contains(ids, n, c->map_ids[i]))
			return false;
	if (rewrite_insns(c, p, &insns) < 0) {
		errmsg_clear(c->err);
		return false;
	}
	same = prog_tag_matches(insns, p->ninsns, info.tag);
	free(insns);
	*id = info.id;
	return same;
}

int reuse_same_prog(struct load_ctx *c, size_t chosen)
{
	int *fd = c->opts->same_prog_fd;
	uint32_t id;

	if (!fd || *fd < 0 || !same_as_loaded(c, chosen, *fd, &id))
		return 0;
	c->lo->prog_fds[chosen] = *fd;
	c->lo->reused_id = id;
	*fd = -1;
	load_note(c, "program \"%s\": the same as program id %u, which is loaded already",
		  c->obj->progs[chosen].name, id);
	return 1;
}

/* ---- 4. tail-call tables ------------------------------------------------ */

int fill_prog_arrays(struct load_ctx *c)
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

