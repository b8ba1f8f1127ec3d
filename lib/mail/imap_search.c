/*
 * NAME
 *	imap_search - the SEARCH program
 * DESCRIPTION
 *	The arguments become a tree of keys; a list is an AND.  Matching
 *	tests the keys that need no content first, so that a search by
 *	flag or UID never decrypts a message.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail/imap_date.h"
#include "mail/imap_search.h"
#include "mail/mindex.h"
#include "util/buf.h"
#include "util/mem.h"

enum key {
	K_AND, K_OR, K_NOT, K_ALL, K_SEQ, K_UID, K_SAVED,
	K_FLAG, K_UNFLAG, K_KEYWORD, K_UNKEYWORD, K_NEW, K_OLD, K_RECENT,
	K_LARGER, K_SMALLER, K_BEFORE, K_ON, K_SINCE, K_SENTBEFORE,
	K_SENTON, K_SENTSINCE, K_MODSEQ,
	K_HEADER, K_BODY, K_TEXT,	/* content keys from here */
};

struct imap_search {
	enum key key;
	struct imap_search *a, *b;	/* children; AND: a list via next */
	struct imap_search *next;
	struct imap_seqset set;
	uint64_t num;
	char *field;			/* K_HEADER */
	char *text;			/* folded */
	size_t text_len;
};

struct parser {
	const struct imap_arg *arg;
	size_t keys;
	const char *error;
};

/* ---- Case folding. ---- */

/* fold_cp - the lower case of a code point (simple, one to one) */
static unsigned
fold_cp(unsigned c)
{
	if (c >= 'A' && c <= 'Z')
		return c + 32;
	if (c < 0x80)
		return c;
	if (c >= 0xC0 && c <= 0xDE && c != 0xD7)
		return c + 32;
	if ((c >= 0x100 && c <= 0x137 && c % 2 == 0) ||
	    (c >= 0x14A && c <= 0x177 && c % 2 == 0) ||
	    (c >= 0x139 && c <= 0x148 && c % 2 == 1) ||
	    (c >= 0x179 && c <= 0x17E && c % 2 == 1))
		return c + 1;
	if (c == 0x178)
		return 0xFF;
	if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2)
		return c + 32;
	if (c == 0x3C2)
		return 0x3C3;	/* final sigma */
	if (c == 0x386)
		return 0x3AC;	/* Greek with tonos */
	if (c >= 0x388 && c <= 0x38A)
		return c + 37;
	if (c == 0x38C)
		return 0x3CC;
	if (c == 0x38E || c == 0x38F)
		return c + 63;
	if (c >= 0x410 && c <= 0x42F)
		return c + 32;
	if (c >= 0x400 && c <= 0x40F)
		return c + 80;
	if ((c >= 0x460 && c <= 0x481 && c % 2 == 0) ||
	    (c >= 0x48A && c <= 0x4BF && c % 2 == 0) ||
	    (c >= 0x1E00 && c <= 0x1E95 && c % 2 == 0) ||
	    (c >= 0x1EA0 && c <= 0x1EFF && c % 2 == 0))
		return c + 1;	/* Cyrillic, Latin Extended Additional */
	if (c == 0x1E9E)
		return 0xDF;	/* capital sharp s */
	if (c >= 0x531 && c <= 0x556)
		return c + 48;	/* Armenian */
	if (c >= 0x10A0 && c <= 0x10C5)
		return c + 0x1C60;	/* Georgian */
	if (c >= 0xFF21 && c <= 0xFF3A)
		return c + 32;	/* fullwidth Latin */
	return c;
}

/* utf8_next - the code point at p (2- and 3-byte forms; the others are
 * left alone, no table covers them), its length in *len; -1 if none */
static long
utf8_next(const unsigned char *p, const unsigned char *end, unsigned *len)
{
	if (p[0] >= 0xC2 && p[0] <= 0xDF && end - p >= 2 &&
	    (p[1] & 0xC0) == 0x80) {
		*len = 2;
		return ((p[0] & 0x1F) << 6) | (p[1] & 0x3F);
	}
	if (p[0] >= 0xE0 && p[0] <= 0xEF && end - p >= 3 &&
	    (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80) {
		long c = ((p[0] & 0x0F) << 12) | ((p[1] & 0x3F) << 6) |
		    (p[2] & 0x3F);

		*len = 3;
		return c >= 0x800 && (c < 0xD800 || c > 0xDFFF) ? c : -1;
	}
	return -1;
}

int
imap_search_fold(const char *s, size_t n, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	uint8_t enc[3];

	while (p < end) {
		unsigned len;
		long c;

		if (*p < 0x80) {
			if (buf_append_byte(out, (uint8_t)fold_cp(*p++)) < 0)
				return -1;
			continue;
		}
		if ((c = utf8_next(p, end, &len)) < 0) {
			if (buf_append_byte(out, *p++) < 0)
				return -1;
			continue;
		}
		c = fold_cp((unsigned)c);
		if (c < 0x800) {
			enc[0] = (uint8_t)(0xC0 | (c >> 6));
			enc[1] = (uint8_t)(0x80 | (c & 0x3F));
			if (buf_append(out, enc, 2) < 0)
				return -1;
		} else {
			enc[0] = (uint8_t)(0xE0 | (c >> 12));
			enc[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
			enc[2] = (uint8_t)(0x80 | (c & 0x3F));
			if (buf_append(out, enc, 3) < 0)
				return -1;
		}
		p += len;
	}
	return 0;
}

bool
imap_search_contains(const char *hay, size_t hlen, const char *needle,
    size_t nlen)
{
	struct buf h = BUF_INIT, n = BUF_INIT;
	bool found;

	if (nlen == 0)
		return true;
	found = imap_search_fold(hay, hlen, &h) == 0 &&
	    imap_search_fold(needle, nlen, &n) == 0 && h.len >= n.len &&
	    memmem(h.data, h.len, n.data, n.len) != NULL;
	buf_free(&h);
	buf_free(&n);
	return found;
}

/* ---- Parsing. ---- */

static struct imap_search *parse_key(struct parser *p, int depth);

/* string - an astring argument, taken */
static int
string(struct parser *p, char **out, size_t *len)
{
	const struct imap_arg *a = p->arg;

	if (a == NULL || (a->type != IMAP_ATOM && a->type != IMAP_QUOTED &&
	    a->type != IMAP_LITERAL))
		return -1;
	*out = xstrndup(a->data, a->len);
	*len = a->len;
	p->arg = a->next;
	return 0;
}

/* number - a number argument */
static int
number(struct parser *p, uint64_t *v)
{
	char tmp[32];
	unsigned long long n;
	int used = 0;

	if (p->arg == NULL || p->arg->type != IMAP_ATOM ||
	    p->arg->len >= sizeof(tmp))
		return -1;
	memcpy(tmp, p->arg->data, p->arg->len);
	tmp[p->arg->len] = '\0';
	if (sscanf(tmp, "%llu%n", &n, &used) != 1 || tmp[used] != '\0')
		return -1;
	*v = n;
	p->arg = p->arg->next;
	return 0;
}

static struct imap_search *
node(enum key k)
{
	struct imap_search *s = xcalloc(1, sizeof(*s));

	s->key = k;
	return s;
}

/* list - keys up to the end of args, as an AND */
static struct imap_search *
list(struct parser *p, int depth)
{
	struct imap_search *and = node(K_AND), **tail = &and->a;

	while (p->arg != NULL) {
		struct imap_search *k = parse_key(p, depth);

		if (k == NULL) {
			imap_search_free(and);
			return NULL;
		}
		*tail = k;
		tail = &k->next;
	}
	if (and->a == NULL) {
		p->error = "empty search key list";
		imap_search_free(and);
		return NULL;
	}
	return and;
}

static struct imap_search *
parse_key(struct parser *p, int depth)
{
	static const struct {
		const char *name;
		enum key key;
		uint64_t num;
	} simple[] = {
		{ "ALL", K_ALL, 0 }, { "NEW", K_NEW, 0 }, { "OLD", K_OLD, 0 },
		{ "RECENT", K_RECENT, 0 },
		{ "ANSWERED", K_FLAG, MF_ANSWERED },
		{ "DELETED", K_FLAG, MF_DELETED },
		{ "DRAFT", K_FLAG, MF_DRAFT },
		{ "FLAGGED", K_FLAG, MF_FLAGGED }, { "SEEN", K_FLAG, MF_SEEN },
		{ "UNANSWERED", K_UNFLAG, MF_ANSWERED },
		{ "UNDELETED", K_UNFLAG, MF_DELETED },
		{ "UNDRAFT", K_UNFLAG, MF_DRAFT },
		{ "UNFLAGGED", K_UNFLAG, MF_FLAGGED },
		{ "UNSEEN", K_UNFLAG, MF_SEEN },
	};
	static const struct {
		const char *name;
		enum key key;
	} dates[] = {
		{ "BEFORE", K_BEFORE }, { "ON", K_ON }, { "SINCE", K_SINCE },
		{ "SENTBEFORE", K_SENTBEFORE }, { "SENTON", K_SENTON },
		{ "SENTSINCE", K_SENTSINCE },
	};
	static const char *const headers[] = { "FROM", "TO", "CC", "BCC",
	    "SUBJECT" };
	const struct imap_arg *a = p->arg;
	struct imap_search *s;
	char *tmp;
	size_t len;

	if (++p->keys > IMAP_SEARCH_KEYS_MAX || depth > IMAP_SEARCH_DEPTH_MAX) {
		p->error = "search program too large";
		return NULL;
	}
	p->arg = a->next;
	if (a->type == IMAP_LIST) {
		struct parser sub = { a->list, p->keys, NULL };

		s = list(&sub, depth + 1);
		p->keys = sub.keys;
		if (s == NULL)
			p->error = sub.error;
		return s;
	}
	if (a->type != IMAP_ATOM) {
		p->error = "search keys are atoms";
		return NULL;
	}
	for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++)
		if (imap_arg_is_atom(a, simple[i].name)) {
			s = node(simple[i].key);
			s->num = simple[i].num;
			return s;
		}
	for (size_t i = 0; i < sizeof(dates) / sizeof(dates[0]); i++)
		if (imap_arg_is_atom(a, dates[i].name)) {
			long day;

			if (p->arg == NULL || imap_date_parse(p->arg->data,
			    p->arg->len, &day) < 0) {
				p->error = "date keys need a date like "
				    "1-Feb-2026";
				return NULL;
			}
			p->arg = p->arg->next;
			s = node(dates[i].key);
			s->num = (uint64_t)day;
			return s;
		}
	for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++)
		if (imap_arg_is_atom(a, headers[i])) {
			s = node(K_HEADER);
			s->field = xstrdup(headers[i]);
			goto text;
		}
	if (imap_arg_is_atom(a, "HEADER")) {
		s = node(K_HEADER);
		if (string(p, &s->field, &len) < 0) {
			p->error = "HEADER needs a field name and a string";
			imap_search_free(s);
			return NULL;
		}
		goto text;
	}
	if (imap_arg_is_atom(a, "BODY") || imap_arg_is_atom(a, "TEXT")) {
		s = node(imap_arg_is_atom(a, "BODY") ? K_BODY : K_TEXT);
		goto text;
	}
	if (imap_arg_is_atom(a, "KEYWORD") || imap_arg_is_atom(a,
	    "UNKEYWORD")) {
		s = node(imap_arg_is_atom(a, "KEYWORD") ? K_KEYWORD :
		    K_UNKEYWORD);
		if (string(p, &s->text, &s->text_len) < 0) {
			p->error = "KEYWORD needs a keyword";
			imap_search_free(s);
			return NULL;
		}
		return s;
	}
	if (imap_arg_is_atom(a, "LARGER") || imap_arg_is_atom(a, "SMALLER") ||
	    imap_arg_is_atom(a, "MODSEQ")) {
		s = node(imap_arg_is_atom(a, "LARGER") ? K_LARGER :
		    imap_arg_is_atom(a, "SMALLER") ? K_SMALLER : K_MODSEQ);
		/* MODSEQ may name a metadata item first (RFC 7162 3.1.5). */
		if (s->key == K_MODSEQ && p->arg != NULL &&
		    p->arg->type == IMAP_QUOTED && p->arg->next != NULL)
			p->arg = p->arg->next->next;
		if (number(p, &s->num) < 0) {
			p->error = "LARGER, SMALLER and MODSEQ need a number";
			imap_search_free(s);
			return NULL;
		}
		return s;
	}
	if (imap_arg_is_atom(a, "NOT")) {
		if (p->arg == NULL) {
			p->error = "NOT needs a key";
			return NULL;
		}
		s = node(K_NOT);
		if ((s->a = parse_key(p, depth + 1)) == NULL) {
			imap_search_free(s);
			return NULL;
		}
		return s;
	}
	if (imap_arg_is_atom(a, "OR")) {
		s = node(K_OR);
		if (p->arg == NULL || (s->a = parse_key(p, depth + 1)) == NULL ||
		    p->arg == NULL || (s->b = parse_key(p, depth + 1)) ==
		    NULL) {
			if (p->error == NULL)
				p->error = "OR needs two keys";
			imap_search_free(s);
			return NULL;
		}
		return s;
	}
	if (imap_arg_is_atom(a, "$"))
		return node(K_SAVED);
	if (imap_arg_is_atom(a, "UID")) {
		a = p->arg;
		if (a == NULL || a->type != IMAP_ATOM) {
			p->error = "UID needs a UID set";
			return NULL;
		}
		p->arg = a->next;
		if (a->len == 1 && a->data[0] == '$')
			return node(K_SAVED);
		s = node(K_UID);
	} else {
		s = node(K_SEQ);
	}
	if (imap_seqset_parse(a->data, a->len, &s->set) < 0) {
		p->error = s->key == K_UID ? "bad UID set" : "unknown search key";
		imap_search_free(s);
		return NULL;
	}
	return s;
text:
	if (string(p, &tmp, &len) < 0) {
		p->error = "text keys need a string";
		imap_search_free(s);
		return NULL;
	}
	{
		struct buf f = BUF_INIT;

		(void)imap_search_fold(tmp, len, &f);
		s->text = xstrndup(f.data ? (const char *)f.data : "", f.len);
		s->text_len = f.len;
		buf_free(&f);
	}
	free(tmp);
	return s;
}

int
imap_search_charset(const struct imap_arg **args)
{
	const struct imap_arg *a = *args;

	if (a == NULL || !imap_arg_is_atom(a, "CHARSET"))
		return 0;
	if (a->next == NULL)
		return -1;
	*args = a->next->next;
	return a->next->len == 5 && strncasecmp(a->next->data, "UTF-8", 5) ==
	    0 ? 0 : a->next->len == 8 && strncasecmp(a->next->data,
	    "US-ASCII", 8) == 0 ? 0 : -1;
}

int
imap_search_parse(const struct imap_arg *args, struct imap_search **out,
    const char **error_r)
{
	struct parser p = { args, 0, NULL };

	if (args == NULL) {
		*error_r = "SEARCH needs search keys";
		return -1;
	}
	*out = list(&p, 0);
	if (*out == NULL)
		*error_r = p.error != NULL ? p.error : "bad search program";
	return *out == NULL ? -1 : 0;
}

void
imap_search_free(struct imap_search *s)
{
	while (s != NULL) {
		struct imap_search *next = s->next;

		imap_search_free(s->a);
		imap_search_free(s->b);
		imap_seqset_free(&s->set);
		free(s->field);
		free(s->text);
		free(s);
		s = next;
	}
}

bool
imap_search_needs_content(const struct imap_search *s)
{
	for (; s != NULL; s = s->next)
		if (s->key >= K_HEADER || s->key == K_SENTBEFORE ||
		    s->key == K_SENTON || s->key == K_SENTSINCE ||
		    imap_search_needs_content(s->a) ||
		    imap_search_needs_content(s->b))
			return true;
	return false;
}

/* ---- Matching. ---- */

/* folded_has - whether text (already decoded) contains s's folded text */
static bool
folded_has(const struct imap_search *s, const char *text, size_t len)
{
	struct buf h = BUF_INIT;
	bool found;

	found = imap_search_fold(text, len, &h) == 0 &&
	    h.len >= s->text_len && (s->text_len == 0 || memmem(h.data,
	    h.len, s->text, s->text_len) != NULL);
	buf_free(&h);
	return found;
}

/* header_has - a field of the top-level header, decoded */
static bool
header_has(const struct imap_search *s, const struct mime_message *m)
{
	struct buf v = BUF_INIT, d = BUF_INIT;
	bool found = false;

	if (mime_header(m->data, m->len, 0, s->field, &v) == 1) {
		found = s->text_len == 0 || (mime_decode_words((const char *)
		    v.data, v.len, &d) == 0 && folded_has(s, (const char *)
		    d.data, d.len));
	}
	buf_free(&v);
	buf_free(&d);
	return found;
}

/* block_has - a whole header block, its encoded words decoded */
static bool
block_has(const struct imap_search *s, const char *h, size_t len)
{
	struct buf d = BUF_INIT;
	bool found;

	found = folded_has(s, h, len) || (mime_decode_words(h, len, &d) == 0 &&
	    folded_has(s, (const char *)d.data, d.len));
	buf_free(&d);
	return found;
}

/* body_has - the text parts, decoded to UTF-8, and the headers of
 * attached messages (they are the body's text too) */
static bool
body_has(const struct imap_search *s, const struct mime_message *m,
    const struct mime_part *p)
{
	struct buf cte = BUF_INIT, ct = BUF_INIT, cs = BUF_INIT;
	struct buf raw = BUF_INIT, text = BUF_INIT;
	bool found = false;

	for (; p != NULL && !found; p = p->next) {
		if (p->child != NULL) {
			if (strcmp(p->type, "message") == 0)
				found = block_has(s, m->data +
				    p->child->hdr_start, p->child->body_start -
				    p->child->hdr_start);
			if (!found)
				found = body_has(s, m, p->child);
			continue;
		}
		if (strcmp(p->type, "text") != 0)
			continue;
		buf_reset(&cte);
		buf_reset(&ct);
		buf_reset(&cs);
		buf_reset(&raw);
		buf_reset(&text);
		(void)mime_header(m->data, m->len, p->hdr_start,
		    "Content-Transfer-Encoding", &cte);
		if (mime_header(m->data, m->len, p->hdr_start, "Content-Type",
		    &ct) == 1)
			(void)mime_param(buf_cstr(&ct), "charset", &cs);
		if (mime_decode_body(buf_cstr(&cte), m->data + p->body_start,
		    p->body_end - p->body_start, &raw) == 0 &&
		    mime_to_utf8(cs.len ? buf_cstr(&cs) : NULL,
		    (const char *)raw.data, raw.len, &text) == 0)
			found = folded_has(s, (const char *)text.data, text.len);
	}
	buf_free(&cte);
	buf_free(&ct);
	buf_free(&cs);
	buf_free(&raw);
	buf_free(&text);
	return found;
}

/* sent_day - the Date: field's day, or INTERNALDATE's */
static long
sent_day(const struct mime_message *m, const struct imap_search_msg *msg)
{
	struct buf v = BUF_INIT;
	time_t t = msg->internaldate;
	int tz = 0;

	if (mime_header(m->data, m->len, 0, "Date", &v) == 1 &&
	    imap_date_rfc5322(buf_cstr(&v), &t, &tz) < 0) {
		t = msg->internaldate;
		tz = 0;
	}
	buf_free(&v);
	return imap_date_day(t, tz);
}

static int match(const struct imap_search *s,
    const struct imap_search_ctx *ctx, struct imap_search_msg *msg,
    bool content);

/* match_and - every key of a list; cheap keys first, content after */
static int
match_and(const struct imap_search *s, const struct imap_search_ctx *ctx,
    struct imap_search_msg *msg)
{
	for (int pass = 0; pass < 2; pass++)
		for (const struct imap_search *k = s; k != NULL; k = k->next) {
			int r;

			if (imap_search_needs_content(&(struct imap_search){
			    .key = k->key, .a = k->a, .b = k->b }) != pass)
				continue;
			r = match(k, ctx, msg, pass);
			if (r <= 0)
				return r;
		}
	return 1;
}

static int
match(const struct imap_search *s, const struct imap_search_ctx *ctx,
    struct imap_search_msg *msg, bool content)
{
	const struct mime_message *m = NULL;
	int r, k;

	(void)content;
	if (s->key >= K_HEADER || s->key == K_SENTBEFORE ||
	    s->key == K_SENTON || s->key == K_SENTSINCE) {
		if (msg->load(msg->ctx, &m) < 0)
			return -1;
	}
	switch (s->key) {
	case K_AND:
		return match_and(s->a, ctx, msg);
	case K_OR:
		r = match(s->a, ctx, msg, content);
		return r != 0 ? r : match(s->b, ctx, msg, content);
	case K_NOT:
		r = match(s->a, ctx, msg, content);
		return r < 0 ? r : !r;
	case K_ALL:
		return 1;
	case K_SEQ:
		return imap_seqset_has(&s->set, msg->seq, ctx->max_seq);
	case K_UID:
		return imap_seqset_has(&s->set, msg->uid, ctx->max_uid);
	case K_SAVED:
		return ctx->saved != NULL && ctx->saved(ctx->ctx, msg->uid);
	case K_FLAG:
		return (msg->flags & s->num) != 0;
	case K_UNFLAG:
		return (msg->flags & s->num) == 0;
	case K_KEYWORD:
	case K_UNKEYWORD:
		k = ctx->keyword != NULL ? ctx->keyword(ctx->ctx, s->text,
		    s->text_len) : -1;
		r = k >= 0 && (msg->flags & MF_KEYWORD(k)) != 0;
		return s->key == K_KEYWORD ? r : !r;
	case K_NEW:
		return msg->recent && !(msg->flags & MF_SEEN);
	case K_OLD:
		return !msg->recent;
	case K_RECENT:
		return msg->recent;
	case K_LARGER:
		return msg->size > s->num;
	case K_SMALLER:
		return msg->size < s->num;
	case K_MODSEQ:
		return msg->modseq >= s->num;
	case K_BEFORE:
		return imap_date_day(msg->internaldate, 0) < (long)s->num;
	case K_ON:
		return imap_date_day(msg->internaldate, 0) == (long)s->num;
	case K_SINCE:
		return imap_date_day(msg->internaldate, 0) >= (long)s->num;
	case K_SENTBEFORE:
		return sent_day(m, msg) < (long)s->num;
	case K_SENTON:
		return sent_day(m, msg) == (long)s->num;
	case K_SENTSINCE:
		return sent_day(m, msg) >= (long)s->num;
	case K_HEADER:
		return header_has(s, m);
	case K_BODY:
		return body_has(s, m, m->root);
	case K_TEXT:
		return block_has(s, m->data, m->root != NULL ?
		    m->root->body_start : m->len) || body_has(s, m, m->root);
	}
	return 0;
}

int
imap_search_match(const struct imap_search *s,
    const struct imap_search_ctx *ctx, struct imap_search_msg *msg)
{
	return match(s, ctx, msg, false);
}
