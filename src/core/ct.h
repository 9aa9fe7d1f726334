/* ct.h — constant-time comparison of secrets (admin token, later API keys). */
#ifndef RL_CORE_CT_H
#define RL_CORE_CT_H

#include <stdbool.h>
#include <stddef.h>

/* True when a == b. Both sides are hashed (SHA-256) first, so the time taken
 * depends on neither their contents nor which of them is longer. */
bool rl_ct_equal(const char *a, size_t alen, const char *b, size_t blen);

#endif
