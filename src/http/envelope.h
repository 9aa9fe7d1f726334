/* envelope.h — the JSON envelope of DESIGN §3 for every answer relais makes
 * itself: {"success":false,"error":{code,message,request_id[,details]}} and
 * {"success":true,"data":…}. */
#ifndef RL_HTTP_ENVELOPE_H
#define RL_HTTP_ENVELOPE_H

#include <stddef.h>

#include "core/err.h"
#include "http/request.h"

/* Room enough for any envelope without details (message ≤ 512 bytes). */
#define RL_ENVELOPE_SMALL 4096

/* Writes the error envelope into `out` (cap bytes). `details_json` is an
 * already-encoded JSON object or NULL. Returns the length, or the length it
 * would need (like snprintf) when cap is too small. Pure. */
size_t rl_envelope_error(char *out, size_t cap, rl_errcode_t code, const char *message,
                         const char *request_id, size_t request_id_len, const char *details_json);

/* Sets the headers of an envelope response of `len` bytes on r: JSON
 * content type, nosniff, no-store, X-Request-Id and Content-Length. */
void rl_envelope_set_headers(rl_request_t *r, size_t len);

/* Answers r with status rl_err_status(code) and the error envelope; the
 * message is printf-style and must hold no secret. On a rate-limited route
 * before the LIMIT step the answer also carries the rate-limit headers, and
 * with a network shared-state backend it leaves after the call returns
 * (policy/ratelimit.h: rl_ratelimit_before_error); either way the caller
 * just returns. */
void rl_respond_error(rl_request_t *r, rl_errcode_t code, const char *details_json, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Answers r with `status` and {"success":true,"data":<data_json>}. */
void rl_respond_data(rl_request_t *r, int status, const char *data_json);

/* The reason phrase of `status` ("Too Many Requests"), or a generic one. */
const char *rl_reason_phrase(int status);

#endif
