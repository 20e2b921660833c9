// Package engines drives minictr through the container engines people already run: podman
// (through conmon) and containerd (through its runc shim, io.containerd.runc.v2), the real
// programs from Debian, as root. Each test keeps all of its client's state in a temporary
// directory, builds a small image locally (busybox and its applets, no network), runs each
// verb through the client with minictr as the OCI runtime, and checks output, exit codes and
// that nothing is left behind: no state directory, no cgroup and no process of the container.
package engines

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"
	imgspec "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sys/unix"
)

var (
	minictrBin string // the binary under test, built by TestMain
	layerTar   string // the image's only layer: an uncompressed rootfs tar
	ociArchive string // the same image as an OCI image layout in a tar (for ctr images import)
	skipReason string // set when the package cannot run here
)

// imageName is the name the tests give the image in each client's store.
const imageName = "localhost/minictr-test:latest"

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "minictr-engines-")
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
		return fmt.Errorf("engine tests need root")
	}
	busybox, err := exec.LookPath("busybox")
	if err != nil {
		return fmt.Errorf("busybox not installed (Debian package busybox-static)")
	}
	minictrBin = filepath.Join(dir, "minictr")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, "go", "build", "-o", minictrBin, "../../cmd/minictr")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("build minictr: %v\n%s", err, out)
	}
	// And the container init beside it, as installed.
	build = exec.CommandContext(ctx, "go", "build", "-tags", "lean", "-o", filepath.Join(dir, "minictr-runtime"), "../../cmd/minictr")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("build minictr-runtime: %v\n%s", err, out)
	}
	layerTar = filepath.Join(dir, "layer.tar")
	ociArchive = filepath.Join(dir, "image-oci.tar")
	layer, err := rootfsLayer(busybox)
	if err != nil {
		return err
	}
	if err := os.WriteFile(layerTar, layer, 0o644); err != nil {
		return err
	}
	return writeOCIArchive(ociArchive, layer)
}

// applets are the busybox commands the image links to /bin/busybox.
var applets = []string{"sh", "ls", "cat", "echo", "sleep", "true", "false", "id", "ps", "kill",
	"top", "env", "head", "wc", "grep", "tty", "stty", "touch", "mkdir", "rm", "hostname"}

// rootfsLayer makes the image's layer in memory: busybox, its applets, /etc files and the
// empty directories a container needs.
func rootfsLayer(busybox string) ([]byte, error) {
	bb, err := os.ReadFile(busybox)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	mtime := time.Unix(1700000000, 0)
	dir := func(name string, mode int64) error {
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: mode, ModTime: mtime})
	}
	file := func(name string, mode int64, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(data)), ModTime: mtime}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	for _, d := range []string{"bin", "etc", "proc", "sys", "dev", "root", "run", "var"} {
		if err := dir(d, 0o755); err != nil {
			return nil, err
		}
	}
	if err := dir("tmp", 0o1777); err != nil {
		return nil, err
	}
	if err := file("bin/busybox", 0o755, bb); err != nil {
		return nil, err
	}
	for _, a := range applets {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: "bin/" + a, Linkname: "busybox", Mode: 0o777, ModTime: mtime}); err != nil {
			return nil, err
		}
	}
	if err := file("etc/passwd", 0o644, []byte("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n")); err != nil {
		return nil, err
	}
	if err := file("etc/group", 0o644, []byte("root:x:0:\nnogroup:x:65534:\n")); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeOCIArchive writes an OCI image layout (one uncompressed layer) as a tar, the format
// `ctr images import` reads. The index names the image twice: the OCI ref annotation and
// containerd's own.
func writeOCIArchive(path string, layer []byte) error {
	layerDesc := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayer, Digest: digest.FromBytes(layer), Size: int64(len(layer))}
	config := ocispec.Image{
		Platform: ocispec.Platform{Architecture: "amd64", OS: "linux"},
		Config: ocispec.ImageConfig{
			Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
			Cmd: []string{"/bin/sh"},
		},
		RootFS: ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{layerDesc.Digest}},
	}
	configJSON, err := json.Marshal(config)
	if err != nil {
		return err
	}
	configDesc := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: digest.FromBytes(configJSON), Size: int64(len(configJSON))}
	manifest := ocispec.Manifest{Versioned: imgspec.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest,
		Config: configDesc, Layers: []ocispec.Descriptor{layerDesc}}
	manifestJSON, err := json.Marshal(manifest)
	if err != nil {
		return err
	}
	manifestDesc := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromBytes(manifestJSON), Size: int64(len(manifestJSON)),
		Platform:    &ocispec.Platform{Architecture: "amd64", OS: "linux"},
		Annotations: map[string]string{ocispec.AnnotationRefName: imageName, "io.containerd.image.name": imageName}}
	index := ocispec.Index{Versioned: imgspec.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{manifestDesc}}
	indexJSON, err := json.Marshal(index)
	if err != nil {
		return err
	}
	layoutJSON, _ := json.Marshal(ocispec.ImageLayout{Version: ocispec.ImageLayoutVersion})

	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	add := func(name string, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(data)), ModTime: time.Unix(1700000000, 0)}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	blob := func(data []byte) error {
		sum := sha256.Sum256(data)
		return add("blobs/sha256/"+hex.EncodeToString(sum[:]), data)
	}
	for _, step := range []func() error{
		func() error { return add(ocispec.ImageLayoutFile, layoutJSON) },
		func() error { return add("index.json", indexJSON) },
		func() error { return blob(layer) },
		func() error { return blob(configJSON) },
		func() error { return blob(manifestJSON) },
		tw.Close,
	} {
		if err := step(); err != nil {
			return fmt.Errorf("write OCI archive %s: %w", path, err)
		}
	}
	return f.Close()
}

// needTools skips the test when the package cannot run or a client program is missing.
func needTools(t *testing.T, tools ...string) {
	t.Helper()
	if skipReason != "" {
		t.Skip(skipReason)
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (make deps installs it from Debian)", tool)
		}
	}
}

// needCgroupV1 skips on a unified (cgroup v2) host: the tests read the container's limits and
// freezer state from v1 hierarchies.
func needCgroupV1(t *testing.T) {
	t.Helper()
	var st unix.Statfs_t
	if err := unix.Statfs("/sys/fs/cgroup", &st); err != nil || st.Type == unix.CGROUP2_SUPER_MAGIC {
		t.Skip("the checks read cgroup v1 files; this host has cgroup v2 (or no cgroupfs)")
	}
}

// wrapper writes an executable that runs minictr with its state under stateDir: the clients
// call the runtime by path and pass --root only sometimes (podman never does as root).
func wrapper(t *testing.T, dir, stateDir string) string {
	t.Helper()
	path := filepath.Join(dir, "minictr-wrapper")
	script := fmt.Sprintf("#!/bin/sh\nexec %s --root %s \"$@\"\n", minictrBin, stateDir)
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// result is one client invocation.
type result struct {
	stdout, stderr string
	code           int
}

// runCmd runs a client command with a timeout, stdin from /dev/null. Output goes through
// files, not pipes: a daemon or container started by the client may inherit them and keep a
// pipe open long after the client exits.
func runCmd(t *testing.T, timeout time.Duration, env []string, name string, args ...string) result {
	t.Helper()
	return runCmdFiles(t, timeout, env, nil, name, args...)
}

// runCmdFiles is runCmd with extra open files passed as fds 3, 4...
func runCmdFiles(t *testing.T, timeout time.Duration, env []string, extra []*os.File, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	dir := t.TempDir()
	outF, err := os.Create(filepath.Join(dir, "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	defer outF.Close()
	errF, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer errF.Close()
	cmd.Stdout, cmd.Stderr = outF, errF
	cmd.ExtraFiles = extra
	cmd.WaitDelay = 5 * time.Second
	runErr := cmd.Run()
	out, _ := os.ReadFile(outF.Name())
	errb, _ := os.ReadFile(errF.Name())
	if ctx.Err() != nil {
		t.Fatalf("%s %s: still running after %v\nstdout: %s\nstderr: %s", name, strings.Join(args, " "), timeout, out, errb)
	}
	code := 0
	if runErr != nil {
		var ee *exec.ExitError
		if !errors.As(runErr, &ee) {
			t.Fatalf("%s %s: %v", name, strings.Join(args, " "), runErr)
		}
		code = ee.ExitCode()
	}
	return result{string(out), string(errb), code}
}

// runPTY runs a client command with a new pseudo-terminal as its controlling terminal and
// stdio, writes input to it, and returns everything the command wrote to it.
func runPTY(t *testing.T, timeout time.Duration, env []string, input string, name string, args ...string) (string, int) {
	t.Helper()
	master, slave, err := openPTY()
	if err != nil {
		t.Fatal(err)
	}
	defer master.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		slave.Close()
		t.Fatal(err)
	}
	slave.Close()
	if input != "" {
		master.WriteString(input)
	}
	// The master reads until every holder of the slave has closed it (EIO), or the timeout.
	var out bytes.Buffer
	readDone := make(chan struct{})
	go func() {
		io.Copy(&out, master)
		close(readDone)
	}()
	waitErr := cmd.Wait()
	select {
	case <-readDone:
	case <-time.After(5 * time.Second):
	}
	if ctx.Err() != nil {
		t.Fatalf("%s %s (on a terminal): still running after %v; output %q", name, strings.Join(args, " "), timeout, out.String())
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(waitErr, &ee) {
		code = ee.ExitCode()
	} else if waitErr != nil {
		t.Fatal(waitErr)
	}
	return out.String(), code
}

// openPTY opens a new pty pair from /dev/ptmx.
func openPTY() (master, slave *os.File, err error) {
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("open /dev/ptmx: %w", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		m.Close()
		return nil, nil, fmt.Errorf("unlock pty: %w", err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		m.Close()
		return nil, nil, fmt.Errorf("get pty number: %w", err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		return nil, nil, fmt.Errorf("open /dev/pts/%d: %w", n, err)
	}
	return m, s, nil
}

// startDaemon starts a long-running program with its output in logPath, and registers its
// stop (SIGTERM, then SIGKILL after 15 s) by its pid.
func startDaemon(t *testing.T, logPath string, name string, args ...string) *exec.Cmd {
	t.Helper()
	logF, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = logF, logF
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logF.Close()
		t.Fatal(err)
	}
	logF.Close()
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	return cmd
}

// eventually polls cond every 50 ms for at most d and reports whether it became true.
func eventually(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// processAlive reports whether pid exists and is not a zombie.
func processAlive(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

// processesMentioning lists the live processes whose command line contains s (our temp dirs
// appear in the command line of every conmon, shim and daemon the tests start).
func processesMentioning(s string) []string {
	var found []string
	ents, _ := os.ReadDir("/proc")
	self := strconv.Itoa(os.Getpid())
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil || e.Name() == self {
			continue
		}
		cmdline, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil {
			continue
		}
		line := strings.ReplaceAll(string(cmdline), "\x00", " ")
		if strings.Contains(line, s) {
			pid, _ := strconv.Atoi(e.Name())
			if processAlive(pid) {
				found = append(found, e.Name()+": "+line)
			}
		}
	}
	return found
}

// cgroupDirsNamed lists the cgroup directories (every v1 hierarchy, up to 3 levels deep)
// whose name contains s.
func cgroupDirsNamed(s string) []string {
	var found []string
	roots, _ := filepath.Glob("/sys/fs/cgroup/*")
	for _, root := range roots {
		for depth, pattern := 1, root; depth <= 3; depth++ {
			pattern = filepath.Join(pattern, "*")
			matches, _ := filepath.Glob(pattern)
			for _, m := range matches {
				if st, err := os.Stat(m); err == nil && st.IsDir() && strings.Contains(filepath.Base(m), s) {
					found = append(found, m)
				}
			}
		}
	}
	return found
}

// mountsUnder lists the mount points below dir.
func mountsUnder(dir string) []string {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	var found []string
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) > 4 && strings.HasPrefix(f[4], dir+"/") {
			found = append(found, f[4])
		}
	}
	return found
}

// unmountAll lazily unmounts whatever a failed test left below dir, deepest first, so that
// t.TempDir's removal does not descend into a container's rootfs.
func unmountAll(dir string) {
	ms := mountsUnder(dir)
	for i := len(ms) - 1; i >= 0; i-- {
		unix.Unmount(ms[i], unix.MNT_DETACH)
	}
}

// readCgroupFile reads one file of the container's cgroup in a v1 hierarchy, found through
// /proc/PID/cgroup.
func readCgroupFile(pid int, controller, file string) (string, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(data), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			if c == controller {
				v, err := os.ReadFile(filepath.Join("/sys/fs/cgroup", controller, parts[2], file))
				return strings.TrimSpace(string(v)), err
			}
		}
	}
	return "", fmt.Errorf("pid %d is in no %s cgroup", pid, controller)
}

// dirEntries lists a directory's entries (nil when it does not exist).
func dirEntries(dir string) []string {
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}
