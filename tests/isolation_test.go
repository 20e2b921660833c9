package tests

import (
	"fmt"
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

// TestJoinNamespaceByPath: a container whose spec gives a path for its uts and network
// namespaces joins those of a running container instead of creating new ones.
func TestJoinNamespaceByPath(t *testing.T) {
	_, _, st := startSleeper(t, "first")

	b := newEnv(t)
	b.spec.Hostname = "" // the joined namespace's name stays
	for i, ns := range b.spec.Linux.Namespaces {
		switch ns.Type {
		case specs.UTSNamespace:
			b.spec.Linux.Namespaces[i].Path = fmt.Sprintf("/proc/%d/ns/uts", st.Pid)
		case specs.NetworkNamespace:
			b.spec.Linux.Namespaces[i].Path = fmt.Sprintf("/proc/%d/ns/net", st.Pid)
		}
	}
	if h := strings.TrimSpace(b.runProbe("hostname")); h != "first" {
		t.Fatalf("hostname in the joining container = %q, want the first container's %q", h, "first")
	}
	want, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", st.Pid))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(b.runProbe("ns", "net")); got != want {
		t.Fatalf("network namespace of the joining container = %s, want %s", got, want)
	}
	// The pid namespace was not joined: the probe is pid 1 of a new one.
	if pid := strings.TrimSpace(b.runProbe("pid")); pid != "1" {
		t.Fatalf("pid in the joining container = %s, want 1", pid)
	}
}

// TestUserNamespaceMappings: as root, a container with a user namespace runs as uid 0 inside,
// mapped to the spec's host range.
func TestUserNamespaceMappings(t *testing.T) {
	e := newEnv(t)
	e.spec.Linux.Namespaces = append(e.spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
	e.spec.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	e.spec.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	// The rootfs belongs to host root, which the namespace does not map: it must be able to
	// reach it (t.TempDir makes its directories 0700).
	for d := e.bundle; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if out := e.runProbe("id"); !strings.HasPrefix(strings.TrimSpace(out), "uid=0 gid=0") {
		t.Fatalf("id inside the user namespace = %q, want uid=0 gid=0", out)
	}
	m := strings.Fields(e.runProbe("cat", "/proc/self/uid_map"))
	if len(m) != 3 || m[0] != "0" || m[1] != "100000" || m[2] != "65536" {
		t.Fatalf("uid_map inside = %v, want 0 100000 65536", m)
	}
}
