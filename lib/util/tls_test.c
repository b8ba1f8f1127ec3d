/*
 * NAME
 *	tls_test - unit tests for TLS contexts and the self-signed pair
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/err.h>

#include "util/tls.h"
#include "util/test.h"

static char cert[256], key[256], cert2[256], key2[256];

/* test_selfsigned - the pair is written with safe modes */
static void
test_selfsigned(void)
{
	const char *why = NULL;
	struct stat st;

	TEST_BEGIN("tls: self-signed certificate and key");
	CHECK(tls_selfsigned_write(cert, key, "mx.example.test", &why) == 0);
	CHECK(stat(key, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK(stat(cert, &st) == 0 && (st.st_mode & 0777) == 0644);
	/* Never over an existing key. */
	CHECK(tls_selfsigned_write(cert, key, "mx.example.test", &why) == -1);
	CHECK(why != NULL && strstr(why, key) != NULL);
	CHECK(tls_selfsigned_write(cert2, key2, "other.test", &why) == 0);
	TEST_END();
}

/* test_handshake - a real handshake over a socketpair */
static void
test_handshake(void)
{
	struct tls_settings ss = { .cert_file = cert, .key_file = key };
	struct tls_settings cs = { .ca_file = cert };
	const char *why = NULL;
	SSL_CTX *sctx = tls_server_ctx_new(&ss, &why);
	SSL_CTX *cctx = tls_client_ctx_new(&cs, &why);
	int sp[2], status;
	pid_t pid;
	char desc[128];

	TEST_BEGIN("tls: handshake, version, verification");
	CHECK(sctx != NULL && cctx != NULL);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
	pid = fork();
	if (pid == 0) {
		SSL *s = SSL_new(sctx);

		SSL_set_fd(s, sp[1]);
		_exit(SSL_accept(s) == 1 && SSL_write(s, "hi", 2) == 2 ? 0 : 1);
	}
	{
		SSL *c = SSL_new(cctx);
		char b[4];

		SSL_set_fd(c, sp[0]);
		SSL_set_verify(c, SSL_VERIFY_PEER, NULL);
		SSL_set1_host(c, "mx.example.test");
		CHECK(SSL_connect(c) == 1);
		CHECK(SSL_version(c) >= TLS1_2_VERSION);
		CHECK(SSL_get_verify_result(c) == X509_V_OK);
		CHECK(SSL_read(c, b, sizeof(b)) == 2);
		tls_describe(c, desc, sizeof(desc));
		CHECK(strncmp(desc, "TLSv1.3 with cipher TLS_", 24) == 0);
		SSL_free(c);
	}
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0);
	close(sp[0]);
	close(sp[1]);
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
	TEST_END();
}

/* test_refusals - weak versions, bad files, mismatched pairs */
static void
test_refusals(void)
{
	static const struct {
		const char *min;
		const char *expect;
	} versions[] = {
		{ "TLSv1.1", "tls_min_version TLSv1.1 is not allowed" },
		{ "TLSv1", "tls_min_version TLSv1 is not allowed" },
		{ "SSLv3", "tls_min_version SSLv3 is not allowed" },
		{ "", "is not allowed" },
	};
	struct tls_settings s = { .cert_file = cert, .key_file = key };
	const char *why;
	char expect[600];
	SSL_CTX *ctx;

	TEST_BEGIN("tls: refusals name the problem");
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		why = "";
		s.min_version = versions[i].min;
		ctx = tls_server_ctx_new(&s, &why);
		CHECK_IDX(ctx == NULL, i);
		CHECK_IDX(strstr(why, versions[i].expect) != NULL, i);
	}
	s.min_version = "TLSv1.3";
	ctx = tls_server_ctx_new(&s, &why);
	CHECK(ctx != NULL && SSL_CTX_get_min_proto_version(ctx) ==
	    TLS1_3_VERSION);
	SSL_CTX_free(ctx);
	s.min_version = NULL;
	s.key_file = key2;
	CHECK(tls_server_ctx_new(&s, &why) == NULL);
	snprintf(expect, sizeof(expect), "private key %s does not match "
	    "certificate %s", key2, cert);
	CHECK_STR_EQ(why, expect);
	s.key_file = "/nonexistent/key.pem";
	CHECK(tls_server_ctx_new(&s, &why) == NULL);
	CHECK(strstr(why, "cannot load private key /nonexistent/key.pem: No "
	    "such file") != NULL);
	s.key_file = key;
	s.cert_file = "/nonexistent/cert.pem";
	CHECK(tls_server_ctx_new(&s, &why) == NULL);
	CHECK(strstr(why, "/nonexistent/cert.pem") != NULL);
	s.cert_file = cert;
	s.ciphers = "NO-SUCH-CIPHER";
	CHECK(tls_server_ctx_new(&s, &why) == NULL);
	CHECK(strstr(why, "selects no cipher") != NULL);
	TEST_END();
}

int
main(void)
{
	const char *dir = test_tmpdir();

	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	snprintf(cert2, sizeof(cert2), "%s/cert2.pem", dir);
	snprintf(key2, sizeof(key2), "%s/key2.pem", dir);
	test_selfsigned();
	test_handshake();
	test_refusals();
	return test_exit();
}
