/*
 * daemon.h - the one skeleton every daemon runs in (see Postfix
 * single_server.c, STYLE 2).
 *
 * daemon_main() parses master's arguments (master_fds.h), loads the
 * configuration, opens the log, calls pre_jail, chroots and drops
 * privileges, calls post_jail, then runs the event loop: it accepts on the
 * listeners, hands each connection to on_accept, and enforces client_limit,
 * max_use and idle_timeout, reporting its state to master.
 *
 * A daemon calls daemon_conn_done() once for each connection it was given,
 * when that connection ends.  Daemons never chroot or setuid themselves.
 */
#ifndef POSTERN_DAEMON_H
#define POSTERN_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include "util/conf.h"
#include "util/ipc.h"
#include "util/master_fds.h"

struct daemon_spec {
	/* Parameter naming the user this daemon runs as, e.g. "mail_owner". */
	const char *user_param;
	/* Parameter naming its chroot directory, e.g. "queue_directory". */
	const char *chroot_param;
	/* Before the jail: open keys and files (optional). */
	void (*pre_jail)(void);
	/* After the jail, before the loop (optional). */
	void (*post_jail)(void);
	/* A new connection on listener index li (0-based); fd non-blocking. */
	void (*on_accept)(int fd, unsigned li);
	/* Stop requested: finish the transaction in hand, start no new one
	 * (optional).  The skeleton exits once every connection is done or
	 * stop_timeout passes. */
	void (*on_stop)(void);
};

/* Settings every service has (postern.conf, -o per service). */
extern uint64_t var_client_limit;
extern uint64_t var_max_use;
extern uint64_t var_idle_timeout;
extern uint64_t var_default_process_limit;
extern uint64_t var_process_min;
extern uint64_t var_memory_limit;
extern uint64_t var_fd_limit;
extern uint64_t var_stop_timeout;
extern uint64_t var_throttle_time;
extern uint64_t var_limit_log_interval;
extern char *var_config_dir;
extern char *var_daemon_dir;
extern char *var_run_dir;
extern char *var_socket_dir;
extern char *var_maillog_file;
extern char *var_allowed_clients;

/* The table above, registered by params_register() in lib/mail. */
extern const struct conf_def daemon_params[];

/* daemon_main - run the daemon; does not return. */
__attribute__((noreturn))
void daemon_main(int argc, char **argv, const struct daemon_spec *spec);
/* daemon_conn_done - one connection handed to on_accept has ended. */
void daemon_conn_done(void);
/*
 * daemon_connect - a connection to the unix service called name, made by
 * master on our behalf (we may be in a chroot that does not contain the
 * socket).  Blocks up to 10 seconds.  Returns the connected descriptor,
 * or -1 with *error_r (no such service, not allowed, not answering).
 */
int daemon_connect(const char *name, const char **error_r);
/* The per-client limits master judges a connect against (0: none). */
struct anvil_limits {
	uint64_t limit;			/* connections open at once */
	const char *limit_name;		/* its setting, for master's log */
	uint64_t rate_limit;		/* connects per window */
	const char *rate_name;
	uint64_t window_s;
};
/*
 * daemon_anvil - tell master that a client at addr connected (connect,
 * judged against lim) or left (lim NULL).  Returns enum anvil_verdict
 * (master counts and logs a refusal, doc/ipc/master-chan.md), or -1 if
 * master could not answer.  Blocks briefly (master answers at once).
 */
int daemon_anvil(const char *addr, bool connect,
    const struct anvil_limits *lim);
/*
 * daemon_rate - count cost events under key against limit per window_s,
 * shared by every process (master keeps the count): 1 counted, 0 over the
 * limit (*wait: seconds until it fits; master logs it under name, with
 * what), -1 master could not answer.
 */
int daemon_rate(const char *key, const char *name, const char *what,
    uint64_t limit, uint64_t window_s, uint64_t cost, uint64_t *wait);
/*
 * daemon_greylist - ask master about a greylisting triplet (key): 1 it
 * passes, 0 defer it (*wait: seconds until a retry may pass), -1 master
 * could not answer.  delay, window and lifetime in seconds (RFC 6647).
 */
int daemon_greylist(const char *key, uint64_t delay, uint64_t window,
    uint64_t lifetime, uint64_t *wait);
/*
 * daemon_path - an absolute path as this process sees it: inside the jail
 * a path under the chroot directory loses that prefix.  Unjailed daemons
 * run with their chroot directory as working directory, so relative
 * paths mean the same either way.  Returns a new string.
 */
char *daemon_path(const char *path);
/* daemon_map_spec - "hash:/abs/path" with its path through daemon_path. */
char *daemon_map_spec(const char *spec);
/*
 * daemon_ipc_serve - serve an accepted connection with an internal
 * protocol (util/ipc.h): frames go to on_msg; when the connection ends,
 * on_close (optional) runs and the skeleton is told (daemon_conn_done).
 */
void daemon_ipc_serve(int fd, const char *proto, unsigned major,
    unsigned minor, ipc_msg_fn *on_msg, ipc_close_fn *on_close);
/* daemon_service - this service's name from master.conf. */
const char *daemon_service(void);
/* daemon_conf - the loaded configuration. */
const struct conf *daemon_conf(void);
/* daemon_stopping - true once stop or retire was requested. */
bool daemon_stopping(void);

/*
 * daemon_drop_privileges - the jail sequence, used by daemon_main and by
 * master's tests: when running as root, resolve user, chroot to dir (if
 * not NULL), setgroups/setresgid/setresuid, and check that root cannot be
 * regained.  Not root: does nothing.  Fatal on any failure.
 */
void daemon_drop_privileges(const char *user, const char *dir);

#endif
