/* base62.h — the alphabet 0-9A-Za-z used by API keys (rk_<id>_<secret>):
 * no punctuation, so a key survives copy-paste, URLs and shell quoting, and
 * '_' can separate its parts. Encoding treats the bytes as one big-endian
 * number (leading zero bytes become leading '0's, as in base58). */
#ifndef RL_CORE_BASE62_H
#define RL_CORE_BASE62_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The most characters rl_base62_encode writes for `len` bytes (+1 for NUL). */
#define RL_BASE62_ENCODED_MAX(len) ((len)*138 / 100 + 2)

/* True when s[0..len) is non-empty and only base62 characters. */
bool rl_base62_valid(const char *s, size_t len);

/* Encodes `len` bytes into `out` (cap bytes, NUL-terminated). Returns the
 * length written, or -1 if cap is too small. len ≤ 256. */
int rl_base62_encode(const uint8_t *in, size_t len, char *out, size_t cap);

/* Decodes base62 text into `out` (cap bytes). Returns the number of bytes,
 * or -1 on a character outside the alphabet, or when it does not fit. */
int rl_base62_decode(const char *s, size_t len, uint8_t *out, size_t cap);

/* Writes `n` uniformly random base62 characters (libsodium's CSPRNG) and a
 * NUL into out (n + 1 bytes). */
void rl_base62_random(char *out, size_t n);

#endif
