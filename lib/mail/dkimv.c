/*
 * NAME
 *	dkimv - DKIM verification through libopendkim over dns.c
 * DESCRIPTION
 *	libopendkim asks DNS through four hooks (start, wait, cancel,
 *	init); here they call dns_query, which answers at once from the
 *	cache or the resolvers, so "start" does the work and "wait" only
 *	hands the outcome over.  An answer that says the name or the record
 *	does not exist is given to the library as a bare DNS header with
 *	that rcode, which it reads as "no key" (permerror); no answer at all
 *	is a DNS error, which it reports as a key retrieval failure
 *	(temperror).
 *
 *	Only the first `max` signatures are checked (the prescreen hook
 *	marks the rest ignored): each costs a DNS lookup and a public-key
 *	operation, and a message may carry hundreds.
 */
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <opendkim/dkim.h>

#include "mail/dkimv.h"
#include "mail/dns.h"

#define READ_CHUNK	65536

static __thread DKIM_LIB *lib;
static __thread size_t prescreen_max;

const char *
dkimv_name(enum dkimv_result r)
{
	static const char *const names[] = { "none", "pass", "fail",
	    "neutral", "temperror", "permerror" };

	return names[r];
}

/* The outcome of a query, carried in the handle itself: no allocation
 * that a path through the library could forget to free. */
#define QH(status, len)	((void *)(((uintptr_t)(len) << 2) | (status)))
#define QH_OK		1
#define QH_FAIL		2

/* q_start - ask now; the answer (or a bare header) goes into buf */
static int
q_start(void *srv, int type, unsigned char *query, unsigned char *buf,
    size_t buflen, void **qh)
{
	struct dns_reply r;
	HEADER h;
	int len;

	(void)srv;
	dns_query((const char *)query, type, &r);
	switch (r.status) {
	case DNS_OK:
		if (r.len > buflen) {
			*qh = QH(QH_FAIL, 0);
			break;
		}
		memcpy(buf, r.msg, r.len);
		*qh = QH(QH_OK, r.len);
		break;
	case DNS_NXDOMAIN:
	case DNS_NODATA:
		/* The question, answered with no record. */
		len = res_mkquery(ns_o_query, (const char *)query, ns_c_in,
		    type, NULL, 0, NULL, buf, (int)buflen);
		if (len < (int)sizeof(h)) {
			*qh = QH(QH_FAIL, 0);
			break;
		}
		memcpy(&h, buf, sizeof(h));
		h.qr = 1;
		h.rcode = r.status == DNS_NXDOMAIN ? NXDOMAIN : NOERROR;
		memcpy(buf, &h, sizeof(h));
		*qh = QH(QH_OK, len);
		break;
	case DNS_TEMPFAIL:
		*qh = QH(QH_FAIL, 0);
		break;
	}
	dns_reply_free(&r);
	return DKIM_DNS_SUCCESS;
}

/* q_wait - the outcome of q_start */
static int
q_wait(void *srv, void *qh, struct timeval *to, size_t *bytes, int *error,
    int *dnssec)
{
	uintptr_t v = (uintptr_t)qh;

	(void)srv;
	(void)to;
	if (dnssec != NULL)
		*dnssec = DKIM_DNSSEC_UNKNOWN;
	if ((v & 3) != QH_OK) {
		if (error != NULL)
			*error = 0;
		return DKIM_DNS_ERROR;
	}
	if (bytes != NULL)
		*bytes = v >> 2;
	if (error != NULL)
		*error = 0;
	return DKIM_DNS_SUCCESS;
}

static int
q_cancel(void *srv, void *qh)
{
	(void)srv;
	(void)qh;
	return DKIM_DNS_SUCCESS;
}

static int
q_init(void **srv)
{
	*srv = NULL;
	return 0;
}

static void
q_close(void *srv)
{
	(void)srv;
}

/* prescreen - check only the first prescreen_max signatures */
static DKIM_CBSTAT
prescreen(DKIM *d, DKIM_SIGINFO **sigs, int nsigs)
{
	(void)d;
	for (int i = 0; i < nsigs; i++)
		if ((size_t)i >= prescreen_max)
			dkim_sig_ignore(sigs[i]);
	return DKIM_CBSTAT_CONTINUE;
}

/* library - this thread's handle, made on first use */
static DKIM_LIB *
library(void)
{
	unsigned flags = DKIM_LIBFLAGS_BADSIGHANDLES;

	if (lib != NULL)
		return lib;
	lib = dkim_init(NULL, NULL);
	if (lib == NULL)
		return NULL;
	dkim_dns_set_init(lib, q_init);
	dkim_dns_set_close(lib, q_close);
	dkim_dns_set_query_start(lib, q_start);
	dkim_dns_set_query_waitreply(lib, q_wait);
	dkim_dns_set_query_cancel(lib, q_cancel);
	(void)dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags,
	    sizeof(flags));
	(void)dkim_set_prescreen(lib, prescreen);
	return lib;
}

/* judge - one signature's result, RFC 8601 2.7.1 */
static void
judge(DKIM *d, DKIM_SIGINFO *sig, struct dkimv_sig *out)
{
	unsigned flags = dkim_sig_getflags(sig);
	int err = dkim_sig_geterror(sig);
	const char *why = "";
	dkim_alg_t alg = 0;
	size_t blen = sizeof(out->b);
	const unsigned char *s;

	memset(out, 0, sizeof(*out));
	s = dkim_sig_getdomain(sig);
	snprintf(out->domain, sizeof(out->domain), "%s", s != NULL ?
	    (const char *)s : "");
	s = dkim_sig_getselector(sig);
	snprintf(out->selector, sizeof(out->selector), "%s", s != NULL ?
	    (const char *)s : "");
	if (dkim_sig_getsignalg(sig, &alg) == DKIM_STAT_OK)
		snprintf(out->algorithm, sizeof(out->algorithm), "%s",
		    alg == DKIM_SIGN_ED25519SHA256 ? "ed25519-sha256" :
		    alg == DKIM_SIGN_RSASHA256 ? "rsa-sha256" : "rsa-sha1");
	if (dkim_get_sigsubstring(d, sig, out->b, &blen) != DKIM_STAT_OK)
		out->b[0] = '\0';

	if ((flags & DKIM_SIGFLAG_PASSED) != 0 &&
	    dkim_sig_getbh(sig) == DKIM_SIGBH_MATCH) {
		out->result = DKIMV_PASS;
		return;
	}
	switch (err) {
	case DKIM_SIGERROR_KEYFAIL:
		out->result = DKIMV_TEMPERROR;
		why = "key lookup failed";
		break;
	case DKIM_SIGERROR_NOKEY:
	case DKIM_SIGERROR_DNSSYNTAX:
	case DKIM_SIGERROR_MULTIREPLY:
	case DKIM_SIGERROR_KEYDECODE:
	case DKIM_SIGERROR_KEYREVOKED:
	case DKIM_SIGERROR_KEYVERSION:
	case DKIM_SIGERROR_KEYTYPEMISSING:
	case DKIM_SIGERROR_KEYTYPEUNKNOWN:
	case DKIM_SIGERROR_NOTEMAILKEY:
		out->result = DKIMV_PERMERROR;
		why = dkim_sig_geterrorstr(err);
		break;
	case DKIM_SIGERROR_OK:
	case DKIM_SIGERROR_BADSIG:
		out->result = DKIMV_FAIL;
		why = dkim_sig_getbh(sig) == DKIM_SIGBH_MISMATCH ?
		    "body hash mismatch" : "signature mismatch";
		break;
	default:
		/* Syntax, expiry, unusable tags: not a verdict. */
		out->result = (flags & DKIM_SIGFLAG_IGNORE) != 0 ||
		    err == DKIM_SIGERROR_EXPIRED ||
		    err == DKIM_SIGERROR_FUTURE ? DKIMV_NEUTRAL :
		    DKIMV_PERMERROR;
		why = (flags & DKIM_SIGFLAG_IGNORE) != 0 ? "not checked" :
		    dkim_sig_geterrorstr(err);
		break;
	}
	snprintf(out->why, sizeof(out->why), "%s", why != NULL ? why :
	    "unknown error");
}

int
dkimv_verify(int fd, uint64_t off, uint64_t len, struct dkimv_sig *sigs,
    size_t max, size_t *n)
{
	static const unsigned char id[] = "postern";
	unsigned char chunk[READ_CHUNK];
	DKIM_STAT st = DKIM_STAT_OK;
	DKIM_SIGINFO **list = NULL;
	DKIM *d;
	int nsigs = 0;

	*n = 0;
	if (library() == NULL)
		return -1;
	d = dkim_verify(lib, id, NULL, &st);
	if (d == NULL)
		return -1;
	prescreen_max = max;
	while (len > 0 && st == DKIM_STAT_OK) {
		size_t want = len < sizeof(chunk) ? (size_t)len : sizeof(chunk);
		ssize_t got = pread(fd, chunk, want, (off_t)off);

		if (got <= 0) {
			dkim_free(d);
			return -1;
		}
		st = dkim_chunk(d, chunk, (size_t)got);
		off += (uint64_t)got;
		len -= (uint64_t)got;
	}
	/* NOSIG: the header ended without a signature; nothing to say. */
	if (st == DKIM_STAT_OK) {
		(void)dkim_chunk(d, NULL, 0);
		(void)dkim_eom(d, NULL);
		if (dkim_getsiglist(d, &list, &nsigs) != DKIM_STAT_OK)
			nsigs = 0;
	}
	for (int i = 0; i < nsigs && *n < max; i++)
		judge(d, list[i], &sigs[(*n)++]);
	dkim_free(d);
	return 0;
}
