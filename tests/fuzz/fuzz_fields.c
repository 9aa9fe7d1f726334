/* fuzz_fields.c — libFuzzer driver for the ?fields= parser and field
 * selection: input = "<fields>\n<json>". Any input must parse or be refused
 * without overflow; a parsed selection over any body must either refuse the
 * body or give valid JSON that is no longer than the compacted input and
 * that selecting again leaves unchanged (selection is idempotent). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/fields.h"
#include "policy/jsonxf.h"

static rl_fieldnode_t nodes[RL_FIELDS_MAX_ITEMS * RL_FIELDS_MAX_DEPTH + 8];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data, *nl = memchr(s, '\n', size);
    size_t flen = nl ? (size_t)(nl - s) : size;
    char *const allow[] = {"id", "name", "owner", "a.b"};
    rl_fieldset_t set;
    rl_fields_err_t err;
    size_t cap = sizeof(nodes) / sizeof(nodes[0]);
    int rc = rl_fields_parse(s, flen, size % 2 ? allow : NULL, size % 2 ? 4 : 0, nodes, cap, &set, &err);
    if (rc != 0) {
        if (err.kind == RL_FIELDS_OK || err.field < s || err.field + err.field_len > s + flen) abort();
        return 0;
    }
    if (nl == NULL) return 0;
    const char *body = nl + 1;
    size_t blen = size - flen - 1;
    rl_jsonxf_t xf = {.fields = &set, .max_out = 1 << 20};
    char *out, *again;
    size_t n, m;
    if (rl_jsonxf_apply(body, blen, &xf, &out, &n) != 0) return 0;
    if (n > blen) abort();
    if (rl_jsonxf_apply(out, n, &xf, &again, &m) != 0) abort();
    if (m != n || memcmp(out, again, n) != 0) abort();
    free(again);
    free(out);
    return 0;
}
