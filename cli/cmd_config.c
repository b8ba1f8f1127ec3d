/*
 * NAME
 *	cmd_config - postern config: the effective settings
 * DESCRIPTION
 *	Walks the same definition tables the daemons load (see postconf):
 *	no flag prints every effective value, -d the defaults, -n only what
 *	postern.conf changes.  Names may be given to print only those.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/conf.h"

/* wanted - whether name was asked for */
static bool
wanted(const char *name, int n, char **names)
{
	if (n == 0)
		return true;
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

int
cmd_config(int argc, char **argv)
{
	bool defaults = false, changed = false;
	struct conf *c = NULL;
	struct svc_table t;
	int ch, rc = 0;

	while ((ch = getopt(argc, argv, "dn")) != -1) {
		if (ch == 'd')
			defaults = true;
		else if (ch == 'n')
			changed = true;
		else
			return 2;
	}
	argc -= optind;
	argv += optind;
	for (int i = 0; i < argc; i++) {
		if (conf_def_find(argv[i]) == NULL) {
			const char *s = conf_suggest(argv[i]);

			fprintf(stderr, "postern: unknown parameter '%s'%s%s%s\n",
			    argv[i], s != NULL ? " (did you mean '" : "",
			    s != NULL ? s : "", s != NULL ? "'?)" : "");
			rc = 1;
		}
	}
	if (!defaults) {
		(void)cli_load(&c, &t, false);
		svc_table_free(&t);
	}
	for (const struct conf_def *d = conf_def_next(NULL); d != NULL;
	    d = conf_def_next(d)) {
		const char *origin;

		if (!wanted(d->name, argc, argv))
			continue;
		if (defaults) {
			printf("%s = %s\n", d->name, d->def);
			continue;
		}
		origin = conf_origin(c, d->name);
		/* config_directory comes from -c, not from the file. */
		if (changed && (origin == NULL || strcmp(origin, "-c") == 0))
			continue;
		printf("%s = %s\n", d->name, conf_value(c, d->name));
	}
	conf_free(&c);
	return rc;
}
