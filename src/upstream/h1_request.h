/* h1_request.h — the pure half of client_h1.c's request side: splitting an
 * http:// URL into what the connection pool and the request line need, and
 * writing the request head (no I/O, no allocation). */
#ifndef RL_UPSTREAM_H1_REQUEST_H
#define RL_UPSTREAM_H1_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "upstream/client.h"

/* Pieces of an http:// URL; pointers into the URL, except `target` which
 * may be the static "/". */
typedef struct rl_h1_url {
    const char *host; /* for resolution: an IPv6 literal without brackets */
    size_t host_len;
    const char *authority; /* the Host header: host as written, ":port" unless 80 */
    size_t authority_len;
    uint16_t port;
    const char *target; /* path?query, the fragment cut off */
    size_t target_len;
} rl_h1_url_t;

/* Splits `url` ("http://host[:port][/path][?query][#fragment]", scheme in any
 * case). Returns 0, or -1 when this client does not take it: another scheme,
 * userinfo, an empty host, a bad port, a query without a path, or a byte
 * that cannot go on a request line (CTL, space, DEL). */
int rl_h1_url_parse(const char *url, rl_h1_url_t *out);

/* The size of the request head for `req` to `u`:
 *   METHOD SP target SP "HTTP/1.1" CRLF
 *   "Host: " authority CRLF
 *   each of req->headers as "Name: value" CRLF, in order
 *   "Content-Length: " body_len CRLF      (when req->has_body)
 *   CRLF
 * Returns 0 when the method is not a token, a header name is not a token or
 * a value holds CR, LF or NUL (they would split the request). */
size_t rl_h1_request_size(const rl_xfer_req_t *req, const rl_h1_url_t *u);

/* Writes that head into `buf`, which holds rl_h1_request_size() bytes.
 * Returns the bytes written. */
size_t rl_h1_request_write(char *buf, const rl_xfer_req_t *req, const rl_h1_url_t *u);

#endif
