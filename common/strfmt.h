/* SPDX-License-Identifier: MIT */
/* snprintf that says when it had to cut: for paths and names, where a cut
 * string would name something else. */
#ifndef TCSTEER_STRFMT_H
#define TCSTEER_STRFMT_H

#include <stddef.h>

/* 0, or -ENAMETOOLONG (out then holds the cut string). */
int strfmt(char *out, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
