/* SPDX-License-Identifier: MIT */
/* What every command of one tcsteer process shares: one netlink socket and
 * this network namespace's state, opened once (a batch of a thousand lines
 * opens them once) and closed at exit. */
#ifndef TCSTEER_CLI_SESSION_H
#define TCSTEER_CLI_SESSION_H

#include <stdint.h>

#include "state.h"
#include "tc.h"

/* The process's NETLINK_ROUTE socket. */
int session_conn(struct tc_conn **out, struct errmsg *err);

/* This namespace's state. STATE_WRITE takes the namespace lock, held until
 * the process ends; asked for after STATE_READ, the state is opened again
 * under the lock. */
int session_state(enum state_mode mode, struct state **out, struct errmsg *err);

/* Both at once, for the commands that need the kernel and the state. */
int session_open(enum state_mode mode, struct tc_conn **conn, struct state **st,
		 struct errmsg *err);

/* Unpin what was kept for program id (its tail-call tables) when the
 * process ends, unless a record names it then: a batch that rolls back may
 * put the program back. */
void session_release_prog(uint32_t id);

/* Releases what was asked for, then closes the state and the socket. */
void session_close(void);

#endif
