/* audit_writer.h — the control thread's store writer (DESIGN §1): the
 * audit queue and its batch writer, the last_used_at flush of API keys, and
 * the audit jobs (anonymize after audit.anonymize_after, delete after
 * audit.retention).
 *
 * Backpressure, not loss: workers push finished records into a queue bounded
 * by audit.queue. When it is full, the pushing worker waits on a condition
 * variable until the writer has taken a batch out (it is woken at once).
 * The wait is bounded by RL_AUDIT_MAX_WAIT_MS: if the store is down that
 * long, the record is queued over the bound (and a warning logged) rather
 * than dropped, so no record is ever lost and no worker waits forever.
 * Records are pushed from the request's LOG phase (its disposal), after the
 * response went out: a full queue delays that worker's next requests, never
 * the client that is already answered. On shutdown the queue is written
 * out after the last worker stops. */
#ifndef RL_INGRESS_AUDIT_WRITER_H
#define RL_INGRESS_AUDIT_WRITER_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "store/store.h"

#define RL_AUDIT_MAX_WAIT_MS 10000
#define RL_AUDIT_BATCH 512

typedef struct rl_audit_writer rl_audit_writer_t;

typedef struct rl_audit_writer_cfg {
    size_t queue;                /* audit.queue */
    uint64_t anonymize_after_ms; /* audit.anonymize_after */
    uint64_t retention_ms;       /* audit.retention */
    uint64_t jobs_interval_ms;   /* how often the jobs run; 1 h by default */
} rl_audit_writer_cfg_t;

/* Creates the writer on `loop` (the control thread's), reading the chain's
 * tail from `store` (borrowed; must outlive the writer). Returns 0 and *out,
 * or a negative RL_E… with err. */
int rl_audit_writer_start(uv_loop_t *loop, rl_store_t *store, const rl_audit_writer_cfg_t *cfg,
                          rl_audit_writer_t **out, rl_err_t *err);

/* Any thread: queues `row` (the writer takes its strings; *row is zeroed).
 * Waits while the queue is full, see above. */
void rl_audit_writer_push(rl_audit_writer_t *w, rl_store_audit_row_t *row);

/* Control thread: writes everything queued now. Returns the rows written. */
size_t rl_audit_writer_flush(rl_audit_writer_t *w);

/* Control thread: runs the anonymize and retention jobs as of now_ms. */
void rl_audit_writer_run_jobs(rl_audit_writer_t *w, int64_t now_ms);

/* Control thread, after the workers stopped: flushes, closes its handles
 * and frees the writer once they are closed (the loop must run again, or
 * be closed, for that). NULL is fine. */
void rl_audit_writer_stop(rl_audit_writer_t *w);

/* Counters for tests and metrics. */
typedef struct rl_audit_writer_stats {
    uint64_t written, waits, overflows, failures;
} rl_audit_writer_stats_t;
void rl_audit_writer_stats(rl_audit_writer_t *w, rl_audit_writer_stats_t *out);

#endif
