/*
 * NAME
 *	userkey_test - verifier, wrapping, records, recovery keys
 */
#include <string.h>

#include "mail/userkey.h"
#include "util/test.h"

static void
test_password_and_record(void)
{
	struct userkey u = { .enabled = true, .created = 1, .quota = 5,
	    .ops = crypto_pwhash_OPSLIMIT_MIN, .mem = 8 * 1024 * 1024 };
	struct userkey back;
	uint8_t sk[USERKEY_SK_LEN], out[USERKEY_SK_LEN], *d;
	struct buf b = BUF_INIT;

	TEST_BEGIN("userkey: one derivation checks and unwraps");
	crypto_box_keypair(u.pk, sk);
	CHECK(userkey_set_password(&u, "bob@x.test", "secret", 6, sk) == 0);
	CHECK(userkey_encode(&u, &b) == 0);
	CHECK(strstr(buf_cstr(&b), "secret") == NULL);
	CHECK(userkey_decode(buf_cstr(&b), &back) == 0);
	CHECK(back.enabled && back.quota == 5 && !back.has_recovery);
	d = userkey_derive(&back, "secret", 6);
	CHECK(d != NULL && userkey_check(&back, d));
	CHECK(userkey_unwrap(back.wrap, d + USERKEY_HALF, "bob@x.test", out)
	    == 0 && memcmp(out, sk, sizeof(sk)) == 0);
	/* The wrapped key is bound to its address. */
	CHECK(userkey_unwrap(back.wrap, d + USERKEY_HALF, "eve@x.test",
	    out) == -1);
	sodium_free(d);
	d = userkey_derive(&back, "Secret", 6);
	CHECK(d != NULL && !userkey_check(&back, d));
	CHECK(userkey_unwrap(back.wrap, d + USERKEY_HALF, "bob@x.test", out)
	    == -1);
	sodium_free(d);
	CHECK(userkey_decode("v=1 enabled=yes", &back) == -1);
	buf_free(&b);
	TEST_END();
}

static void
test_recovery(void)
{
	uint8_t rec[USERKEY_RECOVERY_LEN], back[USERKEY_RECOVERY_LEN];
	uint8_t kek[USERKEY_HALF], sk[USERKEY_SK_LEN], out[USERKEY_SK_LEN];
	uint8_t wrapped[USERKEY_WRAP_LEN];
	char text[80];

	TEST_BEGIN("userkey: recovery keys print and parse back");
	randombytes_buf(rec, sizeof(rec));
	randombytes_buf(sk, sizeof(sk));
	userkey_recovery_text(rec, text);
	CHECK(strlen(text) == 71);
	CHECK(userkey_recovery_parse(text, back) == 0 &&
	    memcmp(rec, back, sizeof(rec)) == 0);
	CHECK(userkey_recovery_parse("12-34", back) == -1);
	userkey_recovery_kek(rec, kek);
	userkey_wrap(sk, kek, "a@b", wrapped);
	CHECK(userkey_unwrap(wrapped, kek, "a@b", out) == 0 &&
	    memcmp(out, sk, sizeof(sk)) == 0);
	TEST_END();
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_password_and_record();
	test_recovery();
	return test_exit();
}
