/* server.c — the control thread: start-up, listeners, reloads (SIGHUP and
 * the admin API), and graceful shutdown (SIGTERM/SIGINT). See server.h.
 * Blocking work (reading and parsing the config) happens here, never on a
 * worker loop. */
#include "http/server.h"
#include "upstream/health.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "http/worker.h"
#include "ingress/ingress.h"
#include "metrics/metrics.h"
#include "shared/shared.h"

static int split_hostport(const char *addr, char *host, size_t hcap, char *port, size_t pcap)
{
    const char *colon = strrchr(addr, ':');
    if (colon == NULL) return -1;
    const char *h = addr, *he = colon;
    if (*h == '[' && he > h && he[-1] == ']') h++, he--;
    if ((size_t)(he - h) >= hcap || strlen(colon + 1) >= pcap) return -1;
    memcpy(host, h, (size_t)(he - h));
    host[he - h] = '\0';
    strcpy(port, colon + 1);
    return 0;
}

/* A listening socket on `addr` with SO_REUSEPORT, so that every worker can
 * bind its own, and TCP_NODELAY, which what it accepts inherits. Returns
 * the fd, or -1 with a logged reason. */
static int bind_listener(const char *addr)
{
    char host[256], port[16];
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE},
                    *res;
    if (split_hostport(addr, host, sizeof(host), port, sizeof(port)) != 0 ||
        getaddrinfo(host, port, &hints, &res) != 0) {
        rl_log_error("cannot resolve listen address %s", addr);
        return -1;
    }
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0 ||
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0 ||
        bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 4096) != 0) {
        rl_log_error("cannot listen on %s: %s", addr, strerror(errno));
        if (fd >= 0) close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

static SSL_CTX *make_ssl_ctx(const rl_config_t *cfg)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL) return NULL;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    if (SSL_CTX_use_certificate_chain_file(ctx, cfg->tls_cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, cfg->tls_key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        char buf[256];
        ERR_error_string_n(ERR_get_error(), buf, sizeof(buf));
        rl_log_error("tls: cannot use %s / %s: %s", cfg->tls_cert, cfg->tls_key, buf);
        SSL_CTX_free(ctx);
        return NULL;
    }
    h2o_ssl_register_alpn_protocols(ctx, h2o_http2_alpn_protocols);
    return ctx;
}

/* ---- reload ---- */

static void warn_static_changes(const rl_config_t *old, const rl_config_t *neu)
{
    if (strcmp(old->listen_public, neu->listen_public) != 0 ||
        strcmp(old->listen_admin, neu->listen_admin) != 0)
        rl_log_warn("listen addresses changed: they take effect at the next restart");
    if (old->workers != neu->workers) rl_log_warn("workers changed: takes effect at the next restart");
    if ((old->tls_cert == NULL) != (neu->tls_cert == NULL) ||
        (old->tls_cert && strcmp(old->tls_cert, neu->tls_cert) != 0))
        rl_log_warn("tls changed: takes effect at the next restart");
}

/* Loads the config anew and publishes it. Returns 0, or -1 with *why
 * (malloc'd) saying what was wrong; the old snapshot then stays. */
static int reload(rl_server_t *s, uint64_t *generation, char **why)
{
    rl_diag_t d = RL_DIAG_INIT;
    rl_snapshot_t *ns = NULL;
    int rc = rl_snapshot_load(s->config_path, &ns, &d);
    if (rc == 0 && rl_config_check_production(ns->cfg, false, &d) > 0) rc = -1;
    if (rc != 0) {
        *why = rl_diag_join(&d);
        rl_log_error("reload refused, the previous config stays: %s", *why);
        rl_metrics_config_reload(0);
        rl_snapshot_release(ns);
        rl_diag_clear(&d);
        return -1;
    }
    rl_snapshot_t *old = rl_snapshot_slot_acquire(&s->slot);
    warn_static_changes(old->cfg, ns->cfg);
    rl_snapshot_release(old);
    rl_log_set_level(ns->cfg->log_level);
    *generation = ns->generation;
    rl_snapshot_log_modes(ns);
    rl_snapshot_slot_publish(&s->slot, ns);
    rl_metrics_config_reload(1);
    rl_metrics_config_generation(*generation);
    for (int i = 0; i < s->n_workers; i++)
        rl_worker_wake(&s->workers[i]);
    rl_log_info("config reloaded (generation %llu)", (unsigned long long)*generation);
    return 0;
}

void rl_server_post_reload(rl_server_t *s, rl_reload_job_t *job)
{
    pthread_mutex_lock(&s->jobs_mu);
    job->next = s->jobs;
    s->jobs = job;
    pthread_mutex_unlock(&s->jobs_mu);
    uv_async_send(&s->jobs_async);
}

static void on_jobs(uv_async_t *a)
{
    rl_server_t *s = a->data;
    pthread_mutex_lock(&s->jobs_mu);
    rl_reload_job_t *jobs = s->jobs;
    s->jobs = NULL;
    pthread_mutex_unlock(&s->jobs_mu);
    while (jobs != NULL) {
        rl_reload_job_t *job = jobs, *next = jobs->next;
        job->ok = reload(s, &job->generation, &job->message) == 0;
        pthread_mutex_lock(&job->w->mu);
        job->next = job->w->done_jobs;
        job->w->done_jobs = job;
        pthread_mutex_unlock(&job->w->mu);
        rl_worker_wake(job->w);
        jobs = next;
    }
    if (atomic_load(&s->shutting_down) && atomic_load(&s->workers_running) == 0) uv_stop(&s->loop);
}

static void on_sighup(uv_signal_t *h, int signum)
{
    uint64_t gen;
    char *why = NULL;
    reload(h->data, &gen, &why);
    free(why);
}

/* ---- shutdown ---- */

static void on_drain_timeout(uv_timer_t *t)
{
    rl_log_warn("shutdown_timeout reached with requests still in flight; exiting");
    rl_ingress_flush(H2O_STRUCT_FROM_MEMBER(rl_server_t, shutdown_timer, t));
    _exit(0);
}

static void on_sigterm(uv_signal_t *h, int signum)
{
    rl_server_t *s = h->data;
    if (atomic_exchange(&s->shutting_down, 1)) return;
    rl_snapshot_t *snap = rl_snapshot_slot_acquire(&s->slot);
    uint64_t timeout = snap->cfg->shutdown_timeout_ms;
    rl_snapshot_release(snap);
    rl_log_info("%s: draining in-flight requests (up to %llu ms)", signum == SIGINT ? "SIGINT" : "SIGTERM",
                (unsigned long long)timeout);
    uv_timer_init(&s->loop, &s->shutdown_timer);
    uv_timer_start(&s->shutdown_timer, on_drain_timeout, timeout, 0);
    uv_unref((uv_handle_t *)&s->shutdown_timer);
    for (int i = 0; i < s->n_workers; i++)
        rl_worker_wake(&s->workers[i]);
}

/* ---- start-up ---- */

static int load_initial(rl_server_t *s, const char *path)
{
    rl_diag_t d = RL_DIAG_INIT;
    rl_snapshot_t *snap = NULL;
    if (rl_snapshot_load(path, &snap, &d) != 0) {
        rl_diag_print(&d, stderr);
        rl_diag_clear(&d);
        return 1;
    }
    if (rl_config_check_production(snap->cfg, false, &d) > 0) {
        fprintf(stderr, "refusing to start in production:\n");
        rl_diag_print(&d, stderr);
        rl_diag_clear(&d);
        rl_snapshot_release(snap);
        return 2;
    }
    rl_metrics_config_generation(snap->generation);
    rl_snapshot_log_modes(snap);
    rl_snapshot_slot_publish(&s->slot, snap);
    rl_log_set_level(snap->cfg->log_level);
    return 0;
}

static int start_workers(rl_server_t *s, const rl_config_t *cfg)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    s->n_workers = cfg->workers > 0 ? cfg->workers : (ncpu > 0 ? (int)ncpu : 1);
    s->workers = calloc((size_t)s->n_workers, sizeof(*s->workers));
    if (s->workers == NULL) return 1;
    for (int i = 0; i < s->n_workers; i++) {
        rl_worker_t *w = &s->workers[i];
        w->server = s;
        w->id = i;
        w->shared = s->shared;
        if ((w->fd_public = bind_listener(cfg->listen_public)) < 0 ||
            (w->fd_admin = bind_listener(cfg->listen_admin)) < 0)
            return 1;
    }
    for (int i = 0; i < s->n_workers; i++)
        if (rl_worker_start(&s->workers[i]) != 0) {
            rl_log_error("cannot start worker %d", i);
            return 1;
        }
    return 0;
}

static void init_control_loop(rl_server_t *s)
{
    uv_loop_init(&s->loop);
    pthread_mutex_init(&s->jobs_mu, NULL);
    uv_async_init(&s->loop, &s->jobs_async, on_jobs);
    s->jobs_async.data = s;
    uv_signal_init(&s->loop, &s->sig_hup);
    uv_signal_init(&s->loop, &s->sig_term);
    uv_signal_init(&s->loop, &s->sig_int);
    s->sig_hup.data = s->sig_term.data = s->sig_int.data = s;
    uv_signal_start(&s->sig_hup, on_sighup, SIGHUP);
    uv_signal_start(&s->sig_term, on_sigterm, SIGTERM);
    uv_signal_start(&s->sig_int, on_sigterm, SIGINT);
}

/* Scrape-time collector: the response cache's evictions and bytes, from
 * the shared state's own counters. Scrapes are serialized, so `seen` needs
 * no lock. */
static void collect_cache(void *ud)
{
    static uint64_t seen;
    rl_cache_stats_t st;
    rl_shared_cache_stats(ud, &st);
    if (st.evictions > seen) rl_metrics_cache_evictions(st.evictions - seen);
    seen = st.evictions;
    rl_metrics_cache_bytes((int64_t)st.bytes);
}

int rl_server_run(const char *config_path)
{
    static rl_server_t server; /* lives for the whole process; workers point into it */
    rl_server_t *s = &server;
    int rc;
    signal(SIGPIPE, SIG_IGN);
    s->config_path = strdup(config_path);
    rl_metrics_init(); /* before any worker runs: no thread pays for it on a request */
    rl_snapshot_slot_init(&s->slot);
    if ((rc = load_initial(s, config_path)) != 0) goto out;
    rl_snapshot_t *snap = rl_snapshot_slot_acquire(&s->slot);
    const rl_config_t *cfg = snap->cfg;
    if (cfg->tls_cert != NULL && (s->ssl_ctx = make_ssl_ctx(cfg)) == NULL) rc = 1;
    char shared_err[256];
    if (rc == 0 && (s->shared = rl_shared_open("memory://", shared_err, sizeof(shared_err))) == NULL) {
        rl_log_error("%s", shared_err);
        rc = 1;
    }
    if (rc == 0) rl_metrics_add_collector(collect_cache, s->shared);
    init_control_loop(s);
    if (rc == 0) rc = rl_ingress_start(s, cfg);
    if (rc == 0) rc = start_workers(s, cfg);
    if (rc == 0)
        rl_log_info("relais %s listening on %s%s (admin %s), %d workers", RELAIS_VERSION, cfg->listen_public,
                    s->ssl_ctx ? " with TLS" : "", cfg->listen_admin, s->n_workers);
    rl_snapshot_release(snap);
    if (rc != 0) goto out;
    s->health = rl_health_start(&s->loop, &s->slot);
    uv_run(&s->loop, UV_RUN_DEFAULT);
    for (int i = 0; i < s->n_workers; i++)
        uv_thread_join(&s->workers[i].thread);
    rl_health_stop(s->health);
    uv_run(&s->loop, UV_RUN_NOWAIT); /* the probes' handles close */
    rl_ingress_stop(s);              /* the audit queue is written out */
    rl_log_info("shutdown complete");
out:
    if (rc != 0) rl_snapshot_slot_clear(&s->slot);
    return rc;
}
