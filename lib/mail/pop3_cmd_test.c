/*
 * pop3_cmd_test.c - keyword and argument splitting of POP3 commands.
 */
#include <string.h>

#include "mail/pop3_cmd.h"
#include "util/test.h"

/* split - pop3_cmd_split with the arguments as a pointer */
static int
split(const char *line, char *name, const char **arg)
{
	size_t off = 0;
	int rc = pop3_cmd_split(line, name, &off);

	*arg = line + off;
	return rc;
}

int
main(void)
{
	char name[POP3_NAME_MAX + 1];
	const char *arg;

	TEST_BEGIN("pop3_cmd: keyword and arguments");
	CHECK(split("STAT", name, &arg) == 0);
	CHECK_STR_EQ(name, "STAT");
	CHECK_STR_EQ(arg, "");
	CHECK(split("TOP 1 10", name, &arg) == 0);
	CHECK(strcmp(name, "TOP") == 0 && strcmp(arg, "1 10") == 0);
	/* Only one space is the separator: the rest is the argument's. */
	CHECK(split("PASS  two spaces", name, &arg) == 0);
	CHECK(strcmp(arg, " two spaces") == 0);
	CHECK(split("USER ", name, &arg) == 0);
	CHECK(strcmp(name, "USER") == 0 && strcmp(arg, "") == 0);
	CHECK(split("", name, &arg) == -1);
	CHECK(split(" STAT", name, &arg) == -1);
	CHECK(split("ABCDEFG x", name, &arg) == 0);
	CHECK(strcmp(name, "ABCDEFG") == 0);
	CHECK(split("ABCDEFGH", name, &arg) == -1);
	TEST_END();
	return test_exit();
}
