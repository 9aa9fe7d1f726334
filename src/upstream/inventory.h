/* inventory.h — what the providers of a snapshot need and what breaks
 * without them: the table of `relais providers` and the env var problems
 * of `relais check --strict`. */
#ifndef RL_UPSTREAM_INVENTORY_H
#define RL_UPSTREAM_INVENTORY_H

#include <stdio.h>

#include "config/snapshot.h"

/* Prints the inventory table of `s` to `out`: provider, domain, mode,
 * required env vars, missing ones, health URL, what breaks without it (the
 * preset's words, then the routes that have no other target). */
void rl_inventory_print(const rl_snapshot_t *s, FILE *out);

/* Adds one "file:line: provider NAME: missing env var X, Y" diagnostic per
 * provider with unset env vars; returns how many providers. */
size_t rl_inventory_missing(const rl_snapshot_t *s, rl_diag_t *diag);

#endif
