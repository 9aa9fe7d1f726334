/* registry.c — families, series with per-shard cell blocks, and the text
 * exposition; see registry.h for the design.
 *
 * Lookup: each family has an open-addressing table of series pointers sized
 * at least twice its cap, so a probe always ends on an empty slot. Series are
 * only ever added, under the family's mutex, and published with a release
 * store; readers probe with acquire loads and never lock. */
#include "metrics/registry.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"

#define CACHE_LINE 64
#define MAX_SHARDS 64

typedef _Atomic uint64_t rl_cell_t;

struct rl_metrics_series {
    rl_metrics_family_t *family;
    uint64_t hash;
    char **values;                 /* n_labels strings, in one allocation with the array */
    _Atomic int64_t base;          /* a gauge's value = base + the shards' sum */
    _Atomic(rl_cell_t *) blocks[]; /* one per shard, allocated on first touch */
};

struct rl_metrics_family {
    rl_metrics_registry_t *reg;
    rl_metrics_family_t *next;
    rl_metrics_type_t type;
    char *name, *help;
    size_t n_labels;
    char *labels[RL_METRICS_MAX_LABELS];
    size_t n_buckets;
    double buckets[RL_METRICS_MAX_BUCKETS];
    size_t n_cells;     /* cells per block: counter/gauge 1; histogram buckets + +Inf + sum */
    size_t block_bytes; /* n_cells * 8 rounded up to a cache line */
    unsigned shard_mask;
    pthread_mutex_t mu; /* guards inserts, list, count, overflow */
    _Atomic(rl_metrics_series_t *) *slots;
    size_t mask;
    rl_metrics_series_t **list; /* insertion order, for the exposition */
    size_t count, list_cap;
    atomic_int full; /* set once count reached the cap: unknown label sets go to overflow */
    rl_metrics_series_t *overflow;
};

struct rl_metrics_registry {
    unsigned shards; /* a power of two */
    size_t series_cap;
    pthread_mutex_t mu; /* guards the family list */
    rl_metrics_family_t *families, **tail;
    pthread_mutex_t coll_mu; /* guards collectors; held for a whole render */
    struct {
        rl_metrics_collect_cb cb;
        void *ud;
    } coll[RL_METRICS_MAX_COLLECTORS];
    size_t n_coll;
};

/* ---- shards ---- */

static atomic_uint next_thread;
static _Thread_local unsigned tl_thread; /* 1 + this thread's number; 0 = not yet numbered */

static inline unsigned thread_number(void)
{
    unsigned t = tl_thread;
    if (t == 0) t = tl_thread = atomic_fetch_add_explicit(&next_thread, 1, memory_order_relaxed) + 1;
    return t - 1;
}

static rl_cell_t *block_alloc(rl_metrics_series_t *s, unsigned i)
{
    const rl_metrics_family_t *f = s->family;
    rl_cell_t *b = aligned_alloc(CACHE_LINE, f->block_bytes), *expected = NULL;
    if (b == NULL) return NULL;
    for (size_t k = 0; k < f->block_bytes / sizeof(*b); k++)
        atomic_init(&b[k], 0);
    if (!atomic_compare_exchange_strong_explicit(&s->blocks[i], &expected, b, memory_order_acq_rel,
                                                 memory_order_acquire)) {
        free(b); /* another thread sharing this shard won the race */
        b = expected;
    }
    return b;
}

/* The calling thread's block of s; NULL when out of memory. */
static inline rl_cell_t *my_block(rl_metrics_series_t *s)
{
    unsigned i = thread_number() & s->family->shard_mask;
    rl_cell_t *b = atomic_load_explicit(&s->blocks[i], memory_order_acquire);
    return b != NULL ? b : block_alloc(s, i);
}

/* ---- registry and families ---- */

static unsigned pow2_at_least(unsigned n)
{
    unsigned p = 1;
    while (p < n)
        p <<= 1;
    return p;
}

rl_metrics_registry_t *rl_metrics_registry_new(unsigned shards, size_t series_cap)
{
    if (shards == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        shards = n > 0 ? (unsigned)n : 1;
    }
    if (shards > MAX_SHARDS) shards = MAX_SHARDS;
    if (series_cap == 0) return NULL;
    rl_metrics_registry_t *reg = calloc(1, sizeof(*reg));
    if (reg == NULL) return NULL;
    reg->shards = pow2_at_least(shards);
    reg->series_cap = series_cap;
    reg->tail = &reg->families;
    pthread_mutex_init(&reg->mu, NULL);
    pthread_mutex_init(&reg->coll_mu, NULL);
    return reg;
}

static void series_free(rl_metrics_series_t *s, unsigned shards)
{
    if (s == NULL) return;
    for (unsigned i = 0; i < shards; i++)
        free(atomic_load_explicit(&s->blocks[i], memory_order_relaxed));
    free(s->values);
    free(s);
}

static void family_free(rl_metrics_family_t *f)
{
    unsigned shards = f->shard_mask + 1;
    for (size_t i = 0; i < f->count + (f->overflow != NULL); i++)
        series_free(f->list[i], shards);
    free(f->list);
    free(f->slots);
    for (size_t i = 0; i < f->n_labels; i++)
        free(f->labels[i]);
    free(f->name);
    free(f->help);
    pthread_mutex_destroy(&f->mu);
    free(f);
}

void rl_metrics_registry_free(rl_metrics_registry_t *reg)
{
    if (reg == NULL) return;
    for (rl_metrics_family_t *f = reg->families, *next; f != NULL; f = next) {
        next = f->next;
        family_free(f);
    }
    pthread_mutex_destroy(&reg->mu);
    pthread_mutex_destroy(&reg->coll_mu);
    free(reg);
}

static int name_ok(const char *s, int colon_ok)
{
    if (s == NULL || *s == '\0' || (*s >= '0' && *s <= '9')) return 0;
    for (; *s; s++) {
        char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
              (colon_ok && c == ':')))
            return 0;
    }
    return 1;
}

static int family_args_ok(rl_metrics_registry_t *reg, rl_metrics_type_t type, const char *name,
                          const char *const *labels, size_t n_labels, const double *buckets, size_t n_buckets)
{
    if (!name_ok(name, 1) || n_labels > RL_METRICS_MAX_LABELS || (n_labels > 0 && labels == NULL)) return 0;
    for (size_t i = 0; i < n_labels; i++)
        if (!name_ok(labels[i], 0) || strncmp(labels[i], "__", 2) == 0 ||
            (type == RL_METRICS_HISTOGRAM && strcmp(labels[i], "le") == 0))
            return 0;
    if (type == RL_METRICS_HISTOGRAM) {
        if (n_buckets > RL_METRICS_MAX_BUCKETS || (n_buckets > 0 && buckets == NULL)) return 0;
        for (size_t i = 0; i < n_buckets; i++)
            if (!isfinite(buckets[i]) || (i > 0 && !(buckets[i] > buckets[i - 1]))) return 0;
    } else if (n_buckets != 0) {
        return 0;
    }
    for (rl_metrics_family_t *f = reg->families; f != NULL; f = f->next)
        if (strcmp(f->name, name) == 0) return 0;
    return 1;
}

static rl_metrics_family_t *family_alloc(rl_metrics_registry_t *reg, rl_metrics_type_t type, const char *name,
                                         const char *help, const char *const *labels, size_t n_labels)
{
    rl_metrics_family_t *f = calloc(1, sizeof(*f));
    if (f == NULL) return NULL;
    pthread_mutex_init(&f->mu, NULL);
    f->reg = reg;
    f->type = type;
    f->shard_mask = reg->shards - 1;
    size_t slots = 16;
    while (slots < 2 * (reg->series_cap + 1))
        slots <<= 1;
    f->mask = slots - 1;
    f->slots = calloc(slots, sizeof(*f->slots));
    f->name = strdup(name);
    f->help = strdup(help ? help : "");
    int bad = f->slots == NULL || f->name == NULL || f->help == NULL;
    for (size_t i = 0; i < n_labels; i++)
        if ((f->labels[f->n_labels++] = strdup(labels[i])) == NULL) bad = 1;
    if (bad) {
        family_free(f);
        return NULL;
    }
    return f;
}

rl_metrics_family_t *rl_metrics_family_new(rl_metrics_registry_t *reg, rl_metrics_type_t type,
                                           const char *name, const char *help, const char *const *labels,
                                           size_t n_labels, const double *buckets, size_t n_buckets)
{
    rl_metrics_family_t *f = NULL;
    if (reg == NULL) return NULL;
    pthread_mutex_lock(&reg->mu);
    if (!family_args_ok(reg, type, name, labels, n_labels, buckets, n_buckets)) goto out;
    if ((f = family_alloc(reg, type, name, help, labels, n_labels)) == NULL) goto out;
    f->n_buckets = n_buckets;
    for (size_t i = 0; i < n_buckets; i++)
        f->buckets[i] = buckets[i];
    f->n_cells = type == RL_METRICS_HISTOGRAM ? n_buckets + 2 : 1;
    f->block_bytes = (f->n_cells * sizeof(rl_cell_t) + CACHE_LINE - 1) / CACHE_LINE * CACHE_LINE;
    *reg->tail = f;
    reg->tail = &f->next;
out:
    pthread_mutex_unlock(&reg->mu);
    return f;
}

/* ---- series ---- */

static inline uint64_t rotl5(uint64_t x)
{
    return (x << 5) | (x >> 59);
}

/* A word-at-a-time hash (FxHash's step, then a final mix so that the low bits
 * the table uses depend on every input bit). Each value's length goes in
 * after its tail word, which separates one value from the next. */
static uint64_t hash_values(const char *const *values, size_t n)
{
    const uint64_t k = 0x9e3779b97f4a7c15ull;
    uint64_t h = n, w;
    for (size_t i = 0; i < n; i++) {
        const char *p = values[i] ? values[i] : "";
        size_t len = strlen(p);
        for (; len >= 8; p += 8, len -= 8) {
            memcpy(&w, p, 8);
            h = (rotl5(h) ^ w) * k;
        }
        w = 0; /* in a register: a short memcpy to the stack would stall the load */
        for (size_t j = 0; j < len; j++)
            w |= (uint64_t)(unsigned char)p[j] << (8 * j);
        h = ((rotl5(h) ^ w) * k) ^ len;
    }
    h ^= h >> 29;
    h *= k;
    return h ^ (h >> 32);
}

static int values_equal(const rl_metrics_series_t *s, const char *const *values, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s->values[i], values[i] ? values[i] : "") != 0) return 0;
    return 1;
}

/* Probes for the series; on a miss, *empty is the slot where it would go. */
static rl_metrics_series_t *find(rl_metrics_family_t *f, const char *const *values, uint64_t h, size_t *empty)
{
    for (size_t i = h & f->mask;; i = (i + 1) & f->mask) {
        rl_metrics_series_t *s = atomic_load_explicit(&f->slots[i], memory_order_acquire);
        if (s == NULL) {
            *empty = i;
            return NULL;
        }
        if (s->hash == h && values_equal(s, values, f->n_labels)) return s;
    }
}

static rl_metrics_series_t *series_alloc(rl_metrics_family_t *f, const char *const *values, uint64_t h)
{
    unsigned shards = f->shard_mask + 1;
    rl_metrics_series_t *s = calloc(1, sizeof(*s) + shards * sizeof(s->blocks[0]));
    size_t bytes = f->n_labels * sizeof(char *);
    for (size_t i = 0; i < f->n_labels; i++)
        bytes += strlen(values[i] ? values[i] : "") + 1;
    if (s == NULL || (s->values = malloc(bytes ? bytes : 1)) == NULL) {
        free(s);
        return NULL;
    }
    char *p = (char *)(s->values + f->n_labels);
    for (size_t i = 0; i < f->n_labels; i++) {
        size_t len = strlen(values[i] ? values[i] : "") + 1;
        memcpy(p, values[i] ? values[i] : "", len);
        s->values[i] = p;
        p += len;
    }
    s->family = f;
    s->hash = h;
    atomic_init(&s->base, 0);
    for (unsigned i = 0; i < shards; i++)
        atomic_init(&s->blocks[i], NULL);
    return s;
}

static int list_append(rl_metrics_family_t *f, rl_metrics_series_t *s)
{
    if (f->count == f->list_cap) {
        size_t cap = f->list_cap ? 2 * f->list_cap : 16;
        rl_metrics_series_t **l = realloc(f->list, cap * sizeof(*l));
        if (l == NULL) return -1;
        f->list = l;
        f->list_cap = cap;
    }
    f->list[f->count++] = s;
    return 0;
}

/* The overflow series, created on first need. Under f->mu. */
static rl_metrics_series_t *overflow_locked(rl_metrics_family_t *f)
{
    if (f->overflow != NULL) return f->overflow;
    const char *vals[RL_METRICS_MAX_LABELS];
    for (size_t i = 0; i < f->n_labels; i++)
        vals[i] = RL_METRICS_OVERFLOW_VALUE;
    rl_metrics_series_t *s = series_alloc(f, vals, 0);
    if (s == NULL) return NULL;
    if (list_append(f, s) != 0) {
        series_free(s, f->shard_mask + 1);
        return NULL;
    }
    f->count--; /* the overflow series does not count against the cap */
    f->overflow = s;
    rl_log_warn("metrics: %s reached %zu series; further label sets are counted under \"%s\"", f->name,
                f->reg->series_cap, RL_METRICS_OVERFLOW_VALUE);
    return s;
}

rl_metrics_series_t *rl_metrics_series_get(rl_metrics_family_t *f, const char *const *values)
{
    static const char *const none[1] = {""};
    if (f == NULL || (values == NULL && f->n_labels > 0)) return NULL;
    if (values == NULL) values = none;
    uint64_t h = hash_values(values, f->n_labels);
    size_t slot;
    rl_metrics_series_t *s = find(f, values, h, &slot);
    if (s != NULL) return s;
    if (atomic_load_explicit(&f->full, memory_order_acquire)) return f->overflow;
    pthread_mutex_lock(&f->mu);
    if ((s = find(f, values, h, &slot)) != NULL) goto out;
    if (f->count >= f->reg->series_cap) {
        s = overflow_locked(f);
        if (s != NULL) atomic_store_explicit(&f->full, 1, memory_order_release);
        goto out;
    }
    if ((s = series_alloc(f, values, h)) == NULL) goto out;
    if (list_append(f, s) != 0) {
        series_free(s, f->shard_mask + 1);
        s = NULL;
        goto out;
    }
    atomic_store_explicit(&f->slots[slot], s, memory_order_release);
out:
    pthread_mutex_unlock(&f->mu);
    return s;
}

size_t rl_metrics_family_size(rl_metrics_family_t *f)
{
    pthread_mutex_lock(&f->mu);
    size_t n = f->count + (f->overflow != NULL);
    pthread_mutex_unlock(&f->mu);
    return n;
}

/* ---- updates ---- */

void rl_metrics_counter_add(rl_metrics_series_t *s, uint64_t n)
{
    rl_cell_t *b;
    if (s != NULL && (b = my_block(s)) != NULL) atomic_fetch_add_explicit(&b[0], n, memory_order_relaxed);
}

void rl_metrics_gauge_add(rl_metrics_series_t *s, int64_t delta)
{
    rl_cell_t *b;
    if (s != NULL && (b = my_block(s)) != NULL)
        atomic_fetch_add_explicit(&b[0], (uint64_t)delta, memory_order_relaxed); /* two's complement */
}

/* Σ over shards of cell k of s. */
static uint64_t cell_sum(const rl_metrics_series_t *s, size_t k)
{
    uint64_t sum = 0;
    for (unsigned i = 0; i <= s->family->shard_mask; i++) {
        rl_cell_t *b = atomic_load_explicit(&((rl_metrics_series_t *)s)->blocks[i], memory_order_acquire);
        if (b != NULL) sum += atomic_load_explicit(&b[k], memory_order_relaxed);
    }
    return sum;
}

void rl_metrics_gauge_set(rl_metrics_series_t *s, int64_t v)
{
    if (s != NULL)
        atomic_store_explicit(&s->base, (int64_t)((uint64_t)v - cell_sum(s, 0)), memory_order_relaxed);
}

static double bits_to_double(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof(d));
    return d;
}

static uint64_t double_to_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof(u));
    return u;
}

void rl_metrics_histogram_observe(rl_metrics_series_t *s, double v)
{
    rl_cell_t *b;
    if (s == NULL || isnan(v) || (b = my_block(s)) == NULL) return;
    const rl_metrics_family_t *f = s->family;
    size_t k = 0;
    while (k < f->n_buckets && v > f->buckets[k])
        k++;
    atomic_fetch_add_explicit(&b[k], 1, memory_order_relaxed);
    rl_cell_t *sum = &b[f->n_buckets + 1];
    uint64_t old = atomic_load_explicit(sum, memory_order_relaxed);
    /* the block is this thread's alone unless threads outnumber shards: one pass, as a rule */
    while (!atomic_compare_exchange_weak_explicit(sum, &old, double_to_bits(bits_to_double(old) + v),
                                                  memory_order_relaxed, memory_order_relaxed))
        ;
}

static uint64_t histogram_count(const rl_metrics_series_t *s)
{
    uint64_t n = 0;
    for (size_t k = 0; k <= s->family->n_buckets; k++)
        n += cell_sum(s, k);
    return n;
}

int64_t rl_metrics_series_value(const rl_metrics_series_t *s)
{
    if (s == NULL) return 0;
    switch (s->family->type) {
    case RL_METRICS_GAUGE:
        return (int64_t)((uint64_t)atomic_load_explicit(&s->base, memory_order_relaxed) + cell_sum(s, 0));
    case RL_METRICS_HISTOGRAM:
        return (int64_t)histogram_count(s);
    default:
        return (int64_t)cell_sum(s, 0);
    }
}

/* ---- collectors ---- */

int rl_metrics_registry_add_collector(rl_metrics_registry_t *reg, rl_metrics_collect_cb cb, void *ud)
{
    int rc = -1;
    pthread_mutex_lock(&reg->coll_mu);
    if (reg->n_coll < RL_METRICS_MAX_COLLECTORS) {
        reg->coll[reg->n_coll].cb = cb;
        reg->coll[reg->n_coll].ud = ud;
        reg->n_coll++;
        rc = 0;
    }
    pthread_mutex_unlock(&reg->coll_mu);
    return rc;
}

void rl_metrics_registry_remove_collector(rl_metrics_registry_t *reg, rl_metrics_collect_cb cb, void *ud)
{
    pthread_mutex_lock(&reg->coll_mu);
    for (size_t i = 0; i < reg->n_coll; i++)
        if (reg->coll[i].cb == cb && reg->coll[i].ud == ud) {
            memmove(&reg->coll[i], &reg->coll[i + 1], (reg->n_coll - i - 1) * sizeof(reg->coll[0]));
            reg->n_coll--;
            break;
        }
    pthread_mutex_unlock(&reg->coll_mu);
}

/* ---- exposition ---- */

typedef struct outbuf {
    char *p;
    size_t len, cap;
    int failed;
} outbuf_t;

static char *reserve(outbuf_t *o, size_t n)
{
    if (o->failed) return NULL;
    if (o->len + n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 4096;
        while (cap < o->len + n + 1)
            cap *= 2;
        if (cap > RL_METRICS_RENDER_MAX) cap = RL_METRICS_RENDER_MAX;
        char *p = o->len + n + 1 > cap ? NULL : realloc(o->p, cap);
        if (p == NULL) {
            o->failed = 1;
            return NULL;
        }
        o->p = p;
        o->cap = cap;
    }
    return o->p + o->len;
}

static void put(outbuf_t *o, const char *s, size_t n)
{
    char *d = reserve(o, n);
    if (d == NULL) return;
    memcpy(d, s, n);
    o->len += n;
    o->p[o->len] = '\0';
}

static void puts_(outbuf_t *o, const char *s)
{
    put(o, s, strlen(s));
}

static void putf(outbuf_t *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(outbuf_t *o, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n > 0) put(o, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* A float as Prometheus reads it into buf (≥ 32 bytes): the shortest decimal
 * that reads back to the same double, or +Inf, -Inf, NaN. */
static const char *format_double(char *buf, size_t cap, double d)
{
    if (isnan(d)) return "NaN";
    if (isinf(d)) return d > 0 ? "+Inf" : "-Inf";
    if (d == trunc(d) && fabs(d) < 1e15) { /* %g would write 10 as 1e+01 */
        snprintf(buf, cap, "%.0f", d);
        return buf;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, d);
        if (strtod(buf, NULL) == d) break;
    }
    return buf;
}

size_t rl_metrics_escape_label(char *out, size_t cap, const char *value)
{
    size_t n = 0;
    for (const char *p = value ? value : ""; *p; p++) {
        const char *rep = *p == '\\' ? "\\\\" : *p == '"' ? "\\\"" : *p == '\n' ? "\\n" : NULL;
        size_t k = rep ? 2 : 1;
        if (cap > 0 && n + k < cap)
            memcpy(out + n, rep ? rep : p, k);
        else if (cap > 0 && n < cap)
            cap = n + 1; /* stop writing; keep counting */
        n += k;
    }
    if (cap > 0) out[n < cap ? n : cap - 1] = '\0';
    return n;
}

static void put_escaped(outbuf_t *o, const char *s, int help)
{
    for (const char *run = s;; s++) {
        const char *rep = NULL;
        if (*s == '\\')
            rep = "\\\\";
        else if (*s == '\n')
            rep = "\\n";
        else if (*s == '"' && !help)
            rep = "\\\"";
        if (rep == NULL && *s != '\0') continue;
        put(o, run, (size_t)(s - run));
        if (*s == '\0') return;
        put(o, rep, 2);
        run = s + 1;
    }
}

/* {a="x",b="y"[,le="…"]} — nothing when there is no label at all. */
static void put_labels(outbuf_t *o, const rl_metrics_series_t *s, const char *le)
{
    const rl_metrics_family_t *f = s->family;
    if (f->n_labels == 0 && le == NULL) return;
    put(o, "{", 1);
    for (size_t i = 0; i < f->n_labels; i++) {
        if (i > 0) put(o, ",", 1);
        puts_(o, f->labels[i]);
        put(o, "=\"", 2);
        put_escaped(o, s->values[i], 0);
        put(o, "\"", 1);
    }
    if (le != NULL) {
        if (f->n_labels > 0) put(o, ",", 1);
        put(o, "le=\"", 4);
        puts_(o, le);
        put(o, "\"", 1);
    }
    put(o, "}", 1);
}

static void render_histogram(outbuf_t *o, const rl_metrics_series_t *s)
{
    const rl_metrics_family_t *f = s->family;
    uint64_t cum = 0;
    char tmp[40];
    for (size_t k = 0; k <= f->n_buckets; k++) {
        cum += cell_sum(s, k);
        putf(o, "%s_bucket", f->name);
        put_labels(o, s, k < f->n_buckets ? format_double(tmp, sizeof(tmp), f->buckets[k]) : "+Inf");
        putf(o, " %llu\n", (unsigned long long)cum);
    }
    uint64_t bits = 0;
    for (unsigned i = 0; i <= f->shard_mask; i++) {
        rl_cell_t *b = atomic_load_explicit(&((rl_metrics_series_t *)s)->blocks[i], memory_order_acquire);
        if (b != NULL)
            bits = double_to_bits(bits_to_double(bits) + bits_to_double(atomic_load_explicit(
                                                             &b[f->n_buckets + 1], memory_order_relaxed)));
    }
    putf(o, "%s_sum", f->name);
    put_labels(o, s, NULL);
    put(o, " ", 1);
    puts_(o, format_double(tmp, sizeof(tmp), bits_to_double(bits)));
    putf(o, "\n%s_count", f->name);
    put_labels(o, s, NULL);
    putf(o, " %llu\n", (unsigned long long)cum);
}

static void render_family(outbuf_t *o, rl_metrics_family_t *f)
{
    static const char *const types[] = {"counter", "gauge", "histogram"};
    put(o, "# HELP ", 7);
    puts_(o, f->name);
    put(o, " ", 1);
    put_escaped(o, f->help, 1);
    putf(o, "\n# TYPE %s %s\n", f->name, types[f->type]);
    pthread_mutex_lock(&f->mu);
    for (size_t i = 0; i < f->count + (f->overflow != NULL); i++) {
        const rl_metrics_series_t *s = f->list[i];
        if (f->type == RL_METRICS_HISTOGRAM) {
            render_histogram(o, s);
            continue;
        }
        puts_(o, f->name);
        put_labels(o, s, NULL);
        if (f->type == RL_METRICS_GAUGE)
            putf(o, " %lld\n", (long long)rl_metrics_series_value(s));
        else
            putf(o, " %llu\n", (unsigned long long)cell_sum(s, 0));
    }
    pthread_mutex_unlock(&f->mu);
}

char *rl_metrics_registry_render(rl_metrics_registry_t *reg, size_t *len)
{
    outbuf_t o = {0};
    pthread_mutex_lock(&reg->coll_mu);
    for (size_t i = 0; i < reg->n_coll; i++)
        reg->coll[i].cb(reg->coll[i].ud);
    pthread_mutex_lock(&reg->mu);
    reserve(&o, 0);
    for (rl_metrics_family_t *f = reg->families; f != NULL; f = f->next)
        render_family(&o, f);
    pthread_mutex_unlock(&reg->mu);
    pthread_mutex_unlock(&reg->coll_mu);
    if (o.failed) {
        free(o.p);
        return NULL;
    }
    o.p[o.len] = '\0';
    *len = o.len;
    return o.p;
}
