/* resp_state.h — what the response policies remember about one request
 * between their pipeline steps (deprecation.c, fields_step.c, cache_step.c,
 * precondition.c) and the RESPONSE phase (response.c). Lives in the
 * request's pool (r->resp), created by the first step that needs it. */
#ifndef RL_POLICY_RESP_STATE_H
#define RL_POLICY_RESP_STATE_H

#include "http/pipeline.h"
#include "http/request.h"
#include "policy/fields.h"
#include "upstream/client.h"

struct rl_precond;

typedef struct rl_resp_state {
    rl_request_t *r;
    /* fields_step.c: the ?fields= selection (valid when `select`) */
    rl_fieldset_t fields;
    bool select;
    /* cache_step.c */
    bool cache_route; /* a cacheable request on a cached route: X-Relais-Cache applies */
    bool cache_store; /* the lookup missed: store what comes back */
    bool lookup_sync; /* inside rl_shared_cache_get */
    bool lookup_done; /* its callback ran */
    rl_step_t lookup_result;
    char *key; /* the cache key (pool) */
    size_t key_len;
    uint64_t token; /* from the lookup, for the store */
    /* res.headers.size at the lookup: the headers before it are relais'
     * answer to this request alone (CORS, rate limit, quota), not part of
     * the upstream's answer, and are never stored */
    size_t own_mark;
    /* response.c */
    size_t hdr_mark; /* res.headers.size before the RESPONSE phase added any */
    bool buffering;  /* rl_response_begin asked for the whole body */
    bool json;       /* a JSON body that transforms may touch */
    bool storable;   /* cache_store and the response may be kept */
    uint64_t store_ttl_ms;
    /* precondition.c: an If-Match fetch in flight */
    struct rl_precond *pc;
} rl_resp_state_t;

/* r's state, created (zeroed) in the request pool on first use. */
rl_resp_state_t *rl_resp_state(rl_request_t *r);

/* Adds Deprecation, Sunset and Link (rel="deprecation") for r's route when
 * it has a `deprecation` (deprecation.c). */
void rl_deprecation_add_headers(rl_request_t *r);

/* The first value of response header `name` (lower case) in r, or NULL. */
const h2o_header_t *rl_resp_header(const rl_request_t *r, const char *name, size_t len);

/* Whether a body with Content-Type `ct` (NULL: none) and Content-Encoding
 * `ce` (NULL: none) is JSON the transforms may touch: application/json or
 * application/<x>+json, parameters ignored, no content coding. The GET
 * (response.c) and the If-Match check (precondition.c) must agree, or
 * their tags differ. */
bool rl_resp_json_type(const char *ct, size_t ct_len, const char *ce, size_t ce_len);

/* The method is one of GET/HEAD (safe, cacheable here). */
bool rl_resp_is_get_or_head(const rl_request_t *r);

/* Writes r's cache key (policy/cachekey.h: path, sorted query, the route's
 * vary headers, who is asking) into buf (cap bytes). Returns its length, 0
 * when it does not fit (cache_step.c). */
size_t rl_cache_build_key(rl_request_t *r, char *buf, size_t cap);

/* Turns r's response into 304 Not Modified (keeping only the headers
 * RFC 9110 §15.4.5 asks for, plus relais' own) and sends it (response.c). */
void rl_resp_send_not_modified(rl_request_t *r);

/* True when r carries If-None-Match and one of its values names `etag`
 * (weak comparison). */
bool rl_resp_if_none_match(const rl_request_t *r, const char *etag, size_t len);

#endif
