/*
 * NAME
 *	maccess - log in and read stored messages
 * DESCRIPTION
 *	Synchronous, with timeouts: a login is one request to authd, each
 *	message one request to cryptd.  A cryptd that was restarted has
 *	forgotten every session; the caller gets a clean error and must log
 *	in again.
 */
#include <string.h>
#include <unistd.h>

#include "mail/maccess.h"
#include "mail/proto_auth.h"
#include "util/daemon.h"
#include "util/log.h"

#define TIMEOUT_MS	30000

void
maccess_init(struct maccess *a)
{
	memset(a, 0, sizeof(*a));
	a->auth_fd = a->crypt_fd = -1;
}

/* connect_to - a HELLO'ed connection to service through master */
static int
connect_to(const char *service, const char *proto, unsigned major,
    unsigned minor)
{
	const char *why;
	int fd = daemon_connect(service, &why);

	if (fd >= 0 && ipc_sync_hello(fd, proto, major, minor, TIMEOUT_MS,
	    &why) < 0) {
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		msg_warn("%s: %s", service, why);
	return fd;
}

/* ask - one request and its reply on *fd (closed on failure) */
static int
ask(int *fd, struct ipc_msg *m, struct ipc_msg *r)
{
	const char *why;

	if (ipc_sync_send(*fd, m, TIMEOUT_MS) == 0 &&
	    ipc_sync_recv(*fd, r, IPC_MAX_FRAME, TIMEOUT_MS, &why) == 0)
		return 0;
	close(*fd);
	*fd = -1;
	return -1;
}

int
maccess_login_request(struct ipc_msg *m, const char *user, const char *pw,
    size_t len, const char *rip, const char *service)
{
	ipc_msg_init(m, AUTH_T_LOGIN);
	return ipc_put_str(m, "user", user) |
	    ipc_put_bytes(m, "password", pw, len) |
	    ipc_put_str(m, "rip", rip) | ipc_put_str(m, "service", service);
}

int
maccess_login_reply(struct maccess *a, struct ipc_msg *r)
{
	const uint8_t *pk;
	const char *u, *h;
	uint64_t status;
	size_t pklen;
	int rc = -1;

	if (r != NULL &&
	    ipc_get_u64(r, "status", IPC_REQUIRED, &status) == 1) {
		rc = status == IPC_ETEMP ? -1 : 0;
		if (status == IPC_OK &&
		    ipc_get_str(r, "user", IPC_REQUIRED, &u) == 1 &&
		    ipc_get_str(r, "handle", IPC_REQUIRED, &h) == 1 &&
		    (strlen(h) == CRYPT_HANDLE_LEN || h[0] == '\0') &&
		    strlen(u) < sizeof(a->user)) {
			strcpy(a->user, u);
			/* "": a password check only (no key session). */
			memcpy(a->handle, h, strlen(h) + 1);
			a->has_public_key = ipc_get_bytes(r, "public_key",
			    IPC_OPTIONAL, &pk, &pklen) == 1 &&
			    pklen == sizeof(a->public_key);
			if (a->has_public_key)
				memcpy(a->public_key, pk, pklen);
			a->logged_in = true;
			rc = 1;
		}
	}
	if (r != NULL)
		sodium_memzero(r->payload.data, r->payload.len);
	return rc;
}

int
maccess_login(struct maccess *a, const char *user, const char *pw,
    size_t len, const char *rip, const char *service)
{
	struct ipc_msg m, r;
	int rc = -1;

	if (a->auth_fd < 0)
		a->auth_fd = connect_to("authd", AUTH_PROTO, AUTH_MAJOR,
		    AUTH_MINOR);
	if (a->auth_fd < 0)
		return -1;
	if (maccess_login_request(&m, user, pw, len, rip, service) == 0 &&
	    ipc_put_u64(&m, "id", 1) == 0 && ask(&a->auth_fd, &m, &r) == 0) {
		rc = maccess_login_reply(a, &r);
		ipc_msg_free(&r);
	}
	sodium_memzero(m.payload.data, m.payload.len);
	ipc_msg_free(&m);
	return rc;
}

int
maccess_key_request(struct ipc_msg *m, const struct maccess *a, int fd,
    const char **error_r)
{
	uint8_t sealed[MSGCRYPT_SEALED_LEN];

	if (!a->logged_in) {
		*error_r = "not logged in";
		return -1;
	}
	if (msgcrypt_read_sealed(fd, sealed, error_r) < 0)
		return -1;
	ipc_msg_init(m, CRYPT_T_OPEN);
	if (ipc_put_str(m, "handle", a->handle) < 0 ||
	    ipc_put_str(m, "user", a->user) < 0 ||
	    ipc_put_bytes(m, "sealed", sealed, sizeof(sealed)) < 0) {
		ipc_msg_free(m);
		*error_r = "cannot build the request";
		return -1;
	}
	return 0;
}

int
maccess_key_reply(struct ipc_msg *r, uint8_t key[MSGCRYPT_KEY_LEN],
    const char **error_r)
{
	const uint8_t *k;
	const char *err;
	uint64_t status;
	size_t klen;
	int rc = -1;

	*error_r = "the key service did not answer";
	if (r == NULL)
		return -1;
	if (ipc_get_u64(r, "status", IPC_REQUIRED, &status) == 1 &&
	    status == IPC_OK && ipc_get_bytes(r, "key", IPC_REQUIRED, &k,
	    &klen) == 1 && klen == MSGCRYPT_KEY_LEN) {
		memcpy(key, k, MSGCRYPT_KEY_LEN);
		rc = 0;
	} else if (ipc_get_str(r, "error", IPC_OPTIONAL, &err) == 1) {
		*error_r = strcmp(err, "no such session") == 0 ?
		    "session ended (log in again)" :
		    "this message cannot be opened with this session";
	}
	sodium_memzero(r->payload.data, r->payload.len);
	return rc;
}

int
maccess_crypt_connect(int *crypt_fd)
{
	if (*crypt_fd < 0)
		*crypt_fd = connect_to("cryptd", CRYPT_PROTO, CRYPT_MAJOR,
		    CRYPT_MINOR);
	return *crypt_fd < 0 ? -1 : 0;
}

int
maccess_key(const struct maccess *a, int *crypt_fd, int fd,
    uint8_t key[MSGCRYPT_KEY_LEN], const char **error_r)
{
	struct ipc_msg m, rep;
	int rc = -1;

	if (maccess_key_request(&m, a, fd, error_r) < 0)
		return -1;
	if (maccess_crypt_connect(crypt_fd) < 0) {
		*error_r = "the key service is not available";
	} else if (ipc_put_u64(&m, "id", 1) == 0 &&
	    ask(crypt_fd, &m, &rep) == 0) {
		rc = maccess_key_reply(&rep, key, error_r);
		ipc_msg_free(&rep);
	} else {
		*error_r = "the key service did not answer";
	}
	ipc_msg_free(&m);
	return rc;
}

int
maccess_open(struct maccess *a, int fd, struct msgcrypt_reader *r,
    const char **error_r)
{
	uint8_t key[MSGCRYPT_KEY_LEN];
	int rc = -1;

	if (maccess_key(a, &a->crypt_fd, fd, key, error_r) == 0)
		rc = msgcrypt_read_begin(r, fd, key, error_r);
	sodium_memzero(key, sizeof(key));
	return rc;
}

int
maccess_logout_request(struct ipc_msg *m, const struct maccess *a)
{
	ipc_msg_init(m, AUTH_T_LOGOUT);
	return ipc_put_str(m, "handle", a->handle);
}

void
maccess_logout(struct maccess *a)
{
	struct ipc_msg m, r;

	if (a->logged_in && a->auth_fd >= 0) {
		if (maccess_logout_request(&m, a) == 0 &&
		    ipc_put_u64(&m, "id", 2) == 0 &&
		    ask(&a->auth_fd, &m, &r) == 0)
			ipc_msg_free(&r);
		ipc_msg_free(&m);
	}
	sodium_memzero(a->handle, sizeof(a->handle));
	a->logged_in = false;
	if (a->auth_fd >= 0)
		close(a->auth_fd);
	if (a->crypt_fd >= 0)
		close(a->crypt_fd);
	a->auth_fd = a->crypt_fd = -1;
}
