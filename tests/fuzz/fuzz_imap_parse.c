/*
 * fuzz_imap_parse.c - IMAP commands with literals, gathered the way
 * imapd/session.c gathers them: lines end at LF (a CR before it is
 * dropped), a line ending in a literal marker (imap_line_literal) is
 * followed by that many raw bytes and the next line, and the whole
 * command, literals inline, goes to imap_parse.  The bytes arrive in
 * chunks whose sizes the first input byte seeds, so a literal or a line
 * end split across reads is exercised too.
 */
#include "fuzz.h"

#include "mail/imap_parse.h"
#include "util/buf.h"

#define LITERAL_LIMIT	(64 * 1024)	/* imapd_literal_limit, small */
#define LINE_LIMIT	(8 * 1024)

struct feed {
	struct buf cmd;		/* the command so far */
	struct buf in;		/* received, not yet used */
	uint64_t lit_left;	/* literal bytes still to come */
};

/* walk - touch every byte of every argument; count them */
static size_t
walk(const struct imap_arg *a, unsigned depth)
{
	size_t n = 0, sum = 0;

	FUZZ_CHECK(depth <= IMAP_DEPTH_MAX + 1);
	for (; a != NULL; a = a->next, n++) {
		for (size_t i = 0; i < a->len; i++)
			sum += (unsigned char)a->data[i];
		if (a->type == IMAP_LIST) {
			size_t c = 0;

			for (const struct imap_arg *e = a->list; e != NULL;
			    e = e->next)
				c++;
			FUZZ_CHECK(c == a->count);
			n += walk(a->list, depth + 1);
		}
	}
	(void)sum;
	return n;
}

static void
dispatch(struct feed *f)
{
	struct imap_command c;
	const char *why = NULL;
	int rc;

	rc = imap_parse((const char *)f->cmd.data, f->cmd.len, &c, &why);
	if (rc == IMAP_PARSE_OK) {
		size_t n = 0;

		FUZZ_CHECK(strlen(c.tag) <= IMAP_TAG_MAX);
		FUZZ_CHECK(strlen(c.name) <= IMAP_NAME_MAX);
		for (const struct imap_arg *a = c.args; a != NULL; a = a->next)
			n++;
		FUZZ_CHECK(n == c.n_args);
		FUZZ_CHECK(walk(c.args, 0) <= IMAP_ARGS_MAX);
		(void)imap_arg_is_atom(c.args, "BODY.PEEK[]");
	} else {
		FUZZ_CHECK(rc == IMAP_PARSE_BAD || rc == IMAP_PARSE_NO_TAG);
		FUZZ_CHECK(why != NULL);
	}
	imap_command_free(&c);
	buf_reset(&f->cmd);
}

/* line - one complete line, as command_line() takes it */
static void
line(struct feed *f, const char *p, size_t len)
{
	uint64_t size;
	bool nonsync, lit8;

	if (buf_append(&f->cmd, p, len) < 0) {
		buf_reset(&f->cmd);
		return;
	}
	if (imap_line_literal(p, len, &size, &nonsync, &lit8) <= 0) {
		dispatch(f);
		return;
	}
	if (size > LITERAL_LIMIT ||
	    f->cmd.len + size > LITERAL_LIMIT + LINE_LIMIT ||
	    buf_append(&f->cmd, "\r\n", 2) < 0) {
		buf_reset(&f->cmd);
		return;
	}
	f->lit_left = size;
}

/* input - use what has arrived, as on_input() does */
static void
input(struct feed *f)
{
	size_t used = 0;

	while (used < f->in.len) {
		const uint8_t *p = f->in.data + used;
		size_t avail = f->in.len - used;

		if (f->lit_left > 0) {
			size_t n = avail < f->lit_left ? avail :
			    (size_t)f->lit_left;

			if (buf_append(&f->cmd, p, n) < 0)
				abort();	/* reserved by the limits */
			f->lit_left -= n;
			used += n;
			continue;
		}
		const uint8_t *lf = memchr(p, '\n', avail);
		if (lf == NULL) {
			if (avail > LINE_LIMIT + 1) {	/* too long: dropped */
				buf_reset(&f->cmd);
				used = f->in.len;
			}
			break;
		}
		size_t n = (size_t)(lf - p);
		used += n + 1;
		if (n > LINE_LIMIT) {
			buf_reset(&f->cmd);
			continue;
		}
		if (n > 0 && p[n - 1] == '\r')
			n--;
		line(f, (const char *)p, n);
	}
	buf_consume(&f->in, used);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct feed f = { .lit_left = 0 };
	unsigned seed;
	bool whole;

	if (size < 1)
		return 0;
	seed = data[0];
	whole = seed == 0;
	data++;
	size--;
	buf_init(&f.cmd, 0);
	buf_init(&f.in, 0);
	while (size > 0) {
		size_t n;

		/* Chunks of 1..64 bytes, or everything at once for seed 0. */
		seed = seed * 1103515245u + 12345u;
		n = whole ? size : 1 + (seed >> 16) % 64;
		if (n > size)
			n = size;
		if (buf_append(&f.in, data, n) < 0)
			abort();
		data += n;
		size -= n;
		input(&f);
	}
	buf_free(&f.cmd);
	buf_free(&f.in);
	return 0;
}
