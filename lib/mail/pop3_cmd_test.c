/*
 * pop3_cmd_test.c - keyword and argument splitting of POP3 commands.
 */
#include <string.h>

#include "mail/pop3_cmd.h"
#include "util/test.h"

int
main(void)
{
	char name[POP3_NAME_MAX + 1];
	const char *arg;

	TEST_BEGIN("pop3_cmd: keyword and arguments");
	CHECK(pop3_cmd_split("STAT", name, &arg) == 0);
	CHECK_STR_EQ(name, "STAT");
	CHECK_STR_EQ(arg, "");
	CHECK(pop3_cmd_split("TOP 1 10", name, &arg) == 0);
	CHECK(strcmp(name, "TOP") == 0 && strcmp(arg, "1 10") == 0);
	/* Only one space is the separator: the rest is the argument's. */
	CHECK(pop3_cmd_split("PASS  two spaces", name, &arg) == 0);
	CHECK(strcmp(arg, " two spaces") == 0);
	CHECK(pop3_cmd_split("USER ", name, &arg) == 0);
	CHECK(strcmp(name, "USER") == 0 && strcmp(arg, "") == 0);
	CHECK(pop3_cmd_split("", name, &arg) == -1);
	CHECK(pop3_cmd_split(" STAT", name, &arg) == -1);
	CHECK(pop3_cmd_split("ABCDEFG x", name, &arg) == 0);
	CHECK(strcmp(name, "ABCDEFG") == 0);
	CHECK(pop3_cmd_split("ABCDEFGH", name, &arg) == -1);
	TEST_END();
	return test_exit();
}
