/* test_auth_apply.c — upstream/auth_apply: the exact headers (and URL) each
 * auth type puts on a request, missing credentials, and that the client's
 * own copy of a credential header or query parameter is replaced. Expected
 * signatures were computed independently with python3 (hmac, hashlib). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "upstream/auth_apply.h"
#include "upstream/hmac_sign.h"

#define NOW 1440938160000ull /* 2015-08-30T12:36:00Z */

static rl_auth_req_t req(const char *method, const char *url, const char *body)
{
    return (rl_auth_req_t){.method = method,
                           .method_len = strlen(method),
                           .url = url,
                           .body = body,
                           .body_len = body ? strlen(body) : 0,
                           .now_ms = NOW};
}

static void has(const rl_auth_out_t *o, size_t i, const char *name, const char *value)
{
    assert_true(i < o->n_hdrs);
    assert_int_equal(o->hdrs[i].name_len, strlen(name));
    assert_memory_equal(o->hdrs[i].name, name, strlen(name));
    if (o->hdrs[i].value_len != strlen(value) || memcmp(o->hdrs[i].value, value, strlen(value)) != 0)
        fail_msg("%s: got '%.*s' want '%s'", name, (int)o->hdrs[i].value_len, o->hdrs[i].value, value);
}

static void test_api_key_header(void **state)
{
    rl_auth_cfg_t a = {.type = RL_AUTH_API_KEY};
    a.api_key.header = "X-Api-Key", a.api_key.key = "k1", a.api_key.prefix = "Key ";
    rl_auth_req_t r = req("GET", "https://api.example.com/v1/x", NULL);
    rl_auth_out_t o;
    assert_int_equal(rl_auth_apply(&a, &r, &o, NULL), 0);
    assert_int_equal(o.n_hdrs, 1);
    has(&o, 0, "X-Api-Key", "Key k1");
    assert_null(o.url);
    assert_true(rl_auth_out_replaces(&o, "x-api-key", 9));
    assert_false(rl_auth_out_replaces(&o, "authorization", 13));
    rl_auth_out_free(&o);
    assert_int_equal(o.n_hdrs, 0);
}

static void test_api_key_query_replaces_clients_param(void **state)
{
    rl_auth_cfg_t a = {.type = RL_AUTH_API_KEY};
    a.api_key.query = "api_key", a.api_key.key = "s/x y";
    rl_auth_out_t o;
    rl_auth_req_t r = req("GET", "https://h.example/p?a=1&api_key=evil&api_keyx=2&api_key&b=2#frag", NULL);
    assert_int_equal(rl_auth_apply(&a, &r, &o, NULL), 0);
    assert_int_equal(o.n_hdrs, 0);
    assert_string_equal(o.url, "https://h.example/p?a=1&api_keyx=2&b=2&api_key=s%2Fx%20y");
    rl_auth_out_free(&o);
    r = req("GET", "http://127.0.0.1:9000", NULL);
    assert_int_equal(rl_auth_apply(&a, &r, &o, NULL), 0);
    assert_string_equal(o.url, "http://127.0.0.1:9000?api_key=s%2Fx%20y");
    rl_auth_out_free(&o);
}

static void test_bearer_basic_oauth2(void **state)
{
    rl_auth_out_t o;
    rl_auth_req_t r = req("GET", "https://h/x", NULL);
    rl_auth_cfg_t a = {.type = RL_AUTH_BEARER};
    a.bearer.token = "tok";
    assert_int_equal(rl_auth_apply(&a, &r, &o, NULL), 0);
    has(&o, 0, "Authorization", "Bearer tok");
    rl_auth_out_free(&o);
    rl_auth_cfg_t b = {.type = RL_AUTH_BASIC};
    b.basic.username = "user", b.basic.password = "pa:ss";
    assert_int_equal(rl_auth_apply(&b, &r, &o, NULL), 0);
    has(&o, 0, "Authorization", "Basic dXNlcjpwYTpzcw=="); /* base64("user:pa:ss") */
    rl_auth_out_free(&o);
    rl_auth_cfg_t c = {.type = RL_AUTH_OAUTH2_CC};
    rl_err_t err = {0};
    assert_int_equal(rl_auth_apply(&c, &r, &o, &err), -RL_EINTERNAL);
    assert_non_null(strstr(err.msg, "no access token"));
    rl_auth_out_free(&o);
    r.token = "at-123", r.token_len = 6;
    assert_int_equal(rl_auth_apply(&c, &r, &o, NULL), 0);
    has(&o, 0, "Authorization", "Bearer at-123");
    rl_auth_out_free(&o);
    rl_auth_cfg_t m = {.type = RL_AUTH_MTLS};
    assert_int_equal(rl_auth_apply(&m, &r, &o, NULL), 0);
    assert_int_equal(o.n_hdrs, 0);
    rl_auth_out_free(&o);
}

static void test_missing_credentials(void **state)
{
    char *missing[] = {"OPENAI_API_KEY", NULL};
    rl_auth_cfg_t a = {.type = RL_AUTH_BEARER, .missing_env = missing, .n_missing_env = 1};
    rl_auth_out_t o;
    rl_err_t err = {0};
    rl_auth_req_t r = req("GET", "https://h/x", NULL);
    assert_int_equal(rl_auth_apply(&a, &r, &o, &err), -RL_EINTERNAL);
    assert_int_equal(err.code, RL_EINTERNAL);
    assert_non_null(strstr(err.msg, "not configured"));
    assert_int_equal(o.n_hdrs, 0);
    rl_auth_out_free(&o);
    a.bearer.token = "t"; /* set, but another credential of the block is missing */
    assert_int_equal(rl_auth_apply(&a, &r, &o, NULL), -RL_EINTERNAL);
    rl_auth_out_free(&o);
}

static void test_hmac(void **state)
{
    rl_auth_cfg_t a = {.type = RL_AUTH_HMAC};
    a.hmac.secret = "hk", a.hmac.header = "X-Signature", a.hmac.prefix = "sha256=";
    a.hmac.timestamp_header = "X-Timestamp";
    const char *tmpl = "{method}\n{path}\n{timestamp}\n{body}";
    assert_int_equal(rl_hmac_tmpl_parse(tmpl, strlen(tmpl), &a.hmac.message, NULL, 0), 0);
    assert_true(rl_auth_needs_body(&a));
    rl_auth_out_t o;
    rl_auth_req_t r = req("POST", "https://h.example/v1/x?q=1", "{\"a\":1}");
    assert_int_equal(rl_auth_apply(&a, &r, &o, NULL), 0);
    assert_int_equal(o.n_hdrs, 2);
    has(&o, 0, "X-Timestamp", "1440938160");
    /* python3: hmac.new(b"hk", b'POST\n/v1/x\n1440938160\n{"a":1}', hashlib.sha256).hexdigest() */
    has(&o, 1, "X-Signature", "sha256=118ee59a1381e312f5c2366ec6898b12c7d1252f599b57566e1ead680410a0cb");
    rl_auth_out_free(&o);
    rl_hmac_tmpl_free(&a.hmac.message);
    assert_int_equal(rl_hmac_tmpl_parse("{timestamp}", 11, &a.hmac.message, NULL, 0), 0);
    assert_false(rl_auth_needs_body(&a));
    rl_hmac_tmpl_free(&a.hmac.message);
}

static void test_sigv4(void **state)
{
    rl_auth_cfg_t a = {.type = RL_AUTH_AWS_SIGV4};
    a.sigv4.access_key = "AKIDEXAMPLE", a.sigv4.secret_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    a.sigv4.session_token = "TOK", a.sigv4.region = "eu-west-1", a.sigv4.service = "s3";
    assert_true(rl_auth_needs_body(&a));
    rl_hdr_t hdrs[] = {{"Content-Type", 12, "application/json", 16},
                       {"X-Amz-Meta-A", 12, "1", 1},
                       {"Accept", 6, "*/*", 3},
                       {"Authorization", 13, "Bearer client", 13}};
    rl_auth_req_t r =
        req("POST", "https://s3.eu-west-1.amazonaws.com:8443/bucket/a%20b?x=1", "{\"k\":\"v\"}");
    r.headers = hdrs, r.n_headers = 4;
    rl_auth_out_t o;
    assert_int_equal(rl_auth_apply(&a, &r, &o, NULL), 0);
    assert_int_equal(o.n_hdrs, 4);
    has(&o, 0, "x-amz-date", "20150830T123600Z");
    has(&o, 1, "x-amz-content-sha256", "666c1aa02e8068c6d5cc1d3295009432c16790bec28ec8ce119d0d1a18d61319");
    has(&o, 2, "x-amz-security-token", "TOK");
    /* python3, an independent SigV4 over host (with its non-default port),
     * content-type, the x-amz-* headers, S3 path rules */
    has(&o, 3, "Authorization",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/eu-west-1/s3/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-meta-a;x-amz-security-token, "
        "Signature=abc2e0f26ea6c8697a1399e687e8db0de42ce92f5571229ec51f24aac35d74a2");
    assert_true(rl_auth_out_replaces(&o, "authorization", 13));
    rl_auth_out_free(&o);
    r.url = "ftp://x/y";
    rl_err_t err;
    assert_int_equal(rl_auth_apply(&a, &r, &o, &err), -RL_EINTERNAL);
    rl_auth_out_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_api_key_header),
        cmocka_unit_test(test_api_key_query_replaces_clients_param),
        cmocka_unit_test(test_bearer_basic_oauth2),
        cmocka_unit_test(test_missing_credentials),
        cmocka_unit_test(test_hmac),
        cmocka_unit_test(test_sigv4),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
