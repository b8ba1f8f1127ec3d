/*
 * NAME
 *	authd - passwords, and the start of a user's key session
 * DESCRIPTION
 *	See authd(8) and lib/mail/proto_auth.h.  LOGIN runs Argon2id once
 *	over the password with the user's salt: the first half must match
 *	the stored verifier, the second half unwraps the private key, which
 *	authd hands to cryptd (UNLOCK) for a session handle.  Unknown users
 *	cost the same (a derivation with a fixed dummy record), and every
 *	failure gets the same answer after the throttle's delay.  The
 *	derivation runs in worker threads (authd_hash_threads), so that one
 *	slow login does not hold up the others.
 * SECURITY
 *	Holds password verifiers (auth_users_map) and, for the moment of a
 *	login, a password and a wrapping key, both wiped at once.  Not
 *	network facing: smtpd, imapd and pop3d relay the SASL exchange.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "authd/authd.h"
#include "mail/params.h"
#include "mail/proto_auth.h"
#include "mail/proto_crypt.h"
#include "mail/resolve.h"
#include "mail/userkey.h"
#include "util/daemon.h"
#include "util/ev.h"
#include "util/log.h"
#include "util/map.h"
#include "util/mem.h"
#include "util/workq.h"

static struct map *users;
static int crypt_fd = -1;
static struct userkey dummy;	/* the cost of an unknown user */

/* A failure answered later (throttle delay). */
struct later {
	struct ipc_conn *c;
	uint64_t id;
	struct ev_timer *timer;
	struct later *next;
};
static struct later *laters;

/* reply - status (and handle/user on success) */
static void
reply(struct ipc_conn *c, uint64_t id, uint64_t status, const char *user,
    const char *handle, const uint8_t *pk)
{
	struct ipc_msg r;

	ipc_msg_init(&r, AUTH_T_REPLY);
	if (ipc_put_u64(&r, "id", id) < 0 ||
	    ipc_put_u64(&r, "status", status) < 0 ||
	    (status == IPC_OK && (ipc_put_str(&r, "user", user) < 0 ||
	    ipc_put_str(&r, "handle", handle) < 0 ||
	    (pk != NULL && ipc_put_bytes(&r, "public_key", pk,
	    USERKEY_PK_LEN) < 0))) ||
	    (status != IPC_OK && ipc_put_str(&r, "error", status == IPC_ETEMP ?
	    "temporary failure" : "authentication failed") < 0) ||
	    ipc_conn_send(c, &r) < 0)
		msg_warn("cannot answer a login");
	sodium_memzero(r.payload.data, r.payload.len);
	ipc_msg_free(&r);
}

/* fail_later - the delayed failure is due */
static void
fail_due(void *ctx)
{
	struct later *l = ctx, **pp;

	for (pp = &laters; *pp != NULL && *pp != l; pp = &(*pp)->next)
		;
	if (*pp != NULL)
		*pp = l->next;
	reply(l->c, l->id, IPC_EFAIL, NULL, NULL, NULL);
	free(l);
}

/* fail - answer a failure after delay_ms */
static void
fail(struct ipc_conn *c, uint64_t id, uint64_t delay_ms)
{
	struct later *l = xcalloc(1, sizeof(*l));

	l->c = c;
	l->id = id;
	l->next = laters;
	laters = l;
	l->timer = ev_timer_add(delay_ms, fail_due, l);
}

/* crypt_request - one synchronous request to cryptd; reconnects once if
 * cryptd was restarted.  0 with *r, or -1. */
static int
crypt_request(struct ipc_msg *m, struct ipc_msg *r)
{
	const char *why;

	for (int attempt = 0; attempt < 2; attempt++) {
		if (crypt_fd < 0) {
			crypt_fd = daemon_connect("cryptd", &why);
			if (crypt_fd < 0 || ipc_sync_hello(crypt_fd,
			    CRYPT_PROTO, CRYPT_MAJOR, CRYPT_MINOR, 5000,
			    &why) < 0) {
				msg_warn("cryptd: %s", why);
				if (crypt_fd >= 0)
					close(crypt_fd);
				crypt_fd = -1;
				return -1;
			}
		}
		if (ipc_sync_send(crypt_fd, m, 5000) == 0 &&
		    ipc_sync_recv(crypt_fd, r, IPC_MAX_FRAME, 5000, &why) == 0)
			return 0;
		close(crypt_fd);
		crypt_fd = -1;
	}
	return -1;
}

/* unlock - start a cryptd session; 1 handle, 0 refused, -1 down */
static int
unlock(const char *user, const struct userkey *u, const uint8_t *kek,
    char handle[CRYPT_HANDLE_LEN + 1])
{
	struct ipc_msg m, r;
	uint64_t status;
	const char *h;
	int rc = -1;

	ipc_msg_init(&m, CRYPT_T_UNLOCK);
	if (ipc_put_u64(&m, "id", 1) == 0 && ipc_put_str(&m, "user", user) ==
	    0 && ipc_put_bytes(&m, "wrapped", u->wrap, sizeof(u->wrap)) == 0 &&
	    ipc_put_bytes(&m, "kek", kek, USERKEY_HALF) == 0 &&
	    crypt_request(&m, &r) == 0) {
		rc = 0;
		if (ipc_get_u64(&r, "status", IPC_REQUIRED, &status) == 1 &&
		    status == IPC_OK &&
		    ipc_get_str(&r, "handle", IPC_REQUIRED, &h) == 1 &&
		    strlen(h) == CRYPT_HANDLE_LEN) {
			memcpy(handle, h, CRYPT_HANDLE_LEN + 1);
			rc = 1;
		}
		sodium_memzero(r.payload.data, r.payload.len);
		ipc_msg_free(&r);
	}
	sodium_memzero(m.payload.data, m.payload.len);
	ipc_msg_free(&m);
	return rc;
}

/* A login whose Argon2id run is under way in a worker thread. */
struct attempt {
	struct workq_job job;	/* first */
	struct ipc_conn *c;	/* NULL once the client left */
	uint64_t id;
	char user[ADDR_PATH_MAX + 1];
	char rip[64];
	char service[32];
	bool verify_only;	/* check the password, open no key session */
	bool known;
	struct userkey u;	/* the user's record, or the dummy */
	char *password;		/* sodium_malloc */
	size_t pwlen;
	uint8_t *derived;	/* sodium_malloc, from the worker */
	struct attempt *next;
};
static struct attempt *attempts;
static struct workq *hashers;

/* derive - in a worker thread */
static void
derive(struct workq_job *j)
{
	struct attempt *a = (struct attempt *)j;

	a->derived = userkey_derive(&a->u, a->password, a->pwlen);
	sodium_free(a->password);
	a->password = NULL;
}

/* derived - back in the loop: check, unlock, answer */
static void
derived(struct workq_job *j)
{
	struct attempt *a = (struct attempt *)j, **pp;
	char handle[CRYPT_HANDLE_LEN + 1];
	uint8_t *d = a->derived;
	int rc;

	for (pp = &attempts; *pp != NULL && *pp != a; pp = &(*pp)->next)
		;
	if (*pp != NULL)
		*pp = a->next;
	if (a->c == NULL) {
		/* The client left; the work is thrown away. */
	} else if (d == NULL) {
		msg_warn("cannot derive a key: out of memory "
		    "(memory_limit against password_hash_memory?)");
		reply(a->c, a->id, IPC_ETEMP, NULL, NULL, NULL);
	} else if (!a->known || !userkey_check(&a->u, d)) {
		msg_info("authentication failed: user=<%s> rip=%s service=%s",
		    a->user, a->rip, a->service);
		fail(a->c, a->id, throttle_failed(a->rip, a->user));
	} else if (a->verify_only) {
		throttle_ok(a->user);
		msg_info("login: user=<%s> rip=%s service=%s (password only)",
		    a->user, a->rip, a->service);
		reply(a->c, a->id, IPC_OK, a->user, "", NULL);
	} else if ((rc = unlock(a->user, &a->u, d + USERKEY_HALF,
	    handle)) <= 0) {
		msg_warn("login of %s: cryptd %s", a->user, rc < 0 ?
		    "is not answering" : "refused the key");
		reply(a->c, a->id, IPC_ETEMP, NULL, NULL, NULL);
	} else {
		throttle_ok(a->user);
		msg_info("login: user=<%s> rip=%s service=%s", a->user, a->rip,
		    a->service);
		reply(a->c, a->id, IPC_OK, a->user, handle, a->u.pk);
		sodium_memzero(handle, sizeof(handle));
	}
	if (d != NULL)
		sodium_free(d);
	sodium_memzero(&a->u, sizeof(a->u));
	free(a);
}

/* login - LOGIN: look the user up, then derive in a worker */
static void
login(struct ipc_conn *c, struct ipc_msg *m, uint64_t id)
{
	const char *user_in, *rip, *service;
	const uint8_t *pw;
	uint64_t verify_only = 0;
	size_t pwlen;
	struct buf v = BUF_INIT;
	struct attempt *a;
	int rc;

	if (ipc_get_str(m, "user", IPC_REQUIRED, &user_in) < 0 ||
	    ipc_get_bytes(m, "password", IPC_REQUIRED, &pw, &pwlen) < 0 ||
	    ipc_get_str(m, "rip", IPC_REQUIRED, &rip) < 0 ||
	    ipc_get_str(m, "service", IPC_REQUIRED, &service) < 0 ||
	    ipc_get_u64(m, "verify_only", IPC_OPTIONAL, &verify_only) < 0 ||
	    pwlen > 4096) {
		reply(c, id, IPC_EPROTO, NULL, NULL, NULL);
		return;
	}
	a = xcalloc(1, sizeof(*a));
	a->c = c;
	a->id = id;
	resolve_lower(user_in, a->user, sizeof(a->user));
	snprintf(a->rip, sizeof(a->rip), "%s", rip);
	snprintf(a->service, sizeof(a->service), "%s", service);
	a->verify_only = verify_only != 0;
	if (throttle_blocked(a->rip)) {
		msg_info("authentication failed: user=<%s> rip=%s service=%s "
		    "(address blocked)", a->user, a->rip, a->service);
		fail(c, id, var_auth_failure_delay_max * 1000);
		free(a);
		return;
	}
	rc = map_lookup(users, a->user, &v);
	a->known = rc > 0 && userkey_decode(buf_cstr(&v), &a->u) == 0 &&
	    a->u.enabled;
	buf_free_wipe(&v);
	if (rc < 0) {
		msg_warn("auth_users_map: %s", map_error(users));
		reply(c, id, IPC_ETEMP, NULL, NULL, NULL);
		free(a);
		return;
	}
	/* The same work whether or not the user exists. */
	if (!a->known)
		a->u = dummy;
	a->password = sodium_malloc(pwlen + 1);
	if (a->password == NULL) {
		reply(c, id, IPC_ETEMP, NULL, NULL, NULL);
		free(a);
		return;
	}
	memcpy(a->password, pw, pwlen);
	a->pwlen = pwlen;
	a->job.work = derive;
	a->job.done = derived;
	a->next = attempts;
	attempts = a;
	workq_submit(hashers, &a->job);
}

/* logout - LOGOUT: wipe the cryptd session */
static void
logout(struct ipc_conn *c, struct ipc_msg *m, uint64_t id)
{
	struct ipc_msg q, r;
	const char *handle;

	if (ipc_get_str(m, "handle", IPC_REQUIRED, &handle) < 0) {
		reply(c, id, IPC_EPROTO, NULL, NULL, NULL);
		return;
	}
	ipc_msg_init(&q, CRYPT_T_LOGOUT);
	if (ipc_put_u64(&q, "id", 1) == 0 &&
	    ipc_put_str(&q, "handle", handle) == 0 &&
	    crypt_request(&q, &r) == 0)
		ipc_msg_free(&r);
	ipc_msg_free(&q);
	reply(c, id, IPC_OK, "", "", NULL);
}

static void
on_msg(struct ipc_conn *c, struct ipc_msg *m, void *ctx)
{
	uint64_t id = 0;

	(void)ctx;
	if (ipc_get_u64(m, "id", IPC_OPTIONAL, &id) < 0)
		id = 0;
	if (m->type == AUTH_T_LOGIN)
		login(c, m, id);
	else if (m->type == AUTH_T_LOGOUT)
		logout(c, m, id);
	else
		reply(c, id, IPC_EPROTO, NULL, NULL, NULL);
	/* The password was in there. */
	sodium_memzero(m->payload.data, m->payload.len);
}

static void
on_close(struct ipc_conn *c, const char *reason, void *ctx)
{
	struct later **pp = &laters, *l;

	(void)reason;
	(void)ctx;
	for (struct attempt *a = attempts; a != NULL; a = a->next)
		if (a->c == c)
			a->c = NULL;
	while ((l = *pp) != NULL) {
		if (l->c == c) {
			*pp = l->next;
			ev_timer_del(&l->timer);
			free(l);
			continue;
		}
		pp = &l->next;
	}
}

static void
on_accept(int fd, unsigned li)
{
	(void)li;
	daemon_ipc_serve(fd, AUTH_PROTO, AUTH_MAJOR, AUTH_MINOR, on_msg,
	    on_close);
}

/* post_jail - the users table, and the dummy record */
static void
post_jail(void)
{
	char *spec = daemon_map_spec(var_auth_users_map);
	const char *why;

	users = map_open(spec, MAP_RDONLY, &why);
	if (users == NULL)
		msg_fatal("auth_users_map: %s (postern user add creates it)",
		    why);
	free(spec);
	dummy.ops = var_password_hash_ops;
	dummy.mem = var_password_hash_memory;
	randombytes_buf(dummy.salt, sizeof(dummy.salt));
	hashers = workq_new((unsigned)var_authd_hash_threads, NULL);
}

int
main(int argc, char **argv)
{
	static const struct daemon_spec spec = {
		.user_param = "auth_owner",
		.chroot_param = "auth_directory",
		.post_jail = post_jail,
		.on_accept = on_accept,
	};

	params_register();
	daemon_main(argc, argv, &spec);
}
