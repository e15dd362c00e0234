/* SPDX-License-Identifier: MIT */
/* Unit tests of the object model (loader/object.c): every object of
 * tests/progs ($TCSTEER_PROGS) opened and checked against what its source
 * says, then damaged copies of them, one defect at a time, each of which
 * must give one clear line of error (and never a crash). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "btf.h"
#include "elf.h"
#include "object.h"

/* loader/elf.h (which <elf.h> resolves to here) brings <linux/elf.h>, which
 * lacks these two */
#ifndef ELF64_ST_INFO
#define ELF64_ST_INFO(bind, type) (((bind) << 4) + ((type) & 0xf))
#endif
#ifndef ELF64_R_INFO
#define ELF64_R_INFO(sym, type) (((uint64_t)(sym) << 32) + (type))
#endif

/* ---- reading and locating things in an object file --------------------- */

/* One test object: the file bytes (which tests may damage) and the ELF
 * parse of a pristine copy, to find where things are. */
struct file {
	uint8_t *buf;
	size_t len;
	uint8_t *orig;
	struct elf_file ef;
};

static void file_load(struct file *f, const char *name)
{
	const char *dir = getenv("TCSTEER_PROGS");
	struct errmsg err = { 0 };
	char path[4096];
	FILE *fp;
	long n;

	if (!dir)
		fail_msg("TCSTEER_PROGS is not set (run through ctest)");
	snprintf(path, sizeof(path), "%s/%s.o", dir, name);
	fp = fopen(path, "rb");
	if (!fp)
		fail_msg("cannot open %s", path);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	f->len = (size_t)n;
	f->buf = malloc(f->len);
	f->orig = malloc(f->len);
	assert_non_null(f->buf);
	assert_non_null(f->orig);
	assert_int_equal(fread(f->orig, 1, f->len, fp), f->len);
	fclose(fp);
	memcpy(f->buf, f->orig, f->len);
	if (elf_open(&f->ef, f->orig, f->len, &err))
		fail_msg("%s: %s", path, err.text);
}

static void file_free(struct file *f)
{
	elf_close(&f->ef);
	free(f->buf);
	free(f->orig);
}

/* Undo all damage. */
static void file_reset(struct file *f)
{
	memcpy(f->buf, f->orig, f->len);
}

static size_t file_off(const struct file *f, const void *p)
{
	return (const uint8_t *)p - f->orig;
}

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, sizeof(v)); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, sizeof(v)); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, sizeof(v)); }

static uint32_t sec_index(const struct file *f, const char *name)
{
	const struct elf_section *s = elf_section_by_name(&f->ef, name);

	if (!s)
		fail_msg("no section %s", name);
	return s->index;
}

/* The symbol called `name`; a section name gives the STT_SECTION symbol. */
static uint32_t sym_index(const struct file *f, const char *name)
{
	const struct elf_section *s = elf_section_by_name(&f->ef, name);
	size_t i;

	for (i = 1; i < f->ef.nsymbols; i++) {
		const struct elf_symbol *sym = &f->ef.symbols[i];

		if (sym->type == STT_SECTION ? s && sym->shndx == s->index :
					       !strcmp(sym->name, name))
			return (uint32_t)i;
	}
	fail_msg("no symbol %s", name);
	return 0;
}

/* Elf64_Sym of symbol i, in the damageable buffer. */
static uint8_t *sym_entry(struct file *f, uint32_t i)
{
	const struct elf_section *st = &f->ef.sections[f->ef.symtab_index];

	return f->buf + file_off(f, st->data) + (size_t)i * sizeof(Elf64_Sym);
}

static void set_sym_shndx(struct file *f, const char *name, uint16_t shndx)
{
	put16(sym_entry(f, sym_index(f, name)) +
	      offsetof(Elf64_Sym, st_shndx), shndx);
}

static void set_sym_value(struct file *f, const char *name, uint64_t v)
{
	put64(sym_entry(f, sym_index(f, name)) +
	      offsetof(Elf64_Sym, st_value), v);
}

/* Elf64_Shdr of section i. */
static uint8_t *shdr(struct file *f, uint32_t i)
{
	uint64_t shoff;

	memcpy(&shoff, f->orig + offsetof(Elf64_Ehdr, e_shoff), sizeof(shoff));
	return f->buf + shoff + (size_t)i * sizeof(Elf64_Shdr);
}

static void set_sec_size(struct file *f, const char *name, uint64_t size)
{
	put64(shdr(f, sec_index(f, name)) + offsetof(Elf64_Shdr, sh_size),
	      size);
}

/* Section data, in the damageable buffer. */
static uint8_t *sec_data(struct file *f, const char *name)
{
	return f->buf + file_off(f, elf_section_by_name(&f->ef, name)->data);
}

/* Elf64_Rel number i of the relocations for section `target`. */
static uint8_t *rel_entry(struct file *f, const char *target, size_t i)
{
	const struct elf_section *rel =
		elf_relocs_for(&f->ef, sec_index(f, target));

	assert_non_null(rel);
	assert_true((i + 1) * sizeof(Elf64_Rel) <= rel->size);
	return f->buf + file_off(f, rel->data) + i * sizeof(Elf64_Rel);
}

static uint64_t rel_offset(struct file *f, const char *target, size_t i)
{
	uint64_t off;

	memcpy(&off, rel_entry(f, target, i), sizeof(off));
	return off;
}

/* The first relocation of `target` against symbol `sym`. */
static size_t rel_for_symbol(struct file *f, const char *target,
			     const char *sym)
{
	const struct elf_section *rel =
		elf_relocs_for(&f->ef, sec_index(f, target));
	uint32_t want = sym_index(f, sym);
	size_t i;

	for (i = 0; i < rel->size / sizeof(Elf64_Rel); i++) {
		uint64_t info;

		memcpy(&info, rel_entry(f, target, i) + 8, sizeof(info));
		if (ELF64_R_SYM(info) == want)
			return i;
	}
	fail_msg("no relocation against %s in %s", sym, target);
	return 0;
}

static struct bpf_insn *insn_at(struct file *f, const char *sec, size_t i)
{
	return (struct bpf_insn *)(sec_data(f, sec) + i * 8);
}

/* Rename a section in place (same length). */
static void rename_section(struct file *f, const char *from, const char *to)
{
	const struct elf_section *s = elf_section_by_name(&f->ef, from);

	assert_non_null(s);
	assert_int_equal(strlen(from), strlen(to));
	/* the name lives inside the (shared) string table; renaming it in
	 * place renames every name that shares that tail too, harmlessly */
	memcpy(f->buf + file_off(f, s->name), to, strlen(to));
}

/* ---- opening -------------------------------------------------------------- */

static void assert_one_line(const struct errmsg *err)
{
	assert_true(err->text[0] != '\0');
	assert_null(strchr(err->text, '\n'));
}

static void open_ok(struct object_spec *obj, struct file *f)
{
	struct errmsg err = { 0 };

	if (object_open(obj, f->buf, f->len, &err))
		fail_msg("object_open: %s", err.text);
}

static void open_object(struct object_spec *obj, const char *name)
{
	struct file f;

	file_load(&f, name);
	open_ok(obj, &f);
	file_free(&f); /* the object keeps its own copy */
}

/* object_open must fail with -code and a line containing `needle`. */
static void expect_error(struct file *f, int code, const char *needle)
{
	struct errmsg err = { 0 };
	struct object_spec obj;
	int ret = object_open(&obj, f->buf, f->len, &err);

	if (!ret)
		object_close(&obj);
	if (ret != -code || !strstr(err.text, needle))
		fail_msg("expected -%d with \"%s\", got %d: \"%s\"", code,
			 needle, ret, err.text);
	assert_one_line(&err);
	assert_null(obj.progs); /* left zeroed */
	file_reset(f);
}

static const struct map_spec *map_named(const struct object_spec *obj,
					const char *name)
{
	size_t i;

	for (i = 0; i < obj->nmaps; i++)
		if (!strcmp(obj->maps[i].name, name))
			return &obj->maps[i];
	fail_msg("no map %s", name);
	return NULL;
}

static const struct prog_spec *prog_named(const struct object_spec *obj,
					  const char *name)
{
	struct errmsg err = { 0 };
	const struct prog_spec *p = object_find_program(obj, NULL, name, &err);

	if (!p)
		fail_msg("%s", err.text);
	return p;
}

static int map_index(const struct object_spec *obj, const char *name)
{
	return (int)(map_named(obj, name) - obj->maps);
}

static bool is_pseudo_call(const struct bpf_insn *insn)
{
	return insn->code == (BPF_JMP | BPF_CALL) &&
	       insn->src_reg == BPF_PSEUDO_CALL;
}

/* Every map reference sits on an ld_imm64 that the loader can patch. */
static void check_refs_shape(const struct prog_spec *p, size_t nmaps)
{
	size_t i;

	for (i = 0; i < p->nrefs; i++) {
		const struct map_ref *r = &p->refs[i];

		assert_true(r->insn + 1 < p->ninsns);
		assert_int_equal(p->insns[r->insn].code,
				 BPF_LD | BPF_IMM | BPF_DW);
		assert_int_equal(p->insns[r->insn].src_reg, 0);
		assert_int_equal(p->insns[r->insn].imm, 0);
		assert_int_equal(p->insns[r->insn + 1].imm, 0);
		assert_true(r->map >= 0 && (size_t)r->map < nmaps);
	}
}

/* ---- the objects of tests/progs ---------------------------------------------- */

static void test_pass(void **state)
{
	struct object_spec obj;

	open_object(&obj, "pass");
	assert_string_equal(obj.license, "Dual MIT/GPL");
	assert_int_equal(obj.nmaps, 0);
	assert_int_equal(obj.nprogs, 1);
	assert_string_equal(obj.progs[0].name, "tc_pass");
	assert_string_equal(obj.progs[0].section, "tc");
	assert_int_equal(obj.progs[0].ninsns, 2);
	assert_int_equal(obj.progs[0].insns[1].code, BPF_JMP | BPF_EXIT);
	assert_int_equal(obj.progs[0].nrefs, 0);
	assert_non_null(obj.btf);
	assert_true(obj.btf_size > sizeof(struct btf_header));
	object_close(&obj);
	object_close(&obj); /* safe twice */
}

static void test_legacy_maps(void **state)
{
	const struct prog_spec *p;
	const struct map_spec *m;
	struct object_spec obj;

	open_object(&obj, "legacy_maps");
	assert_string_equal(obj.license, "GPL");
	assert_int_equal(obj.nmaps, 1);
	m = map_named(&obj, "legacy_nh");
	assert_int_equal(m->origin, MAP_ORIGIN_LEGACY);
	assert_int_equal(m->type, BPF_MAP_TYPE_HASH);
	assert_int_equal(m->key_size, 4);
	assert_int_equal(m->value_size, 8);
	assert_int_equal(m->max_entries, 1024);
	assert_int_equal(m->flags, 0);
	assert_int_equal(m->pinning, MAP_PIN_NONE);
	assert_int_equal(m->sec_offset, 0);
	assert_null(m->init);
	assert_int_equal(m->btf_key_type_id, 0);
	assert_int_equal(m->btf_value_type_id, 0);

	assert_int_equal(obj.nprogs, 1);
	p = object_find_program(&obj, "tc_redirect", NULL, NULL);
	assert_non_null(p);
	assert_string_equal(p->name, "legacy_steer");
	assert_int_equal(p->nrefs, 1);
	assert_int_equal(p->refs[0].map, 0);
	assert_false(p->refs[0].value);
	check_refs_shape(p, obj.nmaps);
	object_close(&obj);
}

static void test_elf_maps(void **state)
{
	static const struct { const char *name; enum map_pinning pin; } want[] = {
		{ "elf_global", MAP_PIN_GLOBAL },
		{ "elf_object", MAP_PIN_BY_NAME },
		{ "elf_private", MAP_PIN_NONE },
	};
	const struct prog_spec *p;
	struct object_spec obj;
	size_t i;

	open_object(&obj, "elf_maps");
	assert_int_equal(obj.nmaps, 3);
	for (i = 0; i < 3; i++) {
		const struct map_spec *m = &obj.maps[i];

		assert_string_equal(m->name, want[i].name);
		assert_int_equal(m->origin, MAP_ORIGIN_IPROUTE2);
		assert_int_equal(m->pinning, want[i].pin);
		assert_int_equal(m->type, BPF_MAP_TYPE_ARRAY);
		assert_int_equal(m->key_size, 4);
		assert_int_equal(m->value_size, 8);
		assert_int_equal(m->max_entries, 1);
		assert_int_equal(m->sec_offset, 36 * i);
	}
	p = &obj.progs[0];
	assert_string_equal(p->name, "count_pins");
	assert_int_equal(p->nrefs, 3);
	for (i = 0; i < 3; i++)
		assert_int_equal(p->refs[i].map, (int)i);
	check_refs_shape(p, obj.nmaps);
	object_close(&obj);
}

/* The BTF type id the object reports must describe a type of that size. */
static void check_btf_id_size(const struct object_spec *obj, uint32_t id,
			      uint32_t size)
{
	struct errmsg err = { 0 };
	struct btf btf;
	uint64_t sz;

	assert_int_equal(btf_parse(&btf, obj->btf, obj->btf_size, &err), 0);
	assert_int_equal(btf_type_size(&btf, id, &sz, &err), 0);
	assert_int_equal(sz, size);
	btf_free(&btf);
}

static void test_btf_maps(void **state)
{
	static const struct {
		const char *name;
		uint32_t type, key, value, max, flags;
		enum map_pinning pin;
		bool btf_ids;
	} want[] = {
		{ "btf_array", BPF_MAP_TYPE_ARRAY, 4, 8, 4, 0,
		  MAP_PIN_BY_NAME, true },
		{ "btf_percpu", BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 2, 0,
		  MAP_PIN_NONE, false },
		{ "btf_hash", BPF_MAP_TYPE_HASH, 4, 16, 16, 0,
		  MAP_PIN_NONE, true },
		{ "btf_lpm", BPF_MAP_TYPE_LPM_TRIE, 8, 4, 64,
		  BPF_F_NO_PREALLOC, MAP_PIN_NONE, true },
	};
	const struct prog_spec *p;
	struct object_spec obj;
	uint64_t prev = 0;
	size_t i;

	open_object(&obj, "btf_maps");
	assert_int_equal(obj.nmaps, 4);
	for (i = 0; i < 4; i++) {
		const struct map_spec *m = &obj.maps[i];

		assert_string_equal(m->name, want[i].name);
		assert_int_equal(m->origin, MAP_ORIGIN_BTF);
		assert_int_equal(m->type, want[i].type);
		assert_int_equal(m->key_size, want[i].key);
		assert_int_equal(m->value_size, want[i].value);
		assert_int_equal(m->max_entries, want[i].max);
		assert_int_equal(m->flags, want[i].flags);
		assert_int_equal(m->pinning, want[i].pin);
		assert_int_equal(m->nprog_slots, 0);
		assert_true(i == 0 || m->sec_offset > prev);
		prev = m->sec_offset;
		if (want[i].btf_ids) {
			check_btf_id_size(&obj, m->btf_key_type_id, m->key_size);
			check_btf_id_size(&obj, m->btf_value_type_id,
					  m->value_size);
		} else {
			assert_int_equal(m->btf_key_type_id, 0);
			assert_int_equal(m->btf_value_type_id, 0);
		}
	}
	p = &obj.progs[0];
	assert_int_equal(p->nrefs, 4);
	check_refs_shape(p, obj.nmaps);
	/* used in the source in the order array, percpu, hash, lpm */
	for (i = 0; i < 4; i++)
		assert_int_equal(p->refs[i].map, map_index(&obj, want[i].name));
	object_close(&obj);
}

/* BTF maps of maps: the outer map is 4/4, its inner definition comes from
 * __array(values, struct ...), without BTF ids (a template only). */
static void test_map_in_map(void **state)
{
	const struct map_spec *outer, *hash;
	struct object_spec obj;

	open_object(&obj, "map_in_map");
	assert_int_equal(obj.nmaps, 2);
	outer = map_named(&obj, "mim_outer");
	assert_int_equal(outer->type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	assert_int_equal(outer->key_size, 4);
	assert_int_equal(outer->value_size, 4);
	assert_int_equal(outer->max_entries, 1);
	assert_int_equal(outer->pinning, MAP_PIN_BY_NAME);
	assert_int_equal(outer->btf_value_type_id, 0);
	assert_int_equal(outer->nprog_slots, 0);
	assert_non_null(outer->inner);
	assert_int_equal(outer->inner->type, BPF_MAP_TYPE_LRU_HASH);
	assert_int_equal(outer->inner->key_size, 4);
	assert_int_equal(outer->inner->value_size, 8);
	assert_int_equal(outer->inner->max_entries, 1);
	assert_int_equal(outer->inner->btf_key_type_id, 0);
	assert_int_equal(outer->inner->btf_value_type_id, 0);
	hash = map_named(&obj, "mim_hash");
	assert_int_equal(hash->type, BPF_MAP_TYPE_HASH_OF_MAPS);
	assert_int_equal(hash->pinning, MAP_PIN_NONE);
	assert_non_null(hash->inner);
	assert_int_equal(hash->inner->type, BPF_MAP_TYPE_ARRAY);
	assert_int_equal(hash->inner->max_entries, 4);
	assert_int_equal(hash->inner->value_size, 4);
	assert_int_equal(obj.progs[0].nrefs, 2);
	object_close(&obj);
}

static void test_global_data(void **state)
{
	/* (map, offset) of each reference, as the source uses them */
	static const struct { const char *map; uint32_t off; } want[] = {
		{ ".bss", 0 },          /* bss_runs */
		{ ".bss", 8 },          /* bss_last_len: section + addend */
		{ ".data", 0 },         /* data_val */
		{ ".rodata", 0 },       /* ro_val */
		{ ".data", 4 },         /* data_bonus: section + addend */
	};
	const struct map_spec *data, *ro, *bss;
	struct object_spec obj;
	const struct prog_spec *p;
	size_t i, j;
	int32_t v;

	open_object(&obj, "global_data");
	assert_int_equal(obj.nmaps, 3);
	data = &obj.maps[0];
	ro = &obj.maps[1];
	bss = &obj.maps[2];
	assert_string_equal(data->name, ".data");
	assert_string_equal(ro->name, ".rodata");
	assert_string_equal(bss->name, ".bss");
	for (i = 0; i < 3; i++) {
		const struct map_spec *m = &obj.maps[i];
		struct errmsg err = { 0 };
		struct btf btf;
		const struct btf_type *ds;

		assert_int_equal(m->origin, MAP_ORIGIN_DATA);
		assert_int_equal(m->type, BPF_MAP_TYPE_ARRAY);
		assert_int_equal(m->key_size, 4);
		assert_int_equal(m->max_entries, 1);
		assert_int_equal(m->pinning, MAP_PIN_NONE);
		/* keyless BTF: the value is the section's DATASEC */
		assert_int_equal(m->btf_key_type_id, 0);
		assert_int_equal(btf_parse(&btf, obj.btf, obj.btf_size, &err), 0);
		ds = btf_type_by_id(&btf, m->btf_value_type_id);
		assert_non_null(ds);
		assert_int_equal(btf_kind(ds), BTF_KIND_DATASEC);
		assert_string_equal(btf_str(&btf, ds->name_off), m->name);
		assert_int_equal(ds->size, m->value_size); /* fixed up */
		btf_free(&btf);
	}
	assert_int_equal(data->value_size, 8);
	assert_int_equal(data->flags, 0);
	assert_false(data->freeze);
	assert_non_null(data->init);
	memcpy(&v, data->init, 4);
	assert_int_equal(v, 30);
	memcpy(&v, data->init + 4, 4);
	assert_int_equal(v, 10);

	assert_int_equal(ro->value_size, 4);
	assert_int_equal(ro->flags, BPF_F_RDONLY_PROG);
	assert_true(ro->freeze);
	memcpy(&v, ro->init, 4);
	assert_int_equal(v, 2);

	assert_int_equal(bss->value_size, 12);
	assert_null(bss->init);
	assert_false(bss->freeze);

	p = &obj.progs[0];
	check_refs_shape(p, obj.nmaps);
	assert_int_equal(p->nrefs, 5);
	for (i = 0; i < 5; i++) {
		bool found = false;

		for (j = 0; j < p->nrefs; j++)
			found |= p->refs[j].value &&
				 !strcmp(obj.maps[p->refs[j].map].name,
					 want[i].map) &&
				 p->refs[j].offset == want[i].off;
		if (!found)
			fail_msg("no reference to %s+%u", want[i].map,
				 want[i].off);
	}
	object_close(&obj);
}

/* Does the code at p->insns[pos] look like (same opcodes as) function fn
 * of section sec? Call immediates differ, opcodes do not. */
static bool code_matches(const struct prog_spec *p, size_t pos,
			 const struct elf_section *sec,
			 const struct elf_symbol *fn)
{
	const struct bpf_insn *orig =
		(const struct bpf_insn *)(sec->data + fn->value);
	size_t i, n = fn->size / sizeof(struct bpf_insn);

	if (pos + n > p->ninsns)
		return false;
	for (i = 0; i < n; i++)
		if (p->insns[pos + i].code != orig[i].code)
			return false;
	return true;
}

static void test_subprog(void **state)
{
	const struct elf_symbol *sub_scale, *sub_inc, *main_fn;
	size_t i, main_len, from_main = 0, from_text = 0;
	const struct elf_section *text;
	struct object_spec obj;
	const struct prog_spec *p;
	struct file f;

	file_load(&f, "subprog");
	open_ok(&obj, &f);
	text = elf_section_by_name(&f.ef, ".text");
	sub_scale = &f.ef.symbols[sym_index(&f, "sub_scale")];
	sub_inc = &f.ef.symbols[sym_index(&f, "sub_inc")];
	main_fn = &f.ef.symbols[sym_index(&f, "subprog_main")];

	assert_int_equal(obj.nprogs, 1); /* .text functions are no programs */
	p = &obj.progs[0];
	assert_string_equal(p->name, "subprog_main");
	/* the program, then the two functions it reaches; not sub_unused */
	main_len = main_fn->size / 8;
	assert_int_equal(p->ninsns,
			 main_len + (sub_scale->size + sub_inc->size) / 8);
	assert_true(sub_scale->size + sub_inc->size < text->size);

	/* main calls both; the copy of sub_scale calls the copy of sub_inc */
	for (i = 0; i < p->ninsns; i++) {
		size_t target;

		if (!is_pseudo_call(&p->insns[i]))
			continue;
		target = i + p->insns[i].imm + 1;
		assert_true(target >= main_len && target < p->ninsns);
		if (i < main_len) {
			if (code_matches(p, target, text, sub_scale))
				from_main |= 1;
			else if (code_matches(p, target, text, sub_inc))
				from_main |= 2;
			else
				fail_msg("insn %zu calls no known function", i);
		} else {
			assert_true(code_matches(p, i, text, sub_scale));
			assert_true(code_matches(p, target, text, sub_inc));
			from_text++;
		}
	}
	assert_int_equal(from_main, 3);
	assert_int_equal(from_text, 1);
	object_close(&obj);
	file_free(&f);
}

static void test_tail_call(void **state)
{
	const struct prog_spec *entry, *target;
	const struct map_spec *m;
	struct object_spec obj;

	open_object(&obj, "tail_call");
	assert_int_equal(obj.nprogs, 2);
	entry = prog_named(&obj, "tail_entry");
	target = prog_named(&obj, "tail_target");
	assert_string_equal(entry->section, "tc");
	assert_string_equal(target->section, "tc/tail");
	assert_ptr_equal(object_find_program(&obj, "tc", NULL, NULL), entry);

	m = map_named(&obj, "jmp_table");
	assert_int_equal(m->origin, MAP_ORIGIN_BTF);
	assert_int_equal(m->type, BPF_MAP_TYPE_PROG_ARRAY);
	assert_int_equal(m->key_size, 4);
	assert_int_equal(m->value_size, 4);
	assert_int_equal(m->max_entries, 4);
	assert_int_equal(m->nprog_slots, 1);
	assert_int_equal(m->prog_slots[0].slot, 1);
	assert_ptr_equal(&obj.progs[m->prog_slots[0].prog], target);

	assert_int_equal(entry->nrefs, 1);
	assert_int_equal(entry->refs[0].map, map_index(&obj, "jmp_table"));
	check_refs_shape(entry, obj.nmaps);
	object_close(&obj);
}

static void test_multi_prog(void **state)
{
	static const char *const names[] = { "multi_first", "multi_second",
					     "multi_cls", "multi_ingress" };
	static const char *const sections[] = { "tc", "tc", "classifier",
						"tc/ingress" };
	struct errmsg err = { 0 };
	struct object_spec obj;
	const struct prog_spec *p;
	size_t i;

	open_object(&obj, "multi_prog");
	assert_int_equal(obj.nprogs, 4);
	for (i = 0; i < 4; i++) {
		assert_string_equal(obj.progs[i].name, names[i]);
		assert_string_equal(obj.progs[i].section, sections[i]);
		assert_ptr_equal(prog_named(&obj, names[i]), &obj.progs[i]);
	}
	assert_ptr_equal(object_find_program(&obj, NULL, NULL, &err),
			 &obj.progs[0]);
	assert_ptr_equal(object_find_program(&obj, "tc", NULL, &err),
			 &obj.progs[0]);
	assert_ptr_equal(object_find_program(&obj, "classifier", NULL, &err),
			 &obj.progs[2]);
	assert_ptr_equal(object_find_program(&obj, "tc/ingress", NULL, &err),
			 &obj.progs[3]);
	assert_ptr_equal(object_find_program(&obj, "tc", "multi_second", &err),
			 &obj.progs[1]);

	p = object_find_program(&obj, "foo", NULL, &err);
	assert_null(p);
	assert_int_equal(err.code, ENOENT);
	assert_string_equal(err.text,
			    "no program in section \"foo\" (programs: "
			    "multi_first in \"tc\", multi_second in \"tc\", "
			    "multi_cls in \"classifier\", "
			    "multi_ingress in \"tc/ingress\")");
	assert_null(object_find_program(&obj, NULL, "nope", &err));
	assert_non_null(strstr(err.text, "no program \"nope\" (programs: "
					 "multi_first in \"tc\""));
	assert_null(object_find_program(&obj, "classifier", "multi_first",
					&err));
	assert_non_null(strstr(err.text, "no program \"multi_first\" in "
					 "section \"classifier\""));
	assert_null(object_find_program(&obj, "tc", "tc", NULL)); /* NULL err */
	object_close(&obj);
}

static void test_reject_opens(void **state)
{
	struct object_spec obj;

	/* only the verifier objects to it */
	open_object(&obj, "reject");
	assert_int_equal(obj.nprogs, 1);
	assert_string_equal(obj.progs[0].name, "reject_unchecked");
	object_close(&obj);
}

static void test_callback_rejected(void **state)
{
	struct file f;

	file_load(&f, "callback_unsupported");
	expect_error(&f, EOPNOTSUPP,
		     "program \"callback_main\": insn ");
	expect_error(&f, EOPNOTSUPP,
		     "takes the address of function \"sum_step\"");
	file_free(&f);
}

/* The object does not point into the caller's buffer. */
static void test_image_is_copied(void **state)
{
	struct object_spec obj;
	struct file f;
	int32_t v;

	file_load(&f, "global_data");
	open_ok(&obj, &f);
	memset(f.buf, 0xa5, f.len);
	memcpy(&v, map_named(&obj, ".data")->init, 4);
	assert_int_equal(v, 30);
	assert_string_equal(obj.progs[0].name, "global_data_prog");
	object_close(&obj);
	file_free(&f);
}

/* ---- damaged objects: maps ---------------------------------------------- */

static void test_bad_legacy_maps(void **state)
{
	uint8_t *def;
	struct file f;

	file_load(&f, "legacy_maps");
	set_sec_size(&f, "maps", 16);
	expect_error(&f, EINVAL,
		     "16-byte map definitions, struct bpf_map_def needs 20");

	set_sec_size(&f, "maps", 24);
	def = sec_data(&f, "maps");
	def[21] = 0xab;
	expect_error(&f, EINVAL,
		     "map \"legacy_nh\": unknown non-zero bytes at 20..23");

	put32(sec_data(&f, "maps"), BPF_MAP_TYPE_HASH_OF_MAPS);
	expect_error(&f, EOPNOTSUPP,
		     "map \"legacy_nh\": maps of maps are not supported");
	put32(sec_data(&f, "maps"), 0);
	expect_error(&f, EINVAL, "map \"legacy_nh\": no map type");
	file_free(&f);
}

static void test_bad_map_names(void **state)
{
	const struct elf_section *strtab, *longname;
	uint32_t name_off_global;
	struct file f;

	file_load(&f, "elf_maps");
	memcpy(&name_off_global, sym_entry(&f, sym_index(&f, "elf_global")), 4);
	put32(sym_entry(&f, sym_index(&f, "elf_object")), name_off_global);
	expect_error(&f, EINVAL, "two maps are called \"elf_global\"");

	/* llvm keeps section names in .strtab too: borrow a long one */
	strtab = &f.ef.sections[f.ef.sections[f.ef.symtab_index].link];
	longname = elf_section_by_name(&f.ef, ".rel.debug_str_offsets");
	assert_non_null(longname);
	assert_true(longname->name > (const char *)strtab->data &&
		    longname->name < (const char *)strtab->data + strtab->size);
	put32(sym_entry(&f, sym_index(&f, "elf_object")),
	      (uint32_t)(longname->name - (const char *)strtab->data));
	expect_error(&f, EINVAL,
		     "map \".rel.debug_str_offsets\": name must be 1-15 characters of [A-Za-z0-9_.]");
	file_free(&f);
}

static void test_bad_iproute2_maps(void **state)
{
	struct file f;

	file_load(&f, "elf_maps");
	set_sec_size(&f, "maps", 107);
	expect_error(&f, EINVAL,
		     "section \"maps\": 107 bytes for 3 map symbols, not equal-sized definitions");

	set_sym_value(&f, "elf_object", 40);
	expect_error(&f, EINVAL,
		     "map \"elf_object\" at offset 40, expected 36: definitions are not equally spaced");

	put32(sec_data(&f, "maps") + 36 + 24, 7); /* elf_object pinning */
	expect_error(&f, EINVAL, "map \"elf_object\": unsupported pinning 7");

	put32(sec_data(&f, "maps") + 72 + 28, 1); /* elf_private inner_id */
	expect_error(&f, EOPNOTSUPP, "map \"elf_private\": inner_id/inner_idx are set");

	/* a function symbol in "maps" */
	sym_entry(&f, sym_index(&f, "elf_object"))[offsetof(Elf64_Sym, st_info)] =
		ELF64_ST_INFO(STB_GLOBAL, STT_FUNC);
	expect_error(&f, EINVAL,
		     "section \"maps\": symbol \"elf_object\" is not a data object");
	file_free(&f);
}

/* Offset in the file of something inside the .BTF section's bytes. */
struct btf_view {
	struct btf btf;
	size_t base;            /* file offset of the .BTF data */
};

static void btf_view_open(struct btf_view *v, struct file *f)
{
	const struct elf_section *s = elf_section_by_name(&f->ef, ".BTF");
	struct errmsg err = { 0 };

	assert_non_null(s);
	assert_int_equal(btf_parse(&v->btf, s->data, s->size, &err), 0);
	v->base = file_off(f, s->data);
}

/* The damageable bytes in f of a pointer into v->btf. */
static uint8_t *btf_bytes(struct btf_view *v, struct file *f, const void *p)
{
	return f->buf + v->base + ((const uint8_t *)p - v->btf.data);
}

/* The definition struct of map var `name`, and its member `member`. */
static const struct btf_member *map_member(struct btf_view *v,
					   const char *name,
					   const char *member)
{
	uint32_t var = btf_find_by_name_kind(&v->btf, name, BTF_KIND_VAR);
	const struct btf_type *st;
	const struct btf_member *m;

	assert_int_not_equal(var, 0);
	st = btf_type_by_id(&v->btf, btf_type_by_id(&v->btf, var)->type);
	assert_int_equal(btf_kind(st), BTF_KIND_STRUCT);
	m = btf_find_member(&v->btf, st, member);
	assert_non_null(m);
	return m;
}

/* The ARRAY behind __uint(member, N) of map `name`. */
static const struct btf_array *uint_array(struct btf_view *v,
					  const char *name, const char *member)
{
	const struct btf_member *m = map_member(v, name, member);
	const struct btf_type *ptr = btf_type_by_id(&v->btf, m->type);

	return btf_array_of(btf_type_by_id(&v->btf, ptr->type));
}

static void test_bad_btf_maps(void **state)
{
	const struct btf_member *m;
	struct btf_view v;
	uint32_t var;
	struct file f;

	file_load(&f, "btf_maps");
	btf_view_open(&v, &f);

	put32(btf_bytes(&v, &f, uint_array(&v, "btf_array", "pinning")) +
	      offsetof(struct btf_array, nelems), 2);
	expect_error(&f, EINVAL,
		     "map \"btf_array\": unsupported pinning 2 (0 none, 1 by name)");

	m = map_member(&v, "btf_hash", "max_entries");
	put32(btf_bytes(&v, &f, m) + offsetof(struct btf_member, name_off),
	      btf_type_by_id(&v.btf, btf_find_by_name_kind(&v.btf, "btf_val",
							   BTF_KIND_STRUCT))->name_off);
	expect_error(&f, EOPNOTSUPP,
		     "map \"btf_hash\": unsupported member \"btf_val\"");

	/* __uint() that is not a pointer to an array */
	m = map_member(&v, "btf_hash", "max_entries");
	put32(btf_bytes(&v, &f, m) + offsetof(struct btf_member, type),
	      map_member(&v, "btf_hash", "key")->type);
	expect_error(&f, EINVAL,
		     "map \"btf_hash\": member \"max_entries\" is not __uint()");

	/* __type() that is not a pointer */
	m = map_member(&v, "btf_hash", "value");
	put32(btf_bytes(&v, &f, m) + offsetof(struct btf_member, type),
	      btf_find_by_name_kind(&v.btf, "btf_val", BTF_KIND_STRUCT));
	expect_error(&f, EINVAL,
		     "map \"btf_hash\": member \"value\" is not __type()");

	var = btf_find_by_name_kind(&v.btf, "btf_hash", BTF_KIND_VAR);
	put32(btf_bytes(&v, &f, btf_type_by_id(&v.btf, var)) +
	      offsetof(struct btf_type, type),
	      btf_find_by_name_kind(&v.btf, "btf_val", BTF_KIND_STRUCT) - 1);
	expect_error(&f, EINVAL, "map \"btf_hash\": its BTF definition is");

	put32(btf_bytes(&v, &f, btf_type_by_id(&v.btf, var)) +
	      offsetof(struct btf_type, name_off),
	      btf_type_by_id(&v.btf, btf_find_by_name_kind(&v.btf, "btf_val",
							   BTF_KIND_STRUCT))->name_off);
	expect_error(&f, EINVAL,
		     "map \"btf_hash\": no BTF variable for it in DATASEC \".maps\"");

	rename_section(&f, ".BTF", ".BTX");
	expect_error(&f, EINVAL,
		     "section \".maps\" needs BTF, but the object has no .BTF section");

	put16(sec_data(&f, ".BTF"), 0x1234);
	expect_error(&f, EINVAL, "section \".BTF\": BTF: bad magic 0x1234");

	btf_free(&v.btf);
	file_free(&f);
}

static void test_bad_prog_array(void **state)
{
	uint8_t *rel;
	struct btf_view v;
	struct file f;

	file_load(&f, "tail_call");
	btf_view_open(&v, &f);

	put32(btf_bytes(&v, &f, uint_array(&v, "jmp_table", "type")) +
	      offsetof(struct btf_array, nelems), BPF_MAP_TYPE_HASH);
	expect_error(&f, EOPNOTSUPP,
		     "map \"jmp_table\": \"values\" is only supported for PROG_ARRAY maps");

	put32(btf_bytes(&v, &f, uint_array(&v, "jmp_table", "max_entries")) +
	      offsetof(struct btf_array, nelems), 1);
	expect_error(&f, EINVAL,
		     "map \"jmp_table\": initialiser entry at byte 8 is not a slot below max_entries 1");

	rel = rel_entry(&f, ".maps", 0);
	put64(rel + 8, ELF64_R_INFO(sym_index(&f, "jmp_table"),
				    R_BPF_64_ABS64));
	expect_error(&f, EINVAL,
		     "map \"jmp_table\": slot 1 names \"jmp_table\", which is not a program");

	put64(rel, 0);
	expect_error(&f, EINVAL,
		     "section \".maps\": relocation at offset 0 against \"tail_target\" is not inside a map's \"values\"");

	put64(rel + 8, ELF64_R_INFO(sym_index(&f, "tail_target"), 3));
	expect_error(&f, EINVAL, "section \".maps\": relocation type 3");

	btf_free(&v.btf);
	file_free(&f);
}

/* ---- damaged objects: relocations and code -------------------------------- */

static void test_bad_data_relocs(void **state)
{
	char msg[256];
	size_t r;
	struct file f;

	file_load(&f, "global_data");

	r = rel_for_symbol(&f, "tc", "bss_runs");
	set_sym_shndx(&f, "bss_runs", SHN_UNDEF);
	snprintf(msg, sizeof(msg),
		 "program \"global_data_prog\": insn %llu: relocation against unknown symbol \"bss_runs\" (extern not supported)",
		 (unsigned long long)rel_offset(&f, "tc", r) / 8);
	expect_error(&f, EOPNOTSUPP, msg);

	set_sym_shndx(&f, "data_val", sec_index(&f, "license"));
	expect_error(&f, EINVAL,
		     "relocation against \"data_val\" in section \"license\", which holds no maps, data or code");

	set_sym_shndx(&f, "data_val", SHN_ABS);
	expect_error(&f, EINVAL,
		     "relocation against \"data_val\" in special section 0xfff1");

	r = rel_for_symbol(&f, "tc", "data_val");
	insn_at(&f, "tc", rel_offset(&f, "tc", r) / 8)->imm = 100;
	expect_error(&f, EINVAL,
		     "points at offset 100, outside section \".data\"");

	file_free(&f);
}

static void test_bad_map_relocs(void **state)
{
	uint64_t off;
	uint8_t *rel;
	char msg[256];
	struct file f;

	file_load(&f, "legacy_maps");
	rel = rel_entry(&f, "tc_redirect", 0);
	off = rel_offset(&f, "tc_redirect", 0);

	insn_at(&f, "tc_redirect", off / 8)->imm = 4;
	expect_error(&f, EINVAL,
		     "relocation against \"legacy_nh\" points at offset 4 of section \"maps\", where no map starts");

	put64(rel, 0); /* insn 0: r6 = 0 */
	assert_int_not_equal(insn_at(&f, "tc_redirect", 0)->code,
			     BPF_LD | BPF_IMM | BPF_DW);
	expect_error(&f, EINVAL,
		     "program \"legacy_steer\": insn 0: relocation against \"legacy_nh\" on an instruction (opcode 0xb7) that is neither ld_imm64 nor a call");

	put64(rel, off + 3);
	snprintf(msg, sizeof(msg),
		 "section \"tc_redirect\": relocation at offset %llu is not on an instruction",
		 (unsigned long long)off + 3);
	expect_error(&f, EINVAL, msg);

	put64(rel, off + 8);
	snprintf(msg, sizeof(msg),
		 "insn %llu: relocation in the middle of an ld_imm64",
		 (unsigned long long)off / 8 + 1);
	expect_error(&f, EINVAL, msg);

	put64(rel + 8, ELF64_R_INFO(sym_index(&f, "legacy_nh"), R_BPF_64_32));
	expect_error(&f, EINVAL,
		     "ld_imm64 has relocation type 10, expected R_BPF_64_64");

	insn_at(&f, "tc_redirect", off / 8)->src_reg = 1;
	expect_error(&f, EINVAL, "ld_imm64 with src_reg 1 in the object file");
	file_free(&f);

	file_load(&f, "elf_maps");
	put64(rel_entry(&f, "tc", 1), rel_offset(&f, "tc", 0));
	expect_error(&f, EINVAL, "section \"tc\": two relocations at offset");
	file_free(&f);
}

static void test_bad_calls(void **state)
{
	size_t r_scale, r_inc;
	struct bpf_insn *insn;
	uint64_t sub_inc_value;
	struct file f;

	file_load(&f, "subprog");
	sub_inc_value = f.ef.symbols[sym_index(&f, "sub_inc")].value;
	r_scale = rel_for_symbol(&f, "tc", "sub_scale");
	r_inc = rel_for_symbol(&f, "tc", ".text");

	set_sym_shndx(&f, "sub_scale", SHN_UNDEF);
	expect_error(&f, EOPNOTSUPP,
		     "program \"subprog_main\": insn ");
	set_sym_shndx(&f, "sub_scale", SHN_UNDEF);
	expect_error(&f, EOPNOTSUPP,
		     "call to unknown function \"sub_scale\" (extern not supported)");

	set_sym_shndx(&f, "sub_scale", sec_index(&f, "license"));
	expect_error(&f, EINVAL, "call to \"sub_scale\", which is not code");

	put64(rel_entry(&f, "tc", r_scale) + 8,
	      ELF64_R_INFO(sym_index(&f, "sub_scale"), R_BPF_64_64));
	expect_error(&f, EINVAL,
		     "call has relocation type 1, expected R_BPF_64_32");

	insn = insn_at(&f, "tc", rel_offset(&f, "tc", r_inc) / 8);
	insn->imm = 1000;
	expect_error(&f, EINVAL, "is outside section \".text\"");

	insn = insn_at(&f, "tc", rel_offset(&f, "tc", r_inc) / 8);
	insn->src_reg = BPF_PSEUDO_KFUNC_CALL;
	expect_error(&f, EOPNOTSUPP,
		     "call with src_reg 2 (kfuncs are not supported)");

	/* the static call lands in .text code no function symbol covers */
	sym_entry(&f, sym_index(&f, "sub_inc"))[offsetof(Elf64_Sym, st_info)] =
		ELF64_ST_INFO(STB_LOCAL, STT_OBJECT);
	expect_error(&f, EINVAL, "in .text is inside no function");

	set_sym_value(&f, "sub_unused", sub_inc_value - 8);
	expect_error(&f, EINVAL, "section \".text\": functions at insns");

	/* sub_scale's call of sub_inc, inside .text, has no relocation: its
	 * first instruction (clang 14 output) */
	insn = insn_at(&f, ".text",
		       f.ef.symbols[sym_index(&f, "sub_scale")].value / 8);
	assert_true(is_pseudo_call(insn));
	insn->imm = -100;
	expect_error(&f, EINVAL, "program \"subprog_main\": insn ");
	insn = insn_at(&f, ".text",
		       f.ef.symbols[sym_index(&f, "sub_scale")].value / 8);
	insn->imm = -100;
	expect_error(&f, EINVAL, "is outside section \".text\"");
	file_free(&f);
}

static void test_bad_code(void **state)
{
	struct file f;

	file_load(&f, "pass");
	insn_at(&f, "tc", 1)->code = BPF_LD | BPF_IMM | BPF_DW;
	expect_error(&f, EINVAL,
		     "program \"tc_pass\": insn 1: ld_imm64 cut short by the end of the code");

	put64(sym_entry(&f, sym_index(&f, "tc_pass")) +
	      offsetof(Elf64_Sym, st_size), 12);
	expect_error(&f, EINVAL,
		     "function \"tc_pass\": [0, +12) is not whole instructions inside section \"tc\" (16 bytes)");
	set_sym_value(&f, "tc_pass", 4096);
	expect_error(&f, EINVAL, "function \"tc_pass\": [4096, +16)");

	sym_entry(&f, sym_index(&f, "tc_pass"))[offsetof(Elf64_Sym, st_info)] =
		ELF64_ST_INFO(STB_GLOBAL, STT_OBJECT);
	expect_error(&f, ENOENT, "no programs");

	memset(sec_data(&f, "license"), 'A',
	       elf_section_by_name(&f.ef, "license")->size);
	expect_error(&f, EINVAL,
		     "section \"license\" holds no NUL-terminated string");

	rename_section(&f, "license", "version");
	expect_error(&f, EINVAL, "section \"version\" is 13 bytes, expected 4");
	file_free(&f);
}

/* ---- every object, damaged everywhere ------------------------------------ */

static const char *const all_objects[] = {
	"pass", "legacy_maps", "elf_maps", "btf_maps", "global_data",
	"subprog", "tail_call", "multi_prog", "reject", "callback_unsupported",
	"map_in_map",
};

/* Every prefix and every single-byte change of every object: object_open
 * answers each with success or one line of error. Under ASan this is a
 * small fuzzer for elf.c, btf.c and object.c together. */
static void test_mutations(void **state)
{
	size_t o, i, opened = 0, failed = 0;

	for (o = 0; o < sizeof(all_objects) / sizeof(all_objects[0]); o++) {
		struct file f;

		file_load(&f, all_objects[o]);
		for (i = 0; i < 2 * f.len; i += i < f.len ? 7 : 1) {
			struct errmsg err = { 0 };
			struct object_spec obj;
			size_t len = i < f.len ? i : f.len;

			if (i >= f.len)
				f.buf[i - f.len] ^= 0xff;
			if (object_open(&obj, f.buf, len, &err)) {
				assert_one_line(&err);
				failed++;
			} else {
				object_close(&obj);
				opened++;
			}
			if (i >= f.len)
				f.buf[i - f.len] ^= 0xff;
		}
		file_free(&f);
	}
	print_message("mutations: %zu opened, %zu refused\n", opened, failed);
	assert_true(opened > 0 && failed > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pass),
		cmocka_unit_test(test_legacy_maps),
		cmocka_unit_test(test_elf_maps),
		cmocka_unit_test(test_btf_maps),
		cmocka_unit_test(test_map_in_map),
		cmocka_unit_test(test_global_data),
		cmocka_unit_test(test_subprog),
		cmocka_unit_test(test_tail_call),
		cmocka_unit_test(test_multi_prog),
		cmocka_unit_test(test_reject_opens),
		cmocka_unit_test(test_callback_rejected),
		cmocka_unit_test(test_image_is_copied),
		cmocka_unit_test(test_bad_legacy_maps),
		cmocka_unit_test(test_bad_map_names),
		cmocka_unit_test(test_bad_iproute2_maps),
		cmocka_unit_test(test_bad_btf_maps),
		cmocka_unit_test(test_bad_prog_array),
		cmocka_unit_test(test_bad_data_relocs),
		cmocka_unit_test(test_bad_map_relocs),
		cmocka_unit_test(test_bad_calls),
		cmocka_unit_test(test_bad_code),
		cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
