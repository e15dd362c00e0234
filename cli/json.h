/* SPDX-License-Identifier: MIT */
/* A tiny JSON writer for -j output: enough for arrays of flat objects,
 * with correct string escaping and commas. The document is built in memory
 * and written out by json_done() only if the command succeeded: with -j,
 * stdout holds a whole document or nothing (the error is the usual one
 * line on stderr, as iproute2 does it). */
#ifndef TCSTEER_CLI_JSON_H
#define TCSTEER_CLI_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct json {
	FILE *f;                /* the document so far (in memory) */
	FILE *out;              /* where json_done() writes it */
	char *buf;
	size_t len;
	int depth;
	bool need_comma[16];
};

/* Start a document for out. Until json_done(), nothing reaches out. */
void json_init(struct json *j, FILE *out);
/* Write the document to out if emit, then free it. */
void json_done(struct json *j, bool emit);
void json_open_array(struct json *j);
void json_close_array(struct json *j);
void json_open_object(struct json *j);
void json_close_object(struct json *j);
/* The key of the next member (inside an object). */
void json_key(struct json *j, const char *key);
void json_string(struct json *j, const char *s);
void json_uint(struct json *j, uint64_t v);
void json_bool(struct json *j, bool v);

/* key + value in one call. */
void json_kv_string(struct json *j, const char *key, const char *s);
void json_kv_uint(struct json *j, const char *key, uint64_t v);
void json_kv_bool(struct json *j, const char *key, bool v);

#endif
