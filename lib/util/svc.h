/*
 * svc.h - master.conf, the service table (DESIGN 7).
 *
 *	# service  type  listen          unpriv chroot limit command [args]
 *	smtpd      inet  127.0.0.1:10025 y      y      100   smtpd -o client_limit=50
 *
 * type is inet (listen = host:port, [v6]:port or *:port) or unix (listen =
 * a socket name under socket_directory, or an absolute path); "-" in the
 * listen column means no listener.  unpriv and chroot are y/n; limit is
 * process_limit (0 = unlimited, "-" = default_process_limit).  "-o
 * name=value" arguments override postern.conf for that service alone; any
 * other argument goes to the command.  A line starting with white space
 * continues the previous line.
 */
#ifndef POSTERN_SVC_H
#define POSTERN_SVC_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

enum svc_type {
	SVC_INET,
	SVC_UNIX,
};

struct svc {
	char *name;
	enum svc_type type;
	char *listen;		/* as written; NULL for "-" */
	bool unpriv;
	bool chroot;
	long process_limit;	/* -1: use default_process_limit */
	char *command;		/* first word of the command */
	char **args;		/* NULL-terminated extra arguments */
	size_t n_args;
	char **overrides;	/* "name=value", NULL-terminated */
	size_t n_overrides;
	char *origin;		/* "master.conf:12" */
	char *signature;	/* the normalised line, to detect changes */
};

struct svc_table {
	struct svc *svcs;
	size_t n;
};

/*
 * svc_table_read - parse path.  Every error ("path:line: text\n") goes to
 * errors: bad columns, duplicate service names or listen addresses, -o
 * with an unknown parameter or a bad value.  Returns 0 or -1.
 */
int svc_table_read(struct svc_table *t, const char *path, struct buf *errors);
void svc_table_free(struct svc_table *t);
/* svc_find - the service called name, or NULL. */
struct svc *svc_find(struct svc_table *t, const char *name);

#endif
