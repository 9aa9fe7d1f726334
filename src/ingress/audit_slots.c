/* audit_slots.c — the audit queue's slot counter and per-worker FIFOs, see
 * audit_slots.h. */
#include "ingress/audit_slots.h"

#include <stdlib.h>

void rl_audit_slots_init(rl_audit_slots_t *s, size_t cap)
{
    s->cap = cap > 0 ? cap : 1;
    atomic_init(&s->held, 0);
    atomic_init(&s->parked, 0);
    atomic_init(&s->waits, 0);
    atomic_init(&s->abandoned, 0);
}

bool rl_audit_slots_try_take(rl_audit_slots_t *s)
{
    size_t h = atomic_load(&s->held);
    while (h < s->cap)
        if (atomic_compare_exchange_weak(&s->held, &h, h + 1)) return true;
    return false;
}

bool rl_audit_slots_give(rl_audit_slots_t *s, size_t n)
{
    size_t before = atomic_fetch_sub(&s->held, n);
    if (before < n) abort(); /* more given back than held: a slot was counted twice */
    return atomic_load(&s->parked) > 0;
}

void rl_audit_waitq_init(rl_audit_waitq_t *q)
{
    q->head = NULL;
    q->tail = &q->head;
}

static void unlink_waiter(rl_audit_waitq_t *q, rl_audit_waiter_t *wt)
{
    *wt->pprev = wt->next;
    if (wt->next)
        wt->next->pprev = wt->pprev;
    else
        q->tail = wt->pprev;
    wt->next = NULL;
    wt->pprev = NULL;
}

bool rl_audit_slots_reserve(rl_audit_slots_t *s, rl_audit_waitq_t *q, rl_audit_waiter_t *wt,
                            rl_audit_granted_cb cb)
{
    if (q->head == NULL && rl_audit_slots_try_take(s)) return true;
    wt->cb = cb;
    wt->next = NULL;
    wt->pprev = q->tail;
    *q->tail = wt;
    q->tail = &wt->next;
    atomic_fetch_add(&s->parked, 1);
    /* the last try, now that the writer can see us parked (audit_slots.h) */
    if (q->head == wt && rl_audit_slots_try_take(s)) {
        unlink_waiter(q, wt);
        atomic_fetch_sub(&s->parked, 1);
        return true;
    }
    atomic_fetch_add(&s->waits, 1);
    return false;
}

void rl_audit_slots_cancel(rl_audit_slots_t *s, rl_audit_waitq_t *q, rl_audit_waiter_t *wt)
{
    if (!rl_audit_waiter_parked(wt)) return;
    unlink_waiter(q, wt);
    atomic_fetch_sub(&s->parked, 1);
    atomic_fetch_add(&s->abandoned, 1);
}

size_t rl_audit_slots_grant(rl_audit_slots_t *s, rl_audit_waitq_t *q)
{
    size_t n = 0;
    rl_audit_waiter_t *wt;
    while ((wt = q->head) != NULL && rl_audit_slots_try_take(s)) {
        unlink_waiter(q, wt);
        atomic_fetch_sub(&s->parked, 1);
        n++;
        wt->cb(wt); /* may park or cancel others: q is read anew each turn */
    }
    return n;
}
