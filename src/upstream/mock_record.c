/* mock_record.c — record mode's pure half, see mock.h: one real exchange
 * becomes the text of a fixture file that rl_mock_parse reads back, with
 * every credential redacted. The responder step writes the file; nothing
 * here touches the disk. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/jsonw.h"
#include "upstream/mock_int.h"

#define REDACTED "[REDACTED]"
#define MIN_SECRET 4 /* shorter values would redact ordinary text */

bool rl_mock_is_sensitive(const char *name)
{
    static const char *const exact[] = {
        "authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key", NULL};
    static const char *const parts[] = {"key", "token", "secret", "signature", "password", NULL};
    char low[128];
    size_t n = strlen(name);
    if (n >= sizeof(low)) n = sizeof(low) - 1;
    for (size_t i = 0; i < n; i++)
        low[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
    low[n] = '\0';
    for (size_t i = 0; exact[i]; i++)
        if (strcmp(low, exact[i]) == 0) return true;
    for (size_t i = 0; parts[i]; i++)
        if (strstr(low, parts[i])) return true;
    return false;
}

/* Length of the valid UTF-8 sequence at s (1–4), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
    if (s[0] < 0x80) return 1;
    size_t n = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0;
    if (n == 0 || s[0] > 0xF4 || n > len) return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    if (n == 3 && ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] >= 0xA0))) return 0;
    if (n == 4 && ((s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] >= 0x90))) return 0;
    return n;
}

/* A JSON string of `s`, invalid UTF-8 bytes replaced by U+FFFD. */
static json_t *clean_string(const char *s, size_t len)
{
    rl_mock_buf_t b = {0};
    rl_mock_buf_append(&b, "", 0);
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq((const unsigned char *)s + i, len - i);
        rl_mock_buf_append(&b, n ? s + i : "\xEF\xBF\xBD", n ? n : 3);
        i += n ? n : 1;
    }
    json_t *j = json_stringn(b.data, b.len);
    free(b.data);
    return j ? j : json_string("");
}

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

/* Form-decodes (%XX, '+') `s` into a malloc'd string; *out_len its length. */
static char *decode(const char *s, size_t len, size_t *out_len)
{
    char *out = rl_mock_xcalloc(len + 1, 1);
    size_t j = 0;
    for (size_t i = 0; i < len; i++) {
        int ch = (unsigned char)s[i];
        if (ch == '+') {
            ch = ' ';
        } else if (ch == '%' && i + 2 < len && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            ch = hexval(s[i + 1]) * 16 + hexval(s[i + 2]);
            i += 2;
        }
        out[j++] = (char)ch;
    }
    *out_len = j;
    return out;
}

static json_t *record_query(const char *q)
{
    json_t *obj = json_object();
    size_t qlen = q ? strlen(q) : 0;
    for (size_t i = 0; i < qlen;) {
        const char *amp = memchr(q + i, '&', qlen - i);
        size_t end = amp ? (size_t)(amp - q) : qlen;
        const char *eq = memchr(q + i, '=', end - i);
        size_t nend = eq ? (size_t)(eq - q) : end, nlen, vlen;
        char *name = decode(q + i, nend - i, &nlen);
        char *value = eq ? decode(eq + 1, end - nend - 1, &vlen) : rl_mock_xstrndup("", vlen = 0);
        json_t *jv = clean_string(value, vlen);
        if (nlen && strlen(name) == nlen && !rl_mock_is_sensitive(name) && json_object_get(obj, name) == NULL)
            json_object_set(obj, name, jv);
        json_decref(jv);
        free(name);
        free(value);
        i = end + 1;
    }
    return obj;
}

static bool dropped_header(const char *low)
{
    static const char *const drop[] = {
        "connection",     "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection",
        "content-length", "date",       "content-encoding",  NULL};
    for (size_t i = 0; drop[i]; i++)
        if (strcmp(low, drop[i]) == 0) return true;
    return false;
}

/* Response headers by lower-case name; repeated ones joined with ", ". */
static json_t *record_headers(const rl_mock_exchange_t *ex, const char **ctype)
{
    json_t *obj = json_object();
    for (size_t i = 0; i < ex->n_resp_headers; i++) {
        const rl_mock_header_t *h = &ex->resp_headers[i];
        char low[128];
        size_t n = h->name ? strlen(h->name) : 0;
        if (n == 0 || n >= sizeof(low)) continue;
        for (size_t k = 0; k <= n; k++)
            low[k] = (char)(h->name[k] >= 'A' && h->name[k] <= 'Z' ? h->name[k] + 32 : h->name[k]);
        if (dropped_header(low)) continue;
        const char *v = rl_mock_is_sensitive(low) ? REDACTED : h->value ? h->value : "";
        json_t *prev = json_object_get(obj, low);
        if (prev && strcmp(json_string_value(prev), v) != 0) {
            rl_mock_buf_t b = {0};
            rl_mock_buf_printf(&b, "%s, %s", json_string_value(prev), v);
            json_object_set_new(obj, low, clean_string(b.data, b.len));
            free(b.data);
        } else if (prev == NULL) {
            json_object_set_new(obj, low, clean_string(v, strlen(v)));
        }
    }
    json_t *ct = json_object_get(obj, "content-type");
    *ctype = ct ? json_string_value(ct) : "";
    return obj;
}

/* An event stream split into its events (blank-line separated). */
static json_t *record_events(const char *s, size_t len)
{
    json_t *arr = json_array();
    rl_mock_buf_t b = {0};
    for (size_t i = 0; i < len; i++)
        if (s[i] != '\r') rl_mock_buf_append(&b, s + i, 1);
    for (size_t i = 0; i < b.len && json_array_size(arr) < RL_MOCK_MAX_EVENTS;) {
        char *end = strstr(b.data + i, "\n\n");
        size_t n = end ? (size_t)(end - b.data) - i : b.len - i;
        while (n > 0 && b.data[i + n - 1] == '\n')
            n--;
        if (n > 0) json_array_append_new(arr, clean_string(b.data + i, n));
        i += (end ? (size_t)(end - b.data) - i + 2 : b.len - i);
    }
    free(b.data);
    return arr;
}

static void record_body(json_t *resp, const rl_mock_exchange_t *ex, const char *ctype)
{
    const char *body = ex->resp_body ? ex->resp_body : "";
    size_t len = ex->resp_body ? ex->resp_body_len : 0;
    if (strncasecmp(ctype, "text/event-stream", 17) == 0) {
        json_t *events = record_events(body, len);
        if (json_array_size(events) > 0) {
            json_object_set_new(resp, "sse", json_pack("{s:o}", "events", events));
            return;
        }
        json_decref(events);
    }
    if (len == 0) return;
    json_t *j = json_loadb(body, len, JSON_DECODE_ANY, NULL);
    json_object_set_new(resp, "body", j ? j : clean_string(body, len));
}

static json_t *record_match(const rl_mock_exchange_t *ex)
{
    json_t *m = json_pack("{s:s, s:s}", "method", ex->method, "path", ex->path);
    json_t *q = record_query(ex->query);
    if (json_object_size(q)) json_object_set(m, "query", q);
    json_decref(q);
    json_t *body = ex->req_body ? json_loadb(ex->req_body, ex->req_body_len, 0, NULL) : NULL;
    json_t *stream = json_is_object(body) ? json_object_get(body, "stream") : NULL;
    if (json_is_boolean(stream)) json_object_set_new(m, "body", json_pack("{s:O}", "stream", stream));
    json_decref(body);
    return m;
}

/* Replaces every occurrence of `needle` in b with REDACTED. */
static void replace_all(rl_mock_buf_t *b, const char *needle, size_t nlen)
{
    rl_mock_buf_t out = {0};
    rl_mock_buf_append(&out, "", 0);
    size_t i = 0;
    for (const char *hit; (hit = memmem(b->data + i, b->len - i, needle, nlen)) != NULL;) {
        rl_mock_buf_append(&out, b->data + i, (size_t)(hit - b->data) - i);
        rl_mock_buf_append(&out, REDACTED, strlen(REDACTED));
        i = (size_t)(hit - b->data) + nlen;
    }
    rl_mock_buf_append(&out, b->data + i, b->len - i);
    free(b->data);
    *b = out;
}

/* Each secret as written and as it reads once JSON-escaped. */
static void redact_secrets(rl_mock_buf_t *b, const char *const *secrets, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t len = secrets[i] ? strlen(secrets[i]) : 0;
        if (len < MIN_SECRET) continue;
        replace_all(b, secrets[i], len);
        char *esc = rl_mock_xcalloc(rl_json_escape_max(len) + 1, 1);
        size_t elen = rl_json_escape(esc, rl_json_escape_max(len), secrets[i], len);
        if (elen != len || memcmp(esc, secrets[i], len) != 0) replace_all(b, esc, elen);
        free(esc);
    }
}

char *rl_mock_record(const rl_mock_exchange_t *ex, const char *const *secrets, size_t n_secrets)
{
    if (ex == NULL || ex->method == NULL || ex->path == NULL || ex->path[0] != '/' || ex->status < 200 ||
        ex->status > 599)
        return NULL;
    const char *ctype;
    json_t *resp = json_pack("{s:i}", "status", ex->status);
    json_t *headers = record_headers(ex, &ctype);
    json_object_set_new(resp, "headers", headers);
    record_body(resp, ex, ctype);
    json_t *fx = json_pack("{s:s, s:o, s:o}", "name", ex->name ? ex->name : "recorded", "match",
                           record_match(ex), "response", resp);
    char *text = fx ? json_dumps(fx, JSON_INDENT(2)) : NULL;
    json_decref(fx);
    if (text == NULL) return NULL;
    rl_mock_buf_t b = {0};
    rl_mock_buf_append(&b, text, strlen(text));
    rl_mock_buf_append(&b, "\n", 1);
    free(text);
    redact_secrets(&b, secrets, n_secrets);
    return b.data;
}

size_t rl_mock_record_filename(const char *method, const char *path, int status, char *out, size_t cap)
{
    char tmp[256];
    size_t n = 0;
    bool sep = false;
    snprintf(tmp, sizeof(tmp), "%s %s %d", method ? method : "", path ? path : "", status);
    for (const char *p = tmp; *p && n + 6 < cap; p++) {
        char ch = *p >= 'A' && *p <= 'Z' ? (char)(*p + 32) : *p;
        bool keep = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
        if (!keep) {
            sep = n > 0;
            continue;
        }
        if (sep) out[n++] = '_';
        sep = false;
        out[n++] = ch;
    }
    if (cap == 0) return 0;
    n += (size_t)snprintf(out + n, cap - n, ".json");
    return n < cap ? n : cap - 1;
}
