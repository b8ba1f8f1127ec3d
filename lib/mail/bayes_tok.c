/*
 * NAME
 *	bayes_tok - the tokens of a message for the Bayesian classifier
 * DESCRIPTION
 *	The header fields worth reading are tokenized with the field name
 *	as a prefix, so "free" in a Subject and "free" in the body count
 *	apart (SpamBayes and bogofilter do the same).  The body is walked
 *	through lib/mail/mime: text parts are decoded, HTML loses its tags,
 *	other parts give only their type.  Everything is bounded by the
 *	caller's limit (the scanned prefix) and by mime's part limits.
 * SEE ALSO
 *	bayes_tok.h, bayes.h; Robinson, "A Statistical Approach to the Spam
 *	Problem"; SpamBayes tokenizer.py.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail/bayes_tok.h"
#include "mail/mime.h"
#include "util/buf.h"
#include "util/mem.h"

/* Header fields that are tokenized, with their prefix. */
static const char *const fields[] = {
	"subject", "from", "to", "cc", "reply-to", "return-path", "received",
	"list-id", "x-mailer", "user-agent", "content-type",
};
/* Of those, the ones that may hold RFC 2047 encoded words. */
static const char *const encoded[] = { "subject", "from", "to", "cc",
	"reply-to" };

#define PREFIX_MAX	16	/* "return-path:" and the like */

struct tok {
	bayes_token_fn *fn;
	void *ctx;
	char prefix[PREFIX_MAX];
	size_t plen;
	struct buf scratch;	/* decoding */
	struct buf scratch2;
};

uint64_t
bayes_hash(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= (uint8_t)p[i];
		h *= 0x100000001b3ULL;
	}
	/* FNV's low bits are weak: mix (murmur3's finalizer). */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

/* emit - give prefix + word to the callback */
static void
emit(struct tok *t, const char *w, size_t n)
{
	char out[PREFIX_MAX + 64];

	/* UNSAFE: plen < PREFIX_MAX and callers pass n <= 60. */
	memcpy(out, t->prefix, t->plen);
	memcpy(out + t->plen, w, n);
	t->fn(t->ctx, out, t->plen + n);
}

static bool
word_byte(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c >= 0x80 || c == '$' || c == '!' ||
	    c == '\'' || c == '-' || c == '_';
}

static bool
trim_byte(uint8_t c)
{
	return c == '\'' || c == '-' || c == '_';
}

/* word - one run of word bytes */
static void
word(struct tok *t, const char *w, size_t n)
{
	char low[BAYES_WORD_MAX];

	while (n > 0 && trim_byte((uint8_t)w[0])) {
		w++;
		n--;
	}
	while (n > 0 && trim_byte((uint8_t)w[n - 1]))
		n--;
	if (n < BAYES_WORD_MIN)
		return;
	if (n > BAYES_WORD_MAX) {
		char skip[32];
		size_t k;

		k = (size_t)snprintf(skip, sizeof(skip), "skip:%c:%zu",
		    (w[0] >= 'A' && w[0] <= 'Z') ? w[0] + 32 :
		    ((uint8_t)w[0] < 0x80 ? w[0] : '?'), n / 10 * 10);
		emit(t, skip, k < sizeof(skip) ? k : sizeof(skip) - 1);
		return;
	}
	for (size_t i = 0; i < n; i++)
		low[i] = (w[i] >= 'A' && w[i] <= 'Z') ? (char)(w[i] + 32) :
		    w[i];
	emit(t, low, n);
}

/* urls - a url:host token for each http(s):// in text */
static void
urls(struct tok *t, const char *s, size_t n)
{
	char host[64];

	for (size_t i = 0; i + 7 < n; i++) {
		size_t p, h = 0;

		if ((s[i] != 'h' && s[i] != 'H') ||
		    strncasecmp(s + i, "http", 4) != 0)
			continue;
		p = i + 4;
		if (p < n && (s[p] == 's' || s[p] == 'S'))
			p++;
		if (p + 3 > n || memcmp(s + p, "://", 3) != 0)
			continue;
		p += 3;
		while (p < n && h < sizeof(host) - 5) {
			char c = s[p];

			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
			    || (c >= '0' && c <= '9') || c == '.' || c == '-'))
				break;
			host[h++] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
			p++;
		}
		while (h > 0 && host[h - 1] == '.')
			h--;
		if (h > 0) {
			size_t save = t->plen;
			char u[64 + 4];

			memcpy(u, "url:", 4);
			memcpy(u + 4, host, h);
			t->plen = 0;
			emit(t, u, h + 4);
			t->plen = save;
		}
		i = p - 1;
	}
}

/* text - the words and URLs of text */
static void
text(struct tok *t, const char *s, size_t n)
{
	size_t i = 0;

	urls(t, s, n);
	while (i < n) {
		size_t start;

		while (i < n && !word_byte((uint8_t)s[i]))
			i++;
		start = i;
		while (i < n && word_byte((uint8_t)s[i]))
			i++;
		if (i > start)
			word(t, s + start, i - start);
	}
}

/* strip_html - text of html into out: tags and <style>/<script>
 * contents become spaces, entities too (a word boundary either way) */
static void
strip_html(const char *s, size_t n, struct buf *out)
{
	size_t i = 0;

	buf_reset(out);
	while (i < n) {
		if (s[i] == '<') {
			bool skip = n - i > 6 && (strncasecmp(s + i, "<style",
			    6) == 0 || (n - i > 7 && strncasecmp(s + i,
			    "<script", 7) == 0));
			const char *e = memchr(s + i, '>', n - i);

			/* URLs in attributes (href) are kept for urls(). */
			if (e != NULL && (size_t)(e - s - i) > 10) {
				const char *h = NULL;

				for (const char *q = s + i; q + 4 < e; q++)
					if (strncasecmp(q, "http", 4) == 0) {
						h = q;
						break;
					}
				if (h != NULL) {
					buf_putc(out, ' ');
					buf_put(out, h, (size_t)(e - h));
				}
			}
			i = e == NULL ? n : (size_t)(e - s) + 1;
			if (skip) {
				/* to the closing tag */
				while (i < n && !(s[i] == '<' && i + 1 < n &&
				    s[i + 1] == '/'))
					i++;
			}
			buf_putc(out, ' ');
			continue;
		}
		if (s[i] == '&') {
			size_t j = i + 1;

			while (j < n && j - i < 10 && s[j] != ';' &&
			    s[j] != ' ' && s[j] != '<')
				j++;
			if (j < n && s[j] == ';') {
				buf_putc(out, ' ');
				i = j + 1;
				continue;
			}
		}
		/* plain text up to the next tag or entity, in one copy */
		{
			size_t j = i + 1;

			while (j < n && s[j] != '<' && s[j] != '&')
				j++;
			buf_put(out, s + i, j - i);
			i = j;
		}
	}
}

/* set_prefix - the prefix for the following tokens */
static void
set_prefix(struct tok *t, const char *p)
{
	t->plen = strlen(p);
	memcpy(t->prefix, p, t->plen);
}

/* headers - the selected fields of the header at hdr */
static void
headers(struct tok *t, const char *d, size_t len, size_t hdr)
{
	size_t p = hdr;

	while (p < len) {
		size_t e = p, colon, vend;
		const char *name = NULL;

		/* the field, with its continuation lines */
		while (e < len) {
			const char *nl = memchr(d + e, '\n', len - e);

			e = nl == NULL ? len : (size_t)(nl - d) + 1;
			if (e >= len || (d[e] != ' ' && d[e] != '\t'))
				break;
		}
		if (d[p] == '\n' || (d[p] == '\r' && p + 1 < len &&
		    d[p + 1] == '\n'))
			return;		/* the blank line */
		vend = e;
		for (colon = p; colon < vend && d[colon] != ':'; colon++)
			;
		for (size_t i = 0; colon < vend &&
		    i < sizeof(fields) / sizeof(fields[0]); i++)
			if (colon - p == strlen(fields[i]) &&
			    strncasecmp(d + p, fields[i], colon - p) == 0) {
				name = fields[i];
				break;
			}
		if (name != NULL) {
			const char *v = d + colon + 1;
			size_t vn = vend - colon - 1;
			char pre[PREFIX_MAX];

			snprintf(pre, sizeof(pre), "%s:", name);
			set_prefix(t, pre);
			for (size_t i = 0;
			    i < sizeof(encoded) / sizeof(encoded[0]); i++)
				if (strcmp(encoded[i], name) == 0 &&
				    mime_decode_words(v, vn,
				    &t->scratch) == 0) {
					v = (const char *)t->scratch.data;
					vn = t->scratch.len;
					break;
				}
			text(t, v, vn);
			buf_reset(&t->scratch);
		}
		p = e;
	}
}

/* leaf - one body part that has no parts */
static void
leaf(struct tok *t, const struct mime_message *m, const struct mime_part *pt)
{
	struct buf ct = BUF_INIT, cte = BUF_INIT, cs = BUF_INIT;
	const char *body = m->data + pt->body_start;
	size_t n = pt->body_end > pt->body_start ?
	    pt->body_end - pt->body_start : 0;
	bool html = strcmp(pt->subtype, "html") == 0;

	t->plen = 0;
	if (strcmp(pt->type, "text") != 0 || (!html &&
	    strcmp(pt->subtype, "plain") != 0)) {
		char tk[140];
		int k = snprintf(tk, sizeof(tk), "part:%s/%s", pt->type,
		    pt->subtype);

		emit(t, tk, (size_t)k < 60 ? (size_t)k : 60);
		return;
	}
	(void)mime_header(m->data, m->len, pt->hdr_start,
	    "Content-Transfer-Encoding", &cte);
	buf_reset(&t->scratch);
	if (cte.len > 0 && mime_decode_body(buf_cstr(&cte), body, n,
	    &t->scratch) == 0) {
		body = (const char *)t->scratch.data;
		n = t->scratch.len;
	}
	if (mime_header(m->data, m->len, pt->hdr_start, "Content-Type",
	    &ct) == 1 && mime_param(buf_cstr(&ct), "charset", &cs) == 1 &&
	    strcasecmp(buf_cstr(&cs), "utf-8") != 0 &&
	    strcasecmp(buf_cstr(&cs), "us-ascii") != 0) {
		buf_reset(&t->scratch2);
		if (mime_to_utf8(buf_cstr(&cs), body, n, &t->scratch2) == 0) {
			/* body may point into scratch: swap, not copy */
			struct buf tmp = t->scratch;

			t->scratch = t->scratch2;
			t->scratch2 = tmp;
			body = (const char *)t->scratch.data;
			n = t->scratch.len;
		}
	}
	if (html) {
		strip_html(body, n, &t->scratch2);
		text(t, (const char *)t->scratch2.data, t->scratch2.len);
	} else
		text(t, body, n);
	buf_free(&ct);
	buf_free(&cte);
	buf_free(&cs);
}

/* walk - every leaf part under pt (mime bounds the depth) */
static void
walk(struct tok *t, const struct mime_message *m, const struct mime_part *pt)
{
	if (pt->child == NULL) {
		leaf(t, m, pt);
		return;
	}
	if (strcmp(pt->type, "message") == 0) {
		/* an attached message: its header fields say something too */
		headers(t, m->data, m->len, pt->child->hdr_start);
		walk(t, m, pt->child);
		return;
	}
	for (const struct mime_part *c = pt->child; c != NULL; c = c->next)
		walk(t, m, c);
}

void
bayes_tokenize_each(const char *msg, size_t len, size_t limit,
    bayes_token_fn *fn, void *ctx)
{
	struct tok t = { .fn = fn, .ctx = ctx };
	struct mime_message m;

	if (limit > 0 && len > limit)
		len = limit;
	buf_init(&t.scratch, 0);
	buf_init(&t.scratch2, 0);
	mime_parse(&m, msg, len);
	headers(&t, msg, len, 0);
	if (m.root != NULL)
		walk(&t, &m, m.root);
	mime_free(&m);
	buf_free(&t.scratch);
	buf_free(&t.scratch2);
}

/* The distinct hashes of one message are gathered in an open-addressing
 * set (no sort: classifying looks each one up on its own, and training
 * sorts all of a run's deltas once).  0 marks a free slot; the hash 0
 * is kept aside. */
struct set {
	struct bayes_tokens *out;
	uint64_t *slot;
	size_t mask, used;
	bool zero;
};

static void
set_add(struct set *st, uint64_t h)
{
	size_t i;

	if (h == 0) {
		st->zero = true;
		return;
	}
	if ((st->used + 1) * 2 > st->mask + 1) {
		/* grow: re-insert everything into a table twice as big */
		uint64_t *old = st->slot;
		size_t n = st->mask + 1;

		st->mask = n * 2 - 1;
		st->slot = xcalloc(n * 2, sizeof(*st->slot));
		st->used = 0;
		for (size_t k = 0; k < n; k++)
			if (old[k] != 0) {
				for (i = old[k] & st->mask; st->slot[i] != 0;
				    i = (i + 1) & st->mask)
					;
				st->slot[i] = old[k];
				st->used++;
			}
		free(old);
	}
	for (i = h & st->mask; st->slot[i] != 0; i = (i + 1) & st->mask)
		if (st->slot[i] == h)
			return;
	st->slot[i] = h;
	st->used++;
}

static void
add_hash(void *ctx, const char *tok, size_t n)
{
	set_add(ctx, bayes_hash(tok, n));
}

void
bayes_tokenize(const char *msg, size_t len, size_t limit,
    struct bayes_tokens *out)
{
	struct set st = { .out = out, .mask = 1023 };

	st.slot = xcalloc(st.mask + 1, sizeof(*st.slot));
	out->n = 0;
	bayes_tokenize_each(msg, len, limit, add_hash, &st);
	if (st.used + 1 > out->cap) {
		out->cap = st.used + 1;
		out->h = xrealloc(out->h, out->cap * sizeof(*out->h));
	}
	for (size_t k = 0; k <= st.mask; k++)
		if (st.slot[k] != 0)
			out->h[out->n++] = st.slot[k];
	if (st.zero)
		out->h[out->n++] = 0;
	free(st.slot);
}

void
bayes_tokens_free(struct bayes_tokens *t)
{
	free(t->h);
	memset(t, 0, sizeof(*t));
}
