/*
 * bayes_db.h - the file layout of a Bayes database, shared by the reader
 * (bayes.c) and the writer (bayes_write.c) only.  See bayes.h.
 */
#ifndef POSTERN_BAYES_DB_H
#define POSTERN_BAYES_DB_H

#include <stddef.h>
#include <stdint.h>

#define BAYES_MAGIC	"PSTBAYS1"
#define BAYES_VERSION	1

struct bayes_hdr {
	char magic[8];
	uint32_t version;
	uint32_t nspam, nham;
	uint32_t ntokens;	/* struct bayes_tok after the header */
	uint32_t nlearned;	/* struct bayes_seen after the tokens */
	uint32_t seq;		/* learn operations so far */
	uint8_t reserved[32];
};

struct bayes_tok {
	uint64_t h;
	uint32_t spam, ham;
};

struct bayes_seen {
	uint64_t id;
	uint32_t seq;		/* when learned: the oldest go first */
	uint32_t spam;		/* 1 spam, 0 ham */
};

/* The parts of a mapped file, after bayes_db_check. */
struct bayes_view {
	const struct bayes_hdr *hdr;
	const struct bayes_tok *tok;
	const struct bayes_seen *seen;
};

/* bayes_db_check - whether the size bytes at p are a database; fills v.
 * 0, or -1. */
int bayes_db_check(const void *p, size_t size, struct bayes_view *v);

/* bayes_msg_id - the id of a message for the learned list. */
uint64_t bayes_msg_id(const char *msg, size_t len);

#endif
