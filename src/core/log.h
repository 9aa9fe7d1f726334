/* log.h — structured logs: one JSON object per line.
 * Operational messages go to stderr (rl_log_*); the access log goes to stdout
 * through a per-worker buffer (rl_accesslog_*) that the worker writes out a
 * few milliseconds after its first line (http/worker.h), so that a line is
 * written whole and a busy worker makes one write() per batch. */
#ifndef RL_CORE_LOG_H
#define RL_CORE_LOG_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "config/config.h"

/* Sets the minimum level logged (process-wide; read without locks). */
void rl_log_set_level(rl_log_level_t level);

/* Logs `msg` (printf-style) at `level` as {"time","level","msg"} plus the
 * extra already-JSON-encoded members in `extra` (may be NULL), e.g.
 * "\"provider\":\"openai\"". Thread-safe: one write() per line. */
void rl_log(rl_log_level_t level, const char *extra, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define rl_log_debug(...) rl_log(RL_LOG_DEBUG, NULL, __VA_ARGS__)
#define rl_log_info(...) rl_log(RL_LOG_INFO, NULL, __VA_ARGS__)
#define rl_log_warn(...) rl_log(RL_LOG_WARN, NULL, __VA_ARGS__)
#define rl_log_error(...) rl_log(RL_LOG_ERROR, NULL, __VA_ARGS__)

/* Formats the current UTC time as "2026-11-21T10:00:00.123Z" into buf
 * (at least 32 bytes). Returns the length. */
size_t rl_log_time(char *buf, size_t cap);

/* A buffered writer of access-log lines for one worker thread. */
typedef struct rl_accesslog {
    char *buf;
    size_t len, cap;
    long long date_sec; /* the second `date` was formatted for */
    char date[24];      /* "2026-11-21T10:00:00." */
} rl_accesslog_t;

/* One access-log record; strings need not be NUL-terminated. */
typedef struct rl_access_rec {
    const char *request_id;
    size_t request_id_len;
    const char *route; /* NULL when no route matched */
    const char *method;
    size_t method_len;
    const char *path;
    size_t path_len;
    int status;
    uint64_t bytes;
    uint64_t duration_us;
    const char *upstream; /* provider name or NULL */
    int upstream_status;  /* 0 when none */
} rl_access_rec_t;

/* Appends one line for `rec`; flushes first if the buffer is nearly full. */
void rl_accesslog_add(rl_accesslog_t *log, const rl_access_rec_t *rec);

/* Writes out everything buffered (soon after a line is added, and at exit). */
void rl_accesslog_flush(rl_accesslog_t *log);

void rl_accesslog_free(rl_accesslog_t *log);

#endif
