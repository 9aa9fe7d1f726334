/* fuzz_auth_answer.c — libFuzzer driver for the oauth2 token endpoint's
 * answer parser (upstream/oauth2_token). Whatever the bytes, it must either
 * fail with a reason or give a non-empty token free of control characters,
 * of the length it reports, with expires_in -1 or positive. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "upstream/oauth2_token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rl_oauth2_answer_t a;
    char why[128] = "";
    if (rl_oauth2_parse_answer((const char *)data, size, &a, why, sizeof(why)) < 0) {
        if (a.access_token != NULL || why[0] == '\0') abort();
        return 0;
    }
    if (a.access_token == NULL || a.token_len == 0 || strlen(a.access_token) != a.token_len) abort();
    for (size_t i = 0; i < a.token_len; i++)
        if ((unsigned char)a.access_token[i] < 0x20 || a.access_token[i] == 0x7f) abort();
    if (a.expires_in != -1 && a.expires_in <= 0) abort();
    rl_oauth2_answer_free(&a);
    return 0;
}
