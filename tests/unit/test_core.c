/* test_core.c — error table, request ids, JSON escaping, the error
 * envelope and diagnostics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/ct.h"
#include "core/diag.h"
#include "core/err.h"
#include "core/jsonw.h"
#include "core/reqid.h"
#include "http/envelope.h"

static void test_err_table(void **state)
{
    assert_string_equal(rl_err_name(RL_ERATE_LIMITED), "rate_limited");
    assert_int_equal(rl_err_status(RL_ERATE_LIMITED), 429);
    assert_string_equal(rl_err_name(RL_EHEADERS_TOO_LARGE), "headers_too_large");
    assert_int_equal(rl_err_status(RL_EHEADERS_TOO_LARGE), 431);
    assert_int_equal(rl_err_status(RL_EUPSTREAM_TIMEOUT), 504);
    assert_int_equal(rl_err_status(RL_ECIRCUIT_OPEN), 503);
    assert_string_equal(rl_err_name((rl_errcode_t)999), "internal");
    assert_int_equal(rl_err_status((rl_errcode_t)-5), 500);
    rl_err_t e;
    assert_int_equal(rl_err_set(&e, RL_ENOT_FOUND, "no %s", "route"), -(int)RL_ENOT_FOUND);
    assert_string_equal(e.msg, "no route");
}

static void test_reqid_sane(void **state)
{
    char big[200];
    memset(big, 'a', sizeof(big));
    assert_true(rl_reqid_is_sane("abc-DEF_1.2", 11));
    assert_true(rl_reqid_is_sane(big, 128));
    assert_false(rl_reqid_is_sane(big, 129));
    assert_false(rl_reqid_is_sane("", 0));
    assert_false(rl_reqid_is_sane("a b", 3));
    assert_false(rl_reqid_is_sane("a\"b", 3));
    assert_false(rl_reqid_is_sane("a/b", 3));
    assert_false(rl_reqid_is_sane("\xc3\xa9", 2));
}

static void test_reqid_uuid7(void **state)
{
    char a[37], b[37];
    assert_int_equal(rl_reqid_uuid7(a, 0x0192f3c4a5b6ull, 0, 0), 36);
    assert_string_equal(a, "0192f3c4-a5b6-7000-8000-000000000000");
    rl_reqid_uuid7(b, 0x0192f3c4a5b7ull, ~0ull, ~0ull);
    assert_string_equal(b, "0192f3c4-a5b7-7fff-bfff-ffffffffffff");
    assert_true(strcmp(a, b) < 0);                                         /* time-ordered */
    rl_reqid_uuid7(b, 0x0123456789abull, 0xcdeull, 0x0123456789abcdefull); /* every digit in place */
    assert_string_equal(b, "01234567-89ab-7cde-8123-456789abcdef");
    assert_true(rl_reqid_is_sane(a, 36));
}

static void test_rng(void **state)
{
    rl_rng_t r1, r2;
    rl_rng_seed(&r1, 42);
    rl_rng_seed(&r2, 42);
    uint64_t x = rl_rng_next(&r1);
    assert_int_equal(x, rl_rng_next(&r2));
    assert_true(rl_rng_next(&r1) != x);
}

static void escape(const char *in, size_t len, const char *want)
{
    char out[128];
    size_t n = rl_json_escape(out, sizeof(out), in, len);
    out[n] = '\0';
    assert_string_equal(out, want);
}

static void test_json_escape(void **state)
{
    escape("plain", 5, "plain");
    escape("a\"b\\c", 5, "a\\\"b\\\\c");
    escape("\n\r\t", 3, "\\n\\r\\t");
    escape("\x01\x7f", 2, "\\u0001\\u007f");
    escape("caf\xc3\xa9", 5, "caf\xc3\xa9");            /* valid UTF-8 kept */
    escape("\xff", 1, "\\ufffd");                       /* invalid byte */
    escape("\xc3", 1, "\\ufffd");                       /* truncated sequence */
    escape("\xed\xa0\x80", 3, "\\ufffd\\ufffd\\ufffd"); /* surrogate */
    escape("a\0b", 3, "a\\u0000b");
    char out[3];
    assert_int_equal(rl_json_escape(out, sizeof(out), "ab\"c", 4), 2);  /* never splits an escape */
    assert_int_equal(rl_json_escape(out, sizeof(out), "abcdef", 6), 3); /* a plain run is cut at cap */
    assert_memory_equal(out, "abc", 3);
    escape("x\"y\x01z\xc3\xa9w", 8, "x\\\"y\\u0001z\xc3\xa9w"); /* runs between escapes */
}

/* Every byte value at every position of a plain 17-byte string (so in each
 * lane of the word-at-a-time scan, and in the tail): escaped exactly as
 * the same byte alone, between the same plain bytes. */
static void test_json_escape_every_byte_in_every_lane(void **state)
{
    (void)state;
    for (int b = 0; b < 256; b++) {
        char one[8], want[64];
        char c = (char)b;
        size_t n1 = rl_json_escape(one, sizeof(one), &c, 1);
        for (size_t pos = 0; pos < 17; pos++) {
            char in[17], out[64];
            memset(in, 'a', sizeof(in));
            in[pos] = c;
            memset(want, 'a', pos);
            memcpy(want + pos, one, n1);
            memset(want + pos + n1, 'a', sizeof(in) - pos - 1);
            size_t n = rl_json_escape(out, sizeof(out), in, sizeof(in));
            assert_int_equal(n, sizeof(in) - 1 + n1);
            assert_memory_equal(out, want, n);
        }
    }
}

static void fmt(uint64_t v, const char *want)
{
    char out[RL_FMT_U64_MAX + 1];
    size_t n = rl_fmt_u64(out, v);
    out[n] = '\0';
    assert_string_equal(out, want);
}

static void test_fmt_u64(void **state)
{
    (void)state;
    fmt(0, "0");
    fmt(7, "7");
    fmt(10, "10");
    fmt(99, "99");
    fmt(100, "100");
    fmt(1234567890, "1234567890");
    for (uint64_t v = 0, p = 1; p <= 10000000000000000000ull;
         p *= 10) { /* every length, both sides of 10^k */
        char want[32];
        v = p - 1;
        snprintf(want, sizeof(want), "%llu", (unsigned long long)v);
        fmt(v, want);
        snprintf(want, sizeof(want), "%llu", (unsigned long long)p);
        fmt(p, want);
        if (p > UINT64_MAX / 10) break;
    }
    fmt(UINT64_MAX, "18446744073709551615");
}

static void test_envelope(void **state)
{
    char buf[512];
    size_t n = rl_envelope_error(buf, sizeof(buf), RL_ERATE_LIMITED, "limit \"x\"", "rid-1", 5,
                                 "{\"retry_after\":12}");
    assert_int_equal(n, strlen(buf));
    assert_string_equal(
        buf, "{\"success\":false,\"error\":{\"code\":\"rate_limited\",\"message\":\"limit \\\"x\\\"\","
             "\"request_id\":\"rid-1\",\"details\":{\"retry_after\":12}}}");
    char tiny[8];
    size_t need = rl_envelope_error(tiny, sizeof(tiny), RL_ENOT_FOUND, "no route", "r", 1, NULL);
    assert_int_equal(need, rl_envelope_error(buf, sizeof(buf), RL_ENOT_FOUND, "no route", "r", 1, NULL));
    assert_null(strstr(buf, "details"));
}

static void test_diag(void **state)
{
    rl_diag_t d = RL_DIAG_INIT;
    rl_diag_add(&d, "a.yaml", 3, "bad %s", "key");
    rl_diag_add(&d, "a.yaml", 0, "no line");
    rl_diag_add(&d, NULL, 0, "bare");
    char *s = rl_diag_join(&d);
    assert_string_equal(s, "a.yaml:3: bad key; a.yaml: no line; bare");
    free(s);
    rl_diag_clear(&d);
    assert_int_equal(d.count, 0);
}

static void test_ct_equal(void **state)
{
    assert_true(rl_ct_equal("secret", 6, "secret", 6));
    assert_false(rl_ct_equal("secret", 6, "secreT", 6));
    assert_false(rl_ct_equal("secret", 6, "secret2", 7));
    assert_false(rl_ct_equal("", 0, "x", 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_err_table),   cmocka_unit_test(test_reqid_sane),
        cmocka_unit_test(test_reqid_uuid7), cmocka_unit_test(test_rng),
        cmocka_unit_test(test_json_escape), cmocka_unit_test(test_json_escape_every_byte_in_every_lane),
        cmocka_unit_test(test_fmt_u64),     cmocka_unit_test(test_envelope),
        cmocka_unit_test(test_diag),        cmocka_unit_test(test_ct_equal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
