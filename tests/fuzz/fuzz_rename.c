/* fuzz_rename.c — libFuzzer driver for the JSON rename: any body is either
 * refused (not JSON) or renamed into valid JSON; renaming back with the
 * inverse table gives what the identity transform gives (compacted input),
 * unless the body already held a target name. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/jsonxf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static rl_rename_cfg_t fwd[] = {{"nom", "name"}, {"prix", "price_eur"}, {"a", "b"}};
    static rl_rename_cfg_t inv[] = {{"name", "nom"}, {"price_eur", "prix"}, {"b", "a"}};
    const char *in = (const char *)data;
    rl_jsonxf_t id = {.max_out = 1 << 22}, f = {.rename = fwd, .n_rename = 3, .max_out = 1 << 22},
                b = {.rename = inv, .n_rename = 3, .max_out = 1 << 22};
    char *plain, *renamed, *back;
    size_t np, nr, nb;
    int rc = rl_jsonxf_apply(in, size, &id, &plain, &np);
    int rc2 = rl_jsonxf_apply(in, size, &f, &renamed, &nr);
    if ((rc == 0) != (rc2 == 0)) abort(); /* renames never change validity */
    if (rc != 0) return 0;
    if (rl_jsonxf_apply(renamed, nr, &id, &back, &nb) != 0) abort(); /* still valid JSON */
    free(back);
    bool clash = memmem(plain, np, "\"name\"", 6) || memmem(plain, np, "\"price_eur\"", 11) ||
                 memmem(plain, np, "\"b\"", 3) || memmem(plain, np, "\\", 1);
    if (!clash) {
        if (rl_jsonxf_apply(renamed, nr, &b, &back, &nb) != 0) abort();
        if (nb != np || memcmp(back, plain, np) != 0) abort();
        free(back);
    }
    free(plain);
    free(renamed);
    return 0;
}
