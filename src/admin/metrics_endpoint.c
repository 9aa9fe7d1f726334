/* metrics_endpoint.c — GET /metrics, see metrics_endpoint.h. The exposition
 * is rendered on the worker that took the scrape; that costs one pass over
 * the series, which a scrape every few seconds can afford. */
#include "admin/metrics_endpoint.h"

#include <stdlib.h>

#include "http/envelope.h"
#include "metrics/metrics.h"

void rl_admin_metrics(rl_request_t *r)
{
    h2o_req_t *req = r->req;
    size_t len = 0;
    char *text = rl_metrics_render(&len);
    if (text == NULL) {
        rl_respond_error(r, RL_EINTERNAL, NULL, "cannot render the metrics");
        return;
    }
    req->res.status = 200;
    req->res.reason = "OK";
    req->res.content_length = len;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                   H2O_STRLIT(RL_METRICS_CONTENT_TYPE));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("no-store"));
    rl_request_add_common_headers(r);
    h2o_send_inline(req, text, len); /* copies the body into the pool; HEAD sends none */
    free(text);
}
