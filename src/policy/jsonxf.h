/* jsonxf.h — the JSON body transforms of the RESPONSE phase: member renames
 * (route `rename`) and sparse fieldsets (`?fields=`), done in one pass over
 * the bytes by a small validating JSON scanner. Pure.
 *
 * Why not a DOM (jansson): a round trip through doubles and long longs
 * rewrites numbers (1.10 → 1.1, big integers fail); here every number and
 * string is copied byte for byte. The output is compact: whitespace between
 * tokens is dropped.
 *
 * Renames apply to member names at every depth, each name renamed once by
 * its upstream spelling (a→b, b→c turns a into b and b into c); a member
 * that already bears the name a rename gives another member of its object
 * is dropped (the renamed one wins). Selection
 * applies after renames, so `fields` names are the client's names:
 *   - a top-level object holding a `data` array: to each element of `data`
 *     (the other top-level members are kept whole);
 *   - a top-level array: to each element;
 *   - a top-level object: to it.
 * Below, a selected member that is an array applies its sub-selection to each
 * element; scalars are kept as they are. */
#ifndef RL_POLICY_JSONXF_H
#define RL_POLICY_JSONXF_H

#include <stddef.h>

#include "config/config.h"
#include "policy/fields.h"

#define RL_JSONXF_MAX_DEPTH 128
#define RL_JSONXF_MAX_RENAMES 256 /* the config's bound on a route's renames */

typedef struct rl_jsonxf {
    const rl_fieldset_t *fields; /* NULL or fields->all: no selection */
    const rl_rename_cfg_t *rename;
    size_t n_rename;
    size_t max_out; /* the output may not grow past this many bytes */
} rl_jsonxf_t;

enum { RL_JSONXF_INVALID = -1, RL_JSONXF_TOO_BIG = -2 };

/* Transforms `in`. Returns 0 with *out (malloc'd, the caller frees) and
 * *out_len; RL_JSONXF_INVALID when `in` is not one valid JSON value (or is
 * nested deeper than RL_JSONXF_MAX_DEPTH): the caller passes it through
 * unchanged; RL_JSONXF_TOO_BIG when the output would exceed max_out or
 * memory ran out. */
int rl_jsonxf_apply(const char *in, size_t len, const rl_jsonxf_t *xf, char **out, size_t *out_len);

#endif
