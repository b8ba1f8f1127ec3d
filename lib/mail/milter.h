/*
 * milter - the Sendmail milter protocol, version 6, as the MTA side
 * speaks it (the protocol of libmilter and Postfix's milter8.c)
 *
 * A pure encoder and decoder, no I/O: smtpd/milter.c owns the socket.
 * Every packet is {u32 length, u8 command, data}, the length in network
 * byte order and counting the command byte.  Strings inside are
 * NUL-terminated.  What comes from the milter is untrusted: every length
 * is checked against the frame and against a maximum before anything is
 * believed, and strings must end inside their frame.
 */
#ifndef POSTERN_MILTER_H
#define POSTERN_MILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define MILTER_VERSION		6
#define MILTER_CHUNK_MAX	65535	/* body bytes per BODY packet */
#define MILTER_FRAME_MIN	1	/* the command byte */
#define MILTER_FRAME_HARD_MAX	(16u << 20)	/* any limit stays below */

/* Commands, MTA to milter (libmilter mfdef.h SMFIC_*). */
#define MILTER_C_ABORT		'A'
#define MILTER_C_BODY		'B'
#define MILTER_C_CONNECT	'C'
#define MILTER_C_MACRO		'D'
#define MILTER_C_EOB		'E'
#define MILTER_C_HELO		'H'
#define MILTER_C_HEADER		'L'
#define MILTER_C_MAIL		'M'
#define MILTER_C_EOH		'N'
#define MILTER_C_OPTNEG		'O'
#define MILTER_C_QUIT		'Q'
#define MILTER_C_RCPT		'R'
#define MILTER_C_DATA		'T'

/* Replies, milter to MTA (SMFIR_*). */
#define MILTER_R_ADDRCPT	'+'
#define MILTER_R_DELRCPT	'-'
#define MILTER_R_ADDRCPT_PAR	'2'
#define MILTER_R_ACCEPT		'a'
#define MILTER_R_REPLBODY	'b'
#define MILTER_R_CONTINUE	'c'
#define MILTER_R_DISCARD	'd'
#define MILTER_R_CHGFROM	'e'
#define MILTER_R_ADDHEADER	'h'
#define MILTER_R_INSHEADER	'i'
#define MILTER_R_CHGHEADER	'm'
#define MILTER_R_OPTNEG		'O'
#define MILTER_R_PROGRESS	'p'
#define MILTER_R_QUARANTINE	'q'
#define MILTER_R_REJECT		'r'
#define MILTER_R_SKIP		's'
#define MILTER_R_TEMPFAIL	't'
#define MILTER_R_REPLYCODE	'y'

/* Actions a milter may take (SMFIF_*): what the MTA offers in OPTNEG. */
#define MILTER_F_ADDHDRS	0x01u	/* add and insert header fields */
#define MILTER_F_CHGBODY	0x02u
#define MILTER_F_ADDRCPT	0x04u
#define MILTER_F_DELRCPT	0x08u
#define MILTER_F_CHGHDRS	0x10u	/* change or delete header fields */
#define MILTER_F_QUARANTINE	0x20u
#define MILTER_F_CHGFROM	0x40u
#define MILTER_F_ADDRCPT_PAR	0x80u
#define MILTER_F_SETSYMLIST	0x100u

/* Protocol steps (SMFIP_*): NO* skip a stage, NR_* want no reply. */
#define MILTER_P_NOCONNECT	0x01u
#define MILTER_P_NOHELO		0x02u
#define MILTER_P_NOMAIL		0x04u
#define MILTER_P_NORCPT		0x08u
#define MILTER_P_NOBODY		0x10u
#define MILTER_P_NOHDRS		0x20u
#define MILTER_P_NOEOH		0x40u
#define MILTER_P_NR_HDR		0x80u
#define MILTER_P_NOUNKNOWN	0x100u
#define MILTER_P_NODATA		0x200u
#define MILTER_P_SKIP		0x400u
#define MILTER_P_RCPT_REJ	0x800u
#define MILTER_P_NR_CONN	0x1000u
#define MILTER_P_NR_HELO	0x2000u
#define MILTER_P_NR_MAIL	0x4000u
#define MILTER_P_NR_RCPT	0x8000u
#define MILTER_P_NR_DATA	0x10000u
#define MILTER_P_NR_UNKN	0x20000u
#define MILTER_P_NR_EOH		0x40000u
#define MILTER_P_NR_BODY	0x80000u
#define MILTER_P_HDR_LEADSPC	0x100000u

/* What Postern offers: header additions, insertions, changes and
 * quarantine; no body replacement, no envelope changes. */
#define MILTER_OUR_ACTIONS	(MILTER_F_ADDHDRS | MILTER_F_CHGHDRS | \
	MILTER_F_QUARANTINE)
/* Every step may be skipped or left unanswered; SKIP is honoured in the
 * body; rejected recipients are never shown, leading spaces of header
 * values are not kept (RCPT_REJ, HDR_LEADSPC left out). */
#define MILTER_OUR_PROTOCOL	(MILTER_P_NOCONNECT | MILTER_P_NOHELO | \
	MILTER_P_NOMAIL | MILTER_P_NORCPT | MILTER_P_NOBODY | \
	MILTER_P_NOHDRS | MILTER_P_NOEOH | MILTER_P_NR_HDR | \
	MILTER_P_NOUNKNOWN | MILTER_P_NODATA | MILTER_P_SKIP | \
	MILTER_P_NR_CONN | MILTER_P_NR_HELO | MILTER_P_NR_MAIL | \
	MILTER_P_NR_RCPT | MILTER_P_NR_DATA | MILTER_P_NR_UNKN | \
	MILTER_P_NR_EOH | MILTER_P_NR_BODY)

/* ---- encoding (MTA to milter) ---- */

/* milter_enc - one packet: cmd and n bytes of data.  0, or -1 when out
 * has a limit that would be passed. */
int milter_enc(struct buf *out, uint8_t cmd, const void *data, size_t n)
	__attribute__((warn_unused_result));
/* milter_enc_optneg - OPTNEG with our version, actions and steps. */
int milter_enc_optneg(struct buf *out, uint32_t version, uint32_t actions,
    uint32_t protocol) __attribute__((warn_unused_result));
/*
 * milter_enc_strings - a packet whose data is n NUL-terminated strings
 * (HELO, MAIL, RCPT: the address in <> then ESMTP arguments).  A string
 * must not hold a NUL of its own, which it cannot, being a C string.
 */
int milter_enc_strings(struct buf *out, uint8_t cmd,
    const char *const *s, size_t n) __attribute__((warn_unused_result));
/*
 * milter_enc_macros - MACRO for the command stage `stage`: pairs[2*i] is
 * a macro name ("j", "{daemon_name}"), pairs[2*i+1] its value; pairs
 * with a NULL or empty value are left out.
 */
int milter_enc_macros(struct buf *out, uint8_t stage,
    const char *const *pairs, size_t n_pairs)
	__attribute__((warn_unused_result));
/*
 * milter_enc_connect - CONNECT: the client's host name, then its
 * address family ('4', '6'; 'U' for unknown, which sends neither port
 * nor address), port and address text.
 */
int milter_enc_connect(struct buf *out, const char *host, char family,
    uint16_t port, const char *addr) __attribute__((warn_unused_result));
/*
 * milter_enc_header - HEADER from one raw header field as it stands in
 * the message ("Name: value\r\n\tmore\r\n"): the name, then the value
 * without the colon, the white space after it and the final CRLF, its
 * inner line breaks as bare LF (as Sendmail and Postfix send them).
 * -1 also for a field without a colon or with an empty name.
 */
int milter_enc_header(struct buf *out, const char *field, size_t n)
	__attribute__((warn_unused_result));

/* ---- decoding (milter to MTA) ---- */

struct milter_reply {
	uint8_t cmd;			/* MILTER_R_* */
	/* OPTNEG */
	uint32_t version, actions, protocol;
	/* INSHEADER, CHGHEADER: the index (1-based for CHGHEADER) */
	uint32_t index;
	/* ADDHEADER, INSHEADER, CHGHEADER: name and value; REPLYCODE,
	 * QUARANTINE: text in `value`.  They point into the decoded bytes
	 * and live as long as those. */
	const char *name, *value;
};

/*
 * milter_decode - one packet from p[0..n): 1 with *r filled and *used
 * its whole size; 0 when more bytes are needed (*used: 0); -1 for a
 * malformed or oversized packet (length above max, an unknown command,
 * a string running past its frame, data a command does not take), with
 * *error_r saying which.  max is the largest data length accepted.
 */
int milter_decode(const uint8_t *p, size_t n, size_t max,
    struct milter_reply *r, size_t *used, const char **error_r)
	__attribute__((warn_unused_result));
/*
 * milter_frame_length - from the 4 length bytes of a packet, the number
 * of bytes that follow them: 0 with *len_r, or -1 (zero, or above
 * max + 1).
 */
int milter_frame_length(const uint8_t hdr[4], size_t max, size_t *len_r)
	__attribute__((warn_unused_result));

/* ---- checking what a milter asks for ---- */

/*
 * milter_header_ok - whether a header field a milter wants to add can go
 * into the message as it is: a name of printable ASCII without colon
 * (RFC 5322 2.2), a value without NUL, CR or LF other than line breaks
 * followed by white space (folding); so that the field can neither end
 * the header nor smuggle in another field.
 */
bool milter_header_ok(const char *name, const char *value);
/*
 * milter_header_text - append "Name: value\r\n" with every inner line
 * break as CRLF.  Call only after milter_header_ok.  0 or -1 (max).
 */
int milter_header_text(struct buf *out, const char *name, const char *value)
	__attribute__((warn_unused_result));
/*
 * milter_replycode - check a REPLYCODE text ("550 5.7.1 Go away"): a 4xx
 * or 5xx code, then a space and text, or nothing; an enhanced status
 * code whose class matches, if it starts the text; printable ASCII
 * only, one line.  0 with *code_r, enh (or "" if none, at least 16
 * bytes) and *text_r (pointing into s, maybe ""), or -1.
 */
int milter_replycode(const char *s, int *code_r, char *enh, size_t enh_size,
    const char **text_r) __attribute__((warn_unused_result));

/* milter_cmd_name - "accept", "reject", ... for the log ("?" unknown). */
const char *milter_cmd_name(uint8_t cmd);

#endif
