/*
 * NAME
 *	resolve_test - recipients against real hash: tables
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/resolve.h"
#include "util/test.h"

static char domains[256], users[256], aliases[256];

/* put - one table entry */
static void
put(const char *spec, const char *key, const char *value)
{
	const char *why;
	struct map *m = map_open(spec, MAP_RDWR | MAP_CREATE, &why);

	if (m == NULL || map_update(m, key, value, strlen(value)) < 0) {
		fprintf(stderr, "cannot set up %s\n", spec);
		exit(1);
	}
	map_close(&m);
}

/* test_classes - every class of address */
static void
test_classes(void)
{
	struct resolver r;
	struct resolved res;
	const char *why;

	TEST_BEGIN("resolve: users, aliases, extensions, strangers");
	CHECK(resolver_open(&r, domains, users, aliases, "+", &why) == 0);
	resolved_init(&res);
	CHECK(resolve_address(&r, "Bob@Example.TEST", &res) == RESOLVE_USER);
	CHECK_STR_EQ(res.key, "bob@example.test");
	CHECK(res.quota == 2048);
	CHECK(resolve_address(&r, "bob+lists@example.test", &res) ==
	    RESOLVE_USER);
	CHECK_STR_EQ(res.key, "bob@example.test");
	CHECK_STR_EQ(res.ext, "lists");
	CHECK(resolve_address(&r, "+x@example.test", &res) ==
	    RESOLVE_UNKNOWN);
	CHECK(resolve_address(&r, "team@example.test", &res) ==
	    RESOLVE_ALIAS);
	CHECK(resolve_address(&r, "nobody@example.test", &res) ==
	    RESOLVE_UNKNOWN);
	CHECK(resolve_address(&r, "bob@elsewhere.test", &res) ==
	    RESOLVE_REMOTE);
	CHECK(resolve_address(&r, "no-at-sign", &res) == RESOLVE_UNKNOWN);
	/* qmgr's view: aliases are not consulted. */
	CHECK(resolve_mailbox(&r, "team@example.test", &res) ==
	    RESOLVE_UNKNOWN);
	resolved_free(&res);
	resolver_close(&r);
	TEST_END();
}

/* test_expand - nesting, duplicates, loops */
static void
test_expand(void)
{
	struct resolver r;
	char **list = NULL;
	size_t n = 0;
	bool permanent = false;
	const char *why;

	TEST_BEGIN("resolve: alias expansion");
	CHECK(resolver_open(&r, domains, users, aliases, "+", &why) == 0);
	CHECK(resolve_expand(&r, "all@example.test", &list, &n, 100,
	    &permanent, &why) == 0);
	CHECK(n == 3);
	if (n == 3) {
		CHECK_STR_EQ(list[0], "bob@example.test");
		CHECK_STR_EQ(list[1], "alice@example.test");
		CHECK_STR_EQ(list[2], "far@remote.test");
	}
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
	list = NULL;
	n = 0;
	CHECK(resolve_expand(&r, "loop1@example.test", &list, &n, 100,
	    &permanent, &why) == -1);
	CHECK(permanent);
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
	list = NULL;
	n = 0;
	CHECK(resolve_expand(&r, "all@example.test", &list, &n, 2,
	    &permanent, &why) == -1);
	CHECK(permanent && strstr(why, "too many") != NULL);
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
	resolver_close(&r);
	TEST_END();
}

int
main(void)
{
	snprintf(domains, sizeof(domains), "hash:%s/domains", test_tmpdir());
	snprintf(users, sizeof(users), "hash:%s/users", test_tmpdir());
	snprintf(aliases, sizeof(aliases), "hash:%s/aliases", test_tmpdir());
	put(domains, "example.test", "local");
	put(users, "bob@example.test", "quota=2048");
	put(users, "alice@example.test", "quota=0");
	put(aliases, "team@example.test", "bob@example.test, Alice@example.test");
	put(aliases, "all@example.test", "team@example.test bob@example.test,"
	    "far@remote.test");
	put(aliases, "loop1@example.test", "loop2@example.test");
	put(aliases, "loop2@example.test", "loop1@example.test");
	test_classes();
	test_expand();
	return test_exit();
}
