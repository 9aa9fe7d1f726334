/* test_backoff.c — exponential backoff with full jitter: the ceiling per
 * attempt, the bounds of the jitter for extreme random bits, its spread,
 * Retry-After taking precedence (capped by max), no overflow. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/reqid.h"
#include "upstream/backoff.h"

static void test_ceiling(void **state)
{
    (void)state;
    assert_int_equal(rl_backoff_ceiling_ms(100, 2000, 0), 100);
    assert_int_equal(rl_backoff_ceiling_ms(100, 2000, 1), 100);
    assert_int_equal(rl_backoff_ceiling_ms(100, 2000, 2), 200);
    assert_int_equal(rl_backoff_ceiling_ms(100, 2000, 3), 400);
    assert_int_equal(rl_backoff_ceiling_ms(100, 2000, 5), 1600);
    assert_int_equal(rl_backoff_ceiling_ms(100, 2000, 6), 2000);
    assert_int_equal(rl_backoff_ceiling_ms(100, 2000, 4000000000u), 2000);
    assert_int_equal(rl_backoff_ceiling_ms(0, 2000, 4000000000u), 0);
    assert_int_equal(rl_backoff_ceiling_ms(3000, 2000, 1), 2000); /* base above max */
    assert_int_equal(rl_backoff_ceiling_ms(1ull << 62, UINT64_MAX, 3), UINT64_MAX);
    assert_int_equal(rl_backoff_ceiling_ms(1ull << 62, UINT64_MAX, 2), 1ull << 63);
}

static void test_jitter_bounds(void **state)
{
    (void)state;
    /* Attempt 3 of base 100: [0, 400]. */
    assert_int_equal(rl_backoff_delay_ms(100, 2000, 3, 0, -1), 0);
    assert_int_equal(rl_backoff_delay_ms(100, 2000, 3, 400, -1), 400);
    assert_int_equal(rl_backoff_delay_ms(100, 2000, 3, 401, -1), 0);
    assert_true(rl_backoff_delay_ms(100, 2000, 3, UINT64_MAX, -1) <= 400);
    assert_int_equal(rl_backoff_delay_ms(0, 2000, 3, 12345, -1), 0);
    assert_int_equal(rl_backoff_delay_ms(100, 0, 3, 12345, -1), 0);
    assert_int_equal(rl_backoff_delay_ms(1ull << 62, UINT64_MAX, 9, 77, -1), 77);
}

static void test_jitter_spread(void **state)
{
    (void)state;
    rl_rng_t rng;
    rl_rng_seed(&rng, 42);
    for (unsigned attempt = 1; attempt <= 8; attempt++) {
        uint64_t ceil = rl_backoff_ceiling_ms(100, 2000, attempt), lo = UINT64_MAX, hi = 0, sum = 0;
        for (int i = 0; i < 4000; i++) {
            uint64_t d = rl_backoff_delay_ms(100, 2000, attempt, rl_rng_next(&rng), -1);
            assert_true(d <= ceil);
            lo = d < lo ? d : lo;
            hi = d > hi ? d : hi;
            sum += d;
        }
        /* Full jitter covers the whole range, centred on ceil / 2. */
        assert_true(lo <= ceil / 50);
        assert_true(hi >= ceil - ceil / 50);
        uint64_t mean = sum / 4000;
        assert_true(mean > ceil * 45 / 100 && mean < ceil * 55 / 100);
    }
}

static void test_retry_after_wins(void **state)
{
    (void)state;
    assert_int_equal(rl_backoff_delay_ms(100, 2000, 1, 99, 1500), 1500);
    assert_int_equal(rl_backoff_delay_ms(100, 2000, 1, 99, 0), 0);
    assert_int_equal(rl_backoff_delay_ms(100, 2000, 1, 99, 120000), 2000); /* capped by max */
    assert_int_equal(rl_backoff_delay_ms(100, 2000, 1, 99, INT64_MAX), 2000);
    assert_int_equal(rl_backoff_delay_ms(100, 2000, 1, 99, -1), 99); /* absent: jitter */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ceiling),
        cmocka_unit_test(test_jitter_bounds),
        cmocka_unit_test(test_jitter_spread),
        cmocka_unit_test(test_retry_after_wins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
