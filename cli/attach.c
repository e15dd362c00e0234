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

/* The program an attach runs. It is kept until the process ends, so that a
 * batch attaching one program (and one table) to many devices parses and
 * loads it once: every filter then runs the same kernel program. */
struct program {
	char key[600];                  /* object, section, program, table */
	void *file;                     /* object file contents, NULL if embedded */
	struct object_spec obj;
	bool obj_open;
	const struct prog_spec *spec;
	struct loaded_object lo;
	bool loaded;
};

/* One attach: the hook, the program and the netlink socket it uses. */
struct attach {
	int ifindex;
	uint32_t parent;
	struct program *prog;
	struct tc_conn *conn;
};

static struct program g_prog;
static struct tc_conn *g_conn;

static uint32_t hook_parent(enum hook h)
{
	return h == HOOK_INGRESS ? TC_PARENT_INGRESS : TC_PARENT_EGRESS;
}

/* The table whose maps the program uses: named after the device unless
 * the command names one (devices may share a table). */
static const char *table_of(const struct cmd *c)
{
	return c->table[0] ? c->table : c->dev;
}

static void program_release(struct program *p)
{
	if (p->loaded)
		loaded_object_close(&p->lo);
	if (p->obj_open)
		object_close(&p->obj);
	free(p->file);
	memset(p, 0, sizeof(*p));
}

void attach_cleanup(void)
{
	program_release(&g_prog);
	if (g_conn)
		tc_conn_close(g_conn);
	g_conn = NULL;
}

static void program_key(const struct cmd *c, char *key, size_t len)
{
	snprintf(key, len, "%s|%s|%s|%s", c->object ? c->object : "",
		 c->section ? c->section : "", c->program ? c->program : "",
		 table_of(c));
}

/* Parse the object (a file, or the built-in steering program) and pick the
 * program; no system call beyond reading the file. */
static int open_program(const struct cmd *c, struct program *p, struct errmsg *err)
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
		p->file = file;
		buf = file;
	}
	r = object_open(&p->obj, buf, len, err);
	if (r)
		return errmsg_prefix(err, "%s", what);
	p->obj_open = true;
	p->spec = object_find_program(&p->obj, c->section, c->program, err);
	if (!p->spec)
		return errmsg_prefix(err, "%s", what);
	return 0;
}

/* --dry-run: the two messages attach would send, with placeholder
 * sequence numbers and program fd (nothing is loaded). */
static void print_dry_run(const struct cmd *c, const struct attach *a)
{
	const int fd = 0; /* stands for the program's fd */
	const struct prog_spec *spec = a->prog->spec;
	char buf[TC_MSG_MAX], name[256];

	printf("# dry run: nothing is loaded or sent; fd %d stands for the program's fd\n", fd);
	printf("# 1. create or keep the clsact qdisc on %s (ifindex %d)\n", c->dev, a->ifindex);
	tc_print_message(stdout, tc_build_clsact(buf, 1, a->ifindex));
	tc_bpf_filter_name(name, sizeof(name), spec->name, fd);
	printf("# 2. add the %s filter running %s (section %s)\n",
	       hook_name(c->hook), spec->name, spec->section);
	tc_print_message(stdout, tc_build_bpf_filter(buf, 2, a->ifindex, a->parent, fd, name));
}

static int load_program(const struct cmd *c, struct program *p, struct errmsg *err)
{
	struct load_opts lopts = { .verbose_log = g_opts.verbose,
				   .verbose = g_opts.verbose,
				   .note_prefix = "tcsteer: " };
	char pin_dir[96];
	int r;

	r = bpffs_ensure_mounted(BPFFS_DEFAULT_MOUNT, NULL, err);
	if (r < 0)
		return r;
	if (r == 1)
		vlog("mounted bpffs on %s", BPFFS_DEFAULT_MOUNT);
	record_dir(pin_dir, sizeof(pin_dir), table_of(c));
	lopts.pin_dir = pin_dir;
	r = object_load(&p->obj, p->spec, &lopts, &p->lo, err);
	if (r)
		return r;
	p->loaded = true;
	vlog("loaded %s: fd %d", p->spec->name, p->lo.prog_fd);
	return 0;
}

/* The program for this command: the one already loaded by an earlier
 * command of the same process if it is the same, else parsed and loaded
 * (or, for a dry run, only parsed). */
static int get_program(const struct cmd *c, struct program **out, struct errmsg *err)
{
	char key[sizeof(g_prog.key)];
	int r;

	program_key(c, key, sizeof(key));
	if (!g_prog.loaded || strcmp(key, g_prog.key)) {
		program_release(&g_prog);
		r = open_program(c, &g_prog, err);
		if (!r && !g_opts.dry_run)
			r = load_program(c, &g_prog, err);
		if (r) {
			program_release(&g_prog);
			return r;
		}
		snprintf(g_prog.key, sizeof(g_prog.key), "%s", key);
	}
	*out = &g_prog;
	return 0;
}

static int get_conn(struct tc_conn **out, struct errmsg *err)
{
	int r = g_conn ? 0 : tc_conn_open(&g_conn, err);

	*out = g_conn;
	return r;
}

/* The sorted ids of the maps a program uses; false if they cannot be read
 * or there are more than fit. */
#define MAX_PROG_MAPS 64

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static bool prog_map_ids(int fd, uint32_t ids[MAX_PROG_MAPS], uint32_t *n)
{
	*n = MAX_PROG_MAPS;
	if (bpf_sys_prog_get_map_ids(fd, ids, n, NULL) || *n > MAX_PROG_MAPS)
		return false;
	qsort(ids, *n, sizeof(ids[0]), cmp_u32);
	return true;
}

/* Same instructions (the tag hashes them with map references left out)
 * and the same maps: attaching the new program would change nothing. */
static bool same_program(const struct cmd *c, uint32_t old_id, int new_fd,
			 const uint8_t *new_tag)
{
	uint32_t old_ids[MAX_PROG_MAPS], new_ids[MAX_PROG_MAPS], nold, nnew;
	struct bpf_prog_info old;
	bool same = false;
	int fd;

	/* Through the record's pin: by id would need CAP_SYS_ADMIN. */
	fd = record_open(c->dev, c->hook, NULL);
	if (fd < 0)
		return false;
	if (!bpf_sys_prog_get_info(fd, &old, NULL) && old.id == old_id &&
	    !memcmp(old.tag, new_tag, sizeof(old.tag)) &&
	    prog_map_ids(fd, old_ids, &nold) && prog_map_ids(new_fd, new_ids, &nnew))
		same = nold == nnew && !memcmp(old_ids, new_ids, nold * sizeof(old_ids[0]));
	close(fd);
	return same;
}

/* True when a filter runs program old_id on the hook and that program is
 * the same as the one just loaded. */
static bool same_program_attached(const struct cmd *c, struct attach *a,
				  uint32_t old_id,
				  const struct bpf_prog_info *new_info)
{
	struct tc_filter_info *f = NULL;
	size_t n = 0, i;
	bool present = false;

	if (tc_filter_list(a->conn, a->ifindex, a->parent, &f, &n, NULL))
		return false;
	for (i = 0; i < n && !present; i++)
		present = !strcmp(f[i].kind, "bpf") && f[i].prog_id == old_id;
	free(f);
	return present && same_program(c, old_id, a->prog->lo.prog_fd, new_info->tag);
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

/* The make-before-break step shared by attach and its undo: add a filter
 * running prog_fd at the hook, make it the hook's record, then delete the
 * filters of the previous record (old_id, 0 for none). */
static int install_filter(struct tc_conn *conn, const char *dev, enum hook h,
			  int ifindex, int prog_fd, const char *func,
			  uint32_t new_id, uint32_t old_id, struct errmsg *err)
{
	uint32_t parent = hook_parent(h);
	char name[256];
	int r;

	tc_bpf_filter_name(name, sizeof(name), func, prog_fd);
	r = tc_bpf_filter_add(conn, ifindex, parent, prog_fd, name, err);
	if (r) {
		/* The kernel may have added it and only its answer was lost
		 * (e.g. ENOBUFS on receive): an unrecorded filter would run
		 * ahead of the old one for good. */
		delete_filters_of(conn, ifindex, parent, new_id, NULL);
		return errmsg_prefix(err, "cannot attach to %s %s", dev, hook_name(h));
	}
	if (old_id && old_id != new_id)
		record_keep_old(dev, h);
	r = record_write(dev, h, prog_fd, err);
	if (r) {
		/* Without a record the new filter could never be replaced or
		 * detached by tcsteer: take it out again, keep the old one. */
		delete_filters_of(conn, ifindex, parent, new_id, NULL);
		record_drop_old(dev, h);
		return r;
	}
	vlog("attached %s to %s %s (program id %u)", name, dev, hook_name(h), new_id);
	if (!old_id || old_id == new_id)
		return 0;
	r = delete_filters_of(conn, ifindex, parent, old_id, err);
	if (r < 0)
		return errmsg_prefix(err, "attached, but the previous filter (program id %u) "
				     "could not be removed yet (the next attach or "
				     "detach on %s %s retries)", old_id, dev, hook_name(h));
	record_drop_old(dev, h);
	return 0;
}

/* Filters of a program that an earlier attach replaced but could not
 * delete (its record is prog_<hook>_old): delete them now. */
static void retire_old(struct tc_conn *conn, const char *dev, enum hook h,
		       int ifindex)
{
	uint32_t id;

	if (record_read_old(dev, h, &id) || !id)
		return;
	if (delete_filters_of(conn, ifindex, hook_parent(h), id, NULL) >= 0)
		record_drop_old(dev, h);
}

static int replace_filter(const struct cmd *c, struct attach *a, struct errmsg *err)
{
	struct bpf_prog_info info;
	uint32_t old_id;
	int r;

	r = bpf_sys_prog_get_info(a->prog->lo.prog_fd, &info, err) ?:
	    record_read(c->dev, c->hook, &old_id, err);
	if (r)
		return r;
	retire_old(a->conn, c->dev, c->hook, a->ifindex);
	if (old_id && same_program_attached(c, a, old_id, &info)) {
		vlog("%s %s already runs this program (id %u): nothing to do",
		     c->dev, hook_name(c->hook), old_id);
		return 0;
	}
	return install_filter(a->conn, c->dev, c->hook, a->ifindex, a->prog->lo.prog_fd,
			      a->prog->spec->name, info.id, old_id, err);
}

int hook_restore(const char *dev, enum hook h, int prog_fd, struct errmsg *err)
{
	struct bpf_prog_info info;
	struct tc_conn *conn;
	uint32_t now;
	int ifindex, r;

	r = record_read(dev, h, &now, err);
	if (r)
		return r;
	ifindex = dev_index(dev, err);
	if (ifindex < 0)
		return ifindex;
	r = get_conn(&conn, err);
	if (r)
		return r;
	if (prog_fd < 0) {
		if (!now)
			return 0;
		r = delete_filters_of(conn, ifindex, hook_parent(h), now, err);
		return r < 0 ? r : record_remove(dev, h, err);
	}
	r = bpf_sys_prog_get_info(prog_fd, &info, err);
	if (r || info.id == now)
		return r;
	return tc_clsact_replace(conn, ifindex, err) ?:
	       install_filter(conn, dev, h, ifindex, prog_fd, info.name, info.id, now, err);
}

int run_attach(const struct cmd *c, struct errmsg *err)
{
	struct attach a = { .parent = hook_parent(c->hook) };
	int r;

	a.ifindex = c->ifindex;
	r = get_program(c, &a.prog, err);
	if (r)
		return r;
	if (g_opts.dry_run) {
		print_dry_run(c, &a);
		return 0;
	}
	return get_conn(&a.conn, err) ?:
	       tc_clsact_replace(a.conn, a.ifindex, err) ?:
	       replace_filter(c, &a, err);
}

int run_detach(const struct cmd *c, struct errmsg *err)
{
	struct tc_conn *conn;
	uint32_t id;
	int ifindex, r;

	r = record_read(c->dev, c->hook, &id, err);
	if (r)
		return r;
	ifindex = c->ifindex;
	if (!ifindex && id) {
		/* The filter went with the device; only the record is left. */
		vlog("%s is gone; forgetting its %s record", c->dev, hook_name(c->hook));
		record_drop_old(c->dev, c->hook);
		return record_remove(c->dev, c->hook, err);
	}
	if (!ifindex)
		return dev_index(c->dev, err);
	if (!id)
		return errmsg_set(err, ENOENT, "nothing attached by tcsteer on %s %s",
				  c->dev, hook_name(c->hook));
	r = get_conn(&conn, err);
	if (r)
		return r;
	retire_old(conn, c->dev, c->hook, ifindex);
	r = delete_filters_of(conn, ifindex, hook_parent(c->hook), id, err);
	if (r < 0)
		return r;
	if (r == 0)
		vlog("no filter ran program id %u any more; forgetting it", id);
	return record_remove(c->dev, c->hook, err);
}
