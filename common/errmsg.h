/* SPDX-License-Identifier: MIT */
/* One-line error messages carried from where a failure is understood to the
 * place that prints it. Every library function that can fail takes a
 * struct errmsg * and returns a negative errno on failure. */
#ifndef TCSTEER_ERRMSG_H
#define TCSTEER_ERRMSG_H

#include <stddef.h>

struct errmsg {
	int code;        /* positive errno of the failure, 0 if none */
	char text[512];  /* one line, no trailing newline */
};

/* Record a failure and return -code (code is taken as a positive errno;
 * a negative one is accepted too). A NULL e is allowed. */
int errmsg_set(struct errmsg *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefix the existing message with more context: "context: old text". */
int errmsg_prefix(struct errmsg *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void errmsg_clear(struct errmsg *e);

#endif
