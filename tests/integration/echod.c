/*
 * NAME
 *	echod - a line echo service for testing master and the skeleton
 * DESCRIPTION
 *	Greets with "echod <service> pid=<pid> uid=<uid>", then answers each
 *	line: "PID" with its pid, "QUIT" by closing, "CRASH" by aborting,
 *	"CONNECT <service>" by connecting to that unix service through
 *	master and answering with its greeting ("CONNECTED <greeting>" or
 *	"ERR <why>"), anything else echoed back.  Lines over 200 bytes get "ERR line too
 *	long".  Built only for the tests; never installed.
 * SECURITY
 *	Runs as mail_owner in queue_directory when master is root.
 */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mail/params.h"
#include "util/daemon.h"
#include "util/log.h"
#include "util/stream.h"

/* connect_to - reach another service through master; relay its greeting */
static void
connect_to(struct stream *s, const char *service)
{
	const char *why;
	char greeting[256];
	ssize_t n;
	int fd = daemon_connect(service, &why);

	if (fd < 0) {
		stream_printf(s, "ERR %s\r\n", why);
		return;
	}
	/* A test helper: blocking for the peer's greeting is fine. */
	{
		struct pollfd p = { .fd = fd, .events = POLLIN };

		n = poll(&p, 1, 5000) == 1 ? read(fd, greeting,
		    sizeof(greeting) - 1) : -1;
	}
	close(fd);
	greeting[n > 0 ? n : 0] = '\0';
	greeting[strcspn(greeting, "\r\n")] = '\0';
	stream_printf(s, "CONNECTED %s\r\n", greeting);
}

/* on_input - answer each complete line */
static void
on_input(struct stream *s, void *ctx)
{
	const char *line;
	size_t len;
	int rc;

	while ((rc = stream_line(s, &line, &len)) != 0) {
		if (rc == STREAM_LINE_TOO_LONG) {
			stream_printf(s, "ERR line too long\r\n");
			continue;
		}
		if (strcmp(line, "QUIT") == 0) {
			stream_printf(s, "BYE\r\n");
			stream_close_after_flush(s);
			return;
		}
		if (strncmp(line, "CONNECT ", 8) == 0)
			connect_to(s, line + 8);
		else if (strcmp(line, "PID") == 0)
			stream_printf(s, "%ld\r\n", (long)getpid());
		else if (strcmp(line, "CRASH") == 0)
			abort();
		else
			stream_printf(s, "%.*s\r\n", (int)len, line);
	}
}

/* on_close - a client went away */
static void
on_close(struct stream *s, const char *reason, void *ctx)
{
	msg_info("disconnect: %s", reason);
	daemon_conn_done();
}

/* on_accept - a new client */
static void
on_accept(int fd, unsigned li)
{
	struct stream *s = stream_new(fd, 200, 60000, on_input, on_close,
	    NULL);

	stream_printf(s, "echod %s pid=%ld uid=%ld\r\n", daemon_service(),
	    (long)getpid(), (long)getuid());
}

int
main(int argc, char **argv)
{
	static const struct daemon_spec spec = {
		.user_param = "mail_owner",
		.chroot_param = "queue_directory",
		.on_accept = on_accept,
	};

	/* A test may ask for a daemon that dies at once (crash loop). */
	if (getenv("ECHOD_CRASH_AT_START") != NULL)
		return 1;
	params_register();
	daemon_main(argc, argv, &spec);
}
