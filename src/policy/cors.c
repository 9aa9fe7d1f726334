/* cors.c — the PRE-phase CORS step: answers preflights (204 with the
 * Access-Control-Allow-* headers, or 403 for an origin not allowed) and puts
 * Access-Control-Allow-Origin (+ credentials, expose headers) and
 * `Vary: Origin` on every other response of a routed request. The headers
 * go into r->req->res.headers before anything answers, so relais' own
 * errors and proxied responses (whose headers the proxy appends) carry them
 * alike. See cors.h for the decision rules. */
#include "policy/cors.h"

#include <string.h>
#include <strings.h>

#include "http/envelope.h"
#include "http/method.h"
#include "policy/policy.h"

static bool origin_is(const char *allowed, const char *origin, size_t len)
{
    return strlen(allowed) == len && strncasecmp(allowed, origin, len) == 0;
}

rl_cors_decision_t rl_cors_decide(const rl_config_t *cfg, const char *origin, size_t len)
{
    rl_cors_decision_t d = {RL_CORS_OFF, false, false};
    if (cfg->n_cors_origins == 0) return d;
    d.kind = RL_CORS_NO_ORIGIN;
    if (origin == NULL) return d;
    d.kind = RL_CORS_DENIED;
    bool star = false;
    for (size_t i = 0; i < cfg->n_cors_origins; i++) {
        if (strcmp(cfg->cors_origins[i], "*") == 0)
            star = true;
        else if (origin_is(cfg->cors_origins[i], origin, len))
            d.kind = RL_CORS_ALLOWED;
    }
    if (d.kind != RL_CORS_ALLOWED && star) {
        /* "*" with credentials must echo the origin; never for the opaque "null" */
        if (cfg->cors_credentials && origin_is("null", origin, len)) return d;
        d.kind = RL_CORS_ALLOWED;
        d.wildcard = !cfg->cors_credentials;
    }
    d.credentials = d.kind == RL_CORS_ALLOWED && cfg->cors_credentials;
    return d;
}

bool rl_cors_preflight(const rl_config_t *cfg, const h2o_req_t *req, unsigned *method_bit)
{
    if (cfg->n_cors_origins == 0 || !h2o_memis(req->method.base, req->method.len, H2O_STRLIT("OPTIONS")))
        return false;
    const h2o_header_t *acrm = rl_request_header(req, H2O_STRLIT("access-control-request-method"));
    if (acrm == NULL || rl_request_header(req, H2O_STRLIT("origin")) == NULL) return false;
    *method_bit = rl_method_bit(acrm->value.base, acrm->value.len);
    return true;
}

static void add(rl_request_t *r, const char *name, size_t name_len, const char *v, size_t len)
{
    rl_request_add_header(r, name, name_len, v, len);
}

/* The preflight's Access-Control-Request-Headers, echoed when
 * cors.allow_headers is not set: only token characters, commas and spaces. */
static void echo_request_headers(rl_request_t *r)
{
    const h2o_header_t *h = rl_request_header(r->req, H2O_STRLIT("access-control-request-headers"));
    if (h == NULL || h->value.len == 0 || h->value.len > 1024) return;
    for (size_t i = 0; i < h->value.len; i++) {
        unsigned char ch = (unsigned char)h->value.base[i];
        if (!(ch == ',' || ch == ' ' || ch == '-' || ch == '_' || ch == '.' || (ch >= '0' && ch <= '9') ||
              ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z')))
            return;
    }
    add(r, H2O_STRLIT("access-control-allow-headers"), h->value.base, h->value.len);
}

static rl_step_t answer_preflight(rl_request_t *r, const rl_config_t *cfg, rl_cors_decision_t d)
{
    static const char vary[] = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers";
    add(r, H2O_STRLIT("vary"), vary, sizeof(vary) - 1);
    if (d.kind != RL_CORS_ALLOWED) {
        rl_respond_error(r, RL_EFORBIDDEN, NULL, "origin not allowed by cors.allow_origins");
        return RL_STEP_DONE;
    }
    char methods[128], age[24];
    size_t mlen = 0;
    if (cfg->cors_allow_methods)
        add(r, H2O_STRLIT("access-control-allow-methods"), cfg->cors_allow_methods,
            strlen(cfg->cors_allow_methods));
    else if ((mlen = rl_method_list(r->route->methods, methods, sizeof(methods))) > 0)
        add(r, H2O_STRLIT("access-control-allow-methods"), methods, mlen);
    if (cfg->cors_allow_headers)
        add(r, H2O_STRLIT("access-control-allow-headers"), cfg->cors_allow_headers,
            strlen(cfg->cors_allow_headers));
    else
        echo_request_headers(r);
    int n = snprintf(age, sizeof(age), "%llu", (unsigned long long)cfg->cors_max_age_s);
    add(r, H2O_STRLIT("access-control-max-age"), age, (size_t)n);
    rl_request_add_common_headers(r);
    r->req->res.status = 204;
    r->req->res.reason = "No Content";
    r->req->res.content_length = 0;
    h2o_send_inline(r->req, "", 0);
    return RL_STEP_DONE;
}

rl_step_t rl_policy_cors(rl_request_t *r)
{
    const rl_config_t *cfg = r->snap->cfg;
    unsigned bit;
    if (cfg->n_cors_origins == 0) return RL_STEP_NEXT;
    const h2o_header_t *o = rl_request_header(r->req, H2O_STRLIT("origin"));
    rl_cors_decision_t d = rl_cors_decide(cfg, o ? o->value.base : NULL, o ? o->value.len : 0);
    if (d.kind == RL_CORS_ALLOWED) {
        if (d.wildcard)
            add(r, H2O_STRLIT("access-control-allow-origin"), "*", 1);
        else
            add(r, H2O_STRLIT("access-control-allow-origin"), o->value.base, o->value.len);
        if (d.credentials) add(r, H2O_STRLIT("access-control-allow-credentials"), "true", 4);
    }
    if (rl_cors_preflight(cfg, r->req, &bit)) return answer_preflight(r, cfg, d);
    add(r, H2O_STRLIT("vary"), "Origin", 6);
    if (d.kind == RL_CORS_ALLOWED && cfg->cors_expose_headers)
        add(r, H2O_STRLIT("access-control-expose-headers"), cfg->cors_expose_headers,
            strlen(cfg->cors_expose_headers));
    return RL_STEP_NEXT;
}
