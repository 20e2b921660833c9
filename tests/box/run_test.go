package box

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/minictr/minictr/vmm/initramfs"
	"github.com/minictr/minictr/vmm/linux"
)

// The guest runs these tests of the end-to-end suite (tests/): the ones whose code paths go
// through cgroups (limits, OOM, pids, update, freeze, delete, exec joining the cgroup).
var e2eTests = []string{
	"TestCreateStartStateTransitions",
	"TestMemoryLimitOOMKill",
	"TestPidsLimitContainsForkBomb",
	"TestUpdateResources",
	"TestPauseResume",
	"TestDeleteLeavesNothing",
	"TestDeleteForceRunning",
	"TestRunImageLimits",
	"TestExecJoinsNamespaces",
	"TestConcurrentCreateDelete",
}

// These need kernel modules that the initramfs does not have (bridge, veth, nf_tables: the
// kernel cache keeps only the kernel image), so the guest never runs them.
var e2eNeedModules = []string{"TestRunImageBridgeNetwork"}

// Environment knobs (docs/box.md):
//
//	MINICTR_BOX_KERNEL   a vmlinux (or bzImage) to boot instead of Debian's
//	MINICTR_BOX_LOG      a file to write the guest's whole console to
//	MINICTR_BOX_TIMEOUT  bound on the guest run (a Go duration; default 6m)
//	MINICTR_BOX_SMP      guest CPUs (default 2)
//	MINICTR_BOX_E2E_RUN  the -test.run pattern for the end-to-end suite (default: e2eTests;
//	                     make test-box uses "." for the whole suite)
const (
	envKernel  = "MINICTR_BOX_KERNEL"
	envLog     = "MINICTR_BOX_LOG"
	envTimeout = "MINICTR_BOX_TIMEOUT"
	envSMP     = "MINICTR_BOX_SMP"
	envE2ERun  = "MINICTR_BOX_E2E_RUN"
)

// TestCgroupV2Box boots Debian's kernel under qemu with the runtime's cgroup tests in its
// initramfs and reports every guest test as a subtest (box/e2e/TestX, box/cgroups/TestY).
func TestCgroupV2Box(t *testing.T) {
	if testing.Short() {
		t.Skip("boots a guest kernel under emulation (minutes): not in -short")
	}
	if _, err := exec.LookPath(initramfs.QEMUBinary); err != nil {
		t.Skipf("%s not installed (Debian package qemu-system-x86)", initramfs.QEMUBinary)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()

	kernel := os.Getenv(envKernel)
	if kernel == "" {
		if os.Geteuid() != 0 {
			t.Skip("fetching Debian's kernel into the store needs root (or set " + envKernel + ")")
		}
		kf, err := linux.DebianKernel(ctx, "")
		if err != nil {
			t.Skipf("cannot obtain Debian's kernel: %v", err)
		}
		kernel = kf.Vmlinux
	} else if data, err := os.ReadFile(kernel); err == nil && linux.IsBzImage(data) {
		// qemu's PVH boot wants the ELF.
		vmlinux := filepath.Join(t.TempDir(), "vmlinux")
		if err := linux.ExtractVmlinux(kernel, vmlinux); err != nil {
			t.Fatal(err)
		}
		kernel = vmlinux
	}

	work := t.TempDir()
	start := time.Now()
	initrd, plan := buildInitramfs(t, ctx, work)
	t.Logf("built the binaries and the initramfs (%s) in %s", sizeOf(initrd), time.Since(start).Round(time.Millisecond))

	timeout := 6 * time.Minute
	if os.Getenv(envE2ERun) != "" {
		timeout = 12 * time.Minute
	}
	if v := os.Getenv(envTimeout); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("%s=%q: %v", envTimeout, v, err)
		}
		timeout = d
	}
	smp := "2"
	if v := os.Getenv(envSMP); v != "" {
		smp = v
	}
	accel, why := initramfs.DetectAccel()
	t.Logf("qemu accelerator %s (%s), %s CPUs", accel, why, smp)
	qc := initramfs.QEMUConfig{Kernel: kernel, Initrd: initrd, MemMiB: 1536, Accel: accel, Cmdline: "loglevel=1"}
	args, err := initramfs.QEMUArgs(&qc)
	if err != nil {
		t.Fatal(err)
	}
	args = append(args, "-smp", smp)

	var logw io.Writer = io.Discard
	if p := os.Getenv(envLog); p != "" {
		f, err := os.Create(p)
		if err != nil {
			t.Fatalf("%s: %v", envLog, err)
		}
		defer f.Close()
		logw = f
	}

	qctx, qcancel := context.WithTimeout(ctx, timeout)
	defer qcancel()
	cmd := exec.CommandContext(qctx, qc.Binary, args...)
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	cmd.WaitDelay = 5 * time.Second
	boot := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", qc.Binary, err)
	}
	waitErr := make(chan error, 1)
	go func() {
		err := cmd.Wait()
		pw.Close()
		waitErr <- err
	}()

	// Lines are read in a goroutine; results are reported here, as subtests, while the guest
	// keeps running.
	var p Parser
	var tail []string
	var ready time.Duration            // boot, and the switch to the tmpfs root
	wall := map[string]time.Duration{} // suite -> host wall-clock time from its start to its end marker
	var suiteStart time.Duration
	results := make(chan *Result)
	go func() {
		defer close(results)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(logw, strings.TrimRight(line, "\r"))
			tail = append(tail, Defang(strings.TrimRight(line, "\r")))
			if len(tail) > 60 {
				tail = tail[1:]
			}
			switch l := strings.TrimRight(line, "\r"); {
			case ready == 0 && strings.HasPrefix(l, "BOX: kernel "):
				ready = time.Since(boot)
			case strings.HasPrefix(l, "BOX: suite ") && strings.HasSuffix(l, " start"):
				suiteStart = time.Since(boot)
			case suiteEndRE.MatchString(l):
				wall[suiteEndRE.FindStringSubmatch(l)[1]] = time.Since(boot) - suiteStart
			}
			if r := p.Line(line); r != nil {
				results <- r
			}
		}
		io.Copy(io.Discard, pr)
	}()
	n := 0
	for r := range results {
		n++
		report(t, r)
	}
	err = <-waitErr
	elapsed := time.Since(boot).Round(100 * time.Millisecond)
	var names []string
	for _, s := range plan.Suites {
		names = append(names, s.Name)
	}
	for _, e := range p.Ends {
		t.Logf("guest suite %s: exit %d after %s (guest clock), %s (host wall clock)", e.Suite, e.Exit, e.Elapsed, wall[e.Suite].Round(100*time.Millisecond))
	}
	if p.Header != "" {
		t.Log(p.Header)
	}
	t.Logf("qemu ran %s: guest set up after %s, %d guest test results, power-off", elapsed, ready.Round(100*time.Millisecond), n)
	if cerr := p.Check(names); cerr != nil {
		if qctx.Err() != nil {
			cerr = fmt.Errorf("%w; qemu killed after %s (%s)", cerr, timeout, envTimeout)
		} else if err != nil {
			cerr = fmt.Errorf("%w; qemu: %v", cerr, err)
		}
		t.Fatalf("%v\nlast console lines:\n%s", cerr, strings.Join(tail, "\n"))
	}
	if n == 0 {
		t.Fatal("no guest test results")
	}
}

// report turns one guest result into a subtest of the same outcome.
func report(t *testing.T, r *Result) {
	t.Run(r.Suite+"/"+r.Test, func(t *testing.T) {
		var out []string
		for _, l := range r.Output {
			out = append(out, Defang(l))
		}
		msg := strings.Join(out, "\n")
		switch r.Status {
		case "FAIL":
			t.Errorf("failed in the guest after %s:\n%s", r.Elapsed, msg)
		case "SKIP":
			t.Skipf("skipped in the guest:\n%s", msg)
		default:
			t.Logf("passed in the guest in %s", r.Elapsed)
		}
	})
}

// moduleRoot is the minictr module's directory (this package is tests/box).
func moduleRoot(t *testing.T) string {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root %s: %v", root, err)
	}
	return root
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// static links cgo binaries (minictr's nsenter is C) without a shared C library, so the
// initramfs needs no /lib.
var static = []string{"-trimpath", "-tags", "osusergo,netgo", "-ldflags", "-s -w -linkmode external -extldflags -static"}

// buildInitramfs compiles everything the guest runs and packs it with busybox.
//
//	/bin/busybox + an applet symlink per command   (the harness finds busybox on PATH)
//	/box/minictr, /box/probe                       (MINICTR_TEST_BIN, MINICTR_TEST_PROBE)
//	/box/tests/e2e.test                            (go test -c ./tests)
//	/box/runtime/cgroups/cgroups.test + testdata   (go test -c ./runtime/cgroups)
//	/box/boxinit, /box/plan.json                   (the guest's runner and what it runs)
func buildInitramfs(t *testing.T, ctx context.Context, work string) (string, *Plan) {
	root := moduleRoot(t)
	busybox, err := exec.LookPath("busybox")
	if err != nil {
		t.Skip("busybox not installed (Debian package busybox-static)")
	}
	fs := filepath.Join(work, "rootfs")
	for _, d := range []string{"bin", "etc", "root", "box/tests", "box/runtime/cgroups"} {
		if err := os.MkdirAll(filepath.Join(fs, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	goBuild := func(what string, env []string, args ...string) {
		cmd := exec.CommandContext(ctx, goTool(), args...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build %s: go %s: %v\n%s", what, strings.Join(args, " "), err, out)
		}
	}
	cgo := []string{"CGO_ENABLED=1"}
	nocgo := []string{"CGO_ENABLED=0"}
	goBuild("minictr", cgo, append(append([]string{"build"}, static...), "-o", filepath.Join(fs, "box/minictr"), "./cmd/minictr")...)
	lean := []string{"build", "-trimpath", "-tags", "lean,osusergo,netgo", "-ldflags", "-s -w -linkmode external -extldflags -static"}
	goBuild("minictr-runtime", cgo, append(lean, "-o", filepath.Join(fs, "box/minictr-runtime"), "./cmd/minictr")...)
	goBuild("e2e tests", cgo, append(append([]string{"test", "-c"}, static...), "-o", filepath.Join(fs, "box/tests/e2e.test"), "./tests")...)
	goBuild("cgroups tests", cgo, append(append([]string{"test", "-c"}, static...), "-o", filepath.Join(fs, "box/runtime/cgroups/cgroups.test"), "./runtime/cgroups")...)
	goBuild("probe", nocgo, "build", "-trimpath", "-o", filepath.Join(fs, "box/probe"), "./tests/probe")
	goBuild("boxinit", nocgo, "build", "-trimpath", "-o", filepath.Join(fs, "box/boxinit"), "./tests/box/boxinit")
	initBin := filepath.Join(work, "minictr-init")
	if err := initramfs.BuildInit(ctx, root, initBin); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("cp", "-a", filepath.Join(root, "runtime/cgroups/testdata"), filepath.Join(fs, "box/runtime/cgroups/")).CombinedOutput(); err != nil {
		t.Fatalf("copy testdata: %v %s", err, out)
	}

	if err := copyFile(busybox, filepath.Join(fs, "bin/busybox"), 0o755); err != nil {
		t.Fatal(err)
	}
	list, err := exec.Command(busybox, "--list").Output()
	if err != nil {
		t.Fatalf("busybox --list: %v", err)
	}
	for _, a := range strings.Fields(string(list)) {
		if a == "busybox" || strings.Contains(a, "/") {
			continue
		}
		if err := os.Symlink("busybox", filepath.Join(fs, "bin", a)); err != nil {
			t.Fatal(err)
		}
	}
	for _, l := range []string{"sbin", "usr/bin", "usr/sbin"} {
		os.MkdirAll(filepath.Dir(filepath.Join(fs, l)), 0o755)
		if err := os.Symlink("/bin", filepath.Join(fs, l)); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		"etc/passwd": "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n",
		"etc/group":  "root:x:0:\nnogroup:x:65534:\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(fs, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	env := []string{"PATH=/bin", "HOME=/root", "TMPDIR=/tmp",
		"MINICTR_TEST_BIN=/box/minictr", "MINICTR_TEST_PROBE=/box/probe"}
	e2eRun, e2eTimeout := "^("+strings.Join(e2eTests, "|")+")$", "4m"
	if v := os.Getenv(envE2ERun); v != "" {
		e2eRun, e2eTimeout = v, "9m"
	}
	plan := &Plan{Suites: []Suite{
		{Name: "e2e", Bin: "/box/tests/e2e.test", Dir: "/box/tests", Env: env, Timeout: e2eTimeout,
			Args: []string{"-test.v", "-test.count=1", "-test.timeout=" + e2eTimeout,
				"-test.run", e2eRun, "-test.skip", "^(" + strings.Join(e2eNeedModules, "|") + ")$"}},
		{Name: "cgroups", Bin: "/box/runtime/cgroups/cgroups.test", Dir: "/box/runtime/cgroups", Env: env, Timeout: "3m",
			Args: []string{"-test.v", "-test.count=1", "-test.timeout=3m"}},
	}}
	js, err := json.MarshalIndent(plan, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(fs, PlanPath), js, 0o644); err != nil {
		t.Fatal(err)
	}

	initData, err := os.ReadFile(initBin)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(work, "initrd.cpio")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	err = initramfs.BuildConfig(bw, fs, initData, initramfs.Config{Args: []string{"/box/boxinit"}, Env: []string{"PATH=/bin"}, Hostname: "minictr-box"})
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatalf("build initramfs %s: %v", out, err)
	}
	return out, plan
}

func copyFile(src, dst string, mode os.FileMode) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, data, mode)
}

func sizeOf(path string) string {
	st, err := os.Stat(path)
	if err != nil {
		return "?"
	}
	return fmt.Sprintf("%.1f MiB", float64(st.Size())/(1<<20))
}
