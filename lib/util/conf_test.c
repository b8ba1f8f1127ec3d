/*
 * NAME
 *	conf_test - unit tests for postern.conf and master.conf parsing
 * DESCRIPTION
 *	Every kind of bad line must be refused with its file:line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/conf.h"
#include "util/log.h"
#include "util/svc.h"
#include "util/test.h"

static char *v_name;
static uint64_t v_limit, v_time, v_size;
static bool v_flag;
static double v_score;

static const struct conf_def test_defs[] = {
	{ "base_dir", CONF_STR, "/srv", NULL, 0, 0, "a directory" },
	{ "name", CONF_STR, "$base_dir/x", &v_name, 0, 0, "a name" },
	{ "client_limit", CONF_INT, "100", &v_limit, 1, 1000, "a limit" },
	{ "idle_timeout", CONF_TIME, "100s", &v_time, 0, 86400, "a time" },
	{ "message_size", CONF_SIZE, "10m", &v_size, 0, (uint64_t)1 << 40,
	    "a size" },
	{ "flag", CONF_BOOL, "no", &v_flag, 0, 0, "a flag" },
	{ "score", CONF_SCORE, "-1.5", &v_score, 0, 0, "a score" },
	{ "loop_a", CONF_STR, "", NULL, 0, 0, "" },
	{ "loop_b", CONF_STR, "", NULL, 0, 0, "" },
	CONF_END
};


/* write_tmp - put text into a file under tmpdir; returns its path */
static char *
write_tmp(const char *name, const char *text)
{
	static char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", test_tmpdir(), name);
	fp = fopen(path, "w");
	fputs(text, fp);
	fclose(fp);
	return path;
}

/* test_good - values, defaults, expansion, units, continuation */
static void
test_good(void)
{
	struct buf err = BUF_INIT;
	struct conf *c = conf_new();
	char *path = write_tmp("good.conf",
	    "# comment\n"
	    "\n"
	    "base_dir = /var/x\n"
	    "client_limit=7\n"
	    "idle_timeout = 2m\n"
	    "message_size = 1k\n"
	    "flag = yes\n"
	    "loop_a = one\n"
	    "   two\n");

	TEST_BEGIN("conf: a good file");
	CHECK(conf_read_file(c, path, &err) == 0);
	CHECK(conf_finish(c, &err) == 0);
	CHECK_STR_EQ(buf_cstr(&err), "");
	conf_apply(c);
	CHECK_STR_EQ(v_name, "/var/x/x");
	CHECK(v_limit == 7);
	CHECK(v_time == 120);
	CHECK(v_size == 1024);
	CHECK(v_flag);
	CHECK_STR_EQ(conf_value(c, "loop_a"), "one two");
	CHECK(conf_origin(c, "name") == NULL);
	CHECK(conf_origin(c, "client_limit") != NULL &&
	    strstr(conf_origin(c, "client_limit"), "good.conf:4") != NULL);
	conf_free(&c);
	buf_free(&err);
	TEST_END();
}

/* test_bad_lines - each bad line gives its file:line and reason */
static void
test_bad_lines(void)
{
	static const struct {
		const char *text;
		const char *expect;	/* substring of the error */
	} rows[] = {
		{ "clint_limit = 5\n",
		    "bad.conf:1: unknown parameter 'clint_limit' (did you mean "
		    "'client_limit'?)" },
		{ "\n\nzzzzzzzzzz = 1\n", "bad.conf:3: unknown parameter "
		    "'zzzzzzzzzz'" },
		{ "client_limit 5\n", "bad.conf:1: missing '='" },
		{ "Client_Limit = 5\n", "bad.conf:1: bad parameter name" },
		{ "= 5\n", "bad.conf:1: bad parameter name" },
		{ "client_limit = 5\nclient_limit = 6\n",
		    "bad.conf:2: 'client_limit' is set twice (first at " },
		{ "client_limit = 0\n", "bad.conf:1: client_limit = 0: value "
		    "is below the minimum (allowed: 1 to 1000)" },
		{ "client_limit = 1001\n", "is above the maximum" },
		{ "client_limit = ten\n", "client_limit = ten: value is not a "
		    "number" },
		{ "client_limit = -1\n", "value is not a number" },
		{ "client_limit = 99999999999999999999999\n",
		    "value is too large" },
		{ "idle_timeout = 5y\n", "has an unknown unit" },
		{ "message_size = k\n", "value is not a number" },
		{ "flag = maybe\n", "flag = maybe: value must be yes or no" },
		{ "name = $nosuch\n", "bad.conf:1: name: unknown parameter "
		    "$nosuch in value" },
		{ "name = ${base_dir\n", "'${' without '}'" },
		{ "name = $\n", "not followed by a parameter name" },
		{ "loop_a = $loop_b\nloop_b = $loop_a\n", "form a loop" },
		{ "  indented = 1\n", "bad.conf:1: continuation line without a "
		    "parameter" },
	};

	TEST_BEGIN("conf: every bad line names file:line");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct buf err = BUF_INIT;
		struct conf *c = conf_new();
		char *path = write_tmp("bad.conf", rows[i].text);
		int rc = conf_read_file(c, path, &err);

		if (rc == 0)
			rc = conf_finish(c, &err);
		CHECK_IDX(rc == -1 || rows[i].expect[0] == '\0', i);
		CHECK_IDX(strstr(buf_cstr(&err), rows[i].expect) != NULL, i);
		if (strstr(buf_cstr(&err), rows[i].expect) == NULL)
			printf("  row %zu got: %s", i, buf_cstr(&err));
		conf_free(&c);
		buf_free(&err);
	}
	TEST_END();
}

/* test_missing_file - an unreadable file is an error naming it */
static void
test_missing_file(void)
{
	struct buf err = BUF_INIT;
	struct conf *c = conf_new();

	TEST_BEGIN("conf: a missing file");
	CHECK(conf_read_file(c, "/nonexistent/postern.conf", &err) == -1);
	CHECK(strstr(buf_cstr(&err), "/nonexistent/postern.conf: cannot "
	    "open: No such file") != NULL);
	conf_free(&c);
	buf_free(&err);
	TEST_END();
}

/* test_overrides - conf_set and the fatal path of conf_load_simple */
static void
test_overrides(void)
{
	struct buf err = BUF_INIT;
	struct conf *c = conf_new();
	char *ov[] = { "client_limit=0" };

	TEST_BEGIN("conf: overrides");
	CHECK(conf_set(c, "client_limit", "9", "master.conf:3", &err) == 0);
	CHECK(conf_finish(c, &err) == 0);
	CHECK_STR_EQ(conf_value(c, "client_limit"), "9");
	CHECK_STR_EQ(conf_origin(c, "client_limit"), "master.conf:3");
	CHECK(conf_set(c, "nope", "1", "master.conf:4", &err) == -1);
	CHECK(strstr(buf_cstr(&err), "master.conf:4: unknown parameter "
	    "'nope'") != NULL);
	test_expect_fatal(conf_load_simple(NULL, ov, 1));
	CHECK(strstr(test_fatal_text, "configuration errors") != NULL);
	conf_free(&c);
	buf_free(&err);
	TEST_END();
}

/* test_master_conf - service table rows, good and bad */
/* test_score - decimals with two places at most, negative too */
static void
test_score(void)
{
	static const struct { const char *text; double want; } good[] = {
		{ "2", 2 }, { "-1.5", -1.5 }, { "0.25", 0.25 }, { "+3.1", 3.1 },
		{ "1000", 1000 }, { "-1000.00", -1000 },
	};
	static const char *const bad[] = { "", "-", "1.234", "1001", "2x",
	    ".5", "1e3", "1000.01", "nan" };
	const struct conf_def *d = conf_def_find("score");

	TEST_BEGIN("score");
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct conf *c = conf_new();
		struct buf err = BUF_INIT;

		CHECK_IDX(conf_set(c, "score", good[i].text, "t", &err) == 0 &&
		    conf_finish(c, &err) == 0, i);
		conf_apply(c);
		CHECK_IDX(v_score > good[i].want - 1e-9 && v_score <
		    good[i].want + 1e-9, i);
		conf_free(&c);
		buf_free(&err);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t v;
		const char *why = NULL;

		CHECK_IDX(conf_parse_value(d, bad[i], &v, &why) < 0 &&
		    why != NULL, i);
	}
	TEST_END();
}

static void
test_master_conf(void)
{
	static const struct {
		const char *text;
		const char *expect;	/* "" means: no error */
	} rows[] = {
		{ "echo inet 127.0.0.1:2525 n n 3 echod -o client_limit=5 a\n",
		    "" },
		{ "echo unix echo - - - echod\n  -o idle_timeout=5s\n", "" },
		{ "echo inet 127.0.0.1:2525 n n 3\n",
		    "m.conf:1: expected 7 columns" },
		{ "echo tcp 127.0.0.1:2525 n n 3 echod\n",
		    "type must be inet or unix, not 'tcp'" },
		{ "echo inet 127.0.0.1:99999 n n 3 echod\n",
		    "port must be a number from 1 to 65535" },
		{ "echo inet nohost:25 n n 3 echod\n",
		    "host must be a numeric address" },
		{ "echo inet - n n 3 echod\n", "needs a listen address" },
		{ "echo inet 127.0.0.1:25 x n 3 echod\n", "unpriv must be" },
		{ "echo inet 127.0.0.1:25 n x 3 echod\n", "chroot must be" },
		{ "echo inet 127.0.0.1:25 n n many echod\n",
		    "process limit 'many' is not a number" },
		{ "echo inet 127.0.0.1:25 n n 3 echod -o clint_limit=3\n",
		    "m.conf:1: -o clint_limit=3: unknown parameter "
		    "'clint_limit' (did you mean 'client_limit'?)" },
		{ "echo inet 127.0.0.1:25 n n 3 echod -o client_limit=0\n",
		    "-o client_limit=0: value is below the minimum" },
		{ "echo inet 127.0.0.1:25 n n 3 echod -o client_limit\n",
		    "expected name=value" },
		{ "echo inet 127.0.0.1:25 n n 3 echod -o\n",
		    "-o needs name=value" },
		{ "a inet 127.0.0.1:25 n n 3 echod\n"
		  "a inet 127.0.0.1:26 n n 3 echod\n",
		    "m.conf:2: service 'a' is defined twice (first at " },
		{ "a inet 127.0.0.1:25 n n 3 echod\n"
		  "b inet 127.0.0.1:25 n n 3 echod\n",
		    "m.conf:2: service 'b': listen address 127.0.0.1:25 is "
		    "already used by 'a'" },
		{ "a/b inet 127.0.0.1:25 n n 3 echod\n", "bad service name" },
		{ "a unix ../x n n 3 echod\n", "must be a plain name" },
		{ "a inet 127.0.0.1:25 n n 3 ../echod\n",
		    "must be a name in daemon_directory" },
		{ "   -o x=y\n", "m.conf:1: continuation line without a "
		    "service" },
	};

	TEST_BEGIN("master.conf: rows and errors");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct buf err = BUF_INIT;
		struct svc_table t;
		char *path = write_tmp("m.conf", rows[i].text);
		int rc = svc_table_read(&t, path, &err);

		if (rows[i].expect[0] == '\0') {
			CHECK_IDX(rc == 0, i);
			CHECK_IDX(err.len == 0, i);
		} else {
			CHECK_IDX(rc == -1, i);
			CHECK_IDX(strstr(buf_cstr(&err), rows[i].expect) !=
			    NULL, i);
		}
		if (rows[i].expect[0] != '\0' &&
		    strstr(buf_cstr(&err), rows[i].expect) == NULL)
			printf("  row %zu got: %s", i, buf_cstr(&err));
		if (i == 0 && rc == 0) {
			CHECK(t.n == 1 && t.svcs[0].n_overrides == 1 &&
			    t.svcs[0].n_args == 1);
			CHECK_STR_EQ(t.svcs[0].overrides[0], "client_limit=5");
			CHECK(t.svcs[0].process_limit == 3);
			CHECK(!t.svcs[0].unpriv && !t.svcs[0].chroot);
		}
		if (i == 1 && rc == 0) {
			CHECK(t.svcs[0].process_limit == -1);
			CHECK(t.svcs[0].unpriv && t.svcs[0].chroot);
			CHECK_STR_EQ(t.svcs[0].overrides[0], "idle_timeout=5s");
		}
		svc_table_free(&t);
		buf_free(&err);
	}
	TEST_END();
}

int
main(void)
{
	conf_register(test_defs);
	test_good();
	test_bad_lines();
	test_missing_file();
	test_overrides();
	test_score();
	test_master_conf();
	return test_exit();
}
