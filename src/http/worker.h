/* worker.h — the server and its worker threads, as the http module sees
 * them. One worker = one thread, one h2o context on h2o's own event loop
 * (the HTTP sockets), one uv loop embedded in it (timers, wake-ups, the
 * outbound client, thread-pool jobs), its own SO_REUSEPORT listener sockets
 * and its own outbound client; no request ever crosses threads. The control
 * thread (server.c) owns reloads, signals and shutdown and talks to workers
 * through uv_async wake-ups. */
#ifndef RL_HTTP_WORKER_H
#define RL_HTTP_WORKER_H

#include <h2o.h>
#include <pthread.h>
#include <stdatomic.h>
#include <uv.h>

#include "config/snapshot.h"
#include "core/log.h"
#include "core/reqid.h"
#include "shared/shared.h"
#include "upstream/client.h"

typedef struct rl_server rl_server_t;
typedef struct rl_worker rl_worker_t;
typedef struct rl_request rl_request_t;

/* A reload asked for through the admin API, carried to the control thread
 * and back. `r` is only touched on the worker's thread (NULL once the client
 * is gone); the control thread fills ok/message. */
typedef struct rl_reload_job {
    struct rl_reload_job *next;
    rl_worker_t *w; /* NULL when the reload came from SIGHUP */
    rl_request_t *r;
    int ok;
    uint64_t generation;
    char *message; /* malloc'd by the control thread */
} rl_reload_job_t;

/* A listening socket on h2o's loop. When accept fails for want of file
 * descriptors (or memory), the listener pauses for a moment instead of
 * spinning on a socket that stays readable. */
typedef struct rl_listener {
    rl_worker_t *w;
    const char *name;   /* "public" or "admin", for the log */
    h2o_socket_t *sock; /* owns the fd; NULL once closed */
    h2o_accept_ctx_t actx;
    uv_timer_t pause; /* on the uv loop: resumes accepting */
} rl_listener_t;

struct rl_worker {
    rl_server_t *server;
    int id;
    uv_thread_t thread;
    uv_loop_t loop;          /* everything but the HTTP sockets */
    h2o_evloop_t *ev;        /* the HTTP sockets; runs the uv loop between its polls */
    h2o_socket_t *uv_fd;     /* the uv loop's epoll fd (a dup), watched by `ev` */
    int done;                /* the thread's loops end */
    h2o_timeout_t uv_passes; /* zero delay: runs uv_pass inside h2o (worker.c) */
    h2o_timeout_entry_t uv_pass;
    bool uv_touched_h2o; /* the last uv pass left h2o callbacks to run */
    h2o_globalconf_t gconf;
    h2o_hostconf_t *hosts_public[2], *hosts_admin[2];
    h2o_context_t ctx;
    rl_listener_t lis_public, lis_admin; /* own fd_public and fd_admin */
    int fd_public, fd_admin;
    uv_async_t wake;
    uv_timer_t flush;    /* writes the access log out RL_ACCESSLOG_FLUSH_MS after its first unwritten line */
    rl_snapshot_t *snap; /* the worker's reference to the newest snapshot it saw */
    uint64_t snap_gen;
    rl_client_t *client;
    rl_shared_t *shared;            /* the process-wide shared state (server.c); borrowed */
    struct rl_oauth2_entry *oauth2; /* upstream/oauth2_pool.c: token sources; live with the process */
    struct rl_jwks_cache *jwks;     /* policy/jwt_jwks.c: this worker's JWKS cache; lives with the process */
    struct rl_keycache *keycache;   /* policy/auth_apikey.c: API key lookups; created on first use */
    struct rl_audit_park *audit_park; /* policy/audit_step.c: requests parked for an audit slot; first use */
    rl_accesslog_t alog;
    rl_rng_t rng;
    size_t inflight;
    int stopping, lingering;
    uv_timer_t linger;
    pthread_mutex_t mu;         /* guards done_jobs */
    rl_reload_job_t *done_jobs; /* answered by the control thread */
};

struct rl_server {
    char *config_path;
    rl_snapshot_slot_t slot;
    rl_worker_t *workers;
    int n_workers;
    SSL_CTX *ssl_ctx;
    rl_shared_t *shared;           /* opened once ("memory://"), shared by every worker */
    struct rl_store *store;        /* store/store.h: opened at start, thread-safe */
    struct rl_audit_writer *audit; /* ingress/audit_writer.h: control-thread batch writer */
    uv_loop_t loop;                /* the control thread's */
    uv_signal_t sig_hup, sig_term, sig_int;
    uv_async_t jobs_async;
    pthread_mutex_t jobs_mu;
    rl_reload_job_t *jobs;
    uv_timer_t shutdown_timer;
    atomic_int shutting_down;
    atomic_int workers_running;
    uint64_t started_ms;
    struct rl_health *health; /* active provider probes (upstream/health.h) */
};

/* The worker that owns h2o context `ctx`. */
static inline rl_worker_t *rl_worker_of(h2o_context_t *ctx)
{
    return H2O_STRUCT_FROM_MEMBER(rl_worker_t, ctx, ctx);
}

/* Makes `w` use the newest published snapshot if it changed. Worker thread. */
void rl_worker_refresh_snapshot(rl_worker_t *w);

/* Called by the request layer when a request ends (dispose). */
void rl_worker_request_done(rl_worker_t *w);

/* Appends rec to the worker's access log, written out at most
 * RL_ACCESSLOG_FLUSH_MS later (or at once when the buffer is nearly full):
 * a busy worker makes one write() per many lines, an idle one none. */
#define RL_ACCESSLOG_FLUSH_MS 10
void rl_worker_access_log(rl_worker_t *w, const rl_access_rec_t *rec);

/* Starts the worker's thread; its listeners are fds already bound. */
int rl_worker_start(rl_worker_t *w);

/* Wakes `w` so that it picks up a new snapshot, finished jobs or shutdown. */
void rl_worker_wake(rl_worker_t *w);

/* Hands a reload job to the control thread (any thread). */
void rl_server_post_reload(rl_server_t *s, rl_reload_job_t *job);

#endif
