/* h1_response.c — the HTTP/1.x response parser behind client_h1.c: pure
 * (no I/O, no clock), incremental, bounded. See h1_response.h for the calls.
 *
 * States. A response is a head, then a body framed one of four ways:
 *
 *   HEAD ──final head──► DONE                      (HEAD request, 204, 304)
 *        ──────────────► BODY_LEN ──N bytes──► DONE  (Content-Length: N)
 *        ──────────────► CHUNK_SIZE ⇄ CHUNK_DATA ──0-size──► TRAILER ──► DONE
 *        ──────────────► BODY_CLOSE ──eof()──► DONE  (no framing: read until close)
 *   HEAD ──1xx head────► HEAD (again; 101 is an error: we never ask to switch)
 *   any  ──bad input───► ERROR
 *
 * The head. Bytes are scanned for the blank line that ends the head (memchr
 * on '\n'; a line is blank when it is empty or a lone CR). When a head
 * arrives whole in one input, it is parsed where it lies (zero copy);
 * otherwise its pieces are gathered in `buf` (at most RL_H1_MAX_HEAD). Then
 * it is parsed in one pass: "HTTP/1.<d> <3 digits>[ <reason>]", then fields
 * "token:OWS value OWS". Lines end in CRLF or a bare LF; a CR anywhere else,
 * a NUL or another control byte (HTAB aside) is an error, and so is a line
 * that starts with whitespace (obs-fold: a gateway may reject it, RFC 9112
 * §5.2), whitespace before the colon, or more than RL_H1_MAX_HEADERS fields.
 *
 * Framing (RFC 9112 §6.3), decided once the head is parsed:
 *   1. a HEAD request, 1xx, 204 and 304 have no body, whatever the headers;
 *   2. Transfer-Encoding must be exactly "chunked" (anything else is an
 *      error: we could not forward it faithfully); it wins over a
 *      Content-Length, and then, or on HTTP/1.0, the connection is not
 *      reused, as the message may be a smuggling attempt;
 *   3. Content-Length: digits, possibly a list of equal values ("5, 5");
 *      several fields must agree, or it is an error;
 *   4. otherwise the body runs until the server closes (not reusable).
 * The connection may be reused after DONE when the version is 1.1 without
 * "Connection: close", or 1.0 with "Connection: keep-alive", and rule 4 did
 * not apply.
 *
 * Chunked bodies are decoded as they come: the size line (hex digits, then
 * optional whitespace and ";extensions", at most RL_H1_MAX_CHUNK_LINE bytes)
 * is read byte by byte, the data is handed out as slices of the input, and
 * the trailer section is skipped (at most RL_H1_MAX_TRAILERS bytes).
 *
 * Worked example: the input "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
 * "\r\n5;x=1\r\nhello\r\n0\r\nEtag: 1\r\n\r\n" arriving in one read yields
 * HEAD (status 200, one field, used = 47), then BODY "hello" (a slice of the
 * input; used = 12: the size line and the data), then DONE (used = 16: the
 * CRLF after the data, "0\r\n" and the trailer), and rl_h1_resp_reusable()
 * is true. Fed one byte at a time, the same input yields NEED_MORE until the
 * head's last LF (the head gathered in buf), then five one-byte BODY slices,
 * then DONE on the last LF. */
#include "upstream/h1_response.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/httpchar.h"

enum {
    S_HEAD,
    S_BODY_LEN,
    S_BODY_CLOSE,
    S_CHUNK_SIZE, /* hex digits */
    S_CHUNK_BWS,  /* whitespace after the digits */
    S_CHUNK_EXT,  /* ";name=value…", skipped */
    S_CHUNK_LF,   /* the LF that ends the size line */
    S_CHUNK_DATA,
    S_CHUNK_CR, /* the CRLF after the data */
    S_CHUNK_CRLF,
    S_TRAILER,
    S_DONE,
    S_ERROR
};

/* What the fields of one head say about framing. */
typedef struct framing {
    int have_cl, have_te, te_chunked, te_other;
    uint64_t cl;
} framing_t;

static rl_h1_ev_t fail(rl_h1_resp_t *p, const char *why)
{
    p->state = S_ERROR;
    p->error = why;
    return RL_H1_ERROR;
}

void rl_h1_resp_reset(rl_h1_resp_t *p, int is_head)
{
    /* field by field: clearing hdrs[] for every response would cost 4 KiB */
    p->status = p->minor = 0;
    p->reason = p->error = NULL;
    p->reason_len = p->n_hdrs = 0;
    p->state = S_HEAD;
    p->is_head = is_head ? 1 : 0;
    p->keep_alive = p->conn_close = p->may_reuse = p->line_cr = 0;
    p->remaining = 0;
    p->line_len = p->total = p->buf_len = 0;
    p->n_digits = p->n_interim = 0;
}

void rl_h1_resp_free(rl_h1_resp_t *p)
{
    free(p->buf);
    p->buf = NULL;
    p->buf_len = p->buf_cap = 0;
}

int rl_h1_resp_reusable(const rl_h1_resp_t *p)
{
    return p->state == S_DONE && p->may_reuse;
}

rl_h1_ev_t rl_h1_resp_eof(rl_h1_resp_t *p)
{
    switch (p->state) {
    case S_BODY_CLOSE:
    case S_DONE:
        p->state = S_DONE;
        return RL_H1_DONE;
    case S_ERROR:
        return RL_H1_ERROR;
    case S_HEAD:
        return fail(p, p->total ? "connection closed in the middle of the response head"
                                : "connection closed before any response");
    default:
        return fail(p, "connection closed in the middle of the response body");
    }
}

/* ---- the head ---- */

static int name_is(const rl_hdr_t *h, const char *name, size_t len)
{
    return h->name_len == len && strncasecmp(h->name, name, len) == 0;
}

/* Calls fn(element, len, arg) for each non-empty element of a comma list,
 * OWS trimmed; stops at and returns fn's first non-zero answer. */
static int each_element(const char *v, size_t n, int (*fn)(const char *, size_t, void *), void *arg)
{
    size_t i = 0;
    while (i <= n) {
        size_t start = i;
        while (i < n && v[i] != ',')
            i++;
        size_t end = i;
        while (start < end && (v[start] == ' ' || v[start] == '\t'))
            start++;
        while (end > start && (v[end - 1] == ' ' || v[end - 1] == '\t'))
            end--;
        if (end > start) {
            int r = fn(v + start, end - start, arg);
            if (r != 0) return r;
        }
        i++;
    }
    return 0;
}

static int cl_element(const char *s, size_t n, void *arg)
{
    framing_t *f = arg;
    uint64_t v = 0;
    if (n > 18) return -2; /* < 10^18: no overflow, and far beyond any real body */
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (f->have_cl && f->cl != v) return -3;
    f->have_cl = 1;
    f->cl = v;
    return 0;
}

static int te_element(const char *s, size_t n, void *arg)
{
    framing_t *f = arg;
    if (n == 7 && strncasecmp(s, "chunked", 7) == 0)
        f->te_chunked++;
    else
        f->te_other++;
    return 0;
}

static int conn_element(const char *s, size_t n, void *arg)
{
    rl_h1_resp_t *p = arg;
    if (n == 5 && strncasecmp(s, "close", 5) == 0)
        p->conn_close = 1;
    else if (n == 10 && strncasecmp(s, "keep-alive", 10) == 0)
        p->keep_alive = 1;
    return 0;
}

/* The next line of a complete head, without its CRLF or LF. */
static const char *next_line(const char *h, size_t n, size_t *pos, size_t *len)
{
    const char *s = h + *pos;
    const char *nl = memchr(s, '\n', n - *pos);
    size_t l = (size_t)(nl - s);
    *pos += l + 1;
    if (l > 0 && s[l - 1] == '\r') l--;
    *len = l;
    return s;
}

static const char *parse_status_line(rl_h1_resp_t *p, const char *s, size_t n)
{
    if (n < 12 || memcmp(s, "HTTP/1.", 7) != 0 || s[7] < '0' || s[7] > '9' || s[8] != ' ')
        return "malformed status line";
    p->minor = s[7] - '0';
    int status = 0;
    for (int i = 9; i < 12; i++) {
        if (s[i] < '0' || s[i] > '9') return "malformed status code";
        status = status * 10 + (s[i] - '0');
    }
    if (status < 100 || status > 599) return "status code out of range";
    if (n > 12 && s[12] != ' ') return "malformed status line";
    p->status = status;
    p->reason = n > 13 ? s + 13 : s + n;
    p->reason_len = n > 13 ? n - 13 : 0;
    if (rl_http_has_ctl(p->reason, p->reason_len)) return "control character in the reason phrase";
    return NULL;
}

static const char *parse_field(rl_h1_resp_t *p, const char *s, size_t n, framing_t *f)
{
    size_t i = 0;
    if (s[0] == ' ' || s[0] == '\t') return "obs-fold (line folding) in the response head";
    while (i < n && rl_http_is_tchar((unsigned char)s[i]))
        i++;
    if (i == 0 || i == n || s[i] != ':') return "malformed header line";
    const char *v = s + i + 1, *ve = s + n;
    while (v < ve && (*v == ' ' || *v == '\t'))
        v++;
    while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
        ve--;
    if (rl_http_has_ctl(v, (size_t)(ve - v))) return "control character in a header value";
    if (p->n_hdrs == RL_H1_MAX_HEADERS) return "too many response headers";
    rl_hdr_t *h = &p->hdrs[p->n_hdrs++];
    *h = (rl_hdr_t){s, i, v, (size_t)(ve - v)};
    if (name_is(h, "content-length", 14)) {
        int r = h->value_len ? each_element(h->value, h->value_len, cl_element, f) : -1;
        if (r == -3) return "conflicting Content-Length values";
        if (r == -2) return "Content-Length too large";
        if (r != 0) return "malformed Content-Length";
    } else if (name_is(h, "transfer-encoding", 17)) {
        f->have_te = 1;
        each_element(h->value, h->value_len, te_element, f);
    } else if (name_is(h, "connection", 10)) {
        each_element(h->value, h->value_len, conn_element, p);
    }
    return NULL;
}

/* Parses a complete head (it ends with its blank line) and sets the body
 * state. Returns 1 for a final head, 0 for an interim (1xx) one, or -1. */
static int parse_head(rl_h1_resp_t *p, const char *h, size_t n)
{
    framing_t f = {0};
    size_t pos = 0, len;
    const char *line = next_line(h, n, &pos, &len), *why;
    p->n_hdrs = 0;
    p->conn_close = p->keep_alive = 0;
    if ((why = parse_status_line(p, line, len)) != NULL) return fail(p, why), -1;
    while ((line = next_line(h, n, &pos, &len)), len > 0)
        if ((why = parse_field(p, line, len, &f)) != NULL) return fail(p, why), -1;
    if (p->status < 200) {
        if (p->status == 101) return fail(p, "unexpected 101 Switching Protocols"), -1;
        if (++p->n_interim > RL_H1_MAX_INTERIM) return fail(p, "too many interim (1xx) responses"), -1;
        return 0;
    }
    if (f.have_te && (f.te_chunked != 1 || f.te_other != 0))
        return fail(p, "unsupported Transfer-Encoding (only chunked is)"), -1;
    p->may_reuse = p->minor >= 1 ? !p->conn_close : (p->keep_alive && !p->conn_close);
    if (p->is_head || p->status == 204 || p->status == 304) {
        p->state = S_DONE;
    } else if (f.have_te) {
        p->state = S_CHUNK_SIZE;
        if (f.have_cl || p->minor == 0) p->may_reuse = 0;
    } else if (f.have_cl) {
        p->remaining = f.cl;
        p->state = f.cl ? S_BODY_LEN : S_DONE;
    } else {
        p->state = S_BODY_CLOSE;
        p->may_reuse = 0;
    }
    return 1;
}

/* Scans for the end of the head. Returns 1 and *end (bytes of `in` that
 * belong to the head) when the blank line is in `in`, 0 when all of `in`
 * belongs to the head so far, -1 on error. */
static int scan_head(rl_h1_resp_t *p, const char *in, size_t len, size_t *end)
{
    size_t pos = 0;
    *end = 0;
    while (pos < len) {
        const char *nl = memchr(in + pos, '\n', len - pos);
        size_t stop = nl ? (size_t)(nl - in) : len;
        if (stop > pos) {
            p->line_cr = p->line_len == 0 && stop - pos == 1 && in[pos] == '\r';
            p->line_len += stop - pos;
        }
        p->total += stop - pos + (nl != NULL);
        if (p->total > RL_H1_MAX_HEAD) return fail(p, "response head too large"), -1;
        if (nl == NULL) break;
        pos = stop + 1;
        int blank = p->line_len == 0 || p->line_cr;
        if (blank && p->total == p->line_len + 1) return fail(p, "empty status line"), -1;
        p->line_len = 0;
        p->line_cr = 0;
        if (blank) {
            *end = pos;
            return 1;
        }
    }
    *end = len;
    return 0;
}

static int gather(rl_h1_resp_t *p, const char *in, size_t len)
{
    if (p->buf_len + len > p->buf_cap) {
        size_t cap = p->buf_cap ? p->buf_cap : 2048;
        while (cap < p->buf_len + len)
            cap *= 2;
        if (cap > RL_H1_MAX_HEAD) cap = RL_H1_MAX_HEAD; /* scan_head bounds buf_len + len */
        char *b = realloc(p->buf, cap);
        if (b == NULL) return fail(p, "out of memory"), -1;
        p->buf = b;
        p->buf_cap = cap;
    }
    memcpy(p->buf + p->buf_len, in, len);
    p->buf_len += len;
    return 0;
}

/* One step in S_HEAD: NEED_MORE (all of `in` taken), HEAD, ERROR, or
 * RL_H1_BODY as an internal "interim head skipped, go on". */
static rl_h1_ev_t feed_head(rl_h1_resp_t *p, const char *in, size_t len, size_t *used)
{
    size_t end;
    int r = scan_head(p, in, len, &end);
    *used = end;
    if (r < 0) return RL_H1_ERROR;
    if (r == 0) return gather(p, in, len) == 0 ? RL_H1_NEED_MORE : RL_H1_ERROR;
    const char *h = in;
    if (p->buf_len > 0) {
        if (gather(p, in, end) != 0) return RL_H1_ERROR;
        h = p->buf;
        end = p->buf_len;
    }
    p->buf_len = 0; /* the parsed head stays readable in buf until the next gather */
    r = parse_head(p, h, end);
    if (r < 0) return RL_H1_ERROR;
    if (r > 0) return RL_H1_HEAD;
    p->total = p->line_len = 0;
    p->line_cr = 0;
    return RL_H1_BODY;
}

/* ---- the body ---- */

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static void chunk_line_done(rl_h1_resp_t *p)
{
    p->line_len = 0;
    p->n_digits = 0;
    p->total = 0;
    p->line_cr = 0;
    p->state = p->remaining ? S_CHUNK_DATA : S_TRAILER;
}

/* A byte after the chunk size's digits: whitespace, ';', or the line end. */
static int after_digits(rl_h1_resp_t *p, char c)
{
    p->state = S_CHUNK_BWS;
    if (c == ' ' || c == '\t') return 0;
    if (c == ';')
        p->state = S_CHUNK_EXT;
    else if (c == '\r')
        p->state = S_CHUNK_LF;
    else if (c == '\n')
        chunk_line_done(p);
    else
        return fail(p, "malformed chunk size"), -1;
    return 0;
}

/* One byte of a chunk-size line or of the CRLF after chunk data. */
static int chunk_byte(rl_h1_resp_t *p, char c)
{
    if (++p->line_len > RL_H1_MAX_CHUNK_LINE) return fail(p, "chunk-size line too long"), -1;
    switch (p->state) {
    case S_CHUNK_SIZE: {
        int d = hexval(c);
        if (d >= 0) {
            if (p->remaining >> 59) return fail(p, "chunk size too large"), -1;
            p->remaining = p->remaining * 16 + (uint64_t)d;
            p->n_digits++;
            return 0;
        }
        if (p->n_digits == 0) return fail(p, "malformed chunk size"), -1;
        return after_digits(p, c);
    }
    case S_CHUNK_BWS:
        return after_digits(p, c);
    case S_CHUNK_EXT:
        if (c == '\r')
            p->state = S_CHUNK_LF;
        else if (c == '\n')
            chunk_line_done(p);
        else if (c == '\0')
            return fail(p, "NUL in a chunk extension"), -1;
        return 0;
    case S_CHUNK_LF:
        if (c != '\n') return fail(p, "bare CR in a chunk-size line"), -1;
        chunk_line_done(p);
        return 0;
    case S_CHUNK_CR:
        if (c == '\r')
            p->state = S_CHUNK_CRLF;
        else if (c == '\n')
            p->state = S_CHUNK_SIZE, p->line_len = 0;
        else
            return fail(p, "missing CRLF after chunk data"), -1;
        return 0;
    default: /* S_CHUNK_CRLF */
        if (c != '\n') return fail(p, "missing CRLF after chunk data"), -1;
        p->state = S_CHUNK_SIZE;
        p->line_len = 0;
        return 0;
    }
}

/* One byte of the trailer section; 1 when it ended. */
static int trailer_byte(rl_h1_resp_t *p, char c)
{
    if (c == '\n') {
        int blank = p->line_len == 0;
        p->line_len = 0;
        p->line_cr = 0;
        if (!blank) return 0;
        p->state = S_DONE;
        return 1;
    }
    if (p->line_cr) return fail(p, "bare CR in the trailer section"), -1;
    if (++p->total > RL_H1_MAX_TRAILERS) return fail(p, "trailer section too large"), -1;
    if (c == '\r')
        p->line_cr = 1;
    else if (c == '\0')
        return fail(p, "NUL in the trailer section"), -1;
    else
        p->line_len++;
    return 0;
}

/* Hands out up to p->remaining bytes of `in` as a slice. */
static rl_h1_ev_t slice(rl_h1_resp_t *p, const char *in, size_t avail, size_t *pos, const char **body,
                        size_t *body_len, int next)
{
    size_t n = p->remaining < avail ? (size_t)p->remaining : avail;
    *body = in + *pos;
    *body_len = n;
    *pos += n;
    p->remaining -= n;
    if (p->remaining == 0) p->state = next;
    return RL_H1_BODY;
}

rl_h1_ev_t rl_h1_resp_feed(rl_h1_resp_t *p, const char *in, size_t len, size_t *used, const char **body,
                           size_t *body_len)
{
    size_t pos = 0, u;
    rl_h1_ev_t ev = RL_H1_NEED_MORE;
    *body = NULL;
    *body_len = 0;
    for (;;) {
        size_t avail = len - pos;
        ev = RL_H1_NEED_MORE;
        switch (p->state) {
        case S_HEAD:
            if (avail == 0) goto out;
            ev = feed_head(p, in + pos, avail, &u);
            pos += u;
            if (ev == RL_H1_BODY) continue; /* an interim head: parse the next one */
            goto out;
        case S_BODY_LEN:
            if (avail == 0) goto out;
            ev = slice(p, in, avail, &pos, body, body_len, S_DONE);
            goto out;
        case S_BODY_CLOSE:
            if (avail == 0) goto out;
            p->remaining = avail;
            ev = slice(p, in, avail, &pos, body, body_len, S_BODY_CLOSE);
            goto out;
        case S_CHUNK_DATA:
            if (avail == 0) goto out;
            ev = slice(p, in, avail, &pos, body, body_len, S_CHUNK_CR);
            goto out;
        case S_TRAILER:
            while (pos < len && p->state == S_TRAILER)
                if (trailer_byte(p, in[pos++]) < 0) return *used = pos, RL_H1_ERROR;
            if (p->state == S_TRAILER) goto out;
            continue;
        case S_DONE:
            ev = RL_H1_DONE;
            goto out;
        case S_ERROR:
            ev = RL_H1_ERROR;
            goto out;
        default: /* chunk-size line, CRLF after data */
            if (avail == 0) goto out;
            if (chunk_byte(p, in[pos++]) < 0) return *used = pos, RL_H1_ERROR;
            continue;
        }
    }
out:
    *used = pos;
    return ev;
}
