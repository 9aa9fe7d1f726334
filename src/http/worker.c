/* worker.c — one worker thread: its uv loop, h2o context, listeners and
 * outbound client, and how it drains on shutdown. See worker.h. */
#include "http/worker.h"

#include <stdlib.h>
#include <sys/random.h>

#include "admin/admin.h"
#include "http/errfilter.h"
#include "http/handler.h"

#define DRAIN_LINGER_MS 50

static void on_conn_closed(uv_handle_t *h)
{
    free(h);
}

static void on_accept(uv_stream_t *lis, int status)
{
    if (status != 0) return;
    h2o_accept_ctx_t *actx = lis->data;
    uv_tcp_t *conn = malloc(sizeof(*conn));
    if (conn == NULL) return;
    uv_tcp_init(lis->loop, conn);
    if (uv_accept(lis, (uv_stream_t *)conn) != 0) {
        uv_close((uv_handle_t *)conn, on_conn_closed);
        return;
    }
    uv_tcp_nodelay(conn, 1);
    h2o_socket_t *sock = h2o_uv_socket_create((uv_stream_t *)conn, on_conn_closed);
    h2o_accept(actx, sock);
}

void rl_worker_refresh_snapshot(rl_worker_t *w)
{
    uint64_t g = atomic_load_explicit(&w->server->slot.generation, memory_order_acquire);
    if (g == w->snap_gen || g == 0) return;
    rl_snapshot_t *s = rl_snapshot_slot_acquire(&w->server->slot);
    if (s == NULL) return;
    rl_snapshot_release(w->snap);
    w->snap = s;
    w->snap_gen = s->generation;
    w->gconf.max_request_entity_size = s->cfg->max_body;
}

static void on_linger_done(uv_timer_t *t)
{
    uv_stop(t->loop);
}

static void maybe_finish(rl_worker_t *w)
{
    if (!w->stopping || w->inflight != 0 || w->lingering) return;
    /* a short linger lets the last responses (HTTP/2 frames) reach the wire */
    w->lingering = 1;
    uv_timer_init(&w->loop, &w->linger);
    uv_timer_start(&w->linger, on_linger_done, DRAIN_LINGER_MS, 0);
}

void rl_worker_request_done(rl_worker_t *w)
{
    w->inflight--;
    maybe_finish(w);
}

static void begin_stop(rl_worker_t *w)
{
    w->stopping = 1;
    uv_close((uv_handle_t *)&w->lis_public, NULL);
    uv_close((uv_handle_t *)&w->lis_admin, NULL);
    h2o_context_request_shutdown(&w->ctx);
    maybe_finish(w);
}

static void on_wake(uv_async_t *a)
{
    rl_worker_t *w = a->data;
    rl_worker_refresh_snapshot(w);
    pthread_mutex_lock(&w->mu);
    rl_reload_job_t *jobs = w->done_jobs;
    w->done_jobs = NULL;
    pthread_mutex_unlock(&w->mu);
    while (jobs != NULL) {
        rl_reload_job_t *next = jobs->next;
        rl_admin_reload_done(jobs);
        jobs = next;
    }
    if (atomic_load(&w->server->shutting_down) && !w->stopping) begin_stop(w);
}

static void on_flush(uv_prepare_t *p)
{
    rl_worker_t *w = p->data;
    rl_accesslog_flush(&w->alog);
}

void rl_worker_wake(rl_worker_t *w)
{
    uv_async_send(&w->wake);
}

static h2o_hostconf_t *add_host(rl_worker_t *w, const char *name, int admin)
{
    h2o_hostconf_t *host = h2o_config_register_host(&w->gconf, h2o_iovec_init(name, strlen(name)), 65535);
    h2o_pathconf_t *pc = h2o_config_register_path(host, "/", 0);
    rl_handler_register(pc, w, admin);
    rl_errfilter_register(pc);
    rl_errfilter_register(&host->fallback_path);
    return host;
}

static int open_listener(rl_worker_t *w, uv_tcp_t *lis, int fd, h2o_accept_ctx_t *actx)
{
    if (uv_tcp_init(&w->loop, lis) != 0 || uv_tcp_open(lis, fd) != 0) return -1;
    lis->data = actx;
    return uv_listen((uv_stream_t *)lis, 4096, on_accept) == 0 ? 0 : -1;
}

static int worker_init(rl_worker_t *w)
{
    const rl_config_t *cfg;
    uint64_t seed = 0;
    if (uv_loop_init(&w->loop) != 0) return -1;
    pthread_mutex_init(&w->mu, NULL);
    w->snap = rl_snapshot_slot_acquire(&w->server->slot);
    w->snap_gen = w->snap->generation;
    cfg = w->snap->cfg;
    h2o_config_init(&w->gconf);
    w->gconf.server_name = h2o_iovec_init(H2O_STRLIT(""));
    w->gconf.max_request_entity_size = cfg->max_body;
    w->gconf.http1.req_timeout = cfg->request_timeout_ms;
    w->gconf.http2.idle_timeout = cfg->request_timeout_ms;
    w->hosts_public[0] = add_host(w, "public", 0);
    w->hosts_admin[0] = add_host(w, "admin", 1);
    h2o_context_init(&w->ctx, &w->loop, &w->gconf);
    w->accept_public =
        (h2o_accept_ctx_t){.ctx = &w->ctx, .hosts = w->hosts_public, .ssl_ctx = w->server->ssl_ctx};
    w->accept_admin = (h2o_accept_ctx_t){.ctx = &w->ctx, .hosts = w->hosts_admin};
    if (open_listener(w, &w->lis_public, w->fd_public, &w->accept_public) != 0 ||
        open_listener(w, &w->lis_admin, w->fd_admin, &w->accept_admin) != 0)
        return -1;
    uv_async_init(&w->loop, &w->wake, on_wake);
    w->wake.data = w;
    uv_prepare_init(&w->loop, &w->flush);
    w->flush.data = w;
    uv_prepare_start(&w->flush, on_flush);
    if ((w->client = rl_client_new(&w->loop)) == NULL) return -1;
    if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed)) seed = uv_hrtime();
    rl_rng_seed(&w->rng, seed ^ (uint64_t)w->id);
    return 0;
}

static void worker_main(void *arg)
{
    rl_worker_t *w = arg;
    uv_run(&w->loop, UV_RUN_DEFAULT);
    rl_accesslog_flush(&w->alog);
    atomic_fetch_sub(&w->server->workers_running, 1);
    uv_async_send(&w->server->jobs_async);
}

int rl_worker_start(rl_worker_t *w)
{
    if (worker_init(w) != 0) return -1;
    atomic_fetch_add(&w->server->workers_running, 1);
    if (uv_thread_create(&w->thread, worker_main, w) != 0) {
        atomic_fetch_sub(&w->server->workers_running, 1);
        return -1;
    }
    return 0;
}
