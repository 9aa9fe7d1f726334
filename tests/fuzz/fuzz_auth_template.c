/* fuzz_auth_template.c — libFuzzer driver for the hmac message template
 * (upstream/hmac_sign). Byte 0 splits the input: the template, then the
 * body. A template that parses must render to exactly the sum of its parts'
 * sizes, its text parts must lie inside its text buffer, and a template that
 * fails must leave nothing behind. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "upstream/hmac_sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    size_t split = data[0] < size - 1 ? data[0] : size - 1;
    const char *tmpl = (const char *)data + 1, *body = tmpl + split;
    size_t body_len = size - 1 - split;
    rl_hmac_tmpl_t t;
    char why[192];
    if (rl_hmac_tmpl_parse(tmpl, split, &t, why, sizeof(why)) < 0) {
        if (t.text != NULL || t.n_parts != 0 || why[0] == '\0') abort();
        return 0;
    }
    if (t.n_parts > RL_TMPL_MAX_PARTS) abort();
    size_t text_len = 0, expect = 0, body_parts = 0;
    for (size_t i = 0; i < t.n_parts; i++) {
        const rl_tmpl_part_t *p = &t.parts[i];
        if (p->kind == RL_TMPL_TEXT) {
            if (p->off != text_len || p->len == 0) abort();
            text_len += p->len;
            expect += p->len;
        }
        expect += p->kind == RL_TMPL_METHOD  ? 4
                  : p->kind == RL_TMPL_PATH  ? 2
                  : p->kind == RL_TMPL_QUERY ? 3
                                             : 0;
        expect += p->kind == RL_TMPL_TIMESTAMP ? 10 : p->kind == RL_TMPL_BODY ? body_len : 0;
        expect += p->kind == RL_TMPL_BODY_SHA256 ? 64 : 0;
        body_parts += p->kind == RL_TMPL_BODY || p->kind == RL_TMPL_BODY_SHA256;
    }
    if (text_len > split || t.uses_body != (body_parts > 0)) abort();
    rl_hmac_vars_t v = {"POST", "/x", "a=1", "1700000000", body, 4, 2, 3, 10, body_len};
    char *out = NULL, sig[RL_HMAC_SIG_MAX];
    size_t out_len = 0;
    if (rl_hmac_render(&t, &v, &out, &out_len) < 0) abort();
    if (out_len != expect || out[out_len] != '\0') abort();
    if (rl_hmac_sign(RL_HMAC_SHA512, RL_HMAC_BASE64, "k", 1, out, out_len, sig, sizeof(sig)) != 88) abort();
    free(out);
    rl_hmac_tmpl_free(&t);
    return 0;
}
