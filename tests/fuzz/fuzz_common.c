/* SPDX-License-Identifier: MIT */
/* Shared by every fuzz target, in libFuzzer and replay builds alike. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errmsg.h"
#include "fuzz.h"

int fuzz_rejected;
char fuzz_reason[512];

void fuzz_contract_failed(const char *fmt, ...)
{
	va_list ap;

	fputs("fuzz: contract broken: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}
