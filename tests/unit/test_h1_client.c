/* test_h1_client.c — unit tests for upstream/client_h1 through client.h. A
 * scripted HTTP/1.1 server on the same uv loop records every request and
 * answers, closes or hangs as a test says; the tests assert the request
 * bytes, the callbacks, pooling, the one retry on a dead pooled connection,
 * timeouts, backpressure, cancellation, and that rl_client_free closes every
 * handle (uv_loop_close succeeds; ASan/LSan builds check the memory). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <uv.h>

#include "upstream/client.h"

#define MAX_REQS 64

/* ---- the scripted server ---- */

typedef enum act { A_ANSWER, A_ANSWER_CLOSE, A_CLOSE, A_HANG } act_t;

typedef struct srv srv_t;
typedef struct sconn {
    uv_tcp_t tcp;
    srv_t *s;
    int id, n_req, close_after_write;
    char *buf;
    size_t len;
} sconn_t;

struct srv {
    uv_tcp_t lis;
    int port;
    int n_conns, n_reqs, n_eof, open;
    char *req[MAX_REQS]; /* head and body as received */
    size_t req_len[MAX_REQS];
    int req_conn[MAX_REQS];
    act_t (*decide)(srv_t *s, int conn, int index);
    const char *resp;
    size_t resp_len;
    sconn_t *live[MAX_REQS];
};

static uv_loop_t loop;
static srv_t srv;
static rl_client_t *client;
static int in_start; /* no callback may run inside rl_xfer_start */

static void on_sconn_closed(uv_handle_t *h)
{
    sconn_t *k = h->data;
    k->s->live[k->id] = NULL;
    k->s->open--;
    free(k->buf);
    free(k);
}

static void sconn_close(sconn_t *k)
{
    if (!uv_is_closing((uv_handle_t *)&k->tcp)) uv_close((uv_handle_t *)&k->tcp, on_sconn_closed);
}

static void on_srv_written(uv_write_t *w, int status)
{
    sconn_t *k = w->data;
    if (k->close_after_write) sconn_close(k);
    free(w);
}

static void srv_send(sconn_t *k, const char *p, size_t n)
{
    uv_write_t *w = malloc(sizeof(*w) + n);
    memcpy(w + 1, p, n);
    uv_buf_t b = uv_buf_init((char *)(w + 1), (unsigned)n);
    w->data = k;
    uv_write(w, (uv_stream_t *)&k->tcp, &b, 1, on_srv_written);
}

/* Bytes of the first complete request in k->buf, or 0. */
static size_t request_len(const sconn_t *k)
{
    char *end = memmem(k->buf, k->len, "\r\n\r\n", 4);
    if (end == NULL) return 0;
    size_t head = (size_t)(end - k->buf) + 4, body = 0;
    for (char *p = k->buf; p < end; p++)
        if (strncasecmp(p, "\r\nContent-Length: ", 18) == 0) body = strtoul(p + 18, NULL, 10);
    return k->len >= head + body ? head + body : 0;
}

static void srv_on_request(sconn_t *k, size_t n)
{
    srv_t *s = k->s;
    int i = s->n_reqs++;
    s->req[i] = malloc(n + 1);
    memcpy(s->req[i], k->buf, n);
    s->req[i][n] = '\0';
    s->req_len[i] = n;
    s->req_conn[i] = k->id;
    act_t a = s->decide ? s->decide(s, k->id, k->n_req) : A_ANSWER;
    k->n_req++;
    if (a == A_CLOSE) sconn_close(k);
    if (a == A_ANSWER || a == A_ANSWER_CLOSE) {
        k->close_after_write = a == A_ANSWER_CLOSE;
        srv_send(k, s->resp, s->resp_len);
    }
}

static void srv_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
    sconn_t *k = h->data;
    k->buf = realloc(k->buf, k->len + 65536);
    *b = uv_buf_init(k->buf + k->len, 65536);
}

static void srv_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *b)
{
    sconn_t *k = st->data;
    if (nread < 0) {
        k->s->n_eof++;
        sconn_close(k);
        return;
    }
    k->len += (size_t)nread;
    size_t n;
    while (!uv_is_closing((uv_handle_t *)&k->tcp) && (n = request_len(k)) > 0) {
        srv_on_request(k, n);
        memmove(k->buf, k->buf + n, k->len - n);
        k->len -= n;
    }
}

static void srv_accept(uv_stream_t *lis, int status)
{
    srv_t *s = lis->data;
    sconn_t *k = calloc(1, sizeof(*k));
    uv_tcp_init(&loop, &k->tcp);
    k->tcp.data = k;
    k->s = s;
    k->id = s->n_conns++;
    s->live[k->id] = k;
    s->open++;
    uv_accept(lis, (uv_stream_t *)&k->tcp);
    uv_read_start((uv_stream_t *)&k->tcp, srv_alloc, srv_read);
}

static void srv_respond(const char *resp)
{
    srv.resp = resp;
    srv.resp_len = strlen(resp);
}

/* ---- running the loop ---- */

static int timed_out;

static void on_closed_flag(uv_handle_t *h)
{
    *(int *)h->data = 1;
}

/* Closes a handle that lives on the stack (or is about to be reused) and
 * waits for its close callback. */
static void close_now(uv_handle_t *h)
{
    int closed = 0;
    h->data = &closed;
    uv_close(h, on_closed_flag);
    while (!closed)
        uv_run(&loop, UV_RUN_NOWAIT);
}

static void on_guard(uv_timer_t *t)
{
    timed_out = 1;
}

/* Runs the loop until *flag is set or `ms` passed; returns *flag. */
static int run_until(const int *flag, uint64_t ms)
{
    uv_timer_t guard;
    uv_timer_init(&loop, &guard);
    timed_out = 0;
    uv_timer_start(&guard, on_guard, ms, 0);
    while (!*flag && !timed_out)
        uv_run(&loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&guard, NULL);
    uv_run(&loop, UV_RUN_NOWAIT);
    return *flag;
}

static void run_for(uint64_t ms)
{
    static const int never = 0;
    run_until(&never, ms);
}

/* ---- the client side ---- */

typedef struct got {
    rl_xfer_t *x;
    int status, heads, done;
    rl_errcode_t code;
    char detail[128];
    char hdrs[1024];
    char *body;
    size_t body_len;
    /* behaviour */
    int pause_alt, cancel_in_body, abort_in_head;
    int refused, n_pauses;
    char refused_copy[8];
    size_t refused_len;
    uv_timer_t resume;
} got_t;

static int on_head(void *ud, int status, const char *reason, size_t reason_len, const rl_hdr_t *hdrs,
                   size_t n)
{
    got_t *g = ud;
    assert_false(in_start);
    g->heads++;
    g->status = status;
    size_t off = 0;
    for (size_t i = 0; i < n; i++)
        off += (size_t)snprintf(g->hdrs + off, sizeof(g->hdrs) - off, "%.*s=%.*s;", (int)hdrs[i].name_len,
                                hdrs[i].name, (int)hdrs[i].value_len, hdrs[i].value);
    return g->abort_in_head ? RL_XFER_ABORT : RL_XFER_CONTINUE;
}

static void on_resume_timer(uv_timer_t *t)
{
    got_t *g = t->data;
    rl_xfer_resume(g->x);
}

static int on_body(void *ud, const char *p, size_t n)
{
    got_t *g = ud;
    assert_false(in_start);
    assert_true(n > 0);
    if (g->cancel_in_body) {
        rl_xfer_cancel(g->x);
        return RL_XFER_CONTINUE;
    }
    if (g->refused) { /* the refused piece comes back first, whole */
        assert_int_equal(n, g->refused_len);
        assert_memory_equal(p, g->refused_copy, n < 8 ? n : 8);
        g->refused = 0;
    } else if (g->pause_alt) {
        g->refused = 1;
        g->refused_len = n;
        memcpy(g->refused_copy, p, n < 8 ? n : 8);
        g->n_pauses++;
        uv_timer_start(&g->resume, on_resume_timer, 1, 0);
        return RL_XFER_PAUSE;
    }
    g->body = realloc(g->body, g->body_len + n);
    memcpy(g->body + g->body_len, p, n);
    g->body_len += n;
    return RL_XFER_CONTINUE;
}

static void on_done(void *ud, rl_errcode_t code, const char *detail)
{
    got_t *g = ud;
    assert_false(in_start);
    g->done++;
    g->code = code;
    snprintf(g->detail, sizeof(g->detail), "%s", detail);
}

static const rl_xfer_cbs_t cbs = {on_head, on_body, on_done};

static void got_init(got_t *g)
{
    memset(g, 0, sizeof(*g));
    uv_timer_init(&loop, &g->resume);
    g->resume.data = g;
}

static void got_fini(got_t *g)
{
    close_now((uv_handle_t *)&g->resume);
    free(g->body);
}

static char url_buf[256];

static const char *url(const char *path)
{
    snprintf(url_buf, sizeof(url_buf), "http://127.0.0.1:%d%s", srv.port, path);
    return url_buf;
}

static rl_xfer_req_t get_req(const char *u)
{
    return (rl_xfer_req_t){.url = u,
                           .method = "GET",
                           .method_len = 3,
                           .total_timeout_ms = 5000,
                           .connect_timeout_ms = 2000,
                           .may_replay = 1};
}

static void start(const rl_xfer_req_t *req, got_t *g)
{
    in_start = 1;
    assert_int_equal(rl_xfer_start(client, req, &cbs, g, &g->x), 0);
    in_start = 0;
}

/* Starts `req`, waits for on_done, asserts the code. */
static void exchange(const rl_xfer_req_t *req, got_t *g, rl_errcode_t want)
{
    start(req, g);
    if (!run_until(&g->done, 5000)) fail_msg("no on_done for %s", req->url);
    if (g->code != want) fail_msg("%s: code %d (%s), want %d", req->url, g->code, g->detail, want);
    assert_int_equal(g->done, 1);
}

static void get_ok(const char *path, got_t *g)
{
    rl_xfer_req_t req = get_req(url(path));
    exchange(&req, g, RL_EOK);
}

/* ---- fixture ---- */

static int setup(void **state)
{
    memset(&srv, 0, sizeof(srv));
    uv_loop_init(&loop);
    uv_tcp_init(&loop, &srv.lis);
    srv.lis.data = &srv;
    struct sockaddr_in a;
    uv_ip4_addr("127.0.0.1", 0, &a);
    uv_tcp_bind(&srv.lis, (const struct sockaddr *)&a, 0);
    uv_listen((uv_stream_t *)&srv.lis, 128, srv_accept);
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    uv_tcp_getsockname(&srv.lis, (struct sockaddr *)&ss, &len);
    srv.port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    srv_respond("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-B: c\r\n\r\nhello");
    client = rl_client_new(&loop);
    return client == NULL;
}

static int teardown(void **state)
{
    rl_client_free(client);
    uv_close((uv_handle_t *)&srv.lis, NULL);
    for (int i = 0; i < MAX_REQS; i++)
        if (srv.live[i]) sconn_close(srv.live[i]);
    uv_run(&loop, UV_RUN_DEFAULT);
    for (int i = 0; i < srv.n_reqs; i++)
        free(srv.req[i]);
    assert_int_equal(uv_loop_close(&loop), 0); /* every handle was closed */
    return 0;
}

/* ---- tests ---- */

static void test_get_exact_request_and_reuse(void **state)
{
    got_t g;
    got_init(&g);
    rl_hdr_t h[] = {{"X-A", 3, "1", 1}, {"accept", 6, "*/*", 3}};
    rl_xfer_req_t req = get_req(url("/a/b?c=1&d"));
    req.headers = h;
    req.n_headers = 2;
    exchange(&req, &g, RL_EOK);
    char want[256];
    snprintf(want, sizeof(want),
             "GET /a/b?c=1&d HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nX-A: 1\r\naccept: */*\r\n\r\n", srv.port);
    assert_string_equal(srv.req[0], want);
    assert_int_equal(g.status, 200);
    assert_int_equal(g.heads, 1);
    assert_string_equal(g.hdrs, "Content-Length=5;X-B=c;");
    assert_int_equal(g.body_len, 5);
    assert_memory_equal(g.body, "hello", 5);
    got_fini(&g);
    for (int i = 0; i < 3; i++) {
        got_init(&g);
        get_ok("/again", &g);
        got_fini(&g);
    }
    assert_int_equal(srv.n_reqs, 4);
    assert_int_equal(srv.n_conns, 1); /* one keep-alive connection served them all */
}

static void test_post_body_and_empty_body(void **state)
{
    got_t g;
    got_init(&g);
    rl_xfer_req_t req = get_req(url("/p"));
    req.method = "POST";
    req.method_len = 4;
    req.has_body = 1;
    req.body = "payload";
    req.body_len = 7;
    exchange(&req, &g, RL_EOK);
    got_fini(&g);
    char want[256];
    snprintf(want, sizeof(want), "POST /p HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Length: 7\r\n\r\npayload",
             srv.port);
    assert_string_equal(srv.req[0], want);
    got_init(&g);
    req.body = NULL;
    req.body_len = 0;
    exchange(&req, &g, RL_EOK);
    got_fini(&g);
    assert_non_null(strstr(srv.req[1], "\r\nContent-Length: 0\r\n\r\n"));
}

/* 4 MiB cannot go out in one try: the rest goes through uv_write. */
static void test_large_body_is_written_whole(void **state)
{
    size_t n = 4u << 20;
    char *body = malloc(n);
    for (size_t i = 0; i < n; i++)
        body[i] = (char)(i * 131 + (i >> 12));
    rl_xfer_req_t req = get_req(url("/big"));
    req.method = "PUT";
    req.method_len = 3;
    req.has_body = 1;
    req.body = body;
    req.body_len = n;
    for (int round = 0; round < 2; round++) { /* fresh, then pooled */
        got_t g;
        got_init(&g);
        exchange(&req, &g, RL_EOK);
        got_fini(&g);
        char *head_end = strstr(srv.req[round], "\r\n\r\n");
        assert_non_null(head_end);
        assert_int_equal(srv.req_len[round] - (size_t)(head_end + 4 - srv.req[round]), n);
        assert_memory_equal(head_end + 4, body, n);
    }
    assert_int_equal(srv.n_conns, 1);
    free(body);
}

static act_t close_second_on_conn(srv_t *s, int conn, int index)
{
    return index == 1 ? A_CLOSE : A_ANSWER;
}

static act_t close_always(srv_t *s, int conn, int index)
{
    return A_CLOSE;
}

/* The keep-alive race: the server drops a pooled connection as the request
 * goes out. The request is sent again, once, on a new connection. */
static void test_retry_once_on_dead_pooled_connection(void **state)
{
    got_t g;
    got_init(&g);
    get_ok("/1", &g);
    got_fini(&g);
    srv.decide = close_second_on_conn;
    got_init(&g);
    get_ok("/2", &g);
    assert_memory_equal(g.body, "hello", 5);
    got_fini(&g);
    assert_int_equal(srv.n_conns, 2);
    assert_int_equal(srv.n_reqs, 3);
    assert_int_equal(srv.req_conn[2], 1);
    /* twice in a row: one retry only */
    srv.decide = close_always;
    got_init(&g);
    rl_xfer_req_t req = get_req(url("/3"));
    exchange(&req, &g, RL_EUPSTREAM_ERROR);
    got_fini(&g);
    assert_int_equal(srv.n_reqs, 5);
    assert_int_equal(srv.n_conns, 3);
}

/* A request the caller does not allow to be replayed (a POST without an
 * Idempotency-Key) fails rather than reaching the server twice. */
static void test_no_replay_unless_allowed(void **state)
{
    got_t g;
    got_init(&g);
    get_ok("/1", &g);
    got_fini(&g);
    srv.decide = close_always;
    got_init(&g);
    rl_xfer_req_t req = get_req(url("/post"));
    req.method = "POST";
    req.method_len = 4;
    req.may_replay = 0;
    exchange(&req, &g, RL_EUPSTREAM_ERROR);
    got_fini(&g);
    assert_int_equal(srv.n_reqs, 2); /* the first GET and the POST, once */
    assert_int_equal(srv.n_conns, 1);
}

static void test_no_retry_on_a_fresh_connection(void **state)
{
    srv.decide = close_always;
    got_t g;
    got_init(&g);
    rl_xfer_req_t req = get_req(url("/x"));
    exchange(&req, &g, RL_EUPSTREAM_ERROR);
    assert_int_equal(g.heads, 0);
    got_fini(&g);
    assert_int_equal(srv.n_reqs, 1);
}

static void test_refused_is_upstream_error(void **state)
{
    uv_tcp_t t;
    struct sockaddr_in a;
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    uv_tcp_init(&loop, &t);
    uv_ip4_addr("127.0.0.1", 0, &a);
    uv_tcp_bind(&t, (const struct sockaddr *)&a, 0);
    uv_tcp_getsockname(&t, (struct sockaddr *)&ss, &len);
    uv_close((uv_handle_t *)&t, NULL); /* bound, never listening: refused */
    char u[64];
    snprintf(u, sizeof(u), "http://127.0.0.1:%d/", ntohs(((struct sockaddr_in *)&ss)->sin_port));
    got_t g;
    got_init(&g);
    rl_xfer_req_t req = get_req(u);
    exchange(&req, &g, RL_EUPSTREAM_ERROR);
    assert_non_null(strstr(g.detail, "refused"));
    got_fini(&g);
}

static act_t hang(srv_t *s, int conn, int index)
{
    return A_HANG;
}

static void test_total_timeout_closes_the_connection(void **state)
{
    srv.decide = hang;
    got_t g;
    got_init(&g);
    rl_xfer_req_t req = get_req(url("/slow"));
    req.total_timeout_ms = 100;
    uint64_t t0 = uv_now(&loop);
    exchange(&req, &g, RL_EUPSTREAM_TIMEOUT);
    assert_true(uv_now(&loop) - t0 >= 95);
    got_fini(&g);
    run_for(50);
    assert_int_equal(srv.n_eof, 1); /* closed, not pooled */
}

static void test_pause_redelivers_the_refused_piece(void **state)
{
    size_t n = 300 * 1024;
    char *resp = malloc(n + 100);
    int off = sprintf(resp, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", n);
    for (size_t i = 0; i < n; i++)
        resp[off + (int)i] = (char)('a' + i % 26);
    resp[off + (int)n] = '\0';
    srv_respond(resp);
    got_t g;
    got_init(&g);
    g.pause_alt = 1; /* refuse every other piece, resume 1 ms later */
    get_ok("/big", &g);
    assert_true(g.n_pauses > 0);
    assert_int_equal(g.body_len, n);
    assert_memory_equal(g.body, resp + off, n);
    got_fini(&g);
    got_init(&g);
    get_ok("/after", &g); /* the connection went back to the pool */
    got_fini(&g);
    assert_int_equal(srv.n_conns, 1);
    free(resp);
}

/* Many chunks per read: a piece refused while resuming from the stash is
 * kept there and comes back too. */
static void test_pause_within_the_stash(void **state)
{
    char *resp = malloc(64 * 1024), want[4096];
    int off = sprintf(resp, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    size_t wl = 0;
    for (int i = 0; i < 300; i++) {
        char piece[16];
        int n = sprintf(piece, "<%d>", i);
        off += sprintf(resp + off, "%x\r\n%s\r\n", (unsigned)n, piece);
        memcpy(want + wl, piece, (size_t)n);
        wl += (size_t)n;
    }
    strcpy(resp + off, "0\r\n\r\n");
    srv_respond(resp);
    got_t g;
    got_init(&g);
    g.pause_alt = 1;
    get_ok("/chunks", &g);
    assert_true(g.n_pauses >= 150);
    assert_int_equal(g.body_len, wl);
    assert_memory_equal(g.body, want, wl);
    got_fini(&g);
    free(resp);
}

static void test_cancel_inside_on_body(void **state)
{
    got_t g;
    got_init(&g);
    g.cancel_in_body = 1;
    rl_xfer_req_t req = get_req(url("/c"));
    start(&req, &g);
    run_for(100);
    assert_int_equal(g.heads, 1);
    assert_int_equal(g.done, 0); /* never after cancel */
    assert_int_equal(srv.n_eof, 1);
    got_fini(&g);
    got_init(&g);
    get_ok("/next", &g); /* the recycled transfer works */
    got_fini(&g);
}

static void test_cancel_before_anything(void **state)
{
    got_t g;
    got_init(&g);
    rl_xfer_req_t req = get_req(url("/c"));
    start(&req, &g);
    rl_xfer_cancel(g.x);
    snprintf(url_buf, sizeof(url_buf), "http://localhost:%d/r", srv.port);
    got_t g2;
    got_init(&g2);
    req = get_req(url_buf);
    start(&req, &g2); /* cancelled while resolving */
    rl_xfer_cancel(g2.x);
    run_for(100);
    assert_int_equal(g.done + g.heads + g2.done + g2.heads, 0);
    got_fini(&g);
    got_fini(&g2);
}

static void test_abort_in_head_ends_with_error(void **state)
{
    got_t g;
    got_init(&g);
    g.abort_in_head = 1;
    rl_xfer_req_t req = get_req(url("/a"));
    exchange(&req, &g, RL_EUPSTREAM_ERROR);
    assert_int_equal(g.body_len, 0);
    got_fini(&g);
    run_for(20);
    assert_int_equal(srv.n_eof, 1);
}

static void test_idle_timeout_and_pool_cap(void **state)
{
    got_t g;
    rl_client_set_pool(client, 256, 50);
    got_init(&g);
    get_ok("/1", &g);
    got_fini(&g);
    run_for(20);
    assert_int_equal(srv.n_eof, 0);
    run_for(300);
    assert_int_equal(srv.n_eof, 1); /* closed once idle for 50 ms */
    rl_client_set_pool(client, 0, 60000);
    got_init(&g);
    get_ok("/2", &g);
    got_fini(&g);
    run_for(20);
    assert_int_equal(srv.n_eof, 2); /* no room in the pool */
}

static act_t answer_then_close(srv_t *s, int conn, int index)
{
    return A_ANSWER_CLOSE;
}

static void test_server_close_drops_idle_connection(void **state)
{
    srv.decide = answer_then_close;
    got_t g;
    got_init(&g);
    get_ok("/1", &g);
    got_fini(&g);
    run_for(30); /* the idle connection sees the close and leaves the pool */
    srv.decide = NULL;
    got_init(&g);
    get_ok("/2", &g);
    got_fini(&g);
    assert_int_equal(srv.n_conns, 2);
    assert_int_equal(srv.n_reqs, 2); /* nothing was sent on the dead one */
}

static void test_framings(void **state)
{
    got_t g;
    srv_respond(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;e\r\nabc\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\n");
    got_init(&g);
    get_ok("/chunked", &g);
    assert_int_equal(g.body_len, 5);
    assert_memory_equal(g.body, "abcde", 5);
    got_fini(&g);
    srv_respond("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nX: y\r\n\r\n");
    got_init(&g);
    get_ok("/interim", &g);
    assert_int_equal(g.heads, 1);
    assert_int_equal(g.status, 204);
    got_fini(&g);
    srv_respond("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
    got_init(&g);
    rl_xfer_req_t req = get_req(url("/head"));
    req.method = "HEAD";
    req.method_len = 4;
    exchange(&req, &g, RL_EOK);
    assert_int_equal(g.body_len, 0);
    got_fini(&g);
    assert_int_equal(srv.n_conns, 1); /* all reusable */
    srv.decide = answer_then_close;
    srv_respond("HTTP/1.1 200 OK\r\n\r\nuntil close");
    got_init(&g);
    get_ok("/eof", &g);
    assert_int_equal(g.body_len, 11);
    got_fini(&g);
}

static void test_bad_or_trailing_bytes_are_not_reused(void **state)
{
    got_t g;
    srv_respond("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokJUNK");
    got_init(&g);
    get_ok("/1", &g);
    got_fini(&g);
    srv_respond("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok");
    got_init(&g);
    rl_xfer_req_t req = get_req(url("/2"));
    exchange(&req, &g, RL_EUPSTREAM_ERROR);
    assert_non_null(strstr(g.detail, "conflicting"));
    got_fini(&g);
    assert_int_equal(srv.n_conns, 2);
}

static void test_name_resolution_tries_each_address(void **state)
{
    got_t g;
    got_init(&g);
    snprintf(url_buf, sizeof(url_buf), "http://localhost:%d/n", srv.port);
    rl_xfer_req_t req = get_req(url_buf);
    exchange(&req, &g, RL_EOK); /* ::1 (if listed) is refused, 127.0.0.1 answers */
    got_fini(&g);
    char want[64];
    snprintf(want, sizeof(want), "\r\nHost: localhost:%d\r\n", srv.port);
    assert_non_null(strstr(srv.req[0], want));
}

static void test_concurrent_transfers(void **state)
{
    enum { N = 20 };
    got_t g[N];
    int all = 0;
    for (int i = 0; i < N; i++) {
        got_init(&g[i]);
        rl_xfer_req_t req = get_req(url("/conc"));
        start(&req, &g[i]);
    }
    for (int spins = 0; spins < 100 && !all; spins++) {
        run_for(10);
        all = 1;
        for (int i = 0; i < N; i++)
            all &= g[i].done == 1 && g[i].code == RL_EOK;
    }
    assert_true(all);
    for (int i = 0; i < N; i++)
        got_fini(&g[i]);
    int conns = srv.n_conns;
    assert_true(conns <= N);
    for (int i = 0; i < N; i++) {
        got_init(&g[0]);
        get_ok("/seq", &g[0]);
        got_fini(&g[0]);
    }
    assert_int_equal(srv.n_conns, conns); /* served from the pool */
}

static void test_https_and_odd_urls_go_elsewhere(void **state)
{
    /* userinfo is declined by the H1 client and taken by curl: it must
     * still work, through the same calls */
    got_t g;
    got_init(&g);
    snprintf(url_buf, sizeof(url_buf), "http://u:p@127.0.0.1:%d/curl", srv.port);
    rl_xfer_req_t req = get_req(url_buf);
    exchange(&req, &g, RL_EOK);
    assert_memory_equal(g.body, "hello", 5);
    got_fini(&g);
    assert_non_null(strstr(srv.req[0], "Authorization: Basic"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_get_exact_request_and_reuse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_post_body_and_empty_body, setup, teardown),
        cmocka_unit_test_setup_teardown(test_large_body_is_written_whole, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_once_on_dead_pooled_connection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_replay_unless_allowed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_retry_on_a_fresh_connection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_is_upstream_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_total_timeout_closes_the_connection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pause_redelivers_the_refused_piece, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pause_within_the_stash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_inside_on_body, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_before_anything, setup, teardown),
        cmocka_unit_test_setup_teardown(test_abort_in_head_ends_with_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idle_timeout_and_pool_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_close_drops_idle_connection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_framings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_or_trailing_bytes_are_not_reused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_name_resolution_tries_each_address, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_transfers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_https_and_odd_urls_go_elsewhere, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
