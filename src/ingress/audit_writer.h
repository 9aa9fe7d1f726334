/* audit_writer.h — the control thread's store writer (DESIGN §1): the
 * audit queue and its batch writer, the last_used_at flush of API keys, and
 * the audit jobs (anonymize after audit.anonymize_after, delete after
 * audit.retention).
 *
 * Backpressure, not loss, and never a blocked worker: audit.queue is a
 * number of slots (ingress/audit_slots.h). An audited request reserves one
 * before it goes anywhere (policy/audit_step.c, the first pipeline step);
 * if none is free it parks on its worker's wait list, and the loop goes on
 * serving other requests. At the LOG phase (the request's disposal) its
 * record fills the slot it holds, so a push never waits and the queue never
 * holds more than audit.queue records. The writer gives the slots of a
 * batch back once the batch is in the store, then wakes the workers that
 * have parked requests (rl_audit_writer_watch). While the store refuses
 * writes, batches are retried every second and new audited requests wait:
 * nothing is dropped. On shutdown the workers drain (parked requests are
 * resumed as slots free up) and the queue is written out after the last
 * worker stops.
 *
 * Batching: the first record pushed into an empty queue wakes the writer,
 * which waits up to 20 ms for more, so that one transaction (and one wake-up
 * of the control thread) serves many requests under load. It writes at once
 * when a batch (RL_AUDIT_BATCH) is full, when requests are parked, or when
 * every slot is held. A push is one CAS on a lock-free stack; the writer
 * takes the stack whole and writes it in push order. */
#ifndef RL_INGRESS_AUDIT_WRITER_H
#define RL_INGRESS_AUDIT_WRITER_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "ingress/audit_slots.h"
#include "store/store.h"

#define RL_AUDIT_BATCH 1024

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

/* The slots that bound the queue; they live as long as the writer. */
rl_audit_slots_t *rl_audit_writer_slots(rl_audit_writer_t *w);

/* A wake-up to send each time the writer gave slots back while requests
 * were parked. Linked into the writer until it stops; the caller owns
 * `watch` and `async`, which must outlive the writer. */
typedef struct rl_audit_watch {
    struct rl_audit_watch *next;
    uv_async_t *async;
} rl_audit_watch_t;

/* Any thread: registers `watch` (its async set by the caller). */
void rl_audit_writer_watch(rl_audit_writer_t *w, rl_audit_watch_t *watch);

/* Any thread: queues `row` (the writer takes its strings; *row is zeroed)
 * into a slot the caller holds (rl_audit_slots_try_take or _reserve on
 * rl_audit_writer_slots(w)). Never waits; the slot is given back once the
 * row is in the store. */
void rl_audit_writer_push(rl_audit_writer_t *w, rl_store_audit_row_t *row);

/* Control thread: writes everything queued now. Returns the rows written. */
size_t rl_audit_writer_flush(rl_audit_writer_t *w);

/* Control thread: runs the anonymize and retention jobs as of now_ms. */
void rl_audit_writer_run_jobs(rl_audit_writer_t *w, int64_t now_ms);

/* Control thread, after the workers stopped: flushes, closes its handles
 * and frees the writer once they are closed (the loop must run again, or
 * be closed, for that). NULL is fine. */
void rl_audit_writer_stop(rl_audit_writer_t *w);

/* Counters for tests and metrics: rows written; requests that parked for
 * a slot (waits) and those that left while parked (abandoned: the client
 * went, or limits.request_timeout ran out);
 * batches the store refused (failures). */
typedef struct rl_audit_writer_stats {
    uint64_t written, waits, abandoned, failures;
} rl_audit_writer_stats_t;
void rl_audit_writer_stats(rl_audit_writer_t *w, rl_audit_writer_stats_t *out);

#endif
