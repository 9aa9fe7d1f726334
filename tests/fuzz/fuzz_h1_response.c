/* fuzz_h1_response.c — libFuzzer driver for upstream/h1_response. Input: byte
 * 0 holds flags (bit 0: a HEAD request, bit 1: EOF after the last byte),
 * byte 1 seeds the piece sizes; the rest is the response. It is parsed whole
 * and again in arbitrary pieces, each in its own exact-size heap buffer; both
 * runs must hand out the same head, body, end and reuse verdict. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "upstream/h1_response.h"

typedef struct outcome {
    rl_h1_ev_t ev;
    int status, heads, reusable;
    size_t n_hdrs, fields_hash, after;
    char *body;
    size_t body_len;
} outcome_t;

static size_t hash(size_t h, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = h * 31 + (unsigned char)p[i];
    return h;
}

static void on_head(outcome_t *o, const rl_h1_resp_t *p)
{
    if (p->status < 200 || p->status > 599 || p->n_hdrs > RL_H1_MAX_HEADERS) abort();
    o->heads++;
    o->status = p->status;
    o->n_hdrs = p->n_hdrs;
    size_t h = hash(0, p->reason, p->reason_len);
    for (size_t i = 0; i < p->n_hdrs; i++) {
        if (p->hdrs[i].name_len == 0) abort();
        h = hash(h, p->hdrs[i].name, p->hdrs[i].name_len);
        h = hash(h, p->hdrs[i].value, p->hdrs[i].value_len);
    }
    o->fields_hash = h;
}

/* Feeds one piece; 1 when the response ended. */
static int feed(rl_h1_resp_t *p, const uint8_t *piece, size_t n, size_t rest, outcome_t *o)
{
    char *buf = malloc(n ? n : 1);
    memcpy(buf, piece, n);
    size_t off = 0;
    int ended = 0;
    for (;;) {
        size_t used, bl;
        const char *b;
        rl_h1_ev_t ev = rl_h1_resp_feed(p, buf + off, n - off, &used, &b, &bl);
        if (used > n - off) abort();
        off += used;
        if (ev == RL_H1_HEAD) {
            if (o->heads) abort();
            on_head(o, p);
            continue;
        }
        if (ev == RL_H1_BODY) {
            if (!o->heads || bl == 0 || b + bl != buf + off) abort();
            o->body = realloc(o->body, o->body_len + bl);
            memcpy(o->body + o->body_len, b, bl);
            o->body_len += bl;
            continue;
        }
        if (ev == RL_H1_NEED_MORE) {
            if (off != n) abort();
        } else {
            o->ev = ev;
            o->after = ev == RL_H1_DONE ? n - off + rest : 0;
            o->reusable = rl_h1_resp_reusable(p);
            if (ev == RL_H1_ERROR && p->error == NULL) abort();
            ended = 1;
        }
        break;
    }
    free(buf);
    return ended;
}

static void run(const uint8_t *in, size_t len, int is_head, int eof, uint32_t seed, outcome_t *o)
{
    rl_h1_resp_t p = {0};
    memset(o, 0, sizeof(*o));
    rl_h1_resp_reset(&p, is_head);
    size_t off = 0;
    while (off < len) {
        size_t n = len - off;
        if (seed != 0) { /* piece sizes from a xorshift, mostly small */
            seed ^= seed << 13, seed ^= seed >> 17, seed ^= seed << 5;
            size_t max = (seed & 3) == 0 ? 4096 : (seed & 3) == 1 ? 64 : 3;
            n = 1 + (seed >> 8) % max;
            if (n > len - off) n = len - off;
        }
        if (feed(&p, in + off, n, len - off - n, o)) goto out;
        off += n;
    }
    o->ev = RL_H1_NEED_MORE;
    if (eof) {
        o->ev = rl_h1_resp_eof(&p);
        o->reusable = rl_h1_resp_reusable(&p);
        if (o->ev != RL_H1_DONE && o->ev != RL_H1_ERROR) abort();
    }
out:
    if (o->ev == RL_H1_DONE && !o->heads) abort();
    if (o->body_len > len) abort();
    rl_h1_resp_free(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    int is_head = data[0] & 1, eof = (data[0] >> 1) & 1;
    uint32_t seed = (uint32_t)data[1] * 2654435761u | 1u;
    outcome_t whole, pieces;
    run(data + 2, size - 2, is_head, eof, 0, &whole);
    run(data + 2, size - 2, is_head, eof, seed, &pieces);
    if (whole.ev != pieces.ev || whole.status != pieces.status || whole.heads != pieces.heads ||
        whole.n_hdrs != pieces.n_hdrs || whole.fields_hash != pieces.fields_hash ||
        whole.reusable != pieces.reusable || whole.body_len != pieces.body_len ||
        (whole.ev == RL_H1_DONE && whole.after != pieces.after) ||
        (whole.body_len && memcmp(whole.body, pieces.body, whole.body_len) != 0))
        abort();
    free(whole.body);
    free(pieces.body);
    return 0;
}
