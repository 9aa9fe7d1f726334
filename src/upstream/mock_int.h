/* mock_int.h — private to src/upstream/mock*.c: a growable text buffer, the
 * per-request matching context (which parses the request body at most once)
 * and the helpers the loader, the renderer and the recorder share. */
#ifndef RL_UPSTREAM_MOCK_INT_H
#define RL_UPSTREAM_MOCK_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "upstream/mock.h"

#define RL_MOCK_MAX_RENDER (16u << 20) /* bytes of one rendered body: templates past it stay as written */

/* A NUL-terminated growable string; aborts on allocation failure. */
typedef struct rl_mock_buf {
    char *data;
    size_t len, cap;
} rl_mock_buf_t;

void rl_mock_buf_append(rl_mock_buf_t *b, const char *s, size_t len);
void rl_mock_buf_printf(rl_mock_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One match in progress: the request, and its body parsed on first need. */
typedef struct rl_mock_ctx {
    const rl_mock_set_t *set;
    const rl_mock_req_t *req;
    bool parsed;
    json_t *doc; /* owned; NULL when the body is absent or not JSON */
} rl_mock_ctx_t;

/* rl_mock_match with a context the caller frees (json_decref(x->doc)). */
rl_mock_result_t rl_mock_match_ctx(rl_mock_ctx_t *x, rl_mock_match_t *m);

/* The request body as JSON (parsed once), or NULL. */
json_t *rl_mock_req_json(rl_mock_ctx_t *x);

/* The value at dotted `path` (len bytes) in `doc`, or NULL. */
json_t *rl_mock_json_lookup(json_t *doc, const char *path, size_t len);

/* The raw (still encoded) value of the first query parameter whose decoded
 * name is `name`. */
bool rl_mock_query_get(const char *q, size_t qlen, const char *name, const char **val, size_t *val_len);

void *rl_mock_xcalloc(size_t n, size_t size);
char *rl_mock_xstrndup(const char *s, size_t len);

/* A JSON error envelope {"success":false,"error":{code,message,request_id}}
 * as the whole response: status, content-type, retry-after on 429/503. */
void rl_mock_error_response(int status, const char *code, const char *message, const char *request_id,
                            rl_mock_response_t *out);

#endif
