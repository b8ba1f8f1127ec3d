/*
 * fuzz_smtp_args.c - the arguments of MAIL and RCPT with their ESMTP
 * parameters, and xtext.  The input is a command line: a verb ("MAIL",
 * "RCPT", anything else tries all three) and what follows it, which is
 * what smtpd hands to smtp_parse_mail/rcpt.
 */
#include <strings.h>

#include "fuzz.h"

#include "mail/smtp_args.h"

/* reply_ok - a refusal is a 4xx/5xx reply with text */
static void
reply_ok(const struct smtp_reply *r)
{
	FUZZ_CHECK(r->code >= 400 && r->code < 600);
	FUZZ_CHECK(r->text != NULL);
}

static void
try_mail(const char *args, bool utf8)
{
	struct smtp_mail_args m;
	struct smtp_reply r = { 0 };

	if (smtp_parse_mail(args, utf8, &m, &r) == 0) {
		FUZZ_CHECK(strlen(m.envid) <= SMTP_ENVID_MAX);
		FUZZ_CHECK(utf8 || !m.smtputf8);
	} else {
		reply_ok(&r);
	}
}

static void
try_rcpt(const char *args, bool utf8)
{
	struct smtp_rcpt_args m;
	struct smtp_reply r = { 0 };

	if (smtp_parse_rcpt(args, utf8, &m, &r) == 0)
		FUZZ_CHECK(strlen(m.orcpt) <= SMTP_ORCPT_MAX);
	else
		reply_ok(&r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line, out[SMTP_ORCPT_MAX + 1];

	if (size > 4096)	/* smtpd's line limit is far lower */
		return 0;
	line = fuzz_cstr(data, size);
	if (strncasecmp(line, "MAIL", 4) == 0) {
		try_mail(line + 4, false);
		try_mail(line + 4, true);
	} else if (strncasecmp(line, "RCPT", 4) == 0) {
		try_rcpt(line + 4, false);
		try_rcpt(line + 4, true);
	} else {
		try_mail(line, true);
		try_rcpt(line, true);
		if (smtp_xtext_decode(line, out, sizeof(out) - 1) == 0)
			FUZZ_CHECK(strlen(out) < sizeof(out));
	}
	free(line);
	return 0;
}
