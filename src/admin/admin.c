/* admin.c — admin API handlers, see admin.h. */
#include "admin/admin.h"

#include <stdlib.h>
#include <string.h>

#include "admin/metrics_endpoint.h"
#include "admin/status_endpoint.h"
#include "admin/keys_endpoint.h"
#include "core/ct.h"
#include "core/jsonw.h"
#include "http/envelope.h"

static int authorized_or_respond(rl_request_t *r)
{
    const char *token = r->snap->cfg->admin_token;
    const h2o_header_t *h = rl_request_header(r->req, H2O_STRLIT("authorization"));
    static const char bearer[] = "Bearer ";
    if (token != NULL && h != NULL && h->value.len > sizeof(bearer) - 1 &&
        strncasecmp(h->value.base, bearer, sizeof(bearer) - 1) == 0 &&
        rl_ct_equal(h->value.base + sizeof(bearer) - 1, h->value.len - (sizeof(bearer) - 1), token,
                    strlen(token)))
        return 1;
    rl_request_add_header(r, H2O_STRLIT("www-authenticate"), H2O_STRLIT("Bearer realm=\"relais-admin\""));
    if (token == NULL)
        rl_respond_error(r, RL_EUNAUTHORIZED, NULL, "admin API disabled: admin_token is not configured");
    else
        rl_respond_error(r, RL_EUNAUTHORIZED, NULL, "missing or invalid admin token");
    return 0;
}

static int method_is(const rl_request_t *r, const char *m)
{
    return h2o_memis(r->req->method.base, r->req->method.len, m, strlen(m));
}

static void start_reload(rl_request_t *r)
{
    rl_reload_job_t *job = calloc(1, sizeof(*job));
    if (job == NULL) {
        rl_respond_error(r, RL_EINTERNAL, NULL, "out of memory");
        return;
    }
    job->w = r->w;
    job->r = r;
    r->reload_job = job;
    rl_server_post_reload(r->w->server, job);
}

void rl_admin_reload_done(rl_reload_job_t *job)
{
    rl_request_t *r = job->r;
    if (r != NULL) {
        r->reload_job = NULL;
        if (job->ok) {
            char data[96];
            snprintf(data, sizeof(data), "{\"reloaded\":true,\"generation\":%llu}",
                     (unsigned long long)job->generation);
            rl_respond_data(r, 200, data);
        } else {
            rl_respond_error(r, RL_EBAD_REQUEST, NULL, "reload refused, the previous config stays: %s",
                             job->message ? job->message : "invalid config");
        }
    }
    free(job->message);
    free(job);
}

void rl_admin_handle(rl_request_t *r)
{
    h2o_req_t *req = r->req;
    const h2o_iovec_t *p = &r->path;
    if (h2o_memis(p->base, p->len, H2O_STRLIT("/admin/v1/reload"))) {
        if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST"))) {
            rl_request_add_header(r, H2O_STRLIT("allow"), H2O_STRLIT("POST"));
            rl_respond_error(r, RL_EMETHOD_NOT_ALLOWED, NULL, "use POST");
            return;
        }
        if (authorized_or_respond(r)) start_reload(r);
        return;
    }
    if (h2o_memis(p->base, p->len, H2O_STRLIT("/metrics"))) {
        if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) &&
            !h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"))) {
            rl_request_add_header(r, H2O_STRLIT("allow"), H2O_STRLIT("GET, HEAD"));
            rl_respond_error(r, RL_EMETHOD_NOT_ALLOWED, NULL, "use GET");
            return;
        }
        /* DESIGN §6: the token is required when one is configured; without one
         * (development only) the loopback admin listener serves metrics openly */
        if (r->snap->cfg->admin_token == NULL || authorized_or_respond(r)) rl_admin_metrics(r);
        return;
    }
    if (rl_admin_keys_owns(p) || rl_admin_audit_owns(p)) {
        if (!authorized_or_respond(r)) return;
        return rl_admin_keys_owns(p) ? rl_admin_keys_handle(r) : rl_admin_audit_handle(r);
    }
    if (h2o_memis(p->base, p->len, H2O_STRLIT("/admin/v1/mode"))) {
        if (!method_is(r, "PUT")) {
            rl_request_add_header(r, H2O_STRLIT("allow"), H2O_STRLIT("PUT"));
            rl_respond_error(r, RL_EMETHOD_NOT_ALLOWED, NULL, "use PUT");
            return;
        }
        if (authorized_or_respond(r)) rl_admin_set_mode(r);
        return;
    }
    if (h2o_memis(p->base, p->len, H2O_STRLIT("/status")) ||
        (p->len > 8 && memcmp(p->base, "/status/", 8) == 0)) {
        if (!method_is(r, "GET") && !method_is(r, "HEAD")) {
            rl_request_add_header(r, H2O_STRLIT("allow"), H2O_STRLIT("GET, HEAD"));
            rl_respond_error(r, RL_EMETHOD_NOT_ALLOWED, NULL, "use GET");
            return;
        }
        if (r->snap->cfg->admin_token != NULL && !authorized_or_respond(r)) return;
        if (p->len > 8)
            rl_admin_status(r, p->base + 8, p->len - 8);
        else
            rl_admin_status(r, NULL, 0);
        return;
    }
    rl_respond_error(r, RL_ENOT_FOUND, NULL, "no admin endpoint at %.*s", (int)(p->len > 200 ? 200 : p->len),
                     p->base);
}
