/* SPDX-License-Identifier: MIT */
/* BTF parsing and the clang DATASEC fix-up. See btf.h. */
#include "btf.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* ---- validation -------------------------------------------------------- */

static const char *const kind_names[] = {
	[BTF_KIND_UNKN] = "UNKNOWN",     [BTF_KIND_INT] = "INT",
	[BTF_KIND_PTR] = "PTR",          [BTF_KIND_ARRAY] = "ARRAY",
	[BTF_KIND_STRUCT] = "STRUCT",    [BTF_KIND_UNION] = "UNION",
	[BTF_KIND_ENUM] = "ENUM",        [BTF_KIND_FWD] = "FWD",
	[BTF_KIND_TYPEDEF] = "TYPEDEF",  [BTF_KIND_VOLATILE] = "VOLATILE",
	[BTF_KIND_CONST] = "CONST",      [BTF_KIND_RESTRICT] = "RESTRICT",
	[BTF_KIND_FUNC] = "FUNC",        [BTF_KIND_FUNC_PROTO] = "FUNC_PROTO",
	[BTF_KIND_VAR] = "VAR",          [BTF_KIND_DATASEC] = "DATASEC",
	[BTF_KIND_FLOAT] = "FLOAT",      [BTF_KIND_DECL_TAG] = "DECL_TAG",
	[BTF_KIND_TYPE_TAG] = "TYPE_TAG", [BTF_KIND_ENUM64] = "ENUM64",
};

const char *btf_kind_name(uint32_t kind)
{
	if (kind < sizeof(kind_names) / sizeof(kind_names[0]))
		return kind_names[kind];
	return "UNKNOWN";
}

/* Bytes that follow struct btf_type for this kind, or -1 if the kind is not
 * one we know (and so its size is unknown). */
static int64_t record_extra(uint32_t kind, uint32_t vlen)
{
	switch (kind) {
	case BTF_KIND_INT:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
		return 4;
	case BTF_KIND_PTR:
	case BTF_KIND_FWD:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPE_TAG:
		return 0;
	case BTF_KIND_ARRAY:
		return sizeof(struct btf_array);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return (int64_t)vlen * sizeof(struct btf_member);
	case BTF_KIND_ENUM:
		return (int64_t)vlen * sizeof(struct btf_enum);
	case BTF_KIND_ENUM64:
		return (int64_t)vlen * sizeof(struct btf_enum64);
	case BTF_KIND_FUNC_PROTO:
		return (int64_t)vlen * sizeof(struct btf_param);
	case BTF_KIND_DATASEC:
		return (int64_t)vlen * sizeof(struct btf_var_secinfo);
	default:
		return -1;
	}
}

/* u32 loads from the copy: it is malloc'ed, and type_off is checked to keep
 * the type section 4-byte aligned, so plain struct access is fine. */
static int parse_header(struct btf *btf, uint32_t *types_start,
			uint32_t *types_len, struct errmsg *err)
{
	const struct btf_header *h = (const struct btf_header *)btf->data;
	uint64_t payload, t_end, s_end;
	uint32_t i;

	if (btf->size < sizeof(*h))
		return errmsg_set(err, EINVAL,
				  "BTF: %zu bytes, too short for a header",
				  btf->size);
	if (h->magic == 0x9feb)
		return errmsg_set(err, EINVAL,
				  "BTF: big-endian BTF is not supported");
	if (h->magic != BTF_MAGIC)
		return errmsg_set(err, EINVAL, "BTF: bad magic 0x%04x",
				  h->magic);
	if (h->version != BTF_VERSION)
		return errmsg_set(err, EINVAL, "BTF: unsupported version %u",
				  h->version);
	if (h->flags)
		return errmsg_set(err, EINVAL, "BTF: unsupported flags 0x%x",
				  h->flags);
	if (h->hdr_len < sizeof(*h) || h->hdr_len > btf->size)
		return errmsg_set(err, EINVAL,
				  "BTF: header length %u out of range (%zu bytes)",
				  h->hdr_len, btf->size);
	for (i = sizeof(*h); i < h->hdr_len; i++)
		if (btf->data[i])
			return errmsg_set(err, EINVAL,
					  "BTF: unknown header fields are not zero");

	payload = btf->size - h->hdr_len;
	t_end = (uint64_t)h->type_off + h->type_len;
	s_end = (uint64_t)h->str_off + h->str_len;
	if (t_end > payload)
		return errmsg_set(err, EINVAL,
				  "BTF: type section [%u, +%u) outside the %llu-byte payload",
				  h->type_off, h->type_len,
				  (unsigned long long)payload);
	if (s_end > payload)
		return errmsg_set(err, EINVAL,
				  "BTF: string section [%u, +%u) outside the %llu-byte payload",
				  h->str_off, h->str_len,
				  (unsigned long long)payload);
	if (h->type_len && h->str_len && h->type_off < s_end &&
	    h->str_off < t_end)
		return errmsg_set(err, EINVAL,
				  "BTF: type and string sections overlap");
	if ((h->hdr_len + h->type_off) % 4)
		return errmsg_set(err, EINVAL,
				  "BTF: type section at offset %u is not 4-byte aligned",
				  h->type_off);

	btf->strings = (const char *)btf->data + h->hdr_len + h->str_off;
	btf->strings_len = h->str_len;
	if (!h->str_len || btf->strings[0] ||
	    btf->strings[h->str_len - 1])
		return errmsg_set(err, EINVAL,
				  "BTF: string section must start and end with NUL");
	*types_start = h->hdr_len + h->type_off;
	*types_len = h->type_len;
	return 0;
}

/* First pass: the offset of every type record, checking that each record
 * fits the type section. */
static int index_types(struct btf *btf, uint32_t start, uint32_t len,
		       struct errmsg *err)
{
	uint32_t off = 0, id = 1, cap = len / sizeof(struct btf_type) + 1;

	btf->type_offs = calloc(cap, sizeof(*btf->type_offs));
	if (!btf->type_offs)
		return errmsg_set(err, ENOMEM, "BTF: out of memory");
	while (off < len) {
		const struct btf_type *t;
		int64_t extra;

		if (len - off < sizeof(*t))
			return errmsg_set(err, EINVAL,
					  "BTF: type %u: truncated record", id);
		if (id > BTF_MAX_TYPE || id >= cap)
			return errmsg_set(err, EINVAL, "BTF: too many types");
		t = (const struct btf_type *)(btf->data + start + off);
		extra = record_extra(btf_kind(t), btf_vlen(t));
		if (extra < 0)
			return errmsg_set(err, EINVAL,
					  "BTF: type %u: unknown kind %u", id,
					  btf_kind(t));
		if ((uint64_t)len - off - sizeof(*t) < (uint64_t)extra)
			return errmsg_set(err, EINVAL,
					  "BTF: type %u (%s): record runs past the type section",
					  id, btf_kind_name(btf_kind(t)));
		btf->type_offs[id++] = start + off;
		off += sizeof(*t) + (uint32_t)extra;
	}
	btf->ntypes = id;
	return 0;
}

static int check_name(const struct btf *btf, uint32_t id, uint32_t off,
		      struct errmsg *err)
{
	if (off >= btf->strings_len)
		return errmsg_set(err, EINVAL,
				  "BTF: type %u: name offset %u outside the %u-byte string section",
				  id, off, btf->strings_len);
	return 0;
}

static int check_ref(const struct btf *btf, uint32_t id, uint32_t ref,
		     struct errmsg *err)
{
	if (ref >= btf->ntypes)
		return errmsg_set(err, EINVAL,
				  "BTF: type %u refers to type %u, but there are only %u",
				  id, ref, btf->ntypes - 1);
	return 0;
}

/* Every name offset and type id of one record. */
static int check_type(const struct btf *btf, uint32_t id,
		      const struct btf_type *t, struct errmsg *err)
{
	uint32_t i, vlen = btf_vlen(t);
	int ret = check_name(btf, id, t->name_off, err);

	if (ret)
		return ret;
	switch (btf_kind(t)) {
	case BTF_KIND_PTR:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_TYPE_TAG:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
		return check_ref(btf, id, t->type, err);
	case BTF_KIND_ARRAY: {
		const struct btf_array *a = btf_array_of(t);

		ret = check_ref(btf, id, a->type, err);
		return ret ? ret : check_ref(btf, id, a->index_type, err);
	}
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		for (i = 0; i < vlen && !ret; i++) {
			const struct btf_member *m = &btf_members(t)[i];

			ret = check_name(btf, id, m->name_off, err);
			if (!ret)
				ret = check_ref(btf, id, m->type, err);
		}
		return ret;
	case BTF_KIND_ENUM:
		for (i = 0; i < vlen && !ret; i++)
			ret = check_name(btf, id,
					 ((const struct btf_enum *)(t + 1))[i].name_off,
					 err);
		return ret;
	case BTF_KIND_ENUM64:
		for (i = 0; i < vlen && !ret; i++)
			ret = check_name(btf, id,
					 ((const struct btf_enum64 *)(t + 1))[i].name_off,
					 err);
		return ret;
	case BTF_KIND_FUNC_PROTO: {
		const struct btf_param *p = (const struct btf_param *)(t + 1);

		ret = check_ref(btf, id, t->type, err);
		for (i = 0; i < vlen && !ret; i++) {
			ret = check_name(btf, id, p[i].name_off, err);
			if (!ret)
				ret = check_ref(btf, id, p[i].type, err);
		}
		return ret;
	}
	case BTF_KIND_DATASEC:
		for (i = 0; i < vlen && !ret; i++)
			ret = check_ref(btf, id, btf_secinfos(t)[i].type, err);
		return ret;
	default:
		return 0;
	}
}

int btf_parse(struct btf *btf, const void *data, size_t size,
	      struct errmsg *err)
{
	uint32_t start = 0, len = 0, id;
	int ret;

	memset(btf, 0, sizeof(*btf));
	if (size > UINT32_MAX)
		return errmsg_set(err, EINVAL, "BTF: %zu bytes is too large",
				  size);
	btf->data = malloc(size ? size : 1);
	if (!btf->data)
		return errmsg_set(err, ENOMEM, "BTF: out of memory");
	if (size)
		memcpy(btf->data, data, size);
	btf->size = size;

	ret = parse_header(btf, &start, &len, err);
	if (!ret)
		ret = index_types(btf, start, len, err);
	for (id = 1; !ret && id < btf->ntypes; id++)
		ret = check_type(btf, id, btf_type_by_id(btf, id), err);
	if (ret)
		btf_free(btf);
	return ret;
}

void btf_free(struct btf *btf)
{
	free(btf->data);
	free(btf->type_offs);
	memset(btf, 0, sizeof(*btf));
}

uint8_t *btf_steal_data(struct btf *btf, size_t *size)
{
	uint8_t *data = btf->data;

	*size = btf->size;
	btf->data = NULL;
	btf->size = 0;
	return data;
}

/* ---- lookups ----------------------------------------------------------- */

const struct btf_type *btf_type_by_id(const struct btf *btf, uint32_t id)
{
	if (!id || id >= btf->ntypes)
		return NULL;
	return (const struct btf_type *)(btf->data + btf->type_offs[id]);
}

const char *btf_str(const struct btf *btf, uint32_t off)
{
	if (off >= btf->strings_len)
		return NULL;
	return btf->strings + off;
}

static bool is_modifier(uint32_t kind)
{
	return kind == BTF_KIND_TYPEDEF || kind == BTF_KIND_VOLATILE ||
	       kind == BTF_KIND_CONST || kind == BTF_KIND_RESTRICT ||
	       kind == BTF_KIND_TYPE_TAG;
}

int btf_skip_modifiers(const struct btf *btf, uint32_t id, uint32_t *out,
		       struct errmsg *err)
{
	uint32_t start = id;
	int depth;

	for (depth = 0; depth < BTF_MAX_CHAIN; depth++) {
		const struct btf_type *t = btf_type_by_id(btf, id);

		if (!t || !is_modifier(btf_kind(t))) {
			*out = id;
			return 0;
		}
		id = t->type;
	}
	return errmsg_set(err, ELOOP,
			  "BTF: type %u: modifier chain longer than %d (a loop?)",
			  start, BTF_MAX_CHAIN);
}

int btf_type_size(const struct btf *btf, uint32_t id, uint64_t *size,
		  struct errmsg *err)
{
	uint64_t mult = 1;
	uint32_t start = id;
	int depth;

	for (depth = 0; depth < BTF_MAX_CHAIN; depth++) {
		const struct btf_type *t = btf_type_by_id(btf, id);
		uint32_t kind = t ? btf_kind(t) : BTF_KIND_UNKN;

		switch (kind) {
		case BTF_KIND_INT:
		case BTF_KIND_STRUCT:
		case BTF_KIND_UNION:
		case BTF_KIND_ENUM:
		case BTF_KIND_ENUM64:
		case BTF_KIND_FLOAT:
		case BTF_KIND_DATASEC:
			if (__builtin_mul_overflow(mult, (uint64_t)t->size, size))
				goto too_big;
			return 0;
		case BTF_KIND_PTR:
			if (__builtin_mul_overflow(mult, (uint64_t)8, size))
				goto too_big;
			return 0;
		case BTF_KIND_TYPEDEF:
		case BTF_KIND_VOLATILE:
		case BTF_KIND_CONST:
		case BTF_KIND_RESTRICT:
		case BTF_KIND_TYPE_TAG:
		case BTF_KIND_VAR:
			id = t->type;
			break;
		case BTF_KIND_ARRAY:
			if (__builtin_mul_overflow(mult,
						   (uint64_t)btf_array_of(t)->nelems,
						   &mult))
				goto too_big;
			id = btf_array_of(t)->type;
			break;
		default:
			return errmsg_set(err, EINVAL,
					  "BTF: type %u: %s %u has no size",
					  start, id ? btf_kind_name(kind) : "void",
					  id);
		}
	}
	return errmsg_set(err, ELOOP,
			  "BTF: type %u: type chain longer than %d (a loop?)",
			  start, BTF_MAX_CHAIN);
too_big:
	return errmsg_set(err, EOVERFLOW, "BTF: type %u: size overflows",
			  start);
}

const struct btf_member *btf_find_member(const struct btf *btf,
					 const struct btf_type *t,
					 const char *name)
{
	uint32_t i;

	if (btf_kind(t) != BTF_KIND_STRUCT && btf_kind(t) != BTF_KIND_UNION)
		return NULL;
	for (i = 0; i < btf_vlen(t); i++) {
		const char *n = btf_str(btf, btf_members(t)[i].name_off);

		if (n && !strcmp(n, name))
			return &btf_members(t)[i];
	}
	return NULL;
}

uint32_t btf_find_by_name_kind(const struct btf *btf, const char *name,
			       uint32_t kind)
{
	uint32_t id;

	for (id = 1; id < btf->ntypes; id++) {
		const struct btf_type *t = btf_type_by_id(btf, id);
		const char *n = btf_str(btf, t->name_off);

		if (btf_kind(t) == kind && n && !strcmp(n, name))
			return id;
	}
	return 0;
}

/* ---- the clang DATASEC fix-up ------------------------------------------ */

/* The named data symbols of one ELF section, sorted by name. */
struct named_sym {
	const char *name;
	uint64_t value;
};

struct sym_index {
	struct named_sym *syms;
	size_t n;
};

static int cmp_sym_name(const void *a, const void *b)
{
	return strcmp(((const struct named_sym *)a)->name,
		      ((const struct named_sym *)b)->name);
}

static int index_section_symbols(struct sym_index *si,
				 const struct elf_file *ef, uint32_t shndx)
{
	size_t i;

	si->n = 0;
	si->syms = malloc((ef->nsymbols ? ef->nsymbols : 1) *
			  sizeof(*si->syms));
	if (!si->syms)
		return -ENOMEM;
	for (i = 1; i < ef->nsymbols; i++) {
		const struct elf_symbol *s = &ef->symbols[i];

		if (s->shndx == shndx && s->type != STT_SECTION &&
		    s->type != STT_FILE && s->name[0])
			si->syms[si->n++] = (struct named_sym){ s->name,
								s->value };
	}
	qsort(si->syms, si->n, sizeof(*si->syms), cmp_sym_name);
	return 0;
}

static const struct named_sym *find_symbol(const struct sym_index *si,
					   const char *name)
{
	struct named_sym key = { .name = name };

	return bsearch(&key, si->syms, si->n, sizeof(*si->syms),
		       cmp_sym_name);
}

static int cmp_secinfo_offset(const void *a, const void *b)
{
	const struct btf_var_secinfo *x = a, *y = b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static int fixup_datasec(struct btf *btf, struct btf_type *t,
			 const struct elf_file *ef,
			 const struct elf_section *sec)
{
	struct btf_var_secinfo *vsi = btf_secinfos(t);
	struct sym_index si;
	uint32_t i;

	if (sec->size > UINT32_MAX)
		return 0; /* leave it; the kernel would refuse it anyway */
	t->size = (uint32_t)sec->size;
	if (index_section_symbols(&si, ef, sec->index))
		return -ENOMEM;
	for (i = 0; i < btf_vlen(t); i++) {
		const struct btf_type *var = btf_type_by_id(btf, vsi[i].type);
		const struct named_sym *sym;
		const char *name;

		if (!var || btf_kind(var) != BTF_KIND_VAR)
			continue;
		name = btf_str(btf, var->name_off);
		sym = name ? find_symbol(&si, name) : NULL;
		if (sym && sym->value <= UINT32_MAX)
			vsi[i].offset = (uint32_t)sym->value;
	}
	free(si.syms);
	qsort(vsi, btf_vlen(t), sizeof(*vsi), cmp_secinfo_offset);
	return 0;
}

int btf_fixup_datasecs(struct btf *btf, const struct elf_file *ef,
		       struct errmsg *err)
{
	uint32_t id;

	for (id = 1; id < btf->ntypes; id++) {
		struct btf_type *t = (struct btf_type *)btf_type_by_id(btf, id);
		const struct elf_section *sec;
		const char *name;

		if (btf_kind(t) != BTF_KIND_DATASEC)
			continue;
		name = btf_str(btf, t->name_off);
		sec = name ? elf_section_by_name(ef, name) : NULL;
		if (!sec)
			continue;
		if (fixup_datasec(btf, t, ef, sec))
			return errmsg_set(err, ENOMEM, "BTF: out of memory");
	}
	return 0;
}
