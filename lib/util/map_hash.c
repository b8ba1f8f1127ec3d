/*
 * NAME
 *	map_hash - the hash: map backend on Berkeley DB
 * DESCRIPTION
 *	One DB_HASH file, opened without an environment (see Postfix
 *	dict_db.c).  Locking is ours, with fcntl on the database's own
 *	descriptor: shared for reads, exclusive for writes, each write
 *	synced before the lock is dropped.  A reader's cached pages could
 *	be stale after another process wrote, so lookups of a map opened
 *	read-only reopen the file when its modification time changed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <db.h>

#include "util/map.h"
#include "util/mem.h"

struct map_hash {
	struct map map;		/* first: map.c casts */
	DB *db;
	char *path;
	int flags;
	struct timespec mtime;
};

/* set_error - remember a failure for map_error */
static void
set_error(struct map_hash *h, const char *what, int err)
{
	snprintf(h->map.error, sizeof(h->map.error), "hash:%.150s: %s: %s",
	    h->path, what, db_strerror(err));
}

/* db_open - open the file with the map's flags */
static int
db_open(struct map_hash *h, const char **error_r)
{
	static char why[320];
	u_int32_t dbflags = 0;
	struct stat st;
	int err;

	if ((err = db_create(&h->db, NULL, 0)) != 0) {
		snprintf(why, sizeof(why), "hash:%.200s: %s", h->path,
		    db_strerror(err));
		*error_r = why;
		return -1;
	}
	if (!(h->flags & MAP_RDWR))
		dbflags |= DB_RDONLY;
	else if (h->flags & MAP_CREATE)
		dbflags |= DB_CREATE;
	err = h->db->open(h->db, NULL, h->path, NULL, DB_HASH, dbflags, 0600);
	if (err != 0) {
		snprintf(why, sizeof(why), "hash:%.200s: cannot open: %s",
		    h->path, err == ENOENT ? "no such file" : db_strerror(err));
		*error_r = why;
		h->db->close(h->db, 0);
		h->db = NULL;
		return -1;
	}
	if (stat(h->path, &st) == 0)
		h->mtime = st.st_mtim;
	return 0;
}

/* lock - fcntl lock on the database file (F_UNLCK to release) */
static int
lock(struct map_hash *h, short type)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET };
	int fd;

	if (h->db->fd(h->db, &fd) != 0)
		return -1;
	while (fcntl(fd, F_SETLKW, &fl) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

/* refresh - a read-only map sees other processes' writes */
static int
refresh(struct map_hash *h)
{
	struct stat st;
	const char *why;

	if ((h->flags & MAP_RDWR) || stat(h->path, &st) < 0)
		return 0;
	if (st.st_mtim.tv_sec == h->mtime.tv_sec &&
	    st.st_mtim.tv_nsec == h->mtime.tv_nsec)
		return 0;
	h->db->close(h->db, 0);
	h->db = NULL;
	if (db_open(h, &why) < 0) {
		snprintf(h->map.error, sizeof(h->map.error), "%s", why);
		return -1;
	}
	return 0;
}

/* hash_open - the backend's open */
static struct map *
hash_open(const char *name, int flags, const char **error_r)
{
	struct map_hash *h = xcalloc(1, sizeof(*h));

	h->path = xstrdup(name);
	h->flags = flags;
	if (db_open(h, error_r) < 0) {
		free(h->path);
		free(h);
		return NULL;
	}
	return &h->map;
}

static int
hash_lookup(struct map *m, const char *key, size_t klen, struct buf *value)
{
	struct map_hash *h = (struct map_hash *)m;
	DBT k = { .data = (void *)key, .size = (u_int32_t)klen };
	DBT v = { .flags = DB_DBT_MALLOC };
	int err, rc;

	if (refresh(h) < 0 || lock(h, F_RDLCK) < 0)
		return -1;
	err = h->db->get(h->db, NULL, &k, &v, 0);
	(void)lock(h, F_UNLCK);
	if (err == DB_NOTFOUND)
		return 0;
	if (err != 0) {
		set_error(h, "lookup", err);
		return -1;
	}
	buf_reset(value);
	rc = buf_append(value, v.data, v.size) < 0 ? -1 : 1;
	if (rc < 0)
		snprintf(m->error, sizeof(m->error), "value too long");
	free(v.data);
	return rc;
}

/* write_op - a put (value != NULL) or delete under the exclusive lock,
 * synced before the lock goes; the DB error code, or -1 if read-only */
static int
write_op(struct map_hash *h, const char *key, size_t klen, const void *value,
    size_t vlen)
{
	DBT k = { .data = (void *)key, .size = (u_int32_t)klen };
	DBT v = { .data = (void *)value, .size = (u_int32_t)vlen };
	int err;

	if (!(h->flags & MAP_RDWR)) {
		snprintf(h->map.error, sizeof(h->map.error), "hash:%.150s: "
		    "opened read-only", h->path);
		return -1;
	}
	if (lock(h, F_WRLCK) < 0)
		return -1;
	err = value != NULL ? h->db->put(h->db, NULL, &k, &v, 0) :
	    h->db->del(h->db, NULL, &k, 0);
	if (err == 0)
		err = h->db->sync(h->db, 0);
	(void)lock(h, F_UNLCK);
	return err;
}

static int
hash_update(struct map *m, const char *key, size_t klen, const void *value,
    size_t vlen)
{
	struct map_hash *h = (struct map_hash *)m;
	int err = write_op(h, key, klen, value != NULL ? value : "", vlen);

	if (err > 0 || err < -1)
		set_error(h, "update", err);
	return err == 0 ? 0 : -1;
}

static int
hash_remove(struct map *m, const char *key, size_t klen)
{
	struct map_hash *h = (struct map_hash *)m;
	int err = write_op(h, key, klen, NULL, 0);

	if (err == DB_NOTFOUND)
		return 0;
	if (err > 0 || err < -1)
		set_error(h, "delete", err);
	return err == 0 ? 1 : -1;
}

static int
hash_iterate(struct map *m, int (*fn)(const char *key, size_t klen,
    const void *value, size_t vlen, void *ctx), void *ctx)
{
	struct map_hash *h = (struct map_hash *)m;
	DBT k = { 0 }, v = { 0 };
	DBC *cur;
	int err, rc = 0;

	if (refresh(h) < 0 || lock(h, F_RDLCK) < 0)
		return -1;
	if ((err = h->db->cursor(h->db, NULL, &cur, 0)) != 0) {
		(void)lock(h, F_UNLCK);
		set_error(h, "iterate", err);
		return -1;
	}
	while ((err = cur->get(cur, &k, &v, DB_NEXT)) == 0) {
		rc = fn(k.data, k.size, v.data, v.size, ctx);
		if (rc != 0)
			break;
	}
	cur->close(cur);
	(void)lock(h, F_UNLCK);
	if (err != 0 && err != DB_NOTFOUND) {
		set_error(h, "iterate", err);
		return -1;
	}
	return rc;
}

static void
hash_close(struct map *m)
{
	struct map_hash *h = (struct map_hash *)m;

	if (h->db != NULL)
		h->db->close(h->db, 0);
	free(h->path);
	free(h);
}

const struct map_ops map_hash_ops = {
	.type = "hash",
	.open = hash_open,
	.lookup = hash_lookup,
	.update = hash_update,
	.remove = hash_remove,
	.iterate = hash_iterate,
	.close = hash_close,
};
