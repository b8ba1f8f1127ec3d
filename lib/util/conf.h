/*
 * conf.h - postern.conf: one definition table per parameter (STYLE 7).
 *
 * A program registers its tables (conf_register), then builds a struct
 * conf from the file and any "-o name=value" overrides, and conf_apply()
 * stores the typed, range-checked values into each definition's variable.
 * Values may refer to other parameters as $name or ${name}; expansion
 * happens in conf_finish(), after every source is read.
 *
 * Every error names its origin, "file:line: what is wrong", and all of
 * them are collected so that `postern check` can show every one at once.
 */
#ifndef POSTERN_CONF_H
#define POSTERN_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

enum conf_type {
	CONF_STR,	/* char **var */
	CONF_INT,	/* uint64_t *var, plain decimal */
	CONF_BOOL,	/* bool *var, yes/no */
	CONF_TIME,	/* uint64_t *var in seconds; suffix s, m, h, d, w */
	CONF_SIZE,	/* uint64_t *var in bytes; suffix k, m, g (1024) */
	CONF_SCORE,	/* double *var: -1000 to 1000, at most two decimals */
};

struct conf_def {
	const char *name;
	enum conf_type type;
	const char *def;	/* default, as text; may use $name */
	void *var;		/* where conf_apply stores the value */
	uint64_t min, max;	/* INT/TIME/SIZE range, inclusive */
	const char *doc;	/* one line for postern.conf(5) and config -d */
};

#define CONF_END { NULL, 0, NULL, NULL, 0, 0, NULL }

struct conf;

/* conf_register - add a CONF_END-terminated table (at most 16 tables). */
void conf_register(const struct conf_def *table);
/* conf_def_find - the definition of name, or NULL. */
const struct conf_def *conf_def_find(const char *name);
/* conf_def_next - iterate all definitions in table order (start: NULL). */
const struct conf_def *conf_def_next(const struct conf_def *prev);
/* conf_suggest - the closest known name within edit distance 3, or NULL. */
const char *conf_suggest(const char *name);

/*
 * conf_error - append "origin: text\n" to errors (if not NULL); always
 * returns -1, so that parsers can "return conf_error(...)".  master.conf
 * and postern.conf errors share this one form.
 */
int conf_error(struct buf *errors, const char *origin, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* conf_new - a configuration holding only defaults. */
struct conf *conf_new(void);
void conf_free(struct conf **cp);
/*
 * conf_read_file - read "name = value" lines.  Unknown names, syntax
 * errors and repeated names are errors appended to errors ("path:line:
 * text\n").  Returns 0, or -1 if anything was wrong (the rest is still
 * read, to report every error).
 */
int conf_read_file(struct conf *c, const char *path, struct buf *errors);
/* conf_set - one setting from origin (e.g. "master.conf:7"); as above. */
int conf_set(struct conf *c, const char *name, const char *value,
    const char *origin, struct buf *errors);
/*
 * conf_finish - expand $names and check every typed value against its
 * definition.  Returns 0 or -1 with errors appended.
 */
int conf_finish(struct conf *c, struct buf *errors);
/* conf_apply - store the finished values into the definitions' vars. */
void conf_apply(const struct conf *c);
/* conf_value - the expanded text of name (after conf_finish), or NULL. */
const char *conf_value(const struct conf *c, const char *name);
/* conf_origin - "file:line" where name was set, or NULL for a default. */
const char *conf_origin(const struct conf *c, const char *name);

/*
 * conf_write_snapshot - write every value that is not a default, expanded
 * ('$' written as "$$"), as a postern.conf that reads back to the same
 * configuration.  Written to a temporary file, fsync'ed and renamed into
 * place.  master hands this file to its children, so that a child started
 * after someone broke postern.conf still runs the configuration master
 * accepted.  Returns 0, or -1 with errno set.
 */
int conf_write_snapshot(const struct conf *c, const char *path);

/*
 * conf_parse_value - check text against a definition and convert it
 * (*out for INT/TIME/SIZE/BOOL).  Returns 0 or -1 with a static reason.
 */
int conf_parse_value(const struct conf_def *d, const char *text,
    uint64_t *out, const char **error_r);

/*
 * conf_load_simple - for daemons and commands: a new conf from path plus
 * overrides ("name=value" strings), finished and applied; fatal with every
 * error on failure.  Returns the conf (the caller may keep or free it).
 */
struct conf *conf_load_simple(const char *path, char *const *overrides,
    size_t n_overrides);

#endif
