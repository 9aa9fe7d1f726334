/* hmac_sign.c — hmac message templates and signatures, see hmac_sign.h.
 * The template is parsed once at config load into parts that point into one
 * unescaped text buffer, so rendering per request is a single pass. */
#include "upstream/hmac_sign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/hex.h"
#include "core/sha256.h"

static const struct {
    const char *name;
    rl_tmpl_kind_t kind;
} placeholders[] = {
    {"method", RL_TMPL_METHOD},       {"path", RL_TMPL_PATH}, {"query", RL_TMPL_QUERY},
    {"timestamp", RL_TMPL_TIMESTAMP}, {"body", RL_TMPL_BODY}, {"body_sha256", RL_TMPL_BODY_SHA256},
};

static int fail(rl_hmac_tmpl_t *t, char *why, size_t cap, const char *msg, const char *name, size_t n)
{
    if (why && cap) snprintf(why, cap, msg, (int)(n > 32 ? 32 : n), name);
    rl_hmac_tmpl_free(t);
    return -1;
}

/* Appends a part; merges text with a preceding text part. */
static int add_part(rl_hmac_tmpl_t *t, rl_tmpl_kind_t kind, size_t off, size_t len)
{
    if (kind == RL_TMPL_TEXT && t->n_parts > 0 && t->parts[t->n_parts - 1].kind == RL_TMPL_TEXT) {
        t->parts[t->n_parts - 1].len += len;
        return 0;
    }
    if (t->n_parts == RL_TMPL_MAX_PARTS) return -1;
    t->parts[t->n_parts++] = (rl_tmpl_part_t){kind, off, len};
    if (kind == RL_TMPL_BODY || kind == RL_TMPL_BODY_SHA256) t->uses_body = true;
    return 0;
}

static int lookup(const char *name, size_t n, rl_tmpl_kind_t *kind)
{
    for (size_t i = 0; i < sizeof(placeholders) / sizeof(placeholders[0]); i++)
        if (strlen(placeholders[i].name) == n && memcmp(placeholders[i].name, name, n) == 0) {
            *kind = placeholders[i].kind;
            return 0;
        }
    return -1;
}

int rl_hmac_tmpl_parse(const char *s, size_t len, rl_hmac_tmpl_t *out, char *why, size_t why_cap)
{
    static const char too_many[] = "too many parts (at most 32 placeholders and texts)%.*s";
    memset(out, 0, sizeof(*out));
    out->text = malloc(len + 1);
    if (out->text == NULL) return fail(out, why, why_cap, "out of memory%.*s", "", 0);
    size_t tlen = 0;
    for (size_t i = 0; i < len;) {
        char ch = s[i];
        if ((ch == '{' || ch == '}') && i + 1 < len && s[i + 1] == ch) {
            if (add_part(out, RL_TMPL_TEXT, tlen, 1) < 0) return fail(out, why, why_cap, too_many, "", 0);
            out->text[tlen++] = ch;
            i += 2;
        } else if (ch == '}') {
            return fail(out, why, why_cap, "lone '}' (write '}}' for a literal brace)%.*s", "", 0);
        } else if (ch == '{') {
            const char *end = memchr(s + i + 1, '}', len - i - 1);
            rl_tmpl_kind_t kind;
            if (end == NULL)
                return fail(out, why, why_cap, "unclosed '{' (write '{{' for a literal brace)%.*s", "", 0);
            size_t n = (size_t)(end - (s + i + 1));
            if (lookup(s + i + 1, n, &kind) < 0)
                return fail(out, why, why_cap,
                            "unknown placeholder '{%.*s}' (expected {method}, {path}, {query}, {timestamp}, "
                            "{body} or {body_sha256})",
                            s + i + 1, n);
            if (add_part(out, kind, 0, 0) < 0) return fail(out, why, why_cap, too_many, "", 0);
            i += n + 2;
        } else {
            size_t n = 1;
            while (i + n < len && s[i + n] != '{' && s[i + n] != '}')
                n++;
            if (add_part(out, RL_TMPL_TEXT, tlen, n) < 0) return fail(out, why, why_cap, too_many, "", 0);
            memcpy(out->text + tlen, s + i, n);
            tlen += n;
            i += n;
        }
    }
    out->text[tlen] = '\0';
    return 0;
}

void rl_hmac_tmpl_free(rl_hmac_tmpl_t *t)
{
    free(t->text);
    memset(t, 0, sizeof(*t));
}

/* The bytes a part stands for; `scratch` holds a computed body hash. */
static const char *part_value(const rl_hmac_tmpl_t *t, const rl_tmpl_part_t *p, const rl_hmac_vars_t *v,
                              char scratch[65], size_t *n)
{
    switch (p->kind) {
    case RL_TMPL_TEXT:
        *n = p->len;
        return t->text + p->off;
    case RL_TMPL_METHOD:
        *n = v->method_len;
        return v->method;
    case RL_TMPL_PATH:
        *n = v->path_len;
        return v->path;
    case RL_TMPL_QUERY:
        *n = v->query_len;
        return v->query;
    case RL_TMPL_TIMESTAMP:
        *n = v->timestamp_len;
        return v->timestamp;
    case RL_TMPL_BODY:
        *n = v->body_len;
        return v->body;
    case RL_TMPL_BODY_SHA256: {
        uint8_t md[RL_SHA256_LEN];
        rl_sha256(v->body, v->body_len, md);
        scratch[rl_hex_encode(md, sizeof(md), scratch)] = '\0';
        *n = 64;
        return scratch;
    }
    }
    *n = 0;
    return NULL;
}

int rl_hmac_render(const rl_hmac_tmpl_t *t, const rl_hmac_vars_t *v, char **out, size_t *out_len)
{
    char scratch[65];
    size_t total = 0, n;
    for (size_t i = 0; i < t->n_parts; i++) {
        part_value(t, &t->parts[i], v, scratch, &n);
        total += n;
    }
    char *buf = malloc(total + 1);
    if (buf == NULL) return -1;
    size_t off = 0;
    for (size_t i = 0; i < t->n_parts; i++) {
        const char *p = part_value(t, &t->parts[i], v, scratch, &n);
        if (n) memcpy(buf + off, p, n);
        off += n;
    }
    buf[off] = '\0';
    *out = buf;
    *out_len = off;
    return 0;
}

int rl_hmac_sign(rl_hmac_alg_t alg, rl_hmac_enc_t enc, const char *key, size_t key_len, const char *msg,
                 size_t msg_len, char *out, size_t cap)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    const EVP_MD *evp = alg == RL_HMAC_SHA512 ? EVP_sha512() : EVP_sha256();
    if (HMAC(evp, key ? key : "", (int)key_len, (const unsigned char *)(msg ? msg : ""), msg_len, md,
             &md_len) == NULL)
        return -1;
    if (enc == RL_HMAC_HEX) {
        if (cap < 2 * (size_t)md_len + 1) return -1;
        out[rl_hex_encode(md, md_len, out)] = '\0';
        return (int)(2 * md_len);
    }
    if (cap < 4 * (((size_t)md_len + 2) / 3) + 1) return -1;
    return EVP_EncodeBlock((unsigned char *)out, md, (int)md_len);
}
