// Package cgroups puts a container's processes into a cgroup and writes its resource limits.
//
// One Manager interface has two implementations beside each other: v1 (one hierarchy per
// controller under /sys/fs/cgroup/<controller>) and v2 (the unified hierarchy). The host's mode
// is detected once (Detect). Resource conversion from the OCI spec is shared: each controller
// file (memory.go, cpu.go, ...) turns its part of the spec into a list of file writes (ops) for
// the mode, and one runner (fs.go) executes them, so that every write error names the step, the
// file and the value.
package cgroups

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// DefaultRoot is where the host mounts its cgroup hierarchies.
const DefaultRoot = "/sys/fs/cgroup"

// Mode is the host's cgroup mode.
type Mode int

const (
	// V1 is the legacy (or hybrid) layout: one hierarchy per controller under
	// /sys/fs/cgroup/<controller>, even if a cgroup2 mount exists at /sys/fs/cgroup/unified.
	V1 Mode = 1
	// V2 is the unified layout: /sys/fs/cgroup itself is a cgroup2 filesystem.
	V2 Mode = 2
)

func (m Mode) String() string {
	switch m {
	case V1:
		return "v1"
	case V2:
		return "v2"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

var (
	detectOnce sync.Once
	detected   Mode
)

// Detect reports the host's cgroup mode, detected once per process: V2 when /sys/fs/cgroup is a
// cgroup2 filesystem, V1 otherwise.
func Detect() Mode {
	detectOnce.Do(func() { detected = detectAt(DefaultRoot) })
	return detected
}

// detectAt reports V2 when dir is a cgroup2 mount, V1 otherwise (tmpfs of a v1/hybrid host, or
// a directory that cannot be read).
func detectAt(dir string) Mode {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
		return V2
	}
	return V1
}

// FreezerState is the state of a cgroup's freezer.
type FreezerState string

const (
	Thawed   FreezerState = "THAWED"
	Freezing FreezerState = "FREEZING"
	Frozen   FreezerState = "FROZEN"
)

// Manager owns one container's cgroup.
type Manager interface {
	// Apply creates the cgroup (every mounted controller on v1) and moves pid into it.
	Apply(pid int) error
	// ForkTarget creates the cgroup and opens its directory for clone3's CLONE_INTO_CGROUP,
	// which starts a child inside it (v2 only; v1 returns nil, nil). A process forked there
	// needs no Apply, and skips the wait on the kernel's lock that every move into a cgroup
	// takes. The caller closes the file.
	ForkTarget() (*os.File, error)
	// SelfJoinFiles creates the cgroup and lists the files into which a still single-threaded
	// process writes "0" to move itself in (v1: each hierarchy's tasks; v2 returns nil, nil and
	// uses ForkTarget). Moving the calling thread is the one migration the kernel makes
	// without taking cgroup_threadgroup_rwsem for writing, and so without waiting for an RCU
	// grace period; a write of a pid to cgroup.procs (Apply) waits for one.
	SelfJoinFiles() ([]string, error)
	// Set writes the resources (creating the cgroup first if needed). Used at create and by
	// update; fields left nil are not touched.
	Set(r *specs.LinuxResources) error
	// Freeze freezes every process of the cgroup and waits (bounded) until the kernel reports
	// the cgroup frozen.
	Freeze() error
	// Thaw resumes the cgroup's processes.
	Thaw() error
	// State reports the freezer state.
	State() (FreezerState, error)
	// Pids lists every process of the cgroup tree (the cgroup and its descendants).
	Pids() ([]int, error)
	// Stats reads usage counters; a missing controller leaves its part zero.
	Stats() (*Stats, error)
	// OOMKills reads only the kernel's count of OOM kills in the cgroup (one file; Stats
	// reads a dozen), for the report after a container's exit. 0 without a memory controller.
	OOMKills() uint64
	// Destroy removes the cgroup directories (descendants first), retrying briefly while the
	// kernel reports EBUSY for exiting processes. It kills nothing and is idempotent.
	Destroy() error
	// Paths maps controller -> absolute directory (v2: "" -> directory). Save it to Load later.
	Paths() map[string]string
	// Exists reports whether the cgroup directory still exists.
	Exists() bool
	// Mode reports v1 or v2.
	Mode() Mode
}

// New returns a manager for cgroupsPath, the spec's linux.cgroupsPath: absolute paths are
// relative to each hierarchy's root; relative paths are relative to the calling process's own
// cgroup (when root is the host's DefaultRoot; under another root, to that root); an empty path
// means "/minictr/<id>". root is the cgroup mount root (normally DefaultRoot); tests pass a
// temporary directory to check file writes without a cgroup filesystem. New creates nothing.
func New(mode Mode, root, cgroupsPath, id string) (Manager, error) {
	if root == "" {
		root = DefaultRoot
	}
	rel, err := resolvePath(cgroupsPath, id)
	if err != nil {
		return nil, err
	}
	switch mode {
	case V1:
		return newV1(root, rel, cgroupsPath)
	case V2:
		return newV2(root, rel, cgroupsPath)
	}
	return nil, fmt.Errorf("cgroups: unknown mode %d", int(mode))
}

// Load reopens the manager of an existing container from the paths its Paths returned.
func Load(mode Mode, paths map[string]string) Manager {
	cp := make(map[string]string, len(paths))
	for k, v := range paths {
		cp[k] = v
	}
	if mode == V2 {
		return &v2Manager{dir: cp[""]}
	}
	return &v1Manager{paths: cp}
}

// resolvePath validates the spec's cgroupsPath and returns it cleaned. An absolute result starts
// with "/"; a relative one does not (it is joined with the caller's own cgroup later).
func resolvePath(cgroupsPath, id string) (string, error) {
	p := cgroupsPath
	if p == "" {
		if id == "" || strings.ContainsAny(id, "/\x00") || id == "." || id == ".." {
			return "", fmt.Errorf("cgroups: default cgroupsPath needs a valid container id, got %q", id)
		}
		p = "/minictr/" + id
	}
	if strings.ContainsRune(p, 0) {
		return "", fmt.Errorf("cgroups: cgroupsPath %q contains a NUL byte", cgroupsPath)
	}
	if !strings.HasPrefix(p, "/") && strings.Count(p, ":") == 2 {
		return "", fmt.Errorf("cgroups: cgroupsPath %q is in systemd slice:prefix:name form; the systemd cgroup driver is not supported", cgroupsPath)
	}
	abs := strings.HasPrefix(p, "/")
	// Cleaning under "/" removes every ".." that would climb out of the hierarchy.
	clean := filepath.Clean("/" + p)
	if clean == "/" {
		return "", fmt.Errorf("cgroups: cgroupsPath %q resolves to the root cgroup", cgroupsPath)
	}
	if abs {
		return clean, nil
	}
	return strings.TrimPrefix(clean, "/"), nil
}

// ownCgroups parses /proc/self/cgroup: controller -> path (v2 line under "").
func ownCgroups() map[string]string {
	out := map[string]string{}
	f, err := os.Open("/proc/self/cgroup")
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[1] == "" {
			out[""] = parts[2]
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			out[strings.TrimPrefix(c, "name=")] = parts[2]
		}
	}
	return out
}

// joinBase places a resolved path under a hierarchy's mount point mnt: absolute as is, relative
// under the caller's own cgroup for that controller (only on the host's real mounts).
func joinBase(mnt, rel, ctrl string) string {
	if strings.HasPrefix(rel, "/") {
		return filepath.Join(mnt, rel)
	}
	base := "/"
	if strings.HasPrefix(mnt, DefaultRoot) {
		if own, ok := ownCgroups()[ctrl]; ok {
			base = own
		}
	}
	return filepath.Join(mnt, base, rel)
}

// KillAll sends sig to every process of the cgroup tree (kill --all, delete --force). It freezes
// the cgroup first so that no process can fork a child that escapes the signal, then thaws it so
// the signal is delivered; a cgroup that was paused before stays paused unless sig is SIGKILL.
// On v2, SIGKILL goes through cgroup.kill. Without a usable freezer, SIGKILL is sent in up to 10
// rounds instead.
func KillAll(m Manager, sig unix.Signal) error {
	if k, ok := m.(interface{ kill() (bool, error) }); ok && sig == unix.SIGKILL {
		if done, err := k.kill(); done {
			if err == nil {
				// cgroup.kill reaches frozen tasks too; leave no empty cgroup frozen.
				if st, serr := m.State(); serr == nil && st != Thawed {
					err = m.Thaw()
				}
			}
			return err
		}
	}
	// A paused container stays paused for a catchable signal; SIGKILL needs a thaw to be
	// delivered on v1 (frozen tasks act on it only once they run).
	wasFrozen := false
	if st, err := m.State(); err == nil && st == Frozen {
		wasFrozen = true
	}
	frozen := m.Freeze() == nil
	var firstErr error
	rounds := 1
	if !frozen && sig == unix.SIGKILL {
		rounds = 10 // catch children forked while we signal; a catchable signal goes once
	}
	for i := 0; i < rounds; i++ {
		pids, err := m.Pids()
		if err != nil {
			firstErr = fmt.Errorf("kill all: %w", err)
			break
		}
		if len(pids) == 0 {
			break
		}
		for _, pid := range pids {
			if err := unix.Kill(pid, sig); err != nil && !errors.Is(err, unix.ESRCH) && firstErr == nil {
				firstErr = fmt.Errorf("kill all: signal %d to pid %d: %w", int(sig), pid, err)
			}
		}
	}
	if frozen && (!wasFrozen || sig == unix.SIGKILL) {
		if err := m.Thaw(); err != nil && firstErr == nil {
			firstErr = fmt.Errorf("kill all: %w", err)
		}
	}
	return firstErr
}
