/* SPDX-License-Identifier: MIT */
/* BTF-defined maps, SEC(".maps"): each map is a variable whose struct type
 * describes it with libbpf's __uint()/__type()/__array() members, and
 * PROG_ARRAY `values` initialisers, which name programs through the
 * relocations of .rel.maps. A map of maps finds its inner map's definition
 * in `__array(values, struct inner)`. Pure: no system calls. */
#include "object_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIBBPF_PIN_BY_NAME 1

/* ---- SEC(".maps"): BTF-defined maps ------------------------------------- */

/* Type id past typedefs and modifiers, if it is of this kind; else NULL
 * (the callers replace any message with one naming the map member). */
static const struct btf_type *resolve_kind(struct open_ctx *c, uint32_t id,
					   uint32_t kind)
{
	const struct btf_type *t;
	uint32_t resolved;

	if (btf_skip_modifiers(&c->btf, id, &resolved, c->err))
		return NULL;
	t = btf_type_by_id(&c->btf, resolved);
	return t && btf_kind(t) == kind ? t : NULL;
}

/* __uint(name, N) is `int (*name)[N]`: N is the array's element count. */
static int btf_uint_member(struct open_ctx *c, const char *map,
			   const struct btf_member *mb, const char *mname,
			   uint32_t *out)
{
	const struct btf_type *ptr = resolve_kind(c, mb->type, BTF_KIND_PTR);
	const struct btf_type *arr =
		ptr ? resolve_kind(c, ptr->type, BTF_KIND_ARRAY) : NULL;

	if (!arr)
		return errmsg_set(c->err, EINVAL,
				  "map \"%s\": member \"%s\" is not __uint() (int (*)[N])",
				  map, mname);
	*out = btf_array_of(arr)->nelems;
	return 0;
}

/* __type(name, T) is `T *name`: the size of T, and T's id for the kernel. */
static int btf_type_member(struct open_ctx *c, const char *map,
			   const struct btf_member *mb, const char *mname,
			   uint32_t *size, uint32_t *type_id)
{
	const struct btf_type *t = resolve_kind(c, mb->type, BTF_KIND_PTR);
	uint64_t sz;

	if (!t)
		goto bad;
	if (btf_type_size(&c->btf, t->type, &sz, c->err))
		return errmsg_prefix(c->err, "map \"%s\": member \"%s\"", map,
				     mname);
	if (sz > UINT32_MAX)
		goto bad;
	*size = (uint32_t)sz;
	*type_id = t->type;
	return 0;
bad:
	return errmsg_set(c->err, EINVAL,
			  "map \"%s\": member \"%s\" is not __type() (a pointer to a sized type)",
			  map, mname);
}

/* __array(values, T) is `T *values[]`; its offset tells where the
 * initialiser's relocations start, and T (a struct) is the inner map's
 * definition of a map of maps. */
static int btf_values_member(struct open_ctx *c, const char *map,
			     const struct btf_type *st,
			     const struct btf_member *mb, int64_t *off,
			     uint32_t *elem_type)
{
	uint32_t bits = BTF_INFO_KFLAG(st->info) ?
				BTF_MEMBER_BIT_OFFSET(mb->offset) : mb->offset;
	const struct btf_type *arr = resolve_kind(c, mb->type, BTF_KIND_ARRAY);

	if (!arr || bits % 8)
		return errmsg_set(c->err, EINVAL,
				  "map \"%s\": member \"values\" is not __array() (T *values[])",
				  map);
	*off = bits / 8;
	*elem_type = btf_array_of(arr)->type;
	return 0;
}

/* Reconcile __uint(key_size) with __type(key): either, or both equal. */
static int merge_size(struct open_ctx *c, const char *map, const char *what,
		      uint32_t from_uint, uint32_t from_type, uint32_t *out)
{
	if (from_uint && from_type && from_uint != from_type)
		return errmsg_set(c->err, EINVAL,
				  "map \"%s\": %s_size %u disagrees with the %u-byte %s type",
				  map, what, from_uint, from_type, what);
	*out = from_type ? from_type : from_uint;
	return 0;
}

struct btf_map_fields {
	uint32_t key_size, value_size;          /* from __uint() */
	uint32_t key_type_size, value_type_size; /* from __type() */
	uint32_t pinning;
	bool have_type;
	bool inner;                             /* an inner map's definition */
	bool have_values;
	int64_t values_off;
	uint32_t values_type;                   /* __array()'s element type */
};

static int btf_map_member(struct open_ctx *c, struct map_spec *m,
			  const struct btf_type *st,
			  const struct btf_member *mb,
			  struct btf_map_fields *f)
{
	const char *name = btf_str(&c->btf, mb->name_off);

	if (!strcmp(name, "type")) {
		f->have_type = true;
		return btf_uint_member(c, m->name, mb, name, &m->type);
	}
	if (!strcmp(name, "max_entries"))
		return btf_uint_member(c, m->name, mb, name, &m->max_entries);
	if (!strcmp(name, "map_flags"))
		return btf_uint_member(c, m->name, mb, name, &m->flags);
	if (!strcmp(name, "key_size"))
		return btf_uint_member(c, m->name, mb, name, &f->key_size);
	if (!strcmp(name, "value_size"))
		return btf_uint_member(c, m->name, mb, name, &f->value_size);
	if (!strcmp(name, "pinning"))
		return btf_uint_member(c, m->name, mb, name, &f->pinning);
	if (!strcmp(name, "key"))
		return btf_type_member(c, m->name, mb, name,
				       &f->key_type_size, &m->btf_key_type_id);
	if (!strcmp(name, "value"))
		return btf_type_member(c, m->name, mb, name,
				       &f->value_type_size,
				       &m->btf_value_type_id);
	if (!strcmp(name, "values") && !f->inner) {
		f->have_values = true;
		return btf_values_member(c, m->name, st, mb, &f->values_off,
					 &f->values_type);
	}
	return errmsg_set(c->err, EOPNOTSUPP,
			  "map \"%s\": unsupported member \"%s\" in its BTF definition",
			  m->name, name);
}

static bool is_map_of_maps(uint32_t type)
{
	return type == BPF_MAP_TYPE_ARRAY_OF_MAPS ||
	       type == BPF_MAP_TYPE_HASH_OF_MAPS;
}

/* The members of a definition struct into m and f. */
static int parse_btf_map_struct(struct open_ctx *c, struct map_spec *m,
				uint32_t type_id, struct btf_map_fields *f)
{
	const struct btf_type *st;
	uint32_t id, i;
	int ret;

	if (btf_skip_modifiers(&c->btf, type_id, &id, c->err))
		return errmsg_prefix(c->err, "map \"%s\"", m->name);
	st = btf_type_by_id(&c->btf, id);
	if (!st || btf_kind(st) != BTF_KIND_STRUCT)
		return errmsg_set(c->err, EINVAL,
				  "map \"%s\": its BTF definition is %s, not a struct",
				  m->name,
				  st ? btf_kind_name(btf_kind(st)) : "void");
	for (i = 0; i < btf_vlen(st); i++) {
		ret = btf_map_member(c, m, st, &btf_members(st)[i], f);
		if (ret)
			return ret;
	}
	if (!f->have_type)
		return errmsg_set(c->err, EINVAL,
				  "map \"%s\": its BTF definition has no \"type\"",
				  m->name);
	if (m->type == BPF_MAP_TYPE_PROG_ARRAY || is_map_of_maps(m->type)) {
		/* the kernel insists on 4/4 (an fd in, an id out) and
		 * libbpf fills them in */
		if (!f->key_size && !f->key_type_size)
			f->key_size = 4;
		if (!f->value_size && !f->value_type_size)
			f->value_size = 4;
	}
	ret = merge_size(c, m->name, "key", f->key_size, f->key_type_size,
			 &m->key_size);
	if (!ret)
		ret = merge_size(c, m->name, "value", f->value_size,
				 f->value_type_size, &m->value_size);
	return ret;
}

/* __array(values, struct inner) of a map of maps: the inner definition,
 * a struct behind the array's element pointer. */
static int parse_inner_def(struct open_ctx *c, struct map_spec *m,
			   const struct btf_map_fields *f)
{
	struct btf_map_fields inner_f = { .inner = true };
	const struct btf_type *ptr;
	struct map_spec *in;
	int ret;

	if (!f->have_values)
		return errmsg_set(c->err, EINVAL,
				  "map \"%s\": a map of maps needs its inner map's definition (__array(values, struct ...))",
				  m->name);
	ptr = resolve_kind(c, f->values_type, BTF_KIND_PTR);
	if (!ptr)
		return errmsg_set(c->err, EINVAL,
				  "map \"%s\": member \"values\" is not an array of pointers to a map definition",
				  m->name);
	in = calloc(1, sizeof(*in));
	if (!in)
		return errmsg_set(c->err, ENOMEM, "out of memory");
	m->inner = in;
	snprintf(in->name, sizeof(in->name), "%.50s.inner", m->name);
	in->origin = MAP_ORIGIN_BTF;
	ret = parse_btf_map_struct(c, in, ptr->type, &inner_f);
	if (ret)
		return ret;
	if (inner_f.pinning)
		return errmsg_set(c->err, EINVAL,
				  "map \"%s\": an inner map is not pinned by itself",
				  m->name);
	if (is_map_of_maps(in->type) || in->type == BPF_MAP_TYPE_PROG_ARRAY)
		return errmsg_set(c->err, EOPNOTSUPP,
				  "map \"%s\": inner maps of type %u are not supported",
				  m->name, in->type);
	/* A template only: the kernel keeps none of its BTF. */
	in->btf_key_type_id = in->btf_value_type_id = 0;
	return check_map_type(c, in);
}

static int parse_btf_map_def(struct open_ctx *c, struct map_spec *m,
			     uint32_t var_type)
{
	struct btf_map_fields f = { .values_off = -1 };
	int ret;

	m->origin = MAP_ORIGIN_BTF;
	ret = parse_btf_map_struct(c, m, var_type, &f);
	if (ret)
		return ret;
	if (f.pinning != 0 && f.pinning != LIBBPF_PIN_BY_NAME)
		return errmsg_set(c->err, EINVAL,
				  "map \"%s\": unsupported pinning %u (0 none, 1 by name)",
				  m->name, f.pinning);
	m->pinning = f.pinning ? MAP_PIN_BY_NAME : MAP_PIN_NONE;
	c->extents[m - c->obj->maps].values_off = f.values_off;
	if (is_map_of_maps(m->type))
		ret = parse_inner_def(c, m, &f);
	else if (f.have_values && m->type != BPF_MAP_TYPE_PROG_ARRAY)
		ret = errmsg_set(c->err, EOPNOTSUPP,
				 "map \"%s\": \"values\" is only supported for PROG_ARRAY maps and maps of maps",
				 m->name);
	return ret ? ret : check_map_type(c, m);
}

/* The VAR called name in DATASEC ds: its type, or 0. */
static uint32_t datasec_var_type(const struct btf *btf,
				 const struct btf_type *ds, const char *name)
{
	uint32_t i;

	for (i = 0; i < btf_vlen(ds); i++) {
		const struct btf_type *v =
			btf_type_by_id(btf, btf_secinfos(ds)[i].type);

		if (v && btf_kind(v) == BTF_KIND_VAR &&
		    !strcmp(btf_str(btf, v->name_off), name))
			return v->type;
	}
	return 0;
}

/* SEC(".maps"): each symbol is a map, defined by its BTF VAR's struct. */
int parse_btf_maps(struct open_ctx *c, uint32_t shndx)
{
	const struct elf_symbol **syms;
	const struct btf_type *ds;
	uint32_t ds_id;
	size_t i, n;
	int ret;

	if (!c->have_btf)
		return errmsg_set(c->err, EINVAL,
				  "section \".maps\" needs BTF, but the object has no .BTF section");
	ds_id = btf_find_by_name_kind(&c->btf, ".maps", BTF_KIND_DATASEC);
	ds = btf_type_by_id(&c->btf, ds_id);
	if (!ds)
		return errmsg_set(c->err, EINVAL,
				  "section \".maps\": no DATASEC \".maps\" in the BTF");
	ret = section_symbols(c, shndx, &syms, &n);
	for (i = 0; i < n && !ret; i++) {
		const struct elf_symbol *sym = syms[i];
		uint32_t var_type;
		struct map_spec *m;

		ret = check_map_name(c, sym->name);
		if (ret)
			break;
		var_type = datasec_var_type(&c->btf, ds, sym->name);
		if (!var_type) {
			ret = errmsg_set(c->err, EINVAL,
					 "map \"%s\": no BTF variable for it in DATASEC \".maps\"",
					 sym->name);
			break;
		}
		m = add_map(c, sym->name, shndx, sym->value, sym->size);
		if (!m) {
			ret = errmsg_set(c->err, ENOMEM, "out of memory");
			break;
		}
		ret = parse_btf_map_def(c, m, var_type);
	}
	free(syms);
	return ret;
}

/* ---- PROG_ARRAY initialisers -------------------------------------------- */

static int prog_at(const struct open_ctx *c, const struct elf_symbol *sym)
{
	size_t i;

	for (i = 0; i < c->obj->nprogs; i++)
		if (c->obj->progs[i].sec_index == sym->shndx &&
		    c->obj->progs[i].sec_offset == sym->value)
			return (int)i;
	return -1;
}

static int add_prog_slot(struct open_ctx *c, struct map_spec *m,
			 uint32_t slot, int prog)
{
	size_t i;
	void *slots;

	for (i = 0; i < m->nprog_slots; i++)
		if (m->prog_slots[i].slot == slot)
			return errmsg_set(c->err, EINVAL,
					  "map \"%s\": slot %u is initialised twice",
					  m->name, slot);
	slots = realloc(m->prog_slots,
			(m->nprog_slots + 1) * sizeof(*m->prog_slots));
	if (!slots)
		return errmsg_set(c->err, ENOMEM, "out of memory");
	m->prog_slots = slots;
	m->prog_slots[m->nprog_slots].slot = slot;
	m->prog_slots[m->nprog_slots].prog = prog;
	m->nprog_slots++;
	return 0;
}

/* One relocation in .rel.maps: slot (offset - values) / 8 gets a program. */
static int values_reloc(struct open_ctx *c, uint32_t shndx,
			const struct elf_reloc *r)
{
	const struct elf_symbol *sym = &c->ef->symbols[r->sym];
	size_t i;

	if (r->type != R_BPF_64_ABS64 && r->type != R_BPF_64_64)
		return errmsg_set(c->err, EINVAL,
				  "section \".maps\": relocation type %u at offset %llu, expected R_BPF_64_ABS64",
				  r->type, (unsigned long long)r->offset);
	for (i = 0; i < c->obj->nmaps; i++) {
		struct map_spec *m = &c->obj->maps[i];
		const struct map_extent *e = &c->extents[i];
		uint64_t start, rel;
		int prog;

		if (m->sec_index != shndx || e->values_off < 0)
			continue;
		start = m->sec_offset + (uint64_t)e->values_off;
		if (r->offset < start || r->offset >= m->sec_offset + e->size)
			continue;
		if (is_map_of_maps(m->type))
			return errmsg_set(c->err, EOPNOTSUPP,
					  "map \"%s\": initialising a map of maps (with \"%s\") is not supported",
					  m->name, sym->name);
		rel = r->offset - start;
		if (rel % 8 || rel / 8 >= m->max_entries)
			return errmsg_set(c->err, EINVAL,
					  "map \"%s\": initialiser entry at byte %llu is not a slot below max_entries %u",
					  m->name, (unsigned long long)rel,
					  m->max_entries);
		prog = sym->type == STT_FUNC ? prog_at(c, sym) : -1;
		if (prog < 0)
			return errmsg_set(c->err, EINVAL,
					  "map \"%s\": slot %llu names \"%s\", which is not a program",
					  m->name, (unsigned long long)rel / 8,
					  sym->name);
		return add_prog_slot(c, m, (uint32_t)(rel / 8), prog);
	}
	return errmsg_set(c->err, EINVAL,
			  "section \".maps\": relocation at offset %llu against \"%s\" is not inside a map's \"values\"",
			  (unsigned long long)r->offset, sym->name);
}

int collect_prog_slots(struct open_ctx *c)
{
	size_t i, j;
	int ret = 0;

	for (i = 1; i < c->ef->nsections && !ret; i++) {
		const struct sec_relocs *sr;

		if (c->kinds[i] != SEC_BTF_MAPS)
			continue;
		ret = section_relocs(c, i, &sr);
		for (j = 0; !ret && j < sr->n; j++)
			ret = values_reloc(c, i, &sr->r[j]);
	}
	return ret;
}
