/*
 * NAME
 *	test - unit test harness
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "util/log.h"
#include "util/test.h"

int test_failures;
int test_checks;
jmp_buf test_fatal_jmp;
char test_fatal_text[1024];

static const char *test_name;
static int test_name_failures;
static int tests_passed, tests_failed;

void
test_begin(const char *name)
{
	test_name = name;
	test_name_failures = 0;
}

void
test_end(void)
{
	if (test_name_failures == 0)
		tests_passed++;
	else
		tests_failed++;
	printf("%-60s %s\n", test_name, test_name_failures == 0 ? "ok" :
	    "FAILED");
	test_name = NULL;
}

void
test_fail(const char *file, int line, const char *what)
{
	test_failures++;
	test_name_failures++;
	printf("  %s:%d: check failed: %s\n", file, line, what);
}

/* fatal_jump - msg_fatal/msg_panic land here while armed */
static void
fatal_jump(const char *text)
{
	snprintf(test_fatal_text, 1024, "%s", text);
	log_test_fatal_hook = NULL;
	longjmp(test_fatal_jmp, 1);
}

bool
test_arm_fatal(void)
{
	test_fatal_text[0] = '\0';
	log_test_fatal_hook = fatal_jump;
	return true;
}

void
test_disarm_fatal(void)
{
	log_test_fatal_hook = NULL;
}

static char tmpdir[512];

const char *
test_tmpdir(void)
{
	if (tmpdir[0] == '\0') {
		const char *base = getenv("TMPDIR");

		snprintf(tmpdir, sizeof(tmpdir), "%s/postern-unit.XXXXXX",
		    base != NULL && base[0] == '/' ? base : "/tmp");
		if (mkdtemp(tmpdir) == NULL) {
			perror("mkdtemp");
			exit(1);
		}
	}
	return tmpdir;
}

/* rm_one - nftw callback removing one entry */
static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	return remove(path);
}

int
test_exit(void)
{
	if (tmpdir[0] != '\0' && nftw(tmpdir, rm_one, 16,
	    FTW_DEPTH | FTW_PHYS) != 0) {
		printf("cannot remove %s\n", tmpdir);
		tests_failed++;
	}
	printf("%d passed, %d failed\n", tests_passed, tests_failed);
	return tests_failed == 0 ? 0 : 1;
}
