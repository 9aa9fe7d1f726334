/* test_shared_memory.c — the memory:// backend of shared.h: URL schemes,
 * GCRA and quota results through the callbacks, keys kept apart, expiry
 * and lazy reclaim (memory bounded by live keys), multi-key GCRA (all or
 * nothing, peeks that change nothing, keys sharing a stripe), and
 * atomicity: 8 threads racing on one quota admit exactly `limit`, on one
 * rate limit exactly the burst, on two overlapping limits exactly the
 * smaller total. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <pthread.h>
#include <cmocka.h>
#include <sodium.h>

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

/* ---- several limits at once ---- */

typedef struct multi_got {
    int calls, rc;
    size_t n;
    bool null_res;
    rl_gcra_result_t r[RL_GCRA_MULTI_MAX];
} multi_got_t;

static void on_multi(void *ud, int rc, const rl_gcra_result_t *res, size_t n)
{
    multi_got_t *g = ud;
    g->calls++;
    g->rc = rc;
    g->n = n;
    g->null_res = res == NULL;
    for (size_t i = 0; i < n; i++)
        g->r[i] = res[i];
}

static multi_got_t multi(rl_shared_t *sh, const rl_gcra_req_t *q, size_t n, uint64_t now, bool consume)
{
    multi_got_t g = {0};
    rl_shared_gcra_multi(sh, q, n, now, consume, on_multi, &g);
    assert_int_equal(g.calls, 1); /* called before returning */
    assert_int_equal(g.rc, 0);
    assert_int_equal(g.n, n);
    return g;
}

static bool admitted(const multi_got_t *g)
{
    for (size_t i = 0; i < g->n; i++)
        if (!g->r[i].allowed) return false;
    return true;
}

#define REQ(k, limit, period) ((rl_gcra_req_t){k, strlen(k), limit, period})

static void test_multi_all_or_nothing(void **state)
{
    (void)state;
    rl_shared_t *sh = open_memory();
    /* 5/min and 3/hour, as a route with two limits. */
    const rl_gcra_req_t q[2] = {REQ("rl:r:0:alice", 5, 60000), REQ("rl:r:1:alice", 3, 3600000)};
    for (uint64_t i = 0; i < 3; i++) {
        multi_got_t g = multi(sh, q, 2, T0, true);
        assert_true(admitted(&g));
        assert_int_equal(g.r[0].remaining, 4 - i);
        assert_int_equal(g.r[1].remaining, 2 - i);
        assert_int_equal(g.r[1].limit, 3);
    }
    /* The hour limit refuses; the minute limit is reported untouched: two
     * requests would still pass it. Many refusals change nothing. */
    for (int i = 0; i < 50; i++) {
        multi_got_t g = multi(sh, q, 2, T0 + 1, true);
        assert_false(admitted(&g));
        assert_true(g.r[0].allowed);
        assert_int_equal(g.r[0].remaining, 2);
        assert_false(g.r[1].allowed);
        assert_int_equal(g.r[1].remaining, 0);
        assert_int_equal(g.r[1].retry_after_ms, 1200000 - 1);
    }
    /* Checked alone, the minute limit still has its two requests. */
    assert_int_equal(gcra(sh, "rl:r:0:alice", 5, 60000, T0 + 2).remaining, 1);
    assert_int_equal(gcra(sh, "rl:r:0:alice", 5, 60000, T0 + 2).remaining, 0);
    /* The other way round: the first limit refuses, the second keeps its
     * count. */
    const rl_gcra_req_t p[2] = {REQ("rl:r:0:bob", 1, 60000), REQ("rl:r:1:bob", 10, 3600000)};
    assert_true(admitted((multi_got_t[]){multi(sh, p, 2, T0, true)}));
    multi_got_t g = multi(sh, p, 2, T0, true);
    assert_false(g.r[0].allowed);
    assert_int_equal(g.r[0].retry_after_ms, 60000);
    assert_true(g.r[1].allowed);
    assert_int_equal(g.r[1].remaining, 9);
    /* A minute later the first admits again; the second counted only the
     * request that passed. */
    g = multi(sh, p, 2, T0 + 60000, true);
    assert_true(admitted(&g));
    assert_int_equal(g.r[1].remaining, 8);
    /* Both refuse: each says so with its own wait. */
    g = multi(sh, (rl_gcra_req_t[]){REQ("rl:r:0:alice", 5, 60000), REQ("rl:r:1:alice", 3, 3600000)}, 2,
              T0 + 3, true);
    assert_false(g.r[0].allowed);
    assert_false(g.r[1].allowed);
    assert_int_equal(g.r[0].retry_after_ms, 12000 - 3);
    rl_shared_close(sh);
}

static void test_multi_repeated_key_and_bad_n(void **state)
{
    (void)state;
    rl_shared_t *sh = open_memory();
    /* A key given twice counts twice, in order: 3/min passes twice, then
     * once more with one left, and the pair that would need two is refused
     * whole. */
    const rl_gcra_req_t q[2] = {REQ("twice", 3, 60000), REQ("twice", 3, 60000)};
    multi_got_t g = multi(sh, q, 2, T0, true);
    assert_true(admitted(&g));
    assert_int_equal(g.r[0].remaining, 2);
    assert_int_equal(g.r[1].remaining, 1);
    g = multi(sh, q, 2, T0, true);
    assert_true(g.r[0].allowed);
    assert_false(g.r[1].allowed);
    assert_int_equal(gcra(sh, "twice", 3, 60000, T0).remaining, 0); /* the one left was still there */
    /* n outside 1..RL_GCRA_MULTI_MAX is a caller bug: rc < 0, no results. */
    rl_gcra_req_t many[RL_GCRA_MULTI_MAX + 1];
    for (size_t i = 0; i <= RL_GCRA_MULTI_MAX; i++)
        many[i] = REQ("k", 1, 1000);
    for (size_t n = 0; n <= RL_GCRA_MULTI_MAX + 1; n += RL_GCRA_MULTI_MAX + 1) {
        multi_got_t b = {0};
        rl_shared_gcra_multi(sh, many, n, T0, true, on_multi, &b);
        assert_int_equal(b.calls, 1);
        assert_int_equal(b.rc, -RL_EINTERNAL);
        assert_true(b.null_res);
        assert_int_equal(b.n, 0);
    }
    /* RL_GCRA_MULTI_MAX keys of their own: fine; a NULL callback too. */
    char keys[RL_GCRA_MULTI_MAX][16];
    for (size_t i = 0; i < RL_GCRA_MULTI_MAX; i++)
        many[i] = (rl_gcra_req_t){keys[i], (size_t)snprintf(keys[i], sizeof(keys[i]), "m%zu", i), 1, 1000};
    assert_true(admitted((multi_got_t[]){multi(sh, many, RL_GCRA_MULTI_MAX, T0, true)}));
    rl_shared_gcra_multi(sh, many, RL_GCRA_MULTI_MAX, T0 + 1000, true, NULL, NULL);
    assert_false(multi(sh, many, RL_GCRA_MULTI_MAX, T0 + 1000, true).r[5].allowed);
    rl_shared_close(sh);
}

static void test_multi_peek(void **state)
{
    (void)state;
    rl_shared_t *sh = open_memory();
    const rl_gcra_req_t q[2] = {REQ("p:min", 4, 60000), REQ("p:hour", 100, 3600000)};
    /* New keys: the whole bursts, and no entry is made. */
    multi_got_t g = multi(sh, q, 2, T0, false);
    assert_true(admitted(&g));
    assert_int_equal(g.r[0].remaining, 4);
    assert_int_equal(g.r[1].remaining, 100);
    assert_int_equal(g.r[0].reset_ms, 0);
    assert_int_equal(rl_mem_entry_count(sh), 0);
    multi(sh, q, 2, T0, true);
    multi(sh, q, 2, T0, true);
    /* Peeking, however often, counts nothing. */
    for (int i = 0; i < 100; i++) {
        g = multi(sh, q, 2, T0 + 1, false);
        assert_int_equal(g.r[0].remaining, 2);
        assert_int_equal(g.r[1].remaining, 98);
        assert_int_equal(g.r[0].reset_ms, 30000 - 1);
    }
    g = multi(sh, q, 2, T0 + 1, true);
    assert_int_equal(g.r[0].remaining, 1);
    assert_int_equal(g.r[1].remaining, 97);
    multi(sh, q, 2, T0 + 1, true);
    /* An exhausted bucket: the peek refuses and says how long to wait. */
    g = multi(sh, q, 2, T0 + 1, false);
    assert_false(g.r[0].allowed);
    assert_int_equal(g.r[0].retry_after_ms, 15000 - 1);
    assert_true(g.r[1].allowed);
    assert_int_equal(g.r[1].remaining, 96);
    rl_shared_close(sh);
}

/* The stripe memory.c puts a key in (the top 6 bits of its hash). */
static unsigned stripe_of(const rl_shared_t *sh, const char *key)
{
    unsigned char out[crypto_shorthash_BYTES];
    uint64_t h;
    crypto_shorthash(out, (const unsigned char *)key, strlen(key), sh->hash_key);
    memcpy(&h, out, sizeof(h));
    return (unsigned)(h >> 58);
}

static void test_multi_keys_sharing_a_stripe(void **state)
{
    (void)state;
    rl_shared_t *sh = open_memory();
    /* Three keys in one stripe and one elsewhere, in an order that is not
     * the stripes' order: each stripe is locked once (a second lock of the
     * same mutex would hang). */
    char k[4][32];
    int n = 0;
    snprintf(k[0], sizeof(k[0]), "s:0");
    for (int i = 1; n < 2 || k[3][0] == '\0'; i++) {
        char cand[32];
        snprintf(cand, sizeof(cand), "s:%d", i);
        if (stripe_of(sh, cand) == stripe_of(sh, k[0])) {
            if (n < 2) memcpy(k[1 + n++], cand, sizeof(cand));
        } else if (k[3][0] == '\0') {
            memcpy(k[3], cand, sizeof(cand));
        }
    }
    const rl_gcra_req_t q[4] = {REQ(k[3], 2, 60000), REQ(k[0], 2, 60000), REQ(k[1], 3, 60000),
                                REQ(k[2], 2, 60000)};
    assert_true(admitted((multi_got_t[]){multi(sh, q, 4, T0, true)}));
    multi_got_t g = multi(sh, q, 4, T0, true);
    assert_true(admitted(&g));
    assert_int_equal(g.r[2].remaining, 1);
    g = multi(sh, q, 4, T0, true);
    assert_false(g.r[0].allowed);
    assert_true(g.r[2].allowed); /* reported untouched: one left */
    assert_int_equal(g.r[2].remaining, 1);
    assert_int_equal(gcra(sh, k[1], 3, 60000, T0).remaining, 0);
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

/* Two overlapping limits: every thread's requests pass a global bucket of
 * GLOBAL and its own bucket of OWN, in both orders. 8 × OWN > GLOBAL, so the
 * global bucket runs out: exactly GLOBAL pass. Fewer would mean refused
 * requests were counted by the other limit; more, an over-admission. Each
 * thread also passes two unlimited shared keys, in the opposite order to
 * its neighbour's, which would deadlock without one lock order. */
enum { GLOBAL = 100, OWN = 30, TRIES = 400 };

typedef struct pair_racer {
    rl_shared_t *sh;
    pthread_barrier_t *go;
    int id, ok, big_ok;
} pair_racer_t;

static void count_multi(void *ud, int rc, const rl_gcra_result_t *res, size_t n)
{
    int *ok = ud;
    bool all = rc == 0;
    for (size_t i = 0; all && i < n; i++)
        all = res[i].allowed;
    if (all) (*ok)++;
}

static void *race_pair(void *arg)
{
    pair_racer_t *r = arg;
    char own[16];
    snprintf(own, sizeof(own), "own:%d", r->id);
    const rl_gcra_req_t fwd[2] = {REQ("global", GLOBAL, 3600000), REQ(own, OWN, 3600000)};
    const rl_gcra_req_t rev[2] = {fwd[1], fwd[0]};
    const rl_gcra_req_t big[2] = {REQ("big:a", 1000000, 3600000), REQ("big:b", 1000000, 3600000)};
    const rl_gcra_req_t gib[2] = {big[1], big[0]};
    pthread_barrier_wait(r->go);
    for (int i = 0; i < TRIES; i++) {
        rl_shared_gcra_multi(r->sh, i % 2 ? fwd : rev, 2, T0, true, count_multi, &r->ok);
        rl_shared_gcra_multi(r->sh, (i + r->id) % 2 ? big : gib, 2, T0, true, count_multi, &r->big_ok);
    }
    return NULL;
}

static void test_threads_two_limits_never_over_admit(void **state)
{
    (void)state;
    rl_shared_t *sh = open_memory();
    pthread_t th[THREADS];
    pair_racer_t r[THREADS];
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, THREADS);
    for (int i = 0; i < THREADS; i++) {
        r[i] = (pair_racer_t){.sh = sh, .go = &go, .id = i};
        assert_int_equal(pthread_create(&th[i], NULL, race_pair, &r[i]), 0);
    }
    int ok = 0, big_ok = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        ok += r[i].ok;
        big_ok += r[i].big_ok;
        assert_true(r[i].ok <= OWN);
        /* the thread's own bucket counted exactly its admitted requests */
        char own[16];
        snprintf(own, sizeof(own), "own:%d", i);
        multi_got_t g = multi(sh, (rl_gcra_req_t[]){REQ(own, OWN, 3600000)}, 1, T0, false);
        assert_int_equal(g.r[0].remaining, OWN - r[i].ok);
    }
    pthread_barrier_destroy(&go);
    assert_int_equal(ok, GLOBAL);
    assert_int_equal(big_ok, THREADS * TRIES);
    multi_got_t g = multi(sh, (rl_gcra_req_t[]){REQ("global", GLOBAL, 3600000)}, 1, T0, false);
    assert_false(g.r[0].allowed);
    g = multi(sh, (rl_gcra_req_t[]){REQ("big:a", 1000000, 3600000), REQ("big:b", 1000000, 3600000)}, 2, T0,
              false);
    assert_int_equal(g.r[0].remaining, 1000000 - THREADS * TRIES);
    assert_int_equal(g.r[1].remaining, 1000000 - THREADS * TRIES);
    rl_shared_close(sh);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_schemes),
        cmocka_unit_test(test_gcra_keys),
        cmocka_unit_test(test_quota),
        cmocka_unit_test(test_reclaim_bounds_memory),
        cmocka_unit_test(test_multi_all_or_nothing),
        cmocka_unit_test(test_multi_repeated_key_and_bad_n),
        cmocka_unit_test(test_multi_peek),
        cmocka_unit_test(test_multi_keys_sharing_a_stripe),
        cmocka_unit_test(test_threads_never_over_admit),
        cmocka_unit_test(test_threads_two_limits_never_over_admit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
