/* SPDX-License-Identifier: MIT */
/* What a fuzz target shares with the replay driver (replay.c).
 *
 * Each target is one file defining LLVMFuzzerTestOneInput. Built with
 * -fsanitize=fuzzer it is a libFuzzer binary; linked with replay.c instead it
 * runs a fixed list of inputs (corpus, malformed objects, regressions) in any
 * build, gcc included, so every crash once found stays a test. */
#ifndef TCSTEER_FUZZ_H
#define TCSTEER_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Set by the target for the input it just ran: whether the parser refused
 * it, and its one-line reason (empty when accepted). */
extern int fuzz_rejected;
extern char fuzz_reason[512];

/* A broken contract that is not a memory error (an error without a
 * message, a message of two lines, ...): print it and abort, so libFuzzer
 * keeps the input as a crash. */
void fuzz_contract_failed(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));

#endif
