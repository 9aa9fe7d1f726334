/* test_retry_after.c — Retry-After: delta-seconds, the three HTTP-date
 * forms, past dates, the RFC 850 century rule, garbage of every kind, and
 * relais' own value (seconds rounded up, at least 1). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "upstream/retry_after.h"

/* 1994-11-06T08:49:37Z, the RFC's example date. */
#define RFC_DATE 784111777000ull

static int64_t parse(const char *s, uint64_t now_ms)
{
    return rl_retry_after_parse(s, strlen(s), now_ms);
}

static void test_delta_seconds(void **state)
{
    (void)state;
    assert_int_equal(parse("120", 5), 120000);
    assert_int_equal(parse("0", 5), 0);
    assert_int_equal(parse("007", 5), 7000);
    assert_int_equal(parse(" \t3 ", 5), 3000);
    assert_int_equal(parse("2147483647", 5), RL_RETRY_AFTER_MAX_MS);
    assert_int_equal(parse("99999999999999999999999999", 5), RL_RETRY_AFTER_MAX_MS);
    assert_int_equal(parse("2147483646", 5), 2147483646ll * 1000);
    /* Not NUL-terminated: only len bytes count. */
    assert_int_equal(rl_retry_after_parse("12345", 2, 0), 12000);
}

static void test_http_dates(void **state)
{
    (void)state;
    const uint64_t now = RFC_DATE - 10500; /* 10.5 s before the date */
    assert_int_equal(parse("Sun, 06 Nov 1994 08:49:37 GMT", now), 10500);
    assert_int_equal(parse("Sunday, 06-Nov-94 08:49:37 GMT", now), 10500);
    assert_int_equal(parse("Sun Nov  6 08:49:37 1994", now), 10500);
    assert_int_equal(parse("Sun Nov 06 08:49:37 1994", now), 10500);
    assert_int_equal(parse("  Sun, 06 Nov 1994 08:49:37 GMT\t", now), 10500);
    assert_int_equal(parse("sun, 06 nov 1994 08:49:37 GMT", now), 10500); /* names: any case */
    /* The weekday is not cross-checked with the date. */
    assert_int_equal(parse("Mon, 06 Nov 1994 08:49:37 GMT", now), 10500);
    assert_int_equal(parse("Sat, 31 Dec 2016 23:59:60 GMT", 1483228799000ull), 1000); /* leap second */
    assert_int_equal(parse("Thu, 29 Feb 2024 00:00:00 GMT", 1709164800000ull - 1), 1);
}

static void test_past_dates(void **state)
{
    (void)state;
    assert_int_equal(parse("Sun, 06 Nov 1994 08:49:37 GMT", RFC_DATE), 0);
    assert_int_equal(parse("Sun, 06 Nov 1994 08:49:37 GMT", RFC_DATE + 86400000), 0);
    assert_int_equal(parse("Thu, 01 Jan 1970 00:00:00 GMT", RFC_DATE), 0);
    assert_int_equal(parse("Mon, 01 Jan 1900 00:00:00 GMT", RFC_DATE), 0);
    assert_int_equal(parse("Fri, 31 Dec 9999 23:59:59 GMT", 0), RL_RETRY_AFTER_MAX_MS); /* capped */
    assert_int_equal(parse("Fri, 31 Dec 2010 23:59:59 GMT", 0), 1293839999000ll);
}

static void test_rfc850_century(void **state)
{
    (void)state;
    /* now = 2026-11-21: "30" is 2030 (4 years ahead), "94" is 1994 (2094
     * would be more than 50 years ahead), "76" is 2076 (exactly 50). */
    const uint64_t now = 1795219200000ull;
    assert_int_equal(parse("Thursday, 21-Nov-30 00:00:00 GMT", now), 1921449600000ll - (int64_t)now);
    assert_int_equal(parse("Sunday, 06-Nov-94 08:49:37 GMT", now), 0);
    assert_true(parse("Saturday, 21-Nov-76 00:00:00 GMT", now) > 49ll * 365 * 86400000);
    assert_int_equal(parse("Sunday, 21-Nov-77 00:00:00 GMT", now), 0);
}

static void test_garbage(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "   ",
        "-1",
        "+5",
        "1.5",
        "5s",
        "5 5",
        "0x10",
        "Sun",
        "Sun,",
        "Sun, 06 Nov 1994 08:49:37",
        "Sun, 06 Nov 1994 08:49:37 UTC",
        "Sun, 06 Nov 1994 08:49:37 GMT x",
        "Sun, 6 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 94 08:49:37 GMT",
        "Sun, 06 Foo 1994 08:49:37 GMT",
        "Sun, 31 Nov 1994 08:49:37 GMT",
        "Sun, 00 Nov 1994 08:49:37 GMT",
        "Sun, 29 Feb 2023 08:49:37 GMT",
        "Sun, 06 Nov 1994 24:00:00 GMT",
        "Sun, 06 Nov 1994 08:60:00 GMT",
        "Sun, 06 Nov 1994 08:49:61 GMT",
        "Sun, 06 Nov 1994 8:49:37 GMT",
        "Sun,  06 Nov 1994 08:49:37 GMT",
        "Xyz, 06 Nov 1994 08:49:37 GMT",
        "Sunday, 06-Nov-1994 08:49:37 GMT",
        "Sunday, 06 Nov 1994 08:49:37 GMT",
        "Sun, 06-Nov-94 08:49:37 GMT",
        "Sun Nov   6 08:49:37 1994",
        "Sun Nov 6 08:49:37 1994",
        "Sun Nov  6 08:49:37 94",
        "Sun Nov  6 08:49:37 1994 GMT",
        "1994-11-06T08:49:37Z",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (parse(bad[i], 0) != -1) fail_msg("accepted: \"%s\"", bad[i]);
    }
    assert_int_equal(rl_retry_after_parse("12\0003", 4, 0), -1);
}

static void test_format(void **state)
{
    (void)state;
    char buf[RL_RETRY_AFTER_BUFSZ];
    assert_int_equal(rl_retry_after_seconds(0), 1);
    assert_int_equal(rl_retry_after_seconds(1), 1);
    assert_int_equal(rl_retry_after_seconds(1000), 1);
    assert_int_equal(rl_retry_after_seconds(1001), 2);
    assert_int_equal(rl_retry_after_seconds(12000), 12);
    assert_int_equal(rl_retry_after_format(buf, 11999), 2);
    assert_string_equal(buf, "12");
    assert_int_equal(rl_retry_after_format(buf, 0), 1);
    assert_string_equal(buf, "1");
    assert_int_equal(rl_retry_after_format(buf, UINT64_MAX), 17);
    assert_string_equal(buf, "18446744073709552");
    /* What relais emits parses back to at least the delay. */
    assert_int_equal(rl_retry_after_format(buf, 2500), 1);
    assert_int_equal(parse(buf, 0), 3000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delta_seconds), cmocka_unit_test(test_http_dates),
        cmocka_unit_test(test_past_dates),    cmocka_unit_test(test_rfc850_century),
        cmocka_unit_test(test_garbage),       cmocka_unit_test(test_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
