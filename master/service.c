/*
 * NAME
 *	service - master's services: listeners, children, limits, reload
 * DESCRIPTION
 *	Each service owns its listening sockets for as long as its listen
 *	address stays the same, across reloads, so that no connection is
 *	refused while children are replaced.
 *
 *	Spawning follows Postfix: a new child counts as available; when no
 *	child of a service is available, master watches the service's
 *	listeners itself and starts one more child when a connection waits,
 *	up to process_limit.  At the limit it logs once a minute, with the
 *	setting to raise, and looks again a second later.
 *
 *	A child that dies abnormally within two seconds of its start, before
 *	it has reported from its event loop, counts as an early crash; two
 *	in a row throttle the service's restarts with a back-off doubling
 *	from one second up to service_throttle_time.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "master/master.h"
#include "util/daemon.h"
#include "util/ev.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/sock.h"

#define EARLY_CRASH_MS		2000
#define LIMIT_PAUSE_MS		1000
#define LISTEN_BACKLOG		511

struct service **services;
size_t n_services;
struct child *children;
bool master_unprivileged;
bool master_stopping;

static void on_listener(int fd, int events, void *ctx);

/* unix_path - where a unix service listens */
static char *
unix_path(const struct svc *cfg)
{
	if (cfg->listen[0] == '/')
		return xstrdup(cfg->listen);
	return xasprintf("%s/%s", var_socket_dir, cfg->listen);
}

/* open_listener - the one socket of a service, or -1 with an error */
static int
open_listener(const struct svc *cfg, struct buf *errors)
{
	const char *why;
	char *path;
	int fd;

	if (cfg->listen == NULL)
		return -2;
	if (cfg->type == SVC_INET) {
		fd = sock_listen_inet(cfg->listen, LISTEN_BACKLOG, &why);
		if (fd < 0 && buf_appendf(errors, "%s: service '%s': cannot "
		    "listen on %s: %s\n", cfg->origin, cfg->name, cfg->listen,
		    why) < 0)
			return -1;
		return fd;
	}
	path = unix_path(cfg);
	fd = sock_listen_unix(path, master_unprivileged ? 0600 : 0660,
	    LISTEN_BACKLOG, &why);
	if (fd < 0 && buf_appendf(errors, "%s: service '%s': cannot listen on "
	    "%s: %s\n", cfg->origin, cfg->name, path, why) < 0)
		fd = -1;
	free(path);
	return fd;
}

/* close_listeners - stop listening (unix sockets are removed) */
static void
close_listeners(struct service *s)
{
	for (unsigned i = 0; i < s->n_fds; i++) {
		ev_io_del(s->fds[i]);
		close(s->fds[i]);
	}
	if (s->n_fds > 0 && s->cfg->type == SVC_UNIX) {
		char *path = unix_path(s->cfg);

		(void)unlink(path);
		free(path);
	}
	free(s->fds);
	s->fds = NULL;
	s->n_fds = 0;
	s->watching = false;
}

/* effective_limit - the service's process_limit */
static long
effective_limit(const struct svc *cfg)
{
	return cfg->process_limit >= 0 ? cfg->process_limit :
	    (long)var_default_process_limit;
}

/* override_u64 - a limit from the service's -o list, else the global */
static uint64_t
override_u64(const struct svc *cfg, const char *name, uint64_t global)
{
	size_t len = strlen(name);
	const struct conf_def *d = conf_def_find(name);

	for (size_t i = 0; i < cfg->n_overrides; i++) {
		const char *ov = cfg->overrides[i], *why;
		uint64_t v;

		if (strncmp(ov, name, len) == 0 && ov[len] == '=' &&
		    d != NULL && conf_parse_value(d, ov + len + 1, &v,
		    &why) == 0)
			return v;
	}
	return global;
}

/* override_str - a text setting from the service's -o list, else the
 * global value */
static const char *
override_str(const struct svc *cfg, const char *name, const char *global)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < cfg->n_overrides; i++)
		if (strncmp(cfg->overrides[i], name, len) == 0 &&
		    cfg->overrides[i][len] == '=')
			return cfg->overrides[i] + len + 1;
	return global;
}

/* in_list - whether word is in a comma/space-separated list */
static bool
in_list(const char *list, const char *word)
{
	size_t len = strlen(word);

	for (const char *p = list; *p != '\0';) {
		size_t n = strcspn(p, ", ");

		if (n == len && strncmp(p, word, len) == 0)
			return true;
		p += n;
		p += strspn(p, ", ");
	}
	return false;
}

/* find_service - the running service called name, or NULL */
static struct service *
find_service(const char *name)
{
	for (size_t i = 0; i < n_services; i++)
		if (services[i] != NULL &&
		    strcmp(services[i]->cfg->name, name) == 0)
			return services[i];
	return NULL;
}

/* connect_for - connect to target on behalf of a child of from */
static int
connect_for(const struct service *from, const char *target,
    const char **error_r)
{
	struct service *t = find_service(target);
	const char *allowed;
	char *path;
	int fd;

	if (t == NULL || t->cfg->type != SVC_UNIX || t->n_fds == 0) {
		*error_r = "no such unix service";
		return -1;
	}
	allowed = override_str(t->cfg, "allowed_clients", var_allowed_clients);
	if (allowed[0] != '\0' && !in_list(allowed, from->cfg->name)) {
		msg_warn("service %s: connection to %s refused: not in its "
		    "allowed_clients (%s)", from->cfg->name, target,
		    t->cfg->origin);
		*error_r = "not allowed (allowed_clients)";
		return -1;
	}
	path = unix_path(t->cfg);
	fd = ipc_sync_connect(path);
	free(path);
	if (fd < 0) {
		*error_r = strerror(errno);
		return -1;
	}
	return fd;
}

/* chan_anvil - ANVIL: count a client connection (anvil.c) */
static void
chan_anvil(struct child *c, struct ipc_msg *m, struct ipc_msg *r)
{
	const char *addr, *limit_name = "", *rate_name = "";
	bool connect;
	uint64_t window = 60, count = 0, rate = 0, limit = 0, rate_limit = 0;
	uint64_t refused = ANVIL_ADMITTED;
	int ok;

	ok = c->svc != NULL &&
	    ipc_get_str(m, "addr", IPC_REQUIRED, &addr) == 1 &&
	    ipc_get_bool(m, "connect", IPC_REQUIRED, &connect) == 1 &&
	    ipc_get_u64(m, "window", IPC_OPTIONAL, &window) >= 0 &&
	    ipc_get_u64(m, "limit", IPC_OPTIONAL, &limit) >= 0 &&
	    ipc_get_str(m, "limit_name", IPC_OPTIONAL, &limit_name) >= 0 &&
	    ipc_get_u64(m, "rate_limit", IPC_OPTIONAL, &rate_limit) >= 0 &&
	    ipc_get_str(m, "rate_name", IPC_OPTIONAL, &rate_name) >= 0 &&
	    anvil_update(c, addr, connect, window, &count, &rate) == 0;
	if (ok && connect && limit > 0 && count > limit) {
		refused = ANVIL_REFUSED_COUNT;
		limit_hit(c->svc, limit_name[0] != '\0' ? limit_name :
		    "client connection limit", "[%s] has %llu connections "
		    "(limit %llu); the newest was refused", addr,
		    (unsigned long long)count, (unsigned long long)limit);
	} else if (ok && connect && rate_limit > 0 && rate > rate_limit) {
		refused = ANVIL_REFUSED_RATE;
		limit_hit(c->svc, rate_name[0] != '\0' ? rate_name :
		    "client connection rate limit", "[%s] opened %llu connections in "
		    "%llus (limit %llu); the newest was refused", addr,
		    (unsigned long long)rate, (unsigned long long)window,
		    (unsigned long long)rate_limit);
	}
	if (ipc_put_u64(r, "status", ok ? IPC_OK : IPC_EFAIL) < 0 ||
	    ipc_put_u64(r, "count", count) < 0 ||
	    ipc_put_u64(r, "rate", rate) < 0 ||
	    ipc_put_u64(r, "refused", refused) < 0)
		msg_warn("child pid %ld: cannot build ANVIL reply",
		    (long)c->pid);
}

/* chan_greylist - GREYLIST: a triplet's verdict (greylist.c) */
static void
chan_greylist(struct child *c, struct ipc_msg *m, struct ipc_msg *r)
{
	const char *key;
	uint64_t delay, window, lifetime, wait = 0;
	int pass = 1;
	bool ok;

	ok = ipc_get_str(m, "key", IPC_REQUIRED, &key) == 1 &&
	    ipc_get_u64(m, "delay", IPC_REQUIRED, &delay) == 1 &&
	    ipc_get_u64(m, "window", IPC_REQUIRED, &window) == 1 &&
	    ipc_get_u64(m, "lifetime", IPC_REQUIRED, &lifetime) == 1;
	if (ok)
		pass = greylist_check(key, delay, window, lifetime, &wait);
	if (ipc_put_u64(r, "status", ok ? IPC_OK : IPC_EFAIL) < 0 ||
	    ipc_put_bool(r, "pass", pass != 0) < 0 ||
	    ipc_put_u64(r, "wait", wait) < 0)
		msg_warn("child pid %ld: cannot build GREYLIST reply",
		    (long)c->pid);
}

/* chan_rate - RATE: count events against a shared limit (rate.c) */
static void
chan_rate(struct child *c, struct ipc_msg *m, struct ipc_msg *r)
{
	const char *key, *name, *what = "";
	uint64_t window, limit, cost = 1, count = 0, wait = 0;
	int pass = 1;
	bool ok;

	ok = c->svc != NULL &&
	    ipc_get_str(m, "key", IPC_REQUIRED, &key) == 1 &&
	    ipc_get_str(m, "name", IPC_REQUIRED, &name) == 1 &&
	    ipc_get_u64(m, "window", IPC_REQUIRED, &window) == 1 &&
	    ipc_get_u64(m, "limit", IPC_REQUIRED, &limit) == 1 &&
	    ipc_get_u64(m, "cost", IPC_OPTIONAL, &cost) >= 0 &&
	    ipc_get_str(m, "what", IPC_OPTIONAL, &what) >= 0;
	if (ok)
		pass = rate_check(key, window, limit, cost, &count, &wait);
	if (ok && !pass)
		limit_hit(c->svc, name, "%s%s%llu in %llus (limit %llu); "
		    "refused for up to %llus more", what,
		    what[0] != '\0' ? ": " : "", (unsigned long long)count,
		    (unsigned long long)window, (unsigned long long)limit,
		    (unsigned long long)wait);
	if (ipc_put_u64(r, "status", ok ? IPC_OK : IPC_EFAIL) < 0 ||
	    ipc_put_bool(r, "pass", pass != 0) < 0 ||
	    ipc_put_u64(r, "count", count) < 0 ||
	    ipc_put_u64(r, "wait", wait) < 0)
		msg_warn("child pid %ld: cannot build RATE reply",
		    (long)c->pid);
}

/* chan_connect - CONNECT: connect to a unix service for the child */
static void
chan_connect(struct child *c, struct ipc_msg *m, struct ipc_msg *r)
{
	const char *target, *why = "malformed request";
	int fd = -1;

	if (ipc_get_str(m, "service", IPC_REQUIRED, &target) < 0)
		why = "malformed request";
	else if (c->svc == NULL)
		why = "service retired";
	else
		fd = connect_for(c->svc, target, &why);
	r->fd = fd;
	if (ipc_put_u64(r, "status", fd >= 0 ? IPC_OK : IPC_EFAIL) < 0 ||
	    (fd < 0 && ipc_put_str(r, "error", why) < 0))
		msg_warn("child pid %ld: cannot build CONNECT reply",
		    (long)c->pid);
}

/* chan_msg - a request from a child on its master channel */
static void
chan_msg(struct ipc_conn *conn, struct ipc_msg *m, void *ctx)
{
	struct child *c = ctx;
	struct ipc_msg r;
	uint64_t id = 0;

	if (m->type == MASTER_CHAN_T_COUNTERS) {
		const char *text;

		/* No reply: children send these without waiting. */
		if (c->svc != NULL && (ipc_get_str(m, "series", IPC_REQUIRED,
		    &text) < 0 || metrics_frame(c->svc->cfg->name, text) < 0))
			msg_warn("child pid %ld: malformed COUNTERS frame",
			    (long)c->pid);
		return;
	}
	if ((m->type != MASTER_CHAN_T_CONNECT &&
	    m->type != MASTER_CHAN_T_ANVIL &&
	    m->type != MASTER_CHAN_T_GREYLIST &&
	    m->type != MASTER_CHAN_T_RATE) ||
	    ipc_get_u64(m, "id", IPC_REQUIRED, &id) < 0) {
		msg_warn("child pid %ld: malformed request on the master "
		    "channel", (long)c->pid);
		return;
	}
	ipc_msg_init(&r, MASTER_CHAN_T_REPLY);
	if (ipc_put_u64(&r, "id", id) < 0)
		msg_panic("%s: cannot build a reply", __func__);
	if (m->type == MASTER_CHAN_T_CONNECT)
		chan_connect(c, m, &r);
	else if (m->type == MASTER_CHAN_T_GREYLIST)
		chan_greylist(c, m, &r);
	else if (m->type == MASTER_CHAN_T_RATE)
		chan_rate(c, m, &r);
	else
		chan_anvil(c, m, &r);
	if (ipc_conn_send(conn, &r) < 0)
		msg_warn("child pid %ld: cannot answer on the master channel",
		    (long)c->pid);
	ipc_msg_free(&r);	/* closes our copy of a passed fd */
}

/* chan_close - a child's channel ended (it exited, or misbehaved) */
static void
chan_close(struct ipc_conn *conn, const char *reason, void *ctx)
{
	struct child *c = ctx;

	if (strcmp(reason, "eof") != 0)
		msg_warn("child pid %ld: master channel: %s", (long)c->pid,
		    reason);
	c->conn = NULL;
}

/* service_new - state for one master.conf line */
static struct service *
service_new(const struct svc *cfg)
{
	struct service *s = xcalloc(1, sizeof(*s));

	s->cfg = cfg;
	s->limit = effective_limit(cfg);
	s->process_min = override_u64(cfg, "process_min", var_process_min);
	return s;
}

/* recount - children and available children of s */
static void
recount(struct service *s)
{
	s->n_children = s->n_avail = 0;
	for (struct child *c = children; c != NULL; c = c->next) {
		if (c->svc != s || c->retired)
			continue;
		s->n_children++;
		if (c->state == MASTER_ST_AVAIL)
			s->n_avail++;
	}
}

/* set_watch - master watches the listeners, or not */
static void
set_watch(struct service *s, bool on)
{
	if (s->watching == on)
		return;
	for (unsigned i = 0; i < s->n_fds; i++) {
		if (on)
			ev_io_set(s->fds[i], EV_READ, on_listener, s);
		else
			ev_io_del(s->fds[i]);
	}
	s->watching = on;
}

/* move_fd - dup fd to a descriptor above the ones children get */
static int
move_fd(int fd)
{
	int n = fcntl(fd, F_DUPFD_CLOEXEC, 64);

	if (n < 0)
		_exit(127);
	return n;
}

/* exec_child - in the forked child: set up descriptors, exec */
__attribute__((noreturn))
static void
exec_child(struct service *s, int chan, char **argv)
{
	int status_fd, log_fd, *fds = xcalloc(s->n_fds + 1, sizeof(int));
	struct rlimit rl;

	ev_fork_child();
	status_fd = move_fd(master_status_pipe[1]);
	log_fd = move_fd(master_log_pipe[1]);
	chan = move_fd(chan);
	for (unsigned i = 0; i < s->n_fds; i++)
		fds[i] = move_fd(s->fds[i]);
	if (dup2(status_fd, MASTER_STATUS_FD) < 0 ||
	    dup2(log_fd, MASTER_LOG_FD) < 0 ||
	    dup2(chan, MASTER_CHAN_FD) < 0)
		_exit(127);
	for (unsigned i = 0; i < s->n_fds; i++)
		if (dup2(fds[i], MASTER_LISTEN_FD + (int)i) < 0)
			_exit(127);
	(void)close_range(MASTER_LISTEN_FD + s->n_fds, ~0U, 0);
	rl.rlim_cur = rl.rlim_max = override_u64(s->cfg, "fd_limit",
	    var_fd_limit);
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		msg_warn("service %s: setrlimit RLIMIT_NOFILE: %m",
		    s->cfg->name);
#ifndef POSTERN_SANITIZE
	/* ASan reserves terabytes of address space: no RLIMIT_AS there. */
	rl.rlim_cur = rl.rlim_max = override_u64(s->cfg, "memory_limit",
	    var_memory_limit);
	if (rl.rlim_cur > 0 && setrlimit(RLIMIT_AS, &rl) < 0)
		msg_warn("service %s: setrlimit RLIMIT_AS: %m", s->cfg->name);
#endif
	execv(argv[0], argv);
	msg_error("service %s: cannot run %s: %m", s->cfg->name, argv[0]);
	_exit(127);
}

/* child_argv - the command line of a child of s (master_fds.h) */
static char **
child_argv(struct service *s)
{
	const struct svc *cfg = s->cfg;
	size_t n = 0, max = 24 + 2 * cfg->n_overrides + cfg->n_args;
	char **argv = xcalloc(max, sizeof(char *));

	argv[n++] = cfg->command[0] == '/' ? xstrdup(cfg->command) :
	    xasprintf("%s/%s", var_daemon_dir, cfg->command);
	argv[n++] = xstrdup("-c");
	argv[n++] = xstrdup(master_config_dir);
	argv[n++] = xstrdup("-s");
	argv[n++] = xstrdup(master_snapshot);
	argv[n++] = xstrdup("-n");
	argv[n++] = xstrdup(cfg->name);
	argv[n++] = xstrdup("-t");
	argv[n++] = xstrdup(cfg->type == SVC_INET ? "inet" : "unix");
	argv[n++] = xasprintf("-l%u", s->n_fds);
	argv[n++] = xasprintf("-g%u", s->gen);
	if (!master_unprivileged && cfg->unpriv)
		argv[n++] = xstrdup("-u");
	if (!master_unprivileged && cfg->chroot)
		argv[n++] = xstrdup("-j");
	for (int v = 0; v < log_verbose && v < 3; v++)
		argv[n++] = xstrdup("-v");
	for (size_t i = 0; i < cfg->n_overrides; i++) {
		argv[n++] = xstrdup("-o");
		argv[n++] = xstrdup(cfg->overrides[i]);
	}
	argv[n++] = xstrdup("--");
	for (size_t i = 0; i < cfg->n_args; i++)
		argv[n++] = xstrdup(cfg->args[i]);
	return argv;
}

/* spawn - start one child of s */
static void
spawn(struct service *s)
{
	char **argv = child_argv(s);
	struct child *c;
	int chan[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, chan) < 0) {
		msg_error("service %s: socketpair: %m", s->cfg->name);
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		msg_error("service %s: fork: %m", s->cfg->name);
		close(chan[0]);
		close(chan[1]);
		goto out;
	}
	if (pid == 0)
		exec_child(s, chan[1], argv);
	close(chan[1]);
	c = xcalloc(1, sizeof(*c));
	c->pid = pid;
	c->gen = s->gen;
	c->state = MASTER_ST_AVAIL;
	c->started_ms = ev_now_ms();
	c->svc = s;
	c->conn = ipc_conn_new(chan[0], MASTER_CHAN_PROTO, MASTER_CHAN_MAJOR,
	    MASTER_CHAN_MINOR, 0, chan_msg, chan_close, c);
	c->next = children;
	children = c;
	s->spawned++;
	metrics_add(s->cfg->name, "master_processes_started_total", "",
	    COUNTER_COUNTER, 1);
	msg_debug("service %s: started child pid %ld", s->cfg->name,
	    (long)pid);
out:
	for (size_t i = 0; argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
	recount(s);
}

/* can_spawn - below process_limit and not throttled */
static bool
can_spawn(const struct service *s)
{
	return !master_stopping && !s->throttled &&
	    (s->limit == 0 || (long)s->n_children < s->limit);
}

/* unpause - look at a service again after a limit pause or throttle */
static void
unpause(void *ctx)
{
	struct service *s = ctx;

	s->pause_timer = NULL;
	services_check(s);
}

/* on_listener - a connection waits and no child is available */
static void
on_listener(int fd, int events, void *ctx)
{
	struct service *s = ctx;
	set_watch(s, false);
	if (s->n_avail > 0)
		return;
	if (can_spawn(s)) {
		spawn(s);
		return;
	}
	if (s->throttled)
		return;		/* throttle_done will look again */
	limit_hit(s, "process_limit", "all %ld processes are busy and "
	    "connections wait (or raise client_limit, the connections each "
	    "process serves)", s->limit);
	s->pause_timer = ev_timer_add(LIMIT_PAUSE_MS, unpause, s);
}

void
services_check(struct service *s)
{
	if (master_stopping)
		return;
	recount(s);
	while (s->n_children < s->process_min && can_spawn(s))
		spawn(s);
	set_watch(s, s->n_fds > 0 && s->n_avail == 0 && !s->throttled &&
	    s->pause_timer == NULL);
}

/* throttle_done - the back-off after early crashes is over */
static void
throttle_done(void *ctx)
{
	struct service *s = ctx;

	s->throttle_timer = NULL;
	s->throttled = false;
	services_check(s);
}

/* exit_text - "exit status 1" / "killed by signal 9" */
static const char *
exit_text(int status, char *out, size_t size)
{
	if (WIFSIGNALED(status))
		snprintf(out, size, "killed by signal %d%s", WTERMSIG(status),
		    WCOREDUMP(status) ? " (core dumped)" : "");
	else
		snprintf(out, size, "exit status %d", WEXITSTATUS(status));
	return out;
}

void
services_reaped(pid_t pid, int status)
{
	struct child **pp, *c;
	struct service *s;
	char why[64];
	bool bad = !(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	for (pp = &children; *pp != NULL && (*pp)->pid != pid;
	    pp = &(*pp)->next)
		;
	if ((c = *pp) == NULL)
		return;
	*pp = c->next;
	ipc_conn_close(&c->conn);
	anvil_child_gone(c);
	s = c->svc;
	if (s == NULL) {
		if (bad)
			msg_warn("lost retired child pid %ld: %s", (long)pid,
			    exit_text(status, why, sizeof(why)));
		free(c);
		return;
	}
	if (bad) {
		metrics_add(s->cfg->name, "master_crashes_total", "",
		    COUNTER_COUNTER, 1);
		msg_warn("lost child %s pid %ld: %s", s->cfg->name, (long)pid,
		    exit_text(status, why, sizeof(why)));
		/* Only a child that dies before it is up says something
		 * is wrong with starting it (configuration, files, keys);
		 * one killed later (kill -9, the OOM killer) is replaced at
		 * once, however young. */
		if (!c->ready && ev_now_ms() - c->started_ms < EARLY_CRASH_MS)
			s->fails++;
		else
			s->fails = 0;
	} else {
		s->fails = 0;
	}
	if (s->fails >= 2 && !s->throttled && !master_stopping) {
		uint64_t delay = 1000ULL << (s->fails - 2 > 16 ? 16 :
		    s->fails - 2);

		if (delay > var_throttle_time * 1000)
			delay = var_throttle_time * 1000;
		s->throttled = true;
		msg_warn("service %s: child crashed %u times in a row right "
		    "after starting; throttling restarts for %llus (see the "
		    "errors above; service_throttle_time caps the pause)",
		    s->cfg->name, s->fails, (unsigned long long)delay / 1000);
		s->throttle_timer = ev_timer_add(delay, throttle_done, s);
	}
	free(c);
	services_check(s);
}

void
services_status(const struct master_status *rec)
{
	struct child *c;

	for (c = children; c != NULL; c = c->next)
		if (c->pid == rec->pid)
			break;
	if (c == NULL)
		return;
	if (c->svc != NULL && rec->served > c->served)
		metrics_add(c->svc->cfg->name, "master_connections_total", "",
		    COUNTER_COUNTER, rec->served - c->served);
	c->ready = true;
	c->state = rec->state;
	c->conns = rec->conns;
	c->served = rec->served;
	if (c->svc != NULL && rec->limit_hits > c->limit_hits)
		limit_hit(c->svc, "client_limit", "process %ld serves its "
		    "limit of %u connections at once", (long)c->pid,
		    rec->conns);
	c->limit_hits = rec->limit_hits;
	if (c->svc != NULL) {
		if (rec->state == MASTER_ST_RETIRING && !c->retired)
			c->retired = true;
		services_check(c->svc);
	}
}

/* retire_children - tell every child of s to finish and go */
static void
retire_children(struct service *s, bool forget)
{
	for (struct child *c = children; c != NULL; c = c->next) {
		if (c->svc != s)
			continue;
		if (!c->retired)
			(void)kill(c->pid, SIGHUP);
		c->retired = true;
		if (forget)
			c->svc = NULL;
	}
}

/* service_free - forget s (children must already be detached) */
static void
service_free(struct service *s)
{
	close_listeners(s);
	ev_timer_del(&s->throttle_timer);
	ev_timer_del(&s->pause_timer);
	limits_free(s);
	free(s);
}

int
services_start(struct svc_table *t, struct buf *errors)
{
	int rc = 0;

	services = xcalloc(t->n + 1, sizeof(*services));
	for (size_t i = 0; i < t->n; i++) {
		struct service *s = service_new(&t->svcs[i]);
		int fd = open_listener(s->cfg, errors);

		if (fd == -1)
			rc = -1;
		if (fd >= 0) {
			s->fds = xcalloc(1, sizeof(int));
			s->fds[s->n_fds++] = fd;
		}
		services[n_services++] = s;
	}
	return rc;
}

void
services_run(void)
{
	for (size_t i = 0; i < n_services; i++)
		services_check(services[i]);
}

/* same_listener - whether a service keeps its socket across a reload */
static bool
same_listener(const struct svc *a, const struct svc *b)
{
	if (a->type != b->type)
		return false;
	if (a->listen == NULL || b->listen == NULL)
		return a->listen == b->listen;
	return strcmp(a->listen, b->listen) == 0;
}

int
services_reload(struct svc_table *t, bool conf_changed, struct buf *errors)
{
	struct service **next = xcalloc(t->n + 1, sizeof(*next));
	int *new_fds = xcalloc(t->n + 1, sizeof(int));
	size_t i;

	/* First open every new socket, so a failure changes nothing. */
	for (i = 0; i < t->n; i++) {
		struct service *old = find_service(t->svcs[i].name);

		new_fds[i] = -2;
		if (old == NULL || !same_listener(old->cfg, &t->svcs[i])) {
			new_fds[i] = open_listener(&t->svcs[i], errors);
			if (new_fds[i] == -1)
				goto fail;
		}
	}
	for (i = 0; i < t->n; i++) {
		const struct svc *cfg = &t->svcs[i];
		struct service *old = find_service(cfg->name), *s;

		if (old != NULL && !conf_changed &&
		    strcmp(old->cfg->signature, cfg->signature) == 0) {
			old->cfg = cfg;		/* unchanged */
			next[i] = old;
			for (size_t j = 0; j < n_services; j++)
				if (services[j] == old)
					services[j] = NULL;
			continue;
		}
		s = service_new(cfg);
		if (old != NULL) {
			for (size_t j = 0; j < n_services; j++)
				if (services[j] == old)
					services[j] = NULL;
			s->gen = old->gen + 1;
			retire_children(old, true);
			if (new_fds[i] == -2) {
				/* Hand the open socket to the new service. */
				s->fds = old->fds;
				s->n_fds = old->n_fds;
				set_watch(old, false);
				old->fds = NULL;
				old->n_fds = 0;
			}
			service_free(old);
			msg_info("service %s changed: new children will "
			    "replace the old ones", cfg->name);
		} else {
			msg_info("service %s added", cfg->name);
		}
		if (new_fds[i] >= 0) {
			s->fds = xcalloc(1, sizeof(int));
			s->fds[0] = new_fds[i];
			s->n_fds = 1;
		}
		next[i] = s;
	}
	/* What is left of the old table is gone from master.conf. */
	for (i = 0; i < n_services; i++) {
		if (services[i] == NULL)
			continue;
		msg_info("service %s removed: its children finish their "
		    "connections and exit", services[i]->cfg->name);
		retire_children(services[i], true);
		service_free(services[i]);
	}
	free(services);
	free(new_fds);
	services = next;
	n_services = t->n;
	for (i = 0; i < n_services; i++)
		services_check(services[i]);
	return 0;
fail:
	for (size_t j = 0; j < i; j++)
		if (new_fds[j] >= 0)
			close(new_fds[j]);
	free(new_fds);
	free(next);
	return -1;
}

void
services_stop(void)
{
	master_stopping = true;
	for (size_t i = 0; i < n_services; i++) {
		close_listeners(services[i]);
		ev_timer_del(&services[i]->throttle_timer);
		ev_timer_del(&services[i]->pause_timer);
	}
	for (struct child *c = children; c != NULL; c = c->next)
		(void)kill(c->pid, SIGTERM);
}

unsigned
children_alive(void)
{
	unsigned n = 0;

	for (struct child *c = children; c != NULL; c = c->next)
		n++;
	return n;
}
