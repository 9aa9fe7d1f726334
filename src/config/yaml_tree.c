/* yaml_tree.c — libyaml events to an rl_ynode_t tree, see yaml_tree.h.
 *
 * Containers are attached to their parent when they open, so that on any
 * fatal error freeing the root frees everything. Duplicate keys are found
 * when a mapping closes, by sorting its keys (O(n log n): a fuzzer can feed
 * a mapping with many thousands of keys). */
#include "config/yaml_tree.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

typedef struct builder {
    const char *file;
    rl_diag_t *diag;
    size_t errors, max_errors;
    rl_ynode_t *root;
    rl_ynode_t *stack[RL_YTREE_MAX_DEPTH];
    size_t depth;
    int docs;
} builder_t;

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n, size);
    if (p == NULL) abort();
    return p;
}

static char *xstrndup(const char *s, size_t n)
{
    char *p = strndup(s, n);
    if (p == NULL) abort();
    return p;
}

static void grow(rl_ynode_t *n, size_t elem)
{
    if (n->n < n->cap) return;
    size_t cap = n->cap ? n->cap * 2 : 4;
    void **slot = n->kind == RL_YNODE_MAP ? (void **)&n->pairs : (void **)&n->items;
    void *p = realloc(*slot, cap * elem);
    if (p == NULL) abort();
    *slot = p;
    n->cap = cap;
}

__attribute__((format(printf, 3, 4))) static void report(builder_t *b, int line, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    if (b->errors >= b->max_errors) return;
    b->errors++;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    rl_diag_add(b->diag, b->file, line, "%s", msg);
}

/* Adds a finished scalar or a just-opened container under the current
 * container. Returns -1 when a container is used as a mapping key. */
static int attach(builder_t *b, rl_ynode_t *n)
{
    if (b->depth == 0) {
        b->root = n;
        return 0;
    }
    rl_ynode_t *parent = b->stack[b->depth - 1];
    if (parent->kind == RL_YNODE_SEQ) {
        grow(parent, sizeof(*parent->items));
        parent->items[parent->n++] = n;
        return 0;
    }
    if (parent->n > 0 && parent->pairs[parent->n - 1].value == NULL) {
        parent->pairs[parent->n - 1].value = n;
        return 0;
    }
    if (n->kind != RL_YNODE_SCALAR) {
        report(b, n->line, "mapping keys must be plain strings");
        rl_ytree_free(n);
        return -1;
    }
    grow(parent, sizeof(*parent->pairs));
    parent->pairs[parent->n++] = (rl_ypair_t){n->str, n->line, NULL};
    n->str = NULL;
    rl_ytree_free(n);
    return 0;
}

static int cmp_pair(const void *a, const void *b)
{
    const rl_ypair_t *x = *(const rl_ypair_t *const *)a, *y = *(const rl_ypair_t *const *)b;
    int c = strcmp(x->key, y->key);
    if (c) return c;
    return x < y ? -1 : x > y;
}

static void check_duplicates(builder_t *b, const rl_ynode_t *map)
{
    if (map->n < 2) return;
    const rl_ypair_t **v = xcalloc(map->n, sizeof(*v));
    for (size_t i = 0; i < map->n; i++)
        v[i] = &map->pairs[i];
    qsort(v, map->n, sizeof(*v), cmp_pair);
    for (size_t i = 1; i < map->n; i++)
        if (strcmp(v[i]->key, v[i - 1]->key) == 0) report(b, v[i]->line, "duplicate key '%s'", v[i]->key);
    free(v);
}

/* Anchors, aliases and tags are refused: the tree would otherwise need
 * sharing (and a "billion laughs" guard), and tags mean nothing here. */
static int refuse_extras(builder_t *b, const yaml_event_t *ev, int line)
{
    const yaml_char_t *anchor = NULL, *tag = NULL;
    if (ev->type == YAML_SCALAR_EVENT) {
        anchor = ev->data.scalar.anchor;
        tag = ev->data.scalar.tag;
    } else if (ev->type == YAML_SEQUENCE_START_EVENT) {
        anchor = ev->data.sequence_start.anchor;
        tag = ev->data.sequence_start.tag;
    } else if (ev->type == YAML_MAPPING_START_EVENT) {
        anchor = ev->data.mapping_start.anchor;
        tag = ev->data.mapping_start.tag;
    }
    if (anchor)
        report(b, line, "YAML anchors (&%s) are not supported", (const char *)anchor);
    else if (tag)
        report(b, line, "YAML tags (%s) are not supported", (const char *)tag);
    return anchor || tag ? -1 : 0;
}

static int on_scalar(builder_t *b, const yaml_event_t *ev, int line)
{
    const char *v = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    if (memchr(v, '\0', len) != NULL) {
        report(b, line, "NUL characters are not allowed in values");
        return -1;
    }
    rl_ynode_t *n = xcalloc(1, sizeof(*n));
    *n = (rl_ynode_t){.kind = RL_YNODE_SCALAR, .line = line, .str = xstrndup(v, len)};
    n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    return attach(b, n);
}

static int on_open(builder_t *b, rl_ynode_kind_t kind, int line)
{
    if (b->depth == RL_YTREE_MAX_DEPTH) {
        report(b, line, "nesting deeper than %d levels", RL_YTREE_MAX_DEPTH);
        return -1;
    }
    rl_ynode_t *n = xcalloc(1, sizeof(*n));
    *n = (rl_ynode_t){.kind = kind, .line = line};
    if (attach(b, n) < 0) return -1;
    b->stack[b->depth++] = n;
    return 0;
}

/* Handles one event: 1 = stream ended, 0 = go on, -1 = fatal. */
static int on_event(builder_t *b, const yaml_event_t *ev)
{
    int line = (int)ev->start_mark.line + 1;
    if (refuse_extras(b, ev, line) < 0) return -1;
    switch (ev->type) {
    case YAML_STREAM_END_EVENT:
        return 1;
    case YAML_DOCUMENT_START_EVENT:
        if (++b->docs == 1) return 0;
        report(b, line, "only one YAML document is allowed");
        return -1;
    case YAML_ALIAS_EVENT:
        report(b, line, "YAML aliases (*%s) are not supported", (const char *)ev->data.alias.anchor);
        return -1;
    case YAML_SCALAR_EVENT:
        return on_scalar(b, ev, line);
    case YAML_SEQUENCE_START_EVENT:
        return on_open(b, RL_YNODE_SEQ, line);
    case YAML_MAPPING_START_EVENT:
        return on_open(b, RL_YNODE_MAP, line);
    case YAML_MAPPING_END_EVENT:
        check_duplicates(b, b->stack[b->depth - 1]);
        b->depth--;
        return 0;
    case YAML_SEQUENCE_END_EVENT:
        b->depth--;
        return 0;
    default:
        return 0;
    }
}

static void syntax_error(builder_t *b, const yaml_parser_t *p)
{
    const yaml_mark_t *m = p->error == YAML_READER_ERROR ? &p->mark : &p->problem_mark;
    const char *what = p->problem ? p->problem : "cannot parse";
    if (p->context)
        report(b, (int)m->line + 1, "invalid YAML: %s %s", what, p->context);
    else
        report(b, (int)m->line + 1, "invalid YAML: %s", what);
}

int rl_ytree_parse(const char *file, const char *buf, size_t len, size_t max_errors, rl_ynode_t **out,
                   rl_diag_t *diag)
{
    builder_t b = {.file = file, .diag = diag, .max_errors = max_errors};
    yaml_parser_t p;
    int rc = 0;
    *out = NULL;
    if (len > RL_YTREE_MAX_SIZE) {
        report(&b, 0, "file is larger than %u bytes", RL_YTREE_MAX_SIZE);
        return -1;
    }
    if (!yaml_parser_initialize(&p)) abort();
    yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
    while (rc == 0) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            syntax_error(&b, &p);
            rc = -1;
            break;
        }
        rc = on_event(&b, &ev);
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    if (rc < 0) {
        rl_ytree_free(b.root);
        return -1;
    }
    *out = b.root;
    return 0;
}

void rl_ytree_free(rl_ynode_t *n)
{
    if (n == NULL) return;
    for (size_t i = 0; i < n->n; i++) {
        if (n->kind == RL_YNODE_MAP) {
            free(n->pairs[i].key);
            rl_ytree_free(n->pairs[i].value);
        } else {
            rl_ytree_free(n->items[i]);
        }
    }
    free(n->pairs);
    free(n->items);
    free(n->str);
    free(n->unset_var);
    free(n);
}

const rl_ypair_t *rl_ytree_pair(const rl_ynode_t *map, const char *key)
{
    if (map == NULL || map->kind != RL_YNODE_MAP) return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->pairs[i].key, key) == 0) return &map->pairs[i];
    return NULL;
}

rl_ynode_t *rl_ytree_get(const rl_ynode_t *map, const char *key)
{
    const rl_ypair_t *p = rl_ytree_pair(map, key);
    return p ? p->value : NULL;
}

bool rl_ytree_is_null(const rl_ynode_t *n)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
    if (n == NULL || n->kind != RL_YNODE_SCALAR || !n->plain || n->str == NULL) return false;
    for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
        if (strcmp(n->str, nulls[i]) == 0) return true;
    return false;
}

const char *rl_ytree_kind_name(const rl_ynode_t *n)
{
    if (n == NULL) return "nothing";
    return n->kind == RL_YNODE_MAP ? "a mapping" : n->kind == RL_YNODE_SEQ ? "a list" : "a string";
}
