/* test_lru.c — the memory backend's response cache (shared.h): hits and
 * misses, ttl expiry, LRU eviction under max_bytes (a lookup refreshes an
 * entry), replacement, tag invalidation, the store-after-invalidation race
 * token, lowering the bound, oversized values, the counters, and a held
 * value outliving its entry. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "shared/shared.h"

typedef struct got {
    int calls, rc;
    char value[256];
    size_t len;
    int hit;
    uint64_t token;
} got_t;

static void on_get(void *ud, int rc, const void *value, size_t len, uint64_t token)
{
    got_t *g = ud;
    g->calls++;
    g->rc = rc;
    g->hit = value != NULL;
    g->len = len;
    g->token = token;
    if (value) memcpy(g->value, value, len < sizeof(g->value) ? len : sizeof(g->value));
}

static rl_shared_t *open_cache(uint64_t max)
{
    char err[128];
    rl_shared_t *sh = rl_shared_open("memory://", err, sizeof(err));
    assert_non_null(sh);
    rl_shared_cache_configure(sh, max);
    return sh;
}

static got_t get(rl_shared_t *sh, const char *key, const char *tag, uint64_t now)
{
    got_t g = {0};
    rl_shared_cache_get(sh, key, strlen(key), tag, strlen(tag), now, on_get, &g);
    assert_int_equal(g.calls, 1); /* the memory backend answers before returning */
    return g;
}

static void set(rl_shared_t *sh, const char *key, const char *tag, const char *value, uint64_t ttl,
                uint64_t now)
{
    got_t g = get(sh, key, tag, now); /* like the cache step: a lookup gives the token */
    rl_shared_cache_set(sh, key, strlen(key), tag, strlen(tag), value, strlen(value), ttl, g.token, now, NULL,
                        NULL);
}

static rl_cache_stats_t stats(rl_shared_t *sh)
{
    rl_cache_stats_t s;
    rl_shared_cache_stats(sh, &s);
    return s;
}

static void test_hit_miss_expiry(void **state)
{
    (void)state;
    rl_shared_t *sh = open_cache(1 << 20);
    assert_false(get(sh, "k", "/t", 1000).hit);
    set(sh, "k", "/t", "value", 500, 1000);
    got_t g = get(sh, "k", "/t", 1499);
    assert_true(g.hit);
    assert_int_equal(g.len, 5);
    assert_memory_equal(g.value, "value", 5);
    assert_false(get(sh, "k2", "/t", 1499).hit);
    assert_false(get(sh, "k", "/t", 1500).hit); /* the ttl ran out */
    rl_cache_stats_t s = stats(sh);
    assert_int_equal(s.hits, 1);
    assert_int_equal(s.misses, 1 + 1 + 1 + 1); /* incl. the lookup done by set() */
    assert_int_equal(s.stores, 1);
    assert_int_equal(s.expirations, 1);
    assert_int_equal(s.entries, 0);
    assert_int_equal(s.bytes, 0);
    rl_shared_close(sh);
}

static void test_replace(void **state)
{
    (void)state;
    rl_shared_t *sh = open_cache(1 << 20);
    set(sh, "k", "/t", "one", 1000, 0);
    set(sh, "k", "/t", "second", 1000, 0);
    got_t g = get(sh, "k", "/t", 1);
    assert_int_equal(g.len, 6);
    assert_memory_equal(g.value, "second", 6);
    assert_int_equal(stats(sh).entries, 1);
    rl_shared_close(sh);
}

/* The size of one entry with a 2-byte key, 100-byte value, 2-byte tag. */
static uint64_t one_entry_bytes(void)
{
    rl_shared_t *sh = open_cache(1 << 20);
    char v[101];
    memset(v, 'v', 100);
    v[100] = '\0';
    set(sh, "k0", "/a", v, 1000, 0);
    uint64_t n = stats(sh).bytes;
    rl_shared_close(sh);
    return n;
}

static void test_lru_eviction(void **state)
{
    (void)state;
    uint64_t one = one_entry_bytes();
    assert_true(one > 100);
    /* room for 3 entries of the same tag (one tag record) and not 4 */
    uint64_t tag = 0;
    {
        rl_shared_t *sh = open_cache(1 << 20);
        char v[101];
        memset(v, 'v', 100);
        v[100] = '\0';
        set(sh, "k0", "/a", v, 1000, 0);
        set(sh, "k1", "/a", v, 1000, 0);
        tag = 2 * one - stats(sh).bytes; /* the second entry shares the tag */
        rl_shared_close(sh);
    }
    uint64_t entry = one - tag;
    rl_shared_t *sh = open_cache(tag + 3 * entry);
    char v[101];
    memset(v, 'v', 100);
    v[100] = '\0';
    set(sh, "k0", "/a", v, 1000, 0);
    set(sh, "k1", "/a", v, 1000, 0);
    set(sh, "k2", "/a", v, 1000, 0);
    assert_int_equal(stats(sh).entries, 3);
    assert_int_equal(stats(sh).evictions, 0);
    assert_true(get(sh, "k0", "/a", 1).hit); /* k0 is now the most recently used: k1 is the coldest */
    set(sh, "k3", "/a", v, 1000, 1);
    rl_cache_stats_t s = stats(sh);
    assert_int_equal(s.entries, 3);
    assert_int_equal(s.evictions, 1);
    assert_true(s.bytes <= s.max_bytes);
    assert_false(get(sh, "k1", "/a", 2).hit);
    assert_true(get(sh, "k0", "/a", 2).hit);
    assert_true(get(sh, "k2", "/a", 2).hit);
    assert_true(get(sh, "k3", "/a", 2).hit);
    /* expired entries go before live ones are evicted */
    set(sh, "sh", "/a", v, 1, 3); /* evicts k0 (coldest: k0 k2 k3 were read in that order) */
    assert_false(get(sh, "k0", "/a", 3).hit);
    set(sh, "k4", "/a", v, 1000, 10); /* "sh" expired at 4: it goes, no live entry is evicted */
    s = stats(sh);
    assert_int_equal(s.evictions, 2);
    assert_int_equal(s.expirations, 1);
    assert_true(get(sh, "k2", "/a", 11).hit);
    assert_true(get(sh, "k3", "/a", 11).hit);
    assert_true(get(sh, "k4", "/a", 11).hit);
    /* lowering the bound evicts at once, coldest first */
    rl_shared_cache_configure(sh, tag + entry);
    s = stats(sh);
    assert_int_equal(s.entries, 1);
    assert_true(get(sh, "k4", "/a", 12).hit);
    rl_shared_close(sh);
}

static void test_too_big_and_disabled(void **state)
{
    (void)state;
    rl_shared_t *sh = open_cache(100);
    char v[201];
    memset(v, 'v', 200);
    v[200] = '\0';
    set(sh, "k", "/t", v, 1000, 0);
    assert_false(get(sh, "k", "/t", 1).hit);
    assert_int_equal(stats(sh).bytes, 0);
    rl_shared_cache_configure(sh, 0);
    set(sh, "k", "/t", "x", 1000, 0);
    assert_false(get(sh, "k", "/t", 1).hit);
    rl_shared_close(sh);
}

static void test_invalidate(void **state)
{
    (void)state;
    rl_shared_t *sh = open_cache(1 << 20);
    set(sh, "GET /v1/items/42\na", "/v1/items/42", "x", 1000, 0);
    set(sh, "GET /v1/items/42\nb", "/v1/items/42", "y", 1000, 0);
    set(sh, "GET /v1/items/42?fields=id\na", "/v1/items/42", "z", 1000, 0);
    set(sh, "GET /v1/items\na", "/v1/items", "list", 1000, 0);
    set(sh, "GET /v1/items/7\na", "/v1/items/7", "other", 1000, 0);
    rl_shared_cache_invalidate(sh, "/v1/items/42", 12, 1, NULL, NULL);
    assert_false(get(sh, "GET /v1/items/42\na", "/v1/items/42", 1).hit);
    assert_false(get(sh, "GET /v1/items/42\nb", "/v1/items/42", 1).hit);
    assert_false(get(sh, "GET /v1/items/42?fields=id\na", "/v1/items/42", 1).hit);
    assert_true(get(sh, "GET /v1/items\na", "/v1/items", 1).hit);
    assert_true(get(sh, "GET /v1/items/7\na", "/v1/items/7", 1).hit);
    assert_int_equal(stats(sh).invalidations, 3);
    rl_shared_cache_invalidate(sh, "/v1/items", 9, 1, NULL, NULL);
    assert_false(get(sh, "GET /v1/items\na", "/v1/items", 1).hit);
    rl_shared_cache_invalidate(sh, "/nothing", 8, 1, NULL, NULL);
    assert_int_equal(stats(sh).entries, 1);
    rl_shared_close(sh);
}

static void test_store_after_invalidation_is_dropped(void **state)
{
    (void)state;
    rl_shared_t *sh = open_cache(1 << 20);
    got_t g = get(sh, "k", "/v1/items/1", 0);                         /* a GET misses and goes upstream … */
    rl_shared_cache_invalidate(sh, "/v1/items/1", 11, 0, NULL, NULL); /* … a PUT lands … */
    rl_shared_cache_set(sh, "k", 1, "/v1/items/1", 11, "stale", 5, 1000, g.token, 0, NULL, NULL);
    assert_false(get(sh, "k", "/v1/items/1", 1).hit); /* … the stale answer is not kept */
    g = get(sh, "k", "/v1/items/1", 1);
    rl_shared_cache_set(sh, "k", 1, "/v1/items/1", 11, "fresh", 5, 1000, g.token, 1, NULL, NULL);
    assert_true(get(sh, "k", "/v1/items/1", 2).hit);
    rl_shared_close(sh);
}

/* A hit held in its callback (the cache step answers without copying)
 * stays readable while the entry is replaced, invalidated and evicted; the
 * last release frees it (ASan reports a leak or a use after free). */
typedef struct held {
    rl_shared_t *sh;
    rl_cache_hold_t *hold;
    const char *value;
    size_t len;
} held_t;

static void on_get_hold(void *ud, int rc, const void *value, size_t len, uint64_t token)
{
    held_t *h = ud;
    (void)rc, (void)token;
    if (value == NULL) return;
    h->hold = rl_shared_cache_hold(h->sh, value);
    h->value = value;
    h->len = len;
}

static void on_get_hold_twice(void *ud, int rc, const void *value, size_t len, uint64_t token)
{
    held_t *h = ud;
    on_get_hold(ud, rc, value, len, token);
    assert_ptr_equal(rl_shared_cache_hold(h->sh, value), h->hold);
}

static void test_held_value_outlives_its_entry(void **state)
{
    (void)state;
    rl_shared_t *sh = open_cache(1 << 20);
    set(sh, "a", "/a", "first value", 1000, 0);
    set(sh, "b", "/b", "second value", 1000, 0);
    set(sh, "c", "/c", "third value", 1000, 0);
    held_t ha = {.sh = sh}, hb = {.sh = sh}, hc = {.sh = sh}, hc2 = {.sh = sh};
    rl_shared_cache_get(sh, "a", 1, "/a", 2, 1, on_get_hold, &ha);
    rl_shared_cache_get(sh, "b", 1, "/b", 2, 1, on_get_hold, &hb);
    rl_shared_cache_get(sh, "c", 1, "/c", 2, 1, on_get_hold, &hc);
    rl_shared_cache_get(sh, "c", 1, "/c", 2, 1, on_get_hold, &hc2); /* two holders of one entry */
    held_t twice = {.sh = sh};
    rl_shared_cache_get(sh, "c", 1, "/c", 2, 1, on_get_hold_twice, &twice); /* held twice in one callback */
    rl_shared_cache_release(sh, twice.hold);
    rl_shared_cache_release(sh, twice.hold);
    assert_non_null(ha.hold);
    assert_non_null(hc2.hold);
    set(sh, "a", "/a", "replaced", 1000, 1);                /* replaced */
    rl_shared_cache_invalidate(sh, "/b", 2, 1, NULL, NULL); /* invalidated */
    rl_shared_cache_configure(sh, 1);                       /* everything evicted */
    assert_int_equal(stats(sh).entries, 0);
    assert_memory_equal(ha.value, "first value", ha.len);
    assert_memory_equal(hb.value, "second value", hb.len);
    rl_shared_cache_release(sh, hc.hold);
    assert_memory_equal(hc2.value, "third value", hc2.len);
    rl_shared_cache_release(sh, hc2.hold);
    rl_shared_cache_release(sh, ha.hold);
    rl_shared_cache_release(sh, hb.hold);
    rl_shared_close(sh);
}

/* Random stores, lookups and invalidations with random ttls against a
 * model (no evictions: the bound is large): a lookup hits exactly when the
 * model has the key unexpired, and a store drops every expired entry first
 * (the expiry heap), so the entry count always matches the model. */
static void test_expiry_matches_a_model(void **state)
{
    (void)state;
    enum { KEYS = 64, OPS = 20000 };
    rl_shared_t *sh = open_cache(1 << 26);
    uint64_t expires[KEYS] = {0}; /* 0 = absent */
    uint64_t now = 1, x = 88172645463325252ull;
    for (int op = 0; op < OPS; op++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int k = (int)(x % KEYS), what = (int)(x >> 8) % 8;
        uint64_t ttl = 1 + (x >> 16) % 200;
        now += (x >> 32) % 4;
        char key[16], tag[16];
        snprintf(key, sizeof(key), "k%d", k);
        snprintf(tag, sizeof(tag), "/t%d", k % 8);
        if (what < 4) { /* a store: every expired entry goes first */
            set(sh, key, tag, "v", ttl, now);
            for (int i = 0; i < KEYS; i++)
                if (expires[i] && expires[i] <= now) expires[i] = 0;
            expires[k] = now + ttl;
        } else if (what < 7) {
            bool live = expires[k] && expires[k] > now;
            assert_int_equal(get(sh, key, tag, now).hit, live);
            if (!live) expires[k] = 0; /* a lookup drops what it finds expired */
        } else {
            rl_shared_cache_invalidate(sh, tag, strlen(tag), now, NULL, NULL);
            for (int i = 0; i < KEYS; i++)
                if (i % 8 == k % 8) expires[i] = 0;
        }
        uint64_t n = 0;
        for (int i = 0; i < KEYS; i++)
            n += expires[i] != 0;
        assert_int_equal(stats(sh).entries, n);
    }
    assert_int_equal(stats(sh).evictions, 0);
    rl_shared_close(sh);
}

static void test_many_entries(void **state)
{
    (void)state;
    rl_shared_t *sh = open_cache(64 << 20);
    char key[32], tag[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof(key), "key-%d", i);
        snprintf(tag, sizeof(tag), "/t/%d", i % 100);
        set(sh, key, tag, "v", 1000, 0);
    }
    assert_int_equal(stats(sh).entries, 5000);
    for (int i = 0; i < 5000; i += 7) {
        snprintf(key, sizeof(key), "key-%d", i);
        snprintf(tag, sizeof(tag), "/t/%d", i % 100);
        assert_true(get(sh, key, tag, 1).hit);
    }
    for (int t = 0; t < 100; t++) {
        snprintf(tag, sizeof(tag), "/t/%d", t);
        rl_shared_cache_invalidate(sh, tag, strlen(tag), 1, NULL, NULL);
    }
    rl_cache_stats_t s = stats(sh);
    assert_int_equal(s.entries, 0);
    assert_int_equal(s.bytes, 0);
    rl_shared_close(sh);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hit_miss_expiry),
        cmocka_unit_test(test_replace),
        cmocka_unit_test(test_lru_eviction),
        cmocka_unit_test(test_too_big_and_disabled),
        cmocka_unit_test(test_invalidate),
        cmocka_unit_test(test_store_after_invalidation_is_dropped),
        cmocka_unit_test(test_many_entries),
        cmocka_unit_test(test_held_value_outlives_its_entry),
        cmocka_unit_test(test_expiry_matches_a_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
