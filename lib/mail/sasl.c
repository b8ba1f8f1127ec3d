/*
 * NAME
 *	sasl - decode PLAIN and LOGIN responses
 * DESCRIPTION
 *	Strict: base64 without junk, no NUL inside user or password, bounded
 *	lengths; every buffer that held a password is wiped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "mail/sasl.h"
#include "util/mem.h"

/* decode - base64 (standard alphabet, padding as sent) into out */
static int
decode(const char *b64, unsigned char *out, size_t max, size_t *len)
{
	size_t n = strlen(b64);

	if (n == 0) {
		*len = 0;
		return 0;
	}
	return sodium_base642bin(out, max, b64, n, NULL, len, NULL,
	    sodium_base64_VARIANT_ORIGINAL) == 0 ? 0 : -1;
}

int
sasl_plain(const char *b64, struct sasl_creds *c, const char **error_r)
{
	unsigned char raw[3 * SASL_MAX + 3];
	size_t len, zlen, clen, plen;
	const unsigned char *authcid, *pw, *nul1, *nul2;

	memset(c, 0, sizeof(*c));
	if (decode(b64, raw, sizeof(raw) - 1, &len) < 0) {
		*error_r = "invalid base64";
		return -1;
	}
	nul1 = memchr(raw, '\0', len);
	nul2 = nul1 != NULL ? memchr(nul1 + 1, '\0', len - (size_t)(nul1 +
	    1 - raw)) : NULL;
	if (nul1 == NULL || nul2 == NULL) {
		sodium_memzero(raw, sizeof(raw));
		*error_r = "malformed PLAIN response";
		return -1;
	}
	zlen = (size_t)(nul1 - raw);
	authcid = nul1 + 1;
	clen = (size_t)(nul2 - authcid);
	pw = nul2 + 1;
	plen = len - (size_t)(pw - raw);
	if (clen == 0 || clen > SASL_MAX || plen == 0 || plen > SASL_MAX ||
	    memchr(pw, '\0', plen) != NULL ||
	    (zlen > 0 && (zlen != clen || memcmp(raw, authcid, clen) != 0))) {
		sodium_memzero(raw, sizeof(raw));
		*error_r = zlen > 0 ? "authorization identity not allowed" :
		    "malformed PLAIN response";
		return -1;
	}
	memcpy(c->user, authcid, clen);
	memcpy(c->password, pw, plen);
	c->password_len = plen;
	sodium_memzero(raw, sizeof(raw));
	return 0;
}

int
sasl_login_part(const char *b64, char *out, size_t *len,
    const char **error_r)
{
	if (decode(b64, (unsigned char *)out, SASL_MAX, len) < 0 ||
	    *len == 0 || memchr(out, '\0', *len) != NULL) {
		sodium_memzero(out, SASL_MAX);
		*error_r = "invalid LOGIN response";
		return -1;
	}
	out[*len] = '\0';
	return 0;
}

void
sasl_wipe(struct sasl_creds *c)
{
	sodium_memzero(c, sizeof(*c));
}

int
sasl_begin(struct sasl_exchange *x, const char *mech)
{
	sasl_end(x);
	if (strcasecmp(mech, "PLAIN") == 0)
		x->mech = 'P';
	else if (strcasecmp(mech, "LOGIN") == 0)
		x->mech = 'L';
	else
		return -1;
	return 0;
}

enum sasl_step
sasl_step(struct sasl_exchange *x, const char *b64, struct sasl_creds *c,
    const char **error_r)
{
	size_t len;

	if (strcmp(b64, "*") == 0) {
		sasl_end(x);
		return SASL_CANCEL;
	}
	if (x->mech == 'P') {
		sasl_end(x);
		return sasl_plain(strcmp(b64, "=") == 0 ? "" : b64, c,
		    error_r) < 0 ? SASL_BAD : SASL_DONE;
	}
	/* LOGIN: first the user name, then the password. */
	if (x->user == NULL) {
		if (sasl_login_part(b64, c->user, &len, error_r) < 0) {
			sasl_end(x);
			return SASL_BAD;
		}
		x->user = xstrdup(c->user);
		return SASL_PASSWORD;
	}
	if (sasl_login_part(b64, c->password, &c->password_len,
	    error_r) < 0) {
		sasl_end(x);
		return SASL_BAD;
	}
	snprintf(c->user, sizeof(c->user), "%s", x->user);
	sasl_end(x);
	return SASL_DONE;
}

void
sasl_end(struct sasl_exchange *x)
{
	free(x->user);
	x->user = NULL;
}
