/* SPDX-License-Identifier: MIT */
/* Program tags: SHA-1 and SHA-256 (FIPS 180-4) of the instructions with
 * their map references cleared, as the kernel computes them. */
#include "prog_tag.h"

#include <stdlib.h>
#include <string.h>

/* ---- the two digests ------------------------------------------------------ */

static uint32_t rol(uint32_t x, unsigned int n)
{
	return (x << n) | (x >> (32 - n));
}

static uint32_t ror(uint32_t x, unsigned int n)
{
	return (x >> n) | (x << (32 - n));
}

static uint32_t load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void store_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void sha1_block(uint32_t h[8], const uint8_t *b)
{
	uint32_t w[80], a = h[0], bb = h[1], c = h[2], d = h[3], e = h[4], f, k, t;
	unsigned int i;

	for (i = 0; i < 16; i++)
		w[i] = load_be32(b + 4 * i);
	for (; i < 80; i++)
		w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	for (i = 0; i < 80; i++) {
		if (i < 20) {
			f = (bb & c) | (~bb & d);
			k = 0x5a827999;
		} else if (i < 40) {
			f = bb ^ c ^ d;
			k = 0x6ed9eba1;
		} else if (i < 60) {
			f = (bb & c) | (bb & d) | (c & d);
			k = 0x8f1bbcdc;
		} else {
			f = bb ^ c ^ d;
			k = 0xca62c1d6;
		}
		t = rol(a, 5) + f + e + k + w[i];
		e = d;
		d = c;
		c = rol(bb, 30);
		bb = a;
		a = t;
	}
	h[0] += a;
	h[1] += bb;
	h[2] += c;
	h[3] += d;
	h[4] += e;
}

static const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static void sha256_block(uint32_t h[8], const uint8_t *b)
{
	uint32_t w[64], v[8], s0, s1, t1, t2;
	unsigned int i;

	for (i = 0; i < 16; i++)
		w[i] = load_be32(b + 4 * i);
	for (; i < 64; i++) {
		s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
		s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	memcpy(v, h, sizeof(v));
	for (i = 0; i < 64; i++) {
		s1 = ror(v[4], 6) ^ ror(v[4], 11) ^ ror(v[4], 25);
		t1 = v[7] + s1 + ((v[4] & v[5]) ^ (~v[4] & v[6])) + sha256_k[i] + w[i];
		s0 = ror(v[0], 2) ^ ror(v[0], 13) ^ ror(v[0], 22);
		t2 = s0 + ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
		memmove(v + 1, v, 7 * sizeof(v[0]));
		v[4] += t1;
		v[0] = t1 + t2;
	}
	for (i = 0; i < 8; i++)
		h[i] += v[i];
}

/* Merkle-Damgard over 64-byte blocks: the data, 0x80, zeros, and the
 * length in bits as a big-endian 64-bit number. */
static void digest(const void *data, size_t len, uint32_t h[8], unsigned int words,
		   void (*block)(uint32_t h[8], const uint8_t *b), uint8_t *out)
{
	const uint8_t *p = data;
	uint8_t tail[128] = { 0 };
	uint64_t bits = (uint64_t)len * 8;
	size_t rest, tail_len, i;

	for (; len >= 64; p += 64, len -= 64)
		block(h, p);
	rest = len;
	memcpy(tail, p, rest);
	tail[rest] = 0x80;
	tail_len = rest + 1 + 8 <= 64 ? 64 : 128;
	for (i = 0; i < 8; i++)
		tail[tail_len - 1 - i] = (uint8_t)(bits >> (8 * i));
	block(h, tail);
	if (tail_len == 128)
		block(h, tail + 64);
	for (i = 0; i < words; i++)
		store_be32(out + 4 * i, h[i]);
}

void sha1_digest(const void *data, size_t len, uint8_t out[20])
{
	uint32_t h[8] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0 };

	digest(data, len, h, 5, sha1_block, out);
}

void sha256_digest(const void *data, size_t len, uint8_t out[32])
{
	uint32_t h[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
			  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };

	digest(data, len, h, 8, sha256_block, out);
}

/* ---- tags ----------------------------------------------------------------- */

/* kernel/bpf/core.c, bpf_prog_calc_tag(): a ld_imm64 whose source is a map
 * fd or a map value has the imm of both its halves cleared (the fds differ
 * from load to load; the second half of a map value reference holds the
 * offset, cleared too). */
static bool is_map_ld(const struct bpf_insn *i)
{
	return i->code == (BPF_LD | BPF_IMM | BPF_DW) &&
	       (i->src_reg == BPF_PSEUDO_MAP_FD || i->src_reg == BPF_PSEUDO_MAP_VALUE);
}

static bool is_ld_second_half(const struct bpf_insn *i)
{
	return i->code == 0 && i->dst_reg == 0 && i->src_reg == 0 && i->off == 0;
}

void prog_tags(const struct bpf_insn *insns, size_t n, uint8_t sha1_tag[PROG_TAG_SIZE],
	       uint8_t sha256_tag[PROG_TAG_SIZE])
{
	struct bpf_insn *copy = malloc((n ? n : 1) * sizeof(*copy));
	uint8_t d1[20], d256[32];
	bool in_ld = false;
	size_t i;

	if (!copy) {
		/* Matches nothing: the program is loaded instead. */
		memset(sha1_tag, 0, PROG_TAG_SIZE);
		memset(sha256_tag, 0, PROG_TAG_SIZE);
		return;
	}
	memcpy(copy, insns, n * sizeof(*copy));
	for (i = 0; i < n; i++) {
		if (!in_ld && is_map_ld(&copy[i])) {
			in_ld = true;
			copy[i].imm = 0;
		} else if (in_ld && is_ld_second_half(&copy[i])) {
			in_ld = false;
			copy[i].imm = 0;
		} else {
			in_ld = false;
		}
	}
	sha1_digest(copy, n * sizeof(*copy), d1);
	sha256_digest(copy, n * sizeof(*copy), d256);
	free(copy);
	memcpy(sha1_tag, d1, PROG_TAG_SIZE);
	memcpy(sha256_tag, d256, PROG_TAG_SIZE);
}

bool prog_tag_matches(const struct bpf_insn *insns, size_t n,
		      const uint8_t tag[PROG_TAG_SIZE])
{
	uint8_t t1[PROG_TAG_SIZE], t256[PROG_TAG_SIZE];

	prog_tags(insns, n, t1, t256);
	return !memcmp(tag, t1, PROG_TAG_SIZE) || !memcmp(tag, t256, PROG_TAG_SIZE);
}
