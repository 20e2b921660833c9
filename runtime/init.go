package runtime

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minictr/minictr/rootfs"
	"github.com/minictr/minictr/runtime/nsenter"
	rspec "github.com/minictr/minictr/runtime/spec"
)

// steps times the init's set-up for minictr --debug.
var steps = newInitSteps(false)

// Init is the container side: `minictr init`, started by create or exec after the nsenter
// constructor put it in its namespaces. It reads its config from the parent, sets everything up
// and execs the user's process; it returns only on failure, after telling the parent why.
func Init() error {
	// Capabilities and seccomp are per thread; the exec must come from the thread that set
	// them, so this goroutine keeps its thread to the end.
	goruntime.LockOSThread()

	fdNum, err := strconv.Atoi(os.Getenv(nsenter.EnvPipe))
	if err != nil {
		return fmt.Errorf("init: %s=%q: not started by minictr", nsenter.EnvPipe, os.Getenv(nsenter.EnvPipe))
	}
	os.Unsetenv(nsenter.EnvPipe)
	sync := os.NewFile(uintptr(fdNum), "sync")
	m, err := readMessage(sync)
	if err != nil {
		return fmt.Errorf("init: read config: %w", err)
	}
	if m.Type != msgConfig || m.Config == nil {
		return fmt.Errorf("init: expected a config message, got %q", m.Type)
	}
	c := m.Config
	steps.on = c.Steps
	steps.step("start+config")
	if c.Exec {
		err = execInit(sync, c)
	} else {
		err = containerInit(sync, c)
	}
	// Only failures get here.
	writeMessage(sync, &message{Type: msgError, Msg: err.Error()})
	return err
}

// containerInit is the whole set-up of a new container's init, top to bottom. Ordering rules
// are in the comments; most come from what each step needs (mounts need CAP_SYS_ADMIN, so they
// come before capabilities are dropped; seccomp comes last so it cannot block set-up).
func containerInit(sync *os.File, c *initConfig) error {
	s := c.Spec
	p := c.Process

	// 1. Loopback first: the network namespace is new and lo starts down.
	if c.NewNet {
		if err := loopbackUp(); err != nil {
			return err
		}
	}

	// 2. Root filesystem: the spec's mounts and devices, then the root switch. Between the two,
	// the parent runs the prestart/createRuntime hooks and the init runs createContainer hooks
	// (the runtime-spec places them after the namespaces exist and before pivot_root).
	steps.step("loopback")
	rc := &rootfs.Config{Spec: s, Bundle: c.Bundle, NoPivot: c.NoPivot,
		BeforePivot: func() error { return hooksBeforePivot(sync, c) }}
	if c.Steps {
		rc.Step = steps.step
	}
	if err := rootfs.Prepare(rc); err != nil {
		return err
	}
	steps.step("rootfs")

	// 3. The terminal: a pty from the container's own devpts, the master sent out through the
	// console socket, the slave bound onto /dev/console and made our stdio.
	if p.Terminal {
		if err := setupConsole(c.ConsoleFd, p.ConsoleSize); err != nil {
			return err
		}
	}

	// 4. Hostname, domainname and sysctls: inside the new uts/ipc/net namespaces.
	if s.Hostname != "" {
		if err := unix.Sethostname([]byte(s.Hostname)); err != nil {
			return fmt.Errorf("set hostname %q: %w", s.Hostname, err)
		}
	}
	if s.Domainname != "" {
		if err := unix.Setdomainname([]byte(s.Domainname)); err != nil {
			return fmt.Errorf("set domainname %q: %w", s.Domainname, err)
		}
	}
	if s.Linux != nil && len(s.Linux.Sysctl) > 0 {
		if err := rootfs.WriteSysctls(s.Linux.Sysctl, s.Linux.Namespaces); err != nil {
			return err
		}
	}

	// 5. Masked and read-only paths, read-only root: after every mount, so nothing is mounted
	// over a masked path later.
	steps.step("console+hostname+sysctl")
	if err := rootfs.Finalize(rc); err != nil {
		return err
	}
	steps.step("masked+readonly")

	// 6. The process: rlimits, oom score, cwd, user, capabilities, no_new_privs, seccomp.
	if err := setupProcess(p, s, c.FirstFd, sync); err != nil {
		return err
	}

	// The program is looked up now, as runc does, so that a missing one fails `create` with
	// the message (podman then exits 127, containerd reports it) instead of the container
	// exiting 1 after start.
	steps.step("process")
	prog, err := resolveProgram(p)
	if err != nil {
		return err
	}
	steps.step("lookup")

	// 7. Tell the parent we are ready; it saves the state and exits. Then wait for start: the
	// open of the exec fifo blocks until `minictr start` opens it for reading.
	if err := writeMessage(sync, &message{Type: msgReady, Msg: steps.String()}); err != nil {
		return err
	}
	sync.Close()
	fifo, err := os.OpenFile(fmt.Sprintf("/proc/self/fd/%d", c.FifoFd), os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("open exec fifo: %w", err)
	}
	if _, err := fifo.Write([]byte{'0'}); err != nil {
		return fmt.Errorf("write exec fifo: %w", err)
	}
	fifo.Close()
	unix.Close(c.FifoFd)

	// 8. startContainer hooks run in the container, after start and before the user's program.
	if s.Hooks != nil {
		if err := runHooks("startContainer", s.Hooks.StartContainer, nil); err != nil {
			return err
		}
	}
	return prog.exec()
}

// execInit is `exec` into a running container: the namespaces were joined by the constructor;
// only the process set-up remains.
func execInit(sync *os.File, c *initConfig) error {
	p := c.Process
	if p.Terminal {
		if err := setupConsole(c.ConsoleFd, p.ConsoleSize); err != nil {
			return err
		}
	}
	if err := setupProcess(p, c.Spec, c.FirstFd, sync); err != nil {
		return err
	}
	prog, err := resolveProgram(p)
	if err != nil {
		return err
	}
	if err := writeMessage(sync, &message{Type: msgReady}); err != nil {
		return err
	}
	sync.Close()
	return prog.exec()
}

// hooksBeforePivot asks the parent to run prestart and createRuntime hooks, waits, then runs
// createContainer hooks here, in the container's namespaces.
func hooksBeforePivot(sync *os.File, c *initConfig) error {
	h := c.Spec.Hooks
	if h == nil || (len(h.Prestart) == 0 && len(h.CreateRuntime) == 0 && len(h.CreateContainer) == 0) {
		return nil
	}
	if len(h.Prestart) > 0 || len(h.CreateRuntime) > 0 {
		if err := writeMessage(sync, &message{Type: msgHooks}); err != nil {
			return err
		}
		m, err := readMessage(sync)
		if err != nil {
			return fmt.Errorf("wait for prestart hooks: %w", err)
		}
		if m.Type != msgHooksDone {
			return fmt.Errorf("wait for prestart hooks: got %q", m.Type)
		}
	}
	st := &specs.State{Version: specs.Version, ID: c.ID, Status: specs.StateCreated, Pid: os.Getpid(), Bundle: c.Bundle, Annotations: c.Spec.Annotations}
	return runHooks("createContainer", h.CreateContainer, st)
}

// setupProcess applies the process part of the spec to this process, in the order the kernel
// requires: what needs privileges first, then the user switch, then capabilities, no_new_privs
// and seccomp.
func setupProcess(p *specs.Process, s *specs.Spec, firstFd int, sync *os.File) error {
	// The seccomp filter is compiled while everything is still allowed; it is loaded at the
	// last moment the kernel accepts it (see below).
	var sc *specs.LinuxSeccomp
	if s != nil && s.Linux != nil {
		sc = s.Linux.Seccomp
	}
	filter, err := prepareSeccomp(sc)
	if err != nil {
		return err
	}
	// rlimits and oom_score_adj may need CAP_SYS_RESOURCE: before capabilities are dropped.
	for _, r := range p.Rlimits {
		res, _ := rspec.RlimitResource(r.Type)
		// syscall.Setrlimit, not unix's: the Go runtime raised its own soft NOFILE limit at
		// start and restores it on exec unless told through this call.
		if err := syscall.Setrlimit(res, &syscall.Rlimit{Cur: r.Soft, Max: r.Hard}); err != nil {
			return fmt.Errorf("set rlimit %s soft=%d hard=%d: %w", r.Type, r.Soft, r.Hard, err)
		}
	}
	if p.OOMScoreAdj != nil {
		v := strconv.Itoa(*p.OOMScoreAdj)
		if err := os.WriteFile("/proc/self/oom_score_adj", []byte(v), 0); err != nil {
			return fmt.Errorf("set oom_score_adj = %s: %w", v, err)
		}
	}
	if p.User.Umask != nil {
		unix.Umask(int(*p.User.Umask))
	}
	// No fd of the runtime may reach the user's process (CVE-2024-21626): everything from
	// firstFd up is closed on exec.
	if err := unix.CloseRange(uint(firstFd), ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err != nil {
		return fmt.Errorf("mark runtime fds close-on-exec: %w", err)
	}
	// The bounding set is cut while still root (it needs CAP_SETPCAP); the other sets after
	// the user switch, which would otherwise clear them.
	if err := dropBounding(p.Capabilities); err != nil {
		return err
	}
	// The working directory, as runc does: entered as root first (a directory root can reach
	// but the user cannot is still fine), again after the user switch on EACCES. Checked to be
	// inside the container: a leaked directory fd could point outside (CVE-2024-21626).
	retryChdir := false
	if err := enterCwd(p.Cwd); err != nil {
		if !errors.Is(err, unix.EACCES) && !errors.Is(err, unix.EPERM) {
			return err
		}
		retryChdir = true
	}
	// Without no_new_privs the kernel takes a filter only from a thread with CAP_SYS_ADMIN:
	// then it is loaded before the user switch, as runc does.
	if !p.NoNewPrivileges {
		if err := loadSeccomp(filter, sc, sync); err != nil {
			return err
		}
	}
	if err := switchUser(p); err != nil {
		return err
	}
	// A directory only the container's user may enter is entered after the switch.
	if retryChdir {
		if err := enterCwd(p.Cwd); err != nil {
			return err
		}
	}
	if err := applyCapabilities(p.Capabilities); err != nil {
		return err
	}
	if p.NoNewPrivileges {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return fmt.Errorf("set no_new_privs: %w", err)
		}
	}
	if p.NoNewPrivileges {
		return loadSeccomp(filter, sc, sync)
	}
	return nil
}

func enterCwd(cwd string) error {
	if err := unix.Chdir(cwd); err != nil {
		return fmt.Errorf("chdir to process.cwd %q: %w", cwd, err)
	}
	if wd, err := unix.Getwd(); err != nil || !strings.HasPrefix(wd, "/") {
		return fmt.Errorf("process.cwd %q: current directory is outside the container (%q)", cwd, wd)
	}
	return nil
}

// switchUser sets groups, gid and uid. With keepcaps the permitted set survives setuid to a
// non-root user; applyCapabilities sets the spec's sets afterwards.
//
// Only this thread's credentials change, as capabilities, no_new_privs and seccomp already
// do: the exec that follows runs from this thread and ends every other one, which only ever
// ran the Go runtime. Go's Setresuid and friends change all threads' (POSIX semantics): with
// cgo, the C library signals each thread and waits for it, 1.7 ms for these three calls here.
// Hooks forked later fork from this thread and so get its credentials; /proc/self stays open
// to it (the kernel lets a thread group inspect itself).
func switchUser(p *specs.Process) error {
	u := p.User
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("set keepcaps: %w", err)
	}
	gids := make([]uint32, len(u.AdditionalGids))
	copy(gids, u.AdditionalGids)
	var list unsafe.Pointer
	if len(gids) > 0 {
		list = unsafe.Pointer(&gids[0])
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETGROUPS, uintptr(len(gids)), uintptr(list), 0); e != 0 && !(len(gids) == 0 && e == unix.EPERM) {
		return fmt.Errorf("set additional groups %v: %w", u.AdditionalGids, e)
	}
	gid, uid := uintptr(u.GID), uintptr(u.UID)
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESGID, gid, gid, gid); e != 0 {
		return fmt.Errorf("set gid %d: %w", u.GID, e)
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESUID, uid, uid, uid); e != 0 {
		return fmt.Errorf("set uid %d: %w", u.UID, e)
	}
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("clear keepcaps: %w", err)
	}
	return nil
}

// program is the user's program, resolved inside the container before the init reports ready.
type program struct {
	path string
	args []string
	env  []string
}

// resolveProgram finds process.args[0] through the PATH of its environment, inside the
// container, and completes the environment (HOME).
func resolveProgram(p *specs.Process) (*program, error) {
	env := p.Env
	if !hasEnv(env, "HOME") {
		env = append(env, "HOME="+homeOf(p.User.UID))
	}
	path, err := lookPath(p.Args[0], env)
	if err != nil {
		return nil, err
	}
	return &program{path: path, args: p.Args, env: env}, nil
}

// exec replaces the init with the user's program.
func (pr *program) exec() error {
	// The user's program may be traced and read through /proc again (the constructor made the
	// init undumpable while it held the runtime's resources).
	unix.Prctl(unix.PR_SET_DUMPABLE, 1, 0, 0, 0)
	if err := unix.Exec(pr.path, pr.args, pr.env); err != nil {
		return fmt.Errorf("exec %q (process.args[0] %q): %w", pr.path, pr.args[0], err)
	}
	return nil
}

func hasEnv(env []string, key string) bool {
	for _, e := range env {
		if strings.HasPrefix(e, key+"=") {
			return true
		}
	}
	return false
}

// homeOf finds uid's home directory in the container's /etc/passwd, "/" otherwise.
func homeOf(uid uint32) string {
	data, err := os.ReadFile("/etc/passwd")
	if err != nil {
		return "/"
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Split(line, ":")
		if len(f) >= 6 && f[2] == strconv.FormatUint(uint64(uid), 10) && f[5] != "" {
			return f[5]
		}
	}
	return "/"
}

// lookPath resolves a program name through PATH from env, as execvp would.
func lookPath(name string, env []string) (string, error) {
	if strings.Contains(name, "/") {
		if _, err := os.Stat(name); err != nil {
			return "", fmt.Errorf("exec process.args[0] %q: %w", name, errors.Unwrap(err))
		}
		return name, nil
	}
	path := "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	for _, e := range env {
		if strings.HasPrefix(e, "PATH=") {
			path = e[5:]
		}
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		f := filepath.Join(dir, name)
		if st, err := os.Stat(f); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return f, nil
		}
	}
	return "", fmt.Errorf("exec process.args[0] %q: executable file not found in $PATH (%s)", name, path)
}

// loopbackUp sets IFF_UP on lo with one ioctl.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("bring lo up: socket: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return fmt.Errorf("bring lo up: %w", err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("bring lo up: get flags: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("bring lo up: set flags: %w", err)
	}
	return nil
}
