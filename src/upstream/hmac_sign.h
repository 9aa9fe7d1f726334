/* hmac_sign.h — `auth: {type: hmac}`: the message template and the HMAC
 * signature over it. Pure (OpenSSL HMAC, no I/O), used by auth_apply.c.
 *
 * A template is text with placeholders, e.g. "{method}\n{path}\n{timestamp}\n{body}":
 *   {method}       the request method as sent ("POST")
 *   {path}         the upstream path, as on the wire, without the query
 *   {query}        the query string without '?', as on the wire ("" if none)
 *   {timestamp}    the time of signing (Unix seconds, or ms: timestamp_format)
 *   {body}         the request body, raw bytes
 *   {body_sha256}  lower-case hex SHA-256 of the body
 * "{{" and "}}" stand for literal braces. Anything else in braces, an
 * unclosed brace or a lone "}" is an error, as is a template of more than
 * RL_TMPL_MAX_PARTS parts. (A YAML double-quoted "\n" is a newline by the
 * time the template sees it.) */
#ifndef RL_UPSTREAM_HMAC_SIGN_H
#define RL_UPSTREAM_HMAC_SIGN_H

#include <stddef.h>

#include "upstream/auth.h"

/* Room for any encoded signature: SHA-512 in hex (128) or base64 (88) + NUL. */
#define RL_HMAC_SIG_MAX 132

/* Parses template `s` (`len` bytes, may hold NUL bytes) into `out`. Returns
 * 0, or -1 with a reason in `why` (never quoting more than a placeholder's
 * name) and `out` left empty. The caller frees `out` with rl_hmac_tmpl_free
 * in both cases. */
int rl_hmac_tmpl_parse(const char *s, size_t len, rl_hmac_tmpl_t *out, char *why, size_t why_cap);

/* Frees what `t` owns and zeroes it. */
void rl_hmac_tmpl_free(rl_hmac_tmpl_t *t);

/* The values a template is rendered with; every pointer may be NULL when its
 * length is 0. `timestamp` is the decimal text also sent in
 * timestamp_header. */
typedef struct rl_hmac_vars {
    const char *method, *path, *query, *timestamp, *body;
    size_t method_len, path_len, query_len, timestamp_len, body_len;
} rl_hmac_vars_t;

/* Renders `t` with `v` into a malloc'd buffer (*out, NUL-terminated,
 * *out_len bytes without the NUL; the caller frees it). Returns 0, or -1 on
 * allocation failure. */
int rl_hmac_render(const rl_hmac_tmpl_t *t, const rl_hmac_vars_t *v, char **out, size_t *out_len);

/* HMAC-`alg` of `msg` under `key`, encoded as `enc` (lower-case hex, or
 * standard base64 with padding) into `out` (NUL-terminated; `cap` ≥
 * RL_HMAC_SIG_MAX is always enough). Returns the length written, or -1. */
int rl_hmac_sign(rl_hmac_alg_t alg, rl_hmac_enc_t enc, const char *key, size_t key_len, const char *msg,
                 size_t msg_len, char *out, size_t cap);

#endif
