package tests

// What podman (through conmon) and containerd (through its runc shim) need from the runtime,
// beyond the OCI lifecycle itself: each test here is a bug one of them ran into.

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Podman's default seccomp profile names syscalls this kernel may not have. They are skipped
// quietly: the init's stderr is the container's, so a warning would show in `podman logs` and
// on the stderr of every `podman exec`.
func TestSeccompUnknownSyscallQuiet(t *testing.T) {
	e := newEnv(t)
	e.spec.Linux.Seccomp = &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32},
		Syscalls:      []specs.LinuxSyscall{{Names: []string{"no_such_syscall_name", "getcwd"}, Action: specs.ActAllow}},
	}
	e.spec.Process.Args = []string{"/bin/probe", "print", "ok"}
	e.save()
	r := e.run("run", "-b", e.bundle, newID(t))
	if r.code != 0 || r.stdout != "ok\n" {
		t.Fatalf("run: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stderr, "no_such_syscall_name") {
		t.Fatalf("the container's stderr carries the runtime's seccomp message: %q", r.stderr)
	}
}

// A missing program fails `create` (and `exec --detach`) with the lookup's message, as in runc:
// podman maps it to exit 127 and containerd shows it, where a container that starts and
// exits 1 would say nothing.
func TestMissingProgramFailsCreate(t *testing.T) {
	e := newEnv(t)
	e.spec.Process.Args = []string{"/no/such/program"}
	e.save()
	id := newID(t)
	r := e.run("create", "-b", e.bundle, id)
	t.Cleanup(func() { e.run("delete", "--force", id) })
	if r.code == 0 || !strings.Contains(r.stderr, "no such file or directory") {
		t.Fatalf("create with a missing program: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := e.run("state", id); r.code == 0 {
		t.Fatalf("state after a failed create: %s", r.stdout)
	}

	e.spec.Process.Args = []string{"/bin/sleep", "30"}
	e.save()
	id = newID(t)
	e.create(id)
	r = e.run("exec", "--detach", id, "no-such-program")
	if r.code == 0 || !strings.Contains(r.stderr, "executable file not found") {
		t.Fatalf("exec --detach of a missing program: exit %d, stderr %q", r.code, r.stderr)
	}
}

// `state` prints what runc prints besides the OCI state: containerd's runc client reads
// rootfs and created.
func TestStateRuncFields(t *testing.T) {
	e := newEnv(t, "sleep", "30")
	id := newID(t)
	e.create(id)
	var st struct {
		Status  string    `json:"status"`
		Rootfs  string    `json:"rootfs"`
		Created time.Time `json:"created"`
	}
	out := e.mustRun("state", id)
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("state %s: %v: %s", id, err, out)
	}
	if st.Status != "created" || st.Rootfs != filepath.Join(e.bundle, "rootfs") || st.Created.IsZero() || time.Since(st.Created) > time.Hour {
		t.Fatalf("state %s: %s", id, out)
	}
}

// A container running as a non-root user with no effective capabilities (podman run --user
// 65534: only a bounding set) still passes the exec fifo at start.
func TestNonRootUserWithoutCapabilities(t *testing.T) {
	e := newEnv(t, "print", "ran")
	e.spec.Process.User = specs.User{UID: 65534, GID: 0, AdditionalGids: []uint32{0}}
	e.spec.Process.Capabilities = &specs.LinuxCapabilities{Bounding: []string{"CAP_CHOWN", "CAP_KILL", "CAP_SETUID", "CAP_SETGID"}}
	e.save()
	r := e.run("run", "-b", e.bundle, newID(t))
	if r.code != 0 || r.stdout != "ran\n" {
		t.Fatalf("run as uid 65534 without capabilities: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}
