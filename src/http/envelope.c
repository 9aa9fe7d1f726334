/* envelope.c — building and sending the JSON envelope, see envelope.h. */
#include "http/envelope.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/jsonw.h"
#include "policy/ratelimit.h"

size_t rl_envelope_error(char *out, size_t cap, rl_errcode_t code, const char *message,
                         const char *request_id, size_t request_id_len, const char *details_json)
{
    char msg[1024], rid[RL_REQID_MAX * 6];
    size_t ml = rl_json_escape(msg, sizeof(msg), message, strlen(message));
    size_t rl = rl_json_escape(rid, sizeof(rid), request_id, request_id_len);
    int n = snprintf(
        out, cap,
        "{\"success\":false,\"error\":{\"code\":\"%s\",\"message\":\"%.*s\",\"request_id\":\"%.*s\"%s%s}}",
        rl_err_name(code), (int)ml, msg, (int)rl, rid, details_json ? ",\"details\":" : "",
        details_json ? details_json : "");
    return n < 0 ? 0 : (size_t)n;
}

const char *rl_reason_phrase(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 410:
        return "Gone";
    case 412:
        return "Precondition Failed";
    case 413:
        return "Payload Too Large";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return status < 400 ? "OK" : "Error";
    }
}

void rl_envelope_set_headers(rl_request_t *r, size_t len)
{
    h2o_req_t *req = r->req;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                   H2O_STRLIT("application/json"));
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-content-type-options"), 0, NULL,
                          H2O_STRLIT("nosniff"));
    if (req->input.scheme == &H2O_URL_SCHEME_HTTPS) /* HSTS only means something over TLS */
        h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("strict-transport-security"), 0, NULL,
                              H2O_STRLIT("max-age=31536000"));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("no-store"));
    rl_request_add_common_headers(r);
    req->res.content_length = len; /* h2o_send_inline leaves it unset (chunked) */
}

static void send_json(rl_request_t *r, int status, char *body, size_t len)
{
    r->req->res.status = status;
    r->req->res.reason = rl_reason_phrase(status);
    rl_envelope_set_headers(r, len);
    h2o_send_inline(r->req, body, len);
}

void rl_respond_error(rl_request_t *r, rl_errcode_t code, const char *details_json, const char *fmt, ...)
{
    char msg[512], small[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (rl_ratelimit_before_error(r, code, details_json, msg)) return; /* answers once it has peeked */
    size_t len = rl_envelope_error(small, sizeof(small), code, msg, r->id, r->id_len, details_json);
    char *body = small;
    if (len >= sizeof(small)) { /* large details: size it exactly */
        body = h2o_mem_alloc_pool(&r->req->pool, len + 1);
        len = rl_envelope_error(body, len + 1, code, msg, r->id, r->id_len, details_json);
    }
    send_json(r, rl_err_status(code), body, len); /* h2o_send_inline copies the body */
}

void rl_respond_data(rl_request_t *r, int status, const char *data_json)
{
    size_t need = strlen(data_json) + sizeof("{\"success\":true,\"data\":}");
    char *body = h2o_mem_alloc_pool(&r->req->pool, need);
    int len = snprintf(body, need, "{\"success\":true,\"data\":%s}", data_json);
    send_json(r, status, body, (size_t)len);
}
