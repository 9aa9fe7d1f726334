/* request.h — relais' per-request state, allocated in the h2o request pool
 * and disposed with it: the snapshot reference, the request id, the route,
 * and what the access log needs. Disposal writes the access-log line. */
#ifndef RL_HTTP_REQUEST_H
#define RL_HTTP_REQUEST_H

#include "core/cidr.h"
#include "http/worker.h"

struct rl_request {
    h2o_req_t *req;
    rl_worker_t *w;
    rl_snapshot_t *snap;
    h2o_iovec_t path; /* the raw path without query, dot segments removed (path.h) */
    char id[RL_REQID_MAX + 1];
    size_t id_len;
    const rl_route_cfg_t *route;
    unsigned route_index;   /* index of route in the snapshot's config */
    rl_route_match_t match; /* the router's match: params for path templates */
    unsigned step;          /* the pipeline step running (http/pipeline.h) */
    /* Set by the AUTHN step (strings in the request pool). */
    const char *consumer;      /* API key id or JWT sub; NULL = anonymous */
    const char *const *scopes; /* the consumer's scopes */
    size_t n_scopes;
    const char *const *consumer_allow_ips; /* CIDRs attached to the API key; none = any */
    size_t n_consumer_allow_ips;
    uint8_t authn_next;   /* AUTHN step (policy/authn.c): the next route auth method to try */
    uint8_t authn_flags;  /* AUTHN step: bad credentials seen, JWKS waited for */
    uint8_t authn_method; /* the rl_authn_method_t that set consumer; 0 = none */
    bool ratelimit_seen;  /* rate-limit headers settled: LIMIT step ran, or peeked (policy/ratelimit.c) */
    rl_ip_t client_addr;  /* effective client address, once client_addr_set (rl_request_client_addr) */
    bool client_addr_set;
    const rl_provider_cfg_t *provider;
    int upstream_status;
    uint64_t start_ns;
    struct rl_proxy *proxy;       /* set while a proxied exchange runs */
    struct rl_chain *chain;       /* the UPSTREAM step's state (upstream/chain.h) */
    const char *outbound_token;   /* oauth2 access token for the current provider, or NULL */
    struct rl_mock_attempt *mock; /* set while a mocked attempt runs (upstream/mock_attempt.h) */
    rl_reload_job_t *reload_job;  /* set while a reload is pending */
    struct rl_resp_state *resp;   /* response policies' state (policy/resp_state.h); NULL = none yet */
    rl_cache_hold_t *cache_hold;  /* the cache entry a hit answers from (policy/cache_step.c), or NULL */
};

/* Creates the state for `req` on worker `w`: takes a snapshot reference,
 * picks the request id (the client's when sane, else a new UUIDv7) and the
 * normalized path. Lives
 * until the h2o request is disposed. */
rl_request_t *rl_request_new(rl_worker_t *w, h2o_req_t *req);

/* Adds a response header (name lower-case) with a value copied to the pool. */
void rl_request_add_header(rl_request_t *r, const char *name, size_t name_len, const char *value, size_t len);

/* About how many headers relais adds to a proxied response (request id,
 * provider, attempts, ETag, cache, CORS, deprecation…): the room reserved
 * for them at once. More still fit; the vector then grows. */
#define RL_OWN_HEADERS_MAX 12

/* Adds the headers relais puts on every response (X-Request-Id). */
void rl_request_add_common_headers(rl_request_t *r);

/* The client's address as text ("127.0.0.1", "::1") into buf; length. */
size_t rl_request_client_ip(const rl_request_t *r, char *buf, size_t cap);

/* The effective client address: the TCP peer, or, when the peer is inside
 * the config's trust_proxy, the right-most X-Forwarded-For entry that is not
 * (core/cidr.h: rl_ip_effective). Computed once per request. */
const rl_ip_t *rl_request_client_addr(rl_request_t *r);

/* The same as text ("203.0.113.5", "2001:db8::1") into buf; length. */
size_t rl_request_client_ip_effective(rl_request_t *r, char *buf, size_t cap);

/* The request's time, ms since the epoch (when h2o read it): the "now" of
 * every policy decision about it. */
uint64_t rl_request_now_ms(const rl_request_t *r);

/* Finds a request header by lower-case name; NULL if absent. */
const h2o_header_t *rl_request_header(const h2o_req_t *req, const char *name, size_t len);

#endif
