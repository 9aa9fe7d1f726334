/* store_int.h — private to src/store: backend constructors and the
 * migration list. */
#ifndef RL_STORE_STORE_INT_H
#define RL_STORE_STORE_INT_H

#include "store/store.h"

/* Opens (creating it and its parent directory) the SQLite file at `path`,
 * or an in-memory database for ":memory:". WAL, busy_timeout 5 s. */
int rl_store_sqlite_open(const char *path, rl_store_t **out, rl_err_t *err);

typedef struct rl_store_migration {
    int version;
    const char *what;
    const char *sql; /* one or more statements */
} rl_store_migration_t;

/* The SQLite migrations in version order (1, 2, …), ended by {0}. */
extern const rl_store_migration_t rl_store_migrations_sqlite[];

#endif
