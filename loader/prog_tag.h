/* SPDX-License-Identifier: MIT */
/* The tag the kernel gives a program (bpf_prog_info.tag, what `tc filter
 * show` and `bpftool prog` print), computed before loading it.
 *
 * The kernel hashes the instructions as they were sent, with the
 * immediates of map references (both halves of a ld_imm64 whose source is
 * a map fd or a map value) cleared, and keeps the first 8 bytes of the
 * digest: SHA-1 up to Linux 6.17, SHA-256 since 6.18 (which keeps the
 * whole digest for signed programs). So a program already in the kernel
 * can be recognised as "the same instructions" without loading a copy to
 * compare: the load, and the verifier's work, are saved. */
#ifndef TCSTEER_LOADER_PROG_TAG_H
#define TCSTEER_LOADER_PROG_TAG_H

#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROG_TAG_SIZE 8

/* Both candidate tags of insns[0..n): the SHA-1 and the SHA-256 kind. */
void prog_tags(const struct bpf_insn *insns, size_t n, uint8_t sha1_tag[PROG_TAG_SIZE],
	       uint8_t sha256_tag[PROG_TAG_SIZE]);

/* Is tag (from the kernel) the tag of insns[0..n) on any kernel? */
bool prog_tag_matches(const struct bpf_insn *insns, size_t n,
		      const uint8_t tag[PROG_TAG_SIZE]);

/* The digests themselves (FIPS 180-4), for the tests. */
void sha1_digest(const void *data, size_t len, uint8_t out[20]);
void sha256_digest(const void *data, size_t len, uint8_t out[32]);

#endif
