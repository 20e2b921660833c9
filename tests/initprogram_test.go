package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// initProgram is the name of the program a created container's init runs (it waits on the
// exec fifo, so it is still the runtime's program), as the kernel keeps it: at most 15 bytes.
func initProgram(t *testing.T, pid int) string {
	t.Helper()
	comm, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(comm))
}

// With minictr-container-init beside minictr (make build's layout, and this harness's), the
// init runs it.
func TestInitRunsContainerInitProgram(t *testing.T) {
	e := newEnv(t, "print", "hello")
	if !exists(filepath.Join(filepath.Dir(minictrBin), "minictr-container-init")) {
		t.Skip("no minictr-container-init beside " + minictrBin)
	}
	id := newID(t)
	st := e.create(id)
	if got := initProgram(t, st.Pid); got != "minictr-contain" {
		t.Fatalf("the init runs %s, want minictr-container-init", got)
	}
	e.mustRun("start", id)
	e.mustRun("delete", "--force", id)
}

// Without it (a minictr binary copied alone), minictr runs itself as the init: same result.
func TestInitFallsBackToMinictr(t *testing.T) {
	e := newEnv(t, "print", "alone")
	e.bin = filepath.Join(t.TempDir(), "minictr")
	if err := copyFile(minictrBin, e.bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if r := e.run("run", "-b", e.bundle, newID(t)); r.code != 0 || !strings.Contains(r.stdout, "alone") {
		t.Fatalf("run without minictr-container-init: exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	id := newID(t)
	st := e.create(id)
	if got := initProgram(t, st.Pid); got != "minictr" {
		t.Fatalf("the init runs %s, want minictr itself", got)
	}
}

// Run by hand, the init program says what it is and does nothing.
func TestContainerInitByHand(t *testing.T) {
	p := filepath.Join(filepath.Dir(minictrBin), "minictr-container-init")
	if !exists(p) {
		t.Skip("no minictr-container-init beside " + minictrBin)
	}
	for _, args := range [][]string{nil, {"init"}} {
		out, err := exec.Command(p, args...).CombinedOutput()
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.ExitCode() == 0 || !strings.Contains(string(out), "minictr-container-init") {
			t.Errorf("minictr-container-init %v: %v, output %q", args, err, out)
		}
	}
}
