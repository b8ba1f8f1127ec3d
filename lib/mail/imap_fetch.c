/*
 * NAME
 *	imap_fetch - ENVELOPE and BODYSTRUCTURE
 * DESCRIPTION
 *	Addresses are parsed from the header leniently (RFC 5322 with its
 *	obsolete forms): display names, angle addresses, groups, comments.
 *	What cannot be parsed is given as a mailbox without host, as RFC
 *	3501 allows, rather than dropped.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mail/imap_fetch.h"

int
imap_string(struct buf *out, const char *s, size_t len)
{
	bool literal = false;

	if (s == NULL)
		return buf_append_str(out, "NIL");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\r' || c == '\n' || c == '"' || c == '\\' ||
		    c >= 0x80 || c == 0)
			literal = true;
	}
	if (literal)
		return buf_appendf(out, "{%zu}\r\n", len) |
		    buf_append(out, s, len);
	return buf_append_byte(out, '"') | buf_append(out, s, len) |
	    buf_append_byte(out, '"');
}

/* field - a header field into a string (NIL when absent) */
static int
field(struct buf *out, const char *d, size_t len, size_t hdr,
    const char *name)
{
	struct buf v = BUF_INIT;
	int rc;

	rc = mime_header(d, len, hdr, name, &v) == 1 ?
	    imap_string(out, (const char *)v.data, v.len) :
	    buf_append_str(out, "NIL");
	buf_free(&v);
	return rc;
}

/* skip_comment - past a (possibly nested) comment at p */
static const char *
skip_comment(const char *p)
{
	int depth = 0;

	do {
		if (*p == '\\' && p[1] != '\0')
			p++;
		else if (*p == '(')
			depth++;
		else if (*p == ')')
			depth--;
		p++;
	} while (*p != '\0' && depth > 0);
	return p;
}

/* one_address - "(name NIL mailbox host)" for "name <m@h>" or "m@h" */
static int
one_address(struct buf *out, const char *s, size_t n)
{
	char text[1024], name[1024] = "";
	const char *lt, *gt, *at;
	size_t tn = 0, nn = 0;
	int rc = 0;

	/* Drop comments; keep quoted strings as they are. */
	for (const char *p = s; p < s + n && tn + 1 < sizeof(text);) {
		if (*p == '(') {
			p = skip_comment(p);
			continue;
		}
		if (*p == '"') {
			for (p++; p < s + n && *p != '"' &&
			    tn + 1 < sizeof(text); p++) {
				if (*p == '\\' && p + 1 < s + n)
					p++;
				text[tn++] = *p;
			}
			p++;
			continue;
		}
		text[tn++] = *p++;
	}
	text[tn] = '\0';
	lt = strchr(text, '<');
	gt = lt != NULL ? strchr(lt, '>') : NULL;
	if (lt != NULL && gt != NULL) {
		for (const char *p = text; p < lt; p++)
			if (nn + 1 < sizeof(name))
				name[nn++] = *p;
		while (nn > 0 && isspace((unsigned char)name[nn - 1]))
			nn--;
		name[nn] = '\0';
		memmove(text, lt + 1, (size_t)(gt - lt - 1));
		text[gt - lt - 1] = '\0';
	}
	{
		char *t = text;

		while (isspace((unsigned char)*t))
			t++;
		memmove(text, t, strlen(t) + 1);
		for (size_t l = strlen(text); l > 0 &&
		    isspace((unsigned char)text[l - 1]); l--)
			text[l - 1] = '\0';
	}
	if (text[0] == '\0')
		return 0;
	{
		char *t = name;

		while (isspace((unsigned char)*t))
			t++;
		rc |= buf_append_byte(out, '(');
		rc |= imap_string(out, *t != '\0' ? t : NULL, strlen(t));
		rc |= buf_append_str(out, " NIL ");
	}
	at = strrchr(text, '@');
	if (at != NULL) {
		rc |= imap_string(out, text, (size_t)(at - text));
		rc |= buf_append_byte(out, ' ');
		rc |= imap_string(out, at + 1, strlen(at + 1));
	} else {
		rc |= imap_string(out, text, strlen(text));
		rc |= buf_append_str(out, " NIL");
	}
	return rc | buf_append_byte(out, ')');
}

/* address_list - a header's addresses as an IMAP list, or NIL */
static int
address_list(struct buf *out, const char *d, size_t len, size_t hdr,
    const char *name)
{
	struct buf v = BUF_INIT;
	size_t start = 0, mark = out->len;
	int rc = 0, depth = 0, count = 0;
	bool quoted = false;
	const char *s;

	if (mime_header(d, len, hdr, name, &v) != 1) {
		buf_free(&v);
		return buf_append_str(out, "NIL");
	}
	s = buf_cstr(&v);
	rc |= buf_append_byte(out, '(');
	for (size_t i = 0; i <= v.len; i++) {
		char c = i < v.len ? s[i] : ',';

		if (c == '\\' && quoted) {
			i++;
			continue;
		}
		if (c == '"')
			quoted = !quoted;
		if (quoted)
			continue;
		if (c == '(')
			depth++;
		else if (c == ')' && depth > 0)
			depth--;
		if (depth > 0)
			continue;
		if (c == ':') {
			/* Group start: (NIL NIL "group" NIL) */
			size_t a = start, b = i;

			while (a < b && isspace((unsigned char)s[a]))
				a++;
			while (b > a && isspace((unsigned char)s[b - 1]))
				b--;
			rc |= buf_append_str(out, "(NIL NIL ");
			rc |= imap_string(out, s + a, b - a);
			rc |= buf_append_str(out, " NIL)");
			start = i + 1;
			count++;
		} else if (c == ',' || c == ';') {
			size_t before = out->len;

			rc |= one_address(out, s + start, i - start);
			count += out->len != before;
			if (c == ';') {
				rc |= buf_append_str(out, "(NIL NIL NIL NIL)");
				count++;
			}
			start = i + 1;
		}
	}
	buf_free(&v);
	if (count == 0) {
		buf_truncate(out, mark);
		return rc | buf_append_str(out, "NIL");
	}
	return rc | buf_append_byte(out, ')');
}

int
imap_envelope(struct buf *out, const char *d, size_t len, size_t hdr)
{
	struct buf probe = BUF_INIT;
	int rc = buf_append_byte(out, '(');
	const char *from_like;

	rc |= field(out, d, len, hdr, "Date");
	rc |= buf_append_byte(out, ' ');
	rc |= field(out, d, len, hdr, "Subject");
	rc |= buf_append_byte(out, ' ');
	rc |= address_list(out, d, len, hdr, "From");
	/* Sender and Reply-To default to From (RFC 3501 7.4.2). */
	from_like = mime_header(d, len, hdr, "Sender", &probe) == 1 ?
	    "Sender" : "From";
	rc |= buf_append_byte(out, ' ');
	rc |= address_list(out, d, len, hdr, from_like);
	from_like = mime_header(d, len, hdr, "Reply-To", &probe) == 1 ?
	    "Reply-To" : "From";
	rc |= buf_append_byte(out, ' ');
	rc |= address_list(out, d, len, hdr, from_like);
	buf_free(&probe);
	for (const char *const *f = (const char *const[]){ "To", "Cc", "Bcc",
	    NULL }; *f != NULL; f++) {
		rc |= buf_append_byte(out, ' ');
		rc |= address_list(out, d, len, hdr, *f);
	}
	rc |= buf_append_byte(out, ' ');
	rc |= field(out, d, len, hdr, "In-Reply-To");
	rc |= buf_append_byte(out, ' ');
	rc |= field(out, d, len, hdr, "Message-ID");
	return rc | buf_append_byte(out, ')');
}

/* upper - s in upper case into out (quoted) */
static int
upper(struct buf *out, const char *s)
{
	char tmp[64];
	size_t n = 0;

	for (; *s != '\0' && n + 1 < sizeof(tmp); s++)
		tmp[n++] = (char)toupper((unsigned char)*s);
	return imap_string(out, tmp, n);
}

/* params - the parameter list of a Content-Type/-Disposition value */
static int
params(struct buf *out, const char *value)
{
	size_t mark = out->len;
	int rc = buf_append_byte(out, '('), n = 0;

	for (const char *p = strchr(value, ';'); p != NULL;
	    p = strchr(p + 1, ';')) {
		char name[64];
		size_t k = 0;
		struct buf v = BUF_INIT;
		const char *q = p + 1;

		while (*q == ' ' || *q == '\t')
			q++;
		while (q[k] != '\0' && q[k] != '=' && q[k] != '*' &&
		    q[k] != ';' && k + 1 < sizeof(name)) {
			name[k] = (char)tolower((unsigned char)q[k]);
			k++;
		}
		name[k] = '\0';
		/* Continuations (name*1) are folded into name*0. */
		if (k == 0 || (q[k] == '*' && q[k + 1] >= '1' &&
		    q[k + 1] <= '9'))
			continue;
		if (mime_param(value, name, &v) == 1) {
			rc |= buf_appendf(out, "%s", n++ > 0 ? " " : "");
			rc |= upper(out, name);
			rc |= buf_append_byte(out, ' ');
			rc |= imap_string(out, (const char *)v.data, v.len);
		}
		buf_free(&v);
	}
	if (n == 0) {
		buf_truncate(out, mark);
		return rc | buf_append_str(out, "NIL");
	}
	return rc | buf_append_byte(out, ')');
}

/* header_value - a field's value (or "" when absent) */
static const char *
header_value(const struct mime_message *m, const struct mime_part *p,
    const char *name, struct buf *v)
{
	if (mime_header(m->data, m->len, p->hdr_start, name, v) != 1)
		buf_reset(v);
	return buf_cstr(v);
}

/* disposition - ("attachment" (params)) or NIL */
static int
disposition(struct buf *out, const struct mime_message *m,
    const struct mime_part *p)
{
	struct buf v = BUF_INIT;
	const char *s = header_value(m, p, "Content-Disposition", &v);
	size_t n = strcspn(s, "; \t");
	int rc;

	if (n == 0) {
		buf_free(&v);
		return buf_append_str(out, "NIL");
	}
	rc = buf_append_byte(out, '(');
	rc |= imap_string(out, s, n);
	rc |= buf_append_byte(out, ' ');
	rc |= params(out, s);
	rc |= buf_append_byte(out, ')');
	buf_free(&v);
	return rc;
}

int
imap_bodystructure(struct buf *out, const struct mime_message *m,
    const struct mime_part *p, bool extended)
{
	struct buf v = BUF_INIT;
	int rc = buf_append_byte(out, '(');

	if (strcmp(p->type, "multipart") == 0 && p->child != NULL) {
		for (const struct mime_part *c = p->child; c != NULL;
		    c = c->next)
			rc |= imap_bodystructure(out, m, c, extended);
		rc |= buf_append_byte(out, ' ');
		rc |= upper(out, p->subtype);
		if (extended) {
			rc |= buf_append_byte(out, ' ');
			rc |= params(out, header_value(m, p, "Content-Type",
			    &v));
			rc |= buf_append_byte(out, ' ');
			rc |= disposition(out, m, p);
			rc |= buf_append_str(out, " NIL NIL");
		}
		buf_free(&v);
		return rc | buf_append_byte(out, ')');
	}
	rc |= upper(out, strcmp(p->type, "multipart") == 0 ? "text" :
	    p->type);
	rc |= buf_append_byte(out, ' ');
	rc |= upper(out, strcmp(p->type, "multipart") == 0 ? "plain" :
	    p->subtype);
	rc |= buf_append_byte(out, ' ');
	{
		const char *ct = header_value(m, p, "Content-Type", &v);

		if (strcmp(p->type, "text") == 0 && strstr(ct, "charset") ==
		    NULL)
			rc |= buf_append_str(out, "(\"CHARSET\" \"US-ASCII\")");
		else
			rc |= params(out, ct);
	}
	rc |= buf_append_byte(out, ' ');
	rc |= field(out, m->data, m->len, p->hdr_start, "Content-ID");
	rc |= buf_append_byte(out, ' ');
	rc |= field(out, m->data, m->len, p->hdr_start,
	    "Content-Description");
	rc |= buf_append_byte(out, ' ');
	{
		const char *enc = header_value(m, p,
		    "Content-Transfer-Encoding", &v);

		rc |= upper(out, enc[0] != '\0' ? enc : "7bit");
	}
	rc |= buf_appendf(out, " %zu", p->body_end - p->body_start);
	if (strcmp(p->type, "message") == 0 &&
	    strcmp(p->subtype, "rfc822") == 0 && p->child != NULL) {
		rc |= buf_append_byte(out, ' ');
		rc |= imap_envelope(out, m->data, m->len, p->child->hdr_start);
		rc |= buf_append_byte(out, ' ');
		rc |= imap_bodystructure(out, m, p->child, extended);
		rc |= buf_appendf(out, " %zu", p->lines);
	} else if (strcmp(p->type, "text") == 0) {
		rc |= buf_appendf(out, " %zu", p->lines);
	}
	if (extended) {
		rc |= buf_append_byte(out, ' ');
		rc |= field(out, m->data, m->len, p->hdr_start, "Content-MD5");
		rc |= buf_append_byte(out, ' ');
		rc |= disposition(out, m, p);
		rc |= buf_append_str(out, " NIL NIL");
	}
	buf_free(&v);
	return rc | buf_append_byte(out, ')');
}
