package tests

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestCreateInterrupted: SIGINT in the middle of a create (here, during a slow createRuntime
// hook) does not kill minictr half-way: the create ends, is undone, and minictr fails saying
// why. Nothing is left: no state directory, no cgroup.
func TestCreateInterrupted(t *testing.T) {
	e := newEnv(t, "exit", "0")
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh on the host")
	}
	marker := filepath.Join(t.TempDir(), "hook-started")
	e.spec.Hooks = &specs.Hooks{CreateRuntime: []specs.Hook{{Path: "/bin/sh",
		Args: []string{"sh", "-c", "cat >/dev/null; : > " + marker + "; sleep 1"}}}}
	e.save()
	id := newID(t)
	t.Cleanup(func() { e.run("delete", "--force", id) })
	cmd := exec.Command(minictrBin, "--root", e.root, "create", "-b", e.bundle, id)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := os.Stat(marker); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			<-done
			t.Fatalf("the createRuntime hook did not start in 20s; stderr %q", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatal("minictr create still running 30s after SIGINT")
	}
	if cmd.ProcessState.ExitCode() == 0 || !strings.Contains(stderr.String(), "interrupted") {
		t.Fatalf("create after SIGINT: exit %d, stderr %q; want a failure that says it was interrupted",
			cmd.ProcessState.ExitCode(), stderr.String())
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		t.Fatalf("minictr was killed by %v instead of finishing the create and undoing it", ws.Signal())
	}
	if _, err := os.Stat(filepath.Join(e.root, id)); err == nil {
		t.Error("state dir left behind")
	}
	if d := cgroupDirs(id); len(d) > 0 {
		t.Errorf("cgroup dirs left behind: %v", d)
	}
}

// TestDeleteForceAfterKilledCreate: a create killed with SIGKILL after its init blocked on the
// exec fifo leaves a state directory without state.json. create then says how to clean up,
// and delete --force kills the init and removes its cgroup and the directory.
func TestDeleteForceAfterKilledCreate(t *testing.T) {
	e := newEnv(t, "exit", "0")
	id := newID(t)
	st := e.create(id)
	// What a killed create leaves: the record written before the init started, no state.json.
	dir := filepath.Join(e.root, id)
	data, err := os.ReadFile(filepath.Join(dir, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	var full struct {
		CgroupMode  int               `json:"cgroupMode"`
		CgroupPaths map[string]string `json:"cgroupPaths"`
	}
	if err := json.Unmarshal(data, &full); err != nil {
		t.Fatal(err)
	}
	rec, _ := json.Marshal(full)
	if err := os.WriteFile(filepath.Join(dir, "creating.json"), rec, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "state.json")); err != nil {
		t.Fatal(err)
	}
	cg := cgroupDirs(id)
	if len(cg) == 0 {
		t.Fatal("no cgroup directory for the created container")
	}

	r := e.run("create", "-b", e.bundle, id)
	if r.code == 0 || !strings.Contains(r.stderr, "delete --force") {
		t.Fatalf("create over a killed create's leftovers: exit %d, stderr %q; want an error that says how to clean up", r.code, r.stderr)
	}
	e.mustRun("delete", "--force", id)
	deadline := time.Now().Add(10 * time.Second)
	for s := procState(st.Pid); s != "" && s != "Z" && time.Now().Before(deadline); s = procState(st.Pid) {
		time.Sleep(20 * time.Millisecond)
	}
	if s := procState(st.Pid); s != "" && s != "Z" {
		t.Errorf("init %d still alive (state %s) after delete --force", st.Pid, s)
	}
	for _, d := range cg {
		if _, err := os.Stat(d); err == nil {
			t.Errorf("cgroup dir %s left behind", d)
		}
	}
	if _, err := os.Stat(dir); err == nil {
		t.Error("state dir left behind")
	}
}
