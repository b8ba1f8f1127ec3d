/*
 * NAME
 *	fromaddr_test - the one address of a From: field, or none
 */
#include <string.h>

#include "mail/fromaddr.h"
#include "util/test.h"

int
main(void)
{
	static const struct {
		const char *in, *want;	/* want NULL: refused */
	} t[] = {
		{ "", NULL },
		{ "   ", NULL },
		{ " a@b.test", "a@b.test" },
		{ " Jane <jane@b.test>", "jane@b.test" },
		{ " \"Doe, Jane\" <jane@b.test>", "jane@b.test" },
		{ " \"x <evil@c.test>\" <jane@b.test>", "jane@b.test" },
		{ " jane@b.test (Jane, Doe)", NULL },	/* comment stays */
		{ " (c) <jane@b.test>", "jane@b.test" },
		{ " a@b.test, c@d.test", NULL },
		{ " group: a@b.test;", NULL },
		{ " Jane\r\n <jane@b.test>", "jane@b.test" },
		{ " <>", NULL },
		{ " two words", NULL },
	};
	char out[64];

	TEST_BEGIN("fromaddr_parse");
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		bool ok = fromaddr_parse(t[i].in, strlen(t[i].in), out,
		    sizeof(out));

		if (t[i].want == NULL)
			CHECK_IDX(!ok, i);
		else
			CHECK_IDX(ok && strcmp(out, t[i].want) == 0, i);
	}
	CHECK(!fromaddr_parse(" <aaaaaaaaaa@b.test>", 20, out, 8));
	TEST_END();
	return test_exit();
}
