/* oauth2_token.c — the client-credentials token cache, the token response
 * parser and the fetch through client.h; see oauth2_token.h for the
 * algorithm and the threading choice (one instance per worker loop). */
#include "upstream/oauth2_token.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

/* ---- cache ---- */

void rl_oauth2_cache_init(rl_oauth2_cache_t *c)
{
    memset(c, 0, sizeof(*c));
}

static void drop_token(rl_oauth2_cache_t *c)
{
    if (c->token) OPENSSL_cleanse(c->token, c->token_len);
    free(c->token);
    c->token = NULL;
    c->token_len = 0;
}

void rl_oauth2_cache_free(rl_oauth2_cache_t *c)
{
    drop_token(c);
    memset(c, 0, sizeof(*c));
}

const char *rl_oauth2_cache_token(const rl_oauth2_cache_t *c, uint64_t now_ms, size_t *len, uint64_t *gen)
{
    if (rl_oauth2_need_refresh(c, now_ms)) return NULL;
    if (len) *len = c->token_len;
    if (gen) *gen = c->generation;
    return c->token;
}

bool rl_oauth2_need_refresh(const rl_oauth2_cache_t *c, uint64_t now_ms)
{
    return c->token == NULL || now_ms >= c->refresh_at_ms;
}

bool rl_oauth2_cache_backoff(const rl_oauth2_cache_t *c, uint64_t now_ms)
{
    return !c->refreshing && now_ms < c->retry_at_ms;
}

bool rl_oauth2_cache_begin_refresh(rl_oauth2_cache_t *c, uint64_t now_ms)
{
    if (c->refreshing || rl_oauth2_cache_backoff(c, now_ms)) return false;
    c->refreshing = true;
    return true;
}

int rl_oauth2_cache_set(rl_oauth2_cache_t *c, const char *token, size_t len, int64_t expires_in_s,
                        uint64_t now_ms)
{
    char *t = malloc(len + 1);
    c->refreshing = false;
    if (t == NULL) return -1;
    memcpy(t, token, len);
    t[len] = '\0';
    drop_token(c);
    uint64_t life = (uint64_t)(expires_in_s > 0 ? expires_in_s : RL_OAUTH2_DEFAULT_TTL_S) * 1000u;
    uint64_t skew = life / 10 < RL_OAUTH2_MAX_SKEW_MS ? life / 10 : RL_OAUTH2_MAX_SKEW_MS;
    c->token = t;
    c->token_len = len;
    c->refresh_at_ms = now_ms + life - skew;
    c->generation++;
    c->retry_at_ms = 0;
    return 0;
}

void rl_oauth2_cache_fail(rl_oauth2_cache_t *c, uint64_t now_ms)
{
    c->refreshing = false;
    c->retry_at_ms = now_ms + RL_OAUTH2_RETRY_MS;
}

void rl_oauth2_cache_invalidate(rl_oauth2_cache_t *c, uint64_t gen)
{
    if (c->token && gen == c->generation) drop_token(c);
}

void rl_oauth2_cache_wait(rl_oauth2_cache_t *c, rl_oauth2_waiter_t *w)
{
    w->next = NULL;
    w->prev = c->tail;
    if (c->tail)
        c->tail->next = w;
    else
        c->head = w;
    c->tail = w;
    w->queued = true;
}

void rl_oauth2_cache_unwait(rl_oauth2_cache_t *c, rl_oauth2_waiter_t *w)
{
    if (!w->queued) return;
    if (w->prev)
        w->prev->next = w->next;
    else
        c->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        c->tail = w->prev;
    w->next = w->prev = NULL;
    w->queued = false;
}

rl_oauth2_waiter_t *rl_oauth2_cache_pop(rl_oauth2_cache_t *c)
{
    rl_oauth2_waiter_t *w = c->head;
    if (w) rl_oauth2_cache_unwait(c, w);
    return w;
}

/* ---- the answer ---- */

static int bad(char *why, size_t cap, const char *msg)
{
    if (why && cap) snprintf(why, cap, "%s", msg);
    return -1;
}

/* expires_in as a JSON integer or a string of digits; -1 absent, -2 bad. */
static int64_t expires_in(const json_t *v)
{
    if (v == NULL || json_is_null(v)) return -1;
    if (json_is_integer(v)) return json_integer_value(v) > 0 ? json_integer_value(v) : -2;
    if (!json_is_string(v)) return -2;
    const char *s = json_string_value(v);
    int64_t n = 0;
    if (*s == '\0' || strlen(s) > 12) return -2;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return -2;
        n = n * 10 + (*s - '0');
    }
    return n > 0 ? n : -2;
}

static int error_answer(const json_t *root, char *why, size_t cap)
{
    const char *code = json_string_value(json_object_get(root, "error"));
    size_t n = code ? strspn(code, "abcdefghijklmnopqrstuvwxyz_") : 0;
    if (why && cap)
        snprintf(why, cap, "token endpoint error '%.*s'", (int)(n > 40 ? 40 : n), code ? code : "");
    return -1;
}

int rl_oauth2_parse_answer(const char *body, size_t len, rl_oauth2_answer_t *out, char *why, size_t why_cap)
{
    json_error_t je;
    int rc = -1;
    memset(out, 0, sizeof(*out));
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL || !json_is_object(root)) {
        bad(why, why_cap, "token endpoint answer is not a JSON object");
        goto out;
    }
    const json_t *tok = json_object_get(root, "access_token"), *type = json_object_get(root, "token_type");
    if (tok == NULL && json_object_get(root, "error")) {
        error_answer(root, why, why_cap);
        goto out;
    }
    if (!json_is_string(tok) || json_string_length(tok) == 0) {
        bad(why, why_cap, "token endpoint answer has no access_token");
        goto out;
    }
    const char *t = json_string_value(tok);
    size_t tl = json_string_length(tok);
    for (size_t i = 0; i < tl; i++)
        if ((unsigned char)t[i] < 0x20 || t[i] == 0x7f) {
            bad(why, why_cap, "access_token contains control characters");
            goto out;
        }
    if (type && (!json_is_string(type) || strcasecmp(json_string_value(type), "bearer") != 0)) {
        bad(why, why_cap, "token_type is not bearer");
        goto out;
    }
    int64_t exp = expires_in(json_object_get(root, "expires_in"));
    if (exp == -2) {
        bad(why, why_cap, "expires_in is not a positive integer");
        goto out;
    }
    out->access_token = malloc(tl + 1);
    if (out->access_token == NULL) {
        bad(why, why_cap, "out of memory");
        goto out;
    }
    memcpy(out->access_token, t, tl + 1);
    out->token_len = tl;
    out->expires_in = exp;
    rc = 0;
out:
    json_decref(root);
    return rc;
}

void rl_oauth2_answer_free(rl_oauth2_answer_t *a)
{
    if (a->access_token) OPENSSL_cleanse(a->access_token, a->token_len);
    free(a->access_token);
    memset(a, 0, sizeof(*a));
}

/* ---- the request ---- */

/* application/x-www-form-urlencoded: unreserved bytes as is, ' ' as '+'. */
static void form_encode(char **p, const char *s)
{
    static const char hexd[] = "0123456789ABCDEF";
    char *d = *p;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (isalnum(c) || strchr("-._~", c))
            *d++ = (char)c;
        else if (c == ' ')
            *d++ = '+';
        else
            *d++ = '%', *d++ = hexd[c >> 4], *d++ = hexd[c & 15];
    }
    *p = d;
}

static void form_param(char **p, const char *name, const char *value)
{
    if (value == NULL) return;
    size_t n = strlen(name);
    *(*p)++ = '&';
    memcpy(*p, name, n);
    *p += n;
    *(*p)++ = '=';
    form_encode(p, value);
}

char *rl_oauth2_form(const rl_auth_cfg_t *a)
{
    const char *vals[] = {a->oauth2.scope, a->oauth2.audience, a->oauth2.client_id, a->oauth2.client_secret};
    size_t cap = 64;
    for (size_t i = 0; i < 4; i++)
        cap += vals[i] ? 3 * strlen(vals[i]) + 16 : 0;
    char *s = malloc(cap), *p = s;
    if (s == NULL) return NULL;
    memcpy(p, "grant_type=client_credentials", 29);
    p += 29;
    form_param(&p, "scope", a->oauth2.scope);
    form_param(&p, "audience", a->oauth2.audience);
    if (a->oauth2.client_auth == RL_OAUTH2_AUTH_BODY) {
        form_param(&p, "client_id", a->oauth2.client_id);
        form_param(&p, "client_secret", a->oauth2.client_secret);
    }
    *p = '\0';
    return s;
}

char *rl_oauth2_basic(const rl_auth_cfg_t *a)
{
    if (a->oauth2.client_auth != RL_OAUTH2_AUTH_BASIC || !a->oauth2.client_id || !a->oauth2.client_secret)
        return NULL;
    size_t cap = 3 * (strlen(a->oauth2.client_id) + strlen(a->oauth2.client_secret)) + 2;
    char *plain = malloc(cap), *p = plain, *out = NULL;
    if (plain == NULL) return NULL;
    form_encode(&p, a->oauth2.client_id);
    *p++ = ':';
    form_encode(&p, a->oauth2.client_secret);
    size_t n = (size_t)(p - plain);
    out = malloc(6 + 4 * ((n + 2) / 3) + 1);
    if (out) {
        memcpy(out, "Basic ", 6);
        EVP_EncodeBlock((unsigned char *)out + 6, (const unsigned char *)plain, (int)n);
    }
    OPENSSL_cleanse(plain, n);
    free(plain);
    return out;
}

/* ---- the fetch ---- */

struct rl_oauth2 {
    uv_loop_t *loop;
    rl_client_t *client;
    rl_oauth2_cache_t cache;
    char *url, *form, *basic;
    rl_hdr_t hdrs[3];
    size_t n_hdrs;
    uint64_t timeout_ms, fetches;
    rl_xfer_t *xfer;
    int status;
    char *resp;
    size_t resp_len;
    char why[128];
};

static void wipe_free(char *s)
{
    if (s) OPENSSL_cleanse(s, strlen(s));
    free(s);
}

rl_oauth2_t *rl_oauth2_new(uv_loop_t *loop, rl_client_t *client, const rl_auth_cfg_t *a, uint64_t timeout_ms)
{
    if (a->type != RL_AUTH_OAUTH2_CC || !rl_auth_ready(a) || a->oauth2.token_url == NULL) return NULL;
    rl_oauth2_t *o = calloc(1, sizeof(*o));
    if (o == NULL) return NULL;
    o->loop = loop, o->client = client, o->timeout_ms = timeout_ms;
    rl_oauth2_cache_init(&o->cache);
    o->url = strdup(a->oauth2.token_url);
    o->form = rl_oauth2_form(a);
    o->basic = rl_oauth2_basic(a);
    if (o->url == NULL || o->form == NULL ||
        (a->oauth2.client_auth == RL_OAUTH2_AUTH_BASIC && o->basic == NULL)) {
        rl_oauth2_free(o);
        return NULL;
    }
    o->hdrs[o->n_hdrs++] = (rl_hdr_t){"Content-Type", 12, "application/x-www-form-urlencoded", 33};
    o->hdrs[o->n_hdrs++] = (rl_hdr_t){"Accept", 6, "application/json", 16};
    if (o->basic) o->hdrs[o->n_hdrs++] = (rl_hdr_t){"Authorization", 13, o->basic, strlen(o->basic)};
    return o;
}

/* Calls every waiter back; each is unqueued before its call, so a callback
 * may cancel others or queue itself again. */
static void deliver(rl_oauth2_t *o, int rc)
{
    rl_oauth2_waiter_t *w;
    size_t len = 0;
    uint64_t gen = 0;
    while ((w = rl_oauth2_cache_pop(&o->cache)) != NULL) {
        const char *t = rc == 0 ? rl_oauth2_cache_token(&o->cache, uv_now(o->loop), &len, &gen) : NULL;
        if (t)
            w->cb(w, 0, t, len, gen);
        else
            w->cb(w, -RL_EUPSTREAM_ERROR, NULL, 0, 0);
    }
}

static int on_head(void *ud, int status, const char *reason, size_t reason_len, const rl_hdr_t *h, size_t n)
{
    ((rl_oauth2_t *)ud)->status = status;
    return RL_XFER_CONTINUE;
}

static int on_body(void *ud, const char *p, size_t n)
{
    rl_oauth2_t *o = ud;
    if (o->resp_len + n > RL_OAUTH2_MAX_RESPONSE) return RL_XFER_ABORT;
    char *r = realloc(o->resp, o->resp_len + n + 1);
    if (r == NULL) return RL_XFER_ABORT;
    memcpy(r + o->resp_len, p, n);
    o->resp = r;
    o->resp_len += n;
    return RL_XFER_CONTINUE;
}

static void on_done(void *ud, rl_errcode_t code, const char *detail)
{
    rl_oauth2_t *o = ud;
    rl_oauth2_answer_t ans;
    char why[128];
    uint64_t now = uv_now(o->loop);
    int rc = -1;
    o->xfer = NULL;
    o->why[0] = '\0';
    if (code != RL_EOK) {
        snprintf(o->why, sizeof(o->why), "%s",
                 code == RL_EUPSTREAM_TIMEOUT ? "timeout" : "connection failed");
    } else if (rl_oauth2_parse_answer(o->resp ? o->resp : "", o->resp_len, &ans, why, sizeof(why)) < 0) {
        snprintf(o->why, sizeof(o->why), "HTTP %d: %.100s", o->status, why);
    } else {
        if (o->status == 200)
            rc = rl_oauth2_cache_set(&o->cache, ans.access_token, ans.token_len, ans.expires_in, now);
        else
            snprintf(o->why, sizeof(o->why), "HTTP %d", o->status);
        rl_oauth2_answer_free(&ans);
    }
    if (rc < 0) rl_oauth2_cache_fail(&o->cache, now);
    if (o->resp) OPENSSL_cleanse(o->resp, o->resp_len);
    free(o->resp);
    o->resp = NULL, o->resp_len = 0;
    deliver(o, rc);
}

static int start_fetch(rl_oauth2_t *o)
{
    static const rl_xfer_cbs_t cbs = {on_head, on_body, on_done};
    rl_xfer_req_t req = {.url = o->url,
                         .method = "POST",
                         .method_len = 4,
                         .headers = o->hdrs,
                         .n_headers = o->n_hdrs,
                         .body = o->form,
                         .body_len = strlen(o->form),
                         .has_body = 1,
                         .connect_timeout_ms = o->timeout_ms,
                         .total_timeout_ms = o->timeout_ms,
                         /* asking twice for a token is harmless */
                         .may_replay = 1};
    o->status = 0;
    o->fetches++;
    return rl_xfer_start(o->client, &req, &cbs, o, &o->xfer);
}

int rl_oauth2_get(rl_oauth2_t *o, rl_oauth2_waiter_t *w, rl_oauth2_token_cb cb, void *ud, const char **token,
                  size_t *len, uint64_t *gen)
{
    uint64_t now = uv_now(o->loop);
    const char *t = rl_oauth2_cache_token(&o->cache, now, len, gen);
    if (t) {
        *token = t;
        return 1;
    }
    if (rl_oauth2_cache_backoff(&o->cache, now)) return -RL_EUPSTREAM_ERROR;
    if (rl_oauth2_cache_begin_refresh(&o->cache, now) && start_fetch(o) < 0) {
        rl_oauth2_cache_fail(&o->cache, now);
        return -RL_EUPSTREAM_ERROR;
    }
    w->cb = cb, w->ud = ud;
    rl_oauth2_cache_wait(&o->cache, w);
    return 0;
}

void rl_oauth2_cancel(rl_oauth2_t *o, rl_oauth2_waiter_t *w)
{
    rl_oauth2_cache_unwait(&o->cache, w);
}

void rl_oauth2_invalidate(rl_oauth2_t *o, uint64_t gen)
{
    rl_oauth2_cache_invalidate(&o->cache, gen);
}

const char *rl_oauth2_last_error(const rl_oauth2_t *o)
{
    return o->why;
}

uint64_t rl_oauth2_fetches(const rl_oauth2_t *o)
{
    return o->fetches;
}

void rl_oauth2_free(rl_oauth2_t *o)
{
    if (o == NULL) return;
    if (o->xfer) rl_xfer_cancel(o->xfer);
    o->xfer = NULL;
    deliver(o, -1);
    rl_oauth2_cache_free(&o->cache);
    free(o->url);
    wipe_free(o->form);
    wipe_free(o->basic);
    free(o->resp);
    free(o);
}
