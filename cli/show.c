/* SPDX-License-Identifier: MIT */
/* show: the BPF programs on the hooks of one device or all of them, in the
 * order they run: the tcx programs (kernel 6.6), then the clsact filters;
 * the program behind each (name, id, tag) and whether tcsteer owns it. When
 * tcx programs run before tcsteer's and may end the hook for it, a warning
 * per hook on stderr says which and how to fix it (stdout stays parseable). */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf_sys.h"
#include "cmd.h"
#include "hooks.h"
#include "json.h"
#include "session.h"
#include "tc.h"

struct show_ctx {
	struct tc_conn *conn;
	struct state *state;
	struct json json;
	size_t shown;
};

/* The program's own name; needs CAP_BPF/CAP_SYS_ADMIN, so "" without. */
static void prog_name_of(uint32_t id, char *out, size_t len)
{
	struct bpf_prog_info info;
	int fd;

	out[0] = '\0';
	fd = bpf_sys_prog_get_fd_by_id(id, NULL);
	if (fd < 0)
		return;
	if (!bpf_sys_prog_get_info(fd, &info, NULL))
		snprintf(out, len, "%s", info.name);
	close(fd);
}

static void tag_hex(bool has_tag, const uint8_t *t, char out[17])
{
	int i;

	out[0] = '\0';
	for (i = 0; has_tag && i < 8; i++)
		sprintf(out + 2 * i, "%02x", t[i]);
}

/* -j: "shadowed_by": the tcx programs that run before tcsteer's. */
static void json_shadowers(struct show_ctx *s, const struct hook_scan *hs)
{
	uint32_t i;

	if (!hook_shadowers(hs, NULL, 0))
		return;
	json_key(&s->json, "shadowed_by");
	json_open_array(&s->json);
	for (i = 0; i < hs->tcx.count; i++) {
		if (!hook_shadows(hs, i))
			continue;
		json_open_object(&s->json);
		json_kv_uint(&s->json, "prog_id", hs->tcx.progs[i].prog_id);
		json_kv_string(&s->json, "prog_name", hs->tcx.progs[i].name);
		json_close_object(&s->json);
	}
	json_close_array(&s->json);
}

/* "e0 egress tcx 1 prog steer id 812 tag b829... link 57 [tcsteer]" */
static void print_tcx(struct show_ctx *s, const char *dev, const struct hook_scan *hs,
		      uint32_t i)
{
	const struct tcx_prog *e = &hs->tcx.progs[i];
	bool ours = hs->tcx_ours[i];
	char tag[17];

	tag_hex(e->has_tag, e->tag, tag);
	if (!g_opts.json) {
		printf("%s %s tcx %u prog %s id %u tag %s link %u%s\n", dev,
		       hook_name(hs->hook), i + 1, e->name[0] ? e->name : "?", e->prog_id,
		       tag, e->link_id, ours ? " [tcsteer]" : "");
		return;
	}
	json_open_object(&s->json);
	json_kv_string(&s->json, "dev", dev);
	json_kv_string(&s->json, "hook", hook_name(hs->hook));
	json_kv_string(&s->json, "mode", "tcx");
	json_kv_uint(&s->json, "position", i + 1);
	json_kv_string(&s->json, "prog_name", e->name);
	json_kv_uint(&s->json, "prog_id", e->prog_id);
	json_kv_string(&s->json, "tag", tag);
	json_kv_uint(&s->json, "link_id", e->link_id);
	json_kv_bool(&s->json, "tcsteer", ours);
	if (ours && e->prog_id == hs->cur_id)
		json_shadowers(s, hs);
	json_close_object(&s->json);
}

static void print_filter(struct show_ctx *s, const char *dev, const struct hook_scan *hs,
			 const struct tc_filter_info *f, bool ours)
{
	enum hook h = hs->hook;
	char prog[32] = "", tag[17];

	if (f->prog_id)
		prog_name_of(f->prog_id, prog, sizeof(prog));
	tag_hex(f->has_tag, f->tag, tag);
	if (!g_opts.json) {
		printf("%s %s prio %u handle %u %s", dev, hook_name(h), f->prio,
		       f->handle, f->kind);
		if (f->name[0])
			printf(" name %s", f->name);
		if (f->prog_id)
			printf(" prog %s id %u tag %s", prog[0] ? prog : "?", f->prog_id, tag);
		printf("%s%s\n", f->direct_action ? " direct-action" : "",
		       ours ? " [tcsteer]" : "");
		return;
	}
	json_open_object(&s->json);
	json_kv_string(&s->json, "dev", dev);
	json_kv_string(&s->json, "hook", hook_name(h));
	json_kv_string(&s->json, "mode", "clsact");
	json_kv_uint(&s->json, "prio", f->prio);
	json_kv_uint(&s->json, "handle", f->handle);
	json_kv_string(&s->json, "kind", f->kind);
	json_kv_string(&s->json, "name", f->name);
	json_kv_string(&s->json, "prog_name", prog);
	json_kv_uint(&s->json, "prog_id", f->prog_id);
	json_kv_string(&s->json, "tag", tag);
	json_kv_bool(&s->json, "direct_action", f->direct_action);
	json_kv_bool(&s->json, "tcsteer", ours);
	if (ours && hs->cur_mode == MODE_CLSACT && f->prog_id == hs->cur_id)
		json_shadowers(s, hs);
	json_close_object(&s->json);
}

static int show_hook(struct show_ctx *s, const char *dev, int ifindex,
		     enum hook h, struct errmsg *err)
{
	struct hook_scan hs;
	size_t i;
	int r;

	r = hook_scan(s->state, s->conn, ifindex, h, &hs, err);
	if (r == -ENODEV)
		return 0; /* vanished while we listed the others */
	if (r)
		return r;
	for (i = 0; i < hs.tcx.count; i++, s->shown++)
		print_tcx(s, dev, &hs, (uint32_t)i);
	for (i = 0; i < hs.n; i++, s->shown++)
		print_filter(s, dev, &hs, &hs.f[i], hs.ours[i]);
	hook_warn_shadow(&hs, dev);
	hook_scan_free(&hs);
	return 0;
}

static int show_dev(struct show_ctx *s, const char *dev, int ifindex,
		    struct errmsg *err)
{
	return show_hook(s, dev, ifindex, HOOK_INGRESS, err) ?:
	       show_hook(s, dev, ifindex, HOOK_EGRESS, err);
}

static int show_all(struct show_ctx *s, struct errmsg *err)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	int r = 0;

	if (!ifs)
		return errmsg_set(err, errno, "cannot list devices: %s", strerror(errno));
	for (i = ifs; !r && i->if_index; i++)
		r = show_dev(s, i->if_name, (int)i->if_index, err);
	if_freenameindex(ifs);
	return r;
}

int run_show(const struct cmd *c, struct errmsg *err)
{
	struct show_ctx s = { 0 };
	int r;

	r = session_open(STATE_READ, &s.conn, &s.state, err);
	if (r)
		return r;
	json_init(&s.json, stdout);
	if (g_opts.json)
		json_open_array(&s.json);
	if (c->dev[0])
		r = show_dev(&s, c->dev, c->ifindex, err);
	else
		r = show_all(&s, err);
	if (g_opts.json)
		json_close_array(&s.json);
	json_done(&s.json, r == 0);
	return r;
}
