/* fields.c — `?fields=` parsing and the allowlist, see fields.h. */
#include "policy/fields.h"

#include <string.h>

static bool seg_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

bool rl_fields_path_valid(const char *s, size_t len)
{
    size_t seg = 0, depth = 1;
    if (len == 0) return false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '.') {
            if (seg == 0 || ++depth > RL_FIELDS_MAX_DEPTH) return false;
            seg = 0;
        } else if (!seg_char(s[i]) || ++seg > RL_FIELDS_MAX_SEGMENT) {
            return false;
        }
    }
    return seg > 0;
}

size_t rl_fields_nodes_needed(const char *s, size_t len)
{
    size_t n = 1;
    for (size_t i = 0; i < len; i++)
        n += s[i] == '.' || s[i] == ',';
    return n;
}

/* An allowlist entry admits `f` when equal to it or a dotted prefix of it. */
static bool allowed(const char *f, size_t len, char *const *allow, size_t n_allow)
{
    if (allow == NULL) return true;
    for (size_t i = 0; i < n_allow; i++) {
        size_t al = strlen(allow[i]);
        if (al <= len && memcmp(allow[i], f, al) == 0 && (al == len || f[al] == '.')) return true;
    }
    return false;
}

const rl_fieldnode_t *rl_fields_find(const rl_fieldnode_t *first, const char *name, size_t len)
{
    for (const rl_fieldnode_t *n = first; n; n = n->next)
        if (n->len == len && memcmp(n->name, name, len) == 0) return n;
    return NULL;
}

/* Adds one dotted path below `*head`; the nodes come from `nodes`. */
static void insert(rl_fieldnode_t **head, const char *f, size_t len, rl_fieldnode_t *nodes, size_t *used)
{
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && f[j] != '.')
            j++;
        rl_fieldnode_t *n = (rl_fieldnode_t *)rl_fields_find(*head, f + i, j - i);
        if (n == NULL) {
            n = &nodes[(*used)++];
            *n = (rl_fieldnode_t){.name = f + i, .len = j - i, .next = *head};
            *head = n;
        }
        if (n->all) return; /* an ancestor is kept whole */
        if (j >= len) {
            n->all = true;
            n->child = NULL;
            return;
        }
        head = &n->child;
        i = j + 1;
    }
}

static int fail(rl_fields_err_t *err, rl_fields_errkind_t kind, const char *f, size_t len)
{
    err->kind = kind;
    err->field = f;
    err->field_len = len;
    return -1;
}

int rl_fields_parse(const char *s, size_t len, char *const *allow, size_t n_allow, rl_fieldnode_t *nodes,
                    size_t cap, rl_fieldset_t *set, rl_fields_err_t *err)
{
    size_t used = 0, items = 0, i = 0;
    *set = (rl_fieldset_t){0};
    *err = (rl_fields_err_t){0};
    if (cap < rl_fields_nodes_needed(s, len)) return fail(err, RL_FIELDS_TOO_MANY, s, len);
    for (;;) {
        size_t j = i;
        while (j < len && s[j] != ',')
            j++;
        const char *f = s + i;
        size_t flen = j - i;
        if (++items > RL_FIELDS_MAX_ITEMS) return fail(err, RL_FIELDS_TOO_MANY, f, flen);
        if (flen == 1 && f[0] == '*') {
            set->all = true;
        } else if (!rl_fields_path_valid(f, flen)) {
            size_t dots = 0;
            for (size_t k = 0; k < flen; k++)
                dots += f[k] == '.';
            return fail(err, dots >= RL_FIELDS_MAX_DEPTH ? RL_FIELDS_TOO_MANY : RL_FIELDS_MALFORMED, f, flen);
        } else if (!allowed(f, flen, allow, n_allow)) {
            return fail(err, RL_FIELDS_NOT_ALLOWED, f, flen);
        } else {
            insert(&set->child, f, flen, nodes, &used);
        }
        if (j >= len) break;
        i = j + 1;
    }
    return 0;
}
