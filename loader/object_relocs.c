/* SPDX-License-Identifier: MIT */
/* Relocations: reading a section's relocations, and applying those of a
 * program's code. An ld_imm64 against a map definition or a global data
 * section becomes a map reference (struct map_ref) for the loader to fill
 * in; calls go to fix_call() in object_progs.c. Pure: no system calls. */
#include "object_internal.h"

#include <errno.h>
#include <stdlib.h>

static bool is_ld_imm64(const struct bpf_insn *insn)
{
	return insn->code == (BPF_LD | BPF_IMM | BPF_DW);
}

static bool is_call(const struct bpf_insn *insn)
{
	return insn->code == (BPF_JMP | BPF_CALL);
}

/* ---- the relocations of a section --------------------------------------- */

static int cmp_reloc_offset(const void *a, const void *b)
{
	const struct elf_reloc *x = a, *y = b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* The relocations that apply to section shndx, sorted by offset. In code
 * every relocation must sit on an instruction boundary, and at most one per
 * instruction. */
int section_relocs(struct open_ctx *c, uint32_t shndx,
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

/* ---- map references ----------------------------------------------------- */

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

/* ---- one stretch of code ------------------------------------------------ */

/* Relocate the `count` instructions now at b->p->insns[base...], copied
 * from instruction `first` of section shndx. */
int relocate_code(struct open_ctx *c, struct prog_build *b, uint32_t shndx,
		  uint64_t first, uint64_t count, size_t base)
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
