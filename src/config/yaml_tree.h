/* yaml_tree.h — a YAML document as a small tree of scalars, mappings and
 * sequences, each node with its 1-based line, built from libyaml events.
 *
 * Deliberately a subset of YAML: one document, string keys, no anchors,
 * aliases or tags, bounded size and depth (the parser is fuzzed). */
#ifndef RL_CONFIG_YAML_TREE_H
#define RL_CONFIG_YAML_TREE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/diag.h"

#define RL_YTREE_MAX_SIZE (1u << 20) /* bytes of YAML */
#define RL_YTREE_MAX_DEPTH 64        /* nested mappings/sequences */

typedef enum rl_ynode_kind { RL_YNODE_SCALAR, RL_YNODE_MAP, RL_YNODE_SEQ } rl_ynode_kind_t;

typedef struct rl_ynode rl_ynode_t;

typedef struct rl_ypair {
    char *key;
    int line; /* line of the key */
    rl_ynode_t *value;
} rl_ypair_t;

struct rl_ynode {
    rl_ynode_kind_t kind;
    int line;
    /* RL_YNODE_SCALAR */
    char *str;       /* text as written; replaced by its substituted form */
    bool plain;      /* written without quotes */
    char *unset_var; /* set by substitution: whole value was ${VAR}, VAR unset */
    bool bad;        /* a problem with this value was already reported */
    /* RL_YNODE_MAP: pairs in file order; RL_YNODE_SEQ: items */
    rl_ypair_t *pairs;
    rl_ynode_t **items;
    size_t n, cap;
};

/* Parses `buf` (`len` bytes). On success returns 0 and *out is the root, or
 * NULL for an empty document; the caller frees it with rl_ytree_free.
 * Duplicate keys are reported to `diag` (as file:line) but still return the
 * tree (lookups see the first occurrence). Syntax errors, anchors, aliases,
 * tags, several documents, too deep or too large input stop the parse:
 * returns -1, *out = NULL, the reason in `diag`. At most `max_errors`
 * problems are added. */
int rl_ytree_parse(const char *file, const char *buf, size_t len, size_t max_errors, rl_ynode_t **out,
                   rl_diag_t *diag);

/* Frees `n` and everything under it; NULL is fine. */
void rl_ytree_free(rl_ynode_t *n);

/* The value of the first pair with `key` in mapping `map`, or NULL when the
 * key is not there or `map` is not a mapping. */
rl_ynode_t *rl_ytree_get(const rl_ynode_t *map, const char *key);

/* The pair of `key` in `map` (for its line), or NULL. */
const rl_ypair_t *rl_ytree_pair(const rl_ynode_t *map, const char *key);

/* True for a YAML null: a plain scalar "", "~", "null", "Null" or "NULL". */
bool rl_ytree_is_null(const rl_ynode_t *n);

/* "a string", "a mapping", "a list": for messages. */
const char *rl_ytree_kind_name(const rl_ynode_t *n);

#endif
