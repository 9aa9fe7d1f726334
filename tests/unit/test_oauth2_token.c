/* test_oauth2_token.c — upstream/oauth2_token: the cache's expiry and skew,
 * one refresh at a time with a FIFO of waiters, backoff after a failure,
 * 401 invalidation by generation (all with time as a parameter); the token
 * answer parser; the form and Basic credentials; and the fetch itself
 * against a loopback token server on a uv loop (exact request bytes, one
 * fetch for many waiters, error answers, free with waiters queued). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "upstream/oauth2_token.h"

/* ---- the pure cache ---- */

static void test_expiry_and_skew(void **state)
{
    rl_oauth2_cache_t c;
    size_t len;
    uint64_t gen;
    rl_oauth2_cache_init(&c);
    assert_true(rl_oauth2_need_refresh(&c, 0));
    assert_true(rl_oauth2_cache_begin_refresh(&c, 1000));
    assert_false(rl_oauth2_cache_begin_refresh(&c, 1000)); /* one at a time */
    assert_int_equal(rl_oauth2_cache_set(&c, "t1", 2, 3600, 1000), 0);
    assert_false(c.refreshing);
    /* 3600 s: skew min(60 s, 360 s) = 60 s → used until 1000 + 3 540 000 ms */
    assert_string_equal(rl_oauth2_cache_token(&c, 1000 + 3539999, &len, &gen), "t1");
    assert_int_equal(len, 2);
    assert_int_equal(gen, 1);
    assert_null(rl_oauth2_cache_token(&c, 1000 + 3540000, &len, &gen));
    assert_true(rl_oauth2_need_refresh(&c, 1000 + 3540000));
    /* 300 s: skew 30 s (10%) */
    assert_int_equal(rl_oauth2_cache_set(&c, "t2", 2, 300, 0), 0);
    assert_int_equal(c.refresh_at_ms, 270000);
    assert_int_equal(c.generation, 2);
    /* 5 s: skew 0.5 s */
    assert_int_equal(rl_oauth2_cache_set(&c, "t3", 2, 5, 0), 0);
    assert_int_equal(c.refresh_at_ms, 4500);
    /* no expires_in: the default lifetime */
    assert_int_equal(rl_oauth2_cache_set(&c, "t4", 2, -1, 0), 0);
    assert_int_equal(c.refresh_at_ms, RL_OAUTH2_DEFAULT_TTL_S * 1000ull - RL_OAUTH2_MAX_SKEW_MS);
    rl_oauth2_cache_free(&c);
}

static void test_failure_backoff_and_invalidate(void **state)
{
    rl_oauth2_cache_t c;
    rl_oauth2_cache_init(&c);
    assert_true(rl_oauth2_cache_begin_refresh(&c, 5000));
    rl_oauth2_cache_fail(&c, 5000);
    assert_true(rl_oauth2_cache_backoff(&c, 5000 + RL_OAUTH2_RETRY_MS - 1));
    assert_false(rl_oauth2_cache_begin_refresh(&c, 5000 + RL_OAUTH2_RETRY_MS - 1));
    assert_false(rl_oauth2_cache_backoff(&c, 5000 + RL_OAUTH2_RETRY_MS));
    assert_true(rl_oauth2_cache_begin_refresh(&c, 5000 + RL_OAUTH2_RETRY_MS));
    assert_int_equal(rl_oauth2_cache_set(&c, "a", 1, 60, 6000), 0);
    uint64_t gen = c.generation;
    assert_int_equal(rl_oauth2_cache_set(&c, "b", 1, 60, 6000), 0); /* a newer token */
    rl_oauth2_cache_invalidate(&c, gen);                            /* a late 401 for the old one: keep "b" */
    assert_string_equal(rl_oauth2_cache_token(&c, 6000, NULL, NULL), "b");
    rl_oauth2_cache_invalidate(&c, c.generation);
    assert_null(rl_oauth2_cache_token(&c, 6000, NULL, NULL));
    assert_true(rl_oauth2_need_refresh(&c, 6000));
    rl_oauth2_cache_free(&c);
}

static void test_waiter_queue(void **state)
{
    rl_oauth2_cache_t c;
    rl_oauth2_waiter_t w[4];
    rl_oauth2_cache_init(&c);
    memset(w, 0, sizeof(w));
    for (int i = 0; i < 4; i++)
        rl_oauth2_cache_wait(&c, &w[i]);
    rl_oauth2_cache_unwait(&c, &w[1]);
    rl_oauth2_cache_unwait(&c, &w[1]); /* twice is harmless */
    rl_oauth2_cache_unwait(&c, &w[3]);
    assert_ptr_equal(rl_oauth2_cache_pop(&c), &w[0]);
    assert_false(w[0].queued);
    assert_ptr_equal(rl_oauth2_cache_pop(&c), &w[2]);
    assert_null(rl_oauth2_cache_pop(&c));
    assert_null(c.tail);
    rl_oauth2_cache_free(&c);
}

/* ---- the answer ---- */

static void parse_fails(const char *body, const char *part)
{
    rl_oauth2_answer_t a;
    char why[128] = "";
    assert_int_equal(rl_oauth2_parse_answer(body, strlen(body), &a, why, sizeof(why)), -1);
    if (strstr(why, part) == NULL) fail_msg("'%s': want \"%s\" in \"%s\"", body, part, why);
    assert_null(a.access_token);
}

static void test_parse_answer(void **state)
{
    rl_oauth2_answer_t a;
    const char *b =
        "{\"access_token\":\"eyJ.x\",\"token_type\":\"Bearer\",\"expires_in\":3599,\"scope\":\"a\"}";
    assert_int_equal(rl_oauth2_parse_answer(b, strlen(b), &a, NULL, 0), 0);
    assert_string_equal(a.access_token, "eyJ.x");
    assert_int_equal(a.token_len, 5);
    assert_int_equal(a.expires_in, 3599);
    rl_oauth2_answer_free(&a);
    b = "{\"access_token\":\"t\",\"token_type\":\"bearer\",\"expires_in\":\"120\"}";
    assert_int_equal(rl_oauth2_parse_answer(b, strlen(b), &a, NULL, 0), 0);
    assert_int_equal(a.expires_in, 120);
    rl_oauth2_answer_free(&a);
    b = "{\"access_token\":\"t\"}";
    assert_int_equal(rl_oauth2_parse_answer(b, strlen(b), &a, NULL, 0), 0);
    assert_int_equal(a.expires_in, -1);
    rl_oauth2_answer_free(&a);
    parse_fails("{\"error\":\"invalid_client\",\"error_description\":\"secret s3cr3t wrong\"}",
                "token endpoint error 'invalid_client'");
    parse_fails("[1]", "not a JSON object");
    parse_fails("{\"access_token\":", "not a JSON object");
    parse_fails("{\"access_token\":\"\"}", "no access_token");
    parse_fails("{\"access_token\":5}", "no access_token");
    parse_fails("{\"access_token\":\"a\\r\\nX: y\"}", "control characters");
    parse_fails("{\"access_token\":\"t\",\"token_type\":\"mac\"}", "not bearer");
    parse_fails("{\"access_token\":\"t\",\"expires_in\":0}", "positive integer");
    parse_fails("{\"access_token\":\"t\",\"expires_in\":\"1h\"}", "positive integer");
    parse_fails("{\"access_token\":\"t\",\"access_token\":\"u\"}", "not a JSON object");
}

static rl_auth_cfg_t oauth_cfg(const char *url, rl_oauth2_client_auth_t how)
{
    rl_auth_cfg_t a = {.type = RL_AUTH_OAUTH2_CC};
    a.oauth2.token_url = (char *)url;
    a.oauth2.client_id = "my id", a.oauth2.client_secret = "s:e/c";
    a.oauth2.scope = "read write", a.oauth2.audience = "https://api.example.com";
    a.oauth2.client_auth = how;
    return a;
}

static void test_form_and_basic(void **state)
{
    rl_auth_cfg_t a = oauth_cfg("http://x/t", RL_OAUTH2_AUTH_BASIC);
    char *f = rl_oauth2_form(&a), *b = rl_oauth2_basic(&a);
    assert_string_equal(
        f, "grant_type=client_credentials&scope=read+write&audience=https%3A%2F%2Fapi.example.com");
    /* base64("my+id:s%3Ae%2Fc"), RFC 6749 §2.3.1 */
    assert_string_equal(b, "Basic bXkraWQ6cyUzQWUlMkZj");
    free(f);
    free(b);
    a = oauth_cfg("http://x/t", RL_OAUTH2_AUTH_BODY);
    a.oauth2.scope = a.oauth2.audience = NULL;
    f = rl_oauth2_form(&a);
    assert_string_equal(f, "grant_type=client_credentials&client_id=my+id&client_secret=s%3Ae%2Fc");
    assert_null(rl_oauth2_basic(&a));
    free(f);
}

/* ---- the fetch against a loopback token server ---- */

static uv_loop_t loop;
static uv_tcp_t lis;
static int port, n_reqs;
static char first_req[4096];
static const char *answer;

typedef struct sconn {
    uv_tcp_t tcp;
    char buf[8192];
    size_t len;
} sconn_t;

static void on_sclose(uv_handle_t *h)
{
    free(h->data);
}

static void on_swritten(uv_write_t *w, int status)
{
    sconn_t *k = w->data;
    uv_close((uv_handle_t *)&k->tcp, on_sclose);
    free(w);
}

static void s_alloc(uv_handle_t *h, size_t sug, uv_buf_t *b)
{
    sconn_t *k = h->data;
    *b = uv_buf_init(k->buf + k->len, (unsigned)(sizeof(k->buf) - k->len - 1));
}

static void s_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *b)
{
    sconn_t *k = st->data;
    if (nread < 0) {
        uv_close((uv_handle_t *)&k->tcp, on_sclose);
        return;
    }
    k->len += (size_t)nread;
    k->buf[k->len] = '\0';
    char *end = strstr(k->buf, "\r\n\r\n"), *cl = strstr(k->buf, "Content-Length: ");
    if (end == NULL || cl == NULL || k->len < (size_t)(end + 4 - k->buf) + strtoul(cl + 16, NULL, 10)) return;
    if (n_reqs++ == 0) snprintf(first_req, sizeof(first_req), "%.4000s", k->buf);
    uv_read_stop(st);
    size_t n = strlen(answer);
    uv_write_t *w = malloc(sizeof(*w) + n);
    memcpy(w + 1, answer, n);
    uv_buf_t out = uv_buf_init((char *)(w + 1), (unsigned)n);
    w->data = k;
    uv_write(w, st, &out, 1, on_swritten);
}

static void s_accept(uv_stream_t *l, int status)
{
    sconn_t *k = calloc(1, sizeof(*k));
    uv_tcp_init(&loop, &k->tcp);
    k->tcp.data = k;
    uv_accept(l, (uv_stream_t *)&k->tcp);
    uv_read_start((uv_stream_t *)&k->tcp, s_alloc, s_read);
}

static int srv_setup(void **state)
{
    struct sockaddr_in a;
    struct sockaddr_storage got;
    int len = sizeof(got);
    uv_loop_init(&loop);
    uv_tcp_init(&loop, &lis);
    uv_ip4_addr("127.0.0.1", 0, &a);
    uv_tcp_bind(&lis, (const struct sockaddr *)&a, 0);
    uv_listen((uv_stream_t *)&lis, 16, s_accept);
    uv_tcp_getsockname(&lis, (struct sockaddr *)&got, &len);
    port = ntohs(((struct sockaddr_in *)&got)->sin_port);
    return 0;
}

static int srv_teardown(void **state)
{
    uv_close((uv_handle_t *)&lis, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    return uv_loop_close(&loop) == 0 ? 0 : -1;
}

typedef struct got {
    rl_oauth2_waiter_t w;
    int calls, rc;
    char token[64];
    uint64_t gen;
} got_t;

static int n_done;

static void on_token(rl_oauth2_waiter_t *w, int rc, const char *token, size_t len, uint64_t gen)
{
    got_t *g = (got_t *)w;
    g->calls++, g->rc = rc, g->gen = gen;
    snprintf(g->token, sizeof(g->token), "%.*s", (int)len, token ? token : "");
    n_done++;
}

static void run_until_done(int want)
{
    for (int i = 0; i < 2000 && n_done < want; i++)
        uv_run(&loop, UV_RUN_ONCE);
}

static void test_fetch_once_for_many(void **state)
{
    static const char body[] = "{\"access_token\":\"tok-1\",\"token_type\":\"Bearer\",\"expires_in\":3600}";
    static char resp[256];
    snprintf(resp, sizeof(resp),
             "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
             strlen(body), body);
    answer = resp, n_reqs = 0, n_done = 0;
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/oauth/token", port);
    rl_auth_cfg_t a = oauth_cfg(url, RL_OAUTH2_AUTH_BASIC);
    rl_client_t *client = rl_client_new(&loop);
    rl_oauth2_t *o = rl_oauth2_new(&loop, client, &a, 2000);
    assert_non_null(o);
    got_t g[3];
    memset(g, 0, sizeof(g));
    const char *t = NULL;
    size_t len;
    uint64_t gen;
    for (int i = 0; i < 3; i++)
        assert_int_equal(rl_oauth2_get(o, &g[i].w, on_token, NULL, &t, &len, &gen), 0);
    assert_int_equal(n_done, 0); /* never from inside rl_oauth2_get */
    run_until_done(3);
    assert_int_equal(n_reqs, 1);
    assert_int_equal(rl_oauth2_fetches(o), 1);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(g[i].calls, 1);
        assert_int_equal(g[i].rc, 0);
        assert_string_equal(g[i].token, "tok-1");
        assert_int_equal(g[i].gen, 1);
    }
    assert_non_null(strstr(first_req, "POST /oauth/token HTTP/1.1\r\n"));
    assert_non_null(strstr(first_req, "\r\nAuthorization: Basic bXkraWQ6cyUzQWUlMkZj\r\n"));
    assert_non_null(strstr(first_req, "\r\nContent-Type: application/x-www-form-urlencoded\r\n"));
    assert_non_null(strstr(first_req, "\r\n\r\ngrant_type=client_credentials&scope=read+write&audience="));
    /* cached: answered at once */
    assert_int_equal(rl_oauth2_get(o, &g[0].w, on_token, NULL, &t, &len, &gen), 1);
    assert_memory_equal(t, "tok-1", 5);
    assert_int_equal(gen, 1);
    /* a 401 with it: the next request fetches again */
    rl_oauth2_invalidate(o, gen);
    n_done = 0;
    assert_int_equal(rl_oauth2_get(o, &g[0].w, on_token, NULL, &t, &len, &gen), 0);
    run_until_done(1);
    assert_int_equal(n_reqs, 2);
    assert_int_equal(g[0].gen, 2);
    assert_string_equal(rl_oauth2_last_error(o), "");
    rl_oauth2_free(o);
    rl_client_free(client);
    uv_run(&loop, UV_RUN_NOWAIT);
}

static void test_fetch_error_then_backoff(void **state)
{
    answer = "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: 26\r\n\r\n"
             "{\"error\":\"invalid_client\"}";
    n_reqs = 0, n_done = 0;
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/t", port);
    rl_auth_cfg_t a = oauth_cfg(url, RL_OAUTH2_AUTH_BODY);
    rl_client_t *client = rl_client_new(&loop);
    rl_oauth2_t *o = rl_oauth2_new(&loop, client, &a, 2000);
    got_t g[2];
    memset(g, 0, sizeof(g));
    const char *t = NULL;
    size_t len;
    uint64_t gen;
    assert_int_equal(rl_oauth2_get(o, &g[0].w, on_token, NULL, &t, &len, &gen), 0);
    assert_int_equal(rl_oauth2_get(o, &g[1].w, on_token, NULL, &t, &len, &gen), 0);
    rl_oauth2_cancel(o, &g[1].w);
    run_until_done(1);
    uv_run(&loop, UV_RUN_NOWAIT);
    assert_int_equal(g[0].calls, 1);
    assert_int_equal(g[0].rc, -RL_EUPSTREAM_ERROR);
    assert_int_equal(g[1].calls, 0);
    assert_string_equal(rl_oauth2_last_error(o), "HTTP 401: token endpoint error 'invalid_client'");
    assert_non_null(strstr(first_req, "client_id=my+id&client_secret=s%3Ae%2Fc"));
    assert_null(strstr(first_req, "Authorization:"));
    /* backing off: fail at once, no new request */
    assert_int_equal(rl_oauth2_get(o, &g[0].w, on_token, NULL, &t, &len, &gen), -RL_EUPSTREAM_ERROR);
    assert_int_equal(rl_oauth2_fetches(o), 1);
    rl_oauth2_free(o);
    rl_client_free(client);
    uv_run(&loop, UV_RUN_NOWAIT);
}

static void test_free_with_waiters(void **state)
{
    answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
    n_done = 0;
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/t", port);
    rl_auth_cfg_t a = oauth_cfg(url, RL_OAUTH2_AUTH_BASIC);
    rl_client_t *client = rl_client_new(&loop);
    rl_oauth2_t *o = rl_oauth2_new(&loop, client, &a, 2000);
    got_t g;
    memset(&g, 0, sizeof(g));
    const char *t;
    size_t len;
    uint64_t gen;
    assert_int_equal(rl_oauth2_get(o, &g.w, on_token, NULL, &t, &len, &gen), 0);
    rl_oauth2_free(o);
    assert_int_equal(g.calls, 1);
    assert_int_equal(g.rc, -RL_EUPSTREAM_ERROR);
    rl_client_free(client);
    for (int i = 0; i < 20; i++)
        uv_run(&loop, UV_RUN_NOWAIT);
    /* a config whose credentials are missing gives no token source */
    a.n_missing_env = 1;
    assert_null(rl_oauth2_new(&loop, NULL, &a, 1000));
}

int main(void)
{
    const struct CMUnitTest pure[] = {
        cmocka_unit_test(test_expiry_and_skew), cmocka_unit_test(test_failure_backoff_and_invalidate),
        cmocka_unit_test(test_waiter_queue),    cmocka_unit_test(test_parse_answer),
        cmocka_unit_test(test_form_and_basic),
    };
    const struct CMUnitTest fetch[] = {
        cmocka_unit_test(test_fetch_once_for_many),
        cmocka_unit_test(test_fetch_error_then_backoff),
        cmocka_unit_test(test_free_with_waiters),
    };
    int rc = cmocka_run_group_tests(pure, NULL, NULL);
    return rc | cmocka_run_group_tests(fetch, srv_setup, srv_teardown);
}
