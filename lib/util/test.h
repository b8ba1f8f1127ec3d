/*
 * test.h - the unit test harness (see Dovecot test-common.h).
 *
 *	TEST_BEGIN("name");  CHECK(x);  CHECK_STR_EQ(a, b);  TEST_END();
 *	return test_exit();
 * CHECK_IDX(cond, i) names the table row that failed.
 * test_expect_fatal(stmt) runs stmt and checks that it called msg_fatal
 * or msg_panic (longjmp out of them instead of exiting).
 */
#ifndef POSTERN_TEST_H
#define POSTERN_TEST_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

extern int test_failures;
extern int test_checks;
extern jmp_buf test_fatal_jmp;
extern char test_fatal_text[];

void test_begin(const char *name);
void test_end(void);
void test_fail(const char *file, int line, const char *what);
bool test_arm_fatal(void);
void test_disarm_fatal(void);
/* test_tmpdir - a private temporary directory, made on first use and
 * removed, with everything in it, by test_exit. */
const char *test_tmpdir(void);
/* test_exit - print "N passed, N failed" and return the exit status. */
int test_exit(void);

#define TEST_BEGIN(name) test_begin(name)
#define TEST_END() test_end()
#define CHECK(x) do { test_checks++; if (!(x)) \
	test_fail(__FILE__, __LINE__, #x); } while (0)
#define CHECK_IDX(x, i) do { test_checks++; if (!(x)) { \
	char _w[256]; snprintf(_w, sizeof(_w), "%s (row %d)", #x, (int)(i)); \
	test_fail(__FILE__, __LINE__, _w); } } while (0)
#define CHECK_STR_EQ(a, b) do { const char *_a = (a), *_b = (b); \
	test_checks++; if (_a == NULL || _b == NULL || strcmp(_a, _b) != 0) { \
	char _w[1024]; snprintf(_w, sizeof(_w), \
	"%.100s == %.100s (\"%.350s\" vs \"%.350s\")", \
	#a, #b, _a ? _a : "(null)", _b ? _b : "(null)"); \
	test_fail(__FILE__, __LINE__, _w); } } while (0)
/* test_expect_fatal - stmt must end in msg_fatal/msg_panic. */
#define test_expect_fatal(stmt) do { test_checks++; \
	if (test_arm_fatal() && setjmp(test_fatal_jmp) == 0) { stmt; \
	test_disarm_fatal(); test_fail(__FILE__, __LINE__, \
	"expected fatal: " #stmt); } else test_disarm_fatal(); } while (0)

#endif
