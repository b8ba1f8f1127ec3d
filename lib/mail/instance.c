/*
 * NAME
 *	instance - load an instance's configuration files
 * DESCRIPTION
 *	master and the postern command read the same files the same way,
 *	so that `postern check` reports exactly what master would refuse.
 */
#include <stdlib.h>
#include <string.h>

#include "mail/instance.h"
#include "util/log.h"
#include "util/mem.h"

int
instance_load(const char *config_dir, struct conf **cp, struct svc_table *t,
    struct buf *errors)
{
	char *path = xasprintf("%s/postern.conf", config_dir);
	struct conf *c = conf_new();
	int rc = 0;

	if (conf_set(c, "config_directory", config_dir, "-c", errors) < 0 ||
	    conf_read_file(c, path, errors) < 0)
		rc = -1;
	if (conf_finish(c, errors) < 0)
		rc = -1;
	free(path);
	path = xasprintf("%s/master.conf", config_dir);
	if (svc_table_read(t, path, errors) < 0)
		rc = -1;
	free(path);
	if (rc < 0) {
		conf_free(&c);
		svc_table_free(t);
		return -1;
	}
	*cp = c;
	return 0;
}

void
instance_log_errors(const struct buf *errors)
{
	const char *p = buf_cstr(errors), *nl;

	while ((nl = strchr(p, '\n')) != NULL) {
		msg_error("%.*s", (int)(nl - p), p);
		p = nl + 1;
	}
}
