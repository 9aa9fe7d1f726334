/* fields.h — the `?fields=` parameter of sparse fieldsets, parsed into a
 * small tree of member names: "id,name,owner.name" keeps `id`, `name` and,
 * inside `owner`, only `name`. Pure; the JSON side is policy/jsonxf.h and the
 * pipeline step policy/fields_step.c.
 *
 * Grammar: items separated by ','; an item is "*" (everything) or a dotted
 * path of segments [A-Za-z0-9_]{1,64}, at most RL_FIELDS_MAX_DEPTH deep.
 * At most RL_FIELDS_MAX_ITEMS items. A route allowlist admits an item equal
 * to one of its entries or below one ("owner" admits "owner.name"); never
 * an item above one ("owner" is refused when only "owner.name" is listed,
 * since it would reveal owner's other members). */
#ifndef RL_POLICY_FIELDS_H
#define RL_POLICY_FIELDS_H

#include <stdbool.h>
#include <stddef.h>

#define RL_FIELDS_MAX_ITEMS 100
#define RL_FIELDS_MAX_DEPTH 16
#define RL_FIELDS_MAX_SEGMENT 64

typedef struct rl_fieldnode rl_fieldnode_t;
struct rl_fieldnode {
    const char *name; /* points into the parsed text, not NUL-terminated */
    size_t len;
    bool all;              /* the whole member is kept (children are ignored) */
    rl_fieldnode_t *child; /* first child: the members kept inside this one */
    rl_fieldnode_t *next;  /* next sibling */
};

typedef struct rl_fieldset {
    bool all;              /* "*" was asked for: no selection */
    rl_fieldnode_t *child; /* the top-level members kept */
} rl_fieldset_t;

typedef enum rl_fields_errkind {
    RL_FIELDS_OK = 0,
    RL_FIELDS_MALFORMED,   /* a name that breaks the grammar */
    RL_FIELDS_NOT_ALLOWED, /* outside the route's allowlist */
    RL_FIELDS_TOO_MANY,    /* over RL_FIELDS_MAX_ITEMS or RL_FIELDS_MAX_DEPTH */
} rl_fields_errkind_t;

typedef struct rl_fields_err {
    rl_fields_errkind_t kind;
    const char *field; /* the offending item, pointing into the input */
    size_t field_len;
} rl_fields_err_t;

/* How many nodes rl_fields_parse may need for `s` (an upper bound). */
size_t rl_fields_nodes_needed(const char *s, size_t len);

/* True when `s` is a valid dotted path ("owner.name"). */
bool rl_fields_path_valid(const char *s, size_t len);

/* Parses `s` (already percent-decoded) into `set`, using `nodes` (cap from
 * rl_fields_nodes_needed). The nodes point into `s`, which must outlive
 * `set`. `allow` (n_allow dotted paths) is the route's allowlist; NULL = any
 * name. Returns 0, or -1 with `err` saying which item is wrong. */
int rl_fields_parse(const char *s, size_t len, char *const *allow, size_t n_allow, rl_fieldnode_t *nodes,
                    size_t cap, rl_fieldset_t *set, rl_fields_err_t *err);

/* The child of `parent` named `name` (NULL-parent = top level of `set`). */
const rl_fieldnode_t *rl_fields_find(const rl_fieldnode_t *first, const char *name, size_t len);

#endif
