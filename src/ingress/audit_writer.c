/* audit_writer.c — the control-thread store writer, see audit_writer.h. */
#include "ingress/audit_writer.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "ingress/audit.h"
#include "policy/auth_apikey.h"

#define TICK_MS 1000
#define HOUR_MS 3600000ull
#define LINGER_MS 20

typedef struct node {
    struct node *next;
    rl_store_audit_row_t row;
} node_t;

struct rl_audit_writer {
    rl_store_t *store;
    rl_audit_writer_cfg_t cfg;
    rl_audit_slots_t slots; /* bound the queue; held until a row is stored */
    pthread_mutex_t mu;     /* guards the watches and stats */
    /* The queue, lock-free: workers push onto `pushed` (newest first, one
     * CAS); the writer takes the whole stack at once, reverses it and keeps
     * the rows in `ready` (oldest first) until it has written them. */
    _Atomic(node_t *) pushed;
    node_t *ready;        /* control thread only */
    atomic_size_t queued; /* rows in both */
    rl_audit_watch_t *watches;
    node_t *failed; /* a batch the store refused, retried first (control thread only) */
    char chain[RL_STORE_HEX_LEN + 1];
    uv_async_t async;
    uv_timer_t tick, linger;
    uint64_t last_jobs_ms;
    int closed_handles;
    rl_audit_writer_stats_t stats;
};

rl_audit_slots_t *rl_audit_writer_slots(rl_audit_writer_t *w)
{
    return &w->slots;
}

void rl_audit_writer_watch(rl_audit_writer_t *w, rl_audit_watch_t *watch)
{
    pthread_mutex_lock(&w->mu);
    watch->next = w->watches;
    w->watches = watch;
    pthread_mutex_unlock(&w->mu);
}

/* Whether the queue must be written now rather than after LINGER_MS: a
 * batch is full, or requests wait for a slot (or will: every slot held). */
static bool urgent(rl_audit_writer_t *w, size_t queued)
{
    return queued >= RL_AUDIT_BATCH || atomic_load(&w->slots.parked) > 0 ||
           atomic_load(&w->slots.held) >= w->slots.cap;
}

void rl_audit_writer_push(rl_audit_writer_t *w, rl_store_audit_row_t *row)
{
    node_t *n = malloc(sizeof(*n));
    if (n == NULL) abort(); /* a record may not be dropped */
    n->row = *row;
    memset(row, 0, sizeof(*row));
    n->next = atomic_load_explicit(&w->pushed, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(&w->pushed, &n->next, n, memory_order_release,
                                                  memory_order_relaxed))
        ;
    size_t queued = atomic_fetch_add(&w->queued, 1) + 1;
    /* The first row of a batch wakes the writer (which lingers for more);
     * later ones only when the batch cannot wait. */
    if (queued == 1 || urgent(w, queued)) uv_async_send(&w->async);
}

/* Gives the slots of `n` stored rows back and, if requests are parked,
 * wakes every worker that registered (each grants its own FIFO). */
static void give_back(rl_audit_writer_t *w, size_t n)
{
    if (!rl_audit_slots_give(&w->slots, n)) return;
    pthread_mutex_lock(&w->mu);
    for (rl_audit_watch_t *x = w->watches; x; x = x->next)
        uv_async_send(x->async);
    pthread_mutex_unlock(&w->mu);
}

/* Takes up to RL_AUDIT_BATCH rows out of the queue, oldest first (their
 * slots stay held). Control thread. */
static node_t *take_batch(rl_audit_writer_t *w, size_t *n)
{
    if (w->ready == NULL) { /* move what was pushed, reversed into push order */
        node_t *p = atomic_exchange_explicit(&w->pushed, NULL, memory_order_acquire), *rev = NULL;
        while (p) {
            node_t *next = p->next;
            p->next = rev;
            rev = p;
            p = next;
        }
        w->ready = rev;
    }
    node_t *first = w->ready, *last = NULL, *p = first;
    *n = 0;
    while (p && *n < RL_AUDIT_BATCH) {
        last = p;
        p = p->next;
        (*n)++;
    }
    if (last) last->next = NULL;
    w->ready = p;
    /* A row can be taken before its pusher counted it: `queued` then wraps
     * for an instant. Harmless: the push that counts it sees no "first row"
     * (the row is already taken), and urgent() at worst writes at once. */
    atomic_fetch_sub(&w->queued, *n);
    return *n ? first : NULL;
}

static void free_nodes(node_t *p)
{
    while (p) {
        node_t *next = p->next;
        rl_store_audit_row_clear(&p->row);
        free(p);
        p = next;
    }
}

/* Chains and appends one batch; on failure keeps it (unchained) for retry. */
static int write_batch(rl_audit_writer_t *w, node_t *batch, size_t n)
{
    rl_err_t err;
    rl_store_audit_row_t *rows = calloc(n, sizeof(*rows));
    char chain[RL_STORE_HEX_LEN + 1];
    size_t i = 0;
    if (rows == NULL) abort();
    memcpy(chain, w->chain, sizeof(chain));
    for (node_t *p = batch; p; p = p->next) {
        rows[i] = p->row;
        rl_audit_chain(&rows[i++], chain);
    }
    int rc = rl_store_audit_append(w->store, rows, n, &err);
    free(rows); /* the strings stay owned by the nodes */
    if (rc != 0) {
        pthread_mutex_lock(&w->mu);
        w->stats.failures++;
        pthread_mutex_unlock(&w->mu);
        rl_log_error("audit: cannot write %zu records (kept, retried in 1 s): %s", n, err.msg);
        w->failed = batch;
        return -1;
    }
    memcpy(w->chain, chain, sizeof(chain));
    pthread_mutex_lock(&w->mu);
    w->stats.written += n;
    pthread_mutex_unlock(&w->mu);
    free_nodes(batch);
    give_back(w, n);
    return 0;
}

size_t rl_audit_writer_flush(rl_audit_writer_t *w)
{
    size_t total = 0, n = 0;
    if (w->failed) {
        node_t *b = w->failed;
        for (node_t *p = b; p; p = p->next)
            n++;
        w->failed = NULL;
        if (write_batch(w, b, n) != 0) return 0;
        total += n;
    }
    node_t *batch;
    while ((batch = take_batch(w, &n)) != NULL) {
        if (write_batch(w, batch, n) != 0) break;
        total += n;
    }
    return total;
}

void rl_audit_writer_run_jobs(rl_audit_writer_t *w, int64_t now_ms)
{
    rl_err_t err;
    int n = rl_store_audit_anonymize(w->store, now_ms - (int64_t)w->cfg.anonymize_after_ms, &err);
    if (n < 0)
        rl_log_error("audit: anonymize job failed: %s", err.msg);
    else if (n > 0)
        rl_log_info("audit: anonymized the client IP of %d records", n);
    n = rl_store_audit_expire(w->store, now_ms - (int64_t)w->cfg.retention_ms, &err);
    if (n < 0)
        rl_log_error("audit: retention job failed: %s", err.msg);
    else if (n > 0)
        rl_log_info("audit: deleted %d records past retention", n);
}

static void on_linger(uv_timer_t *t)
{
    rl_audit_writer_flush(t->data);
}

/* A push woke the writer: write now if it is urgent, else within LINGER_MS
 * so that one transaction takes the rows of many requests. */
static void on_async(uv_async_t *a)
{
    rl_audit_writer_t *w = a->data;
    if (urgent(w, atomic_load(&w->queued))) {
        uv_timer_stop(&w->linger);
        rl_audit_writer_flush(w);
    } else if (!uv_is_active((uv_handle_t *)&w->linger)) {
        uv_timer_start(&w->linger, on_linger, LINGER_MS, 0);
    }
}

static void on_tick(uv_timer_t *t)
{
    rl_audit_writer_t *w = t->data;
    int64_t now = (int64_t)rl_wall_ms();
    rl_audit_writer_flush(w);
    rl_auth_apikey_flush_uses(w->store);
    if ((uint64_t)now - w->last_jobs_ms >= w->cfg.jobs_interval_ms) {
        w->last_jobs_ms = (uint64_t)now;
        rl_audit_writer_run_jobs(w, now);
    }
}

int rl_audit_writer_start(uv_loop_t *loop, rl_store_t *store, const rl_audit_writer_cfg_t *cfg,
                          rl_audit_writer_t **out, rl_err_t *err)
{
    rl_audit_writer_t *w = calloc(1, sizeof(*w));
    int rc;
    *out = NULL;
    if (w == NULL) return rl_err_set(err, RL_EINTERNAL, "out of memory");
    if ((rc = rl_store_audit_tail(store, w->chain, err)) != 0) {
        free(w);
        return rc;
    }
    w->store = store;
    w->cfg = *cfg;
    if (w->cfg.queue == 0) w->cfg.queue = 1;
    rl_audit_slots_init(&w->slots, w->cfg.queue);
    if (w->cfg.jobs_interval_ms == 0) w->cfg.jobs_interval_ms = HOUR_MS;
    /* the first jobs run one tick after start, then every interval */
    w->last_jobs_ms = rl_wall_ms() - w->cfg.jobs_interval_ms;
    pthread_mutex_init(&w->mu, NULL);
    uv_async_init(loop, &w->async, on_async);
    w->async.data = w;
    uv_unref((uv_handle_t *)&w->async);
    uv_timer_init(loop, &w->tick);
    w->tick.data = w;
    uv_timer_start(&w->tick, on_tick, TICK_MS, TICK_MS);
    uv_unref((uv_handle_t *)&w->tick);
    uv_timer_init(loop, &w->linger);
    w->linger.data = w;
    uv_unref((uv_handle_t *)&w->linger);
    *out = w;
    return 0;
}

static void on_closed(uv_handle_t *h)
{
    rl_audit_writer_t *w = h->data;
    if (++w->closed_handles < 3) return;
    free_nodes(w->ready);
    free_nodes(atomic_load(&w->pushed));
    free_nodes(w->failed);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

void rl_audit_writer_stop(rl_audit_writer_t *w)
{
    if (w == NULL) return;
    rl_audit_writer_flush(w);
    rl_auth_apikey_flush_uses(w->store);
    uv_close((uv_handle_t *)&w->async, on_closed);
    uv_close((uv_handle_t *)&w->tick, on_closed);
    uv_close((uv_handle_t *)&w->linger, on_closed);
}

void rl_audit_writer_stats(rl_audit_writer_t *w, rl_audit_writer_stats_t *out)
{
    pthread_mutex_lock(&w->mu);
    *out = w->stats;
    pthread_mutex_unlock(&w->mu);
    out->waits = atomic_load(&w->slots.waits);
    out->abandoned = atomic_load(&w->slots.abandoned);
}
