/*
 * NAME
 *	dkim_key_test - make, load, sign, publish DKIM keys
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "mail/dkim_key.h"
#include "util/mem.h"
#include "util/test.h"

/* verify - check sig over digest with the public key of record p= */
static bool
verify(enum dkim_alg alg, const char *p, const uint8_t *digest,
    const uint8_t *sig, size_t siglen)
{
	uint8_t der[1024];
	const uint8_t *q = der;
	size_t n;
	EVP_PKEY *pk;
	EVP_PKEY_CTX *ctx;
	bool ok;

	if (sodium_base642bin(der, sizeof(der), p, strlen(p), NULL, &n, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0)
		return false;
	if (alg == DKIM_ED25519)
		return n == 32 && siglen == 64 &&
		    crypto_sign_verify_detached(sig, digest, 32, der) == 0;
	if ((pk = d2i_PUBKEY(NULL, &q, (long)n)) == NULL)
		return false;
	ctx = EVP_PKEY_CTX_new(pk, NULL);
	ok = ctx != NULL && EVP_PKEY_verify_init(ctx) == 1 &&
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
	    EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) == 1 &&
	    EVP_PKEY_verify(ctx, sig, siglen, digest, 32) == 1;
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pk);
	return ok;
}

static void
test_roundtrip(enum dkim_alg alg, unsigned bits)
{
	struct buf pem = BUF_INIT, rec = BUF_INIT, p = BUF_INIT,
	    k = BUF_INIT;
	struct dkim_key key = { 0 }, again = { 0 };
	uint8_t digest[32], sig[DKIM_SIG_MAX];
	size_t siglen = 0;
	const char *why = NULL;
	char *path;
	int fd;

	TEST_BEGIN(alg == DKIM_ED25519 ? "Ed25519: make, load, sign, verify" :
	    "RSA: make, load, sign, verify");
	CHECK(dkim_key_generate(alg, bits, &pem, &why) == 0);
	CHECK(strstr(buf_cstr(&pem), "-----BEGIN PRIVATE KEY-----") != NULL);
	path = xasprintf("%s/%s.pem", test_tmpdir(), dkim_alg_name(alg));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0 && write(fd, pem.data, pem.len) == (ssize_t)pem.len);
	close(fd);
	CHECK(dkim_key_load(path, &key, &why) == 0);
	CHECK(key.alg == alg);
	CHECK(dkim_key_parse(pem.data, pem.len, &again, &why) == 0);
	CHECK(dkim_record(&key, &rec) == 0);
	CHECK(strncmp(buf_cstr(&rec), alg == DKIM_ED25519 ?
	    "v=DKIM1; k=ed25519; p=" : "v=DKIM1; k=rsa; p=", alg ==
	    DKIM_ED25519 ? 22 : 18) == 0);
	CHECK(dkim_record_tag(buf_cstr(&rec), "p", &p) == 1);
	CHECK(dkim_record_tag(buf_cstr(&rec), "k", &k) == 1);
	CHECK_STR_EQ(buf_cstr(&k), dkim_alg_name(alg));
	randombytes_buf(digest, sizeof(digest));
	CHECK(dkim_key_sign(&key, digest, sig, &siglen) == 0);
	CHECK(siglen == (alg == DKIM_ED25519 ? 64 : bits / 8));
	CHECK(verify(alg, buf_cstr(&p), digest, sig, siglen));
	digest[0] ^= 1;
	CHECK(!verify(alg, buf_cstr(&p), digest, sig, siglen));
	dkim_key_free(&key);
	dkim_key_free(&key);		/* twice is harmless */
	dkim_key_free(&again);
	free(path);
	buf_free_wipe(&pem);
	buf_free(&rec);
	buf_free(&p);
	buf_free(&k);
	TEST_END();
}

static void
test_bad_keys(void)
{
	struct dkim_key key = { 0 };
	struct buf pem = BUF_INIT;
	const char *why = NULL;

	TEST_BEGIN("keys that do not load");
	CHECK(dkim_key_load("/nonexistent/x.pem", &key, &why) == -1);
	CHECK(dkim_key_parse("junk", 4, &key, &why) == -1);
	CHECK(why != NULL && strstr(why, "PEM") != NULL);
	CHECK(dkim_key_generate(DKIM_RSA, 512, &pem, &why) == -1);
	CHECK(dkim_key_generate(DKIM_RSA, 8192, &pem, &why) == -1);
	/* An X25519 key is neither kind. */
	{
		EVP_PKEY *x = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
		BIO *b = BIO_new(BIO_s_mem());
		char *d;
		long n;

		CHECK(PEM_write_bio_PrivateKey(b, x, NULL, NULL, 0, NULL,
		    NULL) == 1);
		n = BIO_get_mem_data(b, &d);
		CHECK(dkim_key_parse(d, (size_t)n, &key, &why) == -1);
		CHECK(why != NULL && strstr(why, "neither") != NULL);
		BIO_free(b);
		EVP_PKEY_free(x);
	}
	buf_free(&pem);
	TEST_END();
}

static void
test_names(void)
{
	static const struct {
		const char *s;
		bool ok;
	} t[] = {
		{ "", false },
		{ "example.test", true },
		{ "sel-2024_a", true },
		{ ".example", false },
		{ "example.", false },
		{ "a..b", false },
		{ "../etc", false },
		{ "a/b", false },
		{ "Upper", false },
		{ "a b", false },
	};

	char out[16];

	TEST_BEGIN("dkim_name_ok, dkim_name_lower");
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		CHECK_IDX(dkim_name_ok(t[i].s) == t[i].ok, i);
	CHECK(dkim_name_lower("Ex.TEST", out, sizeof(out)) &&
	    strcmp(out, "ex.test") == 0);
	CHECK(!dkim_name_lower("A.B", out, 3));		/* does not fit */
	CHECK(dkim_name_lower("A.B", out, 4));
	CHECK(!dkim_name_lower("a/b", out, sizeof(out)));
	CHECK(!dkim_name_lower("x", out, 0));
	TEST_END();
}

static void
test_record(void)
{
	struct buf out = BUF_INIT, v = BUF_INIT;
	char text[600];
	enum dkim_alg a;

	TEST_BEGIN("record text, zone line, tags");
	dkim_record_zone("example.test", "s1", "v=DKIM1; k=ed25519; p=AAA",
	    &out);
	CHECK_STR_EQ(buf_cstr(&out), "s1._domainkey.example.test. IN TXT "
	    "\"v=DKIM1; k=ed25519; p=AAA\"");
	buf_reset(&out);
	memset(text, 'p', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	dkim_record_zone("d.test", "s", text, &out);
	CHECK(strncmp(buf_cstr(&out), "s._domainkey.d.test. IN TXT ( \"pp",
	    33) == 0);
	CHECK(strstr(buf_cstr(&out), "\" \"") != NULL);
	CHECK(strcmp(buf_cstr(&out) + out.len - 2, " )") == 0);
	/* strings of 255, 255 and 89 */
	CHECK(out.len == strlen("s._domainkey.d.test. IN TXT ( )") +
	    3 * 3 + 599);
	CHECK(dkim_record_tag("v=DKIM1;k=rsa; p = AB\r\n CD ;t=s", "p",
	    &v) == 1);
	CHECK_STR_EQ(buf_cstr(&v), "ABCD");
	CHECK(dkim_record_tag("v=DKIM1; kk=x", "k", &v) == 0);
	CHECK(dkim_record_tag("v=DKIM1; p=", "p", &v) == 1);
	CHECK_STR_EQ(buf_cstr(&v), "");
	CHECK(dkim_alg_parse("ed25519", &a) == 0 && a == DKIM_ED25519);
	CHECK(dkim_alg_parse("rsa", &a) == 0 && a == DKIM_RSA);
	CHECK(dkim_alg_parse("dsa", &a) == -1);
	CHECK_STR_EQ(dkim_alg_sig(DKIM_RSA), "rsa-sha256");
	buf_free(&out);
	buf_free(&v);
	TEST_END();
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_roundtrip(DKIM_ED25519, 0);
	test_roundtrip(DKIM_RSA, 1024);
	test_bad_keys();
	test_names();
	test_record();
	return test_exit();
}
