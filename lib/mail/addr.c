/*
 * NAME
 *	addr - RFC 5321 path and mailbox parser
 * DESCRIPTION
 *	A hand-written parser that follows the ABNF of RFC 5321 section
 *	4.1.2 rule by rule, and reads no byte past len.  See addr.h for what
 *	it refuses.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mail/addr.h"

struct cursor {
	const unsigned char *p, *end;
	int flags;
	bool utf8;
};

/* peek - the next byte, or -1 at the end */
static int
peek(const struct cursor *c)
{
	return c->p < c->end ? *c->p : -1;
}

/* utf8_seq - length of a valid UTF-8 sequence of a non-ASCII char, or 0 */
static size_t
utf8_seq(const struct cursor *c)
{
	const unsigned char *p = c->p;
	size_t n, i;

	if (p >= c->end || *p < 0xc2 || *p > 0xf4)
		return 0;
	n = *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : 2;
	if ((size_t)(c->end - p) < n)
		return 0;
	for (i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	/* Overlongs and surrogates. */
	if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] > 0x9f) ||
	    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] > 0x8f))
		return 0;
	return n;
}

/* take_utf8 - consume a non-ASCII character if SMTPUTF8 allows it */
static bool
take_utf8(struct cursor *c)
{
	size_t n;

	if (!(c->flags & ADDR_UTF8) || (n = utf8_seq(c)) == 0)
		return false;
	c->p += n;
	c->utf8 = true;
	return true;
}

/* is_atext - RFC 5322 atext (ASCII part) */
static bool
is_atext(int ch)
{
	/* ch > 0: strchr would find the terminating NUL. */
	return ch > 0 && ch < 128 && (isalnum(ch) ||
	    strchr("!#$%&'*+-/=?^_`{|}~", ch) != NULL);
}

/* non_ascii_error - why a byte >= 0x80 was not taken */
static const char *
non_ascii_error(const struct cursor *c)
{
	return (c->flags & ADDR_UTF8) ? "bad UTF-8 in address" :
	    "non-ASCII address without SMTPUTF8";
}

/* parse_local - Dot-string or Quoted-string */
static int
parse_local(struct cursor *c, bool *quoted, const char **error_r)
{
	if (peek(c) == '"') {
		c->p++;
		*quoted = true;
		for (;;) {
			int ch = peek(c);

			if (ch == '"') {
				c->p++;
				return 0;
			}
			if (ch == '\\') {
				/* quoted-pairSMTP: backslash, then %d32-126 */
				c->p++;
				ch = peek(c);
				if (ch < 32 || ch > 126) {
					*error_r = "bad quoted pair in local part";
					return -1;
				}
				c->p++;
			} else if (ch >= 32 && ch <= 126 && ch != '"' &&
			    ch != '\\') {
				c->p++;
			} else if (!take_utf8(c)) {
				*error_r = ch < 0 ? "unterminated quoted local "
				    "part" : "bad character in quoted local part";
				return -1;
			}
		}
	}
	*quoted = false;
	for (;;) {
		const unsigned char *atom = c->p;

		while (is_atext(peek(c)) || take_utf8(c))
			if (is_atext(peek(c)))
				c->p++;
		if (peek(c) >= 0x80) {
			*error_r = non_ascii_error(c);
			return -1;
		}
		if (c->p == atom) {
			*error_r = "bad local part";
			return -1;
		}
		if (peek(c) != '.')
			return 0;
		c->p++;
	}
}

/* parse_domain - sub-domain *("." sub-domain), or an address literal */
static int
parse_domain(struct cursor *c, bool *literal, const char **error_r)
{
	if (peek(c) == '[') {
		const unsigned char *start = ++c->p;
		char text[64];
		unsigned char bin[16];
		size_t n;

		while (peek(c) >= 33 && peek(c) <= 126 && peek(c) != '[' &&
		    peek(c) != ']' && peek(c) != '\\')
			c->p++;
		if (peek(c) != ']') {
			*error_r = "bad address literal";
			return -1;
		}
		n = (size_t)(c->p - start);
		c->p++;
		*literal = true;
		if (n == 0 || n >= sizeof(text)) {
			*error_r = "bad address literal";
			return -1;
		}
		memcpy(text, start, n);
		text[n] = '\0';
		if (inet_pton(AF_INET, text, bin) == 1 ||
		    (strncasecmp(text, "IPv6:", 5) == 0 &&
		    inet_pton(AF_INET6, text + 5, bin) == 1))
			return 0;
		*error_r = "bad address literal";
		return -1;
	}
	*literal = false;
	for (;;) {
		const unsigned char *label = c->p;

		/* Let-dig [Ldh-str]: no leading or trailing hyphen. */
		while (isalnum(peek(c)) || peek(c) == '-' || take_utf8(c))
			if (isalnum(peek(c)) || peek(c) == '-')
				c->p++;
		if (peek(c) >= 0x80) {
			*error_r = non_ascii_error(c);
			return -1;
		}
		if (c->p == label) {
			/* A trailing dot ends the domain: said later. */
			if (label[-1] == '.' && peek(c) == '>')
				return 0;
			*error_r = "bad domain";
			return -1;
		}
		if (*label == '-' || c->p[-1] == '-') {
			*error_r = "bad domain: a label starts or ends with "
			    "a hyphen";
			return -1;
		}
		if (peek(c) != '.')
			return 0;
		c->p++;
	}
}

/* copy_part - store a parsed part, checking its length */
static int
copy_part(char *out, size_t max, const unsigned char *start,
    const unsigned char *end, const char *too_long, const char **error_r)
{
	size_t n = (size_t)(end - start);

	if (n > max) {
		*error_r = too_long;
		return -1;
	}
	memcpy(out, start, n);
	out[n] = '\0';
	return 0;
}

int
addr_parse_path(const char *s, size_t len, int flags, struct mail_addr *a,
    size_t *used, const char **error_r)
{
	struct cursor c = { (const unsigned char *)s,
	    (const unsigned char *)s + len, flags, false };
	const unsigned char *start, *at;
	bool bracket;

	memset(a, 0, sizeof(*a));
	bracket = peek(&c) == '<';
	if (bracket)
		c.p++;
	else if (!(flags & ADDR_LAX)) {
		*error_r = "the address must be enclosed in <>";
		return -1;
	}
	if (bracket && peek(&c) == '>') {
		if (!(flags & ADDR_NULL_OK)) {
			*error_r = "the null address <> is not allowed here";
			return -1;
		}
		a->null = true;
		*used = 2;
		return 0;
	}
	if (peek(&c) == '@') {
		*error_r = "source routes are not accepted";
		return -1;
	}
	start = c.p;
	if (parse_local(&c, &a->quoted, error_r) < 0)
		return -1;
	at = c.p;
	if (peek(&c) != '@') {
		/* RFC 5321 4.5.1: "<postmaster>" needs no domain. */
		if ((flags & ADDR_POSTMASTER) && !a->quoted &&
		    at - start == 10 && strncasecmp((const char *)start,
		    "postmaster", 10) == 0 && (!bracket || peek(&c) == '>')) {
			memcpy(a->local, start, 10);
			a->local[10] = '\0';
			*used = (size_t)(c.p - (const unsigned char *)s) +
			    (bracket ? 1 : 0);
			return 0;
		}
		*error_r = "the address needs a domain (user@domain)";
		return -1;
	}
	if (copy_part(a->local, ADDR_LOCAL_MAX, start, at,
	    "local part longer than 64 octets", error_r) < 0)
		return -1;
	c.p++;
	start = c.p;
	if (parse_domain(&c, &a->literal, error_r) < 0)
		return -1;
	if (copy_part(a->domain, ADDR_DOMAIN_MAX, start, c.p,
	    "domain longer than 255 octets", error_r) < 0)
		return -1;
	if (bracket) {
		if (peek(&c) != '>') {
			*error_r = peek(&c) == ' ' ? "space inside <>" :
			    "bad character in address";
			return -1;
		}
		c.p++;
	}
	*used = (size_t)(c.p - (const unsigned char *)s);
	if (*used > ADDR_PATH_MAX + 2) {
		*error_r = "path longer than 256 octets";
		return -1;
	}
	a->utf8 = c.utf8;
	return 0;
}

const char *
addr_text(const struct mail_addr *a, char *out, size_t size)
{
	if (a->null)
		snprintf(out, size, "%s", "");
	else if (a->domain[0] == '\0')
		snprintf(out, size, "%s", a->local);
	else
		snprintf(out, size, "%s@%s", a->local, a->domain);
	return out;
}

const char *
addr_is_suspicious(const struct mail_addr *a)
{
	size_t dl = strlen(a->domain);

	if (a->literal)
		return "address literal";
	if (dl > 0 && a->domain[dl - 1] == '.')
		return "domain ends in a dot";
	if (strpbrk(a->local, "%!@") != NULL)
		return "routing characters (%, ! or @) in the local part";
	return NULL;
}

bool
addr_domain_equal(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}
