/* mock_attempt.h — one attempt answered by mock fixtures instead of the
 * provider (mock mode). It behaves like a real attempt for the chain
 * (upstream/chain.h): fault injection may delay it or turn it into a 503,
 * which the chain retries or falls back from like a real failure. A
 * committed answer carries X-Relais-Mode: mock and goes through the
 * RESPONSE phase (policy/response.h); SSE fixtures stream their events at
 * their interval. */
#ifndef RL_UPSTREAM_MOCK_ATTEMPT_H
#define RL_UPSTREAM_MOCK_ATTEMPT_H

#include "http/request.h"
#include "upstream/mock.h"

typedef struct rl_mock_attempt rl_mock_attempt_t;

/* Answers r from `set` for the provider path `path` (no query). `counter`
 * numbers the provider's mocked requests (fault injection). */
void rl_mock_attempt_start(rl_request_t *r, const rl_mock_set_t *set, const rl_mock_fault_cfg_t *fault,
                           uint64_t counter, const char *path, size_t path_len);

/* The request is being disposed: stop timers, send nothing more. */
void rl_mock_attempt_detach(rl_mock_attempt_t *m);

#endif
