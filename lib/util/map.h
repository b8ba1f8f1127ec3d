/*
 * map.h - lookup tables named "type:name", like Postfix maps (DESIGN 6).
 *
 * Users, aliases, domains and per-user settings all sit behind this one
 * small interface, so that a site that outgrows one machine can add a
 * backend (pgsql:, ldap:) as one file with one ops table, registered in
 * map.c.  The embedded default is hash:, a Berkeley DB hash file.
 *
 * Keys are byte strings as given (callers normalise case); values are
 * bytes.  Concurrency: any number of processes may hold a map open; each
 * lookup takes a shared lock and each update or delete an exclusive one
 * on the file, and every write is synced before the lock is released, so
 * a reader never sees half an update.
 */
#ifndef POSTERN_MAP_H
#define POSTERN_MAP_H

#include <stddef.h>

#include "util/buf.h"

#define MAP_RDONLY	0
#define MAP_RDWR	1
#define MAP_CREATE	2	/* with MAP_RDWR: create if missing */

struct map;

/* What a backend provides; see map_hash.c. */
struct map_ops {
	const char *type;
	struct map *(*open)(const char *name, int flags,
	    const char **error_r);
	int (*lookup)(struct map *m, const char *key, size_t klen,
	    struct buf *value);
	int (*update)(struct map *m, const char *key, size_t klen,
	    const void *value, size_t vlen);
	int (*remove)(struct map *m, const char *key, size_t klen);
	int (*iterate)(struct map *m, int (*fn)(const char *key,
	    size_t klen, const void *value, size_t vlen, void *ctx),
	    void *ctx);
	void (*close)(struct map *m);
};

/* Every backend's handle starts with this. */
struct map {
	const struct map_ops *ops;
	char *spec;
	char error[256];
};

/*
 * map_open - open "type:name".  Returns the map, or NULL with *error_r
 * (static text) naming the problem: unknown type, missing file, ...
 */
struct map *map_open(const char *spec, int flags, const char **error_r);
/* map_lookup - 1 found (value replaced), 0 not found, -1 error. */
int map_lookup(struct map *m, const char *key, struct buf *value)
	__attribute__((warn_unused_result));
/* map_update - insert or replace; 0 or -1. */
int map_update(struct map *m, const char *key, const void *value,
    size_t len) __attribute__((warn_unused_result));
/* map_delete - 1 deleted, 0 absent, -1 error. */
int map_delete(struct map *m, const char *key)
	__attribute__((warn_unused_result));
/*
 * map_iterate - call fn for every pair (order unspecified) while it
 * returns 0; returns 0, fn's non-zero value, or -1 on error.
 */
int map_iterate(struct map *m, int (*fn)(const char *key, size_t klen,
    const void *value, size_t vlen, void *ctx), void *ctx);
/* map_error - the last error of m, as text. */
const char *map_error(const struct map *m);
/* map_close - close *mp and set it to NULL. */
void map_close(struct map **mp);

#endif
