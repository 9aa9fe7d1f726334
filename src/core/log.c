/* log.c — JSON-line logging to stderr and the buffered access log, see log.h. */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/jsonw.h"

static volatile rl_log_level_t min_level = RL_LOG_INFO;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void rl_log_set_level(rl_log_level_t level)
{
    min_level = level;
}

size_t rl_log_time(char *buf, size_t cap)
{
    struct timespec ts;
    struct tm tm;
    char date[24];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
    date[n] = '\0';
    int len = snprintf(buf, cap, "%s.%03uZ", date, (unsigned)(ts.tv_nsec / 1000000) % 1000u);
    return len < 0 ? 0 : (size_t)len;
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0) return;
        p += w;
        n -= (size_t)w;
    }
}

void rl_log(rl_log_level_t level, const char *extra, const char *fmt, ...)
{
    if (level < min_level) return;
    char msg[1024], line[4096], ts[40];
    va_list ap;
    va_start(ap, fmt);
    int mlen = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (mlen < 0) return;
    if ((size_t)mlen >= sizeof(msg)) mlen = sizeof(msg) - 1;
    rl_log_time(ts, sizeof(ts));
    size_t n = (size_t)snprintf(line, sizeof(line), "{\"time\":\"%s\",\"level\":\"%s\",\"msg\":\"", ts,
                                level_names[level]);
    n += rl_json_escape(line + n, sizeof(line) - n - 512, msg, (size_t)mlen);
    n += (size_t)snprintf(line + n, sizeof(line) - n, "\"%s%s}\n", extra ? "," : "", extra ? extra : "");
    if (n >= sizeof(line)) n = sizeof(line) - 1, line[n - 1] = '\n';
    write_all(2, line, n);
}

#define ACCESSLOG_CAP (64 * 1024)
#define ACCESSLOG_LINE_MAX 4096

/* Appends ,"key":"escaped" (or null) within cap bytes; never overflows. */
static size_t put_str(char *out, size_t cap, const char *key, const char *s, size_t len)
{
    int k = snprintf(out, cap, ",\"%s\":", key);
    if (k < 0 || (size_t)k + 8 > cap) return 0;
    size_t n = (size_t)k;
    if (s == NULL) return n + (size_t)snprintf(out + n, cap - n, "null");
    out[n++] = '"';
    n += rl_json_escape(out + n, cap - n - 1, s, len);
    out[n++] = '"';
    return n;
}

void rl_accesslog_add(rl_accesslog_t *log, const rl_access_rec_t *r)
{
    if (log->buf == NULL) {
        log->buf = malloc(ACCESSLOG_CAP);
        if (log->buf == NULL) return;
        log->cap = ACCESSLOG_CAP;
    }
    if (log->cap - log->len < ACCESSLOG_LINE_MAX) rl_accesslog_flush(log);
    char *o = log->buf + log->len, ts[40];
    size_t cap = ACCESSLOG_LINE_MAX - 64, n;
    rl_log_time(ts, sizeof(ts));
    n = (size_t)snprintf(o, cap, "{\"time\":\"%s\"", ts);
    n += put_str(o + n, cap - n, "request_id", r->request_id, r->request_id_len);
    n += put_str(o + n, cap - n, "route", r->route, r->route ? strlen(r->route) : 0);
    n += put_str(o + n, cap - n, "method", r->method, r->method_len);
    n += put_str(o + n, (cap - n) / 2, "path", r->path, r->path_len);
    n += (size_t)snprintf(o + n, cap - n, ",\"status\":%d,\"bytes\":%llu,\"duration_ms\":%.3f", r->status,
                          (unsigned long long)r->bytes, r->duration_ms);
    n += put_str(o + n, cap - n, "upstream", r->upstream, r->upstream ? strlen(r->upstream) : 0);
    if (r->upstream_status)
        n += (size_t)snprintf(o + n, cap - n, ",\"upstream_status\":%d}\n", r->upstream_status);
    else
        n += (size_t)snprintf(o + n, cap - n, ",\"upstream_status\":null}\n");
    log->len += n;
}

void rl_accesslog_flush(rl_accesslog_t *log)
{
    if (log->len == 0) return;
    write_all(1, log->buf, log->len);
    log->len = 0;
}

void rl_accesslog_free(rl_accesslog_t *log)
{
    rl_accesslog_flush(log);
    free(log->buf);
    *log = (rl_accesslog_t){0};
}
