/*
 * strnum.h - checked number parsing (atoi is banned, STYLE 4).
 */
#ifndef POSTERN_STRNUM_H
#define POSTERN_STRNUM_H

#include <stdint.h>

/*
 * strnum_u64 - parse a whole decimal string in [min, max].  Returns 0, or
 * -1 with *error_r set to a static "is not a number"/"too small"/"too
 * large" phrase.
 */
int strnum_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out,
    const char **error_r) __attribute__((warn_unused_result));

#endif
