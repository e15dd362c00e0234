/* SPDX-License-Identifier: MIT */
/* Unit tests of the BTF reader (loader/btf.c): hand-built BTF blobs, valid
 * and damaged in each way the parser must catch, and the clang DATASEC
 * fix-up, on synthetic input and on the objects of tests/progs. */
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

/* ---- a tiny BTF writer -------------------------------------------------- */

struct blob {
	uint8_t types[4096];
	uint32_t tlen;
	char strs[1024];
	uint32_t slen;
	uint32_t ntypes;        /* last id handed out */
};

static void blob_init(struct blob *b)
{
	memset(b, 0, sizeof(*b));
	b->slen = 1; /* "" at offset 0 */
}

static uint32_t blob_str(struct blob *b, const char *s)
{
	uint32_t off = b->slen;

	strcpy(b->strs + off, s);
	b->slen += strlen(s) + 1;
	return off;
}

static void blob_u32(struct blob *b, uint32_t v)
{
	memcpy(b->types + b->tlen, &v, 4);
	b->tlen += 4;
}

/* struct btf_type: name, info (kind, vlen, kflag), size or type */
static uint32_t blob_type(struct blob *b, const char *name, uint32_t kind,
			  uint32_t vlen, uint32_t size_or_type)
{
	blob_u32(b, name ? blob_str(b, name) : 0);
	blob_u32(b, kind << 24 | vlen);
	blob_u32(b, size_or_type);
	return ++b->ntypes;
}

static uint32_t blob_int(struct blob *b, const char *name, uint32_t size)
{
	uint32_t id = blob_type(b, name, BTF_KIND_INT, 0, size);

	blob_u32(b, size * 8); /* encoding 0, offset 0, bits */
	return id;
}

static uint32_t blob_array(struct blob *b, uint32_t elem, uint32_t index,
			   uint32_t nelems)
{
	uint32_t id = blob_type(b, NULL, BTF_KIND_ARRAY, 0, 0);

	blob_u32(b, elem);
	blob_u32(b, index);
	blob_u32(b, nelems);
	return id;
}

static void blob_member(struct blob *b, const char *name, uint32_t type,
			uint32_t bit_off)
{
	blob_u32(b, blob_str(b, name));
	blob_u32(b, type);
	blob_u32(b, bit_off);
}

/* Header + types + strings, in a malloc'ed buffer. */
static uint8_t *blob_finish(const struct blob *b, size_t *len)
{
	struct btf_header h = {
		.magic = BTF_MAGIC, .version = BTF_VERSION,
		.hdr_len = sizeof(h), .type_off = 0, .type_len = b->tlen,
		.str_off = b->tlen, .str_len = b->slen,
	};
	uint8_t *out;

	*len = sizeof(h) + b->tlen + b->slen;
	out = malloc(*len);
	assert_non_null(out);
	memcpy(out, &h, sizeof(h));
	memcpy(out + sizeof(h), b->types, b->tlen);
	memcpy(out + sizeof(h) + b->tlen, b->strs, b->slen);
	return out;
}

static struct btf_header *hdr(uint8_t *blob)
{
	return (struct btf_header *)blob;
}

static void assert_one_line(const struct errmsg *err)
{
	assert_true(err->text[0] != '\0');
	assert_null(strchr(err->text, '\n'));
}

static void expect_parse_error(uint8_t *data, size_t len, int code,
			       const char *needle)
{
	struct errmsg err = { 0 };
	struct btf btf;
	int ret = btf_parse(&btf, data, len, &err);

	if (!ret)
		btf_free(&btf);
	if (ret != -code || !strstr(err.text, needle))
		fail_msg("expected -%d with \"%s\", got %d: \"%s\"", code,
			 needle, ret, err.text);
	assert_one_line(&err);
}

static void expect_parse_ok(uint8_t *data, size_t len)
{
	struct errmsg err = { 0 };
	struct btf btf;

	if (btf_parse(&btf, data, len, &err))
		fail_msg("unexpected error: %s", err.text);
	btf_free(&btf);
}

/* ---- the valid blob ----------------------------------------------------- */

enum {
	T_INT = 1, T_PTR, T_ARR, T_STRUCT, T_TYPEDEF, T_CONST, T_VAR,
	T_DATASEC, T_PROTO, T_FUNC, T_ENUM, NTYPES_VALID = T_ENUM
};

static uint8_t *valid_blob(size_t *len)
{
	struct blob b;

	blob_init(&b);
	blob_int(&b, "int", 4);                            /* 1 */
	blob_type(&b, NULL, BTF_KIND_PTR, 0, T_INT);       /* 2 */
	blob_array(&b, T_INT, T_INT, 10);                  /* 3 */
	blob_type(&b, "s", BTF_KIND_STRUCT, 3, 56);        /* 4 */
	blob_member(&b, "a", T_INT, 0);
	blob_member(&b, "p", T_PTR, 64);
	blob_member(&b, "arr", T_ARR, 128);
	blob_type(&b, "t", BTF_KIND_TYPEDEF, 0, T_STRUCT); /* 5 */
	blob_type(&b, NULL, BTF_KIND_CONST, 0, T_TYPEDEF); /* 6 */
	blob_type(&b, "v", BTF_KIND_VAR, 0, T_CONST);      /* 7 */
	blob_u32(&b, BTF_VAR_GLOBAL_ALLOCATED);
	blob_type(&b, ".data", BTF_KIND_DATASEC, 1, 0);    /* 8 */
	blob_u32(&b, T_VAR);
	blob_u32(&b, 0);
	blob_u32(&b, 56);
	blob_type(&b, NULL, BTF_KIND_FUNC_PROTO, 1, T_INT); /* 9 */
	blob_u32(&b, blob_str(&b, "x"));
	blob_u32(&b, T_INT);
	blob_type(&b, "f", BTF_KIND_FUNC, 0, T_PROTO);     /* 10 */
	blob_type(&b, "e", BTF_KIND_ENUM, 2, 4);           /* 11 */
	blob_u32(&b, blob_str(&b, "E0"));
	blob_u32(&b, 0);
	blob_u32(&b, blob_str(&b, "E1"));
	blob_u32(&b, 1);
	return blob_finish(&b, len);
}

static void test_valid_blob(void **state)
{
	struct errmsg err = { 0 };
	uint8_t *data;
	struct btf btf;
	size_t len;

	data = valid_blob(&len);
	assert_int_equal(btf_parse(&btf, data, len, &err), 0);
	free(data); /* the parser keeps its own copy */
	assert_int_equal(btf.ntypes, NTYPES_VALID + 1);
	assert_null(btf_type_by_id(&btf, 0));
	assert_null(btf_type_by_id(&btf, NTYPES_VALID + 1));
	assert_int_equal(btf_kind(btf_type_by_id(&btf, T_DATASEC)),
			 BTF_KIND_DATASEC);
	assert_string_equal(btf_str(&btf, btf_type_by_id(&btf, T_INT)->name_off),
			    "int");
	assert_null(btf_str(&btf, 100000));
	assert_string_equal(btf_kind_name(BTF_KIND_FUNC_PROTO), "FUNC_PROTO");
	assert_string_equal(btf_kind_name(99), "UNKNOWN");
	btf_free(&btf);
	btf_free(&btf); /* safe twice */
}

static void test_type_size(void **state)
{
	static const struct { uint32_t id; uint64_t size; } sizes[] = {
		{ T_INT, 4 }, { T_PTR, 8 }, { T_ARR, 40 }, { T_STRUCT, 56 },
		{ T_TYPEDEF, 56 }, { T_CONST, 56 }, { T_VAR, 56 },
		{ T_DATASEC, 0 }, { T_ENUM, 4 },
	};
	static const uint32_t sizeless[] = { 0, T_PROTO, T_FUNC };
	struct errmsg err = { 0 };
	struct btf btf;
	uint64_t size;
	uint8_t *data;
	size_t len, i;

	data = valid_blob(&len);
	assert_int_equal(btf_parse(&btf, data, len, &err), 0);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		assert_int_equal(btf_type_size(&btf, sizes[i].id, &size, &err),
				 0);
		assert_int_equal(size, sizes[i].size);
	}
	for (i = 0; i < sizeof(sizeless) / sizeof(sizeless[0]); i++) {
		assert_int_equal(btf_type_size(&btf, sizeless[i], &size, &err),
				 -EINVAL);
		assert_non_null(strstr(err.text, "has no size"));
		assert_one_line(&err);
	}
	btf_free(&btf);
	free(data);
}

static void test_lookups(void **state)
{
	const struct btf_type *st;
	const struct btf_member *m;
	struct errmsg err = { 0 };
	struct btf btf;
	uint8_t *data;
	uint32_t id;
	size_t len;

	data = valid_blob(&len);
	assert_int_equal(btf_parse(&btf, data, len, &err), 0);
	assert_int_equal(btf_skip_modifiers(&btf, T_CONST, &id, &err), 0);
	assert_int_equal(id, T_STRUCT);
	assert_int_equal(btf_skip_modifiers(&btf, T_PTR, &id, &err), 0);
	assert_int_equal(id, T_PTR);
	st = btf_type_by_id(&btf, T_STRUCT);
	m = btf_find_member(&btf, st, "p");
	assert_non_null(m);
	assert_int_equal(m->type, T_PTR);
	assert_int_equal(m->offset, 64);
	assert_null(btf_find_member(&btf, st, "nope"));
	assert_null(btf_find_member(&btf, btf_type_by_id(&btf, T_INT), "a"));
	assert_int_equal(btf_find_by_name_kind(&btf, "t", BTF_KIND_TYPEDEF),
			 T_TYPEDEF);
	assert_int_equal(btf_find_by_name_kind(&btf, ".data",
					       BTF_KIND_DATASEC), T_DATASEC);
	assert_int_equal(btf_find_by_name_kind(&btf, "int", BTF_KIND_STRUCT),
			 0);
	btf_free(&btf);
	free(data);
}

/* ---- damaged headers ---------------------------------------------------- */

static void test_bad_headers(void **state)
{
	uint8_t *data;
	size_t len;

	data = valid_blob(&len);
	expect_parse_error(data, 10, EINVAL, "too short for a header");
	expect_parse_error(data, 0, EINVAL, "too short for a header");

	hdr(data)->magic = 0x1234;
	expect_parse_error(data, len, EINVAL, "bad magic 0x1234");
	hdr(data)->magic = 0x9feb;
	expect_parse_error(data, len, EINVAL, "big-endian");
	hdr(data)->magic = BTF_MAGIC;

	hdr(data)->version = 2;
	expect_parse_error(data, len, EINVAL, "unsupported version 2");
	hdr(data)->version = BTF_VERSION;
	hdr(data)->flags = 1;
	expect_parse_error(data, len, EINVAL, "unsupported flags");
	hdr(data)->flags = 0;

	hdr(data)->hdr_len = 8;
	expect_parse_error(data, len, EINVAL, "header length 8 out of range");
	hdr(data)->hdr_len = len + 1;
	expect_parse_error(data, len, EINVAL, "header length");
	hdr(data)->hdr_len = sizeof(struct btf_header);
	free(data);
}

static void test_bad_sections(void **state)
{
	uint32_t tlen, slen;
	uint8_t *data, *big;
	size_t len;

	data = valid_blob(&len);
	tlen = hdr(data)->type_len;
	slen = hdr(data)->str_len;

	hdr(data)->type_len = tlen + slen + 4;
	expect_parse_error(data, len, EINVAL, "type section");
	hdr(data)->type_len = tlen;

	hdr(data)->str_off = 0xfffffff0u;
	expect_parse_error(data, len, EINVAL, "string section");
	hdr(data)->str_off = tlen - 8;
	expect_parse_error(data, len, EINVAL, "overlap");
	hdr(data)->str_off = tlen;

	hdr(data)->type_off = 2;
	hdr(data)->type_len = tlen - 4;
	expect_parse_error(data, len, EINVAL, "not 4-byte aligned");
	hdr(data)->type_off = 0;
	hdr(data)->type_len = tlen;

	/* strings must start and end with NUL */
	data[len - 1] = 'x';
	expect_parse_error(data, len, EINVAL, "start and end with NUL");
	data[len - 1] = '\0';
	hdr(data)->str_len = 0;
	expect_parse_error(data, len, EINVAL, "start and end with NUL");
	hdr(data)->str_len = slen;

	/* non-zero bytes in a longer header than we know */
	big = calloc(1, len + 8);
	assert_non_null(big);
	memcpy(big, data, sizeof(struct btf_header));
	memcpy(big + sizeof(struct btf_header) + 8,
	       data + sizeof(struct btf_header),
	       len - sizeof(struct btf_header));
	hdr(big)->hdr_len += 8;
	expect_parse_ok(big, len + 8); /* zeros are fine */
	big[sizeof(struct btf_header) + 3] = 1;
	expect_parse_error(big, len + 8, EINVAL, "unknown header fields");
	free(big);
	free(data);
}

/* ---- damaged type records --------------------------------------------------- */

/* Offset in the blob of type id's record (ids in order, fixed layout). */
static uint8_t *type_at(uint8_t *data, uint32_t id)
{
	struct errmsg err;
	struct btf btf;
	uint8_t *p = NULL;

	if (!btf_parse(&btf, data, hdr(data)->hdr_len + hdr(data)->type_len +
					   hdr(data)->str_len, &err)) {
		p = data + btf.type_offs[id];
		btf_free(&btf);
	}
	assert_non_null(p);
	return p;
}

static void put_u32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void test_bad_records(void **state)
{
	uint8_t *data, *t;
	size_t len;

	/* each case damages a fresh copy */
	data = valid_blob(&len);
	hdr(data)->type_len -= 4;
	hdr(data)->str_off -= 4; /* strings start right after: still valid */
	memmove(data + sizeof(struct btf_header) + hdr(data)->type_len,
		data + sizeof(struct btf_header) + hdr(data)->type_len + 4,
		hdr(data)->str_len);
	expect_parse_error(data, len - 4, EINVAL, "type 11 (ENUM): record runs past");
	free(data);

	data = valid_blob(&len);
	hdr(data)->type_len = 6 * 4 + 2; /* int(16) + ptr(12) - 2 */
	expect_parse_error(data, len, EINVAL, "type 2: truncated record");
	free(data);

	data = valid_blob(&len);
	t = type_at(data, T_PTR);
	put_u32(t + 4, 25u << 24);
	expect_parse_error(data, len, EINVAL, "type 2: unknown kind 25");
	free(data);

	data = valid_blob(&len);
	t = type_at(data, T_STRUCT);
	put_u32(t + 4, BTF_KIND_STRUCT << 24 | 0xffff);
	expect_parse_error(data, len, EINVAL, "type 4 (STRUCT): record runs past");
	free(data);
}

static void test_bad_names(void **state)
{
	uint8_t *data;
	size_t len;

	data = valid_blob(&len);
	put_u32(type_at(data, T_INT), 5000);
	expect_parse_error(data, len, EINVAL, "type 1: name offset 5000 outside");
	free(data);

	data = valid_blob(&len); /* second member's name */
	put_u32(type_at(data, T_STRUCT) + 12 + 12, 7000);
	expect_parse_error(data, len, EINVAL, "type 4: name offset 7000");
	free(data);

	data = valid_blob(&len); /* enum value name */
	put_u32(type_at(data, T_ENUM) + 12 + 8, 9000);
	expect_parse_error(data, len, EINVAL, "type 11: name offset 9000");
	free(data);

	data = valid_blob(&len); /* func_proto parameter name */
	put_u32(type_at(data, T_PROTO) + 12, 9999);
	expect_parse_error(data, len, EINVAL, "type 9: name offset 9999");
	free(data);
}

static void test_bad_type_ids(void **state)
{
	static const struct { uint32_t id, off; const char *msg; } cases[] = {
		{ T_PTR, 8, "type 2 refers to type 99" },
		{ T_ARR, 12, "type 3 refers to type 99" },      /* elem */
		{ T_ARR, 16, "type 3 refers to type 99" },      /* index */
		{ T_STRUCT, 12 + 12 + 4, "type 4 refers to type 99" },
		{ T_TYPEDEF, 8, "type 5 refers to type 99" },
		{ T_VAR, 8, "type 7 refers to type 99" },
		{ T_DATASEC, 12, "type 8 refers to type 99" },
		{ T_PROTO, 8, "type 9 refers to type 99" },     /* return */
		{ T_PROTO, 16, "type 9 refers to type 99" },    /* param */
		{ T_FUNC, 8, "type 10 refers to type 99" },
	};
	size_t i, len;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t *data = valid_blob(&len);

		put_u32(type_at(data, cases[i].id) + cases[i].off, 99);
		expect_parse_error(data, len, EINVAL, cases[i].msg);
		assert_true(strstr(cases[i].msg, "99") != NULL);
		free(data);
	}
}

/* ---- loops and overflow: parse fine, resolving must stop ---------------- */

static void test_loops(void **state)
{
	struct errmsg err = { 0 };
	struct btf btf;
	struct blob b;
	uint64_t size;
	uint8_t *data;
	uint32_t id;
	size_t len;

	blob_init(&b);
	blob_type(&b, "a", BTF_KIND_TYPEDEF, 0, 2);     /* 1 -> 2 */
	blob_type(&b, "b", BTF_KIND_TYPEDEF, 0, 1);     /* 2 -> 1 */
	blob_array(&b, 3, 3, 2);                        /* 3: array of 3 */
	blob_type(&b, NULL, BTF_KIND_PTR, 0, 4);        /* 4: ptr to itself */
	blob_type(&b, NULL, BTF_KIND_CONST, 0, 5);      /* 5: const self */
	data = blob_finish(&b, &len);
	assert_int_equal(btf_parse(&btf, data, len, &err), 0);

	assert_int_equal(btf_type_size(&btf, 1, &size, &err), -ELOOP);
	assert_non_null(strstr(err.text, "a loop?"));
	assert_one_line(&err);
	assert_int_equal(btf_skip_modifiers(&btf, 2, &id, &err), -ELOOP);
	assert_int_equal(btf_type_size(&btf, 3, &size, &err), -ELOOP);
	assert_int_equal(btf_type_size(&btf, 4, &size, &err), 0);
	assert_int_equal(size, 8);
	assert_int_equal(btf_skip_modifiers(&btf, 5, &id, &err), -ELOOP);
	assert_int_equal(btf_type_size(&btf, 5, &size, &err), -ELOOP);
	btf_free(&btf);
	free(data);
}

static void test_size_overflow(void **state)
{
	struct errmsg err = { 0 };
	struct btf btf;
	struct blob b;
	uint64_t size;
	uint8_t *data;
	size_t len;

	blob_init(&b);
	blob_int(&b, "long", 8);                        /* 1 */
	blob_array(&b, 1, 1, 0xffffffffu);              /* 2 */
	blob_array(&b, 2, 1, 0xffffffffu);              /* 3 */
	data = blob_finish(&b, &len);
	assert_int_equal(btf_parse(&btf, data, len, &err), 0);
	assert_int_equal(btf_type_size(&btf, 2, &size, &err), 0);
	assert_int_equal(size, 8ull * 0xffffffffu);
	assert_int_equal(btf_type_size(&btf, 3, &size, &err), -EOVERFLOW);
	assert_one_line(&err);
	btf_free(&btf);
	free(data);
}

/* Every truncation and every single-byte change of the valid blob: the
 * parser must answer (no crash, one-line errors), and whatever it accepts
 * must be safe to resolve. Run under ASan this is a small fuzzer. */
static void test_mutations(void **state)
{
	uint8_t *data, *copy;
	struct errmsg err;
	size_t len, i, accepted = 0;

	data = valid_blob(&len);
	copy = malloc(len);
	assert_non_null(copy);
	for (i = 0; i < 2 * len; i++) {
		struct btf btf;
		size_t n = i < len ? i : len;
		uint32_t id;

		memcpy(copy, data, len);
		if (i >= len)
			copy[i - len] ^= 0xff;
		errmsg_clear(&err);
		if (btf_parse(&btf, copy, n, &err)) {
			assert_one_line(&err);
			continue;
		}
		accepted++;
		for (id = 0; id <= btf.ntypes; id++) {
			uint64_t size;
			uint32_t out;

			btf_type_size(&btf, id, &size, &err);
			btf_skip_modifiers(&btf, id, &out, &err);
		}
		btf_free(&btf);
	}
	assert_true(accepted > 0);
	free(copy);
	free(data);
}

/* ---- the DATASEC fix-up ----------------------------------------------------- */

/* A hand-made elf_file: section 1 ".data" (16 bytes), symbols b@0, a@8. */
static void test_fixup_synthetic(void **state)
{
	struct elf_section secs[2] = {
		{ .index = 0, .name = "" },
		{ .index = 1, .name = ".data", .type = SHT_PROGBITS,
		  .size = 16 },
	};
	struct elf_symbol syms[3] = {
		{ .name = "" },
		{ .name = "a", .value = 8, .size = 4, .shndx = 1,
		  .type = STT_OBJECT },
		{ .name = "b", .value = 0, .size = 4, .shndx = 1,
		  .type = STT_OBJECT },
	};
	struct elf_file ef = { .sections = secs, .nsections = 2,
			       .symbols = syms, .nsymbols = 3 };
	const struct btf_type *ds, *other;
	struct errmsg err = { 0 };
	struct btf_var_secinfo *vsi;
	struct btf btf;
	struct blob b;
	uint8_t *data;
	size_t len;

	blob_init(&b);
	blob_int(&b, "int", 4);                                 /* 1 */
	blob_type(&b, "a", BTF_KIND_VAR, 0, 1);                 /* 2 */
	blob_u32(&b, 1);
	blob_type(&b, "b", BTF_KIND_VAR, 0, 1);                 /* 3 */
	blob_u32(&b, 1);
	blob_type(&b, "c", BTF_KIND_VAR, 0, 1);                 /* 4 */
	blob_u32(&b, 1);
	blob_type(&b, ".data", BTF_KIND_DATASEC, 3, 0);         /* 5 */
	blob_u32(&b, 2); blob_u32(&b, 0); blob_u32(&b, 4);      /* a */
	blob_u32(&b, 3); blob_u32(&b, 0); blob_u32(&b, 4);      /* b */
	blob_u32(&b, 4); blob_u32(&b, 12); blob_u32(&b, 4);     /* c: no symbol */
	blob_type(&b, ".nosuch", BTF_KIND_DATASEC, 1, 0);       /* 6 */
	blob_u32(&b, 2); blob_u32(&b, 0); blob_u32(&b, 4);
	data = blob_finish(&b, &len);

	assert_int_equal(btf_parse(&btf, data, len, &err), 0);
	assert_int_equal(btf_fixup_datasecs(&btf, &ef, &err), 0);
	ds = btf_type_by_id(&btf, 5);
	assert_int_equal(ds->size, 16);
	vsi = btf_secinfos(ds);
	/* sorted by the fixed offsets: b@0, a@8, c@12 (kept) */
	assert_int_equal(vsi[0].type, 3);
	assert_int_equal(vsi[0].offset, 0);
	assert_int_equal(vsi[1].type, 2);
	assert_int_equal(vsi[1].offset, 8);
	assert_int_equal(vsi[2].type, 4);
	assert_int_equal(vsi[2].offset, 12);
	other = btf_type_by_id(&btf, 6); /* no such section: untouched */
	assert_int_equal(other->size, 0);
	assert_int_equal(btf_secinfos(other)[0].offset, 0);
	btf_free(&btf);
	free(data);
}

static uint8_t *read_prog(const char *name, size_t *len)
{
	const char *dir = getenv("TCSTEER_PROGS");
	char path[4096];
	uint8_t *buf;
	FILE *f;
	long n;

	if (!dir)
		fail_msg("TCSTEER_PROGS is not set (run through ctest)");
	snprintf(path, sizeof(path), "%s/%s.o", dir, name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc(n);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static const struct elf_symbol *elf_symbol_in(const struct elf_file *ef,
					      uint32_t shndx,
					      const char *name)
{
	size_t i;

	for (i = 1; i < ef->nsymbols; i++)
		if (ef->symbols[i].shndx == shndx &&
		    ef->symbols[i].type != STT_SECTION &&
		    !strcmp(ef->symbols[i].name, name))
			return &ef->symbols[i];
	return NULL;
}

/* After the fix-up, each DATASEC of a real object matches the ELF file:
 * its size is the section's, each variable sits at its symbol's value, and
 * the variables are in offset order. */
static void check_fixup_against_elf(const char *obj, unsigned min_datasecs)
{
	const struct elf_section *sec;
	struct errmsg err = { 0 };
	unsigned datasecs = 0;
	struct elf_file ef;
	struct btf btf;
	uint8_t *buf;
	uint32_t id;
	size_t len;

	buf = read_prog(obj, &len);
	if (elf_open(&ef, buf, len, &err))
		fail_msg("%s: %s", obj, err.text);
	sec = elf_section_by_name(&ef, ".BTF");
	assert_non_null(sec);
	assert_int_equal(btf_parse(&btf, sec->data, sec->size, &err), 0);
	assert_int_equal(btf_fixup_datasecs(&btf, &ef, &err), 0);
	for (id = 1; id < btf.ntypes; id++) {
		const struct btf_type *t = btf_type_by_id(&btf, id);
		const struct elf_section *s;
		uint32_t i, prev = 0;

		if (btf_kind(t) != BTF_KIND_DATASEC)
			continue;
		s = elf_section_by_name(&ef, btf_str(&btf, t->name_off));
		assert_non_null(s);
		datasecs++;
		assert_int_equal(t->size, s->size);
		for (i = 0; i < btf_vlen(t); i++) {
			const struct btf_var_secinfo *v = &btf_secinfos(t)[i];
			const struct btf_type *var = btf_type_by_id(&btf, v->type);
			const struct elf_symbol *sym = elf_symbol_in(
				&ef, s->index, btf_str(&btf, var->name_off));

			assert_non_null(sym);
			assert_int_equal(v->offset, sym->value);
			assert_true(v->offset + v->size <= t->size);
			assert_true(v->offset >= prev);
			prev = v->offset;
		}
	}
	assert_true(datasecs >= min_datasecs);
	btf_free(&btf);
	elf_close(&ef);
	free(buf);
}

static void test_fixup_global_data(void **state)
{
	check_fixup_against_elf("global_data", 4); /* .data .rodata .bss license */
}

static void test_fixup_btf_maps(void **state)
{
	check_fixup_against_elf("btf_maps", 2); /* .maps license */
}

static void test_fixup_tail_call(void **state)
{
	check_fixup_against_elf("tail_call", 2);
}

/* clang 14 leaves DATASEC sizes at 0: that is why the fix-up exists. If a
 * newer clang fills them in, this only shows the fix-up agrees. */
static void test_fixup_needed(void **state)
{
	const struct elf_section *sec;
	struct errmsg err = { 0 };
	struct elf_file ef;
	struct btf raw;
	uint8_t *buf;
	uint32_t id;
	size_t len;

	buf = read_prog("btf_maps", &len);
	assert_int_equal(elf_open(&ef, buf, len, &err), 0);
	sec = elf_section_by_name(&ef, ".BTF");
	assert_int_equal(btf_parse(&raw, sec->data, sec->size, &err), 0);
	id = btf_find_by_name_kind(&raw, ".maps", BTF_KIND_DATASEC);
	assert_int_not_equal(id, 0);
	if (btf_type_by_id(&raw, id)->size != 0)
		print_message("note: this clang already sets DATASEC sizes\n");
	btf_free(&raw);
	elf_close(&ef);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_blob),
		cmocka_unit_test(test_type_size),
		cmocka_unit_test(test_lookups),
		cmocka_unit_test(test_bad_headers),
		cmocka_unit_test(test_bad_sections),
		cmocka_unit_test(test_bad_records),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_bad_type_ids),
		cmocka_unit_test(test_loops),
		cmocka_unit_test(test_size_overflow),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_fixup_synthetic),
		cmocka_unit_test(test_fixup_global_data),
		cmocka_unit_test(test_fixup_btf_maps),
		cmocka_unit_test(test_fixup_tail_call),
		cmocka_unit_test(test_fixup_needed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
