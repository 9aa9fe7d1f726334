/* presets_int.h — private to src/providers: the generated table of built-in
 * fixture texts (preset_fixtures.c, written by gen_fixtures.py). */
#ifndef RL_PROVIDERS_PRESETS_INT_H
#define RL_PROVIDERS_PRESETS_INT_H

/* The fixtures JSON of preset `name`, or NULL. */
const char *rl_preset_fixtures_text(const char *name);

#endif
