/*
 * NAME
 *	cmd_maps - postern domain|user|alias|map: edit the lookup tables
 * DESCRIPTION
 *	The tables are those of local_domains_map, local_users_map and
 *	alias_map (lib/mail/resolve.h); smtpd and qmgr see a change at
 *	their next lookup, so nothing needs a reload.  Keys are stored in
 *	lower case.  Passwords and keys arrive with authd and cryptd; for
 *	now a user is a mailbox and its quota.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "mail/addr.h"
#include "mail/params.h"
#include "mail/resolve.h"
#include "util/map.h"
#include "util/mem.h"
#include "util/strnum.h"

/* map_file - the file of a "hash:/path" spec, or NULL */
static const char *
map_file(const char *spec)
{
	return strncmp(spec, "hash:", 5) == 0 ? spec + 5 : NULL;
}

struct map *
cli_map_edit(const char *param, const char *spec)
{
	const char *why, *file = map_file(spec);
	struct map *m;

	if (file != NULL) {
		char *dir = xstrdup(file), *slash = strrchr(dir, '/');

		if (slash != NULL && slash != dir) {
			*slash = '\0';
			if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
				fprintf(stderr, "postern: %s: cannot create "
				    "%s: %s\n", param, dir, strerror(errno));
				exit(1);
			}
		}
		free(dir);
	}
	m = map_open(spec, MAP_RDWR | MAP_CREATE, &why);
	if (m == NULL) {
		fprintf(stderr, "postern: %s = %s: %s\n", param, spec, why);
		exit(1);
	}
	/* Not secret, and the queue directory (0700) already keeps
	 * everyone but mail_owner out; smtpd and qmgr must read it. */
	if (file != NULL)
		(void)chmod(file, 0644);
	return m;
}

/* cli_load_quiet - the instance configuration, applied */
void
cli_load_quiet(void)
{
	struct conf *c;
	struct svc_table t;

	(void)cli_load(&c, &t, false);
	svc_table_free(&t);
	conf_free(&c);
}

/* cli_parse_address - "user@domain" checked and lowered into out; -1
 * after saying why */
int
cli_parse_address(const char *cmd, const char *in, char *out, size_t size)
{
	struct mail_addr a;
	size_t used;
	const char *why;

	if (addr_parse_path(in, strlen(in), ADDR_LAX | ADDR_UTF8, &a, &used,
	    &why) < 0 || in[used] != '\0' || a.domain[0] == '\0') {
		fprintf(stderr, "postern %s: '%s' is not an address "
		    "(user@domain)%s%s\n", cmd, in, why != NULL ? ": " : "",
		    why != NULL ? why : "");
		return -1;
	}
	if ((why = addr_is_suspicious(&a)) != NULL || a.quoted ||
	    a.local[0] == '.' || strchr(a.local, '/') != NULL) {
		fprintf(stderr, "postern %s: '%s' cannot be a mailbox "
		    "name%s%s\n", cmd, in, why != NULL ? ": " : "",
		    why != NULL ? why : "");
		return -1;
	}
	addr_text(&a, out, size);
	resolve_lower(out, out, size);
	return 0;
}

/* cli_domain_check - the domain of address must be local */
int
cli_domain_check(const char *cmd, const char *address)
{
	struct map *d = cli_map_edit("local_domains_map",
	    var_local_domains_map);
	struct buf v = BUF_INIT;
	int rc = map_lookup(d, strrchr(address, '@') + 1, &v);

	buf_free(&v);
	map_close(&d);
	if (rc <= 0) {
		fprintf(stderr, "postern %s: %s is not a local domain (add it "
		    "with: postern domain add %s)\n", cmd,
		    strrchr(address, '@') + 1, strrchr(address, '@') + 1);
		return -1;
	}
	return 0;
}

/* print_pair - list helper: "key value" */
static int
print_pair(const char *key, size_t klen, const void *value, size_t vlen,
    void *ctx)
{
	bool values = ctx != NULL;

	if (values && vlen > 0)
		printf("%.*s\t%.*s\n", (int)klen, key, (int)vlen,
		    (const char *)value);
	else
		printf("%.*s\n", (int)klen, key);
	return 0;
}

/* cli_map_list - every key (and value) of a table */
int
cli_map_list(const char *param, const char *spec, bool values)
{
	struct map *m = cli_map_edit(param, spec);
	int rc = map_iterate(m, print_pair, values ? (void *)1 : NULL);

	if (rc < 0)
		fprintf(stderr, "postern: %s: %s\n", param, map_error(m));
	map_close(&m);
	return rc < 0 ? 1 : 0;
}

/* cli_map_del - remove key from a table */
int
cli_map_del(const char *cmd, const char *param, const char *spec,
    const char *key)
{
	struct map *m = cli_map_edit(param, spec);
	int rc = map_delete(m, key);

	map_close(&m);
	if (rc == 0)
		fprintf(stderr, "postern %s: %s does not exist\n", cmd, key);
	return rc == 1 ? 0 : 1;
}

int
cli_domain_add(const char *domain)
{
	struct mail_addr a;
	char probe[ADDR_PATH_MAX + 8], lower[ADDR_DOMAIN_MAX + 1];
	size_t used;
	const char *why;
	struct map *m;
	int rc;

	snprintf(probe, sizeof(probe), "x@%s", domain);
	if (addr_parse_path(probe, strlen(probe), ADDR_LAX, &a, &used,
	    &why) < 0 || probe[used] != '\0' || a.literal ||
	    addr_is_suspicious(&a) != NULL) {
		fprintf(stderr, "postern domain: '%s' is not a domain name\n",
		    domain);
		return 1;
	}
	resolve_lower(a.domain, lower, sizeof(lower));
	m = cli_map_edit("local_domains_map", var_local_domains_map);
	rc = map_update(m, lower, "local", 5);
	map_close(&m);
	return rc < 0 ? 1 : 0;
}

int
cmd_domain(int argc, char **argv)
{
	cli_load_quiet();
	if (argc == 3 && strcmp(argv[1], "add") == 0)
		return cli_domain_add(argv[2]);
	if (argc == 3 && strcmp(argv[1], "del") == 0) {
		char lower[ADDR_DOMAIN_MAX + 1];

		resolve_lower(argv[2], lower, sizeof(lower));
		return cli_map_del("domain", "local_domains_map",
		    var_local_domains_map, lower);
	}
	if (argc == 2 && strcmp(argv[1], "list") == 0)
		return cli_map_list("local_domains_map", var_local_domains_map, false);
	fprintf(stderr, "usage: postern domain add|del DOMAIN\n"
	    "       postern domain list\n");
	return 2;
}

int
cmd_alias(int argc, char **argv)
{
	char address[ADDR_PATH_MAX + 1], target[ADDR_PATH_MAX + 1];
	struct buf v = BUF_INIT;
	struct map *m;
	int rc = 0;

	cli_load_quiet();
	if (argc >= 4 && strcmp(argv[1], "add") == 0) {
		if (cli_parse_address("alias add", argv[2], address,
		    sizeof(address)) < 0 ||
		    cli_domain_check("alias add", address) < 0)
			return 1;
		for (int i = 3; i < argc && rc == 0; i++) {
			if (cli_parse_address("alias add", argv[i], target,
			    sizeof(target)) < 0)
				return 1;
			rc |= buf_appendf(&v, "%s%s", i > 3 ? ", " : "",
			    target);
		}
		m = cli_map_edit("alias_map", var_alias_map);
		rc = rc != 0 ? -1 : map_update(m, address, v.data, v.len);
		map_close(&m);
		buf_free(&v);
		return rc < 0 ? 1 : 0;
	}
	if (argc == 3 && strcmp(argv[1], "del") == 0) {
		if (cli_parse_address("alias del", argv[2], address,
		    sizeof(address)) < 0)
			return 1;
		return cli_map_del("alias del", "alias_map", var_alias_map, address);
	}
	if (argc == 2 && strcmp(argv[1], "list") == 0)
		return cli_map_list("alias_map", var_alias_map, true);
	fprintf(stderr, "usage: postern alias add ADDRESS TARGET...\n"
	    "       postern alias del ADDRESS\n"
	    "       postern alias list\n");
	return 2;
}

/* The routing tables `postern map` edits, by their parameter. */
static char **const *
routing_map(const char *param)
{
	static const struct {
		const char *name;
		char **var;
	} tables[] = {
		{ "transport_maps", &var_transport_maps },
		{ "smtp_tls_policy_maps", &var_smtp_tls_policy_maps },
	};

	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		if (strcmp(param, tables[i].name) == 0)
			return &tables[i].var;
	return NULL;
}

int
cmd_map(int argc, char **argv)
{
	char **const *var;
	char key[256];
	struct map *m;
	int rc;

	cli_load_quiet();
	var = argc >= 3 ? routing_map(argv[2]) : NULL;
	if (var != NULL && (**var)[0] == '\0') {
		fprintf(stderr, "postern map: %s is empty in postern.conf: "
		    "name a table first (hash:/path)\n", argv[2]);
		return 1;
	}
	if (var != NULL && argc >= 4)
		resolve_lower(argv[3], key, sizeof(key));
	if (var != NULL && argc == 5 && strcmp(argv[1], "add") == 0) {
		m = cli_map_edit(argv[2], **var);
		rc = map_update(m, key, argv[4], strlen(argv[4]));
		map_close(&m);
		return rc < 0 ? 1 : 0;
	}
	if (var != NULL && argc == 4 && strcmp(argv[1], "del") == 0)
		return cli_map_del("map del", argv[2], **var, key);
	if (var != NULL && argc == 3 && strcmp(argv[1], "list") == 0)
		return cli_map_list(argv[2], **var, true);
	fprintf(stderr, "usage: postern map add TABLE KEY VALUE\n"
	    "       postern map del TABLE KEY\n"
	    "       postern map list TABLE\n"
	    "TABLE: transport_maps or smtp_tls_policy_maps\n");
	return 2;
}
