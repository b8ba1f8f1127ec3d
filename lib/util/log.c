/*
 * NAME
 *	log - Postfix-style one-line logging to stderr, pipe, syslog or file
 * DESCRIPTION
 *	Every line is formatted once into a fixed buffer and written with a
 *	single write(2): lines from concurrent processes never interleave
 *	(pipe writes up to PIPE_BUF are atomic).  The pipe record is
 *	"<level digit> name[pid]: text\n"; master parses the level back.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"
#include "util/strnum.h"

#define LOG_LINE_MAX	2048	/* <= PIPE_BUF would be ideal; 4096 on Linux */

int log_verbose;
void (*log_test_fatal_hook)(const char *text);

static char log_ident[64] = "postern";
static enum log_sink log_sink = LOG_TO_STDERR;
static int log_fd = 2;
static int syslog_fd = -1;
static void (*fatal_hook)(void);

int
log_open(const char *name, enum log_sink sink, const char *arg)
{
	static bool log_fd_is_file;
	int fd;

	snprintf(log_ident, sizeof(log_ident), "%s", name);
	switch (sink) {
	case LOG_TO_STDERR:
		log_fd = 2;
		break;
	case LOG_TO_PIPE:
		{
			uint64_t v;
			const char *err;

			if (arg == NULL || strnum_u64(arg, 0, INT_MAX, &v,
			    &err) < 0)
				return -1;
			log_fd = (int)v;
		}
		break;
	case LOG_TO_FILE:
		fd = open(arg, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (fd < 0)
			return -1;
		/* Reopening (log rotation) lets go of the old file. */
		if (log_fd_is_file)
			close(log_fd);
		log_fd = fd;
		log_fd_is_file = true;
		break;
	case LOG_TO_SYSLOG:
		/* Connected now, before any chroot, and kept. */
		syslog_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (syslog_fd >= 0) {
			struct sockaddr_un sun = { .sun_family = AF_UNIX };

			snprintf(sun.sun_path, sizeof(sun.sun_path), "/dev/log");
			if (connect(syslog_fd, (struct sockaddr *)&sun,
			    sizeof(sun)) < 0) {
				close(syslog_fd);
				syslog_fd = -1;
			}
		}
		break;
	}
	log_sink = sink;
	return 0;
}

const char *
log_name(void)
{
	return log_ident;
}

void
log_on_fatal(void (*fn)(void))
{
	fatal_hook = fn;
}

/* write_all - write a whole record, retrying on EINTR */
static void
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

void
log_emit_line(enum log_level lvl, const char *line)
{
	char rec[LOG_LINE_MAX + 128];
	size_t len = strnlen(line, LOG_LINE_MAX);
	int n = 0;
	time_t now;
	struct tm tm;

	switch (log_sink) {
	case LOG_TO_PIPE:
		n = snprintf(rec, sizeof(rec), "%d %.*s\n", (int)lvl,
		    (int)len, line);
		break;
	case LOG_TO_STDERR:
		n = snprintf(rec, sizeof(rec), "%.*s\n", (int)len, line);
		break;
	case LOG_TO_FILE:
		now = time(NULL);
		localtime_r(&now, &tm);
		n = (int)strftime(rec, 32, "%Y-%m-%dT%H:%M:%S ", &tm);
		n += snprintf(rec + n, sizeof(rec) - (size_t)n, "%.*s\n",
		    (int)len, line);
		break;
	case LOG_TO_SYSLOG:
		/* RFC 3164: <PRI>TIMESTAMP TAG: the tag is our name[pid]. */
		now = time(NULL);
		localtime_r(&now, &tm);
		n = snprintf(rec, sizeof(rec), "<%d>", (2 << 3) | (int)lvl);
		n += (int)strftime(rec + n, 32, "%b %e %H:%M:%S ", &tm);
		n += snprintf(rec + n, sizeof(rec) - (size_t)n, "postern/%.*s",
		    (int)len, line);
		if (syslog_fd < 0 || send(syslog_fd, rec, (size_t)n,
		    MSG_NOSIGNAL) < 0)
			write_all(2, rec, (size_t)n), write_all(2, "\n", 1);
		return;
	}
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(rec)) {
		n = sizeof(rec) - 1;
		rec[n - 1] = '\n';
	}
	write_all(log_fd, rec, (size_t)n);
}

void
msg_vlog(enum log_level lvl, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	const char *prefix = "";
	int n;

	if (lvl == LOG_LVL_DEBUG && log_verbose == 0)
		return;
	switch (lvl) {
	case LOG_LVL_WARN:
		prefix = "warning: ";
		break;
	case LOG_LVL_ERROR:
		prefix = "error: ";
		break;
	case LOG_LVL_FATAL:
		prefix = "fatal: ";
		break;
	case LOG_LVL_PANIC:
		prefix = "panic: ";
		break;
	default:
		break;
	}
	n = snprintf(line, sizeof(line), "%s[%ld]: %s", log_ident,
	    (long)getpid(), prefix);
	if (n > 0 && (size_t)n < sizeof(line))
		vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	/* A newline inside a message would forge a second log line. */
	for (char *p = line; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	log_emit_line(lvl, line);
}

#define MSG_FN(fn, lvl) \
void fn(const char *fmt, ...) \
{ \
	va_list ap; \
	va_start(ap, fmt); \
	msg_vlog(lvl, fmt, ap); \
	va_end(ap); \
}
MSG_FN(msg_debug, LOG_LVL_DEBUG)
MSG_FN(msg_info, LOG_LVL_INFO)
MSG_FN(msg_warn, LOG_LVL_WARN)
MSG_FN(msg_error, LOG_LVL_ERROR)

/* fatal_text - format for the test hook */
static void
test_hook(const char *fmt, va_list ap)
{
	char text[LOG_LINE_MAX];

	vsnprintf(text, sizeof(text), fmt, ap);
	log_test_fatal_hook(text);
}

void
msg_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (log_test_fatal_hook != NULL)
		test_hook(fmt, ap);
	msg_vlog(LOG_LVL_FATAL, fmt, ap);
	va_end(ap);
	if (fatal_hook != NULL) {
		void (*fn)(void) = fatal_hook;

		fatal_hook = NULL;
		fn();
	}
	exit(1);
}

void
msg_panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (log_test_fatal_hook != NULL)
		test_hook(fmt, ap);
	msg_vlog(LOG_LVL_PANIC, fmt, ap);
	va_end(ap);
	abort();
}

char *
log_quote(char *out, const void *data, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = data;
	size_t i, o = 0;
	size_t n = len > 200 ? 200 : len;

	for (i = 0; i < n; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\') {
			out[o++] = (char)p[i];
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[p[i] >> 4];
			out[o++] = hex[p[i] & 15];
		}
	}
	if (len > n) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}
