/*
 * NAME
 *	sign - DKIM-Signature fields for a message going out
 * DESCRIPTION
 *	Our users' mail (the queue file names an authenticated user) and
 *	the bounces qmgr writes are signed for the domain of their From:
 *	address (lib/mail/dkim_sign.h): the body hash and the header digest
 *	are computed here, the signatures made by cryptd, which alone holds
 *	the keys (DESIGN 1).  A domain without a key goes out unsigned.
 *	When cryptd cannot be reached or fails, the delivery is deferred:
 *	unsigned mail from a domain that publishes DMARC p=reject would be
 *	refused by its recipients, so waiting is the smaller harm.
 *
 *	The connection to cryptd (made through master, which knows whether
 *	this service may talk to it: cryptd's allowed_clients) is kept for
 *	the next delivery.
 */
#include <unistd.h>

#include "mail/dkim_sign.h"
#include "mail/proto_crypt.h"
#include "smtp/smtp.h"
#include "util/daemon.h"
#include "util/ipc.h"
#include "util/log.h"

#define READ_CHUNK	65536
#define HELLO_TIMEOUT_MS	10000

static int crypt_fd = -1;

/* cryptd - the connection, made if needed; fd or -1 with *why */
static int
cryptd(const char **why)
{
	if (crypt_fd >= 0)
		return crypt_fd;
	crypt_fd = daemon_connect("cryptd", why);
	if (crypt_fd < 0)
		return -1;
	if (ipc_sync_hello(crypt_fd, CRYPT_PROTO, CRYPT_MAJOR, CRYPT_MINOR,
	    HELLO_TIMEOUT_MS, why) < 0) {
		close(crypt_fd);
		crypt_fd = -1;
		return -1;
	}
	return crypt_fd;
}

int
sign_message(const struct smtp_job *j, struct buf *out, struct smtp_result *r)
{
	static unsigned char chunk[READ_CHUNK];
	struct dkim_signer *s;
	uint64_t off = j->req.offset, left = j->req.length;
	char err[256];
	const char *why = NULL;
	int fd, rc;

	if (!j->sign)
		return 0;
	if ((fd = cryptd(&why)) < 0) {
		msg_warn("%s: cannot reach cryptd for a DKIM signature: %s",
		    j->req.qid, why);
		smtp_result(r, IPC_ETEMP, "4.3.0", "DKIM signing is not "
		    "available now (cryptd: %s)", why);
		return -1;
	}
	s = dkim_signer_new();
	while (left > 0) {
		size_t want = left < sizeof(chunk) ? (size_t)left :
		    sizeof(chunk);
		ssize_t got = pread(j->req.fd, chunk, want, (off_t)off);

		if (got <= 0) {
			dkim_signer_free(&s);
			smtp_result(r, IPC_ETEMP, "4.3.0", "cannot read the "
			    "queue file");
			return -1;
		}
		dkim_signer_update(s, chunk, (size_t)got);
		off += (uint64_t)got;
		left -= (uint64_t)got;
	}
	rc = dkim_signer_end(s, fd, out, err, sizeof(err));
	dkim_signer_free(&s);
	if (rc == 1) {
		msg_info("%s: not DKIM-signed: %s", j->req.qid, err);
		return 0;
	}
	if (rc < 0) {
		close(crypt_fd);
		crypt_fd = -1;
		msg_warn("%s: DKIM signing failed: %s", j->req.qid, err);
		smtp_result(r, IPC_ETEMP, "4.3.0", "DKIM signing failed: %s",
		    err);
		return -1;
	}
	return 0;
}
