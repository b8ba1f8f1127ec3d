/*
 * mlogin - logins of a daemon that serves many mail sessions at once
 * (imapd, pop3d)
 *
 * Every session of the process shares one connection to authd: a login
 * is a request on it, answered when authd's Argon2id run is done, while
 * the other sessions go on.  Content keys come from cryptd over one
 * shared connection too, synchronously: cryptd answers from memory in
 * microseconds.  The protocol around them (tagged IMAP replies, POP3
 * +OK/-ERR) stays in the daemon.
 */
#ifndef POSTERN_MLOGIN_H
#define POSTERN_MLOGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mail/maccess.h"

/* mlogin_fn - authd answered: rc 1 logged in (a is filled), 0 refused,
 * -1 authentication unavailable.  The session owning a must still exist
 * when this runs (keep it, marked gone, until then). */
typedef void mlogin_fn(void *ctx, int rc);

/*
 * What a login is for: a password check only (authd opens no key session
 * and a's handle stays ""), or reading the store, with keys fetched by
 * mlogin_key (MLOGIN_KEYS) or mlogin_key_start (MLOGIN_KEYS_ASYNC).
 * Once a key session is open the process's connection to cryptd is made
 * at once and kept: after a reload, only the cryptd that holds the
 * session (the retiring one) can serve it, and a retiring daemon cannot
 * connect anew.
 */
enum mlogin_keys {
	MLOGIN_PASSWORD_ONLY,
	MLOGIN_KEYS,
	MLOGIN_KEYS_ASYNC,
};

/*
 * mlogin_start - send user and password (len bytes) to authd for a; done
 * runs later.  service names the protocol for authd's log and limits
 * ("imap", "pop3", "submission").  0 when sent (the request holding the
 * password is wiped), -1 when authd cannot be reached now.
 */
int mlogin_start(struct maccess *a, const char *user, const char *pw,
    size_t len, const char *rip, const char *service, enum mlogin_keys keys,
    mlogin_fn *done, void *ctx);
/* mlogin_end - log a out at authd (cryptd wipes the key) and forget the
 * handle; harmless when not logged in. */
void mlogin_end(struct maccess *a);
/* mlogin_key - the content key of the stored message on fd; 0, or -1
 * with *error_r.  Waits for cryptd. */
int mlogin_key(const struct maccess *a, int fd, uint8_t key[32],
    const char **error_r);
/*
 * mlogin_key_start - the same without waiting: done runs later with the
 * key (wiped after it returns), or with NULL and why.  0 when asked, -1
 * with *error_r when the request could not go out.  As with logins, the
 * session behind ctx must outlive the request.
 */
typedef void mlogin_key_fn(void *ctx, const uint8_t *key, const char *why);
int mlogin_key_start(const struct maccess *a, int fd, mlogin_key_fn *done,
    void *ctx, const char **error_r);
/* mlogin_cleartext_ok - may a client log in on this connection?  setting
 * is the daemon's *_cleartext_login: no, loopback or yes. */
bool mlogin_cleartext_ok(const char *setting, bool tls, bool loopback);

/* mlogin_log_end - log a session's end: why, if not the usual "done" or
 * "eof", and "disconnect from [addr] user=... commands=N". */
void mlogin_log_end(const struct maccess *a, const char *addr,
    const char *reason, uint64_t commands);

/*
 * Sessions per user and client address (*_user_connection_limit), counted
 * by master's anvil across the processes of the service.  mlogin_count
 * adds this session under key (written into key, size bytes): 0 within
 * limit (0: no limit), -1 over it (logged).  mlogin_uncount takes it back
 * if it was counted.
 */
struct mlogin_count {
	bool counted;
	char key[ADDR_PATH_MAX + 80];
};
int mlogin_count(struct mlogin_count *c, const char *user, const char *addr,
    uint64_t limit, const char *param);
void mlogin_uncount(struct mlogin_count *c);

#endif
