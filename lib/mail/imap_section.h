/*
 * imap_section.h - the body sections of FETCH (RFC 3501 6.4.5, RFC 9051
 * 6.4.5) and BINARY (RFC 3516): BODY[...]<partial>, BODY.PEEK[...],
 * BINARY[...], BINARY.PEEK[...], BINARY.SIZE[...], RFC822,
 * RFC822.HEADER and RFC822.TEXT, parsed from one fetch-att atom and cut
 * from a parsed message (lib/mail/mime.h).
 */
#ifndef POSTERN_IMAP_SECTION_H
#define POSTERN_IMAP_SECTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mail/mime.h"
#include "util/buf.h"

#define IMAP_SECTION_DEPTH	16	/* part numbers "1.2.3" */
#define IMAP_SECTION_FIELDS	64	/* HEADER.FIELDS names */

enum imap_section_kind {
	IMAP_SECTION_BODY,
	IMAP_SECTION_BINARY,
	IMAP_SECTION_BINARY_SIZE,
};

enum imap_section_text {
	SEC_ALL,		/* [] or [1.2] */
	SEC_HEADER,
	SEC_FIELDS,
	SEC_FIELDS_NOT,
	SEC_TEXT,
	SEC_MIME,
};

struct imap_section {
	enum imap_section_kind kind;
	bool sets_seen;		/* BODY[...], BINARY[...], RFC822(.TEXT) */
	const char *alias;	/* "RFC822...", named so in the response */
	uint32_t part[IMAP_SECTION_DEPTH];
	size_t n_part;
	enum imap_section_text text;
	char *fields[IMAP_SECTION_FIELDS];
	size_t n_fields;
	bool partial;
	uint64_t start, length;
	char spec[512];		/* the section as it is echoed, upper case */
};

/* imap_section_parse - one fetch-att atom; 0, or -1 with *error_r (also
 * when the atom is no section item). */
int imap_section_parse(const char *att, size_t len, struct imap_section *s,
    const char **error_r);
void imap_section_free(struct imap_section *s);
/* imap_section_name - the item's name in the FETCH response:
 * "BODY[HEADER.FIELDS (FROM)]<0>", "BINARY[1]", "RFC822.HEADER". */
int imap_section_name(const struct imap_section *s, struct buf *out);
/*
 * imap_section_fetch - the section's bytes (partial applied; BINARY
 * decoded, BINARY.SIZE gives the decoded bytes too).  A part that does
 * not exist is empty, as in Dovecot.  0, or -1 with *error_r; an unknown
 * transfer encoding under BINARY sets *error_r to "[UNKNOWN-CTE] ...".
 */
int imap_section_fetch(const struct imap_section *s,
    const struct mime_message *m, struct buf *out, const char **error_r);

#endif
