/* SPDX-License-Identifier: MIT */
#include "program.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bpf_sys.h"
#include "strfmt.h"
#include "embedded.h"
#include "meta.h"
#include "probe.h"
#include "table.h"
#include "tables.h"

#define MAX_PROG_MAPS 64

/* The programs loaded so far, the most recently used first: a batch that
 * attaches the steering program and the learners of learn routes in turn
 * loads each once. Zeroed (in .bss): meta_fd means something only once
 * loaded. */
#define PROGRAMS_KEPT 2
static struct program g_progs[PROGRAMS_KEPT];

static void program_release(struct program *p)
{
	if (p->loaded && p->meta_fd >= 0)
		close(p->meta_fd);
	if (p->loaded)
		loaded_object_close(&p->lo);
	if (p->obj_open)
		object_close(&p->obj);
	free(p->file);
	memset(p, 0, sizeof(*p));
	p->meta_fd = -1;
}

bool program_loaded_here(uint32_t id)
{
	size_t i;

	for (i = 0; i < PROGRAMS_KEPT; i++)
		if (g_progs[i].loaded && g_progs[i].id == id)
			return true;
	return false;
}

void program_cleanup(void)
{
	size_t i;

	for (i = 0; i < PROGRAMS_KEPT; i++)
		program_release(&g_progs[i]);
}

/* The built-in object's `steer` needs bpf_check_mtu() (5.12); before, its
 * `steer_compat`, the same without the MTU and gone-device checks. A
 * kernel that says it is 5.12 or later has the helper; an older number
 * may have it backported, so the kernel is asked then. A probe that cannot
 * run picks `steer`, whose load then says why. */
static const char *builtin_program(const struct cmd *c)
{
	struct utsname u;
	unsigned int major = 0, minor = 0;

	if (c->object || c->section || c->program)
		return c->program;
	if (uname(&u) == 0 && sscanf(u.release, "%u.%u", &major, &minor) == 2 &&
	    (major > 5 || (major == 5 && minor >= 12)))
		return NULL;
	if (g_opts.dry_run || probe_check_mtu(NULL) != 0)
		return NULL;
	vlog("the kernel has no bpf_check_mtu() (before 5.12): loading steer_compat, "
	     "which steers without checking the MTU");
	return "steer_compat";
}

/* Parse the object (a file, or the built-in steering program) and pick the
 * program; no system call beyond reading the file (and, on kernels before
 * 5.12, the probe above). */
static int open_object(const struct cmd *c, struct program *p, struct errmsg *err)
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
	p->spec = object_find_program(&p->obj, c->section, builtin_program(c), err);
	if (!p->spec)
		return errmsg_prefix(err, "%s", what);
	return 0;
}

/* The program tcsteer runs on the hook now, if its table is `table`. */
static int current_with_table(struct state *s, const struct hook_scan *hs,
			      const char *table, struct tcsteer_meta *m)
{
	int fd, mfd;

	if (!hs || !hs->cur_id || !state_by_id(s))
		return -ENOENT;
	fd = hook_prog_open(s, hs, hs->cur_id, NULL);
	if (fd < 0)
		return fd;
	mfd = meta_of_prog(fd, m, NULL);
	if (mfd >= 0)
		close(mfd);
	if (mfd < 0 || strcmp(m->table, table)) {
		close(fd);
		return -ENOENT;
	}
	return fd;
}

/* Without pins, a program is loaded onto the maps of the one it replaces:
 * every map of that program by its kernel name (the loader takes those it
 * shares by name). Returns how many entries were filled. */
static size_t reuse_maps(int prog_fd, struct load_reuse *reuse, char (*names)[BPF_OBJ_NAME_LEN],
			 size_t max)
{
	uint32_t ids[MAX_PROG_MAPS], n = MAX_PROG_MAPS, i;
	size_t k = 0;

	if (bpf_sys_prog_get_map_ids(prog_fd, ids, &n, NULL))
		return 0;
	for (i = 0; i < n && i < MAX_PROG_MAPS && k < max; i++) {
		struct bpf_map_info info;
		int fd = bpf_sys_map_get_fd_by_id(ids[i], NULL);

		if (fd < 0)
			continue;
		if (bpf_sys_map_get_info(fd, &info, NULL)) {
			close(fd);
			continue;
		}
		snprintf(names[k], BPF_OBJ_NAME_LEN, "%s", info.name);
		reuse[k].name = names[k];
		reuse[k].fd = fd;
		k++;
	}
	return k;
}

/* With pins, the table's pins must be there before the load: a table
 * that only the running program holds (pinned in another mount namespace,
 * or never) is pinned now, and one of tcsteer 0.1 is upgraded. */
static int prepare_pinned_table(struct state *s, const struct hook_scan *hs,
				const char *table, int *meta_fd, struct errmsg *err)
{
	struct steer_table t;
	struct tcsteer_meta m;
	int r, fd;

	/* The common case: a table of the current format (its frozen
	 * tcsteer_meta says so; an upgrade pins a new one last), whose maps
	 * the loader opens and checks. Its meta is kept for the program. */
	fd = table_meta_open(s, table, &m);
	if (fd >= 0 && (m.format == STEER_FORMAT_VERSION || m.format == 0)) {
		*meta_fd = fd;
		return 0;
	}
	if (fd >= 0)
		close(fd);
	r = table_open_pinned(s, table, &t, NULL);
	if (r == 0) {
		r = t.format == STEER_FORMAT_VERSION ? 0 : table_upgrade(s, &t, err);
		table_close(&t);
		return r;
	}
	if (r != -ENOENT)
		return 0; /* the loader says what is wrong with the pins */
	fd = current_with_table(s, hs, table, &m);
	if (fd < 0)
		return 0;
	r = table_open_prog(fd, &t, NULL);
	close(fd);
	if (r)
		return 0; /* an object's own maps: pinned by the load */
	snprintf(t.name, sizeof(t.name), "%s", table);
	r = t.format == STEER_FORMAT_VERSION ? 0 : table_upgrade(s, &t, err);
	if (!r)
		r = table_pin(s, &t, err);
	table_close(&t);
	return r;
}

struct load_plan {
	struct load_opts lopts;
	char pin_dir[STATE_PATH_MAX];
	char globals[STATE_PATH_MAX];
	struct load_reuse reuse[MAX_PROG_MAPS];
	char names[MAX_PROG_MAPS][BPF_OBJ_NAME_LEN];
	int cur_fd;             /* no pins: the program replaced, or -1 */
	int meta_fd;            /* the table's tcsteer_meta, or -1 */
	bool dir_made;          /* pin_dir was made for this load */
};

/* It has maps shared by name (a table), needed or not. */
static bool pins_by_name(const struct program *p)
{
	size_t i;

	for (i = 0; i < p->obj.nmaps; i++)
		if (p->obj.maps[i].pinning == MAP_PIN_BY_NAME)
			return true;
	return false;
}

static int plan_load(const struct program *p, struct state *s, const struct hook_scan *hs,
		     const char *table, struct load_plan *lp, struct errmsg *err)
{
	struct tcsteer_meta m;
	int r;

	lp->cur_fd = lp->meta_fd = -1;
	lp->lopts.verbose_log = lp->lopts.verbose = g_opts.verbose;
	lp->lopts.note_prefix = "tcsteer: ";
	if (!state_can_pin(s)) {
		lp->lopts.no_pins = true;
		lp->cur_fd = current_with_table(s, hs, table, &m);
		if (lp->cur_fd >= 0)
			lp->lopts.nreuse = reuse_maps(lp->cur_fd, lp->reuse, lp->names,
						      MAX_PROG_MAPS);
		lp->lopts.reuse = lp->reuse;
		return 0;
	}
	if (table_dir(s, table, lp->pin_dir, sizeof(lp->pin_dir)))
		return errmsg_set(err, ENAMETOOLONG, "table name too long: %s", table);
	/* A table directory made now holds no pins: neither this step nor
	 * the loader need look for any (unless a running program's table
	 * is to be pinned there first). */
	r = state_mkdir(s, NULL, err) ?:
	    (pins_by_name(p) ? state_make_dir(s, strrchr(lp->pin_dir, '/') + 1,
					      &lp->dir_made, err) : 0);
	if (!r && (!lp->dir_made || (hs && hs->cur_id)))
		r = prepare_pinned_table(s, hs, table, &lp->meta_fd, err);
	if (r)
		return r;
	lp->lopts.pin_dir_new = lp->dir_made && !(hs && hs->cur_id);
	strfmt(lp->globals, sizeof(lp->globals), "%s/tc/globals", s->root.path);
	lp->lopts.pin_dir = lp->pin_dir;
	lp->lopts.pin_dir_parent_ok = true;
	lp->lopts.global_pin_dir = lp->globals;
	return 0;
}

static void plan_done(struct load_plan *lp)
{
	size_t i;

	for (i = 0; i < lp->lopts.nreuse; i++)
		close(lp->reuse[i].fd);
	if (lp->cur_fd >= 0)
		close(lp->cur_fd);
	if (lp->meta_fd >= 0)
		close(lp->meta_fd);
}

/* Its maps the kernel empties when the last user reference goes: pinned
 * with the record, or the attach cannot work after this process. */
static int find_kept_maps(struct program *p, struct state *s, struct errmsg *err)
{
	size_t i;

	p->nkeep = 0;
	for (i = 0; i < p->obj.nmaps; i++) {
		const struct map_spec *m = &p->obj.maps[i];

		if (p->lo.map_fds[i] < 0 || m->type != BPF_MAP_TYPE_PROG_ARRAY ||
		    m->pinning != MAP_PIN_NONE)
			continue;
		if (p->nkeep == sizeof(p->keep_fds) / sizeof(p->keep_fds[0]))
			return errmsg_set(err, E2BIG, "too many tail-call tables");
		p->keep_names[p->nkeep] = m->name;
		p->keep_fds[p->nkeep++] = p->lo.map_fds[i];
	}
	if (p->nkeep && !state_can_pin(s))
		return errmsg_set(err, EROFS, "cannot keep the tail-call table \"%s\" of %s "
				  "filled after this process exits: %s", p->keep_names[0],
				  p->spec->name, state_why_no_pins(s));
	return 0;
}

/* It shares maps by name (a table), and among them the steering maps. */
static bool uses_table(const struct program *p, bool steering)
{
	size_t i;

	for (i = 0; i < p->obj.nmaps; i++)
		if (p->lo.map_fds[i] >= 0 && p->obj.maps[i].pinning == MAP_PIN_BY_NAME &&
		    (!steering || !strcmp(p->obj.maps[i].name, STEER_MAP_V4)))
			return true;
	return false;
}

/* The tcsteer_meta it carries: its table's (pinned with the table, or the
 * replaced program's), or one of its own when it uses no table. */
static int meta_for(struct program *p, struct state *s, struct load_plan *lp,
		    uint32_t owner, struct errmsg *err)
{
	struct tcsteer_meta m;
	int fd;

	if (!uses_table(p, false)) {
		p->table[0] = '\0';
		meta_init(&m, "", 0, 0, s->ns.value);
		return meta_create(&m, err);
	}
	if (state_can_pin(s)) {
		fd = lp->meta_fd;
		lp->meta_fd = -1;
		if (fd < 0 && !lp->lopts.pin_dir_new)
			fd = table_meta_open(s, p->table, &m);
		if (fd >= 0)
			return fd;
		return table_meta_create(s, p->table, uses_table(p, true) ?
					 STEER_FORMAT_VERSION : 0, owner, err);
	}
	if (lp->cur_fd >= 0) {
		fd = meta_of_prog(lp->cur_fd, &m, NULL);
		if (fd >= 0)
			return fd;
	}
	meta_init(&m, p->table, uses_table(p, true) ? STEER_FORMAT_VERSION : 0, owner,
		  s->ns.value);
	return meta_create(&m, err);
}

static bool s_copy;

void program_want_copy(void)
{
	s_copy = true;
}

/* The program tcsteer runs on the hook (or ran, by its record): when it
 * is the one this attach would load, the loader takes it instead of
 * loading a copy. -1 if there is none (or a copy is wanted). */
static int loaded_candidate(struct state *s, const struct hook_scan *hs)
{
	uint32_t id = hs ? (hs->cur_id ? hs->cur_id : hs->record_id) : 0;

	if (s_copy) {
		s_copy = false;
		return -1;
	}
	return id ? hook_prog_open(s, hs, id, NULL) : -1;
}

static int load(const struct cmd *c, struct program *p, struct state *s,
		const struct hook_scan *hs, struct errmsg *err)
{
	struct bpf_prog_info info = { 0 };
	struct load_plan lp;
	int r, same;

	memset(&lp, 0, sizeof(lp));
	same = loaded_candidate(s, hs);
	r = plan_load(p, s, hs, p->table, &lp, err);
	lp.lopts.same_prog_fd = same >= 0 ? &same : NULL;
	if (!r)
		r = object_load(&p->obj, p->spec, &lp.lopts, &p->lo, err);
	if (same >= 0)
		close(same);
	if (!r) {
		p->loaded = true;
		r = find_kept_maps(p, s, err);
	}
	/* A program taken as it was holds its tcsteer_meta already. */
	if (!r && !p->lo.reused_id) {
		p->meta_fd = meta_for(p, s, &lp, table_owner(p->table, c->dev, c->ifindex),
				      err);
		r = p->meta_fd < 0 ? p->meta_fd : meta_bind(p->lo.prog_fd, p->meta_fd, err);
	}
	if (!r && p->lo.reused_id)
		info.id = p->lo.reused_id;
	else if (!r)
		r = bpf_sys_prog_get_info(p->lo.prog_fd, &info, err);
	/* No table directory is left that holds nothing. */
	if (lp.dir_made && (r || !uses_table(p, false)) && !rmdir(lp.pin_dir))
		state_gone(s, strrchr(lp.pin_dir, '/') + 1);
	plan_done(&lp);
	if (r)
		return r;
	p->id = info.id;
	if (!p->lo.reused_id)
		vlog("loaded %s: fd %d, id %u", p->spec->name, p->lo.prog_fd, p->id);
	return 0;
}

static void program_key(const struct cmd *c, const char *table, char *key, size_t len)
{
	snprintf(key, len, "%s|%s|%s|%s", c->object ? c->object : "",
		 c->section ? c->section : "", c->program ? c->program : "", table);
}

/* The slot of the program with this key (moved to the front), or the
 * front slot emptied for a new one (the least recently used goes). */
static struct program *slot_for(const char *key, bool dry_run)
{
	struct program tmp;
	size_t i;

	for (i = 0; i < PROGRAMS_KEPT; i++)
		if ((g_progs[i].loaded || dry_run) && !strcmp(key, g_progs[i].key))
			break;
	if (i == PROGRAMS_KEPT) {
		i = PROGRAMS_KEPT - 1;
		program_release(&g_progs[i]);
	}
	tmp = g_progs[i];
	memmove(&g_progs[1], &g_progs[0], i * sizeof(g_progs[0]));
	g_progs[0] = tmp;
	return &g_progs[0];
}

int program_get(const struct cmd *c, const char *table, struct state *s,
		const struct hook_scan *hs, bool dry_run, struct program **out,
		struct errmsg *err)
{
	char key[sizeof(g_progs[0].key)];
	struct program *p;
	int r;

	program_key(c, table, key, sizeof(key));
	p = slot_for(key, dry_run);
	if (!(p->loaded || dry_run) || strcmp(key, p->key)) {
		program_release(p);
		snprintf(p->table, sizeof(p->table), "%s", table);
		r = open_object(c, p, err);
		if (!r && !dry_run)
			r = load(c, p, s, hs, err);
		if (r) {
			program_release(p);
			return r;
		}
		snprintf(p->key, sizeof(p->key), "%s", key);
	}
	*out = p;
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static bool map_ids(int fd, uint32_t *ids, uint32_t *n)
{
	*n = MAX_PROG_MAPS;
	if (bpf_sys_prog_get_map_ids(fd, ids, n, NULL) || *n > MAX_PROG_MAPS)
		return false;
	qsort(ids, *n, sizeof(ids[0]), cmp_u32);
	return true;
}

static bool contains(const uint32_t *v, uint32_t n, uint32_t x)
{
	return bsearch(&x, v, n, sizeof(x), cmp_u32) != NULL;
}

bool program_same(const struct program *p, int old_fd)
{
	uint32_t old_ids[MAX_PROG_MAPS], nold;
	struct bpf_prog_info old, now;
	struct bpf_map_info mi;
	size_t i;

	if (bpf_sys_prog_get_info(old_fd, &old, NULL))
		return false;
	/* The loader took this very program (load_opts.same_prog_fd). */
	if (p->id && old.id == p->id)
		return true;
	if (bpf_sys_prog_get_info(p->lo.prog_fd, &now, NULL) ||
	    memcmp(old.tag, now.tag, sizeof(old.tag)) || !map_ids(old_fd, old_ids, &nold) ||
	    nold != now.nr_map_ids)
		return false;
	/* The same instructions on the same shared maps (the table): its
	 * own maps (tail-call tables, global data) are new with every load,
	 * and so is the tcsteer_meta of a program without a table. */
	for (i = 0; i < p->obj.nmaps; i++) {
		if (p->lo.map_fds[i] < 0 || p->obj.maps[i].pinning == MAP_PIN_NONE)
			continue;
		if (bpf_sys_map_get_info(p->lo.map_fds[i], &mi, NULL) ||
		    !contains(old_ids, nold, mi.id))
			return false;
	}
	return true;
}
