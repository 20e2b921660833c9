package cgroups

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// helperEnv makes the test binary act as a helper process (see TestMain).
const helperEnv = "MINICTR_CGROUPS_TEST_HELPER"

// TestMain: "memhog" waits for one byte on stdin (the parent moves it into the cgroup first),
// then allocates and touches 256 MiB in 1 MiB steps; it exits 0 only if it survives.
func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		os.Exit(m.Run())
	case "memhog":
		var b [1]byte
		if _, err := os.Stdin.Read(b[:]); err != nil {
			os.Exit(3)
		}
		var keep [][]byte
		for i := 0; i < 256; i++ {
			chunk := make([]byte, 1<<20)
			for j := 0; j < len(chunk); j += 4096 {
				chunk[j] = 1
			}
			keep = append(keep, chunk)
		}
		fmt.Println("survived", len(keep))
		os.Exit(0)
	}
	os.Exit(2)
}

// requireReal skips unless the host has a real hierarchy of mode and we are root, and returns
// the root to create test cgroups under: /sys/fs/cgroup, or on a hybrid host for v2 a fresh
// /sys/fs/cgroup/unified/minictr-test-<random> (so that no host cgroup is changed), removed at
// cleanup.
func requireReal(t *testing.T, mode Mode) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to create cgroups")
	}
	if mode == V1 {
		if Detect() != V1 {
			t.Skip("host cgroups are v2: no v1 hierarchies")
		}
		if !exists(filepath.Join(DefaultRoot, "memory")) {
			t.Skip("no v1 memory hierarchy at /sys/fs/cgroup/memory")
		}
		return DefaultRoot
	}
	if Detect() == V2 {
		return DefaultRoot
	}
	unified := filepath.Join(DefaultRoot, "unified")
	if detectAt(unified) != V2 {
		t.Skip("no cgroup2 hierarchy (neither /sys/fs/cgroup nor /sys/fs/cgroup/unified)")
	}
	root := filepath.Join(unified, "minictr-test-"+randHex(t))
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := removeTree(root, time.Now().Add(destroyWait)); err != nil {
			t.Error(err)
		}
	})
	return root
}

// requireV2Controller skips when the v2 test root does not offer ctrl to its children.
func requireV2Controller(t *testing.T, root, ctrl string) {
	t.Helper()
	avail, _ := readFile(root, "cgroup.controllers")
	for _, c := range strings.Fields(avail) {
		if c == ctrl {
			return
		}
	}
	t.Skipf("cgroup2 hierarchy %s offers no %s controller (offers %q)", root, ctrl, avail)
}

func randHex(t *testing.T) string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b[:])
}

// newReal makes a manager for a fresh /minictr-test-<random> cgroup under root, destroyed at
// cleanup.
func newReal(t *testing.T, mode Mode, root string) Manager {
	t.Helper()
	m, err := New(mode, root, "/minictr-test-"+randHex(t), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if pids, _ := m.Pids(); len(pids) > 0 {
			_ = KillAll(m, unix.SIGKILL)
		}
		if err := m.Destroy(); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	return m
}

// start runs a command whose stdin is a pipe held by the test (closing it ends "read" gates),
// killed and reaped at cleanup.
func start(t *testing.T, stdin io.Reader, name string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stdin = stdin
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd
}

func contains(pids []int, pid int) bool {
	for _, p := range pids {
		if p == pid {
			return true
		}
	}
	return false
}

// waitFor polls cond every 20ms up to limit; the bound keeps a broken kernel from hanging the
// test, the result is asserted by the caller.
func waitFor(limit time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return cond()
}

// realLifecycle: a process moved in, listed by Pids, seen in /proc/PID/cgroup; Destroy leaves
// no directory and can be repeated.
func realLifecycle(t *testing.T, mode Mode, root string) {
	m := newReal(t, mode, root)
	if m.Exists() {
		t.Fatal("cgroup exists before Apply")
	}
	cmd := start(t, nil, "sleep", "1000")
	if err := m.Apply(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	pids, err := m.Pids()
	if err != nil || !contains(pids, cmd.Process.Pid) || len(pids) != 1 {
		t.Fatalf("Pids = %v, %v; want [%d]", pids, err, cmd.Process.Pid)
	}
	own, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	for ctrl, dir := range m.Paths() {
		rel := "/" + filepath.Base(dir)
		if !strings.Contains(string(own), rel+"\n") {
			t.Errorf("/proc/%d/cgroup has no %s for %q:\n%s", cmd.Process.Pid, rel, ctrl, own)
		}
	}
	// Destroy while the process lives: EBUSY after bounded retries, nothing removed.
	saved := destroyWait
	destroyWait = 100 * time.Millisecond
	err = m.Destroy()
	destroyWait = saved
	if err == nil {
		t.Fatal("Destroy with a live process succeeded")
	} else if !strings.Contains(err.Error(), "device or resource busy") {
		t.Errorf("Destroy with a live process: %v", err)
	}
	if err := KillAll(m, unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	// Load, as a later minictr invocation does, and destroy through it.
	l := Load(mode, m.Paths())
	if err := l.Destroy(); err != nil {
		t.Fatal(err)
	}
	for _, d := range m.Paths() {
		if exists(d) {
			t.Errorf("%s left behind", d)
		}
	}
	if m.Exists() {
		t.Error("Exists after Destroy")
	}
	if err := l.Destroy(); err != nil {
		t.Errorf("second Destroy: %v", err)
	}
	// A loaded manager never re-creates a removed cgroup (update or exec after delete).
	err = l.Set(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(5)}})
	if err == nil || !strings.Contains(err.Error(), "does not exist") || m.Exists() {
		t.Errorf("Set through Load after Destroy: %v (exists %v)", err, m.Exists())
	}
	if err := l.Apply(os.Getpid()); err == nil || m.Exists() {
		t.Errorf("Apply through Load after Destroy: %v (exists %v)", err, m.Exists())
	}
}

func TestV1Lifecycle(t *testing.T) { realLifecycle(t, V1, requireReal(t, V1)) }
func TestV2Lifecycle(t *testing.T) { realLifecycle(t, V2, requireReal(t, V2)) }

// TestV1SetReadBack writes every v1 resource a default container uses and reads the kernel's
// values back; then lowers and raises memory+swap (the write order matters to the kernel).
func TestV1SetReadBack(t *testing.T) {
	m := newReal(t, V1, requireReal(t, V1))
	p := m.Paths()
	memsw := exists(filepath.Join(DefaultRoot, "memory", "memory.memsw.limit_in_bytes"))
	r := &specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: i64(mib(64)), Reservation: i64(mib(32))},
		CPU:    &specs.LinuxCPU{Shares: u64(512), Quota: i64(50000), Period: u64(100000), Cpus: "0", Mems: "0"},
		Pids:   &specs.LinuxPids{Limit: i64(50)},
		Devices: []specs.LinuxDeviceCgroup{
			{Allow: false, Access: "rwm"},
			{Allow: true, Type: "c", Major: i64(1), Minor: i64(3), Access: "rwm"},
			{Allow: true, Type: "c", Major: i64(136), Access: "rw"},
		},
	}
	if memsw {
		r.Memory.Swap = i64(mib(128))
	}
	if err := m.Set(r); err != nil {
		t.Fatal(err)
	}
	cmd := start(t, nil, "sleep", "1000")
	if err := m.Apply(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	checks := []struct{ ctrl, file, want string }{
		{"memory", "memory.limit_in_bytes", "67108864"},
		{"memory", "memory.soft_limit_in_bytes", "33554432"},
		{"cpu", "cpu.shares", "512"},
		{"cpu", "cpu.cfs_quota_us", "50000"},
		{"cpu", "cpu.cfs_period_us", "100000"},
		{"cpuset", "cpuset.cpus", "0"},
		{"cpuset", "cpuset.mems", "0"},
		{"pids", "pids.max", "50"},
		{"devices", "devices.list", "c 1:3 rwm\nc 136:* rw"},
	}
	if memsw {
		checks = append(checks, struct{ ctrl, file, want string }{"memory", "memory.memsw.limit_in_bytes", "134217728"})
	}
	for _, c := range checks {
		d, ok := p[c.ctrl]
		if !ok {
			t.Logf("controller %s not mounted: not checked", c.ctrl)
			continue
		}
		if got, err := readFile(d, c.file); err != nil || got != c.want {
			t.Errorf("%s = %q, %v; want %q", c.file, got, err, c.want)
		}
	}
	if !memsw {
		t.Log("memory.memsw not available: swap ordering not checked for real")
		return
	}
	// Lower below the current limit (64M): limit first. Then raise above: memsw first.
	for _, lim := range [][2]int64{{mib(16), mib(32)}, {mib(256), mib(512)}, {-1, -1}} {
		if err := m.Set(memRes(lim[0], lim[1])); err != nil {
			t.Fatalf("update memory %v: %v", lim, err)
		}
		want := fmt.Sprint(lim[0])
		if lim[0] == -1 {
			want = "9223372036854771712"
		}
		if got, _ := readFile(p["memory"], "memory.limit_in_bytes"); got != want {
			t.Errorf("after update %v: limit = %s, want %s", lim, got, want)
		}
	}
	// pids -1 is unlimited.
	if err := m.Set(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(-1)}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := readFile(p["pids"], "pids.max"); got != "max" {
		t.Errorf("pids.max = %q, want max", got)
	}
}

// TestV1SetErrors: errors name step, file and value; a controller the host lacks is an error
// only when the spec asks for it.
func TestV1SetErrors(t *testing.T) {
	m := newReal(t, V1, requireReal(t, V1))
	err := m.Set(&specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "4096"}})
	want := "set cpuset cpus: write " + filepath.Join(m.Paths()["cpuset"], "cpuset.cpus") + " = 4096: "
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("err = %v, want prefix %q", err, want)
	}
	if err := m.Set(&specs.LinuxResources{Unified: map[string]string{"memory.max": "1"}}); err == nil || !strings.Contains(err.Error(), "needs cgroup v2") {
		t.Errorf("unified on v1: %v", err)
	}
	if _, ok := m.Paths()["net_cls"]; !ok {
		err := m.Set(&specs.LinuxResources{Network: &specs.LinuxNetwork{ClassID: new(uint32)}})
		if err == nil || !strings.Contains(err.Error(), `controller "net_cls" is not available`) {
			t.Errorf("net_cls missing: %v", err)
		}
	}
	// Nothing asked: nothing needed.
	if err := m.Set(&specs.LinuxResources{}); err != nil {
		t.Errorf("empty resources: %v", err)
	}
}

// TestV1Freeze: a process appending to a file stops growing it once frozen (freezer.state
// reads FROZEN), and grows it again after Thaw.
func TestV1Freeze(t *testing.T) { freezeTest(t, V1, requireReal(t, V1)) }
func TestV2Freeze(t *testing.T) { freezeTest(t, V2, requireReal(t, V2)) }

func freezeTest(t *testing.T, mode Mode, root string) {
	m := newReal(t, mode, root)
	out := filepath.Join(t.TempDir(), "ticks")
	cmd := start(t, nil, "sh", "-c", `while :; do echo x >> "$0"; done`, out)
	if err := m.Apply(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	size := func() int64 {
		fi, err := os.Stat(out)
		if err != nil {
			return 0
		}
		return fi.Size()
	}
	if !waitFor(10*time.Second, func() bool { return size() > 0 }) {
		t.Fatal("writer never started")
	}
	if err := m.Freeze(); err != nil {
		t.Fatal(err)
	}
	if st, err := m.State(); err != nil || st != Frozen {
		t.Fatalf("State = %v, %v", st, err)
	}
	if mode == V1 {
		if got, _ := readFile(m.Paths()["freezer"], "freezer.state"); got != "FROZEN" {
			t.Fatalf("freezer.state = %q", got)
		}
	} else if ev, _ := readKeyed(m.Paths()[""], "cgroup.events"); ev["frozen"] != 1 {
		t.Fatalf("cgroup.events = %v, want frozen 1", ev)
	}
	before := size()
	time.Sleep(200 * time.Millisecond)
	if after := size(); after != before {
		t.Fatalf("frozen process kept writing: %d -> %d bytes", before, after)
	}
	if err := m.Thaw(); err != nil {
		t.Fatal(err)
	}
	if st, _ := m.State(); st != Thawed {
		t.Fatalf("State after Thaw = %v", st)
	}
	if !waitFor(10*time.Second, func() bool { return size() > before }) {
		t.Fatal("thawed process made no progress")
	}
	hasAcct := mode == V2 || m.Paths()["cpuacct"] != ""
	if s, err := m.Stats(); err != nil || (hasAcct && s.CPU.UsageNS == 0) {
		t.Errorf("Stats.CPU = %+v, %v: a busy shell used no CPU", s.CPU, err)
	}
	// kill --all of a paused container: a catchable signal leaves it paused, SIGKILL ends it.
	if err := m.Freeze(); err != nil {
		t.Fatal(err)
	}
	if err := KillAll(m, unix.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// (v2 lets a fatal signal kill a frozen task; the cgroup passes through FREEZING and stays
	// frozen.)
	if !waitFor(5*time.Second, func() bool { st, _ := m.State(); return st == Frozen }) {
		st, _ := m.State()
		t.Errorf("after KillAll(SIGTERM) of a frozen cgroup: %v, want still FROZEN", st)
	}
	if err := KillAll(m, unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err == nil {
		t.Error("writer exited 0 after KillAll")
	}
	if st, _ := m.State(); st != Thawed {
		t.Errorf("after KillAll(SIGKILL): %v, want THAWED", st)
	}
}

// TestV1RelativePath: a relative cgroupsPath lands under the caller's own cgroup of each
// controller (the test process itself runs in a memory cgroup here).
func TestV1RelativePath(t *testing.T) {
	_ = requireReal(t, V1)
	m, err := New(V1, DefaultRoot, "minictr-test-rel", "")
	if err != nil {
		t.Fatal(err)
	}
	own := ownCgroups()
	for ctrl, dir := range m.Paths() {
		want := filepath.Join(DefaultRoot, ctrl, own[ctrl], "minictr-test-rel")
		if dir != want {
			t.Errorf("%s: %s, want %s", ctrl, dir, want)
		}
	}
	if m.Exists() {
		t.Error("New created a directory")
	}
}

// BenchmarkV1ApplyDestroy: the cgroup part of one container's lifecycle (create every
// hierarchy, set a memory and pids limit, move a process in, move it out, remove).
func BenchmarkV1ApplyDestroy(b *testing.B) {
	if os.Geteuid() != 0 || Detect() != V1 {
		b.Skip("needs root on a v1 host")
	}
	r := &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(mib(64))}, Pids: &specs.LinuxPids{Limit: i64(100)}}
	self := os.Getpid()
	for i := 0; i < b.N; i++ {
		m, err := New(V1, DefaultRoot, fmt.Sprintf("/minictr-bench-%d-%d", self, i), "")
		if err != nil {
			b.Fatal(err)
		}
		own := ownCgroups()
		if err := m.Apply(self); err != nil {
			b.Fatal(err)
		}
		if err := m.Set(r); err != nil {
			b.Fatal(err)
		}
		for ctrl, dir := range m.Paths() { // back to where we were
			if err := writeFile(filepath.Join(DefaultRoot, ctrl, own[ctrl]), "cgroup.procs", fmt.Sprint(self)); err != nil {
				b.Fatalf("%s: %v", dir, err)
			}
		}
		if err := m.Destroy(); err != nil {
			b.Fatal(err)
		}
	}
}

// TestV1OOMKill: a process touching 256 MiB under a 16 MiB limit is OOM-killed, and Stats
// reports the kill.
func TestV1OOMKill(t *testing.T) { oomTest(t, V1, requireReal(t, V1)) }
func TestV2OOMKill(t *testing.T) {
	root := requireReal(t, V2)
	requireV2Controller(t, root, "memory")
	oomTest(t, V2, root)
}

func oomTest(t *testing.T, mode Mode, root string) {
	m := newReal(t, mode, root)
	// No swap either (swap = limit), where the kernel accounts swap.
	if err := m.Set(memRes(mib(16), mib(16))); err != nil {
		if !strings.Contains(err.Error(), "swap") {
			t.Fatal(err)
		}
		t.Logf("no swap accounting (%v): memory limit only", err)
		if err := m.Set(memRes(mib(16), 0)); err != nil {
			t.Fatal(err)
		}
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pw.Close()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), helperEnv+"=memhog")
	cmd.Stdin = pr
	outBuf := &strings.Builder{}
	cmd.Stdout = outBuf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pr.Close()
	if err := m.Apply(cmd.Process.Pid); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatal(err)
	}
	if _, err := pw.Write([]byte{1}); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if err == nil || !ws.Signaled() || ws.Signal() != unix.SIGKILL {
		t.Fatalf("memory hog: %v (%q), want killed by SIGKILL", err, outBuf.String())
	}
	s, err := m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if s.Memory.OOMKills < 1 || s.Memory.Limit != uint64(mib(16)) {
		t.Fatalf("Stats.Memory = %+v, want oom_kills >= 1 and limit 16 MiB", s.Memory)
	}
	if n := m.OOMKills(); n != s.Memory.OOMKills {
		t.Fatalf("OOMKills() = %d, Stats says %d", n, s.Memory.OOMKills)
	}
}

// TestV1ForkBomb: a shell fork bomb under pids.max=20 never exceeds 20 tasks; KillAll ends it
// (freezing first) and Destroy removes the cgroup.
func TestV1ForkBomb(t *testing.T) { forkBombTest(t, V1, requireReal(t, V1)) }
func TestV2ForkBomb(t *testing.T) {
	root := requireReal(t, V2)
	requireV2Controller(t, root, "pids")
	forkBombTest(t, V2, root)
}

func forkBombTest(t *testing.T, mode Mode, root string) {
	m := newReal(t, mode, root)
	if _, ok := m.Paths()["pids"]; !ok && mode == V1 {
		t.Skip("no v1 pids hierarchy")
	}
	if err := m.Set(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(20)}}); err != nil {
		t.Fatal(err)
	}
	// The bomb's shells are reparented to us when their parents die: be their subreaper and
	// reap them, so that no zombie outlives the test.
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0) }()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", "-c", `read x; f() { f & f & wait; }; f 2>/dev/null`)
	cmd.Stdin = pr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pr.Close()
	reapAll := func() {
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			var ws unix.WaitStatus
			pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
			if err == unix.ECHILD {
				return
			}
			if pid <= 0 {
				time.Sleep(10 * time.Millisecond)
			}
		}
	}
	defer reapAll()
	defer func() { _ = KillAll(m, unix.SIGKILL) }()
	if err := m.Apply(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	pw.Write([]byte("go\n"))
	pw.Close()
	hit := waitFor(30*time.Second, func() bool {
		s, err := m.Stats()
		return err == nil && s.Pids.LimitHits > 0
	})
	s, err := m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if !hit || s.Pids.Current > 20 || s.Pids.Limit != 20 {
		t.Fatalf("fork bomb: limit hit %v, Stats.Pids = %+v; want hits > 0, current <= 20", hit, s.Pids)
	}
	if pids, _ := m.Pids(); len(pids) > 20 {
		t.Fatalf("%d processes in a cgroup limited to 20", len(pids))
	}
	if err := KillAll(m, unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if !waitFor(20*time.Second, func() bool { p, _ := m.Pids(); return len(p) == 0 }) {
		p, _ := m.Pids()
		t.Fatalf("after KillAll still %d processes", len(p))
	}
	reapAll()
	_ = cmd.Process.Release()
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
	if m.Exists() {
		t.Fatal("cgroup left after Destroy")
	}
}

// TestV1KillAllWithoutFreezer: with no freezer path, KillAll still ends every process.
func TestV1KillAllWithoutFreezer(t *testing.T) {
	m := newReal(t, V1, requireReal(t, V1))
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pw.Close()
	// The shell forks only once it is inside the cgroup (the read gate).
	cmd := start(t, pr, "sh", "-c", "read x; sleep 1000 & sleep 1000 & wait")
	pr.Close()
	if err := m.Apply(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	pw.Write([]byte("go\n"))
	if !waitFor(10*time.Second, func() bool { p, _ := m.Pids(); return len(p) == 3 }) {
		p, _ := m.Pids()
		t.Fatalf("want the shell and two sleeps, got %v", p)
	}
	paths := m.Paths()
	delete(paths, "freezer")
	if err := KillAll(Load(V1, paths), unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err == nil {
		t.Error("shell exited 0 after SIGKILL")
	}
	// The sleeps were the shell's children: reparented, then killed; the cgroup empties.
	if !waitFor(10*time.Second, func() bool { p, _ := m.Pids(); return len(p) == 0 }) {
		p, _ := m.Pids()
		t.Fatalf("still in the cgroup: %v", p)
	}
}

// TestV2ForkTarget: a child started with clone3's CLONE_INTO_CGROUP on the ForkTarget
// directory is inside the cgroup from its first instruction, with no Apply.
func TestV2ForkTarget(t *testing.T) {
	m := newReal(t, V2, requireReal(t, V2))
	dir, err := m.ForkTarget()
	if err != nil {
		t.Fatal(err)
	}
	if dir == nil {
		t.Fatal("ForkTarget on v2 returned no directory")
	}
	defer dir.Close()
	cmd := exec.Command("sleep", "30")
	cmd.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: int(dir.Fd())}
	if err := cmd.Start(); err != nil {
		if errors.Is(err, unix.ENOSYS) {
			t.Skipf("kernel has no clone3: %v", err)
		}
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	pids, err := m.Pids()
	if err != nil {
		t.Fatal(err)
	}
	if !contains(pids, cmd.Process.Pid) {
		t.Fatalf("cgroup %v holds %v, want the child %d", m.Paths(), pids, cmd.Process.Pid)
	}
}

// TestV1ForkTargetNone: v1 has no fork-into-cgroup; the caller falls back to Apply.
func TestV1ForkTargetNone(t *testing.T) {
	m := newReal(t, V1, requireReal(t, V1))
	if f, err := m.ForkTarget(); f != nil || err != nil {
		t.Fatalf("v1 ForkTarget = %v, %v; want nil, nil", f, err)
	}
}

// TestV1SelfJoin: a single-threaded process that writes "0" to each file SelfJoinFiles lists
// ends up in every hierarchy of the container's cgroup, and so does its child.
func TestV1SelfJoin(t *testing.T) {
	root := requireReal(t, V1)
	m := newReal(t, V1, root)
	files, err := m.SelfJoinFiles()
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(m.Paths()) {
		t.Fatalf("SelfJoinFiles = %v for %d hierarchies", files, len(m.Paths()))
	}
	for _, f := range files {
		if filepath.Base(f) != "tasks" {
			t.Fatalf("SelfJoinFiles lists %s, want a tasks file", f)
		}
	}
	// The shell's builtin echo writes from the shell itself; cat is forked after the moves.
	script := `for f; do echo 0 > "$f" || exit 1; done; cat /proc/self/cgroup`
	out, err := exec.Command("sh", append([]string{"-c", script, "sh"}, files...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("self-join: %v: %s", err, out)
	}
	for ctrl, dir := range m.Paths() {
		rel := strings.TrimPrefix(dir, filepath.Join(root, ctrl))
		found := false
		for _, line := range strings.Split(string(out), "\n") {
			// hierarchy-id:controller[,controller]:path
			parts := strings.SplitN(line, ":", 3)
			if len(parts) == 3 && strings.HasSuffix(parts[2], rel) && slices.Contains(strings.Split(parts[1], ","), ctrl) {
				found = true
			}
		}
		if !found {
			t.Errorf("after the self-join, /proc/self/cgroup of the child has no %s line ending in %s:\n%s", ctrl, rel, out)
		}
	}
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
}
