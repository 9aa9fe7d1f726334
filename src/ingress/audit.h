/* audit.h — the audit trail's record and hash chain (pure: no I/O).
 *
 * The chain. Every row stores prev_hash, the hash of the row before it, and
 * its own hash = SHA-256 over a canonical serialization of its fields with
 * prev_hash first. Changing a field breaks the row's own hash; deleting a
 * row breaks the link of the row after it; inserting one breaks the link of
 * the row after it too (that row still points at the row before the
 * insertion). So a verifier walking the rows in order can say which row was
 * modified, inserted or deleted — the first such row is reported.
 *
 * Canonical form: "relais-audit-v1\n", then each field as <len>:<bytes>\n,
 * or "~\n" for a missing one, in this order: prev_hash, ts_ms,
 * request_id, consumer, route, action, resource_type, resource_id, method,
 * path, status, ip_prefix, ip_digest, user_agent, body_sha256,
 * duration_us. Numbers are decimal. Length prefixes make the form
 * unambiguous whatever the fields contain.
 *
 * Client addresses. The hash covers ip_prefix (the /24 or /48 network) and
 * ip_digest (a keyed BLAKE2b-256 of the full address, key from secret_key), never
 * client_ip itself. Anonymization replaces client_ip with ip_prefix, which
 * leaves every hash intact; verification checks that client_ip is either
 * ip_prefix or an address inside it (and, given the key, one whose digest is
 * ip_digest).
 *
 * Retention deletes the oldest rows and keeps the last deleted row's hash
 * as a checkpoint: verification starts from it (or from 64 '0's, the
 * genesis, when retention never ran).
 *
 * Worked example: rows 1, 2, 3 chained. Delete row 2: row 3's prev_hash
 * is row 2's hash, not row 1's, and seq jumps 1 → 3: "row 3: a row before
 * it was deleted (after row 1)". Change row 2's status: row 2's recomputed
 * hash differs and row 3 still links to the stored one: "row 2 was
 * modified". */
#ifndef RL_INGRESS_AUDIT_H
#define RL_INGRESS_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define RL_AUDIT_GENESIS "0000000000000000000000000000000000000000000000000000000000000000"
#define RL_AUDIT_PREFIX_MAX 64

/* The /24 (IPv4) or /48 (IPv6) network of `ip` as "203.0.113.0/24" or
 * "2001:db8:1::/48"; "" when ip is not an address. */
void rl_audit_ip_prefix(const char *ip, char *out, size_t cap);

/* BLAKE2b-256 of ip keyed with BLAKE2b-256(key) (no key when key_len is 0)
 * as lower-case hex (65 bytes with NUL). */
void rl_audit_ip_digest(const char *key, size_t key_len, const char *ip, char *out);

/* SHA-256 of the row's canonical form (its prev_hash included) as hex. */
void rl_audit_row_hash(const rl_store_audit_row_t *row, char *out);

/* Chains `row` after `prev_hash`: sets row->prev_hash and row->hash, and
 * copies the new hash into prev_hash (RL_STORE_HEX_LEN + 1 bytes) for the
 * next row. */
void rl_audit_chain(rl_store_audit_row_t *row, char *prev_hash);

typedef enum rl_audit_problem {
    RL_AUDIT_FINE = 0,
    RL_AUDIT_MODIFIED, /* a row's content no longer matches its hash */
    RL_AUDIT_INSERTED, /* a row that is not part of the chain */
    RL_AUDIT_DELETED,  /* rows missing before a row */
} rl_audit_problem_t;

/* Walks rows in seq order and stops at the first problem. Feed every row
 * with rl_audit_verify_row, then call rl_audit_verify_end. */
typedef struct rl_audit_verifier {
    char last[RL_STORE_HEX_LEN + 1];   /* hash of the last good row (or the start) */
    char before[RL_STORE_HEX_LEN + 1]; /* hash of the good row before it */
    int64_t last_seq;                  /* 0 at the start */
    bool have_suspect;                 /* a row whose own hash failed, decided by the next */
    int64_t suspect_seq;
    char suspect_hash[RL_STORE_HEX_LEN + 1];
    const char *key; /* secret_key for the ip_digest check, or NULL to skip it */
    size_t key_len;
    uint64_t rows;
    rl_audit_problem_t problem;
    int64_t problem_seq; /* the row the problem names */
    char message[256];
} rl_audit_verifier_t;

/* start_hash: the checkpoint's hash, or RL_AUDIT_GENESIS. */
void rl_audit_verify_init(rl_audit_verifier_t *v, const char *start_hash, const char *key, size_t key_len);

/* Returns RL_AUDIT_FINE to go on, or the problem (then stop feeding). */
rl_audit_problem_t rl_audit_verify_row(rl_audit_verifier_t *v, const rl_store_audit_row_t *row);

/* Decides a pending suspect row; returns the final verdict. */
rl_audit_problem_t rl_audit_verify_end(rl_audit_verifier_t *v);

#endif
