/* test_breaker.c — the circuit breaker: trips on `threshold` failures within
 * the sliding window and not on failures spread wider, refuses while open
 * with the cooldown left as retry-after, lets exactly one probe through when
 * half-open, closes on its success, reopens on its failure, survives a lost
 * probe, ignores late outcomes, and holds up under concurrent callers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>
#include <cmocka.h>

#include "upstream/breaker.h"

#define T0 1795219200000ull

static rl_breaker_verdict_t allow(rl_breaker_t *b, uint64_t now)
{
    rl_breaker_verdict_t v;
    bool ok = rl_breaker_allow(b, now, &v);
    assert_int_equal(ok, v.allowed);
    return v;
}

/* One request at `now` that must be admitted (not as a probe) and fails. */
static void fail_at(rl_breaker_t *b, uint64_t now)
{
    rl_breaker_verdict_t v = allow(b, now);
    assert_true(v.allowed);
    assert_false(v.probe);
    rl_breaker_record(b, &v, now, false);
}

/* Threshold 5, window 30s, cooldown 30s, opened at T0 + 4s. */
static void open_breaker(rl_breaker_t *b)
{
    assert_int_equal(rl_breaker_init(b, 5, 30000, 30000), 0);
    for (int i = 0; i < 5; i++)
        fail_at(b, T0 + (uint64_t)i * 1000);
    assert_int_equal(rl_breaker_state(b, T0 + 4000), RL_BREAKER_OPEN);
}

static void test_trips_within_window(void **state)
{
    (void)state;
    rl_breaker_t b;
    assert_int_equal(rl_breaker_init(&b, 5, 30000, 30000), 0);
    assert_int_equal(rl_breaker_state(&b, T0), RL_BREAKER_CLOSED);
    for (int i = 0; i < 4; i++)
        fail_at(&b, T0 + (uint64_t)i * 1000);
    /* Successes do not erase failures. */
    rl_breaker_verdict_t v = allow(&b, T0 + 3500);
    rl_breaker_record(&b, &v, T0 + 3500, true);
    assert_int_equal(rl_breaker_failures(&b, T0 + 3500), 4);
    assert_int_equal(rl_breaker_state(&b, T0 + 3500), RL_BREAKER_CLOSED);
    fail_at(&b, T0 + 29999); /* five failures within 30s */
    assert_int_equal(rl_breaker_state(&b, T0 + 29999), RL_BREAKER_OPEN);
    v = allow(&b, T0 + 30000);
    assert_false(v.allowed);
    assert_int_equal(v.retry_after_ms, 29999);
    rl_breaker_destroy(&b);
}

static void test_window_slides(void **state)
{
    (void)state;
    rl_breaker_t b;
    assert_int_equal(rl_breaker_init(&b, 5, 30000, 30000), 0);
    /* DESIGN's example: four failures at 0..3s age out before the fifth. */
    for (int i = 0; i < 4; i++)
        fail_at(&b, T0 + (uint64_t)i * 1000);
    fail_at(&b, T0 + 40000);
    assert_int_equal(rl_breaker_state(&b, T0 + 40000), RL_BREAKER_CLOSED);
    assert_int_equal(rl_breaker_failures(&b, T0 + 40000), 1);
    /* Exactly `window` apart is outside: five failures spanning 30000ms. */
    for (int i = 1; i <= 3; i++)
        fail_at(&b, T0 + 40000 + (uint64_t)i * 1000);
    fail_at(&b, T0 + 70000);
    assert_int_equal(rl_breaker_state(&b, T0 + 70000), RL_BREAKER_CLOSED);
    fail_at(&b, T0 + 70001); /* now 41..70.001s: five within 30s */
    assert_int_equal(rl_breaker_state(&b, T0 + 70001), RL_BREAKER_OPEN);
    rl_breaker_destroy(&b);
}

static void test_open_refuses_until_cooldown(void **state)
{
    (void)state;
    rl_breaker_t b;
    open_breaker(&b);
    rl_breaker_verdict_t v = allow(&b, T0 + 4000);
    assert_false(v.allowed);
    assert_int_equal(v.retry_after_ms, 30000);
    v = allow(&b, T0 + 33999);
    assert_false(v.allowed);
    assert_int_equal(v.retry_after_ms, 1);
    assert_int_equal(rl_breaker_state(&b, T0 + 33999), RL_BREAKER_OPEN);
    assert_int_equal(rl_breaker_state(&b, T0 + 34000), RL_BREAKER_HALF_OPEN);
    assert_string_equal(rl_breaker_state_name(rl_breaker_state(&b, T0 + 34000)), "half_open");
    assert_string_equal(rl_breaker_state_name(RL_BREAKER_OPEN), "open");
    assert_string_equal(rl_breaker_state_name(RL_BREAKER_CLOSED), "closed");
    rl_breaker_destroy(&b);
}

static void test_one_probe_then_close(void **state)
{
    (void)state;
    rl_breaker_t b;
    open_breaker(&b);
    rl_breaker_verdict_t probe = allow(&b, T0 + 34000);
    assert_true(probe.allowed);
    assert_true(probe.probe);
    /* Everyone else is refused while the probe is out. */
    for (int i = 0; i < 10; i++) {
        rl_breaker_verdict_t v = allow(&b, T0 + 34100);
        assert_false(v.allowed);
        assert_true(v.retry_after_ms >= 1);
    }
    rl_breaker_record(&b, &probe, T0 + 34200, true);
    assert_int_equal(rl_breaker_state(&b, T0 + 34200), RL_BREAKER_CLOSED);
    assert_int_equal(rl_breaker_failures(&b, T0 + 34200), 0); /* forgotten */
    rl_breaker_verdict_t v = allow(&b, T0 + 34200);
    assert_true(v.allowed);
    assert_false(v.probe);
    /* It takes a full threshold of new failures to trip again. */
    for (int i = 0; i < 4; i++)
        fail_at(&b, T0 + 34300);
    assert_int_equal(rl_breaker_state(&b, T0 + 34300), RL_BREAKER_CLOSED);
    fail_at(&b, T0 + 34300);
    assert_int_equal(rl_breaker_state(&b, T0 + 34300), RL_BREAKER_OPEN);
    rl_breaker_destroy(&b);
}

static void test_failed_probe_reopens(void **state)
{
    (void)state;
    rl_breaker_t b;
    open_breaker(&b);
    rl_breaker_verdict_t probe = allow(&b, T0 + 40000);
    assert_true(probe.probe);
    rl_breaker_record(&b, &probe, T0 + 41000, false);
    assert_int_equal(rl_breaker_state(&b, T0 + 41000), RL_BREAKER_OPEN);
    rl_breaker_verdict_t v = allow(&b, T0 + 41000);
    assert_false(v.allowed);
    assert_int_equal(v.retry_after_ms, 30000); /* a whole new cooldown */
    assert_int_equal(rl_breaker_state(&b, T0 + 70999), RL_BREAKER_OPEN);
    probe = allow(&b, T0 + 71000);
    assert_true(probe.allowed && probe.probe);
    rl_breaker_destroy(&b);
}

static void test_abandoned_probe_frees_slot(void **state)
{
    (void)state;
    rl_breaker_t b;
    open_breaker(&b);
    rl_breaker_verdict_t probe = allow(&b, T0 + 34000);
    assert_true(probe.probe);
    assert_false(allow(&b, T0 + 34001).allowed);
    rl_breaker_abandon(&b, &probe);
    assert_int_equal(rl_breaker_state(&b, T0 + 34002), RL_BREAKER_HALF_OPEN);
    rl_breaker_verdict_t next = allow(&b, T0 + 34002);
    assert_true(next.allowed && next.probe);
    /* Abandoning the old probe again does not free the new one's slot. */
    rl_breaker_abandon(&b, &probe);
    assert_false(allow(&b, T0 + 34003).allowed);
    rl_breaker_destroy(&b);
}

static void test_lost_probe_is_replaced(void **state)
{
    (void)state;
    rl_breaker_t b;
    open_breaker(&b);
    rl_breaker_verdict_t lost = allow(&b, T0 + 34000);
    assert_true(lost.probe);
    rl_breaker_verdict_t v = allow(&b, T0 + 63999);
    assert_false(v.allowed);
    assert_int_equal(v.retry_after_ms, 1);
    rl_breaker_verdict_t probe2 = allow(&b, T0 + 64000);
    assert_true(probe2.allowed && probe2.probe);
    /* The stale probe's late success decides nothing; the current one does. */
    rl_breaker_record(&b, &lost, T0 + 64001, true);
    assert_int_equal(rl_breaker_state(&b, T0 + 64001), RL_BREAKER_HALF_OPEN);
    assert_false(allow(&b, T0 + 64001).allowed);
    rl_breaker_record(&b, &probe2, T0 + 64002, true);
    assert_int_equal(rl_breaker_state(&b, T0 + 64002), RL_BREAKER_CLOSED);
    rl_breaker_destroy(&b);
}

static void test_late_outcomes_ignored(void **state)
{
    (void)state;
    rl_breaker_t b;
    assert_int_equal(rl_breaker_init(&b, 2, 10000, 5000), 0);
    rl_breaker_verdict_t early[4];
    for (int i = 0; i < 4; i++)
        early[i] = allow(&b, T0);
    rl_breaker_record(&b, &early[0], T0 + 1, false);
    rl_breaker_record(&b, &early[1], T0 + 2, false);
    assert_int_equal(rl_breaker_state(&b, T0 + 2), RL_BREAKER_OPEN);
    /* A success admitted before the trip does not close it, a failure does
     * not extend the cooldown. */
    rl_breaker_record(&b, &early[2], T0 + 3, true);
    rl_breaker_record(&b, &early[3], T0 + 4000, false);
    assert_int_equal(rl_breaker_state(&b, T0 + 4000), RL_BREAKER_OPEN);
    assert_int_equal(rl_breaker_state(&b, T0 + 5002), RL_BREAKER_HALF_OPEN);
    /* Neither does one arriving while half-open. */
    rl_breaker_verdict_t probe = allow(&b, T0 + 5002);
    assert_true(probe.probe);
    rl_breaker_record(&b, &early[2], T0 + 5003, true);
    assert_int_equal(rl_breaker_state(&b, T0 + 5003), RL_BREAKER_HALF_OPEN);
    /* A refused verdict records nothing. */
    rl_breaker_verdict_t refused = allow(&b, T0 + 5004);
    assert_false(refused.allowed);
    rl_breaker_record(&b, &refused, T0 + 5004, false);
    assert_int_equal(rl_breaker_state(&b, T0 + 5004), RL_BREAKER_HALF_OPEN);
    rl_breaker_destroy(&b);
}

static void test_threshold_one_and_invalid(void **state)
{
    (void)state;
    rl_breaker_t b;
    assert_int_equal(rl_breaker_init(&b, 0, 1000, 1000), -1);
    assert_int_equal(rl_breaker_init(&b, 1, 1000, 1000), 0);
    fail_at(&b, T0);
    assert_int_equal(rl_breaker_state(&b, T0), RL_BREAKER_OPEN);
    rl_breaker_destroy(&b);
}

/* ---- concurrency: one probe among many threads ---- */

typedef struct race {
    rl_breaker_t *b;
    pthread_barrier_t *go;
    int probes;
} race_t;

static void *racer(void *arg)
{
    race_t *r = arg;
    pthread_barrier_wait(r->go);
    for (int i = 0; i < 1000; i++) {
        rl_breaker_verdict_t v;
        if (rl_breaker_allow(r->b, T0 + 34000, &v)) r->probes++;
    }
    return NULL;
}

static void test_one_probe_across_threads(void **state)
{
    (void)state;
    rl_breaker_t b;
    open_breaker(&b);
    enum { N = 8 };
    pthread_t th[N];
    race_t r[N];
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, N);
    for (int i = 0; i < N; i++) {
        r[i] = (race_t){&b, &go, 0};
        pthread_create(&th[i], NULL, racer, &r[i]);
    }
    int total = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        total += r[i].probes;
    }
    pthread_barrier_destroy(&go);
    assert_int_equal(total, 1);
    rl_breaker_destroy(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trips_within_window),         cmocka_unit_test(test_window_slides),
        cmocka_unit_test(test_open_refuses_until_cooldown), cmocka_unit_test(test_one_probe_then_close),
        cmocka_unit_test(test_failed_probe_reopens),        cmocka_unit_test(test_abandoned_probe_frees_slot),
        cmocka_unit_test(test_lost_probe_is_replaced),      cmocka_unit_test(test_late_outcomes_ignored),
        cmocka_unit_test(test_threshold_one_and_invalid),   cmocka_unit_test(test_one_probe_across_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
