/* client.c — the client.h calls, dispatched by URL: http:// goes to the
 * plain HTTP/1.1 client (client_h1.c), everything else (https://, and the
 * http:// URLs it declines) to libcurl (client_curl.c). The curl side is
 * opened on first use, so a gateway with only internal backends never
 * creates a curl multi handle. */
#include "upstream/client.h"

#include <stdlib.h>
#include <strings.h>

#include "upstream/backend.h"

struct rl_client {
    uv_loop_t *loop;
    void *h1;
    void *curl; /* NULL until an URL needs it */
};

rl_client_t *rl_client_new(uv_loop_t *loop)
{
    rl_client_t *c = calloc(1, sizeof(*c));
    if (c == NULL) return NULL;
    c->loop = loop;
    if ((c->h1 = rl_client_backend_h1.open(loop)) == NULL) {
        free(c);
        return NULL;
    }
    return c;
}

void rl_client_free(rl_client_t *c)
{
    if (c == NULL) return;
    rl_client_backend_h1.close(c->h1);
    if (c->curl != NULL) rl_client_backend_curl.close(c->curl);
    free(c);
}

void rl_client_set_pool(rl_client_t *c, size_t max_idle_per_host, uint64_t idle_timeout_ms)
{
    rl_client_backend_h1.set_pool(c->h1, max_idle_per_host, idle_timeout_ms);
}

int rl_xfer_start(rl_client_t *c, const rl_xfer_req_t *req, const rl_xfer_cbs_t *cbs, void *ud,
                  rl_xfer_t **out)
{
    if (strncasecmp(req->url, "http://", 7) == 0) {
        int rc = rl_client_backend_h1.start(c->h1, req, cbs, ud, out);
        if (rc != RL_CLIENT_DECLINED) return rc;
    }
    if (c->curl == NULL && (c->curl = rl_client_backend_curl.open(c->loop)) == NULL) return -RL_EINTERNAL;
    return rl_client_backend_curl.start(c->curl, req, cbs, ud, out);
}

void rl_xfer_resume(rl_xfer_t *x)
{
    x->be->resume(x);
}

void rl_xfer_cancel(rl_xfer_t *x)
{
    x->be->cancel(x);
}
