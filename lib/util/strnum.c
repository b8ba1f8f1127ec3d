/*
 * NAME
 *	strnum - checked decimal parsing
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

#include "util/strnum.h"

int
strnum_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out,
    const char **error_r)
{
	unsigned long long v;
	char *end;

	if (s == NULL || !isdigit((unsigned char)s[0])) {
		*error_r = "is not a number";
		return -1;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end != '\0') {
		*error_r = "is not a number";
		return -1;
	}
	if (errno == ERANGE || v > max) {
		*error_r = "is too large";
		return -1;
	}
	if (v < min) {
		*error_r = "is too small";
		return -1;
	}
	*out = v;
	return 0;
}
