/* health.c — active health probes, see health.h. */
#include "upstream/health.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "providers/mode.h"
#include "upstream/outbound.h"
#include "upstream/client.h"
#include "upstream/oauth2_token.h"
#include "upstream/provider_state.h"

#define TICK_MS 500
#define PROBE_TIMEOUT_MS 10000

typedef struct probe {
    struct probe *next;
    rl_health_t *h;
    char *name;
    uint64_t due_ms;     /* monotonic: next probe */
    rl_xfer_t *xfer;     /* in flight, or NULL */
    rl_snapshot_t *snap; /* held while in flight (the auth config lives in it) */
    rl_pstate_t *ps;
    uint64_t started_ms;
    int status;
    /* oauth2_client_credentials: the control thread's own token source */
    rl_oauth2_t *oauth;
    rl_oauth2_waiter_t waiter;
    bool waiting; /* for a token; snap held, provider index in idx */
    size_t idx;
} probe_t;

struct rl_health {
    uv_loop_t *loop;
    rl_snapshot_slot_t *slot;
    rl_client_t *client;
    uv_timer_t tick;
    probe_t *probes;
};

static probe_t *probe_for(rl_health_t *h, const char *name)
{
    for (probe_t *p = h->probes; p; p = p->next)
        if (strcmp(p->name, name) == 0) return p;
    probe_t *p = calloc(1, sizeof(*p));
    if (p == NULL || (p->name = strdup(name)) == NULL) {
        free(p);
        return NULL;
    }
    p->h = h;
    p->next = h->probes;
    h->probes = p;
    return p;
}

static int on_head(void *ud, int status, const char *reason, size_t reason_len, const rl_hdr_t *hdrs,
                   size_t n)
{
    (void)reason, (void)reason_len, (void)hdrs, (void)n;
    ((probe_t *)ud)->status = status;
    return RL_XFER_CONTINUE;
}

static int on_body(void *ud, const char *p, size_t n)
{
    (void)ud, (void)p, (void)n;
    return RL_XFER_CONTINUE;
}

static void on_done(void *ud, rl_errcode_t code, const char *detail)
{
    probe_t *p = ud;
    uint64_t now = rl_mono_ms();
    bool ok = code == RL_EOK && p->status >= 200 && p->status < 400;
    rl_pstate_probe(p->ps, rl_wall_ms(), ok, code == RL_EOK ? p->status : 0, (uint32_t)(now - p->started_ms));
    if (!ok)
        rl_log_warn("health probe of provider %s failed: %s", p->name,
                    code == RL_EOK ? "unexpected status" : detail);
    p->xfer = NULL;
    rl_snapshot_release(p->snap);
    p->snap = NULL;
}

static const rl_xfer_cbs_t cbs = {on_head, on_body, on_done};

static void start_probe(rl_health_t *h, probe_t *pr, rl_snapshot_t *s, size_t i, const char *token)
{
    const rl_provider_cfg_t *p = &s->cfg->providers[i];
    size_t len = strlen(p->base_url) + strlen(p->health_path) + 1;
    char *url = malloc(len);
    if (url == NULL) return;
    snprintf(url, len, "%s%s", p->base_url, p->health_path);
    rl_hdr_t hdrs[1 + RL_OUTBOUND_EXTRA_HDRS];
    size_t n = 0;
    hdrs[n++] = (rl_hdr_t){"User-Agent", 10, "relais-health", 13};
    /* the preset's fixed headers and the credentials, as on every request:
     * without anthropic-version Anthropic answers 400. Unusable credentials
     * (a provider forced to real) still leave a probe, without them. */
    rl_auth_out_t ao = {0};
    const char *method = p->health_method ? p->health_method : "GET";
    rl_outbound_prepare(p, method, strlen(method), url, NULL, 0, token, hdrs, &n, &ao);
    rl_xfer_req_t xr = {
        .url = ao.url ? ao.url : url,
        .method = method,
        .method_len = strlen(method),
        .headers = hdrs,
        .n_headers = n,
        .connect_timeout_ms = p->connect_timeout_ms,
        .total_timeout_ms = p->total_timeout_ms < PROBE_TIMEOUT_MS ? p->total_timeout_ms : PROBE_TIMEOUT_MS,
        .may_replay = 1,
        .tls_cert = p->auth.type == RL_AUTH_MTLS ? p->auth.mtls.cert : NULL,
        .tls_key = p->auth.type == RL_AUTH_MTLS ? p->auth.mtls.key : NULL,
    };
    pr->status = 0;
    pr->ps = s->providers[i].ps;
    pr->started_ms = rl_mono_ms();
    if (rl_xfer_start(h->client, &xr, &cbs, pr, &pr->xfer) == 0) pr->snap = rl_snapshot_ref(s);
    rl_auth_out_free(&ao);
    free(url);
}

static void on_probe_token(rl_oauth2_waiter_t *w, int rc, const char *token, size_t len, uint64_t gen)
{
    (void)gen;
    probe_t *pr = w->ud;
    rl_snapshot_t *s = pr->snap;
    pr->waiting = false;
    pr->snap = NULL;
    if (rc < 0) {
        rl_pstate_probe(s->providers[pr->idx].ps, rl_wall_ms(), false, 0, 0);
        rl_log_warn("health probe of provider %s: no access token from the token endpoint", pr->name);
    } else {
        char *tok = strndup(token, len);
        if (tok) start_probe(pr->h, pr, s, pr->idx, tok);
        free(tok);
    }
    rl_snapshot_release(s);
}

/* A probe of an oauth2_client_credentials provider gets a token first. */
static void probe_with_token(rl_health_t *h, probe_t *pr, rl_snapshot_t *s, size_t i)
{
    const char *token;
    size_t len;
    uint64_t gen;
    if (pr->oauth == NULL)
        pr->oauth = rl_oauth2_new(h->loop, h->client, &s->cfg->providers[i].auth, PROBE_TIMEOUT_MS);
    int rc = pr->oauth ? rl_oauth2_get(pr->oauth, &pr->waiter, on_probe_token, pr, &token, &len, &gen) : -1;
    if (rc == 1) {
        char *tok = strndup(token, len);
        if (tok) start_probe(h, pr, s, i, tok);
        free(tok);
    } else if (rc == 0) {
        pr->waiting = true;
        pr->idx = i;
        pr->snap = rl_snapshot_ref(s);
    } else {
        rl_pstate_probe(s->providers[i].ps, rl_wall_ms(), false, 0, 0);
    }
}

static void on_tick(uv_timer_t *t)
{
    rl_health_t *h = t->data;
    rl_snapshot_t *s = rl_snapshot_slot_acquire(h->slot);
    if (s == NULL) return;
    uint64_t now = rl_mono_ms();
    for (size_t i = 0; i < s->cfg->n_providers; i++) {
        const rl_provider_cfg_t *p = &s->cfg->providers[i];
        if (p->health_path == NULL || rl_snapshot_provider_mode(s, i) != RL_MODE_REAL) continue;
        probe_t *pr = probe_for(h, p->name);
        if (pr == NULL || pr->xfer != NULL || pr->waiting || now < pr->due_ms) continue;
        pr->due_ms = now + (p->health_interval_ms ? p->health_interval_ms : 30000);
        if (p->auth.type == RL_AUTH_OAUTH2_CC)
            probe_with_token(h, pr, s, i);
        else
            start_probe(h, pr, s, i, NULL);
    }
    rl_snapshot_release(s);
}

rl_health_t *rl_health_start(uv_loop_t *loop, rl_snapshot_slot_t *slot)
{
    rl_health_t *h = calloc(1, sizeof(*h));
    if (h == NULL) return NULL;
    h->loop = loop;
    h->slot = slot;
    if ((h->client = rl_client_new(loop)) == NULL) {
        free(h);
        return NULL;
    }
    uv_timer_init(loop, &h->tick);
    h->tick.data = h;
    uv_timer_start(&h->tick, on_tick, 0, TICK_MS);
    uv_unref((uv_handle_t *)&h->tick); /* probes never keep relais alive */
    return h;
}

static void on_tick_closed(uv_handle_t *handle)
{
    free(handle->data);
}

void rl_health_stop(rl_health_t *h)
{
    if (h == NULL) return;
    while (h->probes) {
        probe_t *p = h->probes;
        h->probes = p->next;
        if (p->xfer) {
            rl_xfer_cancel(p->xfer);
            rl_snapshot_release(p->snap);
        }
        if (p->waiting) {
            rl_oauth2_cancel(p->oauth, &p->waiter);
            rl_snapshot_release(p->snap);
        }
        rl_oauth2_free(p->oauth);
        free(p->name);
        free(p);
    }
    rl_client_free(h->client);
    uv_close((uv_handle_t *)&h->tick, on_tick_closed);
}
