/* test_cachekey.c — cache key normalisation (sorted query, vary headers,
 * who is asking), parent collections, storability of responses
 * (status, Cache-Control), and cached entries round-tripping as bytes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "policy/cacheentry.h"
#include "policy/cachekey.h"

static const char *normq(const char *q)
{
    static char out[1024];
    size_t n = rl_cachekey_query(q, strlen(q), out);
    out[n] = '\0';
    return out;
}

static void test_query_sorted(void **state)
{
    (void)state;
    assert_string_equal(normq("b=2&a=1"), "a=1&b=2");
    assert_string_equal(normq("a=1&b=2"), "a=1&b=2");
    /* repeated names keep their relative order (a=3&a=1 is another query) */
    assert_string_equal(normq("b=1&a=3&a=1"), "a=3&a=1&b=1");
    assert_string_equal(normq("a=1&a=3&b=1"), "a=1&a=3&b=1");
    /* empty parameters are dropped; a name alone is kept */
    assert_string_equal(normq("&&b&a=&"), "a=&b");
    assert_string_equal(normq(""), "");
    /* names that prefix others sort first */
    assert_string_equal(normq("ab=1&a=2&a_=3"), "a=2&a_=3&ab=1");
    /* values are not decoded: different bytes, different keys */
    assert_string_equal(normq("x=%41&x=A"), "x=%41&x=A");
    assert_string_equal(normq("fields=name,id&id=1"), "fields=name,id&id=1");
}

static void test_query_too_many(void **state)
{
    (void)state;
    char q[RL_CACHEKEY_MAX_PARAMS * 4 + 8] = "";
    size_t n = 0;
    for (int i = 0; i < RL_CACHEKEY_MAX_PARAMS + 1; i++)
        n += (size_t)snprintf(q + n, sizeof(q) - n, "%s%c=", i ? "&" : "", 'z' - i % 26);
    assert_string_equal(normq(q), q); /* kept as it came, deterministic still */
}

static const char *key_of(const char *path, const char *q, const char *vary, const char *who)
{
    static char buf[256];
    rl_cachekey_t k;
    rl_cachekey_init(&k, buf, sizeof(buf) - 1);
    rl_cachekey_target(&k, path, strlen(path), q, strlen(q));
    if (vary) rl_cachekey_vary(&k, "accept-language", vary, strlen(vary));
    rl_cachekey_add(&k, "\n", 1);
    rl_cachekey_add(&k, who, strlen(who));
    if (k.len > k.cap) return "<too long>";
    buf[k.len] = '\0';
    return buf;
}

static void test_key(void **state)
{
    (void)state;
    assert_string_equal(key_of("/v1/items", "b=2&a=1", NULL, "public"), "GET /v1/items?a=1&b=2\npublic");
    assert_string_equal(key_of("/v1/items", "a=1&b=2", NULL, "public"), "GET /v1/items?a=1&b=2\npublic");
    assert_string_equal(key_of("/v1/items", "", NULL, "c=k1"), "GET /v1/items\nc=k1");
    assert_string_equal(key_of("/v1/items", "&", NULL, "c=k1"), "GET /v1/items\nc=k1");
    assert_string_equal(key_of("/v1/items", "", "fr", "anon"), "GET /v1/items\naccept-language:fr\nanon");
    char fr[64];
    snprintf(fr, sizeof(fr), "%s", key_of("/v1/items", "", "fr", "anon"));
    assert_string_not_equal(fr, key_of("/v1/items", "", "de", "anon"));
    char longpath[300];
    memset(longpath, 'a', sizeof(longpath) - 1);
    longpath[0] = '/';
    longpath[sizeof(longpath) - 1] = '\0';
    assert_string_equal(key_of(longpath, "", NULL, "anon"), "<too long>");
    assert_string_equal(key_of("/x", longpath + 1, NULL, "anon"), "<too long>");
}

static void test_creds_digest(void **state)
{
    (void)state;
    char a[32], b[32], c[32];
    const char *v1[] = {"Bearer alice", ""}, *v2[] = {"Bearer bob", ""}, *v3[] = {"", "Bearer alice"};
    size_t l1[] = {12, 0}, l2[] = {10, 0}, l3[] = {0, 12};
    rl_cachekey_creds_digest(v1, l1, 2, a);
    rl_cachekey_creds_digest(v2, l2, 2, b);
    rl_cachekey_creds_digest(v3, l3, 2, c);
    assert_memory_not_equal(a, b, 32);
    assert_memory_not_equal(a, c, 32); /* the same value in another header is another caller */
    rl_cachekey_creds_digest(v1, l1, 2, b);
    assert_memory_equal(a, b, 32);
}

static size_t parent(const char *p)
{
    return rl_cachekey_parent(p, strlen(p));
}

static void test_parent(void **state)
{
    (void)state;
    assert_int_equal(parent("/v1/items/42"), strlen("/v1/items"));
    assert_int_equal(parent("/v1/items/42/"), strlen("/v1/items"));
    assert_int_equal(parent("/v1/items"), strlen("/v1"));
    assert_int_equal(parent("/v1"), 1);
    assert_int_equal(parent("/"), 0);
    assert_int_equal(parent(""), 0);
    assert_int_equal(parent("//"), 0);
}

static void test_storable(void **state)
{
    (void)state;
    uint64_t ttl = 0;
#define ST(status, cc) rl_cache_storable(status, cc, strlen(cc), NULL, 0, 0, 60000, &ttl)
    assert_true(ST(200, ""));
    assert_int_equal(ttl, 60000);
    assert_true(ST(404, ""));
    assert_true(ST(301, ""));
    assert_false(ST(500, ""));
    assert_false(ST(502, ""));
    assert_false(ST(503, ""));
    assert_false(ST(201, ""));
    assert_false(ST(206, ""));
    assert_false(ST(302, ""));
    assert_false(ST(200, "no-store"));
    assert_false(ST(200, "public, No-Store"));
    assert_false(ST(200, "private"));
    assert_false(ST(200, "private=\"set-cookie\""));
    assert_false(ST(200, "max-age=60, no-cache"));
    assert_true(ST(200, "public, max-age=10"));
    assert_int_equal(ttl, 10000);
    assert_true(ST(200, "max-age=10, s-maxage=20"));
    assert_int_equal(ttl, 20000);
    assert_true(ST(200, "max-age=\"5\""));
    assert_int_equal(ttl, 5000);
    assert_true(ST(200, "max-age=3600")); /* never longer than the route says */
    assert_int_equal(ttl, 60000);
    assert_false(ST(200, "max-age=0"));
    assert_true(ST(200, "max-age=x"));
    assert_int_equal(ttl, 60000);
    assert_true(ST(200, "no-storex, privately"));
#undef ST
}

static void test_storable_expires(void **state)
{
    (void)state;
    uint64_t ttl = 0, now = 1700000000000ull; /* Tue, 14 Nov 2023 22:13:20 GMT */
#define EX(cc, exp) rl_cache_storable(200, cc, strlen(cc), exp, strlen(exp), now, 60000, &ttl)
    assert_true(EX("", "Tue, 14 Nov 2023 22:13:30 GMT"));
    assert_int_equal(ttl, 10000);
    assert_true(EX("", " Tue, 14 Nov 2023 23:13:30 GMT ")); /* never longer than the route says */
    assert_int_equal(ttl, 60000);
    assert_false(EX("", "Tue, 14 Nov 2023 22:13:20 GMT")); /* already stale */
    assert_false(EX("", "Thu, 01 Jan 1970 00:00:00 GMT"));
    assert_false(EX("", "0")); /* not a date: already expired */
    assert_false(EX("", "-1"));
    assert_false(EX("", ""));
    assert_true(EX("max-age=20", "0")); /* max-age wins */
    assert_int_equal(ttl, 20000);
    assert_true(EX("s-maxage=30", "Thu, 01 Jan 1970 00:00:00 GMT"));
    assert_int_equal(ttl, 30000);
    assert_false(EX("no-store", "Tue, 14 Nov 2023 22:13:30 GMT"));
#undef EX
}

static void test_vary_covered(void **state)
{
    (void)state;
    char *names[] = {"accept-language", "x-tenant"};
#define COV(v, by) rl_cache_vary_covered(v, strlen(v), names, 2, by)
    assert_true(COV("", false));
    assert_true(COV("Accept-Language", false));
    assert_true(COV(" accept-language ,X-Tenant,, ", false));
    assert_false(COV("Accept-Encoding", false)); /* not in the key */
    assert_false(COV("accept-language, Accept-Encoding", true));
    assert_false(COV("*", true));
    assert_false(COV("accept-language, *", true));
    assert_false(COV("accept-languagex", false));
    assert_false(COV("Authorization", false)); /* a public entry is shared by every caller */
    assert_true(COV("Authorization, Cookie, X-API-Key, Proxy-Authorization", true));
    assert_true(rl_cache_vary_covered("Cookie", 6, NULL, 0, true));
    assert_false(rl_cache_vary_covered("Origin", 6, NULL, 0, true));
#undef COV
}

static void test_entry_roundtrip(void **state)
{
    (void)state;
    rl_centry_hdr_t h[] = {{"content-type", 12, "application/json", 16, 21}, {"x-a", 3, "", 0, 0}};
    rl_centry_t e = {.status = 200,
                     .stored_ms = 1234567890123ull,
                     .etag = "\"t\"",
                     .etag_len = 3,
                     .headers = h,
                     .n_headers = 2,
                     .body = "{\"a\":1}",
                     .body_len = 7};
    size_t n = rl_centry_size(&e);
    char buf[256];
    assert_true(n > 0 && n <= sizeof(buf));
    rl_centry_encode(&e, buf);
    rl_centry_t d;
    rl_centry_hdr_t dh[4];
    assert_int_equal(rl_centry_decode(buf, n, &d, dh, 4), 0);
    assert_int_equal(d.status, 200);
    assert_false(d.own_etag);
    assert_int_equal(d.stored_ms, 1234567890123ull);
    assert_int_equal(d.n_headers, 2);
    assert_memory_equal(d.headers[0].value, "application/json", 16);
    assert_int_equal(d.headers[0].hint, 21); /* kept as it is */
    assert_int_equal(d.headers[1].hint, 0);
    assert_int_equal(d.headers[1].value_len, 0);
    assert_memory_equal(d.etag, "\"t\"", 3);
    assert_int_equal(d.body_len, 7);
    assert_memory_equal(d.body, "{\"a\":1}", 7);
    /* every truncation is refused, as are too few header slots */
    for (size_t i = 0; i < n; i++)
        assert_int_equal(rl_centry_decode(buf, i, &d, dh, 4), -1);
    assert_int_equal(rl_centry_decode(buf, n, &d, dh, 1), -1);
    buf[0] = 'X';
    assert_int_equal(rl_centry_decode(buf, n, &d, dh, 4), -1);
    /* no tag, no body */
    e.own_etag = true;
    n = rl_centry_size(&e);
    rl_centry_encode(&e, buf);
    assert_int_equal(rl_centry_decode(buf, n, &d, dh, 4), 0);
    assert_true(d.own_etag);
    assert_int_equal(d.status, 200);
    e.etag = NULL, e.etag_len = 0, e.body_len = 0, e.n_headers = 0, e.status = 204, e.own_etag = false;
    n = rl_centry_size(&e);
    rl_centry_encode(&e, buf);
    assert_int_equal(rl_centry_decode(buf, n, &d, dh, 4), 0);
    assert_null(d.etag);
    assert_int_equal(d.body_len, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_query_sorted),
        cmocka_unit_test(test_query_too_many),
        cmocka_unit_test(test_key),
        cmocka_unit_test(test_creds_digest),
        cmocka_unit_test(test_parent),
        cmocka_unit_test(test_storable),
        cmocka_unit_test(test_vary_covered),
        cmocka_unit_test(test_storable_expires),
        cmocka_unit_test(test_entry_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
