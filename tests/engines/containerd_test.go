package engines

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// containerd is one containerd daemon of our own: config, root, state, sockets and opt dir in a
// temporary directory, the CRI plugin disabled; stopped by its pid at the end.
type containerd struct {
	t        *testing.T
	dir      string
	sock     string
	runcRoot string // minictr's --root, as the runc shim passes it (plus the namespace)
	binary   string // the runtime binary given to the shim (--runc-binary)
	logPath  string
}

// The runc shim keeps its sockets in /run/containerd/s and ctr its fifos in
// /run/containerd/fifo whatever the daemon's state dir; the test removes what it added there.
var sharedRunDirs = []string{"/run/containerd/s", "/run/containerd/fifo"}

func newContainerd(t *testing.T) *containerd {
	t.Helper()
	// The socket path must fit in sun_path (108 bytes): a short temp dir of our own.
	dir, err := os.MkdirTemp("", "ctrd-")
	if err != nil {
		t.Fatal(err)
	}
	c := &containerd{t: t, dir: dir, sock: filepath.Join(dir, "c.sock"), runcRoot: filepath.Join(dir, "runc-root"),
		logPath: filepath.Join(dir, "containerd.log")}
	c.binary = minictrBin
	before := map[string]bool{}
	for _, d := range sharedRunDirs {
		for _, e := range dirEntries(d) {
			before[filepath.Join(d, e)] = true
		}
	}
	t.Cleanup(func() {
		unmountAll(dir)
		for _, d := range sharedRunDirs {
			for _, e := range dirEntries(d) {
				if p := filepath.Join(d, e); !before[p] {
					os.RemoveAll(p)
				}
			}
		}
		if ps := processesMentioning(dir); len(ps) > 0 {
			t.Errorf("processes left behind:\n%s", strings.Join(ps, "\n"))
		}
		if t.Failed() {
			if log, err := os.ReadFile(c.logPath); err == nil {
				lines := strings.Split(string(log), "\n")
				if len(lines) > 60 {
					lines = lines[len(lines)-60:]
				}
				t.Logf("containerd log (end):\n%s", strings.Join(lines, "\n"))
			}
		}
		os.RemoveAll(dir)
	})
	conf := fmt.Sprintf(`version = 2
root = "%[1]s/root"
state = "%[1]s/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]

[grpc]
  address = "%[2]s"

[ttrpc]
  address = "%[2]s.ttrpc"

[debug]
  level = "debug"

[plugins."io.containerd.internal.v1.opt"]
  path = "%[1]s/opt"
`, dir, c.sock)
	confPath := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	// Registered after the clean-up above, so it runs first: the daemon stops before its
	// directories go.
	d := startDaemon(t, c.logPath, "containerd", "--config", confPath)
	if !eventually(30*time.Second, func() bool {
		if d.ProcessState != nil {
			return true
		}
		return runCmd(t, 10*time.Second, nil, "ctr", "--address", c.sock, "version").code == 0
	}) {
		t.Fatalf("containerd did not answer on %s within 30 s", c.sock)
	}
	t.Cleanup(func() {
		// Whatever a failed test left: tasks killed and deleted, containers removed, so that
		// the shims exit before the daemon does.
		for _, id := range c.containerIDs() {
			c.run("task", "kill", "--all", "--signal", "SIGKILL", id)
			eventually(5*time.Second, func() bool { return !strings.Contains(c.run("task", "ls").stdout, id+" ") })
			c.run("task", "delete", "--force", id)
			c.run("container", "delete", id)
		}
	})
	c.must("images", "import", "--base-name", strings.TrimSuffix(imageName, ":latest"), ociArchive)
	return c
}

// with returns c reporting to t (a subtest), so that a fatal failure stops that subtest.
func (c *containerd) with(t *testing.T) *containerd {
	cc := *c
	cc.t = t
	return &cc
}

func (c *containerd) run(args ...string) result {
	c.t.Helper()
	return runCmd(c.t, 90*time.Second, nil, "ctr", append([]string{"--address", c.sock}, args...)...)
}

func (c *containerd) must(args ...string) string {
	c.t.Helper()
	r := c.run(args...)
	if r.code != 0 {
		c.t.Fatalf("ctr %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

func (c *containerd) pty(args ...string) (string, int) {
	c.t.Helper()
	return runPTY(c.t, 90*time.Second, nil, "", "ctr", append([]string{"--address", c.sock}, args...)...)
}

// runArgs are the `ctr run` flags that make minictr the runc shim's runtime.
func (c *containerd) runArgs() []string {
	return []string{"run", "--runc-binary", c.binary, "--runc-root", c.runcRoot}
}

func (c *containerd) containerIDs() []string {
	r := c.run("container", "ls", "--quiet")
	return strings.Fields(r.stdout)
}

// task returns the pid and status `ctr task ls` shows for id.
func (c *containerd) task(id string) (int, string) {
	c.t.Helper()
	for _, line := range strings.Split(c.must("task", "ls"), "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && f[0] == id {
			pid, _ := strconv.Atoi(f[1])
			return pid, f[2]
		}
	}
	return 0, ""
}

func (c *containerd) waitStatus(id, want string) int {
	c.t.Helper()
	var pid int
	var status string
	if !eventually(15*time.Second, func() bool { pid, status = c.task(id); return status == want }) {
		c.t.Fatalf("task %s: status %q, want %q", id, status, want)
	}
	return pid
}

// checkGone checks that nothing of container id is left: minictr's state, cgroups, processes.
func (c *containerd) checkGone(id string, pids ...int) {
	c.t.Helper()
	if !eventually(10*time.Second, func() bool {
		_, err := os.Stat(filepath.Join(c.runcRoot, "default", id))
		return os.IsNotExist(err)
	}) {
		c.t.Errorf("minictr state of %s left: %v", id, dirEntries(filepath.Join(c.runcRoot, "default")))
	}
	if !eventually(10*time.Second, func() bool { return len(cgroupDirsNamed(id)) == 0 }) {
		c.t.Errorf("cgroups of %s left: %v", id, cgroupDirsNamed(id))
	}
	for _, pid := range pids {
		if !eventually(10*time.Second, func() bool { return !processAlive(pid) }) {
			c.t.Errorf("process %d of %s still alive", pid, id)
		}
	}
	if ms := mountsUnder(c.dir); len(ms) > 0 {
		c.t.Errorf("mounts left under containerd's dirs: %v", ms)
	}
}

func TestContainerd(t *testing.T) {
	needTools(t, "containerd", "ctr", "containerd-shim-runc-v2")
	needCgroupV1(t)
	c0 := newContainerd(t)

	t.Run("run-rm-echo", func(t *testing.T) {
		c := c0.with(t)
		id := "minictr-echo"
		out := c.must(append(c.runArgs(), "--rm", imageName, id, "echo", "hi")...)
		if out != "hi\n" {
			t.Fatalf("ctr run --rm echo hi: stdout %q", out)
		}
		c.checkGone(id)
	})

	t.Run("run-exit-code", func(t *testing.T) {
		c := c0.with(t)
		id := "minictr-exit"
		if r := c.run(append(c.runArgs(), "--rm", imageName, id, "sh", "-c", "exit 7")...); r.code != 7 {
			t.Fatalf("exit 7 in the container: ctr exited %d, stderr %q", r.code, r.stderr)
		}
		c.checkGone(id)
	})

	t.Run("run-missing-program", func(t *testing.T) {
		c := c0.with(t)
		id := "minictr-missing"
		r := c.run(append(c.runArgs(), "--rm", imageName, id, "/no/such/program")...)
		// The shim passes on the last "msg" of minictr's JSON log.
		if r.code == 0 || !strings.Contains(r.stderr, "/no/such/program") || !strings.Contains(r.stderr, "no such file or directory") {
			t.Fatalf("missing program: exit %d, stderr %q", r.code, r.stderr)
		}
		c.run("container", "delete", id)
		c.checkGone(id)
	})

	t.Run("run-t", func(t *testing.T) {
		c := c0.with(t)
		id := "minictr-tty"
		out, code := c.pty(append(c.runArgs(), "-t", "--rm", imageName, id, "sh", "-c", "tty; exit 3")...)
		if code != 3 || !strings.Contains(out, "/dev/pts/") {
			t.Fatalf("ctr run -t: exit %d (want 3), terminal output %q", code, out)
		}
		c.checkGone(id)
	})

	t.Run("task-verbs", func(t *testing.T) {
		c := c0.with(t)
		id := "minictr-task"
		script := `trap "echo usr1 >> /tmp/signals" USR1; while :; do sleep 0.1; done`
		c.must(append(c.runArgs(), "-d", "--memory-limit", strconv.Itoa(64<<20), imageName, id, "sh", "-c", script)...)
		pid := c.waitStatus(id, "RUNNING")
		// ctr's default spec mounts no cgroupfs in the container: the limit is read on the host.
		if s, err := readCgroupFile(pid, "memory", "memory.limit_in_bytes"); err != nil || s != strconv.Itoa(64<<20) {
			t.Errorf("memory.limit_in_bytes of ctr run --memory-limit 64 MiB: %q, %v", s, err)
		}
		if _, err := os.Stat(filepath.Join(c.runcRoot, "default", id, "state.json")); err != nil {
			t.Fatalf("the task is not minictr's: %v", err)
		}

		if out := c.must("task", "exec", "--exec-id", "e1", id, "echo", "exec-ok"); out != "exec-ok\n" {
			t.Errorf("ctr task exec echo: %q", out)
		}
		if r := c.run("task", "exec", "--exec-id", "e2", id, "sh", "-c", "exit 4"); r.code != 4 {
			t.Errorf("ctr task exec exit 4: exit %d, stderr %q", r.code, r.stderr)
		}
		if out, code := c.pty("task", "exec", "-t", "--exec-id", "e3", id, "sh", "-c", "tty; exit 5"); code != 5 || !strings.Contains(out, "/dev/pts/") {
			t.Errorf("ctr task exec -t: exit %d (want 5), terminal output %q", code, out)
		}

		out := c.must("task", "ps", id)
		if !regexp.MustCompile(`(?m)^` + strconv.Itoa(pid) + `\s`).MatchString(out) {
			t.Errorf("ctr task ps: the init's pid %d is not listed:\n%s", pid, out)
		}

		c.must("task", "pause", id)
		c.waitStatus(id, "PAUSED")
		if s, err := readCgroupFile(pid, "freezer", "freezer.state"); err != nil || s != "FROZEN" {
			t.Errorf("freezer.state after pause: %q, %v", s, err)
		}
		c.must("task", "resume", id)
		c.waitStatus(id, "RUNNING")
		if s, err := readCgroupFile(pid, "freezer", "freezer.state"); err != nil || s != "THAWED" {
			t.Errorf("freezer.state after resume: %q, %v", s, err)
		}

		c.must("task", "kill", "--signal", "SIGUSR1", id)
		if !eventually(10*time.Second, func() bool {
			return strings.Contains(c.run("task", "exec", "--exec-id", "cat-signals", id, "cat", "/tmp/signals").stdout, "usr1")
		}) {
			t.Errorf("the container's trap never saw SIGUSR1")
		}

		t.Run("update-memory-limit", func(t *testing.T) {
			c := c0.with(t)
			if help := c.run("task", "--help"); !strings.Contains(help.stdout+help.stderr, "update") {
				t.Skip("this ctr has no `task update` (containerd 1.6); the shim's update path is covered by podman update")
			}
			c.must("task", "update", "--memory-limit", strconv.Itoa(96<<20), id)
			if s, err := readCgroupFile(pid, "memory", "memory.limit_in_bytes"); err != nil || s != strconv.Itoa(96<<20) {
				t.Errorf("memory.limit_in_bytes after ctr task update: %q, %v", s, err)
			}
		})

		// A second process, so that kill --all has more than the init to reach.
		c.must("task", "exec", "--detach", "--exec-id", "sleeper", id, "sleep", "300")
		c.must("task", "kill", "--all", "--signal", "SIGKILL", id)
		c.waitStatus(id, "STOPPED")
		c.must("task", "delete", id)
		if _, status := c.task(id); status != "" {
			t.Errorf("task %s still listed after delete: %s", id, status)
		}
		c.must("container", "delete", id)
		c.checkGone(id, pid)
	})

	t.Run("nothing-left", func(t *testing.T) {
		c := c0.with(t)
		if ids := c.containerIDs(); len(ids) > 0 {
			t.Errorf("containers left: %v", ids)
		}
		// Only the daemon itself mentions our directory now; the shims are gone.
		if !eventually(15*time.Second, func() bool { return len(processesMentioning(c.dir)) <= 1 }) {
			t.Errorf("processes left besides containerd: %v", processesMentioning(c.dir))
		}
		if ents := dirEntries(filepath.Join(c.runcRoot, "default")); len(ents) > 0 {
			t.Errorf("minictr state left: %v", ents)
		}
	})
}
