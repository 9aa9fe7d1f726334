/* auth_apply.h — puts a provider's outbound credentials on one request.
 * Pure: the caller gives the request as it will be sent and the time; the
 * result is the headers to add (and, for api_key in the query, a new URL).
 * No I/O: the oauth2 access token comes from oauth2_token.h, mtls is a
 * client setting (CURLOPT_SSLCERT/SSLKEY), not a header.
 *
 * What each type adds:
 *   api_key  header: "<header>: <prefix><key>"; query: "<query>=<prefix><key>"
 *            appended to the URL (percent-encoded; earlier occurrences of the
 *            parameter are removed, so a client cannot choose the key)
 *   bearer   "Authorization: Bearer <token>"
 *   basic    "Authorization: Basic base64(<username>:<password>)"
 *   oauth2_client_credentials  "Authorization: Bearer <req.token>"
 *   mtls     nothing
 *   hmac     "<timestamp_header>: <ts>" (when configured) and
 *            "<header>: <prefix><signature of the message template>"
 *   aws_sigv4  x-amz-date, x-amz-content-sha256, x-amz-security-token (with a
 *            session token) and Authorization; it signs host, those headers,
 *            content-type and every other x-amz-* header of the request.
 * The caller must drop any header of the request with the same name as one
 * of out->hdrs (rl_auth_out_replaces) before sending: credentials always come
 * from relais, never from the client. */
#ifndef RL_UPSTREAM_AUTH_APPLY_H
#define RL_UPSTREAM_AUTH_APPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "upstream/auth.h"
#include "upstream/client.h"

#define RL_AUTH_MAX_HDRS 4

typedef struct rl_auth_req {
    const char *method;
    size_t method_len;
    const char *url;         /* absolute http(s) URL as it will be sent, NUL-terminated */
    const rl_hdr_t *headers; /* the other headers that will be sent */
    size_t n_headers;
    const char *body; /* the whole body (see rl_auth_needs_body); NULL when none */
    size_t body_len;
    uint64_t now_ms;   /* Unix time in milliseconds (hmac timestamp, x-amz-date) */
    const char *token; /* oauth2_client_credentials: the access token; else unused */
    size_t token_len;
} rl_auth_req_t;

typedef struct rl_auth_out {
    rl_hdr_t hdrs[RL_AUTH_MAX_HDRS]; /* to add; names and values valid until rl_auth_out_free */
    size_t n_hdrs;
    char *url; /* the URL to use instead of req.url, or NULL to keep it */
    char *mem[2 * RL_AUTH_MAX_HDRS + 1];
    size_t n_mem;
} rl_auth_out_t;

/* True when `a` signs the body (hmac with {body} or {body_sha256}, and
 * aws_sigv4): the caller must then have the whole request body before
 * calling rl_auth_apply. */
bool rl_auth_needs_body(const rl_auth_cfg_t *a);

/* Computes the credentials of `a` for request `r` into `out` (which the
 * caller need not initialise). Returns 0, or a negative RL_E… with `err`
 * set: -RL_EINTERNAL when a credential is missing (the provider should have
 * been in mock mode), when an oauth2 request comes without a token, or on a
 * URL that is not absolute http(s). Messages never contain a credential.
 * In every case the caller calls rl_auth_out_free(out) afterwards. */
int rl_auth_apply(const rl_auth_cfg_t *a, const rl_auth_req_t *r, rl_auth_out_t *out, rl_err_t *err);

/* True when out->hdrs has a header named `name` (case-insensitive). */
bool rl_auth_out_replaces(const rl_auth_out_t *out, const char *name, size_t len);

/* Frees what `out` holds (wiping credential bytes) and empties it. */
void rl_auth_out_free(rl_auth_out_t *out);

#endif
