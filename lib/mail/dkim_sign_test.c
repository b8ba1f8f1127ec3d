/*
 * NAME
 *	dkim_sign_test - relaxed canonicalization, header selection, the
 *	RFC 8463 example signature, in any chunking
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "mail/dkim_sign.h"
#include "mail/proto_crypt.h"
#include "util/ipc.h"
#include "util/test.h"

/* RFC 8463 A.3: the message, without its two signatures. */
static const char rfc8463_msg[] =
    "From: Joe SixPack <joe@football.example.com>\r\n"
    "To: Suzie Q <suzie@shopping.example.net>\r\n"
    "Subject: Is dinner ready?\r\n"
    "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
    "Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
    "\r\n"
    "Hi.\r\n"
    "\r\n"
    "We lost the game.  Are you hungry yet?\r\n"
    "\r\n"
    "Joe.\r\n";
/* Its Ed25519 signature field, b= emptied for hashing (RFC 6376 3.7). */
static const char rfc8463_sig[] =
    "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n"
    " d=football.example.com; i=@football.example.com;\r\n"
    " q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n"
    " subject : date : message-id : from : subject : date;\r\n"
    " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
    " b=";
static const char rfc8463_hlist[] =
    "from : to : subject : date : message-id : from : subject : date";
static const char rfc8463_seed[] =
    "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";
static const char rfc8463_pub[] =
    "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
static const char rfc8463_b[] =
    "/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11BusFa3bT3FY5OsU7"
    "ZbnKELq+eXdp1Q1Dw==";

static void
b64(const uint8_t *p, size_t n, char *out, size_t size)
{
	sodium_bin2base64(out, size, p, n, sodium_base64_VARIANT_ORIGINAL);
}

/* feed - the whole message in chunks of step bytes */
static struct dkim_signer *
feed(const char *msg, size_t len, size_t step)
{
	struct dkim_signer *s = dkim_signer_new();
	const char *why;

	for (size_t o = 0; o < len; o += step)
		dkim_signer_update(s, msg + o, len - o < step ? len - o : step);
	CHECK(dkim_signer_finish(s, &why) == 0);
	return s;
}

static void
test_canon_header(void)
{
	static const struct {
		const char *in, *want;
	} t[] = {
		{ "", ":\r\n" },
		{ "X:", "x:\r\n" },
		{ "Subject: hello", "subject:hello\r\n" },
		/* RFC 6376 3.4.6 example, both fields */
		{ "A: X", "a:X\r\n" },
		{ "B : Y\t\r\n\tZ  ", "b:Y Z\r\n" },
		{ "SUBJECT \t:\t  two  \t words \r\n  folded\t ",
		    "subject:two words folded\r\n" },
		{ "To: <a@b>,\r\n <c@d>", "to:<a@b>, <c@d>\r\n" },
		{ "X-Empty:   \r\n  ", "x-empty:\r\n" },
	};

	TEST_BEGIN("dkim_canon_header");
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct buf b = BUF_INIT;

		dkim_canon_header(t[i].in, strlen(t[i].in), &b);
		CHECK_IDX(strcmp(buf_cstr(&b), t[i].want) == 0, i);
		buf_free(&b);
	}
	TEST_END();
}

static void
test_canon_body(void)
{
	static const struct {
		const char *in, *want;
	} t[] = {
		{ "", "" },
		{ "\r\n", "" },
		{ "\r\n\r\n\r\n", "" },
		{ " \t \r\n", "" },
		{ "x", "x\r\n" },			/* CRLF added */
		/* RFC 6376 3.4.6 example body */
		{ " C \r\nD \t E\r\n\r\n\r\n", " C\r\nD E\r\n" },
		{ "a\r\n\r\nb\r\n\r\n", "a\r\n\r\nb\r\n" },
		{ "a  \r\n \r\nb", "a\r\n\r\nb\r\n" },
		{ "a\rb\r\n", "a\rb\r\n" },		/* bare CR kept */
		{ "a\r", "a\r\r\n" },
		{ "tab\there\r\n", "tab here\r\n" },
	};

	TEST_BEGIN("dkim_canon_body");
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct buf b = BUF_INIT;

		dkim_canon_body(t[i].in, strlen(t[i].in), &b);
		CHECK_IDX(strcmp(buf_cstr(&b), t[i].want) == 0, i);
		buf_free(&b);
	}
	TEST_END();
}

static void
test_rfc8463(void)
{
	uint8_t seed[32], pk[32], sk[64], bh[32], digest[32], sig[64];
	char text[128];
	size_t n;

	TEST_BEGIN("RFC 8463 A.3: bh=, header hash, Ed25519 b=");
	CHECK(sodium_base642bin(seed, sizeof(seed), rfc8463_seed,
	    strlen(rfc8463_seed), NULL, &n, NULL,
	    sodium_base64_VARIANT_ORIGINAL) == 0 && n == 32);
	crypto_sign_seed_keypair(pk, sk, seed);
	b64(pk, 32, text, sizeof(text));
	CHECK_STR_EQ(text, rfc8463_pub);
	for (size_t step = 1; step <= sizeof(rfc8463_msg); step += 7) {
		struct dkim_signer *s = feed(rfc8463_msg,
		    sizeof(rfc8463_msg) - 1, step);

		CHECK_STR_EQ(dkim_signer_domain(s), "football.example.com");
		dkim_signer_body_hash(s, bh);
		b64(bh, 32, text, sizeof(text));
		CHECK_STR_EQ(text, "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=");
		dkim_header_digest(s, rfc8463_hlist, rfc8463_sig,
		    sizeof(rfc8463_sig) - 1, digest);
		crypto_sign_detached(sig, NULL, digest, 32, sk);
		b64(sig, 64, text, sizeof(text));
		CHECK_STR_EQ(text, rfc8463_b);
		dkim_signer_free(&s);
		CHECK(s == NULL);
	}
	TEST_END();
}

/* A message with two To:, folded fields and a signature of ours. */
static const char msg2[] =
    "Received: from x by y\r\n"
    "From: \"Doe, Jane\" <Jane@Example.TEST>\r\n"
    "To: a@example.net\r\n"
    "Subject: a long\r\n"
    "  subject\r\n"
    "to: b@example.net\r\n"
    "X-Other: not signed\r\n"
    "\r\n"
    "body  text \r\n"
    "\r\n";

static void
test_field(void)
{
	struct dkim_signer *s = feed(msg2, sizeof(msg2) - 1, 5);
	struct buf f = BUF_INIT, want = BUF_INIT;
	uint8_t digest[32], again[32], sig[64];
	const char *h;

	TEST_BEGIN("dkim_signer_field: tags, h= with From oversigned");
	CHECK_STR_EQ(dkim_signer_domain(s), "example.test");
	dkim_signer_field(s, DKIM_ED25519, "sel-ed25519", 1700000000, &f,
	    digest);
	CHECK(strncmp(buf_cstr(&f), "DKIM-Signature: v=1; a=ed25519-sha256; "
	    "c=relaxed/relaxed; d=example.test;", 73) == 0);
	CHECK(strstr(buf_cstr(&f), "s=sel-ed25519;") != NULL);
	CHECK(strstr(buf_cstr(&f), "t=1700000000;") != NULL);
	h = strstr(buf_cstr(&f), "h=");
	CHECK(h != NULL && strncmp(h, "h=from:from:subject:to:to;", 26) == 0);
	CHECK(strstr(buf_cstr(&f), "received") == NULL);
	CHECK(strstr(buf_cstr(&f), "x-other") == NULL);
	CHECK(f.len > 4 && strcmp(buf_cstr(&f) + f.len - 5, "\r\n\tb=") == 0);
	/* No line longer than the fold column. */
	for (const char *p = buf_cstr(&f), *e; (e = strstr(p, "\r\n")) !=
	    NULL || *p != '\0'; p = e + 2) {
		if (e == NULL)
			e = p + strlen(p);
		CHECK(e - p <= 76);
		if (*e == '\0')
			break;
	}
	/* The digest is that of the field's own h= list. */
	dkim_header_digest(s, "from:from:subject:to:to", (const char *)f.data,
	    f.len, again);
	CHECK(memcmp(digest, again, 32) == 0);
	/* Signing appends the folded b= and CRLF. */
	memset(sig, 0xab, sizeof(sig));
	dkim_field_sign(&f, sig, sizeof(sig));
	CHECK(strcmp(buf_cstr(&f) + f.len - 2, "\r\n") == 0);
	CHECK(strstr(buf_cstr(&f), "\r\n\tb=q6ur") != NULL);
	buf_free(&f);
	buf_free(&want);
	dkim_signer_free(&s);
	TEST_END();
}

static void
test_domain(void)
{
	static const struct {
		const char *msg, *domain;
	} t[] = {
		{ "From: a@b.test\r\n\r\n", "b.test" },
		{ "from :  A <X@Sub.B.Test> (c)\r\n\r\nbody", "sub.b.test" },
		{ "From: a@b.test\r\nFrom: c@d.test\r\n\r\n", NULL },
		{ "From: a@b.test, c@d.test\r\n\r\n", NULL },
		{ "From: group: a@b.test;\r\n\r\n", NULL },
		{ "From: nobody\r\n\r\n", NULL },
		{ "To: a@b.test\r\n\r\n", NULL },
		{ "From: a@b..test\r\n\r\n", NULL },
		{ "From: a@[192.0.2.1]\r\n\r\n", NULL },
		{ "", NULL },
		{ "From: a@b.test", "b.test" },		/* no body at all */
	};

	TEST_BEGIN("dkim_signer_domain: the one From: address");
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct dkim_signer *s = feed(t[i].msg, strlen(t[i].msg), 3);
		const char *d = dkim_signer_domain(s);

		if (t[i].domain == NULL)
			CHECK_IDX(d == NULL, i);
		else
			CHECK_IDX(d != NULL && strcmp(d, t[i].domain) == 0, i);
		dkim_signer_free(&s);
	}
	TEST_END();
}

static void
test_limits(void)
{
	struct dkim_signer *s = dkim_signer_new();
	char line[1000];
	const char *why = NULL;
	char err[128];
	struct buf out = BUF_INIT;

	TEST_BEGIN("a header over DKIM_HEADER_MAX is not signed");
	memset(line, 'x', sizeof(line));
	memcpy(line, "X-A: ", 5);
	memcpy(line + sizeof(line) - 2, "\r\n", 2);
	dkim_signer_update(s, "From: a@b.test\r\n", 16);
	for (size_t i = 0; i <= DKIM_HEADER_MAX / sizeof(line); i++)
		dkim_signer_update(s, line, sizeof(line));
	dkim_signer_update(s, "\r\nbody\r\n", 8);
	CHECK(dkim_signer_finish(s, &why) == -1);
	CHECK(why != NULL && strstr(why, "too large") != NULL);
	CHECK(dkim_signer_end(s, -1, &out, err, sizeof(err)) == -1);
	CHECK(strstr(err, "too large") != NULL);
	CHECK(out.len == 0);
	dkim_signer_free(&s);
	TEST_END();

	TEST_BEGIN("no From: means nothing to sign, without asking cryptd");
	s = dkim_signer_new();
	dkim_signer_update(s, "To: a@b.test\r\n\r\nx\r\n", 19);
	CHECK(dkim_signer_end(s, -1, &out, err, sizeof(err)) == 1);
	CHECK(strstr(err, "From:") != NULL);
	dkim_signer_free(&s);
	dkim_signer_free(&s);		/* twice is harmless */
	TEST_END();
}

enum fake { FAKE_OK, FAKE_NOKEY, FAKE_STALE, FAKE_REFUSE, FAKE_GONE };

/* fake_cryptd - answer DKIM_KEYS and DKIM_SIGN with the RFC 8463 key */
static void
fake_cryptd(int fd, enum fake how, const uint8_t sk[64])
{
	const char *why, *sel;
	const uint8_t *d;
	uint8_t sig[64];
	size_t dlen;
	int signs = 0;

	if (ipc_sync_hello(fd, CRYPT_PROTO, CRYPT_MAJOR, CRYPT_MINOR, 5000,
	    &why) < 0)
		_exit(1);
	for (;;) {
		struct ipc_msg m, r;
		const char *err = NULL;

		if (ipc_sync_recv(fd, &m, IPC_MAX_FRAME, 5000, &why) < 0)
			_exit(0);
		if (how == FAKE_GONE)
			_exit(0);
		ipc_msg_init(&r, CRYPT_T_REPLY);
		if (ipc_put_u64(&r, "id", 1) < 0)
			_exit(1);
		if (m.type == CRYPT_T_DKIM_KEYS && how != FAKE_NOKEY) {
			if (ipc_put_str(&r, "ed25519_selector", "brisbane") < 0)
				_exit(1);
		} else if (m.type == CRYPT_T_DKIM_SIGN) {
			if (how == FAKE_REFUSE ||
			    (how == FAKE_STALE && signs++ == 0))
				err = how == FAKE_REFUSE ? "cannot sign" :
				    "selector is not current";
			else if (ipc_get_str(&m, "ed25519_selector",
			    IPC_REQUIRED, &sel) < 0 || ipc_get_bytes(&m,
			    "ed25519_digest", IPC_REQUIRED, &d, &dlen) < 0 ||
			    dlen != 32 || ipc_get_str(&m, "rsa_selector",
			    IPC_OPTIONAL, &sel) != 0)
				err = "malformed request";
			else if (crypto_sign_detached(sig, NULL, d, 32,
			    sk) != 0 || ipc_put_bytes(&r, "ed25519_signature",
			    sig, 64) < 0)
				_exit(1);
		}
		if (ipc_put_u64(&r, "status", err == NULL ? IPC_OK :
		    IPC_EFAIL) < 0 || (err != NULL && ipc_put_str(&r, "error",
		    err) < 0) || ipc_sync_send(fd, &r, 5000) < 0)
			_exit(1);
		ipc_msg_free(&r);
		ipc_msg_free(&m);
	}
}

/* check_signed - the one field in out verifies with pk */
static bool
check_signed(struct dkim_signer *s, const struct buf *out,
    const uint8_t pk[32])
{
	const char *f = buf_cstr(out), *b = strstr(f, "\r\n\tb="), *h;
	char hlist[512], b64[200];
	uint8_t digest[32], sig[64];
	size_t n = 0, len;

	if (b == NULL || (h = strstr(f, " h=")) == NULL)
		return false;
	len = strcspn(h + 3, ";");
	snprintf(hlist, sizeof(hlist), "%.*s", (int)len, h + 3);
	for (const char *p = b + 5; *p != '\0' && n + 1 < sizeof(b64); p++)
		if (strchr(" \t\r\n", *p) == NULL)
			b64[n++] = *p;
	b64[n] = '\0';
	dkim_header_digest(s, hlist, f, (size_t)(b - f) + 5, digest);
	return sodium_base642bin(sig, sizeof(sig), b64, n, NULL, &len, NULL,
	    sodium_base64_VARIANT_ORIGINAL) == 0 && len == 64 &&
	    crypto_sign_verify_detached(sig, digest, 32, pk) == 0;
}

static void
test_cryptd(void)
{
	static const struct {
		enum fake how;
		int rc;
		const char *err;
	} t[] = {
		{ FAKE_OK, 0, "" },
		{ FAKE_NOKEY, 1, "no DKIM key for football.example.com" },
		{ FAKE_STALE, 0, "" },
		{ FAKE_REFUSE, -1, "cryptd: cannot sign" },
		{ FAKE_GONE, -1, "cryptd: " },
	};
	uint8_t seed[32], pk[32], sk[64];
	size_t n;

	TEST_BEGIN("dkim_signer_end against a fake cryptd");
	CHECK(sodium_base642bin(seed, sizeof(seed), rfc8463_seed,
	    strlen(rfc8463_seed), NULL, &n, NULL,
	    sodium_base64_VARIANT_ORIGINAL) == 0);
	crypto_sign_seed_keypair(pk, sk, seed);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct dkim_signer *s = dkim_signer_new();
		struct buf out = BUF_INIT;
		char err[256];
		int sv[2], status, rc;
		const char *why;
		pid_t pid;

		CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
		if ((pid = fork()) == 0) {
			close(sv[0]);
			fake_cryptd(sv[1], t[i].how, sk);
			_exit(0);
		}
		close(sv[1]);
		CHECK(ipc_sync_hello(sv[0], CRYPT_PROTO, CRYPT_MAJOR,
		    CRYPT_MINOR, 5000, &why) == 0);
		buf_put(&out, "X", 1);
		dkim_signer_update(s, rfc8463_msg, sizeof(rfc8463_msg) - 1);
		rc = dkim_signer_end(s, sv[0], &out, err, sizeof(err));
		CHECK_IDX(rc == t[i].rc, i);
		CHECK_IDX(strncmp(err, t[i].err, strlen(t[i].err)) == 0, i);
		if (rc == 0) {
			struct buf one = BUF_INIT;

			CHECK_IDX(out.data[0] == 'X', i);
			buf_put(&one, out.data + 1, out.len - 1);
			CHECK_IDX(strstr(buf_cstr(&one), "s=brisbane;") !=
			    NULL, i);
			CHECK_IDX(check_signed(s, &one, pk), i);
			buf_free(&one);
		} else {
			CHECK_IDX(out.len == 1, i);	/* untouched */
		}
		close(sv[0]);
		CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
		    WEXITSTATUS(status) == 0);
		buf_free(&out);
		dkim_signer_free(&s);
	}
	TEST_END();
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_canon_header();
	test_canon_body();
	test_rfc8463();
	test_field();
	test_domain();
	test_limits();
	test_cryptd();
	return test_exit();
}
