/*
 * master_fds.h - what master hands each child (see Postfix master_proto.h).
 *
 * Descriptors at fixed numbers:
 *   3  status pipe, child -> master: struct master_status records
 *   4  log pipe, child -> master: log records (lib/util/log.c)
 *   5  master channel, a socketpair; EOF means master is gone
 *   6  first listening socket; -l N says how many follow
 *
 * Arguments: command -c CONFIG_DIR -s SNAPSHOT -n SERVICE -t inet|unix
 *            -l N -g GEN [-u] [-j] [-o name=value ...] [-- extra args]
 *   -s  the configuration master accepted (conf_write_snapshot), read
 *       instead of CONFIG_DIR/postern.conf
 *   -u  drop privileges to the daemon's user (when started as root)
 *   -j  chroot to the daemon's directory (when started as root)
 *
 * The master channel speaks framed attributes (doc/ipc/master-chan.md),
 * protocol "master-chan": a child asks master to connect it to a unix
 * service (CONNECT {id, service}); master answers {id, status, error}
 * with the connected socket attached.  Children inside a chroot reach
 * every internal service this way, and master enforces which services
 * may talk to which (allowed_clients).
 *
 * Signals from master: SIGTERM stop gracefully (finish the work in hand
 * within stop_timeout), SIGHUP retire (stop accepting, exit when the last
 * connection ends).
 */
#ifndef POSTERN_MASTER_FDS_H
#define POSTERN_MASTER_FDS_H

#include <stdint.h>
#include <sys/types.h>

#define MASTER_STATUS_FD	3
#define MASTER_LOG_FD		4
#define MASTER_CHAN_FD		5
#define MASTER_LISTEN_FD	6

#define MASTER_CHAN_PROTO	"master-chan"
#define MASTER_CHAN_MAJOR	1
#define MASTER_CHAN_MINOR	3
#define MASTER_CHAN_T_CONNECT	16	/* child: id, service */
#define MASTER_CHAN_T_REPLY	17	/* master: id, status, error; fd */
#define MASTER_CHAN_T_ANVIL	18	/* child: id, addr, connect, window */
#define MASTER_CHAN_T_GREYLIST	19	/* child: id, key, delay, window,
					   lifetime */
#define MASTER_CHAN_T_COUNTERS	20	/* child: series (counters.h); no
					   reply */
#define MASTER_CHAN_T_RATE	21	/* child: id, key, name, window,
					   limit, cost, what */

/* ANVIL's verdict, when the request carried limits */
enum anvil_verdict {
	ANVIL_ADMITTED = 0,
	ANVIL_REFUSED_COUNT = 1,	/* more connections open than limit */
	ANVIL_REFUSED_RATE = 2,		/* more connects in window than rate_limit */
};

enum master_state {
	MASTER_ST_AVAIL = 1,	/* can take more connections */
	MASTER_ST_FULL = 2,	/* at client_limit */
	MASTER_ST_RETIRING = 3,	/* accepts no more; exits when done */
};

/* One record per state change; host byte order, written atomically. */
struct master_status {
	int32_t pid;
	uint32_t gen;
	uint32_t state;
	uint32_t conns;		/* connections being served */
	uint32_t limit_hits;	/* times client_limit was reached */
	uint32_t served;	/* connections accepted so far */
};

#endif
