/*
 * NAME
 *	daemon - the skeleton every Postern daemon runs in
 * DESCRIPTION
 *	Fixed order (STYLE 2): arguments, configuration, logging, pre_jail,
 *	chroot + chdir("/"), setgroups/setresgid/setresuid, check that root
 *	cannot be regained, post_jail, event loop.
 *
 *	Accepting: every child of a service watches the same listeners with
 *	EPOLLEXCLUSIVE and accepts non-blocking.  At client_limit it stops
 *	watching them and tells master it is full, so master starts another
 *	child (up to process_limit) when connections wait.
 * SECURITY
 *	Runs with the privileges master started it with until the jail step;
 *	nothing before it reads network input.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <malloc.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "paths.h"
#include "util/counters.h"
#include "util/daemon.h"
#include "util/ev.h"
#include "util/ipc.h"
#include "util/log.h"
#include "util/master_fds.h"
#include "util/mem.h"
#include "util/strnum.h"

/* Heap tuning (daemon_main): what stays in the heap, what is mmap'ed. */
#define DAEMON_MMAP_THRESHOLD	(1 << 20)
#define DAEMON_TRIM_THRESHOLD	(4 << 20)

uint64_t var_client_limit;
uint64_t var_max_use;
uint64_t var_idle_timeout;
uint64_t var_default_process_limit;
uint64_t var_process_min;
uint64_t var_memory_limit;
uint64_t var_fd_limit;
uint64_t var_stop_timeout;
uint64_t var_throttle_time;
uint64_t var_limit_log_interval;
char *var_config_dir;
char *var_daemon_dir;
char *var_run_dir;
char *var_socket_dir;
char *var_maillog_file;
char *var_allowed_clients;

const struct conf_def daemon_params[] = {
	{ "config_directory", CONF_STR, POSTERN_CONFIG_DIR, &var_config_dir,
	    0, 0, "directory of postern.conf and master.conf (set by -c)" },
	{ "daemon_directory", CONF_STR, POSTERN_DAEMON_DIR, &var_daemon_dir,
	    0, 0, "directory of the daemon programs" },
	{ "run_directory", CONF_STR, POSTERN_RUN_DIR, &var_run_dir, 0, 0,
	    "master's lock file, pid file and control socket" },
	{ "socket_directory", CONF_STR, "$run_directory/private",
	    &var_socket_dir, 0, 0,
	    "private directory of the internal service sockets" },
	{ "maillog_file", CONF_STR, "", &var_maillog_file, 0, 0,
	    "log to this file instead of syslog (empty: syslog)" },
	{ "allowed_clients", CONF_STR, "", &var_allowed_clients, 0, 0,
	    "services whose children may connect to this unix service "
	    "(comma-separated; empty: any)" },
	{ "client_limit", CONF_INT, "100", &var_client_limit, 1, 100000,
	    "connections one child process serves at once" },
	{ "max_use", CONF_INT, "1000", &var_max_use, 0, 100000000,
	    "connections a child serves before it exits (0: no limit)" },
	{ "idle_timeout", CONF_TIME, "100s", &var_idle_timeout, 0, 86400,
	    "a child without connections exits after this (0: never)" },
	{ "default_process_limit", CONF_INT, "100",
	    &var_default_process_limit, 1, 100000,
	    "process_limit of services whose master.conf limit is -" },
	{ "process_min", CONF_INT, "0", &var_process_min, 0, 1000,
	    "children master keeps running even without connections" },
	{ "memory_limit", CONF_SIZE, "1g", &var_memory_limit, 0,
	    (uint64_t)1 << 44, "address space limit per child (0: none)" },
	{ "fd_limit", CONF_INT, "4096", &var_fd_limit, 64, 1048576,
	    "open file limit per child" },
	{ "stop_timeout", CONF_TIME, "10s", &var_stop_timeout, 1, 3600,
	    "how long a stopping process may finish its work" },
	{ "service_throttle_time", CONF_TIME, "60s", &var_throttle_time, 1,
	    3600, "longest pause before restarting a crashing service" },
	{ "limit_log_interval", CONF_TIME, "60s", &var_limit_log_interval, 1,
	    86400, "master logs each limit a service reaches (process_limit, "
	    "client_limit, per-client and outbound rate limits) at most once "
	    "per this interval, with the count it held back" },
	CONF_END
};

static const struct daemon_spec *spec;
static const char *service = "unknown";
static struct conf *conf;
static uint32_t gen;
static int *listen_fds;
static unsigned n_listen;
static bool listening;
static bool stopping, retiring;
static uint64_t conns, served;
static uint32_t limit_hits;
static uint32_t last_state;
static uint64_t last_conns = UINT64_MAX;
static struct ev_timer *idle_timer, *stop_timer;
static char *home_dir;		/* the chroot_param directory */
static bool jailed, drop_was_root;

/* report - tell master our state when it or the connection count changes */
static void
report(uint32_t state)
{
	struct master_status st = {
		.pid = (int32_t)getpid(), .gen = gen, .state = state,
		.conns = (uint32_t)conns, .limit_hits = limit_hits,
		.served = (uint32_t)served,
	};

	if (state == last_state && conns == last_conns &&
	    state != MASTER_ST_FULL)
		return;
	last_state = state;
	last_conns = conns;
	if (write(MASTER_STATUS_FD, &st, sizeof(st)) < 0 && errno != EAGAIN)
		msg_warn("status report to master: %m");
}

static void on_listen(int fd, int events, void *ctx);

/* set_listening - start or stop watching the listeners */
static void
set_listening(bool on)
{
	if (on == listening)
		return;
	for (unsigned i = 0; i < n_listen; i++) {
		if (on)
			ev_io_exclusive(listen_fds[i], on_listen,
			    (void *)(uintptr_t)i);
		else
			ev_io_del(listen_fds[i]);
	}
	listening = on;
}

/* idle_expired - no connection for idle_timeout: make room for others */
static void
idle_expired(void *ctx)
{
	idle_timer = NULL;
	if (conns == 0) {
		msg_debug("idle for %llus, exiting",
		    (unsigned long long)var_idle_timeout);
		exit(0);
	}
}

/* maybe_exit - leave once stopping/retiring and nothing is in hand */
static void
maybe_exit(void)
{
	if ((stopping || retiring) && conns == 0)
		exit(0);
}

/* update - re-evaluate listening, state and timers */
static void
update(void)
{
	bool want = !stopping && !retiring && conns < var_client_limit;

	set_listening(want);
	if ((stopping || retiring) && n_listen > 0) {
		/* Our copies would keep the sockets listening after master
		 * closed its own (a removed service must refuse). */
		for (unsigned i = 0; i < n_listen; i++)
			close(listen_fds[i]);
		n_listen = 0;
	}
	if (stopping || retiring)
		report(MASTER_ST_RETIRING);
	else
		report(want ? MASTER_ST_AVAIL : MASTER_ST_FULL);
	ev_timer_del(&idle_timer);
	if (conns == 0 && var_idle_timeout > 0 && !stopping)
		idle_timer = ev_timer_add(var_idle_timeout * 1000,
		    idle_expired, NULL);
	maybe_exit();
}

/* on_listen - accept what waits, up to client_limit */
static void
on_listen(int fd, int events, void *ctx)
{
	unsigned li = (unsigned)(uintptr_t)ctx;

	while (conns < var_client_limit && !stopping && !retiring) {
		int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (c < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				msg_warn("accept: %m");
			break;
		}
		conns++;
		served++;
		/* master logs it, once per limit_log_interval */
		if (conns == var_client_limit && var_client_limit > 1)
			limit_hits++;
		if (var_max_use > 0 && served >= var_max_use)
			retiring = true;
		spec->on_accept(c, li);
	}
	update();
}

void
daemon_conn_done(void)
{
	if (conns == 0)
		msg_panic("%s: no connection to end", __func__);
	conns--;
	update();
}

/* stop_expired - stop_timeout passed with work still in hand */
static void
stop_expired(void *ctx)
{
	msg_warn("stop_timeout of %llus passed with %llu connection(s) "
	    "open; exiting", (unsigned long long)var_stop_timeout,
	    (unsigned long long)conns);
	exit(0);
}

/* begin_stop - SIGTERM or master gone: finish, then exit */
static void
begin_stop(void)
{
	if (stopping)
		return;
	stopping = true;
	if (spec->on_stop != NULL)
		spec->on_stop();
	stop_timer = ev_timer_add(var_stop_timeout * 1000, stop_expired, NULL);
	update();
}

/* on_signal - SIGTERM stops, SIGHUP retires */
static void
on_signal(int signo, void *ctx)
{
	if (signo == SIGTERM) {
		begin_stop();
	} else if (signo == SIGHUP && !retiring) {
		retiring = true;
		update();
	}
}

/* on_chan - the master channel; EOF means master is gone */
static void
on_chan(int fd, int events, void *ctx)
{
	char b[256];
	ssize_t n = read(fd, b, sizeof(b));

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		ev_io_del(fd);
		msg_info("master is gone; stopping");
		begin_stop();
	}
}

/* Counters go to master at most this often (counters.h). */
#define COUNTERS_INTERVAL_MS	1000

static struct buf chan_pending;	/* the unsent tail of a COUNTERS frame */
static struct ev_timer *counters_timer;

/* chan_flush - write what is pending without blocking: 0 all written */
static int
chan_flush(void)
{
	while (chan_pending.len > 0) {
		ssize_t n = send(MASTER_CHAN_FD, chan_pending.data,
		    chan_pending.len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n <= 0)
			return -1;
		buf_consume(&chan_pending, (size_t)n);
	}
	return 0;
}

/*
 * counters_send - one COUNTERS frame with what changed.  Never blocks: if
 * master's side is full the deltas wait for the next try (a partly sent
 * frame is finished first, so the stream stays whole).
 */
static void
counters_send(void)
{
	struct buf text = BUF_INIT;
	struct ipc_msg m;

	if (chan_flush() < 0 || !counters_changed())
		return;
	if (counters_encode(&text, IPC_MAX_FRAME - 256) == 0) {
		buf_free(&text);
		return;
	}
	ipc_msg_init(&m, MASTER_CHAN_T_COUNTERS);
	if (ipc_put_str(&m, "series", buf_cstr(&text)) == 0 &&
	    ipc_frame_encode(&m, &chan_pending) == 0) {
		counters_sent();
		(void)chan_flush();
	} else {
		buf_reset(&chan_pending);
	}
	ipc_msg_free(&m);
	buf_free(&text);
}

/* counters_tick - send counters once a second */
static void
counters_tick(void *ctx)
{
	counters_send();
	counters_timer = ev_timer_add(COUNTERS_INTERVAL_MS, counters_tick,
	    NULL);
}

/* counters_at_exit - last counts before a normal exit */
static void
counters_at_exit(void)
{
	counters_send();
}

/*
 * chan_request - send m with a fresh id on the master channel and wait
 * for the reply with that id (only replies come on this channel, in
 * order).  0 with *reply, or -1 with *error_r.
 */
static int
chan_request(struct ipc_msg *m, struct ipc_msg *reply, const char **error_r)
{
	static uint64_t next_id = 1;
	static char why[160];
	uint64_t id = next_id++, got;
	const char *err;

	/* A COUNTERS frame half sent must end before this one starts. */
	while (chan_pending.len > 0) {
		/* The channel descriptor blocks unless asked (MSG_DONTWAIT). */
		ssize_t n = send(MASTER_CHAN_FD, chan_pending.data,
		    chan_pending.len, MSG_NOSIGNAL);

		if (n <= 0) {
			buf_reset(&chan_pending);
			break;
		}
		buf_consume(&chan_pending, (size_t)n);
	}
	if (ipc_put_u64(m, "id", id) < 0 ||
	    ipc_sync_send(MASTER_CHAN_FD, m, 10000) < 0) {
		*error_r = "cannot ask master";
		return -1;
	}
	for (;;) {
		if (ipc_sync_recv(MASTER_CHAN_FD, reply, IPC_MAX_FRAME, 10000,
		    &err) < 0) {
			snprintf(why, sizeof(why), "master channel: %s", err);
			*error_r = why;
			return -1;
		}
		if (reply->type == MASTER_CHAN_T_REPLY &&
		    ipc_get_u64(reply, "id", IPC_REQUIRED, &got) == 1 &&
		    got == id)
			return 0;
		ipc_msg_free(reply);
	}
}

int
daemon_connect(const char *name, const char **error_r)
{
	static char why[160];
	struct ipc_msg m, r;
	uint64_t status;
	const char *err;
	int fd;

	ipc_msg_init(&m, MASTER_CHAN_T_CONNECT);
	if (ipc_put_str(&m, "service", name) < 0 ||
	    chan_request(&m, &r, error_r) < 0) {
		ipc_msg_free(&m);
		return -1;
	}
	ipc_msg_free(&m);
	if (ipc_get_u64(&r, "status", IPC_REQUIRED, &status) < 0 ||
	    status != IPC_OK || r.fd < 0) {
		if (ipc_get_str(&r, "error", IPC_OPTIONAL, &err) <= 0)
			err = "refused";
		snprintf(why, sizeof(why), "connect to %s: %s", name, err);
		*error_r = why;
		ipc_msg_free(&r);
		return -1;
	}
	fd = r.fd;
	r.fd = -1;
	ipc_msg_free(&r);
	return fd;
}

int
daemon_anvil(const char *addr, bool connect, const struct anvil_limits *lim)
{
	struct ipc_msg m, r;
	uint64_t status, verdict = ANVIL_ADMITTED;
	const char *why;
	int rc = -1;

	ipc_msg_init(&m, MASTER_CHAN_T_ANVIL);
	if (ipc_put_str(&m, "addr", addr) < 0 ||
	    ipc_put_bool(&m, "connect", connect) < 0 ||
	    (lim != NULL &&
	    (ipc_put_u64(&m, "window", lim->window_s) < 0 ||
	    ipc_put_u64(&m, "limit", lim->limit) < 0 ||
	    ipc_put_str(&m, "limit_name", lim->limit_name) < 0 ||
	    ipc_put_u64(&m, "rate_limit", lim->rate_limit) < 0 ||
	    ipc_put_str(&m, "rate_name", lim->rate_name) < 0)) ||
	    chan_request(&m, &r, &why) < 0) {
		ipc_msg_free(&m);
		return -1;
	}
	ipc_msg_free(&m);
	if (ipc_get_u64(&r, "status", IPC_REQUIRED, &status) == 1 &&
	    status == IPC_OK &&
	    ipc_get_u64(&r, "refused", IPC_OPTIONAL, &verdict) >= 0)
		rc = verdict == ANVIL_REFUSED_COUNT ? ANVIL_REFUSED_COUNT :
		    verdict == ANVIL_REFUSED_RATE ? ANVIL_REFUSED_RATE :
		    ANVIL_ADMITTED;
	ipc_msg_free(&r);
	return rc;
}

/* verdict_request - send m (freed here) and read a pass/wait REPLY:
 * 1 pass, 0 not now (*wait seconds), -1 no answer. */
static int
verdict_request(struct ipc_msg *m, int built, uint64_t *wait)
{
	struct ipc_msg r;
	uint64_t status;
	const char *why;
	bool pass;
	int rc = -1;

	*wait = 0;
	if (built < 0 || chan_request(m, &r, &why) < 0) {
		ipc_msg_free(m);
		return -1;
	}
	ipc_msg_free(m);
	if (ipc_get_u64(&r, "status", IPC_REQUIRED, &status) == 1 &&
	    status == IPC_OK &&
	    ipc_get_bool(&r, "pass", IPC_REQUIRED, &pass) == 1 &&
	    ipc_get_u64(&r, "wait", IPC_REQUIRED, wait) == 1)
		rc = pass ? 1 : 0;
	ipc_msg_free(&r);
	return rc;
}

int
daemon_rate(const char *key, const char *name, const char *what,
    uint64_t limit, uint64_t window_s, uint64_t cost, uint64_t *wait)
{
	struct ipc_msg m;

	ipc_msg_init(&m, MASTER_CHAN_T_RATE);
	return verdict_request(&m, ipc_put_str(&m, "key", key) < 0 ||
	    ipc_put_str(&m, "name", name) < 0 ||
	    ipc_put_str(&m, "what", what) < 0 ||
	    ipc_put_u64(&m, "limit", limit) < 0 ||
	    ipc_put_u64(&m, "window", window_s) < 0 ||
	    ipc_put_u64(&m, "cost", cost) < 0 ? -1 : 0, wait);
}

int
daemon_greylist(const char *key, uint64_t delay, uint64_t window,
    uint64_t lifetime, uint64_t *wait)
{
	struct ipc_msg m;

	ipc_msg_init(&m, MASTER_CHAN_T_GREYLIST);
	return verdict_request(&m, ipc_put_str(&m, "key", key) < 0 ||
	    ipc_put_u64(&m, "delay", delay) < 0 ||
	    ipc_put_u64(&m, "window", window) < 0 ||
	    ipc_put_u64(&m, "lifetime", lifetime) < 0 ? -1 : 0, wait);
}

void
daemon_drop_privileges(const char *user, const char *dir)
{
	struct passwd *pw;
	uid_t uid;
	gid_t gid;

	if (geteuid() != 0)
		return;
	if (user != NULL) {
		pw = getpwnam(user);
		if (pw == NULL)
			msg_fatal("unknown user '%s' (create it, or run postern "
			    "init as root)", user);
		if (pw->pw_uid == 0)
			msg_fatal("user '%s' must not be root", user);
		uid = pw->pw_uid;
		gid = pw->pw_gid;
	}
	if (dir != NULL) {
		if (chroot(dir) < 0)
			msg_fatal("chroot %s: %m", dir);
		if (chdir("/") < 0)
			msg_fatal("chdir / in %s: %m", dir);
	}
	if (user == NULL)
		return;
	if (setgroups(1, &gid) < 0)
		msg_fatal("setgroups: %m");
	if (setresgid(gid, gid, gid) < 0)
		msg_fatal("setresgid %ld: %m", (long)gid);
	if (setresuid(uid, uid, uid) < 0)
		msg_fatal("setresuid %ld: %m", (long)uid);
	if (setuid(0) == 0 || seteuid(0) == 0)
		msg_fatal("root privileges could be regained after dropping "
		    "them");
}

/* usage - master started us wrongly */
static void
usage(const char *prog)
{
	msg_fatal("usage: %s -c config_dir [-s snapshot] -n service -t inet|unix -l count "
	    "-g generation [-u] [-j] [-v] [-o name=value] (this program is "
	    "started by master, not by hand)", prog);
}

void
daemon_main(int argc, char **argv, const struct daemon_spec *s)
{
	const char *prog = strrchr(argv[0], '/') != NULL ?
	    strrchr(argv[0], '/') + 1 : argv[0];
	const char *config_dir = NULL, *snapshot = NULL, *why;
	char **ov = xcalloc((size_t)argc + 1, sizeof(char *));
	size_t n_ov = 0;
	bool drop = false, jail = false;
	uint64_t v;
	char *path, fdtext[16];
	int ch;

	spec = s;
	if (sodium_init() < 0)
		msg_fatal("libsodium failed to start");
	/*
	 * Per-request buffers (a message being decrypted, a long reply
	 * queued) come and go by the hundred KB.  With glibc's defaults each
	 * one was an mmap and munmap, or a brk that grew the heap and shrank
	 * it again, with the page faults in between, on every request.
	 */
	(void)mallopt(M_MMAP_THRESHOLD, DAEMON_MMAP_THRESHOLD);
	(void)mallopt(M_TRIM_THRESHOLD, DAEMON_TRIM_THRESHOLD);
	/* Children log through master until the configuration says more. */
	snprintf(fdtext, sizeof(fdtext), "%d", MASTER_LOG_FD);
	if (log_open(prog, LOG_TO_PIPE, fdtext) < 0)
		(void)log_open(prog, LOG_TO_STDERR, NULL);
	while ((ch = getopt(argc, argv, "c:s:n:t:l:g:ujvo:")) != -1) {
		switch (ch) {
		case 'c':
			config_dir = optarg;
			break;
		case 's':
			snapshot = optarg;
			break;
		case 'n':
			service = optarg;
			break;
		case 't':
			break;
		case 'l':
			if (strnum_u64(optarg, 0, 64, &v, &why) < 0)
				usage(prog);
			n_listen = (unsigned)v;
			break;
		case 'g':
			if (strnum_u64(optarg, 0, UINT32_MAX, &v, &why) < 0)
				usage(prog);
			gen = (uint32_t)v;
			break;
		case 'u':
			drop = true;
			break;
		case 'j':
			jail = true;
			break;
		case 'v':
			log_verbose++;
			break;
		case 'o':
			ov[n_ov++] = optarg;
			break;
		default:
			usage(prog);
		}
	}
	if (config_dir == NULL)
		usage(prog);
	path = snapshot != NULL ? xstrdup(snapshot) :
	    xasprintf("%s/postern.conf", config_dir);
	{
		char *cd = xasprintf("config_directory=%s", config_dir);

		ov[n_ov++] = cd;
		conf = conf_load_simple(path, ov, n_ov);
		free(cd);
	}
	free(path);
	free(ov);
	ev_init();
	drop_was_root = geteuid() == 0;
	if (spec->pre_jail != NULL)
		spec->pre_jail();
	daemon_drop_privileges(drop && spec->user_param != NULL ?
	    conf_value(conf, spec->user_param) : NULL,
	    jail && spec->chroot_param != NULL ?
	    conf_value(conf, spec->chroot_param) : NULL);
	if (spec->chroot_param != NULL) {
		home_dir = xstrdup(conf_value(conf, spec->chroot_param));
		jailed = jail && drop_was_root;
		/* Unjailed, work from the same directory the jail would be,
		 * so that relative paths mean the same in both modes. */
		if (!jailed && chdir(home_dir) < 0)
			msg_fatal("chdir %s: %m", home_dir);
	}
	/* Children of a dumpable root process must not be ptrace-able. */
	(void)prctl(PR_SET_DUMPABLE, 0);
	if (spec->post_jail != NULL)
		spec->post_jail();
	listen_fds = xcalloc(n_listen + 1, sizeof(int));
	for (unsigned i = 0; i < n_listen; i++)
		listen_fds[i] = MASTER_LISTEN_FD + (int)i;
	signal(SIGPIPE, SIG_IGN);
	if (ipc_sync_hello(MASTER_CHAN_FD, MASTER_CHAN_PROTO,
	    MASTER_CHAN_MAJOR, MASTER_CHAN_MINOR, 10000, &why) < 0)
		msg_fatal("master channel: %s (this program is started by "
		    "master)", why);
	ev_signal(SIGTERM, on_signal, NULL);
	ev_signal(SIGHUP, on_signal, NULL);
	ev_io_set(MASTER_CHAN_FD, EV_READ, on_chan, NULL);
	counters_timer = ev_timer_add(COUNTERS_INTERVAL_MS, counters_tick,
	    NULL);
	(void)atexit(counters_at_exit);
	update();
	ev_run();
	exit(0);
}

char *
daemon_path(const char *path)
{
	size_t n = home_dir != NULL ? strlen(home_dir) : 0;

	if (!jailed || strncmp(path, home_dir, n) != 0 ||
	    (path[n] != '/' && path[n] != '\0'))
		return xstrdup(path);
	return xstrdup(path[n] == '\0' ? "/" : path + n);
}

char *
daemon_map_spec(const char *map)
{
	const char *colon = strchr(map, ':');
	char *inner, *out;

	if (colon == NULL || colon[1] != '/')
		return xstrdup(map);
	inner = daemon_path(colon + 1);
	out = xasprintf("%.*s:%s", (int)(colon - map), map, inner);
	free(inner);
	return out;
}

/* ipc_closed - an IPC client left */
static void
ipc_closed(struct ipc_conn *c, const char *reason, void *ctx)
{
	ipc_close_fn *also = (ipc_close_fn *)ctx;

	if (also != NULL)
		also(c, reason, NULL);
	daemon_conn_done();
}

void
daemon_ipc_serve(int fd, const char *proto, unsigned major, unsigned minor,
    ipc_msg_fn *on_msg, ipc_close_fn *on_close)
{
	(void)ipc_conn_new(fd, proto, major, minor, 0, on_msg, ipc_closed,
	    (void *)on_close);
}

const char *
daemon_service(void)
{
	return service;
}

const struct conf *
daemon_conf(void)
{
	return conf;
}

bool
daemon_stopping(void)
{
	return stopping || retiring;
}
