/*
 * NAME
 *	retr - RETR and TOP: a stored message, decrypted and dot-stuffed
 *	as it is sent
 * DESCRIPTION
 *	The message is never whole in memory: it is decrypted a slice at a
 *	time (the stored format's AEAD chunks, postern-crypto(7)), each
 *	line starting with "." gets another (RFC 1939 3), and the slice is
 *	queued.  Past RETR_HIGH bytes queued the session waits for the
 *	client to read down to RETR_LOW, so a slow client costs a bounded
 *	buffer.  Pipelined commands wait until the terminating "." is out.
 *
 *	The bytes are the stored bytes unchanged, so the octet count of
 *	"+OK n octets", LIST and STAT is exactly what is sent before
 *	dot-stuffing.  A message that does not end in a line end gets one
 *	before the terminating line, as the protocol needs.
 *
 *	TOP msg n sends the header, the blank line and n lines of the body
 *	(RFC 1939 7).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "pop3d/pop3d.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strnum.h"

#define SLICE	16384

struct retr {
	struct pop3_msg *p;
	int fd;
	struct msgcrypt_reader r;
	bool bol;		/* at the start of a line */
	bool body;		/* past the header's blank line */
	size_t line_len;	/* of the current line, CR not counted */
	bool top;
	uint64_t lines;		/* TOP: body lines still to send */
	uint64_t sent;		/* plaintext octets sent */
};

static void
retr_free(struct retr *t)
{
	msgcrypt_read_free(&t->r);
	if (t->fd >= 0)
		close(t->fd);
	free(t);
}

void
retr_abort(struct session *ss)
{
	if (ss->retr != NULL)
		retr_free(ss->retr);
	ss->retr = NULL;
}

/*
 * stuff - TOP's case: n plaintext bytes into out, dot-stuffed, finding
 * the end of the header and counting body lines; *n is cut short where
 * TOP has sent enough.  Returns true when that is reached.
 */
static bool
stuff(struct retr *t, const uint8_t *p, size_t *n, struct buf *out)
{
	for (size_t i = 0; i < *n; i++) {
		if (t->bol && p[i] == '.')
			buf_putc(out, '.');
		buf_putc(out, p[i]);
		t->bol = p[i] == '\n';
		if (p[i] == '\r')
			continue;
		if (p[i] != '\n') {
			t->line_len++;
			continue;
		}
		if (t->top && t->body) {
			if (--t->lines == 0) {
				*n = i + 1;
				return true;
			}
		} else if (t->line_len == 0 && !t->body) {
			t->body = true;
			if (t->top && t->lines == 0) {
				*n = i + 1;
				return true;
			}
		}
		t->line_len = 0;
	}
	return false;
}

/* stuff_all - RETR's case: n bytes dot-stuffed straight into the stream,
 * a line at a time (only a "." at a line start needs a look) */
static void
stuff_all(struct retr *t, struct stream *s, const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		const uint8_t *lf;
		size_t end;

		if (t->bol && p[i] == '.')
			stream_write(s, ".", 1);
		lf = memchr(p + i, '\n', n - i);
		end = lf != NULL ? (size_t)(lf - p) + 1 : n;
		stream_write(s, p + i, end - i);
		t->bol = lf != NULL;
		i = end;
	}
}

/* finish - the terminating line; the next command may come */
static void
finish(struct session *ss)
{
	struct retr *t = ss->retr;

	if (!t->bol)
		stream_printf(ss->s, "\r\n");
	stream_printf(ss->s, ".\r\n");
	if (!t->top)
		t->p->retrieved = true;
	retr_abort(ss);
	ss->mode = MODE_COMMAND;
	stream_resume(ss->s);
}

/* pump - send slices until enough is queued or the message is out */
static void
pump(struct stream *s, void *ctx)
{
	struct session *ss = ctx;
	struct retr *t = ss->retr;
	uint8_t plain[SLICE];
	struct buf out = BUF_INIT;
	const char *why;
	ssize_t n;

	while (stream_out_pending(s) < RETR_HIGH) {
		size_t len;
		bool done;

		n = msgcrypt_read(&t->r, plain, sizeof(plain), &why);
		if (n < 0) {
			/* "+OK" has gone out: all that is left is to stop
			 * short of the terminating line. */
			msg_warn("%s: message %u: %s", ss->acc.user, t->p->uid,
			    why);
			sodium_memzero(plain, sizeof(plain));
			retr_abort(ss);
			stream_close(s, "damaged message");
			return;
		}
		if (n == 0) {
			finish(ss);
			sodium_memzero(plain, sizeof(plain));
			return;
		}
		len = (size_t)n;
		if (!t->top) {
			stuff_all(t, s, plain, len);
			t->sent += len;
			continue;
		}
		done = stuff(t, plain, &len, &out);
		t->sent += len;
		stream_write(s, out.data, out.len);
		mem_wipe(out.data, out.len);
		buf_reset(&out);
		if (done) {
			finish(ss);
			break;
		}
	}
	sodium_memzero(plain, sizeof(plain));
	buf_free(&out);
	if (ss->retr != NULL)
		stream_on_drain(s, RETR_LOW, pump);
}

/* key_ready - cryptd opened the message's content key (or not) */
static void
key_ready(void *ctx, const uint8_t *key, const char *why)
{
	struct session *ss = ctx;
	struct retr *t;

	if (!session_resume(ss))
		return;		/* the client left meanwhile */
	t = ss->retr;
	if (key == NULL || msgcrypt_read_begin(&t->r, t->fd, key, &why) < 0) {
		msg_warn("%s: message %u: %s", ss->acc.user, t->p->uid, why);
		retr_abort(ss);
		err(ss, false, "[SYS/TEMP] Cannot decrypt message");
		return;
	}
	if (t->top)
		ok(ss, "Top of message follows");
	else
		ok(ss, "%llu octets", (unsigned long long)t->p->size);
	ss->mode = MODE_SEND;
	stream_pause(ss->s);
	pump(ss->s, ss);
}

/*
 * start - open message p and ask cryptd for its key; the session takes
 * no input meanwhile, while the process serves the others.
 */
static void
start(struct session *ss, struct pop3_msg *p, bool top, uint64_t lines)
{
	struct retr *t = xcalloc(1, sizeof(*t));
	char path[1200];
	const char *why = NULL;

	t->p = p;
	t->top = top;
	t->lines = lines;
	t->bol = true;
	snprintf(path, sizeof(path), "%s/cur/%s", ss->mdir, p->name);
	if ((t->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		free(t);
		if (errno == ENOENT)
			err(ss, false, "Message %zu was deleted by another "
			    "session", (size_t)(p - ss->msgs) + 1);
		else
			err(ss, false, "[SYS/TEMP] Cannot read message");
		return;
	}
	if (mlogin_key_start(&ss->acc, t->fd, key_ready, ss, &why) < 0) {
		msg_warn("%s: %s: %s", ss->acc.user, path, why);
		close(t->fd);
		free(t);
		err(ss, false, "[SYS/TEMP] Cannot decrypt message");
		return;
	}
	ss->retr = t;
	ss->mode = MODE_WAIT;
	stream_pause(ss->s);
}

void
cmd_retr(struct session *ss, char *arg)
{
	struct pop3_msg *p = maildrop_msg(ss, arg);

	if (p != NULL)
		start(ss, p, false, 0);
}

void
cmd_top(struct session *ss, char *arg)
{
	char *lines = strchr(arg, ' ');
	struct pop3_msg *p;
	const char *why;
	uint64_t n;

	if (lines == NULL) {
		err(ss, true, "TOP needs a message number and a line count");
		return;
	}
	*lines++ = '\0';
	if (strnum_u64(lines, 0, UINT64_MAX, &n, &why) < 0) {
		err(ss, true, "Bad line count: %s", why);
		return;
	}
	if ((p = maildrop_msg(ss, arg)) != NULL)
		start(ss, p, true, n);
}
