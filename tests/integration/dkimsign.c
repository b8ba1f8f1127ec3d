/*
 * NAME
 *	dkimsign - a test-only DKIM signer, standing where the smtp agent
 *	will
 * SYNOPSIS
 *	dkimsign SOCKET < message > signed-message
 * DESCRIPTION
 *	Connects to cryptd's socket, streams standard input through the
 *	signer of lib/mail/dkim_sign.h in small odd-sized chunks (as the
 *	agent reads a queue file), and writes the DKIM-Signature fields
 *	followed by the message.  Exit 0 signed, 1 nothing to sign with
 *	(the message is written unsigned), 2 error; the reason goes to
 *	standard error.  Never installed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <sodium.h>

#include "mail/dkim_sign.h"
#include "mail/proto_crypt.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/ipc.h"

int
main(int argc, char **argv)
{
	struct dkim_signer *s;
	struct buf msg = BUF_INIT, out = BUF_INIT;
	const char *why;
	char chunk[1000], err[256];
	ssize_t n;
	int fd, rc;

	if (argc != 2) {
		fprintf(stderr, "usage: dkimsign SOCKET < message\n");
		return 2;
	}
	if (sodium_init() < 0)
		return 2;
	if ((fd = ipc_sync_connect(argv[1])) < 0 || ipc_sync_hello(fd,
	    CRYPT_PROTO, CRYPT_MAJOR, CRYPT_MINOR, 5000, &why) < 0) {
		fprintf(stderr, "dkimsign: cannot reach cryptd at %s\n",
		    argv[1]);
		return 2;
	}
	s = dkim_signer_new();
	/* 333-byte chunks split CRLFs and fields at odd places. */
	while ((n = read(0, chunk, 333)) > 0) {
		dkim_signer_update(s, chunk, (size_t)n);
		buf_put(&msg, chunk, (size_t)n);
	}
	rc = dkim_signer_end(s, fd, &out, err, sizeof(err));
	dkim_signer_free(&s);
	close(fd);
	if (rc != 0)
		fprintf(stderr, "dkimsign: %s\n", err);
	if (rc < 0)
		return 2;
	if (file_write_all(1, out.data, out.len) < 0 ||
	    file_write_all(1, msg.data, msg.len) < 0)
		return 2;
	buf_free(&out);
	buf_free(&msg);
	return rc;
}
