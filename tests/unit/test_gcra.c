/* test_gcra.c — GCRA: a full burst then a steady rate, retry-after and
 * reset values, rejected requests that consume nothing, limits that do not
 * divide their period never over-admitting (T rounded up), idle keys, degenerate limits, and the
 * peek that reports a bucket without changing it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "shared/gcra.h"

#define T0 1795219200000ull

static rl_gcra_result_t check(uint64_t limit, uint64_t period, uint64_t now, uint64_t *tat)
{
    rl_gcra_result_t r;
    bool ok = rl_gcra_check(limit, period, now, tat, &r);
    assert_int_equal(ok, r.allowed);
    assert_int_equal(r.limit, limit);
    if (r.allowed) assert_int_equal(r.retry_after_ms, 0);
    return r;
}

static void test_burst_then_rate(void **state)
{
    (void)state;
    uint64_t tat = 0;
    /* 10 per second: ten at once, with remaining counting down. */
    for (uint64_t i = 0; i < 10; i++) {
        rl_gcra_result_t r = check(10, 1000, T0, &tat);
        assert_true(r.allowed);
        assert_int_equal(r.remaining, 9 - i);
        assert_int_equal(r.reset_ms, (i + 1) * 100);
    }
    rl_gcra_result_t r = check(10, 1000, T0, &tat);
    assert_false(r.allowed);
    assert_int_equal(r.remaining, 0);
    assert_int_equal(r.retry_after_ms, 100);
    assert_int_equal(r.reset_ms, 1000);
    /* 99ms later still nothing; at 100ms exactly one. */
    r = check(10, 1000, T0 + 99, &tat);
    assert_false(r.allowed);
    assert_int_equal(r.retry_after_ms, 1);
    r = check(10, 1000, T0 + 100, &tat);
    assert_true(r.allowed);
    assert_int_equal(r.remaining, 0);
    assert_false(check(10, 1000, T0 + 100, &tat).allowed);
    /* A steady 10/s passes forever. */
    for (uint64_t t = 200; t < 10000; t += 100)
        assert_true(check(10, 1000, T0 + t, &tat).allowed);
}

static void test_rejected_requests_do_not_consume(void **state)
{
    (void)state;
    uint64_t tat = 0;
    assert_true(check(1, 1000, T0, &tat).allowed);
    const uint64_t saved = tat;
    /* Hammering while limited changes nothing... */
    for (int i = 0; i < 1000; i++) {
        rl_gcra_result_t r = check(1, 1000, T0 + (uint64_t)i, &tat);
        assert_false(r.allowed);
        assert_int_equal(r.retry_after_ms, 1000 - (uint64_t)i);
    }
    assert_int_equal(tat, saved);
    /* ...so the next request passes exactly when it would have anyway. */
    assert_true(check(1, 1000, T0 + 1000, &tat).allowed);

    /* Same with a burst: after 1000 rejections, the next slot is on time. */
    tat = 0;
    for (int i = 0; i < 5; i++)
        assert_true(check(5, 5000, T0, &tat).allowed);
    for (int i = 0; i < 1000; i++)
        assert_false(check(5, 5000, T0 + 999, &tat).allowed);
    assert_true(check(5, 5000, T0 + 1000, &tat).allowed);
}

static void test_uneven_period_never_over_admits(void **state)
{
    (void)state;
    /* 3 per second: the header's worked example. */
    uint64_t tat = 0;
    for (int i = 0; i < 3; i++)
        assert_true(check(3, 1000, T0, &tat).allowed);
    rl_gcra_result_t r = check(3, 1000, T0, &tat);
    assert_false(r.allowed);
    assert_int_equal(r.retry_after_ms, 334);
    assert_false(check(3, 1000, T0 + 333, &tat).allowed);
    assert_true(check(3, 1000, T0 + 334, &tat).allowed);

    /* 7 per 1000ms, one attempt every ms: after the burst, request i may
     * pass no earlier than (i - 6) / 7 of a period. Burst = limit means up to
     * 2 * limit - 1 in the first period-long window: GCRA is a bucket, not a
     * sliding window. */
    tat = 0;
    uint64_t n = 0;
    for (uint64_t t = 0; t < 10000; t++)
        if (check(7, 1000, T0 + t, &tat).allowed) {
            if (n >= 7) assert_true(t * 7 >= (n - 6) * 1000);
            n++;
        }
    assert_int_equal(n, 7 + 69);

    /* 3 per second for 1001s: T = 333333.33µs, rounded up to 333334µs.
     * Rounded down, the 1µs per request would add up to a request a little
     * early after 1000s (at 999999ms instead of 1000000ms). */
    tat = 0;
    n = 0;
    for (uint64_t t = 0; t < 1001000; t++)
        if (check(3, 1000, T0 + t, &tat).allowed) {
            if (n >= 3) assert_true(t * 3 >= (n - 2) * 1000);
            n++;
        }
    assert_true(n >= 3 + 3000 - 3);
}

static void test_idle_and_refill(void **state)
{
    (void)state;
    uint64_t tat = 0;
    assert_true(rl_gcra_is_idle(tat, T0));
    for (int i = 0; i < 4; i++)
        assert_true(check(4, 60000, T0, &tat).allowed);
    assert_false(rl_gcra_is_idle(tat, T0 + 59999));
    assert_true(rl_gcra_is_idle(tat, T0 + 60000));
    /* Half the period later, half the burst is back. */
    rl_gcra_result_t r = check(4, 60000, T0 + 30000, &tat);
    assert_true(r.allowed);
    assert_int_equal(r.remaining, 1);
    /* A full period later, the whole burst. */
    tat = 0;
    assert_true(check(4, 60000, T0, &tat).allowed);
    r = check(4, 60000, T0 + 60000, &tat);
    assert_int_equal(r.remaining, 3);
    assert_int_equal(r.reset_ms, 15000);
}

static void test_degenerate(void **state)
{
    (void)state;
    uint64_t tat = 0;
    rl_gcra_result_t r = check(0, 1000, T0, &tat);
    assert_false(r.allowed);
    assert_int_equal(r.retry_after_ms, 1000);
    assert_int_equal(tat, 0);
    r = check(5, 0, T0, &tat);
    assert_true(r.allowed);
    assert_int_equal(r.remaining, 5);
    assert_int_equal(tat, 0);
    /* Huge limits and periods saturate instead of wrapping. */
    r = check(UINT64_MAX, 1000, T0, &tat);
    assert_true(r.allowed);
    tat = 0;
    r = check(2, UINT64_MAX, T0, &tat);
    assert_true(r.allowed);
    assert_true(check(2, UINT64_MAX, T0, &tat).allowed);
    assert_false(check(2, UINT64_MAX, T0, &tat).allowed);
}

static rl_gcra_result_t peek(uint64_t limit, uint64_t period, uint64_t now, uint64_t tat)
{
    rl_gcra_result_t r;
    bool ok = rl_gcra_peek(limit, period, now, tat, &r);
    assert_int_equal(ok, r.allowed);
    assert_int_equal(r.limit, limit);
    if (r.allowed) assert_int_equal(r.retry_after_ms, 0);
    return r;
}

static void test_peek(void **state)
{
    (void)state;
    /* A new key: the whole burst, nothing to wait for. */
    rl_gcra_result_t p = peek(5, 60000, T0, 0);
    assert_true(p.allowed);
    assert_int_equal(p.remaining, 5);
    assert_int_equal(p.reset_ms, 0);
    /* After two requests: three would still pass; the bucket is full again
     * in 24s. A peek reports the same state however often it is asked. */
    uint64_t tat = 0;
    check(5, 60000, T0, &tat);
    assert_int_equal(check(5, 60000, T0, &tat).remaining, 3);
    const uint64_t saved = tat;
    for (int i = 0; i < 100; i++) {
        p = peek(5, 60000, T0, tat);
        assert_true(p.allowed);
        assert_int_equal(p.remaining, 3);
        assert_int_equal(p.reset_ms, 24000);
    }
    assert_int_equal(tat, saved);
    /* Exhausted: the peek refuses with the same numbers as a check. */
    for (int i = 0; i < 3; i++)
        check(5, 60000, T0, &tat);
    p = peek(5, 60000, T0 + 5, tat);
    rl_gcra_result_t c = check(5, 60000, T0 + 5, &tat);
    assert_false(p.allowed);
    assert_false(c.allowed);
    assert_int_equal(p.remaining, 0);
    assert_int_equal(p.retry_after_ms, c.retry_after_ms);
    assert_int_equal(p.reset_ms, c.reset_ms);
    /* Everywhere on a steady 7/s stream: a peek that admits counts the
     * request it asks about, so it reports one more than the check after
     * it, and the same reset as before that check. */
    tat = 0;
    for (uint64_t t = 0; t < 3000; t += 37) {
        p = peek(7, 1000, T0 + t, tat);
        uint64_t before = tat;
        c = check(7, 1000, T0 + t, &tat);
        assert_int_equal(p.allowed, c.allowed);
        if (c.allowed) {
            assert_int_equal(p.remaining, c.remaining + 1);
            assert_int_equal(p.reset_ms,
                             rl_gcra_is_idle(before, T0 + t) ? 0 : (before - (T0 + t) * 1000 + 999) / 1000);
        } else {
            assert_int_equal(p.retry_after_ms, c.retry_after_ms);
        }
    }
    /* Degenerate limits as in a check. */
    p = peek(0, 1000, T0, 0);
    assert_false(p.allowed);
    assert_int_equal(p.retry_after_ms, 1000);
    p = peek(5, 0, T0, 0);
    assert_true(p.allowed);
    assert_int_equal(p.remaining, 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_burst_then_rate),
        cmocka_unit_test(test_rejected_requests_do_not_consume),
        cmocka_unit_test(test_uneven_period_never_over_admits),
        cmocka_unit_test(test_idle_and_refill),
        cmocka_unit_test(test_degenerate),
        cmocka_unit_test(test_peek),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
