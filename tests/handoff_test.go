package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// comm is the name of the program a process runs, as the kernel keeps it (at most 15 bytes).
func comm(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func needLean(t *testing.T) {
	t.Helper()
	if !exists(filepath.Join(filepath.Dir(minictrBin), "minictr-runtime")) {
		t.Skip("no minictr-runtime beside " + minictrBin)
	}
}

// With minictr-runtime beside minictr (make build's layout, and this harness's), a created
// container's init (still waiting on its exec fifo) runs it.
func TestInitRunsLeanBuild(t *testing.T) {
	needLean(t)
	e := newEnv(t, "print", "hello")
	id := newID(t)
	st := e.create(id)
	if got := comm(t, st.Pid); got != "minictr-runtime" {
		t.Fatalf("the init runs %s, want minictr-runtime", got)
	}
	e.mustRun("start", id)
	e.mustRun("delete", "--force", id)
}

// Without it (minictr copied alone), minictr does everything itself: the same result.
func TestWorksWithoutLeanBuild(t *testing.T) {
	e := newEnv(t, "print", "alone")
	e.bin = filepath.Join(t.TempDir(), "minictr")
	if err := copyFile(minictrBin, e.bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if r := e.run("run", "-b", e.bundle, newID(t)); r.code != 0 || !strings.Contains(r.stdout, "alone") {
		t.Fatalf("run without minictr-runtime: exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	id := newID(t)
	st := e.create(id)
	if got := comm(t, st.Pid); got != "minictr" {
		t.Fatalf("the init runs %s, want minictr itself", got)
	}
}

// minictr hands run of a bundle to minictr-runtime before its Go runtime starts; with
// MINICTR_NO_HANDOFF=1 it runs the command itself.
func TestRunHandedToLeanBuild(t *testing.T) {
	needLean(t)
	for _, c := range []struct{ env, want string }{{"", "minictr-runtime"}, {"MINICTR_NO_HANDOFF=1", "minictr"}} {
		e := newEnv(t, "sleep", "30")
		id := newID(t)
		cmd := exec.Command(minictrBin, "--root", e.root, "run", "-b", e.bundle, id)
		cmd.Env = append(os.Environ(), c.env)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for e.run("state", id).code != 0 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		got := comm(t, cmd.Process.Pid)
		e.run("kill", id, "KILL")
		cmd.Wait()
		e.run("delete", "--force", id)
		if got != c.want {
			t.Errorf("%s run -b: the process runs %s, want %s", c.env, got, c.want)
		}
	}
}

// exec, what engines call into a running container, is handed off too.
func TestExecHandedToLeanBuild(t *testing.T) {
	needLean(t)
	e, id, _ := startSleeper(t, "handoff")
	cmd := exec.Command(minictrBin, "--root", e.root, "exec", id, "/bin/sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The exec'd process shows in ps once minictr (whichever build) has started it.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(e.run("ps", id).stdout, "sleep 30") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	got := comm(t, cmd.Process.Pid)
	cmd.Process.Kill()
	cmd.Wait()
	if got != "minictr-runtime" {
		t.Errorf("exec: the process runs %s, want minictr-runtime", got)
	}
}
