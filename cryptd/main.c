/*
 * NAME
 *	cryptd - the key service: every private-key operation
 * DESCRIPTION
 *	See cryptd(8) and lib/mail/proto_crypt.h.  A session holds one
 *	user's X25519 key pair in a keyslab slot (guarded, locked memory,
 *	wiped on free) from UNLOCK until LOGOUT or
 *	cryptd_session_timeout of disuse.  OPEN unseals a message's content
 *	key for the session's own user only.
 *
 *	DKIM: the smtp agent asks which keys a domain has (DKIM_KEYS) and
 *	sends the SHA-256 digests of the header hash inputs it built
 *	(DKIM_SIGN); cryptd signs them with the domain's current keys, read
 *	from dkim/DOMAIN/ under key_directory (lib/mail/dkim_key.h) at first
 *	use and again whenever dkim/DOMAIN/current changes.  An Ed25519
 *	key sits in sodium_malloc memory; RSA keys in OpenSSL's secure heap
 *	(locked; set up before the jail).  cryptd never sees the message.
 * SECURITY
 *	Never dumpable, no core files, no key material in any log.  Not
 *	network facing; runs as crypt_owner chrooted in key_directory.
 *	A compromised smtp agent can have cryptd sign any digest for a
 *	domain that has a key, no more: keys never leave this process.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <sodium.h>

#include "mail/dkim_key.h"
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

#define SECURE_HEAP	(256 * 1024)	/* room for many RSA keys */

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

/* A domain's DKIM keys, as dkim/DOMAIN/current named them when read. */
struct dkim_domain {
	char *name;
	struct stat current;	/* the file when it was read */
	char selector[DKIM_N_ALGS][DKIM_NAME_MAX + 1];	/* "": none */
	struct dkim_key key[DKIM_N_ALGS];
	struct dkim_domain *next;
};

static struct dkim_domain *dkim_domains;

#define CURRENT_MAX	4096

/* dkim_drop - forget a domain's keys (wiped) */
static void
dkim_drop(const char *name)
{
	struct dkim_domain **pp, *d;

	for (pp = &dkim_domains; (d = *pp) != NULL; pp = &d->next) {
		if (strcmp(d->name, name) != 0)
			continue;
		*pp = d->next;
		for (int a = 0; a < DKIM_N_ALGS; a++)
			dkim_key_free(&d->key[a]);
		free(d->name);
		free(d);
		return;
	}
}

/* dkim_read - load the keys dkim/NAME/current names */
static struct dkim_domain *
dkim_read(const char *name, const struct stat *st)
{
	struct dkim_domain *d = xcalloc(1, sizeof(*d));
	char text[CURRENT_MAX + 1], *line, *save = NULL;
	char *path = xasprintf("dkim/%s/current", name);
	ssize_t n = -1;
	int fd;

	d->name = xstrdup(name);
	d->current = *st;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) >= 0) {
		n = read(fd, text, CURRENT_MAX);
		close(fd);
	}
	if (n < 0) {
		msg_warn("%s: %m", path);
		n = 0;
	}
	text[n] = '\0';
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		struct dkim_key k = { 0 };
		const char *why;
		char *kp;

		line[strcspn(line, " \t\r#")] = '\0';
		if (line[0] == '\0')
			continue;
		if (!dkim_name_ok(line)) {
			msg_warn("%s: bad selector '%.64s'", path, line);
			continue;
		}
		kp = xasprintf("dkim/%s/%s.pem", name, line);
		if (dkim_key_load(kp, &k, &why) < 0) {
			msg_warn("%s: %s", kp, why);
		} else if (d->selector[k.alg][0] != '\0') {
			msg_warn("%s: a second %s key in %s; using %s", kp,
			    dkim_alg_name(k.alg), path, d->selector[k.alg]);
			dkim_key_free(&k);
		} else {
			snprintf(d->selector[k.alg], sizeof(d->selector[0]),
			    "%s", line);
			d->key[k.alg] = k;
			msg_info("DKIM key for %s: s=%s a=%s", name, line,
			    dkim_alg_sig(k.alg));
		}
		free(kp);
	}
	sodium_memzero(text, sizeof(text));
	free(path);
	d->next = dkim_domains;
	dkim_domains = d;
	return d;
}

/* dkim_domain - the current keys of domain (NULL: none); reread when
 * dkim/DOMAIN/current changed */
static struct dkim_domain *
dkim_domain(const char *domain)
{
	char name[DKIM_NAME_MAX + 1], *path;
	struct dkim_domain *d;
	struct stat st;

	if (!dkim_name_lower(domain, name, sizeof(name)))
		return NULL;
	path = xasprintf("dkim/%s/current", name);
	if (stat(path, &st) < 0) {
		if (errno != ENOENT)
			msg_warn("%s: %m", path);
		free(path);
		dkim_drop(name);
		return NULL;
	}
	free(path);
	for (d = dkim_domains; d != NULL; d = d->next)
		if (strcmp(d->name, name) == 0)
			break;
	if (d != NULL && d->current.st_ino == st.st_ino &&
	    d->current.st_dev == st.st_dev &&
	    d->current.st_size == st.st_size &&
	    d->current.st_mtim.tv_sec == st.st_mtim.tv_sec &&
	    d->current.st_mtim.tv_nsec == st.st_mtim.tv_nsec)
		return d;
	dkim_drop(name);
	return dkim_read(name, &st);
}

/* do_dkim_keys - DKIM_KEYS; NULL or the error */
static const char *
do_dkim_keys(struct ipc_msg *m, struct ipc_msg *r)
{
	const char *domain;
	struct dkim_domain *d;
	char name[32];

	if (ipc_get_str(m, "domain", IPC_REQUIRED, &domain) < 0)
		return "malformed request";
	if ((d = dkim_domain(domain)) == NULL)
		return NULL;		/* no key: no selectors */
	for (int a = 0; a < DKIM_N_ALGS; a++) {
		snprintf(name, sizeof(name), "%s_selector",
		    dkim_alg_name((enum dkim_alg)a));
		if (d->selector[a][0] != '\0' &&
		    ipc_put_str(r, name, d->selector[a]) < 0)
			return "cannot reply";
	}
	return NULL;
}

/* do_dkim_sign - DKIM_SIGN; NULL or the error */
static const char *
do_dkim_sign(struct ipc_msg *m, struct ipc_msg *r)
{
	const char *domain, *sel;
	const uint8_t *digest;
	uint8_t sig[DKIM_SIG_MAX];
	struct dkim_domain *d;
	char name[32];
	size_t dlen, slen;
	int n = 0;

	if (ipc_get_str(m, "domain", IPC_REQUIRED, &domain) < 0)
		return "malformed request";
	if ((d = dkim_domain(domain)) == NULL)
		return "no DKIM key for this domain";
	for (int a = 0; a < DKIM_N_ALGS; a++) {
		const char *an = dkim_alg_name((enum dkim_alg)a);
		int got;

		snprintf(name, sizeof(name), "%s_selector", an);
		if ((got = ipc_get_str(m, name, IPC_OPTIONAL, &sel)) < 0)
			return "malformed request";
		if (got == 0)
			continue;
		snprintf(name, sizeof(name), "%s_digest", an);
		if (ipc_get_bytes(m, name, IPC_REQUIRED, &digest, &dlen) < 0 ||
		    dlen != DKIM_DIGEST_LEN)
			return "malformed request";
		/* Only the current key: a retired one may be unpublished
		 * already, or compromised. */
		if (strcmp(sel, d->selector[a]) != 0)
			return "selector is not current";
		if (dkim_key_sign(&d->key[a], digest, sig, &slen) < 0)
			return "cannot sign";
		snprintf(name, sizeof(name), "%s_signature", an);
		if (ipc_put_bytes(r, name, sig, slen) < 0)
			return "cannot reply";
		n++;
	}
	if (n == 0)
		return "malformed request";
	msg_debug("DKIM signatures for %s: %d", d->name, n);
	return NULL;
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
	case CRYPT_T_DKIM_KEYS:
		err = do_dkim_keys(m, &r);
		break;
	case CRYPT_T_DKIM_SIGN:
		err = do_dkim_sign(m, &r);
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
	/* RSA private numbers go to a locked heap (DKIM keys). */
	if (CRYPTO_secure_malloc_init(SECURE_HEAP, 16) == 0)
		msg_warn("no OpenSSL secure heap: RSA DKIM keys may be "
		    "swapped out");
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
