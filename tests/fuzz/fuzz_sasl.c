/*
 * fuzz_sasl.c - SASL PLAIN and LOGIN decoding, and the exchange state
 * machine.  The first byte picks the mechanism; the rest is the client's
 * responses, one per line, as smtpd/imapd/pop3d pass them on.
 */
#include "fuzz.h"

#include "mail/sasl.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sasl_exchange x = { 0 };	/* as in a new session */
	struct sasl_creds c;
	const char *why;
	char *text, *line, *save = NULL, out[SASL_MAX + 1];
	size_t len;

	if (size < 1 || size > 8192)
		return 0;
	text = fuzz_cstr(data + 1, size - 1);
	/* Each decoder alone, on the whole text. */
	if (sasl_plain(text, &c, &why) == 0) {
		FUZZ_CHECK(strlen(c.user) <= SASL_MAX);
		FUZZ_CHECK(c.password_len <= SASL_MAX);
		sasl_wipe(&c);
	}
	if (sasl_login_part(text, out, &len, &why) == 0)
		FUZZ_CHECK(len <= SASL_MAX);
	/* Then an exchange, line by line. */
	FUZZ_CHECK(sasl_begin(&x, data[0] & 1 ? "LOGIN" : "plain") == 0);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		enum sasl_step st = sasl_step(&x, line, &c, &why);

		if (st == SASL_DONE) {
			FUZZ_CHECK(strlen(c.user) <= SASL_MAX);
			sasl_wipe(&c);
			break;
		}
		if (st != SASL_PASSWORD)
			break;
	}
	sasl_end(&x);
	free(text);
	return 0;
}
