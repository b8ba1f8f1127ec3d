/*
 * NAME
 *	fromaddr - the one address of a From: field
 * DESCRIPTION
 *	See fromaddr.h.  Quoted strings and comments are skipped; the
 *	address is what stands between the last "<" and ">", or the
 *	whole value when there are no angle brackets.
 * SEE ALSO
 *	RFC 5322 3.4 and 3.6.2
 */
#include <string.h>

#include "mail/fromaddr.h"

bool
fromaddr_parse(const char *v, size_t n, char *out, size_t size)
{
	const char *lt = NULL, *gt = NULL, *a, *b;
	bool quoted = false;
	int depth = 0;

	for (size_t i = 0; i < n; i++) {
		if (v[i] == '"' && (i == 0 || v[i - 1] != '\\'))
			quoted = !quoted;
		else if (quoted)
			continue;
		else if (v[i] == '(')
			depth++;
		else if (v[i] == ')' && depth > 0)
			depth--;
		else if (depth > 0)
			continue;
		else if (v[i] == ',' || v[i] == ';' || v[i] == ':')
			return false;	/* a list or a group */
		else if (v[i] == '<')
			lt = v + i;
		else if (v[i] == '>' && lt != NULL)
			gt = v + i;
	}
	if (lt != NULL && gt != NULL && gt > lt) {
		a = lt + 1;
		b = gt;
	} else {
		a = v;
		b = v + n;
	}
	while (a < b && strchr(" \t\r\n", *a) != NULL)
		a++;
	while (b > a && strchr(" \t\r\n", b[-1]) != NULL)
		b--;
	if (b == a || (size_t)(b - a) >= size || memchr(a, '(', (size_t)(b -
	    a)) != NULL || memchr(a, ' ', (size_t)(b - a)) != NULL)
		return false;
	memcpy(out, a, (size_t)(b - a));
	out[b - a] = '\0';
	return true;
}
