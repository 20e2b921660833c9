package runtime

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	goruntime "runtime"
	"strconv"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minictr/minictr/runtime/cgroups"
	"github.com/minictr/minictr/runtime/nsenter"
)

type startInitOptions struct {
	req       *nsenter.Request
	cfg       *initConfig
	spec      *specs.Spec // for uid/gid maps
	cg        cgroups.Manager
	resources *specs.LinuxResources // nil for exec: the container's limits are already set
	fifo      *os.File              // nil for exec
	console   *os.File
	preserve  int
	stdio     [3]*os.File
	onHooks   func(pid int) error
	tm        *stepTimer
}

type initProcess struct {
	pid       int
	startTime uint64
}

// startInit starts `minictr init` and walks it through the protocol of sync.go until it is
// ready. The fds of the init are: 0-2 stdio, 3..3+preserve-1 passed through, then the sync
// socket, the exec fifo and the console socket.
func startInit(o *startInitOptions) (*initProcess, error) {
	// Orphans of the init (after the intermediate of the pid-namespace fork exits) come to us,
	// so run and exec can wait for the process they started.
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return nil, fmt.Errorf("become child subreaper: %w", err)
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("make sync socketpair: %w", err)
	}
	parent := os.NewFile(uintptr(fds[0]), "sync-parent")
	child := os.NewFile(uintptr(fds[1]), "sync-child")
	defer parent.Close()

	files := []*os.File{stdOr(o.stdio[0], os.Stdin), stdOr(o.stdio[1], os.Stdout), stdOr(o.stdio[2], os.Stderr)}
	for i := 0; i < o.preserve; i++ {
		files = append(files, os.NewFile(uintptr(3+i), "preserved-"+strconv.Itoa(3+i)))
	}
	syncFd := len(files)
	files = append(files, child)
	o.cfg.FifoFd, o.cfg.ConsoleFd = -1, -1
	o.cfg.FirstFd = syncFd
	if o.fifo != nil {
		o.cfg.FifoFd = len(files)
		files = append(files, o.fifo)
	}
	if o.console != nil {
		o.cfg.ConsoleFd = len(files)
		files = append(files, o.console)
	}
	// On cgroup v2 the init is forked straight into its cgroup (clone3 CLONE_INTO_CGROUP).
	// A move into a cgroup (a write to cgroup.procs) takes the kernel's
	// cgroup_threadgroup_rwsem for writing, and its first writer after a quiet spell waits
	// for an RCU grace period (about 6 ms here, more on a busy machine), during which every
	// fork on the machine waits too; a fork into the cgroup only reads the lock. Kernels
	// before 5.7 refuse the flag: the init is then started plainly and moved below (Apply).
	sys := &syscall.SysProcAttr{Cloneflags: uintptr(o.req.ForkFlags)}
	cgDir, err := o.cg.ForkTarget()
	if err != nil {
		return nil, err
	}
	intoCgroup := cgDir != nil
	if intoCgroup {
		defer cgDir.Close()
		sys.UseCgroupFD, sys.CgroupFD = true, int(cgDir.Fd())
	}
	// The cgroup directories are made while the init is being started (the two overlap on
	// two cores): the init's constructor needs them before anything else.
	type joinFiles struct {
		files []string
		err   error
	}
	cgReady := make(chan joinFiles, 1)
	go func() {
		f, err := o.cg.SelfJoinFiles()
		cgReady <- joinFiles{f, err}
	}()
	// syscall.ForkExec rather than os.StartProcess: the os package's first start in a
	// process forks a throw-away child to check pidfd support, and adds a pidfd that nothing
	// here uses.
	childFds := make([]uintptr, len(files))
	for i, f := range files {
		childFds[i] = f.Fd()
	}
	var first int
	prog, argv, err := initProgram()
	if err != nil {
		return nil, err
	}
	err = startFromReadonly(prog, func() error {
		attr := &syscall.ProcAttr{
			Files: childFds,
			Env:   []string{nsenter.EnvPipe + "=" + strconv.Itoa(syncFd), "GOMAXPROCS=2"},
			Sys:   sys,
		}
		var err error
		if first, err = syscall.ForkExec(prog, argv, attr); err != nil && intoCgroup {
			slog.Debug("start init inside its cgroup failed; starting it outside and moving it", "err", err)
			intoCgroup, sys.UseCgroupFD, sys.CgroupFD = false, false, 0
			first, err = syscall.ForkExec(prog, argv, attr)
		}
		return err
	})
	goruntime.KeepAlive(files)
	child.Close()
	cg := <-cgReady
	if err != nil {
		return nil, fmt.Errorf("start init process: %w", err)
	}
	if o.tm == nil {
		o.tm = newStepTimer("exec")
	}
	o.tm.step("init started")
	ip := &initProcess{pid: first}
	reaped := false
	reap := func() {
		for !reaped {
			var ws unix.WaitStatus
			if _, err := unix.Wait4(first, &ws, 0, nil); err != unix.EINTR {
				reaped = true
			}
		}
	}
	fail := func(err error) (*initProcess, error) {
		unix.Kill(first, unix.SIGKILL)
		if ip.pid != first {
			unix.Kill(ip.pid, unix.SIGKILL)
		}
		reap()
		return ip, err
	}

	// The cgroup is joined while the init still waits for its bootstrap: every process of
	// the container, including forks of the constructor, is inside from the start. On v1 the
	// constructor moves itself, first thing, while single-threaded (writing "0" to each tasks
	// file skips the grace-period wait that writing its pid to cgroup.procs from here costs:
	// 5-15 ms measured here per container).
	if cg.err != nil {
		return fail(cg.err)
	}
	req := *o.req
	if !intoCgroup {
		if len(cg.files) > 0 {
			req.CgroupFiles = cg.files
		} else if err := o.cg.Apply(first); err != nil {
			return fail(err)
		}
	}
	if err := nsenter.Send(parent, &req); err != nil {
		return fail(err)
	}
	// The limits are written when the init has done its set-up, before the first hook or
	// the user's program can run, as runc does: written earlier, a pids limit below the
	// init's own threads (a Go program has a few) would stop the Go runtime from starting
	// them, where runc runs with a limit of 1.
	limitsSet := o.resources == nil
	setLimits := func() error {
		if limitsSet {
			return nil
		}
		limitsSet = true
		return o.cg.Set(o.resources)
	}

	o.tm.step("bootstrap sent")
	writeMaps := func(pid int) error { return writeIDMaps(pid, o.spec) }
	pid, err := nsenter.Handshake(parent, writeMaps, first)
	if err != nil {
		return fail(fmt.Errorf("set up namespaces: %w", err))
	}
	if pid == 0 {
		pid = first // the init itself goes on: it was born in its pid namespace, or needs none
	}
	ip.pid = pid
	if pid != first {
		reap() // the intermediate exits right after the fork
	}
	o.tm.step("namespaces")
	o.cfg.Steps = slog.Default().Enabled(nil, slog.LevelDebug)
	if _, ip.startTime, err = procStat(pid); err != nil {
		return fail(fmt.Errorf("init process %d: %w", pid, err))
	}

	if err := writeMessage(parent, &message{Type: msgConfig, Config: o.cfg}); err != nil {
		return fail(err)
	}
	for {
		m, err := readMessage(parent)
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return fail(fmt.Errorf("container init exited during set-up"))
			}
			return fail(fmt.Errorf("read from container init: %w", err))
		}
		switch m.Type {
		case msgHooks:
			if err := setLimits(); err != nil {
				return fail(err)
			}
			if o.onHooks != nil {
				if err := o.onHooks(pid); err != nil {
					return fail(err)
				}
			}
			if err := writeMessage(parent, &message{Type: msgHooksDone}); err != nil {
				return fail(err)
			}
		case msgSeccomp:
			st := specs.State{Version: specs.Version, ID: o.cfg.ID, Status: specs.StateCreating, Pid: pid, Bundle: o.cfg.Bundle}
			if o.cfg.Spec.Annotations != nil {
				st.Annotations = o.cfg.Spec.Annotations
			}
			if err := forwardSeccompListener(parent, o.cfg.Spec, st); err != nil {
				return fail(err)
			}
		case msgReady:
			if m.Msg != "" {
				slog.Debug("init: steps", "steps", m.Msg)
			}
			if err := setLimits(); err != nil {
				return fail(err)
			}
			return ip, nil // the caller waits for the init (run, exec) or leaves it (create)
		case msgError:
			return fail(errors.New(m.Msg))
		default:
			return fail(fmt.Errorf("unexpected message %q from container init", m.Type))
		}
	}
}

func stdOr(f, def *os.File) *os.File {
	if f != nil {
		return f
	}
	return def
}
