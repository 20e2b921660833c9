package cgroups

import (
	"bufio"
	"os"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func i64(v int64) *int64   { return &v }
func u64(v uint64) *uint64 { return &v }
func u16(v uint16) *uint16 { return &v }
func boolp(v bool) *bool   { return &v }
func mib(n int64) int64    { return n << 20 }
func memRes(limit, swap int64) *specs.LinuxResources {
	m := &specs.LinuxMemory{}
	if limit != 0 {
		m.Limit = i64(limit)
	}
	if swap != 0 {
		m.Swap = i64(swap)
	}
	return &specs.LinuxResources{Memory: m}
}

// TestDetectMatchesMounts checks Detect against the filesystem type /proc/mounts gives for
// /sys/fs/cgroup: cgroup2 -> V2; anything else (tmpfs with v1 hierarchies, hybrid) -> V1.
func TestDetectMatchesMounts(t *testing.T) {
	f, err := os.Open("/proc/mounts")
	if err != nil {
		t.Skip("no /proc/mounts:", err)
	}
	defer f.Close()
	fstype := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 3 && fields[1] == DefaultRoot {
			fstype = fields[2] // the last mount on the path wins
		}
	}
	if fstype == "" {
		t.Skip("nothing mounted at", DefaultRoot)
	}
	want := V1
	if fstype == "cgroup2" {
		want = V2
	}
	if got := Detect(); got != want {
		t.Fatalf("Detect() = %v, /sys/fs/cgroup is %s: want %v", got, fstype, want)
	}
	// A plain directory (a test root) is never taken for cgroup2.
	if got := detectAt(t.TempDir()); got != V1 {
		t.Fatalf("detectAt(tempdir) = %v, want v1", got)
	}
}

func TestResolvePath(t *testing.T) {
	cases := []struct {
		path, id, want, err string
	}{
		{"", "abc", "/minictr/abc", ""},
		{"/custom/x", "abc", "/custom/x", ""},
		{"/a/../../etc", "", "/etc", ""},
		{"rel/x", "", "rel/x", ""},
		{"../../up", "", "up", ""},
		{"", "", "", "valid container id"},
		{"", "a/b", "", "valid container id"},
		{"/", "x", "", "root cgroup"},
		{"/..", "x", "", "root cgroup"},
		{"system.slice:minictr:abc", "abc", "", "systemd"},
		{"/a\x00b", "x", "", "NUL"},
	}
	for _, c := range cases {
		got, err := resolvePath(c.path, c.id)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("resolvePath(%q,%q) err = %v, want containing %q", c.path, c.id, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("resolvePath(%q,%q) = %q, %v; want %q", c.path, c.id, got, err, c.want)
		}
	}
}

func TestSharesToWeight(t *testing.T) {
	cases := []struct{ shares, weight uint64 }{
		{0, 0},          // unset stays unset
		{1, 1},          // clamped to the minimum 2
		{2, 1},          // minimum
		{1024, 39},      // v1 default -> 1 + (1022*9999)/262142 = 39
		{262144, 10000}, // maximum
		{1 << 20, 10000},
		{512, 20},
	}
	for _, c := range cases {
		if got := SharesToWeight(c.shares); got != c.weight {
			t.Errorf("SharesToWeight(%d) = %d, want %d", c.shares, got, c.weight)
		}
	}
}

func TestBlkioWeightToIOWeight(t *testing.T) {
	cases := []struct {
		in  uint16
		out uint64
	}{{0, 0}, {10, 1}, {1000, 10000}, {500, 1 + 490*9999/990}, {5, 1}, {2000, 10000}}
	for _, c := range cases {
		if got := BlkioWeightToIOWeight(c.in); got != c.out {
			t.Errorf("BlkioWeightToIOWeight(%d) = %d, want %d", c.in, got, c.out)
		}
	}
}

func TestCPUMax(t *testing.T) {
	cases := []struct {
		quota  *int64
		period *uint64
		want   string
	}{
		{nil, nil, ""},
		{i64(50000), nil, "50000"},
		{i64(50000), u64(100000), "50000 100000"},
		{i64(-1), u64(100000), "max 100000"},
		{i64(-1), nil, "max"},
		{nil, u64(20000), "max 20000"},
	}
	for _, c := range cases {
		if got := CPUMax(c.quota, c.period); got != c.want {
			t.Errorf("CPUMax = %q, want %q", got, c.want)
		}
	}
}

func TestDeviceRule(t *testing.T) {
	cases := []struct {
		d    specs.LinuxDeviceCgroup
		want string
		err  string
	}{
		{specs.LinuxDeviceCgroup{Allow: false, Access: "rwm"}, "a *:* rwm", ""},
		{specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: i64(1), Minor: i64(3), Access: "rwm"}, "c 1:3 rwm", ""},
		{specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: i64(136), Access: "rw"}, "c 136:* rw", ""},
		{specs.LinuxDeviceCgroup{Allow: true, Type: "b", Major: i64(-1), Minor: i64(-1)}, "b *:* rwm", ""},
		{specs.LinuxDeviceCgroup{Type: "x"}, "", "device type"},
		{specs.LinuxDeviceCgroup{Type: "c", Access: "rwx"}, "", "device access"},
		{specs.LinuxDeviceCgroup{Type: "c", Major: i64(-5)}, "", "device number"},
		{specs.LinuxDeviceCgroup{Type: "c", Major: i64(1), Minor: i64(1 << 40)}, "", "device number"},
	}
	for _, c := range cases {
		got, err := DeviceRule(c.d)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("DeviceRule(%+v) err = %v, want %q", c.d, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("DeviceRule(%+v) = %q, %v; want %q", c.d, got, err, c.want)
		}
	}
}

// TestValidateResources: bad values are refused before any write, on both versions.
func TestValidateResources(t *testing.T) {
	cases := []struct {
		name string
		r    *specs.LinuxResources
		err  string
	}{
		{"swap below limit", memRes(mib(64), mib(32)), "must be >= the limit"},
		{"negative limit", memRes(-5, 0), "memory limit = -5"},
		{"swap with unlimited memory", memRes(-1, mib(32)), "unlimited memory"},
		{"swappiness", &specs.LinuxResources{Memory: &specs.LinuxMemory{Swappiness: u64(101)}}, "swappiness"},
		{"quota", &specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(-7)}}, "cpu quota"},
		{"unified slash", &specs.LinuxResources{Unified: map[string]string{"../x.y": "1"}}, "not a control file"},
		{"unified procs", &specs.LinuxResources{Unified: map[string]string{"cgroup.procs": "1"}}, "moving or killing"},
	}
	for _, c := range cases {
		for _, mode := range []Mode{V1, V2} {
			_, err := resourceOps(mode, c.r, func(string, string) (string, error) { return "", os.ErrNotExist })
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s (%v): err = %v, want containing %q", c.name, mode, err, c.err)
			}
		}
	}
}

// TestMemoryV1Order checks the write order of limit and memsw against the current limit: the
// kernel refuses a memsw below the limit at every moment.
func TestMemoryV1Order(t *testing.T) {
	cases := []struct {
		name        string
		curLimit    string
		limit, swap int64
		first       string
	}{
		{"raise both", "33554432", mib(64), mib(128), "memory.memsw.limit_in_bytes"},
		{"lower both below current limit", "134217728", mib(16), mib(32), "memory.limit_in_bytes"},
		{"from unlimited", "9223372036854771712", mib(16), mib(16), "memory.limit_in_bytes"},
		{"swap unlimited", "33554432", mib(64), -1, "memory.memsw.limit_in_bytes"},
		{"swap equals current", "33554432", mib(16), mib(32), "memory.memsw.limit_in_bytes"},
	}
	for _, c := range cases {
		rd := func(ctrl, file string) (string, error) {
			if file == "memory.limit_in_bytes" {
				return c.curLimit, nil
			}
			return "9223372036854771712", nil
		}
		ops, err := memoryV1(memRes(c.limit, c.swap).Memory, rd)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if len(ops) != 2 || ops[0].file != c.first {
			t.Errorf("%s: ops = %+v, want %s first", c.name, ops, c.first)
		}
	}
	// memsw asked for on a kernel without swap accounting: a clear error.
	_, err := memoryV1(memRes(mib(16), mib(32)).Memory, func(string, string) (string, error) { return "", os.ErrNotExist })
	if err == nil || !strings.Contains(err.Error(), "swapaccount") {
		t.Errorf("memsw missing: err = %v", err)
	}
	// Without swap in the spec, memsw is never read nor written.
	ops, err := memoryV1(memRes(mib(16), 0).Memory, func(string, string) (string, error) { return "", os.ErrNotExist })
	if err != nil || len(ops) != 1 || ops[0].file != "memory.limit_in_bytes" || ops[0].value != "16777216" {
		t.Errorf("limit only: ops = %+v, err = %v", ops, err)
	}
}

func TestSwapV2(t *testing.T) {
	cases := []struct {
		name    string
		limit   *int64
		swap    int64
		current string
		want    string
		err     string
	}{
		{"swap minus limit", i64(mib(64)), mib(96), "", "33554432", ""},
		{"equal means no swap", i64(mib(64)), mib(64), "", "0", ""},
		{"unlimited", i64(mib(64)), -1, "", "max", ""},
		{"update swap alone uses memory.max", nil, mib(48), "33554432", "16777216", ""},
		{"swap alone with unlimited memory", nil, mib(48), "max", "", "needs a memory limit"},
		{"below limit", nil, mib(8), "33554432", "", "below memory limit"},
	}
	for _, c := range cases {
		rd := func(string, string) (string, error) { return c.current, nil }
		got, err := swapV2(c.limit, c.swap, rd)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: err = %v, want %q", c.name, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s: = %q, %v; want %q", c.name, got, err, c.want)
		}
	}
}

func TestLoadKeepsPaths(t *testing.T) {
	p := map[string]string{"memory": "/sys/fs/cgroup/memory/x", "pids": "/sys/fs/cgroup/pids/x"}
	m := Load(V1, p)
	p["memory"] = "changed"
	if got := m.Paths()["memory"]; got != "/sys/fs/cgroup/memory/x" || m.Mode() != V1 {
		t.Fatalf("Load(V1) paths = %v, mode %v", m.Paths(), m.Mode())
	}
	m2 := Load(V2, map[string]string{"": "/sys/fs/cgroup/x"})
	if got := m2.Paths()[""]; got != "/sys/fs/cgroup/x" || m2.Mode() != V2 {
		t.Fatalf("Load(V2) paths = %v", m2.Paths())
	}
}
