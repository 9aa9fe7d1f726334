/* worker.c — one worker thread: its two loops, h2o context, listeners and
 * outbound client, and how it drains on shutdown. See worker.h.
 *
 * Why two loops: h2o's HTTP/1 stops and restarts reading around every
 * request. On libuv that costs two epoll_ctl calls per request (libuv
 * forgets the registration and re-adds it: EEXIST, then MOD); h2o's own
 * event loop keeps it. So the HTTP sockets live on h2o's loop, and the uv
 * loop, which everything else uses, is embedded in it the way libuv
 * documents: its epoll fd is watched by h2o's loop, and uv_run(NOWAIT) runs
 * after every h2o poll, which also applies the watchers that h2o callbacks
 * started. */
#include "http/worker.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "admin/admin.h"
#include "http/errfilter.h"
#include "http/handler.h"

#define DRAIN_LINGER_MS 50
#define ACCEPTS_PER_WAKE 16
#define ACCEPT_PAUSE_MS 100 /* after accept ran out of fds */

static void on_accept(h2o_socket_t *sock, const char *err);

static void on_accept_pause_end(uv_timer_t *t)
{
    rl_listener_t *lis = t->data;
    if (lis->sock != NULL) h2o_socket_read_start(lis->sock, on_accept);
}

static void on_accept(h2o_socket_t *sock, const char *err)
{
    rl_listener_t *lis = sock->data;
    if (err != NULL) return;
    for (int i = 0; i < ACCEPTS_PER_WAKE; i++) {
        h2o_socket_t *conn = h2o_evloop_socket_accept(sock);
        if (conn != NULL) {
            h2o_accept(&lis->actx, conn);
            continue;
        }
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            rl_log_warn("worker %d: cannot accept on the %s listener: %s; pausing it %d ms", lis->w->id,
                        lis->name, strerror(errno), ACCEPT_PAUSE_MS);
            h2o_socket_read_stop(sock);
            uv_timer_start(&lis->pause, on_accept_pause_end, ACCEPT_PAUSE_MS, 0);
        }
        return; /* EAGAIN: none left; other errors concern one connection */
    }
}

/* The listener `fd` (bound by server.c, TCP_NODELAY inherited by what it
 * accepts) on h2o's loop; the socket owns the fd. */
static void open_listener(rl_worker_t *w, rl_listener_t *lis, const char *name, int fd,
                          h2o_hostconf_t **hosts, SSL_CTX *ssl_ctx)
{
    lis->w = w;
    lis->name = name;
    lis->actx = (h2o_accept_ctx_t){.ctx = &w->ctx, .hosts = hosts, .ssl_ctx = ssl_ctx};
    uv_timer_init(&w->loop, &lis->pause);
    lis->pause.data = lis;
    lis->sock = h2o_evloop_socket_create(w->ev, fd, H2O_SOCKET_FLAG_DONT_READ);
    lis->sock->data = lis;
    h2o_socket_read_start(lis->sock, on_accept);
}

static void close_listener(rl_listener_t *lis)
{
    uv_timer_stop(&lis->pause);
    h2o_socket_close(lis->sock);
    lis->sock = NULL;
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
    rl_worker_t *w = t->data;
    w->done = 1;
}

static void maybe_finish(rl_worker_t *w)
{
    if (!w->stopping || w->inflight != 0 || w->lingering) return;
    /* a short linger lets the last responses (HTTP/2 frames) reach the wire */
    w->lingering = 1;
    uv_timer_init(&w->loop, &w->linger);
    w->linger.data = w;
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
    close_listener(&w->lis_public);
    close_listener(&w->lis_admin);
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

static void on_flush(uv_timer_t *t)
{
    rl_worker_t *w = t->data;
    rl_accesslog_flush(&w->alog);
}

void rl_worker_access_log(rl_worker_t *w, const rl_access_rec_t *rec)
{
    if (w->alog.len == 0) uv_timer_start(&w->flush, on_flush, RL_ACCESSLOG_FLUSH_MS, 0);
    rl_accesslog_add(&w->alog, rec);
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

/* Readiness of the uv loop's epoll fd only ends h2o's poll; the uv loop runs
 * after every poll anyway (run_loops). */
static void on_uv_ready(h2o_socket_t *sock, const char *err)
{
    (void)sock, (void)err;
}

/* Whether h2o has callbacks queued: a write that uv-side code (a proxied
 * body) completed at once. The fields are declared in h2o/socket/evloop.h. */
static bool h2o_has_pending(const h2o_evloop_t *ev)
{
    return ev->_pending_as_client != NULL || ev->_pending_as_server != NULL;
}

/* One uv pass, run as an h2o timeout callback so that h2o drains what it
 * started (h2o_timeout_run runs h2o's pending callbacks after it). h2o's
 * socket state machine relies on that: a write completed at once is only
 * finished (its callback run) in the same h2o run, before h2o next
 * registers its sockets with epoll; finished any later, the socket stays
 * polled for a write that is over, and h2o asserts. */
static void on_uv_pass(h2o_timeout_entry_t *entry)
{
    rl_worker_t *w = H2O_STRUCT_FROM_MEMBER(rl_worker_t, uv_pass, entry);
    uv_run(&w->loop, UV_RUN_NOWAIT);
    w->uv_touched_h2o = h2o_has_pending(w->ev);
}

#define UV_PASSES_MAX 8 /* then h2o's sockets get their turn */

/* The worker thread's loop: h2o's poll waits for HTTP sockets, the uv
 * loop's fd and whichever timer is due first; then the uv loop runs without
 * waiting, inside h2o (on_uv_pass). When that gave h2o work, whose
 * callbacks may have started uv watchers, the uv loop runs again to apply
 * them. Ends when the drain's linger timer sets w->done. h2o's run fails
 * only when epoll_wait does: EINTR (a debugger or tracer stopping the
 * thread; the process' own signals are blocked here) is no reason to stop. */
static void run_loops(rl_worker_t *w)
{
    h2o_timeout_init(w->ev, &w->uv_passes, 0);
    w->uv_pass.cb = on_uv_pass;
    while (!w->done) {
        int passes = 0;
        do {
            h2o_timeout_link(w->ev, &w->uv_passes, &w->uv_pass);
            h2o_timeout_run(w->ev, &w->uv_passes, h2o_now(w->ev));
        } while (w->uv_touched_h2o && !w->done && ++passes < UV_PASSES_MAX);
        if (w->done) break;
        int timeout = uv_backend_timeout(&w->loop);
        if (timeout < 0) timeout = INT32_MAX;
        if (w->uv_touched_h2o) timeout = 0;
        if (h2o_evloop_run(w->ev, timeout) != 0 && errno != EINTR) {
            rl_log_error("worker %d: event loop failed: %s", w->id, strerror(errno));
            break;
        }
    }
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
    w->ev = h2o_evloop_create();
    h2o_context_init(&w->ctx, w->ev, &w->gconf);
    open_listener(w, &w->lis_public, "public", w->fd_public, w->hosts_public, w->server->ssl_ctx);
    open_listener(w, &w->lis_admin, "admin", w->fd_admin, w->hosts_admin, NULL);
    int uv_fd = dup(uv_backend_fd(&w->loop));
    if (uv_fd < 0) return -1;
    w->uv_fd = h2o_evloop_socket_create(w->ev, uv_fd, H2O_SOCKET_FLAG_DONT_READ);
    h2o_socket_read_start(w->uv_fd, on_uv_ready);
    uv_async_init(&w->loop, &w->wake, on_wake);
    w->wake.data = w;
    uv_timer_init(&w->loop, &w->flush);
    w->flush.data = w;
    if ((w->client = rl_client_new(&w->loop)) == NULL) return -1;
    if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed)) seed = uv_hrtime();
    rl_rng_seed(&w->rng, seed ^ (uint64_t)w->id);
    return 0;
}

static void worker_main(void *arg)
{
    rl_worker_t *w = arg;
    /* the process' signals are the control thread's (server.c); faults
     * (SIGSEGV…) stay unblocked so that they still report */
    static const int async_signals[] = {SIGHUP,  SIGINT,  SIGTERM, SIGQUIT,  SIGUSR1,
                                        SIGUSR2, SIGCHLD, SIGALRM, SIGWINCH, SIGPIPE};
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < sizeof(async_signals) / sizeof(async_signals[0]); i++)
        sigaddset(&set, async_signals[i]);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    run_loops(w);
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
