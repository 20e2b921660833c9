package tests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestMountsNotVisibleOnHost(t *testing.T) {
	e := newEnv(t)
	e.spec.Mounts = append(e.spec.Mounts, specs.Mount{Destination: "/scratch", Type: "tmpfs", Source: "tmpfs", Options: []string{"size=1m"}})
	out := e.runProbe("mounts")
	if !strings.Contains(out, " /scratch ") {
		t.Fatalf("no /scratch mount inside:\n%s", out)
	}
	host, _ := os.ReadFile("/proc/self/mountinfo")
	if strings.Contains(string(host), filepath.Join(e.bundle, "rootfs")) {
		t.Fatalf("the container's mounts are visible on the host:\n%s", host)
	}
}

func TestMaskedAndReadonlyPaths(t *testing.T) {
	e := newEnv(t)
	// /proc/timer_list is masked (reads as empty /dev/null); /proc/sys is read-only.
	if _, err := os.Stat("/proc/timer_list"); err != nil {
		t.Skip("this kernel has no /proc/timer_list")
	}
	if out := e.runProbe("cat", "/proc/timer_list"); out != "" {
		t.Fatalf("/proc/timer_list readable: %d bytes", len(out))
	}
	e.spec.Process.Args = []string{"/bin/probe", "write", "/proc/sys/kernel/hostname"}
	e.save()
	r := e.run("run", "-b", e.bundle, newID(t))
	if r.code == 0 {
		t.Fatal("write to read-only /proc/sys succeeded")
	}
	if !strings.Contains(r.stderr, "read-only") {
		t.Fatalf("write to /proc/sys: %q, want a read-only file system error", r.stderr)
	}
}

func TestReadonlyRoot(t *testing.T) {
	e := newEnv(t)
	e.spec.Root.Readonly = true
	e.spec.Process.Args = []string{"/bin/probe", "write", "/etc/newfile"}
	e.save()
	if r := e.run("run", "-b", e.bundle, newID(t)); r.code == 0 {
		t.Fatal("write to a read-only root succeeded")
	}
	if _, err := os.Stat(filepath.Join(e.bundle, "rootfs/etc/newfile")); err == nil {
		t.Fatal("file written into the read-only rootfs")
	}
	// /tmp of a read-only root stays read-only, but a tmpfs mount is writable.
	e.spec.Mounts = append(e.spec.Mounts, specs.Mount{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs"})
	if out := e.runProbe("write", "/tmp/x"); strings.TrimSpace(out) != "written" {
		t.Fatalf("write to tmpfs: %q", out)
	}
}

func TestIPCNamespace(t *testing.T) {
	e := newEnv(t, "sleep", "60")
	id := newID(t)
	e.create(id)
	e.mustRun("start", id)
	if out := e.mustRun("exec", id, "/bin/probe", "ipc-make"); !strings.Contains(out, "msq=") {
		t.Fatalf("ipc-make: %q", out)
	}
	in := e.mustRun("exec", id, "/bin/probe", "ipc-list")
	if !strings.Contains(in, "/proc/sysvipc/msg 1") || !strings.Contains(in, "/proc/sysvipc/shm 1") {
		t.Fatalf("inside the first container: %q", in)
	}
	// A second container sees neither.
	other := strings.TrimSpace(e.runProbe("ipc-list"))
	if other != "/proc/sysvipc/msg 0\n/proc/sysvipc/shm 0" {
		t.Fatalf("second container sees the first one's IPC objects:\n%s", other)
	}
}

func TestNetworkNamespaceLoopback(t *testing.T) {
	e := newEnv(t)
	out := e.runProbe("cat", "/sys/class/net/lo/operstate")
	// lo is up: "unknown" is what an up loopback reports.
	if s := strings.TrimSpace(out); s != "unknown" && s != "up" {
		t.Fatalf("lo operstate %q, want up", s)
	}
	ls := e.runProbe("ls", "/sys/class/net")
	if strings.TrimSpace(ls) != "lo" {
		t.Fatalf("interfaces in a new netns: %q, want only lo", ls)
	}
}

func TestNoHostFdsLeak(t *testing.T) {
	e := newEnv(t)
	out := e.runProbe("fds")
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(l)
		if len(f) == 2 && f[0] != "0" && f[0] != "1" && f[0] != "2" && !strings.Contains(f[1], "/proc/") && f[0] != "3" {
			t.Errorf("fd %s (%s) reached the container", f[0], f[1])
		}
	}
}
