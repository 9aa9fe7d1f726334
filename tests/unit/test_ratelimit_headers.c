/* test_ratelimit_headers.c — the RateLimit-* / X-RateLimit-* values: which
 * of several limits is reported, rounding of seconds, the policy list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "policy/ratelimit.h"

static rl_gcra_result_t res(bool allowed, uint64_t limit, uint64_t remaining, uint64_t reset_ms,
                            uint64_t retry_ms)
{
    return (rl_gcra_result_t){allowed, limit, remaining, reset_ms, retry_ms};
}

static void test_secs(void **state)
{
    assert_int_equal(rl_ratelimit_secs(0, 0), 0);
    assert_int_equal(rl_ratelimit_secs(0, 1), 1);
    assert_int_equal(rl_ratelimit_secs(1, 0), 1);
    assert_int_equal(rl_ratelimit_secs(1000, 0), 1);
    assert_int_equal(rl_ratelimit_secs(1001, 0), 2);
}

static void test_pick(void **state)
{
    rl_gcra_result_t v[3] = {res(true, 100, 40, 36000, 0), res(true, 1000, 40, 900000, 0),
                             res(true, 10, 41, 1000, 0)};
    /* fewest remaining, then the longest reset */
    assert_int_equal(rl_ratelimit_pick(v, 3), 1);
    v[2].remaining = 3;
    assert_int_equal(rl_ratelimit_pick(v, 3), 2);
    /* a rejection is always the one reported */
    v[0] = res(false, 100, 0, 60000, 600);
    assert_int_equal(rl_ratelimit_pick(v, 3), 0);
    assert_int_equal(rl_ratelimit_pick(v, 1), 0);
}

static void test_format(void **state)
{
    rl_limit_cfg_t limits[2] = {{.rate = {100, 60000, 0}}, {.rate = {1000, 3600000, 0}}};
    rl_ratelimit_hdrs_t h;
    rl_gcra_result_t ok = res(true, 100, 99, 600, 0);
    rl_ratelimit_format(&ok, limits, 2, 1700000000500ull, &h);
    assert_string_equal(h.limit, "100");
    assert_string_equal(h.remaining, "99");
    assert_string_equal(h.reset, "1");
    assert_string_equal(h.x_reset, "1700000002"); /* ceil(1700000000.5 + 0.6) */
    assert_string_equal(h.policy, "100;w=60, 1000;w=3600");
    assert_string_equal(h.retry_after, "");
    rl_gcra_result_t no = res(false, 100, 0, 60000, 1);
    rl_ratelimit_format(&no, limits, 1, 1700000000000ull, &h);
    assert_string_equal(h.retry_after, "1");
    assert_string_equal(h.reset, "60");
    assert_string_equal(h.x_reset, "1700000060");
    assert_string_equal(h.policy, "100;w=60");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_secs),
        cmocka_unit_test(test_pick),
        cmocka_unit_test(test_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
