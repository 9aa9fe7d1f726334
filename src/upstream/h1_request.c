/* h1_request.c — http:// URLs and request heads for client_h1.c, see
 * h1_request.h. The head carries only what the caller gave plus Host and
 * Content-Length: the proxy has already chosen and filtered the headers, and
 * the upstream must see the request as the client sent it. */
#include "upstream/h1_request.h"

#include <string.h>
#include <strings.h>

#include "core/httpchar.h"

/* Bytes that may appear in a request target or a host. */
static int is_visible(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c == 0x7f) return 0;
    }
    return 1;
}

int rl_h1_url_parse(const char *url, rl_h1_url_t *out)
{
    if (strncasecmp(url, "http://", 7) != 0) return -1;
    const char *a = url + 7, *ae = a + strcspn(a, "/?#");
    const char *h = a, *he, *colon;
    if (memchr(a, '@', (size_t)(ae - a)) != NULL) return -1;
    if (*a == '[') {
        const char *rb = memchr(a, ']', (size_t)(ae - a));
        if (rb == NULL) return -1;
        h = a + 1, he = rb;
        colon = rb + 1 < ae ? rb + 1 : NULL;
        if (colon != NULL && *colon != ':') return -1;
    } else {
        colon = memchr(a, ':', (size_t)(ae - a));
        he = colon ? colon : ae;
    }
    if (he == h || !is_visible(h, (size_t)(he - h))) return -1;
    unsigned long port = 80;
    if (colon != NULL && colon + 1 < ae) {
        port = 0;
        for (const char *p = colon + 1; p < ae; p++) {
            if (*p < '0' || *p > '9' || port > 65535) return -1;
            port = port * 10 + (unsigned long)(*p - '0');
        }
        if (port == 0 || port > 65535) return -1;
    }
    const char *t = ae, *te = t + strcspn(t, "#");
    if (*t == '?' || !is_visible(t, (size_t)(te - t))) return -1;
    out->host = h;
    out->host_len = (size_t)(he - h);
    out->authority = a;
    /* the Host header omits the default port (and an empty one) */
    out->authority_len = (size_t)((port == 80 && colon ? colon : ae) - a);
    out->port = (uint16_t)port;
    out->target = t == te ? "/" : t;
    out->target_len = t == te ? 1 : (size_t)(te - t);
    return 0;
}

static size_t digits(uint64_t v)
{
    size_t n = 1;
    while (v >= 10)
        v /= 10, n++;
    return n;
}

size_t rl_h1_request_size(const rl_xfer_req_t *req, const rl_h1_url_t *u)
{
    if (!rl_http_is_token(req->method, req->method_len)) return 0;
    size_t n = req->method_len + 1 + u->target_len + 11 + 6 + u->authority_len + 2 + 2;
    for (size_t i = 0; i < req->n_headers; i++) {
        const rl_hdr_t *h = &req->headers[i];
        if (!rl_http_is_token(h->name, h->name_len)) return 0;
        for (size_t j = 0; j < h->value_len; j++)
            if (h->value[j] == '\r' || h->value[j] == '\n' || h->value[j] == '\0') return 0;
        n += h->name_len + 2 + h->value_len + 2;
    }
    if (req->has_body) n += 16 + digits(req->body_len) + 2;
    return n;
}

static char *put(char *p, const char *s, size_t n)
{
    memcpy(p, s, n);
    return p + n;
}

size_t rl_h1_request_write(char *buf, const rl_xfer_req_t *req, const rl_h1_url_t *u)
{
    char *p = buf;
    p = put(p, req->method, req->method_len);
    *p++ = ' ';
    p = put(p, u->target, u->target_len);
    p = put(p, " HTTP/1.1\r\nHost: ", 17);
    p = put(p, u->authority, u->authority_len);
    p = put(p, "\r\n", 2);
    for (size_t i = 0; i < req->n_headers; i++) {
        const rl_hdr_t *h = &req->headers[i];
        p = put(p, h->name, h->name_len);
        p = put(p, ": ", 2);
        p = put(p, h->value, h->value_len);
        p = put(p, "\r\n", 2);
    }
    if (req->has_body) {
        p = put(p, "Content-Length: ", 16);
        size_t nd = digits(req->body_len);
        uint64_t v = req->body_len;
        for (size_t i = nd; i > 0; i--, v /= 10)
            p[i - 1] = (char)('0' + v % 10);
        p += nd;
        p = put(p, "\r\n", 2);
    }
    p = put(p, "\r\n", 2);
    return (size_t)(p - buf);
}
