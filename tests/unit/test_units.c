/* test_units.c — durations, sizes and rates: every unit, and the strict
 * rejections (spaces, signs, fractions, missing or unknown units,
 * overflow). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/units.h"

static uint64_t dur(const char *s)
{
    uint64_t v = 12345;
    assert_int_equal(rl_parse_duration_ms(s, &v), 0);
    return v;
}

static uint64_t size(const char *s)
{
    uint64_t v = 12345;
    assert_int_equal(rl_parse_size(s, &v), 0);
    return v;
}

static void test_duration_units(void **state)
{
    (void)state;
    assert_int_equal(dur("250ms"), 250);
    assert_int_equal(dur("0ms"), 0);
    assert_int_equal(dur("0s"), 0);
    assert_int_equal(dur("30s"), 30000);
    assert_int_equal(dur("5m"), 300000);
    assert_int_equal(dur("1h"), 3600000);
    assert_int_equal(dur("1d"), 86400000);
    assert_int_equal(dur("010s"), 10000);
    assert_int_equal(dur("213503982334d"), 213503982334ull * 86400000ull);
}

static void test_duration_invalid(void **state)
{
    static const char *const bad[] = {
        "",
        "10",
        "-1s",
        "+1s",
        "1.5s",
        "10 s",
        " 10s",
        "10s ",
        "10xs",
        "s",
        "ms",
        "10S",
        "10M",
        "10sec",
        "1hm",
        "1h30m",
        "0x10s",
        "10mss",
        "99999999999999999999d",
        "213503982335d",
        "18446744073709551616ms",
        "18446744073709551615s",
    };
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint64_t v = 777;
        if (rl_parse_duration_ms(bad[i], &v) != -1) fail_msg("accepted duration '%s'", bad[i]);
        assert_int_equal(v, 777);
    }
    uint64_t v = 777;
    assert_int_equal(rl_parse_duration_ms(NULL, &v), -1);
    assert_int_equal(v, 777);
}

static void test_duration_max(void **state)
{
    (void)state;
    assert_int_equal(dur("18446744073709551615ms"), UINT64_MAX);
}

static void test_size_units(void **state)
{
    (void)state;
    assert_int_equal(size("0"), 0);
    assert_int_equal(size("512"), 512);
    assert_int_equal(size("16KiB"), 16384);
    assert_int_equal(size("10MiB"), 10485760);
    assert_int_equal(size("1GiB"), 1073741824);
    assert_int_equal(size("1KB"), 1000);
    assert_int_equal(size("2MB"), 2000000);
    assert_int_equal(size("3GB"), 3000000000ull);
    assert_int_equal(size("18446744073709551615"), UINT64_MAX);
}

static void test_size_invalid(void **state)
{
    static const char *const bad[] = {
        "",
        "-1",
        "1.5KiB",
        "10 KiB",
        "10kib",
        "10kb",
        "10K",
        "10B",
        "KiB",
        "10KiBs",
        "10TiB",
        "1e3",
        " 1",
        "1 ",
        "18446744073709551616",
        "17179869184GiB",
        "99999999999999999999",
    };
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint64_t v = 777;
        if (rl_parse_size(bad[i], &v) != -1) fail_msg("accepted size '%s'", bad[i]);
        assert_int_equal(v, 777);
    }
}

static void check_rate(const char *s, uint64_t count, uint64_t period_ms, int calendar)
{
    rl_rate_t r = {0, 0, 0};
    if (rl_parse_rate(s, &r) != 0) fail_msg("rejected rate '%s'", s);
    assert_int_equal(r.count, count);
    assert_int_equal(r.period_ms, period_ms);
    assert_int_equal(r.calendar, calendar);
}

static void test_rate_units(void **state)
{
    (void)state;
    check_rate("100/s", 100, 1000, 0);
    check_rate("100/sec", 100, 1000, 0);
    check_rate("100/second", 100, 1000, 0);
    check_rate("100/min", 100, 60000, 0);
    check_rate("100/minute", 100, 60000, 0);
    check_rate("1000/hour", 1000, 3600000, 0);
    check_rate("1000/h", 1000, 3600000, 0);
    check_rate("5000/day", 5000, 86400000, 'd');
    check_rate("5000/d", 5000, 86400000, 'd');
    check_rate("10000/month", 10000, 30ull * 86400000, 'm');
    check_rate("1/s", 1, 1000, 0);
}

static void test_rate_invalid(void **state)
{
    static const char *const bad[] = {
        "",         "100",    "/s",    "0/s",    "-1/s",     "1.5/s",
        "100 /s",   "100/ s", "100/m", "100/ms", "100/S",    "100/2s",
        "100/mins", "100//s", "100/",  "100s",   "100/year", "99999999999999999999/s",
    };
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        rl_rate_t r = {7, 7, 7};
        if (rl_parse_rate(bad[i], &r) != -1) fail_msg("accepted rate '%s'", bad[i]);
        assert_int_equal(r.count, 7);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duration_units), cmocka_unit_test(test_duration_invalid),
        cmocka_unit_test(test_duration_max),   cmocka_unit_test(test_size_units),
        cmocka_unit_test(test_size_invalid),   cmocka_unit_test(test_rate_units),
        cmocka_unit_test(test_rate_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
