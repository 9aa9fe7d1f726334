/* retry_after.h — the Retry-After header (RFC 9110 §10.2.3), both ways:
 * parsing a provider's value (delta-seconds, or an HTTP-date in any of the
 * three forms of §5.6.7: IMF-fixdate, obsolete RFC 850, asctime) into a
 * delay, and formatting relais' own on the 429s and 503s it emits.
 * Pure: `now_ms` is a parameter. */
#ifndef RL_UPSTREAM_RETRY_AFTER_H
#define RL_UPSTREAM_RETRY_AFTER_H

#include <stddef.h>
#include <stdint.h>

/* Delta-seconds longer than this are taken as this (about 68 years). */
#define RL_RETRY_AFTER_MAX_MS (2147483647ll * 1000)

/* Room for the longest formatted value plus NUL. */
#define RL_RETRY_AFTER_BUFSZ 24

/* Parses `len` bytes of a Retry-After value (surrounding spaces and tabs
 * allowed). Accepted forms:
 *   "120"                              delta-seconds
 *   "Sun, 06 Nov 1994 08:49:37 GMT"    IMF-fixdate
 *   "Sunday, 06-Nov-94 08:49:37 GMT"   RFC 850 (a two-digit year more than
 *                                      50 years ahead of now is taken as the
 *                                      past century's, RFC 9110 §5.6.7)
 *   "Sun Nov  6 08:49:37 1994"         asctime
 * Returns the delay in ms from `now_ms` (0 for a date in the past; at most
 * RL_RETRY_AFTER_MAX_MS), or -1 when the value is none of these. The day
 * name must be a day name but is not checked against the date. */
int64_t rl_retry_after_parse(const char *s, size_t len, uint64_t now_ms);

/* The Retry-After seconds for a delay of `ms`: rounded up, at least 1 (a
 * client told "0" retries at once and fails again). */
uint64_t rl_retry_after_seconds(uint64_t ms);

/* Writes rl_retry_after_seconds(ms) in decimal and a NUL into `out` (at
 * least RL_RETRY_AFTER_BUFSZ bytes). Returns the length without the NUL. */
size_t rl_retry_after_format(char *out, uint64_t ms);

#endif
