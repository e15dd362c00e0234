/* SPDX-License-Identifier: MIT */
/* The two clsact hooks tcsteer attaches to, as the state and the CLI name
 * them. */
#ifndef TCSTEER_STATE_HOOK_H
#define TCSTEER_STATE_HOOK_H

enum hook { HOOK_EGRESS, HOOK_INGRESS };

static inline const char *hook_name(enum hook h)
{
	return h == HOOK_INGRESS ? "ingress" : "egress";
}

#endif
