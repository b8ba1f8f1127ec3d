/*
 * NAME
 *	qfile - queue file writer and reader
 * DESCRIPTION
 *	See qfile.h and doc/queue-file.md.  The length of the message is not
 *	known when its envelope is written, so the "L" record has a fixed
 *	width and is filled in before the file is fsync'ed; the file is not
 *	in the queue yet, so this is not a rewrite of a queued file.
 *
 *	The reader trusts nothing: every line is bounded, every number
 *	checked, the end mark must sit exactly after the message, and a
 *	torn last state record (a crash during an append) is ignored.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mail/qfile.h"
#include "util/mem.h"
#include "util/file.h"
#include "util/strnum.h"

#define WRITE_CHUNK	65536
#define LEN_DIGITS	20

int
qfile_escape(struct buf *out, const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p != '\0';
	    p++) {
		int rc;

		if (*p == '\\')
			rc = buf_append_str(out, "\\\\");
		else if (*p == '\n')
			rc = buf_append_str(out, "\\n");
		else if (*p == '\r')
			rc = buf_append_str(out, "\\r");
		else if (*p < 0x20 || *p == 0x7f)
			rc = buf_appendf(out, "\\x%02x", *p);
		else
			rc = buf_append_byte(out, *p);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* unescape - undo qfile_escape in place; -1 on a bad escape */
static int
unescape(char *s)
{
	char *o = s;

	for (const char *p = s; *p != '\0'; p++) {
		if (*p != '\\') {
			*o++ = *p;
			continue;
		}
		p++;
		if (*p == '\\')
			*o++ = '\\';
		else if (*p == 'n')
			*o++ = '\n';
		else if (*p == 'r')
			*o++ = '\r';
		else if (*p == 'x' && isxdigit((unsigned char)p[1]) &&
		    isxdigit((unsigned char)p[2])) {
			char hex[3] = { p[1], p[2], '\0' };
			long v = strtol(hex, NULL, 16);

			if (v == 0)
				return -1;	/* no NUL inside a value */
			*o++ = (char)v;
			p += 2;
		} else
			return -1;
	}
	*o = '\0';
	return 0;
}

/* record - append "tag escaped-value\n" */
static int
record(struct buf *b, char tag, const char *value)
{
	if (buf_append_byte(b, (uint8_t)tag) < 0 ||
	    (value != NULL && (buf_append_byte(b, ' ') < 0 ||
	    qfile_escape(b, value) < 0)) ||
	    buf_append_byte(b, '\n') < 0)
		return -1;
	return 0;
}

int
qfile_write_begin(struct qfile_writer *w, int fd, const struct qfile_env *e,
    uint64_t max)
{
	struct buf *b = &w->out;
	char num[64];
	int rc = 0;

	memset(w, 0, sizeof(*w));
	w->fd = fd;
	w->max = max;
	buf_init(b, 0);
	rc |= buf_appendf(b, "%s\n", QFILE_VERSION);
	rc |= record(b, 'Q', e->qid);
	snprintf(num, sizeof(num), "%lld.%06ld", (long long)e->arrival.tv_sec,
	    (long)e->arrival.tv_usec);
	rc |= record(b, 'T', num);
	rc |= record(b, 'C', e->client_addr != NULL ? e->client_addr : "");
	rc |= record(b, 'H', e->client_helo != NULL ? e->client_helo : "");
	rc |= record(b, 'P', e->protocol != NULL ? e->protocol : "ESMTP");
	if (e->auth_user != NULL)
		rc |= record(b, 'A', e->auth_user);
	rc |= record(b, 'S', e->sender != NULL ? e->sender : "");
	if (e->envid != NULL)
		rc |= record(b, 'V', e->envid);
	rc |= record(b, 'B', e->body != NULL ? e->body : "7BIT");
	if (e->smtputf8)
		rc |= record(b, 'U', NULL);
	if (e->ret != NULL)
		rc |= record(b, 'N', e->ret);
	if (e->quarantine != NULL)
		rc |= record(b, 'J', e->quarantine);
	if (e->spam != NULL)
		rc |= record(b, 'Y', e->spam);
	for (size_t i = 0; i < e->n_rcpts; i++) {
		const struct qfile_rcpt *r = &e->rcpts[i];

		rc |= buf_appendf(b, "R %u ", r->notify);
		rc |= qfile_escape(b, r->orcpt != NULL && r->orcpt[0] != '\0' ?
		    r->orcpt : "-");
		rc |= buf_append_byte(b, ' ');
		rc |= qfile_escape(b, r->address);
		rc |= buf_append_byte(b, '\n');
	}
	rc |= buf_append_str(b, "L ");
	w->len_at = b->len;
	rc |= buf_appendf(b, "%0*d\nM\n", LEN_DIGITS, 0);
	w->msg_start = b->len;
	if (rc != 0) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

/* flush - write the buffer out */
static int
flush(struct qfile_writer *w)
{
	if (w->error != 0)
		return -1;
	if (file_write_all(w->fd, w->out.data, w->out.len) < 0) {
		w->error = errno;
		return -1;
	}
	w->flushed += w->out.len;
	buf_reset(&w->out);
	return 0;
}

int
qfile_write_flush(struct qfile_writer *w)
{
	if (flush(w) < 0) {
		errno = w->error;
		return -1;
	}
	return 0;
}

int
qfile_write_data(struct qfile_writer *w, const void *p, size_t n)
{
	if (w->error != 0) {
		errno = w->error;
		return -1;
	}
	if (w->max > 0 && w->msg_len + n > w->max) {
		w->error = EFBIG;
		errno = EFBIG;
		return -1;
	}
	w->msg_len += n;
	if (buf_append(&w->out, p, n) < 0) {
		w->error = ENOMEM;
		errno = ENOMEM;
		return -1;
	}
	if (w->out.len >= WRITE_CHUNK && flush(w) < 0) {
		errno = w->error;
		return -1;
	}
	return 0;
}

/* The smallest room: "G\n" and "M\n". */
#define HEAD_ROOM_MIN	4

int
qfile_write_reserve(struct qfile_writer *w, size_t size)
{
	struct buf *b = &w->out;

	if (size < HEAD_ROOM_MIN || w->flushed != 0 || w->msg_len != 0 ||
	    b->len < 2 || memcmp(b->data + b->len - 2, "M\n", 2) != 0) {
		errno = EINVAL;
		return -1;
	}
	b->len -= 2;
	w->head_at = b->len;
	w->head_size = size;
	if (buf_append_byte(b, 'G') < 0 ||
	    buf_append_fill(b, ' ', size - HEAD_ROOM_MIN) < 0 ||
	    buf_append_str(b, "\nM\n") < 0) {
		w->error = ENOMEM;
		errno = ENOMEM;
		return -1;
	}
	w->msg_start = b->len;
	return 0;
}

int
qfile_write_head(struct qfile_writer *w, const struct qfile_head *h,
    const void *head, size_t n)
{
	struct buf room = BUF_INIT, rec = BUF_INIT;
	int rc = -1;

	if (w->head_size == 0) {
		errno = EINVAL;
		return -1;
	}
	if ((h->quarantine != NULL && record(&rec, 'J', h->quarantine) < 0) ||
	    (h->spam != NULL && record(&rec, 'Y', h->spam) < 0)) {
		errno = ENOMEM;
		goto out;
	}
	if (HEAD_ROOM_MIN + rec.len + n > w->head_size) {
		errno = ENOSPC;
		goto out;
	}
	if (buf_append_byte(&room, 'G') < 0 ||
	    buf_append_fill(&room, ' ', w->head_size - HEAD_ROOM_MIN -
	    rec.len - n) < 0 || buf_append_byte(&room, '\n') < 0 ||
	    buf_append(&room, rec.data, rec.len) < 0 ||
	    buf_append_str(&room, "M\n") < 0 ||
	    buf_append(&room, head, n) < 0) {
		errno = ENOMEM;
		goto out;
	}
	/* The room is still in the buffer unless a flush took it whole. */
	if (w->head_at >= w->flushed)
		memcpy(w->out.data + (w->head_at - w->flushed), room.data,
		    room.len);
	else if (pwrite(w->fd, room.data, room.len, (off_t)w->head_at) !=
	    (ssize_t)room.len) {
		if (errno == 0)
			errno = EIO;
		goto out;
	}
	w->msg_len += n;
	rc = 0;
out:
	buf_free(&room);
	buf_free(&rec);
	return rc;
}

int
qfile_write_end(struct qfile_writer *w)
{
	char len[LEN_DIGITS + 1];

	if (w->error == 0 && buf_append_str(&w->out, "\nE\n") < 0)
		w->error = ENOMEM;
	if (flush(w) < 0)
		goto fail;
	snprintf(len, sizeof(len), "%0*" PRIu64, LEN_DIGITS, w->msg_len);
	if (pwrite(w->fd, len, LEN_DIGITS, (off_t)w->len_at) != LEN_DIGITS ||
	    fsync(w->fd) < 0) {
		w->error = errno != 0 ? errno : EIO;
		goto fail;
	}
	buf_free(&w->out);
	return 0;
fail:
	errno = w->error;
	buf_free(&w->out);
	return -1;
}

void
qfile_write_abort(struct qfile_writer *w)
{
	buf_free(&w->out);
}

/* ---- reading ---- */

struct reader {
	int fd;
	uint64_t off;		/* file offset of buf[0] */
	struct buf buf;
	size_t pos;
	bool eof;
};

/* next_line - the next '\n'-terminated line (without it), or NULL at the
 * end; *torn is set for a last line without '\n'; -1 if too long */
static int
next_line(struct reader *r, char **line, bool *torn)
{
	*torn = false;
	for (;;) {
		/* Nothing read yet (an empty file): buf.data is NULL, and
		 * NULL + 0 is undefined. */
		char *start = r->buf.len > r->pos ? (char *)r->buf.data +
		    r->pos : NULL;
		char *nl = start != NULL ? memchr(start, '\n',
		    r->buf.len - r->pos) : NULL;
		uint8_t chunk[8192];
		ssize_t n;

		if (nl != NULL) {
			*nl = '\0';
			*line = start;
			r->pos = (size_t)(nl - (char *)r->buf.data) + 1;
			return 1;
		}
		if (r->buf.len - r->pos > QFILE_LINE_MAX)
			return -1;
		if (r->eof) {
			*torn = r->pos < r->buf.len;
			return 0;
		}
		r->off += r->pos;
		buf_consume(&r->buf, r->pos);
		r->pos = 0;
		n = pread(r->fd, chunk, sizeof(chunk), (off_t)(r->off +
		    r->buf.len));
		if (n < 0)
			return -1;
		if (n == 0)
			r->eof = true;
		else if (buf_append(&r->buf, chunk, (size_t)n) < 0)
			return -1;
	}
}

/* parse_u64 - a whole decimal number */
static int
parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	const char *why;

	return strnum_u64(s, 0, max, out, &why);
}

/* dup_value - unescape and copy a value */
static int
dup_value(char *text, char **out)
{
	if (unescape(text) < 0)
		return -1;
	free(*out);
	*out = xstrdup(text);
	return 0;
}

/* parse_rcpt - "R notify orcpt address" */
static int
parse_rcpt(struct qfile_env *e, char *v)
{
	char *orcpt = strchr(v, ' '), *addr;
	uint64_t notify;
	struct qfile_rcpt *r;

	if (orcpt == NULL)
		return -1;
	*orcpt++ = '\0';
	addr = strchr(orcpt, ' ');
	if (addr == NULL)
		return -1;
	*addr++ = '\0';
	if (parse_u64(v, 15, &notify) < 0 || e->n_rcpts == QFILE_RCPT_MAX ||
	    unescape(orcpt) < 0 || unescape(addr) < 0 || addr[0] == '\0')
		return -1;
	e->rcpts = xrealloc(e->rcpts, (e->n_rcpts + 1) * sizeof(*e->rcpts));
	r = &e->rcpts[e->n_rcpts++];
	memset(r, 0, sizeof(*r));
	r->address = xstrdup(addr);
	r->orcpt = strcmp(orcpt, "-") == 0 ? NULL : xstrdup(orcpt);
	r->notify = (unsigned)notify;
	return 0;
}

/* parse_state - "D index status time text" */
static int
parse_state(struct qfile_env *e, char *v)
{
	char *f[3], *reason;
	uint64_t index, when;
	struct qfile_rcpt *r;

	for (int i = 0; i < 3; i++) {
		f[i] = v;
		v = strchr(v, ' ');
		if (v == NULL)
			return -1;
		*v++ = '\0';
	}
	reason = v;
	if (parse_u64(f[0], QFILE_RCPT_MAX, &index) < 0 ||
	    index >= e->n_rcpts || strlen(f[1]) != 1 ||
	    strchr("SBFN", f[1][0]) == NULL ||
	    parse_u64(f[2], UINT64_MAX, &when) < 0 || unescape(reason) < 0)
		return -1;
	r = &e->rcpts[index];
	r->state = (enum qfile_state)f[1][0];
	r->state_time = when;
	free(r->reason);
	r->reason = xstrdup(reason);
	return 0;
}

/* parse_time - "sec.usec" */
static int
parse_time(char *v, struct timeval *tv)
{
	char *dot = strchr(v, '.');
	uint64_t sec, usec;

	if (dot == NULL)
		return -1;
	*dot = '\0';
	if (parse_u64(v, INT64_MAX, &sec) < 0 || strlen(dot + 1) != 6 ||
	    parse_u64(dot + 1, 999999, &usec) < 0)
		return -1;
	tv->tv_sec = (time_t)sec;
	tv->tv_usec = (suseconds_t)usec;
	return 0;
}

int
qfile_read(int fd, struct qfile_env *e, const char **error_r)
{
	static char why[96];
	struct reader r = { .fd = fd };
	struct stat st;
	char *line, tail[3];
	bool torn, seen_m = false;
	unsigned lineno = 0;
	uint64_t len = UINT64_MAX;
	int rc;

	memset(e, 0, sizeof(*e));
	buf_init(&r.buf, QFILE_LINE_MAX + 8192);
	while (!seen_m && (rc = next_line(&r, &line, &torn)) == 1) {
		char tag = line[0], *v = line[0] != '\0' && line[1] == ' ' ?
		    line + 2 : NULL;
		int bad = 0;

		lineno++;
		if (lineno == 1) {
			bad = strcmp(line, QFILE_VERSION) != 0;
			goto check;
		}
		if (line[0] == '\0' || (line[1] != '\0' && line[1] != ' ')) {
			bad = 1;
			goto check;
		}
		switch (tag) {
		case 'Q':
			bad = v == NULL || !qid_valid(v);
			if (!bad)
				memcpy(e->qid, v, QID_SIZE);
			break;
		case 'T':
			bad = v == NULL || parse_time(v, &e->arrival) < 0;
			break;
		case 'C':
			bad = v == NULL || dup_value(v, &e->client_addr) < 0;
			break;
		case 'H':
			bad = v == NULL || dup_value(v, &e->client_helo) < 0;
			break;
		case 'P':
			bad = v == NULL || dup_value(v, &e->protocol) < 0;
			break;
		case 'A':
			bad = v == NULL || dup_value(v, &e->auth_user) < 0;
			break;
		case 'S':
			if (v == NULL && line[1] == '\0')
				v = line + 1;	/* "S": the null sender */
			bad = v == NULL || dup_value(v, &e->sender) < 0;
			break;
		case 'V':
			bad = v == NULL || dup_value(v, &e->envid) < 0;
			break;
		case 'B':
			bad = v == NULL || dup_value(v, &e->body) < 0;
			break;
		case 'U':
			e->smtputf8 = true;
			break;
		case 'N':
			bad = v == NULL || dup_value(v, &e->ret) < 0;
			break;
		case 'J':
			bad = v == NULL || dup_value(v, &e->quarantine) < 0;
			break;
		case 'Y':
			bad = v == NULL || dup_value(v, &e->spam) < 0;
			break;
		case 'G':	/* unused head room: spaces */
			bad = v != NULL && v[strspn(v, " ")] != '\0';
			break;
		case 'R':
			bad = v == NULL || parse_rcpt(e, v) < 0;
			break;
		case 'L':
			bad = v == NULL || strlen(v) != LEN_DIGITS ||
			    parse_u64(v, UINT64_MAX / 2, &len) < 0;
			break;
		case 'M':
			bad = v != NULL || len == UINT64_MAX;
			seen_m = true;
			break;
		default:
			bad = 1;
		}
check:
		if (bad) {
			snprintf(why, sizeof(why), "bad record at line %u",
			    lineno);
			goto fail;
		}
	}
	if (!seen_m || e->qid[0] == '\0' || e->sender == NULL ||
	    e->n_rcpts == 0) {
		snprintf(why, sizeof(why), "incomplete envelope (%u lines)",
		    lineno);
		goto fail;
	}
	e->msg_offset = r.off + r.pos;
	e->msg_len = len;
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_size < e->msg_offset ||
	    (uint64_t)st.st_size - e->msg_offset < len + 3 ||
	    pread(fd, tail, 3, (off_t)(e->msg_offset + len)) != 3 ||
	    memcmp(tail, "\nE\n", 3) != 0) {
		snprintf(why, sizeof(why), "message length or end mark wrong");
		goto fail;
	}
	/* State records follow the end mark. */
	buf_reset(&r.buf);
	r.pos = 0;
	r.off = e->msg_offset + len + 3;
	r.eof = false;
	while ((rc = next_line(&r, &line, &torn)) == 1) {
		if (line[0] == 'W' && line[1] == ' ' && parse_u64(line + 2,
		    UINT64_MAX, &e->warned) == 0 && e->warned > 0)
			continue;
		if (line[0] != 'D' || line[1] != ' ' ||
		    parse_state(e, line + 2) < 0) {
			snprintf(why, sizeof(why), "bad state record");
			goto fail;
		}
	}
	if (rc < 0) {
		snprintf(why, sizeof(why), "unreadable state records");
		goto fail;
	}
	/* torn: a crash cut the last append short; it never happened. */
	buf_free(&r.buf);
	return 0;
fail:
	buf_free(&r.buf);
	qfile_env_free(e);
	*error_r = why;
	return -1;
}

void
qfile_env_free(struct qfile_env *e)
{
	for (size_t i = 0; i < e->n_rcpts; i++) {
		free(e->rcpts[i].address);
		free(e->rcpts[i].orcpt);
		free(e->rcpts[i].reason);
	}
	free(e->rcpts);
	free(e->client_addr);
	free(e->client_helo);
	free(e->protocol);
	free(e->auth_user);
	free(e->sender);
	free(e->envid);
	free(e->body);
	free(e->ret);
	free(e->quarantine);
	free(e->spam);
	memset(e, 0, sizeof(*e));
}

/* write_record - one record line after the end mark, in one write */
static int
write_record(int fd, const struct buf *b)
{
	off_t end;

	/* One write at the end: a crash leaves at most a torn last line,
	 * which the reader ignores and the next append cuts off. */
	end = lseek(fd, 0, SEEK_END);
	if (end > 0) {
		char tailbuf[QFILE_LINE_MAX];
		size_t n = end > QFILE_LINE_MAX ? QFILE_LINE_MAX : (size_t)end;
		ssize_t got = pread(fd, tailbuf, n, end - (off_t)n);
		char *nl = got == (ssize_t)n ? memrchr(tailbuf, '\n', n) :
		    NULL;

		if (nl == NULL) {
			errno = EIO;
			return -1;
		}
		if (nl != tailbuf + n - 1) {
			end -= (off_t)(tailbuf + n - 1 - nl);
			if (ftruncate(fd, end) < 0)
				return -1;
		}
	}
	if (end < 0 || pwrite(fd, b->data, b->len, end) != (ssize_t)b->len)
		return -1;
	return 0;
}

/* append_record - b as the next record line; built is -1 when making b
 * ran out of memory.  Frees b. */
static int
append_record(int fd, struct buf *b, int built)
{
	int rc = -1;

	if (built < 0)
		errno = ENOMEM;
	else
		rc = write_record(fd, b);
	buf_free(b);
	return rc;
}

int
qfile_append_state(int fd, size_t index, enum qfile_state state,
    uint64_t when, const char *reason)
{
	struct buf b = BUF_INIT;
	int built = buf_appendf(&b, "D %zu %c %" PRIu64 " ", index,
	    (char)state, when) < 0 || qfile_escape(&b, reason) < 0 ||
	    buf_append_byte(&b, '\n') < 0 ? -1 : 0;

	return append_record(fd, &b, built);
}

int
qfile_append_warned(int fd, uint64_t when)
{
	struct buf b = BUF_INIT;
	int built = buf_appendf(&b, "W %" PRIu64 "\n", when);

	return append_record(fd, &b, built < 0 ? -1 : 0);
}
