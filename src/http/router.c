/* router.c — the method + path-template router of router.h. Templates are
 * parsed and inserted into a build tree by rl_router_add, compiled into flat
 * arrays by rl_router_build, then matched by a depth-first walk that never
 * allocates and never writes to the router, so any number of workers can
 * match against one router at once. */

/*
 * Paths
 * -----
 * The router matches the bytes it is given: no percent-decoding, no case
 * folding, no dot-segment removal ("/a%2Fb" is the one segment "a%2Fb"); the
 * caller chooses raw or normalized path. "/" has no segments; otherwise each
 * '/' opens a segment, so "/v1/items/" is "v1", "items", "" and does NOT match
 * "/v1/items" (trailing slashes are strict), and "//" is "", "". A literal or
 * a {param} never matches an empty segment; only a {rest*} does.
 *
 * The trie
 * --------
 * Each node is a position between two segments. It has literal children keyed
 * by exact bytes, at most one {param} child (shared by every {param} at that
 * position, whatever its name: "/a/{x}" and "/a/{y}" are one shape), "end"
 * routes (templates that stop here) and "rest" routes (templates whose {rest*}
 * starts here). Routes of one shape must have disjoint method sets, so a
 * terminal holds at most one route per method bit (7); each route keeps its
 * own param names, and a match reports the names of the route that won.
 * rl_router_build lays the trie out in four arrays (nodes, literal edges,
 * terminals, literal bytes); a node with more than LINEAR_MAX literal children
 * also gets an open-addressing hash table of its edges.
 *
 * Precedence
 * ----------
 * Two templates compare segment by segment from the left; at the first
 * difference, literal < {param} < end of template < {rest*}, where "<" reads
 * "more specific". ("End" only ever meets a {rest*} at the same position: a
 * literal or a param needs one more segment, which an ending template cannot
 * have matched. So "/files" beats "/files/{rest*}" on "/files".) The walk
 * visits the trie in exactly this order — at each node: literal child, param
 * child, end routes (only when the path is used up), rest routes — so the
 * first route met that allows the method is the most specific template
 * matching path and method. Every route met that does not allow the method
 * adds its methods to `allow`; a walk that finds no winner has met every
 * template matching the path, so `allow` is the exact union for the 405.
 * Each node is reached by a single edge sequence, so a walk visits a node at
 * most once: O(segments) for a typical table, O(nodes) at worst.
 *
 * Worked example
 * --------------
 *   1 GET      /v1/items/{id}           root -v1-> A -items-> B    B: end [5]
 *   2 PUT      /v1/items/{key}          B -new-> C    C: end [3]
 *   3 GET      /v1/items/new            B -{}-> D     D: end [1 GET, 2 PUT]
 *   4 GET      /v1/{rest*}              A: rest [4]
 *   5 GET      /v1/items
 * GET /v1/items/new    -> root, A, B, C: route 3 allows GET: 3.
 * PUT /v1/items/new    -> C: 3 is GET only (allow GET); back to B, D with
 *                         key="new": route 2 (named "key", not "id").
 * GET /v1/items/       -> B: "" matches no literal and no param; back to A,
 *                         rest: route 4 with rest="items/".
 * DELETE /v1/items/new -> C (GET), D (GET, PUT), A rest (GET): none allows
 *                         DELETE: 405 with allow = GET|PUT.
 */
#include "http/router.h"

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/method.h"

#define MAX_TEMPLATE 2048 /* bytes in a template */
#define MAX_SEGMENT 256   /* bytes in one template segment */
#define MAX_SEGMENTS 128  /* segments in a template (bounds the walk's recursion) */
#define MAX_TERMS 7       /* routes per terminal: one per method bit */
#define LINEAR_MAX 8      /* literal children scanned linearly; more are hashed */
#define NONE UINT32_MAX

_Static_assert(RL_M_ALL == 0x7f, "MAX_TERMS assumes 7 method bits");

/* ---- templates ---------------------------------------------------------- */

enum { SEG_LIT, SEG_PARAM, SEG_REST };

typedef struct seg {
    int kind;
    size_t off, len; /* literal bytes, or the param name, within the template */
} seg_t;

typedef struct parsed {
    seg_t segs[MAX_SEGMENTS];
    size_t n, n_params;
} parsed_t;

static int fail(rl_err_t *err, const char *tmpl, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* An RL_EBAD_REQUEST naming the template (cut at 64 bytes) and the problem. */
static int fail(rl_err_t *err, const char *tmpl, const char *fmt, ...)
{
    char why[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    size_t len = strnlen(tmpl, 65);
    return rl_err_set(err, RL_EBAD_REQUEST, "template \"%.*s%s\": %s", (int)(len > 64 ? 64 : len), tmpl,
                      len > 64 ? "..." : "", why);
}

static bool ident_byte(char c, bool first)
{
    bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
    return alpha || (!first && c >= '0' && c <= '9');
}

static bool is_ident(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!ident_byte(s[i], i == 0)) return false;
    return len > 0;
}

/* Bytes a literal segment may hold: anything a request path can carry in a
 * segment, minus the brace syntax. */
static bool literal_byte_ok(unsigned char c)
{
    return c > 0x20 && c != 0x7f && c != '{' && c != '}' && c != '?' && c != '#';
}

static int parse_literal(const char *tmpl, size_t off, size_t len, seg_t *seg, rl_err_t *err)
{
    for (size_t i = off; i < off + len; i++) {
        unsigned char c = (unsigned char)tmpl[i];
        if (c == '{' || c == '}') return fail(err, tmpl, "a {param} must be a whole segment");
        if (!literal_byte_ok(c)) return fail(err, tmpl, "byte 0x%02x is not allowed in a path", c);
    }
    *seg = (seg_t){SEG_LIT, off, len};
    return 0;
}

static int parse_segment(const char *tmpl, size_t off, size_t len, seg_t *seg, rl_err_t *err)
{
    if (len == 0) return fail(err, tmpl, "empty segment");
    if (len > MAX_SEGMENT) return fail(err, tmpl, "segment longer than %d bytes", MAX_SEGMENT);
    if (tmpl[off] != '{') return parse_literal(tmpl, off, len, seg, err);
    if (tmpl[off + len - 1] != '}') return fail(err, tmpl, "a {param} must be a whole segment");
    size_t name_len = len - 2;
    int kind = SEG_PARAM;
    if (name_len > 0 && tmpl[off + name_len] == '*') {
        name_len--;
        kind = SEG_REST;
    }
    if (!is_ident(tmpl + off + 1, name_len))
        return fail(err, tmpl, "bad param name \"%.*s\" (want [A-Za-z_][A-Za-z0-9_]*)", (int)name_len,
                    tmpl + off + 1);
    *seg = (seg_t){kind, off + 1, name_len};
    return 0;
}

/* Counts the param `p->segs[p->n - 1]` and rejects a name used twice. */
static int add_param(const char *tmpl, parsed_t *p, rl_err_t *err)
{
    const seg_t *s = &p->segs[p->n - 1];
    if (p->n_params == RL_ROUTER_MAX_PARAMS)
        return fail(err, tmpl, "more than %d params", RL_ROUTER_MAX_PARAMS);
    for (size_t i = 0; i + 1 < p->n; i++) {
        const seg_t *o = &p->segs[i];
        if (o->kind != SEG_LIT && o->len == s->len && memcmp(tmpl + o->off, tmpl + s->off, s->len) == 0)
            return fail(err, tmpl, "param \"%.*s\" appears twice", (int)s->len, tmpl + s->off);
    }
    p->n_params++;
    return 0;
}

static int parse_template(const char *tmpl, parsed_t *p, rl_err_t *err)
{
    if (tmpl == NULL) return rl_err_set(err, RL_EBAD_REQUEST, "template is missing");
    size_t len = strnlen(tmpl, MAX_TEMPLATE + 1);
    if (len == 0 || tmpl[0] != '/') return fail(err, tmpl, "must start with '/'");
    if (len > MAX_TEMPLATE) return fail(err, tmpl, "longer than %d bytes", MAX_TEMPLATE);
    p->n = p->n_params = 0;
    for (size_t off = 1; len > 1;) {
        const char *slash = memchr(tmpl + off, '/', len - off);
        size_t seg_len = slash ? (size_t)(slash - tmpl) - off : len - off;
        if (p->n == MAX_SEGMENTS) return fail(err, tmpl, "more than %d segments", MAX_SEGMENTS);
        seg_t *seg = &p->segs[p->n++];
        int rc = parse_segment(tmpl, off, seg_len, seg, err);
        if (rc == 0 && seg->kind != SEG_LIT) rc = add_param(tmpl, p, err);
        if (rc != 0) return rc;
        if (slash == NULL) break;
        if (seg->kind == SEG_REST)
            return fail(err, tmpl, "{%.*s*} must be the last segment", (int)seg->len, tmpl + seg->off);
        off += seg_len + 1;
    }
    return 0;
}

/* ---- the router ---------------------------------------------------------- */

typedef struct route {
    char *tmpl; /* owned copy; build-tree literals and param names point into it */
    unsigned methods;
    int id;
    size_t n_params;
    struct {
        uint16_t off, len;
    } names[RL_ROUTER_MAX_PARAMS];
} route_t;

typedef struct terms {
    uint32_t route[MAX_TERMS]; /* indexes into rl_router.routes */
    unsigned n;
} terms_t;

/* The build tree, alive between rl_router_new and rl_router_build. */
typedef struct bnode bnode_t;
typedef struct bedge {
    const char *s; /* into a route's template copy */
    size_t len;
    bnode_t *child;
} bedge_t;
struct bnode {
    bedge_t *lits;
    size_t n_lits, cap_lits;
    bnode_t *param;
    terms_t end, rest;
};

/* The compiled trie: node 0 is the root; children always follow parents. */
typedef struct cnode {
    uint32_t lit_first, n_lits;     /* edges[lit_first .. +n_lits) */
    uint32_t slot_first, slot_mask; /* hash table in slots[], when n_lits > LINEAR_MAX */
    uint32_t param;                 /* child node, or NONE */
    uint32_t term_first;            /* terms[term_first ..]: n_end end routes, then n_rest */
    uint8_t n_end, n_rest;
} cnode_t;
typedef struct cedge {
    uint32_t off, len, hash, child; /* off into lits[] */
} cedge_t;
typedef struct cterm {
    unsigned methods; /* copied from the route, so a miss costs no pointer chase */
    uint32_t route;
} cterm_t;

struct rl_router {
    route_t *routes;
    size_t n_routes, cap_routes;
    bnode_t *root; /* NULL once built */
    bool built;
    cnode_t *nodes;
    cedge_t *edges;
    uint32_t *slots; /* edge index + 1; 0 = empty */
    cterm_t *terms;
    char *lits;
};

/* Contract in router.h. The caller owns the router; rl_router_free frees it. */
rl_router_t *rl_router_new(void)
{
    rl_router_t *r = calloc(1, sizeof(*r));
    if (r == NULL) return NULL;
    r->root = calloc(1, sizeof(*r->root));
    if (r->root == NULL) {
        free(r);
        return NULL;
    }
    return r;
}

static void free_tree(bnode_t *n)
{
    if (n == NULL) return;
    for (size_t i = 0; i < n->n_lits; i++)
        free_tree(n->lits[i].child);
    free_tree(n->param);
    free(n->lits);
    free(n);
}

static void free_compiled(rl_router_t *r)
{
    free(r->nodes);
    free(r->edges);
    free(r->slots);
    free(r->terms);
    free(r->lits);
    r->nodes = NULL;
    r->edges = NULL;
    r->slots = NULL;
    r->terms = NULL;
    r->lits = NULL;
}

/* Frees the router, its routes and template copies. `r` may be NULL. */
void rl_router_free(rl_router_t *r)
{
    if (r == NULL) return;
    for (size_t i = 0; i < r->n_routes; i++)
        free(r->routes[i].tmpl);
    free(r->routes);
    free_tree(r->root);
    free_compiled(r);
    free(r);
}

/* ---- adding routes ------------------------------------------------------ */

static bnode_t *find_literal_child(const bnode_t *n, const char *s, size_t len)
{
    for (size_t i = 0; i < n->n_lits; i++)
        if (n->lits[i].len == len && memcmp(n->lits[i].s, s, len) == 0) return n->lits[i].child;
    return NULL;
}

static bnode_t *new_literal_child(bnode_t *n, const char *s, size_t len)
{
    if (n->n_lits == n->cap_lits) {
        size_t cap = n->cap_lits ? n->cap_lits * 2 : 4;
        bedge_t *lits = realloc(n->lits, cap * sizeof(*lits));
        if (lits == NULL) return NULL;
        n->lits = lits;
        n->cap_lits = cap;
    }
    bnode_t *child = calloc(1, sizeof(*child));
    if (child != NULL) n->lits[n->n_lits++] = (bedge_t){s, len, child};
    return child;
}

/* Follows the segments of `p` (over the template text `base`) from the root
 * and returns the terminal they lead to. With `create`, missing nodes are
 * added and NULL means out of memory; without, NULL means no such shape yet. */
static terms_t *walk_tree(bnode_t *n, const char *base, const parsed_t *p, bool create)
{
    for (size_t i = 0; i < p->n; i++) {
        const seg_t *s = &p->segs[i];
        if (s->kind == SEG_REST) return &n->rest;
        bnode_t *next = s->kind == SEG_PARAM ? n->param : find_literal_child(n, base + s->off, s->len);
        if (next == NULL && !create) return NULL;
        if (next == NULL && s->kind == SEG_PARAM) next = n->param = calloc(1, sizeof(*next));
        if (next == NULL && s->kind == SEG_LIT) next = new_literal_child(n, base + s->off, s->len);
        if (next == NULL) return NULL;
        n = next;
    }
    return &n->end;
}

static int check_conflict(const rl_router_t *r, const terms_t *t, const char *tmpl, unsigned methods,
                          rl_err_t *err)
{
    for (unsigned i = 0; t != NULL && i < t->n; i++) {
        const route_t *o = &r->routes[t->route[i]];
        if ((o->methods & methods) == 0) continue;
        char list[64];
        rl_method_list(o->methods & methods, list, sizeof(list));
        return fail(err, tmpl, "%s already routed by \"%.64s\" (route %d)", list, o->tmpl, o->id);
    }
    return 0;
}

/* Appends the route (with its own copy of the template) and returns its index,
 * or -1 when out of memory. */
static long push_route(rl_router_t *r, const char *tmpl, const parsed_t *p, unsigned methods, int id)
{
    if (r->n_routes == r->cap_routes) {
        size_t cap = r->cap_routes ? r->cap_routes * 2 : 16;
        route_t *routes = realloc(r->routes, cap * sizeof(*routes));
        if (routes == NULL) return -1;
        r->routes = routes;
        r->cap_routes = cap;
    }
    route_t *rt = &r->routes[r->n_routes];
    *rt = (route_t){.tmpl = strdup(tmpl), .methods = methods, .id = id};
    if (rt->tmpl == NULL) return -1;
    for (size_t i = 0; i < p->n; i++) {
        if (p->segs[i].kind == SEG_LIT) continue;
        rt->names[rt->n_params].off = (uint16_t)p->segs[i].off;
        rt->names[rt->n_params++].len = (uint16_t)p->segs[i].len;
    }
    return (long)r->n_routes++;
}

/* Contract in router.h. The template is copied. Also fails with
 * RL_EBAD_REQUEST on an empty or unknown method set, and with RL_EINTERNAL
 * after rl_router_build or when out of memory. A failed add changes nothing
 * that matching can see. */
int rl_router_add(rl_router_t *r, const char *tmpl, unsigned methods, int id, rl_err_t *err)
{
    if (r == NULL) return rl_err_set(err, RL_EINTERNAL, "router is NULL");
    if (r->built) return rl_err_set(err, RL_EINTERNAL, "router already built: add routes before building");
    parsed_t p;
    int rc = parse_template(tmpl, &p, err);
    if (rc != 0) return rc;
    if (methods == 0 || (methods & ~(unsigned)RL_M_ALL) != 0)
        return fail(err, tmpl, "method set 0x%x is empty or has unknown bits", methods);
    rc = check_conflict(r, walk_tree(r->root, tmpl, &p, false), tmpl, methods, err);
    if (rc != 0) return rc;
    long idx = push_route(r, tmpl, &p, methods, id);
    /* The tree points into the route's copy, which lives as long as the router. */
    terms_t *t = idx < 0 ? NULL : walk_tree(r->root, r->routes[idx].tmpl, &p, true);
    if (t == NULL) return rl_err_set(err, RL_EINTERNAL, "out of memory adding a route");
    t->route[t->n++] = (uint32_t)idx;
    return 0;
}

/* Contract in router.h: the same parse as rl_router_add, with no router. */
int rl_router_check_template(const char *tmpl, rl_err_t *err)
{
    parsed_t p;
    return parse_template(tmpl, &p, err);
}

/* ---- building ----------------------------------------------------------- */

typedef struct sizes {
    size_t nodes, edges, slots, terms, bytes;
} sizes_t;

static size_t slot_count(size_t n_lits)
{
    size_t n = 1;
    while (n < 2 * n_lits)
        n *= 2;
    return n_lits > LINEAR_MAX ? n : 0;
}

static void measure(const bnode_t *n, sizes_t *sz)
{
    sz->nodes++;
    sz->edges += n->n_lits;
    sz->slots += slot_count(n->n_lits);
    sz->terms += n->end.n + n->rest.n;
    for (size_t i = 0; i < n->n_lits; i++) {
        sz->bytes += n->lits[i].len;
        measure(n->lits[i].child, sz);
    }
    if (n->param) measure(n->param, sz);
}

/* FNV-1a: short segments, no adversary that can choose the table. */
static uint32_t hash_bytes(const char *s, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

typedef struct compiler {
    rl_router_t *r;
    uint32_t nodes, edges, slots, terms, bytes;
} compiler_t;

static void compile_terms(compiler_t *c, cnode_t *n, const bnode_t *b)
{
    const terms_t *lists[2] = {&b->end, &b->rest};
    n->term_first = c->terms;
    n->n_end = (uint8_t)b->end.n;
    n->n_rest = (uint8_t)b->rest.n;
    for (int l = 0; l < 2; l++)
        for (unsigned i = 0; i < lists[l]->n; i++) {
            uint32_t route = lists[l]->route[i];
            c->r->terms[c->terms++] = (cterm_t){c->r->routes[route].methods, route};
        }
}

static void compile_slots(compiler_t *c, cnode_t *n)
{
    size_t count = slot_count(n->n_lits);
    if (count == 0) return;
    n->slot_first = c->slots;
    n->slot_mask = (uint32_t)count - 1;
    c->slots += (uint32_t)count;
    for (uint32_t e = n->lit_first; e < n->lit_first + n->n_lits; e++) {
        uint32_t i = c->r->edges[e].hash & n->slot_mask;
        while (c->r->slots[n->slot_first + i] != 0)
            i = (i + 1) & n->slot_mask;
        c->r->slots[n->slot_first + i] = e + 1;
    }
}

/* Lays out `b` and its subtree in preorder; returns b's node index. */
static uint32_t compile_node(compiler_t *c, const bnode_t *b)
{
    uint32_t idx = c->nodes++;
    cnode_t *n = &c->r->nodes[idx];
    *n = (cnode_t){.lit_first = c->edges, .n_lits = (uint32_t)b->n_lits, .param = NONE};
    c->edges += (uint32_t)b->n_lits;
    compile_terms(c, n, b);
    for (uint32_t i = 0; i < n->n_lits; i++) {
        const bedge_t *be = &b->lits[i];
        memcpy(c->r->lits + c->bytes, be->s, be->len);
        c->r->edges[n->lit_first + i] = (cedge_t){c->bytes, (uint32_t)be->len, hash_bytes(be->s, be->len), 0};
        c->bytes += (uint32_t)be->len;
        c->r->edges[n->lit_first + i].child = compile_node(c, be->child);
    }
    if (b->param) n->param = compile_node(c, b->param);
    compile_slots(c, n);
    return idx;
}

/* Contract in router.h. Compiles the build tree into the match arrays and
 * frees the tree. Fails with RL_EINTERNAL when out of memory (the router
 * stays unbuilt) or when called twice. */
int rl_router_build(rl_router_t *r, rl_err_t *err)
{
    if (r == NULL) return rl_err_set(err, RL_EINTERNAL, "router is NULL");
    if (r->built) return rl_err_set(err, RL_EINTERNAL, "router already built");
    sizes_t sz = {0};
    measure(r->root, &sz);
    if (sz.nodes >= NONE || sz.edges >= NONE || sz.slots >= NONE || sz.bytes >= NONE)
        return rl_err_set(err, RL_EINTERNAL, "too many routes");
    r->nodes = calloc(sz.nodes, sizeof(*r->nodes));
    r->edges = calloc(sz.edges + 1, sizeof(*r->edges));
    r->slots = calloc(sz.slots + 1, sizeof(*r->slots));
    r->terms = calloc(sz.terms + 1, sizeof(*r->terms));
    r->lits = malloc(sz.bytes + 1);
    if (!r->nodes || !r->edges || !r->slots || !r->terms || !r->lits) {
        free_compiled(r);
        return rl_err_set(err, RL_EINTERNAL, "out of memory building the router");
    }
    compiler_t c = {.r = r};
    compile_node(&c, r->root);
    free_tree(r->root);
    r->root = NULL;
    r->built = true;
    return 0;
}

/* ---- matching ----------------------------------------------------------- */

typedef struct walk {
    const rl_router_t *r;
    const char *path;
    size_t len;
    unsigned method;
    unsigned allow;      /* methods of every route met that did not allow `method` */
    rl_route_match_t *m; /* params[].value doubles as the walk's value stack */
} walk_t;

static const cedge_t *find_edge(const rl_router_t *r, const cnode_t *n, const char *s, size_t len)
{
    const cedge_t *e = r->edges + n->lit_first;
    if (n->n_lits <= LINEAR_MAX) {
        for (uint32_t i = 0; i < n->n_lits; i++)
            if (e[i].len == len && memcmp(r->lits + e[i].off, s, len) == 0) return &e[i];
        return NULL;
    }
    uint32_t h = hash_bytes(s, len);
    /* At least half the slots are empty, so the probe ends. */
    for (uint32_t i = h & n->slot_mask;; i = (i + 1) & n->slot_mask) {
        uint32_t k = r->slots[n->slot_first + i];
        if (k == 0) return NULL;
        e = &r->edges[k - 1];
        if (e->hash == h && e->len == len && memcmp(r->lits + e->off, s, len) == 0) return e;
    }
}

/* Looks for a route among `n` terminals that allows the method; on a hit,
 * completes the match with that route's id and param names. */
static bool try_terms(walk_t *w, const cterm_t *t, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        if ((t[i].methods & w->method) == 0) {
            w->allow |= t[i].methods;
            continue;
        }
        const route_t *rt = &w->r->routes[t[i].route];
        w->m->route = rt->id;
        w->m->n_params = rt->n_params;
        for (size_t p = 0; p < rt->n_params; p++) {
            w->m->params[p].name = rt->tmpl + rt->names[p].off;
            w->m->params[p].name_len = rt->names[p].len;
        }
        return true;
    }
    return false;
}

static void set_value(walk_t *w, size_t np, const char *value, size_t len)
{
    w->m->params[np].value = value;
    w->m->params[np].value_len = len;
}

static bool visit(walk_t *w, uint32_t idx, size_t pos, size_t np);

/* Tries the literal child, then the param child, for the segment after the
 * '/' at `pos`. */
static bool descend(walk_t *w, const cnode_t *n, size_t pos, size_t np)
{
    const char *seg = w->path + pos + 1;
    size_t avail = w->len - pos - 1;
    const char *slash = memchr(seg, '/', avail);
    size_t seg_len = slash ? (size_t)(slash - seg) : avail;
    size_t next = pos + 1 + seg_len;
    if (n->n_lits > 0 && seg_len <= MAX_SEGMENT) {
        const cedge_t *e = find_edge(w->r, n, seg, seg_len);
        if (e != NULL && visit(w, e->child, next, np)) return true;
    }
    if (n->param == NONE || seg_len == 0 || np >= RL_ROUTER_MAX_PARAMS) return false;
    set_value(w, np, seg, seg_len);
    return visit(w, n->param, next, np + 1);
}

/* `pos` is the index of the '/' opening the next segment, or `len` when the
 * path is used up; `np` params are on the stack. */
static bool visit(walk_t *w, uint32_t idx, size_t pos, size_t np)
{
    const cnode_t *n = &w->r->nodes[idx];
    const cterm_t *terms = w->r->terms + n->term_first;
    if (pos == w->len) {
        if (try_terms(w, terms, n->n_end)) return true;
    } else if (descend(w, n, pos, np)) {
        return true;
    }
    if (n->n_rest == 0 || np >= RL_ROUTER_MAX_PARAMS) return false;
    if (pos == w->len)
        set_value(w, np, w->path + pos, 0);
    else
        set_value(w, np, w->path + pos + 1, w->len - pos - 1);
    return try_terms(w, terms + n->n_end, n->n_rest);
}

/* Contract in router.h. Reads the router only, so it is safe from any number
 * of threads at once. An unbuilt router, a path that does not start with '/'
 * and an empty path are NOT_FOUND; a method bit no route has (0 for an
 * unknown method) gives 405 wherever the path matches. */
rl_route_result_t rl_router_match(const rl_router_t *r, unsigned method, const char *path, size_t len,
                                  rl_route_match_t *m)
{
    m->route = -1;
    m->allow = 0;
    m->n_params = 0;
    if (r == NULL || !r->built || path == NULL || len == 0 || path[0] != '/') return RL_ROUTE_NOT_FOUND;
    walk_t w = {r, path, len, method, 0, m};
    /* "/" is the path of no segments; see "Paths" above. */
    if (visit(&w, 0, len == 1 ? 1 : 0, 0)) return RL_ROUTE_FOUND;
    m->allow = w.allow;
    return w.allow ? RL_ROUTE_METHOD_NOT_ALLOWED : RL_ROUTE_NOT_FOUND;
}

/* ---- expanding ---------------------------------------------------------- */

static bool put(char *out, size_t cap, size_t *n, const char *s, size_t len)
{
    if (len >= cap - *n) return false;
    if (len > 0) memcpy(out + *n, s, len);
    *n += len;
    return true;
}

static const rl_route_param_t *find_param(const rl_route_match_t *m, const char *name, size_t len)
{
    size_t n = m == NULL ? 0 : m->n_params;
    for (size_t i = 0; i < n && i < RL_ROUTER_MAX_PARAMS; i++)
        if (m->params[i].name_len == len && memcmp(m->params[i].name, name, len) == 0) return &m->params[i];
    return NULL;
}

/* Length of the placeholder "{name}" or "{name*}" at `s`, or 0 if `s` does
 * not start one; the name's length goes to `name_len`. */
static size_t placeholder(const char *s, size_t *name_len)
{
    size_t i = 1;
    while (ident_byte(s[i], i == 1))
        i++;
    *name_len = i - 1;
    if (s[i] == '*') i++;
    return *name_len > 0 && s[i] == '}' ? i + 1 : 0;
}

/* Contract in router.h. A placeholder is `{name}` or `{name*}` with a valid
 * param name (both look up `name`); any other brace is copied as is. Values
 * are inserted raw (still %-encoded), so an empty {rest*} in "/x/{rest*}"
 * leaves "/x/". `m` may be NULL: every placeholder is then empty. On -1,
 * `out` holds no promise. */
int rl_router_expand(const char *tmpl, const rl_route_match_t *m, char *out, size_t cap)
{
    if (tmpl == NULL || out == NULL || cap == 0) return -1;
    size_t n = 0;
    for (const char *s = tmpl; *s != '\0';) {
        size_t name_len, ph = *s == '{' ? placeholder(s, &name_len) : 0;
        if (ph == 0) {
            /* Copy up to the next '{' (this one, if any, starts no placeholder). */
            size_t run = strcspn(s + 1, "{") + 1;
            if (!put(out, cap, &n, s, run)) return -1;
            s += run;
            continue;
        }
        const rl_route_param_t *p = find_param(m, s + 1, name_len);
        if (p != NULL && !put(out, cap, &n, p->value, p->value_len)) return -1;
        s += ph;
    }
    if (n > INT_MAX) return -1;
    out[n] = '\0';
    return (int)n;
}
