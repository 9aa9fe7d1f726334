/* deprecation.c — route `deprecation` (RFC 9745 Deprecation, RFC 8594
 * Sunset, Link rel="deprecation"): the headers go on every answer that
 * comes from the route's upstream or its cache (response.c, cache_step.c);
 * this step answers 410 gone once the sunset has passed when the route says
 * `enforce: true`. The header values are formatted at config load. */
#include <string.h>

#include "http/envelope.h"
#include "policy/policy.h"
#include "policy/resp_state.h"

void rl_deprecation_add_headers(rl_request_t *r)
{
    const rl_route_cfg_t *rt = r->route;
    h2o_req_t *req = r->req;
    if (rt == NULL || !rt->deprecated) return;
    if (rt->hdr_deprecation)
        h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("deprecation"), 0, NULL,
                              rt->hdr_deprecation, strlen(rt->hdr_deprecation));
    if (rt->hdr_sunset)
        h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("sunset"), 0, NULL, rt->hdr_sunset,
                              strlen(rt->hdr_sunset));
    if (rt->hdr_link)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_LINK, NULL, rt->hdr_link,
                       strlen(rt->hdr_link));
}

rl_step_t rl_policy_deprecation(rl_request_t *r)
{
    const rl_route_cfg_t *rt = r->route;
    if (!rt->deprecated || !rt->deprecation_enforce) return RL_STEP_NEXT;
    if ((int64_t)(rl_request_now_ms(r) / 1000) < rt->sunset) return RL_STEP_NEXT;
    rl_deprecation_add_headers(r);
    rl_respond_error(r, RL_EGONE, NULL, "this API version was retired on %s%s%s", rt->hdr_sunset,
                     rt->deprecation_link ? "; see " : "", rt->deprecation_link ? rt->deprecation_link : "");
    return RL_STEP_DONE;
}
