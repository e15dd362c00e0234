/* SPDX-License-Identifier: MIT */
#include "errmsg.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int errmsg_set(struct errmsg *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (code < 0)
		code = -code;
	if (!e)
		return -code;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->text, sizeof(e->text), fmt, ap);
	va_end(ap);
	return -code;
}

int errmsg_prefix(struct errmsg *e, const char *fmt, ...)
{
	char joined[2 * sizeof(e->text) + 2];
	size_t n;
	va_list ap;

	if (!e)
		return -1;
	va_start(ap, fmt);
	vsnprintf(joined, sizeof(e->text), fmt, ap);
	va_end(ap);
	n = strlen(joined);
	memcpy(joined + n, ": ", 2);
	memcpy(joined + n + 2, e->text, sizeof(e->text));
	/* Keep the head of the line: it names what failed. */
	memcpy(e->text, joined, sizeof(e->text) - 1);
	e->text[sizeof(e->text) - 1] = '\0';
	return e->code ? -e->code : -1;
}

void errmsg_clear(struct errmsg *e)
{
	if (e) {
		e->code = 0;
		e->text[0] = '\0';
	}
}
