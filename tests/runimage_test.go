package tests

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRunImageDefaultsAndExitCode(t *testing.T) {
	ie := newImageEnv(t)
	r := ie.runImage("--rm", "--network", "none", "probe-img")
	if r.code != 0 || r.stdout != "default command\n" {
		t.Fatalf("run IMAGE: exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	if r := ie.runImage("--rm", "--network", "none", "probe-img", "/bin/probe", "exit", "42"); r.code != 42 {
		t.Fatalf("exit code %d, want 42 (stderr %q)", r.code, r.stderr)
	}
	if entries, _ := os.ReadDir(filepath.Join(ie.store, "containers")); len(entries) != 0 {
		t.Fatalf("--rm left %d container dirs in the store", len(entries))
	}
	if r := ie.runImage("--rm", "no-such-image"); r.code == 0 || !strings.Contains(r.stderr, "no-such-image") {
		t.Fatalf("unknown image: exit %d stderr %q", r.code, r.stderr)
	}
}

func TestRunImageEnvWorkdirUser(t *testing.T) {
	ie := newImageEnv(t)
	out := func(args ...string) string {
		t.Helper()
		r := ie.runImage(append([]string{"--rm", "--network", "none"}, args...)...)
		if r.code != 0 {
			t.Fatalf("run %v: exit %d stderr %q", args, r.code, r.stderr)
		}
		return strings.TrimSpace(r.stdout)
	}
	if v := out("-e", "K=V", "probe-img", "/bin/probe", "env", "K"); v != "V" {
		t.Errorf("-e K=V: %q", v)
	}
	if v := out("probe-img", "/bin/probe", "env", "IMAGE_VAR"); v != "from-image" {
		t.Errorf("image env: %q", v)
	}
	if v := out("-w", "/tmp", "probe-img", "/bin/probe", "cwd"); v != "/tmp" {
		t.Errorf("-w /tmp: %q", v)
	}
	if v := out("-u", "user", "probe-img", "/bin/probe", "id"); !strings.HasPrefix(v, "uid=1000 gid=1000") {
		t.Errorf("-u user: %q", v)
	}
	if v := out("-u", "1234:55", "probe-img", "/bin/probe", "id"); !strings.HasPrefix(v, "uid=1234 gid=55") {
		t.Errorf("-u 1234:55: %q", v)
	}
	if v := out("--hostname", "imgbox", "probe-img", "/bin/probe", "hostname"); v != "imgbox" {
		t.Errorf("--hostname: %q", v)
	}
}

func TestRunImageLimits(t *testing.T) {
	ie := newImageEnv(t)
	r := ie.runImage("--rm", "--network", "none", "--memory", "32m", "probe-img", "/bin/probe", "memhog", "256")
	if r.code != 137 || !strings.Contains(r.stderr, "OOM") {
		t.Fatalf("--memory 32m with 256 MiB: exit %d stderr %q", r.code, r.stderr)
	}
	r = ie.runImage("--rm", "--network", "none", "--pids-limit", "10", "probe-img", "/bin/probe", "forkbomb", "100")
	var n int
	if _, err := fmtSscan(strings.TrimSpace(r.stdout), "started %d", &n); err != nil || n >= 10 {
		t.Fatalf("--pids-limit 10: %q (%v)", r.stdout, err)
	}
}

func TestRunImageVolume(t *testing.T) {
	ie := newImageEnv(t)
	host := t.TempDir()
	os.WriteFile(filepath.Join(host, "data.txt"), []byte("from the host\n"), 0o644)
	r := ie.runImage("--rm", "--network", "none", "-v", host+":/data:ro", "probe-img", "/bin/probe", "cat", "/data/data.txt")
	if r.stdout != "from the host\n" {
		t.Fatalf("-v ro: exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	r = ie.runImage("--rm", "--network", "none", "-v", host+":/data:ro", "probe-img", "/bin/probe", "write", "/data/new")
	if r.code == 0 {
		t.Fatal("write into a :ro volume succeeded")
	}
	r = ie.runImage("--rm", "--network", "none", "-v", host+":/data", "probe-img", "/bin/probe", "write", "/data/new")
	if _, err := os.Stat(filepath.Join(host, "new")); r.code != 0 || err != nil {
		t.Fatalf("write into a rw volume: exit %d stderr %q, file %v", r.code, r.stderr, err)
	}
}

func TestRunImageSecurityDefaults(t *testing.T) {
	ie := newImageEnv(t)
	caps := func(args ...string) string {
		t.Helper()
		r := ie.runImage(append([]string{"--rm", "--network", "none"}, append(args, "probe-img", "/bin/probe", "caps")...)...)
		if r.code != 0 {
			t.Fatalf("caps %v: %s", args, r.stderr)
		}
		return r.stdout
	}
	// The 14 default capabilities: mask 0xa80425fb; a seccomp filter is on.
	if out := caps(); !strings.Contains(out, "CapEff:\t00000000a80425fb") || !strings.Contains(out, "Seccomp:\t2") {
		t.Errorf("default: %s", out)
	}
	if out := caps("--cap-drop", "ALL", "--cap-add", "NET_BIND_SERVICE"); !strings.Contains(out, "CapEff:\t0000000000000400") {
		t.Errorf("--cap-drop ALL --cap-add NET_BIND_SERVICE: %s", out)
	}
	if out := caps("--security-opt", "seccomp=unconfined"); !strings.Contains(out, "Seccomp:\t0") {
		t.Errorf("seccomp=unconfined: %s", out)
	}
	if out := caps("--privileged"); !strings.Contains(out, "Seccomp:\t0") || strings.Contains(out, "CapEff:\t00000000a80425fb") {
		t.Errorf("--privileged: %s", out)
	}
}

func TestRunImageBridgeNetwork(t *testing.T) {
	if _, err := exec.LookPath("nft"); err != nil {
		t.Log("nft not installed: the rule check after delete is skipped")
	}
	ie := newImageEnv(t)
	name := newID(t)
	r := ie.runImage("-d", "--name", name, "-p", "127.0.0.1:18391:80", "probe-img", "/bin/busybox", "httpd", "-f", "-p", "80", "-h", "/etc")
	if r.code != 0 {
		t.Fatalf("run -d: exit %d stderr %q", r.code, r.stderr)
	}
	t.Cleanup(func() { ie.run("delete", "--force", name) })
	// The host reaches the published port (bounded: 50 tries, 100 ms apart).
	var body string
	for i := 0; i < 50 && body == ""; i++ {
		c := http.Client{Timeout: time.Second}
		if resp, err := c.Get("http://127.0.0.1:18391/passwd"); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body = string(b)
		} else {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if !strings.Contains(body, "root:x:0:0") {
		t.Fatalf("published port: got %q", body)
	}
	// Another container reaches it by name.
	r = ie.runImage("--rm", "probe-img", "/bin/busybox", "wget", "-qO-", "http://"+name+"/group")
	if r.code != 0 || !strings.Contains(r.stdout, "root:x:0:") {
		t.Fatalf("container to container by name: exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	ie.mustRun("delete", "--force", name)
	if entries, _ := os.ReadDir(filepath.Join(ie.store, "containers")); len(entries) != 0 {
		t.Errorf("delete left %d container dirs in the store", len(entries))
	}
	if out, err := exec.Command("nft", "list", "tables").Output(); err == nil && strings.Count(string(out), "minictr_") > 1 {
		t.Errorf("nft tables left: %s", out)
	}
}

// TestRunImageIsolationVM runs the same image under its own guest kernel (qemu here: this
// machine's nested KVM emulates guest kernel mode) and gets the command's exit code back.
func TestRunImageIsolationVM(t *testing.T) {
	if _, err := exec.LookPath("qemu-system-x86_64"); err != nil {
		t.Skip("qemu-system-x86_64 not installed (Debian package qemu-system-x86)")
	}
	if testing.Short() {
		t.Skip("boots a guest kernel (-short)")
	}
	ie := newImageEnv(t)
	// The guest init beside minictr: make build's, or built here beside the harness's binary.
	if init := filepath.Join(filepath.Dir(minictrBin), "minictr-init"); !exists(init) {
		build := exec.Command("go", "build", "-o", init, "../vmm/initramfs/init")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("build the guest init: %v %s", err, out)
		}
	}
	r := ie.runImage("--isolation", "vm", "--vmm", "qemu", "probe-img", "/bin/sh", "-c", "echo kernel $(uname -r); /bin/probe print in a vm; exit 7")
	if r.code != 7 || !strings.Contains(r.stdout, "in a vm") || !strings.Contains(r.stdout, "kernel ") {
		t.Fatalf("run --isolation vm: exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout, "kernel "+hostKernel()) {
		t.Errorf("the guest runs the host's kernel version %s", hostKernel())
	}
	if entries, _ := os.ReadDir(filepath.Join(ie.store, "containers")); len(entries) != 0 {
		t.Errorf("the vm run left %d container dirs in the store", len(entries))
	}
}

func hostKernel() string {
	data, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	return strings.TrimSpace(string(data))
}
