/* hex.h — bytes as lower-case hexadecimal, for digests shown in headers,
 * signatures, cache keys and the audit trail. */
#ifndef RL_CORE_HEX_H
#define RL_CORE_HEX_H

#include <stddef.h>

/* Writes the n bytes at `in` as 2n lower-case hex digits into out (no NUL)
 * and returns 2n. */
size_t rl_hex_encode(const void *in, size_t n, char *out);

#endif
