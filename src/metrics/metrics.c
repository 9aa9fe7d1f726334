/* metrics.c — relais' fixed families on the process-wide registry, and the
 * feed functions the request path calls; see metrics.h. */
#include "metrics/metrics.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#ifndef RELAIS_VERSION
#define RELAIS_VERSION "unknown"
#endif

static const double duration_buckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define N_DURATION_BUCKETS (sizeof(duration_buckets) / sizeof(duration_buckets[0]))

static const char *const outcome_names[] = {
#define RL_METRICS_OUTCOME_NAME(id, name) name,
    RL_METRICS_OUTCOME_MAP(RL_METRICS_OUTCOME_NAME)
#undef RL_METRICS_OUTCOME_NAME
};

static const char *const breaker_names[] = {"closed", "half_open", "open"};
static const char *const scope_names[] = {"inbound", "outbound"};

static struct {
    rl_metrics_registry_t *reg;
    rl_metrics_family_t *requests, *request_duration, *upstream, *upstream_duration, *retries, *fallbacks,
        *breaker_state, *breaker_transitions, *rate_limited, *quota_exceeded, *config_reloads, *cache_hits,
        *cache_misses;
    rl_metrics_series_t *inflight, *generation, *reloads_ok, *reloads_error, *cache_evictions, *cache_bytes;
    rl_metrics_series_t *audit_written, *audit_failures, *audit_waits, *audit_abandoned, *audit_held;
} g;

static pthread_once_t once = PTHREAD_ONCE_INIT;

typedef struct family_def {
    rl_metrics_family_t **out;
    rl_metrics_series_t **only; /* a family without labels: where its one series goes */
    rl_metrics_type_t type;
    const char *name, *help;
    const char *labels[RL_METRICS_MAX_LABELS];
    size_t n_labels;
} family_def_t;

/* Declares one family; a family without labels also gets its one series. */
static rl_metrics_family_t *declare(const family_def_t *d)
{
    int hist = d->type == RL_METRICS_HISTOGRAM;
    rl_metrics_family_t *f =
        rl_metrics_family_new(g.reg, d->type, d->name, d->help, d->labels, d->n_labels,
                              hist ? duration_buckets : NULL, hist ? N_DURATION_BUCKETS : 0);
    if (d->out != NULL) *d->out = f;
    if (d->only != NULL && (*d->only = rl_metrics_series_get(f, NULL)) == NULL) return NULL;
    return f;
}

static int declare_all(void)
{
    rl_metrics_family_t *build = NULL;
    const family_def_t defs[] = {
        {&build,
         NULL,
         RL_METRICS_GAUGE,
         "relais_build_info",
         "relais build information; always 1.",
         {"version"},
         1},
        {&g.requests,
         NULL,
         RL_METRICS_COUNTER,
         "relais_requests_total",
         "Client requests answered, by route, method and status.",
         {"route", "method", "status"},
         3},
        {&g.request_duration,
         NULL,
         RL_METRICS_HISTOGRAM,
         "relais_request_duration_seconds",
         "Time from a client request's start to its end, by route.",
         {"route"},
         1},
        {&g.upstream,
         NULL,
         RL_METRICS_COUNTER,
         "relais_upstream_requests_total",
         "Upstream attempts by provider and outcome.",
         {"provider", "outcome"},
         2},
        {&g.upstream_duration,
         NULL,
         RL_METRICS_HISTOGRAM,
         "relais_upstream_duration_seconds",
         "Duration of upstream attempts, by provider.",
         {"provider"},
         1},
        {&g.retries,
         NULL,
         RL_METRICS_COUNTER,
         "relais_retries_total",
         "Upstream retries, by provider.",
         {"provider"},
         1},
        {&g.fallbacks,
         NULL,
         RL_METRICS_COUNTER,
         "relais_fallbacks_total",
         "Moves to the next target of a route, by route and the provider skipped or failed.",
         {"route", "provider"},
         2},
        {&g.breaker_state,
         NULL,
         RL_METRICS_GAUGE,
         "relais_breaker_state",
         "Circuit breaker state by provider: 0 closed, 1 half-open, 2 open.",
         {"provider"},
         1},
        {&g.breaker_transitions,
         NULL,
         RL_METRICS_COUNTER,
         "relais_breaker_transitions_total",
         "Circuit breaker state changes, by provider and new state.",
         {"provider", "to"},
         2},
        {&g.rate_limited,
         NULL,
         RL_METRICS_COUNTER,
         "relais_rate_limited_total",
         "Requests refused by a rate limit, by route and scope (inbound or outbound).",
         {"route", "scope"},
         2},
        {&g.quota_exceeded,
         NULL,
         RL_METRICS_COUNTER,
         "relais_quota_exceeded_total",
         "Requests refused by an exhausted quota, by route and scope (inbound or outbound).",
         {"route", "scope"},
         2},
        {NULL,
         &g.inflight,
         RL_METRICS_GAUGE,
         "relais_inflight_requests",
         "Client requests in progress.",
         {NULL},
         0},
        {NULL,
         &g.generation,
         RL_METRICS_GAUGE,
         "relais_config_generation",
         "Generation of the config now serving.",
         {NULL},
         0},
        {&g.config_reloads,
         NULL,
         RL_METRICS_COUNTER,
         "relais_config_reloads_total",
         "Config reload attempts, by result (ok or error).",
         {"result"},
         1},
        {&g.cache_hits,
         NULL,
         RL_METRICS_COUNTER,
         "relais_cache_hits_total",
         "Response cache hits, by route.",
         {"route"},
         1},
        {&g.cache_misses,
         NULL,
         RL_METRICS_COUNTER,
         "relais_cache_misses_total",
         "Response cache misses, by route.",
         {"route"},
         1},
        {NULL,
         &g.cache_evictions,
         RL_METRICS_COUNTER,
         "relais_cache_evictions_total",
         "Response cache entries evicted.",
         {NULL},
         0},
        {NULL,
         &g.cache_bytes,
         RL_METRICS_GAUGE,
         "relais_cache_bytes",
         "Bytes held by the response cache.",
         {NULL},
         0},
        {NULL,
         &g.audit_written,
         RL_METRICS_COUNTER,
         "relais_audit_records_total",
         "Audit records written to the store.",
         {NULL},
         0},
        {NULL,
         &g.audit_failures,
         RL_METRICS_COUNTER,
         "relais_audit_write_failures_total",
         "Audit batches the store refused (kept and retried).",
         {NULL},
         0},
        {NULL,
         &g.audit_waits,
         RL_METRICS_COUNTER,
         "relais_audit_waits_total",
         "Audited requests that waited for a queue slot (audit.queue full).",
         {NULL},
         0},
        {NULL,
         &g.audit_abandoned,
         RL_METRICS_COUNTER,
         "relais_audit_abandoned_total",
         "Audited requests that left while they waited for a slot: the client went, or "
         "limits.request_timeout ran out.",
         {NULL},
         0},
        {NULL,
         &g.audit_held,
         RL_METRICS_GAUGE,
         "relais_audit_queue_slots_held",
         "Audit queue slots held now: requests in flight plus records not yet written (at most audit.queue).",
         {NULL},
         0},
    };
    for (size_t i = 0; i < sizeof(defs) / sizeof(defs[0]); i++)
        if (declare(&defs[i]) == NULL) return -1;
    const char *v[] = {RELAIS_VERSION}, *ok[] = {"ok"}, *err[] = {"error"};
    rl_metrics_gauge_set(rl_metrics_series_get(build, v), 1);
    g.reloads_ok = rl_metrics_series_get(g.config_reloads, ok);
    g.reloads_error = rl_metrics_series_get(g.config_reloads, err);
    return 0;
}

static void init_once(void)
{
    g.reg = rl_metrics_registry_new(0, RL_METRICS_SERIES_CAP);
    if (g.reg != NULL && declare_all() != 0) {
        rl_metrics_registry_free(g.reg);
        memset(&g, 0, sizeof(g));
    }
}

int rl_metrics_init(void)
{
    pthread_once(&once, init_once);
    return g.reg != NULL ? 0 : -1;
}

rl_metrics_registry_t *rl_metrics_global(void)
{
    pthread_once(&once, init_once);
    return g.reg;
}

const char *rl_metrics_outcome_name(rl_metrics_outcome_t o)
{
    return (unsigned)o < RL_METRICS_OUTCOME_COUNT ? outcome_names[o] : "";
}

rl_metrics_outcome_t rl_metrics_outcome_of_status(int status)
{
    if (status >= 500 && status <= 599) return RL_METRICS_OUTCOME_HTTP_5XX;
    if (status >= 400 && status <= 499) return RL_METRICS_OUTCOME_HTTP_4XX;
    return RL_METRICS_OUTCOME_OK;
}

/* The series of family *fp for up to three label values (the registry is
 * made first, so *fp is read after it exists); NULL when out of memory. */
static rl_metrics_series_t *series(rl_metrics_family_t *const *fp, const char *a, const char *b,
                                   const char *c)
{
    const char *v[3] = {a, b, c};
    pthread_once(&once, init_once);
    return rl_metrics_series_get(*fp, v);
}

/* A method as a label: the standard ones as sent, anything else OTHER, so
 * that a client cannot mint series. */
static const char *method_label(const char *m, size_t len)
{
    static const char *const known[] = {"GET",    "HEAD",    "POST",    "PUT",  "PATCH",
                                        "DELETE", "OPTIONS", "CONNECT", "TRACE"};
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (m != NULL && strlen(known[i]) == len && memcmp(known[i], m, len) == 0) return known[i];
    return "OTHER";
}

/* The series of the last few (route, method, status) each thread fed, so
 * that a request costs a few compares rather than two hashed lookups.
 * Series live as long as the registry, which lives as long as the process;
 * route names are compared by content, since a reload frees the old ones. */
#define MEMO_SLOTS 8
#define MEMO_ROUTE_MAX 64

typedef struct request_memo {
    char route[MEMO_ROUTE_MAX]; /* "" and count == NULL: empty */
    const char *method;         /* a method_label() constant */
    int status;
    rl_metrics_series_t *count, *duration;
} request_memo_t;

static _Thread_local request_memo_t tl_memo[MEMO_SLOTS];

void rl_metrics_request(const char *route, const char *method, size_t method_len, int status, double seconds)
{
    if (route == NULL) route = "";
    const char *m = method_label(method, method_len);
    size_t rlen = strlen(route);
    request_memo_t *memo = &tl_memo[((unsigned)status * 31u + (unsigned)rlen + (unsigned)m[0]) % MEMO_SLOTS];
    if (memo->count == NULL || memo->method != m || memo->status != status ||
        strcmp(memo->route, route) != 0) {
        char code[4] = "0"; /* snprintf would cost as much as the rest of this function */
        if (status >= 100 && status <= 999) {
            code[0] = (char)('0' + status / 100);
            code[1] = (char)('0' + status / 10 % 10);
            code[2] = (char)('0' + status % 10);
            code[3] = '\0';
        }
        rl_metrics_series_t *count = series(&g.requests, route, m, code);
        rl_metrics_series_t *duration = series(&g.request_duration, route, NULL, NULL);
        if (count == NULL || duration == NULL || rlen >= MEMO_ROUTE_MAX) {
            rl_metrics_counter_add(count, 1);
            rl_metrics_histogram_observe(duration, seconds);
            return;
        }
        *memo = (request_memo_t){.method = m, .status = status, .count = count, .duration = duration};
        memcpy(memo->route, route, rlen + 1);
    }
    rl_metrics_counter_add(memo->count, 1);
    rl_metrics_histogram_observe(memo->duration, seconds);
}

void rl_metrics_inflight(int delta)
{
    pthread_once(&once, init_once);
    rl_metrics_gauge_add(g.inflight, delta);
}

void rl_metrics_upstream(const char *provider, rl_metrics_outcome_t outcome, double seconds)
{
    rl_metrics_counter_add(series(&g.upstream, provider, rl_metrics_outcome_name(outcome), NULL), 1);
    if (seconds >= 0)
        rl_metrics_histogram_observe(series(&g.upstream_duration, provider, NULL, NULL), seconds);
}

void rl_metrics_retry(const char *provider)
{
    rl_metrics_counter_add(series(&g.retries, provider, NULL, NULL), 1);
}

void rl_metrics_fallback(const char *route, const char *provider)
{
    rl_metrics_counter_add(series(&g.fallbacks, route, provider, NULL), 1);
}

void rl_metrics_breaker(const char *provider, rl_metrics_breaker_t state)
{
    rl_metrics_gauge_set(series(&g.breaker_state, provider, NULL, NULL), (int64_t)state);
}

void rl_metrics_breaker_transition(const char *provider, rl_metrics_breaker_t to)
{
    if ((unsigned)to > RL_METRICS_BREAKER_OPEN) return;
    rl_metrics_counter_add(series(&g.breaker_transitions, provider, breaker_names[to], NULL), 1);
    rl_metrics_breaker(provider, to);
}

void rl_metrics_rate_limited(const char *route, rl_metrics_scope_t scope)
{
    rl_metrics_counter_add(series(&g.rate_limited, route, scope_names[scope == RL_METRICS_OUTBOUND], NULL),
                           1);
}

void rl_metrics_quota_exceeded(const char *route, rl_metrics_scope_t scope)
{
    rl_metrics_counter_add(series(&g.quota_exceeded, route, scope_names[scope == RL_METRICS_OUTBOUND], NULL),
                           1);
}

void rl_metrics_config_generation(uint64_t generation)
{
    pthread_once(&once, init_once);
    rl_metrics_gauge_set(g.generation, (int64_t)generation);
}

void rl_metrics_config_reload(int ok)
{
    pthread_once(&once, init_once);
    rl_metrics_counter_add(ok ? g.reloads_ok : g.reloads_error, 1);
}

void rl_metrics_cache_hit(const char *route)
{
    rl_metrics_counter_add(series(&g.cache_hits, route, NULL, NULL), 1);
}

void rl_metrics_cache_miss(const char *route)
{
    rl_metrics_counter_add(series(&g.cache_misses, route, NULL, NULL), 1);
}

void rl_metrics_cache_evictions(uint64_t n)
{
    pthread_once(&once, init_once);
    rl_metrics_counter_add(g.cache_evictions, n);
}

void rl_metrics_cache_bytes(int64_t bytes)
{
    pthread_once(&once, init_once);
    rl_metrics_gauge_set(g.cache_bytes, bytes);
}

void rl_metrics_audit(const rl_metrics_audit_t *delta, int64_t held)
{
    pthread_once(&once, init_once);
    rl_metrics_counter_add(g.audit_written, delta->written);
    rl_metrics_counter_add(g.audit_failures, delta->failures);
    rl_metrics_counter_add(g.audit_waits, delta->waits);
    rl_metrics_counter_add(g.audit_abandoned, delta->abandoned);
    rl_metrics_gauge_set(g.audit_held, held);
}

int rl_metrics_add_collector(rl_metrics_collect_cb cb, void *ud)
{
    rl_metrics_registry_t *reg = rl_metrics_global();
    return reg != NULL ? rl_metrics_registry_add_collector(reg, cb, ud) : -1;
}

void rl_metrics_remove_collector(rl_metrics_collect_cb cb, void *ud)
{
    rl_metrics_registry_t *reg = rl_metrics_global();
    if (reg != NULL) rl_metrics_registry_remove_collector(reg, cb, ud);
}

char *rl_metrics_render(size_t *len)
{
    rl_metrics_registry_t *reg = rl_metrics_global();
    return reg != NULL ? rl_metrics_registry_render(reg, len) : NULL;
}
