/* err.h — the one table of errors relais produces itself.
 * Each row gives the enum name, the stable envelope code (DESIGN §3) and the
 * HTTP status. Rows are only ever appended: codes are never renumbered. */
#ifndef RL_CORE_ERR_H
#define RL_CORE_ERR_H

#include <stddef.h>

#define RL_ERR_MAP(XX)                                                                                       \
    XX(BAD_REQUEST, "bad_request", 400)                                                                      \
    XX(INVALID_CURSOR, "invalid_cursor", 400)                                                                \
    XX(INVALID_FIELDS, "invalid_fields", 400)                                                                \
    XX(UNAUTHORIZED, "unauthorized", 401)                                                                    \
    XX(FORBIDDEN, "forbidden", 403)                                                                          \
    XX(NOT_FOUND, "not_found", 404)                                                                          \
    XX(METHOD_NOT_ALLOWED, "method_not_allowed", 405)                                                        \
    XX(PRECONDITION_FAILED, "precondition_failed", 412)                                                      \
    XX(PAYLOAD_TOO_LARGE, "payload_too_large", 413)                                                          \
    XX(HEADERS_TOO_LARGE, "headers_too_large", 431)                                                          \
    XX(RATE_LIMITED, "rate_limited", 429)                                                                    \
    XX(QUOTA_EXCEEDED, "quota_exceeded", 429)                                                                \
    XX(INTERNAL, "internal", 500)                                                                            \
    XX(UPSTREAM_ERROR, "upstream_error", 502)                                                                \
    XX(ALL_PROVIDERS_FAILED, "all_providers_failed", 502)                                                    \
    XX(CIRCUIT_OPEN, "circuit_open", 503)                                                                    \
    XX(SHARED_STATE_UNAVAILABLE, "shared_state_unavailable", 503)                                            \
    XX(UPSTREAM_TIMEOUT, "upstream_timeout", 504)                                                            \
    XX(GONE, "gone", 410)                                                                                    \
    XX(AUDIT_UNAVAILABLE, "audit_unavailable", 503)

/* Negative so that functions can return 0 for success and -RL_E… never
 * collides with a count. RL_EOK is 0. */
typedef enum rl_errcode {
    RL_EOK = 0,
#define RL_ERR_ENUM(name, code, status) RL_E##name,
    RL_ERR_MAP(RL_ERR_ENUM)
#undef RL_ERR_ENUM
        RL_E__COUNT
} rl_errcode_t;

/* Detail for a failed call: a message meant for the person who reads the
 * log or the error envelope. Never holds a secret. */
typedef struct rl_err {
    rl_errcode_t code;
    char msg[256];
} rl_err_t;

/* The envelope code ("rate_limited") of `code`; "internal" if unknown. */
const char *rl_err_name(rl_errcode_t code);

/* The HTTP status of `code`; 500 if unknown. */
int rl_err_status(rl_errcode_t code);

/* Fills `err` (if not NULL) with `code` and a printf-style message; returns
 * -(int)code so that callers can write `return rl_err_set(err, …);`. */
int rl_err_set(rl_err_t *err, rl_errcode_t code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
