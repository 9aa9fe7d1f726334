/* mode.h — which way a provider answers: for real, or from mock fixtures.
 *
 * `mode` is set globally (`mode:`, RELAIS_MODE) and per provider; the
 * provider's wins. `auto` means real when every env var the provider needs
 * is set and not empty, else mock. Pure: the environment is read through a
 * lookup callback, so tests pass a table and the server passes getenv. */
#ifndef RL_PROVIDERS_MODE_H
#define RL_PROVIDERS_MODE_H

#include <stddef.h>

#include "config/config.h"
#include "config/envsubst.h"

/* "mock", "real", "auto"; "unset" for RL_MODE_UNSET. */
const char *rl_mode_name(rl_mode_t m);

/* Parses "mock", "real" or "auto"; returns 0, or -1 (out untouched). */
int rl_mode_parse(const char *s, rl_mode_t *out);

/* The effective mode, RL_MODE_MOCK or RL_MODE_REAL (never auto or unset):
 * `provider` unless unset, else `global` (unset counts as auto); auto gives
 * real when none of the `n_required` variables in `required` is unset or
 * empty according to `lookup`. The missing ones, whatever the mode, are
 * written to `missing` (at most `cap`, borrowed from `required`, in order,
 * without repeats) and counted in *n_missing (which may exceed cap). */
rl_mode_t rl_mode_resolve(rl_mode_t provider, rl_mode_t global, const char *const *required,
                          size_t n_required, rl_envsubst_lookup_cb lookup, void *ud, const char **missing,
                          size_t cap, size_t *n_missing);

/* rl_mode_resolve for a configured provider: its required_env (from the
 * preset) plus the credential variables its `auth` block found unset. The
 * strings written to `missing` belong to `p`. */
rl_mode_t rl_mode_of_provider(const rl_provider_cfg_t *p, rl_mode_t global, rl_envsubst_lookup_cb lookup,
                              void *ud, const char **missing, size_t cap, size_t *n_missing);

#endif
