/*
 * imap_seqset.h - IMAP sequence sets (RFC 3501 9 "sequence-set", RFC 9051
 * 9): "1,3:5,7:*".  A set is parsed once into ranges; "*" stays symbolic
 * until a mailbox gives it a value, so one parsed set serves both message
 * sequence numbers and UIDs.
 */
#ifndef POSTERN_IMAP_SEQSET_H
#define POSTERN_IMAP_SEQSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IMAP_SEQ_STAR	UINT32_MAX	/* "*": the largest number in use */
#define IMAP_SEQSET_MAX	1000		/* ranges in one set */

struct imap_seqrange {
	uint32_t lo, hi;	/* as written; may be IMAP_SEQ_STAR */
};

struct imap_seqset {
	struct imap_seqrange *r;
	size_t n;
};

/* imap_seqset_parse - parse s (len bytes); 0, or -1 for bad syntax or a
 * zero, or more than IMAP_SEQSET_MAX ranges.  Free with imap_seqset_free. */
int imap_seqset_parse(const char *s, size_t len, struct imap_seqset *set);
void imap_seqset_free(struct imap_seqset *set);
/* imap_seqset_has - whether v is in the set when "*" means star (0: the
 * mailbox is empty, and "*" matches nothing but itself stays valid). */
bool imap_seqset_has(const struct imap_seqset *set, uint32_t v,
    uint32_t star);
/* imap_seqset_bounds - the smallest and largest number the set can name
 * with star; false if it names none. */
bool imap_seqset_bounds(const struct imap_seqset *set, uint32_t star,
    uint32_t *lo, uint32_t *hi);

#endif
