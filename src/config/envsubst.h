/* envsubst.h — ${VAR} and ${VAR:-default} substitution in one config value.
 *
 * Pure: variables are read through a lookup callback, so tests pass a table
 * and the loader passes getenv. The rules are documented in docs/config.md
 * ("Environment variables"). */
#ifndef RL_CONFIG_ENVSUBST_H
#define RL_CONFIG_ENVSUBST_H

#include <stddef.h>

/* Returns the value of variable `name`, or NULL when it is not set. */
typedef const char *(*rl_envsubst_lookup_cb)(const char *name, void *ud);

typedef struct rl_envsubst_result {
    char *value;     /* malloc'd result; NULL when unset_var is set */
    char *unset_var; /* malloc'd name when the whole input is ${VAR} and VAR
                        is unset or empty: the caller treats the key as absent */
    char msg[192];   /* why the call failed (no variable value is ever in it) */
} rl_envsubst_result_t;

/* Substitutes every ${VAR} and ${VAR:-default} in `in`:
 *   ${VAR}          VAR's value; unset is an error, except that a value that
 *                   is exactly "${VAR}" with VAR unset or empty gives
 *                   unset_var instead of a value.
 *   ${VAR:-default} VAR's value, or `default` (literal text, no nesting)
 *                   when VAR is unset or empty.
 *   $$              a literal '$'. A '$' not followed by '{' or '$' is kept.
 * Substituted values are never re-scanned. The result may be at most
 * `max_len` bytes. Returns 0 with res->value or res->unset_var set (the
 * caller frees both), or -1 with res->msg set and nothing to free. */
int rl_envsubst(const char *in, size_t max_len, rl_envsubst_lookup_cb lookup, void *ud,
                rl_envsubst_result_t *res);

/* Frees res->value and res->unset_var and nulls them. */
void rl_envsubst_result_free(rl_envsubst_result_t *res);

/* A lookup that reads the process environment (getenv). */
const char *rl_envsubst_getenv(const char *name, void *ud);

#endif
