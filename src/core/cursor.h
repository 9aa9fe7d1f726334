/* cursor.h — opaque, signed pagination cursors (DESIGN §6).
 *
 * A cursor carries a list kind (one letter, so that a keys cursor is not
 * accepted by the audit list) and the position of the last row returned.
 * Bytes: version (1) | kind (1) | position (8, big-endian) | the first 16
 * bytes of HMAC-SHA256(key, the 10 bytes before), then base64url without
 * padding: 35 characters. Any change to a character breaks the MAC, so a
 * tampered, truncated or foreign cursor is refused (invalid_cursor). */
#ifndef RL_CORE_CURSOR_H
#define RL_CORE_CURSOR_H

#include <stddef.h>
#include <stdint.h>

#define RL_CURSOR_LEN 35

/* Writes the cursor for (kind, pos) into out (≥ RL_CURSOR_LEN + 1 bytes).
 * Returns its length. */
size_t rl_cursor_encode(const uint8_t *key, size_t key_len, char kind, int64_t pos, char *out);

/* Checks and opens a cursor. Returns 0 with *pos, or -1 when s is not a
 * cursor of `kind` signed with `key`. */
int rl_cursor_decode(const uint8_t *key, size_t key_len, char kind, const char *s, size_t len, int64_t *pos);

/* The signing key: secret_key when set, else a random key made once per
 * process (cursors then do not survive a restart). */
void rl_cursor_key(const char *secret_key, const uint8_t **key, size_t *key_len);

#endif
