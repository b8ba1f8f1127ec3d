/*
 * maccess.h - the access side of the zero-access store, for imapd and
 * pop3d: log a user in (authd starts a key session in cryptd) and open
 * that user's stored messages as decrypted streams.  The content key of
 * each message comes from cryptd, for this session only; the private key
 * never leaves cryptd.
 */
#ifndef POSTERN_MACCESS_H
#define POSTERN_MACCESS_H

#include <stdbool.h>
#include <stddef.h>

#include "mail/addr.h"
#include "mail/msgcrypt.h"
#include "mail/proto_crypt.h"
#include "util/ipc.h"

struct maccess {
	int auth_fd;
	int crypt_fd;
	bool logged_in;
	char user[ADDR_PATH_MAX + 1];
	char handle[CRYPT_HANDLE_LEN + 1];
	uint8_t public_key[32];		/* to seal messages the user adds */
	bool has_public_key;
};

void maccess_init(struct maccess *a);
/*
 * maccess_login - check user and password through authd.  1 logged in,
 * 0 refused (the reason is authd's to know), -1 temporarily impossible.
 */
int maccess_login(struct maccess *a, const char *user, const char *pw,
    size_t len, const char *rip, const char *service);
/*
 * maccess_open - start reading the stored message on fd: its content key
 * is opened by cryptd for this session.  0, or -1 with *error_r (not
 * logged in, session gone, not this user's message, damaged file).
 */
int maccess_open(struct maccess *a, int fd, struct msgcrypt_reader *r,
    const char **error_r);
/* maccess_logout - end the session: cryptd wipes the key. */
void maccess_logout(struct maccess *a);

/*
 * The same exchanges in pieces, for a daemon that multiplexes many
 * sessions over one connection to authd and one to cryptd (imapd):
 * maccess_login_request builds LOGIN without an id (the caller adds
 * one, or ipc_conn_request does; the caller wipes and frees it);
 * maccess_login_reply reads authd's answer (NULL: none came) into a,
 * with maccess_login's results, and wipes it; maccess_key gets one
 * message's content key over *crypt_fd (connected on first use, closed
 * and set to -1 on failure); maccess_logout_request builds LOGOUT.
 */
int maccess_login_request(struct ipc_msg *m, const char *user,
    const char *pw, size_t len, const char *rip, const char *service);
int maccess_login_reply(struct maccess *a, struct ipc_msg *r);
int maccess_key(const struct maccess *a, int *crypt_fd, int fd,
    uint8_t key[MSGCRYPT_KEY_LEN], const char **error_r);
/* maccess_crypt_connect - connect *crypt_fd to cryptd unless it is; 0 or
 * -1 (logged). */
int maccess_crypt_connect(int *crypt_fd);
/* maccess_key_request / maccess_key_reply - maccess_key in pieces, for a
 * request that goes out on a shared connection (no id: the caller adds
 * one); the reply (NULL: none came) is wiped. */
int maccess_key_request(struct ipc_msg *m, const struct maccess *a, int fd,
    const char **error_r);
int maccess_key_reply(struct ipc_msg *r, uint8_t key[MSGCRYPT_KEY_LEN],
    const char **error_r);
int maccess_logout_request(struct ipc_msg *m, const struct maccess *a);

#endif
