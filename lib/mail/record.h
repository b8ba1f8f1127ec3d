/*
 * record.h - table values written as space-separated name=value fields
 * ("quota=1024 pk=..."), the form of the users tables.  Binary values are
 * URL-safe base64 without padding.
 */
#ifndef POSTERN_RECORD_H
#define POSTERN_RECORD_H

#include <stddef.h>
#include <stdint.h>

/* record_field - the value of name into out (size bytes); 0, or -1 when
 * absent or too long. */
int record_field(const char *text, const char *name, char *out, size_t size);
/* record_u64 - a decimal field; 0 or -1. */
int record_u64(const char *text, const char *name, uint64_t *v);
/* record_bytes - a base64 field of exactly n bytes; 0 or -1. */
int record_bytes(const char *text, const char *name, uint8_t *p, size_t n);

#endif
