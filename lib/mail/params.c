/*
 * NAME
 *	params - the mail parameters of postern.conf
 * DESCRIPTION
 *	One row per parameter: name, type, default, variable, range, and the
 *	line that postern.conf(5) and `postern config -d` show.  The man
 *	page is checked against this table by the test suite.
 */
#include "paths.h"
#include "mail/params.h"
#include "util/daemon.h"

char *var_myhostname;
char *var_mydomain;
char *var_mail_owner;
char *var_store_owner;
char *var_auth_owner;
char *var_crypt_owner;
char *var_queue_dir;
char *var_store_dir;
char *var_auth_dir;
char *var_key_dir;
char *var_tls_cert_file;
char *var_tls_key_file;
char *var_tls_ciphers;
char *var_tls_ciphersuites;
char *var_tls_min_version;

const struct conf_def mail_params[] = {
	{ "myhostname", CONF_STR, "localhost", &var_myhostname, 0, 0,
	    "this host's fully qualified name, used in greetings" },
	{ "mydomain", CONF_STR, "localdomain", &var_mydomain, 0, 0,
	    "this host's mail domain" },
	{ "mail_owner", CONF_STR, "postern", &var_mail_owner, 0, 0,
	    "user of smtpd, qmgr and smtp" },
	{ "store_owner", CONF_STR, "postern-mail", &var_store_owner, 0, 0,
	    "user of local, imapd and pop3d, owner of the mail store" },
	{ "auth_owner", CONF_STR, "postern-auth", &var_auth_owner, 0, 0,
	    "user of authd, owner of the user database" },
	{ "crypt_owner", CONF_STR, "postern-crypt", &var_crypt_owner, 0, 0,
	    "user of cryptd, owner of the key directory" },
	{ "queue_directory", CONF_STR, POSTERN_SPOOL_DIR, &var_queue_dir, 0,
	    0, "the mail queue; chroot of smtpd, qmgr and smtp" },
	{ "store_directory", CONF_STR, POSTERN_STATE_DIR "/store",
	    &var_store_dir, 0, 0,
	    "the encrypted mail store; chroot of local, imapd and pop3d" },
	{ "auth_directory", CONF_STR, POSTERN_STATE_DIR "/auth",
	    &var_auth_dir, 0, 0, "the user database; chroot of authd" },
	{ "key_directory", CONF_STR, POSTERN_STATE_DIR "/keys",
	    &var_key_dir, 0, 0, "wrapped user keys and DKIM keys; chroot of "
	    "cryptd" },
	{ "tls_cert_file", CONF_STR, "$config_directory/tls/cert.pem",
	    &var_tls_cert_file, 0, 0, "server certificate chain (PEM)" },
	{ "tls_key_file", CONF_STR, "$config_directory/tls/key.pem",
	    &var_tls_key_file, 0, 0, "server private key (PEM, mode 0600)" },
	{ "tls_ciphers", CONF_STR,
	    "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!MD5:!SHA1",
	    &var_tls_ciphers, 0, 0, "OpenSSL cipher list for TLS 1.2" },
	{ "tls_ciphersuites", CONF_STR, "TLS_AES_256_GCM_SHA384:"
	    "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256",
	    &var_tls_ciphersuites, 0, 0, "OpenSSL cipher suites for TLS 1.3" },
	{ "tls_min_version", CONF_STR, "TLSv1.2", &var_tls_min_version, 0, 0,
	    "lowest TLS version offered: TLSv1.2 or TLSv1.3" },
	CONF_END
};

void
params_register(void)
{
	conf_register(daemon_params);
	conf_register(mail_params);
}
