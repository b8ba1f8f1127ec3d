/*
 * NAME
 *	svc - master.conf service table parser
 * DESCRIPTION
 *	See svc.h for the format.  The parser checks everything it can
 *	without touching the system (no socket is opened here), so `postern
 *	check` and master's reload report the same errors.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/conf.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/sock.h"
#include "util/strnum.h"
#include "util/svc.h"

#define SVC_LINE_MAX	4096
#define SVC_MAX_WORDS	128

/* yes_no - parse a y/n column ("-" gives the default) */
static int
yes_no(const char *w, bool def, bool *out)
{
	if (strcmp(w, "-") == 0)
		*out = def;
	else if (strcmp(w, "y") == 0 || strcmp(w, "yes") == 0)
		*out = true;
	else if (strcmp(w, "n") == 0 || strcmp(w, "no") == 0)
		*out = false;
	else
		return -1;
	return 0;
}

/* valid_service_name - letters, digits, '-', '_', '.' */
static bool
valid_service_name(const char *s)
{
	if (*s == '\0' || strlen(s) > 64)
		return false;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("-_.", *s) == NULL)
			return false;
	return true;
}

/* check_override - "name=value" for a known parameter with a good value */
static int
check_override(const char *ov, const char *origin, struct buf *errors)
{
	const char *eq = strchr(ov, '='), *why;
	const struct conf_def *d;
	char *name;
	uint64_t v;
	int rc = 0;

	if (eq == NULL)
		return conf_error(errors, origin, "-o %s: expected name=value",
		    ov);
	name = xstrndup(ov, (size_t)(eq - ov));
	d = conf_def_find(name);
	if (d == NULL) {
		const char *s = conf_suggest(name);

		rc = conf_error(errors, origin,
		    "-o %s: unknown parameter '%s'%s%s%s", ov, name,
		    s != NULL ? " (did you mean '" : "", s != NULL ? s : "",
		    s != NULL ? "'?)" : "");
	} else if (strchr(eq + 1, '$') == NULL &&
	    conf_parse_value(d, eq + 1, &v, &why) < 0) {
		rc = conf_error(errors, origin, "-o %s: value %s", ov, why);
	}
	free(name);
	return rc;
}

/* parse_words - one logical line into a service */
static int
parse_words(struct svc_table *t, char **w, size_t n, const char *origin,
    struct buf *errors)
{
	struct svc s;
	const char *why;
	uint64_t limit;
	int rc = 0;
	size_t i;

	memset(&s, 0, sizeof(s));
	if (n < 7)
		return conf_error(errors, origin, "expected 7 columns (service "
		    "type listen unpriv chroot limit command), found %zu", n);
	if (!valid_service_name(w[0]))
		return conf_error(errors, origin, "bad service name '%s'", w[0]);
	for (i = 0; i < t->n; i++)
		if (strcmp(t->svcs[i].name, w[0]) == 0)
			return conf_error(errors, origin, "service '%s' is "
			    "defined twice (first at %s)", w[0],
			    t->svcs[i].origin);
	if (strcmp(w[1], "inet") == 0)
		s.type = SVC_INET;
	else if (strcmp(w[1], "unix") == 0)
		s.type = SVC_UNIX;
	else
		return conf_error(errors, origin, "service '%s': type must be "
		    "inet or unix, not '%s'", w[0], w[1]);
	if (strcmp(w[2], "-") != 0) {
		if (s.type == SVC_INET) {
			struct sockaddr_storage ss;
			socklen_t len;

			if (sock_parse_inet(w[2], &ss, &len, &why) < 0)
				return conf_error(errors, origin, "service "
				    "'%s': listen address '%s': %s", w[0],
				    w[2], why);
		} else if (w[2][0] != '/' && !valid_service_name(w[2])) {
			return conf_error(errors, origin, "service '%s': unix "
			    "socket '%s' must be a plain name or an absolute "
			    "path", w[0], w[2]);
		}
		for (i = 0; i < t->n; i++)
			if (t->svcs[i].listen != NULL &&
			    t->svcs[i].type == s.type &&
			    strcmp(t->svcs[i].listen, w[2]) == 0)
				return conf_error(errors, origin, "service "
				    "'%s': listen address %s is already used "
				    "by '%s' (%s)", w[0], w[2],
				    t->svcs[i].name, t->svcs[i].origin);
	} else if (s.type == SVC_INET) {
		return conf_error(errors, origin, "service '%s': an inet "
		    "service needs a listen address", w[0]);
	}
	if (yes_no(w[3], true, &s.unpriv) < 0)
		return conf_error(errors, origin, "service '%s': unpriv must "
		    "be y, n or -, not '%s'", w[0], w[3]);
	if (yes_no(w[4], true, &s.chroot) < 0)
		return conf_error(errors, origin, "service '%s': chroot must "
		    "be y, n or -, not '%s'", w[0], w[4]);
	if (strcmp(w[5], "-") == 0)
		s.process_limit = -1;
	else if (strnum_u64(w[5], 0, 100000, &limit, &why) < 0)
		return conf_error(errors, origin, "service '%s': process limit "
		    "'%s' %s (0 to 100000, or -)", w[0], w[5], why);
	else
		s.process_limit = (long)limit;
	if (strchr(w[6], '/') != NULL && w[6][0] != '/')
		return conf_error(errors, origin, "service '%s': command '%s' "
		    "must be a name in daemon_directory or an absolute path",
		    w[0], w[6]);
	s.args = xcalloc(n, sizeof(char *));
	s.overrides = xcalloc(n, sizeof(char *));
	for (i = 7; i < n; i++) {
		const char *ov = NULL;

		if (strcmp(w[i], "-o") == 0) {
			if (i + 1 == n) {
				rc = conf_error(errors, origin, "service '%s': "
				    "-o needs name=value", w[0]);
				break;
			}
			ov = w[++i];
		} else if (strncmp(w[i], "-o", 2) == 0) {
			ov = w[i] + 2;
		}
		if (ov != NULL) {
			if (check_override(ov, origin, errors) < 0)
				rc = -1;
			s.overrides[s.n_overrides++] = xstrdup(ov);
		} else {
			s.args[s.n_args++] = xstrdup(w[i]);
		}
	}
	s.name = xstrdup(w[0]);
	s.listen = strcmp(w[2], "-") == 0 ? NULL : xstrdup(w[2]);
	s.command = xstrdup(w[6]);
	s.origin = xstrdup(origin);
	{
		struct buf sig = BUF_INIT;

		for (i = 0; i < n; i++)
			if (buf_append_str(&sig, w[i]) < 0 ||
			    buf_append_byte(&sig, ' ') < 0)
				break;
		s.signature = xstrdup(buf_cstr(&sig));
		buf_free(&sig);
	}
	t->svcs = xrealloc(t->svcs, (t->n + 1) * sizeof(*t->svcs));
	t->svcs[t->n++] = s;
	return rc;
}

/* split - split a line into white-space separated words in place */
static size_t
split(char *line, char **w, size_t max)
{
	size_t n = 0;
	char *save = NULL, *tok;

	for (tok = strtok_r(line, " \t\r\n", &save); tok != NULL && n < max;
	    tok = strtok_r(NULL, " \t\r\n", &save))
		w[n++] = tok;
	return n;
}

/* flush_logical - parse the collected logical line */
static int
flush_logical(struct svc_table *t, struct buf *logical, const char *path,
    size_t start, struct buf *errors)
{
	char *w[SVC_MAX_WORDS + 1], *origin;
	size_t n;
	int rc;

	if (start == 0)
		return 0;
	origin = xasprintf("%s:%zu", path, start);
	n = split((char *)logical->data, w, SVC_MAX_WORDS + 1);
	if (n > SVC_MAX_WORDS)
		rc = conf_error(errors, origin, "more than %d words",
		    SVC_MAX_WORDS);
	else
		rc = parse_words(t, w, n, origin, errors);
	free(origin);
	return rc;
}

int
svc_table_read(struct svc_table *t, const char *path, struct buf *errors)
{
	FILE *fp = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0, lineno = 0, start = 0;
	struct buf logical;
	ssize_t n;
	int rc = 0;

	t->svcs = NULL;
	t->n = 0;
	if (fp == NULL)
		return conf_error(errors, path, "cannot open: %s",
		    strerror(errno));
	buf_init(&logical, SVC_LINE_MAX);
	while ((n = getline(&line, &cap, fp)) >= 0) {
		const char *p = line;

		lineno++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '#' || *p == '\n' || *p == '\r' || *p == '\0')
			continue;
		if (memchr(line, '\0', (size_t)n) != NULL) {
			char *o = xasprintf("%s:%zu", path, lineno);

			rc = conf_error(errors, o, "NUL byte in line");
			free(o);
			continue;
		}
		if (p != line && start > 0) {
			if (buf_append_byte(&logical, ' ') < 0 ||
			    buf_append_str(&logical, p) < 0) {
				char *o = xasprintf("%s:%zu", path, lineno);

				rc = conf_error(errors, o, "line too long");
				free(o);
			}
			continue;
		}
		if (p != line) {
			char *o = xasprintf("%s:%zu", path, lineno);

			rc = conf_error(errors, o, "continuation line without "
			    "a service before it");
			free(o);
			continue;
		}
		if (flush_logical(t, &logical, path, start, errors) < 0)
			rc = -1;
		buf_reset(&logical);
		start = lineno;
		if (buf_append_str(&logical, line) < 0) {
			char *o = xasprintf("%s:%zu", path, lineno);

			rc = conf_error(errors, o, "line too long");
			free(o);
			start = 0;
		}
	}
	if (flush_logical(t, &logical, path, start, errors) < 0)
		rc = -1;
	fclose(fp);
	free(line);
	buf_free(&logical);
	return rc;
}

/* svc_free - release one service */
static void
svc_free(struct svc *s)
{
	size_t i;

	for (i = 0; i < s->n_args; i++)
		free(s->args[i]);
	for (i = 0; i < s->n_overrides; i++)
		free(s->overrides[i]);
	free(s->args);
	free(s->overrides);
	free(s->name);
	free(s->listen);
	free(s->command);
	free(s->origin);
	free(s->signature);
}

void
svc_table_free(struct svc_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		svc_free(&t->svcs[i]);
	free(t->svcs);
	t->svcs = NULL;
	t->n = 0;
}

struct svc *
svc_find(struct svc_table *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->svcs[i].name, name) == 0)
			return &t->svcs[i];
	return NULL;
}
