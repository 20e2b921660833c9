package engines

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// podman is one podman world in a temporary directory: store, run root, tmp dir, events log,
// containers.conf and storage.conf; minictr (through a wrapper that puts its state in
// stateDir) registered as the runtime "minictr".
type podman struct {
	t        *testing.T
	dir      string
	stateDir string   // minictr's --root
	env      []string // CONTAINERS_CONF and friends
	global   []string // flags before the podman subcommand
}

func newPodman(t *testing.T) *podman {
	t.Helper()
	dir := t.TempDir()
	p := &podman{t: t, dir: dir, stateDir: filepath.Join(dir, "minictr-state")}
	runtimePath := wrapper(t, dir, p.stateDir)
	conf := fmt.Sprintf(`[containers]
# CAP_SYS_RESOURCE may be missing: podman's default ulimits would need it.
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "%[1]s/events.log"
static_dir = "%[1]s/static"
tmp_dir = "%[1]s/tmp"
volume_path = "%[1]s/volumes"
runtime = "minictr"
runtime_supports_json = ["minictr"]

[engine.runtimes]
minictr = ["%[2]s"]

[network]
network_config_dir = "%[1]s/net"
`, dir, runtimePath)
	storage := fmt.Sprintf("[storage]\ndriver = \"vfs\"\nrunroot = \"%[1]s/runroot\"\ngraphroot = \"%[1]s/root\"\n", dir)
	for name, content := range map[string]string{"containers.conf": conf, "storage.conf": storage, "registries.conf": ""} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p.env = []string{
		"CONTAINERS_CONF=" + filepath.Join(dir, "containers.conf"),
		"CONTAINERS_STORAGE_CONF=" + filepath.Join(dir, "storage.conf"),
		"CONTAINERS_REGISTRIES_CONF=" + filepath.Join(dir, "registries.conf"),
	}
	p.global = []string{"--root", filepath.Join(dir, "root"), "--runroot", filepath.Join(dir, "runroot"),
		"--tmpdir", filepath.Join(dir, "tmp"), "--storage-driver", "vfs",
		"--cgroup-manager", "cgroupfs", "--events-backend", "file", "--runtime", "minictr"}
	t.Cleanup(func() {
		p.run("rm", "--all", "--force", "--time", "0")
		unmountAll(dir)
		if ps := processesMentioning(dir); len(ps) > 0 {
			t.Errorf("processes left behind:\n%s", strings.Join(ps, "\n"))
		}
	})
	p.must("import", layerTar, imageName)
	return p
}

// with returns p reporting to t (a subtest), so that a fatal failure stops that subtest.
func (p *podman) with(t *testing.T) *podman {
	pp := *p
	pp.t = t
	return &pp
}

func (p *podman) args(args ...string) []string {
	return append(append([]string{}, p.global...), args...)
}

func (p *podman) run(args ...string) result {
	p.t.Helper()
	return runCmd(p.t, 90*time.Second, p.env, "podman", p.args(args...)...)
}

func (p *podman) must(args ...string) string {
	p.t.Helper()
	r := p.run(args...)
	if r.code != 0 {
		p.t.Fatalf("podman %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

func (p *podman) pty(input string, args ...string) (string, int) {
	p.t.Helper()
	return runPTY(p.t, 90*time.Second, p.env, input, "podman", p.args(args...)...)
}

// inspectState is the part of `podman inspect` the tests look at.
type inspectState struct {
	ID    string `json:"Id"`
	State struct {
		Status   string
		Pid      int
		ExitCode int
	}
}

func (p *podman) inspect(name string) inspectState {
	p.t.Helper()
	var out []inspectState
	data := p.must("container", "inspect", name)
	if err := json.Unmarshal([]byte(data), &out); err != nil || len(out) != 1 {
		p.t.Fatalf("podman inspect %s: %v: %s", name, err, data)
	}
	return out[0]
}

func (p *podman) waitStatus(name, want string) inspectState {
	p.t.Helper()
	var st inspectState
	if !eventually(15*time.Second, func() bool { st = p.inspect(name); return st.State.Status == want }) {
		p.t.Fatalf("container %s: status %q, want %q", name, st.State.Status, want)
	}
	return st
}

// checkGone checks that nothing of container id is left: its minictr state, its cgroups, its
// processes.
func (p *podman) checkGone(id string, pids ...int) {
	p.t.Helper()
	if !eventually(10*time.Second, func() bool {
		_, err := os.Stat(filepath.Join(p.stateDir, id))
		return os.IsNotExist(err)
	}) {
		p.t.Errorf("minictr state of %s left in %s: %v", id, p.stateDir, dirEntries(p.stateDir))
	}
	if !eventually(10*time.Second, func() bool { return len(cgroupDirsNamed(id)) == 0 }) {
		p.t.Errorf("cgroups of %s left: %v", id, cgroupDirsNamed(id))
	}
	for _, pid := range pids {
		if !eventually(10*time.Second, func() bool { return !processAlive(pid) }) {
			p.t.Errorf("process %d of %s still alive", pid, id)
		}
	}
}

func TestPodman(t *testing.T) {
	needTools(t, "podman", "conmon")
	needCgroupV1(t)
	p0 := newPodman(t)
	run := []string{"run", "--network", "none"}

	t.Run("run-rm-echo", func(t *testing.T) {
		p := p0.with(t)
		out := p.must(append(run, "--rm", imageName, "echo", "hi")...)
		if out != "hi\n" {
			t.Fatalf("podman run --rm echo hi: stdout %q", out)
		}
	})

	t.Run("run-exit-code", func(t *testing.T) {
		p := p0.with(t)
		if r := p.run(append(run, "--rm", imageName, "sh", "-c", "exit 7")...); r.code != 7 {
			t.Fatalf("exit 7 in the container: podman exited %d, stderr %q", r.code, r.stderr)
		}
	})

	t.Run("run-missing-program", func(t *testing.T) {
		p := p0.with(t)
		r := p.run(append(run, "--rm", imageName, "/no/such/program")...)
		if r.code != 127 || !strings.Contains(r.stderr, "/no/such/program") {
			t.Fatalf("missing program: exit %d (want 127), stderr %q", r.code, r.stderr)
		}
	})

	t.Run("run-limits", func(t *testing.T) {
		p := p0.with(t)
		out := p.must(append(run, "--rm", "--memory", "64m", "--pids-limit", "50", "--cpu-shares", "512", imageName,
			"cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/pids/pids.max", "/sys/fs/cgroup/cpu/cpu.shares")...)
		if want := "67108864\n50\n512\n"; out != want {
			t.Fatalf("limits seen in the container: %q, want %q", out, want)
		}
	})

	t.Run("run-user", func(t *testing.T) {
		p := p0.with(t)
		// A user without capabilities must still get past the exec fifo at start.
		if out := p.must(append(run, "--rm", "--user", "65534", imageName, "id", "-u")...); out != "65534\n" {
			t.Fatalf("podman run --user 65534 id -u: %q", out)
		}
	})

	t.Run("run-preserve-fds", func(t *testing.T) {
		p := p0.with(t)
		path := filepath.Join(t.TempDir(), "passed")
		if err := os.WriteFile(path, []byte("through fd 3\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		r := runCmdFiles(t, 90*time.Second, p.env, []*os.File{f}, "podman",
			p.args(append(run, "--rm", "--preserve-fds", "1", imageName, "cat", "/proc/self/fd/3")...)...)
		if r.code != 0 || r.stdout != "through fd 3\n" {
			t.Fatalf("podman run --preserve-fds 1: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
		}
	})

	t.Run("run-d-wait-logs", func(t *testing.T) {
		p := p0.with(t)
		name := "minictr-wait"
		p.must(append(run, "-d", "--name", name, imageName, "sh", "-c", "echo to-the-log; exit 6")...)
		if out := strings.TrimSpace(p.must("wait", name)); out != "6" {
			t.Errorf("podman wait: %q, want 6", out)
		}
		if out := p.must("logs", name); out != "to-the-log\n" {
			t.Errorf("podman logs: %q", out)
		}
		p.must("rm", name)
	})

	t.Run("run-it", func(t *testing.T) {
		p := p0.with(t)
		out, code := p.pty("hello\n", append(run, "-it", "--rm", imageName, "sh", "-c", "tty; read x; echo got-$x; exit 3")...)
		if code != 3 || !strings.Contains(out, "/dev/pts/") || !strings.Contains(out, "got-hello") {
			t.Fatalf("podman run -it: exit %d (want 3), terminal output %q", code, out)
		}
	})

	t.Run("detached", func(t *testing.T) {
		p := p0.with(t)
		name := "minictr-detached"
		script := `trap "echo usr1 >> /tmp/signals" USR1; trap "exit 0" TERM; while :; do sleep 0.1; done`
		id := strings.TrimSpace(p.must(append(run, "-d", "--name", name, imageName, "sh", "-c", script)...))
		st := p.waitStatus(name, "running")
		pid := st.State.Pid
		if _, err := os.Stat(filepath.Join(p.stateDir, id, "state.json")); err != nil {
			t.Fatalf("the container is not minictr's: %v (state dir: %v)", err, dirEntries(p.stateDir))
		}

		if out := p.must("exec", name, "echo", "exec-ok"); out != "exec-ok\n" {
			t.Errorf("podman exec echo: %q", out)
		}
		if r := p.run("exec", name, "sh", "-c", "exit 4"); r.code != 4 {
			t.Errorf("podman exec exit 4: exit %d, stderr %q", r.code, r.stderr)
		}
		if out, code := p.pty("", "exec", "-it", name, "sh", "-c", "tty; exit 5"); code != 5 || !strings.Contains(out, "/dev/pts/") {
			t.Errorf("podman exec -it: exit %d (want 5), terminal output %q", code, out)
		}
		p.must("exec", "-d", name, "sleep", "300")
		if out := p.must("top", name, "pid", "args"); !strings.Contains(out, "sleep 300") || !strings.Contains(out, "PID") {
			t.Errorf("podman top: %q", out)
		}

		p.must("pause", name)
		p.waitStatus(name, "paused")
		if s, err := readCgroupFile(pid, "freezer", "freezer.state"); err != nil || s != "FROZEN" {
			t.Errorf("freezer.state after pause: %q, %v", s, err)
		}
		p.must("unpause", name)
		p.waitStatus(name, "running")
		if s, err := readCgroupFile(pid, "freezer", "freezer.state"); err != nil || s != "THAWED" {
			t.Errorf("freezer.state after unpause: %q, %v", s, err)
		}

		p.must("kill", "-s", "USR1", name)
		if !eventually(10*time.Second, func() bool {
			return strings.Contains(p.run("exec", name, "cat", "/tmp/signals").stdout, "usr1")
		}) {
			t.Errorf("the container's trap never saw SIGUSR1")
		}

		p.must("update", "--memory", "96m", name)
		if s, err := readCgroupFile(pid, "memory", "memory.limit_in_bytes"); err != nil || s != strconv.Itoa(96<<20) {
			t.Errorf("memory.limit_in_bytes after podman update --memory 96m: %q, %v", s, err)
		}

		p.must("stop", "--time", "20", name)
		st = p.waitStatus(name, "exited")
		if st.State.ExitCode != 0 {
			t.Errorf("exit code after stop (the trap exits 0 on SIGTERM): %d", st.State.ExitCode)
		}
		p.checkGone(id, pid)

		p.must("restart", name)
		st = p.waitStatus(name, "running")
		if st.State.Pid == pid || !processAlive(st.State.Pid) {
			t.Errorf("after restart: pid %d (before %d)", st.State.Pid, pid)
		}
		pid = st.State.Pid
		if out := p.must("exec", name, "echo", "again"); out != "again\n" {
			t.Errorf("podman exec after restart: %q", out)
		}

		p.must("rm", "--force", "--time", "0", name)
		p.checkGone(id, pid)
		if out := p.must("ps", "--all", "--quiet"); strings.TrimSpace(out) != "" {
			t.Errorf("podman ps -a after rm: %q", out)
		}
	})

	t.Run("nothing-left", func(t *testing.T) {
		p := p0.with(t)
		p.must("rm", "--all", "--force", "--time", "0")
		if !eventually(15*time.Second, func() bool { return len(processesMentioning(p.dir)) == 0 }) {
			t.Errorf("processes left behind: %v", processesMentioning(p.dir))
		}
		if ents := dirEntries(p.stateDir); len(ents) > 0 {
			t.Errorf("minictr state left: %v", ents)
		}
	})
}
