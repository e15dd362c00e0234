/* SPDX-License-Identifier: MIT */
#include "json.h"

#include <inttypes.h>
#include <stdlib.h>

void json_init(struct json *j, FILE *out)
{
	j->out = out;
	j->buf = NULL;
	j->len = 0;
	j->f = open_memstream(&j->buf, &j->len);
	if (!j->f)
		j->f = out; /* no memory: stream it, as before */
	j->depth = 0;
	j->need_comma[0] = false;
}

void json_done(struct json *j, bool emit)
{
	if (j->f != j->out) {
		fclose(j->f);
		if (emit && j->buf)
			fwrite(j->buf, 1, j->len, j->out);
		free(j->buf);
	}
	j->f = j->out;
	j->buf = NULL;
	j->len = 0;
}

/* Every value (and key) is preceded by a comma unless it opens its
 * container; a value right after a key never is. */
static void json_sep(struct json *j)
{
	if (j->need_comma[j->depth])
		fputc(',', j->f);
	j->need_comma[j->depth] = true;
}

static void json_push(struct json *j, char c)
{
	json_sep(j);
	fputc(c, j->f);
	if (j->depth < (int)(sizeof(j->need_comma) - 1))
		j->depth++;
	j->need_comma[j->depth] = false;
}

static void json_pop(struct json *j, char c)
{
	if (j->depth > 0)
		j->depth--;
	fputc(c, j->f);
	if (j->depth == 0)
		fputc('\n', j->f);
}

void json_open_array(struct json *j) { json_push(j, '['); }
void json_close_array(struct json *j) { json_pop(j, ']'); }
void json_open_object(struct json *j) { json_push(j, '{'); }
void json_close_object(struct json *j) { json_pop(j, '}'); }

static void json_raw_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void json_key(struct json *j, const char *key)
{
	json_sep(j);
	json_raw_string(j->f, key);
	fputc(':', j->f);
	j->need_comma[j->depth] = false; /* the value follows without a comma */
}

void json_string(struct json *j, const char *s)
{
	json_sep(j);
	json_raw_string(j->f, s);
}

void json_uint(struct json *j, uint64_t v)
{
	json_sep(j);
	fprintf(j->f, "%" PRIu64, v);
}

void json_bool(struct json *j, bool v)
{
	json_sep(j);
	fputs(v ? "true" : "false", j->f);
}

void json_kv_string(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	json_string(j, s);
}

void json_kv_uint(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	json_uint(j, v);
}

void json_kv_bool(struct json *j, const char *key, bool v)
{
	json_key(j, key);
	json_bool(j, v);
}
