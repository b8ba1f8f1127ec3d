/*
 * proto_crypt.h - "crypt": cryptd's socket (doc/ipc/crypt.md).
 *
 * UNLOCK (from authd, after a good password): id, user, wrapped (bytes,
 * the private key wrapped for the password), kek (bytes 32, the wrapping
 * half of the Argon2id output) -> handle (str, 64 hex digits).
 * OPEN (from imapd, pop3d): id, handle, user, sealed (bytes, a message's
 * sealed content key) -> key (bytes 32), only when the handle is a live
 * session of that same user.
 * LOGOUT: id, handle -> status.
 * DKIM_KEYS (from the smtp agent, minor 1): id, domain -> the selectors
 * cryptd signs the domain's mail with: ed25519_selector, rsa_selector
 * (str, each present when the domain has such a key; neither: no key).
 * DKIM_SIGN (minor 1): id, domain, and for each key wanted
 * <alg>_selector (str) with <alg>_digest (bytes 32, the SHA-256 of the
 * header hash input of RFC 6376 3.7) -> <alg>_signature (bytes), alg
 * being "ed25519" or "rsa" (dkim_alg_name).
 * Every reply is REPLY with id, status and, on failure, error.
 */
#ifndef POSTERN_PROTO_CRYPT_H
#define POSTERN_PROTO_CRYPT_H

#include "util/ipc.h"

#define CRYPT_PROTO	"crypt"
#define CRYPT_MAJOR	1
#define CRYPT_MINOR	1

#define CRYPT_T_UNLOCK	(IPC_T_FIRST_PROTO + 0)
#define CRYPT_T_OPEN	(IPC_T_FIRST_PROTO + 1)
#define CRYPT_T_LOGOUT	(IPC_T_FIRST_PROTO + 2)
#define CRYPT_T_REPLY	(IPC_T_FIRST_PROTO + 3)
#define CRYPT_T_DKIM_KEYS	(IPC_T_FIRST_PROTO + 4)
#define CRYPT_T_DKIM_SIGN	(IPC_T_FIRST_PROTO + 5)

#define CRYPT_HANDLE_LEN	64	/* hex digits */

#endif
