/* h1_response.h — a pure, incremental HTTP/1.x response parser: fed byte
 * chunks, it hands back events (head, body slices, done) and never does I/O.
 * client_h1.c drives it from its read callback; the essay on states and
 * framing rules is at the top of h1_response.c. */
#ifndef RL_UPSTREAM_H1_RESPONSE_H
#define RL_UPSTREAM_H1_RESPONSE_H

#include <stddef.h>
#include <stdint.h>

#include "upstream/client.h"

#define RL_H1_MAX_HEAD (64 * 1024)     /* status line + header lines + blank line */
#define RL_H1_MAX_HEADERS 128          /* header fields in one head */
#define RL_H1_MAX_CHUNK_LINE 4096      /* chunk-size line, extensions included */
#define RL_H1_MAX_TRAILERS (64 * 1024) /* trailer section, skipped */
#define RL_H1_MAX_INTERIM 16           /* 1xx heads before the final one */

typedef enum rl_h1_ev {
    RL_H1_NEED_MORE = 0, /* every byte given was consumed; feed more */
    RL_H1_HEAD,          /* the final head: status, reason, hdrs are valid until the next call */
    RL_H1_BODY,          /* a body slice (a pointer into the input just consumed) */
    RL_H1_DONE,          /* the response is complete; bytes after `used` are not part of it */
    RL_H1_ERROR          /* malformed or over a limit; `error` says why. Final. */
} rl_h1_ev_t;

typedef struct rl_h1_resp {
    /* Results, read-only for the caller. */
    int status;         /* after RL_H1_HEAD */
    int minor;          /* HTTP/1.<minor> */
    const char *reason; /* after RL_H1_HEAD, until the next call */
    size_t reason_len;
    rl_hdr_t hdrs[RL_H1_MAX_HEADERS]; /* after RL_H1_HEAD, until the next call */
    size_t n_hdrs;
    const char *error; /* after RL_H1_ERROR: a static string */
    /* Private. */
    int state;
    unsigned is_head : 1, keep_alive : 1, conn_close : 1, may_reuse : 1, line_cr : 1;
    uint64_t remaining; /* body bytes left: Content-Length or current chunk */
    size_t line_len;    /* bytes of the current head / chunk-size / trailer line */
    size_t total;       /* bytes of the head or trailer section so far */
    unsigned n_digits, n_interim;
    char *buf; /* a head split over several inputs is gathered here */
    size_t buf_len, buf_cap;
} rl_h1_resp_t;

/* Prepares `p` for the response to a request; `is_head` when the request was
 * HEAD (the response then has no body, whatever its headers say). Keeps the
 * gathering buffer of a previous use. Call before the first feed and before
 * each new response on the same connection. */
void rl_h1_resp_reset(rl_h1_resp_t *p, int is_head);

/* Consumes input up to the next event. `in`/`len`: the bytes that arrived
 * (len may be 0, e.g. to collect RL_H1_DONE right after a head without a
 * body). *used: bytes consumed (the caller passes the rest in the next call).
 * For RL_H1_BODY, *body and *body_len give the slice, which ends at in + *used.
 * Allocates only when a head is split across inputs (at most RL_H1_MAX_HEAD).
 * After RL_H1_DONE or RL_H1_ERROR every call returns the same event. */
rl_h1_ev_t rl_h1_resp_feed(rl_h1_resp_t *p, const char *in, size_t len, size_t *used, const char **body,
                           size_t *body_len);

/* The peer closed the connection: RL_H1_DONE when that ends a body read
 * until close (or the response was already done), RL_H1_ERROR otherwise. */
rl_h1_ev_t rl_h1_resp_eof(rl_h1_resp_t *p);

/* After RL_H1_DONE: whether the connection may carry another exchange
 * (HTTP/1.1 without "Connection: close", or 1.0 with keep-alive, and a body
 * whose end was framed, not marked by a close). */
int rl_h1_resp_reusable(const rl_h1_resp_t *p);

/* Frees the gathering buffer. `p` may be reset and used again. */
void rl_h1_resp_free(rl_h1_resp_t *p);

#endif
