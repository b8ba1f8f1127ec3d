/*
 * NAME
 *	record - name=value fields of table values
 */
#include <string.h>

#include <sodium.h>

#include "mail/record.h"
#include "util/strnum.h"

int
record_field(const char *text, const char *name, char *out, size_t size)
{
	size_t nl = strlen(name);

	for (const char *p = text; *p != '\0';) {
		size_t n = strcspn(p, " ");

		if (n > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
			if (n - nl - 1 >= size)
				return -1;
			memcpy(out, p + nl + 1, n - nl - 1);
			out[n - nl - 1] = '\0';
			return 0;
		}
		p += n;
		p += strspn(p, " ");
	}
	return -1;
}

int
record_u64(const char *text, const char *name, uint64_t *v)
{
	char s[32];
	const char *why;

	if (record_field(text, name, s, sizeof(s)) < 0)
		return -1;
	return strnum_u64(s, 0, UINT64_MAX, v, &why);
}

int
record_bytes(const char *text, const char *name, uint8_t *p, size_t n)
{
	char v[256];
	size_t got;

	if (record_field(text, name, v, sizeof(v)) < 0 ||
	    sodium_base642bin(p, n, v, strlen(v), NULL, &got, NULL,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 || got != n)
		return -1;
	return 0;
}
