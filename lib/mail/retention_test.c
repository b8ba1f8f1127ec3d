/*
 * NAME
 *	retention_test - expire_folder_retention
 */
#include "mail/retention.h"
#include "util/test.h"

int
main(void)
{
	static const char *const bad[] = {
		"Junk", "=30d", "Junk=", "Junk=x", "Junk=30y", "Junk=30dd",
		".Junk=1d", "Junk=99999999999999999999d",
		"Junk=36501w",
	};
	struct retention r;
	const char *why;

	TEST_BEGIN("retention: folder=time lists");
	CHECK(retention_parse("", &r, &why) == 0 && r.n == 0);
	CHECK(retention_parse(" , ", &r, &why) == 0 && r.n == 0);
	CHECK(retention_parse("Junk=30d, Trash=30d", &r, &why) == 0 &&
	    r.n == 2);
	CHECK(retention_for(&r, "Junk") == 30 * 86400);
	CHECK(retention_for(&r, "Trash") == 30 * 86400);
	CHECK(retention_for(&r, "INBOX") == 0);
	CHECK(retention_for(&r, "junk") == 0);	/* names are exact */
	CHECK(retention_parse("Junk=0 Spam.Old=2w,INBOX=90", &r, &why) == 0 &&
	    r.n == 3 && retention_for(&r, "Junk") == 0 &&
	    retention_for(&r, "Spam.Old") == 14 * 86400 &&
	    retention_for(&r, "INBOX") == 90);
	CHECK(retention_parse("Lists/Old=1d", &r, &why) == 0 &&
	    retention_for(&r, "Lists/Old") == 86400);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_IDX(retention_parse(bad[i], &r, &why) < 0, i);
	TEST_END();
	return test_exit();
}
