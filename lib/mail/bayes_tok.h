/*
 * bayes_tok.h - the tokens of a message for the Bayesian classifier
 * (lib/mail/bayes.h): what a message "says", as short strings.
 *
 * Input is untrusted RFC 5322 bytes (CRLF or LF).  Only the first limit
 * bytes are looked at (bayes_scan_limit), so the cost of a message is
 * bounded whatever its size.  Tokens:
 *
 *   word            a word of a text/plain or text/html body part, after
 *                   Content-Transfer-Encoding (quoted-printable, base64)
 *                   and charset decoding; HTML tags are stripped
 *   field:word      a word of a selected header field (subject, from,
 *                   to, cc, reply-to, return-path, received, list-id,
 *                   x-mailer, user-agent, content-type), field lower case
 *   url:host        the host name of an http(s) URL in a body or field
 *   part:type/sub   a part that is not text (an attachment)
 *   skip:c:N        a word longer than 40 bytes (its first byte, length
 *                   rounded down to tens), as SpamBayes does
 *
 * Words are runs of ASCII letters and digits, bytes >= 0x80 (UTF-8),
 * and $ ! ' - _ (leading and trailing ' - _ removed), 3 to 40 bytes,
 * ASCII lower-cased.
 */
#ifndef POSTERN_BAYES_TOK_H
#define POSTERN_BAYES_TOK_H

#include <stddef.h>
#include <stdint.h>

#define BAYES_WORD_MIN	3
#define BAYES_WORD_MAX	40

/* bayes_token_fn - called once for each token occurrence (repeats
 * included); tok is not NUL-terminated and lives only for the call. */
typedef void bayes_token_fn(void *ctx, const char *tok, size_t n);

/* bayes_tokenize_each - call fn for each token of the first limit bytes
 * of msg.  Never fails: broken mail still has words. */
void bayes_tokenize_each(const char *msg, size_t len, size_t limit,
    bayes_token_fn *fn, void *ctx);

/* The distinct tokens of a message as 64-bit hashes, in no order. */
struct bayes_tokens {
	uint64_t *h;
	size_t n, cap;
};

/* bayes_tokenize - the distinct token hashes of the first limit bytes of
 * msg into out (reset first).  Free with bayes_tokens_free. */
void bayes_tokenize(const char *msg, size_t len, size_t limit,
    struct bayes_tokens *out);
void bayes_tokens_free(struct bayes_tokens *t);

/* bayes_hash - the 64-bit hash of a token (FNV-1a and a final mix; not
 * keyed: local has no secret to key it with). */
uint64_t bayes_hash(const char *p, size_t n);

#endif
