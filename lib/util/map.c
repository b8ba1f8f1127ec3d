/*
 * NAME
 *	map - the lookup-table interface and its backend registry
 * DESCRIPTION
 *	Adding a backend: write map_<type>.c with a struct map_ops and add
 *	it to backends[] below.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/map.h"
#include "util/mem.h"

extern const struct map_ops map_hash_ops;

static const struct map_ops *const backends[] = {
	&map_hash_ops,
	NULL,
};

struct map *
map_open(const char *spec, int flags, const char **error_r)
{
	static char why[320];
	const char *colon = strchr(spec, ':');
	struct map *m;
	size_t tlen;

	if (colon == NULL || colon == spec || colon[1] == '\0') {
		snprintf(why, sizeof(why), "map \"%.200s\": expected type:name, "
		    "e.g. hash:/etc/postern/aliases", spec);
		*error_r = why;
		return NULL;
	}
	tlen = (size_t)(colon - spec);
	for (size_t i = 0; backends[i] != NULL; i++) {
		if (strlen(backends[i]->type) != tlen ||
		    strncmp(backends[i]->type, spec, tlen) != 0)
			continue;
		m = backends[i]->open(colon + 1, flags, error_r);
		if (m != NULL) {
			m->ops = backends[i];
			m->spec = xstrdup(spec);
		}
		return m;
	}
	snprintf(why, sizeof(why), "map \"%.200s\": unknown type \"%.*s\" "
	    "(known: hash)", spec, (int)(tlen < 40 ? tlen : 40), spec);
	*error_r = why;
	return NULL;
}

int
map_lookup(struct map *m, const char *key, struct buf *value)
{
	return m->ops->lookup(m, key, strlen(key), value);
}

int
map_update(struct map *m, const char *key, const void *value, size_t len)
{
	return m->ops->update(m, key, strlen(key), value, len);
}

int
map_delete(struct map *m, const char *key)
{
	return m->ops->remove(m, key, strlen(key));
}

int
map_iterate(struct map *m, int (*fn)(const char *key, size_t klen,
    const void *value, size_t vlen, void *ctx), void *ctx)
{
	return m->ops->iterate(m, fn, ctx);
}

const char *
map_error(const struct map *m)
{
	return m->error;
}

void
map_close(struct map **mp)
{
	struct map *m = *mp;
	char *spec;

	if (m == NULL)
		return;
	spec = m->spec;
	m->ops->close(m);
	free(spec);
	*mp = NULL;
}
