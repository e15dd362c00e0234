/* SPDX-License-Identifier: MIT */
#include "session.h"

#include <stdbool.h>
#include <stdlib.h>

#include "hooks.h"
#include "record.h"

#include "cmd.h"

static struct tc_conn *s_conn;
static struct state s_state;
static bool s_state_open;
static enum state_mode s_mode;
static bool s_many;
static uint32_t *s_release;
static size_t s_nrelease, s_caprelease;

static void note(const char *fmt, va_list ap)
{
	vlogv(fmt, ap);
}

int session_conn(struct tc_conn **out, struct errmsg *err)
{
	int r = s_conn ? 0 : tc_conn_open(&s_conn, err);

	*out = s_conn;
	return r;
}

int session_state(enum state_mode mode, struct state **out, struct errmsg *err)
{
	struct tc_conn *conn;
	int r;

	*out = &s_state;
	if (s_state_open && (s_mode == STATE_WRITE || mode == STATE_READ))
		return 0;
	r = session_conn(&conn, err);
	if (r)
		return r;
	if (s_state_open)
		state_close(&s_state);
	s_state_open = false;
	r = state_open(&s_state, tc_conn_fd(conn), mode, err);
	if (r)
		return r;
	s_state.note = note;
	if (s_many)
		state_list_dir(&s_state);
	s_state_open = true;
	s_mode = mode;
	return 0;
}

int session_open(enum state_mode mode, struct tc_conn **conn, struct state **st,
		 struct errmsg *err)
{
	return session_conn(conn, err) ?: session_state(mode, st, err);
}

void session_many(void)
{
	s_many = true;
	if (s_state_open)
		state_list_dir(&s_state);
}

void session_release_prog(uint32_t id)
{
	size_t i;

	for (i = 0; i < s_nrelease; i++)
		if (s_release[i] == id)
			return;
	if (s_nrelease == s_caprelease) {
		size_t cap = s_caprelease ? 2 * s_caprelease : 8;
		uint32_t *p = realloc(s_release, cap * sizeof(*p));

		if (!p)
			return; /* gc will remove it */
		s_release = p;
		s_caprelease = cap;
	}
	s_release[s_nrelease++] = id;
}

void session_finish(void)
{
	size_t i;

	for (i = 0; s_state_open && i < s_nrelease; i++)
		record_release_prog(&s_state, s_release[i]);
	s_nrelease = 0;
}

void session_close(void)
{
	session_finish();
	hook_scan_forget();
	free(s_release);
	s_release = NULL;
	s_nrelease = s_caprelease = 0;
	if (s_state_open)
		state_close(&s_state);
	s_state_open = false;
	if (s_conn)
		tc_conn_close(s_conn);
	s_conn = NULL;
}
