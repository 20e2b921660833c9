package runtime

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minictr/minictr/runtime/cgroups"
	"github.com/minictr/minictr/runtime/nsenter"
	rspec "github.com/minictr/minictr/runtime/spec"
)

// CreateOptions are the flags of `create` (and of `run`, which creates first).
type CreateOptions struct {
	Root          string
	ID            string
	Bundle        string
	PidFile       string
	ConsoleSocket string   // path of a unix socket to send the pty master to
	ConsoleConn   *os.File // or an already connected socket (run relays the terminal itself)
	NoPivot       bool
	PreserveFDs   int
	Stdio         [3]*os.File // nil: the runtime's own
	// Spec and SpecJSON: the bundle's config already loaded (rspec.LoadBytes of Bundle), or
	// nil for Create to load it.
	Spec     *specs.Spec
	SpecJSON []byte
}

// Create makes a container from a bundle and leaves its init blocked before the user's
// program, as the runtime-spec's create requires. On failure nothing is left behind.
func Create(o *CreateOptions) (st *State, err error) {
	tm := newStepTimer("create")
	// 1. The config, validated before anything is made.
	if err := CheckID(o.ID); err != nil {
		return nil, err
	}
	bundle, err := filepath.Abs(o.Bundle)
	if err != nil {
		return nil, fmt.Errorf("bundle %s: %w", o.Bundle, err)
	}
	s, specJSON := o.Spec, o.SpecJSON
	if s == nil || specJSON == nil {
		if s, specJSON, err = rspec.LoadBytes(bundle); err != nil {
			return nil, err
		}
	}
	if s.Linux == nil {
		s.Linux = &specs.Linux{}
	}
	if s.Process.ApparmorProfile != "" || s.Process.SelinuxLabel != "" || s.Linux.MountLabel != "" {
		slog.Warn("process.apparmorProfile, process.selinuxLabel and linux.mountLabel are not supported by minictr and are ignored")
	}
	if s.Process.Terminal && o.ConsoleSocket == "" && o.ConsoleConn == nil {
		return nil, fmt.Errorf("process.terminal is true: --console-socket is needed (or run without --detach)")
	}
	if !s.Process.Terminal && o.ConsoleSocket != "" {
		return nil, fmt.Errorf("--console-socket given but process.terminal is false in %s", filepath.Join(bundle, rspec.ConfigName))
	}

	tm.step("load config")
	// 2. The container's directory, locked; a duplicate id fails here.
	if err := os.MkdirAll(o.Root, 0o700); err != nil {
		return nil, fmt.Errorf("create state root %s: %w", o.Root, err)
	}
	dir := containerDir(o.Root, o.ID)
	if err := os.Mkdir(dir, 0o700); err != nil {
		if errors.Is(err, os.ErrExist) {
			if _, serr := os.Stat(filepath.Join(dir, "state.json")); errors.Is(serr, os.ErrNotExist) {
				return nil, fmt.Errorf("container %q already exists, unfinished: %s has no state.json (a create still running, or killed); `minictr delete --force %s` removes what a killed one left", o.ID, dir, o.ID)
			}
			return nil, fmt.Errorf("container %q already exists", o.ID)
		}
		return nil, fmt.Errorf("create state dir %s: %w", dir, err)
	}
	unlock, err := lock(dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	defer unlock()

	// From here on, a failure undoes everything: the init is killed, the cgroup removed and
	// the state directory deleted.
	var cg cgroups.Manager
	initPid := 0
	defer func() {
		if err == nil {
			return
		}
		if initPid > 0 {
			unix.Kill(initPid, unix.SIGKILL)
			waitGone(initPid, 0, 5*time.Second)
		}
		if cg != nil {
			cg.Destroy()
		}
		os.RemoveAll(dir)
	}()

	tm.step("state dir")
	// 3. The exec fifo: the init blocks opening it for writing until start opens it for reading.
	fifoPath := filepath.Join(dir, "exec.fifo")
	if err := unix.Mkfifo(fifoPath, 0o622); err != nil {
		return nil, fmt.Errorf("make exec fifo %s: %w", fifoPath, err)
	}
	// Writable by all, as runc makes it (past the umask): the init opens it for writing as the
	// container's user, who may be neither root nor hold CAP_DAC_OVERRIDE (podman run --user
	// 65534). The state directory stays root's; the init reaches the fifo through its fd.
	if err := os.Chmod(fifoPath, 0o622); err != nil {
		return nil, fmt.Errorf("chmod exec fifo %s 0622: %w", fifoPath, err)
	}
	fifo, err := os.OpenFile(fifoPath, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open exec fifo %s: %w", fifoPath, err)
	}
	defer fifo.Close()

	// 4. The console socket, connected here (the init cannot reach the path after pivot_root).
	console := o.ConsoleConn
	if o.ConsoleSocket != "" {
		if console, err = dialConsole(o.ConsoleSocket); err != nil {
			return nil, err
		}
		defer console.Close()
	}

	// 5. The cgroup, with its limits, before any container code runs.
	cgPath, err := cgroupfsPath(s.Linux.CgroupsPath)
	if err != nil {
		return nil, err
	}
	resources := cgroupResources(s)
	if rootless() {
		var delegated bool
		if cg, delegated, err = rootlessCgroup(s, o.ID); err != nil {
			return nil, err
		}
		if !delegated {
			resources = nil
		}
	} else if cg, err = cgroups.New(cgroups.Detect(), "/sys/fs/cgroup", cgPath, o.ID); err != nil {
		return nil, err
	}

	if err := writeCreating(dir, cg); err != nil {
		return nil, err
	}
	tm.step("cgroup manager")
	// 6. The init process: namespaces first (nsenter constructor), then the Go set-up.
	req := namespaceRequest(s, nil)
	req.AtFork()
	cfg := &initConfig{ID: o.ID, Spec: s, Process: s.Process, Bundle: bundle, NoPivot: o.NoPivot,
		NewNet: rspec.NewNamespace(s, specs.NetworkNamespace)}
	p, err := startInit(&startInitOptions{
		req: req, cfg: cfg, cg: cg, resources: resources, fifo: fifo, console: console,
		preserve: o.PreserveFDs, stdio: o.Stdio, spec: s, tm: tm,
		onHooks: func(pid int) error {
			hs := s.Hooks
			// The hooks see "created", as runc and the conformance suite expect: the container exists.
			state := &specs.State{Version: specs.Version, ID: o.ID, Status: specs.StateCreated, Pid: pid, Bundle: bundle, Annotations: s.Annotations}
			if err := runHooks("prestart", hs.Prestart, state); err != nil {
				return err
			}
			return runHooks("createRuntime", hs.CreateRuntime, state)
		},
	})
	if p != nil {
		initPid = p.pid
	}
	if err != nil {
		return nil, err
	}

	tm.step("init ready")
	// 7. The saved state: from now on, the container exists for other invocations.
	st = &State{
		State: specs.State{Version: specs.Version, ID: o.ID, Status: specs.StateCreated, Pid: initPid,
			Bundle: bundle, Annotations: s.Annotations},
		InitStartTime: p.startTime,
		Created:       time.Now().UTC(),
		Rootfs:        rootPath(s, bundle),
		CgroupMode:    int(cg.Mode()),
		CgroupPaths:   cg.Paths(),
		ConfigJSON:    specJSON,
		spec:          s,
		Namespaces:    namespacePaths(s, initPid),
	}
	if err := promoteCreating(dir, st); err != nil {
		return nil, err
	}
	if o.PidFile != "" {
		if err := writePidFile(o.PidFile, initPid); err != nil {
			return nil, err
		}
	}
	tm.step("state saved")
	return st, nil
}

func rootPath(s *specs.Spec, bundle string) string {
	if filepath.IsAbs(s.Root.Path) {
		return s.Root.Path
	}
	return filepath.Join(bundle, s.Root.Path)
}

// namespaceRequest lists what the nsenter constructor does: join the spec's namespaces given
// by path (or, for exec, all of the container's), create the others.
func namespaceRequest(s *specs.Spec, join map[specs.LinuxNamespaceType]string) *nsenter.Request {
	r := &nsenter.Request{}
	if join != nil {
		for t, path := range join {
			r.Joins = append(r.Joins, nsenter.Join{Type: rspec.NamespaceFlag[t], Path: path})
		}
		return r
	}
	for _, ns := range s.Linux.Namespaces {
		flag := rspec.NamespaceFlag[ns.Type]
		if ns.Path != "" {
			r.Joins = append(r.Joins, nsenter.Join{Type: flag, Path: ns.Path})
		} else {
			r.CloneFlags |= flag
		}
	}
	return r
}

// namespacePaths are the init's namespaces that exec joins: the ones the spec lists.
func namespacePaths(s *specs.Spec, pid int) map[specs.LinuxNamespaceType]string {
	names := map[specs.LinuxNamespaceType]string{
		specs.PIDNamespace: "pid", specs.NetworkNamespace: "net", specs.MountNamespace: "mnt",
		specs.IPCNamespace: "ipc", specs.UTSNamespace: "uts", specs.UserNamespace: "user",
		specs.CgroupNamespace: "cgroup", specs.TimeNamespace: "time",
	}
	m := map[specs.LinuxNamespaceType]string{}
	for _, ns := range s.Linux.Namespaces {
		m[ns.Type] = fmt.Sprintf("/proc/%d/ns/%s", pid, names[ns.Type])
	}
	return m
}

func dialConsole(path string) (*os.File, error) {
	conn, err := net.Dial("unix", path)
	if err != nil {
		return nil, fmt.Errorf("connect to --console-socket %s: %w", path, err)
	}
	defer conn.Close()
	f, err := conn.(*net.UnixConn).File()
	if err != nil {
		return nil, fmt.Errorf("console socket %s: %w", path, err)
	}
	return f, nil
}

func writePidFile(path string, pid int) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("pid file %s: %w", path, err)
	}
	return writeFileAtomic(abs, []byte(strconv.Itoa(pid)), 0o644, false)
}
