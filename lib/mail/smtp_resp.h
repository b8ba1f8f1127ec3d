/*
 * smtp_resp.h - SMTP replies as a client reads them (RFC 5321 4.2):
 * reply lines, enhanced status codes (RFC 3463) and EHLO keywords
 * (RFC 5321 4.1.1.1).  Parsers of what remote servers send; smtp(8)
 * uses them, the unit test and fuzzers reach them here.
 */
#ifndef POSTERN_SMTP_RESP_H
#define POSTERN_SMTP_RESP_H

#include <stddef.h>
#include <stdint.h>

/* EHLO keywords smtp(8) acts on. */
#define SMTP_EXT_PIPELINING	0x01	/* RFC 2920 */
#define SMTP_EXT_SIZE		0x02	/* RFC 1870 */
#define SMTP_EXT_8BITMIME	0x04	/* RFC 6152 */
#define SMTP_EXT_SMTPUTF8	0x08	/* RFC 6531 */
#define SMTP_EXT_STARTTLS	0x10	/* RFC 3207 */
#define SMTP_EXT_DSN		0x20	/* RFC 3461 */

/*
 * smtp_resp_line - one reply line without its CRLF: "250-text",
 * "250 text" or "250".  Returns 1 for the last line of a reply, 0 when
 * more lines follow, -1 when it is not a reply line (the code must be
 * 2xx to 5xx).  *code is set unless -1.
 */
int smtp_resp_line(const char *line, size_t len, unsigned *code)
	__attribute__((warn_unused_result));
/*
 * smtp_resp_dsn - the enhanced status code that starts text (a reply's
 * first line, after "ddd "), when its class matches code; else the
 * class's default "4.0.0" or "5.0.0" ("2.0.0").  out: at least 12 bytes.
 */
void smtp_resp_dsn(unsigned code, const char *text, char *out, size_t size);
/*
 * smtp_resp_ehlo - the SMTP_EXT_* bits of a 250 EHLO reply, given as the
 * text of its lines (after "250-"/"250 ") separated by '\n'.  The first
 * line is the server's name and greeting, and is skipped; each other
 * line is a keyword and its parameters.  *size_max: SIZE's limit, 0 when
 * none is given.
 */
unsigned smtp_resp_ehlo(const char *lines, uint64_t *size_max);

#endif
