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

/* The access log is written on every request, so its line is assembled by
 * hand: snprintf and strftime cost more than the rest of the request's
 * bookkeeping together. The date part of the timestamp is formatted once per
 * second per worker. */

static char *put_lit(char *o, const char *s, size_t n)
{
    memcpy(o, s, n);
    return o + n;
}
#define PUT_LIT(o, s) put_lit((o), (s), sizeof(s) - 1)

static char *put_u64(char *o, uint64_t v)
{
    return o + rl_fmt_u64(o, v);
}

/* `digits` decimal digits of v, zero-padded. */
static char *put_fixed(char *o, uint64_t v, int digits)
{
    for (int i = digits - 1; i >= 0; i--, v /= 10)
        o[i] = (char)('0' + v % 10);
    return o + digits;
}

/* ,"key":"escaped" (or null); `room` bounds the escaped value. */
static char *put_str(char *o, const char *key, size_t key_len, const char *s, size_t len, size_t room)
{
    o = PUT_LIT(o, ",\"");
    o = put_lit(o, key, key_len);
    o = PUT_LIT(o, "\":");
    if (s == NULL) return PUT_LIT(o, "null");
    *o++ = '"';
    o += rl_json_escape(o, room, s, len);
    *o++ = '"';
    return o;
}
#define PUT_STR(o, key, s, len, room) put_str((o), (key), sizeof(key) - 1, (s), (len), (room))

/* "2026-11-21T10:00:00.123Z" for `ts`, from the per-second cache. */
static char *put_time(rl_accesslog_t *log, char *o, const struct timespec *ts)
{
    if (ts->tv_sec != log->date_sec || log->date[0] == '\0') {
        struct tm tm;
        gmtime_r(&ts->tv_sec, &tm);
        strftime(log->date, sizeof(log->date), "%Y-%m-%dT%H:%M:%S.", &tm);
        log->date_sec = ts->tv_sec;
    }
    o = put_lit(o, log->date, strlen(log->date));
    o = put_fixed(o, (uint64_t)ts->tv_nsec / 1000000u, 3);
    *o++ = 'Z';
    return o;
}

void rl_accesslog_add(rl_accesslog_t *log, const rl_access_rec_t *r)
{
    if (log->buf == NULL) {
        log->buf = malloc(ACCESSLOG_CAP);
        if (log->buf == NULL) return;
        log->cap = ACCESSLOG_CAP;
    }
    if (log->cap - log->len < ACCESSLOG_LINE_MAX) rl_accesslog_flush(log);
    /* An escaped byte may take six: each free-form field gets a fixed share
     * of the line (3,200 bytes in all), so that it always fits
     * ACCESSLOG_LINE_MAX. */
    char *o = log->buf + log->len, *start = o;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    o = PUT_LIT(o, "{\"time\":\"");
    o = put_time(log, o, &ts);
    *o++ = '"';
    o = PUT_STR(o, "request_id", r->request_id, r->request_id_len, 256);
    o = PUT_STR(o, "route", r->route, r->route ? strlen(r->route) : 0, 640);
    o = PUT_STR(o, "method", r->method, r->method_len, 128);
    o = PUT_STR(o, "path", r->path, r->path_len, 1536);
    o = PUT_LIT(o, ",\"status\":");
    o = put_u64(o, r->status < 0 ? 0 : (uint64_t)r->status);
    o = PUT_LIT(o, ",\"bytes\":");
    o = put_u64(o, r->bytes);
    o = PUT_LIT(o, ",\"duration_ms\":");
    o = put_u64(o, r->duration_us / 1000);
    *o++ = '.';
    o = put_fixed(o, r->duration_us % 1000, 3);
    o = PUT_STR(o, "upstream", r->upstream, r->upstream ? strlen(r->upstream) : 0, 640);
    o = PUT_LIT(o, ",\"upstream_status\":");
    if (r->upstream_status > 0)
        o = put_u64(o, (uint64_t)r->upstream_status);
    else
        o = PUT_LIT(o, "null");
    o = PUT_LIT(o, "}\n");
    log->len += (size_t)(o - start);
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
