/*
 * NAME
 *	imap_sort - SORT (RFC 5256)
 * DESCRIPTION
 *	See imap_sort.h.  The ENVELOPE is read back with the command
 *	parser (it is IMAP syntax: a list of strings, NILs and address
 *	lists), so the keys come from exactly what clients are sent.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail/imap_date.h"
#include "mail/imap_search.h"
#include "mail/imap_sort.h"
#include "mail/mime.h"
#include "util/mem.h"

static const struct {
	const char *name;
	enum imap_sort_key key;
} keys[] = {
	{ "ARRIVAL", SORT_ARRIVAL }, { "CC", SORT_CC }, { "DATE", SORT_DATE },
	{ "FROM", SORT_FROM }, { "SIZE", SORT_SIZE },
	{ "SUBJECT", SORT_SUBJECT }, { "TO", SORT_TO },
};

int
imap_sort_parse(const struct imap_arg *list, struct imap_sort_crit *out,
    size_t *n, const char **error_r)
{
	bool reverse = false;

	*n = 0;
	if (list == NULL || list->type != IMAP_LIST || list->list == NULL) {
		*error_r = "SORT needs a list of criteria";
		return -1;
	}
	for (const struct imap_arg *a = list->list; a != NULL; a = a->next) {
		size_t k;

		if (imap_arg_is_atom(a, "REVERSE") && !reverse) {
			reverse = true;
			continue;
		}
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			if (imap_arg_is_atom(a, keys[k].name))
				break;
		if (k == sizeof(keys) / sizeof(keys[0]) ||
		    *n == IMAP_SORT_CRIT_MAX) {
			*error_r = "Unknown sort criterion";
			return -1;
		}
		out[(*n)++] = (struct imap_sort_crit){ keys[k].key, reverse };
		reverse = false;
	}
	if (reverse) {
		*error_r = "REVERSE needs a criterion after it";
		return -1;
	}
	return 0;
}

/* ---- The base subject (RFC 5256 2.1). ---- */

static bool
wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* blob_end - the end of a subj-blob ("[" *BLOBCHAR "]" *WSP) at s[i],
 * or 0 if there is none */
static size_t
blob_end(const char *s, size_t i, size_t len)
{
	if (i >= len || s[i] != '[')
		return 0;
	for (i++; i < len && s[i] != ']'; i++)
		if (s[i] == '[')
			return 0;
	if (i >= len)
		return 0;
	for (i++; i < len && wsp(s[i]); i++)
		;
	return i;
}

/* leader_end - the end of a subj-leader at the start of s, or 0:
 * WSP, or *subj-blob ("re" / "fw" / "fwd") *WSP [subj-blob] ":" */
static size_t
leader_end(const char *s, size_t len)
{
	size_t i = 0, e;

	if (len > 0 && wsp(s[0]))
		return 1;
	while ((e = blob_end(s, i, len)) != 0)
		i = e;
	if (len - i >= 3 && strncasecmp(s + i, "fwd", 3) == 0)
		i += 3;
	else if (len - i >= 2 && (strncasecmp(s + i, "re", 2) == 0 ||
	    strncasecmp(s + i, "fw", 2) == 0))
		i += 2;
	else
		return 0;
	while (i < len && wsp(s[i]))
		i++;
	if ((e = blob_end(s, i, len)) != 0)
		i = e;
	return i < len && s[i] == ':' ? i + 1 : 0;
}

void
imap_sort_base_subject(const char *subject, struct buf *out)
{
	size_t len = 0, start = 0, e;
	char *s = xmalloc(strlen(subject) + 1);
	bool again;

	/* (1) Blanks (and folding) to one space each. */
	for (const char *p = subject; *p != '\0'; p++) {
		char c = *p == '\t' || *p == '\r' || *p == '\n' ? ' ' : *p;

		if (c == ' ' && len > 0 && s[len - 1] == ' ')
			continue;
		s[len++] = c;
	}
	for (;;) {
		/* (2) Trailers: "(fwd)" and blanks. */
		for (;;) {
			if (len > start && wsp(s[len - 1]))
				len--;
			else if (len - start >= 5 &&
			    strncasecmp(s + len - 5, "(fwd)", 5) == 0)
				len -= 5;
			else
				break;
		}
		/* (3) leaders, (4) a blob before something, (5) again. */
		do {
			again = false;
			while ((e = leader_end(s + start, len - start)) != 0) {
				start += e;
				again = true;
			}
			e = blob_end(s + start, 0, len - start);
			if (e != 0 && e < len - start) {
				start += e;
				again = true;
			}
		} while (again);
		/* (6) "[fwd: ... ]" wrapped around the rest. */
		if (len - start >= 6 && strncasecmp(s + start, "[fwd:", 5) ==
		    0 && s[len - 1] == ']') {
			start += 5;
			len--;
			continue;
		}
		break;
	}
	buf_put(out, s + start, len - start);
	free(s);
}

/* ---- Keys from an ENVELOPE. ---- */

/* nth - the i-th element of list, or NULL */
static const struct imap_arg *
nth(const struct imap_arg *list, int i)
{
	const struct imap_arg *a = list != NULL ? list->list : NULL;

	while (a != NULL && i-- > 0)
		a = a->next;
	return a;
}

/* text - a string element as UTF-8 with encoded words decoded */
static void
text(const struct imap_arg *a, struct buf *out)
{
	if (a != NULL && a->type != IMAP_NIL && a->type != IMAP_LIST)
		(void)mime_decode_words(a->data, a->len, out);
}

/* folded - text folded into a new string */
static char *
folded(const char *s, size_t n)
{
	struct buf b = BUF_INIT;
	char *r;

	(void)imap_search_fold(s, n, &b);
	r = xstrndup(b.data != NULL ? (const char *)b.data : "", b.len);
	buf_free(&b);
	return r;
}

/* first_mailbox - the addr-mailbox of an address list's first address
 * (RFC 5256: the local part), folded */
static char *
first_mailbox(const struct imap_arg *list)
{
	const struct imap_arg *addr = list != NULL && list->type == IMAP_LIST ?
	    list->list : NULL, *mbox = addr != NULL ? nth(addr, 2) : NULL;
	struct buf b = BUF_INIT;
	char *r;

	text(mbox, &b);
	r = folded(b.data != NULL ? (const char *)b.data : "", b.len);
	buf_free(&b);
	return r;
}

int
imap_sort_keys(struct imap_sort_msg *m, const char *envelope, size_t len)
{
	struct imap_command c;
	struct buf cmd = BUF_INIT, t = BUF_INIT, base = BUF_INIT;
	const struct imap_arg *env;
	const char *why;
	int tz, rc = -1;

	m->date = m->arrival;
	buf_puts(&cmd, "s ENVELOPE ");
	buf_put(&cmd, envelope, len);
	if (imap_parse((const char *)cmd.data, cmd.len, &c, &why) ==
	    IMAP_PARSE_OK && (env = c.args) != NULL &&
	    env->type == IMAP_LIST && env->count == 10) {
		text(nth(env, 0), &t);
		if (imap_date_rfc5322(buf_cstr(&t), &m->date, &tz) < 0)
			m->date = m->arrival;
		buf_reset(&t);
		text(nth(env, 1), &t);
		imap_sort_base_subject(buf_cstr(&t), &base);
		m->subject = folded(buf_cstr(&base), base.len);
		m->from = first_mailbox(nth(env, 2));
		m->to = first_mailbox(nth(env, 5));
		m->cc = first_mailbox(nth(env, 6));
		rc = 0;
	}
	imap_command_free(&c);
	if (rc < 0) {
		m->subject = xstrdup("");
		m->from = xstrdup("");
		m->to = xstrdup("");
		m->cc = xstrdup("");
	}
	buf_free(&cmd);
	buf_free(&t);
	buf_free(&base);
	return rc;
}

void
imap_sort_msg_free(struct imap_sort_msg *m)
{
	free(m->from);
	free(m->to);
	free(m->cc);
	free(m->subject);
	m->from = m->to = m->cc = m->subject = NULL;
}

/* ---- The order. ---- */

static int
cmp_num(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

static int
cmp_time(time_t a, time_t b)
{
	return a < b ? -1 : a > b;
}

struct order {
	const struct imap_sort_crit *crit;
	size_t n;
};

static int
compare(const void *pa, const void *pb, void *ctx)
{
	const struct imap_sort_msg *a = pa, *b = pb;
	const struct order *o = ctx;
	int r = 0;

	for (size_t i = 0; r == 0 && i < o->n; i++) {
		switch (o->crit[i].key) {
		case SORT_ARRIVAL:
			r = cmp_time(a->arrival, b->arrival);
			break;
		case SORT_DATE:
			r = cmp_time(a->date, b->date);
			break;
		case SORT_SIZE:
			r = cmp_num(a->size, b->size);
			break;
		case SORT_FROM:
			r = strcmp(a->from, b->from);
			break;
		case SORT_TO:
			r = strcmp(a->to, b->to);
			break;
		case SORT_CC:
			r = strcmp(a->cc, b->cc);
			break;
		case SORT_SUBJECT:
			r = strcmp(a->subject, b->subject);
			break;
		}
		if (o->crit[i].reverse)
			r = -r;
	}
	return r != 0 ? r : cmp_num(a->seq, b->seq);
}

void
imap_sort(struct imap_sort_msg *m, size_t n, const struct imap_sort_crit *crit,
    size_t n_crit)
{
	struct order o = { crit, n_crit };

	if (n > 1)
		qsort_r(m, n, sizeof(*m), compare, &o);
}

/* ---- THREAD=ORDEREDSUBJECT. ---- */

struct thread {
	size_t first, n;	/* its messages: m[first .. first + n) */
};

static int
thread_order(const void *pa, const void *pb, void *ctx)
{
	const struct thread *a = pa, *b = pb;
	const struct imap_sort_msg *m = ctx;
	int r = cmp_time(m[a->first].date, m[b->first].date);

	return r != 0 ? r : cmp_num(m[a->first].seq, m[b->first].seq);
}

void
imap_thread_orderedsubject(struct imap_sort_msg *m, size_t n,
    struct buf *out)
{
	static const struct imap_sort_crit by[] = {
		{ SORT_SUBJECT, false }, { SORT_DATE, false },
	};
	struct thread *t = xcalloc(n + 1, sizeof(*t));
	size_t nt = 0;

	imap_sort(m, n, by, 2);
	for (size_t i = 0; i < n; i++) {
		if (nt == 0 || strcmp(m[t[nt - 1].first].subject,
		    m[i].subject) != 0)
			t[nt++] = (struct thread){ i, 0 };
		t[nt - 1].n++;
	}
	if (nt > 1)
		qsort_r(t, nt, sizeof(*t), thread_order, m);
	for (size_t k = 0; k < nt; k++) {
		const struct imap_sort_msg *p = &m[t[k].first];

		buf_printf(out, "(%u", p[0].id);
		/* One child follows its parent; more are siblings, each in
		 * its own parentheses (thread-nested needs two or more). */
		if (t[k].n == 2)
			buf_printf(out, " %u", p[1].id);
		else if (t[k].n > 2) {
			buf_putc(out, ' ');
			for (size_t j = 1; j < t[k].n; j++)
				buf_printf(out, "(%u)", p[j].id);
		}
		buf_putc(out, ')');
	}
	free(t);
}
