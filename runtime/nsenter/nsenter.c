// The nsenter constructor: runs before the Go runtime starts, while the process is still
// single-threaded, because setns(2) into a mount or user namespace and unshare(CLONE_NEWUSER)
// are refused to a multi-threaded process, and a Go program is multi-threaded from its first
// instruction.
//
// It only acts when the environment variable _MINICTR_INITPIPE names a file descriptor (the
// runtime sets it when it starts `minictr init`); any other invocation returns at once.
//
// Protocol on that descriptor (a stream socket), all integers in host byte order:
//
//   parent -> child  bootstrap: u32 magic 'MNS1', u32 clone flags, u32 number of joins,
//                    u32 number of cgroup files, then per join: u32 namespace type (CLONE_NEW*),
//                    u32 path length, path bytes; then per cgroup file: u32 length, path bytes.
//   child  -> parent 'U'            (only with CLONE_NEWUSER) the user namespace exists: write
//                                   /proc/PID/uid_map and gid_map, then answer
//   parent -> child  'u'            maps are written
//   child  -> parent 'P' + i32 pid  the pid (in the parent's pid namespace) of the process that
//                                   goes on to run Go: 0 for this process, or its child when the
//                                   pid namespace changed (a new or joined pid namespace applies
//                                   only to children, so we fork once; the intermediate exits)
//   child  -> parent 'E' + text     a failure; the process exits 1
//
// Order: first move into the container's cgroups (cgroup v1: "0" written to each hierarchy's
// tasks file moves the calling thread, which here is the whole process; the kernel makes that
// move without the global lock whose write side waits for an RCU grace period, and it must
// come before the mount namespace hides the host's cgroup files and before a new cgroup
// namespace takes the current cgroup as its root). Then, as runc's nsexec: join existing
// namespaces (the user namespace before the others, since it grants the capabilities needed
// to join them), create the user namespace, the other new namespaces, and fork for the pid
// namespace.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* The magic is the protocol's version too: change it with the protocol, so an init from
   another build of minictr (minictr-runtime installed apart from minictr) refuses the
   bootstrap instead of misreading it. */
#define MNS_MAGIC 0x31534e4d /* "MNS1" */
#define MNS_MAX_JOINS 16
#define MNS_MAX_CGROUPS 32
#define MNS_MAX_PATH 4096

static int mns_fd = -1;

static void mns_fail(const char *fmt, ...)
{
	char buf[1100];
	va_list ap;
	int n;

	buf[0] = 'E';
	va_start(ap, fmt);
	n = vsnprintf(buf + 1, sizeof(buf) - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	if (write(mns_fd, buf, n + 1) < 0) {
		/* nothing more we can do */
	}
	_exit(1);
}

static void mns_read_full(void *p, size_t n)
{
	char *c = p;
	while (n > 0) {
		ssize_t r = read(mns_fd, c, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			_exit(1); /* the parent went away: nobody to report to */
		c += r;
		n -= r;
	}
}

static void mns_write_full(const void *p, size_t n)
{
	const char *c = p;
	while (n > 0) {
		ssize_t w = write(mns_fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			_exit(1);
		c += w;
		n -= w;
	}
}

static const char *mns_name(uint32_t t)
{
	switch (t) {
	case CLONE_NEWUSER: return "user";
	case CLONE_NEWNS: return "mount";
	case CLONE_NEWPID: return "pid";
	case CLONE_NEWNET: return "network";
	case CLONE_NEWIPC: return "ipc";
	case CLONE_NEWUTS: return "uts";
	case CLONE_NEWCGROUP: return "cgroup";
#ifdef CLONE_NEWTIME
	case CLONE_NEWTIME: return "time";
#endif
	}
	return "unknown";
}

struct mns_join {
	uint32_t type;
	int fd;
	char path[MNS_MAX_PATH + 1];
};

/* All namespace files are opened before the first setns: once the mount namespace is joined,
 * /proc/PID/ns paths resolve in the container's /proc, where that pid does not exist. */
static void mns_open(struct mns_join *j)
{
	j->fd = open(j->path, O_RDONLY | O_CLOEXEC);
	if (j->fd < 0)
		mns_fail("join %s namespace: open %s: %s", mns_name(j->type), j->path, strerror(errno));
}

static void mns_join(struct mns_join *j)
{
	if (setns(j->fd, j->type) < 0)
		mns_fail("join %s namespace: setns %s: %s", mns_name(j->type), j->path, strerror(errno));
	close(j->fd);
}

/* Move this (single-threaded) process into a cgroup v1 hierarchy. */
static void mns_join_cgroup(const char *path)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		mns_fail("join cgroup: open %s: %s", path, strerror(errno));
	if (write(fd, "0", 1) != 1)
		mns_fail("join cgroup: write 0 to %s: %s", path, strerror(errno));
	close(fd);
}

__attribute__((constructor)) static void minictr_nsenter(void)
{
	const char *env = getenv("_MINICTR_INITPIPE");
	uint32_t hdr[4], clone_flags, njoin, ncg, i;
	static struct mns_join joins[MNS_MAX_JOINS];
	static char cgpath[MNS_MAX_PATH + 1];
	int pid_changes = 0;
	char reply[5];
	int32_t pid;

	if (env == NULL || *env == '\0')
		return;
	mns_fd = atoi(env);
	if (mns_fd < 3)
		return;

	/* A process that joins a container must not be ptrace-able or readable through /proc by
	 * the container's processes while it still holds host resources (CVE-2016-9962). The Go
	 * side makes the final process dumpable again only when it runs the user's program. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

	mns_read_full(hdr, sizeof(hdr));
	if (hdr[0] != MNS_MAGIC)
		mns_fail("bootstrap: magic %#x, this init speaks %#x: minictr and its init "
			 "come from different builds", hdr[0], MNS_MAGIC);
	clone_flags = hdr[1];
	njoin = hdr[2];
	ncg = hdr[3];
	if (njoin > MNS_MAX_JOINS)
		mns_fail("bootstrap: %u namespaces to join, at most %d", njoin, MNS_MAX_JOINS);
	if (ncg > MNS_MAX_CGROUPS)
		mns_fail("bootstrap: %u cgroup files, at most %d", ncg, MNS_MAX_CGROUPS);
	for (i = 0; i < njoin; i++) {
		uint32_t jh[2];
		mns_read_full(jh, sizeof(jh));
		if (jh[1] == 0 || jh[1] > MNS_MAX_PATH)
			mns_fail("bootstrap: namespace path length %u", jh[1]);
		joins[i].type = jh[0];
		mns_read_full(joins[i].path, jh[1]);
		joins[i].path[jh[1]] = '\0';
	}

	/* 0. Join the cgroups, one hierarchy at a time as each path arrives. */
	for (i = 0; i < ncg; i++) {
		uint32_t len;
		mns_read_full(&len, sizeof(len));
		if (len == 0 || len > MNS_MAX_PATH)
			mns_fail("bootstrap: cgroup path length %u", len);
		mns_read_full(cgpath, len);
		cgpath[len] = '\0';
		mns_join_cgroup(cgpath);
	}

	/* 1. Join existing namespaces: the user namespace first. */
	for (i = 0; i < njoin; i++)
		mns_open(&joins[i]);
	for (i = 0; i < njoin; i++)
		if (joins[i].type == CLONE_NEWUSER)
			mns_join(&joins[i]);
	for (i = 0; i < njoin; i++) {
		if (joins[i].type == CLONE_NEWUSER)
			continue;
		mns_join(&joins[i]);
		if (joins[i].type == CLONE_NEWPID)
			pid_changes = 1;
	}

	/* 2. A new user namespace: the parent writes our uid and gid maps. */
	if (clone_flags & CLONE_NEWUSER) {
		char c = 'U';
		if (unshare(CLONE_NEWUSER) < 0)
			mns_fail("create user namespace: unshare: %s", strerror(errno));
		/* An unprivileged parent can open our /proc/PID/uid_map only while we are dumpable
		 * (otherwise the files belong to root); undumpable again right after. */
		prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
		mns_write_full(&c, 1);
		mns_read_full(&c, 1);
		if (c != 'u')
			mns_fail("bootstrap: expected uid map ack, got %#x", c);
		/* Become root of the new namespace when uid/gid 0 are mapped; the Go side switches
		 * to the spec's user later. Failures are left for that step to report. */
		if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
			/* not mapped */
		}
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	}

	/* 3. The other new namespaces. */
	if (clone_flags & ~CLONE_NEWUSER) {
		if (unshare(clone_flags & ~CLONE_NEWUSER) < 0)
			mns_fail("create namespaces (flags %#x): unshare: %s", clone_flags & ~CLONE_NEWUSER, strerror(errno));
		if (clone_flags & CLONE_NEWPID)
			pid_changes = 1;
#ifdef CLONE_NEWTIME
		/* Like a pid namespace, a new time namespace is entered by children only. */
		if (clone_flags & CLONE_NEWTIME)
			pid_changes = 1;
#endif
	}

	/* 4. A pid namespace applies to children only: fork, report the child, and exit. */
	if (pid_changes) {
		pid_t child = fork();
		if (child < 0)
			mns_fail("fork into pid namespace: %s", strerror(errno));
		if (child > 0) {
			reply[0] = 'P';
			memcpy(reply + 1, &child, 4);
			mns_write_full(reply, 5);
			_exit(0);
		}
		return; /* the child goes on to start the Go runtime */
	}
	pid = 0; /* this process: the parent knows its pid (ours may be in a new pid namespace) */
	reply[0] = 'P';
	memcpy(reply + 1, &pid, 4);
	mns_write_full(reply, 5);
}
