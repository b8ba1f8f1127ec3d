/*
 * NAME
 *	cmd_queue - postern queue: look at the queue, and ask qmgr to act
 * DESCRIPTION
 *	list and show read the queue files directly (reading moves
 *	nothing); hold, release, delete and flush are requests to qmgr,
 *	the only process that moves queue files (DESIGN 4).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "mail/params.h"
#include "mail/proto_qmgr.h"
#include "mail/qfile.h"
#include "mail/queue.h"
#include "util/daemon.h"
#include "util/mem.h"

/* open_qfile - queue/dir/qid read-only; fd or -1 */
static int
open_qfile(const char *dir, const char *qid)
{
	char *path = xasprintf("%s/%s/%s", var_queue_dir, dir, qid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	free(path);
	return fd;
}

/* state_text - a recipient's state for people */
static const char *
state_text(const struct qfile_rcpt *r)
{
	switch (r->state) {
	case QFILE_DELIVERED:
		return "delivered";
	case QFILE_NOTIFIED:	/* final, and the sender was told */
		return r->reason != NULL && r->reason[0] == '2' ?
		    "delivered" : "bounced";
	case QFILE_BOUNCED:
		return "bounced";
	case QFILE_DEFERRED:
		return "deferred";
	default:
		return "pending";
	}
}

/* json_str - s as a JSON string */
static void
json_str(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* list - every message in every queue */
static int
list(bool json)
{
	static const char *const dirs[] = { QUEUE_INCOMING, QUEUE_ACTIVE,
	    QUEUE_DEFERRED, QUEUE_HOLD, QUEUE_CORRUPT, NULL };
	unsigned n = 0;

	if (json)
		printf("[");
	for (const char *const *d = dirs; *d != NULL; d++) {
		char *path = xasprintf("%s/%s", var_queue_dir, *d);
		DIR *dir = opendir(path);
		struct dirent *e;

		if (dir == NULL) {
			fprintf(stderr, "postern queue: %s: %s\n", path,
			    strerror(errno));
			free(path);
			return 1;
		}
		free(path);
		while ((e = readdir(dir)) != NULL) {
			struct qfile_env env;
			const char *why;
			char when[32];
			struct tm tm;
			int fd;

			if (!qid_valid(e->d_name) ||
			    (fd = open_qfile(*d, e->d_name)) < 0)
				continue;
			if (qfile_read(fd, &env, &why) < 0) {
				if (!json)
					printf("%s %-9s (unreadable: %s)\n",
					    e->d_name, *d, why);
				close(fd);
				continue;
			}
			close(fd);
			localtime_r(&env.arrival.tv_sec, &tm);
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
			if (json) {
				printf("%s\n {\"queue_id\": \"%s\", \"queue\": "
				    "\"%s\", \"arrival\": %lld, \"size\": "
				    "%llu, \"sender\": ", n > 0 ? "," : "",
				    e->d_name, *d,
				    (long long)env.arrival.tv_sec,
				    (unsigned long long)env.msg_len);
				json_str(env.sender);
				if (env.warned > 0)
					printf(", \"delay_notice\": %llu",
					    (unsigned long long)env.warned);
				printf(", \"recipients\": [");
				for (size_t i = 0; i < env.n_rcpts; i++) {
					printf("%s{\"address\": ", i > 0 ?
					    ", " : "");
					json_str(env.rcpts[i].address);
					printf(", \"state\": \"%s\", "
					    "\"reason\": ", state_text(
					    &env.rcpts[i]));
					json_str(env.rcpts[i].reason != NULL ?
					    env.rcpts[i].reason : "");
					printf("}");
				}
				printf("]}");
			} else {
				printf("%s %-9s %8llu %s <%s>%s\n", e->d_name,
				    *d, (unsigned long long)env.msg_len,
				    when, env.sender, env.warned > 0 ?
				    " (told: delayed)" : "");
				for (size_t i = 0; i < env.n_rcpts; i++)
					printf("    <%s> %s%s%s\n",
					    env.rcpts[i].address,
					    state_text(&env.rcpts[i]),
					    env.rcpts[i].reason != NULL ?
					    ": " : "",
					    env.rcpts[i].reason != NULL ?
					    env.rcpts[i].reason : "");
			}
			n++;
			qfile_env_free(&env);
		}
		closedir(dir);
	}
	if (json)
		printf("%s]\n", n > 0 ? "\n" : "");
	else
		printf("-- %u message%s in the queue\n", n, n == 1 ? "" : "s");
	return 0;
}

/* show - one message: envelope, then the message as queued */
static int
show(const char *qid)
{
	static const char *const dirs[] = { QUEUE_INCOMING, QUEUE_ACTIVE,
	    QUEUE_DEFERRED, QUEUE_HOLD, QUEUE_CORRUPT, NULL };
	struct qfile_env env;
	const char *why;
	char buf[65536];
	uint64_t left;
	off_t off;
	int fd = -1;

	if (!qid_valid(qid)) {
		fprintf(stderr, "postern queue show: '%s' is not a queue "
		    "ID\n", qid);
		return 1;
	}
	for (const char *const *d = dirs; *d != NULL && fd < 0; d++)
		fd = open_qfile(*d, qid);
	if (fd < 0) {
		fprintf(stderr, "postern queue show: %s: no such message\n",
		    qid);
		return 1;
	}
	if (qfile_read(fd, &env, &why) < 0) {
		fprintf(stderr, "postern queue show: %s: %s\n", qid, why);
		close(fd);
		return 1;
	}
	printf("queue_id: %s\nclient: [%s] helo=%s protocol=%s\n"
	    "sender: <%s>\n", qid, env.client_addr, env.client_helo,
	    env.protocol, env.sender);
	for (size_t i = 0; i < env.n_rcpts; i++)
		printf("recipient: <%s> %s%s%s\n", env.rcpts[i].address,
		    state_text(&env.rcpts[i]),
		    env.rcpts[i].reason != NULL ? ": " : "",
		    env.rcpts[i].reason != NULL ? env.rcpts[i].reason : "");
	printf("\n");
	fflush(stdout);
	off = (off_t)env.msg_offset;
	for (left = env.msg_len; left > 0;) {
		ssize_t n = pread(fd, buf, left < sizeof(buf) ? (size_t)left :
		    sizeof(buf), off);

		if (n <= 0)
			break;
		fwrite(buf, 1, (size_t)n, stdout);
		off += n;
		left -= (uint64_t)n;
	}
	qfile_env_free(&env);
	close(fd);
	return 0;
}

/* ask - send one request to qmgr and wait for its answer */
static int
ask(uint16_t type, const char *qid)
{
	char *path = xasprintf("%s/qmgr", var_socket_dir);
	struct ipc_msg m, r;
	const char *why, *err;
	uint64_t status;
	int fd = ipc_sync_connect(path), rc = 1;

	if (fd < 0) {
		fprintf(stderr, "postern queue: cannot reach qmgr at %s: %s "
		    "(is the instance running?)\n", path, strerror(errno));
		free(path);
		return 1;
	}
	free(path);
	if (ipc_sync_hello(fd, QMGR_PROTO, QMGR_MAJOR, QMGR_MINOR, 10000,
	    &why) < 0) {
		fprintf(stderr, "postern queue: qmgr: %s\n", why);
		close(fd);
		return 1;
	}
	ipc_msg_init(&m, type);
	if (ipc_put_u64(&m, "id", 1) < 0 ||
	    (qid != NULL && ipc_put_str(&m, "qid", qid) < 0) ||
	    ipc_sync_send(fd, &m, 10000) < 0 ||
	    ipc_sync_recv(fd, &r, IPC_MAX_FRAME, 30000, &why) < 0) {
		fprintf(stderr, "postern queue: qmgr did not answer\n");
		ipc_msg_free(&m);
		close(fd);
		return 1;
	}
	if (ipc_get_u64(&r, "status", IPC_REQUIRED, &status) == 1 &&
	    status == IPC_OK)
		rc = 0;
	else if (ipc_get_str(&r, "error", IPC_OPTIONAL, &err) == 1)
		fprintf(stderr, "postern queue: %s: %s\n", qid != NULL ? qid :
		    "flush", err);
	ipc_msg_free(&m);
	ipc_msg_free(&r);
	close(fd);
	return rc;
}

int
cmd_queue(int argc, char **argv)
{
	static const struct {
		const char *name;
		uint16_t type;
	} acts[] = {
		{ "hold", QMGR_T_HOLD },
		{ "release", QMGR_T_RELEASE },
		{ "delete", QMGR_T_DELETE },
		{ NULL, 0 },
	};
	struct conf *c;
	struct svc_table t;

	(void)cli_load(&c, &t, false);
	svc_table_free(&t);
	conf_free(&c);
	if (argc == 2 && strcmp(argv[1], "list") == 0)
		return list(false);
	if (argc == 3 && strcmp(argv[1], "list") == 0 &&
	    strcmp(argv[2], "--json") == 0)
		return list(true);
	if (argc == 3 && strcmp(argv[1], "show") == 0)
		return show(argv[2]);
	if (argc == 2 && strcmp(argv[1], "flush") == 0)
		return ask(QMGR_T_FLUSH, NULL);
	for (int i = 0; argc == 3 && acts[i].name != NULL; i++) {
		if (strcmp(argv[1], acts[i].name) != 0)
			continue;
		if (!qid_valid(argv[2])) {
			fprintf(stderr, "postern queue %s: '%s' is not a "
			    "queue ID\n", argv[1], argv[2]);
			return 1;
		}
		return ask(acts[i].type, argv[2]);
	}
	fprintf(stderr, "usage: postern queue list [--json]\n"
	    "       postern queue show|hold|release|delete ID\n"
	    "       postern queue flush\n");
	return 2;
}
