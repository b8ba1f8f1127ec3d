/*
 * NAME
 *	mailread - a test-only reader of the encrypted store
 * DESCRIPTION
 *	Stands where imapd and pop3d will: runs as store_owner chrooted in
 *	store_directory and reads stored messages only through the access
 *	API (lib/mail/maccess.h), so that the tests exercise authd, cryptd
 *	and the message format together.  One line per command:
 *	  LOGIN user password   -> OK | NO | TEMP
 *	  READ path             -> DATA n, then n bytes and CRLF | ERR why
 *	  PUBKEY                -> PK base64url (from the login) | ERR
 *	  LOGOUT                -> OK
 *	path is relative to the store and may not contain "..".  Never
 *	installed.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mail/maccess.h"
#include "mail/params.h"
#include "util/buf.h"
#include "util/daemon.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/sock.h"
#include "util/stream.h"

struct client {
	struct maccess a;
	char rip[64];
};

static void
do_read(struct stream *s, struct client *c, const char *path)
{
	struct msgcrypt_reader r;
	struct buf out = BUF_INIT;
	const char *why;
	char chunk[8192];
	ssize_t n = 0;
	int fd;

	if (strstr(path, "..") != NULL || path[0] == '/' ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		stream_printf(s, "ERR no such message\r\n");
		return;
	}
	if (maccess_open(&c->a, fd, &r, &why) < 0) {
		stream_printf(s, "ERR %s\r\n", why);
		close(fd);
		return;
	}
	while ((n = msgcrypt_read(&r, chunk, sizeof(chunk), &why)) > 0)
		if (buf_append(&out, chunk, (size_t)n) < 0)
			break;
	msgcrypt_read_free(&r);
	close(fd);
	if (n < 0)
		stream_printf(s, "ERR %s\r\n", why);
	else {
		stream_printf(s, "DATA %zu\r\n", out.len);
		stream_write(s, out.data, out.len);
		stream_printf(s, "\r\n");
	}
	buf_free_wipe(&out);
}

static void
on_input(struct stream *s, void *ctx)
{
	struct client *c = ctx;
	const char *line;
	size_t len;
	int rc;

	while ((rc = stream_line(s, &line, &len)) != 0) {
		char *copy, *sp;

		if (rc < 0) {
			stream_printf(s, "ERR line too long\r\n");
			continue;
		}
		copy = xstrdup(line);
		sp = strchr(copy, ' ');
		if (strncmp(copy, "LOGIN ", 6) == 0 && sp != NULL &&
		    strchr(sp + 1, ' ') != NULL) {
			char *user = sp + 1, *pw = strchr(user, ' ');

			*pw++ = '\0';
			rc = maccess_login(&c->a, user, pw, strlen(pw), c->rip,
			    "test");
			stream_printf(s, "%s\r\n", rc > 0 ? "OK" : rc == 0 ?
			    "NO" : "TEMP");
		} else if (strncmp(copy, "READ ", 5) == 0) {
			do_read(s, c, copy + 5);
		} else if (strcmp(copy, "PUBKEY") == 0) {
			char b64[64];

			if (!c->a.has_public_key) {
				stream_printf(s, "ERR no public key\r\n");
			} else {
				sodium_bin2base64(b64, sizeof(b64),
				    c->a.public_key, 32,
				    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
				stream_printf(s, "PK %s\r\n", b64);
			}
		} else if (strcmp(copy, "LOGOUT") == 0) {
			maccess_logout(&c->a);
			stream_printf(s, "OK\r\n");
		} else {
			stream_printf(s, "ERR unknown command\r\n");
		}
		sodium_memzero(copy, strlen(copy));
		free(copy);
	}
}

static void
on_close(struct stream *s, const char *reason, void *ctx)
{
	struct client *c = ctx;

	(void)s;
	(void)reason;
	maccess_logout(&c->a);
	free(c);
	daemon_conn_done();
}

static void
on_accept(int fd, unsigned li)
{
	struct client *c = xcalloc(1, sizeof(*c));

	(void)li;
	maccess_init(&c->a);
	sock_peer_text(fd, c->rip, sizeof(c->rip));
	stream_new(fd, 1000, 60000, on_input, on_close, c);
}

int
main(int argc, char **argv)
{
	static const struct daemon_spec spec = {
		.user_param = "store_owner",
		.chroot_param = "store_directory",
		.on_accept = on_accept,
	};

	params_register();
	daemon_main(argc, argv, &spec);
}
