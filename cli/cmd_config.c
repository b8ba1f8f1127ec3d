/*
 * NAME
 *	cmd_config - postern config: the effective settings
 * DESCRIPTION
 *	Walks the same definition tables the daemons load (see postconf):
 *	no flag prints every effective value, -d the defaults, -n only what
 *	postern.conf changes.  Names may be given to print only those.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/conf.h"

/* scaled - a number with the largest unit that divides it */
static const char *
scaled(const struct conf_def *d, uint64_t v, char *out, size_t size)
{
	if (d->type == CONF_SIZE && v > 0 && v % 1073741824 == 0)
		snprintf(out, size, "%llug", (unsigned long long)(v >> 30));
	else if (d->type == CONF_SIZE && v > 0 && v % 1048576 == 0)
		snprintf(out, size, "%llum", (unsigned long long)(v >> 20));
	else if (d->type == CONF_TIME)
		snprintf(out, size, "%llus", (unsigned long long)v);
	else
		snprintf(out, size, "%llu", (unsigned long long)v);
	return out;
}

/* print_man - the PARAMETERS entries of postern.conf(5) */
static void
print_man(void)
{
	static const char *const kinds[] = {
		[CONF_STR] = "text", [CONF_INT] = "number",
		[CONF_BOOL] = "yes or no", [CONF_TIME] = "time",
		[CONF_SIZE] = "size", [CONF_SCORE] = "score",
	};
	char lo[32], hi[32];

	for (const struct conf_def *d = conf_def_next(NULL); d != NULL;
	    d = conf_def_next(d)) {
		printf(".TP\n.BR %s \" (%s, default: %s)\"\n", d->name,
		    kinds[d->type], d->def[0] != '\0' ? d->def : "(empty)");
		printf("%c%s.", toupper((unsigned char)d->doc[0]), d->doc + 1);
		if (d->type == CONF_INT || d->type == CONF_TIME ||
		    d->type == CONF_SIZE)
			printf(" From %s to %s.", scaled(d, d->min, lo,
			    sizeof(lo)), scaled(d, d->max, hi, sizeof(hi)));
		else if (d->type == CONF_SCORE)
			printf(" From -1000 to 1000, at most two decimals.");
		printf("\n");
	}
}

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

	while ((ch = getopt(argc, argv, "dnm")) != -1) {
		if (ch == 'm') {
			/* For maintainers: regenerate postern.conf(5). */
			print_man();
			return 0;
		}
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
