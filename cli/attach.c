/* SPDX-License-Identifier: MIT */
/* attach and detach.
 *
 * attach is make-before-break: the new filter is added (with the Go tool's
 * exact message, prio 0, so the kernel gives it a priority ahead of every
 * existing filter), recorded, and only then is tcsteer's previous filter on
 * that hook deleted. Whatever fails, the hook is never left without the
 * filter that was working before. Filters of other tools are never touched:
 * see record.h for how tcsteer recognises its own. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf_sys.h"
#include "bpffs.h"
#include "cmd.h"
#include "embedded.h"
#include "load.h"
#include "object.h"
#include "record.h"
#include "tc.h"

/* Everything an attach holds, released by attach_release(). */
struct attach {
	int ifindex;
	uint32_t parent;
	void *file;                     /* object file contents, NULL if embedded */
	struct object_spec obj;
	bool obj_open;
	const struct prog_spec *prog;
	struct loaded_object lo;
	bool loaded;
	struct tc_conn *conn;
};

static uint32_t hook_parent(enum hook h)
{
	return h == HOOK_INGRESS ? TC_PARENT_INGRESS : TC_PARENT_EGRESS;
}

static void attach_release(struct attach *a)
{
	if (a->conn)
		tc_conn_close(a->conn);
	if (a->loaded)
		loaded_object_close(&a->lo);
	if (a->obj_open)
		object_close(&a->obj);
	free(a->file);
}

/* Parse the object (a file, or the built-in steering program) and pick the
 * program; no system call beyond reading the file. */
static int open_program(const struct cmd *c, struct attach *a, struct errmsg *err)
{
	const char *what = c->object ? c->object : "built-in program";
	const void *buf = tcsteer_embedded_obj;
	size_t len = tcsteer_embedded_obj_size;
	int r;

	if (c->object) {
		void *file;

		r = read_file(c->object, &file, &len, err);
		if (r)
			return r;
		a->file = file;
		buf = file;
	}
	r = object_open(&a->obj, buf, len, err);
	if (r)
		return errmsg_prefix(err, "%s", what);
	a->obj_open = true;
	a->prog = object_find_program(&a->obj, c->section, c->program, err);
	if (!a->prog)
		return errmsg_prefix(err, "%s", what);
	return 0;
}

/* --dry-run: the two messages attach would send, with placeholder
 * sequence numbers and program fd (nothing is loaded). */
static void print_dry_run(const struct cmd *c, const struct attach *a)
{
	const int fd = 0; /* stands for the program's fd */
	char buf[TC_MSG_MAX], name[256];

	printf("# dry run: nothing is loaded or sent; fd %d stands for the program's fd\n", fd);
	printf("# 1. create or keep the clsact qdisc on %s (ifindex %d)\n", c->dev, a->ifindex);
	tc_print_message(stdout, tc_build_clsact(buf, 1, a->ifindex));
	tc_bpf_filter_name(name, sizeof(name), a->prog->name, fd);
	printf("# 2. add the %s filter running %s (section %s)\n",
	       hook_name(c->hook), a->prog->name, a->prog->section);
	tc_print_message(stdout, tc_build_bpf_filter(buf, 2, a->ifindex, a->parent, fd, name));
}

static int load_program(const struct cmd *c, struct attach *a, struct errmsg *err)
{
	struct load_opts lopts = { .verbose_log = g_opts.verbose,
				   .verbose = g_opts.verbose };
	char pin_dir[96];
	int r;

	r = bpffs_ensure_mounted(BPFFS_DEFAULT_MOUNT, g_opts.verbose ? stderr : NULL, err);
	if (r < 0)
		return r;
	record_dir(pin_dir, sizeof(pin_dir), c->dev);
	lopts.pin_dir = pin_dir;
	r = object_load(&a->obj, a->prog, &lopts, &a->lo, err);
	if (r)
		return r;
	a->loaded = true;
	vlog("loaded %s: fd %d", a->prog->name, a->lo.prog_fd);
	return 0;
}

/* True when a filter running program old_id is on the hook and that
 * program has the same tag (a hash of its instructions, map references
 * left out) as the one just loaded: attaching again would change nothing. */
static bool same_program_attached(struct attach *a, uint32_t old_id,
				  const struct bpf_prog_info *new_info)
{
	struct tc_filter_info *f = NULL;
	size_t n = 0, i;
	bool same = false;

	if (tc_filter_list(a->conn, a->ifindex, a->parent, &f, &n, NULL))
		return false;
	for (i = 0; i < n && !same; i++)
		same = f[i].prog_id == old_id && f[i].has_tag &&
		       !memcmp(f[i].tag, new_info->tag, sizeof(f[i].tag));
	free(f);
	return same;
}

/* Delete every bpf filter at the hook whose program is prog_id. Returns the
 * number deleted or -errno. */
static int delete_filters_of(struct tc_conn *conn, int ifindex, uint32_t parent,
			     uint32_t prog_id, struct errmsg *err)
{
	struct tc_filter_info *f = NULL;
	size_t n = 0, i;
	int r, deleted = 0;

	r = tc_filter_list(conn, ifindex, parent, &f, &n, err);
	for (i = 0; !r && i < n; i++) {
		if (strcmp(f[i].kind, "bpf") || f[i].prog_id != prog_id)
			continue;
		r = tc_filter_del(conn, ifindex, &f[i], err);
		if (!r) {
			vlog("deleted filter prio %u handle %u (program id %u)",
			     f[i].prio, f[i].handle, prog_id);
			deleted++;
		}
	}
	free(f);
	return r ? r : deleted;
}

/* Add the new filter, record it, then retire the old one. */
static int replace_filter(const struct cmd *c, struct attach *a, struct errmsg *err)
{
	struct bpf_prog_info info;
	uint32_t old_id, new_id;
	char name[256];
	int r;

	r = bpf_sys_prog_get_info(a->lo.prog_fd, &info, err) ?:
	    record_read(c->dev, c->hook, &old_id, err);
	if (r)
		return r;
	new_id = info.id;
	if (old_id && same_program_attached(a, old_id, &info)) {
		vlog("%s %s already runs this program (id %u): nothing to do",
		     c->dev, hook_name(c->hook), old_id);
		return 0;
	}
	tc_bpf_filter_name(name, sizeof(name), a->prog->name, a->lo.prog_fd);
	r = tc_bpf_filter_add(a->conn, a->ifindex, a->parent, a->lo.prog_fd, name, err);
	if (r)
		return errmsg_prefix(err, "cannot attach to %s %s", c->dev, hook_name(c->hook));
	r = record_write(c->dev, c->hook, a->lo.prog_fd, err);
	if (r) {
		/* Without a record the new filter could never be replaced or
		 * detached by tcsteer: take it out again, keep the old one. */
		delete_filters_of(a->conn, a->ifindex, a->parent, new_id, NULL);
		return r;
	}
	vlog("attached %s to %s %s (program id %u)", name, c->dev, hook_name(c->hook), new_id);
	if (!old_id || old_id == new_id)
		return 0;
	r = delete_filters_of(a->conn, a->ifindex, a->parent, old_id, err);
	if (r < 0)
		return errmsg_prefix(err, "attached, but the previous filter (program id %u) "
				     "could not be removed", old_id);
	return 0;
}

int run_attach(const struct cmd *c, struct errmsg *err)
{
	struct attach a = { .parent = hook_parent(c->hook) };
	int r;

	a.ifindex = dev_index(c->dev, err);
	if (a.ifindex < 0)
		return a.ifindex;
	r = open_program(c, &a, err);
	if (!r && g_opts.dry_run) {
		print_dry_run(c, &a);
		attach_release(&a);
		return 0;
	}
	if (!r)
		r = load_program(c, &a, err);
	if (!r)
		r = tc_conn_open(&a.conn, err);
	if (!r)
		r = tc_clsact_replace(a.conn, a.ifindex, err);
	if (!r)
		r = replace_filter(c, &a, err);
	attach_release(&a);
	return r;
}

int run_detach(const struct cmd *c, struct errmsg *err)
{
	struct tc_conn *conn = NULL;
	uint32_t id;
	int ifindex, r;

	ifindex = dev_index(c->dev, err);
	if (ifindex < 0)
		return ifindex;
	r = record_read(c->dev, c->hook, &id, err);
	if (r)
		return r;
	if (!id)
		return errmsg_set(err, ENOENT, "nothing attached by tcsteer on %s %s",
				  c->dev, hook_name(c->hook));
	r = tc_conn_open(&conn, err);
	if (!r)
		r = delete_filters_of(conn, ifindex, hook_parent(c->hook), id, err);
	if (conn)
		tc_conn_close(conn);
	if (r < 0)
		return r;
	if (r == 0)
		vlog("no filter ran program id %u any more; forgetting it", id);
	return record_remove(c->dev, c->hook, err);
}
