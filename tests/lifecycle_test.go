package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minictr/minictr/runtime"
)

func TestRunExitCode(t *testing.T) {
	e := newEnv(t, "exit", "7")
	r := e.run("run", "-b", e.bundle, newID(t))
	if r.code != 7 {
		t.Fatalf("exit code %d, want 7 (stderr %q)", r.code, r.stderr)
	}
}

func TestRunOutput(t *testing.T) {
	e := newEnv(t)
	if out := e.runProbe("print", "hello", "world"); out != "hello world\n" {
		t.Fatalf("stdout %q", out)
	}
}

func TestPidOneInside(t *testing.T) {
	e := newEnv(t)
	if out := strings.TrimSpace(e.runProbe("pid")); out != "1" {
		t.Fatalf("pid inside = %s, want 1", out)
	}
}

func TestHostname(t *testing.T) {
	e := newEnv(t)
	e.spec.Hostname = "box-under-test"
	e.spec.Domainname = "example.test"
	if out := strings.TrimSpace(e.runProbe("hostname")); out != "box-under-test" {
		t.Fatalf("hostname %q", out)
	}
	if out := strings.TrimSpace(e.runProbe("domainname")); out != "example.test" {
		t.Fatalf("domainname %q", out)
	}
	if h, _ := os.Hostname(); h == "box-under-test" {
		t.Fatal("the host's hostname changed")
	}
}

func TestEnvCwdUser(t *testing.T) {
	e := newEnv(t)
	e.spec.Process.Env = append(e.spec.Process.Env, "GREETING=hi there")
	e.spec.Process.Cwd = "/tmp"
	e.spec.Process.User = specs.User{UID: 1000, GID: 1000, AdditionalGids: []uint32{27, 1000}}
	if out := strings.TrimSpace(e.runProbe("env", "GREETING")); out != "hi there" {
		t.Fatalf("env GREETING = %q", out)
	}
	if out := strings.TrimSpace(e.runProbe("cwd")); out != "/tmp" {
		t.Fatalf("cwd %q", out)
	}
	if out := strings.TrimSpace(e.runProbe("id")); out != "uid=1000 gid=1000 groups=[27 1000]" {
		t.Fatalf("id %q", out)
	}
	if out := strings.TrimSpace(e.runProbe("env", "HOME")); out != "/home/user" {
		t.Fatalf("HOME = %q, want the passwd entry's /home/user", out)
	}
}

func TestRlimits(t *testing.T) {
	e := newEnv(t)
	e.spec.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 123, Hard: 456}, {Type: "RLIMIT_CORE", Soft: 0, Hard: 0}}
	// busybox's ulimit, not the probe: a Go program raises its own soft NOFILE limit at start.
	e.spec.Process.Args = []string{"/bin/sh", "-c", "ulimit -Sn; ulimit -Hn; ulimit -c"}
	e.save()
	if out := e.mustRun("run", "-b", e.bundle, newID(t)); out != "123\n456\n0\n" {
		t.Fatalf("ulimit -Sn, -Hn, -c: %q", out)
	}
}

func TestCapabilitiesDropped(t *testing.T) {
	e := newEnv(t)
	// Only CAP_KILL (5) and CAP_NET_BIND_SERVICE (10): mask 0x420.
	set := []string{"CAP_KILL", "CAP_NET_BIND_SERVICE"}
	e.spec.Process.Capabilities = &specs.LinuxCapabilities{Bounding: set, Effective: set, Permitted: set}
	out := e.runProbe("caps")
	for _, want := range []string{"CapEff:\t0000000000000420", "CapPrm:\t0000000000000420", "CapBnd:\t0000000000000420", "CapInh:\t0000000000000000", "NoNewPrivs:\t1"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}

func TestCreateStartStateTransitions(t *testing.T) {
	e := newEnv(t, "wait-signal")
	id := newID(t)
	pidFile := filepath.Join(t.TempDir(), "pid")
	e.mustRun("create", "-b", e.bundle, "--pid-file", pidFile, id)
	t.Cleanup(func() { e.run("delete", "--force", id) })
	st := e.state(id)
	if st.Status != specs.StateCreated || st.Pid <= 0 || st.ID != id || st.Bundle != e.bundle || st.Version == "" {
		t.Fatalf("after create: %+v", st)
	}
	data, err := os.ReadFile(pidFile)
	if err != nil || strings.TrimSpace(string(data)) != strconv.Itoa(st.Pid) {
		t.Fatalf("pid file %q (%v), state pid %d", data, err, st.Pid)
	}
	// The user's program has not run yet: the init is still our binary.
	if exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", st.Pid)); strings.HasSuffix(exe, "/probe") {
		t.Fatalf("after create the process is already the user's program (%s)", exe)
	}
	e.mustRun("start", id)
	e.waitStatus(id, specs.StateRunning)
	if r := e.run("start", id); r.code == 0 || !strings.Contains(r.stderr, "running") {
		t.Fatalf("second start: exit %d, stderr %q; want an error saying it is running", r.code, r.stderr)
	}
	e.mustRun("kill", id, "TERM")
	e.waitStatus(id, specs.StateStopped)
	e.mustRun("delete", id)
	if r := e.run("state", id); r.code == 0 {
		t.Fatalf("state after delete succeeded: %s", r.stdout)
	}
}

func TestKillSignals(t *testing.T) {
	for _, sig := range []string{"USR1", "SIGHUP", "15"} {
		t.Run(sig, func(t *testing.T) {
			e := newEnv(t, "wait-signal")
			id := newID(t)
			st := e.create(id)
			e.mustRun("start", id)
			e.waitStatus(id, specs.StateRunning)
			// PID 1 ignores a signal it has no handler for: wait until the probe caught it.
			waitSignalHandler(t, st.Pid, sig)
			e.mustRun("kill", id, sig)
			e.waitStatus(id, specs.StateStopped)
		})
	}
	e := newEnv(t, "wait-signal")
	if r := e.run("kill", "nonexistent-id", "TERM"); r.code == 0 {
		t.Fatal("kill of an unknown container succeeded")
	}
}

func TestDeleteForceRunning(t *testing.T) {
	e := newEnv(t, "sleep", "60")
	id := newID(t)
	e.create(id)
	e.mustRun("start", id)
	if r := e.run("delete", id); r.code == 0 {
		t.Fatal("delete of a running container without --force succeeded")
	}
	e.mustRun("delete", "--force", id)
	// --force on a container that is gone succeeds.
	e.mustRun("delete", "--force", id)
}

func TestDeleteLeavesNothing(t *testing.T) {
	e := newEnv(t, "sleep", "60")
	id := newID(t)
	e.create(id)
	e.mustRun("start", id)
	cg := cgroupDirs(id)
	if len(cg) == 0 {
		t.Fatal("no cgroup directory found for the running container")
	}
	e.mustRun("delete", "--force", id)
	for _, d := range cg {
		if _, err := os.Stat(d); err == nil {
			t.Errorf("cgroup dir %s left behind", d)
		}
	}
	if _, err := os.Stat(filepath.Join(e.root, id)); err == nil {
		t.Error("state dir left behind")
	}
	// No mount of the container's is left on the host (other tests may mount elsewhere at the
	// same time, so the check is for this bundle's paths, not a count).
	if mi := hostMountinfo(t); strings.Contains(mi, e.bundle) || strings.Contains(mi, id) {
		t.Errorf("mounts of the container left on the host:\n%s", mi)
	}
}

func TestList(t *testing.T) {
	e := newEnv(t, "sleep", "60")
	id := newID(t)
	e.create(id)
	out := e.mustRun("list")
	if !strings.Contains(out, id) || !strings.Contains(out, "created") {
		t.Fatalf("list:\n%s", out)
	}
	if out := e.mustRun("list", "--format", "json"); !strings.Contains(out, `"id": "`+id+`"`) {
		t.Fatalf("list json:\n%s", out)
	}
}

// startSleeper creates and starts a container that sleeps, with the given hostname.
func startSleeper(t *testing.T, hostname string) (*env, string, specs.State) {
	t.Helper()
	e := newEnv(t, "sleep", "60")
	e.spec.Hostname = hostname
	e.save()
	id := newID(t)
	st := e.create(id)
	e.mustRun("start", id)
	return e, id, st
}

func TestExecJoinsNamespaces(t *testing.T) {
	e, id, st := startSleeper(t, "exec-target")
	if out := strings.TrimSpace(e.mustRun("exec", id, "/bin/probe", "hostname")); out != "exec-target" {
		t.Fatalf("exec hostname %q", out)
	}
	for _, ns := range []string{"pid", "mnt", "ipc", "uts", "net"} {
		inside := strings.TrimSpace(e.mustRun("exec", id, "/bin/probe", "ns", ns))
		want, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", st.Pid, ns))
		if inside != want {
			t.Errorf("exec %s namespace %s, init's %s", ns, inside, want)
		}
	}
	if r := e.run("exec", id, "/bin/probe", "exit", "3"); r.code != 3 {
		t.Fatalf("exec exit code %d, want 3 (stderr %q)", r.code, r.stderr)
	}
	// The exec'd process is in the container's cgroup.
	pidsOut := e.mustRun("ps", "--format", "json", id)
	if !strings.HasPrefix(pidsOut, "[") {
		t.Fatalf("ps json: %q", pidsOut)
	}
}

func TestExecProcessFile(t *testing.T) {
	e := newEnv(t, "sleep", "60")
	id := newID(t)
	e.create(id)
	e.mustRun("start", id)
	proc := `{"args":["/bin/probe","cwd"],"cwd":"/tmp","env":["PATH=/bin"],"user":{"uid":0,"gid":0}}`
	path := filepath.Join(t.TempDir(), "process.json")
	os.WriteFile(path, []byte(proc), 0o644)
	if out := strings.TrimSpace(e.mustRun("exec", "--process", path, id)); out != "/tmp" {
		t.Fatalf("exec --process cwd %q", out)
	}
}

func TestPauseResume(t *testing.T) {
	e := newEnv(t, "sleep", "60")
	id := newID(t)
	st := e.create(id)
	e.mustRun("start", id)
	e.mustRun("pause", id)
	if s := e.state(id).Status; s != runtime.StatePaused {
		t.Fatalf("after pause: %s", s)
	}
	if state := procState(st.Pid); state != "D" && state != "S" && state != "T" {
		t.Logf("frozen init in state %q", state)
	}
	e.mustRun("resume", id)
	if s := e.state(id).Status; s != specs.StateRunning {
		t.Fatalf("after resume: %s", s)
	}
}

func TestConcurrentCreateDelete(t *testing.T) {
	e := newEnv(t, "sleep", "60")
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan string, 2*n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			id := fmt.Sprintf("%s-%d", newID(t), i)
			if r := e.run("create", "-b", e.bundle, id); r.code != 0 {
				errs <- fmt.Sprintf("create %s: %s", id, r.stderr)
				return
			}
			if r := e.run("delete", "--force", id); r.code != 0 {
				errs <- fmt.Sprintf("delete %s: %s", id, r.stderr)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
	if out := strings.TrimSpace(e.mustRun("list", "-q")); out != "" {
		t.Fatalf("containers left: %s", out)
	}
}

func TestHooks(t *testing.T) {
	e := newEnv(t, "exit", "0")
	log := filepath.Join(t.TempDir(), "hooks.log")
	hook := func(stage string) specs.Hook {
		return specs.Hook{Path: "/bin/sh", Args: []string{"sh", "-c", fmt.Sprintf("read s; echo %s \"$s\" >> %s", stage, log)}}
	}
	e.spec.Hooks = &specs.Hooks{
		CreateRuntime: []specs.Hook{hook("createRuntime")},
		Poststart:     []specs.Hook{hook("poststart")},
		Poststop:      []specs.Hook{hook("poststop")},
	}
	e.save()
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh on the host")
	}
	id := newID(t)
	e.mustRun("run", "-b", e.bundle, id)
	data, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	var stages []string
	for _, l := range lines {
		stages = append(stages, strings.Fields(l)[0])
		if !strings.Contains(l, `"id":"`+id+`"`) {
			t.Errorf("hook state without the id: %s", l)
		}
	}
	if got := strings.Join(stages, ","); got != "createRuntime,poststart,poststop" {
		t.Fatalf("hook order %s", got)
	}
}

func procState(pid int) string {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		return ""
	}
	return s[i+2 : i+3]
}

// cgroupDirs finds the container's cgroup directories under /sys/fs/cgroup (v1 or v2).
func cgroupDirs(id string) []string {
	var out []string
	matches, _ := filepath.Glob("/sys/fs/cgroup/*/minictr/" + id)
	out = append(out, matches...)
	if _, err := os.Stat("/sys/fs/cgroup/minictr/" + id); err == nil {
		out = append(out, "/sys/fs/cgroup/minictr/"+id)
	}
	return out
}

func hostMountinfo(t *testing.T) string {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// waitSignalHandler waits (at most 10 s) until pid has a handler for sig (its bit in SigCgt).
func waitSignalHandler(t *testing.T, pid int, sig string) {
	t.Helper()
	n, err := runtime.ParseSignal(sig)
	if err != nil {
		t.Fatal(err)
	}
	bit := uint64(1) << (uint(n) - 1)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		for _, l := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(l, "SigCgt:"); ok {
				if m, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64); err == nil && m&bit != 0 {
					return
				}
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("pid %d has no handler for %s after 10s", pid, sig)
}

// TestRunForwardsSignals: a signal sent to a foreground `minictr run` reaches the container's
// process, which reports it and exits 0; run exits with that code.
func TestRunForwardsSignals(t *testing.T) {
	for _, sig := range []unix.Signal{unix.SIGUSR1, unix.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			e := newEnv(t, "wait-signal")
			id := newID(t)
			cmd := exec.Command(minictrBin, "--root", e.root, "run", "-b", e.bundle, id)
			// A file, not a pipe: a container left running would hold a pipe open.
			outF, err := os.CreateTemp(t.TempDir(), "out")
			if err != nil {
				t.Fatal(err)
			}
			defer outF.Close()
			cmd.Stdout, cmd.Stderr = outF, outF
			out := func() string { b, _ := os.ReadFile(outF.Name()); return string(b) }
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			exited := false
			defer func() {
				if !exited {
					e.run("delete", "--force", id)
					cmd.Process.Kill()
					<-done
				}
			}()
			// Wait until the probe runs with its handler: it prints "ready" once it has one.
			// "running" in the state is not enough: until the init has exec'd the probe, the
			// signal reaches minictr's own init, which as PID 1 of its namespace cannot die of
			// it and exits 2 (the Go runtime's last resort).
			deadline := time.Now().Add(10 * time.Second)
			for !strings.Contains(out(), "ready") && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if !strings.Contains(out(), "ready") {
				t.Fatalf("container %s never got ready: %q", id, out())
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-done:
				exited = true
				if err != nil {
					t.Fatalf("run after %v: %v; output %q", sig, err, out())
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("run still waiting 10s after %v: the signal was not forwarded\n%s", sig, out())
			}
			if !strings.Contains(out(), sig.String()) {
				t.Fatalf("the container did not report %v: %q", sig, out())
			}
		})
	}
}
