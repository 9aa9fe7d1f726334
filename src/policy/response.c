/* response.c — the RESPONSE phase, see response.h. Placeholder: nothing is
 * transformed yet; the response-policies issue fills it in. */
#include "policy/response.h"

int rl_response_begin(rl_request_t *r)
{
    (void)r;
    return 0;
}

void rl_response_finish(rl_request_t *r, h2o_iovec_t body)
{
    r->req->res.content_length = body.len;
    h2o_send_inline(r->req, body.base, body.len);
}

void rl_response_abandon(rl_request_t *r)
{
    (void)r;
}
