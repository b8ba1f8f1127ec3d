/*
 * NAME
 *	cmd_ctl - postern start, stop, reload, status
 * DESCRIPTION
 *	The running master is found through its lock file: whoever holds the
 *	lock is master (a stale pid in the file means nothing).  status asks
 *	master over its control socket (doc/ipc/master-ctl.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "mail/proto_master.h"
#include "util/daemon.h"
#include "util/ipc.h"
#include "util/log.h"
#include "util/mem.h"

#define CTL_TIMEOUT_MS	5000

long
cli_master_pid(void)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	char *path = xasprintf("%s/%s", var_run_dir, MASTER_LOCK_FILE);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	long pid = 0;

	free(path);
	if (fd < 0)
		return 0;
	if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK)
		pid = (long)fl.l_pid;
	close(fd);
	return pid;
}

int
cmd_start(int argc, char **argv)
{
	bool fg = argc > 1 && strcmp(argv[1], "-f") == 0;
	char *master, *args[6];
	long pid;
	int n = 0, status;
	pid_t child;

	{
		struct conf *c;
		struct svc_table t;

		(void)cli_load(&c, &t, false);
		svc_table_free(&t);
		conf_free(&c);
	}
	if ((pid = cli_master_pid()) != 0) {
		fprintf(stderr, "postern: master is already running (pid %ld) "
		    "for %s\n", pid, cli_config_dir);
		return 1;
	}
	master = xasprintf("%s/master", var_daemon_dir);
	args[n++] = master;
	args[n++] = "-c";
	args[n++] = (char *)cli_config_dir;
	if (fg)
		args[n++] = "-f";
	if (log_verbose > 0)
		args[n++] = "-v";
	args[n] = NULL;
	if (fg) {
		execv(master, args);
		fprintf(stderr, "postern: cannot run %s: %s\n", master,
		    strerror(errno));
		return 1;
	}
	/* master daemonizes; its first process exits once it serves. */
	child = fork();
	if (child < 0) {
		fprintf(stderr, "postern: fork: %s\n", strerror(errno));
		return 1;
	}
	if (child == 0) {
		execv(master, args);
		fprintf(stderr, "postern: cannot run %s: %s\n", master,
		    strerror(errno));
		_exit(127);
	}
	if (waitpid(child, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		fprintf(stderr, "postern: master did not start (see the "
		    "messages above)\n");
		return 1;
	}
	printf("postern: started master for %s (pid %ld)\n", cli_config_dir,
	    cli_master_pid());
	return 0;
}

/* signal_master - send signo to the running master */
static int
signal_master(int signo, long *pid_r)
{
	long pid;

	cli_load_lenient();
	pid = cli_master_pid();
	if (pid == 0) {
		fprintf(stderr, "postern: master is not running for %s\n",
		    cli_config_dir);
		return -1;
	}
	if (kill((pid_t)pid, signo) < 0) {
		fprintf(stderr, "postern: cannot signal master pid %ld: %s\n",
		    pid, strerror(errno));
		return -1;
	}
	*pid_r = pid;
	return 0;
}

int
cmd_stop(int argc, char **argv)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	uint64_t waited_ms = 0, limit_ms;
	long pid;

	if (signal_master(SIGTERM, &pid) < 0)
		return 1;
	limit_ms = (var_stop_timeout + 5) * 1000;
	while (cli_master_pid() != 0) {
		if (waited_ms >= limit_ms) {
			fprintf(stderr, "postern: master pid %ld has not "
			    "stopped after %llus\n", pid,
			    (unsigned long long)limit_ms / 1000);
			return 1;
		}
		nanosleep(&ts, NULL);
		waited_ms += 50;
	}
	printf("postern: stopped master pid %ld\n", pid);
	return 0;
}

int
cmd_reload(int argc, char **argv)
{
	long pid;
	struct conf *c;
	struct svc_table t;

	/* Refuse here what master would refuse, with the same messages. */
	if (cli_load(&c, &t, true) < 0) {
		fprintf(stderr, "postern: not reloading: fix the errors "
		    "above\n");
		return 1;
	}
	svc_table_free(&t);
	if (signal_master(SIGHUP, &pid) < 0)
		return 1;
	printf("postern: asked master pid %ld to reload\n", pid);
	return 0;
}

/* get_u64 - an optional number from a status frame (0 if absent) */
static uint64_t
get_u64(const struct ipc_msg *m, const char *name)
{
	uint64_t v = 0;

	if (ipc_get_u64(m, name, IPC_OPTIONAL, &v) < 0)
		return 0;
	return v;
}

/* get_str - an optional string from a status frame ("" if absent) */
static const char *
get_str(const struct ipc_msg *m, const char *name)
{
	const char *v = "";

	if (ipc_get_str(m, name, IPC_OPTIONAL, &v) <= 0)
		return "";
	return v;
}

/* metric_sum - the sum of every series of name whose labels hold want */
static unsigned long long
metric_sum(const char *text, const char *name, const char *want)
{
	unsigned long long sum = 0;
	size_t n = strlen(name);

	for (const char *p = text; *p != '\0'; p += strcspn(p, "\n"),
	    p += *p == '\n') {
		const char *sp = strchr(p, ' ');
		size_t len = strcspn(p, "\n");

		if (strncmp(p, name, n) != 0 || (p[n] != '{' && p[n] != ' ') ||
		    sp == NULL || sp > p + len)
			continue;
		if (want != NULL && (memmem(p, (size_t)(sp - p), want,
		    strlen(want)) == NULL))
			continue;
		sum += strtoull(sp + 1, NULL, 10);
	}
	return sum;
}

/* print_totals - the key totals from master's metrics, in one line */
static void
print_totals(int fd)
{
	struct buf text = BUF_INIT;
	struct ipc_msg m;
	const char *why, *t;

	ipc_msg_init(&m, MASTER_CTL_T_METRICS);
	if (ipc_sync_send(fd, &m, CTL_TIMEOUT_MS) < 0) {
		ipc_msg_free(&m);
		return;
	}
	ipc_msg_free(&m);
	/* A master without METRICS closes the connection: no totals. */
	while (ipc_sync_recv(fd, &m, IPC_MAX_FRAME, CTL_TIMEOUT_MS,
	    &why) == 0) {
		bool end = m.type == MASTER_CTL_T_END;

		if (m.type == MASTER_CTL_T_TEXT) {
			t = get_str(&m, "text");
			buf_put(&text, t, strlen(t));
		}
		ipc_msg_free(&m);
		if (end) {
			t = buf_cstr(&text);
			printf("totals: accepted %llu, rejected %llu, delivered "
			    "%llu, deferred %llu, bounced %llu\n",
			    metric_sum(t, "postern_smtpd_messages_total",
			    "result=\"accepted\""),
			    metric_sum(t, "postern_smtpd_rejects_total", NULL),
			    metric_sum(t, "postern_qmgr_recipients_total",
			    "result=\"delivered\""),
			    metric_sum(t, "postern_qmgr_recipients_total",
			    "result=\"deferred\""),
			    metric_sum(t, "postern_qmgr_recipients_total",
			    "result=\"bounced\""));
			break;
		}
	}
	buf_free(&text);
}

int
cmd_status(int argc, char **argv)
{
	char *path;
	const char *why = NULL;
	struct ipc_msg m;
	int fd, rc = 1;
	bool unpriv = false;
	/* --metrics: the text the metrics endpoint serves (master(8)). */
	bool metrics = argc > 1 && strcmp(argv[argc - 1], "--metrics") == 0;

	cli_load_lenient();
	if (cli_master_pid() == 0) {
		printf("postern: master is not running for %s\n",
		    cli_config_dir);
		return 3;
	}
	path = xasprintf("%s/%s", var_run_dir, MASTER_CTL_SOCKET);
	fd = ipc_sync_connect(path);
	if (fd < 0) {
		fprintf(stderr, "postern: cannot connect to %s: %s\n", path,
		    strerror(errno));
		free(path);
		return 1;
	}
	free(path);
	ipc_msg_init(&m, metrics ? MASTER_CTL_T_METRICS :
	    MASTER_CTL_T_STATUS);
	if (ipc_sync_hello(fd, MASTER_CTL_PROTO, MASTER_CTL_MAJOR,
	    MASTER_CTL_MINOR, CTL_TIMEOUT_MS, &why) < 0 ||
	    ipc_sync_send(fd, &m, CTL_TIMEOUT_MS) < 0) {
		fprintf(stderr, "postern: master control socket: %s\n",
		    why != NULL ? why : strerror(errno));
		ipc_msg_free(&m);
		close(fd);
		return 1;
	}
	ipc_msg_free(&m);
	for (;;) {
		if (ipc_sync_recv(fd, &m, IPC_MAX_FRAME, CTL_TIMEOUT_MS,
		    &why) < 0) {
			fprintf(stderr, "postern: master control socket: %s\n",
			    why);
			break;
		}
		if (m.type == MASTER_CTL_T_TEXT) {
			fputs(get_str(&m, "text"), stdout);
		} else if (m.type == MASTER_CTL_T_MASTER) {
			if (ipc_get_bool(&m, "unprivileged", IPC_OPTIONAL,
			    &unpriv) < 0)
				unpriv = false;
			printf("master pid %llu, version %s, up %llus, %s\n",
			    (unsigned long long)get_u64(&m, "pid"),
			    get_str(&m, "version"),
			    (unsigned long long)get_u64(&m, "uptime"),
			    unpriv ? "unprivileged (no chroot, no user "
			    "change)" : "privileged");
			printf("%-12s %-5s %-22s %5s %5s %5s %6s %7s %s\n",
			    "SERVICE", "TYPE", "LISTEN", "PROCS", "LIMIT",
			    "AVAIL", "CONNS", "SERVED", "LIMITS-HIT");
		} else if (m.type == MASTER_CTL_T_SERVICE) {
			bool thr = false;

			if (ipc_get_bool(&m, "throttled", IPC_OPTIONAL,
			    &thr) < 0)
				thr = false;
			printf("%-12s %-5s %-22s %5llu %5llu %5llu %6llu %7llu "
			    "%s%s%s%s\n",
			    get_str(&m, "name"), get_str(&m, "type"),
			    get_str(&m, "listen"),
			    (unsigned long long)get_u64(&m, "processes"),
			    (unsigned long long)get_u64(&m, "process_limit"),
			    (unsigned long long)get_u64(&m, "available"),
			    (unsigned long long)get_u64(&m, "connections"),
			    (unsigned long long)get_u64(&m, "served"),
			    get_str(&m, "limits")[0] != '\0' ?
			    get_str(&m, "limits") : "-",
			    thr ? " THROTTLED" : "",
			    get_str(&m, "pids")[0] != '\0' ? " pids=" : "",
			    get_str(&m, "pids"));
		} else if (m.type == MASTER_CTL_T_END) {
			rc = get_u64(&m, "status") == IPC_OK ? 0 : 1;
			ipc_msg_free(&m);
			if (!metrics)
				print_totals(fd);
			break;
		}
		ipc_msg_free(&m);
	}
	close(fd);
	return rc;
}
