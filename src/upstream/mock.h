/* mock.h — mock mode: fixtures that answer in place of a provider.
 *
 * A fixture says which requests it answers (method, path template, optional
 * query parameters and JSON body fields) and what it answers (status,
 * headers, a body or an SSE stream). Fixtures come from JSON text: built into
 * the binary by the presets (src/providers/presets.h) or read from a
 * provider's `mock.dir`; the format is documented in docs/mocks.md.
 *
 * Everything here is pure (no clock, no randomness, no sockets) except
 * rl_mock_load_dir, which reads files. The responder step of the request
 * path calls rl_mock_respond, then writes the result (after the delay of
 * rl_mock_fault_decide). Record mode turns a real exchange into fixture text
 * with rl_mock_record. Immutable once loaded: a rl_mock_set_t may be read
 * by every worker at once. */
#ifndef RL_UPSTREAM_MOCK_H
#define RL_UPSTREAM_MOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/err.h"

#define RL_MOCK_MAX_TEXT (1u << 20) /* bytes of one fixture file / JSON text */
#define RL_MOCK_MAX_EVENTS 1024     /* SSE events of one fixture */
#define RL_MOCK_MAX_CONDS 32        /* query + body conditions of one fixture */
#define RL_MOCK_MAX_PARAMS 16       /* path parameters of one template */
#define RL_MOCK_MAX_INTERVAL_MS 60000u

/* ---- the model ---------------------------------------------------------- */

typedef enum rl_mock_source {
    RL_MOCK_BUILTIN = 0, /* a preset's fixture, compiled into relais */
    RL_MOCK_FILE = 1,    /* from mock.dir: wins over every built-in one */
} rl_mock_source_t;

/* An owned name/value pair (fixture headers, query conditions). */
typedef struct rl_mock_kv {
    char *name;
    char *value;
} rl_mock_kv_t;

/* A JSON body condition: the member at dotted `path` ("a.b", "messages.0.role"
 * — a number indexes an array) must equal `value` (json_equal). */
typedef struct rl_mock_cond {
    char *path;
    json_t *value; /* owned reference */
} rl_mock_cond_t;

typedef struct rl_mock_fixture {
    char *name;   /* "default" when the file gives none */
    char *origin; /* where it came from, for messages: "mocks/a.json[2]" */
    rl_mock_source_t source;
    /* match */
    unsigned method; /* one RL_M_* bit, or RL_M_ALL; a GET fixture also answers HEAD */
    char *path;      /* template: "/v1/items/{id}", "/{rest*}", "/orders/{id}.json", "/api/0/" */
    rl_mock_kv_t *query;
    size_t n_query;
    rl_mock_cond_t *body_conds;
    size_t n_body_conds;
    /* response */
    int status;            /* 200–599, default 200 */
    rl_mock_kv_t *headers; /* lower-case names; always has content-type */
    size_t n_headers;
    char *body; /* response body text (JSON as compact text), may hold templates; "" when none */
    size_t body_len;
    bool sse;      /* answer is an event stream: events, not body */
    char **events; /* each event's lines without the blank line that ends it */
    size_t n_events;
    uint64_t interval_ms; /* between two events */
} rl_mock_fixture_t;

/* An ordered list of fixtures. Order matters only as the last tie-break
 * (earlier wins). */
typedef struct rl_mock_set {
    rl_mock_fixture_t *items;
    size_t n, cap;
} rl_mock_set_t;

#define RL_MOCK_SET_INIT                                                                                     \
    {                                                                                                        \
        NULL, 0, 0                                                                                           \
    }

/* Frees every fixture of `s`; `s` is empty and reusable after. */
void rl_mock_set_clear(rl_mock_set_t *s);

/* Parses fixture JSON text (one fixture object, or an array of them) and
 * appends the fixtures to `s`, tagged with `source` and named after `origin`
 * ("openai.json") in messages. All or nothing: on error nothing is appended.
 * Returns 0, or -RL_EBAD_REQUEST with a message naming the origin and the
 * offending key in `err`. */
int rl_mock_parse(rl_mock_set_t *s, const char *text, size_t len, const char *origin, rl_mock_source_t source,
                  rl_err_t *err);

/* Reads every regular file ending in ".json" directly in `dir` (not in
 * subdirectories), in name order, with rl_mock_parse as RL_MOCK_FILE.
 * Stops at the first bad file: returns -RL_EBAD_REQUEST (file name and
 * reason in `err`) and leaves the fixtures of the files before it in `s`.
 * A missing or unreadable directory is an error too. */
int rl_mock_load_dir(rl_mock_set_t *s, const char *dir, rl_err_t *err);

/* ---- Prefer (RFC 7240) ------------------------------------------------- */

#define RL_MOCK_PREFER_MAX 16
#define RL_MOCK_PREFER_NAME_MAX 32
#define RL_MOCK_PREFER_VALUE_MAX 128

typedef struct rl_mock_pref {
    char name[RL_MOCK_PREFER_NAME_MAX];   /* lower case */
    char value[RL_MOCK_PREFER_VALUE_MAX]; /* unquoted; "" when no value */
} rl_mock_pref_t;

typedef struct rl_mock_prefer {
    rl_mock_pref_t items[RL_MOCK_PREFER_MAX];
    size_t n;
} rl_mock_prefer_t;

/* Parses a Prefer header value (several headers may be joined with ", "):
 * comma-separated preferences `token [= word] *(; param)`, where a word is a
 * token or a quoted string (backslash escapes). Names are case-insensitive;
 * `;` parameters are checked then ignored; the first occurrence of a name
 * wins (RFC 7240 §2). A malformed element, or one whose name or value is too
 * long, is skipped up to the next comma outside quotes; the rest still
 * counts. At most RL_MOCK_PREFER_MAX are kept. Returns out->n. */
size_t rl_mock_prefer_parse(const char *s, size_t len, rl_mock_prefer_t *out);

/* The value of preference `name` (lower case), "" when it has none, NULL
 * when absent. */
const char *rl_mock_prefer_get(const rl_mock_prefer_t *p, const char *name);

/* ---- matching and answering ------------------------------------------- */

typedef struct rl_mock_req {
    unsigned method;  /* one RL_M_* bit */
    const char *path; /* the path sent to the provider, without the query */
    size_t path_len;
    const char *query; /* raw query string after '?', or NULL */
    size_t query_len;
    const char *body; /* request body, or NULL */
    size_t body_len;
    const char *prefer; /* Prefer header value(s), or NULL */
    size_t prefer_len;
} rl_mock_req_t;

typedef enum rl_mock_result {
    RL_MOCK_MATCHED = 0,     /* a fixture answers */
    RL_MOCK_SYNTHESIZED = 1, /* Prefer: code=NNN and no fixture has it: a generic error body */
    RL_MOCK_NO_MATCH = 2,    /* no fixture for this method and path */
} rl_mock_result_t;

typedef struct rl_mock_param {
    const char *name; /* into the fixture's template; not NUL-terminated */
    size_t name_len;
    const char *value; /* into req->path, raw; not NUL-terminated */
    size_t value_len;
} rl_mock_param_t;

typedef struct rl_mock_match {
    const rl_mock_fixture_t *fixture;            /* MATCHED: the winner (points into the set) */
    int status;                                  /* MATCHED: its status; SYNTHESIZED: the preferred code */
    char applied[RL_MOCK_PREFER_VALUE_MAX + 16]; /* Preference-Applied value ("example=x"), or "" */
    size_t n_params;
    rl_mock_param_t params[RL_MOCK_MAX_PARAMS]; /* of fixture->path */
} rl_mock_match_t;

/* Picks the fixture that answers `req`:
 * - candidates are the fixtures whose method and path template match;
 * - `Prefer: example=NAME` takes the candidate named NAME, `Prefer:
 *   code=NNN` one whose status is NNN (example first when both are given),
 *   preferring one whose query/body conditions hold; a preference no
 *   candidate can honour is ignored, except that code=NNN (200–599) with no
 *   such candidate gives RL_MOCK_SYNTHESIZED;
 * - otherwise, among candidates whose conditions all hold: a file fixture
 *   beats a built-in one, then the more specific template (segment by
 *   segment: literal > {param} > {rest*}), then more conditions, then the
 *   earlier one.
 * Fills `m` (its pointers borrow from `s` and `req`). Pure. */
rl_mock_result_t rl_mock_match(const rl_mock_set_t *s, const rl_mock_req_t *req, rl_mock_match_t *m);

/* What the responder writes. Everything is owned by the struct. */
typedef struct rl_mock_response {
    int status;
    rl_mock_kv_t *headers; /* lower-case names, content-type included */
    size_t n_headers;
    char *body; /* NUL-terminated; "" for SSE */
    size_t body_len;
    bool sse;
    char **events; /* write each as event + "\n\n": the first at once, then one per interval */
    size_t n_events;
    uint64_t interval_ms;
    char applied[RL_MOCK_PREFER_VALUE_MAX + 16]; /* for Preference-Applied, or "" */
} rl_mock_response_t;

/* Values for body templates. */
typedef struct rl_mock_vars {
    const char *request_id; /* {{request_id}}; NULL = "" */
    int64_t now;            /* {{now}}: Unix seconds */
} rl_mock_vars_t;

/* Matches `req` (rl_mock_match) and renders the answer into `out`: the
 * fixture's status, headers and body or events with templates expanded:
 *   {{request_id}}  {{now}}  {{path.NAME}}  {{query.NAME}}  {{body.a.b}}
 *   {{NAME|default}} (default text when NAME cannot be resolved)
 * (values JSON-escaped; a body field that is not a string is inserted as
 * JSON; a template that is a whole JSON string, "{{now}}", and gives a
 * number, boolean, object or null replaces the string, quotes included; an
 * unresolvable template without default is left as written).
 * SYNTHESIZED and NO_MATCH also fill `out`: a JSON error envelope with the
 * preferred status, or 404 `not_found`. Returns the rl_mock_match result;
 * free `out` with rl_mock_response_free in every case. */
rl_mock_result_t rl_mock_respond(const rl_mock_set_t *s, const rl_mock_req_t *req, const rl_mock_vars_t *vars,
                                 rl_mock_response_t *out);

/* Frees what `r` owns and zeroes it. */
void rl_mock_response_free(rl_mock_response_t *r);

/* Expands the templates of `tmpl` (see rl_mock_respond) for `req` and `m`
 * into a malloc'd NUL-terminated string; *out_len gets its length. */
char *rl_mock_render(const char *tmpl, size_t len, const rl_mock_req_t *req, const rl_mock_match_t *m,
                     const rl_mock_vars_t *vars, size_t *out_len);

/* ---- fault injection ---------------------------------------------------- */

typedef struct rl_mock_fault_cfg {
    uint64_t latency_ms; /* mock.latency: added before every mocked answer */
    double error_rate;   /* mock.error_rate, 0..1: share of answers replaced by a 503 */
    uint64_t seed;       /* mock.seed */
} rl_mock_fault_cfg_t;

typedef struct rl_mock_fault {
    uint64_t delay_ms; /* wait this long before answering */
    bool error;        /* answer with rl_mock_fault_response instead of the fixture */
} rl_mock_fault_t;

/* Decides the fate of the `counter`-th mocked request of a provider (count
 * from 0, one counter per provider). Pure and reproducible: the same seed
 * and counter always give the same answer; the draw is splitmix64(seed,
 * counter) mapped to [0,1) and compared with error_rate (0 never, 1 always).
 * The delay is latency_ms, for errors too. */
rl_mock_fault_t rl_mock_fault_decide(const rl_mock_fault_cfg_t *cfg, uint64_t counter);

/* Fills `out` with the injected error: 503, `retry-after: 1`, and a JSON
 * envelope {"success":false,"error":{"code":"service_unavailable",…}} carrying
 * vars->request_id. Free with rl_mock_response_free. */
void rl_mock_fault_response(const rl_mock_vars_t *vars, rl_mock_response_t *out);

/* ---- record mode -------------------------------------------------------- */

typedef struct rl_mock_header {
    const char *name;
    const char *value;
} rl_mock_header_t;

/* One real exchange, as relais saw it. */
typedef struct rl_mock_exchange {
    const char *name;   /* fixture name; NULL = "recorded" */
    const char *method; /* "POST" */
    const char *path;   /* the path sent to the provider, without the query */
    const char *query;  /* raw query after '?', or NULL */
    const char *req_body;
    size_t req_body_len;
    int status;
    const rl_mock_header_t *resp_headers;
    size_t n_resp_headers;
    const char *resp_body;
    size_t resp_body_len;
} rl_mock_exchange_t;

/* True when a header or query parameter called `name` carries a credential:
 * authorization, proxy-authorization, cookie, set-cookie, x-api-key,
 * api-key, or any name containing key, token, secret, signature or password
 * (case-insensitive). */
bool rl_mock_is_sensitive(const char *name);

/* Turns `ex` into the text of a fixture file (pretty JSON, ending in "\n";
 * malloc'd, caller frees; NULL only if the exchange is unusable: no method or
 * path, status outside 100–599). Credentials are redacted:
 * - response headers named as in rl_mock_is_sensitive get "[REDACTED]";
 *   hop-by-hop headers, content-length and date are dropped;
 * - query parameters are kept as match conditions, except sensitive ones;
 * - every occurrence of each of the `n_secrets` values (those of at least 4
 *   bytes; the provider's credential env vars) anywhere in the text becomes
 *   "[REDACTED]".
 * The match has the method, the path as sent, the non-sensitive query and,
 * when the request body is a JSON object with a boolean "stream", that one
 * body condition. A JSON response body is stored as JSON, a text/event-stream
 * one as `sse` events, anything else as a string (invalid UTF-8 bytes become
 * U+FFFD). */
char *rl_mock_record(const rl_mock_exchange_t *ex, const char *const *secrets, size_t n_secrets);

/* A file name for a recorded fixture: "post_v1_chat_completions_200.json"
 * (lower case, every run of other bytes as one '_', at most cap-1 bytes).
 * Returns its length. */
size_t rl_mock_record_filename(const char *method, const char *path, int status, char *out, size_t cap);

#endif
