/* SPDX-License-Identifier: MIT */
/* Programs: every function of every executable section but .text. Each
 * program gets its own copy of its code with the .text functions it calls
 * (and those they call) appended, and every BPF-to-BPF call's immediate
 * fixed to point at the appended copy. Pure: no system calls. */
#include "object_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- programs ----------------------------------------------------------- */

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
int collect_text_functions(struct open_ctx *c)
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
int collect_programs(struct open_ctx *c)
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

/* ---- building one program: its code and the .text functions it calls ---- */

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
int fix_call(struct open_ctx *c, struct prog_build *b, size_t at,
	     uint32_t shndx, uint64_t sec_insn, const struct elf_reloc *r)
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

int build_program(struct open_ctx *c, size_t index)
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
	for (i = 0; !ret && i < c->ntext_funcs; i++)
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
