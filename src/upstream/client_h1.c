/* client_h1.c — the client.h backend for plain http:// URLs: HTTP/1.1 on the
 * worker's uv loop, with a keep-alive pool per host:port. It exists to be
 * cheap per request: one uv_write of [head, body], reads straight into one
 * shared buffer, a parser that hands out slices of it, and sockets that stay
 * registered (under uv_read_start) from connect to close, idle or not. */
#include "upstream/backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "upstream/h1_request.h"
#include "upstream/h1_response.h"

#define RBUF_SIZE (64 * 1024)      /* one read; shared by all connections */
#define MAX_FREE_XFERS 64          /* recycled transfer structs kept */
#define MAX_REQ_HEAD (1024 * 1024) /* a request head past this is refused */
#define KEEP_HEAD_BUF (64 * 1024)  /* a recycled transfer keeps a head buffer up to this */
#define DEFAULT_IDLE_PER_HOST 256
#define DEFAULT_IDLE_TIMEOUT_MS 60000

typedef struct h1_client h1_client_t;
typedef struct h1_host h1_host_t;
typedef struct h1_conn h1_conn_t;
typedef struct h1_xfer h1_xfer_t;
typedef struct h1_resolve h1_resolve_t;

/* Who owns what. The client owns its hosts (freed by h1_close) and counts
 * every handle it opened (connections, transfer timers, the sweep timer)
 * and every pending name resolution in `handles`; each is released in its
 * close or completion callback, and the client itself once the count is
 * zero after h1_close. A connection is owned by its host's idle list or by
 * the transfer using it; a transfer by its caller until on_done or cancel,
 * then by the free list. */
struct h1_client {
    uv_loop_t *loop;
    h1_host_t *hosts;
    h1_xfer_t *free_xfers; /* linked by next */
    size_t n_free;
    size_t handles;
    size_t n_idle; /* idle connections, all hosts */
    size_t max_idle_per_host;
    uint64_t idle_timeout_ms;
    uv_timer_t sweep; /* closes connections idle too long; runs while any is idle */
    unsigned closing : 1;
    /* Reads land here. A read is consumed before the next one can start, so
     * one buffer serves every connection; a paused transfer copies what it
     * has not taken into its connection's stash. */
    char rbuf[RBUF_SIZE];
};

struct h1_host {
    h1_host_t *next;
    h1_conn_t *idle; /* most recently used first */
    size_t n_idle;
    uint16_t port;
    int numeric; /* an IP literal: addr is ready, no resolution */
    struct sockaddr_storage addr;
    size_t name_len;
    char name[]; /* NUL-terminated, for getaddrinfo */
};

enum { K_CONNECTING, K_ACTIVE, K_IDLE, K_CLOSING };

struct h1_conn {
    uv_tcp_t tcp;
    uv_connect_t creq;
    uv_write_t wreq;
    h1_client_t *c;
    h1_host_t *host;
    h1_conn_t *prev, *next; /* idle list */
    h1_xfer_t *x;           /* the exchange on this connection, if any */
    rl_h1_resp_t resp;
    uint64_t idle_since;
    int state;
    unsigned reading : 1, writing : 1, reused : 1, got_bytes : 1, in_stash : 1;
    /* While the transfer is paused: the bytes it did not take, copied out of
     * rbuf. stash_body bytes at stash_off are the refused body slice; the
     * rest has not been parsed yet. */
    char *stash;
    size_t stash_off, stash_len, stash_body;
};

/* A getaddrinfo in flight; outlives its transfer if that gives up first. */
struct h1_resolve {
    uv_getaddrinfo_t req;
    h1_client_t *c;
    h1_xfer_t *x; /* NULL once the transfer no longer waits for it */
};

struct h1_xfer {
    rl_xfer_t base; /* first: see backend.h */
    h1_client_t *c;
    h1_xfer_t *next; /* free list */
    h1_host_t *host;
    h1_conn_t *conn;
    h1_resolve_t *resolve;
    struct addrinfo *ai, *ai_next; /* resolved addresses, the next to try */
    const rl_xfer_cbs_t *cbs;
    void *ud;
    uv_timer_t timer; /* connect and total timeouts; a zero timeout defers a failure from start */
    char *head;       /* the request head, kept for a retry */
    size_t head_len, head_cap;
    const char *body;
    size_t body_len;
    uint64_t deadline; /* loop time when the exchange times out; 0: never */
    uint64_t connect_timeout_ms;
    const char *fail_detail; /* a failure found inside start, reported from the timer */
    int busy;                /* callbacks of this transfer on the stack */
    unsigned is_head : 1, cancelled : 1, retried : 1, paused : 1, connect_timer : 1, may_replay : 1;
};

enum { FEED_MORE, FEED_PAUSED, FEED_ENDED };
#define CB_GONE (-1) /* the transfer was cancelled inside its callback */

static void conn_close(h1_conn_t *k);
static int xfer_connect(h1_xfer_t *x);
static void xfer_try_next(h1_xfer_t *x, int err);

static void handle_released(h1_client_t *c)
{
    if (--c->handles == 0 && c->closing) free(c);
}

/* ---- hosts and the idle pool ---- */

static h1_host_t *host_get(h1_client_t *c, const rl_h1_url_t *u)
{
    for (h1_host_t *h = c->hosts; h != NULL; h = h->next)
        if (h->port == u->port && h->name_len == u->host_len && memcmp(h->name, u->host, u->host_len) == 0)
            return h;
    h1_host_t *h = calloc(1, sizeof(*h) + u->host_len + 1);
    if (h == NULL) return NULL;
    memcpy(h->name, u->host, u->host_len);
    h->name_len = u->host_len;
    h->port = u->port;
    h->numeric = uv_ip4_addr(h->name, h->port, (struct sockaddr_in *)&h->addr) == 0 ||
                 uv_ip6_addr(h->name, h->port, (struct sockaddr_in6 *)&h->addr) == 0;
    h->next = c->hosts;
    c->hosts = h;
    return h;
}

static void pool_unlink(h1_conn_t *k)
{
    h1_host_t *h = k->host;
    if (k->prev)
        k->prev->next = k->next;
    else
        h->idle = k->next;
    if (k->next) k->next->prev = k->prev;
    k->prev = k->next = NULL;
    h->n_idle--;
    k->c->n_idle--;
}

static void on_sweep(uv_timer_t *t)
{
    h1_client_t *c = t->data;
    uint64_t now = uv_now(c->loop);
    for (h1_host_t *h = c->hosts; h != NULL; h = h->next) {
        for (h1_conn_t *k = h->idle, *next; k != NULL; k = next) {
            next = k->next;
            if (now - k->idle_since >= c->idle_timeout_ms) conn_close(k);
        }
    }
    if (c->n_idle == 0) uv_timer_stop(t);
}

static int conn_read(h1_conn_t *k);

/* Parks a connection whose exchange ended cleanly, or closes it. */
static void pool_put(h1_conn_t *k)
{
    h1_client_t *c = k->c;
    h1_host_t *h = k->host;
    if (c->closing || k->writing || h->n_idle >= c->max_idle_per_host || conn_read(k) != 0) {
        conn_close(k);
        return;
    }
    k->state = K_IDLE;
    k->idle_since = uv_now(c->loop);
    k->prev = NULL;
    k->next = h->idle;
    if (h->idle) h->idle->prev = k;
    h->idle = k;
    h->n_idle++;
    c->n_idle++;
    uv_unref((uv_handle_t *)&k->tcp); /* an idle connection does not keep the loop running */
    if (!uv_is_active((uv_handle_t *)&c->sweep)) {
        uint64_t every = c->idle_timeout_ms / 8;
        every = every < 10 ? 10 : every > 5000 ? 5000 : every;
        uv_timer_start(&c->sweep, on_sweep, every, every);
    }
}

static h1_conn_t *pool_take(h1_host_t *h)
{
    h1_conn_t *k = h->idle;
    if (k == NULL) return NULL;
    pool_unlink(k);
    uv_ref((uv_handle_t *)&k->tcp);
    k->state = K_ACTIVE;
    k->reused = 1;
    return k;
}

/* ---- connections ---- */

static void on_conn_closed(uv_handle_t *h)
{
    h1_conn_t *k = h->data;
    h1_client_t *c = k->c;
    rl_h1_resp_free(&k->resp);
    free(k->stash);
    free(k);
    handle_released(c);
}

/* Closes `k` (detached from any transfer); memory goes in the close callback. */
static void conn_close(h1_conn_t *k)
{
    if (k->state == K_CLOSING) return;
    if (k->state == K_IDLE) pool_unlink(k);
    k->state = K_CLOSING;
    k->x = NULL;
    uv_close((uv_handle_t *)&k->tcp, on_conn_closed);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    h1_conn_t *k = h->data;
    *buf = uv_buf_init(k->c->rbuf, RBUF_SIZE);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

static int conn_read(h1_conn_t *k)
{
    if (k->reading) return 0;
    int rc = uv_read_start((uv_stream_t *)&k->tcp, on_alloc, on_read);
    if (rc == 0) k->reading = 1;
    return rc;
}

static void detach(h1_xfer_t *x)
{
    if (x->conn == NULL) return;
    x->conn->x = NULL;
    x->conn = NULL;
}

/* ---- transfers: life cycle ---- */

static void on_xfer_closed(uv_handle_t *h)
{
    h1_xfer_t *x = h->data;
    h1_client_t *c = x->c;
    free(x->head);
    free(x);
    handle_released(c);
}

static h1_xfer_t *xfer_get(h1_client_t *c)
{
    h1_xfer_t *x = c->free_xfers;
    if (x != NULL) {
        c->free_xfers = x->next;
        c->n_free--;
    } else {
        if ((x = calloc(1, sizeof(*x))) == NULL) return NULL;
        uv_timer_init(c->loop, &x->timer);
        x->timer.data = x;
        x->c = c;
        c->handles++;
    }
    x->base.be = &rl_client_backend_h1;
    x->next = NULL;
    x->host = NULL;
    x->conn = NULL;
    x->resolve = NULL;
    x->ai = x->ai_next = NULL;
    x->fail_detail = NULL;
    x->busy = 0;
    x->is_head = x->cancelled = x->retried = x->paused = x->connect_timer = 0;
    return x;
}

static void xfer_recycle(h1_xfer_t *x)
{
    h1_client_t *c = x->c;
    uv_timer_stop(&x->timer);
    if (x->ai != NULL) uv_freeaddrinfo(x->ai);
    x->ai = x->ai_next = NULL;
    x->cbs = NULL;
    x->ud = NULL;
    if (x->head_cap > KEEP_HEAD_BUF) {
        free(x->head);
        x->head = NULL;
        x->head_cap = 0;
    }
    if (c->n_free < MAX_FREE_XFERS && !c->closing) {
        x->next = c->free_xfers;
        c->free_xfers = x;
        c->n_free++;
        return;
    }
    uv_close((uv_handle_t *)&x->timer, on_xfer_closed);
}

static void resolve_detach(h1_xfer_t *x)
{
    if (x->resolve == NULL) return;
    x->resolve->x = NULL;
    uv_cancel((uv_req_t *)&x->resolve->req);
    x->resolve = NULL;
}

/* The end of a transfer that was not cancelled: on_done last, x recycled
 * before it (on_done may start the next transfer). */
static void xfer_end(h1_xfer_t *x, rl_errcode_t code, const char *detail)
{
    const rl_xfer_cbs_t *cbs = x->cbs;
    void *ud = x->ud;
    resolve_detach(x);
    xfer_recycle(x);
    cbs->on_done(ud, code, detail);
}

/* Ends x with an error; its connection, if any, is closed, never pooled. */
static void xfer_fail(h1_xfer_t *x, rl_errcode_t code, const char *detail)
{
    h1_conn_t *k = x->conn;
    detach(x);
    if (k != NULL) conn_close(k);
    xfer_end(x, code, detail);
}

/* The response is complete: the connection goes back to the pool when the
 * parser allows it, nothing followed the response, and the request is all
 * written. */
static void xfer_complete(h1_xfer_t *x, h1_conn_t *k, int nothing_after)
{
    int reuse = nothing_after && rl_h1_resp_reusable(&k->resp) && !k->writing;
    detach(x);
    if (reuse)
        pool_put(k);
    else
        conn_close(k);
    xfer_end(x, RL_EOK, "");
}

/* A pooled connection died before the first response byte: most often the
 * server closed it while idle (the keep-alive race). Try once more on a new
 * one — only when the caller says the request is safe to send twice. */
static void xfer_retry(h1_xfer_t *x)
{
    h1_conn_t *k = x->conn;
    detach(x);
    conn_close(k);
    x->retried = 1;
    int rc = xfer_connect(x);
    if (rc != 0) xfer_fail(x, RL_EUPSTREAM_ERROR, uv_strerror(rc));
}

static int may_retry(h1_xfer_t *x, h1_conn_t *k, int err)
{
    return x->may_replay && k->reused && !k->got_bytes && !x->retried &&
           (err == UV_EOF || err == UV_ECONNRESET || err == UV_EPIPE);
}

static void on_xfer_timer(uv_timer_t *t)
{
    h1_xfer_t *x = t->data;
    if (x->fail_detail != NULL)
        xfer_fail(x, RL_EUPSTREAM_ERROR, x->fail_detail);
    else
        xfer_fail(x, RL_EUPSTREAM_TIMEOUT, x->connect_timer ? "connect timed out" : "timed out");
}

/* Arms the timer for what comes next: the total deadline, or the connect
 * timeout when that is sooner and a connection is being opened. */
static void xfer_arm(h1_xfer_t *x, int connecting)
{
    uint64_t now = uv_now(x->c->loop), t = 0;
    int armed = x->deadline != 0;
    if (armed) t = x->deadline > now ? x->deadline - now : 0;
    x->connect_timer = 0;
    if (connecting && x->connect_timeout_ms != 0 && (!armed || x->connect_timeout_ms < t)) {
        t = x->connect_timeout_ms;
        armed = x->connect_timer = 1;
    }
    if (armed)
        uv_timer_start(&x->timer, on_xfer_timer, t, 0);
    else
        uv_timer_stop(&x->timer);
}

/* ---- the callbacks ---- */

static int cb_after(h1_xfer_t *x, int rc)
{
    if (--x->busy == 0 && x->cancelled) {
        xfer_recycle(x); /* cancelled inside the callback: freed now that it returned */
        return CB_GONE;
    }
    return x->cancelled ? CB_GONE : rc;
}

static int call_head(h1_xfer_t *x, const rl_h1_resp_t *r)
{
    x->busy++;
    int rc = x->cbs->on_head(x->ud, r->status, r->reason, r->reason_len, r->hdrs, r->n_hdrs);
    return cb_after(x, rc == RL_XFER_PAUSE ? RL_XFER_CONTINUE : rc);
}

static int call_body(h1_xfer_t *x, const char *p, size_t n)
{
    x->busy++;
    return cb_after(x, x->cbs->on_body(x->ud, p, n));
}

/* ---- reading ---- */

/* The transfer refused the slice b/bl: keep it and the `rest` bytes after
 * it for rl_xfer_resume, and stop reading meanwhile. */
static int conn_pause(h1_conn_t *k, const char *b, size_t bl, size_t rest)
{
    k->x->paused = 1;
    if (k->reading) {
        uv_read_stop((uv_stream_t *)&k->tcp);
        k->reading = 0;
    }
    if (k->in_stash) { /* refused again while resuming: the bytes are already here */
        k->stash_off = (size_t)(b - k->stash);
        k->stash_body = bl;
        return 0;
    }
    char *s = malloc(bl + rest);
    if (s == NULL) return -1;
    memcpy(s, b, bl + rest);
    free(k->stash);
    k->stash = s;
    k->stash_len = bl + rest;
    k->stash_off = 0;
    k->stash_body = bl;
    return 0;
}

/* Runs the parser over p/len (in rbuf, or in the stash when resuming) and
 * hands what it finds to the transfer. */
static int conn_feed(h1_conn_t *k, const char *p, size_t len)
{
    h1_xfer_t *x = k->x;
    for (;;) {
        size_t used, bl;
        const char *b;
        int rc;
        rl_h1_ev_t ev = rl_h1_resp_feed(&k->resp, p, len, &used, &b, &bl);
        p += used;
        len -= used;
        switch (ev) {
        case RL_H1_NEED_MORE:
            return FEED_MORE;
        case RL_H1_HEAD:
        case RL_H1_BODY:
            rc = ev == RL_H1_HEAD ? call_head(x, &k->resp) : call_body(x, b, bl);
            if (rc == CB_GONE) return FEED_ENDED;
            if (rc == RL_XFER_ABORT) {
                xfer_fail(x, RL_EUPSTREAM_ERROR, "aborted by the receiver");
                return FEED_ENDED;
            }
            if (rc != RL_XFER_PAUSE) continue;
            if (conn_pause(k, b, bl, len) == 0) return FEED_PAUSED;
            xfer_fail(x, RL_EUPSTREAM_ERROR, "out of memory");
            return FEED_ENDED;
        case RL_H1_DONE:
            xfer_complete(x, k, len == 0);
            return FEED_ENDED;
        default:
            xfer_fail(x, RL_EUPSTREAM_ERROR, k->resp.error);
            return FEED_ENDED;
        }
    }
}

static void conn_read_error(h1_conn_t *k, int err)
{
    h1_xfer_t *x = k->x;
    if (err == UV_EOF && rl_h1_resp_eof(&k->resp) == RL_H1_DONE) { /* a body that ends at close */
        detach(x);
        conn_close(k);
        xfer_end(x, RL_EOK, "");
    } else if (may_retry(x, k, err)) {
        xfer_retry(x);
    } else {
        xfer_fail(x, RL_EUPSTREAM_ERROR, err == UV_EOF ? k->resp.error : uv_strerror(err));
    }
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    h1_conn_t *k = s->data;
    if (nread == 0) return;
    if (k->x == NULL) { /* idle: the server closed it, or sent what nobody asked for */
        conn_close(k);
        return;
    }
    if (nread < 0) {
        conn_read_error(k, (int)nread);
        return;
    }
    k->got_bytes = 1;
    conn_feed(k, buf->base, (size_t)nread);
}

/* ---- writing and connecting ---- */

static void on_write(uv_write_t *req, int status)
{
    h1_conn_t *k = req->data;
    k->writing = 0;
    if (status == 0 || k->state == K_CLOSING) return;
    h1_xfer_t *x = k->x;
    if (x == NULL)
        conn_close(k);
    else if (k->got_bytes)
        return; /* the answer is coming: the read side decides */
    else if (may_retry(x, k, status))
        xfer_retry(x);
    else
        xfer_fail(x, RL_EUPSTREAM_ERROR, uv_strerror(status));
}

/* Attaches x to k and writes the request: one writev of [head, body]. It is
 * tried at once (uv_try_write); only what the socket does not take goes
 * through uv_write. A completed uv_write costs an epoll_ctl (libuv drops
 * POLLOUT interest when the queue drains, even if it never set it), and
 * most requests fit in the socket buffer. Returns 0 or a uv error. */
static int xfer_send(h1_xfer_t *x, h1_conn_t *k)
{
    x->conn = k;
    k->x = x;
    k->got_bytes = 0;
    rl_h1_resp_reset(&k->resp, x->is_head);
    uv_buf_t bufs[2] = {uv_buf_init(x->head, (unsigned)x->head_len),
                        uv_buf_init((char *)x->body, (unsigned)x->body_len)};
    unsigned nb = x->body_len ? 2 : 1;
    int n = uv_try_write((uv_stream_t *)&k->tcp, bufs, nb);
    if (n < 0 && n != UV_EAGAIN) return n;
    size_t sent = n > 0 ? (size_t)n : 0;
    if (sent == x->head_len + x->body_len) return 0;
    if (sent >= x->head_len) { /* the rest of the body */
        bufs[0] =
            uv_buf_init((char *)x->body + (sent - x->head_len), (unsigned)(x->head_len + x->body_len - sent));
        nb = 1;
    } else {
        bufs[0] = uv_buf_init(x->head + sent, (unsigned)(x->head_len - sent));
    }
    k->wreq.data = k;
    int rc = uv_write(&k->wreq, (uv_stream_t *)&k->tcp, bufs, nb, on_write);
    if (rc == 0) k->writing = 1;
    return rc;
}

static void on_connect(uv_connect_t *req, int status)
{
    h1_conn_t *k = req->handle->data;
    if (k->state == K_CLOSING) return;
    h1_xfer_t *x = k->x;
    int rc = status;
    if (rc == 0) {
        k->state = K_ACTIVE;
        uv_tcp_nodelay(&k->tcp, 1);
        if (x->ai != NULL) uv_freeaddrinfo(x->ai);
        x->ai = x->ai_next = NULL;
        xfer_arm(x, 0);
        if ((rc = conn_read(k)) == 0 && (rc = xfer_send(x, k)) == 0) return;
    }
    detach(x);
    conn_close(k);
    xfer_try_next(x, rc);
}

/* Opens a connection to `addr` for x. Returns 0 or a uv error. */
static int conn_open(h1_xfer_t *x, const struct sockaddr *addr)
{
    h1_client_t *c = x->c;
    h1_conn_t *k = calloc(1, sizeof(*k));
    if (k == NULL) return UV_ENOMEM;
    int rc = uv_tcp_init(c->loop, &k->tcp);
    if (rc != 0) {
        free(k);
        return rc;
    }
    c->handles++;
    k->tcp.data = k;
    k->c = c;
    k->host = x->host;
    k->state = K_CONNECTING;
    if ((rc = uv_tcp_connect(&k->creq, &k->tcp, addr, on_connect)) != 0) {
        conn_close(k);
        return rc;
    }
    x->conn = k;
    k->x = x;
    return 0;
}

/* Tries the resolved addresses left, in order; fails x when none is left. */
static void xfer_try_next(h1_xfer_t *x, int err)
{
    while (x->ai_next != NULL) {
        struct addrinfo *ai = x->ai_next;
        x->ai_next = ai->ai_next;
        if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
        if ((err = conn_open(x, ai->ai_addr)) == 0) return;
    }
    xfer_fail(x, RL_EUPSTREAM_ERROR, uv_strerror(err));
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    h1_resolve_t *r = req->data;
    h1_xfer_t *x = r->x;
    h1_client_t *c = r->c;
    free(r);
    if (x == NULL) { /* the transfer ended meanwhile */
        if (res != NULL) uv_freeaddrinfo(res);
        handle_released(c);
        return;
    }
    x->resolve = NULL;
    handle_released(c);
    x->ai = x->ai_next = res;
    xfer_try_next(x, status < 0 ? status : UV_EAI_NONAME);
}

static int resolve_start(h1_xfer_t *x)
{
    h1_client_t *c = x->c;
    h1_resolve_t *r = malloc(sizeof(*r));
    if (r == NULL) return UV_ENOMEM;
    char port[8];
    snprintf(port, sizeof(port), "%u", (unsigned)x->host->port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    r->c = c;
    r->x = x;
    r->req.data = r;
    int rc = uv_getaddrinfo(c->loop, &r->req, on_resolved, x->host->name, port, &hints);
    if (rc != 0) {
        free(r);
        return rc;
    }
    c->handles++;
    x->resolve = r;
    return 0;
}

/* Opens a new connection for x: resolution first unless the host is an IP
 * literal. The connect timeout covers both. Returns 0 or a uv error. */
static int xfer_connect(h1_xfer_t *x)
{
    xfer_arm(x, 1);
    if (x->host->numeric) return conn_open(x, (const struct sockaddr *)&x->host->addr);
    return resolve_start(x);
}

/* ---- the backend hooks ---- */

static int h1_start(void *impl, const rl_xfer_req_t *req, const rl_xfer_cbs_t *cbs, void *ud, rl_xfer_t **out)
{
    h1_client_t *c = impl;
    rl_h1_url_t u;
    if (rl_h1_url_parse(req->url, &u) != 0) return RL_CLIENT_DECLINED;
    size_t need = rl_h1_request_size(req, &u);
    if (need == 0 || need > MAX_REQ_HEAD || (req->has_body && req->body_len > UINT32_MAX))
        return -RL_EINTERNAL;
    h1_host_t *host = host_get(c, &u);
    h1_xfer_t *x = host ? xfer_get(c) : NULL;
    if (x == NULL) return -RL_EINTERNAL;
    if (x->head_cap < need) {
        char *h = realloc(x->head, need);
        if (h == NULL) {
            xfer_recycle(x);
            return -RL_EINTERNAL;
        }
        x->head = h;
        x->head_cap = need;
    }
    x->head_len = rl_h1_request_write(x->head, req, &u);
    x->body = req->body;
    x->body_len = req->has_body ? req->body_len : 0;
    x->is_head = req->method_len == 4 && memcmp(req->method, "HEAD", 4) == 0;
    x->may_replay = req->may_replay != 0;
    x->cbs = cbs;
    x->ud = ud;
    x->host = host;
    x->connect_timeout_ms = req->connect_timeout_ms;
    x->deadline = req->total_timeout_ms ? uv_now(c->loop) + req->total_timeout_ms : 0;
    int rc = 0;
    h1_conn_t *k;
    while ((k = pool_take(host)) != NULL) {
        if (xfer_send(x, k) == 0) break;
        detach(x);
        conn_close(k);
    }
    if (k != NULL)
        xfer_arm(x, 0);
    else
        rc = xfer_connect(x);
    if (rc != 0) { /* no callback from inside start: report it from the loop */
        x->fail_detail = uv_strerror(rc);
        uv_timer_start(&x->timer, on_xfer_timer, 0, 0);
    }
    *out = &x->base;
    return 0;
}

static void h1_resume(rl_xfer_t *bx)
{
    h1_xfer_t *x = (h1_xfer_t *)bx;
    h1_conn_t *k = x->conn;
    if (!x->paused || x->cancelled) return;
    x->paused = 0;
    const char *p = k->stash + k->stash_off;
    size_t n = k->stash_len - k->stash_off, body = k->stash_body;
    int rc = call_body(x, p, body);
    if (rc == CB_GONE) return;
    if (rc == RL_XFER_ABORT) {
        xfer_fail(x, RL_EUPSTREAM_ERROR, "aborted by the receiver");
        return;
    }
    if (rc == RL_XFER_PAUSE) {
        x->paused = 1;
        return;
    }
    k->in_stash = 1;
    int r = conn_feed(k, p + body, n - body);
    k->in_stash = 0;
    if (r == FEED_PAUSED) return;
    free(k->stash);
    k->stash = NULL;
    if (r == FEED_MORE && conn_read(k) != 0) xfer_fail(x, RL_EUPSTREAM_ERROR, "could not read");
}

static void h1_cancel(rl_xfer_t *bx)
{
    h1_xfer_t *x = (h1_xfer_t *)bx;
    if (x->cancelled) return;
    x->cancelled = 1;
    h1_conn_t *k = x->conn;
    detach(x);
    if (k != NULL) conn_close(k); /* mid-exchange: never reusable */
    resolve_detach(x);
    uv_timer_stop(&x->timer);
    if (x->busy == 0) xfer_recycle(x);
}

static void *h1_open(uv_loop_t *loop)
{
    h1_client_t *c = calloc(1, sizeof(*c));
    if (c == NULL) return NULL;
    c->loop = loop;
    c->max_idle_per_host = DEFAULT_IDLE_PER_HOST;
    c->idle_timeout_ms = DEFAULT_IDLE_TIMEOUT_MS;
    uv_timer_init(loop, &c->sweep);
    uv_unref((uv_handle_t *)&c->sweep);
    c->sweep.data = c;
    c->handles = 1;
    return c;
}

static void on_sweep_closed(uv_handle_t *h)
{
    handle_released(h->data);
}

static void h1_close(void *impl)
{
    h1_client_t *c = impl;
    c->closing = 1;
    while (c->hosts != NULL) {
        h1_host_t *h = c->hosts;
        c->hosts = h->next;
        while (h->idle != NULL)
            conn_close(h->idle);
        free(h);
    }
    while (c->free_xfers != NULL) {
        h1_xfer_t *x = c->free_xfers;
        c->free_xfers = x->next;
        uv_close((uv_handle_t *)&x->timer, on_xfer_closed);
    }
    uv_close((uv_handle_t *)&c->sweep, on_sweep_closed);
}

static void h1_set_pool(void *impl, size_t max_idle_per_host, uint64_t idle_timeout_ms)
{
    h1_client_t *c = impl;
    c->max_idle_per_host = max_idle_per_host;
    c->idle_timeout_ms = idle_timeout_ms;
}

const rl_client_backend_t rl_client_backend_h1 = {
    .name = "h1",
    .open = h1_open,
    .close = h1_close,
    .start = h1_start,
    .resume = h1_resume,
    .cancel = h1_cancel,
    .set_pool = h1_set_pool,
};
