/*
 * fuzz_addr.c - addr_parse_path (RFC 5321 paths).  The first byte picks
 * the flags; the rest is the path as it follows "MAIL FROM:".
 */
#include "fuzz.h"

#include "mail/addr.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mail_addr a;
	const char *why = NULL;
	char text[ADDR_PATH_MAX + 8];
	size_t used = 0;
	int flags;

	if (size < 1)
		return 0;
	flags = data[0] & (ADDR_UTF8 | ADDR_NULL_OK | ADDR_POSTMASTER |
	    ADDR_LAX);
	if (addr_parse_path((const char *)data + 1, size - 1, flags, &a, &used,
	    &why) == 0) {
		FUZZ_CHECK(used <= size - 1);
		FUZZ_CHECK(strlen(a.local) <= ADDR_LOCAL_MAX);
		FUZZ_CHECK(strlen(a.domain) <= ADDR_DOMAIN_MAX);
		FUZZ_CHECK(!a.null || (flags & ADDR_NULL_OK));
		FUZZ_CHECK(!a.utf8 || (flags & ADDR_UTF8));
		(void)addr_text(&a, text, sizeof(text));
		FUZZ_CHECK(strlen(text) < sizeof(text));
		(void)addr_is_suspicious(&a);
		(void)addr_domain_equal(a.domain, "example.org");
	} else {
		FUZZ_CHECK(why != NULL);
	}
	return 0;
}
