/* authn.c — the AUTHN step: tries the route's `auth` methods in order
 * (api_key, jwt, none); the first that succeeds decides the consumer.
 *
 * A method whose credential is absent passes the turn to the next one. A
 * credential that is present but bad (unknown or revoked key, bad or expired
 * token) is remembered: later methods may still succeed with their own
 * credential, but `none` does not turn such a request into an anonymous
 * one. Nothing left → 401 with WWW-Authenticate (error="invalid_token" when
 * a credential was bad).
 *
 * Two methods can wait: an API-key lookup in the store and a JWKS fetch.
 * The step then returns RL_STEP_ASYNC and the callback carries on from the
 * method after (or, for a JWKS wait, the same method once more); the state
 * lives in r->authn_next / r->authn_flags. */
#include <string.h>

#include "core/log.h"
#include "http/envelope.h"
#include "policy/auth_apikey.h"
#include "policy/jwt.h"
#include "policy/jwt_jwks.h"
#include "policy/policy.h"

enum { FLAG_BAD = 1, FLAG_JWKS_WAITED = 2 };
enum { DECIDED_OK, DECIDED_RESPONDED, DECIDED_PENDING };

static int decide(rl_request_t *r);

static void respond_401(rl_request_t *r)
{
    bool bad = r->authn_flags & FLAG_BAD;
    const char *challenge =
        bad ? "Bearer realm=\"relais\", error=\"invalid_token\"" : "Bearer realm=\"relais\"";
    rl_request_add_header(r, H2O_STRLIT("www-authenticate"), challenge, strlen(challenge));
    rl_respond_error(r, RL_EUNAUTHORIZED, NULL, bad ? "invalid credentials" : "missing credentials");
}

/* The JWT of `Authorization: Bearer …`, unless it is an API key (rk_…). */
static h2o_iovec_t bearer_jwt(const rl_request_t *r)
{
    const h2o_header_t *h = rl_request_header(r->req, H2O_STRLIT("authorization"));
    h2o_iovec_t none = {NULL, 0};
    if (h == NULL || h->value.len < 7 || strncasecmp(h->value.base, "bearer ", 7) != 0) return none;
    h2o_iovec_t t = h2o_iovec_init(h->value.base + 7, h->value.len - 7);
    while (t.len && t.base[0] == ' ')
        t.base++, t.len--;
    while (t.len && t.base[t.len - 1] == ' ')
        t.len--;
    if (t.len == 0 || (t.len >= 3 && memcmp(t.base, "rk_", 3) == 0)) return none;
    return t;
}

typedef struct scope_acc {
    rl_request_t *r;
    const char **v;
    size_t n;
} scope_acc_t;

static void add_scope(void *ud, const char *s, size_t len)
{
    scope_acc_t *a = ud;
    a->v[a->n++] = h2o_strdup(&a->r->req->pool, s, len).base;
}

static void on_jwks(rl_request_t *r)
{
    if (decide(r) == DECIDED_OK) rl_pipeline_resume(r);
}

/* 1: authenticated; 0: no token (next method); -1: bad token; 2: waiting. */
static int try_jwt(rl_request_t *r)
{
    const rl_jwt_cfg_t *jc = r->snap->cfg->jwt;
    h2o_iovec_t tok = bearer_jwt(r);
    if (tok.len == 0 || jc == NULL) return 0;
    rl_jwks_cache_t *cache = jc->jwks_url ? rl_jwks_cache_for(r->w, jc->jwks_url) : NULL;
    rl_jwt_rules_t rules = {jc->issuer, jc->audience, jc->leeway_ms};
    rl_jwt_token_t t;
    const char *why = NULL;
    rl_jwt_outcome_t o = rl_jwt_verify(tok.base, tok.len, &jc->keys, cache ? rl_jwks_cache_keys(cache) : NULL,
                                       &rules, rl_request_now_ms(r), &t, &why);
    if (o == RL_JWT_UNKNOWN_KEY && cache && !(r->authn_flags & FLAG_JWKS_WAITED)) {
        r->authn_flags |= FLAG_JWKS_WAITED;
        if (rl_jwks_cache_wait(cache, r, jc->jwks_interval_ms, on_jwks)) return 2;
    }
    if (o != RL_JWT_VALID) {
        rl_log_debug("jwt refused: %s", why ? why : "invalid");
        return -1;
    }
    if (cache) rl_jwks_cache_touch(cache, jc->jwks_interval_ms);
    const char *sub = json_string_value(json_object_get(t.claims, "sub"));
    r->consumer = h2o_strdup(&r->req->pool, sub, SIZE_MAX).base;
    json_t *sc = json_object_get(t.claims, "scope");
    if (sc == NULL) sc = json_object_get(t.claims, "scp");
    size_t cap = json_is_array(sc)    ? json_array_size(sc)
                 : json_is_string(sc) ? json_string_length(sc) / 2 + 1
                                      : 0;
    scope_acc_t acc = {r, cap ? h2o_mem_alloc_pool(&r->req->pool, cap * sizeof(char *)) : NULL, 0};
    if (cap) rl_jwt_scopes(t.claims, add_scope, &acc);
    r->scopes = acc.v;
    r->n_scopes = acc.n;
    r->consumer_allow_ips = NULL;
    r->n_consumer_allow_ips = 0;
    r->authn_method = RL_AUTHN_JWT;
    rl_jwt_token_free(&t);
    return 1;
}

static void on_apikey(rl_request_t *r, int result)
{
    if (result == RL_AUTH_OK) {
        r->authn_method = RL_AUTHN_API_KEY;
        rl_pipeline_resume(r);
        return;
    }
    r->authn_flags |= FLAG_BAD;
    if (decide(r) == DECIDED_OK) rl_pipeline_resume(r);
}

/* Runs the methods from r->authn_next. On DECIDED_OK the caller continues
 * the pipeline; on DECIDED_RESPONDED the 401 is sent. */
static int decide(rl_request_t *r)
{
    const rl_route_cfg_t *route = r->route;
    static const rl_authn_method_t anonymous[] = {RL_AUTHN_NONE};
    const rl_authn_method_t *methods = route->n_auth ? route->auth : anonymous;
    size_t n = route->n_auth ? route->n_auth : 1;
    while (r->authn_next < n) {
        rl_authn_method_t m = methods[r->authn_next++];
        int rc = 0;
        switch (m) {
        case RL_AUTHN_NONE:
            if (r->authn_flags & FLAG_BAD) continue;
            r->consumer = NULL;
            return DECIDED_OK;
        case RL_AUTHN_API_KEY:
            rc = rl_auth_apikey(r, rl_request_now_ms(r), on_apikey);
            if (rc == RL_AUTH_OK) {
                r->authn_method = RL_AUTHN_API_KEY;
                return DECIDED_OK;
            }
            if (rc == RL_AUTH_PENDING) return DECIDED_PENDING;
            if (rc == RL_AUTH_BAD) r->authn_flags |= FLAG_BAD;
            continue;
        case RL_AUTHN_JWT:
            rc = try_jwt(r);
            if (rc == 1) return DECIDED_OK;
            if (rc == 2) {
                r->authn_next--; /* the same method again once the JWKS is in */
                return DECIDED_PENDING;
            }
            if (rc < 0) r->authn_flags |= FLAG_BAD;
            continue;
        }
    }
    respond_401(r);
    return DECIDED_RESPONDED;
}

rl_step_t rl_policy_authn(rl_request_t *r)
{
    r->authn_next = 0;
    r->authn_flags = 0;
    switch (decide(r)) {
    case DECIDED_OK:
        return RL_STEP_NEXT;
    case DECIDED_PENDING:
        return RL_STEP_ASYNC;
    default:
        return RL_STEP_DONE;
    }
}
