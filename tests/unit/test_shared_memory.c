/* test_shared_memory.c — the memory:// backend of shared.h: URL schemes,
 * GCRA and quota results through the callbacks, keys kept apart, expiry
 * and lazy reclaim (memory bounded by live keys), and atomicity: 8 threads
 * racing on one quota admit exactly `limit`, on one rate limit exactly the
 * burst. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <pthread.h>
#include <cmocka.h>

#include "core/err.h"
#include "shared/memory_int.h"
#include "shared/shared.h"

#define T0 1795219200000ull

typedef struct got {
    int calls, rc;
    rl_gcra_result_t g;
    rl_quota_result_t q;
} got_t;

static void on_gcra(void *ud, int rc, const rl_gcra_result_t *res)
{
    got_t *g = ud;
    g->calls++;
    g->rc = rc;
    g->g = *res;
}

static void on_quota(void *ud, int rc, const rl_quota_result_t *res)
{
    got_t *g = ud;
    g->calls++;
    g->rc = rc;
    g->q = *res;
}

static rl_gcra_result_t gcra(rl_shared_t *sh, const char *key, uint64_t limit, uint64_t period, uint64_t now)
{
    got_t g = {0};
    rl_shared_gcra(sh, key, strlen(key), limit, period, now, on_gcra, &g);
    assert_int_equal(g.calls, 1); /* called before returning */
    assert_int_equal(g.rc, 0);
    return g.g;
}

static rl_quota_result_t quota(rl_shared_t *sh, const char *key, uint64_t limit, uint64_t n, uint64_t exp,
                               uint64_t now)
{
    got_t g = {0};
    rl_shared_quota(sh, key, strlen(key), limit, n, exp, now, on_quota, &g);
    assert_int_equal(g.calls, 1);
    assert_int_equal(g.rc, 0);
    assert_int_equal(g.q.limit, limit);
    return g.q;
}

static rl_shared_t *open_memory(void)
{
    char err[128] = "";
    rl_shared_t *sh = rl_shared_open("memory://", err, sizeof(err));
    assert_non_null(sh);
    assert_string_equal(err, "");
    return sh;
}

static void test_open_schemes(void **state)
{
    (void)state;
    char err[128];
    assert_null(rl_shared_open("redis://:hunter2@127.0.0.1:6379/0", err, sizeof(err)));
    assert_string_equal(err, "shared: unsupported URL scheme 'redis' (built in: memory://)");
    assert_null(strstr(err, "hunter2"));
    assert_null(rl_shared_open("memory", err, sizeof(err)));
    assert_non_null(strstr(err, "shared: "));
    assert_null(rl_shared_open("memory://x", err, sizeof(err)));
    assert_non_null(strstr(err, "shared: "));
    assert_null(rl_shared_open("MEMORY://", err, sizeof(err)));
    assert_null(rl_shared_open("://", NULL, 0));
    assert_null(rl_shared_open(NULL, err, sizeof(err)));
    rl_shared_t *sh = open_memory();
    assert_non_null(sh->cache);
    rl_shared_close(sh);
    rl_shared_close(NULL);
}

static void test_gcra_keys(void **state)
{
    (void)state;
    rl_shared_t *sh = open_memory();
    for (uint64_t i = 0; i < 5; i++) {
        rl_gcra_result_t r = gcra(sh, "rl:alice:items", 5, 60000, T0);
        assert_true(r.allowed);
        assert_int_equal(r.limit, 5);
        assert_int_equal(r.remaining, 4 - i);
    }
    rl_gcra_result_t r = gcra(sh, "rl:alice:items", 5, 60000, T0 + 1);
    assert_false(r.allowed);
    assert_int_equal(r.retry_after_ms, 11999);
    /* Another key, and a key that is a prefix, have their own buckets. */
    assert_true(gcra(sh, "rl:bob:items", 5, 60000, T0).allowed);
    assert_true(gcra(sh, "rl:alice:item", 5, 60000, T0).allowed);
    /* The same name as a quota is a different entry. */
    assert_true(quota(sh, "rl:alice:items", 1, 1, T0 + 1000, T0).allowed);
    assert_false(gcra(sh, "rl:alice:items", 5, 60000, T0 + 1).allowed);
    assert_true(gcra(sh, "rl:alice:items", 5, 60000, T0 + 12000).allowed);
    /* Keys are bytes: an embedded NUL is part of the key. */
    got_t g = {0};
    rl_shared_gcra(sh, "k\0a", 3, 1, 1000, T0, on_gcra, &g);
    assert_true(g.g.allowed);
    rl_shared_gcra(sh, "k\0b", 3, 1, 1000, T0, on_gcra, &g);
    assert_true(g.g.allowed);
    rl_shared_gcra(sh, "k\0a", 3, 1, 1000, T0, on_gcra, &g);
    assert_false(g.g.allowed);
    rl_shared_close(sh);
}

static void test_quota(void **state)
{
    (void)state;
    rl_shared_t *sh = open_memory();
    const uint64_t exp = T0 + 86400000;
    rl_quota_result_t q = quota(sh, "q:acme:2026-11-21", 10, 0, exp, T0);
    assert_true(q.allowed);
    assert_int_equal(q.used, 0);
    assert_int_equal(q.remaining, 10);
    assert_int_equal(rl_mem_entry_count(sh), 0); /* a read creates nothing */
    q = quota(sh, "q:acme:2026-11-21", 10, 4, exp, T0);
    assert_true(q.allowed);
    assert_int_equal(q.used, 4);
    assert_int_equal(q.remaining, 6);
    q = quota(sh, "q:acme:2026-11-21", 10, 7, exp, T0 + 1);
    assert_false(q.allowed); /* 4 + 7 > 10: nothing consumed */
    assert_int_equal(q.used, 4);
    assert_int_equal(q.remaining, 6);
    q = quota(sh, "q:acme:2026-11-21", 10, 6, exp, T0 + 2);
    assert_true(q.allowed);
    assert_int_equal(q.used, 10);
    assert_int_equal(q.remaining, 0);
    q = quota(sh, "q:acme:2026-11-21", 10, 1, exp, T0 + 3);
    assert_false(q.allowed);
    q = quota(sh, "q:acme:2026-11-21", 10, 0, exp, T0 + 3);
    assert_true(q.allowed); /* reading an exhausted quota is fine */
    assert_int_equal(q.used, 10);
    /* A limit lowered by a reload below what was used: nothing passes. */
    q = quota(sh, "q:acme:2026-11-21", 8, 1, exp, T0 + 4);
    assert_false(q.allowed);
    assert_int_equal(q.used, 10);
    assert_int_equal(q.remaining, 0);
    /* More than the whole limit at once. */
    q = quota(sh, "q:other", 5, 6, exp, T0);
    assert_false(q.allowed);
    assert_int_equal(q.used, 0);
    q = quota(sh, "q:other", 5, UINT64_MAX, exp, T0);
    assert_false(q.allowed);
    /* At expires_ms the key is gone and counting starts over. */
    q = quota(sh, "q:acme:2026-11-21", 10, 1, exp, exp - 1);
    assert_false(q.allowed);
    q = quota(sh, "q:acme:2026-11-21", 10, 1, exp + 86400000, exp);
    assert_true(q.allowed);
    assert_int_equal(q.used, 1);
    rl_shared_close(sh);
}

static void test_reclaim_bounds_memory(void **state)
{
    (void)state;
    rl_shared_t *sh = open_memory();
    char key[64];
    /* 100000 keys, each alive for 1s; time advances 1ms per key, so about
     * 1000 are alive at any moment. */
    size_t peak = 0;
    for (uint64_t i = 0; i < 100000; i++) {
        int n = snprintf(key, sizeof(key), "ip:%llu", (unsigned long long)i);
        got_t g = {0};
        if (i % 2)
            rl_shared_gcra(sh, key, (size_t)n, 1, 1000, T0 + i, on_gcra, &g);
        else
            rl_shared_quota(sh, key, (size_t)n, 5, 1, T0 + i + 1000, T0 + i, on_quota, &g);
        assert_int_equal(g.rc, 0);
        size_t c = i % 1000 == 0 ? rl_mem_entry_count(sh) : 0;
        peak = c > peak ? c : peak;
    }
    print_message("entries: peak %zu, end %zu\n", peak, rl_mem_entry_count(sh));
    assert_true(peak >= 1000);
    assert_true(peak < 4000);
    /* Long after, a trickle of calls on one key (one stripe) reclaims the
     * dead entries of every stripe. */
    for (uint64_t i = 0; i < 20000; i++)
        gcra(sh, "late", 1000000, 1000, T0 + 10000000 + i);
    assert_int_equal(rl_mem_entry_count(sh), 1);
    size_t buckets = 0;
    for (int i = 0; i < RL_MEM_STRIPES; i++)
        buckets += sh->stripes[i].s.nbuckets;
    assert_true(buckets <= 2 * 16 * RL_MEM_STRIPES); /* tables shrank back */
    rl_shared_close(sh);
}

/* ---- atomicity under threads ---- */

enum { THREADS = 8, ROUNDS = 5000 };
#define QKEY "q:shared"
#define GKEY "rl:shared"

typedef struct racer {
    rl_shared_t *sh;
    pthread_barrier_t *go;
    int quota_ok, gcra_ok;
} racer_t;

static void count_quota(void *ud, int rc, const rl_quota_result_t *res)
{
    int *ok = ud;
    if (rc == 0 && res->allowed) (*ok)++;
}

static void count_gcra(void *ud, int rc, const rl_gcra_result_t *res)
{
    int *ok = ud;
    if (rc == 0 && res->allowed) (*ok)++;
}

static void *race(void *arg)
{
    racer_t *r = arg;
    char key[32];
    pthread_barrier_wait(r->go);
    for (int i = 0; i < ROUNDS; i++) {
        rl_shared_quota(r->sh, QKEY, strlen(QKEY), 9999, 1, T0 + 86400000, T0, count_quota, &r->quota_ok);
        rl_shared_gcra(r->sh, GKEY, strlen(GKEY), 7777, 60000, T0, count_gcra, &r->gcra_ok);
        /* Churn in other keys, in every stripe, with reclaim running. */
        int n = snprintf(key, sizeof(key), "churn:%d", i % 512);
        rl_shared_gcra(r->sh, key, (size_t)n, 1, 1, T0 + (uint64_t)i, NULL, NULL);
    }
    return NULL;
}

static void test_threads_never_over_admit(void **state)
{
    (void)state;
    rl_shared_t *sh = open_memory();
    pthread_t th[THREADS];
    racer_t r[THREADS];
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, THREADS);
    for (int i = 0; i < THREADS; i++) {
        r[i] = (racer_t){.sh = sh, .go = &go};
        assert_int_equal(pthread_create(&th[i], NULL, race, &r[i]), 0);
    }
    int quota_ok = 0, gcra_ok = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        quota_ok += r[i].quota_ok;
        gcra_ok += r[i].gcra_ok;
    }
    pthread_barrier_destroy(&go);
    assert_int_equal(quota_ok, 9999); /* 40000 tries of one unit, 9999 units */
    assert_int_equal(gcra_ok, 7777);  /* the whole burst, not one more */
    rl_quota_result_t q = quota(sh, QKEY, 9999, 0, T0 + 86400000, T0);
    assert_int_equal(q.used, 9999);
    rl_shared_close(sh);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_schemes),
        cmocka_unit_test(test_gcra_keys),
        cmocka_unit_test(test_quota),
        cmocka_unit_test(test_reclaim_bounds_memory),
        cmocka_unit_test(test_threads_never_over_admit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
