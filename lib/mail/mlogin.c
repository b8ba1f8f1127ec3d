/*
 * NAME
 *	mlogin - logins of a daemon that serves many mail sessions at once
 * DESCRIPTION
 *	See mlogin.h.  The connection to authd is made on first use and
 *	again after authd went away; requests pending when it closes are
 *	answered with no reply (rc -1).  A login in flight is a small
 *	record that carries the session's maccess and callback to the
 *	reply.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "mail/mlogin.h"
#include "mail/msgcrypt.h"
#include "mail/proto_auth.h"
#include "mail/proto_crypt.h"
#include "util/daemon.h"
#include "util/ipc.h"
#include "util/log.h"
#include "util/mem.h"

#define AUTH_TIMEOUT_MS	60000	/* an Argon2id queue may be long */
#define KEY_TIMEOUT_MS	10000	/* cryptd answers from memory */

static struct ipc_conn *auth_conn;
static struct ipc_conn *crypt_conn;	/* asynchronous key requests */
static int crypt_fd = -1;		/* synchronous ones */

struct pending {
	struct maccess *a;
	enum mlogin_keys keys;
	mlogin_fn *done;
	void *ctx;
};

static struct ipc_conn *crypt_connect(void);

/* auth_closed - authd went away; pending logins get NULL replies */
static void
auth_closed(struct ipc_conn *c, const char *reason, void *ctx)
{
	(void)c;
	(void)ctx;
	msg_warn("authd: connection closed (%s)", reason);
	auth_conn = NULL;
}

/* auth_msg - authd and cryptd send nothing unasked */
static void
auth_msg(struct ipc_conn *c, struct ipc_msg *m, void *ctx)
{
	(void)c;
	(void)m;
	(void)ctx;
}

/* auth_connect - the shared connection to authd, made on first use */
static struct ipc_conn *
auth_connect(void)
{
	const char *why;
	int fd;

	if (auth_conn != NULL)
		return auth_conn;
	fd = daemon_connect("authd", &why);
	if (fd < 0) {
		msg_warn("authd: %s", why);
		return NULL;
	}
	auth_conn = ipc_conn_new(fd, AUTH_PROTO, AUTH_MAJOR, AUTH_MINOR, 0,
	    auth_msg, auth_closed, NULL);
	return auth_conn;
}

/* login_reply - authd's answer to LOGIN */
static void
login_reply(struct ipc_conn *c, struct ipc_msg *reply, void *ctx)
{
	struct pending p = *(struct pending *)ctx;
	int rc;

	(void)c;
	free(ctx);
	rc = maccess_login_reply(p.a, reply);
	/* The cryptd holding this session, while it is still the one the
	 * socket leads to (mlogin.h). */
	if (rc == 1 && p.a->handle[0] != '\0') {
		if (p.keys == MLOGIN_KEYS_ASYNC)
			(void)crypt_connect();
		else if (p.keys == MLOGIN_KEYS)
			(void)maccess_crypt_connect(&crypt_fd);
	}
	p.done(p.ctx, rc);
}

int
mlogin_start(struct maccess *a, const char *user, const char *pw,
    size_t len, const char *rip, const char *service, enum mlogin_keys keys,
    mlogin_fn *done, void *ctx)
{
	struct ipc_conn *c = auth_connect();
	struct pending *p;
	struct ipc_msg m;
	int rc = -1;

	if (c == NULL)
		return -1;
	if (maccess_login_request(&m, user, pw, len, rip, service) == 0 &&
	    (keys != MLOGIN_PASSWORD_ONLY ||
	    ipc_put_u64(&m, "verify_only", 1) == 0)) {
		p = xmalloc(sizeof(*p));
		*p = (struct pending){ a, keys, done, ctx };
		rc = ipc_conn_request(c, &m, AUTH_TIMEOUT_MS, login_reply, p);
		if (rc < 0)
			free(p);
	}
	sodium_memzero(m.payload.data, m.payload.len);
	ipc_msg_free(&m);
	return rc < 0 ? -1 : 0;
}

/* logged_out - authd's answer to LOGOUT: nothing to do */
static void
logged_out(struct ipc_conn *c, struct ipc_msg *reply, void *ctx)
{
	(void)c;
	(void)reply;
	(void)ctx;
}

void
mlogin_end(struct maccess *a)
{
	struct ipc_msg m;

	if (a->logged_in && a->handle[0] != '\0' && auth_connect() != NULL) {
		if (maccess_logout_request(&m, a) == 0)
			(void)ipc_conn_request(auth_conn, &m, AUTH_TIMEOUT_MS,
			    logged_out, NULL);
		ipc_msg_free(&m);
	}
	sodium_memzero(a->handle, sizeof(a->handle));
	a->logged_in = false;
}

int
mlogin_key(const struct maccess *a, int fd, uint8_t key[32],
    const char **error_r)
{
	return maccess_key(a, &crypt_fd, fd, key, error_r);
}

/* crypt_closed - cryptd went away; pending requests get NULL replies */
static void
crypt_closed(struct ipc_conn *c, const char *reason, void *ctx)
{
	(void)c;
	(void)ctx;
	msg_warn("cryptd: connection closed (%s)", reason);
	crypt_conn = NULL;
}

/* crypt_connect - the shared asynchronous connection to cryptd */
static struct ipc_conn *
crypt_connect(void)
{
	const char *why;
	int fd;

	if (crypt_conn != NULL)
		return crypt_conn;
	fd = daemon_connect("cryptd", &why);
	if (fd < 0) {
		msg_warn("cryptd: %s", why);
		return NULL;
	}
	crypt_conn = ipc_conn_new(fd, CRYPT_PROTO, CRYPT_MAJOR, CRYPT_MINOR, 0,
	    auth_msg, crypt_closed, NULL);
	return crypt_conn;
}

struct key_pending {
	mlogin_key_fn *done;
	void *ctx;
};

/* key_reply - cryptd's answer to OPEN */
static void
key_reply(struct ipc_conn *c, struct ipc_msg *reply, void *ctx)
{
	struct key_pending p = *(struct key_pending *)ctx;
	uint8_t key[MSGCRYPT_KEY_LEN];
	const char *why;

	(void)c;
	free(ctx);
	if (maccess_key_reply(reply, key, &why) == 0)
		p.done(p.ctx, key, NULL);
	else
		p.done(p.ctx, NULL, why);
	sodium_memzero(key, sizeof(key));
}

int
mlogin_key_start(const struct maccess *a, int fd, mlogin_key_fn *done,
    void *ctx, const char **error_r)
{
	struct ipc_conn *c = crypt_connect();
	struct key_pending *p;
	struct ipc_msg m;
	int rc;

	if (c == NULL) {
		*error_r = "the key service is not available";
		return -1;
	}
	if (maccess_key_request(&m, a, fd, error_r) < 0)
		return -1;
	p = xmalloc(sizeof(*p));
	*p = (struct key_pending){ done, ctx };
	rc = ipc_conn_request(c, &m, KEY_TIMEOUT_MS, key_reply, p);
	ipc_msg_free(&m);
	if (rc < 0) {
		free(p);
		*error_r = "the key service is not available";
		return -1;
	}
	return 0;
}

bool
mlogin_cleartext_ok(const char *setting, bool tls, bool loopback)
{
	if (tls || strcmp(setting, "yes") == 0)
		return true;
	return loopback && strcmp(setting, "loopback") == 0;
}

void
mlogin_log_end(const struct maccess *a, const char *addr,
    const char *reason, uint64_t commands)
{
	const char *u = a->logged_in ? " user=" : "";
	const char *name = a->logged_in ? a->user : "";

	if (strcmp(reason, "done") != 0 && strcmp(reason, "eof") != 0)
		msg_info("%s from [%s]%s%s", reason, addr, u, name);
	msg_info("disconnect from [%s]%s%s commands=%llu", addr, u, name,
	    (unsigned long long)commands);
}

int
mlogin_count(struct mlogin_count *c, const char *user, const char *addr,
    uint64_t limit, const char *param)
{
	struct anvil_limits lim = {
		.limit = limit, .limit_name = param, .rate_name = "",
		.window_s = 60,
	};
	int verdict;

	if (limit == 0)
		return 0;
	snprintf(c->key, sizeof(c->key), "%s/%s", user, addr);
	if ((verdict = daemon_anvil(c->key, true, &lim)) < 0)
		return 0;
	c->counted = true;
	if (verdict == ANVIL_ADMITTED)
		return 0;
	/* master logs the limit with its hint, once per interval */
	msg_info("refused: %s from [%s]: too many sessions (%s)", user, addr,
	    param);
	return -1;
}

void
mlogin_uncount(struct mlogin_count *c)
{
	if (c->counted)
		(void)daemon_anvil(c->key, false, NULL);
	c->counted = false;
}
