/* sigv4.h — AWS Signature Version 4 (`auth: {type: aws_sigv4}`), our own
 * signer: pure, OpenSSL for SHA-256 and HMAC, no I/O. It serves both the
 * plain HTTP/1.1 client and curl (curl's CURLOPT_AWS_SIGV4 would cover only
 * https:// and cannot be unit-tested against the published vectors).
 *
 * The algorithm (AWS General Reference, "Signature Version 4 signing
 * process"):
 *   1. Canonical request:
 *        METHOD \n CanonicalURI \n CanonicalQuery \n
 *        CanonicalHeaders \n SignedHeaders \n HexSHA256(payload)
 *      - URI: each byte outside A-Z a-z 0-9 - . _ ~ / percent-encoded (upper
 *        hex). For every service but S3 the path is first normalized (dot
 *        segments removed, repeated slashes collapsed) and the path as sent
 *        is encoded again ("/a%20b" signs as "/a%2520b", as botocore does);
 *        for S3 it is decoded and encoded once, never normalized.
 *      - Query: each name=value decoded then encoded as above, sorted by
 *        name then value; a parameter without '=' has an empty value.
 *      - Headers: names lower-cased, values trimmed with inner runs of
 *        spaces collapsed to one, repeated names joined with ',' in the
 *        order given, sorted by name; SignedHeaders is the ';'-joined names.
 *   2. String to sign: "AWS4-HMAC-SHA256\n" amz_date "\n"
 *        yyyymmdd/region/service/aws4_request "\n" HexSHA256(canonical).
 *   3. Signing key: HMAC chain "AWS4"+secret → date → region → service →
 *      "aws4_request"; signature = hex HMAC(key, string to sign).
 *   4. Authorization: "AWS4-HMAC-SHA256 Credential=AK/scope,
 *      SignedHeaders=…, Signature=…".
 * Worked example (the suite's get-vanilla): GET / with host
 * example.amazonaws.com and x-amz-date 20150830T123600Z, key AKIDEXAMPLE,
 * us-east-1, service "service" → Signature=5fa00fa3…3fbf31. */
#ifndef RL_UPSTREAM_SIGV4_H
#define RL_UPSTREAM_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "upstream/client.h"

/* SHA-256 of nothing: the payload hash of a request without a body. */
#define RL_SIGV4_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

typedef struct rl_sigv4_req {
    const char *method;
    size_t method_len;
    const char *path; /* as sent, without the query; "" means "/" */
    size_t path_len;
    const char *query; /* without '?'; may be NULL */
    size_t query_len;
    const rl_hdr_t *headers; /* exactly the headers to sign, host and x-amz-date included */
    size_t n_headers;
    const char *payload_hash; /* 64 lower-case hex chars (rl_sigv4_sha256_hex) */
    bool s3;                  /* S3's path rules (see above) */
} rl_sigv4_req_t;

typedef struct rl_sigv4_key {
    const char *access_key, *secret_key, *region, *service;
} rl_sigv4_key_t;

/* Lower-case hex SHA-256 of `n` bytes into out (65 bytes with the NUL). */
void rl_sigv4_sha256_hex(const void *p, size_t n, char out[65]);

/* "YYYYMMDDTHHMMSSZ" (UTC) for Unix time `now_ms` into out (17 bytes). */
void rl_sigv4_amz_date(uint64_t now_ms, char out[17]);

/* The canonical request of `r` (step 1) as a malloc'd NUL-terminated string
 * (caller frees). Returns 0, or -1 on allocation failure or more than 64
 * headers. */
int rl_sigv4_canonical_request(const rl_sigv4_req_t *r, char **out);

/* Signs `r` with `k` at `amz_date` (as in its x-amz-date header). Writes the
 * Authorization header value to *authz (malloc'd, caller frees) and, when
 * `sts` is not NULL, the string to sign to *sts (malloc'd). Returns 0 or -1
 * (allocation failure, bad amz_date, too many headers); nothing to free
 * then. */
int rl_sigv4_sign(const rl_sigv4_req_t *r, const rl_sigv4_key_t *k, const char *amz_date, char **authz,
                  char **sts);

#endif
