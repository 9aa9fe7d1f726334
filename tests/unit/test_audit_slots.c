/* test_audit_slots.c — the audit queue's slots (ingress/audit_slots.h):
 * the count never passes the cap, a slot comes back only when given, parked
 * requests are granted oldest first, a newcomer never jumps a worker's
 * FIFO, a request that leaves while parked drops out and gives nothing
 * back, and, with threads, no parked request misses its wake-up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <uv.h>

#include "ingress/audit_slots.h"

typedef struct req {
    rl_audit_waiter_t wt;
    int id;
} req_t;

static int order[16], n_order;

static void on_granted(rl_audit_waiter_t *wt)
{
    order[n_order++] = ((req_t *)wt)->id;
}

static void reset_order(void)
{
    n_order = 0;
    memset(order, 0, sizeof(order));
}

static void test_take_and_give(void **state)
{
    rl_audit_slots_t s;
    rl_audit_slots_init(&s, 2);
    assert_true(rl_audit_slots_try_take(&s));
    assert_true(rl_audit_slots_try_take(&s));
    assert_false(rl_audit_slots_try_take(&s)); /* cap reached */
    assert_int_equal(atomic_load(&s.held), 2);
    assert_false(rl_audit_slots_give(&s, 1)); /* nobody parked: no wake-up needed */
    assert_int_equal(atomic_load(&s.held), 1);
    assert_true(rl_audit_slots_try_take(&s));
    assert_false(rl_audit_slots_give(&s, 2));
    assert_int_equal(atomic_load(&s.held), 0);
}

static void test_zero_cap_means_one(void **state)
{
    rl_audit_slots_t s;
    rl_audit_slots_init(&s, 0);
    assert_true(rl_audit_slots_try_take(&s));
    assert_false(rl_audit_slots_try_take(&s));
}

static void test_parked_granted_in_fifo_order(void **state)
{
    rl_audit_slots_t s;
    rl_audit_waitq_t q;
    req_t a = {.id = 1}, b = {.id = 2}, c = {.id = 3}, d = {.id = 4};
    reset_order();
    rl_audit_slots_init(&s, 2);
    rl_audit_waitq_init(&q);
    assert_true(rl_audit_slots_reserve(&s, &q, &a.wt, on_granted));
    assert_true(rl_audit_slots_reserve(&s, &q, &b.wt, on_granted));
    assert_false(rl_audit_slots_reserve(&s, &q, &c.wt, on_granted));
    assert_false(rl_audit_slots_reserve(&s, &q, &d.wt, on_granted));
    assert_false(rl_audit_waiter_parked(&a.wt));
    assert_true(rl_audit_waiter_parked(&c.wt));
    assert_int_equal(atomic_load(&s.parked), 2);
    assert_int_equal(atomic_load(&s.waits), 2);
    assert_int_equal(rl_audit_slots_grant(&s, &q), 0); /* nothing free yet */
    assert_int_equal(n_order, 0);
    assert_true(rl_audit_slots_give(&s, 1)); /* parked requests: wake the workers */
    assert_int_equal(rl_audit_slots_grant(&s, &q), 1);
    assert_int_equal(n_order, 1);
    assert_int_equal(order[0], 3);
    assert_false(rl_audit_waiter_parked(&c.wt));
    assert_int_equal(atomic_load(&s.held), 2);
    assert_true(rl_audit_slots_give(&s, 2));
    assert_int_equal(rl_audit_slots_grant(&s, &q), 1); /* only d was left */
    assert_int_equal(order[1], 4);
    assert_int_equal(atomic_load(&s.held), 1);
    assert_int_equal(atomic_load(&s.parked), 0);
    assert_false(rl_audit_slots_give(&s, 1));
}

static void test_newcomer_parks_behind_waiters(void **state)
{
    rl_audit_slots_t s;
    rl_audit_waitq_t q;
    req_t a = {.id = 1}, b = {.id = 2}, c = {.id = 3};
    reset_order();
    rl_audit_slots_init(&s, 1);
    rl_audit_waitq_init(&q);
    assert_true(rl_audit_slots_reserve(&s, &q, &a.wt, on_granted));
    assert_false(rl_audit_slots_reserve(&s, &q, &b.wt, on_granted));
    assert_true(rl_audit_slots_give(&s, 1)); /* free now, but the wake-up has not run yet */
    assert_false(rl_audit_slots_reserve(&s, &q, &c.wt, on_granted));
    assert_int_equal(atomic_load(&s.held), 0); /* c did not take the slot b waits for */
    assert_int_equal(rl_audit_slots_grant(&s, &q), 1);
    assert_int_equal(order[0], 2);
    assert_true(rl_audit_slots_give(&s, 1));
    assert_int_equal(rl_audit_slots_grant(&s, &q), 1);
    assert_int_equal(order[1], 3);
}

static void test_cancel_drops_out_and_gives_nothing(void **state)
{
    rl_audit_slots_t s;
    rl_audit_waitq_t q;
    req_t a = {.id = 1}, b = {.id = 2}, c = {.id = 3}, d = {.id = 4}, e = {.id = 5};
    reset_order();
    rl_audit_slots_init(&s, 1);
    rl_audit_waitq_init(&q);
    assert_true(rl_audit_slots_reserve(&s, &q, &a.wt, on_granted));
    assert_false(rl_audit_slots_reserve(&s, &q, &b.wt, on_granted));
    assert_false(rl_audit_slots_reserve(&s, &q, &c.wt, on_granted));
    assert_false(rl_audit_slots_reserve(&s, &q, &d.wt, on_granted));
    rl_audit_slots_cancel(&s, &q, &c.wt); /* the middle one leaves */
    rl_audit_slots_cancel(&s, &q, &d.wt); /* then the last: the tail moves back */
    rl_audit_slots_cancel(&s, &q, &d.wt); /* twice is harmless */
    rl_audit_slots_cancel(&s, &q, &a.wt); /* a holds a slot: not parked, a no-op */
    assert_int_equal(atomic_load(&s.held), 1);
    assert_int_equal(atomic_load(&s.parked), 1);
    assert_int_equal(atomic_load(&s.abandoned), 2);
    assert_false(rl_audit_slots_reserve(&s, &q, &e.wt, on_granted)); /* links after b */
    assert_true(rl_audit_slots_give(&s, 1));
    assert_int_equal(rl_audit_slots_grant(&s, &q), 1);
    assert_true(rl_audit_slots_give(&s, 1));
    assert_int_equal(rl_audit_slots_grant(&s, &q), 1);
    assert_int_equal(n_order, 2);
    assert_int_equal(order[0], 2);
    assert_int_equal(order[1], 5);
    assert_null(q.head);
    assert_int_equal(atomic_load(&s.parked), 0);
}

/* A granted request's callback may end another parked request (its client
 * left) or park a new one; the grant loop reads the FIFO anew each turn. */
static rl_audit_slots_t cb_s;
static rl_audit_waitq_t cb_q;
static req_t cb_b = {.id = 2}, cb_c = {.id = 3}, cb_new = {.id = 9};

static void on_granted_meddling(rl_audit_waiter_t *wt)
{
    on_granted(wt);
    if (((req_t *)wt)->id != 1) return;
    rl_audit_slots_cancel(&cb_s, &cb_q, &cb_b.wt);
    assert_false(rl_audit_slots_reserve(&cb_s, &cb_q, &cb_new.wt, on_granted));
}

static void test_callback_changes_the_fifo(void **state)
{
    req_t holder = {.id = 0}, a = {.id = 1};
    reset_order();
    rl_audit_slots_init(&cb_s, 3);
    rl_audit_waitq_init(&cb_q);
    assert_true(rl_audit_slots_reserve(&cb_s, &cb_q, &holder.wt, on_granted));
    assert_true(rl_audit_slots_try_take(&cb_s));
    assert_true(rl_audit_slots_try_take(&cb_s));
    assert_false(rl_audit_slots_reserve(&cb_s, &cb_q, &a.wt, on_granted_meddling));
    assert_false(rl_audit_slots_reserve(&cb_s, &cb_q, &cb_b.wt, on_granted));
    assert_false(rl_audit_slots_reserve(&cb_s, &cb_q, &cb_c.wt, on_granted));
    assert_true(rl_audit_slots_give(&cb_s, 3));
    assert_int_equal(rl_audit_slots_grant(&cb_s, &cb_q), 3); /* a, then c (b left), then the newcomer */
    assert_int_equal(n_order, 3);
    assert_int_equal(order[0], 1);
    assert_int_equal(order[1], 3);
    assert_int_equal(order[2], 9);
    assert_int_equal(atomic_load(&cb_s.held), 3);
    assert_int_equal(atomic_load(&cb_s.parked), 0);
    assert_null(cb_q.head);
}

/* ---- threads: workers reserve, a writer gives back ---- */

#define WORKERS 4
#define PER_WORKER 3000
#define CAP 2

typedef struct tworker {
    rl_audit_waitq_t q;
    atomic_int wake; /* stands for the worker's uv_async */
    req_t req;
    int granted;
    size_t max_held;
    int timed_out;
} tworker_t;

static rl_audit_slots_t t_s;
static tworker_t t_w[WORKERS];
static atomic_size_t t_queued; /* records pushed, not yet "stored" */
static atomic_int t_done;

static void on_t_granted(rl_audit_waiter_t *wt)
{
    tworker_t *w = (tworker_t *)((char *)wt - offsetof(tworker_t, req));
    w->granted = 1;
}

static void t_worker(void *arg)
{
    tworker_t *w = arg;
    rl_audit_waitq_init(&w->q);
    for (int i = 0; i < PER_WORKER && !w->timed_out; i++) {
        w->granted = rl_audit_slots_reserve(&t_s, &w->q, &w->req.wt, on_t_granted);
        uint64_t deadline = uv_hrtime() + 5000000000ull;
        while (!w->granted) {
            if (atomic_exchange(&w->wake, 0)) rl_audit_slots_grant(&t_s, &w->q);
            if (uv_hrtime() > deadline) {
                w->timed_out = 1; /* a lost wake-up */
                break;
            }
        }
        size_t h = atomic_load(&t_s.held);
        if (h > w->max_held) w->max_held = h;
        if (w->granted) atomic_fetch_add(&t_queued, 1); /* the record fills the slot */
    }
    atomic_fetch_add(&t_done, 1);
}

static void test_threads_never_miss_a_wakeup(void **state)
{
    uv_thread_t th[WORKERS];
    rl_audit_slots_init(&t_s, CAP);
    atomic_init(&t_queued, 0);
    atomic_init(&t_done, 0);
    memset(t_w, 0, sizeof(t_w));
    for (int i = 0; i < WORKERS; i++)
        uv_thread_create(&th[i], t_worker, &t_w[i]);
    while (atomic_load(&t_done) < WORKERS || atomic_load(&t_queued) > 0) {
        size_t n = atomic_exchange(&t_queued, 0); /* the writer stores a batch */
        if (n > 0 && rl_audit_slots_give(&t_s, n))
            for (int i = 0; i < WORKERS; i++)
                atomic_store(&t_w[i].wake, 1);
    }
    for (int i = 0; i < WORKERS; i++) {
        uv_thread_join(&th[i]);
        assert_false(t_w[i].timed_out);
        assert_true(t_w[i].max_held <= CAP);
    }
    assert_int_equal(atomic_load(&t_s.held), 0);
    assert_int_equal(atomic_load(&t_s.parked), 0);
    assert_true(atomic_load(&t_s.waits) > 0); /* the cap did make requests park */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_take_and_give),
        cmocka_unit_test(test_zero_cap_means_one),
        cmocka_unit_test(test_parked_granted_in_fifo_order),
        cmocka_unit_test(test_newcomer_parks_behind_waiters),
        cmocka_unit_test(test_cancel_drops_out_and_gives_nothing),
        cmocka_unit_test(test_callback_changes_the_fifo),
        cmocka_unit_test(test_threads_never_miss_a_wakeup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
