/* fuzz_jwt.c — libFuzzer driver for the JWT compact parser and the claim and
 * scope readers behind it. Invariants: a parsed token has a supported alg, a
 * non-empty signature and an object payload whose signing input ends at the
 * second dot; the claim check never crashes on any payload. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/jwt.h"

static void count(void *ud, const char *s, size_t n)
{
    if (n == 0 || memchr(s, ' ', n) != NULL) abort();
    (*(size_t *)ud)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *tok = (const char *)data;
    rl_jwt_token_t t;
    const char *why = NULL;
    if (rl_jwt_parse(tok, size, &t, &why) == 0) {
        if (t.alg == RL_JWT_ALG_NONE || t.sig_len == 0 || !json_is_object(t.claims)) abort();
        if (t.signing_len >= size || tok[t.signing_len] != '.') abort();
        rl_jwt_rules_t rules = {.issuer = "iss", .audience = "aud", .leeway_ms = 1000};
        (void)rl_jwt_check_claims(t.claims, &rules, 1700000000000ull, &why);
        size_t n = 0;
        if (rl_jwt_scopes(t.claims, count, &n) != n) abort();
    } else if (why == NULL) {
        abort();
    }
    rl_jwt_token_free(&t);
    return 0;
}
