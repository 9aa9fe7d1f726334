/* registry.h — a metrics registry for a hot path shared by worker threads,
 * and its Prometheus text exposition (format 0.0.4). metrics.h builds
 * relais' fixed families on one process-wide registry; this header is the
 * generic part, also used alone by the unit tests.
 *
 * How an increment stays cheap: a series keeps one cache-line-aligned block
 * of cells per *shard*, and each thread writes only the block of its own
 * shard (threads get shard numbers in the order they first touch a metric;
 * with more threads than shards, two threads share a block, which stays
 * correct because every write is an atomic add). So an increment is a hash
 * lookup that takes no lock plus one relaxed atomic add on a line no other
 * worker writes. A scrape sums the blocks. Blocks are allocated the first
 * time a shard touches the series, so an idle series costs one pointer per
 * shard.
 *
 * Label values are known only at run time (route and provider names change
 * with reloads), so a family holds a bounded number of series: past
 * `series_cap`, new label sets are counted in one overflow series whose every
 * label value is "__other__" (logged once per family). Series are never
 * removed; they live until the registry is freed. */
#ifndef RL_METRICS_REGISTRY_H
#define RL_METRICS_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

typedef struct rl_metrics_registry rl_metrics_registry_t;
typedef struct rl_metrics_family rl_metrics_family_t;
typedef struct rl_metrics_series rl_metrics_series_t;

typedef enum rl_metrics_type {
    RL_METRICS_COUNTER,
    RL_METRICS_GAUGE,
    RL_METRICS_HISTOGRAM,
} rl_metrics_type_t;

/* Called at each scrape, before the exposition is written, to set gauges
 * whose value is read rather than pushed (cache bytes, queue lengths). Runs
 * on the scraping thread; scrapes are serialized, so a collector never runs
 * twice at once. */
typedef void (*rl_metrics_collect_cb)(void *ud);

#define RL_METRICS_MAX_LABELS 4
#define RL_METRICS_MAX_BUCKETS 30
#define RL_METRICS_MAX_COLLECTORS 16
#define RL_METRICS_OVERFLOW_VALUE "__other__"
/* The largest exposition rl_metrics_registry_render writes. */
#define RL_METRICS_RENDER_MAX (64u << 20)

/* A new, empty registry. `shards` (≥ 1; 0 = one per online CPU, at most 64)
 * is how many per-thread cell blocks each series may have; `series_cap`
 * (≥ 1) bounds the series of each family. Returns NULL when out of memory.
 * The caller owns it and frees it with rl_metrics_registry_free. */
rl_metrics_registry_t *rl_metrics_registry_new(unsigned shards, size_t series_cap);

/* Frees `reg`, its families and series. No thread may use them any more. */
void rl_metrics_registry_free(rl_metrics_registry_t *reg);

/* Declares a family in `reg`: `name` and `help` (copied), `labels` (n_labels
 * ≤ RL_METRICS_MAX_LABELS names, copied; none may be "le" for a histogram)
 * and, for a histogram only, `n_buckets` ≤ RL_METRICS_MAX_BUCKETS strictly
 * increasing finite upper bounds (the +Inf bucket is implicit). Families are
 * exposed in the order they were declared. Returns the family, owned by
 * `reg`, or NULL on a bad argument or out of memory. Not for the hot path:
 * declare at start-up and keep the pointer. */
rl_metrics_family_t *rl_metrics_family_new(rl_metrics_registry_t *reg, rl_metrics_type_t type,
                                           const char *name, const char *help, const char *const *labels,
                                           size_t n_labels, const double *buckets, size_t n_buckets);

/* The series of `f` for the label values `values` (as many as the family has
 * labels, NUL-terminated, any bytes; a NULL value counts as ""; `values`
 * itself may be NULL for a family without labels). Creates it on first
 * use (copying the values); past the family's cap returns the overflow
 * series. Lock-free when the series exists; any thread. The pointer stays
 * valid until the registry is freed, so a caller may keep it. Returns NULL
 * only when out of memory (the feed functions below then do nothing). */
rl_metrics_series_t *rl_metrics_series_get(rl_metrics_family_t *f, const char *const *values);

/* Adds n to a counter series. Any thread, no lock. s may be NULL. */
void rl_metrics_counter_add(rl_metrics_series_t *s, uint64_t n);

/* Adds delta (may be negative) to a gauge series. Any thread, no lock. */
void rl_metrics_gauge_add(rl_metrics_series_t *s, int64_t delta);

/* Sets a gauge series to v. Exact when no thread adds to the same series at
 * the same time: use either set or add on one series, not both. */
void rl_metrics_gauge_set(rl_metrics_series_t *s, int64_t v);

/* Records one observation v into a histogram series (buckets are upper
 * bounds, inclusive, as Prometheus' `le`). NaN is ignored. Any thread. */
void rl_metrics_histogram_observe(rl_metrics_series_t *s, double v);

/* The current value of a counter or gauge series, summed over shards (for
 * tests and /status); for a histogram, its observation count. */
int64_t rl_metrics_series_value(const rl_metrics_series_t *s);

/* How many series `f` holds, the overflow series included. */
size_t rl_metrics_family_size(rl_metrics_family_t *f);

/* Registers `cb(ud)` to run at the start of every render. Returns 0, or -1
 * when RL_METRICS_MAX_COLLECTORS are registered already. */
int rl_metrics_registry_add_collector(rl_metrics_registry_t *reg, rl_metrics_collect_cb cb, void *ud);

/* Unregisters (cb, ud). Once it returns, no render is running cb(ud) and none
 * will, so `ud` may be freed. */
void rl_metrics_registry_remove_collector(rl_metrics_registry_t *reg, rl_metrics_collect_cb cb, void *ud);

/* Runs the collectors, then writes every family of `reg` in the Prometheus
 * text format 0.0.4: HELP and TYPE lines, then one line per series (for a
 * histogram, cumulative _bucket lines with `le`, then _sum and _count).
 * Returns a malloc'd NUL-terminated text the caller frees, its length in
 * *len; NULL when out of memory or over RL_METRICS_RENDER_MAX. Any thread;
 * increments go on meanwhile (a scrape is not a snapshot across series). */
char *rl_metrics_registry_render(rl_metrics_registry_t *reg, size_t *len);

/* Escapes a label value for the text format (\\, \", \n) into out (cap
 * bytes, NUL-terminated, truncated to fit). Returns the length it needs, not
 * counting the NUL, like snprintf. Pure. */
size_t rl_metrics_escape_label(char *out, size_t cap, const char *value);

#endif
