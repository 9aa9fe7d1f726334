/* test_h1_request.c — unit tests for upstream/h1_request: which URLs the
 * HTTP/1.1 client takes and how it splits them (host, Host header, port,
 * target), and the exact request head it writes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "upstream/h1_request.h"

static void expect_url(const char *url, const char *host, const char *authority, unsigned port,
                       const char *target)
{
    rl_h1_url_t u;
    if (rl_h1_url_parse(url, &u) != 0) fail_msg("%s: refused", url);
    if (u.host_len != strlen(host) || memcmp(u.host, host, u.host_len) != 0)
        fail_msg("%s: host '%.*s', want '%s'", url, (int)u.host_len, u.host, host);
    if (u.authority_len != strlen(authority) || memcmp(u.authority, authority, u.authority_len) != 0)
        fail_msg("%s: authority '%.*s', want '%s'", url, (int)u.authority_len, u.authority, authority);
    if (u.port != port) fail_msg("%s: port %u, want %u", url, u.port, port);
    if (u.target_len != strlen(target) || memcmp(u.target, target, u.target_len) != 0)
        fail_msg("%s: target '%.*s', want '%s'", url, (int)u.target_len, u.target, target);
}

static void test_url_split(void **state)
{
    expect_url("http://127.0.0.1:9000/internal/items/42?a=1&b=%2F", "127.0.0.1", "127.0.0.1:9000", 9000,
               "/internal/items/42?a=1&b=%2F");
    expect_url("http://example.com", "example.com", "example.com", 80, "/");
    expect_url("HTTP://Example.COM/x", "Example.COM", "Example.COM", 80, "/x");
    expect_url("http://example.com:80/x", "example.com", "example.com", 80, "/x");
    expect_url("http://example.com:/x", "example.com", "example.com", 80, "/x");
    expect_url("http://example.com:8080", "example.com", "example.com:8080", 8080, "/");
    expect_url("http://[::1]:8080/a", "::1", "[::1]:8080", 8080, "/a");
    expect_url("http://[::1]/a", "::1", "[::1]", 80, "/a");
    expect_url("http://[::1]:80/a", "::1", "[::1]", 80, "/a");
    expect_url("http://h/a#frag", "h", "h", 80, "/a");
    expect_url("http://h#frag", "h", "h", 80, "/");
    expect_url("http://h:65535/", "h", "h:65535", 65535, "/");
}

static void test_url_declined(void **state)
{
    static const char *const bad[] = {
        "https://example.com/", "ftp://x/",      "http://",         "http:///path",
        "http://user:pw@h/",    "http://h:0/",   "http://h:65536/", "http://h:99999999999/",
        "http://h:8o/",         "http://[::1/",  "http://[::1]x/",  "http://h?q=1",
        "http://h/a b",         "http://h/a\tb", "http://h/\x7f",   "http://h\x01/",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        rl_h1_url_t u;
        if (rl_h1_url_parse(bad[i], &u) == 0) fail_msg("%s: taken", bad[i]);
    }
}

static char *build(const rl_xfer_req_t *req, size_t *len)
{
    rl_h1_url_t u;
    assert_int_equal(rl_h1_url_parse(req->url, &u), 0);
    size_t n = rl_h1_request_size(req, &u);
    assert_true(n > 0);
    char *buf = malloc(n + 1);
    *len = rl_h1_request_write(buf, req, &u);
    assert_int_equal(*len, n); /* the size is exact */
    buf[n] = '\0';
    return buf;
}

static void test_head_exact_bytes(void **state)
{
    const rl_hdr_t hdrs[] = {
        {"User-Agent", 10, "e2e/1.0", 7},
        {"X-Multi", 7, "one", 3},
        {"X-Multi", 7, "two", 3},
        {"X-Empty", 7, "", 0},
        {"traceparent", 11, "00-ab-cd-01", 11},
    };
    rl_xfer_req_t req = {.url = "http://127.0.0.1:9000/items/42?a=1",
                         .method = "PUT",
                         .method_len = 3,
                         .headers = hdrs,
                         .n_headers = 5,
                         .body = "{\"x\": 1}",
                         .body_len = 8,
                         .has_body = 1};
    size_t len;
    char *h = build(&req, &len);
    assert_string_equal(h, "PUT /items/42?a=1 HTTP/1.1\r\n"
                           "Host: 127.0.0.1:9000\r\n"
                           "User-Agent: e2e/1.0\r\n"
                           "X-Multi: one\r\n"
                           "X-Multi: two\r\n"
                           "X-Empty: \r\n"
                           "traceparent: 00-ab-cd-01\r\n"
                           "Content-Length: 8\r\n"
                           "\r\n");
    free(h);
}

static void test_head_body_framing(void **state)
{
    rl_xfer_req_t req = {.url = "http://example.com/", .method = "GET", .method_len = 3};
    size_t len;
    char *h = build(&req, &len);
    assert_string_equal(h, "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"); /* no body: no Content-Length */
    free(h);
    req.method = "POST";
    req.method_len = 4;
    req.has_body = 1; /* an empty body is still announced */
    h = build(&req, &len);
    assert_string_equal(h, "POST / HTTP/1.1\r\nHost: example.com\r\nContent-Length: 0\r\n\r\n");
    free(h);
    req.body_len = 1234567890;
    h = build(&req, &len);
    assert_non_null(strstr(h, "\r\nContent-Length: 1234567890\r\n\r\n"));
    free(h);
}

static void test_head_refuses_splitting(void **state)
{
    rl_h1_url_t u;
    assert_int_equal(rl_h1_url_parse("http://h/", &u), 0);
    rl_hdr_t h = {"X", 1, "a\r\nInjected: 1", 15};
    rl_xfer_req_t req = {.url = "http://h/", .method = "GET", .method_len = 3, .headers = &h, .n_headers = 1};
    assert_int_equal(rl_h1_request_size(&req, &u), 0);
    h = (rl_hdr_t){"X", 1, "a\nb", 3};
    assert_int_equal(rl_h1_request_size(&req, &u), 0);
    h = (rl_hdr_t){"X", 1, "a\0b", 3};
    assert_int_equal(rl_h1_request_size(&req, &u), 0);
    h = (rl_hdr_t){"X Y", 3, "v", 1};
    assert_int_equal(rl_h1_request_size(&req, &u), 0);
    h = (rl_hdr_t){"", 0, "v", 1};
    assert_int_equal(rl_h1_request_size(&req, &u), 0);
    h = (rl_hdr_t){"X", 1, "tab\tand obs-text \xc3\xa9", 19};
    assert_true(rl_h1_request_size(&req, &u) > 0);
    req.method = "GET /x";
    req.method_len = 6;
    req.n_headers = 0;
    assert_int_equal(rl_h1_request_size(&req, &u), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_split),
        cmocka_unit_test(test_url_declined),
        cmocka_unit_test(test_head_exact_bytes),
        cmocka_unit_test(test_head_body_framing),
        cmocka_unit_test(test_head_refuses_splitting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
