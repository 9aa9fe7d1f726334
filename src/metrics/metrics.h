/* metrics.h — relais' metrics: the fixed families on one process-wide
 * registry (registry.h), the functions that feed them from the hot path, and
 * the exposition that GET /metrics serves (admin/metrics_endpoint.c).
 *
 * Families (label sets in braces; every counter ends in _total):
 *   relais_build_info{version}                      gauge, always 1
 *   relais_requests_total{route,method,status}      counter; route "" when no route matched,
 *                                                   method OTHER when not a standard one
 *   relais_request_duration_seconds{route}          histogram, 0.005 … 10 s
 *   relais_upstream_requests_total{provider,outcome} counter, outcome from rl_metrics_outcome_t
 *   relais_upstream_duration_seconds{provider}      histogram, 0.005 … 10 s
 *   relais_retries_total{provider}                  counter
 *   relais_fallbacks_total{route,provider}          counter; provider = the one skipped or failed
 *   relais_breaker_state{provider}                  gauge, 0 closed, 1 half-open, 2 open
 *   relais_breaker_transitions_total{provider,to}   counter, to = closed|half_open|open
 *   relais_rate_limited_total{route,scope}          counter, scope = inbound|outbound
 *   relais_quota_exceeded_total{route,scope}        counter, scope = inbound|outbound
 *   relais_inflight_requests                        gauge
 *   relais_config_generation                        gauge
 *   relais_config_reloads_total{result}             counter, result = ok|error
 *   relais_cache_hits_total{route}, relais_cache_misses_total{route}   counters
 *   relais_cache_evictions_total                    counter
 *   relais_cache_bytes                              gauge
 *
 * Every feed function may be called from any thread, takes no lock once the
 * series exists, and never fails visibly (out of memory drops the sample).
 * The registry is created on first use and lives until the process exits.
 * Each family holds at most RL_METRICS_SERIES_CAP series; past that, new
 * label sets are counted under "__other__". */
#ifndef RL_METRICS_METRICS_H
#define RL_METRICS_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "metrics/registry.h"

#define RL_METRICS_SERIES_CAP 10000
#define RL_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* How one upstream attempt ended (relais_upstream_requests_total{outcome}). */
#define RL_METRICS_OUTCOME_MAP(X)                                                                            \
    X(OK, "ok")                                                                                              \
    X(HTTP_5XX, "http_5xx")                                                                                  \
    X(HTTP_4XX, "http_4xx")                                                                                  \
    X(CONNECT, "connect")                                                                                    \
    X(TIMEOUT, "timeout")                                                                                    \
    X(CIRCUIT_OPEN, "circuit_open")                                                                          \
    X(RATE_LIMITED, "rate_limited")                                                                          \
    X(QUOTA_EXCEEDED, "quota_exceeded")                                                                      \
    X(MOCK, "mock")

typedef enum rl_metrics_outcome {
#define RL_METRICS_OUTCOME_ENUM(id, name) RL_METRICS_OUTCOME_##id,
    RL_METRICS_OUTCOME_MAP(RL_METRICS_OUTCOME_ENUM)
#undef RL_METRICS_OUTCOME_ENUM
        RL_METRICS_OUTCOME_COUNT
} rl_metrics_outcome_t;

/* relais_breaker_state's values. */
typedef enum rl_metrics_breaker {
    RL_METRICS_BREAKER_CLOSED = 0,
    RL_METRICS_BREAKER_HALF_OPEN = 1,
    RL_METRICS_BREAKER_OPEN = 2,
} rl_metrics_breaker_t;

/* Which side a limit was enforced on: the client's request (inbound, route
 * policy) or the provider's budget (outbound, provider policy). */
typedef enum rl_metrics_scope {
    RL_METRICS_INBOUND,
    RL_METRICS_OUTBOUND,
} rl_metrics_scope_t;

/* Creates the registry and its families if not done yet (feed functions do
 * it on first use; calling it at start-up just moves that cost). Sets
 * relais_build_info{version=RELAIS_VERSION}. Returns 0, or -1 when out of
 * memory (every feed function is then a no-op). */
int rl_metrics_init(void);

/* The process-wide registry, for a module that declares a family of its own
 * (see registry.h); NULL when out of memory. */
rl_metrics_registry_t *rl_metrics_global(void);

/* The name of an outcome ("ok", "http_5xx", …); "" if out of range. */
const char *rl_metrics_outcome_name(rl_metrics_outcome_t o);

/* The outcome of an attempt that got an HTTP answer with `status`:
 * 5xx → HTTP_5XX, 4xx → HTTP_4XX, else OK. */
rl_metrics_outcome_t rl_metrics_outcome_of_status(int status);

/* One finished client request: relais_requests_total and
 * relais_request_duration_seconds. `route` NULL or "" = no route matched;
 * `method` need not be NUL-terminated; `status` is the status sent (0 when
 * none was); `seconds` the time from the request's start to its end. */
void rl_metrics_request(const char *route, const char *method, size_t method_len, int status, double seconds);

/* relais_inflight_requests += delta (+1 when a request starts, -1 when it ends). */
void rl_metrics_inflight(int delta);

/* One upstream attempt to `provider` that ended with `outcome` after
 * `seconds` (counted in relais_upstream_duration_seconds only when seconds
 * ≥ 0: pass -1 for an attempt that never went out, e.g. circuit_open). */
void rl_metrics_upstream(const char *provider, rl_metrics_outcome_t outcome, double seconds);

/* One retry of a request to `provider` (not counting the first attempt). */
void rl_metrics_retry(const char *provider);

/* Route `route` moved past `provider` (failed or skipped) to the next target. */
void rl_metrics_fallback(const char *route, const char *provider);

/* Sets relais_breaker_state{provider} (e.g. at start-up or after a reload). */
void rl_metrics_breaker(const char *provider, rl_metrics_breaker_t state);

/* A breaker of `provider` changed to `to`: counts the transition and sets
 * relais_breaker_state. */
void rl_metrics_breaker_transition(const char *provider, rl_metrics_breaker_t to);

/* A request on `route` was refused by a rate limit / a quota on `scope`. */
void rl_metrics_rate_limited(const char *route, rl_metrics_scope_t scope);
void rl_metrics_quota_exceeded(const char *route, rl_metrics_scope_t scope);

/* The generation of the config now serving (relais_config_generation). */
void rl_metrics_config_generation(uint64_t generation);

/* One reload attempt, SIGHUP or admin API: ok = 1 applied, 0 refused. */
void rl_metrics_config_reload(int ok);

/* The response cache: a lookup on `route` hit / missed; n entries evicted;
 * the bytes it holds now (a gauge: call from a collector, see below). */
void rl_metrics_cache_hit(const char *route);
void rl_metrics_cache_miss(const char *route);
void rl_metrics_cache_evictions(uint64_t n);
void rl_metrics_cache_bytes(int64_t bytes);

/* The audit writer, from a collector: counts since the last call, and the
 * queue slots held now. */
typedef struct rl_metrics_audit {
    uint64_t written, failures, waits, abandoned;
} rl_metrics_audit_t;
void rl_metrics_audit(const rl_metrics_audit_t *delta, int64_t held);

/* Registers cb(ud) to run at the start of every scrape, on the scraping
 * thread, to set gauges read at scrape time. Returns 0, or -1 when the
 * collector table is full. Remove it before freeing ud; a collector must not
 * add or remove collectors. */
int rl_metrics_add_collector(rl_metrics_collect_cb cb, void *ud);
void rl_metrics_remove_collector(rl_metrics_collect_cb cb, void *ud);

/* The exposition of every family, Prometheus text format 0.0.4 (serve it
 * with RL_METRICS_CONTENT_TYPE). Returns malloc'd text the caller frees, its
 * length in *len; NULL when out of memory. */
char *rl_metrics_render(size_t *len);

#endif
