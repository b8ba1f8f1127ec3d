/*
 * mbox.h - the messages of an mbox file, one at a time (mboxrd, as
 * `postern user export` writes it, and mboxo/mboxcl alike: a line that
 * starts with "From " starts a message; ">From ", ">>From " ... lose one
 * '>').  Content-Length is not trusted.  Memory is bounded: a message is
 * kept up to max bytes (the rest is read and dropped), lines are read in
 * pieces of at most MBOX_CHUNK bytes.
 */
#ifndef POSTERN_MBOX_H
#define POSTERN_MBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "util/buf.h"

#define MBOX_CHUNK	8192

struct mbox {
	FILE *f;
	char chunk[MBOX_CHUNK];
	bool have_from;		/* chunk holds the next From line */
	bool at_start;		/* the next chunk starts a line */
};

/* mbox_is - whether the first bytes of a file look like an mbox */
bool mbox_is(const char *head, size_t n);

/* mbox_open - read messages from f (not closed by us). */
void mbox_open(struct mbox *m, FILE *f);

/*
 * mbox_next - the next message (without its From line) into msg, at
 * most max bytes of it (*truncated says whether there was more).  1 a
 * message, 0 the end, -1 a read error (errno).
 */
int mbox_next(struct mbox *m, size_t max, struct buf *msg,
    bool *truncated);

#endif
