/*
 * NAME
 *	smtp_args - MAIL and RCPT arguments and ESMTP parameters
 * DESCRIPTION
 *	The grammar is RFC 5321 4.1.2 (esmtp-param) with the parameters of
 *	the extensions Postern offers.  One space, or several, separate the
 *	path and the parameters; a space after the colon is tolerated, as
 *	many clients send it.  A parameter given twice is an error.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mail/smtp_args.h"
#include "util/strnum.h"

#define MAX_PARAMS	16

/* reply - fill *r and fail */
static int
reply(struct smtp_reply *r, int code, const char *enh, const char *text)
{
	r->code = code;
	r->enh = enh;
	r->text = text;
	return -1;
}

struct param {
	char key[32];
	char value[SMTP_ORCPT_MAX * 3 + 1];	/* xtext may triple */
	bool has_value;
};

/* split_params - "KEY[=VALUE]" words after the path */
static int
split_params(const char *p, struct param *out, size_t *n_r,
    struct smtp_reply *r)
{
	size_t n = 0;

	for (;;) {
		const char *start, *eq = NULL;
		size_t klen, vlen;

		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		if (n == MAX_PARAMS)
			return reply(r, 501, "5.5.4", "Too many parameters");
		start = p;
		while (*p != '\0' && *p != ' ') {
			if (*p == '=' && eq == NULL)
				eq = p;
			/* esmtp-value: %d33-60 / %d62-126 (and UTF-8) */
			else if ((unsigned char)*p < 33 || *p == 127)
				return reply(r, 501, "5.5.4",
				    "Bad character in parameters");
			p++;
		}
		klen = (size_t)((eq != NULL ? eq : p) - start);
		if (klen == 0 || klen >= sizeof(out[n].key))
			return reply(r, 501, "5.5.4", "Bad parameter keyword");
		for (size_t i = 0; i < klen; i++)
			if (!isalnum((unsigned char)start[i]) &&
			    !(i > 0 && start[i] == '-'))
				return reply(r, 501, "5.5.4",
				    "Bad parameter keyword");
		memcpy(out[n].key, start, klen);
		out[n].key[klen] = '\0';
		out[n].has_value = eq != NULL;
		out[n].value[0] = '\0';
		if (eq != NULL) {
			vlen = (size_t)(p - eq - 1);
			if (vlen == 0 || vlen >= sizeof(out[n].value) ||
			    memchr(eq + 1, '=', vlen) != NULL)
				return reply(r, 501, "5.5.4",
				    "Bad parameter value");
			memcpy(out[n].value, eq + 1, vlen);
			out[n].value[vlen] = '\0';
		}
		for (size_t i = 0; i < n; i++)
			if (strcasecmp(out[i].key, out[n].key) == 0)
				return reply(r, 501, "5.5.4",
				    "Parameter given twice");
		n++;
	}
	*n_r = n;
	return 0;
}

int
smtp_xtext_decode(const char *in, char *out, size_t max)
{
	size_t n = 0;

	for (const char *p = in; *p != '\0'; p++) {
		int c = (unsigned char)*p;

		if (n == max)
			return -1;
		if (c == '+') {
			static const char hex[] = "0123456789ABCDEF";
			const char *hi = p[1] != '\0' ? strchr(hex, p[1]) :
			    NULL;
			const char *lo = hi != NULL && p[2] != '\0' ?
			    strchr(hex, p[2]) : NULL;

			if (hi == NULL || lo == NULL)
				return -1;
			c = (int)((hi - hex) * 16 + (lo - hex));
			p += 2;
		} else if (c < 33 || c > 126 || c == '=') {
			return -1;
		}
		out[n++] = (char)c;
	}
	out[n] = '\0';
	return 0;
}

int
smtp_xtext_encode(const char *in, char *out, size_t size)
{
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)in; *p != '\0';
	    p++) {
		bool plain = *p >= 33 && *p <= 126 && *p != '+' && *p != '=';

		/* UNSAFE: 1 or 3 bytes ("+HH") and the NUL must fit. */
		if (n + (plain ? 1 : 3) >= size)
			return -1;
		if (plain)
			out[n++] = (char)*p;
		else
			n += (size_t)snprintf(out + n, size - n, "+%02X", *p);
	}
	if (size == 0)
		return -1;
	out[n] = '\0';
	return 0;
}

void
smtp_notify_text(unsigned bits, char *out, size_t size)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {
		{ SMTP_NOTIFY_NEVER, "NEVER" },
		{ SMTP_NOTIFY_SUCCESS, "SUCCESS" },
		{ SMTP_NOTIFY_FAILURE, "FAILURE" },
		{ SMTP_NOTIFY_DELAY, "DELAY" },
	};
	size_t n = 0;

	if (size > 0)
		out[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if ((bits & names[i].bit) && n < size)
			n += (size_t)snprintf(out + n, size - n, "%s%s",
			    n > 0 ? "," : "", names[i].name);
}

/* path_start - skip "FROM:" / "TO:" and the spaces some clients add */
static const char *
path_start(const char *args, const char *word)
{
	size_t len = strlen(word);

	if (strncasecmp(args, word, len) != 0)
		return NULL;
	args += len;
	while (*args == ' ')
		args++;
	return args;
}

/* need_value - a parameter that takes a value has one */
static bool
need_value(const struct param *p, struct smtp_reply *r)
{
	if (!p->has_value) {
		reply(r, 501, "5.5.4", "Parameter needs a value");
		return false;
	}
	return true;
}

/*
 * path_and_params - "<path> params" after "FROM:" or "TO:": the address
 * into a, the parameters into params; bad is the enhanced code for a bad
 * address (5.1.7 sender, 5.1.3 recipient)
 */
static int
path_and_params(const char *p, int flags, const char *bad,
    struct mail_addr *a, struct param *params, size_t *n,
    struct smtp_reply *r)
{
	const char *why;
	size_t used;

	if (addr_parse_path(p, strlen(p), flags, a, &used, &why) < 0)
		return reply(r, 501, bad, why);
	p += used;
	if (*p != '\0' && *p != ' ')
		return reply(r, 501, bad, "Bad address syntax");
	return split_params(p, params, n, r);
}

int
smtp_parse_mail(const char *args, bool utf8, struct smtp_mail_args *m,
    struct smtp_reply *r)
{
	struct param params[MAX_PARAMS];
	const char *p = path_start(args, "FROM:"), *why;
	size_t n, i;
	int flags = ADDR_NULL_OK;

	memset(m, 0, sizeof(*m));
	if (p == NULL)
		return reply(r, 501, "5.5.4", "Syntax: MAIL FROM:<address>");
	/* SMTPUTF8 must be known before the path is parsed. */
	{
		const char *sp = strchr(p, '>');

		if (utf8 && sp != NULL && strcasestr(sp, " SMTPUTF8") != NULL)
			flags |= ADDR_UTF8;
	}
	if (path_and_params(p, flags, "5.1.7", &m->from, params, &n, r) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		const struct param *q = &params[i];

		if (strcasecmp(q->key, "SIZE") == 0) {
			if (!need_value(q, r) || strnum_u64(q->value, 0,
			    UINT64_MAX, &m->size, &why) < 0)
				return reply(r, 501, "5.5.4",
				    "Bad SIZE value");
			m->has_size = true;
		} else if (strcasecmp(q->key, "BODY") == 0) {
			if (!need_value(q, r))
				return -1;
			if (strcasecmp(q->value, "7BIT") == 0)
				m->body = SMTP_BODY_7BIT;
			else if (strcasecmp(q->value, "8BITMIME") == 0)
				m->body = SMTP_BODY_8BITMIME;
			else if (strcasecmp(q->value, "BINARYMIME") == 0)
				m->body = SMTP_BODY_BINARYMIME;
			else
				return reply(r, 501, "5.5.4",
				    "BODY must be 7BIT, 8BITMIME or "
				    "BINARYMIME");
		} else if (strcasecmp(q->key, "SMTPUTF8") == 0) {
			if (q->has_value)
				return reply(r, 501, "5.5.4",
				    "SMTPUTF8 takes no value");
			if (!utf8)
				return reply(r, 555, "5.5.4",
				    "SMTPUTF8 is not offered");
			m->smtputf8 = true;
		} else if (strcasecmp(q->key, "RET") == 0) {
			if (!need_value(q, r))
				return -1;
			if (strcasecmp(q->value, "FULL") == 0)
				m->ret = SMTP_RET_FULL;
			else if (strcasecmp(q->value, "HDRS") == 0)
				m->ret = SMTP_RET_HDRS;
			else
				return reply(r, 501, "5.5.4",
				    "RET must be FULL or HDRS");
		} else if (strcasecmp(q->key, "ENVID") == 0) {
			if (!need_value(q, r) || smtp_xtext_decode(q->value,
			    m->envid, SMTP_ENVID_MAX) < 0)
				return reply(r, 501, "5.5.4",
				    "Bad ENVID value");
		} else {
			return reply(r, 555, "5.5.4",
			    "Unsupported MAIL parameter");
		}
	}
	if (m->from.utf8 && !m->smtputf8)
		return reply(r, 553, "5.6.7",
		    "Non-ASCII address needs SMTPUTF8");
	return 0;
}

/* parse_notify - "NEVER" or a list of SUCCESS, FAILURE, DELAY */
static int
parse_notify(const char *v, unsigned *out)
{
	char copy[64], *save = NULL, *tok;
	unsigned bits = 0;

	if (strlen(v) >= sizeof(copy))
		return -1;
	memcpy(copy, v, strlen(v) + 1);
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		unsigned b;

		if (strcasecmp(tok, "NEVER") == 0)
			b = SMTP_NOTIFY_NEVER;
		else if (strcasecmp(tok, "SUCCESS") == 0)
			b = SMTP_NOTIFY_SUCCESS;
		else if (strcasecmp(tok, "FAILURE") == 0)
			b = SMTP_NOTIFY_FAILURE;
		else if (strcasecmp(tok, "DELAY") == 0)
			b = SMTP_NOTIFY_DELAY;
		else
			return -1;
		if (bits & b)
			return -1;
		bits |= b;
	}
	/* RFC 3461 4.1: NEVER stands alone. */
	if (bits == 0 || ((bits & SMTP_NOTIFY_NEVER) &&
	    bits != SMTP_NOTIFY_NEVER))
		return -1;
	*out = bits;
	return 0;
}

int
smtp_parse_rcpt(const char *args, bool utf8, struct smtp_rcpt_args *m,
    struct smtp_reply *r)
{
	struct param params[MAX_PARAMS];
	const char *p = path_start(args, "TO:");
	size_t n, i;
	int flags = ADDR_POSTMASTER | (utf8 ? ADDR_UTF8 : 0);

	memset(m, 0, sizeof(*m));
	if (p == NULL)
		return reply(r, 501, "5.5.4", "Syntax: RCPT TO:<address>");
	if (path_and_params(p, flags, "5.1.3", &m->to, params, &n, r) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		const struct param *q = &params[i];

		if (strcasecmp(q->key, "NOTIFY") == 0) {
			if (!need_value(q, r))
				return -1;
			if (parse_notify(q->value, &m->notify) < 0)
				return reply(r, 501, "5.5.4", "NOTIFY must be "
				    "NEVER, or SUCCESS, FAILURE, DELAY");
		} else if (strcasecmp(q->key, "ORCPT") == 0) {
			/* addr-type ";" xtext, e.g. rfc822;a+2Bb@c */
			const char *semi = strchr(q->value, ';');
			size_t tlen = semi != NULL ?
			    (size_t)(semi - q->value) : 0;

			if (!need_value(q, r))
				return -1;
			if (tlen == 0 || tlen > 20 ||
			    smtp_xtext_decode(semi + 1, m->orcpt + tlen + 1,
			    SMTP_ORCPT_MAX - tlen - 1) < 0)
				return reply(r, 501, "5.5.4",
				    "Bad ORCPT value (type;xtext)");
			memcpy(m->orcpt, q->value, tlen + 1);
		} else {
			return reply(r, 555, "5.5.4",
			    "Unsupported RCPT parameter");
		}
	}
	return 0;
}
