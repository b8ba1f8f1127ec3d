/*
 * imap_parse.h - IMAP4rev1/rev2 command syntax (RFC 3501 section 9,
 * RFC 9051 section 9): tag, command name, and arguments as a tree of
 * atoms, quoted strings, literals ({n}, {n+} LITERAL+, ~{n} literal8),
 * NIL and parenthesized lists.
 *
 * imapd reads a command line by line: when a line ends in a literal
 * marker (imap_line_literal), it reads that many bytes and the next line,
 * and hands the whole command, literals inline ("{5}\r\nhello"), to
 * imap_parse.  Fetch attributes with sections stay one atom
 * ("BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.100>"), as RFC 3501 writes them.
 * Every input is bounded: arguments, nesting depth, lengths.
 */
#ifndef POSTERN_IMAP_PARSE_H
#define POSTERN_IMAP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"

#define IMAP_TAG_MAX	64
#define IMAP_NAME_MAX	32
#define IMAP_ARGS_MAX	4096	/* arguments in one command, all levels */
#define IMAP_DEPTH_MAX	16	/* list nesting */

enum imap_type {
	IMAP_ATOM,
	IMAP_QUOTED,
	IMAP_LITERAL,		/* {n} or {n+}; literal8 for ~{n} */
	IMAP_NIL,
	IMAP_LIST,
};

struct imap_arg {
	enum imap_type type;
	const char *data;	/* into the parsed buffer (not NUL-ended) */
	size_t len;		/* bytes of data (after unquoting) */
	bool literal8;
	struct imap_arg *list;	/* IMAP_LIST: first element, or NULL */
	size_t count;		/* IMAP_LIST: number of elements */
	struct imap_arg *next;	/* next sibling */
	char *owned;		/* unquoted copy, in the command's arena */
};

struct imap_command {
	char tag[IMAP_TAG_MAX + 1];
	char name[IMAP_NAME_MAX + 1];	/* upper case */
	struct imap_arg *args;		/* first argument, or NULL */
	size_t n_args;			/* top-level arguments */
	struct arena arena;		/* the arguments and their copies */
	size_t used;			/* arguments, at most IMAP_ARGS_MAX */
};

/* Results of imap_parse. */
#define IMAP_PARSE_OK		0
#define IMAP_PARSE_BAD		(-1)	/* tagged BAD: the tag is good */
#define IMAP_PARSE_NO_TAG	(-2)	/* untagged BAD/BYE: no usable tag */

/*
 * imap_parse - parse one whole command (without its final CRLF).  On
 * IMAP_PARSE_BAD the tag is filled in and *error_r says what is wrong.
 * Free with imap_command_free (also after an error).
 */
int imap_parse(const char *buf, size_t len, struct imap_command *c,
    const char **error_r);
void imap_command_free(struct imap_command *c);

/*
 * imap_line_literal - whether a line (without CRLF) ends with a literal
 * marker: 1 with *size, *nonsync ({n+}) and *lit8 (~{n}) set; 0 if not;
 * -1 for a marker with a bad number.
 */
int imap_line_literal(const char *line, size_t len, uint64_t *size,
    bool *nonsync, bool *lit8);

/* imap_arg_is_atom - arg is an atom equal to word (ASCII case ignored). */
bool imap_arg_is_atom(const struct imap_arg *arg, const char *word);

#endif
