/* outbound.c — fixed headers and credentials, see outbound.h. */
#include "upstream/outbound.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "core/clock.h"
#include "core/log.h"

static bool is_fixed(const rl_provider_cfg_t *p, const rl_hdr_t *h)
{
    for (size_t f = 0; f < p->n_fixed_headers; f++)
        if (strlen(p->fixed_headers[2 * f]) == h->name_len &&
            strncasecmp(p->fixed_headers[2 * f], h->name, h->name_len) == 0)
            return true;
    return false;
}

static size_t add_fixed_headers(const rl_provider_cfg_t *p, rl_hdr_t *hdrs, size_t n)
{
    if (p->n_fixed_headers == 0) return n;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!is_fixed(p, &hdrs[i])) hdrs[k++] = hdrs[i];
    for (size_t f = 0; f < p->n_fixed_headers && f < RL_OUTBOUND_MAX_FIXED; f++)
        hdrs[k++] = (rl_hdr_t){p->fixed_headers[2 * f], strlen(p->fixed_headers[2 * f]),
                               p->fixed_headers[2 * f + 1], strlen(p->fixed_headers[2 * f + 1])};
    return k;
}

int rl_outbound_prepare(const rl_provider_cfg_t *p, const char *method, size_t method_len, const char *url,
                        const char *body, size_t body_len, const char *token, rl_hdr_t *hdrs, size_t *n,
                        rl_auth_out_t *ao)
{
    *n = add_fixed_headers(p, hdrs, *n);
    if (p->auth.type == RL_AUTH_NONE || p->auth.type == RL_AUTH_MTLS) return 0;
    rl_auth_req_t ar = {
        .method = method,
        .method_len = method_len,
        .url = url,
        .headers = hdrs,
        .n_headers = *n,
        .body = body,
        .body_len = body_len,
        .now_ms = rl_wall_ms(),
        .token = token,
        .token_len = token ? strlen(token) : 0,
    };
    rl_err_t err;
    if (rl_auth_apply(&p->auth, &ar, ao, &err) < 0) {
        rl_log_warn("provider %s: %s", p->name, err.msg);
        return -1;
    }
    size_t k = 0;
    for (size_t i = 0; i < *n; i++)
        if (!rl_auth_out_replaces(ao, hdrs[i].name, hdrs[i].name_len)) hdrs[k++] = hdrs[i];
    for (size_t i = 0; i < ao->n_hdrs; i++)
        hdrs[k++] = ao->hdrs[i];
    *n = k;
    return 0;
}
