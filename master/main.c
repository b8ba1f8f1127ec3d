/*
 * NAME
 *	master - Postern's supervisor
 * SYNOPSIS
 *	master [-f] [-v] [-c config_dir]
 * DESCRIPTION
 *	Reads postern.conf and master.conf, opens every service's listening
 *	socket, and starts, watches and restarts the children that serve
 *	them, within each service's process_limit.  SIGHUP re-reads the
 *	configuration; SIGTERM stops gracefully.  See master(8).
 * SECURITY
 *	Runs as root (or as the invoking user in unprivileged mode, where
 *	children neither chroot nor change user).  It reads no network input:
 *	only its own configuration, its children's status and log pipes, and
 *	requests on a control socket only its own user can reach.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "paths.h"
#include "mail/instance.h"
#include "mail/params.h"
#include "mail/proto_master.h"
#include "master/master.h"
#include "util/daemon.h"
#include "util/ev.h"
#include "util/log.h"
#include "util/mem.h"

const char *master_config_dir;
struct conf *master_conf;
int master_status_pipe[2] = { -1, -1 };
int master_log_pipe[2] = { -1, -1 };
char *master_snapshot;

static struct svc_table table;
static bool foreground;
static int lock_fd = -1;
static char *lock_path;
static struct buf log_partial;
static struct ev_timer *stop_timer;

/* conf_differs - whether any effective postern.conf value changed */
static bool
conf_differs(const struct conf *a, const struct conf *b)
{
	for (const struct conf_def *d = conf_def_next(NULL); d != NULL;
	    d = conf_def_next(d)) {
		const char *va = conf_value(a, d->name);
		const char *vb = conf_value(b, d->name);

		if (va == NULL || vb == NULL || strcmp(va, vb) != 0)
			return true;
	}
	return false;
}

/* write_snapshot - the accepted configuration, for the children */
static void
write_snapshot(const struct conf *c)
{
	free(master_snapshot);
	master_snapshot = xasprintf("%s/active.conf", var_run_dir);
	if (conf_write_snapshot(c, master_snapshot) < 0)
		msg_fatal("cannot write %s: %m", master_snapshot);
}

/* reload - SIGHUP: take the new configuration only if all of it is good */
static void
reload(void)
{
	struct conf *nc = NULL;
	struct svc_table nt;
	struct buf errors = BUF_INIT;
	bool changed;

	notify_systemd("RELOADING=1");
	/* SIGHUP after log rotation: write to the new file from here on. */
	if (!foreground && var_maillog_file[0] != '\0' &&
	    log_open("master", LOG_TO_FILE, var_maillog_file) < 0)
		msg_warn("cannot reopen maillog_file %s: %m", var_maillog_file);
	msg_info("reloading configuration %s", master_config_dir);
	if (instance_load(master_config_dir, &nc, &nt, &errors) < 0) {
		instance_log_errors(&errors);
		msg_error("reload failed; the running configuration stays "
		    "in effect");
		buf_free(&errors);
		notify_systemd("READY=1");
		return;
	}
	changed = conf_differs(master_conf, nc);
	conf_apply(nc);
	/* services_reload starts the new children (process_min), which
	 * read the snapshot at once: it must hold the new settings by then,
	 * or a child may start with the old ones. */
	write_snapshot(nc);
	if (services_reload(&nt, changed, &errors) < 0) {
		instance_log_errors(&errors);
		msg_error("reload failed; the running configuration stays "
		    "in effect");
		conf_apply(master_conf);
		write_snapshot(master_conf);
		conf_free(&nc);
		svc_table_free(&nt);
	} else {
		conf_free(&master_conf);
		master_conf = nc;
		svc_table_free(&table);
		table = nt;
		msg_info("reload done: %zu services", n_services);
	}
	buf_free(&errors);
	notify_systemd("READY=1");
}

/* finish - last words of a stopping master */
__attribute__((noreturn))
static void
finish(void)
{
	msg_info("stopped");
	if (lock_path != NULL)
		(void)unlink(lock_path);
	exit(0);
}

/* stop_expired - children ignored SIGTERM for too long */
static void
stop_expired(void *ctx)
{
	stop_timer = NULL;
	for (struct child *c = children; c != NULL; c = c->next) {
		msg_warn("child pid %ld did not stop in time; killing it",
		    (long)c->pid);
		(void)kill(c->pid, SIGKILL);
	}
}

/* begin_stop - SIGTERM/SIGINT: stop every child, then exit */
static void
begin_stop(void)
{
	if (master_stopping)
		return;
	notify_systemd("STOPPING=1");
	msg_info("stopping: telling %u children to finish", children_alive());
	services_stop();
	ctl_stop();
	metrics_http_stop();
	stop_timer = ev_timer_add((var_stop_timeout + 2) * 1000, stop_expired,
	    NULL);
	if (children_alive() == 0)
		finish();
}

/* on_signal - signals arrive here through the event loop */
static void
on_signal(int signo, void *ctx)
{
	pid_t pid;
	int status;

	switch (signo) {
	case SIGCHLD:
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
			services_reaped(pid, status);
		if (master_stopping && children_alive() == 0)
			finish();
		break;
	case SIGHUP:
		if (!master_stopping)
			reload();
		break;
	case SIGTERM:
	case SIGINT:
		begin_stop();
		break;
	}
}

/* on_status - records from the children's status pipe */
static void
on_status(int fd, int events, void *ctx)
{
	struct master_status rec;
	ssize_t n;

	while ((n = read(fd, &rec, sizeof(rec))) == (ssize_t)sizeof(rec))
		services_status(&rec);
	if (n > 0)
		msg_warn("short status record of %zd bytes", n);
}

/* level_of - the level digit that starts a child's log record */
static enum log_level
level_of(char c)
{
	return c >= '0' && c <= '7' ? (enum log_level)(c - '0') : LOG_LVL_INFO;
}

/* on_log - forward the children's log records to our sink */
static void
on_log(int fd, int events, void *ctx)
{
	char chunk[8192];
	ssize_t n = read(fd, chunk, sizeof(chunk));
	char *p, *nl;

	if (n <= 0)
		return;
	if (buf_append(&log_partial, chunk, (size_t)n) < 0) {
		buf_reset(&log_partial);	/* a runaway line: drop it */
		return;
	}
	p = (char *)log_partial.data;
	while ((nl = memchr(p, '\n', log_partial.len -
	    (size_t)(p - (char *)log_partial.data))) != NULL) {
		*nl = '\0';
		if (nl - p >= 2 && p[1] == ' ')
			log_emit_line(level_of(p[0]), p + 2);
		p = nl + 1;
	}
	buf_consume(&log_partial, (size_t)(p - (char *)log_partial.data));
}

/* take_lock - one master per instance */
static void
take_lock(void)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	char text[32];
	ssize_t n;

	lock_path = xasprintf("%s/%s", var_run_dir, MASTER_LOCK_FILE);
	lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (lock_fd < 0)
		msg_fatal("cannot open lock file %s: %m", lock_path);
	if (fcntl(lock_fd, F_SETLK, &fl) < 0) {
		n = pread(lock_fd, text, sizeof(text) - 1, 0);
		text[n > 0 ? n : 0] = '\0';
		text[strcspn(text, "\n")] = '\0';
		xfree(&lock_path);	/* not ours to remove */
		msg_fatal("another master (pid %s) is already running for "
		    "%s (lock file %s/%s)", text[0] != '\0' ? text : "?",
		    master_config_dir, var_run_dir, MASTER_LOCK_FILE);
	}
	n = snprintf(text, sizeof(text), "%ld\n", (long)getpid());
	if (ftruncate(lock_fd, 0) < 0 || pwrite(lock_fd, text, (size_t)n, 0)
	    != n)
		msg_fatal("cannot write lock file %s: %m", lock_path);
}

/* make_dir - create a directory master needs, if missing */
static void
make_dir(const char *path, mode_t mode)
{
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		msg_fatal("cannot create directory %s: %m", path);
}

/* daemonize - detach; the parent exits when we are ready or failed */
static int
daemonize(void)
{
	int ready[2];
	pid_t pid;
	char c;

	if (pipe2(ready, O_CLOEXEC) < 0)
		msg_fatal("pipe: %m");
	pid = fork();
	if (pid < 0)
		msg_fatal("fork: %m");
	if (pid > 0) {
		close(ready[1]);
		/* The grandchild writes one byte when it serves. */
		_exit(read(ready[0], &c, 1) == 1 ? 0 : 1);
	}
	close(ready[0]);
	if (setsid() < 0)
		msg_fatal("setsid: %m");
	pid = fork();
	if (pid < 0)
		msg_fatal("fork: %m");
	if (pid > 0)
		_exit(0);
	return ready[1];
}

/* detach_stdio - after readiness, the terminal is no longer ours */
static void
detach_stdio(void)
{
	int fd = open("/dev/null", O_RDWR);

	if (fd < 0)
		return;
	(void)dup2(fd, 0);
	(void)dup2(fd, 1);
	(void)dup2(fd, 2);
	if (fd > 2)
		close(fd);
}

/* usage - how to run master */
static void
usage(void)
{
	msg_fatal("usage: master [-f] [-v] [-c config_dir]");
}

int
main(int argc, char **argv)
{
	struct buf errors = BUF_INIT;
	char real[PATH_MAX];
	const char *dir = POSTERN_CONFIG_DIR;
	int ch, ready_fd = -1;

	params_register();
	(void)log_open("master", LOG_TO_STDERR, NULL);
	while ((ch = getopt(argc, argv, "c:fv")) != -1) {
		switch (ch) {
		case 'c':
			dir = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 'v':
			log_verbose++;
			break;
		default:
			usage();
		}
	}
	/* Children chdir into their jails: give them an absolute path. */
	if (realpath(dir, real) == NULL)
		msg_fatal("configuration directory %s: %m", dir);
	master_config_dir = xstrdup(real);
	if (instance_load(master_config_dir, &master_conf, &table,
	    &errors) < 0) {
		instance_log_errors(&errors);
		msg_fatal("configuration errors; not starting");
	}
	conf_apply(master_conf);
	if (!foreground)
		ready_fd = daemonize();
	make_dir(var_run_dir, 0755);
	make_dir(var_socket_dir, 0700);
	take_lock();
	write_snapshot(master_conf);
	master_unprivileged = geteuid() != 0;
	if (master_unprivileged)
		msg_info("running as uid %ld, not root: children will not "
		    "chroot or change user (development mode)",
		    (long)geteuid());
	if (pipe2(master_status_pipe, O_CLOEXEC | O_NONBLOCK) < 0 ||
	    pipe2(master_log_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		msg_fatal("pipe: %m");
	/* Children's writes must block rather than lose a record. */
	(void)fcntl(master_status_pipe[1], F_SETFL, 0);
	(void)fcntl(master_log_pipe[1], F_SETFL, 0);
	buf_init(&log_partial, 65536);
	ev_init();
	ev_signal(SIGCHLD, on_signal, NULL);
	ev_signal(SIGHUP, on_signal, NULL);
	ev_signal(SIGTERM, on_signal, NULL);
	ev_signal(SIGINT, on_signal, NULL);
	signal(SIGPIPE, SIG_IGN);
	ev_io_set(master_status_pipe[0], EV_READ, on_status, NULL);
	ev_io_set(master_log_pipe[0], EV_READ, on_log, NULL);
	if (services_start(&table, &errors) < 0) {
		instance_log_errors(&errors);
		services_stop();
		msg_fatal("cannot open the listening sockets; not starting");
	}
	{
		char *ctl = xasprintf("%s/%s", var_run_dir, MASTER_CTL_SOCKET);

		const char *why;

		if (ctl_start(ctl) < 0)
			msg_fatal("cannot open the control socket");
		free(ctl);
		if (metrics_http_start(var_metrics_listen, &why) < 0)
			msg_fatal("metrics_listen = %s: %s; not starting",
			    var_metrics_listen, why);
	}
	if (foreground)
		msg_info("daemon started -- version %s, configuration %s, %zu "
		    "services", POSTERN_VERSION, master_config_dir, n_services);
	else {
		if (var_maillog_file[0] != '\0') {
			if (log_open("master", LOG_TO_FILE,
			    var_maillog_file) < 0)
				msg_fatal("cannot open maillog_file %s: %m",
				    var_maillog_file);
		} else {
			(void)log_open("master", LOG_TO_SYSLOG, NULL);
		}
		/* Said once, in the log, not on the terminal of postern
		 * start. */
		msg_info("daemon started -- version %s, configuration %s, %zu "
		    "services", POSTERN_VERSION, master_config_dir, n_services);
		if (write(ready_fd, "1", 1) != 1)
			msg_warn("readiness pipe: %m");
		close(ready_fd);
		detach_stdio();
	}
	/* Children start only now, so that none holds the terminal. */
	services_run();
	notify_systemd("READY=1");
	ev_run();
	return 0;
}
