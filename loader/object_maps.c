/* SPDX-License-Identifier: MIT */
/* The map table of an object: adding and checking map specs, the legacy
 * SEC("maps") definitions (struct bpf_map_def and iproute2's struct
 * bpf_elf_map) and the global data sections. BTF `.maps` are in
 * object_btf_maps.c. Pure: no system calls. */
#include "object_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BPF_MAP_DEF_SIZE 20     /* struct bpf_map_def: 5 x u32 */
#define BPF_ELF_MAP_SIZE 36     /* iproute2 struct bpf_elf_map: 9 x u32 */
#define IPROUTE2_PIN_NONE 0
#define IPROUTE2_PIN_OBJECT_NS 1
#define IPROUTE2_PIN_GLOBAL_NS 2

static bool has_prefix(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* ---- the map table ------------------------------------------------------ */

int check_map_name(struct open_ctx *c, const char *name)
{
	size_t i;

	if (!valid_obj_name(name))
		return errmsg_set(c->err, EINVAL,
				  "map \"%s\": name must be 1-%d characters of [A-Za-z0-9_.]",
				  name, BPF_OBJ_NAME_LEN - 1);
	for (i = 0; i < c->obj->nmaps; i++)
		if (!strcmp(c->obj->maps[i].name, name))
			return errmsg_set(c->err, EINVAL,
					  "two maps are called \"%s\"", name);
	return 0;
}

int check_map_type(struct open_ctx *c, const struct map_spec *m)
{
	if (m->type == BPF_MAP_TYPE_UNSPEC)
		return errmsg_set(c->err, EINVAL, "map \"%s\": no map type",
				  m->name);
	/* Maps of maps need their inner map's definition: only BTF gives
	 * it (iproute2's inner_id scheme is not supported). */
	if ((m->type == BPF_MAP_TYPE_ARRAY_OF_MAPS ||
	     m->type == BPF_MAP_TYPE_HASH_OF_MAPS) && !m->inner)
		return errmsg_set(c->err, EOPNOTSUPP,
				  "map \"%s\": maps of maps are not supported",
				  m->name);
	return 0;
}

/* A new, zeroed map_spec at the end of obj->maps. */
struct map_spec *add_map(struct open_ctx *c, const char *name,
			 uint32_t shndx, uint64_t offset, uint64_t size)
{
	struct object_spec *obj = c->obj;

	if (obj->nmaps == c->maps_cap) {
		size_t cap = c->maps_cap ? 2 * c->maps_cap : 8;
		struct map_spec *maps = realloc(obj->maps, cap * sizeof(*maps));
		struct map_extent *ext;

		if (!maps)
			return NULL;
		obj->maps = maps;
		ext = realloc(c->extents, cap * sizeof(*ext));
		if (!ext)
			return NULL;
		c->extents = ext;
		c->maps_cap = cap;
	}
	memset(&obj->maps[obj->nmaps], 0, sizeof(obj->maps[0]));
	snprintf(obj->maps[obj->nmaps].name, sizeof(obj->maps[0].name), "%s",
		 name);
	obj->maps[obj->nmaps].sec_index = shndx;
	obj->maps[obj->nmaps].sec_offset = offset;
	c->extents[obj->nmaps] = (struct map_extent){ size, -1 };
	return &obj->maps[obj->nmaps++];
}

static int cmp_symbol_value(const void *a, const void *b)
{
	const struct elf_symbol *x = *(const struct elf_symbol *const *)a;
	const struct elf_symbol *y = *(const struct elf_symbol *const *)b;

	return x->value < y->value ? -1 : x->value > y->value;
}

/* The named symbols defined in section shndx (not the section symbol),
 * sorted by value; *out is malloc'ed. */
int section_symbols(struct open_ctx *c, uint32_t shndx,
		    const struct elf_symbol ***out, size_t *n)
{
	const struct elf_file *ef = c->ef;
	size_t i;

	*n = 0;
	*out = malloc((ef->nsymbols ? ef->nsymbols : 1) * sizeof(**out));
	if (!*out)
		return errmsg_set(c->err, ENOMEM, "out of memory");
	for (i = 1; i < ef->nsymbols; i++) {
		const struct elf_symbol *s = &ef->symbols[i];

		if (s->shndx == shndx && s->type != STT_SECTION &&
		    s->type != STT_FILE)
			(*out)[(*n)++] = s;
	}
	qsort(*out, *n, sizeof(**out), cmp_symbol_value);
	return 0;
}

/* The map defined at byte `offset` of map section shndx, or -1. */
int map_at(const struct open_ctx *c, uint32_t shndx, uint64_t offset)
{
	size_t i;

	for (i = 0; i < c->obj->nmaps; i++)
		if (c->obj->maps[i].sec_index == shndx &&
		    c->obj->maps[i].sec_offset == offset)
			return (int)i;
	return -1;
}

/* ---- SEC("maps"): struct bpf_map_def, iproute2 struct bpf_elf_map ------- */

static int zero_tail(struct open_ctx *c, const char *name, const uint8_t *def,
		     size_t from, size_t to)
{
	size_t i;

	for (i = from; i < to; i++)
		if (def[i])
			return errmsg_set(c->err, EINVAL,
					  "map \"%s\": unknown non-zero bytes at %zu..%zu of its %zu-byte definition",
					  name, from, to - 1, to);
	return 0;
}

/* One struct bpf_map_def (20..35 bytes) or struct bpf_elf_map (>= 36). */
static int parse_legacy_def(struct open_ctx *c, struct map_spec *m,
			    const uint8_t *def, size_t size)
{
	m->type = load_u32(def);
	m->key_size = load_u32(def + 4);
	m->value_size = load_u32(def + 8);
	m->max_entries = load_u32(def + 12);
	m->flags = load_u32(def + 16);
	if (size < BPF_ELF_MAP_SIZE) {
		m->origin = MAP_ORIGIN_LEGACY;
		return zero_tail(c, m->name, def, BPF_MAP_DEF_SIZE, size);
	}

	m->origin = MAP_ORIGIN_IPROUTE2;
	/* def + 20 is iproute2's `id`: only used to pair inner maps. */
	switch (load_u32(def + 24)) {
	case IPROUTE2_PIN_NONE:
		m->pinning = MAP_PIN_NONE;
		break;
	case IPROUTE2_PIN_OBJECT_NS:
		m->pinning = MAP_PIN_BY_NAME;
		break;
	case IPROUTE2_PIN_GLOBAL_NS:
		m->pinning = MAP_PIN_GLOBAL;
		break;
	default:
		return errmsg_set(c->err, EINVAL,
				  "map \"%s\": unsupported pinning %u (PIN_NONE 0, PIN_OBJECT_NS 1, PIN_GLOBAL_NS 2)",
				  m->name, load_u32(def + 24));
	}
	if (load_u32(def + 28) || load_u32(def + 32))
		return errmsg_set(c->err, EOPNOTSUPP,
				  "map \"%s\": inner_id/inner_idx are set, maps of maps are not supported",
				  m->name);
	return zero_tail(c, m->name, def, BPF_ELF_MAP_SIZE, size);
}

/* The size of one definition: the section size over the number of map
 * symbols, as libbpf and iproute2 do it; the struct it holds is told by
 * that size. */
static int legacy_def_size(struct open_ctx *c, const struct elf_section *s,
			   size_t nsyms, size_t *def_size)
{
	if (!nsyms || s->size % nsyms)
		return errmsg_set(c->err, EINVAL,
				  "section \"maps\": %llu bytes for %zu map symbols, not equal-sized definitions",
				  (unsigned long long)s->size, nsyms);
	*def_size = s->size / nsyms;
	if (*def_size < BPF_MAP_DEF_SIZE)
		return errmsg_set(c->err, EINVAL,
				  "section \"maps\": %zu-byte map definitions, struct bpf_map_def needs %d",
				  *def_size, BPF_MAP_DEF_SIZE);
	return 0;
}

/* The i-th symbol of SEC("maps"), which must define the i-th map. */
static int add_legacy_map(struct open_ctx *c, uint32_t shndx,
			  const struct elf_symbol *sym, size_t i,
			  size_t def_size)
{
	const struct elf_section *s = &c->ef->sections[shndx];
	struct map_spec *m;
	int ret;

	if (sym->type != STT_OBJECT && sym->type != STT_NOTYPE)
		return errmsg_set(c->err, EINVAL,
				  "section \"maps\": symbol \"%s\" is not a data object",
				  sym->name);
	if (sym->value != i * def_size)
		return errmsg_set(c->err, EINVAL,
				  "map \"%s\" at offset %llu, expected %zu: definitions are not equally spaced",
				  sym->name, (unsigned long long)sym->value,
				  i * def_size);
	ret = check_map_name(c, sym->name);
	if (ret)
		return ret;
	m = add_map(c, sym->name, shndx, sym->value, def_size);
	if (!m)
		return errmsg_set(c->err, ENOMEM, "out of memory");
	ret = parse_legacy_def(c, m, s->data + sym->value, def_size);
	if (ret)
		return ret;
	return check_map_type(c, m);
}

/* SEC("maps"): equally sized definitions, one symbol each. */
static int parse_legacy_maps(struct open_ctx *c, uint32_t shndx)
{
	const struct elf_section *s = &c->ef->sections[shndx];
	const struct elf_symbol **syms;
	size_t i, n, def_size = 0;
	int ret;

	if (!s->data)
		return errmsg_set(c->err, EINVAL,
				  "section \"maps\" holds no data");
	ret = section_symbols(c, shndx, &syms, &n);
	if (ret)
		return ret;
	ret = legacy_def_size(c, s, n, &def_size);
	for (i = 0; i < n && !ret; i++)
		ret = add_legacy_map(c, shndx, syms[i], i, def_size);
	free(syms);
	return ret;
}

/* ---- global data -------------------------------------------------------- */

/* .data/.rodata/.bss: one ARRAY with a single value holding the section. */
static int add_data_map(struct open_ctx *c, uint32_t shndx)
{
	const struct elf_section *s = &c->ef->sections[shndx];
	char name[BPF_OBJ_NAME_LEN];
	struct map_spec *m;
	int ret;

	if (!s->size)
		return 0;
	if (s->size > UINT32_MAX)
		return errmsg_set(c->err, E2BIG,
				  "section \"%s\": %llu bytes of global data is too much",
				  s->name, (unsigned long long)s->size);
	/* The kernel wants a short name; the section name, cut and cleaned,
	 * keeps it recognisable in bpftool. */
	object_kernel_name(name, s->name);
	ret = check_map_name(c, name);
	if (ret)
		return ret;
	m = add_map(c, name, shndx, 0, s->size);
	if (!m)
		return errmsg_set(c->err, ENOMEM, "out of memory");
	m->origin = MAP_ORIGIN_DATA;
	m->type = BPF_MAP_TYPE_ARRAY;
	m->key_size = sizeof(uint32_t);
	m->value_size = (uint32_t)s->size;
	m->max_entries = 1;
	m->init = s->type == SHT_NOBITS ? NULL : s->data;
	if (has_prefix(s->name, ".rodata")) {
		m->flags = BPF_F_RDONLY_PROG;
		m->freeze = true;
	}
	if (c->have_btf)
		m->btf_value_type_id = btf_find_by_name_kind(&c->btf, s->name,
							     BTF_KIND_DATASEC);
	return 0;
}

int collect_maps(struct open_ctx *c)
{
	size_t i;
	int ret = 0;

	for (i = 1; i < c->ef->nsections && !ret; i++) {
		switch (c->kinds[i]) {
		case SEC_LEGACY_MAPS:
			ret = parse_legacy_maps(c, i);
			break;
		case SEC_BTF_MAPS:
			ret = parse_btf_maps(c, i);
			break;
		case SEC_DATA:
			ret = add_data_map(c, i);
			break;
		default:
			break;
		}
	}
	return ret;
}
