package cgroups

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// v2Wanted are the controllers enabled for containers, in each ancestor's
// cgroup.subtree_control, when the parent offers them (cgroup.controllers).
var v2Wanted = []string{"cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc"}

type v2Manager struct {
	root string // mount root ("" after Load: ancestors are not touched again)
	dir  string
}

func newV2(root, rel, orig string) (*v2Manager, error) {
	if !exists(filepath.Join(root, "cgroup.controllers")) {
		return nil, fmt.Errorf("cgroups v2: %s has no cgroup.controllers: not a cgroup2 root (cgroupsPath %q)", root, orig)
	}
	return &v2Manager{root: root, dir: joinBase(root, rel, "")}, nil
}

func (m *v2Manager) Mode() Mode                          { return V2 }
func (m *v2Manager) Paths() map[string]string            { return map[string]string{"": m.dir} }
func (m *v2Manager) Exists() bool                        { return exists(m.dir) }
func (m *v2Manager) dirOf(string) (string, bool)         { return m.dir, m.dir != "" }
func (m *v2Manager) read(_, file string) (string, error) { return readFile(m.dir, file) }

// create makes the directory and enables the wanted controllers in every ancestor's
// cgroup.subtree_control, from the root down (a controller can only be enabled in a child when
// its parent has it enabled).
//
// A manager from Load never creates: a missing cgroup is an error there.
func (m *v2Manager) create() error {
	if m.root == "" {
		if !exists(m.dir) {
			return fmt.Errorf("cgroup %s does not exist", m.dir)
		}
		return nil
	}
	if err := os.MkdirAll(m.dir, 0o755); err != nil {
		return fmt.Errorf("create cgroup: %w", err)
	}
	rel, err := filepath.Rel(m.root, m.dir)
	if err != nil || strings.HasPrefix(rel, "..") {
		return fmt.Errorf("create cgroup: %s is not under %s", m.dir, m.root)
	}
	cur := m.root
	for _, part := range strings.Split(rel, string(filepath.Separator)) {
		if err := enableControllers(cur); err != nil {
			return err
		}
		cur = filepath.Join(cur, part)
	}
	return nil
}

// enableControllers writes "+c" to dir/cgroup.subtree_control for each wanted controller that
// dir offers and has not enabled yet (one write, so the error shows the whole request).
func enableControllers(dir string) error {
	avail, err := readFile(dir, "cgroup.controllers")
	if err != nil {
		return fmt.Errorf("enable controllers: read %s: %w", filepath.Join(dir, "cgroup.controllers"), unwrapErrno(err))
	}
	enabled, err := readFile(dir, "cgroup.subtree_control")
	if err != nil {
		return fmt.Errorf("enable controllers: read %s: %w", filepath.Join(dir, "cgroup.subtree_control"), unwrapErrno(err))
	}
	have := map[string]bool{}
	for _, c := range strings.Fields(enabled) {
		have[c] = true
	}
	offered := map[string]bool{}
	for _, c := range strings.Fields(avail) {
		offered[c] = true
	}
	var add []string
	for _, c := range v2Wanted {
		if offered[c] && !have[c] {
			add = append(add, "+"+c)
		}
	}
	if len(add) == 0 {
		return nil
	}
	if err := writeFile(dir, "cgroup.subtree_control", strings.Join(add, " ")); err != nil {
		return fmt.Errorf("enable controllers: %w", err)
	}
	return nil
}

func (m *v2Manager) Apply(pid int) error {
	if err := m.create(); err != nil {
		return err
	}
	if err := writeFile(m.dir, "cgroup.procs", strconv.Itoa(pid)); err != nil {
		return fmt.Errorf("join cgroup: %w", err)
	}
	return nil
}

// SelfJoinFiles: v2 has no per-thread move across domain cgroups; ForkTarget does the job.
func (m *v2Manager) SelfJoinFiles() ([]string, error) { return nil, nil }

func (m *v2Manager) ForkTarget() (*os.File, error) {
	if err := m.create(); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(m.dir, os.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open cgroup %s: %w", m.dir, unwrapErrno(err))
	}
	return f, nil
}

func (m *v2Manager) Set(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	if err := m.create(); err != nil {
		return err
	}
	ops, err := resourceOps(V2, r, m.read)
	if err != nil {
		return err
	}
	if err := runOps(m.dirOf, ops); err != nil {
		return err
	}
	// Devices: an eBPF program, only on a real cgroup2 directory (a test root cannot hold one).
	if len(r.Devices) > 0 && detectAt(m.dir) == V2 {
		return setDevicesV2(m.dir, r.Devices)
	}
	return nil
}

// Freeze writes 1 to cgroup.freeze and waits until cgroup.events says "frozen 1".
func (m *v2Manager) Freeze() error {
	if err := writeFile(m.dir, "cgroup.freeze", "1"); err != nil {
		return fmt.Errorf("freeze: %w", err)
	}
	deadline := time.Now().Add(freezeTimeout)
	delay := time.Millisecond
	for {
		ev, err := readKeyed(m.dir, "cgroup.events")
		if err != nil {
			return fmt.Errorf("freeze: read %s: %w", filepath.Join(m.dir, "cgroup.events"), unwrapErrno(err))
		}
		if ev["frozen"] == 1 {
			return nil
		}
		if time.Now().After(deadline) {
			_ = writeFile(m.dir, "cgroup.freeze", "0")
			return fmt.Errorf("freeze: %s not frozen after %v; thawed again", m.dir, freezeTimeout)
		}
		time.Sleep(delay)
		if delay < 50*time.Millisecond {
			delay *= 2
		}
	}
}

func (m *v2Manager) Thaw() error {
	if err := writeFile(m.dir, "cgroup.freeze", "0"); err != nil {
		return fmt.Errorf("thaw: %w", err)
	}
	return nil
}

func (m *v2Manager) State() (FreezerState, error) {
	want, err := readFile(m.dir, "cgroup.freeze")
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && exists(m.dir) {
			return Thawed, nil // kernel without the v2 freezer: never frozen
		}
		return "", fmt.Errorf("freezer state: read %s: %w", filepath.Join(m.dir, "cgroup.freeze"), unwrapErrno(err))
	}
	if want != "1" {
		return Thawed, nil
	}
	if ev, err := readKeyed(m.dir, "cgroup.events"); err == nil && ev["frozen"] == 1 {
		return Frozen, nil
	}
	return Freezing, nil
}

func (m *v2Manager) Pids() ([]int, error) {
	if !exists(m.dir) {
		return nil, nil
	}
	return treePids(m.dir)
}

// kill uses cgroup.kill (Linux 5.14+) to SIGKILL the whole tree at once; false when absent.
func (m *v2Manager) kill() (bool, error) {
	if !exists(filepath.Join(m.dir, "cgroup.kill")) {
		return false, nil
	}
	if err := writeFile(m.dir, "cgroup.kill", "1"); err != nil {
		return true, fmt.Errorf("kill all: %w", err)
	}
	return true, nil
}

func (m *v2Manager) Stats() (*Stats, error) {
	s := &Stats{}
	d := m.dir
	s.Memory.Usage, _, _ = readUint(d, "memory.current")
	s.Memory.MaxUsage, _, _ = readUint(d, "memory.peak")
	s.Memory.Limit, _, _ = readUint(d, "memory.max")
	s.Memory.SwapUsage, _, _ = readUint(d, "memory.swap.current")
	if ev, err := readKeyed(d, "memory.events"); err == nil {
		s.Memory.OOMEvents = ev["oom"]
		s.Memory.OOMKills = ev["oom_kill"]
		s.Memory.Failcnt = ev["max"]
	}
	pidsStats(d, &s.Pids)
	if st, err := readKeyed(d, "cpu.stat"); err == nil {
		s.CPU.UsageNS = st["usage_usec"] * 1000
		s.CPU.UserNS = st["user_usec"] * 1000
		s.CPU.SystemNS = st["system_usec"] * 1000
		s.CPU.ThrottledPeriods = st["nr_throttled"]
		s.CPU.ThrottledNS = st["throttled_usec"] * 1000
	}
	return s, nil
}

func (m *v2Manager) OOMKills() uint64 {
	ev, _ := readKeyed(m.dir, "memory.events")
	return ev["oom_kill"]
}

func (m *v2Manager) Destroy() error { return removeTree(m.dir, time.Now().Add(destroyWait)) }
