/* client_curl.c — the client.h backend on libcurl's multi-socket API (for
 * https:// and whatever client_h1.c declines), driven by the worker's uv
 * loop: one uv_poll_t per socket curl asks us to watch and one uv_timer_t
 * for curl's timeouts (the pattern of curl's multi-uv example). Easy handles
 * are recycled, so connections and their TLS sessions stay in the multi
 * handle's pool between requests. */
#include "upstream/backend.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#define MAX_HEAD_BYTES (64 * 1024)
#define MAX_RESP_HEADERS 128
#define MAX_IDLE_XFERS 64

typedef struct curl_client curl_client_t;
typedef struct curl_xfer curl_xfer_t;

struct curl_client {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer;
    curl_xfer_t *idle; /* recycled transfers, linked by next */
    size_t n_idle;
    int in_action;          /* inside curl_multi_socket_action */
    curl_xfer_t *cancelled; /* cancelled during in_action, linked by next */
};

struct curl_xfer {
    rl_xfer_t base; /* first: see backend.h */
    curl_client_t *c;
    curl_xfer_t *next;
    CURL *easy;
    struct curl_slist *slist;
    const rl_xfer_cbs_t *cbs;
    void *ud;
    char *head; /* header lines of the current response */
    size_t head_len;
    int status;
    size_t reason_off, reason_len;
    unsigned head_done : 1, cancelled : 1, paused : 1, running : 1;
    char method[16];
    char errbuf[CURL_ERROR_SIZE];
};

typedef struct sock_ctx {
    uv_poll_t poll;
    curl_socket_t fd;
    curl_client_t *c;
} sock_ctx_t;

static void check_done(curl_client_t *c);
static void run_action(curl_client_t *c, curl_socket_t fd, int flags);
static void drain_cancelled(curl_client_t *c);

/* ---- socket and timer glue ---- */

static void on_poll(uv_poll_t *h, int status, int events)
{
    sock_ctx_t *s = h->data;
    int flags = 0;
    if (status < 0) flags = CURL_CSELECT_ERR;
    if (events & UV_READABLE) flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
    run_action(s->c, s->fd, flags);
}

static void on_poll_closed(uv_handle_t *h)
{
    free(h->data);
}

static int on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *sockp)
{
    curl_client_t *c = userp;
    sock_ctx_t *s = sockp;
    if (what == CURL_POLL_REMOVE) {
        if (s != NULL) {
            uv_poll_stop(&s->poll);
            uv_close((uv_handle_t *)&s->poll, on_poll_closed);
            curl_multi_assign(c->multi, fd, NULL);
        }
        return 0;
    }
    if (s == NULL) {
        if ((s = calloc(1, sizeof(*s))) == NULL) return -1;
        s->fd = fd;
        s->c = c;
        if (uv_poll_init_socket(c->loop, &s->poll, fd) != 0) {
            free(s);
            return -1;
        }
        s->poll.data = s;
        curl_multi_assign(c->multi, fd, s);
    }
    int ev = (what & CURL_POLL_IN ? UV_READABLE : 0) | (what & CURL_POLL_OUT ? UV_WRITABLE : 0);
    uv_poll_start(&s->poll, ev, on_poll);
    return 0;
}

static void on_timer(uv_timer_t *t)
{
    run_action(t->data, CURL_SOCKET_TIMEOUT, 0);
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
    curl_client_t *c = userp;
    if (timeout_ms < 0)
        uv_timer_stop(&c->timer);
    else
        uv_timer_start(&c->timer, on_timer, (uint64_t)timeout_ms, 0);
    return 0;
}

/* ---- transfers ---- */

static void xfer_recycle(curl_xfer_t *x)
{
    curl_client_t *c = x->c;
    curl_slist_free_all(x->slist);
    x->slist = NULL;
    x->head_len = 0;
    if (c->n_idle < MAX_IDLE_XFERS) {
        x->next = c->idle;
        c->idle = x;
        c->n_idle++;
        return;
    }
    curl_easy_cleanup(x->easy);
    free(x->head);
    free(x);
}

static curl_xfer_t *xfer_get(curl_client_t *c)
{
    curl_xfer_t *x = c->idle;
    if (x != NULL) {
        c->idle = x->next;
        c->n_idle--;
        curl_easy_reset(x->easy);
    } else {
        if ((x = calloc(1, sizeof(*x))) == NULL) return NULL;
        if ((x->head = malloc(MAX_HEAD_BYTES)) == NULL || (x->easy = curl_easy_init()) == NULL) {
            free(x->head);
            free(x);
            return NULL;
        }
    }
    x->base.be = &rl_client_backend_curl;
    x->c = c;
    x->next = NULL;
    x->status = 0;
    x->head_len = 0;
    x->head_done = x->cancelled = x->paused = x->running = 0;
    x->errbuf[0] = '\0';
    return x;
}

static rl_errcode_t map_result(CURLcode rc)
{
    switch (rc) {
    case CURLE_OK:
        return RL_EOK;
    case CURLE_OPERATION_TIMEDOUT:
        return RL_EUPSTREAM_TIMEOUT;
    default:
        return RL_EUPSTREAM_ERROR;
    }
}

static void check_done(curl_client_t *c)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(c->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE) continue;
        curl_xfer_t *x = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
        CURLcode rc = msg->data.result;
        curl_multi_remove_handle(c->multi, msg->easy_handle);
        x->running = 0;
        if (x->cancelled) continue; /* recycled by drain_cancelled */
        const rl_xfer_cbs_t *cbs = x->cbs;
        void *ud = x->ud;
        char detail[CURL_ERROR_SIZE];
        snprintf(detail, sizeof(detail), "%s", x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
        rl_errcode_t code = map_result(rc);
        if (code == RL_EOK && !x->head_done) code = RL_EUPSTREAM_ERROR;
        xfer_recycle(x);
        cbs->on_done(ud, code, detail);
    }
}

/* Parses the header block of a complete response into hdrs. */
static size_t split_headers(curl_xfer_t *x, rl_hdr_t *hdrs, size_t max)
{
    size_t n = 0, pos = 0;
    char *h = x->head;
    /* skip the status line */
    while (pos < x->head_len && h[pos] != '\n')
        pos++;
    pos++;
    while (pos < x->head_len && n < max) {
        size_t end = pos;
        while (end < x->head_len && h[end] != '\n')
            end++;
        size_t line_end = end;
        if (line_end > pos && h[line_end - 1] == '\r') line_end--;
        char *colon = memchr(h + pos, ':', line_end - pos);
        if (colon != NULL && colon > h + pos) {
            const char *v = colon + 1, *ve = h + line_end;
            while (v < ve && (*v == ' ' || *v == '\t'))
                v++;
            while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
                ve--;
            hdrs[n++] = (rl_hdr_t){h + pos, (size_t)(colon - (h + pos)), v, (size_t)(ve - v)};
        }
        pos = end + 1;
    }
    return n;
}

static void parse_status_line(curl_xfer_t *x)
{
    /* "HTTP/1.1 200 OK" or "HTTP/2 200" */
    const char *p = memchr(x->head, ' ', x->head_len), *end = x->head + x->head_len;
    x->status = 0;
    x->reason_off = x->reason_len = 0;
    if (p == NULL) return;
    p++;
    while (p < end && *p >= '0' && *p <= '9')
        x->status = x->status * 10 + (*p++ - '0');
    if (p < end && *p == ' ') p++;
    const char *r = p;
    while (p < end && *p != '\r' && *p != '\n')
        p++;
    x->reason_off = (size_t)(r - x->head);
    x->reason_len = (size_t)(p - r);
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    curl_xfer_t *x = ud;
    size_t len = size * n;
    if (x->cancelled) return 0;
    if (x->head_done) return len; /* trailers */
    if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) x->head_len = 0;
    if (x->head_len + len > MAX_HEAD_BYTES) return 0;
    memcpy(x->head + x->head_len, p, len);
    x->head_len += len;
    if (!(len <= 2 && (p[0] == '\r' || p[0] == '\n'))) return len;
    parse_status_line(x);
    if (x->status < 200) { /* interim response: wait for the final one */
        x->head_len = 0;
        return len;
    }
    rl_hdr_t hdrs[MAX_RESP_HEADERS];
    size_t nh = split_headers(x, hdrs, MAX_RESP_HEADERS);
    x->head_done = 1;
    int r = x->cbs->on_head(x->ud, x->status, x->head + x->reason_off, x->reason_len, hdrs, nh);
    return (r == RL_XFER_CONTINUE && !x->cancelled) ? len : 0;
}

static size_t on_write(char *p, size_t size, size_t n, void *ud)
{
    curl_xfer_t *x = ud;
    if (x->cancelled) return 0;
    int r = x->cbs->on_body(x->ud, p, size * n);
    if (x->cancelled || r == RL_XFER_ABORT) return 0;
    if (r == RL_XFER_PAUSE) {
        x->paused = 1;
        return CURL_WRITEFUNC_PAUSE;
    }
    return size * n;
}

static int has_header(const rl_xfer_req_t *req, const char *name)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i < req->n_headers; i++)
        if (req->headers[i].name_len == nl && strncasecmp(req->headers[i].name, name, nl) == 0) return 1;
    return 0;
}

static int build_slist(curl_xfer_t *x, const rl_xfer_req_t *req)
{
    char line[8192];
    for (size_t i = 0; i < req->n_headers; i++) {
        const rl_hdr_t *h = &req->headers[i];
        int len = h->value_len == 0 ? snprintf(line, sizeof(line), "%.*s;", (int)h->name_len, h->name)
                                    : snprintf(line, sizeof(line), "%.*s: %.*s", (int)h->name_len, h->name,
                                               (int)h->value_len, h->value);
        char *dyn = NULL;
        if (len < 0) return -1;
        if ((size_t)len >= sizeof(line)) {
            if ((dyn = malloc((size_t)len + 1)) == NULL) return -1;
            snprintf(dyn, (size_t)len + 1, "%.*s: %.*s", (int)h->name_len, h->name, (int)h->value_len,
                     h->value);
        }
        struct curl_slist *s = curl_slist_append(x->slist, dyn ? dyn : line);
        free(dyn);
        if (s == NULL) return -1;
        x->slist = s;
    }
    /* curl adds these on its own unless told not to: the request must reach
     * the upstream as the client sent it. */
    x->slist = curl_slist_append(x->slist, "Expect:");
    if (!has_header(req, "accept")) x->slist = curl_slist_append(x->slist, "Accept:");
    if (!has_header(req, "content-type")) x->slist = curl_slist_append(x->slist, "Content-Type:");
    return x->slist ? 0 : -1;
}

static void set_method(curl_xfer_t *x, const rl_xfer_req_t *req)
{
    CURL *e = x->easy;
    size_t ml = req->method_len < sizeof(x->method) - 1 ? req->method_len : sizeof(x->method) - 1;
    memcpy(x->method, req->method, ml);
    x->method[ml] = '\0';
    if (req->has_body) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, req->body_len ? req->body : "");
        if (strcmp(x->method, "POST") != 0) curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, x->method);
    } else if (strcmp(x->method, "GET") == 0) {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else if (strcmp(x->method, "HEAD") == 0) {
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else {
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, x->method);
    }
}

static int curl_start(void *impl, const rl_xfer_req_t *req, const rl_xfer_cbs_t *cbs, void *ud,
                      rl_xfer_t **out)
{
    curl_client_t *c = impl;
    curl_xfer_t *x = xfer_get(c);
    if (x == NULL) return -RL_EINTERNAL;
    x->cbs = cbs;
    x->ud = ud;
    CURL *e = x->easy;
    if (build_slist(x, req) != 0) goto fail;
    curl_easy_setopt(e, CURLOPT_URL, req->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, x);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(e, CURLOPT_PROXY, "");
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->slist);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)req->connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)req->total_timeout_ms);
    if (req->tls_cert) curl_easy_setopt(e, CURLOPT_SSLCERT, req->tls_cert);
    if (req->tls_key) curl_easy_setopt(e, CURLOPT_SSLKEY, req->tls_key);
    set_method(x, req);
    if (curl_multi_add_handle(c->multi, e) != CURLM_OK) goto fail;
    x->running = 1;
    *out = &x->base;
    return 0;
fail:
    xfer_recycle(x);
    return -RL_EINTERNAL;
}

static void curl_resume(rl_xfer_t *bx)
{
    curl_xfer_t *x = (curl_xfer_t *)bx;
    if (!x->paused || x->cancelled) return;
    curl_client_t *c = x->c;
    int was = c->in_action;
    x->paused = 0;
    c->in_action = 1; /* the refused bytes may come back from inside this call */
    curl_easy_pause(x->easy, CURLPAUSE_CONT);
    c->in_action = was;
    if (!was) drain_cancelled(c);
}

static void curl_cancel(rl_xfer_t *bx)
{
    curl_xfer_t *x = (curl_xfer_t *)bx;
    if (x->cancelled) return;
    x->cancelled = 1;
    /* Inside curl's own processing the handle cannot be removed: it is
     * parked and removed once curl_multi_socket_action has returned. */
    curl_client_t *c = x->c;
    if (c->in_action) {
        x->next = c->cancelled;
        c->cancelled = x;
        return;
    }
    if (x->running) curl_multi_remove_handle(c->multi, x->easy);
    x->running = 0;
    xfer_recycle(x);
}

static void drain_cancelled(curl_client_t *c)
{
    while (c->cancelled != NULL) {
        curl_xfer_t *x = c->cancelled;
        c->cancelled = x->next;
        if (x->running) curl_multi_remove_handle(c->multi, x->easy);
        x->running = 0;
        xfer_recycle(x);
    }
}

static void run_action(curl_client_t *c, curl_socket_t fd, int flags)
{
    int running;
    c->in_action = 1;
    curl_multi_socket_action(c->multi, fd, flags, &running);
    check_done(c);
    c->in_action = 0;
    drain_cancelled(c);
}

static void *curl_open(uv_loop_t *loop)
{
    curl_client_t *c = calloc(1, sizeof(*c));
    if (c == NULL) return NULL;
    c->loop = loop;
    if ((c->multi = curl_multi_init()) == NULL) {
        free(c);
        return NULL;
    }
    uv_timer_init(loop, &c->timer);
    c->timer.data = c;
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, 512L);
    return c;
}

static void on_timer_closed(uv_handle_t *h)
{
    free(h->data);
}

static void curl_close(void *impl)
{
    curl_client_t *c = impl;
    while (c->idle != NULL) {
        curl_xfer_t *x = c->idle;
        c->idle = x->next;
        curl_easy_cleanup(x->easy);
        free(x->head);
        free(x);
    }
    curl_multi_cleanup(c->multi); /* closes pooled connections: REMOVE callbacks close the polls */
    uv_close((uv_handle_t *)&c->timer, on_timer_closed);
}

const rl_client_backend_t rl_client_backend_curl = {
    .name = "curl",
    .open = curl_open,
    .close = curl_close,
    .start = curl_start,
    .resume = curl_resume,
    .cancel = curl_cancel,
};
