/* backend.h — what one outbound HTTP client implementation gives client.c,
 * the dispatcher behind client.h: a table of hooks, like redis's ae_*.c
 * behind ae.h. Each implementation's transfer struct starts with an
 * rl_xfer_t, so that resume and cancel find their way back. */
#ifndef RL_UPSTREAM_BACKEND_H
#define RL_UPSTREAM_BACKEND_H

#include "upstream/client.h"

/* start's answer when this backend does not take the URL: nothing happened,
 * the dispatcher asks the next one. */
#define RL_CLIENT_DECLINED 1

typedef struct rl_client_backend {
    const char *name;
    /* A client on `loop`, or NULL. */
    void *(*open)(uv_loop_t *loop);
    /* rl_client_free for this backend: closes its handles on the loop. */
    void (*close)(void *impl);
    /* rl_xfer_start; may also return RL_CLIENT_DECLINED. */
    int (*start)(void *impl, const rl_xfer_req_t *req, const rl_xfer_cbs_t *cbs, void *ud, rl_xfer_t **out);
    void (*resume)(rl_xfer_t *x);
    void (*cancel)(rl_xfer_t *x);
    /* rl_client_set_pool; NULL when the backend has no such knobs. */
    void (*set_pool)(void *impl, size_t max_idle_per_host, uint64_t idle_timeout_ms);
} rl_client_backend_t;

/* The first member of every backend's transfer. */
struct rl_xfer {
    const rl_client_backend_t *be;
};

extern const rl_client_backend_t rl_client_backend_curl; /* client_curl.c: anything curl speaks */
extern const rl_client_backend_t rl_client_backend_h1;   /* client_h1.c: plain http:// */

#endif
