package seccomp

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// defaultAllowed are the syscalls the default profile allows unconditionally,
// by topic. Names from every listed architecture may appear (x86-only ones
// such as socketcall or the *32 and *_time64 variants are simply absent from
// the x86_64 table).
var defaultAllowed = [][]string{
	// files and directories
	{"access", "faccessat", "faccessat2", "chdir", "fchdir", "chmod", "fchmod", "fchmodat",
		"fchmodat2", "chown", "fchown", "fchownat", "lchown", "close", "close_range", "creat",
		"dup", "dup2", "dup3", "fcntl", "flock", "fstat", "fstatfs", "statfs", "lstat", "stat",
		"newfstatat", "statx", "fsync", "fdatasync", "sync", "syncfs", "sync_file_range",
		"ftruncate", "truncate", "getcwd", "getdents", "getdents64", "link", "linkat", "symlink",
		"symlinkat", "readlink", "readlinkat", "unlink", "unlinkat", "rename", "renameat",
		"renameat2", "mkdir", "mkdirat", "mknod", "mknodat", "rmdir", "open", "openat", "openat2",
		"lseek", "read", "readv", "pread64", "preadv", "preadv2", "write", "writev", "pwrite64",
		"pwritev", "pwritev2", "sendfile", "splice", "tee", "vmsplice", "copy_file_range",
		"fadvise64", "fallocate", "utime", "utimes", "utimensat", "futimesat", "umask",
		"getxattr", "lgetxattr", "fgetxattr", "setxattr", "lsetxattr", "fsetxattr", "listxattr",
		"llistxattr", "flistxattr", "removexattr", "lremovexattr", "fremovexattr", "getxattrat",
		"setxattrat", "listxattrat", "removexattrat", "file_getattr", "file_setattr",
		"inotify_init", "inotify_init1", "inotify_add_watch", "inotify_rm_watch", "fanotify_mark",
		"io_setup", "io_destroy", "io_getevents", "io_pgetevents", "io_submit", "io_cancel",
		"ioctl", "memfd_create", "name_to_handle_at", "chroot", "cachestat"},
	// memory
	{"brk", "mmap", "mprotect", "munmap", "mremap", "madvise", "mincore", "mlock", "mlock2",
		"mlockall", "munlock", "munlockall", "msync", "membarrier", "pkey_alloc", "pkey_free",
		"pkey_mprotect", "remap_file_pages", "map_shadow_stack", "mseal"},
	// processes, threads and credentials
	{"arch_prctl", "capget", "capset", "execve", "execveat", "exit", "exit_group", "fork",
		"vfork", "getpid", "getppid", "gettid", "getpgid", "getpgrp", "getsid", "setpgid",
		"setsid", "getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid", "getgroups",
		"setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setgroups",
		"setfsuid", "setfsgid", "getpriority", "setpriority", "getrlimit", "setrlimit",
		"prlimit64", "getrusage", "times", "sysinfo", "uname", "prctl", "kill", "tkill", "tgkill",
		"wait4", "waitid", "set_tid_address", "set_robust_list", "get_robust_list", "futex",
		"futex_waitv", "futex_wake", "futex_wait", "futex_requeue", "rseq", "sched_yield",
		"sched_getaffinity", "sched_setaffinity", "sched_getparam", "sched_setparam",
		"sched_getscheduler", "sched_setscheduler", "sched_get_priority_max",
		"sched_get_priority_min", "sched_rr_get_interval", "sched_getattr", "sched_setattr",
		"ioprio_get", "ioprio_set", "getcpu", "restart_syscall", "pidfd_open",
		"pidfd_send_signal", "ptrace", "seccomp", "set_thread_area", "get_thread_area",
		"sethostname", "setdomainname", "getrandom", "landlock_create_ruleset",
		"landlock_add_rule", "landlock_restrict_self"},
	// signals
	{"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending", "rt_sigsuspend",
		"rt_sigtimedwait", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "sigaltstack", "pause",
		"alarm", "signalfd", "signalfd4"},
	// time
	{"clock_gettime", "clock_getres", "clock_nanosleep", "nanosleep", "gettimeofday", "time",
		"getitimer", "setitimer", "timer_create", "timer_delete", "timer_gettime",
		"timer_settime", "timer_getoverrun", "timerfd_create", "timerfd_gettime",
		"timerfd_settime", "adjtimex"},
	// waiting on many things
	{"epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2",
		"eventfd", "eventfd2", "poll", "ppoll", "select", "pselect6", "pipe", "pipe2"},
	// System V and POSIX IPC (private to the container's IPC namespace)
	{"mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr",
		"msgget", "msgsnd", "msgrcv", "msgctl", "semget", "semop", "semtimedop", "semctl",
		"shmget", "shmat", "shmdt", "shmctl"},
	// sockets (socket itself is conditional)
	{"socketpair", "bind", "connect", "listen", "accept", "accept4", "getsockname",
		"getpeername", "sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg",
		"setsockopt", "getsockopt", "shutdown"},
	// the x86 (i386) variants
	{"_llseek", "_newselect", "fcntl64", "fstat64", "lstat64", "stat64", "fstatat64",
		"ftruncate64", "truncate64", "getuid32", "geteuid32", "getgid32", "getegid32",
		"getgroups32", "setgroups32", "setuid32", "setgid32", "setreuid32", "setregid32",
		"setresuid32", "setresgid32", "getresuid32", "getresgid32", "setfsuid32", "setfsgid32",
		"chown32", "fchown32", "lchown32", "mmap2", "sigaction", "sigprocmask", "sigreturn",
		"sigsuspend", "sigpending", "signal", "socketcall", "ipc", "waitpid", "ugetrlimit",
		"sendfile64", "statfs64", "fstatfs64", "fadvise64_64", "clock_gettime64",
		"clock_nanosleep_time64", "clock_getres_time64", "futex_time64", "ppoll_time64",
		"pselect6_time64", "recvmmsg_time64", "rt_sigtimedwait_time64", "semtimedop_time64",
		"timer_gettime64", "timer_settime64", "timerfd_gettime64", "timerfd_settime64",
		"utimensat_time64", "io_pgetevents_time64", "mq_timedsend_time64",
		"mq_timedreceive_time64", "sched_rr_get_interval_time64", "readdir"},
}

// namespaceFlags are the clone flags that create namespaces (CLONE_NEWTIME
// is left out: in clone's first argument that bit is part of the exit signal).
const namespaceFlags = unix.CLONE_NEWNS | unix.CLONE_NEWCGROUP | unix.CLONE_NEWUTS |
	unix.CLONE_NEWIPC | unix.CLONE_NEWUSER | unix.CLONE_NEWPID | unix.CLONE_NEWNET

// DefaultProfile returns minictr's default profile for containers with the
// default capability set: an allow-list (everything else fails with EPERM)
// of what ordinary programs use. It denies, among others, mount and the new
// mount API, unshare and setns, clone with namespace flags, keyctl/add_key/
// request_key, bpf, perf_event_open, module loading, kexec, reboot, swapon,
// pivot_root, open_by_handle_at, userfaultfd, io_uring, iopl/ioperm and clock
// setting. clone3 fails with ENOSYS so that libc falls back to clone, whose
// flags the filter can inspect (clone3 passes them in memory).
func DefaultProfile() *specs.LinuxSeccomp {
	eperm := uint(unix.EPERM)
	enosys := uint(unix.ENOSYS)
	var names []string
	for _, g := range defaultAllowed {
		for _, n := range g {
			if _, ok := sysX86_64()[n]; ok {
				names = append(names, n)
				continue
			}
			if _, ok := sysX86()[n]; ok {
				names = append(names, n)
			}
		}
	}
	s := &specs.LinuxSeccomp{
		DefaultAction:   specs.ActErrno,
		DefaultErrnoRet: &eperm,
		Architectures:   []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32},
		Syscalls: []specs.LinuxSyscall{
			{Names: names, Action: specs.ActAllow},
			{Names: []string{"clone"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{
				{Index: 0, Value: namespaceFlags, ValueTwo: 0, Op: specs.OpMaskedEqual}}},
			{Names: []string{"clone3"}, Action: specs.ActErrno, ErrnoRet: &enosys},
			{Names: []string{"socket"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{
				{Index: 0, Value: unix.AF_VSOCK, Op: specs.OpNotEqual}}},
		},
	}
	// personality: the usual Linux personalities and the query value only.
	for _, v := range []uint64{0x0, 0x8, 0x20000, 0x20008, 0xffffffff} {
		s.Syscalls = append(s.Syscalls, specs.LinuxSyscall{Names: []string{"personality"},
			Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{{Index: 0, Value: v, Op: specs.OpEqualTo}}})
	}
	return s
}
