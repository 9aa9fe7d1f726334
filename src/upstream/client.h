/* client.h — the outbound HTTP client interface, one client per worker loop.
 * A transfer streams its response through callbacks: head once, body in
 * pieces (the receiver may refuse a piece to apply backpressure), done once.
 * client.c dispatches by URL: plain http:// goes to client_h1.c (HTTP/1.1 on
 * libuv, its own keep-alive pool), anything else to client_curl.c (libcurl:
 * TLS, HTTP/2). Both behave as described here. */
#ifndef RL_UPSTREAM_CLIENT_H
#define RL_UPSTREAM_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "core/err.h"

typedef struct rl_client rl_client_t;
typedef struct rl_xfer rl_xfer_t;

typedef struct rl_hdr {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
} rl_hdr_t;

typedef struct rl_xfer_req {
    const char *url; /* absolute, NUL-terminated */
    const char *method;
    size_t method_len;
    const rl_hdr_t *headers; /* sent as given (no Host: the URL's is used) */
    size_t n_headers;
    const char *body; /* must stay valid until on_done or rl_xfer_cancel */
    size_t body_len;
    int has_body; /* send a body (possibly empty) */
    uint64_t connect_timeout_ms;
    uint64_t total_timeout_ms;
    /* The request may be sent again, once, on a fresh connection when a
     * reused keep-alive connection dies before any response byte. Only safe
     * for idempotent requests: a server that crashed after acting on a POST
     * must not see it twice. */
    int may_replay;
    /* TLS client certificate and key files (PEM) for mutual TLS, or NULL.
     * Only https:// (libcurl) transfers use them. */
    const char *tls_cert, *tls_key;
} rl_xfer_req_t;

enum { RL_XFER_CONTINUE = 0, RL_XFER_PAUSE = 1, RL_XFER_ABORT = 2 };

typedef struct rl_xfer_cbs {
    /* The final status and headers (1xx interim responses are skipped). The
     * arrays are valid only during the call. Return RL_XFER_CONTINUE or
     * RL_XFER_ABORT. */
    int (*on_head)(void *ud, int status, const char *reason, size_t reason_len, const rl_hdr_t *hdrs,
                   size_t n);
    /* A piece of the body. RL_XFER_PAUSE means the piece was NOT taken: the
     * same bytes come again after rl_xfer_resume. RL_XFER_ABORT (here or from
     * on_head) ends the transfer: its connection is closed and on_done
     * follows with RL_EUPSTREAM_ERROR. */
    int (*on_body)(void *ud, const char *p, size_t n);
    /* The end: RL_EOK, RL_EUPSTREAM_ERROR (refused, reset, bad response) or
     * RL_EUPSTREAM_TIMEOUT, with a short reason. The transfer is gone after
     * this returns. Never called after rl_xfer_cancel. */
    void (*on_done)(void *ud, rl_errcode_t code, const char *detail);
} rl_xfer_cbs_t;

/* A client on `loop`. Connections are pooled per client (keep-alive).
 * Returns NULL on failure. Freed by rl_client_free (after every transfer
 * ended or was cancelled), which closes its handles on the loop; the memory
 * goes in their close callbacks, so run the loop once more afterwards. */
rl_client_t *rl_client_new(uv_loop_t *loop);
void rl_client_free(rl_client_t *c);

/* Tunes the keep-alive pool of plain http:// connections: at most
 * `max_idle_per_host` idle connections per host:port (0: none kept), each
 * closed once unused for `idle_timeout_ms`. Defaults: 256 and 60 s. An idle
 * connection that the server closes (or writes to) is dropped at once. */
void rl_client_set_pool(rl_client_t *c, size_t max_idle_per_host, uint64_t idle_timeout_ms);

/* Starts a transfer; callbacks run on the client's loop, never from inside
 * this call. Returns 0 and *out, or a negative RL_E… (then no callback). */
int rl_xfer_start(rl_client_t *c, const rl_xfer_req_t *req, const rl_xfer_cbs_t *cbs, void *ud,
                  rl_xfer_t **out);

/* Resumes a transfer paused by on_body. The refused piece may be delivered
 * again from inside this call. */
void rl_xfer_resume(rl_xfer_t *x);

/* Ends a transfer early; no callback is called after this. Safe to call
 * from inside one of the transfer's own callbacks. */
void rl_xfer_cancel(rl_xfer_t *x);

#endif
