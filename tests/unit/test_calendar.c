/* test_calendar.c — UTC day and month periods for quota keys: keys, bounds,
 * the last millisecond of a period, leap years, year ends, and the civil-date
 * conversions checked against each other over four centuries. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/calendar.h"

/* Values computed with Python's datetime (UTC). */
#define T_2026_11_01 1793491200000ull
#define T_2026_11_21 1795219200000ull
#define T_2026_11_21_134512 1795268712000ull
#define T_2026_12_01 1796083200000ull
#define T_2027_01_01 1798761600000ull
#define T_2024_02_01 1706745600000ull
#define T_2024_03_01 1709251200000ull
#define T_2100_02_01 4105123200000ull
#define T_2100_03_01 4107542400000ull

static rl_calendar_period_t period(int unit, uint64_t now)
{
    rl_calendar_period_t p;
    assert_int_equal(rl_calendar_period(unit, now, &p), 0);
    assert_true(p.start_ms <= now && now < p.end_ms);
    assert_int_equal(p.remaining_ms, p.end_ms - now);
    return p;
}

static void test_day(void **state)
{
    (void)state;
    rl_calendar_period_t p = period(RL_CALENDAR_DAY, T_2026_11_21_134512);
    assert_string_equal(p.key, "2026-11-21");
    assert_int_equal(p.start_ms, T_2026_11_21);
    assert_int_equal(p.end_ms, T_2026_11_21 + RL_MS_PER_DAY);
    assert_int_equal(p.remaining_ms, T_2026_11_21 + RL_MS_PER_DAY - T_2026_11_21_134512);

    /* Midnight belongs to the day it starts; the ms before to the day before. */
    p = period(RL_CALENDAR_DAY, T_2026_11_21);
    assert_string_equal(p.key, "2026-11-21");
    assert_int_equal(p.remaining_ms, RL_MS_PER_DAY);
    p = period(RL_CALENDAR_DAY, T_2026_11_21 - 1);
    assert_string_equal(p.key, "2026-11-20");
    assert_int_equal(p.remaining_ms, 1);

    p = period(RL_CALENDAR_DAY, 0);
    assert_string_equal(p.key, "1970-01-01");
    p = period(RL_CALENDAR_DAY, T_2027_01_01 - 1);
    assert_string_equal(p.key, "2026-12-31");
    assert_int_equal(p.end_ms, T_2027_01_01);
    p = period(RL_CALENDAR_DAY, T_2024_03_01 - 1);
    assert_string_equal(p.key, "2024-02-29");
}

static void test_month(void **state)
{
    (void)state;
    rl_calendar_period_t p = period(RL_CALENDAR_MONTH, T_2026_11_21_134512);
    assert_string_equal(p.key, "2026-11");
    assert_int_equal(p.start_ms, T_2026_11_01);
    assert_int_equal(p.end_ms, T_2026_12_01);
    assert_int_equal(p.remaining_ms, T_2026_12_01 - T_2026_11_21_134512);

    p = period(RL_CALENDAR_MONTH, T_2026_12_01 - 1);
    assert_string_equal(p.key, "2026-11");
    assert_int_equal(p.remaining_ms, 1);
    p = period(RL_CALENDAR_MONTH, T_2026_12_01);
    assert_string_equal(p.key, "2026-12");
    assert_int_equal(p.end_ms, T_2027_01_01); /* December rolls into the next year */

    /* February: 29 days in 2024, 28 in 2100 (divisible by 100, not by 400). */
    p = period(RL_CALENDAR_MONTH, T_2024_02_01 + 5);
    assert_string_equal(p.key, "2024-02");
    assert_int_equal(p.end_ms, T_2024_03_01);
    assert_int_equal(p.end_ms - p.start_ms, 29 * RL_MS_PER_DAY);
    p = period(RL_CALENDAR_MONTH, T_2100_02_01);
    assert_int_equal(p.end_ms, T_2100_03_01);
    assert_int_equal(p.end_ms - p.start_ms, 28 * RL_MS_PER_DAY);
}

static void test_invalid(void **state)
{
    (void)state;
    rl_calendar_period_t p = {.key = "untouched", .start_ms = 7};
    assert_int_equal(rl_calendar_period('y', T_2026_11_21, &p), -1);
    assert_int_equal(rl_calendar_period(0, T_2026_11_21, &p), -1);
    /* Year 10000 would need a five-digit key. */
    assert_int_equal(rl_calendar_period(RL_CALENDAR_DAY, 253402300800000ull, &p), -1);
    assert_int_equal(rl_calendar_period(RL_CALENDAR_MONTH, UINT64_MAX, &p), -1);
    assert_string_equal(p.key, "untouched");
    assert_int_equal(p.start_ms, 7);
    p = period(RL_CALENDAR_DAY, 253402300799999ull);
    assert_string_equal(p.key, "9999-12-31");
}

static void test_civil_round_trip(void **state)
{
    (void)state;
    assert_int_equal(rl_calendar_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(rl_calendar_days_from_civil(1969, 12, 31), -1);
    assert_int_equal(rl_calendar_days_from_civil(2000, 3, 1), 11017);
    assert_int_equal(rl_calendar_days_from_civil(2026, 11, 21) * RL_MS_PER_DAY, T_2026_11_21);
    /* Every day from 1900 to 2300: consecutive, and the inverse agrees. */
    int64_t days = rl_calendar_days_from_civil(1900, 1, 1);
    for (int64_t y = 1900; y < 2300; y++)
        for (unsigned m = 1; m <= 12; m++)
            for (unsigned d = 1; d <= rl_calendar_days_in_month(y, m); d++, days++) {
                assert_int_equal(rl_calendar_days_from_civil(y, m, d), days);
                int64_t yy;
                unsigned mm, dd;
                rl_calendar_civil_from_days(days, &yy, &mm, &dd);
                assert_true(yy == y && mm == m && dd == d);
            }
    assert_int_equal(rl_calendar_days_in_month(2000, 2), 29);
    assert_int_equal(rl_calendar_days_in_month(1900, 2), 28);
    assert_int_equal(rl_calendar_days_in_month(2023, 2), 28);
    assert_int_equal(rl_calendar_days_in_month(2023, 0), 0);
    assert_int_equal(rl_calendar_days_in_month(2023, 13), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_day),
        cmocka_unit_test(test_month),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_civil_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
