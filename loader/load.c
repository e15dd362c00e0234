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
 * Existing pins are never removed. This file holds step 1 and the order;
 * load_maps.c does 2, 3 and 6, load_prog.c 4 and 5. */
#include "load_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void load_note(const struct load_ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (!c->opts->verbose)
		return;
	if (c->opts->note_prefix)
		fputs(c->opts->note_prefix, c->log);
	va_start(ap, fmt);
	vfprintf(c->log, fmt, ap);
	va_end(ap);
	fputc('\n', c->log);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* ---- 1. what is needed -------------------------------------------------- */

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

/* ---- entry points ------------------------------------------------------- */

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
	if (!c->opts->maps_only) {
		ret = load_progs(c, chosen);
		if (ret < 0)
			return ret;
		ret = fill_prog_arrays(c);
		if (ret < 0)
			return ret;
	}
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
