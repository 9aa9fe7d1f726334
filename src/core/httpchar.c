/* httpchar.c — the table behind httpchar.h. */
#include "core/httpchar.h"

#define T (RL_HTTP_TCHAR | RL_HTTP_VCHAR)
#define V RL_HTTP_VCHAR

const unsigned char rl_http_class[256] = {
    ['\t'] = V, [' '] = V,  ['!'] = T, ['"'] = V,           ['#'] = T,         ['$'] = T,         ['%'] = T,
    ['&'] = T,  ['\''] = T, ['('] = V, [')'] = V,           ['*'] = T,         ['+'] = T,         [','] = V,
    ['-'] = T,  ['.'] = T,  ['/'] = V, ['0' ... '9'] = T,   [':' ... '@'] = V, ['A' ... 'Z'] = T, ['['] = V,
    ['\\'] = V, [']'] = V,  ['^'] = T, ['_'] = T,           ['`'] = T,         ['a' ... 'z'] = T, ['{'] = V,
    ['|'] = T,  ['}'] = V,  ['~'] = T, [0x80 ... 0xff] = V,
};
