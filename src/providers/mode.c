/* mode.c — effective mode of a provider, see mode.h. */
#include "providers/mode.h"

#include <string.h>

static const char *const names[] = {"unset", "mock", "real", "auto"};

const char *rl_mode_name(rl_mode_t m)
{
    return (unsigned)m < sizeof(names) / sizeof(names[0]) ? names[m] : "unset";
}

int rl_mode_parse(const char *s, rl_mode_t *out)
{
    for (size_t i = 1; s && i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(s, names[i]) != 0) continue;
        *out = (rl_mode_t)i;
        return 0;
    }
    return -1;
}

/* Adds `name` to the missing list unless it is there already. */
static void note(const char *name, const char **missing, size_t cap, size_t *n)
{
    for (size_t i = 0; i < *n && i < cap; i++)
        if (strcmp(missing[i], name) == 0) return;
    if (*n < cap) missing[*n] = name;
    (*n)++;
}

static rl_mode_t decide(rl_mode_t provider, rl_mode_t global, size_t n_missing)
{
    rl_mode_t m = provider != RL_MODE_UNSET ? provider : global;
    if (m == RL_MODE_MOCK || m == RL_MODE_REAL) return m;
    return n_missing == 0 ? RL_MODE_REAL : RL_MODE_MOCK;
}

rl_mode_t rl_mode_resolve(rl_mode_t provider, rl_mode_t global, const char *const *required,
                          size_t n_required, rl_envsubst_lookup_cb lookup, void *ud, const char **missing,
                          size_t cap, size_t *n_missing)
{
    size_t n = 0;
    for (size_t i = 0; i < n_required; i++) {
        const char *v = required[i] ? lookup(required[i], ud) : "";
        if (v == NULL || v[0] == '\0') note(required[i], missing, cap, &n);
    }
    if (n_missing) *n_missing = n;
    return decide(provider, global, n);
}

rl_mode_t rl_mode_of_provider(const rl_provider_cfg_t *p, rl_mode_t global, rl_envsubst_lookup_cb lookup,
                              void *ud, const char **missing, size_t cap, size_t *n_missing)
{
    size_t n = 0, n_auth = 0;
    rl_mode_resolve(RL_MODE_MOCK, RL_MODE_MOCK, (const char *const *)p->required_env, p->n_required_env,
                    lookup, ud, missing, cap, &n);
    /* the credential variables, looked up again: the auth block may list
     * names it found set as well as unset ones */
    const char *const *auth_env = rl_auth_env_vars(&p->auth, false, &n_auth);
    for (size_t i = 0; i < n_auth; i++) {
        const char *v = lookup(auth_env[i], ud);
        if (v == NULL || v[0] == '\0') note(auth_env[i], missing, cap, &n);
    }
    if (n_missing) *n_missing = n;
    return decide(p->mode, global, n);
}
