/* fuzz_mock_fixture.c — libFuzzer driver for the mock fixture loader
 * (upstream/mock.h). Input: fixture JSON text. A text that loads is then
 * matched and rendered against a request derived from its first fixture, and
 * must load again from its recorded form (rl_mock_record). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/method.h"
#include "upstream/mock.h"

static void exercise(const rl_mock_set_t *s)
{
    const rl_mock_fixture_t *f = &s->items[0];
    rl_mock_req_t r = {.method = f->method == RL_M_ALL ? RL_M_GET : f->method,
                       .path = f->path,
                       .path_len = strlen(f->path),
                       .query = "a=1&b=%20",
                       .query_len = 9,
                       .body = "{\"stream\":true,\"model\":\"m\"}",
                       .body_len = 27,
                       .prefer = "example=ok, code=429",
                       .prefer_len = 20};
    rl_mock_vars_t vars = {.request_id = "id", .now = 1};
    rl_mock_response_t out;
    rl_mock_result_t res = rl_mock_respond(s, &r, &vars, &out);
    if (res != RL_MOCK_NO_MATCH && out.status < 200) abort();
    if (out.body == NULL || strlen(out.body) != out.body_len) abort();
    rl_mock_header_t h[] = {{"content-type", "application/json"}};
    rl_mock_exchange_t ex = {.method = "GET",
                             .path = "/x",
                             .status = out.status,
                             .resp_headers = h,
                             .n_resp_headers = 1,
                             .resp_body = out.body,
                             .resp_body_len = out.body_len};
    const char *secrets[] = {"secret-value"};
    char *text = rl_mock_record(&ex, secrets, 1);
    if (text) {
        rl_mock_set_t again = RL_MOCK_SET_INIT;
        rl_err_t err = {0};
        if (rl_mock_parse(&again, text, strlen(text), "rec", RL_MOCK_FILE, &err) != 0) abort();
        rl_mock_set_clear(&again);
        free(text);
    }
    rl_mock_response_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rl_mock_set_t s = RL_MOCK_SET_INIT;
    rl_err_t err = {0};
    int rc = rl_mock_parse(&s, (const char *)data, size, "fuzz", RL_MOCK_FILE, &err);
    if (rc != 0 && s.n != 0) abort(); /* all or nothing */
    if (rc == 0 && s.n > 0) exercise(&s);
    rl_mock_set_clear(&s);
    return 0;
}
