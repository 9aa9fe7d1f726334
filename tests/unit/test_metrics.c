/* test_metrics.c — the metrics registry and exposition: counters summed
 * exactly across threads, cumulative histogram buckets with _sum and _count,
 * label escaping, the series cap and its overflow series, collectors, bad
 * family declarations, and relais' fixed families. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/metrics.h"
#include "metrics/registry.h"

static const double secs[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

static char *render(rl_metrics_registry_t *reg)
{
    size_t len = 0;
    char *t = rl_metrics_registry_render(reg, &len);
    assert_non_null(t);
    assert_int_equal(strlen(t), len);
    return t;
}

static void assert_has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
        if ((p == text || p[-1] == '\n') && p[n] == '\n') return;
    fail_msg("no line\n  %s\nin\n%s", line, text);
}

static void assert_no_text(const char *text, const char *what)
{
    if (strstr(text, what) != NULL) fail_msg("unexpected %s in\n%s", what, text);
}

/* ---- threads ---- */

#define THREADS 8
#define ROUNDS 100000

typedef struct worker_arg {
    rl_metrics_family_t *counter, *gauge, *hist;
    int id;
} worker_arg_t;

static void *hammer(void *p)
{
    worker_arg_t *a = p;
    char own[16];
    snprintf(own, sizeof(own), "t%d", a->id);
    const char *shared[] = {"shared", "GET"}, *mine[] = {own, "POST"}, *none[] = {"x"};
    for (int i = 0; i < ROUNDS; i++) {
        /* a lookup every time, as the request path does: inserts race with lookups */
        rl_metrics_counter_add(rl_metrics_series_get(a->counter, shared), 1);
        rl_metrics_counter_add(rl_metrics_series_get(a->counter, mine), 2);
        rl_metrics_gauge_add(rl_metrics_series_get(a->gauge, NULL), (i & 1) ? -1 : 1);
        rl_metrics_histogram_observe(rl_metrics_series_get(a->hist, none), 0.25);
    }
    return NULL;
}

typedef struct scraper_arg {
    rl_metrics_registry_t *reg;
    atomic_int stop;
    int renders, went_back;
} scraper_arg_t;

/* Renders while the workers write: a counter never goes back between scrapes. */
static void *scrape_loop(void *p)
{
    scraper_arg_t *a = p;
    long long last = -1;
    while (!atomic_load(&a->stop)) {
        size_t len;
        char *t = rl_metrics_registry_render(a->reg, &len);
        const char *at = t ? strstr(t, "t_total{route=\"shared\",method=\"GET\"} ") : NULL;
        long long v = at ? atoll(strchr(at, '}') + 2) : 0;
        if (v < last) a->went_back = 1;
        last = v;
        a->renders++;
        free(t);
    }
    return NULL;
}

static void test_counters_across_threads_sum_exactly(void **state)
{
    (void)state;
    /* fewer shards than threads: shared blocks must stay exact too */
    rl_metrics_registry_t *reg = rl_metrics_registry_new(4, 100);
    const char *l2[] = {"route", "method"}, *l1[] = {"route"};
    worker_arg_t args[THREADS];
    pthread_t th[THREADS];
    rl_metrics_family_t *c = rl_metrics_family_new(reg, RL_METRICS_COUNTER, "t_total", "h", l2, 2, NULL, 0);
    rl_metrics_family_t *g =
        rl_metrics_family_new(reg, RL_METRICS_GAUGE, "t_inflight", "h", NULL, 0, NULL, 0);
    rl_metrics_family_t *h =
        rl_metrics_family_new(reg, RL_METRICS_HISTOGRAM, "t_seconds", "h", l1, 1, secs, 11);
    assert_non_null(c);
    assert_non_null(g);
    assert_non_null(h);
    scraper_arg_t sc = {.reg = reg};
    pthread_t scraper;
    assert_int_equal(pthread_create(&scraper, NULL, scrape_loop, &sc), 0);
    for (int i = 0; i < THREADS; i++) {
        args[i] = (worker_arg_t){c, g, h, i};
        assert_int_equal(pthread_create(&th[i], NULL, hammer, &args[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    atomic_store(&sc.stop, 1);
    pthread_join(scraper, NULL);
    assert_true(sc.renders > 0);
    assert_false(sc.went_back);
    const char *shared[] = {"shared", "GET"}, *t3[] = {"t3", "POST"}, *x[] = {"x"};
    assert_int_equal(rl_metrics_series_value(rl_metrics_series_get(c, shared)), THREADS * ROUNDS);
    assert_int_equal(rl_metrics_series_value(rl_metrics_series_get(c, t3)), 2 * ROUNDS);
    assert_int_equal(rl_metrics_family_size(c), THREADS + 1);
    assert_int_equal(rl_metrics_series_value(rl_metrics_series_get(g, NULL)), 0);
    assert_int_equal(rl_metrics_series_value(rl_metrics_series_get(h, x)), THREADS * ROUNDS);
    char *t = render(reg);
    char line[128];
    snprintf(line, sizeof(line), "t_total{route=\"shared\",method=\"GET\"} %d", THREADS * ROUNDS);
    assert_has_line(t, line);
    snprintf(line, sizeof(line), "t_seconds_bucket{route=\"x\",le=\"0.1\"} 0");
    assert_has_line(t, line);
    snprintf(line, sizeof(line), "t_seconds_bucket{route=\"x\",le=\"0.25\"} %d", THREADS * ROUNDS);
    assert_has_line(t, line);
    snprintf(line, sizeof(line), "t_seconds_sum{route=\"x\"} %d",
             THREADS * ROUNDS / 4); /* 0.25 exact in binary */
    assert_has_line(t, line);
    free(t);
    rl_metrics_registry_free(reg);
}

/* ---- exposition ---- */

static void test_histogram_buckets_are_cumulative(void **state)
{
    (void)state;
    rl_metrics_registry_t *reg = rl_metrics_registry_new(2, 10);
    const double b[] = {0.005, 0.5, 10};
    const char *l[] = {"provider"}, *v[] = {"openai"};
    rl_metrics_family_t *h =
        rl_metrics_family_new(reg, RL_METRICS_HISTOGRAM, "up_seconds", "Upstream time.", l, 1, b, 3);
    rl_metrics_series_t *s = rl_metrics_series_get(h, v);
    rl_metrics_histogram_observe(s, 0.001);
    rl_metrics_histogram_observe(s, 0.005); /* le is inclusive */
    rl_metrics_histogram_observe(s, 0.25);
    rl_metrics_histogram_observe(s, 10);
    rl_metrics_histogram_observe(s, 99.5);      /* only +Inf */
    rl_metrics_histogram_observe(s, 0.0 / 0.0); /* NaN is ignored */
    char *t = render(reg);
    assert_string_equal(t, "# HELP up_seconds Upstream time.\n"
                           "# TYPE up_seconds histogram\n"
                           "up_seconds_bucket{provider=\"openai\",le=\"0.005\"} 2\n"
                           "up_seconds_bucket{provider=\"openai\",le=\"0.5\"} 3\n"
                           "up_seconds_bucket{provider=\"openai\",le=\"10\"} 4\n"
                           "up_seconds_bucket{provider=\"openai\",le=\"+Inf\"} 5\n"
                           "up_seconds_sum{provider=\"openai\"} 109.756\n"
                           "up_seconds_count{provider=\"openai\"} 5\n");
    free(t);
    rl_metrics_registry_free(reg);
}

static void test_exposition_counter_gauge_and_help(void **state)
{
    (void)state;
    rl_metrics_registry_t *reg = rl_metrics_registry_new(1, 10);
    const char *l[] = {"result"}, *ok[] = {"ok"}, *err[] = {"error"};
    rl_metrics_family_t *c = rl_metrics_family_new(reg, RL_METRICS_COUNTER, "reloads_total",
                                                   "Reloads\\by \"result\"\nsecond line", l, 1, NULL, 0);
    rl_metrics_family_t *g = rl_metrics_family_new(reg, RL_METRICS_GAUGE, "generation", "", NULL, 0, NULL, 0);
    rl_metrics_family_t *e =
        rl_metrics_family_new(reg, RL_METRICS_COUNTER, "empty_total", "None yet.", l, 1, NULL, 0);
    assert_non_null(e);
    rl_metrics_counter_add(rl_metrics_series_get(c, ok), 3);
    rl_metrics_series_get(c, err);
    rl_metrics_series_t *gs = rl_metrics_series_get(g, NULL);
    rl_metrics_gauge_add(gs, 5);
    rl_metrics_gauge_set(gs, -7); /* set overrides what was added */
    char *t = render(reg);
    assert_string_equal(t, "# HELP reloads_total Reloads\\\\by \"result\"\\nsecond line\n"
                           "# TYPE reloads_total counter\n"
                           "reloads_total{result=\"ok\"} 3\n"
                           "reloads_total{result=\"error\"} 0\n"
                           "# HELP generation \n"
                           "# TYPE generation gauge\n"
                           "generation -7\n"
                           "# HELP empty_total None yet.\n"
                           "# TYPE empty_total counter\n");
    free(t);
    rl_metrics_gauge_add(gs, 2);
    assert_int_equal(rl_metrics_series_value(gs), -5);
    rl_metrics_registry_free(reg);
}

static void test_label_values_are_escaped(void **state)
{
    (void)state;
    rl_metrics_registry_t *reg = rl_metrics_registry_new(1, 10);
    const char *l[] = {"route", "provider"}, *v[] = {"a\\b\"c\nd", "ünï €"}, *empty[] = {"", NULL};
    rl_metrics_family_t *c = rl_metrics_family_new(reg, RL_METRICS_COUNTER, "x_total", "h", l, 2, NULL, 0);
    rl_metrics_counter_add(rl_metrics_series_get(c, v), 1);
    rl_metrics_counter_add(rl_metrics_series_get(c, empty), 4);
    /* NULL and "" are the same value */
    const char *empty2[] = {NULL, ""};
    assert_ptr_equal(rl_metrics_series_get(c, empty), rl_metrics_series_get(c, empty2));
    char *t = render(reg);
    assert_has_line(t, "x_total{route=\"a\\\\b\\\"c\\nd\",provider=\"ünï €\"} 1");
    assert_has_line(t, "x_total{route=\"\",provider=\"\"} 4");
    free(t);

    char out[16];
    assert_int_equal(rl_metrics_escape_label(out, sizeof(out), "a\"b\\c\nd"), 10);
    assert_string_equal(out, "a\\\"b\\\\c\\nd");
    assert_int_equal(rl_metrics_escape_label(out, 4, "ab\"c"), 5); /* truncated, never half an escape */
    assert_string_equal(out, "ab");
    rl_metrics_registry_free(reg);
}

static void test_series_cap_counts_into_other(void **state)
{
    (void)state;
    rl_metrics_registry_t *reg = rl_metrics_registry_new(2, 3);
    const char *l[] = {"route", "scope"};
    rl_metrics_family_t *c = rl_metrics_family_new(reg, RL_METRICS_COUNTER, "cap_total", "h", l, 2, NULL, 0);
    rl_metrics_series_t *first[3];
    for (int i = 0; i < 6; i++) {
        char name[8];
        snprintf(name, sizeof(name), "r%d", i);
        const char *v[] = {name, "inbound"};
        rl_metrics_series_t *s = rl_metrics_series_get(c, v);
        assert_non_null(s);
        if (i < 3) first[i] = s;
        rl_metrics_counter_add(s, 1);
    }
    assert_int_equal(rl_metrics_family_size(c), 4); /* three series and the overflow */
    const char *r1[] = {"r1", "inbound"}, *r5[] = {"r5", "inbound"};
    assert_ptr_equal(rl_metrics_series_get(c, r1), first[1]); /* existing series still found */
    rl_metrics_counter_add(rl_metrics_series_get(c, r5), 1);
    char *t = render(reg);
    assert_has_line(t, "cap_total{route=\"r0\",scope=\"inbound\"} 1");
    assert_has_line(t, "cap_total{route=\"r2\",scope=\"inbound\"} 1");
    assert_has_line(t, "cap_total{route=\"__other__\",scope=\"__other__\"} 4");
    assert_no_text(t, "\"r3\"");
    free(t);
    rl_metrics_registry_free(reg);
}

static int collected;

static void collect(void *ud)
{
    collected++;
    rl_metrics_gauge_set(ud, 42 + collected);
}

static void test_collectors_run_at_render(void **state)
{
    (void)state;
    rl_metrics_registry_t *reg = rl_metrics_registry_new(1, 10);
    rl_metrics_family_t *g = rl_metrics_family_new(reg, RL_METRICS_GAUGE, "bytes", "h", NULL, 0, NULL, 0);
    rl_metrics_series_t *s = rl_metrics_series_get(g, NULL);
    collected = 0;
    assert_int_equal(rl_metrics_registry_add_collector(reg, collect, s), 0);
    char *t = render(reg);
    assert_has_line(t, "bytes 43");
    free(t);
    rl_metrics_registry_remove_collector(reg, collect, s);
    t = render(reg);
    assert_has_line(t, "bytes 43");
    assert_int_equal(collected, 1);
    free(t);
    for (int i = 0; i < RL_METRICS_MAX_COLLECTORS; i++)
        assert_int_equal(rl_metrics_registry_add_collector(reg, collect, s), 0);
    assert_int_equal(rl_metrics_registry_add_collector(reg, collect, s), -1);
    rl_metrics_registry_free(reg);
}

static void test_bad_families_are_refused(void **state)
{
    (void)state;
    rl_metrics_registry_t *reg = rl_metrics_registry_new(1, 10);
    const char *le[] = {"le"}, *dunder[] = {"__x"}, *dash[] = {"a-b"}, *ok[] = {"route"};
    const double down[] = {1, 0.5}, inf[] = {1, 1.0 / 0.0};
    assert_null(rl_metrics_family_new(reg, RL_METRICS_COUNTER, "9bad", "h", NULL, 0, NULL, 0));
    assert_null(rl_metrics_family_new(reg, RL_METRICS_COUNTER, "bad name", "h", NULL, 0, NULL, 0));
    assert_null(rl_metrics_family_new(reg, RL_METRICS_HISTOGRAM, "h1", "h", le, 1, secs, 11));
    assert_null(rl_metrics_family_new(reg, RL_METRICS_COUNTER, "c1", "h", dunder, 1, NULL, 0));
    assert_null(rl_metrics_family_new(reg, RL_METRICS_COUNTER, "c2", "h", dash, 1, NULL, 0));
    assert_null(rl_metrics_family_new(reg, RL_METRICS_HISTOGRAM, "h2", "h", ok, 1, down, 2));
    assert_null(rl_metrics_family_new(reg, RL_METRICS_HISTOGRAM, "h3", "h", ok, 1, inf, 2));
    assert_null(rl_metrics_family_new(reg, RL_METRICS_COUNTER, "c3", "h", ok, 1, secs, 1));
    assert_non_null(rl_metrics_family_new(reg, RL_METRICS_COUNTER, "ns:ok_total", "h", ok, 1, NULL, 0));
    assert_null(
        rl_metrics_family_new(reg, RL_METRICS_GAUGE, "ns:ok_total", "h", NULL, 0, NULL, 0)); /* twice */
    rl_metrics_family_t *f = rl_metrics_family_new(reg, RL_METRICS_COUNTER, "c4_total", "h", ok, 1, NULL, 0);
    assert_null(rl_metrics_series_get(f, NULL)); /* a labelled family needs values */
    rl_metrics_counter_add(NULL, 1);             /* feeding a NULL series is a no-op */
    rl_metrics_histogram_observe(NULL, 1);
    rl_metrics_gauge_set(NULL, 1);
    rl_metrics_registry_free(reg);
}

/* ---- relais' families ---- */

static void test_relais_families(void **state)
{
    (void)state;
    assert_int_equal(rl_metrics_init(), 0);
    rl_metrics_request("items", "GET", 3, 200, 0.003);
    rl_metrics_request("items", "GET", 3, 200, 0.2);
    rl_metrics_request(NULL, "BREW", 4, 404, 0.001);
    rl_metrics_request("items", "GETX", 3, 502, 0.001); /* method_len bounds the method */
    /* a route name at an address another name had (a reload frees the old
     * config): counted under its own name, not the memoized one */
    char reused[16] = "memo-a";
    rl_metrics_request(reused, "GET", 3, 200, 0.001);
    memcpy(reused, "memo-b", 7);
    rl_metrics_request(reused, "GET", 3, 200, 0.001);
    rl_metrics_request(reused, "GET", 3, 201, 0.001);
    rl_metrics_request(reused, "POST", 4, 201, 0.001);
    rl_metrics_request(reused, "POST", 4, 201, 0.001);
    rl_metrics_inflight(1);
    rl_metrics_inflight(1);
    rl_metrics_inflight(-1);
    rl_metrics_upstream("openai", RL_METRICS_OUTCOME_CONNECT, 0.002);
    rl_metrics_upstream("openai", rl_metrics_outcome_of_status(503), 0.02);
    rl_metrics_upstream("openai", RL_METRICS_OUTCOME_CIRCUIT_OPEN, -1);
    rl_metrics_retry("openai");
    rl_metrics_fallback("chat", "openai");
    rl_metrics_breaker_transition("openai", RL_METRICS_BREAKER_OPEN);
    rl_metrics_breaker("anthropic", RL_METRICS_BREAKER_CLOSED);
    rl_metrics_rate_limited("chat", RL_METRICS_INBOUND);
    rl_metrics_quota_exceeded("chat", RL_METRICS_OUTBOUND);
    rl_metrics_config_generation(7);
    rl_metrics_config_reload(1);
    rl_metrics_config_reload(0);
    rl_metrics_cache_hit("items");
    rl_metrics_cache_miss("items");
    rl_metrics_cache_evictions(3);
    rl_metrics_cache_bytes(1024);
    size_t len;
    char *t = rl_metrics_render(&len);
    assert_non_null(t);
    assert_has_line(t, "relais_build_info{version=\"" RELAIS_VERSION "\"} 1");
    assert_has_line(t, "relais_requests_total{route=\"items\",method=\"GET\",status=\"200\"} 2");
    assert_has_line(t, "relais_requests_total{route=\"\",method=\"OTHER\",status=\"404\"} 1");
    assert_has_line(t, "relais_requests_total{route=\"items\",method=\"GET\",status=\"502\"} 1");
    assert_has_line(t, "relais_requests_total{route=\"memo-a\",method=\"GET\",status=\"200\"} 1");
    assert_has_line(t, "relais_requests_total{route=\"memo-b\",method=\"GET\",status=\"200\"} 1");
    assert_has_line(t, "relais_requests_total{route=\"memo-b\",method=\"GET\",status=\"201\"} 1");
    assert_has_line(t, "relais_requests_total{route=\"memo-b\",method=\"POST\",status=\"201\"} 2");
    assert_has_line(t, "relais_request_duration_seconds_count{route=\"memo-b\"} 4");
    assert_has_line(t, "relais_request_duration_seconds_bucket{route=\"items\",le=\"0.005\"} 2");
    assert_has_line(t, "relais_request_duration_seconds_bucket{route=\"items\",le=\"0.25\"} 3");
    assert_has_line(t, "relais_request_duration_seconds_count{route=\"items\"} 3");
    assert_has_line(t, "relais_inflight_requests 1");
    assert_has_line(t, "relais_upstream_requests_total{provider=\"openai\",outcome=\"connect\"} 1");
    assert_has_line(t, "relais_upstream_requests_total{provider=\"openai\",outcome=\"http_5xx\"} 1");
    assert_has_line(t, "relais_upstream_requests_total{provider=\"openai\",outcome=\"circuit_open\"} 1");
    assert_has_line(t, "relais_upstream_duration_seconds_count{provider=\"openai\"} 2");
    assert_has_line(t, "relais_retries_total{provider=\"openai\"} 1");
    assert_has_line(t, "relais_fallbacks_total{route=\"chat\",provider=\"openai\"} 1");
    assert_has_line(t, "relais_breaker_state{provider=\"openai\"} 2");
    assert_has_line(t, "relais_breaker_state{provider=\"anthropic\"} 0");
    assert_has_line(t, "relais_breaker_transitions_total{provider=\"openai\",to=\"open\"} 1");
    assert_has_line(t, "relais_rate_limited_total{route=\"chat\",scope=\"inbound\"} 1");
    assert_has_line(t, "relais_quota_exceeded_total{route=\"chat\",scope=\"outbound\"} 1");
    assert_has_line(t, "relais_config_generation 7");
    assert_has_line(t, "relais_config_reloads_total{result=\"ok\"} 1");
    assert_has_line(t, "relais_config_reloads_total{result=\"error\"} 1");
    assert_has_line(t, "relais_cache_hits_total{route=\"items\"} 1");
    assert_has_line(t, "relais_cache_misses_total{route=\"items\"} 1");
    assert_has_line(t, "relais_cache_evictions_total 3");
    assert_has_line(t, "relais_cache_bytes 1024");
    assert_has_line(t, "# TYPE relais_request_duration_seconds histogram");
    assert_has_line(t, "# TYPE relais_breaker_state gauge");
    free(t);
    assert_string_equal(rl_metrics_outcome_name(RL_METRICS_OUTCOME_QUOTA_EXCEEDED), "quota_exceeded");
    assert_string_equal(rl_metrics_outcome_name(RL_METRICS_OUTCOME_MOCK), "mock");
    assert_string_equal(rl_metrics_outcome_name(RL_METRICS_OUTCOME_COUNT), "");
    assert_int_equal(rl_metrics_outcome_of_status(404), RL_METRICS_OUTCOME_HTTP_4XX);
    assert_int_equal(rl_metrics_outcome_of_status(200), RL_METRICS_OUTCOME_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counters_across_threads_sum_exactly),
        cmocka_unit_test(test_histogram_buckets_are_cumulative),
        cmocka_unit_test(test_exposition_counter_gauge_and_help),
        cmocka_unit_test(test_label_values_are_escaped),
        cmocka_unit_test(test_series_cap_counts_into_other),
        cmocka_unit_test(test_collectors_run_at_render),
        cmocka_unit_test(test_bad_families_are_refused),
        cmocka_unit_test(test_relais_families),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
