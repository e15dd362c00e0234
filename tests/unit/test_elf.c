/* SPDX-License-Identifier: MIT */
/* Unit tests for loader/elf.c: small ELF images built in memory (valid and
 * malformed in every way elf_open() must reject), plus a real clang-built
 * object (ELF_SAMPLE_OBJECT) truncated at every length and mutated byte by
 * byte, and its -gz twin (ELF_SAMPLE_GZ_OBJECT). Every rejected input must
 * give -EINVAL and a one-line message; the suite also runs under ASan, and
 * buffers are allocated at their exact size so any over-read is caught. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "elf.h"
#include "elf_writer.h"

#if !defined(ELF_SAMPLE_OBJECT) || !defined(ELF_SAMPLE_GZ_OBJECT)
#error "ELF_SAMPLE_OBJECT and ELF_SAMPLE_GZ_OBJECT must name the samples"
#endif

/* ---- helpers ------------------------------------------------------- */

static void assert_one_line(const struct errmsg *err)
{
	if (err->text[0] == '\0' || strchr(err->text, '\n')) {
		print_error("bad error message: \"%s\"\n", err->text);
		fail();
	}
}

static char last_error[sizeof(((struct errmsg *)0)->text)];

/* elf_open must fail with -EINVAL, a one-line message containing want,
 * and leave *ef zeroed. */
static void expect_reject(const void *buf, size_t len, const char *want)
{
	struct errmsg err = { 0 };
	struct elf_file ef;
	int rc;

	rc = elf_open(&ef, buf, len, &err);
	if (rc != -EINVAL || !strstr(err.text, want)) {
		print_error("want -EINVAL with \"%s\", got %d \"%s\"\n", want,
			    rc, err.text);
		fail();
	}
	assert_int_equal(err.code, EINVAL);
	assert_one_line(&err);
	memcpy(last_error, err.text, sizeof(last_error));
	assert_null(ef.sections);
	assert_null(ef.symbols);
	assert_int_equal(ef.nsections, 0);
}

static void open_ok(struct elf_file *ef, const void *buf, size_t len)
{
	struct errmsg err = { 0 };
	int rc;

	rc = elf_open(ef, buf, len, &err);
	if (rc) {
		print_error("elf_open failed: %d \"%s\"\n", rc, err.text);
		fail();
	}
}

static const struct elf_symbol *symbol_by_name(const struct elf_file *ef,
					       const char *name)
{
	size_t i;

	for (i = 0; i < ef->nsymbols; i++)
		if (strcmp(ef->symbols[i].name, name) == 0)
			return &ef->symbols[i];
	return NULL;
}

/* ---- the mini object ------------------------------------------------ */

/* Section and symbol indices of the image build_mini() makes. */
enum {
	S_TEXT = 1, S_DATA, S_BSS, S_STRTAB, S_SYMTAB, S_RELTEXT, S_RELADATA,
	S_SHSTRTAB, S_COUNT
};
enum {
	Y_NULL, Y_TEXTSEC, Y_PROG, Y_COUNTER, Y_ZEROES, Y_ABS, Y_EXT,
	Y_COMMON, Y_COUNT
};

#define TEXT_SIZE 40
#define DATA_SIZE 8
#define BSS_SIZE 16

/* .text: r1 = counter ll; call sub; r0 = 0; exit. Only the layout matters. */
static const uint8_t mini_text[TEXT_SIZE] = {
	0x18, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0x85, 0x10, 0, 0, 0xff, 0xff, 0xff, 0xff,
	0xb7, 0x00, 0, 0, 0, 0, 0, 0,
	0x95, 0x00, 0, 0, 0, 0, 0, 0,
};
static const uint8_t mini_data[DATA_SIZE] = { 1, 2, 3, 4, 5, 6, 7, 8 };

static void build_mini(struct elf_image *img)
{
	struct elfw_strtab strs;
	uint8_t syms[Y_COUNT][24] = { { 0 } };
	uint8_t rel[2][16], rela[1][24];
	struct elfw w;

	elfw_strtab_init(&strs);
	elfw_sym(syms[Y_TEXTSEC], 0, STB_LOCAL, STT_SECTION, 0, S_TEXT, 0, 0);
	elfw_sym(syms[Y_PROG], elfw_str(&strs, "prog"), STB_GLOBAL, STT_FUNC,
		 0, S_TEXT, 0, TEXT_SIZE);
	elfw_sym(syms[Y_COUNTER], elfw_str(&strs, "counter"), STB_GLOBAL,
		 STT_OBJECT, 0, S_DATA, 0, DATA_SIZE);
	elfw_sym(syms[Y_ZEROES], elfw_str(&strs, "zeroes"), STB_GLOBAL,
		 STT_OBJECT, 0, S_BSS, 0, BSS_SIZE);
	elfw_sym(syms[Y_ABS], elfw_str(&strs, "abs_sym"), STB_GLOBAL,
		 STT_NOTYPE, 0, SHN_ABS, 42, 0);
	elfw_sym(syms[Y_EXT], elfw_str(&strs, "ext"), STB_GLOBAL, STT_NOTYPE,
		 0, SHN_UNDEF, 0, 0);
	elfw_sym(syms[Y_COMMON], elfw_str(&strs, "common_sym"), STB_WEAK,
		 STT_OBJECT, STV_HIDDEN, SHN_COMMON, 8, 4);
	elfw_rel(rel[0], 0, Y_COUNTER, R_BPF_64_64);
	elfw_rel(rel[1], 16, Y_PROG, R_BPF_64_32);
	elfw_rela(rela[0], 0, Y_COUNTER, R_BPF_64_ABS64, -4);

	elfw_init(&w);
	elfw_add(&w, ".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR,
		 mini_text, TEXT_SIZE);
	elfw_add(&w, ".data", SHT_PROGBITS, SHF_ALLOC | SHF_WRITE,
		 mini_data, DATA_SIZE);
	elfw_add(&w, ".bss", SHT_NOBITS, SHF_ALLOC | SHF_WRITE, NULL,
		 BSS_SIZE);
	elfw_add(&w, ".strtab", SHT_STRTAB, 0, strs.buf, strs.len);
	elfw_add(&w, ".symtab", SHT_SYMTAB, 0, syms, sizeof(syms));
	elfw_set_links(&w, S_SYMTAB, S_STRTAB, Y_PROG, 24);
	elfw_add(&w, ".rel.text", SHT_REL, 0x40, rel, sizeof(rel));
	elfw_set_links(&w, S_RELTEXT, S_SYMTAB, S_TEXT, 16);
	elfw_add(&w, ".rela.data", SHT_RELA, 0x40, rela, sizeof(rela));
	elfw_set_links(&w, S_RELADATA, S_SYMTAB, S_DATA, 24);
	elfw_build(&w, img);
	assert_int_equal(img->shnum, S_COUNT);
	assert_int_equal(img->shstrndx, S_SHSTRTAB);
}

static int setup_mini(void **state)
{
	struct elf_image *img = calloc(1, sizeof(*img));

	if (!img)
		return -1;
	build_mini(img);
	*state = img;
	return 0;
}

static int teardown_mini(void **state)
{
	elf_image_free(*state);
	free(*state);
	return 0;
}

/* Everything elf_open() reports about the mini object. */
static void check_mini(const struct elf_file *ef, const uint8_t *buf)
{
	static const char *const names[S_COUNT] = {
		"", ".text", ".data", ".bss", ".strtab", ".symtab",
		".rel.text", ".rela.data", ".shstrtab",
	};
	const struct elf_section *s;
	size_t i;

	assert_int_equal(ef->nsections, S_COUNT);
	for (i = 0; i < S_COUNT; i++) {
		assert_int_equal(ef->sections[i].index, i);
		assert_string_equal(ef->sections[i].name, names[i]);
	}
	assert_int_equal(ef->symtab_index, S_SYMTAB);

	s = &ef->sections[S_TEXT];
	assert_int_equal(s->type, SHT_PROGBITS);
	assert_int_equal(s->flags, SHF_ALLOC | SHF_EXECINSTR);
	assert_int_equal(s->size, TEXT_SIZE);
	assert_ptr_equal(s->data, buf + s->offset);
	assert_memory_equal(s->data, mini_text, TEXT_SIZE);
	assert_int_equal(s->addralign, 8);

	s = &ef->sections[S_BSS];
	assert_int_equal(s->type, SHT_NOBITS);
	assert_null(s->data);
	assert_int_equal(s->size, BSS_SIZE);

	s = &ef->sections[S_RELTEXT];
	assert_int_equal(s->link, S_SYMTAB);
	assert_int_equal(s->info, S_TEXT);
	assert_int_equal(s->entsize, 16);
	assert_null(ef->sections[0].data);

	assert_int_equal(ef->nsymbols, Y_COUNT);
	assert_string_equal(ef->symbols[Y_NULL].name, "");
	assert_string_equal(ef->symbols[Y_TEXTSEC].name, "");
	assert_int_equal(ef->symbols[Y_TEXTSEC].type, STT_SECTION);
	assert_int_equal(ef->symbols[Y_TEXTSEC].bind, STB_LOCAL);
	assert_string_equal(ef->symbols[Y_PROG].name, "prog");
	assert_int_equal(ef->symbols[Y_PROG].type, STT_FUNC);
	assert_int_equal(ef->symbols[Y_PROG].bind, STB_GLOBAL);
	assert_int_equal(ef->symbols[Y_PROG].shndx, S_TEXT);
	assert_int_equal(ef->symbols[Y_PROG].size, TEXT_SIZE);
	assert_string_equal(ef->symbols[Y_COUNTER].name, "counter");
	assert_int_equal(ef->symbols[Y_ZEROES].shndx, S_BSS);
	assert_int_equal(ef->symbols[Y_ABS].shndx, SHN_ABS);
	assert_int_equal(ef->symbols[Y_ABS].value, 42);
	assert_int_equal(ef->symbols[Y_EXT].shndx, SHN_UNDEF);
	assert_int_equal(ef->symbols[Y_COMMON].shndx, SHN_COMMON);
	assert_int_equal(ef->symbols[Y_COMMON].bind, STB_WEAK);
	assert_int_equal(ef->symbols[Y_COMMON].visibility, STV_HIDDEN);
	assert_int_equal(ef->symbols[Y_COMMON].value, 8);
	assert_int_equal(ef->symbols[Y_COMMON].size, 4);
}

static void check_mini_relocs(const struct elf_file *ef)
{
	struct errmsg err = { 0 };
	const struct elf_section *rel;
	struct elf_reloc *r;
	size_t n;

	rel = elf_relocs_for(ef, S_TEXT);
	assert_non_null(rel);
	assert_int_equal(rel->index, S_RELTEXT);
	assert_int_equal(elf_read_relocs(ef, rel, &r, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(r[0].offset, 0);
	assert_int_equal(r[0].sym, Y_COUNTER);
	assert_int_equal(r[0].type, R_BPF_64_64);
	assert_int_equal(r[0].addend, 0);
	assert_int_equal(r[1].offset, 16);
	assert_int_equal(r[1].sym, Y_PROG);
	assert_int_equal(r[1].type, R_BPF_64_32);
	free(r);

	rel = elf_relocs_for(ef, S_DATA);
	assert_non_null(rel);
	assert_int_equal(rel->index, S_RELADATA);
	assert_int_equal(elf_read_relocs(ef, rel, &r, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(r[0].type, R_BPF_64_ABS64);
	assert_int_equal(r[0].addend, -4);
	free(r);

	assert_null(elf_relocs_for(ef, S_BSS));
	assert_null(elf_relocs_for(ef, 0));
	assert_null(elf_relocs_for(ef, 1000));
}

static void test_mini_valid(void **state)
{
	struct elf_image *img = *state;
	struct elf_file ef;

	open_ok(&ef, img->buf, img->len);
	check_mini(&ef, img->buf);
	check_mini_relocs(&ef);
	assert_ptr_equal(elf_section_by_name(&ef, ".data"),
			 &ef.sections[S_DATA]);
	assert_null(elf_section_by_name(&ef, ".nope"));
	assert_null(elf_section_by_name(&ef, NULL));
	elf_close(&ef);
	assert_null(ef.sections);
	elf_close(&ef); /* twice is fine */
}

/* The buffer may start at any address (a fuzzer's, a packed blob's). */
static void test_mini_unaligned(void **state)
{
	struct elf_image *img = *state;
	size_t shift;

	for (shift = 1; shift < 8; shift++) {
		uint8_t *raw = malloc(img->len + shift);
		struct elf_file ef;

		assert_non_null(raw);
		memcpy(raw + shift, img->buf, img->len);
		open_ok(&ef, raw + shift, img->len);
		check_mini(&ef, raw + shift);
		check_mini_relocs(&ef);
		elf_close(&ef);
		free(raw);
	}
}

/* More than SHN_LORESERVE sections: e_shnum 0 and e_shstrndx SHN_XINDEX,
 * the real values in section 0's sh_size and sh_link. */
static void test_mini_extended_numbering(void **state)
{
	struct elf_image *img = *state;
	uint8_t *copy = elf_image_copy(img, img->len);
	uint8_t *sh0 = copy + img->shoff;
	struct elf_file ef;

	ELFW_SET(copy, Elf64_Ehdr, e_shnum, 0);
	ELFW_SET(copy, Elf64_Ehdr, e_shstrndx, SHN_XINDEX);
	ELFW_SET(sh0, Elf64_Shdr, sh_size, S_COUNT);
	ELFW_SET(sh0, Elf64_Shdr, sh_link, S_SHSTRTAB);
	open_ok(&ef, copy, img->len);
	check_mini(&ef, copy);
	check_mini_relocs(&ef);
	assert_int_equal(ef.sections[0].size, S_COUNT);
	assert_null(ef.sections[0].data);
	elf_close(&ef);
	free(copy);
}

/* A NOBITS section's offset and size say nothing about the file. */
static void test_mini_nobits_anywhere(void **state)
{
	struct elf_image *img = *state;
	uint8_t *copy = elf_image_copy(img, img->len);
	uint8_t *sh = copy + img->shoff + S_BSS * sizeof(Elf64_Shdr);
	struct elf_file ef;

	ELFW_SET(sh, Elf64_Shdr, sh_offset, UINT64_MAX - 3);
	ELFW_SET(sh, Elf64_Shdr, sh_size, UINT64_MAX);
	open_ok(&ef, copy, img->len);
	assert_null(ef.sections[S_BSS].data);
	assert_int_equal(ef.sections[S_BSS].size, UINT64_MAX);
	elf_close(&ef);
	free(copy);
}

/* A relocation type we do not know still has to point into the section. */
static void test_mini_unknown_reloc_type(void **state)
{
	struct elf_image *img = *state;
	uint8_t *copy = elf_image_copy(img, img->len);
	uint8_t *r = copy + ELFW_GET(copy + img->shoff +
				     S_RELTEXT * sizeof(Elf64_Shdr),
				     Elf64_Shdr, sh_offset);
	struct elf_file ef;

	elfw_rel(r, TEXT_SIZE - 1, Y_PROG, 77);
	open_ok(&ef, copy, img->len);
	elf_close(&ef);
	elfw_rel(r, TEXT_SIZE, Y_PROG, 77);
	expect_reject(copy, img->len, "lie outside section 1");
	free(copy);
}

/* ---- malformed variants of the mini object ------------------------- */

enum where { NOWHERE, IDENT, EHDR, SHDR, SYM, REL, RELA };
enum how { SET, ADD, FROM_LEN };

struct patch {
	enum where where;
	uint32_t index;         /* e_ident byte, section, symbol or reloc */
	size_t field, width;    /* inside the structure */
	enum how how;
	uint64_t value;
};

struct bad_case {
	const char *desc;
	struct patch p[2];
	const char *expect;
};

#define FIELD(type, member) offsetof(type, member), sizeof(((type *)0)->member)
#define P_IDENT(i, v)        { IDENT, i, i, 1, SET, v }
#define P_EHDR(m, how, v)    { EHDR, 0, FIELD(Elf64_Ehdr, m), how, v }
#define P_SHDR(s, m, how, v) { SHDR, s, FIELD(Elf64_Shdr, m), how, v }
#define P_SYM(y, m, v)       { SYM, y, FIELD(Elf64_Sym, m), SET, v }
#define P_REL(r, m, v)       { REL, r, FIELD(Elf64_Rel, m), SET, v }
#define P_RELA(r, m, v)      { RELA, r, FIELD(Elf64_Rela, m), SET, v }
#define RINFO(sym, type)     ((uint64_t)(sym) << 32 | (type))

static const struct bad_case bad_cases[] = {
	{ "bad magic", { P_IDENT(1, 'X') }, "not an ELF file (bad magic)" },
	{ "ELFCLASS32", { P_IDENT(EI_CLASS, ELFCLASS32) }, "ELFCLASS32" },
	{ "unknown class", { P_IDENT(EI_CLASS, 9) }, "unknown ELF class 9" },
	{ "big-endian", { P_IDENT(EI_DATA, ELFDATA2MSB) }, "big-endian" },
	{ "unknown encoding", { P_IDENT(EI_DATA, 0) },
	  "unknown ELF data encoding 0" },
	{ "ident version", { P_IDENT(EI_VERSION, 2) },
	  "identification version 2" },
	{ "x86-64", { P_EHDR(e_machine, SET, 62) },
	  "ELF machine 62 (x86-64) is not EM_BPF (247)" },
	{ "odd machine", { P_EHDR(e_machine, SET, 4242) },
	  "ELF machine 4242 is not EM_BPF" },
	{ "ET_EXEC", { P_EHDR(e_type, SET, ET_EXEC) }, "ELF type 2 (ET_EXEC" },
	{ "ET_DYN", { P_EHDR(e_type, SET, ET_DYN) }, "is not ET_REL" },
	{ "e_version", { P_EHDR(e_version, SET, 0) }, "ELF version 0" },
	{ "e_ehsize", { P_EHDR(e_ehsize, SET, 52) }, "(e_ehsize) is 52" },
	{ "e_shentsize", { P_EHDR(e_shentsize, SET, 40) },
	  "(e_shentsize) is 40" },
	{ "no shoff", { P_EHDR(e_shoff, SET, 0) }, "no section header table" },
	{ "shoff at end", { P_EHDR(e_shoff, FROM_LEN, 0) },
	  "section header table at 0x" },
	{ "shoff huge", { P_EHDR(e_shoff, SET, UINT64_MAX - 8) },
	  "section header table at 0xfffffffffffffff7 lies outside" },
	{ "table cut", { P_EHDR(e_shoff, FROM_LEN, -64) },
	  "section header table [0x" },
	{ "e_shnum 65535", { P_EHDR(e_shnum, SET, 65535) },
	  "+65535 * 64 bytes) lies outside" },
	{ "xnum zero", { P_EHDR(e_shnum, SET, 0) },
	  "no sections (e_shnum and section 0's sh_size" },
	{ "xnum huge", { P_EHDR(e_shnum, SET, 0),
			 P_SHDR(0, sh_size, SET, UINT64_MAX / 2) },
	  "lies outside" },
	{ "xnum one too many", { P_EHDR(e_shnum, SET, 0),
				 P_SHDR(0, sh_size, SET, S_COUNT + 1) },
	  "lies outside" },
	{ "section 0 typed", { P_SHDR(0, sh_type, SET, SHT_REL) },
	  "section 0 has type 9, must be SHT_NULL" },
	{ "shstrndx 0", { P_EHDR(e_shstrndx, SET, 0) },
	  "no section name table (e_shstrndx is SHN_UNDEF)" },
	{ "shstrndx range", { P_EHDR(e_shstrndx, SET, S_COUNT) },
	  "e_shstrndx 9 is out of range (9 sections)" },
	{ "shstrndx reserved", { P_EHDR(e_shstrndx, SET, SHN_ABS) },
	  "is out of range" },
	{ "xindex no link", { P_EHDR(e_shstrndx, SET, SHN_XINDEX) },
	  "(extended, in section 0's sh_link) is out of range" },
	{ "xindex bad link", { P_EHDR(e_shstrndx, SET, SHN_XINDEX),
			       P_SHDR(0, sh_link, SET, 1000) },
	  "index 1000 (extended" },
	{ "shstrtab not strtab", { P_EHDR(e_shstrndx, SET, S_TEXT) },
	  "section 1: used as the section name table but is not a string table" },
	{ "shstrtab empty", { P_SHDR(S_SHSTRTAB, sh_size, SET, 0) },
	  "the section name table is empty" },
	{ "shstrtab unterminated", { P_SHDR(S_SHSTRTAB, sh_size, ADD, -1) },
	  "section 8: the section name table is not NUL-terminated" },
	{ "shstrtab outside", { P_SHDR(S_SHSTRTAB, sh_offset, FROM_LEN, -4) },
	  "section 8: data [0x" },
	{ "section name range", { P_SHDR(S_DATA, sh_name, SET, 5000) },
	  "section 2: name offset 5000 lies outside string table section 8" },
	{ "section data outside", { P_SHDR(S_TEXT, sh_offset, FROM_LEN, -8) },
	  "section 1 (\".text\"): data [0x" },
	{ "section size overflow", { P_SHDR(S_TEXT, sh_size, SET, UINT64_MAX) },
	  "+0xffffffffffffffff) lies outside the" },
	{ "section offset overflow",
	  { P_SHDR(S_DATA, sh_offset, SET, UINT64_MAX - 2) },
	  "section 2 (\".data\"): data [0xfffffffffffffffd, +0x8) lies outside" },
	{ "symtab entsize", { P_SHDR(S_SYMTAB, sh_entsize, SET, 16) },
	  "symbol entry size (sh_entsize) is 16, expected 24" },
	{ "symtab entsize 0", { P_SHDR(S_SYMTAB, sh_entsize, SET, 0) },
	  "symbol entry size (sh_entsize) is 0" },
	{ "symtab size", { P_SHDR(S_SYMTAB, sh_size, ADD, -1) },
	  "is not a multiple of the 24-byte symbol entry" },
	{ "symtab outside", { P_SHDR(S_SYMTAB, sh_size, ADD, 24 * 1000000) },
	  "section 5 (\".symtab\"): data [0x" },
	{ "symtab link 0", { P_SHDR(S_SYMTAB, sh_link, SET, 0) },
	  "string table index (sh_link) 0 is out of range" },
	{ "symtab link range", { P_SHDR(S_SYMTAB, sh_link, SET, 99) },
	  "string table index (sh_link) 99 is out of range (9 sections)" },
	{ "symtab link not strtab", { P_SHDR(S_SYMTAB, sh_link, SET, S_DATA) },
	  "section 2 (\".data\"): used as the symbol name table but is not a string table" },
	{ "strtab unterminated", { P_SHDR(S_STRTAB, sh_size, ADD, -1) },
	  "section 4 (\".strtab\"): the symbol name table is not NUL-terminated" },
	{ "strtab outside", { P_SHDR(S_STRTAB, sh_offset, FROM_LEN, -2) },
	  "section 4 (\".strtab\"): data [0x" },
	{ "two symtabs", { P_SHDR(S_RELADATA, sh_type, SET, SHT_SYMTAB) },
	  "second symbol table (SHT_SYMTAB) after section 5" },
	{ "symbol name range", { P_SYM(Y_PROG, st_name, 4000) },
	  "symbol 2: name offset 4000 lies outside string table section 4" },
	{ "symbol shndx range", { P_SYM(Y_COUNTER, st_shndx, S_COUNT) },
	  "symbol 3 (\"counter\"): section index 9 is out of range (9 sections)" },
	{ "symbol shndx huge", { P_SYM(Y_COUNTER, st_shndx, SHN_LORESERVE - 1) },
	  "section index 65279 is out of range" },
	{ "symbol SHN_XINDEX", { P_SYM(Y_PROG, st_shndx, SHN_XINDEX) },
	  "symbol 2 (\"prog\"): extended section index (SHN_XINDEX) is not supported" },
	{ "symbol reserved", { P_SYM(Y_PROG, st_shndx, 0xff10) },
	  "reserved section index 0xff10" },
	{ "rel entsize", { P_SHDR(S_RELTEXT, sh_entsize, SET, 24) },
	  "section 6 (\".rel.text\"): relocation entry size (sh_entsize) is 24, expected 16" },
	{ "rela entsize", { P_SHDR(S_RELADATA, sh_entsize, SET, 16) },
	  "relocation entry size (sh_entsize) is 16, expected 24" },
	{ "rel size", { P_SHDR(S_RELTEXT, sh_size, ADD, -8) },
	  "not a multiple of the 16-byte relocation entry" },
	{ "rel outside", { P_SHDR(S_RELTEXT, sh_size, SET, 1u << 30) },
	  "section 6 (\".rel.text\"): data [0x" },
	{ "rel info 0", { P_SHDR(S_RELTEXT, sh_info, SET, 0) },
	  "target section index (sh_info) 0 is out of range (1..8)" },
	{ "rel info range", { P_SHDR(S_RELTEXT, sh_info, SET, 4000) },
	  "target section index (sh_info) 4000 is out of range" },
	{ "rel info nobits", { P_SHDR(S_RELTEXT, sh_info, SET, S_BSS) },
	  "relocates section 3 (\".bss\"), which has no data in the file" },
	{ "rel link strtab", { P_SHDR(S_RELTEXT, sh_link, SET, S_STRTAB) },
	  "symbol table index (sh_link) 4 is not the symbol table (section 5)" },
	{ "rel link range", { P_SHDR(S_RELTEXT, sh_link, SET, 70000) },
	  "(sh_link) 70000 is not the symbol table" },
	{ "rel without symtab", { P_SHDR(S_SYMTAB, sh_type, SET, SHT_PROGBITS) },
	  "holds relocations, but the object has no symbol table" },
	{ "reloc symbol", { P_REL(1, r_info, RINFO(Y_COUNT, R_BPF_64_32)) },
	  "relocation 1: symbol index 8 is out of range (8 symbols)" },
	{ "reloc symbol huge", { P_REL(0, r_info, RINFO(UINT32_MAX, 1)) },
	  "symbol index 4294967295 is out of range" },
	{ "ld_imm64 past end", { P_REL(0, r_offset, TEXT_SIZE - 8) },
	  "relocation 0 (type 1): bytes [0x20, +16) lie outside section 1 (\".text\", 40 bytes)" },
	{ "call past end", { P_REL(1, r_offset, TEXT_SIZE - 4) },
	  "relocation 1 (type 10): bytes [0x24, +8) lie outside" },
	{ "reloc offset = size", { P_REL(1, r_offset, TEXT_SIZE) },
	  "lie outside section 1" },
	{ "reloc offset overflow", { P_REL(0, r_offset, UINT64_MAX - 1) },
	  "bytes [0xfffffffffffffffe, +16) lie outside" },
	{ "compressed shstrtab",
	  { P_SHDR(S_SHSTRTAB, sh_flags, SET, SHF_COMPRESSED) },
	  "section 8: the section name table is compressed (SHF_COMPRESSED)" },
	{ "compressed strtab",
	  { P_SHDR(S_STRTAB, sh_flags, SET, SHF_COMPRESSED) },
	  "the symbol name table is compressed" },
	{ "compressed symtab",
	  { P_SHDR(S_SYMTAB, sh_flags, SET, SHF_COMPRESSED) },
	  "section 5 (\".symtab\"): the symbol table is compressed" },
	{ "compressed rel",
	  { P_SHDR(S_RELTEXT, sh_flags, SET, SHF_COMPRESSED) },
	  "the relocation section is compressed" },
	{ "compressed too small",
	  { P_SHDR(S_DATA, sh_flags, SET, SHF_COMPRESSED) },
	  "section 2 (\".data\"): compressed (SHF_COMPRESSED) but its 8 bytes cannot hold the 24-byte header" },
	{ "abs64 past end", { P_RELA(0, r_offset, DATA_SIZE - 4) },
	  "section 7 (\".rela.data\"): relocation 0 (type 2): bytes [0x4, +8) lie outside section 2" },
	{ "abs32 past end", { P_RELA(0, r_info, RINFO(Y_COUNTER, R_BPF_64_ABS32)),
			      P_RELA(0, r_offset, DATA_SIZE - 3) },
	  "(type 3): bytes [0x5, +4) lie outside" },
};

/* Where a patch lands in the image; symbols and relocations are found
 * through their (unpatched) section headers. */
static uint8_t *patch_target(const struct elf_image *img, uint8_t *copy,
			     const struct patch *p)
{
	uint8_t *base = copy;
	size_t entry = 0;
	uint32_t sec = 0;

	switch (p->where) {
	case IDENT:
		return copy + p->field;
	case EHDR:
		return copy + p->field;
	case SHDR:
		return copy + img->shoff + p->index * sizeof(Elf64_Shdr) +
		       p->field;
	case SYM:
		sec = S_SYMTAB;
		entry = sizeof(Elf64_Sym);
		break;
	case REL:
		sec = S_RELTEXT;
		entry = sizeof(Elf64_Rel);
		break;
	case RELA:
		sec = S_RELADATA;
		entry = sizeof(Elf64_Rela);
		break;
	case NOWHERE:
		return NULL;
	}
	base += ELFW_GET(elf_image_shdr(img, sec), Elf64_Shdr, sh_offset);
	return base + p->index * entry + p->field;
}

static void apply_patch(const struct elf_image *img, uint8_t *copy,
			const struct patch *p)
{
	uint8_t *at = patch_target(img, copy, p);
	uint64_t v = p->value;

	if (!at)
		return;
	if (p->how == ADD)
		v += elfw_get(at, p->width);
	else if (p->how == FROM_LEN)
		v += img->len;
	elfw_put(at, v, p->width);
}

static void test_mini_malformed(void **state)
{
	struct elf_image *img = *state;
	size_t i, j;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		uint8_t *copy = elf_image_copy(img, img->len);

		for (j = 0; j < 2; j++)
			apply_patch(img, copy, &c->p[j]);
		expect_reject(copy, img->len, c->expect);
		print_message("    %-24s %s\n", c->desc, last_error);
		free(copy);
	}
}

/* The example from the spec, to the byte. */
static void test_mini_message_format(void **state)
{
	struct elf_image *img = *state;
	uint8_t *copy = elf_image_copy(img, img->len);
	uint64_t off = img->len - 8;
	char want[200];

	ELFW_SET(copy + img->shoff + S_TEXT * sizeof(Elf64_Shdr), Elf64_Shdr,
		 sh_offset, off);
	snprintf(want, sizeof(want),
		 "section 1 (\".text\"): data [0x%" PRIx64
		 ", +0x28) lies outside the %zu-byte file", off, img->len);
	expect_reject(copy, img->len, want);
	free(copy);
}

/* Names come from the file: a newline in one must not split the message. */
static void test_mini_hostile_name(void **state)
{
	struct elf_image *img = *state;
	uint8_t *copy = elf_image_copy(img, img->len);
	uint8_t *names = copy + ELFW_GET(copy + img->shoff +
					 S_SHSTRTAB * sizeof(Elf64_Shdr),
					 Elf64_Shdr, sh_offset);
	uint8_t *sh = copy + img->shoff + S_TEXT * sizeof(Elf64_Shdr);
	uint32_t name = ELFW_GET(sh, Elf64_Shdr, sh_name);

	memcpy(names + name, "\n\x1bZ", 3); /* ".text" -> "\n\x1bZxt" */
	ELFW_SET(sh, Elf64_Shdr, sh_offset, img->len);
	expect_reject(copy, img->len, "section 1 (\"??Zxt\"): data");
	free(copy);
}

static void test_mini_truncated(void **state)
{
	struct elf_image *img = *state;
	size_t len;

	for (len = 0; len < img->len; len++) {
		uint8_t *copy = elf_image_copy(img, len);

		expect_reject(copy, len, len < 4 ? "bad magic" : "");
		free(copy);
	}
	expect_reject(img->buf, 0, "bad magic");
}

/* The re-check in elf_read_relocs(): entries changed after elf_open()
 * are still caught. */
static void test_read_relocs_rechecks(void **state)
{
	struct elf_image *img = *state;
	uint8_t *copy = elf_image_copy(img, img->len);
	struct errmsg err = { 0 };
	struct elf_file ef;
	struct elf_reloc *r = (void *)1;
	size_t n = 99;

	open_ok(&ef, copy, img->len);
	elfw_rel((uint8_t *)ef.sections[S_RELTEXT].data + 16, 16, 500,
		 R_BPF_64_32);
	assert_int_equal(elf_read_relocs(&ef, &ef.sections[S_RELTEXT], &r, &n,
					 &err), -EINVAL);
	assert_non_null(strstr(err.text, "symbol index 500 is out of range"));
	assert_one_line(&err);
	assert_null(r);
	assert_int_equal(n, 0);

	assert_int_equal(elf_read_relocs(&ef, &ef.sections[S_TEXT], &r, &n,
					 &err), -EINVAL);
	assert_non_null(strstr(err.text, "not a relocation section"));
	{
		struct elf_section other = ef.sections[S_RELTEXT];

		assert_int_equal(elf_read_relocs(&ef, &other, &r, &n, &err),
				 -EINVAL);
		assert_non_null(strstr(err.text, "not a section of this"));
	}
	elf_close(&ef);
	free(copy);
}

static void test_close_zeroed(void **state)
{
	struct elf_file ef;
	struct errmsg err = { 0 };

	memset(&ef, 0, sizeof(ef));
	elf_close(&ef);
	elf_close(NULL);
	assert_int_equal(elf_open(&ef, NULL, 10, &err), -EINVAL);
	assert_one_line(&err);
	/* A NULL errmsg is allowed. */
	assert_int_equal(elf_open(&ef, "\x7f" "ELF", 4, NULL), -EINVAL);
}

/* An image with n sections, all SHT_NULL but the last (.shstrtab); with
 * `extended`, the count and index go through section 0. */
static struct elf_image many_sections(uint32_t n, bool extended)
{
	static const char names[16] = "\0.shstrtab";
	struct elf_image img = { 0 };
	uint8_t *sh;

	img.shoff = sizeof(Elf64_Ehdr) + sizeof(names);
	img.len = img.shoff + (uint64_t)n * sizeof(Elf64_Shdr);
	img.buf = calloc(1, img.len);
	assert_non_null(img.buf);
	memcpy(img.buf, ELFMAG, SELFMAG);
	img.buf[EI_CLASS] = ELFCLASS64;
	img.buf[EI_DATA] = ELFDATA2LSB;
	img.buf[EI_VERSION] = EV_CURRENT;
	ELFW_SET(img.buf, Elf64_Ehdr, e_type, ET_REL);
	ELFW_SET(img.buf, Elf64_Ehdr, e_machine, EM_BPF);
	ELFW_SET(img.buf, Elf64_Ehdr, e_version, EV_CURRENT);
	ELFW_SET(img.buf, Elf64_Ehdr, e_shoff, img.shoff);
	ELFW_SET(img.buf, Elf64_Ehdr, e_ehsize, 64);
	ELFW_SET(img.buf, Elf64_Ehdr, e_shentsize, 64);
	ELFW_SET(img.buf, Elf64_Ehdr, e_shnum, extended ? 0 : n);
	ELFW_SET(img.buf, Elf64_Ehdr, e_shstrndx, extended ? SHN_XINDEX : n - 1);
	memcpy(img.buf + sizeof(Elf64_Ehdr), names, sizeof(names));
	if (extended) {
		sh = img.buf + img.shoff;
		ELFW_SET(sh, Elf64_Shdr, sh_size, n);
		ELFW_SET(sh, Elf64_Shdr, sh_link, n - 1);
	}
	sh = img.buf + img.shoff + (uint64_t)(n - 1) * sizeof(Elf64_Shdr);
	ELFW_SET(sh, Elf64_Shdr, sh_name, 1);
	ELFW_SET(sh, Elf64_Shdr, sh_type, SHT_STRTAB);
	ELFW_SET(sh, Elf64_Shdr, sh_offset, sizeof(Elf64_Ehdr));
	ELFW_SET(sh, Elf64_Shdr, sh_size, sizeof(names));
	img.shnum = n;
	img.shstrndx = n - 1;
	return img;
}

static void test_many_sections(void **state)
{
	static const struct { uint32_t n; bool extended; } cases[] = {
		{ 65535, false }, { 65535, true }, { 70000, true },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct elf_image img = many_sections(cases[i].n,
						     cases[i].extended);
		const struct elf_section *names;
		struct elf_file ef;

		open_ok(&ef, img.buf, img.len);
		assert_int_equal(ef.nsections, cases[i].n);
		names = elf_section_by_name(&ef, ".shstrtab");
		assert_non_null(names);
		assert_int_equal(names->index, cases[i].n - 1);
		elf_close(&ef);
		/* One header short: the table no longer fits. */
		expect_reject(img.buf, img.len - 1, "lies outside");
		elf_image_free(&img);
	}
}

/* ---- the real object ------------------------------------------------ */

struct blob {
	uint8_t *buf;
	size_t len;
};

static struct blob *read_blob(const char *path)
{
	struct blob *b = calloc(1, sizeof(*b));
	FILE *f = fopen(path, "rb");
	long size;

	if (!b || !f ||
	    fseek(f, 0, SEEK_END) || (size = ftell(f)) <= 0 ||
	    fseek(f, 0, SEEK_SET))
		goto fail;
	b->len = size;
	b->buf = malloc(b->len);
	if (!b->buf || fread(b->buf, 1, b->len, f) != b->len)
		goto fail;
	fclose(f);
	return b;
fail:
	fprintf(stderr, "cannot read %s\n", path);
	if (f)
		fclose(f);
	if (b)
		free(b->buf);
	free(b);
	return NULL;
}

static int load_sample(void **state)
{
	*state = read_blob(ELF_SAMPLE_OBJECT);
	return *state ? 0 : -1;
}

static int free_sample(void **state)
{
	struct blob *b = *state;

	free(b->buf);
	free(b);
	return 0;
}

static const struct elf_section *must_section(const struct elf_file *ef,
					      const char *name, uint32_t type)
{
	const struct elf_section *s = elf_section_by_name(ef, name);

	if (!s) {
		print_error("sample has no section %s\n", name);
		fail();
	}
	assert_int_equal(s->type, type);
	return s;
}

static void must_symbol(const struct elf_file *ef, const char *name,
			const struct elf_section *sec, uint8_t type)
{
	const struct elf_symbol *y = symbol_by_name(ef, name);

	if (!y) {
		print_error("sample has no symbol %s\n", name);
		fail();
	}
	assert_int_equal(y->shndx, sec->index);
	assert_int_equal(y->type, type);
	assert_int_equal(y->bind, STB_GLOBAL);
}

/* The reloc of `rel` against symbol `name` has type `type`. */
static void must_reloc(const struct elf_file *ef, const struct elf_reloc *r,
		       size_t n, const char *name, uint32_t type)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(ef->symbols[r[i].sym].name, name) == 0) {
			assert_int_equal(r[i].type, type);
			return;
		}
	}
	print_error("no relocation against %s\n", name);
	fail();
}

static void test_sample_shape(void **state)
{
	struct blob *b = *state;
	const struct elf_section *text, *tc, *maps, *data, *rodata, *bss, *lic;
	struct errmsg err = { 0 };
	struct elf_reloc *r;
	struct elf_file ef;
	size_t n;

	open_ok(&ef, b->buf, b->len);
	text = must_section(&ef, ".text", SHT_PROGBITS);
	tc = must_section(&ef, "tc", SHT_PROGBITS);
	maps = must_section(&ef, ".maps", SHT_PROGBITS);
	data = must_section(&ef, ".data", SHT_PROGBITS);
	rodata = must_section(&ef, ".rodata", SHT_PROGBITS);
	bss = must_section(&ef, ".bss", SHT_NOBITS);
	lic = must_section(&ef, "license", SHT_PROGBITS);
	must_section(&ef, ".BTF", SHT_PROGBITS);
	must_section(&ef, ".BTF.ext", SHT_PROGBITS);
	assert_int_equal(must_section(&ef, ".symtab", SHT_SYMTAB)->index,
			 ef.symtab_index);
	assert_true(text->flags & SHF_EXECINSTR);
	assert_true(tc->flags & SHF_EXECINSTR);
	assert_false(rodata->flags & SHF_WRITE);
	assert_null(bss->data);
	assert_int_equal(bss->size, 4);
	assert_string_equal((const char *)lic->data, "GPL");

	must_symbol(&ef, "sample_sub", text, STT_FUNC);
	must_symbol(&ef, "sample_prog", tc, STT_FUNC);
	must_symbol(&ef, "sample_counts", maps, STT_OBJECT);
	must_symbol(&ef, "sample_data", data, STT_OBJECT);
	must_symbol(&ef, "sample_limit", rodata, STT_OBJECT);
	must_symbol(&ef, "sample_bss", bss, STT_OBJECT);
	must_symbol(&ef, "_license", lic, STT_OBJECT);
	assert_int_equal(symbol_by_name(&ef, "sample_counts")->size,
			 maps->size);

	assert_int_equal(elf_read_relocs(&ef, elf_relocs_for(&ef, tc->index),
					 &r, &n, &err), 0);
	assert_int_equal(n, 3);
	must_reloc(&ef, r, n, "sample_counts", R_BPF_64_64);
	must_reloc(&ef, r, n, "sample_sub", R_BPF_64_32);
	must_reloc(&ef, r, n, "sample_bss", R_BPF_64_64);
	free(r);

	assert_int_equal(elf_read_relocs(&ef, elf_relocs_for(&ef, text->index),
					 &r, &n, &err), 0);
	must_reloc(&ef, r, n, "sample_data", R_BPF_64_64);
	must_reloc(&ef, r, n, "sample_limit", R_BPF_64_64);
	free(r);
	elf_close(&ef);
}

/* Uses everything a successful parse hands out, so ASan sees any pointer
 * outside the buffer; every relocation section must then decode. */
static void walk_parsed(const struct elf_file *ef)
{
	struct errmsg err = { 0 };
	size_t i, n;

	for (i = 0; i < ef->nsections; i++) {
		const struct elf_section *s = &ef->sections[i];
		struct elf_reloc *r;

		assert_true(strlen(s->name) < ef->len);
		if (s->data) {
			assert_true(s->data >= ef->buf);
			assert_true(s->size <= ef->len);
			assert_true(s->data - ef->buf <=
				    (ptrdiff_t)(ef->len - s->size));
			(void)*(volatile const uint8_t *)(s->data + s->size - 1);
		}
		if (s->type != SHT_REL && s->type != SHT_RELA)
			continue;
		if (elf_read_relocs(ef, s, &r, &n, &err)) {
			print_error("elf_open accepted what elf_read_relocs rejects: %s\n",
				    err.text);
			fail();
		}
		free(r);
	}
	for (i = 0; i < ef->nsymbols; i++)
		assert_true(strlen(ef->symbols[i].name) < ef->len);
}

/* Parses an exact-size copy of buf[0..len): must either succeed (and is
 * walked) or fail cleanly. Returns 0 on success. */
static int try_parse(const uint8_t *buf, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	struct errmsg err = { 0 };
	struct elf_file ef;
	int rc;

	assert_non_null(copy);
	memcpy(copy, buf, len);
	rc = elf_open(&ef, copy, len, &err);
	if (rc == 0) {
		walk_parsed(&ef);
		elf_close(&ef);
	} else {
		assert_true(rc == -EINVAL || rc == -ENOMEM);
		assert_one_line(&err);
		assert_null(ef.sections);
	}
	free(copy);
	return rc;
}

static void test_sample_truncated(void **state)
{
	struct blob *b = *state;
	size_t len;

	assert_int_equal(try_parse(b->buf, b->len), 0);
	for (len = 0; len < b->len; len++)
		assert_int_not_equal(try_parse(b->buf, len), 0);
}

/* clang puts the section headers last, so any truncation above fails on
 * them. Moved to the front, truncation cuts into section data instead:
 * exactly the lengths that still hold every section must parse. */
static void test_sample_truncated_headers_first(void **state)
{
	struct blob *b = *state;
	uint64_t shoff = ELFW_GET(b->buf, Elf64_Ehdr, e_shoff);
	uint64_t shnum = ELFW_GET(b->buf, Elf64_Ehdr, e_shnum);
	uint64_t hdrs = shnum * sizeof(Elf64_Shdr), need, len, i;
	uint8_t *moved = malloc(b->len);

	assert_non_null(moved);
	assert_true(shoff + hdrs == b->len);
	memcpy(moved, b->buf, 64);
	memcpy(moved + 64, b->buf + shoff, hdrs);
	memcpy(moved + 64 + hdrs, b->buf + 64, shoff - 64);
	ELFW_SET(moved, Elf64_Ehdr, e_shoff, 64);
	need = 64 + hdrs;
	for (i = 1; i < shnum; i++) {
		uint8_t *sh = moved + 64 + i * sizeof(Elf64_Shdr);
		uint64_t off = ELFW_GET(sh, Elf64_Shdr, sh_offset);
		uint64_t size = ELFW_GET(sh, Elf64_Shdr, sh_size);

		if (ELFW_GET(sh, Elf64_Shdr, sh_type) == SHT_NOBITS || !size)
			continue;
		ELFW_SET(sh, Elf64_Shdr, sh_offset, off + hdrs);
		if (off + hdrs + size > need)
			need = off + hdrs + size;
	}
	for (len = 0; len <= b->len; len++) {
		int rc = try_parse(moved, len);

		if ((rc == 0) != (len >= need)) {
			print_error("length %" PRIu64 " (need %" PRIu64
				    "): rc %d\n", len, need, rc);
			fail();
		}
	}
	free(moved);
}

/* Every byte of the object set to a few values, then seeded random
 * multi-byte damage: never a crash, an over-read or a multi-line error. */
static void test_sample_mutated(void **state)
{
	static const uint8_t xors[] = { 0x01, 0x80, 0xff };
	struct blob *b = *state;
	uint8_t *work = malloc(b->len);
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	size_t i, k, accepted = 0, rejected = 0;

	assert_non_null(work);
	memcpy(work, b->buf, b->len);
	for (i = 0; i < b->len; i++) {
		for (k = 0; k < sizeof(xors); k++) {
			work[i] ^= xors[k];
			if (try_parse(work, b->len) == 0)
				accepted++;
			else
				rejected++;
			work[i] = b->buf[i];
		}
	}
	for (i = 0; i < 20000; i++) {
		size_t nbytes = 1 + i % 4;

		for (k = 0; k < nbytes; k++) {
			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			work[seed % b->len] = seed >> 56;
		}
		if (try_parse(work, b->len) == 0)
			accepted++;
		else
			rejected++;
		memcpy(work, b->buf, b->len);
	}
	print_message("    mutations: %zu accepted, %zu rejected\n", accepted,
		      rejected);
	assert_true(rejected > 0 && accepted > 0);
	free(work);
}

/* clang -gz: compressed debug sections are handed out raw, and their
 * relocations count in the uncompressed bytes (Elf64_Chdr.ch_size). */
static void test_sample_gz(void **state)
{
	struct blob *b = read_blob(ELF_SAMPLE_GZ_OBJECT);
	const struct elf_section *info, *rel;
	struct errmsg err = { 0 };
	struct elf_reloc *r;
	struct elf_file ef;
	uint8_t *copy;
	size_t n, at;

	assert_non_null(b);
	open_ok(&ef, b->buf, b->len);
	info = must_section(&ef, ".debug_info", SHT_PROGBITS);
	assert_true(info->flags & SHF_COMPRESSED);
	rel = elf_relocs_for(&ef, info->index);
	assert_non_null(rel);
	assert_int_equal(elf_read_relocs(&ef, rel, &r, &n, &err), 0);
	assert_true(n > 0);
	free(r);
	at = info->data - ef.buf + 8; /* ch_size */
	elf_close(&ef);

	copy = malloc(b->len);
	assert_non_null(copy);
	memcpy(copy, b->buf, b->len);
	elfw_put(copy + at, 4, 8);
	expect_reject(copy, b->len, " uncompressed)");
	free(copy);
	free(b->buf);
	free(b);
}

int main(void)
{
	const struct CMUnitTest mini[] = {
		cmocka_unit_test(test_mini_valid),
		cmocka_unit_test(test_mini_unaligned),
		cmocka_unit_test(test_mini_extended_numbering),
		cmocka_unit_test(test_mini_nobits_anywhere),
		cmocka_unit_test(test_mini_unknown_reloc_type),
		cmocka_unit_test(test_mini_malformed),
		cmocka_unit_test(test_mini_message_format),
		cmocka_unit_test(test_mini_hostile_name),
		cmocka_unit_test(test_mini_truncated),
		cmocka_unit_test(test_read_relocs_rechecks),
		cmocka_unit_test(test_close_zeroed),
		cmocka_unit_test(test_many_sections),
	};
	const struct CMUnitTest sample[] = {
		cmocka_unit_test(test_sample_shape),
		cmocka_unit_test(test_sample_truncated),
		cmocka_unit_test(test_sample_truncated_headers_first),
		cmocka_unit_test(test_sample_mutated),
		cmocka_unit_test(test_sample_gz),
	};
	int fails;

	fails = cmocka_run_group_tests_name("elf_mini", mini, setup_mini,
					    teardown_mini);
	fails += cmocka_run_group_tests_name("elf_sample", sample, load_sample,
					     free_sample);
	return fails ? 1 : 0;
}
