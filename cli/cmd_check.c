/*
 * NAME
 *	cmd_check - postern check: configuration, permissions and keys
 * DESCRIPTION
 *	Reports every problem it finds, each as "where: what is wrong",
 *	where being the file:line that set the value (or "default"), and
 *	exits 1 if there was any.  The configuration is read exactly as
 *	master reads it (lib/mail/instance.c).
 */
#include <errno.h>
#include <openssl/ssl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "mail/dkim_key.h"
#include "mail/dns.h"
#include "mail/params.h"
#include "mail/queue.h"
#include "mail/retention.h"
#include "util/map.h"
#include "util/daemon.h"
#include "util/mem.h"
#include "util/tls.h"

static int problems;

/* problem - report one finding */
static void
problem(const struct conf *c, const char *param, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
problem(const struct conf *c, const char *param, const char *fmt, ...)
{
	const char *origin = param != NULL ? conf_origin(c, param) : NULL;
	va_list ap;

	fprintf(stderr, "%s: ", origin != NULL ? origin : "default");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	problems++;
}

/* check_dir - a directory exists, with at most mode's permissions */
static void
check_dir(const struct conf *c, const char *param, unsigned max_mode,
    const char *owner_param)
{
	const char *path = conf_value(c, param);
	struct stat st;

	if (stat(path, &st) < 0) {
		problem(c, param, "%s %s: %s", param, path, strerror(errno));
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		problem(c, param, "%s %s: not a directory", param, path);
		return;
	}
	if ((st.st_mode & 07777 & ~max_mode) != 0)
		problem(c, param, "%s %s: mode %04o is too open (at most "
		    "%04o: it holds secrets)", param, path,
		    (unsigned)(st.st_mode & 07777), max_mode);
	if (geteuid() == 0 && owner_param != NULL) {
		struct passwd *pw = getpwnam(conf_value(c, owner_param));

		if (pw == NULL)
			problem(c, owner_param, "%s: user '%s' does not exist",
			    owner_param, conf_value(c, owner_param));
		else if (st.st_uid != pw->pw_uid)
			problem(c, param, "%s %s: owned by uid %ld, should be "
			    "%s (%s)", param, path, (long)st.st_uid,
			    pw->pw_name, owner_param);
	}
}

/* check_tls - the certificate and key load, match, and the key is private */
static void
check_tls(const struct conf *c)
{
	struct tls_settings ts;
	const char *why;
	struct stat st;
	SSL_CTX *ctx;

	params_tls_server(&ts);
	ctx = tls_server_ctx_new(&ts, &why);
	if (ctx == NULL)
		problem(c, "tls_cert_file", "TLS: %s", why);
	else
		SSL_CTX_free(ctx);
	if (stat(var_tls_key_file, &st) == 0 && (st.st_mode & 077) != 0)
		problem(c, "tls_key_file", "tls_key_file %s: mode %04o lets "
		    "others read the private key (chmod 600)",
		    var_tls_key_file, (unsigned)(st.st_mode & 07777));
}

/* check_queue - the queue subdirectories, owned by mail_owner */
static void
check_queue(const struct conf *c)
{
	struct passwd *pw = geteuid() == 0 ? getpwnam(var_mail_owner) : NULL;

	for (const char *const *d = queue_dirs; *d != NULL; d++) {
		char *path = xasprintf("%s/%s", var_queue_dir, *d);
		struct stat st;

		if (stat(path, &st) < 0)
			problem(c, "queue_directory", "%s: %s (postern init "
			    "makes it; qmgr does at start)", path,
			    strerror(errno));
		else if (pw != NULL && st.st_uid != pw->pw_uid)
			problem(c, "queue_directory", "%s: owned by uid %ld, "
			    "not %s (mail_owner)", path, (long)st.st_uid,
			    pw->pw_name);
		free(path);
	}
}

/* check_map - a recipient table opens (smtpd and qmgr need it) */
static void
check_map(const struct conf *c, const char *param, const char *spec)
{
	const char *why;
	struct map *m = map_open(spec, MAP_RDONLY, &why);

	if (m == NULL)
		problem(c, param, "%s (postern init makes it)", why);
	map_close(&m);
}

/* A routing table being checked. */
struct table_check {
	const struct conf *c;
	const char *param;
};

/* check_value - one entry of a routing table: the value must parse */
static int
check_value(const char *key, size_t klen, const void *value, size_t vlen,
    void *ctx)
{
	const struct table_check *t = ctx;
	bool transport = strcmp(t->param, "transport_maps") == 0;
	char v[256];

	snprintf(v, sizeof(v), "%.*s", (int)vlen, (const char *)value);
	if (transport ? strcmp(v, "smtp") != 0 && strncmp(v, "smtp:", 5) != 0 :
	    params_smtp_tls_level(v) < 0)
		problem(t->c, t->param, "%s: %.*s: \"%s\" is not %s",
		    t->param, (int)klen, key, v, transport ? "smtp:nexthop" :
		    "none, may, encrypt or verify");
	return 0;
}

/* check_smtp - smtp's words and routing tables */
static void
check_smtp(const struct conf *c)
{
	static const char *const tables[] = { "transport_maps",
	    "smtp_tls_policy_maps" };
	const char *specs[] = { var_transport_maps, var_smtp_tls_policy_maps };
	const char *why;

	if (params_smtp_tls_level(var_smtp_tls_security_level) < 0)
		problem(c, "smtp_tls_security_level", "smtp_tls_security_level "
		    "= %s: not none, may, encrypt or verify",
		    var_smtp_tls_security_level);
	if (strcmp(var_smtp_dns_support_level, "enabled") != 0 &&
	    strcmp(var_smtp_dns_support_level, "dnssec") != 0)
		problem(c, "smtp_dns_support_level", "smtp_dns_support_level "
		    "= %s: not enabled or dnssec", var_smtp_dns_support_level);
	for (size_t i = 0; i < 2; i++) {
		struct table_check t = { c, tables[i] };
		struct map *m;

		if (specs[i][0] == '\0')
			continue;
		m = map_open(specs[i], MAP_RDONLY, &why);
		if (m == NULL) {
			problem(c, tables[i], "%s: %s (postern map add %s "
			    "makes it)", tables[i], why, tables[i]);
			continue;
		}
		if (map_iterate(m, check_value, &t) < 0)
			problem(c, tables[i], "%s: %s", tables[i],
			    map_error(m));
		map_close(&m);
	}
}

/* check_expire - expire(8) stops on a retention list it cannot read:
 * say so before */
static void
check_expire(const struct conf *c)
{
	struct retention r;
	const char *why;

	if (retention_parse(var_expire_folder_retention, &r, &why) < 0)
		problem(c, "expire_folder_retention", "expire_folder_retention "
		    "= %s: %s (want folder=time pairs, e.g. Junk=30d, "
		    "Trash=30d)", var_expire_folder_retention, why);
}

/* check_auth_map - password verifiers and wrapped keys: auth_owner's
 * alone */
static void
check_auth_map(const struct conf *c)
{
	const char *file = strncmp(var_auth_users_map, "hash:", 5) == 0 ?
	    var_auth_users_map + 5 : NULL;
	struct passwd *pw = geteuid() == 0 ? getpwnam(var_auth_owner) : NULL;
	struct stat st;

	if (file == NULL || stat(file, &st) < 0)
		return;		/* check_map reports a missing table */
	if ((st.st_mode & 077) != 0)
		problem(c, "auth_users_map", "%s: mode %04o: others can read "
		    "password verifiers and wrapped keys (chmod 600)", file,
		    (unsigned)(st.st_mode & 07777));
	if (pw != NULL && st.st_uid != pw->pw_uid)
		problem(c, "auth_users_map", "%s: owned by uid %ld, not %s "
		    "(auth_owner)", file, (long)st.st_uid, pw->pw_name);
}

/* check_file_private - config files must not be writable by others */
static void
check_config_file(const struct conf *c, const char *name)
{
	char *path = xasprintf("%s/%s", cli_config_dir, name);
	struct stat st;

	if (stat(path, &st) == 0 && (st.st_mode & 022) != 0)
		problem(c, NULL, "%s: mode %04o: writable by others, who could "
		    "then run commands as root", path,
		    (unsigned)(st.st_mode & 07777));
	free(path);
}

/* dkim_published - compare one key with its TXT record: NULL when they
 * match, else what differs (into why) */
static const char *
dkim_published(const struct cli_dkim_key *k, const char *name,
    struct buf *why)
{
	struct buf rec = BUF_INIT, want = BUF_INIT, got = BUF_INIT;
	struct dns_reply r;
	char *txt, *found = NULL;
	size_t n = 0;

	buf_reset(why);
	dns_query(name, ns_t_txt, &r);
	if (r.status == DNS_TEMPFAIL) {
		buf_printf(why, "no DNS answer (dns_resolvers), not checked");
		dns_reply_free(&r);
		return buf_cstr(why);
	}
	/* The key records among the TXT records (RFC 6376 3.6.2.2). */
	for (size_t i = 0; (txt = dns_txt(&r, i)) != NULL; i++) {
		if (dkim_record_tag(txt, "p", &got) == 1 && n++ == 0)
			found = txt;
		else
			free(txt);
	}
	dns_reply_free(&r);
	if (dkim_record(&k->key, &rec) < 0 ||
	    dkim_key_public(&k->key, &want) < 0)
		buf_printf(why, "cannot make the record");
	else if (found == NULL)
		buf_printf(why, "no DKIM record published");
	else if (n > 1)
		buf_printf(why, "%zu DKIM records (one, please)", n);
	if (why->len == 0) {
		/* k= defaults to rsa (RFC 6376 3.6.1). */
		if (dkim_record_tag(found, "k", &got) == 0)
			buf_puts(&got, "rsa");
		if (strcmp(buf_cstr(&got), dkim_alg_name(k->key.alg)) != 0)
			buf_printf(why, "k=%s published, the key is %s",
			    buf_cstr(&got), dkim_alg_name(k->key.alg));
		else if (dkim_record_tag(found, "p", &got) == 1 &&
		    got.len == 0)
			buf_printf(why, "the published key is revoked (empty "
			    "p=)");
		else if (strcmp(buf_cstr(&got), buf_cstr(&want)) != 0)
			buf_printf(why, "the published p= is not this key's");
	}
	if (why->len > 0 && found != NULL)
		buf_printf(why, "; published: \"%.60s%s\"", found,
		    strlen(found) > 60 ? "..." : "");
	if (why->len > 0)
		buf_printf(why, "; publish: \"%s\"", buf_cstr(&rec));
	free(found);
	buf_free(&rec);
	buf_free(&want);
	buf_free(&got);
	return why->len > 0 ? buf_cstr(why) : NULL;
}

/* check_dkim_key - one DKIM key: private, loads, published as it is */
static void
check_dkim_key(const struct cli_dkim_key *k, const char *why, void *ctx)
{
	struct passwd *pw = geteuid() == 0 ? getpwnam(var_crypt_owner) : NULL;
	struct buf text = BUF_INIT;
	char *name;
	struct stat st;

	if (stat(k->path, &st) < 0)
		return;		/* gone since the walk saw it */
	if (why == NULL && k->current)
		buf_printf(ctx, "\n%s\n", k->domain);
	if ((st.st_mode & 077) != 0) {
		fprintf(stderr, "%s: mode %04o: others can read the DKIM key "
		    "(chmod 600)\n", k->path, (unsigned)(st.st_mode & 07777));
		problems++;
	}
	if (pw != NULL && st.st_uid != pw->pw_uid) {
		fprintf(stderr, "%s: owned by uid %ld, not %s (crypt_owner)\n",
		    k->path, (long)st.st_uid, pw->pw_name);
		problems++;
	}
	if (why != NULL) {
		fprintf(stderr, "%s: %s%s\n", k->path, why, k->current ?
		    " (it is current: cryptd cannot sign with it)" : "");
		problems++;
		return;
	}
	name = xasprintf("%s._domainkey.%s", k->selector, k->domain);
	why = dkim_published(k, name, &text);
	if (why != NULL && strncmp(why, "no DNS answer", 13) == 0) {
		fprintf(stderr, "%s: warning: %s: %s\n", k->path, name, why);
	} else if (why != NULL && k->current) {
		fprintf(stderr, "%s: %s: %s\n", k->path, name, why);
		problems++;
	} else if (why != NULL) {
		/* Not signing yet: publishing comes first. */
		fprintf(stderr, "%s: note: not current, and %s: %s\n",
		    k->path, name, why);
	}
	buf_free(&text);
	free(name);
}

/* unsigned_domain - note a local domain without a current DKIM key */
static int
unsigned_domain(const char *key, size_t klen, const void *value,
    size_t vlen, void *ctx)
{
	char *probe = xasprintf("\n%.*s\n", (int)klen, key);

	(void)value;
	(void)vlen;
	if (strstr(buf_cstr(ctx), probe) == NULL)
		fprintf(stderr, "note: local domain %.*s has no DKIM key: its "
		    "mail goes out unsigned (postern dkim keygen %.*s "
		    "SELECTOR)\n", (int)klen, key, (int)klen, key);
	free(probe);
	return 0;
}

/* check_dkim - every DKIM key against DNS, through dns_resolvers; local
 * domains without one */
static void
check_dkim(const struct conf *c)
{
	struct buf signing = BUF_INIT;
	const char *why;
	struct map *m;

	if (dns_setup(var_dns_resolvers, (unsigned)var_dns_timeout,
	    &why) < 0) {
		problem(c, "dns_resolvers", "dns_resolvers: %s", why);
		return;
	}
	buf_puts(&signing, "\n");
	(void)cli_dkim_walk(NULL, check_dkim_key, &signing);
	if ((m = map_open(var_local_domains_map, MAP_RDONLY, &why)) != NULL)
		(void)map_iterate(m, unsigned_domain, &signing);
	map_close(&m);
	buf_free(&signing);
}

/* check_commands - every service's program exists and is executable */
static void
check_commands(const struct svc_table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct svc *s = &t->svcs[i];
		char *path = s->command[0] == '/' ? xstrdup(s->command) :
		    xasprintf("%s/%s", var_daemon_dir, s->command);

		if (access(path, X_OK) < 0) {
			fprintf(stderr, "%s: service '%s': command %s: %s\n",
			    s->origin, s->name, path, strerror(errno));
			problems++;
		}
		free(path);
	}
}

int
cmd_check(int argc, char **argv)
{
	struct conf *c;
	struct svc_table t;

	if (cli_load(&c, &t, true) < 0) {
		fprintf(stderr, "postern check: the configuration has errors "
		    "(above)\n");
		return 1;
	}
	check_config_file(c, "postern.conf");
	check_config_file(c, "master.conf");
	check_dir(c, "daemon_directory", 07777, NULL);
	check_dir(c, "queue_directory", 0755, "mail_owner");
	check_dir(c, "store_directory", 0700, "store_owner");
	check_dir(c, "auth_directory", 0700, "auth_owner");
	check_dir(c, "key_directory", 0700, "crypt_owner");
	check_queue(c);
	check_map(c, "local_domains_map", var_local_domains_map);
	check_map(c, "local_users_map", var_local_users_map);
	check_map(c, "alias_map", var_alias_map);
	check_map(c, "auth_users_map", var_auth_users_map);
	check_auth_map(c);
	check_smtp(c);
	check_expire(c);
	check_tls(c);
	check_dkim(c);
	check_commands(&t);
	svc_table_free(&t);
	conf_free(&c);
	if (problems > 0) {
		fprintf(stderr, "postern check: %d problem%s found\n",
		    problems, problems == 1 ? "" : "s");
		return 1;
	}
	printf("postern check: %s is OK\n", cli_config_dir);
	return 0;
}
