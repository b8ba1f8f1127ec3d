/*
 * NAME
 *	postern - the Postern administration command
 * SYNOPSIS
 *	postern [-c config_dir] [-v] command [arguments]
 * DESCRIPTION
 *	One command table; each sub-command lives in its own cmd_*.c file.
 *	See postern(1).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "paths.h"
#include "cli/cli.h"
#include "mail/instance.h"
#include "mail/params.h"
#include "mail/proto_master.h"
#include "util/daemon.h"
#include "util/log.h"
#include "util/mem.h"

const char *cli_config_dir = POSTERN_CONFIG_DIR;

/* cmd_version - print the version */
static int
cmd_version(int argc, char **argv)
{
	printf("postern %s\n", POSTERN_VERSION);
	return 0;
}

static const struct command {
	const char *name;
	int (*fn)(int, char **);
	const char *usage;
} commands[] = {
	{ "init", cmd_init, "init DIR [--domain D] [--hostname H] "
	    "[--port-base N]" },
	{ "start", cmd_start, "start [-f]" },
	{ "stop", cmd_stop, "stop" },
	{ "reload", cmd_reload, "reload" },
	{ "status", cmd_status, "status" },
	{ "check", cmd_check, "check" },
	{ "config", cmd_config, "config [-d|-n] [name ...]" },
	{ "domain", cmd_domain, "domain add|del DOMAIN | domain list" },
	{ "user", cmd_user, "user add ADDRESS [--quota SIZE] | user del "
	    "ADDRESS | user list" },
	{ "alias", cmd_alias, "alias add ADDRESS TARGET... | alias del "
	    "ADDRESS | alias list" },
	{ "map", cmd_map, "map add TABLE KEY VALUE | map del TABLE KEY | "
	    "map list TABLE" },
	{ "queue", cmd_queue, "queue list | show|hold|release|delete ID | "
	    "flush" },
	{ "dkim", cmd_dkim, "dkim keygen DOMAIN SELECTOR [-a ed25519|rsa|both] "
	    "[-b bits] [-n] | dkim use DOMAIN SELECTOR | dkim list | dkim "
	    "record DOMAIN [SELECTOR]" },
	{ "spam", cmd_spam, "spam train --spam|--ham [--user ADDRESS] "
	    "FILE|DIR... | spam stats [--user ADDRESS] | spam classify "
	    "[--user ADDRESS] FILE" },
	{ "version", cmd_version, "version" },
	{ NULL, NULL, NULL },
};

/* usage - list the commands */
static int
usage(void)
{
	fprintf(stderr, "usage: postern [-c config_dir] [-v] command\n"
	    "commands:\n");
	for (const struct command *c = commands; c->name != NULL; c++)
		fprintf(stderr, "  postern %s\n", c->usage);
	return 2;
}

int
cli_load(struct conf **cp, struct svc_table *t, bool soft)
{
	struct buf errors = BUF_INIT;

	if (instance_load(cli_config_dir, cp, t, &errors) < 0) {
		fputs(buf_cstr(&errors), stderr);
		buf_free(&errors);
		if (soft)
			return -1;
		exit(1);
	}
	conf_apply(*cp);
	return 0;
}

void
cli_load_lenient(void)
{
	struct buf errors = BUF_INIT;
	struct conf *c;
	struct svc_table t;
	char *path;

	if (instance_load(cli_config_dir, &c, &t, &errors) == 0) {
		conf_apply(c);
		svc_table_free(&t);
		conf_free(&c);
		return;
	}
	/* Stopping must not depend on a configuration someone just broke:
	 * warn, and use whatever values are good. */
	fprintf(stderr, "postern: warning: the configuration has errors "
	    "(master runs with the one it accepted):\n%s", buf_cstr(&errors));
	buf_free(&errors);
	c = conf_new();
	path = xasprintf("%s/postern.conf", cli_config_dir);
	(void)conf_set(c, "config_directory", cli_config_dir, "-c", NULL);
	(void)conf_read_file(c, path, NULL);
	(void)conf_finish(c, NULL);
	conf_apply(c);
	conf_free(&c);
	free(path);
}

int
main(int argc, char **argv)
{
	int ch;

	params_register();
	(void)log_open("postern", LOG_TO_STDERR, NULL);
	while ((ch = getopt(argc, argv, "+c:v")) != -1) {
		switch (ch) {
		case 'c':
			cli_config_dir = optarg;
			break;
		case 'v':
			log_verbose++;
			break;
		default:
			return usage();
		}
	}
	if (optind >= argc)
		return usage();
	for (const struct command *c = commands; c->name != NULL; c++) {
		if (strcmp(c->name, argv[optind]) == 0) {
			argc -= optind;
			argv += optind;
			/* Sub-commands parse their own options; 0 makes
			 * glibc getopt start afresh. */
			optind = 0;
			return c->fn(argc, argv);
		}
	}
	fprintf(stderr, "postern: unknown command '%s'\n", argv[optind]);
	return usage();
}
