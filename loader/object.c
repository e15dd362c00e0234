/* SPDX-License-Identifier: MIT */
/* The object model: from a parsed ELF file to programs, maps and map
 * references. See object.h. Pure: no system calls.
 *
 * Order of work in object_open():
 *   1. license / version
 *   2. BTF (parsed, and the clang DATASEC fix-up applied to our copy)
 *   3. maps: legacy/iproute2 `maps`, BTF `.maps`, global data sections
 *   4. programs: every function of every executable section but .text
 *   5. per program: copy its code, append the .text functions it calls
 *      (and those they call), and resolve its relocations into call
 *      immediates and map references
 *   6. PROG_ARRAY `values` initialisers (they name programs, so last) */
#include "object.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btf.h"

#define BPF_MAP_DEF_SIZE 20     /* struct bpf_map_def: 5 x u32 */
#define BPF_ELF_MAP_SIZE 36     /* iproute2 struct bpf_elf_map: 9 x u32 */
#define IPROUTE2_PIN_NONE 0
#define IPROUTE2_PIN_OBJECT_NS 1
#define IPROUTE2_PIN_GLOBAL_NS 2
#define LIBBPF_PIN_BY_NAME 1

enum sec_kind {
	SEC_OTHER,
	SEC_TEXT,               /* .text: subprograms only */
	SEC_PROG,               /* other executable sections: programs */
	SEC_LEGACY_MAPS,        /* "maps" */
	SEC_BTF_MAPS,           /* ".maps" */
	SEC_DATA,               /* .data*, .rodata*, .bss* */
};

/* The sorted relocations of one section, read on first use. */
struct sec_relocs {
	struct elf_reloc *r;
	size_t n;
	bool read;
};

/* A function in .text, in instructions. */
struct text_func {
	uint64_t start, count;
};

/* Per-map facts needed only while opening. */
struct map_extent {
	uint64_t size;          /* bytes of the definition in its section */
	int64_t values_off;     /* BTF `values` member offset, or -1 */
};

struct open_ctx {
	struct object_spec *obj;
	const struct elf_file *ef;
	struct errmsg *err;
	enum sec_kind *kinds;           /* per section */
	struct sec_relocs *relocs;      /* per section */
	struct btf btf;
	bool have_btf;
	uint32_t text;                  /* .text section index, 0 if none */
	struct map_extent *extents;     /* per map */
	size_t maps_cap;
	uint64_t *prog_sizes;           /* per program: bytes of its function */
	struct text_func *text_funcs;   /* .text functions, by start */
	size_t ntext_funcs;
};

/* Building one program's instructions. */
struct prog_build {
	struct prog_spec *p;
	size_t insns_cap, refs_cap;
	uint64_t start, end;            /* its insns in its own section */
	/* per .text function: where it was appended, or -1 */
	int64_t *text_pos;
	/* .text functions in the order they were appended; the first
	 * `relocated` of them have had their relocations done */
	size_t *appended, nappended, relocated;
};

static uint32_t load_u32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static const char *sec_name(const struct open_ctx *c, uint32_t shndx)
{
	return shndx < c->ef->nsections ? c->ef->sections[shndx].name : "?";
}

static bool has_prefix(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* .data, .data.foo, but not .database */
static bool is_data_section(const char *name)
{
	static const char *const bases[] = { ".data", ".rodata", ".bss" };
	size_t i;

	for (i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		size_t n = strlen(bases[i]);

		if (!strncmp(name, bases[i], n) &&
		    (name[n] == '\0' || name[n] == '.'))
			return true;
	}
	return false;
}

static bool valid_name_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '_' || ch == '.';
}

/* What the kernel accepts as a map or program name (bpf_obj_name_cpy). */
static bool valid_obj_name(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n >= BPF_OBJ_NAME_LEN)
		return false;
	for (i = 0; i < n; i++)
		if (!valid_name_char(name[i]))
			return false;
	return true;
}

/* Names in messages come from the file and may hold any byte: keep the
 * error on one line whatever they contain. */
static int one_line(struct errmsg *err, int ret)
{
	char *p;

	if (err)
		for (p = err->text; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
	return ret;
}

static bool is_ld_imm64(const struct bpf_insn *insn)
{
	return insn->code == (BPF_LD | BPF_IMM | BPF_DW);
}

static bool is_call(const struct bpf_insn *insn)
{
	return insn->code == (BPF_JMP | BPF_CALL);
}

/* ---- sections and relocations ------------------------------------------ */

static void classify_sections(struct open_ctx *c)
{
	size_t i;

	for (i = 1; i < c->ef->nsections; i++) {
		const struct elf_section *s = &c->ef->sections[i];

		if (s->type != SHT_PROGBITS && s->type != SHT_NOBITS)
			c->kinds[i] = SEC_OTHER;
		else if (s->flags & SHF_EXECINSTR)
			c->kinds[i] = strcmp(s->name, ".text") ? SEC_PROG :
								  SEC_TEXT;
		else if (!strcmp(s->name, "maps"))
			c->kinds[i] = SEC_LEGACY_MAPS;
		else if (!strcmp(s->name, ".maps"))
			c->kinds[i] = SEC_BTF_MAPS;
		else if (is_data_section(s->name))
			c->kinds[i] = SEC_DATA;
		if (c->kinds[i] == SEC_TEXT && !c->text)
			c->text = i;
	}
}

static int cmp_reloc_offset(const void *a, const void *b)
{
	const struct elf_reloc *x = a, *y = b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* The relocations that apply to section shndx, sorted by offset. In code
 * every relocation must sit on an instruction boundary, and at most one per
 * instruction. */
static int section_relocs(struct open_ctx *c, uint32_t shndx,
			  const struct sec_relocs **out)
{
	struct sec_relocs *sr = &c->relocs[shndx];
	const struct elf_section *rel;
	size_t i;
	int ret;

	*out = sr;
	if (sr->read)
		return 0;
	sr->read = true;
	rel = elf_relocs_for(c->ef, shndx);
	if (!rel)
		return 0;
	ret = elf_read_relocs(c->ef, rel, &sr->r, &sr->n, c->err);
	if (ret)
		return ret;
	if (sr->n)
		qsort(sr->r, sr->n, sizeof(*sr->r), cmp_reloc_offset);
	for (i = 0; i < sr->n; i++) {
		bool code = c->kinds[shndx] == SEC_PROG ||
			    c->kinds[shndx] == SEC_TEXT;

		if (code && sr->r[i].offset % sizeof(struct bpf_insn))
			return errmsg_set(c->err, EINVAL,
					  "section \"%s\": relocation at offset %llu is not on an instruction",
					  sec_name(c, shndx),
					  (unsigned long long)sr->r[i].offset);
		if (i && sr->r[i].offset == sr->r[i - 1].offset)
			return errmsg_set(c->err, EINVAL,
					  "section \"%s\": two relocations at offset %llu",
					  sec_name(c, shndx),
					  (unsigned long long)sr->r[i].offset);
	}
	return 0;
}

static const struct elf_reloc *find_reloc(const struct sec_relocs *sr,
					  uint64_t offset)
{
	struct elf_reloc key = { .offset = offset };

	if (!sr->n)
		return NULL;
	return bsearch(&key, sr->r, sr->n, sizeof(*sr->r), cmp_reloc_offset);
}

/* ---- license, version, BTF --------------------------------------------- */

static int read_license(struct open_ctx *c)
{
	const struct elf_section *s = elf_section_by_name(c->ef, "license");
	const uint8_t *nul;

	if (!s)
		return 0; /* the kernel takes "" as "not GPL compatible" */
	nul = s->data ? memchr(s->data, '\0', s->size) : NULL;
	if (!nul)
		return errmsg_set(c->err, EINVAL,
				  "section \"license\" holds no NUL-terminated string");
	if ((size_t)(nul - s->data) >= sizeof(c->obj->license))
		return errmsg_set(c->err, EINVAL,
				  "license string is longer than %zu bytes",
				  sizeof(c->obj->license) - 1);
	memcpy(c->obj->license, s->data, nul - s->data + 1);
	return 0;
}

static int read_version(struct open_ctx *c)
{
	const struct elf_section *s = elf_section_by_name(c->ef, "version");

	if (!s)
		return 0;
	if (s->size != sizeof(uint32_t) || !s->data)
		return errmsg_set(c->err, EINVAL,
				  "section \"version\" is %llu bytes, expected 4",
				  (unsigned long long)s->size);
	c->obj->kern_version = load_u32(s->data);
	return 0;
}

static int read_btf(struct open_ctx *c)
{
	const struct elf_section *s = elf_section_by_name(c->ef, ".BTF");
	int ret;

	if (!s)
		return 0;
	if (!s->data)
		return errmsg_set(c->err, EINVAL, "section \".BTF\" has no data");
	ret = btf_parse(&c->btf, s->data, s->size, c->err);
	if (!ret)
		ret = btf_fixup_datasecs(&c->btf, c->ef, c->err);
	if (ret)
		return errmsg_prefix(c->err, "section \".BTF\"");
	c->have_btf = true;
	return 0;
}

/* ---- maps --------------------------------------------------------------- */

static int check_map_name(struct open_ctx *c, const char *name)
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

static int check_map_type(struct open_ctx *c, const struct map_spec *m)
{
	if (m->type == BPF_MAP_TYPE_UNSPEC)
		return errmsg_set(c->err, EINVAL, "map \"%s\": no map type",
				  m->name);
	if (m->type == BPF_MAP_TYPE_ARRAY_OF_MAPS ||
	    m->type == BPF_MAP_TYPE_HASH_OF_MAPS)
		return errmsg_set(c->err, EOPNOTSUPP,
				  "map \"%s\": maps of maps are not supported",
				  m->name);
	return 0;
}

/* A new, zeroed map_spec at the end of obj->maps. */
static struct map_spec *add_map(struct open_ctx *c, const char *name,
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
static int section_symbols(struct open_ctx *c, uint32_t shndx,
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

/* SEC("maps"): equally sized definitions, one symbol each. The definition
 * size is the section size over the number of symbols, as libbpf and
 * iproute2 do it; the struct it holds is told by that size. */
static int parse_legacy_maps(struct open_ctx *c, uint32_t shndx)
{
	const struct elf_section *s = &c->ef->sections[shndx];
	const struct elf_symbol **syms;
	size_t i, n, def_size;
	int ret;

	if (!s->data)
		return errmsg_set(c->err, EINVAL,
				  "section \"maps\" holds no data");
	ret = section_symbols(c, shndx, &syms, &n);
	if (ret)
		return ret;
	if (!n || s->size % n) {
		ret = errmsg_set(c->err, EINVAL,
				 "section \"maps\": %llu bytes for %zu map symbols, not equal-sized definitions",
				 (unsigned long long)s->size, n);
		goto out;
	}
	def_size = s->size / n;
	if (def_size < BPF_MAP_DEF_SIZE) {
		ret = errmsg_set(c->err, EINVAL,
				 "section \"maps\": %zu-byte map definitions, struct bpf_map_def needs %d",
				 def_size, BPF_MAP_DEF_SIZE);
		goto out;
	}
	for (i = 0; i < n && !ret; i++) {
		const struct elf_symbol *sym = syms[i];
		struct map_spec *m;

		if (sym->type != STT_OBJECT && sym->type != STT_NOTYPE) {
			ret = errmsg_set(c->err, EINVAL,
					 "section \"maps\": symbol \"%s\" is not a data object",
					 sym->name);
			break;
		}
		if (sym->value != i * def_size) {
			ret = errmsg_set(c->err, EINVAL,
					 "map \"%s\" at offset %llu, expected %zu: definitions are not equally spaced",
					 sym->name,
					 (unsigned long long)sym->value,
					 i * def_size);
			break;
		}
		ret = check_map_name(c, sym->name);
		if (ret)
			break;
		m = add_map(c, sym->name, shndx, sym->value, def_size);
		if (!m) {
			ret = errmsg_set(c->err, ENOMEM, "out of memory");
			break;
		}
		ret = parse_legacy_def(c, m, s->data + sym->value, def_size);
		if (!ret)
			ret = check_map_type(c, m);
	}
out:
	free(syms);
	return ret;
}

/* __uint(name, N) is `int (*name)[N]`: N is the array's element count. */
static int btf_uint_member(struct open_ctx *c, const char *map,
			   const struct btf_member *mb, const char *mname,
			   uint32_t *out)
{
	const struct btf_type *t;
	uint32_t id;

	if (btf_skip_modifiers(&c->btf, mb->type, &id, c->err))
		goto bad;
	t = btf_type_by_id(&c->btf, id);
	if (!t || btf_kind(t) != BTF_KIND_PTR ||
	    btf_skip_modifiers(&c->btf, t->type, &id, c->err))
		goto bad;
	t = btf_type_by_id(&c->btf, id);
	if (!t || btf_kind(t) != BTF_KIND_ARRAY)
		goto bad;
	*out = btf_array_of(t)->nelems;
	return 0;
bad:
	return errmsg_set(c->err, EINVAL,
			  "map \"%s\": member \"%s\" is not __uint() (int (*)[N])",
			  map, mname);
}

/* __type(name, T) is `T *name`: the size of T, and T's id for the kernel. */
static int btf_type_member(struct open_ctx *c, const char *map,
			   const struct btf_member *mb, const char *mname,
			   uint32_t *size, uint32_t *type_id)
{
	const struct btf_type *t;
	uint64_t sz;
	uint32_t id;

	if (btf_skip_modifiers(&c->btf, mb->type, &id, c->err))
		goto bad;
	t = btf_type_by_id(&c->btf, id);
	if (!t || btf_kind(t) != BTF_KIND_PTR)
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
 * initialiser's relocations start. */
static int btf_values_member(struct open_ctx *c, const char *map,
			     const struct btf_type *st,
			     const struct btf_member *mb, int64_t *off)
{
	const struct btf_type *t;
	uint32_t id, bits;

	bits = BTF_INFO_KFLAG(st->info) ? BTF_MEMBER_BIT_OFFSET(mb->offset) :
					  mb->offset;
	if (btf_skip_modifiers(&c->btf, mb->type, &id, c->err))
		goto bad;
	t = btf_type_by_id(&c->btf, id);
	if (!t || btf_kind(t) != BTF_KIND_ARRAY || bits % 8)
		goto bad;
	*off = bits / 8;
	return 0;
bad:
	return errmsg_set(c->err, EINVAL,
			  "map \"%s\": member \"values\" is not __array() (T *values[])",
			  map);
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
	if (!strcmp(name, "values"))
		return btf_values_member(c, m->name, st, mb,
					 &c->extents[m - c->obj->maps].values_off);
	return errmsg_set(c->err, EOPNOTSUPP,
			  "map \"%s\": unsupported member \"%s\" in its BTF definition",
			  m->name, name);
}

static int parse_btf_map_def(struct open_ctx *c, struct map_spec *m,
			     uint32_t var_type)
{
	struct btf_map_fields f = { 0 };
	const struct btf_type *st;
	uint32_t id, i;
	int ret;

	m->origin = MAP_ORIGIN_BTF;
	if (btf_skip_modifiers(&c->btf, var_type, &id, c->err))
		return errmsg_prefix(c->err, "map \"%s\"", m->name);
	st = btf_type_by_id(&c->btf, id);
	if (!st || btf_kind(st) != BTF_KIND_STRUCT)
		return errmsg_set(c->err, EINVAL,
				  "map \"%s\": its BTF definition is %s, not a struct",
				  m->name,
				  st ? btf_kind_name(btf_kind(st)) : "void");
	for (i = 0; i < btf_vlen(st); i++) {
		ret = btf_map_member(c, m, st, &btf_members(st)[i], &f);
		if (ret)
			return ret;
	}
	if (!f.have_type)
		return errmsg_set(c->err, EINVAL,
				  "map \"%s\": its BTF definition has no \"type\"",
				  m->name);
	if (m->type == BPF_MAP_TYPE_PROG_ARRAY) {
		/* the kernel insists on 4/4 and libbpf fills them in */
		if (!f.key_size && !f.key_type_size)
			f.key_size = 4;
		if (!f.value_size && !f.value_type_size)
			f.value_size = 4;
	}
	ret = merge_size(c, m->name, "key", f.key_size, f.key_type_size,
			 &m->key_size);
	if (!ret)
		ret = merge_size(c, m->name, "value", f.value_size,
				 f.value_type_size, &m->value_size);
	if (ret)
		return ret;
	if (f.pinning != 0 && f.pinning != LIBBPF_PIN_BY_NAME)
		return errmsg_set(c->err, EINVAL,
				  "map \"%s\": unsupported pinning %u (0 none, 1 by name)",
				  m->name, f.pinning);
	m->pinning = f.pinning ? MAP_PIN_BY_NAME : MAP_PIN_NONE;
	if (c->extents[m - c->obj->maps].values_off >= 0 &&
	    m->type != BPF_MAP_TYPE_PROG_ARRAY)
		return errmsg_set(c->err, EOPNOTSUPP,
				  "map \"%s\": \"values\" is only supported for PROG_ARRAY maps",
				  m->name);
	return check_map_type(c, m);
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
static int parse_btf_maps(struct open_ctx *c, uint32_t shndx)
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

/* .data/.rodata/.bss: one ARRAY with a single value holding the section. */
static int add_data_map(struct open_ctx *c, uint32_t shndx)
{
	const struct elf_section *s = &c->ef->sections[shndx];
	char name[BPF_OBJ_NAME_LEN];
	struct map_spec *m;
	size_t i;
	int ret;

	if (!s->size)
		return 0;
	if (s->size > UINT32_MAX)
		return errmsg_set(c->err, E2BIG,
				  "section \"%s\": %llu bytes of global data is too much",
				  s->name, (unsigned long long)s->size);
	/* The kernel wants a short name; the section name, cut and cleaned,
	 * keeps it recognisable in bpftool. */
	snprintf(name, sizeof(name), "%s", s->name);
	for (i = 0; name[i]; i++)
		if (!valid_name_char(name[i]))
			name[i] = '_';
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

static int collect_maps(struct open_ctx *c)
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

/* The map defined at byte `offset` of map section shndx, or -1. */
static int map_at(const struct open_ctx *c, uint32_t shndx, uint64_t offset)
{
	size_t i;

	for (i = 0; i < c->obj->nmaps; i++)
		if (c->obj->maps[i].sec_index == shndx &&
		    c->obj->maps[i].sec_offset == offset)
			return (int)i;
	return -1;
}

/* ---- programs ------------------------------------------------------------ */

static int cmp_prog_position(const void *a, const void *b)
{
	const struct elf_symbol *x = *(const struct elf_symbol *const *)a;
	const struct elf_symbol *y = *(const struct elf_symbol *const *)b;

	if (x->shndx != y->shndx)
		return x->shndx < y->shndx ? -1 : 1;
	return x->value < y->value ? -1 : x->value > y->value;
}

static int check_function(struct open_ctx *c, const struct elf_symbol *sym)
{
	const struct elf_section *s = &c->ef->sections[sym->shndx];

	if (!s->data)
		return errmsg_set(c->err, EINVAL,
				  "section \"%s\" holds code but no data",
				  s->name);
	if (sym->value % sizeof(struct bpf_insn) || !sym->size ||
	    sym->size % sizeof(struct bpf_insn) || sym->value > s->size ||
	    sym->size > s->size - sym->value)
		return errmsg_set(c->err, EINVAL,
				  "function \"%s\": [%llu, +%llu) is not whole instructions inside section \"%s\" (%llu bytes)",
				  sym->name, (unsigned long long)sym->value,
				  (unsigned long long)sym->size, s->name,
				  (unsigned long long)s->size);
	if (strlen(sym->name) >= sizeof(c->obj->progs[0].name) ||
	    strlen(s->name) >= sizeof(c->obj->progs[0].section))
		return errmsg_set(c->err, EINVAL,
				  "function \"%.63s...\" in section \"%.63s\": name too long",
				  sym->name, s->name);
	return 0;
}

static int cmp_text_func(const void *a, const void *b)
{
	const struct text_func *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* The functions of .text (subprograms), sorted, each checked like a
 * program; overlapping ones are refused so that every instruction belongs
 * to at most one. */
static int collect_text_functions(struct open_ctx *c)
{
	const struct elf_file *ef = c->ef;
	size_t i, n = 0;
	int ret;

	if (!c->text)
		return 0;
	c->text_funcs = malloc((ef->nsymbols ? ef->nsymbols : 1) *
			       sizeof(*c->text_funcs));
	if (!c->text_funcs)
		return errmsg_set(c->err, ENOMEM, "out of memory");
	for (i = 1; i < ef->nsymbols; i++) {
		const struct elf_symbol *s = &ef->symbols[i];

		if (s->type != STT_FUNC || s->shndx != c->text)
			continue;
		ret = check_function(c, s);
		if (ret)
			return ret;
		c->text_funcs[n].start = s->value / sizeof(struct bpf_insn);
		c->text_funcs[n].count = s->size / sizeof(struct bpf_insn);
		n++;
	}
	qsort(c->text_funcs, n, sizeof(*c->text_funcs), cmp_text_func);
	c->ntext_funcs = n ? 1 : 0;
	for (i = 1; i < n; i++) {
		struct text_func *prev = &c->text_funcs[c->ntext_funcs - 1];
		struct text_func *f = &c->text_funcs[i];

		if (f->start == prev->start && f->count == prev->count)
			continue; /* an alias */
		if (f->start < prev->start + prev->count)
			return errmsg_set(c->err, EINVAL,
					  "section \".text\": functions at insns %llu and %llu overlap",
					  (unsigned long long)prev->start,
					  (unsigned long long)f->start);
		c->text_funcs[c->ntext_funcs++] = *f;
	}
	return 0;
}

/* Every function of every executable section but .text, in section order
 * and then by offset: the first one is the default program. */
static int collect_programs(struct open_ctx *c)
{
	const struct elf_file *ef = c->ef;
	const struct elf_symbol **funcs;
	size_t i, n = 0;
	int ret = 0;

	funcs = malloc((ef->nsymbols ? ef->nsymbols : 1) * sizeof(*funcs));
	if (!funcs)
		return errmsg_set(c->err, ENOMEM, "out of memory");
	for (i = 1; i < ef->nsymbols; i++) {
		const struct elf_symbol *s = &ef->symbols[i];

		if (s->type == STT_FUNC && s->shndx < ef->nsections &&
		    c->kinds[s->shndx] == SEC_PROG)
			funcs[n++] = s;
	}
	qsort(funcs, n, sizeof(*funcs), cmp_prog_position);
	c->obj->progs = calloc(n ? n : 1, sizeof(*c->obj->progs));
	c->prog_sizes = calloc(n ? n : 1, sizeof(*c->prog_sizes));
	if (!c->obj->progs || !c->prog_sizes)
		ret = errmsg_set(c->err, ENOMEM, "out of memory");
	for (i = 0; i < n && !ret; i++) {
		struct prog_spec *p = &c->obj->progs[i];

		ret = check_function(c, funcs[i]);
		if (ret)
			break;
		strcpy(p->name, funcs[i]->name);
		strcpy(p->section, ef->sections[funcs[i]->shndx].name);
		p->sec_index = funcs[i]->shndx;
		p->sec_offset = funcs[i]->value;
		c->prog_sizes[i] = funcs[i]->size;
		c->obj->nprogs++;
	}
	if (!ret && !n)
		ret = errmsg_set(c->err, ENOENT,
				 "no programs: no function in an executable section other than .text");
	free(funcs);
	return ret;
}

/* ---- building one program: code, calls, map references ------------------ */

static int reserve_insns(struct prog_build *b, size_t more)
{
	size_t need = b->p->ninsns + more;

	if (need > b->insns_cap) {
		size_t cap = need > 2 * b->insns_cap ? need : 2 * b->insns_cap;
		struct bpf_insn *insns = realloc(b->p->insns,
						 cap * sizeof(*insns));

		if (!insns)
			return -ENOMEM;
		b->p->insns = insns;
		b->insns_cap = cap;
	}
	return 0;
}

static int append_code(struct open_ctx *c, struct prog_build *b,
		       uint32_t shndx, uint64_t first, uint64_t count)
{
	const struct elf_section *s = &c->ef->sections[shndx];

	if (reserve_insns(b, count))
		return errmsg_set(c->err, ENOMEM, "out of memory");
	memcpy(b->p->insns + b->p->ninsns,
	       s->data + first * sizeof(struct bpf_insn),
	       count * sizeof(struct bpf_insn));
	b->p->ninsns += count;
	return 0;
}

static int add_ref(struct open_ctx *c, struct prog_build *b,
		   struct map_ref ref)
{
	struct prog_spec *p = b->p;

	if (p->nrefs == b->refs_cap) {
		size_t cap = b->refs_cap ? 2 * b->refs_cap : 8;
		struct map_ref *refs = realloc(p->refs, cap * sizeof(*refs));

		if (!refs)
			return errmsg_set(c->err, ENOMEM, "out of memory");
		p->refs = refs;
		b->refs_cap = cap;
	}
	p->refs[p->nrefs++] = ref;
	return 0;
}

/* The .text function holding instruction `insn`, or -1. */
static int64_t text_func_at(const struct open_ctx *c, uint64_t insn)
{
	size_t lo = 0, hi = c->ntext_funcs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct text_func *f = &c->text_funcs[mid];

		if (insn < f->start)
			hi = mid;
		else if (insn >= f->start + f->count)
			lo = mid + 1;
		else
			return (int64_t)mid;
	}
	return -1;
}

/* Where .text instruction `target` lands: the function holding it is
 * appended the first time it is needed. Only functions the program can
 * reach come along: the verifier refuses unreachable code. */
static int text_position(struct open_ctx *c, struct prog_build *b, size_t at,
			 int64_t target, int64_t *out)
{
	int64_t f = text_func_at(c, (uint64_t)target);
	const struct text_func *tf;

	if (f < 0)
		return errmsg_set(c->err, EINVAL,
				  "insn %zu: target %lld in .text is inside no function",
				  at, (long long)target);
	tf = &c->text_funcs[f];
	if (b->text_pos[f] < 0) {
		b->text_pos[f] = (int64_t)b->p->ninsns;
		b->appended[b->nappended++] = (size_t)f;
		if (append_code(c, b, c->text, tf->start, tf->count))
			return -ENOMEM;
	}
	*out = b->text_pos[f] + (target - (int64_t)tf->start);
	return 0;
}

/* Where instruction `target` of section shndx lands in the program being
 * built: inside the program itself, or in an appended .text function. */
static int code_position(struct open_ctx *c, struct prog_build *b,
			 size_t at, uint32_t shndx, int64_t target,
			 int64_t *out)
{
	uint64_t n = c->ef->sections[shndx].size / sizeof(struct bpf_insn);

	if (target < 0 || (uint64_t)target >= n)
		return errmsg_set(c->err, EINVAL,
				  "insn %zu: target %lld is outside section \"%s\" (%llu insns)",
				  at, (long long)target, sec_name(c, shndx),
				  (unsigned long long)n);
	if (shndx == c->text && c->text)
		return text_position(c, b, at, target, out);
	if (shndx == b->p->sec_index && (uint64_t)target >= b->start &&
	    (uint64_t)target < b->end) {
		*out = target - (int64_t)b->start;
		return 0;
	}
	return errmsg_set(c->err, EOPNOTSUPP,
			  "insn %zu: code at insn %lld of section \"%s\" is neither in this program nor in .text",
			  at, (long long)target, sec_name(c, shndx));
}

/* A BPF-to-BPF call, with or without a relocation. */
static int fix_call(struct open_ctx *c, struct prog_build *b, size_t at,
		    uint32_t shndx, uint64_t sec_insn,
		    const struct elf_reloc *r)
{
	struct bpf_insn *insn = &b->p->insns[at];
	uint32_t tsec = shndx;
	int64_t target, pos = 0;
	int ret;

	if (r) {
		const struct elf_symbol *sym = &c->ef->symbols[r->sym];

		if (r->type != R_BPF_64_32)
			return errmsg_set(c->err, EINVAL,
					  "insn %zu: call has relocation type %u, expected R_BPF_64_32",
					  at, r->type);
		if (sym->shndx == SHN_UNDEF)
			return errmsg_set(c->err, EOPNOTSUPP,
					  "insn %zu: call to unknown function \"%s\" (extern not supported)",
					  at, sym->name);
		if (sym->shndx >= c->ef->nsections ||
		    (c->kinds[sym->shndx] != SEC_TEXT &&
		     c->kinds[sym->shndx] != SEC_PROG) ||
		    sym->value % sizeof(struct bpf_insn))
			return errmsg_set(c->err, EINVAL,
					  "insn %zu: call to \"%s\", which is not code",
					  at, sym->name);
		tsec = sym->shndx;
		/* (S + A) / 8 - 1 with the addend in imm: a function
		 * symbol has imm -1, a section symbol imm = target - 1. */
		target = (int64_t)(sym->value / sizeof(struct bpf_insn)) +
			 insn->imm + 1;
	} else {
		target = (int64_t)sec_insn + insn->imm + 1;
	}
	ret = code_position(c, b, at, tsec, target, &pos);
	if (ret)
		return ret;
	b->p->insns[at].imm = (int32_t)(pos - (int64_t)(at + 1));
	return 0;
}

/* The name of the function at byte off of section shndx, for messages. */
static const char *function_at(const struct open_ctx *c, uint32_t shndx,
			       int64_t off)
{
	size_t i;

	for (i = 1; i < c->ef->nsymbols; i++) {
		const struct elf_symbol *s = &c->ef->symbols[i];

		if (s->type == STT_FUNC && s->shndx == shndx &&
		    (int64_t)s->value == off)
			return s->name;
	}
	return "?";
}

static int ref_map_def(struct open_ctx *c, struct prog_build *b, size_t at,
		       const struct elf_symbol *sym, int64_t off)
{
	int map = map_at(c, sym->shndx, (uint64_t)off);

	if (off < 0 || map < 0)
		return errmsg_set(c->err, EINVAL,
				  "insn %zu: relocation against \"%s\" points at offset %lld of section \"%s\", where no map starts",
				  at, sym->name, (long long)off,
				  sec_name(c, sym->shndx));
	return add_ref(c, b, (struct map_ref){ .insn = at, .map = map });
}

static int ref_data(struct open_ctx *c, struct prog_build *b, size_t at,
		    const struct elf_symbol *sym, int64_t off)
{
	int map = map_at(c, sym->shndx, 0);

	if (map < 0 || off < 0 ||
	    (uint64_t)off >= c->obj->maps[map].value_size)
		return errmsg_set(c->err, EINVAL,
				  "insn %zu: relocation against \"%s\" points at offset %lld, outside section \"%s\"",
				  at, sym->name, (long long)off,
				  sec_name(c, sym->shndx));
	return add_ref(c, b, (struct map_ref){ .insn = at, .map = map,
					       .offset = (uint32_t)off,
					       .value = true });
}

static int fix_ld_imm64(struct open_ctx *c, struct prog_build *b, size_t at,
			const struct elf_reloc *r)
{
	const struct elf_symbol *sym = &c->ef->symbols[r->sym];
	struct bpf_insn *insn = &b->p->insns[at];
	/* R_BPF_64_64: S + A, the addend A in the instruction's imm */
	int64_t off = (int64_t)sym->value + insn->imm + r->addend;
	const char *what;

	if (r->type != R_BPF_64_64)
		return errmsg_set(c->err, EINVAL,
				  "insn %zu: ld_imm64 has relocation type %u, expected R_BPF_64_64",
				  at, r->type);
	if (sym->shndx == SHN_UNDEF)
		return errmsg_set(c->err, EOPNOTSUPP,
				  "insn %zu: relocation against unknown symbol \"%s\" (extern not supported)",
				  at, sym->name);
	if (sym->shndx >= c->ef->nsections)
		return errmsg_set(c->err, EINVAL,
				  "insn %zu: relocation against \"%s\" in special section 0x%x",
				  at, sym->name, sym->shndx);
	insn[0].imm = 0;
	insn[1].imm = 0;
	switch (c->kinds[sym->shndx]) {
	case SEC_LEGACY_MAPS:
	case SEC_BTF_MAPS:
		return ref_map_def(c, b, at, sym, off);
	case SEC_DATA:
		return ref_data(c, b, at, sym, off);
	case SEC_TEXT:
	case SEC_PROG:
		/* BPF_PSEUDO_FUNC: the kernel takes these only with BTF
		 * func_info for every function, which tcsteer does not load. */
		return errmsg_set(c->err, EOPNOTSUPP,
				  "insn %zu: takes the address of function \"%s\" (a callback, e.g. for bpf_loop), which needs BTF func_info: not supported",
				  at, function_at(c, sym->shndx, off));
	default:
		what = sym->name[0] ? sym->name : sec_name(c, sym->shndx);
		return errmsg_set(c->err, EINVAL,
				  "insn %zu: relocation against \"%s\" in section \"%s\", which holds no maps, data or code",
				  at, what, sec_name(c, sym->shndx));
	}
}

/* Relocate the `count` instructions now at b->p->insns[base...], copied
 * from instruction `first` of section shndx. */
static int relocate_code(struct open_ctx *c, struct prog_build *b,
			 uint32_t shndx, uint64_t first, uint64_t count,
			 size_t base)
{
	const struct sec_relocs *sr;
	uint64_t i;
	int ret = section_relocs(c, shndx, &sr);

	for (i = 0; i < count && !ret; i++) {
		uint64_t off = (first + i) * sizeof(struct bpf_insn);
		const struct elf_reloc *r = find_reloc(sr, off);
		struct bpf_insn *insn = &b->p->insns[base + i];
		size_t at = base + i;

		if (is_ld_imm64(insn)) {
			if (i + 1 >= count)
				return errmsg_set(c->err, EINVAL,
						  "insn %zu: ld_imm64 cut short by the end of the code",
						  at);
			if (find_reloc(sr, off + sizeof(*insn)))
				return errmsg_set(c->err, EINVAL,
						  "insn %zu: relocation in the middle of an ld_imm64",
						  at + 1);
			if (insn->src_reg)
				return errmsg_set(c->err, EINVAL,
						  "insn %zu: ld_imm64 with src_reg %u in the object file",
						  at, insn->src_reg);
			if (r)
				ret = fix_ld_imm64(c, b, at, r);
			i++;
		} else if (is_call(insn) && insn->src_reg == BPF_PSEUDO_CALL) {
			ret = fix_call(c, b, at, shndx, first + i, r);
		} else if (is_call(insn) && insn->src_reg) {
			return errmsg_set(c->err, EOPNOTSUPP,
					  "insn %zu: call with src_reg %u (kfuncs are not supported)",
					  at, insn->src_reg);
		} else if (r) {
			return errmsg_set(c->err, EINVAL,
					  "insn %zu: relocation against \"%s\" on an instruction (opcode 0x%02x) that is neither ld_imm64 nor a call",
					  at, c->ef->symbols[r->sym].name,
					  insn->code);
		}
	}
	return ret;
}

static int build_program(struct open_ctx *c, size_t index)
{
	struct prog_spec *p = &c->obj->progs[index];
	uint64_t count = c->prog_sizes[index] / sizeof(struct bpf_insn);
	struct prog_build b = { .p = p };
	size_t i, n = c->ntext_funcs ? c->ntext_funcs : 1;
	int ret = 0;

	b.text_pos = malloc(n * sizeof(*b.text_pos));
	b.appended = malloc(n * sizeof(*b.appended));
	if (!b.text_pos || !b.appended)
		ret = errmsg_set(c->err, ENOMEM, "out of memory");
	for (i = 0; i < c->ntext_funcs; i++)
		b.text_pos[i] = -1;
	b.start = p->sec_offset / sizeof(struct bpf_insn);
	b.end = b.start + count;
	if (!ret)
		ret = append_code(c, &b, p->sec_index, b.start, count);
	if (!ret)
		ret = relocate_code(c, &b, p->sec_index, b.start, count, 0);
	/* The .text functions it calls came along; their own relocations
	 * (calls to more functions, map references) may bring more. */
	while (!ret && b.relocated < b.nappended) {
		size_t f = b.appended[b.relocated++];

		ret = relocate_code(c, &b, c->text, c->text_funcs[f].start,
				    c->text_funcs[f].count,
				    (size_t)b.text_pos[f]);
	}
	free(b.text_pos);
	free(b.appended);
	if (ret)
		return errmsg_prefix(c->err, "program \"%s\"", p->name);
	return 0;
}

/* ---- PROG_ARRAY initialisers --------------------------------------------- */

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

static int collect_prog_slots(struct open_ctx *c)
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

/* ---- open / close / find -------------------------------------------------- */

static int open_ctx_init(struct open_ctx *c, struct object_spec *obj,
			 struct errmsg *err)
{
	memset(c, 0, sizeof(*c));
	c->obj = obj;
	c->ef = &obj->elf;
	c->err = err;
	c->kinds = calloc(c->ef->nsections + 1, sizeof(*c->kinds));
	c->relocs = calloc(c->ef->nsections + 1, sizeof(*c->relocs));
	if (!c->kinds || !c->relocs)
		return errmsg_set(err, ENOMEM, "out of memory");
	return 0;
}

static void open_ctx_free(struct open_ctx *c)
{
	size_t i;

	if (c->relocs)
		for (i = 0; i < c->ef->nsections; i++)
			free(c->relocs[i].r);
	free(c->relocs);
	free(c->kinds);
	free(c->extents);
	free(c->prog_sizes);
	free(c->text_funcs);
	btf_free(&c->btf);
}

static int open_steps(struct open_ctx *c)
{
	size_t i;
	int ret;

	classify_sections(c);
	ret = read_license(c);
	if (!ret)
		ret = read_version(c);
	if (!ret)
		ret = read_btf(c);
	if (!ret)
		ret = collect_maps(c);
	if (!ret)
		ret = collect_text_functions(c);
	if (!ret)
		ret = collect_programs(c);
	for (i = 0; !ret && i < c->obj->nprogs; i++)
		ret = build_program(c, i);
	if (!ret)
		ret = collect_prog_slots(c);
	if (!ret && c->have_btf)
		c->obj->btf = btf_steal_data(&c->btf, &c->obj->btf_size);
	return ret;
}

int object_open(struct object_spec *obj, const void *buf, size_t len,
		struct errmsg *err)
{
	struct open_ctx c;
	int ret;

	memset(obj, 0, sizeof(*obj));
	obj->image = malloc(len ? len : 1);
	if (!obj->image)
		return errmsg_set(err, ENOMEM, "out of memory");
	if (len)
		memcpy(obj->image, buf, len);
	ret = elf_open(&obj->elf, obj->image, len, err);
	if (ret) {
		object_close(obj);
		return one_line(err, ret);
	}
	ret = open_ctx_init(&c, obj, err);
	if (!ret)
		ret = open_steps(&c);
	open_ctx_free(&c);
	if (ret)
		object_close(obj);
	return one_line(err, ret);
}

void object_close(struct object_spec *obj)
{
	size_t i;

	for (i = 0; i < obj->nprogs; i++) {
		free(obj->progs[i].insns);
		free(obj->progs[i].refs);
	}
	free(obj->progs);
	for (i = 0; i < obj->nmaps; i++)
		free(obj->maps[i].prog_slots);
	free(obj->maps);
	free(obj->btf);
	elf_close(&obj->elf);
	free(obj->image);
	memset(obj, 0, sizeof(*obj));
}

/* `tc_pass in "tc", steer in "tc"`, cut short with ", ..." to fit. */
static void list_programs(const struct object_spec *obj, char *buf,
			  size_t size)
{
	size_t i, used = 0;
	char one[200];

	buf[0] = '\0';
	for (i = 0; i < obj->nprogs; i++) {
		size_t n;

		snprintf(one, sizeof(one), "%s%s in \"%s\"", i ? ", " : "",
			 obj->progs[i].name, obj->progs[i].section);
		n = strlen(one);
		if (used + n + sizeof(", ...") > size) {
			strcpy(buf + used, ", ...");
			return;
		}
		memcpy(buf + used, one, n + 1);
		used += n;
	}
}

const struct prog_spec *object_find_program(const struct object_spec *obj,
					    const char *section,
					    const char *function,
					    struct errmsg *err)
{
	char list[256];
	size_t i;

	for (i = 0; i < obj->nprogs; i++) {
		const struct prog_spec *p = &obj->progs[i];

		if ((!section || !strcmp(p->section, section)) &&
		    (!function || !strcmp(p->name, function)))
			return p;
	}
	list_programs(obj, list, sizeof(list));
	if (!obj->nprogs)
		errmsg_set(err, ENOENT, "the object has no programs");
	else if (function && section)
		errmsg_set(err, ENOENT,
			   "no program \"%s\" in section \"%s\" (programs: %s)",
			   function, section, list);
	else if (function)
		errmsg_set(err, ENOENT, "no program \"%s\" (programs: %s)",
			   function, list);
	else
		errmsg_set(err, ENOENT,
			   "no program in section \"%s\" (programs: %s)",
			   section, list);
	one_line(err, 0);
	return NULL;
}
