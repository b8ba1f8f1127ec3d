/*
 * NAME
 *	conf - postern.conf parameters from definition tables
 * DESCRIPTION
 *	All registered definitions are flattened into one array at the first
 *	conf_new(); a struct conf holds, per definition, the text as set, its
 *	origin, and after conf_finish the expanded text and typed value.
 *	Nothing is stored into the programs' variables until conf_apply, so
 *	master can build a new configuration on reload, find it wrong, and
 *	keep running on the old one.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/conf.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strnum.h"

#define CONF_MAX_TABLES	16
#define CONF_LINE_MAX	8192
#define CONF_EXPAND_DEPTH 16

struct conf_entry {
	char *text;		/* as set; NULL: the default */
	char *origin;		/* "file:line"; NULL for the default */
	char *value;		/* expanded, after conf_finish */
	uint64_t num;		/* typed value, after conf_finish */
	int expanding;		/* loop detection */
};

struct conf {
	struct conf_entry *e;	/* parallel to defs[] */
};

static const struct conf_def *tables[CONF_MAX_TABLES];
static size_t n_tables;
static const struct conf_def **defs;
static size_t n_defs;
static char **applied;		/* strings conf_apply owns, per def */

void
conf_register(const struct conf_def *table)
{
	if (n_tables == CONF_MAX_TABLES)
		msg_panic("%s: too many tables", __func__);
	for (size_t i = 0; i < n_tables; i++)
		if (tables[i] == table)
			return;
	tables[n_tables++] = table;
	free(defs);
	defs = NULL;
	n_defs = 0;
}

/* flatten - build defs[] from the registered tables */
static void
flatten(void)
{
	size_t n = 0, i;
	const struct conf_def *d;

	if (defs != NULL)
		return;
	for (i = 0; i < n_tables; i++)
		for (d = tables[i]; d->name != NULL; d++)
			n++;
	defs = xcalloc(n + 1, sizeof(*defs));
	for (i = 0; i < n_tables; i++)
		for (d = tables[i]; d->name != NULL; d++)
			defs[n_defs++] = d;
	free(applied);
	applied = xcalloc(n_defs + 1, sizeof(*applied));
}

/* def_index - index of name in defs[], or -1 */
static long
def_index(const char *name, size_t len)
{
	flatten();
	for (size_t i = 0; i < n_defs; i++)
		if (strlen(defs[i]->name) == len &&
		    memcmp(defs[i]->name, name, len) == 0)
			return (long)i;
	return -1;
}

const struct conf_def *
conf_def_find(const char *name)
{
	long i = def_index(name, strlen(name));

	return i < 0 ? NULL : defs[i];
}

const struct conf_def *
conf_def_next(const struct conf_def *prev)
{
	flatten();
	if (prev == NULL)
		return n_defs > 0 ? defs[0] : NULL;
	for (size_t i = 0; i + 1 < n_defs; i++)
		if (defs[i] == prev)
			return defs[i + 1];
	return NULL;
}

/* edit_distance - Levenshtein distance, for did-you-mean */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t row[128], prev, tmp;

	if (la >= 128 || lb >= 128)
		return 99;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t best = prev + (a[i - 1] != b[j - 1]);

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			tmp = row[j];
			row[j] = best;
			prev = tmp;
		}
	}
	return row[lb];
}

const char *
conf_suggest(const char *name)
{
	const char *best = NULL;
	size_t best_d = 4;

	flatten();
	for (size_t i = 0; i < n_defs; i++) {
		size_t d = edit_distance(name, defs[i]->name);

		if (d < best_d) {
			best_d = d;
			best = defs[i]->name;
		}
	}
	return best;
}

struct conf *
conf_new(void)
{
	struct conf *c = xmalloc(sizeof(*c));

	flatten();
	c->e = xcalloc(n_defs + 1, sizeof(*c->e));
	return c;
}

void
conf_free(struct conf **cp)
{
	struct conf *c = *cp;

	if (c == NULL)
		return;
	for (size_t i = 0; i < n_defs; i++) {
		free(c->e[i].text);
		free(c->e[i].origin);
		free(c->e[i].value);
	}
	free(c->e);
	free(c);
	*cp = NULL;
}

int
conf_error(struct buf *errors, const char *origin, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (errors != NULL && buf_appendf(errors, "%s: %s\n", origin,
	    text) < 0)
		return -1;
	return -1;
}

/* valid_name - parameter names are lower_snake ASCII */
static bool
valid_name(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) ||
		    *s == '_'))
			return false;
	return true;
}

/* unknown_error - report an unknown name with a suggestion */
static int
unknown_error(struct buf *errors, const char *origin, const char *name)
{
	const char *s = conf_suggest(name);

	if (s != NULL)
		return conf_error(errors, origin,
		    "unknown parameter '%s' (did you mean '%s'?)", name, s);
	return conf_error(errors, origin, "unknown parameter '%s'", name);
}

int
conf_set(struct conf *c, const char *name, const char *value,
    const char *origin, struct buf *errors)
{
	long i = def_index(name, strlen(name));

	if (!valid_name(name))
		return conf_error(errors, origin, "bad parameter name '%s'",
		    name);
	if (i < 0)
		return unknown_error(errors, origin, name);
	free(c->e[i].text);
	free(c->e[i].origin);
	c->e[i].text = xstrdup(value);
	c->e[i].origin = xstrdup(origin);
	return 0;
}

/* trim - strip white space at both ends, in place */
static char *
trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* set_line - handle one logical "name = value" line */
static int
set_line(struct conf *c, char *line, const char *origin, char **seen_at,
    struct buf *errors)
{
	char *eq = strchr(line, '='), *name, *value;
	long i;

	if (eq == NULL)
		return conf_error(errors, origin,
		    "missing '=' in \"%.60s\"", line);
	*eq = '\0';
	name = trim(line);
	value = trim(eq + 1);
	if (!valid_name(name))
		return conf_error(errors, origin, "bad parameter name '%.60s'",
		    name);
	i = def_index(name, strlen(name));
	if (i < 0)
		return unknown_error(errors, origin, name);
	if (seen_at[i] != NULL)
		return conf_error(errors, origin,
		    "'%s' is set twice (first at %s)", name, seen_at[i]);
	seen_at[i] = xstrdup(origin);
	return conf_set(c, name, value, origin, errors);
}

int
conf_read_file(struct conf *c, const char *path, struct buf *errors)
{
	FILE *fp = fopen(path, "re");
	char *line = NULL, *origin;
	size_t cap = 0, lineno = 0, start = 0;
	ssize_t n;
	struct buf logical = BUF_INIT;
	char **seen_at;
	int rc = 0;

	if (fp == NULL)
		return conf_error(errors, path, "cannot open: %s",
		    strerror(errno));
	flatten();
	seen_at = xcalloc(n_defs + 1, sizeof(*seen_at));
	buf_init(&logical, CONF_LINE_MAX);
	for (;;) {
		char *p;

		n = getline(&line, &cap, fp);
		if (n >= 0)
			lineno++;
		if (n > 0 && memchr(line, '\0', (size_t)n) != NULL) {
			origin = xasprintf("%s:%zu", path, lineno);
			rc = conf_error(errors, origin, "NUL byte in line");
			free(origin);
			continue;
		}
		/* A line that starts with white space continues the last. */
		if (n > 0 && (line[0] == ' ' || line[0] == '\t') &&
		    *trim(line) != '\0' && *trim(line) != '#' && start > 0) {
			if (buf_append_byte(&logical, ' ') < 0 ||
			    buf_append_str(&logical, trim(line)) < 0) {
				origin = xasprintf("%s:%zu", path, lineno);
				rc = conf_error(errors, origin,
				    "line longer than %d bytes", CONF_LINE_MAX);
				free(origin);
			}
			continue;
		}
		if (start > 0) {
			origin = xasprintf("%s:%zu", path, start);
			if (set_line(c, (char *)logical.data, origin, seen_at,
			    errors) < 0)
				rc = -1;
			free(origin);
			start = 0;
		}
		if (n < 0)
			break;
		p = trim(line);
		if (*p == '\0' || *p == '#')
			continue;
		if (line[0] == ' ' || line[0] == '\t') {
			origin = xasprintf("%s:%zu", path, lineno);
			rc = conf_error(errors, origin,
			    "continuation line without a parameter before it");
			free(origin);
			continue;
		}
		buf_reset(&logical);
		if (buf_append_str(&logical, p) < 0) {
			origin = xasprintf("%s:%zu", path, lineno);
			rc = conf_error(errors, origin,
			    "line longer than %d bytes", CONF_LINE_MAX);
			free(origin);
			continue;
		}
		start = lineno;
	}
	if (ferror(fp))
		rc = conf_error(errors, path, "read error: %s", strerror(errno));
	fclose(fp);
	free(line);
	buf_free(&logical);
	for (size_t i = 0; i < n_defs; i++)
		free(seen_at[i]);
	free(seen_at);
	return rc;
}

/* raw_text - the text of entry i as set, or its default */
static const char *
raw_text(const struct conf *c, size_t i)
{
	return c->e[i].text != NULL ? c->e[i].text :
	    (defs[i]->def != NULL ? defs[i]->def : "");
}

static int expand(struct conf *c, size_t i, struct buf *errors);

/* expand_into - append text with $name references expanded */
static int
expand_into(struct conf *c, size_t owner, const char *text, struct buf *out,
    struct buf *errors)
{
	const char *origin = c->e[owner].origin != NULL ? c->e[owner].origin :
	    "default";
	const char *p = text;

	while (*p != '\0') {
		const char *name;
		size_t len;
		long j;

		if (*p != '$') {
			if (buf_append_byte(out, (uint8_t)*p++) < 0)
				goto too_long;
			continue;
		}
		p++;
		if (*p == '$') {
			if (buf_append_byte(out, '$') < 0)
				goto too_long;
			p++;
			continue;
		}
		if (*p == '{') {
			const char *end = strchr(p, '}');

			if (end == NULL)
				return conf_error(errors, origin,
				    "%s: '${' without '}'", defs[owner]->name);
			name = p + 1;
			len = (size_t)(end - name);
			p = end + 1;
		} else {
			name = p;
			while (islower((unsigned char)*p) ||
			    isdigit((unsigned char)*p) || *p == '_')
				p++;
			len = (size_t)(p - name);
		}
		if (len == 0)
			return conf_error(errors, origin,
			    "%s: '$' not followed by a parameter name (write "
			    "$$ for a dollar sign)", defs[owner]->name);
		j = def_index(name, len);
		if (j < 0)
			return conf_error(errors, origin,
			    "%s: unknown parameter $%.*s in value",
			    defs[owner]->name, (int)len, name);
		if (expand(c, (size_t)j, errors) < 0)
			return -1;
		if (buf_append_str(out, c->e[j].value) < 0)
			goto too_long;
	}
	return 0;
too_long:
	return conf_error(errors, origin, "%s: value longer than %d bytes",
	    defs[owner]->name, CONF_LINE_MAX);
}

/* expand - compute e[i].value once, detecting reference loops */
static int
expand(struct conf *c, size_t i, struct buf *errors)
{
	struct buf out;
	int rc;

	if (c->e[i].value != NULL)
		return 0;
	if (c->e[i].expanding > 0)
		return conf_error(errors, c->e[i].origin != NULL ?
		    c->e[i].origin : "default",
		    "%s: $name references form a loop", defs[i]->name);
	c->e[i].expanding++;
	buf_init(&out, CONF_LINE_MAX);
	rc = expand_into(c, i, raw_text(c, i), &out, errors);
	c->e[i].expanding--;
	if (rc == 0)
		c->e[i].value = xstrdup(buf_cstr(&out));
	buf_free(&out);
	return rc;
}

/* parse_scaled - number with an optional unit suffix */
static int
parse_scaled(const char *text, const char *units, const uint64_t *scale,
    uint64_t *out, const char **error_r)
{
	char num[32];
	size_t len = strlen(text);
	uint64_t mult = 1, v;
	const char *u;

	if (len == 0 || len >= sizeof(num)) {
		*error_r = len == 0 ? "is empty" : "is too long";
		return -1;
	}
	memcpy(num, text, len + 1);
	if (!isdigit((unsigned char)num[0])) {
		*error_r = "is not a number";
		return -1;
	}
	if (!isdigit((unsigned char)num[len - 1])) {
		u = strchr(units, tolower((unsigned char)num[len - 1]));
		if (u == NULL) {
			*error_r = "has an unknown unit";
			return -1;
		}
		mult = scale[u - units];
		num[len - 1] = '\0';
	}
	if (strnum_u64(num, 0, UINT64_MAX / mult, &v, error_r) < 0)
		return -1;
	*out = v * mult;	/* UNSAFE: v <= UINT64_MAX / mult */
	return 0;
}

/* parse_score - "-2", "0.5", "12.25" as hundredths */
static int
parse_score(const char *text, int64_t *out, const char **error_r)
{
	const char *p = text;
	int64_t v = 0, frac = 0;
	int places = 0;
	bool neg = *p == '-';

	if (neg || *p == '+')
		p++;
	if (!isdigit((unsigned char)*p)) {
		*error_r = "is not a number (like 2.5 or -1)";
		return -1;
	}
	for (; isdigit((unsigned char)*p); p++) {
		v = v * 10 + (*p - '0');
		if (v > 1000) {
			*error_r = "is outside -1000 to 1000";
			return -1;
		}
	}
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++) {
			if (++places > 2) {
				*error_r = "has more than two decimals";
				return -1;
			}
			frac = frac * 10 + (*p - '0');
		}
	if (*p != '\0') {
		*error_r = "is not a number (like 2.5 or -1)";
		return -1;
	}
	if (places == 1)
		frac *= 10;
	v = v * 100 + frac;
	if (v > 100000) {
		*error_r = "is outside -1000 to 1000";
		return -1;
	}
	*out = neg ? -v : v;
	return 0;
}

int
conf_parse_value(const struct conf_def *d, const char *text, uint64_t *out,
    const char **error_r)
{
	static const uint64_t time_scale[] = { 1, 60, 3600, 86400, 604800 };
	static const uint64_t size_scale[] = { 1024, 1048576, 1073741824 };
	uint64_t v = 0;

	switch (d->type) {
	case CONF_STR:
		return 0;
	case CONF_BOOL:
		if (strcmp(text, "yes") == 0)
			v = 1;
		else if (strcmp(text, "no") == 0)
			v = 0;
		else {
			*error_r = "must be yes or no";
			return -1;
		}
		*out = v;
		return 0;
	case CONF_INT:
		if (strnum_u64(text, 0, UINT64_MAX, &v, error_r) < 0)
			return -1;
		break;
	case CONF_TIME:
		if (parse_scaled(text, "smhdw", time_scale, &v, error_r) < 0)
			return -1;
		break;
	case CONF_SIZE:
		if (parse_scaled(text, "kmg", size_scale, &v, error_r) < 0)
			return -1;
		break;
	case CONF_SCORE: {
		int64_t h;

		if (parse_score(text, &h, error_r) < 0)
			return -1;
		*out = (uint64_t)h;	/* hundredths, two's complement */
		return 0;
	}
	}
	if (v < d->min) {
		*error_r = "is below the minimum";
		return -1;
	}
	if (v > d->max) {
		*error_r = "is above the maximum";
		return -1;
	}
	*out = v;
	return 0;
}

int
conf_finish(struct conf *c, struct buf *errors)
{
	int rc = 0;

	for (size_t i = 0; i < n_defs; i++)
		if (expand(c, i, errors) < 0)
			rc = -1;
	for (size_t i = 0; i < n_defs; i++) {
		const struct conf_def *d = defs[i];
		const char *why;

		if (c->e[i].value == NULL)
			continue;
		if (conf_parse_value(d, c->e[i].value, &c->e[i].num,
		    &why) < 0) {
			if (d->type == CONF_INT || d->type == CONF_TIME ||
			    d->type == CONF_SIZE)
				rc = conf_error(errors, c->e[i].origin != NULL ?
				    c->e[i].origin : "default",
				    "%s = %s: value %s (allowed: %llu to %llu)",
				    d->name, c->e[i].value, why,
				    (unsigned long long)d->min,
				    (unsigned long long)d->max);
			else
				rc = conf_error(errors, c->e[i].origin != NULL ?
				    c->e[i].origin : "default",
				    "%s = %s: value %s", d->name,
				    c->e[i].value, why);
		}
	}
	return rc;
}

void
conf_apply(const struct conf *c)
{
	for (size_t i = 0; i < n_defs; i++) {
		const struct conf_def *d = defs[i];

		if (d->var == NULL || c->e[i].value == NULL)
			continue;
		switch (d->type) {
		case CONF_STR:
			free(applied[i]);
			applied[i] = xstrdup(c->e[i].value);
			*(char **)d->var = applied[i];
			break;
		case CONF_BOOL:
			*(bool *)d->var = c->e[i].num != 0;
			break;
		case CONF_SCORE:
			*(double *)d->var = (double)(int64_t)c->e[i].num / 100;
			break;
		default:
			*(uint64_t *)d->var = c->e[i].num;
			break;
		}
	}
}

const char *
conf_value(const struct conf *c, const char *name)
{
	long i = def_index(name, strlen(name));

	return i < 0 ? NULL : c->e[i].value;
}

const char *
conf_origin(const struct conf *c, const char *name)
{
	long i = def_index(name, strlen(name));

	return i < 0 ? NULL : c->e[i].origin;
}

int
conf_write_snapshot(const struct conf *c, const char *path)
{
	char *tmp = xasprintf("%s.tmp", path);
	FILE *fp = fopen(tmp, "we");
	int rc = 0;

	if (fp == NULL) {
		free(tmp);
		return -1;
	}
	fprintf(fp, "# The configuration master runs with; written by master, "
	    "not to be edited.\n");
	for (size_t i = 0; i < n_defs; i++) {
		if (c->e[i].origin == NULL || c->e[i].value == NULL)
			continue;
		fprintf(fp, "%s = ", defs[i]->name);
		for (const char *p = c->e[i].value; *p != '\0'; p++) {
			if (*p == '$')
				fputc('$', fp);
			fputc(*p, fp);
		}
		fputc('\n', fp);
	}
	if (fflush(fp) != 0 || fsync(fileno(fp)) < 0)
		rc = -1;
	if (fclose(fp) != 0)
		rc = -1;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -1;
	if (rc < 0)
		(void)unlink(tmp);
	free(tmp);
	return rc;
}

struct conf *
conf_load_simple(const char *path, char *const *overrides,
    size_t n_overrides)
{
	struct conf *c = conf_new();
	struct buf errors = BUF_INIT;
	int rc = 0;

	if (path != NULL && conf_read_file(c, path, &errors) < 0)
		rc = -1;
	for (size_t i = 0; i < n_overrides; i++) {
		char *eq = strchr(overrides[i], '='), *name;

		if (eq == NULL) {
			rc = conf_error(&errors, "-o", "missing '=' in \"%s\"",
			    overrides[i]);
			continue;
		}
		name = xstrndup(overrides[i], (size_t)(eq - overrides[i]));
		if (conf_set(c, name, eq + 1, "-o", &errors) < 0)
			rc = -1;
		free(name);
	}
	if (rc == 0 && conf_finish(c, &errors) < 0)
		rc = -1;
	if (rc < 0) {
		/* Every error on its own log line, then give up. */
		char *p = (char *)errors.data, *nl;

		while (p != NULL && (nl = strchr(p, '\n')) != NULL) {
			*nl = '\0';
			msg_error("%s", p);
			p = nl + 1;
		}
		buf_free(&errors);
		conf_free(&c);
		msg_fatal("configuration errors; not starting");
	}
	buf_free(&errors);
	conf_apply(c);
	return c;
}
