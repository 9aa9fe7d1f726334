/* record.h — record mode: real exchanges written as mock fixtures
 * (upstream/mock.h rl_mock_record, credentials redacted) into the
 * provider's mock.dir, so that a later run in mock mode answers like the
 * provider did. On with `mock: {record: true}` per provider, or for every
 * real-mode provider with `relais record` (then into mocks/NAME when the
 * provider has no mock.dir). Files are written off the worker loop. */
#ifndef RL_UPSTREAM_RECORD_H
#define RL_UPSTREAM_RECORD_H

#include <stdbool.h>

#include "http/request.h"

#define RL_RECORD_MAX_BODY (1u << 20) /* longer answers are not recorded */

typedef struct rl_recorder rl_recorder_t;

/* `relais record`: every real-mode provider records. */
void rl_record_all(bool on);

/* Starts capturing r's exchange with `p`, whose path (no query) is `path`;
 * NULL when `p` does not record. */
rl_recorder_t *rl_record_begin(rl_request_t *r, const rl_provider_cfg_t *p, h2o_iovec_t path);
void rl_record_head(rl_recorder_t *rec, int status, const rl_hdr_t *hdrs, size_t n);
void rl_record_body(rl_recorder_t *rec, const char *p, size_t n);

/* The exchange ended: when ok, the fixture is written (in the background).
 * Frees rec in every case. */
void rl_record_end(rl_recorder_t *rec, rl_request_t *r, bool ok);

#endif
