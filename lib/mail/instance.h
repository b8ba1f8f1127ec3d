/*
 * instance.h - one Postern instance: its postern.conf and master.conf.
 */
#ifndef POSTERN_INSTANCE_H
#define POSTERN_INSTANCE_H

#include "util/buf.h"
#include "util/conf.h"
#include "util/svc.h"

/*
 * instance_load - read config_dir/postern.conf (with config_directory set
 * to config_dir) and config_dir/master.conf.  On success *cp holds the
 * finished (not applied) configuration and *t the service table; on
 * failure every error is in errors as "file:line: text" lines and nothing
 * is returned.  Parameters must be registered first.
 */
int instance_load(const char *config_dir, struct conf **cp,
    struct svc_table *t, struct buf *errors)
	__attribute__((warn_unused_result));

/* instance_log_errors - log each line of errors with msg_error. */
void instance_log_errors(const struct buf *errors);

#endif
