/* retry_after.c — Retry-After parsing and formatting; see retry_after.h.
 * The date parser is a strict cursor over the three fixed layouts: each
 * field has a known width (asctime's day may be space-padded), names are
 * matched case-insensitively, and anything left over rejects the value. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/calendar.h"
#include "upstream/retry_after.h"

typedef struct cursor {
    const char *p, *end;
} cursor_t;

static const char *const wkday[7] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
static const char *const weekday[7] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                       "Friday", "Saturday", "Sunday"};
static const char *const month[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

static bool lit(cursor_t *c, const char *s)
{
    size_t n = strlen(s);
    if ((size_t)(c->end - c->p) < n || strncasecmp(c->p, s, n) != 0) return false;
    c->p += n;
    return true;
}

/* Exactly `width` digits. */
static bool digits(cursor_t *c, int width, unsigned *out)
{
    unsigned v = 0;
    if (c->end - c->p < width) return false;
    for (int i = 0; i < width; i++) {
        if (c->p[i] < '0' || c->p[i] > '9') return false;
        v = v * 10 + (unsigned)(c->p[i] - '0');
    }
    c->p += width;
    *out = v;
    return true;
}

/* One of `n` names; its index in *out. Longest names first is not needed:
 * no name of a table is a prefix of another one of the same table. */
static bool name(cursor_t *c, const char *const *names, int n, int *out)
{
    for (int i = 0; i < n; i++)
        if (lit(c, names[i])) {
            *out = i;
            return true;
        }
    return false;
}

/* "HH:MM:SS" (a leap second :60 is accepted). */
static bool hms(cursor_t *c, unsigned *h, unsigned *m, unsigned *s)
{
    return digits(c, 2, h) && lit(c, ":") && digits(c, 2, m) && lit(c, ":") && digits(c, 2, s) && *h < 24 &&
           *m < 60 && *s <= 60;
}

typedef struct civil {
    int64_t y;
    unsigned mon, d, h, min, s;
} civil_t;

/* "Sun, 06 Nov 1994 08:49:37 GMT" after the day name. */
static bool imf_fixdate(cursor_t *c, civil_t *t)
{
    unsigned y;
    int mi;
    if (!(lit(c, ", ") && digits(c, 2, &t->d) && lit(c, " ") && name(c, month, 12, &mi) && lit(c, " ") &&
          digits(c, 4, &y) && lit(c, " ") && hms(c, &t->h, &t->min, &t->s) && lit(c, " GMT")))
        return false;
    t->y = y;
    t->mon = (unsigned)mi + 1;
    return true;
}

/* "Sunday, 06-Nov-94 08:49:37 GMT" after the day name. */
static bool rfc850_date(cursor_t *c, civil_t *t, uint64_t now_ms)
{
    unsigned yy;
    int mi;
    if (!(lit(c, ", ") && digits(c, 2, &t->d) && lit(c, "-") && name(c, month, 12, &mi) && lit(c, "-") &&
          digits(c, 2, &yy) && lit(c, " ") && hms(c, &t->h, &t->min, &t->s) && lit(c, " GMT")))
        return false;
    int64_t now_y;
    unsigned now_m, now_d;
    rl_calendar_civil_from_days((int64_t)(now_ms / RL_MS_PER_DAY), &now_y, &now_m, &now_d);
    t->y = now_y - now_y % 100 + yy;
    if (t->y > now_y + 50) t->y -= 100;
    t->mon = (unsigned)mi + 1;
    return true;
}

/* "Sun Nov  6 08:49:37 1994" after the day name. */
static bool asctime_date(cursor_t *c, civil_t *t)
{
    unsigned y;
    int mi;
    if (!(lit(c, " ") && name(c, month, 12, &mi) && lit(c, " "))) return false;
    if (!digits(c, 2, &t->d) && !(lit(c, " ") && digits(c, 1, &t->d))) return false;
    if (!(lit(c, " ") && hms(c, &t->h, &t->min, &t->s) && lit(c, " ") && digits(c, 4, &y))) return false;
    t->y = y;
    t->mon = (unsigned)mi + 1;
    return true;
}

/* An HTTP-date as ms since the epoch (negative before 1970), or false. */
static bool http_date(cursor_t *c, uint64_t now_ms, int64_t *out)
{
    civil_t t;
    int wd;
    bool ok;
    /* Long names first: "Sunday" starts with "Sun". */
    if (name(c, weekday, 7, &wd))
        ok = rfc850_date(c, &t, now_ms);
    else if (name(c, wkday, 7, &wd))
        ok = (c->p < c->end && *c->p == ',') ? imf_fixdate(c, &t) : asctime_date(c, &t);
    else
        return false;
    if (!ok || c->p != c->end || t.d < 1 || t.d > rl_calendar_days_in_month(t.y, t.mon)) return false;
    int64_t days = rl_calendar_days_from_civil(t.y, t.mon, t.d);
    *out = ((days * 24 + t.h) * 60 + t.min) * 60000 + (int64_t)t.s * 1000;
    return true;
}

static int64_t delta_seconds(const char *p, const char *end)
{
    int64_t secs = 0;
    for (; p < end; p++) {
        if (*p < '0' || *p > '9') return -1;
        if (secs <= RL_RETRY_AFTER_MAX_MS / 1000) secs = secs * 10 + (*p - '0');
    }
    return secs >= RL_RETRY_AFTER_MAX_MS / 1000 ? RL_RETRY_AFTER_MAX_MS : secs * 1000;
}

int64_t rl_retry_after_parse(const char *s, size_t len, uint64_t now_ms)
{
    const char *p = s, *end = s + len;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    if (p == end) return -1;
    if (*p >= '0' && *p <= '9') return delta_seconds(p, end);
    cursor_t c = {p, end};
    int64_t at;
    if (!http_date(&c, now_ms, &at)) return -1;
    if (at <= 0 || (uint64_t)at <= now_ms) return 0;
    uint64_t d = (uint64_t)at - now_ms;
    return d > (uint64_t)RL_RETRY_AFTER_MAX_MS ? RL_RETRY_AFTER_MAX_MS : (int64_t)d;
}

uint64_t rl_retry_after_seconds(uint64_t ms)
{
    uint64_t s = ms / 1000 + (ms % 1000 != 0);
    return s ? s : 1;
}

size_t rl_retry_after_format(char *out, uint64_t ms)
{
    int n = snprintf(out, RL_RETRY_AFTER_BUFSZ, "%llu", (unsigned long long)rl_retry_after_seconds(ms));
    return (size_t)n;
}
