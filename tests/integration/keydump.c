/*
 * NAME
 *	keydump - a test-only key reader: a user's private key, in hex
 * SYNOPSIS
 *	keydump MAP ADDRESS < password
 * DESCRIPTION
 *	Reads ADDRESS's record from the auth table MAP (e.g.
 *	hash:/srv/mail/auth/users), unwraps the X25519 private key with the
 *	password on standard input, and prints it in hex: the needle the
 *	privilege tests look for in the memory of every process but
 *	cryptd.  Exit 0, 1 wrong password or no such user, 2 error.  Never
 *	installed.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "mail/userkey.h"
#include "util/buf.h"
#include "util/map.h"

int
main(int argc, char **argv)
{
	struct buf v = BUF_INIT;
	struct userkey u;
	struct map *m;
	const char *why;
	char password[1024], hex[2 * USERKEY_SK_LEN + 1];
	uint8_t sk[USERKEY_SK_LEN], *d;
	int rc;

	if (argc != 3 || fgets(password, sizeof(password), stdin) == NULL) {
		fprintf(stderr, "usage: keydump MAP ADDRESS < password\n");
		return 2;
	}
	password[strcspn(password, "\n")] = '\0';
	if (sodium_init() < 0 || (m = map_open(argv[1], 0, &why)) == NULL) {
		fprintf(stderr, "keydump: %s\n", argv[1]);
		return 2;
	}
	rc = map_lookup(m, argv[2], &v);
	map_close(&m);
	if (rc <= 0 || userkey_decode(buf_cstr(&v), &u) < 0)
		return 1;
	d = userkey_derive(&u, password, strlen(password));
	if (d == NULL || !userkey_check(&u, d) ||
	    userkey_unwrap(u.wrap, d + USERKEY_HALF, argv[2], sk) < 0)
		return 1;
	sodium_free(d);
	sodium_bin2hex(hex, sizeof(hex), sk, sizeof(sk));
	puts(hex);
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(password, sizeof(password));
	buf_free_wipe(&v);
	return 0;
}
