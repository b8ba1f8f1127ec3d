/*
 * tls.h - OpenSSL server and client contexts with safe defaults.
 *
 * TLS 1.2 is the floor: a min_version below it is refused.  Errors are
 * sentences that name the file and OpenSSL's reason, in a static buffer
 * valid until the next call.
 */
#ifndef POSTERN_TLS_H
#define POSTERN_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>

struct tls_settings {
	const char *cert_file;		/* PEM chain (server: required) */
	const char *key_file;		/* PEM private key (server: required) */
	const char *ca_file;		/* roots for verifying peers, or NULL */
	const char *ciphers;		/* TLS 1.2 cipher list, or NULL */
	const char *ciphersuites;	/* TLS 1.3 suites, or NULL */
	const char *min_version;	/* "TLSv1.2" (NULL) or "TLSv1.3" */
};

/* tls_server_ctx_new - a server context, or NULL with *error_r. */
SSL_CTX *tls_server_ctx_new(const struct tls_settings *s,
    const char **error_r);
/* tls_client_ctx_new - a client context (cert/key optional), or NULL. */
SSL_CTX *tls_client_ctx_new(const struct tls_settings *s,
    const char **error_r);
/*
 * tls_selfsigned_write - a new EC P-256 key and a self-signed certificate
 * for hostname (subjectAltName DNS:hostname, ten years).  The key file is
 * created with mode 0600 and must not exist yet.  0, or -1 with *error_r.
 */
int tls_selfsigned_write(const char *cert_path, const char *key_path,
    const char *hostname, const char **error_r);
/* tls_describe - "TLSv1.3 with cipher X (256/256 bits)" for logs and
 * Received: headers. */
const char *tls_describe(SSL *ssl, char *out, size_t size);

#endif
