/* SPDX-License-Identifier: MIT */
/* Embeds the steering program's object file (TCSTEER_EMBED_FILE, set by
 * prog/CMakeLists.txt) as tcsteer_embedded_obj[], with its length in
 * tcsteer_embedded_obj_size; see embedded.h. */

	.section .rodata
	/* ELF headers hold 8-byte fields: let the parser read them in place. */
	.balign 8
	.globl tcsteer_embedded_obj
	.type tcsteer_embedded_obj, @object
tcsteer_embedded_obj:
	.incbin TCSTEER_EMBED_FILE
.Lobj_end:
	.size tcsteer_embedded_obj, .Lobj_end - tcsteer_embedded_obj

	.balign 8
	.globl tcsteer_embedded_obj_size
	.type tcsteer_embedded_obj_size, @object
tcsteer_embedded_obj_size:
#if __SIZEOF_LONG__ == 8
	.quad .Lobj_end - tcsteer_embedded_obj
#else
	.long .Lobj_end - tcsteer_embedded_obj
#endif
	.size tcsteer_embedded_obj_size, . - tcsteer_embedded_obj_size

	/* No executable stack for whatever links this in. */
	.section .note.GNU-stack, "", @progbits
