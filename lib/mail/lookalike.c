/*
 * NAME
 *	lookalike - domains that pose as others (see lookalike.h)
 */
#include <ctype.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "mail/lookalike.h"

/* ---- RFC 3492 punycode. ---- */

enum { PC_BASE = 36, PC_TMIN = 1, PC_TMAX = 26, PC_SKEW = 38,
	PC_DAMP = 700, PC_BIAS = 72, PC_N = 128, PC_MAX_CP = 256 };

static uint32_t
adapt(uint32_t delta, uint32_t points, bool first)
{
	uint32_t k = 0;

	delta = first ? delta / PC_DAMP : delta / 2;
	delta += delta / points;
	while (delta > ((PC_BASE - PC_TMIN) * PC_TMAX) / 2) {
		delta /= PC_BASE - PC_TMIN;
		k += PC_BASE;
	}
	return k + (PC_BASE - PC_TMIN + 1) * delta / (delta + PC_SKEW);
}

static int
digit_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0' + 26;
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	return -1;
}

/* utf8_put - one code point; false if it does not fit */
static bool
utf8_put(uint32_t cp, char *out, size_t size, size_t *o)
{
	unsigned char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xc0 | cp >> 6);
		b[1] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (unsigned char)(0xe0 | cp >> 12);
		b[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (unsigned char)(0xf0 | cp >> 18);
		b[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		b[3] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	if (*o + n >= size)
		return false;
	memcpy(out + *o, b, n);
	*o += n;
	return true;
}

/* punycode_points - decode into code points; the count, or -1 */
static long
punycode_points(const char *in, size_t len, uint32_t *cp, size_t max)
{
	uint32_t n = PC_N, i = 0, bias = PC_BIAS;
	size_t out = 0, b = 0, p;

	for (p = 0; p < len; p++)
		if (in[p] == '-')
			b = p;
	if (b > max)
		return -1;
	for (p = 0; p < b; p++) {
		if ((unsigned char)in[p] >= 0x80)
			return -1;
		cp[out++] = (unsigned char)in[p];
	}
	for (p = b > 0 ? b + 1 : 0; p < len;) {
		uint32_t oldi = i, w = 1;

		for (uint32_t k = PC_BASE;; k += PC_BASE) {
			int d;
			uint32_t t;

			if (p >= len || (d = digit_value(in[p++])) < 0)
				return -1;
			if ((uint32_t)d > (UINT32_MAX - i) / w)
				return -1;
			i += (uint32_t)d * w;
			t = k <= bias ? PC_TMIN : k >= bias + PC_TMAX ?
			    PC_TMAX : k - bias;
			if ((uint32_t)d < t)
				break;
			if (w > UINT32_MAX / (PC_BASE - t))
				return -1;
			w *= PC_BASE - t;
		}
		bias = adapt(i - oldi, (uint32_t)out + 1, oldi == 0);
		if (i / (out + 1) > 0x10FFFF - n)
			return -1;
		n += i / (uint32_t)(out + 1);
		i %= (uint32_t)(out + 1);
		if (out >= max || n > 0x10FFFF || (n >= 0xD800 && n <= 0xDFFF))
			return -1;
		memmove(cp + i + 1, cp + i, (out - i) * sizeof(*cp));
		cp[i++] = n;
		out++;
	}
	return (long)out;
}

bool
punycode_decode(const char *in, size_t len, char *out, size_t size)
{
	uint32_t cp[PC_MAX_CP];
	long n = punycode_points(in, len, cp, PC_MAX_CP);
	size_t o = 0;

	if (n < 0 || size == 0)
		return false;
	for (long k = 0; k < n; k++)
		if (!utf8_put(cp[k], out, size, &o))
			return false;
	out[o] = '\0';
	return true;
}

/* ---- Skeletons. ---- */

/* Letters of other scripts, and accented Latin, that pass for ASCII in
 * a domain name (a pick from Unicode's confusables.txt). */
static const struct { uint32_t cp; char c; } confusable[] = {
	{ 0x00e0, 'a' }, { 0x00e1, 'a' }, { 0x00e2, 'a' }, { 0x00e3, 'a' },
	{ 0x00e4, 'a' }, { 0x00e5, 'a' }, { 0x00e7, 'c' }, { 0x00e8, 'e' },
	{ 0x00e9, 'e' }, { 0x00ea, 'e' }, { 0x00eb, 'e' }, { 0x00ec, 'i' },
	{ 0x00ed, 'i' }, { 0x00ee, 'i' }, { 0x00ef, 'i' }, { 0x00f1, 'n' },
	{ 0x00f2, 'o' }, { 0x00f3, 'o' }, { 0x00f4, 'o' }, { 0x00f5, 'o' },
	{ 0x00f6, 'o' }, { 0x00f8, 'o' }, { 0x00f9, 'u' }, { 0x00fa, 'u' },
	{ 0x00fb, 'u' }, { 0x00fc, 'u' }, { 0x00fd, 'y' }, { 0x00ff, 'y' },
	{ 0x0101, 'a' }, { 0x0103, 'a' }, { 0x0105, 'a' }, { 0x0107, 'c' },
	{ 0x010d, 'c' }, { 0x0113, 'e' }, { 0x0117, 'e' }, { 0x0119, 'e' },
	{ 0x011b, 'e' }, { 0x011f, 'g' }, { 0x012b, 'i' }, { 0x012f, 'i' },
	{ 0x0131, 'i' }, { 0x0142, 'l' }, { 0x0144, 'n' }, { 0x0148, 'n' },
	{ 0x014d, 'o' }, { 0x0151, 'o' }, { 0x015b, 's' }, { 0x0161, 's' },
	{ 0x016b, 'u' }, { 0x016f, 'u' }, { 0x0171, 'u' }, { 0x017a, 'z' },
	{ 0x017c, 'z' }, { 0x017e, 'z' }, { 0x0261, 'g' },
	/* Greek */
	{ 0x03b1, 'a' }, { 0x03b5, 'e' }, { 0x03b9, 'i' }, { 0x03ba, 'k' },
	{ 0x03bd, 'v' }, { 0x03bf, 'o' }, { 0x03c1, 'p' }, { 0x03c4, 't' },
	{ 0x03c5, 'u' }, { 0x03c7, 'x' },
	/* Cyrillic */
	{ 0x0430, 'a' }, { 0x0435, 'e' }, { 0x043a, 'k' }, { 0x043e, 'o' },
	{ 0x0440, 'p' }, { 0x0441, 'c' }, { 0x0443, 'y' }, { 0x0445, 'x' },
	{ 0x0451, 'e' }, { 0x0455, 's' }, { 0x0456, 'i' }, { 0x0458, 'j' },
	{ 0x04bb, 'h' }, { 0x0501, 'd' }, { 0x051b, 'q' }, { 0x051d, 'w' },
};

static char
fold_point(uint32_t cp)
{
	if (cp < 0x80)
		return (char)tolower((int)cp);
	if (cp >= 0xff41 && cp <= 0xff5a)	/* fullwidth a-z */
		return (char)('a' + (cp - 0xff41));
	if (cp >= 0xff10 && cp <= 0xff19)	/* fullwidth digits */
		return (char)('0' + (cp - 0xff10));
	for (size_t i = 0; i < sizeof(confusable) / sizeof(confusable[0]); i++)
		if (confusable[i].cp == cp)
			return confusable[i].c;
	return '?';	/* a letter that stands for nothing Latin */
}

/* Runs of ASCII read as another letter. */
static const struct { const char *from; char to; } ascii_fold[] = {
	{ "rn", 'm' }, { "vv", 'w' }, { "0", 'o' }, { "1", 'l' },
	{ "i", 'l' }, { "5", 's' }, { "3", 'e' },
};

/* skeleton - label (punycode allowed) folded to what it looks like */
static bool
skeleton(const char *label, size_t len, char *out, size_t size)
{
	uint32_t cp[PC_MAX_CP];
	char plain[PC_MAX_CP + 1];
	long n;
	size_t o = 0;

	if (len > 4 && strncasecmp(label, "xn--", 4) == 0) {
		if ((n = punycode_points(label + 4, len - 4, cp, PC_MAX_CP)) <
		    0)
			return false;
	} else {
		if (len > PC_MAX_CP)
			return false;
		for (n = 0; (size_t)n < len; n++)
			cp[n] = (unsigned char)label[n];
	}
	for (long k = 0; k < n; k++)
		plain[k] = fold_point(cp[k]);
	plain[n] = '\0';
	for (const char *p = plain; *p != '\0' && o + 1 < size;) {
		size_t k;

		for (k = 0; k < sizeof(ascii_fold) / sizeof(ascii_fold[0]);
		    k++) {
			size_t fl = strlen(ascii_fold[k].from);

			if (strncmp(p, ascii_fold[k].from, fl) == 0) {
				out[o++] = ascii_fold[k].to;
				p += fl;
				break;
			}
		}
		if (k == sizeof(ascii_fold) / sizeof(ascii_fold[0]))
			out[o++] = *p++;
	}
	out[o] = '\0';
	return true;
}

/* one_edit - a and b differ by exactly one insertion, deletion,
 * substitution or swap of neighbours (Damerau) */
static bool
one_edit(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i = 0;

	if (la < lb) {
		const char *t = a;
		size_t tl = la;

		a = b;
		b = t;
		la = lb;
		lb = tl;
	}
	if (la - lb > 1)
		return false;
	while (i < lb && a[i] == b[i])
		i++;
	if (i == la)
		return false;	/* equal */
	if (la == lb)
		return strcmp(a + i + 1, b + i + 1) == 0 || (i + 1 < la &&
		    a[i] == b[i + 1] && a[i + 1] == b[i] &&
		    strcmp(a + i + 2, b + i + 2) == 0);
	return strcmp(a + i + 1, b + i) == 0;
}

/* Second-level names under which country domains register (co.uk). */
static bool
second_level(const char *l, size_t n)
{
	static const char *const sl[] = { "co", "com", "net", "org", "ac",
	    "gov", "edu", "ne", "or" };

	for (size_t i = 0; i < sizeof(sl) / sizeof(sl[0]); i++)
		if (strlen(sl[i]) == n && strncmp(l, sl[i], n) == 0)
			return true;
	return false;
}

struct labels {
	const char *l[64];
	size_t n[64];
	size_t count;
	size_t reg;	/* index of the registered name's label */
};

static bool
split(const char *d, struct labels *ls)
{
	const char *p = d;

	ls->count = 0;
	for (;;) {
		const char *dot = strchr(p, '.');
		size_t n = dot != NULL ? (size_t)(dot - p) : strlen(p);

		if (n == 0 || ls->count == 64)
			return false;
		ls->l[ls->count] = p;
		ls->n[ls->count++] = n;
		if (dot == NULL)
			break;
		p = dot + 1;
	}
	if (ls->count < 2)
		return false;
	ls->reg = ls->count - 2;
	if (ls->count >= 3 && ls->n[ls->count - 1] == 2 &&
	    second_level(ls->l[ls->count - 2], ls->n[ls->count - 2]))
		ls->reg = ls->count - 3;
	return true;
}

static void
lower(const char *in, char *out, size_t size)
{
	size_t i;

	for (i = 0; in[i] != '\0' && i + 1 < size; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	out[i] = '\0';
}

/* label_poses - label l (not the protected domain's) poses as name pl */
static bool
label_poses(const char *l, size_t n, bool registered, const char *pl,
    size_t pn, const char *psk)
{
	char sk[LOOKALIKE_NAME_MAX + 1];
	size_t plain = strlen(psk);

	if (n == pn && memcmp(l, pl, n) == 0)
		return !registered;	/* paypal.evil.example, not paypal.de */
	if (!skeleton(l, n, sk, sizeof(sk)))
		return false;
	if (strcmp(sk, psk) == 0)
		return true;		/* pаypal, paypa1, rnicrosoft */
	if (plain >= 4 && one_edit(sk, psk))
		return true;		/* paypall, pyapal */
	if (pn >= 4 && memchr(l, '-', n) != NULL) {
		const char *p = l, *end = l + n;

		while (p < end) {	/* paypal-secure, login-paypal */
			const char *h = memchr(p, '-', (size_t)(end - p));
			size_t k = h != NULL ? (size_t)(h - p) : (size_t)(end -
			    p);

			if (skeleton(p, k, sk, sizeof(sk)) && strcmp(sk,
			    psk) == 0)
				return true;
			p += k + 1;
		}
	}
	return false;
}

bool
lookalike_of(const char *domain, const char *protected)
{
	char d[LOOKALIKE_NAME_MAX + 1], p[LOOKALIKE_NAME_MAX + 1];
	char psk[LOOKALIKE_NAME_MAX + 1];
	struct labels dl, pls;
	size_t dlen, plen;

	lower(domain, d, sizeof(d));
	lower(protected, p, sizeof(p));
	dlen = strlen(d);
	plen = strlen(p);
	if (dlen > 0 && d[dlen - 1] == '.')
		d[--dlen] = '\0';
	if (strcmp(d, p) == 0 || (dlen > plen && d[dlen - plen - 1] == '.' &&
	    strcmp(d + dlen - plen, p) == 0))
		return false;	/* the domain itself, or one of its own */
	if (!split(d, &dl) || !split(p, &pls) ||
	    !skeleton(pls.l[pls.reg], pls.n[pls.reg], psk, sizeof(psk)))
		return false;
	for (size_t i = 0; i + 1 < dl.count; i++)
		if (label_poses(dl.l[i], dl.n[i], i == dl.reg,
		    pls.l[pls.reg], pls.n[pls.reg], psk))
			return true;
	return false;
}

bool
lookalike_idn(const char *domain)
{
	for (const char *p = domain; p != NULL; p = strchr(p, '.')) {
		if (*p == '.')
			p++;
		if (strncasecmp(p, "xn--", 4) == 0)
			return true;
	}
	return false;
}
