/* audit_slots.h — the bound of the audit queue (audit.queue) as slots, and
 * the per-worker FIFO of requests that wait for one (DESIGN §1, §6).
 *
 * audit.queue is a number of slots. An audited request takes one before
 * anything else happens to it (the first pipeline step), keeps it while it
 * runs, and its record fills it at the LOG phase; the writer gives the slot
 * back once the record is in the store. So
 *     held = reserved + queued + being written <= cap
 * at every moment: the queue never grows past its bound and a push never
 * waits. When no slot is free, the request parks in its worker's FIFO and
 * that worker's loop goes on serving every other request. After the writer
 * gives slots back it wakes the workers if anybody is parked; each woken
 * worker grants free slots to its FIFO, oldest first, and resumes them.
 *
 * No lost wake-up: a request counts itself as parked before it tries for a
 * slot one last time, and the writer frees slots before it reads that
 * count (both sequentially consistent). So either the last try succeeds or
 * the writer sees the request parked and wakes its worker.
 *
 * Example, cap 2: A and B take both slots (held 2). C finds none and parks
 * (parked 1). A ends; its record fills A's slot (held 2). The writer stores
 * it and gives one back (held 1), sees parked 1 and wakes C's worker, which
 * grants C the slot (held 2, parked 0) and resumes C.
 *
 * The counter is shared by every thread; a waitq belongs to one worker
 * thread. No I/O here: policy/audit_step.c wires the wake-ups. */
#ifndef RL_INGRESS_AUDIT_SLOTS_H
#define RL_INGRESS_AUDIT_SLOTS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct rl_audit_slots {
    size_t cap;                     /* audit.queue */
    atomic_size_t held;             /* reserved + queued + being written */
    atomic_size_t parked;           /* requests waiting for a slot, every worker */
    atomic_uint_fast64_t waits;     /* total: requests that had to park */
    atomic_uint_fast64_t abandoned; /* total: parked requests cancelled (client left, or timed out) */
} rl_audit_slots_t;

typedef struct rl_audit_waiter rl_audit_waiter_t;

/* Called when a parked waiter got its slot; it is no longer in the FIFO. */
typedef void (*rl_audit_granted_cb)(rl_audit_waiter_t *wt);

/* A parked request, embedded in the caller's per-request state. */
struct rl_audit_waiter {
    rl_audit_waiter_t *next, **pprev; /* pprev NULL = not parked */
    rl_audit_granted_cb cb;
};

/* One worker's parked requests, oldest first. */
typedef struct rl_audit_waitq {
    rl_audit_waiter_t *head, **tail;
} rl_audit_waitq_t;

/* Sets up `s` with `cap` slots (at least 1), none held. */
void rl_audit_slots_init(rl_audit_slots_t *s, size_t cap);

/* Any thread: takes a free slot. Returns true if it did, false if all `cap`
 * are held. Ignores the FIFOs: rl_audit_slots_reserve is the request path. */
bool rl_audit_slots_try_take(rl_audit_slots_t *s);

/* Any thread (the writer): gives `n` held slots back. Returns true when
 * requests are parked: the caller must then wake the workers, each of
 * which calls rl_audit_slots_grant on its FIFO. */
bool rl_audit_slots_give(rl_audit_slots_t *s, size_t n);

/* Makes `q` empty. */
void rl_audit_waitq_init(rl_audit_waitq_t *q);

/* The FIFO's thread: a slot for `wt`. When `q` is empty and a slot is free,
 * takes it and returns true (`cb` is never called). Otherwise parks `wt` at
 * the tail of `q` and returns false: `cb(wt)` is called later from
 * rl_audit_slots_grant, once wt holds a slot, unless rl_audit_slots_cancel
 * removed it first. A request that arrives while others wait on the same
 * worker parks behind them, even if a slot is free: the wake-up that will
 * serve them is already on its way. */
bool rl_audit_slots_reserve(rl_audit_slots_t *s, rl_audit_waitq_t *q, rl_audit_waiter_t *wt,
                            rl_audit_granted_cb cb);

/* The FIFO's thread: takes a parked `wt` out of `q` (its request is gone).
 * It held no slot, so none is given back. A no-op when wt is not parked. */
void rl_audit_slots_cancel(rl_audit_slots_t *s, rl_audit_waitq_t *q, rl_audit_waiter_t *wt);

/* The FIFO's thread, when woken: while `q` has waiters and a slot is free,
 * takes the slot for the oldest waiter, removes it from `q` and calls its
 * cb (which may park or cancel other waiters of `q`). Returns how many got
 * a slot. */
size_t rl_audit_slots_grant(rl_audit_slots_t *s, rl_audit_waitq_t *q);

/* Whether `wt` waits in a FIFO now. */
static inline bool rl_audit_waiter_parked(const rl_audit_waiter_t *wt)
{
    return wt->pprev != NULL;
}

#endif
