/* migrations.c — the schema, one versioned step at a time. A step is never
 * edited once released: a change is a new step. The schema_version table
 * records which steps ran (sqlite.c applies them, each in a transaction). */
#include "store/store_int.h"

const rl_store_migration_t rl_store_migrations_sqlite[] = {
    {1, "api_keys",
     "CREATE TABLE api_keys ("
     " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
     " id TEXT NOT NULL UNIQUE,"
     " name TEXT NOT NULL,"
     " secret_hash BLOB NOT NULL,"
     " prev_hash BLOB,"
     " prev_until INTEGER NOT NULL DEFAULT 0,"
     " scopes TEXT NOT NULL DEFAULT '',"
     " allow_ips TEXT NOT NULL DEFAULT '',"
     " expires_at INTEGER NOT NULL DEFAULT 0,"
     " created_at INTEGER NOT NULL,"
     " last_used_at INTEGER NOT NULL DEFAULT 0,"
     " revoked_at INTEGER NOT NULL DEFAULT 0);"},
    {2, "audit_log",
     "CREATE TABLE audit_log ("
     " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
     " ts INTEGER NOT NULL,"
     " request_id TEXT NOT NULL,"
     " consumer TEXT,"
     " route TEXT,"
     " action TEXT NOT NULL,"
     " resource_type TEXT,"
     " resource_id TEXT,"
     " method TEXT NOT NULL,"
     " path TEXT NOT NULL,"
     " status INTEGER NOT NULL,"
     " client_ip TEXT NOT NULL,"
     " ip_prefix TEXT NOT NULL,"
     " ip_digest TEXT NOT NULL,"
     " user_agent TEXT,"
     " body_sha256 TEXT,"
     " duration_us INTEGER NOT NULL,"
     " prev_hash TEXT NOT NULL,"
     " hash TEXT NOT NULL);"
     "CREATE INDEX audit_log_ts ON audit_log(ts);"
     "CREATE INDEX audit_log_consumer ON audit_log(consumer, seq);"
     "CREATE TABLE audit_checkpoint ("
     " id INTEGER PRIMARY KEY CHECK (id = 1),"
     " seq INTEGER NOT NULL,"
     " hash TEXT NOT NULL,"
     " at INTEGER NOT NULL);"},
    {0, NULL, NULL},
};
