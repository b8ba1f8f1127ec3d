/*
 * NAME
 *	tls - OpenSSL contexts and certificates
 * DESCRIPTION
 *	Server contexts: TLS 1.2 or newer, server cipher preference, no
 *	compression or renegotiation, and SSL_MODE_RELEASE_BUFFERS so that
 *	idle sessions hold no buffers (issue: 10,000 idle IMAP clients).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "util/tls.h"

static char tls_error[512];

/* fail - format an error with OpenSSL's reason, if any */
static const char *
fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static const char *
fail(const char *fmt, ...)
{
	unsigned long e = ERR_peek_last_error();
	char reason[256] = "";
	va_list ap;
	int n;

	if (e != 0) {
		ERR_error_string_n(e, reason, sizeof(reason));
		ERR_clear_error();
	}
	va_start(ap, fmt);
	n = vsnprintf(tls_error, sizeof(tls_error), fmt, ap);
	va_end(ap);
	if (reason[0] != '\0' && n > 0 && (size_t)n < sizeof(tls_error))
		snprintf(tls_error + n, sizeof(tls_error) - (size_t)n, " (%s)",
		    reason);
	return tls_error;
}

/* set_versions - the protocol floor and the cipher lists */
static int
set_versions(SSL_CTX *ctx, const struct tls_settings *s, const char **error_r)
{
	const char *v = s->min_version != NULL ? s->min_version : "TLSv1.2";
	int min;

	if (strcmp(v, "TLSv1.2") == 0)
		min = TLS1_2_VERSION;
	else if (strcmp(v, "TLSv1.3") == 0)
		min = TLS1_3_VERSION;
	else {
		*error_r = fail("tls_min_version %s is not allowed: use TLSv1.2 "
		    "or TLSv1.3", v);
		return -1;
	}
	if (!SSL_CTX_set_min_proto_version(ctx, min)) {
		*error_r = fail("cannot set TLS version %s", v);
		return -1;
	}
	if (s->ciphers != NULL && s->ciphers[0] != '\0' &&
	    !SSL_CTX_set_cipher_list(ctx, s->ciphers)) {
		*error_r = fail("tls_ciphers \"%s\" selects no cipher",
		    s->ciphers);
		return -1;
	}
	if (s->ciphersuites != NULL && s->ciphersuites[0] != '\0' &&
	    !SSL_CTX_set_ciphersuites(ctx, s->ciphersuites)) {
		*error_r = fail("tls_ciphersuites \"%s\" is not valid",
		    s->ciphersuites);
		return -1;
	}
	return 0;
}

/* load_pair - certificate chain and matching key */
static int
load_pair(SSL_CTX *ctx, const struct tls_settings *s, const char **error_r)
{
	if (access(s->cert_file, R_OK) < 0) {
		*error_r = fail("cannot load certificate %s: %s", s->cert_file,
		    strerror(errno));
		return -1;
	}
	if (!SSL_CTX_use_certificate_chain_file(ctx, s->cert_file)) {
		*error_r = fail("cannot load certificate %s", s->cert_file);
		return -1;
	}
	if (access(s->key_file, R_OK) < 0) {
		*error_r = fail("cannot load private key %s: %s", s->key_file,
		    strerror(errno));
		return -1;
	}
	/* OpenSSL 3 checks the pair when the key is loaded. */
	if (!SSL_CTX_use_PrivateKey_file(ctx, s->key_file,
	    SSL_FILETYPE_PEM) &&
	    ERR_GET_REASON(ERR_peek_last_error()) !=
	    X509_R_KEY_VALUES_MISMATCH) {
		*error_r = fail("cannot load private key %s", s->key_file);
		return -1;
	}
	if (!SSL_CTX_check_private_key(ctx)) {
		ERR_clear_error();
		snprintf(tls_error, sizeof(tls_error), "private key %s does "
		    "not match certificate %s", s->key_file, s->cert_file);
		*error_r = tls_error;
		return -1;
	}
	return 0;
}

SSL_CTX *
tls_server_ctx_new(const struct tls_settings *s, const char **error_r)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (ctx == NULL) {
		*error_r = fail("cannot create a TLS context");
		return NULL;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	if (set_versions(ctx, s, error_r) < 0 ||
	    load_pair(ctx, s, error_r) < 0) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

SSL_CTX *
tls_client_ctx_new(const struct tls_settings *s, const char **error_r)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL) {
		*error_r = fail("cannot create a TLS context");
		return NULL;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	if (set_versions(ctx, s, error_r) < 0 ||
	    (s->cert_file != NULL && s->key_file != NULL &&
	    load_pair(ctx, s, error_r) < 0)) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	if (s->ca_file != NULL &&
	    !SSL_CTX_load_verify_locations(ctx, s->ca_file, NULL)) {
		*error_r = fail("cannot load CA file %s", s->ca_file);
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* write_pem - write key or cert through a file created with mode */
static int
write_pem(const char *path, unsigned mode, EVP_PKEY *key, X509 *cert)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	FILE *fp;
	int ok;

	if (fd < 0)
		return -1;
	fp = fdopen(fd, "w");
	if (fp == NULL) {
		close(fd);
		return -1;
	}
	ok = key != NULL ? PEM_write_PrivateKey(fp, key, NULL, NULL, 0, NULL,
	    NULL) : PEM_write_X509(fp, cert);
	if (fflush(fp) != 0 || fsync(fd) < 0)
		ok = 0;
	if (fclose(fp) != 0)
		ok = 0;
	return ok ? 0 : -1;
}

int
tls_selfsigned_write(const char *cert_path, const char *key_path,
    const char *hostname, const char **error_r)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *name;
	X509_EXTENSION *ext = NULL;
	X509V3_CTX v3;
	char san[300];
	int rc = -1;

	if (key == NULL || x == NULL) {
		*error_r = fail("cannot generate a key");
		goto out;
	}
	snprintf(san, sizeof(san), "DNS:%s", hostname);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), (long)time(NULL));
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 10L * 365 * 86400);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)hostname, -1, -1, 0);
	X509_set_issuer_name(x, name);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);
	if (ext == NULL || !X509_add_ext(x, ext, -1) ||
	    !X509_sign(x, key, EVP_sha256())) {
		*error_r = fail("cannot make a certificate for %s", hostname);
		goto out;
	}
	if (write_pem(key_path, 0600, key, NULL) < 0) {
		*error_r = fail("cannot write %s: %s", key_path,
		    strerror(errno));
		goto out;
	}
	if (write_pem(cert_path, 0644, NULL, x) < 0) {
		*error_r = fail("cannot write %s: %s", cert_path,
		    strerror(errno));
		goto out;
	}
	rc = 0;
out:
	X509_EXTENSION_free(ext);
	X509_free(x);
	EVP_PKEY_free(key);
	return rc;
}

const char *
tls_describe(SSL *ssl, char *out, size_t size)
{
	const SSL_CIPHER *c = SSL_get_current_cipher(ssl);
	int alg = 0, bits = c != NULL ? SSL_CIPHER_get_bits(c, &alg) : 0;

	snprintf(out, size, "%s with cipher %s (%d/%d bits)",
	    SSL_get_version(ssl), c != NULL ? SSL_CIPHER_get_name(c) : "none",
	    bits, alg);
	return out;
}
