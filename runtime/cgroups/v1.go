package cgroups

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// v1Controllers are the hierarchies a container joins when the host mounts them.
var v1Controllers = []string{
	"cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids",
	"hugetlb", "net_cls", "net_prio", "perf_event", "rdma", "misc",
}

type v1Manager struct {
	root  string            // mount root, e.g. /sys/fs/cgroup ("" after Load)
	paths map[string]string // controller -> cgroup dir
}

func newV1(root, rel, orig string) (*v1Manager, error) {
	m := &v1Manager{root: root, paths: map[string]string{}}
	for _, c := range v1Controllers {
		mnt := filepath.Join(root, c)
		if fi, err := os.Stat(mnt); err != nil || !fi.IsDir() {
			continue
		}
		m.paths[c] = joinBase(mnt, rel, c)
	}
	if len(m.paths) == 0 {
		return nil, fmt.Errorf("cgroups v1: no controller hierarchy found under %s (cgroupsPath %q)", root, orig)
	}
	return m, nil
}

func (m *v1Manager) Mode() Mode { return V1 }

func (m *v1Manager) Paths() map[string]string {
	out := make(map[string]string, len(m.paths))
	for k, v := range m.paths {
		out[k] = v
	}
	return out
}

func (m *v1Manager) dirOf(ctrl string) (string, bool) {
	d, ok := m.paths[ctrl]
	return d, ok
}

// dirs lists the distinct directories (co-mounted controllers, such as cpu and cpuacct
// behind their symlinks, share one), sorted. One stat per path tells them apart (resolving
// every path's symlinks took five lstats each).
func (m *v1Manager) dirs() []string {
	type fileID struct{ dev, ino uint64 }
	seen := map[fileID]bool{}
	var out []string
	for _, ctrl := range sortedKeys(m.paths) {
		d := m.paths[ctrl]
		var st unix.Stat_t
		if unix.Stat(d, &st) == nil {
			id := fileID{st.Dev, st.Ino}
			if seen[id] {
				continue
			}
			seen[id] = true
		}
		out = append(out, d)
	}
	sort.Strings(out)
	return out
}

// create makes the directories; a fresh cpuset gets its parent's cpus and mems. A manager
// from Load never creates (exec and update join or change an existing cgroup; a missing one is
// an error there, not a new empty cgroup).
func (m *v1Manager) create() error {
	if m.root == "" {
		for ctrl, d := range m.paths {
			if !exists(d) {
				return fmt.Errorf("cgroup %s (%s) does not exist", d, ctrl)
			}
		}
		return nil
	}
	for ctrl, d := range m.paths {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("create cgroup %s: %w", ctrl, err)
		}
		if ctrl == "cpuset" && m.root != "" {
			if err := populateCpuset(filepath.Join(m.root, "cpuset"), d); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m *v1Manager) Apply(pid int) error {
	if err := m.create(); err != nil {
		return err
	}
	for _, ctrl := range sortedKeys(m.paths) {
		if err := writeFile(m.paths[ctrl], "cgroup.procs", strconv.Itoa(pid)); err != nil {
			return fmt.Errorf("join %s cgroup: %w", ctrl, err)
		}
	}
	return nil
}

func (m *v1Manager) ForkTarget() (*os.File, error) { return nil, nil }

func (m *v1Manager) SelfJoinFiles() ([]string, error) {
	if err := m.create(); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(m.paths))
	for _, ctrl := range sortedKeys(m.paths) {
		out = append(out, filepath.Join(m.paths[ctrl], "tasks"))
	}
	return out, nil
}

func (m *v1Manager) Set(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	rd := func(ctrl, file string) (string, error) {
		d, ok := m.paths[ctrl]
		if !ok {
			return "", fmt.Errorf("controller %s not mounted", ctrl)
		}
		return readFile(d, file)
	}
	// Create first: some conversions read the current values (memory before memsw).
	if err := m.create(); err != nil {
		return err
	}
	ops, err := resourceOps(V1, r, rd)
	if err != nil {
		return err
	}
	// BFQ-only kernels name the weight blkio.bfq.weight.
	if d, ok := m.paths["blkio"]; ok && !exists(filepath.Join(d, "blkio.weight")) && exists(filepath.Join(d, "blkio.bfq.weight")) {
		for i := range ops {
			switch ops[i].file {
			case "blkio.weight":
				ops[i].file = "blkio.bfq.weight"
			case "blkio.weight_device":
				ops[i].file = "blkio.bfq.weight_device"
			}
		}
	}
	return runOps(m.dirOf, ops)
}

func (m *v1Manager) freezerDir() (string, error) {
	d, ok := m.paths["freezer"]
	if !ok {
		return "", fmt.Errorf("freezer controller is not mounted")
	}
	return d, nil
}

func (m *v1Manager) Freeze() error {
	d, err := m.freezerDir()
	if err != nil {
		return fmt.Errorf("freeze: %w", err)
	}
	return freezeV1(d)
}

func (m *v1Manager) Thaw() error {
	d, err := m.freezerDir()
	if err != nil {
		return fmt.Errorf("thaw: %w", err)
	}
	return thawV1(d)
}

func (m *v1Manager) State() (FreezerState, error) {
	d, err := m.freezerDir()
	if err != nil {
		return "", fmt.Errorf("freezer state: %w", err)
	}
	return stateV1(d)
}

// pidsDir picks the hierarchy to list processes from: any hierarchy holds every process of the
// container; prefer the ones a container always joins.
func (m *v1Manager) pidsDir() (string, bool) {
	for _, c := range []string{"pids", "freezer", "memory", "cpu", "devices"} {
		if d, ok := m.paths[c]; ok {
			return d, true
		}
	}
	for _, d := range m.paths {
		return d, true
	}
	return "", false
}

func (m *v1Manager) Pids() ([]int, error) {
	d, ok := m.pidsDir()
	if !ok {
		return nil, fmt.Errorf("list pids: no cgroup path")
	}
	if !exists(d) {
		return nil, nil
	}
	return treePids(d)
}

func (m *v1Manager) Stats() (*Stats, error) {
	s := &Stats{}
	if d, ok := m.paths["memory"]; ok {
		memoryStatsV1(d, &s.Memory)
	}
	if d, ok := m.paths["pids"]; ok {
		pidsStats(d, &s.Pids)
	}
	cpuStatsV1(m.paths["cpu"], m.paths["cpuacct"], &s.CPU)
	return s, nil
}

func (m *v1Manager) OOMKills() uint64 {
	d, ok := m.paths["memory"]
	if !ok {
		return 0
	}
	oc, _ := readKeyed(d, "memory.oom_control")
	return oc["oom_kill"]
}

func (m *v1Manager) Destroy() error {
	var firstErr error
	deadline := time.Now().Add(destroyWait)
	for _, d := range m.dirs() {
		if err := removeTree(d, deadline); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}

func (m *v1Manager) Exists() bool {
	for _, d := range m.paths {
		if exists(d) {
			return true
		}
	}
	return false
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
