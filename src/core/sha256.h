/* sha256.h — SHA-256 for the request path (API key secrets, audit bodies and
 * the audit hash chain), through OpenSSL with the algorithm fetched once:
 * it uses the CPU's SHA extensions, four times faster than libsodium's
 * portable code, and without the per-call lookup of OpenSSL's one-shot
 * SHA256(). Thread-safe (one context per thread). */
#ifndef RL_CORE_SHA256_H
#define RL_CORE_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define RL_SHA256_LEN 32

/* out = SHA-256(p[0..len)); p may be NULL when len is 0. */
void rl_sha256(const void *p, size_t len, uint8_t out[RL_SHA256_LEN]);

#endif
