/*
 * NAME
 *	imap_section - FETCH body sections
 * DESCRIPTION
 *	Part numbering follows RFC 3501 6.4.5: the parts of a multipart
 *	are numbered from 1; a part that is not multipart has one part,
 *	itself (so a single-part message's BODY[1] is its body); within a
 *	message/rfc822 part, numbers go on into the enclosed message.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail/imap_section.h"
#include "util/mem.h"

/* prefix - whether att starts with word (any case); advance */
static bool
prefix(const char **p, const char *end, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(end - *p) < n || strncasecmp(*p, word, n) != 0)
		return false;
	*p += n;
	return true;
}

/* fields - "(NAME NAME ...)" after HEADER.FIELDS[.NOT] */
static int
fields(struct imap_section *s, const char **pp, const char *end)
{
	const char *p = *pp;

	while (p < end && *p == ' ')
		p++;
	if (p >= end || *p++ != '(')
		return -1;
	for (;;) {
		const char *w;

		while (p < end && *p == ' ')
			p++;
		if (p < end && *p == ')')
			break;
		w = p;
		while (p < end && *p != ' ' && *p != ')' && *p != ']' &&
		    (unsigned char)*p > ' ' && *p != ':')
			p++;
		if (p == w || s->n_fields == IMAP_SECTION_FIELDS)
			return -1;
		s->fields[s->n_fields++] = xstrndup(w, (size_t)(p - w));
	}
	*pp = p + 1;
	return s->n_fields > 0 ? 0 : -1;
}

int
imap_section_parse(const char *att, size_t len, struct imap_section *s,
    const char **error_r)
{
	const char *p = att, *end = att + len, *spec;
	size_t si = 0;

	memset(s, 0, sizeof(*s));
	if (prefix(&p, end, "RFC822")) {
		s->kind = IMAP_SECTION_BODY;
		if (p == end) {
			s->alias = "RFC822";
			s->sets_seen = true;
		} else if (prefix(&p, end, ".HEADER") && p == end) {
			s->alias = "RFC822.HEADER";
			s->text = SEC_HEADER;
		} else if (prefix(&p, end, ".TEXT") && p == end) {
			s->alias = "RFC822.TEXT";
			s->text = SEC_TEXT;
			s->sets_seen = true;
		} else {
			*error_r = "unknown fetch item";
			return -1;
		}
		return 0;
	}
	if (prefix(&p, end, "BODY.PEEK[")) {
		s->kind = IMAP_SECTION_BODY;
	} else if (prefix(&p, end, "BODY[")) {
		s->kind = IMAP_SECTION_BODY;
		s->sets_seen = true;
	} else if (prefix(&p, end, "BINARY.PEEK[")) {
		s->kind = IMAP_SECTION_BINARY;
	} else if (prefix(&p, end, "BINARY.SIZE[")) {
		s->kind = IMAP_SECTION_BINARY_SIZE;
	} else if (prefix(&p, end, "BINARY[")) {
		s->kind = IMAP_SECTION_BINARY;
		s->sets_seen = true;
	} else {
		*error_r = "unknown fetch item";
		return -1;
	}
	spec = p;
	/* Part numbers. */
	while (p < end && isdigit((unsigned char)*p)) {
		unsigned long n = strtoul(p, (char **)&p, 10);

		if (n == 0 || n > 100000 || s->n_part == IMAP_SECTION_DEPTH) {
			*error_r = "bad section part number";
			goto bad;
		}
		s->part[s->n_part++] = (uint32_t)n;
		if (p < end && *p == '.')
			p++;
		else
			break;
	}
	if (p < end && *p != ']') {
		if (s->kind != IMAP_SECTION_BODY) {
			*error_r = "BINARY takes part numbers only";
			goto bad;
		}
		if (prefix(&p, end, "HEADER.FIELDS.NOT")) {
			s->text = SEC_FIELDS_NOT;
			if (fields(s, &p, end) < 0) {
				*error_r = "bad HEADER.FIELDS.NOT list";
				goto bad;
			}
		} else if (prefix(&p, end, "HEADER.FIELDS")) {
			s->text = SEC_FIELDS;
			if (fields(s, &p, end) < 0) {
				*error_r = "bad HEADER.FIELDS list";
				goto bad;
			}
		} else if (prefix(&p, end, "HEADER")) {
			s->text = SEC_HEADER;
		} else if (prefix(&p, end, "TEXT")) {
			s->text = SEC_TEXT;
		} else if (s->n_part > 0 && prefix(&p, end, "MIME")) {
			s->text = SEC_MIME;
		} else {
			*error_r = "bad section";
			goto bad;
		}
	} else if (p > spec && p[-1] == '.') {
		*error_r = "bad section part number";
		goto bad;
	}
	if (p >= end || *p != ']') {
		*error_r = "section without ]";
		goto bad;
	}
	for (const char *q = spec; q < p && si < sizeof(s->spec) - 1; q++)
		s->spec[si++] = (char)toupper((unsigned char)*q);
	s->spec[si] = '\0';
	p++;
	if (p < end) {
		unsigned long long a, b;
		int n = 0;
		char tmp[64];

		if ((size_t)(end - p) >= sizeof(tmp)) {
			*error_r = "bad partial";
			goto bad;
		}
		memcpy(tmp, p, (size_t)(end - p));
		tmp[end - p] = '\0';
		if (s->kind == IMAP_SECTION_BINARY_SIZE ||
		    sscanf(tmp, "<%llu.%llu>%n", &a, &b, &n) != 2 ||
		    tmp[n] != '\0' || b == 0) {
			*error_r = "bad partial";
			goto bad;
		}
		s->partial = true;
		s->start = a;
		s->length = b;
	}
	return 0;
bad:
	imap_section_free(s);
	return -1;
}

void
imap_section_free(struct imap_section *s)
{
	for (size_t i = 0; i < s->n_fields; i++)
		free(s->fields[i]);
	s->n_fields = 0;
}

int
imap_section_name(const struct imap_section *s, struct buf *out)
{
	if (s->alias != NULL)
		return buf_append_str(out, s->alias);
	if (buf_appendf(out, "%s[%s]", s->kind == IMAP_SECTION_BODY ? "BODY" :
	    s->kind == IMAP_SECTION_BINARY ? "BINARY" : "BINARY.SIZE",
	    s->spec) < 0)
		return -1;
	return s->partial ? buf_appendf(out, "<%llu>",
	    (unsigned long long)s->start) : 0;
}

/* is - a part's type */
static bool
is(const struct mime_part *p, const char *type, const char *subtype)
{
	return strcmp(p->type, type) == 0 && (subtype == NULL ||
	    strcmp(p->subtype, subtype) == 0);
}

/* descend - part n of p, or NULL */
static const struct mime_part *
descend(const struct mime_part *p, uint32_t n)
{
	if (is(p, "message", "rfc822") && p->child != NULL)
		p = p->child;
	if (is(p, "multipart", NULL)) {
		const struct mime_part *c = p->child;

		while (c != NULL && --n > 0)
			c = c->next;
		return c;
	}
	return n == 1 ? p : NULL;
}

/* header_fields - the fields of a header named (or not) in the list */
static int
header_fields(const struct imap_section *s, const char *d, size_t a,
    size_t b, struct buf *out)
{
	size_t p = a;

	while (p < b) {
		size_t e = p, colon;
		bool listed = false;

		/* The field runs to the next line that does not start with
		 * white space. */
		for (;;) {
			while (e < b && d[e] != '\n')
				e++;
			if (e < b)
				e++;
			if (e >= b || (d[e] != ' ' && d[e] != '\t'))
				break;
		}
		for (colon = p; colon < e && d[colon] != ':'; colon++)
			;
		if (colon == p || (colon == p + 1 && d[p] == '\r') ||
		    d[p] == '\r' || d[p] == '\n')
			break;		/* the blank line */
		while (colon > p && (d[colon - 1] == ' ' || d[colon - 1] == '\t'))
			colon--;
		for (size_t i = 0; i < s->n_fields; i++)
			if (strlen(s->fields[i]) == colon - p &&
			    strncasecmp(s->fields[i], d + p, colon - p) == 0)
				listed = true;
		if (listed == (s->text == SEC_FIELDS) && buf_append(out, d + p,
		    e - p) < 0)
			return -1;
		p = e;
	}
	return buf_append(out, "\r\n", 2);
}

int
imap_section_fetch(const struct imap_section *s,
    const struct mime_message *m, struct buf *out, const char **error_r)
{
	const struct mime_part *p = m->root, *msg = m->root;
	struct buf whole = BUF_INIT, cte = BUF_INIT;
	size_t a = 0, b = 0;
	int rc = 0;

	for (size_t i = 0; i < s->n_part && p != NULL; i++)
		p = descend(p, s->part[i]);
	if (p != NULL && s->n_part > 0 && s->text != SEC_ALL &&
	    s->text != SEC_MIME) {
		/* HEADER and TEXT of a part mean its enclosed message. */
		msg = is(p, "message", "rfc822") ? p->child : NULL;
		p = msg;
	}
	if (p != NULL) {
		switch (s->text) {
		case SEC_ALL:
			if (s->n_part == 0)
				a = 0, b = m->len;
			else
				a = p->body_start, b = p->body_end;
			break;
		case SEC_HEADER:
			a = p->hdr_start, b = p->body_start;
			break;
		case SEC_FIELDS:
		case SEC_FIELDS_NOT:
			rc = header_fields(s, m->data, p->hdr_start,
			    p->body_start, &whole);
			break;
		case SEC_TEXT:
			a = p->body_start, b = s->n_part == 0 ? m->len :
			    p->body_end;
			break;
		case SEC_MIME:
			a = p->hdr_start, b = p->body_start;
			break;
		}
	}
	if (whole.len == 0 && b > a)
		rc = buf_append(&whole, m->data + a, b - a);
	if (rc == 0 && s->kind != IMAP_SECTION_BODY && p != NULL &&
	    s->n_part > 0 && !is(p, "multipart", NULL) &&
	    !is(p, "message", NULL)) {
		struct buf dec = BUF_INIT;

		(void)mime_header(m->data, m->len, p->hdr_start,
		    "Content-Transfer-Encoding", &cte);
		rc = mime_decode_body(buf_cstr(&cte), (const char *)whole.data,
		    whole.len, &dec);
		if (rc == -2)
			*error_r = "[UNKNOWN-CTE] Unknown Content-Transfer-"
			    "Encoding";
		buf_free(&whole);
		whole = dec;
	}
	if (rc == 0) {
		size_t from = 0, n = whole.len;

		if (s->partial) {
			from = s->start < whole.len ? (size_t)s->start :
			    whole.len;
			n = whole.len - from;
			if (s->length < n)
				n = (size_t)s->length;
		}
		/* A part that does not exist leaves whole.data NULL, and
		 * NULL + 0 is undefined. */
		rc = n > 0 ? buf_append(out, whole.data + from, n) : 0;
	} else if (rc == -1) {
		*error_r = "out of memory";
	}
	buf_free(&whole);
	buf_free(&cte);
	return rc < 0 ? -1 : 0;
}
