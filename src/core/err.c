/* err.c — lookups into the error table of err.h. */
#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>

static const struct {
    const char *name;
    int status;
} table[] = {[RL_EOK] = {"ok", 200},
#define RL_ERR_ROW(n, code, st) [RL_E##n] = {code, st},
             RL_ERR_MAP(RL_ERR_ROW)
#undef RL_ERR_ROW
};

const char *rl_err_name(rl_errcode_t code)
{
    if ((int)code < 0 || code >= RL_E__COUNT) return "internal";
    return table[code].name;
}

int rl_err_status(rl_errcode_t code)
{
    if ((int)code < 0 || code >= RL_E__COUNT) return 500;
    return table[code].status;
}

int rl_err_set(rl_err_t *err, rl_errcode_t code, const char *fmt, ...)
{
    if (err != NULL) {
        va_list ap;
        err->code = code;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
    }
    return -(int)code;
}
