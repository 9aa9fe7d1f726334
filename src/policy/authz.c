/* authz.c — the AUTHZ step: the client address must be inside the route's
 * `allow_ips` and inside the API key's own allowlist (each when set), and
 * the consumer must hold every scope of the route's `scopes`. Either
 * failure is 403 forbidden. The client address is the effective one
 * (trust_proxy + X-Forwarded-For, http/request.h). */
#include <stdio.h>
#include <string.h>

#include "core/cidr.h"
#include "core/jsonw.h"
#include "http/envelope.h"
#include "policy/policy.h"

static bool has_scope(const rl_request_t *r, const char *want)
{
    for (size_t i = 0; i < r->n_scopes; i++)
        if (r->scopes[i] && strcmp(r->scopes[i], want) == 0) return true;
    return false;
}

/* The key's allowlist holds CIDR strings; one that does not parse allows
 * nothing (a stored list is validated when the key is made). */
static bool key_allows(const rl_request_t *r, const rl_ip_t *ip)
{
    for (size_t i = 0; i < r->n_consumer_allow_ips; i++) {
        const char *s = r->consumer_allow_ips[i], *why;
        rl_cidr_t c;
        if (s && rl_cidr_parse(s, strlen(s), &c, &why) == 0 && rl_cidr_match(&c, ip)) return true;
    }
    return false;
}

static rl_step_t deny_scopes(rl_request_t *r)
{
    const rl_route_cfg_t *route = r->route;
    char details[1024], esc[256];
    size_t len = (size_t)snprintf(details, sizeof(details), "{\"missing_scopes\":[");
    size_t missing = 0;
    for (size_t i = 0; i < route->n_scopes && len < sizeof(details) - 300; i++) {
        if (has_scope(r, route->scopes[i])) continue;
        size_t el = rl_json_escape(esc, sizeof(esc), route->scopes[i], strlen(route->scopes[i]));
        len += (size_t)snprintf(details + len, sizeof(details) - len, "%s\"%.*s\"", missing++ ? "," : "",
                                (int)el, esc);
    }
    snprintf(details + len, sizeof(details) - len, "]}");
    rl_respond_error(r, RL_EFORBIDDEN, details, "missing scope%s for route %s", missing > 1 ? "s" : "",
                     route->name);
    return RL_STEP_DONE;
}

rl_step_t rl_policy_authz(rl_request_t *r)
{
    const rl_route_cfg_t *route = r->route;
    if (route->allow_ips.n > 0 || r->n_consumer_allow_ips > 0) {
        const rl_ip_t *ip = rl_request_client_addr(r);
        if ((route->allow_ips.n > 0 && !rl_cidr_list_match(&route->allow_ips, ip)) ||
            (r->n_consumer_allow_ips > 0 && !key_allows(r, ip))) {
            char text[RL_IP_TEXT_MAX];
            rl_ip_format(ip, text, sizeof(text));
            rl_respond_error(r, RL_EFORBIDDEN, NULL, "client address %s is not allowed", text);
            return RL_STEP_DONE;
        }
    }
    for (size_t i = 0; i < route->n_scopes; i++)
        if (!has_scope(r, route->scopes[i])) return deny_scopes(r);
    return RL_STEP_NEXT;
}
