/*
 * NAME
 *	cryptd - the key service: every private-key operation
 * DESCRIPTION
 *	See cryptd(8) and lib/mail/proto_crypt.h.  A session holds one
 *	user's X25519 key pair in a keyslab slot (guarded, locked memory,
 *	wiped on free) from UNLOCK until LOGOUT or
 *	cryptd_session_timeout of disuse.  OPEN unseals a message's content
 *	key for the session's own user only.
 * SECURITY
 *	Never dumpable, no core files, no key material in any log.  Not
 *	network facing; runs as crypt_owner chrooted in key_directory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <sodium.h>

#include "mail/keyslab.h"
#include "mail/msgcrypt.h"
#include "mail/params.h"
#include "mail/proto_crypt.h"
#include "mail/userkey.h"
#include "util/daemon.h"
#include "util/ev.h"
#include "util/log.h"
#include "util/mem.h"

struct session {
	char handle[CRYPT_HANDLE_LEN + 1];
	char *user;
	uint8_t *keys;		/* a keyslab slot: pk (32) | sk (32) */
	struct ev_timer *timer;
	struct session *next;
};

static struct session *sessions;
static unsigned n_sessions;

/* session_free - wipe and forget s */
static void
session_free(struct session *s)
{
	struct session **pp;

	for (pp = &sessions; *pp != NULL && *pp != s; pp = &(*pp)->next)
		;
	if (*pp != NULL)
		*pp = s->next;
	ev_timer_del(&s->timer);
	keyslab_put(s->keys);
	free(s->user);
	sodium_memzero(s->handle, sizeof(s->handle));
	free(s);
	n_sessions--;
}

/* expired - unused for cryptd_session_timeout */
static void
expired(void *ctx)
{
	struct session *s = ctx;

	s->timer = NULL;
	msg_info("session of %s ended: idle", s->user);
	session_free(s);
}

/* touch - restart the idle timer */
static void
touch(struct session *s)
{
	ev_timer_del(&s->timer);
	s->timer = ev_timer_add(var_cryptd_session_timeout * 1000, expired,
	    s);
}

/* find - the live session with handle, or NULL (constant-time compare) */
static struct session *
find(const char *handle)
{
	if (strlen(handle) != CRYPT_HANDLE_LEN)
		return NULL;
	for (struct session *s = sessions; s != NULL; s = s->next)
		if (sodium_memcmp(s->handle, handle, CRYPT_HANDLE_LEN) == 0)
			return s;
	return NULL;
}

/* do_unlock - UNLOCK; NULL or the error */
static const char *
do_unlock(struct ipc_msg *m, struct ipc_msg *r)
{
	const uint8_t *wrapped, *kek;
	size_t wlen, klen;
	const char *user;
	uint8_t raw[CRYPT_HANDLE_LEN / 2];
	struct session *s;

	if (ipc_get_str(m, "user", IPC_REQUIRED, &user) < 0 ||
	    ipc_get_bytes(m, "wrapped", IPC_REQUIRED, &wrapped, &wlen) < 0 ||
	    ipc_get_bytes(m, "kek", IPC_REQUIRED, &kek, &klen) < 0 ||
	    wlen != USERKEY_WRAP_LEN || klen != USERKEY_HALF)
		return "malformed request";
	if (n_sessions >= var_cryptd_session_limit)
		return "too many sessions (cryptd_session_limit)";
	s = xcalloc(1, sizeof(*s));
	s->keys = keyslab_get();
	if (s->keys == NULL) {
		free(s);
		return "out of locked memory";
	}
	if (userkey_unwrap(wrapped, kek, user, s->keys + 32) < 0) {
		keyslab_put(s->keys);
		free(s);
		return "the key does not unwrap";
	}
	crypto_scalarmult_base(s->keys, s->keys + 32);
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(s->handle, sizeof(s->handle), raw, sizeof(raw));
	sodium_memzero(raw, sizeof(raw));
	s->user = xstrdup(user);
	s->next = sessions;
	sessions = s;
	n_sessions++;
	touch(s);
	msg_info("session of %s started", user);
	if (ipc_put_str(r, "handle", s->handle) < 0)
		return "cannot reply";
	return NULL;
}

/* do_open - OPEN; NULL or the error */
static const char *
do_open(struct ipc_msg *m, struct ipc_msg *r)
{
	const char *handle, *user;
	const uint8_t *sealed;
	uint8_t key[MSGCRYPT_KEY_LEN];
	struct session *s;
	size_t slen;
	int rc;

	if (ipc_get_str(m, "handle", IPC_REQUIRED, &handle) < 0 ||
	    ipc_get_str(m, "user", IPC_REQUIRED, &user) < 0 ||
	    ipc_get_bytes(m, "sealed", IPC_REQUIRED, &sealed, &slen) < 0 ||
	    slen != MSGCRYPT_SEALED_LEN)
		return "malformed request";
	s = find(handle);
	/* A handle is good only for its own user's mail. */
	if (s == NULL || strcmp(s->user, user) != 0)
		return "no such session";
	touch(s);
	if (msgcrypt_open_key(sealed, s->keys, s->keys + 32, key) < 0)
		return "not sealed to this user";
	rc = ipc_put_bytes(r, "key", key, sizeof(key));
	sodium_memzero(key, sizeof(key));
	return rc < 0 ? "cannot reply" : NULL;
}

/* on_msg - one request */
static void
on_msg(struct ipc_conn *c, struct ipc_msg *m, void *ctx)
{
	struct ipc_msg r;
	const char *err = "unknown request", *handle;
	uint64_t id = 0;

	(void)ctx;
	if (ipc_get_u64(m, "id", IPC_OPTIONAL, &id) < 0)
		id = 0;
	ipc_msg_init(&r, CRYPT_T_REPLY);
	if (ipc_put_u64(&r, "id", id) < 0)
		msg_panic("cannot build a reply");
	switch (m->type) {
	case CRYPT_T_UNLOCK:
		err = do_unlock(m, &r);
		break;
	case CRYPT_T_OPEN:
		err = do_open(m, &r);
		break;
	case CRYPT_T_LOGOUT:
		err = NULL;
		if (ipc_get_str(m, "handle", IPC_REQUIRED, &handle) == 1 &&
		    find(handle) != NULL) {
			msg_info("session of %s ended: logout",
			    find(handle)->user);
			session_free(find(handle));
		}
		break;
	}
	if (ipc_put_u64(&r, "status", err == NULL ? IPC_OK : IPC_EFAIL) < 0 ||
	    (err != NULL && ipc_put_str(&r, "error", err) < 0) ||
	    ipc_conn_send(c, &r) < 0)
		msg_warn("cannot answer a request");
	/* The reply may hold a content key: wipe our copy. */
	sodium_memzero(r.payload.data, r.payload.len);
	ipc_msg_free(&r);
	/* The request may hold a wrapping key. */
	sodium_memzero(m->payload.data, m->payload.len);
}

static void
on_accept(int fd, unsigned li)
{
	(void)li;
	daemon_ipc_serve(fd, CRYPT_PROTO, CRYPT_MAJOR, CRYPT_MINOR, on_msg,
	    NULL);
}

/* pre_jail - no core file, no ptrace, ever */
static void
pre_jail(void)
{
	struct rlimit none = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &none) < 0 ||
	    prctl(PR_SET_DUMPABLE, 0) < 0)
		msg_fatal("cannot make cryptd undumpable: %m");
}

int
main(int argc, char **argv)
{
	static const struct daemon_spec spec = {
		.user_param = "crypt_owner",
		.chroot_param = "key_directory",
		.pre_jail = pre_jail,
		.on_accept = on_accept,
	};

	params_register();
	daemon_main(argc, argv, &spec);
}
