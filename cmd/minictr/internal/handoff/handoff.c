// The hand-off constructor (see handoff.go): runs before the Go runtime, reads this process's
// arguments from /proc/self/cmdline (musl passes none to constructors), and when the command
// is one the lean build serves the same way, execs minictr-runtime beside this binary with the
// same arguments and environment. Conservative by design: an unknown global flag, an unknown
// flag of run, or a run that is not surely of a bundle (-b/--bundle among its leading flags)
// stays here. MINICTR_NO_HANDOFF=1 turns it off.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_CMDLINE 32768
#define MAX_ARGS 512
#define LEAN_NAME "minictr-runtime"

extern char **environ;

static int is(const char *a, const char *s) { return strcmp(a, s) == 0; }

static int has_prefix(const char *a, const char *p) { return strncmp(a, p, strlen(p)) == 0; }

/* Global flags taking a value, as in cmd/minictr/main.go. */
static int global_with_value(const char *a)
{
	return is(a, "--root") || is(a, "--log") || is(a, "--log-format") || is(a, "--rootless");
}

static int global_known(const char *a)
{
	return is(a, "--debug") || is(a, "--systemd-cgroup") || has_prefix(a, "--root=") ||
	       has_prefix(a, "--log=") || has_prefix(a, "--log-format=") || has_prefix(a, "--rootless=");
}

/* The commands the lean build serves as the full one does (delete of a container that run
   IMAGE made has the full build release the image layer's part: cmd/minictr/lean.go). */
static int lean_command(const char *c)
{
	static const char *const cmds[] = {"create", "start", "state", "kill", "delete", "pause",
					   "resume", "ps", "update", "exec", "features", NULL};
	for (int i = 0; cmds[i]; i++)
		if (is(c, cmds[i]))
			return 1;
	return 0;
}

/* run of a bundle: every flag before the first positional argument is one of the bundle form's
   (cmd/minictr/run.go), and -b/--bundle is among them. */
static int bundle_run(char **args, int n)
{
	int bundle = 0;
	for (int i = 0; i < n; i++) {
		const char *a = args[i];
		if (a[0] != '-' || is(a, "-"))
			return bundle;
		if (is(a, "--"))
			return 0;
		if (is(a, "-b") || is(a, "--bundle")) {
			if (i + 1 >= n)
				return 0;
			bundle = 1;
			i++;
		} else if (has_prefix(a, "--bundle=") || (has_prefix(a, "-b") && a[2] != '-')) {
			bundle = 1;
		} else if (is(a, "--pid-file") || is(a, "--console-socket") || is(a, "--preserve-fds")) {
			i++;
		} else if (has_prefix(a, "--pid-file=") || has_prefix(a, "--console-socket=") ||
			   has_prefix(a, "--preserve-fds=") || is(a, "--no-pivot") || is(a, "-d") ||
			   is(a, "--detach") || is(a, "--keep") || is(a, "--no-new-keyring")) {
		} else {
			return 0;
		}
	}
	return 0;
}

__attribute__((constructor)) static void minictr_handoff(void)
{
	static char buf[MAX_CMDLINE + 1], exe[4096];
	static char *args[MAX_ARGS + 1];
	const char *off = getenv("MINICTR_NO_HANDOFF");
	int fd, n = 0, argc = 0, i;
	ssize_t len = 0, r;
	char *slash;

	if ((off && *off && !is(off, "0")) || getenv("_MINICTR_INITPIPE"))
		return;
	fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	while (len < MAX_CMDLINE && (r = read(fd, buf + len, MAX_CMDLINE - len)) > 0)
		len += r;
	close(fd);
	if (len <= 0 || len >= MAX_CMDLINE || buf[len - 1] != '\0')
		return; /* too long or truncated: not ours to judge */
	for (char *p = buf; p < buf + len && argc < MAX_ARGS; p += strlen(p) + 1)
		args[argc++] = p;
	if (argc >= MAX_ARGS)
		return;
	args[argc] = NULL;

	/* Skip the global flags; anything unexpected stays here. */
	for (i = 1; i < argc && args[i][0] == '-'; i++) {
		if (global_with_value(args[i]) && i + 1 < argc)
			i++;
		else if (!global_known(args[i]))
			return;
	}
	if (i >= argc)
		return;
	if (!lean_command(args[i]) && !(is(args[i], "run") && bundle_run(args + i + 1, argc - i - 1)))
		return;

	/* minictr-runtime beside this binary. */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - sizeof(LEAN_NAME) - 1);
	if (n <= 0)
		return;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return;
	strcpy(slash + 1, LEAN_NAME);
	execve(exe, args, environ);
	/* Not there (or not runnable): this binary does the work itself. */
}
