/* test_h1_response.c — unit tests for upstream/h1_response: status lines,
 * fields, framing (length, chunked, close, none), interim responses, limits
 * and connection reuse. Every table case is fed whole, byte by byte and cut
 * at every point, each piece in its own exact-size heap buffer (so ASan sees
 * any read past a piece), and must give the same answer each time. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "upstream/h1_response.h"

typedef struct result {
    rl_h1_ev_t ev; /* DONE, ERROR, or NEED_MORE when the input ran out */
    int status, heads, reusable;
    char reason[64];
    char fields[8192]; /* "name=value\n" per field */
    size_t n_fields;
    char *body;
    size_t body_len;
    size_t after; /* input bytes left after DONE */
    const char *error;
} result_t;

static void result_free(result_t *r)
{
    free(r->body);
    memset(r, 0, sizeof(*r));
}

static void on_head(result_t *r, const rl_h1_resp_t *p)
{
    r->heads++;
    r->status = p->status;
    snprintf(r->reason, sizeof(r->reason), "%.*s", (int)p->reason_len, p->reason);
    size_t off = 0;
    r->n_fields = p->n_hdrs;
    for (size_t i = 0; i < p->n_hdrs && off < sizeof(r->fields); i++)
        off += (size_t)snprintf(r->fields + off, sizeof(r->fields) - off, "%.*s=%.*s\n",
                                (int)p->hdrs[i].name_len, p->hdrs[i].name, (int)p->hdrs[i].value_len,
                                p->hdrs[i].value);
}

/* Feeds one piece; returns 1 when the response ended (DONE or ERROR). */
static int feed_piece(rl_h1_resp_t *p, const char *piece, size_t n, size_t rest_after, result_t *r)
{
    char *buf = malloc(n ? n : 1);
    memcpy(buf, piece, n);
    size_t off = 0;
    for (;;) {
        size_t used;
        const char *b;
        size_t bl;
        rl_h1_ev_t ev = rl_h1_resp_feed(p, buf + off, n - off, &used, &b, &bl);
        assert_true(used <= n - off);
        off += used;
        if (ev == RL_H1_HEAD) {
            on_head(r, p);
        } else if (ev == RL_H1_BODY) {
            assert_true(bl > 0);
            assert_ptr_equal(b + bl, buf + off); /* a slice of the input, ending at `used` */
            r->body = realloc(r->body, r->body_len + bl);
            memcpy(r->body + r->body_len, b, bl);
            r->body_len += bl;
        } else if (ev == RL_H1_NEED_MORE) {
            assert_int_equal(off, n);
            free(buf);
            return 0;
        } else {
            r->ev = ev;
            r->after = n - off + rest_after;
            r->error = p->error;
            r->reusable = rl_h1_resp_reusable(p);
            free(buf);
            return 1;
        }
    }
}

/* Feeds `in` cut at the offsets in cuts[] (ascending), then EOF if `eof`. */
static void run_cuts(const char *in, size_t len, const size_t *cuts, size_t n_cuts, int is_head, int eof,
                     result_t *r)
{
    rl_h1_resp_t p = {0};
    memset(r, 0, sizeof(*r));
    rl_h1_resp_reset(&p, is_head);
    size_t start = 0;
    for (size_t i = 0; i <= n_cuts; i++) {
        size_t end = i < n_cuts ? cuts[i] : len;
        if (feed_piece(&p, in + start, end - start, len - end, r)) goto out;
        start = end;
    }
    r->ev = RL_H1_NEED_MORE;
    if (eof) {
        r->ev = rl_h1_resp_eof(&p);
        r->error = p.error;
        r->reusable = rl_h1_resp_reusable(&p);
    }
out:
    rl_h1_resp_free(&p);
}

static void run_whole(const char *in, size_t len, int is_head, int eof, result_t *r)
{
    run_cuts(in, len, NULL, 0, is_head, eof, r);
}

static void run_bytes(const char *in, size_t len, int is_head, int eof, result_t *r)
{
    size_t *cuts = malloc((len + 1) * sizeof(*cuts));
    for (size_t i = 0; i < len; i++)
        cuts[i] = i;
    run_cuts(in, len, cuts, len, is_head, eof, r);
    free(cuts);
}

static void assert_same(const result_t *a, const result_t *b, const char *what)
{
    if (a->ev != b->ev || a->status != b->status || a->heads != b->heads || a->reusable != b->reusable ||
        a->body_len != b->body_len || (a->ev == RL_H1_DONE && a->after != b->after) ||
        strcmp(a->fields, b->fields) != 0 || strcmp(a->reason, b->reason) != 0 ||
        (a->body_len && memcmp(a->body, b->body, a->body_len) != 0) ||
        (a->error == NULL) != (b->error == NULL))
        fail_msg("%s: results differ (ev %d/%d status %d/%d body %zu/%zu after %zu/%zu err %s/%s)", what,
                 a->ev, b->ev, a->status, b->status, a->body_len, b->body_len, a->after, b->after,
                 a->error ? a->error : "-", b->error ? b->error : "-");
}

/* Runs `in` whole, byte by byte and at every single cut; all must agree.
 * The whole-input result is left in *r. */
static void run_all(const char *in, size_t len, int is_head, int eof, result_t *r)
{
    result_t other;
    run_whole(in, len, is_head, eof, r);
    run_bytes(in, len, is_head, eof, &other);
    assert_same(r, &other, "byte by byte");
    result_free(&other);
    for (size_t cut = 0; cut <= len; cut++) {
        run_cuts(in, len, &cut, 1, is_head, eof, &other);
        char what[64];
        snprintf(what, sizeof(what), "cut at %zu", cut);
        assert_same(r, &other, what);
        result_free(&other);
    }
}

typedef struct tcase {
    const char *name, *in;
    int is_head, eof;
    rl_h1_ev_t ev;
    int status;
    const char *body;
    int reusable;
    size_t after;
    const char *error; /* a substring of the error, for ERROR */
} tcase_t;

/* A complete response; `after`: input bytes left over. */
#define DONE(name, in, is_head, eof, status, body, reusable, after)                                          \
    {                                                                                                        \
        name, in, is_head, eof, RL_H1_DONE, status, body, reusable, after, NULL                              \
    }
/* The input ends before the response does. */
#define MORE(name, in, status, body)                                                                         \
    {                                                                                                        \
        name, in, 0, 0, RL_H1_NEED_MORE, status, body, 0, 0, NULL                                            \
    }
/* An error whose message contains `error`; `status` (0: none) and `body`:
 * what was handed out before it. */
#define ERR(name, in, eof, status, body, error)                                                              \
    {                                                                                                        \
        name, in, 0, eof, RL_H1_ERROR, status, body, 0, 0, error                                             \
    }

static const tcase_t cases[] = {
    DONE("length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello", 0, 0, 200, "hello", 1, 0),
    DONE("length, extra bytes after", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiJUNK", 0, 0, 200, "hi",
         1, 4),
    DONE("length 0", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0, 0, 200, "", 1, 0),
    DONE("length list of equal values",
         "HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\nContent-Length: 3\r\n\r\nabc", 0, 0, 200, "abc", 1, 0),
    DONE("LF-only line ends", "HTTP/1.1 200 OK\nContent-Length: 2\n\nok", 0, 0, 200, "ok", 1, 0),
    DONE("no reason phrase", "HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n", 0, 0, 404, "", 1, 0),
    DONE("chunked with ext and trailers",
         "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=1\r\nhello\r\n1A \r\n"
         "abcdefghijklmnopqrstuvwxyz\r\n0\r\nEtag: 1\r\nX: y\r\n\r\n",
         0, 0, 200, "helloabcdefghijklmnopqrstuvwxyz", 1, 0),
    DONE("chunked, LF only", "HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n3\nabc\n0\n\n", 0, 0, 200,
         "abc", 1, 0),
    DONE("chunked, leading zeros, bytes after",
         "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0002\r\nab\r\n0\r\n\r\nXY", 0, 0, 200, "ab", 1,
         2),
    DONE("chunked wins over length, no reuse",
         "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n",
         0, 0, 200, "ab", 0, 0),
    DONE(
        "chunked on HTTP/1.0 keep-alive, no reuse",
        "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n",
        0, 0, 200, "ab", 0, 0),
    DONE("close-delimited", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nfirst;second", 0, 1, 200,
         "first;second", 0, 0),
    DONE("close-delimited, empty", "HTTP/1.1 200 OK\r\n\r\n", 0, 1, 200, "", 0, 0),
    DONE("connection close", "HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 1\r\n\r\nx", 0, 0, 200,
         "x", 0, 0),
    DONE("connection list with close",
         "HTTP/1.1 200 OK\r\nConnection: foo, close\r\nContent-Length: 0\r\n\r\n", 0, 0, 200, "", 0, 0),
    DONE("1.0 without keep-alive", "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx", 0, 0, 200, "x", 0, 0),
    DONE("1.0 with keep-alive", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx", 0,
         0, 200, "x", 1, 0),
    DONE("HEAD request ignores length", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", 1, 0, 200, "", 1, 0),
    DONE("HEAD request ignores chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nNEXT", 1, 0,
         200, "", 1, 4),
    DONE("204 has no body", "HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n", 0, 0, 204, "", 1, 0),
    DONE("304 has no body", "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n", 0, 0, 304, "",
         1, 0),
    DONE("100 continue skipped",
         "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok", 0, 0, 201, "ok",
         1, 0),
    DONE("103 early hints skipped",
         "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n"
         "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
         0, 0, 200, "", 1, 0),
    DONE("obs-text in reason and value",
         "HTTP/1.1 200 \xc3\xa9t\xc3\xa9\r\nX: caf\xc3\xa9\r\nContent-Length: 0\r\n\r\n", 0, 0, 200, "", 1,
         0),
    DONE("HTAB in value", "HTTP/1.1 200 OK\r\nX:\ta\tb\t\r\nContent-Length: 0\r\n\r\n", 0, 0, 200, "", 1, 0),
    /* incomplete */
    MORE("head incomplete", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n", 0, ""),
    MORE("body incomplete", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel", 200, "hel"),
    /* errors */
    ERR("101 is an error", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n", 0, 0, "", "101"),
    ERR("conflicting lengths", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello", 0, 0,
        "", "conflicting"),
    ERR("conflicting length list", "HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\nhello", 0, 0, "",
        "conflicting"),
    ERR("length not a number", "HTTP/1.1 200 OK\r\nContent-Length: 5x\r\n\r\n", 0, 0, "", "Content-Length"),
    ERR("length negative", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 0, 0, "", "Content-Length"),
    ERR("length empty", "HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n", 0, 0, "", "Content-Length"),
    ERR("length too large", "HTTP/1.1 200 OK\r\nContent-Length: 1234567890123456789\r\n\r\n", 0, 0, "",
        "too large"),
    ERR("gzip transfer-coding", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 0, 0, "",
        "Transfer-Encoding"),
    ERR("chunked twice",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 0, 0, "",
        "Transfer-Encoding"),
    ERR("obs-fold", "HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 0\r\n\r\n", 0, 0, "", "obs-fold"),
    ERR("space before colon", "HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n", 0, 0, "", "malformed header"),
    ERR("empty name", "HTTP/1.1 200 OK\r\n: x\r\n\r\n", 0, 0, "", "malformed header"),
    ERR("no colon", "HTTP/1.1 200 OK\r\nXYZ\r\n\r\n", 0, 0, "", "malformed header"),
    ERR("bare CR in value", "HTTP/1.1 200 OK\r\nX: a\rb\r\nContent-Length: 0\r\n\r\n", 0, 0, "", "control"),
    ERR("bare CR ends a line", "HTTP/1.1 200 OK\rX: a\r\n\r\n", 0, 0, "", "control"),
    ERR("CR CR LF blank line", "HTTP/1.1 200 OK\r\nX: a\r\n\r\r\n\r\n", 0, 0, "", "malformed"),
    ERR("NUL in value", "HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n", 0, 0, "", "control"),
    ERR("NUL in name", "HTTP/1.1 200 OK\r\nX\0: ab\r\n\r\n", 0, 0, "", "malformed header"),
    ERR("DEL in value", "HTTP/1.1 200 OK\r\nX: a\x7f\r\n\r\n", 0, 0, "", "control"),
    ERR("HTTP/2 status line", "HTTP/2 200\r\n\r\n", 0, 0, "", "status line"),
    ERR("HTTP/0.9 junk", "hello world\r\n\r\n", 0, 0, "", "status line"),
    ERR("two-digit status", "HTTP/1.1 20 OK\r\n\r\n", 0, 0, "", "status"),
    ERR("four-digit status", "HTTP/1.1 2000 OK\r\n\r\n", 0, 0, "", "status line"),
    ERR("status 600", "HTTP/1.1 600 X\r\n\r\n", 0, 0, "", "range"),
    ERR("status 099", "HTTP/1.1 099 X\r\n\r\n", 0, 0, "", "range"),
    ERR("control in reason", "HTTP/1.1 200 O\x01K\r\n\r\n", 0, 0, "", "reason"),
    ERR("empty status line", "\r\nHTTP/1.1 200 OK\r\n\r\n", 0, 0, "", "empty status"),
    ERR("bad chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 0, 200, "",
        "chunk size"),
    ERR("chunk size with junk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5 x\r\nhello\r\n", 0,
        200, "", "chunk size"),
    ERR("negative chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\n", 0, 200, "",
        "chunk size"),
    ERR("chunk size overflow", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1ffffffffffffffff\r\n",
        0, 200, "", "too large"),
    ERR("no CRLF after chunk data", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n", 0,
        200, "ab", "CRLF"),
    ERR("bare CR in chunk line", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\rab\r\n", 0, 200, "",
        "bare CR"),
    ERR("bare CR in trailers", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: 1\rY\r\n\r\n", 0,
        200, "", "bare CR"),
    ERR("eof before any byte", "", 1, 0, "", "before any"),
    ERR("eof in the head", "HTTP/1.1 200 OK\r\n", 1, 0, "", "head"),
    ERR("eof in a length body", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab", 1, 200, "ab", "body"),
    ERR("eof in a chunked body", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", 1, 200, "ab",
        "body"),
};

static void test_table(void **state)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const tcase_t *c = &cases[i];
        result_t r;
        size_t len = strlen(c->in);
        if (strstr(c->name, "NUL") != NULL) len = strlen(c->in) + 1 + strlen(c->in + strlen(c->in) + 1);
        run_all(c->in, len, c->is_head, c->eof, &r);
        if (r.ev != c->ev)
            fail_msg("%s: event %d, want %d (%s)", c->name, r.ev, c->ev, r.error ? r.error : "-");
        if (c->ev == RL_H1_ERROR && (r.error == NULL || strstr(r.error, c->error) == NULL))
            fail_msg("%s: error '%s', want '%s'", c->name, r.error ? r.error : "-", c->error);
        if (r.status != c->status || r.heads != (c->status ? 1 : 0))
            fail_msg("%s: status %d heads %d", c->name, r.status, r.heads);
        if (c->ev == RL_H1_DONE && r.reusable != c->reusable)
            fail_msg("%s: reusable %d", c->name, r.reusable);
        if (c->ev == RL_H1_DONE && r.after != c->after) fail_msg("%s: %zu bytes after", c->name, r.after);
        if (r.body_len != strlen(c->body) || memcmp(r.body ? r.body : "", c->body, r.body_len) != 0)
            fail_msg("%s: body '%.*s', want '%s'", c->name, (int)r.body_len, r.body ? r.body : "", c->body);
        result_free(&r);
    }
}

static void test_fields_and_reason(void **state)
{
    const char *in = "HTTP/1.1 201 Created Now\r\nLocation: /x/9\r\nSet-Cookie: a=1\r\nSet-Cookie:b=2  \r\n"
                     "X-Empty:\r\nContent-Length: 0\r\n\r\n";
    result_t r;
    run_all(in, strlen(in), 0, 0, &r);
    assert_int_equal(r.status, 201);
    assert_string_equal(r.reason, "Created Now");
    assert_int_equal(r.n_fields, 5);
    assert_string_equal(r.fields,
                        "Location=/x/9\nSet-Cookie=a=1\nSet-Cookie=b=2\nX-Empty=\nContent-Length=0\n");
    result_free(&r);
}

/* The worked example of the essay, with its exact `used` counts, and zero
 * copy: a head that arrives whole is parsed where it lies. */
static void test_worked_example(void **state)
{
    static const char in[] =
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=1\r\nhello\r\n0\r\nEtag: 1\r\n\r\n";
    rl_h1_resp_t p = {0};
    size_t used, bl, off = 0;
    const char *b;
    rl_h1_resp_reset(&p, 0);
    assert_int_equal(rl_h1_resp_feed(&p, in, sizeof(in) - 1, &used, &b, &bl), RL_H1_HEAD);
    assert_int_equal(used, 47);
    assert_int_equal(p.status, 200);
    assert_int_equal(p.n_hdrs, 1);
    assert_ptr_equal(p.hdrs[0].name, in + 17);
    assert_ptr_equal(p.reason, in + 13);
    off += used;
    assert_int_equal(rl_h1_resp_feed(&p, in + off, sizeof(in) - 1 - off, &used, &b, &bl), RL_H1_BODY);
    assert_int_equal(used, 12);
    assert_ptr_equal(b, in + off + 7);
    assert_int_equal(bl, 5);
    off += used;
    assert_int_equal(rl_h1_resp_feed(&p, in + off, sizeof(in) - 1 - off, &used, &b, &bl), RL_H1_DONE);
    assert_int_equal(used, 16);
    assert_int_equal(off + used, sizeof(in) - 1);
    assert_true(rl_h1_resp_reusable(&p));
    /* DONE is sticky and consumes nothing more */
    assert_int_equal(rl_h1_resp_feed(&p, "xx", 2, &used, &b, &bl), RL_H1_DONE);
    assert_int_equal(used, 0);
    assert_null(p.buf); /* nothing was gathered */
    rl_h1_resp_free(&p);
}

static void test_pipelined_responses_with_reset(void **state)
{
    const char *in = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nAHTTP/1.1 204 No\r\n\r\n";
    rl_h1_resp_t p = {0};
    size_t used, bl, off = 0;
    const char *b;
    rl_h1_resp_reset(&p, 0);
    assert_int_equal(rl_h1_resp_feed(&p, in, strlen(in), &used, &b, &bl), RL_H1_HEAD);
    off += used;
    assert_int_equal(rl_h1_resp_feed(&p, in + off, strlen(in) - off, &used, &b, &bl), RL_H1_BODY);
    off += used;
    assert_int_equal(rl_h1_resp_feed(&p, in + off, strlen(in) - off, &used, &b, &bl), RL_H1_DONE);
    assert_int_equal(used, 0);
    rl_h1_resp_reset(&p, 0);
    assert_int_equal(rl_h1_resp_feed(&p, in + off, strlen(in) - off, &used, &b, &bl), RL_H1_HEAD);
    assert_int_equal(p.status, 204);
    assert_int_equal(rl_h1_resp_feed(&p, NULL, 0, &used, &b, &bl), RL_H1_DONE);
    assert_true(rl_h1_resp_reusable(&p));
    rl_h1_resp_free(&p);
}

/* Builds "HTTP/1.1 200 OK\r\n" + fields + "\r\n" padded to exactly `size`. */
static char *head_of_size(size_t size)
{
    char *h = malloc(size + 1);
    size_t off = (size_t)sprintf(h, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Pad: ");
    memset(h + off, 'a', size - off - 4);
    memcpy(h + size - 4, "\r\n\r\n", 5);
    return h;
}

static void test_head_size_limit(void **state)
{
    result_t r;
    char *h = head_of_size(RL_H1_MAX_HEAD);
    run_whole(h, RL_H1_MAX_HEAD, 0, 0, &r);
    assert_int_equal(r.ev, RL_H1_DONE);
    result_free(&r);
    run_bytes(h, RL_H1_MAX_HEAD, 0, 0, &r);
    assert_int_equal(r.ev, RL_H1_DONE);
    result_free(&r);
    free(h);
    h = head_of_size(RL_H1_MAX_HEAD + 1);
    run_whole(h, RL_H1_MAX_HEAD + 1, 0, 0, &r);
    assert_int_equal(r.ev, RL_H1_ERROR);
    assert_non_null(strstr(r.error, "too large"));
    result_free(&r);
    size_t cut = RL_H1_MAX_HEAD / 2;
    run_cuts(h, RL_H1_MAX_HEAD + 1, &cut, 1, 0, 0, &r);
    assert_int_equal(r.ev, RL_H1_ERROR);
    result_free(&r);
    free(h);
    /* no blank line ever: the error comes once the limit is passed, not at EOF */
    h = malloc(RL_H1_MAX_HEAD + 100);
    memcpy(h, "HTTP/1.1 200 OK\r\n", 17);
    memset(h + 17, 'x', RL_H1_MAX_HEAD + 83);
    run_whole(h, RL_H1_MAX_HEAD + 100, 0, 0, &r);
    assert_int_equal(r.ev, RL_H1_ERROR);
    result_free(&r);
    free(h);
}

static void test_header_count_limit(void **state)
{
    for (int n = RL_H1_MAX_HEADERS; n <= RL_H1_MAX_HEADERS + 1; n++) {
        char *h = malloc(64 + (size_t)n * 16);
        size_t off = (size_t)sprintf(h, "HTTP/1.1 200 OK\r\n");
        for (int i = 0; i < n - 1; i++)
            off += (size_t)sprintf(h + off, "X-%d: %d\r\n", i, i);
        off += (size_t)sprintf(h + off, "Content-Length: 0\r\n\r\n");
        result_t r;
        run_whole(h, off, 0, 0, &r);
        if (n == RL_H1_MAX_HEADERS) {
            assert_int_equal(r.ev, RL_H1_DONE);
            assert_int_equal(r.n_fields, RL_H1_MAX_HEADERS);
        } else {
            assert_int_equal(r.ev, RL_H1_ERROR);
            assert_non_null(strstr(r.error, "too many"));
        }
        result_free(&r);
        free(h);
    }
}

static void test_interim_limit(void **state)
{
    char h[2048];
    size_t off = 0;
    for (int i = 0; i < RL_H1_MAX_INTERIM + 1; i++)
        off += (size_t)sprintf(h + off, "HTTP/1.1 100 Continue\r\n\r\n");
    off += (size_t)sprintf(h + off, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    result_t r;
    run_all(h, off, 0, 0, &r);
    assert_int_equal(r.ev, RL_H1_ERROR);
    assert_non_null(strstr(r.error, "interim"));
    result_free(&r);
}

/* head + "1;eee…\r\nx\r\n0\r\n\r\n": a size line of n_ext + 4 bytes. */
static size_t chunk_with_ext(char *in, size_t n_ext)
{
    size_t off = (size_t)sprintf(in, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;");
    memset(in + off, 'e', n_ext);
    off += n_ext;
    memcpy(in + off, "\r\nx\r\n0\r\n\r\n", 10);
    return off + 10;
}

static void test_chunk_line_and_trailer_limits(void **state)
{
    char *in = malloc(RL_H1_MAX_TRAILERS + 128);
    result_t r;
    run_whole(in, chunk_with_ext(in, RL_H1_MAX_CHUNK_LINE - 4), 0, 0, &r);
    assert_int_equal(r.ev, RL_H1_DONE);
    assert_int_equal(r.body_len, 1);
    result_free(&r);
    run_whole(in, chunk_with_ext(in, RL_H1_MAX_CHUNK_LINE - 3), 0, 0, &r);
    assert_int_equal(r.ev, RL_H1_ERROR);
    assert_non_null(strstr(r.error, "too long"));
    result_free(&r);
    /* a trailer section over the limit (it counts all but the LFs) */
    size_t off = (size_t)sprintf(in, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: ");
    memset(in + off, 't', RL_H1_MAX_TRAILERS);
    off += RL_H1_MAX_TRAILERS;
    memcpy(in + off, "\r\n\r\n", 4);
    run_whole(in, off + 4, 0, 0, &r);
    assert_int_equal(r.ev, RL_H1_ERROR);
    assert_non_null(strstr(r.error, "trailer"));
    result_free(&r);
    free(in);
}

/* A body larger than any piece comes out as slices that add up. */
static void test_large_length_body_streams(void **state)
{
    size_t n = 1 << 20;
    char *in = malloc(n + 64);
    size_t off = (size_t)sprintf(in, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", n);
    for (size_t i = 0; i < n; i++)
        in[off + i] = (char)(i * 7);
    size_t cuts[64];
    for (size_t i = 0; i < 64; i++)
        cuts[i] = 10 + i * (n / 64);
    result_t r;
    run_cuts(in, off + n, cuts, 64, 0, 0, &r);
    assert_int_equal(r.ev, RL_H1_DONE);
    assert_int_equal(r.body_len, n);
    assert_memory_equal(r.body, in + off, n);
    assert_true(r.reusable);
    result_free(&r);
    free(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_fields_and_reason),
        cmocka_unit_test(test_worked_example),
        cmocka_unit_test(test_pipelined_responses_with_reset),
        cmocka_unit_test(test_head_size_limit),
        cmocka_unit_test(test_header_count_limit),
        cmocka_unit_test(test_interim_limit),
        cmocka_unit_test(test_chunk_line_and_trailer_limits),
        cmocka_unit_test(test_large_length_body_streams),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
