/* auth_apply.c — outbound credentials on one request, see auth_apply.h.
 * Each type is one small function that adds headers through add(); every
 * string it builds is owned by the out struct and wiped when freed. */
#include "upstream/auth_apply.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "upstream/hmac_sign.h"
#include "upstream/sigv4.h"

typedef struct url_parts {
    const char *scheme_end; /* after "://" */
    const char *host, *path, *query;
    size_t host_len, path_len, query_len; /* host: authority without a default port */
    bool has_query;
} url_parts_t;

static int parse_url(const char *url, url_parts_t *u)
{
    size_t scheme = strncasecmp(url, "http://", 7) == 0 ? 7 : strncasecmp(url, "https://", 8) == 0 ? 8 : 0;
    if (scheme == 0) return -1;
    const char *a = url + scheme, *ae = a + strcspn(a, "/?#");
    if (ae == a) return -1;
    u->scheme_end = a;
    u->host = a, u->host_len = (size_t)(ae - a);
    const char *dflt = scheme == 7 ? ":80" : ":443";
    size_t dl = strlen(dflt);
    if (u->host_len > dl && memcmp(ae - dl, dflt, dl) == 0) u->host_len -= dl;
    u->path = ae, u->path_len = strcspn(ae, "?#");
    const char *q = ae + u->path_len;
    u->has_query = *q == '?';
    u->query = u->has_query ? q + 1 : q;
    u->query_len = u->has_query ? strcspn(q + 1, "#") : 0;
    return 0;
}

static char *keep(rl_auth_out_t *out, char *s)
{
    if (s == NULL) abort();
    out->mem[out->n_mem++] = s;
    return s;
}

static void add(rl_auth_out_t *out, const char *name, char *value_owned)
{
    keep(out, value_owned);
    out->hdrs[out->n_hdrs++] = (rl_hdr_t){name, strlen(name), value_owned, strlen(value_owned)};
}

static char *cat(const char *a, size_t an, const char *b, size_t bn)
{
    char *s = malloc(an + bn + 1);
    if (s == NULL) abort();
    if (an) memcpy(s, a, an);
    if (bn) memcpy(s + an, b, bn);
    s[an + bn] = '\0';
    return s;
}

static int missing(rl_err_t *err)
{
    return rl_err_set(err, RL_EINTERNAL,
                      "provider credentials are not configured (missing environment variables)");
}

static void url_encode(char *dst, const char *s)
{
    static const char hexd[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || strchr("-._~", c)) {
            *dst++ = (char)c;
        } else {
            *dst++ = '%', *dst++ = hexd[c >> 4], *dst++ = hexd[c & 15];
        }
    }
    *dst = '\0';
}

/* The URL without any `name=` parameter, then "name=<prefix><key>". */
static int api_key_query(const rl_auth_cfg_t *a, const rl_auth_req_t *r, rl_auth_out_t *out)
{
    url_parts_t u;
    if (parse_url(r->url, &u) < 0) return -1;
    const char *prefix = a->api_key.prefix ? a->api_key.prefix : "";
    char *value = keep(out, cat(prefix, strlen(prefix), a->api_key.key, strlen(a->api_key.key)));
    size_t nl = strlen(a->api_key.query), head = (size_t)(u.path + u.path_len - r->url);
    char *s = keep(out, malloc(strlen(r->url) + nl + 3 * strlen(value) + 3));
    memcpy(s, r->url, head);
    char *p = s + head;
    *p++ = '?';
    for (size_t i = 0; i < u.query_len;) {
        const char *amp = memchr(u.query + i, '&', u.query_len - i);
        size_t e = amp ? (size_t)(amp - u.query) : u.query_len, len = e - i;
        bool same = len >= nl && memcmp(u.query + i, a->api_key.query, nl) == 0 &&
                    (len == nl || u.query[i + nl] == '=');
        if (!same && len > 0) {
            memcpy(p, u.query + i, len);
            p += len;
            *p++ = '&';
        }
        i = e + 1;
    }
    memcpy(p, a->api_key.query, nl);
    p += nl;
    *p++ = '=';
    url_encode(p, value);
    out->url = s;
    return 0;
}

static char *basic_value(const rl_auth_cfg_t *a)
{
    size_t ul = strlen(a->basic.username), pl = strlen(a->basic.password);
    char *plain = malloc(ul + pl + 2), *v = malloc(6 + 4 * ((ul + pl + 1 + 2) / 3) + 1);
    if (plain == NULL || v == NULL) abort();
    memcpy(plain, a->basic.username, ul);
    plain[ul] = ':';
    memcpy(plain + ul + 1, a->basic.password, pl);
    memcpy(v, "Basic ", 6);
    EVP_EncodeBlock((unsigned char *)v + 6, (const unsigned char *)plain, (int)(ul + pl + 1));
    OPENSSL_cleanse(plain, ul + pl + 1);
    free(plain);
    return v;
}

static int apply_hmac(const rl_auth_cfg_t *a, const rl_auth_req_t *r, rl_auth_out_t *out)
{
    url_parts_t u;
    char ts[24], sig[RL_HMAC_SIG_MAX], *msg = NULL;
    size_t msg_len;
    if (parse_url(r->url, &u) < 0) return -1;
    uint64_t t = a->hmac.timestamp_format == RL_HMAC_TS_UNIX_MS ? r->now_ms : r->now_ms / 1000;
    snprintf(ts, sizeof(ts), "%" PRIu64, t);
    rl_hmac_vars_t v = {r->method,     u.path_len ? u.path : "/",   u.query,     ts,         r->body,
                        r->method_len, u.path_len ? u.path_len : 1, u.query_len, strlen(ts), r->body_len};
    if (rl_hmac_render(&a->hmac.message, &v, &msg, &msg_len) < 0) abort();
    int n = rl_hmac_sign(a->hmac.algorithm, a->hmac.encoding, a->hmac.secret, strlen(a->hmac.secret), msg,
                         msg_len, sig, sizeof(sig));
    free(msg);
    if (n < 0) return -1;
    if (a->hmac.timestamp_header) add(out, a->hmac.timestamp_header, cat(ts, strlen(ts), "", 0));
    const char *prefix = a->hmac.prefix ? a->hmac.prefix : "";
    add(out, a->hmac.header, cat(prefix, strlen(prefix), sig, (size_t)n));
    return 0;
}

static bool is_named(const rl_hdr_t *h, const char *name)
{
    return h->name_len == strlen(name) && strncasecmp(h->name, name, h->name_len) == 0;
}

/* Headers sigv4 signs besides ours: content-type and other x-amz-*. */
static bool sign_too(const rl_hdr_t *h)
{
    if (is_named(h, "host") || is_named(h, "x-amz-date") || is_named(h, "x-amz-content-sha256") ||
        is_named(h, "x-amz-security-token") || is_named(h, "authorization"))
        return false;
    return is_named(h, "content-type") || (h->name_len > 6 && strncasecmp(h->name, "x-amz-", 6) == 0);
}

static int apply_sigv4(const rl_auth_cfg_t *a, const rl_auth_req_t *r, rl_auth_out_t *out)
{
    url_parts_t u;
    char date[17], hash[65], *authz = NULL;
    if (parse_url(r->url, &u) < 0) return -1;
    rl_sigv4_amz_date(r->now_ms, date);
    rl_sigv4_sha256_hex(r->body, r->body_len, hash);
    add(out, "x-amz-date", cat(date, 16, "", 0));
    add(out, "x-amz-content-sha256", cat(hash, 64, "", 0));
    if (a->sigv4.session_token)
        add(out, "x-amz-security-token", cat(a->sigv4.session_token, strlen(a->sigv4.session_token), "", 0));
    rl_hdr_t *sig = calloc(r->n_headers + 4, sizeof(rl_hdr_t));
    if (sig == NULL) abort();
    size_t n = 0;
    sig[n++] = (rl_hdr_t){"host", 4, u.host, u.host_len};
    for (size_t i = 0; i < out->n_hdrs; i++)
        sig[n++] = out->hdrs[i];
    for (size_t i = 0; i < r->n_headers; i++)
        if (sign_too(&r->headers[i])) sig[n++] = r->headers[i];
    rl_sigv4_req_t sr = {r->method,   r->method_len, u.path, u.path_len, u.query,
                         u.query_len, sig,           n,      hash,       strcmp(a->sigv4.service, "s3") == 0};
    rl_sigv4_key_t k = {a->sigv4.access_key, a->sigv4.secret_key, a->sigv4.region, a->sigv4.service};
    int rc = rl_sigv4_sign(&sr, &k, date, &authz, NULL);
    free(sig);
    if (rc < 0) return -1;
    add(out, "Authorization", authz);
    return 0;
}

static bool complete(const rl_auth_cfg_t *a, const rl_auth_req_t *r)
{
    switch (a->type) {
    case RL_AUTH_API_KEY:
        return a->api_key.key != NULL;
    case RL_AUTH_BEARER:
        return a->bearer.token != NULL;
    case RL_AUTH_BASIC:
        return a->basic.username && a->basic.password;
    case RL_AUTH_OAUTH2_CC:
        return r->token != NULL && r->token_len > 0;
    case RL_AUTH_HMAC:
        return a->hmac.secret != NULL && a->hmac.header != NULL;
    case RL_AUTH_AWS_SIGV4:
        return a->sigv4.access_key && a->sigv4.secret_key && a->sigv4.region && a->sigv4.service;
    case RL_AUTH_MTLS:
    case RL_AUTH_NONE:
        return true;
    }
    return false;
}

bool rl_auth_needs_body(const rl_auth_cfg_t *a)
{
    return a->type == RL_AUTH_AWS_SIGV4 || (a->type == RL_AUTH_HMAC && a->hmac.message.uses_body);
}

int rl_auth_apply(const rl_auth_cfg_t *a, const rl_auth_req_t *r, rl_auth_out_t *out, rl_err_t *err)
{
    int rc = 0;
    memset(out, 0, sizeof(*out));
    if (a->type == RL_AUTH_OAUTH2_CC && (r->token == NULL || r->token_len == 0))
        return rl_err_set(err, RL_EINTERNAL, "no access token for the provider");
    if (!complete(a, r) || !rl_auth_ready(a)) return missing(err);
    switch (a->type) {
    case RL_AUTH_API_KEY:
        if (a->api_key.header) {
            const char *prefix = a->api_key.prefix ? a->api_key.prefix : "";
            add(out, a->api_key.header, cat(prefix, strlen(prefix), a->api_key.key, strlen(a->api_key.key)));
        } else {
            rc = api_key_query(a, r, out);
        }
        break;
    case RL_AUTH_BEARER:
        add(out, "Authorization", cat("Bearer ", 7, a->bearer.token, strlen(a->bearer.token)));
        break;
    case RL_AUTH_BASIC:
        add(out, "Authorization", basic_value(a));
        break;
    case RL_AUTH_OAUTH2_CC:
        add(out, "Authorization", cat("Bearer ", 7, r->token, r->token_len));
        break;
    case RL_AUTH_HMAC:
        rc = apply_hmac(a, r, out);
        break;
    case RL_AUTH_AWS_SIGV4:
        rc = apply_sigv4(a, r, out);
        break;
    case RL_AUTH_MTLS:
    case RL_AUTH_NONE:
        break;
    }
    if (rc < 0)
        return rl_err_set(err, RL_EINTERNAL, "cannot sign the upstream request (URL not absolute http(s))");
    return 0;
}

bool rl_auth_out_replaces(const rl_auth_out_t *out, const char *name, size_t len)
{
    for (size_t i = 0; i < out->n_hdrs; i++)
        if (out->hdrs[i].name_len == len && strncasecmp(out->hdrs[i].name, name, len) == 0) return true;
    return false;
}

void rl_auth_out_free(rl_auth_out_t *out)
{
    for (size_t i = 0; i < out->n_mem; i++) {
        OPENSSL_cleanse(out->mem[i], strlen(out->mem[i]));
        free(out->mem[i]);
    }
    memset(out, 0, sizeof(*out));
}
