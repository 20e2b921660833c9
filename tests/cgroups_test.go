package tests

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestMemoryLimitOOMKill(t *testing.T) {
	e := newEnv(t)
	limit := int64(32 << 20)
	e.spec.Linux.Resources.Memory = &specs.LinuxMemory{Limit: &limit}
	e.spec.Process.Args = []string{"/bin/probe", "memhog", "256"}
	e.save()
	r := e.run("run", "-b", e.bundle, newID(t))
	if r.code != 137 {
		t.Fatalf("memhog of 256 MiB under a 32 MiB limit: exit %d (stdout %q stderr %q), want 137 (SIGKILL by the OOM killer)", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "OOM killer") {
		t.Fatalf("the OOM kill is not reported: stderr %q", r.stderr)
	}
	// Under the limit it works.
	if out := e.runProbe("memhog", "8"); !strings.Contains(out, "allocated 8") {
		t.Fatalf("memhog 8: %q", out)
	}
}

func TestPidsLimitContainsForkBomb(t *testing.T) {
	e := newEnv(t)
	limit := int64(20)
	e.spec.Linux.Resources.Pids = &specs.LinuxPids{Limit: &limit}
	out := strings.TrimSpace(e.runProbe("forkbomb", "200"))
	var n int
	if _, err := fmtSscan(out, "started %d", &n); err != nil {
		t.Fatalf("forkbomb output %q", out)
	}
	if n >= 20 || n == 0 {
		t.Fatalf("forkbomb started %d children under pids.max=20", n)
	}
}

func TestUpdateResources(t *testing.T) {
	e := newEnv(t, "sleep", "60")
	id := newID(t)
	e.create(id)
	e.mustRun("start", id)
	res := `{"memory":{"limit":67108864},"pids":{"limit":50}}`
	if r := e.runIn(res, "update", "--resources", "-", id); r.code != 0 {
		t.Fatalf("update: %s", r.stderr)
	}
	for _, d := range cgroupDirs(id) {
		if strings.Contains(d, "/memory/") {
			if v := readTrim(d + "/memory.limit_in_bytes"); v != "67108864" {
				t.Errorf("memory.limit_in_bytes = %s", v)
			}
		}
		if strings.Contains(d, "/pids/") {
			if v := readTrim(d + "/pids.max"); v != "50" {
				t.Errorf("pids.max = %s", v)
			}
		}
		if strings.HasPrefix(d, "/sys/fs/cgroup/minictr/") {
			if v := readTrim(d + "/memory.max"); v != "67108864" {
				t.Errorf("memory.max = %s", v)
			}
		}
	}
}

// TestPidsLimitOne: a container may be limited to one process, as with runc: the limit is
// written once the init's set-up is done, so its own threads do not count against it, and
// the single-threaded program it execs runs.
func TestPidsLimitOne(t *testing.T) {
	e := newEnv(t)
	limit := int64(1)
	e.spec.Linux.Resources.Pids = &specs.LinuxPids{Limit: &limit}
	// Shell builtins only: the shell cannot fork.
	e.spec.Process.Args = []string{"/bin/sh", "-c", "f=/sys/fs/cgroup/pids/pids.max; [ -e /sys/fs/cgroup/pids.max ] && f=/sys/fs/cgroup/pids.max; read x < $f; echo max=$x"}
	e.save()
	r := e.run("run", "-b", e.bundle, newID(t))
	if r.code != 0 || strings.TrimSpace(r.stdout) != "max=1" {
		t.Fatalf("run under pids.max=1: exit %d, stdout %q (want max=1), stderr %q", r.code, r.stdout, r.stderr)
	}
	// A second process is refused.
	e.spec.Process.Args = []string{"/bin/sh", "-c", "/bin/true && echo forked"}
	e.save()
	r = e.run("run", "-b", e.bundle, newID(t))
	if r.code == 0 || strings.Contains(r.stdout, "forked") {
		t.Fatalf("a fork succeeded under pids.max=1: exit %d, stdout %q", r.code, r.stdout)
	}
}
