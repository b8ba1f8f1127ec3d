/*
 * NAME
 *	map_test - unit tests for maps and the hash: backend
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/map.h"
#include "util/test.h"

static char spec[256];

/* count - iterate callback */
static int
count(const char *key, size_t klen, const void *value, size_t vlen,
    void *ctx)
{
	(*(int *)ctx)++;
	return 0;
}

/* test_round_trip - update, lookup, delete, iterate, reopen */
static void
test_round_trip(void)
{
	struct buf v = BUF_INIT;
	const char *why = NULL;
	struct map *m = map_open(spec, MAP_RDWR | MAP_CREATE, &why);
	int n = 0;

	TEST_BEGIN("map: hash: round trip");
	CHECK(m != NULL);
	if (m == NULL) {
		printf("  %s\n", why);
		TEST_END();
		return;
	}
	CHECK(map_update(m, "alice@example.test", "a\0b", 3) == 0);
	CHECK(map_update(m, "bob@example.test", "bob", 3) == 0);
	CHECK(map_update(m, "bob@example.test", "robert", 6) == 0);
	CHECK(map_lookup(m, "alice@example.test", &v) == 1);
	CHECK(v.len == 3 && memcmp(v.data, "a\0b", 3) == 0);
	CHECK(map_lookup(m, "bob@example.test", &v) == 1);
	CHECK_STR_EQ(buf_cstr(&v), "robert");
	CHECK(map_lookup(m, "Bob@example.test", &v) == 0);
	CHECK(map_lookup(m, "", &v) == 0);
	CHECK(map_iterate(m, count, &n) == 0 && n == 2);
	CHECK(map_delete(m, "bob@example.test") == 1);
	CHECK(map_delete(m, "bob@example.test") == 0);
	map_close(&m);
	CHECK(m == NULL);
	/* Another open sees what was written; read-only refuses writes. */
	m = map_open(spec, MAP_RDONLY, &why);
	CHECK(m != NULL);
	CHECK(map_lookup(m, "alice@example.test", &v) == 1);
	CHECK(map_lookup(m, "bob@example.test", &v) == 0);
	CHECK(map_update(m, "x", "y", 1) == -1);
	CHECK(strstr(map_error(m), "read-only") != NULL);
	map_close(&m);
	buf_free(&v);
	TEST_END();
}

/* test_reader_sees_writer - a long-lived reader sees a later write */
static void
test_reader_sees_writer(void)
{
	struct buf v = BUF_INIT;
	const char *why;
	struct map *r = map_open(spec, MAP_RDONLY, &why);
	struct map *w = map_open(spec, MAP_RDWR, &why);

	TEST_BEGIN("map: a reader sees another handle's write");
	CHECK(r != NULL && w != NULL);
	if (r != NULL && w != NULL) {
		CHECK(map_lookup(r, "carol", &v) == 0);
		usleep(20000);	/* a different modification time */
		CHECK(map_update(w, "carol", "c", 1) == 0);
		CHECK(map_lookup(r, "carol", &v) == 1);
	}
	map_close(&r);
	map_close(&w);
	buf_free(&v);
	TEST_END();
}

/* test_errors - bad specs and missing files say what is wrong */
static void
test_errors(void)
{
	static const struct {
		const char *spec;
		const char *expect;
	} rows[] = {
		{ "nosuch:/x", "unknown type \"nosuch\" (known: hash)" },
		{ "/etc/aliases", "expected type:name" },
		{ "hash:", "expected type:name" },
		{ ":x", "expected type:name" },
		{ "hash:/nonexistent/dir/map", "cannot open: no such file" },
	};

	TEST_BEGIN("map: errors name the problem");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *why = "";
		struct map *m = map_open(rows[i].spec, MAP_RDONLY, &why);

		CHECK_IDX(m == NULL, i);
		CHECK_IDX(strstr(why, rows[i].expect) != NULL, i);
		if (strstr(why, rows[i].expect) == NULL)
			printf("  row %zu: %s\n", i, why);
		map_close(&m);
	}
	TEST_END();
}

int
main(void)
{
	snprintf(spec, sizeof(spec), "hash:%s/users.db", test_tmpdir());
	test_round_trip();
	test_reader_sees_writer();
	test_errors();
	return test_exit();
}
