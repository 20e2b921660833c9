package cgroups

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// v2Files are the control files a fake v2 leaf gets (real cgroupfs makes them itself).
var v2Files = []string{
	"cgroup.procs", "cgroup.freeze", "cgroup.events", "cgroup.controllers", "cgroup.subtree_control",
	"memory.max", "memory.low", "memory.swap.max", "memory.current", "memory.peak", "memory.events",
	"memory.swap.current", "cpu.weight", "cpu.max", "cpu.max.burst", "cpu.idle", "cpu.stat",
	"cpuset.cpus", "cpuset.mems", "pids.max", "pids.current", "pids.events", "io.weight", "io.max",
	"hugetlb.2MB.max",
}

// fakeV2 lays out a cgroup2-looking tree for rel under a temp root: each level offers the
// controllers in cgroup.controllers; the leaf has v2Files. It returns the root and the leaf.
func fakeV2(t *testing.T, rel string, controllers string) (string, string) {
	t.Helper()
	root := t.TempDir()
	cur := root
	for i, part := range append([]string{""}, strings.Split(strings.Trim(rel, "/"), "/")...) {
		cur = filepath.Join(cur, part)
		if err := os.MkdirAll(cur, 0o755); err != nil {
			t.Fatal(err)
		}
		files := []string{"cgroup.controllers", "cgroup.subtree_control", "cgroup.procs"}
		if i == len(strings.Split(strings.Trim(rel, "/"), "/")) {
			files = v2Files
		}
		for _, f := range files {
			content := ""
			if f == "cgroup.controllers" {
				content = controllers
			}
			if err := os.WriteFile(filepath.Join(cur, f), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return root, cur
}

func readBack(t *testing.T, dir, file string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestV2SetFileWrites checks every v2 write: each case's resources, then the files' contents.
func TestV2SetFileWrites(t *testing.T) {
	cases := []struct {
		name  string
		r     *specs.LinuxResources
		files map[string]string
	}{
		{"memory limit, reservation, swap", &specs.LinuxResources{Memory: &specs.LinuxMemory{
			Limit: i64(mib(64)), Reservation: i64(mib(32)), Swap: i64(mib(96))}},
			map[string]string{"memory.max": "67108864", "memory.low": "33554432", "memory.swap.max": "33554432"}},
		{"memory unlimited", &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(-1), Swap: i64(-1)}},
			map[string]string{"memory.max": "max", "memory.swap.max": "max"}},
		{"cpu shares quota period burst idle", &specs.LinuxResources{CPU: &specs.LinuxCPU{
			Shares: u64(1024), Quota: i64(50000), Period: u64(100000), Burst: u64(1000), Idle: i64(1)}},
			map[string]string{"cpu.weight": "39", "cpu.max": "50000 100000", "cpu.max.burst": "1000", "cpu.idle": "1"}},
		{"cpu unlimited quota", &specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(-1), Period: u64(100000)}},
			map[string]string{"cpu.max": "max 100000"}},
		{"cpuset", &specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "0-1", Mems: "0"}},
			map[string]string{"cpuset.cpus": "0-1", "cpuset.mems": "0"}},
		{"pids", &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(20)}},
			map[string]string{"pids.max": "20"}},
		{"pids unlimited", &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(-1)}},
			map[string]string{"pids.max": "max"}},
		{"io weight", &specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: u16(1000)}},
			map[string]string{"io.weight": "default 10000"}},
		{"io throttle", &specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{
			ThrottleReadBpsDevice: []specs.LinuxThrottleDevice{{Rate: 1048576}}}},
			map[string]string{"io.max": "0:0 rbps=1048576"}},
		{"hugetlb", &specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 4194304}}},
			map[string]string{"hugetlb.2MB.max": "4194304"}},
		{"unified overrides converted", &specs.LinuxResources{
			Memory:  &specs.LinuxMemory{Limit: i64(mib(64))},
			Unified: map[string]string{"memory.max": "1234", "pids.max": "7"}},
			map[string]string{"memory.max": "1234", "pids.max": "7"}},
		{"devices ignored on v2", &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}},
			map[string]string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root, leaf := fakeV2(t, "/minictr/x", "cpuset cpu io memory hugetlb pids")
			m, err := New(V2, root, "/minictr/x", "x")
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Set(c.r); err != nil {
				t.Fatal(err)
			}
			for f, want := range c.files {
				if got := readBack(t, leaf, f); got != want {
					t.Errorf("%s = %q, want %q", f, got, want)
				}
			}
		})
	}
}

// TestV2EnablesControllers: Apply enables the offered controllers in the root's and every
// ancestor's subtree_control (not the leaf's), then writes the pid.
func TestV2EnablesControllers(t *testing.T) {
	root, leaf := fakeV2(t, "/a/b/c", "cpuset cpu io memory pids rdma")
	m, err := New(V2, root, "/a/b/c", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Apply(4242); err != nil {
		t.Fatal(err)
	}
	want := "+cpuset +cpu +io +memory +pids +rdma"
	for _, d := range []string{root, filepath.Join(root, "a"), filepath.Join(root, "a", "b")} {
		if got := readBack(t, d, "cgroup.subtree_control"); got != want {
			t.Errorf("%s/cgroup.subtree_control = %q, want %q", d, got, want)
		}
	}
	if got := readBack(t, leaf, "cgroup.subtree_control"); got != "" {
		t.Errorf("leaf subtree_control = %q, want untouched", got)
	}
	if got := readBack(t, leaf, "cgroup.procs"); got != "4242" {
		t.Errorf("cgroup.procs = %q", got)
	}
	if p := m.Paths()[""]; p != leaf || !m.Exists() {
		t.Errorf("Paths = %v, Exists = %v", m.Paths(), m.Exists())
	}
	// Already enabled: nothing is written again (the fake file keeps its content).
	if err := os.WriteFile(filepath.Join(root, "cgroup.subtree_control"), []byte("cpuset cpu io memory pids rdma"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := m.Apply(4243); err != nil {
		t.Fatal(err)
	}
	if got := readBack(t, root, "cgroup.subtree_control"); got != "cpuset cpu io memory pids rdma" {
		t.Errorf("root subtree_control rewritten: %q", got)
	}
}

// TestV2Errors: a missing controller file, and a v2-only or v1-only request, give errors that
// name the step, the file and the value.
func TestV2Errors(t *testing.T) {
	root, leaf := fakeV2(t, "/minictr/x", "cpu memory pids")
	if err := os.Remove(filepath.Join(leaf, "memory.swap.max")); err != nil {
		t.Fatal(err)
	}
	m, err := New(V2, root, "/minictr/x", "")
	if err != nil {
		t.Fatal(err)
	}
	err = m.Set(memRes(mib(16), mib(32)))
	want := "set swap limit: write " + filepath.Join(leaf, "memory.swap.max") + " = 16777216: control file missing"
	if err == nil || !strings.Contains(err.Error(), want) || !errors.Is(err, unix.ENOENT) {
		t.Errorf("err = %v, want containing %q and ENOENT", err, want)
	}
	for _, r := range []*specs.LinuxResources{
		{Network: &specs.LinuxNetwork{ClassID: new(uint32)}},
		{CPU: &specs.LinuxCPU{RealtimeRuntime: i64(1000)}},
	} {
		if err := m.Set(r); err == nil || !strings.Contains(err.Error(), "v2") {
			t.Errorf("Set(%+v) err = %v, want a v2 error", r, err)
		}
	}
	if _, err := New(V2, t.TempDir(), "/x", ""); err == nil || !strings.Contains(err.Error(), "cgroup.controllers") {
		t.Errorf("New on a non-cgroup2 root: err = %v", err)
	}
}

// TestV2FreezeAndStats drives the freezer files and reads stats from a fake tree.
func TestV2FreezeAndStats(t *testing.T) {
	root, leaf := fakeV2(t, "/minictr/x", "memory pids cpu")
	m, err := New(V2, root, "/minictr/x", "")
	if err != nil {
		t.Fatal(err)
	}
	write := func(f, s string) {
		if err := os.WriteFile(filepath.Join(leaf, f), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("cgroup.events", "populated 1\nfrozen 1\n") // what the kernel reports once frozen
	if err := m.Freeze(); err != nil {
		t.Fatal(err)
	}
	if got := readBack(t, leaf, "cgroup.freeze"); got != "1" {
		t.Errorf("cgroup.freeze = %q", got)
	}
	if st, err := m.State(); err != nil || st != Frozen {
		t.Errorf("State = %v, %v", st, err)
	}
	write("cgroup.events", "populated 1\nfrozen 0\n")
	if st, _ := m.State(); st != Freezing {
		t.Errorf("State while not yet frozen = %v, want FREEZING", st)
	}
	if err := m.Thaw(); err != nil {
		t.Fatal(err)
	}
	if st, _ := m.State(); st != Thawed || readBack(t, leaf, "cgroup.freeze") != "0" {
		t.Errorf("after Thaw: %v", st)
	}

	write("memory.current", "1048576\n")
	write("memory.max", "max\n")
	write("memory.events", "low 0\nhigh 0\nmax 5\noom 2\noom_kill 1\n")
	if n := m.OOMKills(); n != 1 {
		t.Errorf("OOMKills = %d, want 1 (memory.events oom_kill)", n)
	}
	write("pids.current", "3\n")
	write("pids.max", "20\n")
	write("pids.events", "max 4\n")
	write("cpu.stat", "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_throttled 2\nthrottled_usec 7\n")
	write("cgroup.procs", "10\n11\n")
	if err := os.Mkdir(filepath.Join(leaf, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(leaf, "sub", "cgroup.procs"), []byte("12\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	want := Stats{
		Memory: MemoryStats{Usage: 1048576, Limit: 0, Failcnt: 5, OOMEvents: 2, OOMKills: 1},
		Pids:   PidsStats{Current: 3, Limit: 20, LimitHits: 4},
		CPU:    CPUStats{UsageNS: 1500000, UserNS: 1000000, SystemNS: 500000, ThrottledPeriods: 2, ThrottledNS: 7000},
	}
	if *s != want {
		t.Errorf("Stats = %+v\nwant    %+v", *s, want)
	}
	pids, err := m.Pids()
	if err != nil || len(pids) != 3 {
		t.Errorf("Pids = %v, %v; want 10 11 12", pids, err)
	}
}
