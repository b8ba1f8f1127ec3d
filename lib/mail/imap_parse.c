/*
 * NAME
 *	imap_parse - tokenize IMAP commands
 * DESCRIPTION
 *	A recursive-descent reader over the whole command; literals are
 *	inline and taken by their announced length, so their bytes are
 *	never scanned as syntax.  NUL is refused everywhere except inside
 *	literal8.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail/imap_parse.h"
#include "util/mem.h"

struct rd {
	const char *p, *end;
	struct imap_command *c;
	const char *error;
};

/* atom_char - RFC 3501 ATOM-CHAR */
static bool
atom_char(unsigned char ch)
{
	return ch > ' ' && ch < 0x7f && strchr("(){%*\"\\]", ch) == NULL;
}

/* new_arg - from the pool */
static struct imap_arg *
new_arg(struct rd *r)
{
	if (r->c->used >= IMAP_ARGS_MAX) {
		r->error = "too many arguments";
		return NULL;
	}
	r->c->used++;
	return arena_alloc(&r->c->arena, sizeof(struct imap_arg));
}

/* read_number - digits into *v (at most 2^63) */
static bool
read_number(const char **pp, const char *end, uint64_t *v)
{
	const char *p = *pp;

	*v = 0;
	if (p >= end || *p < '0' || *p > '9')
		return false;
	while (p < end && *p >= '0' && *p <= '9') {
		if (*v > (UINT64_MAX >> 1) / 10)
			return false;
		*v = *v * 10 + (uint64_t)(*p++ - '0');
	}
	*pp = p;
	return true;
}

static int read_list(struct rd *r, struct imap_arg *list, int depth,
    char close);

/* read_one - one argument at r->p */
static struct imap_arg *
read_one(struct rd *r, int depth)
{
	struct imap_arg *a;
	const char *p = r->p;

	if ((a = new_arg(r)) == NULL)
		return NULL;
	if (*p == '(') {
		if (depth >= IMAP_DEPTH_MAX) {
			r->error = "lists nested too deeply";
			return NULL;
		}
		a->type = IMAP_LIST;
		r->p = p + 1;
		return read_list(r, a, depth + 1, ')') < 0 ? NULL : a;
	}
	if (*p == '"') {
		const char *q = p + 1;
		char *out;
		size_t n = 0;

		/* Measure first: the copy is as long as the string, not as
		 * the rest of the command. */
		while (q < r->end && *q != '"')
			q += *q == '\\' && q + 1 < r->end ? 2 : 1;
		out = arena_alloc(&r->c->arena, (size_t)(q - p));
		a->type = IMAP_QUOTED;
		a->owned = out;
		for (p++; p < r->end && *p != '"'; p++) {
			if (*p == '\\') {
				if (++p >= r->end || (*p != '"' && *p != '\\')) {
					r->error = "bad escape in quoted string";
					return NULL;
				}
			} else if (*p == '\r' || *p == '\n' || *p == '\0') {
				r->error = "CR, LF or NUL in quoted string";
				return NULL;
			}
			out[n++] = *p;
		}
		if (p >= r->end) {
			r->error = "unterminated quoted string";
			return NULL;
		}
		a->data = out;
		a->len = n;
		r->p = p + 1;
		return a;
	}
	if (*p == '{' || (*p == '~' && p + 1 < r->end && p[1] == '{')) {
		uint64_t n;

		a->type = IMAP_LITERAL;
		a->literal8 = *p == '~';
		p += a->literal8 ? 2 : 1;
		if (!read_number(&p, r->end, &n)) {
			r->error = "bad literal size";
			return NULL;
		}
		if (p < r->end && *p == '+')
			p++;
		if (r->end - p < 3 || memcmp(p, "}\r\n", 3) != 0) {
			r->error = "bad literal";
			return NULL;
		}
		p += 3;
		if ((uint64_t)(r->end - p) < n) {
			r->error = "literal shorter than announced";
			return NULL;
		}
		if (!a->literal8 && memchr(p, '\0', (size_t)n) != NULL) {
			r->error = "NUL in literal (use literal8)";
			return NULL;
		}
		a->data = p;
		a->len = (size_t)n;
		r->p = p + n;
		return a;
	}
	/* An atom, with any [section] and <partial> it carries. */
	a->type = IMAP_ATOM;
	a->data = p;
	if (p < r->end && *p == '\\')
		p++;		/* a system flag: \Seen */
	while (p < r->end) {
		if (*p == '[') {
			int nest = 0;

			for (; p < r->end; p++) {
				if (*p == '[')
					nest++;
				else if (*p == ']' && --nest == 0)
					break;
				else if (*p == '\r' || *p == '\n' || *p == '\0')
					break;
			}
			if (p >= r->end || *p != ']') {
				r->error = "unterminated [";
				return NULL;
			}
			p++;
			continue;
		}
		/* Sequence sets ("1:*"), list wildcards ("%") and astrings
		 * ("]") are read as atoms too. */
		if (!atom_char((unsigned char)*p) && *p != '*' && *p != '%' &&
		    *p != ']')
			break;
		p++;
	}
	a->len = (size_t)(p - a->data);
	if (a->len == 0) {
		r->error = *p == '\0' ? "NUL in command" : "syntax error";
		return NULL;
	}
	if (a->len == 3 && strncasecmp(a->data, "NIL", 3) == 0)
		a->type = IMAP_NIL;
	r->p = p;
	return a;
}

/* read_list - elements until close (')' or end of command with 0) */
static int
read_list(struct rd *r, struct imap_arg *list, int depth, char close)
{
	struct imap_arg **tail = &list->list;

	for (bool first = true;; first = false) {
		struct imap_arg *a;

		if (close != 0 && r->p < r->end && *r->p == close) {
			r->p++;
			return 0;
		}
		if (r->p >= r->end) {
			if (close == 0)
				return 0;
			r->error = "missing )";
			return -1;
		}
		if (!first || close == 0) {
			if (*r->p != ' ') {
				r->error = "expected a space";
				return -1;
			}
			r->p++;
		}
		if ((a = read_one(r, depth)) == NULL)
			return -1;
		*tail = a;
		tail = &a->next;
		list->count++;
	}
}

int
imap_parse(const char *buf, size_t len, struct imap_command *c,
    const char **error_r)
{
	struct rd r = { buf, buf + len, c, NULL };
	struct imap_arg top = { 0 };
	const char *p = buf;
	size_t n;

	memset(c, 0, sizeof(*c));
	/* The tag: ASTRING-CHAR except '+'. */
	for (n = 0; p + n < r.end && p[n] != ' ' &&
	    (atom_char((unsigned char)p[n]) || p[n] == ']') && p[n] != '+';
	    n++)
		;
	if (n == 0 || n > IMAP_TAG_MAX || p + n >= r.end || p[n] != ' ') {
		*error_r = "missing or bad tag";
		return IMAP_PARSE_NO_TAG;
	}
	memcpy(c->tag, p, n);
	p += n + 1;
	for (n = 0; p + n < r.end && p[n] != ' '; n++) {
		if (n >= IMAP_NAME_MAX || !atom_char((unsigned char)p[n])) {
			*error_r = "bad command name";
			return IMAP_PARSE_BAD;
		}
		c->name[n] = (char)((p[n] >= 'a' && p[n] <= 'z') ?
		    p[n] - 'a' + 'A' : p[n]);
	}
	if (n == 0) {
		*error_r = "missing command";
		return IMAP_PARSE_BAD;
	}
	r.p = p + n;
	if (read_list(&r, &top, 0, 0) < 0) {
		*error_r = r.error;
		return IMAP_PARSE_BAD;
	}
	c->args = top.list;
	c->n_args = top.count;
	return IMAP_PARSE_OK;
}

void
imap_command_free(struct imap_command *c)
{
	arena_free(&c->arena);
	c->args = NULL;
	c->used = 0;
}

int
imap_line_literal(const char *line, size_t len, uint64_t *size,
    bool *nonsync, bool *lit8)
{
	const char *open, *p;

	if (len < 3 || line[len - 1] != '}')
		return 0;
	open = memrchr(line, '{', len);
	if (open == NULL)
		return 0;
	p = open + 1;
	*lit8 = open > line && open[-1] == '~';
	if (!read_number(&p, line + len, size))
		return -1;
	*nonsync = *p == '+' || *p == '-';
	if (*nonsync)
		p++;
	return p == line + len - 1 ? 1 : -1;
}

bool
imap_arg_is_atom(const struct imap_arg *arg, const char *word)
{
	return arg != NULL && arg->type == IMAP_ATOM &&
	    strlen(word) == arg->len && strncasecmp(arg->data, word,
	    arg->len) == 0;
}
