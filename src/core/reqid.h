/* reqid.h — request ids: accept a client's X-Request-Id when it is sane,
 * else generate a UUIDv7 (time-ordered, so ids sort like the log). Pure:
 * the clock and the random bits are parameters. */
#ifndef RL_CORE_REQID_H
#define RL_CORE_REQID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RL_REQID_MAX 128
#define RL_REQID_UUID_LEN 36

/* True when `s` is 1..128 bytes of [A-Za-z0-9._-]. */
bool rl_reqid_is_sane(const char *s, size_t len);

/* Writes a UUIDv7 from the Unix time `now_ms` and 74 random bits taken from
 * `rand_hi`/`rand_lo` into out (≥ 37 bytes, NUL-terminated). Returns 36. */
size_t rl_reqid_uuid7(char *out, uint64_t now_ms, uint64_t rand_hi, uint64_t rand_lo);

/* A small, fast per-thread PRNG (xoshiro256**). Not for secrets. */
typedef struct rl_rng {
    uint64_t s[4];
} rl_rng_t;

/* Seeds from `seed` (splitmix64 expansion). */
void rl_rng_seed(rl_rng_t *r, uint64_t seed);
uint64_t rl_rng_next(rl_rng_t *r);

#endif
