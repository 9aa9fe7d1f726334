/* cursor.c — signed pagination cursors, see cursor.h. */
#include "core/cursor.h"

#include <pthread.h>
#include <sodium.h>
#include <string.h>

#define VERSION 1
#define BODY 10
#define MAC 16
#define RAW (BODY + MAC)

static void mac(const uint8_t *key, size_t key_len, const uint8_t *body, uint8_t *out)
{
    uint8_t full[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, key_len);
    crypto_auth_hmacsha256_update(&st, body, BODY);
    crypto_auth_hmacsha256_final(&st, full);
    memcpy(out, full, MAC);
}

size_t rl_cursor_encode(const uint8_t *key, size_t key_len, char kind, int64_t pos, char *out)
{
    uint8_t raw[RAW];
    uint64_t p = (uint64_t)pos;
    raw[0] = VERSION;
    raw[1] = (uint8_t)kind;
    for (int i = 0; i < 8; i++)
        raw[2 + i] = (uint8_t)(p >> (56 - 8 * i));
    mac(key, key_len, raw, raw + BODY);
    sodium_bin2base64(out, RL_CURSOR_LEN + 1, raw, RAW, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return RL_CURSOR_LEN;
}

int rl_cursor_decode(const uint8_t *key, size_t key_len, char kind, const char *s, size_t len, int64_t *pos)
{
    uint8_t raw[RAW], want[MAC];
    size_t n = 0;
    if (len != RL_CURSOR_LEN) return -1;
    if (sodium_base642bin(raw, sizeof(raw), s, len, NULL, &n, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        n != RAW)
        return -1;
    mac(key, key_len, raw, want);
    if (sodium_memcmp(want, raw + BODY, MAC) != 0) return -1;
    if (raw[0] != VERSION || raw[1] != (uint8_t)kind) return -1;
    uint64_t p = 0;
    for (int i = 0; i < 8; i++)
        p = p << 8 | raw[2 + i];
    if (p > INT64_MAX) return -1;
    *pos = (int64_t)p;
    return 0;
}

static uint8_t process_key[32];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void make_key(void)
{
    if (sodium_init() < 0) return;
    randombytes_buf(process_key, sizeof(process_key));
}

void rl_cursor_key(const char *secret_key, const uint8_t **key, size_t *key_len)
{
    if (secret_key != NULL && secret_key[0] != '\0') {
        *key = (const uint8_t *)secret_key;
        *key_len = strlen(secret_key);
        return;
    }
    pthread_once(&once, make_key);
    *key = process_key;
    *key_len = sizeof(process_key);
}
