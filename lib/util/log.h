/*
 * log.h - one line per event, "name[pid]: id: event key=value" (DESIGN 11).
 *
 * Where the lines go is chosen once by log_open():
 *   LOG_TO_STDERR  foreground and commands: "name[pid]: text" on stderr
 *   LOG_TO_PIPE    a child of master: records on the log pipe, which
 *                  master forwards (works inside a chroot)
 *   LOG_TO_SYSLOG  mail facility, through /dev/log
 *   LOG_TO_FILE    append to a file (maillog_file), with a timestamp
 * msg_fatal() runs the cleanup hook and exits 1; msg_panic() aborts.
 */
#ifndef POSTERN_LOG_H
#define POSTERN_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

enum log_sink {
	LOG_TO_STDERR,
	LOG_TO_PIPE,
	LOG_TO_SYSLOG,
	LOG_TO_FILE,
};

enum log_level {
	LOG_LVL_DEBUG = 7,
	LOG_LVL_INFO = 6,
	LOG_LVL_WARN = 4,
	LOG_LVL_ERROR = 3,
	LOG_LVL_FATAL = 2,
	LOG_LVL_PANIC = 0,
};

/*
 * log_open - name the process and choose the sink.  arg is the pipe fd
 * (as text) for LOG_TO_PIPE or the path for LOG_TO_FILE; NULL otherwise.
 * Returns 0, or -1 when the file cannot be opened (stderr stays in use).
 */
int log_open(const char *name, enum log_sink sink, const char *arg);
/* log_name - the name given to log_open. */
const char *log_name(void);
/* log_verbose - number of -v flags; msg_debug prints when > 0. */
extern int log_verbose;
/* log_on_fatal - cleanup hook run by msg_fatal before exit. */
void log_on_fatal(void (*fn)(void));

void msg_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_fatal(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
void msg_panic(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
void msg_vlog(enum log_level lvl, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/*
 * log_emit_line - send an already formatted line ("name[pid]: text") to
 * the sink at a level.  master uses it to forward its children's lines.
 */
void log_emit_line(enum log_level lvl, const char *line);

/*
 * log_quote - render untrusted bytes for a log line: non-printables as
 * \xNN, at most 200 input bytes (then "..."), into out (size >= 4*200+4).
 * Returns out.
 */
#define LOG_QUOTE_SIZE 808
char *log_quote(char *out, const void *data, size_t len);

#define ASSERT(x) do { if (!(x)) msg_panic("%s:%d: assertion failed: %s", \
	__FILE__, __LINE__, #x); } while (0)

/* Test support (lib/util/test.h): make fatal/panic longjmp, not exit. */
extern void (*log_test_fatal_hook)(const char *text);

#endif
