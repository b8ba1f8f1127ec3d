/*
 * NAME
 *	fault - test-only LD_PRELOAD shim: make a daemon's file writes,
 *	fsyncs, renames or memory allocations fail on cue
 * DESCRIPTION
 *	POSTERN_FAULT_FILE names a control file, opened once when the shim
 *	loads (before any chroot; read with pread after).  It holds one
 *	line, "GEN DAEMON OP NTH ERRNO MODE":
 *
 *	    GEN     any number; a new one restarts the counting
 *	    DAEMON  program name the fault is for (smtpd, qmgr, local)
 *	    OP      write | fsync | rename | malloc
 *	    NTH     the call of OP, counted in each process from its first
 *	            call after GEN changed, that fails
 *	    ERRNO   ENOSPC | EIO | ENOMEM
 *	    MODE    once (only that call fails, in the first process to
 *	            reach it) | on (it and every later call fail, until
 *	            the line changes)
 *
 *	"write" counts writes to regular files only (write, pwrite,
 *	writev): log lines, pipes and sockets are never failed.  "fsync"
 *	is fsync and fdatasync, "rename" is rename, renameat, renameat2,
 *	link and linkat, "malloc" is malloc, calloc and realloc (returning
 *	NULL: what a process at its memory_limit sees).  An empty or
 *	unreadable file means no fault.
 *	Each failed call appends "GEN DAEMON OP N" to CONTROL.fired.
 *	Never installed.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

enum op { OP_WRITE, OP_FSYNC, OP_RENAME, OP_MALLOC, OP_N };
static const char *const op_names[OP_N] = {
	"write", "fsync", "rename", "malloc"
};

static int ctl_fd = -1, fired_fd = -1;
static unsigned long gen_seen;
static unsigned long calls[OP_N];

__attribute__((constructor)) static void
fault_init(void)
{
	const char *path = getenv("POSTERN_FAULT_FILE");

	char fired[4096];

	if (path == NULL)
		return;
	ctl_fd = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(fired, sizeof(fired), "%s.fired", path);
	fired_fd = open(fired, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
}

/* report - one line "GEN DAEMON OP N" in CONTROL.fired per failed call,
 * so that a test knows its fault was reached (written with the raw
 * system call: write() is ours) */
static void
report(unsigned long gen, enum op op, unsigned long n)
{
	char line[96];
	int len = snprintf(line, sizeof(line), "%lu %s %s %lu\n", gen,
	    program_invocation_short_name, op_names[op], n);

	if (fired_fd >= 0 && len > 0)
		(void)!syscall(SYS_write, fired_fd, line, (size_t)len);
}

/* fired_before - whether some process already failed a call for gen:
 * "once" means once for all processes, or a restarted daemon would
 * fail at the same call again and never get going.  Not atomic with
 * report(): two processes reaching their nth call together may both
 * fail it, which the tests tolerate (each failure is temporary). */
static int
fired_before(unsigned long gen)
{
	char buf[65536], want[32];
	ssize_t n;
	int len = snprintf(want, sizeof(want), "%lu ", gen);

	if (fired_fd < 0)
		return 0;
	n = pread(fired_fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	for (char *p = buf; p != NULL && *p != '\0'; ) {
		if (strncmp(p, want, (size_t)len) == 0)
			return 1;
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	return 0;
}

/* fail - should this call of op fail?  errno is set when it should. */
static int
fail(enum op op)
{
	char line[160], daemon[32], name[16], err[16], mode[8];
	unsigned long gen, nth, count;
	ssize_t n;

	if (ctl_fd < 0 || (n = pread(ctl_fd, line, sizeof(line) - 1, 0)) <= 0)
		return 0;
	line[n] = '\0';
	if (sscanf(line, "%lu %31s %15s %lu %15s %7s", &gen, daemon, name,
	    &nth, err, mode) != 6)
		return 0;
	/* The first thread to see a new GEN restarts the counts. */
	if (__atomic_exchange_n(&gen_seen, gen, __ATOMIC_ACQ_REL) != gen)
		for (int i = 0; i < OP_N; i++)
			__atomic_store_n(&calls[i], 0, __ATOMIC_RELAXED);
	if (strcmp(daemon, program_invocation_short_name) != 0 ||
	    strcmp(name, op_names[op]) != 0)
		return 0;
	count = __atomic_add_fetch(&calls[op], 1, __ATOMIC_RELAXED);
	if (strcmp(mode, "on") == 0 ? count >= nth :
	    count == nth && !fired_before(gen)) {
		report(gen, op, count);
		errno = strcmp(err, "EIO") == 0 ? EIO :
		    strcmp(err, "ENOMEM") == 0 ? ENOMEM : ENOSPC;
		return 1;
	}
	return 0;
}

static int
regular(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

/* NEXT - the next definition of the function called name (libc's, or
 * a sanitizer's interceptor), found once */
#define NEXT(name, proto) \
	static proto; \
	if (next == NULL) \
		*(void **)&next = dlsym(RTLD_NEXT, name)

ssize_t
write(int fd, const void *buf, size_t len)
{
	NEXT("write", ssize_t (*next)(int, const void *, size_t));
	if (regular(fd) && fail(OP_WRITE))
		return -1;
	return next(fd, buf, len);
}

ssize_t
pwrite(int fd, const void *buf, size_t len, off_t off)
{
	NEXT("pwrite", ssize_t (*next)(int, const void *, size_t, off_t));
	if (regular(fd) && fail(OP_WRITE))
		return -1;
	return next(fd, buf, len, off);
}

ssize_t
pwrite64(int fd, const void *buf, size_t len, off_t off)
{
	NEXT("pwrite64", ssize_t (*next)(int, const void *, size_t, off_t));
	if (regular(fd) && fail(OP_WRITE))
		return -1;
	return next(fd, buf, len, off);
}

ssize_t
writev(int fd, const struct iovec *iov, int n)
{
	NEXT("writev", ssize_t (*next)(int, const struct iovec *, int));
	if (regular(fd) && fail(OP_WRITE))
		return -1;
	return next(fd, iov, n);
}

int
fsync(int fd)
{
	NEXT("fsync", int (*next)(int));
	if (fail(OP_FSYNC))
		return -1;
	return next(fd);
}

int
fdatasync(int fd)
{
	NEXT("fdatasync", int (*next)(int));
	if (fail(OP_FSYNC))
		return -1;
	return next(fd);
}

int
rename(const char *a, const char *b)
{
	NEXT("rename", int (*next)(const char *, const char *));
	if (fail(OP_RENAME))
		return -1;
	return next(a, b);
}

int
renameat(int da, const char *a, int db, const char *b)
{
	NEXT("renameat", int (*next)(int, const char *, int, const char *));
	if (fail(OP_RENAME))
		return -1;
	return next(da, a, db, b);
}

int
renameat2(int da, const char *a, int db, const char *b, unsigned flags)
{
	NEXT("renameat2", int (*next)(int, const char *, int, const char *, unsigned));
	if (fail(OP_RENAME))
		return -1;
	return next(da, a, db, b, flags);
}

int
link(const char *a, const char *b)
{
	NEXT("link", int (*next)(const char *, const char *));
	if (fail(OP_RENAME))
		return -1;
	return next(a, b);
}

int
linkat(int da, const char *a, int db, const char *b, int flags)
{
	NEXT("linkat", int (*next)(int, const char *, int, const char *, int));
	if (fail(OP_RENAME))
		return -1;
	return next(da, a, db, b, flags);
}

/*
 * Allocations.  The next malloc is not looked up with dlsym: the dynamic
 * linker allocates while the sanitizer runtime looks up its own
 * functions, before any lookup of ours could answer.  Under ASan the
 * next one is its interceptor; without, glibc's.
 */
extern void *__interceptor_malloc(size_t) __attribute__((weak));
extern void *__interceptor_calloc(size_t, size_t) __attribute__((weak));
extern void *__interceptor_realloc(void *, size_t) __attribute__((weak));
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

void *
malloc(size_t size)
{
	if (fail(OP_MALLOC))
		return NULL;
	return __interceptor_malloc != NULL ? __interceptor_malloc(size) :
	    __libc_malloc(size);
}

void *
calloc(size_t n, size_t size)
{
	if (fail(OP_MALLOC))
		return NULL;
	return __interceptor_calloc != NULL ? __interceptor_calloc(n, size) :
	    __libc_calloc(n, size);
}

void *
realloc(void *p, size_t size)
{
	if (fail(OP_MALLOC))
		return NULL;
	return __interceptor_realloc != NULL ? __interceptor_realloc(p, size) :
	    __libc_realloc(p, size);
}
