// Package tests drives the built minictr binary end to end, as root: each test makes a bundle
// whose rootfs holds busybox and our probe (tests/probe), runs minictr on it and checks what the
// probe saw from inside the container.
package tests

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

var (
	minictrBin string // the binary under test
	probeBin   string
	baseRootfs string // busybox + probe, copied into each bundle
	skipReason string // set when the suite cannot run here
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "minictr-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := func() int {
		defer os.RemoveAll(dir)
		if err := setup(dir); err != nil {
			skipReason = err.Error()
		}
		return m.Run()
	}()
	os.Exit(code)
}

func setup(dir string) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("end-to-end tests need root")
	}
	busybox, err := exec.LookPath("busybox")
	if err != nil {
		return fmt.Errorf("busybox not installed (Debian package busybox-static)")
	}
	minictrBin = filepath.Join(dir, "minictr")
	probeBin = filepath.Join(dir, "probe")
	// Prebuilt binaries: MINICTR_TEST_BIN is the binary under test (make test passes the one
	// make build made, so the suite tests what is shipped); with MINICTR_TEST_PROBE too, no Go
	// toolchain is needed (tests/box runs this suite inside a guest kernel).
	bin, probe := os.Getenv("MINICTR_TEST_BIN"), os.Getenv("MINICTR_TEST_PROBE")
	if probe != "" {
		if bin == "" {
			return fmt.Errorf("MINICTR_TEST_PROBE=%q needs MINICTR_TEST_BIN too", probe)
		}
		minictrBin, probeBin = bin, probe
		baseRootfs = filepath.Join(dir, "rootfs")
		return makeRootfs(baseRootfs, busybox, probeBin)
	}
	if bin != "" {
		if _, err := os.Stat(bin); err != nil {
			return fmt.Errorf("MINICTR_TEST_BIN: %w", err)
		}
		minictrBin = bin
	} else {
		build := exec.Command("go", "build", "-o", minictrBin, "../cmd/minictr")
		if out, err := build.CombinedOutput(); err != nil {
			return fmt.Errorf("build minictr: %v\n%s", err, out)
		}
		// Its lean build beside it, as make build lays them out.
		build = exec.Command("go", "build", "-tags", "lean", "-o", filepath.Join(dir, "minictr-runtime"), "../cmd/minictr")
		if out, err := build.CombinedOutput(); err != nil {
			return fmt.Errorf("build minictr-runtime: %v\n%s", err, out)
		}
	}
	build := exec.Command("go", "build", "-o", probeBin, "./probe")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("build probe: %v\n%s", err, out)
	}
	baseRootfs = filepath.Join(dir, "rootfs")
	return makeRootfs(baseRootfs, busybox, probeBin)
}

// makeRootfs lays out a small root filesystem: busybox with its applets, the probe, /etc files.
func makeRootfs(root, busybox, probe string) error {
	for _, d := range []string{"bin", "etc", "tmp", "proc", "sys", "dev", "root", "home/user"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return err
		}
	}
	os.Chmod(filepath.Join(root, "tmp"), 0o1777)
	if err := copyFile(busybox, filepath.Join(root, "bin/busybox"), 0o755); err != nil {
		return err
	}
	if err := copyFile(probe, filepath.Join(root, "bin/probe"), 0o755); err != nil {
		return err
	}
	for _, a := range []string{"sh", "ls", "cat", "echo", "sleep", "true", "false", "id", "mount", "ps", "kill", "touch", "mkdir", "rm", "wc", "grep", "ip", "hostname", "env", "stat", "readlink", "nc", "wget", "head", "tty"} {
		if err := os.Symlink("busybox", filepath.Join(root, "bin", a)); err != nil {
			return err
		}
	}
	files := map[string]string{
		"etc/passwd": "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n",
		"etc/group":  "root:x:0:\nuser:x:1000:\nnogroup:x:65534:\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(root, name), []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(src, dst string, mode os.FileMode) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, data, mode)
}

// env is one test's world: a state root and a bundle.
type env struct {
	t      *testing.T
	root   string // --root
	bundle string
	spec   *specs.Spec
	bin    string // the minictr binary when not minictrBin
}

// newEnv skips when the suite cannot run here, and makes a bundle running the probe with args.
func newEnv(t *testing.T, args ...string) *env {
	t.Helper()
	if skipReason != "" {
		t.Skip(skipReason)
	}
	dir := t.TempDir()
	e := &env{t: t, root: filepath.Join(dir, "state"), bundle: filepath.Join(dir, "bundle")}
	if err := os.MkdirAll(e.bundle, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("cp", "-a", baseRootfs, filepath.Join(e.bundle, "rootfs")).CombinedOutput(); err != nil {
		t.Fatalf("copy rootfs: %v %s", err, out)
	}
	e.mustRun("spec", "--bundle", e.bundle)
	data, err := os.ReadFile(filepath.Join(e.bundle, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	e.spec = &specs.Spec{}
	if err := json.Unmarshal(data, e.spec); err != nil {
		t.Fatal(err)
	}
	e.spec.Process.Terminal = false
	e.spec.Process.Args = append([]string{"/bin/probe"}, args...)
	// The probe is a Go program: keep its runtime from holding cgroup files open, so that the
	// fds it reports are only what the runtime passed in.
	e.spec.Process.Env = append(e.spec.Process.Env, "GODEBUG=containermaxprocs=0,updatemaxprocs=0")
	e.spec.Root.Readonly = false
	e.save()
	return e
}

// save writes e.spec back to config.json (tests change e.spec, then save).
func (e *env) save() {
	e.t.Helper()
	data, err := json.MarshalIndent(e.spec, "", "  ")
	if err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(e.bundle, "config.json"), data, 0o644); err != nil {
		e.t.Fatal(err)
	}
}

// result of one minictr invocation.
type result struct {
	stdout, stderr string
	code           int
}

// run runs minictr with --root and a 60 s bound.
func (e *env) run(args ...string) result {
	e.t.Helper()
	return e.runIn("", args...)
}

func (e *env) runIn(stdin string, args ...string) result {
	e.t.Helper()
	bin := minictrBin
	if e.bin != "" {
		bin = e.bin
	}
	cmd := exec.Command(bin, append([]string{"--root", e.root}, args...)...)
	// Files, not pipes: a detached container inherits minictr's stdio and would keep a pipe
	// open long after minictr exits.
	outF, err := os.CreateTemp(e.t.TempDir(), "stdout")
	if err != nil {
		e.t.Fatal(err)
	}
	defer outF.Close()
	errF, err := os.CreateTemp(e.t.TempDir(), "stderr")
	if err != nil {
		e.t.Fatal(err)
	}
	defer errF.Close()
	cmd.Stdout, cmd.Stderr = outF, errF
	cmd.Stdin = strings.NewReader(stdin)
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	timedOut := false
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		<-done
		timedOut = true
	}
	out, _ := os.ReadFile(outF.Name())
	errb, _ := os.ReadFile(errF.Name())
	if timedOut {
		e.t.Fatalf("minictr %v: still running after 60s; stdout %q stderr %q", args, out, errb)
	}
	return result{string(out), string(errb), cmd.ProcessState.ExitCode()}
}

func (e *env) mustRun(args ...string) string {
	e.t.Helper()
	r := e.run(args...)
	if r.code != 0 {
		e.t.Fatalf("minictr %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// runProbe runs the bundle in the foreground with the probe args and returns its stdout.
func (e *env) runProbe(args ...string) string {
	e.t.Helper()
	e.spec.Process.Args = append([]string{"/bin/probe"}, args...)
	e.save()
	return e.mustRun("run", "-b", e.bundle, newID(e.t))
}

// newID makes a unique container id and makes sure it is deleted at the end.
func newID(t *testing.T) string {
	b := make([]byte, 4)
	rand.Read(b)
	id := "t-" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-")) + "-" + hex.EncodeToString(b)
	if len(id) > 60 {
		id = id[len(id)-60:]
		id = "t" + id[1:]
	}
	return id
}

// state returns the OCI state of id.
func (e *env) state(id string) specs.State {
	e.t.Helper()
	var st specs.State
	out := e.mustRun("state", id)
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		e.t.Fatalf("state %s: %v: %s", id, err, out)
	}
	return st
}

// create makes a detached container and registers its forced deletion.
func (e *env) create(id string) specs.State {
	e.t.Helper()
	e.mustRun("create", "-b", e.bundle, id)
	e.t.Cleanup(func() { e.run("delete", "--force", id) })
	return e.state(id)
}

// waitStatus polls state until it is want, for at most 10 s.
func (e *env) waitStatus(id string, want specs.ContainerState) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if e.state(id).Status == want {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.t.Fatalf("container %s: status %s, want %s after 10s", id, e.state(id).Status, want)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
