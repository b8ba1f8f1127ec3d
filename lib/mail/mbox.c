/*
 * NAME
 *	mbox - the messages of an mbox file, for postern spam train
 * DESCRIPTION
 *	Lines are read with fgets into a fixed chunk, so a line of any
 *	length costs MBOX_CHUNK bytes; only a chunk that starts a line can
 *	be a separator or a quoted From.
 * SEE ALSO
 *	mbox.h; RFC 4155 (the application/mbox media type); the mboxrd
 *	quoting of `postern user export`.
 */
#include <string.h>

#include "mail/mbox.h"

bool
mbox_is(const char *head, size_t n)
{
	return n >= 5 && memcmp(head, "From ", 5) == 0;
}

void
mbox_open(struct mbox *m, FILE *f)
{
	memset(m, 0, sizeof(*m));
	m->f = f;
	m->at_start = true;
}

/* add - append to msg up to max bytes in all */
static void
add(struct buf *msg, size_t max, const char *p, size_t n, bool *truncated)
{
	if (msg->len + n > max) {
		*truncated = true;
		n = max - msg->len;
	}
	buf_put(msg, p, n);
}

int
mbox_next(struct mbox *m, size_t max, struct buf *msg, bool *truncated)
{
	bool started = m->have_from;

	buf_reset(msg);
	*truncated = false;
	m->have_from = false;
	for (;;) {
		bool start = m->at_start;
		size_t n;

		if (fgets(m->chunk, sizeof(m->chunk), m->f) == NULL) {
			if (ferror(m->f))
				return -1;
			return started ? 1 : 0;
		}
		/* XXX: a NUL byte ends the piece (the rest of it is lost) */
		n = strlen(m->chunk);
		m->at_start = n > 0 && m->chunk[n - 1] == '\n';
		if (start && n >= 5 && memcmp(m->chunk, "From ", 5) == 0) {
			if (started) {
				/* the next message's separator: keep it
				 * for the next call */
				m->have_from = true;
				return 1;
			}
			started = true;
			continue;
		}
		if (!started)
			continue;	/* junk before the first From line */
		if (start && m->chunk[0] == '>') {
			size_t q = strspn(m->chunk, ">");

			if (n - q >= 5 &&
			    memcmp(m->chunk + q, "From ", 5) == 0) {
				add(msg, max, m->chunk + 1, n - 1, truncated);
				continue;
			}
		}
		add(msg, max, m->chunk, n, truncated);
	}
}
